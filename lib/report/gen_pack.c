/* gen_pack.c - what a generated report travels in: gzip, the file name
 * of RFC 9990 and RFC 8460 §5.1, and the report message (RFC 5322 with
 * MIME, RFC 2045; multipart/report, RFC 6522, for TLS-RPT).
 *
 * The output is deterministic for a given report and time: no file name
 * or time in the gzip header, a boundary made from the report id.  So a
 * report generated twice is the same bytes, which is what RFC 9990 asks
 * of a re-sent report (the same file name) and what makes the tests
 * exact.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report_gen.h"

int
inkan_report_gzip(struct inkan_arena *a, const char *p, size_t len, char **out, size_t *outlen)
{
	z_stream z;
	size_t cap;
	char *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper with zlib's default header (no name, time 0). */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return INKAN_ENOMEM;
	cap = deflateBound(&z, (uLong)len) + 32;
	if ((buf = inkan_arena_alloc(a, cap)) == NULL) {
		deflateEnd(&z);
		return INKAN_ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)p;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	/* Feed in pieces: avail_in is a uInt. */
	do {
		size_t chunk = len - (size_t)z.total_in;
		if (chunk > (1u << 30))
			chunk = 1u << 30;
		z.avail_in = (uInt)chunk;
		rc = deflate(&z, (size_t)z.total_in + chunk == len ? Z_FINISH : Z_NO_FLUSH);
	} while (rc == Z_OK);
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return INKAN_ENOMEM;
	*out = buf;
	*outlen = (size_t)z.total_out;
	return 0;
}

char *
inkan_report_filename(struct inkan_arena *a, const char *receiver, const char *policy_domain,
    int64_t begin, int64_t end, const char *unique_id, const char *ext)
{
	char id[65];
	size_t n = 0;
	const char *why;

	if (receiver == NULL || policy_domain == NULL || ext == NULL ||
	    inkan_dname_check(receiver, strlen(receiver), INKAN_DNAME_HOSTNAME, &why) != 0 ||
	    inkan_dname_check(policy_domain, strlen(policy_domain),
	    INKAN_DNAME_HOSTNAME | INKAN_DNAME_UNDERSCORE, &why) != 0 ||
	    strchr(ext, '/') != NULL)
		return NULL;
	for (const char *c = unique_id; c != NULL && *c != '\0' && n < sizeof(id) - 1; c++)
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))
			id[n++] = *c;
	id[n] = '\0';
	return inkan_arena_printf(a, "%s!%s!%" PRId64 "!%" PRId64 "%s%s.%s", receiver,
	    policy_domain, begin, end, n > 0 ? "!" : "", id, ext);
}

/* ---- the message ---- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 2045 §6.8: base64 in lines of 76 characters. */
static void
base64(struct inkan_buf *b, const unsigned char *p, size_t len)
{
	size_t col = 0;

	inkan_buf_reserve(b, (len + 2) / 3 * 4 + len / 57 + 2);
	for (size_t i = 0; i < len && b->err == 0; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		inkan_buf_append(b, q, 4);
		if ((col += 4) == 76) {
			inkan_buf_putc(b, '\n');
			col = 0;
		}
	}
	if (col > 0)
		inkan_buf_putc(b, '\n');
}

static bool
one_line(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

/* "Name: value", folded at spaces before 78 columns (RFC 5322 §2.1.1,
 * §2.2.3). */
static void
header(struct inkan_buf *b, const char *name, const char *value)
{
	size_t col = strlen(name) + 2;
	const char *w = value;

	inkan_buf_printf(b, "%s:", name);
	while (*w != '\0') {
		size_t n = strcspn(w, " ");

		if (col + 1 + n > 78 && col > strlen(name) + 2) {
			inkan_buf_puts(b, "\n");
			col = 0;
		}
		inkan_buf_putc(b, ' ');
		inkan_buf_append(b, w, n);
		col += 1 + n;
		w += n;
		while (*w == ' ')
			w++;
	}
	inkan_buf_putc(b, '\n');
}

int
inkan_report_mail_compose(struct inkan_arena *a, const struct inkan_report_mail *m,
    int64_t now, char **out, size_t *len)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct inkan_buf b;
	struct tm tm;
	time_t t = (time_t)now;
	char date[64], boundary[80];
	bool ascii = true;
	int rc;

	*out = NULL;
	*len = 0;
	if (m == NULL || !one_line(m->from) || !one_line(m->to) || !one_line(m->subject) ||
	    !one_line(m->msgid_left) || !one_line(m->msgid_right) ||
	    !one_line(m->content_type) || !one_line(m->filename) || m->text == NULL ||
	    (m->report_type != NULL && !one_line(m->report_type)) ||
	    strpbrk(m->filename, "\"\\") != NULL || (m->data == NULL && m->len > 0))
		return INKAN_EINVAL;
	for (size_t i = 0; i < m->nextra; i++)
		if (!one_line(m->extra[i]) || strchr(m->extra[i], ':') == NULL)
			return INKAN_EINVAL;
	for (const char *c = m->text; *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80)
			ascii = false;
	gmtime_r(&t, &tm);
	snprintf(date, sizeof(date), "%s, %d %s %d %02d:%02d:%02d +0000", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	snprintf(boundary, sizeof(boundary), "inkan-report-%.40s", m->msgid_left);
	for (char *c = boundary; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '-'))
			*c = '-';

	inkan_buf_init(&b, 0);
	header(&b, "Date", date);
	inkan_buf_printf(&b, "From: <%s>\nTo: <%s>\n", m->from, m->to);
	header(&b, "Subject", m->subject);
	inkan_buf_printf(&b, "Message-ID: <%s@%s>\nMIME-Version: 1.0\n", m->msgid_left,
	    m->msgid_right);
	for (size_t i = 0; i < m->nextra; i++)
		inkan_buf_printf(&b, "%s\n", m->extra[i]);
	if (m->report_type != NULL)
		inkan_buf_printf(&b, "Content-Type: multipart/report; report-type=%s;\n"
		    " boundary=\"%s\"\n", m->report_type, boundary);
	else
		inkan_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\n", boundary);
	inkan_buf_printf(&b, "\nThis is a multi-part message in MIME format.\n\n--%s\n"
	    "Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n",
	    boundary, ascii ? "us-ascii" : "utf-8", ascii ? "7bit" : "8bit");
	inkan_buf_puts(&b, m->text);
	if (b.len > 0 && b.p[b.len - 1] != '\n')
		inkan_buf_putc(&b, '\n');
	inkan_buf_printf(&b, "\n--%s\nContent-Type: %s; name=\"%s\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment; filename=\"%s\"\n\n", boundary, m->content_type,
	    m->filename, m->filename);
	base64(&b, (const unsigned char *)m->data, m->len);
	inkan_buf_printf(&b, "\n--%s--\n", boundary);
	rc = b.err;
	if (rc == 0 && (*out = inkan_arena_memdup(a, b.p, b.len + 1)) == NULL)
		rc = INKAN_ENOMEM;
	if (rc == 0)
		*len = b.len;
	inkan_buf_free(&b);
	return rc;
}
