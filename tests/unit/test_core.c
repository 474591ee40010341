/* test_core.c - arena, buffers, tag=value lists, domain names, IP/CIDR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/tagvalue.h"

/* ---- arena ---- */

static void
test_arena_alignment_and_growth(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *prev = NULL;

	(void)state;
	assert_non_null(a);
	for (int i = 1; i < 2000; i++) {
		char *p = inkan_arena_alloc(a, (size_t)(i % 97) + 1);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, (size_t)(i % 97) + 1);
		assert_ptr_not_equal(p, prev);
		prev = p;
	}
	/* a request larger than any block still succeeds */
	assert_non_null(inkan_arena_alloc(a, 1 << 20));
	inkan_arena_reset(a);
	assert_int_equal(inkan_arena_used(a), 0);
	assert_string_equal(inkan_arena_printf(a, "%s-%d", "x", 42), "x-42");
	inkan_arena_free(a);
}

static void
test_arena_max(void **state)
{
	struct inkan_arena *a = inkan_arena_new_max(1000);

	(void)state;
	assert_non_null(inkan_arena_alloc(a, 500));
	assert_null(inkan_arena_alloc(a, 600));	/* over the maximum: refused */
	assert_non_null(inkan_arena_alloc(a, 100));
	assert_null(inkan_arena_alloc(a, SIZE_MAX));	/* overflow guarded */
	inkan_arena_free(a);
}

static void
test_arena_long_printf(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char big[1000];
	char *s;

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = inkan_arena_printf(a, "<%s>", big);
	assert_int_equal(strlen(s), 1001);
	assert_int_equal(s[0], '<');
	assert_int_equal(s[1000], '>');
	inkan_arena_free(a);
}

/* ---- buf ---- */

static void
test_buf_bounded(void **state)
{
	struct inkan_buf b;

	(void)state;
	inkan_buf_init(&b, 10);
	assert_int_equal(inkan_buf_puts(&b, "hello"), 0);
	assert_int_equal(inkan_buf_printf(&b, "%d", 1234), 0);
	assert_string_equal(inkan_buf_cstr(&b), "hello1234");
	/* growth past the maximum is an error, sticky, and nothing is cut */
	assert_int_equal(inkan_buf_puts(&b, "xx"), INKAN_ETOOBIG);
	assert_int_equal(inkan_buf_putc(&b, 'y'), INKAN_ETOOBIG);
	assert_string_equal(inkan_buf_cstr(&b), "hello1234");
	inkan_buf_reset(&b);
	assert_int_equal(inkan_buf_puts(&b, "0123456789"), 0);
	assert_int_equal(b.len, 10);
	inkan_buf_free(&b);
	assert_string_equal(inkan_buf_cstr(&b), "");
}

static void
test_slices(void **state)
{
	(void)state;
	assert_true(inkan_slice_caseeq_cstr(INKAN_SLICE("V=SPF1"), "v=spf1"));
	assert_false(inkan_slice_caseeq_cstr(INKAN_SLICE("v=spf"), "v=spf1"));
	struct inkan_slice t = inkan_slice_trim(INKAN_SLICE(" \t a b \r\n"));

	assert_int_equal(t.len, 3);
	assert_memory_equal(t.p, "a b", 3);
}

/* ---- tag=value (RFC 6376 §3.2) ---- */

struct tv_case {
	const char *name;
	const char *in;
	unsigned flags;
	int rc;
	size_t ntags;
	const char *tag, *value;	/* one tag to look at */
	size_t err_offset;
};

static const struct tv_case tv_cases[] = {
	{ "simple", "v=DKIM1; k=rsa; p=abc", 0, 0, 3, "p", "abc", 0 },
	{ "trailing semicolon", "v=1;", 0, 0, 1, "v", "1", 0 },
	{ "empty list", "", 0, 0, 0, NULL, NULL, 0 },
	{ "empty value", "p=", 0, 0, 1, "p", "", 0 },
	{ "fws around", " a = 1 ;\r\n\tb\t=\t2\r\n ", 0, 0, 2, "b", "2", 0 },
	{ "inner fws kept", "b=ab cd\r\n ef; x=1", 0, 0, 2, "b", "ab cd\r\n ef", 0 },
	{ "empty specs skipped", "v=DMARC1;; p=none; ;", 0, 0, 2, "p", "none", 0 },
	{ "duplicate tag", "a=1; b=2; a=3", 0, INKAN_EMALFORMED, 0, NULL, NULL, 10 },
	{ "duplicate allowed", "a=1; a=3", INKAN_TV_ALLOW_DUP, 0, 2, "a", "1", 0 },
	{ "case-sensitive names", "a=1; A=2", 0, 0, 2, "A", "2", 0 },
	{ "no equals", "v=1; k", 0, INKAN_EMALFORMED, 0, NULL, NULL, 6 },
	{ "name with digit first", "1a=2", 0, INKAN_EMALFORMED, 0, NULL, NULL, 0 },
	{ "bad char in name", "a-b=1", 0, INKAN_EMALFORMED, 0, NULL, NULL, 1 },
	{ "underscore in name", "a_b=1", 0, 0, 1, "a_b", "1", 0 },
	{ "bare CRLF", "a=1;\r\nb=2", 0, INKAN_EMALFORMED, 0, NULL, NULL, 4 },
	{ "control char", "a=1\x01", 0, INKAN_EMALFORMED, 0, NULL, NULL, 3 },
};

static void
test_tagvalue_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tv_cases) / sizeof(tv_cases[0]); i++) {
		const struct tv_case *c = &tv_cases[i];
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_taglist l;
		struct inkan_tv_error err = { 0, NULL };
		int rc = inkan_tv_parse(a, c->in, strlen(c->in), c->flags, &l, &err);

		if (rc != c->rc)
			fail_msg("%s: wanted rc %d, got %d (%s)", c->name, c->rc, rc,
			    err.why ? err.why : "");
		if (rc == 0) {
			if (l.n != c->ntags)
				fail_msg("%s: wanted %zu tags, got %zu", c->name, c->ntags, l.n);
			if (c->tag != NULL) {
				const struct inkan_tag *t = inkan_tv_get(&l, c->tag);

				if (t == NULL || t->value.len != strlen(c->value) ||
				    memcmp(t->value.p, c->value, t->value.len) != 0)
					fail_msg("%s: tag %s: wanted '%s'", c->name, c->tag,
					    c->value);
			}
		} else if (err.offset != c->err_offset || err.why == NULL) {
			fail_msg("%s: wanted error at %zu, got %zu", c->name, c->err_offset,
			    err.offset);
		}
		inkan_arena_free(a);
	}
}

static void
test_tagvalue_limit(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_buf b;
	struct inkan_taglist l;

	(void)state;
	inkan_buf_init(&b, 0);
	for (int i = 0; i < 65; i++)
		inkan_buf_printf(&b, "t%d=1;", i);
	assert_int_equal(inkan_tv_parse(a, b.p, b.len, 0, &l, NULL), INKAN_ELIMIT);
	inkan_buf_free(&b);
	inkan_arena_free(a);
}

/* ---- domain names ---- */

struct dname_case {
	const char *name;
	const char *in;
	unsigned flags;
	bool ok;
};

#define L63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"

static const struct dname_case dname_cases[] = {
	{ "plain", "example.com", INKAN_DNAME_MULTILABEL, true },
	{ "trailing dot", "example.com.", INKAN_DNAME_MULTILABEL, true },
	{ "single label", "localhost", INKAN_DNAME_MULTILABEL, false },
	{ "single label allowed", "localhost", 0, true },
	{ "empty label", "a..example", 0, false },
	{ "leading dot", ".example", 0, false },
	{ "empty", "", 0, false },
	{ "root", ".", 0, false },
	{ "label 63", L63 ".com", 0, true },
	{ "label 64", L63 "x.com", 0, false },
	{ "hyphen edge", "-a.example", INKAN_DNAME_HOSTNAME, false },
	{ "underscore host", "_dmarc.example", INKAN_DNAME_HOSTNAME, false },
	{ "underscore service", "_dmarc.example", INKAN_DNAME_HOSTNAME | INKAN_DNAME_UNDERSCORE,
	    true },
	{ "underscore free", "_spf.example", 0, true },
	{ "space", "a b.example", 0, false },
	{ "253 chars", L63 "." L63 "." L63 "." "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij12345678901", 0, true },
	{ "254 chars", L63 "." L63 "." L63 "." "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123456789012", 0, false },
};

static void
test_dname_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dname_cases) / sizeof(dname_cases[0]); i++) {
		const struct dname_case *c = &dname_cases[i];
		const char *why = NULL;
		int rc = inkan_dname_check(c->in, strlen(c->in), c->flags, &why);

		if ((rc == 0) != c->ok)
			fail_msg("%s: wanted %s, got rc %d (%s)", c->name, c->ok ? "ok" : "error",
			    rc, why ? why : "");
		if (rc != 0 && why == NULL)
			fail_msg("%s: no reason given", c->name);
	}
}

static void
test_dname_compare(void **state)
{
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	assert_true(inkan_dname_equal("Example.COM.", 12, "example.com", 11));
	assert_false(inkan_dname_equal("example.co", 10, "example.com", 11));
	assert_true(inkan_dname_is_sub("mail.example.com", 16, "EXAMPLE.com", 11));
	assert_true(inkan_dname_is_sub("example.com", 11, "example.com.", 12));
	assert_false(inkan_dname_is_sub("badexample.com", 14, "example.com", 11));
	assert_int_equal(inkan_dname_labels("a.b.c.", 6), 3);
	assert_string_equal(inkan_dname_lower(a, "MiXeD.Example.", 14), "mixed.example");
	inkan_arena_free(a);
}

static void
test_dname_idna(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *out = NULL;
	const char *why = NULL;

	(void)state;
	/* "bücher.example" -> xn--bcher-kva.example (RFC 3492 / IDNA2008) */
	assert_int_equal(inkan_dname_to_ascii(a, "b\xc3\xbc" "cher.example", 15, &out, &why), 0);
	assert_string_equal(out, "xn--bcher-kva.example");
	assert_int_equal(inkan_dname_to_unicode(a, "xn--bcher-kva.example", 21, &out, &why), 0);
	assert_string_equal(out, "b\xc3\xbc" "cher.example");
	assert_int_equal(inkan_dname_to_ascii(a, "ASCII.Example", 13, &out, &why), 0);
	assert_string_equal(out, "ascii.example");
	/* invalid UTF-8 is refused with a reason */
	assert_int_equal(inkan_dname_to_ascii(a, "\xff\xfe.example", 10, &out, &why),
	    INKAN_EMALFORMED);
	assert_non_null(why);
	inkan_arena_free(a);
}

/* ---- IP / CIDR ---- */

struct cidr_case {
	const char *in;
	int family;
	bool ok;
	unsigned prefix;
};

static const struct cidr_case cidr_cases[] = {
	{ "192.0.2.0/24", 4, true, 24 },
	{ "192.0.2.1", 4, true, 32 },
	{ "192.0.2.0/0", 4, true, 0 },
	{ "192.0.2.0/33", 4, false, 0 },
	{ "192.0.2.0/024", 4, false, 0 },	/* RFC 7208 §12: no leading zero */
	{ "192.0.2.0/", 4, false, 0 },
	{ "192.0.2", 4, false, 0 },
	{ "2001:db8::/32", 6, true, 32 },
	{ "2001:db8::/129", 6, false, 0 },
	{ "2001:db8::1", 4, false, 0 },		/* family mismatch */
	{ "::ffff:192.0.2.1", 6, true, 128 },
	{ "1.2.3.4/3a", 0, false, 0 },
};

static void
test_cidr_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
		const struct cidr_case *c = &cidr_cases[i];
		struct inkan_cidr cidr;
		int rc = inkan_cidr_parse(c->in, strlen(c->in), c->family, &cidr);

		if ((rc == 0) != c->ok)
			fail_msg("%s: wanted %s, got %d", c->in, c->ok ? "ok" : "error", rc);
		if (rc == 0 && cidr.prefix != c->prefix)
			fail_msg("%s: wanted /%u, got /%u", c->in, c->prefix, cidr.prefix);
	}
}

static void
test_ip_match_and_names(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_ip x, y;
	char buf[INKAN_IP_STRLEN];

	(void)state;
	assert_int_equal(inkan_ip_parse("192.0.2.130", 11, &x), 0);
	assert_int_equal(inkan_ip_parse("192.0.2.129", 11, &y), 0);
	assert_true(inkan_ip_match(&x, &y, 25));
	assert_false(inkan_ip_match(&x, &y, 31));
	assert_true(inkan_ip_match(&x, &y, 0));
	assert_string_equal(inkan_ip_reverse_name(a, &x), "130.2.0.192.in-addr.arpa");
	assert_string_equal(inkan_ip_dotted(a, &x), "192.0.2.130");

	assert_int_equal(inkan_ip_parse("2001:db8::cb01", 14, &x), 0);
	/* RFC 7208 §7.4 example: %{ir} of 2001:db8::cb01 */
	assert_string_equal(inkan_ip_dotted(a, &x),
	    "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
	assert_string_equal(inkan_ip_reverse_name(a, &x),
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_false(inkan_ip_match(&x, &y, 0));	/* families differ */

	assert_int_equal(inkan_ip_parse("::ffff:192.0.2.5", 16, &x), 0);
	assert_true(inkan_ip_unmap(&x));
	assert_int_equal(x.family, 4);
	assert_string_equal(inkan_ip_format(&x, buf, sizeof(buf)), "192.0.2.5");
	assert_int_equal(inkan_ip_parse("1.2.3.4\0", 8, &x), INKAN_EMALFORMED);
	assert_int_equal(inkan_ip_parse("01.2.3.4", 8, &x), INKAN_EMALFORMED);
	inkan_arena_free(a);
}

static void
test_strerror(void **state)
{
	(void)state;
	for (int e = 0; e >= INKAN_EDUP; e--)
		assert_string_not_equal(inkan_strerror(e), "unknown error");
	assert_string_equal(inkan_strerror(-999), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_alignment_and_growth),
		cmocka_unit_test(test_arena_max),
		cmocka_unit_test(test_arena_long_printf),
		cmocka_unit_test(test_buf_bounded),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_tagvalue_table),
		cmocka_unit_test(test_tagvalue_limit),
		cmocka_unit_test(test_dname_check_table),
		cmocka_unit_test(test_dname_compare),
		cmocka_unit_test(test_dname_idna),
		cmocka_unit_test(test_cidr_table),
		cmocka_unit_test(test_ip_match_and_names),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
