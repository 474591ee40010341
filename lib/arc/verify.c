/* verify.c - ARC chain validation (RFC 8617 §5.2).
 *
 * At the end of the header everything that does not need the body is
 * done: the ARC fields are sorted into sets, the structure checked, each
 * AMS and AS parsed, keys fetched (through the DKIM key fetch and cache),
 * every AMS header hash and every seal verified.  A seal covers the ARC
 * sets 1..i, so the seals are checked from the oldest up over one growing
 * buffer of canonical ARC fields.  The body then streams through one
 * canonicalizer per distinct (c=, l=) of the AMSes (usually one), and at
 * the end the AMS body hashes are compared and the status decided in the
 * RFC's order: structure, cv= of the seals, the newest AMS, oldest-pass,
 * the seals from the newest down.
 *
 * A chain that fails its structure is decided at the end of the header,
 * without a DNS query.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/msg.h"
#include "arc_int.h"

/* A body hash shared by the AMSes with the same c= body part and l=. */
struct bodyh {
	enum inkan_dkim_canon canon;
	bool has_l;
	uint64_t l;
	EVP_MD_CTX *md;
	struct inkan__bodyc *bc;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
};

/* One signature (AMS or AS) of instance i. */
struct asig {
	struct inkan_arc_sig ps;
	bool parsed;		/* ps is valid */
	bool active;		/* AMS: header hash checked, body hash pending */
	bool sig_ok;		/* AMS: header signature verified */
	size_t body;		/* AMS: index into bodies */
	enum inkan_dkim_result result;
	const char *why;	/* reason when result is not PASS */
};

struct inkan_arc_verify {
	struct inkan_resolver *r;
	struct inkan_arena *a;
	struct inkan_arc_verify_opts o;
	struct inkan__dkim_field *f;
	size_t nf, capf;
	bool header_done;
	int err;		/* sticky: EAGAIN / ENOMEM */
	struct inkan__arc_chain chain;
	unsigned n;		/* sets (0 when the chain is not usable) */
	struct inkan_arc_set *sets;	/* n, or chain.n capped, entries */
	size_t nsets;
	struct asig *ams;	/* [i], 1..n */
	struct asig *as;	/* [i], 1..n */
	struct bodyh bodies[INKAN_ARC_MAX_INSTANCES];
	size_t nbodies;
	/* decided before the body */
	bool decided;
	enum inkan_arc_cv cv;
	const char *reason;
};

int
inkan_arc_verify_new(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_arc_verify_opts *o, struct inkan_arc_verify **out)
{
	struct inkan_arc_verify *v;

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
	*out = v;
	return 0;
}

void
inkan_arc_verify_free(struct inkan_arc_verify *v)
{
	if (v == NULL)
		return;
	for (size_t k = 0; k < v->nbodies; k++) {
		EVP_MD_CTX_free(v->bodies[k].md);
		v->bodies[k].md = NULL;
		free(v->bodies[k].bc);
		v->bodies[k].bc = NULL;
	}
	v->nbodies = 0;
	free(v->f);
	v->f = NULL;
	v->nf = v->capf = 0;
}

int
inkan_arc_verify_header(struct inkan_arc_verify *v, const char *raw, size_t len)
{
	if (v->header_done)
		return INKAN_EINVAL;
	return inkan__dkim_field_add(v->a, &v->f, &v->nf, &v->capf, raw, len);
}

int
inkan_arc_verify_field(struct inkan_arc_verify *v, const struct inkan_msg_field *f)
{
	return inkan_arc_verify_header(v, f->raw.p, f->raw.len);
}

static void
decide(struct inkan_arc_verify *v, enum inkan_arc_cv cv, const char *why)
{
	if (v->decided)
		return;
	v->decided = true;
	v->cv = cv;
	v->reason = why;
	if (why == NULL && cv != INKAN_ARC_PASS)
		v->err = INKAN_ENOMEM;	/* a reason could not be formatted */
}

static const struct inkan__dkim_field *
slot_field(const struct inkan_arc_verify *v, unsigned i, int kind)
{
	size_t s = v->chain.slot[i][kind];

	return s ? &v->f[s - 1] : NULL;
}

/* The AAR payload, unfolded and trimmed, for the results. */
static const char *
aar_payload(struct inkan_arc_verify *v, unsigned i)
{
	const struct inkan__dkim_field *f = slot_field(v, i, ARC_AAR);
	struct inkan_slice val, pl;
	unsigned ii;
	char *o;
	size_t k = 0;

	if (f == NULL)
		return NULL;
	val = inkan__arc_value(f);
	if (inkan_arc_aar_parse(val.p, val.len, &ii, &pl, NULL) != 0)
		return NULL;
	pl = inkan_slice_trim(pl);
	if ((o = inkan_arena_alloc(v->a, pl.len + 1)) == NULL) {
		v->err = INKAN_ENOMEM;
		return NULL;
	}
	/* a line break and the WSP around it become one SP */
	for (size_t j = 0; j < pl.len; j++) {
		if (pl.p[j] != '\r' && pl.p[j] != '\n') {
			o[k++] = pl.p[j];
			continue;
		}
		while (k > 0 && (o[k - 1] == ' ' || o[k - 1] == '\t'))
			k--;
		while (j + 1 < pl.len && (pl.p[j + 1] == '\r' || pl.p[j + 1] == '\n' ||
		    pl.p[j + 1] == ' ' || pl.p[j + 1] == '\t'))
			j++;
		o[k++] = ' ';
	}
	o[k] = '\0';
	return o;
}

/* Checks before the key: algorithm and time.  NULL = go on. */
static const char *
precheck(struct inkan_arc_verify *v, const struct inkan_dkim_sig *sig,
    enum inkan_dkim_result *res)
{
	const char *why;

	*res = INKAN_DKIM_PERMERROR;
	if (sig->alg == INKAN_DKIM_ALG_UNKNOWN)
		return inkan_arena_printf(v->a, "unknown algorithm a=%.40s", sig->a);
	*res = INKAN_DKIM_FAIL;
	if (sig->alg == INKAN_DKIM_ALG_RSA_SHA1)
		return "rsa-sha1 not allowed (RFC 8301 §3.1)";
	if (sig->alg == INKAN_DKIM_ALG_ED25519_SHA256 && v->o.rsa_only)
		return "ed25519-sha256 refused (RFC 8617 defines rsa-sha256 only)";
	if ((why = inkan__dkim_check_time(sig, v->o.now, INKAN_DKIM_DEFAULT_CLOCK_SKEW)) != NULL)
		return why;
	return NULL;
}

static bool
fetch(struct inkan_arc_verify *v, const struct inkan_dkim_sig *sig, struct inkan__key *k)
{
	struct inkan__keyfetch kf = { v->r, v->a, v->o.keycache, INKAN_DKIM_MIN_RSA_BITS, 0 };
	bool ok = inkan__dkim_key_fetch(&kf, sig, k);

	if (kf.err != 0)
		v->err = kf.err;
	return ok;
}

static void
verdict(struct asig *g, enum inkan_dkim_result r, const char *why)
{
	g->result = r;
	g->why = why;
	g->active = false;
}

/* One AMS: precheck, key, header hash; a body hasher on success. */
static void
check_ams(struct inkan_arc_verify *v, unsigned i)
{
	struct asig *m = &v->ams[i];
	const struct inkan_dkim_sig *sig = &m->ps.sig;
	const struct inkan__dkim_field *f = slot_field(v, i, ARC_AMS);
	enum inkan_dkim_result res;
	struct inkan__key key;
	const char *why;
	int r;

	if (!m->parsed)
		return;		/* the verdict came from the parse */
	if ((why = precheck(v, sig, &res)) != NULL) {
		verdict(m, res, why);
		return;
	}
	if (!fetch(v, sig, &key)) {
		verdict(m, key.result, key.reason);
		return;
	}
	struct inkan_buf b;

	inkan_buf_init(&b, 0);
	r = inkan__dkim_header_input(v->f, v->nf, sig->h, sig->nh, sig->hdr_canon, &b);
	if (r == 0)
		r = inkan__dkim_self_input(sig->hdr_canon, f->raw, f->len, &b);
	if (r == 0)
		m->sig_ok = inkan__dkim_verify_data(key.pk, key.vctx, sig->alg, sig->b,
		    sig->blen, &b);
	inkan_buf_free(&b);
	inkan__dkim_key_release(&key);
	if (r != 0) {
		if (r == INKAN_ENOMEM)
			v->err = r;
		verdict(m, INKAN_DKIM_PERMERROR, "cannot build header hash input");
		return;
	}
	/* the body hasher: one per (canonicalization, l=) */
	uint64_t l = sig->has_l ? sig->l : 0;
	size_t k;

	for (k = 0; k < v->nbodies; k++)
		if (v->bodies[k].canon == sig->body_canon && v->bodies[k].has_l == sig->has_l &&
		    v->bodies[k].l == l)
			break;
	if (k == v->nbodies) {
		struct bodyh *bh = &v->bodies[v->nbodies++];

		bh->canon = sig->body_canon;
		bh->has_l = sig->has_l;
		bh->l = l;
		bh->md = EVP_MD_CTX_new();
		bh->bc = malloc(sizeof(*bh->bc));
		if (bh->md == NULL || bh->bc == NULL ||
		    EVP_DigestInit_ex(bh->md, inkan__sha256(), NULL) != 1) {
			v->err = INKAN_ENOMEM;
			verdict(m, INKAN_DKIM_TEMPERROR, "out of memory");
			return;
		}
		inkan__bodyc_init(bh->bc, bh->canon, bh->md, sig->has_l ? l : UINT64_MAX);
	}
	m->body = k;
	m->active = true;
}

/* The seals, oldest first, over one growing buffer: AS(i) signs the
 * relaxed forms of AAR, AMS, AS of sets 1..i-1, then AAR(i), AMS(i) and
 * AS(i) itself with b= empty (RFC 8617 §5.1.1 and §5.2 step 6). */
static void
check_seals(struct inkan_arc_verify *v)
{
	struct inkan_buf b;

	inkan_buf_init(&b, 0);
	for (unsigned i = 1; i <= v->n && b.err == 0; i++) {
		struct asig *g = &v->as[i];
		const struct inkan_dkim_sig *sig = &g->ps.sig;
		const struct inkan__dkim_field *as = slot_field(v, i, ARC_AS);
		enum inkan_dkim_result res;
		struct inkan__key key;
		const char *why;
		size_t mark;

		for (int kind = ARC_AAR; kind <= ARC_AMS; kind++) {
			const struct inkan__dkim_field *f = slot_field(v, i, kind);

			inkan__canon_header(INKAN_DKIM_RELAXED, f->raw, f->len, false, &b);
		}
		mark = b.len;
		if (!g->parsed) {
			;	/* the verdict came from the parse */
		} else if ((why = precheck(v, sig, &res)) != NULL) {
			verdict(g, res, why);
		} else if (!fetch(v, sig, &key)) {
			verdict(g, key.result, key.reason);
		} else {
			int r = inkan__dkim_self_input(INKAN_DKIM_RELAXED, as->raw, as->len, &b);

			if (r == 0 && inkan__dkim_verify_data(key.pk, key.vctx, sig->alg, sig->b,
			    sig->blen, &b))
				verdict(g, INKAN_DKIM_PASS, NULL);
			else if (r != 0)
				verdict(g, INKAN_DKIM_PERMERROR, "cannot build the seal's hash input");
			else
				verdict(g, INKAN_DKIM_FAIL, "signature mismatch");
			inkan__dkim_key_release(&key);
			b.len = mark;
			if (b.p != NULL)
				b.p[mark] = '\0';
		}
		inkan__canon_header(INKAN_DKIM_RELAXED, as->raw, as->len, false, &b);
	}
	if (b.err != 0)
		v->err = b.err;
	inkan_buf_free(&b);
}

/* Parse the AMS or AS of instance i into g; a malformed one gets its
 * verdict here (permerror). */
static void
parse_sig(struct inkan_arc_verify *v, unsigned i, int kind, struct asig *g)
{
	const struct inkan__dkim_field *f = slot_field(v, i, kind);
	struct inkan_slice val = inkan__arc_value(f);
	const char *why = NULL;
	int r;

	g->result = INKAN_DKIM_NEUTRAL;
	r = kind == ARC_AS ? inkan_arc_as_parse(v->a, val.p, val.len, &g->ps, &why) :
	    inkan_arc_ams_parse(v->a, val.p, val.len, &g->ps, &why);
	if (r == INKAN_ENOMEM) {
		v->err = r;
		verdict(g, INKAN_DKIM_TEMPERROR, "out of memory");
		return;
	}
	if (r != 0) {
		verdict(g, INKAN_DKIM_PERMERROR,
		    inkan_arena_printf(v->a, "malformed: %s", why));
		return;
	}
	g->parsed = true;
}

/* Fill the public per-set view from what could be read. */
static void
fill_sets(struct inkan_arc_verify *v, unsigned n)
{
	for (unsigned i = 1; i <= n; i++) {
		struct inkan_arc_set *s = &v->sets[i - 1];

		s->i = i;
		s->ams_result = s->as_result = INKAN_DKIM_NEUTRAL;
		s->aar = aar_payload(v, i);
		if (v->ams != NULL && v->ams[i].parsed) {
			s->ams_d = v->ams[i].ps.sig.d;
			s->ams_s = v->ams[i].ps.sig.s;
		}
		if (v->as != NULL && v->as[i].parsed) {
			s->as_d = v->as[i].ps.sig.d;
			s->as_s = v->as[i].ps.sig.s;
			s->cv = v->as[i].ps.cv_text;
		}
	}
}

int
inkan_arc_verify_header_end(struct inkan_arc_verify *v)
{
	struct inkan__arc_chain *c = &v->chain;
	unsigned n;
	int r;

	if (v->header_done)
		return v->err;
	v->header_done = true;
	if ((r = inkan__arc_collect(v->a, v->f, v->nf, c)) != 0)
		return v->err = r;
	if (c->nfields == 0) {
		decide(v, INKAN_ARC_NONE, "no ARC sets");
		return v->err;
	}
	/* what the results show: the sets up to the highest instance read */
	n = c->n < INKAN_ARC_MAX_INSTANCES ? c->n : INKAN_ARC_MAX_INSTANCES;
	v->nsets = n;
	v->sets = inkan_arena_zalloc(v->a, (n ? n : 1) * sizeof(*v->sets));
	v->ams = inkan_arena_zalloc(v->a, (n + 1) * sizeof(*v->ams));
	v->as = inkan_arena_zalloc(v->a, (n + 1) * sizeof(*v->as));
	if (v->sets == NULL || v->ams == NULL || v->as == NULL)
		return v->err = INKAN_ENOMEM;
	for (unsigned i = 1; i <= n; i++) {
		if (c->slot[i][ARC_AMS] != 0)
			parse_sig(v, i, ARC_AMS, &v->ams[i]);
		else
			verdict(&v->ams[i], INKAN_DKIM_PERMERROR, "missing");
		if (c->slot[i][ARC_AS] != 0)
			parse_sig(v, i, ARC_AS, &v->as[i]);
		else
			verdict(&v->as[i], INKAN_DKIM_PERMERROR, "missing");
	}
	fill_sets(v, n);
	/* §5.2 steps 1 and 3: structure */
	if (c->why != NULL) {
		decide(v, INKAN_ARC_FAIL, c->why);
		return v->err;
	}
	/* §5.2 step 2: the newest seal says the chain already failed */
	if (!v->as[n].parsed) {
		decide(v, INKAN_ARC_FAIL, inkan_arena_printf(v->a, "ARC-Seal i=%u: %s", n,
		    v->as[n].why));
		return v->err;
	}
	if (v->as[n].ps.cv == INKAN_ARC_FAIL) {
		decide(v, INKAN_ARC_FAIL, inkan_arena_printf(v->a,
		    "newest ARC-Seal (i=%u) has cv=fail", n));
		return v->err;
	}
	/* §5.2 step 3: every seal readable; cv=none at i=1, pass above */
	for (unsigned i = n; i >= 1; i--) {
		const struct asig *g = &v->as[i];

		if (!g->parsed) {
			decide(v, INKAN_ARC_FAIL, inkan_arena_printf(v->a, "ARC-Seal i=%u: %s",
			    i, g->why));
			return v->err;
		}
		if (i == 1 && g->ps.cv != INKAN_ARC_NONE) {
			decide(v, INKAN_ARC_FAIL, inkan_arena_printf(v->a,
			    "ARC-Seal i=1 has cv=%s (must be none)", g->ps.cv_text));
			return v->err;
		}
		if (i > 1 && g->ps.cv != INKAN_ARC_PASS) {
			decide(v, INKAN_ARC_FAIL, inkan_arena_printf(v->a,
			    "ARC-Seal i=%u has cv=%s (must be pass)", i, g->ps.cv_text));
			return v->err;
		}
	}
	v->n = n;
	/* the newest AMS first: its key fetch is the one that decides */
	for (unsigned i = n; i >= 1; i--)
		check_ams(v, i);
	check_seals(v);
	return v->err;
}

int
inkan_arc_verify_body(struct inkan_arc_verify *v, const char *p, size_t n)
{
	int r;

	if (!v->header_done && (r = inkan_arc_verify_header_end(v)) != 0)
		return r;
	for (size_t k = 0; k < v->nbodies; k++)
		if ((r = inkan__bodyc_feed(v->bodies[k].bc, p, n)) != 0)
			return r;
	return 0;
}

/* "AMS: why; AS: why", or one of them, or NULL. */
static const char *
set_reason(struct inkan_arc_verify *v, const struct asig *m, const struct asig *g)
{
	bool am = m->result != INKAN_DKIM_PASS, as = g->result != INKAN_DKIM_PASS;
	const char *mw = m->why ? m->why : "not checked", *gw = g->why ? g->why : "not checked";

	if (am && as)
		return inkan_arena_printf(v->a, "AMS: %s; AS: %s", mw, gw);
	if (am)
		return inkan_arena_printf(v->a, "AMS: %s", mw);
	if (as)
		return inkan_arena_printf(v->a, "AS: %s", gw);
	return NULL;
}

int
inkan_arc_verify_end(struct inkan_arc_verify *v, struct inkan_arc_results *out)
{
	unsigned n;
	int r;

	memset(out, 0, sizeof(*out));
	if (!v->header_done && (r = inkan_arc_verify_header_end(v)) != 0)
		return r;
	if (v->err != 0)
		return v->err;
	for (size_t k = 0; k < v->nbodies; k++) {
		struct bodyh *bh = &v->bodies[k];

		if ((r = inkan__bodyc_end(bh->bc)) != 0)
			return r;
		if (EVP_DigestFinal_ex(bh->md, bh->digest, &bh->dlen) != 1)
			return INKAN_ENOMEM;
	}
	n = v->n;
	for (unsigned i = 1; i <= n; i++) {
		struct asig *m = &v->ams[i];
		struct bodyh *bh = &v->bodies[m->body];

		if (!m->active)
			continue;
		if (m->ps.sig.has_l && m->ps.sig.l > bh->bc->total)
			verdict(m, INKAN_DKIM_FAIL, "l= is longer than the body");
		else if (bh->dlen != m->ps.sig.bhlen ||
		    memcmp(bh->digest, m->ps.sig.bh, bh->dlen) != 0)
			verdict(m, INKAN_DKIM_FAIL, "body hash mismatch");
		else if (!m->sig_ok)
			verdict(m, INKAN_DKIM_FAIL, "signature mismatch");
		else
			verdict(m, INKAN_DKIM_PASS, NULL);
	}
	if (!v->decided) {
		/* §5.2 step 4: the newest AMS */
		const struct asig *m = &v->ams[n];

		if (m->result != INKAN_DKIM_PASS) {
			decide(v, INKAN_ARC_FAIL, inkan_arena_printf(v->a,
			    "AMS of instance %u: %s", n, m->why));
			out->temperror = m->result == INKAN_DKIM_TEMPERROR;
		}
	}
	if (!v->decided) {
		/* §5.2 step 5: oldest-pass */
		for (unsigned i = n; i-- > 1;)
			if (v->ams[i].result != INKAN_DKIM_PASS) {
				out->oldest_pass = (int)i + 1;
				break;
			}
		/* §5.2 step 6: every seal, the newest first */
		for (unsigned i = n; i >= 1 && !v->decided; i--) {
			const struct asig *g = &v->as[i];

			if (g->result != INKAN_DKIM_PASS) {
				decide(v, INKAN_ARC_FAIL, inkan_arena_printf(v->a,
				    "ARC-Seal of instance %u: %s", i, g->why));
				out->temperror = g->result == INKAN_DKIM_TEMPERROR;
			}
		}
		if (v->decided)
			out->oldest_pass = 0;
	}
	decide(v, INKAN_ARC_PASS, NULL);
	if (v->err != 0)
		return v->err;
	for (unsigned i = 1; i <= v->nsets && v->ams != NULL; i++) {
		struct inkan_arc_set *s = &v->sets[i - 1];

		s->ams_result = v->ams[i].result;
		s->as_result = v->as[i].result;
		s->reason = set_reason(v, &v->ams[i], &v->as[i]);
	}
	out->cv = v->cv;
	out->reason = v->reason;
	out->n = v->nsets;
	out->sets = v->nsets ? v->sets : NULL;
	return 0;
}

static int
on_field(void *arg, const struct inkan_msg_field *f)
{
	struct inkan_arc_verify *v = arg;

	if (v->header_done)
		return INKAN_EINVAL;
	return inkan__dkim_field_borrow(&v->f, &v->nf, &v->capf, f);
}

static int
on_header_end(void *arg)
{
	return inkan_arc_verify_header_end(arg);
}

static int
on_body(void *arg, const char *p, size_t n)
{
	return inkan_arc_verify_body(arg, p, n);
}

int
inkan_arc_verify_message(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_arc_verify_opts *o, const char *msg, size_t len,
    struct inkan_arc_results *out)
{
	struct inkan_arc_verify *v;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = inkan_arc_verify_new(r, a, o, &v)) != 0)
		return rc;
	struct inkan_msg_opts mo = {
		.on_field = on_field, .on_header_end = on_header_end, .on_body = on_body,
		.arg = v,
	};

	rc = inkan_msg_feed_all(&mo, msg, len);
	if (rc == 0)
		rc = inkan_arc_verify_end(v, out);
	inkan_arc_verify_free(v);
	return rc;
}
