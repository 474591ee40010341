/* mailbox.c - iterate over the messages of a file, an mbox or a Maildir
 * (see mailbox.h for the rules). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mailbox.h"

struct acc {
	char *p;
	size_t len, cap;
	bool toobig;
};

static int
acc_add(struct acc *a, const char *p, size_t n)
{
	if (a->toobig)
		return 0;
	if (a->len + n > MAILBOX_MAX_MESSAGE) {
		a->toobig = true;
		return 0;
	}
	if (a->len + n + 1 > a->cap) {
		size_t nc = a->cap ? a->cap : 65536;
		while (nc < a->len + n + 1)
			nc *= 2;
		char *np = realloc(a->p, nc);
		if (np == NULL)
			return -1;
		a->p = np;
		a->cap = nc;
	}
	memcpy(a->p + a->len, p, n);
	a->len += n;
	a->p[a->len] = '\0';
	return 0;
}

static int
deliver(const char *path, size_t idx, struct acc *a, mailbox_fn fn, void *arg)
{
	struct mailbox_msg m = { .path = path, .index = idx };
	if (a->toobig) {
		m.err = "message larger than 1 GiB";
	} else {
		if (a->p == NULL && acc_add(a, "", 0) != 0)
			return -1;
		m.data = a->p != NULL ? a->p : "";
		m.len = a->len;
	}
	int rc = fn(arg, &m);
	a->len = 0;
	a->toobig = false;
	return rc;
}

static bool
is_blank(const char *line, size_t n)
{
	return n == 0 || (n == 1 && line[0] == '\n') || (n == 2 && line[0] == '\r' &&
	    line[1] == '\n');
}

/* The messages of an mbox whose first separator line has been read. */
static int
read_mbox(FILE *f, const char *path, mailbox_fn fn, void *arg)
{
	struct acc a = { 0 };
	char *line = NULL;
	size_t cap = 0, idx = 1;
	ssize_t n;
	bool prev_blank = false, held_blank = false;
	char held[2];
	size_t heldn = 0;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, f)) != -1) {
		size_t len = (size_t)n;
		if (prev_blank && len >= 5 && memcmp(line, "From ", 5) == 0) {
			rc = deliver(path, idx, &a, fn, arg);
			idx++;
			held_blank = false;
			prev_blank = false;
			continue;
		}
		/* An empty line is held back: if a separator follows, it
		 * belongs to the mbox, not the message. */
		if (held_blank) {
			if (acc_add(&a, held, heldn) != 0)
				rc = -1;
			held_blank = false;
		}
		if (is_blank(line, len) && len > 0) {
			held_blank = true;
			heldn = len;
			memcpy(held, line, len);
			prev_blank = true;
			continue;
		}
		prev_blank = false;
		const char *p = line;
		size_t q = 0;
		while (q < len && p[q] == '>')
			q++;
		if (q > 0 && len - q >= 5 && memcmp(p + q, "From ", 5) == 0) {
			p++;
			len--;
		}
		if (acc_add(&a, p, len) != 0)
			rc = -1;
	}
	if (rc == 0)
		rc = deliver(path, idx, &a, fn, arg);
	free(line);
	free(a.p);
	return rc;
}

static int
read_file(FILE *f, const char *path, mailbox_fn fn, void *arg)
{
	struct acc a = { 0 };
	char buf[65536];
	size_t n = fread(buf, 1, 5, f);
	int rc = 0;

	if (n == 5 && memcmp(buf, "From ", 5) == 0) {
		/* An mbox: skip the rest of the first separator line. */
		int c;
		while ((c = getc(f)) != EOF && c != '\n')
			;
		return read_mbox(f, path, fn, arg);
	}
	if (acc_add(&a, buf, n) != 0)
		rc = -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (acc_add(&a, buf, n) != 0)
			rc = -1;
	if (rc == 0)
		rc = deliver(path, 0, &a, fn, arg);
	free(a.p);
	return rc;
}

static int
cmp_names(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

static int
walk(const char *path, mailbox_fn fn, void *arg, const char **why, int depth)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return read_file(stdin, "-", fn, arg);
	if (stat(path, &st) != 0) {
		*why = strerror(errno);
		return MAILBOX_EOPEN;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(path, &ents, NULL, cmp_names), rc = 0;

		if (n < 0) {
			*why = strerror(errno);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			const char *nm = ents[i]->d_name;
			char *sub;

			if (rc == 0 && nm[0] != '.' && strcmp(nm, "tmp") != 0 && depth < 16 &&
			    asprintf(&sub, "%s/%s", path, nm) >= 0) {
				rc = walk(sub, fn, arg, why, depth + 1);
				/* A sub-entry that cannot be read is reported
				 * to the callback, not fatal for the walk. */
				if (rc == MAILBOX_EOPEN) {
					struct mailbox_msg m = { .path = sub, .err = *why };
					rc = fn(arg, &m);
				}
				free(sub);
			}
			free(ents[i]);
		}
		free(ents);
		return rc;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*why = strerror(errno);
		return MAILBOX_EOPEN;
	}
	int rc = read_file(f, path, fn, arg);
	if (rc == 0 && ferror(f)) {
		struct mailbox_msg m = { .path = path, .err = strerror(errno) };
		rc = fn(arg, &m);
	}
	fclose(f);
	return rc;
}

int
mailbox_each(const char *path, mailbox_fn fn, void *arg, const char **why)
{
	*why = NULL;
	return walk(path, fn, arg, why, 0);
}
