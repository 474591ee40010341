/* sts.h - the sending side of MTA-STS and DANE: which TLS policy applies
 * when delivering to a recipient domain (inkan-stsd, `inkan sts query`).
 *
 * The decision, in order (RFC 8461 §2, RFC 7672 §2):
 *   1. DANE.  The domain's MX RRset is DNSSEC-secure and the MX hosts have
 *      secure, usable TLSA RRsets (looked up per RFC 7672 §2.2, CNAME
 *      expansion included): every host -> DANE_ONLY ("dane-only"), some
 *      hosts -> DANE ("dane": Postfix does DANE where TLSA exist).  A
 *      bogus TLSA or MX answer -> TEMPFAIL, never a downgrade to MTA-STS.
 *      An MTA-STS policy is never allowed to override DANE (RFC 8461 §2).
 *   2. MTA-STS.  A valid policy (fresh from cache, or fetched, or stale
 *      but unexpired after a failed refresh, RFC 8461 §5.1):
 *      enforce -> STS_ENFORCE ("secure match=MX1:MX2 servername=hostname"),
 *      testing -> STS_TESTING (not enforced: the caller's default; the
 *      outcome is reported), none -> NONE.
 *   3. Otherwise NONE: the caller's configured default applies.
 *
 * Threads: one struct inkan_sts per thread; several may share one
 * cache_path (SQLite WAL with a busy timeout).
 */
#ifndef INKAN_STS_H
#define INKAN_STS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/mtasts.h"

struct inkan_arena;
struct inkan_resolver;

/* The policy domain of a Postfix next-hop ("example.com", "example.com.",
 * "[example.com]", "[example.com]:25", "example.com:25"), lowercased,
 * without brackets, port or final dot, in a.  Returns 0, or
 * INKAN_EINVAL (*why set) for an address literal ("[192.0.2.1]",
 * "[ipv6:...]") or a name that is not a valid domain (".example.com"). */
int inkan_sts_nexthop_domain(struct inkan_arena *a, const char *nexthop, const char **domain,
    const char **why);

struct inkan_sts_opts {
	/* A validating resolver (DNSSEC) for MX, A/AAAA/CNAME, TLSA and the
	 * _mta-sts TXT; required. */
	struct inkan_resolver *resolver;
	/* SQLite file of cached policies; NULL = memory only. */
	const char *cache_path;
	/* The HTTPS fetch (ca_file, timeouts, connect overrides). */
	struct inkan_mtasts_fetch_opts fetch;
	/* Refresh a cached policy this many seconds before it expires (and
	 * when the TXT id changed); 0 = INKAN_STS_REFRESH_BEFORE. */
	uint32_t refresh_before;
	/* Consider DANE (default in the daemon: yes). */
	bool no_dane;
	/* TLSA port (25; tests use others). */
	unsigned port;
	/* Clock, seconds since the epoch; NULL = time(). */
	int64_t (*now)(void *arg);
	void *now_arg;
	/* The policy fetch; NULL = inkan_mtasts_fetch.  Unit tests put a
	 * fake here (no HTTPS server); o is fetch above, its resolver set. */
	int (*fetch_fn)(void *arg, struct inkan_arena *a, const char *domain,
	    const struct inkan_mtasts_fetch_opts *o, struct inkan_mtasts_fetch_result *out);
	void *fetch_arg;
};

enum inkan_sts_kind {
	INKAN_STS_NONE = 0,	/* no policy applies: the caller's default */
	INKAN_STS_DANE_ONLY,	/* every MX host has a secure, usable TLSA RRset */
	INKAN_STS_DANE,		/* some MX hosts do */
	INKAN_STS_STS_ENFORCE,	/* MTA-STS mode enforce */
	INKAN_STS_STS_TESTING,	/* MTA-STS mode testing: reported, not enforced */
	INKAN_STS_TEMPFAIL,	/* cannot decide now (DNS failure, bogus DNSSEC) */
};

/* "none", "dane-only", "dane", "sts-enforce", "sts-testing", "tempfail". */
const char *inkan_sts_kind_name(enum inkan_sts_kind k);

enum inkan_sts_cache_state {
	INKAN_STS_CACHE_NONE = 0,	/* nothing cached, nothing fetched */
	INKAN_STS_CACHE_FETCHED,	/* fetched now (first time, or id changed) */
	INKAN_STS_CACHE_FRESH,		/* from cache, id unchanged */
	INKAN_STS_CACHE_STALE,		/* refresh failed; cached policy still unexpired */
};

/* "none", "fetched", "fresh", "stale". */
const char *inkan_sts_cache_state_name(enum inkan_sts_cache_state c);

/* One MX host as DANE saw it. */
struct inkan_sts_host {
	const char *name;		/* MX exchange, lowercased, no final dot */
	unsigned pref;
	const char *tlsa_name;		/* where TLSA was found ("_25._tcp.X"), or NULL */
	bool tlsa_secure;		/* a secure RRset with at least one usable record */
	bool tlsa_bogus;
	const char **tlsa;		/* the records as text ("3 1 1 ab..") */
	size_t ntlsa;
};

struct inkan_sts_answer {
	enum inkan_sts_kind kind;
	const char *domain;		/* the policy domain */
	/* The Postfix smtp_tls_policy_maps value ("dane-only",
	 * "secure match=mx1.example.com:.example.net servername=hostname"),
	 * or NULL for NONE, STS_TESTING and TEMPFAIL. */
	const char *postfix;
	const char *why;		/* one line, for logs and `sts query` */
	/* DANE */
	bool mx_secure;			/* the MX RRset validated */
	struct inkan_sts_host *hosts;
	size_t nhosts;
	/* MTA-STS */
	enum inkan_mtasts_status sts;	/* of the policy in use */
	enum inkan_sts_cache_state cache;
	const char *policy_id;		/* id of the record the policy came with */
	const char *policy_text;	/* the policy body in use, or NULL */
	struct inkan_mtasts_policy policy;	/* when sts == VALID */
	int64_t fetched_at, expires_at;	/* of the cached policy; 0 when none */
	const char *fetch_error;	/* why the last fetch failed, or NULL */
	/* How long this answer may be reused by the caller, seconds: the
	 * smallest TTL of the DNS answers it rests on, bounded by the
	 * policy's expiry. */
	uint32_t ttl;
};

struct inkan_sts;

int inkan_sts_new(const struct inkan_sts_opts *o, struct inkan_sts **out, const char **why);
void inkan_sts_free(struct inkan_sts *s);

/* Decide for nexthop (see inkan_sts_nexthop_domain; an address literal
 * or invalid name gives kind NONE with why set).  Strings live in a.
 * Returns 0 (the answer is in out, TEMPFAIL included) or INKAN_ENOMEM. */
int inkan_sts_lookup(struct inkan_sts *s, struct inkan_arena *a, const char *nexthop,
    struct inkan_sts_answer *out);

/* Proactive refresh (RFC 8461 §5.1 / §10.2): re-check the TXT id of
 * up to max cached policies that expire within refresh_before seconds
 * (or whose last check is older than a day) and re-fetch those whose id
 * changed or that are near expiry.  Returns the number refreshed (>= 0)
 * or a negative INKAN_E* error. */
int inkan_sts_refresh(struct inkan_sts *s, size_t max);

/* The TLS-RPT policy of an answer (RFC 8460 §4.3), for session lines:
 * type "sts" (policy strings: the policy file's lines), "tlsa" (the TLSA
 * records) or "no-policy-found"; strings in a. */
int inkan_sts_tlsrpt_policy(struct inkan_arena *a, const struct inkan_sts_answer *ans,
    const char **type, const char ***strings, size_t *n);

#endif
