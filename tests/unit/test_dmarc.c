/* test_dmarc.c - DMARC: record parsing (RFC 9989 §4.7/§4.8, RFC 7489
 * tags), the From field rules (include/inkan/dmarc.h), one table row per
 * DNS Tree Walk rule of RFC 9989 §4.10 (each citing its section), RFC
 * 7489 discovery with the Public Suffix List, alignment, the policy that
 * applies (p/sp/np), t=y and pct, the PSL comparison, several Author
 * Domains (§11.5), report destinations, and re-running over a cache-only
 * resolver.
 *
 * Expected values are worked out from the RFC text, not from our output.
 * DNS comes from the in-memory zone backend, loaded from master-format
 * text per case; "servfail" names answer SERVFAIL for TXT.
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
#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"

/* Table rows leave trailing fields to their zero defaults. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define NROWS(x) (sizeof(x) / sizeof(x[0]))

static struct inkan_resolver *
zone_resolver(const char *text, const char *const *servfail, struct inkan_zone **zp)
{
	struct inkan_resolver *r;
	char *why = NULL;
	char *full;

	assert_int_equal(inkan_zone_new(zp), 0);
	assert_true(asprintf(&full, "$TTL 300\n%s", text ? text : "") > 0);
	if (inkan_zone_load_string(*zp, full, strlen(full), ".", &why) != 0)
		fail_msg("zone does not load: %s", why ? why : "?");
	free(full);
	for (size_t i = 0; servfail != NULL && servfail[i] != NULL; i++)
		assert_int_equal(inkan_zone_set_status(*zp, servfail[i], INKAN_DNS_TXT,
		    INKAN_DNS_SERVFAIL), 0);
	assert_int_equal(inkan_resolver_zone_new(*zp, &r), 0);
	return r;
}

static bool
has_problem(const struct inkan_dmarc_record *r, enum inkan_dmarc_problem_kind k,
    const char *sub)
{
	for (size_t i = 0; i < r->nproblems; i++)
		if (r->problems[i].kind == k && (sub == NULL || strstr(r->problems[i].what, sub)))
			return true;
	return false;
}

/* ---- records ---- */

#define P_U INKAN_DMARC_P_UNSPEC
#define P_N INKAN_DMARC_P_NONE
#define P_Q INKAN_DMARC_P_QUARANTINE
#define P_R INKAN_DMARC_P_REJECT

struct rec_case {
	const char *name;
	const char *text;
	int rc;
	const char *why;		/* substring of why (rc != 0) */
	bool applies, as_p_none;
	enum inkan_dmarc_policy p, sp, np, ap, asp, anp;
	int kind;			/* a problem of this kind must exist, -1 none */
	const char *prob;		/* ... with this substring */
	void (*more)(const struct inkan_dmarc_record *);
};

static void
more_all_tags(const struct inkan_dmarc_record *r)
{
	assert_int_equal(r->adkim, INKAN_DMARC_ALIGN_STRICT);
	assert_int_equal(r->aspf, INKAN_DMARC_ALIGN_STRICT);
	assert_int_equal(r->psd, INKAN_DMARC_PSD_N);
	assert_true(r->testing);
	assert_int_equal(r->fo, INKAN_DMARC_FO_1 | INKAN_DMARC_FO_D | INKAN_DMARC_FO_S);
	assert_int_equal(r->nrua, 1);
	assert_string_equal(r->rua[0].uri, "mailto:agg@example.com");
	assert_string_equal(r->rua[0].scheme, "mailto");
	assert_string_equal(r->rua[0].address, "agg@example.com");
	assert_string_equal(r->rua[0].domain, "example.com");
	assert_int_equal(r->nruf, 1);
	assert_string_equal(r->ruf[0].domain, "example.com");
	assert_false(r->has_pct);
	assert_int_equal(r->pct, 100);
	assert_int_equal(r->ri, 86400);
	assert_int_equal(r->nrf, 1);
	assert_string_equal(r->rf[0], "afrf");
	for (size_t i = 0; i < r->nproblems; i++)
		fail_msg("unexpected problem: %s", r->problems[i].what);
}

static void
more_case(const struct inkan_dmarc_record *r)
{
	assert_int_equal(r->adkim, INKAN_DMARC_ALIGN_STRICT);
	assert_int_equal(r->psd, INKAN_DMARC_PSD_Y);
}

static void
more_legacy(const struct inkan_dmarc_record *r)
{
	assert_true(r->has_pct);
	assert_int_equal(r->pct, 25);
	assert_true(r->has_ri);
	assert_int_equal(r->ri, 3600);
	assert_true(r->has_rf);
	assert_int_equal(r->nrf, 2);
	assert_string_equal(r->rf[1], "iodef");
}

static void
more_size(const struct inkan_dmarc_record *r)
{
	assert_int_equal(r->nrua, 2);
	assert_string_equal(r->rua[1].uri, "mailto:b@example.net");
	assert_int_equal(r->rua[1].size, 10);
	assert_int_equal(r->rua[1].size_unit, 'm');
	assert_int_equal(r->rua[1].max_bytes, 10u << 20);
}

static void
more_https(const struct inkan_dmarc_record *r)
{
	assert_int_equal(r->nrua, 2);
	assert_string_equal(r->rua[0].scheme, "https");
	assert_string_equal(r->rua[0].domain, "reports.example.net");
	assert_null(r->rua[0].address);
	assert_string_equal(r->rua[1].address, "a+b@example.com");
}

static void
more_adkim_default(const struct inkan_dmarc_record *r)
{
	assert_int_equal(r->adkim, INKAN_DMARC_ALIGN_RELAXED);
}

static void
more_fo01(const struct inkan_dmarc_record *r)
{
	assert_int_equal(r->fo, INKAN_DMARC_FO_0 | INKAN_DMARC_FO_1);
}

static void
more_16uris(const struct inkan_dmarc_record *r)
{
	assert_int_equal(r->nrua, INKAN_DMARC_MAX_URIS);
}

static const struct rec_case rec_cases[] = {
	{ "record: every RFC 9989 §4.7 tag",
	    "v=DMARC1; p=quarantine; sp=reject; np=none; adkim=s; aspf=s; psd=n; t=y; "
	    "fo=1:d:s; rua=mailto:agg@example.com; ruf=mailto:fail@example.com",
	    0, NULL, true, false, P_Q, P_R, P_N, P_Q, P_R, P_N, -1, NULL, more_all_tags },
	{ "record: tag names and values are case-insensitive (RFC 5234), DMARC1 is not",
	    "V=DMARC1; P=Reject; ADKIM=S; Psd=Y", 0, NULL, true, false,
	    P_R, P_U, P_U, P_R, P_R, P_R, -1, NULL, more_case },
	{ "record: v=dmarc1 is not a DMARC record (§4.7 case-sensitive)", "v=dmarc1; p=none",
	    INKAN_EMALFORMED, "case-sensitive" },
	{ "record: v= must be first (§4.7)", "p=none; v=DMARC1", INKAN_EMALFORMED,
	    "not a DMARC record" },
	{ "record: an SPF record is not a DMARC record", "v=spf1 -all", INKAN_EMALFORMED,
	    "not a DMARC record" },
	{ "record: v=DMARC1 alone has no policy and no rua: not applied (§4.10.1)", "v=DMARC1",
	    0, NULL, false, false, P_U, P_U, P_U, P_U, P_U, P_U, INKAN_DMARC_PROB_POLICY,
	    "no p= tag" },
	{ "record: whitespace around = and ; (§4.8 dmarc-sep, equals)",
	    "  v = DMARC1 ;\tp = reject ; ", 0, NULL, true, false, P_R, P_U, P_U, P_R, P_R, P_R,
	    -1, NULL },
	{ "record: duplicate tag invalidates the record (RFC 6376 §3.2)",
	    "v=DMARC1; p=none; p=reject", INKAN_EMALFORMED, "duplicate tag p=" },
	{ "record: duplicate tag in another case", "v=DMARC1; p=none; P=reject",
	    INKAN_EMALFORMED, "duplicate tag p=" },
	{ "record: a tag without '=' breaks the tag list (§4.8)", "v=DMARC1; p=none; reject",
	    INKAN_EMALFORMED, "without '='" },
	{ "record: unknown tags are ignored (§4.7)", "v=DMARC1; p=none; x=y; future=1", 0, NULL,
	    true, false, P_N, P_U, P_U, P_N, P_N, P_N, INKAN_DMARC_PROB_UNKNOWN, "future=" },
	{ "record: RFC 7489 pct, rf, ri are parsed and reported as legacy (Appendix A.6)",
	    "v=DMARC1; p=reject; pct=25; rf=afrf:iodef; ri=3600", 0, NULL, true, false,
	    P_R, P_U, P_U, P_R, P_R, P_R, INKAN_DMARC_PROB_LEGACY, "pct= is an RFC 7489 tag",
	    more_legacy },
	{ "record: p= not second is RFC 7489-only syntax", "v=DMARC1; sp=none; p=reject", 0,
	    NULL, true, false, P_R, P_N, P_U, P_R, P_N, P_N, INKAN_DMARC_PROB_LEGACY,
	    "directly follow" },
	{ "record: a bad adkim= is discarded for the default r (§4.8)",
	    "v=DMARC1; p=reject; adkim=x", 0, NULL, true, false, P_R, P_U, P_U, P_R, P_R, P_R,
	    INKAN_DMARC_PROB_IGNORED, "adkim=", more_adkim_default },
	{ "record: bad p= with a valid rua=: treated as p=none (§4.10.1)",
	    "v=DMARC1; p=bogus; rua=mailto:a@example.com", 0, NULL, true, true,
	    P_U, P_U, P_U, P_N, P_N, P_N, INKAN_DMARC_PROB_POLICY, "treated as p=none" },
	{ "record: bad np= with a valid rua=: the whole record is p=none (§4.10.1)",
	    "v=DMARC1; p=reject; np=nope; rua=mailto:a@example.com", 0, NULL, true, true,
	    P_R, P_U, P_U, P_N, P_N, P_N, INKAN_DMARC_PROB_POLICY, "np= value" },
	{ "record: bad sp= without rua=: not applied (§4.10.1)", "v=DMARC1; p=reject; sp=x",
	    0, NULL, false, false, P_R, P_U, P_U, P_U, P_U, P_U, INKAN_DMARC_PROB_POLICY,
	    "not applied" },
	{ "record: sp and np default to p (§4.7)", "v=DMARC1; p=quarantine", 0, NULL, true,
	    false, P_Q, P_U, P_U, P_Q, P_Q, P_Q, -1, NULL },
	{ "record: np defaults to sp when sp is present (§4.7)", "v=DMARC1; p=none; sp=reject",
	    0, NULL, true, false, P_N, P_R, P_U, P_N, P_R, P_R, -1, NULL },
	{ "record: a value with a space is not a policy", "v=DMARC1; p=reject now", 0, NULL,
	    false, false, P_U, P_U, P_U, P_U, P_U, P_U, INKAN_DMARC_PROB_POLICY, "reject now" },
	{ "record: the obsolete !size of a URI is kept and reported (§4.8 obs-dmarc-uri)",
	    "v=DMARC1; p=none; rua=mailto:a@example.com, mailto:b@example.net!10M", 0, NULL,
	    true, false, P_N, P_U, P_U, P_N, P_N, P_N, INKAN_DMARC_PROB_LEGACY, "!size",
	    more_size },
	{ "record: https and %-encoded mailto URIs",
	    "v=DMARC1; p=none; rua=https://reports.example.net/dmarc,mailto:a%2Bb@example.com",
	    0, NULL, true, false, P_N, P_U, P_U, P_N, P_N, P_N, -1, NULL, more_https },
	{ "record: a URI without a scheme is ignored", "v=DMARC1; p=none; rua=a@example.com",
	    0, NULL, true, false, P_N, P_U, P_U, P_N, P_N, P_N, INKAN_DMARC_PROB_IGNORED,
	    "not a URI" },
	{ "record: fo=0:1 keeps both and warns (§4.8: mutually exclusive)",
	    "v=DMARC1; p=none; fo=0:1", 0, NULL, true, false, P_N, P_U, P_U, P_N, P_N, P_N,
	    INKAN_DMARC_PROB_WARNING, "mutually exclusive", more_fo01 },
	{ "record: a bad psd= is discarded for u", "v=DMARC1; p=none; psd=maybe", 0, NULL,
	    true, false, P_N, P_U, P_U, P_N, P_N, P_N, INKAN_DMARC_PROB_IGNORED, "psd=" },
	{ "record: at most 16 URIs are kept",
	    "v=DMARC1; p=none; rua=mailto:a@x.example,mailto:a@x.example,mailto:a@x.example,"
	    "mailto:a@x.example,mailto:a@x.example,mailto:a@x.example,mailto:a@x.example,"
	    "mailto:a@x.example,mailto:a@x.example,mailto:a@x.example,mailto:a@x.example,"
	    "mailto:a@x.example,mailto:a@x.example,mailto:a@x.example,mailto:a@x.example,"
	    "mailto:a@x.example,mailto:a@x.example", 0, NULL, true, false,
	    P_N, P_U, P_U, P_N, P_N, P_N, INKAN_DMARC_PROB_IGNORED, "more than 16", more_16uris },
};

static void
test_record(void **state)
{
	const struct rec_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_record r;
	const char *why = NULL;
	int rc = inkan_dmarc_record_parse(a, c->text, strlen(c->text), &r, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, why ? why : "");
	if (rc != 0) {
		assert_non_null(why);
		if (c->why != NULL && strstr(why, c->why) == NULL)
			fail_msg("%s: why '%s' lacks '%s'", c->name, why, c->why);
		assert_true(has_problem(&r, INKAN_DMARC_PROB_ERROR, NULL));
		inkan_arena_free(a);
		return;
	}
	assert_int_equal(r.applies, c->applies);
	assert_int_equal(r.as_p_none, c->as_p_none);
	assert_int_equal(r.p, c->p);
	assert_int_equal(r.sp, c->sp);
	assert_int_equal(r.np, c->np);
	assert_int_equal(r.apply_p, c->ap);
	assert_int_equal(r.apply_sp, c->asp);
	assert_int_equal(r.apply_np, c->anp);
	if (c->kind >= 0 && c->prob != NULL &&
	    !has_problem(&r, (enum inkan_dmarc_problem_kind)c->kind, c->prob))
		fail_msg("%s: no %s problem with '%s'", c->name,
		    inkan_dmarc_problem_kind_name((enum inkan_dmarc_problem_kind)c->kind),
		    c->prob);
	if (c->more != NULL)
		c->more(&r);
	inkan_arena_free(a);
}

static void
test_record_limits(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_record r;
	const char *why = NULL;
	char *big = malloc(INKAN_DMARC_MAX_RECORD + 100);

	(void)state;
	memset(big, 'a', INKAN_DMARC_MAX_RECORD + 99);
	memcpy(big, "v=DMARC1; p=none; x=", 20);
	big[INKAN_DMARC_MAX_RECORD + 99] = '\0';
	assert_int_equal(inkan_dmarc_record_parse(a, big, strlen(big), &r, &why),
	    INKAN_EMALFORMED);
	assert_non_null(strstr(why, "longer than"));
	assert_int_equal(inkan_dmarc_record_parse(a, "v=DMARC1; p=none\0x", 18, &r, &why),
	    INKAN_EMALFORMED);
	assert_non_null(strstr(why, "NUL"));
	assert_true(inkan_dmarc_is_record("v=DMARC1", 8));
	assert_true(inkan_dmarc_is_record(" v = DMARC1 ;p=none", 19));
	assert_false(inkan_dmarc_is_record("v=DMARC10", 9));
	assert_false(inkan_dmarc_is_record("v=DMARC1 p=none", 15));
	free(big);
	inkan_arena_free(a);
}

/* ---- the From field ---- */

struct from_case {
	const char *name;
	const char *values[4];		/* NULL-terminated; "" is an empty field */
	enum inkan_dmarc_from_status status;
	const char *domain;		/* the one Author Domain, or NULL */
	size_t ndomains;
	const char *domains[3];		/* the first ones, in order */
	const char *address;
};

#define F_OK INKAN_DMARC_FROM_OK
#define F_MISSING INKAN_DMARC_FROM_MISSING
#define F_FIELDS INKAN_DMARC_FROM_MULTIPLE_FIELDS
#define F_ADDRS INKAN_DMARC_FROM_MULTIPLE_ADDRESSES
#define F_GROUP INKAN_DMARC_FROM_GROUP
#define F_NOADDR INKAN_DMARC_FROM_NO_ADDRESS
#define F_SYNTAX INKAN_DMARC_FROM_SYNTAX
#define F_BAD INKAN_DMARC_FROM_BAD_DOMAIN

static const struct from_case from_cases[] = {
	{ "from: a bare addr-spec", { "a@example.com" }, F_OK, "example.com", 1,
	    { "example.com" }, "a@example.com" },
	{ "from: quoted display name with a comma", { "\"Doe, John\" <j@example.com>" }, F_OK,
	    "example.com", 1, { "example.com" }, "j@example.com" },
	{ "from: an address inside a quoted display name is display text",
	    { "\"victim@bank.example\" <a@evil.example>" }, F_OK, "evil.example", 1,
	    { "evil.example" }, "a@evil.example" },
	{ "from: an address inside a comment is ignored", { "a@example.com (b@evil.example)" },
	    F_OK, "example.com", 1, { "example.com" } },
	{ "from: comments between the parts of an addr-spec (RFC 5322 CFWS)",
	    { "(x) a (y) @ (z) example.com (w)" }, F_OK, "example.com", 1, { "example.com" } },
	{ "from: nested comments with quoted pairs", { "John (a (b \\) c) d) <j@example.com>" },
	    F_OK, "example.com", 1, { "example.com" } },
	{ "from: RFC 2047 encoded-word display name, no space before '<'",
	    { "=?UTF-8?B?QmVkIEJhdGggJiBCZXlvbmQ=?=<BdBth&Byond@example.com>" }, F_OK,
	    "example.com", 1, { "example.com" } },
	{ "from: an encoded '@' (=40) never makes an address",
	    { "=?UTF-8?Q?victim=40bank.example?= <a@evil.example>" }, F_OK, "evil.example", 1,
	    { "evil.example" } },
	{ "from: a raw '@' in an encoded-word breaks the syntax: both domains salvaged",
	    { "=?UTF-8?Q?victim@bank.example?= <a@evil.example>" }, F_SYNTAX, NULL, 2,
	    { "bank.example", "evil.example" } },
	{ "from: obs-phrase with a dot", { "John Q. Public <jqp@example.com>" }, F_OK,
	    "example.com", 1, { "example.com" } },
	{ "from: raw UTF-8 display name (RFC 6532)", { "J\xc3\xbcrgen <j@example.com>" }, F_OK,
	    "example.com", 1, { "example.com" } },
	{ "from: quoted local part", { "\"john doe\"@example.com" }, F_OK, "example.com", 1,
	    { "example.com" }, "\"john doe\"@example.com" },
	{ "from: IDN domain becomes an A-label (RFC 9989 §5.3.1)",
	    { "a@b\xc3\xbc" "cher.example" }, F_OK, "xn--bcher-kva.example", 1,
	    { "xn--bcher-kva.example" } },
	{ "from: upper-case domain is lower-cased", { "A <a@EXAMPLE.Com>" }, F_OK,
	    "example.com", 1, { "example.com" } },
	{ "from: one trailing dot names the same domain", { "a@example.com." }, F_OK,
	    "example.com", 1, { "example.com" } },
	{ "from: obs-route is skipped (RFC 5322 §4.4)",
	    { "<@relay.example,@r2.example:a@example.com>" }, F_OK, "example.com", 1,
	    { "example.com" } },
	{ "from: empty list elements (obs-mbox-list)", { "a@example.com, , " }, F_OK,
	    "example.com", 1, { "example.com" } },
	{ "from: folding left in the value", { "Bob\r\n <b@example.com>" }, F_OK, "example.com",
	    1, { "example.com" } },
	{ "from: two mailboxes in one domain keep the domain (§5.3.1 counts domains)",
	    { "a@example.com, B <b@Example.com>" }, F_ADDRS, "example.com", 1, { "example.com" } },
	{ "from: two mailboxes in two domains (§11.5)",
	    { "Bad <spoof@example.org>,Test <test@example.com>" }, F_ADDRS, NULL, 2,
	    { "example.org", "example.com" } },
	{ "from: two From fields (RFC 5322 §3.6 allows one)",
	    { "a@bank.example", "b@evil.example" }, F_FIELDS, NULL, 2,
	    { "bank.example", "evil.example" } },
	{ "from: two From fields in one domain", { "a@bank.example", "b@bank.example" },
	    F_FIELDS, "bank.example", 1, { "bank.example" } },
	{ "from: no From field", { NULL }, F_MISSING, NULL, 0 },
	{ "from: empty field", { "" }, F_NOADDR, NULL, 0 },
	{ "from: display name only", { "\"Test User\"" }, F_NOADDR, NULL, 0 },
	{ "from: an '@' inside a quoted display name only", { "\"a@bank.example\"" }, F_NOADDR,
	    NULL, 0 },
	{ "from: null address <>", { "Nobody <>" }, F_NOADDR, NULL, 0 },
	{ "from: group with members (RFC 6854)",
	    { "Friends: a@example.com, b@example.com;" }, F_GROUP, "example.com", 1,
	    { "example.com" } },
	{ "from: empty group", { "undisclosed-recipients:;" }, F_GROUP, NULL, 0 },
	{ "from: group and another mailbox", { "g: a@x.example;, b@y.example" }, F_GROUP, NULL,
	    2, { "x.example", "y.example" } },
	{ "from: a domain literal has no policy domain", { "a@[192.0.2.1]" }, F_BAD, NULL, 0 },
	{ "from: a domain that is not a host name", { "a@exa!mple.com" }, F_BAD, NULL, 0 },
	{ "from: two angle addresses", { "A <a@evil.example> <b@bank.example>" }, F_SYNTAX,
	    NULL, 2, { "evil.example", "bank.example" } },
	{ "from: an unquoted address as display name",
	    { "victim@bank.example <a@evil.example>" }, F_SYNTAX, NULL, 2,
	    { "bank.example", "evil.example" } },
	{ "from: two '@'", { "a@b@example.com" }, F_SYNTAX, NULL, 2, { "b", "example.com" } },
	{ "from: unterminated quoted string", { "\"Bob <b@example.com>" }, F_SYNTAX, NULL, 1,
	    { "example.com" } },
	{ "from: unterminated comment", { "Bob (x <b@example.com>" }, F_SYNTAX, NULL, 1,
	    { "example.com" } },
	{ "from: control character", { "a\x01" "b@example.com" }, F_SYNTAX, NULL, 1,
	    { "example.com" } },
	{ "from: an unquoted comma splits the display name", { "Doe, John <j@example.com>" },
	    F_SYNTAX, NULL, 1, { "example.com" } },
	{ "from: angle address without '@'", { "Bob <bob>" }, F_SYNTAX, NULL, 0 },
	{ "from: a bare line feed", { "Bob\n<b@example.com>" }, F_SYNTAX, NULL, 1,
	    { "example.com" } },
	{ "from: '@' with no domain", { "a@" }, F_SYNTAX, NULL, 0 },
	{ "from: two From fields, one broken", { "a@bank.example", "\"x <b@evil.example>" },
	    F_SYNTAX, NULL, 2, { "bank.example", "evil.example" } },
};

static void
test_from(void **state)
{
	const struct from_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_slice v[4];
	struct inkan_dmarc_from f;
	size_t n = 0;

	while (n < 4 && c->values[n] != NULL) {
		v[n] = inkan_slice_cstr(c->values[n]);
		n++;
	}
	assert_int_equal(inkan_dmarc_from_parse(a, v, n, &f), 0);
	if (f.status != c->status)
		fail_msg("%s: status %s, want %s (%s)", c->name,
		    inkan_dmarc_from_status_name(f.status),
		    inkan_dmarc_from_status_name(c->status), f.why ? f.why : "");
	if (c->domain == NULL)
		assert_null(f.domain);
	else if (f.domain == NULL || strcmp(f.domain, c->domain) != 0)
		fail_msg("%s: domain %s, want %s", c->name, f.domain ? f.domain : "NULL",
		    c->domain);
	if (f.ndomains != c->ndomains)
		fail_msg("%s: %zu domains, want %zu", c->name, f.ndomains, c->ndomains);
	for (size_t i = 0; i < c->ndomains && i < 3; i++)
		assert_string_equal(f.domains[i], c->domains[i]);
	if (c->address != NULL)
		assert_string_equal(f.address, c->address);
	if (f.status != F_OK)
		assert_non_null(f.why);
	inkan_arena_free(a);
}

static void
test_from_limits(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_from f;
	char buf[1024] = "", deep[256];
	struct inkan_slice v;
	size_t n = 0;

	(void)state;
	/* more distinct domains than are evaluated */
	for (int i = 0; i < INKAN_DMARC_MAX_AUTHOR_DOMAINS + 2; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sa@d%d.example", i ? "," : "",
		    i);
	v = inkan_slice_cstr(buf);
	assert_int_equal(inkan_dmarc_from_parse(a, &v, 1, &f), 0);
	assert_int_equal(f.status, F_ADDRS);
	assert_int_equal(f.ndomains, INKAN_DMARC_MAX_AUTHOR_DOMAINS);
	assert_true(f.more_domains);
	assert_null(f.domain);
	/* comments nested past the limit */
	n = 0;
	for (int i = 0; i < INKAN_DMARC_MAX_COMMENT_DEPTH + 1; i++)
		deep[n++] = '(';
	for (int i = 0; i < INKAN_DMARC_MAX_COMMENT_DEPTH + 1; i++)
		deep[n++] = ')';
	snprintf(deep + n, sizeof(deep) - n, "a@example.com");
	v = inkan_slice_cstr(deep);
	assert_int_equal(inkan_dmarc_from_parse(a, &v, 1, &f), 0);
	assert_int_equal(f.status, F_SYNTAX);
	assert_non_null(strstr(f.why, "nested"));
	/* a NUL byte inside the value */
	v = (struct inkan_slice){ "a@exa\0mple.com", 14 };
	assert_int_equal(inkan_dmarc_from_parse(a, &v, 1, &f), 0);
	assert_int_equal(f.status, F_SYNTAX);
	assert_int_equal(inkan_dmarc_from_parse(a, NULL, 1, &f), INKAN_EINVAL);
	inkan_arena_free(a);
}

/* ---- discovery: one row per DNS Tree Walk rule ---- */

#define SF(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct disc_case {
	const char *name;
	const char *zone;
	const char *const *servfail;
	enum inkan_dmarc_mode mode;
	const char *domain;
	enum inkan_dmarc_found status;
	const char *policy_domain;
	const char *org;
	enum inkan_dmarc_source source;
	const char *psd;
	/* the _dmarc names asked, in order (NULL: not checked) */
	const char *const *steps;
};

#define TW INKAN_DMARC_TREEWALK
#define PSLM INKAN_DMARC_PSL
#define FOUND INKAN_DMARC_FOUND_RECORD
#define NONEF INKAN_DMARC_FOUND_NONE
#define TEMPF INKAN_DMARC_FOUND_TEMPERROR
#define PERMF INKAN_DMARC_FOUND_PERMERROR
#define S_AUTH INKAN_DMARC_SRC_AUTHOR
#define S_ORG INKAN_DMARC_SRC_ORG
#define S_PSD INKAN_DMARC_SRC_PSD
#define S_NONE INKAN_DMARC_SRC_NONE

static const struct disc_case disc_cases[] = {
	{ "RFC 9989 §4.10.1: the Author Domain's own record applies",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", NULL, TW, "example.com",
	    FOUND, "example.com", "example.com", S_AUTH, NULL,
	    SF("_dmarc.example.com", "_dmarc.com") },
	{ "RFC 9989 §4.10.1: no record at the Author Domain: the Organizational Domain's",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", NULL, TW, "a.b.example.com",
	    FOUND, "example.com", "example.com", S_ORG, NULL,
	    SF("_dmarc.a.b.example.com", "_dmarc.b.example.com", "_dmarc.example.com",
	    "_dmarc.com") },
	{ "RFC 9989 §4.10 step 4: 13 labels are cut to 7 after the first query (8 queries)",
	    NULL, NULL, TW, "a.b.c.d.e.f.g.h.i.j.mail.example.com", NONEF, NULL,
	    "a.b.c.d.e.f.g.h.i.j.mail.example.com", S_NONE, NULL,
	    SF("_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com", "_dmarc.g.h.i.j.mail.example.com",
	    "_dmarc.h.i.j.mail.example.com", "_dmarc.i.j.mail.example.com",
	    "_dmarc.j.mail.example.com", "_dmarc.mail.example.com", "_dmarc.example.com",
	    "_dmarc.com") },
	{ "RFC 9989 §4.10 step 4: 8 labels: 8 queries, one label at a time",
	    NULL, NULL, TW, "a.b.c.d.e.f.example.com", NONEF, NULL, "a.b.c.d.e.f.example.com",
	    S_NONE, NULL,
	    SF("_dmarc.a.b.c.d.e.f.example.com", "_dmarc.b.c.d.e.f.example.com",
	    "_dmarc.c.d.e.f.example.com", "_dmarc.d.e.f.example.com", "_dmarc.e.f.example.com",
	    "_dmarc.f.example.com", "_dmarc.example.com", "_dmarc.com") },
	{ "RFC 9989 §5.1.8: a psd=n record skipped by the cut is never seen",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
	    "_dmarc.b.c.d.e.f.g.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n", NULL, TW,
	    "mail.a.b.c.d.e.f.g.example.com", FOUND, "example.com", "example.com", S_ORG, NULL,
	    SF("_dmarc.mail.a.b.c.d.e.f.g.example.com", "_dmarc.c.d.e.f.g.example.com",
	    "_dmarc.d.e.f.g.example.com", "_dmarc.e.f.g.example.com", "_dmarc.f.g.example.com",
	    "_dmarc.g.example.com", "_dmarc.example.com", "_dmarc.com") },
	{ "RFC 9989 §4.10.2 rule 1: psd=n makes that name the Organizational Domain and stops",
	    "_dmarc.mail.example.com. TXT \"v=DMARC1; p=quarantine; psd=n\"\n"
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", NULL, TW, "a.mail.example.com",
	    FOUND, "mail.example.com", "mail.example.com", S_ORG, NULL,
	    SF("_dmarc.a.mail.example.com", "_dmarc.mail.example.com") },
	{ "RFC 9989 §4.10.2 rule 2: psd=y: the Organizational Domain is one label below",
	    "_dmarc.com. TXT \"v=DMARC1; p=reject; psd=y\"\n", NULL, TW, "a.mail.example.com",
	    FOUND, "com", "example.com", S_PSD, "com", NULL },
	{ "RFC 9989 §4.10.2 rule 2: psd=y of the starting domain itself does not count",
	    "_dmarc.gov. TXT \"v=DMARC1; p=reject; psd=y\"\n", NULL, TW, "gov", FOUND, "gov",
	    "gov", S_AUTH, "gov", SF("_dmarc.gov") },
	{ "RFC 9989 §4.10.2 rule 3 and B.4.2: the record with the fewest labels, not the "
	    "intermediate one",
	    "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n"
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", NULL, TW, "a.mail.example.com",
	    FOUND, "example.com", "example.com", S_ORG, NULL, NULL },
	{ "RFC 9989 §4.10.2: no record at all: the starting domain is its own",
	    NULL, NULL, TW, "a.example.net", NONEF, NULL, "a.example.net", S_NONE, NULL,
	    SF("_dmarc.a.example.net", "_dmarc.example.net", "_dmarc.net") },
	{ "RFC 9989 §4.10 step 2: several DMARC records at one name are all discarded",
	    "_dmarc.sub.example.com. TXT \"v=DMARC1; p=none\"\n"
	    "_dmarc.sub.example.com. TXT \"v=DMARC1; p=reject\"\n"
	    "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n", NULL, TW, "sub.example.com",
	    FOUND, "example.com", "example.com", S_ORG, NULL, NULL },
	{ "RFC 9989 §4.10 step 2: TXT records that are not DMARC are discarded",
	    "_dmarc.example.com. TXT \"v=spf1 -all\"\n"
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", NULL, TW, "example.com", FOUND,
	    "example.com", "example.com", S_AUTH, NULL, NULL },
	{ "RFC 9989 §4.5: the strings of one TXT record are joined",
	    "_dmarc.example.com. TXT \"v=DMARC1; \" \"p=reject\"\n", NULL, TW, "example.com",
	    FOUND, "example.com", "example.com", S_AUTH, NULL, NULL },
	{ "RFC 9989 B.4.3: giant.bank.example under a psd=y bank.example",
	    "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	    "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=quarantine\"\n", NULL, TW,
	    "giant.bank.example", FOUND, "giant.bank.example", "giant.bank.example", S_AUTH,
	    "bank.example", NULL },
	{ "RFC 9989 B.4.3: mail.giant.bank.example takes giant.bank.example's record",
	    "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	    "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=quarantine\"\n", NULL, TW,
	    "mail.giant.bank.example", FOUND, "giant.bank.example", "giant.bank.example", S_ORG,
	    "bank.example", NULL },
	{ "RFC 9989 §4.10.1: an Organizational Domain without a record takes the PSD's",
	    "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n", NULL, TW,
	    "mail.mega.bank.example", FOUND, "bank.example", "mega.bank.example", S_PSD,
	    "bank.example", NULL },
	{ "RFC 9989 §4.10 step 2: psd=n on the Author Domain's record stops the walk at once",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n", NULL, TW, "example.com",
	    FOUND, "example.com", "example.com", S_AUTH, NULL, SF("_dmarc.example.com") },
	{ "RFC 9989 §5.3.6: a DNS failure in the walk is a temperror",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", SF("_dmarc.b.example.com"), TW,
	    "a.b.example.com", TEMPF, NULL, NULL, S_NONE, NULL, NULL },
	{ "RFC 9989 §4.10.2: only valid records count; a malformed parent record is passed over",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
	    "_dmarc.com. TXT \"v=DMARC1; p=none; junk\"\n", NULL, TW, "a.example.com", FOUND,
	    "example.com", "example.com", S_ORG, NULL, NULL },
	{ "RFC 9989 §4.8: a malformed record to apply is a permerror",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none; junk\"\n", NULL, TW, "example.com",
	    PERMF, "example.com", "example.com", S_AUTH, NULL, NULL },
	{ "RFC 7489 §6.6.3: the Organizational Domain by the PSL (two queries)",
	    "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject\"\n", NULL, PSLM,
	    "a.b.example.co.uk", FOUND, "example.co.uk", "example.co.uk", S_ORG, NULL,
	    SF("_dmarc.a.b.example.co.uk", "_dmarc.example.co.uk") },
	{ "RFC 7489 §3.2: a private suffix (blogspot.com) makes foo.blogspot.com its own",
	    "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\n", NULL, PSLM, "foo.blogspot.com",
	    NONEF, NULL, "foo.blogspot.com", S_NONE, NULL, SF("_dmarc.foo.blogspot.com") },
	{ "RFC 9989 §4.10: the tree walk finds blogspot.com's record for foo.blogspot.com",
	    "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\n", NULL, TW, "foo.blogspot.com",
	    FOUND, "blogspot.com", "blogspot.com", S_ORG, NULL, NULL },
	{ "RFC 7489 §6.6.3 step 5: several records end discovery",
	    "_dmarc.sub.example.com. TXT \"v=DMARC1; p=none\"\n"
	    "_dmarc.sub.example.com. TXT \"v=DMARC1; p=reject\"\n"
	    "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n", NULL, PSLM, "sub.example.com",
	    NONEF, NULL, "example.com", S_NONE, NULL, SF("_dmarc.sub.example.com") },
	{ "RFC 7489 §6.6.3: a public suffix is its own Organizational Domain (one query)",
	    NULL, NULL, PSLM, "co.uk", NONEF, NULL, "co.uk", S_NONE, NULL, SF("_dmarc.co.uk") },
};

static void
test_discover(void **state)
{
	const struct disc_case *c = *state;
	struct inkan_zone *z;
	struct inkan_resolver *r = zone_resolver(c->zone, c->servfail, &z);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_opts o = { .mode = c->mode };
	struct inkan_dmarc_discovery d;

	assert_int_equal(inkan_dmarc_discover(r, a, &o, c->domain, &d), 0);
	if (d.status != c->status)
		fail_msg("%s: status %d, want %d (%s)", c->name, d.status, c->status,
		    d.why ? d.why : "");
	if ((c->policy_domain == NULL) != (d.policy_domain == NULL) ||
	    (c->policy_domain != NULL && strcmp(c->policy_domain, d.policy_domain) != 0))
		fail_msg("%s: policy domain %s, want %s", c->name,
		    d.policy_domain ? d.policy_domain : "NULL",
		    c->policy_domain ? c->policy_domain : "NULL");
	if ((c->org == NULL) != (d.org_domain == NULL) ||
	    (c->org != NULL && strcmp(c->org, d.org_domain) != 0))
		fail_msg("%s: org %s, want %s", c->name, d.org_domain ? d.org_domain : "NULL",
		    c->org ? c->org : "NULL");
	assert_int_equal(d.source, c->source);
	if (c->psd != NULL)
		assert_string_equal(d.psd_domain, c->psd);
	if (c->steps != NULL) {
		size_t n = 0;

		while (c->steps[n] != NULL)
			n++;
		for (size_t i = 0; i < n && i < d.nsteps; i++)
			if (strcmp(d.steps[i].name, c->steps[i]) != 0)
				fail_msg("%s: step %zu is %s, want %s", c->name, i,
				    d.steps[i].name, c->steps[i]);
		if (d.nsteps != n)
			fail_msg("%s: %zu steps, want %zu", c->name, d.nsteps, n);
		assert_int_equal(d.queries, n);
		assert_int_equal(r->nqueries, n);
	}
	assert_true(d.queries <= (c->mode == TW ? INKAN_DMARC_MAX_WALK_QUERIES : 2));
	inkan_arena_free(a);
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

/* ---- evaluation ---- */

struct dk {
	const char *d;
	enum inkan_dkim_result res;
};

struct eval_case {
	const char *name;
	const char *zone;
	const char *const *servfail;
	enum inkan_dmarc_mode mode;
	const char *from;
	enum inkan_spf_verdict spf;
	const char *spf_domain;
	struct dk dkim[4];
	enum inkan_dmarc_result result;
	enum inkan_dmarc_policy policy, disposition;
	bool spf_aligned, dkim_aligned;
	const char *policy_tag;
	const char *diag;		/* substring of psl_diagnostic; "" = must be NULL */
	bool testing, sampled_out;
	uint32_t rnd;			/* for pct (PSL mode, apply_pct) */
};

#define R_NONE INKAN_DMARC_NONE
#define R_PASS INKAN_DMARC_PASS
#define R_FAIL INKAN_DMARC_FAIL
#define R_TEMP INKAN_DMARC_TEMPERROR
#define R_PERM INKAN_DMARC_PERMERROR
#define SPASS INKAN_SPF_PASS
#define SNONE INKAN_SPF_NONE
#define DPASS INKAN_DKIM_PASS
#define DFAIL INKAN_DKIM_FAIL

#define EXCOM "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"

static const struct eval_case eval_cases[] = {
	{ "RFC 9989 B.1.1 ex.1: SPF strict alignment (identical)",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf=s\"\n", NULL, TW, "example.com",
	    SPASS, "example.com", {{ 0 }}, R_PASS, P_R, P_N, true, false, "p", "" },
	{ "RFC 9989 §3.2.10.2: strict alignment refuses a subdomain",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf=s\"\n", NULL, TW, "example.com",
	    SPASS, "mail.example.com", {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p", "" },
	{ "RFC 9989 B.1.1 ex.2: SPF relaxed alignment (same Organizational Domain)", EXCOM,
	    NULL, TW, "example.com", SPASS, "child.example.com", {{ 0 }}, R_PASS, P_R, P_N, true,
	    false, "p", "" },
	{ "RFC 9989 B.1.1 ex.3: no SPF alignment", EXCOM, NULL, TW, "child.example.com",
	    SPASS, "example.net", {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p", "" },
	{ "RFC 9989 B.1.2 ex.2: DKIM d= parent of the Author Domain (relaxed)", EXCOM, NULL,
	    TW, "child.example.com", SNONE, NULL, {{ "example.com", DPASS }}, R_PASS, P_R, P_N,
	    false, true, "p", "" },
	{ "RFC 9989 §4.4.1: any one aligned passing signature is enough", EXCOM, NULL, TW,
	    "example.com", SNONE, NULL, {{ "evil.example", DPASS }, { "example.com", DFAIL },
	    { "sub.example.com", DPASS }}, R_PASS, P_R, P_N, false, true, "p", "" },
	{ "RFC 9989 B.1.2: a failing aligned signature does not count", EXCOM, NULL, TW,
	    "example.com", SNONE, NULL, {{ "example.com", DFAIL }}, R_FAIL, P_R, P_R, false,
	    false, "p", "" },
	{ "RFC 9989 §4.10.2: siblings share the Organizational Domain (relaxed)", EXCOM, NULL,
	    TW, "a.example.com", SNONE, NULL, {{ "b.example.com", DPASS }}, R_PASS, P_R, P_N,
	    false, true, "p", "" },
	{ "RFC 9989 §4.10.2 rule 1: psd=n below the Organizational Domain splits alignment",
	    EXCOM "_dmarc.mail.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n", NULL, TW,
	    "example.com", SNONE, NULL, {{ "mail.example.com", DPASS }}, R_FAIL, P_R, P_R, false,
	    false, "p", "PSL and tree walk disagree (result" },
	{ "RFC 9989 §11.8: a parent record without psd=y joins unrelated names (RFC behaviour)",
	    "_dmarc.com. TXT \"v=DMARC1; p=none\"\n", NULL, TW, "example.com", SNONE, NULL,
	    {{ "attacker.com", DPASS }}, R_PASS, P_N, P_N, false, true, "p",
	    "PSL and tree walk disagree" },
	{ "RFC 9989 B.4.1: both identifiers aligned",
	    EXCOM "_dmarc.signing.example.com. TXT \"v=DMARC1; p=none\"\n", NULL, TW,
	    "example.com", SPASS, "example.com", {{ "signing.example.com", DPASS }}, R_PASS, P_R,
	    P_N, true, true, "p", "" },
	{ "RFC 9989 B.4.3: SPF mail.giant.bank.example aligns, DKIM mail.mega.bank.example not",
	    "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	    "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=quarantine\"\n", NULL, TW,
	    "giant.bank.example", SPASS, "mail.giant.bank.example",
	    {{ "mail.mega.bank.example", DPASS }}, R_PASS, P_Q, P_N, true, false, "p", NULL },
	{ "RFC 9989 §4.7 sp: the Organizational Domain under a PSD record gets p=",
	    "_dmarc.gov. TXT \"v=DMARC1; p=reject; sp=none; psd=y\"\nexample.gov. A 192.0.2.1\n",
	    NULL, TW, "example.gov", SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p",
	    NULL },
	{ "RFC 9989 §4.10.1: an existing subdomain under a PSD record gets sp=",
	    "_dmarc.gov. TXT \"v=DMARC1; p=reject; sp=none; psd=y\"\n"
	    "www.example.gov. A 192.0.2.1\n",
	    NULL, TW, "www.example.gov", SNONE, NULL, {{ 0 }}, R_FAIL, P_N, P_N, false, false,
	    "sp", NULL },
	{ "RFC 9989 §3.2.13: a non-existent subdomain gets np= (NXDOMAIN)",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n", NULL, TW,
	    "nx.example.com", SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_R, false, false, "np", "" },
	{ "RFC 9989 §4.7 sp: an existing subdomain gets sp=",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n"
	    "www.example.com. A 192.0.2.1\n", NULL, TW, "www.example.com", SNONE, NULL, {{ 0 }},
	    R_FAIL, P_Q, P_Q, false, false, "sp", "" },
	{ "RFC 9989 §4.7 np: absent np= means sp= for a non-existent subdomain",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=reject\"\n", NULL, TW,
	    "nx.example.com", SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_R, false, false, "sp", "" },
	{ "RFC 9989 §4.7 sp: absent sp= means p= for subdomains",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n", NULL, TW, "a.example.com",
	    SNONE, NULL, {{ 0 }}, R_FAIL, P_Q, P_Q, false, false, "p", "" },
	{ "RFC 9989 §4.7 t=y: reject is applied as quarantine",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=y\"\n", NULL, TW, "example.com",
	    SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_Q, false, false, "p", "", true },
	{ "RFC 9989 §4.7 t=y: quarantine is applied as none",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; t=y\"\n", NULL, TW, "example.com",
	    SNONE, NULL, {{ 0 }}, R_FAIL, P_Q, P_N, false, false, "p", "", true },
	{ "RFC 9989 §4.7 t=y has no effect on p=none",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none; t=y\"\n", NULL, TW, "example.com",
	    SNONE, NULL, {{ 0 }}, R_FAIL, P_N, P_N, false, false, "p", "", true },
	{ "RFC 7489 mode: t= is an unknown tag",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=y\"\n", NULL, PSLM, "example.com",
	    SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p", "", false },
	{ "RFC 7489 §6.6.4 pct=50: a message sampled out gets the next-lower policy",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50\"\n", NULL, PSLM,
	    "example.com", SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_Q, false, false, "p", "", false,
	    true, 75 },
	{ "RFC 7489 §6.6.4 pct=50: a message sampled in gets the policy",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50\"\n", NULL, PSLM,
	    "example.com", SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p", "", false,
	    false, 25 },
	{ "RFC 9989 Appendix A.6: pct= is not applied in RFC 9989 mode",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=0\"\n", NULL, TW, "example.com",
	    SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p", "", false, false, 75 },
	{ "RFC 9989 §4.10.1: an invalid p= with a valid rua= acts as p=none",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=bogus; rua=mailto:a@example.com\"\n", NULL,
	    TW, "example.com", SNONE, NULL, {{ 0 }}, R_FAIL, P_N, P_N, false, false, "p", "" },
	{ "RFC 9989 §4.10.1: an invalid p= without rua=: DMARC not applied",
	    "_dmarc.example.com. TXT \"v=DMARC1; p=bogus\"\n", NULL, TW, "example.com", SPASS,
	    "example.com", {{ 0 }}, R_NONE, P_U, P_U, false, false, NULL, "" },
	{ "RFC 9989 §4.10.1: no record: DMARC does not apply", NULL, NULL, TW, "example.com",
	    SPASS, "example.com", {{ 0 }}, R_NONE, P_U, P_U, false, false, NULL, "" },
	{ "RFC 9989 §5.3.6: DNS failure finding the record: temperror", NULL,
	    SF("_dmarc.example.com"), TW, "example.com", SNONE, NULL, {{ 0 }}, R_TEMP, P_U, P_U,
	    false, false, NULL, NULL },
	{ "RFC 9989 §5.3.6: DNS failure in a DKIM domain's walk, no other pass: temperror",
	    EXCOM, SF("_dmarc.sub.example.com"), TW, "example.com", SNONE, NULL,
	    {{ "sub.example.com", DPASS }}, R_TEMP, P_R, P_U, false, false, "p", NULL },
	{ "RFC 9989 §5.3.6: DNS failure in a walk does not undo another aligned pass",
	    EXCOM, SF("_dmarc.sub.example.com"), TW, "example.com", SPASS, "example.com",
	    {{ "sub.example.com", DPASS }}, R_PASS, P_R, P_N, true, false, "p", NULL },
	{ "SPF temperror for an aligned domain and no pass: temperror (RFC 9989 §5.3.6)",
	    EXCOM, NULL, TW, "example.com", INKAN_SPF_TEMPERROR, "mail.example.com", {{ 0 }},
	    R_TEMP, P_R, P_U, false, false, "p", "" },
	{ "SPF temperror for an unaligned domain does not matter", EXCOM, NULL, TW,
	    "example.com", INKAN_SPF_TEMPERROR, "example.net", {{ 0 }}, R_FAIL, P_R, P_R, false,
	    false, "p", "" },
	{ "RFC 9989 §4.3: SPF softfail is not a pass", EXCOM, NULL, TW, "example.com",
	    INKAN_SPF_SOFTFAIL, "example.com", {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p", "" },
	{ "RFC 9989 §5.3.1: a U-label Author Domain is evaluated as its A-label",
	    "_dmarc.xn--bcher-kva.example. TXT \"v=DMARC1; p=reject\"\n", NULL, TW,
	    "b\xc3\xbc" "cher.example", SNONE, NULL, {{ "xn--bcher-kva.example", DPASS }}, R_PASS,
	    P_R, P_N, false, true, "p", "" },
	{ "RFC 9989 §4.4: names compare case-insensitively (RFC 4343)", EXCOM, NULL, TW,
	    "Example.COM", SPASS, "EXAMPLE.com.", {{ 0 }}, R_PASS, P_R, P_N, true, false, "p",
	    "" },
	{ "a From domain that is not a domain name is a permerror", EXCOM, NULL, TW,
	    "exa mple.com", SNONE, NULL, {{ 0 }}, R_PERM, P_U, P_U, false, false, NULL, "" },
	{ "RFC 7489 §3.2: DKIM d= a public suffix cannot align", EXCOM, NULL, PSLM,
	    "example.com", SNONE, NULL, {{ "com", DPASS }}, R_FAIL, P_R, P_R, false, false, "p",
	    "" },
	{ "PSL and tree walk disagree on foo.blogspot.com",
	    "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\n", NULL, TW, "foo.blogspot.com",
	    SNONE, NULL, {{ 0 }}, R_FAIL, P_R, P_R, false, false, "p",
	    "tree walk: fail (Organizational Domain blogspot.com, record blogspot.com, policy "
	    "reject); PSL: none (Organizational Domain foo.blogspot.com, record none)" },
};

static uint32_t
fixed_random(void *arg)
{
	return *(const uint32_t *)arg;
}

static void
test_eval(void **state)
{
	const struct eval_case *c = *state;
	struct inkan_zone *z;
	struct inkan_resolver *r = zone_resolver(c->zone, c->servfail, &z);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_opts o = { .mode = c->mode, .apply_pct = true,
		.random = fixed_random, .random_arg = (void *)(uintptr_t)&c->rnd };
	struct inkan_dmarc_dkim dk[4];
	struct inkan_dmarc_input in = { .from_domain = c->from, .spf = c->spf,
		.spf_domain = c->spf_domain, .dkim = dk };
	struct inkan_dmarc_eval ev;

	for (size_t i = 0; i < 4 && c->dkim[i].d != NULL; i++) {
		dk[i] = (struct inkan_dmarc_dkim){ c->dkim[i].d, c->dkim[i].res, "sel" };
		in.ndkim = i + 1;
	}
	assert_int_equal(inkan_dmarc_evaluate(r, a, &o, &in, &ev), 0);
	if (ev.result != c->result || ev.policy != c->policy || ev.disposition != c->disposition)
		fail_msg("%s: %s policy %s disposition %s, want %s %s %s (%s)", c->name,
		    inkan_dmarc_result_name(ev.result), inkan_dmarc_policy_name(ev.policy),
		    inkan_dmarc_policy_name(ev.disposition), inkan_dmarc_result_name(c->result),
		    inkan_dmarc_policy_name(c->policy), inkan_dmarc_policy_name(c->disposition),
		    ev.reason);
	assert_non_null(ev.reason);
	assert_int_equal(ev.spf_aligned, c->spf_aligned);
	assert_int_equal(ev.dkim_aligned, c->dkim_aligned);
	assert_int_equal(ev.testing, c->testing);
	assert_int_equal(ev.sampled_out, c->sampled_out);
	if (c->policy_tag == NULL)
		assert_null(ev.policy_tag);
	else
		assert_string_equal(ev.policy_tag, c->policy_tag);
	if (c->diag != NULL && c->diag[0] == '\0' && ev.psl_diagnostic != NULL)
		fail_msg("%s: unexpected diagnostic: %s", c->name, ev.psl_diagnostic);
	if (c->diag != NULL && c->diag[0] != '\0' &&
	    (ev.psl_diagnostic == NULL || strstr(ev.psl_diagnostic, c->diag) == NULL))
		fail_msg("%s: diagnostic '%s', want '%s'", c->name,
		    ev.psl_diagnostic ? ev.psl_diagnostic : "NULL", c->diag);
	assert_int_equal(ev.queries + ev.compare_queries, r->nqueries);
	inkan_arena_free(a);
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

/* RFC 9989 §4.10: discovery for a long name stays within 8 queries, and
 * the whole evaluation (with relaxed walks for two identifiers) within
 * what the limits allow. */
static void
test_query_bounds(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *r = zone_resolver(NULL, NULL, &z);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_opts o = { .no_compare = true };
	struct inkan_dmarc_dkim dk[12];
	char names[12][64];
	struct inkan_dmarc_input in = {
		.from_domain = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.example.com",
		.spf = INKAN_SPF_PASS, .spf_domain = "q.r.s.t.u.v.w.x.y.z.example.com",
		.dkim = dk,
	};
	struct inkan_dmarc_eval ev;

	(void)state;
	assert_int_equal(inkan_dmarc_evaluate(r, a, &o, &in, &ev), 0);
	assert_int_equal(ev.result, INKAN_DMARC_NONE);
	assert_int_equal(ev.queries, INKAN_DMARC_MAX_WALK_QUERIES);
	/* 12 passing DKIM domains, each its own Organizational Domain (psd=n):
	 * only INKAN_DMARC_MAX_DKIM_DOMAINS of them are walked */
	inkan_resolver_free(r);
	inkan_zone_free(z);
	char zone[4096] = "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n";
	size_t zl = strlen(zone);

	for (int i = 0; i < 12; i++) {
		zl += (size_t)snprintf(zone + zl, sizeof(zone) - zl,
		    "_dmarc.s%d.example.com. TXT \"v=DMARC1; p=none; psd=n\"\n", i);
		snprintf(names[i], sizeof(names[i]), "x.s%d.example.com", i);
		dk[i] = (struct inkan_dmarc_dkim){ names[i], INKAN_DKIM_PASS, NULL };
	}
	r = zone_resolver(zone, NULL, &z);
	in.ndkim = 12;
	in.from_domain = "example.com";
	in.spf = INKAN_SPF_FAIL;
	assert_int_equal(inkan_dmarc_evaluate(r, a, &o, &in, &ev), 0);
	assert_int_equal(ev.result, INKAN_DMARC_FAIL);
	assert_non_null(strstr(ev.reason, "limited to the first 8"));
	/* _dmarc.example.com, _dmarc.com, then two per walked DKIM domain */
	assert_int_equal(ev.queries, 2 + 2 * INKAN_DMARC_MAX_DKIM_DOMAINS);
	inkan_arena_free(a);
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

/* The bulk pattern (ARCHITECTURE.md): over a cache-only resolver the
 * evaluation returns INKAN_EAGAIN per missing answer and, re-run once the
 * answer is cached, ends with the same verdict as straight over DNS. */
static void
test_cache_only(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *zr = zone_resolver(
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n", NULL, &z);
	struct inkan_resolver *cache;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_opts o = { 0 };
	struct inkan_dmarc_dkim dk = { "x.example.com", INKAN_DKIM_PASS, NULL };
	struct inkan_dmarc_input in = { .from_domain = "nx.a.example.com", .dkim = &dk,
		.ndkim = 1, .spf = INKAN_SPF_PASS, .spf_domain = "bounce.example.net" };
	struct inkan_dmarc_eval direct, ev;
	int rc, runs = 0;

	(void)state;
	assert_int_equal(inkan_dmarc_evaluate(zr, a, &o, &in, &direct), 0);
	assert_int_equal(inkan_resolver_cache_new(NULL, 0, &cache), 0);
	while ((rc = inkan_dmarc_evaluate(cache, a, &o, &in, &ev)) == INKAN_EAGAIN) {
		char name[256];
		uint16_t type;
		struct inkan_dns_answer ans;

		assert_true(++runs < 64);
		while (inkan_cache_take_miss(cache, name, sizeof(name), &type)) {
			assert_int_equal(inkan_dns_query(zr, a, name, type, &ans), 0);
			assert_int_equal(inkan_cache_put(cache, name, type, &ans), 0);
		}
	}
	assert_int_equal(rc, 0);
	assert_true(runs > 1);
	assert_int_equal(ev.result, direct.result);
	assert_int_equal(ev.result, INKAN_DMARC_PASS);
	assert_int_equal(ev.policy, direct.policy);
	assert_string_equal(ev.reason, direct.reason);
	inkan_resolver_free(cache);
	inkan_arena_free(a);
	inkan_resolver_free(zr);
	inkan_zone_free(z);
}

/* ---- several Author Domains (RFC 9989 §11.5) and unusable From fields ---- */

struct efrom_case {
	const char *name;
	const char *values[3];
	enum inkan_dmarc_multi_from multi;
	bool reject_bad;
	enum inkan_dmarc_result result;
	const char *from_domain;
	enum inkan_dmarc_policy disposition;
	size_t ndomains;
};

#define BANKZONE \
	"_dmarc.bank.example. TXT \"v=DMARC1; p=reject\"\n" \
	"_dmarc.evil.example. TXT \"v=DMARC1; p=none\"\n" \
	"_dmarc.q.example. TXT \"v=DMARC1; p=quarantine\"\n"

static const struct efrom_case efrom_cases[] = {
	{ "§11.5: two domains, the failing reject one wins", { "a@evil.example, b@bank.example" },
	    INKAN_DMARC_MULTI_STRICTEST, false, R_FAIL, "bank.example", P_R, 2 },
	{ "§11.5: reject beats quarantine", { "a@q.example", "b@bank.example" },
	    INKAN_DMARC_MULTI_STRICTEST, false, R_FAIL, "bank.example", P_R, 2 },
	{ "§11.5: a broken From still checks every domain it names",
	    { "victim@bank.example <a@evil.example>" }, INKAN_DMARC_MULTI_STRICTEST, false,
	    R_FAIL, "bank.example", P_R, 2 },
	{ "several domains all passing: pass",
	    { "a@evil.example, b@evil.example, c@none.example" }, INKAN_DMARC_MULTI_STRICTEST,
	    false, R_PASS, "evil.example", P_N, 2 },
	{ "several domains as permerror when so configured", { "a@evil.example, b@bank.example" },
	    INKAN_DMARC_MULTI_PERMERROR, false, R_PERM, NULL, P_U, 0 },
	{ "several domains as permerror, configured to reject",
	    { "a@evil.example, b@bank.example" }, INKAN_DMARC_MULTI_PERMERROR, true, R_PERM,
	    NULL, P_R, 0 },
	{ "no address: permerror", { "\"Test User\"" }, INKAN_DMARC_MULTI_STRICTEST, false,
	    R_PERM, NULL, P_U, 0 },
	{ "no address: permerror, configured to reject", { "\"Test User\"" },
	    INKAN_DMARC_MULTI_STRICTEST, true, R_PERM, NULL, P_R, 0 },
	{ "no From field, configured to reject", { NULL }, INKAN_DMARC_MULTI_STRICTEST, true,
	    R_PERM, NULL, P_R, 0 },
	{ "two mailboxes in one domain: one evaluation", { "a@bank.example, b@bank.example" },
	    INKAN_DMARC_MULTI_STRICTEST, false, R_FAIL, "bank.example", P_R, 1 },
};

static void
test_eval_from(void **state)
{
	const struct efrom_case *c = *state;
	struct inkan_zone *z;
	struct inkan_resolver *r = zone_resolver(BANKZONE, NULL, &z);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_opts o = { .multi_from = c->multi, .reject_bad_from = c->reject_bad };
	struct inkan_dmarc_dkim dk = { "evil.example", INKAN_DKIM_PASS, NULL };
	struct inkan_dmarc_input in = { .dkim = &dk, .ndkim = 1 };
	struct inkan_slice v[3];
	struct inkan_dmarc_from f;
	struct inkan_dmarc_eval ev;
	size_t n = 0;

	while (n < 3 && c->values[n] != NULL) {
		v[n] = inkan_slice_cstr(c->values[n]);
		n++;
	}
	assert_int_equal(inkan_dmarc_from_parse(a, v, n, &f), 0);
	assert_int_equal(inkan_dmarc_evaluate_from(r, a, &o, &f, &in, &ev), 0);
	if (ev.result != c->result || ev.disposition != c->disposition)
		fail_msg("%s: %s disposition %s, want %s %s (%s)", c->name,
		    inkan_dmarc_result_name(ev.result), inkan_dmarc_policy_name(ev.disposition),
		    inkan_dmarc_result_name(c->result), inkan_dmarc_policy_name(c->disposition),
		    ev.reason);
	if (c->from_domain == NULL)
		assert_null(ev.from_domain);
	else
		assert_string_equal(ev.from_domain, c->from_domain);
	assert_int_equal(ev.ndomains, c->ndomains);
	assert_int_equal(ev.from_status, f.status);
	inkan_arena_free(a);
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

static void
test_eval_from_too_many(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *r = zone_resolver(BANKZONE, NULL, &z);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_opts o = { .reject_bad_from = true };
	struct inkan_dmarc_input in = { 0 };
	struct inkan_dmarc_from f;
	struct inkan_dmarc_eval ev;
	char buf[1024] = "";
	size_t n = 0;
	struct inkan_slice v;

	(void)state;
	for (int i = 0; i < INKAN_DMARC_MAX_AUTHOR_DOMAINS + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sa@d%d.example", i ? "," : "",
		    i);
	v = inkan_slice_cstr(buf);
	assert_int_equal(inkan_dmarc_from_parse(a, &v, 1, &f), 0);
	assert_true(f.more_domains);
	assert_int_equal(inkan_dmarc_evaluate_from(r, a, &o, &f, &in, &ev), 0);
	/* none of the first 8 fails: the evaluation is incomplete (§11.5) */
	assert_int_equal(ev.result, INKAN_DMARC_PERMERROR);
	assert_int_equal(ev.disposition, INKAN_DMARC_P_REJECT);
	assert_non_null(strstr(ev.reason, "incomplete"));
	inkan_arena_free(a);
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

/* ---- report destinations (RFC 9990 §3, RFC 7489 §7.1) ---- */

static void
test_report(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *r = zone_resolver(
	    "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
	    "example.com._report._dmarc.thirdparty.example.net. TXT \"v=DMARC1;\"\n", NULL, &z);
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_record rec;
	struct inkan_dmarc_report_auth au;
	const char *why;
	const char *txt = "v=DMARC1; p=none; rua=mailto:agg@reports.example.com,"
	    "mailto:x@thirdparty.example.net,mailto:y@other.example.org";

	(void)state;
	assert_int_equal(inkan_dmarc_record_parse(a, txt, strlen(txt), &rec, &why), 0);
	assert_int_equal(rec.nrua, 3);
	/* inside the Organizational Domain: nothing to ask */
	assert_int_equal(inkan_dmarc_report_check(r, a, NULL, "example.com", &rec.rua[0], &au), 0);
	assert_int_equal(au.status, INKAN_DMARC_REPORT_INTERNAL);
	assert_true(au.authorized);
	/* B.2.3: example.com._report._dmarc.thirdparty.example.net */
	assert_int_equal(inkan_dmarc_report_check(r, a, NULL, "example.com", &rec.rua[1], &au), 0);
	assert_int_equal(au.status, INKAN_DMARC_REPORT_AUTHORIZED);
	assert_string_equal(au.query, "example.com._report._dmarc.thirdparty.example.net");
	assert_non_null(au.record);
	assert_int_equal(inkan_dmarc_report_check(r, a, NULL, "example.com", &rec.rua[2], &au), 0);
	assert_int_equal(au.status, INKAN_DMARC_REPORT_NOT_AUTHORIZED);
	assert_false(au.authorized);
	/* the same in RFC 7489 mode */
	struct inkan_dmarc_opts o = { .mode = INKAN_DMARC_PSL };

	assert_int_equal(inkan_dmarc_report_check(r, a, &o, "example.com", &rec.rua[0], &au), 0);
	assert_int_equal(au.status, INKAN_DMARC_REPORT_INTERNAL);
	assert_int_equal(inkan_dmarc_report_check(r, a, &o, "example.com", &rec.rua[1], &au), 0);
	assert_int_equal(au.status, INKAN_DMARC_REPORT_AUTHORIZED);
	inkan_arena_free(a);
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

static void
test_psl_api(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_psl *p;
	const char *why = NULL, *out;

	(void)state;
	assert_int_equal(inkan_dmarc_psl_load("/nonexistent/list.dat", &p, &why), INKAN_EIO);
	assert_non_null(why);
	assert_int_equal(inkan_dmarc_psl_load(NULL, &p, &why), 0);
	assert_int_equal(inkan_dmarc_psl_org_domain(p, a, "a.b.Example.CO.UK.", &out), 0);
	assert_string_equal(out, "example.co.uk");
	assert_int_equal(inkan_dmarc_psl_registrable(p, a, "co.uk", &out), 0);
	assert_null(out);
	assert_int_equal(inkan_dmarc_psl_org_domain(p, a, "co.uk", &out), 0);
	assert_string_equal(out, "co.uk");
	assert_int_equal(inkan_dmarc_psl_registrable(p, a, "a..b", &out), INKAN_EMALFORMED);
	assert_ptr_equal(inkan_dmarc_psl_shared(NULL, &why), inkan_dmarc_psl_shared(NULL, &why));
	/* evaluation in PSL mode with an unreadable list is an error, not a verdict */
	struct inkan_zone *z;
	struct inkan_resolver *r = zone_resolver(NULL, NULL, &z);
	struct inkan_dmarc_opts o = { .mode = INKAN_DMARC_PSL, .psl_file = "/nonexistent" };
	struct inkan_dmarc_input in = { .from_domain = "example.com" };
	struct inkan_dmarc_eval ev;

	assert_int_equal(inkan_dmarc_evaluate(r, a, &o, &in, &ev), INKAN_EIO);
	o.psl = p;	/* a preloaded list wins over psl_file */
	assert_int_equal(inkan_dmarc_evaluate(r, a, &o, &in, &ev), 0);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_dmarc_psl_free(p);
	inkan_arena_free(a);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(inkan_dmarc_result_name(INKAN_DMARC_PERMERROR), "permerror");
	assert_string_equal(inkan_dmarc_policy_name(INKAN_DMARC_P_QUARANTINE), "quarantine");
	assert_null(inkan_dmarc_policy_name(INKAN_DMARC_P_UNSPEC));
	assert_string_equal(inkan_dmarc_from_status_name(INKAN_DMARC_FROM_GROUP), "group");
	assert_string_equal(inkan_dmarc_mode_name(INKAN_DMARC_PSL), "psl");
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_record_limits),
		cmocka_unit_test(test_from_limits),
		cmocka_unit_test(test_query_bounds),
		cmocka_unit_test(test_cache_only),
		cmocka_unit_test(test_eval_from_too_many),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_psl_api),
		cmocka_unit_test(test_names),
	};
	size_t total = NROWS(rec_cases) + NROWS(from_cases) + NROWS(disc_cases) +
	    NROWS(eval_cases) + NROWS(efrom_cases) + NROWS(misc), n = 0;
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
	ADD(from_cases, test_from);
	ADD(disc_cases, test_discover);
	ADD(eval_cases, test_eval);
	ADD(efrom_cases, test_eval_from);
	for (size_t i = 0; i < NROWS(misc); i++)
		t[n++] = misc[i];
	rc = _cmocka_run_group_tests("dmarc", t, n, NULL, NULL);
	free(t);
	return rc;
}
