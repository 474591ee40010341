/* survey_html.c - `inkan survey report --html`: the adoption table as
 * one self-contained page.
 *
 * No script, no external anything: inline CSS, one inline SVG bar chart
 * per category (each measure as a share of all domains and of the
 * domains with MX, and with --compare the other survey's share beneath),
 * and the same numbers as text in a table, so that a screen reader, a
 * copy and paste and the tests read what the chart shows.  The Content-
 * Security-Policy forbids loading anything.  Category names come from
 * the input list (or from domain names in DNS zones) and are escaped.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inkan/survey.h"
#include "survey_report.h"

#define LABEL_W	170	/* room for the measure names, px */
#define BAR_W	480	/* 100 % */
#define ROW_H	26	/* one measure: two bars of BAR_H */
#define BAR_H	9
#define ROW_H_CMP 42	/* with --compare: four bars of BAR_H_CMP */
#define BAR_H_CMP 9

static const char style[] =
"body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1f2328;"
"padding:0 16px}"
"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 4px}"
".sub,.den{color:#57606a;margin:2px 0 10px}"
"table{border-collapse:collapse;margin:8px 0 16px}"
"th,td{padding:3px 8px;border-bottom:1px solid #eaeef2;text-align:left}"
"th{font-weight:600;background:#f6f8fa}td.n,th.n{text-align:right;"
"font-variant-numeric:tabular-nums}"
".up{color:#1a7f37}.down{color:#cf222e}"
"svg text{font:12px system-ui,sans-serif;fill:#1f2328}svg text.v{fill:#57606a;font-size:9px}"
"rect.all{fill:#0969da}rect.mx{fill:#54aeff}"
"rect.old-all{fill:#8c959f}rect.old-mx{fill:#d0d7de}"
".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}"
".only{font-style:italic;color:#9a6700}";

static void
esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* Control characters have no business in a label. */
			fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
		}
	}
}

static void
esc_list(FILE *f, char *const *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		esc(f, p[i]);
	}
}

static const char *
sign_class(double d)
{
	return d > 0 ? " up" : d < 0 ? " down" : "";
}

static void
bar(FILE *f, const char *cls, int y, int h, double pct)
{
	double w = pct / 100.0 * BAR_W;

	fprintf(f, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\""
	    " data-value=\"%.2f\"><title>%.2f%%</title></rect>", cls, LABEL_W, y, w, h, pct, pct);
	fprintf(f, "<text class=\"v\" x=\"%.2f\" y=\"%d\">%.1f%%</text>", LABEL_W + w + 4,
	    y + h, pct);
}

static void
chart(FILE *f, size_t idx, const struct survey_row *r, bool compare)
{
	const struct inkan_survey_tally *c = r->cur, *o = r->old;
	int bars = (c != NULL) * 2 + (compare && o != NULL) * 2;
	int bh = compare ? BAR_H_CMP : BAR_H, rh = compare ? ROW_H_CMP : ROW_H;
	int h = INKAN_SURVEY_NMETRICS * rh + 8;

	if (bars == 0)
		return;
	fprintf(f, "<svg class=\"chart\" id=\"chart-%zu\" width=\"%d\" height=\"%d\" viewBox=\"0 0"
	    " %d %d\" role=\"img\" aria-label=\"share of domains by measure\">\n", idx,
	    LABEL_W + BAR_W + 60, h, LABEL_W + BAR_W + 60, h);
	for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
		int y = 4 + m * rh;

		fprintf(f, "<g class=\"row\" data-measure=\"%s\"><text x=\"0\" y=\"%d\">%s</text>",
		    inkan_survey_metric_name(m), y + rh / 2 + 2, inkan_survey_metric_name(m));
		if (c != NULL) {
			bar(f, "all", y, bh, survey_pct(c->count[m], c->all));
			y += bh + 1;
		}
		if (compare && o != NULL) {
			bar(f, "old-all", y, bh, survey_pct(o->count[m], o->all));
			y += bh + 1;
		}
		if (c != NULL) {
			bar(f, "mx", y, bh, survey_pct(c->count_mx[m], c->with_mx));
			y += bh + 1;
		}
		if (compare && o != NULL)
			bar(f, "old-mx", y, bh, survey_pct(o->count_mx[m], o->with_mx));
		fputs("</g>\n", f);
	}
	fputs("</svg>\n", f);
}

static void
td_n(FILE *f, bool have, long long v, bool sign)
{
	if (!have)
		fputs("<td class=\"n\">-</td>", f);
	else if (sign)
		fprintf(f, "<td class=\"n%s\">%+lld</td>", sign_class((double)v), v);
	else
		fprintf(f, "<td class=\"n\">%lld</td>", v);
}

static void
td_p(FILE *f, bool have, double v, bool sign)
{
	if (!have)
		fputs("<td class=\"n\">-</td>", f);
	else if (sign)
		fprintf(f, "<td class=\"n%s\">%+.2f</td>", sign_class(v), v);
	else
		fprintf(f, "<td class=\"n\">%.2f%%</td>", v);
}

static void
table(FILE *f, size_t idx, const struct survey_row *r, bool compare)
{
	const struct inkan_survey_tally *c = r->cur, *o = r->old;

	fprintf(f, "<table class=\"t\" id=\"table-%zu\"><tr><th>measure</th>", idx);
	if (compare)
		fputs("<th class=\"n\">domains, other</th>", f);
	fputs("<th class=\"n\">domains</th>", f);
	if (compare)
		fputs("<th class=\"n\">change</th><th class=\"n\">% of all, other</th>", f);
	fputs("<th class=\"n\">% of all</th>", f);
	if (compare)
		fputs("<th class=\"n\">change, pp</th><th class=\"n\">with MX, other</th>", f);
	fputs("<th class=\"n\">with MX</th>", f);
	if (compare)
		fputs("<th class=\"n\">change</th><th class=\"n\">% of with MX, other</th>", f);
	fputs("<th class=\"n\">% of with MX</th>", f);
	if (compare)
		fputs("<th class=\"n\">change, pp</th>", f);
	fputs("</tr>\n", f);
	for (int m = 0; m < INKAN_SURVEY_NMETRICS; m++) {
		double pc = c ? survey_pct(c->count[m], c->all) : 0;
		double po = o ? survey_pct(o->count[m], o->all) : 0;
		double mc = c ? survey_pct(c->count_mx[m], c->with_mx) : 0;
		double mo = o ? survey_pct(o->count_mx[m], o->with_mx) : 0;

		fprintf(f, "<tr data-measure=\"%s\"><td>%s</td>", inkan_survey_metric_name(m),
		    inkan_survey_metric_name(m));
		if (compare)
			td_n(f, o, o ? o->count[m] : 0, false);
		td_n(f, c, c ? c->count[m] : 0, false);
		if (compare) {
			td_n(f, c && o, c && o ? c->count[m] - o->count[m] : 0, true);
			td_p(f, o, po, false);
		}
		td_p(f, c, pc, false);
		if (compare) {
			td_p(f, c && o, pc - po, true);
			td_n(f, o, o ? o->count_mx[m] : 0, false);
		}
		td_n(f, c, c ? c->count_mx[m] : 0, false);
		if (compare) {
			td_n(f, c && o, c && o ? c->count_mx[m] - o->count_mx[m] : 0, true);
			td_p(f, o, mo, false);
		}
		td_p(f, c, mc, false);
		if (compare)
			td_p(f, c && o, mc - mo, true);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

void
survey_html(FILE *f, const struct survey_view *v)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
	    " style-src 'unsafe-inline'\">"
	    "<title>inkan survey report</title>\n<style>%s</style></head>\n<body>\n"
	    "<h1>Mail security adoption</h1>\n<p class=\"sub\">Survey: ", style);
	esc_list(f, v->stores, v->nstores);
	fprintf(f, "; categories by %s.", v->by);
	if (v->compare) {
		fputs(" Compared with the other survey: ", f);
		esc_list(f, v->others, v->nothers);
		fputs("; a change is this survey minus the other, in domains and in percentage"
		    " points (pp).", f);
	}
	fprintf(f, " Made by inkan on %s.</p>\n", when);
	fputs("<p class=\"den\" id=\"denominators\">Every percentage has its denominator stated"
	    " with its category: <b>% of all</b> is of all domains surveyed in the category,"
	    " <b>% of with MX</b> of those with MX (at least one mail host; Null MX does not"
	    " count).</p>\n<p class=\"legend\"><span style=\"background:#0969da\"></span>% of"
	    " all<span style=\"background:#54aeff\"></span>% of with MX", f);
	if (v->compare)
		fputs("<span style=\"background:#8c959f\"></span>other survey, % of all"
		    "<span style=\"background:#d0d7de\"></span>other survey, % of with MX", f);
	fputs("</p>\n<table id=\"summary\"><tr><th>category</th><th class=\"n\">domains</th>"
	    "<th class=\"n\">with MX</th>", f);
	if (v->compare)
		fputs("<th class=\"n\">domains, other</th><th class=\"n\">with MX, other</th>", f);
	fputs("</tr>\n", f);
	for (size_t i = 0; i < v->n; i++) {
		const struct survey_row *r = &v->rows[i];

		fputs("<tr data-category=\"", f);
		esc(f, survey_cat_label(r->category));
		fputs("\"><td>", f);
		esc(f, survey_cat_label(r->category));
		fputs("</td>", f);
		td_n(f, r->cur, r->cur ? r->cur->all : 0, false);
		td_n(f, r->cur, r->cur ? r->cur->with_mx : 0, false);
		if (v->compare) {
			td_n(f, r->old, r->old ? r->old->all : 0, false);
			td_n(f, r->old, r->old ? r->old->with_mx : 0, false);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	for (size_t i = 0; i < v->n; i++) {
		const struct survey_row *r = &v->rows[i];

		fprintf(f, "<section class=\"cat\" id=\"cat-%zu\" data-category=\"", i);
		esc(f, survey_cat_label(r->category));
		fputs("\">\n<h2>", f);
		esc(f, survey_cat_label(r->category));
		fprintf(f, "</h2>\n<p class=\"den\" id=\"den-%zu\">", i);
		if (r->cur != NULL)
			fprintf(f, "<span class=\"all\">%lld</span> domains, <span class=\"mx\">%lld"
			    "</span> with MX", r->cur->all, r->cur->with_mx);
		else
			fputs("<span class=\"only\">only in the other survey</span>", f);
		if (v->compare && r->old != NULL)
			fprintf(f, "; other survey: <span class=\"old-all\">%lld</span> domains,"
			    " <span class=\"old-mx\">%lld</span> with MX", r->old->all,
			    r->old->with_mx);
		else if (v->compare)
			fputs("; <span class=\"only\">not in the other survey</span>", f);
		fputs("</p>\n", f);
		chart(f, i, r, v->compare);
		table(f, i, r, v->compare);
		fputs("</section>\n", f);
	}
	fputs("</body></html>\n", f);
}
