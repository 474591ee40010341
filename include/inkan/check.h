/* check.h - the posture audit of a mail domain (`inkan check`).
 *
 * inkan_check_domain() runs every check of one domain and returns a flat
 * list of findings.  Each finding (struct inkan_check_item) has a stable
 * id, a category, a status, a one-line summary, advice on how to fix it,
 * and evidence: the records, answers and certificate facts it was decided
 * on.  Scores per category and overall follow internet.nl's idea: the
 * share of scored checks that pass, a warning counting half.
 *
 * The checks, by category (ids in brackets; a check about one MX host,
 * selector or address names it in `subject`):
 *
 *   mx      MX present [mx-present]; Null MX, RFC 7505 [mx-null], and Null
 *           MX on a domain whose SPF authorises senders (§4.2)
 *           [mx-null-sends]; an MX target that is an IP address literal
 *           [mx-ip-literal]; MX to a
 *           CNAME, RFC 2181 §10.3 [mx-cname]; MX host resolves
 *           [mx-resolve]; IPv6 on the MX hosts [mx-ipv6]; MX host with a
 *           loopback/private address [mx-address].
 *   spf     the record and everything `inkan spf lint` finds [spf-record,
 *           spf-<lint id>]; the parked-domain advice when the domain
 *           takes no mail [spf-parked].
 *   dkim    selector discovery (given, or a dictionary of common
 *           selectors plus the RFC 8020 probe of _domainkey)
 *           [dkim-selectors]; per key [dkim-key]: type and size (RSA <
 *           1024 fail, < 2048 warn), revoked [dkim-key-revoked], t=y
 *           [dkim-key-testing], h= restricted [dkim-key-hash].
 *   dmarc   the record found by the tree walk [dmarc-record]; several
 *           records [dmarc-multiple]; record problems [dmarc-syntax];
 *           p= [dmarc-policy], sp= [dmarc-subdomain-policy], np=
 *           [dmarc-np], t=y and pct [dmarc-testing], alignment
 *           [dmarc-alignment], rua/ruf URIs and external authorisation
 *           [dmarc-rua, dmarc-ruf], a policy only on a subdomain while
 *           the registrable domain (Public Suffix List), which is in use,
 *           has none [dmarc-org], parked-domain advice [dmarc-parked].
 *   mta-sts the _mta-sts TXT record [mtasts-record]; the policy fetch
 *           [mtasts-policy]; its mode [mtasts-mode] and max_age
 *           [mtasts-max-age]; every MX host covered [mtasts-mx].
 *   tls-rpt the _smtp._tls record [tlsrpt-record].
 *   dnssec  the domain's zone [dnssec-domain], each MX host's zone
 *           [dnssec-mx], bogus answers anywhere in the run [dnssec-bogus].
 *   dane    TLSA at _25._tcp.<mx> [dane-tlsa], its lint findings
 *           [dane-<lint id>], and per address the TLSA RRset matched
 *           against the certificate the server presents [dane-match].
 *   tls     per MX address: reachable [tls-connect], STARTTLS offered
 *           [tls-starttls], versions [tls-version], weak ciphers
 *           [tls-cipher], DH size [tls-dh], certificate chain and name
 *           [tls-cert], expiry [tls-cert-expiry], REQUIRETLS, RFC 8689
 *           [tls-requiretls].
 *   bimi    default._bimi record [bimi-record], logo URI [bimi-logo],
 *           evidence (VMC) [bimi-evidence], enforcing DMARC
 *           [bimi-dmarc].
 *
 * Network probes (the HTTPS policy fetch, SMTP) run unless opts.offline;
 * then they are items with status not-tested.  DNS goes through the
 * resolver given, so a zone or overlay resolver (dns.h) answers "what
 * if I publish this?".
 */
#ifndef INKAN_CHECK_H
#define INKAN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct inkan_arena;
struct inkan_resolver;

enum inkan_check_category {
	INKAN_CHECK_MX = 0,
	INKAN_CHECK_SPF,
	INKAN_CHECK_DKIM,
	INKAN_CHECK_DMARC,
	INKAN_CHECK_MTASTS,
	INKAN_CHECK_TLSRPT,
	INKAN_CHECK_DNSSEC,
	INKAN_CHECK_DANE,
	INKAN_CHECK_TLS,
	INKAN_CHECK_BIMI,
};
#define INKAN_CHECK_NCATEGORIES 10

/* "mx", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "dnssec", "dane",
 * "tls", "bimi". */
const char *inkan_check_category_name(enum inkan_check_category c);
/* The category named s, or -1. */
int inkan_check_category_from_name(const char *s);

/* Statuses in the order of severity used for "worst". */
enum inkan_check_status {
	INKAN_CHECK_NOT_TESTED = 0,	/* not run (offline, or nothing to test) */
	INKAN_CHECK_INFO,		/* a fact, neither good nor bad */
	INKAN_CHECK_PASS,
	INKAN_CHECK_WARN,		/* works, but should be better */
	INKAN_CHECK_FAIL,		/* wrong: mail is at risk or broken */
	INKAN_CHECK_ERROR,		/* could not be decided (DNS failure, ...) */
};

/* "not-tested", "info", "pass", "warn", "fail", "error". */
const char *inkan_check_status_name(enum inkan_check_status s);

struct inkan_check_item {
	const char *id;			/* stable, e.g. "mx-null" */
	enum inkan_check_category category;
	enum inkan_check_status status;
	const char *subject;		/* MX host, selector, address; or NULL */
	const char *summary;		/* one line */
	const char *advice;		/* how to fix it; NULL when nothing to do */
	const char **evidence;		/* records, answers, certificate facts */
	size_t nevidence;
};

struct inkan_check_score {
	/* Percentage 0..100 of the scored items (pass 1, warn 1/2, fail
	 * and error 0); -1 when the category has no scored item (only info
	 * and not-tested). */
	int score;
	unsigned npass, nwarn, nfail, nerror, ninfo, nnot_tested;
};

struct inkan_check_report {
	const char *domain;		/* as checked: A-label, lower case */
	time_t started;
	struct inkan_check_item *items;	/* grouped by category, in category order */
	size_t nitems;
	struct inkan_check_score categories[INKAN_CHECK_NCATEGORIES];
	/* Mean of the category scores that are not -1; -1 when none. */
	int score;
	enum inkan_check_status worst;	/* the most severe status of any item */
	unsigned long dns_queries;
};

/* Point a host at another address, for tests and private setups: the
 * SMTP probe (service 25) and the MTA-STS fetch (service 443) connect to
 * addr:port instead of what the host resolves to; TLS names are still
 * checked for the real host. */
struct inkan_check_connect {
	const char *host;	/* NULL or "*" = every host */
	unsigned service;	/* 25 or 443; 0 = both */
	const char *addr;	/* IP address literal */
	unsigned port;		/* 0 = the service's own */
};

struct inkan_check_opts {
	/* DKIM selectors to check; with none, discovery runs. */
	const char *const *selectors;
	size_t nselectors;
	/* Also run discovery when selectors are given. */
	bool discover_selectors;
	/* No network probes: the HTTPS fetch and SMTP are not-tested. */
	bool offline;
	/* DNSSEC cannot be judged (a zone resolver, --no-dnssec): the
	 * dnssec items are not-tested and TLSA records are linted as if
	 * secure, with a note. */
	bool no_dnssec;
	/* Categories to run, a bit set of 1u << category; 0 = all. */
	unsigned categories;
	/* CA file (PEM) for HTTPS and SMTP certificates; NULL = system. */
	const char *ca_file;
	const struct inkan_check_connect *connect;
	size_t nconnect;
	/* SMTP: EHLO name (NULL = INKAN_SMTP_DEFAULT_HELO), per-step
	 * timeout (0 = default), and whether to grade TLS (legacy versions,
	 * weak ciphers, DH) with extra connections. */
	const char *helo;
	unsigned timeout_ms;
	bool no_tls_grading;
	/* Time for certificate expiry checks; 0 = now. */
	time_t now;
};

/* Audit domain (U- or A-labels; a trailing dot is allowed) through r.
 * o may be NULL (defaults above).  Findings are results: a domain that
 * does not exist gives a report saying so.  Returns 0 with *out filled
 * (everything in a), INKAN_EINVAL (not a domain name), INKAN_EAGAIN
 * (cache-only resolver), INKAN_ENOMEM. */
int inkan_check_domain(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_check_opts *o, const char *domain, struct inkan_check_report *out);

/* The common DKIM selectors tried by discovery, NULL-terminated. */
extern const char *const inkan_check_dkim_dictionary[];

#endif
