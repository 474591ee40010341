/* stsd.h - inkan-stsd: what its files share.
 *
 *   main.c     start, privileges, signals, reload, stop
 *   conf.c     inkan-stsd.conf(5)
 *   server.c   the event loop: listeners, client connections, the
 *              answer cache, deadlines, the counters (Prometheus)
 *   worker.c   worker threads: one policy engine (sts.h) and resolver each
 *   intake.c   TLS-RPT: session lines and Postfix log lines in, per-day
 *              session files out
 *   socketmap.c, tcptable.c, maillog.c   the wire formats (proto.h)
 *
 * One thread runs the event loop and owns every connection, the answer
 * cache and the intake; workers only see jobs (a domain in) and results
 * (an answer out), handed over through two mutex-protected queues and an
 * eventfd.  So a cached answer costs one hash lookup and one write on
 * the loop thread, and a slow lookup never holds up anyone else.
 */
#ifndef INKAN_STSD_H
#define INKAN_STSD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/sts.h"

/* ---- configuration (conf.c) ---- */

struct conf {
	char *path;

	/* listeners: "inet:ADDR:PORT" or "unix:PATH" */
	char **socketmap;
	char **tcptable;
	char **map_names;		/* socketmap names answered ("postfix") */
	char *stats_listen;
	char *session_listen;		/* TLS-RPT session lines */
	char *maillog_listen;		/* Postfix log lines */
	char *maillog_file;		/* followed like tail -F */
	char *state_dir;		/* session files */

	/* process */
	char *user;
	char *pidfile;
	bool log_stderr;
	int syslog_facility;
	int umask;			/* -1 = leave */
	bool log_hits;			/* a line for cache hits too */

	/* DNS */
	char **resolvers;
	char *trust_anchor_file;
	char **trust_anchors;
	bool no_dnssec;
	unsigned dns_timeout_ms;

	/* policy engine */
	char *policy_cache;		/* SQLite; NULL = memory */
	char *ca_file;
	unsigned fetch_timeout_ms, connect_timeout_ms;
	char **mtasts_connect;		/* "HOST=ADDR:PORT" or "ADDR:PORT" */
	bool no_dane;
	unsigned tlsa_port;
	unsigned refresh_before;
	unsigned refresh_interval;

	/* service */
	char *default_answer;		/* NULL = NOTFOUND */
	unsigned workers;
	unsigned max_clients;
	unsigned max_pending;
	unsigned request_timeout_ms;
	unsigned idle_timeout;
	unsigned cache_entries;
	unsigned max_cache_ttl;
};

/* Read path (NULL: defaults only) and then the "Name=value" overrides
 * (NULL-terminated, from -o).  Returns the conf or NULL with "FILE:LINE:
 * problem" in err.  A missing file is an error only when must_exist. */
struct conf *conf_load(const char *path, bool must_exist, char *const *overrides, char *err,
    size_t errlen);
void conf_free(struct conf *c);

/* ---- logging (main.c) ---- */

void slog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- counters ---- */

enum { ST_SOCKETMAP = 0, ST_TCPTABLE, ST_NPROTO };

struct stats {
	atomic_ulong connections, rejected_connections;
	atomic_ulong requests[ST_NPROTO];
	atomic_ulong bad_requests;
	atomic_ulong answers_ok, answers_notfound, answers_temp, answers_perm;
	atomic_ulong kinds[INKAN_STS_TEMPFAIL + 1];
	atomic_ulong cache_hits, cache_misses, coalesced, overloaded, timeouts;
	atomic_ulong lookups, lookup_us_sum;
	atomic_ulong lookup_bucket[9];
	atomic_ulong refreshes, refreshed_policies, refresh_errors;
	atomic_ulong sessions_written, session_lines_bad, maillog_lines, maillog_unmatched;
	atomic_ulong reloads, reload_failures;
};

extern struct stats ST;

/* ---- workers (worker.c) ---- */

struct job {
	struct job *next;
	char *domain;			/* the policy domain (key of the cache) */
	char *nexthop;			/* as Postfix asked */
	uint64_t id;
};

/* An answer, self-contained (malloc'd strings), as the cache keeps it. */
struct result {
	struct result *next;
	uint64_t job_id;
	char *domain;
	enum inkan_sts_kind kind;
	char *postfix;			/* NULL unless DANE / STS enforce */
	char *why;
	enum inkan_sts_cache_state cache;
	uint32_t ttl;
	/* TLS-RPT: "sts", "tlsa" or "no-policy-found" and the strings
	 * joined with '|' ("-" for none) */
	char *rpt_type;
	char *rpt_strings;
	uint64_t lookup_us;
	bool failed;			/* out of memory: answer TEMP */
};

void result_free(struct result *r);

struct workers;

/* Start n workers, each with its own resolver and engine from c.
 * notify_fd is written (an eventfd) when a result is ready. */
int workers_start(const struct conf *c, unsigned n, int notify_fd, struct workers **out,
    char *err, size_t errlen);
/* Queue a job (takes ownership). */
void workers_submit(struct workers *w, struct job *j);
/* Take every finished result (a list, oldest first). */
struct result *workers_take(struct workers *w);
/* Stop and join the workers; queued jobs are dropped. */
void workers_stop(struct workers *w);
size_t workers_queued(struct workers *w);

/* ---- intake (intake.c) ---- */

struct intake;

/* The policy the daemon answered for a domain, as TLS-RPT wants it. */
struct intake *intake_new(const char *state_dir, size_t policy_memory);
void intake_free(struct intake *in);
/* Remember the policy of an answer (r->rpt_*), for the log reader. */
void intake_note_policy(struct intake *in, const struct result *r, int64_t now);
/* One TLS-RPT session line: checked with inkan_tlsrpt_session_parse and
 * appended to the day's file.  0, or -1 with why. */
int intake_session_line(struct intake *in, const char *line, size_t len, char *why,
    size_t whylen);
/* One Postfix log line. */
void intake_maillog_line(struct intake *in, const char *line, size_t len, int64_t now);
/* Flush the day's file. */
void intake_flush(struct intake *in);

/* ---- the server (server.c) ---- */

/* Run the loop until SIGTERM/SIGINT; SIGHUP reloads.  Returns the exit
 * code. */
int server_run(struct conf *boot, const char *conf_path, char *const *overrides,
    bool conf_must_exist);
/* Open every listener of c before privileges are dropped; 0 or -1. */
int server_listen(const struct conf *c);

#endif
