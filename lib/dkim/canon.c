/* canon.c - DKIM canonicalization (RFC 6376 §3.4).
 *
 * The body canonicalizer streams and never holds a line.  What it carries
 * from one chunk to the next is only what the bytes still to come may
 * change: the empty lines withheld so far (trailing empty lines are
 * dropped at the end, §3.4.3 and §3.4.4), a CR waiting for its LF and, in
 * relaxed mode, whether WSP is pending (runs become one SP, WSP before a
 * line end goes).
 *
 * Each chunk is cut in three: a head and a tail made only of bytes whose
 * meaning depends on what follows (CR, LF and, in relaxed mode, SP and
 * HTAB), which go through a byte-at-a-time state machine, and the middle,
 * from the first other byte to the last one.  The middle's canonical form
 * depends on nothing outside it: every line end in it is followed by
 * content, so no empty line in it is trailing, and every WSP run in it
 * ends inside it.  In simple mode the middle is hashed as it is, in one
 * piece, straight from the caller's buffer.  In relaxed mode it is copied
 * a vector at a time (SSE2, or AVX2 when the CPU has it; a word at a time
 * elsewhere) into a batch buffer, HTAB turned into SP on the way; the copy
 * stops only at a WSP followed by WSP or CR (a run to shorten, or WSP
 * before a line end to drop), which ordinary text seldom has.  The batch
 * goes to the digest when it is full; l= is applied there.  The result is
 * checked against a direct transcription of §3.4.3/§3.4.4 over random
 * bodies and cuts (tests/unit/test_dkim.c, tests/fuzz/fuzz_msg.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "../core/bytescan.h"
#include "dkim_int.h"

void
inkan__bodyc_init(struct inkan__bodyc *b, enum inkan_dkim_canon c, EVP_MD_CTX *md,
    uint64_t limit)
{
	memset(b, 0, offsetof(struct inkan__bodyc, out));
	b->canon = c;
	b->md = md;
	b->limit = limit;
}

/* Pass canonical bytes on: count them all, give the digest (or the
 * capture buffer of inkan_dkim_canon_body) those within l=. */
static int
put(struct inkan__bodyc *b, const char *p, size_t n)
{
	uint64_t room = b->limit - b->hashed;

	b->total += n;
	if (room == 0 || n == 0)
		return 0;
	if (n > room)
		n = (size_t)room;
	b->hashed += n;
	if (b->capture != NULL)
		return inkan_buf_append(b->capture, p, n);
	return EVP_DigestUpdate(b->md, p, n) == 1 ? 0 : INKAN_ENOMEM;
}

static int
flush(struct inkan__bodyc *b)
{
	int r = put(b, b->out, b->olen);

	b->olen = 0;
	return r;
}

/* Canonical bytes into the batch; a piece as large as the batch goes
 * straight on. */
static int
emit(struct inkan__bodyc *b, const char *p, size_t n)
{
	int r;

	if (n > INKAN__BODYC_BATCH - b->olen) {
		if ((r = flush(b)) != 0)
			return r;
		if (n >= INKAN__BODYC_BATCH)
			return put(b, p, n);
	}
	memcpy(b->out + b->olen, p, n);
	b->olen += n;
	return 0;
}

static int
emit_c(struct inkan__bodyc *b, char c)
{
	if (b->olen >= INKAN__BODYC_BATCH) {
		int r = flush(b);

		if (r != 0)
			return r;
	}
	b->out[b->olen++] = c;
	return 0;
}

/* Content is coming: give out the empty lines withheld so far and, in
 * relaxed mode, the SP standing for a pending WSP run. */
static int
resolve(struct inkan__bodyc *b)
{
	int r = 0;

	b->any = true;
	while (b->crlf_pending > 0 && r == 0) {
		if (b->olen + 2 > INKAN__BODYC_BATCH && (r = flush(b)) != 0)
			break;
		b->out[b->olen++] = '\r';
		b->out[b->olen++] = '\n';
		b->crlf_pending--;
	}
	if (r == 0 && b->wsp) {
		b->wsp = false;
		r = emit_c(b, ' ');
	}
	return r;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Bytes whose canonical form depends on the bytes after them. */
static bool
is_quiet(enum inkan_dkim_canon c, char ch)
{
	return ch == '\r' || ch == '\n' || (c == INKAN_DKIM_RELAXED && is_wsp(ch));
}

/* The state machine, one byte. */
static int
step(struct inkan__bodyc *b, char c)
{
	int r;

	if (b->cr) {
		b->cr = false;
		if (c == '\n') {
			/* a line end: withheld with the empty lines that
			 * may follow it; WSP before it goes (§3.4.4) */
			b->wsp = false;
			b->crlf_pending++;
			return 0;
		}
		/* a bare CR is content */
		if ((r = resolve(b)) != 0 || (r = emit_c(b, '\r')) != 0)
			return r;
	}
	if (c == '\r') {
		b->cr = true;
		return 0;
	}
	if (b->canon == INKAN_DKIM_RELAXED && is_wsp(c)) {
		b->wsp = true;
		return 0;
	}
	if ((r = resolve(b)) != 0)
		return r;
	return emit_c(b, c);
}

/* Relaxed, at p[i], a WSP run that needs work: shorten it to one SP, or
 * drop it before a line end.  The run ends before p + n (the middle ends
 * in content).  Returns the index after the run. */
static size_t
wsp_run(struct inkan__bodyc *b, const char *p, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && is_wsp(p[j]))
		j++;
	if (!(p[j] == '\r' && j + 1 < n && p[j + 1] == '\n'))
		b->out[b->olen++] = ' ';
	return j;
}

/* Relaxed, the copy of the middle: o[i] = p[i] (HTAB made SP) from i = 0
 * while no WSP needing work (a WSP followed by WSP or CR) comes, at most
 * room bytes, and not within the last vector width (plus one byte, the
 * look-ahead) of p + n.  Returns how far it got; o has room for 64 bytes
 * of vector stores past room. */
#ifdef INKAN_HAVE_SSE2
static size_t
copy_sse2(char *o, const char *p, size_t n, size_t room)
{
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	const __m128i cr = _mm_set1_epi8('\r'), fix = _mm_set1_epi8(0x17);
	size_t i = 0;

	for (; i + 17 <= n && i < room; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i nx = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
		__m128i t = _mm_cmpeq_epi8(v, tab);
		__m128i w = _mm_or_si128(t, _mm_cmpeq_epi8(v, sp));
		__m128i wn = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(nx, sp),
		    _mm_cmpeq_epi8(nx, tab)), _mm_cmpeq_epi8(nx, cr));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(w, wn));

		/* HTAB + 0x17 is SP */
		_mm_storeu_si128((__m128i *)(void *)(o + i), _mm_add_epi8(v, _mm_and_si128(t, fix)));
		if (m != 0)
			return i + (unsigned)__builtin_ctz(m);
	}
	return i;
}
#else
static size_t
copy_swar(char *o, const char *p, size_t n, size_t room)
{
	size_t i = 0;

	for (; i + 9 <= n && i < room; i += 8) {
		uint64_t v = inkan__swar_load(p + i), nx = inkan__swar_load(p + i + 1);
		uint64_t t = inkan__swar_eq(v, '\t');
		uint64_t w = t | inkan__swar_eq(v, ' ');
		uint64_t m = w & (inkan__swar_eq(nx, ' ') | inkan__swar_eq(nx, '\t') |
		    inkan__swar_eq(nx, '\r'));

		/* HTAB + 0x17 is SP */
		inkan__swar_store(o + i, v + (t >> 7) * 0x17);
		if (m != 0)
			return i + inkan__swar_first(m);
	}
	return i;
}
#endif

#ifdef INKAN_HAVE_AVX2
/* SP, HTAB or CR: the table entry for a byte's low nibble equals the
 * byte (vpshufb gives 0 for bytes with the top bit set, never equal). */
#define WSPCR_LUT _mm256_setr_epi8(' ', 2, 3, 4, 5, 6, 7, 8, 9, '\t', 11, 12, 13, '\r', 15, 16, \
    ' ', 2, 3, 4, 5, 6, 7, 8, 9, '\t', 11, 12, 13, '\r', 15, 16)

/* The same with 32 bytes, and a test that also stops at a CR followed by
 * WSP or CR (rare, and the caller copies such a CR as it is): two table
 * lookups instead of five comparisons.  Sixty-four bytes a round. */
__attribute__((target("avx2"))) static size_t
copy_avx2(char *o, const char *p, size_t n, size_t room)
{
	const __m256i lut = WSPCR_LUT, tab = _mm256_set1_epi8('\t');
	const __m256i fix = _mm256_set1_epi8(0x17);
	size_t i = 0, stop = n > 64 ? n - 64 : 0;

	if (stop > room)
		stop = room;
#define WSPCR(x) _mm256_cmpeq_epi8(_mm256_shuffle_epi8(lut, (x)), (x))
#define LOAD(off) _mm256_loadu_si256((const __m256i *)(const void *)(p + (off)))
#define STORE(off, v) _mm256_storeu_si256((__m256i *)(void *)(o + (off)), \
    _mm256_add_epi8((v), _mm256_and_si256(_mm256_cmpeq_epi8((v), tab), fix)))
	for (; i < stop; i += 64) {	/* i + 65 <= n, i < room */
		__m256i v0 = LOAD(i), v1 = LOAD(i + 32);
		__m256i f0 = _mm256_and_si256(WSPCR(v0), WSPCR(LOAD(i + 1)));
		__m256i f1 = _mm256_and_si256(WSPCR(v1), WSPCR(LOAD(i + 33)));

		STORE(i, v0);
		STORE(i + 32, v1);
		if (!_mm256_testz_si256(_mm256_or_si256(f0, f1), _mm256_or_si256(f0, f1))) {
			unsigned m = (unsigned)_mm256_movemask_epi8(f0);

			if (m != 0)
				return i + (unsigned)__builtin_ctz(m);
			return i + 32 + (unsigned)__builtin_ctz((unsigned)_mm256_movemask_epi8(f1));
		}
	}
	if (i + 33 <= n && i < room) {
		__m256i v0 = LOAD(i);
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_and_si256(WSPCR(v0),
		    WSPCR(LOAD(i + 1))));

		STORE(i, v0);
		if (m != 0)
			return i + (unsigned)__builtin_ctz(m);
		i += 32;
	}
#undef WSPCR
#undef LOAD
#undef STORE
	return i;
}
#endif

/* Relaxed, the middle of a chunk: p[0] and p[n-1] are content, the state
 * is clean. */
static int
relaxed_middle(struct inkan__bodyc *b, const char *p, size_t n)
{
#ifdef INKAN_HAVE_SSE2
	size_t (*copy)(char *, const char *, size_t, size_t) = copy_sse2;
#else
	size_t (*copy)(char *, const char *, size_t, size_t) = copy_swar;
#endif
	size_t i = 0;
	int r;

#ifdef INKAN_HAVE_AVX2
	if (inkan__cpu_avx2())
		copy = copy_avx2;
#endif
	while (i < n) {
		if (b->olen >= INKAN__BODYC_BATCH && (r = flush(b)) != 0)
			return r;
		size_t k = copy(b->out + b->olen, p + i, n - i, INKAN__BODYC_BATCH - b->olen);

		b->olen += k;
		i += k;
		if (i >= n || b->olen >= INKAN__BODYC_BATCH)
			continue;
		/* a WSP that needs work, or one of the last few bytes (or a
		 * CR before WSP, where copy_avx2 stops too) */
		if (is_wsp(p[i]) && (is_wsp(p[i + 1]) || p[i + 1] == '\r')) {
			i = wsp_run(b, p, i, n);
		} else {
			b->out[b->olen++] = p[i] == '\t' ? ' ' : p[i];
			i++;
		}
	}
	return 0;
}

int
inkan__bodyc_feed(struct inkan__bodyc *b, const char *p, size_t n)
{
	enum inkan_dkim_canon c = b->canon;
	size_t i = 0, e = n;
	int r = 0;

	/* the head */
	while (i < n && is_quiet(c, p[i]))
		if ((r = step(b, p[i++])) != 0)
			return r;
	if (i == n)
		return 0;
	/* the tail: after the last content byte */
	while (is_quiet(c, p[e - 1]))
		e--;
	/* the middle, from a clean state: p[i] is content, so a pending
	 * CR was a bare one */
	if (b->cr) {
		b->cr = false;
		if ((r = resolve(b)) != 0 || (r = emit_c(b, '\r')) != 0)
			return r;
	}
	if ((r = resolve(b)) != 0)
		return r;
	if (c == INKAN_DKIM_RELAXED)
		r = relaxed_middle(b, p + i, e - i);
	else
		r = emit(b, p + i, e - i);
	for (i = e; i < n && r == 0; i++)
		r = step(b, p[i]);
	return r;
}

int
inkan__bodyc_end(struct inkan__bodyc *b)
{
	int r = 0;

	if (b->cr) {
		b->cr = false;
		if ((r = resolve(b)) == 0)
			r = emit_c(b, '\r');
	}
	/* §3.4.3: simple turns an empty body into one CRLF; §3.4.4 (and
	 * erratum 1384 resolved the same way by every verifier): relaxed
	 * leaves it empty.  A body with content ends in exactly one CRLF,
	 * added if the last line had none. */
	b->crlf_pending = 0;
	b->wsp = false;
	if (r == 0 && (b->any || b->canon == INKAN_DKIM_SIMPLE))
		r = emit(b, "\r\n", 2);
	if (r == 0)
		r = flush(b);
	return r;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

int
inkan__canon_header(enum inkan_dkim_canon c, const char *raw, size_t len, bool nocrlf,
    struct inkan_buf *b)
{
	/* the field's own CRLF is not part of what we transform */
	if (len >= 2 && raw[len - 2] == '\r' && raw[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && raw[len - 1] == '\n')
		len -= 1;
	if (c == INKAN_DKIM_SIMPLE) {
		inkan_buf_append(b, raw, len);
	} else {
		/* §3.4.2: lowercase the name, unfold, WSP runs to one SP,
		 * no WSP at the end of the value or around the colon.  The
		 * result is never longer than the field: room is made with
		 * a copy of it, then the canonical form written over that. */
		const char *colon = memchr(raw, ':', len);
		size_t nend = colon ? (size_t)(colon - raw) : len;
		size_t ne = nend, at = b->len, k = 0;

		if (inkan_buf_append(b, raw, len) != 0)
			return b->err;
		char *o = b->p + at;

		while (ne > 0 && is_wsp(raw[ne - 1]))
			ne--;
		for (size_t i = 0; i < ne; i++)
			o[k++] = lower(raw[i]);
		if (colon != NULL) {
			bool wsp = false, started = false;

			o[k++] = ':';
			for (size_t i = nend + 1; i < len;) {
				char ch = raw[i];

				if (ch == '\r' || ch == '\n') {
					i++;
					continue;
				}
				if (is_wsp(ch)) {
					wsp = true;
					i++;
					continue;
				}
				if (wsp && started)
					o[k++] = ' ';
				wsp = false;
				started = true;
				/* the run of other characters goes out as it is
				 * (a control character other than CR and LF
				 * is a run of its own) */
				size_t j = i + 1 + inkan__span_text(raw + i + 1, len - i - 1,
				    ' ', ' ');

				memcpy(o + k, raw + i, j - i);
				k += j - i;
				i = j;
			}
		}
		b->len = at + k;
		b->p[b->len] = '\0';
	}
	if (!nocrlf)
		inkan_buf_append(b, "\r\n", 2);
	return b->err;
}

int
inkan_dkim_canon_header(enum inkan_dkim_canon c, const char *raw, size_t len,
    struct inkan_buf *b)
{
	return inkan__canon_header(c, raw, len, false, b);
}

int
inkan_dkim_canon_body(enum inkan_dkim_canon c, const char *body, size_t len,
    struct inkan_buf *b)
{
	struct inkan__bodyc *bc = calloc(1, sizeof(*bc));
	int r;

	if (bc == NULL)
		return INKAN_ENOMEM;
	inkan__bodyc_init(bc, c, NULL, UINT64_MAX);
	bc->capture = b;
	r = inkan__bodyc_feed(bc, body, len);
	if (r == 0)
		r = inkan__bodyc_end(bc);
	free(bc);
	return r != 0 ? r : b->err;
}

int
inkan__dkim_field_add(struct inkan_arena *a, struct inkan__dkim_field **f, size_t *n,
    size_t *cap, const char *raw, size_t len)
{
	char *c;
	size_t k = 0, nl;
	const char *colon;

	if (*n == INKAN_MSG_MAX_FIELDS)
		return INKAN_ELIMIT;
	if (len > INKAN_MSG_MAX_HEADER_BYTES)
		return INKAN_ETOOBIG;
	/* bare LF -> CRLF; at most doubles */
	if ((c = inkan_arena_alloc(a, 2 * len + 1)) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < len;) {
		const char *lf = memchr(raw + i, '\n', len - i);
		size_t j = lf ? (size_t)(lf - raw) : len;

		memcpy(c + k, raw + i, j - i);
		k += j - i;
		if (lf == NULL)
			break;
		if (j == 0 || raw[j - 1] != '\r')
			c[k++] = '\r';
		c[k++] = '\n';
		i = j + 1;
	}
	if (k >= 2 && c[k - 2] == '\r' && c[k - 1] == '\n')
		k -= 2;
	c[k] = '\0';
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 32;
		struct inkan__dkim_field *nf = realloc(*f, nc * sizeof(*nf));

		if (nf == NULL)
			return INKAN_ENOMEM;
		*f = nf;
		*cap = nc;
	}
	colon = memchr(c, ':', k);
	nl = colon ? (size_t)(colon - c) : 0;
	while (nl > 0 && (c[nl - 1] == ' ' || c[nl - 1] == '\t'))
		nl--;
	(*f)[(*n)++] = (struct inkan__dkim_field){ c, k, { c, nl } };
	return 0;
}
