/* verify.c - the DKIM verify session (RFC 6376 §6).
 *
 * Header fields are collected; at the end of the header each
 * DKIM-Signature (up to the configured limit) is parsed, its key fetched
 * and checked, and its header hash verified: none of that depends on the
 * body, because the body hash the signature covers is the bh= text.  The
 * body then streams through one canonicalizer per signature, and at the
 * end the computed body hash is compared with bh=.  The order of the
 * checks follows §6.1, so the reason given is the first one that applies.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/msg.h"
#include "dkim_int.h"

struct vsig {
	struct inkan_dkim_sig_result *res;
	struct inkan_dkim_sig sig;
	bool active;		/* still undecided: body hash pending */
	bool sig_ok;		/* header signature verified */
	EVP_MD_CTX *bmd;
	struct inkan__bodyc *bc;
};

struct inkan_dkim_verify {
	struct inkan_resolver *r;
	struct inkan_arena *a;
	struct inkan_dkim_verify_opts o;
	struct inkan__dkim_field *f;
	size_t nf, capf;
	bool header_done;
	struct vsig *sigs;
	size_t nsigs;
	int err;		/* sticky: EAGAIN / ENOMEM */
};

const char *
inkan_dkim_result_name(enum inkan_dkim_result r)
{
	switch (r) {
	case INKAN_DKIM_NONE: return "none";
	case INKAN_DKIM_PASS: return "pass";
	case INKAN_DKIM_FAIL: return "fail";
	case INKAN_DKIM_NEUTRAL: return "neutral";
	case INKAN_DKIM_POLICY: return "policy";
	case INKAN_DKIM_TEMPERROR: return "temperror";
	case INKAN_DKIM_PERMERROR: return "permerror";
	}
	return "unknown";
}

int
inkan_dkim_verify_new(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dkim_verify_opts *o, struct inkan_dkim_verify **out)
{
	struct inkan_dkim_verify *v;

	*out = NULL;
	if (r == NULL || a == NULL)
		return INKAN_EINVAL;
	if ((v = inkan_arena_zalloc(a, sizeof(*v))) == NULL)
		return INKAN_ENOMEM;
	v->r = r;
	v->a = a;
	if (o != NULL)
		v->o = *o;
	if (v->o.now == 0)
		v->o.now = (int64_t)time(NULL);
	if (v->o.clock_skew < 0)
		v->o.clock_skew = INKAN_DKIM_DEFAULT_CLOCK_SKEW;
	if (v->o.max_signatures == 0)
		v->o.max_signatures = INKAN_DKIM_MAX_SIGNATURES;
	if (v->o.min_rsa_bits == 0)
		v->o.min_rsa_bits = INKAN_DKIM_MIN_RSA_BITS;
	*out = v;
	return 0;
}

void
inkan_dkim_verify_free(struct inkan_dkim_verify *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nsigs; i++) {
		EVP_MD_CTX_free(v->sigs[i].bmd);
		v->sigs[i].bmd = NULL;
	}
	free(v->f);
	v->f = NULL;
	v->nf = v->capf = 0;
}

int
inkan_dkim_verify_header(struct inkan_dkim_verify *v, const char *raw, size_t len)
{
	if (v->header_done)
		return INKAN_EINVAL;
	return inkan__dkim_field_add(v->a, &v->f, &v->nf, &v->capf, raw, len);
}

int
inkan_dkim_verify_field(struct inkan_dkim_verify *v, const struct inkan_msg_field *f)
{
	return inkan_dkim_verify_header(v, f->raw.p, f->raw.len);
}

/* inkan_dkim_verify_message: the parser's fields are CRLF-normalised and
 * outlive the session, so they are used in place. */
static int
borrow_field(struct inkan_dkim_verify *v, const struct inkan_msg_field *f)
{
	if (v->header_done)
		return INKAN_EINVAL;
	return inkan__dkim_field_borrow(&v->f, &v->nf, &v->capf, f);
}

int
inkan__dkim_field_borrow(struct inkan__dkim_field **fp, size_t *n, size_t *cap,
    const struct inkan_msg_field *f)
{
	size_t k = f->raw.len;

	if (*n == INKAN_MSG_MAX_FIELDS)
		return INKAN_ELIMIT;
	if (k >= 2 && f->raw.p[k - 2] == '\r' && f->raw.p[k - 1] == '\n')
		k -= 2;
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 32;
		struct inkan__dkim_field *nf = realloc(*fp, nc * sizeof(*nf));

		if (nf == NULL)
			return INKAN_ENOMEM;
		*fp = nf;
		*cap = nc;
	}
	(*fp)[(*n)++] = (struct inkan__dkim_field){ f->raw.p, k, f->name };
	return 0;
}

static bool
is_sig_field(const struct inkan__dkim_field *f)
{
	return f->name.len == 14 && strncasecmp(f->name.p, "DKIM-Signature", 14) == 0;
}

static void
verdict(struct vsig *s, enum inkan_dkim_result r, const char *why)
{
	s->res->result = r;
	s->res->reason = why;
	s->active = false;
}

static const char *
key_name(struct inkan_arena *a, const struct inkan_dkim_sig *sig)
{
	size_t n = strlen(sig->s) + strlen(sig->d) + sizeof("._domainkey.");

	if (n > INKAN_DNAME_MAX_TEXT + 2)
		return NULL;
	return inkan_arena_printf(a, "%s._domainkey.%s", sig->s, sig->d);
}

static bool
key_verdict(struct inkan__key *k, enum inkan_dkim_result r, const char *why)
{
	k->result = r;
	k->reason = why;
	return false;
}

void
inkan__dkim_key_release(struct inkan__key *k)
{
	EVP_PKEY_free(k->owned);
	k->owned = NULL;
	k->pk = NULL;
}

bool
inkan__dkim_key_fetch(struct inkan__keyfetch *kf, const struct inkan_dkim_sig *sig,
    struct inkan__key *k)
{
	struct inkan_dns_answer ans;
	struct inkan_dkim_keyrec kr;
	const char *name = key_name(kf->a, sig), *why = NULL;
	bool have = false;
	int r;

	memset(k, 0, sizeof(*k));
	if (name == NULL)
		return key_verdict(k, INKAN_DKIM_PERMERROR, "key name too long");
	r = inkan_dns_query(kf->r, kf->a, name, INKAN_DNS_TXT, &ans);
	if (r == INKAN_EINVAL) {
		/* s= and d= do not make a name the resolver accepts */
		return key_verdict(k, INKAN_DKIM_PERMERROR, inkan_arena_printf(kf->a,
		    "invalid key name %.300s", name));
	}
	if (r != 0) {
		if (r == INKAN_EAGAIN || r == INKAN_ENOMEM)
			kf->err = r;
		return key_verdict(k, INKAN_DKIM_TEMPERROR, inkan_arena_printf(kf->a,
		    "DNS error fetching key %s: %s", name, inkan_strerror(r)));
	}
	switch (ans.status) {
	case INKAN_DNS_OK:
		break;
	case INKAN_DNS_TIMEOUT:
		return key_verdict(k, INKAN_DKIM_TEMPERROR,
		    inkan_arena_printf(kf->a, "DNS timeout fetching key %s", name));
	case INKAN_DNS_SERVFAIL:
		return key_verdict(k, INKAN_DKIM_TEMPERROR,
		    inkan_arena_printf(kf->a, "DNS failure (SERVFAIL) fetching key %s", name));
	default:
		return key_verdict(k, INKAN_DKIM_PERMERROR, inkan_arena_printf(kf->a,
		    "no key record at %s (%s)", name, inkan_dns_status_name(ans.status)));
	}
	/* §3.6.2.2: the strings of one TXT record are concatenated; with
	 * several records we take the first that parses. */
	for (size_t i = 0; i < ans.nrr && !have; i++) {
		char *txt;
		size_t tl;

		if (ans.rr[i].type != INKAN_DNS_TXT ||
		    inkan_dns_rr_txt(kf->a, &ans.rr[i], &txt, &tl) != 0)
			continue;
		r = inkan__key_parse(kf->a, txt, tl, kf->cache == NULL, &kr, &why);
		if (r == INKAN_ENOMEM) {
			kf->err = r;
			return key_verdict(k, INKAN_DKIM_TEMPERROR, "out of memory");
		}
		have = r == 0;
	}
	if (!have) {
		return key_verdict(k, INKAN_DKIM_PERMERROR, inkan_arena_printf(kf->a,
		    "invalid key record at %s: %s", name, why ? why : "no TXT record"));
	}
	k->testing = kr.testing;
	if (kr.revoked)
		return key_verdict(k, INKAN_DKIM_FAIL, "key revoked (empty p= in key record)");
	bool ed = sig->alg == INKAN_DKIM_ALG_ED25519_SHA256;

	if (strcasecmp(kr.k, "rsa") != 0 && strcasecmp(kr.k, "ed25519") != 0) {
		return key_verdict(k, INKAN_DKIM_PERMERROR,
		    inkan_arena_printf(kf->a, "unknown key type k=%.40s", kr.k));
	}
	if (strcasecmp(kr.k, ed ? "ed25519" : "rsa") != 0) {
		return key_verdict(k, INKAN_DKIM_PERMERROR, inkan_arena_printf(kf->a,
		    "key type k=%s does not match a=%s", kr.k, sig->a));
	}
	k->type = ed ? "ed25519" : "rsa";
	if (!inkan__keyrec_hash_ok(&kr, sig->alg == INKAN_DKIM_ALG_RSA_SHA1 ? "sha1" : "sha256"))
		return key_verdict(k, INKAN_DKIM_PERMERROR,
		    "key h= does not allow the signature's hash");
	if (!inkan__keyrec_service_ok(&kr))
		return key_verdict(k, INKAN_DKIM_PERMERROR,
		    "key is not for email (s= service type)");
	if (kr.strict) {
		/* §3.6.1 t=s: the i= domain must be exactly d= */
		const char *at = strrchr(sig->i, '@');

		if (at == NULL || strcasecmp(at + 1, sig->d) != 0)
			return key_verdict(k, INKAN_DKIM_PERMERROR,
			    "key has t=s but i= domain is a subdomain of d=");
	}
	EVP_PKEY *pk = NULL;

	if (kf->cache != NULL)
		pk = inkan__keycache_get(kf->cache, kr.k, kr.p_text, &k->vctx);
	if (pk == NULL && kr.p == NULL) {
		bool b64bad;

		kr.p = inkan__b64_decode(kf->a, kr.p_text, strlen(kr.p_text), &kr.plen, &b64bad);
		if (kr.p == NULL) {
			if (!b64bad)
				kf->err = INKAN_ENOMEM;
			return key_verdict(k, INKAN_DKIM_PERMERROR, inkan_arena_printf(kf->a,
			    "invalid key record at %s: p= is not base64", name));
		}
	}
	if (pk == NULL) {
		pk = inkan__pubkey_decode(kr.k, kr.p, kr.plen);
		if (pk == NULL)
			return key_verdict(k, INKAN_DKIM_PERMERROR,
			    "key p= is not a valid public key");
		if (kf->cache == NULL ||
		    inkan__keycache_put(kf->cache, kr.k, kr.p_text, pk, &k->vctx) == NULL)
			k->owned = pk;
	}
	unsigned bits = (unsigned)EVP_PKEY_get_bits(pk);

	k->bits = bits;
	if (!ed && bits < kf->min_rsa_bits) {
		key_verdict(k, INKAN_DKIM_FAIL, inkan_arena_printf(kf->a,
		    "key too short (%u bits; RFC 8301 needs %u)", bits, kf->min_rsa_bits));
	} else if (!ed && bits > INKAN_DKIM_MAX_RSA_BITS) {
		key_verdict(k, INKAN_DKIM_PERMERROR, inkan_arena_printf(kf->a,
		    "key too long (%u bits; limit %u)", bits, INKAN_DKIM_MAX_RSA_BITS));
	} else {
		k->pk = pk;
		return true;
	}
	inkan__dkim_key_release(k);
	return false;
}

int
inkan__dkim_header_input(const struct inkan__dkim_field *f, size_t nf, const char *const *h,
    size_t nh, enum inkan_dkim_canon c, struct inkan_buf *b)
{
	/* per field: already used by an earlier h= name */
	bool used_small[64] = { false };
	bool *used = nf <= 64 ? used_small : calloc(nf, sizeof(bool));
	size_t room = 0;

	if (used == NULL)
		return INKAN_ENOMEM;
	/* the input is at most every field once, each with its CRLF */
	for (size_t j = 0; j < nf; j++)
		room += f[j].len + 2;
	inkan_buf_reserve(b, room);
	for (size_t k = 0; k < nh; k++) {
		size_t hl = strlen(h[k]);

		for (size_t j = nf; j-- > 0;) {
			if (used[j] || f[j].name.len != hl ||
			    strncasecmp(f[j].name.p, h[k], hl) != 0)
				continue;
			used[j] = true;
			inkan__canon_header(c, f[j].raw, f[j].len, false, b);
			break;
		}
	}
	if (used != used_small)
		free(used);
	return b->err;
}

int
inkan__dkim_self_input(enum inkan_dkim_canon c, const char *raw, size_t len,
    struct inkan_buf *b)
{
	const char *colon = memchr(raw, ':', len);
	size_t bs, be;

	if (colon == NULL)
		return INKAN_EMALFORMED;
	const char *val = colon + 1;
	size_t vlen = len - (size_t)(val - raw);

	if (!inkan__find_b(val, vlen, &bs, &be))
		return INKAN_EMALFORMED;
	/* the field up to "b=", then what follows the b= value */
	struct inkan_buf tmp;

	inkan_buf_init(&tmp, 0);
	inkan_buf_reserve(&tmp, len);
	inkan_buf_append(&tmp, raw, (size_t)(val - raw) + bs);
	inkan_buf_append(&tmp, val + be, vlen - be);
	if (tmp.err == 0)
		inkan__canon_header(c, tmp.p, tmp.len, true, b);
	int r = tmp.err ? tmp.err : b->err;

	inkan_buf_free(&tmp);
	return r;
}

/* §3.7: the header hash input: the h= fields, then this signature field
 * with b= emptied and without its final CRLF. */
static int
header_data(struct inkan_dkim_verify *v, const struct vsig *s, size_t self,
    struct inkan_buf *b)
{
	const struct inkan_dkim_sig *sig = &s->sig;
	int r = inkan__dkim_header_input(v->f, v->nf, sig->h, sig->nh, sig->hdr_canon, b);

	if (r != 0)
		return r;
	return inkan__dkim_self_input(sig->hdr_canon, v->f[self].raw, v->f[self].len, b);
}

/* rsa-sha256 with a verify context kept in the key cache: one digest and
 * one EVP_PKEY_verify, without setting up a context per message. */
static bool
verify_rsa_cached(EVP_PKEY *pk, EVP_PKEY_CTX **slot, const uint8_t *sig, size_t siglen,
    const struct inkan_buf *b)
{
	unsigned char d[32];

	if (*slot == NULL) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);

		if (c == NULL || EVP_PKEY_verify_init(c) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(c, inkan__sha256()) != 1) {
			EVP_PKEY_CTX_free(c);
			return false;
		}
		*slot = c;
	}
	if (EVP_Digest(b->p, b->len, d, NULL, inkan__sha256(), NULL) != 1)
		return false;
	return EVP_PKEY_verify(*slot, sig, siglen, d, sizeof(d)) == 1;
}

bool
inkan__dkim_verify_data(EVP_PKEY *pk, EVP_PKEY_CTX **slot, int alg, const uint8_t *sig,
    size_t siglen, const struct inkan_buf *b)
{
	EVP_MD_CTX *ctx;
	bool ok = false;

	if (slot != NULL && alg == INKAN_DKIM_ALG_RSA_SHA256) {
		ok = verify_rsa_cached(pk, slot, sig, siglen, b);
	} else if (alg == INKAN_DKIM_ALG_ED25519_SHA256) {
		/* RFC 8463 §3: Ed25519 (pure) over the SHA-256 of the data */
		unsigned char d[32];

		ok = EVP_Digest(b->p, b->len, d, NULL, inkan__sha256(), NULL) == 1 &&
		    inkan__ed25519_verify(pk, sig, siglen, d, sizeof(d));
	} else if ((ctx = EVP_MD_CTX_new()) != NULL) {
		const EVP_MD *md = alg == INKAN_DKIM_ALG_RSA_SHA1 ? inkan__sha1() :
		    inkan__sha256();

		if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1)
			ok = EVP_DigestVerify(ctx, sig, siglen,
			    (const unsigned char *)b->p, b->len) == 1;
		EVP_MD_CTX_free(ctx);
	}
	/* a failed verification leaves errors on OpenSSL's per-thread
	 * queue; a long-running verifier must not collect them */
	ERR_clear_error();
	return ok;
}

const char *
inkan__dkim_check_time(const struct inkan_dkim_sig *sig, int64_t now, int skew)
{
	if (sig->x >= 0 && sig->x + skew < now)
		return "signature expired (x= in the past)";
	if (sig->t >= 0 && sig->t > now + skew)
		return "signature timestamp t= in the future";
	return NULL;
}

static void
check_sig(struct inkan_dkim_verify *v, struct vsig *s, size_t self)
{
	struct inkan_dkim_sig *sig = &s->sig;
	struct inkan_dkim_sig_result *res = s->res;
	const struct inkan__dkim_field *f = &v->f[self];
	const char *val = (const char *)memchr(f->raw, ':', f->len) + 1;
	const char *why;
	struct inkan__keyfetch kf = { v->r, v->a, v->o.keycache, v->o.min_rsa_bits, 0 };
	struct inkan__key key;
	int r;

	r = inkan_dkim_sig_parse(v->a, val, f->len - (size_t)(val - f->raw), sig, &why);
	if (r == INKAN_ENOMEM) {
		v->err = r;
		verdict(s, INKAN_DKIM_TEMPERROR, "out of memory");
		return;
	}
	if (r != 0) {
		verdict(s, INKAN_DKIM_PERMERROR,
		    inkan_arena_printf(v->a, "malformed signature: %s", why));
		return;
	}
	res->d = sig->d;
	res->s = sig->s;
	res->a = sig->a;
	res->i = sig->i;
	res->b_prefix = inkan_arena_strndup(v->a, sig->b_text, 8);
	res->hdr_canon = sig->hdr_canon;
	res->body_canon = sig->body_canon;
	res->t = sig->t;
	res->x = sig->x;
	res->has_l = sig->has_l;
	res->l = sig->l;
	if (sig->alg == INKAN_DKIM_ALG_UNKNOWN) {
		verdict(s, INKAN_DKIM_PERMERROR,
		    inkan_arena_printf(v->a, "unknown algorithm a=%.40s", sig->a));
		return;
	}
	if (sig->alg == INKAN_DKIM_ALG_RSA_SHA1 && !v->o.allow_sha1) {
		verdict(s, INKAN_DKIM_FAIL, "rsa-sha1 not allowed (RFC 8301 §3.1)");
		return;
	}
	if ((why = inkan__dkim_check_time(sig, v->o.now, v->o.clock_skew)) != NULL) {
		verdict(s, INKAN_DKIM_FAIL, why);
		return;
	}
	bool have = inkan__dkim_key_fetch(&kf, sig, &key);

	if (kf.err != 0)
		v->err = kf.err;
	res->key_testing = key.testing;
	res->key_type = key.type;
	res->key_bits = key.bits;
	if (!have) {
		verdict(s, key.result, key.reason);
		return;
	}

	struct inkan_buf b;

	inkan_buf_init(&b, 0);
	r = header_data(v, s, self, &b);
	if (r == 0)
		s->sig_ok = inkan__dkim_verify_data(key.pk, key.vctx, sig->alg, sig->b, sig->blen,
		    &b);
	inkan_buf_free(&b);
	inkan__dkim_key_release(&key);
	if (r != 0) {
		if (r == INKAN_ENOMEM)
			v->err = r;
		verdict(s, INKAN_DKIM_PERMERROR, "cannot build header hash input");
		return;
	}
	s->bmd = EVP_MD_CTX_new();
	s->bc = inkan_arena_alloc(v->a, sizeof(*s->bc));
	if (s->bmd == NULL || s->bc == NULL || EVP_DigestInit_ex(s->bmd,
	    sig->alg == INKAN_DKIM_ALG_RSA_SHA1 ? inkan__sha1() : inkan__sha256(), NULL) != 1) {
		v->err = INKAN_ENOMEM;
		verdict(s, INKAN_DKIM_TEMPERROR, "out of memory");
		return;
	}
	inkan__bodyc_init(s->bc, sig->body_canon, s->bmd, sig->has_l ? sig->l : UINT64_MAX);
	s->active = true;
}

int
inkan_dkim_verify_header_end(struct inkan_dkim_verify *v)
{
	size_t n = 0, k = 0;

	if (v->header_done)
		return v->err;
	v->header_done = true;
	for (size_t i = 0; i < v->nf; i++)
		if (is_sig_field(&v->f[i]))
			n++;
	if (n == 0)
		return 0;
	v->sigs = inkan_arena_zalloc(v->a, n * sizeof(*v->sigs));
	struct inkan_dkim_sig_result *res = inkan_arena_zalloc(v->a, n * sizeof(*res));

	if (v->sigs == NULL || res == NULL)
		return v->err = INKAN_ENOMEM;
	for (size_t i = 0; i < v->nf; i++) {
		if (!is_sig_field(&v->f[i]))
			continue;
		struct vsig *s = &v->sigs[k];

		s->res = &res[k];
		s->res->t = s->res->x = -1;
		/* a copy: the field may be borrowed from a parser that dies
		 * before the results */
		char *fc = inkan_arena_memdup(v->a, v->f[i].raw, v->f[i].len);

		if (fc == NULL)
			return v->err = INKAN_ENOMEM;
		s->res->field = (struct inkan_slice){ fc, v->f[i].len };
		if (k < v->o.max_signatures)
			check_sig(v, s, i);
		else
			verdict(s, INKAN_DKIM_NEUTRAL, inkan_arena_printf(v->a,
			    "not verified: more than %u signatures", v->o.max_signatures));
		k++;
		v->nsigs = k;
	}
	return v->err;
}

int
inkan_dkim_verify_body(struct inkan_dkim_verify *v, const char *p, size_t n)
{
	int r;

	if (!v->header_done && (r = inkan_dkim_verify_header_end(v)) != 0)
		return r;
	for (size_t i = 0; i < v->nsigs; i++) {
		struct vsig *s = &v->sigs[i];

		if (s->active && (r = inkan__bodyc_feed(s->bc, p, n)) != 0)
			return r;
	}
	return 0;
}

int
inkan_dkim_verify_end(struct inkan_dkim_verify *v, struct inkan_dkim_results *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (!v->header_done && (r = inkan_dkim_verify_header_end(v)) != 0)
		return r;
	if (v->err != 0)
		return v->err;
	for (size_t i = 0; i < v->nsigs; i++) {
		struct vsig *s = &v->sigs[i];
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned dl = 0;

		if (!s->active)
			continue;
		if ((r = inkan__bodyc_end(s->bc)) != 0 ||
		    EVP_DigestFinal_ex(s->bmd, d, &dl) != 1)
			return r ? r : INKAN_ENOMEM;
		s->res->body_len = s->bc->total;
		if (s->sig.has_l && s->bc->total > s->sig.l)
			s->res->unsigned_bytes = s->bc->total - s->sig.l;
		if (s->sig.has_l && s->sig.l > s->bc->total)
			verdict(s, INKAN_DKIM_FAIL, "l= is longer than the body");
		else if (dl != s->sig.bhlen || memcmp(d, s->sig.bh, dl) != 0)
			verdict(s, INKAN_DKIM_FAIL, "body hash mismatch");
		else if (!s->sig_ok)
			verdict(s, INKAN_DKIM_FAIL, "signature mismatch");
		else
			verdict(s, INKAN_DKIM_PASS, NULL);
	}
	out->n = v->nsigs;
	out->sigs = v->nsigs ? v->sigs[0].res : NULL;
	out->overall = INKAN_DKIM_NONE;
	for (size_t i = 0; i < v->nsigs; i++)
		if (v->sigs[i].res->result == INKAN_DKIM_PASS)
			out->overall = INKAN_DKIM_PASS;
	if (out->overall == INKAN_DKIM_NONE && v->nsigs > 0)
		out->overall = v->sigs[0].res->result;
	return 0;
}

static int
on_field(void *arg, const struct inkan_msg_field *f)
{
	return borrow_field(arg, f);
}

static int
on_header_end(void *arg)
{
	return inkan_dkim_verify_header_end(arg);
}

static int
on_body(void *arg, const char *p, size_t n)
{
	return inkan_dkim_verify_body(arg, p, n);
}

int
inkan_dkim_verify_message(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_dkim_verify_opts *o, const char *msg, size_t len,
    struct inkan_dkim_results *out)
{
	struct inkan_dkim_verify *v;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = inkan_dkim_verify_new(r, a, o, &v)) != 0)
		return rc;
	struct inkan_msg_opts mo = {
		.on_field = on_field, .on_header_end = on_header_end, .on_body = on_body,
		.arg = v,
	};

	rc = inkan_msg_feed_all(&mo, msg, len);
	if (rc == 0)
		rc = inkan_dkim_verify_end(v, out);
	inkan_dkim_verify_free(v);
	return rc;
}
