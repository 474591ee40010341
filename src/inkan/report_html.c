/* report_html.c - `inkan report html`: the summary document as one
 * self-contained page.
 *
 * The page is the same JSON document `inkan report summary --json`
 * prints (store summary, PTR and SPF annotations, the p=none -> p=reject
 * advice), drawn rather than listed: no script, no external font, style
 * sheet or image, the charts inline SVG.  It opens from a file, offline,
 * in any browser, and can be mailed as it is.  Every value that came
 * from a report (organisation names, domains, reasons) is escaped: a
 * report is attacker-written, and this page is where a person reads it.
 *
 * Numbers appear as text as well as bars (and in elements with ids and
 * data-value attributes), so that a screen reader, a copy and paste and
 * the tests see what the chart shows.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inkan/buf.h"
#include "inkan/error.h"
#include "report_html.h"

#define W	760	/* chart width, px */
#define LABEL_W	310	/* room for the labels of horizontal bars */

/* ---- escaping ---- */

static void
esc(struct inkan_buf *b, const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': inkan_buf_puts(b, "&amp;"); break;
		case '<': inkan_buf_puts(b, "&lt;"); break;
		case '>': inkan_buf_puts(b, "&gt;"); break;
		case '"': inkan_buf_puts(b, "&quot;"); break;
		case '\'': inkan_buf_puts(b, "&#39;"); break;
		default:
			/* controls other than TAB/LF/CR are not text */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				inkan_buf_putc(b, '?');
			else
				inkan_buf_putc(b, *s);
		}
	}
}

static json_int_t
ji(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static double
jd(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static const char *
js(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* ---- pieces ---- */

static const char style[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;"
	"color:#1d2329;background:#fff;max-width:1100px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
	"border-bottom:1px solid #d0d7de;padding-bottom:4px}"
	".sub{color:#57606a;font-size:13px}"
	".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}"
	".card{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:120px}"
	".card .v{font-size:22px;font-weight:600}.card .k{font-size:12px;color:#57606a}"
	"table{border-collapse:collapse;font-size:13px;margin:8px 0}"
	"th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	".pass{fill:#2e7d32}.fail{fill:#c62828}.vol{fill:#b0bec5}.line{stroke:#1565c0;"
	"fill:none;stroke-width:2}.dot{fill:#1565c0}"
	"svg text{font-size:11px;fill:#1d2329}.axis{stroke:#8c959f;stroke-width:1}"
	".grid{stroke:#eaeef2;stroke-width:1}"
	".advice li{margin:6px 0}.advice ul{margin:2px 0 0 0;color:#57606a}"
	".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}"
	".empty{color:#57606a;font-style:italic}";

static void
card(struct inkan_buf *b, const char *id, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
card(struct inkan_buf *b, const char *id, const char *label, const char *fmt, ...)
{
	va_list ap;

	inkan_buf_printf(b, "<div class=\"card\"><div class=\"v\" id=\"%s\">", id);
	va_start(ap, fmt);
	inkan_buf_vprintf(b, fmt, ap);
	va_end(ap);
	inkan_buf_printf(b, "</div><div class=\"k\">%s</div></div>\n", label);
}

struct hbar {
	const char *label, *sub;	/* sub: a second, grey label (PTR name) */
	json_int_t a, b;		/* stacked: a (pass) then b (fail) */
};

/* Horizontal stacked bars, one row per item, scaled to the largest. */
static void
hbars(struct inkan_buf *b, const char *id, const struct hbar *v, size_t n,
    const char *ca, const char *cb, const char *na, const char *nb)
{
	json_int_t max = 1;
	const int row = 22, h = (int)n * row + 8;

	for (size_t i = 0; i < n; i++)
		if (v[i].a + v[i].b > max)
			max = v[i].a + v[i].b;
	inkan_buf_printf(b, "<svg id=\"%s\" role=\"img\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n", id, W, h, W, h);
	for (size_t i = 0; i < n; i++) {
		double span = W - LABEL_W - 90;
		double wa = span * (double)v[i].a / (double)max;
		double wb = span * (double)v[i].b / (double)max;
		int y = 4 + (int)i * row;

		inkan_buf_printf(b, "<g class=\"row\" data-label=\"");
		esc(b, v[i].label);
		inkan_buf_printf(b, "\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_W - 6,
		    y + 14);
		esc(b, v[i].label);
		if (v[i].sub != NULL) {
			inkan_buf_puts(b, " <tspan fill=\"#57606a\">");
			esc(b, v[i].sub);
			inkan_buf_puts(b, "</tspan>");
		}
		inkan_buf_puts(b, "</text>");
		inkan_buf_printf(b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\""
		    " data-value=\"%" JSON_INTEGER_FORMAT "\"><title>%s: %" JSON_INTEGER_FORMAT
		    "</title></rect>", ca, LABEL_W, y + 2, wa, v[i].a, na, v[i].a);
		if (cb != NULL)
			inkan_buf_printf(b, "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\""
			    " height=\"16\" data-value=\"%" JSON_INTEGER_FORMAT "\"><title>%s: %"
			    JSON_INTEGER_FORMAT "</title></rect>", cb, LABEL_W + wa, y + 2, wb,
			    v[i].b, nb, v[i].b);
		inkan_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">%" JSON_INTEGER_FORMAT,
		    LABEL_W + wa + wb + 6, y + 14, v[i].a + v[i].b);
		if (cb != NULL && v[i].b > 0)
			inkan_buf_printf(b, " (%" JSON_INTEGER_FORMAT " %s)", v[i].b, nb);
		inkan_buf_puts(b, "</text></g>\n");
	}
	inkan_buf_puts(b, "</svg>\n");
}

/* Messages per day (bars) and the pass rate (line), RFC 9990 reports
 * counting on the day their range begins. */
static void
day_chart(struct inkan_buf *b, json_t *days)
{
	size_t n = json_array_size(days), i;
	const int left = 50, right = 50, top = 10, ch = 200, h = ch + 60;
	double span = W - left - right, bw;
	json_int_t max = 1;
	json_t *v;

	json_array_foreach(days, i, v)
		if (ji(v, "messages") > max)
			max = ji(v, "messages");
	bw = span / (double)(n > 0 ? n : 1);
	inkan_buf_printf(b, "<svg id=\"chart-days\" role=\"img\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n", W, h, W, h);
	for (int g = 0; g <= 4; g++) {
		int y = top + ch - ch * g / 4;
		inkan_buf_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%" JSON_INTEGER_FORMAT "</text>"
		    "<text x=\"%d\" y=\"%d\">%d%%</text>\n", left, W - right, y, y, left - 4, y + 4,
		    max * g / 4, W - right + 4, y + 4, 25 * g);
	}
	json_array_foreach(days, i, v) {
		double x = left + bw * (double)i, bh = ch * (double)ji(v, "messages") / (double)max;

		inkan_buf_printf(b, "<rect class=\"vol\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" data-day=\"", x + bw * 0.1, top + ch - bh, bw * 0.8, bh);
		esc(b, js(v, "day"));
		inkan_buf_printf(b, "\" data-value=\"%" JSON_INTEGER_FORMAT "\"><title>", ji(v,
		    "messages"));
		esc(b, js(v, "day"));
		inkan_buf_printf(b, ": %" JSON_INTEGER_FORMAT " messages, %.1f%% pass</title>"
		    "</rect>\n", ji(v, "messages"), jd(v, "pass_rate"));
		/* at most ~12 day labels along the axis */
		if (n <= 12 || i % ((n + 11) / 12) == 0) {
			inkan_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			    x + bw / 2, top + ch + 16);
			esc(b, js(v, "day") != NULL && strlen(js(v, "day")) == 10 ? js(v, "day") + 5 :
			    js(v, "day"));
			inkan_buf_puts(b, "</text>\n");
		}
	}
	if (n > 0) {
		inkan_buf_puts(b, "<polyline class=\"line\" points=\"");
		json_array_foreach(days, i, v)
			inkan_buf_printf(b, "%.1f,%.1f ", left + bw * ((double)i + 0.5),
			    top + ch - ch * jd(v, "pass_rate") / 100.0);
		inkan_buf_puts(b, "\"/>\n");
		json_array_foreach(days, i, v)
			inkan_buf_printf(b, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
			    "data-value=\"%.1f\"/>\n", left + bw * ((double)i + 0.5),
			    top + ch - ch * jd(v, "pass_rate") / 100.0, jd(v, "pass_rate"));
	}
	inkan_buf_printf(b, "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>\n",
	    left, W - right, top + ch, top + ch);
	inkan_buf_printf(b, "<text x=\"%d\" y=\"%d\">messages (bars)</text><text x=\"%d\" "
	    "y=\"%d\" text-anchor=\"end\">DMARC pass rate (line)</text>\n", left, h - 8,
	    W - right, h - 8);
	inkan_buf_puts(b, "</svg>\n");
}

/* The failing messages by why they fail: which raw results passed
 * without aligning (RFC 7489 §3.1, RFC 9989: only an aligned pass
 * counts). */
static void
reasons_chart(struct inkan_buf *b, json_t *dm)
{
	static const char *const names[4] = {
		"DKIM and SPF pass, neither aligned",
		"only DKIM passes, not aligned",
		"only SPF passes, not aligned",
		"nothing passes (spoofed, forwarded, broken)",
	};
	struct hbar v[4];
	json_int_t cnt[4] = { 0, 0, 0, 0 };
	json_t *r;
	size_t i, n = 0;

	json_array_foreach(json_object_get(dm, "failing_auth"), i, r) {
		bool d = js(r, "dkim_pass_domains") != NULL, s = js(r, "spf_pass_domains") != NULL;
		cnt[d && s ? 0 : d ? 1 : s ? 2 : 3] += ji(r, "messages");
	}
	for (int k = 0; k < 4; k++)
		if (cnt[k] > 0)
			v[n++] = (struct hbar){ names[k], NULL, cnt[k], 0 };
	if (n == 0) {
		inkan_buf_puts(b, "<p class=\"empty\">No message failed DMARC.</p>\n");
		return;
	}
	hbars(b, "chart-reasons", v, n, "fail", NULL, "messages", NULL);
	inkan_buf_puts(b, "<table id=\"reasons\"><tr><th>why</th><th class=\"n\">messages</th>"
	    "</tr>\n");
	for (size_t k = 0; k < n; k++)
		inkan_buf_printf(b, "<tr><td>%s</td><td class=\"n\">%" JSON_INTEGER_FORMAT
		    "</td></tr>\n", v[k].label, v[k].a);
	inkan_buf_puts(b, "</table>\n");
}

static void
dmarc_section(struct inkan_buf *b, json_t *dm, int top)
{
	json_t *v, *r;
	size_t i, k, n;
	struct hbar *bars;

	inkan_buf_puts(b, "<h2>DMARC aggregate reports</h2>\n<div class=\"cards\">\n");
	card(b, "dmarc-reports", "reports", "%" JSON_INTEGER_FORMAT, ji(dm, "reports"));
	card(b, "dmarc-messages", "messages", "%" JSON_INTEGER_FORMAT, ji(dm, "messages"));
	card(b, "dmarc-pass", "pass (DKIM or SPF aligned)", "%" JSON_INTEGER_FORMAT,
	    ji(dm, "pass"));
	card(b, "dmarc-fail", "fail", "%" JSON_INTEGER_FORMAT, ji(dm, "fail"));
	card(b, "dmarc-pass-rate", "pass rate", "%.1f%%", jd(dm, "pass_rate"));
	card(b, "dmarc-sources", "source IPs", "%" JSON_INTEGER_FORMAT, ji(dm, "sources"));
	inkan_buf_puts(b, "</div>\n");

	inkan_buf_puts(b, "<h2>Pass rate over time</h2>\n");
	if (json_array_size(json_object_get(dm, "by_day")) == 0)
		inkan_buf_puts(b, "<p class=\"empty\">No DMARC reports.</p>\n");
	else
		day_chart(b, json_object_get(dm, "by_day"));
	inkan_buf_puts(b, "<table id=\"by-day\"><tr><th>day</th><th class=\"n\">messages</th>"
	    "<th class=\"n\">pass</th><th class=\"n\">fail</th><th class=\"n\">pass rate</th>"
	    "</tr>\n");
	json_array_foreach(json_object_get(dm, "by_day"), i, v) {
		inkan_buf_puts(b, "<tr><td>");
		esc(b, js(v, "day"));
		inkan_buf_printf(b, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%"
		    JSON_INTEGER_FORMAT "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td "
		    "class=\"n\">%.1f%%</td></tr>\n", ji(v, "messages"), ji(v, "pass"), ji(v, "fail"),
		    jd(v, "pass_rate"));
	}
	inkan_buf_puts(b, "</table>\n");

	json_t *src = json_object_get(dm, "by_source");
	n = json_array_size(src) < (size_t)top ? json_array_size(src) : (size_t)top;
	inkan_buf_printf(b, "<h2>Volume by source</h2>\n<p class=\"sub legend\">the %zu sources"
	    " sending most, of %zu:<span class=\"pass\" style=\"background:#2e7d32\"></span>pass"
	    "<span style=\"background:#c62828\"></span>fail</p>\n", n, json_array_size(src));
	if ((bars = calloc(n + 1, sizeof(*bars))) != NULL) {
		for (k = 0; k < n; k++) {
			v = json_array_get(src, k);
			bars[k] = (struct hbar){ or_dash(js(v, "source_ip")), js(v, "ptr"),
				ji(v, "pass"), ji(v, "fail") };
		}
		if (n > 0)
			hbars(b, "chart-sources", bars, n, "pass", "fail", "pass", "fail");
		free(bars);
	}
	inkan_buf_puts(b, "<table id=\"sources\"><tr><th>source IP</th><th>PTR</th>"
	    "<th>SPF-authorised</th><th>From</th><th class=\"n\">messages</th><th class=\"n\">"
	    "pass</th><th class=\"n\">fail</th><th class=\"n\">pass rate</th></tr>\n");
	json_array_foreach(src, i, v) {
		json_t *au = json_object_get(v, "spf_authorized");

		if (i >= (size_t)top)
			break;
		inkan_buf_puts(b, "<tr><td>");
		esc(b, js(v, "source_ip"));
		inkan_buf_puts(b, "</td><td>");
		esc(b, or_dash(js(v, "ptr")));
		inkan_buf_printf(b, "</td><td>%s</td><td>", json_is_true(au) ? "yes" :
		    json_is_false(au) ? "no" : "unknown");
		esc(b, or_dash(js(v, "header_from")));
		inkan_buf_printf(b, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%"
		    JSON_INTEGER_FORMAT "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td "
		    "class=\"n\">%.1f%%</td></tr>\n", ji(v, "messages"), ji(v, "pass"), ji(v, "fail"),
		    jd(v, "pass_rate"));
	}
	inkan_buf_puts(b, "</table>\n");

	inkan_buf_puts(b, "<h2>Why messages fail</h2>\n");
	reasons_chart(b, dm);

	inkan_buf_puts(b, "<h2>Before moving from p=none to p=reject</h2>\n");
	json_t *adv = json_object_get(dm, "advice");
	if (json_array_size(adv) == 0) {
		inkan_buf_puts(b, "<p class=\"empty\" id=\"advice\">No legitimate-looking source"
		    " fails DMARC: what still fails is not the domain's own mail (or the summary"
		    " had no DNS to tell).</p>\n");
	} else {
		inkan_buf_puts(b, "<p class=\"sub\">These sources look legitimate (the domain's SPF"
		    " record authorises them, or they sign with the domain) but their mail still"
		    " fails DMARC. At p=reject it would be lost: fix them first.</p>\n"
		    "<ol class=\"advice\" id=\"advice\">\n");
		json_array_foreach(adv, i, v) {
			inkan_buf_puts(b, "<li data-source=\"");
			esc(b, js(v, "source_ip"));
			inkan_buf_puts(b, "\"><b>");
			esc(b, js(v, "source_ip"));
			inkan_buf_puts(b, "</b> (");
			esc(b, or_dash(js(v, "ptr")));
			inkan_buf_puts(b, "), From: ");
			esc(b, js(v, "header_from"));
			inkan_buf_printf(b, ", <span class=\"n\">%" JSON_INTEGER_FORMAT "</span> messages"
			    " failing%s<ul>\n", ji(v, "messages"),
			    json_is_true(json_object_get(v, "spf_authorized")) ? ", SPF-authorised" : "");
			json_array_foreach(json_object_get(v, "reasons"), k, r) {
				inkan_buf_puts(b, "<li>");
				esc(b, json_string_value(r));
				inkan_buf_puts(b, "</li>\n");
			}
			inkan_buf_puts(b, "</ul></li>\n");
		}
		inkan_buf_puts(b, "</ol>\n");
	}

	if (json_array_size(json_object_get(dm, "dkim_not_aligned")) > 0) {
		inkan_buf_puts(b, "<h2>DKIM passes but does not align</h2>\n<table id=\"dkim-not-"
		    "aligned\"><tr><th>source IP</th><th>d=</th><th>From</th><th class=\"n\">"
		    "messages</th></tr>\n");
		json_array_foreach(json_object_get(dm, "dkim_not_aligned"), i, v) {
			inkan_buf_puts(b, "<tr><td>");
			esc(b, js(v, "source_ip"));
			inkan_buf_puts(b, "</td><td>");
			esc(b, js(v, "dkim_domain"));
			inkan_buf_puts(b, "</td><td>");
			esc(b, js(v, "header_from"));
			inkan_buf_printf(b, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
			    ji(v, "messages"));
		}
		inkan_buf_puts(b, "</table>\n");
	}

	inkan_buf_puts(b, "<h2>Reporting organisations</h2>\n<table id=\"orgs\"><tr><th>"
	    "organisation</th><th class=\"n\">reports</th><th class=\"n\">messages</th><th "
	    "class=\"n\">fail</th><th class=\"n\">pass rate</th></tr>\n");
	json_array_foreach(json_object_get(dm, "by_org"), i, v) {
		inkan_buf_puts(b, "<tr><td>");
		esc(b, js(v, "org_name"));
		inkan_buf_printf(b, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%"
		    JSON_INTEGER_FORMAT "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td "
		    "class=\"n\">%.1f%%</td></tr>\n", ji(v, "reports"), ji(v, "messages"),
		    ji(v, "fail"), jd(v, "pass_rate"));
	}
	inkan_buf_puts(b, "</table>\n");
}

static void
tls_section(struct inkan_buf *b, json_t *t)
{
	json_t *v;
	size_t i, n;
	struct hbar *bars;

	inkan_buf_puts(b, "<h2>SMTP TLS reports (TLS-RPT)</h2>\n<div class=\"cards\">\n");
	card(b, "tls-reports", "reports", "%" JSON_INTEGER_FORMAT, ji(t, "reports"));
	card(b, "tls-successful", "successful sessions", "%" JSON_INTEGER_FORMAT,
	    ji(t, "successful_sessions"));
	card(b, "tls-failed", "failed sessions", "%" JSON_INTEGER_FORMAT,
	    ji(t, "failed_sessions"));
	inkan_buf_puts(b, "</div>\n");
	json_t *pol = json_object_get(t, "by_policy");
	n = json_array_size(pol);
	if (n > 0 && (bars = calloc(n, sizeof(*bars))) != NULL) {
		json_array_foreach(pol, i, v)
			bars[i] = (struct hbar){ or_dash(js(v, "policy_domain")),
				or_dash(js(v, "policy_type")), ji(v, "successful_sessions"),
				ji(v, "failed_sessions") };
		hbars(b, "chart-tls", bars, n, "pass", "fail", "successful", "failed");
		free(bars);
	}
	inkan_buf_puts(b, "<table id=\"tls-policies\"><tr><th>policy domain</th><th>type</th>"
	    "<th>MX</th><th class=\"n\">successful</th><th class=\"n\">failed</th></tr>\n");
	json_array_foreach(pol, i, v) {
		inkan_buf_puts(b, "<tr><td>");
		esc(b, or_dash(js(v, "policy_domain")));
		inkan_buf_puts(b, "</td><td>");
		esc(b, js(v, "policy_type"));
		inkan_buf_puts(b, "</td><td>");
		esc(b, or_dash(js(v, "mx_host")));
		inkan_buf_printf(b, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%"
		    JSON_INTEGER_FORMAT "</td></tr>\n", ji(v, "successful_sessions"),
		    ji(v, "failed_sessions"));
	}
	inkan_buf_puts(b, "</table>\n");
	json_t *fr = json_object_get(t, "failures_by_result");
	if ((n = json_array_size(fr)) > 0 && (bars = calloc(n, sizeof(*bars))) != NULL) {
		inkan_buf_puts(b, "<h3>TLS failures by result type</h3>\n");
		json_array_foreach(fr, i, v)
			bars[i] = (struct hbar){ or_dash(js(v, "result_type")), NULL,
				ji(v, "sessions"), 0 };
		hbars(b, "chart-tls-failures", bars, n, "fail", NULL, "failed sessions", NULL);
		free(bars);
	}
}

int
report_html_write(json_t *doc, const char *dir, const char *domain, int top, char *why,
    size_t whylen)
{
	json_t *dm = json_object_get(doc, "dmarc"), *t = json_object_get(doc, "tlsrpt");
	json_t *f = json_object_get(doc, "failure");
	struct inkan_buf b;
	char when[64], *path = NULL, *tmp = NULL;
	time_t now = time(NULL);
	struct tm tm;
	FILE *fp;
	int fd, rc = 0;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	inkan_buf_init(&b, 0);
	inkan_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
	    " style-src 'unsafe-inline'; img-src data:\">"
	    "<title>inkan report%s", domain != NULL ? ": " : "");
	esc(&b, domain);
	inkan_buf_printf(&b, "</title>\n<style>%s</style></head>\n<body>\n<h1>Mail authentication"
	    " reports%s", style, domain != NULL ? " for " : "");
	esc(&b, domain);
	inkan_buf_printf(&b, "</h1>\n<p class=\"sub\">DMARC aggregate reports (RFC 9990, RFC 7489),"
	    " SMTP TLS reports (RFC 8460) and DMARC failure reports in the store; made by inkan"
	    " on %s.</p>\n", when);
	if (dm != NULL && json_is_object(dm))
		dmarc_section(&b, dm, top > 0 ? top : 15);
	if (t != NULL && json_is_object(t))
		tls_section(&b, t);
	if (f != NULL && json_is_object(f)) {
		json_t *v;
		size_t i;

		inkan_buf_printf(&b, "<h2>DMARC failure reports</h2>\n<div class=\"cards\">\n");
		card(&b, "failure-reports", "failure reports", "%" JSON_INTEGER_FORMAT,
		    ji(f, "reports"));
		inkan_buf_puts(&b, "</div>\n<table id=\"failure-types\"><tr><th>feedback type</th>"
		    "<th>auth failure</th><th class=\"n\">reports</th></tr>\n");
		json_array_foreach(json_object_get(f, "by_type"), i, v) {
			inkan_buf_puts(&b, "<tr><td>");
			esc(&b, or_dash(js(v, "feedback_type")));
			inkan_buf_puts(&b, "</td><td>");
			esc(&b, or_dash(js(v, "auth_failure")));
			inkan_buf_printf(&b, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
			    ji(v, "reports"));
		}
		inkan_buf_puts(&b, "</table>\n");
	}
	inkan_buf_puts(&b, "</body></html>\n");
	if (b.err != 0) {
		snprintf(why, whylen, "%s", inkan_strerror(b.err));
		inkan_buf_free(&b);
		return -1;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		inkan_buf_free(&b);
		return -1;
	}
	if (asprintf(&path, "%s/index.html", dir) < 0 ||
	    asprintf(&tmp, "%s/.index.html.XXXXXX", dir) < 0) {
		inkan_buf_free(&b);
		free(path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		rc = -1;
	} else {
		fchmod(fd, 0644);
		if (fwrite(b.p, 1, b.len, fp) != b.len || fclose(fp) != 0 || rename(tmp, path) != 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			unlink(tmp);
			rc = -1;
		}
	}
	if (rc == 0)
		snprintf(why, whylen, "%s", path);
	free(path);
	free(tmp);
	inkan_buf_free(&b);
	return rc;
}
