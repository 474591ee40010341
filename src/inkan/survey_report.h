/* survey_report.h - `inkan survey report` and `inkan survey merge`
 * (cmd_survey_report.c), and the HTML page of the report (survey_html.c).
 */
#ifndef INKAN_CLI_SURVEY_REPORT_H
#define INKAN_CLI_SURVEY_REPORT_H

#include <stdio.h>

#include "inkan/survey.h"

/* argv[0] is "report" / "merge". */
int cmd_survey_report(int argc, char **argv);
int cmd_survey_merge(int argc, char **argv);

/* One line of the report: a category with its counts in this survey
 * (cur) and in the one compared with (old); either is NULL when the
 * category is in one survey only. */
struct survey_row {
	const char *category;		/* "*" for the total */
	const struct inkan_survey_tally *cur, *old;
};

struct survey_view {
	const struct survey_row *rows;
	size_t n;
	bool compare;
	const char *by;			/* how categories were made */
	char *const *stores;		/* this survey's stores */
	size_t nstores;
	char *const *others;		/* --compare stores */
	size_t nothers;
};

/* 100 * n / d, 0 when d is 0. */
double survey_pct(long long n, long long d);
/* "all" for the total, "(none)" for no category, else c. */
const char *survey_cat_label(const char *c);

/* The self-contained page (no script, inline CSS and SVG). */
void survey_html(FILE *f, const struct survey_view *v);

#endif
