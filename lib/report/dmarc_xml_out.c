/* dmarc_xml_out.c - struct inkan_dmarc_report to aggregate report XML:
 * RFC 9990 (namespace urn:ietf:params:xml:ns:dmarc-2.0) or RFC 7489
 * appendix C (http://dmarc.org/dmarc-xml/0.1).
 *
 * Two schemas are published for each format and they do not agree with
 * each other or with the RFC's own sample (version, generator, testing
 * vs t, a "pass" disposition, optional SPF scope).  What we write is the
 * part they share, so that a consumer validating against any of them
 * accepts it; see tests/data/reports/dmarc-aggregate/schema-fixed/.
 * The one exception is <testing>y</testing> (RFC 9990's name for t=y),
 * written only when the policy has t=y.
 *
 * Every value is an enumeration we check, a number, or text that went
 * through xml_text(): escaped, and with anything XML 1.0 cannot carry
 * (control characters, invalid UTF-8, U+FFFE/U+FFFF) replaced by '?'.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/report_gen.h"
#include "report_int.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes) that XML 1.0
 * allows as a character, or 0. */
static size_t
xml_char_len(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t len;

	if (p[0] < 0x80)
		return (p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' || p[0] == '\r') &&
		    p[0] != 0x7f ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff ||
	    (c >= 0x80 && c <= 0x9f))
		return 0;
	return len;
}

/* Append s as element text. */
static void
xml_text(struct inkan_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0 && b->err == 0) {
		size_t l = xml_char_len(p, n);

		if (l == 0) {
			inkan_buf_putc(b, '?');
			l = 1;
		} else if (*p == '&') {
			inkan_buf_puts(b, "&amp;");
		} else if (*p == '<') {
			inkan_buf_puts(b, "&lt;");
		} else if (*p == '>') {
			inkan_buf_puts(b, "&gt;");
		} else if (*p == '\r') {
			inkan_buf_puts(b, "&#13;");	/* else a parser turns it into LF */
		} else {
			inkan_buf_append(b, p, l);
		}
		p += l;
		n -= l;
	}
}

static void
elem(struct inkan_buf *b, int depth, const char *name, const char *value)
{
	if (value == NULL)
		return;
	inkan_buf_printf(b, "%*s<%s>", depth * 2, "", name);
	xml_text(b, value);
	inkan_buf_printf(b, "</%s>\n", name);
}

static void
open_tag(struct inkan_buf *b, int depth, const char *name)
{
	inkan_buf_printf(b, "%*s<%s>\n", depth * 2, "", name);
}

static void
close_tag(struct inkan_buf *b, int depth, const char *name)
{
	inkan_buf_printf(b, "%*s</%s>\n", depth * 2, "", name);
}

static bool
one_of(const char *v, const char *const *set)
{
	if (v == NULL)
		return false;
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static const char *
member(const char *v, const char *const *set, const char *dflt)
{
	return one_of(v, set) ? v : dflt;
}

static const char *const policies[] = { "none", "quarantine", "reject", NULL };
static const char *const alignments[] = { "r", "s", NULL };
static const char *const passfail[] = { "pass", "fail", NULL };
static const char *const dkim_results[] = { "none", "pass", "fail", "policy", "neutral",
	"temperror", "permerror", NULL };
static const char *const spf_results[] = { "none", "neutral", "pass", "fail", "softfail",
	"temperror", "permerror", NULL };
static const char *const scopes[] = { "helo", "mfrom", NULL };
static const char *const discovery[] = { "treewalk", "psl", NULL };
static const char *const reasons_9990[] = { "trusted_forwarder", "mailing_list",
	"local_policy", "policy_test_mode", "other", NULL };
static const char *const reasons_7489[] = { "forwarded", "sampled_out", "trusted_forwarder",
	"mailing_list", "local_policy", "other", NULL };

/* IPv6 in full (eight groups, no "::"): the IPAddress pattern of the RFC
 * 7489 XSD, and of the RFC 9990 one in our test data, accepts no other
 * form; every parser accepts this one (RFC 4291 §2.2 form 1). */
static bool
source_ip(struct inkan_buf *b, int depth, const char *text)
{
	struct inkan_ip ip;
	char buf[64];

	if (text == NULL || inkan_ip_parse(text, strlen(text), &ip) != 0)
		return false;
	if (ip.family == 4) {
		inkan_ip_format(&ip, buf, sizeof(buf));
	} else {
		int n = 0;
		for (int i = 0; i < 8; i++)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%x", i ? ":" : "",
			    (unsigned)(ip.a[2 * i] << 8 | ip.a[2 * i + 1]));
	}
	elem(b, depth, "source_ip", buf);
	return true;
}

static void
reason(struct inkan_arena *a, struct inkan_buf *b, const struct inkan_dmarc_reason *r,
    enum inkan_aggr_format f)
{
	const char *const *set = f == INKAN_AGGR_RFC7489 ? reasons_7489 : reasons_9990;
	const char *type = r->type, *comment = r->comment;

	if (type == NULL)
		type = "other";
	if (!one_of(type, set)) {
		/* This format has no such type: say it in the comment. */
		comment = comment != NULL ? inkan_arena_printf(a, "%s: %s", type, comment) : type;
		type = "other";
		if (comment == NULL) {
			b->err = INKAN_ENOMEM;
			return;
		}
	}
	open_tag(b, 4, "reason");
	elem(b, 5, "type", type);
	elem(b, 5, "comment", comment);
	close_tag(b, 4, "reason");
}

static int
record(struct inkan_arena *a, struct inkan_buf *b, const struct inkan_dmarc_row *w,
    enum inkan_aggr_format f)
{
	const char *disp = w->disposition;

	/* RFC 9990 allows "pass" (no action on a passing message), neither
	 * XSD does: it is the "none" they know. */
	if (disp != NULL && strcmp(disp, "pass") == 0)
		disp = "none";
	if (!one_of(disp, policies))
		return INKAN_EINVAL;
	open_tag(b, 1, "record");
	open_tag(b, 2, "row");
	if (!source_ip(b, 3, w->source_ip))
		return INKAN_EINVAL;
	inkan_buf_printf(b, "      <count>%" PRIu64 "</count>\n", w->count);
	open_tag(b, 3, "policy_evaluated");
	elem(b, 4, "disposition", disp);
	elem(b, 4, "dkim", member(w->dkim, passfail, "fail"));
	elem(b, 4, "spf", member(w->spf, passfail, "fail"));
	for (size_t i = 0; i < w->nreasons; i++)
		reason(a, b, &w->reasons[i], f);
	close_tag(b, 3, "policy_evaluated");
	close_tag(b, 2, "row");
	open_tag(b, 2, "identifiers");
	elem(b, 3, "envelope_to", w->envelope_to);
	/* Required by both XSDs; empty for the null reverse-path (RFC 9990). */
	elem(b, 3, "envelope_from", w->envelope_from != NULL ? w->envelope_from : "");
	elem(b, 3, "header_from", w->header_from != NULL ? w->header_from : "");
	close_tag(b, 2, "identifiers");
	open_tag(b, 2, "auth_results");
	for (size_t i = 0; i < w->ndkim_auth; i++) {
		const struct inkan_dmarc_auth *au = &w->dkim_auth[i];
		open_tag(b, 3, "dkim");
		elem(b, 4, "domain", au->domain != NULL ? au->domain : "");
		elem(b, 4, "selector", au->selector != NULL ? au->selector : "");
		elem(b, 4, "result", member(au->result, dkim_results, "none"));
		elem(b, 4, "human_result", au->human_result);
		close_tag(b, 3, "dkim");
	}
	/* At least one <spf> (both XSDs); its human_result is in neither. */
	for (size_t i = 0; i < w->nspf_auth || i == 0; i++) {
		const struct inkan_dmarc_auth *au = i < w->nspf_auth ? &w->spf_auth[i] : NULL;
		open_tag(b, 3, "spf");
		elem(b, 4, "domain", au != NULL && au->domain != NULL ? au->domain :
		    w->envelope_from != NULL ? w->envelope_from : "");
		elem(b, 4, "scope", member(au != NULL ? au->scope : NULL, scopes, "mfrom"));
		elem(b, 4, "result", member(au != NULL ? au->result : NULL, spf_results, "none"));
		close_tag(b, 3, "spf");
	}
	close_tag(b, 2, "auth_results");
	close_tag(b, 1, "record");
	return 0;
}

int
inkan_dmarc_report_xml(struct inkan_arena *a, const struct inkan_dmarc_report *r,
    enum inkan_aggr_format f, char **out, size_t *len)
{
	struct inkan_buf b;
	const char *p;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (r == NULL || r->org_name == NULL || r->email == NULL || r->report_id == NULL ||
	    r->domain == NULL || r->nrows == 0)
		return INKAN_EINVAL;
	p = member(r->p, policies, "none");
	inkan_buf_init(&b, INKAN_REPORT_MAX_BYTES);
	inkan_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	inkan_buf_printf(&b, "<feedback xmlns=\"%s\">\n", f == INKAN_AGGR_RFC7489 ?
	    "http://dmarc.org/dmarc-xml/0.1" : "urn:ietf:params:xml:ns:dmarc-2.0");
	if (f == INKAN_AGGR_RFC7489)
		elem(&b, 1, "version", "1.0");
	open_tag(&b, 1, "report_metadata");
	elem(&b, 2, "org_name", r->org_name);
	elem(&b, 2, "email", r->email);
	elem(&b, 2, "extra_contact_info", r->extra_contact_info);
	elem(&b, 2, "report_id", r->report_id);
	open_tag(&b, 2, "date_range");
	inkan_buf_printf(&b, "      <begin>%" PRId64 "</begin>\n      <end>%" PRId64 "</end>\n",
	    r->begin, r->end);
	close_tag(&b, 2, "date_range");
	for (size_t i = 0; i < r->nerrors; i++)
		elem(&b, 2, "error", r->errors[i]);
	close_tag(&b, 1, "report_metadata");

	open_tag(&b, 1, "policy_published");
	elem(&b, 2, "domain", r->domain);
	if (f == INKAN_AGGR_RFC7489) {
		/* appendix C requires p, sp, pct and fo: their defaults
		 * (RFC 7489 §6.3) when the record had none. */
		elem(&b, 2, "adkim", member(r->adkim, alignments, NULL));
		elem(&b, 2, "aspf", member(r->aspf, alignments, NULL));
		elem(&b, 2, "p", p);
		elem(&b, 2, "sp", member(r->sp, policies, p));
		inkan_buf_printf(&b, "    <pct>%d</pct>\n", r->pct >= 0 && r->pct <= 100 ?
		    r->pct : 100);
		elem(&b, 2, "fo", r->fo != NULL ? r->fo : "0");
	} else {
		elem(&b, 2, "discovery_method", member(r->discovery_method, discovery, NULL));
		elem(&b, 2, "p", p);
		elem(&b, 2, "sp", member(r->sp, policies, NULL));
		elem(&b, 2, "np", member(r->np, policies, NULL));
		elem(&b, 2, "fo", r->fo);
		elem(&b, 2, "adkim", member(r->adkim, alignments, NULL));
		elem(&b, 2, "aspf", member(r->aspf, alignments, NULL));
		if (r->testing != NULL && strcmp(r->testing, "y") == 0)
			elem(&b, 2, "testing", "y");
	}
	close_tag(&b, 1, "policy_published");
	for (size_t i = 0; i < r->nrows && rc == 0 && b.err == 0; i++)
		rc = record(a, &b, &r->rows[i], f);
	inkan_buf_puts(&b, "</feedback>\n");
	if (rc == 0)
		rc = b.err;
	if (rc == 0 && (*out = inkan_arena_memdup(a, b.p, b.len + 1)) == NULL)
		rc = INKAN_ENOMEM;
	if (rc == 0)
		*len = b.len;
	inkan_buf_free(&b);
	return rc;
}
