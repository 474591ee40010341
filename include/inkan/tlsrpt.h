/* tlsrpt.h - the SMTP TLS Reporting record (RFC 8460 §3).
 *
 * A domain asks for TLS reports with a TXT record at _smtp._tls.<domain>:
 *   v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/tls
 * This header covers that record: its parser and its lookup over the
 * resolver seam.  The reports themselves (the JSON of RFC 8460 §4) are
 * parsed by report.h.
 */
#ifndef INKAN_TLSRPT_H
#define INKAN_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inkan_arena;
struct inkan_resolver;

enum inkan_tlsrpt_uri_kind {
	INKAN_TLSRPT_URI_MAILTO = 0,	/* reports by mail (RFC 8460 §5.3) */
	INKAN_TLSRPT_URI_HTTPS,		/* reports by HTTPS POST (§5.4) */
	INKAN_TLSRPT_URI_OTHER,		/* any other scheme: not used */
};

struct inkan_tlsrpt_uri {
	enum inkan_tlsrpt_uri_kind kind;
	const char *uri;	/* as written */
	/* mailto: the address with %-escapes decoded and any "?hfields"
	 * dropped; https: the host.  NULL for OTHER. */
	const char *target;
};

struct inkan_tlsrpt_ext {
	const char *name;
	const char *value;
};

struct inkan_tlsrpt_record {
	struct inkan_tlsrpt_uri *rua;	/* in record order */
	size_t nrua;
	size_t nusable;			/* mailto and https URIs */
	struct inkan_tlsrpt_ext *ext;
	size_t next;
};

/* True if txt begins with "v=TLSRPTv1" followed by ";" (after optional
 * WSP) or the end: RFC 8460 §3 discards the other TXT records. */
bool inkan_tlsrpt_record_is_tlsrpt(const char *txt, size_t len);

/* Parse a TLS-RPT record (all strings concatenated), RFC 8460 §3:
 *   v=TLSRPTv1 *( *WSP ";" *WSP field ) [ *WSP ";" ] *WSP
 * field rua=URI *( *WSP "," *WSP URI ) (required, once), or an extension
 * name=value as in MTA-STS.  A URI is scheme ":" and at least one more
 * printable character without ",", ";" or space; mailto: needs an
 * address with "@", https: a host.  A URI of another scheme parses (kind
 * OTHER), but a record whose rua has no mailto or https URI is invalid.
 * At most INKAN_TLSRPT_MAX_RUA URIs.  Returns 0, INKAN_EMALFORMED with
 * *why (in a; why may be NULL) or INKAN_ENOMEM. */
int inkan_tlsrpt_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_tlsrpt_record *out, const char **why);

enum inkan_tlsrpt_status {
	INKAN_TLSRPT_FOUND = 0,		/* exactly one TLSRPTv1 record, valid */
	INKAN_TLSRPT_NONE,		/* NXDOMAIN, NODATA, or no TLSRPTv1 record */
	INKAN_TLSRPT_INVALID,		/* one record, which does not parse */
	INKAN_TLSRPT_MULTIPLE,		/* more than one (RFC 8460 §3: then none) */
	INKAN_TLSRPT_TEMPERROR,		/* SERVFAIL, timeout or DNSSEC bogus */
};

/* "found", "none", "invalid", "multiple", "temperror". */
const char *inkan_tlsrpt_status_name(enum inkan_tlsrpt_status s);

struct inkan_tlsrpt_lookup {
	enum inkan_tlsrpt_status status;
	const char *why;		/* NULL when FOUND */
	const char *domain;		/* lowercased, no trailing dot */
	const char *qname;		/* "_smtp._tls.<domain>" */
	const char *canonname;		/* where CNAMEs led, or NULL */
	const char **txts;		/* every TXT record at qname */
	size_t ntxt;
	const char *txt;		/* the TLSRPTv1 record (first if several) */
	struct inkan_tlsrpt_record record;	/* when FOUND */
	bool secure;
	uint32_t ttl;
};

/* Look up the TLS-RPT record of domain through r.  An invalid domain
 * name gives NONE with a why.  Returns 0 with *out filled (in a),
 * INKAN_EAGAIN or INKAN_ENOMEM. */
int inkan_tlsrpt_record_lookup(struct inkan_resolver *r, struct inkan_arena *a,
    const char *domain, struct inkan_tlsrpt_lookup *out);

#endif
