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

#include <stddef.h>
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

/* ---- per-message verdicts (inkan-milter; read by aggregate reports) ----
 *
 * One row per inbound message verified, with what an RFC 9990 aggregate
 * report needs: the source IP, the identifiers (envelope to and from,
 * header From domain), the policy published (domain, discovery method,
 * p, sp, np, adkim, aspf, t, pct, fo), the policy evaluated (the
 * disposition applied, the DMARC-aligned DKIM and SPF results, the
 * reason a local override gave), and the raw results (SPF domain, scope,
 * result; every DKIM signature's domain, selector, result).  Schema in
 * lib/report/store_verdicts.c (tables verdict and verdict_dkim). */

struct inkan_verdict_dkim {
	const char *domain, *selector;
	const char *result;		/* RFC 8601 name: "pass", "fail", ... */
	const char *human_result;	/* the reason, or NULL */
};

/* Every string may be NULL (unknown / not applicable). */
struct inkan_verdict {
	int64_t ts;			/* arrival, UNIX time */
	const char *reporter;		/* our authserv-id */
	const char *queue_id;		/* the MTA's queue ID */
	const char *source_ip;
	const char *helo;
	const char *envelope_from;	/* MAIL FROM domain; "" for the null path */
	const char *envelope_to;	/* the first recipient's domain */
	const char *header_from;	/* Author Domain */
	const char *spf_domain, *spf_scope, *spf_result, *spf_human;	/* scope "mfrom"/"helo" */
	const char *dmarc_result;	/* none/pass/fail/temperror/permerror */
	const char *policy_domain;	/* where the record was found */
	const char *discovery;		/* "treewalk" (RFC 9989) or "psl" (RFC 7489) */
	const char *p, *sp, *np;	/* as published; NULL when absent */
	const char *adkim, *aspf;	/* "r" / "s" */
	const char *testing;		/* "y" / "n" */
	const char *fo;			/* e.g. "0", "1:d" */
	int pct;			/* -1 when absent */
	const char *policy;		/* the value of the tag that applied */
	const char *policy_tag;		/* "p", "sp", "np" */
	const char *dkim_aligned, *spf_aligned;	/* "pass" / "fail" */
	const char *requested;		/* disposition asked (after t=y / pct) */
	const char *disposition;	/* disposition applied: none/quarantine/reject */
	const char *reason_type, *reason_comment;
	const char *arc;		/* none/pass/fail, NULL when not evaluated */
	const char *action;		/* accept/quarantine/reject/tempfail */
	size_t ndkim;
	const struct inkan_verdict_dkim *dkim;
};

/* Store n verdicts in one transaction (all or none).  0 or INKAN_EIO. */
int inkan_store_put_verdicts(struct inkan_store *st, const struct inkan_verdict *v, size_t n);

/* Verdicts stored with ts in [since, until) (until 0 = no end). */
int inkan_store_count_verdicts(struct inkan_store *st, int64_t since, int64_t until,
    int64_t *count);

/* A writer thread in front of a store, for a daemon that must never wait
 * for the disk: put() copies the verdict into a bounded queue and returns
 * at once; the thread writes batches of up to batch_max in one
 * transaction, at least every flush_ms.  When the store cannot be opened
 * or a write fails, the batch is lost, counted and logged, the store is
 * closed, and opening is tried again after retry_ms: mail never waits
 * for the store.  A full queue drops the new verdict (counted). */
struct inkan_verdict_writer;

struct inkan_verdict_writer_opts {
	size_t queue_max;		/* 0 = INKAN_VERDICT_QUEUE_MAX */
	size_t batch_max;		/* 0 = INKAN_VERDICT_BATCH_MAX */
	unsigned flush_ms;		/* 0 = INKAN_VERDICT_FLUSH_MS */
	unsigned retry_ms;		/* 0 = INKAN_VERDICT_RETRY_MS */
	/* Called from the writer thread with one line about a failure or a
	 * recovery ("verdict store ...: ..."); NULL = silent. */
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

struct inkan_verdict_writer_stats {
	unsigned long queued;		/* accepted by put() */
	unsigned long written;		/* committed to the store */
	unsigned long lost;		/* dropped: queue full, store down, write failed */
	unsigned long batches;		/* transactions committed */
	unsigned long failures;		/* failed opens and writes */
	size_t pending;			/* in the queue now */
	int store_up;			/* 1 when the store is open */
};

/* Start a writer for the SQLite store at path (copied).  The store is
 * opened now, so that a daemon can open it before dropping privileges;
 * if that fails, *why says why and the writer still starts and retries.
 * Returns 0, INKAN_ENOMEM, or INKAN_EIO (the thread cannot start). */
int inkan_verdict_writer_new(const char *path, const struct inkan_verdict_writer_opts *o,
    struct inkan_verdict_writer **out, char *why, size_t whylen);
/* Queue a copy of v.  0, INKAN_ELIMIT (queue full) or INKAN_ENOMEM; in
 * both error cases the verdict is counted as lost. */
int inkan_verdict_writer_put(struct inkan_verdict_writer *w, const struct inkan_verdict *v);
void inkan_verdict_writer_get_stats(struct inkan_verdict_writer *w,
    struct inkan_verdict_writer_stats *st);
/* Wait until everything queued before the call has been written or
 * counted lost, at most timeout_ms.  Returns 0, or INKAN_ELIMIT when time
 * ran out.  put() may go on meanwhile (a daemon that is stopping cannot
 * always know its last message has ended). */
int inkan_verdict_writer_flush(struct inkan_verdict_writer *w, unsigned timeout_ms);
/* Write what is queued (one last attempt), stop the thread, free.  No
 * put() may be running or follow.  NULL is a no-op. */
void inkan_verdict_writer_free(struct inkan_verdict_writer *w);

/* Schema version this library writes. */
int inkan_store_schema_version(void);

#endif
