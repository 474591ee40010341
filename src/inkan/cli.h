/* cli.h - what every inkan subcommand shares: the resolver options
 * (--zone, --overlay, --resolver, --trust-anchor, --no-dnssec, --timeout,
 * --trace), output options (--json), and error reporting. */
#ifndef INKAN_CLI_H
#define INKAN_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "inkan/dns.h"
#include <jansson.h>

struct inkan_dkim_sig_result;

/* Exit codes shared by all subcommands (sysexits.h values for tool
 * failures, so they never collide with verdict codes 0..9). */
#define EXIT_USAGE	64	/* bad command line */
#define EXIT_DATAERR	65	/* bad input data (zone file, batch line) */
#define EXIT_SOFTWARE	70	/* internal error */
#define EXIT_RESOLVER	69	/* resolver could not be set up */

enum {
	OPT_ZONE = 1000,
	OPT_OVERLAY,
	OPT_RESOLVER,
	OPT_TRUST_ANCHOR,
	OPT_NO_DNSSEC,
	OPT_TIMEOUT,
	OPT_TRACE,
	OPT_JSON,
	OPT_FIRST_LOCAL,	/* subcommands number their own options from here */
};

#define CLI_COMMON_LONGOPTS \
	{ "zone", required_argument, NULL, OPT_ZONE }, \
	{ "overlay", required_argument, NULL, OPT_OVERLAY }, \
	{ "resolver", required_argument, NULL, OPT_RESOLVER }, \
	{ "trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR }, \
	{ "no-dnssec", no_argument, NULL, OPT_NO_DNSSEC }, \
	{ "timeout", required_argument, NULL, OPT_TIMEOUT }, \
	{ "trace", no_argument, NULL, OPT_TRACE }, \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "help", no_argument, NULL, 'h' }

#define CLI_COMMON_HELP \
"DNS options:\n" \
"  --zone FILE          answer from this master file only (offline); repeatable\n" \
"  --overlay FILE       records in FILE shadow live DNS (what-if); repeatable\n" \
"  --resolver ADDR[@PORT]  forward to this resolver instead of full recursion;\n" \
"                       repeatable\n" \
"  --trust-anchor FILE  DNSSEC trust anchor (default " INKAN_ROOT_KEY_FILE ")\n" \
"  --no-dnssec          do not validate\n" \
"  --timeout MS         per-query timeout in milliseconds (default 5000)\n" \
"  --trace              print every DNS query, its answer and the running counts\n" \
"                       to standard error\n" \
"Output:\n" \
"  --json               machine-readable output (see inkan(1) for the schema)\n"

#define CLI_MAX_FILES 32

struct cli {
	const char *prog;		/* "inkan spf check", for messages */
	const char *zones[CLI_MAX_FILES];
	size_t nzones;
	bool overlay;			/* zones shadow live DNS */
	const char *resolvers[CLI_MAX_FILES + 1];
	size_t nresolvers;
	const char *trust_anchor;
	/* Trust anchor lines ("example.test. IN DS ..."), NULL-terminated
	 * when used; set by commands that take them (sts query). */
	const char *trust_anchor_lines[CLI_MAX_FILES + 1];
	size_t ntrust_anchor_lines;
	bool no_dnssec;
	unsigned timeout_ms;
	bool trace;
	bool json;

	/* built by cli_resolver_open */
	struct inkan_zone *zone;
	struct inkan_resolver *base;	/* zone, unbound or overlay */
	struct inkan_resolver *live;	/* unbound when used */
	struct inkan_resolver *cache;	/* what evaluators use */
};

/* Handle a common option; returns 1 if c was one, 0 if not, -1 on a bad
 * argument (message printed). */
int cli_common_opt(struct cli *cli, int c, const char *arg);
/* Build the resolver stack from the options; prints the reason and
 * returns a non-zero exit code on failure. */
int cli_resolver_open(struct cli *cli);
void cli_resolver_close(struct cli *cli);
/* The async DNS source of the bulk commands (spf check --batch, survey):
 * "auto", "stub" or "unbound" (--async-backend; default from the
 * INKAN_ASYNC environment variable, else "auto"). */
struct inkan_async;
const char *cli_async_default(void);
/* Check a backend name against the DNS options: the stub serves exactly
 * one forwarder without validation and without zones.  0, or
 * EXIT_USAGE after printing why. */
int cli_async_check(const struct cli *cli, const char *backend);
/* The source for the opened resolver stack: a zone or overlay answers at
 * once through the sync adapter; one forwarder without validation goes to
 * the lean stub (unless "unbound" was asked for); else libunbound.
 * Returns 0 or an INKAN_E* error. */
int cli_async_open(const struct cli *cli, const char *backend, struct inkan_async **out);

/* Print "inkan spf check: message" to stderr. */
void cli_error(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the usage hint and return EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Subcommands: argv[0] is the subcommand name. */
int cmd_spf(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* `inkan report generate` (cmd_report_gen.c); argv[0] is "generate". */
int cmd_report_generate(int argc, char **argv);
int cmd_dkim(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_survey(int argc, char **argv);
int cmd_sts(int argc, char **argv);

/* One DKIM signature result as JSON (shared by dkim verify and verify). */
json_t *cli_dkim_sig_json(const struct inkan_dkim_sig_result *s);

#endif
