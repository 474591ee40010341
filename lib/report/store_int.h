/* store_int.h - the SQLite store handle, shared by store.c and summary.c. */
#ifndef INKAN_STORE_INT_H
#define INKAN_STORE_INT_H

#include <sqlite3.h>

struct inkan_store {
	sqlite3 *db;
};

#endif
