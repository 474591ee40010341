/* tagvalue.h - the tag=value list of RFC 6376 §3.2.
 *
 * DKIM signatures and keys, DMARC records, MTA-STS and TLS-RPT TXT records
 * all use it:  tag-list = tag-spec *( ";" tag-spec ) [ ";" ]
 * tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS].
 * Values keep their inner whitespace (DKIM b= contains FWS); callers that
 * need a value without any whitespace strip it themselves.
 */
#ifndef INKAN_TAGVALUE_H
#define INKAN_TAGVALUE_H

#include <stddef.h>

#include "inkan/buf.h"

struct inkan_arena;

struct inkan_tag {
	struct inkan_slice name;
	struct inkan_slice value;	/* trimmed of surrounding FWS */
	size_t offset;			/* offset of the name in the input */
};

struct inkan_taglist {
	struct inkan_tag *tags;		/* in input order */
	size_t n;
};

struct inkan_tv_error {
	size_t offset;		/* where in the input the problem is */
	const char *why;	/* static text, e.g. "duplicate tag" */
};

/* Accept the same tag twice (RFC 6376 §3.2 says a duplicate invalidates
 * the whole list; callers with other rules pass this). */
#define INKAN_TV_ALLOW_DUP	0x1

/* Parse s[0..len) into out; tags live in a.  Returns 0, INKAN_EMALFORMED
 * (err says where and why), INKAN_ELIMIT (more than INKAN_TV_MAX_TAGS) or
 * INKAN_ENOMEM.  err may be NULL. */
int inkan_tv_parse(struct inkan_arena *a, const char *s, size_t len, unsigned flags,
    struct inkan_taglist *out, struct inkan_tv_error *err);

/* The first tag named name (case-sensitive, as RFC 6376 says), or NULL. */
const struct inkan_tag *inkan_tv_get(const struct inkan_taglist *l, const char *name);

#endif
