/* test_verify.c - the verify session: the streaming calls give the same
 * results as the one-call form whatever the chunking; envelope rules
 * (RFC 7208 §2.4 null path, SPF not evaluated without an IP); forged
 * Authentication-Results (RFC 8601 §5) positions; the envelope read back
 * from Return-Path and Received (RFC 5321 §4.4); argument errors.
 *
 * Keys are generated per run and served from the in-memory zone.
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
#include "inkan/dkim.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/verify.h"

static struct inkan_zone *zone;
static struct inkan_resolver *res;
static struct inkan_dkim_key *key;
static char *signed_msg;
static size_t signed_len;

static const char plain[] =
    "Received: from mail.example.com (mail.example.com [192.0.2.1])\r\n"
    "\tby mx.example.org (Postfix) with ESMTPS id 1; Thu, 26 Nov 2026 01:00:01 +0000\r\n"
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: chunks\r\n"
    "Authentication-Results: other.example; dkim=pass\r\n"
    "Authentication-Results: MX.example.org; dmarc=pass\r\n"
    "\r\n"
    "Line one  with  spaces\r\n"
    "\tline two\r\n"
    "\r\n"
    "\r\n";

static int
setup(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *why = NULL;
	const char *fields, *w;

	(void)state;
	if (a == NULL || inkan_zone_new(&zone) != 0 || inkan_resolver_zone_new(zone, &res) != 0 ||
	    inkan_dkim_key_generate("ed25519", 0, &key) != 0)
		return -1;
	char *rec = inkan_dkim_key_record(key, a);
	char *line = inkan_arena_printf(a, "s._domainkey.example.com. 300 IN TXT \"%s\"", rec);
	if (inkan_zone_add_text(zone, line, &why) != 0 ||
	    inkan_zone_add_text(zone, "example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
	    &why) != 0 ||
	    inkan_zone_add_text(zone, "mail.example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.1 -all\"",
	    &why) != 0 ||
	    inkan_zone_add_text(zone, "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject\"",
	    &why) != 0)
		return -1;
	struct inkan_dkim_sign_opts so = { .domain = "example.com", .selector = "s",
		.hdr_canon = INKAN_DKIM_RELAXED, .body_canon = INKAN_DKIM_RELAXED };
	if (inkan_dkim_sign_message(a, &key, 1, &so, plain, sizeof(plain) - 1, &fields, &w) != 0)
		return -1;
	signed_len = strlen(fields) + sizeof(plain) - 1;
	signed_msg = malloc(signed_len + 1);
	memcpy(signed_msg, fields, strlen(fields));
	memcpy(signed_msg + strlen(fields), plain, sizeof(plain));
	inkan_arena_free(a);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(signed_msg);
	inkan_dkim_key_free(key);
	inkan_resolver_free(res);
	inkan_zone_free(zone);
	return 0;
}

static const struct inkan_verify_opts vopts = { .authserv_id = "mx.example.org" };

/* Feed msg through the streaming calls: header fields as they are split
 * by CRLF (continuations joined), the body in chunks of size step. */
static void
stream(struct inkan_arena *a, const char *msg, size_t len, size_t step,
    const struct inkan_verify_envelope *env, struct inkan_verify_result *out)
{
	struct inkan_verify *v;
	assert_int_equal(inkan_verify_new(res, a, &vopts, &v), 0);
	if (env != NULL)
		assert_int_equal(inkan_verify_envelope(v, env), 0);
	const char *p = msg, *end = msg + len;
	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		const char *s = p;
		do {
			p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
		} while (p < end && (*p == ' ' || *p == '\t'));
		assert_int_equal(inkan_verify_header(v, s, (size_t)(p - s)), 0);
	}
	p += 2;
	while (p < end) {
		size_t n = (size_t)(end - p) < step ? (size_t)(end - p) : step;
		assert_int_equal(inkan_verify_body(v, p, n), 0);
		p += n;
	}
	assert_int_equal(inkan_verify_end(v, out), 0);
	inkan_verify_free(v);
}

static void
test_chunking(void **state)
{
	(void)state;
	struct inkan_verify_envelope env = { .has_ip = true, .mail_from = "alice@example.com" };
	assert_int_equal(inkan_ip_parse("192.0.2.7", 9, &env.ip), 0);

	struct inkan_arena *a = inkan_arena_new();
	struct inkan_verify_result whole;
	assert_int_equal(inkan_verify_message(res, a, &vopts, &env, signed_msg, signed_len,
	    &whole), 0);
	assert_int_equal(whole.dkim.overall, INKAN_DKIM_PASS);
	assert_int_equal(whole.spf.result, INKAN_SPF_PASS);
	assert_int_equal(whole.dmarc.result, INKAN_DMARC_PASS);
	assert_int_equal(whole.disposition, INKAN_DMARC_P_NONE);
	/* 1, 2, 3 bytes split CR from LF and WSP runs across chunks. */
	static const size_t steps[] = { 1, 2, 3, 7, 64, 100000 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct inkan_arena *b = inkan_arena_new();
		struct inkan_verify_result r;
		stream(b, signed_msg, signed_len, steps[i], &env, &r);
		assert_int_equal(r.dkim.overall, INKAN_DKIM_PASS);
		assert_int_equal(r.dmarc.result, whole.dmarc.result);
		assert_string_equal(r.authres, whole.authres);
		inkan_arena_free(b);
	}
	inkan_arena_free(a);
}

static void
test_forged(void **state)
{
	(void)state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_verify_result r;
	assert_int_equal(inkan_verify_message(res, a, &vopts, NULL, signed_msg, signed_len, &r), 0);
	/* Our id, in another case, on the second A-R field (RFC 8601 §5). */
	assert_int_equal(r.nforged, 1);
	assert_int_equal(r.forged[0], 2);
	/* No IP: SPF not evaluated, not guessed; DKIM alone aligns. */
	assert_false(r.spf_evaluated);
	assert_non_null(r.spf_skipped);
	assert_int_equal(r.dmarc.result, INKAN_DMARC_PASS);
	assert_null(strstr(r.authres, "spf="));
	assert_non_null(strstr(r.authres_field, "Authentication-Results: mx.example.org;"));
	inkan_arena_free(a);
}

static void
test_null_path(void **state)
{
	(void)state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_verify_envelope env = { .has_ip = true, .mail_from = "<>",
		.helo = "mail.example.com" };
	struct inkan_verify_result r;
	assert_int_equal(inkan_ip_parse("192.0.2.1", 9, &env.ip), 0);
	assert_int_equal(inkan_verify_message(res, a, &vopts, &env, plain, sizeof(plain) - 1, &r),
	    0);
	/* RFC 7208 §2.4: postmaster@HELO is checked; the identity is HELO. */
	assert_true(r.spf_evaluated);
	assert_int_equal(r.spf.result, INKAN_SPF_PASS);
	assert_string_equal(r.spf.identity, "helo");
	assert_non_null(strstr(r.authres, "smtp.helo=mail.example.com"));
	/* From example.com, SPF for mail.example.com: relaxed alignment. */
	assert_int_equal(r.dmarc.result, INKAN_DMARC_PASS);
	inkan_arena_free(a);
}

static void
test_infer(void **state)
{
	(void)state;
	static const char m[] =
	    "Return-Path: <bounce@example.com>\n"
	    "Received: from helo.example.net (rdns.example.net [IPv6:2001:db8::25])\n"
	    "\tby mx.example.org; Thu, 26 Nov 2026 01:00:01 +0000\n"
	    "Received: from evil.example ([203.0.113.66]) by helo.example.net\n"
	    "Return-Path: <older@example.net>\n"
	    "From: a@example.com\n\nbody\n";
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_verify_envelope e;
	char buf[64];
	assert_int_equal(inkan_verify_infer_envelope(a, m, sizeof(m) - 1, &e), 0);
	assert_int_equal(e.source, INKAN_VERIFY_ENV_INFERRED);
	assert_string_equal(e.mail_from, "bounce@example.com");
	assert_string_equal(e.helo, "helo.example.net");
	assert_true(e.has_ip);
	assert_string_equal(inkan_ip_format(&e.ip, buf, sizeof(buf)), "2001:db8::25");
	/* Nothing to go on: unknown, not invented. */
	assert_int_equal(inkan_verify_infer_envelope(a, "From: a@b\n\nx\n", 12, &e), 0);
	assert_int_equal(e.source, INKAN_VERIFY_ENV_NONE);
	assert_false(e.has_ip);
	assert_null(e.mail_from);
	inkan_arena_free(a);
}

static void
test_errors(void **state)
{
	(void)state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_verify *v = NULL;
	struct inkan_verify_opts o = { 0 };
	assert_int_equal(inkan_verify_new(res, a, &o, &v), INKAN_EINVAL);
	assert_null(v);
	assert_int_equal(inkan_verify_new(res, a, &vopts, &v), 0);
	assert_int_equal(inkan_verify_body(v, "x\r\n", 3), 0);
	/* A header field after the body is a caller error. */
	assert_int_equal(inkan_verify_header(v, "X: y", 4), INKAN_EINVAL);
	struct inkan_verify_envelope env = { 0 };
	assert_int_equal(inkan_verify_envelope(v, &env), INKAN_EINVAL);
	inkan_verify_free(v);
	inkan_verify_free(NULL);
	/* A malformed header: an error, not a verdict. */
	struct inkan_verify_result r;
	assert_int_equal(inkan_verify_message(res, a, &vopts, NULL, "no colon\r\n\r\nx", 13, &r),
	    INKAN_EMALFORMED);
	inkan_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_null_path),
		cmocka_unit_test(test_infer),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
