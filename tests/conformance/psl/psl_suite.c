/* psl_suite.c - the publicsuffix.org test suite through inkan's PSL code.
 *
 *   psl_suite LIST FILE...
 *
 * LIST is the list file (Debian's public_suffix_list.dat); each FILE is
 * either test_psl.txt (lines "checkPublicSuffix('<domain>', '<expected>');")
 * or tests.txt (lines "<domain> <expected>"); "null" means no input / no
 * registrable domain.  For each check, inkan_dmarc_psl_registrable() must
 * give the expected registrable domain; both sides are compared as
 * A-labels (the suite writes IDN answers in the form of the question).
 * An input that is not a domain name (a leading dot) must give no answer.
 * Output is TAP, one line per check, named by file, line and domain.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/dmarc.h"
#include "inkan/error.h"

static int ntests, nfail;

static void
check(const struct inkan_dmarc_psl *psl, const char *file, int line, const char *dom,
    const char *want)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *got = NULL, *want_a = NULL;
	int rc;

	if (a == NULL)
		abort();
	rc = inkan_dmarc_psl_registrable(psl, a, dom, &got);
	if (rc != 0 && rc != INKAN_EMALFORMED && rc != INKAN_EINVAL) {
		printf("not ok %d - %s:%d %s: error %s\n", ++ntests, file, line,
		    dom ? dom : "null", inkan_strerror(rc));
		nfail++;
		inkan_arena_free(a);
		return;
	}
	if (want != NULL) {
		char *w = NULL;

		if (inkan_dname_to_ascii(a, want, strlen(want), &w, NULL) != 0)
			abort();
		want_a = w;
	}
	bool ok = (got == NULL && want == NULL) ||
	    (got != NULL && want_a != NULL && strcmp(got, want_a) == 0);

	printf("%s %d - %s:%d %s -> %s (want %s)\n", ok ? "ok" : "not ok", ++ntests, file, line,
	    dom ? dom : "null", got ? got : "null", want ? want : "null");
	if (!ok)
		nfail++;
	inkan_arena_free(a);
}

/* The text between the quotes of 'x', or NULL for null. */
static char *
quoted(char **p)
{
	char *s = *p, *e;

	while (*s == ' ' || *s == ',' || *s == '(')
		s++;
	if (strncmp(s, "null", 4) == 0) {
		*p = s + 4;
		return NULL;
	}
	if (*s != '\'' || (e = strchr(s + 1, '\'')) == NULL) {
		fprintf(stderr, "cannot parse: %s\n", s);
		exit(2);
	}
	*e = '\0';
	*p = e + 1;
	return s + 1;
}

static void
run_file(const struct inkan_dmarc_psl *psl, const char *path)
{
	FILE *f = fopen(path, "r");
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char buf[1024];
	int line = 0;

	if (f == NULL) {
		printf("not ok %d - cannot open %s\n", ++ntests, path);
		nfail++;
		return;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		char *p = buf, *dom, *want;

		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || strncmp(p, "//", 2) == 0)
			continue;
		if (strncmp(p, "checkPublicSuffix(", 18) == 0) {
			p += 17;
			dom = quoted(&p);
			want = quoted(&p);
		} else {
			char *sp = strchr(p, ' ');

			if (sp == NULL) {
				fprintf(stderr, "%s:%d: cannot parse\n", path, line);
				exit(2);
			}
			*sp = '\0';
			dom = strcmp(p, "null") == 0 ? NULL : p;
			want = strcmp(sp + 1, "null") == 0 ? NULL : sp + 1;
		}
		check(psl, base, line, dom, want);
	}
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct inkan_dmarc_psl *psl;
	const char *why = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: %s LIST FILE...\n", argv[0]);
		return 2;
	}
	if (inkan_dmarc_psl_load(argv[1], &psl, &why) != 0) {
		printf("not ok 1 - load %s: %s\n1..1\n", argv[1], why);
		return 1;
	}
	for (int i = 2; i < argc; i++)
		run_file(psl, argv[i]);
	inkan_dmarc_psl_free(psl);
	printf("1..%d\n", ntests);
	return nfail != 0;
}
