/* fuzz_dkim_sig.c - the DKIM-Signature value parser (RFC 6376 §3.5), and
 * the b= locator used to build the header hash input.  Checks that a
 * parsed signature is self-consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_sig sig;
	const char *why = NULL;

	if (a == NULL)
		return 0;
	int rc = inkan_dkim_sig_parse(a, (const char *)data, len, &sig, &why);

	if (rc == 0) {
		/* required tags present, From signed, lengths sane */
		if (sig.d == NULL || sig.s == NULL || sig.i == NULL || sig.nh == 0 ||
		    sig.blen == 0 || sig.bhlen == 0 || sig.b_text == NULL)
			abort();
		bool from = false;

		for (size_t i = 0; i < sig.nh; i++)
			from = from || strcmp(sig.h[i], "from") == 0;
		if (!from || (sig.x >= 0 && sig.t >= 0 && sig.x < sig.t))
			abort();
	} else if (rc == -4 && why == NULL) {
		abort();	/* a syntax error always says why */
	}
	inkan_arena_free(a);
	return 0;
}
