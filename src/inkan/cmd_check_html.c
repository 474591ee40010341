/* cmd_check_html.c - `inkan check --html FILE`: one self-contained page
 * (inline CSS and SVG, no script, nothing fetched) that a domain owner
 * can send to a provider.  Every string from the audit is escaped; the
 * page works offline and prints well.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd_check.h"
#include "inkan/check.h"

#ifndef INKAN_VERSION
#define INKAN_VERSION "0.1.0"
#endif

static void
esc(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static const char *
score_class(int score)
{
	return score < 0 ? "none" : score >= 90 ? "good" : score >= 60 ? "fair" : "poor";
}

/* A ring gauge for the overall score. */
static void
gauge(FILE *f, int score)
{
	double r = 40, circ = 2 * 3.14159265358979 * r;
	double filled = score < 0 ? 0 : circ * score / 100.0;

	char label[16];

	if (score < 0)
		snprintf(label, sizeof(label), "n/a");
	else
		snprintf(label, sizeof(label), "%d%%", score);
	fprintf(f, "<svg class=\"gauge %s\" viewBox=\"0 0 100 100\" width=\"96\" height=\"96\" "
	    "role=\"img\" aria-label=\"score %s\">"
	    "<circle cx=\"50\" cy=\"50\" r=\"40\" class=\"track\"/>"
	    "<circle cx=\"50\" cy=\"50\" r=\"40\" class=\"fill\" stroke-dasharray=\"%.1f %.1f\" "
	    "transform=\"rotate(-90 50 50)\"/>"
	    "<text x=\"50\" y=\"57\" text-anchor=\"middle\">%s</text></svg>\n",
	    score_class(score), label, filled, circ, label);
}

/* A bar per category. */
static void
bar(FILE *f, int score)
{
	fprintf(f, "<svg class=\"bar %s\" viewBox=\"0 0 100 8\" width=\"120\" height=\"10\" "
	    "preserveAspectRatio=\"none\"><rect class=\"track\" width=\"100\" height=\"8\"/>"
	    "<rect class=\"fill\" width=\"%d\" height=\"8\"/></svg>", score_class(score),
	    score < 0 ? 0 : score);
}

static const char css[] =
"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
"max-width:60em;padding:0 1em;color:#1d2330}\n"
"h1{font-size:1.5em;margin-bottom:.2em}h2{margin:0}h3{margin:1.4em 0 .4em;font-size:1.1em}"
".meta{color:#667;font-size:.9em}\n"
"section.domain{border-top:2px solid #dde;margin-top:2em;padding-top:1em}\n"
".head{display:flex;gap:1.5em;align-items:center}\n"
".gauge .track{fill:none;stroke:#e4e6ee;stroke-width:10}"
".gauge .fill{fill:none;stroke-width:10;stroke-linecap:round}"
".gauge text{font-size:22px;font-weight:600;fill:#1d2330}\n"
".good .fill{stroke:#2e9d4e;fill:#2e9d4e}.fair .fill{stroke:#d99a1e;fill:#d99a1e}"
".poor .fill{stroke:#c8372d;fill:#c8372d}.none .fill{stroke:#bbb;fill:#bbb}"
".bar .track{fill:#e4e6ee}.gauge.good .fill,.gauge.fair .fill,.gauge.poor .fill{fill:none}\n"
"table.cats{border-collapse:collapse}table.cats td{padding:.1em .6em}\n"
"ul.items{list-style:none;padding:0;margin:0}"
"ul.items li{padding:.35em .5em;border-left:4px solid #ccc;margin:.3em 0;background:#fafbfc}\n"
"li.pass{border-color:#2e9d4e}li.warn{border-color:#d99a1e;background:#fffaf0}"
"li.fail{border-color:#c8372d;background:#fff5f4}li.error{border-color:#8a3fb0}"
"li.info{border-color:#3a89c9}li.not-tested{border-color:#bbb;color:#667}\n"
".st{display:inline-block;min-width:5.5em;font-weight:600;font-size:.85em}"
"li.pass .st{color:#2e9d4e}li.warn .st{color:#b07c12}li.fail .st{color:#c8372d}"
"li.error .st{color:#8a3fb0}li.info .st{color:#3a89c9}\n"
".id{color:#889;font:.8em ui-monospace,monospace;margin-left:.5em}"
".subj{font-weight:600}.advice{margin:.25em 0 0 5.5em;font-size:.92em}\n"
"details{margin:.25em 0 0 5.5em}summary{cursor:pointer;color:#556;font-size:.9em}"
"pre{white-space:pre-wrap;word-break:break-all;font-size:.82em;background:#f1f2f6;"
"padding:.5em;margin:.3em 0}\n"
"@media print{details{display:block}summary{display:none}}\n";

int
check_html_write(FILE *f, const struct inkan_check_report *const *reps, size_t n)
{
	char when[40];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Mail domain check: ", f);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", f);
		esc(f, reps[i]->domain);
	}
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>Mail domain check</h1>\n"
	    "<p class=\"meta\">Made %s by inkan %s (<code>inkan check</code>). Each finding "
	    "has a stable id; a category's score is the share of its checks that pass, a "
	    "warning counting half.</p>\n", css, when, INKAN_VERSION);
	for (size_t i = 0; i < n; i++) {
		const struct inkan_check_report *r = reps[i];

		fputs("<section class=\"domain\">\n<div class=\"head\">\n", f);
		gauge(f, r->score);
		fputs("<div><h2>", f);
		esc(f, r->domain);
		fputs("</h2>\n<table class=\"cats\">\n", f);
		for (int k = 0; k < INKAN_CHECK_NCATEGORIES; k++) {
			const struct inkan_check_score *s = &r->categories[k];

			if (s->npass + s->nwarn + s->nfail + s->nerror + s->ninfo + s->nnot_tested == 0)
				continue;
			fprintf(f, "<tr><td><a href=\"#%s-%s\">%s</a></td><td>", r->domain,
			    inkan_check_category_name(k), check_category_title(k));
			bar(f, s->score);
			if (s->score >= 0)
				fprintf(f, "</td><td>%d%%</td>", s->score);
			else
				fputs("</td><td>&ndash;</td>", f);
			fprintf(f, "<td class=\"meta\">%u pass, %u warn, %u fail%s</td></tr>\n",
			    s->npass, s->nwarn, s->nfail, s->nerror ? ", errors" : "");
		}
		fputs("</table></div>\n</div>\n", f);
		for (int k = 0; k < INKAN_CHECK_NCATEGORIES; k++) {
			bool head = false;

			for (size_t j = 0; j < r->nitems; j++) {
				const struct inkan_check_item *it = &r->items[j];
				const char *st = inkan_check_status_name(it->status);

				if ((int)it->category != k)
					continue;
				if (!head) {
					fprintf(f, "<h3 id=\"%s-%s\">%s", r->domain,
					    inkan_check_category_name(k), check_category_title(k));
					if (r->categories[k].score >= 0)
						fprintf(f, " &middot; %d%%", r->categories[k].score);
					fputs("</h3>\n<ul class=\"items\">\n", f);
					head = true;
				}
				fprintf(f, "<li class=\"%s\"><span class=\"st\">%s</span>", st, st);
				if (it->subject != NULL && strstr(it->summary, it->subject) == NULL) {
					fputs("<span class=\"subj\">", f);
					esc(f, it->subject);
					fputs(":</span> ", f);
				}
				esc(f, it->summary);
				fputs("<span class=\"id\">", f);
				esc(f, it->id);
				fputs("</span>", f);
				if (it->advice != NULL && it->status != INKAN_CHECK_PASS) {
					fputs("<div class=\"advice\">", f);
					esc(f, it->advice);
					fputs("</div>", f);
				}
				if (it->nevidence > 0) {
					fputs("<details><summary>evidence</summary><pre>", f);
					for (size_t e = 0; e < it->nevidence; e++) {
						esc(f, it->evidence[e]);
						fputc('\n', f);
					}
					fputs("</pre></details>", f);
				}
				fputs("</li>\n", f);
			}
			if (head)
				fputs("</ul>\n", f);
		}
		fputs("</section>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
