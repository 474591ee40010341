/* dns.h - the resolver seam.
 *
 * Every protocol module gets DNS through one call, inkan_dns_query(), on a
 * struct inkan_resolver.  Backends: unbound (libunbound, recursion or
 * forwarders, DNSSEC), zone (in-memory, from master files), overlay (a zone
 * shadowing a live resolver: "what if I publish this?"), and a TTL cache
 * that can also run "cache only" for the bulk driver (bulk.h).
 *
 * A DNS outcome is data, not an error: NXDOMAIN, NODATA, SERVFAIL and
 * TIMEOUT are statuses in the answer.  Functions return a negative INKAN_E*
 * only when the caller cannot get an answer at all: out of memory, bad
 * arguments, or INKAN_EAGAIN from a cache-only resolver (the query has been
 * noted; re-run the evaluation when it is answered).
 */
#ifndef INKAN_DNS_H
#define INKAN_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/ip.h"

struct inkan_arena;

/* RR types (RFC 1035 and later). */
enum {
	INKAN_DNS_A = 1,
	INKAN_DNS_NS = 2,
	INKAN_DNS_CNAME = 5,
	INKAN_DNS_SOA = 6,
	INKAN_DNS_PTR = 12,
	INKAN_DNS_MX = 15,
	INKAN_DNS_TXT = 16,
	INKAN_DNS_AAAA = 28,
	INKAN_DNS_DS = 43,
	INKAN_DNS_RRSIG = 46,
	INKAN_DNS_DNSKEY = 48,
	INKAN_DNS_TLSA = 52,
	INKAN_DNS_SPF = 99,
	INKAN_DNS_ANY = 255,
};

enum inkan_dns_status {
	INKAN_DNS_OK = 0,	/* records present */
	INKAN_DNS_NXDOMAIN,	/* the name does not exist */
	INKAN_DNS_NODATA,	/* the name exists, no records of this type */
	INKAN_DNS_SERVFAIL,	/* server failure (also DNSSEC bogus without data) */
	INKAN_DNS_TIMEOUT,	/* no answer in time */
};

/* "OK", "NXDOMAIN", "NODATA", "SERVFAIL", "TIMEOUT". */
const char *inkan_dns_status_name(enum inkan_dns_status s);
/* "A", "MX", ... or "TYPE123". Static or thread-local storage. */
const char *inkan_dns_type_name(uint16_t type);
/* Type number for a mnemonic ("txt", "TXT", "TYPE16"), or 0. */
uint16_t inkan_dns_type_from_name(const char *s);

struct inkan_dns_rr {
	uint16_t type;
	uint32_t ttl;
	uint16_t len;
	const uint8_t *data;	/* rdata in wire format; names uncompressed */
};

struct inkan_dns_answer {
	enum inkan_dns_status status;
	bool secure;		/* DNSSEC validated */
	bool bogus;		/* DNSSEC validation failed (data may still be present) */
	bool truncated;		/* more than INKAN_DNS_MAX_RRS records; rest dropped */
	uint16_t qtype;
	const char *qname;	/* as asked */
	const char *canonname;	/* owner after following CNAMEs, NULL if none followed */
	uint32_t ttl;		/* smallest TTL of the records, or negative-cache TTL */
	size_t nrr;
	const struct inkan_dns_rr *rr;	/* records of qtype only */
	const char *why;	/* human reason for SERVFAIL/bogus/TIMEOUT, or NULL */
};

/* ---- rdata decoding (for records from any backend) ----
 * Each returns 0 or INKAN_EMALFORMED; results live in a. */

/* TXT: all character-strings of one record concatenated (RFC 7208 §3.3,
 * RFC 6376 §3.6.2.2).  *out is NUL-terminated; *outlen excludes the NUL.
 * Embedded NULs are kept (callers check outlen vs strlen). */
int inkan_dns_rr_txt(struct inkan_arena *a, const struct inkan_dns_rr *rr, char **out,
    size_t *outlen);
/* MX: preference and exchange (presentation form, no trailing dot, "" for
 * the root: Null MX is preference 0 and exchange ""). */
int inkan_dns_rr_mx(struct inkan_arena *a, const struct inkan_dns_rr *rr, unsigned *pref,
    char **exchange);
/* PTR, CNAME, NS: the target name (presentation form, no trailing dot). */
int inkan_dns_rr_name(struct inkan_arena *a, const struct inkan_dns_rr *rr, char **name);
/* A, AAAA. */
int inkan_dns_rr_ip(const struct inkan_dns_rr *rr, struct inkan_ip *ip);
/* Presentation form of any record's rdata (ldns), for traces and output;
 * rdata ldns cannot parse comes out in RFC 3597 form ("\# 3 0a0b0c").
 * NULL only when out of memory. */
char *inkan_dns_rr_text(struct inkan_arena *a, const struct inkan_dns_rr *rr);

/* ---- the resolver handle ---- */

struct inkan_resolver;

struct inkan_resolver_ops {
	const char *name;	/* "unbound", "zone", "overlay", "cache" */
	/* Answer (name, type) into *out with storage in a.  name is
	 * presentation form, may have a trailing dot. */
	int (*query)(struct inkan_resolver *r, struct inkan_arena *a, const char *name,
	    uint16_t type, struct inkan_dns_answer *out);
	void (*destroy)(struct inkan_resolver *r);
};

/* Every backend embeds this as its first member. */
struct inkan_resolver {
	const struct inkan_resolver_ops *ops;
	void (*trace)(void *arg, const char *line);	/* NULL = no trace */
	void *trace_arg;
	unsigned long nqueries;		/* queries answered through this handle */
};

/* Ask r for (name, type).  Returns 0 with *out filled (any status), or
 * INKAN_EAGAIN (cache-only miss), INKAN_ENOMEM, INKAN_EINVAL (also for a
 * name too long or, with unbound, one it cannot parse).  *out and its
 * storage live in a.  A handle is not thread-safe.  When a trace
 * function is set, one line per query is passed to it:
 *   "dns TXT example.com -> OK 1 rr ttl=300 [secure]: \"v=spf1 -all\""
 * with " [bogus]", " via CANONNAME" and " (why)" when they apply; at most
 * four records are shown, each cut after 120 characters. */
int inkan_dns_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name,
    uint16_t type, struct inkan_dns_answer *out);
/* Free a resolver (NULL is a no-op).  Wrappers (overlay, cache) do not
 * free the resolvers they wrap. */
void inkan_resolver_free(struct inkan_resolver *r);
/* Set the trace sink of r; evaluators also write their own lines with
 * inkan_dns_tracef() so that one --trace shows DNS and counters together. */
void inkan_resolver_set_trace(struct inkan_resolver *r, void (*fn)(void *arg, const char *line),
    void *arg);
/* Pass one printf-formatted line (cut at 640 characters) to r's trace
 * sink; a no-op when r has none. */
void inkan_dns_tracef(struct inkan_resolver *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The backend's name ("unbound", ...). */
const char *inkan_resolver_name(const struct inkan_resolver *r);

/* ---- unbound backend ---- */

struct inkan_unbound_opts {
	/* Forwarders "ADDR[@PORT]"; NULL-terminated; NULL = full recursion. */
	const char *const *forwarders;
	/* Trust anchor file (DS or DNSKEY lines, or unbound-anchor's
	 * root.key).  NULL = the root key at INKAN_ROOT_KEY_FILE when it
	 * exists, otherwise no DNSSEC validation. */
	const char *trust_anchor_file;
	/* Extra trust anchor lines ("example.test. IN DS ..."), NULL-terminated. */
	const char *const *trust_anchors;
	bool no_dnssec;		/* never validate */
	unsigned timeout_ms;	/* per query; 0 = INKAN_DNS_DEFAULT_TIMEOUT_MS */
	/* Names for which unbound's built-in local zones (RFC 6761 "test.",
	 * "invalid.", RFC 1918 reverse zones, ...) are made transparent, so
	 * that a forwarder that serves them is asked. NULL-terminated. */
	const char *const *transparent_zones;
};

#define INKAN_ROOT_KEY_FILE "/usr/share/dns/root.key"

/* A libunbound resolver.  On failure returns INKAN_EDNS and sets *why (a
 * static or malloc-free message) when why is non-NULL.
 * unbound runs in a thread of its own; a query waits at most timeout_ms
 * and then answers TIMEOUT.  A bogus answer keeps its records (status OK,
 * bogus set, why = unbound's reason); bogus without records is SERVFAIL.
 * The default root anchor is loaded only when neither trust_anchor_file
 * nor trust_anchors is given, so a private anchor (a test zone) is never
 * mixed with the root's.  For qtype ANY the records' types are not known
 * and are reported as ANY. */
int inkan_resolver_unbound_new(const struct inkan_unbound_opts *o, struct inkan_resolver **out,
    const char **why);

/* ---- zone backend ---- */

struct inkan_zone;

/* An empty in-memory zone store (it may hold any number of zones). */
int inkan_zone_new(struct inkan_zone **out);
/* Free the store and every record in it (NULL is a no-op).  Resolvers
 * made over it must be freed first; answers already given stay valid. */
void inkan_zone_free(struct inkan_zone *z);
/* Load an RFC 1035 master file (ldns parser).  origin may be NULL ($ORIGIN
 * in the file or "." then).  On a syntax error returns INKAN_EMALFORMED
 * and, when why is non-NULL, sets *why to a malloc'd "FILE:LINE: reason"
 * the caller frees.  $INCLUDE is refused (INKAN_EUNSUPPORTED), as is a
 * quoted string left open at a line end.  Other errors: INKAN_EIO (file),
 * INKAN_ETOOBIG (over INKAN_ZONE_MAX_FILE), INKAN_ELIMIT (over
 * INKAN_ZONE_MAX_RRS).  Records before the error stay loaded.  Duplicate
 * records are dropped (RFC 2181 §5); an RRset keeps INKAN_DNS_MAX_RRS
 * records and is answered as truncated past that. */
int inkan_zone_load_file(struct inkan_zone *z, const char *path, const char *origin, char **why);
/* Same from a string (what the fuzzer and tests use). */
int inkan_zone_load_string(struct inkan_zone *z, const char *text, size_t len,
    const char *origin, char **why);
/* Add one record given in presentation form ("name [ttl] [IN] TYPE rdata";
 * names are absolute, default TTL 3600).  INKAN_EMALFORMED with *why
 * (malloc'd, NULL allowed) on a syntax error. */
int inkan_zone_add_text(struct inkan_zone *z, const char *line, char **why);
/* Add one record from wire rdata (names in it uncompressed).  INKAN_EINVAL
 * for type 0 or rdata over 65535 octets, INKAN_EMALFORMED for a bad name
 * or a CNAME whose target cannot be read. */
int inkan_zone_add_rr(struct inkan_zone *z, const char *name, uint16_t type, uint32_t ttl,
    const uint8_t *rdata, size_t len);
/* Make queries for (name, type) answer with status (SERVFAIL, TIMEOUT, or
 * NXDOMAIN/NODATA) instead of data.  type 0 = every type at name, except
 * types that have records (the OpenSPF suite's bare "TIMEOUT" entry). */
int inkan_zone_set_status(struct inkan_zone *z, const char *name, uint16_t type,
    enum inkan_dns_status status);
/* Mark every answer from this zone store secure (for DNSSEC what-if). */
void inkan_zone_set_secure(struct inkan_zone *z, bool secure);
/* True if the store has any record or status for exactly (name, type)
 * (type 0 = any type at name). */
bool inkan_zone_has(const struct inkan_zone *z, const char *name, uint16_t type);
/* Number of records loaded. */
size_t inkan_zone_count(const struct inkan_zone *z);
/* A resolver answering from z (borrowed: free the resolver first).
 * Semantics: names compare case-insensitively; CNAMEs are followed (also
 * across zones in the store); a name with no records but with names below
 * it is NODATA (empty non-terminal), otherwise NXDOMAIN; "*" wildcards
 * (RFC 4592) apply.  Queries are counted in r->nqueries. */
int inkan_resolver_zone_new(struct inkan_zone *z, struct inkan_resolver **out);

/* ---- overlay ---- */

/* Records in z shadow live DNS: a query for (name, type) that z has an
 * RRset or a status for is answered from z; everything else goes to live.
 * A CNAME in z is followed, into z or live DNS, and sets canonname.
 * Both borrowed. */
int inkan_resolver_overlay_new(struct inkan_zone *z, struct inkan_resolver *live,
    struct inkan_resolver **out);

/* ---- TTL cache ---- */

/* A cache in front of upstream (borrowed).  Answers are kept for their TTL
 * (clamped to [min_ttl, max_ttl] seconds; negative answers too; SERVFAIL
 * and TIMEOUT are kept only min_ttl).  upstream NULL = cache only: a miss
 * returns INKAN_EAGAIN and is noted (see inkan_cache_take_miss).
 * Names compare case-insensitively.  At most max_entries answers are kept
 * (0 = INKAN_DNS_CACHE_MAX_ENTRIES); the least recently used goes first.
 * A hit is a copy in the caller's arena whose ttl is the time left, with
 * qname as asked this time. */
int inkan_resolver_cache_new(struct inkan_resolver *upstream, size_t max_entries,
    struct inkan_resolver **out);
/* Store a deep copy of ans for (name, type), replacing what was there (e.g.
 * an answer that arrived asynchronously).  INKAN_EINVAL if cache is not a
 * cache, INKAN_ENOMEM. */
int inkan_cache_put(struct inkan_resolver *cache, const char *name, uint16_t type,
    const struct inkan_dns_answer *ans);
/* Pop the oldest noted miss: copies its name (lowercased, without the
 * trailing dot, NUL-terminated) into name[0..namelen) and sets *type.
 * Returns true if there was one; false also when it does not fit, in
 * which case it stays noted.  A miss is noted once until it is taken. */
bool inkan_cache_take_miss(struct inkan_resolver *cache, char *name, size_t namelen,
    uint16_t *type);
/* TTL clamps in seconds: answers are kept at least min_ttl and at most
 * max_ttl (defaults 0 and INKAN_DNS_CACHE_MAX_TTL; a cache-only cache
 * keeps answers at least INKAN_DNS_CACHE_ONLY_MIN_TTL).  INKAN_EINVAL if
 * cache is not a cache or min_ttl > max_ttl. */
int inkan_cache_set_ttl(struct inkan_resolver *cache, uint32_t min_ttl, uint32_t max_ttl);
/* Replace the cache's clock (monotonic milliseconds) so that tests can
 * move time; NULL restores the system's monotonic clock. */
void inkan_cache_set_clock(struct inkan_resolver *cache, uint64_t (*now_ms)(void *arg),
    void *arg);
/* Cache statistics: lookups answered and not, answers held now, answers
 * evicted to stay under max_entries (expired ones are not counted). */
struct inkan_cache_stats {
	unsigned long hits, misses, entries, evictions;
};
/* Copy the statistics of cache into *st (zeros if it is not a cache). */
void inkan_cache_get_stats(const struct inkan_resolver *cache, struct inkan_cache_stats *st);

#endif
