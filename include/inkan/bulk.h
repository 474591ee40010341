/* bulk.h - many evaluations concurrently, one evaluator.
 *
 * Evaluators (SPF check_host, DMARC discovery, audit checks) are plain
 * synchronous functions over a resolver.  The bulk driver runs each job
 * against a cache-only resolver; a miss returns INKAN_EAGAIN with the
 * query noted; the driver sends the query asynchronously and re-runs the
 * job when the answer is cached.  Re-running costs microseconds, DNS costs
 * milliseconds, and thousands of jobs wait on DNS at once.
 *
 * Identical queries from different jobs are sent once and wake all of
 * their jobs.
 */
#ifndef INKAN_BULK_H
#define INKAN_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"

/* A source of asynchronous answers. */
struct inkan_async;

/* Called with each answer; ans and its storage are valid during the call. */
typedef void (*inkan_async_cb)(void *arg, const struct inkan_dns_answer *ans);

struct inkan_async_ops {
	/* Start resolving (name, type); cb is called later from wait(). */
	int (*submit)(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb,
	    void *arg);
	/* Block until at least one callback has run (or none are pending).
	 * Returns 0 or a negative INKAN_E*. */
	int (*wait)(struct inkan_async *as);
	void (*destroy)(struct inkan_async *as);
	/* Optional: as wait(), but return after at most timeout_ms
	 * milliseconds even if no callback ran.  Lets a layer above (the
	 * survey's query pacer) send on time while answers are slow; when
	 * NULL such a layer can only call wait(). */
	int (*wait_for)(struct inkan_async *as, int timeout_ms);
};

struct inkan_async {
	const struct inkan_async_ops *ops;
	size_t pending;		/* submitted, callback not yet run */
};

/* Asynchronous queries through a libunbound resolver made by
 * inkan_resolver_unbound_new: a context of its own with the same options
 * (a shared one would run bulk callbacks inside synchronous queries), and
 * the same per-query timeout, after which the answer is TIMEOUT.  Any
 * number may be submitted; at most INKAN_DNS_ASYNC_MAX_INFLIGHT are inside
 * unbound at once.  INKAN_EINVAL if unbound is not such a resolver. */
int inkan_async_unbound_new(struct inkan_resolver *unbound, struct inkan_async **out);
/* Asynchronous queries straight to one forwarder, "ADDR[@PORT]" (IPv4 or
 * IPv6, port 53 by default), without libunbound: a few long-lived UDP
 * sockets on random ports, random IDs, answers taken only for an ID in
 * flight on that socket and our question, TCP when an answer is
 * truncated.  A query unanswered after half of timeout_ms (0 =
 * INKAN_DNS_DEFAULT_TIMEOUT_MS) is sent once more, then answered TIMEOUT.
 * NO DNSSEC VALIDATION: answers are never secure; use it only when
 * validation is off or the forwarder validates.  CNAME chains are
 * followed only as far as the forwarder's answer goes.  INKAN_EINVAL for
 * a bad address, INKAN_EIO if the sockets cannot be opened. */
int inkan_async_stub_new(const char *server, unsigned timeout_ms, struct inkan_async **out);
/* An adapter over any synchronous resolver (zone, overlay; borrowed): each
 * query is answered inside wait(), in submission order.  Lets tests run
 * the bulk path offline.  An error of r becomes a SERVFAIL answer. */
int inkan_async_sync_new(struct inkan_resolver *r, struct inkan_async **out);
/* Free an async source (NULL is a no-op); callbacks not yet run never run. */
void inkan_async_free(struct inkan_async *as);

/* One job: run() evaluates against r and returns 0 when finished,
 * INKAN_EAGAIN when it needs an answer not yet cached (it must have
 * stopped at that point), or another negative error (the job ends with it).
 * done() is called exactly once with the final return code. */
struct inkan_bulk_job {
	int (*run)(void *arg, struct inkan_resolver *r);
	void (*done)(void *arg, int rc);
	void *arg;
};

struct inkan_bulk;

/* A driver whose jobs read through cache (a cache-only resolver from
 * inkan_resolver_cache_new(NULL, ...), borrowed) and whose misses go to
 * as (borrowed).  At most max_jobs jobs are in flight (0 =
 * INKAN_BULK_DEFAULT_JOBS), so at most that many queries are pending.
 * A job that returns INKAN_EAGAIN without a new miss ends with it; one
 * re-run more than INKAN_BULK_MAX_RERUNS times ends with INKAN_ELIMIT. */
int inkan_bulk_new(struct inkan_resolver *cache, struct inkan_async *as, size_t max_jobs,
    struct inkan_bulk **out);
/* Free the driver (NULL is a no-op).  Jobs never run are dropped without
 * done().  Free or drain the async source first: queries still pending
 * in it point into the driver. */
void inkan_bulk_free(struct inkan_bulk *b);
/* Queue a job (copied). */
int inkan_bulk_add(struct inkan_bulk *b, const struct inkan_bulk_job *job);
/* Run until every queued job is done.  Returns 0 or a negative error of
 * the driver itself (job errors go to their done()); on such an error
 * every job still queued or waiting is ended with it.  Jobs may be added
 * from done(). */
int inkan_bulk_run(struct inkan_bulk *b);

/* jobs: done() calls; reruns: runs after the first; queries_sent: sent to
 * the async source; queries_shared: misses that joined a query already
 * in flight instead. */
struct inkan_bulk_stats {
	unsigned long jobs, reruns, queries_sent, queries_shared;
};
/* Copy the driver's statistics into *st. */
void inkan_bulk_get_stats(const struct inkan_bulk *b, struct inkan_bulk_stats *st);

#endif
