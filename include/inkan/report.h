/* report.h - DMARC aggregate (RFC 9990, RFC 7489 appendix C) and SMTP
 * TLS reports (RFC 8460): from the bytes that arrive to plain structs.
 *
 * A report arrives as XML or JSON, possibly gzip'd or zipped, possibly
 * inside a MIME message, possibly one of many messages in an mbox.  The
 * layers peel off in this order:
 *
 *   inkan_report_mbox_each()   an mbox      -> each message
 *   inkan_report_mime_each()   one message  -> each part that holds a report
 *   inkan_report_parse()       one part     -> decompress by content (gzip,
 *                                              zip, nested), then XML or JSON
 *
 * Every function takes untrusted bytes and a length; nothing is read from
 * the network or a file (XML is parsed with no network, no DTD and no
 * entity expansion).  Results live in the caller's arena.  A report that
 * cannot be understood gives INKAN_EMALFORMED (or INKAN_ETOOBIG for a
 * limit) and a human reason in diag->why; it is never half-filled in a way
 * the caller could mistake for a report.
 *
 * Tolerance: element names are matched without their namespace (RFC 7489
 * http://dmarc.org/dmarc-xml/0.1, RFC 9990 urn:ietf:params:xml:ns:dmarc-2.0,
 * and the pre-RFC draft with none), values are trimmed and lower-cased
 * where the schema has an enumeration, empty optional elements are absent.
 * Strictness: the fields that identify a report and the counts that the
 * summary adds up must be present and well-formed.
 */
#ifndef INKAN_REPORT_H
#define INKAN_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct inkan_arena;

enum inkan_report_kind {
	INKAN_REPORT_NONE = 0,
	INKAN_REPORT_DMARC = 1,		/* DMARC aggregate (XML) */
	INKAN_REPORT_TLSRPT = 2,	/* SMTP TLS report (JSON) */
};

struct inkan_report_diag {
	char why[256];		/* why a report was set aside; "" if not */
};

/* RFC 9990 §3 auth_results: one DKIM or SPF result as the reporter saw it
 * (not aligned).  Absent optional fields are NULL. */
struct inkan_dmarc_auth {
	const char *domain;
	const char *selector;		/* DKIM only */
	const char *scope;		/* SPF only: "mfrom" or "helo" (RFC 7489) */
	const char *result;		/* lower case: pass, fail, none, ... */
	const char *human_result;
};

struct inkan_dmarc_reason {
	const char *type;		/* lower case: forwarded, local_policy, ... */
	const char *comment;
};

/* One <record>: count messages from source_ip with the same results. */
struct inkan_dmarc_row {
	const char *source_ip;		/* normalised text form */
	uint64_t count;
	const char *disposition;	/* none, pass, quarantine, reject */
	const char *dkim;		/* DMARC-aligned DKIM: pass or fail */
	const char *spf;		/* DMARC-aligned SPF: pass or fail */
	struct inkan_dmarc_reason *reasons;
	size_t nreasons;
	const char *header_from;
	const char *envelope_from;
	const char *envelope_to;
	struct inkan_dmarc_auth *dkim_auth;
	size_t ndkim_auth;
	struct inkan_dmarc_auth *spf_auth;
	size_t nspf_auth;
};

struct inkan_dmarc_report {
	const char *schema;		/* "rfc9990", "rfc7489" or "draft" (no namespace) */
	const char *version;		/* <version>, NULL if absent */
	const char *org_name;
	const char *email;
	const char *extra_contact_info;
	const char *report_id;
	const char *generator;
	int64_t begin, end;		/* seconds since the epoch, UTC */
	const char **errors;
	size_t nerrors;
	/* policy_published; absent fields NULL, pct -1 */
	const char *domain;
	const char *adkim, *aspf, *p, *sp, *np, *fo, *testing, *discovery_method;
	int pct;
	struct inkan_dmarc_row *rows;
	size_t nrows;
	uint64_t messages;		/* sum of the rows' counts */
};

struct inkan_tlsrpt_failure {
	const char *result_type;	/* RFC 8460 §4.3, lower case */
	const char *sending_mta_ip;
	const char *receiving_mx_hostname;
	const char *receiving_mx_helo;
	const char *receiving_ip;
	const char *additional_information;
	const char *failure_reason_code;
	uint64_t failed_session_count;
};

struct inkan_tlsrpt_policy {
	const char *policy_type;	/* tlsa, sts, no-policy-found (or other) */
	const char *policy_domain;	/* NULL if absent */
	const char **policy_string;
	size_t npolicy_string;
	const char **mx_host;		/* a string or a list in the wild */
	size_t nmx_host;
	uint64_t successful;		/* total-successful-session-count */
	uint64_t failed;		/* total-failure-session-count */
	struct inkan_tlsrpt_failure *failures;
	size_t nfailures;
};

struct inkan_tlsrpt_report {
	const char *org_name;		/* organization-name */
	const char *report_id;
	const char *contact_info;
	int64_t begin, end;		/* date-range, seconds since the epoch */
	struct inkan_tlsrpt_policy *policies;
	size_t npolicies;
	uint64_t successful, failed;	/* sums over the policies */
};

struct inkan_report {
	enum inkan_report_kind kind;
	struct inkan_dmarc_report dmarc;	/* when kind == INKAN_REPORT_DMARC */
	struct inkan_tlsrpt_report tlsrpt;	/* when kind == INKAN_REPORT_TLSRPT */
};

/* Peel gzip (also concatenated and nested) and zip layers recognised by
 * their magic bytes, not by a file name, at most INKAN_REPORT_MAX_LAYERS
 * deep.  *out is p itself when nothing was compressed, else arena memory.
 * INKAN_ETOOBIG when the result passes INKAN_REPORT_MAX_BYTES or the
 * INKAN_REPORT_MAX_RATIO expansion (a zip bomb); INKAN_EMALFORMED for a
 * corrupt stream.  diag may be NULL. */
int inkan_report_decompress(struct inkan_arena *a, const char *p, size_t len,
    const char **out, size_t *outlen, struct inkan_report_diag *diag);

/* Parse one DMARC aggregate report (XML, already decompressed). */
int inkan_dmarc_parse_xml(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_dmarc_report *out, struct inkan_report_diag *diag);

/* Parse one TLS report (RFC 8460 §4.4 JSON, already decompressed). */
int inkan_tlsrpt_parse_json(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_tlsrpt_report *out, struct inkan_report_diag *diag);

/* Decompress by content, then parse as DMARC XML or TLS-RPT JSON, chosen
 * by the first significant byte.  Fills *out on success. */
int inkan_report_parse(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_report *out, struct inkan_report_diag *diag);

/* Called for each candidate report found in a message.  name is the MIME
 * part's file name (or its content type); p/len the decoded part body,
 * valid during the call.  A non-zero return stops the walk and is
 * returned by the walker. */
typedef int (*inkan_report_part_fn)(void *ctx, const char *name, const char *p,
    size_t len);

/* Walk the MIME parts of one RFC 5322 message (GMime), calling fn for
 * every leaf part that holds compressed data, XML or JSON (a report is
 * recognised by content, so a wrong Content-Type does not hide it).
 * Returns fn's non-zero value, INKAN_EMALFORMED if the message could not be
 * parsed at all, INKAN_ENOTFOUND if no part qualified, or 0. */
int inkan_report_mime_each(const char *p, size_t len, inkan_report_part_fn fn,
    void *ctx, struct inkan_report_diag *diag);

/* Called for each message in an mbox; index counts from 1. */
typedef int (*inkan_report_msg_fn)(void *ctx, size_t index, const char *p,
    size_t len);

/* Split an mbox ("From " lines, mboxrd/mboxo) into messages. */
int inkan_report_mbox_each(const char *p, size_t len, inkan_report_msg_fn fn,
    void *ctx);

/* What the bytes of an input file look like, by content. */
enum inkan_report_input {
	INKAN_INPUT_REPORT,	/* compressed data, XML or JSON: parse directly */
	INKAN_INPUT_MESSAGE,	/* an RFC 5322 message */
	INKAN_INPUT_MBOX,	/* starts with a "From " line */
	INKAN_INPUT_UNKNOWN,
};
enum inkan_report_input inkan_report_sniff(const char *p, size_t len);

/* Parse a date-time (RFC 3339 §5.6) into seconds since the epoch, UTC.
 * Returns 0 or INKAN_EMALFORMED. */
int inkan_report_parse_datetime(const char *s, int64_t *out);

/* ---- failure reports (RFC 9991, RFC 6591; ARF, RFC 5965) ----
 *
 * One failure report is one message: multipart/report with a
 * message/feedback-report part (header fields) and, usually, the failed
 * message or its headers (message/rfc822 or text/rfc822-headers).  Field
 * values are unfolded (RFC 5322 §2.2.3) and trimmed; enumerations
 * (Feedback-Type, Auth-Failure, Delivery-Result, Identity-Alignment) are
 * lower-cased; absent fields are NULL. */
struct inkan_arf_report {
	const char *feedback_type;	/* auth-failure, abuse, ... */
	const char *version;
	const char *user_agent;
	const char *original_mail_from;
	const char *original_rcpt_to;	/* the first; others are dropped */
	const char *original_envelope_id;
	const char *arrival_date;	/* as written (Arrival-Date, or Received-Date) */
	int64_t arrival;		/* seconds since the epoch; 0 if absent or unreadable */
	const char *source_ip;		/* normalised text form when it parses */
	const char *reporting_mta;	/* the name after "dns;" */
	const char *auth_failure;
	const char *delivery_result;
	const char *identity_alignment;
	const char *dkim_domain, *dkim_selector, *dkim_identity;
	const char *incidents;
	const char **reported_domain;
	size_t nreported_domain;
	const char **reported_uri;
	size_t nreported_uri;
	const char **authentication_results;
	size_t nauthentication_results;
	/* from the returned message or headers, NULL if none */
	const char *orig_from, *orig_subject, *orig_message_id;
	char digest[65];		/* SHA-256 (hex) of the report and returned parts:
					   the same report ingested twice has the same one */
};

/* Parse the failure report in one RFC 5322 message (p/len, GMime).
 * INKAN_ENOTFOUND if it has no message/feedback-report part (it is not a
 * failure report), INKAN_EMALFORMED if that part has no Feedback-Type. */
int inkan_arf_parse(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_arf_report *out, struct inkan_report_diag *diag);

#endif
