/* report.c - categories from domain names, run metadata, and merging
 * the stores of a sharded survey (survey_report.h).
 *
 * A merge is plain SQL: each input is ATTACHed in turn to the output's
 * connection and its rows copied with one INSERT ... SELECT over the
 * columns both tables have, so a store written by a newer or older
 * inkan (a column more or less) merges all the same.  The category is
 * recomputed inside that statement by an application function, so the
 * rows never pass through C one by one.  The upsert keeps the first row
 * of a domain unless it is an error and the new one is not: shards do
 * not overlap, but a domain retried in a second run should count with
 * its answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/survey.h"
#include "inkan/survey_report.h"
#include "store_int.h"

static const char *const by_names[] = { "auto", "column", "tld", "sld", "suffix" };

const char *
inkan_survey_by_name(enum inkan_survey_by by)
{
	return (unsigned)by < sizeof(by_names) / sizeof(by_names[0]) ? by_names[by] : "?";
}

int
inkan_survey_by_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
		if (strcmp(s, by_names[i]) == 0)
			return (int)i;
	return -1;
}

int
inkan_survey_category(enum inkan_survey_by by, const struct inkan_dmarc_psl *psl,
    struct inkan_arena *a, const char *domain, const char **out)
{
	const char *p, *reg;
	size_t len;
	int rc;

	*out = NULL;
	if (domain == NULL || (len = strlen(domain)) == 0)
		return INKAN_EINVAL;
	switch (by) {
	case INKAN_SURVEY_BY_TLD:
		p = strrchr(domain, '.');
		*out = p != NULL ? p + 1 : domain;
		return 0;
	case INKAN_SURVEY_BY_SLD:
		/* The start of the last two labels, if a third one precedes. */
		p = domain + len;
		for (int dots = 0; p > domain; p--)
			if (p[-1] == '.' && ++dots == 2) {
				*out = p;
				return 0;
			}
		p = strrchr(domain, '.');
		*out = p != NULL ? p + 1 : domain;
		return 0;
	case INKAN_SURVEY_BY_SUFFIX:
		if (psl == NULL)
			return INKAN_EINVAL;
		if ((rc = inkan_dmarc_psl_registrable(psl, a, domain, &reg)) != 0)
			return rc;
		/* No registrable domain: the name is a public suffix itself. */
		if (reg == NULL)
			*out = domain;
		else
			*out = (p = strchr(reg, '.')) != NULL ? p + 1 : reg;
		return 0;
	default:
		return INKAN_EINVAL;
	}
}

/* ---- metadata ---- */

static int
parse_shard(const char *s, unsigned *i, unsigned *n)
{
	char *end;
	unsigned long a, b;

	if (s == NULL || *s < '0' || *s > '9')
		return INKAN_EINVAL;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno != 0 || *end != '/' || end[1] < '0' || end[1] > '9')
		return INKAN_EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || a < 1 || b < 1 || a > b ||
	    b > INKAN_SURVEY_REPORT_MAX_SHARDS)
		return INKAN_EINVAL;
	*i = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

static bool
table_exists(sqlite3 *db, const char *schema, const char *table)
{
	sqlite3_stmt *st;
	char sql[128];
	bool found = false;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND"
	    " name = ?", schema);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
inkan_survey_meta_read(const char *path, struct inkan_arena *a, struct inkan_survey_meta *m,
    char *why, size_t whylen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *shard = NULL;
	struct stat sb;
	int rc = INKAN_EIO, step;

	memset(m, 0, sizeof(*m));
	m->path = path;
	m->shard = m->nshards = 1;
	/* sqlite3's own message ("unable to open database file") hides why. */
	if (stat(path, &sb) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return INKAN_EIO;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK) {
		snprintf(why, whylen, "%s: %s", path, db != NULL ? sqlite3_errmsg(db) :
		    "cannot open the database");
		goto out;
	}
	if (!table_exists(db, "main", "survey_domain")) {
		snprintf(why, whylen, "%s: not a survey store (no table survey_domain)%s", path,
		    sqlite3_errcode(db) == SQLITE_NOTADB ? ": not a SQLite database" : "");
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(category <> ''), 0)"
	    " FROM survey_domain", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, whylen, "%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	m->rows = sqlite3_column_int64(st, 0);
	m->has_category = sqlite3_column_int(st, 1) != 0;
	sqlite3_finalize(st);
	st = NULL;
	if (!table_exists(db, "main", "survey_meta")) {
		rc = 0;
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM survey_meta", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(why, whylen, "%s: survey_meta: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		const char **dst = NULL;

		/* Stores opened by a newer inkan have the table, empty until
		 * a run writes it: only rows make a run's metadata. */
		m->has_meta = true;
		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "shard") == 0)
			dst = &shard;
		else if (strcmp(k, "input_sha256") == 0)
			dst = &m->input_sha256;
		else if (strcmp(k, "started") == 0)
			dst = &m->started;
		else if (strcmp(k, "finished") == 0)
			dst = &m->finished;
		else if (strcmp(k, "options") == 0)
			dst = &m->options;
		if (dst != NULL && (*dst = inkan_arena_strdup(a, v)) == NULL) {
			rc = INKAN_ENOMEM;
			snprintf(why, whylen, "%s: %s", path, inkan_strerror(rc));
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		snprintf(why, whylen, "%s: survey_meta: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	if (m->finished != NULL && *m->finished == '\0')
		m->finished = NULL;
	if (m->input_sha256 != NULL && *m->input_sha256 == '\0')
		m->input_sha256 = NULL;
	if (shard != NULL && parse_shard(shard, &m->shard, &m->nshards) != 0) {
		snprintf(why, whylen, "%s: survey_meta: shard '%.40s' is not i/N with 1 <= i <= N"
		    " <= %d", path, shard, INKAN_SURVEY_REPORT_MAX_SHARDS);
		rc = INKAN_EINVAL;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

static void
warnf(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
warnf(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(arg, msg);
}

static bool
same_str(const char *x, const char *y)
{
	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

int
inkan_survey_shards_check(const struct inkan_survey_meta *m, size_t n, char *why, size_t whylen,
    void (*warn)(void *, const char *), void *arg)
{
	unsigned char *seen;
	unsigned nshards, missing = 0, first = 0;

	if (n == 0) {
		snprintf(why, whylen, "no store given");
		return INKAN_EINVAL;
	}
	nshards = m[0].nshards;
	for (size_t i = 1; i < n; i++) {
		if (m[i].nshards != nshards) {
			snprintf(why, whylen, "%s is shard %u/%u but %s is shard %u/%u: not one"
			    " sharded run", m[0].path, m[0].shard, m[0].nshards, m[i].path,
			    m[i].shard, m[i].nshards);
			return INKAN_EINVAL;
		}
		/* An unknown input (an older run, or one from standard input
		 * that did not finish) cannot be checked: warned below. */
		if (m[i].input_sha256 != NULL && m[0].input_sha256 != NULL &&
		    !same_str(m[i].input_sha256, m[0].input_sha256)) {
			snprintf(why, whylen, "%s and %s are surveys of different inputs"
			    " (input_sha256 %.16s... and %.16s...)", m[0].path, m[i].path,
			    m[0].input_sha256, m[i].input_sha256);
			return INKAN_EINVAL;
		}
	}
	if ((seen = calloc(nshards + 1, 1)) == NULL) {
		snprintf(why, whylen, "%s", inkan_strerror(INKAN_ENOMEM));
		return INKAN_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (seen[m[i].shard]) {
			size_t j;

			for (j = 0; j < i && m[j].shard != m[i].shard; j++)
				continue;
			snprintf(why, whylen, "%s and %s are both shard %u/%u%s", m[j].path,
			    m[i].path, m[i].shard, nshards, m[i].has_meta ? "" :
			    " (no survey_meta: each is a whole run)");
			free(seen);
			return INKAN_EINVAL;
		}
		seen[m[i].shard] = 1;
	}
	for (unsigned s = 1; s <= nshards; s++)
		if (!seen[s] && missing++ == 0)
			first = s;
	free(seen);
	if (missing > 0)
		warnf(warn, arg, "%u of %u shards missing (the first: %u/%u): the table covers"
		    " only part of the input", missing, nshards, first, nshards);
	for (size_t i = 0; i < n && n > 1; i++)
		if (m[i].input_sha256 == NULL && m[i].has_meta)
			warnf(warn, arg, "%s: no input_sha256 in survey_meta: cannot check that it"
			    " surveyed the same input as the others", m[i].path);
	for (size_t i = 0; i < n; i++)
		if (m[i].has_meta && m[i].finished == NULL)
			warnf(warn, arg, "%s: the run has not finished (no 'finished' in"
			    " survey_meta): the table is incomplete", m[i].path);
	return 0;
}

/* ---- merge ---- */

struct catfn {
	enum inkan_survey_by by;
	const struct inkan_dmarc_psl *psl;
	struct inkan_arena *a;
};

static void
sql_category(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct catfn *c = sqlite3_user_data(ctx);
	const char *d = (const char *)sqlite3_value_text(argv[0]), *out;

	(void)argc;
	inkan_arena_reset(c->a);
	if (d == NULL || inkan_survey_category(c->by, c->psl, c->a, d, &out) != 0 || out == NULL)
		out = "";
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* The column names of schema.survey_domain, as "a","b",... into names
 * (NUL-separated, count in *n). */
static int
columns(sqlite3 *db, const char *schema, char **names, size_t *n)
{
	sqlite3_stmt *st;
	char sql[96];
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int step;

	*names = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "PRAGMA %s.table_info(survey_domain)", schema);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return INKAN_EIO;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 1);
		size_t cl = c != NULL ? strlen(c) : 0;

		if (cl == 0)
			continue;
		if (len + cl + 1 > cap) {
			char *nb = realloc(buf, cap = (cap + cl + 1) * 2);

			if (nb == NULL) {
				free(buf);
				sqlite3_finalize(st);
				return INKAN_ENOMEM;
			}
			buf = nb;
		}
		memcpy(buf + len, c, cl + 1);
		len += cl + 1;
		(*n)++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		free(buf);
		return INKAN_EIO;
	}
	*names = buf;
	return 0;
}

static bool
has_column(const char *names, size_t n, const char *c)
{
	for (size_t i = 0; i < n; i++, names += strlen(names) + 1)
		if (strcmp(names, c) == 0)
			return true;
	return false;
}

/* Append s to the growing SQL text (*sql, *len, *cap); false on ENOMEM. */
static bool
sql_add(char **sql, size_t *len, size_t *cap, const char *s)
{
	size_t sl = strlen(s);

	if (*len + sl + 1 > *cap) {
		size_t nc = (*len + sl + 1) * 2;
		char *n = realloc(*sql, nc);

		if (n == NULL)
			return false;
		*sql = n;
		*cap = nc;
	}
	memcpy(*sql + *len, s, sl + 1);
	*len += sl;
	return true;
}

/* The INSERT of the rows of src into main over the columns both have.
 * Column names come from our own schema (main), so they need no
 * quoting beyond the double quotes. */
static int
merge_sql(const char *out_cols, size_t nout, const char *in_cols, size_t nin, bool recat,
    char **sqlp)
{
	char *sql = NULL;
	size_t len = 0, cap = 0;
	const char *c;
	bool ok = true, first;
	size_t i;

	ok = sql_add(&sql, &len, &cap, "INSERT INTO main.survey_domain (");
	for (i = 0, c = out_cols, first = true; i < nout; i++, c += strlen(c) + 1) {
		if (!has_column(in_cols, nin, c))
			continue;
		ok = ok && sql_add(&sql, &len, &cap, first ? "\"" : ",\"") &&
		    sql_add(&sql, &len, &cap, c) && sql_add(&sql, &len, &cap, "\"");
		first = false;
	}
	ok = ok && sql_add(&sql, &len, &cap, ") SELECT ");
	for (i = 0, c = out_cols, first = true; i < nout; i++, c += strlen(c) + 1) {
		if (!has_column(in_cols, nin, c))
			continue;
		if (!first)
			ok = ok && sql_add(&sql, &len, &cap, ",");
		first = false;
		if (strcmp(c, "category") == 0)
			ok = ok && sql_add(&sql, &len, &cap, recat ? "inkan_category(domain)" :
			    "coalesce(category, '')");
		else if (strcmp(c, "domain") == 0)
			ok = ok && sql_add(&sql, &len, &cap, "lower(domain)");
		else
			ok = ok && sql_add(&sql, &len, &cap, "\"") && sql_add(&sql, &len, &cap, c) &&
			    sql_add(&sql, &len, &cap, "\"");
	}
	/* A WHERE before ON CONFLICT keeps the parser from taking the
	 * upsert for a join constraint (SQLite's "parsing ambiguity"). */
	ok = ok && sql_add(&sql, &len, &cap, " FROM src.survey_domain WHERE domain IS NOT NULL"
	    " ORDER BY domain ON CONFLICT(domain) DO UPDATE SET ");
	for (i = 0, c = out_cols, first = true; i < nout; i++, c += strlen(c) + 1) {
		if (!has_column(in_cols, nin, c) || strcmp(c, "domain") == 0)
			continue;
		ok = ok && sql_add(&sql, &len, &cap, first ? "\"" : ",\"") &&
		    sql_add(&sql, &len, &cap, c) && sql_add(&sql, &len, &cap, "\"=excluded.\"") &&
		    sql_add(&sql, &len, &cap, c) && sql_add(&sql, &len, &cap, "\"");
		first = false;
	}
	ok = ok && sql_add(&sql, &len, &cap, " WHERE survey_domain.error IS NOT NULL AND"
	    " excluded.error IS NULL");
	if (!ok) {
		free(sql);
		return INKAN_ENOMEM;
	}
	*sqlp = sql;
	return 0;
}

static int
merge_one(sqlite3 *db, const char *path, bool recat, const char *out_cols, size_t nout,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	char *in_cols = NULL, *sql = NULL;
	size_t nin;
	struct stat sb;
	int rc = INKAN_EIO;
	bool attached = false;

	if (stat(path, &sb) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return INKAN_EIO;
	}
	if (sqlite3_prepare_v2(db, "ATTACH ? AS src", -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto sqlerr;
	attached = true;
	sqlite3_finalize(st);
	st = NULL;
	if (!table_exists(db, "src", "survey_domain")) {
		snprintf(why, whylen, "%s: not a survey store (no table survey_domain)", path);
		goto out;
	}
	if ((rc = columns(db, "src", &in_cols, &nin)) != 0)
		goto sqlerr;
	if (!has_column(in_cols, nin, "domain") || !has_column(in_cols, nin, "error")) {
		snprintf(why, whylen, "%s: survey_domain has no column domain or error", path);
		rc = INKAN_EIO;
		goto out;
	}
	if ((rc = merge_sql(out_cols, nout, in_cols, nin, recat, &sql)) != 0) {
		snprintf(why, whylen, "%s", inkan_strerror(rc));
		goto out;
	}
	rc = INKAN_EIO;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(why, whylen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	rc = 0;
	goto out;
sqlerr:
	snprintf(why, whylen, "%s: %s", path, sqlite3_errmsg(db));
	rc = INKAN_EIO;
out:
	sqlite3_finalize(st);
	if (attached)
		sqlite3_exec(db, "DETACH src", NULL, NULL, NULL);
	free(in_cols);
	free(sql);
	return rc;
}

int
inkan_survey_merge(struct inkan_survey_store *out, const char *const *paths, size_t n,
    enum inkan_survey_by by, const struct inkan_dmarc_psl *psl, char *why, size_t whylen)
{
	sqlite3 *db = inkan__survey_store_db(out);
	struct catfn cf = { by, psl, NULL };
	bool recat = by != INKAN_SURVEY_BY_AUTO && by != INKAN_SURVEY_BY_COLUMN;
	char *out_cols = NULL;
	size_t nout;
	int rc;

	if (by == INKAN_SURVEY_BY_SUFFIX && psl == NULL) {
		snprintf(why, whylen, "--by suffix needs the Public Suffix List");
		return INKAN_EINVAL;
	}
	if (recat) {
		if ((cf.a = inkan_arena_new()) == NULL) {
			snprintf(why, whylen, "%s", inkan_strerror(INKAN_ENOMEM));
			return INKAN_ENOMEM;
		}
		if (sqlite3_create_function(db, "inkan_category", 1, SQLITE_UTF8 |
		    SQLITE_DETERMINISTIC, &cf, sql_category, NULL, NULL) != SQLITE_OK) {
			snprintf(why, whylen, "%s", sqlite3_errmsg(db));
			inkan_arena_free(cf.a);
			return INKAN_EIO;
		}
	}
	if ((rc = columns(db, "main", &out_cols, &nout)) != 0) {
		snprintf(why, whylen, "%s", rc == INKAN_EIO ? sqlite3_errmsg(db) :
		    inkan_strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = merge_one(db, paths[i], recat, out_cols, nout, why, whylen);
out:
	if (recat)
		sqlite3_create_function(db, "inkan_category", 1, SQLITE_UTF8, NULL, NULL, NULL,
		    NULL);
	free(out_cols);
	inkan_arena_free(cf.a);
	return rc;
}

static int
meta_put(sqlite3 *db, const char *k, const char *v)
{
	sqlite3_stmt *st;
	int rc;

	if (v == NULL)
		return 0;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO survey_meta (key, value) VALUES (?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : INKAN_EIO;
	sqlite3_finalize(st);
	return rc;
}

int
inkan_survey_merged_meta_write(struct inkan_survey_store *out, const struct inkan_survey_meta *m,
    size_t n)
{
	sqlite3 *db = inkan__survey_store_db(out);
	const char *sha = n > 0 ? m[0].input_sha256 : NULL, *started = NULL, *finished = NULL;
	bool complete = n > 0 && n == m[0].nshards;
	char shards[32];
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (!same_str(sha, m[i].input_sha256))
			sha = NULL;
		if (m[i].started != NULL && (started == NULL || strcmp(m[i].started, started) < 0))
			started = m[i].started;
		if (m[i].finished == NULL)
			complete = false;
		else if (finished == NULL || strcmp(m[i].finished, finished) > 0)
			finished = m[i].finished;
	}
	snprintf(shards, sizeof(shards), "%zu", n);
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS survey_meta (key TEXT PRIMARY KEY,"
	    " value TEXT); BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return INKAN_EIO;
	rc = meta_put(db, "shard", "1/1");
	if (rc == 0)
		rc = meta_put(db, "input_sha256", sha);
	if (rc == 0)
		rc = meta_put(db, "started", started);
	if (rc == 0 && complete)
		rc = meta_put(db, "finished", finished);
	if (rc == 0)
		rc = meta_put(db, "merged_from", shards);
	if (sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		rc = INKAN_EIO;
	return rc;
}
