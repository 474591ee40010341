/* test_msg.c - the RFC 5322 message parser: fields, folding, LF -> CRLF,
 * chunking, limits and malformed headers.
 *
 * Each row is parsed twice, in one call and fed one byte at a time, and
 * both must give the wanted fields and body: chunk boundaries must not
 * change what DKIM would hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/msg.h"

struct msg_case {
	const char *name;
	const char *in;
	size_t max_fields, max_header;	/* 0 = default */
	int rc;
	/* wanted fields "name|unfolded value|raw" separated by "\n", or NULL */
	const char *fields[6];
	const char *body;
};

static const struct msg_case msg_cases[] = {
	{ "CRLF message", "From: a@example.com\r\nTo: b@example.com\r\n\r\nHi.\r\n", 0, 0, 0,
	    { "From|a@example.com|From: a@example.com\r\n",
	      "To|b@example.com|To: b@example.com\r\n" }, "Hi.\r\n" },
	{ "LF-only message becomes CRLF", "From: a\nSubject: x\n\nline 1\nline 2\n", 0, 0, 0,
	    { "From|a|From: a\r\n", "Subject|x|Subject: x\r\n" }, "line 1\r\nline 2\r\n" },
	{ "folded field unfolds (RFC 5322 §2.2.3)",
	    "Subject: one\r\n two\r\n\tthree \r\n\r\n", 0, 0, 0,
	    { "Subject|one two\tthree|Subject: one\r\n two\r\n\tthree \r\n" }, "" },
	{ "WSP before the colon is not part of the name", "Subject  : x\r\n\r\nb", 0, 0, 0,
	    { "Subject|x|Subject  : x\r\n" }, "b" },
	{ "no body, no empty line", "From: a\r\nTo: b", 0, 0, 0,
	    { "From|a|From: a\r\n", "To|b|To: b\r\n" }, "" },
	{ "empty body after the empty line", "From: a\r\n\r\n", 0, 0, 0,
	    { "From|a|From: a\r\n" }, "" },
	{ "bare CR in the body is kept", "From: a\r\n\r\na\rb\r\n", 0, 0, 0,
	    { "From|a|From: a\r\n" }, "a\rb\r\n" },
	{ "mixed line ends in the body", "From: a\n\nx\r\ny\nz", 0, 0, 0,
	    { "From|a|From: a\r\n" }, "x\r\ny\r\nz" },
	{ "mbox From_ line is skipped", "From me@x Mon Jan 1 00:00:00 2024\nFrom: a\n\nb\n", 0,
	    0, 0, { "From|a|From: a\r\n" }, "b\r\n" },
	{ "From with WSP before the colon is a field, not mbox", "From : a\r\n\r\nb", 0, 0,
	    0, { "From|a|From : a\r\n" }, "b" },
	{ "empty value", "X-Empty:\r\n\r\n", 0, 0, 0, { "X-Empty||X-Empty:\r\n" }, "" },
	{ "continuation before any field", " folded\r\nFrom: a\r\n\r\n", 0, 0,
	    INKAN_EMALFORMED, { NULL }, NULL },
	{ "line without a colon", "From: a\r\nnot a header\r\n\r\n", 0, 0, INKAN_EMALFORMED,
	    { NULL }, NULL },
	{ "space inside a field name", "Bad Name: a\r\n\r\n", 0, 0, INKAN_EMALFORMED, { NULL },
	    NULL },
	{ "field limit", "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 3, 0, INKAN_ELIMIT,
	    { NULL }, NULL },
	{ "field limit exactly reached", "A: 1\r\nB: 2\r\nC: 3\r\n\r\nx", 3, 0, 0,
	    { "A|1|A: 1\r\n", "B|2|B: 2\r\n", "C|3|C: 3\r\n" }, "x" },
	{ "header byte limit", "Subject: 0123456789012345678901234567890123456789\r\n\r\n", 0,
	    40, INKAN_ETOOBIG, { NULL }, NULL },
	{ "header byte limit on an unterminated line",
	    "Subject: 0123456789012345678901234567890123456789", 0, 40, INKAN_ETOOBIG,
	    { NULL }, NULL },
};

static void
check(const struct msg_case *c, const struct inkan_msg_field *f, size_t nf,
    const char *body, size_t blen, const char *how)
{
	size_t want = 0;

	while (want < 6 && c->fields[want] != NULL)
		want++;
	if (nf != want)
		fail_msg("%s (%s): %zu fields, wanted %zu", c->name, how, nf, want);
	for (size_t i = 0; i < nf; i++) {
		char *got;

		if (asprintf(&got, "%.*s|%.*s|%.*s", (int)f[i].name.len, f[i].name.p,
		    (int)f[i].unfolded.len, f[i].unfolded.p, (int)f[i].raw.len,
		    f[i].raw.p) < 0)
			fail();
		if (strcmp(got, c->fields[i]) != 0)
			fail_msg("%s (%s): field %zu\nwanted %s\ngot    %s", c->name, how, i,
			    c->fields[i], got);
		free(got);
		/* the unfolded view is NUL-terminated */
		assert_int_equal(f[i].unfolded.p[f[i].unfolded.len], '\0');
	}
	if (blen != strlen(c->body) || memcmp(body, c->body, blen) != 0)
		fail_msg("%s (%s): body\nwanted [%s]\ngot    [%.*s]", c->name, how, c->body,
		    (int)blen, body);
}

static int
on_body(void *arg, const char *p, size_t n)
{
	return inkan_buf_append(arg, p, n);
}

static void
test_msg(void **state)
{
	const struct msg_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_msg_opts o = { .max_fields = c->max_fields,
		.max_header_bytes = c->max_header };
	struct inkan_msg m;
	int rc = inkan_msg_parse(a, c->in, strlen(c->in), &o, &m);

	if (rc != c->rc)
		fail_msg("%s (whole): rc %s, wanted %s", c->name, inkan_strerror(rc),
		    inkan_strerror(c->rc));
	if (rc == 0)
		check(c, m.fields, m.nfields, m.body.p, m.body.len, "whole");

	/* again, one byte at a time */
	struct inkan_buf body;
	struct inkan_msg_parser *p;

	inkan_buf_init(&body, 0);
	o.on_body = on_body;
	o.arg = &body;
	assert_int_equal(inkan_msg_parser_new(&o, &p), 0);
	rc = 0;
	for (size_t i = 0; c->in[i] != '\0' && rc == 0; i++)
		rc = inkan_msg_feed(p, c->in + i, 1);
	if (rc == 0)
		rc = inkan_msg_end(p);
	if (rc != c->rc)
		fail_msg("%s (bytewise): rc %s, wanted %s", c->name, inkan_strerror(rc),
		    inkan_strerror(c->rc));
	if (rc == 0) {
		size_t nf;
		const struct inkan_msg_field *f = inkan_msg_fields(p, &nf);

		check(c, f, nf, body.len ? body.p : "", body.len, "bytewise");
		assert_true(inkan_msg_in_body(p));
		assert_int_equal(inkan_msg_body_len(p), body.len);
	} else {
		/* the error is sticky */
		assert_int_equal(inkan_msg_feed(p, "x", 1), c->rc);
	}
	inkan_msg_parser_free(p);
	inkan_buf_free(&body);
	inkan_arena_free(a);
}

struct cb_state {
	int fields, header_end, body_calls;
};

static int
cb_field(void *arg, const struct inkan_msg_field *f)
{
	struct cb_state *s = arg;

	assert_int_equal(s->header_end, 0);
	s->fields++;
	return inkan_slice_caseeq_cstr(f->name, "stop") ? INKAN_EINVAL : 0;
}

static int
cb_end(void *arg)
{
	((struct cb_state *)arg)->header_end++;
	return 0;
}

static int
cb_body(void *arg, const char *p, size_t n)
{
	((struct cb_state *)arg)->body_calls++;
	return 0;
}

/* Callbacks come in order; a callback's error stops the parser. */
static void
test_callbacks(void **state)
{
	struct cb_state s = { 0 };
	struct inkan_msg_opts o = { .on_field = cb_field, .on_header_end = cb_end,
		.on_body = cb_body, .arg = &s };
	struct inkan_msg_parser *p;
	const char *m = "A: 1\r\nB: 2\r\n\r\nbody\r\n";

	assert_int_equal(inkan_msg_parser_new(&o, &p), 0);
	assert_int_equal(inkan_msg_feed(p, m, strlen(m)), 0);
	assert_int_equal(inkan_msg_end(p), 0);
	assert_int_equal(s.fields, 2);
	assert_int_equal(s.header_end, 1);
	assert_true(s.body_calls >= 1);
	inkan_msg_parser_free(p);

	memset(&s, 0, sizeof(s));
	assert_int_equal(inkan_msg_parser_new(&o, &p), 0);
	m = "A: 1\r\nStop: here\r\nB: 2\r\n\r\n";
	assert_int_equal(inkan_msg_feed(p, m, strlen(m)), INKAN_EINVAL);
	assert_int_equal(s.fields, 2);
	inkan_msg_parser_free(p);
}

/* CR at the end of one chunk and LF at the start of the next are one line
 * end, not a bare CR plus a converted LF. */
static void
test_crlf_split(void **state)
{
	struct inkan_buf body;
	struct inkan_msg_opts o = { .on_body = on_body, .arg = &body };
	struct inkan_msg_parser *p;

	inkan_buf_init(&body, 0);
	assert_int_equal(inkan_msg_parser_new(&o, &p), 0);
	assert_int_equal(inkan_msg_feed(p, "A: 1\r", 5), 0);
	assert_int_equal(inkan_msg_feed(p, "\n\r\nx\r", 5), 0);
	assert_int_equal(inkan_msg_feed(p, "\ny", 2), 0);
	assert_int_equal(inkan_msg_end(p), 0);
	assert_int_equal(body.len, 4);
	assert_memory_equal(body.p, "x\r\ny", 4);
	inkan_msg_parser_free(p);
	inkan_buf_free(&body);
}

/* The body's LF -> CRLF conversion (a word-at-a-time scan for bare LF)
 * against a byte-by-byte reference, over random bodies cut at random
 * places: an LF after a CR stays, any other LF becomes CRLF, a CR stays
 * whatever follows (msg.h). */
static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
test_body_lf_random(void **state)
{
	static const char bytes[] = { 'a', 'b', '\r', '\n', '\n', ' ', (char)0x8a, (char)0x0a };
	enum { MAXB = 3000 };
	char *in = malloc(MAXB), *want = malloc(2 * MAXB + 16);

	(void)state;
	assert_non_null(in);
	assert_non_null(want);
	for (int iter = 0; iter < 4000; iter++) {
		/* "H: v\r\n\r\n" then the body; mostly text with CRLF, some
		 * bodies with bare LF and CR everywhere */
		size_t n = rng() % (iter % 10 == 0 ? MAXB - 16 : 200), k = 0, w = 0;
		bool noisy = iter % 3 == 0;

		memcpy(in, "H: v\r\n\r\n", 8);
		k = 8;
		while (k < 8 + n && k + 2 <= MAXB) {
			uint32_t x = rng() % 40;

			if (noisy)
				in[k++] = bytes[rng() % sizeof(bytes)];
			else if (x == 0)
				in[k++] = '\n';
			else if (x < 3) {
				in[k++] = '\r';
				in[k++] = '\n';
			} else
				in[k++] = (char)('a' + x % 26);
		}
		for (size_t i = 8; i < k; i++) {
			if (in[i] == '\n' && in[i - 1] != '\r')
				want[w++] = '\r';
			want[w++] = in[i];
		}

		struct inkan_buf body;
		struct inkan_msg_opts o = { .on_body = on_body, .arg = &body };
		struct inkan_msg_parser *p;
		size_t at = 0;

		inkan_buf_init(&body, 0);
		assert_int_equal(inkan_msg_parser_new(&o, &p), 0);
		while (at < k) {
			size_t c = iter % 2 ? 1 + rng() % 40 : 1 + rng() % (k + 1);

			if (c > k - at)
				c = k - at;
			assert_int_equal(inkan_msg_feed(p, in + at, c), 0);
			if (rng() % 8 == 0)
				assert_int_equal(inkan_msg_feed(p, in + at + c, 0), 0);
			at += c;
		}
		assert_int_equal(inkan_msg_end(p), 0);
		if (body.len != w || memcmp(body.p ? body.p : "", want, w) != 0)
			fail_msg("random body %d (%zu bytes): converted body differs from the "
			    "reference (%zu bytes, wanted %zu)", iter, k - 8, body.len, w);
		inkan_msg_parser_free(p);
		inkan_buf_free(&body);
	}
	free(in);
	free(want);
}

/* The default limits are those of limits.h. */
static void
test_default_limits(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	size_t n = INKAN_MSG_MAX_FIELDS + 1;
	char *m = malloc(n * 6 + 3), *q = m;
	struct inkan_msg msg;

	for (size_t i = 0; i < n; i++) {
		memcpy(q, "X: 1\r\n", 6);
		q += 6;
	}
	memcpy(q, "\r\n", 3);
	assert_int_equal(inkan_msg_parse(a, m, strlen(m), NULL, &msg), INKAN_ELIMIT);
	assert_int_equal(inkan_msg_parse(a, m + 6, strlen(m + 6), NULL, &msg), 0);
	assert_int_equal(msg.nfields, INKAN_MSG_MAX_FIELDS);
	assert_non_null(inkan_msg_find(msg.fields, msg.nfields, "x"));
	assert_ptr_equal(inkan_msg_find_last(msg.fields, msg.nfields, "X"),
	    &msg.fields[msg.nfields - 1]);
	assert_null(inkan_msg_find(msg.fields, msg.nfields, "From"));
	free(m);
	inkan_arena_free(a);
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_crlf_split),
		cmocka_unit_test(test_body_lf_random),
		cmocka_unit_test(test_default_limits),
	};
	size_t nrows = sizeof(msg_cases) / sizeof(msg_cases[0]);
	size_t nmisc = sizeof(misc) / sizeof(misc[0]), n = 0;
	struct CMUnitTest *t = calloc(nrows + nmisc, sizeof(*t));
	int rc;

	if (t == NULL)
		return 1;
	for (size_t i = 0; i < nrows; i++) {
		t[n].name = msg_cases[i].name;
		t[n].test_func = test_msg;
		t[n].initial_state = (void *)(uintptr_t)&msg_cases[i];
		n++;
	}
	for (size_t i = 0; i < nmisc; i++)
		t[n++] = misc[i];
	rc = _cmocka_run_group_tests("msg", t, n, NULL, NULL);
	free(t);
	return rc;
}
