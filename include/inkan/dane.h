/* dane.h - DANE TLSA records and certificate matching (RFC 6698, RFC 7671,
 * and RFC 7672 for SMTP).
 *
 * A TLSA record at _25._tcp.<mx> pins the certificate (or its key) an MX
 * host presents, or a trust anchor it chains to.  This module:
 *   - parses TLSA rdata (wire form, and presentation form for tools);
 *   - checks an RRset for mistakes and advice (lint): unknown parameter
 *     values, a digest of the wrong length, PKIX usages that SMTP cannot
 *     use, combinations other than the recommended 3 1 1 and 2 1 1, no
 *     second record for a key rollover;
 *   - matches an RRset against the certificate chain a server presented,
 *     with OpenSSL's DANE verifier (the X509_STORE_CTX DANE of libssl),
 *     offline: no socket is opened.
 *
 * The profile decides the rules.  SMTP (RFC 7672) is the default: PKIX-TA(0)
 * and PKIX-EE(1) records are unusable (§3.1.3); DANE-EE(3) ignores names
 * and validity dates; DANE-TA(2) needs a chain from the leaf to the
 * anchor and a leaf name that matches a reference identifier (§3.2: a
 * wildcard only as a whole leftmost label).  The generic profile (RFC
 * 7671) also uses PKIX-TA/EE, which need the trust store of the context.
 *
 * DNSSEC is the caller's business: TLSA records are only to be trusted
 * from a secure answer (RFC 7672 §2.2); this module matches what it is
 * given.
 */
#ifndef INKAN_DANE_H
#define INKAN_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/spf_lint.h"	/* enum inkan_lint_severity */

struct inkan_arena;

/* Certificate usages, selectors, matching types (RFC 6698 §2.1, RFC
 * 7218 acronyms). */
enum {
	INKAN_DANE_PKIX_TA = 0,
	INKAN_DANE_PKIX_EE = 1,
	INKAN_DANE_DANE_TA = 2,
	INKAN_DANE_DANE_EE = 3,
};
enum {
	INKAN_DANE_SEL_CERT = 0,
	INKAN_DANE_SEL_SPKI = 1,
};
enum {
	INKAN_DANE_MT_FULL = 0,
	INKAN_DANE_MT_SHA256 = 1,
	INKAN_DANE_MT_SHA512 = 2,
};

struct inkan_dane_tlsa {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	const uint8_t *data;	/* certificate association data */
	size_t len;
};

/* "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE", or NULL when unknown. */
const char *inkan_dane_usage_name(unsigned usage);
/* "Cert", "SPKI", or NULL. */
const char *inkan_dane_selector_name(unsigned selector);
/* "Full", "SHA2-256", "SHA2-512", or NULL. */
const char *inkan_dane_mtype_name(unsigned mtype);

/* Parse TLSA rdata in wire form (RFC 6698 §2.1): three octets and at
 * least one octet of data.  out->data points into rdata.  Returns 0 or
 * INKAN_EMALFORMED with *why (static; why may be NULL).  Parameter
 * values are not judged here (see inkan_dane_lint). */
int inkan_dane_tlsa_parse(const uint8_t *rdata, size_t len, struct inkan_dane_tlsa *out,
    const char **why);

/* Parse presentation form "3 1 1 <hex>" (the hex may contain spaces, as
 * zone files split it; RFC 6698 §2.2).  Data lives in a.  Returns 0,
 * INKAN_EMALFORMED with *why (static), or INKAN_ENOMEM. */
int inkan_dane_tlsa_parse_text(struct inkan_arena *a, const char *s, size_t len,
    struct inkan_dane_tlsa *out, const char **why);

/* "3 1 1 0a1b..." (lower-case hex), in a; NULL when out of memory. */
char *inkan_dane_tlsa_text(struct inkan_arena *a, const struct inkan_dane_tlsa *t);

enum inkan_dane_profile {
	INKAN_DANE_SMTP = 0,	/* RFC 7672 */
	INKAN_DANE_GENERIC,	/* RFC 7671: PKIX-TA/EE usable */
};

/* ---- lint ---- */

struct inkan_dane_finding {
	enum inkan_lint_severity severity;
	const char *id;		/* stable: "unknown-usage", "digest-length", ... */
	int record;		/* index in the RRset, or -1 for the RRset */
	const char *message;	/* one line */
	const char *advice;	/* or NULL */
};

struct inkan_dane_lint {
	struct inkan_dane_finding *findings;
	size_t nfindings;
	unsigned errors, warnings;
	/* Records the profile can use (known parameters, right digest
	 * length, not PKIX under SMTP). */
	size_t usable;
};

/* Check an RRset (n records) for problems and advice under profile.
 * Finding ids: "unknown-usage", "unknown-selector", "unknown-mtype",
 * "digest-length", "bad-full-data" (Full(0) data is not a certificate
 * or key), "pkix-smtp" (PKIX-TA/EE under SMTP), "no-usable" (DANE is
 * then not in force: RFC 7672 §2.2), "not-recommended" (other than
 * 3 1 1 / 2 1 1), "duplicate", "no-rollover" (a single record),
 * "empty".  Everything lives in a.  Returns 0 or INKAN_ENOMEM. */
int inkan_dane_lint(struct inkan_arena *a, const struct inkan_dane_tlsa *rrset, size_t n,
    enum inkan_dane_profile profile, struct inkan_dane_lint *out);

/* ---- matching a presented chain ---- */

/* A context: an OpenSSL SSL_CTX with DANE enabled and, for PKIX-TA/EE
 * under the generic profile, a trust store.  ca_file (PEM) may be NULL:
 * then PKIX usages find no anchor (SMTP never needs one).  Thread-safe to
 * share for verification.  Returns 0, INKAN_EIO with *why (static) when
 * ca_file cannot be loaded, or INKAN_ENOMEM. */
struct inkan_dane_ctx;
int inkan_dane_ctx_new(const char *ca_file, struct inkan_dane_ctx **out, const char **why);
void inkan_dane_ctx_free(struct inkan_dane_ctx *c);

/* One certificate, DER. */
struct inkan_dane_cert {
	const uint8_t *der;
	size_t len;
};

struct inkan_dane_verify_opts {
	enum inkan_dane_profile profile;
	/* Reference identifiers for the name check of DANE-TA (and PKIX)
	 * matches: for SMTP the MX host name (after CNAME expansion of the
	 * TLSA base) and the next-hop domain (RFC 7672 §3.2).  The first
	 * is also what OpenSSL calls the base domain.  None given: a DANE-TA
	 * match fails its name check. */
	const char *const *names;
	size_t nnames;
	/* Check names for DANE-EE(3) too (RFC 7672 §3.1 says not to;
	 * OpenSSL's vectors test both ways). */
	bool ee_name_checks;
	/* Verification time (seconds since the epoch); 0 = now. */
	int64_t now;
};

enum inkan_dane_status {
	INKAN_DANE_OK = 0,		/* authenticated by a TLSA record */
	INKAN_DANE_NO_MATCH,		/* no usable record matches the chain */
	INKAN_DANE_NAME_MISMATCH,	/* a TA record matched; the name did not */
	INKAN_DANE_UNTRUSTED,		/* the chain does not verify to the anchor */
	INKAN_DANE_NOT_USABLE,		/* no usable record in the RRset */
};

/* "ok", "no-match", "name-mismatch", "untrusted", "not-usable". */
const char *inkan_dane_status_name(enum inkan_dane_status s);

struct inkan_dane_result {
	enum inkan_dane_status status;
	const char *why;		/* NULL when OK */
	/* The record that authenticated the chain (OK), or that matched
	 * before a name or chain check failed: its index in the RRset given
	 * and the chain depth of the certificate it matched (0 = leaf; one
	 * more than the top of the chain for an anchor given in full in
	 * DNS and absent from the chain).  -1 when none. */
	int record;
	int depth;
	/* OpenSSL's X509_V_ERR_* code, for diagnostics (0 when OK). */
	int x509_error;
	/* The name in the leaf certificate that matched a reference
	 * identifier ("*.example.com" for "mx.example.com"), for DANE-TA and
	 * PKIX matches; NULL otherwise. */
	const char *peername;
};

/* Match the TLSA RRset (n records) against chain (nchain certificates,
 * leaf first, as the server sent them).  c may be NULL (a context
 * without trust store is made for the call); o may be NULL (SMTP, no
 * names, now).  Records the profile cannot use are left out; if none is
 * left the result is NOT_USABLE.  A certificate that does not parse
 * makes the result UNTRUSTED.  Returns 0 with *out filled (strings in
 * a), INKAN_EINVAL (nchain 0 or over INKAN_DANE_MAX_CHAIN, n over
 * INKAN_DANE_MAX_TLSA), or INKAN_ENOMEM. */
int inkan_dane_verify(struct inkan_dane_ctx *c, struct inkan_arena *a,
    const struct inkan_dane_tlsa *rrset, size_t n, const struct inkan_dane_cert *chain,
    size_t nchain, const struct inkan_dane_verify_opts *o, struct inkan_dane_result *out);

/* ---- the TLSA lookup for an SMTP server (RFC 7672 §2.2) ---- */

struct inkan_resolver;

enum inkan_dane_host_status {
	/* No DANE for this host: its address records are not secure, or
	 * there is no secure TLSA RRset (RFC 7672 §2.2.2). */
	INKAN_DANE_HOST_NONE = 0,
	/* A secure TLSA RRset with at least one usable record. */
	INKAN_DANE_HOST_USABLE,
	/* A secure TLSA RRset without a usable record: the client uses TLS
	 * without authentication (RFC 7672 §2.2, §3.1.3). */
	INKAN_DANE_HOST_UNUSABLE,
	/* A lookup failed or was bogus: the host cannot be used now
	 * (RFC 7672 §2.2: bogus or failed TLSA lookups defer delivery). */
	INKAN_DANE_HOST_TEMPFAIL,
};

/* "none", "usable", "unusable", "tempfail". */
const char *inkan_dane_host_status_name(enum inkan_dane_host_status s);

struct inkan_dane_host_lookup {
	enum inkan_dane_host_status status;
	const char *why;		/* one line, always set */
	const char *host;		/* as asked, lowercased, no final dot */
	bool addr_secure;		/* the A/AAAA answers validated */
	bool addr_bogus;
	bool has_addr;			/* some A or AAAA record */
	/* Where the address lookup's CNAMEs led, or NULL. */
	const char *canonname;
	/* The TLSA RRset used: its owner name ("_25._tcp.mx.example"), or
	 * NULL when none was found. */
	const char *tlsa_name;
	bool tlsa_secure;		/* that answer validated */
	bool tlsa_bogus;		/* some TLSA answer was bogus */
	struct inkan_dane_tlsa *tlsa;	/* its records (parsed; unusable too) */
	const char **tlsa_text;		/* the same as "3 1 1 ab..." */
	size_t ntlsa;
	size_t usable;			/* records usable under RFC 7672 */
	uint32_t ttl;			/* smallest TTL of the answers used */
	unsigned nqueries;		/* DNS queries made */
};

/* Look up the TLSA RRset of SMTP server host on port (0 = 25) through r,
 * per RFC 7672 §2.2.2: the host's A and AAAA records must be secure
 * (bogus -> TEMPFAIL, insecure -> NONE); when the address lookup followed
 * a CNAME chain that validated, TLSA is asked first at
 * _PORT._tcp.<expanded name> and then, when no secure RRset is there, at
 * _PORT._tcp.<host>; a bogus, SERVFAIL or timed-out TLSA answer ->
 * TEMPFAIL; an insecure one -> NONE.  Usable records (§3.1.3): DANE-TA(2)
 * and DANE-EE(3) with a known selector and matching type and a digest of
 * the right length; PKIX-TA/EE are not usable for SMTP.  Returns 0 with
 * *out filled (strings in a), INKAN_EINVAL (host not a valid name),
 * INKAN_EAGAIN (cache-only resolver) or INKAN_ENOMEM. */
int inkan_dane_tlsa_lookup(struct inkan_resolver *r, struct inkan_arena *a, const char *host,
    unsigned port, struct inkan_dane_host_lookup *out);

#endif
