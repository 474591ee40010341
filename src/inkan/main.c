/* main.c - the inkan command: dispatch to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef INKAN_VERSION
#define INKAN_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "spf", cmd_spf, "SPF (RFC 7208): check a client against a policy, lint a domain's record" },
	{ "dkim", cmd_dkim, "DKIM (RFC 6376, RFC 8463): sign, verify, generate and check keys" },
	{ "verify", cmd_verify, "SPF, DKIM, ARC and DMARC on whole messages; Authentication-Results" },
	{ "stats", cmd_stats, "distribution of SPF/DKIM/ARC/DMARC results over a mailbox" },
	{ "sign", cmd_sign, "DKIM signatures plus an optional ARC seal, in one pass" },
	{ "report", cmd_report, "DMARC aggregate and TLS-RPT reports: ingest, store, summarise" },
	{ "survey", cmd_survey, "zone-scale adoption statistics: survey domain lists into SQLite, report" },
	{ "check", cmd_check, "audit a mail domain: MX, SPF, DKIM, DMARC, MTA-STS, DANE, TLS, BIMI" },
	{ "sts", cmd_sts, "sending-side TLS policy (DANE, then MTA-STS) of a next-hop, as inkan-stsd" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: inkan COMMAND [ARGS...]\n\n"
	    "inkan authenticates mail senders and audits mail domains.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'inkan COMMAND --help' describes a command; man inkan(1) has the rest.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("inkan %s\n", INKAN_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "inkan: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
