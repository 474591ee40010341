/* shared.c - one resolver for many threads, with a budget per message.
 *
 * Design.  A resolver handle (dns.h) is not thread-safe, and the unbound
 * backend's synchronous query polls ub_fd() itself: two threads doing that
 * on one context would eat each other's answers.  A daemon that verifies
 * many messages at once (inkan-milter) wants one context all the same:
 * one cache, one set of upstream connections, one infrastructure cache
 * that learns a server is down once for everybody.
 *
 * So the hub owns a libunbound context of its own (set up like the
 * resolver it was made from) and one dispatcher thread, the only one that
 * calls ub_process().  A query from any thread is sent with
 * ub_resolve_async() (thread-safe in libunbound) and its thread then
 * waits on a condition variable, with a deadline, for the dispatcher to
 * run the callback.  A query past its deadline is cancelled; when the
 * cancel loses the race with the callback, the callback finds the query
 * abandoned and frees it.  Over any other backend (the zone store, for
 * tests and offline use) queries are simply taken in turn under a mutex.
 *
 * Each thread queries through a handle of its own (a struct
 * inkan_resolver), which also carries the budget of the message being
 * evaluated: at most max_queries queries and a wall-clock deadline.  A
 * query past the budget is answered TIMEOUT at once ("message DNS budget
 * spent"), which evaluators turn into temperror: a hostile message can
 * neither drive unbounded lookups nor hold a thread longer than its
 * budget, and a dead DNS server costs a message at most its deadline.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "inkan/arena.h"
#include "inkan/dns_shared.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

struct sq {
	struct inkan_dns_shared *s;
	pthread_cond_t cv;		/* signalled by the dispatcher */
	bool done, abandoned;
	int err;
	struct ub_result *res;
};

struct inkan_dns_shared {
	pthread_mutex_t mu;
	/* unbound mode */
	struct ub_ctx *ctx;
	pthread_t thread;
	bool thread_started;
	int stop_pipe[2];
	unsigned timeout_ms;
	/* locked mode */
	struct inkan_resolver *backend;
	/* statistics, under mu */
	struct inkan_dns_shared_stats st;
};

struct shandle {
	struct inkan_resolver base;
	struct inkan_dns_shared *s;
	unsigned max_queries;		/* 0 = no limit */
	uint64_t deadline;		/* monotonic ms; 0 = none */
	unsigned used;
};

static const struct inkan_resolver_ops shandle_ops;

/* ---- the dispatcher ---- */

static void
shared_cb(void *arg, int err, struct ub_result *res)
{
	struct sq *q = arg;
	struct inkan_dns_shared *s = q->s;

	pthread_mutex_lock(&s->mu);
	if (q->abandoned) {
		pthread_mutex_unlock(&s->mu);
		if (res != NULL)
			ub_resolve_free(res);
		pthread_cond_destroy(&q->cv);
		free(q);
		return;
	}
	q->done = true;
	q->err = err;
	q->res = res;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&s->mu);
}

static void *
dispatcher(void *arg)
{
	struct inkan_dns_shared *s = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ub_fd(s->ctx), .events = POLLIN },
			{ .fd = s->stop_pipe[0], .events = POLLIN },
		};
		int n = poll(pfd, 2, -1);

		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents != 0 && ub_process(s->ctx) != 0)
			break;
	}
	return NULL;
}

/* ---- queries ---- */

static void
add_ms(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
ub_shared_query(struct inkan_dns_shared *s, struct inkan_arena *a, const char *name,
    uint16_t type, uint64_t wait_ms, struct inkan_dns_answer *out)
{
	pthread_condattr_t ca;
	struct timespec until;
	struct sq *q;
	int id, err, rc;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return INKAN_ENOMEM;
	q->s = s;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);

	/* Under mu, so that the callback cannot run before we wait. */
	pthread_mutex_lock(&s->mu);
	s->st.queries++;
	s->st.inflight++;
	if ((err = ub_resolve_async(s->ctx, name, type, 1, q, shared_cb, &id)) != 0) {
		s->st.inflight--;
		pthread_mutex_unlock(&s->mu);
		pthread_cond_destroy(&q->cv);
		free(q);
		return err == UB_NOMEM ? INKAN_ENOMEM : err == UB_SYNTAX ? INKAN_EINVAL :
		    INKAN_EDNS;
	}
	add_ms(&until, wait_ms);
	while (!q->done) {
		if (pthread_cond_timedwait(&q->cv, &s->mu, &until) == ETIMEDOUT)
			break;
	}
	s->st.inflight--;
	if (!q->done) {
		char why[96];

		/* Cancel outside mu: libunbound takes its own lock, and the
		 * dispatcher may be waiting for mu inside a callback. */
		q->abandoned = true;
		s->st.timeouts++;
		pthread_mutex_unlock(&s->mu);
		if (ub_cancel(s->ctx, id) == 0) {
			/* The callback will never run. */
			pthread_cond_destroy(&q->cv);
			free(q);
		}
		/* else the callback is running or due, and frees q. */
		snprintf(why, sizeof(why), "no answer in %llu ms", (unsigned long long)wait_ms);
		return inkan__dns_answer_status(a, name, type, INKAN_DNS_TIMEOUT, 0, why, out);
	}
	pthread_mutex_unlock(&s->mu);
	rc = inkan__unbound_answer(a, name, type, q->err, q->res, out);
	if (q->res != NULL)
		ub_resolve_free(q->res);
	pthread_cond_destroy(&q->cv);
	free(q);
	return rc;
}

static int
shandle_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	struct shandle *h = (struct shandle *)r;
	struct inkan_dns_shared *s = h->s;
	uint64_t now = inkan__now_ms(), wait_ms = s->timeout_ms;
	const char *spent = NULL;
	int rc;

	if (h->max_queries != 0 && h->used >= h->max_queries)
		spent = "message DNS budget spent (query limit)";
	else if (h->deadline != 0 && now >= h->deadline)
		spent = "message DNS budget spent (time limit)";
	if (spent != NULL) {
		pthread_mutex_lock(&s->mu);
		s->st.over_budget++;
		pthread_mutex_unlock(&s->mu);
		return inkan__dns_answer_status(a, name, type, INKAN_DNS_TIMEOUT, 0, spent, out);
	}
	h->used++;
	if (h->deadline != 0 && h->deadline - now < wait_ms)
		wait_ms = h->deadline - now;
	if (s->ctx != NULL)
		return ub_shared_query(s, a, name, type, wait_ms, out);
	pthread_mutex_lock(&s->mu);
	s->st.queries++;
	rc = inkan_dns_query(s->backend, a, name, type, out);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void
shandle_destroy(struct inkan_resolver *r)
{
	free(r);
}

static const struct inkan_resolver_ops shandle_ops = {
	.name = "shared",
	.query = shandle_query,
	.destroy = shandle_destroy,
};

/* ---- the hub ---- */

int
inkan_dns_shared_new(struct inkan_resolver *backend, struct inkan_dns_shared **out,
    const char **why)
{
	struct inkan_dns_shared *s;
	int rc;

	*out = NULL;
	if (backend == NULL)
		return INKAN_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		if (why != NULL)
			*why = "out of memory";
		return INKAN_ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	if (!inkan__unbound_is(backend)) {
		s->backend = backend;
		s->timeout_ms = INKAN_DNS_DEFAULT_TIMEOUT_MS;
		*out = s;
		return 0;
	}
	s->timeout_ms = inkan__unbound_timeout_ms(backend);
	if ((rc = inkan__unbound_ctx_new(backend, &s->ctx, why)) != 0) {
		inkan_dns_shared_free(s);
		return rc;
	}
	if (pipe(s->stop_pipe) != 0) {
		if (why != NULL)
			*why = "cannot create the dispatcher's pipe";
		inkan_dns_shared_free(s);
		return INKAN_EIO;
	}
	if (pthread_create(&s->thread, NULL, dispatcher, s) != 0) {
		if (why != NULL)
			*why = "cannot start the dispatcher thread";
		inkan_dns_shared_free(s);
		return INKAN_EDNS;
	}
	s->thread_started = true;
	*out = s;
	return 0;
}

void
inkan_dns_shared_free(struct inkan_dns_shared *s)
{
	if (s == NULL)
		return;
	if (s->thread_started) {
		char c = 0;

		if (write(s->stop_pipe[1], &c, 1) == 1)
			pthread_join(s->thread, NULL);
	}
	/* Queries abandoned and not yet called back are freed with the
	 * context's query list by libunbound; their struct sq leaks only if
	 * a thread is still waiting, which the caller must not allow. */
	if (s->ctx != NULL)
		ub_ctx_delete(s->ctx);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] >= 0)
		close(s->stop_pipe[1]);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
inkan_resolver_shared_new(struct inkan_dns_shared *s, struct inkan_resolver **out)
{
	struct shandle *h;

	*out = NULL;
	if (s == NULL)
		return INKAN_EINVAL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return INKAN_ENOMEM;
	h->base.ops = &shandle_ops;
	h->s = s;
	*out = &h->base;
	return 0;
}

int
inkan_resolver_shared_budget(struct inkan_resolver *r, unsigned max_queries, unsigned max_ms)
{
	struct shandle *h = (struct shandle *)r;

	if (r == NULL || r->ops != &shandle_ops)
		return INKAN_EINVAL;
	h->max_queries = max_queries;
	h->used = 0;
	h->deadline = max_ms != 0 ? inkan__now_ms() + max_ms : 0;
	return 0;
}

unsigned
inkan_resolver_shared_used(const struct inkan_resolver *r)
{
	if (r == NULL || r->ops != &shandle_ops)
		return 0;
	return ((const struct shandle *)r)->used;
}

void
inkan_dns_shared_get_stats(struct inkan_dns_shared *s, struct inkan_dns_shared_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
}
