/* cmd_survey.c - `inkan survey run` and `inkan survey report`.
 *
 * run surveys a list of domains (one per line, an optional category in
 * the second column) through the bulk driver (bulk.h): --jobs domains in
 * flight over one shared cache, a global --qps cap in front of the
 * asynchronous source, each result written to the SQLite store as it
 * comes.  Domains the store already holds are skipped, so a run that was
 * interrupted continues where it stopped.  Jobs are fed from done(), so
 * memory depends on --jobs, not on the length of the list.
 *
 * report and merge are in cmd_survey_report.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/survey.h"
#include "survey_report.h"

enum {
	OPT_DB = OPT_FIRST_LOCAL,
	OPT_JOBS,
	OPT_QPS,
	OPT_ASYNC_BACKEND,
	OPT_CSV,
	OPT_MARKDOWN,
	OPT_QUIET,
	OPT_LIMIT,
};

static const char run_help[] =
"usage: inkan survey run --db FILE [OPTIONS] [INPUT|-]\n"
"\n"
"Survey every domain of INPUT (one per line, optionally followed by a\n"
"category; '#' starts a comment; default standard input) from DNS: MX,\n"
"SPF, DMARC, MTA-STS, TLS-RPT, BIMI, DNSSEC, DANE and DKIM presence.\n"
"Results go to the table survey_domain of the SQLite file FILE as they\n"
"come; domains already there are skipped, so an interrupted run is\n"
"continued by running it again.\n"
"\n"
"Options:\n"
"  --db FILE            the SQLite store (created if needed); required\n"
"  --jobs N             domains in flight at once (default 1000)\n"
"  --qps N              at most N queries a second in all (default: no cap)\n"
"  --limit N            survey at most N new domains, then stop\n"
"  --quiet              no progress line, even on a terminal\n"
"  --async-backend auto|stub|unbound\n"
"                       how queries go out: auto (default, or $INKAN_ASYNC)\n"
"                       takes the lean stub with one --resolver and\n"
"                       --no-dnssec (no validation), otherwise libunbound\n"
CLI_COMMON_HELP
"\n"
"Exit status: 0 done, 64 usage, 65 bad input, 69 resolver setup failed,\n"
"70 store or driver failure, 75 interrupted (run again to continue).\n";

struct run_opts {
	struct cli cli;
	const char *db;
	size_t jobs;
	unsigned qps;
	const char *async_backend;
	const char *input;
	bool quiet;
	unsigned long limit;
};

struct job;

struct run {
	struct run_opts *o;
	FILE *in;
	size_t lineno;
	struct inkan_survey_store *store;
	struct inkan_bulk *bulk;
	struct inkan_arena *scratch;
	bool eof, stop;
	int err;		/* store or driver error: stop */
	unsigned long total, skipped, done, errors, bad, started;
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
	unsigned long left;

	if (!r->progress)
		return;
	since = elapsed(&r->last);
	if (!final && since < 0.25)
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->last);
	t = elapsed(&r->t0);
	left = r->total > r->done + r->skipped ? r->total - r->done - r->skipped : 0;
	fprintf(stderr, "\r%lu/%lu done (%lu skipped), %.0f/s, ETA %.0fs, %lu errors   ",
	    r->done + r->skipped, r->total, r->skipped, t > 0 ? (double)r->done / t : 0.0,
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

	if (j->a == NULL && (j->a = inkan_arena_new()) == NULL)
		return INKAN_ENOMEM;
	inkan_arena_reset(j->a);
	return inkan_survey_domain(res, j->a, j->domain, &j->res);
}

static void
job_done(void *arg, int rc)
{
	struct job *j = arg;
	struct run *r = j->run;
	int src;

	if (rc != 0)
		r->errors++;
	if ((src = inkan_survey_store_put(r->store, j->category, j->domain, &j->res, rc)) != 0 &&
	    r->err == 0)
		r->err = src;
	r->done++;
	inkan_arena_free(j->a);
	free(j);
	progress(r, false);
	if (interrupted)
		r->stop = true;
	if (!r->stop && r->err == 0)
		(void)feed(r);
}

/* Read input lines until one new domain is queued (or the input ends). */
static int
feed(struct run *r)
{
	char line[INKAN_SURVEY_MAX_LINE + 2];

	while (!r->eof && !r->stop && r->err == 0) {
		char *dom, *cat, *save = NULL;
		const char *why;
		struct job *j;
		size_t dlen, clen;
		struct inkan_bulk_job bj;

		if (r->o->limit > 0 && r->started >= r->o->limit) {
			r->eof = true;
			break;
		}
		if (fgets(line, sizeof(line), r->in) == NULL) {
			r->eof = true;
			if (ferror(r->in))
				r->err = INKAN_EIO;
			break;
		}
		r->lineno++;
		if (strchr(line, '\n') == NULL && !feof(r->in)) {
			int c;

			fprintf(stderr, "inkan survey run: line %zu: longer than %d bytes; skipped\n",
			    r->lineno, INKAN_SURVEY_MAX_LINE);
			while ((c = fgetc(r->in)) != EOF && c != '\n')
				continue;
			r->bad++;
			continue;
		}
		if ((dom = strchr(line, '#')) != NULL)
			*dom = '\0';
		dom = strtok_r(line, " \t\r\n,", &save);
		if (dom == NULL)
			continue;
		cat = strtok_r(NULL, " \t\r\n,", &save);
		dlen = strlen(dom);
		if (dlen > 1 && dom[dlen - 1] == '.')
			dom[--dlen] = '\0';
		for (size_t i = 0; i < dlen; i++)
			if (dom[i] >= 'A' && dom[i] <= 'Z')
				dom[i] = (char)(dom[i] - 'A' + 'a');
		if (inkan_dname_check(dom, dlen, INKAN_DNAME_MULTILABEL, &why) != 0) {
			fprintf(stderr, "inkan survey run: line %zu: '%s': %s; skipped\n", r->lineno,
			    dom, why);
			r->bad++;
			continue;
		}
		if (inkan_survey_store_has(r->store, dom)) {
			r->skipped++;
			continue;
		}
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

/* Lines of a regular file, for the progress line; 0 when unknown. */
static unsigned long
count_lines(FILE *f)
{
	struct stat st;
	unsigned long n = 0;
	int c;

	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	while ((c = getc(f)) != EOF)
		if (c == '\n')
			n++;
	rewind(f);
	return n;
}

static int
survey_run(struct run_opts *o)
{
	struct run r;
	struct inkan_resolver *cache_only = NULL;
	struct inkan_async *as = NULL, *capped = NULL;
	const char *why = NULL;
	struct sigaction sa;
	int rc, exit_code = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	if (o->input == NULL || strcmp(o->input, "-") == 0)
		r.in = stdin;
	else if ((r.in = fopen(o->input, "r")) == NULL) {
		cli_error(&o->cli, "%s: %s", o->input, strerror(errno));
		return EXIT_DATAERR;
	}
	if ((rc = inkan_survey_store_open(o->db, &r.store, &why)) != 0) {
		cli_error(&o->cli, "%s: %s", o->db, why != NULL ? why : inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	if ((exit_code = cli_resolver_open(&o->cli)) != 0)
		goto out;
	if (inkan_resolver_cache_new(NULL, 0, &cache_only) != 0) {
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	if (o->cli.trace)
		inkan_resolver_set_trace(cache_only, o->cli.cache->trace, o->cli.cache->trace_arg);
	rc = cli_async_open(&o->cli, o->async_backend, &as);
	if (rc == 0)
		rc = inkan_survey_async_ratelimit_new(as, o->qps, &capped);
	if (rc != 0 || (rc = inkan_bulk_new(cache_only, capped, o->jobs, &r.bulk)) != 0) {
		cli_error(&o->cli, "cannot start the survey: %s", inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	r.total = count_lines(r.in);
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
	if ((rc = inkan_survey_store_commit(r.store)) != 0 && r.err == 0)
		r.err = rc;
	progress(&r, true);
	if (r.err != 0) {
		cli_error(&o->cli, "%s: %s", o->db, inkan_strerror(r.err));
		exit_code = EXIT_SOFTWARE;
	} else if (r.stop && exit_code == 0) {
		cli_error(&o->cli, "interrupted after %lu domains; run again to continue", r.done);
		exit_code = 75;
	}
	if (!o->quiet && !r.progress && exit_code == 0) {
		struct inkan_bulk_stats st;

		inkan_bulk_get_stats(r.bulk, &st);
		fprintf(stderr, "inkan survey run: %lu surveyed, %lu already stored, %lu errors, "
		    "%lu bad lines, %.1f s, %lu queries sent\n", r.done, r.skipped, r.errors, r.bad,
		    elapsed(&r.t0), st.queries_sent);
	}
out:
	inkan_bulk_free(r.bulk);
	inkan_async_free(capped);
	inkan_async_free(as);
	inkan_resolver_free(cache_only);
	inkan_survey_store_close(r.store);
	cli_resolver_close(&o->cli);
	if (r.in != NULL && r.in != stdin)
		fclose(r.in);
	return exit_code;
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "db", required_argument, NULL, OPT_DB },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "qps", required_argument, NULL, OPT_QPS },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "async-backend", required_argument, NULL, OPT_ASYNC_BACKEND },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.cli.prog = "inkan survey run";
	o.jobs = INKAN_BULK_DEFAULT_JOBS;
	o.async_backend = cli_async_default();
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
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
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0 || v > 1000000)
				return cli_usage_error(&o.cli, "--jobs wants 1..1000000");
			o.jobs = v;
			break;
		case OPT_QPS:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0 || v > INKAN_SURVEY_MAX_QPS)
				return cli_usage_error(&o.cli, "--qps wants 1..%d", INKAN_SURVEY_MAX_QPS);
			o.qps = (unsigned)v;
			break;
		case OPT_LIMIT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0)
				return cli_usage_error(&o.cli, "--limit wants a positive number");
			o.limit = v;
			break;
		case OPT_QUIET:
			o.quiet = true;
			break;
		case OPT_ASYNC_BACKEND:
			o.async_backend = optarg;
			break;
		default:
			return cli_usage_error(&o.cli, "unknown option");
		}
	}
	if (o.db == NULL)
		return cli_usage_error(&o.cli, "--db FILE is required");
	if ((rc = cli_async_check(&o.cli, o.async_backend)) != 0)
		return rc;
	if (argc - optind > 1)
		return cli_usage_error(&o.cli, "wants at most one INPUT");
	o.input = optind < argc ? argv[optind] : NULL;
	return survey_run(&o);
}

static const char survey_help[] =
"usage: inkan survey run --db FILE [OPTIONS] [INPUT|-]\n"
"       inkan survey report [--db] FILE... [--compare FILE]... [--by RULE]\n"
"           [--json|--csv|--markdown|--html]\n"
"       inkan survey merge --out FILE STORE...\n"
"\n"
"  run     survey a list of domains from DNS into a SQLite store (resumable)\n"
"  report  the adoption table by category (of one store, or of the shards\n"
"          of a run merged), optionally compared with another survey\n"
"  merge   merge the stores of a sharded run into one\n";

int
cmd_survey(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return cmd_survey_report(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "merge") == 0)
		return cmd_survey_merge(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(survey_help, stdout);
		return 0;
	}
	fputs(survey_help, stderr);
	return EXIT_USAGE;
}
