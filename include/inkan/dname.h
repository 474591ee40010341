/* dname.h - domain names in presentation form.
 *
 * Names are validated once at the boundary and trusted after.  Every
 * function takes a slice; none needs a NUL terminator.
 */
#ifndef INKAN_DNAME_H
#define INKAN_DNAME_H

#include <stdbool.h>
#include <stddef.h>

struct inkan_arena;

/* Flags for inkan_dname_check. */
#define INKAN_DNAME_MULTILABEL	0x1	/* at least two labels */
#define INKAN_DNAME_HOSTNAME	0x2	/* LDH labels, no leading/trailing hyphen */
#define INKAN_DNAME_UNDERSCORE	0x4	/* with HOSTNAME: allow '_' (service labels) */

/* 0 if s[0..len) is a valid name (one trailing dot allowed), else
 * INKAN_EMALFORMED with *why (static text) saying what is wrong: empty
 * label, label over 63, name over 253, bad character, single label. */
int inkan_dname_check(const char *s, size_t len, unsigned flags, const char **why);

/* ASCII-lowercased copy without the trailing dot, in a; NULL on ENOMEM. */
char *inkan_dname_lower(struct inkan_arena *a, const char *s, size_t len);

/* Equality ignoring ASCII case and one trailing dot. */
bool inkan_dname_equal(const char *a, size_t alen, const char *b, size_t blen);
/* True if child equals parent or is below it (label boundary respected). */
bool inkan_dname_is_sub(const char *child, size_t clen, const char *parent, size_t plen);
/* Number of labels (ignoring a trailing dot); 0 for "" or ".". */
size_t inkan_dname_labels(const char *s, size_t len);

/* IDNA2008 (libidn2): the A-label form of a UTF-8 name, lowercased, in a.
 * ASCII input is returned lowercased.  INKAN_EMALFORMED with *why set if
 * the name cannot be converted. */
int inkan_dname_to_ascii(struct inkan_arena *a, const char *utf8, size_t len, char **out,
    const char **why);
/* The U-label form of an ASCII name (A-labels decoded), in a. */
int inkan_dname_to_unicode(struct inkan_arena *a, const char *s, size_t len, char **out,
    const char **why);

#endif
