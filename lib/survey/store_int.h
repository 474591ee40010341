/* store_int.h - what the report side of the survey (report.c) needs
 * from the store (store.c): its SQLite handle. */
#ifndef INKAN_SURVEY_STORE_INT_H
#define INKAN_SURVEY_STORE_INT_H

#include <sqlite3.h>

struct inkan_survey_store;

/* The connection of s (borrowed); anything pending is committed first. */
sqlite3 *inkan__survey_store_db(struct inkan_survey_store *s);

#endif
