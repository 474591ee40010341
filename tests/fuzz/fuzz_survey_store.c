/* fuzz_survey_store.c - the report side of the survey on untrusted stores
 * and names (survey_report.h).
 *
 * A shard's store may come from another machine: input that begins with
 * the SQLite header is written to a file and read as a store (its
 * survey_meta, the shard checks against itself and a second copy, a
 * merge with categories by SLD into a temporary store, the tally).  Any
 * other input is a domain name, whose category is made by every rule.
 * Cross-checks: a TLD or SLD category is a suffix of the name; a tally
 * ends with the total.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/survey.h"
#include "inkan/survey_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
names(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	const struct inkan_dmarc_psl *psl = inkan_dmarc_psl_shared(NULL, NULL);
	char *d = malloc(len + 1);
	const char *out;

	if (a == NULL || d == NULL)
		goto out;
	memcpy(d, data, len);
	d[len] = '\0';
	for (int by = INKAN_SURVEY_BY_AUTO; by <= INKAN_SURVEY_BY_SUFFIX; by++) {
		if (inkan_survey_category(by, psl, a, d, &out) != 0)
			continue;
		if (by == INKAN_SURVEY_BY_TLD || by == INKAN_SURVEY_BY_SLD) {
			size_t dl = strlen(d), ol = strlen(out);

			if (ol > dl || strcmp(d + dl - ol, out) != 0)
				abort();
		}
	}
out:
	free(d);
	inkan_arena_free(a);
}

static void
store(const uint8_t *data, size_t len)
{
	char path[64], why[512];
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_survey_meta m[2];
	struct inkan_survey_store *out = NULL;
	struct inkan_survey_tally *t;
	const char *paths[2], *ewhy;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/inkan-fuzz-store-%ld.db", (long)getpid());
	if (a == NULL || (f = fopen(path, "wb")) == NULL)
		goto out;
	fwrite(data, 1, len, f);
	fclose(f);
	if (inkan_survey_meta_read(path, a, &m[0], why, sizeof(why)) != 0)
		goto out;
	m[1] = m[0];
	(void)inkan_survey_shards_check(m, 2, why, sizeof(why), NULL, NULL);
	(void)inkan_survey_shards_check(m, 1, why, sizeof(why), NULL, NULL);
	if (inkan_survey_store_open("", &out, &ewhy) != 0)
		goto out;
	paths[0] = paths[1] = path;
	if (inkan_survey_merge(out, paths, 2, INKAN_SURVEY_BY_SLD, NULL, why, sizeof(why)) == 0 &&
	    inkan_survey_tally(out, a, &t, &n) == 0 && (n == 0 || *t[n - 1].category != '*'))
		abort();	/* the total is always there, last */
	(void)inkan_survey_merged_meta_write(out, m, 1);
out:
	inkan_survey_store_close(out);
	unlink(path);
	/* a header saying WAL mode makes sqlite leave these next to it */
	for (const char *const *x = (const char *const[]){ "-wal", "-shm", "-journal", NULL };
	    *x != NULL; x++) {
		char p2[80];

		snprintf(p2, sizeof(p2), "%s%s", path, *x);
		unlink(p2);
	}
	inkan_arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len >= 16 && memcmp(data, "SQLite format 3", 16) == 0)
		store(data, len);
	else
		names(data, len);
	return 0;
}
