/* input.c - what a survey reads: domain-list lines, the delegated names
 * of a master-format zone file, and the shard a domain belongs to.
 *
 * A list line is "DOMAIN [CATEGORY]" (blanks or a comma between them),
 * '#' to the end of the line is a comment.  The domain is lowercased and
 * loses one trailing dot; it must be a valid multi-label name.
 *
 * A zone file is read one record at a time by ldns ($ORIGIN, $TTL,
 * relative and omitted owners, parentheses).  A delegation is an NS
 * RRset whose owner is strictly below the apex (RFC 1034 §4.2.1: the NS
 * records below the apex mark zone cuts); NS at the apex, glue (A/AAAA
 * below a cut), DS, DNSSEC records and anything else are ignored.  The
 * apex is the owner of the SOA, or the first $ORIGIN when the file has
 * no SOA before its first delegation.  Each delegated name is returned
 * once, however its NS records are scattered: a set of the names seen
 * (a consecutive repeat, the common sorted case, costs no lookup).
 *
 * Sharding: FNV-1a, 64-bit (offset basis 14695981039346656037, prime
 * 1099511628211) over the bytes of the lowercased name without trailing
 * dot; domain d is in shard i of N when hash(d) mod N == i - 1.  Stable
 * across machines, builds and runs, and a few lines in any language.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/survey.h"

/* ---- list lines ---- */

int
inkan_survey_line_parse(char *line, char **domain, char **category, const char **why)
{
	char *p, *d, *c = NULL;
	size_t dlen;

	*domain = *category = NULL;
	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	p = line;
	p += strspn(p, " \t\r\n,");
	if (*p == '\0')
		return 0;
	d = p;
	p += strcspn(p, " \t\r\n,");
	if (*p != '\0') {
		*p++ = '\0';
		p += strspn(p, " \t\r\n,");
		if (*p != '\0') {
			c = p;
			p += strcspn(p, " \t\r\n,");
			if (*p != '\0') {
				*p++ = '\0';
				p += strspn(p, " \t\r\n,");
				if (*p != '\0') {
					*why = "more than two columns";
					return INKAN_EMALFORMED;
				}
			}
		}
	}
	dlen = strlen(d);
	if (dlen > 1 && d[dlen - 1] == '.')
		d[--dlen] = '\0';
	for (size_t i = 0; i < dlen; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	if (inkan_dname_check(d, dlen, INKAN_DNAME_MULTILABEL, why) != 0)
		return INKAN_EMALFORMED;
	*domain = d;
	*category = c;
	return 1;
}

/* ---- shards ---- */

uint64_t
inkan_survey_shard_hash(const char *domain)
{
	uint64_t h = 14695981039346656037ull;

	for (const unsigned char *p = (const unsigned char *)domain; *p != '\0'; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	return h;
}

bool
inkan_survey_in_shard(const char *domain, unsigned i, unsigned n)
{
	return n <= 1 || inkan_survey_shard_hash(domain) % n == (uint64_t)(i - 1);
}

/* ---- zone files ---- */

bool
inkan_survey_looks_like_zone(const char *line)
{
	const char *p = line + strspn(line, " \t");
	char tok[16];
	int n = 0;
	bool typed = false;

	if (*p == '$')
		return strncmp(p, "$ORIGIN", 7) == 0 || strncmp(p, "$TTL", 4) == 0 ||
		    strncmp(p, "$INCLUDE", 8) == 0;
	/* a record line: "owner [ttl] [class] type rdata": at least three
	 * tokens (a list line has at most two, so a category named "ns" is
	 * no zone), SOA or NS among the first five */
	while (*p != '\0' && *p != '#' && *p != ';' && n < 6) {
		size_t len = strcspn(p, " \t\r\n");

		if (len < sizeof(tok) && n < 5) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			if (n > 0 && (strcasecmp(tok, "SOA") == 0 || strcasecmp(tok, "NS") == 0))
				typed = true;
		}
		n++;
		p += len;
		p += strspn(p, " \t\r\n");
	}
	return typed && n >= 3;
}

struct inkan_survey_zone {
	FILE *f;
	ldns_rdf *origin, *prev, *apex;
	uint32_t ttl;
	int line;
	char **set;		/* names returned, open addressing */
	size_t setsize, nset;
	char *last;		/* the last name returned */
	char why[160];
};

int
inkan_survey_zone_open(FILE *f, const char *origin, struct inkan_survey_zone **out)
{
	struct inkan_survey_zone *z;

	*out = NULL;
	if (f == NULL)
		return INKAN_EINVAL;
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return INKAN_ENOMEM;
	z->f = f;
	z->ttl = 3600;
	if (origin != NULL && ldns_str2rdf_dname(&z->origin, origin) != LDNS_STATUS_OK) {
		free(z);
		return INKAN_EINVAL;
	}
	z->setsize = 1024;
	if ((z->set = calloc(z->setsize, sizeof(*z->set))) == NULL) {
		ldns_rdf_deep_free(z->origin);
		free(z);
		return INKAN_ENOMEM;
	}
	*out = z;
	return 0;
}

void
inkan_survey_zone_close(struct inkan_survey_zone *z)
{
	if (z == NULL)
		return;
	ldns_rdf_deep_free(z->origin);
	ldns_rdf_deep_free(z->prev);
	ldns_rdf_deep_free(z->apex);
	for (size_t i = 0; i < z->setsize; i++)
		free(z->set[i]);
	free(z->set);
	free(z);
}

static uint64_t
str_hash(const char *s)
{
	return inkan_survey_shard_hash(s) * 0x9E3779B97F4A7C15ull;
}

/* Add name to the set; 1 if it was new, 0 if there already, or an error. */
static int
set_add(struct inkan_survey_zone *z, const char *name)
{
	size_t i;

	if (z->nset * 2 >= z->setsize) {
		size_t ns = z->setsize * 2;
		char **t = calloc(ns, sizeof(*t));

		if (t == NULL)
			return INKAN_ENOMEM;
		for (size_t k = 0; k < z->setsize; k++) {
			if (z->set[k] == NULL)
				continue;
			for (i = str_hash(z->set[k]) & (ns - 1); t[i] != NULL; i = (i + 1) & (ns - 1))
				continue;
			t[i] = z->set[k];
		}
		free(z->set);
		z->set = t;
		z->setsize = ns;
	}
	for (i = str_hash(name) & (z->setsize - 1); z->set[i] != NULL; i = (i + 1) & (z->setsize - 1))
		if (strcmp(z->set[i], name) == 0)
			return 0;
	if (z->nset >= INKAN_SURVEY_ZONE_MAX_NAMES)
		return INKAN_ELIMIT;
	if ((z->set[i] = strdup(name)) == NULL)
		return INKAN_ENOMEM;
	z->nset++;
	z->last = z->set[i];
	return 1;
}

int
inkan_survey_zone_next(struct inkan_survey_zone *z, const char **name, size_t *lineno,
    const char **why)
{
	*name = NULL;
	*why = NULL;
	for (;;) {
		ldns_rr *rr = NULL;
		ldns_status s;
		ldns_rdf *owner;
		char *text;
		size_t len;
		int rc;

		long pos = ftell(z->f);

		if (feof(z->f))
			return 0;
		s = ldns_rr_new_frm_fp_l(&rr, z->f, &z->ttl, &z->origin, &z->prev, &z->line);
		*lineno = (size_t)z->line;
		if (s != LDNS_STATUS_OK && pos >= 0 && ftell(z->f) == pos && !feof(z->f)) {
			/* no byte consumed: stop rather than loop */
			ldns_rr_free(rr);
			*why = "unreadable record";
			return INKAN_EMALFORMED;
		}
		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN) {
			ldns_rr_free(rr);
			continue;
		}
		if (s == LDNS_STATUS_SYNTAX_INCLUDE) {
			*why = "$INCLUDE is not supported: give the included file itself";
			return INKAN_EMALFORMED;
		}
		if (s != LDNS_STATUS_OK) {
			ldns_rr_free(rr);
			if (feof(z->f) && s == LDNS_STATUS_SYNTAX_ERR)
				return 0;
			snprintf(z->why, sizeof(z->why), "%s", ldns_get_errorstr_by_id(s));
			*why = z->why;
			return INKAN_EMALFORMED;
		}
		owner = ldns_rr_owner(rr);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && z->apex == NULL) {
			z->apex = ldns_rdf_clone(owner);
			ldns_dname2canonical(z->apex);
		}
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
			ldns_rr_free(rr);
			continue;
		}
		if (z->apex == NULL) {
			if (z->origin == NULL) {
				ldns_rr_free(rr);
				*why = "an NS record before any SOA or $ORIGIN: the apex is unknown";
				return INKAN_EMALFORMED;
			}
			z->apex = ldns_rdf_clone(z->origin);
			ldns_dname2canonical(z->apex);
		}
		ldns_dname2canonical(owner);
		if (!ldns_dname_is_subdomain(owner, z->apex)) {
			ldns_rr_free(rr);	/* the apex itself, or out of the zone */
			continue;
		}
		text = ldns_rdf2str(owner);
		ldns_rr_free(rr);
		if (text == NULL)
			return INKAN_ENOMEM;
		len = strlen(text);
		if (len > 1 && text[len - 1] == '.')
			text[--len] = '\0';
		if (z->last != NULL && strcmp(z->last, text) == 0) {
			free(text);
			continue;
		}
		rc = set_add(z, text);
		free(text);
		if (rc < 0) {
			*why = rc == INKAN_ELIMIT ? "more delegated names than the limit" :
			    "out of memory";
			return rc;
		}
		if (rc == 1) {
			*name = z->last;
			return 1;
		}
	}
}
