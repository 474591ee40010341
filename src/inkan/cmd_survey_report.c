/* cmd_survey_report.c - `inkan survey report` and `inkan survey merge`.
 *
 * report prints the adoption table of one survey: one store, or the
 * stores of a sharded run merged (survey_report.h), with categories from
 * the stored column or made from the names (--by tld|sld|suffix); with
 * --compare, next to another survey, as the change in domains and in
 * percentage points of both denominators.  One store by its own column
 * is tallied in place; anything else is merged first into a private
 * temporary SQLite file (deleted on close), so a million rows never sit
 * in memory.
 *
 * merge writes the merged rows into a new store, for a report later or
 * elsewhere.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/error.h"
#include "inkan/survey.h"
#include "inkan/survey_report.h"
#include "survey_report.h"

enum {
	OPT_DB = OPT_FIRST_LOCAL,
	OPT_CSV,
	OPT_MARKDOWN,
	OPT_HTML,
	OPT_BY,
	OPT_COMPARE,
	OPT_PSL,
	OPT_FORCE,
	OPT_OUT,
};

static const char report_help[] =
"usage: inkan survey report [--db FILE] [FILE...] [--compare FILE]...\n"
"           [--by auto|column|tld|sld|suffix] [--psl FILE] [--force]\n"
"           [--json|--csv|--markdown|--html]\n"
"\n"
"The adoption table by category: for each measure, the domains that have\n"
"it, as a count and as a percentage of all domains surveyed and of the\n"
"domains with MX (the two denominators are printed with each category).\n"
"\n"
"Several stores (--db and/or operands) are the shards of one run: they\n"
"are merged into one table, each domain counted once.  Shards of\n"
"different inputs, of different shard counts, or the same shard twice\n"
"are refused; missing shards and unfinished runs are warned about.\n"
"\n"
"Options:\n"
"  --by RULE       categories: column (the one stored with each domain),\n"
"                  tld (the last label), sld (the last two labels of a\n"
"                  name of three or more, else the TLD: co.jp, go.jp, jp),\n"
"                  suffix (the public suffix the domain is registered\n"
"                  under, by the Public Suffix List); auto (default):\n"
"                  column when some domain has one, else sld\n"
"  --compare FILE  show the change from the survey in FILE (repeat for its\n"
"                  shards): this survey minus FILE's, in domains and in\n"
"                  percentage points of both denominators\n"
"  --psl FILE      the Public Suffix List for --by suffix (default\n"
"                  " INKAN_DMARC_PSL_FILE ")\n"
"  --force         merge even stores that do not look like shards of one\n"
"                  run (warn instead of refusing)\n"
"  --json, --csv, --markdown, --html\n"
"                  the output form (default: text); --html is one\n"
"                  self-contained page (inline CSS and SVG, no script)\n"
"\n"
"Exit status: 0 done, 64 usage, 65 unreadable or refused stores, 70 failure.\n";

static const char merge_help[] =
"usage: inkan survey merge --out FILE [--by RULE] [--psl FILE] [--force] STORE...\n"
"\n"
"Merge the stores of a sharded survey into the new store FILE: every\n"
"domain once (a row without error wins over one with an error, else the\n"
"first store listed wins), with a survey_meta saying shard 1/1, the\n"
"common input_sha256, and 'finished' only when every shard was there\n"
"and finished.  The checks are those of `inkan survey report`; --by\n"
"stores the made category instead of the stored one.\n";

struct side {
	char **paths;
	size_t n;
	struct inkan_survey_meta *meta;
	struct inkan_survey_store *store;
	struct inkan_survey_tally *t;
	size_t nt;
};

struct ropts {
	struct cli cli;
	int by;
	const char *psl_file;
	bool force;
};

static void
warn_cb(void *arg, const char *msg)
{
	const struct cli *cli = arg;

	cli_error(cli, "warning: %s", msg);
}

/* Read the metadata of s's stores, check them as shards of one run and
 * resolve AUTO.  0 or an exit status (printed). */
static int
side_check(struct ropts *o, struct side *s, struct inkan_arena *a, int *by)
{
	char why[768];
	bool any_cat = false;

	if ((s->meta = inkan_arena_zalloc(a, s->n * sizeof(*s->meta))) == NULL) {
		cli_error(&o->cli, "%s", inkan_strerror(INKAN_ENOMEM));
		return EXIT_SOFTWARE;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (inkan_survey_meta_read(s->paths[i], a, &s->meta[i], why, sizeof(why)) != 0) {
			cli_error(&o->cli, "%s", why);
			return EXIT_DATAERR;
		}
		any_cat |= s->meta[i].has_category;
	}
	if (inkan_survey_shards_check(s->meta, s->n, why, sizeof(why), warn_cb, &o->cli) != 0) {
		if (!o->force) {
			cli_error(&o->cli, "%s; refusing to merge (--force merges anyway)", why);
			return EXIT_DATAERR;
		}
		cli_error(&o->cli, "warning: %s; merged anyway (--force)", why);
	}
	if (*by == INKAN_SURVEY_BY_AUTO)
		*by = any_cat ? INKAN_SURVEY_BY_COLUMN : INKAN_SURVEY_BY_SLD;
	return 0;
}

static int
load_psl(struct ropts *o, int by, const struct inkan_dmarc_psl **psl)
{
	const char *why = NULL;

	*psl = NULL;
	if (by != INKAN_SURVEY_BY_SUFFIX)
		return 0;
	if ((*psl = inkan_dmarc_psl_shared(o->psl_file, &why)) == NULL) {
		cli_error(&o->cli, "%s: %s", o->psl_file != NULL ? o->psl_file :
		    INKAN_DMARC_PSL_FILE, why != NULL ? why : "cannot load");
		return EXIT_DATAERR;
	}
	return 0;
}

/* Open the store to tally: the one file itself, or a temporary merge. */
static int
side_load(struct ropts *o, struct side *s, struct inkan_arena *a, int by)
{
	const struct inkan_dmarc_psl *psl;
	const char *ewhy = NULL;
	char why[768];
	int rc;

	if ((rc = load_psl(o, by, &psl)) != 0)
		return rc;
	if (s->n == 1 && by == INKAN_SURVEY_BY_COLUMN) {
		if ((rc = inkan_survey_store_open(s->paths[0], &s->store, &ewhy)) != 0) {
			cli_error(&o->cli, "%s: %s", s->paths[0], ewhy != NULL ? ewhy :
			    inkan_strerror(rc));
			return EXIT_DATAERR;
		}
	} else {
		/* "": a private temporary file, deleted when closed. */
		if ((rc = inkan_survey_store_open("", &s->store, &ewhy)) != 0) {
			cli_error(&o->cli, "temporary store: %s", ewhy != NULL ? ewhy :
			    inkan_strerror(rc));
			return EXIT_SOFTWARE;
		}
		if (inkan_survey_merge(s->store, (const char *const *)s->paths, s->n, by, psl, why,
		    sizeof(why)) != 0) {
			cli_error(&o->cli, "%s", why);
			return EXIT_DATAERR;
		}
	}
	if ((rc = inkan_survey_tally(s->store, a, &s->t, &s->nt)) != 0) {
		cli_error(&o->cli, "%s: %s", s->paths[0], inkan_strerror(rc));
		return EXIT_SOFTWARE;
	}
	return 0;
}

/* ---- shared ---- */

double
survey_pct(long long n, long long d)
{
	return d > 0 ? 100.0 * (double)n / (double)d : 0.0;
}

const char *
survey_cat_label(const char *c)
{
	return strcmp(c, "*") == 0 ? "all" : *c == '\0' ? "(none)" : c;
}

/* Two decimals, as the text forms print them. */
static double
round2(double v)
{
	return v >= 0 ? (double)(long long)(v * 100.0 + 0.5) / 100.0 :
	    -(double)(long long)(-v * 100.0 + 0.5) / 100.0;
}

/* A category name for a terminal: control characters become '?'. */
static void
put_label(const char *c)
{
	for (c = survey_cat_label(c); *c != '\0'; c++)
		putchar((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
}

/* A CSV field (RFC 4180): quoted when it holds a comma, quote or line. */
static void
put_csv(const char *c)
{
	c = survey_cat_label(c);
	if (strpbrk(c, ",\"\r\n") == NULL) {
		fputs(c, stdout);
		return;
	}
	putchar('"');
	for (; *c != '\0'; c++) {
		if (*c == '"')
			putchar('"');
		putchar(*c);
	}
	putchar('"');
}

/* ---- one survey ---- */

static void
report_text(const struct survey_row *r, size_t n, bool md)
{
	for (size_t i = 0; i < n; i++) {
		const struct inkan_survey_tally *t = r[i].cur;

		if (md) {
			printf("%s### ", i ? "\n" : "");
			put_label(t->category);
			printf(": %lld domains, %lld with MX\n\n", t->all, t->with_mx);
			printf("| measure | domains | %% of all (%lld) | with MX | %% of with MX (%lld) |\n",
			    t->all, t->with_mx);
			printf("|---|--:|--:|--:|--:|\n");
		} else {
			if (i)
				putchar('\n');
			put_label(t->category);
			printf(": %lld domains, %lld with MX\n", t->all, t->with_mx);
			printf("  %-20s %10s %8s %10s %8s\n", "measure", "domains", "% all", "with MX",
			    "% MX");
		}
		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			const char *name = inkan_survey_metric_name(m);

			if (md)
				printf("| %s | %lld | %.2f | %lld | %.2f |\n", name, t->count[m],
				    survey_pct(t->count[m], t->all), t->count_mx[m],
				    survey_pct(t->count_mx[m], t->with_mx));
			else
				printf("  %-20s %10lld %7.2f%% %10lld %7.2f%%\n", name, t->count[m],
				    survey_pct(t->count[m], t->all), t->count_mx[m],
				    survey_pct(t->count_mx[m], t->with_mx));
		}
	}
}

static void
report_csv(const struct survey_row *r, size_t n)
{
	printf("category,measure,domains,all,pct_all,domains_with_mx,with_mx,pct_with_mx\n");
	for (size_t i = 0; i < n; i++) {
		const struct inkan_survey_tally *t = r[i].cur;

		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			put_csv(t->category);
			printf(",%s,%lld,%lld,%.2f,%lld,%lld,%.2f\n", inkan_survey_metric_name(m),
			    t->count[m], t->all, survey_pct(t->count[m], t->all), t->count_mx[m],
			    t->with_mx, survey_pct(t->count_mx[m], t->with_mx));
		}
	}
}

/* ---- two surveys ---- */

static void
cmp_csv(const struct survey_row *r, size_t n)
{
	printf("category,in,measure,domains,all,pct_all,domains_with_mx,with_mx,pct_with_mx,"
	    "other_domains,other_all,other_pct_all,other_domains_with_mx,other_with_mx,"
	    "other_pct_with_mx,change_domains,change_pct_all_pp,change_domains_with_mx,"
	    "change_pct_with_mx_pp\n");
	for (size_t i = 0; i < n; i++) {
		const struct inkan_survey_tally *c = r[i].cur, *o = r[i].old;

		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			put_csv(r[i].category);
			printf(",%s,%s", c && o ? "both" : c ? "this" : "other",
			    inkan_survey_metric_name(m));
			if (c)
				printf(",%lld,%lld,%.2f,%lld,%lld,%.2f", c->count[m], c->all,
				    survey_pct(c->count[m], c->all), c->count_mx[m], c->with_mx,
				    survey_pct(c->count_mx[m], c->with_mx));
			else
				printf(",,,,,,");
			if (o)
				printf(",%lld,%lld,%.2f,%lld,%lld,%.2f", o->count[m], o->all,
				    survey_pct(o->count[m], o->all), o->count_mx[m], o->with_mx,
				    survey_pct(o->count_mx[m], o->with_mx));
			else
				printf(",,,,,,");
			if (c && o)
				printf(",%+lld,%+.2f,%+lld,%+.2f\n", c->count[m] - o->count[m],
				    survey_pct(c->count[m], c->all) - survey_pct(o->count[m], o->all),
				    c->count_mx[m] - o->count_mx[m],
				    survey_pct(c->count_mx[m], c->with_mx) -
				    survey_pct(o->count_mx[m], o->with_mx));
			else
				printf(",,,,\n");
		}
	}
}

static void
cmp_header(const struct survey_row *r, bool md)
{
	const struct inkan_survey_tally *c = r->cur, *o = r->old;

	if (c != NULL)
		printf(": %lld domains, %lld with MX", c->all, c->with_mx);
	else
		printf(": only in the other survey");
	if (o != NULL)
		printf("; other survey: %lld domains, %lld with MX", o->all, o->with_mx);
	else
		printf("; not in the other survey");
	printf("\n%s", md ? "\n" : "");
}

/* A count, or a dash for a side that lacks the category. */
static void
cell_n(bool md, bool have, long long v, bool sign)
{
	if (!have && md)
		fputs(" - |", stdout);
	else if (!have)
		printf(" %9s", "-");
	else if (md)
		printf(sign ? " %+lld |" : " %lld |", v);
	else
		printf(sign ? " %+9lld" : " %9lld", v);
}

static void
cell_p(bool md, bool have, double v, bool sign)
{
	if (md) {
		if (have)
			printf(sign ? " %+.2f |" : " %.2f |", v);
		else
			printf(" - |");
	} else if (have)
		printf(sign ? " %+7.2f" : " %7.2f", v);
	else
		printf(" %7s", "-");
}

static void
cmp_text(const struct survey_row *r, size_t n, bool md)
{
	for (size_t i = 0; i < n; i++) {
		const struct inkan_survey_tally *c = r[i].cur, *o = r[i].old;

		if (md)
			printf("%s### ", i ? "\n" : "");
		else if (i)
			putchar('\n');
		put_label(r[i].category);
		cmp_header(&r[i], md);
		if (md)
			printf("| measure | other | this | change | %% of all, other | %% of all, this"
			    " | pp | with MX, other | with MX, this | change | %% of with MX, other |"
			    " %% of with MX, this | pp |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
			    "--:|--:|--:|\n");
		else
			printf("  %-20s %9s %9s %9s %7s %7s %7s %9s %9s %9s %7s %7s %7s\n", "measure",
			    "other", "this", "change", "%all o", "%all t", "pp", "MX o", "MX t",
			    "change", "%MX o", "%MX t", "pp");
		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			double pc = c ? survey_pct(c->count[m], c->all) : 0;
			double po = o ? survey_pct(o->count[m], o->all) : 0;
			double mc = c ? survey_pct(c->count_mx[m], c->with_mx) : 0;
			double mo = o ? survey_pct(o->count_mx[m], o->with_mx) : 0;

			printf(md ? "| %s |" : "  %-20s", inkan_survey_metric_name(m));
			cell_n(md, o, o ? o->count[m] : 0, false);
			cell_n(md, c, c ? c->count[m] : 0, false);
			cell_n(md, c && o, c && o ? c->count[m] - o->count[m] : 0, true);
			cell_p(md, o, po, false);
			cell_p(md, c, pc, false);
			cell_p(md, c && o, pc - po, true);
			cell_n(md, o, o ? o->count_mx[m] : 0, false);
			cell_n(md, c, c ? c->count_mx[m] : 0, false);
			cell_n(md, c && o, c && o ? c->count_mx[m] - o->count_mx[m] : 0, true);
			cell_p(md, o, mo, false);
			cell_p(md, c, mc, false);
			cell_p(md, c && o, mc - mo, true);
			putchar('\n');
		}
	}
}

/* ---- JSON ---- */

static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s);

	/* Not UTF-8 (a category column of raw bytes): say so, do not drop it. */
	return j != NULL ? j : json_string("(not UTF-8)");
}

static json_t *
jpaths(char *const *p, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jstr(p[i]));
	return a;
}

static json_t *
jmeasure(const struct inkan_survey_tally *t, int m)
{
	json_t *e = json_object();

	json_object_set_new(e, "domains", json_integer(t->count[m]));
	json_object_set_new(e, "pct_all", json_real(round2(survey_pct(t->count[m], t->all))));
	json_object_set_new(e, "with_mx", json_integer(t->count_mx[m]));
	json_object_set_new(e, "pct_with_mx",
	    json_real(round2(survey_pct(t->count_mx[m], t->with_mx))));
	return e;
}

static int
report_json(const struct survey_view *v)
{
	json_t *root = json_object(), *cats = json_array(), *den = json_object();
	char *s;

	if (root == NULL || cats == NULL || den == NULL)
		return INKAN_ENOMEM;
	json_object_set_new(root, "by", json_string(v->by));
	json_object_set_new(root, "stores", jpaths(v->stores, v->nstores));
	if (v->compare)
		json_object_set_new(root, "compare", jpaths(v->others, v->nothers));
	json_object_set_new(den, "pct_all", json_string("of all domains surveyed in the category"
	    " (its \"domains\")"));
	json_object_set_new(den, "pct_with_mx", json_string("of the domains with MX in the"
	    " category (its \"with_mx\": an MX host, not Null MX)"));
	if (v->compare)
		json_object_set_new(den, "change", json_string("this survey minus the other"
		    " (--compare): domains, and percentage points (_pp) of each denominator"));
	json_object_set_new(root, "denominators", den);
	json_object_set_new(root, "categories", cats);
	for (size_t i = 0; i < v->n; i++) {
		const struct inkan_survey_tally *c = v->rows[i].cur, *o = v->rows[i].old;
		json_t *jc = json_object(), *ms = json_object(), *oc;

		json_object_set_new(jc, "category", jstr(survey_cat_label(v->rows[i].category)));
		if (v->compare)
			json_object_set_new(jc, "in", json_string(c && o ? "both" : c ? "this" :
			    "other"));
		json_object_set_new(jc, "domains", c ? json_integer(c->all) : json_null());
		json_object_set_new(jc, "with_mx", c ? json_integer(c->with_mx) : json_null());
		if (v->compare) {
			oc = json_null();
			if (o != NULL) {
				oc = json_object();
				json_object_set_new(oc, "domains", json_integer(o->all));
				json_object_set_new(oc, "with_mx", json_integer(o->with_mx));
			}
			json_object_set_new(jc, "other", oc);
		}
		for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
			json_t *e = c ? jmeasure(c, m) : json_object();

			if (v->compare) {
				json_t *ch = json_null();

				json_object_set_new(e, "other", o ? jmeasure(o, m) : json_null());
				if (c && o) {
					ch = json_object();
					json_object_set_new(ch, "domains",
					    json_integer(c->count[m] - o->count[m]));
					json_object_set_new(ch, "pct_all_pp", json_real(round2(
					    survey_pct(c->count[m], c->all) -
					    survey_pct(o->count[m], o->all))));
					json_object_set_new(ch, "with_mx",
					    json_integer(c->count_mx[m] - o->count_mx[m]));
					json_object_set_new(ch, "pct_with_mx_pp", json_real(round2(
					    survey_pct(c->count_mx[m], c->with_mx) -
					    survey_pct(o->count_mx[m], o->with_mx))));
				}
				json_object_set_new(e, "change", ch);
			}
			json_object_set_new(ms, inkan_survey_metric_name(m), e);
		}
		json_object_set_new(jc, "measures", ms);
		json_array_append_new(cats, jc);
	}
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		return INKAN_ENOMEM;
	puts(s);
	free(s);
	return 0;
}

/* Line up two tallies (each sorted by category, the total "*" last) by
 * category; a category of one only gets NULL on the other side. */
static struct survey_row *
align(struct inkan_arena *a, const struct side *cur, const struct side *old, size_t *n)
{
	size_t i = 0, j = 0, k = 0, nc = cur->nt - 1, no = old != NULL ? old->nt - 1 : 0;
	struct survey_row *r = inkan_arena_zalloc(a, (nc + no + 1) * sizeof(*r));

	if (r == NULL)
		return NULL;
	while (i < nc || j < no) {
		int d = i == nc ? 1 : j == no ? -1 :
		    strcmp(cur->t[i].category, old->t[j].category);

		r[k].category = d <= 0 ? cur->t[i].category : old->t[j].category;
		if (d <= 0)
			r[k].cur = &cur->t[i++];
		if (d >= 0)
			r[k].old = &old->t[j++];
		k++;
	}
	r[k].category = "*";
	r[k].cur = &cur->t[nc];
	r[k].old = old != NULL ? &old->t[no] : NULL;
	*n = k + 1;
	return r;
}

static int
add_path(struct cli *cli, struct side *s, char *p)
{
	char **np;

	if ((np = realloc(s->paths, (s->n + 1) * sizeof(*np))) == NULL) {
		cli_error(cli, "%s", inkan_strerror(INKAN_ENOMEM));
		return EXIT_SOFTWARE;
	}
	s->paths = np;
	s->paths[s->n++] = p;
	return 0;
}

static int
parse_by(struct ropts *o, const char *v)
{
	if ((o->by = inkan_survey_by_parse(v)) < 0)
		return cli_usage_error(&o->cli, "--by wants auto, column, tld, sld or suffix, not"
		    " '%s'", v);
	return 0;
}

int
cmd_survey_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "markdown", no_argument, NULL, OPT_MARKDOWN },
		{ "html", no_argument, NULL, OPT_HTML },
		{ "by", required_argument, NULL, OPT_BY },
		{ "compare", required_argument, NULL, OPT_COMPARE },
		{ "psl", required_argument, NULL, OPT_PSL },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ropts o = { .cli = { .prog = "inkan survey report" } };
	struct side cur = { 0 }, old = { 0 };
	struct inkan_arena *a = NULL;
	struct survey_row *rows;
	struct survey_view v;
	int c, fmt = 0, rc = 0, by;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1 && rc == 0) {
		switch (c) {
		case 'h':
			fputs(report_help, stdout);
			goto out;
		case OPT_DB:
			rc = add_path(&o.cli, &cur, optarg);
			break;
		case OPT_COMPARE:
			rc = add_path(&o.cli, &old, optarg);
			break;
		case OPT_JSON:
		case OPT_CSV:
		case OPT_MARKDOWN:
		case OPT_HTML:
			fmt = c;
			break;
		case OPT_BY:
			rc = parse_by(&o, optarg);
			break;
		case OPT_PSL:
			o.psl_file = optarg;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		default:
			rc = cli_usage_error(&o.cli, "unknown option");
		}
	}
	for (; rc == 0 && optind < argc; optind++)
		rc = add_path(&o.cli, &cur, argv[optind]);
	if (rc != 0)
		goto out;
	if (cur.n == 0) {
		rc = cli_usage_error(&o.cli, "wants a store: --db FILE or FILE...");
		goto out;
	}
	if ((a = inkan_arena_new()) == NULL) {
		rc = EXIT_SOFTWARE;
		goto out;
	}
	/* Both surveys get the same rule: AUTO is resolved on this one. */
	by = o.by;
	if ((rc = side_check(&o, &cur, a, &by)) != 0 ||
	    (old.n > 0 && (rc = side_check(&o, &old, a, &by)) != 0) ||
	    (rc = side_load(&o, &cur, a, by)) != 0 ||
	    (old.n > 0 && (rc = side_load(&o, &old, a, by)) != 0))
		goto out;
	memset(&v, 0, sizeof(v));
	if ((rows = align(a, &cur, old.n > 0 ? &old : NULL, &v.n)) == NULL) {
		rc = EXIT_SOFTWARE;
		goto out;
	}
	v.rows = rows;
	v.compare = old.n > 0;
	v.by = inkan_survey_by_name(by);
	v.stores = cur.paths;
	v.nstores = cur.n;
	v.others = old.paths;
	v.nothers = old.n;
	if (fmt == OPT_JSON)
		rc = report_json(&v) == 0 ? 0 : EXIT_SOFTWARE;
	else if (fmt == OPT_HTML)
		survey_html(stdout, &v);
	else if (fmt == OPT_CSV)
		v.compare ? cmp_csv(rows, v.n) : report_csv(rows, v.n);
	else
		v.compare ? cmp_text(rows, v.n, fmt == OPT_MARKDOWN) :
		    report_text(rows, v.n, fmt == OPT_MARKDOWN);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
		cli_error(&o.cli, "standard output: %s", strerror(errno));
		rc = EXIT_SOFTWARE;
	}
out:
	inkan_survey_store_close(cur.store);
	inkan_survey_store_close(old.store);
	free(cur.paths);
	free(old.paths);
	inkan_arena_free(a);
	return rc;
}

int
cmd_survey_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		{ "by", required_argument, NULL, OPT_BY },
		{ "psl", required_argument, NULL, OPT_PSL },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ropts o = { .cli = { .prog = "inkan survey merge" } };
	struct side in = { 0 };
	struct inkan_arena *a = NULL;
	const struct inkan_dmarc_psl *psl;
	const char *out = NULL, *ewhy = NULL;
	char why[768];
	struct stat sb;
	int c, rc = 0, by;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1 && rc == 0) {
		switch (c) {
		case 'h':
			fputs(merge_help, stdout);
			return 0;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_BY:
			rc = parse_by(&o, optarg);
			break;
		case OPT_PSL:
			o.psl_file = optarg;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		default:
			rc = cli_usage_error(&o.cli, "unknown option");
		}
	}
	if (rc != 0)
		return rc;
	if (out == NULL || optind == argc)
		return cli_usage_error(&o.cli, "wants --out FILE and at least one STORE");
	if (stat(out, &sb) == 0) {
		cli_error(&o.cli, "%s exists: merge writes a new store", out);
		return EXIT_DATAERR;
	}
	for (; rc == 0 && optind < argc; optind++)
		rc = add_path(&o.cli, &in, argv[optind]);
	if (rc != 0)
		goto done;
	if ((a = inkan_arena_new()) == NULL) {
		rc = EXIT_SOFTWARE;
		goto done;
	}
	/* AUTO keeps the stored column: a merge changes nothing unasked. */
	by = o.by == INKAN_SURVEY_BY_AUTO ? INKAN_SURVEY_BY_COLUMN : o.by;
	if ((rc = side_check(&o, &in, a, &by)) != 0 || (rc = load_psl(&o, by, &psl)) != 0)
		goto done;
	if ((rc = inkan_survey_store_open(out, &in.store, &ewhy)) != 0) {
		cli_error(&o.cli, "%s: %s", out, ewhy != NULL ? ewhy : inkan_strerror(rc));
		rc = EXIT_SOFTWARE;
		goto done;
	}
	if (inkan_survey_merge(in.store, (const char *const *)in.paths, in.n, by, psl, why,
	    sizeof(why)) != 0) {
		cli_error(&o.cli, "%s", why);
		rc = EXIT_DATAERR;
	} else if (inkan_survey_merged_meta_write(in.store, in.meta, in.n) != 0) {
		cli_error(&o.cli, "%s: cannot write survey_meta", out);
		rc = EXIT_SOFTWARE;
	}
	if (rc != 0) {
		inkan_survey_store_close(in.store);
		in.store = NULL;
		(void)unlink(out);
	}
done:
	inkan_survey_store_close(in.store);
	free(in.paths);
	inkan_arena_free(a);
	return rc;
}
