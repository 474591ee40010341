/* async_sync.c - an asynchronous source over any synchronous resolver.
 *
 * submit() only queues; wait() answers every query queued so far through
 * the resolver and runs the callbacks.  With a zone resolver this runs
 * the bulk driver offline, deterministically, in tests and benchmarks.
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/error.h"

#include "dns_int.h"

struct sq {
	struct sq *next;
	inkan_async_cb cb;
	void *arg;
	uint16_t type;
	char name[];
};

struct sa {
	struct inkan_async base;
	struct inkan_resolver *r;
	struct sq *head, *tail;
	struct inkan_arena *scratch;
};

static int
sa_submit(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb, void *arg)
{
	struct sa *sa = (struct sa *)as;
	size_t len = strlen(name);
	struct sq *q;

	if (cb == NULL)
		return INKAN_EINVAL;
	if ((q = malloc(sizeof(*q) + len + 1)) == NULL)
		return INKAN_ENOMEM;
	memcpy(q->name, name, len + 1);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->next = NULL;
	if (sa->tail != NULL)
		sa->tail->next = q;
	else
		sa->head = q;
	sa->tail = q;
	as->pending++;
	return 0;
}

static int
sa_wait(struct inkan_async *as)
{
	struct sa *sa = (struct sa *)as;
	struct sq *q = sa->head, *next;

	/* Take the queue first: callbacks may submit more, for the next
	 * wait(). */
	sa->head = sa->tail = NULL;
	for (; q != NULL; q = next) {
		struct inkan_dns_answer ans;
		int rc;

		next = q->next;
		rc = inkan_dns_query(sa->r, sa->scratch, q->name, q->type, &ans);
		if (rc != 0) {
			/* The callback needs an answer; an error of the resolver
			 * (a cache-only one missing, no memory) is a failure. */
			memset(&ans, 0, sizeof(ans));
			ans.status = INKAN_DNS_SERVFAIL;
			ans.qtype = q->type;
			ans.qname = q->name;
			ans.why = inkan_strerror(rc);
		}
		as->pending--;
		q->cb(q->arg, &ans);
		inkan_arena_reset(sa->scratch);
		free(q);
	}
	return 0;
}

static void
sa_destroy(struct inkan_async *as)
{
	struct sa *sa = (struct sa *)as;
	struct sq *q, *next;

	for (q = sa->head; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	inkan_arena_free(sa->scratch);
	free(sa);
}

static const struct inkan_async_ops sa_ops = {
	.submit = sa_submit,
	.wait = sa_wait,
	.destroy = sa_destroy,
};

int
inkan_async_sync_new(struct inkan_resolver *r, struct inkan_async **out)
{
	struct sa *sa;

	*out = NULL;
	if (r == NULL)
		return INKAN_EINVAL;
	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		return INKAN_ENOMEM;
	if ((sa->scratch = inkan_arena_new()) == NULL) {
		free(sa);
		return INKAN_ENOMEM;
	}
	sa->base.ops = &sa_ops;
	sa->r = r;
	*out = &sa->base;
	return 0;
}
