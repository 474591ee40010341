/* survey_report.h - the report side of inkan survey: categories made
 * from the domain name, the run metadata of a store, and merging the
 * stores of a sharded survey into one.
 *
 * A store (survey.h) is one SQLite file with the table survey_domain and,
 * from runs that write it, survey_meta(key, value): 'shard' ("i/N"),
 * 'input_sha256' (of the whole input, before sharding), 'options',
 * 'started', 'finished' (set when the run completed).  A store without
 * survey_meta is an older run: shard 1/1 of an unknown input.
 *
 * Merging copies the rows of every input into one store, recomputing
 * the category on the way when asked (tld, sld, suffix), so the adoption
 * table of the result is inkan_survey_tally() unchanged: new measures and
 * new columns of survey_domain need nothing here.  A domain found in two
 * inputs is counted once: a row without error wins over a row with one,
 * otherwise the input listed first wins.
 */
#ifndef INKAN_SURVEY_REPORT_H
#define INKAN_SURVEY_REPORT_H

#include <stdbool.h>
#include <stddef.h>

struct inkan_arena;
struct inkan_dmarc_psl;
struct inkan_survey_store;

/* Where a report's categories come from. */
enum inkan_survey_by {
	INKAN_SURVEY_BY_AUTO = 0,	/* COLUMN if any row has a category, else SLD */
	INKAN_SURVEY_BY_COLUMN,		/* the category stored with the domain */
	INKAN_SURVEY_BY_TLD,		/* the last label: "jp" */
	INKAN_SURVEY_BY_SLD,		/* the last two labels of a name of three or more
					   ("co.jp" of "example.co.jp"), else the TLD
					   ("jp" of "example.jp") */
	INKAN_SURVEY_BY_SUFFIX,		/* the public suffix (Public Suffix List, ICANN
					   and private rules) under which the domain is
					   registered; the name itself if it is one */
};

/* "auto", "column", "tld", "sld", "suffix"; and back (-1 if unknown). */
const char *inkan_survey_by_name(enum inkan_survey_by by);
int inkan_survey_by_parse(const char *s);

/* The category of domain (lower case, no trailing dot) by rule by, which
 * must not be AUTO or COLUMN; psl is needed for SUFFIX only.  *out points
 * into domain (TLD, SLD) or into a (SUFFIX).  0 or INKAN_EINVAL. */
int inkan_survey_category(enum inkan_survey_by by, const struct inkan_dmarc_psl *psl,
    struct inkan_arena *a, const char *domain, const char **out);

/* What a store says about the run that made it. */
struct inkan_survey_meta {
	const char *path;
	bool has_meta;			/* survey_meta has rows */
	unsigned shard, nshards;	/* 1/1 without meta */
	const char *input_sha256;	/* NULL: unknown */
	const char *started, *finished, *options;	/* NULL when absent */
	long long rows;			/* rows of survey_domain */
	bool has_category;		/* some row has a non-empty category */
};

/* Read the metadata of the store at path (opened read-only; it must
 * exist and have the table survey_domain).  Strings in a.  INKAN_EIO
 * (or INKAN_EINVAL: a bad 'shard' value) with the reason in why. */
int inkan_survey_meta_read(const char *path, struct inkan_arena *a,
    struct inkan_survey_meta *out, char *why, size_t whylen);

/* Check that the n stores are shards of one survey: the same input
 * (where both input_sha256 are known), the same N, no shard twice.  Returns 0, or INKAN_EINVAL with the reason
 * in why (refuse to merge).  Problems that still allow a table (missing
 * shards, unfinished runs, an unknown input) go to warn(arg, message)
 * one by one. */
int inkan_survey_shards_check(const struct inkan_survey_meta *m, size_t n, char *why,
    size_t whylen, void (*warn)(void *arg, const char *msg), void *arg);

/* Copy the rows of the stores paths[0..n-1] into out (open, normally
 * empty), the category made by rule by (AUTO is COLUMN here; psl for
 * SUFFIX).  0, or INKAN_EIO / INKAN_ENOMEM with the reason in why. */
int inkan_survey_merge(struct inkan_survey_store *out, const char *const *paths, size_t n,
    enum inkan_survey_by by, const struct inkan_dmarc_psl *psl, char *why, size_t whylen);

/* Write the survey_meta of a merge of the n stores m into out (the
 * table is created if needed): shard 1/1, their common input_sha256, the
 * earliest 'started', and 'finished' (the latest) only when every shard
 * is there and finished.  0 or INKAN_EIO. */
int inkan_survey_merged_meta_write(struct inkan_survey_store *out,
    const struct inkan_survey_meta *m, size_t n);

#endif
