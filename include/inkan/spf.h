/* spf.h - Sender Policy Framework, RFC 7208.
 *
 * inkan_spf_check() is check_host() (§4) with every mechanism, modifier
 * and macro, the processing limits of §4.6.4 and explanations (§6.2).  It
 * is a synchronous evaluator over a resolver; run it against a cache-only
 * resolver and it returns INKAN_EAGAIN on a miss, which is how the bulk
 * driver (bulk.h) evaluates thousands of checks concurrently.
 */
#ifndef INKAN_SPF_H
#define INKAN_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "inkan/buf.h"
#include "inkan/ip.h"

struct inkan_arena;
struct inkan_resolver;

enum inkan_spf_verdict {
	INKAN_SPF_NONE = 0,
	INKAN_SPF_NEUTRAL,
	INKAN_SPF_PASS,
	INKAN_SPF_FAIL,
	INKAN_SPF_SOFTFAIL,
	INKAN_SPF_TEMPERROR,
	INKAN_SPF_PERMERROR,
};

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror". */
const char *inkan_spf_verdict_name(enum inkan_spf_verdict v);
/* Inverse of inkan_spf_verdict_name (case-insensitive); -1 if unknown. */
int inkan_spf_verdict_from_name(const char *s);

/* ---- record syntax (§4.6, §12) ---- */

enum inkan_spf_term_kind {
	INKAN_SPF_ALL,
	INKAN_SPF_INCLUDE,
	INKAN_SPF_A,
	INKAN_SPF_MX,
	INKAN_SPF_PTR,
	INKAN_SPF_IP4,
	INKAN_SPF_IP6,
	INKAN_SPF_EXISTS,
	INKAN_SPF_REDIRECT,	/* modifier */
	INKAN_SPF_EXP,		/* modifier */
	INKAN_SPF_UNKNOWN_MOD,	/* name=value, ignored (§6) */
};

struct inkan_spf_term {
	enum inkan_spf_term_kind kind;
	char qualifier;			/* '+', '-', '~', '?' (mechanisms; '+' if absent) */
	bool qualifier_explicit;
	struct inkan_slice text;	/* the whole term as written */
	size_t offset;			/* of the term in the record */
	struct inkan_slice domain_spec;	/* empty when absent (a, mx, ptr); for modifiers
					   the value (redirect, exp: a domain-spec;
					   unknown: a macro-string, maybe empty) */
	unsigned cidr4, cidr6;		/* dual-cidr-length; 32 and 128 when absent */
	struct inkan_ip ip;		/* ip4, ip6 */
	struct inkan_slice mod_name;	/* modifiers: the name as written */
	bool has_cidr4, has_cidr6;	/* the cidr lengths were written (a, mx, ip4, ip6) */
};

struct inkan_spf_record {
	struct inkan_spf_term *terms;	/* in record order, modifiers included */
	size_t n;
	const struct inkan_spf_term *redirect;	/* or NULL */
	const struct inkan_spf_term *exp;	/* or NULL */
};

struct inkan_spf_parse_error {
	size_t offset;		/* byte offset of the problem in the record */
	const char *why;	/* static text: "unknown mechanism", ... */
};

/* Parse the text of one SPF record (starting with "v=spf1").  Terms point
 * into s (s must outlive *out); arrays live in a.  Returns 0,
 * INKAN_EMALFORMED (err says where and why; this is a permerror for
 * check_host), INKAN_ELIMIT or INKAN_ENOMEM.  Macro strings are checked
 * for syntax here, not expanded. */
int inkan_spf_record_parse(struct inkan_arena *a, const char *s, size_t len,
    struct inkan_spf_record *out, struct inkan_spf_parse_error *err);

/* True if a TXT record text is an SPF record by §4.5: "v=spf1" followed
 * by a space or the end (case-insensitive). */
bool inkan_spf_is_record(const char *s, size_t len);

/* ---- macros (§7) ---- */

struct inkan_spf_macro_ctx {
	const char *sender;	/* %{s} full sender "local@domain" */
	const char *local;	/* %{l} */
	const char *sender_domain; /* %{o} */
	const char *domain;	/* %{d} current domain */
	const struct inkan_ip *ip;	/* %{i} %{c} %{v} */
	const char *helo;	/* %{h} */
	const char *receiver;	/* %{r}; NULL = "unknown" */
	const char *validated;	/* %{p}; NULL = "unknown" (caller resolves) */
	time_t now;		/* %{t} */
};

/* Expand a macro-string.  exp = true applies the explain-string rules:
 * spaces and the explanation-only letters c, r, t are allowed (§7.1,
 * §7.2).  The result lives in a.  Returns 0, INKAN_EMALFORMED (err, when
 * non-NULL, says where and why), INKAN_ETOOBIG (longer than
 * INKAN_SPF_MAX_MACRO_OUTPUT) or INKAN_ENOMEM.  %{i} of an IPv6 client is
 * written in lower-case nibbles, as in the §7.4 examples.  Expansion for
 * a domain-spec is not shortened here; check_host applies §7.3's 253
 * limit. */
int inkan_spf_macro_expand(struct inkan_arena *a, const char *spec, size_t len, bool exp,
    const struct inkan_spf_macro_ctx *ctx, char **out, struct inkan_spf_parse_error *err);

/* ---- check_host ---- */

enum inkan_spf_scope {
	INKAN_SPF_SCOPE_MFROM = 0,	/* MAIL FROM identity (postmaster@HELO if null) */
	INKAN_SPF_SCOPE_HELO,		/* HELO identity */
};

struct inkan_spf_query {
	struct inkan_ip ip;	/* client address; IPv4-mapped IPv6 is unmapped */
	const char *sender;	/* MAIL FROM; NULL, "" or "<>" = null reverse-path */
	const char *helo;	/* HELO/EHLO name; may be NULL */
	enum inkan_spf_scope scope;
	const char *receiver;	/* our host name for %{r} and Received-SPF; NULL = "unknown" */
	const char *default_exp; /* explanation when the record has no exp=; NULL = built in */
	time_t now;		/* for %{t}; 0 = time(NULL) */
};

struct inkan_spf_result {
	enum inkan_spf_verdict result;
	const char *identity;	/* "mailfrom" or "helo" */
	const char *sender;	/* the identity checked, e.g. "postmaster@helo.example" */
	const char *domain;	/* the domain check_host() started at */
	const char *mechanism;	/* text of the matching term; "default" if none matched;
				   NULL for none/temperror/permerror */
	const char *matched_domain; /* domain whose record held the matching term */
	const char *explanation; /* for fail: exp= text or the default; else NULL */
	const char *problem;	/* for permerror/temperror/none: what went wrong */
	unsigned dns_lookups;	/* terms that caused DNS queries (§4.6.4) */
	unsigned void_lookups;	/* void lookups (§4.6.4) */
	unsigned dns_queries;	/* actual queries sent, including the record lookups */
};

/* Run check_host() for q.  Returns 0 and fills *out, whose strings live in
 * a until inkan_arena_free(); or a negative INKAN_E* error (INKAN_EAGAIN
 * from a cache-only resolver, INKAN_ENOMEM, INKAN_EINVAL).  A DNS timeout
 * is a verdict (temperror), not an error.  On INKAN_EAGAIN nothing but the
 * arena was touched: run the same query again once the answer is cached
 * (the evaluation is deterministic, so it asks the same questions in the
 * same order).  Writes a trace through r when r traces: one line per term
 * with the running counts, e.g.
 *   "spf example.com: include:_spf.example.net (dns terms 3/10, void 0/2)". */
int inkan_spf_check(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_spf_query *q, struct inkan_spf_result *out);

/* The Received-SPF header field (§9.1) for q and res, without the
 * trailing CRLF: "Received-SPF: pass (receiver: ...) client-ip=...; ...". */
char *inkan_spf_received(struct inkan_arena *a, const struct inkan_spf_query *q,
    const struct inkan_spf_result *res);

#endif
