/* fuzz_tlsrpt_json.c - the RFC 8460 TLS report (JSON) parser. */
#include <stddef.h>
#include <stdint.h>

#include "inkan/arena.h"
#include "inkan/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_report_diag d = { "" };
	struct inkan_tlsrpt_report r;

	if (a == NULL)
		return 0;
	(void)inkan_tlsrpt_parse_json(a, (const char *)data, len, &r, &d);
	inkan_arena_free(a);
	return 0;
}
