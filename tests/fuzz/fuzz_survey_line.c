/* fuzz_survey_line.c - one line of a survey domain list
 * (inkan_survey_line_parse), the zone-file sniffer and the shard hash:
 * what `inkan survey run` reads from its untrusted input file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/limits.h"
#include "inkan/survey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char buf[INKAN_SURVEY_MAX_LINE + 2];
	char *dom, *cat;
	const char *why;

	if (len > INKAN_SURVEY_MAX_LINE)
		len = INKAN_SURVEY_MAX_LINE;
	memcpy(buf, data, len);
	buf[len] = '\0';
	(void)inkan_survey_looks_like_zone(buf);
	if (inkan_survey_line_parse(buf, &dom, &cat, &why) == 1) {
		/* the domain is a checked name: hash and shard it */
		(void)inkan_survey_in_shard(dom, 3, 7);
		if (strlen(dom) > 253 || (cat != NULL && strlen(cat) > len))
			abort();
	}
	return 0;
}
