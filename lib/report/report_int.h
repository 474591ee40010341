/* report_int.h - shared by the files of lib/report, not installed. */
#ifndef INKAN_REPORT_INT_H
#define INKAN_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "inkan/report.h"

/* Set diag->why (first reason wins); d may be NULL. */
void inkan__report_why(struct inkan_report_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse p[0..len) as one MIME message with GMime (initialised once per
 * process here).  Returns the message (the caller g_object_unref()s it),
 * or NULL with *rc set to INKAN_ETOOBIG (over INKAN_REPORT_MAX_INPUT) or
 * INKAN_EMALFORMED and the reason in d. */
struct _GMimeMessage;
struct _GMimeMessage *inkan__report_mime_open(const char *p, size_t len,
    struct inkan_report_diag *d, int *rc);

#endif
