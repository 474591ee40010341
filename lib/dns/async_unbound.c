/* async_unbound.c - asynchronous queries through libunbound for the bulk
 * driver.
 *
 * Design.  The source has its own libunbound context, set up with the
 * options of the resolver it was made from (unbound.c says why it is not
 * shared).  Queries go to unbound with ub_resolve_async(); wait() polls
 * ub_fd() and calls ub_process(), which runs our callback per answer.
 *
 * At most INKAN_DNS_ASYNC_MAX_INFLIGHT queries are inside unbound at once;
 * more wait in a backlog in submission order and are sent as answers come
 * back, so unbound's own per-thread query limit is never hit (past it,
 * unbound answers with an error instead of resolving).
 *
 * Each query has the resolver's timeout.  Queries enter unbound in order
 * and all have the same timeout, so the in-flight list is also sorted by
 * deadline: wait() only ever looks at its head to know how long to poll
 * and which queries to cancel as TIMEOUT.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <unbound.h>

#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

struct uq {
	struct uq *prev, *next;	/* in-flight list, or backlog (next only) */
	struct ua *ua;
	inkan_async_cb cb;
	void *arg;
	int id;
	uint64_t deadline;
	bool abandoned;		/* timed out, cancel failed: callback still due */
	uint16_t type;
	char name[];
};

struct ua {
	struct inkan_async base;
	struct ub_ctx *ctx;
	unsigned timeout_ms;
	struct uq *head, *tail;		/* in unbound, oldest first */
	struct uq *bq_head, *bq_tail;	/* backlog */
	struct uq *abandoned;		/* freed at destroy if still there */
	size_t inflight;
	unsigned long delivered;	/* callbacks run, for wait() */
	struct inkan_arena *scratch;	/* storage of the answer being delivered */
};

static void
list_unlink(struct ua *ua, struct uq *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		ua->head = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	else
		ua->tail = q->prev;
	q->prev = q->next = NULL;
}

/* Hand ans to the query's owner and forget the query. */
static void
deliver(struct ua *ua, struct uq *q, const struct inkan_dns_answer *ans)
{
	ua->base.pending--;
	ua->delivered++;
	q->cb(q->arg, ans);
	inkan_arena_reset(ua->scratch);
}

static void
deliver_status(struct ua *ua, struct uq *q, enum inkan_dns_status st, const char *why)
{
	struct inkan_dns_answer ans = {
		.status = st, .qtype = q->type, .qname = q->name, .why = why,
	};

	deliver(ua, q, &ans);
}

static void
ub_cb(void *arg, int err, struct ub_result *res)
{
	struct uq *q = arg;
	struct ua *ua = q->ua;
	struct inkan_dns_answer ans;

	if (q->abandoned) {
		/* Already answered TIMEOUT; unlink from the abandoned list. */
		struct uq **pp = &ua->abandoned;

		while (*pp != NULL && *pp != q)
			pp = &(*pp)->next;
		if (*pp != NULL)
			*pp = q->next;
		free(q);
		if (res != NULL)
			ub_resolve_free(res);
		return;
	}
	list_unlink(ua, q);
	ua->inflight--;
	if (inkan__unbound_answer(ua->scratch, q->name, q->type, err, res, &ans) != 0) {
		inkan_arena_reset(ua->scratch);
		deliver_status(ua, q, INKAN_DNS_SERVFAIL, "out of memory");
	} else {
		deliver(ua, q, &ans);
	}
	if (res != NULL)
		ub_resolve_free(res);
	free(q);
}

/* Send q to unbound; on failure answer it at once (we are in wait()). */
static int
start(struct ua *ua, struct uq *q)
{
	int err = ub_resolve_async(ua->ctx, q->name, q->type, 1, q, ub_cb, &q->id);

	if (err != 0)
		return err;
	q->deadline = inkan__now_ms() + ua->timeout_ms;
	q->prev = ua->tail;
	q->next = NULL;
	if (ua->tail != NULL)
		ua->tail->next = q;
	else
		ua->head = q;
	ua->tail = q;
	ua->inflight++;
	return 0;
}

static void
drain_backlog(struct ua *ua)
{
	while (ua->bq_head != NULL && ua->inflight < INKAN_DNS_ASYNC_MAX_INFLIGHT) {
		struct uq *q = ua->bq_head;

		ua->bq_head = q->next;
		if (ua->bq_head == NULL)
			ua->bq_tail = NULL;
		if (start(ua, q) != 0) {
			deliver_status(ua, q, INKAN_DNS_SERVFAIL, "libunbound refused the query");
			free(q);
		}
	}
}

static int
ua_submit(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb, void *arg)
{
	struct ua *ua = (struct ua *)as;
	size_t len = strlen(name);
	struct uq *q;

	if (len >= INKAN__KEYMAX || cb == NULL)
		return INKAN_EINVAL;
	if ((q = calloc(1, sizeof(*q) + len + 1)) == NULL)
		return INKAN_ENOMEM;
	memcpy(q->name, name, len + 1);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->ua = ua;
	if (ua->inflight < INKAN_DNS_ASYNC_MAX_INFLIGHT && ua->bq_head == NULL) {
		int err = start(ua, q);

		if (err != 0) {
			free(q);
			return err == UB_NOMEM ? INKAN_ENOMEM : err == UB_SYNTAX ? INKAN_EINVAL :
			    INKAN_EDNS;
		}
	} else {
		if (ua->bq_tail != NULL)
			ua->bq_tail->next = q;
		else
			ua->bq_head = q;
		ua->bq_tail = q;
	}
	as->pending++;
	return 0;
}

/* Answer TIMEOUT for every query whose deadline has passed. */
static void
expire(struct ua *ua, uint64_t now)
{
	while (ua->head != NULL && ua->head->deadline <= now) {
		struct uq *q = ua->head;
		bool cancelled = ub_cancel(ua->ctx, q->id) == 0;

		list_unlink(ua, q);
		ua->inflight--;
		deliver_status(ua, q, INKAN_DNS_TIMEOUT, "no answer in time");
		if (cancelled) {
			free(q);
		} else {
			q->abandoned = true;
			q->next = ua->abandoned;
			ua->abandoned = q;
		}
	}
}

static int
ua_wait_until(struct inkan_async *as, uint64_t end)
{
	struct ua *ua = (struct ua *)as;
	unsigned long before = ua->delivered;

	while (as->pending > 0 && ua->delivered == before) {
		struct pollfd pfd = { .fd = ub_fd(ua->ctx), .events = POLLIN };
		uint64_t now = inkan__now_ms();
		int n, ms;

		expire(ua, now);
		drain_backlog(ua);
		if (ua->delivered != before || ua->head == NULL)
			break;
		if (now >= end)
			break;
		ms = ua->head->deadline > now ? (int)(ua->head->deadline - now) : 0;
		if (end != UINT64_MAX && end - now < (uint64_t)ms)
			ms = (int)(end - now);
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR)
			return INKAN_EIO;
		if (n > 0 && ub_process(ua->ctx) != 0)
			return INKAN_EDNS;
		drain_backlog(ua);
	}
	return 0;
}

static int
ua_wait(struct inkan_async *as)
{
	return ua_wait_until(as, UINT64_MAX);
}

static int
ua_wait_for(struct inkan_async *as, int timeout_ms)
{
	return ua_wait_until(as, inkan__now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
}

static void
ua_destroy(struct inkan_async *as)
{
	struct ua *ua = (struct ua *)as;
	struct uq *q, *next;

	/* Deleting the context stops its thread; no callback runs after. */
	ub_ctx_delete(ua->ctx);
	for (q = ua->head; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	for (q = ua->bq_head; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	for (q = ua->abandoned; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	inkan_arena_free(ua->scratch);
	free(ua);
}

static const struct inkan_async_ops ua_ops = {
	.submit = ua_submit,
	.wait = ua_wait,
	.destroy = ua_destroy,
	.wait_for = ua_wait_for,
};

int
inkan_async_unbound_new(struct inkan_resolver *unbound, struct inkan_async **out)
{
	struct ua *ua;
	int rc;

	*out = NULL;
	if (!inkan__unbound_is(unbound))
		return INKAN_EINVAL;
	if ((ua = calloc(1, sizeof(*ua))) == NULL)
		return INKAN_ENOMEM;
	ua->base.ops = &ua_ops;
	ua->timeout_ms = inkan__unbound_timeout_ms(unbound);
	if ((ua->scratch = inkan_arena_new()) == NULL) {
		free(ua);
		return INKAN_ENOMEM;
	}
	if ((rc = inkan__unbound_ctx_new(unbound, &ua->ctx, NULL)) != 0) {
		inkan_arena_free(ua->scratch);
		free(ua);
		return rc;
	}
	*out = &ua->base;
	return 0;
}
