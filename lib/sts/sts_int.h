/* sts_int.h - what the files of lib/sts share: the policy cache rows. */
#ifndef INKAN_STS_INT_H
#define INKAN_STS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

struct inkan_arena;

/* One row of sts_policy (strings in the caller's arena). */
struct sts_row {
	bool found;		/* a live row was read */
	bool expired;		/* a row was there but past expires_at (deleted) */
	const char *id;
	const char *body;
	const char *mode;
	int64_t max_age;
	int64_t fetched_at;
	int64_t expires_at;
	int64_t last_checked;
	const char *last_error;
};

/* Open (creating the table) the cache at path, NULL = in memory.
 * INKAN_EIO with *why (thread-local text) on failure. */
int inkan__sts_cache_open(const char *path, sqlite3 **out, const char **why);
/* The live row of domain into *row (row->found false when none; an
 * expired row is deleted and reported as row->expired). */
int inkan__sts_cache_get(sqlite3 *db, struct inkan_arena *a, const char *domain, int64_t now,
    struct sts_row *row);
/* Insert or replace the row of domain. */
int inkan__sts_cache_put(sqlite3 *db, const char *domain, const struct sts_row *row);
/* Record a check of domain's TXT (error NULL = it went well). */
int inkan__sts_cache_touch(sqlite3 *db, const char *domain, int64_t now, const char *error);
int inkan__sts_cache_delete(sqlite3 *db, const char *domain);
/* Up to max domains due for a refresh at now (see cache.c). */
int inkan__sts_cache_due(sqlite3 *db, struct inkan_arena *a, int64_t now, int64_t before,
    size_t max, const char ***domains, size_t *n);

#endif
