/* test_survey_report.c - the report side of the survey
 * (include/inkan/survey_report.h): categories made from names, the run
 * metadata of a store, the shard checks, and merging: a survey split in
 * three shard stores merges to exactly the table of the single store.
 * Stores are written through the store API (survey.h); survey_meta, which
 * `survey run` writes, is written here with SQL as the run would.
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
#include <sqlite3.h>

#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/error.h"
#include "inkan/survey.h"
#include "inkan/survey_report.h"

static char dir[] = "/tmp/inkan-survey-report-XXXXXX";

static const char *
path(const char *name)
{
	static char buf[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* ---- categories ---- */

static void
check_cat(int by, const struct inkan_dmarc_psl *psl, struct inkan_arena *a, const char *d,
    const char *want)
{
	const char *got;

	assert_int_equal(inkan_survey_category(by, psl, a, d, &got), 0);
	if (strcmp(got, want) != 0)
		fail_msg("%s by %s: got %s, want %s", d, inkan_survey_by_name(by), got, want);
}

static void
test_category(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_psl *psl;
	const char *why = NULL, *got;

	(void)state;
	assert_int_equal(inkan_dmarc_psl_load(NULL, &psl, &why), 0);
	/* tld: the last label */
	check_cat(INKAN_SURVEY_BY_TLD, NULL, a, "example.co.jp", "jp");
	check_cat(INKAN_SURVEY_BY_TLD, NULL, a, "example.com", "com");
	check_cat(INKAN_SURVEY_BY_TLD, NULL, a, "localhost", "localhost");
	/* sld: the last two labels of a name of three or more, else the TLD */
	check_cat(INKAN_SURVEY_BY_SLD, NULL, a, "example.co.jp", "co.jp");
	check_cat(INKAN_SURVEY_BY_SLD, NULL, a, "city.shibuya.tokyo.jp", "tokyo.jp");
	check_cat(INKAN_SURVEY_BY_SLD, NULL, a, "pref.lg.jp", "lg.jp");
	check_cat(INKAN_SURVEY_BY_SLD, NULL, a, "example.jp", "jp");
	check_cat(INKAN_SURVEY_BY_SLD, NULL, a, "d000001.ac.test", "ac.test");
	/* suffix: the public suffix the name is registered under */
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "example.co.jp", "co.jp");
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "example.jp", "jp");
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "www.example.co.jp", "co.jp");
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "city.shibuya.tokyo.jp", "shibuya.tokyo.jp");
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "a.b.kawasaki.jp", "b.kawasaki.jp");	/* *.kawasaki.jp */
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "city.kawasaki.jp", "kawasaki.jp");	/* !city.kawasaki.jp */
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "co.jp", "co.jp");	/* a suffix itself */
	check_cat(INKAN_SURVEY_BY_SUFFIX, psl, a, "d1.co.test", "test");	/* the "*" rule */
	/* not a rule that makes categories from names */
	assert_int_equal(inkan_survey_category(INKAN_SURVEY_BY_COLUMN, NULL, a, "x.jp", &got),
	    INKAN_EINVAL);
	assert_int_equal(inkan_survey_category(INKAN_SURVEY_BY_SUFFIX, NULL, a, "x.jp", &got),
	    INKAN_EINVAL);
	assert_int_equal(inkan_survey_category(INKAN_SURVEY_BY_TLD, NULL, a, "", &got),
	    INKAN_EINVAL);
	for (int b = INKAN_SURVEY_BY_AUTO; b <= INKAN_SURVEY_BY_SUFFIX; b++)
		assert_int_equal(inkan_survey_by_parse(inkan_survey_by_name(b)), b);
	assert_int_equal(inkan_survey_by_parse("label"), -1);
	inkan_dmarc_psl_free(psl);
	inkan_arena_free(a);
}

/* ---- stores ---- */

/* The synthetic survey: domain i of N, its result a function of i, so
 * that every measure has some domains and none has all. */
#define N_DOMAINS 600

static void
result(unsigned i, struct inkan_survey_result *r, char *dom, size_t len, const char **cat)
{
	static const char *const cats[] = { "co", "ac", "go", "lg", "" };
	static const char *const ps[] = { NULL, "none", "quarantine", "reject" };

	memset(r, 0, sizeof(*r));
	snprintf(dom, len, "d%04u.%s.jp", i, i % 7 == 0 ? "ne" : cats[i % 5][0] ? cats[i % 5] :
	    "or");
	*cat = cats[i % 5];
	r->domain = dom;
	r->mx = (enum inkan_survey_mx)(i % 5);
	r->mx_hosts = r->mx == INKAN_SURVEY_MX_OK ? 2 : 0;
	r->spf = (enum inkan_survey_rec)((i / 3) % 5);
	r->spf_all = "-~?+\0"[i % 5];
	r->spf_lookups = i % 13;
	r->spf_over_limit = r->spf_lookups > 10;
	r->dmarc = (enum inkan_survey_rec)((i / 2) % 5);
	r->dmarc_p = ps[i % 4];
	r->dmarc_sp = i % 6 == 0 ? "reject" : NULL;
	r->dmarc_np = i % 9 == 0 ? "reject" : NULL;
	r->dmarc_rua = i % 4 == 1;
	r->dmarc_testing = i % 10 == 3;
	r->mtasts = (enum inkan_survey_rec)(i % 3);
	r->tlsrpt = (enum inkan_survey_rec)(i % 4);
	r->bimi = (enum inkan_survey_rec)(i % 11 == 0);
	r->dnssec = (enum inkan_survey_dnssec)(i % 3);
	r->dane = i % 8 == 0;
	r->dane_secure = r->dane && i % 16 == 0;
	r->dane_hosts = r->dane;
	r->dkim = (enum inkan_survey_dkim)(i % 3);
	r->queries = 9;
}

static struct inkan_survey_store *
open_store(const char *p)
{
	struct inkan_survey_store *s;
	const char *why = NULL;

	unlink(p);
	if (inkan_survey_store_open(p, &s, &why) != 0)
		fail_msg("%s: %s", p, why != NULL ? why : "?");
	return s;
}

static void
put(struct inkan_survey_store *s, unsigned i, int rc)
{
	struct inkan_survey_result r;
	char dom[64];
	const char *cat;

	result(i, &r, dom, sizeof(dom), &cat);
	assert_int_equal(inkan_survey_store_put(s, cat, dom, &r, rc), 0);
}

static void
sql(const char *p, const char *q)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* survey_meta as `survey run --shard i/N` writes it. */
static void
meta(const char *p, const char *shard, const char *sha, bool finished)
{
	char q[512];

	snprintf(q, sizeof(q), "CREATE TABLE IF NOT EXISTS survey_meta (key TEXT PRIMARY KEY,"
	    " value TEXT); INSERT OR REPLACE INTO survey_meta VALUES ('shard', '%s'),"
	    " ('input_sha256', '%s'), ('options', '--no-dnssec'),"
	    " ('started', '2026-11-26T05:00:0%cZ');%s", shard, sha, shard[0],
	    finished ? " INSERT OR REPLACE INTO survey_meta VALUES ('finished',"
	    " '2026-11-26T06:00:00Z');" : "");
	sql(p, q);
}

static void
tally(const char *p, struct inkan_arena *a, struct inkan_survey_tally **t, size_t *n)
{
	struct inkan_survey_store *s;
	const char *why = NULL;

	assert_int_equal(inkan_survey_store_open(p, &s, &why), 0);
	assert_int_equal(inkan_survey_tally(s, a, t, n), 0);
	inkan_survey_store_close(s);
}

static void
same_tally(const struct inkan_survey_tally *x, size_t nx, const struct inkan_survey_tally *y,
    size_t ny)
{
	assert_int_equal(nx, ny);
	for (size_t i = 0; i < nx; i++) {
		assert_string_equal(x[i].category, y[i].category);
		assert_int_equal(x[i].all, y[i].all);
		assert_int_equal(x[i].with_mx, y[i].with_mx);
		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			if (x[i].count[m] != y[i].count[m] || x[i].count_mx[m] != y[i].count_mx[m])
				fail_msg("%s %s: %lld/%lld vs %lld/%lld", x[i].category,
				    inkan_survey_metric_name(m), x[i].count[m], x[i].count_mx[m],
				    y[i].count[m], y[i].count_mx[m]);
		}
	}
}

static int nwarn;
static char lastwarn[512];

static void
warn(void *arg, const char *msg)
{
	(void)arg;
	nwarn++;
	snprintf(lastwarn, sizeof(lastwarn), "%s", msg);
}

#define SHA1 "3f2a9c0e5b7d4a1f8e6c2b9d0a7f5e3c1b8d6a4f2e0c9b7a5d3f1e8c6b4a2d0e"
#define SHA2 "0000000000000000000000000000000000000000000000000000000000000002"

/* The single run, and the same run in three shards (domain i in shard
 * i % 3 + 1), merge to the same table, category by category. */
static void
test_merge_shards(void **state)
{
	struct inkan_survey_store *s, *sh[3], *out;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_meta m[3];
	struct inkan_survey_tally *t1, *t2;
	size_t n1, n2;
	const char *p[3];
	char why[512];

	(void)state;
	s = open_store(path("single.db"));
	for (int k = 0; k < 3; k++) {
		char name[32];

		snprintf(name, sizeof(name), "shard%d.db", k + 1);
		p[k] = strdup(path(name));
		sh[k] = open_store(p[k]);
	}
	for (unsigned i = 0; i < N_DOMAINS; i++) {
		int rc = i % 37 == 5 ? INKAN_EDNS : 0;

		put(s, i, rc);
		put(sh[i % 3], i, rc);
	}
	inkan_survey_store_close(s);
	for (int k = 0; k < 3; k++) {
		char shard[8];

		inkan_survey_store_close(sh[k]);
		snprintf(shard, sizeof(shard), "%d/3", k + 1);
		meta(p[k], shard, SHA1, true);
	}
	for (int k = 0; k < 3; k++) {
		assert_int_equal(inkan_survey_meta_read(p[k], a, &m[k], why, sizeof(why)), 0);
		assert_true(m[k].has_meta);
		assert_int_equal(m[k].shard, (unsigned)k + 1);
		assert_int_equal(m[k].nshards, 3);
		assert_string_equal(m[k].input_sha256, SHA1);
		assert_non_null(m[k].finished);
		assert_true(m[k].has_category);
		assert_int_equal(m[k].rows, N_DOMAINS / 3);
	}
	nwarn = 0;
	assert_int_equal(inkan_survey_shards_check(m, 3, why, sizeof(why), warn, NULL), 0);
	assert_int_equal(nwarn, 0);
	out = open_store(path("merged.db"));
	assert_int_equal(inkan_survey_merge(out, p, 3, INKAN_SURVEY_BY_COLUMN, NULL, why,
	    sizeof(why)), 0);
	assert_int_equal(inkan_survey_merged_meta_write(out, m, 3), 0);
	assert_int_equal(inkan_survey_store_count(out), N_DOMAINS);
	inkan_survey_store_close(out);
	tally(path("single.db"), a, &t1, &n1);
	tally(path("merged.db"), a, &t2, &n2);
	assert_int_equal(n1, 6);	/* "", ac, co, go, lg and the total */
	same_tally(t1, n1, t2, n2);
	/* every row, column by column */
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		char q[512];

		assert_int_equal(sqlite3_open(path("merged.db"), &db), SQLITE_OK);
		snprintf(q, sizeof(q), "ATTACH '%s' AS s", path("single.db"));
		assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM (SELECT * FROM"
		    " main.survey_domain EXCEPT SELECT * FROM s.survey_domain)", -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 0);
		sqlite3_finalize(st);
		/* the merged store says what it is */
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(key || '=' || value,"
		    " ' ') FROM (SELECT * FROM main.survey_meta ORDER BY key)", -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		    "finished=2026-11-26T06:00:00Z input_sha256=" SHA1 " merged_from=3 shard=1/1"
		    " started=2026-11-26T05:00:01Z");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	/* By TLD: one category, the total; by SLD: the second labels. */
	out = open_store(path("tld.db"));
	assert_int_equal(inkan_survey_merge(out, p, 3, INKAN_SURVEY_BY_TLD, NULL, why,
	    sizeof(why)), 0);
	assert_int_equal(inkan_survey_tally(out, a, &t2, &n2), 0);
	inkan_survey_store_close(out);
	assert_int_equal(n2, 2);
	assert_string_equal(t2[0].category, "jp");
	same_tally(&t1[n1 - 1], 1, &t2[1], 1);
	out = open_store(path("sld.db"));
	assert_int_equal(inkan_survey_merge(out, p, 3, INKAN_SURVEY_BY_SLD, NULL, why,
	    sizeof(why)), 0);
	assert_int_equal(inkan_survey_tally(out, a, &t2, &n2), 0);
	inkan_survey_store_close(out);
	assert_int_equal(n2, 7);	/* ac co go lg ne or .jp, and the total */
	assert_string_equal(t2[0].category, "ac.jp");
	assert_string_equal(t2[4].category, "ne.jp");
	assert_int_equal(t2[4].all, (N_DOMAINS + 6) / 7);
	assert_int_equal(t2[5].all, N_DOMAINS / 5 - N_DOMAINS / 35);	/* or: the "" ones but ne */
	same_tally(&t1[n1 - 1], 1, &t2[n2 - 1], 1);
	for (int k = 0; k < 3; k++)
		free((char *)p[k]);
	inkan_arena_free(a);
}

/* A domain in two stores counts once: a row with an answer wins over an
 * error, else the first store wins. */
static void
test_merge_duplicates(void **state)
{
	struct inkan_survey_store *x, *y, *out;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_tally *t;
	struct inkan_survey_result r;
	const char *p[2];
	char why[512];
	size_t n;

	(void)state;
	p[0] = strdup(path("dx.db"));
	p[1] = strdup(path("dy.db"));
	x = open_store(p[0]);
	y = open_store(p[1]);
	memset(&r, 0, sizeof(r));
	r.mx = INKAN_SURVEY_MX_OK;
	r.spf = INKAN_SURVEY_REC_VALID;
	r.spf_all = '-';
	assert_int_equal(inkan_survey_store_put(x, "a", "one.jp", &r, 0), 0);
	assert_int_equal(inkan_survey_store_put(x, "a", "two.jp", NULL, INKAN_EDNS), 0);
	r.spf_all = '~';
	assert_int_equal(inkan_survey_store_put(y, "a", "one.jp", &r, 0), 0);
	assert_int_equal(inkan_survey_store_put(y, "a", "two.jp", &r, 0), 0);
	assert_int_equal(inkan_survey_store_put(y, "a", "three.jp", NULL, INKAN_EDNS), 0);
	inkan_survey_store_close(x);
	inkan_survey_store_close(y);
	out = open_store(path("dup.db"));
	assert_int_equal(inkan_survey_merge(out, p, 2, INKAN_SURVEY_BY_AUTO, NULL, why,
	    sizeof(why)), 0);
	assert_int_equal(inkan_survey_tally(out, a, &t, &n), 0);
	inkan_survey_store_close(out);
	assert_int_equal(n, 2);
	assert_int_equal(t[1].all, 3);
	assert_int_equal(t[1].count[INKAN_SURVEY_M_SPF_FAIL_ALL], 1);	/* one.jp from x */
	assert_int_equal(t[1].count[INKAN_SURVEY_M_SPF_SOFTFAIL_ALL], 1);	/* two.jp from y */
	assert_int_equal(t[1].count[INKAN_SURVEY_M_TEMPERROR], 1);	/* three.jp */
	free((char *)p[0]);
	free((char *)p[1]);
	inkan_arena_free(a);
}

static void
mk(const char *name, const char *shard, const char *sha, bool finished)
{
	struct inkan_survey_store *s = open_store(path(name));

	put(s, 1, 0);
	inkan_survey_store_close(s);
	if (shard != NULL)
		meta(path(name), shard, sha, finished);
}

static int
check(struct inkan_arena *a, const char *const *names, size_t n, char *why, size_t whylen)
{
	struct inkan_survey_meta m[4];

	for (size_t i = 0; i < n; i++)
		assert_int_equal(inkan_survey_meta_read(path(names[i]), a, &m[i], why, whylen), 0);
	nwarn = 0;
	lastwarn[0] = '\0';
	return inkan_survey_shards_check(m, n, why, whylen, warn, NULL);
}

static void
test_shards_check(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_meta m;
	char why[512];

	(void)state;
	mk("s1.db", "1/3", SHA1, true);
	mk("s2.db", "2/3", SHA1, true);
	mk("s3.db", "3/3", SHA1, false);
	mk("s2b.db", "2/3", SHA1, true);
	mk("o2.db", "2/3", SHA2, true);
	mk("q2.db", "2/4", SHA1, true);
	mk("old1.db", NULL, NULL, false);
	mk("old2.db", NULL, NULL, false);
	mk("bad.db", "4/3", SHA1, true);
	/* complete and finished */
	assert_int_equal(check(a, (const char *[]){ "s1.db", "s2.db" }, 2, why, sizeof(why)), 0);
	assert_int_equal(nwarn, 1);	/* shard 3 missing */
	assert_non_null(strstr(lastwarn, "1 of 3 shards missing (the first: 3/3)"));
	assert_int_equal(check(a, (const char *[]){ "s3.db", "s1.db", "s2.db" }, 3, why,
	    sizeof(why)), 0);
	assert_int_equal(nwarn, 1);	/* s3 unfinished */
	assert_non_null(strstr(lastwarn, "s3.db: the run has not finished"));
	/* refused: the same shard twice, other input, other N */
	assert_int_equal(check(a, (const char *[]){ "s1.db", "s2.db", "s2b.db" }, 3, why,
	    sizeof(why)), INKAN_EINVAL);
	assert_non_null(strstr(why, "are both shard 2/3"));
	assert_int_equal(check(a, (const char *[]){ "s1.db", "o2.db" }, 2, why, sizeof(why)),
	    INKAN_EINVAL);
	assert_non_null(strstr(why, "different inputs"));
	assert_int_equal(check(a, (const char *[]){ "s1.db", "q2.db" }, 2, why, sizeof(why)),
	    INKAN_EINVAL);
	assert_non_null(strstr(why, "not one sharded run"));
	/* older stores: each a whole run of an unknown input */
	assert_int_equal(check(a, (const char *[]){ "old1.db" }, 1, why, sizeof(why)), 0);
	assert_int_equal(nwarn, 0);
	assert_int_equal(check(a, (const char *[]){ "old1.db", "old2.db" }, 2, why,
	    sizeof(why)), INKAN_EINVAL);
	assert_non_null(strstr(why, "both shard 1/1 (no survey_meta"));
	assert_int_equal(check(a, (const char *[]){ "old1.db", "s1.db" }, 2, why, sizeof(why)),
	    INKAN_EINVAL);
	/* an unknown input among known ones: warned, not refused */
	mk("u2.db", "2/3", "", true);
	assert_int_equal(check(a, (const char *[]){ "s1.db", "u2.db" }, 2, why, sizeof(why)), 0);
	assert_int_equal(nwarn, 2);	/* shard 3 missing; u2's input unknown */
	assert_non_null(strstr(lastwarn, "u2.db: no input_sha256"));
	/* an empty survey_meta (a store a newer inkan opened) is no metadata */
	mk("e1.db", NULL, NULL, false);
	sql(path("e1.db"), "CREATE TABLE IF NOT EXISTS survey_meta (key TEXT PRIMARY KEY, value TEXT)");
	assert_int_equal(inkan_survey_meta_read(path("e1.db"), a, &m, why, sizeof(why)), 0);
	assert_false(m.has_meta);
	assert_int_equal(m.nshards, 1);
	assert_int_equal(check(a, (const char *[]){ "e1.db" }, 1, why, sizeof(why)), 0);
	assert_int_equal(nwarn, 0);
	/* bad metadata, missing files, not a store */
	assert_int_equal(inkan_survey_meta_read(path("bad.db"), a, &m, why, sizeof(why)),
	    INKAN_EINVAL);
	assert_non_null(strstr(why, "shard '4/3' is not i/N"));
	assert_int_equal(inkan_survey_meta_read(path("none.db"), a, &m, why, sizeof(why)),
	    INKAN_EIO);
	assert_non_null(strstr(why, "No such file"));
	sql(path("other.db"), "CREATE TABLE t (x)");
	assert_int_equal(inkan_survey_meta_read(path("other.db"), a, &m, why, sizeof(why)),
	    INKAN_EIO);
	assert_non_null(strstr(why, "not a survey store"));
	{
		FILE *f = fopen(path("junk.db"), "w");

		assert_non_null(f);
		fputs("this is not a database, just text long enough to be read as a header\n", f);
		fclose(f);
	}
	assert_int_not_equal(inkan_survey_meta_read(path("junk.db"), a, &m, why, sizeof(why)), 0);
	inkan_arena_free(a);
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_category),
		cmocka_unit_test(test_merge_shards),
		cmocka_unit_test(test_merge_duplicates),
		cmocka_unit_test(test_shards_check),
	};

	if (mkdtemp(dir) == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, teardown);
}
