/* survey.h - zone-scale adoption statistics (inkan survey).
 *
 * One domain's mail-security posture from DNS alone: MX (Null MX, an IP
 * address where a host name belongs), SPF (present, valid, the final
 * all-qualifier, the lookup count of the whole include tree), DMARC (p,
 * sp, np, rua, t=y), MTA-STS and TLS-RPT records, BIMI, DNSSEC (from the
 * validation bits of the domain's own answers), DANE (TLSA on the MX
 * hosts, and whether those answers are secure) and DKIM presence by the
 * _domainkey probe (RFC 8020: NXDOMAIN there means no key below it).
 *
 * inkan_survey_domain() is an evaluator in the bulk-driver sense
 * (bulk.h): its queries depend only on the domain and on the answers,
 * every independent query of a step is asked in the same run, and
 * INKAN_EAGAIN from a cache-only resolver is passed through, so the
 * driver can run thousands of domains at once and re-run each one as its
 * answers arrive.
 *
 * The store keeps one row per domain in a SQLite table of its own
 * (survey_domain) in any database file, so an interrupted run continues
 * with the domains not yet stored, and inkan_survey_tally() turns the
 * rows into the adoption table by category.
 */
#ifndef INKAN_SURVEY_H
#define INKAN_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "inkan/bulk.h"
#include "inkan/ip.h"

struct inkan_arena;
struct inkan_resolver;

enum inkan_survey_mx {
	INKAN_SURVEY_MX_NONE = 0,	/* NXDOMAIN or NODATA */
	INKAN_SURVEY_MX_OK,		/* at least one mail host */
	INKAN_SURVEY_MX_NULL,		/* Null MX, RFC 7505 ("0 .") */
	INKAN_SURVEY_MX_IP,		/* an exchange is an IP address (RFC 7505 §4 / RFC 5321 §5.1 forbid) */
	INKAN_SURVEY_MX_TEMPERROR,	/* SERVFAIL or timeout */
};

/* Found / none / invalid / multiple / temperror: SPF, DMARC, MTA-STS,
 * TLS-RPT and BIMI all use these. */
enum inkan_survey_rec {
	INKAN_SURVEY_REC_NONE = 0,
	INKAN_SURVEY_REC_VALID,
	INKAN_SURVEY_REC_INVALID,	/* one record, which does not parse */
	INKAN_SURVEY_REC_MULTIPLE,	/* several records (none applies) */
	INKAN_SURVEY_REC_TEMPERROR,
};

enum inkan_survey_dnssec {
	INKAN_SURVEY_DNSSEC_INSECURE = 0,
	INKAN_SURVEY_DNSSEC_SECURE,	/* the MX and apex TXT answers validated */
	INKAN_SURVEY_DNSSEC_BOGUS,	/* one of the domain's answers failed validation */
};

enum inkan_survey_dkim {
	INKAN_SURVEY_DKIM_NONE = 0,	/* _domainkey NXDOMAIN */
	INKAN_SURVEY_DKIM_PRESENT,	/* _domainkey exists (NODATA or records) */
	INKAN_SURVEY_DKIM_TEMPERROR,
};

struct inkan_survey_result {
	const char *domain;		/* lowercased, no trailing dot */
	enum inkan_survey_mx mx;
	unsigned mx_hosts;		/* exchanges listed */
	enum inkan_survey_rec spf;
	char spf_all;			/* '-', '~', '?', '+' of the top "all"
					   (through redirect=), 0 when none */
	unsigned spf_lookups;		/* worst-case DNS terms of the tree (RFC 7208 §4.6.4) */
	bool spf_over_limit;		/* spf_lookups > 10 */
	enum inkan_survey_rec dmarc;	/* the record at _dmarc.<domain> */
	const char *dmarc_p, *dmarc_sp, *dmarc_np;	/* as written; NULL when absent */
	bool dmarc_rua, dmarc_testing;
	enum inkan_survey_rec mtasts, tlsrpt, bimi;
	enum inkan_survey_dnssec dnssec;
	unsigned dane_hosts;		/* MX hosts with a usable TLSA RRset */
	bool dane, dane_secure;		/* some host has TLSA; all of those validated */
	enum inkan_survey_dkim dkim;
	unsigned queries;		/* queries of the last run (cache hits included) */
	/* Filled by the caller's optional stages, NULL when not measured
	 * (stored as SQL NULL): the MTA-STS policy mode ("enforce",
	 * "testing", "none", "fetch-error"; --fetch-policies), STARTTLS on
	 * the MX hosts ("yes": all probed hosts offer it and negotiate TLS,
	 * "no": some host does not offer it, "error": no host could be
	 * probed; --probe-tls) and the TLS version of the first host. */
	const char *sts_mode, *starttls, *tls_version;
	/* With INKAN_SURVEY_WANT_MX_ADDR: the MX hosts that have an IPv4
	 * address (A), in host order, and the first address of each. */
	const char **mx_addr_host;
	struct inkan_ip *mx_addr;
	unsigned nmx_addr;
};

/* Flags of inkan_survey_domain_ex. */
#define INKAN_SURVEY_WANT_MX_ADDR	0x1	/* also ask A of each MX host */

/* "none", "ok", "null", "ip", "temperror". */
const char *inkan_survey_mx_name(enum inkan_survey_mx m);
/* "none", "valid", "invalid", "multiple", "temperror". */
const char *inkan_survey_rec_name(enum inkan_survey_rec r);
/* "insecure", "secure", "bogus". */
const char *inkan_survey_dnssec_name(enum inkan_survey_dnssec d);
/* "none", "present", "temperror". */
const char *inkan_survey_dkim_name(enum inkan_survey_dkim d);

/* Survey one domain through r; everything lives in a.  Returns 0 with
 * *out filled (DNS failures are temperror statuses), INKAN_EAGAIN (r is
 * cache-only and missed: run again once answered), INKAN_EINVAL (not a
 * domain name), INKAN_ENOMEM. */
int inkan_survey_domain(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    struct inkan_survey_result *out);
/* The same with INKAN_SURVEY_WANT_* flags (0 = inkan_survey_domain). */
int inkan_survey_domain_ex(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    unsigned flags, struct inkan_survey_result *out);

/* ---- the query-rate cap ---- */

/* An asynchronous source that passes at most qps queries a second to
 * inner (borrowed; qps 0 = no cap), with a burst of at most one tenth of
 * a second's worth; queries over the rate wait, in submission order. */
int inkan_survey_async_ratelimit_new(struct inkan_async *inner, unsigned qps,
    struct inkan_async **out);

/* The pacer: the cap above plus retries.  qps 0 = no cap; retries: how
 * many more tries a query gets after an answer TIMEOUT or SERVFAIL (not
 * a DNSSEC-bogus one), at most INKAN_SURVEY_MAX_RETRIES; retry k waits
 * backoff_ms * 2^(k-1) (0 = INKAN_SURVEY_RETRY_BASE_MS), at most
 * INKAN_SURVEY_RETRY_MAX_MS.  Every try counts against the cap.  The
 * pacer never blocks in inner longer than until its next send is due,
 * so the rate it sends at does not depend on how long answers take. */
struct inkan_survey_pacing {
	unsigned qps, retries, backoff_ms;
	/* Most tries inside inner at once (0 = INKAN_SURVEY_DEFAULT_WINDOW);
	 * past it queries wait for answers.  A cap of Q queries a second
	 * over answers taking T seconds needs a window of Q*T. */
	size_t window;
};
int inkan_survey_async_pacer_new(struct inkan_async *inner, const struct inkan_survey_pacing *p,
    struct inkan_async **out);
/* sent: tries given to the inner source (first tries and retries);
 * retries: of those, retries; timeouts, servfails: answers of any try
 * with that status; failed: queries answered TIMEOUT or SERVFAIL in the
 * end (tries used up). */
struct inkan_survey_pacer_stats {
	unsigned long sent, retries, timeouts, servfails, failed;
};
/* The counts of a source made by inkan_survey_async_pacer_new or
 * inkan_survey_async_ratelimit_new (zeros for any other source). */
void inkan_survey_pacer_get_stats(const struct inkan_async *as,
    struct inkan_survey_pacer_stats *st);

/* ---- input: list lines, zone files, shards ---- */

/* One line of a domain list, changed in place: '#' starts a comment;
 * "DOMAIN [CATEGORY]" separated by blanks or a comma.  Returns 1 with
 * *domain (lowercased, without a trailing dot, a valid multi-label
 * name) and *category (NULL when absent) pointing into line; 0 for a
 * blank or comment line; INKAN_EMALFORMED with *why (static) for a bad
 * domain or more than two columns. */
int inkan_survey_line_parse(char *line, char **domain, char **category, const char **why);

/* The stable shard hash of a lowercased domain without trailing dot:
 * 64-bit FNV-1a of its bytes.  Domain d is in shard i of n (1 <= i <= n)
 * when hash(d) % n == i - 1; n <= 1 takes every domain. */
uint64_t inkan_survey_shard_hash(const char *domain);
bool inkan_survey_in_shard(const char *domain, unsigned i, unsigned n);

/* Whether the first significant line of an input says master-format zone
 * file ($ORIGIN, $TTL, $INCLUDE, or a record line with SOA or NS). */
bool inkan_survey_looks_like_zone(const char *line);

/* Delegated names of a master-format zone read from f (borrowed): NS
 * owners strictly below the apex (the SOA owner, else the first $ORIGIN,
 * else origin, which may be NULL), each once, lowercased, without the
 * trailing dot, in file order.  Glue, DS, DNSSEC records are ignored. */
struct inkan_survey_zone;
int inkan_survey_zone_open(FILE *f, const char *origin, struct inkan_survey_zone **out);
/* 1 with *name (valid until the zone is closed), 0 at the end, or
 * INKAN_EMALFORMED / INKAN_ELIMIT / INKAN_ENOMEM with *why (static or
 * valid until the next call) and *lineno the line reached. */
int inkan_survey_zone_next(struct inkan_survey_zone *z, const char **name, size_t *lineno,
    const char **why);
void inkan_survey_zone_close(struct inkan_survey_zone *z);

/* ---- the store (SQLite) ---- */

struct inkan_survey_store;

/* Open (creating if needed) the table survey_domain in the SQLite file
 * path.  INKAN_EIO with *why (static or sqlite's, valid until the store
 * is closed; why may be NULL) when it cannot. */
int inkan_survey_store_open(const char *path, struct inkan_survey_store **out,
    const char **why);
/* Commit what is pending and close (NULL is a no-op). */
void inkan_survey_store_close(struct inkan_survey_store *s);
/* True if domain already has a row. */
bool inkan_survey_store_has(struct inkan_survey_store *s, const char *domain);
/* Store the result (or, when rc != 0, the error rc) of domain in
 * category (NULL = "").  Rows are committed in batches of
 * INKAN_SURVEY_COMMIT_ROWS or every INKAN_SURVEY_COMMIT_MS. */
int inkan_survey_store_put(struct inkan_survey_store *s, const char *category,
    const char *domain, const struct inkan_survey_result *res, int rc);
/* Commit now. */
int inkan_survey_store_commit(struct inkan_survey_store *s);
/* The table survey_meta(key, value) of the run: set (replace) a key;
 * get one into buf (0, or 1 when absent). */
int inkan_survey_store_meta_set(struct inkan_survey_store *s, const char *key, const char *value);
int inkan_survey_store_meta_get(struct inkan_survey_store *s, const char *key, char *buf,
    size_t size);
/* Rows stored. */
long long inkan_survey_store_count(struct inkan_survey_store *s);

/* ---- the adoption table ---- */

/* The measures, in report order; names by inkan_survey_metric_name(). */
enum inkan_survey_metric {
	INKAN_SURVEY_M_MX = 0, INKAN_SURVEY_M_NULL_MX, INKAN_SURVEY_M_MX_IP,
	INKAN_SURVEY_M_SPF, INKAN_SURVEY_M_SPF_VALID, INKAN_SURVEY_M_SPF_FAIL_ALL,
	INKAN_SURVEY_M_SPF_SOFTFAIL_ALL, INKAN_SURVEY_M_SPF_NEUTRAL_ALL,
	INKAN_SURVEY_M_SPF_PASS_ALL, INKAN_SURVEY_M_SPF_OVER_LIMIT,
	INKAN_SURVEY_M_DMARC, INKAN_SURVEY_M_DMARC_NONE, INKAN_SURVEY_M_DMARC_QUARANTINE,
	INKAN_SURVEY_M_DMARC_REJECT, INKAN_SURVEY_M_DMARC_SP, INKAN_SURVEY_M_DMARC_NP,
	INKAN_SURVEY_M_DMARC_RUA, INKAN_SURVEY_M_DMARC_TESTING,
	INKAN_SURVEY_M_MTASTS, INKAN_SURVEY_M_TLSRPT, INKAN_SURVEY_M_BIMI,
	INKAN_SURVEY_M_DNSSEC_SECURE, INKAN_SURVEY_M_DNSSEC_BOGUS,
	INKAN_SURVEY_M_DANE, INKAN_SURVEY_M_DANE_SECURE, INKAN_SURVEY_M_DKIM,
	INKAN_SURVEY_M_TEMPERROR,
	INKAN_SURVEY_M_MTASTS_ENFORCE, INKAN_SURVEY_M_MTASTS_TESTING, INKAN_SURVEY_M_STARTTLS,
	INKAN_SURVEY_NMETRICS
};

/* "mx", "null_mx", "mx_ip", "spf", "spf_valid", "spf_fail_all", ... */
const char *inkan_survey_metric_name(enum inkan_survey_metric m);

/* One category's counts.  all: domains stored; with_mx: of those, with
 * mx == OK or IP; count[m]: domains with the measure; count_mx[m]: the
 * same among the domains with MX. */
struct inkan_survey_tally {
	const char *category;		/* "" for no category; the total is "*" */
	long long all, with_mx;
	long long count[INKAN_SURVEY_NMETRICS], count_mx[INKAN_SURVEY_NMETRICS];
};

/* Count the stored rows by category (sorted by name), with the total
 * last (category "*").  Array and strings in a. */
int inkan_survey_tally(struct inkan_survey_store *s, struct inkan_arena *a,
    struct inkan_survey_tally **out, size_t *n);

#endif
