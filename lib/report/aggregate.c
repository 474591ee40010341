/* aggregate.c - DMARC aggregate reports (RFC 9990) from the verdicts
 * inkan-milter stores (tables verdict and verdict_dkim, store_verdicts.c).
 *
 * Design.  Everything a report needs is in the verdict rows: the policy
 * domain where the record was found, the policy as published, the
 * disposition applied, the aligned and raw results.  A report is one
 * policy domain over one period (RFC 9990: "Each report MUST contain data
 * for only one Policy Domain").  Its records are one SQL GROUP BY over
 * the verdicts of that domain and period, keyed by every field a
 * <record> shows; the DKIM results of a message are folded into one
 * sorted key string first, so two messages with the same signatures in
 * another order share a record.  The key includes the DKIM human_result
 * (the reason a signature failed) so that what a record says is true of
 * every message it counts.  A record's DKIM list is then read from one
 * member message (all members have the same set).
 *
 * What the verdict store does not keep, and what we do about it:
 *   - the rua= list of the record: not needed to build a report; the
 *     sender of reports looks the record up again when it sends;
 *   - "psd" and RFC 9990's <generator>: not reported;
 *   - a record without a valid p= stores p = NULL: the report says p
 *     "none" (the policy RFC 9989 §4.10.1 applies then) and an <error>
 *     explains it.
 * Verdicts without a policy domain (no DMARC record) or without a source
 * IP (a message verified from a file) cannot be reported and are only
 * counted.
 */
#include <glib.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report_gen.h"
#include "inkan/store.h"
#include "store_int.h"

const char *
inkan_aggr_format_name(enum inkan_aggr_format f)
{
	return f == INKAN_AGGR_RFC7489 ? "rfc7489" : "rfc9990";
}

/* The verdicts of a period that can be reported. */
#define REPORTABLE "ts >= ?2 AND ts < ?3 AND policy_domain IS NOT NULL" \
	" AND source_ip IS NOT NULL"

static const char q_domains[] =
	"SELECT policy_domain, count(*) FROM verdict WHERE " REPORTABLE
	" AND (?1 IS NULL OR policy_domain = ?1) GROUP BY policy_domain ORDER BY policy_domain";

static const char q_stats[] =
	"SELECT count(*),"
	" coalesce(sum(CASE WHEN policy_domain IS NULL THEN 1 ELSE 0 END), 0),"
	" coalesce(sum(CASE WHEN policy_domain IS NOT NULL AND source_ip IS NULL"
	"  THEN 1 ELSE 0 END), 0)"
	" FROM verdict WHERE ts >= ?2 AND ts < ?3 AND (?1 IS NULL OR policy_domain = ?1"
	"  OR policy_domain IS NULL)";

/* The last policy seen, and how many distinct ones there were. */
static const char q_policy[] =
	"SELECT discovery, p, sp, np, adkim, aspf, testing, fo, pct, policy,"
	" (SELECT count(DISTINCT coalesce(p, '-') || '/' || coalesce(sp, '-') || '/' ||"
	"   coalesce(np, '-') || '/' || coalesce(adkim, '-') || '/' || coalesce(aspf, '-') ||"
	"   '/' || coalesce(testing, '-') || '/' || coalesce(fo, '-') || '/' ||"
	"   coalesce(pct, '-') || '/' || coalesce(discovery, '-'))"
	"  FROM verdict WHERE policy_domain = ?1 AND " REPORTABLE ")"
	" FROM verdict WHERE policy_domain = ?1 AND " REPORTABLE
	" ORDER BY ts DESC, id DESC LIMIT 1";

/* One row per <record>.  spf_dom: the domain SPF was checked for, or
 * (SPF not evaluated) the one it would have been: RFC 9990 wants at
 * least one <spf> per record. */
static const char q_records[] =
	"SELECT count(*), min(id), source_ip, disposition, dkim_aligned, spf_aligned,"
	" reason_type, reason_comment, header_from, envelope_from, envelope_to,"
	" spf_dom, spf_scope, spf_result FROM ("
	" SELECT verdict.*, coalesce(spf_domain, nullif(envelope_from, ''), helo,"
	"  header_from, policy_domain) AS spf_dom,"
	"  (SELECT group_concat(k, char(31)) FROM (SELECT coalesce(domain, '') || char(30) ||"
	"   coalesce(selector, '') || char(30) || result || char(30) ||"
	"   coalesce(human_result, '') AS k FROM verdict_dkim"
	"   WHERE verdict_dkim.verdict = verdict.id ORDER BY k)) AS dk"
	" FROM verdict WHERE policy_domain = ?1 AND " REPORTABLE ")"
	" GROUP BY source_ip, disposition, dkim_aligned, spf_aligned, reason_type,"
	" reason_comment, header_from, envelope_from, envelope_to, spf_dom, spf_scope,"
	" spf_result, dk"
	" ORDER BY count(*) DESC, source_ip, min(id)";

static const char q_dkim[] =
	"SELECT domain, selector, result, human_result FROM verdict_dkim WHERE verdict = ?1"
	" ORDER BY rowid";

struct gen {
	sqlite3 *db;
	struct inkan_arena *a;
	const struct inkan_aggr_opts *o;
	int err;		/* sticky */
};

static sqlite3_stmt *
prep(struct gen *g, const char *sql, const char *domain)
{
	sqlite3_stmt *s = NULL;

	if (g->err)
		return NULL;
	if (sqlite3_prepare_v2(g->db, sql, -1, &s, NULL) != SQLITE_OK) {
		g->err = INKAN_EIO;
		return NULL;
	}
	if (sqlite3_bind_parameter_count(s) >= 1) {
		if (domain != NULL)
			sqlite3_bind_text(s, 1, domain, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(s, 1);
	}
	if (sqlite3_bind_parameter_count(s) >= 3) {
		sqlite3_bind_int64(s, 2, g->o->begin);
		sqlite3_bind_int64(s, 3, g->o->end);
	}
	return s;
}

/* Column i as an arena string; NULL for SQL NULL. */
static const char *
col(struct gen *g, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	char *c;

	if (t == NULL || g->err)
		return NULL;
	if ((c = inkan_arena_strdup(g->a, (const char *)t)) == NULL)
		g->err = INKAN_ENOMEM;
	return c;
}

static const char *
col_or(struct gen *g, sqlite3_stmt *s, int i, const char *dflt)
{
	const char *v = col(g, s, i);
	return v != NULL ? v : dflt;
}

/* ---- DKIM results in the order RFC 9990 prefers ---- */

struct dk {
	struct inkan_dmarc_auth au;
	int prio;
	size_t idx;
};

/* 0 pass with d= the From domain (strict alignment), 1 pass with a
 * related d= (a parent or a subdomain: relaxed alignment as far as it
 * can be told without the public suffix list), 2 another pass, 3 the
 * rest. */
static int
dk_prio(const struct inkan_dmarc_auth *au, const char *hf)
{
	if (au->result == NULL || strcmp(au->result, "pass") != 0)
		return 3;
	if (au->domain == NULL || hf == NULL)
		return 2;
	size_t dl = strlen(au->domain), hl = strlen(hf);
	if (inkan_dname_equal(au->domain, dl, hf, hl))
		return 0;
	if (inkan_dname_is_sub(au->domain, dl, hf, hl) || inkan_dname_is_sub(hf, hl, au->domain, dl))
		return 1;
	return 2;
}

static int
dk_cmp(const void *x, const void *y)
{
	const struct dk *a = x, *b = y;

	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void
load_dkim(struct gen *g, sqlite3_stmt *s, sqlite3_int64 id, struct inkan_dmarc_row *row)
{
	struct dk *v = NULL, *nv;
	size_t n = 0, cap = 0;
	int rc;

	if (g->err)
		return;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				g->err = INKAN_ENOMEM;
				break;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].au.domain = col(g, s, 0);
		v[n].au.selector = col(g, s, 1);
		v[n].au.result = col_or(g, s, 2, "none");
		v[n].au.human_result = col(g, s, 3);
		v[n].prio = dk_prio(&v[n].au, row->header_from);
		v[n].idx = n;
		n++;
	}
	if (rc != SQLITE_DONE && !g->err)
		g->err = INKAN_EIO;
	if (!g->err && n > 0) {
		qsort(v, n, sizeof(*v), dk_cmp);
		if (n > INKAN_REPORT_GEN_MAX_DKIM)
			n = INKAN_REPORT_GEN_MAX_DKIM;
		row->dkim_auth = inkan_arena_alloc(g->a, n * sizeof(*row->dkim_auth));
		if (row->dkim_auth == NULL)
			g->err = INKAN_ENOMEM;
		else
			for (size_t i = 0; i < n; i++)
				row->dkim_auth[i] = v[i].au;
		row->ndkim_auth = row->dkim_auth != NULL ? n : 0;
	}
	free(v);
}

/* ---- one report ---- */

static char *
report_id(struct gen *g, const char *domain)
{
	const char *at = strrchr(g->o->email, '@');
	char *key, *hex, *id;

	key = g_strdup_printf("%s\n%s\n%s\n%" PRId64 "\n%" PRId64 "\n%s", g->o->org_name,
	    at != NULL ? at + 1 : g->o->email, domain, g->o->begin, g->o->end,
	    inkan_aggr_format_name(g->o->format));
	hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
	g_free(key);
	if (hex == NULL) {
		g->err = INKAN_ENOMEM;
		return NULL;
	}
	/* 128 bits: unique for all practical purposes, and letters and
	 * digits only, as the file name's unique-id must be. */
	id = inkan_arena_strndup(g->a, hex, 32);
	g_free(hex);
	if (id == NULL)
		g->err = INKAN_ENOMEM;
	return id;
}

static void
add_error(struct gen *g, const char ***errs, size_t *n, const char *text)
{
	const char **ne;

	if (g->err)
		return;
	ne = inkan_arena_alloc(g->a, (*n + 1) * sizeof(*ne));
	if (ne == NULL || (text = inkan_arena_strdup(g->a, text)) == NULL) {
		g->err = INKAN_ENOMEM;
		return;
	}
	if (*n > 0)
		memcpy(ne, *errs, *n * sizeof(*ne));
	ne[(*n)++] = text;
	*errs = ne;
}

static void
policy_published(struct gen *g, struct inkan_dmarc_report *r, struct inkan_aggr_stats *st)
{
	sqlite3_stmt *s = prep(g, q_policy, r->domain);
	const char *policy;
	int rc;

	if (s == NULL)
		return;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		if (!g->err)
			g->err = INKAN_EIO;
		sqlite3_finalize(s);
		return;
	}
	r->discovery_method = col(g, s, 0);
	r->p = col(g, s, 1);
	r->sp = col(g, s, 2);
	r->np = col(g, s, 3);
	r->adkim = col(g, s, 4);
	r->aspf = col(g, s, 5);
	r->testing = col(g, s, 6);
	r->fo = col(g, s, 7);
	r->pct = sqlite3_column_type(s, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 8);
	policy = col(g, s, 9);
	if (sqlite3_column_int(s, 10) > 1) {
		st->policy_changes++;
		add_error(g, &r->errors, &r->nerrors, "the published DMARC policy changed during"
		    " the reporting period; policy_published shows the last one seen");
	}
	if (r->p == NULL) {
		r->p = "none";
		add_error(g, &r->errors, &r->nerrors, policy != NULL ?
		    "the DMARC record has no valid p=; it was applied as p=none" :
		    "the DMARC record has no valid p= and no valid rua=; DMARC was not applied");
	}
	sqlite3_finalize(s);
}

static int
build_one(struct gen *g, const char *domain, struct inkan_dmarc_report *r,
    struct inkan_aggr_stats *st)
{
	sqlite3_stmt *s, *sd;
	struct inkan_dmarc_row *rows = NULL, *nr;
	size_t cap = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->schema = inkan_aggr_format_name(g->o->format);
	r->version = g->o->format == INKAN_AGGR_RFC7489 ? "1.0" : NULL;
	r->org_name = g->o->org_name;
	r->email = g->o->email;
	r->extra_contact_info = g->o->extra_contact_info;
	r->begin = g->o->begin;
	r->end = g->o->end - 1;
	if ((r->domain = inkan_arena_strdup(g->a, domain)) == NULL)
		return INKAN_ENOMEM;
	r->report_id = report_id(g, domain);
	policy_published(g, r, st);

	s = prep(g, q_records, domain);
	sd = prep(g, q_dkim, NULL);
	while (s != NULL && sd != NULL && !g->err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct inkan_dmarc_row *w;

		if (r->nrows == INKAN_REPORT_MAX_ROWS) {
			g->err = INKAN_ELIMIT;
			break;
		}
		if (r->nrows == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nr = realloc(rows, cap * sizeof(*rows))) == NULL) {
				g->err = INKAN_ENOMEM;
				break;
			}
			rows = nr;
		}
		w = &rows[r->nrows++];
		memset(w, 0, sizeof(*w));
		w->count = (uint64_t)sqlite3_column_int64(s, 0);
		w->source_ip = col(g, s, 2);
		w->disposition = col_or(g, s, 3, "none");
		w->dkim = col_or(g, s, 4, "fail");
		w->spf = col_or(g, s, 5, "fail");
		if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
			w->reasons = inkan_arena_zalloc(g->a, sizeof(*w->reasons));
			if (w->reasons == NULL) {
				g->err = INKAN_ENOMEM;
				break;
			}
			w->reasons[0].type = col(g, s, 6);
			w->reasons[0].comment = col(g, s, 7);
			w->nreasons = 1;
		}
		w->header_from = col_or(g, s, 8, r->domain);
		w->envelope_from = col(g, s, 9);
		w->envelope_to = col(g, s, 10);
		w->spf_auth = inkan_arena_zalloc(g->a, sizeof(*w->spf_auth));
		if (w->spf_auth == NULL) {
			g->err = INKAN_ENOMEM;
			break;
		}
		w->spf_auth[0].domain = col(g, s, 11);
		w->spf_auth[0].scope = col_or(g, s, 12, "mfrom");
		w->spf_auth[0].result = col_or(g, s, 13, "none");
		w->nspf_auth = 1;
		load_dkim(g, sd, sqlite3_column_int64(s, 1), w);
		r->messages += w->count;
	}
	if (s != NULL && !g->err && rc != SQLITE_DONE)
		g->err = INKAN_EIO;
	sqlite3_finalize(s);
	sqlite3_finalize(sd);
	if (!g->err && r->nrows > 0) {
		r->rows = inkan_arena_memdup(g->a, rows, r->nrows * sizeof(*rows));
		if (r->rows == NULL)
			g->err = INKAN_ENOMEM;
	}
	free(rows);
	st->reported += r->messages;
	return g->err;
}

int
inkan_aggr_build(struct inkan_store *st, struct inkan_arena *a, const struct inkan_aggr_opts *o,
    struct inkan_dmarc_report **out, size_t *n, struct inkan_aggr_stats *stats)
{
	struct inkan_aggr_stats dummy;
	struct gen g = { NULL, a, o, 0 };
	struct inkan_dmarc_report *reps = NULL;
	char **domains = NULL;
	size_t nd = 0, cap = 0;
	sqlite3_stmt *s;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	if (st == NULL || a == NULL || o == NULL || out == NULL || n == NULL ||
	    o->org_name == NULL || o->org_name[0] == '\0' || o->email == NULL ||
	    o->email[0] == '\0' || o->end <= o->begin)
		return INKAN_EINVAL;
	g.db = st->db;
	/* One read transaction: every number comes from the same snapshot
	 * while the milter goes on writing. */
	if (sqlite3_exec(g.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return INKAN_EIO;

	if ((s = prep(&g, q_stats, o->domain)) != NULL) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			stats->verdicts = (uint64_t)sqlite3_column_int64(s, 0);
			stats->no_policy = (uint64_t)sqlite3_column_int64(s, 1);
			stats->no_ip = (uint64_t)sqlite3_column_int64(s, 2);
		} else {
			g.err = INKAN_EIO;
		}
		sqlite3_finalize(s);
	}
	if ((s = prep(&g, q_domains, o->domain)) != NULL) {
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			char **nd2;
			if (nd == cap) {
				cap = cap ? cap * 2 : 8;
				if ((nd2 = realloc(domains, cap * sizeof(*domains))) == NULL) {
					g.err = INKAN_ENOMEM;
					break;
				}
				domains = nd2;
			}
			if ((domains[nd] = strdup((const char *)sqlite3_column_text(s, 0))) == NULL) {
				g.err = INKAN_ENOMEM;
				break;
			}
			nd++;
		}
		if (!g.err && rc != SQLITE_DONE)
			g.err = INKAN_EIO;
		sqlite3_finalize(s);
	}
	if (!g.err && nd > 0 && (reps = inkan_arena_zalloc(a, nd * sizeof(*reps))) == NULL)
		g.err = INKAN_ENOMEM;
	for (size_t i = 0; i < nd && !g.err; i++)
		build_one(&g, domains[i], &reps[i], stats);
	for (size_t i = 0; i < nd; i++)
		free(domains[i]);
	free(domains);
	sqlite3_exec(g.db, "COMMIT", NULL, NULL, NULL);
	if (g.err)
		return g.err;
	*out = reps;
	*n = nd;
	return 0;
}
