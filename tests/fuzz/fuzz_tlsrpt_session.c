/* fuzz_tlsrpt_session.c - the TLS-RPT session file parser, and the round
 * trip behind it: every line that parses is counted by the report builder,
 * the reports are written as RFC 8460 JSON, and that JSON must parse back
 * with our own TLS-RPT parser to the same session counts.  A report we
 * write that we cannot read, or that says other numbers, aborts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/report.h"
#include "inkan/report_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_tlsrpt_gen_opts o = { "fuzz org", "mailto:t@fuzz.example", NULL, 0,
		4102444800 };
	struct inkan_arena *a = inkan_arena_new(), *la = inkan_arena_new();
	struct inkan_tlsrpt_gen *g = NULL;
	struct inkan_tlsrpt_report *reps;
	const char *p = (const char *)data, *end = p + len;
	uint64_t used_ok = 0, used_fail = 0;
	size_t n;

	if (a == NULL || la == NULL || inkan_tlsrpt_gen_new(&o, &g) != 0)
		goto out;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		struct inkan_tlsrpt_session s;
		struct inkan_report_diag d = { "" };
		bool used;

		inkan_arena_reset(la);
		if (inkan_tlsrpt_session_parse(la, p, (size_t)(e - p), &s, &d) == 0 &&
		    inkan_tlsrpt_gen_add(g, &s, &used) == 0 && used) {
			if (strcmp(s.result, "success") == 0)
				used_ok++;
			else
				used_fail++;
		}
		p = e + 1;
	}
	if (inkan_tlsrpt_gen_reports(g, a, &reps, &n) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct inkan_tlsrpt_report back;
		struct inkan_report_diag d = { "" };
		char *js;
		size_t jl;

		if (inkan_tlsrpt_report_json(a, &reps[i], &js, &jl) != 0)
			abort();	/* every string was checked when parsed */
		if (inkan_tlsrpt_parse_json(a, js, jl, &back, &d) != 0 ||
		    back.successful != reps[i].successful || back.failed != reps[i].failed)
			abort();
		used_ok -= back.successful;
		used_fail -= back.failed;
	}
	if (used_ok != 0 || used_fail != 0)
		abort();
out:
	inkan_tlsrpt_gen_free(g);
	inkan_arena_free(la);
	inkan_arena_free(a);
	return 0;
}
