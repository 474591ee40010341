/* test_dns.c - the resolver seam: zone store, rdata decoders, cache,
 * overlay, bulk driver, the unbound backend's offline behaviour, and the
 * stub resolver against a fake server.
 *
 * Expected answers come from the RFCs (RFC 4592 §2.2.1 wildcard examples,
 * RFC 1035 wire formats, RFC 2308 negative TTLs, RFC 7208 §3.3 TXT
 * strings), not from our own output.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
/* the stub resolver's packet reader, checked against the ldns way */
#include "../../lib/dns/wire.h"

/* SRV (RFC 2782), only needed by the RFC 4592 example. */
#define SRV 33

/* ---- helpers ---- */

struct fixture {
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a;
};

static struct fixture *
fixture_new(const char *text, const char *origin)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *why = NULL;
	int rc;

	assert_non_null(f);
	assert_int_equal(inkan_zone_new(&f->z), 0);
	rc = inkan_zone_load_string(f->z, text, strlen(text), origin, &why);
	if (rc != 0)
		fail_msg("zone did not load: %s (%s)", inkan_strerror(rc), why ? why : "?");
	assert_int_equal(inkan_resolver_zone_new(f->z, &f->r), 0);
	assert_non_null(f->a = inkan_arena_new());
	return f;
}

static void
fixture_free(struct fixture *f)
{
	inkan_resolver_free(f->r);
	inkan_zone_free(f->z);
	inkan_arena_free(f->a);
	free(f);
}

/* TXT text of rr i of ans (all strings concatenated). */
static const char *
txt(struct inkan_arena *a, const struct inkan_dns_answer *ans, size_t i)
{
	char *s;
	size_t n;

	if (i >= ans->nrr || inkan_dns_rr_txt(a, &ans->rr[i], &s, &n) != 0)
		return "(none)";
	return s;
}

struct qcase {
	const char *name;
	uint16_t type;
	enum inkan_dns_status status;
	size_t nrr;
	const char *first;	/* presentation rdata of the first record, or NULL */
};

static void
run_qcases(struct inkan_resolver *r, const struct qcase *c, size_t n)
{
	struct inkan_arena *a = inkan_arena_new();

	for (size_t i = 0; i < n; i++) {
		struct inkan_dns_answer ans;
		int rc = inkan_dns_query(r, a, c[i].name, c[i].type, &ans);

		if (rc != 0)
			fail_msg("%s %s: query failed: %s", c[i].name,
			    inkan_dns_type_name(c[i].type), inkan_strerror(rc));
		if (ans.status != c[i].status || ans.nrr != c[i].nrr)
			fail_msg("%s %s: wanted %s with %zu rr, got %s with %zu rr", c[i].name,
			    inkan_dns_type_name(c[i].type), inkan_dns_status_name(c[i].status),
			    c[i].nrr, inkan_dns_status_name(ans.status), ans.nrr);
		if (c[i].first != NULL) {
			const char *t = inkan_dns_rr_text(a, &ans.rr[0]);

			if (t == NULL || strcmp(t, c[i].first) != 0)
				fail_msg("%s %s: wanted rdata <%s>, got <%s>", c[i].name,
				    inkan_dns_type_name(c[i].type), c[i].first, t ? t : "NULL");
		}
	}
	inkan_arena_free(a);
}

/* ---- names ---- */

static void
test_type_names(void **state)
{
	static const struct {
		uint16_t type;
		const char *name;
	} c[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
		{ 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 43, "DS" }, { 46, "RRSIG" },
		{ 48, "DNSKEY" }, { 52, "TLSA" }, { 99, "SPF" }, { 4321, "TYPE4321" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (strcmp(inkan_dns_type_name(c[i].type), c[i].name) != 0)
			fail_msg("type %u: wanted %s, got %s", c[i].type, c[i].name,
			    inkan_dns_type_name(c[i].type));
		assert_int_equal(inkan_dns_type_from_name(c[i].name), c[i].type);
	}
	assert_int_equal(inkan_dns_type_from_name("txt"), 16);
	assert_int_equal(inkan_dns_type_from_name("type16"), 16);
	assert_int_equal(inkan_dns_type_from_name("TYPE0"), 0);
	assert_int_equal(inkan_dns_type_from_name("TYPE65536"), 0);
	assert_int_equal(inkan_dns_type_from_name("TYPE1x"), 0);
	assert_int_equal(inkan_dns_type_from_name("BOGUS"), 0);
	assert_string_equal(inkan_dns_status_name(INKAN_DNS_NXDOMAIN), "NXDOMAIN");
	assert_string_equal(inkan_dns_status_name(INKAN_DNS_TIMEOUT), "TIMEOUT");
}

/* ---- zone loading ---- */

static void
test_zone_load_errors(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		int rc;
		const char *where;	/* prefix of *why, NULL = not checked */
	} c[] = {
		{ "short A", "www A 192.0.2\n", INKAN_EMALFORMED, "(string):1: " },
		{ "after blank lines", "a A 192.0.2.1\n\n; c\n\nbad A 1.2.3\n",
		    INKAN_EMALFORMED, "(string):5: " },
		{ "bad MX", "a A 192.0.2.1\nb MX ten x\nc A 192.0.2.3\n", INKAN_EMALFORMED,
		    "(string):2: " },
		{ "no final newline", "\na A 192.0.2.1\nb A 192.0.2.2\nc A 1.2.3",
		    INKAN_EMALFORMED, "(string):4: " },
		{ "include refused", "a A 192.0.2.1\n$INCLUDE /etc/passwd\n",
		    INKAN_EUNSUPPORTED, "(string):2: " },
		{ "unterminated string", "a TXT \"open\nb A 192.0.2.1\n", INKAN_EMALFORMED,
		    "(string):1: " },
		{ "string open at the end", "a A 192.0.2.1\n\nb TXT \"x\" \"y",
		    INKAN_EMALFORMED, "(string):3: " },
		{ "unknown type", "a FOO 1\n", INKAN_EMALFORMED, "(string):1: " },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct inkan_zone *z;
		char *why = NULL;
		int rc;

		assert_int_equal(inkan_zone_new(&z), 0);
		rc = inkan_zone_load_string(z, c[i].text, strlen(c[i].text), "example.", &why);
		if (rc != c[i].rc)
			fail_msg("%s: wanted %s, got %s", c[i].name, inkan_strerror(c[i].rc),
			    inkan_strerror(rc));
		if (why == NULL)
			fail_msg("%s: no reason given", c[i].name);
		if (c[i].where != NULL && strncmp(why, c[i].where, strlen(c[i].where)) != 0)
			fail_msg("%s: wanted reason starting \"%s\", got \"%s\"", c[i].name,
			    c[i].where, why);
		free(why);
		inkan_zone_free(z);
	}
}

static void
test_zone_load_file(void **state)
{
	char path[] = "/tmp/test_dns_zoneXXXXXX";
	int fd = mkstemp(path);
	struct inkan_zone *z;
	char *why = NULL;
	static const char text[] = "$TTL 120\n@ A 192.0.2.1\nbad A 1\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_zone_load_file(z, path, "example.", &why), INKAN_EMALFORMED);
	assert_non_null(why);
	/* "FILE:LINE: reason" */
	char want[64];
	snprintf(want, sizeof(want), "%s:3: ", path);
	if (strncmp(why, want, strlen(want)) != 0)
		fail_msg("wanted \"%s...\", got \"%s\"", want, why);
	free(why);
	why = NULL;
	assert_int_equal(inkan_zone_load_file(z, "/nonexistent/zone", NULL, &why), INKAN_EIO);
	assert_non_null(why);
	free(why);
	unlink(path);
	inkan_zone_free(z);
}

static void
test_zone_origin_ttl(void **state)
{
	struct fixture *f = fixture_new(
	    "$TTL 120\n"
	    "@ SOA ns hm 1 2 3 4 30\n"
	    "www A 192.0.2.1\n"
	    "$ORIGIN sub.example.\n"
	    "host 60 A 192.0.2.2\n"
	    "     TXT \"same owner as host\"\n"
	    "$TTL 10\n"
	    "late A 192.0.2.3\n", "example.");
	struct inkan_dns_answer ans;

	(void)state;
	assert_int_equal(inkan_zone_count(f->z), 5);
	assert_true(inkan_zone_has(f->z, "www.example", INKAN_DNS_A));
	assert_true(inkan_zone_has(f->z, "HOST.sub.example.", INKAN_DNS_TXT));
	assert_false(inkan_zone_has(f->z, "host.example", 0));
	assert_int_equal(inkan_dns_query(f->r, f->a, "www.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.ttl, 120);
	assert_int_equal(inkan_dns_query(f->r, f->a, "host.sub.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.ttl, 60);
	assert_int_equal(inkan_dns_query(f->r, f->a, "late.sub.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.ttl, 10);
	/* RFC 2308 §5: negative TTL = min(SOA TTL, SOA MINIMUM) = min(120, 30). */
	assert_int_equal(inkan_dns_query(f->r, f->a, "nope.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_NXDOMAIN);
	assert_int_equal(ans.ttl, 30);
	assert_int_equal(f->r->nqueries, 4);
	fixture_free(f);
}

/* ---- existence, CNAMEs, wildcards ---- */

static void
test_zone_nxdomain_nodata_ent(void **state)
{
	struct fixture *f = fixture_new(
	    "example. SOA ns hm 1 2 3 4 300\n"
	    "a.b.c.example. A 192.0.2.1\n"
	    "Mixed.Example. TXT \"v=spf1 -all\"\n"
	    "two.example. A 192.0.2.1\n"
	    "two.example. A 192.0.2.2\n"
	    "two.example. A 192.0.2.2\n", NULL);
	static const struct qcase c[] = {
		{ "a.b.c.example", INKAN_DNS_A, INKAN_DNS_OK, 1, "192.0.2.1" },
		{ "A.B.C.EXAMPLE.", INKAN_DNS_A, INKAN_DNS_OK, 1, "192.0.2.1" },
		{ "a.b.c.example", INKAN_DNS_TXT, INKAN_DNS_NODATA, 0, NULL },
		/* RFC 8020: names with descendants exist (empty non-terminals). */
		{ "b.c.example", INKAN_DNS_A, INKAN_DNS_NODATA, 0, NULL },
		{ "c.example", INKAN_DNS_TXT, INKAN_DNS_NODATA, 0, NULL },
		{ "x.b.c.example", INKAN_DNS_A, INKAN_DNS_NXDOMAIN, 0, NULL },
		{ "nope.example", INKAN_DNS_A, INKAN_DNS_NXDOMAIN, 0, NULL },
		{ "mixed.example", INKAN_DNS_TXT, INKAN_DNS_OK, 1, "\"v=spf1 -all\"" },
		/* RFC 2181 §5: duplicate records collapse into one. */
		{ "two.example", INKAN_DNS_A, INKAN_DNS_OK, 2, "192.0.2.1" },
	};

	(void)state;
	run_qcases(f->r, c, sizeof(c) / sizeof(c[0]));
	fixture_free(f);
}

static void
test_zone_cname(void **state)
{
	struct fixture *f = fixture_new(
	    "www.example. CNAME web.example.\n"
	    "web.example. CNAME Host.Example.\n"
	    "host.example. A 192.0.2.7\n"
	    "dangling.example. CNAME nowhere.example.\n"
	    "loop1.example. CNAME loop2.example.\n"
	    "loop2.example. CNAME loop1.example.\n"
	    "other.test. CNAME host.example.\n", NULL);
	static const struct qcase c[] = {
		{ "www.example", INKAN_DNS_A, INKAN_DNS_OK, 1, "192.0.2.7" },
		{ "www.example", INKAN_DNS_CNAME, INKAN_DNS_OK, 1, "web.example." },
		{ "www.example", INKAN_DNS_TXT, INKAN_DNS_NODATA, 0, NULL },
		{ "dangling.example", INKAN_DNS_A, INKAN_DNS_NXDOMAIN, 0, NULL },
		{ "loop1.example", INKAN_DNS_A, INKAN_DNS_SERVFAIL, 0, NULL },
		/* across zones in one store */
		{ "other.test", INKAN_DNS_A, INKAN_DNS_OK, 1, "192.0.2.7" },
	};
	struct inkan_dns_answer ans;

	(void)state;
	run_qcases(f->r, c, sizeof(c) / sizeof(c[0]));
	assert_int_equal(inkan_dns_query(f->r, f->a, "WWW.example.", INKAN_DNS_A, &ans), 0);
	assert_string_equal(ans.qname, "WWW.example.");
	assert_non_null(ans.canonname);
	assert_string_equal(ans.canonname, "host.example");
	assert_int_equal(inkan_dns_query(f->r, f->a, "host.example", INKAN_DNS_A, &ans), 0);
	assert_null(ans.canonname);
	fixture_free(f);
}

static void
test_zone_cname_chain_limit(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;
	char line[128];

	(void)state;
	assert_int_equal(inkan_zone_new(&z), 0);
	/* c0 -> c1 -> ... -> c20, and c20 has the address. */
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "c%d.example. 60 IN CNAME c%d.example.", i, i + 1);
		assert_int_equal(inkan_zone_add_text(z, line, NULL), 0);
	}
	assert_int_equal(inkan_zone_add_text(z, "c20.example. 60 IN A 192.0.2.1", NULL), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	/* exactly INKAN_DNS_MAX_CNAME_CHAIN CNAMEs are followed */
	snprintf(line, sizeof(line), "c%d.example", 20 - INKAN_DNS_MAX_CNAME_CHAIN);
	assert_int_equal(inkan_dns_query(r, a, line, INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_OK);
	snprintf(line, sizeof(line), "c%d.example", 19 - INKAN_DNS_MAX_CNAME_CHAIN);
	assert_int_equal(inkan_dns_query(r, a, line, INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_SERVFAIL);
	assert_non_null(ans.why);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* The example zone of RFC 4592 §2.2.1 (SRV and SOA rdata filled in). */
static const char rfc4592_zone[] =
    "$ORIGIN example.\n"
    "example.                 3600 IN  SOA   ns.example.com. hm.example. 1 2 3 4 3600\n"
    "example.                 3600     NS    ns.example.com.\n"
    "example.                 3600     NS    ns.example.net.\n"
    "*.example.               3600     TXT   \"this is a wildcard\"\n"
    "*.example.               3600     MX    10 host1.example.\n"
    "sub.*.example.           3600     TXT   \"this is not a wildcard\"\n"
    "host1.example.           3600     A     192.0.2.1\n"
    "_ssh._tcp.host1.example. 3600     SRV   0 0 22 host1.example.\n"
    "_ssh._tcp.host2.example. 3600     SRV   0 0 22 host2.example.\n"
    "subdel.example.          3600     NS    ns.example.com.\n"
    "subdel.example.          3600     NS    ns.example.net.\n";

static void
test_zone_wildcards_rfc4592(void **state)
{
	struct fixture *f = fixture_new(rfc4592_zone, NULL);
	/* RFC 4592 §2.2.1: "The following responses would be synthesized
	 * from one of the wildcards" / "would not be synthesized". */
	static const struct qcase c[] = {
		{ "host3.example.", INKAN_DNS_MX, INKAN_DNS_OK, 1, "10 host1.example." },
		{ "host3.example.", INKAN_DNS_A, INKAN_DNS_NODATA, 0, NULL },
		{ "foo.bar.example.", INKAN_DNS_TXT, INKAN_DNS_OK, 1, "\"this is a wildcard\"" },
		{ "host1.example.", INKAN_DNS_MX, INKAN_DNS_NODATA, 0, NULL },
		{ "sub.*.example.", INKAN_DNS_MX, INKAN_DNS_NODATA, 0, NULL },
		{ "_telnet._tcp.host1.example.", SRV, INKAN_DNS_NXDOMAIN, 0,
		    NULL },
		{ "ghost.*.example.", INKAN_DNS_MX, INKAN_DNS_NXDOMAIN, 0, NULL },
		/* the wildcard owner itself is an ordinary name */
		{ "*.example.", INKAN_DNS_TXT, INKAN_DNS_OK, 1, "\"this is a wildcard\"" },
	};

	(void)state;
	run_qcases(f->r, c, sizeof(c) / sizeof(c[0]));
	fixture_free(f);
}

static void
test_zone_forced_status(void **state)
{
	struct fixture *f = fixture_new(
	    "timeout.example. A 192.0.2.1\n"
	    "fail.example. TXT \"v=spf1 -all\"\n"
	    "cn.example. CNAME timeout.example.\n", NULL);
	static const struct qcase c[] = {
		/* type 0: every type without records (the OpenSPF "TIMEOUT") */
		{ "timeout.example", INKAN_DNS_A, INKAN_DNS_OK, 1, "192.0.2.1" },
		{ "timeout.example", INKAN_DNS_TXT, INKAN_DNS_TIMEOUT, 0, NULL },
		{ "timeout.example", INKAN_DNS_MX, INKAN_DNS_TIMEOUT, 0, NULL },
		/* a forced type wins over records of that type */
		{ "fail.example", INKAN_DNS_TXT, INKAN_DNS_SERVFAIL, 0, NULL },
		{ "fail.example", INKAN_DNS_A, INKAN_DNS_NODATA, 0, NULL },
		/* a status on a new name makes the name exist */
		{ "gone.example", INKAN_DNS_A, INKAN_DNS_NXDOMAIN, 0, NULL },
		{ "gone.example", INKAN_DNS_TXT, INKAN_DNS_NODATA, 0, NULL },
		/* CNAMEs are followed into forced statuses */
		{ "cn.example", INKAN_DNS_MX, INKAN_DNS_TIMEOUT, 0, NULL },
	};

	(void)state;
	assert_int_equal(inkan_zone_set_status(f->z, "timeout.example", 0, INKAN_DNS_TIMEOUT), 0);
	assert_int_equal(inkan_zone_set_status(f->z, "fail.example", INKAN_DNS_TXT,
	    INKAN_DNS_SERVFAIL), 0);
	assert_int_equal(inkan_zone_set_status(f->z, "Gone.Example.", INKAN_DNS_A,
	    INKAN_DNS_NXDOMAIN), 0);
	assert_int_equal(inkan_zone_set_status(f->z, "x.example", 0, INKAN_DNS_OK), INKAN_EINVAL);
	assert_true(inkan_zone_has(f->z, "timeout.example", INKAN_DNS_MX));
	assert_true(inkan_zone_has(f->z, "gone.example", 0));
	assert_false(inkan_zone_has(f->z, "gone.example", INKAN_DNS_TXT));
	run_qcases(f->r, c, sizeof(c) / sizeof(c[0]));
	fixture_free(f);
}

static void
test_zone_txt_strings(void **state)
{
	struct fixture *f = fixture_new(
	    "example. TXT \"v=spf1 \" \"include:a.example\" \" -all\"\n"
	    "empty.example. TXT \"\"\n"
	    "nul.example. TXT \"a\\000b\"\n", NULL);
	struct inkan_dns_answer ans;
	char *s;
	size_t n;

	(void)state;
	/* RFC 7208 §3.3: strings are concatenated with no spaces added. */
	assert_int_equal(inkan_dns_query(f->r, f->a, "example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(ans.nrr, 1);
	assert_string_equal(txt(f->a, &ans, 0), "v=spf1 include:a.example -all");
	assert_int_equal(inkan_dns_query(f->r, f->a, "empty.example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(inkan_dns_rr_txt(f->a, &ans.rr[0], &s, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(s, "");
	/* an embedded NUL is kept: callers compare n with strlen */
	assert_int_equal(inkan_dns_query(f->r, f->a, "nul.example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(inkan_dns_rr_txt(f->a, &ans.rr[0], &s, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(strlen(s), 1);
	fixture_free(f);
}

static void
test_zone_add_rr_and_limits(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;
	static const uint8_t mx[] = { 0, 5, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p',
		'l', 'e', 0 };

	(void)state;
	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_zone_add_rr(z, "Example.", INKAN_DNS_MX, 300, mx, sizeof(mx)), 0);
	assert_int_equal(inkan_zone_add_rr(z, "example", 0, 300, mx, sizeof(mx)), INKAN_EINVAL);
	assert_int_equal(inkan_zone_add_rr(z, "a..b", INKAN_DNS_MX, 300, mx, sizeof(mx)),
	    INKAN_EMALFORMED);
	/* more than INKAN_DNS_MAX_RRS records: kept up to it, marked truncated */
	for (unsigned i = 0; i < INKAN_DNS_MAX_RRS + 10; i++) {
		uint8_t ip[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };

		assert_int_equal(inkan_zone_add_rr(z, "big.example", INKAN_DNS_A, 60, ip, 4), 0);
	}
	/* empty rdata (RFC 3597 "\\# 0") is a record too, and deduplicated */
	assert_int_equal(inkan_zone_add_rr(z, "empty.example", 65280, 60, NULL, 0), 0);
	assert_int_equal(inkan_zone_add_text(z, "empty.example. 60 IN TYPE65280 \\# 0", NULL), 0);
	assert_int_equal(inkan_zone_count(z), 2 + INKAN_DNS_MAX_RRS);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	assert_int_equal(inkan_dns_query(r, a, "empty.example", 65280, &ans), 0);
	assert_int_equal(ans.nrr, 1);
	assert_int_equal(ans.rr[0].len, 0);
	assert_int_equal(inkan_dns_query(r, a, "example", INKAN_DNS_MX, &ans), 0);
	assert_int_equal(ans.nrr, 1);
	assert_int_equal(ans.ttl, 300);
	assert_int_equal(inkan_dns_query(r, a, "big.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.nrr, INKAN_DNS_MAX_RRS);
	assert_true(ans.truncated);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* Answers do not point into the store: they outlive it. */
static void
test_zone_answer_outlives_store(void **state)
{
	struct fixture *f = fixture_new("example. TXT \"kept\"\n", NULL);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;

	(void)state;
	assert_int_equal(inkan_dns_query(f->r, a, "example", INKAN_DNS_TXT, &ans), 0);
	fixture_free(f);
	assert_string_equal(txt(a, &ans, 0), "kept");
	inkan_arena_free(a);
}

/* ---- rdata decoders ---- */

static void
test_rdata_malformed(void **state)
{
	enum { TXT, MX, NAME, IP };
	static const struct {
		const char *name;
		int kind;
		uint16_t type;
		uint8_t len;
		uint8_t data[24];
	} c[] = {
		{ "TXT empty rdata", TXT, 16, 0, { 0 } },
		{ "TXT string past end", TXT, 16, 3, { 5, 'a', 'b' } },
		{ "TXT second string past end", TXT, 16, 4, { 1, 'a', 2, 'b' } },
		{ "MX no exchange", MX, 15, 2, { 0, 10 } },
		{ "MX short preference", MX, 15, 1, { 0 } },
		{ "MX label past end", MX, 15, 5, { 0, 10, 5, 'a', 'b' } },
		{ "MX no root label", MX, 15, 4, { 0, 10, 1, 'a' } },
		{ "MX trailing byte", MX, 15, 6, { 0, 10, 1, 'a', 0, 9 } },
		{ "name compression pointer", NAME, 12, 2, { 0xc0, 0x0c } },
		{ "name label length 64+", NAME, 12, 3, { 0x40, 'a', 0 } },
		{ "name empty", NAME, 12, 0, { 0 } },
		{ "A of 3 bytes", IP, 1, 3, { 1, 2, 3 } },
		{ "A of 5 bytes", IP, 1, 5, { 1, 2, 3, 4, 5 } },
		{ "AAAA of 4 bytes", IP, 28, 4, { 1, 2, 3, 4 } },
		{ "TXT type as address", IP, 16, 4, { 1, 2, 3, 4 } },
	};
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct inkan_dns_rr rr = { .type = c[i].type, .len = c[i].len, .data = c[i].data };
		char *s = (char *)"unset";
		size_t n;
		unsigned pref;
		struct inkan_ip ip;
		int rc = 0;

		switch (c[i].kind) {
		case TXT:  rc = inkan_dns_rr_txt(a, &rr, &s, &n); break;
		case MX:   rc = inkan_dns_rr_mx(a, &rr, &pref, &s); break;
		case NAME: rc = inkan_dns_rr_name(a, &rr, &s); break;
		case IP:   rc = inkan_dns_rr_ip(&rr, &ip); s = NULL; break;
		}
		if (rc != INKAN_EMALFORMED)
			fail_msg("%s: wanted malformed, got %s", c[i].name, inkan_strerror(rc));
		if (s != NULL)
			fail_msg("%s: output not cleared", c[i].name);
		/* and the presentation printer survives it */
		assert_non_null(inkan_dns_rr_text(a, &rr));
	}
	inkan_arena_free(a);
}

static void
test_rdata_names(void **state)
{
	/* a 255-octet name: 127 labels of one octet plus the root */
	uint8_t longname[256];
	uint8_t toolong[258];
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_rr rr = { .type = INKAN_DNS_PTR };
	char *s;
	unsigned pref;
	struct inkan_ip ip;

	(void)state;
	for (int i = 0; i < 127; i++) {
		longname[2 * i] = 1;
		longname[2 * i + 1] = 'a';
	}
	longname[254] = 0;
	rr.data = longname;
	rr.len = 255;
	assert_int_equal(inkan_dns_rr_name(a, &rr, &s), 0);
	assert_int_equal(strlen(s), 253);
	/* RFC 1035 §3.1: names are at most 255 octets */
	for (int i = 0; i < 128; i++) {
		toolong[2 * i] = 1;
		toolong[2 * i + 1] = 'a';
	}
	toolong[256] = 0;
	rr.data = toolong;
	rr.len = 257;
	assert_int_equal(inkan_dns_rr_name(a, &rr, &s), INKAN_EMALFORMED);

	/* Null MX (RFC 7505): preference 0, exchange "." */
	static const uint8_t nullmx[] = { 0, 0, 0 };
	rr.type = INKAN_DNS_MX;
	rr.data = nullmx;
	rr.len = 3;
	assert_int_equal(inkan_dns_rr_mx(a, &rr, &pref, &s), 0);
	assert_int_equal(pref, 0);
	assert_string_equal(s, "");

	/* dots and odd octets inside a label are escaped (RFC 1035 §5.1) */
	static const uint8_t odd[] = { 3, 'a', '.', 'b', 2, ' ', 0xff, 0 };
	rr.type = INKAN_DNS_CNAME;
	rr.data = odd;
	rr.len = sizeof(odd);
	assert_int_equal(inkan_dns_rr_name(a, &rr, &s), 0);
	assert_string_equal(s, "a\\.b.\\032\\255");

	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	rr.type = INKAN_DNS_AAAA;
	rr.data = v6;
	rr.len = 16;
	assert_int_equal(inkan_dns_rr_ip(&rr, &ip), 0);
	assert_int_equal(ip.family, 6);
	assert_memory_equal(ip.a, v6, 16);
	assert_string_equal(inkan_dns_rr_text(a, &rr), "2001:db8::1");
	inkan_arena_free(a);
}

/* ---- trace ---- */

struct lines {
	char buf[8][700];
	int n;
};

static void
collect(void *arg, const char *line)
{
	struct lines *l = arg;

	if (l->n < 8)
		snprintf(l->buf[l->n++], sizeof(l->buf[0]), "%s", line);
}

static void
test_trace(void **state)
{
	char big[201];
	char zone[800];
	struct fixture *f;
	struct lines l = { .n = 0 };
	struct inkan_dns_answer ans;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* three strings of 200 octets: one 600-octet TXT record */
	snprintf(zone, sizeof(zone),
	    "example. 300 TXT \"v=spf1 -all\"\nbig.example. 60 TXT \"%s\" \"%s\" \"%s\"\n",
	    big, big, big);
	f = fixture_new(zone, NULL);
	inkan_resolver_set_trace(f->r, collect, &l);
	assert_int_equal(inkan_dns_query(f->r, f->a, "example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(inkan_dns_query(f->r, f->a, "nope.example", INKAN_DNS_MX, &ans), 0);
	assert_int_equal(inkan_dns_query(f->r, f->a, "big.example", INKAN_DNS_TXT, &ans), 0);
	inkan_dns_tracef(f->r, "spf: %d lookups", 3);
	assert_int_equal(l.n, 4);
	/* the format documented in dns.h */
	assert_string_equal(l.buf[0], "dns TXT example -> OK 1 rr ttl=300: \"v=spf1 -all\"");
	assert_string_equal(l.buf[1], "dns MX nope.example -> NXDOMAIN ttl=300");
	/* attacker-sized rdata is cut short */
	assert_true(strlen(l.buf[2]) < 250);
	assert_non_null(strstr(l.buf[2], "..."));
	assert_string_equal(l.buf[3], "spf: 3 lookups");
	assert_string_equal(inkan_resolver_name(f->r), "zone");
	fixture_free(f);
}

/* ---- cache ---- */

static uint64_t fake_now;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void
test_cache_ttl(void **state)
{
	struct fixture *f = fixture_new(
	    "example. SOA ns hm 1 2 3 4 100\n"
	    "example. 300 TXT \"v=spf1 -all\"\n"
	    "short.example. 5 A 192.0.2.1\n", NULL);
	struct inkan_resolver *c;
	struct inkan_dns_answer ans;
	struct inkan_cache_stats st;

	(void)state;
	assert_int_equal(inkan_resolver_cache_new(f->r, 0, &c), 0);
	inkan_cache_set_clock(c, fake_clock, NULL);
	fake_now = 1000000;
	assert_int_equal(inkan_dns_query(c, f->a, "example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(f->r->nqueries, 1);
	fake_now += 100 * 1000;
	assert_int_equal(inkan_dns_query(c, f->a, "EXAMPLE.", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(f->r->nqueries, 1);	/* from the cache */
	assert_int_equal(ans.ttl, 200);		/* the TTL counts down */
	assert_string_equal(ans.qname, "EXAMPLE.");
	assert_string_equal(txt(f->a, &ans, 0), "v=spf1 -all");
	fake_now += 200 * 1000;
	assert_int_equal(inkan_dns_query(c, f->a, "example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(f->r->nqueries, 2);	/* expired, asked again */

	/* negative answers are cached for the SOA minimum */
	assert_int_equal(inkan_dns_query(c, f->a, "nope.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_NXDOMAIN);
	fake_now += 99 * 1000;
	assert_int_equal(inkan_dns_query(c, f->a, "nope.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_NXDOMAIN);
	assert_int_equal(f->r->nqueries, 3);
	fake_now += 2 * 1000;
	assert_int_equal(inkan_dns_query(c, f->a, "nope.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(f->r->nqueries, 4);

	/* TTL clamps: min 60 keeps the 5 s record, max 10 cuts the 300 s one */
	assert_int_equal(inkan_cache_set_ttl(c, 60, 10), INKAN_EINVAL);
	assert_int_equal(inkan_cache_set_ttl(c, 60, 120), 0);
	assert_int_equal(inkan_dns_query(c, f->a, "short.example", INKAN_DNS_A, &ans), 0);
	fake_now += 30 * 1000;
	assert_int_equal(inkan_dns_query(c, f->a, "short.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(f->r->nqueries, 5);
	assert_int_equal(ans.ttl, 30);		/* 60 clamped, 30 left */
	assert_int_equal(ans.rr[0].ttl, 5);	/* the record keeps its own */
	inkan_cache_get_stats(c, &st);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 5);
	inkan_resolver_free(c);
	fixture_free(f);
}

static void
test_cache_failures_kept_min_ttl(void **state)
{
	struct fixture *f = fixture_new("example. A 192.0.2.1\n", NULL);
	struct inkan_resolver *c;
	struct inkan_dns_answer ans;

	(void)state;
	assert_int_equal(inkan_zone_set_status(f->z, "fail.example", 0, INKAN_DNS_SERVFAIL), 0);
	assert_int_equal(inkan_resolver_cache_new(f->r, 0, &c), 0);
	inkan_cache_set_clock(c, fake_clock, NULL);
	fake_now = 5000;
	/* default min_ttl is 0: a SERVFAIL is asked again every time */
	assert_int_equal(inkan_dns_query(c, f->a, "fail.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(inkan_dns_query(c, f->a, "fail.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_SERVFAIL);
	assert_int_equal(f->r->nqueries, 2);
	assert_int_equal(inkan_cache_set_ttl(c, 10, 86400), 0);
	assert_int_equal(inkan_dns_query(c, f->a, "fail.example", INKAN_DNS_A, &ans), 0);
	fake_now += 9 * 1000;
	assert_int_equal(inkan_dns_query(c, f->a, "fail.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(f->r->nqueries, 3);
	fake_now += 2 * 1000;
	assert_int_equal(inkan_dns_query(c, f->a, "fail.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(f->r->nqueries, 4);
	inkan_resolver_free(c);
	fixture_free(f);
}

static void
test_cache_eviction_lru(void **state)
{
	struct fixture *f = fixture_new(
	    "a.example. A 192.0.2.1\nb.example. A 192.0.2.2\nc.example. A 192.0.2.3\n", NULL);
	struct inkan_resolver *c;
	struct inkan_dns_answer ans;
	struct inkan_cache_stats st;

	(void)state;
	assert_int_equal(inkan_resolver_cache_new(f->r, 2, &c), 0);
	assert_int_equal(inkan_dns_query(c, f->a, "a.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(inkan_dns_query(c, f->a, "b.example", INKAN_DNS_A, &ans), 0);
	/* a is now the most recent, so c evicts b */
	assert_int_equal(inkan_dns_query(c, f->a, "a.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(inkan_dns_query(c, f->a, "c.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(f->r->nqueries, 3);
	assert_int_equal(inkan_dns_query(c, f->a, "a.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(f->r->nqueries, 3);
	assert_int_equal(inkan_dns_query(c, f->a, "b.example", INKAN_DNS_A, &ans), 0);
	assert_int_equal(f->r->nqueries, 4);
	inkan_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evictions, 2);
	inkan_resolver_free(c);
	fixture_free(f);
}

/* The cache's table under churn: after many puts, evictions,
 * replacements and expiries, every lookup must find exactly what a plain
 * model says is there (a guard for any change to the table's layout). */
static uint64_t cache_clock_ms;

static uint64_t
cache_clock(void *arg)
{
	(void)arg;
	return cache_clock_ms;
}

static void
test_cache_table_churn(void **state)
{
	enum { CAP = 3000, NAMES = 9000 };
	struct inkan_resolver *c;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans, put;
	struct inkan_dns_rr rr = { .type = INKAN_DNS_A, .ttl = 0, .len = 4 };
	uint8_t ip[4];
	char name[64];
	struct inkan_cache_stats st;
	static int stamp[NAMES];	/* model: value put last, 0 = not there */
	int v = 0;

	(void)state;
	assert_non_null(a);
	assert_int_equal(inkan_resolver_cache_new(NULL, CAP, &c), 0);
	inkan_cache_set_clock(c, cache_clock, NULL);
	cache_clock_ms = 1000000;
	memset(stamp, 0, sizeof(stamp));
	put = (struct inkan_dns_answer){ .status = INKAN_DNS_OK, .qtype = INKAN_DNS_A,
	    .ttl = 3600, .nrr = 1, .rr = &rr };
	/* puts in a pseudo-random order, some names twice (replacement) */
	for (unsigned k = 0; k < 3 * NAMES; k++) {
		unsigned i = (k * 7919u) % NAMES;

		snprintf(name, sizeof(name), "n%u.churn.test", i);
		v++;
		memcpy(ip, &v, 4);
		rr.data = ip;
		assert_int_equal(inkan_cache_put(c, name, INKAN_DNS_A, &put), 0);
		stamp[i] = v;
	}
	/* the last CAP distinct names put are there, with their last value */
	inkan_cache_get_stats(c, &st);
	assert_int_equal(st.entries, CAP);
	for (unsigned i = 0; i < NAMES; i++) {
		int rc;

		snprintf(name, sizeof(name), "N%u.churn.test", i);
		rc = inkan_dns_query(c, a, name, INKAN_DNS_A, &ans);
		if (stamp[i] > v - CAP) {
			int got;

			assert_int_equal(rc, 0);
			assert_int_equal(ans.nrr, 1);
			memcpy(&got, ans.rr[0].data, 4);
			assert_int_equal(got, stamp[i]);
		} else {
			assert_int_equal(rc, INKAN_EAGAIN);
		}
		inkan_arena_reset(a);
	}
	/* everything expires; expired entries are dropped on lookup, and a
	 * new put of each is found again */
	cache_clock_ms += 3601 * 1000;
	for (unsigned i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "n%u.churn.test", i);
		assert_int_equal(inkan_dns_query(c, a, name, INKAN_DNS_A, &ans), INKAN_EAGAIN);
		inkan_arena_reset(a);
	}
	inkan_cache_get_stats(c, &st);
	assert_int_equal(st.entries, 0);
	for (unsigned i = 0; i < CAP; i++) {
		snprintf(name, sizeof(name), "n%u.churn.test", i);
		assert_int_equal(inkan_cache_put(c, name, INKAN_DNS_A, &put), 0);
	}
	for (unsigned i = 0; i < CAP; i++) {
		snprintf(name, sizeof(name), "n%u.churn.test", i);
		assert_int_equal(inkan_dns_query(c, a, name, INKAN_DNS_A, &ans), 0);
		inkan_arena_reset(a);
	}
	inkan_resolver_free(c);
	inkan_arena_free(a);
}

static void
test_cache_only_misses(void **state)
{
	struct inkan_resolver *c;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans, put;
	struct inkan_dns_rr rr = { .type = INKAN_DNS_A, .ttl = 0, .len = 4 };
	uint8_t ip[4] = { 192, 0, 2, 1 };
	char name[256];
	uint16_t type;

	(void)state;
	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &c), 0);
	assert_int_equal(inkan_dns_query(c, a, "Example.COM.", INKAN_DNS_A, &ans), INKAN_EAGAIN);
	assert_int_equal(inkan_dns_query(c, a, "example.com", INKAN_DNS_A, &ans), INKAN_EAGAIN);
	assert_int_equal(inkan_dns_query(c, a, "example.com", INKAN_DNS_MX, &ans), INKAN_EAGAIN);
	/* noted once each, in order */
	assert_false(inkan_cache_take_miss(c, name, 5, &type));	/* no room: stays */
	assert_true(inkan_cache_take_miss(c, name, sizeof(name), &type));
	assert_string_equal(name, "example.com");
	assert_int_equal(type, INKAN_DNS_A);
	assert_true(inkan_cache_take_miss(c, name, sizeof(name), &type));
	assert_int_equal(type, INKAN_DNS_MX);
	assert_false(inkan_cache_take_miss(c, name, sizeof(name), &type));
	/* taken misses are noted again if asked again before the answer */
	assert_int_equal(inkan_dns_query(c, a, "example.com", INKAN_DNS_A, &ans), INKAN_EAGAIN);
	assert_true(inkan_cache_take_miss(c, name, sizeof(name), &type));

	/* an answer put in is deep-copied: our storage may change after */
	memset(&put, 0, sizeof(put));
	put.status = INKAN_DNS_OK;
	put.ttl = 0;		/* TTL 0 still outlives the re-run of the job */
	put.nrr = 1;
	put.rr = &rr;
	put.canonname = "alias.example.com";
	rr.data = ip;
	assert_int_equal(inkan_cache_put(c, "example.com.", INKAN_DNS_A, &put), 0);
	ip[3] = 99;
	assert_int_equal(inkan_dns_query(c, a, "EXAMPLE.com", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.nrr, 1);
	assert_int_equal(ans.rr[0].data[3], 1);
	assert_string_equal(ans.canonname, "alias.example.com");
	assert_int_equal(inkan_cache_put(c, "x", INKAN_DNS_A, NULL), INKAN_EINVAL);
	inkan_resolver_free(c);
	inkan_arena_free(a);
}

/* ---- overlay ---- */

static void
test_overlay(void **state)
{
	struct fixture *live = fixture_new(
	    "example. TXT \"v=spf1 -all\"\n"
	    "example. A 192.0.2.1\n"
	    "target.example. TXT \"live target\"\n", NULL);
	struct inkan_zone *plan;
	struct inkan_resolver *o;
	static const struct qcase c[] = {
		{ "example", INKAN_DNS_TXT, INKAN_DNS_OK, 1, "\"v=spf1 mx -all\"" },
		{ "example", INKAN_DNS_A, INKAN_DNS_OK, 1, "192.0.2.1" },
		{ "new.example", INKAN_DNS_MX, INKAN_DNS_OK, 1, "10 example." },
		{ "new.example", INKAN_DNS_TXT, INKAN_DNS_NXDOMAIN, 0, NULL },
		{ "alias.example", INKAN_DNS_TXT, INKAN_DNS_OK, 1, "\"live target\"" },
		{ "down.example", INKAN_DNS_A, INKAN_DNS_TIMEOUT, 0, NULL },
	};
	struct inkan_dns_answer ans;

	(void)state;
	assert_int_equal(inkan_zone_new(&plan), 0);
	assert_int_equal(inkan_zone_add_text(plan, "example. 60 IN TXT \"v=spf1 mx -all\"",
	    NULL), 0);
	assert_int_equal(inkan_zone_add_text(plan, "new.example. 60 IN MX 10 example.", NULL), 0);
	assert_int_equal(inkan_zone_add_text(plan, "alias.example. 60 IN CNAME target.example.",
	    NULL), 0);
	assert_int_equal(inkan_zone_set_status(plan, "down.example", 0, INKAN_DNS_TIMEOUT), 0);
	assert_int_equal(inkan_resolver_overlay_new(plan, live->r, &o), 0);
	run_qcases(o, c, sizeof(c) / sizeof(c[0]));
	assert_int_equal(inkan_dns_query(o, live->a, "alias.example", INKAN_DNS_TXT, &ans), 0);
	assert_string_equal(ans.qname, "alias.example");
	assert_string_equal(ans.canonname, "target.example");
	assert_string_equal(inkan_resolver_name(o), "overlay");
	inkan_resolver_free(o);
	inkan_zone_free(plan);
	fixture_free(live);
}

/* ---- bulk driver ---- */

/* A job of three dependent lookups, as an evaluator does them: the TXT
 * at d<i> names a host, whose MX is looked up, then the exchange's A. */
struct chain_job {
	int i;
	int rc;
	int done_calls;
	char result[256];
	struct inkan_arena *a;
};

static int
chain_run(void *arg, struct inkan_resolver *r)
{
	struct chain_job *j = arg;
	struct inkan_dns_answer ans;
	char name[64], *host, *mx = NULL;
	unsigned pref;
	int rc;

	inkan_arena_reset(j->a);
	snprintf(name, sizeof(name), "d%d.example", j->i);
	if ((rc = inkan_dns_query(r, j->a, name, INKAN_DNS_TXT, &ans)) != 0)
		return rc;
	host = (char *)txt(j->a, &ans, 0);
	if ((rc = inkan_dns_query(r, j->a, host, INKAN_DNS_MX, &ans)) != 0)
		return rc;
	if (ans.nrr > 0 && inkan_dns_rr_mx(j->a, &ans.rr[0], &pref, &mx) != 0)
		return INKAN_EMALFORMED;
	if (mx == NULL) {
		snprintf(j->result, sizeof(j->result), "%s no MX (%s)", host,
		    inkan_dns_status_name(ans.status));
		return 0;
	}
	if ((rc = inkan_dns_query(r, j->a, mx, INKAN_DNS_A, &ans)) != 0)
		return rc;
	snprintf(j->result, sizeof(j->result), "%s %s %s %s", host, mx,
	    inkan_dns_status_name(ans.status),
	    ans.nrr ? inkan_dns_rr_text(j->a, &ans.rr[0]) : "-");
	return 0;
}

static void
chain_done(void *arg, int rc)
{
	struct chain_job *j = arg;

	j->rc = rc;
	j->done_calls++;
}

/* An async source that counts what passes through another. */
struct counting {
	struct inkan_async base;
	struct inkan_async *in;
	size_t max_pending;
	unsigned long submits;
};

static int
counting_submit(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb,
    void *arg)
{
	struct counting *c = (struct counting *)as;
	int rc = c->in->ops->submit(c->in, name, type, cb, arg);

	c->submits++;
	as->pending = c->in->pending;
	if (as->pending > c->max_pending)
		c->max_pending = as->pending;
	return rc;
}

static int
counting_wait(struct inkan_async *as)
{
	struct counting *c = (struct counting *)as;
	int rc = c->in->ops->wait(c->in);

	as->pending = c->in->pending;
	return rc;
}

static void
counting_destroy(struct inkan_async *as)
{
	(void)as;
}

static const struct inkan_async_ops counting_ops = {
	counting_submit, counting_wait, counting_destroy, NULL,
};

enum { NJOBS = 500, NDOMAINS = 40, NHOSTS = 15 };

static char *
bulk_zone(void)
{
	static char text[1 << 16];
	size_t n = 0;

	/* d<i> names host h<i % NHOSTS>; h<k> has an MX mx<k % 7>, except
	 * every fifth which has none; mx<m> has an address, mx6 has none. */
	for (int i = 0; i < NDOMAINS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "d%d.example. 300 TXT \"h%d.example\"\n", i, i % NHOSTS);
	for (int k = 0; k < NHOSTS; k++)
		if (k % 5 != 4)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "h%d.example. 300 MX 10 mx%d.example.\n", k, k % 7);
	for (int m = 0; m < 6; m++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "mx%d.example. 300 A 192.0.2.%d\n", m, m + 1);
	return text;
}

static void
test_bulk_same_answers_as_sequential(void **state)
{
	struct fixture *f = fixture_new(bulk_zone(), NULL);
	struct inkan_resolver *cache;
	struct inkan_async *sync;
	struct counting cnt = { .base = { .ops = &counting_ops } };
	struct inkan_bulk *b;
	struct inkan_bulk_stats st;
	static struct chain_job seq[NJOBS], par[NJOBS];
	unsigned long distinct;

	(void)state;
	/* sequential: straight against the zone */
	for (int i = 0; i < NJOBS; i++) {
		seq[i].i = i % NDOMAINS;
		seq[i].a = inkan_arena_new();
		seq[i].rc = chain_run(&seq[i], f->r);
		assert_int_equal(seq[i].rc, 0);
	}
	/* Every distinct (name, type) the jobs need, counted through a
	 * cache in front of the zone: the zone sees each once. */
	{
		struct inkan_resolver *counter;
		unsigned long before = f->r->nqueries;

		assert_int_equal(inkan_resolver_cache_new(f->r, 0, &counter), 0);
		for (int i = 0; i < NJOBS; i++) {
			struct chain_job tmp = { .i = i % NDOMAINS, .a = seq[i].a };

			assert_int_equal(chain_run(&tmp, counter), 0);
		}
		distinct = f->r->nqueries - before;
		inkan_resolver_free(counter);
	}

	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &cache), 0);
	assert_int_equal(inkan_async_sync_new(f->r, &sync), 0);
	cnt.in = sync;
	assert_int_equal(inkan_bulk_new(cache, &cnt.base, 64, &b), 0);
	for (int i = 0; i < NJOBS; i++) {
		struct inkan_bulk_job job = { chain_run, chain_done, &par[i] };

		par[i].i = i % NDOMAINS;
		par[i].a = inkan_arena_new();
		par[i].rc = 12345;
		assert_int_equal(inkan_bulk_add(b, &job), 0);
	}
	assert_int_equal(inkan_bulk_run(b), 0);
	inkan_bulk_get_stats(b, &st);
	for (int i = 0; i < NJOBS; i++) {
		if (par[i].done_calls != 1 || par[i].rc != 0)
			fail_msg("job %d: done %d times, rc %d", i, par[i].done_calls, par[i].rc);
		if (strcmp(par[i].result, seq[i].result) != 0)
			fail_msg("job %d: bulk \"%s\", sequential \"%s\"", i, par[i].result,
			    seq[i].result);
		inkan_arena_free(par[i].a);
		inkan_arena_free(seq[i].a);
	}
	assert_int_equal(st.jobs, NJOBS);
	/* each distinct query sent once; everyone else shared or hit */
	assert_int_equal(st.queries_sent, distinct);
	assert_int_equal(cnt.submits, distinct);
	assert_true(st.queries_shared > 0);
	assert_true(st.reruns >= distinct);
	/* pending never exceeds the jobs in flight */
	assert_true(cnt.max_pending <= 64);
	inkan_bulk_free(b);
	inkan_async_free(sync);
	inkan_resolver_free(cache);
	fixture_free(f);
}

/* A job that never stops missing: a new name on every run. */
static int
greedy_run(void *arg, struct inkan_resolver *r)
{
	struct chain_job *j = arg;
	struct inkan_dns_answer ans;
	char name[64];

	snprintf(name, sizeof(name), "n%d.example", j->i++);
	return inkan_dns_query(r, j->a, name, INKAN_DNS_A, &ans);
}

/* A job that says EAGAIN without missing anything. */
static int
liar_run(void *arg, struct inkan_resolver *r)
{
	(void)arg;
	(void)r;
	return INKAN_EAGAIN;
}

static int
failing_run(void *arg, struct inkan_resolver *r)
{
	(void)arg;
	(void)r;
	return INKAN_EMALFORMED;
}

/* A job that misses, then gives up with an error instead of EAGAIN. */
static int
quitter_run(void *arg, struct inkan_resolver *r)
{
	struct chain_job *j = arg;
	struct inkan_dns_answer ans;

	if (inkan_dns_query(r, j->a, "quit.example", INKAN_DNS_A, &ans) == INKAN_EAGAIN)
		return INKAN_EMALFORMED;
	return 0;
}

static void
test_bulk_guards(void **state)
{
	struct fixture *f = fixture_new("example. A 192.0.2.1\n", NULL);
	struct inkan_resolver *cache;
	struct inkan_async *sync;
	struct inkan_bulk *b;
	struct chain_job greedy = { .a = inkan_arena_new() }, liar = { 0 }, failing = { 0 };
	struct chain_job quitter = { .a = inkan_arena_new() };
	struct inkan_bulk_stats st;
	struct inkan_bulk_job jobs[] = {
		{ quitter_run, chain_done, &quitter },
		{ greedy_run, chain_done, &greedy },
		{ liar_run, chain_done, &liar },
		{ failing_run, chain_done, &failing },
	};

	(void)state;
	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &cache), 0);
	assert_int_equal(inkan_async_sync_new(f->r, &sync), 0);
	assert_int_equal(inkan_bulk_new(cache, sync, 0, &b), 0);
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		assert_int_equal(inkan_bulk_add(b, &jobs[i]), 0);
	assert_int_equal(inkan_bulk_run(b), 0);
	assert_int_equal(greedy.done_calls, 1);
	assert_int_equal(greedy.rc, INKAN_ELIMIT);
	assert_int_equal(greedy.i, INKAN_BULK_MAX_RERUNS + 1);
	assert_int_equal(liar.done_calls, 1);
	assert_int_equal(liar.rc, INKAN_EAGAIN);
	assert_int_equal(failing.done_calls, 1);
	assert_int_equal(failing.rc, INKAN_EMALFORMED);
	assert_int_equal(quitter.done_calls, 1);
	assert_int_equal(quitter.rc, INKAN_EMALFORMED);
	/* the quitter's miss is not sent on the next job's behalf */
	inkan_bulk_get_stats(b, &st);
	assert_int_equal(st.queries_sent, INKAN_BULK_MAX_RERUNS + 1);
	assert_int_equal(st.jobs, 4);
	inkan_bulk_free(b);
	inkan_arena_free(quitter.a);
	inkan_async_free(sync);
	inkan_resolver_free(cache);
	inkan_arena_free(greedy.a);
	fixture_free(f);
}

/* ---- unbound backend, offline ---- */

static void
test_unbound_bad_options(void **state)
{
	struct fixture *f = fixture_new("example. A 192.0.2.1\n", NULL);
	struct inkan_async *as = NULL;
	static const char *const bad_fwd[] = { "not an address", NULL };
	struct inkan_unbound_opts o = { .forwarders = bad_fwd };
	struct inkan_unbound_opts o2 = { .trust_anchor_file = "/nonexistent/ta" };
	struct inkan_resolver *r = NULL;
	const char *why = NULL;

	(void)state;
	assert_int_equal(inkan_resolver_unbound_new(&o, &r, &why), INKAN_EDNS);
	assert_null(r);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(inkan_resolver_unbound_new(&o2, &r, &why), INKAN_EDNS);
	assert_non_null(why);
	/* the async source needs an unbound resolver */
	assert_int_equal(inkan_async_unbound_new(f->r, &as), INKAN_EINVAL);
	assert_null(as);
	fixture_free(f);
}

/* A UDP socket on an ephemeral loopback port that never answers. */
static int
blackhole(char *fwd, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(fwd, len, "127.0.0.1@%u", ntohs(sin.sin_port));
	return fd;
}

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct got {
	int n;
	enum inkan_dns_status status;
};

static void
got_cb(void *arg, const struct inkan_dns_answer *ans)
{
	struct got *g = arg;

	g->n++;
	g->status = ans->status;
}

static void
test_unbound_timeout(void **state)
{
	char fwd[64];
	int fd = blackhole(fwd, sizeof(fwd));
	const char *fwds[] = { fwd, NULL };
	static const char *const tz[] = { "test", NULL };
	struct inkan_unbound_opts o = {
		.forwarders = fwds, .no_dnssec = true, .timeout_ms = 300, .transparent_zones = tz,
	};
	struct inkan_resolver *r;
	struct inkan_async *as;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;
	const char *why = NULL;
	struct got g[3] = { { 0 } };
	uint64_t t0, dt;

	(void)state;
	if (inkan_resolver_unbound_new(&o, &r, &why) != 0)
		fail_msg("unbound: %s", why ? why : "?");
	assert_string_equal(inkan_resolver_name(r), "unbound");
	t0 = ms_now();
	assert_int_equal(inkan_dns_query(r, a, "example.test", INKAN_DNS_TXT, &ans), 0);
	dt = ms_now() - t0;
	assert_int_equal(ans.status, INKAN_DNS_TIMEOUT);
	assert_non_null(ans.why);
	if (dt < 250 || dt > 2000)
		fail_msg("timeout after %lu ms, wanted ~300", (unsigned long)dt);
	/* the next query works the same (no stale callback in the way) */
	assert_int_equal(inkan_dns_query(r, a, "example.test", INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_TIMEOUT);

	/* the asynchronous path keeps the same deadline */
	assert_int_equal(inkan_async_unbound_new(r, &as), 0);
	t0 = ms_now();
	for (int i = 0; i < 3; i++)
		assert_int_equal(as->ops->submit(as, i == 1 ? "b.test" : "a.test", INKAN_DNS_A,
		    got_cb, &g[i]), 0);
	assert_int_equal(as->pending, 3);
	while (as->pending > 0)
		assert_int_equal(as->ops->wait(as), 0);
	dt = ms_now() - t0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g[i].n, 1);
		assert_int_equal(g[i].status, INKAN_DNS_TIMEOUT);
	}
	if (dt < 250 || dt > 2000)
		fail_msg("async timeout after %lu ms, wanted ~300", (unsigned long)dt);
	inkan_async_free(as);
	inkan_resolver_free(r);
	inkan_arena_free(a);
	close(fd);
}


/* ---- the stub resolver (async_stub.c) against a fake server ----
 *
 * A thread answers on a loopback UDP port (and TCP on the same port
 * number) by the query's name: wrong answers first where the test is that
 * they are ignored, then the right one.  Expected values come from RFC
 * 1035 (message format), RFC 2308 §5 (negative TTL = min(SOA TTL,
 * MINIMUM)) and RFC 5452 §9.1 (match ID and question). */

struct fake {
	int udp, tcp;
	unsigned port;
	atomic_bool stop;
	atomic_int silent_seen;		/* queries for silent.test */
	atomic_int tcp_seen;		/* queries over TCP */
	uint16_t silent_ids[4];
};

static ldns_pkt *
fake_reply(const ldns_pkt *qp, const char *qname, ldns_pkt_rcode rcode, const char *const *an,
    const char *const *ns)
{
	ldns_pkt *r = ldns_pkt_new();
	const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(qp), 0);
	ldns_rr *q2 = ldns_rr_clone(qrr);

	assert_non_null(r);
	if (qname != NULL) {
		ldns_rdf *d = ldns_dname_new_frm_str(qname);

		ldns_rdf_deep_free(ldns_rr_owner(q2));
		ldns_rr_set_owner(q2, d);
	}
	ldns_pkt_set_id(r, ldns_pkt_id(qp));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_rd(r, true);
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_rcode(r, (uint8_t)rcode);
	ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, q2);
	for (size_t i = 0; an != NULL && an[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, an[i], 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
	}
	for (size_t i = 0; ns != NULL && ns[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, ns[i], 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(r, LDNS_SECTION_AUTHORITY, rr);
	}
	return r;
}

static void
fake_send(int fd, const struct sockaddr_in *to, ldns_pkt *r, bool tcp)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	assert_int_equal(ldns_pkt2wire(&wire, r, &len), LDNS_STATUS_OK);
	if (tcp) {
		uint8_t l[2] = { (uint8_t)(len >> 8), (uint8_t)len };

		assert_true(write(fd, l, 2) == 2);
		assert_true(write(fd, wire, len) == (ssize_t)len);
	} else {
		sendto(fd, wire, len, 0, (const struct sockaddr *)to, sizeof(*to));
	}
	free(wire);
	ldns_pkt_free(r);
}

static const char *const soa_nx[] = {
	"test. 3600 IN SOA ns.test. host.test. 1 3600 600 86400 60", NULL };
static const char *const soa_nodata[] = {
	"test. 120 IN SOA ns.test. host.test. 1 3600 600 86400 900", NULL };

/* Answer one query (wire q) from peer to (via fd). */
static void
fake_answer(struct fake *f, int fd, const struct sockaddr_in *peer, const uint8_t *q, size_t len,
    bool tcp)
{
	ldns_pkt *qp = NULL;
	char *name;

	if (ldns_wire2pkt(&qp, q, len) != LDNS_STATUS_OK)
		return;
	name = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(qp), 0)));
	/* the query itself: RD set, one EDNS0 OPT with a 1232-octet buffer */
	if (!ldns_pkt_rd(qp) || !ldns_pkt_edns(qp) || ldns_pkt_edns_udp_size(qp) != 1232)
		fake_send(fd, peer, fake_reply(qp, NULL, LDNS_RCODE_FORMERR, NULL, NULL), tcp);
	else if (strcmp(name, "ok.test.") == 0) {
		static const char *const wrong[] = { "ok.test. 300 IN TXT \"wrong\"", NULL };
		static const char *const right[] = { "OK.Test. 300 IN TXT \"v=spf1 -all\"", NULL };
		ldns_pkt *r = fake_reply(qp, NULL, LDNS_RCODE_NOERROR, wrong, NULL);

		/* a wrong ID, then the right ID for another question */
		ldns_pkt_set_id(r, (uint16_t)(ldns_pkt_id(qp) ^ 0x5a5a));
		fake_send(fd, peer, r, tcp);
		fake_send(fd, peer, fake_reply(qp, "other.test.", LDNS_RCODE_NOERROR, wrong, NULL),
		    tcp);
		/* the right one, name in other case (RFC 4343) */
		fake_send(fd, peer, fake_reply(qp, "OK.TEST.", LDNS_RCODE_NOERROR, right, NULL), tcp);
	} else if (strcmp(name, "nx.test.") == 0) {
		fake_send(fd, peer, fake_reply(qp, NULL, LDNS_RCODE_NXDOMAIN, NULL, soa_nx), tcp);
	} else if (strcmp(name, "nodata.test.") == 0) {
		fake_send(fd, peer, fake_reply(qp, NULL, LDNS_RCODE_NOERROR, NULL, soa_nodata), tcp);
	} else if (strcmp(name, "nosoa.test.") == 0) {
		fake_send(fd, peer, fake_reply(qp, NULL, LDNS_RCODE_NXDOMAIN, NULL, NULL), tcp);
	} else if (strcmp(name, "cname.test.") == 0) {
		static const char *const an[] = {
			"cname.test. 100 IN CNAME mid.test.",
			"other.test. 10 IN A 198.51.100.1",
			"mid.test. 50 IN CNAME end.test.",
			"end.test. 200 IN A 192.0.2.1",
			"end.test. 200 IN A 192.0.2.2",
			NULL,
		};
		fake_send(fd, peer, fake_reply(qp, NULL, LDNS_RCODE_NOERROR, an, NULL), tcp);
	} else if (strcmp(name, "mx.test.") == 0) {
		static const char *const an[] = { "mx.test. 300 IN MX 10 mail.mx.test.", NULL };

		fake_send(fd, peer, fake_reply(qp, NULL, LDNS_RCODE_NOERROR, an, NULL), tcp);
	} else if (strcmp(name, "servfail.test.") == 0) {
		fake_send(fd, peer, fake_reply(qp, NULL, LDNS_RCODE_SERVFAIL, NULL, NULL), tcp);
	} else if (strcmp(name, "tc.test.") == 0) {
		static const char *const an[] = { "tc.test. 300 IN TXT \"via tcp\"", NULL };
		ldns_pkt *r = fake_reply(qp, NULL, LDNS_RCODE_NOERROR, tcp ? an : NULL, NULL);

		ldns_pkt_set_tc(r, !tcp);
		fake_send(fd, peer, r, tcp);
	} else if (strcmp(name, "silent.test.") == 0) {
		int n = atomic_fetch_add(&f->silent_seen, 1);

		if (n < 4)
			f->silent_ids[n] = ldns_pkt_id(qp);
	}
	free(name);
	ldns_pkt_free(qp);
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;

	while (!atomic_load(&f->stop)) {
		struct pollfd pfd[2] = { { .fd = f->udp, .events = POLLIN },
		    { .fd = f->tcp, .events = POLLIN } };
		uint8_t buf[4096];

		if (poll(pfd, 2, 50) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_in peer;
			socklen_t pl = sizeof(peer);
			ssize_t n = recvfrom(f->udp, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			    &pl);

			if (n > 0)
				fake_answer(f, f->udp, &peer, buf, (size_t)n, false);
		}
		if (pfd[1].revents & POLLIN) {
			int c = accept(f->tcp, NULL, NULL);
			uint8_t l[2];

			if (c < 0)
				continue;
			if (read(c, l, 2) == 2) {
				size_t want = (size_t)l[0] << 8 | l[1], got = 0;
				ssize_t n = 1;

				while (got < want && (n = read(c, buf + got, want - got)) > 0)
					got += (size_t)n;
				if (got == want) {
					atomic_fetch_add(&f->tcp_seen, 1);
					fake_answer(f, c, NULL, buf, got, true);
				}
			}
			close(c);
		}
	}
	return NULL;
}

/* UDP and TCP sockets on the same free loopback port. */
static void
fake_open(struct fake *f)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sin);
		int one = 1;

		f->udp = socket(AF_INET, SOCK_DGRAM, 0);
		f->tcp = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(f->udp >= 0 && f->tcp >= 0);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int size = 4 << 20;

		if (setsockopt(f->udp, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
			(void)setsockopt(f->udp, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		assert_int_equal(bind(f->udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
		assert_int_equal(getsockname(f->udp, (struct sockaddr *)&sin, &sl), 0);
		setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(f->tcp, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    listen(f->tcp, 8) == 0) {
			f->port = ntohs(sin.sin_port);
			return;
		}
		close(f->udp);
		close(f->tcp);
	}
	fail_msg("no free port for UDP and TCP");
}

struct stub_got {
	int n;
	struct inkan_dns_answer ans;
	struct inkan_arena *a;
};

static void
stub_cb(void *arg, const struct inkan_dns_answer *ans)
{
	struct stub_got *g = arg;

	g->n++;
	g->ans = *ans;
	g->ans.qname = inkan_arena_strdup(g->a, ans->qname);
	g->ans.canonname = ans->canonname != NULL ? inkan_arena_strdup(g->a, ans->canonname) :
	    NULL;
	g->ans.why = ans->why != NULL ? inkan_arena_strdup(g->a, ans->why) : NULL;
	if (ans->nrr > 0) {
		struct inkan_dns_rr *rr = inkan_arena_alloc(g->a, ans->nrr * sizeof(*rr));

		assert_non_null(rr);
		for (size_t i = 0; i < ans->nrr; i++) {
			rr[i] = ans->rr[i];
			rr[i].data = inkan_arena_memdup(g->a, ans->rr[i].data, ans->rr[i].len);
		}
		g->ans.rr = rr;
	}
}

/* ---- the stub's packet reader (lib/dns/wire.c) ----
 * Each packet is also read the ldns way, which must agree. */

struct pk {
	uint8_t b[8192];
	size_t n;
};

static void
pk_put(struct pk *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void
pk_u16(struct pk *p, unsigned v)
{
	uint8_t d[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	pk_put(p, d, 2);
}

static void
pk_u32(struct pk *p, uint32_t v)
{
	pk_u16(p, v >> 16);
	pk_u16(p, v & 0xffff);
}

/* An uncompressed name from "a.b" ("" = the root). */
static void
pk_name(struct pk *p, const char *s)
{
	while (*s != '\0') {
		size_t l = strcspn(s, ".");
		uint8_t c = (uint8_t)l;

		pk_put(p, &c, 1);
		pk_put(p, s, l);
		s += l + (s[l] == '.');
	}
	pk_put(p, "", 1);
}

/* Header (id 1, QR RD RA, rcode) and the question qname/qtype IN. */
static void
pk_start(struct pk *p, unsigned rcode, unsigned an, unsigned ns, unsigned ar, const char *qname,
    uint16_t qtype)
{
	p->n = 0;
	pk_u16(p, 1);
	pk_u16(p, 0x8180 | rcode);
	pk_u16(p, 1);
	pk_u16(p, an);
	pk_u16(p, ns);
	pk_u16(p, ar);
	pk_name(p, qname);
	pk_u16(p, qtype);
	pk_u16(p, 1);
}

/* type class ttl, then RDLENGTH and rdata. */
static void
pk_rr(struct pk *p, uint16_t type, uint32_t ttl, const void *rd, size_t n)
{
	pk_u16(p, type);
	pk_u16(p, 1);
	pk_u32(p, ttl);
	pk_u16(p, (unsigned)n);
	pk_put(p, rd, n);
}

/* Read p both ways; assert they agree and return the new one's answer. */
static int
pk_read(struct inkan_arena *a, const struct pk *p, uint16_t qtype, struct inkan_dns_answer *n)
{
	struct inkan_dns_answer o;
	int rn = inkan__wire_answer(a, "q.test", qtype, p->b, p->n, n);
	int ro = inkan__wire_answer_ldns(a, "q.test", qtype, p->b, p->n, &o);

	assert_int_equal(rn, ro);
	if (rn != 0)
		return rn;
	assert_int_equal(n->status, o.status);
	assert_int_equal(n->ttl, o.ttl);
	assert_int_equal(n->nrr, o.nrr);
	assert_int_equal(n->truncated, o.truncated);
	if (n->canonname != NULL || o.canonname != NULL) {
		assert_non_null(n->canonname);
		assert_non_null(o.canonname);
		assert_string_equal(n->canonname, o.canonname);
	}
	if (o.why != NULL && strcmp(o.why, "malformed answer") == 0)
		assert_true(strncmp(n->why, "malformed answer: ", 18) == 0);
	else if (o.why != NULL)
		assert_string_equal(n->why, o.why);
	for (size_t i = 0; i < n->nrr; i++) {
		assert_int_equal(n->rr[i].type, o.rr[i].type);
		assert_int_equal(n->rr[i].len, o.rr[i].len);
		assert_memory_equal(n->rr[i].data, o.rr[i].data, n->rr[i].len);
	}
	return rn;
}

static void
test_wire_answers(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct pk p;
	struct inkan_dns_answer ans;
	unsigned pref;
	char *s;
	size_t n;
	/* question name at 12; "q.test" is 8 octets, so the first record
	 * starts at 12 + 8 + 4 = 24 */
	static const uint8_t mx_rd[] = { 0, 10, 2, 'm', 'x', 0xc0, 12 };	/* mx.q.test, compressed */

	(void)state;
	assert_non_null(a);

	/* CNAME chain by pointers: q.test -> c.q.test -> target (MX at it) */
	pk_start(&p, 0, 3, 0, 0, "q.test", INKAN_DNS_MX);
	pk_u16(&p, 0xc00c);
	pk_rr(&p, INKAN_DNS_CNAME, 300, "\x01" "c" "\xc0\x0c", 4);	/* c.q.test at 36 */
	pk_u16(&p, 0xc000 | 36);
	pk_rr(&p, INKAN_DNS_CNAME, 200, "\x06" "Target" "\xc0\x0c", 9);	/* Target.q.test at 52 */
	pk_name(&p, "target.Q.TEST");	/* the owner in other case, uncompressed */
	pk_rr(&p, INKAN_DNS_MX, 400, mx_rd, sizeof(mx_rd));
	assert_int_equal(pk_read(a, &p, INKAN_DNS_MX, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_OK);
	assert_string_equal(ans.canonname, "Target.q.test");
	assert_int_equal(ans.ttl, 200);
	assert_int_equal(ans.nrr, 1);
	assert_int_equal(ans.rr[0].len, 2 + 11);	/* pointer expanded */
	assert_int_equal(inkan_dns_rr_mx(a, &ans.rr[0], &pref, &s), 0);
	assert_int_equal(pref, 10);
	assert_string_equal(s, "mx.q.test");
	/* for qtype CNAME the first CNAME is the answer, its target expanded */
	assert_int_equal(pk_read(a, &p, INKAN_DNS_CNAME, &ans), 0);
	assert_int_equal(ans.nrr, 1);
	assert_null(ans.canonname);
	assert_int_equal(inkan_dns_rr_name(a, &ans.rr[0], &s), 0);
	assert_string_equal(s, "c.q.test");

	/* NXDOMAIN: TTL from the SOA, the smaller of its TTL and MINIMUM */
	pk_start(&p, 3, 0, 1, 0, "q.test", INKAN_DNS_TXT);
	pk_u16(&p, 0xc00c);
	{
		struct pk rd = { .n = 0 };

		pk_u16(&rd, 0xc00c);	/* mname, compressed */
		pk_name(&rd, "h.q.test");
		pk_u32(&rd, 1);
		pk_u32(&rd, 3600);
		pk_u32(&rd, 600);
		pk_u32(&rd, 86400);
		pk_u32(&rd, 120);
		pk_rr(&p, INKAN_DNS_SOA, 900, rd.b, rd.n);
	}
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_NXDOMAIN);
	assert_int_equal(ans.ttl, 120);
	/* NODATA without SOA: the default */
	pk_start(&p, 0, 0, 0, 0, "q.test", INKAN_DNS_TXT);
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_NODATA);
	assert_int_equal(ans.ttl, 300);

	/* rcodes */
	pk_start(&p, 2, 0, 0, 0, "q.test", INKAN_DNS_TXT);
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_SERVFAIL);
	assert_string_equal(ans.why, "server failure");
	pk_start(&p, 5, 0, 0, 0, "q.test", INKAN_DNS_TXT);
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_string_equal(ans.why, "rcode 5");

	/* more than INKAN_DNS_MAX_RRS records: truncated; TXT kept whole */
	pk_start(&p, 0, INKAN_DNS_MAX_RRS + 4, 0, 0, "q.test", INKAN_DNS_TXT);
	for (unsigned i = 0; i < INKAN_DNS_MAX_RRS + 4; i++) {
		pk_u16(&p, 0xc00c);
		pk_rr(&p, INKAN_DNS_TXT, 60 + i, "\x02hi\x01!", 5);
	}
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_true(ans.truncated);
	assert_int_equal(ans.nrr, INKAN_DNS_MAX_RRS);
	assert_int_equal(ans.ttl, 60);
	assert_int_equal(inkan_dns_rr_txt(a, &ans.rr[0], &s, &n), 0);
	assert_string_equal(s, "hi!");

	/* escapes in a CNAME target come out as ldns writes them */
	pk_start(&p, 0, 1, 0, 0, "q.test", INKAN_DNS_A);
	pk_u16(&p, 0xc00c);
	pk_rr(&p, INKAN_DNS_CNAME, 60, "\x06" "a.b (\xff" "\x00", 8);
	assert_int_equal(pk_read(a, &p, INKAN_DNS_A, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_NODATA);
	assert_string_equal(ans.canonname, "a\\.b\\032\\(\\255");
	inkan_arena_free(a);
}

static void
test_wire_bad_names(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct pk p;
	struct inkan_dns_answer ans;
	uint8_t name[256];
	const char *why;
	size_t pos;
	static const struct {
		const char *what;
		const uint8_t *q;
		size_t n;
		const char *why;
	} bad[] = {
		{ "pointer to itself", (const uint8_t *)"\xc0\x0c", 2, "compression pointer loop" },
		{ "pointer to the header", (const uint8_t *)"\xc0\x00", 2,
		  "compression pointer out of bounds" },
		{ "pointer past the end", (const uint8_t *)"\xcf\xff", 2,
		  "compression pointer out of bounds" },
		{ "extended label 0x40", (const uint8_t *)"\x41" "a\x00", 3,
		  "label longer than 63 octets" },
		{ "label type 0x80", (const uint8_t *)"\x80" "a\x00", 3,
		  "label longer than 63 octets" },
		{ "label past the end", (const uint8_t *)"\x05" "ab", 3, "name runs past the end" },
		{ "no root label", (const uint8_t *)"\x02" "ab", 3, "name runs past the end" },
		{ "pointer cut", (const uint8_t *)"\xc0", 1, "name runs past the end" },
	};

	(void)state;
	assert_non_null(a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pk_start(&p, 0, 0, 0, 0, "", INKAN_DNS_TXT);
		p.n = 12;
		pk_put(&p, bad[i].q, bad[i].n);
		if (bad[i].n > 2 || bad[i].q[0] >= 0xc0)
			pk_put(&p, "\x00\x10\x00\x01", strcmp(bad[i].why, "name runs past the end") == 0 ? 0 : 4);
		assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
		assert_int_equal(ans.status, INKAN_DNS_SERVFAIL);
		if (strstr(ans.why, bad[i].why) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].what, ans.why, bad[i].why);
	}
	/* a loop of two pointers in an answer's owner */
	pk_start(&p, 0, 1, 0, 0, "q.test", INKAN_DNS_TXT);
	pk_u16(&p, 0xc000 | 26);
	pk_u16(&p, 0xc000 | 24);
	pk_rr(&p, INKAN_DNS_TXT, 60, "\x01x", 2);
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_string_equal(ans.why, "malformed answer: compression pointer loop");
	/* a loop through a label grows the name past 255 */
	pk_start(&p, 0, 1, 0, 0, "q.test", INKAN_DNS_TXT);
	pk_put(&p, "\x01" "a" "\xc0\x18", 4);
	pk_rr(&p, INKAN_DNS_TXT, 60, "\x01x", 2);
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_string_equal(ans.why, "malformed answer: name longer than 255 octets");
	/* a pointer loop inside MX rdata */
	pk_start(&p, 0, 1, 0, 0, "q.test", INKAN_DNS_MX);
	pk_u16(&p, 0xc00c);
	pk_rr(&p, INKAN_DNS_MX, 60, "\x00\x0a\xc0\x26", 4);	/* the name at 38 points at itself */
	assert_int_equal(pk_read(a, &p, INKAN_DNS_MX, &ans), 0);
	assert_string_equal(ans.why, "malformed answer: compression pointer loop");
	/* RDLENGTH past the end of the packet */
	pk_start(&p, 0, 1, 0, 0, "q.test", INKAN_DNS_TXT);
	pk_u16(&p, 0xc00c);
	pk_rr(&p, INKAN_DNS_TXT, 60, "\x01x", 2);
	p.n--;
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_string_equal(ans.why, "malformed answer: rdata runs past the end");
	/* a TXT string longer than its RDLENGTH */
	pk_start(&p, 0, 1, 0, 0, "q.test", INKAN_DNS_TXT);
	pk_u16(&p, 0xc00c);
	pk_rr(&p, INKAN_DNS_TXT, 60, "\x05x", 2);
	pk_put(&p, "yyyy", 4);
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_string_equal(ans.why, "malformed answer: rdata field runs past its RDLENGTH");
	/* shorter than a header */
	p.n = 11;
	assert_int_equal(pk_read(a, &p, INKAN_DNS_TXT, &ans), 0);
	assert_string_equal(ans.why, "malformed answer: shorter than a DNS header");

	/* inkan__wire_name: 255 octets is the most */
	p.n = 0;
	pk_put(&p, "\x00", 1);
	for (int i = 0; i < 3; i++) {
		pk_put(&p, "\x3f", 1);
		for (int j = 0; j < 63; j++)
			pk_put(&p, "a", 1);
	}
	pk_put(&p, "\x3d", 1);
	for (int j = 0; j < 61; j++)
		pk_put(&p, "b", 1);
	pk_put(&p, "\x00", 1);
	pos = 1;
	assert_int_equal(inkan__wire_name(p.b, p.n, &pos, name, &why), 255);
	assert_int_equal(pos, p.n);
	assert_int_equal(name[254], 0);
	/* and 256 octets are one too many */
	pos = 1;
	{
		uint8_t big[300];

		memset(big, 'a', sizeof(big));
		big[0] = 0;
		for (int i = 0; i < 4; i++)
			big[1 + i * 64] = 0x3f;
		big[257] = 0;
		assert_int_equal(inkan__wire_name(big, 258, &pos, name, &why), -1);
		assert_string_equal(why, "name longer than 255 octets");
	}
	inkan_arena_free(a);
}

static void
test_stub(void **state)
{
	struct fake f = { .udp = -1 };
	pthread_t th;
	char srv[64];
	struct inkan_async *as = NULL;
	struct inkan_arena *a = inkan_arena_new();
	static const struct {
		const char *name;
		uint16_t type;
	} qs[] = {
		{ "ok.test", INKAN_DNS_TXT },		/* 0 */
		{ "nx.test", INKAN_DNS_A },		/* 1 */
		{ "nodata.test", INKAN_DNS_AAAA },	/* 2 */
		{ "cname.test", INKAN_DNS_A },		/* 3 */
		{ "servfail.test", INKAN_DNS_A },	/* 4 */
		{ "tc.test", INKAN_DNS_TXT },		/* 5 */
		{ "silent.test", INKAN_DNS_A },		/* 6 */
		{ "nosoa.test", INKAN_DNS_A },		/* 7 */
		{ "mx.test", INKAN_DNS_MX },		/* 8 */
	};
	enum { NQ = sizeof(qs) / sizeof(qs[0]) };
	struct stub_got g[NQ];
	char *txt, *name;
	size_t tl;
	unsigned pref;
	struct inkan_ip ip;
	uint64_t t0, dt;

	(void)state;
	assert_non_null(a);
	/* bad server addresses */
	assert_int_equal(inkan_async_stub_new("nonsense", 300, &as), INKAN_EINVAL);
	assert_null(as);
	assert_int_equal(inkan_async_stub_new("127.0.0.1@0", 300, &as), INKAN_EINVAL);
	assert_int_equal(inkan_async_stub_new("127.0.0.1@70000", 300, &as), INKAN_EINVAL);

	fake_open(&f);
	assert_int_equal(pthread_create(&th, NULL, fake_main, &f), 0);
	snprintf(srv, sizeof(srv), "127.0.0.1@%u", f.port);
	assert_int_equal(inkan_async_stub_new(srv, 600, &as), 0);
	memset(g, 0, sizeof(g));
	t0 = ms_now();
	for (size_t i = 0; i < NQ; i++) {
		g[i].a = a;
		assert_int_equal(as->ops->submit(as, qs[i].name, qs[i].type, stub_cb, &g[i]), 0);
	}
	assert_int_equal(as->pending, NQ);
	while (as->pending > 0)
		assert_int_equal(as->ops->wait(as), 0);
	dt = ms_now() - t0;
	for (size_t i = 0; i < NQ; i++) {
		assert_int_equal(g[i].n, 1);
		assert_string_equal(g[i].ans.qname, qs[i].name);
		assert_int_equal(g[i].ans.qtype, qs[i].type);
		assert_false(g[i].ans.secure);
	}

	/* wrong ID and wrong question ignored; the answer's name case does
	 * not matter */
	assert_int_equal(g[0].ans.status, INKAN_DNS_OK);
	assert_int_equal(g[0].ans.nrr, 1);
	assert_int_equal(g[0].ans.ttl, 300);
	assert_int_equal(inkan_dns_rr_txt(a, &g[0].ans.rr[0], &txt, &tl), 0);
	assert_string_equal(txt, "v=spf1 -all");
	assert_null(g[0].ans.canonname);

	/* RFC 2308 §5: min(SOA TTL, SOA MINIMUM) */
	assert_int_equal(g[1].ans.status, INKAN_DNS_NXDOMAIN);
	assert_int_equal(g[1].ans.ttl, 60);
	assert_int_equal(g[2].ans.status, INKAN_DNS_NODATA);
	assert_int_equal(g[2].ans.ttl, 120);
	assert_int_equal(g[2].ans.nrr, 0);

	/* the chain cname -> mid -> end, in any order in the section; ttl
	 * is the smallest along it, unrelated records are not taken */
	assert_int_equal(g[3].ans.status, INKAN_DNS_OK);
	assert_int_equal(g[3].ans.nrr, 2);
	assert_string_equal(g[3].ans.canonname, "end.test");
	assert_int_equal(g[3].ans.ttl, 50);
	assert_int_equal(g[3].ans.rr[0].type, INKAN_DNS_A);
	assert_int_equal(inkan_dns_rr_ip(&g[3].ans.rr[0], &ip), 0);
	assert_int_equal(g[3].ans.rr[0].len, 4);
	assert_memory_equal(g[3].ans.rr[0].data, "\xc0\x00\x02\x01", 4);
	assert_memory_equal(g[3].ans.rr[1].data, "\xc0\x00\x02\x02", 4);

	assert_int_equal(g[4].ans.status, INKAN_DNS_SERVFAIL);
	assert_non_null(g[4].ans.why);

	/* TC=1 over UDP: asked again over TCP */
	assert_int_equal(g[5].ans.status, INKAN_DNS_OK);
	assert_int_equal(g[5].ans.nrr, 1);
	assert_int_equal(inkan_dns_rr_txt(a, &g[5].ans.rr[0], &txt, &tl), 0);
	assert_string_equal(txt, "via tcp");
	assert_int_equal(atomic_load(&f.tcp_seen), 1);

	/* no answer: one retry with a new ID, then TIMEOUT at the deadline */
	assert_int_equal(g[6].ans.status, INKAN_DNS_TIMEOUT);
	assert_non_null(g[6].ans.why);
	assert_int_equal(atomic_load(&f.silent_seen), 2);
	assert_int_not_equal(f.silent_ids[0], f.silent_ids[1]);
	if (dt < 550 || dt > 3000)
		fail_msg("stub timeout after %lu ms, wanted ~600", (unsigned long)dt);

	/* NXDOMAIN without SOA: 300 s */
	assert_int_equal(g[7].ans.status, INKAN_DNS_NXDOMAIN);
	assert_int_equal(g[7].ans.ttl, 300);

	/* names in rdata come out uncompressed and readable */
	assert_int_equal(g[8].ans.status, INKAN_DNS_OK);
	assert_int_equal(inkan_dns_rr_mx(a, &g[8].ans.rr[0], &pref, &name), 0);
	assert_int_equal(pref, 10);
	assert_string_equal(name, "mail.mx.test");

	/* freed with queries pending: no callback, no leak */
	assert_int_equal(as->ops->submit(as, "silent.test", INKAN_DNS_TXT, got_cb, &g[0]), 0);
	inkan_async_free(as);

	/* many at once: more than the in-flight bound, all answered (a
	 * longer timeout: the fake server is slow and may drop some, which
	 * the retry recovers) */
	assert_int_equal(inkan_async_stub_new(srv, 4000, &as), 0);
	{
		enum { MANY = INKAN_DNS_ASYNC_MAX_INFLIGHT + 500 };
		struct got *gm = calloc(MANY, sizeof(*gm));

		assert_non_null(gm);
		for (int i = 0; i < MANY; i++)
			assert_int_equal(as->ops->submit(as, i % 2 ? "nx.test" : "ok.test",
			    INKAN_DNS_TXT, got_cb, &gm[i]), 0);
		while (as->pending > 0)
			assert_int_equal(as->ops->wait(as), 0);
		for (int i = 0; i < MANY; i++) {
			assert_int_equal(gm[i].n, 1);
			assert_int_equal(gm[i].status, i % 2 ? INKAN_DNS_NXDOMAIN : INKAN_DNS_OK);
		}
		free(gm);
	}
	inkan_async_free(as);
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	close(f.udp);
	close(f.tcp);
	inkan_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_zone_load_errors),
		cmocka_unit_test(test_zone_load_file),
		cmocka_unit_test(test_zone_origin_ttl),
		cmocka_unit_test(test_zone_nxdomain_nodata_ent),
		cmocka_unit_test(test_zone_cname),
		cmocka_unit_test(test_zone_cname_chain_limit),
		cmocka_unit_test(test_zone_wildcards_rfc4592),
		cmocka_unit_test(test_zone_forced_status),
		cmocka_unit_test(test_zone_txt_strings),
		cmocka_unit_test(test_zone_add_rr_and_limits),
		cmocka_unit_test(test_zone_answer_outlives_store),
		cmocka_unit_test(test_rdata_malformed),
		cmocka_unit_test(test_rdata_names),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_cache_ttl),
		cmocka_unit_test(test_cache_failures_kept_min_ttl),
		cmocka_unit_test(test_cache_eviction_lru),
		cmocka_unit_test(test_cache_table_churn),
		cmocka_unit_test(test_cache_only_misses),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_bulk_same_answers_as_sequential),
		cmocka_unit_test(test_bulk_guards),
		cmocka_unit_test(test_unbound_bad_options),
		cmocka_unit_test(test_unbound_timeout),
		cmocka_unit_test(test_wire_answers),
		cmocka_unit_test(test_wire_bad_names),
		cmocka_unit_test(test_stub),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
