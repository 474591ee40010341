/* arc_int.h - shared between the files of lib/arc; not installed.
 *
 * ARC is built on the DKIM module's pieces (lib/dkim/dkim_int.h): header
 * field store, canonicalization, signature parse, key fetch and cache,
 * signing and verification primitives.  This file adds what the verifier
 * and the sealer both need: finding the ARC sets among a message's fields.
 */
#ifndef INKAN_ARC_INT_H
#define INKAN_ARC_INT_H

#include "inkan/arc.h"
#include "inkan/limits.h"
#include "../dkim/dkim_int.h"

enum { ARC_AAR = 0, ARC_AMS = 1, ARC_AS = 2 };

/* A message's ARC fields, by instance and kind. */
struct inkan__arc_chain {
	size_t nfields;		/* ARC fields seen */
	unsigned n;		/* highest readable instance (may be over the limit) */
	/* slot[i][kind]: index of the field + 1, 0 = absent; i in 1..limit */
	size_t slot[INKAN_ARC_MAX_INSTANCES + 1][3];
	/* The first structure problem (RFC 8617 §5.2 steps 1 and 3), or
	 * NULL: an unreadable instance, an instance over the limit, two
	 * fields of a kind for one instance, a set with a field missing. */
	const char *why;
};

/* Which ARC field f is (ARC_AAR, ARC_AMS, ARC_AS), or -1. */
int inkan__arc_kind(const struct inkan__dkim_field *f);
/* Sort the ARC fields of f[0..nf) into c (strings in a).  Returns 0 or
 * INKAN_ENOMEM; a malformed chain is c->why, not an error. */
int inkan__arc_collect(struct inkan_arena *a, const struct inkan__dkim_field *f, size_t nf,
    struct inkan__arc_chain *c);
/* The value of field f (after the colon). */
struct inkan_slice inkan__arc_value(const struct inkan__dkim_field *f);
/* Field names, as we write them. */
extern const char *const inkan__arc_names[3];

#endif
