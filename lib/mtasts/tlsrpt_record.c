/* tlsrpt_record.c - the SMTP TLS Reporting record (RFC 8460 §3) and its
 * lookup at _smtp._tls.<domain>.
 *
 *   tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 *   field-delim      = *WSP ";" *WSP
 *   tlsrpt-version   = %s"v=TLSRPTv1"
 *   tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *   tlsrpt-uri       = URI  ; "," and ";" must be %-encoded in it
 *   tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value  (as MTA-STS)
 *
 * The record grammar is MTA-STS's (record.c splits it).  URIs are checked
 * as far as a reporter needs: a scheme, and for mailto: an address, for
 * https: a host.  Other schemes parse but cannot be used; a record with
 * no usable URI is invalid, since RFC 8460 §3 defines only these two.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/tlsrpt.h"
#include "mtasts_int.h"

static int
fail(const char **why, const char *w)
{
	if (why != NULL)
		*why = w;
	return INKAN_EMALFORMED;
}

static int failf(struct inkan_arena *a, const char **why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A reason made in a; INKAN_ENOMEM when it cannot be. */
static int
failf(struct inkan_arena *a, const char **why, const char *fmt, ...)
{
	va_list ap;
	char *w;

	va_start(ap, fmt);
	w = inkan_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return w == NULL ? INKAN_ENOMEM : fail(why, w);
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX escapes of s[0..len) into a string in a; NULL on a bad
 * escape (*bad set; %00 is bad) or ENOMEM. */
static char *
pct_decode(struct inkan_arena *a, const char *s, size_t len, bool *bad)
{
	char *o = inkan_arena_alloc(a, len + 1);
	size_t n = 0;

	*bad = false;
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int h, l;

		if (s[i] != '%') {
			o[n++] = s[i];
			continue;
		}
		if (i + 2 >= len || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0 ||
		    (h == 0 && l == 0)) {
			*bad = true;
			return NULL;
		}
		o[n++] = (char)(h << 4 | l);
		i += 2;
	}
	o[n] = '\0';
	return o;
}

/* Check one URI and fill u; *why (in a) on a problem. */
static int
parse_uri(struct inkan_arena *a, const char *s, size_t len, struct inkan_tlsrpt_uri *u,
    const char **why)
{
	size_t colon;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return failf(a, why, "rua URI \"%.*s\" has a space, "
			    "control or non-ASCII character", (int)(len > 80 ? 80 : len), s);
	}
	if ((u->uri = inkan_arena_strndup(a, s, len)) == NULL)
		return INKAN_ENOMEM;
	s = u->uri;	/* NUL-terminated from here on */
	for (colon = 0; colon < len && s[colon] != ':'; colon++)
		;
	/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	bool scheme_ok = colon > 0 && colon < len && is_alpha(s[0]);

	for (size_t i = 1; scheme_ok && i < colon; i++)
		scheme_ok = is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		    s[i] == '-' || s[i] == '.';
	if (!scheme_ok || colon + 1 >= len)
		return failf(a, why, "rua \"%.*s\" is not a URI "
		    "(scheme:...)", (int)(len > 80 ? 80 : len), s);
	if (colon == 6 && strncasecmp(s, "mailto", 6) == 0) {
		const char *p = s + 7;
		size_t pl = strcspn(p, "?");
		bool bad;
		char *addr;

		if (pl > len - 7)
			pl = len - 7;
		addr = pct_decode(a, p, pl, &bad);
		if (addr == NULL && !bad)
			return INKAN_ENOMEM;
		if (bad)
			return failf(a, why, "rua \"%s\" has a bad %%-escape",
			    u->uri);
		const char *at = strrchr(addr, '@');

		if (at == NULL || at == addr || at[1] == '\0')
			return failf(a, why, "rua \"%s\": mailto: needs an "
			    "address local@domain", u->uri);
		if (inkan_dname_check(at + 1, strlen(at + 1), 0, NULL) != 0)
			return failf(a, why, "rua \"%s\": \"%s\" is not a "
			    "domain name", u->uri, at + 1);
		u->kind = INKAN_TLSRPT_URI_MAILTO;
		u->target = addr;
		return 0;
	}
	if (colon == 5 && strncasecmp(s, "https", 5) == 0) {
		const char *p = s + 6, *e = s + len, *hs, *he;

		if (e - p < 3 || p[0] != '/' || p[1] != '/')
			return failf(a, why, "rua \"%s\": https: needs "
			    "\"//host\"", u->uri);
		hs = p + 2;
		for (he = hs; he < e && *he != '/' && *he != '?' && *he != '#'; he++)
			;
		/* userinfo is not for report upload; a port is fine. */
		const char *at = memchr(hs, '@', (size_t)(he - hs));

		if (at != NULL)
			hs = at + 1;
		const char *pe = he;

		if (hs < he && *hs == '[') {
			const char *rb = memchr(hs, ']', (size_t)(he - hs));

			if (rb == NULL)
				return failf(a, why, "rua \"%s\": bad IPv6 "
				    "host", u->uri);
			pe = rb + 1;
		} else {
			const char *c = memchr(hs, ':', (size_t)(he - hs));

			if (c != NULL)
				pe = c;
		}
		if (pe == hs || (*hs != '[' && inkan_dname_check(hs, (size_t)(pe - hs),
		    INKAN_DNAME_HOSTNAME, NULL) != 0))
			return failf(a, why, "rua \"%s\": https: has no valid "
			    "host name", u->uri);
		u->kind = INKAN_TLSRPT_URI_HTTPS;
		if ((u->target = inkan_arena_strndup(a, hs, (size_t)(pe - hs))) == NULL)
			return INKAN_ENOMEM;
		return 0;
	}
	u->kind = INKAN_TLSRPT_URI_OTHER;
	u->target = NULL;
	return 0;
}

bool
inkan_tlsrpt_record_is_tlsrpt(const char *txt, size_t len)
{
	return inkan__rec_has_version(txt, len, "v=TLSRPTv1");
}

static int
parse_rua(struct inkan_arena *a, const char *v, size_t vl, struct inkan_tlsrpt_record *out,
    const char **why)
{
	size_t n = 1, i = 0;
	int rc;

	for (size_t j = 0; j < vl; j++)
		n += v[j] == ',';
	if (n > INKAN_TLSRPT_MAX_RUA)
		return failf(a, why, "rua= lists %zu URIs; at most %d are "
		    "accepted", n, INKAN_TLSRPT_MAX_RUA);
	if ((out->rua = inkan_arena_zalloc(a, n * sizeof(*out->rua))) == NULL)
		return INKAN_ENOMEM;
	while (i <= vl) {
		size_t s = i, e;

		while (s < vl && v[s] != ',')
			s++;
		e = s;
		while (i < e && is_wsp(v[i]))
			i++;
		while (e > i && is_wsp(v[e - 1]))
			e--;
		if (i == e)
			return fail(why, vl == 0 ? "rua= is empty" : "rua= has an empty URI "
			    "between commas");
		if ((rc = parse_uri(a, v + i, e - i, &out->rua[out->nrua], why)) != 0)
			return rc;
		if (out->rua[out->nrua].kind != INKAN_TLSRPT_URI_OTHER)
			out->nusable++;
		out->nrua++;
		i = s + 1;
	}
	return 0;
}

int
inkan_tlsrpt_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_tlsrpt_record *out, const char **why)
{
	struct inkan__recfield *f;
	size_t n;
	bool have_rua = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	if (txt == NULL)
		return fail(why, "no record");
	if ((rc = inkan__rec_split(a, txt, len, "v=TLSRPTv1", &f, &n, why)) != 0)
		return rc;
	if (n > 0 && (out->ext = inkan_arena_zalloc(a, n * sizeof(*out->ext))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (f[i].nlen == 3 && memcmp(f[i].name, "rua", 3) == 0) {
			if (have_rua)
				return fail(why, "rua= appears more than once");
			have_rua = true;
			if ((rc = parse_rua(a, f[i].value, f[i].vlen, out, why)) != 0)
				return rc;
			continue;
		}
		if (!inkan__rec_ext_value_ok(f[i].value, f[i].vlen)) {
			const char *w = inkan_arena_printf(a, f[i].vlen == 0 ?
			    "extension \"%.*s\" has an empty value" :
			    "extension \"%.*s\" has a value with a space, \"=\", \";\" or a "
			    "character that is not printable ASCII", (int)f[i].nlen, f[i].name);

			return w == NULL ? INKAN_ENOMEM : fail(why, w);
		}
		out->ext[out->next].name = inkan_arena_strndup(a, f[i].name, f[i].nlen);
		out->ext[out->next].value = inkan_arena_strndup(a, f[i].value, f[i].vlen);
		if (out->ext[out->next].name == NULL || out->ext[out->next].value == NULL)
			return INKAN_ENOMEM;
		out->next++;
	}
	if (!have_rua)
		return fail(why, "missing rua= (RFC 8460 §3 requires it)");
	if (out->nusable == 0)
		return fail(why, "rua= has no mailto: or https: URI (RFC 8460 §3)");
	return 0;
}

const char *
inkan_tlsrpt_status_name(enum inkan_tlsrpt_status s)
{
	switch (s) {
	case INKAN_TLSRPT_FOUND: return "found";
	case INKAN_TLSRPT_NONE: return "none";
	case INKAN_TLSRPT_INVALID: return "invalid";
	case INKAN_TLSRPT_MULTIPLE: return "multiple";
	case INKAN_TLSRPT_TEMPERROR: return "temperror";
	}
	return "unknown";
}

int
inkan_tlsrpt_record_lookup(struct inkan_resolver *r, struct inkan_arena *a,
    const char *domain, struct inkan_tlsrpt_lookup *out)
{
	struct inkan__txtsel sel;
	const char *why = NULL;
	char *d;
	int rc;

	memset(out, 0, sizeof(*out));
	out->status = INKAN_TLSRPT_NONE;
	rc = inkan__policy_domain(a, domain, &d, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		out->why = inkan_arena_printf(a, "%s is not a valid domain name: %s",
		    domain ? domain : "(null)", why);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	out->domain = d;
	if ((out->qname = inkan_arena_printf(a, "_smtp._tls.%s", d)) == NULL)
		return INKAN_ENOMEM;
	if (strlen(out->qname) > INKAN_DNAME_MAX_TEXT) {
		out->why = "_smtp._tls.<domain> is longer than a domain name can be";
		return 0;
	}
	rc = inkan__txt_select(r, a, out->qname, inkan_tlsrpt_record_is_tlsrpt, "TLSRPTv1",
	    &sel);
	if (rc != 0)
		return rc;
	out->canonname = sel.canonname;
	out->txts = sel.txts;
	out->ntxt = sel.ntxt;
	out->txt = sel.txt;
	out->secure = sel.secure;
	out->ttl = sel.ttl;
	out->why = sel.why;
	switch (sel.status) {
	case INKAN__TXT_NONE:
		out->status = INKAN_TLSRPT_NONE;
		return 0;
	case INKAN__TXT_MULTIPLE:
		out->status = INKAN_TLSRPT_MULTIPLE;
		return 0;
	case INKAN__TXT_TEMPERROR:
		out->status = INKAN_TLSRPT_TEMPERROR;
		return 0;
	default:
		break;
	}
	rc = inkan_tlsrpt_record_parse(a, sel.txt, sel.txtlen, &out->record, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		out->status = INKAN_TLSRPT_INVALID;
		out->why = inkan_arena_printf(a, "invalid TLS-RPT record at %s: %s", out->qname,
		    why);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	out->status = INKAN_TLSRPT_FOUND;
	out->why = NULL;
	return 0;
}
