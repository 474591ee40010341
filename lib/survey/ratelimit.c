/* ratelimit.c - a global queries-per-second cap in front of any
 * asynchronous source (bulk.h).
 *
 * A token bucket: qps tokens a second, at most a tenth of a second's
 * worth saved up (at least one).  A submit with a token goes straight to
 * the inner source; without one it waits in a FIFO that wait() drains as
 * tokens come back.  When nothing is in flight below and the FIFO is
 * blocked, wait() sleeps until the next token.  The wrapper counts its
 * own pending (FIFO + inner), which is what the bulk driver looks at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/error.h"
#include "inkan/survey.h"

struct rq {
	struct rq *next;
	struct rl *rl;
	inkan_async_cb cb;
	void *arg;
	uint16_t type;
	char name[];
};

struct rl {
	struct inkan_async as;
	struct inkan_async *inner;
	double qps, tokens, burst;
	uint64_t last_ms;
	struct rq *head, *tail;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
refill(struct rl *rl)
{
	uint64_t now = now_ms();

	rl->tokens += (double)(now - rl->last_ms) * rl->qps / 1000.0;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
	rl->last_ms = now;
}

/* The inner source answered: pass it on and forget the query. */
static void
on_inner(void *arg, const struct inkan_dns_answer *ans)
{
	struct rq *q = arg;
	struct rl *rl = q->rl;

	rl->as.pending--;
	q->cb(q->arg, ans);
	free(q);
}

static int
send_one(struct rl *rl, struct rq *q)
{
	int rc = rl->inner->ops->submit(rl->inner, q->name, q->type, on_inner, q);

	if (rc == 0)
		rl->tokens -= 1.0;
	return rc;
}

/* Send from the FIFO while tokens last.  A query the inner source
 * refuses is answered SERVFAIL so that its job ends rather than hangs. */
static void
drain(struct rl *rl)
{
	refill(rl);
	while (rl->head != NULL && rl->tokens >= 1.0) {
		struct rq *q = rl->head;

		rl->head = q->next;
		if (rl->head == NULL)
			rl->tail = NULL;
		if (send_one(rl, q) != 0) {
			struct inkan_dns_answer ans;

			memset(&ans, 0, sizeof(ans));
			ans.status = INKAN_DNS_SERVFAIL;
			ans.qtype = q->type;
			ans.qname = q->name;
			ans.why = "query refused by the asynchronous source";
			on_inner(q, &ans);
		}
	}
}

static int
rl_submit(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb,
    void *arg)
{
	struct rl *rl = (struct rl *)as;
	size_t len = strlen(name);
	struct rq *q;
	int rc;

	if (cb == NULL)
		return INKAN_EINVAL;
	if ((q = calloc(1, sizeof(*q) + len + 1)) == NULL)
		return INKAN_ENOMEM;
	memcpy(q->name, name, len + 1);
	q->rl = rl;
	q->cb = cb;
	q->arg = arg;
	q->type = type;
	refill(rl);
	if (rl->head == NULL && rl->tokens >= 1.0) {
		if ((rc = send_one(rl, q)) != 0) {
			free(q);
			return rc;
		}
	} else {
		if (rl->tail != NULL)
			rl->tail->next = q;
		else
			rl->head = q;
		rl->tail = q;
	}
	as->pending++;
	return 0;
}

static int
rl_wait(struct inkan_async *as)
{
	struct rl *rl = (struct rl *)as;
	size_t before = as->pending;

	while (as->pending > 0 && as->pending == before) {
		drain(rl);
		if (as->pending != before)
			break;
		if (rl->inner->pending > 0) {
			int rc = rl->inner->ops->wait(rl->inner);

			if (rc != 0)
				return rc;
			continue;
		}
		if (rl->head != NULL) {
			/* Nothing in flight: sleep until the next token. */
			double need = 1.0 - rl->tokens;
			long ns = (long)(need * 1e9 / rl->qps);
			struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

			if (ns < 100000L)
				ts.tv_nsec = 100000L;
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				continue;
		}
	}
	return 0;
}

static void
rl_destroy(struct inkan_async *as)
{
	struct rl *rl = (struct rl *)as;

	while (rl->head != NULL) {
		struct rq *q = rl->head;

		rl->head = q->next;
		free(q);
	}
	/* Queries inside the inner source point at rq blocks that die with
	 * it: the caller frees the inner source first or after, never uses
	 * it again. */
	free(rl);
}

static const struct inkan_async_ops rl_ops = {
	.submit = rl_submit,
	.wait = rl_wait,
	.destroy = rl_destroy,
};

int
inkan_survey_async_ratelimit_new(struct inkan_async *inner, unsigned qps,
    struct inkan_async **out)
{
	struct rl *rl;

	*out = NULL;
	if (inner == NULL || inner->ops == NULL)
		return INKAN_EINVAL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return INKAN_ENOMEM;
	rl->as.ops = &rl_ops;
	rl->inner = inner;
	rl->qps = qps != 0 ? (double)qps : 1e12;
	rl->burst = rl->qps / 10.0 < 1.0 ? 1.0 : rl->qps / 10.0;
	rl->tokens = rl->burst;
	rl->last_ms = now_ms();
	*out = &rl->as;
	return 0;
}
