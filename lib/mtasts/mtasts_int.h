/* mtasts_int.h - shared by the MTA-STS and TLS-RPT record code. */
#ifndef INKAN_MTASTS_INT_H
#define INKAN_MTASTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inkan_arena;
struct inkan_resolver;

/* One "name=value" field of a record, value without surrounding WSP. */
struct inkan__recfield {
	const char *name;
	size_t nlen;
	const char *value;
	size_t vlen;
};

/* Split a record of the MTA-STS/TLS-RPT shape (RFC 8461 §3.1, RFC 8460
 * §3): version *( *WSP ";" *WSP name "=" value ) [ *WSP ";" ] *WSP.
 * version is "v=STSv1" or "v=TLSRPTv1".  Names are checked against the
 * extension-name grammar; values are only cut (the caller checks them).
 * Returns 0 with the fields in a, INKAN_EMALFORMED with *why (in a), or
 * INKAN_ENOMEM. */
int inkan__rec_split(struct inkan_arena *a, const char *txt, size_t len, const char *version,
    struct inkan__recfield **out, size_t *n, const char **why);

/* True if txt begins with version followed by *WSP ";" or *WSP and the
 * end. */
bool inkan__rec_has_version(const char *txt, size_t len, const char *version);

/* True if s[0..len) is printable ASCII other than "=", ";" and SP (the
 * sts-ext-value / tlsrpt-ext-value alphabet), and not empty. */
bool inkan__rec_ext_value_ok(const char *s, size_t len);

/* A policy domain as given by a caller or a user: one trailing dot
 * allowed, a valid name otherwise.  *out is lowercased without the dot
 * (in a).  Returns 0, INKAN_EMALFORMED with *why (static), INKAN_ENOMEM. */
int inkan__policy_domain(struct inkan_arena *a, const char *domain, char **out,
    const char **why);

/* The TXT RRset at qname and the one record that version-checks. */
enum {
	INKAN__TXT_ONE = 0,
	INKAN__TXT_NONE,
	INKAN__TXT_MULTIPLE,
	INKAN__TXT_TEMPERROR,
};

struct inkan__txtsel {
	int status;
	const char *why;		/* NULL for ONE */
	const char *canonname;
	const char **txts;
	size_t ntxt;
	const char *txt;		/* the selected (first) record */
	size_t txtlen;
	bool secure;
	uint32_t ttl;
};

/* Query TXT at qname and keep the records for which is_rec is true
 * (what names them in reasons: "STSv1", "TLSRPTv1").  Returns 0, or
 * the resolver's INKAN_EAGAIN / INKAN_ENOMEM / INKAN_EINVAL. */
int inkan__txt_select(struct inkan_resolver *r, struct inkan_arena *a, const char *qname,
    bool (*is_rec)(const char *, size_t), const char *what, struct inkan__txtsel *out);

#endif
