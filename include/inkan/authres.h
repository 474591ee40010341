/* authres.h - the Authentication-Results header field (RFC 8601).
 *
 * A receiver records what it checked (SPF, DKIM, DMARC, ARC, iprev, ...)
 * in an Authentication-Results field:
 *
 *   Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=a.example;
 *   	dkim=pass (2048-bit key) header.d=a.example header.s=s1 header.b="Qgi/FoC0"
 *
 * This module reads such fields (strictly by the RFC 8601 §2.2 grammar, or
 * leniently as deployed software writes them), writes them with correct
 * quoting, comments and folding, and answers the one question a border MTA
 * must ask of every incoming A-R field: does it claim to come from us?
 * RFC 8601 §5 requires removing such fields, which are forgeries when they
 * arrive from outside; trusting them is CVE-2019-20790.
 *
 * Parsing keeps the method, its version, the result, reason= and every
 * ptype.property=value in order.  Method, result, ptype and property are
 * case-insensitive (RFC 8601 §2.2) and returned in lower case; values and
 * the authserv-id are returned as written, quoted-strings unquoted, line
 * breaks of folding removed.  Of the comments only the first one after a
 * result is kept (it usually explains the result).
 *
 * Lenient mode (INKAN_AUTHRES_LENIENT) additionally accepts what real
 * headers contain and the grammar does not: properties without a ptype
 * (dropped, like python authres does), unquoted values with tspecials
 * (IPv6 addresses, base64 with '/'), quoted methods and results, a
 * repeated authserv-id between results (Microsoft), empty results, a junk
 * word where the version belongs, and results without the first ';'.  It
 * still rejects input whose structure cannot be read, such as
 * "id; foo = = bar".
 *
 * All strings returned by inkan_authres_parse() live in the arena.  Nothing
 * here does I/O or DNS.
 */
#ifndef INKAN_AUTHRES_H
#define INKAN_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "inkan/buf.h"

struct inkan_arena;

/* One ptype.property=value (RFC 8601 §2.2 propspec). */
struct inkan_authres_prop {
	const char *ptype;	/* "smtp", "header", "body", "policy", ... */
	const char *property;	/* "mailfrom", "d", "from", "iprev", ... */
	const char *value;	/* unquoted; may be "" */
};

/* One resinfo: method[/version]=result [reason=...] props. */
struct inkan_authres_result {
	const char *method;	/* lower case: "spf", "dkim", "dmarc", "arc", ... */
	int version;		/* method version, 0 if absent */
	const char *result;	/* lower case: "pass", "fail", ... */
	const char *reason;	/* reason= value or NULL */
	const char *comment;	/* a comment put after the result, e.g. "1024-bit
				 * key"; NULL = none.  Parsing sets it to the
				 * first comment after the result, if any. */
	struct inkan_authres_prop *props;
	size_t nprops;
};

struct inkan_authres {
	const char *authserv_id;
	int version;		/* 0 if absent */
	bool none;		/* "id; none" */
	struct inkan_authres_result *results;
	size_t nresults;
};

/* inkan_authres_parse() flags. */
#define INKAN_AUTHRES_LENIENT	0x1

/* Parse a field value (the text after "Authentication-Results:"; folding
 * with CRLF or bare LF allowed).  Returns 0 and fills *out, whose strings
 * and arrays live in `a`; or
 *   INKAN_EMALFORMED  syntax error, *why names the problem;
 *   INKAN_ETOOBIG     value longer than INKAN_AUTHRES_MAX_VALUE;
 *   INKAN_ELIMIT      more results, properties or comment nesting than
 *                     limits.h allows;
 *   INKAN_ENOMEM.
 * `why` may be NULL; when given it is set (to static text) on every error
 * and to NULL on success.  A version other than 1 is returned, not refused:
 * RFC 8601 §2.2 leaves ignoring such a field to the reader. */
int inkan_authres_parse(struct inkan_arena *a, const char *value, size_t len, unsigned flags,
    struct inkan_authres *out, const char **why);

/* Render the field VALUE (no field name, no final CRLF) into b.  Values are
 * quoted when they are neither an RFC 2045 token nor [local-part]@domain
 * (RFC 8601 §2.2 pvalue); comments are escaped.  When the value does not
 * fit on the line that starts at column fold_start (24 after
 * "Authentication-Results: "), it is folded with CRLF+TAB: the authserv-id
 * stays on the first line and each result starts a line, wrapped before a
 * property or comment at 78 columns (RFC 5322 §2.1.1).  Returns 0 (text
 * appended to b), INKAN_EINVAL (NULL or empty authserv-id, method, result,
 * ptype or property not an RFC 5321 Keyword, a value or comment with a
 * control character, a negative version), INKAN_ETOOBIG (a line would
 * exceed 998 characters, or b's maximum) or INKAN_ENOMEM.  With no results
 * the value is "id; none". */
int inkan_authres_format(const struct inkan_authres *ar, size_t fold_start, struct inkan_buf *b);

/* Same as a single unfolded line (for ARC-Authentication-Results payloads
 * and JSON). */
int inkan_authres_format_line(const struct inkan_authres *ar, struct inkan_buf *b);

/* True if the field value claims authserv_id, parsed or not: the
 * authserv-id is taken after any leading comments and whitespace, as a
 * token or quoted-string, and also as the whole first word (so that a
 * reader more lenient than us cannot see our id where we do not).  The
 * comparison ignores ASCII case (RFC 8601 §5) and a trailing dot.  NULL or
 * empty authserv_id claims nothing. */
bool inkan_authres_claims(const char *value, size_t len, const char *authserv_id);

/* True if s is an RFC 5321 Keyword (what method, result, ptype and
 * property must be when generating). */
bool inkan_authres_is_keyword(const char *s);

#endif
