/* from.c - the Author Domain from the From field(s): RFC 5322 §3.4 and
 * §3.6.2 address syntax with the obsolete forms of §4.4, groups (RFC
 * 6854) and UTF-8 (RFC 6532).  The rules for what each shape yields are
 * at the top of include/inkan/dmarc.h.
 *
 * A scanner turns a field value into tokens (atoms, quoted strings,
 * domain literals, the specials < > @ , : ; .), dropping white space and
 * comments; a small recursive-descent parser reads
 *
 *   list     = [element] *("," [element])          (empty elements: obs)
 *   element  = phrase? ( angle | ":" list ";" | "@" domain )
 *   angle    = "<" [obs-route] local "@" domain ">"
 *
 * Nothing is decoded: an RFC 2047 encoded-word is an atom, a quoted
 * string stays display text, so neither can ever supply an address.  When
 * the syntax breaks, the parser stops, and every "@domain" in the raw
 * field is collected instead (the salvage), so that the domains a reader
 * might see are still checked.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "dmarc_int.h"

enum tk {
	TK_END, TK_ATOM, TK_QSTR, TK_DLIT, TK_DOT, TK_LT, TK_GT, TK_AT, TK_COMMA, TK_COLON,
	TK_SEMI, TK_ERR,
};

struct tok {
	enum tk k;
	const char *p;
	size_t len;
	size_t off;
};

struct ps {
	struct inkan_arena *a;
	const char *s;
	size_t n, i;
	struct tok t;		/* current token */
	const char *err;	/* first syntax error */
	size_t err_off;
	int nomem;
	/* what this field held */
	size_t nmb, nbad, nphrase, nempty, nelem_empty;
	bool group, route, trailing_dot;
	const char *bad_why;
	/* the first mailbox, for out->address */
	const char *first_local;
	const char *first_domain;
	/* domains of the field's good mailboxes */
	const char **doms;
	size_t ndoms;
	bool more;
};

static bool
is_atext(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	if (ch >= 0x80)
		return true;	/* RFC 6532 UTF8-non-ascii */
	return ch != 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

static bool
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool
syntax(struct ps *p, size_t off, const char *why)
{
	if (p->err == NULL) {
		p->err = why;
		p->err_off = off;
	}
	return false;
}

/* Skip white space, folding and comments.  False on a syntax error. */
static bool
skip_cfws(struct ps *p)
{
	while (p->i < p->n) {
		char ch = p->s[p->i];

		if (is_wsp(ch)) {
			p->i++;
		} else if (ch == '\r' || ch == '\n') {
			bool crlf = ch == '\r' && p->i + 1 < p->n && p->s[p->i + 1] == '\n';
			size_t j = p->i + (crlf ? 2 : 1);

			if (j < p->n && is_wsp(p->s[j]))
				p->i = j;	/* folding left in the value */
			else
				return syntax(p, p->i, "line break inside the field");
		} else if (ch == '(') {
			size_t start = p->i;
			int depth = 0;

			while (p->i < p->n) {
				ch = p->s[p->i];
				if (ch == '\\' && p->i + 1 < p->n) {
					p->i += 2;
					continue;
				}
				if (ch == '\0')
					return syntax(p, p->i, "NUL inside a comment");
				p->i++;
				if (ch == '(' && ++depth > INKAN_DMARC_MAX_COMMENT_DEPTH)
					return syntax(p, start, "comments nested too deeply");
				if (ch == ')' && --depth == 0)
					break;
			}
			if (depth != 0)
				return syntax(p, start, "unterminated comment");
		} else {
			break;
		}
	}
	return true;
}

static void
next(struct ps *p)
{
	size_t start;
	char ch;

	p->t = (struct tok){ TK_ERR, NULL, 0, p->i };
	if (p->err != NULL || !skip_cfws(p))
		return;
	start = p->i;
	p->t.off = start;
	p->t.p = p->s + start;
	if (p->i == p->n) {
		p->t.k = TK_END;
		return;
	}
	ch = p->s[p->i];
	switch (ch) {
	case '"':
		for (p->i++; p->i < p->n && p->s[p->i] != '"'; p->i++) {
			if (p->s[p->i] == '\0') {
				syntax(p, p->i, "NUL inside a quoted string");
				return;
			}
			if (p->s[p->i] == '\\' && p->i + 1 < p->n)
				p->i++;
		}
		if (p->i == p->n) {
			syntax(p, start, "unterminated quoted string");
			return;
		}
		p->i++;
		p->t.k = TK_QSTR;
		break;
	case '[':
		for (p->i++; p->i < p->n && p->s[p->i] != ']'; p->i++) {
			if (p->s[p->i] == '[' || p->s[p->i] == '\0') {
				syntax(p, p->i, "bad domain literal");
				return;
			}
			if (p->s[p->i] == '\\' && p->i + 1 < p->n)
				p->i++;
		}
		if (p->i == p->n) {
			syntax(p, start, "unterminated domain literal");
			return;
		}
		p->i++;
		p->t.k = TK_DLIT;
		break;
	case '.': p->i++; p->t.k = TK_DOT; break;
	case '<': p->i++; p->t.k = TK_LT; break;
	case '>': p->i++; p->t.k = TK_GT; break;
	case '@': p->i++; p->t.k = TK_AT; break;
	case ',': p->i++; p->t.k = TK_COMMA; break;
	case ':': p->i++; p->t.k = TK_COLON; break;
	case ';': p->i++; p->t.k = TK_SEMI; break;
	default:
		if (!is_atext((unsigned char)ch)) {
			syntax(p, start, ch == ')' ? "unbalanced ')'" :
			    ch == '\0' ? "NUL in the field" : "character not allowed here");
			return;
		}
		while (p->i < p->n && is_atext((unsigned char)p->s[p->i]))
			p->i++;
		p->t.k = TK_ATOM;
		break;
	}
	p->t.len = p->i - start;
}

/* A run of words and dots; *shape_ok says it is word *("." word), the
 * shape of a local part. */
struct words {
	size_t count;
	size_t start, end;	/* offsets of the first and after the last token */
	bool shape_ok;
	char *text;		/* tokens joined without CFWS */
};

static bool
read_words(struct ps *p, struct words *w)
{
	bool want_word = true;
	size_t cap = 0, len = 0;

	memset(w, 0, sizeof(*w));
	w->shape_ok = true;
	w->start = p->t.off;
	while (p->t.k == TK_ATOM || p->t.k == TK_QSTR || p->t.k == TK_DOT) {
		bool word = p->t.k != TK_DOT;

		if (word != want_word)
			w->shape_ok = false;	/* two words in a row, or two dots */
		want_word = !word;
		w->count += word;
		if (len + p->t.len + 1 > cap) {
			size_t ncap = (len + p->t.len + 1) * 2;
			char *nt = inkan_arena_alloc(p->a, ncap);

			if (nt == NULL) {
				p->nomem = INKAN_ENOMEM;
				return false;
			}
			if (len > 0)
				memcpy(nt, w->text, len);
			w->text = nt;
			cap = ncap;
		}
		memcpy(w->text + len, p->t.p, p->t.len);
		len += p->t.len;
		w->text[len] = '\0';
		w->end = p->t.off + p->t.len;
		next(p);
	}
	if (want_word && w->count > 0)
		w->shape_ok = false;	/* ends with a dot */
	if (w->count == 0)
		w->shape_ok = false;
	return true;
}

static void
add_domain(struct ps *p, const char *d)
{
	for (size_t i = 0; i < p->ndoms; i++)
		if (strcmp(p->doms[i], d) == 0)
			return;
	if (p->ndoms == INKAN_DMARC_MAX_AUTHOR_DOMAINS) {
		p->more = true;
		return;
	}
	p->doms[p->ndoms++] = d;
}

/* domain = dot-atom / domain-literal / obs-domain; the current token is
 * the one after "@". */
static bool
read_domain(struct ps *p, const char *local)
{
	size_t off = p->t.off, cap, len = 0;
	char *text;
	const char *d, *why;
	bool want_atom = true;
	int rc;

	if (p->t.k == TK_DLIT) {
		p->nbad++;
		p->nmb++;
		if (p->bad_why == NULL)
			p->bad_why = "a domain literal has no DMARC policy domain";
		next(p);
		return true;
	}
	if (p->t.k != TK_ATOM)
		return syntax(p, off, "no domain after '@'");
	cap = p->n + 1;
	if ((text = inkan_arena_alloc(p->a, cap)) == NULL) {
		p->nomem = INKAN_ENOMEM;
		return false;
	}
	while (p->t.k == TK_ATOM || p->t.k == TK_DOT) {
		bool atom = p->t.k == TK_ATOM;

		if (atom != want_atom)
			return syntax(p, p->t.off, atom ? "space inside a domain" :
			    "empty label in the domain");
		want_atom = !atom;
		memcpy(text + len, p->t.p, p->t.len);
		len += p->t.len;
		next(p);
	}
	if (want_atom) {
		/* one trailing dot: "example.com." names the same domain */
		len--;
		p->trailing_dot = true;
	}
	text[len] = '\0';
	rc = inkan__dmarc_norm_domain(p->a, text, len, &d, &why);
	if (rc == INKAN_ENOMEM) {
		p->nomem = rc;
		return false;
	}
	p->nmb++;
	if (rc != 0) {
		p->nbad++;
		if (p->bad_why == NULL)
			p->bad_why = inkan_arena_printf(p->a, "'%s' is not a usable domain: %s",
			    text, why);
		return true;
	}
	if (p->first_domain == NULL) {
		p->first_domain = d;
		p->first_local = local;
	}
	add_domain(p, d);
	return true;
}

static bool parse_list(struct ps *p, bool in_group);

/* "<" [obs-route] addr-spec ">"; the current token is "<". */
static bool
parse_angle(struct ps *p)
{
	struct words w;

	next(p);
	if (p->t.k == TK_GT) {
		p->nempty++;
		next(p);
		return true;
	}
	if (p->t.k == TK_AT) {
		/* obs-route = obs-domain-list ":" (RFC 5322 §4.4): ignored */
		p->route = true;
		while (p->t.k != TK_COLON) {
			if (p->t.k == TK_END || p->t.k == TK_ERR || p->t.k == TK_GT ||
			    p->t.k == TK_LT || p->t.k == TK_SEMI)
				return syntax(p, p->t.off, "bad route in angle address");
			next(p);
		}
		next(p);
	}
	if (!read_words(p, &w))
		return false;
	if (p->t.k != TK_AT)
		return syntax(p, p->t.off, w.count == 0 ? "empty angle address" :
		    "no '@' in angle address");
	if (!w.shape_ok)
		return syntax(p, w.start, "bad local part");
	next(p);
	if (!read_domain(p, w.text))
		return false;
	if (p->t.k != TK_GT)
		return syntax(p, p->t.off, "expected '>' after the address");
	next(p);
	return true;
}

static bool
parse_element(struct ps *p, bool in_group)
{
	struct words w;

	if (!read_words(p, &w))
		return false;
	switch (p->t.k) {
	case TK_LT:
		return parse_angle(p);
	case TK_COLON:
		if (in_group)
			return syntax(p, p->t.off, "group inside a group");
		if (w.count == 0)
			return syntax(p, p->t.off, "group without a name");
		p->group = true;
		next(p);
		if (!parse_list(p, true))
			return false;
		next(p);	/* the ";" */
		return true;
	case TK_AT:
		if (!w.shape_ok)
			return syntax(p, w.start, w.count > 1 ? "display name without angle "
			    "brackets before '@'" : "bad local part");
		next(p);
		return read_domain(p, w.text);
	case TK_COMMA:
	case TK_END:
	case TK_SEMI:
		if (p->t.k == TK_SEMI && !in_group)
			return syntax(p, p->t.off, "';' outside a group");
		p->nphrase++;	/* a display name without an address */
		return true;
	default:
		return syntax(p, p->t.off, "unexpected character");
	}
}

/* Elements up to the end (or up to ";" inside a group). */
static bool
parse_list(struct ps *p, bool in_group)
{
	for (;;) {
		while (p->t.k == TK_COMMA) {
			p->nelem_empty++;
			next(p);
		}
		if (p->t.k == TK_END)
			return in_group ? syntax(p, p->t.off, "group not closed with ';'") : true;
		if (in_group && p->t.k == TK_SEMI)
			return true;
		if (p->t.k == TK_ERR)
			return false;
		if (!parse_element(p, in_group))
			return false;
		if (p->t.k == TK_COMMA) {
			next(p);
			if (p->t.k == TK_COMMA || p->t.k == TK_END ||
			    (in_group && p->t.k == TK_SEMI))
				p->nelem_empty++;
			continue;
		}
		if (p->t.k == TK_END)
			return in_group ? syntax(p, p->t.off, "group not closed with ';'") : true;
		if (in_group && p->t.k == TK_SEMI)
			return true;
		if (p->t.k == TK_ERR)
			return false;
		return syntax(p, p->t.off, p->t.k == TK_LT ? "two angle addresses in one element" :
		    p->t.k == TK_AT ? "more than one '@'" : "expected ',' between addresses");
	}
}

/* Every "@domain" anywhere in the field (for a field that does not
 * parse). */
static int
salvage(struct ps *p)
{
	for (size_t i = 0; i < p->n && !p->more; i++) {
		size_t j = i + 1, k;
		const char *d, *why;
		int rc;

		if (p->s[i] != '@')
			continue;
		while (j < p->n && ((unsigned char)p->s[j] >= 0x80 || p->s[j] == '.' ||
		    p->s[j] == '-' || p->s[j] == '_' || (p->s[j] >= '0' && p->s[j] <= '9') ||
		    (p->s[j] >= 'a' && p->s[j] <= 'z') || (p->s[j] >= 'A' && p->s[j] <= 'Z')))
			j++;
		k = i + 1;
		while (k < j && p->s[k] == '.')
			k++;
		while (j > k && p->s[j - 1] == '.')
			j--;
		if (j == k)
			continue;
		rc = inkan__dmarc_norm_domain(p->a, p->s + k, j - k, &d, &why);
		if (rc == INKAN_ENOMEM)
			return rc;
		if (rc == 0)
			add_domain(p, d);
	}
	return 0;
}

int
inkan_dmarc_from_parse(struct inkan_arena *a, const struct inkan_slice *values, size_t n,
    struct inkan_dmarc_from *out)
{
	const char **doms;
	size_t ndoms = 0, nmb = 0, nbad = 0, nphrase = 0, nempty = 0;
	bool group = false, more = false, notes = false;
	const char *why = NULL, *bad_why = NULL, *local = NULL;
	int rc;

	if (a == NULL || out == NULL || (n > 0 && values == NULL))
		return INKAN_EINVAL;
	memset(out, 0, sizeof(*out));
	if (n == 0) {
		out->status = INKAN_DMARC_FROM_MISSING;
		out->why = "no From field (RFC 5322 §3.6 requires exactly one)";
		out->domains = NULL;
		return 0;
	}
	doms = inkan_arena_alloc(a, INKAN_DMARC_MAX_AUTHOR_DOMAINS * sizeof(*doms));
	if (doms == NULL)
		return INKAN_ENOMEM;
	for (size_t f = 0; f < n; f++) {
		struct ps p;

		memset(&p, 0, sizeof(p));
		p.a = a;
		p.s = values[f].p != NULL ? values[f].p : "";
		p.n = values[f].p != NULL ? values[f].len : 0;
		p.doms = doms;
		p.ndoms = ndoms;
		p.more = more;
		next(&p);
		if (p.err == NULL)
			(void)parse_list(&p, false);
		if (p.nomem)
			return p.nomem;
		if (p.err != NULL) {
			if ((rc = salvage(&p)) != 0)
				return rc;
			if (out->status != INKAN_DMARC_FROM_SYNTAX) {	/* the first */
				if (n > 1)
					why = inkan_arena_printf(a,
					    "From field %zu: %s at offset %zu", f + 1, p.err,
					    p.err_off);
				else
					why = inkan_arena_printf(a, "%s at offset %zu", p.err,
					    p.err_off);
				if (why == NULL)
					return INKAN_ENOMEM;
			}
			out->status = INKAN_DMARC_FROM_SYNTAX;
		}
		ndoms = p.ndoms;
		more = p.more;
		nmb += p.nmb;
		nbad += p.nbad;
		nphrase += p.nphrase;
		nempty += p.nempty;
		group = group || p.group;
		notes = notes || p.route || p.trailing_dot || p.nelem_empty > 0;
		if (bad_why == NULL)
			bad_why = p.bad_why;
		if (local == NULL && p.first_domain != NULL) {
			local = inkan_arena_printf(a, "%s@%s", p.first_local, p.first_domain);
			if (local == NULL)
				return INKAN_ENOMEM;
		}
	}
	out->domains = doms;
	out->ndomains = ndoms;
	out->more_domains = more;
	out->nmailboxes = nmb;
	if (out->status == INKAN_DMARC_FROM_SYNTAX) {
		out->why = why;
		return 0;
	}
	if (nbad > 0) {
		out->status = INKAN_DMARC_FROM_BAD_DOMAIN;
		out->why = bad_why;
		return 0;
	}
	if ((nphrase > 0 || nempty > 0) && nmb > 0) {
		out->status = INKAN_DMARC_FROM_SYNTAX;
		out->why = nphrase > 0 ? "an element is a display name without an address" :
		    "an element is an empty address <>";
		return 0;
	}
	if (nmb == 0) {
		out->status = group ? INKAN_DMARC_FROM_GROUP : INKAN_DMARC_FROM_NO_ADDRESS;
		out->why = group ? "empty group: no address (RFC 6854)" :
		    nempty > 0 ? "empty address <>" : "no address, only a display name or nothing";
		return 0;
	}
	if (n > 1) {
		out->status = INKAN_DMARC_FROM_MULTIPLE_FIELDS;
		out->why = inkan_arena_printf(a, "%zu From fields (RFC 5322 §3.6 allows one)", n);
	} else if (group) {
		out->status = INKAN_DMARC_FROM_GROUP;
		out->why = inkan_arena_printf(a, "group syntax (RFC 6854) with %zu mailbox%s", nmb,
		    nmb == 1 ? "" : "es");
	} else if (nmb > 1) {
		out->status = INKAN_DMARC_FROM_MULTIPLE_ADDRESSES;
		out->why = inkan_arena_printf(a, "%zu mailboxes in From", nmb);
	} else {
		out->status = INKAN_DMARC_FROM_OK;
		out->address = local;
		if (notes)
			out->why = "obsolete syntax accepted (RFC 5322 §4.4)";
	}
	if (out->status != INKAN_DMARC_FROM_OK && out->why == NULL)
		return INKAN_ENOMEM;
	if (ndoms == 1 && !more)
		out->domain = doms[0];
	return 0;
}
