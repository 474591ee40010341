/* sign.c - the DKIM sign session (RFC 6376 §5).
 *
 * Every key signs with SHA-256 and the same canonicalization, so the body
 * is canonicalized and hashed once, whatever the number of keys: an RSA
 * and an Ed25519 signature cost one pass over the body.  Header fields are
 * kept until the end, where h= is built from what is present (plus one
 * more of each oversigned name, §8.15), each signature field is folded
 * and hashed with an empty b=, signed, and b= filled in.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/msg.h"
#include "dkim_int.h"

/* Signed when present, and oversigned: the fields a reader sees or that
 * change how the body is read (§5.4.1 lists most of them). */
static const char *const oversigned[] = {
	"from", "to", "cc", "subject", "date", "reply-to", "message-id", "in-reply-to",
	"references", "mime-version", "content-type", "content-transfer-encoding", "sender",
	NULL,
};
/* Signed when present only: a list may add them legitimately. */
static const char *const if_present[] = {
	"content-disposition", "content-language", "list-id", "list-help", "list-unsubscribe",
	"list-unsubscribe-post", "list-subscribe", "list-post", "list-owner", "list-archive",
	"resent-date", "resent-from", "resent-to", "resent-cc", "resent-message-id",
	"feedback-id", "autocrypt", "openpgp", NULL,
};

struct inkan_dkim_sign {
	struct inkan_arena *a;
	struct inkan_dkim_key *const *keys;
	size_t nkeys;
	struct inkan_dkim_sign_opts o;
	struct inkan_dkim_sig tmpl;	/* parsed template_value */
	struct inkan__dkim_field *f;
	size_t nf, capf;
	EVP_MD_CTX *md;
	bool body_started;
	struct inkan__bodyc bc;		/* last: its batch buffer is not zeroed */
};

int
inkan_dkim_sign_new(struct inkan_arena *a, struct inkan_dkim_key *const *keys, size_t nkeys,
    const struct inkan_dkim_sign_opts *o, struct inkan_dkim_sign **out)
{
	struct inkan_dkim_sign *s;
	enum inkan_dkim_canon bc;

	*out = NULL;
	if (a == NULL || keys == NULL || nkeys == 0 || o == NULL)
		return INKAN_EINVAL;
	if (o->template_value == NULL && (o->domain == NULL || o->domain[0] == '\0' ||
	    ((o->selector == NULL || o->selector[0] == '\0') && o->selectors == NULL)))
		return INKAN_EINVAL;
	if (o->template_value != NULL && nkeys != 1)
		return INKAN_EINVAL;
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i] == NULL)
			return INKAN_EINVAL;
	if (o->identity != NULL && o->domain != NULL) {
		/* RFC 6376 §3.5: the i= domain is d= or a subdomain of it */
		const char *at = strrchr(o->identity, '@');
		size_t il, dl = strlen(o->domain);

		if (at == NULL)
			return INKAN_EINVAL;
		il = strlen(at + 1);
		if (il < dl || strcasecmp(at + 1 + il - dl, o->domain) != 0 ||
		    (il > dl && at[il - dl] != '.'))
			return INKAN_EINVAL;
	}
	if ((s = inkan_arena_alloc(a, sizeof(*s))) == NULL)
		return INKAN_ENOMEM;
	memset(s, 0, offsetof(struct inkan_dkim_sign, bc));	/* bc: bodyc_init */
	s->a = a;
	s->keys = keys;
	s->nkeys = nkeys;
	s->o = *o;
	bc = o->body_canon;
	if (o->template_value != NULL) {
		int r = inkan__sig_parse(a, o->template_value, strlen(o->template_value),
		    INKAN__SIG_TMPL,
		    &s->tmpl, NULL);

		if (r != 0)
			return r == INKAN_ENOMEM ? r : INKAN_EINVAL;
		if (s->tmpl.alg != (inkan_dkim_key_type(keys[0])[0] == 'e' ?
		    INKAN_DKIM_ALG_ED25519_SHA256 : INKAN_DKIM_ALG_RSA_SHA256))
			return INKAN_EINVAL;
		bc = s->tmpl.body_canon;
	}
	s->md = EVP_MD_CTX_new();
	if (s->md == NULL || EVP_DigestInit_ex(s->md, inkan__sha256(), NULL) != 1) {
		EVP_MD_CTX_free(s->md);
		return INKAN_ENOMEM;
	}
	inkan__bodyc_init(&s->bc, bc, s->md,
	    s->tmpl.has_l ? s->tmpl.l : UINT64_MAX);
	*out = s;
	return 0;
}

void
inkan_dkim_sign_free(struct inkan_dkim_sign *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	free(s->f);
	s->f = NULL;
}

int
inkan_dkim_sign_header(struct inkan_dkim_sign *s, const char *raw, size_t len)
{
	if (s->body_started)
		return INKAN_EINVAL;
	return inkan__dkim_field_add(s->a, &s->f, &s->nf, &s->capf, raw, len);
}

int
inkan_dkim_sign_body(struct inkan_dkim_sign *s, const char *p, size_t n)
{
	s->body_started = true;
	return inkan__bodyc_feed(&s->bc, p, n);
}

static size_t
count_fields(const struct inkan__dkim_field *f, size_t nf, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < nf; i++)
		if (inkan_slice_caseeq_cstr(f[i].name, name))
			n++;
	return n;
}

/* x, y and z one after the other, in the arena (NULL on ENOMEM). */
static char *
cat3(struct inkan_arena *a, const char *x, const char *y, const char *z)
{
	size_t xl = strlen(x), yl = strlen(y), zl = strlen(z);
	char *o = inkan_arena_alloc(a, xl + yl + zl + 1);

	if (o != NULL) {
		memcpy(o, x, xl);
		memcpy(o + xl, y, yl);
		memcpy(o + xl + yl, z, zl + 1);
	}
	return o;
}

static int
add_name(struct inkan_arena *a, const char **h, size_t *n, const char *name)
{
	char *lc;

	if (*n == INKAN_DKIM_MAX_H_NAMES)
		return INKAN_ELIMIT;
	if ((lc = inkan_arena_strdup(a, name)) == NULL)
		return INKAN_ENOMEM;
	for (char *q = lc; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	h[(*n)++] = lc;
	return 0;
}

/* The h= names: each listed name as often as it occurs, plus once more
 * when oversigned; From always; then the names of also as often as they
 * occur. */
int
inkan__dkim_build_h(struct inkan_arena *a, const struct inkan__dkim_field *f, size_t nf,
    const char *const *headers, bool oversign, const char *const *also, const char ***out,
    size_t *nout)
{
	const char **h = inkan_arena_alloc(a, (INKAN_DKIM_MAX_H_NAMES + 1) * sizeof(*h));
	size_t n = 0;
	const char *const *lists[3] = { headers ? headers : oversigned,
	    headers ? NULL : if_present, NULL };
	bool from = false;
	int r;

	if (h == NULL)
		return INKAN_ENOMEM;
	for (int li = 0; li < 2 && lists[li] != NULL; li++) {
		for (const char *const *p = lists[li]; *p != NULL; p++) {
			size_t c = count_fields(f, nf, *p);
			bool over = li == 0 && oversign;

			if (strcasecmp(*p, "from") == 0) {
				from = true;
				over = over || c == 0;
			}
			c += over ? 1 : 0;
			for (size_t k = 0; k < c; k++)
				if ((r = add_name(a, h, &n, *p)) != 0)
					return r;
		}
	}
	if (!from) {
		size_t c = count_fields(f, nf, "from");

		/* §5.4: From MUST be signed, whatever the caller listed */
		for (size_t k = 0; k < c + (oversign ? 1 : 0); k++)
			if ((r = add_name(a, h, &n, "from")) != 0)
				return r;
	}
	for (const char *const *p = also; p != NULL && *p != NULL; p++) {
		size_t c = count_fields(f, nf, *p);

		for (size_t k = 0; k < c; k++)
			if ((r = add_name(a, h, &n, *p)) != 0)
				return r;
	}
	*out = h;
	*nout = n;
	return 0;
}

/* Header hash input for names h: see verify.c, same rules; the signature
 * field is given with b= empty. */
static int
header_data(struct inkan_dkim_sign *s, enum inkan_dkim_canon c, const char *const *h,
    size_t nh, const char *sigfield, size_t siglen, struct inkan_buf *b)
{
	int r = inkan__dkim_header_input(s->f, s->nf, h, nh, c, b);

	if (r == 0)
		r = inkan__canon_header(c, sigfield, siglen, true, b);
	return r;
}

int
inkan__dkim_sign_data(struct inkan_dkim_key *k, const struct inkan_buf *data,
    struct inkan_arena *a, uint8_t **sig, size_t *siglen)
{
	EVP_PKEY *pk = inkan__key_pkey(k);
	EVP_MD_CTX *ctx;
	const unsigned char *in = (const unsigned char *)data->p;
	size_t inlen = data->len, n = 0;
	int r = INKAN_ENOMEM;

	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		/* RFC 8463 §3: Ed25519 signs the SHA-256 of the data */
		unsigned char d[32];

		if (EVP_Digest(in, inlen, d, NULL, inkan__sha256(), NULL) != 1 ||
		    (*sig = inkan_arena_alloc(a, 64)) == NULL)
			return INKAN_ENOMEM;
		*siglen = 64;
		return inkan__ed25519_sign(k, d, sizeof(d), *sig);
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return INKAN_ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, inkan__sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, in, inlen) != 1)
		goto out;
	if ((*sig = inkan_arena_alloc(a, n)) == NULL)
		goto out;
	if (EVP_DigestSign(ctx, *sig, &n, in, inlen) != 1)
		goto out;
	*siglen = n;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Folding at ~78 columns: pieces separated by SP, a line break (CRLF SP)
 * before a piece that would not fit. */
struct folder {
	struct inkan_buf *b;
	size_t col;
};

static void
piece(struct folder *f, const char *s, bool space)
{
	size_t n;

	if (s == NULL) {
		if (f->b->err == 0)
			f->b->err = INKAN_ENOMEM;
		return;
	}
	n = strlen(s);
	if (f->col + n + (space ? 1 : 0) > 78 && f->col > 1) {
		inkan_buf_append(f->b, "\r\n ", 3);
		f->col = 1;
	} else if (space) {
		inkan_buf_putc(f->b, ' ');
		f->col++;
	}
	inkan_buf_append(f->b, s, n);
	f->col += n;
}

/* Append b64 after "b=", broken into lines. */
static void
fold_b64(struct folder *f, const char *b64)
{
	size_t n = strlen(b64);

	while (n > 0) {
		size_t room = f->col < 77 ? 77 - f->col : 0;

		if (room < 8) {
			inkan_buf_append(f->b, "\r\n ", 3);
			f->col = 1;
			continue;
		}
		if (room > n)
			room = n;
		inkan_buf_append(f->b, b64, room);
		f->col += room;
		b64 += room;
		n -= room;
	}
}

static int
sign_one(struct inkan_dkim_sign *s, size_t ki, const char *bh, struct inkan_buf *out)
{
	struct inkan_dkim_key *k = s->keys[ki];
	bool ed = strcmp(inkan_dkim_key_type(k), "ed25519") == 0;
	struct inkan_buf fld, data;
	struct folder f;
	const char **h;
	const char *const *hh;
	size_t nh;
	enum inkan_dkim_canon hc;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int r;

	inkan_buf_init(&fld, 0);
	inkan_buf_init(&data, 0);
	f.b = &fld;
	if (s->o.template_value != NULL) {
		const char *t = s->o.template_value;
		size_t tl = strlen(t), bs, be;

		inkan_buf_puts(&fld, "DKIM-Signature:");
		if (s->tmpl.bhlen == 0 && inkan__find_tag(t, tl, "bh", &bs, &be)) {
			inkan_buf_append(&fld, t, bs);
			inkan_buf_puts(&fld, bh);
			inkan_buf_append(&fld, t + bs, tl - bs);
		} else {
			inkan_buf_append(&fld, t, tl);
		}
		hh = s->tmpl.h;
		nh = s->tmpl.nh;
		hc = s->tmpl.hdr_canon;
		/* column after the template's last line */
		const char *nl = fld.p ? strrchr(fld.p, '\n') : NULL;

		f.col = fld.len - (nl ? (size_t)(nl + 1 - fld.p) : 0);
	} else {
		const char *sel = s->o.selectors ? s->o.selectors[ki] : s->o.selector;
		char tmp[64];

		if (sel == NULL)
			return INKAN_EINVAL;
		if ((r = inkan__dkim_build_h(s->a, s->f, s->nf, s->o.headers, !s->o.no_oversign,
		    NULL, &h, &nh)) != 0)
			return r;
		hh = h;
		hc = s->o.hdr_canon;
		inkan_buf_puts(&fld, "DKIM-Signature:");
		f.col = fld.len;
		piece(&f, "v=1;", true);
		piece(&f, ed ? "a=ed25519-sha256;" : "a=rsa-sha256;", true);
		piece(&f, s->o.hdr_canon == INKAN_DKIM_RELAXED ? (s->o.body_canon ==
		    INKAN_DKIM_RELAXED ? "c=relaxed/relaxed;" : "c=relaxed/simple;") :
		    (s->o.body_canon == INKAN_DKIM_RELAXED ? "c=simple/relaxed;" :
		    "c=simple/simple;"), true);
		piece(&f, cat3(s->a, "d=", s->o.domain, ";"), true);
		piece(&f, cat3(s->a, "s=", sel, ";"), true);
		if (s->o.identity != NULL)
			piece(&f, cat3(s->a, "i=", s->o.identity, ";"), true);
		if (s->o.timestamp >= 0) {
			int64_t t = s->o.timestamp ? s->o.timestamp : (int64_t)time(NULL);

			snprintf(tmp, sizeof(tmp), "t=%lld;", (long long)t);
			piece(&f, tmp, true);
			if (s->o.expire > 0) {
				snprintf(tmp, sizeof(tmp), "x=%lld;", (long long)(t + s->o.expire));
				piece(&f, tmp, true);
			}
		}
		if (s->o.body_length) {
			snprintf(tmp, sizeof(tmp), "l=%llu;", (unsigned long long)s->bc.total);
			piece(&f, tmp, true);
		}
		for (size_t i = 0; i < nh; i++)
			piece(&f, cat3(s->a, i == 0 ? "h=" : "", h[i], i + 1 < nh ? ":" : ";"),
			    i == 0);
		piece(&f, cat3(s->a, "bh=", bh, ";"), true);
		piece(&f, "b=", true);
	}
	if (fld.err) {
		r = fld.err;
		goto out;
	}
	r = header_data(s, hc, hh, nh, fld.p, fld.len, &data);
	if (r == 0)
		r = inkan__dkim_sign_data(k, &data, s->a, &sig, &siglen);
	if (r == 0) {
		const char *b64 = inkan__b64_encode(s->a, sig, siglen);
		size_t bs, be;

		if (b64 == NULL) {
			r = INKAN_ENOMEM;
			goto out;
		}
		if (s->o.template_value != NULL) {
			/* put b= where the template has it */
			const char *val = fld.p + 15;

			if (!inkan__find_b(val, fld.len - 15, &bs, &be)) {
				r = INKAN_EINVAL;
				goto out;
			}
			inkan_buf_append(out, fld.p, 15 + bs);
			inkan_buf_puts(out, b64);
			inkan_buf_append(out, val + be, fld.len - 15 - be);
		} else {
			fold_b64(&f, b64);
			inkan_buf_append(out, fld.p, fld.len);
		}
		inkan_buf_append(out, "\r\n", 2);
		r = out->err;
	}
out:
	inkan_buf_free(&fld);
	inkan_buf_free(&data);
	return r;
}

int
inkan_dkim_sign_end(struct inkan_dkim_sign *s, const char **fields, const char **why)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl;
	struct inkan_buf out;
	int r;

	*fields = NULL;
	if (why != NULL)
		*why = NULL;
	if (count_fields(s->f, s->nf, "from") == 0) {
		if (why != NULL)
			*why = "message has no From field (RFC 6376 §5.4 requires signing it)";
		return INKAN_EINVAL;
	}
	if ((r = inkan__bodyc_end(&s->bc)) != 0)
		return r;
	if (EVP_DigestFinal_ex(s->md, d, &dl) != 1)
		return INKAN_ENOMEM;
	const char *bh = inkan__b64_encode(s->a, d, dl);

	if (bh == NULL)
		return INKAN_ENOMEM;
	inkan_buf_init(&out, 0);
	for (size_t i = 0; i < s->nkeys && r == 0; i++)
		r = sign_one(s, i, bh, &out);
	if (r == 0 && (*fields = inkan_arena_strndup(s->a, out.p ? out.p : "", out.len)) == NULL)
		r = INKAN_ENOMEM;
	if (r != 0 && why != NULL && *why == NULL)
		*why = "signing failed";
	inkan_buf_free(&out);
	return r;
}

static int
on_field(void *arg, const struct inkan_msg_field *f)
{
	return inkan_dkim_sign_header(arg, f->raw.p, f->raw.len);
}

static int
on_body(void *arg, const char *p, size_t n)
{
	return inkan_dkim_sign_body(arg, p, n);
}

int
inkan_dkim_sign_message(struct inkan_arena *a, struct inkan_dkim_key *const *keys,
    size_t nkeys, const struct inkan_dkim_sign_opts *o, const char *msg, size_t len,
    const char **fields, const char **why)
{
	struct inkan_dkim_sign *s;
	int r;

	*fields = NULL;
	if (why != NULL)
		*why = NULL;
	if ((r = inkan_dkim_sign_new(a, keys, nkeys, o, &s)) != 0)
		return r;
	struct inkan_msg_opts mo = { .on_field = on_field, .on_body = on_body, .arg = s };

	r = inkan_msg_feed_all(&mo, msg, len);
	if (r == 0)
		r = inkan_dkim_sign_end(s, fields, why);
	inkan_dkim_sign_free(s);
	return r;
}
