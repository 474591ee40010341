/* test_dkim.c - DKIM: canonicalization (RFC 6376 §3.4, with the §3.4.6
 * example), DKIM-Signature and key record parsing, verify verdicts and
 * their reasons, signing rules, limits and the key cache.
 *
 * Expected canonical forms are written from the RFC's rules and example,
 * not from our output.  Keys are generated per run, and records served
 * from the in-memory zone backend.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/dkim.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
/* the streaming body canonicalizer, tested against a reference below */
#include "../../lib/dkim/dkim_int.h"

/* ---- canonicalization ---- */

struct canon_case {
	const char *name;
	bool header;		/* header field or body */
	enum inkan_dkim_canon c;
	const char *in, *want;
};

static const struct canon_case canon_cases[] = {
	/* RFC 6376 §3.4.6 example */
	{ "3.4.6 relaxed header A", true, INKAN_DKIM_RELAXED, "A: X\r\n", "a:X\r\n" },
	{ "3.4.6 relaxed header B", true, INKAN_DKIM_RELAXED, "B : Y\t\r\n\tZ  \r\n",
	    "b:Y Z\r\n" },
	{ "3.4.6 relaxed body", false, INKAN_DKIM_RELAXED, " C \r\nD \t E\r\n\r\n\r\n",
	    " C\r\nD E\r\n" },
	{ "3.4.6 simple header A", true, INKAN_DKIM_SIMPLE, "A: X\r\n", "A: X\r\n" },
	{ "3.4.6 simple header B", true, INKAN_DKIM_SIMPLE, "B : Y\t\r\n\tZ  \r\n",
	    "B : Y\t\r\n\tZ  \r\n" },
	{ "3.4.6 simple body", false, INKAN_DKIM_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n",
	    " C \r\nD \t E\r\n" },
	/* §3.4.3 / §3.4.4 edges */
	{ "simple empty body is CRLF", false, INKAN_DKIM_SIMPLE, "", "\r\n" },
	{ "relaxed empty body is empty", false, INKAN_DKIM_RELAXED, "", "" },
	{ "simple only empty lines", false, INKAN_DKIM_SIMPLE, "\r\n\r\n\r\n", "\r\n" },
	{ "relaxed only blank lines", false, INKAN_DKIM_RELAXED, " \r\n\t\r\n", "" },
	{ "simple no final CRLF gets one", false, INKAN_DKIM_SIMPLE, "abc", "abc\r\n" },
	{ "relaxed no final CRLF gets one", false, INKAN_DKIM_RELAXED, "a  b ", "a b\r\n" },
	{ "simple keeps inner empty lines", false, INKAN_DKIM_SIMPLE, "a\r\n\r\nb\r\n\r\n",
	    "a\r\n\r\nb\r\n" },
	{ "relaxed keeps leading WSP as one SP", false, INKAN_DKIM_RELAXED, "\t\tx\r\n",
	    " x\r\n" },
	{ "simple bare CR is content", false, INKAN_DKIM_SIMPLE, "a\rb\r\n\r\n", "a\rb\r\n" },
	{ "relaxed header name lowercased, value kept", true, INKAN_DKIM_RELAXED,
	    "SubJect:  Hello  World \r\n", "subject:Hello World\r\n" },
	{ "relaxed header empty value", true, INKAN_DKIM_RELAXED, "X-E: \r\n", "x-e:\r\n" },
	{ "header without final CRLF gets one", true, INKAN_DKIM_SIMPLE, "A: b", "A: b\r\n" },
};

static void
test_canon(void **state)
{
	const struct canon_case *c = *state;
	struct inkan_buf b;
	int rc;

	inkan_buf_init(&b, 0);
	if (c->header)
		rc = inkan_dkim_canon_header(c->c, c->in, strlen(c->in), &b);
	else
		rc = inkan_dkim_canon_body(c->c, c->in, strlen(c->in), &b);
	assert_int_equal(rc, 0);
	if (b.len != strlen(c->want) || memcmp(b.p ? b.p : "", c->want, b.len) != 0)
		fail_msg("%s:\nwanted [%s]\ngot    [%s]", c->name, c->want, inkan_buf_cstr(&b));
	inkan_buf_free(&b);
}

/* ---- the streaming body canonicalizer against a reference ----
 *
 * canon.c carries state between chunks and takes a fast path through the
 * middle of each chunk; these tests feed bodies cut at every kind of
 * boundary and compare with canon_ref(), a direct transcription of
 * RFC 6376 §3.4.3 (simple) and §3.4.4 (relaxed) over the whole body. */

/* o has room: a canonical body is at most the body and one CRLF */
static void
ref_append(char **o, size_t *n, const char *p, size_t len)
{
	memcpy(*o + *n, p, len);
	*n += len;
}

/* The canonical body, malloc'd, length in *olen. */
static char *
canon_ref(enum inkan_dkim_canon c, const char *b, size_t n, size_t *olen)
{
	char *o = malloc(n + 3);
	size_t on = 0;

	assert_non_null(o);

	if (c == INKAN_DKIM_SIMPLE) {
		/* §3.4.3: drop the CRLFs at the end, then end with one */
		while (n >= 2 && b[n - 2] == '\r' && b[n - 1] == '\n')
			n -= 2;
		ref_append(&o, &on, b, n);
		ref_append(&o, &on, "\r\n", 2);
		*olen = on;
		return o;
	}
	/* §3.4.4: lines split at CRLF; in each, WSP runs become one SP and
	 * WSP at the end goes; empty lines at the end go; each line kept
	 * ends in CRLF */
	size_t keep = 0;	/* output length up to the last non-empty line */
	size_t i = 0;

	for (;;) {
		size_t e = i;

		while (e < n && !(b[e] == '\r' && e + 1 < n && b[e + 1] == '\n'))
			e++;
		size_t start = on;
		bool wsp = false;

		for (size_t k = i; k < e; k++) {
			if (b[k] == ' ' || b[k] == '\t') {
				wsp = true;
				continue;
			}
			if (wsp)
				ref_append(&o, &on, " ", 1);
			wsp = false;
			ref_append(&o, &on, b + k, 1);
		}
		if (e == n && on == start)
			break;		/* nothing after the last CRLF */
		ref_append(&o, &on, "\r\n", 2);
		if (on - start > 2)
			keep = on;
		if (e == n)
			break;
		i = e + 2;
	}
	*olen = keep;
	return o;
}

/* Feed b in the pieces cut at cuts[0..ncuts) (increasing offsets). */
static void
canon_chunked(enum inkan_dkim_canon c, const char *b, size_t n, const size_t *cuts,
    size_t ncuts, uint64_t limit, struct inkan_buf *out, uint64_t *total)
{
	struct inkan__bodyc *bc = calloc(1, sizeof(*bc));
	size_t at = 0;

	assert_non_null(bc);
	inkan__bodyc_init(bc, c, NULL, limit);
	bc->capture = out;
	for (size_t k = 0; k <= ncuts; k++) {
		size_t end = k < ncuts ? cuts[k] : n;

		assert_int_equal(inkan__bodyc_feed(bc, b + at, end - at), 0);
		at = end;
	}
	assert_int_equal(inkan__bodyc_end(bc), 0);
	*total = bc->total;
	free(bc);
}

/* Compare one body, one chunking, one limit, with the reference. */
static void
canon_check(const char *what, enum inkan_dkim_canon c, const char *b, size_t n,
    const size_t *cuts, size_t ncuts, uint64_t limit)
{
	size_t rl;
	char *ref = canon_ref(c, b, n, &rl);
	size_t want = limit < rl ? (size_t)limit : rl;
	struct inkan_buf out;
	uint64_t total;

	inkan_buf_init(&out, 0);
	canon_chunked(c, b, n, cuts, ncuts, limit, &out, &total);
	if (total != rl || out.len != want || memcmp(out.p ? out.p : "", ref, want) != 0) {
		struct inkan_buf d;

		inkan_buf_init(&d, 0);
		for (size_t k = 0; k < n; k++) {
			for (size_t j = 0; j < ncuts; j++)
				if (cuts[j] == k)
					inkan_buf_puts(&d, "|");
			unsigned char ch = (unsigned char)b[k];

			if (ch == '\r' || ch == '\n' || ch == '\t')
				inkan_buf_puts(&d, ch == '\r' ? "\\r" : ch == '\n' ? "\\n" : "\\t");
			else if (ch < 32 || ch > 126)
				inkan_buf_printf(&d, "\\x%02x", ch);
			else
				inkan_buf_putc(&d, ch);
		}
		fail_msg("%s, %s, l=%llu: body [%s] (| = chunk boundary): canonical length "
		    "%llu (reference %zu), hashed %zu bytes (reference %zu)%s", what,
		    c == INKAN_DKIM_SIMPLE ? "simple" : "relaxed", (unsigned long long)limit,
		    inkan_buf_cstr(&d), (unsigned long long)total, rl, out.len, want,
		    out.len == want ? ", contents differ" : "");
	}
	inkan_buf_free(&out);
	free(ref);
}

struct chunk_case {
	const char *name;
	enum inkan_dkim_canon c;
	const char *chunks[8];	/* NULL-terminated */
	uint64_t limit;		/* 0 = none */
	const char *want;	/* what is hashed */
};

#define R INKAN_DKIM_RELAXED
#define S INKAN_DKIM_SIMPLE
static const struct chunk_case chunk_cases[] = {
	{ "chunks: CR ends one chunk, LF starts the next (relaxed)", R,
	    { "a\r", "\nb\r\n", NULL }, 0, "a\r\nb\r\n" },
	{ "chunks: CR ends one chunk, LF starts the next (simple)", S,
	    { "a \r", "\n\r", "\n", NULL }, 0, "a \r\n" },
	{ "chunks: CR ends one chunk, content starts the next: bare CR", R,
	    { "a \r", "b", NULL }, 0, "a \rb\r\n" },
	{ "chunks: WSP run across three chunks becomes one SP (§3.4.4)", R,
	    { "a ", "\t ", " b\r\n", NULL }, 0, "a b\r\n" },
	{ "chunks: WSP run across chunks before CRLF goes (§3.4.4)", R,
	    { "a  ", "\t\r", "\n", NULL }, 0, "a\r\n" },
	{ "chunks: WSP run across chunks kept in simple", S,
	    { "a  ", "\t\r", "\nb", NULL }, 0, "a  \t\r\nb\r\n" },
	{ "chunks: trailing empty lines split across chunks go (§3.4.3)", S,
	    { "a\r\n\r", "\n\r\n", "\r", "\n", NULL }, 0, "a\r\n" },
	{ "chunks: trailing blank lines split across chunks go (§3.4.4)", R,
	    { "a\r\n \r", "\n\t", "\r\n\r", "\n", NULL }, 0, "a\r\n" },
	{ "chunks: withheld empty lines come back before content", R,
	    { "a\r\n\r", "\n", " \r\n", "b", NULL }, 0, "a\r\n\r\n\r\nb\r\n" },
	{ "chunks: withheld empty lines come back before content (simple)", S,
	    { "a\r\n\r", "\n", "\r\n", "b", NULL }, 0, "a\r\n\r\n\r\nb\r\n" },
	{ "chunks: a chunk of only a CR, then a bare CR", S,
	    { "a", "\r", "\r", "\n", NULL }, 0, "a\r\r\n" },
	{ "chunks: empty chunks change nothing", R,
	    { "", "a", "", " \t", "", "b", NULL }, 0, "a b\r\n" },
	{ "l= ends inside a WSP run (§3.5 l=)", R, { "a  ", " b  c\r\n", NULL }, 3, "a b" },
	{ "l= ends on the SP of a run", R, { "a  ", " b\r\n", NULL }, 2, "a " },
	{ "l= ends inside withheld empty lines", S,
	    { "a\r\n\r", "\nb", NULL }, 4, "a\r\n\r" },
	{ "l= ends inside the middle of a chunk", R,
	    { "the quick\tbrown fox jumps over the lazy dog\r\n", NULL }, 20,
	    "the quick brown fox " },
};
#undef R
#undef S

static void
test_canon_chunks(void **state)
{
	const struct chunk_case *c = *state;
	struct inkan__bodyc *bc = calloc(1, sizeof(*bc));
	struct inkan_buf out;

	assert_non_null(bc);
	inkan_buf_init(&out, 0);
	inkan__bodyc_init(bc, c->c, NULL, c->limit ? c->limit : UINT64_MAX);
	bc->capture = &out;
	for (size_t k = 0; c->chunks[k] != NULL; k++)
		assert_int_equal(inkan__bodyc_feed(bc, c->chunks[k], strlen(c->chunks[k])), 0);
	assert_int_equal(inkan__bodyc_end(bc), 0);
	if (out.len != strlen(c->want) || memcmp(out.p ? out.p : "", c->want, out.len) != 0)
		fail_msg("%s:\nwanted [%s]\ngot    [%s]", c->name, c->want, inkan_buf_cstr(&out));
	inkan_buf_free(&out);
	free(bc);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* A random body of about n bytes: text (words, single SP, now and then
 * HTAB or a run) or noise (any of the bytes that matter, and others). */
static size_t
random_body(char *b, size_t n, bool text)
{
	static const char noise[] = { 'a', 'b', ' ', ' ', '\t', '\r', '\n', '\r', '\n', 'x',
		'\0', (char)0xff, (char)0x89, (char)0xa0 };
	size_t k = 0;

	while (k < n) {
		if (!text) {
			b[k++] = noise[rng() % sizeof(noise)];
			continue;
		}
		uint32_t x = rng() % 100;

		if (x < 70) {
			size_t wl = 1 + rng() % 9;

			for (size_t j = 0; j < wl && k < n; j++)
				b[k++] = (char)('a' + rng() % 26);
			if (k < n)
				b[k++] = ' ';
		} else if (x < 78) {
			b[k++] = '\t';
		} else if (x < 84) {
			for (size_t j = rng() % 4; j > 0 && k < n; j--)
				b[k++] = rng() % 3 ? ' ' : '\t';
		} else if (x < 96) {
			if (k + 2 <= n) {
				b[k++] = '\r';
				b[k++] = '\n';
			} else {
				b[k++] = '\r';
			}
		} else {
			b[k++] = rng() % 2 ? '\r' : '\n';	/* bare */
		}
	}
	/* often, trailing blank lines */
	for (size_t j = rng() % 4; j > 0 && k + 3 <= n + 8; j--) {
		if (rng() % 2)
			b[k++] = ' ';
		b[k++] = '\r';
		b[k++] = '\n';
	}
	return k;
}

/* Random cuts of b[0..n): sizes from 1 to max, and now and then a cut
 * just before or after a CR, LF or WSP. */
static size_t
random_cuts(const char *b, size_t n, size_t max, size_t *cuts, size_t cap)
{
	size_t k = 0, at = 0;

	while (k < cap) {
		at += 1 + rng() % max;
		if (rng() % 4 == 0)
			while (at < n && b[at] != '\r' && b[at] != '\n' && b[at] != ' ' &&
			    b[at] != '\t')
				at++;
		if (at >= n)
			break;
		if (rng() % 2 && at + 1 < n)
			at++;
		cuts[k++] = at;
	}
	return k;
}

static void
test_canon_random(void **state)
{
	enum { MAXB = 40000, MAXCUTS = 4096 };
	char *b = malloc(MAXB + 16);
	size_t *cuts = malloc(MAXCUTS * sizeof(*cuts));
	static const enum inkan_dkim_canon canons[] = { INKAN_DKIM_SIMPLE, INKAN_DKIM_RELAXED };

	(void)state;
	assert_non_null(b);
	assert_non_null(cuts);
	for (int iter = 0; iter < 3000; iter++) {
		/* mostly short; one in 50 crosses the batch of 8 KB several times */
		size_t want = iter % 50 == 0 ? 8000 + rng() % 30000 : rng() % 400;
		size_t n = random_body(b, want, iter % 3 != 0);
		char what[64];

		for (size_t ci = 0; ci < 2; ci++) {
			enum inkan_dkim_canon c = canons[ci];
			size_t nc;

			snprintf(what, sizeof(what), "random body %d, whole", iter);
			canon_check(what, c, b, n, NULL, 0, UINT64_MAX);
			snprintf(what, sizeof(what), "random body %d, small chunks", iter);
			nc = random_cuts(b, n, 40, cuts, MAXCUTS);
			canon_check(what, c, b, n, cuts, nc, UINT64_MAX);
			snprintf(what, sizeof(what), "random body %d, large chunks", iter);
			nc = random_cuts(b, n, n / 2 + 1, cuts, MAXCUTS);
			canon_check(what, c, b, n, cuts, nc, UINT64_MAX);
			if (n < 200) {
				for (size_t k = 0; k + 1 < n; k++)
					cuts[k] = k + 1;
				snprintf(what, sizeof(what), "random body %d, byte by byte", iter);
				canon_check(what, c, b, n, cuts, n ? n - 1 : 0, UINT64_MAX);
			}
			/* l= anywhere, 0 included */
			snprintf(what, sizeof(what), "random body %d, l=", iter);
			nc = random_cuts(b, n, 64, cuts, MAXCUTS);
			canon_check(what, c, b, n, cuts, nc, rng() % (n + 8));
		}
	}
	free(b);
	free(cuts);
}

/* Relaxed header canonicalization (§3.4.2) against a reference over
 * random fields: name lowercased and without WSP before the colon; in the
 * value every CR and LF removed (unfolding; a bare one is dropped too, as
 * dkimpy and OpenDKIM do), WSP runs made one SP, WSP at both ends gone. */
static void
test_canon_header_random(void **state)
{
	static const char bytes[] = { 'A', 'b', ':', ' ', ' ', '\t', '\r', '\n', 'x', ';' };
	char f[80], want[96];

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rng() % sizeof(f), w = 0;

		for (size_t i = 0; i < n; i++)
			f[i] = bytes[rng() % sizeof(bytes)];
		/* the reference: drop the field's final CRLF (or LF) first */
		size_t len = n;

		if (len >= 2 && f[len - 2] == '\r' && f[len - 1] == '\n')
			len -= 2;
		else if (len >= 1 && f[len - 1] == '\n')
			len -= 1;
		const char *colon = memchr(f, ':', len);
		size_t ne = colon ? (size_t)(colon - f) : len;

		while (ne > 0 && (f[ne - 1] == ' ' || f[ne - 1] == '\t'))
			ne--;
		for (size_t i = 0; i < ne; i++)
			want[w++] = f[i] >= 'A' && f[i] <= 'Z' ? (char)(f[i] + 32) : f[i];
		if (colon != NULL) {
			bool wsp = false, started = false;

			want[w++] = ':';
			for (size_t i = (size_t)(colon - f) + 1; i < len; i++) {
				if (f[i] == '\r' || f[i] == '\n')
					continue;
				if (f[i] == ' ' || f[i] == '\t') {
					wsp = true;
					continue;
				}
				if (wsp && started)
					want[w++] = ' ';
				wsp = false;
				started = true;
				want[w++] = f[i];
			}
		}
		want[w++] = '\r';
		want[w++] = '\n';

		struct inkan_buf b;

		inkan_buf_init(&b, 0);
		inkan_buf_puts(&b, "prefix");	/* appends after what is there */
		assert_int_equal(inkan_dkim_canon_header(INKAN_DKIM_RELAXED, f, n, &b), 0);
		if (b.len != 6 + w || memcmp(b.p + 6, want, w) != 0)
			fail_msg("random field %d: got %zu bytes, wanted %zu", iter, b.len - 6, w);
		inkan_buf_free(&b);
	}
}

/* ---- DKIM-Signature parsing ---- */

#define SIG_OK "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=YWJj; b=ZGVm"

struct sig_case {
	const char *name;
	const char *in;
	int rc;
	const char *why;	/* substring of the reason */
};

static const struct sig_case sig_cases[] = {
	{ "minimal valid", SIG_OK, 0, NULL },
	{ "folded b= with FWS inside", "v=1; a=rsa-sha256; d=example.com; s=sel;\r\n"
	    " h=from : to; bh=YW Jj;\r\n b=ZG\r\n\tVm", 0, NULL },
	{ "unknown tag ignored", SIG_OK "; zz=whatever", 0, NULL },
	{ "unknown algorithm still parses", "v=1; a=rsa-sha512; d=example.com; s=sel; "
	    "h=from; bh=YWJj; b=ZGVm", 0, NULL },
	{ "duplicate tag (§3.2)", SIG_OK "; d=example.org", INKAN_EMALFORMED, "duplicate" },
	{ "missing v=", "a=rsa-sha256; d=example.com; s=sel; h=from; bh=YWJj; b=ZGVm",
	    INKAN_EMALFORMED, "missing v=" },
	{ "missing bh=", "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=ZGVm",
	    INKAN_EMALFORMED, "missing bh=" },
	{ "missing h=", "v=1; a=rsa-sha256; d=example.com; s=sel; bh=YWJj; b=ZGVm",
	    INKAN_EMALFORMED, "missing h=" },
	{ "v=2", "v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=YWJj; b=ZGVm",
	    INKAN_EMALFORMED, "version" },
	{ "h= without From (§5.4)", "v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; "
	    "bh=YWJj; b=ZGVm", INKAN_EMALFORMED, "From" },
	{ "empty name in h=", "v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; "
	    "bh=YWJj; b=ZGVm", INKAN_EMALFORMED, "empty name" },
	{ "b= not base64", "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=YWJj; b=Z!Vm",
	    INKAN_EMALFORMED, "b= is not base64" },
	{ "bh= bad padding", "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=YWJ=j; "
	    "b=ZGVm", INKAN_EMALFORMED, "bh= is not base64" },
	{ "empty b=", "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=YWJj; b=",
	    INKAN_EMALFORMED, "empty b=" },
	{ "i= outside d= (§3.5)", SIG_OK "; i=joe@example.org", INKAN_EMALFORMED, "within" },
	{ "i= lookalike suffix", SIG_OK "; i=joe@badexample.com", INKAN_EMALFORMED, "within" },
	{ "i= subdomain ok", SIG_OK "; i=joe@mail.example.com", 0, NULL },
	{ "i= without @", SIG_OK "; i=example.com", INKAN_EMALFORMED, "@" },
	{ "x= before t=", SIG_OK "; t=2000; x=1000", INKAN_EMALFORMED, "x= is before t=" },
	{ "t= not a number", SIG_OK "; t=12a", INKAN_EMALFORMED, "t=" },
	{ "l= not a number", SIG_OK "; l=-1", INKAN_EMALFORMED, "l=" },
	{ "l= overflow", SIG_OK "; l=99999999999999999999999", INKAN_EMALFORMED, "l=" },
	{ "c= unknown", SIG_OK "; c=relaxed/fancy", INKAN_EMALFORMED, "canonicalization" },
	{ "q= other than dns/txt", SIG_OK "; q=http", INKAN_EMALFORMED, "dns/txt" },
	{ "line break not folding", "v=1;\r\na=rsa-sha256", INKAN_EMALFORMED, NULL },
};

static void
test_sig(void **state)
{
	const struct sig_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_sig sig;
	const char *why = NULL;
	int rc = inkan_dkim_sig_parse(a, c->in, strlen(c->in), &sig, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc),
		    why ? why : "-", inkan_strerror(c->rc));
	if (c->why != NULL && (why == NULL || strstr(why, c->why) == NULL))
		fail_msg("%s: reason [%s], wanted [%s]", c->name, why ? why : "", c->why);
	inkan_arena_free(a);
}

/* The parsed fields of a full signature. */
static void
test_sig_fields(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_sig s;
	const char *in = "v=1; a=ed25519-sha256; c=relaxed; d=Example.COM; s=s1; "
	    "h=From : Subject:from; bh=YWJj; b=ZG Vm; l=42; t=100; x=200";

	assert_int_equal(inkan_dkim_sig_parse(a, in, strlen(in), &s, NULL), 0);
	assert_int_equal(s.alg, INKAN_DKIM_ALG_ED25519_SHA256);
	/* §3.5: c=relaxed alone means relaxed/simple */
	assert_int_equal(s.hdr_canon, INKAN_DKIM_RELAXED);
	assert_int_equal(s.body_canon, INKAN_DKIM_SIMPLE);
	assert_int_equal(s.nh, 3);
	assert_string_equal(s.h[0], "from");
	assert_string_equal(s.h[1], "subject");
	assert_string_equal(s.h[2], "from");
	assert_int_equal(s.bhlen, 3);
	assert_memory_equal(s.bh, "abc", 3);
	assert_int_equal(s.blen, 3);
	assert_memory_equal(s.b, "def", 3);
	assert_string_equal(s.b_text, "ZGVm");
	assert_true(s.has_l);
	assert_int_equal(s.l, 42);
	assert_int_equal(s.t, 100);
	assert_int_equal(s.x, 200);
	/* §3.5: i= defaults to @d */
	assert_string_equal(s.i, "@Example.COM");
	inkan_arena_free(a);
}

/* ---- key records ---- */

struct key_case {
	const char *name;
	const char *in;
	int rc;
	const char *why;
	bool revoked, testing, strict;
};

static const struct key_case key_cases[] = {
	{ "minimal", "p=YWJj", 0, NULL, false, false, false },
	{ "v=DKIM1 first", "v=DKIM1; k=rsa; p=YWJj", 0, NULL, false, false, false },
	{ "v= not first (§3.6.1)", "k=rsa; v=DKIM1; p=YWJj", INKAN_EMALFORMED, "first",
	    false, false, false },
	{ "v=DKIM2", "v=DKIM2; p=YWJj", INKAN_EMALFORMED, "DKIM1", false, false, false },
	{ "dkimpy badversion v=DKIM1:", "v=DKIM1:; p=YWJj", INKAN_EMALFORMED, "DKIM1",
	    false, false, false },
	{ "no p=", "v=DKIM1; k=rsa", INKAN_EMALFORMED, "p=", false, false, false },
	{ "empty p= is revoked", "v=DKIM1; p=", 0, NULL, true, false, false },
	{ "p= with FWS", "p=YW\r\n Jj", 0, NULL, false, false, false },
	{ "p= not base64", "p=Y*Jj", INKAN_EMALFORMED, "base64", false, false, false },
	{ "t=y testing", "t=y; p=YWJj", 0, NULL, false, true, false },
	{ "t=s strict", "t=s; p=YWJj", 0, NULL, false, false, true },
	{ "t=y:s both", "t=y : s; p=YWJj", 0, NULL, false, true, true },
	{ "unknown flag ignored", "t=q; p=YWJj", 0, NULL, false, false, false },
	{ "unknown tag g= ignored", "g=*; p=YWJj", 0, NULL, false, false, false },
	{ "duplicate p=", "p=YWJj; p=YWJj", INKAN_EMALFORMED, "duplicate", false, false,
	    false },
};

static void
test_key(void **state)
{
	const struct key_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_keyrec k;
	const char *why = NULL;
	int rc = inkan_dkim_key_parse(a, c->in, strlen(c->in), &k, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc),
		    why ? why : "-", inkan_strerror(c->rc));
	if (c->why != NULL && (why == NULL || strstr(why, c->why) == NULL))
		fail_msg("%s: reason [%s], wanted [%s]", c->name, why ? why : "", c->why);
	if (rc == 0) {
		assert_int_equal(k.revoked, c->revoked);
		assert_int_equal(k.testing, c->testing);
		assert_int_equal(k.strict, c->strict);
		if (!k.revoked) {
			assert_int_equal(k.plen, 3);
			assert_memory_equal(k.p, "abc", 3);
		}
	}
	inkan_arena_free(a);
}

/* ---- verify verdicts ---- */

static struct inkan_dkim_key *rsa_key, *ed_key, *short_key;

/* 512 bits: RFC 8301 says such keys MUST NOT be accepted. */
static const char short_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAuweyGQmPzEWJYTIf\n"
    "gfRnl8lcuAjC8EgeyhqLr4ueCJXXLpLftUvLw+uNltg2XquLVbTnPfQzYNUdmXtF\n"
    "mREVjQIDAQABAkEAsV33+SSHOVpMkV9eX/iu8VRl2KV+cS6D/Hg2NlE6mroWvE7L\n"
    "0nBTdMJXToctRsEIbYB5Zj0oqkkFoJPfD0DBQQIhAO2SqWaJ7J0iR9RbEjnnxh8e\n"
    "2yeaXH0W2lRfPLlSu/rRAiEAyYlvpBex2dZZ6jinPzRziSTXvBw4KO5pUutLG7fq\n"
    "Jf0CIBB9fp6sci0SBRRbYe99BAaC+MlN8J+KJ4t1tNxUPtIRAiBoVk/HC0FXPsLU\n"
    "ILptXXFHGhzaVV25yxwaApii5AdD3QIhANfJGakcJIOjapSfjCv2OYp8O2LNmcbR\n"
    "dzU7SGL9fF5k\n"
    "-----END PRIVATE KEY-----\n";

static int
setup_keys(void **state)
{
	const char *why;

	if (inkan_dkim_key_generate("rsa", 1024, &rsa_key) != 0 ||
	    inkan_dkim_key_generate("ed25519", 0, &ed_key) != 0 ||
	    inkan_dkim_key_load_pem(short_pem, sizeof(short_pem) - 1, &short_key, &why) != 0)
		return -1;
	return 0;
}

static int
teardown_keys(void **state)
{
	inkan_dkim_key_free(rsa_key);
	inkan_dkim_key_free(ed_key);
	inkan_dkim_key_free(short_key);
	return 0;
}

static const char base_msg[] =
    "From: Joe <joe@example.com>\r\n"
    "To: Sue <sue@example.net>\r\n"
    "Subject: dinner\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n"
    "\r\n"
    "Hi.\r\n\r\nWe lost the game.\r\n";

#define NOW 1700000000

struct verify_case {
	const char *name;
	int key;		/* 0 rsa, 1 ed25519, 2 short rsa */
	const char *record;	/* NULL = the key's own record; "%s" = its p= */
	const char *status;	/* "TIMEOUT", "SERVFAIL", "NXDOMAIN" or NULL */
	int64_t expire;		/* x= = t + expire */
	int64_t t_offset;	/* t = NOW + t_offset */
	bool body_length;
	const char *identity;
	const char *sig_subst[2];	/* change the signature text: from, to ("b=" to
					 * nothing: one character of b= changed) */
	enum inkan_dkim_result want;
	const char *why;
	bool testing;
};

static const struct verify_case verify_cases[] = {
	{ "rsa pass", 0, NULL, NULL, 0, 0, false, NULL, { NULL, NULL }, INKAN_DKIM_PASS,
	    NULL, false },
	{ "ed25519 pass", 1, NULL, NULL, 0, 0, false, NULL, { NULL, NULL }, INKAN_DKIM_PASS,
	    NULL, false },
	{ "key too short (RFC 8301)", 2, NULL, NULL, 0, 0, false, NULL, { NULL, NULL },
	    INKAN_DKIM_FAIL, "key too short (512 bits", false },
	{ "rsa-sha1 refused (RFC 8301)", 0, NULL, NULL, 0, 0, false, NULL,
	    { "a=rsa-sha256", "a=rsa-sha1" }, INKAN_DKIM_FAIL, "rsa-sha1 not allowed", false },
	{ "unknown algorithm", 0, NULL, NULL, 0, 0, false, NULL,
	    { "a=rsa-sha256", "a=rsa-sha512" }, INKAN_DKIM_PERMERROR, "unknown algorithm",
	    false },
	{ "revoked key", 0, "v=DKIM1; k=rsa; p=", NULL, 0, 0, false, NULL, { NULL, NULL },
	    INKAN_DKIM_FAIL, "key revoked", false },
	{ "testing key still passes, flagged", 0, "v=DKIM1; t=y; k=rsa; p=%s", NULL, 0, 0,
	    false, NULL, { NULL, NULL }, INKAN_DKIM_PASS, NULL, true },
	{ "key type mismatch", 1, "v=DKIM1; k=rsa; p=%s", NULL, 0, 0, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_PERMERROR, "does not match", false },
	{ "key h=sha1 only", 0, "v=DKIM1; h=sha1; k=rsa; p=%s", NULL, 0, 0, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_PERMERROR, "h=", false },
	{ "key s=tlsrpt only", 0, "v=DKIM1; s=tlsrpt; k=rsa; p=%s", NULL, 0, 0, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_PERMERROR, "not for email", false },
	{ "key t=s with subdomain i=", 0, "v=DKIM1; t=s; k=rsa; p=%s", NULL, 0, 0, false,
	    "joe@mail.example.com", { NULL, NULL }, INKAN_DKIM_PERMERROR, "t=s", false },
	{ "key t=s with i= at d=", 0, "v=DKIM1; t=s; k=rsa; p=%s", NULL, 0, 0, false,
	    "joe@example.com", { NULL, NULL }, INKAN_DKIM_PASS, NULL, false },
	{ "DNS timeout", 0, NULL, "TIMEOUT", 0, 0, false, NULL, { NULL, NULL },
	    INKAN_DKIM_TEMPERROR, "DNS timeout", false },
	{ "DNS SERVFAIL", 0, NULL, "SERVFAIL", 0, 0, false, NULL, { NULL, NULL },
	    INKAN_DKIM_TEMPERROR, "SERVFAIL", false },
	{ "no key", 0, NULL, "NXDOMAIN", 0, 0, false, NULL, { NULL, NULL },
	    INKAN_DKIM_PERMERROR, "no key record", false },
	{ "malformed key record", 0, "v=DKIM1; k=rsa", NULL, 0, 0, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_PERMERROR, "invalid key record", false },
	{ "expired (x= past, beyond skew)", 0, NULL, NULL, 100, -1000, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_FAIL, "expired", false },
	{ "x= past within the clock skew", 0, NULL, NULL, 100, -200, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_PASS, NULL, false },
	{ "t= in the future beyond skew", 0, NULL, NULL, 0, 3600, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_FAIL, "future", false },
	{ "t= in the future within skew", 0, NULL, NULL, 0, 200, false, NULL,
	    { NULL, NULL }, INKAN_DKIM_PASS, NULL, false },
	{ "l= pass", 0, NULL, NULL, 0, 0, true, NULL, { NULL, NULL }, INKAN_DKIM_PASS, NULL,
	    false },
	{ "signature corrupted", 0, NULL, NULL, 0, 0, false, NULL, { "; b=", "; b=AAAA" },
	    INKAN_DKIM_FAIL, "signature mismatch", false },
	{ "bh= changed", 0, NULL, NULL, 0, 0, false, NULL, { "bh=", "bh=AAAA" },
	    INKAN_DKIM_FAIL, "body hash mismatch", false },
	{ "malformed signature", 0, NULL, NULL, 0, 0, false, NULL, { "v=1", "v=2" },
	    INKAN_DKIM_PERMERROR, "malformed signature", false },
	/* Ed25519 goes through libsodium: the failures it must report */
	{ "ed25519 signature changed, same length (RFC 8032 5.1.7)", 1, NULL, NULL, 0, 0,
	    false, NULL, { "b=", NULL }, INKAN_DKIM_FAIL, "signature mismatch", false },
	{ "ed25519 signature not 64 bytes", 1, NULL, NULL, 0, 0, false, NULL,
	    { "; b=", "; b=AAAA" }, INKAN_DKIM_FAIL, "signature mismatch", false },
	{ "ed25519 bh= changed", 1, NULL, NULL, 0, 0, false, NULL, { "bh=", "bh=AAAA" },
	    INKAN_DKIM_FAIL, "body hash mismatch", false },
	{ "ed25519 key of the wrong signer", 1,
	    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", NULL, 0, 0,
	    false, NULL, { NULL, NULL }, INKAN_DKIM_FAIL, "signature mismatch", false },
	{ "ed25519 key of small order (all zero)", 1,
	    "v=DKIM1; k=ed25519; p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL, 0, 0,
	    false, NULL, { NULL, NULL }, INKAN_DKIM_FAIL, "signature mismatch", false },
};

/* Replace the first `from` in s by `to` (malloc'd). */
static char *
subst(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *o;

	if (p == NULL)
		fail_msg("cannot find [%s]", from);
	if (asprintf(&o, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from)) < 0)
		fail();
	return o;
}

static void
add_record(struct inkan_zone *z, const char *name, const char *txt)
{
	char line[4096];
	size_t k = (size_t)snprintf(line, sizeof(line), "%s. IN TXT", name);

	for (size_t i = 0; i < strlen(txt); i += 200)
		k += (size_t)snprintf(line + k, sizeof(line) - k, " \"%.200s\"", txt + i);
	assert_int_equal(inkan_zone_add_text(z, line, NULL), 0);
}

static void
test_verify(void **state)
{
	const struct verify_case *c = *state;
	struct inkan_dkim_key *k = c->key == 0 ? rsa_key : c->key == 1 ? ed_key : short_key;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selector = "sel",
		.hdr_canon = INKAN_DKIM_RELAXED, .body_canon = INKAN_DKIM_RELAXED,
		.timestamp = NOW + c->t_offset, .expire = c->expire,
		.body_length = c->body_length, .identity = c->identity };
	const char *fields, *why;
	char *rec, *msg;

	assert_int_equal(inkan_zone_new(&z), 0);
	rec = inkan_dkim_key_record(k, a);
	assert_non_null(rec);
	if (c->record != NULL) {
		const char *p = strstr(rec, "p=") + 2;

		const char *pct = strstr(c->record, "%s");

		/* the row's record, with %s standing for the key's p= */
		rec = pct == NULL ? inkan_arena_strdup(a, c->record) :
		    inkan_arena_printf(a, "%.*s%s%s", (int)(pct - c->record), c->record, p,
		    pct + 2);
	}
	if (c->status != NULL)
		assert_int_equal(inkan_zone_set_status(z, "sel._domainkey.example.com",
		    INKAN_DNS_TXT, strcmp(c->status, "TIMEOUT") == 0 ? INKAN_DNS_TIMEOUT :
		    strcmp(c->status, "SERVFAIL") == 0 ? INKAN_DNS_SERVFAIL :
		    INKAN_DNS_NXDOMAIN), 0);
	else
		add_record(z, "sel._domainkey.example.com", rec);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	assert_int_equal(inkan_dkim_sign_message(a, &k, 1, &so, base_msg, sizeof(base_msg) - 1,
	    &fields, &why), 0);
	char *f = strdup(fields);

	if (c->sig_subst[0] != NULL && c->sig_subst[1] == NULL) {
		char *b = strstr(f, "; b=");

		assert_non_null(b);
		b += 4 + strspn(b + 4, " \t\r\n");	/* the first base64 character */
		*b = *b == 'A' ? 'B' : 'A';
	} else if (c->sig_subst[0] != NULL) {
		char *g = subst(f, c->sig_subst[0], c->sig_subst[1]);

		free(f);
		f = g;
	}
	if (asprintf(&msg, "%s%s", f, base_msg) < 0)
		fail();
	struct inkan_dkim_verify_opts vo = { .now = NOW, .clock_skew = -1 };
	struct inkan_dkim_results res;

	assert_int_equal(inkan_dkim_verify_message(r, a, &vo, msg, strlen(msg), &res), 0);
	assert_int_equal(res.n, 1);
	const struct inkan_dkim_sig_result *s = &res.sigs[0];

	if (s->result != c->want || (c->why != NULL && (s->reason == NULL ||
	    strstr(s->reason, c->why) == NULL)))
		fail_msg("%s: got %s (%s), wanted %s (%s)\n%s", c->name,
		    inkan_dkim_result_name(s->result), s->reason ? s->reason : "-",
		    inkan_dkim_result_name(c->want), c->why ? c->why : "-", f);
	if (c->want == INKAN_DKIM_PASS) {
		assert_null(s->reason);
		assert_int_equal(res.overall, INKAN_DKIM_PASS);
		assert_string_equal(s->key_type, c->key == 1 ? "ed25519" : "rsa");
		assert_int_equal(s->key_bits, c->key == 1 ? 256 : 1024);
		assert_int_equal(s->key_testing, c->testing);
		assert_string_equal(s->d, "example.com");
		assert_string_equal(s->s, "sel");
		assert_int_equal(strlen(s->b_prefix), 8);
		assert_int_equal(s->has_l, c->body_length);
		assert_int_equal(s->unsigned_bytes, 0);
	}
	free(f);
	free(msg);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* ---- signing rules ---- */

static void
test_sign_no_from(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selector = "sel" };
	const char *m = "To: x@example.net\r\nSubject: s\r\n\r\nbody\r\n", *f, *why = NULL;

	assert_int_equal(inkan_dkim_sign_message(a, &rsa_key, 1, &so, m, strlen(m), &f, &why),
	    INKAN_EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, "no From"));
	/* i= outside d= is refused before any work */
	so.identity = "joe@example.org";
	assert_int_equal(inkan_dkim_sign_message(a, &rsa_key, 1, &so, m, strlen(m), &f, &why),
	    INKAN_EINVAL);
	so.identity = "joe@badexample.com";
	assert_int_equal(inkan_dkim_sign_message(a, &rsa_key, 1, &so, m, strlen(m), &f, &why),
	    INKAN_EINVAL);
	inkan_arena_free(a);
}

/* Default h=: present oversigned names once more than they occur, absent
 * if-present names not at all; l= never by default; lines <= 78. */
/* A header field given with bare LFs signs as the same field with CRLF
 * (inkan_dkim_sign_header turns bare LF into CRLF, as an MTA would), and
 * the h= list, c=, d=, s= and i= come out as written (RFC 6376 §3.5). */
static void
test_sign_bare_lf_fields(void **state)
{
	static const char *const crlf[] = { "From: a@example.com\r\n",
		"Subject: one\r\n two\r\n", "X-B: \r\r\n" };
	static const char *const lf[] = { "From: a@example.com\n", "Subject: one\n two\n",
		"X-B: \r\n" };
	const char *out[2];
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selector = "sel",
		.identity = "x@mail.example.com", .hdr_canon = INKAN_DKIM_SIMPLE,
		.body_canon = INKAN_DKIM_RELAXED, .timestamp = 1000 };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct inkan_dkim_sign *sg;
		const char *why;

		assert_int_equal(inkan_dkim_sign_new(a, &ed_key, 1, &so, &sg), 0);
		for (int i = 0; i < 3; i++) {
			const char *f = k ? lf[i] : crlf[i];

			assert_int_equal(inkan_dkim_sign_header(sg, f, strlen(f)), 0);
		}
		assert_int_equal(inkan_dkim_sign_body(sg, "x\r\n", 3), 0);
		assert_int_equal(inkan_dkim_sign_end(sg, &out[k], &why), 0);
		inkan_dkim_sign_free(sg);
	}
	assert_string_equal(out[0], out[1]);
	assert_non_null(strstr(out[0], "c=simple/relaxed;"));
	assert_non_null(strstr(out[0], "d=example.com;"));
	assert_non_null(strstr(out[0], "s=sel;"));
	assert_non_null(strstr(out[0], "i=x@mail.example.com;"));
	struct inkan_dkim_sig sig;
	const char *why;

	assert_int_equal(inkan_dkim_sig_parse(a, out[0] + 15, strlen(out[0]) - 17, &sig, &why),
	    0);
	/* From and Subject present once, oversigned; X-B not in the list */
	assert_true(sig.nh >= 4);
	assert_string_equal(sig.h[0], "from");
	assert_string_equal(sig.h[1], "from");
	for (size_t i = 0; i < sig.nh; i++)
		assert_string_not_equal(sig.h[i], "x-b");
	inkan_arena_free(a);
}

static void
test_sign_layout(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_key *keys[2] = { rsa_key, ed_key };
	const char *sels[2] = { "r", "e" };
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selectors = sels,
		.hdr_canon = INKAN_DKIM_RELAXED, .timestamp = 1000, .expire = 50 };
	const char *m = "From: a@example.com\r\nTo: b@example.net\r\nTo: c@example.net\r\n"
	    "List-Id: <x.example.com>\r\n\r\nbody\r\n", *f, *why;
	struct inkan_dkim_sig sig;

	assert_int_equal(inkan_dkim_sign_message(a, keys, 2, &so, m, strlen(m), &f, &why), 0);
	/* two fields, each starting a line */
	const char *second = strstr(f + 1, "\r\nDKIM-Signature:");

	assert_true(strncmp(f, "DKIM-Signature:", 15) == 0);
	assert_non_null(second);
	for (const char *l = f; *l; ) {
		const char *e = strstr(l, "\r\n");

		assert_non_null(e);
		if (e - l > 78)
			fail_msg("line over 78 columns: %.*s", (int)(e - l), l);
		l = e + 2;
	}
	const char *v = f + 15;
	size_t vl = (size_t)(second - v);

	assert_int_equal(inkan_dkim_sig_parse(a, v, vl, &sig, &why), 0);
	assert_int_equal(sig.alg, INKAN_DKIM_ALG_RSA_SHA256);
	assert_string_equal(sig.s, "r");
	assert_int_equal(sig.t, 1000);
	assert_int_equal(sig.x, 1050);
	assert_false(sig.has_l);
	size_t nfrom = 0, nto = 0, nsubj = 0, nlist = 0, ncc = 0;

	for (size_t i = 0; i < sig.nh; i++) {
		nfrom += strcmp(sig.h[i], "from") == 0;
		nto += strcmp(sig.h[i], "to") == 0;
		nsubj += strcmp(sig.h[i], "subject") == 0;
		ncc += strcmp(sig.h[i], "cc") == 0;
		nlist += strcmp(sig.h[i], "list-id") == 0;
	}
	assert_int_equal(nfrom, 2);	/* 1 present + 1 oversigned */
	assert_int_equal(nto, 3);
	assert_int_equal(nsubj, 1);	/* absent: oversigned only */
	assert_int_equal(ncc, 1);
	assert_int_equal(nlist, 1);	/* present, not oversigned */
	v = second + 2 + 15;
	assert_int_equal(inkan_dkim_sig_parse(a, v, strlen(v) - 2, &sig, &why), 0);
	assert_int_equal(sig.alg, INKAN_DKIM_ALG_ED25519_SHA256);
	assert_string_equal(sig.s, "e");
	inkan_arena_free(a);
}

/* l= content appended after signing passes, and is reported. */
static void
test_body_length(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selector = "sel",
		.body_length = true };
	const char *f, *why;
	char *msg;
	struct inkan_dkim_results res;

	assert_int_equal(inkan_zone_new(&z), 0);
	add_record(z, "sel._domainkey.example.com", inkan_dkim_key_record(rsa_key, a));
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	assert_int_equal(inkan_dkim_sign_message(a, &rsa_key, 1, &so, base_msg,
	    sizeof(base_msg) - 1, &f, &why), 0);
	/* 11 bytes appended */
	if (asprintf(&msg, "%s%sSpam here\r\n", f, base_msg) < 0)
		fail();
	assert_int_equal(inkan_dkim_verify_message(r, a, NULL, msg, strlen(msg), &res), 0);
	assert_int_equal(res.sigs[0].result, INKAN_DKIM_PASS);
	assert_true(res.sigs[0].has_l);
	/* simple body: "Hi.\r\n\r\nWe lost the game.\r\n" is 26 bytes */
	assert_int_equal(res.sigs[0].l, 26);
	assert_int_equal(res.sigs[0].unsigned_bytes, 11);
	assert_int_equal(res.sigs[0].body_len, 37);
	free(msg);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* More signatures than the limit: the rest are reported neutral, none is
 * dropped; one key query per verified signature. */
static void
test_signature_limit(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_buf m;
	struct inkan_dkim_results res;
	struct inkan_dkim_verify_opts vo = { .max_signatures = 3, .clock_skew = -1 };

	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	inkan_buf_init(&m, 0);
	for (int i = 0; i < 5; i++)
		inkan_buf_printf(&m, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		    "s=s%d; h=from; bh=YWJj; b=ZGVm\r\n", i);
	inkan_buf_puts(&m, "From: a@example.com\r\n\r\nx\r\n");
	assert_int_equal(inkan_dkim_verify_message(r, a, &vo, m.p, m.len, &res), 0);
	assert_int_equal(res.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(res.sigs[i].result, i < 3 ? INKAN_DKIM_PERMERROR :
		    INKAN_DKIM_NEUTRAL);
	assert_non_null(strstr(res.sigs[4].reason, "more than 3"));
	assert_int_equal(r->nqueries, 3);
	inkan_buf_free(&m);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* No signature: overall none. */
static void
test_no_signature(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_dkim_results res;

	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	assert_int_equal(inkan_dkim_verify_message(r, a, NULL, base_msg, sizeof(base_msg) - 1,
	    &res), 0);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.overall, INKAN_DKIM_NONE);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* The key cache decodes a key once for many messages. */
static void
test_keycache(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_dkim_keycache *kc;
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selector = "sel" };
	const char *f, *why;
	char *msg;
	unsigned long hits, misses;

	assert_int_equal(inkan_dkim_keycache_new(2, &kc), 0);
	assert_int_equal(inkan_zone_new(&z), 0);
	add_record(z, "sel._domainkey.example.com", inkan_dkim_key_record(rsa_key, a));
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	assert_int_equal(inkan_dkim_sign_message(a, &rsa_key, 1, &so, base_msg,
	    sizeof(base_msg) - 1, &f, &why), 0);
	if (asprintf(&msg, "%s%s", f, base_msg) < 0)
		fail();
	struct inkan_dkim_verify_opts vo = { .keycache = kc, .clock_skew = -1 };

	for (int i = 0; i < 3; i++) {
		struct inkan_dkim_results res;
		struct inkan_arena *b = inkan_arena_new();

		assert_int_equal(inkan_dkim_verify_message(r, b, &vo, msg, strlen(msg), &res), 0);
		assert_int_equal(res.sigs[0].result, INKAN_DKIM_PASS);
		inkan_arena_free(b);
	}
	inkan_dkim_keycache_stats(kc, &hits, &misses);
	assert_int_equal(misses, 1);
	assert_int_equal(hits, 2);
	free(msg);
	inkan_dkim_keycache_free(kc);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* The session API fed one byte at a time gives the verdict of the whole
 * message, for bodies whose relaxed form depends on WSP across chunks;
 * and a verify context reused from the key cache still rejects a
 * changed message. */
static void
test_session_bytewise(void **state)
{
	static const char body[] = "a  b \t\r\n c\t\r\n\r\n \r\nend  \r\n\r\n";
	static const char *const hdr[] = { "From: a@example.com\r\n", "Subject:  x \r\n" };
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_dkim_keycache *kc;
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selector = "sel",
		.hdr_canon = INKAN_DKIM_RELAXED, .body_canon = INKAN_DKIM_RELAXED };
	struct inkan_dkim_sign *sg;
	const char *f, *why;

	assert_int_equal(inkan_dkim_keycache_new(0, &kc), 0);
	assert_int_equal(inkan_zone_new(&z), 0);
	add_record(z, "sel._domainkey.example.com", inkan_dkim_key_record(rsa_key, a));
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	assert_int_equal(inkan_dkim_sign_new(a, &rsa_key, 1, &so, &sg), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(inkan_dkim_sign_header(sg, hdr[i], strlen(hdr[i])), 0);
	assert_int_equal(inkan_dkim_sign_body(sg, body, sizeof(body) - 1), 0);
	assert_int_equal(inkan_dkim_sign_end(sg, &f, &why), 0);
	inkan_dkim_sign_free(sg);

	for (int round = 0; round < 3; round++) {
		struct inkan_dkim_verify_opts vo = { .keycache = kc, .clock_skew = -1 };
		struct inkan_dkim_verify *v;
		struct inkan_dkim_results res;
		/* round 1 changes one body byte: must fail with the cached context */
		char *b = strdup(body);

		if (round == 1)
			b[0] = 'A';
		assert_int_equal(inkan_dkim_verify_new(r, a, &vo, &v), 0);
		assert_int_equal(inkan_dkim_verify_header(v, f, strlen(f)), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(inkan_dkim_verify_header(v, hdr[i], strlen(hdr[i])), 0);
		for (size_t i = 0; i < sizeof(body) - 1; i++)
			assert_int_equal(inkan_dkim_verify_body(v, b + i, 1), 0);
		assert_int_equal(inkan_dkim_verify_end(v, &res), 0);
		inkan_dkim_verify_free(v);
		assert_int_equal(res.n, 1);
		if (res.sigs[0].result != (round == 1 ? INKAN_DKIM_FAIL : INKAN_DKIM_PASS))
			fail_msg("round %d: %s (%s)", round,
			    inkan_dkim_result_name(res.sigs[0].result),
			    res.sigs[0].reason ? res.sigs[0].reason : "-");
		free(b);
	}
	/* a changed signed header fails through the cached context too */
	{
		struct inkan_dkim_verify_opts vo = { .keycache = kc, .clock_skew = -1 };
		struct inkan_dkim_results res;
		char *m;

		if (asprintf(&m, "%sFrom: b@example.com\r\nSubject:  x \r\n\r\n%s", f, body) < 0)
			fail();
		assert_int_equal(inkan_dkim_verify_message(r, a, &vo, m, strlen(m), &res), 0);
		assert_int_equal(res.sigs[0].result, INKAN_DKIM_FAIL);
		assert_string_equal(res.sigs[0].reason, "signature mismatch");
		free(m);
	}
	inkan_dkim_keycache_free(kc);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* A key file readable by others is refused unless allowed. */
static void
test_key_file_mode(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char path[] = "/tmp/inkan-dkim-key-XXXXXX";
	int fd = mkstemp(path);
	const char *pem = inkan_dkim_key_private_pem(ed_key, a), *why = NULL;
	struct inkan_dkim_key *k = NULL;

	assert_true(fd >= 0);
	assert_non_null(pem);
	assert_int_equal(write(fd, pem, strlen(pem)), (ssize_t)strlen(pem));
	close(fd);
	chmod(path, 0644);
	assert_int_equal(inkan_dkim_key_load_file(path, 0, &k, &why), INKAN_EINVAL);
	assert_non_null(strstr(why, "group or others"));
	assert_int_equal(inkan_dkim_key_load_file(path, INKAN_DKIM_KEY_INSECURE, &k, &why), 0);
	inkan_dkim_key_free(k);
	chmod(path, 0600);
	assert_int_equal(inkan_dkim_key_load_file(path, 0, &k, &why), 0);
	assert_string_equal(inkan_dkim_key_type(k), "ed25519");
	inkan_dkim_key_free(k);
	unlink(path);
	assert_int_equal(inkan_dkim_key_load_file(path, 0, &k, &why), INKAN_EIO);
	assert_int_equal(inkan_dkim_key_load_pem("junk", 4, &k, &why), INKAN_EMALFORMED);
	inkan_arena_free(a);
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_sig_fields),
		cmocka_unit_test(test_sign_no_from),
		cmocka_unit_test(test_sign_layout),
		cmocka_unit_test(test_sign_bare_lf_fields),
		cmocka_unit_test(test_body_length),
		cmocka_unit_test(test_signature_limit),
		cmocka_unit_test(test_no_signature),
		cmocka_unit_test(test_keycache),
		cmocka_unit_test(test_session_bytewise),
		cmocka_unit_test(test_key_file_mode),
		cmocka_unit_test(test_canon_random),
		cmocka_unit_test(test_canon_header_random),
	};
#define NROWS(x) (sizeof(x) / sizeof(x[0]))
	size_t total = NROWS(canon_cases) + NROWS(chunk_cases) + NROWS(sig_cases) + NROWS(key_cases) +
	    NROWS(verify_cases) + NROWS(misc), n = 0;
	struct CMUnitTest *t = calloc(total, sizeof(*t));
	int rc;

	if (t == NULL)
		return 1;
#define ADD(rows, fn) \
	for (size_t i = 0; i < NROWS(rows); i++) { \
		t[n].name = rows[i].name; \
		t[n].test_func = fn; \
		t[n].initial_state = (void *)(uintptr_t)&rows[i]; \
		n++; \
	}
	ADD(canon_cases, test_canon);
	ADD(chunk_cases, test_canon_chunks);
	ADD(sig_cases, test_sig);
	ADD(key_cases, test_key);
	ADD(verify_cases, test_verify);
	for (size_t i = 0; i < NROWS(misc); i++)
		t[n++] = misc[i];
	rc = _cmocka_run_group_tests("dkim", t, n, setup_keys, teardown_keys);
	free(t);
	return rc;
}
