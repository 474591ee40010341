/* dkim_int.h - shared between the files of lib/dkim; not installed. */
#ifndef INKAN_DKIM_INT_H
#define INKAN_DKIM_INT_H

#include <openssl/evp.h>

#include "inkan/buf.h"
#include "inkan/dkim.h"

struct inkan_arena;
struct inkan_msg_field;
struct inkan_resolver;

/* Base64 (RFC 4648 §4) with FWS allowed anywhere (RFC 6376 §2.10/§3.5).
 * Returns the decoded bytes in a (NUL-padded, *outlen set), or NULL with
 * *bad set when the text is not base64, or on ENOMEM (*bad false). */
uint8_t *inkan__b64_decode(struct inkan_arena *a, const char *s, size_t n, size_t *outlen,
    bool *bad);
/* Encoding into the arena, NUL-terminated; NULL on ENOMEM. */
char *inkan__b64_encode(struct inkan_arena *a, const uint8_t *p, size_t n);
/* s[0..n) without SP, HTAB, CR, LF, NUL-terminated in a. */
char *inkan__strip_fws(struct inkan_arena *a, const char *s, size_t n);

/* A streaming body canonicalizer feeding one digest, with l= applied
 * (canon.c explains how).  Canonical bytes are batched into out[] and
 * given to the digest INKAN__BODYC_BATCH bytes at a time; out[] has room
 * for 64 bytes of vector stores past that. */
#define INKAN__BODYC_BATCH 8192
struct inkan__bodyc {
	enum inkan_dkim_canon canon;
	EVP_MD_CTX *md;
	uint64_t limit;		/* hash at most this many bytes (l=), UINT64_MAX = all */
	uint64_t hashed;	/* bytes given to the digest */
	uint64_t total;		/* canonical body length */
	uint64_t crlf_pending;	/* empty lines withheld (RFC 6376 §3.4.3/§3.4.4) */
	bool cr;		/* a CR seen, waiting for its LF */
	bool wsp;		/* relaxed: WSP withheld */
	bool any;		/* any content emitted */
	struct inkan_buf *capture;	/* instead of md, for inkan_dkim_canon_body */
	size_t olen;
	char out[INKAN__BODYC_BATCH + 64];
};

/* md is owned by the caller (initialised with the hash already). */
void inkan__bodyc_init(struct inkan__bodyc *b, enum inkan_dkim_canon c, EVP_MD_CTX *md,
    uint64_t limit);
int inkan__bodyc_feed(struct inkan__bodyc *b, const char *p, size_t n);
int inkan__bodyc_end(struct inkan__bodyc *b);

/* Header field canonicalization into b (with final CRLF unless nocrlf). */
int inkan__canon_header(enum inkan_dkim_canon c, const char *raw, size_t len, bool nocrlf,
    struct inkan_buf *b);

/* Signature parse modes (flags of inkan__sig_parse). */
#define INKAN__SIG_TMPL	0x1	/* template: empty b= and bh= accepted */
/* ARC-Message-Signature (RFC 8617 §4.1.2): no v=; i= is the instance (left
 * to the ARC code; out->i is "@d"); h= may be empty and need not name
 * From, but must not name ARC-Seal. */
#define INKAN__SIG_AMS	0x2
/* ARC-Seal (RFC 8617 §4.1.3): a, b, d, s required; no v=, h=, bh=, c=,
 * l= (ignored here: the ARC code refuses h=); relaxed header canon. */
#define INKAN__SIG_AS	0x4

/* Internal signature parse of a field value, or of a tag list already
 * split (the ARC code reads i= and cv= from it first). */
int inkan__sig_parse(struct inkan_arena *a, const char *value, size_t len, unsigned flags,
    struct inkan_dkim_sig *out, const char **why);
struct inkan_taglist;
int inkan__sig_parse_tl(struct inkan_arena *a, const struct inkan_taglist *tl, unsigned flags,
    struct inkan_dkim_sig *out, const char **why);

/* Offsets of the b= value in a DKIM-Signature value: from just after '='
 * to the next ';' or the end.  Returns false if there is no b= tag. */
bool inkan__find_tag(const char *value, size_t len, const char *name, size_t *start,
    size_t *end);
bool inkan__find_b(const char *value, size_t len, size_t *start, size_t *end);

/* Decode a public key of type k ("rsa" / "ed25519") from p; NULL if it is
 * not one.  The caller frees. */
EVP_PKEY *inkan__pubkey_decode(const char *k, const uint8_t *p, size_t plen);
/* Cache lookup / insert (pkey ownership moves to the cache on insert; the
 * returned key is borrowed while the cache lives).  *vctx is set to the
 * entry's slot for a reusable rsa-sha256 verify context (owned by the
 * cache, NULL until the verifier makes one). */
EVP_PKEY *inkan__keycache_get(struct inkan_dkim_keycache *c, const char *k, const char *ptext,
    EVP_PKEY_CTX ***vctx);
EVP_PKEY *inkan__keycache_put(struct inkan_dkim_keycache *c, const char *k, const char *ptext,
    EVP_PKEY *pk, EVP_PKEY_CTX ***vctx);

int inkan__key_parse(struct inkan_arena *a, const char *txt, size_t len, bool decode_p,
    struct inkan_dkim_keyrec *out, const char **why);
/* SHA-256 / SHA-1, fetched once per process. */
const EVP_MD *inkan__sha256(void);
const EVP_MD *inkan__sha1(void);
bool inkan__keyrec_hash_ok(const struct inkan_dkim_keyrec *k, const char *hash);
bool inkan__keyrec_service_ok(const struct inkan_dkim_keyrec *k);
EVP_PKEY *inkan__key_pkey(const struct inkan_dkim_key *k);
/* Ed25519 (pure, RFC 8032) with libsodium: sign m with an Ed25519 key
 * (0 or INKAN_E*), verify a signature with a public key. */
int inkan__ed25519_sign(const struct inkan_dkim_key *k, const uint8_t *m, size_t mlen,
    uint8_t sig[64]);
bool inkan__ed25519_verify(EVP_PKEY *pk, const uint8_t *sig, size_t siglen, const uint8_t *m,
    size_t mlen);

/* One header field as the signer and the verifier keep it: bare LF made
 * CRLF, without the final CRLF, NUL-terminated, with its name (trailing
 * WSP before the colon dropped; empty when there is no colon, so it never
 * matches an h= entry). */
struct inkan__dkim_field {
	const char *raw;
	size_t len;
	struct inkan_slice name;
};

/* Append a field of the message parser (CRLF-normalised, living as long as
 * the caller needs it) without copying it.  INKAN_ELIMIT past
 * INKAN_MSG_MAX_FIELDS, INKAN_ENOMEM. */
int inkan__dkim_field_borrow(struct inkan__dkim_field **f, size_t *n, size_t *cap,
    const struct inkan_msg_field *mf);

/* ---- pieces of verification and signing shared with ARC (RFC 8617) ---- */

/* What a key fetch needs: resolver and arena (borrowed), the key cache
 * (may be NULL), the smallest RSA key accepted.  err is sticky: set to
 * INKAN_EAGAIN (cache-only resolver missed) or INKAN_ENOMEM. */
struct inkan__keyfetch {
	struct inkan_resolver *r;
	struct inkan_arena *a;
	struct inkan_dkim_keycache *cache;
	unsigned min_rsa_bits;
	int err;
};

/* The outcome of one key fetch.  pk is NULL when the key cannot be used,
 * with result (FAIL, PERMERROR, TEMPERROR) and reason saying why. */
struct inkan__key {
	EVP_PKEY *pk;		/* borrowed from the cache, or == owned */
	EVP_PKEY *owned;	/* freed by inkan__dkim_key_release */
	EVP_PKEY_CTX **vctx;	/* cache slot for an rsa-sha256 context, or NULL */
	enum inkan_dkim_result result;
	const char *reason;
	const char *type;	/* "rsa" / "ed25519" once the record was read */
	unsigned bits;
	bool testing;		/* t=y */
};

/* Fetch, parse and check the key for sig (RFC 6376 §6.1.2, RFC 8301
 * sizes).  Returns true with k->pk set, or false with the verdict. */
bool inkan__dkim_key_fetch(struct inkan__keyfetch *kf, const struct inkan_dkim_sig *sig,
    struct inkan__key *k);
void inkan__dkim_key_release(struct inkan__key *k);

/* x= in the past or t= in the future (with skew): the reason, else NULL. */
const char *inkan__dkim_check_time(const struct inkan_dkim_sig *sig, int64_t now, int skew);

/* RFC 6376 §5.4.2: the h= fields, each name taking the next instance from
 * the bottom up (absent ones contribute nothing), canonicalized with c and
 * appended to b. */
int inkan__dkim_header_input(const struct inkan__dkim_field *f, size_t nf,
    const char *const *h, size_t nh, enum inkan_dkim_canon c, struct inkan_buf *b);
/* §3.7: the signature field raw[0..len) itself, b= value removed, without
 * the final CRLF.  INKAN_EMALFORMED when it has no colon or no b=. */
int inkan__dkim_self_input(enum inkan_dkim_canon c, const char *raw, size_t len,
    struct inkan_buf *b);
/* Verify signature sig[0..siglen) of algorithm alg over data with pk
 * (slot: the cache's reusable rsa-sha256 context, or NULL). */
bool inkan__dkim_verify_data(EVP_PKEY *pk, EVP_PKEY_CTX **slot, int alg, const uint8_t *sig,
    size_t siglen, const struct inkan_buf *data);
/* Sign data with k (rsa-sha256, or ed25519-sha256 per RFC 8463); the
 * signature in a.  INKAN_ENOMEM on failure. */
int inkan__dkim_sign_data(struct inkan_dkim_key *k, const struct inkan_buf *data,
    struct inkan_arena *a, uint8_t **sig, size_t *siglen);
/* The h= names a signer uses: each name of headers (NULL = the DKIM
 * default lists) as often as it occurs in f, once more when oversign (and
 * the default list's oversigned names), From always; then each name of
 * also (NULL-terminated, may be NULL) as often as it occurs.  Lowercase,
 * in a.  INKAN_ELIMIT past INKAN_DKIM_MAX_H_NAMES. */
int inkan__dkim_build_h(struct inkan_arena *a, const struct inkan__dkim_field *f, size_t nf,
    const char *const *headers, bool oversign, const char *const *also, const char ***out,
    size_t *nout);

/* Append the raw field raw[0..len) to *f (n used, cap allocated; *f is
 * malloc'd and grows by doubling, the text lives in a).  Enforces the
 * INKAN_MSG_MAX_FIELDS and INKAN_MSG_MAX_HEADER_BYTES limits. */
int inkan__dkim_field_add(struct inkan_arena *a, struct inkan__dkim_field **f, size_t *n,
    size_t *cap, const char *raw, size_t len);

#endif
