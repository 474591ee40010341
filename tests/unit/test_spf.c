/* test_spf.c - SPF (RFC 7208): record parser, macros, check_host limits
 * and results, Received-SPF.
 *
 * Every table row is its own cmocka test named after the row, so a
 * failure names the case, what was wanted and what came.  Expected values
 * come from RFC 7208 (the §7.4 macro table is copied from the RFC, the
 * offsets are counted by hand in the record text), not from our output.
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
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/spf.h"

/* ---- helpers ---- */

static struct inkan_ip
ip_of(const char *s)
{
	struct inkan_ip ip;

	if (inkan_ip_parse(s, strlen(s), &ip) != 0)
		fail_msg("bad address in test: %s", s);
	return ip;
}

/* ---- record parser (§4.6, §12) ---- */

struct parse_case {
	const char *name;
	const char *rec;
	size_t len;		/* 0 = strlen(rec) */
	int rc;
	size_t offset;		/* for errors */
	const char *why;	/* substring of the error text, or NULL */
	int nterms;		/* on success; -1 = not checked */
};

static const struct parse_case parse_cases[] = {
	{ "version only", "v=spf1", 0, 0, 0, NULL, 0 },
	{ "trailing spaces", "v=spf1 a  -all   ", 0, 0, 0, NULL, 2 },
	{ "version is case-insensitive", "V=SpF1 A:EXAMPLE.COM -ALL", 0, 0, 0, NULL, 2 },
	{ "v=spf10 is not a record", "v=spf10 -all", 0, INKAN_EMALFORMED, 0, "v=spf1", -1 },
	{ "unknown mechanism after all", "v=spf1 ip4:1.2.3.4 -all moo", 0, INKAN_EMALFORMED,
	    24, "unknown mechanism", -1 },
	{ "all with a dot", "v=spf1 -all.", 0, INKAN_EMALFORMED, 8, "unknown mechanism", -1 },
	{ "all with an argument", "v=spf1 -all:foobar", 0, INKAN_EMALFORMED, 11,
	    "no argument", -1 },
	{ "all with a cidr", "v=spf1 -all/8", 0, INKAN_EMALFORMED, 11, "no argument", -1 },
	{ "ip4 cidr leading zero", "v=spf1 ip4:1.2.3.4/032 -all", 0, INKAN_EMALFORMED, 19,
	    "leading zero", -1 },
	{ "ip4 cidr over 32", "v=spf1 ip4:1.2.3.4/33 -all", 0, INKAN_EMALFORMED, 19,
	    "over 32", -1 },
	{ "ip4 cidr 0 and 32", "v=spf1 ip4:1.1.1.1/0 ip4:1.2.3.4/32", 0, 0, 0, NULL, 2 },
	{ "ip4 with a port", "v=spf1 ip4:1.2.3.4:8080", 0, INKAN_EMALFORMED, 11,
	    "bad IPv4", -1 },
	{ "ip4 with three parts", "v=spf1 ip4:1.2.3", 0, INKAN_EMALFORMED, 11, "bad IPv4", -1 },
	{ "ip4 with a leading zero", "v=spf1 ip4:1.2.3.04", 0, INKAN_EMALFORMED, 11,
	    "bad IPv4", -1 },
	{ "bare ip4", "v=spf1 ip4", 0, INKAN_EMALFORMED, 10, "ip4 needs", -1 },
	{ "ip4 dual cidr", "v=spf1 ip4:1.2.3.4//32", 0, INKAN_EMALFORMED, 18, "ip4 takes no", -1 },
	{ "ip6 cidr over 128", "v=spf1 ip6:::1.1.1.1/129", 0, INKAN_EMALFORMED, 21,
	    "over 128", -1 },
	{ "ip6 dual cidr", "v=spf1 ip6:::1.1.1.1//33", 0, INKAN_EMALFORMED, 20, "not \"//N\"",
	    -1 },
	{ "ip6 bad address", "v=spf1 ip6::CAFE::BABE", 0, INKAN_EMALFORMED, 11,
	    "bad IPv6", -1 },
	{ "bare ip6 after all", "v=spf1 -all ip6", 0, INKAN_EMALFORMED, 15, "ip6 needs", -1 },
	{ "a dual cidr", "v=spf1 a/24//64 mx:example.org//128 -all", 0, 0, 0, NULL, 3 },
	{ "a cidr6 over 128", "v=spf1 a//129 -all", 0, INKAN_EMALFORMED, 10, "over 128", -1 },
	{ "a single slash before cidr6", "v=spf1 a/24/64 -all", 0, INKAN_EMALFORMED, 12,
	    "over 32", -1 },
	{ "a colon domain", "v=spf1 a:foo:bar/baz.example.com", 0, 0, 0, NULL, 1 },
	{ "a colon in the top label", "v=spf1 a:example.com:8080", 0, INKAN_EMALFORMED, 17,
	    "top-level label", -1 },
	{ "a numeric top label", "v=spf1 a:111.222.33.44", 0, INKAN_EMALFORMED, 20,
	    "all numeric", -1 },
	{ "a only a top label", "v=spf1 a:museum", 0, INKAN_EMALFORMED, 9, "needs a dot", -1 },
	{ "a top label with a dot", "v=spf1 a:museum.", 0, INKAN_EMALFORMED, 9,
	    "needs a dot", -1 },
	{ "a hyphen top label", "v=spf1 a:example.-com", 0, INKAN_EMALFORMED, 17, "hyphen", -1 },
	{ "a IDN top label", "v=spf1 a:foo.example.xn--zckzah -all", 0, 0, 0, NULL, 2 },
	{ "a empty domain", "v=spf1 a:", 0, INKAN_EMALFORMED, 9, "empty domain-spec", -1 },
	{ "a NUL in the domain", "v=spf1 a:foo.example.com\0", 25, INKAN_EMALFORMED, 24,
	    "control character", -1 },
	{ "CR between terms", "v=spf1 a:ctrl.example.com\rptr -all", 0, INKAN_EMALFORMED, 25,
	    "control character", -1 },
	{ "non-ASCII", "v=spf1 a:example.net \x96" "all", 0, INKAN_EMALFORMED, 21,
	    "non-ASCII", -1 },
	{ "ptr with a cidr", "v=spf1 ptr/0 -all", 0, INKAN_EMALFORMED, 10, "ptr takes no", -1 },
	{ "ptr empty domain", "v=spf1 ptr:", 0, INKAN_EMALFORMED, 11, "empty domain-spec", -1 },
	{ "include bare", "v=spf1 include +all", 0, INKAN_EMALFORMED, 14, "include needs", -1 },
	{ "include with a cidr", "v=spf1 include:ip5.example.com/24", 0, INKAN_EMALFORMED, 27,
	    "top-level label", -1 },
	{ "exists bare", "v=spf1 exists", 0, INKAN_EMALFORMED, 13, "exists needs", -1 },
	{ "modifier charset", "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", 0, 0, 0,
	    NULL, 3 },
	{ "slash before equals", "v=spf1 moo.cow/far_out=man:dog/cat", 0, INKAN_EMALFORMED, 7,
	    "unknown mechanism", -1 },
	{ "empty modifier name", "v=spf1 =all", 0, INKAN_EMALFORMED, 7, "empty name", -1 },
	{ "modifier starting with a digit", "v=spf1 1up=foo", 0, INKAN_EMALFORMED, 7,
	    "start with a letter", -1 },
	{ "modifier with a qualifier", "v=spf1 -redirect=a.example.com", 0, INKAN_EMALFORMED, 7,
	    "no qualifier", -1 },
	{ "redirect as a mechanism", "v=spf1 ip4:1.2.3.4 redirect:t2.example.com", 0,
	    INKAN_EMALFORMED, 19, "modifiers", -1 },
	{ "redirect twice", "v=spf1 redirect=a.example.com -all redirect=a.example.com", 0,
	    INKAN_EMALFORMED, 35, "twice", -1 },
	{ "exp twice", "v=spf1 exp=a.example.com -all exp=b.example.com", 0,
	    INKAN_EMALFORMED, 30, "twice", -1 },
	{ "exp empty", "v=spf1 exp= -all", 0, INKAN_EMALFORMED, 11, "empty domain-spec", -1 },
	{ "redirect to a mechanism", "v=spf1 redirect=-all ?all", 0, INKAN_EMALFORMED, 16,
	    "needs a dot", -1 },
	{ "unknown modifier bad macro", "v=spf1 -all foo=%abc", 0, INKAN_EMALFORMED, 16,
	    "'%' not followed", -1 },
	{ "unknown modifier ignored", "v=spf1 default=pass", 0, 0, 0, NULL, 1 },
	{ "exp letter in domain-spec", "v=spf1 -all exp=%{r}.example.com", 0, INKAN_EMALFORMED,
	    18, "only in explanations", -1 },
	{ "bad macro character", "v=spf1 -exists:%(ir).sbl.example.com ?all", 0,
	    INKAN_EMALFORMED, 15, "'%' not followed", -1 },
	{ "percent before a dot", "v=spf1 exists:foo%.sbl.example.com", 0, INKAN_EMALFORMED, 17,
	    "'%' not followed", -1 },
	{ "zero digit transformer", "v=spf1 exists:%{d0}.example.com", 0, INKAN_EMALFORMED, 14,
	    "nonzero", -1 },
	{ "domain-spec ending in a macro", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", 0, 0,
	    0, NULL, 2 },
	{ "macro mania", "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all", 0, 0,
	    0, NULL, 2 },
	{ "qualifier alone", "v=spf1 -", 0, INKAN_EMALFORMED, 7, "qualifier without", -1 },
};

static void
test_parse(void **state)
{
	const struct parse_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_record rec;
	struct inkan_spf_parse_error err;
	size_t len = c->len != 0 ? c->len : strlen(c->rec);
	int rc;

	rc = inkan_spf_record_parse(a, c->rec, len, &rec, &err);
	if (rc != c->rc)
		fail_msg("%s: wanted %s, got %s (%s at %zu)", c->name, inkan_strerror(c->rc),
		    inkan_strerror(rc), rc != 0 && err.why ? err.why : "-", err.offset);
	if (rc != 0) {
		if (err.offset != c->offset)
			fail_msg("%s: wanted offset %zu, got %zu (%s)", c->name, c->offset,
			    err.offset, err.why);
		if (c->why != NULL && (err.why == NULL || strstr(err.why, c->why) == NULL))
			fail_msg("%s: wanted why containing \"%s\", got \"%s\"", c->name, c->why,
			    err.why ? err.why : "(null)");
	} else if (c->nterms >= 0 && rec.n != (size_t)c->nterms) {
		fail_msg("%s: wanted %d terms, got %zu", c->name, c->nterms, rec.n);
	}
	inkan_arena_free(a);
}

/* The structure of parsed terms. */
static void
test_parse_terms(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_record rec;
	struct inkan_spf_parse_error err;
	const char *s = "v=spf1 ~a:Mail.Example.com/24//64 ip4:192.0.2.0/24 ?ip6:2001:db8::/32 "
	    "-mx include:_spf.example.net ptr exists:%{i}.x.example redirect=r.example "
	    "exp=e.example foo.bar=baz";

	(void)state;
	assert_int_equal(inkan_spf_record_parse(a, s, strlen(s), &rec, &err), 0);
	assert_int_equal(rec.n, 10);
	assert_int_equal(rec.terms[0].kind, INKAN_SPF_A);
	assert_int_equal(rec.terms[0].qualifier, '~');
	assert_true(rec.terms[0].qualifier_explicit);
	assert_int_equal(rec.terms[0].offset, 7);
	assert_int_equal(rec.terms[0].domain_spec.len, strlen("Mail.Example.com"));
	assert_memory_equal(rec.terms[0].domain_spec.p, "Mail.Example.com", 16);
	assert_int_equal(rec.terms[0].cidr4, 24);
	assert_int_equal(rec.terms[0].cidr6, 64);
	assert_true(rec.terms[0].has_cidr4 && rec.terms[0].has_cidr6);
	assert_int_equal(rec.terms[1].kind, INKAN_SPF_IP4);
	assert_int_equal(rec.terms[1].qualifier, '+');
	assert_false(rec.terms[1].qualifier_explicit);
	assert_int_equal(rec.terms[1].ip.family, 4);
	assert_int_equal(rec.terms[1].ip.a[0], 192);
	assert_int_equal(rec.terms[1].ip.a[2], 2);
	assert_int_equal(rec.terms[1].cidr4, 24);
	assert_int_equal(rec.terms[2].kind, INKAN_SPF_IP6);
	assert_int_equal(rec.terms[2].cidr6, 32);
	assert_int_equal(rec.terms[2].ip.a[1], 0x01);
	assert_int_equal(rec.terms[3].kind, INKAN_SPF_MX);
	assert_int_equal(rec.terms[3].cidr4, 32);
	assert_int_equal(rec.terms[3].cidr6, 128);
	assert_false(rec.terms[3].has_cidr4);
	assert_int_equal(rec.terms[4].kind, INKAN_SPF_INCLUDE);
	assert_int_equal(rec.terms[5].kind, INKAN_SPF_PTR);
	assert_int_equal(rec.terms[5].domain_spec.len, 0);
	assert_int_equal(rec.terms[6].kind, INKAN_SPF_EXISTS);
	assert_int_equal(rec.terms[7].kind, INKAN_SPF_REDIRECT);
	assert_ptr_equal(rec.redirect, &rec.terms[7]);
	assert_int_equal(rec.terms[8].kind, INKAN_SPF_EXP);
	assert_ptr_equal(rec.exp, &rec.terms[8]);
	assert_int_equal(rec.terms[9].kind, INKAN_SPF_UNKNOWN_MOD);
	assert_int_equal(rec.terms[9].mod_name.len, 7);
	assert_memory_equal(rec.terms[9].domain_spec.p, "baz", 3);
	inkan_arena_free(a);
}

static void
test_parse_limits(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_record rec;
	struct inkan_spf_parse_error err;
	char *s = malloc(INKAN_SPF_MAX_RECORD + 16);
	size_t n;

	(void)state;
	/* INKAN_SPF_MAX_TERMS terms parse, one more is refused */
	n = (size_t)sprintf(s, "v=spf1");
	for (int i = 0; i < INKAN_SPF_MAX_TERMS; i++)
		n += (size_t)sprintf(s + n, " a");
	assert_int_equal(inkan_spf_record_parse(a, s, n, &rec, &err), 0);
	assert_int_equal(rec.n, INKAN_SPF_MAX_TERMS);
	n += (size_t)sprintf(s + n, " a");
	assert_int_equal(inkan_spf_record_parse(a, s, n, &rec, &err), INKAN_ELIMIT);
	/* longer than INKAN_SPF_MAX_RECORD */
	memset(s, ' ', INKAN_SPF_MAX_RECORD + 1);
	memcpy(s, "v=spf1", 6);
	assert_int_equal(inkan_spf_record_parse(a, s, INKAN_SPF_MAX_RECORD + 1, &rec, &err),
	    INKAN_ELIMIT);
	free(s);
	inkan_arena_free(a);
}

static void
test_is_record_and_names(void **state)
{
	(void)state;
	assert_true(inkan_spf_is_record("v=spf1", 6));
	assert_true(inkan_spf_is_record("v=spf1 -all", 11));
	assert_true(inkan_spf_is_record("V=SPF1 ", 7));
	assert_false(inkan_spf_is_record("v=spf10", 7));
	assert_false(inkan_spf_is_record("v=spf1-all", 10));
	assert_false(inkan_spf_is_record("v=spf", 5));
	assert_false(inkan_spf_is_record(" v=spf1", 7));
	assert_string_equal(inkan_spf_verdict_name(INKAN_SPF_SOFTFAIL), "softfail");
	assert_string_equal(inkan_spf_verdict_name(INKAN_SPF_TEMPERROR), "temperror");
	assert_int_equal(inkan_spf_verdict_from_name("PermError"), INKAN_SPF_PERMERROR);
	assert_int_equal(inkan_spf_verdict_from_name("none"), INKAN_SPF_NONE);
	assert_int_equal(inkan_spf_verdict_from_name("unknown"), -1);
}

/* ---- macros (§7) ---- */

struct macro_case {
	const char *name;
	const char *spec;
	bool exp;
	bool ip6;
	const char *want;	/* NULL = a syntax error expected */
	size_t offset;		/* of the error */
};

/* RFC 7208 §7.4: <sender> strong-bad@email.example.com, IPv4 client
 * 192.0.2.3, IPv6 client 2001:db8::cb01, PTR name mx.example.org. */
static const struct macro_case macro_cases[] = {
	{ "7.4 %{s}", "%{s}", false, false, "strong-bad@email.example.com", 0 },
	{ "7.4 %{o}", "%{o}", false, false, "email.example.com", 0 },
	{ "7.4 %{d}", "%{d}", false, false, "email.example.com", 0 },
	{ "7.4 %{d4}", "%{d4}", false, false, "email.example.com", 0 },
	{ "7.4 %{d3}", "%{d3}", false, false, "email.example.com", 0 },
	{ "7.4 %{d2}", "%{d2}", false, false, "example.com", 0 },
	{ "7.4 %{d1}", "%{d1}", false, false, "com", 0 },
	{ "7.4 %{dr}", "%{dr}", false, false, "com.example.email", 0 },
	{ "7.4 %{d2r}", "%{d2r}", false, false, "example.email", 0 },
	{ "7.4 %{l}", "%{l}", false, false, "strong-bad", 0 },
	{ "7.4 %{l-}", "%{l-}", false, false, "strong.bad", 0 },
	{ "7.4 %{lr}", "%{lr}", false, false, "strong-bad", 0 },
	{ "7.4 %{lr-}", "%{lr-}", false, false, "bad.strong", 0 },
	{ "7.4 %{l1r-}", "%{l1r-}", false, false, "strong", 0 },
	{ "7.4 %{ir}.%{v}._spf.%{d2}", "%{ir}.%{v}._spf.%{d2}", false, false,
	    "3.2.0.192.in-addr._spf.example.com", 0 },
	{ "7.4 %{lr-}.lp._spf.%{d2}", "%{lr-}.lp._spf.%{d2}", false, false,
	    "bad.strong.lp._spf.example.com", 0 },
	{ "7.4 %{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", false, false,
	    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", 0 },
	{ "7.4 %{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", false,
	    false, "3.2.0.192.in-addr.strong.lp._spf.example.com", 0 },
	{ "7.4 %{d2}.trusted-domains.example.net", "%{d2}.trusted-domains.example.net", false,
	    false, "example.com.trusted-domains.example.net", 0 },
	{ "7.4 IPv6 %{ir}.%{v}._spf.%{d2}", "%{ir}.%{v}._spf.%{d2}", false, true,
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
	    0 },
	{ "%{i} IPv4", "%{i}", false, false, "192.0.2.3", 0 },
	{ "%{v} IPv4", "%{v}", false, false, "in-addr", 0 },
	{ "%{h}", "%{h}", false, false, "mx.example.org", 0 },
	{ "%{p} from the caller", "%{p}", false, false, "mx.example.org", 0 },
	{ "uppercase URL-escapes", "%{S}", false, false, "strong-bad%40email.example.com", 0 },
	{ "%% %_ %-", "a%%b%_c%-d", false, false, "a%b c%20d", 0 },
	{ "delimiters rejoin with dots", "%{s-}", false, false,
	    "strong.bad@email.example.com", 0 },
	{ "several delimiters", "%{s-.}", false, false, "strong.bad@email.example.com", 0 },
	{ "several delimiters reversed", "%{sr-.}", false, false,
	    "com.example.bad@email.strong", 0 },
	{ "more parts than there are", "%{d9}", false, false, "email.example.com", 0 },
	{ "reverse two parts", "%{o2r}", false, false, "example.email", 0 },
	{ "%{c} IPv6 (RFC 5952)", "%{c}", true, true, "2001:db8::cb01", 0 },
	{ "%{c} IPv4", "%{c}", true, false, "192.0.2.3", 0 },
	{ "%{r} unknown", "%{r}", true, false, "unknown", 0 },
	{ "%{t}", "%{t}", true, false, "1400000000", 0 },
	{ "explanation with spaces", "%{c} is not %{d}'s", true, false,
	    "192.0.2.3 is not email.example.com's", 0 },
	{ "c not in domain-spec", "%{c}", false, false, NULL, 2 },
	{ "r not in domain-spec", "x.%{r}", false, false, NULL, 4 },
	{ "space not in domain-spec", "a b", false, false, NULL, 1 },
	{ "control character in explanation", "a\tb", true, false, NULL, 1 },
	{ "percent at the end", "abc%", false, false, NULL, 3 },
	{ "percent followed by x", "%x", false, false, NULL, 0 },
	{ "unterminated", "%{d", false, false, NULL, 0 },
	{ "unknown letter", "%{w}", false, false, NULL, 2 },
	{ "zero digits", "%{d0}", false, false, NULL, 0 },
	{ "bad transformer", "%{d2x}", false, false, NULL, 4 },
};

static void
test_macro(void **state)
{
	const struct macro_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_ip ip = ip_of(c->ip6 ? "2001:db8::cb01" : "192.0.2.3");
	struct inkan_spf_macro_ctx mc = {
		.sender = "strong-bad@email.example.com", .local = "strong-bad",
		.sender_domain = "email.example.com", .domain = "email.example.com",
		.ip = &ip, .helo = "mx.example.org", .receiver = NULL,
		.validated = "mx.example.org", .now = 1400000000,
	};
	struct inkan_spf_parse_error err = { 0, NULL };
	char *out = NULL;
	int rc = inkan_spf_macro_expand(a, c->spec, strlen(c->spec), c->exp, &mc, &out, &err);

	if (c->want != NULL) {
		if (rc != 0)
			fail_msg("%s: wanted \"%s\", got %s (%s)", c->name, c->want,
			    inkan_strerror(rc), err.why ? err.why : "-");
		if (strcmp(out, c->want) != 0)
			fail_msg("%s: wanted \"%s\", got \"%s\"", c->name, c->want, out);
	} else {
		if (rc != INKAN_EMALFORMED)
			fail_msg("%s: wanted a syntax error, got %s (\"%s\")", c->name,
			    inkan_strerror(rc), out ? out : "");
		if (err.offset != c->offset || err.why == NULL)
			fail_msg("%s: wanted error at %zu, got %zu (%s)", c->name, c->offset,
			    err.offset, err.why ? err.why : "(null)");
	}
	inkan_arena_free(a);
}

/* RFC 7208 §7.3 example of URL escaping, from the OpenSPF suite's
 * upper-macro case: unreserved characters stay, the rest is %XX. */
static void
test_macro_url_escape(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_ip ip = ip_of("192.0.2.3");
	struct inkan_spf_macro_ctx mc = {
		.sender = "~jack&jill=up-a_b3.c@e8.example.com", .local = "~jack&jill=up-a_b3.c",
		.sender_domain = "e8.example.com", .domain = "e8.example.com", .ip = &ip,
	};
	char *out;
	const char *spec = "http://example.com/why.html?l=%{L}";

	(void)state;
	assert_int_equal(inkan_spf_macro_expand(a, spec, strlen(spec), true, &mc, &out, NULL), 0);
	assert_string_equal(out, "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
	inkan_arena_free(a);
}

/* ---- check_host ---- */

struct check_case {
	const char *name;
	const char *zone;	/* master file text, origin "." */
	const char *ip;
	const char *sender;
	const char *helo;
	enum inkan_spf_scope scope;
	enum inkan_spf_verdict want;
	const char *mechanism;	/* NULL = not checked */
	const char *explanation;	/* NULL = not checked */
	int lookups;		/* -1 = not checked */
	int voids;		/* -1 = not checked */
};

/* Includes in a chain: ten DNS terms from t, eleven from e. */
#define CHAIN \
	"e.example. TXT \"v=spf1 include:t.example -all\"\n" \
	"t.example. TXT \"v=spf1 include:c1.example -all\"\n" \
	"c1.example. TXT \"v=spf1 include:c2.example\"\n" \
	"c2.example. TXT \"v=spf1 include:c3.example\"\n" \
	"c3.example. TXT \"v=spf1 include:c4.example\"\n" \
	"c4.example. TXT \"v=spf1 include:c5.example\"\n" \
	"c5.example. TXT \"v=spf1 include:c6.example\"\n" \
	"c6.example. TXT \"v=spf1 include:c7.example\"\n" \
	"c7.example. TXT \"v=spf1 include:c8.example\"\n" \
	"c8.example. TXT \"v=spf1 include:c9.example\"\n" \
	"c9.example. TXT \"v=spf1 include:c10.example\"\n" \
	"c10.example. TXT \"v=spf1 +all\"\n"

/* A 60-character label: four of them and "l.example" make 253 characters. */
#define L60 "a234567890123456789012345678901234567890123456789012345678" "90"

#define MX11 \
	"mx.example. TXT \"v=spf1 mx -all\"\n" \
	"mx.example. MX 1 h1.example.\nmx.example. MX 2 h2.example.\n" \
	"mx.example. MX 3 h3.example.\nmx.example. MX 4 h4.example.\n" \
	"mx.example. MX 5 h5.example.\nmx.example. MX 6 h6.example.\n" \
	"mx.example. MX 7 h7.example.\nmx.example. MX 8 h8.example.\n" \
	"mx.example. MX 9 h9.example.\nmx.example. MX 10 h10.example.\n" \
	"mx.example. MX 11 h11.example.\n" \
	"h8.example. A 192.0.2.8\nh11.example. A 192.0.2.11\n"

#define PTR11 \
	"ptr.example. TXT \"v=spf1 ptr -all\"\n" \
	"5.2.0.192.in-addr.arpa. PTR a1.example.\n5.2.0.192.in-addr.arpa. PTR a2.example.\n" \
	"5.2.0.192.in-addr.arpa. PTR a3.example.\n5.2.0.192.in-addr.arpa. PTR a4.example.\n" \
	"5.2.0.192.in-addr.arpa. PTR a5.example.\n5.2.0.192.in-addr.arpa. PTR a6.example.\n" \
	"5.2.0.192.in-addr.arpa. PTR a7.example.\n5.2.0.192.in-addr.arpa. PTR a8.example.\n" \
	"5.2.0.192.in-addr.arpa. PTR a9.example.\n5.2.0.192.in-addr.arpa. PTR a10.example.\n" \
	"5.2.0.192.in-addr.arpa. PTR mail.ptr.example.\n" \
	"mail.ptr.example. A 192.0.2.5\n" \
	"6.2.0.192.in-addr.arpa. PTR mail.ptr.example.\n" \
	"6.2.0.192.in-addr.arpa. PTR fake.ptr.example.\n" \
	"mail.ptr.example. A 192.0.2.6\n"

static const struct check_case check_cases[] = {
	{ "pass on ip4", "example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"", "192.0.2.9",
	    "user@example.com", "mail.example.org", INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS,
	    "ip4:192.0.2.0/24", NULL, 0, 0 },
	{ "fail with the default explanation",
	    "example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"", "198.51.100.1",
	    "user@example.com", "mail.example.org", INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL,
	    "-all", "example.com does not designate 198.51.100.1 as permitted sender for "
	    "user@example.com", 0, 0 },
	{ "no match is neutral (4.7)", "example.com. TXT \"v=spf1 ip4:192.0.2.1\"",
	    "192.0.2.2", "user@example.com", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_NEUTRAL,
	    "default", NULL, 0, 0 },
	{ "no record is none", "example.com. TXT \"hello\"", "192.0.2.2", "user@example.com",
	    NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_NONE, NULL, NULL, -1, -1 },
	{ "NXDOMAIN is none", "example.com. TXT \"v=spf1 -all\"", "192.0.2.2",
	    "user@nowhere.example.com", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_NONE, NULL, NULL,
	    -1, -1 },
	{ "two records are permerror (4.5)",
	    "example.com. TXT \"v=spf1 -all\"\nexample.com. TXT \"v=spf1 +all\"", "192.0.2.2",
	    "user@example.com", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PERMERROR, NULL, NULL, -1,
	    -1 },
	{ "TXT strings are joined (3.3)", "example.com. TXT \"v=spf1 ip4:\" \"192.0.2.5 -all\"",
	    "192.0.2.5", "user@example.com", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS, NULL,
	    NULL, -1, -1 },
	{ "single-label domain is none (4.3)", "com. TXT \"v=spf1 -all\"", "192.0.2.5",
	    "user@com", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_NONE, NULL, NULL, -1, -1 },
	{ "domain literal is none (4.3)", "", "192.0.2.5", "user@[192.0.2.5]", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_NONE, NULL, NULL, -1, -1 },
	{ "IDN sender domain is checked as A-labels (4.3)",
	    "xn--bcher-kva.example. TXT \"v=spf1 ip4:192.0.2.5 -all\"", "192.0.2.5",
	    "user@b\xc3\xbc" "cher.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS,
	    "ip4:192.0.2.5", NULL, 0, 0 },
	{ "null sender checks postmaster@helo (2.4)",
	    "helo.example. TXT \"v=spf1 -all exp=why.example\"\nwhy.example. TXT \"%{s}\"",
	    "192.0.2.5", "", "helo.example", INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL, "-all",
	    "postmaster@helo.example", 0, 0 },
	{ "missing local-part is postmaster (4.3)",
	    "example.net. TXT \"v=spf1 -all exp=why.example\"\nwhy.example. TXT \"%{l}\"",
	    "192.0.2.5", "@example.net", "helo.example", INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL,
	    NULL, "postmaster", -1, -1 },
	{ "HELO scope checks the HELO name",
	    "helo.example. TXT \"v=spf1 +all\"\nexample.com. TXT \"v=spf1 -all\"", "192.0.2.5",
	    "user@example.com", "helo.example", INKAN_SPF_SCOPE_HELO, INKAN_SPF_PASS, "+all",
	    NULL, -1, -1 },
	{ "IPv4-mapped client is IPv4 (5)",
	    "example.com. TXT \"v=spf1 -ip4:192.0.2.5 ip6:::ffff:192.0.2.5\"",
	    "::ffff:192.0.2.5", "user@example.com", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL,
	    "-ip4:192.0.2.5", NULL, -1, -1 },
	{ "ten DNS terms are allowed (4.6.4)", CHAIN, "192.0.2.5", "user@t.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS, "include:c1.example", NULL, 10, 0 },
	{ "eleven DNS terms are permerror (4.6.4)", CHAIN, "192.0.2.5", "user@e.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PERMERROR, NULL, NULL, 11, 0 },
	{ "two void lookups are allowed (4.6.4)",
	    "v.example. TXT \"v=spf1 a:n1.example a:n2.example ?all\"", "192.0.2.5",
	    "user@v.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_NEUTRAL, "?all", NULL, 2,
	    2 },
	{ "three void lookups are permerror (4.6.4)",
	    "v.example. TXT \"v=spf1 a:n1.example mx:n2.example exists:n3.example ?all\"",
	    "192.0.2.5", "user@v.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PERMERROR,
	    NULL, NULL, 3, 3 },
	{ "eighth MX host matches (4.6.4)", MX11, "192.0.2.8", "user@mx.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS, "mx", NULL, 1, 0 },
	{ "eleventh MX host is permerror (4.6.4)", MX11, "192.0.2.11", "user@mx.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PERMERROR, NULL, NULL, 1, 0 },
	{ "eleventh PTR name is ignored (4.6.4)", PTR11, "192.0.2.5", "user@ptr.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL, "-all", NULL, 1, 0 },
	{ "validated PTR name matches (5.5)", PTR11, "192.0.2.6", "user@ptr.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS, "ptr", NULL, 1, 0 },
	{ "PTR name with a blank is validated (5.5)",
	    "p2.example. TXT \"v=spf1 ptr -all\"\n"
	    "7.2.0.192.in-addr.arpa. PTR we\\032ird.p2.example.\n"
	    "we\\032ird.p2.example. A 192.0.2.7\n", "192.0.2.7", "user@p2.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS, "ptr", NULL, 1, 0 },
	{ "include of none is permerror (5.2)",
	    "i.example. TXT \"v=spf1 include:none.example -all\"", "192.0.2.5",
	    "user@i.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PERMERROR, NULL, NULL, 1, 0 },
	{ "include of fail does not match (5.2)",
	    "i.example. TXT \"v=spf1 include:f.example ~all\"\nf.example. TXT \"v=spf1 -all\"",
	    "192.0.2.5", "user@i.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_SOFTFAIL,
	    "~all", NULL, 1, 0 },
	{ "redirect to none is permerror (6.1)",
	    "r.example. TXT \"v=spf1 redirect=none.example\"", "192.0.2.5", "user@r.example",
	    NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PERMERROR, NULL, NULL, 1, 0 },
	{ "redirect takes the target's exp (6.2)",
	    "r.example. TXT \"v=spf1 exp=e1.example redirect=t.example\"\n"
	    "t.example. TXT \"v=spf1 -all exp=e2.example\"\n"
	    "e1.example. TXT \"No\"\ne2.example. TXT \"%{d} says no to %{i}\"",
	    "192.0.2.5", "user@r.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL, "-all",
	    "t.example says no to 192.0.2.5", 1, 0 },
	{ "exp with two TXT records is ignored (6.2)",
	    "x.example. TXT \"v=spf1 -all exp=e.example\"\ne.example. TXT \"one\"\n"
	    "e.example. TXT \"two\"", "192.0.2.5", "user@x.example", NULL, INKAN_SPF_SCOPE_MFROM,
	    INKAN_SPF_FAIL, "-all", "x.example does not designate 192.0.2.5 as permitted sender "
	    "for user@x.example", 0, 0 },
	{ "exp lookups count against no limit (4.6.4)",
	    "x.example. TXT \"v=spf1 a:n1.example a:n2.example exp=nx.example -all\"",
	    "192.0.2.5", "user@x.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL, "-all",
	    NULL, 2, 2 },
	{ "a lookup error is temperror (5)",
	    "x.example. TXT \"v=spf1 a:err.example -all\"", "192.0.2.5", "user@x.example", NULL,
	    INKAN_SPF_SCOPE_MFROM, INKAN_SPF_TEMPERROR, NULL, NULL, 1, 0 },
	{ "long expansion is cut from the left (7.3)",
	    "l.example. TXT \"v=spf1 exists:%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.l.example -all\"\n"
	    L60 "." L60 "." L60 "." L60 ".l.example. A 127.0.0.2",
	    "192.0.2.5", L60 "@l.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS,
	    "exists:%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.l.example", NULL, 1, 0 },
	{ "an expansion of 253 characters is kept whole (7.3)",
	    "l.example. TXT \"v=spf1 exists:%{l}.%{l}.%{l}.%{l}.l.example -all\"\n"
	    L60 "." L60 "." L60 "." L60 ".l.example. A 127.0.0.2",
	    "192.0.2.5", L60 "@l.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_PASS,
	    "exists:%{l}.%{l}.%{l}.%{l}.l.example", NULL, 1, 0 },
	{ "an expansion of 254 characters loses its first label (7.3)",
	    "l.example. TXT \"v=spf1 exists:y%{l}.%{l}.%{l}.%{l}.l.example -all\"\n"
	    L60 "." L60 "." L60 "." L60 ".l.example. A 127.0.0.2",
	    "192.0.2.5", L60 "@l.example", NULL, INKAN_SPF_SCOPE_MFROM, INKAN_SPF_FAIL,
	    "-all", NULL, 1, 1 },
};

static void
test_check(void **state)
{
	const struct check_case *c = *state;
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_query q;
	struct inkan_spf_result res;
	char *why = NULL;
	int rc;

	assert_int_equal(inkan_zone_new(&z), 0);
	if (inkan_zone_load_string(z, c->zone, strlen(c->zone), ".", &why) != 0)
		fail_msg("%s: zone: %s", c->name, why ? why : "?");
	assert_int_equal(inkan_zone_set_status(z, "err.example", 0, INKAN_DNS_SERVFAIL), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	memset(&q, 0, sizeof(q));
	q.ip = ip_of(c->ip);
	q.sender = c->sender;
	q.helo = c->helo;
	q.scope = c->scope;
	q.now = 1400000000;
	rc = inkan_spf_check(r, a, &q, &res);
	if (rc != 0)
		fail_msg("%s: error %s", c->name, inkan_strerror(rc));
	if (res.result != c->want)
		fail_msg("%s: wanted %s, got %s (%s)", c->name, inkan_spf_verdict_name(c->want),
		    inkan_spf_verdict_name(res.result), res.problem ? res.problem : "-");
	if (c->mechanism != NULL && (res.mechanism == NULL ||
	    strcmp(res.mechanism, c->mechanism) != 0))
		fail_msg("%s: wanted mechanism %s, got %s", c->name, c->mechanism,
		    res.mechanism ? res.mechanism : "(null)");
	if (c->explanation != NULL && (res.explanation == NULL ||
	    strcmp(res.explanation, c->explanation) != 0))
		fail_msg("%s: wanted explanation \"%s\", got \"%s\"", c->name, c->explanation,
		    res.explanation ? res.explanation : "(null)");
	if (res.result != INKAN_SPF_FAIL && res.explanation != NULL)
		fail_msg("%s: explanation on %s", c->name, inkan_spf_verdict_name(res.result));
	if ((res.result == INKAN_SPF_PERMERROR || res.result == INKAN_SPF_TEMPERROR ||
	    res.result == INKAN_SPF_NONE) && res.problem == NULL)
		fail_msg("%s: no problem text", c->name);
	if (c->lookups >= 0 && res.dns_lookups != (unsigned)c->lookups)
		fail_msg("%s: wanted %d DNS terms, got %u", c->name, c->lookups, res.dns_lookups);
	if (c->voids >= 0 && res.void_lookups != (unsigned)c->voids)
		fail_msg("%s: wanted %d void lookups, got %u", c->name, c->voids,
		    res.void_lookups);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* The identity and sender strings of the result. */
static void
test_check_identity(void **state)
{
	const char *zt = "helo.example. TXT \"v=spf1 +all\"\n";
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_query q = { .ip = ip_of("192.0.2.1"), .sender = "<>",
		.helo = "helo.example" };
	struct inkan_spf_result res;

	(void)state;
	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_zone_load_string(z, zt, strlen(zt), ".", NULL), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	assert_int_equal(inkan_spf_check(r, a, &q, &res), 0);
	assert_int_equal(res.result, INKAN_SPF_PASS);
	assert_string_equal(res.identity, "mailfrom");
	assert_string_equal(res.sender, "postmaster@helo.example");
	assert_string_equal(res.domain, "helo.example");
	assert_string_equal(res.matched_domain, "helo.example");
	assert_int_equal(res.dns_queries, 1);
	q.scope = INKAN_SPF_SCOPE_HELO;
	assert_int_equal(inkan_spf_check(r, a, &q, &res), 0);
	assert_string_equal(res.identity, "helo");
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* A resolver that answers from an inner one until its budget of queries
 * is spent, then says INKAN_EAGAIN, as a cache-only resolver does on a
 * miss.  It records the questions, to show re-runs ask the same ones. */
struct budget {
	struct inkan_resolver base;
	struct inkan_resolver *inner;
	int left;
	char log[4096];
	size_t loglen;
};

static int
budget_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	struct budget *b = (struct budget *)r;
	int n;

	if (b->left-- <= 0)
		return INKAN_EAGAIN;
	n = snprintf(b->log + b->loglen, sizeof(b->log) - b->loglen, "%s/%u ", name, type);
	if (n > 0 && (size_t)n < sizeof(b->log) - b->loglen)
		b->loglen += (size_t)n;
	return b->inner->ops->query(b->inner, a, name, type, out);
}

static void
budget_destroy(struct inkan_resolver *r)
{
	(void)r;
}

static const struct inkan_resolver_ops budget_ops = { "budget", budget_query, budget_destroy };

static void
test_check_eagain(void **state)
{
	const char *zt = MX11 "t.example. TXT \"v=spf1 a exists:%{p}.p.example "
	    "-mx:mx.example +all exp=e.example\"\ne.example. TXT \"%{p} no\"\n"
	    "t.example. A 192.0.2.200\n8.2.0.192.in-addr.arpa. PTR t.example.\n";
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_query q = { .ip = ip_of("192.0.2.8"), .sender = "u@t.example",
		.helo = "h.example", .now = 1 };
	struct inkan_spf_result res, full;
	struct budget b;
	char first[4096];
	int total;

	(void)state;
	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_zone_load_string(z, zt, strlen(zt), ".", NULL), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	memset(&b, 0, sizeof(b));
	b.base.ops = &budget_ops;
	b.inner = r;
	b.left = 1000;
	assert_int_equal(inkan_spf_check(&b.base, a, &q, &full), 0);
	assert_int_equal(full.result, INKAN_SPF_FAIL);
	assert_string_equal(full.explanation, "unknown no");
	total = 1000 - b.left;
	/* TXT t, A t, PTR, A t (validation), A unknown.p, MX, A h1..h8, TXT e */
	assert_int_equal(total, 15);
	memcpy(first, b.log, b.loglen + 1);
	/* every shorter budget stops with EAGAIN, asking a prefix of the
	 * same questions; the full budget gives the same verdict again */
	for (int k = 0; k <= total; k++) {
		b.left = k;
		b.loglen = 0;
		b.log[0] = '\0';
		inkan_arena_reset(a);
		int rc = inkan_spf_check(&b.base, a, &q, &res);

		if (k < total) {
			if (rc != INKAN_EAGAIN)
				fail_msg("budget %d: wanted EAGAIN, got %s", k,
				    inkan_strerror(rc));
			if (strncmp(first, b.log, b.loglen) != 0)
				fail_msg("budget %d: different questions: %s", k, b.log);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(res.result, full.result);
			assert_string_equal(b.log, first);
		}
	}
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

static char trace_buf[8192];

static void
trace_collect(void *arg, const char *line)
{
	size_t n = strlen(trace_buf);

	(void)arg;
	snprintf(trace_buf + n, sizeof(trace_buf) - n, "%s\n", line);
}

static void
test_check_trace(void **state)
{
	const char *zt = "example.com. TXT \"v=spf1 a:n.example.com include:_spf.example.net "
	    "-all\"\n_spf.example.net. TXT \"v=spf1 ip4:192.0.2.0/24\"\n";
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_query q = { .ip = ip_of("192.0.2.7"), .sender = "u@example.com" };
	struct inkan_spf_result res;

	(void)state;
	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_zone_load_string(z, zt, strlen(zt), ".", NULL), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &r), 0);
	trace_buf[0] = '\0';
	inkan_resolver_set_trace(r, trace_collect, NULL);
	assert_int_equal(inkan_spf_check(r, a, &q, &res), 0);
	assert_int_equal(res.result, INKAN_SPF_PASS);
	if (strstr(trace_buf, "spf example.com: a:n.example.com (dns terms 1/10, void 0/2)") ==
	    NULL || strstr(trace_buf, "spf example.com: include:_spf.example.net (dns terms "
	    "2/10, void 1/2)") == NULL || strstr(trace_buf, "spf _spf.example.net: "
	    "ip4:192.0.2.0/24 (dns terms 2/10, void 1/2)") == NULL)
		fail_msg("trace lacks the term lines:\n%s", trace_buf);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

/* ---- Received-SPF (§9.1) ---- */

struct received_case {
	const char *name;
	const char *ip, *sender, *helo, *receiver;
	enum inkan_spf_verdict v;
	const char *mechanism, *problem;
	const char *want;
};

static const struct received_case received_cases[] = {
	{ "pass, the RFC 7208 9.1 example", "192.0.2.1", "myname@example.com", "foo.example.com",
	    "mybox.example.org", INKAN_SPF_PASS, "ip4:192.0.2.1", NULL,
	    "Received-SPF: pass (mybox.example.org: domain of myname@example.com designates "
	    "192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
	    "envelope-from=\"myname@example.com\"; helo=foo.example.com; "
	    "receiver=mybox.example.org; identity=mailfrom; mechanism=\"ip4:192.0.2.1\"" },
	{ "fail, IPv6 client quoted", "2001:db8::1", "a@example.com", "h.example.net", "mx.test",
	    INKAN_SPF_FAIL, "-all", NULL,
	    "Received-SPF: fail (mx.test: domain of a@example.com does not designate "
	    "2001:db8::1 as permitted sender) client-ip=\"2001:db8::1\"; "
	    "envelope-from=\"a@example.com\"; helo=h.example.net; receiver=mx.test; "
	    "identity=mailfrom; mechanism=-all" },
	{ "permerror with a problem, hostile HELO", "192.0.2.1", "x@example.com",
	    "evil\r\nX-Injected: \"yes\"", NULL, INKAN_SPF_PERMERROR, NULL, "bad (record)",
	    "Received-SPF: permerror (unknown: permanent error in processing domain of "
	    "example.com) client-ip=192.0.2.1; envelope-from=\"x@example.com\"; "
	    "helo=\"evil??X-Injected: \\\"yes\\\"\"; receiver=unknown; identity=mailfrom; "
	    "problem=\"bad (record)\"" },
	{ "softfail, parenthesis in the sender", "192.0.2.1", "(a)@example.com", NULL, "r.test",
	    INKAN_SPF_SOFTFAIL, "~all", NULL,
	    "Received-SPF: softfail (r.test: domain of transitioning \\(a\\)@example.com does "
	    "not designate 192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
	    "envelope-from=\"(a)@example.com\"; receiver=r.test; identity=mailfrom; "
	    "mechanism=~all" },
};

static void
test_received(void **state)
{
	const struct received_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_spf_query q = { .ip = ip_of(c->ip), .sender = c->sender, .helo = c->helo,
		.receiver = c->receiver };
	struct inkan_spf_result res = { .result = c->v, .identity = "mailfrom",
		.sender = c->sender, .domain = "example.com", .mechanism = c->mechanism,
		.problem = c->problem };
	char *h = inkan_spf_received(a, &q, &res);

	if (h == NULL || strcmp(h, c->want) != 0)
		fail_msg("%s:\nwanted %s\ngot    %s", c->name, c->want, h ? h : "(null)");
	inkan_arena_free(a);
}

/* One group, so that the TAP stream has one plan: every table row is a
 * test of its own, named after the row. */
static size_t
add_rows(struct CMUnitTest *t, size_t n, const void *rows, size_t size, size_t count,
    CMUnitTestFunction fn, size_t name_off)
{
	for (size_t i = 0; i < count; i++) {
		const char *row = (const char *)rows + i * size;

		t[n].name = *(const char *const *)(row + name_off);
		t[n].test_func = fn;
		t[n].initial_state = (void *)(uintptr_t)row;
		n++;
	}
	return n;
}

#define ROWS(t, n, rows, fn) add_rows(t, n, rows, sizeof(rows[0]), \
    sizeof(rows) / sizeof(rows[0]), fn, offsetof(__typeof__(rows[0]), name))
#define NROWS(rows) (sizeof(rows) / sizeof(rows[0]))

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_parse_terms),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_is_record_and_names),
		cmocka_unit_test(test_macro_url_escape),
		cmocka_unit_test(test_check_identity),
		cmocka_unit_test(test_check_eagain),
		cmocka_unit_test(test_check_trace),
	};
	size_t total = NROWS(parse_cases) + NROWS(macro_cases) + NROWS(check_cases) +
	    NROWS(received_cases) + NROWS(misc), n = 0;
	struct CMUnitTest *t = calloc(total, sizeof(*t));
	int rc;

	if (t == NULL)
		return 1;
	n = ROWS(t, n, parse_cases, test_parse);
	n = ROWS(t, n, macro_cases, test_macro);
	n = ROWS(t, n, check_cases, test_check);
	n = ROWS(t, n, received_cases, test_received);
	for (size_t i = 0; i < NROWS(misc); i++)
		t[n++] = misc[i];
	rc = _cmocka_run_group_tests("spf", t, n, NULL, NULL);
	free(t);
	return rc;
}
