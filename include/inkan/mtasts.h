/* mtasts.h - SMTP MTA Strict Transport Security (RFC 8461).
 *
 * A domain announces MTA-STS with a TXT record at _mta-sts.<domain>
 * ("v=STSv1; id=..."), and publishes its policy at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt: a mode (enforce,
 * testing, none), a max_age, and the MX host patterns a sender may
 * deliver to over authenticated TLS.
 *
 * The module has four layers, each usable alone:
 *   - parsers for the TXT record (§3.1) and the policy file (§3.2); pure
 *     functions over bytes, fuzzed;
 *   - MX pattern matching (§4.1);
 *   - the TXT lookup over the resolver seam (dns.h): exactly one STSv1
 *     record among the TXT records, CNAMEs followed, DNS failure kept apart
 *     from "no record";
 *   - the HTTPS fetch (§3.3, libcurl): certificate valid for
 *     mta-sts.<domain>, no redirects, status 200, text/plain, at most
 *     64 KiB, timeouts; and discovery, which runs lookup, fetch and parse
 *     and says VALID, NONE or FETCH_ERROR with a reason.
 *
 * The fetch is the only part that opens a socket.  Every result carries
 * a human reason; everything lives in the caller's arena.  The TLS-RPT
 * record (RFC 8460), which shares the record grammar, is in tlsrpt.h.
 */
#ifndef INKAN_MTASTS_H
#define INKAN_MTASTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/spf_lint.h"	/* enum inkan_lint_severity */

struct inkan_arena;
struct inkan_resolver;

/* An extension "name=value" (record) or "name: value" (policy), kept so
 * that tools can show what they ignore. */
struct inkan_mtasts_ext {
	const char *name;
	const char *value;
};

/* ---- the _mta-sts TXT record (RFC 8461 §3.1) ---- */

struct inkan_mtasts_record {
	const char *id;			/* 1..32 letters and digits */
	struct inkan_mtasts_ext *ext;	/* extensions, in record order */
	size_t next;
};

/* True if txt[0..len) is an MTA-STS record at all: it begins with
 * "v=STSv1" followed by a ";" (after optional WSP) or the end.  RFC 8461
 * §3.1 discards the other TXT records at _mta-sts.<domain>. */
bool inkan_mtasts_record_is_sts(const char *txt, size_t len);

/* Parse an MTA-STS TXT record (all its strings concatenated):
 *   v=STSv1 *( *WSP ";" *WSP field ) [ *WSP ";" ] *WSP
 * with field id=1*32(ALPHA/DIGIT) (required, once) or an extension
 * name=value (name: alnum then up to 31 of alnum "_-."; value: printable
 * ASCII without "=", ";" and space).  Returns 0, INKAN_EMALFORMED with
 * *why (in a, naming what is wrong: "missing id=", "id \"test-123\" has a
 * character other than a letter or digit", ...), or INKAN_ENOMEM.  Strings
 * of *out live in a.  why may be NULL. */
int inkan_mtasts_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_mtasts_record *out, const char **why);

enum inkan_mtasts_record_status {
	INKAN_MTASTS_RECORD_FOUND = 0,	/* exactly one STSv1 record, valid */
	INKAN_MTASTS_RECORD_NONE,	/* NXDOMAIN, NODATA, or no STSv1 record */
	INKAN_MTASTS_RECORD_INVALID,	/* one STSv1 record, which does not parse */
	INKAN_MTASTS_RECORD_MULTIPLE,	/* more than one STSv1 record */
	INKAN_MTASTS_RECORD_TEMPERROR,	/* SERVFAIL, timeout or DNSSEC bogus */
};

/* "found", "none", "invalid", "multiple", "temperror". */
const char *inkan_mtasts_record_status_name(enum inkan_mtasts_record_status s);

struct inkan_mtasts_lookup {
	enum inkan_mtasts_record_status status;
	const char *why;		/* NULL when FOUND */
	const char *domain;		/* policy domain, lowercased, no final dot */
	const char *qname;		/* "_mta-sts.<domain>" */
	const char *canonname;		/* where CNAMEs led, or NULL */
	const char **txts;		/* every TXT record at qname, as text */
	size_t ntxt;
	const char *txt;		/* the STSv1 record (the first if several) */
	struct inkan_mtasts_record record;	/* when FOUND */
	bool secure;			/* the answer was DNSSEC-validated */
	uint32_t ttl;
};

/* Look up the MTA-STS record of domain (a trailing dot is allowed)
 * through r (RFC 8461 §3.1).  A domain that is not a valid name gives
 * NONE with a why.  Returns 0 with *out filled (strings in a), or
 * INKAN_EAGAIN (cache-only resolver), INKAN_ENOMEM. */
int inkan_mtasts_record_lookup(struct inkan_resolver *r, struct inkan_arena *a,
    const char *domain, struct inkan_mtasts_lookup *out);

/* ---- the policy file (RFC 8461 §3.2) ---- */

enum inkan_mtasts_mode {
	INKAN_MTASTS_MODE_NONE = 0,
	INKAN_MTASTS_MODE_TESTING,
	INKAN_MTASTS_MODE_ENFORCE,
};

/* "none", "testing", "enforce". */
const char *inkan_mtasts_mode_name(enum inkan_mtasts_mode m);

struct inkan_mtasts_policy {
	enum inkan_mtasts_mode mode;
	uint32_t max_age;		/* seconds, 0..INKAN_MTASTS_MAX_AGE */
	/* mx patterns, lowercased, without a trailing dot, in file order;
	 * a pattern is a host name or "*." and a host name. */
	const char **mx;
	size_t nmx;
	struct inkan_mtasts_ext *ext;	/* unknown keys (ignored, §3.2) */
	size_t next;
};

/* One problem found in a policy: an ERROR makes the policy invalid; a
 * WARN is something the RFC grammar does not allow but that we accept
 * (a blank line, a trailing dot on an mx pattern, a repeated pattern). */
struct inkan_mtasts_problem {
	enum inkan_lint_severity severity;
	unsigned line;			/* 1-based; 0 = the policy as a whole */
	const char *message;		/* "max_age 31557601 is above ..." */
};

struct inkan_mtasts_policy_diag {
	struct inkan_mtasts_problem *problems;	/* in order found */
	size_t n;
	unsigned errors;
	/* "line N: message" of the first error, or NULL when valid. */
	const char *why;
};

/* Parse a policy file: "key: value" lines ending in LF or CRLF; keys
 * version (STSv1), mode (enforce/testing/none), max_age (1..10 digits,
 * at most 31557600), mx (["*."] host name; repeated), and extensions,
 * which are ignored.  version, mode and max_age are required, once
 * each; enforce and testing need at least one mx, and there may be at
 * most INKAN_MTASTS_MAX_MX distinct patterns.  Every problem is
 * named in diag (may be NULL), up to INKAN_MTASTS_MAX_PROBLEMS (the last
 * then counts the ones left out).  Returns
 * 0 (valid; diag may hold warnings), INKAN_EMALFORMED (invalid; a policy
 * over INKAN_MTASTS_MAX_POLICY bytes is too) or INKAN_ENOMEM.  *out and
 * diag's strings live in a; *out is filled as far as parsed even when
 * invalid. */
int inkan_mtasts_policy_parse(struct inkan_arena *a, const char *text, size_t len,
    struct inkan_mtasts_policy *out, struct inkan_mtasts_policy_diag *diag);

/* ---- MX matching (RFC 8461 §4.1) ---- */

/* Does MX host name host match pattern?  Both NUL-terminated; case is
 * ignored and one trailing dot on either is ignored.  "*.example.com"
 * matches a host with exactly one more label ("mail.example.com", not
 * "example.com" nor "a.mail.example.com"); other patterns match the
 * same name only. */
bool inkan_mtasts_mx_match(const char *pattern, const char *host);

/* The first mx pattern of p that host matches, or NULL. */
const char *inkan_mtasts_policy_match(const struct inkan_mtasts_policy *p, const char *host);

/* ---- the HTTPS fetch (RFC 8461 §3.3) ---- */

/* Connect to addr:port instead of what host resolves to (TLS names are
 * still checked for host).  host NULL or "" = every host.  addr is an IP
 * address literal; port 0 = 443. */
struct inkan_mtasts_connect {
	const char *host;
	const char *addr;
	unsigned port;
};

struct inkan_mtasts_fetch_opts {
	/* PEM file of trusted CAs; NULL = the system's default store. */
	const char *ca_file;
	/* Timeouts in milliseconds; 0 = INKAN_MTASTS_CONNECT_TIMEOUT_MS and
	 * INKAN_MTASTS_FETCH_TIMEOUT_MS (the whole transfer). */
	unsigned connect_timeout_ms;
	unsigned timeout_ms;
	/* Address overrides (tests, private setups); the first that names
	 * the host (or has no host) wins. */
	const struct inkan_mtasts_connect *connect;
	size_t nconnect;
	/* Resolve mta-sts.<domain> through this resolver (A and AAAA) and
	 * hand the addresses to libcurl, so that --zone and test zones apply
	 * to the fetch too; NULL = libcurl asks the system resolver. */
	struct inkan_resolver *resolver;
	/* User-Agent; NULL = "inkan". */
	const char *user_agent;
};

enum inkan_mtasts_fetch_status {
	INKAN_MTASTS_FETCH_OK = 0,	/* fetched, and the policy is valid */
	INKAN_MTASTS_FETCH_FAILED,	/* no policy body could be had */
	INKAN_MTASTS_FETCH_INVALID,	/* a body came, but it is not a valid policy */
};

/* What stopped the fetch (NONE when OK). */
enum inkan_mtasts_fetch_fail {
	INKAN_MTASTS_FAIL_NONE = 0,
	INKAN_MTASTS_FAIL_DNS,		/* policy host has no address, or DNS failed */
	INKAN_MTASTS_FAIL_CONNECT,	/* TCP connection refused or unreachable */
	INKAN_MTASTS_FAIL_TIMEOUT,	/* connect or transfer took too long */
	INKAN_MTASTS_FAIL_TLS,		/* TLS handshake failed */
	INKAN_MTASTS_FAIL_CERT,		/* certificate not trusted (issuer, expiry, ...) */
	INKAN_MTASTS_FAIL_CERT_NAME,	/* certificate not valid for mta-sts.<domain> */
	INKAN_MTASTS_FAIL_REDIRECT,	/* HTTP 3xx: redirects are not followed */
	INKAN_MTASTS_FAIL_HTTP_STATUS,	/* HTTP status other than 200 */
	INKAN_MTASTS_FAIL_MEDIA_TYPE,	/* Content-Type is not text/plain */
	INKAN_MTASTS_FAIL_TOO_BIG,	/* body over INKAN_MTASTS_MAX_POLICY bytes */
	INKAN_MTASTS_FAIL_TRANSFER,	/* other HTTP or transfer error */
	INKAN_MTASTS_FAIL_POLICY,	/* the body is not a valid policy */
};

/* "none", "dns", "connect", "timeout", "tls", "cert", "cert-name",
 * "redirect", "http-status", "media-type", "too-big", "transfer",
 * "policy". */
const char *inkan_mtasts_fetch_fail_name(enum inkan_mtasts_fetch_fail f);

struct inkan_mtasts_fetch_result {
	enum inkan_mtasts_fetch_status status;
	enum inkan_mtasts_fetch_fail fail;
	const char *why;		/* human reason; NULL when OK */
	const char *url;
	long http_status;		/* 0 when no response came */
	const char *content_type;	/* as sent, or NULL */
	const char *location;		/* Location of a 3xx, or NULL */
	/* The body as received (NUL-terminated; at most
	 * INKAN_MTASTS_MAX_POLICY bytes), or NULL. */
	const char *body;
	size_t body_len;
	/* The parsed policy (OK; partly filled when INVALID) and what the
	 * parser found (warnings too). */
	struct inkan_mtasts_policy policy;
	struct inkan_mtasts_policy_diag diag;
};

/* Fetch and parse the policy of domain (RFC 8461 §3.3): GET
 * https://mta-sts.<domain>/.well-known/mta-sts.txt over TLS 1.2 or
 * later, the certificate verified against o->ca_file (or the system
 * store) and for the name mta-sts.<domain>, no redirects, no proxy, no
 * HTTP cache, status 200 only, media type text/plain (parameters
 * allowed), body at most INKAN_MTASTS_MAX_POLICY bytes whether announced
 * by Content-Length or sent chunked (the transfer is aborted past the
 * cap).  o may be NULL.  Network and HTTP problems are results
 * (status FAILED, fail and why say what).  Returns 0 with *out filled
 * (in a), INKAN_EINVAL (domain not a valid name), INKAN_EAGAIN (from
 * o->resolver), INKAN_ENOMEM, or INKAN_EIO (libcurl could not start). */
int inkan_mtasts_fetch(struct inkan_arena *a, const char *domain,
    const struct inkan_mtasts_fetch_opts *o, struct inkan_mtasts_fetch_result *out);

/* ---- discovery: record, fetch, parse ---- */

enum inkan_mtasts_status {
	/* The domain has a valid policy (result.policy). */
	INKAN_MTASTS_VALID = 0,
	/* No usable MTA-STS record: none, several, or an invalid one (RFC
	 * 8461 §3.1: "assume the recipient domain does not have an
	 * available MTA-STS Policy"). */
	INKAN_MTASTS_NONE,
	/* A record was found but no valid policy could be fetched, or DNS
	 * failed temporarily: a sender keeps using a cached policy that has
	 * not expired (RFC 8461 §5.1). */
	INKAN_MTASTS_FETCH_ERROR,
};

/* "valid", "none", "fetch-error". */
const char *inkan_mtasts_status_name(enum inkan_mtasts_status s);

struct inkan_mtasts_result {
	enum inkan_mtasts_status status;
	const char *why;			/* NULL when VALID */
	struct inkan_mtasts_lookup lookup;
	bool fetched;				/* fetch was attempted */
	struct inkan_mtasts_fetch_result fetch;	/* when fetched */
	const struct inkan_mtasts_policy *policy;	/* &fetch.policy when VALID */
};

/* Policy discovery for domain (RFC 8461 §3): the TXT record through r,
 * then, when there is exactly one valid record, the HTTPS fetch with o
 * (o->resolver, when NULL, is r for the address of the policy host).  A
 * sender that has a cached policy with the same id can skip the fetch:
 * call inkan_mtasts_record_lookup alone.  Returns 0 with *out filled (in
 * a), INKAN_EAGAIN, INKAN_ENOMEM or INKAN_EIO. */
int inkan_mtasts_discover(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    const struct inkan_mtasts_fetch_opts *o, struct inkan_mtasts_result *out);

#endif
