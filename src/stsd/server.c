/* server.c - the event loop of inkan-stsd.
 *
 * One thread, epoll, level-triggered.  It accepts clients on the
 * Socketmap and TCPTable listeners, reads requests (proto.h), and
 * answers from the in-memory answer cache when it can: that path is a
 * hash lookup and a write, no lock, no allocation beyond the reply.  A
 * miss becomes a job for the workers; requests for a domain already
 * being looked up wait on that lookup instead of starting another.  A
 * request still unanswered at its deadline is answered TEMP (Postfix
 * defers the mail and retries: better than a wrong answer).  At most
 * MaxClients connections and MaxPending lookups; beyond them a client is
 * answered TEMP at once, so overload degrades to deferral, not to
 * unbounded memory.
 *
 * Signals arrive through a signalfd: SIGHUP re-reads the configuration
 * and clears the answer cache (connections stay open), SIGTERM/SIGINT
 * stop accepting, answer what is in flight (or TEMP after a grace
 * period) and return.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "stsd.h"
#include "map.h"
#include "proto.h"
#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"

struct stats ST;

enum lkind { L_SOCKETMAP = 0, L_TCPTABLE, L_STATS, L_SESSIONS, L_MAILLOG };

static const char *const lkind_names[] = { "socketmap", "tcp_table", "stats", "sessions",
	"maillog" };

#define MAX_LISTENERS (2 * INKAN_STSD_MAX_LIST + 3)

struct lsn {
	int tag;			/* 0: a listener (first member, see below) */
	int fd;
	enum lkind kind;
	char *spec;
	char *path;			/* unix socket to remove at exit */
};

static struct lsn lsns[MAX_LISTENERS];
static size_t nlsn;

struct pending;

struct conn {
	int tag;			/* 1: a connection */
	int fd;
	enum lkind kind;
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outoff, outcap;
	bool closing;			/* close when the output is written */
	bool dead;
	/* a request waiting for a lookup */
	bool waiting;
	uint64_t deadline_ms, started_us;
	struct pending *pend;
	struct conn *wprev, *wnext;	/* waiters of pend */
	char nexthop[INKAN_STSD_MAX_REQUEST + 1];
	uint64_t last_ms;
	unsigned events;
	struct conn *cprev, *cnext;	/* all connections */
};

struct pending {
	char *domain;
	uint64_t job_id;
	struct conn *waiters;
	uint64_t started_us;
};

struct cached {
	struct result *r;
	uint64_t expires_ms;
};

struct loop {
	int ep, evfd, sigfd;
	struct conf *cur;		/* settings that reload applies */
	const struct conf *boot;	/* settings that need a restart */
	const char *conf_path;
	char *const *overrides;
	bool conf_must_exist;
	struct workers *workers;
	struct map *cache;
	struct map *pending;
	struct intake *intake;
	struct inkan_arena *a;
	struct conn *conns;
	size_t nconns;
	uint64_t next_job;
	bool stopping;
	uint64_t stop_deadline_ms;
	/* MaillogFile */
	FILE *mlf;
	ino_t ml_ino;
	off_t ml_off;
	char *mlbuf;
	size_t mllen;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- listeners ---- */

static int
open_listener(const char *spec, enum lkind kind, int umask_v)
{
	struct lsn *l = &lsns[nlsn];
	int fd = -1;

	if (nlsn == MAX_LISTENERS) {
		slog(LOG_ERR, "too many listeners");
		return -1;
	}
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *path = spec + 5;
		struct stat st;
		if (strlen(path) >= sizeof(sun.sun_path)) {
			slog(LOG_ERR, "%s: path too long for a unix socket", spec);
			return -1;
		}
		strcpy(sun.sun_path, path);
		/* A socket left by an earlier run; anything else is not ours. */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
			goto fail;
		mode_t old = umask(umask_v >= 0 ? (mode_t)umask_v : 0117);
		int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		umask(old);
		if (rc != 0)
			goto fail;
		l->path = strdup(path);
	} else {
		/* inet:ADDR:PORT, ADDR possibly [v6] */
		const char *hp = spec + 5, *colon = strrchr(hp, ':');
		char host[256];
		size_t hl = (size_t)(colon - hp);
		if (hl >= sizeof(host)) {
			slog(LOG_ERR, "%s: address too long", spec);
			return -1;
		}
		memcpy(host, hp, hl);
		host[hl] = '\0';
		if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
		unsigned port = (unsigned)strtoul(colon + 1, NULL, 10);
		struct sockaddr_storage ss;
		socklen_t sl;
		memset(&ss, 0, sizeof(ss));
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			sl = sizeof(*s4);
		} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			sl = sizeof(*s6);
		} else {
			slog(LOG_ERR, "%s: '%s' is not an IPv4 or IPv6 address", spec, host);
			return -1;
		}
		if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
			goto fail;
		int on = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
			goto fail;
	}
	if (listen(fd, 512) != 0)
		goto fail;
	l->fd = fd;
	l->spec = strdup(spec);
	nlsn++;
	return 0;
fail:
	slog(LOG_ERR, "cannot listen on %s: %s", spec, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int
server_listen(const struct conf *c)
{
	for (size_t i = 0; c->socketmap != NULL && c->socketmap[i] != NULL; i++)
		if (open_listener(c->socketmap[i], L_SOCKETMAP, c->umask) != 0)
			return -1;
	for (size_t i = 0; c->tcptable != NULL && c->tcptable[i] != NULL; i++)
		if (open_listener(c->tcptable[i], L_TCPTABLE, c->umask) != 0)
			return -1;
	if (c->stats_listen != NULL && open_listener(c->stats_listen, L_STATS, c->umask) != 0)
		return -1;
	if (c->session_listen != NULL &&
	    open_listener(c->session_listen, L_SESSIONS, c->umask) != 0)
		return -1;
	if (c->maillog_listen != NULL &&
	    open_listener(c->maillog_listen, L_MAILLOG, c->umask) != 0)
		return -1;
	return 0;
}

/* The unix sockets, for chown to the daemon's user. */
const char *server_unix_path(size_t i);

const char *
server_unix_path(size_t i)
{
	size_t k = 0;

	for (size_t j = 0; j < nlsn; j++)
		if (lsns[j].path != NULL && k++ == i)
			return lsns[j].path;
	return NULL;
}

/* ---- connections ---- */

static void
conn_events(struct loop *L, struct conn *c)
{
	unsigned ev = 0;

	if (!c->waiting && !c->closing && c->inlen < c->incap)
		ev |= EPOLLIN;
	if (c->outlen > c->outoff)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	struct epoll_event e = { .events = ev, .data.ptr = c };
	epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &e);
	c->events = ev;
}

static void
waiter_unlink(struct conn *c)
{
	struct pending *p = c->pend;

	if (p == NULL)
		return;
	if (c->wprev != NULL)
		c->wprev->wnext = c->wnext;
	else
		p->waiters = c->wnext;
	if (c->wnext != NULL)
		c->wnext->wprev = c->wprev;
	c->wprev = c->wnext = NULL;
	c->pend = NULL;
}

static void
conn_close(struct loop *L, struct conn *c)
{
	waiter_unlink(c);
	epoll_ctl(L->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->cprev != NULL)
		c->cprev->cnext = c->cnext;
	else
		L->conns = c->cnext;
	if (c->cnext != NULL)
		c->cnext->cprev = c->cprev;
	L->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

static void
conn_write(struct loop *L, struct conn *c, const char *p, size_t n)
{
	if (c->outlen == c->outoff) {
		/* Nothing queued: try to write at once (the usual case). */
		ssize_t w = write(c->fd, p, n);
		if (w == (ssize_t)n)
			return;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			c->dead = true;
			return;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
		c->outlen = c->outoff = 0;
	}
	if (c->outlen - c->outoff + n > INKAN_STSD_MAX_CONN_OUT) {
		c->dead = true;		/* not reading its answers */
		return;
	}
	if (c->outlen + n > c->outcap) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
		if (c->outlen + n > c->outcap) {
			size_t cap = c->outlen + n + 1024;
			char *nb = realloc(c->out, cap);
			if (nb == NULL) {
				c->dead = true;
				return;
			}
			c->out = nb;
			c->outcap = cap;
		}
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	conn_events(L, c);
}

/* ---- answers ---- */

enum ans { A_OK, A_NOTFOUND, A_TEMP, A_PERM };

static void
reply(struct loop *L, struct conn *c, enum ans a, const char *text)
{
	char buf[INKAN_STSD_MAX_REPLY + 64];
	size_t n;

	if (c->kind == L_SOCKETMAP) {
		static const enum sm_status m[] = { SM_OK, SM_NOTFOUND, SM_TEMP, SM_PERM };
		n = sm_format(buf, sizeof(buf), m[a], text);
		if (n == 0)
			n = sm_format(buf, sizeof(buf), SM_TEMP, "answer too long");
	} else {
		static const int m[] = { 200, 500, 400, 400 };
		n = tt_format(buf, sizeof(buf), m[a], text);
		if (n == 0)
			n = tt_format(buf, sizeof(buf), 400, "answer too long");
	}
	switch (a) {
	case A_OK: atomic_fetch_add(&ST.answers_ok, 1); break;
	case A_NOTFOUND: atomic_fetch_add(&ST.answers_notfound, 1); break;
	case A_TEMP: atomic_fetch_add(&ST.answers_temp, 1); break;
	case A_PERM: atomic_fetch_add(&ST.answers_perm, 1); break;
	}
	conn_write(L, c, buf, n);
}

/* Attacker-influenced text (a key, a reason quoting a policy) for the
 * log: control characters and quotes replaced, cut at 200 bytes. */
static const char *
clean(char *out, size_t outsize, const char *s)
{
	size_t o = 0;

	for (; s != NULL && *s && o + 4 < outsize && o < 200; s++) {
		unsigned char ch = (unsigned char)*s;
		out[o++] = ch < 32 || ch == 127 || ch == '"' ? '?' : (char)ch;
	}
	if (s != NULL && *s)
		out[o++] = '.', out[o++] = '.', out[o++] = '.';
	out[o] = '\0';
	return out;
}

static void
answer_result(struct loop *L, struct conn *c, const struct result *r, const char *cache_state)
{
	const struct conf *cf = L->cur;
	enum ans a;
	const char *text;

	if (r->failed || r->kind == INKAN_STS_TEMPFAIL) {
		a = A_TEMP;
		text = r->why != NULL ? r->why : "lookup failed";
	} else if (r->postfix != NULL) {
		a = A_OK;
		text = r->postfix;
	} else if (cf->default_answer != NULL) {
		a = A_OK;
		text = cf->default_answer;
	} else {
		a = A_NOTFOUND;
		text = "";
	}
	reply(L, c, a, text);
	atomic_fetch_add(&ST.kinds[r->kind <= INKAN_STS_TEMPFAIL ? r->kind : 0], 1);
	if (cf->log_hits || strcmp(cache_state, "hit") != 0) {
		char d[256], w[256], t[256];
		double ms = (double)(now_us() - c->started_us) / 1000.0;
		slog(LOG_INFO, "%s domain=%s answer=\"%s%s%s\" kind=%s%s why=\"%s\" cache=%s"
		    " policy_cache=%s ms=%.3f", lkind_names[c->kind], clean(d, sizeof(d), r->domain),
		    a == A_OK ? "OK " : a == A_NOTFOUND ? "NOTFOUND" : "TEMP ",
		    a == A_NOTFOUND ? "" : clean(t, sizeof(t), text),
		    "", inkan_sts_kind_name(r->kind),
		    r->kind == INKAN_STS_STS_TESTING ? " (testing: not enforced, reported)" : "",
		    clean(w, sizeof(w), r->why), cache_state,
		    inkan_sts_cache_state_name(r->cache), ms);
	}
}

static void process_input(struct loop *L, struct conn *c);

static void
finish_request(struct loop *L, struct conn *c)
{
	c->waiting = false;
	waiter_unlink(c);
	if (!c->dead)
		process_input(L, c);
	if (!c->dead)
		conn_events(L, c);
}

static void
pending_free(void *p)
{
	struct pending *pd = p;

	if (pd == NULL)
		return;
	for (struct conn *c = pd->waiters; c != NULL; c = c->wnext)
		c->pend = NULL;
	free(pd->domain);
	free(pd);
}

static void
cached_free(void *p)
{
	struct cached *ce = p;

	if (ce == NULL)
		return;
	result_free(ce->r);
	free(ce);
}

/* One request: the key (nexthop) has been read. */
static void
lookup(struct loop *L, struct conn *c, const char *key, size_t keylen)
{
	const char *domain = NULL, *why = NULL;
	char d[256];

	c->started_us = now_us();
	atomic_fetch_add(&ST.requests[c->kind == L_SOCKETMAP ? ST_SOCKETMAP : ST_TCPTABLE], 1);
	memcpy(c->nexthop, key, keylen);
	c->nexthop[keylen] = '\0';
	inkan_arena_reset(L->a);
	int err = inkan_sts_nexthop_domain(L->a, c->nexthop, &domain, &why);
	if (err != 0) {
		/* An address literal or a name that is no domain: no policy
		 * can apply (RFC 8461 §4.1 speaks of MX host names), so the
		 * default, like the engine itself answers. */
		struct result r = { .domain = c->nexthop, .kind = INKAN_STS_NONE,
			.why = (char *)(why != NULL ? why : "not a domain") };
		answer_result(L, c, &r, "none");
		return;
	}
	struct cached *ce = map_get(L->cache, domain);
	uint64_t t = now_ms();
	if (ce != NULL && ce->expires_ms > t) {
		atomic_fetch_add(&ST.cache_hits, 1);
		answer_result(L, c, ce->r, "hit");
		return;
	}
	if (ce != NULL)
		map_del(L->cache, domain);
	atomic_fetch_add(&ST.cache_misses, 1);
	c->waiting = true;
	c->deadline_ms = t + L->cur->request_timeout_ms;
	struct pending *p = map_get(L->pending, domain);
	if (p != NULL) {
		atomic_fetch_add(&ST.coalesced, 1);
	} else {
		if (map_count(L->pending) >= L->cur->max_pending || L->stopping) {
			atomic_fetch_add(&ST.overloaded, 1);
			c->waiting = false;
			reply(L, c, A_TEMP, L->stopping ? "shutting down" :
			    "too many lookups in progress");
			slog(LOG_WARNING, "%s domain=%s answer=\"TEMP overloaded\" pending=%zu",
			    lkind_names[c->kind], clean(d, sizeof(d), domain), map_count(L->pending));
			return;
		}
		struct job *j = calloc(1, sizeof(*j));
		p = calloc(1, sizeof(*p));
		if (j == NULL || p == NULL || (j->domain = strdup(domain)) == NULL ||
		    (j->nexthop = strdup(c->nexthop)) == NULL ||
		    (p->domain = strdup(domain)) == NULL) {
			if (j != NULL) {
				free(j->domain);
				free(j->nexthop);
			}
			free(j);
			free(p);
			c->waiting = false;
			reply(L, c, A_TEMP, "out of memory");
			return;
		}
		j->id = p->job_id = ++L->next_job;
		p->started_us = c->started_us;
		if (map_put(L->pending, domain, p) != 0) {
			free(j->domain);
			free(j->nexthop);
			free(j);
			c->waiting = false;
			reply(L, c, A_TEMP, "out of memory");
			return;
		}
		workers_submit(L->workers, j);
	}
	c->pend = p;
	c->wprev = NULL;
	c->wnext = p->waiters;
	if (p->waiters != NULL)
		p->waiters->wprev = c;
	p->waiters = c;
}

static bool
map_name_ok(const struct conf *cf, const char *n, size_t len)
{
	for (size_t i = 0; cf->map_names[i] != NULL; i++)
		if (strlen(cf->map_names[i]) == len && memcmp(cf->map_names[i], n, len) == 0)
			return true;
	return false;
}

static void
bad_request(struct loop *L, struct conn *c, const char *why, bool fatal)
{
	char w[256];

	atomic_fetch_add(&ST.bad_requests, 1);
	slog(LOG_WARNING, "%s: bad request: %s%s", lkind_names[c->kind], clean(w, sizeof(w), why),
	    fatal ? " (connection closed)" : "");
	reply(L, c, c->kind == L_SOCKETMAP ? A_PERM : A_TEMP, why);
	if (fatal) {
		c->closing = true;
		c->inlen = 0;
	}
}

static void
consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

static void
stats_reply(struct loop *L, struct conn *c);

static void
process_input(struct loop *L, struct conn *c)
{
	while (!c->waiting && !c->closing && !c->dead && c->inlen > 0) {
		const char *why = NULL;
		size_t used = 0;
		enum proto_rc rc;

		if (c->kind == L_SOCKETMAP) {
			struct sm_request rq;
			rc = sm_parse(c->in, c->inlen, INKAN_STSD_MAX_REQUEST, &rq, &used, &why);
			if (rc == PROTO_MORE)
				return;
			if (rc == PROTO_FATAL) {
				bad_request(L, c, why, true);
				return;
			}
			if (rc == PROTO_OK && !map_name_ok(L->cur, rq.name, rq.namelen)) {
				rc = PROTO_BAD;
				why = "unknown map name (see SocketmapName)";
			}
			if (rc == PROTO_BAD) {
				consume(c, used);
				bad_request(L, c, why, false);
				continue;
			}
			char key[INKAN_STSD_MAX_REQUEST + 1];
			size_t kl = rq.keylen;
			memcpy(key, rq.key, kl);
			consume(c, used);
			lookup(L, c, key, kl);
		} else if (c->kind == L_TCPTABLE) {
			char key[INKAN_STSD_MAX_REQUEST + 1];
			size_t kl;
			rc = tt_parse(c->in, c->inlen, INKAN_STSD_MAX_REQUEST, key, sizeof(key), &kl,
			    &used, &why);
			if (rc == PROTO_MORE)
				return;
			if (rc == PROTO_FATAL) {
				bad_request(L, c, why, true);
				return;
			}
			consume(c, used);
			if (rc == PROTO_BAD) {
				bad_request(L, c, why, false);
				continue;
			}
			lookup(L, c, key, kl);
		} else if (c->kind == L_STATS) {
			if (memmem(c->in, c->inlen, "\r\n\r\n", 4) == NULL &&
			    memmem(c->in, c->inlen, "\n\n", 2) == NULL) {
				if (c->inlen >= c->incap)
					c->closing = true;
				return;
			}
			stats_reply(L, c);
			c->inlen = 0;
			c->closing = true;
		} else {
			char *nl = memchr(c->in, '\n', c->inlen);
			if (nl == NULL) {
				if (c->inlen >= c->incap) {
					if (c->kind == L_SESSIONS)
						conn_write(L, c, "error: line too long\n", 21);
					c->closing = true;
				}
				return;
			}
			size_t ll = (size_t)(nl - c->in);
			if (c->kind == L_SESSIONS) {
				char why2[300];
				if (intake_session_line(L->intake, c->in, ll, why2, sizeof(why2)) == 0) {
					conn_write(L, c, "ok\n", 3);
				} else {
					char msg[400];
					int n = snprintf(msg, sizeof(msg), "error: %s\n", why2);
					conn_write(L, c, msg, (size_t)n < sizeof(msg) ? (size_t)n :
					    sizeof(msg) - 1);
				}
			} else {
				intake_maillog_line(L->intake, c->in, ll, (int64_t)time(NULL));
			}
			consume(c, ll + 1);
		}
	}
}

static void
conn_read(struct loop *L, struct conn *c)
{
	ssize_t n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* The client closed.  An unfinished intake line still counts. */
		if (n == 0 && c->inlen > 0 && (c->kind == L_MAILLOG || c->kind == L_SESSIONS)) {
			char w[300];
			if (c->kind == L_MAILLOG)
				intake_maillog_line(L->intake, c->in, c->inlen, (int64_t)time(NULL));
			else
				intake_session_line(L->intake, c->in, c->inlen, w, sizeof(w));
		}
		c->dead = true;
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	c->last_ms = now_ms();
	process_input(L, c);
}

static void
conn_flush(struct conn *c)
{
	while (c->outlen > c->outoff) {
		ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			return;
		}
		c->outoff += (size_t)w;
	}
	c->outlen = c->outoff = 0;
}

static void
accept_one(struct loop *L, struct lsn *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (L->nconns >= L->cur->max_clients || L->stopping) {
		/* Say why, so that the client logs something useful. */
		static const char sm[] = "31:TEMP too many client connections,";
		static const char tt[] = "400 too%20many%20client%20connections\n";
		atomic_fetch_add(&ST.rejected_connections, 1);
		if (l->kind == L_SOCKETMAP && write(fd, sm, sizeof(sm) - 1) < 0) {
			/* nothing more to do */
		} else if (l->kind == L_TCPTABLE && write(fd, tt, sizeof(tt) - 1) < 0) {
			/* nothing more to do */
		}
		close(fd);
		return;
	}
	struct conn *c = calloc(1, sizeof(*c));
	size_t cap = l->kind == L_SOCKETMAP || l->kind == L_TCPTABLE ?
	    INKAN_STSD_MAX_REQUEST + 16 : l->kind == L_STATS ? 8192 : INKAN_STSD_MAX_LOG_LINE + 1;
	if (c == NULL || (c->in = malloc(cap)) == NULL) {
		free(c);
		close(fd);
		return;
	}
	c->tag = 1;
	c->fd = fd;
	c->kind = l->kind;
	c->incap = cap;
	c->last_ms = now_ms();
	if (l->kind == L_SOCKETMAP || l->kind == L_TCPTABLE) {
		int on = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
	c->events = EPOLLIN;
	if (epoll_ctl(L->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
		free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->cnext = L->conns;
	if (L->conns != NULL)
		L->conns->cprev = c;
	L->conns = c;
	L->nconns++;
	atomic_fetch_add(&ST.connections, 1);
}

/* ---- results from the workers ---- */

static void
take_results(struct loop *L)
{
	uint64_t v;

	if (read(L->evfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another read emptied it */
	}
	struct result *r = workers_take(L->workers), *next;
	for (; r != NULL; r = next) {
		next = r->next;
		r->next = NULL;
		atomic_fetch_add(&ST.lookups, 1);
		atomic_fetch_add(&ST.lookup_us_sum, (unsigned long)r->lookup_us);
		static const uint64_t le_us[] = { 1000, 5000, 10000, 50000, 100000, 500000,
			1000000, 5000000 };
		int b = 0;
		while (b < 8 && r->lookup_us > le_us[b])
			b++;
		atomic_fetch_add(&ST.lookup_bucket[b], 1);
		intake_note_policy(L->intake, r, (int64_t)time(NULL));
		struct pending *p = r->domain != NULL ? map_get(L->pending, r->domain) : NULL;
		if (p != NULL && p->job_id == r->job_id) {
			struct conn *w = p->waiters;
			p->waiters = NULL;
			while (w != NULL) {
				struct conn *wn = w->wnext;
				w->pend = NULL;
				w->wprev = w->wnext = NULL;
				answer_result(L, w, r, "miss");
				w->waiting = false;
				/* A dead connection is closed by deadlines(), never
				 * here: an event for it may still be in this batch. */
				if (!w->dead)
					process_input(L, w);
				if (!w->dead)
					conn_events(L, w);
				w = wn;
			}
			map_del(L->pending, r->domain);
		}
		uint32_t ttl = r->ttl < L->cur->max_cache_ttl ? r->ttl : L->cur->max_cache_ttl;
		if (!r->failed && r->kind != INKAN_STS_TEMPFAIL && ttl > 0 && r->domain != NULL &&
		    L->cur->cache_entries > 0) {
			struct cached *ce = malloc(sizeof(*ce));
			if (ce != NULL) {
				ce->r = r;
				ce->expires_ms = now_ms() + (uint64_t)ttl * 1000u;
				map_put(L->cache, r->domain, ce);
				continue;
			}
		}
		result_free(r);
	}
}

/* ---- periodic work ---- */

static void
deadlines(struct loop *L)
{
	uint64_t t = now_ms();
	char d[256];

	for (struct conn *c = L->conns, *nx; c != NULL; c = nx) {
		nx = c->cnext;
		if (c->waiting && (t >= c->deadline_ms || (L->stop_deadline_ms != 0 &&
		    t >= L->stop_deadline_ms))) {
			atomic_fetch_add(&ST.timeouts, 1);
			const char *why = t >= c->deadline_ms ? "timeout" : "shutting down";
			reply(L, c, A_TEMP, why);
			slog(LOG_WARNING, "%s domain=%s answer=\"TEMP %s\" cache=miss ms=%.3f",
			    lkind_names[c->kind], clean(d, sizeof(d), c->nexthop), why,
			    (double)(now_us() - c->started_us) / 1000.0);
			finish_request(L, c);
		} else if (!c->waiting && c->outlen == c->outoff && L->cur->idle_timeout > 0 &&
		    t - c->last_ms > (uint64_t)L->cur->idle_timeout * 1000u) {
			c->dead = true;
		}
		if (c->dead || (c->closing && c->outlen == c->outoff))
			conn_close(L, c);
	}
}

static void
follow_maillog(struct loop *L)
{
	const char *path = L->boot->maillog_file;
	struct stat st;

	if (path == NULL)
		return;
	if (stat(path, &st) != 0)
		return;
	if (L->mlf != NULL && (st.st_ino != L->ml_ino || st.st_size < L->ml_off)) {
		fclose(L->mlf);		/* rotated or truncated: start the new one */
		L->mlf = NULL;
		L->ml_off = 0;
		L->mllen = 0;
	}
	if (L->mlf == NULL) {
		if ((L->mlf = fopen(path, "r")) == NULL)
			return;
		L->ml_ino = st.st_ino;
		if (fseeko(L->mlf, L->ml_off, SEEK_SET) != 0)
			L->ml_off = 0;
	}
	if (L->mlbuf == NULL && (L->mlbuf = malloc(INKAN_STSD_MAX_LOG_LINE + 1)) == NULL)
		return;
	clearerr(L->mlf);
	for (;;) {
		size_t n = fread(L->mlbuf + L->mllen, 1, INKAN_STSD_MAX_LOG_LINE - L->mllen, L->mlf);
		if (n == 0)
			break;
		L->ml_off += (off_t)n;
		L->mllen += n;
		size_t start = 0;
		for (size_t i = 0; i < L->mllen; i++) {
			if (L->mlbuf[i] != '\n')
				continue;
			intake_maillog_line(L->intake, L->mlbuf + start, i - start,
			    (int64_t)time(NULL));
			start = i + 1;
		}
		if (start == 0 && L->mllen == INKAN_STSD_MAX_LOG_LINE)
			start = L->mllen;	/* an endless line: drop it */
		memmove(L->mlbuf, L->mlbuf + start, L->mllen - start);
		L->mllen -= start;
	}
}

/* ---- counters ---- */

static void
counter(FILE *f, const char *name, const char *help, unsigned long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", name, help, name, name, v);
}

static void
gauge(FILE *f, const char *name, const char *help, unsigned long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %lu\n", name, help, name, name, v);
}

static void
stats_reply(struct loop *L, struct conn *c)
{
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);

	if (f == NULL) {
		c->dead = true;
		return;
	}
	counter(f, "inkan_stsd_connections_total", "Client connections accepted.",
	    atomic_load(&ST.connections));
	counter(f, "inkan_stsd_rejected_connections_total",
	    "Connections refused (MaxClients or shutting down).",
	    atomic_load(&ST.rejected_connections));
	fprintf(f, "# HELP inkan_stsd_requests_total Policy requests by protocol.\n"
	    "# TYPE inkan_stsd_requests_total counter\n"
	    "inkan_stsd_requests_total{protocol=\"socketmap\"} %lu\n"
	    "inkan_stsd_requests_total{protocol=\"tcp_table\"} %lu\n",
	    atomic_load(&ST.requests[ST_SOCKETMAP]), atomic_load(&ST.requests[ST_TCPTABLE]));
	counter(f, "inkan_stsd_bad_requests_total", "Malformed requests.",
	    atomic_load(&ST.bad_requests));
	fprintf(f, "# HELP inkan_stsd_answers_total Answers by type.\n"
	    "# TYPE inkan_stsd_answers_total counter\n"
	    "inkan_stsd_answers_total{answer=\"ok\"} %lu\n"
	    "inkan_stsd_answers_total{answer=\"notfound\"} %lu\n"
	    "inkan_stsd_answers_total{answer=\"temp\"} %lu\n"
	    "inkan_stsd_answers_total{answer=\"perm\"} %lu\n",
	    atomic_load(&ST.answers_ok), atomic_load(&ST.answers_notfound),
	    atomic_load(&ST.answers_temp), atomic_load(&ST.answers_perm));
	fprintf(f, "# HELP inkan_stsd_decisions_total Answers by policy kind.\n"
	    "# TYPE inkan_stsd_decisions_total counter\n");
	for (int k = 0; k <= INKAN_STS_TEMPFAIL; k++)
		fprintf(f, "inkan_stsd_decisions_total{kind=\"%s\"} %lu\n",
		    inkan_sts_kind_name((enum inkan_sts_kind)k), atomic_load(&ST.kinds[k]));
	counter(f, "inkan_stsd_cache_hits_total", "Answers from the in-memory cache.",
	    atomic_load(&ST.cache_hits));
	counter(f, "inkan_stsd_cache_misses_total", "Requests that needed a lookup.",
	    atomic_load(&ST.cache_misses));
	counter(f, "inkan_stsd_coalesced_total",
	    "Requests that waited for a lookup already in progress.",
	    atomic_load(&ST.coalesced));
	counter(f, "inkan_stsd_overloaded_total", "Requests answered TEMP: MaxPending reached.",
	    atomic_load(&ST.overloaded));
	counter(f, "inkan_stsd_timeouts_total", "Requests answered TEMP at their deadline.",
	    atomic_load(&ST.timeouts));
	static const char *const le[] = { "0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1",
		"5", "+Inf" };
	unsigned long cum = 0;
	fprintf(f, "# HELP inkan_stsd_lookup_seconds Time a worker spent on a lookup.\n"
	    "# TYPE inkan_stsd_lookup_seconds histogram\n");
	for (int i = 0; i < 9; i++) {
		cum += atomic_load(&ST.lookup_bucket[i]);
		fprintf(f, "inkan_stsd_lookup_seconds_bucket{le=\"%s\"} %lu\n", le[i], cum);
	}
	fprintf(f, "inkan_stsd_lookup_seconds_sum %.6f\ninkan_stsd_lookup_seconds_count %lu\n",
	    (double)atomic_load(&ST.lookup_us_sum) / 1e6, cum);
	counter(f, "inkan_stsd_refresh_runs_total", "Proactive refresh runs.",
	    atomic_load(&ST.refreshes));
	counter(f, "inkan_stsd_refreshed_policies_total", "Policies refreshed proactively.",
	    atomic_load(&ST.refreshed_policies));
	counter(f, "inkan_stsd_refresh_errors_total", "Refresh runs that failed.",
	    atomic_load(&ST.refresh_errors));
	counter(f, "inkan_stsd_tlsrpt_sessions_total", "TLS-RPT session lines written.",
	    atomic_load(&ST.sessions_written));
	counter(f, "inkan_stsd_tlsrpt_bad_lines_total", "Session lines refused.",
	    atomic_load(&ST.session_lines_bad));
	counter(f, "inkan_stsd_maillog_lines_total", "Postfix log lines read.",
	    atomic_load(&ST.maillog_lines));
	counter(f, "inkan_stsd_maillog_unmatched_total",
	    "Deliveries to domains this daemon has not answered for.",
	    atomic_load(&ST.maillog_unmatched));
	counter(f, "inkan_stsd_reloads_total", "Successful reloads.", atomic_load(&ST.reloads));
	counter(f, "inkan_stsd_reload_failures_total", "Failed reloads.",
	    atomic_load(&ST.reload_failures));
	gauge(f, "inkan_stsd_clients", "Open client connections.", (unsigned long)L->nconns);
	gauge(f, "inkan_stsd_cache_entries", "Answers in the in-memory cache.",
	    (unsigned long)map_count(L->cache));
	gauge(f, "inkan_stsd_pending_lookups", "Lookups queued or running.",
	    (unsigned long)map_count(L->pending));
	if (fclose(f) != 0) {
		free(body);
		c->dead = true;
		return;
	}
	char head[256];
	int hn = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Type: text/plain;"
	    " version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", blen);
	/* The reply may be larger than the usual output bound. */
	char *all = malloc((size_t)hn + blen);
	if (all != NULL) {
		memcpy(all, head, (size_t)hn);
		memcpy(all + hn, body, blen);
		free(c->out);
		c->out = all;
		c->outcap = c->outlen = (size_t)hn + blen;
		c->outoff = 0;
		conn_flush(c);
		conn_events(L, c);
	}
	free(body);
}

/* ---- reload and the loop ---- */

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_list(char **a, char **b)
{
	size_t i = 0;

	for (; a != NULL && b != NULL && a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return (a == NULL || a[i] == NULL) && (b == NULL || b[i] == NULL);
}

static void
reload(struct loop *L)
{
	char err[1024];
	struct conf *n = conf_load(L->conf_path, L->conf_must_exist, L->overrides, err,
	    sizeof(err));

	if (n == NULL) {
		atomic_fetch_add(&ST.reload_failures, 1);
		slog(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
		return;
	}
	const struct conf *o = L->boot;
	if (!same_list(n->socketmap, o->socketmap) || !same_list(n->tcptable, o->tcptable) ||
	    !same(n->stats_listen, o->stats_listen) || !same(n->user, o->user) ||
	    !same_list(n->resolvers, o->resolvers) ||
	    !same(n->trust_anchor_file, o->trust_anchor_file) ||
	    !same_list(n->trust_anchors, o->trust_anchors) ||
	    !same(n->policy_cache, o->policy_cache) || !same(n->ca_file, o->ca_file) ||
	    !same_list(n->mtasts_connect, o->mtasts_connect) || n->workers != o->workers ||
	    n->no_dane != o->no_dane || n->no_dnssec != o->no_dnssec ||
	    !same(n->state_dir, o->state_dir) || !same(n->maillog_file, o->maillog_file))
		slog(LOG_WARNING, "reload: listeners, UserID, DNS, policy-engine, Workers and"
		    " TLS-RPT intake settings take effect only after a restart");
	if (L->cur != L->boot)
		conf_free(L->cur);
	L->cur = n;
	size_t dropped = map_count(L->cache);
	map_clear(L->cache);
	atomic_fetch_add(&ST.reloads, 1);
	slog(LOG_NOTICE, "reloaded %s; answer cache cleared (%zu entr%s); default answer %s",
	    n->path != NULL ? n->path : "the settings", dropped, dropped == 1 ? "y" : "ies",
	    n->default_answer != NULL ? n->default_answer : "NOTFOUND");
}

static void
begin_stop(struct loop *L, int sig)
{
	if (L->stopping)
		return;
	slog(LOG_NOTICE, "stopping on signal %d: no new connections, %zu lookup%s in flight",
	    sig, map_count(L->pending), map_count(L->pending) == 1 ? "" : "s");
	L->stopping = true;
	/* Give lookups in flight a little time, then answer TEMP. */
	L->stop_deadline_ms = now_ms() + 5000;
	for (size_t i = 0; i < nlsn; i++) {
		epoll_ctl(L->ep, EPOLL_CTL_DEL, lsns[i].fd, NULL);
		close(lsns[i].fd);
		lsns[i].fd = -1;
	}
}

static bool
anything_waiting(struct loop *L)
{
	for (struct conn *c = L->conns; c != NULL; c = c->cnext)
		if (c->waiting || c->outlen > c->outoff)
			return true;
	return false;
}

int
server_run(struct conf *boot, const char *conf_path, char *const *overrides,
    bool conf_must_exist)
{
	struct loop L0, *L = &L0;
	char err[1024];
	int rc = 0;

	memset(L, 0, sizeof(*L));
	L->boot = boot;
	L->cur = boot;
	L->conf_path = conf_path;
	L->overrides = overrides;
	L->conf_must_exist = conf_must_exist;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((L->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (L->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (L->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		slog(LOG_ERR, "cannot set up the event loop: %s", strerror(errno));
		return 71;
	}
	if ((L->cache = map_new(boot->cache_entries > 0 ? boot->cache_entries : 1,
	    cached_free)) == NULL ||
	    (L->pending = map_new((size_t)boot->max_pending + 1, pending_free)) == NULL ||
	    (L->a = inkan_arena_new()) == NULL ||
	    (L->intake = intake_new(boot->state_dir, INKAN_STSD_DEFAULT_POLICY_MEMORY)) == NULL) {
		slog(LOG_ERR, "out of memory");
		return 71;
	}
	if (workers_start(boot, boot->workers, L->evfd, &L->workers, err, sizeof(err)) != 0) {
		slog(LOG_ERR, "cannot start the workers: %s", err);
		return 69;
	}
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };
	static int evtag = 2, sigtag = 3;
	e.data.ptr = &evtag;
	epoll_ctl(L->ep, EPOLL_CTL_ADD, L->evfd, &e);
	e.data.ptr = &sigtag;
	epoll_ctl(L->ep, EPOLL_CTL_ADD, L->sigfd, &e);
	for (size_t i = 0; i < nlsn; i++) {
		e.data.ptr = &lsns[i];
		epoll_ctl(L->ep, EPOLL_CTL_ADD, lsns[i].fd, &e);
	}
	if (boot->maillog_file != NULL) {
		/* Start at the end: lines logged before we ran have no
		 * answer of ours to be matched with. */
		struct stat st;
		if (stat(boot->maillog_file, &st) == 0) {
			L->ml_off = st.st_size;
			L->ml_ino = st.st_ino;
		}
	}
	slog(LOG_NOTICE, "started: %zu listener%s, %u worker%s, default answer %s", nlsn,
	    nlsn == 1 ? "" : "s", boot->workers, boot->workers == 1 ? "" : "s",
	    boot->default_answer != NULL ? boot->default_answer : "NOTFOUND");

	uint64_t last_tick = now_ms();
	struct epoll_event evs[128];
	while (!L->stopping || anything_waiting(L)) {
		int n = epoll_wait(L->ep, evs, 128, 50);
		for (int i = 0; i < n; i++) {
			int *tag = evs[i].data.ptr;
			if (tag == &evtag) {
				take_results(L);
			} else if (tag == &sigtag) {
				struct signalfd_siginfo si;
				while (read(L->sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						reload(L);
					else
						begin_stop(L, (int)si.ssi_signo);
				}
			} else if (*tag == 0) {
				struct lsn *l = (struct lsn *)tag;
				if (l->fd >= 0)
					accept_one(L, l);
			} else {
				struct conn *c = (struct conn *)tag;
				if (evs[i].events & EPOLLOUT)
					conn_flush(c);
				if (!c->dead && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
					conn_read(L, c);
				if (c->dead || (c->closing && c->outlen == c->outoff))
					conn_close(L, c);
				else
					conn_events(L, c);
			}
		}
		uint64_t t = now_ms();
		if (t - last_tick >= 50) {
			deadlines(L);
			last_tick = t;
		}
		static uint64_t last_follow;
		if (t - last_follow >= 250) {
			follow_maillog(L);
			last_follow = t;
		}
	}
	while (L->conns != NULL)
		conn_close(L, L->conns);
	intake_flush(L->intake);
	workers_stop(L->workers);
	for (size_t i = 0; i < nlsn; i++)
		if (lsns[i].path != NULL)
			unlink(lsns[i].path);
	map_free(L->cache);
	map_free(L->pending);
	intake_free(L->intake);
	inkan_arena_free(L->a);
	if (L->mlf != NULL)
		fclose(L->mlf);
	free(L->mlbuf);
	if (L->cur != L->boot)
		conf_free(L->cur);
	close(L->ep);
	close(L->evfd);
	close(L->sigfd);
	slog(LOG_NOTICE, "stopped");
	return rc;
}
