/* test_survey.c - the survey evaluator (include/inkan/survey.h) over the
 * zone backend: each measure with its RFC, the same answers through the
 * bulk driver (cache-only resolver, INKAN_EAGAIN, re-runs), the store and
 * the tally, and resuming (a stored domain is skipped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/survey.h"

static const char zone_text[] =
"$TTL 300\n"
"full.t. MX 10 mx.full.t.\n"
"full.t. MX 20 mx2.full.t.\n"
"full.t. TXT \"v=spf1 include:inc.t -all\"\n"
"full.t. TXT \"google-site-verification=x\"\n"
"inc.t. TXT \"v=spf1 ip4:192.0.2.0/24 a mx ~all\"\n"
"_dmarc.full.t. TXT \"v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@full.t; t=y\"\n"
"_mta-sts.full.t. TXT \"v=STSv1; id=20240101\"\n"
"_smtp._tls.full.t. TXT \"v=TLSRPTv1; rua=mailto:tls@full.t\"\n"
"default._bimi.full.t. TXT \"v=BIMI1; l=https://full.t/logo.svg\"\n"
"sel._domainkey.full.t. TXT \"v=DKIM1; p=MIIB\"\n"
"_25._tcp.mx.full.t. TLSA 3 1 1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
"null.t. MX 0 .\n"
"null.t. TXT \"v=spf1 -all\"\n"
"_dmarc.null.t. TXT \"v=DMARC1; p=none\"\n"
"ipmx.t. MX 10 192.0.2.1.\n"
"ipmx.t. TXT \"v=spf1 +all\"\n"
"redir.t. MX 10 mx.redir.t.\n"
"redir.t. TXT \"v=spf1 redirect=inc.t\"\n"
"two.t. MX 10 mx.two.t.\n"
"two.t. TXT \"v=spf1 -all\"\n"
"two.t. TXT \"v=spf1 ~all\"\n"
"_dmarc.two.t. TXT \"v=DMARC1; p=bogus\"\n"
"bad.t. MX 10 mx.bad.t.\n"
"bad.t. TXT \"v=spf1 foo:bar -all\"\n"
"big.t. MX 10 mx.big.t.\n"
"big.t. TXT \"v=spf1 include:i1.t include:i2.t include:i3.t include:i4.t include:i5.t include:i6.t ?all\"\n"
"i1.t. TXT \"v=spf1 a mx\"\n"
"i2.t. TXT \"v=spf1 a mx\"\n"
"i3.t. TXT \"v=spf1 a mx\"\n"
"i4.t. TXT \"v=spf1 a mx\"\n"
"i5.t. TXT \"v=spf1 a mx\"\n"
"i6.t. TXT \"v=spf1 a mx\"\n"
"sf.t. MX 10 mx.sf.t.\n";

static struct inkan_zone *zone;
static struct inkan_resolver *res;

static int
setup(void **state)
{
	char *why = NULL;

	(void)state;
	if (inkan_zone_new(&zone) != 0 ||
	    inkan_zone_load_string(zone, zone_text, strlen(zone_text), NULL, &why) != 0) {
		fprintf(stderr, "zone: %s\n", why ? why : "?");
		free(why);
		return -1;
	}
	if (inkan_zone_set_status(zone, "sf.t", INKAN_DNS_TXT, INKAN_DNS_SERVFAIL) != 0)
		return -1;
	return inkan_resolver_zone_new(zone, &res);
}

static int
teardown(void **state)
{
	(void)state;
	inkan_resolver_free(res);
	inkan_zone_free(zone);
	return 0;
}

static struct inkan_survey_result
survey(struct inkan_arena *a, const char *d)
{
	struct inkan_survey_result r;

	assert_int_equal(inkan_survey_domain(res, a, d, &r), 0);
	return r;
}

/* Everything published: RFC 7208 (SPF -all), RFC 9989 (p, sp, np, rua,
 * t=y), RFC 8461 §3.1, RFC 8460 §3, BIMI, RFC 7672 (TLSA on one of two MX
 * hosts), RFC 8020 (_domainkey exists as an empty non-terminal). */
static void
test_full(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_result r = survey(a, "Full.T.");

	(void)state;
	assert_string_equal(r.domain, "full.t");
	assert_int_equal(r.mx, INKAN_SURVEY_MX_OK);
	assert_int_equal(r.mx_hosts, 2);
	assert_int_equal(r.spf, INKAN_SURVEY_REC_VALID);
	assert_int_equal(r.spf_all, '-');
	assert_int_equal(r.spf_lookups, 3);	/* include, a, mx */
	assert_false(r.spf_over_limit);
	assert_int_equal(r.dmarc, INKAN_SURVEY_REC_VALID);
	assert_string_equal(r.dmarc_p, "reject");
	assert_string_equal(r.dmarc_sp, "quarantine");
	assert_string_equal(r.dmarc_np, "reject");
	assert_true(r.dmarc_rua);
	assert_true(r.dmarc_testing);
	assert_int_equal(r.mtasts, INKAN_SURVEY_REC_VALID);
	assert_int_equal(r.tlsrpt, INKAN_SURVEY_REC_VALID);
	assert_int_equal(r.bimi, INKAN_SURVEY_REC_VALID);
	assert_int_equal(r.dkim, INKAN_SURVEY_DKIM_PRESENT);
	assert_int_equal(r.dane_hosts, 1);
	assert_true(r.dane);
	assert_false(r.dane_secure);	/* nothing validated */
	assert_int_equal(r.dnssec, INKAN_SURVEY_DNSSEC_INSECURE);
	inkan_arena_free(a);
}

/* RFC 7505 §3 Null MX; an IP address as exchange; SPF +all; p=none with
 * no sp/np; no _domainkey (NXDOMAIN). */
static void
test_null_ip(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_result r = survey(a, "null.t");

	(void)state;
	assert_int_equal(r.mx, INKAN_SURVEY_MX_NULL);
	assert_int_equal(r.spf_all, '-');
	assert_string_equal(r.dmarc_p, "none");
	assert_null(r.dmarc_sp);
	assert_null(r.dmarc_np);
	assert_false(r.dmarc_rua);
	assert_int_equal(r.dkim, INKAN_SURVEY_DKIM_NONE);
	assert_false(r.dane);
	r = survey(a, "ipmx.t");
	assert_int_equal(r.mx, INKAN_SURVEY_MX_IP);
	assert_int_equal(r.spf_all, '+');
	assert_int_equal(r.dmarc, INKAN_SURVEY_REC_NONE);
	inkan_arena_free(a);
}

/* RFC 7208 §6.1: the all of a redirect target counts; §4.5 two records is
 * an error; §4.6 a syntax error; §4.6.4 over 10 lookups; RFC 9989 §4.10.1
 * an invalid p= and no rua: the record does not apply. */
static void
test_spf_cases(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_result r = survey(a, "redir.t");

	(void)state;
	assert_int_equal(r.spf, INKAN_SURVEY_REC_VALID);
	assert_int_equal(r.spf_all, '~');
	r = survey(a, "two.t");
	assert_int_equal(r.spf, INKAN_SURVEY_REC_MULTIPLE);
	assert_int_equal(r.spf_all, 0);
	assert_int_equal(r.dmarc, INKAN_SURVEY_REC_INVALID);
	r = survey(a, "bad.t");
	assert_int_equal(r.spf, INKAN_SURVEY_REC_INVALID);
	r = survey(a, "big.t");
	assert_int_equal(r.spf_lookups, 18);
	assert_true(r.spf_over_limit);
	assert_int_equal(r.spf_all, '?');
	r = survey(a, "sf.t");
	assert_int_equal(r.spf, INKAN_SURVEY_REC_TEMPERROR);
	r = survey(a, "nothing.t");
	assert_int_equal(r.mx, INKAN_SURVEY_MX_NONE);
	assert_int_equal(r.spf, INKAN_SURVEY_REC_NONE);
	assert_int_equal(inkan_survey_domain(res, a, "single", &r), INKAN_EINVAL);
	inkan_arena_free(a);
}

/* DNSSEC from the answers' bits: a zone marked secure gives secure and,
 * with TLSA, DANE secure. */
static void
test_secure(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_result r;

	(void)state;
	inkan_zone_set_secure(zone, true);
	r = survey(a, "full.t");
	inkan_zone_set_secure(zone, false);
	assert_int_equal(r.dnssec, INKAN_SURVEY_DNSSEC_SECURE);
	assert_true(r.dane_secure);
	inkan_arena_free(a);
}

/* ---- through the bulk driver ---- */

struct bj {
	const char *domain;
	struct inkan_arena *a;
	struct inkan_survey_result r;
	int rc;
	unsigned runs;
};

static int
bj_run(void *arg, struct inkan_resolver *r)
{
	struct bj *j = arg;

	j->runs++;
	inkan_arena_reset(j->a);
	return inkan_survey_domain(r, j->a, j->domain, &j->r);
}

static void
bj_done(void *arg, int rc)
{
	((struct bj *)arg)->rc = rc;
}

static const char *const domains[] = { "full.t", "null.t", "ipmx.t", "redir.t", "two.t",
	"bad.t", "big.t", "sf.t", "nothing.t" };
#define ND (sizeof(domains) / sizeof(domains[0]))

/* The bulk path (EAGAIN, re-runs) gives the synchronous answers. */
static void
test_bulk_same(void **state)
{
	struct inkan_resolver *cache;
	struct inkan_async *as, *capped;
	struct inkan_bulk *b;
	struct bj jobs[ND];
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &cache), 0);
	assert_int_equal(inkan_async_sync_new(res, &as), 0);
	assert_int_equal(inkan_survey_async_ratelimit_new(as, 0, &capped), 0);
	assert_int_equal(inkan_bulk_new(cache, capped, 3, &b), 0);
	for (size_t i = 0; i < ND; i++) {
		struct inkan_bulk_job j = { bj_run, bj_done, &jobs[i] };

		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].domain = domains[i];
		jobs[i].a = inkan_arena_new();
		assert_int_equal(inkan_bulk_add(b, &j), 0);
	}
	assert_int_equal(inkan_bulk_run(b), 0);
	for (size_t i = 0; i < ND; i++) {
		struct inkan_survey_result s = survey(a, domains[i]);
		struct inkan_survey_result *r = &jobs[i].r;

		assert_int_equal(jobs[i].rc, 0);
		assert_true(jobs[i].runs >= 2);	/* at least one miss, one re-run */
		assert_int_equal(r->mx, s.mx);
		assert_int_equal(r->spf, s.spf);
		assert_int_equal(r->spf_all, s.spf_all);
		assert_int_equal(r->spf_lookups, s.spf_lookups);
		assert_int_equal(r->dmarc, s.dmarc);
		assert_int_equal(r->mtasts, s.mtasts);
		assert_int_equal(r->tlsrpt, s.tlsrpt);
		assert_int_equal(r->bimi, s.bimi);
		assert_int_equal(r->dkim, s.dkim);
		assert_int_equal(r->dane_hosts, s.dane_hosts);
		inkan_arena_free(jobs[i].a);
	}
	inkan_bulk_free(b);
	inkan_async_free(capped);
	inkan_async_free(as);
	inkan_resolver_free(cache);
	inkan_arena_free(a);
}

/* The cap: 40 queries at 200 q/s take at least 150 ms (the burst is 20). */
static void
test_ratelimit(void **state)
{
	struct inkan_resolver *cache;
	struct inkan_async *as, *capped;
	struct inkan_bulk *b;
	struct bj jobs[4];
	struct timespec t0, t1;
	double ms;

	(void)state;
	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &cache), 0);
	assert_int_equal(inkan_async_sync_new(res, &as), 0);
	assert_int_equal(inkan_survey_async_ratelimit_new(as, 200, &capped), 0);
	assert_int_equal(inkan_bulk_new(cache, capped, 10, &b), 0);
	for (size_t i = 0; i < 4; i++) {
		struct inkan_bulk_job j = { bj_run, bj_done, &jobs[i] };

		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].domain = domains[i];
		jobs[i].a = inkan_arena_new();
		assert_int_equal(inkan_bulk_add(b, &j), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(inkan_bulk_run(b), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	{
		struct inkan_bulk_stats st;

		inkan_bulk_get_stats(b, &st);
		assert_true(st.queries_sent >= 30);
		assert_true(ms >= ((double)st.queries_sent - 20.0) * 1000.0 / 200.0 - 10.0);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(jobs[i].rc, 0);
		inkan_arena_free(jobs[i].a);
	}
	inkan_bulk_free(b);
	inkan_async_free(capped);
	inkan_async_free(as);
	inkan_resolver_free(cache);
}

/* A lossy source: the first `lose` tries of every (name, type) are
 * answered TIMEOUT, later ones from the zone.  Stands for a path that
 * drops packets, offline. */
struct lossy_q {
	struct lossy_q *next;
	inkan_async_cb cb;
	void *arg;
	uint16_t type;
	char name[256];
};

struct lossy {
	struct inkan_async as;
	struct lossy_q *head;
	unsigned lose;
	char seen[512][270];
	unsigned tries[512], nseen;
	struct inkan_arena *a;
};

static int
lossy_submit(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb,
    void *arg)
{
	struct lossy *l = (struct lossy *)as;
	struct lossy_q *q = calloc(1, sizeof(*q));

	assert_non_null(q);
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->next = l->head;
	l->head = q;
	as->pending++;
	return 0;
}

static int
lossy_wait(struct inkan_async *as)
{
	struct lossy *l = (struct lossy *)as;
	struct lossy_q *q = l->head;
	struct inkan_dns_answer ans;
	char key[270];
	unsigned i;

	if (q == NULL)
		return 0;
	l->head = q->next;
	snprintf(key, sizeof(key), "%s/%u", q->name, q->type);
	for (i = 0; i < l->nseen && strcmp(l->seen[i], key) != 0; i++)
		continue;
	if (i == l->nseen) {
		assert_true(l->nseen < 512);
		snprintf(l->seen[l->nseen++], sizeof(l->seen[0]), "%s", key);
	}
	inkan_arena_reset(l->a);
	if (l->tries[i]++ < l->lose) {
		memset(&ans, 0, sizeof(ans));
		ans.status = INKAN_DNS_TIMEOUT;
		ans.qname = q->name;
		ans.qtype = q->type;
	} else {
		assert_int_equal(inkan_dns_query(res, l->a, q->name, q->type, &ans), 0);
	}
	as->pending--;
	q->cb(q->arg, &ans);
	free(q);
	return 0;
}

static void
lossy_destroy(struct inkan_async *as)
{
	(void)as;
}

static const struct inkan_async_ops lossy_ops = {
	.submit = lossy_submit, .wait = lossy_wait, .destroy = lossy_destroy,
};

/* Survey every domain through the pacer over a source that loses the
 * first `lose` tries of each query; returns the pacer's counts. */
static struct inkan_survey_pacer_stats
lossy_run(unsigned lose, unsigned retries, struct bj *jobs, unsigned *distinct)
{
	static struct lossy l;
	struct inkan_resolver *cache;
	struct inkan_async *paced;
	struct inkan_bulk *b;
	struct inkan_survey_pacing p = { .qps = 0, .retries = retries, .backoff_ms = 1 };
	struct inkan_survey_pacer_stats st;

	memset(&l, 0, sizeof(l));
	l.as.ops = &lossy_ops;
	l.lose = lose;
	l.a = inkan_arena_new();
	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &cache), 0);
	assert_int_equal(inkan_survey_async_pacer_new(&l.as, &p, &paced), 0);
	assert_int_equal(inkan_bulk_new(cache, paced, 4, &b), 0);
	for (size_t i = 0; i < ND; i++) {
		struct inkan_bulk_job j = { bj_run, bj_done, &jobs[i] };

		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].domain = domains[i];
		jobs[i].a = inkan_arena_new();
		assert_int_equal(inkan_bulk_add(b, &j), 0);
	}
	assert_int_equal(inkan_bulk_run(b), 0);
	inkan_survey_pacer_get_stats(paced, &st);
	*distinct = l.nseen;
	inkan_bulk_free(b);
	inkan_async_free(paced);
	inkan_resolver_free(cache);
	inkan_arena_free(l.a);
	return st;
}

/* Retries: two lost tries per query and --retries 2 give the answers of
 * a clean path, with exactly two retries per distinct query; one retry
 * is not enough and every lookup ends in temperror. */
static void
test_retries(void **state)
{
	struct bj jobs[ND];
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_pacer_stats st;
	unsigned distinct;

	(void)state;
	st = lossy_run(2, 2, jobs, &distinct);
	assert_true(distinct > ND * 5);
	assert_int_equal(st.retries, 2 * distinct);
	assert_int_equal(st.timeouts, 2 * distinct);
	assert_int_equal(st.sent, 3 * distinct);
	/* sf.t TXT is a SERVFAIL of the zone itself: its third try still
	 * fails, and that is passed on */
	assert_int_equal(st.servfails, 1);
	assert_int_equal(st.failed, 1);
	for (size_t i = 0; i < ND; i++) {
		struct inkan_survey_result s = survey(a, domains[i]);

		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].r.mx, s.mx);
		assert_int_equal(jobs[i].r.spf, s.spf);
		assert_int_equal(jobs[i].r.spf_all, s.spf_all);
		assert_int_equal(jobs[i].r.dmarc, s.dmarc);
		assert_int_equal(jobs[i].r.dkim, s.dkim);
		assert_int_equal(jobs[i].r.dane_hosts, s.dane_hosts);
		inkan_arena_free(jobs[i].a);
	}
	st = lossy_run(2, 1, jobs, &distinct);
	assert_int_equal(st.retries, distinct);
	assert_int_equal(st.failed, distinct);
	for (size_t i = 0; i < ND; i++) {
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].r.mx, INKAN_SURVEY_MX_TEMPERROR);
		assert_int_equal(jobs[i].r.dkim, INKAN_SURVEY_DKIM_TEMPERROR);
		inkan_arena_free(jobs[i].a);
	}
	inkan_arena_free(a);
}

/* Input: list lines, the zone sniffer, the shard hash, delegations. */
static void
test_input(void **state)
{
	static const struct {
		const char *line;
		int rc;
		const char *dom, *cat;
	} lines[] = {
		{ "Example.JP.\tco\n", 1, "example.jp", "co" },
		{ "a.example, go # comment\n", 1, "a.example", "go" },
		{ "  b.example\n", 1, "b.example", NULL },
		{ "# only a comment\n", 0, NULL, NULL },
		{ "\n", 0, NULL, NULL },
		{ "single\n", INKAN_EMALFORMED, NULL, NULL },	/* one label */
		{ "a..b\n", INKAN_EMALFORMED, NULL, NULL },
		{ "a.example co extra\n", INKAN_EMALFORMED, NULL, NULL },
	};
	static const struct {
		const char *line;
		bool zone;
	} sniff[] = {
		{ "$ORIGIN jp.", true }, { "$TTL 3600", true },
		{ "jp. 86400 IN SOA a.dns.jp. root.dns.jp. 1 2 3 4 5", true },
		{ "example NS ns.example", true },
		{ "example.jp co", false }, { "example.jp ns", false }, { "example.jp", false },
		{ "example.jp, soa", false },
	};
	static const char zone_text_del[] =
	    "$ORIGIN jp.\n$TTL 300\n@ SOA a. b. 1 2 3 4 5\n  NS a.dns.jp.\n"
	    "example NS ns1.example\n NS ns2.example\nns1.example A 192.0.2.1\n"
	    "co.example DS 1 13 2 00\nco.example NS x.\nother.net. NS y.\nEXAMPLE NS ns3.\n"
	    "b NS ( c. )\n";
	static const char *const want[] = { "example.jp", "co.example.jp", "b.jp" };
	FILE *f;
	struct inkan_survey_zone *z;
	const char *name, *why;
	size_t line, k = 0;
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char buf[128], *d, *c;

		snprintf(buf, sizeof(buf), "%s", lines[i].line);
		rc = inkan_survey_line_parse(buf, &d, &c, &why);
		if (rc != lines[i].rc)
			fail_msg("line '%s': rc %d, want %d", lines[i].line, rc, lines[i].rc);
		if (rc == 1) {
			assert_string_equal(d, lines[i].dom);
			if (lines[i].cat == NULL)
				assert_null(c);
			else
				assert_string_equal(c, lines[i].cat);
		}
	}
	for (size_t i = 0; i < sizeof(sniff) / sizeof(sniff[0]); i++)
		if (inkan_survey_looks_like_zone(sniff[i].line) != sniff[i].zone)
			fail_msg("sniff '%s': want %d", sniff[i].line, sniff[i].zone);
	/* FNV-1a 64 test vectors: "" and "a" */
	assert_true(inkan_survey_shard_hash("") == 0xcbf29ce484222325ull);
	assert_true(inkan_survey_shard_hash("a") == 0xaf63dc4c8601ec8cull);
	assert_true(inkan_survey_in_shard("a", (unsigned)(0xaf63dc4c8601ec8cull % 7) + 1, 7));
	assert_false(inkan_survey_in_shard("a", (unsigned)((0xaf63dc4c8601ec8cull + 1) % 7) + 1, 7));
	assert_true(inkan_survey_in_shard("a", 1, 1));
	f = fmemopen((void *)zone_text_del, strlen(zone_text_del), "r");
	assert_non_null(f);
	assert_int_equal(inkan_survey_zone_open(f, NULL, &z), 0);
	while ((rc = inkan_survey_zone_next(z, &name, &line, &why)) == 1) {
		assert_true(k < 3);
		assert_string_equal(name, want[k]);
		k++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(k, 3);
	inkan_survey_zone_close(z);
	fclose(f);
	/* an NS before any SOA or $ORIGIN: the apex is unknown */
	f = fmemopen((void *)"a.b. NS c.\n", 11, "r");
	assert_int_equal(inkan_survey_zone_open(f, NULL, &z), 0);
	assert_int_equal(inkan_survey_zone_next(z, &name, &line, &why), INKAN_EMALFORMED);
	assert_non_null(strstr(why, "apex"));
	inkan_survey_zone_close(z);
	fclose(f);
}

/* The store: put, has, tally by category with both denominators. */
static void
test_store(void **state)
{
	char path[] = "/tmp/test_survey_XXXXXX";
	int fd = mkstemp(path);
	struct inkan_survey_store *s;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_tally *t;
	size_t n;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(inkan_survey_store_open(path, &s, NULL), 0);
	for (size_t i = 0; i < ND; i++) {
		struct inkan_survey_result r = survey(a, domains[i]);

		assert_int_equal(inkan_survey_store_put(s, i < 4 ? "x" : "y", domains[i], &r, 0), 0);
	}
	assert_int_equal(inkan_survey_store_put(s, "y", "err.t", NULL, INKAN_ELIMIT), 0);
	assert_true(inkan_survey_store_has(s, "full.t"));
	assert_false(inkan_survey_store_has(s, "other.t"));
	inkan_survey_store_close(s);
	/* Reopened: the rows are there (what a resumed run relies on). */
	assert_int_equal(inkan_survey_store_open(path, &s, NULL), 0);
	assert_int_equal(inkan_survey_store_count(s), (long long)ND + 1);
	assert_int_equal(inkan_survey_tally(s, a, &t, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(t[0].category, "x");
	assert_int_equal(t[0].all, 4);
	assert_int_equal(t[0].with_mx, 3);	/* full, ipmx, redir; null is not */
	assert_int_equal(t[0].count[INKAN_SURVEY_M_NULL_MX], 1);
	assert_int_equal(t[0].count[INKAN_SURVEY_M_SPF_PASS_ALL], 1);
	assert_int_equal(t[0].count_mx[INKAN_SURVEY_M_SPF_FAIL_ALL], 1);	/* full */
	assert_int_equal(t[0].count[INKAN_SURVEY_M_SPF_FAIL_ALL], 2);	/* + null */
	assert_string_equal(t[2].category, "*");
	assert_int_equal(t[2].all, (long long)ND + 1);
	assert_int_equal(t[1].count[INKAN_SURVEY_M_TEMPERROR], 2);	/* sf.t, err.t */
	assert_int_equal(t[2].count[INKAN_SURVEY_M_SPF_OVER_LIMIT], 1);
	inkan_survey_store_close(s);
	unlink(path);
	{
		char wal[64];

		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
	inkan_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_null_ip),
		cmocka_unit_test(test_spf_cases),
		cmocka_unit_test(test_secure),
		cmocka_unit_test(test_bulk_same),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests_name("survey", t, setup, teardown);
}
