/* psl.c - the Public Suffix List for RFC 7489 §3.2 (libpsl).
 *
 * The list is always loaded from a file (Debian's publicsuffix package by
 * default), never libpsl's built-in copy, so that a result can be traced
 * to one dated list.  Names are turned into lower-case A-labels before
 * libpsl sees them; libpsl adds the A-label form of every IDN rule when it
 * loads a file, so "食狮.中国" and "xn--85x722f.xn--fiqs8s" agree.
 */
#include <libpsl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "dmarc_int.h"

struct inkan_dmarc_psl {
	psl_ctx_t *ctx;
};

int
inkan_dmarc_psl_load(const char *path, struct inkan_dmarc_psl **out, const char **why)
{
	struct inkan_dmarc_psl *p;

	*out = NULL;
	if (path == NULL)
		path = INKAN_DMARC_PSL_FILE;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return INKAN_ENOMEM;
	p->ctx = psl_load_file(path);
	if (p->ctx == NULL || psl_suffix_count(p->ctx) <= 0) {
		if (p->ctx != NULL)
			psl_free(p->ctx);
		free(p);
		if (why != NULL)
			*why = "cannot load the Public Suffix List file (or it has no rule)";
		return INKAN_EIO;
	}
	*out = p;
	return 0;
}

void
inkan_dmarc_psl_free(struct inkan_dmarc_psl *p)
{
	if (p == NULL)
		return;
	psl_free(p->ctx);
	free(p);
}

/* Lists loaded by path for the life of the process. */
#define SHARED_LISTS 4
static struct {
	char *path;
	struct inkan_dmarc_psl *psl;
} shared[SHARED_LISTS];
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

const struct inkan_dmarc_psl *
inkan_dmarc_psl_shared(const char *path, const char **why)
{
	struct inkan_dmarc_psl *p = NULL;
	size_t i;

	if (path == NULL)
		path = INKAN_DMARC_PSL_FILE;
	pthread_mutex_lock(&shared_lock);
	for (i = 0; i < SHARED_LISTS && shared[i].path != NULL; i++)
		if (strcmp(shared[i].path, path) == 0) {
			p = shared[i].psl;
			goto out;
		}
	if (inkan_dmarc_psl_load(path, &p, why) != 0)
		goto out;
	if (i == SHARED_LISTS) {
		/* Full: replace the oldest.  Its handle may be in use by
		 * another thread, so it is kept (leaked) rather than freed. */
		free(shared[0].path);
		memmove(&shared[0], &shared[1], (SHARED_LISTS - 1) * sizeof(shared[0]));
		i = SHARED_LISTS - 1;
	}
	if ((shared[i].path = strdup(path)) == NULL) {
		inkan_dmarc_psl_free(p);
		p = NULL;
		if (why != NULL)
			*why = "out of memory";
		goto out;
	}
	shared[i].psl = p;
out:
	pthread_mutex_unlock(&shared_lock);
	return p;
}

int
inkan__dmarc_psl_org(const struct inkan_dmarc_psl *p, struct inkan_arena *a,
    const char *domain, const char **out)
{
	const char *reg = psl_registrable_domain(p->ctx, domain);

	(void)a;
	*out = reg != NULL ? reg : domain;
	return 0;
}

static int
normalise(const struct inkan_dmarc_psl *p, struct inkan_arena *a, const char *domain,
    const char **d)
{
	const char *why;

	*d = NULL;
	if (p == NULL || a == NULL || domain == NULL)
		return INKAN_EINVAL;
	/* A leading dot or an empty label is not a name (the PSL tests
	 * expect no answer); one trailing dot is the absolute form. */
	return inkan__dmarc_norm_domain(a, domain, strlen(domain), d, &why);
}

int
inkan_dmarc_psl_registrable(const struct inkan_dmarc_psl *p, struct inkan_arena *a,
    const char *domain, const char **out)
{
	const char *d;
	int rc;

	*out = NULL;
	if ((rc = normalise(p, a, domain, &d)) != 0)
		return rc;
	*out = psl_registrable_domain(p->ctx, d);
	return 0;
}

int
inkan_dmarc_psl_org_domain(const struct inkan_dmarc_psl *p, struct inkan_arena *a,
    const char *domain, const char **out)
{
	const char *d;
	int rc;

	*out = NULL;
	if ((rc = normalise(p, a, domain, &d)) != 0)
		return rc;
	return inkan__dmarc_psl_org(p, a, d, out);
}
