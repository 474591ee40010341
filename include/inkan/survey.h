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

#include "inkan/bulk.h"

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
};

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

/* ---- the query-rate cap ---- */

/* An asynchronous source that passes at most qps queries a second to
 * inner (borrowed; qps 0 = no cap), with a burst of at most one tenth of
 * a second's worth; queries over the rate wait, in submission order. */
int inkan_survey_async_ratelimit_new(struct inkan_async *inner, unsigned qps,
    struct inkan_async **out);

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
