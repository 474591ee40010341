/* store.h - where ingested reports are kept.
 *
 * The store seam of ARCHITECTURE.md, for now the report half: SQLite in
 * WAL mode (lib/report/store.c; the schema and its migrations are
 * documented there).  A PostgreSQL backend will implement the same calls.
 *
 * Each report is stored whole in one transaction or not at all, keyed by
 * (reporting organisation, report id): storing the same report again is
 * INKAN_STORE_DUPLICATE and changes nothing.  A process killed at any
 * point leaves every report either fully stored or absent.
 */
#ifndef INKAN_STORE_H
#define INKAN_STORE_H

#include <stdint.h>

#include "inkan/report.h"

struct inkan_store;

enum inkan_store_outcome {
	INKAN_STORE_STORED = 0,
	INKAN_STORE_DUPLICATE = 1,
};

/* Open (creating and migrating if needed) the SQLite store at path.
 * Returns 0 and *out, or INKAN_EIO with the reason in why. */
int inkan_store_open(const char *path, struct inkan_store **out, char *why,
    size_t whylen);
void inkan_store_close(struct inkan_store *st);

/* Store r, remembering where it came from (source, a label such as
 * "file.eml#report.xml.gz").  Returns 0 and *outcome, or INKAN_EIO (the
 * transaction is rolled back; nothing of r is kept). */
int inkan_store_put_report(struct inkan_store *st, const struct inkan_report *r,
    const char *source, enum inkan_store_outcome *outcome);

/* Store one failure report (RFC 9991 / RFC 6591), keyed by its digest:
 * the same report again is INKAN_STORE_DUPLICATE.  0 or INKAN_EIO. */
int inkan_store_put_failure(struct inkan_store *st, const struct inkan_arf_report *r,
    const char *source, enum inkan_store_outcome *outcome);

/* Record that source was set aside and why (kept once per source+reason). */
int inkan_store_put_setaside(struct inkan_store *st, const char *source,
    const char *reason);

struct inkan_store_filter {
	const char *domain;	/* policy domain (DMARC) / policy-domain (TLS-RPT); NULL = all */
	int64_t since;		/* reports whose range ends at or after this time; 0 = all */
	int top;		/* rows in the "top" lists (0 = 10) */
};

/* The summary document described in inkan-report(1) as JSON text,
 * malloc'd in *json (the caller frees it).  0 or INKAN_EIO/INKAN_ENOMEM. */
int inkan_store_summary(struct inkan_store *st, const struct inkan_store_filter *f,
    char **json);

/* Schema version this library writes. */
int inkan_store_schema_version(void);

#endif
