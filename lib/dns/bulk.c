/* bulk.c - the bulk driver: many evaluations over one cache-only resolver.
 *
 * Design.  A job runs against the cache.  When it stops with INKAN_EAGAIN,
 * the misses it caused are taken from the cache (the driver drains the
 * miss queue after every run, so what is there came from this job) and
 * the job waits for them.  A query already in flight for another job is
 * not sent again: the job joins its waiters.  When an answer arrives it
 * is put into the cache and every job that waited only for it becomes
 * ready; ready jobs are re-run before new jobs start, so that work in
 * flight finishes first and memory stays bounded.
 *
 * At most max_jobs jobs are in flight, and a job waits on at most the
 * queries of one run, so the queries pending in the asynchronous source
 * are bounded by the jobs in flight.  Callbacks only move jobs to the
 * ready list; jobs never run inside the async source's wait().
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/bulk.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

struct job {
	struct inkan_bulk_job j;
	struct job *next;	/* queued or ready list */
	unsigned reruns;
	unsigned nwait;		/* queries this job waits for */
	int err;		/* set when a query could not be sent */
};

struct query {
	struct query *hnext;
	struct inkan_bulk *b;
	uint64_t hash;
	uint16_t type;
	size_t klen;
	struct job **w;		/* waiting jobs */
	size_t nw, capw;
	char name[];		/* folded */
};

struct inkan_bulk {
	struct inkan_resolver *cache;
	struct inkan_async *as;
	size_t max_jobs, active;
	struct job *q_head, *q_tail;	/* not started */
	struct job *r_head, *r_tail;	/* ready to re-run */
	struct query **qtab;		/* in flight, by (name, type) */
	size_t qtabsize, nq;
	struct inkan_bulk_stats st;
};

static void
push(struct job **head, struct job **tail, struct job *j)
{
	j->next = NULL;
	if (*tail != NULL)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct job *
pop(struct job **head, struct job **tail)
{
	struct job *j = *head;

	if (j != NULL) {
		*head = j->next;
		if (*head == NULL)
			*tail = NULL;
	}
	return j;
}

static void
finish(struct inkan_bulk *b, struct job *j, int rc)
{
	b->active--;
	b->st.jobs++;
	if (j->j.done != NULL)
		j->j.done(j->j.arg, rc);
	free(j);
}

/* ---- queries in flight ---- */

static struct query **
qslot(struct inkan_bulk *b, const char *key, size_t klen, uint16_t type, uint64_t h)
{
	struct query **pp = &b->qtab[h & (b->qtabsize - 1)];

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if ((*pp)->hash == h && (*pp)->type == type && (*pp)->klen == klen &&
		    memcmp((*pp)->name, key, klen) == 0)
			break;
	return pp;
}

static void
qgrow(struct inkan_bulk *b)
{
	size_t size = b->qtabsize * 2;
	struct query **tab = calloc(size, sizeof(*tab));

	if (tab == NULL)
		return;
	for (size_t i = 0; i < b->qtabsize; i++) {
		struct query *q, *next;

		for (q = b->qtab[i]; q != NULL; q = next) {
			next = q->hnext;
			q->hnext = tab[q->hash & (size - 1)];
			tab[q->hash & (size - 1)] = q;
		}
	}
	free(b->qtab);
	b->qtab = tab;
	b->qtabsize = size;
}

static void
qremove(struct inkan_bulk *b, struct query *q)
{
	struct query **pp = qslot(b, q->name, q->klen, q->type, q->hash);

	if (*pp == q)
		*pp = q->hnext;
	b->nq--;
	free(q->w);
	free(q);
}

static int
add_waiter(struct query *q, struct job *j)
{
	if (q->nw == q->capw) {
		size_t cap = q->capw == 0 ? 4 : q->capw * 2;
		struct job **w = realloc(q->w, cap * sizeof(*w));

		if (w == NULL)
			return INKAN_ENOMEM;
		q->w = w;
		q->capw = cap;
	}
	q->w[q->nw++] = j;
	j->nwait++;
	return 0;
}

/* The answer for q arrived: cache it and wake the jobs waiting on it. */
static void
on_answer(void *arg, const struct inkan_dns_answer *ans)
{
	struct query *q = arg;
	struct inkan_bulk *b = q->b;

	/* If the cache cannot take it, the job misses again and asks again;
	 * the re-run limit ends that. */
	(void)inkan_cache_put(b->cache, q->name, q->type, ans);
	for (size_t i = 0; i < q->nw; i++) {
		struct job *j = q->w[i];

		if (--j->nwait == 0)
			push(&b->r_head, &b->r_tail, j);
	}
	qremove(b, q);
}

/* Make job j wait for (key, type): join the query in flight or send it. */
static int
attach(struct inkan_bulk *b, struct job *j, const char *key, uint16_t type)
{
	size_t klen = strlen(key);
	uint64_t h = inkan__dns_hash(key, klen, type);
	struct query **pp = qslot(b, key, klen, type, h);
	struct query *q = *pp;
	int rc;

	if (q != NULL) {
		b->st.queries_shared++;
		return add_waiter(q, j);
	}
	if ((q = calloc(1, sizeof(*q) + klen + 1)) == NULL)
		return INKAN_ENOMEM;
	memcpy(q->name, key, klen + 1);
	q->klen = klen;
	q->type = type;
	q->hash = h;
	q->b = b;
	if ((rc = add_waiter(q, j)) != 0) {
		free(q);
		return rc;
	}
	*pp = q;
	b->nq++;
	if ((rc = b->as->ops->submit(b->as, key, type, on_answer, q)) != 0) {
		j->nwait--;
		qremove(b, q);
		return rc;
	}
	b->st.queries_sent++;
	if (b->nq > b->qtabsize)
		qgrow(b);
	return 0;
}

/* Run job j once and file it: finished, or waiting for its misses. */
static void
run_job(struct inkan_bulk *b, struct job *j)
{
	char name[INKAN__KEYMAX];
	uint16_t type;
	int rc = j->j.run(j->j.arg, b->cache);

	if (rc != INKAN_EAGAIN) {
		/* A job that finished (or failed) after a miss needs no answer:
		 * drop what it noted rather than make the next job wait. */
		while (inkan_cache_take_miss(b->cache, name, sizeof(name), &type))
			continue;
		finish(b, j, rc);
		return;
	}
	while (inkan_cache_take_miss(b->cache, name, sizeof(name), &type)) {
		int arc = attach(b, j, name, type);

		if (arc != 0 && j->err == 0)
			j->err = arc;
	}
	if (j->nwait == 0)
		finish(b, j, j->err != 0 ? j->err : INKAN_EAGAIN);
}

/* End every job that is still waiting, queued or ready with rc. */
static void
fail_all(struct inkan_bulk *b, int rc)
{
	struct job *j;

	/* The queries stay: the async source may still answer them, and
	 * on_answer() then only fills the cache. */
	for (size_t i = 0; i < b->qtabsize; i++) {
		for (struct query *q = b->qtab[i]; q != NULL; q = q->hnext) {
			for (size_t k = 0; k < q->nw; k++)
				if (--q->w[k]->nwait == 0)
					finish(b, q->w[k], rc);
			q->nw = 0;
		}
	}
	while ((j = pop(&b->r_head, &b->r_tail)) != NULL)
		finish(b, j, rc);
	while ((j = pop(&b->q_head, &b->q_tail)) != NULL) {
		b->active++;
		finish(b, j, rc);
	}
}

int
inkan_bulk_run(struct inkan_bulk *b)
{
	for (;;) {
		struct job *j;
		int rc;

		/* Work in flight first: re-run the jobs whose answers came. */
		while ((j = pop(&b->r_head, &b->r_tail)) != NULL) {
			b->st.reruns++;
			if (j->err != 0)
				finish(b, j, j->err);
			else if (++j->reruns > INKAN_BULK_MAX_RERUNS)
				finish(b, j, INKAN_ELIMIT);
			else
				run_job(b, j);
		}
		if (b->active < b->max_jobs && b->q_head != NULL) {
			j = pop(&b->q_head, &b->q_tail);
			b->active++;
			run_job(b, j);
			continue;
		}
		if (b->active == 0 && b->q_head == NULL)
			return 0;
		if (b->as->pending == 0) {
			/* Jobs wait for answers nobody will send. */
			fail_all(b, INKAN_EDNS);
			return INKAN_EDNS;
		}
		if ((rc = b->as->ops->wait(b->as)) != 0) {
			fail_all(b, rc);
			return rc;
		}
	}
}

int
inkan_bulk_new(struct inkan_resolver *cache, struct inkan_async *as, size_t max_jobs,
    struct inkan_bulk **out)
{
	struct inkan_bulk *b;

	*out = NULL;
	if (cache == NULL || as == NULL || as->ops == NULL)
		return INKAN_EINVAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return INKAN_ENOMEM;
	b->cache = cache;
	b->as = as;
	b->max_jobs = max_jobs != 0 ? max_jobs : INKAN_BULK_DEFAULT_JOBS;
	b->qtabsize = 256;
	if ((b->qtab = calloc(b->qtabsize, sizeof(*b->qtab))) == NULL) {
		free(b);
		return INKAN_ENOMEM;
	}
	*out = b;
	return 0;
}

int
inkan_bulk_add(struct inkan_bulk *b, const struct inkan_bulk_job *job)
{
	struct job *j;

	if (b == NULL || job == NULL || job->run == NULL)
		return INKAN_EINVAL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return INKAN_ENOMEM;
	j->j = *job;
	push(&b->q_head, &b->q_tail, j);
	return 0;
}

void
inkan_bulk_get_stats(const struct inkan_bulk *b, struct inkan_bulk_stats *st)
{
	*st = b->st;
}

void
inkan_bulk_free(struct inkan_bulk *b)
{
	struct job *j;

	if (b == NULL)
		return;
	/* Jobs never run are dropped without done(); queries still in
	 * flight keep pointers to us, so the async source must be freed
	 * first or be idle. */
	while ((j = pop(&b->q_head, &b->q_tail)) != NULL)
		free(j);
	while ((j = pop(&b->r_head, &b->r_tail)) != NULL)
		free(j);
	for (size_t i = 0; i < b->qtabsize; i++) {
		while (b->qtab[i] != NULL) {
			struct query *q = b->qtab[i];

			b->qtab[i] = q->hnext;
			free(q->w);
			free(q);
		}
	}
	free(b->qtab);
	free(b);
}

void
inkan_async_free(struct inkan_async *as)
{
	if (as != NULL && as->ops != NULL && as->ops->destroy != NULL)
		as->ops->destroy(as);
}
