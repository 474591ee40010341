/* dmarc.h - DMARC: policy records, policy discovery, alignment, the From
 * field, and external report destinations.
 *
 * RFC 9989 (DMARC, which obsoletes RFC 7489 and RFC 9091) is the default;
 * RFC 7489 is kept as a mode.  The two differ in how the Organizational
 * Domain is found:
 *
 *   INKAN_DMARC_TREEWALK (RFC 9989 §4.10)  a "DNS Tree Walk": TXT queries
 *     for _dmarc.<name> from the Author Domain upwards, at most 8 per walk
 *     (names of more than 8 labels are cut to 7 after the first query),
 *     stopped by a record with psd=y or psd=n.  The Organizational Domain
 *     is, from the longest name down: the first name whose record says
 *     psd=n; else the name one label below a record with psd=y (not the
 *     starting one); else the name with a record and the fewest labels;
 *     else the starting name.  The policy record is the Author Domain's,
 *     else the Organizational Domain's, else the PSD's (§4.10.1): records
 *     between the Author Domain and the Organizational Domain are not used
 *     (Appendix B.4.2).  Only valid records count; a malformed record is a
 *     permerror when it is the Author Domain's own (RFC 8601: "a
 *     syntactically incorrect DMARC record") and passed over above it.
 *     t=y is honoured (§4.7); pct=, rf=, ri= are parsed and reported as
 *     legacy, but pct= is not applied.
 *   INKAN_DMARC_PSL (RFC 7489 §3.2, §6.6.3)  the Organizational Domain is
 *     the registrable domain by the Public Suffix List (libpsl over an
 *     explicit file, Debian's /usr/share/publicsuffix/public_suffix_list.dat
 *     by default, so results never depend on libpsl's built-in copy);
 *     at most two TXT queries (Author Domain, Organizational Domain).
 *     pct= is applied when asked (§6.6.4); t= is an unknown tag there.
 *     np= (RFC 9091) is honoured in both modes; the RFC 9091 PSD-record
 *     fallback is not part of the PSL mode.
 *
 * Unless told not to, inkan_dmarc_evaluate also computes the other mode's
 * answer (sharing DNS answers) and says so in psl_diagnostic when the two
 * disagree about the Organizational Domain, the policy domain or the
 * verdict.
 *
 * Records (RFC 9989 §4.7, §4.8).  Tag names and the values of p, sp, np,
 * adkim, aspf, psd, t, fo are case-insensitive (RFC 5234 strings); only
 * "DMARC1" is case-sensitive.  v=DMARC1 must be the first tag, otherwise
 * the TXT record is not a DMARC record at all.  A record whose tag list
 * does not parse (a tag without "=", a bad tag name) or that repeats a tag
 * (RFC 6376 §3.2) is malformed: permerror when it is the record to apply.
 * A bad value of any other known tag is discarded in favour of the default
 * (§4.8) and named in the record's problem list, as are unknown tags
 * (ignored, §4.7) and RFC 7489 tags (pct, rf, ri, "!size" in URIs, p= not
 * second).  A record without a valid p=, or with an invalid sp= or np=,
 * counts as "p=none" when it has a valid rua= URI and is not applied at
 * all otherwise (§4.10.1): DMARC result none.
 *
 * Verdicts: pass when SPF passed for a domain aligned with the Author
 * Domain or a DKIM signature passed with an aligned d=; fail otherwise;
 * temperror when no aligned pass exists and a DNS query needed to decide
 * failed, or an aligned identifier had an SPF/DKIM temperror; permerror
 * for a malformed applicable record or an unusable From field; none when
 * no record applies.  SPF counts only for the MAIL FROM identity (for a
 * null reverse-path that is postmaster@HELO, RFC 7208 §2.4: the caller
 * passes the HELO domain and says so with spf_is_helo).  Policy: p= for
 * the Author Domain and for an Author Domain that is itself the
 * Organizational Domain; sp= for an existing subdomain of the
 * Organizational Domain; np= for one that does not exist (NXDOMAIN, RFC
 * 9989 §3.2.13, one A query, made only when the record has np=).
 *
 * ---- The From field (RFC 5322 §3.6.2, RFC 6854, RFC 6532) ----
 *
 * inkan_dmarc_from_parse takes the values of all From fields.  It yields
 * a status (what was unusual), the one Author Domain when there is exactly
 * one (field `domain`), and every distinct domain it could find (field
 * `domains`).  The rules, chosen so that no shape of From field can make
 * a domain's policy go unchecked:
 *
 *   one field, one mailbox              OK; domain set.
 *   no From field                        MISSING; no domain.
 *   several From fields                  MULTIPLE_FIELDS (RFC 5322 allows
 *                                        one); domains of all of them.
 *   several mailboxes in one field       MULTIPLE_ADDRESSES.
 *   group syntax "name: a@b, c@d;"       GROUP (RFC 6854); members count
 *                                        as mailboxes; an empty group has
 *                                        no domain.
 *   display name only, "<>", empty       NO_ADDRESS; no domain.
 *   domain literal [1.2.3.4], a domain   BAD_DOMAIN; domains = those of
 *   that is not a valid host name or     the other mailboxes, if any.
 *   fails IDNA2008
 *   anything that is not RFC 5322        SYNTAX; domains = every "@domain"
 *   syntax (unterminated quote or        found anywhere in the field
 *   comment, two angle-addrs, "a@b@c",   (salvaged), so that a broken
 *   a phrase without an address next     field still names the domains a
 *   to a mailbox, control characters)    reader might see.
 *
 * With several fields or mailboxes, `domain` is still set when they all
 * share one domain (RFC 9989 §5.3.1 counts domains, not mailboxes).
 * Accepted as written and normalised: display names with quoted strings
 * (commas, "@" and "<" inside quotes are display text), comments anywhere
 * CFWS is allowed (nested, with quoted pairs), RFC 2047 encoded-words
 * (they are atoms; never decoded, so an encoded "@" cannot make an
 * address), obs-phrase dots ("John Q. Public"), obs-route
 * "<@relay:user@example.com>", quoted local parts, one trailing dot on
 * the domain, empty list elements ("a@b, , c@d").  Domains are returned
 * as A-labels, lower case, without a trailing dot (UTF-8 domains, RFC
 * 6532, are converted with IDNA2008 / UTS#46 non-transitional).
 *
 * inkan_dmarc_evaluate_from turns that into a verdict: exactly one domain
 * -> evaluated; several domains -> each evaluated (at most
 * INKAN_DMARC_MAX_AUTHOR_DOMAINS) and the strictest outcome kept, as RFC
 * 9989 §11.5 recommends (a failing domain with the strictest disposition
 * wins, then temperror, permerror, pass, none) -- or permerror, with
 * INKAN_DMARC_MULTI_PERMERROR; no domain -> permerror.  When the field
 * names more domains than are evaluated, the verdict is the first eight's
 * if one of them fails, else permerror (the evaluation is incomplete,
 * §11.5).  Every permerror from the From field gets disposition reject
 * when reject_bad_from is set.  These inputs are the known DMARC-bypass
 * class (OpenDMARC, mox): a second From field, a second mailbox, or
 * broken syntax must never turn a failing domain into "no verdict".
 *
 * Strings in results live in the arena passed in.  No function here
 * opens a socket; DNS goes through the resolver seam (dns.h).  The PSL
 * functions read the list file once per path and process.
 */
#ifndef INKAN_DMARC_H
#define INKAN_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/buf.h"
#include "inkan/dkim.h"	/* enum inkan_dkim_result */
#include "inkan/dns.h"	/* enum inkan_dns_status */
#include "inkan/spf.h"	/* enum inkan_spf_verdict */

struct inkan_arena;
struct inkan_resolver;

/* ---- results and policies ---- */

enum inkan_dmarc_result {
	INKAN_DMARC_NONE = 0,
	INKAN_DMARC_PASS,
	INKAN_DMARC_FAIL,
	INKAN_DMARC_TEMPERROR,
	INKAN_DMARC_PERMERROR,
};

/* "none", "pass", "fail", "temperror", "permerror" (RFC 8601 names). */
const char *inkan_dmarc_result_name(enum inkan_dmarc_result r);

enum inkan_dmarc_policy {
	INKAN_DMARC_P_UNSPEC = 0,
	INKAN_DMARC_P_NONE,
	INKAN_DMARC_P_QUARANTINE,
	INKAN_DMARC_P_REJECT,
};

/* "none", "quarantine", "reject"; NULL for INKAN_DMARC_P_UNSPEC. */
const char *inkan_dmarc_policy_name(enum inkan_dmarc_policy p);

enum inkan_dmarc_mode {
	INKAN_DMARC_TREEWALK = 0,	/* RFC 9989 */
	INKAN_DMARC_PSL,		/* RFC 7489 */
};

/* "treewalk", "psl". */
const char *inkan_dmarc_mode_name(enum inkan_dmarc_mode m);

/* ---- policy records (RFC 9989 §4.7, §4.8; RFC 7489 §6.3) ---- */

enum inkan_dmarc_align {
	INKAN_DMARC_ALIGN_RELAXED = 0,	/* "r", the default */
	INKAN_DMARC_ALIGN_STRICT,	/* "s" */
};

enum inkan_dmarc_psd {
	INKAN_DMARC_PSD_U = 0,		/* default: found by the tree walk */
	INKAN_DMARC_PSD_Y,		/* a Public Suffix Domain */
	INKAN_DMARC_PSD_N,		/* an Organizational Domain */
};

/* fo= options, a bit set (default INKAN_DMARC_FO_0). */
#define INKAN_DMARC_FO_0	0x1
#define INKAN_DMARC_FO_1	0x2
#define INKAN_DMARC_FO_D	0x4
#define INKAN_DMARC_FO_S	0x8

/* One rua= or ruf= URI. */
struct inkan_dmarc_uri {
	const char *uri;	/* as written, without an obsolete "!size" */
	const char *scheme;	/* lower case: "mailto", "https", ... */
	const char *address;	/* mailto: the address, %-decoded; else NULL */
	const char *domain;	/* mailto: the address's domain; else the URI's
				   host; lower case, A-label; NULL if none */
	/* RFC 7489 "!size[unit]" (obsolete in RFC 9989 §4.8): the number as
	 * written, its unit ('k','m','g','t', or 0) and the product in bytes
	 * (0 when absent or too large). */
	uint64_t size;
	char size_unit;
	uint64_t max_bytes;
};

enum inkan_dmarc_problem_kind {
	INKAN_DMARC_PROB_ERROR,		/* the record cannot be used (permerror) */
	INKAN_DMARC_PROB_POLICY,	/* p=/sp=/np= missing or invalid (§4.10.1) */
	INKAN_DMARC_PROB_IGNORED,	/* a bad value, discarded for the default (§4.8) */
	INKAN_DMARC_PROB_LEGACY,	/* RFC 7489 only: pct, rf, ri, !size, p= not second */
	INKAN_DMARC_PROB_UNKNOWN,	/* an unknown tag, ignored (§4.7) */
	INKAN_DMARC_PROB_WARNING,	/* anything else worth saying */
};

/* "error", "policy", "ignored", "legacy", "unknown", "warning". */
const char *inkan_dmarc_problem_kind_name(enum inkan_dmarc_problem_kind k);

struct inkan_dmarc_problem {
	enum inkan_dmarc_problem_kind kind;
	const char *tag;	/* the tag name (lower case), or NULL */
	const char *what;	/* human text */
	size_t offset;		/* where in the record text */
};

struct inkan_dmarc_record {
	const char *text;		/* the record, NUL-terminated */
	/* p=, sp=, np= as written when valid; UNSPEC when absent or invalid. */
	enum inkan_dmarc_policy p, sp, np;
	/* RFC 9989 §4.10.1: false when the record has no valid p= (or an
	 * invalid sp=/np=) and no valid rua= URI: DMARC is not applied.
	 * as_p_none: the same problem with a valid rua=: act as "p=none". */
	bool applies;
	bool as_p_none;
	/* What to apply to the domain itself, to existing subdomains and to
	 * non-existent subdomains, after defaults (sp <- p, np <- sp) and
	 * §4.10.1; UNSPEC when !applies. */
	enum inkan_dmarc_policy apply_p, apply_sp, apply_np;
	enum inkan_dmarc_align adkim, aspf;
	enum inkan_dmarc_psd psd;
	bool testing;			/* t=y */
	unsigned fo;			/* INKAN_DMARC_FO_* */
	const struct inkan_dmarc_uri *rua, *ruf;	/* valid URIs only */
	size_t nrua, nruf;
	/* RFC 7489 tags; has_* says the tag was present with a valid value.
	 * Defaults: pct 100, rf {"afrf"}, ri 86400. */
	bool has_pct, has_rf, has_ri;
	unsigned pct;
	const char *const *rf;		/* lower case */
	size_t nrf;
	uint32_t ri;
	/* Everything noticed, in record order. */
	const struct inkan_dmarc_problem *problems;
	size_t nproblems;
};

/* True if txt[0..len) starts like a DMARC record: optional WSP, "v"
 * (either case), "=", "DMARC1" (exactly), then ";" , WSP or the end.
 * RFC 9989 §4.10 step 2: other TXT records are discarded. */
bool inkan_dmarc_is_record(const char *txt, size_t len);

/* Parse one DMARC record.  Returns 0 when the record is usable (perhaps
 * with problems, perhaps with applies == false), INKAN_EMALFORMED with
 * *why when it is not a DMARC record or is malformed (see the top of this
 * file; *out is then filled as far as it got, with an ERROR problem), or
 * INKAN_ENOMEM.  Records longer than INKAN_DMARC_MAX_RECORD are
 * malformed.  Everything lives in a; why may be NULL. */
int inkan_dmarc_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_dmarc_record *out, const char **why);

/* ---- the From field ---- */

enum inkan_dmarc_from_status {
	INKAN_DMARC_FROM_OK = 0,
	INKAN_DMARC_FROM_MISSING,
	INKAN_DMARC_FROM_MULTIPLE_FIELDS,
	INKAN_DMARC_FROM_MULTIPLE_ADDRESSES,
	INKAN_DMARC_FROM_GROUP,
	INKAN_DMARC_FROM_NO_ADDRESS,
	INKAN_DMARC_FROM_SYNTAX,
	INKAN_DMARC_FROM_BAD_DOMAIN,
};

/* "ok", "missing", "multiple-fields", "multiple-addresses", "group",
 * "no-address", "syntax", "bad-domain". */
const char *inkan_dmarc_from_status_name(enum inkan_dmarc_from_status s);

struct inkan_dmarc_from {
	enum inkan_dmarc_from_status status;
	const char *why;		/* human text; NULL for a plain OK */
	/* The mailbox, "local-part@domain" with the domain as an A-label,
	 * when there is exactly one; else NULL. */
	const char *address;
	/* The one Author Domain (A-label, lower case, no trailing dot), or
	 * NULL when there is none or more than one. */
	const char *domain;
	/* Every distinct domain found, in order of appearance, at most
	 * INKAN_DMARC_MAX_AUTHOR_DOMAINS (more_domains says more were cut). */
	const char *const *domains;
	size_t ndomains;
	bool more_domains;
	size_t nmailboxes;		/* mailboxes that parsed */
};

/* Parse the unfolded values of ALL From fields of a message, in order
 * (n may be 0).  Fills *out (strings in a) by the rules at the top of
 * this file.  Returns 0 or INKAN_ENOMEM; INKAN_EINVAL for values == NULL
 * with n > 0.  A From field that cannot be used is a status, not an
 * error. */
int inkan_dmarc_from_parse(struct inkan_arena *a, const struct inkan_slice *values, size_t n,
    struct inkan_dmarc_from *out);

/* ---- the Public Suffix List (RFC 7489 §3.2) ---- */

#define INKAN_DMARC_PSL_FILE	"/usr/share/publicsuffix/public_suffix_list.dat"

struct inkan_dmarc_psl;

/* Load a list in the publicsuffix.org format (path NULL = the Debian
 * file above).  Returns 0, INKAN_EIO with *why (static) when it cannot
 * be read or holds no rule, INKAN_ENOMEM. */
int inkan_dmarc_psl_load(const char *path, struct inkan_dmarc_psl **out, const char **why);
void inkan_dmarc_psl_free(struct inkan_dmarc_psl *p);
/* A list loaded once per path and kept for the life of the process
 * (thread-safe), as evaluation uses it.  NULL with *why when it cannot
 * be loaded. */
const struct inkan_dmarc_psl *inkan_dmarc_psl_shared(const char *path, const char **why);

/* The registrable domain of domain (any case, U- or A-labels): *out is
 * its A-label form, lower case, or NULL when domain is itself a public
 * suffix.  Returns 0, INKAN_EMALFORMED (*out NULL) for something that is
 * not a domain name (empty label, leading dot, bad IDN), INKAN_EINVAL for
 * NULL arguments, INKAN_ENOMEM. */
int inkan_dmarc_psl_registrable(const struct inkan_dmarc_psl *p, struct inkan_arena *a,
    const char *domain, const char **out);
/* RFC 7489 §3.2 Organizational Domain: the registrable domain, or the
 * domain itself when it is a public suffix.  Errors as above. */
int inkan_dmarc_psl_org_domain(const struct inkan_dmarc_psl *p, struct inkan_arena *a,
    const char *domain, const char **out);

/* ---- evaluation ---- */

struct inkan_dmarc_dkim {
	const char *d;			/* signing domain */
	enum inkan_dkim_result result;
	const char *s;			/* selector (for reports), may be NULL */
};

struct inkan_dmarc_input {
	const char *from_domain;	/* Author Domain (U- or A-labels, any case) */
	enum inkan_spf_verdict spf;
	const char *spf_domain;	/* MAIL FROM domain, or HELO when the reverse-path is null */
	bool spf_is_helo;
	const struct inkan_dmarc_dkim *dkim;
	size_t ndkim;
};

enum inkan_dmarc_multi_from {
	INKAN_DMARC_MULTI_STRICTEST = 0,	/* evaluate each, keep the strictest (§11.5) */
	INKAN_DMARC_MULTI_PERMERROR,		/* several Author Domains: permerror */
};

struct inkan_dmarc_opts {
	enum inkan_dmarc_mode mode;
	const char *psl_file;		/* NULL = INKAN_DMARC_PSL_FILE */
	bool apply_pct;			/* RFC 7489 mode only (§6.6.4) */
	/* For pct sampling; NULL = getrandom(2).  A message is sampled in
	 * when random() % 100 < pct. */
	uint32_t (*random)(void *arg);
	void *random_arg;
	/* A list to use instead of psl_file (borrowed). */
	const struct inkan_dmarc_psl *psl;
	/* Do not compute the other mode for psl_diagnostic. */
	bool no_compare;
	/* inkan_dmarc_evaluate_from only: */
	enum inkan_dmarc_multi_from multi_from;
	bool reject_bad_from;		/* a From-field permerror gets disposition reject */
};

struct inkan_dmarc_eval {
	enum inkan_dmarc_result result;
	const char *reason;		/* human text, for everything */
	const char *from_domain;	/* Author Domain as evaluated (A-label) */
	const char *policy_domain;	/* where the record was found, or NULL */
	/* Organizational Domain of the Author Domain.  In tree-walk mode it
	 * is NULL when it was not needed (the Author Domain has its own
	 * record and no relaxed comparison was made) and comparison is off. */
	const char *org_domain;
	/* NULL when none; for permerror the malformed record as far as it
	 * parsed; also set when the record does not apply (§4.10.1). */
	const struct inkan_dmarc_record *record;
	enum inkan_dmarc_policy policy;	/* the p/sp/np that applies */
	const char *policy_tag;		/* "p", "sp", "np" or NULL */
	enum inkan_dmarc_policy disposition; /* after t=y / pct; NONE for pass;
					   UNSPEC when no policy applies */
	bool spf_aligned, dkim_aligned;
	const char *dkim_domain;	/* d= of the aligned passing signature */
	const char *spf_domain;		/* the SPF domain considered (A-label) */
	bool testing, sampled_out;
	const char *psl_diagnostic;	/* NULL, or "PSL and tree walk disagree: ..." */
	unsigned queries;		/* DNS queries made for the verdict */
	unsigned compare_queries;	/* further queries for psl_diagnostic */
	enum inkan_dmarc_mode mode;
	/* inkan_dmarc_evaluate_from: the From status and how many Author
	 * Domains were evaluated (0 or 1 for inkan_dmarc_evaluate). */
	enum inkan_dmarc_from_status from_status;
	size_t ndomains;
};

/* Discovery + alignment + disposition for one Author Domain.  Returns 0
 * (every verdict, temperror included, is in *out), INKAN_EAGAIN (a
 * cache-only resolver missed: run again once it is answered),
 * INKAN_ENOMEM, INKAN_EINVAL (NULL arguments), INKAN_EIO (PSL mode and
 * the list cannot be read).  A From domain that is not a domain name is
 * a permerror verdict.  Strings live in a. */
int inkan_dmarc_evaluate(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const struct inkan_dmarc_input *in,
    struct inkan_dmarc_eval *out);

/* Same from a parsed From field (in->from_domain is ignored), by the rules
 * at the top of this file.  Errors as inkan_dmarc_evaluate. */
int inkan_dmarc_evaluate_from(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const struct inkan_dmarc_from *from,
    const struct inkan_dmarc_input *in, struct inkan_dmarc_eval *out);

/* ---- discovery alone (for inkan check) ---- */

enum inkan_dmarc_found {
	INKAN_DMARC_FOUND_NONE = 0,	/* no record applies */
	INKAN_DMARC_FOUND_RECORD,
	INKAN_DMARC_FOUND_TEMPERROR,
	INKAN_DMARC_FOUND_PERMERROR,	/* the record to apply is malformed */
};

enum inkan_dmarc_source {
	INKAN_DMARC_SRC_NONE = 0,
	INKAN_DMARC_SRC_AUTHOR,		/* the domain's own record */
	INKAN_DMARC_SRC_ORG,		/* its Organizational Domain's */
	INKAN_DMARC_SRC_PSD,		/* a Public Suffix Domain's (psd=y) */
};

/* One _dmarc name asked about. */
struct inkan_dmarc_step {
	const char *name;		/* "_dmarc.example.com" */
	enum inkan_dns_status dns;
	unsigned ndmarc;		/* TXT records that start with v=DMARC1 */
	const struct inkan_dmarc_record *record;	/* when exactly one, usable */
	const char *why;		/* "2 DMARC records: all discarded", ... */
	bool queried;			/* false: answered from this call's memo */
};

struct inkan_dmarc_discovery {
	enum inkan_dmarc_found status;
	const char *why;
	const char *domain;		/* as asked, A-label */
	const char *policy_domain;	/* NULL unless a record was found */
	const char *org_domain;		/* NULL on temperror */
	const char *psd_domain;		/* tree walk: the psd=y name seen, or NULL */
	enum inkan_dmarc_source source;
	const struct inkan_dmarc_record *record;
	const struct inkan_dmarc_step *steps;	/* in query order */
	size_t nsteps;
	unsigned queries;
};

/* Find the record that applies to domain and its Organizational Domain,
 * by o->mode (o may be NULL: tree walk).  The tree walk always runs to
 * its end here, so that org_domain is known.  Returns as
 * inkan_dmarc_evaluate. */
int inkan_dmarc_discover(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const char *domain, struct inkan_dmarc_discovery *out);

/* ---- external report destinations (RFC 9990 §3, RFC 7489 §7.1) ---- */

enum inkan_dmarc_report_status {
	INKAN_DMARC_REPORT_AUTHORIZED = 0,	/* a v=DMARC1 record is published */
	INKAN_DMARC_REPORT_INTERNAL,		/* same Organizational Domain: no check needed */
	INKAN_DMARC_REPORT_NOT_AUTHORIZED,	/* no such record */
	INKAN_DMARC_REPORT_TEMPERROR,		/* DNS failure: try later */
	INKAN_DMARC_REPORT_PERMERROR,		/* only malformed records */
};

/* "authorized", "internal", "not-authorized", "temperror", "permerror". */
const char *inkan_dmarc_report_status_name(enum inkan_dmarc_report_status s);

struct inkan_dmarc_report_auth {
	enum inkan_dmarc_report_status status;
	bool authorized;		/* AUTHORIZED or INTERNAL */
	const char *why;
	const char *query;		/* <policy-domain>._report._dmarc.<dest> */
	/* The authorising record, which may carry rua=/ruf= that replace the
	 * destination (RFC 9990 §3), or NULL. */
	const struct inkan_dmarc_record *record;
	unsigned queries;
};

/* Is dest_domain willing to receive reports about policy_domain?  Asks
 * TXT <policy_domain>._report._dmarc.<dest_domain>; any record that
 * starts with v=DMARC1 and parses authorises (the p= of a policy record
 * does not apply here).  Always queries.  Returns as inkan_dmarc_evaluate. */
int inkan_dmarc_report_authorized(struct inkan_resolver *r, struct inkan_arena *a,
    const char *policy_domain, const char *dest_domain, struct inkan_dmarc_report_auth *out);

/* The whole check for one rua=/ruf= URI of the record published at
 * policy_domain: INTERNAL when the URI's domain has the same
 * Organizational Domain (by o->mode), else inkan_dmarc_report_authorized.
 * A URI without a domain is NOT_AUTHORIZED. */
int inkan_dmarc_report_check(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dmarc_opts *o, const char *policy_domain,
    const struct inkan_dmarc_uri *uri, struct inkan_dmarc_report_auth *out);

#endif
