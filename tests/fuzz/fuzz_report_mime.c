/* fuzz_report_mime.c - finding reports in a message or mbox (GMime),
 * then parsing each part found; and reading each message as a failure
 * report (ARF, inkan_arf_parse). */
#include <stddef.h>
#include <stdint.h>

#include "inkan/arena.h"
#include "inkan/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static int
on_part(void *ctx, const char *name, const char *p, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_report r;

	(void)ctx;
	(void)name;
	if (a != NULL)
		(void)inkan_report_parse(a, p, len, &r, NULL);
	inkan_arena_free(a);
	return 0;
}

static void
arf(const char *p, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_arf_report r;

	if (a != NULL)
		(void)inkan_arf_parse(a, p, len, &r, NULL);
	inkan_arena_free(a);
}

static int
on_msg(void *ctx, size_t idx, const char *p, size_t len)
{
	(void)idx;
	arf(p, len);
	(void)inkan_report_mime_each(p, len, on_part, ctx, NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data;

	if (inkan_report_sniff(p, len) == INKAN_INPUT_MBOX)
		(void)inkan_report_mbox_each(p, len, on_msg, NULL);
	else {
		arf(p, len);
		(void)inkan_report_mime_each(p, len, on_part, NULL, NULL);
	}
	return 0;
}
