/* report_gen.h - generating reports: DMARC aggregate reports as a mail
 * receiver (RFC 9990; RFC 7489 appendix C on request) and SMTP TLS
 * reports as a sender (RFC 8460).
 *
 * The reading side (report.h) turns XML and JSON into struct
 * inkan_dmarc_report / struct inkan_tlsrpt_report; this side fills the
 * same structs from what we observed and renders them:
 *
 *   verdict store (store.h) --inkan_aggr_build--> inkan_dmarc_report[]
 *       --inkan_dmarc_report_xml--> XML --inkan_report_gzip--> .xml.gz
 *   session lines --inkan_tlsrpt_session_parse / inkan_tlsrpt_gen_*-->
 *       inkan_tlsrpt_report[] --inkan_tlsrpt_report_json--> JSON
 *   inkan_report_mail_compose: the report as an RFC 5322 message.
 *
 * So a generated report parsed back with inkan_report_parse() gives the
 * struct it was made from, which is what the round-trip tests check.
 * Nothing here opens a socket; delivery (sendmail, SMTP, HTTPS) belongs
 * to the front end.  Output that reaches a report consumer is plain
 * ASCII or valid UTF-8: bytes that XML 1.0 or JSON cannot carry are
 * replaced with '?'.
 */
#ifndef INKAN_REPORT_GEN_H
#define INKAN_REPORT_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/report.h"

struct inkan_arena;
struct inkan_store;

/* ---- DMARC aggregate reports (RFC 9990) from the verdict store ---- */

enum inkan_aggr_format {
	INKAN_AGGR_RFC9990 = 0,		/* urn:ietf:params:xml:ns:dmarc-2.0 */
	INKAN_AGGR_RFC7489 = 1,		/* http://dmarc.org/dmarc-xml/0.1 */
};

/* "rfc9990", "rfc7489". */
const char *inkan_aggr_format_name(enum inkan_aggr_format f);

struct inkan_aggr_opts {
	const char *org_name;		/* <org_name>, required */
	const char *email;		/* <email>, required: the reporter's contact */
	const char *extra_contact_info;	/* NULL = none */
	const char *domain;		/* one policy domain; NULL = every one */
	int64_t begin, end;		/* verdicts with begin <= ts < end; end > begin */
	enum inkan_aggr_format format;	/* only decides the report id */
};

struct inkan_aggr_stats {
	uint64_t verdicts;		/* stored with ts in the period */
	uint64_t no_policy;		/* no DMARC policy domain: nothing to report */
	uint64_t no_ip;			/* no source IP: cannot be a <record> */
	uint64_t reported;		/* counted in the reports (in --domain's if given) */
	uint64_t policy_changes;	/* reports whose domain showed several policies */
};

/* One report per policy domain that has verdicts in [o->begin, o->end),
 * in domain order, into *out (arena a).  RFC 9990: one policy domain
 * per report; records grouped by source IP, disposition, aligned
 * DKIM and SPF results, override reason, the identifiers and the raw
 * DKIM and SPF results, with the number of messages; DKIM results
 * ordered as its "DKIM Signatures in Aggregate Reports" says (pass strictly aligned, pass relaxed, other
 * pass, the rest), at most INKAN_REPORT_GEN_MAX_DKIM per record.
 * policy_published is the last policy seen in the period (RFC 9990:
 * "note only the final configuration observed"); a change of policy during the period
 * and a record without a valid p= are noted in <error>.  begin/end of
 * the report are o->begin and o->end - 1 (the last second included).
 * The report id is derived from the reporter, policy domain, period and
 * format, so generating the same period again gives the same id and
 * file name (RFC 9990 "Email": a re-sent report keeps its file name).
 * Returns 0, INKAN_EINVAL (missing org_name/email, empty period),
 * INKAN_EIO (store), INKAN_ELIMIT (more than INKAN_REPORT_MAX_ROWS
 * records), INKAN_ENOMEM.  stats may be NULL. */
int inkan_aggr_build(struct inkan_store *st, struct inkan_arena *a,
    const struct inkan_aggr_opts *o, struct inkan_dmarc_report **out, size_t *n,
    struct inkan_aggr_stats *stats);

/* r as an aggregate report document in format f (UTF-8, NUL-terminated,
 * in a).  RFC 9990: no <version> or <generator> (both optional), <testing>
 * only for t=y, IPv6 source addresses in full (eight groups) so that the
 * address patterns of both published XSDs accept them.  RFC 7489: with
 * <version>1.0</version>, and the required p/sp/pct/fo filled with their
 * defaults (sp = p, pct 100, fo "0").  Reason types the format lacks
 * become "other" with the original in the comment.  Returns 0,
 * INKAN_EINVAL (a required field is NULL), INKAN_ETOOBIG (over
 * INKAN_REPORT_MAX_BYTES, which our own parser would refuse), INKAN_ENOMEM. */
int inkan_dmarc_report_xml(struct inkan_arena *a, const struct inkan_dmarc_report *r,
    enum inkan_aggr_format f, char **out, size_t *len);

/* ---- TLS reports (RFC 8460) from session results ----
 *
 * The session file: one line per delivery attempt (TLS session), fields
 * separated by TAB, '#' lines and empty lines ignored:
 *
 *   time  policy-domain  policy-type  policy-strings  mx-host  sending-ip
 *   receiving-ip  result  [receiving-mx-helo  [additional-information
 *   [failure-reason-code]]]
 *
 *   time            seconds since the epoch, or RFC 3339 ("2025-01-02T03:04:05Z")
 *   policy-domain   the recipient domain whose policy applied
 *   policy-type     sts, tlsa or no-policy-found (RFC 8460 §4.3)
 *   policy-strings  the policy's lines (sts: the policy file's lines; tlsa:
 *                   the TLSA records) separated by '|', or '-' for none
 *   mx-host         the MX host name connected to, or '-'
 *   sending-ip      our address, or '-'
 *   receiving-ip    the MX's address, or '-'
 *   result          "success", or a result type of RFC 8460 §4.3
 *                   (starttls-not-supported, certificate-host-mismatch,
 *                   certificate-expired, certificate-not-trusted,
 *                   validation-failure, tlsa-invalid, dnssec-invalid,
 *                   dane-required, sts-policy-fetch-error,
 *                   sts-policy-invalid, sts-webpki-invalid)
 *   the optional ones: '-' or absent for none.
 */
struct inkan_tlsrpt_session {
	int64_t ts;
	const char *policy_domain;	/* lower case, no trailing dot */
	const char *policy_type;	/* "sts", "tlsa", "no-policy-found" */
	const char **policy_string;
	size_t npolicy_string;
	const char *mx_host;		/* lower case; NULL = unknown */
	const char *sending_ip, *receiving_ip;	/* normalised; NULL = unknown */
	const char *result;		/* "success" or the result type */
	const char *receiving_mx_helo, *additional_information, *failure_reason_code;
};

/* Parse one line (without its newline) of the session file.  Returns 0,
 * INKAN_ENOTFOUND for a comment or blank line (nothing to add),
 * INKAN_EMALFORMED with the reason in d (which field, what was wrong),
 * INKAN_ETOOBIG for a line over INKAN_TLSRPT_SESSION_MAX_LINE, or
 * INKAN_ENOMEM.  Strings live in a. */
int inkan_tlsrpt_session_parse(struct inkan_arena *a, const char *line, size_t len,
    struct inkan_tlsrpt_session *out, struct inkan_report_diag *d);

struct inkan_tlsrpt_gen_opts {
	const char *org_name;		/* organization-name, required */
	const char *contact_info;	/* contact-info, required (an address or URI) */
	const char *domain;		/* one policy domain; NULL = every one */
	int64_t begin, end;		/* sessions with begin <= ts < end */
};

struct inkan_tlsrpt_gen;

/* A report builder: sessions in, one report per policy domain out.
 * Aggregation needs memory for the distinct (policy, failure detail)
 * combinations only, not for every session. */
int inkan_tlsrpt_gen_new(const struct inkan_tlsrpt_gen_opts *o, struct inkan_tlsrpt_gen **out);
void inkan_tlsrpt_gen_free(struct inkan_tlsrpt_gen *g);

/* Count one session.  One outside the period or of another domain is
 * skipped (*used false).  0, INKAN_ENOMEM or INKAN_EIO. */
int inkan_tlsrpt_gen_add(struct inkan_tlsrpt_gen *g, const struct inkan_tlsrpt_session *s,
    bool *used);

/* The reports (RFC 8460 §4.4), in policy-domain order, in a.  Per report
 * one policy per (policy-type, policy-string, mx-host) seen; for sts the
 * mx-host list is the policy's "mx:" lines, for tlsa the MX host; failure
 * details grouped by every field of §4.3 with their session counts.
 * date-range is begin .. end - 1 s; the report id is derived from the
 * sender, domain and period (the same period gives the same id).
 * Returns 0, INKAN_EIO, INKAN_ENOMEM. */
int inkan_tlsrpt_gen_reports(struct inkan_tlsrpt_gen *g, struct inkan_arena *a,
    struct inkan_tlsrpt_report **out, size_t *n);

/* r as RFC 8460 §4.4 JSON (UTF-8, NUL-terminated, in a).  0,
 * INKAN_EINVAL (a required field is NULL) or INKAN_ENOMEM. */
int inkan_tlsrpt_report_json(struct inkan_arena *a, const struct inkan_tlsrpt_report *r,
    char **out, size_t *len);

/* ---- packing and mailing ---- */

/* gzip (RFC 1952) of p[0..len), in a.  No file name and a zero time in
 * the header, so that the same report compresses to the same bytes.
 * 0 or INKAN_ENOMEM. */
int inkan_report_gzip(struct inkan_arena *a, const char *p, size_t len, char **out,
    size_t *outlen);

/* RFC 9990 ("Email") / RFC 8460 §5.1 file name:
 *   receiver "!" policy-domain "!" begin "!" end [ "!" unique-id ] "." ext
 * unique_id may be NULL; characters other than letters and digits are
 * dropped from it (the ABNF's 1*(ALPHA / DIGIT)).  NULL on ENOMEM or a
 * receiver or domain that is not a plain host name (it would not be a
 * safe file name). */
char *inkan_report_filename(struct inkan_arena *a, const char *receiver,
    const char *policy_domain, int64_t begin, int64_t end, const char *unique_id,
    const char *ext);

struct inkan_report_mail {
	const char *from;		/* address, e.g. "dmarc-reports@mx.example" */
	const char *to;			/* address */
	const char *subject;
	const char *msgid_left;		/* Message-ID local part (the report id) */
	const char *msgid_right;	/* Message-ID domain (the receiver) */
	const char *const *extra;	/* more header fields, "Name: value" each */
	size_t nextra;
	const char *text;		/* the human-readable part */
	const char *report_type;	/* non-NULL: multipart/report; report-type=... (RFC 6522) */
	const char *content_type;	/* of the attachment: application/gzip, ... */
	const char *filename;
	const char *data;		/* the attachment, sent base64 */
	size_t len;
};

/* The message (LF line ends; the MTA or the SMTP client makes CRLF) in
 * a: Date (now), From, To, Subject, Message-ID, MIME-Version, then a
 * text/plain part and the attachment.  Header values are checked to hold
 * no CR or LF (INKAN_EINVAL: a field cannot be smuggled in).  0,
 * INKAN_EINVAL or INKAN_ENOMEM. */
int inkan_report_mail_compose(struct inkan_arena *a, const struct inkan_report_mail *m,
    int64_t now, char **out, size_t *len);

#endif
