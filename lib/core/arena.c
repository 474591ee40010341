/* arena.c - bump allocator for per-evaluation memory.
 *
 * Design: a singly linked list of blocks; allocation bumps a pointer in
 * the newest block and opens a new block (doubling up to 64 KiB, or the
 * request size when larger) when it does not fit.  Nothing is freed
 * individually.  reset() keeps the first block, so a driver that reuses
 * one arena per evaluation (the SPF bench, the bulk driver) stops calling
 * malloc after warm-up.  Every block and allocation is 16-byte aligned.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"

#define ALIGN		16
#define FIRST_BLOCK	4096
#define MAX_BLOCK	65536

struct block {
	struct block *next;
	size_t size;	/* usable bytes after the header */
	size_t used;
	_Alignas(ALIGN) unsigned char data[];
};

struct inkan_arena {
	struct block *head;	/* newest block */
	struct block *first;	/* oldest block, kept by reset */
	size_t used;		/* bytes handed out */
	size_t reserved;	/* bytes of all blocks */
	size_t max;
};

static struct block *
block_new(size_t size)
{
	struct block *b = malloc(sizeof(*b) + size);

	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct inkan_arena *
inkan_arena_new_max(size_t max)
{
	struct inkan_arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->max = max;
	return a;
}

struct inkan_arena *
inkan_arena_new(void)
{
	return inkan_arena_new_max(0);
}

void
inkan_arena_free(struct inkan_arena *a)
{
	struct block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void
inkan_arena_reset(struct inkan_arena *a)
{
	struct block *b, *next;

	for (b = a->head; b != NULL && b != a->first; b = next) {
		next = b->next;
		free(b);
	}
	a->head = a->first;
	a->used = 0;
	a->reserved = 0;
	if (a->first != NULL) {
		a->first->used = 0;
		a->reserved = a->first->size;
	}
}

size_t
inkan_arena_used(const struct inkan_arena *a)
{
	return a->used;
}

void *
inkan_arena_alloc(struct inkan_arena *a, size_t n)
{
	struct block *b = a->head;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	void *p;

	if (n == 0)
		need = ALIGN;
	if (need < n)
		return NULL;	/* overflow */
	if (a->max != 0 && (a->used > a->max || need > a->max - a->used))
		return NULL;
	if (b == NULL || b->size - b->used < need) {
		size_t size = b == NULL ? FIRST_BLOCK : b->size * 2;

		if (size > MAX_BLOCK)
			size = MAX_BLOCK;
		if (size < need)
			size = need;
		if ((b = block_new(size)) == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
		if (a->first == NULL)
			a->first = b;
		a->reserved += size;
	}
	p = b->data + b->used;
	b->used += need;
	a->used += need;
	return p;
}

void *
inkan_arena_zalloc(struct inkan_arena *a, size_t n)
{
	void *p = inkan_arena_alloc(a, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

void *
inkan_arena_memdup(struct inkan_arena *a, const void *p, size_t n)
{
	void *q = inkan_arena_alloc(a, n);

	if (q != NULL && n > 0)
		memcpy(q, p, n);
	return q;
}

char *
inkan_arena_strndup(struct inkan_arena *a, const char *s, size_t n)
{
	char *q;

	if (n == SIZE_MAX)
		return NULL;
	if ((q = inkan_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(q, s, n);
	q[n] = '\0';
	return q;
}

char *
inkan_arena_strdup(struct inkan_arena *a, const char *s)
{
	return inkan_arena_strndup(a, s, strlen(s));
}

char *
inkan_arena_vprintf(struct inkan_arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	char small[256];
	int n;
	char *q;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	if ((q = inkan_arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	if ((size_t)n < sizeof(small))
		memcpy(q, small, (size_t)n + 1);
	else
		vsnprintf(q, (size_t)n + 1, fmt, ap);
	return q;
}

char *
inkan_arena_printf(struct inkan_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *q;

	va_start(ap, fmt);
	q = inkan_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return q;
}
