/* fuzz_dmarc_xml.c - the DMARC aggregate report parser, after
 * decompression by content (so gzip/zip layers are fuzzed too). */
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
	struct inkan_dmarc_report r;
	const char *p;
	size_t n;

	if (a == NULL)
		return 0;
	if (inkan_report_decompress(a, (const char *)data, len, &p, &n, &d) == 0)
		(void)inkan_dmarc_parse_xml(a, p, n, &r, &d);
	inkan_arena_free(a);
	return 0;
}
