/* survey_stage.c - MTA-STS policy fetches and STARTTLS probes for
 * `inkan survey run`, in worker threads.
 *
 * Why threads.  inkan_mtasts_fetch (libcurl) and inkan_smtp_probe are
 * blocking and take from milliseconds to their timeouts; the DNS side
 * runs thousands of domains on one thread and must not wait for them.
 * A domain whose DNS answers say it needs a fetch (a valid _mta-sts
 * record) or a probe (MX hosts with addresses) is queued; --stage-jobs
 * workers take it, do the network work, and store the row under the
 * store lock.  The queue holds at most 4 per worker: past that the DNS
 * side waits, so memory stays bounded and the slower stage sets the pace.
 *
 * Politeness.  Each SMTP address (addr:port) is probed once a run: the
 * result is shared by every domain that uses the host (big providers
 * serve thousands), and a second worker that wants the same address
 * waits for the first one's result instead of connecting too.  New
 * connections in all are spread to at most --probe-rate a second by
 * reserving start times.  A probe is one connection (no TLS grading).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/smtp.h"
#include "survey_stage.h"

struct item {
	struct item *next;
	const char *domain;
	struct inkan_survey_result *res;
	struct inkan_arena *a;
	void *job;
};

/* One probed address. */
struct target {
	struct target *next;
	int state;		/* 1 probing, 2 done */
	const char *starttls;	/* "yes", "no", "error" */
	char version[24];
	char key[80];		/* "addr:port" */
};

struct survey_stage {
	struct survey_stage_opts o;
	struct inkan_survey_store *store;
	survey_stage_store_fn store_fn;
	void (*free_fn)(void *job);
	pthread_mutex_t mu, store_mu;
	pthread_cond_t cv_work, cv_room, cv_idle, cv_target;
	struct item *head, *tail;
	size_t queued, busy, max_queued;
	bool closing;
	pthread_t *th;
	unsigned nth;
	int err;
	struct target *targets[4096];
	uint64_t next_conn_ms;
	/* counts */
	unsigned long sts[5];	/* enforce, testing, none, fetch-error, (unused) */
	unsigned long probes, probe_yes, probe_no, probe_err, probe_shared;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

void
survey_stage_opts_default(struct survey_stage_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->probe_rate = 20;
	o->threads = 16;
}

static bool
parse_port(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return false;
	*out = (unsigned)v;
	return true;
}

int
survey_stage_add_connect(struct survey_stage_opts *o, const char *arg)
{
	struct survey_stage_connect *k;
	char buf[512], *eq, *c, *addr, *port = NULL;
	struct inkan_ip ip;

	if (o->nconnect >= SURVEY_STAGE_MAX_CONNECT || strlen(arg) >= sizeof(buf))
		return -1;
	k = &o->connect[o->nconnect];
	memset(k, 0, sizeof(*k));
	snprintf(buf, sizeof(buf), "%s", arg);
	if ((eq = strchr(buf, '=')) == NULL)
		return -1;
	*eq = '\0';
	addr = eq + 1;
	if ((c = strrchr(buf, ':')) != NULL) {
		*c = '\0';
		if (!parse_port(c + 1, &k->service))
			return -1;
	}
	if (buf[0] == '\0' || strlen(buf) >= sizeof(k->host))
		return -1;
	if (strcmp(buf, "*") != 0) {
		if (inkan_dname_check(buf, strlen(buf), 0, NULL) != 0)
			return -1;
		snprintf(k->host, sizeof(k->host), "%s", buf);
	}
	if (addr[0] == '[') {
		if ((c = strchr(addr, ']')) == NULL)
			return -1;
		*c = '\0';
		if (c[1] == ':')
			port = c + 2;
		else if (c[1] != '\0')
			return -1;
		addr++;
	} else if ((c = strchr(addr, ':')) != NULL && strchr(c + 1, ':') == NULL) {
		*c = '\0';
		port = c + 1;
	}
	if (inkan_ip_parse(addr, strlen(addr), &ip) != 0 || strlen(addr) >= sizeof(k->addr))
		return -1;
	snprintf(k->addr, sizeof(k->addr), "%s", addr);
	if (port != NULL && !parse_port(port, &k->port))
		return -1;
	o->nconnect++;
	return 0;
}

/* The override for (host, service), or NULL. */
static const struct survey_stage_connect *
override(const struct survey_stage_opts *o, const char *host, unsigned service)
{
	for (size_t i = 0; i < o->nconnect; i++) {
		const struct survey_stage_connect *k = &o->connect[i];

		if ((k->service == 0 || k->service == service) &&
		    (k->host[0] == '\0' || strcasecmp(k->host, host) == 0))
			return k;
	}
	return NULL;
}

/* ---- MTA-STS ---- */

static const char *
fetch_policy(struct survey_stage *st, struct inkan_arena *scratch, const char *domain)
{
	struct inkan_mtasts_connect conn[SURVEY_STAGE_MAX_CONNECT];
	struct inkan_mtasts_fetch_opts fo;
	struct inkan_mtasts_fetch_result fr;
	size_t n = 0;

	for (size_t i = 0; i < st->o.nconnect; i++) {
		const struct survey_stage_connect *k = &st->o.connect[i];

		if (k->service != 0 && k->service != 443)
			continue;
		conn[n].host = k->host[0] != '\0' ? k->host : NULL;
		conn[n].addr = k->addr;
		conn[n].port = k->port;
		n++;
	}
	memset(&fo, 0, sizeof(fo));
	fo.ca_file = st->o.ca_file;
	fo.connect_timeout_ms = st->o.timeout_ms;
	fo.timeout_ms = st->o.timeout_ms;
	fo.connect = conn;
	fo.nconnect = n;
	if (inkan_mtasts_fetch(scratch, domain, &fo, &fr) != 0 || fr.status != INKAN_MTASTS_FETCH_OK)
		return "fetch-error";
	switch (fr.policy.mode) {
	case INKAN_MTASTS_MODE_ENFORCE: return "enforce";
	case INKAN_MTASTS_MODE_TESTING: return "testing";
	default: return "none";
	}
}

/* ---- STARTTLS ---- */

static struct target **
target_slot(struct survey_stage *st, const char *key)
{
	uint64_t h = inkan_survey_shard_hash(key);
	struct target **pp = &st->targets[h % (sizeof(st->targets) / sizeof(st->targets[0]))];

	while (*pp != NULL && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* The probe result of one MX host (its first IPv4 address), shared by
 * all domains for the run. */
static const struct target *
probe_host(struct survey_stage *st, struct inkan_arena *scratch, const char *host,
    const struct inkan_ip *ip)
{
	const struct survey_stage_connect *k = override(&st->o, host, 25);
	struct inkan_smtp_probe_opts po;
	struct inkan_smtp_probe pr;
	struct target *t, **pp;
	char addr[64];
	unsigned port = 25;
	uint64_t slot, now;

	memset(&po, 0, sizeof(po));
	if (k != NULL) {
		if (inkan_ip_parse(k->addr, strlen(k->addr), &po.addr) != 0)
			return NULL;
		if (k->port != 0)
			port = k->port;
	} else {
		po.addr = *ip;
	}
	if (inkan_ip_format(&po.addr, addr, sizeof(addr)) == NULL)
		return NULL;
	pthread_mutex_lock(&st->mu);
	{
		char key[80];

		snprintf(key, sizeof(key), "%s:%u", addr, port);
		pp = target_slot(st, key);
		if ((t = *pp) != NULL) {
			/* probed or being probed: wait for that result */
			while (t->state != 2)
				pthread_cond_wait(&st->cv_target, &st->mu);
			st->probe_shared++;
			pthread_mutex_unlock(&st->mu);
			return t;
		}
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			pthread_mutex_unlock(&st->mu);
			return NULL;
		}
		snprintf(t->key, sizeof(t->key), "%s", key);
		t->state = 1;
		*pp = t;
	}
	/* reserve a start time: at most probe_rate new connections a second */
	now = now_ms();
	slot = st->next_conn_ms > now ? st->next_conn_ms : now;
	st->next_conn_ms = slot + 1000 / st->o.probe_rate;
	st->probes++;
	pthread_mutex_unlock(&st->mu);
	if (slot > now)
		sleep_ms(slot - now);

	po.host = host;
	po.port = port;
	po.timeout_ms = st->o.timeout_ms;
	po.ca_file = st->o.ca_file;
	po.grade = false;
	if (inkan_smtp_probe(scratch, &po, &pr) != 0 || !pr.connected || !pr.greeted || !pr.ehlo_ok) {
		t->starttls = "error";
	} else if (!pr.starttls_offered || !pr.tls_ok) {
		t->starttls = "no";
	} else {
		t->starttls = "yes";
		snprintf(t->version, sizeof(t->version), "%s",
		    pr.tls_version != NULL ? pr.tls_version : "");
	}
	pthread_mutex_lock(&st->mu);
	t->state = 2;
	if (strcmp(t->starttls, "yes") == 0)
		st->probe_yes++;
	else if (strcmp(t->starttls, "no") == 0)
		st->probe_no++;
	else
		st->probe_err++;
	pthread_cond_broadcast(&st->cv_target);
	pthread_mutex_unlock(&st->mu);
	return t;
}

/* STARTTLS of a domain from its hosts: "no" if a host that spoke SMTP
 * does not offer or cannot negotiate it, "yes" if every host that could
 * be probed did, "error" if none could. */
static void
probe_domain(struct survey_stage *st, struct inkan_arena *scratch, struct item *it)
{
	struct inkan_survey_result *r = it->res;
	const char *verdict = "error";
	const char *version = NULL;

	for (unsigned i = 0; i < r->nmx_addr; i++) {
		const struct target *t = probe_host(st, scratch, r->mx_addr_host[i], &r->mx_addr[i]);

		inkan_arena_reset(scratch);
		if (t == NULL || strcmp(t->starttls, "error") == 0)
			continue;
		if (strcmp(t->starttls, "no") == 0) {
			verdict = "no";
			version = NULL;
			break;
		}
		verdict = "yes";
		if (version == NULL && t->version[0] != '\0')
			version = inkan_arena_strdup(it->a, t->version);
	}
	r->starttls = verdict;
	r->tls_version = version;
}

/* ---- workers ---- */

static void *
worker(void *arg)
{
	struct survey_stage *st = arg;
	struct inkan_arena *scratch = inkan_arena_new();

	for (;;) {
		struct item *it;
		int rc;

		pthread_mutex_lock(&st->mu);
		while (st->head == NULL && !st->closing)
			pthread_cond_wait(&st->cv_work, &st->mu);
		if ((it = st->head) == NULL) {
			pthread_mutex_unlock(&st->mu);
			break;
		}
		st->head = it->next;
		if (st->head == NULL)
			st->tail = NULL;
		st->queued--;
		st->busy++;
		pthread_cond_signal(&st->cv_room);
		pthread_mutex_unlock(&st->mu);

		if (st->o.fetch_policies && it->res->mtasts == INKAN_SURVEY_REC_VALID &&
		    scratch != NULL) {
			const char *m = fetch_policy(st, scratch, it->domain);

			inkan_arena_reset(scratch);
			it->res->sts_mode = m;
			pthread_mutex_lock(&st->mu);
			st->sts[strcmp(m, "enforce") == 0 ? 0 : strcmp(m, "testing") == 0 ? 1 :
			    strcmp(m, "none") == 0 ? 2 : 3]++;
			pthread_mutex_unlock(&st->mu);
		}
		if (st->o.probe_tls && it->res->nmx_addr > 0 && scratch != NULL)
			probe_domain(st, scratch, it);
		else if (st->o.probe_tls && it->res->mx == INKAN_SURVEY_MX_OK)
			it->res->starttls = "error";	/* no host with an address */
		pthread_mutex_lock(&st->store_mu);
		rc = st->store_fn(it->job, st->store, 0);
		pthread_mutex_unlock(&st->store_mu);
		st->free_fn(it->job);
		free(it);
		pthread_mutex_lock(&st->mu);
		if (rc != 0 && st->err == 0)
			st->err = rc;
		st->busy--;
		if (st->busy == 0 && st->head == NULL)
			pthread_cond_broadcast(&st->cv_idle);
		pthread_mutex_unlock(&st->mu);
	}
	inkan_arena_free(scratch);
	return NULL;
}

int
survey_stage_new(const struct survey_stage_opts *o, struct inkan_survey_store *store,
    survey_stage_store_fn store_fn, void (*free_fn)(void *job), struct survey_stage **out)
{
	struct survey_stage *st;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return INKAN_ENOMEM;
	st->o = *o;
	if (st->o.threads == 0)
		st->o.threads = 1;
	if (st->o.probe_rate == 0)
		st->o.probe_rate = 1;
	st->store = store;
	st->store_fn = store_fn;
	st->free_fn = free_fn;
	st->max_queued = (size_t)st->o.threads * 4;
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->store_mu, NULL);
	pthread_cond_init(&st->cv_work, NULL);
	pthread_cond_init(&st->cv_room, NULL);
	pthread_cond_init(&st->cv_idle, NULL);
	pthread_cond_init(&st->cv_target, NULL);
	if ((st->th = calloc(st->o.threads, sizeof(*st->th))) == NULL) {
		survey_stage_free(st);
		return INKAN_ENOMEM;
	}
	for (unsigned i = 0; i < st->o.threads; i++) {
		if (pthread_create(&st->th[i], NULL, worker, st) != 0)
			break;
		st->nth++;
	}
	if (st->nth == 0) {
		survey_stage_free(st);
		return INKAN_ENOMEM;
	}
	*out = st;
	return 0;
}

bool
survey_stage_wants(const struct survey_stage *st, const struct inkan_survey_result *res)
{
	return (st->o.fetch_policies && res->mtasts == INKAN_SURVEY_REC_VALID) ||
	    (st->o.probe_tls && res->mx == INKAN_SURVEY_MX_OK);
}

int
survey_stage_add(struct survey_stage *st, const char *domain, struct inkan_survey_result *res,
    struct inkan_arena *a, void *job)
{
	struct item *it = calloc(1, sizeof(*it));

	if (it == NULL)
		return INKAN_ENOMEM;
	it->domain = domain;
	it->res = res;
	it->a = a;
	it->job = job;
	pthread_mutex_lock(&st->mu);
	while (st->queued >= st->max_queued)
		pthread_cond_wait(&st->cv_room, &st->mu);
	if (st->tail != NULL)
		st->tail->next = it;
	else
		st->head = it;
	st->tail = it;
	st->queued++;
	pthread_cond_signal(&st->cv_work);
	pthread_mutex_unlock(&st->mu);
	return 0;
}

int
survey_stage_store(struct survey_stage *st, struct inkan_survey_store *store,
    survey_stage_store_fn fn, void *job, int rc)
{
	int src;

	if (st == NULL)
		return fn(job, store, rc);
	pthread_mutex_lock(&st->store_mu);
	src = fn(job, store, rc);
	pthread_mutex_unlock(&st->store_mu);
	return src;
}

int
survey_stage_finish(struct survey_stage *st)
{
	int err;

	pthread_mutex_lock(&st->mu);
	while (st->head != NULL || st->busy > 0)
		pthread_cond_wait(&st->cv_idle, &st->mu);
	st->closing = true;
	pthread_cond_broadcast(&st->cv_work);
	pthread_mutex_unlock(&st->mu);
	for (unsigned i = 0; i < st->nth; i++)
		pthread_join(st->th[i], NULL);
	st->nth = 0;
	err = st->err;
	return err;
}

void
survey_stage_summary(const struct survey_stage *st, FILE *f)
{
	if (st->o.fetch_policies)
		fprintf(f, "inkan survey run: MTA-STS policies: %lu enforce, %lu testing, %lu none, "
		    "%lu fetch-error\n", st->sts[0], st->sts[1], st->sts[2], st->sts[3]);
	if (st->o.probe_tls)
		fprintf(f, "inkan survey run: STARTTLS probes: %lu addresses (%lu yes, %lu no, "
		    "%lu error), %lu answers shared\n", st->probes, st->probe_yes, st->probe_no,
		    st->probe_err, st->probe_shared);
}

void
survey_stage_free(struct survey_stage *st)
{
	if (st == NULL)
		return;
	if (st->nth > 0)
		(void)survey_stage_finish(st);
	for (size_t i = 0; i < sizeof(st->targets) / sizeof(st->targets[0]); i++) {
		while (st->targets[i] != NULL) {
			struct target *t = st->targets[i];

			st->targets[i] = t->next;
			free(t);
		}
	}
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->store_mu);
	pthread_cond_destroy(&st->cv_work);
	pthread_cond_destroy(&st->cv_room);
	pthread_cond_destroy(&st->cv_idle);
	pthread_cond_destroy(&st->cv_target);
	free(st->th);
	free(st);
}
