/* key.c - DKIM keys: the public key record (RFC 6376 §3.6.1), decoding of
 * p= (RSA SubjectPublicKeyInfo, RFC 8463 raw Ed25519), a cache of decoded
 * public keys, and private keys for signing.
 *
 * The cache exists because decoding an RSA public key costs several times
 * the verification itself (a DER parse and RSA_check-style setup); a
 * verifier sees the same few keys over and over.  It is keyed by the p=
 * text, not the DNS name, so a rotated key is never served stale.
 *
 * Keys are read and written with OpenSSL, but the Ed25519 operations
 * themselves are libsodium's: on the machines we measured it signs and
 * verifies more than twice as fast as OpenSSL 3.0 (bench/RESULTS.md), and
 * Ed25519 is deterministic, so the signatures are the same bytes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/tagvalue.h"
#include "dkim_int.h"

static int
bad(const char **why, const char *w)
{
	if (why != NULL)
		*why = w;
	return INKAN_EMALFORMED;
}

/* Is word one of the colon-separated items of list? */
static bool
list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		const char *e = p;

		while (*e && *e != ':')
			e++;
		const char *q = e;

		while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r' || q[-1] == '\n'))
			q--;
		if ((size_t)(q - p) == wl && strncasecmp(p, word, wl) == 0)
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

int
inkan_dkim_key_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_dkim_keyrec *out, const char **why)
{
	return inkan__key_parse(a, txt, len, true, out, why);
}

/* decode_p false: leave p NULL (the verifier decodes it only when the key
 * cache does not have it). */
int
inkan__key_parse(struct inkan_arena *a, const char *txt, size_t len, bool decode_p,
    struct inkan_dkim_keyrec *out, const char **why)
{
	struct inkan_taglist tl;
	struct inkan_tv_error te;
	const struct inkan_tag *t;
	bool b64bad;
	int r;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	if (len > INKAN_DKIM_MAX_TAGLIST)
		return bad(why, "key record too long");
	r = inkan_tv_parse(a, txt, len, 0, &tl, &te);
	if (r == INKAN_ENOMEM)
		return r;
	if (r != 0)
		return bad(why, te.why);
	if ((t = inkan_tv_get(&tl, "v")) != NULL) {
		/* §3.6.1: v= is optional but, if present, first and DKIM1 */
		if (t != &tl.tags[0])
			return bad(why, "v= is not the first tag");
		if (t->value.len != 5 || memcmp(t->value.p, "DKIM1", 5) != 0)
			return bad(why, "key record version is not DKIM1");
		out->v = "DKIM1";
	}
	out->k = "rsa";
	if ((t = inkan_tv_get(&tl, "k")) != NULL &&
	    (out->k = inkan_arena_strndup(a, t->value.p, t->value.len)) == NULL)
		return INKAN_ENOMEM;
	if ((t = inkan_tv_get(&tl, "h")) != NULL &&
	    (out->h = inkan_arena_strndup(a, t->value.p, t->value.len)) == NULL)
		return INKAN_ENOMEM;
	if ((t = inkan_tv_get(&tl, "s")) != NULL &&
	    (out->s = inkan_arena_strndup(a, t->value.p, t->value.len)) == NULL)
		return INKAN_ENOMEM;
	if ((t = inkan_tv_get(&tl, "n")) != NULL &&
	    (out->n = inkan_arena_strndup(a, t->value.p, t->value.len)) == NULL)
		return INKAN_ENOMEM;
	if ((t = inkan_tv_get(&tl, "t")) != NULL) {
		char *f = inkan_arena_strndup(a, t->value.p, t->value.len);

		if (f == NULL)
			return INKAN_ENOMEM;
		out->testing = list_has(f, "y");
		out->strict = list_has(f, "s");
	}
	if ((t = inkan_tv_get(&tl, "p")) == NULL)
		return bad(why, "key record has no p= tag");
	out->p_text = inkan__strip_fws(a, t->value.p, t->value.len);
	if (out->p_text == NULL)
		return INKAN_ENOMEM;
	if (out->p_text[0] == '\0') {
		out->revoked = true;	/* §3.6.1: empty p= means revoked */
		return 0;
	}
	if (!decode_p)
		return 0;
	out->p = inkan__b64_decode(a, t->value.p, t->value.len, &out->plen, &b64bad);
	if (out->p == NULL)
		return b64bad ? bad(why, "p= is not base64") : INKAN_ENOMEM;
	return 0;
}

bool
inkan__keyrec_hash_ok(const struct inkan_dkim_keyrec *k, const char *hash)
{
	return k->h == NULL || list_has(k->h, hash);
}

bool
inkan__keyrec_service_ok(const struct inkan_dkim_keyrec *k)
{
	return k->s == NULL || list_has(k->s, "*") || list_has(k->s, "email");
}

EVP_PKEY *
inkan__pubkey_decode(const char *k, const uint8_t *p, size_t plen)
{
	const unsigned char *q = p;

	if (strcasecmp(k, "rsa") == 0) {
		EVP_PKEY *pk = d2i_PUBKEY(NULL, &q, (long)plen);

		if (pk == NULL) {
			/* Some publish a bare RSAPublicKey (PKCS#1) instead of
			 * the SubjectPublicKeyInfo §3.6.1 asks for; dkimpy
			 * and mail-auth accept it, and so do we. */
			q = p;
			pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)plen);
		}
		if (pk != NULL && (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
		    q != p + plen)) {
			EVP_PKEY_free(pk);
			return NULL;
		}
		return pk;
	}
	if (strcasecmp(k, "ed25519") == 0) {
		/* RFC 8463 §4: p= is the raw 32-byte public key */
		if (plen != 32)
			return NULL;
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, p, plen);
	}
	return NULL;
}

/* OpenSSL 3 looks a digest up in its provider store on every
 * EVP_DigestInit with EVP_sha256() (an implicit fetch, under a lock); we
 * fetch SHA-256 and SHA-1 once per process. */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
fetch_mds(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

const EVP_MD *
inkan__sha256(void)
{
	pthread_once(&md_once, fetch_mds);
	return md_sha256 ? md_sha256 : EVP_sha256();
}

const EVP_MD *
inkan__sha1(void)
{
	pthread_once(&md_once, fetch_mds);
	return md_sha1 ? md_sha1 : EVP_sha1();
}

/* libsodium wants sodium_init() once before use (it picks its
 * implementations); it is idempotent, but takes a lock. */
static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static bool sodium_ok;

static void
init_sodium(void)
{
	sodium_ok = sodium_init() >= 0;
}

bool
inkan__ed25519_verify(EVP_PKEY *pk, const uint8_t *sig, size_t siglen, const uint8_t *m,
    size_t mlen)
{
	unsigned char raw[crypto_sign_ed25519_PUBLICKEYBYTES];
	size_t rawlen = sizeof(raw);

	pthread_once(&sodium_once, init_sodium);
	if (!sodium_ok || siglen != crypto_sign_ed25519_BYTES ||
	    EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 || rawlen != sizeof(raw))
		return false;
	return crypto_sign_ed25519_verify_detached(sig, m, mlen, raw) == 0;
}

/* ---- key cache: a chained hash table with an LRU list ---- */

struct kc_entry {
	struct kc_entry *next;		/* hash chain */
	struct kc_entry *lprev, *lnext;	/* LRU list, most recent first */
	uint64_t h;
	EVP_PKEY *pk;
	EVP_PKEY_CTX *vctx;		/* rsa-sha256 verify context, made on first use */
	char *key;			/* "k\0ptext" */
	size_t keylen;
};

struct inkan_dkim_keycache {
	struct kc_entry **tab;
	size_t nbuckets, n, max;
	struct kc_entry *head, *tail;
	unsigned long hits, misses;
};

int
inkan_dkim_keycache_new(size_t max, struct inkan_dkim_keycache **out)
{
	struct inkan_dkim_keycache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return INKAN_ENOMEM;
	c->max = max ? max : INKAN_DKIM_KEYCACHE_MAX;
	c->nbuckets = 64;
	while (c->nbuckets < c->max && c->nbuckets < (1u << 20))
		c->nbuckets <<= 1;
	c->tab = calloc(c->nbuckets, sizeof(*c->tab));
	if (c->tab == NULL) {
		free(c);
		return INKAN_ENOMEM;
	}
	*out = c;
	return 0;
}

void
inkan_dkim_keycache_free(struct inkan_dkim_keycache *c)
{
	if (c == NULL)
		return;
	for (struct kc_entry *e = c->head, *n; e != NULL; e = n) {
		n = e->lnext;
		EVP_PKEY_CTX_free(e->vctx);
		EVP_PKEY_free(e->pk);
		free(e->key);
		free(e);
	}
	free(c->tab);
	free(c);
}

void
inkan_dkim_keycache_stats(const struct inkan_dkim_keycache *c, unsigned long *hits,
    unsigned long *misses)
{
	*hits = c ? c->hits : 0;
	*misses = c ? c->misses : 0;
}

/* The hash of k (case-insensitive) and p; p= is a few hundred bytes, so
 * it goes in eight at a time. */
static uint64_t
key_hash(const char *k, const char *p, size_t *keylen)
{
	const uint64_t m = 0x9e3779b97f4a7c15ull;
	uint64_t h = 14695981039346656037ull, w;
	size_t n = 0, pl = strlen(p), i = 0;

	for (; *k; k++, n++)
		h = (h ^ (unsigned char)(*k | 0x20)) * 1099511628211ull;
	for (; i + 8 <= pl; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
	}
	for (; i < pl; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	*keylen = n + 1 + pl;
	return h ^ (h >> 32);
}

static void
lru_unlink(struct inkan_dkim_keycache *c, struct kc_entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		c->head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		c->tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
lru_front(struct inkan_dkim_keycache *c, struct kc_entry *e)
{
	e->lnext = c->head;
	e->lprev = NULL;
	if (c->head)
		c->head->lprev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static bool
entry_is(const struct kc_entry *e, uint64_t h, const char *k, const char *p, size_t keylen)
{
	size_t kl = strlen(k);

	return e->h == h && e->keylen == keylen && strncasecmp(e->key, k, kl) == 0 &&
	    e->key[kl] == '\0' && strcmp(e->key + kl + 1, p) == 0;
}

EVP_PKEY *
inkan__keycache_get(struct inkan_dkim_keycache *c, const char *k, const char *ptext,
    EVP_PKEY_CTX ***vctx)
{
	size_t keylen;
	uint64_t h = key_hash(k, ptext, &keylen);

	for (struct kc_entry *e = c->tab[h & (c->nbuckets - 1)]; e != NULL; e = e->next) {
		if (entry_is(e, h, k, ptext, keylen)) {
			c->hits++;
			lru_unlink(c, e);
			lru_front(c, e);
			*vctx = &e->vctx;
			return e->pk;
		}
	}
	c->misses++;
	return NULL;
}

EVP_PKEY *
inkan__keycache_put(struct inkan_dkim_keycache *c, const char *k, const char *ptext,
    EVP_PKEY *pk, EVP_PKEY_CTX ***vctx)
{
	size_t keylen, kl = strlen(k);
	uint64_t h = key_hash(k, ptext, &keylen);
	struct kc_entry *e = calloc(1, sizeof(*e));

	if (e == NULL || (e->key = malloc(keylen + 1)) == NULL) {
		free(e);
		return NULL;	/* the caller keeps and frees pk */
	}
	memcpy(e->key, k, kl + 1);
	memcpy(e->key + kl + 1, ptext, keylen - kl - 1);
	e->key[keylen] = '\0';
	e->keylen = keylen;
	e->h = h;
	e->pk = pk;
	if (c->n == c->max) {
		struct kc_entry *old = c->tail, **pp;

		lru_unlink(c, old);
		for (pp = &c->tab[old->h & (c->nbuckets - 1)]; *pp != old; pp = &(*pp)->next)
			;
		*pp = old->next;
		EVP_PKEY_CTX_free(old->vctx);
		EVP_PKEY_free(old->pk);
		free(old->key);
		free(old);
		c->n--;
	}
	e->next = c->tab[h & (c->nbuckets - 1)];
	c->tab[h & (c->nbuckets - 1)] = e;
	lru_front(c, e);
	c->n++;
	*vctx = &e->vctx;
	return pk;
}

/* ---- private keys ---- */

struct inkan_dkim_key {
	EVP_PKEY *pk;
	bool ed25519;
	/* Ed25519: libsodium's secret key (seed, then public key) */
	uint8_t ed_sk[crypto_sign_ed25519_SECRETKEYBYTES];
};

static int
wrap(EVP_PKEY *pk, struct inkan_dkim_key **out, const char **why)
{
	int id = EVP_PKEY_get_base_id(pk);
	struct inkan_dkim_key *k;

	if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pk);
		if (why != NULL)
			*why = "key is neither RSA nor Ed25519";
		return INKAN_EUNSUPPORTED;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pk);
		return INKAN_ENOMEM;
	}
	k->pk = pk;
	k->ed25519 = id == EVP_PKEY_ED25519;
	if (k->ed25519) {
		unsigned char seed[crypto_sign_ed25519_SEEDBYTES];
		unsigned char pub[crypto_sign_ed25519_PUBLICKEYBYTES];
		size_t sl = sizeof(seed);
		int r;

		pthread_once(&sodium_once, init_sodium);
		r = sodium_ok && EVP_PKEY_get_raw_private_key(pk, seed, &sl) == 1 &&
		    sl == sizeof(seed) && crypto_sign_ed25519_seed_keypair(pub, k->ed_sk, seed) == 0;
		sodium_memzero(seed, sizeof(seed));
		if (!r) {
			inkan_dkim_key_free(k);
			if (why != NULL)
				*why = "cannot use the Ed25519 private key";
			return INKAN_EUNSUPPORTED;
		}
	}
	*out = k;
	return 0;
}

int
inkan_dkim_key_load_pem(const char *pem, size_t len, struct inkan_dkim_key **out,
    const char **why)
{
	BIO *bio;
	EVP_PKEY *pk;

	*out = NULL;
	if (why != NULL)
		*why = NULL;
	if (len > INT32_MAX)
		return INKAN_ETOOBIG;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return INKAN_ENOMEM;
	/* reads PKCS#8 and the traditional "RSA PRIVATE KEY" form alike */
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL) {
		if (why != NULL)
			*why = "not a PEM private key";
		return INKAN_EMALFORMED;
	}
	return wrap(pk, out, why);
}

int
inkan_dkim_key_load_file(const char *path, unsigned flags, struct inkan_dkim_key **out,
    const char **why)
{
	struct stat st;
	char buf[65536];
	ssize_t n;
	size_t len = 0;
	int fd, r;

	*out = NULL;
	if (why != NULL)
		*why = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (why != NULL)
			*why = "cannot open key file";
		return INKAN_EIO;
	}
	if (fstat(fd, &st) != 0) {
		close(fd);
		return INKAN_EIO;
	}
	/* As OpenDKIM: a private key others can read is not private. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && !(flags & INKAN_DKIM_KEY_INSECURE)) {
		close(fd);
		if (why != NULL)
			*why = "key file is readable or writable by group or others "
			    "(chmod 600, or allow it explicitly)";
		return INKAN_EINVAL;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0) {
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	close(fd);
	if (n < 0) {
		if (why != NULL)
			*why = "cannot read key file";
		return INKAN_EIO;
	}
	if (len == sizeof(buf)) {
		if (why != NULL)
			*why = "key file too large";
		return INKAN_ETOOBIG;
	}
	r = inkan_dkim_key_load_pem(buf, len, out, why);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int
inkan_dkim_key_from_ed25519_seed(const uint8_t seed[32], struct inkan_dkim_key **out)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);

	*out = NULL;
	if (pk == NULL)
		return INKAN_EMALFORMED;
	return wrap(pk, out, NULL);
}

int
inkan_dkim_key_generate(const char *type, unsigned bits, struct inkan_dkim_key **out)
{
	EVP_PKEY *pk = NULL;

	*out = NULL;
	if (strcasecmp(type, "ed25519") == 0) {
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else if (strcasecmp(type, "rsa") == 0) {
		if (bits == 0)
			bits = 2048;
		if (bits < INKAN_DKIM_MIN_RSA_BITS || bits > INKAN_DKIM_MAX_RSA_BITS)
			return INKAN_EINVAL;
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else {
		return INKAN_EUNSUPPORTED;
	}
	if (pk == NULL)
		return INKAN_ENOMEM;
	return wrap(pk, out, NULL);
}

void
inkan_dkim_key_free(struct inkan_dkim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pk);
	sodium_memzero(k->ed_sk, sizeof(k->ed_sk));
	free(k);
}

const char *
inkan_dkim_key_type(const struct inkan_dkim_key *k)
{
	return k->ed25519 ? "ed25519" : "rsa";
}

unsigned
inkan_dkim_key_bits(const struct inkan_dkim_key *k)
{
	return (unsigned)EVP_PKEY_get_bits(k->pk);
}

EVP_PKEY *
inkan__key_pkey(const struct inkan_dkim_key *k)
{
	return k->pk;
}

int
inkan__ed25519_sign(const struct inkan_dkim_key *k, const uint8_t *m, size_t mlen,
    uint8_t sig[64])
{
	if (!k->ed25519)
		return INKAN_EINVAL;
	/* wrap() made ed_sk, so sodium_init() has run */
	return crypto_sign_ed25519_detached(sig, NULL, m, mlen, k->ed_sk) == 0 ? 0 : INKAN_ENOMEM;
}

char *
inkan_dkim_key_private_pem(const struct inkan_dkim_key *k, struct inkan_arena *a)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, k->pk, NULL, NULL, 0, NULL, NULL) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n >= 0)
			s = inkan_arena_strndup(a, data, (size_t)n);
	}
	BIO_free(bio);
	return s;
}

char *
inkan_dkim_key_record(const struct inkan_dkim_key *k, struct inkan_arena *a)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof(raw);
	char *b64, *s = NULL;
	int n;

	if (k->ed25519) {
		if (EVP_PKEY_get_raw_public_key(k->pk, raw, &rawlen) != 1)
			return NULL;
		b64 = inkan__b64_encode(a, raw, rawlen);
		return b64 ? inkan_arena_printf(a, "v=DKIM1; k=ed25519; p=%s", b64) : NULL;
	}
	n = i2d_PUBKEY(k->pk, &der);
	if (n <= 0)
		return NULL;
	b64 = inkan__b64_encode(a, der, (size_t)n);
	if (b64 != NULL)
		s = inkan_arena_printf(a, "v=DKIM1; k=rsa; p=%s", b64);
	OPENSSL_free(der);
	return s;
}
