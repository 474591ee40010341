/* cmd_spf.c - `inkan spf check` and the `inkan spf` dispatcher.
 *
 * check evaluates RFC 7208 check_host() for one (IP, sender, HELO), or for
 * every line of a batch file.  A batch runs through the bulk driver
 * (bulk.h): all checks in flight at once over one shared cache, answers
 * printed in input order.  --sequential runs the same batch one check at a
 * time through the synchronous path, which is how the tests show that both
 * paths agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "jsonw.h"
#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/error.h"
#include "inkan/spf.h"

int cmd_spf_lint(int argc, char **argv);

enum {
	OPT_BATCH = OPT_FIRST_LOCAL,
	OPT_SEQUENTIAL,
	OPT_JOBS,
	OPT_RECEIVER,
	OPT_HELO_SCOPE,
	OPT_DEFAULT_EXP,
	OPT_NOW,
	OPT_ASYNC_BACKEND,
};

/* Exit codes of `inkan spf check`, one per verdict (documented in
 * inkan-spf(1)); a batch exits 0 when every line was evaluated. */
static const int verdict_exit[] = {
	[INKAN_SPF_PASS] = 0,
	[INKAN_SPF_FAIL] = 1,
	[INKAN_SPF_SOFTFAIL] = 2,
	[INKAN_SPF_NEUTRAL] = 3,
	[INKAN_SPF_NONE] = 4,
	[INKAN_SPF_TEMPERROR] = 5,
	[INKAN_SPF_PERMERROR] = 6,
};

static const char check_help[] =
"usage: inkan spf check [OPTIONS] IP SENDER [HELO]\n"
"       inkan spf check [OPTIONS] --batch FILE|-\n"
"\n"
"Evaluate SPF (RFC 7208 check_host) for a client IP, the MAIL FROM address\n"
"SENDER ('<>' for the null reverse-path, which checks postmaster@HELO) and\n"
"the HELO name.  The first line of output is the result: pass, fail,\n"
"softfail, neutral, none, temperror or permerror.\n"
"\n"
"Options:\n"
"  --batch FILE         evaluate 'IP SENDER HELO' lines ('-' = stdin), all\n"
"                       concurrently; one JSON object per line, in input order\n"
"  --sequential         with --batch: one check at a time (same answers)\n"
"  --jobs N             with --batch: checks in flight at once (default 1000)\n"
"  --helo               check the HELO identity instead of MAIL FROM\n"
"  --receiver NAME      our host name, for %{r} and Received-SPF\n"
"  --default-exp TEXT   explanation for fail when the domain gives none\n"
"  --now UNIXTIME       the time for %{t} (default: now)\n"
"  --async-backend auto|stub|unbound\n"
"                       with --batch: how queries go out.  auto (default, or\n"
"                       $INKAN_ASYNC): with one --resolver and --no-dnssec and\n"
"                       no --zone/--overlay, a lean stub resolver talks to the\n"
"                       forwarder directly (no validation); otherwise libunbound\n"
CLI_COMMON_HELP
"\n"
"Exit status: 0 pass, 1 fail, 2 softfail, 3 neutral, 4 none, 5 temperror,\n"
"6 permerror; 64 usage, 65 bad input, 69 resolver setup failed.\n";

struct check_opts {
	struct cli cli;
	const char *batch;
	bool sequential;
	size_t jobs;
	const char *receiver;
	const char *default_exp;
	enum inkan_spf_scope scope;
	time_t now;
	const char *async_backend;	/* "auto", "stub", "unbound" */
};

/* One result as a compact JSON object (the schema in inkan-spf(1)), with
 * the input line number when lineno > 0.  Returns a malloc'd string or
 * NULL when out of memory. */
static char *
result_line(const struct inkan_spf_query *q, const struct inkan_spf_result *res,
    struct inkan_arena *a, size_t lineno)
{
	char ip[INKAN_IP_STRLEN];
	const char *received = inkan_spf_received(a, q, res);
	struct inkan_buf b;
	struct jsonw w;

	inkan_buf_init(&b, 0);
	jw_begin(&w, &b);
	jw_str(&w, "result", inkan_spf_verdict_name(res->result));
	jw_str(&w, "identity", res->identity);
	jw_str(&w, "sender", res->sender);
	jw_str(&w, "domain", res->domain);
	jw_str(&w, "ip", inkan_ip_format(&q->ip, ip, sizeof(ip)));
	jw_str(&w, "helo", q->helo);
	jw_str(&w, "mechanism", res->mechanism);
	jw_str(&w, "matched_domain", res->matched_domain);
	jw_str(&w, "explanation", res->explanation);
	jw_str(&w, "problem", res->problem);
	jw_int(&w, "dns_lookups", res->dns_lookups);
	jw_int(&w, "void_lookups", res->void_lookups);
	jw_int(&w, "dns_queries", res->dns_queries);
	jw_str(&w, "received_spf", received);
	if (lineno > 0)
		jw_int(&w, "line", (long long)lineno);
	if (jw_end(&w) != 0) {
		inkan_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static void
print_text(const struct inkan_spf_query *q, const struct inkan_spf_result *res,
    struct inkan_arena *a)
{
	printf("%s\n", inkan_spf_verdict_name(res->result));
	printf("  identity:     %s %s\n", res->identity ? res->identity : "",
	    res->sender ? res->sender : "");
	if (res->domain != NULL)
		printf("  domain:       %s\n", res->domain);
	if (res->mechanism != NULL) {
		printf("  mechanism:    %s", res->mechanism);
		if (res->matched_domain != NULL && res->domain != NULL &&
		    strcmp(res->matched_domain, res->domain) != 0)
			printf("  (in %s)", res->matched_domain);
		putchar('\n');
	}
	if (res->explanation != NULL)
		printf("  explanation:  %s\n", res->explanation);
	if (res->problem != NULL)
		printf("  problem:      %s\n", res->problem);
	printf("  lookups:      %u/10 DNS terms, %u/2 void, %u queries\n", res->dns_lookups,
	    res->void_lookups, res->dns_queries);
	printf("  %s\n", inkan_spf_received(a, q, res));
}

/* Parse the sender/helo/ip words of a check into q; returns NULL or the
 * reason the words are unusable. */
static const char *
make_query(const struct check_opts *o, const char *ip, const char *sender, const char *helo,
    struct inkan_spf_query *q)
{
	memset(q, 0, sizeof(*q));
	if (inkan_ip_parse(ip, strlen(ip), &q->ip) != 0)
		return "not an IPv4 or IPv6 address";
	q->sender = sender != NULL && strcmp(sender, "<>") == 0 ? NULL : sender;
	q->helo = helo;
	q->scope = o->scope;
	q->receiver = o->receiver;
	q->default_exp = o->default_exp;
	q->now = o->now;
	if (q->sender == NULL && (helo == NULL || *helo == '\0') && o->scope == INKAN_SPF_SCOPE_MFROM)
		return "the null sender needs a HELO name";
	if (o->scope == INKAN_SPF_SCOPE_HELO && (helo == NULL || *helo == '\0'))
		return "--helo needs a HELO name";
	return NULL;
}

/* ---- batch ---- */

struct batch;

struct job {
	struct batch *b;	/* set once the batch is read */
	struct inkan_spf_query q;
	char *line;		/* owns the words q points into */
	size_t lineno;
	const char *bad;	/* input error, or NULL */
	struct inkan_arena *a;
	char *out;		/* the JSON line when done */
	bool done;
};

struct batch {
	struct job *jobs;
	size_t n, cap, next_print;
	unsigned long failed;
};

static char *
job_error_json(size_t lineno, const char *why)
{
	struct inkan_buf b;
	struct jsonw w;

	inkan_buf_init(&b, 0);
	jw_begin(&w, &b);
	jw_int(&w, "line", (long long)lineno);
	jw_str(&w, "error", why);
	if (jw_end(&w) != 0) {
		inkan_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static int
job_run(void *arg, struct inkan_resolver *r)
{
	struct job *j = arg;
	struct inkan_spf_result res;
	int rc;

	if (j->a == NULL && (j->a = inkan_arena_new()) == NULL)
		return INKAN_ENOMEM;
	inkan_arena_reset(j->a);
	rc = inkan_spf_check(r, j->a, &j->q, &res);
	if (rc != 0)
		return rc;
	j->out = result_line(&j->q, &res, j->a, j->lineno);
	return j->out == NULL ? INKAN_ENOMEM : 0;
}

static void
batch_flush(struct batch *b)
{
	while (b->next_print < b->n && b->jobs[b->next_print].done) {
		struct job *j = &b->jobs[b->next_print++];

		if (j->out != NULL)
			puts(j->out);
		free(j->out);
		free(j->line);
		j->out = j->line = NULL;
	}
}

static void
job_done_at(struct batch *b, size_t i, int rc)
{
	struct job *j = &b->jobs[i];

	if (rc != 0) {
		free(j->out);
		j->out = job_error_json(j->lineno, inkan_strerror(rc));
		b->failed++;
	}
	inkan_arena_free(j->a);
	j->a = NULL;
	j->done = true;
	batch_flush(b);
}

static void
job_done(void *arg, int rc)
{
	struct job *j = arg;

	job_done_at(j->b, (size_t)(j - j->b->jobs), rc);
}

static int
read_batch(struct check_opts *o, FILE *f, struct batch *b)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) >= 0) {
		char *w[4], *save = NULL, *p;
		size_t nw = 0;
		struct job *j;

		lineno++;
		if (b->n == b->cap) {
			size_t nc = b->cap ? b->cap * 2 : 1024;
			struct job *nj = realloc(b->jobs, nc * sizeof(*nj));

			if (nj == NULL)
				return INKAN_ENOMEM;
			b->jobs = nj;
			b->cap = nc;
		}
		p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		j = &b->jobs[b->n++];
		memset(j, 0, sizeof(*j));
		j->lineno = lineno;
		if ((j->line = strdup(line)) == NULL)
			return INKAN_ENOMEM;
		for (p = strtok_r(j->line, " \t\r\n", &save); p != NULL && nw < 4;
		    p = strtok_r(NULL, " \t\r\n", &save))
			w[nw++] = p;
		if (nw < 2 || nw > 3)
			j->bad = "expected 'IP SENDER [HELO]'";
		else
			j->bad = make_query(o, w[0], w[1], nw == 3 ? w[2] : NULL, &j->q);
	}
	free(line);
	return ferror(f) ? INKAN_EIO : 0;
}

static int
run_batch(struct check_opts *o)
{
	struct batch b = { 0 };
	struct inkan_resolver *cache_only = NULL;
	struct inkan_async *as = NULL;
	struct inkan_bulk *bulk = NULL;
	FILE *f = strcmp(o->batch, "-") == 0 ? stdin : fopen(o->batch, "r");
	int rc, exit_code = 0;

	if (f == NULL) {
		cli_error(&o->cli, "%s: %s", o->batch, strerror(errno));
		return EXIT_DATAERR;
	}
	rc = read_batch(o, f, &b);
	if (f != stdin)
		fclose(f);
	if (rc != 0) {
		cli_error(&o->cli, "%s: %s", o->batch, inkan_strerror(rc));
		exit_code = EXIT_DATAERR;
		goto out;
	}
	for (size_t i = 0; i < b.n; i++)
		b.jobs[i].b = &b;
	if (o->sequential) {
		for (size_t i = 0; i < b.n; i++) {
			struct job *j = &b.jobs[i];

			if (j->bad != NULL) {
				j->out = job_error_json(j->lineno, j->bad);
				job_done_at(&b, i, 0);
				continue;
			}
			job_done_at(&b, i, job_run(j, o->cli.cache));
		}
		goto out;
	}
	if (inkan_resolver_cache_new(NULL, 0, &cache_only) != 0) {
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	if (o->cli.trace)
		inkan_resolver_set_trace(cache_only, o->cli.cache->trace, o->cli.cache->trace_arg);
	rc = cli_async_open(&o->cli, o->async_backend, &as);
	if (rc != 0 || inkan_bulk_new(cache_only, as, o->jobs, &bulk) != 0) {
		cli_error(&o->cli, "cannot start the batch: %s", inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
		goto out;
	}
	for (size_t i = 0; i < b.n; i++) {
		struct job *j = &b.jobs[i];
		struct inkan_bulk_job bj = { job_run, job_done, j };

		if (j->bad != NULL) {
			j->out = job_error_json(j->lineno, j->bad);
			j->done = true;
			continue;
		}
		if ((rc = inkan_bulk_add(bulk, &bj)) != 0) {
			exit_code = EXIT_SOFTWARE;
			goto out;
		}
	}
	batch_flush(&b);
	if ((rc = inkan_bulk_run(bulk)) != 0) {
		cli_error(&o->cli, "batch stopped: %s", inkan_strerror(rc));
		exit_code = EXIT_SOFTWARE;
	}
	batch_flush(&b);
out:
	for (size_t i = b.next_print; i < b.n; i++) {
		free(b.jobs[i].out);
		free(b.jobs[i].line);
		inkan_arena_free(b.jobs[i].a);
	}
	free(b.jobs);
	inkan_bulk_free(bulk);
	inkan_async_free(as);
	inkan_resolver_free(cache_only);
	if (exit_code == 0 && b.failed > 0)
		exit_code = EXIT_SOFTWARE;
	return exit_code;
}

static int
spf_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "sequential", no_argument, NULL, OPT_SEQUENTIAL },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "receiver", required_argument, NULL, OPT_RECEIVER },
		{ "helo", no_argument, NULL, OPT_HELO_SCOPE },
		{ "default-exp", required_argument, NULL, OPT_DEFAULT_EXP },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "async-backend", required_argument, NULL, OPT_ASYNC_BACKEND },
		{ NULL, 0, NULL, 0 },
	};
	struct check_opts o;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.cli.prog = "inkan spf check";
	o.async_backend = cli_async_default();
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;

		if ((rc = cli_common_opt(&o.cli, c, optarg)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(check_help, stdout);
			return 0;
		case OPT_BATCH:
			o.batch = optarg;
			break;
		case OPT_SEQUENTIAL:
			o.sequential = true;
			break;
		case OPT_JOBS:
			o.jobs = strtoul(optarg, &end, 10);
			if (*end != '\0' || o.jobs == 0 || o.jobs > 1000000)
				return cli_usage_error(&o.cli, "--jobs wants 1..1000000");
			break;
		case OPT_RECEIVER:
			o.receiver = optarg;
			break;
		case OPT_HELO_SCOPE:
			o.scope = INKAN_SPF_SCOPE_HELO;
			break;
		case OPT_DEFAULT_EXP:
			o.default_exp = optarg;
			break;
		case OPT_NOW:
			o.now = (time_t)strtoll(optarg, &end, 10);
			if (*end != '\0' || o.now <= 0)
				return cli_usage_error(&o.cli, "--now wants a positive UNIX time");
			break;
		case OPT_ASYNC_BACKEND:
			o.async_backend = optarg;
			break;
		default:
			return cli_usage_error(&o.cli, "unknown option");
		}
	}
	if ((rc = cli_async_check(&o.cli, o.async_backend)) != 0)
		return rc;
	if (o.batch != NULL ? optind != argc : (argc - optind < 2 || argc - optind > 3))
		return cli_usage_error(&o.cli, o.batch != NULL ?
		    "--batch takes no IP SENDER HELO arguments" : "wants IP SENDER [HELO]");

	struct inkan_spf_query q;
	const char *bad = NULL;

	if (o.batch == NULL &&
	    (bad = make_query(&o, argv[optind], argv[optind + 1],
	    argc - optind == 3 ? argv[optind + 2] : NULL, &q)) != NULL)
		return cli_usage_error(&o.cli, "%s", bad);
	if ((rc = cli_resolver_open(&o.cli)) != 0) {
		cli_resolver_close(&o.cli);
		return rc;
	}
	if (o.batch != NULL) {
		rc = run_batch(&o);
		cli_resolver_close(&o.cli);
		return rc;
	}

	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_result res;

	if (a == NULL || (rc = inkan_spf_check(o.cli.cache, a, &q, &res)) != 0) {
		cli_error(&o.cli, "%s", inkan_strerror(a == NULL ? INKAN_ENOMEM : rc));
		rc = EXIT_SOFTWARE;
	} else {
		if (o.cli.json)
		{
			char *line = result_line(&q, &res, a, 0);

			if (line != NULL)
				puts(line);
			free(line);
		}
		else
			print_text(&q, &res, a);
		rc = verdict_exit[res.result];
	}
	inkan_arena_free(a);
	cli_resolver_close(&o.cli);
	return rc;
}

static const char spf_help[] =
"usage: inkan spf check [OPTIONS] IP SENDER [HELO]\n"
"       inkan spf lint [OPTIONS] DOMAIN\n"
"\n"
"  check   evaluate SPF for a client (RFC 7208 check_host)\n"
"  lint    analyse a domain's SPF record tree for mistakes\n";

int
cmd_spf(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return spf_check(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "lint") == 0)
		return cmd_spf_lint(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(spf_help, stdout);
		return 0;
	}
	fputs(spf_help, stderr);
	return EXIT_USAGE;
}
