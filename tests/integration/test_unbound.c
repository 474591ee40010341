/* test_unbound.c - the libunbound backend against the NSD of tests/env.
 *
 *   test_unbound --resolver 127.0.0.1@5353 --ta build/testenv/dns/example.test.ds
 *
 * Expected data is what tests/env/start.sh publishes: example.test signed
 * (bad.example.test altered after signing), plain.test unsigned.  The
 * DNSSEC expectations are those of RFC 4035 §4.3: signed data with a
 * chain to the anchor is secure, a broken signature is bogus, an unsigned
 * zone under no anchor is insecure, and denial of existence is proven.
 * Prints TAP.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/dns.h"
#include "inkan/error.h"

static int ntests, nfail;

static void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		nfail++;
}

static void
diag(const struct inkan_dns_answer *ans)
{
	printf("#   got %s nrr=%zu secure=%d bogus=%d ttl=%u why=%s\n",
	    inkan_dns_status_name(ans->status), ans->nrr, ans->secure, ans->bogus,
	    (unsigned)ans->ttl, ans->why ? ans->why : "-");
}

static const char *
txt0(struct inkan_arena *a, const struct inkan_dns_answer *ans)
{
	char *s;
	size_t n;

	if (ans->nrr == 0 || inkan_dns_rr_txt(a, &ans->rr[0], &s, &n) != 0)
		return "";
	return s;
}

static int
query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *ans)
{
	int rc = inkan_dns_query(r, a, name, type, ans);

	if (rc != 0) {
		printf("# query %s %s: %s\n", name, inkan_dns_type_name(type), inkan_strerror(rc));
		memset(ans, 0, sizeof(*ans));
		ans->status = INKAN_DNS_SERVFAIL;
	}
	return rc;
}

static void
sync_checks(struct inkan_resolver *r)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;
	bool good;

	query(r, a, "example.test", INKAN_DNS_TXT, &ans);
	good = ans.status == INKAN_DNS_OK && ans.secure && !ans.bogus && ans.nrr == 1 &&
	    strcmp(txt0(a, &ans), "v=spf1 ip4:127.0.0.0/8 mx -all") == 0;
	ok(good, "example.test TXT is secure with the published text");
	if (!good)
		diag(&ans);

	query(r, a, "bad.example.test", INKAN_DNS_TXT, &ans);
	good = ans.bogus && !ans.secure && ans.why != NULL && ans.status == INKAN_DNS_OK &&
	    strcmp(txt0(a, &ans), "tampered-text") == 0;
	ok(good, "bad.example.test TXT is bogus, data kept, why given");
	if (!good)
		diag(&ans);
	else
		printf("#   why: %s\n", ans.why);

	query(r, a, "nope.example.test", INKAN_DNS_TXT, &ans);
	good = ans.status == INKAN_DNS_NXDOMAIN && ans.secure && ans.nrr == 0;
	ok(good, "nope.example.test is NXDOMAIN, proven (secure)");
	if (!good)
		diag(&ans);

	query(r, a, "example.test", INKAN_DNS_AAAA, &ans);
	good = ans.status == INKAN_DNS_NODATA && ans.secure && ans.nrr == 0;
	ok(good, "example.test AAAA is NODATA, proven (secure)");
	if (!good)
		diag(&ans);

	query(r, a, "deep.example.test", INKAN_DNS_TXT, &ans);
	good = ans.status == INKAN_DNS_NODATA;
	ok(good, "deep.example.test (empty non-terminal) is NODATA");
	if (!good)
		diag(&ans);

	query(r, a, "plain.test", INKAN_DNS_TXT, &ans);
	good = ans.status == INKAN_DNS_OK && !ans.secure && !ans.bogus &&
	    strcmp(txt0(a, &ans), "v=spf1 -all") == 0;
	ok(good, "plain.test TXT is insecure, not bogus");
	if (!good)
		diag(&ans);

	query(r, a, "multi.example.test", INKAN_DNS_TXT, &ans);
	good = ans.status == INKAN_DNS_OK &&
	    strcmp(txt0(a, &ans), "v=spf1 include:plain.test -all") == 0;
	ok(good, "multi.example.test TXT strings are concatenated (RFC 7208 3.3)");

	query(r, a, "example.test", INKAN_DNS_MX, &ans);
	{
		bool seen10 = false, seen20 = false;

		for (size_t i = 0; i < ans.nrr; i++) {
			unsigned pref;
			char *ex;

			if (inkan_dns_rr_mx(a, &ans.rr[i], &pref, &ex) != 0)
				continue;
			seen10 |= pref == 10 && strcmp(ex, "mx.example.test") == 0;
			seen20 |= pref == 20 && strcmp(ex, "mx2.example.test") == 0;
		}
		ok(ans.nrr == 2 && seen10 && seen20 && ans.secure,
		    "example.test MX decodes to 10 mx, 20 mx2");
	}

	query(r, a, "plain.test", INKAN_DNS_MX, &ans);
	{
		unsigned pref = 99;
		char *ex = NULL;

		good = ans.nrr == 1 && inkan_dns_rr_mx(a, &ans.rr[0], &pref, &ex) == 0 &&
		    pref == 0 && strcmp(ex, "") == 0;
		ok(good, "plain.test MX is a Null MX (RFC 7505)");
	}

	query(r, a, "www.example.test", INKAN_DNS_A, &ans);
	{
		struct inkan_ip ip;

		good = ans.status == INKAN_DNS_OK && ans.nrr == 1 && ans.secure &&
		    ans.canonname != NULL && strcmp(ans.canonname, "mx.example.test") == 0 &&
		    inkan_dns_rr_ip(&ans.rr[0], &ip) == 0 && ip.family == 4 && ip.a[0] == 127 &&
		    ip.a[3] == 1;
		ok(good, "www.example.test A follows the CNAME to mx (canonname set)");
		if (!good)
			diag(&ans);
	}
	inkan_arena_free(a);
}

/* ---- the asynchronous path ---- */

struct one {
	const char *name;
	uint16_t type;
	int rc;
	int done;
	/* the answer, flattened for comparison */
	enum inkan_dns_status status;
	bool secure, bogus;
	size_t nrr;
	char rdata[512];
};

static void
flatten(struct one *o, const struct inkan_dns_answer *ans)
{
	o->status = ans->status;
	o->secure = ans->secure;
	o->bogus = ans->bogus;
	o->nrr = ans->nrr;
	o->rdata[0] = '\0';
	/* Order within an RRset is not fixed: sum a hash per record.  ASCII
	 * case is folded: NSD compresses rdata names against the question,
	 * so "EXAMPLE.test" MX comes back as mx.EXAMPLE.test (RFC 4343: the
	 * same name). */
	unsigned long sum = 0;
	for (size_t i = 0; i < ans->nrr; i++) {
		unsigned long h = 5381;

		for (size_t k = 0; k < ans->rr[i].len; k++)
			h = h * 33 + (unsigned long)tolower(ans->rr[i].data[k]);
		sum += h ^ ans->rr[i].len;
	}
	snprintf(o->rdata, sizeof(o->rdata), "%lx", sum);
}

struct job {
	struct one *o;
	struct inkan_arena *a;
};

static int
job_run(void *arg, struct inkan_resolver *r)
{
	struct job *j = arg;
	struct inkan_dns_answer ans;
	int rc;

	inkan_arena_reset(j->a);
	if ((rc = inkan_dns_query(r, j->a, j->o->name, j->o->type, &ans)) != 0)
		return rc;
	flatten(j->o, &ans);
	return 0;
}

static void
job_done(void *arg, int rc)
{
	struct job *j = arg;

	j->o->rc = rc;
	j->o->done++;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the queries in o[0..n) through the bulk driver. */
static int
run_bulk(struct inkan_resolver *ub, struct one *o, size_t n, size_t max_jobs,
    struct inkan_bulk_stats *st)
{
	struct inkan_resolver *cache;
	struct inkan_async *as;
	struct inkan_bulk *b;
	struct job *jobs = calloc(n, sizeof(*jobs));
	int rc;

	if (jobs == NULL || inkan_resolver_cache_new(NULL, 0, &cache) != 0)
		return INKAN_ENOMEM;
	if ((rc = inkan_async_unbound_new(ub, &as)) != 0)
		return rc;
	if ((rc = inkan_bulk_new(cache, as, max_jobs, &b)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct inkan_bulk_job bj = { job_run, job_done, &jobs[i] };

		jobs[i].o = &o[i];
		jobs[i].a = inkan_arena_new();
		if ((rc = inkan_bulk_add(b, &bj)) != 0)
			return rc;
	}
	rc = inkan_bulk_run(b);
	inkan_bulk_get_stats(b, st);
	inkan_bulk_free(b);
	inkan_async_free(as);
	inkan_resolver_free(cache);
	for (size_t i = 0; i < n; i++)
		inkan_arena_free(jobs[i].a);
	free(jobs);
	return rc;
}

static void
async_checks(struct inkan_resolver *ub)
{
	static const char *const names[] = {
		"example.test", "bad.example.test", "nope.example.test", "deep.example.test",
		"plain.test", "multi.example.test", "www.example.test", "mx.example.test",
		"mx2.example.test", "_dmarc.example.test", "host.plain.test", "nohost.plain.test",
		"sub.deep.example.test", "ns.example.test", "x.y.example.test", "EXAMPLE.test.",
		"Plain.Test.", "a.b.c.plain.test", "mx.example.test.", "gone.test",
	};
	static const uint16_t types[] = {
		INKAN_DNS_TXT, INKAN_DNS_A, INKAN_DNS_MX, INKAN_DNS_AAAA, INKAN_DNS_SOA,
		INKAN_DNS_NS, INKAN_DNS_CNAME, INKAN_DNS_SPF, INKAN_DNS_DNSKEY, INKAN_DNS_TLSA,
	};
	enum { N = sizeof(names) / sizeof(names[0]) * sizeof(types) / sizeof(types[0]) };
	static struct one par[N], seq[N];
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_bulk_stats st;
	size_t same = 0, done = 0;
	int rc;

	for (size_t i = 0; i < N; i++) {
		struct inkan_dns_answer ans;

		seq[i].name = par[i].name = names[i % (sizeof(names) / sizeof(names[0]))];
		seq[i].type = par[i].type = types[i / (sizeof(names) / sizeof(names[0]))];
		query(ub, a, seq[i].name, seq[i].type, &ans);
		flatten(&seq[i], &ans);
		inkan_arena_reset(a);
	}
	rc = run_bulk(ub, par, N, 50, &st);
	ok(rc == 0, "bulk run of %d queries through libunbound: %s", N, inkan_strerror(rc));
	for (size_t i = 0; i < N; i++) {
		done += par[i].done == 1 && par[i].rc == 0;
		if (par[i].status == seq[i].status && par[i].secure == seq[i].secure &&
		    par[i].bogus == seq[i].bogus && par[i].nrr == seq[i].nrr &&
		    strcmp(par[i].rdata, seq[i].rdata) == 0)
			same++;
		else
			printf("#   differs: %s %s: async %s/%d/%d/%zu, sync %s/%d/%d/%zu\n",
			    par[i].name, inkan_dns_type_name(par[i].type),
			    inkan_dns_status_name(par[i].status), par[i].secure, par[i].bogus,
			    par[i].nrr, inkan_dns_status_name(seq[i].status), seq[i].secure,
			    seq[i].bogus, seq[i].nrr);
	}
	ok(done == N, "every job done once with rc 0 (%zu of %d)", done, N);
	ok(same == N, "async answers equal sync answers (%zu of %d)", same, N);
	/* "EXAMPLE.test." and "example.test" are one query; so are the two
	 * spellings of plain.test and of mx.example.test. */
	ok(st.queries_sent == N - 3 * (sizeof(types) / sizeof(types[0])),
	    "queries sent once per distinct name and type (%lu sent, %lu shared)",
	    st.queries_sent, st.queries_shared);
	inkan_arena_free(a);
}

static void
thousands_check(struct inkan_resolver *ub)
{
	enum { N = 3000 };
	static struct one o[N];
	static char names[N][40];
	struct inkan_bulk_stats st;
	size_t nx = 0;
	double t0 = now_s(), dt;
	int rc;

	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "n%zu.nx.example.test", i);
		o[i].name = names[i];
		o[i].type = INKAN_DNS_TXT;
	}
	rc = run_bulk(ub, o, N, 0, &st);
	dt = now_s() - t0;
	for (size_t i = 0; i < N; i++)
		nx += o[i].done == 1 && o[i].status == INKAN_DNS_NXDOMAIN && o[i].secure;
	ok(rc == 0 && nx == N && st.queries_sent == N,
	    "%d distinct queries, 1000 jobs in flight: all secure NXDOMAIN (%zu) in %.2f s",
	    N, nx, dt);
}

int
main(int argc, char **argv)
{
	const char *fwd = NULL, *ta = NULL;
	static const char *const tz[] = { "test", NULL };
	const char *fwds[2] = { NULL, NULL };
	struct inkan_unbound_opts o = { .transparent_zones = tz, .timeout_ms = 5000 };
	struct inkan_resolver *r;
	const char *why = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--resolver") == 0 && i + 1 < argc)
			fwd = argv[++i];
		else if (strcmp(argv[i], "--ta") == 0 && i + 1 < argc)
			ta = argv[++i];
		else {
			fprintf(stderr, "usage: test_unbound --resolver ADDR@PORT --ta FILE\n");
			return 2;
		}
	}
	if (fwd == NULL || ta == NULL) {
		fprintf(stderr, "usage: test_unbound --resolver ADDR@PORT --ta FILE\n");
		return 2;
	}
	fwds[0] = fwd;
	o.forwarders = fwds;
	o.trust_anchor_file = ta;
	rc = inkan_resolver_unbound_new(&o, &r, &why);
	ok(rc == 0, "libunbound resolver forwarding to %s with anchor %s%s%s", fwd, ta,
	    rc ? ": " : "", rc ? why : "");
	if (rc != 0) {
		printf("1..%d\n", ntests);
		return 1;
	}
	sync_checks(r);
	async_checks(r);
	thousands_check(r);
	ok(r->nqueries >= 10, "queries counted on the handle (%lu)", r->nqueries);
	inkan_resolver_free(r);
	printf("1..%d\n", ntests);
	return nfail != 0;
}
