/* answer.c - building and copying struct inkan_dns_answer.
 *
 * An answer's storage lives in the caller's arena.  Backends that keep
 * answers (the cache) or hand out answers whose storage dies early (the
 * async callbacks) copy them with inkan__dns_answer_copy: one arena
 * allocation for the record array and all rdata, so that a cache hit
 * costs a bump of the arena pointer and a memcpy.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"

#include "dns_int.h"

int
inkan__dns_answer_status(struct inkan_arena *a, const char *name, uint16_t type,
    enum inkan_dns_status status, uint32_t ttl, const char *why, struct inkan_dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->status = status;
	out->qtype = type;
	out->ttl = ttl;
	if ((out->qname = inkan_arena_strdup(a, name)) == NULL)
		return INKAN_ENOMEM;
	if (why != NULL && (out->why = inkan_arena_strdup(a, why)) == NULL)
		return INKAN_ENOMEM;
	return 0;
}

static const char *
dup_or_null(struct inkan_arena *a, const char *s, int *err)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = inkan_arena_strdup(a, s)) == NULL)
		*err = INKAN_ENOMEM;
	return d;
}

int
inkan__dns_answer_copy(struct inkan_arena *a, const struct inkan_dns_answer *src,
    struct inkan_dns_answer *out)
{
	struct inkan_dns_rr *rr = NULL;
	size_t total = 0;
	int err = 0;

	*out = *src;
	out->qname = dup_or_null(a, src->qname, &err);
	out->canonname = dup_or_null(a, src->canonname, &err);
	out->why = dup_or_null(a, src->why, &err);
	if (err != 0)
		return err;
	if (src->nrr == 0) {
		out->rr = NULL;
		return 0;
	}
	for (size_t i = 0; i < src->nrr; i++)
		total += src->rr[i].len;
	rr = inkan_arena_alloc(a, src->nrr * sizeof(*rr) + total);
	if (rr == NULL)
		return INKAN_ENOMEM;
	uint8_t *p = (uint8_t *)(rr + src->nrr);
	for (size_t i = 0; i < src->nrr; i++) {
		rr[i] = src->rr[i];
		if (src->rr[i].len > 0)
			memcpy(p, src->rr[i].data, src->rr[i].len);
		rr[i].data = p;
		p += src->rr[i].len;
	}
	out->rr = rr;
	return 0;
}
