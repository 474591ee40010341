/* replay.c - run a fuzz target over its corpus as an ordinary test.
 *
 * Built without libFuzzer, every fuzz_<name>.c is linked with this main,
 * which feeds each file of the corpus directories (or files) given as
 * arguments to LLVMFuzzerTestOneInput and prints one TAP line per file.
 * Under ASan+UBSan a memory error aborts the run and fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static int ntests;

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		printf("not ok %d - %s: cannot read\n", ++ntests, path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		printf("not ok %d - %s: cannot read\n", ++ntests, path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	printf("ok %d - %s\n", ++ntests, path);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	int fails = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		char **names = NULL;
		size_t n = 0;

		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
			fails += run_file(argv[i]);
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			printf("not ok %d - %s: no such corpus\n", ++ntests, argv[i]);
			fails++;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			char **nn;

			if (e->d_name[0] == '.')
				continue;
			nn = realloc(names, (n + 1) * sizeof(*names));
			if (nn == NULL)
				abort();
			names = nn;
			if (asprintf(&names[n], "%s/%s", argv[i], e->d_name) < 0)
				abort();
			n++;
		}
		closedir(d);
		qsort(names, n, sizeof(*names), cmp);
		for (size_t j = 0; j < n; j++) {
			fails += run_file(names[j]);
			free(names[j]);
		}
		free(names);
		if (n == 0) {
			printf("not ok %d - %s: empty corpus\n", ++ntests, argv[i]);
			fails++;
		}
	}
	printf("1..%d\n", ntests);
	return fails != 0;
}
