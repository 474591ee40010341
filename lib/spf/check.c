/* check.c - check_host(), RFC 7208 §4, with the mechanisms of §5, the
 * modifiers of §6 and the processing limits of §4.6.4.
 *
 * Design.  One struct state lives on the stack for a whole evaluation: the
 * client, the sender parts that macros need, and the running counts of
 * DNS-querying terms and void lookups, which §4.6.4 makes global to the
 * evaluation (include and redirect share them).  check_host() recurses for
 * include and redirect; the DNS-term limit bounds the depth at 10.
 *
 * Each check_host() call fills a struct hres: the verdict, the term that
 * produced it and the domain of the record holding that term, and that
 * record's exp= modifier.  A caller keeps what it needs: include keeps only
 * the verdict (§5.2), redirect takes the whole result (§6.1, so the
 * target's exp= applies and the redirecting record's does not, §6.2), and
 * the top level evaluates the explanation of the final fail once, after
 * evaluation (§6.2: exp lookups count against no limit).
 *
 * Nothing is cached across calls and nothing outside the arena is written:
 * when the resolver says INKAN_EAGAIN (a cache-only resolver missed), the
 * error is returned at once and the bulk driver runs the same evaluation
 * again from the start once the answer is cached.  The evaluation is
 * deterministic, so the re-run asks the same questions in the same order.
 */
#include <string.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "spf_int.h"

/* Room for a domain name from §7.3 truncation plus a NUL. */
#define NAMEBUF (INKAN_SPF_MAX_EXPANDED + 1)

/* The built-in explanation (§6.2 leaves it to the receiver). */
static const char default_exp[] = "%{o} does not designate %{c} as permitted sender for %{s}";

struct hres {
	enum inkan_spf_verdict v;
	const struct inkan_spf_term *term; /* matching term; NULL = default */
	const char *domain;                /* domain whose record gave the verdict */
	const struct inkan_spf_term *exp;  /* that record's exp=, or NULL */
};

struct state {
	struct inkan_resolver *r;
	struct inkan_arena *a;
	const struct inkan_spf_query *q;
	struct inkan_ip ip;            /* client, IPv4-mapped unmapped */
	struct inkan_spf_macro_ctx mc; /* .domain follows the recursion */
	struct spf_mctx m;
	unsigned terms, voids;
	const char *problem;
	bool trace;
	/* %{p}: validated names of the client, computed once (§7.3) */
	bool p_done;
	const char **pnames;
	size_t np;
};

/* ---- small helpers ---- */

static bool
name_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an > 0 && a[an - 1] == '.')
		an--;
	if (bn > 0 && b[bn - 1] == '.')
		bn--;
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (spf_lower((unsigned char)a[i]) != spf_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* child equals parent or ends in "." parent, ignoring case (§5.5). */
static bool
name_sub(const char *child, const char *parent)
{
	size_t cn = strlen(child), pn = strlen(parent);

	if (cn > 0 && child[cn - 1] == '.')
		cn--;
	if (pn > 0 && parent[pn - 1] == '.')
		pn--;
	if (cn < pn)
		return false;
	if (cn > pn && child[cn - pn - 1] != '.')
		return false;
	return name_eq(child + cn - pn, pn, parent, pn);
}

/* A name we may ask the DNS about: labels of 1..63 octets, at most 253
 * characters (RFC 1035 §2.3.4).  §4.3 and §4.8 leave the result for
 * other names undefined; a name that cannot be put in a query simply
 * does not exist, so the mechanism does not match. */
static bool
name_ok(const char *s, size_t n)
{
	size_t lab = 0;

	if (n == 0 || n > INKAN_SPF_MAX_EXPANDED)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (lab == 0 || lab > INKAN_DNAME_MAX_LABEL)
				return false;
			lab = 0;
		} else {
			lab++;
		}
	}
	return true;
}

static int set_problem(struct state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
set_problem(struct state *st, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = inkan_arena_vprintf(st->a, fmt, ap);
	va_end(ap);
	if (p == NULL)
		return INKAN_ENOMEM;
	st->problem = p;
	return 0;
}

/* End the evaluation with verdict v and a problem text. */
#define VERDICT(st, res, dom, verdict, ...)                                                       \
	do {                                                                                      \
		(res)->v = (verdict);                                                             \
		(res)->term = NULL;                                                               \
		(res)->domain = (dom);                                                            \
		(res)->exp = NULL;                                                                \
		return set_problem((st), __VA_ARGS__);                                            \
	} while (0)

/* Ask the resolver.  Names here are raw octets (a macro may put a space
 * or a '(' into a label, §7.1 "macro-mania"); the resolver takes
 * presentation form, so such octets are escaped as RFC 1035 §5.1 allows
 * and exactly as ldns prints names (\c for ; ( ) \, \DDD for the rest),
 * so that names match those loaded from zone files.  Most names need
 * nothing and are passed as they are. */
static int
query(struct state *st, const char *name, uint16_t type, struct inkan_dns_answer *ans)
{
	char esc[INKAN_SPF_MAX_EXPANDED * 4 + 1];
	size_t i, n = 0;

	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f || c == ';' || c == '(' || c == ')' || c == '\\')
			break;
	}
	if (name[i] == '\0' || strlen(name) > INKAN_SPF_MAX_EXPANDED)
		return inkan_dns_query(st->r, st->a, name, type, ans);
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == ';' || c == '(' || c == ')' || c == '\\') {
			esc[n++] = '\\';
			esc[n++] = (char)c;
		} else if (c <= 0x20 || c >= 0x7f) {
			esc[n++] = '\\';
			esc[n++] = (char)('0' + c / 100);
			esc[n++] = (char)('0' + c / 10 % 10);
			esc[n++] = (char)('0' + c % 10);
		} else {
			esc[n++] = (char)c;
		}
	}
	esc[n] = '\0';
	return inkan_dns_query(st->r, st->a, esc, type, ans);
}

static bool
is_void(const struct inkan_dns_answer *ans)
{
	return ans->status == INKAN_DNS_NXDOMAIN || ans->status == INKAN_DNS_NODATA ||
	       (ans->status == INKAN_DNS_OK && ans->nrr == 0);
}

static bool
is_error(const struct inkan_dns_answer *ans)
{
	return ans->status == INKAN_DNS_SERVFAIL || ans->status == INKAN_DNS_TIMEOUT;
}

static void
trace_term(struct state *st, const char *domain, const struct inkan_spf_term *t)
{
	if (st->trace)
		inkan_dns_tracef(st->r, "spf %s: %.*s (dns terms %u/%d, void %u/%d)", domain,
		    (int)t->text.len, t->text.p, st->terms, INKAN_SPF_MAX_DNS_TERMS, st->voids,
		    INKAN_SPF_MAX_VOID_LOOKUPS);
}

/* Names decoded from rdata (MX, PTR) come in presentation form, with
 * \DDD and \X escapes; everything here works on raw octets (query()
 * escapes again).  Undo the escapes in place.  A label holding a '.' has
 * no raw form: false, and the name is skipped. */
static bool
raw_name(char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0'; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		if (spf_is_digit((unsigned char)r[1]) && spf_is_digit((unsigned char)r[2]) &&
		    spf_is_digit((unsigned char)r[3])) {
			unsigned v = (unsigned)(r[1] - '0') * 100 + (unsigned)(r[2] - '0') * 10 +
			             (unsigned)(r[3] - '0');

			if (v == '.' || v == 0 || v > 255)
				return false;
			*w++ = (char)v;
			r += 3;
		} else if (r[1] != '\0' && r[1] != '.') {
			*w++ = *++r;
		} else {
			return false;
		}
	}
	*w = '\0';
	return true;
}

/* ---- target names (§4.8, §7.3) ---- */

/* The <target-name> of t: its domain-spec expanded and shortened per
 * §7.3, or domain when it has none.  Writes a NUL-terminated name into
 * buf[NAMEBUF] and sets *ok; *ok = false means the name is malformed
 * (no query can be made for it). */
static int
target_name(struct state *st, const char *domain, struct inkan_slice spec, char *buf, bool *ok)
{
	char tmp[512];
	struct spf_out o;
	const char *src;
	size_t n, off;
	int rc;

	*ok = false;
	buf[0] = '\0';
	if (spec.len == 0) {
		src = domain;
		n = strlen(domain);
	} else if (memchr(spec.p, '%', spec.len) == NULL) {
		src = spec.p;
		n = spec.len;
	} else {
		inkan__spf_out_init(&o, tmp, sizeof(tmp), INKAN_SPF_MAX_MACRO_OUTPUT, st->a);
		st->mc.domain = domain;
		rc = inkan__spf_macro_run(&o, spec.p, spec.len, false, &st->m, NULL);
		if (rc == INKAN_ETOOBIG || rc == INKAN_EMALFORMED)
			return 0;
		if (rc != 0)
			return rc;
		src = o.p;
		n = o.len;
	}
	if ((off = inkan__spf_truncate(src, &n)) == (size_t)-1)
		return 0;
	if (!name_ok(src + off, n))
		return 0;
	memcpy(buf, src + off, n);
	buf[n] = '\0';
	*ok = true;
	return 0;
}

/* ---- %{p} (§7.3 with the procedure of §5.5) ---- */

/* True if name has an address record equal to the client. Errors and
 * missing data only mean "not validated" (§5.5). */
static int
validate(struct state *st, const char *name, bool *valid)
{
	struct inkan_dns_answer ans;
	struct inkan_ip ip;
	int rc;

	*valid = false;
	rc = query(st, name, st->ip.family == 4 ? INKAN_DNS_A : INKAN_DNS_AAAA, &ans);
	if (rc != 0)
		return rc;
	if (ans.status != INKAN_DNS_OK)
		return 0;
	for (size_t i = 0; i < ans.nrr; i++)
		if (inkan_dns_rr_ip(&ans.rr[i], &ip) == 0 &&
		    inkan_ip_match(&st->ip, &ip, st->ip.family == 4 ? 32 : 128)) {
			*valid = true;
			return 0;
		}
	return 0;
}

/* The reverse-lookup name of the client, in buf (at least 80 bytes). */
static void
reverse_name(const struct inkan_ip *ip, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf;

	if (ip->family == 4) {
		for (int i = 3; i >= 0; i--) {
			unsigned v = ip->a[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = '.';
		}
		memcpy(p, "in-addr.arpa", sizeof("in-addr.arpa"));
		return;
	}
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[ip->a[i] & 15];
		*p++ = '.';
		*p++ = hex[ip->a[i] >> 4];
		*p++ = '.';
	}
	memcpy(p, "ip6.arpa", sizeof("ip6.arpa"));
}

static int
compute_p(struct state *st)
{
	struct inkan_dns_answer ans;
	char rev[80];
	size_t n;
	int rc;

	reverse_name(&st->ip, rev);
	if ((rc = query(st, rev, INKAN_DNS_PTR, &ans)) != 0)
		return rc;
	st->np = 0;
	if (ans.status != INKAN_DNS_OK || ans.nrr == 0)
		return 0;
	/* §4.6.4: no more than 10 PTR names are considered */
	n = ans.nrr < INKAN_SPF_MAX_PTR_NAMES ? ans.nrr : INKAN_SPF_MAX_PTR_NAMES;
	if ((st->pnames = inkan_arena_alloc(st->a, n * sizeof(*st->pnames))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char *name;
		bool valid;

		if (inkan_dns_rr_name(st->a, &ans.rr[i], &name) != 0 || !raw_name(name) ||
		    !name_ok(name, strlen(name)))
			continue;
		if ((rc = validate(st, name, &valid)) != 0)
			return rc;
		if (valid)
			st->pnames[st->np++] = name;
	}
	return 0;
}

/* §7.3: the <domain> itself if validated, else a subdomain of it, else
 * any validated name, else "unknown". */
static int
get_p(void *arg, const char **out)
{
	struct state *st = arg;
	const char *d = st->mc.domain;
	int rc;

	if (!st->p_done) {
		if ((rc = compute_p(st)) != 0)
			return rc;
		st->p_done = true;
	}
	*out = "unknown";
	for (size_t i = 0; i < st->np; i++)
		if (name_eq(st->pnames[i], strlen(st->pnames[i]), d, strlen(d))) {
			*out = st->pnames[i];
			return 0;
		}
	for (size_t i = 0; i < st->np; i++)
		if (name_sub(st->pnames[i], d)) {
			*out = st->pnames[i];
			return 0;
		}
	if (st->np > 0)
		*out = st->pnames[0];
	return 0;
}

/* ---- record lookup (§4.4, §4.5) ---- */

/* Find and parse the SPF record of domain.  On success *found is true;
 * otherwise res holds none, temperror or permerror. */
static int
fetch_record(struct state *st, const char *domain, struct inkan_spf_record *rec, bool *found,
    struct hres *res)
{
	struct inkan_dns_answer ans;
	struct inkan_spf_parse_error pe;
	const char *text = NULL;
	size_t tlen = 0, nspf = 0;
	int rc;

	*found = false;
	if ((rc = query(st, domain, INKAN_DNS_TXT, &ans)) != 0)
		return rc;
	if (is_error(&ans))
		VERDICT(st, res, domain, INKAN_SPF_TEMPERROR,
		    "DNS %s looking up TXT %s (RFC 7208 §4.4)", inkan_dns_status_name(ans.status),
		    domain);
	if (ans.status != INKAN_DNS_OK)
		VERDICT(st, res, domain, INKAN_SPF_NONE, "no SPF record at %s (%s)", domain,
		    inkan_dns_status_name(ans.status));
	/* §4.5: discard TXT records that do not start with "v=spf1" */
	for (size_t i = 0; i < ans.nrr; i++) {
		const struct inkan_dns_rr *rr = &ans.rr[i];
		char *t;
		size_t tl;

		/* Cheap filter on the first character-string; the TXT is decoded
		 * (all strings joined, §3.3) only when it may be SPF. */
		size_t peek = rr->len > 0 && rr->data[0] == 6 ? 6 : 7;

		if (rr->len > peek && rr->data[0] >= 6 &&
		    !inkan_spf_is_record((const char *)rr->data + 1, peek))
			continue;
		if (inkan_dns_rr_txt(st->a, rr, &t, &tl) != 0 || !inkan_spf_is_record(t, tl))
			continue;
		if (++nspf == 1) {
			text = t;
			tlen = tl;
		}
	}
	if (nspf == 0)
		VERDICT(st, res, domain, INKAN_SPF_NONE,
		    "no SPF record at %s among %zu TXT records", domain, ans.nrr);
	if (nspf > 1)
		VERDICT(st, res, domain, INKAN_SPF_PERMERROR,
		    "%zu SPF records at %s: there must be one (RFC 7208 §4.5)", nspf, domain);
	if (st->trace) {
		/* the record is DNS data: no control bytes into a terminal */
		char show[INKAN_SPF_LINT_UDP_RECORD + 1];
		size_t k;

		for (k = 0; k < tlen && k < sizeof(show) - 1; k++)
			show[k] = text[k] >= 0x20 && text[k] < 0x7f ? text[k] : '?';
		show[k] = '\0';
		inkan_dns_tracef(
		    st->r, "spf %s: record \"%s\"%s", domain, show, k < tlen ? "..." : "");
	}
	rc = inkan_spf_record_parse(st->a, text, tlen, rec, &pe);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		size_t from = pe.offset > 20 ? pe.offset - 20 : 0;
		size_t to = pe.offset + 20 < tlen ? pe.offset + 20 : tlen;
		char near[41];
		size_t k;

		/* the bad byte itself may be a control or non-ASCII byte */
		for (k = 0; from + k < to; k++) {
			char ch = text[from + k];

			near[k] = ch >= 0x20 && ch < 0x7f ? ch : '?';
		}
		near[k] = '\0';
		VERDICT(st, res, domain, INKAN_SPF_PERMERROR,
		    "syntax error in the SPF record of %s at offset %zu: %s (near \"%s\")", domain,
		    pe.offset, pe.why != NULL ? pe.why : "?", near);
	}
	*found = true;
	return 0;
}

/* ---- mechanisms (§5) ---- */

/* §4.6.4: count a term that queries the DNS; false (res set) past 10. */
static int
count_term(struct state *st, const char *domain, const struct inkan_spf_term *t, bool *over,
    struct hres *res)
{
	*over = false;
	if (++st->terms <= INKAN_SPF_MAX_DNS_TERMS)
		return 0;
	*over = true;
	VERDICT(st, res, domain, INKAN_SPF_PERMERROR,
	    "more than %d DNS-querying terms, at %.*s in %s (RFC 7208 §4.6.4)",
	    INKAN_SPF_MAX_DNS_TERMS, (int)t->text.len, t->text.p, domain);
}

/* §4.6.4: count a void lookup; *over (res set) past 2. */
static int
count_void(struct state *st, const char *domain, const char *name, bool *over, struct hres *res)
{
	*over = false;
	if (++st->voids <= INKAN_SPF_MAX_VOID_LOOKUPS)
		return 0;
	*over = true;
	VERDICT(st, res, domain, INKAN_SPF_PERMERROR,
	    "more than %d void lookups, the last for %s (RFC 7208 §4.6.4)",
	    INKAN_SPF_MAX_VOID_LOOKUPS, name);
}

/* Does any address record of name match the client within the cidr of t?
 * Used by a (§5.3) and for each MX host (§5.4).  void_counts: whether
 * an empty answer is a void lookup for §4.6.4. */
static int
addr_match(struct state *st, const char *domain, const struct inkan_spf_term *t, const char *name,
    bool void_counts, bool *match, bool *done, struct hres *res)
{
	struct inkan_dns_answer ans;
	struct inkan_ip ip;
	unsigned prefix = st->ip.family == 4 ? t->cidr4 : t->cidr6;
	bool over;
	int rc;

	*match = false;
	*done = false;
	rc = query(st, name, st->ip.family == 4 ? INKAN_DNS_A : INKAN_DNS_AAAA, &ans);
	if (rc != 0)
		return rc;
	if (is_error(&ans)) {
		*done = true;
		VERDICT(st, res, domain, INKAN_SPF_TEMPERROR,
		    "DNS %s looking up %s for %.*s (RFC 7208 §5)",
		    inkan_dns_status_name(ans.status), name, (int)t->text.len, t->text.p);
	}
	if (is_void(&ans)) {
		if (void_counts && (rc = count_void(st, domain, name, &over, res)) != 0)
			return rc;
		*done = void_counts && over;
		return 0;
	}
	for (size_t i = 0; i < ans.nrr; i++)
		if (inkan_dns_rr_ip(&ans.rr[i], &ip) == 0 &&
		    inkan_ip_match(&st->ip, &ip, prefix)) {
			*match = true;
			return 0;
		}
	return 0;
}

struct mxent {
	unsigned pref;
	char *name;
};

/* §5.4: the addresses of the MX hosts of name, in preference order; at
 * most 10 hosts are looked at (§4.6.4), needing an 11th is permerror. */
static int
eval_mx(struct state *st, const char *domain, const struct inkan_spf_term *t, const char *name,
    bool *match, bool *done, struct hres *res)
{
	struct inkan_dns_answer ans;
	struct mxent *mx;
	size_t n = 0;
	bool over;
	int rc;

	*match = false;
	*done = false;
	if ((rc = query(st, name, INKAN_DNS_MX, &ans)) != 0)
		return rc;
	if (is_error(&ans)) {
		*done = true;
		VERDICT(st, res, domain, INKAN_SPF_TEMPERROR,
		    "DNS %s looking up MX %s (RFC 7208 §5)", inkan_dns_status_name(ans.status),
		    name);
	}
	if (is_void(&ans)) {
		/* §5.4: no MX means no match, never an implicit MX */
		if ((rc = count_void(st, domain, name, &over, res)) != 0)
			return rc;
		*done = over;
		return 0;
	}
	if ((mx = inkan_arena_alloc(st->a, ans.nrr * sizeof(*mx))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < ans.nrr; i++) {
		unsigned pref;
		char *x;
		size_t j;

		/* RFC 7505 Null MX ("0 ."): no host, nothing to look up */
		if (inkan_dns_rr_mx(st->a, &ans.rr[i], &pref, &x) != 0 || x[0] == '\0' ||
		    !raw_name(x))
			continue;
		/* stable insertion by preference */
		for (j = n; j > 0 && mx[j - 1].pref > pref; j--)
			mx[j] = mx[j - 1];
		mx[j].pref = pref;
		mx[j].name = x;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		if (i == INKAN_SPF_MAX_MX_NAMES) {
			*done = true;
			VERDICT(st, res, domain, INKAN_SPF_PERMERROR,
			    "%s has more than %d MX hosts for %.*s (RFC 7208 §4.6.4)", name,
			    INKAN_SPF_MAX_MX_NAMES, (int)t->text.len, t->text.p);
		}
		if (!name_ok(mx[i].name, strlen(mx[i].name)))
			continue;
		rc = addr_match(st, domain, t, mx[i].name, false, match, done, res);
		if (rc != 0 || *match || *done)
			return rc;
	}
	return 0;
}

/* §5.5: a validated PTR name of the client that is target or below it. */
static int
eval_ptr(struct state *st, const char *domain, const char *target, bool *match, bool *done,
    struct hres *res)
{
	struct inkan_dns_answer ans;
	char rev[80];
	size_t n;
	bool over;
	int rc;

	*match = false;
	*done = false;
	reverse_name(&st->ip, rev);
	if ((rc = query(st, rev, INKAN_DNS_PTR, &ans)) != 0)
		return rc;
	if (is_void(&ans)) {
		if ((rc = count_void(st, domain, rev, &over, res)) != 0)
			return rc;
		*done = over;
		return 0;
	}
	/* §5.5: a DNS error on the PTR lookup means no match */
	if (ans.status != INKAN_DNS_OK)
		return 0;
	n = ans.nrr < INKAN_SPF_MAX_PTR_NAMES ? ans.nrr : INKAN_SPF_MAX_PTR_NAMES;
	for (size_t i = 0; i < n; i++) {
		char *name;
		bool valid;

		if (inkan_dns_rr_name(st->a, &ans.rr[i], &name) != 0 || !raw_name(name))
			continue;
		/* Only names that would match need validating: same result,
		 * fewer queries. */
		if (!name_ok(name, strlen(name)) || !name_sub(name, target))
			continue;
		if ((rc = validate(st, name, &valid)) != 0)
			return rc;
		if (valid) {
			*match = true;
			return 0;
		}
	}
	return 0;
}

/* §5.7: any A record (A even for an IPv6 client). */
static int
eval_exists(struct state *st, const char *domain, const char *name, bool *match, bool *done,
    struct hres *res)
{
	struct inkan_dns_answer ans;
	bool over;
	int rc;

	*match = false;
	*done = false;
	if ((rc = query(st, name, INKAN_DNS_A, &ans)) != 0)
		return rc;
	if (is_error(&ans)) {
		*done = true;
		VERDICT(st, res, domain, INKAN_SPF_TEMPERROR,
		    "DNS %s looking up A %s for exists "
		    "(RFC 7208 §5.7)",
		    inkan_dns_status_name(ans.status), name);
	}
	if (is_void(&ans)) {
		if ((rc = count_void(st, domain, name, &over, res)) != 0)
			return rc;
		*done = over;
		return 0;
	}
	*match = true;
	return 0;
}

static enum inkan_spf_verdict
qualifier_verdict(char q)
{
	switch (q) {
	case '-':
		return INKAN_SPF_FAIL;
	case '~':
		return INKAN_SPF_SOFTFAIL;
	case '?':
		return INKAN_SPF_NEUTRAL;
	default:
		return INKAN_SPF_PASS;
	}
}

static int check_host(struct state *st, const char *domain, struct hres *res);

/* Target of include or redirect, kept in the arena: it becomes the
 * <domain> of a nested check_host(). */
static int
nested_target(struct state *st, const char *domain, const struct inkan_spf_term *t, char **out)
{
	char buf[NAMEBUF];
	bool ok;
	int rc;

	*out = NULL;
	if ((rc = target_name(st, domain, t->domain_spec, buf, &ok)) != 0)
		return rc;
	if (!ok)
		return 0;
	if ((*out = inkan_arena_strdup(st->a, buf)) == NULL)
		return INKAN_ENOMEM;
	return 0;
}

/* §5.2: include maps the nested result. */
static int
eval_include(struct state *st, const char *domain, const struct inkan_spf_term *t, bool *match,
    bool *done, struct hres *res)
{
	struct hres sub;
	char *target;
	int rc;

	*match = false;
	*done = false;
	if ((rc = nested_target(st, domain, t, &target)) != 0)
		return rc;
	if (target == NULL) {
		*done = true;
		VERDICT(st, res, domain, INKAN_SPF_PERMERROR,
		    "%.*s: the target name is not a valid "
		    "domain name (RFC 7208 §5.2)",
		    (int)t->text.len, t->text.p);
	}
	if ((rc = check_host(st, target, &sub)) != 0)
		return rc;
	st->mc.domain = domain;
	switch (sub.v) {
	case INKAN_SPF_PASS:
		*match = true;
		return 0;
	case INKAN_SPF_FAIL:
	case INKAN_SPF_SOFTFAIL:
	case INKAN_SPF_NEUTRAL:
		return 0;
	case INKAN_SPF_TEMPERROR:
	case INKAN_SPF_PERMERROR:
		*done = true;
		res->v = sub.v;
		res->term = NULL;
		res->domain = sub.domain;
		res->exp = NULL;
		return 0;
	case INKAN_SPF_NONE:
	default:
		*done = true;
		VERDICT(st, res, domain, INKAN_SPF_PERMERROR,
		    "%.*s: %s has no SPF record (RFC 7208 "
		    "§5.2)",
		    (int)t->text.len, t->text.p, target);
	}
}

/* One check_host() (§4): domain is valid here. */
static int
check_host(struct state *st, const char *domain, struct hres *res)
{
	struct inkan_spf_record rec;
	const char *saved = st->mc.domain;
	bool found, over, match, done;
	int rc;

	memset(res, 0, sizeof(*res));
	res->domain = domain;
	st->mc.domain = domain;
	if ((rc = fetch_record(st, domain, &rec, &found, res)) != 0 || !found)
		goto out;
	for (size_t i = 0; i < rec.n; i++) {
		const struct inkan_spf_term *t = &rec.terms[i];
		char name[NAMEBUF];
		bool ok;

		match = done = false;
		switch (t->kind) {
		case INKAN_SPF_ALL:
			trace_term(st, domain, t);
			match = true;
			break;
		case INKAN_SPF_IP4:
		case INKAN_SPF_IP6:
			trace_term(st, domain, t);
			match = st->ip.family == t->ip.family &&
			        inkan_ip_match(
			            &st->ip, &t->ip, st->ip.family == 4 ? t->cidr4 : t->cidr6);
			break;
		case INKAN_SPF_INCLUDE:
		case INKAN_SPF_A:
		case INKAN_SPF_MX:
		case INKAN_SPF_PTR:
		case INKAN_SPF_EXISTS:
			if ((rc = count_term(st, domain, t, &over, res)) != 0 || over)
				goto out;
			trace_term(st, domain, t);
			if (t->kind == INKAN_SPF_INCLUDE) {
				rc = eval_include(st, domain, t, &match, &done, res);
				break;
			}
			if ((rc = target_name(st, domain, t->domain_spec, name, &ok)) != 0)
				goto out;
			if (!ok) {
				if (st->trace)
					inkan_dns_tracef(st->r,
					    "spf %s: %.*s: target name is "
					    "malformed, no match",
					    domain, (int)t->text.len, t->text.p);
				break;
			}
			if (t->kind == INKAN_SPF_A)
				rc = addr_match(st, domain, t, name, true, &match, &done, res);
			else if (t->kind == INKAN_SPF_MX)
				rc = eval_mx(st, domain, t, name, &match, &done, res);
			else if (t->kind == INKAN_SPF_PTR)
				rc = eval_ptr(st, domain, name, &match, &done, res);
			else
				rc = eval_exists(st, domain, name, &match, &done, res);
			break;
		default:
			continue; /* modifiers act after the mechanisms */
		}
		if (rc != 0 || done)
			goto out;
		if (match) {
			res->v = qualifier_verdict(t->qualifier);
			res->term = t;
			res->domain = domain;
			res->exp = rec.exp;
			if (st->trace)
				inkan_dns_tracef(st->r, "spf %s: %.*s matched -> %s", domain,
				    (int)t->text.len, t->text.p, inkan_spf_verdict_name(res->v));
			goto out;
		}
	}
	if (rec.redirect != NULL) {
		/* §6.1: redirect acts only when no mechanism matched */
		const struct inkan_spf_term *t = rec.redirect;
		char *target;

		if ((rc = count_term(st, domain, t, &over, res)) != 0 || over)
			goto out;
		trace_term(st, domain, t);
		if ((rc = nested_target(st, domain, t, &target)) != 0)
			goto out;
		if (target == NULL) {
			rc = set_problem(st,
			    "%.*s: the target name is not a valid domain name "
			    "(RFC 7208 §6.1)",
			    (int)t->text.len, t->text.p);
			res->v = INKAN_SPF_PERMERROR;
			goto out;
		}
		if ((rc = check_host(st, target, res)) != 0)
			goto out;
		if (res->v == INKAN_SPF_NONE) {
			res->v = INKAN_SPF_PERMERROR;
			res->domain = domain;
			rc = set_problem(st, "%.*s: %s has no SPF record (RFC 7208 §6.1)",
			    (int)t->text.len, t->text.p, target);
		}
		goto out;
	}
	/* §4.7: no match and no redirect */
	res->v = INKAN_SPF_NEUTRAL;
	res->term = NULL;
	res->domain = domain;
	res->exp = rec.exp;
out:
	st->mc.domain = saved;
	return rc;
}

/* ---- explanation (§6.2) ---- */

static int
expand_exp(struct state *st, const char *domain, const char *text, size_t len, char **out)
{
	char tmp[512];
	struct spf_out o;
	int rc;

	*out = NULL;
	inkan__spf_out_init(&o, tmp, sizeof(tmp), INKAN_SPF_MAX_EXPLANATION, st->a);
	st->mc.domain = domain;
	rc = inkan__spf_macro_run(&o, text, len, true, &st->m, NULL);
	if (rc == INKAN_EMALFORMED)
		return 0;
	if (rc != 0 && rc != INKAN_ETOOBIG) /* too long: keep what fits */
		return rc;
	if ((*out = inkan_arena_strndup(st->a, o.p, o.len)) == NULL)
		return INKAN_ENOMEM;
	return 0;
}

static int
explain(struct state *st, const struct hres *res, const char **out)
{
	const char *dflt = st->q->default_exp != NULL ? st->q->default_exp : default_exp;
	char *text = NULL, *exp = NULL;
	size_t tlen = 0;
	int rc;

	*out = NULL;
	if (res->exp != NULL) {
		struct inkan_dns_answer ans;
		char name[NAMEBUF];
		bool ok;

		/* §6.2: any problem (bad name, DNS error, not exactly one TXT
		 * record, bad explain-string) means: as if there were no exp= */
		if ((rc = target_name(st, res->domain, res->exp->domain_spec, name, &ok)) != 0)
			return rc;
		if (ok) {
			if ((rc = query(st, name, INKAN_DNS_TXT, &ans)) != 0)
				return rc;
			if (ans.status == INKAN_DNS_OK && ans.nrr == 1 &&
			    inkan_dns_rr_txt(st->a, &ans.rr[0], &text, &tlen) != 0)
				text = NULL;
		}
		if (text != NULL && (rc = expand_exp(st, res->domain, text, tlen, &exp)) != 0)
			return rc;
	}
	if (exp == NULL) {
		if ((rc = expand_exp(st, res->domain, dflt, strlen(dflt), &exp)) != 0)
			return rc;
		if (exp == NULL && (exp = inkan_arena_strdup(st->a, dflt)) == NULL)
			return INKAN_ENOMEM;
	}
	*out = exp;
	return 0;
}

/* ---- entry ---- */

static char *
slice_dup(struct inkan_arena *a, const char *s, size_t n)
{
	return inkan_arena_strndup(a, s, n);
}

int
inkan_spf_check(struct inkan_resolver *r, struct inkan_arena *a, const struct inkan_spf_query *q,
    struct inkan_spf_result *out)
{
	struct state st;
	struct hres res;
	const char *s, *helo, *at;
	char *sender, *local, *domain;
	size_t slen, dlen;
	unsigned long nq0;
	const char *why;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (r == NULL || a == NULL || q == NULL || out == NULL ||
	    (q->ip.family != 4 && q->ip.family != 6))
		return INKAN_EINVAL;
	memset(&st, 0, sizeof(st));
	st.r = r;
	st.a = a;
	st.q = q;
	st.ip = q->ip;
	inkan_ip_unmap(&st.ip); /* §5: IPv4-mapped clients are IPv4 */
	st.trace = r->trace != NULL;
	st.m.pub = &st.mc;
	st.m.get_p = get_p;
	st.m.arg = &st;
	nq0 = r->nqueries;

	/* §2.4, §4.3: the identity, its local-part and domain */
	helo = q->helo != NULL ? q->helo : "";
	s = q->scope == INKAN_SPF_SCOPE_HELO || q->sender == NULL ? "" : q->sender;
	slen = strlen(s);
	if (slen >= 2 && s[0] == '<' && s[slen - 1] == '>') {
		s++;
		slen -= 2;
	}
	out->identity = q->scope == INKAN_SPF_SCOPE_HELO ? "helo" : "mailfrom";
	if (slen == 0) {
		/* §2.4: a null reverse-path checks postmaster@HELO */
		local = "postmaster";
		domain = slice_dup(a, helo, strlen(helo));
		sender = inkan_arena_printf(a, "postmaster@%s", helo);
	} else if ((at = memrchr(s, '@', slen)) == NULL || at == s) {
		/* §4.3: no local-part means "postmaster" */
		const char *d = at == NULL ? s : at + 1;
		size_t dl = slen - (size_t)(d - s);

		local = "postmaster";
		domain = slice_dup(a, d, dl);
		sender = inkan_arena_printf(a, "postmaster@%.*s", (int)dl, d);
	} else {
		local = slice_dup(a, s, (size_t)(at - s));
		domain = slice_dup(a, at + 1, slen - (size_t)(at - s) - 1);
		sender = slice_dup(a, s, slen);
	}
	if (local == NULL || domain == NULL || sender == NULL)
		return INKAN_ENOMEM;
	dlen = strlen(domain);
	if (dlen > 0 && domain[dlen - 1] == '.')
		domain[--dlen] = '\0';
	out->sender = sender;
	out->domain = domain;

	/* §4.3: internationalized names are checked as A-labels */
	for (size_t i = 0; i < dlen; i++) {
		if ((unsigned char)domain[i] < 0x80)
			continue;
		char *alabel;

		if (inkan_dname_to_ascii(a, domain, dlen, &alabel, &why) != 0) {
			out->result = INKAN_SPF_NONE;
			out->problem = inkan_arena_printf(a,
			    "domain %s cannot be converted to "
			    "A-labels: %s (RFC 7208 §4.3)",
			    domain, why != NULL ? why : "?");
			return out->problem != NULL ? 0 : INKAN_ENOMEM;
		}
		domain = alabel;
		dlen = strlen(domain);
		out->domain = domain;
		break;
	}
	if (inkan_dname_check(domain, dlen,
	        INKAN_DNAME_MULTILABEL | INKAN_DNAME_HOSTNAME | INKAN_DNAME_UNDERSCORE,
	        &why) != 0) {
		out->result = INKAN_SPF_NONE;
		out->problem = inkan_arena_printf(a,
		    "domain \"%.*s\" is not a valid domain name: "
		    "%s (RFC 7208 §4.3)",
		    dlen > 300 ? 300 : (int)dlen, domain, why);
		return out->problem != NULL ? 0 : INKAN_ENOMEM;
	}

	st.mc.sender = sender;
	st.mc.local = local;
	st.mc.sender_domain = domain;
	st.mc.domain = domain;
	st.mc.ip = &st.ip;
	st.mc.helo = q->helo;
	st.mc.receiver = q->receiver;
	st.mc.now = q->now != 0 ? q->now : time(NULL);

	if ((rc = check_host(&st, domain, &res)) != 0)
		return rc;
	out->result = res.v;
	out->matched_domain = res.domain;
	switch (res.v) {
	case INKAN_SPF_PASS:
	case INKAN_SPF_FAIL:
	case INKAN_SPF_SOFTFAIL:
	case INKAN_SPF_NEUTRAL:
		if (res.term != NULL) {
			out->mechanism = slice_dup(a, res.term->text.p, res.term->text.len);
			if (out->mechanism == NULL)
				return INKAN_ENOMEM;
		} else {
			out->mechanism = "default";
		}
		break;
	default:
		out->problem = st.problem;
		break;
	}
	if (res.v == INKAN_SPF_FAIL && (rc = explain(&st, &res, &out->explanation)) != 0)
		return rc;
	out->dns_lookups = st.terms;
	out->void_lookups = st.voids;
	out->dns_queries = (unsigned)(r->nqueries - nq0);
	if (st.trace)
		inkan_dns_tracef(r, "spf %s: result %s (dns terms %u/%d, void %u/%d, %u queries)",
		    domain, inkan_spf_verdict_name(res.v), st.terms, INKAN_SPF_MAX_DNS_TERMS,
		    st.voids, INKAN_SPF_MAX_VOID_LOOKUPS, out->dns_queries);
	return 0;
}
