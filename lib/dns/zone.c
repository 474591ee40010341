/* zone.c - the in-memory zone store and the resolver that answers from it.
 *
 * Design.  The store is one hash table of nodes keyed on the folded owner
 * name (lowercase, no trailing dot).  A node holds its RRsets (a short
 * array: few types live at one name) and the statuses forced on it.
 * Adding a name also adds every ancestor as an empty node, so that
 * "exists" is one lookup: a node without records is an empty non-terminal
 * and answers NODATA (RFC 8020: a name with names below it exists).  The
 * store may hold several zones, and a CNAME may point from one into
 * another.
 *
 * Names and rdata live in one arena owned by the store; only the arrays
 * that grow (the table, a node's RRsets, an RRset's records) are malloc'd.
 * A query copies the records it returns into the caller's arena, so an
 * answer outlives the store.
 *
 * Master files are parsed with ldns record by record, which keeps the
 * line number for error messages and lets $ORIGIN and $TTL work.
 * $INCLUDE is refused: zone text may come from untrusted input (the
 * fuzzer, suite files), and it must not open files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ldns/ldns.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

/* Negative answers from a zone without an SOA above the name get this
 * TTL (RFC 2308 §5 wants the SOA's; five minutes is a common minimum). */
#define NEG_TTL_DEFAULT		300
/* Default TTL for records before any $TTL, as BIND and ldns use. */
#define DEFAULT_TTL		3600

struct rrset {
	uint16_t type;
	bool truncated;		/* records past INKAN_DNS_MAX_RRS were dropped */
	uint32_t ttl;		/* smallest TTL of the records */
	size_t n, cap;
	struct inkan_dns_rr *rr;	/* data in the store's arena */
};

struct forced {
	uint16_t type;		/* 0 = every type without records */
	enum inkan_dns_status status;
};

struct node {
	struct node *next;	/* hash chain */
	uint64_t hash;
	const char *name;	/* folded */
	size_t len;
	struct rrset *sets;
	size_t nsets;
	struct forced *forced;
	size_t nforced;
	const char *cname;	/* folded target of the CNAME here, or NULL */
	bool has_soa;
	uint32_t neg_ttl;	/* from the SOA here (RFC 2308 §5) */
};

struct inkan_zone {
	struct node **tab;
	size_t tabsize;		/* power of two */
	size_t nnodes;
	size_t nrr;
	bool secure;
	struct inkan_arena *mem;
};

struct zone_resolver {
	struct inkan_resolver base;
	struct inkan_zone *z;
};

/* ---- the table ---- */

int
inkan_zone_new(struct inkan_zone **out)
{
	struct inkan_zone *z = calloc(1, sizeof(*z));

	*out = NULL;
	if (z == NULL)
		return INKAN_ENOMEM;
	z->tabsize = 64;
	z->tab = calloc(z->tabsize, sizeof(*z->tab));
	z->mem = inkan_arena_new();
	if (z->tab == NULL || z->mem == NULL) {
		inkan_zone_free(z);
		return INKAN_ENOMEM;
	}
	*out = z;
	return 0;
}

void
inkan_zone_free(struct inkan_zone *z)
{
	if (z == NULL)
		return;
	for (size_t i = 0; z->tab != NULL && i < z->tabsize; i++) {
		for (struct node *n = z->tab[i]; n != NULL; n = n->next) {
			for (size_t j = 0; j < n->nsets; j++)
				free(n->sets[j].rr);
			free(n->sets);
			free(n->forced);
		}
	}
	free(z->tab);
	inkan_arena_free(z->mem);
	free(z);
}

static struct node *
find(const struct inkan_zone *z, const char *key, size_t len)
{
	uint64_t h = inkan__dns_hash(key, len, 0);

	for (struct node *n = z->tab[h & (z->tabsize - 1)]; n != NULL; n = n->next)
		if (n->hash == h && n->len == len && memcmp(n->name, key, len) == 0)
			return n;
	return NULL;
}

static int
grow(struct inkan_zone *z)
{
	size_t size = z->tabsize * 2;
	struct node **tab = calloc(size, sizeof(*tab));

	if (tab == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < z->tabsize; i++) {
		struct node *n, *next;

		for (n = z->tab[i]; n != NULL; n = next) {
			next = n->next;
			n->next = tab[n->hash & (size - 1)];
			tab[n->hash & (size - 1)] = n;
		}
	}
	free(z->tab);
	z->tab = tab;
	z->tabsize = size;
	return 0;
}

/* The parent of a folded name: the text after its first unescaped dot,
 * or NULL for a single label. */
static const char *
parent(const char *key, size_t len, size_t *plen)
{
	for (size_t i = 0; i < len; i++) {
		if (key[i] == '\\') {
			i++;
			continue;
		}
		if (key[i] == '.') {
			*plen = len - i - 1;
			return key + i + 1;
		}
	}
	return NULL;
}

/* The node for key, made (with its ancestors) when missing. */
static struct node *
get_node(struct inkan_zone *z, const char *key, size_t len)
{
	struct node *n = find(z, key, len);
	const char *up;
	size_t uplen;

	if (n != NULL)
		return n;
	if (z->nnodes >= z->tabsize && grow(z) != 0)
		return NULL;
	if ((n = inkan_arena_zalloc(z->mem, sizeof(*n))) == NULL ||
	    (n->name = inkan_arena_strndup(z->mem, key, len)) == NULL)
		return NULL;
	n->len = len;
	n->hash = inkan__dns_hash(key, len, 0);
	n->next = z->tab[n->hash & (z->tabsize - 1)];
	z->tab[n->hash & (z->tabsize - 1)] = n;
	z->nnodes++;
	/* Every ancestor exists as at least an empty non-terminal. */
	if ((up = parent(key, len, &uplen)) != NULL && uplen > 0 &&
	    get_node(z, up, uplen) == NULL)
		return NULL;
	return n;
}

static struct rrset *
find_set(const struct node *n, uint16_t type)
{
	for (size_t i = 0; i < n->nsets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	return NULL;
}

static const struct forced *
find_forced(const struct node *n, uint16_t type)
{
	for (size_t i = 0; i < n->nforced; i++)
		if (n->forced[i].type == type)
			return &n->forced[i];
	return NULL;
}

/* ---- adding records ---- */

/* Store one record under the folded owner key. */
static int
add_folded(struct inkan_zone *z, const char *key, size_t klen, uint16_t type, uint32_t ttl,
    const uint8_t *rdata, size_t len)
{
	struct node *n;
	struct rrset *s;
	struct inkan_dns_rr rr = { .type = type, .ttl = ttl, .len = (uint16_t)len };

	if (type == 0 || len > INKAN_DNS_MAX_RDATA || (len > 0 && rdata == NULL))
		return INKAN_EINVAL;
	if (z->nrr >= INKAN_ZONE_MAX_RRS)
		return INKAN_ELIMIT;
	if ((n = get_node(z, key, klen)) == NULL)
		return INKAN_ENOMEM;
	if ((s = find_set(n, type)) == NULL) {
		struct rrset *sets = realloc(n->sets, (n->nsets + 1) * sizeof(*sets));

		if (sets == NULL)
			return INKAN_ENOMEM;
		n->sets = sets;
		s = &sets[n->nsets++];
		memset(s, 0, sizeof(*s));
		s->type = type;
		s->ttl = ttl;
	}
	/* RFC 2181 §5: an RRset holds no duplicate records. */
	for (size_t i = 0; i < s->n; i++)
		if (s->rr[i].len == len && (len == 0 || memcmp(s->rr[i].data, rdata, len) == 0))
			return 0;
	if (s->n >= INKAN_DNS_MAX_RRS) {
		s->truncated = true;
		return 0;
	}
	if (type == INKAN_DNS_CNAME && n->cname == NULL) {
		char *target, key2[INKAN__KEYMAX];
		int k2;

		rr.data = rdata;
		if (inkan_dns_rr_name(z->mem, &rr, &target) != 0 ||
		    (k2 = inkan__dns_key(target, key2)) < 0)
			return INKAN_EMALFORMED;
		if ((n->cname = inkan_arena_strndup(z->mem, key2, (size_t)k2)) == NULL)
			return INKAN_ENOMEM;
	}
	if (type == INKAN_DNS_SOA && len >= 4) {
		/* RFC 2308 §5: negative answers live min(SOA TTL, MINIMUM). */
		uint32_t min = (uint32_t)rdata[len - 4] << 24 | (uint32_t)rdata[len - 3] << 16 |
		    (uint32_t)rdata[len - 2] << 8 | rdata[len - 1];

		n->neg_ttl = min < ttl ? min : ttl;
		n->has_soa = true;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap == 0 ? 2 : s->cap * 2;
		struct inkan_dns_rr *v = realloc(s->rr, cap * sizeof(*v));

		if (v == NULL)
			return INKAN_ENOMEM;
		s->rr = v;
		s->cap = cap;
	}
	if (len > 0 && (rr.data = inkan_arena_memdup(z->mem, rdata, len)) == NULL)
		return INKAN_ENOMEM;
	s->rr[s->n++] = rr;
	if (ttl < s->ttl)
		s->ttl = ttl;
	z->nrr++;
	return 0;
}

/* Canonical presentation of a name through ldns (escapes resolved the
 * way the file loader sees them), folded into key. */
static int
canon_key(const char *name, char *key)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	char *s;
	int k;

	if (d == NULL)
		return INKAN_EMALFORMED;
	s = ldns_rdf2str(d);
	ldns_rdf_deep_free(d);
	if (s == NULL)
		return INKAN_ENOMEM;
	k = inkan__dns_key(s, key);
	free(s);
	return k < 0 ? INKAN_EMALFORMED : k;
}

int
inkan_zone_add_rr(struct inkan_zone *z, const char *name, uint16_t type, uint32_t ttl,
    const uint8_t *rdata, size_t len)
{
	char key[INKAN__KEYMAX];
	int k;

	if (z == NULL || name == NULL)
		return INKAN_EINVAL;
	if ((k = canon_key(name, key)) < 0)
		return k;
	return add_folded(z, key, (size_t)k, type, ttl, rdata, len);
}

/* Add an ldns record: its owner folded, its rdata in wire form. */
static int
add_ldns(struct inkan_zone *z, const ldns_rr *rr)
{
	char key[INKAN__KEYMAX];
	char *owner;
	ldns_buffer *wire;
	int k, rc;

	if ((owner = ldns_rdf2str(ldns_rr_owner(rr))) == NULL)
		return INKAN_ENOMEM;
	k = inkan__dns_key(owner, key);
	free(owner);
	if (k < 0)
		return INKAN_EMALFORMED;
	if ((wire = ldns_buffer_new(256)) == NULL)
		return INKAN_ENOMEM;
	if (ldns_rr_rdata2buffer_wire(wire, rr) != LDNS_STATUS_OK) {
		ldns_buffer_free(wire);
		return INKAN_EMALFORMED;
	}
	rc = add_folded(z, key, (size_t)k, (uint16_t)ldns_rr_get_type(rr), ldns_rr_ttl(rr),
	    ldns_buffer_begin(wire), ldns_buffer_position(wire));
	ldns_buffer_free(wire);
	return rc;
}

static void
set_why(char **why, const char *file, int line, const char *text)
{
	if (why == NULL)
		return;
	free(*why);
	*why = NULL;
	if (line > 0) {
		if (asprintf(why, "%s:%d: %s", file, line, text) < 0)
			*why = NULL;
	} else if (asprintf(why, "%s: %s", file, text) < 0) {
		*why = NULL;
	}
}

/* Map an add_folded() error to the text of a load error. */
static const char *
add_error_text(int rc)
{
	switch (rc) {
	case INKAN_ELIMIT:	return "too many records (INKAN_ZONE_MAX_RRS)";
	case INKAN_EINVAL:	return "record of type 0 or oversized rdata";
	case INKAN_EMALFORMED:	return "malformed rdata";
	default:		return inkan_strerror(rc);
	}
}

/* ldns lets a quoted string run over line ends and to the end of the
 * input; BIND and NSD refuse both, and so do we: it is always a missing
 * quote, and the record it makes swallows the lines after it.  Scans the
 * raw text of one record; returns the line of the fault or 0. */
static int
quote_fault(const char *p, size_t len, int line)
{
	bool quoted = false, comment = false;
	int start = line;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (quoted)
				return line;
			comment = false;
			line++;
		} else if (comment) {
			continue;
		} else if (p[i] == '\\') {
			if (i + 1 < len && p[i + 1] != '\n')
				i++;
		} else if (p[i] == '"') {
			quoted = !quoted;
			start = line;
		} else if (p[i] == ';' && !quoted) {
			comment = true;
		}
	}
	return quoted ? start : 0;
}

/* Parse text[0..len) as a master file; file names it in messages. */
static int
load(struct inkan_zone *z, const char *file, const char *text, size_t len, const char *origin,
    char **why)
{
	uint32_t ttl = DEFAULT_TTL;
	ldns_rdf *orig, *prev = NULL;
	FILE *fp;
	int line = 1, rc = 0;

	if (len == 0)
		return 0;
	if (len > INKAN_ZONE_MAX_FILE) {
		set_why(why, file, 0, "file too large (INKAN_ZONE_MAX_FILE)");
		return INKAN_ETOOBIG;
	}
	if ((orig = ldns_dname_new_frm_str(origin != NULL ? origin : ".")) == NULL) {
		set_why(why, file, 0, "bad origin");
		return INKAN_EINVAL;
	}
	if ((fp = fmemopen((void *)(uintptr_t)text, len, "r")) == NULL) {
		ldns_rdf_deep_free(orig);
		return INKAN_ENOMEM;
	}
	while (rc == 0 && !feof(fp)) {
		ldns_rr *rr = NULL;
		long start = ftell(fp);
		int first = line;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &orig, &prev, &line);
		long pos = ftell(fp);
		/* ldns counts the newline that ends a record; report the line
		 * the record ended on. */
		int at = line - (pos > 0 && (size_t)pos <= len && text[pos - 1] == '\n' ? 1 : 0);
		int bad;

		if (start >= 0 && pos >= start && (size_t)pos <= len &&
		    (bad = quote_fault(text + start, (size_t)(pos - start), first)) != 0) {
			set_why(why, file, bad, "unterminated quoted string");
			rc = INKAN_EMALFORMED;
			if (rr != NULL)
				ldns_rr_free(rr);
			break;
		}
		switch (st) {
		case LDNS_STATUS_OK:
			rc = add_ldns(z, rr);
			if (rc != 0)
				set_why(why, file, at, add_error_text(rc));
			break;
		case LDNS_STATUS_SYNTAX_EMPTY:
		case LDNS_STATUS_SYNTAX_TTL:
		case LDNS_STATUS_SYNTAX_ORIGIN:
			break;
		case LDNS_STATUS_SYNTAX_INCLUDE:
			set_why(why, file, at, "$INCLUDE is not supported");
			rc = INKAN_EUNSUPPORTED;
			break;
		case LDNS_STATUS_MEM_ERR:
			rc = INKAN_ENOMEM;
			break;
		default:
			set_why(why, file, at, ldns_get_errorstr_by_id(st));
			rc = INKAN_EMALFORMED;
			break;
		}
		if (rr != NULL)
			ldns_rr_free(rr);
	}
	fclose(fp);
	ldns_rdf_deep_free(orig);
	if (prev != NULL)
		ldns_rdf_deep_free(prev);
	return rc;
}

int
inkan_zone_load_string(struct inkan_zone *z, const char *text, size_t len, const char *origin,
    char **why)
{
	if (why != NULL)
		*why = NULL;
	if (z == NULL || (text == NULL && len > 0))
		return INKAN_EINVAL;
	return load(z, "(string)", text, len, origin, why);
}

int
inkan_zone_load_file(struct inkan_zone *z, const char *path, const char *origin, char **why)
{
	struct stat st;
	FILE *f;
	char *text;
	int rc;

	if (why != NULL)
		*why = NULL;
	if (z == NULL || path == NULL)
		return INKAN_EINVAL;
	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		set_why(why, path, 0, strerror(errno));
		if (f != NULL)
			fclose(f);
		return INKAN_EIO;
	}
	if ((uint64_t)st.st_size > INKAN_ZONE_MAX_FILE) {
		fclose(f);
		set_why(why, path, 0, "file too large (INKAN_ZONE_MAX_FILE)");
		return INKAN_ETOOBIG;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return INKAN_ENOMEM;
	}
	if (fread(text, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		set_why(why, path, 0, "read error");
		free(text);
		fclose(f);
		return INKAN_EIO;
	}
	fclose(f);
	rc = load(z, path, text, (size_t)st.st_size, origin, why);
	free(text);
	return rc;
}

int
inkan_zone_add_text(struct inkan_zone *z, const char *line, char **why)
{
	ldns_rr *rr = NULL;
	ldns_status st;
	int rc;

	if (why != NULL)
		*why = NULL;
	if (z == NULL || line == NULL)
		return INKAN_EINVAL;
	st = ldns_rr_new_frm_str(&rr, line, DEFAULT_TTL, NULL, NULL);
	if (st != LDNS_STATUS_OK) {
		set_why(why, "(record)", 0, ldns_get_errorstr_by_id(st));
		if (rr != NULL)
			ldns_rr_free(rr);
		return st == LDNS_STATUS_MEM_ERR ? INKAN_ENOMEM : INKAN_EMALFORMED;
	}
	rc = add_ldns(z, rr);
	ldns_rr_free(rr);
	if (rc != 0)
		set_why(why, "(record)", 0, add_error_text(rc));
	return rc;
}

int
inkan_zone_set_status(struct inkan_zone *z, const char *name, uint16_t type,
    enum inkan_dns_status status)
{
	char key[INKAN__KEYMAX];
	struct node *n;
	struct forced *f;
	int k;

	if (z == NULL || name == NULL || status == INKAN_DNS_OK || status > INKAN_DNS_TIMEOUT)
		return INKAN_EINVAL;
	if ((k = canon_key(name, key)) < 0)
		return k;
	if ((n = get_node(z, key, (size_t)k)) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < n->nforced; i++) {
		if (n->forced[i].type == type) {
			n->forced[i].status = status;
			return 0;
		}
	}
	if ((f = realloc(n->forced, (n->nforced + 1) * sizeof(*f))) == NULL)
		return INKAN_ENOMEM;
	n->forced = f;
	f[n->nforced++] = (struct forced){ type, status };
	return 0;
}

void
inkan_zone_set_secure(struct inkan_zone *z, bool secure)
{
	z->secure = secure;
}

bool
inkan__zone_secure(const struct inkan_zone *z)
{
	return z->secure;
}

size_t
inkan_zone_count(const struct inkan_zone *z)
{
	return z->nrr;
}

bool
inkan_zone_has(const struct inkan_zone *z, const char *name, uint16_t type)
{
	char key[INKAN__KEYMAX];
	const struct node *n;
	int k;

	if (z == NULL || name == NULL || (k = inkan__dns_key(name, key)) < 0 ||
	    (n = find(z, key, (size_t)k)) == NULL)
		return false;
	if (type == 0)
		return n->nsets > 0 || n->nforced > 0;
	return find_set(n, type) != NULL || find_forced(n, type) != NULL ||
	    find_forced(n, 0) != NULL;
}

const char *
inkan__zone_cname(const struct inkan_zone *z, const char *name)
{
	char key[INKAN__KEYMAX];
	const struct node *n;
	int k;

	if ((k = inkan__dns_key(name, key)) < 0 || (n = find(z, key, (size_t)k)) == NULL)
		return NULL;
	return n->cname;
}

/* ---- answering ---- */

/* The negative TTL for a name: from the closest SOA at or above it. */
static uint32_t
neg_ttl(const struct inkan_zone *z, const char *key, size_t len)
{
	const char *p = key;
	size_t plen = len;

	while (p != NULL) {
		const struct node *n = find(z, p, plen);

		if (n != NULL && n->has_soa)
			return n->neg_ttl;
		p = parent(p, plen, &plen);
	}
	return NEG_TTL_DEFAULT;
}

/* RFC 4592 §3.3.1: a name that does not exist is answered by "*" at
 * its closest encloser, when that wildcard exists. */
static const struct node *
wildcard(const struct inkan_zone *z, const char *key, size_t len)
{
	char wild[INKAN__KEYMAX];
	const char *p = key;
	size_t plen = len;

	while ((p = parent(p, plen, &plen)) != NULL) {
		if (find(z, p, plen) == NULL)
			continue;
		if (plen + 2 >= sizeof(wild))
			return NULL;
		wild[0] = '*';
		wild[1] = '.';
		memcpy(wild + 2, p, plen);
		return find(z, wild, plen + 2);
	}
	/* No ancestor exists; "*" alone would be a wildcard at the root. */
	return find(z, "*", 1);
}

static int
answer_set(struct inkan_arena *a, const struct rrset *s, struct inkan_dns_answer *out)
{
	struct inkan_dns_answer src = {
		.status = INKAN_DNS_OK,
		.truncated = s->truncated,
		.ttl = s->ttl,
		.nrr = s->n,
		.rr = s->rr,
	};
	struct inkan_dns_answer copy;
	int rc;

	if ((rc = inkan__dns_answer_copy(a, &src, &copy)) != 0)
		return rc;
	out->status = INKAN_DNS_OK;
	out->truncated = s->truncated;
	out->ttl = s->ttl;
	out->nrr = copy.nrr;
	out->rr = copy.rr;
	return 0;
}

static int
answer_status(struct inkan_arena *a, const struct inkan_zone *z, const char *key, size_t len,
    enum inkan_dns_status status, const char *why, struct inkan_dns_answer *out)
{
	out->status = status;
	out->nrr = 0;
	out->rr = NULL;
	out->ttl = status == INKAN_DNS_NXDOMAIN || status == INKAN_DNS_NODATA ?
	    neg_ttl(z, key, len) : 0;
	if (why != NULL && (out->why = inkan_arena_strdup(a, why)) == NULL)
		return INKAN_ENOMEM;
	return 0;
}

static int
zone_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	static const char forced[] = "forced by zone";
	const struct inkan_zone *z = ((struct zone_resolver *)r)->z;
	char key[INKAN__KEYMAX];
	int k;
	size_t kl;
	unsigned chain = 0;

	if ((out->qname = inkan_arena_strdup(a, name)) == NULL)
		return INKAN_ENOMEM;
	out->qtype = type;
	out->secure = z->secure;
	if ((k = inkan__dns_key(name, key)) < 0)
		return INKAN_EINVAL;
	kl = (size_t)k;
	for (;;) {
		const struct node *n = find(z, key, kl);
		const struct forced *f;
		const struct rrset *s;

		if (n == NULL && (n = wildcard(z, key, kl)) == NULL)
			return answer_status(a, z, key, kl, INKAN_DNS_NXDOMAIN, NULL, out);
		if ((f = find_forced(n, type)) != NULL)
			return answer_status(a, z, key, kl, f->status, forced, out);
		if ((s = find_set(n, type)) != NULL)
			return answer_set(a, s, out);
		if (type != INKAN_DNS_CNAME && n->cname != NULL) {
			/* RFC 1034 §3.6.2: restart the query at the target. */
			if (++chain > INKAN_DNS_MAX_CNAME_CHAIN)
				return answer_status(a, z, key, kl, INKAN_DNS_SERVFAIL,
				    "CNAME chain too long", out);
			kl = strlen(n->cname);
			memcpy(key, n->cname, kl + 1);
			if ((out->canonname = inkan_arena_strdup(a, key)) == NULL)
				return INKAN_ENOMEM;
			continue;
		}
		if ((f = find_forced(n, 0)) != NULL)
			return answer_status(a, z, key, kl, f->status, forced, out);
		return answer_status(a, z, key, kl, INKAN_DNS_NODATA, NULL, out);
	}
}

static void
zone_destroy(struct inkan_resolver *r)
{
	free(r);
}

static const struct inkan_resolver_ops zone_ops = {
	.name = "zone",
	.query = zone_query,
	.destroy = zone_destroy,
};

int
inkan_resolver_zone_new(struct inkan_zone *z, struct inkan_resolver **out)
{
	struct zone_resolver *zr;

	*out = NULL;
	if (z == NULL)
		return INKAN_EINVAL;
	if ((zr = calloc(1, sizeof(*zr))) == NULL)
		return INKAN_ENOMEM;
	zr->base.ops = &zone_ops;
	zr->z = z;
	*out = &zr->base;
	return 0;
}
