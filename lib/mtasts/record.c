/* record.c - the _mta-sts TXT record (RFC 8461 §3.1) and its lookup,
 * with the record grammar and TXT selection that TLS-RPT shares.
 *
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * Values cannot hold ";", so a record splits on ";" exactly.  One leniency:
 * whitespace after the last field without a final ";" is accepted (the
 * grammar allows it only before a ";"); it cannot change a meaning.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"
#include "mtasts_int.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
fail(const char **why, const char *w)
{
	if (why != NULL)
		*why = w;
	return INKAN_EMALFORMED;
}

/* Show at most 40 bytes of attacker text in a reason, escaping the
 * unprintable. */
static char *
quote(struct inkan_arena *a, const char *s, size_t len)
{
	char buf[40 * 4 + 8];
	size_t n = 0;

	for (size_t i = 0; i < len && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			buf[n++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";

			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	if (len > 40) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	return inkan_arena_printf(a, "\"%.*s\"", (int)n, buf);
}

bool
inkan__rec_has_version(const char *txt, size_t len, const char *version)
{
	size_t vl = strlen(version), i;

	if (txt == NULL || len < vl || memcmp(txt, version, vl) != 0)
		return false;
	for (i = vl; i < len && is_wsp(txt[i]); i++)
		;
	return i == len || txt[i] == ';';
}

bool
inkan__rec_ext_value_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
			return false;
	}
	return true;
}

static bool
ext_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > INKAN_MTASTS_MAX_EXT_NAME || !is_alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

int
inkan__rec_split(struct inkan_arena *a, const char *txt, size_t len, const char *version,
    struct inkan__recfield **out, size_t *n, const char **why)
{
	size_t vl = strlen(version), nsemi = 0, i, nf = 0;
	struct inkan__recfield *f;

	*out = NULL;
	*n = 0;
	if (len < vl || memcmp(txt, version, vl) != 0) {
		const char *w = inkan_arena_printf(a, "record does not begin with %s", version);

		return w == NULL ? INKAN_ENOMEM : fail(why, w);
	}
	for (i = vl; i < len && is_wsp(txt[i]); i++)
		;
	if (i < len && txt[i] != ';') {
		const char *w = inkan_arena_printf(a, "version is not %s", version + 2);

		return w == NULL ? INKAN_ENOMEM : fail(why, w);
	}
	for (size_t j = i; j < len; j++)
		nsemi += txt[j] == ';';
	if ((f = inkan_arena_zalloc(a, (nsemi + 1) * sizeof(*f))) == NULL)
		return INKAN_ENOMEM;
	/* i is at the first ";" (or the end). */
	while (i < len) {
		size_t s, e, eq;

		i++;	/* the ";" */
		for (s = i; s < len && txt[s] != ';'; s++)
			;
		e = s;	/* segment [i, e) */
		while (i < e && is_wsp(txt[i]))
			i++;
		while (e > i && is_wsp(txt[e - 1]))
			e--;
		if (i == e) {
			if (s == len)
				break;	/* trailing delimiter */
			return fail(why, "empty field between two \";\"");
		}
		for (eq = i; eq < e && txt[eq] != '='; eq++)
			;
		if (eq == e) {
			const char *q = quote(a, txt + i, e - i);
			const char *w = q ? inkan_arena_printf(a, "field %s has no \"=\"", q) : NULL;

			return w == NULL ? INKAN_ENOMEM : fail(why, w);
		}
		if (!ext_name_ok(txt + i, eq - i)) {
			const char *q = quote(a, txt + i, eq - i);
			const char *w = q == NULL ? NULL : inkan_arena_printf(a,
			    eq - i > INKAN_MTASTS_MAX_EXT_NAME ?
			    "field name %s is longer than 32 characters" :
			    "field name %s is not a letter or digit followed by letters, "
			    "digits, \"_\", \"-\" or \".\"", q);

			return w == NULL ? INKAN_ENOMEM : fail(why, w);
		}
		f[nf].name = txt + i;
		f[nf].nlen = eq - i;
		f[nf].value = txt + eq + 1;
		f[nf].vlen = e - eq - 1;
		nf++;
		i = s;
	}
	*out = f;
	*n = nf;
	return 0;
}

int
inkan__policy_domain(struct inkan_arena *a, const char *domain, char **out, const char **why)
{
	size_t len;

	*out = NULL;
	if (domain == NULL)
		return fail(why, "no domain");
	len = strlen(domain);
	if (inkan_dname_check(domain, len, 0, why) != 0)
		return INKAN_EMALFORMED;
	if ((*out = inkan_dname_lower(a, domain, len)) == NULL)
		return INKAN_ENOMEM;
	return 0;
}

int
inkan__txt_select(struct inkan_resolver *r, struct inkan_arena *a, const char *qname,
    bool (*is_rec)(const char *, size_t), const char *what, struct inkan__txtsel *out)
{
	struct inkan_dns_answer ans;
	size_t nsel = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = inkan_dns_query(r, a, qname, INKAN_DNS_TXT, &ans)) != 0)
		return rc;
	out->canonname = ans.canonname;
	out->secure = ans.secure;
	out->ttl = ans.ttl;
	switch (ans.status) {
	case INKAN_DNS_OK:
		break;
	case INKAN_DNS_NXDOMAIN:
	case INKAN_DNS_NODATA:
		out->status = INKAN__TXT_NONE;
		out->why = inkan_arena_printf(a, "no TXT record at %s (%s)", qname,
		    inkan_dns_status_name(ans.status));
		return out->why == NULL ? INKAN_ENOMEM : 0;
	default:
		out->status = INKAN__TXT_TEMPERROR;
		out->why = inkan_arena_printf(a, "DNS lookup of TXT %s failed: %s%s%s%s", qname,
		    inkan_dns_status_name(ans.status), ans.why ? " (" : "",
		    ans.why ? ans.why : "", ans.why ? ")" : "");
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	if (ans.bogus) {
		/* Data that failed DNSSEC validation may be forged: neither a
		 * policy nor its absence can be believed. */
		out->status = INKAN__TXT_TEMPERROR;
		out->why = inkan_arena_printf(a, "TXT %s is DNSSEC-bogus%s%s%s", qname,
		    ans.why ? " (" : "", ans.why ? ans.why : "", ans.why ? ")" : "");
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	if ((out->txts = inkan_arena_zalloc(a, (ans.nrr + 1) * sizeof(*out->txts))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < ans.nrr; i++) {
		char *t;
		size_t tl;

		if (ans.rr[i].type != INKAN_DNS_TXT)
			continue;
		rc = inkan_dns_rr_txt(a, &ans.rr[i], &t, &tl);
		if (rc == INKAN_ENOMEM)
			return rc;
		if (rc != 0)
			continue;
		out->txts[out->ntxt++] = t;
		if (is_rec(t, tl)) {
			if (nsel++ == 0) {
				out->txt = t;
				out->txtlen = tl;
			}
		}
	}
	if (nsel == 1) {
		out->status = INKAN__TXT_ONE;
		return 0;
	}
	if (nsel == 0) {
		out->status = INKAN__TXT_NONE;
		out->why = inkan_arena_printf(a, "no TXT record at %s begins with v=%s (%zu other%s)",
		    qname, what, out->ntxt, out->ntxt == 1 ? "" : "s");
	} else {
		out->status = INKAN__TXT_MULTIPLE;
		out->why = inkan_arena_printf(a, "%zu v=%s records at %s; there must be exactly one",
		    nsel, what, qname);
	}
	return out->why == NULL ? INKAN_ENOMEM : 0;
}

/* ---- MTA-STS ---- */

bool
inkan_mtasts_record_is_sts(const char *txt, size_t len)
{
	return inkan__rec_has_version(txt, len, "v=STSv1");
}

int
inkan_mtasts_record_parse(struct inkan_arena *a, const char *txt, size_t len,
    struct inkan_mtasts_record *out, const char **why)
{
	struct inkan__recfield *f;
	size_t n, next = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	if (txt == NULL)
		return fail(why, "no record");
	if ((rc = inkan__rec_split(a, txt, len, "v=STSv1", &f, &n, why)) != 0)
		return rc;
	if (n > 0 && (out->ext = inkan_arena_zalloc(a, n * sizeof(*out->ext))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *w = NULL;

		if (f[i].nlen == 2 && memcmp(f[i].name, "id", 2) == 0) {
			if (out->id != NULL)
				return fail(why, "id= appears more than once");
			if (f[i].vlen == 0)
				return fail(why, "id= is empty");
			if (f[i].vlen > INKAN_MTASTS_MAX_ID) {
				w = inkan_arena_printf(a, "id= is %zu characters long; at most 32 "
				    "are allowed", f[i].vlen);
				return w == NULL ? INKAN_ENOMEM : fail(why, w);
			}
			for (size_t j = 0; j < f[i].vlen; j++) {
				if (!is_alnum(f[i].value[j])) {
					const char *q = quote(a, f[i].value, f[i].vlen);

					w = q ? inkan_arena_printf(a, "id %s has a character other "
					    "than a letter or digit", q) : NULL;
					return w == NULL ? INKAN_ENOMEM : fail(why, w);
				}
			}
			if ((out->id = inkan_arena_strndup(a, f[i].value, f[i].vlen)) == NULL)
				return INKAN_ENOMEM;
			continue;
		}
		if (!inkan__rec_ext_value_ok(f[i].value, f[i].vlen)) {
			const char *qn = quote(a, f[i].name, f[i].nlen);
			const char *qv = quote(a, f[i].value, f[i].vlen);

			if (qn == NULL || qv == NULL)
				return INKAN_ENOMEM;
			w = f[i].vlen == 0 ?
			    inkan_arena_printf(a, "extension %s has an empty value", qn) :
			    inkan_arena_printf(a, "extension %s has a value %s with a character "
			    "that is not allowed (space, \"=\", \";\" or not printable ASCII)",
			    qn, qv);
			return w == NULL ? INKAN_ENOMEM : fail(why, w);
		}
		out->ext[next].name = inkan_arena_strndup(a, f[i].name, f[i].nlen);
		out->ext[next].value = inkan_arena_strndup(a, f[i].value, f[i].vlen);
		if (out->ext[next].name == NULL || out->ext[next].value == NULL)
			return INKAN_ENOMEM;
		next++;
	}
	out->next = next;
	if (out->id == NULL)
		return fail(why, "missing id= (RFC 8461 §3.1 requires it)");
	return 0;
}

const char *
inkan_mtasts_record_status_name(enum inkan_mtasts_record_status s)
{
	switch (s) {
	case INKAN_MTASTS_RECORD_FOUND: return "found";
	case INKAN_MTASTS_RECORD_NONE: return "none";
	case INKAN_MTASTS_RECORD_INVALID: return "invalid";
	case INKAN_MTASTS_RECORD_MULTIPLE: return "multiple";
	case INKAN_MTASTS_RECORD_TEMPERROR: return "temperror";
	}
	return "unknown";
}

int
inkan_mtasts_record_lookup(struct inkan_resolver *r, struct inkan_arena *a,
    const char *domain, struct inkan_mtasts_lookup *out)
{
	struct inkan__txtsel sel;
	const char *why = NULL;
	char *d;
	int rc;

	memset(out, 0, sizeof(*out));
	out->status = INKAN_MTASTS_RECORD_NONE;
	rc = inkan__policy_domain(a, domain, &d, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		out->why = inkan_arena_printf(a, "%s is not a valid domain name: %s",
		    domain ? domain : "(null)", why);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	out->domain = d;
	if ((out->qname = inkan_arena_printf(a, "_mta-sts.%s", d)) == NULL)
		return INKAN_ENOMEM;
	if (strlen(out->qname) > INKAN_DNAME_MAX_TEXT) {
		out->why = "_mta-sts.<domain> is longer than a domain name can be";
		return 0;
	}
	rc = inkan__txt_select(r, a, out->qname, inkan_mtasts_record_is_sts, "STSv1", &sel);
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
		out->status = INKAN_MTASTS_RECORD_NONE;
		return 0;
	case INKAN__TXT_MULTIPLE:
		out->status = INKAN_MTASTS_RECORD_MULTIPLE;
		return 0;
	case INKAN__TXT_TEMPERROR:
		out->status = INKAN_MTASTS_RECORD_TEMPERROR;
		return 0;
	default:
		break;
	}
	rc = inkan_mtasts_record_parse(a, sel.txt, sel.txtlen, &out->record, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		out->status = INKAN_MTASTS_RECORD_INVALID;
		out->why = inkan_arena_printf(a, "invalid MTA-STS record at %s: %s", out->qname,
		    why);
		return out->why == NULL ? INKAN_ENOMEM : 0;
	}
	out->status = INKAN_MTASTS_RECORD_FOUND;
	out->why = NULL;
	return 0;
}
