/* proto.h - the wire formats inkan-stsd speaks and reads, as pure
 * functions over bytes (no sockets), each fuzzed:
 *
 *   socketmap   Postfix socketmap_table(5): one netstring per request,
 *               "NAME KEY"; one per reply, "OK value", "NOTFOUND ",
 *               "TEMP reason", "TIMEOUT reason", "PERM reason".
 *   tcp_table   Postfix tcp_table(5): "get KEY\n" with %XX encoding;
 *               replies "200 value\n", "500 reason\n", "400 reason\n".
 *   maillog     Postfix smtp(8) log lines: the TLS handshake summary
 *               and the per-recipient delivery status, for TLS-RPT.
 *
 * Requests may arrive in pieces and several in one read: a parser looks
 * at the bytes buffered so far and says MORE (wait), OK (one request,
 * *used bytes consumed), BAD (a request it understood as wrong: answer
 * the error, the connection goes on) or FATAL (the stream cannot be
 * resynchronised: answer and close).  *why is a static message.
 */
#ifndef INKAN_STSD_PROTO_H
#define INKAN_STSD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum proto_rc {
	PROTO_FATAL = -2,
	PROTO_BAD = -1,
	PROTO_MORE = 0,
	PROTO_OK = 1,
};

/* ---- socketmap ---- */

struct sm_request {
	const char *name;	/* slices of the caller's buffer */
	size_t namelen;
	const char *key;
	size_t keylen;
};

/* Parse one netstring "LEN:NAME KEY," from buf[0..len).  A request
 * longer than max bytes is FATAL.  On OK and BAD *used is the netstring's
 * length. */
enum proto_rc sm_parse(const char *buf, size_t len, size_t max, struct sm_request *out,
    size_t *used, const char **why);

enum sm_status {
	SM_OK = 0,
	SM_NOTFOUND,
	SM_TEMP,
	SM_TIMEOUT,
	SM_PERM,
};

/* The reply netstring for (status, text) in out[0..outsize): "OK text",
 * "NOTFOUND ", "TEMP text", ...  Control characters in text become '?'
 * (a reason may quote a peer).  Returns its length, or 0 when it does not
 * fit (the caller answers a shorter TEMP). */
size_t sm_format(char *out, size_t outsize, enum sm_status st, const char *text);

/* ---- tcp_table ---- */

/* Parse one request line "get KEY\n" from buf[0..len); the %XX-decoded
 * key goes to key[0..keysize) NUL-terminated (*keylen without the NUL).
 * A line over max bytes is FATAL (no newline in sight: cannot
 * resynchronise); "put" and unknown commands, bad %XX, NUL in the key
 * are BAD with the line consumed. */
enum proto_rc tt_parse(const char *buf, size_t len, size_t max, char *key, size_t keysize,
    size_t *keylen, size_t *used, const char **why);

/* The reply line "CODE text\n" (code 200, 400 or 500) with text
 * %XX-encoded as tcp_table(5) wants (bytes <= 32, >= 127 and '%').
 * Returns its length, or 0 when it does not fit. */
size_t tt_format(char *out, size_t outsize, int code, const char *text);

/* Encode / decode %XX (tcp_table(5)); used by the tests and the bench
 * client too.  tt_decode returns the decoded length, or (size_t)-1 on a
 * bad escape or when it does not fit. */
size_t tt_encode(char *out, size_t outsize, const char *in, size_t inlen);
size_t tt_decode(char *out, size_t outsize, const char *in, size_t inlen);

/* ---- Postfix smtp(8) log lines ---- */

struct slice {
	const char *p;
	size_t len;
};

enum ml_kind {
	ML_NONE = 0,		/* not a line we use */
	ML_TLS,			/* "<Trust> TLS connection established to HOST[IP]:PORT: ..." */
	ML_VERIFY_FAIL,		/* "certificate verification failed for HOST[IP]:PORT: num=N:text" */
	ML_DELIVERY,		/* "QID: to=<rcpt>, relay=HOST[IP]:PORT, ..., status=S (text)" */
};

enum ml_trust {
	ML_ANONYMOUS = 0,	/* no certificate */
	ML_UNTRUSTED,		/* chain not verified */
	ML_TRUSTED,		/* chain verified, name not checked or not matched */
	ML_VERIFIED,		/* chain and name (or DANE TLSA) verified */
};

enum ml_status {
	ML_SENT = 0,
	ML_DEFERRED,
	ML_BOUNCED,
	ML_OTHER,		/* expired, undeliverable, ... */
};

struct ml_event {
	enum ml_kind kind;
	struct slice service;	/* "postfix/smtp", "postfix-out/smtp" */
	unsigned long pid;
	/* ML_TLS, ML_VERIFY_FAIL, and the relay of ML_DELIVERY */
	struct slice host, ip;
	unsigned port;
	enum ml_trust trust;	/* ML_TLS */
	int verify_num;		/* ML_VERIFY_FAIL: the X509 error number */
	struct slice verify_text;
	/* ML_DELIVERY */
	struct slice queue_id, rcpt_domain;
	enum ml_status status;
	struct slice dsn;	/* "4.7.5" */
	struct slice reason;	/* the text in parentheses */
};

/* Parse one log line (without its newline): a syslog or Postfix
 * maillog_file line whose program is ".../smtp[PID]" or ".../lmtp[PID]".
 * Returns 0 with ev filled (kind ML_NONE for a line of no interest) or -1
 * with *why for a line from an smtp process that is malformed where it
 * matters (an unterminated relay=, a bad pid).  Slices point into line. */
int ml_parse(const char *line, size_t len, struct ml_event *ev, const char **why);

/* The RFC 8460 §4.3 result type for a delivery that failed (or for a
 * TLS summary that shows a failure of a testing policy), from the
 * deferral text, the last TLS summary and the policy type ("sts",
 * "tlsa", "no-policy-found"); NULL when the failure is not about TLS
 * (a 4xx after MAIL FROM, a refused connection...). */
const char *ml_result_type(const struct ml_event *delivery, bool have_tls, enum ml_trust trust,
    int verify_num, const char *policy_type);

#endif
