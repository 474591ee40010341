/* fuzz_smtp_reply.c - the SMTP reply parser (RFC 5321 §4.2) and the EHLO
 * extension reader, on what a hostile server might send.  Replies are
 * read one after the other from the input, as the probe reads them.
 * Checks the parser's promises: it never claims more bytes than given,
 * codes are 200..599, a reply has 1..INKAN_SMTP_MAX_REPLY_LINES lines
 * without control characters, every shorter prefix of a complete reply is
 * "incomplete" (so reading in pieces gives the same replies), and EHLO
 * keywords are upper-case letters, digits and hyphens. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/limits.h"
#include "inkan/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
check_reply(const struct inkan_smtp_reply *r)
{
	if (r->code < 200 || r->code > 599 || r->nlines == 0 ||
	    r->nlines > INKAN_SMTP_MAX_REPLY_LINES)
		abort();
	for (size_t i = 0; i < r->nlines; i++)
		for (const unsigned char *p = (const unsigned char *)r->lines[i]; *p; p++)
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
				abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *p = (const char *)data;
	size_t left = len;

	if (a == NULL)
		return 0;
	for (int round = 0; round < 16; round++) {
		struct inkan_smtp_reply r, rp;
		struct inkan_smtp_ehlo e;
		const char *why = NULL;
		size_t used = 0, pused;
		int rc = inkan_smtp_reply_parse(a, p, left, &r, &used, &why);

		if (rc != 0) {
			if (why == NULL)
				abort();
			break;
		}
		if (used == 0)
			break;
		if (used > left)
			abort();
		check_reply(&r);
		/* Prefixes: a few cut points, each must be "read more". */
		for (size_t k = 0; k < used; k += 1 + used / 7) {
			if (inkan_smtp_reply_parse(a, p, k, &rp, &pused, NULL) != 0 || pused != 0)
				abort();
		}
		if (inkan_smtp_ehlo_parse(a, &r, &e) == 0) {
			if (r.code != 250 || e.domain == NULL)
				abort();
			for (size_t i = 0; i < e.next; i++) {
				const char *k = e.ext[i].keyword;

				if (k[0] == '\0' || k[0] == '-' || e.ext[i].params == NULL)
					abort();
				for (; *k; k++)
					if (!((*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
					    *k == '-'))
						abort();
				if (inkan_smtp_ehlo_find(&e, e.ext[i].keyword) == NULL)
					abort();
			}
		} else if (r.code == 250) {
			abort();
		}
		p += used;
		left -= used;
	}
	inkan_arena_free(a);
	return 0;
}
