/* verify.c - the verify session: SPF, DKIM, ARC and DMARC over one
 * message, and the Authentication-Results field that records them.
 *
 * The session owns one DKIM and one ARC verify session and feeds them the
 * same header fields and body chunks, so the body is read once.  It keeps
 * the From values (unfolded) for DMARC and notes the
 * Authentication-Results fields that claim our authserv-id.  Everything
 * else happens at end, in the order verify.h gives.
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/msg.h"
#include "inkan/verify.h"

struct inkan_verify {
	struct inkan_resolver *r;
	struct inkan_arena *a;
	struct inkan_verify_opts o;
	struct inkan_dkim_verify_opts dkim_opts;
	struct inkan_dkim_verify *dkim;
	struct inkan_arc_verify *arc;
	struct inkan_verify_envelope env;
	bool header_done;
	int err;			/* sticky */

	struct inkan_slice from[INKAN_VERIFY_MAX_FROM];
	size_t nfrom;			/* From fields seen (may exceed the array) */
	unsigned nar;			/* Authentication-Results fields seen */
	unsigned forged[INKAN_VERIFY_MAX_FORGED];
	size_t nforged;
};

int
inkan_verify_new(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_verify_opts *o, struct inkan_verify **out)
{
	*out = NULL;
	if (r == NULL || a == NULL || o == NULL || o->authserv_id == NULL ||
	    o->authserv_id[0] == '\0')
		return INKAN_EINVAL;
	struct inkan_verify *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return INKAN_ENOMEM;
	v->r = r;
	v->a = a;
	v->o = *o;
	if (o->dkim != NULL)
		v->dkim_opts = *o->dkim;
	if (o->now != 0)
		v->dkim_opts.now = o->now;
	if (o->keycache != NULL)
		v->dkim_opts.keycache = o->keycache;
	int err = inkan_dkim_verify_new(r, a, &v->dkim_opts, &v->dkim);
	if (err == 0 && !o->no_arc) {
		struct inkan_arc_verify_opts ao = {
			.now = v->dkim_opts.now,
			.keycache = v->dkim_opts.keycache,
		};
		err = inkan_arc_verify_new(r, a, &ao, &v->arc);
	}
	if (err != 0) {
		inkan_verify_free(v);
		return err;
	}
	*out = v;
	return 0;
}

void
inkan_verify_free(struct inkan_verify *v)
{
	if (v == NULL)
		return;
	inkan_dkim_verify_free(v->dkim);
	inkan_arc_verify_free(v->arc);
	free(v);
}

int
inkan_verify_envelope(struct inkan_verify *v, const struct inkan_verify_envelope *env)
{
	if (v->header_done || env == NULL)
		return INKAN_EINVAL;
	v->env = *env;
	if (v->env.helo != NULL)
		v->env.helo = inkan_arena_strdup(v->a, env->helo);
	if (v->env.mail_from != NULL)
		v->env.mail_from = inkan_arena_strdup(v->a, env->mail_from);
	if ((env->helo != NULL && v->env.helo == NULL) ||
	    (env->mail_from != NULL && v->env.mail_from == NULL))
		return INKAN_ENOMEM;
	if (v->env.source == INKAN_VERIFY_ENV_NONE &&
	    (env->has_ip || env->helo != NULL || env->mail_from != NULL))
		v->env.source = INKAN_VERIFY_ENV_GIVEN;
	return 0;
}

/* The field name of raw (before the colon, trailing WSP dropped). */
static struct inkan_slice
field_name(const char *raw, size_t len)
{
	const char *c = memchr(raw, ':', len);
	if (c == NULL)
		return (struct inkan_slice){ raw, 0 };
	size_t n = (size_t)(c - raw);
	while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	return (struct inkan_slice){ raw, n };
}

/* The value of raw after the colon, unfolded (CR and LF dropped, as
 * RFC 5322 §2.2.3 unfolding does for CRLF before WSP) and trimmed, in a. */
static struct inkan_slice
field_unfolded(struct inkan_arena *a, const char *raw, size_t len)
{
	const char *c = memchr(raw, ':', len);
	struct inkan_slice s = { NULL, 0 };
	if (c == NULL)
		return s;
	const char *p = c + 1, *end = raw + len;
	char *o = inkan_arena_alloc(a, (size_t)(end - p) + 1);
	if (o == NULL)
		return s;
	size_t n = 0;
	for (; p < end; p++)
		if (*p != '\r' && *p != '\n')
			o[n++] = *p;
	o[n] = '\0';
	s = inkan_slice_trim((struct inkan_slice){ o, n });
	return s;
}

int
inkan_verify_header(struct inkan_verify *v, const char *raw, size_t len)
{
	if (v->err != 0)
		return v->err;
	if (v->header_done)
		return INKAN_EINVAL;
	int err = inkan_dkim_verify_header(v->dkim, raw, len);
	if (err == 0 && v->arc != NULL)
		err = inkan_arc_verify_header(v->arc, raw, len);
	if (err != 0)
		return v->err = err;

	struct inkan_slice name = field_name(raw, len);
	if (inkan_slice_caseeq_cstr(name, "From")) {
		if (v->nfrom < INKAN_VERIFY_MAX_FROM) {
			struct inkan_slice u = field_unfolded(v->a, raw, len);
			if (u.p == NULL)
				return v->err = INKAN_ENOMEM;
			v->from[v->nfrom] = u;
		}
		v->nfrom++;
	} else if (inkan_slice_caseeq_cstr(name, "Authentication-Results")) {
		v->nar++;
		const char *c = memchr(raw, ':', len);
		size_t off = (size_t)(c - raw) + 1;
		if (inkan_authres_claims(raw + off, len - off, v->o.authserv_id) &&
		    v->nforged < INKAN_VERIFY_MAX_FORGED)
			v->forged[v->nforged++] = v->nar;
	}
	return 0;
}

static int
header_end(struct inkan_verify *v)
{
	if (v->header_done)
		return 0;
	v->header_done = true;
	int err = inkan_dkim_verify_header_end(v->dkim);
	return err;
}

int
inkan_verify_body(struct inkan_verify *v, const char *p, size_t n)
{
	if (v->err != 0)
		return v->err;
	int err = header_end(v);
	if (err == 0)
		err = inkan_dkim_verify_body(v->dkim, p, n);
	if (err == 0 && v->arc != NULL)
		err = inkan_arc_verify_body(v->arc, p, n);
	if (err != 0)
		v->err = err;
	return err;
}

static bool
null_path(const char *mail_from)
{
	return mail_from != NULL && (mail_from[0] == '\0' || strcmp(mail_from, "<>") == 0);
}

static int
run_spf(struct inkan_verify *v, struct inkan_verify_result *out)
{
	const struct inkan_verify_envelope *e = &v->env;
	if (!e->has_ip) {
		out->spf_skipped = "no client IP given";
		return 0;
	}
	if (e->mail_from == NULL && e->helo == NULL) {
		out->spf_skipped = "neither MAIL FROM nor HELO given";
		return 0;
	}
	if (null_path(e->mail_from) && e->helo == NULL) {
		out->spf_skipped = "null reverse-path and no HELO name";
		return 0;
	}
	struct inkan_spf_query q = {
		.ip = e->ip,
		.sender = e->mail_from != NULL ? e->mail_from : "",
		.helo = e->helo,
		.scope = INKAN_SPF_SCOPE_MFROM,
		.receiver = v->o.receiver,
		.now = (time_t)v->o.now,
	};
	/* MAIL FROM unknown but HELO known: the HELO identity. */
	if (e->mail_from == NULL)
		q.scope = INKAN_SPF_SCOPE_HELO;
	int err = inkan_spf_check(v->r, v->a, &q, &out->spf);
	if (err != 0)
		return err;
	/* RFC 7208 §2.4 checks the null reverse-path as postmaster@HELO under
	 * the MAIL FROM identity; what was authorised is the HELO domain
	 * (RFC 9989 §4.4.2, RFC 8601 smtp.helo), and that is what we say. */
	if (null_path(e->mail_from))
		out->spf.identity = "helo";
	out->spf_evaluated = true;
	return 0;
}

static int
run_dmarc(struct inkan_verify *v, struct inkan_verify_result *out)
{
	size_t n = v->nfrom < INKAN_VERIFY_MAX_FROM ? v->nfrom : INKAN_VERIFY_MAX_FROM;
	int err = inkan_dmarc_from_parse(v->a, v->from, n, &out->from);
	if (err != 0)
		return err;

	struct inkan_dmarc_input in = { .from_domain = out->from.domain };
	if (out->spf_evaluated) {
		in.spf = out->spf.result;
		in.spf_domain = out->spf.domain;
		in.spf_is_helo = strcmp(out->spf.identity, "helo") == 0 ||
		    null_path(v->env.mail_from);
	}
	struct inkan_dmarc_dkim *dk = NULL;
	if (out->dkim.n > 0) {
		dk = inkan_arena_zalloc(v->a, out->dkim.n * sizeof(*dk));
		if (dk == NULL)
			return INKAN_ENOMEM;
		for (size_t i = 0; i < out->dkim.n; i++) {
			dk[i].d = out->dkim.sigs[i].d;
			dk[i].s = out->dkim.sigs[i].s;
			dk[i].result = out->dkim.sigs[i].result;
		}
	}
	in.dkim = dk;
	in.ndkim = out->dkim.n;

	/* Several authors in one From field (RFC 6854) are each evaluated
	 * and the strictest outcome kept (RFC 9989 §11.5); several From
	 * fields break RFC 5322 §3.6 and are a permerror outright. */
	struct inkan_dmarc_opts o = v->o.dmarc;
	if (out->from.status == INKAN_DMARC_FROM_MULTIPLE_FIELDS || v->nfrom > INKAN_VERIFY_MAX_FROM)
		o.multi_from = INKAN_DMARC_MULTI_PERMERROR;
	o.reject_bad_from = false;	/* the disposition is set below */
	err = inkan_dmarc_evaluate_from(v->r, v->a, &o, &out->from, &in, &out->dmarc);
	if (err != 0)
		return err;
	out->disposition = out->dmarc.disposition;
	if (out->disposition == INKAN_DMARC_P_UNSPEC)
		out->disposition = INKAN_DMARC_P_NONE;
	out->disposition_reason = out->dmarc.reason;
	if (out->dmarc.result == INKAN_DMARC_PERMERROR && out->from.status != INKAN_DMARC_FROM_OK) {
		out->disposition = v->o.bad_from != INKAN_DMARC_P_UNSPEC ? v->o.bad_from :
		    INKAN_DMARC_P_REJECT;
		out->disposition_reason = inkan_arena_printf(v->a, "From field unusable: %s",
		    out->dmarc.reason != NULL ? out->dmarc.reason : "?");
		if (out->disposition_reason == NULL)
			return INKAN_ENOMEM;
	}
	return 0;
}

/* ---- Authentication-Results ---- */

/* A comment for the header field: ASCII only (RFC 8601 fields are
 * ASCII unless the message is SMTPUTF8; our reason texts cite "§"). */
static const char *
ascii_comment(struct inkan_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = 0;
	bool plain = true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		plain = plain && *p < 0x80;
	if (plain)
		return s;
	char *o = inkan_arena_alloc(a, 8 * n + 1), *w = o;
	if (o == NULL)
		return s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (p[0] == 0xc2 && p[1] == 0xa7) {	/* U+00A7 SECTION SIGN */
			memcpy(w, "section ", 8);
			w += 8;
			p++;
			if (p[1] == ' ')
				p++;
		} else if (*p < 0x80) {
			*w++ = (char)*p;
		} else if ((*p & 0xc0) != 0x80) {
			*w++ = '?';	/* one per character, not per byte */
		}
	}
	*w = '\0';
	return o;
}

struct ar_builder {
	struct inkan_arena *a;
	struct inkan_authres_result *res;
	size_t n, cap;
	int err;
};

static struct inkan_authres_result *
ar_add(struct ar_builder *b, const char *method, const char *result)
{
	if (b->err != 0)
		return NULL;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct inkan_authres_result *r = inkan_arena_zalloc(b->a, cap * sizeof(*r));
		if (r == NULL) {
			b->err = INKAN_ENOMEM;
			return NULL;
		}
		if (b->n > 0)
			memcpy(r, b->res, b->n * sizeof(*r));
		b->res = r;
		b->cap = cap;
	}
	struct inkan_authres_result *r = &b->res[b->n++];
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->result = result;
	return r;
}

static void
ar_prop(struct ar_builder *b, struct inkan_authres_result *r, const char *ptype,
    const char *property, const char *value)
{
	if (r == NULL || value == NULL || b->err != 0)
		return;
	struct inkan_authres_prop *p = inkan_arena_alloc(b->a, (r->nprops + 1) * sizeof(*p));
	if (p == NULL) {
		b->err = INKAN_ENOMEM;
		return;
	}
	if (r->nprops > 0)
		memcpy(p, r->props, r->nprops * sizeof(*p));
	p[r->nprops++] = (struct inkan_authres_prop){ ptype, property, value };
	r->props = p;
}

static int
build_authres(struct inkan_verify *v, struct inkan_verify_result *out)
{
	struct ar_builder b = { .a = v->a };
	struct inkan_authres_result *r;

	if (out->spf_evaluated) {
		r = ar_add(&b, "spf", inkan_spf_verdict_name(out->spf.result));
		if (strcmp(out->spf.identity, "helo") == 0 || null_path(v->env.mail_from)) {
			ar_prop(&b, r, "smtp", "helo", v->env.helo);
		} else {
			ar_prop(&b, r, "smtp", "mailfrom", out->spf.sender);
		}
		if (r != NULL && out->spf.problem != NULL)
			r->comment = ascii_comment(v->a, out->spf.problem);
	}

	if (out->dkim.n == 0)
		ar_add(&b, "dkim", "none");
	for (size_t i = 0; i < out->dkim.n; i++) {
		const struct inkan_dkim_sig_result *s = &out->dkim.sigs[i];
		r = ar_add(&b, "dkim", inkan_dkim_result_name(s->result));
		if (r == NULL)
			break;
		if (s->reason != NULL)
			r->reason = ascii_comment(v->a, s->reason);
		if (s->result == INKAN_DKIM_PASS && s->key_type != NULL)
			r->comment = inkan_arena_printf(v->a, "%u-bit %s key%s", s->key_bits,
			    s->key_type, s->key_testing ? ", testing" : "");
		ar_prop(&b, r, "header", "d", s->d);
		ar_prop(&b, r, "header", "s", s->s);
		ar_prop(&b, r, "header", "a", s->a);
		ar_prop(&b, r, "header", "b", s->b_prefix);
	}

	if (out->arc_evaluated) {
		r = ar_add(&b, "arc", inkan_arc_cv_name(out->arc.cv));
		if (r != NULL && out->arc.cv == INKAN_ARC_FAIL && out->arc.reason != NULL)
			r->comment = ascii_comment(v->a, out->arc.reason);
		if (out->arc.cv == INKAN_ARC_PASS && out->arc.oldest_pass > 0)
			ar_prop(&b, r, "header", "oldest-pass",
			    inkan_arena_printf(v->a, "%d", out->arc.oldest_pass));
		if (out->arc.n > 0 && v->env.has_ip) {
			char ip[64];
			ar_prop(&b, r, "smtp", "remote-ip",
			    inkan_arena_strdup(v->a, inkan_ip_format(&v->env.ip, ip, sizeof(ip))));
		}
	}

	r = ar_add(&b, "dmarc", inkan_dmarc_result_name(out->dmarc.result));
	if (r != NULL) {
		/* A fail is explained by the policy properties; errors need
		 * the reason. */
		if ((out->dmarc.result == INKAN_DMARC_TEMPERROR ||
		    out->dmarc.result == INKAN_DMARC_PERMERROR) && out->dmarc.reason != NULL)
			r->comment = ascii_comment(v->a, out->dmarc.reason);
		ar_prop(&b, r, "header", "from", out->dmarc.from_domain != NULL ?
		    out->dmarc.from_domain : out->from.domain);
		const char *p = inkan_dmarc_policy_name(out->dmarc.policy);
		ar_prop(&b, r, "policy", "dmarc", p);
		if (out->dmarc.record != NULL || out->dmarc.result == INKAN_DMARC_PERMERROR)
			ar_prop(&b, r, "policy", "applied-disposition",
			    inkan_dmarc_policy_name(out->disposition));
	}
	if (b.err != 0)
		return b.err;

	out->ar = (struct inkan_authres){
		.authserv_id = v->o.authserv_id,
		.results = b.res,
		.nresults = b.n,
	};
	static const char name[] = "Authentication-Results: ";
	struct inkan_buf buf;
	inkan_buf_init(&buf, INKAN_VERIFY_MAX_AUTHRES);
	int err = inkan_authres_format(&out->ar, sizeof(name) - 1, &buf);
	if (err == 0) {
		out->authres = inkan_arena_strndup(v->a, buf.p ? buf.p : "", buf.len);
		out->authres_field = inkan_arena_printf(v->a, "%s%s\r\n", name,
		    buf.p ? buf.p : "");
		if (out->authres == NULL || out->authres_field == NULL)
			err = INKAN_ENOMEM;
	}
	inkan_buf_free(&buf);
	return err;
}

int
inkan_verify_end(struct inkan_verify *v, struct inkan_verify_result *out)
{
	memset(out, 0, sizeof(*out));
	if (v->err != 0)
		return v->err;
	int err = header_end(v);
	if (err == 0)
		err = inkan_dkim_verify_end(v->dkim, &out->dkim);
	if (err == 0 && v->arc != NULL) {
		err = inkan_arc_verify_end(v->arc, &out->arc);
		out->arc_evaluated = err == 0;
	}
	out->env = v->env;
	if (err == 0)
		err = run_spf(v, out);
	if (err == 0)
		err = run_dmarc(v, out);
	if (err == 0)
		err = build_authres(v, out);
	if (err == 0) {
		unsigned *f = NULL;
		if (v->nforged > 0) {
			f = inkan_arena_memdup(v->a, v->forged, v->nforged * sizeof(*f));
			if (f == NULL)
				err = INKAN_ENOMEM;
		}
		out->forged = f;
		out->nforged = v->nforged;
	}
	if (err != 0)
		v->err = err;
	return err;
}

/* ---- a whole message ---- */

struct feed {
	struct inkan_verify *v;
};

static int
on_field(void *arg, const struct inkan_msg_field *f)
{
	struct feed *fd = arg;
	return inkan_verify_header(fd->v, f->raw.p, f->raw.len);
}

static int
on_body(void *arg, const char *p, size_t n)
{
	struct feed *fd = arg;
	return inkan_verify_body(fd->v, p, n);
}

int
inkan_verify_message(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_verify_opts *o, const struct inkan_verify_envelope *env,
    const char *msg, size_t len, struct inkan_verify_result *out)
{
	struct inkan_verify *v;
	int err = inkan_verify_new(r, a, o, &v);
	if (err != 0)
		return err;
	if (env != NULL)
		err = inkan_verify_envelope(v, env);
	struct feed fd = { v };
	struct inkan_msg_opts mo = { .on_field = on_field, .on_body = on_body, .arg = &fd };
	if (err == 0)
		err = inkan_msg_feed_all(&mo, msg, len);
	if (err == 0)
		err = inkan_verify_end(v, out);
	inkan_verify_free(v);
	return err;
}
