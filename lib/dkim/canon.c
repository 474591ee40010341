/* canon.c - DKIM canonicalization (RFC 6376 §3.4).
 *
 * The body canonicalizer streams: it never holds a line, only counts the
 * empty lines it has withheld (trailing empty lines are dropped at the
 * end, §3.4.3 and §3.4.4) and, in relaxed mode, whether WSP is pending
 * (runs become one SP, WSP before a line end goes).  Output is batched
 * into a small buffer and given to the digest, at most l= bytes of it.
 * In simple mode, runs of content without CR go to the digest directly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
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

/* Pass bytes to the digest, or to the capture buffer of
 * inkan_dkim_canon_body. */
static int
sink(struct inkan__bodyc *b, const char *p, size_t n)
{
	if (b->capture != NULL)
		return inkan_buf_append(b->capture, p, n);
	return EVP_DigestUpdate(b->md, p, n) == 1 ? 0 : INKAN_ENOMEM;
}

static int
flush(struct inkan__bodyc *b)
{
	if (b->olen > 0 && sink(b, b->out, b->olen) != 0)
		return b->capture ? b->capture->err : INKAN_ENOMEM;
	b->olen = 0;
	return 0;
}

/* Emit canonical bytes: count them, hash up to the limit. */
static int
emit(struct inkan__bodyc *b, const char *p, size_t n)
{
	uint64_t room = b->limit - b->hashed;

	b->total += n;
	if (room == 0)
		return 0;
	if (n > room)
		n = (size_t)room;
	b->hashed += n;
	if (n > sizeof(b->out) - b->olen) {
		int r = flush(b);

		if (r != 0)
			return r;
		if (n > sizeof(b->out))
			return sink(b, p, n);
	}
	memcpy(b->out + b->olen, p, n);
	b->olen += n;
	return 0;
}

static int
emit_c(struct inkan__bodyc *b, char c)
{
	if (b->olen < sizeof(b->out) && b->hashed < b->limit) {
		b->total++;
		b->hashed++;
		b->out[b->olen++] = c;
		return 0;
	}
	return emit(b, &c, 1);
}

/* Content is coming: give out the empty lines withheld so far. */
static int
flush_lines(struct inkan__bodyc *b)
{
	int r = 0;

	for (; b->crlf_pending > 0 && r == 0; b->crlf_pending--)
		r = emit(b, "\r\n", 2);
	return r;
}

static int
content(struct inkan__bodyc *b, const char *p, size_t n)
{
	int r = 0;

	if (b->crlf_pending > 0)
		r = flush_lines(b);
	if (r == 0 && b->canon == INKAN_DKIM_RELAXED && b->wsp) {
		b->wsp = false;
		r = emit_c(b, ' ');
	}
	if (r == 0)
		r = emit(b, p, n);
	b->any = true;
	b->line_content = true;
	return r;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Bytes the relaxed body scan stops at: SP, HTAB, CR. */
static const bool special[256] = { [' '] = true, ['\t'] = true, ['\r'] = true };

int
inkan__bodyc_feed(struct inkan__bodyc *b, const char *p, size_t n)
{
	size_t i = 0;
	int r = 0;

	while (i < n && r == 0) {
		char c = p[i];

		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				/* line end: the line's CRLF is withheld with
				 * the empty lines that may follow it */
				b->wsp = false;
				b->line_content = false;
				b->crlf_pending++;
				i++;
				continue;
			}
			r = content(b, "\r", 1);	/* a bare CR is content */
			continue;
		}
		if (c == '\r') {
			b->cr = true;
			i++;
			continue;
		}
		if (b->canon == INKAN_DKIM_RELAXED) {
			if (is_wsp(c)) {
				b->wsp = true;
				i++;
				continue;
			}
			/* A run of content goes out as it is, single spaces
			 * between words included: only HTAB, a second WSP,
			 * WSP before CR and CR need work. */
			size_t j = i + 1;

			for (;;) {
				while (j < n && !special[(unsigned char)p[j]])
					j++;
				if (j >= n || p[j] != ' ' || j + 1 >= n ||
				    special[(unsigned char)p[j + 1]])
					break;
				j += 2;	/* one SP between two words */
			}
			r = content(b, p + i, j - i);
			i = j;
			continue;
		}
		/* simple: the run up to the next CR is content */
		const char *cr = memchr(p + i, '\r', n - i);
		size_t j = cr ? (size_t)(cr - p) : n;

		r = content(b, p + i, j - i);
		i = j;
	}
	return r;
}

int
inkan__bodyc_end(struct inkan__bodyc *b)
{
	int r = 0;

	if (b->cr) {
		b->cr = false;
		r = content(b, "\r", 1);
	}
	/* §3.4.3: simple turns an empty body into one CRLF; §3.4.4 (and
	 * erratum 1384 resolved the same way by every verifier): relaxed
	 * leaves it empty.  A body with content ends in exactly one CRLF,
	 * added if the last line had none. */
	if (r == 0 && (b->any || b->canon == INKAN_DKIM_SIMPLE))
		r = emit(b, "\r\n", 2);
	b->crlf_pending = 0;
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
		 * no WSP at the end of the value or around the colon. */
		const char *colon = memchr(raw, ':', len);
		size_t nend = colon ? (size_t)(colon - raw) : len;
		size_t ne = nend;

		while (ne > 0 && is_wsp(raw[ne - 1]))
			ne--;
		size_t at = b->len;

		if (inkan_buf_append(b, raw, ne) == 0)
			for (size_t i = at; i < b->len; i++)
				b->p[i] = lower(b->p[i]);
		if (colon != NULL) {
			bool wsp = false, started = false;

			inkan_buf_putc(b, ':');
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
					inkan_buf_putc(b, ' ');
				wsp = false;
				started = true;
				/* the run of other characters goes out as it is */
				size_t j = i + 1;

				while (j < len && !special[(unsigned char)raw[j]] &&
				    raw[j] != '\n')
					j++;
				inkan_buf_append(b, raw + i, j - i);
				i = j;
			}
		}
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
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			c[k++] = '\r';
		c[k++] = raw[i];
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
