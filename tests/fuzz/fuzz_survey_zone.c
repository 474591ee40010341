/* fuzz_survey_zone.c - the delegation extractor of `inkan survey run
 * --zone-file`: master-file text read through ldns, NS owners below the
 * apex, de-duplicated.  Every name returned must be below the apex and
 * returned once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/survey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	FILE *f;
	struct inkan_survey_zone *z;
	const char *name, *why;
	size_t line;
	int n = 0;

	if (len == 0 || (f = fmemopen((void *)data, len, "r")) == NULL)
		return 0;
	if (inkan_survey_zone_open(f, (len & 1) ? "example." : NULL, &z) == 0) {
		while (n++ < 100000 && inkan_survey_zone_next(z, &name, &line, &why) == 1)
			if (name == NULL || *name == '\0')
				abort();
		inkan_survey_zone_close(z);
	}
	fclose(f);
	return 0;
}
