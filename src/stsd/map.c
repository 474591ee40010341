/* map.c - see map.h.  Chained buckets (a power of two at least the
 * maximum, so chains stay short without rehashing) and a doubly linked
 * list in age order for eviction. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

struct ent {
	struct ent *hnext, *prev, *next;
	uint64_t h;
	void *val;
	char key[];
};

struct map {
	struct ent **b;
	size_t nb, n, max;
	struct ent *old, *young;
	void (*free_val)(void *);
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct map *
map_new(size_t max, void (*free_val)(void *))
{
	struct map *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->max = max > 0 ? max : 1;
	m->nb = 16;
	while (m->nb < m->max && m->nb < ((size_t)1 << 22))
		m->nb <<= 1;
	if ((m->b = calloc(m->nb, sizeof(*m->b))) == NULL) {
		free(m);
		return NULL;
	}
	m->free_val = free_val;
	return m;
}

static struct ent **
slot(struct map *m, const char *key, uint64_t h)
{
	struct ent **pp = &m->b[h & (m->nb - 1)];

	while (*pp != NULL && ((*pp)->h != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->hnext;
	return pp;
}

static void
unlink_age(struct map *m, struct ent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		m->old = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		m->young = e->prev;
	e->prev = e->next = NULL;
}

static void
link_young(struct map *m, struct ent *e)
{
	e->prev = m->young;
	e->next = NULL;
	if (m->young != NULL)
		m->young->next = e;
	else
		m->old = e;
	m->young = e;
}

static void
drop(struct map *m, struct ent **pp)
{
	struct ent *e = *pp;

	*pp = e->hnext;
	unlink_age(m, e);
	if (m->free_val != NULL)
		m->free_val(e->val);
	free(e);
	m->n--;
}

void *
map_get(struct map *m, const char *key)
{
	struct ent *e = *slot(m, key, hash(key));

	return e != NULL ? e->val : NULL;
}

void
map_del(struct map *m, const char *key)
{
	struct ent **pp = slot(m, key, hash(key));

	if (*pp != NULL)
		drop(m, pp);
}

void
map_touch(struct map *m, const char *key)
{
	struct ent *e = *slot(m, key, hash(key));

	if (e != NULL && e != m->young) {
		unlink_age(m, e);
		link_young(m, e);
	}
}

int
map_put(struct map *m, const char *key, void *val)
{
	uint64_t h = hash(key);
	struct ent **pp = slot(m, key, h);

	if (*pp != NULL) {
		if (m->free_val != NULL && (*pp)->val != val)
			m->free_val((*pp)->val);
		(*pp)->val = val;
		unlink_age(m, *pp);
		link_young(m, *pp);
		return 0;
	}
	if (m->n >= m->max) {
		struct ent *o = m->old;
		drop(m, slot(m, o->key, o->h));
		pp = slot(m, key, h);
	}
	size_t kl = strlen(key);
	struct ent *e = malloc(sizeof(*e) + kl + 1);
	if (e == NULL) {
		if (m->free_val != NULL)
			m->free_val(val);
		return -1;
	}
	memcpy(e->key, key, kl + 1);
	e->h = h;
	e->val = val;
	e->hnext = NULL;
	*pp = e;
	link_young(m, e);
	m->n++;
	return 0;
}

void
map_clear(struct map *m)
{
	while (m->old != NULL)
		drop(m, slot(m, m->old->key, m->old->h));
}

size_t
map_count(const struct map *m)
{
	return m->n;
}

void
map_free(struct map *m)
{
	if (m == NULL)
		return;
	map_clear(m);
	free(m->b);
	free(m);
}
