/* dkim.h - DomainKeys Identified Mail: verify and sign.
 *
 * RFC 6376 (DKIM), RFC 8463 (ed25519-sha256), RFC 8301 (rsa-sha1 and keys
 * under 1024 bits are not acceptable).  Crypto is OpenSSL 3 EVP.
 *
 * Verify: a session per message, created over a resolver (dns.h).  Feed it
 * the header fields, then the body in chunks, then end; every
 * DKIM-Signature field gets a result with a reason a human understands.
 * Keys are fetched as TXT at <s>._domainkey.<d> through the resolver.  A
 * key cache (struct inkan_dkim_keycache), shared by many sessions, keeps
 * decoded public keys by key text so that a busy verifier does not decode
 * the same key for every message.
 *
 * Sign: a session over one or more private keys produces one
 * DKIM-Signature per key in one pass over the body; the caller prepends
 * the returned fields to the message.
 *
 * Results, strings and fields live in the arena given to the session.
 */
#ifndef INKAN_DKIM_H
#define INKAN_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/buf.h"

struct inkan_arena;
struct inkan_resolver;
struct inkan_msg_field;

/* ---- results ---- */

enum inkan_dkim_result {
	INKAN_DKIM_NONE = 0,	/* no signature (message-level only) */
	INKAN_DKIM_PASS,
	INKAN_DKIM_FAIL,	/* crypto failed, or unacceptable per RFC 8301 */
	INKAN_DKIM_NEUTRAL,	/* not verified: over the signature limit */
	INKAN_DKIM_POLICY,	/* verifies, but local policy refuses it */
	INKAN_DKIM_TEMPERROR,	/* key could not be fetched now (DNS) */
	INKAN_DKIM_PERMERROR,	/* malformed signature or key, no key, ... */
};

/* "none", "pass", "fail", "neutral", "policy", "temperror", "permerror"
 * (the RFC 8601 result names). */
const char *inkan_dkim_result_name(enum inkan_dkim_result r);

enum inkan_dkim_canon {
	INKAN_DKIM_SIMPLE = 0,
	INKAN_DKIM_RELAXED = 1,
};

/* The result for one DKIM-Signature field.  Strings are NUL-terminated in
 * the session's arena; those of tags the signature lacks are NULL. */
struct inkan_dkim_sig_result {
	enum inkan_dkim_result result;
	/* Why, for everything but pass: "body hash mismatch", "signature
	 * mismatch", "key revoked", "key too short (512 bits; RFC 8301 needs
	 * 1024)", "rsa-sha1 not allowed (RFC 8301)", "DNS timeout fetching
	 * key", "signature expired", ...  NULL for pass. */
	const char *reason;
	const char *d;		/* signing domain */
	const char *s;		/* selector */
	const char *a;		/* algorithm as written ("rsa-sha256") */
	const char *i;		/* AUID, or "@d" when i= is absent */
	/* First 8 characters of b= without whitespace, for the header.b
	 * property of Authentication-Results (RFC 6008). */
	const char *b_prefix;
	enum inkan_dkim_canon hdr_canon, body_canon;
	int64_t t;		/* t=, or -1 */
	int64_t x;		/* x=, or -1 */
	/* Key: "rsa" / "ed25519" (NULL if none was fetched), its size in
	 * bits, and t=y (testing mode, RFC 6376 §3.6.1). */
	const char *key_type;
	unsigned key_bits;
	bool key_testing;
	/* l=: whether present, its value, the canonicalised body length,
	 * and how many canonical body bytes it left unsigned (0 without l=). */
	bool has_l;
	uint64_t l;
	uint64_t body_len;
	uint64_t unsigned_bytes;
	/* The raw field (name and value, folded, without the final CRLF). */
	struct inkan_slice field;
};

struct inkan_dkim_results {
	size_t n;			/* signatures found (all of them) */
	struct inkan_dkim_sig_result *sigs;	/* in header order, top first */
	/* INKAN_DKIM_PASS if any passed, else the first signature's result,
	 * INKAN_DKIM_NONE when there is none. */
	enum inkan_dkim_result overall;
};

/* ---- key cache ---- */

struct inkan_dkim_keycache;

/* A cache of decoded public keys keyed by (type, p= text), holding at most
 * max entries (0 = INKAN_DKIM_KEYCACHE_MAX); the least recently used goes
 * first.  Not thread-safe: one per thread.  Returns 0 or INKAN_ENOMEM. */
int inkan_dkim_keycache_new(size_t max, struct inkan_dkim_keycache **out);
void inkan_dkim_keycache_free(struct inkan_dkim_keycache *c);
/* Lookups answered from the cache and not. */
void inkan_dkim_keycache_stats(const struct inkan_dkim_keycache *c, unsigned long *hits,
    unsigned long *misses);

/* ---- verify ---- */

struct inkan_dkim_verify_opts {
	/* Current time (seconds since the epoch) for x= and t=; 0 = time(). */
	int64_t now;
	/* Tolerance for t= in the future and x= in the past, seconds;
	 * negative = INKAN_DKIM_DEFAULT_CLOCK_SKEW. */
	int clock_skew;
	/* Signatures verified per message; 0 = INKAN_DKIM_MAX_SIGNATURES.
	 * The rest are reported as neutral "not verified: signature limit". */
	unsigned max_signatures;
	/* Smallest RSA key accepted; 0 = INKAN_DKIM_MIN_RSA_BITS (RFC 8301). */
	unsigned min_rsa_bits;
	/* Accept rsa-sha1 (RFC 8301 says no; only for studying old mail). */
	bool allow_sha1;
	/* Shared key cache (borrowed), or NULL for none. */
	struct inkan_dkim_keycache *keycache;
};

struct inkan_dkim_verify;

/* A verify session for one message.  r (borrowed) answers key queries; a
 * (borrowed) holds the session and its results; o may be NULL (defaults).
 * Returns 0, INKAN_EINVAL or INKAN_ENOMEM. */
int inkan_dkim_verify_new(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dkim_verify_opts *o, struct inkan_dkim_verify **out);
/* Free the session's crypto state and field index (the rest is in the
 * arena).  Call it even after inkan_dkim_verify_end; NULL is a no-op.
 * The results stay valid: they live in the arena. */
void inkan_dkim_verify_free(struct inkan_dkim_verify *v);
/* One header field, in message order: raw bytes "Name: value" with its
 * folding, with or without the final CRLF (bare LF is accepted as line
 * end and turned into CRLF).  The bytes are copied.  Returns 0,
 * INKAN_ENOMEM, INKAN_ELIMIT (more than INKAN_MSG_MAX_FIELDS fields) or
 * INKAN_EINVAL (called after the header ended). */
int inkan_dkim_verify_header(struct inkan_dkim_verify *v, const char *raw, size_t len);
/* Same from a parsed field (msg.h). */
int inkan_dkim_verify_field(struct inkan_dkim_verify *v, const struct inkan_msg_field *f);
/* End of header: the signatures are parsed, keys fetched, header hashes
 * computed.  Called implicitly by the first body chunk or by end. */
int inkan_dkim_verify_header_end(struct inkan_dkim_verify *v);
/* Body bytes, CRLF line ends (as the milter and msg.h give them). */
int inkan_dkim_verify_body(struct inkan_dkim_verify *v, const char *p, size_t n);
/* End of message: finish body hashes, verify, fill *out (valid while the
 * arena lives).  Returns 0 or INKAN_ENOMEM / INKAN_EAGAIN (cache-only
 * resolver missed: re-run the message once the key is cached). */
int inkan_dkim_verify_end(struct inkan_dkim_verify *v, struct inkan_dkim_results *out);

/* Verify a whole message (any line endings) in one call; results in a.
 * Errors as the above, plus inkan_msg_feed's. */
int inkan_dkim_verify_message(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dkim_verify_opts *o, const char *msg, size_t len,
    struct inkan_dkim_results *out);

/* ---- parsed signatures and key records (also for tools and fuzzing) ---- */

struct inkan_dkim_sig {
	int version;			/* v= (1) */
	const char *a;			/* algorithm text */
	int alg;			/* INKAN_DKIM_ALG_* */
	const char *d, *s, *i;		/* i defaults to "@d" */
	enum inkan_dkim_canon hdr_canon, body_canon;
	const char **h;			/* h= names, lowercased, in order */
	size_t nh;
	uint8_t *bh;			/* decoded bh= */
	size_t bhlen;
	uint8_t *b;			/* decoded b= */
	size_t blen;
	const char *b_text;		/* b= without whitespace */
	bool has_l;
	uint64_t l;
	int64_t t, x;			/* -1 when absent */
	const char *q;			/* q= or NULL */
	const char *z;			/* z= or NULL */
};

enum {
	INKAN_DKIM_ALG_UNKNOWN = 0,
	INKAN_DKIM_ALG_RSA_SHA256,
	INKAN_DKIM_ALG_RSA_SHA1,
	INKAN_DKIM_ALG_ED25519_SHA256,
};

/* Parse a DKIM-Signature value (after the colon, folding allowed) per RFC
 * 6376 §3.5.  Returns 0, INKAN_EMALFORMED with *why (static text) set,
 * or INKAN_ENOMEM.  An unknown algorithm parses (alg UNKNOWN); missing
 * required tags, duplicate tags, bad base64, i= outside d=, x= before t=
 * do not.  why may be NULL. */
int inkan_dkim_sig_parse(struct inkan_arena *a, const char *value, size_t len,
    struct inkan_dkim_sig *out, const char **why);

struct inkan_dkim_keyrec {
	const char *v;			/* NULL or "DKIM1" */
	const char *k;			/* "rsa" default, "ed25519" */
	const char *h;			/* acceptable hashes, or NULL = any */
	const char *s;			/* service types, or NULL = "*" */
	const char *n;			/* notes */
	bool testing;			/* t=y */
	bool strict;			/* t=s: i= domain must equal d= */
	bool revoked;			/* p= empty */
	uint8_t *p;			/* decoded p= */
	size_t plen;
	const char *p_text;		/* p= without whitespace */
};

/* Parse a key record (RFC 6376 §3.6.1).  Returns 0, INKAN_EMALFORMED
 * with *why, or INKAN_ENOMEM. v= other than DKIM1, or not first, and a
 * missing p= are malformed. */
int inkan_dkim_key_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_dkim_keyrec *out, const char **why);

/* ---- canonicalization (RFC 6376 §3.4), exposed for tests and tools ---- */

/* Canonical form of one header field (raw "Name: value", no final CRLF
 * needed) into b, with the final CRLF.  Returns b->err. */
int inkan_dkim_canon_header(enum inkan_dkim_canon c, const char *raw, size_t len,
    struct inkan_buf *b);
/* Canonical form of a whole body (CRLF line ends) into b. */
int inkan_dkim_canon_body(enum inkan_dkim_canon c, const char *body, size_t len,
    struct inkan_buf *b);

/* ---- private keys ---- */

struct inkan_dkim_key;

/* Allow a key file readable by group or others (refused by default, as
 * OpenDKIM does). */
#define INKAN_DKIM_KEY_INSECURE	0x1

/* Load a private key (RSA or Ed25519; PEM, PKCS#8 or traditional RSA).
 * Returns 0, INKAN_EIO (cannot read), INKAN_EINVAL (file mode too open;
 * *why says so), INKAN_EMALFORMED (not a key), INKAN_EUNSUPPORTED (other
 * key type) or INKAN_ENOMEM.  *why (static) may be NULL on success. */
int inkan_dkim_key_load_file(const char *path, unsigned flags, struct inkan_dkim_key **out,
    const char **why);
/* Same from PEM text in memory. */
int inkan_dkim_key_load_pem(const char *pem, size_t len, struct inkan_dkim_key **out,
    const char **why);
/* An Ed25519 key from its 32-byte seed (RFC 8032 secret key). */
int inkan_dkim_key_from_ed25519_seed(const uint8_t seed[32], struct inkan_dkim_key **out);
/* Generate a key: type "rsa" (bits 1024..8192, 0 = 2048) or "ed25519". */
int inkan_dkim_key_generate(const char *type, unsigned bits, struct inkan_dkim_key **out);
void inkan_dkim_key_free(struct inkan_dkim_key *k);
/* "rsa" or "ed25519", and size in bits. */
const char *inkan_dkim_key_type(const struct inkan_dkim_key *k);
unsigned inkan_dkim_key_bits(const struct inkan_dkim_key *k);
/* The private key as PKCS#8 PEM, in a.  NULL when out of memory. */
char *inkan_dkim_key_private_pem(const struct inkan_dkim_key *k, struct inkan_arena *a);
/* The key record "v=DKIM1; k=rsa; p=..." for the public half, in a. */
char *inkan_dkim_key_record(const struct inkan_dkim_key *k, struct inkan_arena *a);

/* ---- sign ---- */

struct inkan_dkim_sign_opts {
	const char *domain;		/* d=, required */
	const char *selector;		/* s=, required (or per key, below) */
	/* Per key selectors (same count as keys), overriding selector. */
	const char *const *selectors;
	enum inkan_dkim_canon hdr_canon, body_canon;	/* default simple/simple (0) */
	/* Header field names to sign, NULL-terminated; NULL = the default
	 * list (From, To, Cc, Subject, Date, Reply-To, Message-ID,
	 * In-Reply-To, References, MIME-Version, Content-Type,
	 * Content-Transfer-Encoding, List-*, ...).  With oversign, each
	 * listed name is added to h= once more than it occurs, so that a
	 * field added later breaks the signature (RFC 6376 §8.15).  From is
	 * always signed. */
	const char *const *headers;
	bool no_oversign;		/* sign only the fields present */
	const char *identity;		/* i=, or NULL */
	/* t=: 0 = time(); -1 = no t=. */
	int64_t timestamp;
	/* x= = t + expire seconds; 0 = no x=. */
	int64_t expire;
	bool body_length;		/* add l= (never by default) */
	/* Testing: an exact DKIM-Signature value with "bh=" and "b=" empty
	 * (or "bh=" already right); the signer fills bh= and b= and keeps
	 * every other byte, so that published examples can be reproduced. */
	const char *template_value;
};

struct inkan_dkim_sign;

/* A sign session: keys (borrowed, nkeys >= 1) in the order the signatures
 * are wanted; o is copied (its strings are borrowed).  Returns 0,
 * INKAN_EINVAL (no domain or selector, nkeys 0, i= not within d=, a
 * template that does not parse or whose a= does not fit the key; a
 * template needs exactly one key) or INKAN_ENOMEM. */
int inkan_dkim_sign_new(struct inkan_arena *a, struct inkan_dkim_key *const *keys,
    size_t nkeys, const struct inkan_dkim_sign_opts *o, struct inkan_dkim_sign **out);
void inkan_dkim_sign_free(struct inkan_dkim_sign *s);
/* Header fields, body chunks and end, as for verify. */
int inkan_dkim_sign_header(struct inkan_dkim_sign *s, const char *raw, size_t len);
int inkan_dkim_sign_body(struct inkan_dkim_sign *s, const char *p, size_t n);
/* Finish: *fields gets one "DKIM-Signature: ...\r\n" per key (folded at
 * about 78 columns, CRLF line ends), concatenated, NUL-terminated, in the
 * arena: prepend it to the message.  INKAN_EINVAL with *why = "message
 * has no From field" when there is none (RFC 6376 §5.4 requires signing
 * From); why may be NULL. */
int inkan_dkim_sign_end(struct inkan_dkim_sign *s, const char **fields, const char **why);

/* Sign a whole message (any line endings) in one call. */
int inkan_dkim_sign_message(struct inkan_arena *a, struct inkan_dkim_key *const *keys,
    size_t nkeys, const struct inkan_dkim_sign_opts *o, const char *msg, size_t len,
    const char **fields, const char **why);

#endif
