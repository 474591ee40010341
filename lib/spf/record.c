/* record.c - the SPF record parser, RFC 7208 §4.5, §4.6, §5, §6 and the
 * ABNF of §12.
 *
 * The record is read in two passes over the caller's bytes.  The first
 * rejects every byte that no term may contain (the grammar allows only
 * visible ASCII between single-space separators, §4.6.1) and counts the
 * terms, so that the term array is one arena allocation of the exact
 * size.  The second cuts each term into slices: nothing is copied, the
 * terms point into the record text.
 *
 * Every syntax error is reported with the byte offset in the record and a
 * static explanation, because `inkan spf lint` shows both to the operator
 * who has to fix the record.  §4.6: a syntax error anywhere makes the whole
 * record a permerror, so parsing stops at the first one.
 */
#include <arpa/inet.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "spf_int.h"

static const char *const verdict_names[] = {
    [INKAN_SPF_NONE] = "none",
    [INKAN_SPF_NEUTRAL] = "neutral",
    [INKAN_SPF_PASS] = "pass",
    [INKAN_SPF_FAIL] = "fail",
    [INKAN_SPF_SOFTFAIL] = "softfail",
    [INKAN_SPF_TEMPERROR] = "temperror",
    [INKAN_SPF_PERMERROR] = "permerror",
};

const char *
inkan_spf_verdict_name(enum inkan_spf_verdict v)
{
	if ((unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]))
		return verdict_names[v];
	return "unknown";
}

int
inkan_spf_verdict_from_name(const char *s)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(verdict_names) / sizeof(verdict_names[0]); i++)
		if (inkan_slice_caseeq_cstr(inkan_slice_cstr(s), verdict_names[i]))
			return (int)i;
	return -1;
}

/* §4.5: "v=spf1" (case-insensitive) followed by a space or the end. */
bool
inkan_spf_is_record(const char *s, size_t len)
{
	static const char v[] = "v=spf1";

	if (s == NULL || len < 6)
		return false;
	for (size_t i = 0; i < 6; i++)
		if (spf_lower((unsigned char)s[i]) != v[i])
			return false;
	return len == 6 || s[6] == ' ';
}

/* ---- helpers ---- */

struct pctx {
	struct inkan_spf_parse_error *err;
	size_t base; /* offset of the current term in the record */
};

static int
fail(struct pctx *c, size_t off, const char *why)
{
	c->err->offset = c->base + off;
	c->err->why = why;
	return INKAN_EMALFORMED;
}

static bool
is_alnum(int c)
{
	return spf_is_alpha(c) || spf_is_digit(c);
}

static bool
caseeq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i] != '\0'; i++)
		if (spf_lower((unsigned char)s[i]) != lit[i])
			return false;
	return i == n && lit[i] == '\0';
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )   (§7.1) */
static const char *
toplabel_why(const char *s, size_t n)
{
	bool alpha = false, hyphen = false;

	if (n == 0)
		return "domain-spec ends in an empty label";
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '-')
			hyphen = true;
		else if (spf_is_alpha(c))
			alpha = true;
		else if (!spf_is_digit(c))
			return "top-level label of a domain-spec may hold only letters, digits "
			       "and hyphens (RFC 7208 §7.1)";
	}
	if (hyphen) {
		if (s[0] == '-' || s[n - 1] == '-')
			return "top-level label starts or ends with a hyphen (RFC 7208 §7.1)";
		return NULL;
	}
	if (!alpha)
		return "top-level label is all numeric: an IP address belongs in ip4:/ip6:, "
		       "not in a domain-spec (RFC 7208 §7.1)";
	return NULL;
}

/* domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand      (§7.1) */
static int
check_domain_spec(struct pctx *c, const char *s, size_t n, size_t off)
{
	struct inkan_spf_parse_error me;
	bool ends_expand = false;
	size_t e, dot;
	const char *why;

	if (n == 0)
		return fail(c, off, "empty domain-spec");
	if (inkan__spf_macro_check(s, n, false, &ends_expand, &me) != 0)
		return fail(c, off + me.offset, me.why);
	if (ends_expand)
		return 0;
	e = n;
	if (s[e - 1] == '.')
		e--;
	for (dot = e; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0)
		return fail(c, off,
		    "domain-spec needs a dot and a top-level label, or must end "
		    "in a macro (RFC 7208 §7.1)");
	if ((why = toplabel_why(s + dot, e - dot)) != NULL)
		return fail(c, off + dot, why);
	return 0;
}

/* One cidr-length after its "/": digits, no leading zero, at most max. */
static int
parse_len(struct pctx *c, const char *s, size_t n, size_t off, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (n == 0)
		return fail(c, off, "cidr-length without digits");
	for (size_t i = 0; i < n; i++) {
		if (!spf_is_digit((unsigned char)s[i]))
			return fail(c, off + i, "cidr-length must be decimal digits");
		if (v <= 1000)
			v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (n > 1 && s[0] == '0')
		return fail(c, off, "cidr-length has a leading zero (RFC 7208 §5.6)");
	if (v > max)
		return fail(c, off,
		    max == 32 ? "ip4-cidr-length over 32 (RFC 7208 §5.6)"
		              : "ip6-cidr-length over 128 (RFC 7208 §5.6)");
	*out = v;
	return 0;
}

/* Where the dual-cidr-length of an a or mx argument starts: the longest
 * suffix of the form [ "/" 1*DIGIT ] [ "//" 1*DIGIT ].  Digits are what
 * tell a cidr from a "/" inside a domain-spec ("a:foo:bar/baz.example.com"
 * has none). */
static size_t
cidr_start(const char *s, size_t n)
{
	size_t e = n, p = n;

	while (p > 0 && spf_is_digit((unsigned char)s[p - 1]))
		p--;
	if (p < e && p >= 2 && s[p - 1] == '/' && s[p - 2] == '/') {
		e = p - 2;
		p = e;
		while (p > 0 && spf_is_digit((unsigned char)s[p - 1]))
			p--;
		if (p < e && p >= 1 && s[p - 1] == '/' && !(p >= 2 && s[p - 2] == '/'))
			e = p - 1;
		return e;
	}
	if (p < e && p >= 1 && s[p - 1] == '/')
		return p - 1;
	return n;
}

static int
parse_dual_cidr(struct pctx *c, struct inkan_spf_term *t, const char *s, size_t n, size_t off)
{
	size_t i = 0;
	int rc;

	if (n - i >= 1 && s[i] == '/' && !(n - i >= 2 && s[i + 1] == '/')) {
		size_t j = i + 1;

		while (j < n && s[j] != '/')
			j++;
		if ((rc = parse_len(c, s + i + 1, j - i - 1, off + i + 1, 32, &t->cidr4)) != 0)
			return rc;
		t->has_cidr4 = true;
		i = j;
	}
	if (i < n) {
		if (n - i < 2 || s[i] != '/' || s[i + 1] != '/')
			return fail(c, off + i,
			    "bad dual-cidr-length: write /N for IPv4 and //N "
			    "for IPv6 (RFC 7208 §5.6)");
		if ((rc = parse_len(c, s + i + 2, n - i - 2, off + i + 2, 128, &t->cidr6)) != 0)
			return rc;
		t->has_cidr6 = true;
	}
	return 0;
}

/* ip4-network = qnum "." qnum "." qnum "." qnum, no leading zeros (§12). */
static bool
parse_ip4(const char *s, size_t n, struct inkan_ip *ip)
{
	size_t i = 0;

	memset(ip, 0, sizeof(*ip));
	ip->family = 4;
	for (int k = 0; k < 4; k++) {
		unsigned v = 0;
		size_t d = 0;

		if (k > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && spf_is_digit((unsigned char)s[i]) && d < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || d > 3 || v > 255 || (d > 1 && s[i - d] == '0'))
			return false;
		ip->a[k] = (uint8_t)v;
	}
	return i == n;
}

static bool
parse_ip6(const char *s, size_t n, struct inkan_ip *ip)
{
	char tmp[INKAN_IP_STRLEN];

	memset(ip, 0, sizeof(*ip));
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	ip->family = 6;
	return inet_pton(AF_INET6, tmp, ip->a) == 1;
}

/* ---- terms ---- */

static const struct {
	const char *name;
	enum inkan_spf_term_kind kind;
} mechanisms[] = {
    {"all", INKAN_SPF_ALL},
    {"include", INKAN_SPF_INCLUDE},
    {"a", INKAN_SPF_A},
    {"mx", INKAN_SPF_MX},
    {"ptr", INKAN_SPF_PTR},
    {"ip4", INKAN_SPF_IP4},
    {"ip6", INKAN_SPF_IP6},
    {"exists", INKAN_SPF_EXISTS},
};

static bool
is_qualifier(int c)
{
	return c == '+' || c == '-' || c == '~' || c == '?';
}

static bool
is_name_char(int c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

/* modifier = redirect / explanation / unknown-modifier  (§4.6.1, §6) */
static int
parse_modifier(struct pctx *c, struct inkan_spf_term *t, const char *s, size_t n, size_t eq,
    struct inkan_spf_record *rec)
{
	const char *v = s + eq + 1;
	size_t vn = n - eq - 1;
	struct inkan_spf_parse_error me;
	bool dummy;
	int rc;

	if (eq == 0)
		return fail(c, 0, "modifier with an empty name");
	if (is_qualifier((unsigned char)s[0]))
		return fail(c, 0, "a modifier takes no qualifier (RFC 7208 §4.6.1)");
	if (!spf_is_alpha((unsigned char)s[0]))
		return fail(c, 0, "modifier name must start with a letter (RFC 7208 §4.6.1)");
	t->mod_name = (struct inkan_slice){s, eq};
	t->domain_spec = (struct inkan_slice){v, vn};
	t->qualifier = '+';
	if (caseeq(s, eq, "redirect")) {
		t->kind = INKAN_SPF_REDIRECT;
		if (rec->redirect != NULL)
			return fail(c, 0, "redirect appears twice (RFC 7208 §6)");
		if ((rc = check_domain_spec(c, v, vn, eq + 1)) != 0)
			return rc;
		rec->redirect = t;
		return 0;
	}
	if (caseeq(s, eq, "exp")) {
		t->kind = INKAN_SPF_EXP;
		if (rec->exp != NULL)
			return fail(c, 0, "exp appears twice (RFC 7208 §6)");
		if ((rc = check_domain_spec(c, v, vn, eq + 1)) != 0)
			return rc;
		rec->exp = t;
		return 0;
	}
	/* §6: unknown modifiers are ignored, but their value is still a
	 * macro-string (ABNF, §12).  It is never expanded, so every macro
	 * letter is allowed in it. */
	t->kind = INKAN_SPF_UNKNOWN_MOD;
	for (size_t i = 0; i < vn; i++)
		if (v[i] == ' ')
			return fail(c, eq + 1 + i, "space in a modifier value");
	if (inkan__spf_macro_check(v, vn, true, &dummy, &me) != 0)
		return fail(c, eq + 1 + me.offset, me.why);
	return 0;
}

static int
parse_mechanism(struct pctx *c, struct inkan_spf_term *t, const char *s, size_t n)
{
	size_t q = 0, k, colon;
	const char *arg;
	size_t an, cs;
	int rc;

	t->qualifier = '+';
	if (n > 0 && is_qualifier((unsigned char)s[0])) {
		t->qualifier = s[0];
		t->qualifier_explicit = true;
		q = 1;
	}
	if (q == n)
		return fail(c, 0, "qualifier without a mechanism");
	for (k = q; k < n && s[k] != ':' && s[k] != '/'; k++)
		;
	size_t m;

	/* the first letter picks the candidate; one comparison decides */
	switch (spf_lower((unsigned char)s[q])) {
	case 'a':
		m = k - q == 1 ? 2 : 0;
		break;
	case 'i':
		m = k - q == 7 ? 1 : k - q == 3 && s[q + 2] == '4' ? 5 : 6;
		break;
	case 'm':
		m = 3;
		break;
	case 'p':
		m = 4;
		break;
	case 'e':
		m = 7;
		break;
	default:
		m = sizeof(mechanisms) / sizeof(mechanisms[0]);
		break;
	}
	if (m < sizeof(mechanisms) / sizeof(mechanisms[0]) &&
	    !caseeq(s + q, k - q, mechanisms[m].name))
		m = sizeof(mechanisms) / sizeof(mechanisms[0]);
	if (m == sizeof(mechanisms) / sizeof(mechanisms[0])) {
		if (caseeq(s + q, k - q, "redirect") || caseeq(s + q, k - q, "exp"))
			return fail(c, q,
			    "redirect and exp are modifiers: write name=value "
			    "(RFC 7208 §6)");
		return fail(c, q, "unknown mechanism (RFC 7208 §5)");
	}
	t->kind = mechanisms[m].kind;
	arg = s + k;
	an = n - k;
	colon = k;

	switch (t->kind) {
	case INKAN_SPF_ALL:
		if (an > 0)
			return fail(
			    c, k, "all takes no argument and no cidr-length (RFC 7208 §5.1)");
		return 0;
	case INKAN_SPF_INCLUDE:
	case INKAN_SPF_EXISTS:
		if (an == 0 || arg[0] != ':')
			return fail(c, k,
			    t->kind == INKAN_SPF_INCLUDE
			        ? "include needs \":\" and a domain-spec (RFC 7208 §5.2)"
			        : "exists needs \":\" and a domain-spec (RFC 7208 §5.7)");
		t->domain_spec = (struct inkan_slice){arg + 1, an - 1};
		return check_domain_spec(c, arg + 1, an - 1, colon + 1);
	case INKAN_SPF_PTR:
		if (an == 0)
			return 0;
		if (arg[0] != ':')
			return fail(c, k, "ptr takes no cidr-length (RFC 7208 §5.5)");
		t->domain_spec = (struct inkan_slice){arg + 1, an - 1};
		return check_domain_spec(c, arg + 1, an - 1, colon + 1);
	case INKAN_SPF_A:
	case INKAN_SPF_MX:
		cs = cidr_start(arg, an);
		if ((rc = parse_dual_cidr(c, t, arg + cs, an - cs, k + cs)) != 0)
			return rc;
		if (an > 0 && arg[0] == ':') {
			t->domain_spec = (struct inkan_slice){arg + 1, cs - 1};
			return check_domain_spec(c, arg + 1, cs - 1, colon + 1);
		}
		if (cs != 0)
			return fail(c, k,
			    "bad dual-cidr-length: write /N for IPv4 and //N for "
			    "IPv6 (RFC 7208 §5.6)");
		return 0;
	case INKAN_SPF_IP4:
	case INKAN_SPF_IP6: {
		bool v4 = t->kind == INKAN_SPF_IP4;
		size_t sl;

		if (an < 2 || arg[0] != ':')
			return fail(c, k,
			    v4 ? "ip4 needs \":\" and an address (RFC 7208 §5.6)"
			       : "ip6 needs \":\" and an address (RFC 7208 §5.6)");
		for (sl = 1; sl < an && arg[sl] != '/'; sl++)
			;
		if (v4 ? !parse_ip4(arg + 1, sl - 1, &t->ip) : !parse_ip6(arg + 1, sl - 1, &t->ip))
			return fail(c, k + 1,
			    v4 ? "bad IPv4 address: four decimal numbers without leading zeros "
			         "(RFC 7208 §5.6)"
			       : "bad IPv6 address (RFC 7208 §5.6)");
		if (sl == an)
			return 0;
		if (an - sl >= 2 && arg[sl + 1] == '/')
			return fail(c, k + sl,
			    v4 ? "ip4 takes no ip6-cidr-length \"//\" "
			         "(RFC 7208 §5.6)"
			       : "ip6 takes \"/N\", not \"//N\" (RFC 7208 §5.6)");
		if (v4) {
			t->has_cidr4 = true;
			return parse_len(c, arg + sl + 1, an - sl - 1, k + sl + 1, 32, &t->cidr4);
		}
		t->has_cidr6 = true;
		return parse_len(c, arg + sl + 1, an - sl - 1, k + sl + 1, 128, &t->cidr6);
	}
	default:
		return fail(c, 0, "unknown mechanism (RFC 7208 §5)");
	}
}

static int
parse_term(struct pctx *c, struct inkan_spf_term *t, const char *s, size_t n,
    struct inkan_spf_record *rec)
{
	size_t k = 0;

	memset(t, 0, sizeof(*t));
	t->text = (struct inkan_slice){s, n};
	t->offset = c->base;
	t->cidr4 = 32;
	t->cidr6 = 128;
	/* §4.6.1: a modifier is name "=" ...; the '=' must come right after
	 * the name, before any ':' or '/' ("moo.cow/far_out=man" is a
	 * mechanism, and an unknown one).  A leading qualifier is scanned
	 * over so that "-redirect=x" gets a precise complaint. */
	if (n > 0 && is_qualifier((unsigned char)s[0]))
		k = 1;
	while (k < n && is_name_char((unsigned char)s[k]))
		k++;
	if (k < n && s[k] == '=')
		return parse_modifier(c, t, s, n, k, rec);
	return parse_mechanism(c, t, s, n);
}

int
inkan_spf_record_parse(struct inkan_arena *a, const char *s, size_t len,
    struct inkan_spf_record *out, struct inkan_spf_parse_error *err)
{
	struct inkan_spf_parse_error dummy;
	struct pctx c;
	size_t nterms = 0, i;
	bool in = false;
	int rc;

	if (err == NULL)
		err = &dummy;
	err->offset = 0;
	err->why = NULL;
	memset(out, 0, sizeof(*out));
	if (a == NULL || (s == NULL && len > 0))
		return INKAN_EINVAL;
	c.err = err;
	c.base = 0;
	if (len > INKAN_SPF_MAX_RECORD) {
		fail(&c, INKAN_SPF_MAX_RECORD, "record longer than inkan parses");
		return INKAN_ELIMIT;
	}
	if (!inkan_spf_is_record(s, len))
		return fail(&c, 0,
		    "record does not start with \"v=spf1\" and a space "
		    "(RFC 7208 §4.5)");
	for (i = 6; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == ' ') {
			in = false;
			continue;
		}
		if (ch < 0x21 || ch > 0x7e)
			return fail(&c, i,
			    ch >= 0x80 ? "non-ASCII byte: SPF records are ASCII (RFC 7208 §3, §12)"
			               : "control character: terms are separated by spaces only "
			                 "(RFC 7208 §4.6.1)");
		if (!in) {
			nterms++;
			in = true;
		}
	}
	if (nterms > INKAN_SPF_MAX_TERMS) {
		fail(&c, 0, "more terms than inkan parses in one record");
		return INKAN_ELIMIT;
	}
	if (nterms == 0)
		return 0;
	if ((out->terms = inkan_arena_alloc(a, nterms * sizeof(*out->terms))) == NULL)
		return INKAN_ENOMEM;
	for (i = 6; i < len;) {
		size_t j;

		if (s[i] == ' ') {
			i++;
			continue;
		}
		for (j = i; j < len && s[j] != ' '; j++)
			;
		c.base = i;
		if ((rc = parse_term(&c, &out->terms[out->n], s + i, j - i, out)) != 0) {
			out->redirect = out->exp = NULL;
			out->n = 0;
			return rc;
		}
		out->n++;
		i = j;
	}
	return 0;
}
