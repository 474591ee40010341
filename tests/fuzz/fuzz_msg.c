/* fuzz_msg.c - the RFC 5322 parser, whole and in chunks, and the DKIM
 * canonicalizers over the same bytes.  The input is cut at its first
 * byte's value to exercise chunk boundaries; both ways must agree.  The
 * streaming body canonicalizer is also fed the body in three pieces (cut
 * at the second and third bytes' values), with an l= limit from the
 * fourth: what it hashes must be the whole-body canonical form, cut at
 * l=. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/dkim.h"
#include "inkan/msg.h"
#include "../../lib/dkim/dkim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static int
on_body(void *arg, const char *p, size_t n)
{
	return inkan_buf_append(arg, p, n);
}

/* body in three pieces against the whole canonical form in want */
static void
chunked(enum inkan_dkim_canon c, const char *body, size_t n, const uint8_t *data, size_t len,
    const struct inkan_buf *want)
{
	struct inkan__bodyc *bc = calloc(1, sizeof(*bc));
	struct inkan_buf got;
	size_t c1 = len > 1 ? data[1] % (n + 1) : 0, c2 = len > 2 ? data[2] % (n + 1) : n;
	uint64_t limit = len > 3 && data[3] < 200 ? data[3] : UINT64_MAX;

	if (bc == NULL)
		return;
	if (c1 > c2) {
		size_t t = c1;

		c1 = c2;
		c2 = t;
	}
	inkan_buf_init(&got, 0);
	inkan__bodyc_init(bc, c, NULL, limit);
	bc->capture = &got;
	if (inkan__bodyc_feed(bc, body, c1) == 0 && inkan__bodyc_feed(bc, body + c1, c2 - c1) == 0 &&
	    inkan__bodyc_feed(bc, body + c2, n - c2) == 0 && inkan__bodyc_end(bc) == 0 &&
	    got.err == 0 && want->err == 0) {
		size_t wl = limit < want->len ? (size_t)limit : want->len;

		if (bc->total != want->len || got.len != wl ||
		    (wl > 0 && memcmp(got.p, want->p, wl) != 0))
			abort();
	}
	inkan_buf_free(&got);
	free(bc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_msg m;
	const char *s = (const char *)data;
	int rc1, rc2;

	if (a == NULL)
		return 0;
	rc1 = inkan_msg_parse(a, s, len, NULL, &m);

	struct inkan_buf body;
	struct inkan_msg_opts o = { .on_body = on_body };
	struct inkan_msg_parser *p;
	size_t cut = len ? data[0] % (len + 1) : 0;

	inkan_buf_init(&body, 0);
	o.arg = &body;
	if (inkan_msg_parser_new(&o, &p) == 0) {
		rc2 = inkan_msg_feed(p, s, cut);
		if (rc2 == 0)
			rc2 = inkan_msg_feed(p, s + cut, len - cut);
		if (rc2 == 0)
			rc2 = inkan_msg_end(p);
		if (rc1 != rc2)
			abort();
		if (rc1 == 0) {
			size_t nf;

			(void)inkan_msg_fields(p, &nf);
			if (nf != m.nfields || body.len != m.body.len ||
			    (body.len && memcmp(body.p, m.body.p, body.len) != 0))
				abort();
		}
		inkan_msg_parser_free(p);
	}
	inkan_buf_free(&body);
	if (rc1 == 0) {
		struct inkan_buf b;

		inkan_buf_init(&b, 0);
		for (size_t i = 0; i < m.nfields; i++) {
			(void)inkan_dkim_canon_header(INKAN_DKIM_RELAXED, m.fields[i].raw.p,
			    m.fields[i].raw.len, &b);
			(void)inkan_dkim_canon_header(INKAN_DKIM_SIMPLE, m.fields[i].raw.p,
			    m.fields[i].raw.len, &b);
		}
		inkan_buf_reset(&b);
		(void)inkan_dkim_canon_body(INKAN_DKIM_RELAXED, m.body.p, m.body.len, &b);
		/* relaxed output never ends in WSP before CRLF, and ends in CRLF */
		if (b.len > 0 && (b.len < 2 || b.p[b.len - 1] != '\n' || b.p[b.len - 2] != '\r'))
			abort();
		chunked(INKAN_DKIM_RELAXED, m.body.p, m.body.len, data, len, &b);
		inkan_buf_reset(&b);
		(void)inkan_dkim_canon_body(INKAN_DKIM_SIMPLE, m.body.p, m.body.len, &b);
		if (b.len < 2 || b.p[b.len - 1] != '\n' || b.p[b.len - 2] != '\r')
			abort();
		chunked(INKAN_DKIM_SIMPLE, m.body.p, m.body.len, data, len, &b);
		inkan_buf_free(&b);
	}
	inkan_arena_free(a);
	return 0;
}
