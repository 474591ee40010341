/* test_sts.c - the sending-side policy engine (lib/sts) and the TLSA
 * lookup of an MX host (lib/dane/lookup.c), offline: the zone backend
 * behind a small resolver that marks answers secure (names under
 * "sec."), bogus (a list) and rotates one TXT id; a fake policy fetch
 * that counts its calls; a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"
#include "inkan/sts.h"

#define NROWS(x) (sizeof(x) / sizeof((x)[0]))

#define H32 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const zone_lines[] = {
	/* every host of dane-all has usable TLSA */
	"dane-all.sec. MX 10 mx1.dane-all.sec.",
	"dane-all.sec. MX 20 mx2.dane-all.sec.",
	"mx1.dane-all.sec. A 192.0.2.1",
	"mx2.dane-all.sec. AAAA 2001:db8::2",
	"_25._tcp.mx1.dane-all.sec. TLSA 3 1 1 " H32,
	"_25._tcp.mx2.dane-all.sec. TLSA 2 1 1 " H32,
	/* and an MTA-STS policy that must not override DANE */
	"_mta-sts.dane-all.sec. TXT \"v=STSv1; id=dane1\"",
	/* one host of two */
	"dane-some.sec. MX 10 mx1.dane-some.sec.",
	"dane-some.sec. MX 20 mx2.dane-some.sec.",
	"mx1.dane-some.sec. A 192.0.2.3",
	"mx2.dane-some.sec. A 192.0.2.4",
	"_25._tcp.mx1.dane-some.sec. TLSA 3 1 1 " H32,
	/* a CNAME'd MX host: TLSA at the expanded name */
	"dane-cname.sec. MX 10 mail.dane-cname.sec.",
	"mail.dane-cname.sec. CNAME host.prov.sec.",
	"host.prov.sec. A 192.0.2.5",
	"_25._tcp.host.prov.sec. TLSA 3 1 1 " H32,
	"_25._tcp.mail.dane-cname.sec. TLSA 3 1 2 " H32 H32,
	/* a CNAME'd MX host: nothing at the expanded name, so the original */
	"dane-cname2.sec. MX 10 mail.dane-cname2.sec.",
	"mail.dane-cname2.sec. CNAME host2.prov.sec.",
	"host2.prov.sec. A 192.0.2.6",
	"_25._tcp.mail.dane-cname2.sec. TLSA 3 0 1 " H32,
	/* secure TLSA, but nothing usable for SMTP (PKIX-EE, unknown usage,
	 * wrong digest length) */
	"dane-unusable.sec. MX 10 mx.dane-unusable.sec.",
	"mx.dane-unusable.sec. A 192.0.2.7",
	"_25._tcp.mx.dane-unusable.sec. TLSA 1 1 1 " H32,
	"_25._tcp.mx.dane-unusable.sec. TLSA 4 1 1 " H32,
	"_25._tcp.mx.dane-unusable.sec. TLSA 3 1 1 0123",
	/* bogus TLSA next to a valid MTA-STS policy */
	"bogus-tlsa.sec. MX 10 mx.bogus-tlsa.sec.",
	"mx.bogus-tlsa.sec. A 192.0.2.8",
	"_25._tcp.mx.bogus-tlsa.sec. TLSA 3 1 1 " H32,
	"_mta-sts.bogus-tlsa.sec. TXT \"v=STSv1; id=b1\"",
	/* bogus MX */
	"bogus-mx.sec. MX 10 mx.bogus-mx.sec.",
	"_mta-sts.bogus-mx.sec. TXT \"v=STSv1; id=b2\"",
	/* TLSA lookup fails */
	"servfail-tlsa.sec. MX 10 mx.servfail-tlsa.sec.",
	"mx.servfail-tlsa.sec. A 192.0.2.9",
	/* bogus address records of the MX host */
	"bogus-addr.sec. MX 10 mx.bogus-addr.sec.",
	"mx.bogus-addr.sec. A 192.0.2.10",
	/* secure MX, insecure MX host with TLSA: no DANE, MTA-STS applies */
	"insecure-host.sec. MX 10 mx.host.ins.",
	"mx.host.ins. A 192.0.2.11",
	"_25._tcp.mx.host.ins. TLSA 3 1 1 " H32,
	"_mta-sts.insecure-host.sec. TXT \"v=STSv1; id=i1\"",
	/* no MX: the domain is its own host (RFC 5321 §5.1) */
	"nomx.sec. A 192.0.2.12",
	"_25._tcp.nomx.sec. TLSA 3 1 1 " H32,
	/* Null MX */
	"nullmx.sec. MX 0 .",
	/* secure MX, no TLSA anywhere, MTA-STS */
	"signed-sts.sec. MX 10 mx.signed-sts.sec.",
	"mx.signed-sts.sec. A 192.0.2.13",
	"_mta-sts.signed-sts.sec. TXT \"v=STSv1; id=s1\"",
	/* unsigned domains with MTA-STS */
	"enforce.ins. MX 10 mx1.enforce.ins.",
	"mx1.enforce.ins. A 192.0.2.20",
	"_mta-sts.enforce.ins. TXT \"v=STSv1; id=e1\"",
	"testing.ins. MX 10 mx1.testing.ins.",
	"_mta-sts.testing.ins. TXT \"v=STSv1; id=t1\"",
	"none.ins. MX 10 mx1.none.ins.",
	"_mta-sts.none.ins. TXT \"v=STSv1; id=n1\"",
	"nopolicy.ins. MX 10 mx1.nopolicy.ins.",
	"_mta-sts.nopolicy.ins. TXT \"v=STSv1; id=p1\"",
	"norecord.ins. MX 10 mx1.norecord.ins.",
	"badrecord.ins. MX 10 mx1.badrecord.ins.",
	"_mta-sts.badrecord.ins. TXT \"v=STSv1; id=not-valid!\"",
	"rotate.ins. MX 10 mx1.rotate.ins.",
	"txtfail.ins. MX 10 mx1.txtfail.ins.",
	"_mta-sts.txtfail.ins. TXT \"v=STSv1; id=f1\"",
};

/* Names (query names) whose answers are bogus. */
static const char *const bogus_names[] = {
	"_25._tcp.mx.bogus-tlsa.sec", "bogus-mx.sec", "mx.bogus-addr.sec",
};

/* ---- the test resolver ---- */

struct testres {
	struct inkan_resolver base;
	struct inkan_resolver *zone;
};

static struct inkan_zone *zone;
static struct testres tres;
static char rotate_id[33] = "r1";	/* the TXT id of rotate.ins; "" = no record */
static bool txt_fail;			/* _mta-sts TXT of rotate.ins and txtfail.ins fail */
static bool mx_fail;			/* the MX lookup of txtfail.ins fails */

static bool
under(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return inkan_dname_is_sub(name, n, suffix, k);
}

static int
tq(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	struct testres *t = (struct testres *)r;
	int rc;

	if (type == INKAN_DNS_TXT && (inkan_dname_equal(name, strlen(name),
	    "_mta-sts.rotate.ins", 19) || inkan_dname_equal(name, strlen(name),
	    "_mta-sts.txtfail.ins", 20)) && txt_fail) {
		memset(out, 0, sizeof(*out));
		out->status = INKAN_DNS_SERVFAIL;
		out->qname = name;
		out->qtype = type;
		out->why = "test: TXT fails";
		return 0;
	}
	if (type == INKAN_DNS_MX && mx_fail && inkan_dname_equal(name, strlen(name),
	    "txtfail.ins", 11)) {
		memset(out, 0, sizeof(*out));
		out->status = INKAN_DNS_TIMEOUT;
		out->qname = name;
		out->qtype = type;
		return 0;
	}
	if (type == INKAN_DNS_TXT && inkan_dname_equal(name, strlen(name),
	    "_mta-sts.rotate.ins", 19)) {
		struct inkan_dns_rr *rr;
		uint8_t *d;
		char txt[64];
		size_t n;

		memset(out, 0, sizeof(*out));
		out->qname = name;
		out->qtype = type;
		out->ttl = 300;
		if (rotate_id[0] == '\0') {
			out->status = INKAN_DNS_NXDOMAIN;
			return 0;
		}
		n = (size_t)snprintf(txt, sizeof(txt), "v=STSv1; id=%s", rotate_id);
		rr = inkan_arena_zalloc(a, sizeof(*rr));
		d = inkan_arena_alloc(a, n + 1);
		if (rr == NULL || d == NULL)
			return INKAN_ENOMEM;
		d[0] = (uint8_t)n;
		memcpy(d + 1, txt, n);
		rr->type = INKAN_DNS_TXT;
		rr->ttl = 300;
		rr->len = (uint16_t)(n + 1);
		rr->data = d;
		out->rr = rr;
		out->nrr = 1;
		return 0;
	}
	if ((rc = inkan_dns_query(t->zone, a, name, type, out)) != 0)
		return rc;
	out->secure = under(name, "sec") &&
	    (out->canonname == NULL || under(out->canonname, "sec"));
	if (type == INKAN_DNS_TLSA && inkan_dname_equal(name, strlen(name),
	    "_25._tcp.servfail-tlsa.sec", 26))
		out->status = INKAN_DNS_SERVFAIL;
	if (inkan_dname_equal(name, strlen(name), "_25._tcp.mx.servfail-tlsa.sec", 29)) {
		out->status = INKAN_DNS_SERVFAIL;
		out->nrr = 0;
	}
	for (size_t i = 0; i < NROWS(bogus_names); i++)
		if (inkan_dname_equal(name, strlen(name), bogus_names[i],
		    strlen(bogus_names[i]))) {
			out->bogus = true;
			out->secure = false;
			out->why = "test: signature verification failed";
		}
	return 0;
}

static const struct inkan_resolver_ops testres_ops = { "test", tq, NULL };

/* ---- the fake fetch and clock ---- */

struct site {
	const char *domain;
	const char *body;	/* NULL = the fetch fails */
	unsigned fetches;
};

static struct site sites[] = {
	{ "dane-all.sec", "version: STSv1\nmode: enforce\nmx: *.dane-all.sec\nmax_age: 86400\n",
	    0 },
	{ "bogus-tlsa.sec", "version: STSv1\nmode: enforce\nmx: mx.bogus-tlsa.sec\n"
	    "max_age: 86400\n", 0 },
	{ "bogus-mx.sec", "version: STSv1\nmode: enforce\nmx: mx.bogus-mx.sec\n"
	    "max_age: 86400\n", 0 },
	{ "insecure-host.sec", "version: STSv1\nmode: enforce\nmx: mx.host.ins\n"
	    "max_age: 86400\n", 0 },
	{ "signed-sts.sec", "version: STSv1\nmode: enforce\nmx: mx.signed-sts.sec\n"
	    "max_age: 86400\n", 0 },
	{ "enforce.ins", "version: STSv1\r\nmode: enforce\r\nmx: *.enforce.ins\r\n"
	    "mx: mx1.other.ins\r\nmax_age: 604800\r\n", 0 },
	{ "testing.ins", "version: STSv1\nmode: testing\nmx: mx1.testing.ins\nmax_age: 86400\n",
	    0 },
	{ "none.ins", "version: STSv1\nmode: none\nmax_age: 86400\n", 0 },
	{ "nopolicy.ins", NULL, 0 },
	{ "rotate.ins", "version: STSv1\nmode: enforce\nmx: mx1.rotate.ins\nmax_age: 86400\n",
	    0 },
	{ "txtfail.ins", "version: STSv1\nmode: enforce\nmx: mx1.txtfail.ins\nmax_age: 86400\n",
	    0 },
};

static int64_t clk = 1700000000;

static int64_t
fake_now(void *arg)
{
	(void)arg;
	return clk;
}

static struct site *
site_of(const char *domain)
{
	for (size_t i = 0; i < NROWS(sites); i++)
		if (strcmp(sites[i].domain, domain) == 0)
			return &sites[i];
	return NULL;
}

static int
fake_fetch(void *arg, struct inkan_arena *a, const char *domain,
    const struct inkan_mtasts_fetch_opts *o, struct inkan_mtasts_fetch_result *out)
{
	struct site *s = site_of(domain);
	int rc;

	(void)arg;
	assert_non_null(o->resolver);
	memset(out, 0, sizeof(*out));
	if (s != NULL)
		s->fetches++;
	if (s == NULL || s->body == NULL) {
		out->status = INKAN_MTASTS_FETCH_FAILED;
		out->fail = INKAN_MTASTS_FAIL_CONNECT;
		out->why = "test: connection refused";
		return 0;
	}
	out->body = inkan_arena_strdup(a, s->body);
	out->body_len = strlen(s->body);
	rc = inkan_mtasts_policy_parse(a, out->body, out->body_len, &out->policy, &out->diag);
	if (rc == INKAN_ENOMEM)
		return rc;
	out->status = rc == 0 ? INKAN_MTASTS_FETCH_OK : INKAN_MTASTS_FETCH_INVALID;
	out->fail = rc == 0 ? INKAN_MTASTS_FAIL_NONE : INKAN_MTASTS_FAIL_POLICY;
	out->why = rc == 0 ? NULL : out->diag.why;
	return 0;
}

static unsigned
fetches(const char *domain)
{
	return site_of(domain)->fetches;
}

static struct inkan_sts *
new_sts(const char *cache, bool no_dane)
{
	struct inkan_sts_opts o;
	struct inkan_sts *s = NULL;
	const char *why = NULL;

	memset(&o, 0, sizeof(o));
	o.resolver = &tres.base;
	o.cache_path = cache;
	o.no_dane = no_dane;
	o.now = fake_now;
	o.fetch_fn = fake_fetch;
	if (inkan_sts_new(&o, &s, &why) != 0)
		fail_msg("inkan_sts_new: %s", why ? why : "?");
	return s;
}

static int
setup(void **state)
{
	(void)state;
	if (inkan_zone_new(&zone) != 0)
		return -1;
	for (size_t i = 0; i < NROWS(zone_lines); i++) {
		char *why = NULL;

		if (inkan_zone_add_text(zone, zone_lines[i], &why) != 0) {
			fprintf(stderr, "zone line %s: %s\n", zone_lines[i], why ? why : "?");
			free(why);
			return -1;
		}
	}
	tres.base.ops = &testres_ops;
	return inkan_resolver_zone_new(zone, &tres.zone) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	inkan_resolver_free(tres.zone);
	inkan_zone_free(zone);
	return 0;
}

/* ---- next-hop forms ---- */

struct nh_case {
	const char *in;
	const char *want;	/* NULL = INKAN_EINVAL */
};

static const struct nh_case nh_cases[] = {
	{ "example.com", "example.com" },
	{ "Example.COM.", "example.com" },
	{ "[example.com]", "example.com" },
	{ "[example.com]:25", "example.com" },
	{ "example.com:25", "example.com" },
	{ "example.com:smtp", "example.com" },
	{ "[good.loc]:123", "good.loc" },
	{ "[1.2.3.4]", NULL },
	{ "[1.2.3.4]:25", NULL },
	{ "1.2.3.4", NULL },
	{ "1.1.1.2.", NULL },
	{ "[ipv6:2001:db8::1]", NULL },
	{ "[a:bb:ccc::dddd]:123", NULL },
	{ "a:bb:ccc::dddd", NULL },
	{ ".example.com", NULL },
	{ "example..com", NULL },
	{ "", NULL },
	{ "[example.com", NULL },
	{ "[example.com]x", NULL },
	{ "example.com:", NULL },
	{ "exa mple.com", NULL },
	{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example" },
};

static void
test_nexthop(void **state)
{
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	for (size_t i = 0; i < NROWS(nh_cases); i++) {
		const struct nh_case *c = &nh_cases[i];
		const char *d = NULL, *why = NULL;
		int rc = inkan_sts_nexthop_domain(a, c->in, &d, &why);

		if (c->want == NULL) {
			if (rc != INKAN_EINVAL || why == NULL)
				fail_msg("nexthop \"%s\": rc %d domain %s, wanted EINVAL with a why",
				    c->in, rc, d ? d : "-");
		} else if (rc != 0 || strcmp(d, c->want) != 0) {
			fail_msg("nexthop \"%s\": rc %d domain %s (%s), wanted %s", c->in, rc,
			    d ? d : "-", why ? why : "", c->want);
		}
	}
	inkan_arena_free(a);
}

/* ---- the TLSA lookup ---- */

struct tl_case {
	const char *name;
	const char *host;
	enum inkan_dane_host_status status;
	const char *tlsa_name;	/* NULL = none */
	size_t ntlsa, usable;
};

static const struct tl_case tl_cases[] = {
	{ "usable 3 1 1", "mx1.dane-all.sec", INKAN_DANE_HOST_USABLE, "_25._tcp.mx1.dane-all.sec",
	    1, 1 },
	{ "AAAA only, 2 1 1", "mx2.dane-all.sec", INKAN_DANE_HOST_USABLE,
	    "_25._tcp.mx2.dane-all.sec", 1, 1 },
	{ "no TLSA", "mx2.dane-some.sec", INKAN_DANE_HOST_NONE, NULL, 0, 0 },
	{ "CNAME: expanded name first", "mail.dane-cname.sec", INKAN_DANE_HOST_USABLE,
	    "_25._tcp.host.prov.sec", 1, 1 },
	{ "CNAME: then the original name", "mail.dane-cname2.sec", INKAN_DANE_HOST_USABLE,
	    "_25._tcp.mail.dane-cname2.sec", 1, 1 },
	{ "PKIX-EE, unknown usage, short digest: unusable", "mx.dane-unusable.sec",
	    INKAN_DANE_HOST_UNUSABLE, "_25._tcp.mx.dane-unusable.sec", 3, 0 },
	{ "bogus TLSA", "mx.bogus-tlsa.sec", INKAN_DANE_HOST_TEMPFAIL, NULL, 0, 0 },
	{ "SERVFAIL TLSA", "mx.servfail-tlsa.sec", INKAN_DANE_HOST_TEMPFAIL, NULL, 0, 0 },
	{ "bogus address", "mx.bogus-addr.sec", INKAN_DANE_HOST_TEMPFAIL, NULL, 0, 0 },
	{ "insecure address: TLSA not asked", "mx.host.ins", INKAN_DANE_HOST_NONE, NULL, 0, 0 },
	{ "no address", "nothere.sec", INKAN_DANE_HOST_NONE, NULL, 0, 0 },
};

static void
test_tlsa_lookup(void **state)
{
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	for (size_t i = 0; i < NROWS(tl_cases); i++) {
		const struct tl_case *c = &tl_cases[i];
		struct inkan_dane_host_lookup l;

		assert_int_equal(inkan_dane_tlsa_lookup(&tres.base, a, c->host, 25, &l), 0);
		if (l.status != c->status)
			fail_msg("%s: %s (%s), wanted %s", c->name,
			    inkan_dane_host_status_name(l.status), l.why,
			    inkan_dane_host_status_name(c->status));
		if ((c->tlsa_name == NULL) != (l.tlsa_name == NULL) ||
		    (c->tlsa_name != NULL && strcmp(c->tlsa_name, l.tlsa_name) != 0))
			fail_msg("%s: TLSA at %s, wanted %s", c->name,
			    l.tlsa_name ? l.tlsa_name : "-", c->tlsa_name ? c->tlsa_name : "-");
		if (l.ntlsa != c->ntlsa || l.usable != c->usable)
			fail_msg("%s: %zu records %zu usable, wanted %zu %zu", c->name, l.ntlsa,
			    l.usable, c->ntlsa, c->usable);
		assert_non_null(l.why);
	}
	/* The lookup only asks what it needs: an insecure host gets no
	 * TLSA query (two address queries only). */
	{
		struct inkan_dane_host_lookup l;

		assert_int_equal(inkan_dane_tlsa_lookup(&tres.base, a, "mx.host.ins", 25, &l), 0);
		assert_int_equal(l.nqueries, 2);
		assert_int_equal(inkan_dane_tlsa_lookup(&tres.base, a, "mx1.dane-all.sec", 2525,
		    &l), 0);
		assert_int_equal(l.status, INKAN_DANE_HOST_NONE);	/* no _2525._tcp */
		assert_int_equal(inkan_dane_tlsa_lookup(&tres.base, a, "bad..name", 25, &l),
		    INKAN_EINVAL);
	}
	inkan_arena_free(a);
}

/* ---- decisions ---- */

struct dec_case {
	const char *name;
	const char *nexthop;
	enum inkan_sts_kind kind;
	const char *postfix;	/* NULL = none */
	enum inkan_mtasts_status sts;
	const char *why;	/* a substring of why */
};

static const struct dec_case dec_cases[] = {
	{ "every MX host has TLSA: dane-only, MTA-STS not consulted", "dane-all.sec",
	    INKAN_STS_DANE_ONLY, "dane-only", INKAN_MTASTS_NONE, "every MX host" },
	{ "one host of two: dane", "dane-some.sec", INKAN_STS_DANE, "dane",
	    INKAN_MTASTS_NONE, "1 of 2" },
	{ "CNAME'd MX host", "dane-cname.sec", INKAN_STS_DANE_ONLY, "dane-only",
	    INKAN_MTASTS_NONE, "DANE" },
	{ "CNAME'd MX host, TLSA at the original name", "dane-cname2.sec", INKAN_STS_DANE_ONLY,
	    "dane-only", INKAN_MTASTS_NONE, "DANE" },
	{ "secure but unusable TLSA: dane (TLS, no authentication)", "dane-unusable.sec",
	    INKAN_STS_DANE, "dane", INKAN_MTASTS_NONE, "0 usable" },
	{ "bogus TLSA: tempfail, not the MTA-STS policy", "bogus-tlsa.sec", INKAN_STS_TEMPFAIL,
	    NULL, INKAN_MTASTS_NONE, "bogus" },
	{ "bogus MX: tempfail", "bogus-mx.sec", INKAN_STS_TEMPFAIL, NULL, INKAN_MTASTS_NONE,
	    "bogus" },
	{ "TLSA SERVFAIL: tempfail", "servfail-tlsa.sec", INKAN_STS_TEMPFAIL, NULL,
	    INKAN_MTASTS_NONE, "SERVFAIL" },
	{ "bogus MX host address: tempfail", "bogus-addr.sec", INKAN_STS_TEMPFAIL, NULL,
	    INKAN_MTASTS_NONE, "bogus" },
	{ "insecure MX host: MTA-STS", "insecure-host.sec", INKAN_STS_STS_ENFORCE,
	    "secure match=mx.host.ins servername=hostname", INKAN_MTASTS_VALID,
	    "no MX host has a secure TLSA" },
	{ "no MX, the domain's own TLSA", "nomx.sec", INKAN_STS_DANE_ONLY, "dane-only",
	    INKAN_MTASTS_NONE, "DANE" },
	{ "Null MX", "nullmx.sec", INKAN_STS_NONE, NULL, INKAN_MTASTS_NONE, "Null MX" },
	{ "signed, no TLSA: MTA-STS", "signed-sts.sec", INKAN_STS_STS_ENFORCE,
	    "secure match=mx.signed-sts.sec servername=hostname", INKAN_MTASTS_VALID, "enforce" },
	{ "unsigned, enforce: *. becomes .", "enforce.ins", INKAN_STS_STS_ENFORCE,
	    "secure match=.enforce.ins:mx1.other.ins servername=hostname", INKAN_MTASTS_VALID,
	    "not DNSSEC-secure" },
	{ "next-hop form [d]:port", "[enforce.ins]:25", INKAN_STS_STS_ENFORCE,
	    "secure match=.enforce.ins:mx1.other.ins servername=hostname", INKAN_MTASTS_VALID,
	    "enforce" },
	{ "testing: reported, not enforced", "testing.ins", INKAN_STS_STS_TESTING, NULL,
	    INKAN_MTASTS_VALID, "testing" },
	{ "mode none", "none.ins", INKAN_STS_NONE, NULL, INKAN_MTASTS_VALID, "mode none" },
	{ "record, fetch fails, nothing cached", "nopolicy.ins", INKAN_STS_NONE, NULL,
	    INKAN_MTASTS_FETCH_ERROR, "no valid policy" },
	{ "no record", "norecord.ins", INKAN_STS_NONE, NULL, INKAN_MTASTS_NONE,
	    "no MTA-STS policy" },
	{ "invalid record", "badrecord.ins", INKAN_STS_NONE, NULL, INKAN_MTASTS_NONE, "invalid" },
	{ "address literal", "[192.0.2.1]", INKAN_STS_NONE, NULL, INKAN_MTASTS_NONE,
	    "address literal" },
	{ "not a domain", ".enforce.ins", INKAN_STS_NONE, NULL, INKAN_MTASTS_NONE,
	    "not a policy domain" },
};

static void
test_decisions(void **state)
{
	struct inkan_sts *s = new_sts(NULL, false);
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	for (size_t i = 0; i < NROWS(dec_cases); i++) {
		const struct dec_case *c = &dec_cases[i];
		struct inkan_sts_answer ans;

		assert_int_equal(inkan_sts_lookup(s, a, c->nexthop, &ans), 0);
		if (ans.kind != c->kind || ans.sts != c->sts)
			fail_msg("%s: %s/%s (%s), wanted %s/%s", c->name,
			    inkan_sts_kind_name(ans.kind), inkan_mtasts_status_name(ans.sts),
			    ans.why, inkan_sts_kind_name(c->kind), inkan_mtasts_status_name(c->sts));
		if ((c->postfix == NULL) != (ans.postfix == NULL) ||
		    (c->postfix != NULL && strcmp(c->postfix, ans.postfix) != 0))
			fail_msg("%s: postfix [%s], wanted [%s]", c->name,
			    ans.postfix ? ans.postfix : "(null)", c->postfix ? c->postfix : "(null)");
		if (ans.why == NULL || strstr(ans.why, c->why) == NULL)
			fail_msg("%s: why [%s], wanted [%s]", c->name, ans.why ? ans.why : "",
			    c->why);
		if (ans.kind == INKAN_STS_TEMPFAIL && ans.ttl > INKAN_STS_TEMPFAIL_TTL)
			fail_msg("%s: tempfail ttl %u", c->name, ans.ttl);
	}
	/* DANE first: the policy of dane-all.sec was never fetched, that of
	 * bogus-tlsa.sec neither (RFC 8461 §2). */
	assert_int_equal(fetches("dane-all.sec"), 0);
	assert_int_equal(fetches("bogus-tlsa.sec"), 0);
	assert_int_equal(fetches("bogus-mx.sec"), 0);
	inkan_arena_free(a);
	inkan_sts_free(s);
}

static void
test_details(void **state)
{
	struct inkan_sts *s = new_sts(NULL, false);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_sts_answer ans;
	const char *type, **str;
	size_t n;

	(void)state;
	/* The hosts as DANE saw them, in preference order. */
	assert_int_equal(inkan_sts_lookup(s, a, "dane-some.sec", &ans), 0);
	assert_true(ans.mx_secure);
	assert_int_equal(ans.nhosts, 2);
	assert_string_equal(ans.hosts[0].name, "mx1.dane-some.sec");
	assert_int_equal(ans.hosts[0].pref, 10);
	assert_true(ans.hosts[0].tlsa_secure);
	assert_string_equal(ans.hosts[0].tlsa_name, "_25._tcp.mx1.dane-some.sec");
	assert_int_equal(ans.hosts[0].ntlsa, 1);
	assert_string_equal(ans.hosts[0].tlsa[0], "3 1 1 " H32);
	assert_false(ans.hosts[1].tlsa_secure);
	assert_null(ans.hosts[1].tlsa_name);
	assert_int_equal(inkan_sts_tlsrpt_policy(a, &ans, &type, &str, &n), 0);
	assert_string_equal(type, "tlsa");
	assert_int_equal(n, 1);
	assert_string_equal(str[0], "3 1 1 " H32);

	assert_int_equal(inkan_sts_lookup(s, a, "bogus-tlsa.sec", &ans), 0);
	assert_true(ans.hosts[0].tlsa_bogus);

	/* The TLS-RPT policy strings of an MTA-STS answer are its lines. */
	assert_int_equal(inkan_sts_lookup(s, a, "enforce.ins", &ans), 0);
	assert_false(ans.mx_secure);
	assert_int_equal(inkan_sts_tlsrpt_policy(a, &ans, &type, &str, &n), 0);
	assert_string_equal(type, "sts");
	assert_int_equal(n, 5);
	assert_string_equal(str[0], "version: STSv1");
	assert_string_equal(str[3], "mx: mx1.other.ins");
	assert_int_equal(ans.policy.nmx, 2);
	assert_string_equal(ans.policy_id, "e1");
	assert_int_equal(ans.expires_at, clk + 604800);
	/* The answer lives no longer than the TXT record's TTL (3600). */
	assert_true(ans.ttl > 0 && ans.ttl <= 3600);

	assert_int_equal(inkan_sts_lookup(s, a, "norecord.ins", &ans), 0);
	assert_int_equal(inkan_sts_tlsrpt_policy(a, &ans, &type, &str, &n), 0);
	assert_string_equal(type, "no-policy-found");
	assert_int_equal(n, 0);
	inkan_arena_free(a);
	inkan_sts_free(s);
}

static void
test_no_dane(void **state)
{
	struct inkan_sts *s = new_sts(NULL, true);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_sts_answer ans;

	(void)state;
	/* With DANE off, the MTA-STS policy of a DANE domain applies. */
	assert_int_equal(inkan_sts_lookup(s, a, "dane-all.sec", &ans), 0);
	assert_int_equal(ans.kind, INKAN_STS_STS_ENFORCE);
	assert_string_equal(ans.postfix, "secure match=.dane-all.sec servername=hostname");
	assert_int_equal(ans.nhosts, 0);
	inkan_arena_free(a);
	inkan_sts_free(s);
}

/* ---- the cache ---- */

static void
expect(struct inkan_sts *s, struct inkan_arena *a, const char *what, const char *nexthop,
    enum inkan_sts_kind kind, enum inkan_sts_cache_state cache, const char *id)
{
	struct inkan_sts_answer ans;

	assert_int_equal(inkan_sts_lookup(s, a, nexthop, &ans), 0);
	if (ans.kind != kind || ans.cache != cache ||
	    (id == NULL) != (ans.policy_id == NULL) ||
	    (id != NULL && strcmp(id, ans.policy_id) != 0))
		fail_msg("%s: %s, cache %s, id %s (%s); wanted %s, cache %s, id %s", what,
		    inkan_sts_kind_name(ans.kind), inkan_sts_cache_state_name(ans.cache),
		    ans.policy_id ? ans.policy_id : "-", ans.why, inkan_sts_kind_name(kind),
		    inkan_sts_cache_state_name(cache), id ? id : "-");
}

static void
test_cache(void **state)
{
	struct inkan_sts *s = new_sts(NULL, false);
	struct inkan_arena *a = inkan_arena_new();
	struct site *rot = site_of("rotate.ins");
	const char *good = rot->body;
	int64_t t0 = clk;

	(void)state;
	rot->fetches = 0;
	strcpy(rotate_id, "r1");
	expect(s, a, "first use fetches", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FETCHED, "r1");
	expect(s, a, "second use is from cache", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FRESH, "r1");
	assert_int_equal(rot->fetches, 1);

	/* RFC 8461 §3.1: a new id means a new policy. */
	strcpy(rotate_id, "r2");
	expect(s, a, "id changed: re-fetched", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FETCHED, "r2");
	assert_int_equal(rot->fetches, 2);

	/* RFC 8461 §5.1: the refresh fails, the cached policy is kept. */
	strcpy(rotate_id, "r3");
	rot->body = NULL;
	expect(s, a, "refresh fails: stale policy kept", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_STALE, "r2");
	assert_int_equal(rot->fetches, 3);

	/* The TXT record fails, the cached policy is used. */
	txt_fail = true;
	clk = t0 + 3600;
	expect(s, a, "TXT fails: cached policy", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FRESH, "r2");
	txt_fail = false;

	/* The record is removed: the policy stays until it expires. */
	rotate_id[0] = '\0';
	expect(s, a, "record gone: policy stays", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FRESH, "r2");

	/* max_age passed: gone, even though nothing new could be had. */
	strcpy(rotate_id, "r3");
	clk = t0 + 86400;
	expect(s, a, "max_age passed: gone", "rotate.ins", INKAN_STS_NONE, INKAN_STS_CACHE_NONE,
	    "r3");
	rot->body = good;

	/* Near expiry, the same id is re-fetched (max_age 86400: in its
	 * second half). */
	clk = t0 + 100000;
	expect(s, a, "fetch again", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FETCHED, "r3");
	clk += 43200 - 10;
	expect(s, a, "first half: cache", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FRESH, "r3");
	clk += 20;
	expect(s, a, "second half: refreshed", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FETCHED, "r3");

	/* The MX lookup fails: tempfail, whatever the cache holds. */
	txt_fail = false;
	expect(s, a, "txtfail first", "txtfail.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FETCHED, "f1");
	mx_fail = true;
	expect(s, a, "MX fails", "txtfail.ins", INKAN_STS_TEMPFAIL, INKAN_STS_CACHE_NONE, NULL);
	mx_fail = false;
	clk = t0;
	inkan_arena_free(a);
	inkan_sts_free(s);
}

static void
test_refresh(void **state)
{
	struct inkan_sts *s = new_sts(NULL, false);
	struct inkan_arena *a = inkan_arena_new();
	struct site *rot = site_of("rotate.ins");
	int64_t t0 = clk;

	(void)state;
	rot->fetches = 0;
	strcpy(rotate_id, "q1");
	expect(s, a, "fetch", "rotate.ins", INKAN_STS_STS_ENFORCE, INKAN_STS_CACHE_FETCHED, "q1");
	/* Nothing is due right after the fetch. */
	assert_int_equal(inkan_sts_refresh(s, 10), 0);
	assert_int_equal(rot->fetches, 1);
	/* A day later the id is checked again; it changed: re-fetched in
	 * the background, the next lookup is served from cache. */
	strcpy(rotate_id, "q2");
	clk = t0 + INKAN_STS_RECHECK_INTERVAL - 100;	/* not yet expired (86400) */
	assert_int_equal(inkan_sts_refresh(s, 10), 1);
	assert_int_equal(rot->fetches, 2);
	expect(s, a, "after refresh: cache", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FRESH, "q2");
	assert_int_equal(rot->fetches, 2);
	/* Same id, far from expiry, checked now: nothing to do. */
	assert_int_equal(inkan_sts_refresh(s, 10), 0);
	/* The refresh fails: nothing refreshed, policy kept. */
	clk += 43200 + 10;
	rot->body = NULL;
	assert_int_equal(inkan_sts_refresh(s, 10), 0);
	expect(s, a, "failed refresh: still there", "rotate.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_STALE, "q2");
	rot->body = "version: STSv1\nmode: enforce\nmx: mx1.rotate.ins\nmax_age: 86400\n";
	clk = t0;
	inkan_arena_free(a);
	inkan_sts_free(s);
}

static void
test_persistent(void **state)
{
	char path[] = "/tmp/test_sts_XXXXXX";
	char db[64];
	struct inkan_sts *s;
	struct inkan_arena *a = inkan_arena_new();
	struct site *en = site_of("enforce.ins");
	int fd;

	(void)state;
	if ((fd = mkstemp(path)) < 0)
		fail_msg("mkstemp");
	close(fd);
	unlink(path);
	snprintf(db, sizeof(db), "%s.db", path);
	en->fetches = 0;
	s = new_sts(db, false);
	expect(s, a, "file cache: fetch", "enforce.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FETCHED, "e1");
	inkan_sts_free(s);
	/* Another handle (another thread, a restart) finds it. */
	s = new_sts(db, false);
	expect(s, a, "file cache: reopened", "enforce.ins", INKAN_STS_STS_ENFORCE,
	    INKAN_STS_CACHE_FRESH, "e1");
	assert_int_equal(en->fetches, 1);
	inkan_sts_free(s);
	/* A file that cannot be opened is an error with a reason. */
	{
		struct inkan_sts_opts o;
		const char *why = NULL;

		memset(&o, 0, sizeof(o));
		o.resolver = &tres.base;
		o.cache_path = "/nonexistent/dir/cache.db";
		assert_int_equal(inkan_sts_new(&o, &s, &why), INKAN_EIO);
		assert_non_null(why);
		o.resolver = NULL;
		assert_int_equal(inkan_sts_new(&o, &s, &why), INKAN_EINVAL);
	}
	unlink(db);
	snprintf(db + strlen(db), sizeof(db) - strlen(db), "-wal");
	unlink(db);
	db[strlen(db) - 4] = '\0';
	snprintf(db + strlen(db), sizeof(db) - strlen(db), "-shm");
	unlink(db);
	inkan_arena_free(a);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(inkan_sts_kind_name(INKAN_STS_DANE_ONLY), "dane-only");
	assert_string_equal(inkan_sts_kind_name(INKAN_STS_STS_TESTING), "sts-testing");
	assert_string_equal(inkan_sts_cache_state_name(INKAN_STS_CACHE_STALE), "stale");
	assert_string_equal(inkan_dane_host_status_name(INKAN_DANE_HOST_UNUSABLE), "unusable");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_nexthop),
		cmocka_unit_test(test_tlsa_lookup),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_no_dane),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_persistent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
