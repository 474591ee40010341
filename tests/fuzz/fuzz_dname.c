/* fuzz_dname.c - domain-name checks, IDNA conversion, IP and CIDR parsing
 * on any bytes.  Cross-checks: a name that passes inkan_dname_check stays
 * valid after lowering; a parsed CIDR formats and re-parses to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *s = (const char *)data, *why;
	char *out;
	struct inkan_cidr c, c2;
	char buf[INKAN_IP_STRLEN];

	if (a == NULL)
		return 0;
	for (unsigned flags = 0; flags < 8; flags++) {
		if (inkan_dname_check(s, len, flags, &why) == 0) {
			char *low = inkan_dname_lower(a, s, len);

			if (low == NULL || inkan_dname_check(low, strlen(low), flags, &why) != 0)
				abort();
			if (!inkan_dname_equal(s, len, low, strlen(low)))
				abort();
		}
	}
	(void)inkan_dname_to_ascii(a, s, len, &out, &why);
	(void)inkan_dname_to_unicode(a, s, len, &out, &why);
	(void)inkan_dname_is_sub(s, len, s + len / 2, len - len / 2);
	if (inkan_cidr_parse(s, len, 0, &c) == 0) {
		inkan_ip_format(&c.ip, buf, sizeof(buf));
		if (inkan_ip_parse(buf, strlen(buf), &c2.ip) != 0 ||
		    memcmp(c.ip.a, c2.ip.a, sizeof(c.ip.a)) != 0)
			abort();
		(void)inkan_ip_reverse_name(a, &c.ip);
		(void)inkan_ip_dotted(a, &c.ip);
		(void)inkan_ip_match(&c.ip, &c2.ip, c.prefix);
	}
	inkan_arena_free(a);
	return 0;
}
