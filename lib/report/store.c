/* store.c - the SQLite report store.
 *
 * Design.  One row per report in dmarc_report / tlsrpt_report, keyed
 * UNIQUE (org_name, report_id): RFC 9990 §3.1.1 (report_id "MUST be
 * unique per reporting organization") and RFC 8460 §4.4 (report-id)
 * make that pair the identity of a report.  Each report goes in with
 * BEGIN IMMEDIATE ... COMMIT: the report row first (INSERT ... ON
 * CONFLICT DO NOTHING tells a duplicate apart without a race), then its
 * rows.  Any failure rolls the whole report back, so the store never
 * holds half a report.  WAL with synchronous=NORMAL: a killed process
 * loses at most the transaction in flight (the kernel keeps what was
 * written); a power cut may lose the last commits but never corrupts.
 *
 * Schema (version 1):
 *
 *   schema_version(version)          one row: the schema this file has
 *   dmarc_report(id, org_name, email, extra_contact_info, report_id,
 *       begin_ts, end_ts, generator, schema, version, domain, adkim,
 *       aspf, p, sp, np, pct, fo, testing, discovery_method, messages,
 *       source, ingested_ts)          UNIQUE(org_name, report_id)
 *   dmarc_error(report, text)
 *   dmarc_row(id, report, source_ip, count, disposition, dkim, spf,
 *       header_from, envelope_from, envelope_to)
 *                                     dkim/spf: the DMARC-aligned
 *                                     results (policy_evaluated)
 *   dmarc_reason(row, type, comment)
 *   dmarc_auth(row, method 'dkim'|'spf', domain, selector, scope, result,
 *       human_result)                 the raw, unaligned results
 *   tlsrpt_report(id, org_name, report_id, contact_info, begin_ts, end_ts,
 *       successful, failed, source, ingested_ts)
 *                                     UNIQUE(org_name, report_id)
 *   tlsrpt_policy(id, report, policy_type, policy_domain, policy_string,
 *       mx_host, successful, failed)  policy_string / mx_host joined by
 *                                     newlines
 *   tlsrpt_failure(policy, result_type, sending_mta_ip,
 *       receiving_mx_hostname, receiving_mx_helo, receiving_ip,
 *       additional_information, failure_reason_code, failed_session_count)
 *   setaside(source, reason, first_ts) UNIQUE(source, reason)
 *
 * Version 2 adds the failure reports (RFC 9991 / RFC 6591, ARF):
 *
 *   dmarc_failure(id, digest, feedback_type, version, user_agent,
 *       original_mail_from, original_rcpt_to, original_envelope_id,
 *       arrival_date, arrival_ts, source_ip, reporting_mta, domain,
 *       reported_domain, reported_uri, authentication_results,
 *       auth_failure, delivery_result, identity_alignment, dkim_domain,
 *       dkim_selector, dkim_identity, incidents, orig_from, orig_subject,
 *       orig_message_id, source, ingested_ts)
 *                                     UNIQUE(digest): a failure report has
 *                                     no id, so the SHA-256 of its report
 *                                     and returned parts stands for one;
 *                                     domain is the first Reported-Domain,
 *                                     the list fields are joined by
 *                                     newlines
 *
 * Version 3 adds the per-message verdicts inkan-milter records, the
 * tables verdict and verdict_dkim (see store_verdicts.c).
 *
 * Migrations: migrations[i] takes a file from version i to i+1; opening
 * runs the missing ones, each in its own transaction.  A file from a
 * newer inkan (version above ours) is refused, not downgraded.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/error.h"
#include "inkan/store.h"
#include "store_int.h"


static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE schema_version(version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES(0);"
	"CREATE TABLE dmarc_report("
	" id INTEGER PRIMARY KEY, org_name TEXT NOT NULL, email TEXT,"
	" extra_contact_info TEXT, report_id TEXT NOT NULL, begin_ts INTEGER NOT NULL,"
	" end_ts INTEGER NOT NULL, generator TEXT, schema TEXT, version TEXT,"
	" domain TEXT NOT NULL, adkim TEXT, aspf TEXT, p TEXT, sp TEXT, np TEXT,"
	" pct INTEGER, fo TEXT, testing TEXT, discovery_method TEXT,"
	" messages INTEGER NOT NULL, source TEXT, ingested_ts INTEGER NOT NULL,"
	" UNIQUE(org_name, report_id));"
	"CREATE INDEX dmarc_report_domain ON dmarc_report(domain, end_ts);"
	"CREATE TABLE dmarc_error(report INTEGER NOT NULL REFERENCES dmarc_report(id)"
	" ON DELETE CASCADE, text TEXT NOT NULL);"
	"CREATE TABLE dmarc_row(id INTEGER PRIMARY KEY,"
	" report INTEGER NOT NULL REFERENCES dmarc_report(id) ON DELETE CASCADE,"
	" source_ip TEXT NOT NULL, count INTEGER NOT NULL, disposition TEXT NOT NULL,"
	" dkim TEXT NOT NULL, spf TEXT NOT NULL, header_from TEXT, envelope_from TEXT,"
	" envelope_to TEXT);"
	"CREATE INDEX dmarc_row_report ON dmarc_row(report);"
	"CREATE TABLE dmarc_reason(row INTEGER NOT NULL REFERENCES dmarc_row(id)"
	" ON DELETE CASCADE, type TEXT, comment TEXT);"
	"CREATE TABLE dmarc_auth(row INTEGER NOT NULL REFERENCES dmarc_row(id)"
	" ON DELETE CASCADE, method TEXT NOT NULL, domain TEXT, selector TEXT,"
	" scope TEXT, result TEXT NOT NULL, human_result TEXT);"
	"CREATE INDEX dmarc_auth_row ON dmarc_auth(row);"
	"CREATE TABLE tlsrpt_report(id INTEGER PRIMARY KEY, org_name TEXT NOT NULL,"
	" report_id TEXT NOT NULL, contact_info TEXT, begin_ts INTEGER NOT NULL,"
	" end_ts INTEGER NOT NULL, successful INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" source TEXT, ingested_ts INTEGER NOT NULL, UNIQUE(org_name, report_id));"
	"CREATE TABLE tlsrpt_policy(id INTEGER PRIMARY KEY,"
	" report INTEGER NOT NULL REFERENCES tlsrpt_report(id) ON DELETE CASCADE,"
	" policy_type TEXT NOT NULL, policy_domain TEXT, policy_string TEXT, mx_host TEXT,"
	" successful INTEGER NOT NULL, failed INTEGER NOT NULL);"
	"CREATE TABLE tlsrpt_failure(policy INTEGER NOT NULL REFERENCES tlsrpt_policy(id)"
	" ON DELETE CASCADE, result_type TEXT NOT NULL, sending_mta_ip TEXT,"
	" receiving_mx_hostname TEXT, receiving_mx_helo TEXT, receiving_ip TEXT,"
	" additional_information TEXT, failure_reason_code TEXT,"
	" failed_session_count INTEGER NOT NULL);"
	"CREATE TABLE setaside(source TEXT NOT NULL, reason TEXT NOT NULL,"
	" first_ts INTEGER NOT NULL, UNIQUE(source, reason));",
	/* 1 -> 2 */
	"CREATE TABLE dmarc_failure(id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE,"
	" feedback_type TEXT NOT NULL, version TEXT, user_agent TEXT, original_mail_from TEXT,"
	" original_rcpt_to TEXT, original_envelope_id TEXT, arrival_date TEXT,"
	" arrival_ts INTEGER NOT NULL, source_ip TEXT, reporting_mta TEXT, domain TEXT,"
	" reported_domain TEXT, reported_uri TEXT, authentication_results TEXT,"
	" auth_failure TEXT, delivery_result TEXT, identity_alignment TEXT, dkim_domain TEXT,"
	" dkim_selector TEXT, dkim_identity TEXT, incidents TEXT, orig_from TEXT,"
	" orig_subject TEXT, orig_message_id TEXT, source TEXT, ingested_ts INTEGER NOT NULL);"
	"CREATE INDEX dmarc_failure_domain ON dmarc_failure(domain, arrival_ts);",
	/* 2 -> 3: per-message verdicts (store_verdicts.c documents them) */
	inkan__store_migration_verdicts,
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
inkan_store_schema_version(void)
{
	return SCHEMA_VERSION;
}

static int
current_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name='schema_version'",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0) {
		sqlite3_finalize(st);
		return SQLITE_OK;
	}
	sqlite3_finalize(st);
	rc = sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return SQLITE_OK;
}

int
inkan_store_open(const char *path, struct inkan_store **out, char *why, size_t whylen)
{
	struct inkan_store *s;
	int v, rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return INKAN_ENOMEM;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 10000);
	rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	/* Migrate under one write lock so two processes opening a new file
	 * do not both create the schema. */
	if ((rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	if ((rc = current_version(s->db, &v)) != SQLITE_OK)
		goto rollback;
	if (v > SCHEMA_VERSION) {
		snprintf(why, whylen, "%s: schema version %d is newer than this inkan's %d",
		    path, v, SCHEMA_VERSION);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(s->db);
		free(s);
		return INKAN_EIO;
	}
	for (; v < SCHEMA_VERSION; v++) {
		char upd[64];

		if ((rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL)) != SQLITE_OK)
			goto rollback;
		snprintf(upd, sizeof(upd), "UPDATE schema_version SET version=%d", v + 1);
		if ((rc = sqlite3_exec(s->db, upd, NULL, NULL, NULL)) != SQLITE_OK)
			goto rollback;
	}
	if ((rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
		goto rollback;
	*out = s;
	return 0;
rollback:
	snprintf(why, whylen, "%s: %s", path, sqlite3_errmsg(s->db));
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	free(s);
	return INKAN_EIO;
fail:
	snprintf(why, whylen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	sqlite3_close(s->db);
	free(s);
	return INKAN_EIO;
}

void
inkan_store_close(struct inkan_store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s);
}

/* ---- writing: a tiny statement helper with a sticky error ---- */

/* A report's rows use the same few statements hundreds of times:
 * prepared once per report (the SQL strings are literals, so the pointer
 * names the statement), reset between uses, finalized by wr_done(). */
#define WR_CACHE 8

struct wr {
	sqlite3 *db;
	int rc;			/* first SQLite error, sticky */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[WR_CACHE];
};

static void
wr_done(struct wr *w)
{
	for (int i = 0; i < WR_CACHE; i++)
		sqlite3_finalize(w->cache[i].st);
}

/* The statement for sql; *cached says it is kept (else the caller
 * finalizes it: the cache is full). */
static sqlite3_stmt *
wr_stmt(struct wr *w, const char *sql, bool *cached)
{
	sqlite3_stmt *st;
	int i, rc;

	*cached = true;
	for (i = 0; i < WR_CACHE && w->cache[i].sql != NULL; i++)
		if (w->cache[i].sql == sql) {
			sqlite3_reset(w->cache[i].st);
			sqlite3_clear_bindings(w->cache[i].st);
			return w->cache[i].st;
		}
	if ((rc = sqlite3_prepare_v2(w->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		w->rc = rc;
		return NULL;
	}
	if (i < WR_CACHE) {
		w->cache[i].sql = sql;
		w->cache[i].st = st;
	} else {
		*cached = false;
	}
	return st;
}

/* Run sql with the given bindings: 't' text (NULL = SQL NULL), 'i'
 * int64.  Returns the new rowid (or 0). */
static sqlite3_int64
exec(struct wr *w, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	bool cached = false;
	int rc;

	if (w->rc != SQLITE_OK || (st = wr_stmt(w, sql, &cached)) == NULL)
		return 0;
	va_start(ap, types);
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 't') {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_STATIC) :
			    sqlite3_bind_null(st, i + 1);
		} else {
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, sqlite3_int64));
		}
		if (rc != SQLITE_OK)
			break;
	}
	va_end(ap);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			rc = SQLITE_OK;
	}
	if (!cached)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
	if (rc != SQLITE_OK) {
		w->rc = rc;
		return 0;
	}
	return sqlite3_changes(w->db) > 0 ? sqlite3_last_insert_rowid(w->db) : 0;
}

static char *
join(const char **v, size_t n)
{
	size_t len = 1;
	char *s, *p;

	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((s = p = malloc(len)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		memcpy(p, v[i], l);
		p += l;
		*p++ = '\n';
	}
	p[-1] = '\0';
	return s;
}

static sqlite3_int64
put_dmarc(struct wr *w, const struct inkan_dmarc_report *r, const char *source)
{
	sqlite3_int64 id;

	id = exec(w, "INSERT INTO dmarc_report(org_name, email, extra_contact_info, report_id,"
	    " begin_ts, end_ts, generator, schema, version, domain, adkim, aspf, p, sp, np, pct,"
	    " fo, testing, discovery_method, messages, source, ingested_ts) VALUES(?,?,?,?,?,?,?,"
	    "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(org_name, report_id) DO NOTHING",
	    "ttttiitttttttttitttiti", r->org_name, r->email, r->extra_contact_info,
	    r->report_id, (sqlite3_int64)r->begin, (sqlite3_int64)r->end, r->generator,
	    r->schema, r->version, r->domain, r->adkim, r->aspf, r->p, r->sp, r->np,
	    (sqlite3_int64)r->pct, r->fo, r->testing, r->discovery_method,
	    (sqlite3_int64)r->messages, source, (sqlite3_int64)time(NULL));
	if (id == 0)
		return 0;
	for (size_t i = 0; i < r->nerrors; i++)
		exec(w, "INSERT INTO dmarc_error VALUES(?,?)", "it", id, r->errors[i]);
	for (size_t i = 0; i < r->nrows && w->rc == SQLITE_OK; i++) {
		const struct inkan_dmarc_row *row = &r->rows[i];
		sqlite3_int64 rid;

		rid = exec(w, "INSERT INTO dmarc_row(report, source_ip, count, disposition, dkim,"
		    " spf, header_from, envelope_from, envelope_to) VALUES(?,?,?,?,?,?,?,?,?)",
		    "itittttt" "t", id, row->source_ip, (sqlite3_int64)row->count,
		    row->disposition, row->dkim, row->spf, row->header_from,
		    row->envelope_from, row->envelope_to);
		for (size_t j = 0; j < row->nreasons; j++)
			exec(w, "INSERT INTO dmarc_reason VALUES(?,?,?)", "itt", rid,
			    row->reasons[j].type, row->reasons[j].comment);
		for (size_t j = 0; j < row->ndkim_auth; j++) {
			const struct inkan_dmarc_auth *au = &row->dkim_auth[j];
			exec(w, "INSERT INTO dmarc_auth VALUES(?,'dkim',?,?,?,?,?)", "itttt" "t",
			    rid, au->domain, au->selector, au->scope, au->result, au->human_result);
		}
		for (size_t j = 0; j < row->nspf_auth; j++) {
			const struct inkan_dmarc_auth *au = &row->spf_auth[j];
			exec(w, "INSERT INTO dmarc_auth VALUES(?,'spf',?,?,?,?,?)", "itttt" "t",
			    rid, au->domain, au->selector, au->scope, au->result, au->human_result);
		}
	}
	return id;
}

static sqlite3_int64
put_tlsrpt(struct wr *w, const struct inkan_tlsrpt_report *r, const char *source)
{
	sqlite3_int64 id;

	id = exec(w, "INSERT INTO tlsrpt_report(org_name, report_id, contact_info, begin_ts,"
	    " end_ts, successful, failed, source, ingested_ts) VALUES(?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT(org_name, report_id) DO NOTHING", "tttiiiiti",
	    r->org_name, r->report_id, r->contact_info, (sqlite3_int64)r->begin,
	    (sqlite3_int64)r->end, (sqlite3_int64)r->successful, (sqlite3_int64)r->failed,
	    source, (sqlite3_int64)time(NULL));
	if (id == 0)
		return 0;
	for (size_t i = 0; i < r->npolicies && w->rc == SQLITE_OK; i++) {
		const struct inkan_tlsrpt_policy *p = &r->policies[i];
		char *ps = join(p->policy_string, p->npolicy_string);
		char *mx = join(p->mx_host, p->nmx_host);
		sqlite3_int64 pid;

		if ((p->npolicy_string && ps == NULL) || (p->nmx_host && mx == NULL)) {
			w->rc = SQLITE_NOMEM;
			free(ps);
			free(mx);
			break;
		}
		pid = exec(w, "INSERT INTO tlsrpt_policy(report, policy_type, policy_domain,"
		    " policy_string, mx_host, successful, failed) VALUES(?,?,?,?,?,?,?)",
		    "ittttii", id, p->policy_type, p->policy_domain, ps, mx,
		    (sqlite3_int64)p->successful, (sqlite3_int64)p->failed);
		free(ps);
		free(mx);
		for (size_t j = 0; j < p->nfailures; j++) {
			const struct inkan_tlsrpt_failure *f = &p->failures[j];
			exec(w, "INSERT INTO tlsrpt_failure VALUES(?,?,?,?,?,?,?,?,?)", "itttttt" "ti",
			    pid, f->result_type, f->sending_mta_ip, f->receiving_mx_hostname,
			    f->receiving_mx_helo, f->receiving_ip, f->additional_information,
			    f->failure_reason_code, (sqlite3_int64)f->failed_session_count);
		}
	}
	return id;
}

int
inkan_store_put_report(struct inkan_store *s, const struct inkan_report *r,
    const char *source, enum inkan_store_outcome *outcome)
{
	struct wr w = { .db = s->db, .rc = SQLITE_OK };
	sqlite3_int64 id = 0;

	if (r->kind != INKAN_REPORT_DMARC && r->kind != INKAN_REPORT_TLSRPT)
		return INKAN_EINVAL;
	/* IMMEDIATE: take the write lock now, so the duplicate check and the
	 * insert see the same database even with a second writer. */
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return INKAN_EIO;
	if (r->kind == INKAN_REPORT_DMARC)
		id = put_dmarc(&w, &r->dmarc, source);
	else
		id = put_tlsrpt(&w, &r->tlsrpt, source);
	wr_done(&w);
	if (w.rc != SQLITE_OK || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return w.rc == SQLITE_NOMEM ? INKAN_ENOMEM : INKAN_EIO;
	}
	*outcome = id != 0 ? INKAN_STORE_STORED : INKAN_STORE_DUPLICATE;
	return 0;
}

int
inkan_store_put_setaside(struct inkan_store *s, const char *source, const char *reason)
{
	struct wr w = { .db = s->db, .rc = SQLITE_OK };

	exec(&w, "INSERT INTO setaside VALUES(?,?,?) ON CONFLICT DO NOTHING", "tti",
	    source, reason, (sqlite3_int64)time(NULL));
	wr_done(&w);
	return w.rc == SQLITE_OK ? 0 : INKAN_EIO;
}

int
inkan_store_put_failure(struct inkan_store *s, const struct inkan_arf_report *r,
    const char *source, enum inkan_store_outcome *outcome)
{
	struct wr w = { .db = s->db, .rc = SQLITE_OK };
	char *rd = join(r->reported_domain, r->nreported_domain);
	char *ru = join(r->reported_uri, r->nreported_uri);
	char *ar = join(r->authentication_results, r->nauthentication_results);
	sqlite3_int64 id;

	if ((r->nreported_domain && rd == NULL) || (r->nreported_uri && ru == NULL) ||
	    (r->nauthentication_results && ar == NULL)) {
		free(rd);
		free(ru);
		free(ar);
		return INKAN_ENOMEM;
	}
	/* one statement: atomic by itself, no explicit transaction needed */
	id = exec(&w, "INSERT INTO dmarc_failure(digest, feedback_type, version, user_agent,"
	    " original_mail_from, original_rcpt_to, original_envelope_id, arrival_date,"
	    " arrival_ts, source_ip, reporting_mta, domain, reported_domain, reported_uri,"
	    " authentication_results, auth_failure, delivery_result, identity_alignment,"
	    " dkim_domain, dkim_selector, dkim_identity, incidents, orig_from, orig_subject,"
	    " orig_message_id, source, ingested_ts) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
	    "?,?,?,?,?,?,?,?,?) ON CONFLICT(digest) DO NOTHING",
	    "tttttttt" "i" "ttttttttttttttttt" "i",
	    r->digest, r->feedback_type, r->version, r->user_agent, r->original_mail_from,
	    r->original_rcpt_to, r->original_envelope_id, r->arrival_date,
	    (sqlite3_int64)r->arrival, r->source_ip, r->reporting_mta,
	    r->nreported_domain > 0 ? r->reported_domain[0] : NULL, rd, ru, ar,
	    r->auth_failure, r->delivery_result, r->identity_alignment, r->dkim_domain,
	    r->dkim_selector, r->dkim_identity, r->incidents, r->orig_from, r->orig_subject,
	    r->orig_message_id, source, (sqlite3_int64)time(NULL));
	free(rd);
	free(ru);
	free(ar);
	wr_done(&w);
	if (w.rc != SQLITE_OK)
		return INKAN_EIO;
	*outcome = id != 0 ? INKAN_STORE_STORED : INKAN_STORE_DUPLICATE;
	return 0;
}
