/* fuzz_socketmap.c - the socketmap request parser of inkan-stsd, fed as
 * a client stream: requests are taken one after another until the
 * parser wants more or gives up.  Checked: every slice lies inside the
 * buffer, a request handed out in pieces (every prefix) gives MORE or
 * the same answer, and the reply formatter's netstring parses back to
 * its own text. */
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
		struct sm_request rq, rq2;
		size_t used = 0, used2;
		const char *why = NULL;
		enum proto_rc rc = sm_parse(p + off, len - off, INKAN_STSD_MAX_REQUEST, &rq, &used,
		    &why);
		if (rc == PROTO_MORE || rc == PROTO_FATAL) {
			if (rc == PROTO_FATAL && why == NULL)
				abort();
			break;
		}
		if (used == 0 || used > len - off)
			abort();
		if (rc == PROTO_OK) {
			if (rq.name < p + off || rq.key + rq.keylen > p + off + used ||
			    rq.namelen == 0 || rq.keylen == 0)
				abort();
			/* A prefix of the request is incomplete, never another one. */
			for (size_t k = 0; k < used; k += 1 + used / 8)
				if (sm_parse(p + off, k, INKAN_STSD_MAX_REQUEST, &rq2, &used2, &why) ==
				    PROTO_OK)
					abort();
			/* The key as a reply, parsed back as a request "OK key". */
			char text[INKAN_STSD_MAX_REQUEST + 1], out[INKAN_STSD_MAX_REPLY + 64];
			memcpy(text, rq.key, rq.keylen);
			text[rq.keylen] = '\0';
			size_t n = sm_format(out, sizeof(out), SM_OK, text);
			if (n > 0 && strlen(text) == rq.keylen) {
				if (sm_parse(out, n, INKAN_STSD_MAX_REPLY, &rq2, &used2, &why) !=
				    PROTO_OK || used2 != n || rq2.namelen != 2 ||
				    memcmp(rq2.name, "OK", 2) != 0 || rq2.keylen != rq.keylen)
					abort();
				for (size_t i = 0; i < rq.keylen; i++) {
					unsigned char c = (unsigned char)rq.key[i];
					char want = c < 32 || c == 127 ? '?' : (char)c;
					if (rq2.key[i] != want)
						abort();
				}
			}
		} else if (why == NULL) {
			abort();
		}
		off += used;
	}
	return 0;
}
