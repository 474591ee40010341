/* report_html.h - the report dashboard (report_html.c). */
#ifndef INKAN_REPORT_HTML_H
#define INKAN_REPORT_HTML_H

#include <jansson.h>
#include <stddef.h>

/* Write DIR/index.html (created whole, then renamed into place) from the
 * summary document of `inkan report summary --json` (with its PTR, SPF and
 * advice annotations).  domain names the page when the summary was for
 * one domain (may be NULL); top bounds the per-source chart.  Returns 0
 * with the path in why, or -1 with the reason in why. */
int report_html_write(json_t *doc, const char *dir, const char *domain, int top, char *why,
    size_t whylen);

#endif
