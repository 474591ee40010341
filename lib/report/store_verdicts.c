/* store_verdicts.c - per-message verdicts in the SQLite store, and the
 * writer thread that keeps a mail daemon from ever waiting for them.
 *
 * Schema (version 3, added to store.c's migrations):
 *
 *   verdict(id, ts, reporter, queue_id, source_ip, helo, envelope_from,
 *       envelope_to, header_from, spf_domain, spf_scope, spf_result,
 *       spf_human, dmarc_result, policy_domain, discovery, p, sp, np,
 *       adkim, aspf, testing, fo, pct, policy, policy_tag, dkim_aligned,
 *       spf_aligned, requested, disposition, reason_type, reason_comment,
 *       arc, action)
 *                       one row per inbound message; the columns are the
 *                       fields of struct inkan_verdict (store.h).  An
 *                       aggregate report (RFC 9990 §2.1) groups rows by
 *                       policy_domain and ts range, then by (source_ip,
 *                       disposition, dkim_aligned, spf_aligned,
 *                       reason_type, envelope_to, envelope_from,
 *                       header_from, auth results) into <record>s with a
 *                       count; policy_published comes from the p..fo
 *                       columns of the newest row.
 *   verdict_dkim(verdict, domain, selector, result, human_result)
 *                       every DKIM signature of the message, in order
 *
 * The writer.  A bounded FIFO of deep copies (one malloc each) under a
 * mutex; put() never waits for anything but that mutex.  The thread
 * takes up to batch_max verdicts, writes them in one transaction, and
 * sleeps until the queue has a batch or flush_ms has passed.  A failure
 * loses that batch (counted, logged), closes the store and retries the
 * open no sooner than retry_ms later; verdicts arriving meanwhile are
 * dropped as they are taken, so the queue cannot fill with mail the
 * store will never see.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/store.h"
#include "store_int.h"

const char inkan__store_migration_verdicts[] =
	"CREATE TABLE verdict(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, reporter TEXT,"
	" queue_id TEXT, source_ip TEXT, helo TEXT, envelope_from TEXT, envelope_to TEXT,"
	" header_from TEXT, spf_domain TEXT, spf_scope TEXT, spf_result TEXT, spf_human TEXT,"
	" dmarc_result TEXT, policy_domain TEXT, discovery TEXT, p TEXT, sp TEXT, np TEXT,"
	" adkim TEXT, aspf TEXT, testing TEXT, fo TEXT, pct INTEGER, policy TEXT,"
	" policy_tag TEXT, dkim_aligned TEXT, spf_aligned TEXT, requested TEXT,"
	" disposition TEXT, reason_type TEXT, reason_comment TEXT, arc TEXT, action TEXT);"
	"CREATE INDEX verdict_domain_ts ON verdict(policy_domain, ts);"
	"CREATE INDEX verdict_ts ON verdict(ts);"
	"CREATE TABLE verdict_dkim(verdict INTEGER NOT NULL REFERENCES verdict(id)"
	" ON DELETE CASCADE, domain TEXT, selector TEXT, result TEXT NOT NULL,"
	" human_result TEXT);"
	"CREATE INDEX verdict_dkim_verdict ON verdict_dkim(verdict);";

/* The text columns of verdict, in table order after ts, and their
 * fields.  One table drives the INSERT, the copy and the free. */
#define VERDICT_TEXT_FIELDS(X) \
	X(reporter) X(queue_id) X(source_ip) X(helo) X(envelope_from) X(envelope_to) \
	X(header_from) X(spf_domain) X(spf_scope) X(spf_result) X(spf_human) \
	X(dmarc_result) X(policy_domain) X(discovery) X(p) X(sp) X(np) X(adkim) X(aspf) \
	X(testing) X(fo)
#define VERDICT_TEXT_FIELDS2(X) \
	X(policy) X(policy_tag) X(dkim_aligned) X(spf_aligned) X(requested) X(disposition) \
	X(reason_type) X(reason_comment) X(arc) X(action)

static const char insert_verdict[] =
	"INSERT INTO verdict(ts, reporter, queue_id, source_ip, helo, envelope_from,"
	" envelope_to, header_from, spf_domain, spf_scope, spf_result, spf_human,"
	" dmarc_result, policy_domain, discovery, p, sp, np, adkim, aspf, testing, fo, pct,"
	" policy, policy_tag, dkim_aligned, spf_aligned, requested, disposition,"
	" reason_type, reason_comment, arc, action) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char insert_dkim[] =
	"INSERT INTO verdict_dkim(verdict, domain, selector, result, human_result)"
	" VALUES(?,?,?,?,?)";

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, i);
}

static int
put_one(sqlite3 *db, sqlite3_stmt *sv, sqlite3_stmt *sd, const struct inkan_verdict *v)
{
	int i = 1, rc = SQLITE_OK;

	sqlite3_reset(sv);
	sqlite3_clear_bindings(sv);
	rc = sqlite3_bind_int64(sv, i++, v->ts);
#define BIND(f) if (rc == SQLITE_OK) rc = bind_text(sv, i++, v->f);
	VERDICT_TEXT_FIELDS(BIND)
	if (rc == SQLITE_OK)
		rc = v->pct >= 0 ? sqlite3_bind_int(sv, i, v->pct) : sqlite3_bind_null(sv, i);
	i++;
	VERDICT_TEXT_FIELDS2(BIND)
#undef BIND
	if (rc == SQLITE_OK && (rc = sqlite3_step(sv)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_int64 id = sqlite3_last_insert_rowid(db);
	for (size_t k = 0; k < v->ndkim && rc == SQLITE_OK; k++) {
		const struct inkan_verdict_dkim *d = &v->dkim[k];
		sqlite3_reset(sd);
		sqlite3_clear_bindings(sd);
		rc = sqlite3_bind_int64(sd, 1, id);
		if (rc == SQLITE_OK)
			rc = bind_text(sd, 2, d->domain);
		if (rc == SQLITE_OK)
			rc = bind_text(sd, 3, d->selector);
		if (rc == SQLITE_OK)
			rc = bind_text(sd, 4, d->result != NULL ? d->result : "none");
		if (rc == SQLITE_OK)
			rc = bind_text(sd, 5, d->human_result);
		if (rc == SQLITE_OK && (rc = sqlite3_step(sd)) == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	return rc;
}

int
inkan_store_put_verdicts(struct inkan_store *st, const struct inkan_verdict *v, size_t n)
{
	sqlite3_stmt *sv = NULL, *sd = NULL;
	int rc;

	if (st == NULL || (v == NULL && n > 0))
		return INKAN_EINVAL;
	if (n == 0)
		return 0;
	if ((rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return INKAN_EIO;
	rc = sqlite3_prepare_v2(st->db, insert_verdict, -1, &sv, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db, insert_dkim, -1, &sd, NULL);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
		rc = put_one(st->db, sv, sd, &v[i]);
	sqlite3_finalize(sv);
	sqlite3_finalize(sd);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return INKAN_EIO;
	}
	return 0;
}

int
inkan_store_count_verdicts(struct inkan_store *st, int64_t since, int64_t until, int64_t *count)
{
	sqlite3_stmt *s;
	int rc;

	*count = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM verdict WHERE ts >= ?1 AND"
	    " (?2 = 0 OR ts < ?2)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return INKAN_EIO;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*count = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : INKAN_EIO;
}

/* ---- the writer ---- */

/* A queued verdict: the struct, its DKIM rows and all strings in one
 * block. */
struct qv {
	struct qv *next;
	struct inkan_verdict v;
};

struct inkan_verdict_writer {
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* work or stop */
	pthread_t thread;
	bool stop;
	char *path;
	struct inkan_verdict_writer_opts o;
	struct inkan_store *st;		/* only the thread touches it after new() */
	uint64_t next_open_ms;		/* monotonic; retry no sooner */
	uint64_t next_loss_log_ms;	/* say "lost" no more often than retry_ms */
	struct qv *head, *tail;
	struct inkan_verdict_writer_stats s;
	pthread_cond_t done_cv;		/* a batch was finished */
	unsigned long lost_queued;	/* of those queued, lost at write */
	unsigned flushing;		/* flush() calls waiting: write at once */
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wlog(struct inkan_verdict_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
wlog(struct inkan_verdict_writer *w, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (w->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->o.log(w->o.log_arg, line);
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copy s into *pp (advancing it); NULL stays NULL. */
static const char *
scopy(char **pp, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = *pp;
	memcpy(d, s, n);
	*pp += n;
	return d;
}

static struct qv *
qv_copy(const struct inkan_verdict *v)
{
	size_t need = sizeof(struct qv) + v->ndkim * sizeof(struct inkan_verdict_dkim);
#define LEN(f) need += slen(v->f);
	VERDICT_TEXT_FIELDS(LEN)
	VERDICT_TEXT_FIELDS2(LEN)
#undef LEN
	for (size_t i = 0; i < v->ndkim; i++)
		need += slen(v->dkim[i].domain) + slen(v->dkim[i].selector) +
		    slen(v->dkim[i].result) + slen(v->dkim[i].human_result);
	struct qv *q = malloc(need);
	if (q == NULL)
		return NULL;
	struct inkan_verdict_dkim *dk = (struct inkan_verdict_dkim *)(q + 1);
	char *p = (char *)(dk + v->ndkim);
	q->next = NULL;
	q->v = *v;
#define COPY(f) q->v.f = scopy(&p, v->f);
	VERDICT_TEXT_FIELDS(COPY)
	VERDICT_TEXT_FIELDS2(COPY)
#undef COPY
	for (size_t i = 0; i < v->ndkim; i++) {
		dk[i].domain = scopy(&p, v->dkim[i].domain);
		dk[i].selector = scopy(&p, v->dkim[i].selector);
		dk[i].result = scopy(&p, v->dkim[i].result);
		dk[i].human_result = scopy(&p, v->dkim[i].human_result);
	}
	q->v.dkim = v->ndkim > 0 ? dk : NULL;
	return q;
}

int
inkan_verdict_writer_put(struct inkan_verdict_writer *w, const struct inkan_verdict *v)
{
	struct qv *q = NULL;
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	if (w->s.pending >= w->o.queue_max)
		rc = INKAN_ELIMIT;
	pthread_mutex_unlock(&w->mu);
	/* Copy outside the lock: malloc is the only slow part. */
	if (rc == 0 && (q = qv_copy(v)) == NULL)
		rc = INKAN_ENOMEM;
	pthread_mutex_lock(&w->mu);
	if (rc == 0 && w->s.pending >= w->o.queue_max) {
		rc = INKAN_ELIMIT;
		free(q);
	}
	if (rc != 0) {
		w->s.lost++;
	} else {
		if (w->tail != NULL)
			w->tail->next = q;
		else
			w->head = q;
		w->tail = q;
		w->s.pending++;
		w->s.queued++;
		if (w->s.pending >= w->o.batch_max)
			pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static void
try_open(struct inkan_verdict_writer *w, bool force)
{
	char why[512];

	if (w->st != NULL || (!force && mono_ms() < w->next_open_ms))
		return;
	if (inkan_store_open(w->path, &w->st, why, sizeof(why)) != 0) {
		w->st = NULL;
		w->next_open_ms = mono_ms() + w->o.retry_ms;
		pthread_mutex_lock(&w->mu);
		w->s.failures++;
		w->s.store_up = 0;
		pthread_mutex_unlock(&w->mu);
		wlog(w, "verdict store %s cannot be opened: %s (retrying in %u ms)", w->path, why,
		    w->o.retry_ms);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->s.store_up = 1;
	pthread_mutex_unlock(&w->mu);
	wlog(w, "verdict store %s is open again", w->path);
}

/* Write the batch b (n verdicts, a list) and free it. */
static void
write_batch(struct inkan_verdict_writer *w, struct qv *b, size_t n, bool last)
{
	struct inkan_verdict *arr = NULL;
	bool ok = false, tried = false;

	try_open(w, last);
	if (w->st != NULL && (arr = malloc(n * sizeof(*arr))) != NULL) {
		tried = true;
		size_t i = 0;
		for (struct qv *q = b; q != NULL; q = q->next)
			arr[i++] = q->v;
		ok = inkan_store_put_verdicts(w->st, arr, n) == 0;
		if (!ok) {
			wlog(w, "verdict store %s: write failed: %s; %zu verdicts lost, reopening",
			    w->path, sqlite3_errmsg(((struct inkan_store *)w->st)->db), n);
			inkan_store_close(w->st);
			w->st = NULL;
			w->next_open_ms = mono_ms() + w->o.retry_ms;
		}
	}
	free(arr);
	if (!ok && !tried && mono_ms() >= w->next_loss_log_ms) {
		wlog(w, "verdict store %s is not open: %zu verdicts lost", w->path, n);
		w->next_loss_log_ms = mono_ms() + w->o.retry_ms;
	}
	pthread_mutex_lock(&w->mu);
	if (ok) {
		w->s.written += n;
		w->s.batches++;
	} else {
		w->s.lost += n;
		w->lost_queued += n;
		w->s.store_up = 0;
		if (tried)
			w->s.failures++;	/* a failed write; failed opens count in try_open */
	}
	pthread_cond_broadcast(&w->done_cv);
	pthread_mutex_unlock(&w->mu);
	while (b != NULL) {
		struct qv *next = b->next;
		free(b);
		b = next;
	}
}

static void *
writer_main(void *arg)
{
	struct inkan_verdict_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
#define IDLE(w) ((w)->s.pending < (w)->o.batch_max && !(w)->stop && \
	((w)->flushing == 0 || (w)->head == NULL))
		if (IDLE(w)) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += (time_t)(w->o.flush_ms / 1000);
			until.tv_nsec += (long)(w->o.flush_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (IDLE(w))
				if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
					break;
		}
		if (w->head == NULL) {
			if (w->stop)
				break;
			continue;
		}
		struct qv *b = w->head, *last = b;
		size_t n = 1;
		while (n < w->o.batch_max && last->next != NULL) {
			last = last->next;
			n++;
		}
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		w->s.pending -= n;
		bool stopping = w->stop;
		pthread_mutex_unlock(&w->mu);
		write_batch(w, b, n, stopping);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
inkan_verdict_writer_new(const char *path, const struct inkan_verdict_writer_opts *o,
    struct inkan_verdict_writer **out, char *why, size_t whylen)
{
	struct inkan_verdict_writer *w;
	pthread_condattr_t ca;

	*out = NULL;
	if (whylen > 0)
		why[0] = '\0';
	if (path == NULL)
		return INKAN_EINVAL;
	if ((w = calloc(1, sizeof(*w))) == NULL || (w->path = strdup(path)) == NULL) {
		free(w);
		return INKAN_ENOMEM;
	}
	if (o != NULL)
		w->o = *o;
	if (w->o.queue_max == 0)
		w->o.queue_max = INKAN_VERDICT_QUEUE_MAX;
	if (w->o.batch_max == 0)
		w->o.batch_max = INKAN_VERDICT_BATCH_MAX;
	if (w->o.flush_ms == 0)
		w->o.flush_ms = INKAN_VERDICT_FLUSH_MS;
	if (w->o.retry_ms == 0)
		w->o.retry_ms = INKAN_VERDICT_RETRY_MS;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_cond_init(&w->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (inkan_store_open(w->path, &w->st, why, whylen) != 0) {
		w->st = NULL;
		w->s.failures++;
		w->next_open_ms = mono_ms() + w->o.retry_ms;
	} else {
		w->s.store_up = 1;
	}
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		inkan_store_close(w->st);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w->path);
		free(w);
		return INKAN_EIO;
	}
	*out = w;
	return 0;
}

void
inkan_verdict_writer_get_stats(struct inkan_verdict_writer *w,
    struct inkan_verdict_writer_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->s;
	pthread_mutex_unlock(&w->mu);
}

int
inkan_verdict_writer_flush(struct inkan_verdict_writer *w, unsigned timeout_ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(timeout_ms / 1000);
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	/* Every verdict queued so far ends written or lost at write. */
	unsigned long target = w->s.queued;
	w->flushing++;
	pthread_cond_signal(&w->cv);
	while (w->s.written + w->lost_queued < target) {
		if (pthread_cond_timedwait(&w->done_cv, &w->mu, &until) == ETIMEDOUT) {
			rc = INKAN_ELIMIT;
			break;
		}
	}
	w->flushing--;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void
inkan_verdict_writer_free(struct inkan_verdict_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;		/* the thread makes one last attempt */
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	inkan_store_close(w->st);
	pthread_cond_destroy(&w->done_cv);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->path);
	free(w);
}
