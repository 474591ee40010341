/* summary.c - what the stored reports say, as one JSON document.
 *
 * Every number is one SQL aggregate over the store (schema in store.c),
 * so the summary is as consistent as a single read transaction.  DMARC
 * "pass" is RFC 7489 §3/§4.2 / RFC 9989: a message passes when the
 * reporter evaluated either DKIM or SPF as pass *and aligned*, which is
 * what <policy_evaluated> records; <auth_results> holds the raw,
 * unaligned results, used here only to show senders whose DKIM passes
 * with a domain that does not align (a provider's default signature).
 * A report spanning several days counts on the day it begins.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/error.h"
#include "inkan/store.h"
#include "store_int.h"


#define DROWS \
	"WITH rws AS (SELECT w.*, r.org_name AS org_name, r.begin_ts AS begin_ts," \
	" r.domain AS policy_domain, r.adkim AS adkim, r.aspf AS aspf," \
	" (w.dkim = 'pass' OR w.spf = 'pass') AS ok FROM dmarc_row w" \
	" JOIN dmarc_report r ON r.id = w.report" \
	" WHERE (?1 IS NULL OR r.domain = ?1) AND r.end_ts >= ?2) "
#define DREPORTS "(SELECT count(*) FROM dmarc_report r WHERE (?1 IS NULL OR r.domain = ?1)" \
	" AND r.end_ts >= ?2)"
#define TPOL \
	"WITH pol AS (SELECT p.*, r.org_name AS org_name FROM tlsrpt_policy p" \
	" JOIN tlsrpt_report r ON r.id = p.report" \
	" WHERE (?1 IS NULL OR p.policy_domain = ?1) AND r.end_ts >= ?2) "
#define FREP \
	"WITH fr AS (SELECT * FROM dmarc_failure WHERE (?1 IS NULL OR domain = ?1)" \
	" AND coalesce(nullif(arrival_ts, 0), ingested_ts) >= ?2) "
#define PASSFAIL \
	" sum(count) AS messages, sum(CASE WHEN ok THEN count ELSE 0 END) AS pass," \
	" sum(CASE WHEN ok THEN 0 ELSE count END) AS fail," \
	" round(100.0 * sum(CASE WHEN ok THEN count ELSE 0 END) / max(sum(count), 1), 1)" \
	" AS pass_rate"

struct q {
	sqlite3 *db;
	const struct inkan_store_filter *f;
	int err;
};

/* Rows of sql as an array of objects named by column, or the first row
 * as an object when one is set. */
static json_t *
query(struct q *q, const char *sql, bool one)
{
	sqlite3_stmt *st;
	json_t *arr, *obj = NULL;
	int rc;

	if (q->err)
		return NULL;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		q->err = INKAN_EIO;
		return NULL;
	}
	if (q->f->domain != NULL)
		sqlite3_bind_text(st, 1, q->f->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, q->f->since);
	sqlite3_bind_int(st, 3, q->f->top > 0 ? q->f->top : 10);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		obj = json_object();
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			json_t *v;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				v = json_real(sqlite3_column_double(st, i));
				break;
			case SQLITE_TEXT:
				v = json_string((const char *)sqlite3_column_text(st, i));
				break;
			default:
				v = json_null();
			}
			json_object_set_new(obj, sqlite3_column_name(st, i), v);
		}
		if (one)
			break;
		json_array_append_new(arr, obj);
		obj = NULL;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		q->err = INKAN_EIO;
	sqlite3_finalize(st);
	if (one) {
		json_decref(arr);
		return obj != NULL ? obj : json_object();
	}
	return arr;
}

int
inkan_store_summary(struct inkan_store *s, const struct inkan_store_filter *f, char **out)
{
	struct inkan_store_filter none = { 0 };
	struct q q = { s->db, f != NULL ? f : &none, 0 };
	json_t *doc, *dmarc, *tls, *fail;

	*out = NULL;
	sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
	dmarc = query(&q, DROWS "SELECT " DREPORTS " AS reports,"
	    " coalesce(sum(count), 0) AS messages,"
	    " coalesce(sum(CASE WHEN ok THEN count ELSE 0 END), 0) AS pass,"
	    " coalesce(sum(CASE WHEN ok THEN 0 ELSE count END), 0) AS fail,"
	    " round(100.0 * coalesce(sum(CASE WHEN ok THEN count ELSE 0 END), 0)"
	    " / max(coalesce(sum(count), 0), 1), 1) AS pass_rate,"
	    " coalesce(sum(CASE WHEN dkim = 'pass' THEN count END), 0) AS dkim_aligned_pass,"
	    " coalesce(sum(CASE WHEN spf = 'pass' THEN count END), 0) AS spf_aligned_pass,"
	    " count(DISTINCT source_ip) AS sources FROM rws", true);
	if (dmarc != NULL) {
		json_object_set_new(dmarc, "disposition", query(&q, DROWS
		    "SELECT disposition, sum(count) AS messages FROM rws GROUP BY 1"
		    " ORDER BY 2 DESC", false));
		json_object_set_new(dmarc, "by_org", query(&q, DROWS
		    "SELECT org_name, count(DISTINCT report) AS reports," PASSFAIL
		    " FROM rws GROUP BY org_name ORDER BY messages DESC, org_name", false));
		json_object_set_new(dmarc, "by_source", query(&q, DROWS
		    "SELECT source_ip," PASSFAIL ","
		    " sum(CASE WHEN dkim = 'pass' THEN count ELSE 0 END) AS dkim_aligned_pass,"
		    " sum(CASE WHEN spf = 'pass' THEN count ELSE 0 END) AS spf_aligned_pass,"
		    " sum(CASE WHEN EXISTS (SELECT 1 FROM dmarc_auth a WHERE a.row = rws.id"
		    "  AND a.method = 'dkim' AND a.result = 'pass') THEN count ELSE 0 END) AS dkim_pass,"
		    " sum(CASE WHEN EXISTS (SELECT 1 FROM dmarc_auth a WHERE a.row = rws.id"
		    "  AND a.method = 'spf' AND a.result = 'pass') THEN count ELSE 0 END) AS spf_pass,"
		    " sum(CASE WHEN disposition = 'none' THEN count ELSE 0 END) AS disposition_none,"
		    " sum(CASE WHEN disposition = 'quarantine' THEN count ELSE 0 END)"
		    "  AS disposition_quarantine,"
		    " sum(CASE WHEN disposition = 'reject' THEN count ELSE 0 END) AS disposition_reject,"
		    " group_concat(DISTINCT header_from) AS header_from,"
		    " group_concat(DISTINCT policy_domain) AS policy_domains"
		    " FROM rws GROUP BY source_ip ORDER BY messages DESC, source_ip", false));
		json_object_set_new(dmarc, "failing_sources", query(&q, DROWS
		    "SELECT source_ip," PASSFAIL " FROM rws GROUP BY source_ip"
		    " HAVING fail > 0 ORDER BY fail DESC, source_ip LIMIT ?3", false));
		json_object_set_new(dmarc, "dkim_not_aligned", query(&q, DROWS
		    "SELECT source_ip, a.domain AS dkim_domain, header_from, sum(count) AS messages"
		    " FROM rws JOIN dmarc_auth a ON a.row = rws.id AND a.method = 'dkim'"
		    " AND a.result = 'pass' WHERE rws.dkim = 'fail'"
		    " GROUP BY 1, 2, 3 ORDER BY messages DESC LIMIT ?3", false));
		/* Failing rows with the raw results that did pass: what the
		 * p=none -> p=reject advice is made of (a pass here did not
		 * align, or the row would not be failing). */
		json_object_set_new(dmarc, "failing_auth", query(&q, DROWS
		    ", fa AS (SELECT rws.*,"
		    " (SELECT group_concat(DISTINCT lower(a.domain)) FROM dmarc_auth a"
		    "  WHERE a.row = rws.id AND a.method = 'dkim' AND a.result = 'pass')"
		    "  AS dkim_pass_domains,"
		    " (SELECT group_concat(DISTINCT lower(a.domain)) FROM dmarc_auth a"
		    "  WHERE a.row = rws.id AND a.method = 'spf' AND a.result = 'pass')"
		    "  AS spf_pass_domains"
		    " FROM rws WHERE NOT ok)"
		    " SELECT source_ip, policy_domain, coalesce(header_from, policy_domain)"
		    " AS header_from, adkim, aspf, dkim_pass_domains, spf_pass_domains,"
		    " sum(count) AS messages FROM fa GROUP BY 1, 2, 3, 4, 5, 6, 7"
		    " ORDER BY messages DESC, 1, 2, 3", false));
		json_object_set_new(dmarc, "by_day", query(&q, DROWS
		    "SELECT date(begin_ts, 'unixepoch') AS day," PASSFAIL
		    " FROM rws GROUP BY day ORDER BY day", false));
	}
	tls = query(&q, TPOL "SELECT count(DISTINCT report) AS reports,"
	    " coalesce(sum(successful), 0) AS successful_sessions,"
	    " coalesce(sum(failed), 0) AS failed_sessions FROM pol", true);
	if (tls != NULL) {
		json_object_set_new(tls, "by_policy", query(&q, TPOL
		    "SELECT policy_type, policy_domain, mx_host, count(DISTINCT report) AS reports,"
		    " sum(successful) AS successful_sessions, sum(failed) AS failed_sessions"
		    " FROM pol GROUP BY 1, 2, 3 ORDER BY failed_sessions DESC, 1, 2, 3", false));
		json_object_set_new(tls, "by_org", query(&q, TPOL
		    "SELECT org_name, count(DISTINCT report) AS reports,"
		    " sum(successful) AS successful_sessions, sum(failed) AS failed_sessions"
		    " FROM pol GROUP BY 1 ORDER BY 1", false));
		json_object_set_new(tls, "failures_by_result", query(&q, TPOL
		    "SELECT f.result_type, sum(f.failed_session_count) AS sessions"
		    " FROM tlsrpt_failure f JOIN pol ON pol.id = f.policy"
		    " GROUP BY 1 ORDER BY 2 DESC, 1", false));
		json_object_set_new(tls, "failures_by_mx", query(&q, TPOL
		    "SELECT f.receiving_mx_hostname, f.result_type,"
		    " sum(f.failed_session_count) AS sessions"
		    " FROM tlsrpt_failure f JOIN pol ON pol.id = f.policy"
		    " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ?3", false));
	}
	fail = query(&q, FREP "SELECT count(*) AS reports FROM fr", true);
	if (fail != NULL) {
		json_object_set_new(fail, "by_type", query(&q, FREP
		    "SELECT feedback_type, auth_failure, count(*) AS reports FROM fr"
		    " GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2", false));
		json_object_set_new(fail, "by_domain", query(&q, FREP
		    "SELECT domain, count(*) AS reports FROM fr GROUP BY 1 ORDER BY 2 DESC, 1",
		    false));
		json_object_set_new(fail, "by_source", query(&q, FREP
		    "SELECT source_ip, count(*) AS reports FROM fr GROUP BY 1"
		    " ORDER BY 2 DESC, 1 LIMIT ?3", false));
	}
	doc = json_object();
	json_object_set_new(doc, "dmarc", dmarc != NULL ? dmarc : json_null());
	json_object_set_new(doc, "tlsrpt", tls != NULL ? tls : json_null());
	json_object_set_new(doc, "failure", fail != NULL ? fail : json_null());
	json_object_set_new(doc, "setaside", query(&q,
	    "SELECT count(*) AS inputs FROM setaside", true));
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (q.err != 0) {
		json_decref(doc);
		return q.err;
	}
	*out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return *out != NULL ? 0 : INKAN_ENOMEM;
}
