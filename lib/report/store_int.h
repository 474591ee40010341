/* store_int.h - the SQLite store handle, shared by store.c and summary.c. */
#ifndef INKAN_STORE_INT_H
#define INKAN_STORE_INT_H

#include <sqlite3.h>

struct inkan_store {
	sqlite3 *db;
};

/* store_verdicts.c: the migration from version 2 to 3 (the verdict
 * tables), listed in store.c's migrations[]. */
extern const char inkan__store_migration_verdicts[];

#endif
