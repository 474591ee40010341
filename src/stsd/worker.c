/* worker.c - the threads that decide.
 *
 * Each worker owns a libunbound resolver (wrapped in a TTL cache) and a
 * struct inkan_sts: the engine is not thread-safe, and one resolver per
 * thread keeps them from contending on one lock.  Several engines may
 * share one PolicyCache file (SQLite WAL).  A worker takes a job, looks
 * the domain up, turns the answer into a self-contained struct result,
 * queues it and writes the eventfd; when idle it runs the proactive
 * refresh (RFC 8461 §5.1 / §10.2) every RefreshInterval seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stsd.h"
#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"

struct worker {
	struct workers *pool;
	pthread_t tid;
	bool started;
	struct inkan_resolver *unbound, *cache;
	struct inkan_sts *sts;
	struct inkan_mtasts_connect *connect;
	size_t nconnect;
	unsigned refresh_interval;
};

struct workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *jhead, *jtail;
	size_t njobs;
	struct result *rhead, *rtail;
	bool stop;
	int notify_fd;
	struct worker *w;
	unsigned n;
};

void
result_free(struct result *r)
{
	if (r == NULL)
		return;
	free(r->domain);
	free(r->postfix);
	free(r->why);
	free(r->rpt_type);
	free(r->rpt_strings);
	free(r);
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->domain);
	free(j->nexthop);
	free(j);
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The policy strings joined with '|' (the session-file separator); a
 * '|', TAB or control character inside a string becomes '?'. */
static char *
join_strings(const char **s, size_t n)
{
	size_t len = 2;

	for (size_t i = 0; i < n; i++)
		len += strlen(s[i]) + 1;
	char *out = malloc(len), *p = out;
	if (out == NULL)
		return NULL;
	if (n == 0) {
		strcpy(out, "-");
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*p++ = '|';
		for (const char *q = s[i]; *q; q++)
			*p++ = (*q == '|' || (unsigned char)*q < 32) ? '?' : *q;
	}
	*p = '\0';
	return out;
}

static struct result *
decide(struct worker *w, struct inkan_arena *a, const struct job *j)
{
	struct result *r = calloc(1, sizeof(*r));
	struct inkan_sts_answer ans;
	uint64_t t0 = mono_us();

	if (r == NULL)
		return NULL;
	r->job_id = j->id;
	r->domain = strdup(j->domain);
	int err = inkan_sts_lookup(w->sts, a, j->nexthop, &ans);
	r->lookup_us = mono_us() - t0;
	if (err != 0) {
		r->failed = true;
		r->kind = INKAN_STS_TEMPFAIL;
		r->why = strdup(inkan_strerror(err));
		return r;
	}
	r->kind = ans.kind;
	r->cache = ans.cache;
	r->ttl = ans.ttl;
	if (ans.postfix != NULL)
		r->postfix = strdup(ans.postfix);
	r->why = strdup(ans.why != NULL ? ans.why : inkan_sts_kind_name(ans.kind));
	const char *type = NULL, **strs = NULL;
	size_t ns = 0;
	if (inkan_sts_tlsrpt_policy(a, &ans, &type, &strs, &ns) == 0 && type != NULL) {
		r->rpt_type = strdup(type);
		r->rpt_strings = join_strings(strs, ns);
	}
	if (r->domain == NULL || r->why == NULL || (ans.postfix != NULL && r->postfix == NULL)) {
		r->failed = true;
		r->kind = INKAN_STS_TEMPFAIL;
	}
	return r;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct workers *p = w->pool;
	struct inkan_arena *a = inkan_arena_new();
	time_t next_refresh = time(NULL) + (time_t)w->refresh_interval;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		if (p->jhead == NULL) {
			if (w->refresh_interval > 0 && time(NULL) >= next_refresh) {
				pthread_mutex_unlock(&p->mu);
				int n = inkan_sts_refresh(w->sts, INKAN_STSD_REFRESH_MAX);
				atomic_fetch_add(&ST.refreshes, 1);
				if (n > 0)
					atomic_fetch_add(&ST.refreshed_policies, (unsigned long)n);
				else if (n < 0)
					atomic_fetch_add(&ST.refresh_errors, 1);
				next_refresh = time(NULL) + (time_t)w->refresh_interval;
				pthread_mutex_lock(&p->mu);
				continue;
			}
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += w->refresh_interval > 0 ?
			    (next_refresh - time(NULL) > 0 ? next_refresh - time(NULL) : 1) : 3600;
			pthread_cond_timedwait(&p->cv, &p->mu, &until);
			continue;
		}
		struct job *j = p->jhead;
		p->jhead = j->next;
		if (p->jhead == NULL)
			p->jtail = NULL;
		p->njobs--;
		pthread_mutex_unlock(&p->mu);

		struct result *r = NULL;
		if (a != NULL) {
			r = decide(w, a, j);
			inkan_arena_reset(a);
		}
		if (r == NULL && (r = calloc(1, sizeof(*r))) != NULL) {
			r->job_id = j->id;
			r->domain = j->domain;
			j->domain = NULL;
			r->failed = true;
			r->kind = INKAN_STS_TEMPFAIL;
		}
		job_free(j);
		pthread_mutex_lock(&p->mu);
		if (r != NULL) {
			if (p->rtail != NULL)
				p->rtail->next = r;
			else
				p->rhead = r;
			p->rtail = r;
		}
		pthread_mutex_unlock(&p->mu);
		uint64_t one = 1;
		if (write(p->notify_fd, &one, sizeof(one)) < 0) {
			/* eventfd saturated: the loop has plenty to read */
		}
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	inkan_arena_free(a);
	return NULL;
}

static int
worker_init(struct worker *w, const struct conf *c, char *err, size_t errlen)
{
	static const char *const transparent[] = { "test", "invalid", "local", "home.arpa",
		NULL };
	struct inkan_unbound_opts uo = {
		.forwarders = (const char *const *)c->resolvers,
		.trust_anchor_file = c->trust_anchor_file,
		.trust_anchors = (const char *const *)c->trust_anchors,
		.no_dnssec = c->no_dnssec,
		.timeout_ms = c->dns_timeout_ms,
		.transparent_zones = c->resolvers != NULL ? transparent : NULL,
	};
	const char *why = NULL;
	int rc;

	if ((rc = inkan_resolver_unbound_new(&uo, &w->unbound, &why)) != 0) {
		snprintf(err, errlen, "resolver: %s", why != NULL ? why : inkan_strerror(rc));
		return -1;
	}
	if (inkan_resolver_cache_new(w->unbound, 0, &w->cache) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t nc = 0;
	while (c->mtasts_connect != NULL && c->mtasts_connect[nc] != NULL)
		nc++;
	if (nc > 0 && (w->connect = calloc(nc, sizeof(*w->connect))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nc; i++) {
		/* [HOST=]ADDR:PORT, checked by conf.c; the strings stay in c,
		 * which outlives the workers (the boot configuration). */
		const char *v = c->mtasts_connect[i], *eq = strchr(v, '=');
		bool any = eq == NULL || (eq - v == 1 && v[0] == '*');
		char *host = !any ? strndup(v, (size_t)(eq - v)) : NULL;
		const char *ap = eq != NULL ? eq + 1 : v, *colon = strrchr(ap, ':');
		size_t al = (size_t)(colon - ap);
		if (al >= 2 && ap[0] == '[' && ap[al - 1] == ']') {	/* [v6]:port */
			ap++;
			al -= 2;
		}
		char *addr = strndup(ap, al);
		if ((!any && host == NULL) || addr == NULL) {
			free(host);
			free(addr);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		w->connect[i].host = host;
		w->connect[i].addr = addr;
		w->connect[i].port = (unsigned)strtoul(colon + 1, NULL, 10);
	}
	w->nconnect = nc;
	struct inkan_sts_opts so = {
		.resolver = w->cache,
		.cache_path = c->policy_cache,
		.fetch = {
			.ca_file = c->ca_file,
			.connect_timeout_ms = c->connect_timeout_ms,
			.timeout_ms = c->fetch_timeout_ms,
			.connect = w->connect,
			.nconnect = nc,
			.resolver = w->cache,
			.user_agent = "inkan-stsd",
		},
		.refresh_before = c->refresh_before,
		.no_dane = c->no_dane,
		.port = c->tlsa_port,
	};
	why = NULL;
	if ((rc = inkan_sts_new(&so, &w->sts, &why)) != 0) {
		snprintf(err, errlen, "policy engine: %s", why != NULL ? why : inkan_strerror(rc));
		return -1;
	}
	w->refresh_interval = c->refresh_interval;
	return 0;
}

static void
worker_fini(struct worker *w)
{
	inkan_sts_free(w->sts);
	inkan_resolver_free(w->cache);
	inkan_resolver_free(w->unbound);
	for (size_t i = 0; i < w->nconnect; i++) {
		free((char *)w->connect[i].host);
		free((char *)w->connect[i].addr);
	}
	free(w->connect);
}

int
workers_start(const struct conf *c, unsigned n, int notify_fd, struct workers **out, char *err,
    size_t errlen)
{
	struct workers *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL || (p->w = calloc(n, sizeof(*p->w))) == NULL) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->notify_fd = notify_fd;
	p->n = n;
	for (unsigned i = 0; i < n; i++) {
		p->w[i].pool = p;
		if (worker_init(&p->w[i], c, err, errlen) != 0) {
			workers_stop(p);
			return -1;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]) != 0) {
			snprintf(err, errlen, "cannot start a worker thread: %s", strerror(errno));
			workers_stop(p);
			return -1;
		}
		p->w[i].started = true;
	}
	*out = p;
	return 0;
}

void
workers_submit(struct workers *p, struct job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->jtail != NULL)
		p->jtail->next = j;
	else
		p->jhead = j;
	p->jtail = j;
	p->njobs++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

struct result *
workers_take(struct workers *p)
{
	pthread_mutex_lock(&p->mu);
	struct result *r = p->rhead;
	p->rhead = p->rtail = NULL;
	pthread_mutex_unlock(&p->mu);
	return r;
}

size_t
workers_queued(struct workers *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->njobs;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
workers_stop(struct workers *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n; i++)
		if (p->w[i].started)
			pthread_join(p->w[i].tid, NULL);
	for (unsigned i = 0; i < p->n; i++)
		worker_fini(&p->w[i]);
	for (struct job *j = p->jhead, *nx; j != NULL; j = nx) {
		nx = j->next;
		job_free(j);
	}
	for (struct result *r = p->rhead, *nx; r != NULL; r = nx) {
		nx = r->next;
		result_free(r);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->w);
	free(p);
}
