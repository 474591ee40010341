/* macro.c - SPF macro strings, RFC 7208 §7.
 *
 * One walker both checks and expands: called without an output buffer it
 * only checks the syntax (the record parser does that for every
 * domain-spec and modifier value, §4.6: syntax errors anywhere are a
 * permerror), with one it also writes the expansion.  Values are split and
 * rejoined in place (§7.3 transformers) without building part arrays, so
 * an expansion costs no allocation as long as it fits the caller's
 * buffer.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "spf_int.h"

/* ---- output buffer ---- */

void
inkan__spf_out_init(struct spf_out *o, char *buf, size_t cap, size_t max, struct inkan_arena *a)
{
	o->p = buf;
	o->len = 0;
	o->cap = buf != NULL ? cap : 0;
	o->max = max;
	o->a = a;
	o->err = 0;
	if (o->p != NULL && o->cap > 0)
		o->p[0] = '\0';
}

/* Make room for n more bytes plus a NUL; false (err set) if impossible. */
static bool
out_room(struct spf_out *o, size_t n)
{
	size_t need = o->len + n + 1, cap;
	char *p;

	if (need <= o->cap)
		return true;
	if (o->a == NULL) {
		o->err = INKAN_ETOOBIG;
		return false;
	}
	cap = o->cap < 64 ? 64 : o->cap;
	while (cap < need)
		cap *= 2;
	if (cap > o->max + 1)
		cap = o->max + 1;
	if ((p = inkan_arena_alloc(o->a, cap)) == NULL) {
		o->err = INKAN_ENOMEM;
		return false;
	}
	if (o->len > 0)
		memcpy(p, o->p, o->len);
	o->p = p;
	o->cap = cap;
	return true;
}

/* Append s[0..n).  Past o->max the part that fits is kept and the
 * buffer's error becomes INKAN_ETOOBIG: domain names treat that as
 * malformed, explanations as a cut. */
void
inkan__spf_out_put(struct spf_out *o, const char *s, size_t n)
{
	bool cut = false;

	if (o->err != 0 || n == 0)
		return;
	if (n > o->max - o->len) {
		n = o->max - o->len;
		cut = true;
	}
	if (!out_room(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	if (cut)
		o->err = INKAN_ETOOBIG;
}

static void
out_putc(struct spf_out *o, char c)
{
	inkan__spf_out_put(o, &c, 1);
}

/* RFC 3986 §2.3 unreserved characters; §7.3: an uppercase macro letter
 * URL-escapes everything else. */
static bool
unreserved(unsigned char c)
{
	return spf_is_alpha(c) || spf_is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void
put_escaped(struct spf_out *o, const char *s, size_t n, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!escape) {
		inkan__spf_out_put(o, s, n);
		return;
	}
	while (n > 0 && o->err == 0) {
		size_t run = 0;

		while (run < n && unreserved((unsigned char)s[run]))
			run++;
		inkan__spf_out_put(o, s, run);
		s += run;
		n -= run;
		if (n > 0) {
			unsigned char c = (unsigned char)*s;
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			inkan__spf_out_put(o, e, 3);
			s++;
			n--;
		}
	}
}

/* ---- transformers (§7.3) ---- */

#define DELIM_DOT 0x01

static unsigned
delim_bit(int c)
{
	switch (c) {
	case '.':
		return DELIM_DOT;
	case '-':
		return 0x02;
	case '+':
		return 0x04;
	case ',':
		return 0x08;
	case '/':
		return 0x10;
	case '_':
		return 0x20;
	case '=':
		return 0x40;
	default:
		return 0;
	}
}

static bool
is_delim(unsigned set, char c)
{
	unsigned b = delim_bit((unsigned char)c);

	return b != 0 && (set & b) != 0;
}

/* Write the parts s[0..n) selected by the transformers: split on the
 * delimiters in set, reverse if rev, keep the rightmost keep parts (0 =
 * all), rejoin with ".". */
static void
put_transformed(struct spf_out *o, const char *s, size_t n, unsigned long keep, bool rev,
    unsigned set, bool escape)
{
	size_t parts = 1, skip, i, start, end;

	for (i = 0; i < n; i++)
		if (is_delim(set, s[i]))
			parts++;
	if (keep == 0 || keep > parts)
		keep = parts;
	if (!rev) {
		/* the rightmost keep parts: skip the first parts - keep */
		skip = parts - keep;
		for (start = 0; skip > 0; start++)
			if (is_delim(set, s[start]))
				skip--;
		for (i = start; i <= n; i++) {
			if (i == n || is_delim(set, s[i])) {
				put_escaped(o, s + start, i - start, escape);
				if (i < n)
					out_putc(o, '.');
				start = i + 1;
			}
		}
		return;
	}
	/* Reversed, the rightmost keep parts are the first keep parts of the
	 * original, written last to first. */
	skip = keep;
	for (end = 0; end < n; end++)
		if (is_delim(set, s[end]) && --skip == 0)
			break;
	/* s[0..end) holds the first keep parts */
	i = end;
	for (;;) {
		start = i;
		while (start > 0 && !is_delim(set, s[start - 1]))
			start--;
		put_escaped(o, s + start, i - start, escape);
		if (start == 0)
			break;
		out_putc(o, '.');
		i = start - 1;
	}
}

/* ---- letter values (§7.2, §7.3) ---- */

static size_t
put_u8(char *p, unsigned v)
{
	size_t n = 0;

	if (v >= 100)
		p[n++] = (char)('0' + v / 100);
	if (v >= 10)
		p[n++] = (char)('0' + v / 10 % 10);
	p[n++] = (char)('0' + v % 10);
	return n;
}

/* %{i}: dotted quad, or 32 dot-separated nibbles for IPv6 (lowercase hex,
 * as in the §7.4 examples). */
static size_t
ip_dotted(const struct inkan_ip *ip, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (ip->family == 4) {
		for (int i = 0; i < 4; i++) {
			if (i > 0)
				buf[n++] = '.';
			n += put_u8(buf + n, ip->a[i]);
		}
		return n;
	}
	for (int i = 0; i < 16; i++) {
		buf[n++] = hex[ip->a[i] >> 4];
		buf[n++] = '.';
		buf[n++] = hex[ip->a[i] & 15];
		if (i < 15)
			buf[n++] = '.';
	}
	return n;
}

static const char *
nz(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

/* The value of macro letter l (lowercase) into *v, *n; tmp (at least 72
 * bytes) holds computed values. */
static int
letter_value(int l, const struct spf_mctx *m, char *tmp, const char **v, size_t *n)
{
	const struct inkan_spf_macro_ctx *c = m->pub;
	const char *s = NULL;
	int rc;

	switch (l) {
	case 's':
		s = nz(c->sender, "");
		break;
	case 'l':
		s = nz(c->local, "postmaster");
		break;
	case 'o':
		s = nz(c->sender_domain, "");
		break;
	case 'd':
		s = nz(c->domain, "");
		break;
	case 'h':
		s = nz(c->helo, "unknown");
		break;
	case 'r':
		s = nz(c->receiver, "unknown");
		break;
	case 'v':
		s = c->ip != NULL && c->ip->family == 6 ? "ip6" : "in-addr";
		break;
	case 'p':
		if (m->get_p != NULL) {
			if ((rc = m->get_p(m->arg, &s)) != 0)
				return rc;
		} else {
			s = nz(c->validated, "unknown");
		}
		break;
	case 'i':
		if (c->ip == NULL) {
			s = "";
			break;
		}
		*v = tmp;
		*n = ip_dotted(c->ip, tmp);
		return 0;
	case 'c':
		/* §7.3: the "easily readable" form, RFC 5952 for IPv6 */
		if (c->ip == NULL || inet_ntop(c->ip->family == 4 ? AF_INET : AF_INET6, c->ip->a,
		                         tmp, INKAN_IP_STRLEN) == NULL) {
			s = "";
			break;
		}
		s = tmp;
		break;
	case 't': {
		int k = snprintf(tmp, 32, "%lld", (long long)c->now);

		*v = tmp;
		*n = k > 0 ? (size_t)k : 0;
		return 0;
	}
	default:
		s = "";
		break;
	}
	*v = s;
	*n = strlen(s);
	return 0;
}

/* ---- the walker ---- */

static int
bad(struct inkan_spf_parse_error *err, size_t off, const char *why)
{
	if (err != NULL) {
		err->offset = off;
		err->why = why;
	}
	return INKAN_EMALFORMED;
}

static bool
letter_known(int l)
{
	return l != 0 && strchr("slodipvhcrt", l) != NULL;
}

/* Walk s: check it, and when o is non-NULL expand it.  flags: space and
 * the explanation-only letters allowed (explain-string, §7.1). */
static int
walk(struct spf_out *o, const char *s, size_t len, bool exp, const struct spf_mctx *m,
    bool *ends_with_expand, struct inkan_spf_parse_error *err)
{
	size_t i = 0;
	bool last_expand = false;
	char tmp[80];

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c != '%') {
			size_t j = i;

			while (j < len && s[j] != '%') {
				c = (unsigned char)s[j];
				if (c == ' ' && exp) {
					j++;
					continue;
				}
				if (c < 0x21 || c > 0x7e)
					return bad(err, j,
					    c == ' ' ? "space in a macro-string"
					             : "control character or non-ASCII byte in a "
					               "macro-string");
				j++;
			}
			if (o != NULL)
				inkan__spf_out_put(o, s + i, j - i);
			last_expand = false;
			i = j;
			continue;
		}
		if (i + 1 >= len)
			return bad(err, i,
			    "'%' at the end of a macro-string (write %% for a percent sign)");
		switch (s[i + 1]) {
		case '%':
			if (o != NULL)
				out_putc(o, '%');
			i += 2;
			last_expand = true;
			continue;
		case '_':
			if (o != NULL)
				out_putc(o, ' ');
			i += 2;
			last_expand = true;
			continue;
		case '-':
			if (o != NULL)
				inkan__spf_out_put(o, "%20", 3);
			i += 2;
			last_expand = true;
			continue;
		case '{':
			break;
		default:
			return bad(err, i,
			    "'%' not followed by '{', '%', '_' or '-' (write %% for a percent "
			    "sign)");
		}

		size_t start = i;
		unsigned long keep = 0;
		bool digits = false, rev = false, upper;
		unsigned set = 0;
		int l;

		i += 2;
		if (i >= len)
			return bad(err, start, "unterminated macro: missing '}'");
		l = spf_lower((unsigned char)s[i]);
		upper = s[i] >= 'A' && s[i] <= 'Z';
		if (!letter_known(l))
			return bad(err, i, "unknown macro letter (RFC 7208 §7.2)");
		if (!exp && (l == 'c' || l == 'r' || l == 't'))
			return bad(err, i,
			    "macro letters c, r and t are allowed only in explanations (RFC 7208 "
			    "§7.2)");
		i++;
		while (i < len && spf_is_digit((unsigned char)s[i])) {
			digits = true;
			/* more parts than any value can have: saturate */
			if (keep < 100000)
				keep = keep * 10 + (unsigned long)(s[i] - '0');
			i++;
		}
		if (digits && keep == 0)
			return bad(
			    err, start, "macro digit transformer must be nonzero (RFC 7208 §7.3)");
		if (i < len && (s[i] == 'r' || s[i] == 'R')) {
			rev = true;
			i++;
		}
		while (i < len && delim_bit((unsigned char)s[i]) != 0)
			set |= delim_bit((unsigned char)s[i++]);
		if (i >= len)
			return bad(err, start, "unterminated macro: missing '}'");
		if (s[i] != '}')
			return bad(err, i, "bad character in macro (RFC 7208 §7.1)");
		i++;
		last_expand = true;
		if (o == NULL)
			continue;

		const char *v;
		size_t n;
		int rc = letter_value(l, m, tmp, &v, &n);

		if (rc != 0)
			return rc;
		if (!digits && !rev && (set == 0 || set == DELIM_DOT))
			put_escaped(o, v, n, upper);
		else
			put_transformed(o, v, n, keep, rev, set == 0 ? DELIM_DOT : set, upper);
		if (o->err == INKAN_ENOMEM)
			return o->err;
	}
	if (ends_with_expand != NULL)
		*ends_with_expand = last_expand;
	if (o != NULL && o->err != 0)
		return o->err;
	return 0;
}

int
inkan__spf_macro_check(
    const char *s, size_t len, bool exp, bool *ends_with_expand, struct inkan_spf_parse_error *err)
{
	return walk(NULL, s, len, exp, NULL, ends_with_expand, err);
}

int
inkan__spf_macro_run(struct spf_out *o, const char *s, size_t len, bool exp,
    const struct spf_mctx *m, struct inkan_spf_parse_error *err)
{
	return walk(o, s, len, exp, m, NULL, err);
}

size_t
inkan__spf_truncate(const char *s, size_t *len)
{
	size_t n = *len, off = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	while (n - off > INKAN_SPF_MAX_EXPANDED) {
		const char *dot = memchr(s + off, '.', n - off);

		if (dot == NULL)
			return (size_t)-1;
		off = (size_t)(dot - s) + 1;
	}
	*len = n - off;
	return off;
}

int
inkan_spf_macro_expand(struct inkan_arena *a, const char *spec, size_t len, bool exp,
    const struct inkan_spf_macro_ctx *ctx, char **out, struct inkan_spf_parse_error *err)
{
	struct spf_mctx m = {ctx, NULL, NULL};
	struct spf_out o;
	int rc;

	*out = NULL;
	if (a == NULL || ctx == NULL || (spec == NULL && len > 0))
		return INKAN_EINVAL;
	inkan__spf_out_init(&o, NULL, 0, INKAN_SPF_MAX_MACRO_OUTPUT, a);
	if (!out_room(&o, len))
		return o.err;
	if ((rc = walk(&o, spec, len, exp, &m, NULL, err)) != 0)
		return rc;
	o.p[o.len] = '\0';
	*out = o.p;
	return 0;
}
