/* dns_shared.h - one resolver for many threads, with a budget per message.
 *
 * A resolver handle (dns.h) is not thread-safe.  A daemon that evaluates
 * many messages at once (inkan-milter) makes one hub over its resolver and
 * gives each thread a handle of its own: all of them share one libunbound
 * context (one cache, one view of which servers are down), and queries
 * from different threads are in flight together.  Over a backend other
 * than unbound (the zone store) the hub takes queries in turn.
 *
 * Each handle carries the budget of the message it evaluates: at most
 * max_queries queries and max_ms milliseconds from when the budget was
 * set.  A query past either is answered TIMEOUT at once with why
 * "message DNS budget spent (...)", and every query waits at most until
 * the deadline: evaluators turn that into temperror, so a dead DNS
 * server or a hostile message costs one message at most its budget,
 * never a hang.
 *
 *	inkan_dns_shared_new(unbound_resolver, &hub, &why)   once
 *	inkan_resolver_shared_new(hub, &r)                   per thread
 *	inkan_resolver_shared_budget(r, 200, 20000)          per message
 *	... evaluate with r ...
 *	inkan_resolver_free(r); inkan_dns_shared_free(hub)
 */
#ifndef INKAN_DNS_SHARED_H
#define INKAN_DNS_SHARED_H

#include "inkan/dns.h"

struct inkan_dns_shared;

/* A hub over backend (borrowed; must outlive the hub).  For a resolver
 * made by inkan_resolver_unbound_new the hub makes its own context with
 * the same options and per-query timeout, and a dispatcher thread; any
 * other backend (answering from memory) is called under a mutex, one
 * query at a time; its budget is checked before each query.
 * Returns 0, INKAN_EINVAL, INKAN_ENOMEM, INKAN_EDNS or INKAN_EIO with
 * *why (static text) when why is non-NULL. */
int inkan_dns_shared_new(struct inkan_resolver *backend, struct inkan_dns_shared **out,
    const char **why);
/* Stop the dispatcher and free the hub (NULL is a no-op).  Every handle
 * must be idle (no query in progress); free them before or after. */
void inkan_dns_shared_free(struct inkan_dns_shared *s);

/* A handle for one thread at a time (the hub is borrowed).  Free it with
 * inkan_resolver_free().  No budget until one is set.  0, INKAN_EINVAL or
 * INKAN_ENOMEM. */
int inkan_resolver_shared_new(struct inkan_dns_shared *s, struct inkan_resolver **out);
/* Start a new budget on handle r: at most max_queries queries (0 = no
 * limit) within max_ms milliseconds from now (0 = none).  INKAN_EINVAL
 * if r is not a shared handle. */
int inkan_resolver_shared_budget(struct inkan_resolver *r, unsigned max_queries,
    unsigned max_ms);
/* Queries made under the current budget. */
unsigned inkan_resolver_shared_used(const struct inkan_resolver *r);

/* Hub statistics: queries sent to the backend, queries that timed out,
 * queries refused because a message's budget was spent, and queries in
 * flight now. */
struct inkan_dns_shared_stats {
	unsigned long queries, timeouts, over_budget, inflight;
};
void inkan_dns_shared_get_stats(struct inkan_dns_shared *s, struct inkan_dns_shared_stats *st);

#endif
