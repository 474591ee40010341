/* test_check.c - the domain audit (lib/check) over the zone backend, and
 * the parsers it brings: SMTP replies and EHLO extensions (RFC 5321
 * §4.2), and the BIMI record.
 *
 * The audit cases run offline (no SMTP, no HTTPS) against
 * tests/data/check/audit.zone, where each name was built to show one
 * finding; a case names the finding's id, the status it must have and,
 * when several items share the id, a text its subject or summary holds.
 * The loopback servers (TLS, MTA-STS fetch, DNSSEC) are
 * tests/integration/check_loopback.sh.
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
#include "inkan/bimi.h"
#include "inkan/check.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/smtp.h"

#define NROWS(x) (sizeof(x) / sizeof(x[0]))

static struct inkan_zone *zone;
static struct inkan_resolver *resolver;

static int
setup_zone(void **state)
{
	char *why = NULL;

	(void)state;
	if (inkan_zone_new(&zone) != 0)
		return -1;
	if (inkan_zone_load_file(zone, INKAN_TESTDATA "/check/audit.zone", NULL, &why) != 0) {
		fprintf(stderr, "audit.zone: %s\n", why ? why : "?");
		free(why);
		return -1;
	}
	if (inkan_zone_set_status(zone, "servfail.u.test", INKAN_DNS_MX, INKAN_DNS_SERVFAIL) != 0)
		return -1;
	return inkan_resolver_zone_new(zone, &resolver);
}

static int
teardown_zone(void **state)
{
	(void)state;
	inkan_resolver_free(resolver);
	inkan_zone_free(zone);
	return 0;
}

/* ---- SMTP replies (RFC 5321 §4.2) ---- */

struct reply_case {
	const char *name;
	const char *in;
	int rc;
	size_t used;		/* 0 = incomplete */
	unsigned code;
	size_t nlines;
	const char *last;	/* text of the last line */
};

static const struct reply_case reply_cases[] = {
	{ "4.2 one line", "220 mx.example ESMTP\r\n", 0, 22, 220, 1, "mx.example ESMTP" },
	{ "4.2 multi-line", "250-a\r\n250-b c\r\n250 d\r\n", 0, 23, 250, 3, "d" },
	{ "4.2 code alone", "250\r\n", 0, 5, 250, 1, "" },
	{ "4.2 code and space", "250 \r\n", 0, 6, 250, 1, "" },
	{ "bare LF accepted", "221 bye\n", 0, 8, 221, 1, "bye" },
	{ "only the first reply", "250 ok\r\n250 next\r\n", 0, 8, 250, 1, "ok" },
	{ "incomplete line", "250 o", 0, 0, 0, 0, NULL },
	{ "incomplete multi-line", "250-a\r\n250-b\r\n", 0, 0, 0, 0, NULL },
	{ "empty input", "", 0, 0, 0, 0, NULL },
	{ "4.2 codes differ", "250-a\r\n251 b\r\n", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "4.2 first digit 1", "150 x\r\n", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "4.2 first digit 6", "650 x\r\n", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "4.2 not digits", "2a0 x\r\n", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "4.2 garbage refused early", "HTTP/1.1", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "4.2 bad separator", "250x\r\n", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "4.2 short line", "25\r\n", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "control character", "250 a\x01\r\n", INKAN_EMALFORMED, 0, 0, 0, NULL },
	{ "tab allowed", "250 a\tb\r\n", 0, 9, 250, 1, "a\tb" },
	{ "UTF-8 text allowed", "250 caf\xc3\xa9\r\n", 0, 11, 250, 1, "caf\xc3\xa9" },
};

static void
test_reply(void **state)
{
	const struct reply_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_smtp_reply r;
	const char *why = NULL;
	size_t used = 99;
	int rc = inkan_smtp_reply_parse(a, c->in, strlen(c->in), &r, &used, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc), why ? why : "-",
		    inkan_strerror(c->rc));
	if (rc == 0) {
		if (used != c->used)
			fail_msg("%s: used %zu, wanted %zu", c->name, used, c->used);
		if (used > 0) {
			assert_int_equal(r.code, c->code);
			assert_int_equal(r.nlines, c->nlines);
			assert_string_equal(r.lines[r.nlines - 1], c->last);
		}
	} else {
		assert_non_null(why);
	}
	inkan_arena_free(a);
}

static void
test_reply_limits(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_smtp_reply r;
	size_t used, n = INKAN_SMTP_MAX_REPLY_LINE + 10;
	char *buf = malloc(n * 70);
	const char *why;

	(void)state;
	assert_non_null(buf);
	/* §4.5.3.1.5: a line without an end, past our bound, is refused
	 * before it is complete (the reader must not wait for more). */
	memset(buf, 'x', n);
	memcpy(buf, "250 ", 4);
	assert_int_equal(inkan_smtp_reply_parse(a, buf, n, &r, &used, &why), INKAN_EMALFORMED);
	assert_non_null(strstr(why, "longer"));
	/* A line exactly at the bound still parses. */
	memset(buf, 'x', INKAN_SMTP_MAX_REPLY_LINE - 2);
	memcpy(buf, "250 ", 4);
	memcpy(buf + INKAN_SMTP_MAX_REPLY_LINE - 2, "\r\n", 2);
	assert_int_equal(inkan_smtp_reply_parse(a, buf, INKAN_SMTP_MAX_REPLY_LINE, &r, &used,
	    &why), 0);
	assert_int_equal(used, INKAN_SMTP_MAX_REPLY_LINE);
	/* More lines than INKAN_SMTP_MAX_REPLY_LINES. */
	n = 0;
	for (int i = 0; i < INKAN_SMTP_MAX_REPLY_LINES + 1; i++) {
		memcpy(buf + n, "250-x\r\n", 7);
		n += 7;
	}
	assert_int_equal(inkan_smtp_reply_parse(a, buf, n, &r, &used, &why), INKAN_EMALFORMED);
	free(buf);
	inkan_arena_free(a);
}

static void
test_ehlo(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_smtp_reply r;
	struct inkan_smtp_ehlo e;
	const char *in = "250-mx.example.com Hello\r\n250-PIPELINING\r\n250-size 1000\r\n"
	    "250-not an ehlo line!\r\n250-8BITMIME\r\n250-starttls\r\n250 REQUIRETLS\r\n";
	size_t used;

	(void)state;
	assert_int_equal(inkan_smtp_reply_parse(a, in, strlen(in), &r, &used, NULL), 0);
	assert_int_equal(inkan_smtp_ehlo_parse(a, &r, &e), 0);
	assert_string_equal(e.domain, "mx.example.com");
	/* §4.1.1.1: keywords are case-insensitive; "not an ehlo line!" has a
	 * keyword "not" followed by params, so it is kept as such. */
	assert_non_null(inkan_smtp_ehlo_find(&e, "STARTTLS"));
	assert_non_null(inkan_smtp_ehlo_find(&e, "requiretls"));
	assert_string_equal(inkan_smtp_ehlo_find(&e, "SIZE")->params, "1000");
	assert_string_equal(inkan_smtp_ehlo_find(&e, "SIZE")->keyword, "SIZE");
	assert_null(inkan_smtp_ehlo_find(&e, "CHUNKING"));
	/* Not a 250: no extensions to read. */
	in = "502 no\r\n";
	assert_int_equal(inkan_smtp_reply_parse(a, in, strlen(in), &r, &used, NULL), 0);
	assert_int_equal(inkan_smtp_ehlo_parse(a, &r, &e), INKAN_EINVAL);
	assert_string_equal(inkan_smtp_hello_outcome_name(INKAN_HELLO_ACCEPTED), "accepted");
	assert_string_equal(inkan_smtp_tls_version_name(a, 0x0301), "TLSv1.0");
	assert_string_equal(inkan_smtp_tls_version_name(a, 0x7f1c), "0x7f1c");
	inkan_arena_free(a);
}

/* ---- BIMI record ---- */

struct bimi_case {
	const char *name;
	const char *in;
	int rc;
	const char *want;	/* logo URI when valid, else a substring of why */
	size_t nwarn;
	bool declined;
};

static const struct bimi_case bimi_cases[] = {
	{ "example record", "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem",
	    0, "https://example.com/logo.svg", 0, false },
	{ "no a=", "v=BIMI1; l=https://example.com/logo.svg;", 0, "https://example.com/logo.svg",
	    0, false },
	{ "declination", "v=BIMI1; l=; a=;", 0, NULL, 0, true },
	{ "declination without a=", "v=BIMI1; l=", 0, NULL, 0, true },
	{ "no l= at all", "v=BIMI1;", 0, NULL, 1, true },
	{ "not svg", "v=BIMI1; l=https://example.com/logo.png", 0, "https://example.com/logo.png",
	    1, false },
	{ "svg with query", "v=BIMI1; l=https://example.com/logo.svg?v=2",
	    0, "https://example.com/logo.svg?v=2", 0, false },
	{ "two logos", "v=BIMI1; l=https://a.example/l.svg,https://b.example/l.svg",
	    0, "https://a.example/l.svg", 1, false },
	{ "evidence not pem", "v=BIMI1; l=https://e.example/l.svg; a=https://e.example/vmc.crt",
	    0, "https://e.example/l.svg", 1, false },
	{ "avp", "v=BIMI1; l=https://e.example/l.svg; avp=brand", 0, "https://e.example/l.svg",
	    0, false },
	{ "unknown tag ignored", "v=BIMI1; l=https://e.example/l.svg; x=1", 0,
	    "https://e.example/l.svg", 0, false },
	{ "http logo", "v=BIMI1; l=http://example.com/logo.svg", INKAN_EMALFORMED, "https", 0,
	    false },
	{ "http evidence", "v=BIMI1; l=https://e.example/l.svg; a=http://e.example/v.pem",
	    INKAN_EMALFORMED, "https", 0, false },
	{ "no host", "v=BIMI1; l=https:///logo.svg", INKAN_EMALFORMED, "host", 0, false },
	{ "userinfo", "v=BIMI1; l=https://u@e.example/l.svg", INKAN_EMALFORMED, "user", 0, false },
	{ "empty list element", "v=BIMI1; l=https://e.example/l.svg,", INKAN_EMALFORMED, "empty",
	    0, false },
	{ "version not first", "l=https://e.example/l.svg; v=BIMI1", INKAN_EMALFORMED, "BIMI1", 0,
	    false },
	{ "version wrong case", "v=bimi1; l=", INKAN_EMALFORMED, "BIMI1", 0, false },
	{ "BIMI10", "v=BIMI10; l=", INKAN_EMALFORMED, "BIMI1", 0, false },
	{ "duplicate tag", "v=BIMI1; l=; l=", INKAN_EMALFORMED, "duplicate", 0, false },
	{ "bad avp", "v=BIMI1; l=; avp=x", INKAN_EMALFORMED, "avp", 0, false },
	{ "space in uri", "v=BIMI1; l=https://e.example/a b.svg", INKAN_EMALFORMED, "space", 0,
	    false },
};

static void
test_bimi(void **state)
{
	const struct bimi_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_bimi_record r;
	const char *why = NULL;
	int rc = inkan_bimi_record_parse(a, c->in, strlen(c->in), &r, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %s (%s), wanted %s", c->name, inkan_strerror(rc), why ? why : "-",
		    inkan_strerror(c->rc));
	if (rc == 0) {
		if (c->want != NULL) {
			assert_true(r.nlogos > 0);
			assert_string_equal(r.logos[0], c->want);
		} else {
			assert_int_equal(r.nlogos, 0);
		}
		if (r.nwarnings != c->nwarn)
			fail_msg("%s: %zu warnings, wanted %zu", c->name, r.nwarnings, c->nwarn);
		assert_int_equal(r.declined, c->declined);
	} else if (why == NULL || strstr(why, c->want) == NULL) {
		fail_msg("%s: reason [%s], wanted [%s]", c->name, why ? why : "", c->want);
	}
	inkan_arena_free(a);
}

static void
test_bimi_lookup(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_bimi_lookup lk;

	(void)state;
	assert_int_equal(inkan_bimi_lookup(resolver, a, "good.u.test", NULL, &lk), 0);
	assert_int_equal(lk.status, INKAN_BIMI_FOUND);
	assert_string_equal(lk.record.evidence, "https://good.u.test/vmc.pem");
	assert_int_equal(inkan_bimi_lookup(resolver, a, "nomail.u.test", NULL, &lk), 0);
	assert_int_equal(lk.status, INKAN_BIMI_NONE);
	assert_int_equal(inkan_bimi_lookup(resolver, a, "biminv.u.test", NULL, &lk), 0);
	assert_int_equal(lk.status, INKAN_BIMI_INVALID);
	assert_non_null(strstr(lk.why, "https"));
	assert_int_equal(inkan_bimi_lookup(resolver, a, "good.u.test", "bad selector", &lk),
	    INKAN_EINVAL);
	assert_string_equal(inkan_bimi_status_name(INKAN_BIMI_MULTIPLE), "multiple");
	inkan_arena_free(a);
}

/* ---- the audit, offline over the zone ---- */

struct audit_case {
	const char *name;
	const char *domain;
	const char *id;
	enum inkan_check_status status;
	const char *subject;	/* substring of the subject or summary, or NULL */
	const char *selector;	/* --selector, or NULL for discovery */
};

static const struct audit_case audit_cases[] = {
	{ "MX present", "good.u.test", "mx-present", INKAN_CHECK_PASS, NULL, NULL },
	{ "MX hosts with IPv6", "good.u.test", "mx-ipv6", INKAN_CHECK_PASS, NULL, NULL },
	{ "SPF valid", "good.u.test", "spf-record", INKAN_CHECK_PASS, NULL, NULL },
	{ "DKIM found by the dictionary", "good.u.test", "dkim-key", INKAN_CHECK_PASS, "selector1",
	    NULL },
	{ "DMARC p=reject", "good.u.test", "dmarc-policy", INKAN_CHECK_PASS, NULL, NULL },
	{ "DMARC internal rua", "good.u.test", "dmarc-rua", INKAN_CHECK_PASS, NULL, NULL },
	{ "MTA-STS record", "good.u.test", "mtasts-record", INKAN_CHECK_PASS, NULL, NULL },
	{ "offline: policy not fetched", "good.u.test", "mtasts-policy", INKAN_CHECK_NOT_TESTED,
	    NULL, NULL },
	{ "TLS-RPT record", "good.u.test", "tlsrpt-record", INKAN_CHECK_PASS, NULL, NULL },
	{ "TLSA with rollover", "good.u.test", "dane-tlsa", INKAN_CHECK_PASS, "mx1.good", NULL },
	{ "offline: TLSA not matched", "good.u.test", "dane-match", INKAN_CHECK_NOT_TESTED, NULL,
	    NULL },
	{ "offline: SMTP not probed", "good.u.test", "tls-connect", INKAN_CHECK_NOT_TESTED, NULL,
	    NULL },
	{ "zone data: DNSSEC not tested", "good.u.test", "dnssec-domain", INKAN_CHECK_NOT_TESTED,
	    NULL, NULL },
	{ "BIMI record", "good.u.test", "bimi-record", INKAN_CHECK_PASS, NULL, NULL },
	{ "BIMI evidence", "good.u.test", "bimi-evidence", INKAN_CHECK_PASS, NULL, NULL },
	{ "BIMI under p=reject", "good.u.test", "bimi-dmarc", INKAN_CHECK_PASS, NULL, NULL },
	/* MX */
	{ "RFC 7505 §3 Null MX with others", "nullmix.u.test", "mx-null", INKAN_CHECK_FAIL, NULL,
	    NULL },
	{ "RFC 7505 §4.2 Null MX but sends", "nullsend.u.test", "mx-null-sends", INKAN_CHECK_WARN,
	    NULL, NULL },
	{ "parked: SPF authorises senders", "nullsend.u.test", "spf-parked", INKAN_CHECK_WARN, NULL,
	    NULL },
	{ "parked: no SPF", "nullnospf.u.test", "spf-parked", INKAN_CHECK_FAIL, NULL, NULL },
	{ "parked: no DMARC", "nullnospf.u.test", "dmarc-record", INKAN_CHECK_FAIL, NULL, NULL },
	{ "parked: no MTA-STS is fine", "nullnospf.u.test", "mtasts-record", INKAN_CHECK_INFO, NULL,
	    NULL },
	{ "parked: p=none", "nulldm.u.test", "dmarc-parked", INKAN_CHECK_WARN, NULL, NULL },
	{ "parked: no DKIM is fine", "nulldm.u.test", "dkim-selectors", INKAN_CHECK_INFO, NULL,
	    NULL },
	{ "RFC 5321 §5.1 implicit MX", "implicit.u.test", "mx-present", INKAN_CHECK_WARN, NULL,
	    NULL },
	{ "no MX, no address", "nomail.u.test", "mx-present", INKAN_CHECK_WARN, NULL, NULL },
	{ "RFC 2181 §10.3 MX to a CNAME", "cname.u.test", "mx-cname", INKAN_CHECK_WARN,
	    "alias.cname", NULL },
	{ "MX host without address", "noaddr.u.test", "mx-resolve", INKAN_CHECK_FAIL,
	    "ghost.noaddr", NULL },
	{ "MX host with a private address", "private.u.test", "mx-address", INKAN_CHECK_WARN,
	    "10.1.2.3", NULL },
	{ "no IPv6", "v6none.u.test", "mx-ipv6", INKAN_CHECK_WARN, NULL, NULL },
	{ "domain does not exist", "nx.u.test", "mx-present", INKAN_CHECK_FAIL, NULL, NULL },
	{ "MX lookup SERVFAIL", "servfail.u.test", "mx-present", INKAN_CHECK_ERROR, NULL, NULL },
	/* SPF */
	{ "no SPF record", "v6none.u.test", "spf-no-record", INKAN_CHECK_FAIL, NULL, NULL },
	/* DKIM */
	{ "RFC 8301 1024-bit key", "dk1024.u.test", "dkim-key", INKAN_CHECK_WARN, "1024", NULL },
	{ "RFC 8301 §3.2 512-bit key", "dk512.u.test", "dkim-key", INKAN_CHECK_FAIL, "512", NULL },
	{ "RFC 6376 §3.6.1 t=y", "dktest.u.test", "dkim-key-testing", INKAN_CHECK_WARN, NULL,
	    NULL },
	{ "RFC 8301 §3.1 h=sha1 only", "dksha1.u.test", "dkim-key-hash", INKAN_CHECK_FAIL, NULL,
	    NULL },
	{ "revoked key", "dkrevoked.u.test", "dkim-key-revoked", INKAN_CHECK_INFO, NULL, NULL },
	{ "RFC 8463 Ed25519 key", "dked.u.test", "dkim-key", INKAN_CHECK_PASS, "Ed25519", NULL },
	{ "Ed25519 only", "dked.u.test", "dkim-key", INKAN_CHECK_WARN, "Only Ed25519", NULL },
	{ "p= not a key", "dkbad.u.test", "dkim-key", INKAN_CHECK_FAIL, "google", NULL },
	{ "RFC 8020 _domainkey NXDOMAIN", "v6none.u.test", "dkim-selectors", INKAN_CHECK_FAIL,
	    NULL, NULL },
	{ "RFC 8020 ENT, selector unknown", "dkent.u.test", "dkim-selectors",
	    INKAN_CHECK_NOT_TESTED, NULL, NULL },
	{ "wildcard under _domainkey", "dkwild.u.test", "dkim-selectors", INKAN_CHECK_NOT_TESTED,
	    "wildcard", NULL },
	{ "selector given", "dkent.u.test", "dkim-key", INKAN_CHECK_PASS, "zzunusual",
	    "zzunusual" },
	{ "selector given, no key", "good.u.test", "dkim-key", INKAN_CHECK_FAIL, "nokey", "nokey" },
	/* DMARC */
	{ "RFC 9989 §4.10 two records", "dmmulti.u.test", "dmarc-multiple", INKAN_CHECK_FAIL, NULL,
	    NULL },
	{ "two records: none applies", "dmmulti.u.test", "dmarc-record", INKAN_CHECK_FAIL, NULL,
	    NULL },
	{ "legacy pct=50", "dmpct.u.test", "dmarc-testing", INKAN_CHECK_WARN, "pct", NULL },
	{ "RFC 9989 §4.7 t=y", "dmt.u.test", "dmarc-testing", INKAN_CHECK_WARN, "t=y", NULL },
	{ "sp=none under p=reject", "dmsp.u.test", "dmarc-subdomain-policy", INKAN_CHECK_WARN, NULL,
	    NULL },
	{ "rua https", "dmhttps.u.test", "dmarc-rua", INKAN_CHECK_WARN, "https", NULL },
	{ "RFC 9989 §4.8 bad adkim value", "dmbadtag.u.test", "dmarc-syntax", INKAN_CHECK_WARN,
	    "adkim", NULL },
	{ "no DMARC", "v6none.u.test", "dmarc-record", INKAN_CHECK_FAIL, NULL, NULL },
	{ "policy only on a subdomain", "mail.dmorg.test", "dmarc-org", INKAN_CHECK_WARN,
	    "dmorg.test", NULL },
	{ "inherited sp=none", "x.dmorg2.test", "dmarc-policy", INKAN_CHECK_WARN, "sp", NULL },
	/* MTA-STS, TLS-RPT */
	{ "RFC 8461 §3.1 empty id", "stsinv.u.test", "mtasts-record", INKAN_CHECK_FAIL, NULL, NULL },
	{ "RFC 8461 §3.1 two records", "stsmulti.u.test", "mtasts-record", INKAN_CHECK_FAIL, NULL,
	    NULL },
	{ "no MTA-STS", "v6none.u.test", "mtasts-record", INKAN_CHECK_WARN, NULL, NULL },
	{ "RFC 8460 §3 no rua", "rptinv.u.test", "tlsrpt-record", INKAN_CHECK_FAIL, NULL, NULL },
	{ "RFC 8460 §3 other scheme", "rptother.u.test", "tlsrpt-record", INKAN_CHECK_WARN, "ftp:",
	    NULL },
	{ "no TLS-RPT", "v6none.u.test", "tlsrpt-record", INKAN_CHECK_WARN, NULL, NULL },
	/* DANE */
	{ "RFC 7672 §3.1.3 PKIX-EE under SMTP", "danepkix.u.test", "dane-pkix-smtp",
	    INKAN_CHECK_WARN, NULL, NULL },
	{ "RFC 7672 §2.2 no usable TLSA", "danepkix.u.test", "dane-no-usable", INKAN_CHECK_FAIL,
	    NULL, NULL },
	{ "no TLSA", "v6none.u.test", "dane-tlsa", INKAN_CHECK_WARN, NULL, NULL },
	/* BIMI */
	{ "BIMI needs enforcing DMARC", "bimiweak.u.test", "bimi-dmarc", INKAN_CHECK_FAIL, NULL,
	    NULL },
	{ "BIMI http logo", "biminv.u.test", "bimi-record", INKAN_CHECK_FAIL, NULL, NULL },
	{ "BIMI declined", "bimidecl.u.test", "bimi-record", INKAN_CHECK_INFO, NULL, NULL },
	{ "no BIMI", "v6none.u.test", "bimi-record", INKAN_CHECK_INFO, NULL, NULL },
};

static int
audit(struct inkan_arena *a, const char *domain, const char *selector, unsigned cats,
    struct inkan_check_report *rep)
{
	struct inkan_check_opts o;
	const char *sel[1] = { selector };

	memset(&o, 0, sizeof(o));
	o.offline = true;
	o.no_dnssec = true;
	o.categories = cats;
	if (selector != NULL) {
		o.selectors = sel;
		o.nselectors = 1;
	}
	return inkan_check_domain(resolver, a, &o, domain, rep);
}

static void
test_audit(void **state)
{
	const struct audit_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_check_report rep;
	bool found = false;
	int rc = audit(a, c->domain, c->selector, 0, &rep);

	if (rc != 0)
		fail_msg("%s: inkan_check_domain: %s", c->name, inkan_strerror(rc));
	for (size_t i = 0; i < rep.nitems && !found; i++) {
		const struct inkan_check_item *it = &rep.items[i];

		if (strcmp(it->id, c->id) != 0)
			continue;
		if (c->subject != NULL && (it->subject == NULL ||
		    strstr(it->subject, c->subject) == NULL) &&
		    strstr(it->summary, c->subject) == NULL)
			continue;
		found = it->status == c->status;
	}
	if (!found) {
		fprintf(stderr, "# %s: %s wanted %s %s; the report has:\n", c->name, c->domain,
		    c->id, inkan_check_status_name(c->status));
		for (size_t i = 0; i < rep.nitems; i++)
			fprintf(stderr, "#   %s %s [%s] %s\n", rep.items[i].id,
			    inkan_check_status_name(rep.items[i].status),
			    rep.items[i].subject ? rep.items[i].subject : "",
			    rep.items[i].summary);
		fail_msg("%s: no %s item with status %s", c->name, c->id,
		    inkan_check_status_name(c->status));
	}
	inkan_arena_free(a);
}

/* Scores: pass counts 1, warn 1/2, fail 0; info and not-tested are not
 * scored; the overall score is the mean of the scored categories. */
static void
test_scores(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_check_report rep;
	int sum = 0, n = 0;

	(void)state;
	assert_int_equal(audit(a, "v6none.u.test", NULL, 0, &rep), 0);
	/* mx-present pass, mx-resolve pass, mx-ipv6 warn: 5/6 = 83%. */
	assert_int_equal(rep.categories[INKAN_CHECK_MX].npass, 2);
	assert_int_equal(rep.categories[INKAN_CHECK_MX].nwarn, 1);
	assert_int_equal(rep.categories[INKAN_CHECK_MX].score, 83);
	/* spf-no-record fail only. */
	assert_int_equal(rep.categories[INKAN_CHECK_SPF].score, 0);
	/* bimi-record info only: not scored. */
	assert_int_equal(rep.categories[INKAN_CHECK_BIMI].score, -1);
	assert_int_equal(rep.categories[INKAN_CHECK_DNSSEC].score, -1);
	for (int k = 0; k < INKAN_CHECK_NCATEGORIES; k++)
		if (rep.categories[k].score >= 0) {
			sum += rep.categories[k].score;
			n++;
		}
	assert_int_equal(rep.score, (sum + n / 2) / n);
	assert_int_equal(rep.worst, INKAN_CHECK_FAIL);
	assert_true(rep.dns_queries > 0);
	/* Items come grouped by category, in category order. */
	for (size_t i = 1; i < rep.nitems; i++)
		assert_true(rep.items[i - 1].category <= rep.items[i].category);
	inkan_arena_free(a);
}

static void
test_categories(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_check_report rep;

	(void)state;
	assert_int_equal(audit(a, "good.u.test", NULL, 1u << INKAN_CHECK_MX |
	    1u << INKAN_CHECK_SPF, &rep), 0);
	assert_true(rep.nitems > 0);
	for (size_t i = 0; i < rep.nitems; i++)
		assert_true(rep.items[i].category == INKAN_CHECK_MX ||
		    rep.items[i].category == INKAN_CHECK_SPF);
	assert_int_equal(rep.score, 100);
	assert_int_equal(rep.worst, INKAN_CHECK_PASS);
	inkan_arena_free(a);
}

static void
test_bad_input(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_check_report rep;

	(void)state;
	assert_int_equal(audit(a, "", NULL, 0, &rep), INKAN_EINVAL);
	assert_int_equal(audit(a, "single", NULL, 0, &rep), INKAN_EINVAL);
	assert_int_equal(audit(a, "a..b.test", NULL, 0, &rep), INKAN_EINVAL);
	assert_int_equal(inkan_check_domain(NULL, a, NULL, "good.u.test", &rep), INKAN_EINVAL);
	/* A trailing dot and upper case are the same domain. */
	assert_int_equal(audit(a, "GOOD.u.test.", NULL, 1u << INKAN_CHECK_MX, &rep), 0);
	assert_string_equal(rep.domain, "good.u.test");
	inkan_arena_free(a);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(inkan_check_category_name(INKAN_CHECK_MTASTS), "mta-sts");
	assert_string_equal(inkan_check_category_name(INKAN_CHECK_TLSRPT), "tls-rpt");
	assert_int_equal(inkan_check_category_from_name("bimi"), INKAN_CHECK_BIMI);
	assert_int_equal(inkan_check_category_from_name("nope"), -1);
	assert_string_equal(inkan_check_status_name(INKAN_CHECK_NOT_TESTED), "not-tested");
	assert_string_equal(inkan_check_status_name(INKAN_CHECK_ERROR), "error");
	assert_non_null(inkan_check_dkim_dictionary[0]);
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_ehlo),
		cmocka_unit_test(test_bimi_lookup),
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_names),
	};
	size_t total = NROWS(reply_cases) + NROWS(bimi_cases) + NROWS(audit_cases) + NROWS(misc);
	size_t n = 0;
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
	ADD(reply_cases, test_reply);
	ADD(bimi_cases, test_bimi);
	ADD(audit_cases, test_audit);
	for (size_t i = 0; i < NROWS(misc); i++)
		t[n++] = misc[i];
	rc = _cmocka_run_group_tests("check", t, n, setup_zone, teardown_zone);
	free(t);
	return rc;
}
