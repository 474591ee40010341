/* cmd_check.h - shared by cmd_check.c and cmd_check_html.c. */
#ifndef INKAN_CMD_CHECK_H
#define INKAN_CMD_CHECK_H

#include <stdio.h>

#include "inkan/check.h"

/* Write one self-contained HTML page for the n reports to f.  Returns 0
 * or -1 (write error). */
int check_html_write(FILE *f, const struct inkan_check_report *const *reps, size_t n);

/* Human names for categories in headings: "MX", "SPF", "MTA-STS", ... */
const char *check_category_title(enum inkan_check_category c);

#endif
