/* store.c - survey results in SQLite, and the adoption table.
 *
 * One table, survey_domain, one row per domain, keyed by the domain: a
 * run skips the domains it finds there, which is what makes a survey
 * resumable.  Rows are written inside a transaction committed every
 * INKAN_SURVEY_COMMIT_ROWS rows or INKAN_SURVEY_COMMIT_MS, so a killed
 * run loses at most that much work and never leaves half a row.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/survey.h"
#include "store_int.h"

struct inkan_survey_store {
	sqlite3 *db;
	sqlite3_stmt *has, *put;
	bool in_tx;
	unsigned rows;
	uint64_t tx_start;
};

static const char schema[] =
"CREATE TABLE IF NOT EXISTS survey_domain ("
" domain TEXT PRIMARY KEY, category TEXT NOT NULL, error TEXT,"
" mx TEXT, mx_hosts INTEGER, spf TEXT, spf_all TEXT, spf_lookups INTEGER,"
" spf_over_limit INTEGER, dmarc TEXT, dmarc_p TEXT, dmarc_sp TEXT, dmarc_np TEXT,"
" dmarc_rua INTEGER, dmarc_testing INTEGER, mtasts TEXT, tlsrpt TEXT, bimi TEXT,"
" dnssec TEXT, dane_hosts INTEGER, dane INTEGER, dane_secure INTEGER, dkim TEXT,"
" queries INTEGER);"
"CREATE TABLE IF NOT EXISTS survey_meta (key TEXT PRIMARY KEY, value TEXT);";

/* Columns added after the first release: added to an older store on
 * open, NULL in its rows (not measured). */
static const char *const added_columns[] = { "sts_mode", "starttls", "tls_version" };

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
add_columns(sqlite3 *db)
{
	for (size_t i = 0; i < sizeof(added_columns) / sizeof(added_columns[0]); i++) {
		sqlite3_stmt *st;
		char sql[128];
		bool have = false;

		if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('survey_domain')"
		    " WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
			return INKAN_EIO;
		sqlite3_bind_text(st, 1, added_columns[i], -1, SQLITE_STATIC);
		have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (have)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE survey_domain ADD COLUMN %s TEXT",
		    added_columns[i]);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return INKAN_EIO;
	}
	return 0;
}

int
inkan_survey_store_meta_set(struct inkan_survey_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO survey_meta VALUES (?, ?)", -1, &st,
	    NULL) != SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : INKAN_EIO;
	sqlite3_finalize(st);
	return rc;
}

int
inkan_survey_store_meta_get(struct inkan_survey_store *s, const char *key, char *buf, size_t size)
{
	sqlite3_stmt *st;
	int rc = 1;

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM survey_meta WHERE key = ?", -1, &st,
	    NULL) != SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
inkan_survey_store_open(const char *path, struct inkan_survey_store **out, const char **why)
{
	struct inkan_survey_store *s;

	*out = NULL;
	if (path == NULL)
		return INKAN_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return INKAN_ENOMEM;
	if (sqlite3_open(path, &s->db) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    add_columns(s->db) != 0 ||
	    sqlite3_prepare_v2(s->db, "SELECT 1 FROM survey_domain WHERE domain = ?", -1,
	    &s->has, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO survey_domain (domain, category,"
	    " error, mx, mx_hosts, spf, spf_all, spf_lookups, spf_over_limit, dmarc, dmarc_p,"
	    " dmarc_sp, dmarc_np, dmarc_rua, dmarc_testing, mtasts, tlsrpt, bimi, dnssec,"
	    " dane_hosts, dane, dane_secure, dkim, queries, sts_mode, starttls, tls_version)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s->put,
	    NULL) != SQLITE_OK) {
		if (why != NULL)
			*why = s->db != NULL ? sqlite3_errmsg(s->db) : "cannot open the database";
		/* The message lives in the handle: keep it open for the caller
		 * to print, as documented, and leak it only on this path. */
		if (s->has != NULL)
			sqlite3_finalize(s->has);
		free(s);
		return INKAN_EIO;
	}
	*out = s;
	return 0;
}

int
inkan_survey_store_commit(struct inkan_survey_store *s)
{
	if (!s->in_tx)
		return 0;
	s->in_tx = false;
	s->rows = 0;
	return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : INKAN_EIO;
}

void
inkan_survey_store_close(struct inkan_survey_store *s)
{
	if (s == NULL)
		return;
	(void)inkan_survey_store_commit(s);
	sqlite3_finalize(s->has);
	sqlite3_finalize(s->put);
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *
inkan__survey_store_db(struct inkan_survey_store *s)
{
	(void)inkan_survey_store_commit(s);
	return s->db;
}

bool
inkan_survey_store_has(struct inkan_survey_store *s, const char *domain)
{
	bool found;

	sqlite3_reset(s->has);
	sqlite3_bind_text(s->has, 1, domain, -1, SQLITE_STATIC);
	found = sqlite3_step(s->has) == SQLITE_ROW;
	sqlite3_reset(s->has);
	return found;
}

long long
inkan_survey_store_count(struct inkan_survey_store *s)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM survey_domain", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int
inkan_survey_store_put(struct inkan_survey_store *s, const char *category, const char *domain,
    const struct inkan_survey_result *r, int rc)
{
	sqlite3_stmt *st = s->put;
	char all[2] = { 0, 0 };
	int i = 1;

	if (!s->in_tx) {
		if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			return INKAN_EIO;
		s->in_tx = true;
		s->tx_start = now_ms();
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	bind_str(st, i++, domain);
	bind_str(st, i++, category != NULL ? category : "");
	if (rc != 0) {
		bind_str(st, i++, inkan_strerror(rc));
	} else {
		all[0] = r->spf_all;
		i++;	/* error: NULL */
		bind_str(st, i++, inkan_survey_mx_name(r->mx));
		sqlite3_bind_int(st, i++, (int)r->mx_hosts);
		bind_str(st, i++, inkan_survey_rec_name(r->spf));
		bind_str(st, i++, r->spf_all != 0 ? all : NULL);
		sqlite3_bind_int(st, i++, (int)r->spf_lookups);
		sqlite3_bind_int(st, i++, r->spf_over_limit);
		bind_str(st, i++, inkan_survey_rec_name(r->dmarc));
		bind_str(st, i++, r->dmarc_p);
		bind_str(st, i++, r->dmarc_sp);
		bind_str(st, i++, r->dmarc_np);
		sqlite3_bind_int(st, i++, r->dmarc_rua);
		sqlite3_bind_int(st, i++, r->dmarc_testing);
		bind_str(st, i++, inkan_survey_rec_name(r->mtasts));
		bind_str(st, i++, inkan_survey_rec_name(r->tlsrpt));
		bind_str(st, i++, inkan_survey_rec_name(r->bimi));
		bind_str(st, i++, inkan_survey_dnssec_name(r->dnssec));
		sqlite3_bind_int(st, i++, (int)r->dane_hosts);
		sqlite3_bind_int(st, i++, r->dane);
		sqlite3_bind_int(st, i++, r->dane_secure);
		bind_str(st, i++, inkan_survey_dkim_name(r->dkim));
		sqlite3_bind_int(st, i++, (int)r->queries);
		bind_str(st, i++, r->sts_mode);
		bind_str(st, i++, r->starttls);
		bind_str(st, i++, r->tls_version);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return INKAN_EIO;
	}
	sqlite3_reset(st);
	if (++s->rows >= INKAN_SURVEY_COMMIT_ROWS ||
	    now_ms() - s->tx_start >= INKAN_SURVEY_COMMIT_MS)
		return inkan_survey_store_commit(s);
	return 0;
}

/* ---- the adoption table ---- */

const char *
inkan_survey_metric_name(enum inkan_survey_metric m)
{
	static const char *const n[INKAN_SURVEY_NMETRICS] = {
		"mx", "null_mx", "mx_ip",
		"spf", "spf_valid", "spf_fail_all", "spf_softfail_all", "spf_neutral_all",
		"spf_pass_all", "spf_over_limit",
		"dmarc", "dmarc_p_none", "dmarc_p_quarantine", "dmarc_p_reject", "dmarc_sp",
		"dmarc_np", "dmarc_rua", "dmarc_testing",
		"mta_sts", "tls_rpt", "bimi", "dnssec_secure", "dnssec_bogus",
		"dane", "dane_secure", "dkim", "temperror",
		"mta_sts_enforce", "mta_sts_testing", "starttls",
	};

	return (unsigned)m < INKAN_SURVEY_NMETRICS ? n[m] : "?";
}

static bool
col_is(sqlite3_stmt *st, int i, const char *v)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL && strcmp((const char *)t, v) == 0;
}

/* Columns of the tally query, in order. */
enum { C_CAT, C_ERR, C_MX, C_SPF, C_SPF_ALL, C_SPF_OVER, C_DMARC, C_P, C_SP, C_NP, C_RUA,
	C_T, C_STS, C_RPT, C_BIMI, C_DNSSEC, C_DANE, C_DANE_SEC, C_DKIM, C_STS_MODE, C_STARTTLS };

static void
row_metrics(sqlite3_stmt *st, bool m[INKAN_SURVEY_NMETRICS])
{
	bool err = sqlite3_column_type(st, C_ERR) != SQLITE_NULL;

	memset(m, 0, INKAN_SURVEY_NMETRICS * sizeof(bool));
	m[INKAN_SURVEY_M_TEMPERROR] = err || col_is(st, C_MX, "temperror") ||
	    col_is(st, C_SPF, "temperror") || col_is(st, C_DMARC, "temperror");
	if (err)
		return;
	m[INKAN_SURVEY_M_MX] = col_is(st, C_MX, "ok") || col_is(st, C_MX, "ip");
	m[INKAN_SURVEY_M_NULL_MX] = col_is(st, C_MX, "null");
	m[INKAN_SURVEY_M_MX_IP] = col_is(st, C_MX, "ip");
	m[INKAN_SURVEY_M_SPF] = col_is(st, C_SPF, "valid") || col_is(st, C_SPF, "invalid") ||
	    col_is(st, C_SPF, "multiple");
	m[INKAN_SURVEY_M_SPF_VALID] = col_is(st, C_SPF, "valid");
	m[INKAN_SURVEY_M_SPF_FAIL_ALL] = col_is(st, C_SPF_ALL, "-");
	m[INKAN_SURVEY_M_SPF_SOFTFAIL_ALL] = col_is(st, C_SPF_ALL, "~");
	m[INKAN_SURVEY_M_SPF_NEUTRAL_ALL] = col_is(st, C_SPF_ALL, "?");
	m[INKAN_SURVEY_M_SPF_PASS_ALL] = col_is(st, C_SPF_ALL, "+");
	m[INKAN_SURVEY_M_SPF_OVER_LIMIT] = sqlite3_column_int(st, C_SPF_OVER) != 0;
	m[INKAN_SURVEY_M_DMARC] = col_is(st, C_DMARC, "valid");
	m[INKAN_SURVEY_M_DMARC_NONE] = col_is(st, C_P, "none");
	m[INKAN_SURVEY_M_DMARC_QUARANTINE] = col_is(st, C_P, "quarantine");
	m[INKAN_SURVEY_M_DMARC_REJECT] = col_is(st, C_P, "reject");
	m[INKAN_SURVEY_M_DMARC_SP] = sqlite3_column_type(st, C_SP) != SQLITE_NULL;
	m[INKAN_SURVEY_M_DMARC_NP] = sqlite3_column_type(st, C_NP) != SQLITE_NULL;
	m[INKAN_SURVEY_M_DMARC_RUA] = sqlite3_column_int(st, C_RUA) != 0;
	m[INKAN_SURVEY_M_DMARC_TESTING] = sqlite3_column_int(st, C_T) != 0;
	m[INKAN_SURVEY_M_MTASTS] = col_is(st, C_STS, "valid");
	m[INKAN_SURVEY_M_TLSRPT] = col_is(st, C_RPT, "valid");
	m[INKAN_SURVEY_M_BIMI] = col_is(st, C_BIMI, "valid");
	m[INKAN_SURVEY_M_DNSSEC_SECURE] = col_is(st, C_DNSSEC, "secure");
	m[INKAN_SURVEY_M_DNSSEC_BOGUS] = col_is(st, C_DNSSEC, "bogus");
	m[INKAN_SURVEY_M_DANE] = sqlite3_column_int(st, C_DANE) != 0;
	m[INKAN_SURVEY_M_DANE_SECURE] = sqlite3_column_int(st, C_DANE_SEC) != 0;
	m[INKAN_SURVEY_M_DKIM] = col_is(st, C_DKIM, "present");
	m[INKAN_SURVEY_M_MTASTS_ENFORCE] = col_is(st, C_STS_MODE, "enforce");
	m[INKAN_SURVEY_M_MTASTS_TESTING] = col_is(st, C_STS_MODE, "testing");
	m[INKAN_SURVEY_M_STARTTLS] = col_is(st, C_STARTTLS, "yes");
}

static void
add_row(struct inkan_survey_tally *t, const bool m[INKAN_SURVEY_NMETRICS])
{
	t->all++;
	if (m[INKAN_SURVEY_M_MX])
		t->with_mx++;
	for (int k = 0; k < INKAN_SURVEY_NMETRICS; k++) {
		if (!m[k])
			continue;
		t->count[k]++;
		if (m[INKAN_SURVEY_M_MX])
			t->count_mx[k]++;
	}
}

int
inkan_survey_tally(struct inkan_survey_store *s, struct inkan_arena *a,
    struct inkan_survey_tally **out, size_t *n)
{
	sqlite3_stmt *st;
	struct inkan_survey_tally *t = NULL, total;
	size_t nt = 0, cap = 0;
	int rc = 0, step;

	*out = NULL;
	*n = 0;
	(void)inkan_survey_store_commit(s);
	if (sqlite3_prepare_v2(s->db, "SELECT category, error, mx, spf, spf_all, spf_over_limit,"
	    " dmarc, dmarc_p, dmarc_sp, dmarc_np, dmarc_rua, dmarc_testing, mtasts, tlsrpt, bimi,"
	    " dnssec, dane, dane_secure, dkim, sts_mode, starttls FROM survey_domain"
	    " ORDER BY category", -1, &st,
	    NULL) != SQLITE_OK)
		return INKAN_EIO;
	memset(&total, 0, sizeof(total));
	total.category = "*";
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cat = (const char *)sqlite3_column_text(st, C_CAT);
		bool m[INKAN_SURVEY_NMETRICS];

		if (cat == NULL)
			cat = "";
		if (nt == 0 || strcmp(t[nt - 1].category, cat) != 0) {
			if (nt == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct inkan_survey_tally *nt2 = inkan_arena_alloc(a, (nc + 1) * sizeof(*nt2));

				if (nt2 == NULL) {
					rc = INKAN_ENOMEM;
					break;
				}
				if (nt > 0)
					memcpy(nt2, t, nt * sizeof(*t));
				t = nt2;
				cap = nc;
			}
			memset(&t[nt], 0, sizeof(t[nt]));
			if ((t[nt].category = inkan_arena_strdup(a, cat)) == NULL) {
				rc = INKAN_ENOMEM;
				break;
			}
			nt++;
		}
		row_metrics(st, m);
		add_row(&t[nt - 1], m);
		add_row(&total, m);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = INKAN_EIO;
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if (t == NULL && (t = inkan_arena_alloc(a, sizeof(*t))) == NULL)
		return INKAN_ENOMEM;
	t[nt++] = total;	/* cap + 1 slots were allocated */
	*out = t;
	*n = nt;
	return 0;
}
