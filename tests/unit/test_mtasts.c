/* test_mtasts.c - MTA-STS (RFC 8461) and the TLS-RPT record (RFC 8460):
 * record and policy grammar, MX matching, lookups through the zone
 * backend, and the parts of the fetch and discovery that need no server
 * (refused connection, timeout, no address, discovery outcomes).  The
 * fetch against a real HTTPS server is tests/integration/mtasts_nginx.sh.
 *
 * Expectations come from the RFC text (cited per case), not from our
 * output.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"
#include "inkan/tlsrpt.h"

#define NROWS(x) (sizeof(x) / sizeof(x[0]))

/* Any readable PEM CA file: the fetches below never reach TLS
 * verification, but curl loads the file when the handshake starts. */
#define CA_FILE INKAN_TESTDATA "/dane/openssl/danetest.pem"

/* ---- TXT record (RFC 8461 §3.1) ---- */

struct rec_case {
	const char *name;
	const char *in;
	int rc;
	const char *want;	/* id when valid, else a substring of the reason */
	size_t next;
};

static const struct rec_case rec_cases[] = {
	{ "3.1 example record", "v=STSv1; id=20160831085700Z;", 0, "20160831085700Z", 0 },
	{ "3.1 no final semicolon", "v=STSv1; id=abc", 0, "abc", 0 },
	{ "3.1 WSP around delimiters", "v=STSv1 ;\tid=abc\t ; ", 0, "abc", 0 },
	{ "3.1 no WSP at all", "v=STSv1;id=20180907T090909;", 0, "20180907T090909", 0 },
	{ "3.1 extension kept", "v=STSv1; id=a; ext.x-y_z=1:2<>", 0, "a", 1 },
	{ "3.1 32-character id", "v=STSv1; id=01234567890123456789012345678901", 0,
	    "01234567890123456789012345678901", 0 },
	{ "3.1 33-character id", "v=STSv1; id=012345678901234567890123456789012",
	    INKAN_EMALFORMED, "at most 32", 0 },
	{ "3.1 id with hyphen", "v=STSv1; id=a-b", INKAN_EMALFORMED, "letter or digit", 0 },
	{ "3.1 empty id", "v=STSv1; id=", INKAN_EMALFORMED, "id= is empty", 0 },
	{ "3.1 missing id", "v=STSv1; ext=1", INKAN_EMALFORMED, "missing id=", 0 },
	{ "3.1 id twice", "v=STSv1; id=a; id=b", INKAN_EMALFORMED, "more than once", 0 },
	{ "3.1 version first", "id=1; v=STSv1", INKAN_EMALFORMED, "begin with v=STSv1", 0 },
	{ "3.1 version is case-sensitive", "v=stsv1; id=1", INKAN_EMALFORMED, "begin", 0 },
	{ "3.1 STSv10", "v=STSv10; id=1", INKAN_EMALFORMED, "not STSv1", 0 },
	{ "3.1 double semicolon", "v=STSv1; id=a;;", INKAN_EMALFORMED, "empty field", 0 },
	{ "3.1 field without =", "v=STSv1; id=a; bogus", INKAN_EMALFORMED, "no \"=\"", 0 },
	{ "3.1 space before =", "v=STSv1; id =a", INKAN_EMALFORMED, "field name", 0 },
	{ "3.1 value with =", "v=STSv1; id=a; x==", INKAN_EMALFORMED, "not allowed", 0 },
	{ "3.1 value with space", "v=STSv1; id=a; x=a b", INKAN_EMALFORMED, "not allowed", 0 },
	{ "3.1 empty extension value", "v=STSv1; id=a; x=", INKAN_EMALFORMED, "empty value", 0 },
	{ "3.1 extension name 33 chars", "v=STSv1; id=a; a12345678901234567890123456789012=1",
	    INKAN_EMALFORMED, "longer than 32", 0 },
	{ "3.1 extension name starts with _", "v=STSv1; id=a; _x=1", INKAN_EMALFORMED,
	    "field name", 0 },
	{ "3.1 control character", "v=STSv1; id=a; x=\x01", INKAN_EMALFORMED, "not allowed", 0 },
};

static void
test_record(void **state)
{
	const struct rec_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_record r;
	const char *why = NULL;
	int rc = inkan_mtasts_record_parse(a, c->in, strlen(c->in), &r, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc),
		    why ? why : "-", inkan_strerror(c->rc));
	if (rc == 0) {
		assert_non_null(r.id);
		if (strcmp(r.id, c->want) != 0)
			fail_msg("%s: id [%s], wanted [%s]", c->name, r.id, c->want);
		assert_int_equal(r.next, c->next);
		assert_null(why);
	} else if (why == NULL || strstr(why, c->want) == NULL) {
		fail_msg("%s: reason [%s], wanted [%s]", c->name, why ? why : "", c->want);
	}
	inkan_arena_free(a);
}

static void
test_record_ext(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_record r;
	const char *in = "v=STSv1; id=a; more=a; ext=2";

	(void)state;
	assert_int_equal(inkan_mtasts_record_parse(a, in, strlen(in), &r, NULL), 0);
	assert_int_equal(r.next, 2);
	assert_string_equal(r.ext[0].name, "more");
	assert_string_equal(r.ext[0].value, "a");
	assert_string_equal(r.ext[1].name, "ext");
	assert_string_equal(r.ext[1].value, "2");
	inkan_arena_free(a);
}

/* §3.1: records that do not begin with "v=STSv1;" are discarded. */
static void
test_record_is_sts(void **state)
{
	(void)state;
	assert_true(inkan_mtasts_record_is_sts("v=STSv1; id=1", 13));
	assert_true(inkan_mtasts_record_is_sts("v=STSv1;id=1", 12));
	assert_true(inkan_mtasts_record_is_sts("v=STSv1 ;", 9));
	assert_true(inkan_mtasts_record_is_sts("v=STSv1", 7));
	assert_false(inkan_mtasts_record_is_sts("v=STSv12;id=1", 13));
	assert_false(inkan_mtasts_record_is_sts("id=1; v=STSv1;", 14));
	assert_false(inkan_mtasts_record_is_sts(" v=STSv1;", 9));
	assert_false(inkan_mtasts_record_is_sts("v=spf1 -all", 11));
	assert_false(inkan_mtasts_record_is_sts("", 0));
}

/* ---- policy (RFC 8461 §3.2) ---- */

#define P_OK "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n"

struct pol_case {
	const char *name;
	const char *in;
	int rc;
	/* valid: "mode max_age nmx"; invalid: substring of diag.why */
	const char *want;
	unsigned warnings;
};

static const struct pol_case pol_cases[] = {
	{ "3.2 example", "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	    "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n", 0,
	    "enforce 604800 3", 0 },
	{ "3.2 CRLF lines", "version: STSv1\r\nmode: testing\r\nmx: a.example\r\nmax_age: 1\r\n",
	    0, "testing 1 1", 0 },
	{ "3.2 no final line end", "version: STSv1\nmode: none\nmax_age: 0", 0, "none 0 0", 0 },
	{ "3.2 fields in any order", "max_age: 5\nmx: a.example\nmode: enforce\nversion: STSv1",
	    0, "enforce 5 1", 0 },
	{ "3.2 no WSP after colon", "version:STSv1\nmode:none\nmax_age:0", 0, "none 0 0", 0 },
	{ "3.2 trailing WSP", "version: STSv1 \t\nmode: none\t\nmax_age: 0 ", 0, "none 0 0", 0 },
	{ "3.2 unknown key ignored", P_OK "foo: bar baz\n", 0, "enforce 86400 1", 0 },
	{ "3.2 max_age 31557600", "version: STSv1\nmode: none\nmax_age: 31557600\n", 0,
	    "none 31557600 0", 0 },
	{ "3.2 max_age 10 digits", "version: STSv1\nmode: none\nmax_age: 0000000001\n", 0,
	    "none 1 0", 0 },
	{ "3.2 mode none may list mx", "version: STSv1\nmode: none\nmx: a.example\nmax_age: 1",
	    0, "none 1 1", 0 },
	{ "3.2 uppercase mx lowercased", "version: STSv1\nmode: enforce\nmx: MX.Example.COM\n"
	    "max_age: 1", 0, "enforce 1 1", 0 },
	{ "warn: blank line", "version: STSv1\n\nmode: none\nmax_age: 1\n", 0, "none 1 0", 1 },
	{ "warn: trailing blank lines", "version: STSv1\nmode: none\nmax_age: 1\n\n\n", 0,
	    "none 1 0", 2 },
	{ "warn: mx trailing dot", "version: STSv1\nmode: enforce\nmx: a.example.\nmax_age: 1",
	    0, "enforce 1 1", 1 },
	{ "warn: mx twice", "version: STSv1\nmode: enforce\nmx: a.example\nmx: A.example\n"
	    "max_age: 1", 0, "enforce 1 1", 1 },
	{ "3.2 empty", "", INKAN_EMALFORMED, "no version", 0 },
	{ "3.2 garbage", "garbage", INKAN_EMALFORMED, "line 1: \"garbage\" is not a", 0 },
	{ "3.2 version STSv2", "version: STSv2\nmode: none\nmax_age: 1", INKAN_EMALFORMED,
	    "line 1: version \"STSv2\" is not STSv1", 0 },
	{ "3.2 missing mode", "version: STSv1\nmx: a.example\nmax_age: 1", INKAN_EMALFORMED,
	    "no mode", 0 },
	{ "3.2 missing max_age", "version: STSv1\nmode: none\n", INKAN_EMALFORMED,
	    "no max_age", 0 },
	{ "3.2 enforce needs mx", "version: STSv1\nmode: enforce\nmax_age: 1",
	    INKAN_EMALFORMED, "line 2: mode enforce needs at least one mx", 0 },
	{ "3.2 testing needs mx", "version: STSv1\nmode: testing\nmax_age: 1",
	    INKAN_EMALFORMED, "mode testing needs", 0 },
	{ "3.2 bad mode", "version: STSv1\nmode: doubt\nmx: a.example\nmax_age: 1",
	    INKAN_EMALFORMED, "line 2: mode \"doubt\" is not enforce", 0 },
	{ "3.2 mode is case-sensitive", "version: STSv1\nmode: Enforce\nmx: a\nmax_age: 1",
	    INKAN_EMALFORMED, "case-sensitive", 0 },
	{ "3.2 key is case-sensitive", "version: STSv1\nMode: enforce\nmx: a\nmax_age: 1",
	    INKAN_EMALFORMED, "line 2: key \"Mode\" must be written \"mode\"", 0 },
	{ "3.2 max_age above a year", "version: STSv1\nmode: none\nmax_age: 31557601",
	    INKAN_EMALFORMED, "max_age 31557601 is above 31557600", 0 },
	{ "3.2 max_age 11 digits", "version: STSv1\nmode: none\nmax_age: 01234567890",
	    INKAN_EMALFORMED, "11 digits", 0 },
	{ "3.2 max_age not a number", "version: STSv1\nmode: none\nmax_age: xxx",
	    INKAN_EMALFORMED, "not a whole number", 0 },
	{ "3.2 max_age negative", "version: STSv1\nmode: none\nmax_age: -1",
	    INKAN_EMALFORMED, "not a whole number", 0 },
	{ "3.2 mode twice", "version: STSv1\nmode: none\nmode: enforce\nmx: a\nmax_age: 1",
	    INKAN_EMALFORMED, "line 3: mode appears more than once", 0 },
	{ "3.2 empty mx", "version: STSv1\nmode: enforce\nmax_age: 0\nmx:",
	    INKAN_EMALFORMED, "empty value", 0 },
	{ "3.2 double wildcard", "version: STSv1\nmode: enforce\nmax_age: 0\nmx: *.*.example",
	    INKAN_EMALFORMED, "wildcard is allowed only", 0 },
	{ "3.2 partial wildcard", "version: STSv1\nmode: enforce\nmax_age: 0\nmx: m*.example",
	    INKAN_EMALFORMED, "wildcard is allowed only", 0 },
	{ "3.2 label ends with hyphen", "version: STSv1\nmode: enforce\nmax_age: 0\n"
	    "mx: test.example-", INKAN_EMALFORMED, "hyphen", 0 },
	{ "3.2 mx U-label", "version: STSv1\nmode: enforce\nmax_age: 0\nmx: m\xc3\xb8x.example",
	    INKAN_EMALFORMED, "A-labels", 0 },
	{ "3.2 mx with underscore", "version: STSv1\nmode: enforce\nmax_age: 0\nmx: a_b.example",
	    INKAN_EMALFORMED, "not a host name", 0 },
	{ "3.2 space before colon", "version : STSv1\nmode: none\nmax_age: 1",
	    INKAN_EMALFORMED, "whitespace", 0 },
	{ "3.2 leading space", " version: STSv1\nmode: none\nmax_age: 1",
	    INKAN_EMALFORMED, "whitespace", 0 },
	{ "3.2 bad extension name", "version: STSv1\nmode: none\nmax_age: 1\n_bad: x",
	    INKAN_EMALFORMED, "line 4: key \"_bad\"", 0 },
	{ "3.2 extension name too long", "version: STSv1\nmode: none\nmax_age: 1\n"
	    "a12345678901234567890123456789012: 1", INKAN_EMALFORMED, "longer than 32", 0 },
	{ "3.2 extension bad UTF-8", "version: STSv1\nmode: none\nmax_age: 1\nx: \xc3\x28",
	    INKAN_EMALFORMED, "invalid UTF-8", 0 },
	{ "3.2 byte order mark", "\xef\xbb\xbfversion: STSv1\nmode: none\nmax_age: 1",
	    INKAN_EMALFORMED, "line 1: the policy begins with a UTF-8 byte order mark", 0 },
	{ "3.2 bare CR", "version: STSv1\rmode: none\nmax_age: 1", INKAN_EMALFORMED,
	    "CR not followed by LF", 0 },
	{ "3.2 NUL byte", "version: STSv1\nmode: none\nmax_age: 1\nx: a", INKAN_EMALFORMED,
	    NULL, 0 },
};

static void
test_policy(void **state)
{
	const struct pol_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_policy p;
	struct inkan_mtasts_policy_diag d;
	size_t len = strlen(c->in);
	unsigned warns = 0;
	char *buf = NULL;
	int rc;

	if (c->want == NULL) {
		/* The NUL case: put a NUL byte in the last value. */
		buf = strdup(c->in);
		buf[len - 1] = '\0';
		rc = inkan_mtasts_policy_parse(a, buf, len, &p, &d);
		free(buf);
		assert_int_equal(rc, INKAN_EMALFORMED);
		assert_non_null(strstr(d.why, "control character 0x00"));
		inkan_arena_free(a);
		return;
	}
	rc = inkan_mtasts_policy_parse(a, c->in, len, &p, &d);
	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc),
		    d.why ? d.why : "-", inkan_strerror(c->rc));
	for (size_t i = 0; i < d.n; i++)
		warns += d.problems[i].severity == INKAN_LINT_WARN;
	if (rc == 0) {
		char got[64];

		snprintf(got, sizeof(got), "%s %u %zu", inkan_mtasts_mode_name(p.mode), p.max_age,
		    p.nmx);
		if (strcmp(got, c->want) != 0)
			fail_msg("%s: parsed [%s], wanted [%s]", c->name, got, c->want);
		assert_null(d.why);
		assert_int_equal(d.errors, 0);
		if (warns != c->warnings)
			fail_msg("%s: %u warnings, wanted %u", c->name, warns, c->warnings);
	} else {
		assert_true(d.errors > 0);
		if (d.why == NULL || strstr(d.why, c->want) == NULL)
			fail_msg("%s: reason [%s], wanted [%s]", c->name, d.why ? d.why : "",
			    c->want);
	}
	inkan_arena_free(a);
}

/* Fields as parsed, and every problem named, not only the first. */
static void
test_policy_fields(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_policy p;
	struct inkan_mtasts_policy_diag d;
	const char *in = "version:STSv1\r\nmode:\tenforce\r\nmx:  \t\t *.Example.com\n"
	    "max_age: 1\nmore:ext e  ns ion";
	const char *bad = "version: STSv2\nmode: doubt\nmax_age: 99999999999\nmx: -a\n";

	(void)state;
	assert_int_equal(inkan_mtasts_policy_parse(a, in, strlen(in), &p, &d), 0);
	assert_int_equal(p.mode, INKAN_MTASTS_MODE_ENFORCE);
	assert_int_equal(p.nmx, 1);
	assert_string_equal(p.mx[0], "*.example.com");
	assert_int_equal(p.next, 1);
	assert_string_equal(p.ext[0].name, "more");
	assert_string_equal(p.ext[0].value, "ext e  ns ion");

	assert_int_equal(inkan_mtasts_policy_parse(a, bad, strlen(bad), &p, &d),
	    INKAN_EMALFORMED);
	assert_int_equal(d.errors, 4);	/* version, mode, max_age, mx */
	assert_int_equal(d.problems[0].line, 1);
	assert_int_equal(d.problems[1].line, 2);
	assert_int_equal(d.problems[2].line, 3);
	assert_int_equal(d.problems[3].line, 4);
	assert_non_null(strstr(d.problems[3].message, "hyphen"));
	assert_string_equal(d.why, "line 1: version \"STSv2\" is not STSv1");
	inkan_arena_free(a);
}

/* Limits: 64 KiB (§3.3) and the problem cap. */
static void
test_policy_limits(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_policy p;
	struct inkan_mtasts_policy_diag d;
	size_t n = INKAN_MTASTS_MAX_POLICY + 1;
	char *big = malloc(n);

	(void)state;
	memset(big, '\n', n);
	assert_int_equal(inkan_mtasts_policy_parse(a, big, n, &p, &d), INKAN_EMALFORMED);
	assert_non_null(strstr(d.why, "at most 65536"));
	/* 64 KiB of bad lines: the list stops at the cap and says how many
	 * more there were. */
	memset(big, 'x', n - 1);
	for (size_t i = 1; i < n - 1; i += 2)
		big[i] = '\n';
	assert_int_equal(inkan_mtasts_policy_parse(a, big, n - 1, &p, &d), INKAN_EMALFORMED);
	assert_int_equal(d.n, INKAN_MTASTS_MAX_PROBLEMS);
	assert_non_null(strstr(d.problems[d.n - 1].message, "more problems not listed"));
	assert_int_equal(d.problems[d.n - 1].severity, INKAN_LINT_ERROR);
	assert_true(d.errors > 10000);
	/* Many warnings (a repeated mx) do not make a valid policy invalid. */
	{
		struct inkan_buf b;

		inkan_buf_init(&b, 0);
		inkan_buf_puts(&b, "version: STSv1\nmode: enforce\nmax_age: 1\n");
		for (int i = 0; i < 100; i++)
			inkan_buf_puts(&b, "mx: a.example\n");
		assert_int_equal(inkan_mtasts_policy_parse(a, b.p, b.len, &p, &d), 0);
		assert_int_equal(d.n, INKAN_MTASTS_MAX_PROBLEMS);
		assert_int_equal(d.problems[d.n - 1].severity, INKAN_LINT_WARN);
		assert_int_equal(p.nmx, 1);
		/* More than INKAN_MTASTS_MAX_MX distinct patterns: invalid. */
		inkan_buf_reset(&b);
		inkan_buf_puts(&b, "version: STSv1\nmode: enforce\nmax_age: 1\n");
		for (int i = 0; i <= INKAN_MTASTS_MAX_MX; i++)
			inkan_buf_printf(&b, "mx: m%d.example\n", i);
		assert_int_equal(inkan_mtasts_policy_parse(a, b.p, b.len, &p, &d),
		    INKAN_EMALFORMED);
		assert_non_null(strstr(d.why, "more than 1000 mx lines"));
		inkan_buf_free(&b);
	}
	/* NULL policy text is an empty policy. */
	assert_int_equal(inkan_mtasts_policy_parse(a, NULL, 5, &p, NULL), INKAN_EMALFORMED);
	free(big);
	inkan_arena_free(a);
}

/* ---- MX matching (RFC 8461 §4.1) ---- */

struct mx_case {
	const char *pattern, *host;
	bool match;
};

static const struct mx_case mx_cases[] = {
	{ "mail.example.com", "mail.example.com", true },
	{ "mail.example.com", "MAIL.Example.COM", true },		/* case */
	{ "mail.example.com", "mail.example.com.", true },		/* trailing dot */
	{ "mail.example.com.", "mail.example.com", true },
	{ "mail.example.com", "mail2.example.com", false },
	{ "mail.example.com", "example.com", false },
	{ "*.example.com", "mail.example.com", true },
	{ "*.example.com", "Mail.EXAMPLE.com.", true },
	{ "*.example.com", "example.com", false },			/* one more label */
	{ "*.example.com", "a.mail.example.com", false },		/* exactly one */
	{ "*.example.com", ".example.com", false },
	{ "*.example.com", "mailexample.com", false },
	{ "*.example.com", "mail.example.co", false },
	{ "*.b.example", "sub.b.example", true },
	{ "", "a", false },
	{ "a", "", false },
};

static void
test_mx_match(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(mx_cases); i++) {
		bool m = inkan_mtasts_mx_match(mx_cases[i].pattern, mx_cases[i].host);

		if (m != mx_cases[i].match)
			fail_msg("pattern [%s] host [%s]: %d, wanted %d", mx_cases[i].pattern,
			    mx_cases[i].host, m, mx_cases[i].match);
	}
}

static void
test_policy_match(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_policy p;
	const char *in = "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a.example\n"
	    "mx: *.b.example\n";

	(void)state;
	assert_int_equal(inkan_mtasts_policy_parse(a, in, strlen(in), &p, NULL), 0);
	assert_string_equal(inkan_mtasts_policy_match(&p, "a.example"), "a.example");
	assert_string_equal(inkan_mtasts_policy_match(&p, "x.b.example."), "*.b.example");
	assert_null(inkan_mtasts_policy_match(&p, "b.example"));
	assert_null(inkan_mtasts_policy_match(NULL, "a.example"));
	inkan_arena_free(a);
}

/* ---- lookup through the zone backend ---- */

static const char *const zone_lines[] = {
	"_mta-sts.a.example. TXT \"v=STSv1; id=1\"",
	"_mta-sts.one.example. TXT \"v=STSv1; id=1\"",
	"_mta-sts.one.example. TXT \"v=spf1 -all\"",
	"_mta-sts.other.example. TXT \"bogus\"",
	"_mta-sts.other.example. TXT \"v=STSv12; id=1\"",
	"_mta-sts.multi.example. TXT \"v=STSv1; id=1\"",
	"_mta-sts.multi.example. TXT \"v=STSv1; id=2\"",
	"_mta-sts.bad.example. TXT \"v=STSv1; bogus\"",
	"_mta-sts.split.example. TXT \"v=STSv1; \" \"id=abc\"",
	"_mta-sts.cn.example. CNAME _mta-sts.target.example.",
	"_mta-sts.target.example. TXT \"v=STSv1; id=tgt\"",
	"_mta-sts.nodata.example. A 192.0.2.1",
	"_smtp._tls.a.example. TXT \"v=TLSRPTv1; rua=mailto:tls@a.example\"",
	"_smtp._tls.two.example. TXT \"v=TLSRPTv1; rua=mailto:x@two.example\"",
	"_smtp._tls.two.example. TXT \"v=TLSRPTv1; rua=mailto:y@two.example\"",
	"_smtp._tls.bad.example. TXT \"v=TLSRPTv1; rua=ftp://x\"",
	"_smtp._tls.none.example. TXT \"v=TLSRPTv2; rua=mailto:x@none.example\"",
};

struct lookup_case {
	const char *name;
	const char *domain;
	enum inkan_mtasts_record_status status;
	const char *want;	/* id, or a substring of why */
};

static const struct lookup_case lookup_cases[] = {
	{ "3.1 one record", "a.example", INKAN_MTASTS_RECORD_FOUND, "1" },
	{ "3.1 other TXT records ignored", "one.example", INKAN_MTASTS_RECORD_FOUND, "1" },
	{ "3.1 trailing dot and case", "A.Example.", INKAN_MTASTS_RECORD_FOUND, "1" },
	{ "3.1 strings concatenated", "split.example", INKAN_MTASTS_RECORD_FOUND, "abc" },
	{ "3.1 CNAME followed", "cn.example", INKAN_MTASTS_RECORD_FOUND, "tgt" },
	{ "3.1 NXDOMAIN", "absent.example", INKAN_MTASTS_RECORD_NONE, "NXDOMAIN" },
	{ "3.1 NODATA", "nodata.example", INKAN_MTASTS_RECORD_NONE, "NODATA" },
	{ "3.1 no STSv1 record (STSv12 too)", "other.example", INKAN_MTASTS_RECORD_NONE,
	    "begins with v=STSv1 (2 others)" },
	{ "3.1 two records", "multi.example", INKAN_MTASTS_RECORD_MULTIPLE, "exactly one" },
	{ "3.1 invalid record", "bad.example", INKAN_MTASTS_RECORD_INVALID, "no \"=\"" },
	{ "SERVFAIL is temperror", "servfail.example", INKAN_MTASTS_RECORD_TEMPERROR,
	    "SERVFAIL" },
	{ "timeout is temperror", "timeout.example", INKAN_MTASTS_RECORD_TEMPERROR,
	    "TIMEOUT" },
	{ "leading dot: not a domain", ".a.example", INKAN_MTASTS_RECORD_NONE,
	    "not a valid domain name" },
	{ "empty domain", "", INKAN_MTASTS_RECORD_NONE, "not a valid domain name" },
};

static struct inkan_zone *zone;
static struct inkan_resolver *resolver;

static int
setup_zone(void **state)
{
	(void)state;
	if (inkan_zone_new(&zone) != 0)
		return -1;
	for (size_t i = 0; i < NROWS(zone_lines); i++) {
		char *why = NULL;

		if (inkan_zone_add_text(zone, zone_lines[i], &why) != 0) {
			fprintf(stderr, "zone line %s: %s\n", zone_lines[i], why ? why : "?");
			free(why);
			return -1;
		}
	}
	if (inkan_zone_set_status(zone, "_mta-sts.servfail.example", INKAN_DNS_TXT,
	    INKAN_DNS_SERVFAIL) != 0 ||
	    inkan_zone_set_status(zone, "_mta-sts.timeout.example", INKAN_DNS_TXT,
	    INKAN_DNS_TIMEOUT) != 0 ||
	    inkan_zone_set_status(zone, "_smtp._tls.timeout.example", INKAN_DNS_TXT,
	    INKAN_DNS_TIMEOUT) != 0)
		return -1;
	return inkan_resolver_zone_new(zone, &resolver) == 0 ? 0 : -1;
}

static int
teardown_zone(void **state)
{
	(void)state;
	inkan_resolver_free(resolver);
	inkan_zone_free(zone);
	return 0;
}

static void
test_lookup(void **state)
{
	const struct lookup_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_lookup l;

	assert_int_equal(inkan_mtasts_record_lookup(resolver, a, c->domain, &l), 0);
	if (l.status != c->status)
		fail_msg("%s: %s (%s), wanted %s", c->name,
		    inkan_mtasts_record_status_name(l.status), l.why ? l.why : "-",
		    inkan_mtasts_record_status_name(c->status));
	if (l.status == INKAN_MTASTS_RECORD_FOUND) {
		assert_null(l.why);
		if (strcmp(l.record.id, c->want) != 0)
			fail_msg("%s: id [%s], wanted [%s]", c->name, l.record.id, c->want);
		assert_non_null(l.txt);
	} else if (l.why == NULL || strstr(l.why, c->want) == NULL) {
		fail_msg("%s: why [%s], wanted [%s]", c->name, l.why ? l.why : "", c->want);
	}
	inkan_arena_free(a);
}

static void
test_lookup_details(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_lookup l;

	(void)state;
	assert_int_equal(inkan_mtasts_record_lookup(resolver, a, "cn.example", &l), 0);
	assert_string_equal(l.domain, "cn.example");
	assert_string_equal(l.qname, "_mta-sts.cn.example");
	assert_non_null(l.canonname);
	assert_non_null(strstr(l.canonname, "_mta-sts.target.example"));
	assert_int_equal(l.ntxt, 1);
	assert_string_equal(l.txt, "v=STSv1; id=tgt");
	assert_int_equal(inkan_mtasts_record_lookup(resolver, a, "one.example", &l), 0);
	assert_int_equal(l.ntxt, 2);
	inkan_arena_free(a);
}

/* ---- TLS-RPT record (RFC 8460 §3) ---- */

struct rpt_case {
	const char *name;
	const char *in;
	int rc;
	const char *want;	/* valid: "nrua nusable first-target"; else why */
};

static const struct rpt_case rpt_cases[] = {
	{ "3 mailto", "v=TLSRPTv1; rua=mailto:reports@example.com", 0,
	    "1 1 reports@example.com" },
	{ "3 https", "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt", 0,
	    "1 1 reporting.example.com" },
	{ "3 two URIs with WSP", "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example:8443/x;",
	    0, "2 2 a@example.com" },
	{ "3 mailto %-escapes and hfields", "v=TLSRPTv1; rua=mailto:tls%2Brpt@example.com?subject=x",
	    0, "1 1 tls+rpt@example.com" },
	{ "3 other scheme beside a usable one", "v=TLSRPTv1; rua=ftp://x.example/,mailto:a@b.example",
	    0, "2 1 (other)" },
	{ "3 extension", "v=TLSRPTv1; rua=mailto:a@b.example; ext=1", 0, "1 1 a@b.example" },
	{ "3 missing rua", "v=TLSRPTv1;", INKAN_EMALFORMED, "missing rua=" },
	{ "3 rua twice", "v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example",
	    INKAN_EMALFORMED, "more than once" },
	{ "3 empty rua", "v=TLSRPTv1; rua=", INKAN_EMALFORMED, "rua= is empty" },
	{ "3 empty URI", "v=TLSRPTv1; rua=mailto:a@b.example,,mailto:c@d.example",
	    INKAN_EMALFORMED, "empty URI" },
	{ "3 only other schemes", "v=TLSRPTv1; rua=ftp://x.example/", INKAN_EMALFORMED,
	    "no mailto: or https:" },
	{ "3 not a URI", "v=TLSRPTv1; rua=reports@example.com", INKAN_EMALFORMED, "not a URI" },
	{ "3 mailto without @", "v=TLSRPTv1; rua=mailto:reports", INKAN_EMALFORMED,
	    "local@domain" },
	{ "3 bad %-escape", "v=TLSRPTv1; rua=mailto:a%zz@b.example", INKAN_EMALFORMED,
	    "%-escape" },
	{ "3 https without host", "v=TLSRPTv1; rua=https:///x", INKAN_EMALFORMED, "host" },
	{ "3 https no //", "v=TLSRPTv1; rua=https:x", INKAN_EMALFORMED, "//host" },
	{ "3 version", "v=TLSRPTv2; rua=mailto:a@b.example", INKAN_EMALFORMED,
	    "begin with v=TLSRPTv1" },
	{ "3 space in URI", "v=TLSRPTv1; rua=mailto:a b@c.example", INKAN_EMALFORMED,
	    "has a space" },
	{ "3 too many URIs", "v=TLSRPTv1; rua=mailto:a@b.example,mailto:a@b.example,"
	    "mailto:a@b.example,mailto:a@b.example,mailto:a@b.example,mailto:a@b.example,"
	    "mailto:a@b.example,mailto:a@b.example,mailto:a@b.example,mailto:a@b.example,"
	    "mailto:a@b.example,mailto:a@b.example,mailto:a@b.example,mailto:a@b.example,"
	    "mailto:a@b.example,mailto:a@b.example,mailto:a@b.example", INKAN_EMALFORMED,
	    "at most 16" },
};

static void
test_tlsrpt(void **state)
{
	const struct rpt_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_tlsrpt_record r;
	const char *why = NULL;
	int rc = inkan_tlsrpt_record_parse(a, c->in, strlen(c->in), &r, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc),
		    why ? why : "-", inkan_strerror(c->rc));
	if (rc == 0) {
		char got[160];

		snprintf(got, sizeof(got), "%zu %zu %s", r.nrua, r.nusable,
		    r.rua[0].target ? r.rua[0].target : "(other)");
		if (strcmp(got, c->want) != 0)
			fail_msg("%s: parsed [%s], wanted [%s]", c->name, got, c->want);
	} else if (why == NULL || strstr(why, c->want) == NULL) {
		fail_msg("%s: reason [%s], wanted [%s]", c->name, why ? why : "", c->want);
	}
	inkan_arena_free(a);
}

static void
test_tlsrpt_lookup(void **state)
{
	static const struct {
		const char *domain;
		enum inkan_tlsrpt_status status;
	} cases[] = {
		{ "a.example", INKAN_TLSRPT_FOUND },
		{ "two.example", INKAN_TLSRPT_MULTIPLE },	/* RFC 8460 §3 */
		{ "bad.example", INKAN_TLSRPT_INVALID },
		{ "none.example", INKAN_TLSRPT_NONE },
		{ "absent.example", INKAN_TLSRPT_NONE },
		{ "timeout.example", INKAN_TLSRPT_TEMPERROR },
		{ "bad..example", INKAN_TLSRPT_NONE },
	};
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	for (size_t i = 0; i < NROWS(cases); i++) {
		struct inkan_tlsrpt_lookup l;

		assert_int_equal(inkan_tlsrpt_record_lookup(resolver, a, cases[i].domain, &l), 0);
		if (l.status != cases[i].status)
			fail_msg("%s: %s (%s), wanted %s", cases[i].domain,
			    inkan_tlsrpt_status_name(l.status), l.why ? l.why : "-",
			    inkan_tlsrpt_status_name(cases[i].status));
		assert_true((l.why == NULL) == (l.status == INKAN_TLSRPT_FOUND));
	}
	{
		struct inkan_tlsrpt_lookup l;

		assert_int_equal(inkan_tlsrpt_record_lookup(resolver, a, "a.example", &l), 0);
		assert_string_equal(l.qname, "_smtp._tls.a.example");
		assert_int_equal(l.record.nrua, 1);
		assert_int_equal(l.record.rua[0].kind, INKAN_TLSRPT_URI_MAILTO);
		assert_string_equal(l.record.rua[0].target, "tls@a.example");
	}
	inkan_arena_free(a);
}

/* ---- fetch and discovery without a server ---- */

/* A TCP port on 127.0.0.1 that listens but never accepts: the TCP
 * handshake completes (the kernel does it), TLS never starts. */
static int
silent_listener(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port nothing listens on: bind, read the number, close. */
static unsigned
closed_port(void)
{
	unsigned port = 0;
	int fd = silent_listener(&port);

	if (fd >= 0)
		close(fd);
	return port;
}

static void
test_fetch_refused(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_connect cn = { NULL, "127.0.0.1", closed_port() };
	struct inkan_mtasts_fetch_opts o = { .connect = &cn, .nconnect = 1,
	    .ca_file = CA_FILE };
	struct inkan_mtasts_fetch_result f;

	(void)state;
	assert_int_equal(inkan_mtasts_fetch(a, "example.test", &o, &f), 0);
	assert_int_equal(f.status, INKAN_MTASTS_FETCH_FAILED);
	if (f.fail != INKAN_MTASTS_FAIL_CONNECT)
		fail_msg("fail %s (%s), wanted connect", inkan_mtasts_fetch_fail_name(f.fail),
		    f.why);
	assert_string_equal(f.url, "https://mta-sts.example.test/.well-known/mta-sts.txt");
	assert_int_equal(f.http_status, 0);
	assert_null(f.body);
	inkan_arena_free(a);
}

/* §3.3: the fetch must time out. */
static void
test_fetch_timeout(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	unsigned port = 0;
	int fd = silent_listener(&port);
	struct inkan_mtasts_connect cn = { "mta-sts.example.test", "127.0.0.1", port };
	struct inkan_mtasts_fetch_opts o = { .connect = &cn, .nconnect = 1,
	    .timeout_ms = 300, .ca_file = CA_FILE };
	struct inkan_mtasts_fetch_result f;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(inkan_mtasts_fetch(a, "EXAMPLE.test.", &o, &f), 0);
	close(fd);
	assert_int_equal(f.status, INKAN_MTASTS_FETCH_FAILED);
	if (f.fail != INKAN_MTASTS_FAIL_TIMEOUT)
		fail_msg("fail %s (%s), wanted timeout", inkan_mtasts_fetch_fail_name(f.fail),
		    f.why);
	inkan_arena_free(a);
}

/* The policy host's address comes from the resolver; none is an error
 * that names the host (the "policy host missing" case of issue 5). */
static void
test_fetch_no_address(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_fetch_opts o = { .resolver = resolver };
	struct inkan_mtasts_fetch_result f;

	(void)state;
	assert_int_equal(inkan_mtasts_fetch(a, "a.example", &o, &f), 0);
	assert_int_equal(f.status, INKAN_MTASTS_FETCH_FAILED);
	assert_int_equal(f.fail, INKAN_MTASTS_FAIL_DNS);
	assert_non_null(strstr(f.why, "mta-sts.a.example has no address"));
	/* An override for another host does not apply. */
	{
		struct inkan_mtasts_connect cn = { "mta-sts.other.example", "127.0.0.1", 1 };

		o.connect = &cn;
		o.nconnect = 1;
		assert_int_equal(inkan_mtasts_fetch(a, "a.example", &o, &f), 0);
		assert_int_equal(f.fail, INKAN_MTASTS_FAIL_DNS);
	}
	assert_int_equal(inkan_mtasts_fetch(a, "bad..example", &o, &f), INKAN_EINVAL);
	assert_int_equal(inkan_mtasts_fetch(a, NULL, &o, &f), INKAN_EINVAL);
	inkan_arena_free(a);
}

static void
test_discover(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_connect cn = { NULL, "127.0.0.1", closed_port() };
	struct inkan_mtasts_fetch_opts o = { .connect = &cn, .nconnect = 1,
	    .ca_file = CA_FILE };
	struct inkan_mtasts_result res;

	(void)state;
	/* §3.1: no record, several, or an invalid one: no policy. */
	assert_int_equal(inkan_mtasts_discover(resolver, a, "absent.example", &o, &res), 0);
	assert_int_equal(res.status, INKAN_MTASTS_NONE);
	assert_false(res.fetched);
	assert_int_equal(inkan_mtasts_discover(resolver, a, "multi.example", &o, &res), 0);
	assert_int_equal(res.status, INKAN_MTASTS_NONE);
	assert_int_equal(inkan_mtasts_discover(resolver, a, "bad.example", &o, &res), 0);
	assert_int_equal(res.status, INKAN_MTASTS_NONE);
	assert_non_null(strstr(res.why, "invalid MTA-STS record"));
	/* §5.1: DNS failure: keep a cached policy, i.e. fetch-error. */
	assert_int_equal(inkan_mtasts_discover(resolver, a, "timeout.example", &o, &res), 0);
	assert_int_equal(res.status, INKAN_MTASTS_FETCH_ERROR);
	assert_false(res.fetched);
	/* A record, but the policy host refuses. */
	assert_int_equal(inkan_mtasts_discover(resolver, a, "a.example", &o, &res), 0);
	assert_int_equal(res.status, INKAN_MTASTS_FETCH_ERROR);
	assert_true(res.fetched);
	assert_int_equal(res.fetch.fail, INKAN_MTASTS_FAIL_CONNECT);
	assert_null(res.policy);
	assert_string_equal(inkan_mtasts_status_name(res.status), "fetch-error");
	inkan_arena_free(a);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(inkan_mtasts_mode_name(INKAN_MTASTS_MODE_TESTING), "testing");
	assert_string_equal(inkan_mtasts_record_status_name(INKAN_MTASTS_RECORD_MULTIPLE),
	    "multiple");
	assert_string_equal(inkan_mtasts_fetch_fail_name(INKAN_MTASTS_FAIL_CERT_NAME),
	    "cert-name");
	assert_string_equal(inkan_mtasts_status_name(INKAN_MTASTS_VALID), "valid");
	assert_string_equal(inkan_tlsrpt_status_name(INKAN_TLSRPT_TEMPERROR), "temperror");
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_record_ext),
		cmocka_unit_test(test_record_is_sts),
		cmocka_unit_test(test_policy_fields),
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_mx_match),
		cmocka_unit_test(test_policy_match),
		cmocka_unit_test(test_lookup_details),
		cmocka_unit_test(test_tlsrpt_lookup),
		cmocka_unit_test(test_fetch_refused),
		cmocka_unit_test(test_fetch_timeout),
		cmocka_unit_test(test_fetch_no_address),
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_names),
	};
	size_t total = NROWS(rec_cases) + NROWS(pol_cases) + NROWS(lookup_cases) +
	    NROWS(rpt_cases) + NROWS(misc), n = 0;
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
	ADD(rec_cases, test_record);
	ADD(pol_cases, test_policy);
	ADD(lookup_cases, test_lookup);
	ADD(rpt_cases, test_tlsrpt);
	for (size_t i = 0; i < NROWS(misc); i++)
		t[n++] = misc[i];
	rc = _cmocka_run_group_tests("mtasts", t, n, setup_zone, teardown_zone);
	free(t);
	return rc;
}
