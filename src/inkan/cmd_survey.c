/* cmd_survey.c - `inkan survey`: the dispatch.
 *
 * run (cmd_survey_run.c) surveys domains into the SQLite store; report
 * and merge (cmd_survey_report.c) make the adoption table of one store or
 * of the shards of a run, and merge shard stores into one.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "survey_report.h"

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
		return cmd_survey_run(argc - 1, argv + 1);
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
