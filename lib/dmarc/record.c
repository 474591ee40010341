/* record.c - DMARC policy records: RFC 9989 §4.7 and §4.8, with the RFC
 * 7489 §6.3 tags (pct, rf, ri) parsed and reported as legacy.
 *
 * The record is a tag=value list (RFC 6376 §3.2, lib/core/tagvalue.c).
 * One table row per tag; each handler either stores a value or says what
 * was wrong with it.  What makes a record unusable is decided here, once:
 * a broken tag list or a repeated tag.  Everything else is a problem in
 * the list, with the default kept (§4.8: "Syntax errors in the remainder
 * of the record MUST be discarded in favor of default values"), and the
 * §4.10.1 rule for p=/sp=/np= is applied at the end.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/tagvalue.h"
#include "dmarc_int.h"

struct pctx {
	struct inkan_arena *a;
	struct inkan_dmarc_record *r;
	const char *text;
	struct inkan_dmarc_problem *probs;
	size_t nprobs, cap;
	bool more_probs;
	int err;		/* sticky INKAN_ENOMEM */
	bool p_seen, p_bad, sp_bad, np_bad;
	/* growing lists */
	struct inkan_dmarc_uri *uris;
	size_t nuris;
};

static void problem(struct pctx *c, enum inkan_dmarc_problem_kind k, const char *tag,
    size_t off, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct pctx *c, enum inkan_dmarc_problem_kind k, const char *tag, size_t off,
    const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (c->err)
		return;
	if (c->nprobs == INKAN_DMARC_MAX_PROBLEMS) {
		c->more_probs = true;
		return;
	}
	if (c->nprobs == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		struct inkan_dmarc_problem *np = inkan_arena_alloc(c->a, ncap * sizeof(*np));

		if (np == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		if (c->nprobs > 0)
			memcpy(np, c->probs, c->nprobs * sizeof(*np));
		c->probs = np;
		c->cap = ncap;
	}
	va_start(ap, fmt);
	what = inkan_arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	if (what == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	c->probs[c->nprobs++] = (struct inkan_dmarc_problem){ k, tag, what, off };
}

static bool
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static char
lc(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

/* Lower-case copy of p[0..n) in the arena. */
static char *
lower_dup(struct inkan_arena *a, const char *p, size_t n)
{
	char *s = inkan_arena_strndup(a, p, n);

	for (size_t i = 0; s != NULL && i < n; i++)
		s[i] = lc(s[i]);
	return s;
}

static size_t
off_of(const struct pctx *c, const char *p)
{
	return (size_t)(p - c->text);
}

/* The value shown in a message: at most 40 bytes, control bytes as '?'. */
static const char *
shown(struct pctx *c, struct inkan_slice v)
{
	size_t n = v.len > 40 ? 40 : v.len;
	char *s = inkan_arena_alloc(c->a, n + 4);

	if (s == NULL) {
		c->err = INKAN_ENOMEM;
		return "";
	}
	for (size_t i = 0; i < n; i++)
		s[i] = (unsigned char)v.p[i] < 0x20 || v.p[i] == 0x7f ? '?' : v.p[i];
	if (v.len > n)
		memcpy(s + n, "...", 4);
	else
		s[n] = '\0';
	return s;
}

/* Split v at sep into trimmed pieces; calls fn for each (an empty piece
 * too).  Stops when fn returns false. */
static void
split(struct inkan_slice v, char sep, bool (*fn)(struct pctx *, struct inkan_slice, void *),
    struct pctx *c, void *arg)
{
	size_t start = 0;

	for (size_t i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] != sep)
			continue;
		struct inkan_slice piece = { v.p + start, i - start };

		while (piece.len > 0 && is_wsp(piece.p[0])) {
			piece.p++;
			piece.len--;
		}
		while (piece.len > 0 && is_wsp(piece.p[piece.len - 1]))
			piece.len--;
		if (!fn(c, piece, arg))
			return;
		start = i + 1;
	}
}

/* Unsigned decimal of 1..19 digits, all of v; false otherwise. */
static bool
decimal(struct inkan_slice v, uint64_t *out)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > 19)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (!is_digit(v.p[i]))
			return false;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n;
	return true;
}

/* ---- tag handlers ---- */

static int
policy_value(struct inkan_slice v)
{
	if (inkan_slice_caseeq_cstr(v, "none"))
		return INKAN_DMARC_P_NONE;
	if (inkan_slice_caseeq_cstr(v, "quarantine"))
		return INKAN_DMARC_P_QUARANTINE;
	if (inkan_slice_caseeq_cstr(v, "reject"))
		return INKAN_DMARC_P_REJECT;
	return -1;
}

static void
h_policy(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	int p = policy_value(t->value);
	enum inkan_dmarc_policy *dst;
	bool *bad;

	if (name[0] == 'p') {
		dst = &c->r->p;
		bad = &c->p_bad;
		c->p_seen = true;
	} else if (name[0] == 's') {
		dst = &c->r->sp;
		bad = &c->sp_bad;
	} else {
		dst = &c->r->np;
		bad = &c->np_bad;
	}
	if (p < 0) {
		*bad = true;
		problem(c, INKAN_DMARC_PROB_POLICY, name, t->offset,
		    "%s= value '%s' is not none, quarantine or reject", name, shown(c, t->value));
		return;
	}
	*dst = (enum inkan_dmarc_policy)p;
}

static void
h_align(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	enum inkan_dmarc_align *dst = name[1] == 'd' ? &c->r->adkim : &c->r->aspf;

	if (inkan_slice_caseeq_cstr(t->value, "r"))
		*dst = INKAN_DMARC_ALIGN_RELAXED;
	else if (inkan_slice_caseeq_cstr(t->value, "s"))
		*dst = INKAN_DMARC_ALIGN_STRICT;
	else
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset,
		    "%s= value '%s' is not r or s; relaxed (r) used", name, shown(c, t->value));
}

static void
h_psd(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	if (inkan_slice_caseeq_cstr(t->value, "y"))
		c->r->psd = INKAN_DMARC_PSD_Y;
	else if (inkan_slice_caseeq_cstr(t->value, "n"))
		c->r->psd = INKAN_DMARC_PSD_N;
	else if (inkan_slice_caseeq_cstr(t->value, "u"))
		c->r->psd = INKAN_DMARC_PSD_U;
	else
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset,
		    "psd= value '%s' is not y, n or u; u used", shown(c, t->value));
}

static void
h_t(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	if (inkan_slice_caseeq_cstr(t->value, "y"))
		c->r->testing = true;
	else if (inkan_slice_caseeq_cstr(t->value, "n"))
		c->r->testing = false;
	else
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset,
		    "t= value '%s' is not y or n; n used", shown(c, t->value));
}

struct fo_state {
	unsigned bits;
	bool bad;
};

static bool
fo_piece(struct pctx *c, struct inkan_slice v, void *arg)
{
	struct fo_state *st = arg;
	unsigned bit = 0;

	if (v.len == 1) {
		switch (lc(v.p[0])) {
		case '0': bit = INKAN_DMARC_FO_0; break;
		case '1': bit = INKAN_DMARC_FO_1; break;
		case 'd': bit = INKAN_DMARC_FO_D; break;
		case 's': bit = INKAN_DMARC_FO_S; break;
		}
	}
	(void)c;
	if (bit == 0) {
		st->bad = true;
		return false;
	}
	st->bits |= bit;
	return true;
}

static void
h_fo(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	struct fo_state st = { 0, false };

	split(t->value, ':', fo_piece, c, &st);
	if (st.bad || t->value.len == 0) {
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset,
		    "fo= value '%s' is not a ':' list of 0, 1, d, s; 0 used", shown(c, t->value));
		return;
	}
	if ((st.bits & INKAN_DMARC_FO_0) && (st.bits & INKAN_DMARC_FO_1))
		problem(c, INKAN_DMARC_PROB_WARNING, name, t->offset,
		    "fo= has both 0 and 1, which RFC 9989 §4.7 makes mutually exclusive");
	c->r->fo = st.bits;
}

/* ---- URIs (RFC 3986; DMARC's "!size" of RFC 7489 §6.4) ---- */

static bool
uri_char_ok(unsigned char ch)
{
	if (is_alpha((char)ch) || is_digit((char)ch))
		return true;
	/* unreserved, gen-delims and sub-delims but ',' and '!' (which
	 * RFC 9989 §4.8 says must be encoded) and ';' (the tag separator) */
	return ch != 0 && strchr("-._~:/?#[]@$&'()*+=", ch) != NULL;
}

static int
hexval(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	ch = lc(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

struct uri_state {
	const char *tag;
	size_t count;
	bool stop;
};

/* Parse one URI of a rua=/ruf= list; problems go to the record. */
static bool
uri_piece(struct pctx *c, struct inkan_slice v, void *arg)
{
	struct uri_state *st = arg;
	struct inkan_dmarc_uri u;
	const char *bang, *colon;
	struct inkan_slice base;
	size_t off = off_of(c, v.p);
	int rc;

	memset(&u, 0, sizeof(u));
	if (c->err)
		return false;
	if (st->count == INKAN_DMARC_MAX_URIS) {
		problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
		    "%s= lists more than %d URIs; the rest are ignored", st->tag,
		    INKAN_DMARC_MAX_URIS);
		return false;
	}
	st->count++;
	if (v.len == 0) {
		problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off, "%s= has an empty URI",
		    st->tag);
		return true;
	}
	bang = memchr(v.p, '!', v.len);
	base = (struct inkan_slice){ v.p, bang ? (size_t)(bang - v.p) : v.len };
	colon = memchr(base.p, ':', base.len);
	if (colon == NULL || colon == base.p || !is_alpha(base.p[0]) ||
	    (size_t)(colon - base.p) + 1 == base.len) {
		problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
		    "%s= '%s' is not a URI (scheme:...); ignored", st->tag, shown(c, v));
		return true;
	}
	for (const char *p = base.p + 1; p < colon; p++)
		if (!is_alpha(*p) && !is_digit(*p) && *p != '+' && *p != '-' && *p != '.') {
			problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
			    "%s= '%s' has a bad URI scheme; ignored", st->tag, shown(c, v));
			return true;
		}
	for (size_t i = 0; i < base.len; i++) {
		unsigned char ch = (unsigned char)base.p[i];

		if (ch == '%') {
			if (i + 2 >= base.len || hexval(base.p[i + 1]) < 0 ||
			    hexval(base.p[i + 2]) < 0) {
				problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
				    "%s= '%s' has a bad %%-escape; ignored", st->tag, shown(c, v));
				return true;
			}
			i += 2;
			continue;
		}
		if (!uri_char_ok(ch)) {
			problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
			    "%s= '%s' has a character not allowed in a URI; ignored", st->tag,
			    shown(c, v));
			return true;
		}
	}
	if (bang != NULL) {
		struct inkan_slice sz = { bang + 1, v.len - base.len - 1 };
		uint64_t n, mult = 1;
		bool overflow = false;

		if (sz.len > 0 && is_alpha(sz.p[sz.len - 1])) {
			u.size_unit = lc(sz.p[sz.len - 1]);
			sz.len--;
			switch (u.size_unit) {
			case 'k': mult = 1ull << 10; break;
			case 'm': mult = 1ull << 20; break;
			case 'g': mult = 1ull << 30; break;
			case 't': mult = 1ull << 40; break;
			default: mult = 0; break;
			}
		}
		bool digits = sz.len > 0;

		for (size_t i = 0; i < sz.len; i++)
			digits = digits && is_digit(sz.p[i]);
		if (mult == 0 || !digits) {
			problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
			    "%s= '%s' has a bad report size (!digits[k|m|g|t]); ignored", st->tag,
			    shown(c, v));
			return true;
		}
		if (!decimal(sz, &n)) {
			overflow = true;
		} else {
			u.size = n;
			if (n > UINT64_MAX / mult)
				overflow = true;
			else
				u.max_bytes = n * mult;
		}
		if (overflow) {
			u.size = 0;
			u.max_bytes = 0;
			problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
			    "%s= '%s': report size too large; size ignored", st->tag, shown(c, v));
		}
		problem(c, INKAN_DMARC_PROB_LEGACY, st->tag, off,
		    "%s= '%s': the !size suffix is RFC 7489 syntax, obsolete in RFC 9989 §4.8",
		    st->tag, shown(c, v));
	}
	u.uri = inkan_arena_strndup(c->a, base.p, base.len);
	u.scheme = lower_dup(c->a, base.p, (size_t)(colon - base.p));
	if (u.uri == NULL || u.scheme == NULL) {
		c->err = INKAN_ENOMEM;
		return false;
	}
	const char *rest = colon + 1;
	size_t rlen = base.len - (size_t)(rest - base.p);

	if (strcmp(u.scheme, "mailto") == 0) {
		/* mailto:addr[?headers], %-decoded (RFC 6068) */
		size_t alen = 0;
		char *addr = inkan_arena_alloc(c->a, rlen + 1);
		const char *at, *why = "no local part or no '@'";

		if (addr == NULL) {
			c->err = INKAN_ENOMEM;
			return false;
		}
		for (size_t i = 0; i < rlen && rest[i] != '?'; i++) {
			if (rest[i] == '%') {
				int hi = hexval(rest[i + 1]), lo = hexval(rest[i + 2]);

				addr[alen++] = (char)(hi * 16 + lo);
				i += 2;
			} else {
				addr[alen++] = rest[i];
			}
		}
		addr[alen] = '\0';
		at = alen > 0 ? memrchr(addr, '@', alen) : NULL;
		rc = INKAN_EMALFORMED;
		if (at != NULL && at != addr && memchr(addr, '\0', alen) == NULL)
			rc = inkan__dmarc_norm_domain(c->a, at + 1, alen - (size_t)(at + 1 - addr),
			    &u.domain, &why);
		if (rc == INKAN_ENOMEM) {
			c->err = rc;
			return false;
		}
		if (rc != 0) {
			problem(c, INKAN_DMARC_PROB_IGNORED, st->tag, off,
			    "%s= '%s' is not a mailto: URI with an address (%s); ignored", st->tag,
			    shown(c, v), why);
			return true;
		}
		u.address = addr;
	} else if (rlen >= 2 && rest[0] == '/' && rest[1] == '/') {
		const char *h = rest + 2, *end = rest + rlen, *why = NULL;
		const char *e = h;

		while (e < end && *e != '/' && *e != '?' && *e != '#')
			e++;
		const char *at = memrchr(h, '@', (size_t)(e - h));

		if (at != NULL)
			h = at + 1;
		const char *port = memchr(h, ':', (size_t)(e - h));

		if (port != NULL && h[0] != '[')
			e = port;
		if (e > h && h[0] != '[')
			(void)inkan__dmarc_norm_domain(c->a, h, (size_t)(e - h), &u.domain, &why);
	}
	if (c->nuris % 4 == 0) {
		struct inkan_dmarc_uri *nu = inkan_arena_alloc(c->a, (c->nuris + 4) * sizeof(*nu));

		if (nu == NULL) {
			c->err = INKAN_ENOMEM;
			return false;
		}
		if (c->nuris > 0)
			memcpy(nu, c->uris, c->nuris * sizeof(*nu));
		c->uris = nu;
	}
	c->uris[c->nuris++] = u;
	return true;
}

static void
h_uri(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	struct uri_state st = { name, 0, false };

	c->uris = NULL;
	c->nuris = 0;
	if (t->value.len == 0) {
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset, "%s= is empty", name);
		return;
	}
	split(t->value, ',', uri_piece, c, &st);
	if (name[1] == 'u' && name[2] == 'a') {
		c->r->rua = c->uris;
		c->r->nrua = c->nuris;
	} else {
		c->r->ruf = c->uris;
		c->r->nruf = c->nuris;
	}
}

/* ---- RFC 7489 tags ---- */

static void
legacy(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	problem(c, INKAN_DMARC_PROB_LEGACY, name, t->offset,
	    "%s= is an RFC 7489 tag; RFC 9989 removed it (Appendix A.6, C.5.2)", name);
}

static void
h_pct(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	uint64_t n;

	legacy(c, t, name);
	if (!decimal(t->value, &n) || n > 100) {
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset,
		    "pct= value '%s' is not an integer from 0 to 100; 100 used",
		    shown(c, t->value));
		return;
	}
	c->r->pct = (unsigned)n;
	c->r->has_pct = true;
}

static void
h_ri(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	uint64_t n;

	legacy(c, t, name);
	if (!decimal(t->value, &n) || n > UINT32_MAX) {
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset,
		    "ri= value '%s' is not a 32-bit unsigned integer; 86400 used",
		    shown(c, t->value));
		return;
	}
	c->r->ri = (uint32_t)n;
	c->r->has_ri = true;
}

struct rf_state {
	const char **names;
	size_t n;
	bool bad;
};

static bool
rf_piece(struct pctx *c, struct inkan_slice v, void *arg)
{
	struct rf_state *st = arg;
	bool ok = v.len > 0 && v.p[0] != '-' && v.p[v.len - 1] != '-';

	for (size_t i = 0; ok && i < v.len; i++)
		ok = is_alpha(v.p[i]) || is_digit(v.p[i]) || v.p[i] == '-';
	if (!ok || st->n == INKAN_DMARC_MAX_URIS) {
		st->bad = true;
		return false;
	}
	if ((st->names[st->n++] = lower_dup(c->a, v.p, v.len)) == NULL) {
		c->err = INKAN_ENOMEM;
		return false;
	}
	return true;
}

static void
h_rf(struct pctx *c, const struct inkan_tag *t, const char *name)
{
	struct rf_state st = { NULL, 0, false };

	legacy(c, t, name);
	st.names = inkan_arena_alloc(c->a, INKAN_DMARC_MAX_URIS * sizeof(*st.names));
	if (st.names == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	split(t->value, ':', rf_piece, c, &st);
	if (st.bad || st.n == 0) {
		problem(c, INKAN_DMARC_PROB_IGNORED, name, t->offset,
		    "rf= value '%s' is not a ':' list of format names; afrf used",
		    shown(c, t->value));
		return;
	}
	c->r->rf = st.names;
	c->r->nrf = st.n;
	c->r->has_rf = true;
}

static const struct tagdef {
	const char *name;
	void (*fn)(struct pctx *, const struct inkan_tag *, const char *);
} tags[] = {
	{ "p", h_policy },
	{ "sp", h_policy },
	{ "np", h_policy },
	{ "adkim", h_align },
	{ "aspf", h_align },
	{ "psd", h_psd },
	{ "t", h_t },
	{ "fo", h_fo },
	{ "rua", h_uri },
	{ "ruf", h_uri },
	{ "pct", h_pct },
	{ "rf", h_rf },
	{ "ri", h_ri },
};

static const char *const default_rf[] = { "afrf" };

bool
inkan_dmarc_is_record(const char *s, size_t n)
{
	size_t i = 0;

	if (s == NULL)
		return false;
	while (i < n && is_wsp(s[i]))
		i++;
	if (i == n || (s[i] != 'v' && s[i] != 'V'))
		return false;
	i++;
	while (i < n && is_wsp(s[i]))
		i++;
	if (i == n || s[i] != '=')
		return false;
	i++;
	while (i < n && is_wsp(s[i]))
		i++;
	if (n - i < 6 || memcmp(s + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	while (i < n && is_wsp(s[i]))
		i++;
	return i == n || s[i] == ';';
}

static int
finish(struct pctx *c, const char **why, const char *text)
{
	c->r->problems = c->probs;
	c->r->nproblems = c->nprobs;
	if (c->err)
		return c->err;
	if (text != NULL) {
		if (why != NULL)
			*why = text;
		return INKAN_EMALFORMED;
	}
	return 0;
}

static int
fail(struct pctx *c, const char **why, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(struct pctx *c, const char **why, size_t off, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = inkan_arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	if (text == NULL)
		return INKAN_ENOMEM;
	problem(c, INKAN_DMARC_PROB_ERROR, NULL, off, "%s", text);
	c->r->applies = false;
	return finish(c, why, text);
}

int
inkan_dmarc_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_dmarc_record *out, const char **why)
{
	struct pctx c;
	struct inkan_taglist tl;
	struct inkan_tv_error te = { 0, NULL };
	const char *names[INKAN_TV_MAX_TAGS];
	size_t p_index = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.r = out;
	out->adkim = out->aspf = INKAN_DMARC_ALIGN_RELAXED;
	out->psd = INKAN_DMARC_PSD_U;
	out->fo = INKAN_DMARC_FO_0;
	out->pct = 100;
	out->ri = 86400;
	out->rf = default_rf;
	out->nrf = 1;
	if (txt == NULL)
		txt = "";
	if (len > INKAN_DMARC_MAX_RECORD)
		len = INKAN_DMARC_MAX_RECORD + 1;
	if ((out->text = inkan_arena_strndup(a, txt, len)) == NULL)
		return INKAN_ENOMEM;
	c.text = out->text;
	if (len > INKAN_DMARC_MAX_RECORD)
		return fail(&c, why, 0, "record longer than %d bytes", INKAN_DMARC_MAX_RECORD);
	if (memchr(txt, '\0', len) != NULL)
		return fail(&c, why, (size_t)((const char *)memchr(txt, '\0', len) - txt),
		    "NUL byte in record");
	if (!inkan_dmarc_is_record(txt, len)) {
		size_t i = 0;

		while (i < len && is_wsp(txt[i]))
			i++;
		if (len - i >= 8 && lc(txt[i]) == 'v' && txt[i + 1] == '=' &&
		    strncasecmp(txt + i + 2, "dmarc1", 6) == 0 && memcmp(txt + i + 2, "DMARC1", 6))
			return fail(&c, why, i, "v= must be exactly \"DMARC1\" (case-sensitive, "
			    "RFC 9989 §4.7)");
		return fail(&c, why, i, "not a DMARC record: it must start with \"v=DMARC1\" "
		    "followed by ';' or the end (RFC 9989 §4.7)");
	}
	rc = inkan_tv_parse(a, txt, len, INKAN_TV_ALLOW_DUP, &tl, &te);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0)
		return fail(&c, why, te.offset, "bad tag list at offset %zu: %s", te.offset,
		    te.why ? te.why : "syntax error");
	for (size_t i = 0; i < tl.n; i++) {
		const struct inkan_tag *t = &tl.tags[i];
		char *name = lower_dup(a, t->name.p, t->name.len);
		const struct tagdef *def = NULL;

		if (name == NULL)
			return INKAN_ENOMEM;
		names[i] = name;
		for (size_t k = 0; k < i; k++)
			if (strcmp(names[k], name) == 0)
				return fail(&c, why, t->offset, "duplicate tag %s= at offset %zu "
				    "(RFC 6376 §3.2 via RFC 9989 §4.7)", name, t->offset);
		if (i == 0)
			continue;	/* v=DMARC1, checked above */
		for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++)
			if (strcmp(tags[k].name, name) == 0)
				def = &tags[k];
		if (def == NULL) {
			problem(&c, INKAN_DMARC_PROB_UNKNOWN, name, t->offset,
			    "unknown tag %s= ignored (RFC 9989 §4.7)", name);
			continue;
		}
		if (strcmp(name, "p") == 0)
			p_index = i;
		def->fn(&c, t, name);
		if (c.err)
			return c.err;
	}
	if (!c.p_seen)
		problem(&c, INKAN_DMARC_PROB_POLICY, "p", 0, "no p= tag");
	else if (p_index != 1)
		problem(&c, INKAN_DMARC_PROB_LEGACY, "p", tl.tags[p_index].offset,
		    "p= does not directly follow v= (RFC 7489 §6.3 requires it; RFC 9989 does "
		    "not)");
	/* RFC 9989 §4.10.1 */
	if (!c.p_seen || c.p_bad || c.sp_bad || c.np_bad) {
		if (out->nrua > 0) {
			out->applies = true;
			out->as_p_none = true;
			problem(&c, INKAN_DMARC_PROB_POLICY, NULL, 0,
			    "no valid p= (or an invalid sp=/np=) but a valid rua=: treated as "
			    "p=none (RFC 9989 §4.10.1)");
		} else {
			out->applies = false;
			problem(&c, INKAN_DMARC_PROB_POLICY, NULL, 0,
			    "no valid p= (or an invalid sp=/np=) and no valid rua=: DMARC is not "
			    "applied (RFC 9989 §4.10.1)");
		}
	} else {
		out->applies = true;
	}
	if (out->as_p_none) {
		out->apply_p = out->apply_sp = out->apply_np = INKAN_DMARC_P_NONE;
	} else if (out->applies) {
		out->apply_p = out->p;
		out->apply_sp = out->sp != INKAN_DMARC_P_UNSPEC ? out->sp : out->p;
		out->apply_np = out->np != INKAN_DMARC_P_UNSPEC ? out->np : out->apply_sp;
	}
	if (c.more_probs) {
		c.nprobs--;
		problem(&c, INKAN_DMARC_PROB_WARNING, NULL, 0, "more problems not listed");
	}
	return finish(&c, why, NULL);
}
