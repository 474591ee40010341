/* overlay.c - a zone store shadowing a live resolver ("what if I publish
 * this record?").
 *
 * A query that the store has an RRset or a forced status for is answered
 * from the store; anything else goes to the live resolver.  A CNAME the
 * user plans to publish is followed here, so that its target may be live
 * data (or planned data again).
 */
#include <stdlib.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

struct overlay {
	struct inkan_resolver base;
	struct inkan_zone *z;
	struct inkan_resolver *live;
	struct inkan_resolver *zr;	/* zone resolver over z */
};

static int
overlay_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	struct overlay *o = (struct overlay *)r;
	const char *cur = name, *canon = NULL, *target;
	unsigned chain = 0;
	int rc;

	while (!inkan_zone_has(o->z, cur, type) && type != INKAN_DNS_CNAME &&
	    (target = inkan__zone_cname(o->z, cur)) != NULL) {
		if (++chain > INKAN_DNS_MAX_CNAME_CHAIN)
			return inkan__dns_answer_status(a, name, type, INKAN_DNS_SERVFAIL, 0,
			    "CNAME chain too long", out);
		cur = canon = target;
	}
	if (inkan_zone_has(o->z, cur, type))
		rc = inkan_dns_query(o->zr, a, cur, type, out);
	else
		rc = inkan_dns_query(o->live, a, cur, type, out);
	if (rc != 0)
		return rc;
	if (canon != NULL) {
		/* The answer is for the target; the question stays the user's. */
		if ((out->qname = inkan_arena_strdup(a, name)) == NULL)
			return INKAN_ENOMEM;
		if (out->canonname == NULL &&
		    (out->canonname = inkan_arena_strdup(a, canon)) == NULL)
			return INKAN_ENOMEM;
		/* The chain is only as secure as the planned CNAMEs in it. */
		out->secure = out->secure && inkan__zone_secure(o->z);
	}
	return 0;
}

static void
overlay_destroy(struct inkan_resolver *r)
{
	struct overlay *o = (struct overlay *)r;

	inkan_resolver_free(o->zr);
	free(o);
}

static const struct inkan_resolver_ops overlay_ops = {
	.name = "overlay",
	.query = overlay_query,
	.destroy = overlay_destroy,
};

int
inkan_resolver_overlay_new(struct inkan_zone *z, struct inkan_resolver *live,
    struct inkan_resolver **out)
{
	struct overlay *o;
	int rc;

	*out = NULL;
	if (z == NULL || live == NULL)
		return INKAN_EINVAL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return INKAN_ENOMEM;
	if ((rc = inkan_resolver_zone_new(z, &o->zr)) != 0) {
		free(o);
		return rc;
	}
	o->base.ops = &overlay_ops;
	o->z = z;
	o->live = live;
	*out = &o->base;
	return 0;
}
