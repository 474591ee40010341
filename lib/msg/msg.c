/* msg.c - incremental RFC 5322 parser: raw header fields, streamed body.
 *
 * The header is read line by line into the field being built; a line that
 * starts with WSP continues it (RFC 5322 §2.2.3), any other line ends it.
 * A finished field is copied into the parser's arena, so that the slices
 * handed out stay valid while later chunks arrive.  The body is passed on
 * as it comes, with LF turned into CRLF; the only state carried between
 * chunks is whether the last byte was a CR.
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/msg.h"
#include "../core/bytescan.h"

struct inkan_msg_parser {
	struct inkan_msg_opts o;
	struct inkan_arena *a;
	struct inkan_buf line;		/* the current line, being read */
	struct inkan_buf fld;		/* the field being built (whole lines) */
	struct inkan_msg_field *fields;
	size_t nfields, capfields;
	size_t hdr_bytes;
	uint64_t body_len;
	bool in_body;
	bool body_cr;			/* the last body byte given was CR */
	bool first_line;
	int err;
	/* inkan_msg_parse keeps copies of everything */
	struct inkan_buf *hdr_copy, *body_copy;
};

int
inkan_msg_parser_new(const struct inkan_msg_opts *o, struct inkan_msg_parser **out)
{
	struct inkan_msg_parser *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return INKAN_ENOMEM;
	if (o != NULL)
		p->o = *o;
	if (p->o.max_header_bytes == 0 || p->o.max_header_bytes > INKAN_MSG_MAX_HEADER_BYTES)
		p->o.max_header_bytes = INKAN_MSG_MAX_HEADER_BYTES;
	if (p->o.max_fields == 0 || p->o.max_fields > INKAN_MSG_MAX_FIELDS)
		p->o.max_fields = INKAN_MSG_MAX_FIELDS;
	p->a = inkan_arena_new();
	if (p->a == NULL) {
		free(p);
		return INKAN_ENOMEM;
	}
	inkan_buf_init(&p->line, p->o.max_header_bytes + 2);
	inkan_buf_init(&p->fld, p->o.max_header_bytes + 2);
	p->first_line = true;
	*out = p;
	return 0;
}

void
inkan_msg_parser_free(struct inkan_msg_parser *p)
{
	if (p == NULL)
		return;
	inkan_buf_free(&p->line);
	inkan_buf_free(&p->fld);
	free(p->fields);
	inkan_arena_free(p->a);
	free(p);
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 5322 §2.2.3 unfolding, then trimming of WSP at both ends. */
static struct inkan_slice
unfold(struct inkan_arena *a, const char *v, size_t n)
{
	char *o = inkan_arena_alloc(a, n + 1);
	size_t k = 0;

	if (o == NULL)
		return (struct inkan_slice){ NULL, 0 };
	/* the pieces between line breaks (CRLF, or a bare LF) */
	for (size_t i = 0; i < n;) {
		const char *lf = memchr(v + i, '\n', n - i);
		size_t j = lf ? (size_t)(lf - v) : n, e = j;

		if (lf != NULL && e > i && v[e - 1] == '\r')
			e--;
		memcpy(o + k, v + i, e - i);
		k += e - i;
		i = j + 1;
	}
	size_t s = 0;

	while (s < k && is_wsp(o[s]))
		s++;
	while (k > s && is_wsp(o[k - 1]))
		k--;
	o[k] = '\0';
	return (struct inkan_slice){ o + s, k - s };
}

/* Finish the field in p->fld: copy it, split name and value, call back. */
static int
finish_field(struct inkan_msg_parser *p)
{
	struct inkan_msg_field f;
	const char *raw, *colon;
	size_t len = p->fld.len, nlen;

	if (len == 0)
		return 0;
	if (p->fld.err)
		return INKAN_ETOOBIG;
	if (p->nfields == p->o.max_fields)
		return INKAN_ELIMIT;
	raw = inkan_arena_memdup(p->a, p->fld.p, len);
	if (raw == NULL)
		return INKAN_ENOMEM;
	p->fld.len = 0;
	colon = memchr(raw, ':', len);
	if (colon == NULL)
		return INKAN_EMALFORMED;
	nlen = (size_t)(colon - raw);
	while (nlen > 0 && is_wsp(raw[nlen - 1]))
		nlen--;
	if (nlen == 0)
		return INKAN_EMALFORMED;
	for (size_t i = 0; i < nlen; i++) {
		unsigned char ch = (unsigned char)raw[i];

		/* RFC 5322 §3.6.8: ftext is printable US-ASCII but ':' */
		if (ch < 33 || ch > 126)
			return INKAN_EMALFORMED;
	}
	f.raw = (struct inkan_slice){ raw, len };
	f.name = (struct inkan_slice){ raw, nlen };
	size_t vend = len;

	if (vend >= 2 && raw[vend - 2] == '\r' && raw[vend - 1] == '\n')
		vend -= 2;
	f.value = (struct inkan_slice){ colon + 1, vend - (size_t)(colon + 1 - raw) };
	f.unfolded = unfold(p->a, f.value.p, f.value.len);
	if (f.unfolded.p == NULL)
		return INKAN_ENOMEM;
	if (p->nfields == p->capfields) {
		size_t nc = p->capfields ? p->capfields * 2 : 32;
		struct inkan_msg_field *nf = realloc(p->fields, nc * sizeof(*nf));

		if (nf == NULL)
			return INKAN_ENOMEM;
		p->fields = nf;
		p->capfields = nc;
	}
	p->fields[p->nfields++] = f;
	if (p->o.on_field != NULL)
		return p->o.on_field(p->o.arg, &f);
	return 0;
}

static int
header_end(struct inkan_msg_parser *p)
{
	int r = finish_field(p);

	if (r != 0)
		return r;
	p->in_body = true;
	if (p->o.on_header_end != NULL)
		return p->o.on_header_end(p->o.arg);
	return 0;
}

static int
emit_body(struct inkan_msg_parser *p, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	p->body_len += n;
	if (p->body_copy != NULL && inkan_buf_append(p->body_copy, s, n) != 0)
		return p->body_copy->err;
	if (p->o.on_body != NULL)
		return p->o.on_body(p->o.arg, s, n);
	return 0;
}

/* Scanning for a bare LF (an LF not after a CR) in s[i..n), i >= 1: the
 * vector loops return an index up to which there is none (the bare LF
 * itself, or where fewer than a vector's bytes remain). */
#ifdef INKAN_HAVE_SSE2
static size_t
bare_lf_sse2(const char *s, size_t i, size_t n)
{
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i pv = _mm_loadu_si128((const __m128i *)(const void *)(s + i - 1));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(pv, cr),
		    _mm_cmpeq_epi8(v, lf)));

		if (m != 0)
			return i + (unsigned)__builtin_ctz(m);
	}
	return i;
}
#else
static size_t
bare_lf_swar(const char *s, size_t i, size_t n)
{
	for (; i + 8 <= n; i += 8) {
		uint64_t m = inkan__swar_eq(inkan__swar_load(s + i), '\n') &
		    ~inkan__swar_eq(inkan__swar_load(s + i - 1), '\r');

		if (m != 0)
			return i + inkan__swar_first(m);
	}
	return i;
}
#endif

#ifdef INKAN_HAVE_AVX2
/* 64 bytes a round: mail has no bare LF, so one test for two vectors. */
__attribute__((target("avx2"))) static size_t
bare_lf_avx2(const char *s, size_t i, size_t n)
{
	const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');

	for (; i + 64 <= n; i += 64) {
		__m256i a = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256(
		    (const __m256i *)(const void *)(s + i - 1)), cr), _mm256_cmpeq_epi8(
		    _mm256_loadu_si256((const __m256i *)(const void *)(s + i)), lf));
		__m256i b = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256(
		    (const __m256i *)(const void *)(s + i + 31)), cr), _mm256_cmpeq_epi8(
		    _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 32)), lf));

		if (!_mm256_testz_si256(_mm256_or_si256(a, b), _mm256_or_si256(a, b))) {
			unsigned ma = (unsigned)_mm256_movemask_epi8(a);

			if (ma != 0)
				return i + (unsigned)__builtin_ctz(ma);
			return i + 32 + (unsigned)__builtin_ctz((unsigned)_mm256_movemask_epi8(b));
		}
	}
	return i;
}
#endif

/* The index of the first bare LF in s[0..n), or n; prev_cr says whether
 * the byte before s[0] was a CR.  Mail on the wire has none, so this is
 * a scan of the whole body, a vector at a time. */
static size_t
find_bare_lf(const char *s, size_t n, bool prev_cr)
{
	size_t i = 1;

	if (n == 0)
		return 0;
	if (s[0] == '\n' && !prev_cr)
		return 0;
#ifdef INKAN_HAVE_AVX2
	if (inkan__cpu_avx2())
		i = bare_lf_avx2(s, i, n);
#endif
#ifdef INKAN_HAVE_SSE2
	i = bare_lf_sse2(s, i, n);
#else
	i = bare_lf_swar(s, i, n);
#endif
	for (; i < n; i++)
		if (s[i] == '\n' && s[i - 1] != '\r')
			return i;
	return n;
}

/* Body bytes: everything up to a bare LF goes out in one piece; a bare
 * LF goes out as CRLF. */
static int
feed_body(struct inkan_msg_parser *p, const char *s, size_t n)
{
	static const char crlf[2] = { '\r', '\n' };
	size_t start = 0;
	int r;

	while (start < n) {
		size_t j = start + find_bare_lf(s + start, n - start,
		    start > 0 ? s[start - 1] == '\r' : p->body_cr);

		if ((r = emit_body(p, s + start, j - start)) != 0)
			return r;
		if (j == n)
			break;
		if ((r = emit_body(p, crlf, 2)) != 0)
			return r;
		start = j + 1;
	}
	if (n > 0)
		p->body_cr = s[n - 1] == '\r';
	return 0;
}

/* One complete header line l[0..n), ending in CRLF (in p->line, or in the
 * caller's chunk). */
static int
header_line(struct inkan_msg_parser *p, const char *l, size_t n)
{
	int r;

	p->hdr_bytes += n;
	if (p->hdr_bytes > p->o.max_header_bytes)
		return INKAN_ETOOBIG;
	if (p->hdr_copy != NULL && inkan_buf_append(p->hdr_copy, l, n) != 0)
		return p->hdr_copy->err;
	if (p->first_line) {
		p->first_line = false;
		/* An mbox "From " envelope line is not a header field;
		 * "From : x" (WSP before the colon) is one. */
		size_t k = 5;

		while (k < n && is_wsp(l[k]))
			k++;
		if (n >= 5 && memcmp(l, "From ", 5) == 0 && k < n && l[k] != ':')
			return 0;
	}
	if (n == 2)
		return header_end(p);
	if (is_wsp(l[0])) {
		if (p->fld.len == 0)
			return INKAN_EMALFORMED;
	} else {
		r = finish_field(p);
		if (r != 0)
			return r;
	}
	if (inkan_buf_append(&p->fld, l, n) != 0)
		return INKAN_ETOOBIG;
	return 0;
}

int
inkan_msg_feed(struct inkan_msg_parser *p, const char *data, size_t n)
{
	size_t i = 0;

	if (p->err != 0)
		return p->err;
	while (i < n && !p->in_body) {
		const char *lf = memchr(data + i, '\n', n - i);
		size_t j = lf ? (size_t)(lf - data) : n;
		int r;

		if (lf != NULL && p->line.len == 0 && j > i && data[j - 1] == '\r') {
			/* a whole CRLF line in this chunk: used in place */
			r = header_line(p, data + i, j + 1 - i);
			if (r != 0)
				return p->err = r;
			i = j + 1;
			continue;
		}
		if (inkan_buf_append(&p->line, data + i, j - i) != 0)
			return p->err = INKAN_ETOOBIG;
		if (lf == NULL)
			break;
		if (p->line.len == 0 || p->line.p[p->line.len - 1] != '\r')
			inkan_buf_putc(&p->line, '\r');
		inkan_buf_putc(&p->line, '\n');
		if (p->line.err)
			return p->err = INKAN_ETOOBIG;
		i = j + 1;
		r = header_line(p, p->line.p, p->line.len);
		p->line.len = 0;
		if (r != 0)
			return p->err = r;
	}
	if (p->hdr_bytes + p->line.len > p->o.max_header_bytes)
		return p->err = INKAN_ETOOBIG;
	if (i < n && p->in_body) {
		int r = feed_body(p, data + i, n - i);

		if (r != 0)
			return p->err = r;
	}
	return 0;
}

int
inkan_msg_end(struct inkan_msg_parser *p)
{
	int r;

	if (p->err != 0)
		return p->err;
	if (!p->in_body) {
		if (p->line.len > 0) {
			/* a last header line without line end */
			if (p->line.p[p->line.len - 1] == '\r')
				p->line.len--;
			inkan_buf_append(&p->line, "\r\n", 2);
			if (p->line.err)
				return p->err = INKAN_ETOOBIG;
			r = header_line(p, p->line.p, p->line.len);
			p->line.len = 0;
			if (r != 0)
				return p->err = r;
		}
		if (!p->in_body) {
			r = header_end(p);
			if (r != 0)
				return p->err = r;
		}
	}
	return 0;
}

const struct inkan_msg_field *
inkan_msg_fields(const struct inkan_msg_parser *p, size_t *n)
{
	*n = p->nfields;
	return p->fields;
}

bool
inkan_msg_in_body(const struct inkan_msg_parser *p)
{
	return p->in_body;
}

uint64_t
inkan_msg_body_len(const struct inkan_msg_parser *p)
{
	return p->body_len;
}

int
inkan_msg_feed_all(const struct inkan_msg_opts *o, const char *buf, size_t len)
{
	struct inkan_msg_parser *p;
	int r = inkan_msg_parser_new(o, &p);

	if (r != 0)
		return r;
	r = inkan_msg_feed(p, buf, len);
	if (r == 0)
		r = inkan_msg_end(p);
	inkan_msg_parser_free(p);
	return r;
}

int
inkan_msg_parse(struct inkan_arena *a, const char *buf, size_t len,
    const struct inkan_msg_opts *o, struct inkan_msg *out)
{
	struct inkan_msg_opts oo = { 0 };
	struct inkan_msg_parser *p;
	struct inkan_buf hdr, body;
	int r;

	memset(out, 0, sizeof(*out));
	if (o != NULL) {
		oo.max_header_bytes = o->max_header_bytes;
		oo.max_fields = o->max_fields;
	}
	r = inkan_msg_parser_new(&oo, &p);
	if (r != 0)
		return r;
	inkan_buf_init(&hdr, 0);
	inkan_buf_init(&body, 0);
	p->hdr_copy = &hdr;
	p->body_copy = &body;
	r = inkan_msg_feed(p, buf, len);
	if (r == 0)
		r = inkan_msg_end(p);
	if (r == 0 && (hdr.err || body.err))
		r = INKAN_ENOMEM;
	if (r == 0) {
		char *h = inkan_arena_memdup(a, hdr.len ? hdr.p : "", hdr.len);
		char *b = inkan_arena_memdup(a, body.len ? body.p : "", body.len);
		struct inkan_msg_field *f = NULL;

		if (p->nfields > 0)
			f = inkan_arena_alloc(a, p->nfields * sizeof(*f));
		if (h == NULL || b == NULL || (p->nfields > 0 && f == NULL)) {
			r = INKAN_ENOMEM;
		} else {
			/* re-point the fields into a */
			for (size_t i = 0; i < p->nfields; i++) {
				const struct inkan_msg_field *s = &p->fields[i];
				char *raw = inkan_arena_memdup(a, s->raw.p, s->raw.len);
				char *u = inkan_arena_strndup(a, s->unfolded.p, s->unfolded.len);

				if (raw == NULL || u == NULL) {
					r = INKAN_ENOMEM;
					break;
				}
				f[i].raw = (struct inkan_slice){ raw, s->raw.len };
				f[i].name = (struct inkan_slice){ raw, s->name.len };
				f[i].value = (struct inkan_slice){ raw + (s->value.p - s->raw.p),
				    s->value.len };
				f[i].unfolded = (struct inkan_slice){ u, s->unfolded.len };
			}
			out->fields = f;
			out->nfields = p->nfields;
			out->header = (struct inkan_slice){ h, hdr.len };
			out->body = (struct inkan_slice){ b, body.len };
		}
	}
	inkan_buf_free(&hdr);
	inkan_buf_free(&body);
	inkan_msg_parser_free(p);
	return r;
}

static const struct inkan_msg_field *
find(const struct inkan_msg_field *f, size_t n, const char *name, bool last)
{
	const struct inkan_msg_field *hit = NULL;

	for (size_t i = 0; i < n; i++) {
		if (inkan_slice_caseeq_cstr(f[i].name, name)) {
			if (!last)
				return &f[i];
			hit = &f[i];
		}
	}
	return hit;
}

const struct inkan_msg_field *
inkan_msg_find(const struct inkan_msg_field *f, size_t n, const char *name)
{
	return find(f, n, name, false);
}

const struct inkan_msg_field *
inkan_msg_find_last(const struct inkan_msg_field *f, size_t n, const char *name)
{
	return find(f, n, name, true);
}
