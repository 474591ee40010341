/* unpack.c - peel compression layers by content and dispatch to the XML
 * or JSON parser.
 *
 * Report senders name files inconsistently (.xml.gz holding a zip,
 * application/octet-stream for everything), so the magic bytes decide:
 * 1f 8b is gzip (RFC 1952), "PK\3\4" a zip local file header.  Every
 * layer is capped in absolute size (INKAN_REPORT_MAX_BYTES) and in its
 * expansion ratio (INKAN_REPORT_MAX_RATIO) so that a few KB cannot become
 * gigabytes in memory.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report.h"
#include "report_int.h"

void
inkan__report_why(struct inkan_report_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL || d->why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

static bool
is_gzip(const char *p, size_t len)
{
	return len >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b;
}

static bool
is_zip(const char *p, size_t len)
{
	return len >= 4 && memcmp(p, "PK\3\4", 4) == 0;
}

/* Past 1 MiB of output, more than INKAN_REPORT_MAX_RATIO times the input
 * is a bomb; below it small inputs may expand freely. */
static bool
too_big(size_t in, size_t out)
{
	if (out > INKAN_REPORT_MAX_BYTES)
		return true;
	return out > (1u << 20) && out / (in ? in : 1) > INKAN_REPORT_MAX_RATIO;
}

static int
gunzip(struct inkan_buf *out, const char *p, size_t len, struct inkan_report_diag *d)
{
	z_stream z;
	char chunk[65536];
	int zr = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return INKAN_ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	for (;;) {
		z.next_out = (Bytef *)chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			break;
		inkan_buf_append(out, chunk, sizeof(chunk) - z.avail_out);
		if (out->err != 0 || too_big(len, out->len)) {
			inflateEnd(&z);
			inkan__report_why(d, "decompressed gzip data passes the size or ratio limit");
			return INKAN_ETOOBIG;
		}
		if (zr == Z_STREAM_END) {
			/* RFC 1952 §2.2: a file may hold several members.  Zero
			 * padding or a line end after the last member (Mimecast
			 * appends CRLF) is tolerated. */
			size_t i = 0;
			while (i < z.avail_in && (z.next_in[i] == 0 || z.next_in[i] == '\r' ||
			    z.next_in[i] == '\n'))
				i++;
			if (i == z.avail_in)
				break;
			if (inflateReset(&z) != Z_OK)
				break;
			continue;
		}
		if (zr == Z_BUF_ERROR && z.avail_in == 0 && z.avail_out != 0) {
			zr = Z_DATA_ERROR;	/* truncated stream */
			break;
		}
	}
	inflateEnd(&z);
	if (zr != Z_STREAM_END) {
		inkan__report_why(d, "corrupt or truncated gzip data");
		return INKAN_EMALFORMED;
	}
	return 0;
}

/* The first regular file in a zip archive (an aggregate report zip holds
 * exactly one; some give it an empty name). */
static int
unzip(struct inkan_buf *out, const char *p, size_t len, struct inkan_report_diag *d)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	int rc = INKAN_EMALFORMED, r;
	char chunk[65536];

	if (ar == NULL)
		return INKAN_ENOMEM;
	archive_read_support_format_zip(ar);
	if (archive_read_open_memory(ar, p, len) != ARCHIVE_OK) {
		inkan__report_why(d, "corrupt zip archive: %s", archive_error_string(ar));
		goto done;
	}
	while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		ssize_t n;

		if (archive_entry_filetype(e) != AE_IFREG && archive_entry_filetype(e) != 0)
			continue;
		while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
			inkan_buf_append(out, chunk, (size_t)n);
			if (out->err != 0 || too_big(len, out->len)) {
				inkan__report_why(d, "decompressed zip entry passes the size or ratio limit");
				rc = INKAN_ETOOBIG;
				goto done;
			}
		}
		if (n < 0) {
			inkan__report_why(d, "corrupt zip entry: %s", archive_error_string(ar));
			goto done;
		}
		rc = 0;
		goto done;
	}
	inkan__report_why(d, r == ARCHIVE_EOF ? "zip archive holds no file" :
	    "corrupt zip archive");
done:
	archive_read_free(ar);
	return rc;
}

int
inkan_report_decompress(struct inkan_arena *a, const char *p, size_t len,
    const char **out, size_t *outlen, struct inkan_report_diag *d)
{
	size_t orig = len;

	for (int layer = 0; is_gzip(p, len) || is_zip(p, len); layer++) {
		struct inkan_buf b;
		int rc;

		if (layer >= INKAN_REPORT_MAX_LAYERS) {
			inkan__report_why(d, "more than %d compression layers",
			    INKAN_REPORT_MAX_LAYERS);
			return INKAN_ELIMIT;
		}
		inkan_buf_init(&b, INKAN_REPORT_MAX_BYTES);
		rc = is_gzip(p, len) ? gunzip(&b, p, len, d) : unzip(&b, p, len, d);
		if (rc == 0 && too_big(orig, b.len)) {
			inkan__report_why(d, "decompressed data passes the ratio limit");
			rc = INKAN_ETOOBIG;
		}
		if (rc == 0) {
			char *q = inkan_arena_memdup(a, b.len ? b.p : "", b.len + 1);
			if (q == NULL)
				rc = INKAN_ENOMEM;
			p = q;
			len = b.len;
		}
		inkan_buf_free(&b);
		if (rc != 0)
			return rc;
	}
	if (len > INKAN_REPORT_MAX_BYTES) {
		inkan__report_why(d, "report larger than %u bytes", INKAN_REPORT_MAX_BYTES);
		return INKAN_ETOOBIG;
	}
	*out = p;
	*outlen = len;
	return 0;
}

/* First byte that is not a UTF-8 BOM or white space. */
static size_t
skip_lead(const char *p, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

int
inkan_report_parse(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_report *out, struct inkan_report_diag *d)
{
	const char *q;
	size_t n, i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		inkan__report_why(d, "empty input");
		return INKAN_EMALFORMED;
	}
	if ((rc = inkan_report_decompress(a, p, len, &q, &n, d)) != 0)
		return rc;
	i = skip_lead(q, n);
	if (i == n) {
		inkan__report_why(d, "empty report");
		return INKAN_EMALFORMED;
	}
	if (q[i] == '<') {
		out->kind = INKAN_REPORT_DMARC;
		rc = inkan_dmarc_parse_xml(a, q, n, &out->dmarc, d);
	} else if (q[i] == '{') {
		out->kind = INKAN_REPORT_TLSRPT;
		rc = inkan_tlsrpt_parse_json(a, q, n, &out->tlsrpt, d);
	} else {
		inkan__report_why(d, "neither XML (DMARC) nor JSON (TLS-RPT) nor gzip/zip data");
		return INKAN_EMALFORMED;
	}
	if (rc != 0)
		out->kind = INKAN_REPORT_NONE;
	return rc;
}

enum inkan_report_input
inkan_report_sniff(const char *p, size_t len)
{
	size_t i;

	if (is_gzip(p, len) || is_zip(p, len))
		return INKAN_INPUT_REPORT;
	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		return INKAN_INPUT_MBOX;
	i = skip_lead(p, len);
	if (i < len && (p[i] == '<' || p[i] == '{'))
		return INKAN_INPUT_REPORT;
	/* RFC 5322 §2.2: a header field name is printable ASCII up to ':'. */
	for (size_t j = 0; j < len && j < 998; j++) {
		unsigned char c = (unsigned char)p[j];
		if (c == ':' && j > 0)
			return INKAN_INPUT_MESSAGE;
		if (c <= 32 || c >= 127)
			break;
	}
	return INKAN_INPUT_UNKNOWN;
}

static int
digits(const char **s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

int
inkan_report_parse_datetime(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, da, h, mi, se, oh = 0, om = 0, sign = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
	    digits(&s, 2, &da))
		return INKAN_EMALFORMED;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return INKAN_EMALFORMED;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
	    digits(&s, 2, &se))
		return INKAN_EMALFORMED;
	if (*s == '.') {		/* RFC 3339 time-secfrac */
		s++;
		if (*s < '0' || *s > '9')
			return INKAN_EMALFORMED;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return INKAN_EMALFORMED;
	} else {
		return INKAN_EMALFORMED;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 ||
	    se > 60 || oh > 23 || om > 59)
		return INKAN_EMALFORMED;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	*out = (int64_t)t - (int64_t)sign * (oh * 3600 + om * 60);
	return 0;
}
