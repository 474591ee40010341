/* cache.c - the persistent MTA-STS policy cache (SQLite).
 *
 * One row per policy domain: the policy body as fetched (parsed again
 * when used, which costs microseconds and keeps the table free of
 * derived columns), the TXT id it came with, when it was fetched and
 * when it expires (fetched_at + max_age, RFC 8461 §3.2), when its TXT
 * record was last checked and why the last refresh failed.  A row past
 * expires_at is dead: it is never returned, and deleted when seen.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "sts_int.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS sts_policy ("
    " domain TEXT PRIMARY KEY,"
    " id TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " mode TEXT NOT NULL,"
    " max_age INTEGER NOT NULL,"
    " fetched_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " last_checked INTEGER NOT NULL,"
    " last_error TEXT)";

int
inkan__sts_cache_open(const char *path, sqlite3 **out, const char **why)
{
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	rc = sqlite3_open_v2(path != NULL ? path : ":memory:", &db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db, INKAN_STS_BUSY_MS);
	if (path != NULL && (rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; "
	    "PRAGMA synchronous=NORMAL", NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_exec(db, schema, NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	*out = db;
	return 0;
fail:
	if (why != NULL)
		*why = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	/* The message lives in db; keep it for the caller's one line. */
	if (why != NULL && db != NULL) {
		static _Thread_local char buf[256];

		snprintf(buf, sizeof(buf), "%s: %s", path ? path : ":memory:", *why);
		*why = buf;
	}
	sqlite3_close(db);
	return rc == SQLITE_NOMEM ? INKAN_ENOMEM : INKAN_EIO;
}

static char *
col_text(struct inkan_arena *a, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? inkan_arena_strdup(a, (const char *)t) : NULL;
}

int
inkan__sts_cache_get(sqlite3 *db, struct inkan_arena *a, const char *domain, int64_t now,
    struct sts_row *row)
{
	sqlite3_stmt *st;
	int rc;

	memset(row, 0, sizeof(*row));
	if (sqlite3_prepare_v2(db, "SELECT id, body, mode, max_age, fetched_at, expires_at, "
	    "last_checked, last_error FROM sts_policy WHERE domain = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row->id = col_text(a, st, 0);
		row->body = col_text(a, st, 1);
		row->mode = col_text(a, st, 2);
		row->max_age = sqlite3_column_int64(st, 3);
		row->fetched_at = sqlite3_column_int64(st, 4);
		row->expires_at = sqlite3_column_int64(st, 5);
		row->last_checked = sqlite3_column_int64(st, 6);
		row->last_error = col_text(a, st, 7);
		if (row->id == NULL || row->body == NULL || row->mode == NULL) {
			sqlite3_finalize(st);
			return INKAN_ENOMEM;
		}
		row->found = true;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return INKAN_EIO;
	if (row->found && row->expires_at <= now) {
		/* RFC 8461 §5.1: a policy past max_age is gone. */
		row->found = false;
		row->expired = true;
		return inkan__sts_cache_delete(db, domain);
	}
	return 0;
}

int
inkan__sts_cache_put(sqlite3 *db, const char *domain, const struct sts_row *row)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO sts_policy (domain, id, body, mode, "
	    "max_age, fetched_at, expires_at, last_checked, last_error) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &st, NULL) != SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, row->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, row->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, row->mode, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, row->max_age);
	sqlite3_bind_int64(st, 6, row->fetched_at);
	sqlite3_bind_int64(st, 7, row->expires_at);
	sqlite3_bind_int64(st, 8, row->last_checked);
	if (row->last_error != NULL)
		sqlite3_bind_text(st, 9, row->last_error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : INKAN_EIO;
}

int
inkan__sts_cache_touch(sqlite3 *db, const char *domain, int64_t now, const char *error)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "UPDATE sts_policy SET last_checked = ?2, last_error = ?3 "
	    "WHERE domain = ?1", -1, &st, NULL) != SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (error != NULL)
		sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : INKAN_EIO;
}

int
inkan__sts_cache_delete(sqlite3 *db, const char *domain)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "DELETE FROM sts_policy WHERE domain = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : INKAN_EIO;
}

int
inkan__sts_cache_due(sqlite3 *db, struct inkan_arena *a, int64_t now, int64_t before,
    size_t max, const char ***domains, size_t *n)
{
	sqlite3_stmt *st;
	const char **v;
	int rc;

	*domains = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if ((v = inkan_arena_zalloc(a, max * sizeof(*v))) == NULL)
		return INKAN_ENOMEM;
	/* Due: within the refresh window (capped at half the max_age, see
	 * sts.c), or not checked for a day; the soonest to expire first. */
	if (sqlite3_prepare_v2(db, "SELECT domain FROM sts_policy WHERE expires_at > ?1 AND "
	    "(expires_at - min(?2, max_age / 2) <= ?1 OR last_checked <= ?1 - ?3) "
	    "ORDER BY expires_at LIMIT ?4", -1, &st, NULL) != SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, INKAN_STS_RECHECK_INTERVAL);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		if ((v[*n] = col_text(a, st, 0)) == NULL) {
			sqlite3_finalize(st);
			return INKAN_ENOMEM;
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return INKAN_EIO;
	*domains = v;
	return 0;
}
