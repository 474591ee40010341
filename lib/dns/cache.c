/* cache.c - a TTL cache in front of a resolver, or alone ("cache only")
 * for the bulk driver.
 *
 * Design.  Entries are keyed on (folded name, type) in a chained hash
 * table and kept on an LRU list; when the cache holds max_entries, the
 * least recently used entry goes.  An entry is one malloc: the header,
 * then the records, their rdata and the strings, so putting an answer is
 * one allocation and evicting it one free.  A hit copies the entry into
 * the caller's arena (one bump for records and rdata) and never calls
 * malloc, which is what lets a warm cache serve hundreds of thousands of
 * SPF checks a second.  Expiry is lazy: an expired entry is dropped when
 * it is next looked up, or when LRU eviction reaches it.
 *
 * Time is the monotonic clock in milliseconds (tests may replace it), so
 * wall-clock jumps neither expire nor revive entries.
 *
 * Cache only (no upstream): a miss returns INKAN_EAGAIN and notes the
 * query once in a FIFO; the driver takes it with inkan_cache_take_miss(),
 * resolves it and puts the answer back.  A query noted and not yet taken
 * is not noted again.
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

struct entry {
	struct entry *hnext;
	struct entry *prev, *next;	/* LRU list, most recent first */
	uint64_t hash;
	uint64_t expire;		/* ms */
	uint16_t type;
	size_t klen;
	const char *key;		/* in this block */
	struct inkan_dns_answer ans;	/* storage in this block; qname unset */
};

struct miss {
	struct miss *qnext;		/* FIFO */
	struct miss *hnext;		/* dedupe set */
	uint64_t hash;
	uint16_t type;
	size_t klen;
	char key[];
};

struct cache {
	struct inkan_resolver base;
	struct inkan_resolver *upstream;	/* NULL = cache only */
	struct entry **tab;
	size_t tabsize;				/* power of two */
	struct entry *lru_head, *lru_tail;
	size_t max_entries;
	uint32_t min_ttl, max_ttl;
	uint64_t (*now)(void *arg);
	void *now_arg;
	struct inkan_cache_stats st;
	/* noted misses */
	struct miss *mq_head, *mq_tail;
	struct miss **mtab;
	size_t mtabsize, nmiss;
};

static const struct inkan_resolver_ops cache_ops;

static struct cache *
as_cache(const struct inkan_resolver *r)
{
	return r != NULL && r->ops == &cache_ops ? (struct cache *)r : NULL;
}

static uint64_t
clock_ms(void *arg)
{
	(void)arg;
	return inkan__now_ms();
}

/* ---- entries ---- */

static struct entry **
slot(struct cache *c, const char *key, size_t klen, uint16_t type, uint64_t h)
{
	struct entry **pp = &c->tab[h & (c->tabsize - 1)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		struct entry *e = *pp;

		if (e->hash == h && e->type == type && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0)
			break;
	}
	return pp;
}

static void
lru_unlink(struct cache *c, struct entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->lru_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->lru_head;
	if (c->lru_head != NULL)
		c->lru_head->prev = e;
	c->lru_head = e;
	if (c->lru_tail == NULL)
		c->lru_tail = e;
}

/* Unlink the entry at *pp from the table and the LRU list and free it. */
static void
drop(struct cache *c, struct entry **pp)
{
	struct entry *e = *pp;

	*pp = e->hnext;
	lru_unlink(c, e);
	free(e);
	c->st.entries--;
}

static void
evict_lru(struct cache *c)
{
	struct entry *e = c->lru_tail;
	struct entry **pp = slot(c, e->key, e->klen, e->type, e->hash);

	drop(c, pp);
	c->st.evictions++;
}

static void
grow(struct cache *c)
{
	size_t size = c->tabsize * 2;
	struct entry **tab = calloc(size, sizeof(*tab));

	if (tab == NULL)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < c->tabsize; i++) {
		struct entry *e, *next;

		for (e = c->tab[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = tab[e->hash & (size - 1)];
			tab[e->hash & (size - 1)] = e;
		}
	}
	free(c->tab);
	c->tab = tab;
	c->tabsize = size;
}

static size_t
slen(const char *s)
{
	return s == NULL ? 0 : strlen(s) + 1;
}

/* One block holding the entry, a copy of ans (records, rdata, strings)
 * and the key. */
static struct entry *
entry_new(const char *key, size_t klen, uint16_t type, const struct inkan_dns_answer *ans)
{
	size_t nrr = ans->nrr, data = 0, size;
	struct entry *e;
	char *p;

	for (size_t i = 0; i < nrr; i++)
		data += ans->rr[i].len;
	size = sizeof(*e) + nrr * sizeof(struct inkan_dns_rr) + data + klen + 1 +
	    slen(ans->canonname) + slen(ans->why);
	if ((e = malloc(size)) == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->ans = *ans;
	e->ans.qname = NULL;
	e->type = type;
	e->klen = klen;
	p = (char *)(e + 1);
	if (nrr > 0) {
		struct inkan_dns_rr *rr = (struct inkan_dns_rr *)p;
		uint8_t *d = (uint8_t *)(rr + nrr);

		for (size_t i = 0; i < nrr; i++) {
			rr[i] = ans->rr[i];
			if (rr[i].len > 0)
				memcpy(d, ans->rr[i].data, rr[i].len);
			rr[i].data = d;
			d += rr[i].len;
		}
		e->ans.rr = rr;
		p = (char *)d;
	} else {
		e->ans.rr = NULL;
	}
	memcpy(p, key, klen);
	p[klen] = '\0';
	e->key = p;
	p += klen + 1;
	if (ans->canonname != NULL) {
		memcpy(p, ans->canonname, slen(ans->canonname));
		e->ans.canonname = p;
		p += slen(ans->canonname);
	}
	if (ans->why != NULL) {
		memcpy(p, ans->why, slen(ans->why));
		e->ans.why = p;
	}
	return e;
}

/* How long an answer may be kept, in seconds. */
static uint32_t
lifetime(const struct cache *c, const struct inkan_dns_answer *ans)
{
	uint32_t ttl = ans->ttl;

	/* dns.h: failures are kept only min_ttl, so a flaky server is
	 * asked again soon. */
	if (ans->status == INKAN_DNS_SERVFAIL || ans->status == INKAN_DNS_TIMEOUT)
		return c->min_ttl;
	if (ttl < c->min_ttl)
		ttl = c->min_ttl;
	if (ttl > c->max_ttl)
		ttl = c->max_ttl;
	return ttl;
}

static int
put_folded(struct cache *c, const char *key, size_t klen, uint16_t type,
    const struct inkan_dns_answer *ans)
{
	uint64_t h = inkan__dns_hash(key, klen, type);
	struct entry **pp = slot(c, key, klen, type, h);
	uint32_t ttl = lifetime(c, ans);
	struct entry *e;

	if (*pp != NULL)
		drop(c, pp);
	if (ttl == 0)
		return 0;
	if ((e = entry_new(key, klen, type, ans)) == NULL)
		return INKAN_ENOMEM;
	e->hash = h;
	e->expire = c->now(c->now_arg) + (uint64_t)ttl * 1000;
	e->ans.ttl = ttl;
	for (size_t i = 0; i < e->ans.nrr; i++)
		if (((struct inkan_dns_rr *)e->ans.rr)[i].ttl > ttl)
			((struct inkan_dns_rr *)e->ans.rr)[i].ttl = ttl;
	while (c->st.entries >= c->max_entries && c->lru_tail != NULL)
		evict_lru(c);
	if (c->st.entries >= c->tabsize && c->tabsize < c->max_entries)
		grow(c);
	pp = &c->tab[h & (c->tabsize - 1)];
	e->hnext = *pp;
	*pp = e;
	lru_push(c, e);
	c->st.entries++;
	return 0;
}

/* ---- noted misses ---- */

static struct miss **
miss_slot(struct cache *c, const char *key, size_t klen, uint16_t type, uint64_t h)
{
	struct miss **pp = &c->mtab[h & (c->mtabsize - 1)];

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if ((*pp)->hash == h && (*pp)->type == type && (*pp)->klen == klen &&
		    memcmp((*pp)->key, key, klen) == 0)
			break;
	return pp;
}

static int
note_miss(struct cache *c, const char *key, size_t klen, uint16_t type)
{
	uint64_t h = inkan__dns_hash(key, klen, type);
	struct miss **pp, *m;

	if (c->mtab == NULL) {
		c->mtabsize = 256;
		if ((c->mtab = calloc(c->mtabsize, sizeof(*c->mtab))) == NULL)
			return INKAN_ENOMEM;
	}
	pp = miss_slot(c, key, klen, type, h);
	if (*pp != NULL)
		return 0;	/* already noted, not taken yet */
	if ((m = malloc(sizeof(*m) + klen + 1)) == NULL)
		return INKAN_ENOMEM;
	m->hash = h;
	m->type = type;
	m->klen = klen;
	memcpy(m->key, key, klen);
	m->key[klen] = '\0';
	m->hnext = NULL;
	*pp = m;
	m->qnext = NULL;
	if (c->mq_tail != NULL)
		c->mq_tail->qnext = m;
	else
		c->mq_head = m;
	c->mq_tail = m;
	c->nmiss++;
	/* Misses are as many as jobs in flight; keep chains short anyway. */
	if (c->nmiss > c->mtabsize) {
		size_t size = c->mtabsize * 2;
		struct miss **tab = calloc(size, sizeof(*tab));

		if (tab != NULL) {
			for (size_t i = 0; i < c->mtabsize; i++) {
				struct miss *x, *next;

				for (x = c->mtab[i]; x != NULL; x = next) {
					next = x->hnext;
					x->hnext = tab[x->hash & (size - 1)];
					tab[x->hash & (size - 1)] = x;
				}
			}
			free(c->mtab);
			c->mtab = tab;
			c->mtabsize = size;
		}
	}
	return 0;
}

bool
inkan_cache_take_miss(struct inkan_resolver *cache, char *name, size_t namelen, uint16_t *type)
{
	struct cache *c = as_cache(cache);
	struct miss *m, **pp;

	if (c == NULL || (m = c->mq_head) == NULL)
		return false;
	if (name == NULL || namelen <= m->klen)
		return false;	/* leave it queued for a caller with room */
	c->mq_head = m->qnext;
	if (c->mq_head == NULL)
		c->mq_tail = NULL;
	pp = miss_slot(c, m->key, m->klen, m->type, m->hash);
	*pp = m->hnext;
	c->nmiss--;
	memcpy(name, m->key, m->klen + 1);
	*type = m->type;
	free(m);
	return true;
}

/* ---- the resolver ---- */

static int
cache_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	struct cache *c = (struct cache *)r;
	char key[INKAN__KEYMAX];
	int klen = inkan__dns_key(name, key);
	uint64_t h, now;
	struct entry **pp, *e;
	int rc;

	if (klen < 0)
		return INKAN_EINVAL;
	h = inkan__dns_hash(key, (size_t)klen, type);
	pp = slot(c, key, (size_t)klen, type, h);
	if ((e = *pp) != NULL) {
		now = c->now(c->now_arg);
		if (now < e->expire) {
			uint32_t left = (uint32_t)((e->expire - now + 999) / 1000);

			c->st.hits++;
			if (e != c->lru_head) {
				lru_unlink(c, e);
				lru_push(c, e);
			}
			if ((rc = inkan__dns_answer_copy(a, &e->ans, out)) != 0)
				return rc;
			if ((out->qname = inkan_arena_strdup(a, name)) == NULL)
				return INKAN_ENOMEM;
			/* RFC 1035 §3.2.1: a cached record's TTL counts down. */
			if (out->ttl > left)
				out->ttl = left;
			for (size_t i = 0; i < out->nrr; i++)
				if (out->rr[i].ttl > left)
					((struct inkan_dns_rr *)out->rr)[i].ttl = left;
			return 0;
		}
		drop(c, pp);
	}
	c->st.misses++;
	if (c->upstream == NULL) {
		if ((rc = note_miss(c, key, (size_t)klen, type)) != 0)
			return rc;
		return INKAN_EAGAIN;
	}
	if ((rc = inkan_dns_query(c->upstream, a, name, type, out)) != 0)
		return rc;
	return put_folded(c, key, (size_t)klen, type, out);
}

static void
cache_destroy(struct inkan_resolver *r)
{
	struct cache *c = (struct cache *)r;
	struct entry *e, *next;
	struct miss *m, *mnext;

	for (e = c->lru_head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	for (m = c->mq_head; m != NULL; m = mnext) {
		mnext = m->qnext;
		free(m);
	}
	free(c->mtab);
	free(c->tab);
	free(c);
}

static const struct inkan_resolver_ops cache_ops = {
	.name = "cache",
	.query = cache_query,
	.destroy = cache_destroy,
};

int
inkan_resolver_cache_new(struct inkan_resolver *upstream, size_t max_entries,
    struct inkan_resolver **out)
{
	struct cache *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return INKAN_ENOMEM;
	c->base.ops = &cache_ops;
	c->upstream = upstream;
	c->max_entries = max_entries == 0 || max_entries > INKAN_DNS_CACHE_MAX_ENTRIES ?
	    INKAN_DNS_CACHE_MAX_ENTRIES : max_entries;
	c->min_ttl = upstream == NULL ? INKAN_DNS_CACHE_ONLY_MIN_TTL : 0;
	c->max_ttl = INKAN_DNS_CACHE_MAX_TTL;
	c->now = clock_ms;
	c->tabsize = 1024;
	if ((c->tab = calloc(c->tabsize, sizeof(*c->tab))) == NULL) {
		free(c);
		return INKAN_ENOMEM;
	}
	*out = &c->base;
	return 0;
}

int
inkan_cache_put(struct inkan_resolver *cache, const char *name, uint16_t type,
    const struct inkan_dns_answer *ans)
{
	struct cache *c = as_cache(cache);
	char key[INKAN__KEYMAX];
	int klen;

	if (c == NULL || name == NULL || ans == NULL || (ans->nrr > 0 && ans->rr == NULL))
		return INKAN_EINVAL;
	if ((klen = inkan__dns_key(name, key)) < 0)
		return INKAN_EINVAL;
	return put_folded(c, key, (size_t)klen, type, ans);
}

int
inkan_cache_set_ttl(struct inkan_resolver *cache, uint32_t min_ttl, uint32_t max_ttl)
{
	struct cache *c = as_cache(cache);

	if (c == NULL || min_ttl > max_ttl)
		return INKAN_EINVAL;
	c->min_ttl = min_ttl;
	c->max_ttl = max_ttl;
	return 0;
}

void
inkan_cache_set_clock(struct inkan_resolver *cache, uint64_t (*now_ms)(void *arg), void *arg)
{
	struct cache *c = as_cache(cache);

	if (c == NULL)
		return;
	c->now = now_ms != NULL ? now_ms : clock_ms;
	c->now_arg = now_ms != NULL ? arg : NULL;
}

void
inkan_cache_get_stats(const struct inkan_resolver *cache, struct inkan_cache_stats *st)
{
	const struct cache *c = as_cache(cache);

	if (c == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = c->st;
}
