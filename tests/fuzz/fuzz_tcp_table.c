/* fuzz_tcp_table.c - the tcp_table request parser of inkan-stsd, fed as
 * a client stream, one line after another.  Checked: the decoded key
 * fits its buffer and holds no NUL, encoding it again and parsing that
 * gives the same key, and a reply line has exactly one newline, at its
 * end, and no byte tcp_table(5) says must be encoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "inkan/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data;
	size_t off = 0;

	while (off < len) {
		char key[INKAN_STSD_MAX_REQUEST + 1], key2[INKAN_STSD_MAX_REQUEST + 1];
		size_t kl, kl2, used = 0, used2;
		const char *why = NULL;
		enum proto_rc rc = tt_parse(p + off, len - off, INKAN_STSD_MAX_REQUEST, key,
		    sizeof(key), &kl, &used, &why);
		if (rc == PROTO_MORE || rc == PROTO_FATAL)
			break;
		if (used == 0 || used > len - off || (rc == PROTO_BAD && why == NULL))
			abort();
		if (rc == PROTO_OK) {
			if (kl == 0 || kl >= sizeof(key) || key[kl] != '\0' || strlen(key) != kl)
				abort();
			char line[3 * INKAN_STSD_MAX_REQUEST + 8];
			memcpy(line, "get ", 4);
			size_t n = tt_encode(line + 4, sizeof(line) - 5, key, kl);
			if (n == (size_t)-1)
				abort();
			line[4 + n] = '\n';
			if (tt_parse(line, 5 + n, sizeof(line), key2, sizeof(key2), &kl2, &used2,
			    &why) != PROTO_OK || kl2 != kl || memcmp(key, key2, kl) != 0)
				abort();
			char reply[4 * INKAN_STSD_MAX_REQUEST + 16];
			size_t rl = tt_format(reply, sizeof(reply), 200, key);
			if (rl == 0 || reply[rl - 1] != '\n')
				abort();
			for (size_t i = 4; i + 1 < rl; i++) {
				unsigned char c = (unsigned char)reply[i];
				if (c <= 32 || c >= 127)
					abort();
			}
		}
		off += used;
	}
	return 0;
}
