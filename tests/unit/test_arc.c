/* test_arc.c - ARC (RFC 8617): the header field parsers, chain validation
 * verdicts and their reasons (§5.2), sealing (§5.1) and its rules, limits.
 *
 * Keys are generated per run (RSA-1024 for speed: RFC 8301's minimum) and
 * served from the in-memory zone backend.  Chains are built by sealing a
 * message again and again; expectations come from the RFC's steps, not
 * from our output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inkan/arc.h"
#include "inkan/arena.h"
#include "inkan/dkim.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"

/* ---- parsers ---- */

struct parse_case {
	const char *name;
	int kind;		/* 0 AAR, 1 AMS, 2 AS */
	const char *in;
	int rc;
	unsigned i;		/* instance wanted (also on error, if readable) */
	const char *why;	/* substring of the reason */
};

#define AMS_OK "a=rsa-sha256; b=ZGVm; bh=YWJj; c=relaxed/relaxed; d=example.org; " \
	"h=from:to; s=sel"
#define AS_OK "a=rsa-sha256; b=ZGVm; cv=none; d=example.org; s=sel"

static const struct parse_case parse_cases[] = {
	/* §4.1.1: instance = [CFWS] "i" [CFWS] "=" [CFWS] i-value, then ';' */
	{ "AAR plain", 0, "i=1; example.org; spf=pass", 0, 1, NULL },
	{ "AAR CFWS and comments", 0, " (hop)\r\n i = 7 (seven) ; example.org; none", 0, 7,
	    NULL },
	{ "AAR i=50 is the limit", 0, "i=50; x; none", 0, 50, NULL },
	{ "AAR i=51 over the limit (§4.2.1)", 0, "i=51; x; none", INKAN_EMALFORMED, 51,
	    "limit" },
	{ "AAR i=0", 0, "i=0; x; none", INKAN_EMALFORMED, 0, "1 to 50" },
	{ "AAR no i=", 0, "example.org; i=1; spf=pass", INKAN_EMALFORMED, 0, "i= instance" },
	{ "AAR I= is not i= (%s)", 0, "I=1; x; none", INKAN_EMALFORMED, 0, "i= instance" },
	{ "AAR no ';' after i=", 0, "i=1 example.org; spf=pass", INKAN_EMALFORMED, 0, "';'" },
	{ "AAR unclosed comment", 0, "(i=1; x", INKAN_EMALFORMED, 0, "comment" },
	/* §4.1.2: DKIM-Signature without v=, i= the instance */
	{ "AMS valid", 1, AMS_OK "; i=2", 0, 2, NULL },
	{ "AMS no i=", 1, AMS_OK, INKAN_EMALFORMED, 0, "missing i=" },
	{ "AMS i=abc", 1, AMS_OK "; i=abc", INKAN_EMALFORMED, 0, "instance" },
	{ "AMS i=51", 1, AMS_OK "; i=51", INKAN_EMALFORMED, 51, "limit" },
	{ "AMS h= names ARC-Seal", 1, "a=rsa-sha256; b=ZGVm; bh=YWJj; d=example.org; "
	    "h=from:ARC-Seal; s=sel; i=1", INKAN_EMALFORMED, 1, "ARC-Seal" },
	{ "AMS h= empty is allowed (ValiMail)", 1, "a=rsa-sha256; b=ZGVm; bh=YWJj; "
	    "d=example.org; h=; s=sel; i=1", 0, 1, NULL },
	{ "AMS h= without From is allowed", 1, "a=rsa-sha256; b=ZGVm; bh=YWJj; "
	    "d=example.org; h=to:subject; s=sel; i=1", 0, 1, NULL },
	{ "AMS missing bh=", 1, "a=rsa-sha256; b=ZGVm; d=example.org; h=from; s=sel; i=1",
	    INKAN_EMALFORMED, 1, "missing bh=" },
	{ "AMS duplicate tag (RFC 6376 §3.2)", 1, AMS_OK "; i=1; s=x", INKAN_EMALFORMED, 0,
	    "duplicate" },
	{ "AMS empty tag-spec", 1, AMS_OK ";; i=1", INKAN_EMALFORMED, 1, ";;" },
	{ "AMS trailing ';' is fine", 1, AMS_OK "; i=1;", 0, 1, NULL },
	/* §4.1.3 */
	{ "AS valid", 2, AS_OK "; i=1", 0, 1, NULL },
	{ "AS cv any case (ABNF)", 2, "a=rsa-sha256; b=ZGVm; cv=Pass; d=example.org; s=sel; "
	    "i=2", 0, 2, NULL },
	{ "AS missing cv=", 2, "a=rsa-sha256; b=ZGVm; d=example.org; s=sel; i=1",
	    INKAN_EMALFORMED, 1, "cv=" },
	{ "AS cv=maybe", 2, "a=rsa-sha256; b=ZGVm; cv=maybe; d=example.org; s=sel; i=1",
	    INKAN_EMALFORMED, 1, "cv=" },
	{ "AS with h=", 2, AS_OK "; i=1; h=from", INKAN_EMALFORMED, 1, "h=" },
	{ "AS missing d=", 2, "a=rsa-sha256; b=ZGVm; cv=none; s=sel; i=1", INKAN_EMALFORMED,
	    1, "missing d=" },
	{ "AS empty b=", 2, "a=rsa-sha256; b=; cv=none; d=example.org; s=sel; i=1",
	    INKAN_EMALFORMED, 1, "empty b=" },
};

static void
test_parse(void **state)
{
	const struct parse_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_arc_sig s;
	struct inkan_slice pl;
	const char *why = NULL;
	unsigned i = 0;
	int rc;

	if (c->kind == 0)
		rc = inkan_arc_aar_parse(c->in, strlen(c->in), &i, &pl, &why);
	else if (c->kind == 1)
		rc = inkan_arc_ams_parse(a, c->in, strlen(c->in), &s, &why);
	else
		rc = inkan_arc_as_parse(a, c->in, strlen(c->in), &s, &why);
	if (c->kind != 0)
		i = s.i;
	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc),
		    why ? why : "-", inkan_strerror(c->rc));
	if (i != c->i)
		fail_msg("%s: instance %u, wanted %u", c->name, i, c->i);
	if (c->why != NULL && (why == NULL || strstr(why, c->why) == NULL))
		fail_msg("%s: reason [%s], wanted [%s]", c->name, why ? why : "", c->why);
	if (rc == 0 && c->kind == 0)
		assert_true(pl.len > 0);
	inkan_arena_free(a);
}

static void
test_parsed_fields(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_arc_sig s;
	const char *ams = "i=3; a=rsa-sha256; d=Example.org; s=sel; h=From:To; bh=YWJj; "
	    "b=ZG Vm; t=100";
	const char *as = "i=3; a=rsa-sha256; d=example.org; s=sel; cv=pass; b=ZGVm; t=5";
	struct inkan_slice pl;
	unsigned i;

	(void)state;
	assert_int_equal(inkan_arc_ams_parse(a, ams, strlen(ams), &s, NULL), 0);
	assert_int_equal(s.i, 3);
	/* no c=: relaxed/relaxed, as dkimpy and the ValiMail suite read it */
	assert_int_equal(s.sig.hdr_canon, INKAN_DKIM_RELAXED);
	assert_int_equal(s.sig.body_canon, INKAN_DKIM_RELAXED);
	assert_int_equal(s.sig.nh, 2);
	assert_string_equal(s.sig.h[0], "from");
	assert_string_equal(s.sig.i, "@Example.org");	/* no AUID in ARC */
	assert_int_equal(s.sig.t, 100);
	assert_int_equal(inkan_arc_as_parse(a, as, strlen(as), &s, NULL), 0);
	assert_int_equal(s.cv, INKAN_ARC_PASS);
	assert_string_equal(s.cv_text, "pass");
	assert_int_equal(s.sig.hdr_canon, INKAN_DKIM_RELAXED);
	assert_int_equal(inkan_arc_aar_parse("i=2; mx.example; dkim=pass", 26, &i, &pl, NULL), 0);
	assert_int_equal(i, 2);
	assert_int_equal(pl.len, strlen(" mx.example; dkim=pass"));
	assert_string_equal(inkan_arc_cv_name(INKAN_ARC_NONE), "none");
	assert_string_equal(inkan_arc_cv_name(INKAN_ARC_PASS), "pass");
	assert_string_equal(inkan_arc_cv_name(INKAN_ARC_FAIL), "fail");
	inkan_arena_free(a);
}

/* ---- a world of keys ---- */

struct world {
	struct inkan_dkim_key *rsa, *rsa2, *ed;
	struct inkan_zone *z;
	struct inkan_resolver *r;
};

static struct world W;

static void
add_txt(struct inkan_zone *z, const char *name, const char *txt)
{
	size_t n = strlen(txt), k = 0, i = 0;
	uint8_t *rd = malloc(n + n / 255 + 2);

	assert_non_null(rd);
	do {
		size_t c = n - i > 255 ? 255 : n - i;

		rd[k++] = (uint8_t)c;
		memcpy(rd + k, txt + i, c);
		k += c;
		i += c;
	} while (i < n);
	assert_int_equal(inkan_zone_add_rr(z, name, INKAN_DNS_TXT, 300, rd, k), 0);
	free(rd);
}

static int
world_setup(void **state)
{
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	if (inkan_dkim_key_generate("rsa", 1024, &W.rsa) != 0 ||
	    inkan_dkim_key_generate("rsa", 1024, &W.rsa2) != 0 ||
	    inkan_dkim_key_generate("ed25519", 0, &W.ed) != 0 || inkan_zone_new(&W.z) != 0)
		return -1;
	add_txt(W.z, "s1._domainkey.fwd.example", inkan_dkim_key_record(W.rsa, a));
	add_txt(W.z, "s2._domainkey.list.example", inkan_dkim_key_record(W.rsa2, a));
	add_txt(W.z, "ed._domainkey.fwd.example", inkan_dkim_key_record(W.ed, a));
	/* a domain whose key server does not answer */
	add_txt(W.z, "s1._domainkey.slow.example", inkan_dkim_key_record(W.rsa, a));
	inkan_zone_set_status(W.z, "s1._domainkey.slow.example", INKAN_DNS_TXT,
	    INKAN_DNS_TIMEOUT);
	inkan_arena_free(a);
	return inkan_resolver_zone_new(W.z, &W.r);
}

static int
world_teardown(void **state)
{
	(void)state;
	inkan_resolver_free(W.r);
	inkan_zone_free(W.z);
	inkan_dkim_key_free(W.rsa);
	inkan_dkim_key_free(W.rsa2);
	inkan_dkim_key_free(W.ed);
	return 0;
}

static const char MSG[] =
    "Authentication-Results: mx.fwd.example; spf=pass smtp.mailfrom=a.example\r\n"
    "From: Alice <alice@a.example>\r\n"
    "To: list@list.example\r\n"
    "Subject: hello\r\n"
    "Date: Mon, 6 Jan 2025 10:00:00 +0000\r\n"
    "Message-ID: <1@a.example>\r\n"
    "\r\n"
    "Hello,\r\nworld.\r\n";

/* Validate msg; fails the test on a library error. */
static struct inkan_arc_results
check(struct inkan_arena *a, const char *msg, const struct inkan_arc_verify_opts *o)
{
	struct inkan_arc_results res;
	int rc = inkan_arc_verify_message(W.r, a, o, msg, strlen(msg), &res);

	if (rc != 0)
		fail_msg("verify: %s", inkan_strerror(rc));
	return res;
}

/* Seal msg as domain/selector with the cv our validation gives; returns
 * the sealed message (in a). */
static char *
seal_as(struct inkan_arena *a, const char *msg, struct inkan_dkim_key *k, const char *d,
    const char *s, const char *authres)
{
	struct inkan_arc_results in = check(a, msg, NULL);
	struct inkan_arc_seal_opts o = { .domain = d, .selector = s,
	    .authserv_id = "mx.fwd.example", .timestamp = 1700000000 };
	const char *fields, *why;
	int rc = inkan_arc_seal_message(a, k, &o, in.cv, authres, msg, strlen(msg), &fields,
	    &why);

	if (rc != 0)
		fail_msg("seal: %s: %s", inkan_strerror(rc), why ? why : "");
	return inkan_arena_printf(a, "%s%s", fields, msg);
}

/* ---- validation ---- */

static void
test_no_arc(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_arc_results r = check(a, MSG, NULL);

	(void)state;
	/* §5.2 step 1: no sets, cv none */
	assert_int_equal(r.cv, INKAN_ARC_NONE);
	assert_string_equal(r.reason, "no ARC sets");
	assert_int_equal(r.n, 0);
	assert_null(r.sets);
	inkan_arena_free(a);
}

static void
test_one_hop(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);
	struct inkan_arc_results r = check(a, m, NULL);

	(void)state;
	assert_int_equal(r.cv, INKAN_ARC_PASS);
	assert_null(r.reason);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.oldest_pass, 0);
	assert_false(r.temperror);
	assert_int_equal(r.sets[0].i, 1);
	assert_string_equal(r.sets[0].as_d, "fwd.example");
	assert_string_equal(r.sets[0].ams_s, "s1");
	assert_string_equal(r.sets[0].cv, "none");
	assert_int_equal(r.sets[0].ams_result, INKAN_DKIM_PASS);
	assert_int_equal(r.sets[0].as_result, INKAN_DKIM_PASS);
	assert_null(r.sets[0].reason);
	/* the AAR consolidates our A-R field (authres NULL) */
	assert_string_equal(r.sets[0].aar, "mx.fwd.example; spf=pass smtp.mailfrom=a.example");
	/* the layout: tags in order, AS first, CRLF ends */
	assert_true(strncmp(m, "ARC-Seal: a=rsa-sha256;\r\n b=", 28) == 0);
	assert_non_null(strstr(m, ";\r\n cv=none; d=fwd.example; i=1; s=s1; t=1700000000\r\n"
	    "ARC-Message-Signature: a=rsa-sha256;\r\n b="));
	assert_non_null(strstr(m, " c=relaxed/relaxed;"));
	assert_non_null(strstr(m, "\r\nARC-Authentication-Results: i=1; mx.fwd.example; "
	    "spf=pass smtp.mailfrom=a.example\r\nAuthentication-Results:"));
	inkan_arena_free(a);
}

/* Lines are broken between tags only, never inside b=, bh= or h=. */
static void
test_layout(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);
	char *end = strstr(m, "\r\nAuthentication-Results:");

	(void)state;
	assert_non_null(end);
	for (char *l = m; l < end;) {
		char *e = strstr(l, "\r\n");

		/* a continuation line starts with one SP and a tag */
		if (l != m && (l[0] == ' ' || l[0] == '\t'))
			assert_true(l[1] >= 'a' && l[1] <= 'z' && strchr(l, '=') != NULL &&
			    strchr(l, '=') < e);
		/* a line ends after a tag's ';' or at the end of a field */
		if (e[2] == ' ')
			assert_true(e[-1] == ';');
		l = e + 2;
	}
	inkan_arena_free(a);
}

static void
test_three_hops_and_oldest_pass(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);

	(void)state;
	m = seal_as(a, m, W.rsa2, "list.example", "s2", NULL);
	m = seal_as(a, m, W.rsa, "fwd.example", "s1", "arc=pass; dkim=pass header.d=a.example");
	struct inkan_arc_results r = check(a, m, NULL);

	assert_int_equal(r.cv, INKAN_ARC_PASS);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.sets[1].cv, "pass");
	assert_string_equal(r.sets[1].as_d, "list.example");
	assert_string_equal(r.sets[2].aar, "mx.fwd.example; arc=pass; dkim=pass header.d=a.example");
	assert_int_equal(r.oldest_pass, 0);

	/* a list validates, adds a footer, seals: AMS(1) and AMS(2) no longer
	 * match the body, the chain passes, oldest-pass is 3 (§5.2 step 5) */
	char *m2 = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);

	m2 = seal_as(a, m2, W.rsa2, "list.example", "s2", NULL);
	m2 = inkan_arena_printf(a, "%s-- \r\nfooter\r\n", m2);
	struct inkan_arc_seal_opts o = { .domain = "fwd.example", .selector = "s1",
	    .authserv_id = "mx.fwd.example" };
	const char *fields;

	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_PASS, "arc=pass", m2,
	    strlen(m2), &fields, NULL), 0);
	r = check(a, inkan_arena_printf(a, "%s%s", fields, m2), NULL);
	assert_int_equal(r.cv, INKAN_ARC_PASS);
	assert_int_equal(r.oldest_pass, 3);
	assert_int_equal(r.sets[0].ams_result, INKAN_DKIM_FAIL);
	assert_string_equal(r.sets[0].reason, "AMS: body hash mismatch");
	assert_int_equal(r.sets[2].ams_result, INKAN_DKIM_PASS);
	inkan_arena_free(a);
}

struct verdict_case {
	const char *name;
	const char *from, *to;	/* edit of a 2-hop chain (first occurrence) */
	const char *reason;	/* substring of the reason, cv fail */
	const char *set1;	/* substring of set 1's reason, or NULL */
};

static const struct verdict_case verdict_cases[] = {
	/* §5.2 step 4 */
	{ "body changed: newest AMS", "world.\r\n", "World!\r\n", "AMS of instance 2: body hash", NULL },
	{ "signed field changed", "Subject: hello", "Subject: HELLO", "AMS of instance 2: "
	    "signature mismatch", NULL },
	/* §5.2 step 3 */
	{ "seal 1 says cv=pass", "cv=none", "cv=pass", "ARC-Seal i=1 has cv=pass", NULL },
	{ "seal 2 says cv=none", "cv=pass", "cv=none", "ARC-Seal i=2 has cv=none", NULL },
	{ "AAR 1 lost its instance", "ARC-Authentication-Results: i=1;",
	    "ARC-Authentication-Results: x=1;", "without a valid instance", NULL },
	{ "two AMS with i=2", "ARC-Message-Signature: a=rsa-sha256;",
	    "ARC-Message-Signature: i=2; a=x; b=x; bh=x; d=x; h=x; s=x\r\n"
	    "ARC-Message-Signature: a=rsa-sha256;", "two ARC-Message-Signature", NULL },
	{ "instance gap (set 2 renamed 3)", "i=2;", "i=3;", "ARC set 2 has no", NULL },
	/* §5.2 step 2 */
	{ "newest seal says cv=fail", "cv=pass", "cv=fail", "newest ARC-Seal (i=2) has cv=fail", NULL },
	/* §5.2 step 6 */
	{ "AAR 1 changed: seals", "i=1; mx.fwd.example; spf=pass",
	    "i=1; mx.fwd.example; spf=fail", "ARC-Seal of instance 2: signature mismatch", NULL },
	/* AS(2) covers AS(1): the newest failing seal is the reason */
	{ "no key for seal 1", "cv=none; d=fwd.example; i=1; s=s1",
	    "cv=none; d=fwd.example; i=1; s=gone", "ARC-Seal of instance 2: signature mismatch",
	    "AS: no key record at gone._domainkey.fwd.example" },
};

static void
test_verdict(void **state)
{
	const struct verdict_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);

	m = seal_as(a, m, W.rsa2, "list.example", "s2", NULL);
	/* the edit goes into the newest set for i=2 edits, else anywhere */
	char *at = strstr(m, c->from);

	if (at == NULL)
		fail_msg("%s: [%s] not in the message", c->name, c->from);
	char *e = inkan_arena_printf(a, "%.*s%s%s", (int)(at - m), m, c->to, at + strlen(c->from));
	struct inkan_arc_results r = check(a, e, NULL);

	if (r.cv != INKAN_ARC_FAIL || r.reason == NULL || strstr(r.reason, c->reason) == NULL)
		fail_msg("%s: cv=%s [%s], wanted fail [%s]", c->name, inkan_arc_cv_name(r.cv),
		    r.reason ? r.reason : "", c->reason);
	if (c->set1 != NULL && (r.sets[0].reason == NULL ||
	    strstr(r.sets[0].reason, c->set1) == NULL))
		fail_msg("%s: set 1 [%s], wanted [%s]", c->name,
		    r.sets[0].reason ? r.sets[0].reason : "", c->set1);
	assert_int_equal(r.oldest_pass, 0);
	inkan_arena_free(a);
}

/* A key that cannot be fetched now: cv fail, temperror, DNS in the reason. */
static void
test_temperror(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "slow.example", "s1", NULL);
	struct inkan_arc_results r = check(a, m, NULL);

	(void)state;
	assert_int_equal(r.cv, INKAN_ARC_FAIL);
	assert_true(r.temperror);
	assert_non_null(strstr(r.reason, "DNS timeout"));
	assert_int_equal(r.sets[0].ams_result, INKAN_DKIM_TEMPERROR);
	inkan_arena_free(a);
}

/* The bulk path: a cache-only resolver misses, verify ends with EAGAIN and
 * notes the queries; with the answers cached the re-run passes. */
static void
test_eagain(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);
	struct inkan_resolver *c;
	struct inkan_arc_results r;
	char name[256];
	uint16_t type;
	int misses = 0;

	(void)state;
	m = seal_as(a, m, W.rsa2, "list.example", "s2", NULL);
	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &c), 0);
	assert_int_equal(inkan_arc_verify_message(c, a, NULL, m, strlen(m), &r), INKAN_EAGAIN);
	while (inkan_cache_take_miss(c, name, sizeof(name), &type)) {
		struct inkan_dns_answer ans;

		assert_int_equal(inkan_dns_query(W.r, a, name, type, &ans), 0);
		assert_int_equal(inkan_cache_put(c, name, type, &ans), 0);
		misses++;
	}
	/* both keys noted in one run */
	assert_int_equal(misses, 2);
	assert_int_equal(inkan_arc_verify_message(c, a, NULL, m, strlen(m), &r), 0);
	assert_int_equal(r.cv, INKAN_ARC_PASS);
	inkan_resolver_free(c);
	inkan_arena_free(a);
}

/* Sealing is rsa-sha256 only (RFC 8617); rsa_only does not touch RSA
 * chains.  (An ed25519-sha256 chain: mail-auth 002 in the conformance
 * suite, accepted by default and refused with rsa_only.) */
static void
test_rsa_only(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_arc_seal_opts o = { .domain = "fwd.example", .selector = "ed",
	    .authserv_id = "mx.fwd.example" };
	struct inkan_arc_seal *s;
	struct inkan_arc_verify_opts vo = { .rsa_only = true };

	(void)state;
	assert_int_equal(inkan_arc_seal_new(a, W.ed, &o, &s), INKAN_EUNSUPPORTED);
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);
	struct inkan_arc_results r = check(a, m, &vo);

	assert_int_equal(r.cv, INKAN_ARC_PASS);
	inkan_arena_free(a);
}

/* Feeding the session byte by byte gives the same verdict. */
static void
test_session_bytewise(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);
	struct inkan_arc_verify *v;
	struct inkan_arc_results r;
	char *p = m, *body;

	(void)state;
	m = seal_as(a, m, W.rsa2, "list.example", "s2", NULL);
	p = m;
	body = strstr(m, "\r\n\r\n") + 4;
	assert_int_equal(inkan_arc_verify_new(W.r, a, NULL, &v), 0);
	while (p < body - 2) {
		char *e = p;

		/* one field: up to a CRLF not followed by WSP */
		for (;;) {
			e = strstr(e, "\r\n");
			if (e[2] != ' ' && e[2] != '\t')
				break;
			e += 2;
		}
		assert_int_equal(inkan_arc_verify_header(v, p, (size_t)(e + 2 - p)), 0);
		p = e + 2;
	}
	for (char *q = body; *q; q++)
		assert_int_equal(inkan_arc_verify_body(v, q, 1), 0);
	assert_int_equal(inkan_arc_verify_end(v, &r), 0);
	assert_int_equal(r.cv, INKAN_ARC_PASS);
	assert_int_equal(r.n, 2);
	/* after the end, header fields are refused */
	assert_int_equal(inkan_arc_verify_header(v, "X: y", 4), INKAN_EINVAL);
	inkan_arc_verify_free(v);
	inkan_arena_free(a);
}

/* ---- sealing ---- */

static void
test_seal_rules(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_arc_seal *s;
	struct inkan_arc_seal_opts o = { .domain = "fwd.example", .selector = "s1",
	    .authserv_id = "mx.fwd.example" };
	const char *const bad_h[] = { "from", "ARC-Seal", NULL };
	const char *fields, *why;
	char *m;

	(void)state;
	/* options */
	assert_int_equal(inkan_arc_seal_new(a, W.rsa, &(struct inkan_arc_seal_opts){
	    .domain = "fwd.example", .selector = "s1" }, &s), INKAN_EINVAL);
	assert_int_equal(inkan_arc_seal_new(a, W.rsa, &(struct inkan_arc_seal_opts){
	    .domain = "fwd example", .selector = "s1", .authserv_id = "x" }, &s), INKAN_EINVAL);
	assert_int_equal(inkan_arc_seal_new(a, W.rsa, &(struct inkan_arc_seal_opts){
	    .domain = "fwd.example", .selector = "s1", .authserv_id = "x;y" }, &s),
	    INKAN_EINVAL);
	/* §4.1.2: the AMS never signs ARC-Seal */
	assert_int_equal(inkan_arc_seal_new(a, W.rsa, &(struct inkan_arc_seal_opts){
	    .domain = "fwd.example", .selector = "s1", .authserv_id = "x", .headers = bad_h },
	    &s), INKAN_EINVAL);
	/* cv must fit the message */
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_PASS, NULL, MSG,
	    strlen(MSG), &fields, &why), INKAN_EINVAL);
	assert_non_null(strstr(why, "no ARC set"));
	m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_NONE, NULL, m,
	    strlen(m), &fields, &why), INKAN_EINVAL);
	assert_non_null(strstr(why, "cv=none"));
	/* §5.1.2: a cv=fail seal covers only its own set; it validates as a
	 * fail (step 2), and nobody seals after it (§5.1 step 1) */
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_FAIL, NULL, m,
	    strlen(m), &fields, &why), 0);
	assert_non_null(strstr(fields, "cv=fail; d=fwd.example; i=2;"));
	char *f = inkan_arena_printf(a, "%s%s", fields, m);
	struct inkan_arc_results r = check(a, f, NULL);

	assert_int_equal(r.cv, INKAN_ARC_FAIL);
	assert_string_equal(r.reason, "newest ARC-Seal (i=2) has cv=fail");
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_FAIL, NULL, f,
	    strlen(f), &fields, &why), 0);
	assert_string_equal(fields, "");
	assert_non_null(strstr(why, "already has cv=fail"));
	inkan_arena_free(a);
}

/* §4.2.1: 50 sets validate, the 51st is refused; a chain with i=51 fails. */
static void
test_instance_limit(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = (char *)MSG;
	struct inkan_arc_seal_opts o = { .domain = "fwd.example", .selector = "s1",
	    .authserv_id = "mx.fwd.example" };
	const char *fields, *why;

	(void)state;
	for (int i = 0; i < INKAN_ARC_MAX_INSTANCES; i++) {
		assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, i == 0 ? INKAN_ARC_NONE :
		    INKAN_ARC_PASS, "arc=pass", m, strlen(m), &fields, &why), 0);
		m = inkan_arena_printf(a, "%s%s", fields, m);
	}
	struct inkan_arc_results r = check(a, m, NULL);

	assert_int_equal(r.cv, INKAN_ARC_PASS);
	assert_int_equal(r.n, INKAN_ARC_MAX_INSTANCES);
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_PASS, NULL, m,
	    strlen(m), &fields, &why), INKAN_ELIMIT);
	assert_non_null(strstr(why, "50"));
	/* a set 51 on top */
	char *m51 = inkan_arena_printf(a, "ARC-Seal: i=51; a=rsa-sha256; b=ZGVm; cv=pass; "
	    "d=fwd.example; s=s1\r\nARC-Message-Signature: i=51; a=rsa-sha256; b=ZGVm; bh=YWJj; "
	    "d=fwd.example; h=from; s=s1\r\nARC-Authentication-Results: i=51; x; none\r\n%s", m);

	r = check(a, m51, NULL);
	assert_int_equal(r.cv, INKAN_ARC_FAIL);
	assert_non_null(strstr(r.reason, "limit"));
	inkan_arena_free(a);
}

/* Defaults: relaxed/relaxed, DKIM-Signature signed when present, From
 * always, Authentication-Results never; use_canon takes c= as given. */
static void
test_seal_options(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *msg = "DKIM-Signature: v=1; a=rsa-sha256; d=a.example; s=x; h=from; "
	    "bh=YWJj; b=ZGVm\r\n" "From: a@a.example\r\nTo: b@b.example\r\n\r\nbody\r\n";
	struct inkan_arc_seal_opts o = { .domain = "fwd.example", .selector = "s1",
	    .authserv_id = "mx.fwd.example" };
	const char *fields;
	const char *const hl[] = { "to", "subject", NULL };

	(void)state;
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_NONE, NULL, msg,
	    strlen(msg), &fields, NULL), 0);
	assert_non_null(strstr(fields, "c=relaxed/relaxed;"));
	assert_non_null(strstr(fields, "h=from:to:dkim-signature;"));
	/* no A-R for us: the AAR says none (RFC 8601 no-result) */
	assert_non_null(strstr(fields, "ARC-Authentication-Results: i=1; mx.fwd.example; none"));
	o.use_canon = true;
	o.hdr_canon = INKAN_DKIM_SIMPLE;
	o.body_canon = INKAN_DKIM_SIMPLE;
	o.headers = hl;
	o.timestamp = -1;
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_NONE,
	    "mx.fwd.example; spf=pass\r\n smtp.mailfrom=a.example;;", msg, strlen(msg), &fields,
	    NULL), 0);
	assert_non_null(strstr(fields, "c=simple/simple;"));
	/* the listed names as present, From added (RFC 6376 §5.4) */
	assert_non_null(strstr(fields, "h=to:from;"));
	assert_non_null(strstr(fields, "s=s1\r\n"));	/* no t= after s= */
	assert_null(strstr(fields, "; t="));
	/* the leading authserv-id dropped, the line break unfolded */
	assert_non_null(strstr(fields, "i=1; mx.fwd.example; spf=pass smtp.mailfrom=a.example\r\n"));
	struct inkan_arc_results r = check(a, inkan_arena_printf(a, "%s%s", fields, msg), NULL);

	assert_int_equal(r.cv, INKAN_ARC_PASS);
	inkan_arena_free(a);
}

/* The AR consolidation: our fields in order, one result per line; other
 * authserv-ids and "none" left out. */
static void
test_consolidation(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *msg = "Authentication-Results: mx.fwd.example; arc=none\r\n"
	    "Authentication-Results: other.example; spf=fail\r\n"
	    "Authentication-Results: MX.FWD.EXAMPLE; dkim=pass (good; key) header.d=a.example;\r\n"
	    "  dmarc=pass\r\n"
	    "Authentication-Results: mx.fwd.example.evil; spf=pass\r\n"
	    "Authentication-Results: mx.fwd.example; none\r\n"
	    "From: a@a.example\r\n\r\nbody\r\n";
	struct inkan_arc_seal_opts o = { .domain = "fwd.example", .selector = "s1",
	    .authserv_id = "mx.fwd.example" };
	const char *fields;

	(void)state;
	assert_int_equal(inkan_arc_seal_message(a, W.rsa, &o, INKAN_ARC_NONE, NULL, msg,
	    strlen(msg), &fields, NULL), 0);
	assert_non_null(strstr(fields, "ARC-Authentication-Results: i=1; mx.fwd.example; "
	    "arc=none;\r\n  dkim=pass (good; key) header.d=a.example;\r\n  dmarc=pass\r\n"));
	inkan_arena_free(a);
}

/* Structure failures are decided without DNS, and the sets still show
 * what could be read. */
static void
test_structure_no_dns(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	char *m = seal_as(a, MSG, W.rsa, "fwd.example", "s1", NULL);
	char *at = strstr(m, "ARC-Message-Signature:");
	char *e = inkan_arena_printf(a, "%.*sX-%s", (int)(at - m), m, at);
	unsigned long before = W.r->nqueries;
	struct inkan_arc_results r = check(a, e, NULL);

	(void)state;
	assert_int_equal(r.cv, INKAN_ARC_FAIL);
	assert_string_equal(r.reason, "ARC set 1 has no ARC-Message-Signature");
	assert_int_equal(W.r->nqueries, before);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.sets[0].as_d, "fwd.example");
	assert_int_equal(r.sets[0].as_result, INKAN_DKIM_NEUTRAL);
	assert_int_equal(r.sets[0].ams_result, INKAN_DKIM_PERMERROR);
	inkan_arena_free(a);
}

#define CASES(arr, fn) do { \
	for (size_t i_ = 0; i_ < sizeof(arr) / sizeof(arr[0]); i_++) { \
		tests[n].name = arr[i_].name; \
		tests[n].test_func = fn; \
		tests[n].setup_func = NULL; \
		tests[n].teardown_func = NULL; \
		tests[n].initial_state = (void *)&arr[i_]; \
		n++; \
	} \
} while (0)

int
main(void)
{
	struct CMUnitTest tests[128];
	size_t n = 0;

	CASES(parse_cases, test_parse);
	CASES(verdict_cases, test_verdict);
	const struct CMUnitTest more[] = {
		cmocka_unit_test(test_parsed_fields),
		cmocka_unit_test(test_no_arc),
		cmocka_unit_test(test_one_hop),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_three_hops_and_oldest_pass),
		cmocka_unit_test(test_temperror),
		cmocka_unit_test(test_eagain),
		cmocka_unit_test(test_rsa_only),
		cmocka_unit_test(test_session_bytewise),
		cmocka_unit_test(test_seal_rules),
		cmocka_unit_test(test_instance_limit),
		cmocka_unit_test(test_seal_options),
		cmocka_unit_test(test_consolidation),
		cmocka_unit_test(test_structure_no_dns),
	};

	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		tests[n++] = more[i];
	return _cmocka_run_group_tests("arc", tests, n, world_setup, world_teardown);
}
