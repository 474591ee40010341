/* milter.h - what inkan-milter's files share: the daemon's state, the
 * reloadable runtime, logging and counters.
 *
 * The milter is glue.  Every decision is the library's: the verify
 * session (verify.h) authenticates, policy.h decides what to do,
 * signtable.h picks the keys, the DKIM sign session (dkim.h) signs,
 * store.h records.  Here are only the libmilter callbacks that feed them
 * and carry out their answers.
 */
#ifndef INKAN_MILTER_H
#define INKAN_MILTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "conf.h"
#include "inkan/dns_shared.h"
#include "inkan/signtable.h"
#include "inkan/store.h"

/* What SIGHUP replaces: the settings that can change without a restart
 * (policy, signing keys, limits) and the keys.  Messages hold the
 * runtime they started with, so a reload never changes a message midway
 * and never drops a connection. */
struct runtime {
	atomic_uint refs;
	struct conf *conf;
	struct inkan_signtable *keys;	/* NULL when no key is configured */
	struct inkan_dkim_key *arc_key;	/* ARCSealKey, or NULL */
};

/* Counters for monitoring (Prometheus text in StatsFile). */
struct stats {
	atomic_ulong connections;
	atomic_ulong messages_in, messages_out;
	atomic_ulong accept, quarantine, reject, tempfail;
	atomic_ulong forged_removed;
	atomic_ulong signed_msgs, signatures, sign_skipped, sign_errors;
	atomic_ulong arc_sealed, arc_seal_skipped;
	atomic_ulong verify_errors, limit_hits, temperror_accepted;
	atomic_ulong spf[8], dkim[8], dmarc[6], arc[3];
	atomic_ulong reloads, reload_failures;
	/* time spent at end of message (verification or signing), ms
	 * buckets for a histogram: <=1, 5, 10, 50, 100, 500, 1000, 5000, +Inf */
	atomic_ulong eom_bucket[9];
	atomic_ulong eom_us_sum;
};

struct milter {
	struct conf *boot;		/* the settings read at start */
	pthread_mutex_t rt_mu;
	struct runtime *rt;
	struct inkan_zone *zone;
	struct inkan_resolver *base;	/* unbound or zone */
	struct inkan_dns_shared *dns;
	struct inkan_verdict_writer *writer;
	struct stats st;
	bool stderr_log;
};

extern struct milter G;

/* The current runtime, held; give it back with runtime_put. */
struct runtime *runtime_get(void);
void runtime_put(struct runtime *rt);
/* Build a runtime from the file at path (settings and keys). */
struct runtime *runtime_load(const char *path, char *err, size_t errlen);
/* Re-read the configuration and keys; keep the old runtime on error. */
void runtime_reload(void);

/* Log one line at prio (syslog's) to syslog or stderr. */
void mlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write the counters in Prometheus text format to path (atomically). */
int stats_write(const char *path);

/* The libmilter filter description (filter.c). */
struct smfiDesc;
extern struct smfiDesc inkan_filter;

#endif
