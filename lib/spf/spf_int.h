/* spf_int.h - what the files of lib/spf share and nobody else sees.
 *
 * The macro engine writes into a struct spf_out: a buffer that starts in
 * caller storage (usually the stack) and moves into the arena only when
 * an expansion outgrows it, so the common case of a short domain-spec
 * costs no allocation at all.
 */
#ifndef INKAN_SPF_INT_H
#define INKAN_SPF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "inkan/spf.h"

struct spf_out {
	char *p;               /* caller storage, later arena storage */
	size_t len, cap;       /* cap includes room for the NUL */
	size_t max;            /* most bytes the output may hold */
	struct inkan_arena *a; /* grows here; NULL = never grow */
	int err;               /* sticky: INKAN_ETOOBIG, INKAN_ENOMEM */
};

void inkan__spf_out_init(
    struct spf_out *o, char *buf, size_t cap, size_t max, struct inkan_arena *a);
void inkan__spf_out_put(struct spf_out *o, const char *s, size_t n);

/* Macro context inside the library: the public one plus a hook for %{p}
 * that check_host answers lazily (it costs DNS queries, §7.3), and the
 * length of the current domain so that it need not be measured again. */
struct spf_mctx {
	const struct inkan_spf_macro_ctx *pub;
	/* Set *out to the validated name of the client for domain pub->domain;
	 * return 0 or a negative INKAN_E* (INKAN_EAGAIN).  NULL: pub->validated. */
	int (*get_p)(void *arg, const char **out);
	void *arg;
};

/* Check the syntax of a macro-string (§7.1).  exp: explain-string rules
 * (SP allowed, letters c r t allowed).  On success *ends_with_expand says
 * whether the last token is a macro-expand (for domain-end, §7.1).
 * Returns 0 or INKAN_EMALFORMED with err->offset relative to s. */
int inkan__spf_macro_check(const char *s, size_t len, bool exp, bool *ends_with_expand,
    struct inkan_spf_parse_error *err);

/* Expand s into o (not NUL-terminated until o->p[o->len] is set by the
 * caller; the buffer always has room for it).  Returns 0, INKAN_EMALFORMED
 * (err set), INKAN_ETOOBIG, INKAN_ENOMEM or an error of get_p. */
int inkan__spf_macro_run(struct spf_out *o, const char *s, size_t len, bool exp,
    const struct spf_mctx *m, struct inkan_spf_parse_error *err);

/* §7.3: drop one trailing dot, then whole labels from the left until the
 * name is at most INKAN_SPF_MAX_EXPANDED characters.  Returns the offset of
 * the kept part in s and sets *len; (size_t)-1 if no label boundary can
 * bring it under the limit. */
size_t inkan__spf_truncate(const char *s, size_t *len);

static inline int
spf_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline bool
spf_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
spf_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

#endif
