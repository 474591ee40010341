/* bimi.c - the BIMI assertion record: parser and lookup (see bimi.h).
 *
 * The record is an RFC 6376 §3.2 tag list (lib/core/tagvalue.c splits
 * it); this file judges the tags.  URIs are checked as far as a receiver
 * needs before fetching anything: the https scheme and a host that is a
 * valid host name.  What a URI points at (the SVG profile, the VMC) is
 * not fetched here.
 */
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/bimi.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/tagvalue.h"

static int
fail(const char **why, const char *w)
{
	if (why != NULL)
		*why = w;
	return INKAN_EMALFORMED;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool
inkan_bimi_is_record(const char *txt, size_t len)
{
	size_t i = 0;

	while (i < len && is_wsp(txt[i]))
		i++;
	if (i == len || txt[i] != 'v')
		return false;
	i++;
	while (i < len && is_wsp(txt[i]))
		i++;
	if (i == len || txt[i] != '=')
		return false;
	i++;
	while (i < len && is_wsp(txt[i]))
		i++;
	if (len - i < 5 || memcmp(txt + i, "BIMI1", 5) != 0)
		return false;
	i += 5;
	return i == len || txt[i] == ';' || is_wsp(txt[i]);
}

/* An https URI with a valid host: "https://" host [":" port] [path...].
 * *why names the problem. */
static bool
https_uri_ok(const char *u, size_t n, const char **why)
{
	size_t h, e;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f) {
			*why = "has a space or a character outside printable ASCII";
			return false;
		}
	if (n < 8 || strncasecmp(u, "https://", 8) != 0) {
		*why = "is not an https: URI";
		return false;
	}
	h = 8;
	e = h;
	while (e < n && u[e] != '/' && u[e] != ':' && u[e] != '?' && u[e] != '#')
		e++;
	if (memchr(u + h, '@', e - h) != NULL) {
		*why = "has user information before the host";
		return false;
	}
	if (e == h || inkan_dname_check(u + h, e - h, INKAN_DNAME_HOSTNAME | INKAN_DNAME_MULTILABEL,
	    why) != 0) {
		*why = "has no valid host name";
		return false;
	}
	return true;
}

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	const char *q = memchr(s, '?', n);

	if (q != NULL)
		n = (size_t)(q - s);
	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

static int
warn(struct inkan_arena *a, struct inkan_bimi_record *out, size_t *cap, const char *w)
{
	if (out->nwarnings == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		const char **nw = inkan_arena_alloc(a, nc * sizeof(*nw));

		if (nw == NULL)
			return INKAN_ENOMEM;
		if (out->nwarnings > 0)
			memcpy(nw, out->warnings, out->nwarnings * sizeof(*nw));
		out->warnings = nw;
		*cap = nc;
	}
	out->warnings[out->nwarnings++] = w;
	return 0;
}

int
inkan_bimi_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_bimi_record *out, const char **why)
{
	struct inkan_taglist tl;
	struct inkan_tv_error tve;
	const struct inkan_tag *l, *ev, *avp;
	size_t wcap = 0;
	const char *w;
	int rc;

	memset(out, 0, sizeof(*out));
	if (txt == NULL && len > 0)
		return INKAN_EINVAL;
	if (len > INKAN_BIMI_MAX_RECORD) {
		if (why != NULL)
			*why = "record longer than 2048 octets";
		return INKAN_ETOOBIG;
	}
	if (!inkan_bimi_is_record(txt, len))
		return fail(why, "does not begin with v=BIMI1");
	rc = inkan_tv_parse(a, txt, len, 0, &tl, &tve);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		if (why != NULL) {
			*why = inkan_arena_printf(a, "tag list at offset %zu: %s", tve.offset,
			    tve.why);
			if (*why == NULL)
				return INKAN_ENOMEM;
		}
		return INKAN_EMALFORMED;
	}
	/* inkan_bimi_is_record saw "v=BIMI1" first; the tag list agrees. */
	if (tl.n == 0 || !inkan_slice_eq(tl.tags[0].name, INKAN_SLICE("v")) ||
	    !inkan_slice_eq(tl.tags[0].value, INKAN_SLICE("BIMI1")))
		return fail(why, "v=BIMI1 is not the first tag");
	if ((l = inkan_tv_get(&tl, "l")) != NULL && l->value.len > 0) {
		const char *p = l->value.p, *end = p + l->value.len;
		size_t cap = 1;

		for (const char *q = p; q < end; q++)
			cap += *q == ',';
		if ((out->logos = inkan_arena_alloc(a, cap * sizeof(*out->logos))) == NULL)
			return INKAN_ENOMEM;
		while (p <= end) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			struct inkan_slice u = inkan_slice_trim((struct inkan_slice){ p,
			    (size_t)((c ? c : end) - p) });

			if (u.len == 0)
				return fail(why, "l= has an empty URI in its list");
			if (!https_uri_ok(u.p, u.len, &w)) {
				if (why != NULL &&
				    (*why = inkan_arena_printf(a, "l= URI \"%.*s\" %s",
				    (int)(u.len > 200 ? 200 : u.len), u.p, w)) == NULL)
					return INKAN_ENOMEM;
				return INKAN_EMALFORMED;
			}
			if ((out->logos[out->nlogos] = inkan_arena_strndup(a, u.p, u.len)) == NULL)
				return INKAN_ENOMEM;
			if (!ends_with(u.p, u.len, ".svg") &&
			    (rc = warn(a, out, &wcap, "the l= URI does not end in .svg; the "
			    "logo must be an SVG Tiny PS file")) != 0)
				return rc;
			out->nlogos++;
			if (c == NULL)
				break;
			p = c + 1;
		}
		if (out->nlogos > 1 && (rc = warn(a, out, &wcap, "l= lists more than one URI; "
		    "receivers use only the first")) != 0)
			return rc;
	}
	if ((ev = inkan_tv_get(&tl, "a")) != NULL && ev->value.len > 0) {
		if (!https_uri_ok(ev->value.p, ev->value.len, &w)) {
			if (why != NULL &&
			    (*why = inkan_arena_printf(a, "a= URI \"%.*s\" %s",
			    (int)(ev->value.len > 200 ? 200 : ev->value.len), ev->value.p, w)) == NULL)
				return INKAN_ENOMEM;
			return INKAN_EMALFORMED;
		}
		if ((out->evidence = inkan_arena_strndup(a, ev->value.p, ev->value.len)) == NULL)
			return INKAN_ENOMEM;
		if (!ends_with(ev->value.p, ev->value.len, ".pem") &&
		    (rc = warn(a, out, &wcap, "the a= URI does not end in .pem; the mark "
		    "certificate is a PEM file")) != 0)
			return rc;
	}
	if ((avp = inkan_tv_get(&tl, "avp")) != NULL) {
		if (!inkan_slice_caseeq_cstr(avp->value, "brand") &&
		    !inkan_slice_caseeq_cstr(avp->value, "personal"))
			return fail(why, "avp= is neither \"brand\" nor \"personal\"");
		if ((out->avp = inkan_arena_strndup(a, avp->value.p, avp->value.len)) == NULL)
			return INKAN_ENOMEM;
	}
	if (l == NULL && (rc = warn(a, out, &wcap, "no l= tag; write \"l=\" (empty) to "
	    "decline, or the logo's URI")) != 0)
		return rc;
	out->declined = out->nlogos == 0 && out->evidence == NULL;
	if (why != NULL)
		*why = NULL;
	return 0;
}

const char *
inkan_bimi_status_name(enum inkan_bimi_status s)
{
	switch (s) {
	case INKAN_BIMI_FOUND: return "found";
	case INKAN_BIMI_NONE: return "none";
	case INKAN_BIMI_INVALID: return "invalid";
	case INKAN_BIMI_MULTIPLE: return "multiple";
	case INKAN_BIMI_TEMPERROR: return "temperror";
	}
	return "unknown";
}

int
inkan_bimi_lookup(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    const char *selector, struct inkan_bimi_lookup *out)
{
	struct inkan_dns_answer ans;
	const char *w;
	size_t found = 0, tlen = 0;
	char *txt = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (domain == NULL || inkan_dname_check(domain, strlen(domain), 0, &w) != 0)
		return INKAN_EINVAL;
	if (selector == NULL)
		selector = "default";
	if (inkan_dname_check(selector, strlen(selector), INKAN_DNAME_HOSTNAME |
	    INKAN_DNAME_UNDERSCORE, &w) != 0)
		return INKAN_EINVAL;
	if ((out->qname = inkan_arena_printf(a, "%s._bimi.%s", selector, domain)) == NULL)
		return INKAN_ENOMEM;
	if (inkan_dname_check(out->qname, strlen(out->qname), 0, &w) != 0)
		return INKAN_EINVAL;
	if ((rc = inkan_dns_query(r, a, out->qname, INKAN_DNS_TXT, &ans)) != 0)
		return rc;
	out->secure = ans.secure;
	out->bogus = ans.bogus;
	switch (ans.status) {
	case INKAN_DNS_OK:
		break;
	case INKAN_DNS_NXDOMAIN:
	case INKAN_DNS_NODATA:
		out->status = INKAN_BIMI_NONE;
		out->why = inkan_arena_printf(a, "no TXT record at %s (%s)", out->qname,
		    inkan_dns_status_name(ans.status));
		return out->why == NULL ? INKAN_ENOMEM : 0;
	default:
		out->status = INKAN_BIMI_TEMPERROR;
		out->why = inkan_arena_printf(a, "DNS %s for %s", inkan_dns_status_name(ans.status),
		    out->qname);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	for (size_t i = 0; i < ans.nrr; i++) {
		char *t;
		size_t n;

		if (inkan_dns_rr_txt(a, &ans.rr[i], &t, &n) != 0)
			continue;
		if (!inkan_bimi_is_record(t, n))
			continue;
		if (found++ == 0) {
			txt = t;
			tlen = n;
		}
	}
	if (found == 0) {
		out->status = INKAN_BIMI_NONE;
		out->why = inkan_arena_printf(a, "no v=BIMI1 record among the TXT records at %s",
		    out->qname);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	out->txt = txt;
	if (found > 1) {
		out->status = INKAN_BIMI_MULTIPLE;
		out->why = inkan_arena_printf(a, "%zu v=BIMI1 records at %s: none applies", found,
		    out->qname);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	if (strlen(txt) != tlen) {
		out->status = INKAN_BIMI_INVALID;
		out->why = "the record contains a NUL character";
		return 0;
	}
	rc = inkan_bimi_record_parse(a, txt, tlen, &out->record, &w);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		out->status = INKAN_BIMI_INVALID;
		out->why = inkan_arena_printf(a, "invalid BIMI record: %s", w);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	out->status = INKAN_BIMI_FOUND;
	return 0;
}
