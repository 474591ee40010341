/* verify.h - the verify session: one message in, one verdict out.
 *
 * This is where SPF (RFC 7208), DKIM (RFC 6376/8463), ARC (RFC 8617) and
 * DMARC (RFC 9989, or RFC 7489 mode) meet, and where the
 * Authentication-Results field (RFC 8601) that records them is written.
 * `inkan verify`, `inkan stats` and inkan-milter all drive this one
 * session, so they give the same results for the same message:
 *
 *	inkan_verify_new()           per message, over a resolver and an arena
 *	inkan_verify_envelope()      client IP, HELO, MAIL FROM (all optional)
 *	inkan_verify_header() ...    each header field, raw, in order
 *	inkan_verify_body() ...      body chunks, CRLF line ends
 *	inkan_verify_end()           the results
 *	inkan_verify_free()
 *
 * The milter callbacks map onto these one to one; inkan_verify_message()
 * does all of it for a message in memory (any line endings).
 *
 * Evaluation order at end: DKIM and ARC finish their hashes; SPF runs
 * (only when the client IP is known: without it SPF is "not evaluated",
 * never a guessed result); the From field is parsed with DMARC's hardened
 * rules; DMARC combines the SPF and DKIM results with the policy.
 *
 * Forged Authentication-Results: every Authentication-Results field that
 * claims our authserv-id is listed in the result (by its position among
 * the Authentication-Results fields), so that a front end removes it
 * before adding ours (RFC 8601 §5; CVE-2019-20790).  Nothing in such a
 * field is believed.
 *
 * The From field is read by DMARC's hardened rules (dmarc.h).  Several
 * authors in one From field are each evaluated and the strictest outcome
 * kept (RFC 9989 §11.5); several From fields (RFC 5322 §3.6 allows one),
 * no From, no address, group or other syntax problems make DMARC
 * permerror with the reason, and the disposition is opts.bad_from
 * (default reject): a message whose author cannot be determined must not
 * slip past a domain's policy.
 *
 * All results live in the arena given to inkan_verify_new().
 */
#ifndef INKAN_VERIFY_H
#define INKAN_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/arc.h"
#include "inkan/authres.h"
#include "inkan/dkim.h"
#include "inkan/dmarc.h"
#include "inkan/ip.h"
#include "inkan/spf.h"

struct inkan_arena;
struct inkan_resolver;

struct inkan_verify_opts {
	/* Our authserv-id (RFC 8601 §2.5), usually the host name; required. */
	const char *authserv_id;
	/* "now" for DKIM/ARC x= and t= and SPF %{t}; 0 = time(). */
	int64_t now;
	/* Shared key cache for DKIM and ARC (borrowed), or NULL. */
	struct inkan_dkim_keycache *keycache;
	/* DKIM options (borrowed); NULL = defaults.  now and keycache above
	 * override the ones in it. */
	const struct inkan_dkim_verify_opts *dkim;
	/* DMARC mode and PSL file, pct handling. */
	struct inkan_dmarc_opts dmarc;
	/* Skip ARC validation (arc is then "none" and absent from A-R). */
	bool no_arc;
	/* Disposition for messages whose From cannot be used (see above);
	 * INKAN_DMARC_P_UNSPEC = reject. */
	enum inkan_dmarc_policy bad_from;
	/* Our host name for SPF's %{r} macro; NULL = "unknown". */
	const char *receiver;
};

/* How the envelope was learned: given by the MTA / user, or read from
 * the message's own Return-Path and Received fields (batch mode, clearly
 * less trustworthy). */
enum inkan_verify_source {
	INKAN_VERIFY_ENV_NONE = 0,
	INKAN_VERIFY_ENV_GIVEN,
	INKAN_VERIFY_ENV_INFERRED,
};

struct inkan_verify_envelope {
	bool has_ip;
	struct inkan_ip ip;
	const char *helo;		/* NULL = unknown */
	/* MAIL FROM address without angle brackets; "" or "<>" = the null
	 * reverse-path (SPF then checks the HELO identity, RFC 7208 §2.4);
	 * NULL = unknown. */
	const char *mail_from;
	enum inkan_verify_source source;
};

struct inkan_verify_result {
	struct inkan_verify_envelope env;

	/* SPF: evaluated only with a client IP and a MAIL FROM or HELO. */
	bool spf_evaluated;
	const char *spf_skipped;	/* why not, when not evaluated */
	struct inkan_spf_result spf;

	struct inkan_dkim_results dkim;

	bool arc_evaluated;
	struct inkan_arc_results arc;

	struct inkan_dmarc_from from;
	struct inkan_dmarc_eval dmarc;

	/* What to do with the message: DMARC's disposition (none when DMARC
	 * passed or has no policy), or opts.bad_from for an unusable From. */
	enum inkan_dmarc_policy disposition;
	const char *disposition_reason;

	/* Our Authentication-Results: parsed form, field value (folded for
	 * a header, no CRLF), and the whole field with CRLF to prepend. */
	struct inkan_authres ar;
	const char *authres;
	const char *authres_field;

	/* Authentication-Results fields claiming our authserv-id: their
	 * 1-based positions among the message's Authentication-Results
	 * fields (what smfi_chgheader wants), top first. */
	size_t nforged;
	const unsigned *forged;
};

struct inkan_verify;

/* A session for one message.  r, a and the strings in o are borrowed and
 * must outlive the session.  Returns 0, INKAN_EINVAL (no authserv_id) or
 * INKAN_ENOMEM. */
int inkan_verify_new(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_verify_opts *o, struct inkan_verify **out);
/* Free the session's non-arena state; NULL is a no-op.  Results stay
 * valid (they live in the arena). */
void inkan_verify_free(struct inkan_verify *v);
/* The envelope (copied), before the first header field. */
int inkan_verify_envelope(struct inkan_verify *v, const struct inkan_verify_envelope *env);
/* One header field, raw "Name: value" with folding, with or without the
 * final CRLF.  Returns 0, INKAN_ENOMEM, INKAN_ELIMIT / INKAN_ETOOBIG
 * (header limits), INKAN_EINVAL (after the header). */
int inkan_verify_header(struct inkan_verify *v, const char *raw, size_t len);
/* Body bytes with CRLF line ends. */
int inkan_verify_body(struct inkan_verify *v, const char *p, size_t n);
/* Finish and fill *out.  Returns 0, INKAN_ENOMEM, or INKAN_EAGAIN from a
 * cache-only resolver (re-run the whole message once answered). */
int inkan_verify_end(struct inkan_verify *v, struct inkan_verify_result *out);

/* A whole message in memory (any line endings); env may be NULL. */
int inkan_verify_message(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_verify_opts *o, const struct inkan_verify_envelope *env,
    const char *msg, size_t len, struct inkan_verify_result *out);

/* The envelope as the message itself tells it, for mail read from a
 * mailbox: MAIL FROM from the last-added (topmost) Return-Path, client IP
 * and HELO from the topmost Received field's "from HELO (... [IP])"
 * clause.  Fields not found stay unknown.  source is
 * INKAN_VERIFY_ENV_INFERRED when anything was found.  Strings in a. */
int inkan_verify_infer_envelope(struct inkan_arena *a, const char *msg, size_t len,
    struct inkan_verify_envelope *out);

#endif
