/* seal.c - adding an ARC set to a message we forward (RFC 8617 §5.1).
 *
 * The body is canonicalized and hashed while it streams (one hash, for
 * the AMS bh=); header fields are kept.  At the end the three fields of
 * the new set N are made, in this order, because each covers the last:
 *   AAR  "i=N; <authserv-id>; <results>",
 *   AMS  a DKIM-style signature of the message with the new AAR on top,
 *   AS   a signature of the ARC sets 1..N (only set N for cv=fail, §5.1.2).
 *
 * Layout.  Tags are written in alphabetical order (a, b, bh, c, d, h, i,
 * s, t and a, b, cv, d, i, s, t), separated by "; ", and a line is broken
 * only between two tags, when it would pass 78 columns.  Nothing is ever
 * folded inside b=, bh= or h=: the seal covers the AMS in relaxed form,
 * where a line break inside a value would become a space, so this layout
 * (the ValiMail suite's) makes a seal reproducible from the same inputs.
 * The break positions are decided with b= at its final length, so the
 * bytes signed (with b= empty) and the bytes sent differ only in b=.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/msg.h"
#include "arc_int.h"

/* Fold at this column (RFC 5322 §2.1.1 SHOULD for 78 characters). */
#define FOLD_COLUMN	78

struct inkan_arc_seal {
	struct inkan_arena *a;
	struct inkan_dkim_key *key;
	struct inkan_arc_seal_opts o;
	enum inkan_dkim_canon hc, bc;
	struct inkan__dkim_field *f;
	size_t nf, capf;
	EVP_MD_CTX *md;
	struct inkan__bodyc body;
	bool body_started;
};

/* A domain, selector or authserv-id we write into a field: printable
 * US-ASCII without ';', '=' or whitespace (or UTF-8 for IDN text). */
static bool
token_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == ';' || c == '=' || c == 0x7f || c == '(' || c == ')' ||
		    c == '"' || c == '\\')
			return false;
	}
	return true;
}

int
inkan_arc_seal_new(struct inkan_arena *a, struct inkan_dkim_key *key,
    const struct inkan_arc_seal_opts *o, struct inkan_arc_seal **out)
{
	struct inkan_arc_seal *s;

	*out = NULL;
	if (a == NULL || key == NULL || o == NULL)
		return INKAN_EINVAL;
	if (!token_ok(o->domain) || !token_ok(o->selector) || !token_ok(o->authserv_id))
		return INKAN_EINVAL;
	for (const char *const *h = o->headers; h != NULL && *h != NULL; h++)
		if (strcasecmp(*h, "arc-seal") == 0 || !token_ok(*h) || strchr(*h, ':'))
			return INKAN_EINVAL;	/* RFC 8617 §4.1.2 */
	/* RFC 8617 defines rsa-sha256 only */
	if (strcmp(inkan_dkim_key_type(key), "rsa") != 0)
		return INKAN_EUNSUPPORTED;
	if ((s = inkan_arena_zalloc(a, sizeof(*s))) == NULL)
		return INKAN_ENOMEM;
	s->a = a;
	s->key = key;
	s->o = *o;
	s->hc = o->use_canon ? o->hdr_canon : INKAN_DKIM_RELAXED;
	s->bc = o->use_canon ? o->body_canon : INKAN_DKIM_RELAXED;
	s->md = EVP_MD_CTX_new();
	if (s->md == NULL || EVP_DigestInit_ex(s->md, inkan__sha256(), NULL) != 1) {
		EVP_MD_CTX_free(s->md);
		return INKAN_ENOMEM;
	}
	inkan__bodyc_init(&s->body, s->bc, s->md, UINT64_MAX);
	*out = s;
	return 0;
}

void
inkan_arc_seal_free(struct inkan_arc_seal *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	free(s->f);
	s->f = NULL;
	s->nf = s->capf = 0;
}

int
inkan_arc_seal_header(struct inkan_arc_seal *s, const char *raw, size_t len)
{
	if (s->body_started)
		return INKAN_EINVAL;
	return inkan__dkim_field_add(s->a, &s->f, &s->nf, &s->capf, raw, len);
}

int
inkan_arc_seal_body(struct inkan_arc_seal *s, const char *p, size_t n)
{
	s->body_started = true;
	return inkan__bodyc_feed(&s->body, p, n);
}

/* ---- Authentication-Results text ---- */

/* Split an RFC 8601 payload at the ';' that are outside comments and
 * quoted strings, unfolding line breaks; each non-empty, trimmed piece
 * is appended to b, pieces separated by sep. */
static size_t
split_results(const char *p, size_t n, const char *sep, size_t count, struct inkan_buf *b)
{
	size_t start = 0, depth = 0;
	bool quote = false;

	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? p[i] : ';';

		if (i < n && c == '\\' && (quote || depth > 0)) {
			i++;
			continue;
		}
		if (quote) {
			quote = c != '"';
			continue;
		}
		if (c == '"' && depth == 0) {
			quote = true;
			continue;
		}
		if (c == '(') {
			depth++;
			continue;
		}
		if (c == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (c != ';' || (depth > 0 && i < n))
			continue;
		struct inkan_slice r = inkan_slice_trim((struct inkan_slice){ p + start, i - start });

		start = i + 1;
		/* RFC 8601 §2.2: "none" says there are no results */
		if (r.len == 0 || (r.len == 4 && strncasecmp(r.p, "none", 4) == 0))
			continue;
		if (count++ > 0)
			inkan_buf_puts(b, sep);
		/* unfold: a line break and the WSP after it become one SP */
		for (size_t k = 0; k < r.len; k++) {
			if (r.p[k] == '\r' || r.p[k] == '\n') {
				while (k + 1 < r.len && (r.p[k + 1] == '\r' || r.p[k + 1] == '\n' ||
				    r.p[k + 1] == ' ' || r.p[k + 1] == '\t'))
					k++;
				inkan_buf_putc(b, ' ');
				continue;
			}
			inkan_buf_putc(b, r.p[k]);
		}
	}
	return count;
}

/* The authserv-id of an Authentication-Results value (RFC 8601 §2.2:
 * [CFWS] value [CFWS [version]] ";"), and the offset after its ';'. */
static bool
authserv_is(const char *p, size_t n, const char *id, size_t *rest)
{
	size_t i = 0, idl = strlen(id);

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (n - i < idl || strncasecmp(p + i, id, idl) != 0)
		return false;
	i += idl;
	/* the id must end here: WSP, comment, version or ';' */
	if (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
	    p[i] != '\n' && p[i] != '(')
		return false;
	const char *semi = memchr(p + i, ';', n - i);

	*rest = semi ? (size_t)(semi - p) + 1 : n;
	return true;
}

/* The results for the AAR into b ("r1;\r\n  r2 ..."), "none" if empty. */
static int
aar_results(struct inkan_arc_seal *s, const char *authres, struct inkan_buf *b)
{
	static const char sep[] = ";\r\n  ";
	size_t count = 0, rest;

	if (authres != NULL) {
		size_t n = strlen(authres);

		/* a leading "<authserv-id>;" is ours to write: drop it */
		if (authserv_is(authres, n, s->o.authserv_id, &rest)) {
			authres += rest;
			n -= rest;
		}
		count = split_results(authres, n, sep, 0, b);
	} else {
		/* the ValiMail suite's consolidation: every A-R field with
		 * our authserv-id, in message order, each result once */
		for (size_t j = 0; j < s->nf; j++) {
			const struct inkan__dkim_field *f = &s->f[j];

			if (!inkan_slice_caseeq_cstr(f->name, "Authentication-Results"))
				continue;
			struct inkan_slice v = inkan__arc_value(f);

			if (!authserv_is(v.p, v.len, s->o.authserv_id, &rest))
				continue;
			count = split_results(v.p + rest, v.len - rest, sep, count, b);
		}
	}
	if (count == 0)
		inkan_buf_puts(b, "none");
	if (b->err == 0 && b->len > INKAN_ARC_MAX_AAR_BYTES)
		return INKAN_ETOOBIG;
	return b->err;
}

/* ---- field layout ---- */

/* Write "Name: t1; t2; ..." into b, breaking lines between tags only;
 * tags[bidx] is "b=" whose value, final length blen, is bval or (NULL)
 * left empty.  No final CRLF. */
static void
layout(struct inkan_buf *b, const char *name, const char *const *tags, size_t n, size_t bidx,
    size_t blen, const char *bval)
{
	size_t col;

	inkan_buf_puts(b, name);
	inkan_buf_puts(b, ": ");
	col = strlen(name) + 2;
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(tags[k]) + (k == bidx ? blen : 0) + (k + 1 < n ? 1 : 0);

		if (k > 0) {
			if (col + 1 + len > FOLD_COLUMN) {
				inkan_buf_puts(b, "\r\n ");
				col = 1;
			} else {
				inkan_buf_putc(b, ' ');
				col++;
			}
		}
		inkan_buf_puts(b, tags[k]);
		if (k == bidx && bval != NULL)
			inkan_buf_puts(b, bval);
		if (k + 1 < n)
			inkan_buf_putc(b, ';');
		col += len;
	}
}

/* Sign data with the key and write the field: layout with b= empty is
 * what data ends with; the same layout with b= filled goes to out. */
static int
sign_field(struct inkan_arc_seal *s, const char *name, enum inkan_dkim_canon c,
    const char *const *tags, size_t n, size_t bidx, struct inkan_buf *data,
    struct inkan_buf *out)
{
	struct inkan_buf fld;
	uint8_t *sig;
	size_t siglen, blen;
	const char *b64;
	int r;

	/* base64 length of an RSA signature: the modulus size */
	blen = ((size_t)EVP_PKEY_get_size(inkan__key_pkey(s->key)) + 2) / 3 * 4;
	inkan_buf_init(&fld, 0);
	layout(&fld, name, tags, n, bidx, blen, NULL);
	if (fld.err == 0)
		inkan__canon_header(c, fld.p, fld.len, true, data);
	r = fld.err ? fld.err : data->err;
	inkan_buf_free(&fld);
	if (r == 0)
		r = inkan__dkim_sign_data(s->key, data, s->a, &sig, &siglen);
	if (r != 0)
		return r;
	if ((b64 = inkan__b64_encode(s->a, sig, siglen)) == NULL)
		return INKAN_ENOMEM;
	layout(out, name, tags, n, bidx, strlen(b64), b64);
	return out->err;
}

/* ---- the existing chain ---- */

/* The newest seal's cv, if the message has a readable one (-1 if not). */
static int
newest_cv(struct inkan_arc_seal *s, const struct inkan__arc_chain *c)
{
	struct inkan_arc_sig as;
	unsigned n = c->n;

	if (n == 0 || n > INKAN_ARC_MAX_INSTANCES || c->slot[n][ARC_AS] == 0)
		return -1;
	struct inkan_slice v = inkan__arc_value(&s->f[c->slot[n][ARC_AS] - 1]);

	if (inkan_arc_as_parse(s->a, v.p, v.len, &as, NULL) != 0)
		return -1;
	return (int)as.cv;
}

static int
fail(const char **why, const char *w, int r)
{
	if (why != NULL)
		*why = w;
	return r;
}

int
inkan_arc_seal_end(struct inkan_arc_seal *s, enum inkan_arc_cv cv, const char *authres,
    const char **fields, const char **why)
{
	struct inkan__arc_chain c;
	struct inkan_buf aar, data, out;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl, n;
	int64_t t;
	char ibuf[16], tbuf[32];
	int r;

	*fields = NULL;
	if (why != NULL)
		*why = NULL;
	if (cv != INKAN_ARC_NONE && cv != INKAN_ARC_PASS && cv != INKAN_ARC_FAIL)
		return fail(why, "cv is not none, pass or fail", INKAN_EINVAL);
	if ((r = inkan__arc_collect(s->a, s->f, s->nf, &c)) != 0)
		return r;
	/* §5.1 step 1: a chain that already failed is not carried on */
	if (newest_cv(s, &c) == INKAN_ARC_FAIL) {
		*fields = "";
		return fail(why, "not sealed: the newest ARC-Seal already has cv=fail "
		    "(RFC 8617 §5.1)", 0);
	}
	if (cv == INKAN_ARC_NONE && c.nfields > 0)
		return fail(why, "cv=none, but the message has ARC header fields", INKAN_EINVAL);
	if (cv == INKAN_ARC_PASS && c.nfields == 0)
		return fail(why, "cv=pass, but the message has no ARC set", INKAN_EINVAL);
	if (cv == INKAN_ARC_PASS && c.why != NULL)
		return fail(why, "cv=pass, but the ARC chain is not well formed", INKAN_EINVAL);
	/* §4.2.1: at most 50 sets */
	if (c.n >= INKAN_ARC_MAX_INSTANCES)
		return fail(why, "the message has 50 ARC sets already (RFC 8617 §4.2.1)",
		    INKAN_ELIMIT);
	n = c.n + 1;

	/* the body hash */
	s->body_started = true;
	if ((r = inkan__bodyc_end(&s->body)) != 0)
		return r;
	if (EVP_DigestFinal_ex(s->md, d, &dl) != 1)
		return INKAN_ENOMEM;
	const char *bh = inkan__b64_encode(s->a, d, dl);

	if (bh == NULL)
		return INKAN_ENOMEM;
	t = s->o.timestamp ? s->o.timestamp : (int64_t)time(NULL);
	snprintf(ibuf, sizeof(ibuf), "i=%u", n);
	snprintf(tbuf, sizeof(tbuf), "t=%lld", (long long)t);

	inkan_buf_init(&aar, 0);
	inkan_buf_init(&data, 0);
	inkan_buf_init(&out, 0);

	/* AAR (§4.1.1) */
	struct inkan_buf res;

	inkan_buf_init(&res, 0);
	r = aar_results(s, authres, &res);
	if (r == 0)
		inkan_buf_printf(&aar, "ARC-Authentication-Results: i=%u; %s; %s", n,
		    s->o.authserv_id, res.p);
	inkan_buf_free(&res);
	if (r == 0)
		r = aar.err;
	if (r == INKAN_ETOOBIG && why != NULL)
		*why = "Authentication-Results too long for the ARC-Authentication-Results field";
	if (r != 0)
		goto out;

	/* AMS (§4.1.2): the message with the new AAR on top */
	struct inkan__dkim_field *mf = malloc((s->nf + 1) * sizeof(*mf));
	const char **h;
	size_t nh;
	static const char *const also[] = { "dkim-signature", NULL };

	if (mf == NULL) {
		r = INKAN_ENOMEM;
		goto out;
	}
	mf[0] = (struct inkan__dkim_field){ aar.p, aar.len,
	    { aar.p, strlen("ARC-Authentication-Results") } };
	if (s->nf > 0)
		memcpy(mf + 1, s->f, s->nf * sizeof(*mf));
	r = inkan__dkim_build_h(s->a, mf, s->nf + 1, s->o.headers, false,
	    s->o.headers ? NULL : also, &h, &nh);
	if (r == 0)
		r = inkan__dkim_header_input(mf, s->nf + 1, h, nh, s->hc, &data);
	free(mf);
	if (r != 0)
		goto out;
	struct inkan_buf hl;

	inkan_buf_init(&hl, 0);
	inkan_buf_puts(&hl, "h=");
	for (size_t k = 0; k < nh; k++) {
		if (k > 0)
			inkan_buf_putc(&hl, ':');
		inkan_buf_puts(&hl, h[k]);
	}
	const char *ams_tags[] = {
		"a=rsa-sha256", "b=", inkan_arena_printf(s->a, "bh=%s", bh),
		s->hc == INKAN_DKIM_RELAXED ?
		    (s->bc == INKAN_DKIM_RELAXED ? "c=relaxed/relaxed" : "c=relaxed/simple") :
		    (s->bc == INKAN_DKIM_RELAXED ? "c=simple/relaxed" : "c=simple/simple"),
		inkan_arena_printf(s->a, "d=%s", s->o.domain),
		hl.err ? NULL : inkan_arena_strdup(s->a, inkan_buf_cstr(&hl)),
		ibuf, inkan_arena_printf(s->a, "s=%s", s->o.selector), tbuf,
	};
	size_t nams = sizeof(ams_tags) / sizeof(ams_tags[0]);

	inkan_buf_free(&hl);
	for (size_t k = 0; k < nams; k++)
		if (ams_tags[k] == NULL) {
			r = INKAN_ENOMEM;
			goto out;
		}
	if (s->o.timestamp < 0)
		nams--;		/* no t= */
	struct inkan_buf ams;

	inkan_buf_init(&ams, 0);
	r = sign_field(s, "ARC-Message-Signature", s->hc, ams_tags, nams, 1, &data, &ams);

	/* AS (§4.1.3, §5.1.1): sets 1..N-1, then AAR(N), AMS(N), AS(N) */
	inkan_buf_reset(&data);
	if (r == 0 && cv != INKAN_ARC_FAIL) {
		for (unsigned i = 1; i < n; i++)
			for (int kind = ARC_AAR; kind <= ARC_AS; kind++) {
				const struct inkan__dkim_field *f = &s->f[c.slot[i][kind] - 1];

				inkan__canon_header(INKAN_DKIM_RELAXED, f->raw, f->len, false, &data);
			}
	}
	/* §5.1.2: a cv=fail seal covers only the set it belongs to */
	if (r == 0) {
		inkan__canon_header(INKAN_DKIM_RELAXED, aar.p, aar.len, false, &data);
		inkan__canon_header(INKAN_DKIM_RELAXED, ams.p, ams.len, false, &data);
		r = data.err;
	}
	const char *as_tags[] = {
		"a=rsa-sha256", "b=", cv == INKAN_ARC_PASS ? "cv=pass" :
		    cv == INKAN_ARC_FAIL ? "cv=fail" : "cv=none",
		inkan_arena_printf(s->a, "d=%s", s->o.domain), ibuf,
		inkan_arena_printf(s->a, "s=%s", s->o.selector), tbuf,
	};
	size_t nas = sizeof(as_tags) / sizeof(as_tags[0]);

	if (as_tags[3] == NULL || as_tags[5] == NULL)
		r = r ? r : INKAN_ENOMEM;
	if (s->o.timestamp < 0)
		nas--;
	if (r == 0)
		r = sign_field(s, "ARC-Seal", INKAN_DKIM_RELAXED, as_tags, nas, 1, &data, &out);
	if (r == 0) {
		inkan_buf_puts(&out, "\r\n");
		inkan_buf_append(&out, ams.p, ams.len);
		inkan_buf_puts(&out, "\r\n");
		inkan_buf_append(&out, aar.p, aar.len);
		inkan_buf_puts(&out, "\r\n");
		r = out.err;
	}
	inkan_buf_free(&ams);
	if (r == 0 && (*fields = inkan_arena_strndup(s->a, out.p, out.len)) == NULL)
		r = INKAN_ENOMEM;
out:
	if (r != 0 && why != NULL && *why == NULL)
		*why = "sealing failed";
	inkan_buf_free(&aar);
	inkan_buf_free(&data);
	inkan_buf_free(&out);
	return r;
}

static int
on_field(void *arg, const struct inkan_msg_field *f)
{
	return inkan_arc_seal_header(arg, f->raw.p, f->raw.len);
}

static int
on_body(void *arg, const char *p, size_t n)
{
	return inkan_arc_seal_body(arg, p, n);
}

int
inkan_arc_seal_message(struct inkan_arena *a, struct inkan_dkim_key *key,
    const struct inkan_arc_seal_opts *o, enum inkan_arc_cv cv, const char *authres,
    const char *msg, size_t len, const char **fields, const char **why)
{
	struct inkan_arc_seal *s;
	int r;

	*fields = NULL;
	if (why != NULL)
		*why = NULL;
	if ((r = inkan_arc_seal_new(a, key, o, &s)) != 0)
		return r;
	struct inkan_msg_opts mo = { .on_field = on_field, .on_body = on_body, .arg = s };

	r = inkan_msg_feed_all(&mo, msg, len);
	if (r == 0)
		r = inkan_arc_seal_end(s, cv, authres, fields, why);
	inkan_arc_seal_free(s);
	return r;
}
