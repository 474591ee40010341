/* arena.h - per-evaluation memory.
 *
 * One arena per evaluation (per message, per domain, per SPF check): every
 * record, DNS answer and result string allocated while evaluating lives in
 * it and dies with inkan_arena_free().  An arena may be given a maximum;
 * allocation past it fails (NULL), which callers report as INKAN_ENOMEM,
 * so hostile input cannot grow memory without bound.
 */
#ifndef INKAN_ARENA_H
#define INKAN_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct inkan_arena;

/* A new arena with no maximum, or NULL when out of memory. */
struct inkan_arena *inkan_arena_new(void);
/* A new arena that refuses to hold more than max bytes (0 = no maximum). */
struct inkan_arena *inkan_arena_new_max(size_t max);
/* Free the arena and everything allocated from it.  NULL is a no-op. */
void inkan_arena_free(struct inkan_arena *a);
/* Forget every allocation but keep the first block for reuse. */
void inkan_arena_reset(struct inkan_arena *a);
/* Bytes handed out since creation or the last reset. */
size_t inkan_arena_used(const struct inkan_arena *a);

/* n bytes aligned for any type, or NULL (out of memory or over maximum). */
void *inkan_arena_alloc(struct inkan_arena *a, size_t n);
/* Like inkan_arena_alloc, zero-filled. */
void *inkan_arena_zalloc(struct inkan_arena *a, size_t n);
/* Copy of s[0..n) plus a NUL, or NULL. */
char *inkan_arena_strndup(struct inkan_arena *a, const char *s, size_t n);
/* Copy of the NUL-terminated s, or NULL. */
char *inkan_arena_strdup(struct inkan_arena *a, const char *s);
/* Copy of n bytes (no terminator added), or NULL. */
void *inkan_arena_memdup(struct inkan_arena *a, const void *p, size_t n);
/* printf into the arena; NULL on failure. */
char *inkan_arena_printf(struct inkan_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *inkan_arena_vprintf(struct inkan_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
