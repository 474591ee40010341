/* signtable.c - the signing table (signtable.h).
 *
 * Rows in an array, in the order they were added; a lookup scores every
 * row's pattern against the author (address 3, domain 2, wildcard 1 plus
 * its length, "*" 0) and gathers the rows of the best pattern by d=.
 * Tables hold a few hundred rows, so a scan per message costs less than
 * one DNS query.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/signtable.h"

struct row {
	char *pattern;		/* lower case */
	char *domain;
	char *selector;
	struct inkan_dkim_key *key;
};

struct inkan_signtable {
	atomic_uint refs;
	struct row *rows;
	size_t n, cap;
};

int
inkan_signtable_new(struct inkan_signtable **out)
{
	struct inkan_signtable *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return INKAN_ENOMEM;
	atomic_init(&t->refs, 1);
	*out = t;
	return 0;
}

struct inkan_signtable *
inkan_signtable_hold(struct inkan_signtable *t)
{
	if (t != NULL)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void
inkan_signtable_release(struct inkan_signtable *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].pattern);
		free(t->rows[i].domain);
		free(t->rows[i].selector);
		inkan_dkim_key_free(t->rows[i].key);
	}
	free(t->rows);
	free(t);
}

size_t
inkan_signtable_count(const struct inkan_signtable *t)
{
	return t != NULL ? t->n : 0;
}

/* A domain name or selector as DKIM tags hold them: letters, digits,
 * '-', '_' and '.', not empty (RFC 6376 §3.5 d=, s=). */
static bool
dns_word(const char *s)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > 253)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool
valid_pattern(const char *p)
{
	if (p == NULL || p[0] == '\0')
		return false;
	if (strcmp(p, "*") == 0)
		return true;
	if (strncmp(p, "*.", 2) == 0)
		return dns_word(p + 2);
	const char *at = strrchr(p, '@');
	if (at != NULL) {
		for (const char *c = p; c < at; c++)
			if ((unsigned char)*c <= ' ' || *c == '<' || *c == '>')
				return false;
		return at > p && dns_word(at + 1);
	}
	return dns_word(p);
}

static char *
lower_dup(const char *s)
{
	char *d = strdup(s);
	for (char *c = d; c != NULL && *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return d;
}

int
inkan_signtable_add_key(struct inkan_signtable *t, const char *pattern, const char *domain,
    const char *selector, struct inkan_dkim_key *key, char *why, size_t whylen)
{
	if (t == NULL || key == NULL) {
		inkan_dkim_key_free(key);
		snprintf(why, whylen, "no table or no key");
		return INKAN_EINVAL;
	}
	if (!valid_pattern(pattern)) {
		inkan_dkim_key_free(key);
		snprintf(why, whylen, "'%s' is not a pattern (address, domain, *.domain or *)",
		    pattern != NULL ? pattern : "");
		return INKAN_EINVAL;
	}
	if (!dns_word(domain) || !dns_word(selector)) {
		inkan_dkim_key_free(key);
		snprintf(why, whylen, "bad %s '%s'", dns_word(domain) ? "selector" : "domain",
		    dns_word(domain) ? (selector ? selector : "") : (domain ? domain : ""));
		return INKAN_EINVAL;
	}
	if (t->n >= INKAN_SIGNTABLE_MAX_KEYS) {
		inkan_dkim_key_free(key);
		snprintf(why, whylen, "more than %d keys", INKAN_SIGNTABLE_MAX_KEYS);
		return INKAN_ELIMIT;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct row *r = realloc(t->rows, cap * sizeof(*r));
		if (r == NULL) {
			inkan_dkim_key_free(key);
			snprintf(why, whylen, "out of memory");
			return INKAN_ENOMEM;
		}
		t->rows = r;
		t->cap = cap;
	}
	struct row *r = &t->rows[t->n];
	r->pattern = lower_dup(pattern);
	r->domain = lower_dup(domain);
	r->selector = strdup(selector);
	r->key = key;
	if (r->pattern == NULL || r->domain == NULL || r->selector == NULL) {
		free(r->pattern);
		free(r->domain);
		free(r->selector);
		inkan_dkim_key_free(key);
		snprintf(why, whylen, "out of memory");
		return INKAN_ENOMEM;
	}
	t->n++;
	return 0;
}

int
inkan_signtable_add(struct inkan_signtable *t, const char *pattern, const char *domain,
    const char *selector, const char *keyfile, unsigned flags, char *why, size_t whylen)
{
	struct inkan_dkim_key *key = NULL;
	const char *kwhy = NULL;

	if (keyfile == NULL) {
		snprintf(why, whylen, "no key file");
		return INKAN_EINVAL;
	}
	int err = inkan_dkim_key_load_file(keyfile, flags, &key, &kwhy);
	if (err != 0) {
		snprintf(why, whylen, "%s: %s", keyfile, kwhy != NULL ? kwhy : inkan_strerror(err));
		return err;
	}
	err = inkan_signtable_add_key(t, pattern, domain, selector, key, why, whylen);
	if (err != 0) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s", why);
		snprintf(why, whylen, "%s: %s", keyfile, tmp);
	}
	return err;
}

/* Score of pattern p for the author (local part l, may be NULL, and
 * domain d), or -1 for no match.  Higher is more specific. */
static long
score(const char *p, const char *addr, const char *d)
{
	size_t dl = strlen(d);

	if (strcmp(p, "*") == 0)
		return 0;
	if (strncmp(p, "*.", 2) == 0) {
		size_t pl = strlen(p + 2);
		if (dl > pl && d[dl - pl - 1] == '.' && strcasecmp(d + dl - pl, p + 2) == 0)
			return 1 + (long)pl;
		return -1;
	}
	if (strchr(p, '@') != NULL)
		return addr != NULL && strcasecmp(p, addr) == 0 ? 3000 : -1;
	return strcasecmp(p, d) == 0 ? 2000 : -1;
}

int
inkan_signtable_lookup(const struct inkan_signtable *t, struct inkan_arena *a,
    const char *author, const struct inkan_signtable_sig **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (t == NULL || a == NULL || author == NULL)
		return INKAN_EINVAL;
	const char *at = strrchr(author, '@');
	const char *addr = at != NULL ? author : NULL;
	char *d = inkan_arena_strdup(a, at != NULL ? at + 1 : author);
	if (d == NULL)
		return INKAN_ENOMEM;
	size_t dl = strlen(d);
	if (dl > 0 && d[dl - 1] == '.')
		d[dl - 1] = '\0';

	long best = -1;
	const char *bestp = NULL;
	for (size_t i = 0; i < t->n; i++) {
		long s = score(t->rows[i].pattern, addr, d);
		if (s > best) {
			best = s;
			bestp = t->rows[i].pattern;
		}
	}
	if (bestp == NULL)
		return 0;

	struct inkan_signtable_sig *sigs = inkan_arena_zalloc(a,
	    INKAN_SIGNTABLE_MAX_SIGS * sizeof(*sigs));
	if (sigs == NULL)
		return INKAN_ENOMEM;
	size_t ns = 0, total = 0;
	for (size_t i = 0; i < t->n && total < INKAN_SIGNTABLE_MAX_SIGS; i++) {
		const struct row *r = &t->rows[i];
		if (strcmp(r->pattern, bestp) != 0)
			continue;
		size_t g;
		for (g = 0; g < ns; g++)
			if (strcmp(sigs[g].domain, r->domain) == 0)
				break;
		if (g == ns) {
			sigs[g].domain = r->domain;
			sigs[g].pattern = r->pattern;
			sigs[g].keys = inkan_arena_zalloc(a,
			    INKAN_SIGNTABLE_MAX_SIGS * sizeof(*sigs[g].keys));
			sigs[g].selectors = inkan_arena_zalloc(a,
			    INKAN_SIGNTABLE_MAX_SIGS * sizeof(*sigs[g].selectors));
			if (sigs[g].keys == NULL || sigs[g].selectors == NULL)
				return INKAN_ENOMEM;
			ns++;
		}
		((struct inkan_dkim_key **)sigs[g].keys)[sigs[g].nkeys] = r->key;
		((const char **)sigs[g].selectors)[sigs[g].nkeys] = r->selector;
		sigs[g].nkeys++;
		total++;
	}
	*out = sigs;
	*n = ns;
	return 0;
}
