/* arf.c - DMARC failure reports (RFC 9991, RFC 6591) in the Abuse
 * Reporting Format (RFC 5965): find the message/feedback-report part with
 * GMime and read its header fields.
 *
 * The feedback-report body is a block of RFC 5322-style header fields
 * (RFC 5965 §3.1), read here directly: GMime would parse it as a message,
 * but some generators put a blank line or junk first.  Reporters are
 * sloppy about optional fields (Version "1.0", "dns; host" prefixes, bare
 * or bracketed addresses), so optional values are kept as written, only
 * trimmed and unfolded; only Feedback-Type is required, since without it
 * the part says nothing.
 */
#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/report.h"
#include "report_int.h"

struct field {
	const char *name;
	size_t namelen;
	char *value;
};

/* Call fn for each header field of the block p/len, unfolded and trimmed,
 * up to the first empty line after at least one field. */
static void
each_field(struct inkan_arena *a, const char *p, size_t len,
    void (*fn)(void *, const struct field *), void *ctx)
{
	size_t i = 0;
	bool any = false;

	while (i < len) {
		size_t ls = i, le, ve, vs;
		struct field f;
		char *v;
		size_t n = 0;

		while (i < len && p[i] != '\n')
			i++;
		le = i;
		if (le > ls && p[le - 1] == '\r')
			le--;
		if (i < len)
			i++;
		if (le == ls) {
			if (any)
				return;
			continue;	/* blank lines before the fields */
		}
		if (p[ls] == ' ' || p[ls] == '\t')
			continue;	/* a stray continuation */
		vs = ls;
		while (vs < le && p[vs] != ':')
			vs++;
		if (vs == le || vs == ls)
			continue;	/* not a field */
		f.name = p + ls;
		f.namelen = vs - ls;
		while (f.namelen > 0 && (f.name[f.namelen - 1] == ' ' || f.name[f.namelen - 1] == '\t'))
			f.namelen--;
		/* the value with its continuation lines, unfolded */
		ve = i;
		while (ve < len && (p[ve] == ' ' || p[ve] == '\t')) {
			while (ve < len && p[ve] != '\n')
				ve++;
			if (ve < len)
				ve++;
		}
		v = inkan_arena_alloc(a, ve - vs);
		if (v == NULL)
			return;
		for (size_t k = vs + 1; k < ve; k++)
			if (p[k] != '\r' && p[k] != '\n')
				v[n++] = p[k] == '\t' ? ' ' : p[k];
		while (n > 0 && v[n - 1] == ' ')
			n--;
		v[n] = '\0';
		while (*v == ' ')
			v++;
		f.value = v;
		i = ve;
		any = true;
		fn(ctx, &f);
	}
}

static bool
is(const struct field *f, const char *name)
{
	return strlen(name) == f->namelen && strncasecmp(f->name, name, f->namelen) == 0;
}

static char *
lower(char *s)
{
	for (char *q = s; *q != '\0'; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return s;
}

struct acc {
	struct inkan_arena *a;
	struct inkan_arf_report *r;
	/* + 1: the NULL that ends each copied list */
	const char *ra[INKAN_ARF_MAX_VALUES + 1], *rd[INKAN_ARF_MAX_VALUES + 1],
	    *ru[INKAN_ARF_MAX_VALUES + 1];
};

static void
push(const char **v, size_t *n, const char *s)
{
	if (*n < INKAN_ARF_MAX_VALUES)
		v[(*n)++] = s;
}

static void
on_report_field(void *vp, const struct field *f)
{
	struct acc *c = vp;
	struct inkan_arf_report *r = c->r;
	char *v = f->value;
	const char **one = NULL;

	if (*v == '\0')
		return;
	if (is(f, "Feedback-Type"))
		r->feedback_type = lower(v);
	else if (is(f, "Version"))
		one = &r->version;
	else if (is(f, "User-Agent"))
		one = &r->user_agent;
	else if (is(f, "Original-Mail-From"))
		one = &r->original_mail_from;
	else if (is(f, "Original-Rcpt-To"))
		one = &r->original_rcpt_to;
	else if (is(f, "Original-Envelope-Id"))
		one = &r->original_envelope_id;
	else if (is(f, "Arrival-Date") || (is(f, "Received-Date") && r->arrival_date == NULL))
		r->arrival_date = v;
	else if (is(f, "Source-IP"))
		one = &r->source_ip;
	else if (is(f, "Reporting-MTA")) {
		/* RFC 5965 §3.2: "dns; name" (RFC 3464 mta-name-type) */
		char *semi = strchr(v, ';');
		if (semi != NULL)
			for (v = semi + 1; *v == ' '; v++)
				;
		one = &r->reporting_mta;
	} else if (is(f, "Auth-Failure"))
		r->auth_failure = lower(v);
	else if (is(f, "Delivery-Result"))
		r->delivery_result = lower(v);
	else if (is(f, "Identity-Alignment"))
		r->identity_alignment = lower(v);
	else if (is(f, "DKIM-Domain"))
		one = &r->dkim_domain;
	else if (is(f, "DKIM-Selector"))
		one = &r->dkim_selector;
	else if (is(f, "DKIM-Identity"))
		one = &r->dkim_identity;
	else if (is(f, "Incidents"))
		one = &r->incidents;
	else if (is(f, "Reported-Domain"))
		push(c->rd, &r->nreported_domain, v);
	else if (is(f, "Reported-URI"))
		push(c->ru, &r->nreported_uri, v);
	else if (is(f, "Authentication-Results"))
		push(c->ra, &r->nauthentication_results, v);
	if (one != NULL && *one == NULL)
		*one = v;
}

static void
on_orig_field(void *vp, const struct field *f)
{
	struct inkan_arf_report *r = vp;

	if (is(f, "From") && r->orig_from == NULL)
		r->orig_from = f->value;
	else if (is(f, "Subject") && r->orig_subject == NULL)
		r->orig_subject = f->value;
	else if (is(f, "Message-ID") && r->orig_message_id == NULL)
		r->orig_message_id = f->value;
}

struct find {
	GByteArray *report;	/* the feedback-report body */
	GByteArray *orig;	/* the returned message or its headers */
};

static GByteArray *
object_bytes(GMimeObject *o, bool content)
{
	GMimeStream *ms = g_mime_stream_mem_new();
	GByteArray *ba, *copy;
	bool ok;

	if (content) {
		GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(o));
		ok = dw != NULL && g_mime_data_wrapper_write_to_stream(dw, ms) >= 0;
	} else {
		ok = g_mime_object_write_to_stream(o, NULL, ms) >= 0;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	copy = ok && ba != NULL ? g_byte_array_new() : NULL;
	if (copy != NULL)
		g_byte_array_append(copy, ba->data, ba->len);
	g_object_unref(ms);
	return copy;
}

static void
visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct find *w = data;
	GMimeContentType *ct = g_mime_object_get_content_type(part);

	(void)parent;
	if (ct == NULL)
		return;
	if (w->report == NULL && g_mime_content_type_is_type(ct, "message", "feedback-report")) {
		if (GMIME_IS_PART(part))
			w->report = object_bytes(part, true);
		else if (GMIME_IS_MESSAGE_PART(part)) {
			/* GMime may have parsed the fields as a message */
			GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
			if (m != NULL)
				w->report = object_bytes(GMIME_OBJECT(m), false);
		}
	} else if (w->orig == NULL && g_mime_content_type_is_type(ct, "message", "rfc822") &&
	    GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		if (m != NULL)
			w->orig = object_bytes(GMIME_OBJECT(m), false);
	} else if (w->orig == NULL && g_mime_content_type_is_type(ct, "text", "rfc822-headers") &&
	    GMIME_IS_PART(part)) {
		w->orig = object_bytes(part, true);
	}
}

/* Hash ba with CRLF read as LF: the same report saved with either line
 * ending (both exist in the wild) is one report. */
static void
digest_add(GChecksum *sum, const GByteArray *ba)
{
	size_t start = 0;

	for (size_t i = 0; i < ba->len; i++) {
		if (ba->data[i] == '\r' && i + 1 < ba->len && ba->data[i + 1] == '\n') {
			g_checksum_update(sum, ba->data + start, (gssize)(i - start));
			start = i + 1;
		}
	}
	g_checksum_update(sum, ba->data + start, (gssize)(ba->len - start));
}

int
inkan_arf_parse(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_arf_report *out, struct inkan_report_diag *d)
{
	struct find w = { NULL, NULL };
	struct acc *c;
	GMimeMessage *msg;
	GChecksum *sum;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((msg = inkan__report_mime_open(p, len, d, &rc)) == NULL)
		return rc;
	if (msg->mime_part != NULL && GMIME_IS_MULTIPART(msg->mime_part))
		g_mime_multipart_foreach(GMIME_MULTIPART(msg->mime_part), visit, &w);
	g_object_unref(msg);
	if (w.report == NULL) {
		if (w.orig != NULL)
			g_byte_array_unref(w.orig);
		inkan__report_why(d, "no message/feedback-report part");
		return INKAN_ENOTFOUND;
	}
	if ((c = inkan_arena_zalloc(a, sizeof(*c))) == NULL) {
		rc = INKAN_ENOMEM;
		goto out;
	}
	c->a = a;
	c->r = out;
	each_field(a, (const char *)w.report->data, w.report->len, on_report_field, c);
	if (w.orig != NULL)
		each_field(a, (const char *)w.orig->data, w.orig->len, on_orig_field, out);
	if (out->feedback_type == NULL) {
		inkan__report_why(d, "feedback report without Feedback-Type");
		rc = INKAN_EMALFORMED;
		goto out;
	}
	out->reported_domain = inkan_arena_memdup(a, c->rd, sizeof(char *) * (out->nreported_domain + 1));
	out->reported_uri = inkan_arena_memdup(a, c->ru, sizeof(char *) * (out->nreported_uri + 1));
	out->authentication_results = inkan_arena_memdup(a, c->ra,
	    sizeof(char *) * (out->nauthentication_results + 1));
	if (out->reported_domain == NULL || out->reported_uri == NULL ||
	    out->authentication_results == NULL) {
		rc = INKAN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < out->nreported_domain; i++)
		lower((char *)out->reported_domain[i]);
	if (out->source_ip != NULL) {
		struct inkan_ip ip;
		char buf[INKAN_IP_STRLEN];

		if (inkan_ip_parse(out->source_ip, strlen(out->source_ip), &ip) == 0) {
			inkan_ip_unmap(&ip);
			out->source_ip = inkan_arena_strdup(a,
			    inkan_ip_format(&ip, buf, sizeof(buf)));
		}
	}
	if (out->arrival_date != NULL) {
		GDateTime *dt = g_mime_utils_header_decode_date(out->arrival_date);

		if (dt != NULL) {
			out->arrival = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
		}
	}
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	digest_add(sum, w.report);
	if (w.orig != NULL) {
		g_checksum_update(sum, (const guchar *)"\n--\n", 4);
		digest_add(sum, w.orig);
	}
	g_strlcpy(out->digest, g_checksum_get_string(sum), sizeof(out->digest));
	g_checksum_free(sum);
out:
	g_byte_array_unref(w.report);
	if (w.orig != NULL)
		g_byte_array_unref(w.orig);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
