/* mime.c - find the reports inside report e-mails and mboxes (GMime).
 *
 * RFC 9990 §5.4 / RFC 8460 §5.3 say how reports are attached, but senders
 * vary (application/gzip, application/zip, application/octet-stream,
 * text/xml, a wrong Content-Type on the right data), so every leaf part's
 * decoded body is judged by content: compressed data, XML whose root is
 * <feedback>, or a JSON object.  Text and HTML bodies are skipped.
 */
#include <gmime/gmime.h>
#include <pthread.h>
#include <string.h>

#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report.h"
#include "report_int.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_setup(void)
{
	g_mime_init();
}

struct walk {
	inkan_report_part_fn fn;
	void *ctx;
	int rc;
	size_t found;
};

/* Does this decoded body look like a report (by content)? */
static bool
looks_like_report(const char *p, size_t len)
{
	size_t i = 0;

	if (inkan_report_sniff(p, len) != INKAN_INPUT_REPORT)
		return false;
	if ((unsigned char)p[0] == 0x1f || p[0] == 'P')
		return true;		/* gzip or zip magic */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && strchr(" \t\r\n", p[i]) != NULL)
		i++;
	if (p[i] == '{')
		return true;
	/* XML: only a <feedback> document, not an HTML body */
	return memmem(p + i, len - i < 4096 ? len - i : 4096, "<feedback", 9) != NULL ||
	    memmem(p + i, len - i < 4096 ? len - i : 4096, ":feedback", 9) != NULL;
}

static void
visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct walk *w = data;
	GMimeDataWrapper *dw;
	GMimeStream *ms;
	GByteArray *ba;
	const char *name;
	char ctype[128];

	(void)parent;
	if (w->rc != 0 || !GMIME_IS_PART(part))
		return;
	dw = g_mime_part_get_content(GMIME_PART(part));
	if (dw == NULL)
		return;
	ms = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(dw, ms) < 0) {
		g_object_unref(ms);
		return;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	if (ba != NULL && ba->len > 0 && looks_like_report((const char *)ba->data, ba->len)) {
		name = g_mime_part_get_filename(GMIME_PART(part));
		if (name == NULL) {
			GMimeContentType *ct = g_mime_object_get_content_type(part);
			snprintf(ctype, sizeof(ctype), "%s/%s",
			    ct != NULL ? g_mime_content_type_get_media_type(ct) : "?",
			    ct != NULL ? g_mime_content_type_get_media_subtype(ct) : "?");
			name = ctype;
		}
		w->found++;
		w->rc = w->fn(w->ctx, name, (const char *)ba->data, ba->len);
	}
	g_object_unref(ms);
}

GMimeMessage *
inkan__report_mime_open(const char *p, size_t len, struct inkan_report_diag *d, int *rc)
{
	GMimeStream *s;
	GMimeParser *parser;
	GMimeMessage *msg;

	if (len > INKAN_REPORT_MAX_INPUT) {
		inkan__report_why(d, "message larger than %u bytes", INKAN_REPORT_MAX_INPUT);
		*rc = INKAN_ETOOBIG;
		return NULL;
	}
	pthread_once(&gmime_once, gmime_setup);
	s = g_mime_stream_mem_new_with_buffer(p, len);
	parser = g_mime_parser_new_with_stream(s);
	g_object_unref(s);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg == NULL) {
		inkan__report_why(d, "not a MIME message");
		*rc = INKAN_EMALFORMED;
	}
	return msg;
}

int
inkan_report_mime_each(const char *p, size_t len, inkan_report_part_fn fn,
    void *ctx, struct inkan_report_diag *d)
{
	struct walk w = { fn, ctx, 0, 0 };
	GMimeMessage *msg;
	int rc = 0;

	if ((msg = inkan__report_mime_open(p, len, d, &rc)) == NULL)
		return rc;
	if (msg->mime_part != NULL) {
		if (GMIME_IS_MULTIPART(msg->mime_part))
			g_mime_multipart_foreach(GMIME_MULTIPART(msg->mime_part), visit, &w);
		else
			visit(NULL, msg->mime_part, &w);
	}
	g_object_unref(msg);
	if (w.rc != 0)
		return w.rc;
	if (w.found == 0) {
		inkan__report_why(d, "no report attached to the message");
		return INKAN_ENOTFOUND;
	}
	return 0;
}

int
inkan_report_mbox_each(const char *p, size_t len, inkan_report_msg_fn fn, void *ctx)
{
	size_t start = 0, idx = 0;
	int rc = 0;

	if (len > INKAN_REPORT_MAX_INPUT)
		return INKAN_ETOOBIG;
	/* A message starts at a "From " line at the start of the file or after
	 * a newline (mboxo/mboxrd; quoted ">From " lines in bodies stay). */
	while (start < len && rc == 0) {
		const char *body, *next;
		size_t from = start, end;

		if (len - from < 5 || memcmp(p + from, "From ", 5) != 0)
			return INKAN_EMALFORMED;
		body = memchr(p + from, '\n', len - from);
		if (body == NULL)
			break;
		body++;
		next = body;
		end = len;
		while ((next = memmem(next, len - (size_t)(next - p), "\nFrom ", 6)) != NULL) {
			end = (size_t)(next - p) + 1;
			break;
		}
		rc = fn(ctx, ++idx, body, end - (size_t)(body - p));
		start = end;
	}
	return rc;
}
