/* test_authres.c - Authentication-Results (RFC 8601): parsing (strict and
 * lenient), writing with quoting, comments and folding, the authserv-id
 * check of RFC 8601 §5, and the limits.
 *
 * A parse is compared through a one-line rendering of the struct:
 *   "<id>[ v<n>][ none]" then per result
 *   " | method[/v]=result[ (comment)][ reason=<r>][ ptype.property=<value>]..."
 * with values between <> so that quoting mistakes show.  Expected texts
 * are written from the RFC grammar and examples, not from our output.
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
#include "inkan/authres.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"

/* ---- helpers ---- */

static void
render(const struct inkan_authres *ar, struct inkan_buf *b)
{
	inkan_buf_puts(b, ar->authserv_id);
	if (ar->version)
		inkan_buf_printf(b, " v%d", ar->version);
	if (ar->none)
		inkan_buf_puts(b, " none");
	for (size_t i = 0; i < ar->nresults; i++) {
		const struct inkan_authres_result *r = &ar->results[i];

		inkan_buf_printf(b, " | %s", r->method);
		if (r->version)
			inkan_buf_printf(b, "/%d", r->version);
		inkan_buf_printf(b, "=%s", r->result);
		if (r->comment)
			inkan_buf_printf(b, " (%s)", r->comment);
		if (r->reason)
			inkan_buf_printf(b, " reason=<%s>", r->reason);
		for (size_t k = 0; k < r->nprops; k++)
			inkan_buf_printf(b, " %s.%s=<%s>", r->props[k].ptype, r->props[k].property,
			    r->props[k].value);
	}
}

/* ---- parsing: table ---- */

struct parse_case {
	const char *name;
	const char *in;
	unsigned flags;
	int rc;
	const char *want;	/* rendering (rc 0) or the why text */
};

#define L INKAN_AUTHRES_LENIENT

static const struct parse_case parse_cases[] = {
	/* RFC 8601 appendix B examples */
	{ "B.2 nothing done, version 1", "example.org 1; none", 0, 0, "example.org v1 none" },
	{ "B.3 SPF, folded", "example.com;\r\n          spf=pass smtp.mailfrom=example.net", 0,
	    0, "example.com | spf=pass smtp.mailfrom=<example.net>" },
	{ "B.4 SMTP AUTH with a comment, and SPF",
	    "example.com;\r\n\tauth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
	    "\tspf=pass smtp.mailfrom=example.net", 0, 0,
	    "example.com | auth=pass (cram-md5) smtp.auth=<sender@example.net> | spf=pass "
	    "smtp.mailfrom=<example.net>" },
	{ "B.4 iprev", "example.com; iprev=pass\r\n policy.iprev=192.0.2.200", 0, 0,
	    "example.com | iprev=pass policy.iprev=<192.0.2.200>" },
	{ "B.6 reason as quoted-string, local-part-less address",
	    "example.com;\n dkim=pass reason=\"good signature\"\n"
	    "   header.i=@mail-router.example.net;\n dkim=fail reason=\"bad signature\"\n"
	    "   header.i=@newyork.example.com", 0, 0,
	    "example.com | dkim=pass reason=<good signature> "
	    "header.i=<@mail-router.example.net> | dkim=fail reason=<bad signature> "
	    "header.i=<@newyork.example.com>" },
	{ "B.7 CFWS everywhere (§2.2)",
	    "foo.example.net (foobar) 1 (baz);\n    dkim (Because I like it) / 1 (One yay) = "
	    "(wait for it) fail\n      policy (A dot can go here) . (like that) expired\n"
	    "      (this surprised me) = (as I wasn't expecting it) 1362471462", 0, 0,
	    "foo.example.net v1 | dkim/1=fail policy.expired=<1362471462>" },
	/* §2.2 lexical details */
	{ "authserv-id as quoted-string", "\"mx example\"; none", 0, 0, "mx example none" },
	{ "quoted local-part kept as written",
	    "x.example; spf=pass smtp.mailfrom=\"john q\"@example.com", 0, 0,
	    "x.example | spf=pass smtp.mailfrom=<\"john q\"@example.com>" },
	{ "quoted value unescaped", "x.example; dkim=pass header.b=\"a\\\"b/c\" header.d=d.example",
	    0, 0, "x.example | dkim=pass header.b=<a\"b/c> header.d=<d.example>" },
	{ "quoted value with folding inside", "x.example; dkim=pass reason=\"a\r\n b\"", 0, 0,
	    "x.example | dkim=pass reason=<a b>" },
	{ "names are case-insensitive, values kept",
	    "X.Example; DKIM=Pass Header.D=Example.COM", 0, 0,
	    "X.Example | dkim=pass header.d=<Example.COM>" },
	{ "method version", "x.example; dkim/1=pass", 0, 0, "x.example | dkim/1=pass" },
	{ "first comment after the result kept, unescaped",
	    "x.example; dkim=pass (a \\(b\\) (nested)) (second) header.d=x.example (third)", 0,
	    0, "x.example | dkim=pass (a (b) (nested)) header.d=<x.example>" },
	{ "comment folded inside", "x.example; dkim=pass (2048-bit\r\n key) header.d=x.example",
	    0, 0, "x.example | dkim=pass (2048-bit key) header.d=<x.example>" },
	{ "UTF-8 in a value (RFC 8616 §5)", "x.example; dkim=pass header.i=@b\xc3\xbc" "cher.example",
	    0, 0, "x.example | dkim=pass header.i=<@b\xc3\xbc" "cher.example>" },
	{ "a ';' after the last result", "x.example; spf=pass smtp.mailfrom=a.example;", 0, 0,
	    "x.example | spf=pass smtp.mailfrom=<a.example>" },
	{ "comment after none (trailing CFWS)", "x.example; none (nothing done)", 0, 0,
	    "x.example none" },
	{ "unknown method and result kept (§2.7.6)", "x.example; x-foo=bar-baz smtp.x=1", 0, 0,
	    "x.example | x-foo=bar-baz smtp.x=<1>" },
	{ "token value with dots only", "x.example; dmarc=fail header.from=..net", 0, 0,
	    "x.example | dmarc=fail header.from=<..net>" },
	{ "empty quoted reason", "x.example; spf=pass reason=\"\"", 0, 0,
	    "x.example | spf=pass reason=<>" },
	{ "none in any case", "x.example; NONE", 0, 0, "x.example none" },

	/* strict errors */
	{ "empty field", "", 0, INKAN_EMALFORMED, "no authserv-id" },
	{ "only a comment", "(x.example)", 0, INKAN_EMALFORMED, "no authserv-id" },
	{ "no authserv-id", ";none", 0, INKAN_EMALFORMED, "no authserv-id" },
	{ "empty quoted authserv-id", "\"\"; none", 0, INKAN_EMALFORMED, "empty authserv-id" },
	{ "no results, no none", "x.example", 0, INKAN_EMALFORMED,
	    "expected ';' and \"none\" or a result" },
	{ "';' with nothing after", "x.example;", 0, INKAN_EMALFORMED,
	    "expected \"none\" or a result after ';'" },
	{ "version glued to a quoted id", "\"x\"1; none", 0, INKAN_EMALFORMED,
	    "expected a space between authserv-id and version" },
	{ "unquoted IPv6 address", "x.example; iprev=pass policy.iprev=2001:db8::1", 0,
	    INKAN_EMALFORMED,
	    "property value is neither a token nor an address and is not quoted (RFC 8601 §2.2)" },
	{ "unquoted '/' in header.b", "x.example; dkim=pass header.b=Qgi/FoC0", 0,
	    INKAN_EMALFORMED,
	    "property value is neither a token nor an address and is not quoted (RFC 8601 §2.2)" },
	{ "address domain needs a dot (RFC 6376 §3.5 domain-name)",
	    "x.example; spf=pass smtp.mailfrom=user@localhost", 0, INKAN_EMALFORMED,
	    "property value is neither a token nor an address and is not quoted (RFC 8601 §2.2)" },
	{ "property without ptype", "x.example; spf=pass mailfrom=a.example", 0, INKAN_EMALFORMED,
	    "property without a ptype (RFC 8601 §2.2: ptype.property=value)" },
	{ "reason after the properties", "x.example; spf=pass smtp.mailfrom=a.example reason=x", 0,
	    INKAN_EMALFORMED, "reason= after the properties (RFC 8601 §2.2 puts it first)" },
	{ "reason twice", "x.example; spf=pass reason=a reason=b", 0, INKAN_EMALFORMED,
	    "reason= given twice" },
	{ "reason without value", "x.example; spf=pass reason=", 0, INKAN_EMALFORMED,
	    "expected a value after reason=" },
	{ "unterminated comment", "x.example; spf=pass (oops", 0, INKAN_EMALFORMED,
	    "unterminated comment" },
	{ "unterminated quoted-string", "x.example; spf=pass smtp.mailfrom=\"a", 0,
	    INKAN_EMALFORMED, "unterminated quoted-string" },
	{ "quoted-string ending in a backslash", "\"x.example\\", L, INKAN_EMALFORMED,
	    "unterminated quoted-string" },
	{ "quoted line break (RFC 5322 §3.2.1 quoted-pair)", "x.example; spf=pass (a\\\r\n b)", 0,
	    INKAN_EMALFORMED, "line break after a backslash" },
	{ "lenient: quoted line break unfolds", "x.example; spf=pass (a\\\r\n b)", L, 0,
	    "x.example | spf=pass (a b)" },
	{ "escaped backslash before a fold", "x.example; spf=pass reason=\"a\\\\\r\n b\"", 0, 0,
	    "x.example | spf=pass reason=<a\\ b>" },
	{ "no result", "x.example; spf=", 0, INKAN_EMALFORMED, "expected a result after '='" },
	{ "no method", "x.example; =pass", 0, INKAN_EMALFORMED, "expected a method (method=result)" },
	{ "method not a keyword", "x.example; spf-=pass", 0, INKAN_EMALFORMED,
	    "method is not a keyword" },
	{ "method with '_'", "x.example; s_pf=pass", 0, INKAN_EMALFORMED,
	    "expected '=' after the method" },
	{ "no method version", "x.example; dkim/=pass", 0, INKAN_EMALFORMED,
	    "expected a method version after '/'" },
	{ "version number too long", "x.example; dkim/1234567890=pass", 0, INKAN_EMALFORMED,
	    "version number too long" },
	{ "result after none", "x.example; none; spf=pass", 0, INKAN_EMALFORMED,
	    "unexpected text after \"none\"" },
	{ "empty resinfo", "x.example;; spf=pass", 0, INKAN_EMALFORMED, "empty result (\";;\")" },
	{ "empty property value", "x.example; spf=pass smtp.mailfrom=", 0, INKAN_EMALFORMED,
	    "expected a property value" },
	{ "no property name", "x.example; spf=pass smtp.=a", 0, INKAN_EMALFORMED,
	    "expected a property name after '.'" },
	{ "no '=' after property", "x.example; spf=pass smtp.mailfrom a", 0, INKAN_EMALFORMED,
	    "expected '=' after the property name" },
	{ "control character in a comment", "x.example; spf=pass (a\x01)", 0, INKAN_EMALFORMED,
	    "control character in a comment or quoted-string" },
	{ "junk after the results", "x.example; spf=pass ]", 0, INKAN_EMALFORMED,
	    "expected a property (ptype.property=value)" },

	/* lenient mode */
	{ "lenient: unquoted IPv6", "x.example; iprev=pass policy.iprev=2001:db8::1", L, 0,
	    "x.example | iprev=pass policy.iprev=<2001:db8::1>" },
	{ "lenient: ptype-less properties dropped",
	    "x.example; x-tls=pass version=TLSv1.2 smtp.x=y bits=128/128", L, 0,
	    "x.example | x-tls=pass smtp.x=<y>" },
	{ "lenient: quoted names, \"ptype.property\" split",
	    "\"x.example\"; \"spf\"=\"pass\" \"smtp.mailfrom\"=\"a@b.example\" \"smtp\".\"helo\"=h",
	    L, 0, "x.example | spf=pass smtp.mailfrom=<a@b.example> smtp.helo=<h>" },
	{ "lenient: repeated authserv-id skipped",
	    "x.example; spf=pass; x.example; dkim=pass", L, 0, "x.example | spf=pass | dkim=pass" },
	{ "lenient: result without the first ';'", "x.example from=a.example; dkim=pass", L, 0,
	    "x.example | from=a.example | dkim=pass" },
	{ "lenient: junk word in the version place", "x.example foo;", L, 0, "x.example" },
	{ "lenient: empty result", "x.example; one=; dkim=pass", L, 0,
	    "x.example | one= | dkim=pass" },
	{ "lenient: reason anywhere", "x.example; spf=pass smtp.mailfrom=a reason=r", L, 0,
	    "x.example | spf=pass reason=<r> smtp.mailfrom=<a>" },
	{ "lenient: control character in a comment", "x.example; spf=pass (a\x01)", L, 0,
	    "x.example | spf=pass (a\x01)" },
	{ "lenient: ';;'", "x.example;; spf=pass", L, 0, "x.example | spf=pass" },
	{ "lenient still rejects '= ='", "x.example; foo = = bar;", L, INKAN_EMALFORMED,
	    "expected a property (ptype.property=value)" },
	{ "lenient still rejects 'id foo bar = x'", "x.example foo bar = test;", L,
	    INKAN_EMALFORMED, "unexpected text after the authserv-id" },
	{ "lenient still rejects an unterminated comment", "x.example; spf=pass (", L,
	    INKAN_EMALFORMED, "unterminated comment" },
	{ "lenient still rejects no authserv-id", "; spf=pass", L, INKAN_EMALFORMED,
	    "no authserv-id" },
};

static void
test_parse_table(void **state)
{
	int fails = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_authres ar;
		const char *why = "unset";
		struct inkan_buf b;
		int rc = inkan_authres_parse(a, t->in, strlen(t->in), t->flags, &ar, &why);

		inkan_buf_init(&b, 0);
		if (rc == 0)
			render(&ar, &b);
		if (rc != t->rc) {
			fprintf(stderr, "# %s: want rc %d, got %d (%s) [%s]\n", t->name, t->rc, rc,
			    why ? why : "", inkan_buf_cstr(&b));
			fails++;
		} else if (rc == 0 && (why != NULL || strcmp(inkan_buf_cstr(&b), t->want) != 0)) {
			fprintf(stderr, "# %s:\n#  want [%s]\n#  got  [%s]\n", t->name, t->want,
			    inkan_buf_cstr(&b));
			fails++;
		} else if (rc != 0 && (why == NULL || strcmp(why, t->want) != 0)) {
			fprintf(stderr, "# %s: want why \"%s\", got \"%s\"\n", t->name, t->want,
			    why ? why : "(null)");
			fails++;
		}
		inkan_buf_free(&b);
		inkan_arena_free(a);
	}
	assert_int_equal(fails, 0);
}

/* Strict acceptance implies lenient acceptance with the same result. */
static void
test_lenient_superset(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_authres s, l;
		struct inkan_buf bs, bl;

		if (t->flags != 0 || t->rc != 0) {
			inkan_arena_free(a);
			continue;
		}
		assert_int_equal(inkan_authres_parse(a, t->in, strlen(t->in), 0, &s, NULL), 0);
		assert_int_equal(inkan_authres_parse(a, t->in, strlen(t->in), L, &l, NULL), 0);
		inkan_buf_init(&bs, 0);
		inkan_buf_init(&bl, 0);
		render(&s, &bs);
		render(&l, &bl);
		if (strcmp(inkan_buf_cstr(&bs), inkan_buf_cstr(&bl)) != 0)
			fail_msg("%s: strict [%s] lenient [%s]", t->name, bs.p, bl.p);
		inkan_buf_free(&bs);
		inkan_buf_free(&bl);
		inkan_arena_free(a);
	}
}

static void
test_parse_args(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_authres ar;
	const char *why;

	(void)state;
	assert_int_equal(inkan_authres_parse(NULL, "x; none", 7, 0, &ar, &why), INKAN_EINVAL);
	assert_non_null(why);
	assert_int_equal(inkan_authres_parse(a, "x; none", 7, 0, NULL, NULL), INKAN_EINVAL);
	assert_int_equal(inkan_authres_parse(a, NULL, 3, 0, &ar, NULL), INKAN_EINVAL);
	/* why may be NULL; a value is a slice, not a C string */
	assert_int_equal(inkan_authres_parse(a, "x; none GARBAGE", 7, 0, &ar, NULL), 0);
	assert_true(ar.none);
	/* a NUL inside the slice is an error, not the end */
	assert_int_equal(inkan_authres_parse(a, "x; spf=pass (a\0b)", 17, L, &ar, &why),
	    INKAN_EMALFORMED);
	assert_string_equal(why, "NUL octet in the field");
	inkan_arena_free(a);
}

/* ---- limits (limits.h) ---- */

static void
test_limits(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_authres ar;
	struct inkan_buf b;
	const char *why;

	(void)state;
	/* results */
	for (int extra = 0; extra <= 1; extra++) {
		inkan_buf_init(&b, 0);
		inkan_buf_puts(&b, "x.example");
		for (int i = 0; i < INKAN_AUTHRES_MAX_RESULTS + extra; i++)
			inkan_buf_puts(&b, "; spf=pass");
		int rc = inkan_authres_parse(a, b.p, b.len, 0, &ar, &why);

		if (extra) {
			assert_int_equal(rc, INKAN_ELIMIT);
			assert_string_equal(why, "too many results in one field");
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(ar.nresults, INKAN_AUTHRES_MAX_RESULTS);
		}
		inkan_buf_free(&b);
	}
	/* properties */
	for (int extra = 0; extra <= 1; extra++) {
		inkan_buf_init(&b, 0);
		inkan_buf_puts(&b, "x.example; spf=pass");
		for (int i = 0; i < INKAN_AUTHRES_MAX_PROPS + extra; i++)
			inkan_buf_printf(&b, " smtp.p%d=v", i);
		int rc = inkan_authres_parse(a, b.p, b.len, 0, &ar, &why);

		assert_int_equal(rc, extra ? INKAN_ELIMIT : 0);
		if (!extra)
			assert_int_equal(ar.results[0].nprops, INKAN_AUTHRES_MAX_PROPS);
		inkan_buf_free(&b);
	}
	/* comment nesting */
	for (int extra = 0; extra <= 1; extra++) {
		int d = INKAN_AUTHRES_MAX_COMMENT_DEPTH + extra;

		inkan_buf_init(&b, 0);
		inkan_buf_puts(&b, "x.example; spf=pass ");
		for (int i = 0; i < d; i++)
			inkan_buf_putc(&b, '(');
		for (int i = 0; i < d; i++)
			inkan_buf_putc(&b, ')');
		assert_int_equal(inkan_authres_parse(a, b.p, b.len, 0, &ar, &why),
		    extra ? INKAN_ELIMIT : 0);
		inkan_buf_free(&b);
	}
	/* length */
	inkan_buf_init(&b, 0);
	inkan_buf_puts(&b, "x.example; spf=pass (");
	while (b.len < INKAN_AUTHRES_MAX_VALUE)
		inkan_buf_putc(&b, 'c');
	inkan_buf_putc(&b, ')');
	assert_int_equal(inkan_authres_parse(a, b.p, b.len, 0, &ar, &why), INKAN_ETOOBIG);
	assert_string_equal(why, "field value too long");
	inkan_buf_free(&b);
	inkan_arena_free(a);
}

/* ---- writing ---- */

#define P(t, n, v) { (t), (n), (v) }

static struct inkan_authres_prop spf_props[] = {
	P("smtp", "mailfrom", "sender@example.net"), P("smtp", "helo", "mail.example.net"),
};
static struct inkan_authres_prop dkim_props[] = {
	P("header", "d", "example.net"), P("header", "s", "sel1"), P("header", "a", "rsa-sha256"),
	P("header", "b", "Qgi/FoC0"), P("header", "i", "@example.net"),
};
static struct inkan_authres_prop dmarc_props[] = {
	P("header", "from", "example.com"), P("policy", "dmarc", "reject"),
	P("policy", "applied-disposition", "quarantine"),
};
static struct inkan_authres_prop arc_props[] = {
	P("header", "oldest-pass", "0"), P("smtp", "remote-ip", "192.0.2.1"),
};
static struct inkan_authres_prop iprev_props[] = { P("policy", "iprev", "2001:db8::1") };
static struct inkan_authres_prop odd_props[] = {
	P("header", "b", "a\"b\\c"), P("header", "x", ""), P("header", "y", "two words"),
	P("smtp", "mailfrom", "john smith@example.com"), P("smtp", "z", "user@localhost"),
	P("header", "u", "@b\xc3\xbc" "cher.example"), P("header", "v", "..net"),
};

#define R(m, res, props) { (m), 0, (res), NULL, NULL, (props), \
	sizeof(props) / sizeof((props)[0]) }

static struct inkan_authres_result spf_r[] = { R("spf", "pass", spf_props) };
static struct inkan_authres_result dkim_r[] = {
	{ "dkim", 0, "pass", NULL, "2048-bit key", dkim_props, 5 },
};
static struct inkan_authres_result dmarc_r[] = {
	{ "dmarc", 0, "fail", NULL, "p=reject dis=quarantine", dmarc_props, 3 },
};
static struct inkan_authres_result arc_r[] = { R("arc", "pass", arc_props) };
static struct inkan_authres_result iprev_r[] = { R("iprev", "pass", iprev_props) };
static struct inkan_authres_result reason_r[] = {
	{ "dkim", 1, "fail", "signature expired", "a (b) \\ c", NULL, 0 },
	{ "spf", 0, "temperror", "dns", NULL, NULL, 0 },
};
static struct inkan_authres_result odd_r[] = { R("x-odd", "neutral", odd_props) };
static struct inkan_authres_result all_r[] = {
	R("spf", "pass", spf_props),
	{ "dkim", 0, "pass", NULL, "2048-bit key", dkim_props, 5 },
	{ "dmarc", 0, "fail", NULL, "p=reject dis=quarantine", dmarc_props, 3 },
	R("arc", "pass", arc_props),
	R("iprev", "pass", iprev_props),
};

struct format_case {
	const char *name;
	struct inkan_authres ar;
	const char *want;	/* format_line */
};

#define AR(id, r) { (id), 0, false, (r), sizeof(r) / sizeof((r)[0]) }

static const struct format_case format_cases[] = {
	{ "§2.7.2 SPF: smtp.mailfrom, smtp.helo, address unquoted", AR("mx.example.com", spf_r),
	    "mx.example.com; spf=pass smtp.mailfrom=sender@example.net "
	    "smtp.helo=mail.example.net" },
	{ "§2.7.1 DKIM: d, s, a, b (quoted: '/' is a tspecial), i; comment",
	    AR("mx.example.com", dkim_r),
	    "mx.example.com; dkim=pass (2048-bit key) header.d=example.net header.s=sel1 "
	    "header.a=rsa-sha256 header.b=\"Qgi/FoC0\" header.i=@example.net" },
	{ "DMARC: header.from, policy.dmarc, policy.applied-disposition",
	    AR("mx.example.com", dmarc_r),
	    "mx.example.com; dmarc=fail (p=reject dis=quarantine) header.from=example.com "
	    "policy.dmarc=reject policy.applied-disposition=quarantine" },
	{ "RFC 8617 §10.2 ARC", AR("mx.example.com", arc_r),
	    "mx.example.com; arc=pass header.oldest-pass=0 smtp.remote-ip=192.0.2.1" },
	{ "§2.7.3 iprev: IPv6 quoted (':' is a tspecial)", AR("mx.example.com", iprev_r),
	    "mx.example.com; iprev=pass policy.iprev=\"2001:db8::1\"" },
	{ "reason quoted when not a token, comment escaped, method version",
	    AR("mx.example.com", reason_r),
	    "mx.example.com; dkim/1=fail (a \\(b\\) \\\\ c) reason=\"signature expired\"; "
	    "spf=temperror reason=dns" },
	{ "quoting of odd values", AR("mx.example.com", odd_r),
	    "mx.example.com; x-odd=neutral header.b=\"a\\\"b\\\\c\" header.x=\"\" "
	    "header.y=\"two words\" smtp.mailfrom=\"john smith@example.com\" "
	    "smtp.z=\"user@localhost\" header.u=\"@b\xc3\xbc" "cher.example\" header.v=..net" },
	{ "§2.2 no results: none", { "example.org", 0, true, NULL, 0 }, "example.org; none" },
	{ "version 1", { "example.org", 1, true, NULL, 0 }, "example.org 1; none" },
	{ "authserv-id quoted when not a token", { "mx example", 0, true, NULL, 0 },
	    "\"mx example\"; none" },
};

static void
test_format_table(void **state)
{
	int fails = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *t = &format_cases[i];
		struct inkan_buf b, f;
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_authres back;
		const char *why;
		int rc;

		inkan_buf_init(&b, 0);
		inkan_buf_init(&f, 0);
		rc = inkan_authres_format_line(&t->ar, &b);
		if (rc != 0 || strcmp(inkan_buf_cstr(&b), t->want) != 0) {
			fprintf(stderr, "# %s: rc %d\n#  want [%s]\n#  got  [%s]\n", t->name, rc,
			    t->want, inkan_buf_cstr(&b));
			fails++;
		}
		/* what we write, we read back (strictly) the same */
		rc = inkan_authres_parse(a, b.p, b.len, 0, &back, &why);
		if (rc != 0) {
			fprintf(stderr, "# %s: re-parse: %s\n", t->name, why);
			fails++;
		} else if (inkan_authres_format_line(&back, &f) != 0 || strcmp(f.p, b.p) != 0) {
			fprintf(stderr, "# %s: re-parse differs: [%s]\n", t->name, inkan_buf_cstr(&f));
			fails++;
		}
		inkan_buf_free(&b);
		inkan_buf_free(&f);
		inkan_arena_free(a);
	}
	assert_int_equal(fails, 0);
}

static void
test_format_invalid(void **state)
{
	struct inkan_authres_prop bad_ptype[] = { P("smtp.x", "y", "v") };
	struct inkan_authres_prop bad_value[] = { P("smtp", "x", "a\r\nb") };
	struct inkan_authres_prop null_value[] = { P("smtp", "x", NULL) };
	struct inkan_authres_result r[] = {
		{ "dk im", 0, "pass", NULL, NULL, NULL, 0 },
		{ "dkim", 0, NULL, NULL, NULL, NULL, 0 },
		{ "dkim", 0, "pass-", NULL, NULL, NULL, 0 },
		{ "dkim", -1, "pass", NULL, NULL, NULL, 0 },
		{ "dkim", 0, "pass", NULL, "line\nbreak", NULL, 0 },
		{ "dkim", 0, "pass", "tab\x01", NULL, NULL, 0 },
		{ "dkim", 0, "pass", NULL, NULL, bad_ptype, 1 },
		{ "dkim", 0, "pass", NULL, NULL, bad_value, 1 },
		{ "dkim", 0, "pass", NULL, NULL, null_value, 1 },
		{ "dkim", 0, "pass", NULL, NULL, NULL, 1 },
	};
	struct inkan_buf b;

	(void)state;
	inkan_buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct inkan_authres ar = { "mx.example", 0, false, &r[i], 1 };

		if (inkan_authres_format_line(&ar, &b) != INKAN_EINVAL ||
		    inkan_authres_format(&ar, 24, &b) != INKAN_EINVAL)
			fail_msg("result %zu was written", i);
		assert_int_equal(b.len, 0);	/* nothing half-written */
	}
	struct inkan_authres noid = { NULL, 0, true, NULL, 0 }, empty = { "", 0, true, NULL, 0 };
	struct inkan_authres negv = { "x", -2, true, NULL, 0 }, nores = { "x", 0, false, NULL, 2 };

	assert_int_equal(inkan_authres_format_line(&noid, &b), INKAN_EINVAL);
	assert_int_equal(inkan_authres_format_line(&empty, &b), INKAN_EINVAL);
	assert_int_equal(inkan_authres_format_line(&negv, &b), INKAN_EINVAL);
	assert_int_equal(inkan_authres_format_line(&nores, &b), INKAN_EINVAL);
	assert_int_equal(inkan_authres_format_line(NULL, &b), INKAN_EINVAL);
	assert_int_equal(inkan_authres_format_line(&empty, NULL), INKAN_EINVAL);
	assert_int_equal(b.len, 0);
	inkan_buf_free(&b);

	assert_true(inkan_authres_is_keyword("dkim-adsp"));
	assert_false(inkan_authres_is_keyword("dkim-"));
	assert_false(inkan_authres_is_keyword(""));
	assert_false(inkan_authres_is_keyword(NULL));
}

/* Unfold (RFC 5322 §2.2.3) in place: drop every CRLF. */
static void
unfold(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			*o++ = *s;
		else
			s++;
	*o = '\0';
}

/* Every line within 78 columns (the first starts at `start`), every line
 * break a CRLF followed by WSP, no line only WSP (RFC 5322 §2.1.1, §2.2.3). */
static void
check_folding(const char *s, size_t start, size_t *nlines)
{
	size_t col = start;

	*nlines = 1;
	for (; *s != '\0'; s++) {
		if (*s == '\r') {
			assert_true(s[1] == '\n' && (s[2] == ' ' || s[2] == '\t'));
			assert_true(col > 0);
			col = 0;
			s++;
			++*nlines;
			continue;
		}
		assert_true(*s != '\n');
		col++;
		if (col > INKAN_AUTHRES_FOLD_COLUMN)
			fail_msg("line over 78 columns at [%.20s]", s);
	}
}

static void
test_format_fold(void **state)
{
	struct inkan_authres ar = { "mx.example.com", 0, false, all_r, 5 };
	struct inkan_buf f, l;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_authres back;
	size_t lines;

	(void)state;
	inkan_buf_init(&f, 0);
	inkan_buf_init(&l, 0);
	assert_int_equal(inkan_authres_format(&ar, 24, &f), 0);
	assert_int_equal(inkan_authres_format_line(&ar, &l), 0);
	/* each result starts a line; DKIM's properties wrap at 78 */
	assert_string_equal(f.p,
	    "mx.example.com;\r\n"
	    "\tspf=pass smtp.mailfrom=sender@example.net smtp.helo=mail.example.net;\r\n"
	    "\tdkim=pass (2048-bit key) header.d=example.net header.s=sel1\r\n"
	    "\theader.a=rsa-sha256 header.b=\"Qgi/FoC0\" header.i=@example.net;\r\n"
	    "\tdmarc=fail (p=reject dis=quarantine) header.from=example.com\r\n"
	    "\tpolicy.dmarc=reject policy.applied-disposition=quarantine;\r\n"
	    "\tarc=pass header.oldest-pass=0 smtp.remote-ip=192.0.2.1;\r\n"
	    "\tiprev=pass policy.iprev=\"2001:db8::1\"");
	check_folding(f.p, 24, &lines);
	assert_int_equal(lines, 8);
	/* unfolded, it reads as the single line does */
	unfold(f.p);
	assert_int_equal(inkan_authres_parse(a, f.p, strlen(f.p), 0, &back, NULL), 0);
	inkan_buf_reset(&f);
	assert_int_equal(inkan_authres_format_line(&back, &f), 0);
	assert_string_equal(f.p, l.p);

	/* short enough: one line, same as format_line */
	struct inkan_authres_result short_r = { "spf", 0, "pass", NULL, NULL, spf_props, 1 };
	struct inkan_authres one = { "mx.example.com", 0, false, &short_r, 1 };

	inkan_buf_reset(&f);
	inkan_buf_reset(&l);
	assert_int_equal(inkan_authres_format(&one, 0, &f), 0);
	assert_int_equal(inkan_authres_format_line(&one, &l), 0);
	assert_string_equal(f.p, l.p);
	/* ... but not when the field name takes the room */
	inkan_buf_reset(&f);
	assert_int_equal(inkan_authres_format(&one, 40, &f), 0);
	assert_string_equal(f.p, "mx.example.com;\r\n\tspf=pass smtp.mailfrom=sender@example.net");

	/* appends to what b holds */
	inkan_buf_reset(&f);
	inkan_buf_puts(&f, "Authentication-Results: ");
	assert_int_equal(inkan_authres_format(&one, f.len, &f), 0);
	assert_string_equal(f.p, "Authentication-Results: mx.example.com;\r\n\tspf=pass "
	    "smtp.mailfrom=sender@example.net");

	inkan_buf_free(&f);
	inkan_buf_free(&l);
	inkan_arena_free(a);
}

/* A long comment folds inside at spaces, keeping each space (CRLF goes
 * before it), so that unfolding gives back the same comment. */
static void
test_format_fold_comment(void **state)
{
	char comment[400];
	struct inkan_authres_result r = { "spf", 0, "pass", NULL, comment, NULL, 0 };
	struct inkan_authres ar = { "mx.example.com", 0, false, &r, 1 };
	struct inkan_buf f;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_authres back;
	size_t lines;

	(void)state;
	comment[0] = '\0';
	for (int i = 0; i < 30; i++)
		snprintf(comment + strlen(comment), sizeof(comment) - strlen(comment),
		    "%sword%d", i == 7 ? "  " : " ", i);
	inkan_buf_init(&f, 0);
	assert_int_equal(inkan_authres_format(&ar, 24, &f), 0);
	check_folding(f.p, 24, &lines);
	assert_true(lines >= 4);
	assert_non_null(strstr(f.p, "\r\n word"));
	unfold(f.p);
	assert_int_equal(inkan_authres_parse(a, f.p, strlen(f.p), 0, &back, NULL), 0);
	assert_string_equal(back.results[0].comment, comment);
	inkan_buf_free(&f);
	inkan_arena_free(a);
}

/* A value that cannot be folded and passes 998 columns is refused whole. */
static void
test_format_toobig(void **state)
{
	char big[1100];
	struct inkan_authres_prop p = { "header", "x", big };
	struct inkan_authres_result r = { "x", 0, "pass", NULL, NULL, &p, 1 };
	struct inkan_authres ar = { "mx.example.com", 0, false, &r, 1 };
	struct inkan_buf f;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	inkan_buf_init(&f, 0);
	inkan_buf_puts(&f, "kept");
	assert_int_equal(inkan_authres_format(&ar, 24, &f), INKAN_ETOOBIG);
	assert_string_equal(f.p, "kept");
	/* 900 fits within the line limit */
	big[900] = '\0';
	assert_int_equal(inkan_authres_format(&ar, 24, &f), 0);
	/* the caller's buffer maximum is honoured */
	inkan_buf_free(&f);
	inkan_buf_init(&f, 100);
	assert_int_equal(inkan_authres_format_line(&ar, &f), INKAN_ETOOBIG);
	inkan_buf_free(&f);
}

/* ---- RFC 8601 §5: does a field claim our authserv-id? ---- */

struct claim_case {
	const char *name, *value, *id;
	bool want;
};

static const struct claim_case claim_cases[] = {
	{ "plain", "mx.example.com; spf=pass smtp.mailfrom=a.example", "mx.example.com", true },
	{ "case-insensitive (§5)", "MX.Example.COM; none", "mx.example.com", true },
	{ "our id in upper case", "mx.example.com; none", "MX.EXAMPLE.COM", true },
	{ "comment before the id", "(forged) mx.example.com; none", "mx.example.com", true },
	{ "nested comment with quoted-pair", "(a (b\\) c) d)\r\n\tmx.example.com; none",
	    "mx.example.com", true },
	{ "quoted-string id", "\"mx.example.com\"; none", "mx.example.com", true },
	{ "quoted-string id with quoted-pair", "\"mx.ex\\ample.com\"; none", "mx.example.com",
	    true },
	{ "quoted-string id with spaces", "\" mx.example.com \"; none", "mx.example.com", true },
	{ "folded before and after", "\r\n\tmx.example.com\r\n\t; none", "mx.example.com", true },
	{ "trailing dot in the field", "mx.example.com.; none", "mx.example.com", true },
	{ "trailing dot in our id", "mx.example.com; none", "mx.example.com.", true },
	{ "rest does not parse", "mx.example.com; spf=pass smtp.mailfrom=a:b ((", "mx.example.com",
	    true },
	{ "tspecial glued to the id", "mx.example.com/evil; spf=pass", "mx.example.com", true },
	{ "word glued to the id with a comma", "mx.example.com,x; spf=pass", "mx.example.com",
	    true },
	{ "version", "mx.example.com 1; none", "mx.example.com", true },
	{ "no ';' at all", "mx.example.com", "mx.example.com", true },
	{ "lenient reading of the first word", "mx.example.com/x; none", "mx.example.com/x",
	    true },
	{ "another id", "evil.example; none", "mx.example.com", false },
	{ "ours as a prefix", "mx.example.com.evil.example; none", "mx.example.com", false },
	{ "ours as a suffix", "evil-mx.example.com; none", "mx.example.com", false },
	{ "shorter than ours", "example.com; none", "mx.example.com", false },
	{ "ours only in a property", "evil.example; spf=pass smtp.mailfrom=mx.example.com",
	    "mx.example.com", false },
	{ "ours only repeated later", "evil.example; spf=pass; mx.example.com; dkim=pass",
	    "mx.example.com", false },
	{ "ours only inside the comment", "(mx.example.com) evil.example; none", "mx.example.com",
	    false },
	{ "unterminated comment hides everything", "(mx.example.com; none", "mx.example.com",
	    false },
	{ "empty field", "", "mx.example.com", false },
	{ "empty id claims nothing", "; none", "", false },
	{ "empty quoted id", "\"\"; none", "mx.example.com", false },
};

static void
test_claims(void **state)
{
	int fails = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(claim_cases) / sizeof(claim_cases[0]); i++) {
		const struct claim_case *t = &claim_cases[i];

		if (inkan_authres_claims(t->value, strlen(t->value), t->id) != t->want) {
			fprintf(stderr, "# claims %s: want %d\n", t->name, t->want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
	/* a slice: bytes past len are not read; a NUL inside ends the id */
	assert_true(inkan_authres_claims("mx.example.com\0; none", 21, "mx.example.com"));
	assert_false(inkan_authres_claims("mx.example.comX", 14, "mx.example.co"));
	assert_true(inkan_authres_claims("mx.example.comX", 14, "mx.example.com"));
	/* no length limit on either side: a 5000-octet quoted id */
	struct inkan_buf v;
	char *id = malloc(5001);

	assert_non_null(id);
	memset(id, 'a', 5000);
	id[5000] = '\0';
	id[2500] = '"';
	inkan_buf_init(&v, 0);
	inkan_buf_puts(&v, "\"");
	for (const char *p = id; *p != '\0'; p++) {
		if (*p == '"')
			inkan_buf_putc(&v, '\\');
		inkan_buf_putc(&v, *p);
	}
	inkan_buf_puts(&v, "\"; none");
	assert_true(inkan_authres_claims(v.p, v.len, id));
	id[10] = 'b';
	assert_false(inkan_authres_claims(v.p, v.len, id));
	inkan_buf_free(&v);
	free(id);
	assert_false(inkan_authres_claims(NULL, 0, "mx.example.com"));
	assert_false(inkan_authres_claims("mx.example.com", 14, NULL));
}

/* The fields a front end strips also include ones that do not parse:
 * claims() must not depend on inkan_authres_parse(). */
static void
test_claims_unparsed(void **state)
{
	static const char *forged[] = {
		"mx.example.com; dkim=pass header.d=bank.example",
		"mx.example.com foo bar = baz;",
		"(x) MX.EXAMPLE.COM; dmarc=pass (\x01 bad",
		"\"mx.example.com\"; none; spf=pass",
		"mx.example.com;; ;; =",
	};
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		struct inkan_authres ar;

		assert_true(inkan_authres_claims(forged[i], strlen(forged[i]), "mx.example.com"));
		if (i > 0)
			assert_int_not_equal(inkan_authres_parse(a, forged[i], strlen(forged[i]), 0,
			    &ar, NULL), 0);
	}
	inkan_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_lenient_superset),
		cmocka_unit_test(test_parse_args),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_format_invalid),
		cmocka_unit_test(test_format_fold),
		cmocka_unit_test(test_format_fold_comment),
		cmocka_unit_test(test_format_toobig),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_claims_unparsed),
	};

	return cmocka_run_group_tests_name("authres", tests, NULL, NULL);
}
