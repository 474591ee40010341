/* cmd_survey.c - `inkan survey`: the dispatch, and `inkan survey report`.
 *
 * run (cmd_survey_run.c) surveys domains into the SQLite store; report
 * prints the adoption table by category from the store.
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

enum {
	OPT_DB = OPT_FIRST_LOCAL,
	OPT_CSV,
	OPT_MARKDOWN,
};

static const char report_help[] =
"usage: inkan survey report --db FILE [--json|--csv|--markdown]\n"
"\n"
"The adoption table by category: for each measure, the domains that have\n"
"it, as a count and as a percentage of all domains surveyed and of the\n"
"domains with MX (the two denominators are printed with each category).\n";

/* ---- report ---- */

static double
pct(long long n, long long d)
{
	return d > 0 ? 100.0 * (double)n / (double)d : 0.0;
}

/* Two decimals, as the text forms print them (values are >= 0). */
static double
round2(double v)
{
	return (double)(long long)(v * 100.0 + 0.5) / 100.0;
}

static const char *
cat_label(const char *c)
{
	return strcmp(c, "*") == 0 ? "all" : *c == '\0' ? "(none)" : c;
}

static void
report_text(const struct inkan_survey_tally *t, size_t n, bool md)
{
	for (size_t i = 0; i < n; i++) {
		if (md) {
			printf("%s### %s: %lld domains, %lld with MX\n\n", i ? "\n" : "",
			    cat_label(t[i].category), t[i].all, t[i].with_mx);
			printf("| measure | domains | %% of all (%lld) | with MX | %% of with MX (%lld) |\n",
			    t[i].all, t[i].with_mx);
			printf("|---|--:|--:|--:|--:|\n");
		} else {
			printf("%s%s: %lld domains, %lld with MX\n", i ? "\n" : "",
			    cat_label(t[i].category), t[i].all, t[i].with_mx);
			printf("  %-20s %10s %8s %10s %8s\n", "measure", "domains", "% all", "with MX",
			    "% MX");
		}
		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			const char *name = inkan_survey_metric_name(m);

			if (md)
				printf("| %s | %lld | %.2f | %lld | %.2f |\n", name, t[i].count[m],
				    pct(t[i].count[m], t[i].all), t[i].count_mx[m],
				    pct(t[i].count_mx[m], t[i].with_mx));
			else
				printf("  %-20s %10lld %7.2f%% %10lld %7.2f%%\n", name, t[i].count[m],
				    pct(t[i].count[m], t[i].all), t[i].count_mx[m],
				    pct(t[i].count_mx[m], t[i].with_mx));
		}
	}
}

static void
report_csv(const struct inkan_survey_tally *t, size_t n)
{
	printf("category,measure,domains,all,pct_all,domains_with_mx,with_mx,pct_with_mx\n");
	for (size_t i = 0; i < n; i++) {
		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++)
			printf("%s,%s,%lld,%lld,%.2f,%lld,%lld,%.2f\n", cat_label(t[i].category),
			    inkan_survey_metric_name(m), t[i].count[m], t[i].all,
			    pct(t[i].count[m], t[i].all), t[i].count_mx[m], t[i].with_mx,
			    pct(t[i].count_mx[m], t[i].with_mx));
	}
}

static int
report_json(const struct inkan_survey_tally *t, size_t n)
{
	json_t *root = json_object(), *cats = json_array();
	char *s;

	if (root == NULL || cats == NULL)
		return INKAN_ENOMEM;
	json_object_set_new(root, "categories", cats);
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_object(), *ms = json_object();

		json_object_set_new(c, "category", json_string(cat_label(t[i].category)));
		json_object_set_new(c, "domains", json_integer(t[i].all));
		json_object_set_new(c, "with_mx", json_integer(t[i].with_mx));
		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			json_t *e = json_object();

			json_object_set_new(e, "domains", json_integer(t[i].count[m]));
			json_object_set_new(e, "pct_all",
			    json_real(round2(pct(t[i].count[m], t[i].all))));
			json_object_set_new(e, "with_mx", json_integer(t[i].count_mx[m]));
			json_object_set_new(e, "pct_with_mx",
			    json_real(round2(pct(t[i].count_mx[m], t[i].with_mx))));
			json_object_set_new(ms, inkan_survey_metric_name(m), e);
		}
		json_object_set_new(c, "measures", ms);
		json_array_append_new(cats, c);
	}
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		return INKAN_ENOMEM;
	puts(s);
	free(s);
	return 0;
}

static int
cmd_report_(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "markdown", no_argument, NULL, OPT_MARKDOWN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .prog = "inkan survey report" };
	const char *db = NULL, *why = NULL;
	int c, fmt = 0, rc;
	struct inkan_survey_store *s;
	struct inkan_arena *a;
	struct inkan_survey_tally *t;
	size_t n;
	struct stat st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(report_help, stdout);
			return 0;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_JSON:
		case OPT_CSV:
		case OPT_MARKDOWN:
			fmt = c;
			break;
		default:
			return cli_usage_error(&cli, "unknown option");
		}
	}
	if (db == NULL || optind != argc)
		return cli_usage_error(&cli, "wants --db FILE and nothing else");
	if (stat(db, &st) != 0) {
		cli_error(&cli, "%s: %s", db, strerror(errno));
		return EXIT_DATAERR;
	}
	if ((rc = inkan_survey_store_open(db, &s, &why)) != 0) {
		cli_error(&cli, "%s: %s", db, why != NULL ? why : inkan_strerror(rc));
		return EXIT_DATAERR;
	}
	if ((a = inkan_arena_new()) == NULL || (rc = inkan_survey_tally(s, a, &t, &n)) != 0) {
		cli_error(&cli, "%s: %s", db, inkan_strerror(a == NULL ? INKAN_ENOMEM : rc));
		inkan_arena_free(a);
		inkan_survey_store_close(s);
		return EXIT_SOFTWARE;
	}
	if (fmt == OPT_JSON)
		rc = report_json(t, n);
	else if (fmt == OPT_CSV)
		report_csv(t, n);
	else
		report_text(t, n, fmt == OPT_MARKDOWN);
	inkan_arena_free(a);
	inkan_survey_store_close(s);
	return rc == 0 ? 0 : EXIT_SOFTWARE;
}

static const char survey_help[] =
"usage: inkan survey run --db FILE [OPTIONS] [INPUT|-]\n"
"       inkan survey report --db FILE [--json|--csv|--markdown]\n"
"\n"
"  run     survey a list of domains from DNS into a SQLite store (resumable)\n"
"  report  the adoption table by category\n";

int
cmd_survey(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_survey_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return cmd_report_(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(survey_help, stdout);
		return 0;
	}
	fputs(survey_help, stderr);
	return EXIT_USAGE;
}
