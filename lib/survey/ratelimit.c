/* ratelimit.c - the survey's query pacer: a global queries-per-second
 * cap and retries with exponential backoff, in front of any asynchronous
 * source (bulk.h).
 *
 * The cap is a token bucket: qps tokens a second, at most a tenth of a
 * second's worth saved up (at least one).  A submit with a token goes
 * straight to the inner source; without one it waits in a FIFO that
 * wait() drains as tokens come back.  Every try, first or retry, costs a
 * token: the cap is what the server sees.
 *
 * The cap must not depend on how fast answers come.  So wait() never
 * blocks in the inner source longer than the time to the next token or
 * the next retry due (the inner wait_for op), and sends on time while
 * thousands of answers are outstanding; the caller keeps enough queries
 * in flight (cmd_survey_run.c sizes --jobs and the window from --qps and
 * --timeout).  The window (tries inside the inner source at once) is
 * there for the other case: without a cap, thousands of jobs would burst
 * more queries at a local server than its socket buffer holds, and every
 * datagram dropped there costs a timeout.
 *
 * Retries.  An answer TIMEOUT, or SERVFAIL that is not a DNSSEC failure
 * (a bogus answer is a verdict, not a lost packet), is not passed on
 * while tries remain: the query is sent again after
 * backoff * 2^(k-1) ms for retry k (at most INKAN_SURVEY_RETRY_MAX_MS).
 * Retry k of every query waits the same time, so one FIFO per k is
 * sorted by due time and wait() only looks at their heads.  Retries go
 * before new queries, so that work in flight finishes first.
 *
 * The pacer counts its own pending (FIFOs + retries waiting + inner),
 * which is what the bulk driver looks at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/survey.h"

struct rq {
	struct rq *next;
	struct rl *rl;
	inkan_async_cb cb;
	void *arg;
	uint64_t due;		/* retry: not before this time */
	uint16_t type;
	uint8_t tries;		/* sent so far */
	char name[];
};

struct fifo {
	struct rq *head, *tail;
};

struct rl {
	struct inkan_async as;
	struct inkan_async *inner;
	double qps, tokens, burst;
	uint64_t last_ms;
	unsigned retries, backoff_ms;
	size_t window;		/* most tries inside inner at once */
	struct fifo ready;				/* new queries, in order */
	struct fifo retry[INKAN_SURVEY_MAX_RETRIES + 1];	/* [k]: before try k + 1 */
	unsigned long delivered;
	struct inkan_survey_pacer_stats st;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
fifo_push(struct fifo *f, struct rq *q)
{
	q->next = NULL;
	if (f->tail != NULL)
		f->tail->next = q;
	else
		f->head = q;
	f->tail = q;
}

static struct rq *
fifo_pop(struct fifo *f)
{
	struct rq *q = f->head;

	if (q != NULL) {
		f->head = q->next;
		if (f->head == NULL)
			f->tail = NULL;
	}
	return q;
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

/* Backoff before retry k (1-based). */
static uint64_t
backoff(const struct rl *rl, unsigned k)
{
	uint64_t ms = rl->backoff_ms;

	while (--k > 0 && ms < INKAN_SURVEY_RETRY_MAX_MS)
		ms *= 2;
	return ms < INKAN_SURVEY_RETRY_MAX_MS ? ms : INKAN_SURVEY_RETRY_MAX_MS;
}

static void
pass_on(struct rl *rl, struct rq *q, const struct inkan_dns_answer *ans)
{
	rl->as.pending--;
	rl->delivered++;
	if (ans->status == INKAN_DNS_TIMEOUT || ans->status == INKAN_DNS_SERVFAIL)
		rl->st.failed++;
	q->cb(q->arg, ans);
	free(q);
}

/* The inner source answered: retry a lost or failed try while tries
 * remain, else pass the answer on and forget the query. */
static void
on_inner(void *arg, const struct inkan_dns_answer *ans)
{
	struct rq *q = arg;
	struct rl *rl = q->rl;

	if (ans->status == INKAN_DNS_TIMEOUT)
		rl->st.timeouts++;
	else if (ans->status == INKAN_DNS_SERVFAIL && !ans->bogus)
		rl->st.servfails++;
	if ((ans->status == INKAN_DNS_TIMEOUT || (ans->status == INKAN_DNS_SERVFAIL && !ans->bogus)) &&
	    q->tries <= rl->retries) {
		q->due = now_ms() + backoff(rl, q->tries);
		fifo_push(&rl->retry[q->tries], q);
		return;
	}
	pass_on(rl, q, ans);
}

/* Send q; a query the inner source refuses is answered SERVFAIL so that
 * its job ends rather than hangs. */
static void
send_one(struct rl *rl, struct rq *q)
{
	int rc;

	rl->tokens -= 1.0;
	if (q->tries > 0)
		rl->st.retries++;
	q->tries++;
	rl->st.sent++;
	if ((rc = rl->inner->ops->submit(rl->inner, q->name, q->type, on_inner, q)) != 0) {
		struct inkan_dns_answer ans;

		memset(&ans, 0, sizeof(ans));
		ans.status = INKAN_DNS_SERVFAIL;
		ans.qtype = q->type;
		ans.qname = q->name;
		ans.why = "query refused by the asynchronous source";
		pass_on(rl, q, &ans);
	}
}

/* Send what is due while tokens last: retries first (lowest k first),
 * then new queries.  Returns the milliseconds until something more could
 * be sent (a token, a retry due), or -1 if nothing waits. */
static int
drain(struct rl *rl)
{
	uint64_t now, next = UINT64_MAX;
	bool waiting = false;

	refill(rl);
	now = rl->last_ms;
	for (unsigned k = 1; k <= rl->retries; k++) {
		struct fifo *f = &rl->retry[k];

		while (f->head != NULL && f->head->due <= now && rl->tokens >= 1.0 &&
		    rl->inner->pending < rl->window)
			send_one(rl, fifo_pop(f));
		if (f->head != NULL) {
			if (f->head->due > now) {
				if (f->head->due < next)
					next = f->head->due;
			} else {
				waiting = true;
			}
		}
	}
	while (rl->ready.head != NULL && rl->tokens >= 1.0 && rl->inner->pending < rl->window)
		send_one(rl, fifo_pop(&rl->ready));
	if (rl->ready.head != NULL)
		waiting = true;
	if (rl->inner->pending >= rl->window) {
		/* the window is full: the next answer opens it */
		return -1;
	}
	if (waiting) {
		/* time to the next token */
		uint64_t ms = (uint64_t)((1.0 - rl->tokens) * 1000.0 / rl->qps) + 1;

		if (now + ms < next)
			next = now + ms;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static int
rl_submit(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb,
    void *arg)
{
	struct rl *rl = (struct rl *)as;
	size_t len = strlen(name);
	struct rq *q;

	if (cb == NULL)
		return INKAN_EINVAL;
	if ((q = calloc(1, sizeof(*q) + len + 1)) == NULL)
		return INKAN_ENOMEM;
	memcpy(q->name, name, len + 1);
	q->rl = rl;
	q->cb = cb;
	q->arg = arg;
	q->type = type;
	as->pending++;
	refill(rl);
	if (rl->ready.head == NULL && rl->tokens >= 1.0 && rl->inner->pending < rl->window) {
		int rc;

		rl->tokens -= 1.0;
		q->tries = 1;
		if ((rc = rl->inner->ops->submit(rl->inner, q->name, q->type, on_inner, q)) != 0) {
			as->pending--;
			free(q);
			return rc;
		}
		rl->st.sent++;
	} else {
		fifo_push(&rl->ready, q);
	}
	return 0;
}

static int
rl_wait(struct inkan_async *as)
{
	struct rl *rl = (struct rl *)as;
	unsigned long before = rl->delivered;

	while (as->pending > 0 && rl->delivered == before) {
		int ms = drain(rl), rc;

		if (rl->delivered != before)
			break;
		if (rl->inner->pending > 0) {
			if (ms >= 0 && rl->inner->ops->wait_for != NULL)
				rc = rl->inner->ops->wait_for(rl->inner, ms);
			else
				rc = rl->inner->ops->wait(rl->inner);
			if (rc != 0)
				return rc;
		} else if (ms >= 0) {
			/* Nothing in flight: sleep until a token or a retry is due. */
			struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				continue;
		} else {
			break;	/* cannot happen: pending counts only what waits here */
		}
	}
	return 0;
}

static void
free_fifo(struct fifo *f)
{
	struct rq *q;

	while ((q = fifo_pop(f)) != NULL)
		free(q);
}

static void
rl_destroy(struct inkan_async *as)
{
	struct rl *rl = (struct rl *)as;

	free_fifo(&rl->ready);
	for (unsigned k = 0; k <= INKAN_SURVEY_MAX_RETRIES; k++)
		free_fifo(&rl->retry[k]);
	/* Queries inside the inner source point at rq blocks that die with
	 * it: the caller frees the inner source first or after, never uses
	 * it again. */
	free(rl);
}

static int
rl_wait_for(struct inkan_async *as, int timeout_ms)
{
	/* The pacer's own wait already returns at the next send; a caller
	 * with a deadline of its own gets at most that. */
	struct rl *rl = (struct rl *)as;
	uint64_t end = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	unsigned long before = rl->delivered;

	while (as->pending > 0 && rl->delivered == before && now_ms() < end) {
		int ms = drain(rl), left = (int)(end - now_ms()), rc;

		if (rl->delivered != before)
			break;
		if (ms < 0 || ms > left)
			ms = left;
		if (rl->inner->pending > 0 && rl->inner->ops->wait_for != NULL)
			rc = rl->inner->ops->wait_for(rl->inner, ms);
		else if (rl->inner->pending > 0)
			rc = rl->inner->ops->wait(rl->inner);
		else {
			struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				continue;
			rc = 0;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const struct inkan_async_ops rl_ops = {
	.submit = rl_submit,
	.wait = rl_wait,
	.destroy = rl_destroy,
	.wait_for = rl_wait_for,
};

int
inkan_survey_async_pacer_new(struct inkan_async *inner, const struct inkan_survey_pacing *p,
    struct inkan_async **out)
{
	struct rl *rl;

	*out = NULL;
	if (inner == NULL || inner->ops == NULL || p == NULL ||
	    p->retries > INKAN_SURVEY_MAX_RETRIES)
		return INKAN_EINVAL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return INKAN_ENOMEM;
	rl->as.ops = &rl_ops;
	rl->inner = inner;
	rl->qps = p->qps != 0 ? (double)p->qps : 1e12;
	rl->burst = rl->qps / 10.0 < 1.0 ? 1.0 : rl->qps / 10.0;
	rl->tokens = rl->burst;
	rl->last_ms = now_ms();
	rl->retries = p->retries;
	rl->backoff_ms = p->backoff_ms != 0 ? p->backoff_ms : INKAN_SURVEY_RETRY_BASE_MS;
	rl->window = p->window != 0 ? p->window : INKAN_SURVEY_DEFAULT_WINDOW;
	*out = &rl->as;
	return 0;
}

int
inkan_survey_async_ratelimit_new(struct inkan_async *inner, unsigned qps,
    struct inkan_async **out)
{
	struct inkan_survey_pacing p = { .qps = qps };

	return inkan_survey_async_pacer_new(inner, &p, out);
}

void
inkan_survey_pacer_get_stats(const struct inkan_async *as, struct inkan_survey_pacer_stats *st)
{
	const struct rl *rl = (const struct rl *)as;

	if (as == NULL || as->ops != &rl_ops) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = rl->st;
}
