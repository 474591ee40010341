/* cmd_survey_run.c - `inkan survey run`.
 *
 * Surveys a list of domains (one per line, an optional category in the
 * second column) or the delegated names of a master-format zone file
 * through the bulk driver (bulk.h): --jobs domains in flight over one
 * shared cache, the pacer (a global --qps cap and --retries with
 * exponential backoff) in front of the asynchronous source, each result
 * written to the SQLite store as it comes.  Domains the store already
 * holds are skipped, so a run that was interrupted continues where it
 * stopped.  Jobs are fed from done(), so memory depends on --jobs, not
 * on the length of the input.
 *
 * --shard i/N keeps the domains whose stable hash (input.c) falls in
 * shard i, so N machines together survey each domain once.  The table
 * survey_meta records what the run was (shard, input digest, options,
 * start and end) for the report side, which merges shards.
 *
 * --fetch-policies and --probe-tls add a stage after DNS (survey_stage.c):
 * blocking HTTPS and SMTP work in a few worker threads.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/survey.h"
#include "survey_stage.h"

enum {
	OPT_DB = OPT_FIRST_LOCAL,
	OPT_JOBS,
	OPT_QPS,
	OPT_ASYNC_BACKEND,
	OPT_QUIET,
	OPT_LIMIT,
	OPT_RETRIES,
	OPT_ZONE_FILE,
	OPT_SHARD,
	OPT_FETCH_POLICIES,
	OPT_PROBE_TLS,
	OPT_CA_FILE,
	OPT_CONNECT,
	OPT_PROBE_RATE,
	OPT_STAGE_JOBS,
	OPT_PROBE_TIMEOUT,
};

static const char run_help[] =
"usage: inkan survey run --db FILE [OPTIONS] [INPUT|-]\n"
"       inkan survey run --db FILE --zone-file ZONE [OPTIONS]\n"
"\n"
"Survey every domain of INPUT (one per line, optionally followed by a\n"
"category; '#' starts a comment; default standard input), or every\n"
"delegated name of a master-format zone file (NS owners below the apex;\n"
"glue ignored), from DNS: MX, SPF, DMARC, MTA-STS, TLS-RPT, BIMI, DNSSEC,\n"
"DANE and DKIM presence.  An INPUT file that starts like a zone file\n"
"($ORIGIN, $TTL, or an SOA or NS record) is read as one.  Results go to\n"
"the table survey_domain of the SQLite file FILE as they come; domains\n"
"already there are skipped, so an interrupted run is continued by\n"
"running it again with the same input and options.\n"
"\n"
"Options:\n"
"  --db FILE            the SQLite store (created if needed); required\n"
"  --zone-file ZONE     read the delegated names of this master file\n"
"  --shard I/N          survey only shard I of N (1 <= I <= N): the domains\n"
"                       whose 64-bit FNV-1a hash of the lowercased name,\n"
"                       modulo N, is I-1; N machines with I = 1..N survey\n"
"                       each domain exactly once\n"
"  --jobs N             domains in flight at once (default 1000, or enough\n"
"                       for --qps over --timeout, at most 20000)\n"
"  --qps N              at most N queries a second in all, retries included\n"
"                       (default: no cap)\n"
"  --retries N          send a query that timed out or got SERVFAIL up to N\n"
"                       more times, after 250 ms, 500 ms, 1 s, ... (0..10,\n"
"                       default 2)\n"
"  --limit N            survey at most N new domains, then stop\n"
"  --quiet              no progress line, even on a terminal\n"
"  --async-backend auto|stub|unbound\n"
"                       how queries go out: auto (default, or $INKAN_ASYNC)\n"
"                       takes the lean stub with one --resolver and\n"
"                       --no-dnssec (no validation), otherwise libunbound\n"
"Beyond DNS (off by default; both open connections to the domains' hosts):\n"
"  --fetch-policies     fetch the MTA-STS policy of each domain with an\n"
"                       _mta-sts record; stores its mode (enforce, testing,\n"
"                       none) or fetch-error\n"
"  --probe-tls          connect to port 25 of each MX host (first IPv4\n"
"                       address) and try STARTTLS; stores yes, no or error\n"
"                       and the TLS version; each address is probed once a\n"
"                       run, never twice at once, the result shared by all\n"
"                       its domains\n"
"  --probe-rate N       at most N new connections a second in all (default 20)\n"
"  --stage-jobs N       policy fetches and probes at once (default 16)\n"
"  --probe-timeout MS   per step of a fetch or probe (default 10000)\n"
"  --ca-file FILE       trusted CAs (PEM) for the HTTPS and SMTP certificates\n"
"  --connect HOST[:PORT]=ADDR[:PORT]\n"
"                       connect to ADDR instead of HOST's address (PORT 25 is\n"
"                       SMTP, 443 the MTA-STS policy; HOST * is any host);\n"
"                       repeatable; for tests and private set-ups\n"
CLI_COMMON_HELP
"\n"
"The run summary on standard error counts domains, queries sent, retries,\n"
"timeouts and SERVFAILs, and queries that still failed after their retries.\n"
"\n"
"Exit status: 0 done, 64 usage (or a store made with another shard, input\n"
"or options), 65 bad input, 69 resolver setup failed, 70 store or driver\n"
"failure, 75 interrupted (run again to continue).\n";

struct run_opts {
	struct cli cli;
	const char *db;
	size_t jobs;
	bool jobs_set;
	unsigned qps, retries;
	const char *async_backend;
	const char *input, *zone_file;
	unsigned shard_i, shard_n;
	bool quiet;
	unsigned long limit;
	struct survey_stage_opts stage;
};

struct job;

struct run {
	struct run_opts *o;
	FILE *in;
	struct inkan_survey_zone *zone;
	size_t lineno;
	struct inkan_survey_store *store;
	struct inkan_bulk *bulk;
	struct survey_stage *stage;
	EVP_MD_CTX *md;		/* digest of standard input, as read */
	bool eof, stop;
	int err;		/* store or driver error: stop */
	int input_err;		/* bad zone file: stop, exit 65 */
	unsigned long total, skipped, done, errors, bad, started, other_shard;
	bool progress;
	struct timespec t0, last;
};

struct job {
	struct run *run;
	struct inkan_arena *a;
	struct inkan_survey_result res;
	char *category;
	char domain[];
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
progress(struct run *r, bool final)
{
	double t, since;
	unsigned long left, seen;

	if (!r->progress)
		return;
	since = elapsed(&r->last);
	if (!final && since < 0.25)
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->last);
	t = elapsed(&r->t0);
	seen = r->done + r->skipped + r->other_shard;
	left = r->total > seen ? r->total - seen : 0;
	fprintf(stderr, "\r%lu/%lu done (%lu skipped), %.0f/s, ETA %.0fs, %lu errors   ",
	    seen, r->total, r->skipped + r->other_shard, t > 0 ? (double)r->done / t : 0.0,
	    r->done > 0 && t > 0 ? (double)left / ((double)r->done / t) : 0.0, r->errors);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static int feed(struct run *r);

static int
job_run(void *arg, struct inkan_resolver *res)
{
	struct job *j = arg;
	unsigned flags = 0;

	if (j->a == NULL && (j->a = inkan_arena_new()) == NULL)
		return INKAN_ENOMEM;
	inkan_arena_reset(j->a);
	if (j->run->o->stage.probe_tls)
		flags |= INKAN_SURVEY_WANT_MX_ADDR;
	return inkan_survey_domain_ex(res, j->a, j->domain, flags, &j->res);
}

/* Store a finished domain (from the main thread, or from the stage
 * through survey_stage_store). */
static int
store_job(void *arg, struct inkan_survey_store *store, int rc)
{
	struct job *j = arg;

	return inkan_survey_store_put(store, j->category, j->domain, &j->res, rc);
}

static void
free_job(void *arg)
{
	struct job *j = arg;

	inkan_arena_free(j->a);
	free(j);
}

static void
job_done(void *arg, int rc)
{
	struct job *j = arg;
	struct run *r = j->run;
	int src;

	if (rc != 0)
		r->errors++;
	r->done++;
	if (rc == 0 && r->stage != NULL && survey_stage_wants(r->stage, &j->res)) {
		/* HTTPS and SMTP work: stored by the stage when done */
		if ((src = survey_stage_add(r->stage, j->domain, &j->res, j->a, j)) != 0 &&
		    r->err == 0)
			r->err = src;
	} else {
		if ((src = survey_stage_store(r->stage, r->store, store_job, j, rc)) != 0 &&
		    r->err == 0)
			r->err = src;
		free_job(j);
	}
	progress(r, false);
	if (interrupted)
		r->stop = true;
	if (!r->stop && r->err == 0)
		(void)feed(r);
}

/* The next domain of the input: 1 with *dom and *cat (in buf or the
 * zone), 0 at the end, -1 when the input is unusable (r->input_err). */
static int
next_domain(struct run *r, char *buf, size_t size, char **dom, char **cat)
{
	for (;;) {
		const char *why;
		int rc;

		if (r->zone != NULL) {
			const char *name;
			size_t line;

			rc = inkan_survey_zone_next(r->zone, &name, &line, &why);
			if (rc < 0) {
				fprintf(stderr, "inkan survey run: %s: line %zu: %s\n",
				    r->o->zone_file != NULL ? r->o->zone_file : r->o->input, line,
				    why != NULL ? why : inkan_strerror(rc));
				r->input_err = rc;
				return -1;
			}
			if (rc == 0)
				return 0;
			r->lineno++;
			if (strlen(name) >= size)
				continue;
			memcpy(buf, name, strlen(name) + 1);
			/* the same checks as a list line: one label, bad bytes */
			rc = inkan_survey_line_parse(buf, dom, cat, &why);
			if (rc == 1) {
				*cat = NULL;
				return 1;
			}
			fprintf(stderr, "inkan survey run: delegation '%s': %s; skipped\n", name,
			    rc < 0 ? why : "empty");
			r->bad++;
			continue;
		}
		if (fgets(buf, (int)size, r->in) == NULL) {
			if (ferror(r->in)) {
				r->err = INKAN_EIO;
				return -1;
			}
			return 0;
		}
		r->lineno++;
		if (r->md != NULL)
			EVP_DigestUpdate(r->md, buf, strlen(buf));
		if (strchr(buf, '\n') == NULL && !feof(r->in)) {
			int c;

			fprintf(stderr, "inkan survey run: line %zu: longer than %d bytes; skipped\n",
			    r->lineno, INKAN_SURVEY_MAX_LINE);
			while ((c = fgetc(r->in)) != EOF) {
				char ch = (char)c;

				if (r->md != NULL)
					EVP_DigestUpdate(r->md, &ch, 1);
				if (c == '\n')
					break;
			}
			r->bad++;
			continue;
		}
		rc = inkan_survey_line_parse(buf, dom, cat, &why);
		if (rc == 1)
			return 1;
		if (rc < 0) {
			fprintf(stderr, "inkan survey run: line %zu: '%s': %s; skipped\n", r->lineno,
			    buf, why);
			r->bad++;
		}
	}
}

/* Read the input until one new domain is queued (or the input ends). */
static int
feed(struct run *r)
{
	char line[INKAN_SURVEY_MAX_LINE + 2];

	while (!r->eof && !r->stop && r->err == 0 && r->input_err == 0) {
		char *dom, *cat;
		struct job *j;
		size_t dlen, clen;
		struct inkan_bulk_job bj;
		int rc;

		if (r->o->limit > 0 && r->started >= r->o->limit) {
			r->eof = true;
			break;
		}
		if ((rc = next_domain(r, line, sizeof(line), &dom, &cat)) <= 0) {
			r->eof = true;
			break;
		}
		if (!inkan_survey_in_shard(dom, r->o->shard_i, r->o->shard_n)) {
			r->other_shard++;
			continue;
		}
		if (inkan_survey_store_has(r->store, dom)) {
			r->skipped++;
			continue;
		}
		dlen = strlen(dom);
		clen = cat != NULL ? strlen(cat) : 0;
		if ((j = calloc(1, sizeof(*j) + dlen + 1 + clen + 1)) == NULL) {
			r->err = INKAN_ENOMEM;
			break;
		}
		j->run = r;
		memcpy(j->domain, dom, dlen + 1);
		j->category = j->domain + dlen + 1;
		if (cat != NULL)
			memcpy(j->category, cat, clen + 1);
		bj.run = job_run;
		bj.done = job_done;
		bj.arg = j;
		if ((r->err = inkan_bulk_add(r->bulk, &bj)) != 0) {
			free(j);
			break;
		}
		r->started++;
		return 1;
	}
	return 0;
}

/* Lines and SHA-256 of a regular file (one pass), for the progress line
 * and survey_meta; false when f is not a regular file. */
static bool
scan_file(FILE *f, unsigned long *lines, char hex[65])
{
	struct stat st;
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *c;
	size_t n;

	*lines = 0;
	hex[0] = '\0';
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	if ((c = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return false;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(c, buf, n);
		for (size_t i = 0; i < n; i++)
			*lines += buf[i] == '\n';
	}
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rewind(f);
	return true;
}

static void
rfc3339_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* survey_meta: the same store must be resumed with the same shard,
 * input and options, or its rows would mix two surveys. */
static int
meta_start(struct run *r, const char *sha)
{
	struct run_opts *o = r->o;
	char shard[32], opts[128], have[128], now[32];
	static const char *const keys[] = { "shard", "input_sha256", "options" };
	const char *want[3];

	snprintf(shard, sizeof(shard), "%u/%u", o->shard_i, o->shard_n);
	snprintf(opts, sizeof(opts), "%s%s%s%s%s", o->stage.fetch_policies ? "fetch-policies" : "",
	    o->stage.fetch_policies && o->stage.probe_tls ? "," : "",
	    o->stage.probe_tls ? "probe-tls" : "",
	    (o->stage.fetch_policies || o->stage.probe_tls) && o->cli.no_dnssec ? "," : "",
	    o->cli.no_dnssec ? "no-dnssec" : "");
	want[0] = shard;
	want[1] = sha;
	want[2] = opts;
	for (int i = 0; i < 3; i++) {
		if (want[i] == NULL || (*want[i] == '\0' && i == 1))
			continue;
		if (inkan_survey_store_meta_get(r->store, keys[i], have, sizeof(have)) == 0 &&
		    strcmp(have, want[i]) != 0 && inkan_survey_store_count(r->store) > 0) {
			cli_error(&o->cli, "%s was surveyed with %s '%s', not '%s': resume it with the "
			    "same input and options, or use another --db", o->db, keys[i], have,
			    want[i]);
			return EXIT_USAGE;
		}
	}
	rfc3339_now(now);
	if (inkan_survey_store_meta_set(r->store, "shard", shard) != 0 ||
	    inkan_survey_store_meta_set(r->store, "options", opts) != 0 ||
	    (sha != NULL && *sha != '\0' &&
	    inkan_survey_store_meta_set(r->store, "input_sha256", sha) != 0) ||
	    (inkan_survey_store_meta_get(r->store, "started", have, sizeof(have)) != 0 &&
	    inkan_survey_store_meta_set(r->store, "started", now) != 0) ||
	    inkan_survey_store_meta_set(r->store, "finished", "") != 0) {
		cli_error(&o->cli, "%s: cannot write survey_meta", o->db);
		return EXIT_SOFTWARE;
	}
	return 0;
}

static int
survey_run(struct run_opts *o)
{
	struct run r;
	struct inkan_resolver *cache_only = NULL;
	struct inkan_async *as = NULL, *paced = NULL;
	struct inkan_survey_pacing pacing;
	const char *why = NULL;
	char sha[65] = "";
	struct sigaction sa;
	int rc, exit_code = 0;
	bool is_zone = o->zone_file != NULL;

	memset(&r, 0, sizeof(r));
	r.o = o;
	if (is_zone) {
		if ((r.in = fopen(o->zone_file, "r")) == NULL) {
			cli_error(&o->cli, "%s: %s", o->zone_file, strerror(errno));
			return EXIT_DATAERR;
		}
	} else if (o->input == NULL || strcmp(o->input, "-") == 0) {
		r.in = stdin;
	} else if ((r.in = fopen(o->input, "r")) == NULL) {
		cli_error(&o->cli, "%s: %s", o->input, strerror(errno));
		return EXIT_DATAERR;
	}
	if (scan_file(r.in, &r.total, sha)) {
		if (!is_zone) {
			char first[INKAN_SURVEY_MAX_LINE + 2];

			/* the first significant line tells a zone file */
			while (fgets(first, sizeof(first), r.in) != NULL) {
				const char *p = first + strspn(first, " \t\r\n");

				if (*p == '\0' || *p == '#' || *p == ';')
					continue;
				is_zone = inkan_survey_looks_like_zone(first);
				break;
			}
			rewind(r.in);
		}
	} else if (is_zone) {
		cli_error(&o->cli, "%s: not a regular file", o->zone_file);
		exit_code = EXIT_DATAERR;
		goto out;
	} else if ((r.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(r.md, EVP_sha256(), NULL) != 1) {
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	if (is_zone) {
		if (inkan_survey_zone_open(r.in, NULL, &r.zone) != 0) {
			exit_code = EXIT_SOFTWARE;
			goto out;
		}
		r.total = 0;	/* lines, not delegations */
	}
	if ((rc = inkan_survey_store_open(o->db, &r.store, &why)) != 0) {
		cli_error(&o->cli, "%s: %s", o->db, why != NULL ? why : inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	if ((exit_code = meta_start(&r, sha)) != 0)
		goto out;
	if ((exit_code = cli_resolver_open(&o->cli)) != 0)
		goto out;
	if (inkan_resolver_cache_new(NULL, o->jobs * INKAN_SURVEY_CACHE_PER_JOB >
	    INKAN_SURVEY_CACHE_MIN ? o->jobs * INKAN_SURVEY_CACHE_PER_JOB :
	    INKAN_SURVEY_CACHE_MIN, &cache_only) != 0) {
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	if (o->cli.trace)
		inkan_resolver_set_trace(cache_only, o->cli.cache->trace, o->cli.cache->trace_arg);
	memset(&pacing, 0, sizeof(pacing));
	pacing.qps = o->qps;
	pacing.retries = o->retries;
	if (o->qps > 0) {
		/* Little's law again: qps x timeout tries may be waiting */
		size_t w = (size_t)o->qps * (o->cli.timeout_ms != 0 ? o->cli.timeout_ms :
		    INKAN_DNS_DEFAULT_TIMEOUT_MS) / 1000;

		pacing.window = w < INKAN_SURVEY_DEFAULT_WINDOW ? INKAN_SURVEY_DEFAULT_WINDOW :
		    w > INKAN_DNS_STUB_MAX_INFLIGHT ? INKAN_DNS_STUB_MAX_INFLIGHT : w;
	}
	rc = cli_async_open(&o->cli, o->async_backend, &as);
	if (rc == 0)
		rc = inkan_survey_async_pacer_new(as, &pacing, &paced);
	if (rc != 0 || (rc = inkan_bulk_new(cache_only, paced, o->jobs, &r.bulk)) != 0) {
		cli_error(&o->cli, "cannot start the survey: %s", inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	if ((o->stage.fetch_policies || o->stage.probe_tls) &&
	    (rc = survey_stage_new(&o->stage, r.store, store_job, free_job, &r.stage)) != 0) {
		cli_error(&o->cli, "cannot start the fetch/probe stage: %s", inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	r.progress = !o->quiet && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (size_t i = 0; i < o->jobs && feed(&r) == 1; i++)
		continue;
	if ((rc = inkan_bulk_run(r.bulk)) != 0) {
		cli_error(&o->cli, "survey stopped: %s", inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
	}
	if (r.stage != NULL && (rc = survey_stage_finish(r.stage)) != 0 && r.err == 0)
		r.err = rc;
	if ((rc = inkan_survey_store_commit(r.store)) != 0 && r.err == 0)
		r.err = rc;
	progress(&r, true);
	if (r.input_err != 0) {
		exit_code = EXIT_DATAERR;
	} else if (r.err != 0) {
		cli_error(&o->cli, "%s: %s", o->db, inkan_strerror(r.err));
		exit_code = EXIT_SOFTWARE;
	} else if (r.stop && exit_code == 0) {
		cli_error(&o->cli, "interrupted after %lu domains; run again to continue", r.done);
		exit_code = 75;
	}
	if (exit_code == 0 && r.eof && o->limit == 0) {
		char now[32];

		if (r.md != NULL) {
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned mdlen = 0;

			EVP_DigestFinal_ex(r.md, md, &mdlen);
			for (unsigned i = 0; i < mdlen; i++)
				snprintf(sha + 2 * i, 3, "%02x", md[i]);
			(void)inkan_survey_store_meta_set(r.store, "input_sha256", sha);
		}
		rfc3339_now(now);
		if (inkan_survey_store_meta_set(r.store, "finished", now) != 0) {
			cli_error(&o->cli, "%s: cannot write survey_meta", o->db);
			exit_code = EXIT_SOFTWARE;
		}
	}
	if (!o->quiet && !r.progress && (exit_code == 0 || exit_code == 75)) {
		struct inkan_bulk_stats st;
		struct inkan_survey_pacer_stats ps;

		inkan_bulk_get_stats(r.bulk, &st);
		inkan_survey_pacer_get_stats(paced, &ps);
		fprintf(stderr, "inkan survey run: %lu surveyed, %lu already stored, %lu errors, "
		    "%lu bad lines, %.1f s, %lu queries sent, %lu retries (%lu timeouts, "
		    "%lu SERVFAIL), %lu queries failed after retries, %lu in other shards\n",
		    r.done, r.skipped, r.errors, r.bad, elapsed(&r.t0), st.queries_sent,
		    ps.retries, ps.timeouts, ps.servfails, ps.failed, r.other_shard);
		if (r.stage != NULL)
			survey_stage_summary(r.stage, stderr);
	}
out:
	survey_stage_free(r.stage);
	inkan_bulk_free(r.bulk);
	inkan_async_free(paced);
	inkan_async_free(as);
	inkan_resolver_free(cache_only);
	inkan_survey_store_close(r.store);
	cli_resolver_close(&o->cli);
	inkan_survey_zone_close(r.zone);
	EVP_MD_CTX_free(r.md);
	if (r.in != NULL && r.in != stdin)
		fclose(r.in);
	return exit_code;
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cmd_survey_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "db", required_argument, NULL, OPT_DB },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "qps", required_argument, NULL, OPT_QPS },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "async-backend", required_argument, NULL, OPT_ASYNC_BACKEND },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "zone-file", required_argument, NULL, OPT_ZONE_FILE },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "fetch-policies", no_argument, NULL, OPT_FETCH_POLICIES },
		{ "probe-tls", no_argument, NULL, OPT_PROBE_TLS },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "probe-rate", required_argument, NULL, OPT_PROBE_RATE },
		{ "stage-jobs", required_argument, NULL, OPT_STAGE_JOBS },
		{ "probe-timeout", required_argument, NULL, OPT_PROBE_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.cli.prog = "inkan survey run";
	o.jobs = INKAN_BULK_DEFAULT_JOBS;
	o.retries = INKAN_SURVEY_DEFAULT_RETRIES;
	o.shard_i = o.shard_n = 1;
	o.async_backend = cli_async_default();
	survey_stage_opts_default(&o.stage);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		unsigned long v;

		if ((rc = cli_common_opt(&o.cli, c, optarg)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(run_help, stdout);
			return 0;
		case OPT_DB:
			o.db = optarg;
			break;
		case OPT_JOBS:
			if (parse_uint(optarg, 1, 1000000, &v) != 0)
				return cli_usage_error(&o.cli, "--jobs wants 1..1000000");
			o.jobs = v;
			o.jobs_set = true;
			break;
		case OPT_QPS:
			if (parse_uint(optarg, 1, INKAN_SURVEY_MAX_QPS, &v) != 0)
				return cli_usage_error(&o.cli, "--qps wants 1..%d", INKAN_SURVEY_MAX_QPS);
			o.qps = (unsigned)v;
			break;
		case OPT_RETRIES:
			if (parse_uint(optarg, 0, INKAN_SURVEY_MAX_RETRIES, &v) != 0)
				return cli_usage_error(&o.cli, "--retries wants 0..%d",
				    INKAN_SURVEY_MAX_RETRIES);
			o.retries = (unsigned)v;
			break;
		case OPT_LIMIT:
			if (parse_uint(optarg, 1, (unsigned long)-1, &v) != 0)
				return cli_usage_error(&o.cli, "--limit wants a positive number");
			o.limit = v;
			break;
		case OPT_SHARD: {
			char *slash = strchr(optarg, '/');
			unsigned long i, n;

			if (slash == NULL)
				return cli_usage_error(&o.cli, "--shard wants I/N, not '%s'", optarg);
			*slash = '\0';
			if (parse_uint(slash + 1, 1, INKAN_SURVEY_MAX_SHARDS, &n) != 0 ||
			    parse_uint(optarg, 1, n, &i) != 0)
				return cli_usage_error(&o.cli, "--shard wants I/N with 1 <= I <= N <= %d",
				    INKAN_SURVEY_MAX_SHARDS);
			o.shard_i = (unsigned)i;
			o.shard_n = (unsigned)n;
			break;
		}
		case OPT_QUIET:
			o.quiet = true;
			break;
		case OPT_ASYNC_BACKEND:
			o.async_backend = optarg;
			break;
		case OPT_ZONE_FILE:
			o.zone_file = optarg;
			break;
		case OPT_FETCH_POLICIES:
			o.stage.fetch_policies = true;
			break;
		case OPT_PROBE_TLS:
			o.stage.probe_tls = true;
			break;
		case OPT_CA_FILE:
			o.stage.ca_file = optarg;
			break;
		case OPT_CONNECT:
			if (survey_stage_add_connect(&o.stage, optarg) != 0)
				return cli_usage_error(&o.cli, "--connect wants HOST[:PORT]=ADDR[:PORT], "
				    "at most %d", SURVEY_STAGE_MAX_CONNECT);
			break;
		case OPT_PROBE_RATE:
			if (parse_uint(optarg, 1, 100000, &v) != 0)
				return cli_usage_error(&o.cli, "--probe-rate wants 1..100000");
			o.stage.probe_rate = (unsigned)v;
			break;
		case OPT_STAGE_JOBS:
			if (parse_uint(optarg, 1, SURVEY_STAGE_MAX_THREADS, &v) != 0)
				return cli_usage_error(&o.cli, "--stage-jobs wants 1..%d",
				    SURVEY_STAGE_MAX_THREADS);
			o.stage.threads = (unsigned)v;
			break;
		case OPT_PROBE_TIMEOUT:
			if (parse_uint(optarg, 1, 600000, &v) != 0)
				return cli_usage_error(&o.cli, "--probe-timeout wants 1..600000");
			o.stage.timeout_ms = (unsigned)v;
			break;
		default:
			return cli_usage_error(&o.cli, "unknown option");
		}
	}
	if (o.db == NULL)
		return cli_usage_error(&o.cli, "--db FILE is required");
	if ((rc = cli_async_check(&o.cli, o.async_backend)) != 0)
		return rc;
	if (argc - optind > (o.zone_file != NULL ? 0 : 1))
		return cli_usage_error(&o.cli, o.zone_file != NULL ?
		    "--zone-file takes the place of INPUT" : "wants at most one INPUT");
	o.input = optind < argc ? argv[optind] : NULL;
	if (!o.jobs_set && o.qps > 0) {
		/* Little's law: qps x timeout queries in flight, ~4 a domain */
		unsigned long t = o.cli.timeout_ms != 0 ? o.cli.timeout_ms :
		    INKAN_DNS_DEFAULT_TIMEOUT_MS;
		unsigned long want = (unsigned long)o.qps * t / 1000 / 4;

		if (want > o.jobs)
			o.jobs = want < INKAN_SURVEY_MAX_AUTO_JOBS ? want : INKAN_SURVEY_MAX_AUTO_JOBS;
	}
	return survey_run(&o);
}
