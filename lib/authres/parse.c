/* parse.c - reading Authentication-Results field values (RFC 8601 §2.2).
 *
 *   authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
 *                     ( no-result / 1*resinfo ) [CFWS] CRLF
 *   authserv-id     = value                  ; RFC 2045 token / quoted-string
 *   no-result       = [CFWS] ";" [CFWS] "none"
 *   resinfo         = [CFWS] ";" methodspec [ CFWS reasonspec ]
 *                     [ CFWS 1*propspec ]
 *   methodspec      = [CFWS] method [CFWS] "=" [CFWS] result
 *   method          = Keyword [ [CFWS] "/" [CFWS] method-version ]
 *   reasonspec      = "reason" [CFWS] "=" [CFWS] value
 *   propspec        = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *   pvalue          = [CFWS] ( value / [ [ local-part ] "@" ] domain-name )
 *                     [CFWS]
 *
 * The parser is a cursor with a sticky error: every helper is a no-op once
 * c->err is set, so the grammar reads top-down and is checked where a
 * decision depends on it.  Line breaks count as whitespace anywhere (the
 * value may come unfolded, folded with CRLF, or stored with bare LF).
 *
 * Strict mode follows the grammar with two tolerances every deployed
 * parser shares: a ';' after the last result (Gmail, AOL), and a comment
 * after "none" (the grammar's trailing [CFWS] allows it).  Octets above
 * 0x7E are accepted in values, comments and quoted-strings (RFC 6532,
 * RFC 8616 §5).
 *
 * Lenient mode reads what deployed software writes: see authres.h.  Each
 * departure is marked "lenient:" below.
 */
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/authres.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "authres_int.h"

struct cur {
	const char *s;
	size_t i, len;
	bool lenient;
	int err;
	const char *why;
	struct inkan_arena *a;
};

/* A comment's content, [start, end) of the input. */
struct span {
	size_t start, end;
	bool set;
};

static void
fail(struct cur *c, int err, const char *why)
{
	if (c->err == 0) {
		c->err = err;
		c->why = why;
	}
}

static bool
more(const struct cur *c)
{
	return c->err == 0 && c->i < c->len;
}

static unsigned char
ch(const struct cur *c)
{
	return (unsigned char)c->s[c->i];
}

/* An octet inside a comment or quoted-string, or after a backslash.  NUL
 * is refused in both modes (nothing real carries it and C strings could
 * not return it); other controls only by the strict parser (RFC 5322
 * ctext/qtext exclude them, obs-ctext allowed them). */
static bool
text_ok(struct cur *c, unsigned char x, bool escaped)
{
	if ((x == '\r' || x == '\n') && escaped && !c->lenient) {
		/* RFC 5322 §3.2.1: quoted-pair is "\" (VCHAR / WSP) */
		fail(c, INKAN_EMALFORMED, "line break after a backslash");
		return false;
	}
	if (x == 0) {
		fail(c, INKAN_EMALFORMED, "NUL octet in the field");
		return false;
	}
	if (ar_is_ctl(x) && !ar_is_space(x) && !c->lenient) {
		fail(c, INKAN_EMALFORMED, "control character in a comment or quoted-string");
		return false;
	}
	return true;
}

/* At '(': skip one comment with its nested comments (RFC 5322 §3.2.2). */
static void
skip_comment(struct cur *c)
{
	size_t depth = 0;

	while (c->i < c->len) {
		unsigned char x = ch(c);

		c->i++;
		if (x == '(') {
			if (++depth > INKAN_AUTHRES_MAX_COMMENT_DEPTH) {
				fail(c, INKAN_ELIMIT, "comments nested too deep");
				return;
			}
		} else if (x == ')') {
			if (--depth == 0)
				return;
		} else if (x == '\\') {
			if (c->i >= c->len)
				break;
			if (!text_ok(c, ch(c), true))
				return;
			c->i++;
		} else if (!text_ok(c, x, false)) {
			return;
		}
	}
	fail(c, INKAN_EMALFORMED, "unterminated comment");
}

/* Skip CFWS.  When cap is given and holds no comment yet, the first
 * comment's content is recorded in it.  True if anything was skipped. */
static bool
skip_cfws(struct cur *c, struct span *cap)
{
	size_t start = c->i;

	while (more(c)) {
		if (ar_is_space(ch(c))) {
			c->i++;
			continue;
		}
		if (ch(c) != '(')
			break;
		size_t open = c->i;

		skip_comment(c);
		if (c->err == 0 && cap != NULL && !cap->set) {
			cap->start = open + 1;
			cap->end = c->i - 1;
			cap->set = true;
		}
	}
	return c->i != start;
}

/* Copy of s[start, end) into the arena without the line breaks of folding
 * (RFC 5322 §2.2.3 unfolding) and, when unescape is set, with each
 * quoted-pair replaced by its character. */
static char *
text(struct cur *c, size_t start, size_t end, bool unescape)
{
	char *o, *p;

	if (c->err)
		return NULL;
	if ((o = p = inkan_arena_alloc(c->a, end - start + 1)) == NULL) {
		fail(c, INKAN_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = start; i < end; i++) {
		char x = c->s[i];

		if (x == '\r' || x == '\n')
			continue;
		if (x == '\\' && unescape && i + 1 < end) {
			x = c->s[++i];
			if (x == '\r' || x == '\n')
				continue;	/* lenient: a quoted line break unfolds too */
		}
		*p++ = x;
	}
	*p = '\0';
	return o;
}

static char *
dup_lower(struct cur *c, struct inkan_slice s, bool lower)
{
	char *o;

	if (c->err)
		return NULL;
	if ((o = inkan_arena_strndup(c->a, s.p, s.len)) == NULL) {
		fail(c, INKAN_ENOMEM, "out of memory");
		return NULL;
	}
	for (char *p = o; lower && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return o;
}

/* At '"': a quoted-string (RFC 5322 §3.2.4); returns its content. */
static char *
quoted(struct cur *c)
{
	size_t start = ++c->i;

	while (c->i < c->len && ch(c) != '"') {
		unsigned char x = ch(c);
		bool escaped = x == '\\';

		if (escaped) {
			if (c->i + 1 >= c->len) {
				c->i = c->len;	/* a final backslash quotes nothing */
				break;
			}
			c->i++;
			x = ch(c);
		}
		if (!text_ok(c, x, escaped))
			return NULL;
		c->i++;
	}
	if (c->i >= c->len) {
		fail(c, INKAN_EMALFORMED, "unterminated quoted-string");
		return NULL;
	}
	c->i++;
	return text(c, start, c->i - 1, true);
}

/* Character classes of the word scanners.  The strict ones follow the
 * grammar; the lenient ones take everything up to a delimiter. */
enum word {
	W_KEYWORD,	/* Ldh-str: method, result, ptype, property */
	W_TOKEN,	/* RFC 2045 token: authserv-id, reason */
	W_PVALUE,	/* run of a pvalue, checked afterwards */
	W_LNAME,	/* lenient method, ptype, property */
	W_LRESULT,	/* lenient result: may hold '.' and '/' */
	W_LID,		/* lenient authserv-id, reason */
	W_LBARE,	/* lenient bare word between ';' (a repeated authserv-id) */
	W_LVALUE,	/* lenient pvalue */
};

static bool
word_char(enum word w, unsigned char x)
{
	if (w == W_KEYWORD)
		return ar_is_alnum(x) || x == '-';
	if (w == W_TOKEN)
		return ar_is_token_char(x, true);
	if (ar_is_ctl(x) || x == ' ' || x == ';' || x == '(' || x == '"')
		return false;
	switch (w) {
	case W_LNAME:
		return x != ')' && x != '=' && x != '.' && x != '/';
	case W_LRESULT:
	case W_LID:
		return x != ')' && x != '=';
	case W_LBARE:
		return x != ')' && x != '=' && x != '/';
	case W_PVALUE:
		return x != ')';
	default:
		return true;
	}
}

static struct inkan_slice
run(struct cur *c, enum word w)
{
	size_t start = c->i;

	while (more(c) && word_char(w, ch(c)))
		c->i++;
	return (struct inkan_slice){ c->s + start, c->i - start };
}

/* A method, result, ptype or property.  lenient: may be a quoted-string
 * (*q is set).  Strict: must be an RFC 5321 Keyword; what names the
 * element in the error. */
static struct inkan_slice
name(struct cur *c, enum word lw, bool *q, const char *notkw)
{
	struct inkan_slice s = { "", 0 };

	*q = false;
	if (!more(c))
		return s;
	if (c->lenient && ch(c) == '"') {
		char *t = quoted(c);

		if (t != NULL) {
			*q = true;
			s = inkan_slice_cstr(t);
		}
		return s;
	}
	if (c->lenient)
		return run(c, lw);
	s = run(c, W_KEYWORD);
	if (s.len > 0 && !inkan__authres_keyword(s.p, s.len))
		fail(c, INKAN_EMALFORMED, notkw);
	return s;
}

/* An RFC 2045 value: token or quoted-string (authserv-id, reason).
 * lenient: any word up to a delimiter.  "" when there is none. */
static const char *
value(struct cur *c)
{
	if (more(c) && ch(c) == '"')
		return quoted(c);
	return dup_lower(c, run(c, c->lenient ? W_LID : W_TOKEN), false);
}

/* A version number: 1*DIGIT, at most INKAN_AUTHRES_MAX_VERSION_DIGITS. */
static int
digits(struct cur *c, const char *none)
{
	size_t start = c->i;
	int v = 0;

	while (more(c) && ch(c) >= '0' && ch(c) <= '9') {
		if (c->i - start >= INKAN_AUTHRES_MAX_VERSION_DIGITS) {
			fail(c, INKAN_EMALFORMED, "version number too long");
			return 0;
		}
		v = v * 10 + (ch(c) - '0');
		c->i++;
	}
	if (c->i == start)
		fail(c, INKAN_EMALFORMED, none);
	return v;
}

/* After '=': a pvalue.  A quoted-string followed by '@' is a quoted
 * local-part; the value is then returned as written ("a b"@example.com). */
static const char *
pvalue(struct cur *c)
{
	skip_cfws(c, NULL);
	if (more(c) && ch(c) == '"') {
		size_t start = c->i;
		const char *v = quoted(c);

		if (!more(c) || ch(c) != '@')
			return v;
		c->i++;
		struct inkan_slice d = run(c, c->lenient ? W_LVALUE : W_PVALUE);

		if (!c->lenient && !inkan__authres_bare_value(d.p - 1, d.len + 1, true))
			fail(c, INKAN_EMALFORMED, "expected a domain name after '@'");
		return text(c, start, c->i, false);
	}
	struct inkan_slice v = run(c, c->lenient ? W_LVALUE : W_PVALUE);

	if (!c->lenient) {
		/* RFC 8601 §2.2: value / [ [ local-part ] "@" ] domain-name */
		if (v.len == 0)
			fail(c, INKAN_EMALFORMED, "expected a property value");
		else if (!inkan__authres_bare_value(v.p, v.len, true))
			fail(c, INKAN_EMALFORMED, "property value is neither a token nor an "
			    "address and is not quoted (RFC 8601 §2.2)");
	}
	return dup_lower(c, v, false);
}

/* Grow an arena array by one zeroed element. */
static void *
push(struct cur *c, void **arr, size_t *n, size_t *cap, size_t size, size_t max,
    const char *toomany)
{
	if (c->err)
		return NULL;
	if (*n >= max) {
		fail(c, INKAN_ELIMIT, toomany);
		return NULL;
	}
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void *np;

		if (ncap > max)
			ncap = max;
		if ((np = inkan_arena_alloc(c->a, ncap * size)) == NULL) {
			fail(c, INKAN_ENOMEM, "out of memory");
			return NULL;
		}
		if (*n > 0)
			memcpy(np, *arr, *n * size);
		*arr = np;
		*cap = ncap;
	}
	void *slot = (char *)*arr + (*n)++ * size;

	memset(slot, 0, size);
	return slot;
}

static void
add_prop(struct cur *c, struct inkan_authres_result *rr, size_t *pcap, struct inkan_slice pt,
    struct inkan_slice pn, const char *v)
{
	void *arr = rr->props;
	struct inkan_authres_prop *p = push(c, &arr, &rr->nprops, pcap, sizeof(*p),
	    INKAN_AUTHRES_MAX_PROPS, "too many properties in one result");

	rr->props = arr;
	if (p == NULL)
		return;
	p->ptype = dup_lower(c, pt, true);
	p->property = dup_lower(c, pn, true);
	p->value = v;
}

/* One reasonspec or propspec, at its first character. */
static void
parse_prop(struct cur *c, struct inkan_authres_result *rr, size_t *pcap)
{
	bool q, q2;
	struct inkan_slice w = name(c, W_LNAME, &q, "ptype is not a keyword");

	if (c->err)
		return;
	if (w.len == 0 && !q) {
		fail(c, INKAN_EMALFORMED, "expected a property (ptype.property=value)");
		return;
	}
	skip_cfws(c, NULL);
	if (more(c) && ch(c) == '.') {
		c->i++;
		skip_cfws(c, NULL);
		struct inkan_slice pn = name(c, W_LNAME, &q2, "property name is not a keyword");

		if (c->err == 0 && pn.len == 0 && !q2)
			fail(c, INKAN_EMALFORMED, "expected a property name after '.'");
		skip_cfws(c, NULL);
		if (c->err == 0 && (!more(c) || ch(c) != '='))
			fail(c, INKAN_EMALFORMED, "expected '=' after the property name");
		if (c->err)
			return;
		c->i++;
		const char *v = pvalue(c);

		add_prop(c, rr, pcap, w, pn, v);
		return;
	}
	if (!more(c) || ch(c) != '=') {
		if (c->err == 0)
			fail(c, INKAN_EMALFORMED, "expected '.' after the ptype");
		return;
	}
	c->i++;
	if (!q && inkan_slice_caseeq_cstr(w, "reason")) {
		if (!c->lenient && rr->nprops > 0)
			fail(c, INKAN_EMALFORMED, "reason= after the properties (RFC 8601 §2.2 puts "
			    "it first)");
		if (!c->lenient && rr->reason != NULL)
			fail(c, INKAN_EMALFORMED, "reason= given twice");
		skip_cfws(c, NULL);
		bool isq = more(c) && ch(c) == '"';
		const char *v = value(c);

		if (c->err == 0 && !c->lenient && !isq && *v == '\0')
			fail(c, INKAN_EMALFORMED, "expected a value after reason=");
		if (rr->reason == NULL)
			rr->reason = v;	/* lenient: the first of several counts */
		return;
	}
	if (!c->lenient) {
		fail(c, INKAN_EMALFORMED, "property without a ptype (RFC 8601 §2.2: "
		    "ptype.property=value)");
		return;
	}
	const char *v = pvalue(c);
	const char *dot = q ? memchr(w.p, '.', w.len) : NULL;

	/* lenient: "smtp.mailfrom"="..." is split; a property without a ptype
	 * (x-bits=1024, version=TLSv1.2) is dropped, as python authres does. */
	if (dot != NULL)
		add_prop(c, rr, pcap, (struct inkan_slice){ w.p, (size_t)(dot - w.p) },
		    (struct inkan_slice){ dot + 1, w.len - (size_t)(dot - w.p) - 1 }, v);
}

/* lenient: a word alone between ';' and ';' (or the end) is not a result:
 * Microsoft repeats the authserv-id there ("...; outlook.com; dkim=...").
 * Skip it and return true; otherwise leave the cursor where it was. */
static bool
bare_word(struct cur *c)
{
	size_t save = c->i;
	struct inkan_slice w = run(c, W_LBARE);

	if (w.len == 0)
		return false;
	skip_cfws(c, NULL);
	if (c->err || !more(c) || ch(c) == ';')
		return true;
	c->i = save;
	return false;
}

/* One resinfo after its ';' and CFWS. */
static void
parse_resinfo(struct cur *c, struct inkan_authres *r, size_t *cap)
{
	bool q;

	if (c->lenient && bare_word(c))
		return;
	struct inkan_slice m = name(c, W_LNAME, &q, "method is not a keyword");
	int mver = 0;

	if (c->err == 0 && m.len == 0 && !q) {
		fail(c, INKAN_EMALFORMED, "expected a method (method=result)");
		return;
	}
	skip_cfws(c, NULL);
	if (more(c) && ch(c) == '/') {
		c->i++;
		skip_cfws(c, NULL);
		mver = digits(c, "expected a method version after '/'");
		skip_cfws(c, NULL);
	}
	if (c->err == 0 && (!more(c) || ch(c) != '='))
		fail(c, INKAN_EMALFORMED, "expected '=' after the method");
	if (c->err)
		return;
	c->i++;
	skip_cfws(c, NULL);

	struct inkan_slice res;

	if (c->lenient && more(c) && ch(c) == '"') {
		char *t = quoted(c);

		res = inkan_slice_cstr(t);
	} else if (c->lenient) {
		res = run(c, W_LRESULT);	/* lenient: may be empty ("one=;") */
	} else {
		res = name(c, W_LRESULT, &q, "result is not a keyword");
		if (c->err == 0 && res.len == 0)
			fail(c, INKAN_EMALFORMED, "expected a result after '='");
	}

	void *arr = r->results;
	struct inkan_authres_result *rr = push(c, &arr, &r->nresults, cap, sizeof(*rr),
	    INKAN_AUTHRES_MAX_RESULTS, "too many results in one field");

	r->results = arr;
	if (rr == NULL)
		return;
	rr->method = dup_lower(c, m, true);
	rr->version = mver;
	rr->result = dup_lower(c, res, true);

	struct span cm = { 0, 0, false };
	size_t pcap = 0;

	skip_cfws(c, &cm);
	if (cm.set)
		rr->comment = text(c, cm.start, cm.end, true);
	while (more(c) && ch(c) != ';') {
		parse_prop(c, rr, &pcap);
		skip_cfws(c, NULL);
	}
}

static bool
at_none(const struct cur *c)
{
	size_t i = c->i;

	if (c->len - i < 4 || strncasecmp(c->s + i, "none", 4) != 0)
		return false;
	i += 4;
	return i == c->len || ar_is_space((unsigned char)c->s[i]) || c->s[i] == '(' ||
	    c->s[i] == ';';
}

static void
parse_field(struct cur *c, struct inkan_authres *r)
{
	size_t cap = 0;

	skip_cfws(c, NULL);
	if (c->err)
		return;
	if (!more(c) || ch(c) == ';') {
		fail(c, INKAN_EMALFORMED, "no authserv-id");
		return;
	}
	r->authserv_id = value(c);
	if (c->err == 0 && r->authserv_id[0] == '\0') {
		fail(c, INKAN_EMALFORMED, "empty authserv-id");
		return;
	}
	bool sp = skip_cfws(c, NULL);

	if (more(c) && ch(c) >= '0' && ch(c) <= '9') {
		if (!sp)
			fail(c, INKAN_EMALFORMED, "expected a space between authserv-id and "
			    "version");
		r->version = digits(c, "expected a version");
		skip_cfws(c, NULL);
	} else if (c->lenient && more(c) && ch(c) != ';') {
		/* lenient: "id foo;" (a junk word where the version goes) is
		 * skipped; "id from=x; ..." (old Yahoo) is a result without its
		 * ';'.  Anything else ("id = = x", "id foo bar = x") is not. */
		size_t save = c->i;
		struct inkan_slice w = run(c, W_LNAME);

		skip_cfws(c, NULL);
		if (w.len > 0 && more(c) && ch(c) == '=') {
			c->i = save;
			parse_resinfo(c, r, &cap);
		} else if (c->err == 0 && (w.len == 0 || (more(c) && ch(c) != ';'))) {
			fail(c, INKAN_EMALFORMED, "unexpected text after the authserv-id");
		}
	}
	for (;;) {
		if (c->err)
			return;
		if (!more(c)) {
			/* lenient: "id" or "id;" alone (no "none") */
			if (r->nresults == 0 && !c->lenient)
				fail(c, INKAN_EMALFORMED, "expected ';' and \"none\" or a result");
			return;
		}
		if (ch(c) != ';') {
			fail(c, INKAN_EMALFORMED, "expected ';'");
			return;
		}
		c->i++;
		skip_cfws(c, NULL);
		if (c->err)
			return;
		if (!more(c)) {
			/* a ';' after the last result is tolerated (Gmail, AOL) */
			if (r->nresults == 0 && !c->lenient)
				fail(c, INKAN_EMALFORMED, "expected \"none\" or a result after ';'");
			return;
		}
		if (ch(c) == ';') {
			if (!c->lenient)
				fail(c, INKAN_EMALFORMED, "empty result (\";;\")");
			continue;
		}
		if (r->nresults == 0 && at_none(c)) {
			c->i += 4;
			r->none = true;
			skip_cfws(c, NULL);	/* the grammar's trailing [CFWS] */
			while (c->lenient && more(c) && ch(c) == ';') {
				c->i++;
				skip_cfws(c, NULL);
			}
			if (more(c))
				fail(c, INKAN_EMALFORMED, "unexpected text after \"none\"");
			return;
		}
		parse_resinfo(c, r, &cap);
	}
}

int
inkan_authres_parse(struct inkan_arena *a, const char *value, size_t len, unsigned flags,
    struct inkan_authres *out, const char **why)
{
	struct cur c = { .s = value, .len = len, .lenient = (flags & INKAN_AUTHRES_LENIENT) != 0,
		.a = a };
	struct inkan_authres r;

	if (why != NULL)
		*why = NULL;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (a == NULL || out == NULL || (value == NULL && len > 0)) {
		if (why != NULL)
			*why = "bad argument";
		return INKAN_EINVAL;
	}
	if (len > INKAN_AUTHRES_MAX_VALUE) {
		if (why != NULL)
			*why = "field value too long";
		return INKAN_ETOOBIG;
	}
	if (value == NULL)
		c.s = "";
	memset(&r, 0, sizeof(r));
	parse_field(&c, &r);
	if (c.err != 0) {
		if (why != NULL)
			*why = c.why;
		return c.err;
	}
	*out = r;
	return 0;
}
