/* bimi.h - the BIMI assertion record (Brand Indicators for Message
 * Identification, draft-brand-indicators-for-message-identification).
 *
 * A domain shows its logo next to authenticated mail by publishing a TXT
 * record at <selector>._bimi.<domain> (selector "default" unless a
 * BIMI-Selector header names another):
 *   v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem
 * l= is the location of an SVG Tiny PS logo, a= of the Verified Mark
 * Certificate (or Common Mark Certificate) that vouches for it.  An empty
 * l= with no a= declines BIMI for the domain.  Receivers show logos only
 * for mail that passes DMARC under an enforcing policy (p=quarantine or
 * reject, not sp=none, not pct < 100).
 *
 * This header has the record parser (pure, fuzzed) and its lookup.
 */
#ifndef INKAN_BIMI_H
#define INKAN_BIMI_H

#include <stdbool.h>
#include <stddef.h>

#include "inkan/dns.h"

struct inkan_arena;
struct inkan_resolver;

struct inkan_bimi_record {
	/* l= URIs as written (the draft allows one; more are a warning);
	 * empty when l= is empty or absent. */
	const char **logos;
	size_t nlogos;
	const char *evidence;	/* a= URI, or NULL when absent or empty */
	const char *avp;	/* avp= ("brand", "personal"), or NULL */
	bool declined;		/* l= empty (or absent) and no a=: "no BIMI here" */
	/* Things accepted but worth saying ("l= is not an .svg", ...), in
	 * the arena. */
	const char **warnings;
	size_t nwarnings;
};

/* True if txt starts like a BIMI record: optional WSP, "v", optional
 * WSP, "=", optional WSP, "BIMI1", then ";", WSP or the end. */
bool inkan_bimi_is_record(const char *txt, size_t len);

/* Parse a BIMI record (all TXT strings joined).  Rules: a tag list as
 * RFC 6376 §3.2 (a duplicate tag is an error); v=BIMI1 first; l= a
 * comma-separated list of https: URIs with a host (empty allowed); a= an
 * https: URI with a host, or empty; avp= "brand" or "personal"; other
 * tags ignored.  Returns 0, INKAN_EMALFORMED with *why (static or in a),
 * INKAN_ETOOBIG (over INKAN_BIMI_MAX_RECORD), INKAN_ENOMEM.  why may be
 * NULL. */
int inkan_bimi_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_bimi_record *out, const char **why);

enum inkan_bimi_status {
	INKAN_BIMI_FOUND = 0,	/* exactly one BIMI1 record, valid */
	INKAN_BIMI_NONE,	/* no record */
	INKAN_BIMI_INVALID,	/* one record, which does not parse */
	INKAN_BIMI_MULTIPLE,	/* several BIMI1 records (none applies) */
	INKAN_BIMI_TEMPERROR,	/* SERVFAIL or timeout */
};

/* "found", "none", "invalid", "multiple", "temperror". */
const char *inkan_bimi_status_name(enum inkan_bimi_status s);

struct inkan_bimi_lookup {
	enum inkan_bimi_status status;
	const char *why;	/* NULL when FOUND */
	const char *qname;	/* "default._bimi.example.com" */
	const char *txt;	/* the record text, when one was found */
	struct inkan_bimi_record record;	/* when FOUND */
	bool secure, bogus;
};

/* Look up <selector>._bimi.<domain> (selector NULL = "default").
 * Returns 0 with *out filled (in a), INKAN_EINVAL (not a domain name or
 * selector), INKAN_EAGAIN, INKAN_ENOMEM. */
int inkan_bimi_lookup(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    const char *selector, struct inkan_bimi_lookup *out);

#endif
