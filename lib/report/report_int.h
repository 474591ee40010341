/* report_int.h - shared by the files of lib/report, not installed. */
#ifndef INKAN_REPORT_INT_H
#define INKAN_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "inkan/report.h"

/* Set diag->why (first reason wins); d may be NULL. */
void inkan__report_why(struct inkan_report_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
