/* sig.c - the DKIM-Signature field value (RFC 6376 §3.5).
 *
 * The tag list is split by the shared tag=value parser (which refuses a
 * duplicate tag, §3.2); each known tag is then checked here.  Unknown tags
 * are ignored, as §3.2 requires.  A signature that parses may still carry
 * an algorithm we do not know: that is a verdict (permerror) for the
 * caller, not a syntax error.
 */
#include <string.h>
#include <strings.h>

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

static char *
tagstr(struct inkan_arena *a, const struct inkan_tag *t)
{
	return inkan_arena_strndup(a, t->value.p, t->value.len);
}

/* Decimal up to maxdig digits, no sign, no whitespace. */
static bool
parse_uint(struct inkan_slice v, unsigned maxdig, uint64_t *out)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > maxdig)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n;
	return true;
}

static bool
parse_canon1(const char *s, size_t n, enum inkan_dkim_canon *c)
{
	if (n == 6 && strncasecmp(s, "simple", 6) == 0)
		*c = INKAN_DKIM_SIMPLE;
	else if (n == 7 && strncasecmp(s, "relaxed", 7) == 0)
		*c = INKAN_DKIM_RELAXED;
	else
		return false;
	return true;
}

static bool
valid_domain(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n > INKAN_DNAME_MAX_TEXT + 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c <= ' ' || c == ';' || c == 0x7f)
			return false;
	}
	return true;
}

/* d ends with (or is) dom, at a label boundary, case-insensitively. */
static bool
within(const char *sub, const char *dom)
{
	size_t ns = strlen(sub), nd = strlen(dom);

	if (ns > 0 && sub[ns - 1] == '.')
		ns--;
	if (nd > 0 && dom[nd - 1] == '.')
		nd--;
	if (ns < nd || strncasecmp(sub + ns - nd, dom, nd) != 0)
		return false;
	return ns == nd || sub[ns - nd - 1] == '.';
}

/* flags INKAN__SIG_AMS: an empty h= is allowed and From need not be in it
 * (RFC 8617 §4.1.2 leaves the choice of fields to the sealer; the ValiMail
 * suite's ams_fields_h_empty passes), and ARC-Seal must not be in it. */
static int
parse_h(struct inkan_arena *a, struct inkan_slice v, unsigned flags,
    struct inkan_dkim_sig *out, const char **why)
{
	const char *names[INKAN_DKIM_MAX_H_NAMES];
	size_t n = 0, i = 0;
	bool from = false, ams = (flags & INKAN__SIG_AMS) != 0;

	while (i <= v.len) {
		size_t j = i;

		while (j < v.len && v.p[j] != ':')
			j++;
		struct inkan_slice nm = inkan_slice_trim((struct inkan_slice){ v.p + i, j - i });

		if (nm.len == 0 && ams) {
			/* "from::to" and an empty h=: dkimpy and the
			 * ValiMail suite (ams_fields_h_mis_hdr, _h_empty)
			 * take an empty name as one that selects no field */
			i = j + 1;
			continue;
		}
		if (nm.len == 0)
			return bad(why, "empty name in h=");
		for (size_t k = 0; k < nm.len; k++) {
			unsigned char c = (unsigned char)nm.p[k];

			if (c < 33 || c > 126)
				return bad(why, "invalid character in h=");
		}
		if (n == INKAN_DKIM_MAX_H_NAMES)
			return bad(why, "too many names in h=");
		char *s = inkan_arena_strndup(a, nm.p, nm.len);

		if (s == NULL)
			return INKAN_ENOMEM;
		for (char *q = s; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
		if (strcmp(s, "from") == 0)
			from = true;
		/* RFC 8617 §4.1.2: the AMS does not sign ARC-Seal fields */
		if (ams && strcmp(s, "arc-seal") == 0)
			return bad(why, "h= includes ARC-Seal (RFC 8617 §4.1.2)");
		names[n++] = s;
		i = j + 1;
	}
	/* §5.4: From MUST be signed; §6.1.1: a verifier MUST ignore a
	 * signature whose h= lacks it. */
	if (!from && !ams)
		return bad(why, "h= does not include From");
	out->h = inkan_arena_memdup(a, names, (n ? n : 1) * sizeof(names[0]));
	if (out->h == NULL)
		return INKAN_ENOMEM;
	out->nh = n;
	return 0;
}

int
inkan__sig_parse(struct inkan_arena *a, const char *value, size_t len, unsigned flags,
    struct inkan_dkim_sig *out, const char **why)
{
	struct inkan_taglist tl;
	struct inkan_tv_error te;
	int r;

	memset(out, 0, sizeof(*out));
	out->t = out->x = -1;
	if (why != NULL)
		*why = NULL;
	if (len > INKAN_DKIM_MAX_TAGLIST)
		return bad(why, "signature too long");
	r = inkan_tv_parse(a, value, len, 0, &tl, &te);
	if (r == INKAN_ENOMEM)
		return r;
	if (r != 0)
		return bad(why, te.why);
	return inkan__sig_parse_tl(a, &tl, flags, out, why);
}

/* The tags every kind of signature needs, with the text for a missing one:
 * DKIM-Signature (RFC 6376 §3.5), ARC-Message-Signature (RFC 8617 §4.1.2:
 * no v=, i= checked by the ARC code) and ARC-Seal (§4.1.3: no h=, bh=). */
static const char *const req_dkim[] = { "v", "a", "b", "bh", "d", "h", "s", NULL };
static const char *const req_ams[] = { "a", "b", "bh", "d", "h", "s", NULL };
static const char *const req_as[] = { "a", "b", "d", "s", NULL };

/* Static text (the public parser promises static reasons). */
static const char *
missing(const char *tag)
{
	static const char *const names[] = { "v", "a", "b", "bh", "d", "h", "s" };
	static const char *const text[] = {
		"missing v= tag", "missing a= tag", "missing b= tag", "missing bh= tag",
		"missing d= tag", "missing h= tag", "missing s= tag",
	};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(tag, names[k]) == 0)
			return text[k];
	return "missing required tag";
}

int
inkan__sig_parse_tl(struct inkan_arena *a, const struct inkan_taglist *tl, unsigned flags,
    struct inkan_dkim_sig *out, const char **why)
{
	const struct inkan_tag *t;
	const char *const *req = (flags & INKAN__SIG_AS) ? req_as :
	    (flags & INKAN__SIG_AMS) ? req_ams : req_dkim;
	bool arc = (flags & (INKAN__SIG_AMS | INKAN__SIG_AS)) != 0;
	bool tmpl = (flags & INKAN__SIG_TMPL) != 0;
	uint64_t u;
	bool badb64;
	int r;

	memset(out, 0, sizeof(*out));
	out->t = out->x = -1;
	if (why != NULL)
		*why = NULL;
	for (size_t k = 0; req[k] != NULL; k++)
		if (inkan_tv_get(tl, req[k]) == NULL)
			return bad(why, missing(req[k]));
	if (!arc) {
		t = inkan_tv_get(tl, "v");
		if (t->value.len != 1 || t->value.p[0] != '1')
			return bad(why, "unsupported version (v= must be 1)");
		out->version = 1;
	}

	t = inkan_tv_get(tl, "a");
	if ((out->a = tagstr(a, t)) == NULL)
		return INKAN_ENOMEM;
	if (strcasecmp(out->a, "rsa-sha256") == 0)
		out->alg = INKAN_DKIM_ALG_RSA_SHA256;
	else if (strcasecmp(out->a, "rsa-sha1") == 0)
		out->alg = INKAN_DKIM_ALG_RSA_SHA1;
	else if (strcasecmp(out->a, "ed25519-sha256") == 0)
		out->alg = INKAN_DKIM_ALG_ED25519_SHA256;
	else if (out->a[0] == '\0')
		return bad(why, "empty a= tag");

	t = inkan_tv_get(tl, "d");
	if ((out->d = tagstr(a, t)) == NULL)
		return INKAN_ENOMEM;
	if (!valid_domain(out->d))
		return bad(why, "invalid d= domain");
	t = inkan_tv_get(tl, "s");
	if ((out->s = tagstr(a, t)) == NULL)
		return INKAN_ENOMEM;
	if (!valid_domain(out->s))
		return bad(why, "invalid s= selector");

	if (flags & INKAN__SIG_AS) {
		/* RFC 8617 §4.1.3: the seal is always relaxed; c=, h=, bh=
		 * and l= are not ARC-Seal tags (the ARC code refuses h=). */
		out->hdr_canon = INKAN_DKIM_RELAXED;
	} else {
		/* An AMS without c= is relaxed/relaxed: RFC 8617 only ever
		 * uses relaxed, and the ValiMail suite (ams_fields_c_na) and
		 * dkimpy read it so; DKIM's default is simple/simple. */
		if (flags & INKAN__SIG_AMS)
			out->hdr_canon = out->body_canon = INKAN_DKIM_RELAXED;
		if ((t = inkan_tv_get(tl, "c")) != NULL) {
			const char *sl = memchr(t->value.p, '/', t->value.len);
			size_t n1 = sl ? (size_t)(sl - t->value.p) : t->value.len;

			if (!parse_canon1(t->value.p, n1, &out->hdr_canon))
				return bad(why, "unknown canonicalization in c=");
			out->body_canon = INKAN_DKIM_SIMPLE;
			if (sl != NULL &&
			    !parse_canon1(sl + 1, t->value.len - n1 - 1, &out->body_canon))
				return bad(why, "unknown canonicalization in c=");
		}
		r = parse_h(a, inkan_tv_get(tl, "h")->value, flags, out, why);
		if (r != 0)
			return r;
	}

	if (arc) {
		/* i= is the ARC instance (checked by the ARC code), not an
		 * AUID; the AUID is taken as "@d" so that a key with t=s
		 * (RFC 6376 §3.6.1) accepts it. */
		out->i = inkan_arena_printf(a, "@%s", out->d);
		if (out->i == NULL)
			return INKAN_ENOMEM;
	} else if ((t = inkan_tv_get(tl, "i")) != NULL) {
		const char *at;

		if ((out->i = tagstr(a, t)) == NULL)
			return INKAN_ENOMEM;
		at = strrchr(out->i, '@');
		if (at == NULL)
			return bad(why, "i= has no @");
		/* §3.5: the domain of i= must be d= or a subdomain of it */
		if (!within(at + 1, out->d))
			return bad(why, "i= domain is not within d=");
	} else {
		out->i = inkan_arena_printf(a, "@%s", out->d);
		if (out->i == NULL)
			return INKAN_ENOMEM;
	}
	if (!(flags & INKAN__SIG_AS) && (t = inkan_tv_get(tl, "l")) != NULL) {
		/* §3.5: l= is at most 76 decimal digits; we need it to fit */
		if (!parse_uint(t->value, 20, &u))
			return bad(why, "invalid l= body length");
		out->has_l = true;
		out->l = u;
	}
	if ((t = inkan_tv_get(tl, "q")) != NULL) {
		if ((out->q = tagstr(a, t)) == NULL)
			return INKAN_ENOMEM;
		/* §3.5: colon-separated; dns/txt is the only one defined */
		if (strstr(out->q, "dns/txt") == NULL && strstr(out->q, "DNS/TXT") == NULL)
			return bad(why, "q= has no dns/txt");
	}
	if ((t = inkan_tv_get(tl, "t")) != NULL) {
		if (!parse_uint(t->value, 18, &u))
			return bad(why, "invalid t= timestamp");
		out->t = (int64_t)u;
	}
	if ((t = inkan_tv_get(tl, "x")) != NULL) {
		if (!parse_uint(t->value, 18, &u))
			return bad(why, "invalid x= expiration");
		out->x = (int64_t)u;
		/* §3.5: x= MUST be greater than t= */
		if (out->t >= 0 && out->x < out->t)
			return bad(why, "x= is before t=");
	}
	if ((t = inkan_tv_get(tl, "z")) != NULL && (out->z = tagstr(a, t)) == NULL)
		return INKAN_ENOMEM;

	if (!(flags & INKAN__SIG_AS)) {
		t = inkan_tv_get(tl, "bh");
		if (t->value.len == 0 && !tmpl)
			return bad(why, "empty bh= tag");
		out->bh = inkan__b64_decode(a, t->value.p, t->value.len, &out->bhlen, &badb64);
		if (out->bh == NULL)
			return badb64 ? bad(why, "bh= is not base64") : INKAN_ENOMEM;
	}
	t = inkan_tv_get(tl, "b");
	if (t->value.len == 0 && !tmpl)
		return bad(why, "empty b= tag");
	out->b = inkan__b64_decode(a, t->value.p, t->value.len, &out->blen, &badb64);
	if (out->b == NULL)
		return badb64 ? bad(why, "b= is not base64") : INKAN_ENOMEM;
	out->b_text = inkan__strip_fws(a, t->value.p, t->value.len);
	if (out->b_text == NULL)
		return INKAN_ENOMEM;
	return 0;
}

int
inkan_dkim_sig_parse(struct inkan_arena *a, const char *value, size_t len,
    struct inkan_dkim_sig *out, const char **why)
{
	return inkan__sig_parse(a, value, len, 0, out, why);
}

bool
inkan__find_b(const char *value, size_t len, size_t *start, size_t *end)
{
	return inkan__find_tag(value, len, "b", start, end);
}

bool
inkan__find_tag(const char *value, size_t len, const char *name, size_t *start, size_t *end)
{
	size_t nl = strlen(name);

	size_t i = 0;

	/* Walk the tag list by hand: the tag=value parser gives trimmed
	 * values, but §3.7 removes everything between "b=" and the ';'. */
	while (i < len) {
		size_t ts = i, te;

		while (i < len && value[i] != ';')
			i++;
		te = i;
		/* tag name: skip FWS */
		size_t k = ts;

		while (k < te && (value[k] == ' ' || value[k] == '\t' || value[k] == '\r' ||
		    value[k] == '\n'))
			k++;
		if (te - k > nl && memcmp(value + k, name, nl) == 0) {
			size_t m = k + nl;

			while (m < te && (value[m] == ' ' || value[m] == '\t' ||
			    value[m] == '\r' || value[m] == '\n'))
				m++;
			if (m < te && value[m] == '=') {
				*start = m + 1;
				*end = te;
				return true;
			}
		}
		i++;
	}
	return false;
}
