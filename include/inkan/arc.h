/* arc.h - Authenticated Received Chain (RFC 8617): validate and seal.
 *
 * An intermediary (a mailing list, a forwarder) that changes a message
 * breaks its DKIM signatures; ARC lets it record what it saw.  Each hop
 * adds an "ARC set" of three header fields with the same instance i=N:
 *   ARC-Authentication-Results (AAR)  the hop's authentication results,
 *   ARC-Message-Signature (AMS)       a DKIM-like signature of the message,
 *   ARC-Seal (AS)                     a signature over all ARC sets 1..N,
 *                                     with cv= the chain status the hop saw.
 * RFC 8617 is experimental and being moved to Historic, but Gmail and
 * Microsoft still seal: we validate every chain, and seal on request.
 *
 * Validation (§5.2) gives the chain validation status cv: none (no ARC
 * sets), pass, or fail, with the first reason in the RFC's order:
 * structure (one AAR, AMS and AS per instance, instances 1..N without
 * gaps, at most INKAN_ARC_MAX_INSTANCES), the newest seal's cv=fail, the
 * cv= of each seal (none for i=1, pass above), the newest AMS, then every
 * seal from N down to 1.  The older AMSes are checked too, for the
 * optional "oldest-pass" of §5.2 step 5; they do not change cv.
 *
 * Sealing (§5.1) adds the set N+1 to a message we forward: an AAR from
 * the caller's results (or the message's own Authentication-Results for
 * our authserv-id), an AMS over the message, and an AS over the chain.
 *
 * Algorithms.  RFC 8617 names only rsa-sha256.  Verification also accepts
 * ed25519-sha256 (RFC 8463 registered it for DKIM, whose a= syntax and
 * key records ARC reuses; mail-auth seals with it, dkimpy refuses it);
 * inkan_arc_verify_opts.rsa_only refuses it as dkimpy does.  rsa-sha1 is
 * a fail (RFC 8301); keys under 1024 bits too.  Sealing is rsa-sha256.
 *
 * Both sessions are fed like the DKIM ones (dkim.h): header fields, body
 * chunks, end.  Keys come from <s>._domainkey.<d> through the resolver,
 * and the DKIM key cache can be shared.  Results and fields live in the
 * arena given to the session.
 */
#ifndef INKAN_ARC_H
#define INKAN_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/buf.h"
#include "inkan/dkim.h"

struct inkan_arena;
struct inkan_resolver;
struct inkan_msg_field;

/* ---- results ---- */

enum inkan_arc_cv {
	INKAN_ARC_NONE = 0,	/* no ARC sets */
	INKAN_ARC_PASS,
	INKAN_ARC_FAIL,
};

/* "none", "pass", "fail" (the cv= values and the RFC 8601 arc= results). */
const char *inkan_arc_cv_name(enum inkan_arc_cv cv);

/* One ARC set.  Strings are NUL-terminated in the session's arena; those
 * the set lacks (or that could not be read) are NULL. */
struct inkan_arc_set {
	unsigned i;		/* instance, 1..n */
	const char *as_d, *as_s;	/* d= and s= of the ARC-Seal */
	const char *ams_d, *ams_s;	/* d= and s= of the ARC-Message-Signature */
	const char *cv;		/* cv= as written in this set's ARC-Seal */
	/* PASS, FAIL, PERMERROR (malformed, no key ...), TEMPERROR (key
	 * fetch failed now), or NEUTRAL: not checked, because the chain
	 * failed before this signature mattered. */
	enum inkan_dkim_result ams_result, as_result;
	/* Why the AMS or AS did not pass ("AMS: body hash mismatch; AS:
	 * ..."); NULL when both passed. */
	const char *reason;
	/* The AAR payload after "i=N;": trimmed, each line break with the
	 * WSP around it made one SP ("example.org; spf=pass ..."), or NULL
	 * when the set has no readable AAR. */
	const char *aar;
};

struct inkan_arc_results {
	enum inkan_arc_cv cv;
	/* For none and fail, the first reason in RFC 8617 §5.2 order: "no
	 * ARC sets", "ARC set 2 has no ARC-Message-Signature", "ARC-Seal i=1
	 * has cv=pass (must be none)", "newest ARC-Seal (i=3) has cv=fail",
	 * "AMS of instance 2: body hash mismatch", "ARC-Seal of instance 1:
	 * signature mismatch" ...  NULL for pass. */
	const char *reason;
	size_t n;			/* number of sets (highest instance) */
	struct inkan_arc_set *sets;	/* sets[0] is i=1; NULL when n is 0 */
	/* RFC 8617 §5.2 step 5: the lowest instance from which every AMS up
	 * to n validates, or 0 when all of them do.  Set for cv=pass only
	 * (0 otherwise). */
	int oldest_pass;
	/* cv is fail only because a key could not be fetched now (DNS
	 * timeout, SERVFAIL): a receiver may prefer to defer the message,
	 * and should not seal it with cv=fail (§5.1.2 is for broken chains,
	 * not for our DNS trouble). */
	bool temperror;
};

/* ---- validation ---- */

struct inkan_arc_verify_opts {
	/* Current time for t= and x= (seconds); 0 = time(). */
	int64_t now;
	/* Shared DKIM key cache (borrowed), or NULL. */
	struct inkan_dkim_keycache *keycache;
	/* Refuse ed25519-sha256 (RFC 8617 names only rsa-sha256), as dkimpy
	 * does; by default it is accepted. */
	bool rsa_only;
};

struct inkan_arc_verify;

/* A validation session for one message.  r and a are borrowed; o may be
 * NULL.  Returns 0, INKAN_EINVAL or INKAN_ENOMEM. */
int inkan_arc_verify_new(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_arc_verify_opts *o, struct inkan_arc_verify **out);
/* Free the crypto state and field index (the results stay: arena).
 * NULL is a no-op. */
void inkan_arc_verify_free(struct inkan_arc_verify *v);
/* One header field, raw ("Name: value" with folding, final CRLF optional,
 * bare LF accepted), in message order; copied.  Returns 0, INKAN_ENOMEM,
 * INKAN_ELIMIT / INKAN_ETOOBIG (msg.h limits), INKAN_EINVAL (after the
 * header ended). */
int inkan_arc_verify_header(struct inkan_arc_verify *v, const char *raw, size_t len);
/* Same from a parsed field (msg.h). */
int inkan_arc_verify_field(struct inkan_arc_verify *v, const struct inkan_msg_field *f);
/* End of header: sets are collected, signatures parsed, keys fetched and
 * header hashes checked.  Implied by the first body chunk or by end. */
int inkan_arc_verify_header_end(struct inkan_arc_verify *v);
/* Body bytes, CRLF line ends. */
int inkan_arc_verify_body(struct inkan_arc_verify *v, const char *p, size_t n);
/* End of message: fill *out (valid while the arena lives).  Returns 0,
 * INKAN_ENOMEM, or INKAN_EAGAIN (a cache-only resolver missed a key:
 * re-run the message when the answers are cached). */
int inkan_arc_verify_end(struct inkan_arc_verify *v, struct inkan_arc_results *out);
/* A whole message (any line endings) in one call. */
int inkan_arc_verify_message(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_arc_verify_opts *o, const char *msg, size_t len,
    struct inkan_arc_results *out);

/* ---- sealing ---- */

struct inkan_arc_seal_opts {
	const char *domain, *selector;	/* d= and s= of AMS and AS; required */
	const char *authserv_id;	/* our authserv-id, for the AAR; required */
	/* AMS h= names, NULL-terminated: each is signed as often as the
	 * field occurs (From always; never ARC-Seal, refused with
	 * INKAN_EINVAL).  NULL = the DKIM default list (dkim.h) without
	 * oversigning, plus every DKIM-Signature field (RFC 8617 §4.1.2
	 * recommends signing them). */
	const char *const *headers;
	int64_t timestamp;		/* t=; 0 = time(), negative = no t= */
	/* AMS c=.  With use_canon false (the zero default) the AMS is
	 * relaxed/relaxed whatever these say; set use_canon to use them
	 * (INKAN_DKIM_SIMPLE is 0, so a zeroed struct cannot mean relaxed
	 * otherwise). */
	enum inkan_dkim_canon hdr_canon, body_canon;
	bool use_canon;
};

struct inkan_arc_seal;

/* A sealing session.  key (borrowed) must be RSA: rsa-sha256 is the only
 * ARC algorithm (INKAN_EUNSUPPORTED for Ed25519).  o is copied, its
 * strings borrowed.  INKAN_EINVAL: a required option missing, or domain,
 * selector or authserv-id with characters they cannot hold (whitespace,
 * ';', controls), or ARC-Seal in headers.  INKAN_ENOMEM. */
int inkan_arc_seal_new(struct inkan_arena *a, struct inkan_dkim_key *key,
    const struct inkan_arc_seal_opts *o, struct inkan_arc_seal **out);
void inkan_arc_seal_free(struct inkan_arc_seal *s);
/* Header fields and body chunks, as for verification. */
int inkan_arc_seal_header(struct inkan_arc_seal *s, const char *raw, size_t len);
int inkan_arc_seal_body(struct inkan_arc_seal *s, const char *p, size_t n);
/* Finish.  cv is the status of the incoming chain (the caller ran
 * inkan_arc_verify over the same message).  authres is the AAR results
 * after the authserv-id, e.g. "arc=pass; spf=pass smtp.mailfrom=a.example;
 * dkim=pass header.d=a.example" (a leading "<authserv_id>;" is accepted
 * and dropped; line breaks are unfolded); the AAR becomes "i=N;
 * <authserv_id>; <authres>".  authres NULL: the results of every
 * Authentication-Results field of the message whose authserv-id is ours,
 * in order, one per line (the ValiMail suite's consolidation), or "none"
 * when there is none.
 *
 * *fields gets "ARC-Seal: ...\r\nARC-Message-Signature: ...\r\n
 * ARC-Authentication-Results: ...\r\n" (arena, NUL-terminated) to prepend
 * to the message.  Tags are in alphabetical order and lines are broken
 * only between tags, never inside b=, bh= or h= (the ValiMail suite's
 * layout, which makes its expected signatures reproducible).
 *
 * cv fail: the new seal has cv=fail and covers only the new set (RFC 8617
 * §5.1.2).  A chain whose newest seal already says cv=fail is not sealed
 * again (§5.1 step 1): returns 0 with *fields "" and *why saying so.
 * Errors: INKAN_ELIMIT when the set would be number 51 or more (§4.2.1;
 * *why), INKAN_EINVAL when cv does not fit the message (none with ARC sets
 * present, pass without any or with a chain that is not well formed; *why),
 * INKAN_ENOMEM.  why may be NULL. */
int inkan_arc_seal_end(struct inkan_arc_seal *s, enum inkan_arc_cv cv, const char *authres,
    const char **fields, const char **why);
/* Seal a whole message (any line endings) in one call. */
int inkan_arc_seal_message(struct inkan_arena *a, struct inkan_dkim_key *key,
    const struct inkan_arc_seal_opts *o, enum inkan_arc_cv cv, const char *authres,
    const char *msg, size_t len, const char **fields, const char **why);

/* ---- the ARC header field parsers (also for tools and fuzzing) ---- */

struct inkan_arc_sig {
	unsigned i;			/* instance, 1..INKAN_ARC_MAX_INSTANCES */
	enum inkan_arc_cv cv;		/* ARC-Seal: cv= */
	const char *cv_text;		/* ARC-Seal: cv= as written */
	/* The DKIM-like tags (a, b, d, s, t, x; for an AMS also h, bh, c,
	 * l).  sig.i is "@d": ARC has no AUID. */
	struct inkan_dkim_sig sig;
};

/* Parse an ARC-Message-Signature value (after the colon; RFC 8617
 * §4.1.2): DKIM-Signature syntax without v=, with i= the instance; h=
 * must not name ARC-Seal.  Returns 0, INKAN_EMALFORMED with *why (static
 * text) or INKAN_ENOMEM.  On error out->i is the instance if it could be
 * read, else 0.  why may be NULL. */
int inkan_arc_ams_parse(struct inkan_arena *a, const char *value, size_t len,
    struct inkan_arc_sig *out, const char **why);
/* Parse an ARC-Seal value (§4.1.3): a, b, cv, d, i, s required, t
 * optional, no h=; cv is none, pass or fail.  As above. */
int inkan_arc_as_parse(struct inkan_arena *a, const char *value, size_t len,
    struct inkan_arc_sig *out, const char **why);
/* Read the instance of an ARC-Authentication-Results value (§4.1.1:
 * [CFWS] "i" [CFWS] "=" [CFWS] 1*2DIGIT [CFWS] ";" then the RFC 8601
 * payload).  Sets *i and *payload (the rest after the ';', a slice of
 * value).  Returns 0 or INKAN_EMALFORMED with *why (static); an instance
 * over INKAN_ARC_MAX_INSTANCES is an error that leaves *i set, others
 * leave it 0. */
int inkan_arc_aar_parse(const char *value, size_t len, unsigned *i,
    struct inkan_slice *payload, const char **why);

#endif
