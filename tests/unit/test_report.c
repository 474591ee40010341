/* test_report.c - report parsing, unpacking, the SQLite store, and
 * generating reports (report_gen.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report.h"
#include "inkan/report_gen.h"
#include "inkan/store.h"

static const struct {
	const char *name, *in;
	int rc;
	long long want;
} datetimes[] = {
	{ "rfc8460-example", "2016-04-01T00:00:00Z", 0, 1459468800 },
	{ "end-of-day", "2016-04-01T23:59:59Z", 0, 1459555199 },
	{ "offset", "2016-04-01T09:00:00+09:00", 0, 1459468800 },
	{ "negative-offset", "2016-03-31T19:00:00-05:00", 0, 1459468800 },
	{ "fraction", "2016-04-01T00:00:00.123Z", 0, 1459468800 },
	{ "no-zone", "2016-04-01T00:00:00", INKAN_EMALFORMED, 0 },
	{ "date-only", "2016-04-01", INKAN_EMALFORMED, 0 },
	{ "month-13", "2016-13-01T00:00:00Z", INKAN_EMALFORMED, 0 },
	{ "trailing", "2016-04-01T00:00:00Zx", INKAN_EMALFORMED, 0 },
};

static void
test_datetime(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(datetimes) / sizeof(datetimes[0]); i++) {
		int64_t t = 0;
		int rc = inkan_report_parse_datetime(datetimes[i].in, &t);
		if (rc != datetimes[i].rc || (rc == 0 && t != datetimes[i].want))
			fail_msg("%s: want rc %d t %lld, got rc %d t %lld", datetimes[i].name,
			    datetimes[i].rc, datetimes[i].want, rc, (long long)t);
	}
}

#define META "<report_metadata><org_name>Org</org_name><email>a@b.example</email>" \
	"<report_id>r1</report_id><date_range><begin>100</begin><end>200</end></date_range>" \
	"</report_metadata><policy_published><domain>example.com</domain><p>none</p>" \
	"</policy_published>"
#define ROW(ip, n, disp, dkim, spf) "<record><row><source_ip>" ip "</source_ip><count>" n \
	"</count><policy_evaluated><disposition>" disp "</disposition><dkim>" dkim "</dkim><spf>" \
	spf "</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from>" \
	"</identifiers><auth_results><spf><domain>example.com</domain><result>pass</result>" \
	"</spf></auth_results></record>"

static const struct {
	const char *name, *xml;
	int rc;
	const char *why;	/* substring of diag.why */
	unsigned long long messages;
} xmls[] = {
	{ "minimal", "<feedback>" META ROW("192.0.2.1", "3", "none", "pass", "fail") "</feedback>",
	  0, NULL, 3 },
	{ "rfc9990-ns-upper-space", "<feedback xmlns='urn:ietf:params:xml:ns:dmarc-2.0'>" META
	  ROW(" 2001:DB8::1 ", " 5 ", " Quarantine ", "FAIL", "Pass") "</feedback>", 0, NULL, 5 },
	{ "two-rows", "<feedback>" META ROW("192.0.2.1", "3", "none", "pass", "fail")
	  ROW("192.0.2.2", "4", "reject", "fail", "fail") "</feedback>", 0, NULL, 7 },
	{ "no-records", "<feedback>" META "</feedback>", 0, NULL, 0 },
	{ "doctype", "<!DOCTYPE feedback [<!ENTITY x 'y'>]><feedback>" META "</feedback>",
	  INKAN_EMALFORMED, "document type", 0 },
	{ "external-entity", "<!DOCTYPE feedback [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	  "<feedback>" META "&x;</feedback>", INKAN_EMALFORMED, "", 0 },
	{ "wrong-root", "<html>" META "</html>", INKAN_EMALFORMED, "<html>", 0 },
	{ "no-report-id", "<feedback><report_metadata><org_name>O</org_name><date_range><begin>1"
	  "</begin><end>2</end></date_range></report_metadata><policy_published><domain>d"
	  "</domain></policy_published></feedback>", INKAN_EMALFORMED, "report_id", 0 },
	{ "bad-ip", "<feedback>" META ROW("192.0.2.300", "1", "none", "pass", "pass") "</feedback>",
	  INKAN_EMALFORMED, "source_ip", 0 },
	{ "bad-count", "<feedback>" META ROW("192.0.2.1", "-1", "none", "pass", "pass")
	  "</feedback>", INKAN_EMALFORMED, "count", 0 },
	{ "bad-disposition", "<feedback>" META ROW("192.0.2.1", "1", "bounce", "pass", "pass")
	  "</feedback>", INKAN_EMALFORMED, "disposition", 0 },
	{ "bad-utf8", "<feedback>" META "<x>\xff\xfe</x></feedback>", INKAN_EMALFORMED, "XML", 0 },
	{ "truncated", "<feedback>" META "<record>", INKAN_EMALFORMED, "XML", 0 },
	{ "ends-before-begins", "<feedback><report_metadata><org_name>O</org_name><report_id>1"
	  "</report_id><date_range><begin>9</begin><end>2</end></date_range></report_metadata>"
	  "<policy_published><domain>d</domain></policy_published></feedback>",
	  INKAN_EMALFORMED, "ends before", 0 },
};

static void
test_dmarc_xml(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(xmls) / sizeof(xmls[0]); i++) {
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_report_diag d = { "" };
		struct inkan_report r;
		int rc = inkan_report_parse(a, xmls[i].xml, strlen(xmls[i].xml), &r, &d);

		if (rc != xmls[i].rc)
			fail_msg("%s: want rc %d, got %d (%s)", xmls[i].name, xmls[i].rc, rc, d.why);
		if (rc == 0 && (r.kind != INKAN_REPORT_DMARC || r.dmarc.messages != xmls[i].messages))
			fail_msg("%s: want %llu messages, got %llu", xmls[i].name, xmls[i].messages,
			    (unsigned long long)r.dmarc.messages);
		if (rc != 0 && (r.kind != INKAN_REPORT_NONE || r.dmarc.rows != NULL))
			fail_msg("%s: a failed parse left a half-filled report", xmls[i].name);
		if (xmls[i].why != NULL && strstr(d.why, xmls[i].why) == NULL)
			fail_msg("%s: reason '%s' does not mention '%s'", xmls[i].name, d.why,
			    xmls[i].why);
		inkan_arena_free(a);
	}
}

static void
test_dmarc_normalised(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_report r;
	const char *x = xmls[1].xml;

	(void)state;
	assert_int_equal(inkan_report_parse(a, x, strlen(x), &r, NULL), 0);
	assert_string_equal(r.dmarc.schema, "rfc9990");
	assert_string_equal(r.dmarc.rows[0].source_ip, "2001:db8::1");
	assert_string_equal(r.dmarc.rows[0].disposition, "quarantine");
	assert_string_equal(r.dmarc.rows[0].dkim, "fail");
	assert_string_equal(r.dmarc.rows[0].spf, "pass");
	assert_int_equal(r.dmarc.pct, -1);
	inkan_arena_free(a);
}

#define TLS_HEAD "{\"organization-name\":\"O\",\"report-id\":\"1\",\"date-range\":" \
	"{\"start-datetime\":\"2016-04-01T00:00:00Z\",\"end-datetime\":\"2016-04-01T23:59:59Z\"},"

static const struct {
	const char *name, *json;
	int rc;
	unsigned long long ok, failed;
	size_t nmx;
} tls[] = {
	{ "mx-list", TLS_HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"mx-host\":"
	  "[\"a\",\"b\"]},\"summary\":{\"total-successful-session-count\":5,"
	  "\"total-failure-session-count\":2}}]}", 0, 5, 2, 2 },
	{ "mx-string", TLS_HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"STS\",\"mx-host\":"
	  "\"a\"},\"summary\":{}}]}", 0, 0, 0, 1 },
	{ "no-policies", TLS_HEAD "\"x\":1}", INKAN_EMALFORMED, 0, 0, 0 },
	{ "negative", TLS_HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"sts\"},\"summary\":"
	  "{\"total-successful-session-count\":-1}}]}", INKAN_EMALFORMED, 0, 0, 0 },
	{ "bad-date", "{\"organization-name\":\"O\",\"report-id\":\"1\",\"date-range\":"
	  "{\"start-datetime\":\"yesterday\",\"end-datetime\":\"2016-04-01T23:59:59Z\"},"
	  "\"policies\":[]}", INKAN_EMALFORMED, 0, 0, 0 },
	{ "duplicate-member", TLS_HEAD "\"report-id\":\"2\",\"policies\":[]}", INKAN_EMALFORMED,
	  0, 0, 0 },
	{ "bad-utf8", TLS_HEAD "\"contact-info\":\"\xc3\x28\",\"policies\":[]}", INKAN_EMALFORMED,
	  0, 0, 0 },
	{ "array", "[1,2]", INKAN_EMALFORMED, 0, 0, 0 },
};

static void
test_tlsrpt(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_report_diag d = { "" };
		struct inkan_tlsrpt_report r;
		int rc = inkan_tlsrpt_parse_json(a, tls[i].json, strlen(tls[i].json), &r, &d);

		if (rc != tls[i].rc)
			fail_msg("%s: want rc %d, got %d (%s)", tls[i].name, tls[i].rc, rc, d.why);
		if (rc == 0 && (r.successful != tls[i].ok || r.failed != tls[i].failed ||
		    r.policies[0].nmx_host != tls[i].nmx))
			fail_msg("%s: want %llu/%llu sessions, %zu mx; got %llu/%llu, %zu", tls[i].name,
			    tls[i].ok, tls[i].failed, tls[i].nmx, (unsigned long long)r.successful,
			    (unsigned long long)r.failed, r.policies[0].nmx_host);
		if (rc != 0 && d.why[0] == '\0')
			fail_msg("%s: no reason given", tls[i].name);
		inkan_arena_free(a);
	}
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = malloc(1 << 20);

	assert_non_null(f);
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

/* A 16 KB gzip of 16 MiB of zeros must stop at the ratio limit. */
static void
test_bomb(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_report_diag d = { "" };
	const char *out;
	size_t len, outlen;
	char *p = slurp(INKAN_TESTDATA "/report-synthetic/bomb-16MiB-zeros.gz", &len);

	(void)state;
	assert_int_equal(inkan_report_decompress(a, p, len, &out, &outlen, &d), INKAN_ETOOBIG);
	assert_non_null(strstr(d.why, "limit"));
	assert_true(inkan_arena_used(a) < (1u << 20));
	/* a truncated gzip stream is malformed, not a short report */
	d.why[0] = '\0';
	assert_int_equal(inkan_report_decompress(a, p, 100, &out, &outlen, &d), INKAN_EMALFORMED);
	free(p);
	inkan_arena_free(a);
}

static void
test_sniff(void **state)
{
	(void)state;
	assert_int_equal(inkan_report_sniff("\x1f\x8b\x08", 3), INKAN_INPUT_REPORT);
	assert_int_equal(inkan_report_sniff("PK\3\4", 4), INKAN_INPUT_REPORT);
	assert_int_equal(inkan_report_sniff("\xef\xbb\xbf <feedback>", 15), INKAN_INPUT_REPORT);
	assert_int_equal(inkan_report_sniff(" {\"a\":1}", 8), INKAN_INPUT_REPORT);
	assert_int_equal(inkan_report_sniff("From a@b Mon\n", 13), INKAN_INPUT_MBOX);
	assert_int_equal(inkan_report_sniff("Return-Path: <a@b>\n", 19), INKAN_INPUT_MESSAGE);
	assert_int_equal(inkan_report_sniff("hello world", 11), INKAN_INPUT_UNKNOWN);
	assert_int_equal(inkan_report_sniff("", 0), INKAN_INPUT_UNKNOWN);
}

static char *
summary(struct inkan_store *st)
{
	char *s = NULL;

	assert_int_equal(inkan_store_summary(st, NULL, &s), 0);
	return s;
}

/* Stored once; a failing insert in the middle of a report leaves nothing. */
static void
test_store(void **state)
{
	char path[] = "/tmp/inkan-test-report-XXXXXX";
	char why[256], db[64], *s;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_store *st;
	struct inkan_report r;
	enum inkan_store_outcome oc;
	const char *x = xmls[2].xml;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	snprintf(db, sizeof(db), "%s", path);
	assert_int_equal(inkan_store_open(db, &st, why, sizeof(why)), 0);
	assert_int_equal(inkan_report_parse(a, x, strlen(x), &r, NULL), 0);

	/* row 2 breaks a NOT NULL constraint: the whole report rolls back */
	r.dmarc.rows[1].disposition = NULL;
	assert_int_equal(inkan_store_put_report(st, &r, "t", &oc), INKAN_EIO);
	s = summary(st);
	assert_non_null(strstr(s, "\"reports\": 0,"));
	free(s);

	r.dmarc.rows[1].disposition = "reject";
	assert_int_equal(inkan_store_put_report(st, &r, "t", &oc), 0);
	assert_int_equal(oc, INKAN_STORE_STORED);
	assert_int_equal(inkan_store_put_report(st, &r, "t2", &oc), 0);
	assert_int_equal(oc, INKAN_STORE_DUPLICATE);
	s = summary(st);
	/* xmls[2]: 3 messages dkim pass (pass), 4 all fail (fail) */
	assert_non_null(strstr(s, "\"reports\": 1,"));
	assert_non_null(strstr(s, "\"messages\": 7,"));
	assert_non_null(strstr(s, "\"pass\": 3,"));
	assert_non_null(strstr(s, "\"fail\": 4,"));
	free(s);
	inkan_store_close(st);

	/* reopening migrates nothing and keeps the data */
	assert_int_equal(inkan_store_open(db, &st, why, sizeof(why)), 0);
	assert_int_equal(inkan_store_put_report(st, &r, "t3", &oc), 0);
	assert_int_equal(oc, INKAN_STORE_DUPLICATE);
	inkan_store_close(st);
	inkan_arena_free(a);
	unlink(db);
	snprintf(why, sizeof(why), "%s-wal", db);
	unlink(why);
	snprintf(why, sizeof(why), "%s-shm", db);
	unlink(why);
}


/* Failure reports (RFC 5965 §3.1 fields): folding, case, limits, and
 * the two ways of not being one. */
static void
test_arf(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_arf_report r;
	struct inkan_report_diag d = { "" };
	char *big, *q;
	const char *head = "From: a@b.example\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=feedback-report; boundary=\"B\"\r\n\r\n"
	    "--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	    "--B\r\nContent-Type: message/feedback-report\r\n\r\n";
	const char *fields = "feedback-TYPE: Auth-Failure\r\nSource-IP: ::ffff:192.0.2.9\r\n"
	    "Authentication-Results: mx.example;\r\n\tdkim=fail\r\n"
	    "Reported-Domain: Example.COM\r\nAuth-Failure: DMARC\r\n"
	    "Reporting-MTA: dns; mx.example\r\nArrival-Date: Thu, 1 Jan 1970 00:01:40 +0000\r\n";
	const char *tail = "\r\n--B--\r\n";
	const char *notarf = "Subject: x\r\n\r\nbody\r\n";

	(void)state;
	assert_non_null(a);
	big = malloc(strlen(head) + strlen(fields) + strlen(tail) + 100 * 40);
	assert_non_null(big);
	if (big == NULL)
		return;		/* for the compiler: assert_non_null does not return */
	q = big + sprintf(big, "%s%s", head, fields);
	for (int i = 0; i < 100; i++)	/* past INKAN_ARF_MAX_VALUES */
		q += sprintf(q, "Reported-URI: http://x%d.example/\r\n", i);
	strcpy(q, tail);
	assert_int_equal(inkan_arf_parse(a, big, strlen(big), &r, &d), 0);
	assert_string_equal(r.feedback_type, "auth-failure");
	assert_string_equal(r.auth_failure, "dmarc");
	assert_string_equal(r.source_ip, "192.0.2.9");	/* unmapped */
	assert_string_equal(r.reporting_mta, "mx.example");
	assert_int_equal(r.arrival, 100);
	assert_int_equal(r.nreported_domain, 1);
	assert_string_equal(r.reported_domain[0], "example.com");
	assert_int_equal(r.nauthentication_results, 1);
	assert_string_equal(r.authentication_results[0], "mx.example; dkim=fail");
	assert_int_equal(r.nreported_uri, INKAN_ARF_MAX_VALUES);
	assert_null(r.reported_uri[r.nreported_uri]);
	assert_int_equal(strlen(r.digest), 64);
	/* the report part without Feedback-Type says nothing */
	sprintf(big, "%sSource-IP: 192.0.2.1\r\n%s", head, tail);
	assert_int_equal(inkan_arf_parse(a, big, strlen(big), &r, &d), INKAN_EMALFORMED);
	assert_non_null(strstr(d.why, "Feedback-Type"));
	/* no message/feedback-report part: not a failure report */
	assert_int_equal(inkan_arf_parse(a, notarf, strlen(notarf), &r, NULL),
	    INKAN_ENOTFOUND);
	free(big);
	inkan_arena_free(a);
}

/* ---- generating (report_gen.h) ---- */

static void
test_gen_pack(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *xml = "<feedback>hello hello hello hello</feedback>";
	const char *un, *extra_bad[] = { "X-Bad: a\nInjected: b" };
	char *gz, *fn, *msg;
	size_t gzlen, unlen, len;

	(void)state;
	/* gzip: our own decompressor reads it back; the same input gives the
	 * same bytes (no name, no time in the header) */
	assert_int_equal(inkan_report_gzip(a, xml, strlen(xml), &gz, &gzlen), 0);
	assert_true((unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
	assert_int_equal(gz[4] | gz[5] | gz[6] | gz[7], 0);	/* MTIME 0 */
	assert_int_equal(inkan_report_decompress(a, gz, gzlen, &un, &unlen, NULL), 0);
	assert_int_equal(unlen, strlen(xml));
	assert_memory_equal(un, xml, unlen);
	/* RFC 9990 / RFC 8460 §5.1 file names */
	fn = inkan_report_filename(a, "mx.example", "example.com", 1, 2, "ab-c/d!1", "xml.gz");
	assert_string_equal(fn, "mx.example!example.com!1!2!abcd1.xml.gz");
	fn = inkan_report_filename(a, "mx.example", "example.com", 1, 2, NULL, "json");
	assert_string_equal(fn, "mx.example!example.com!1!2.json");
	assert_null(inkan_report_filename(a, "../etc", "example.com", 1, 2, NULL, "xml"));
	assert_null(inkan_report_filename(a, "mx.example", "a/b.example", 1, 2, NULL, "xml"));
	assert_null(inkan_report_filename(a, "mx.example", "a!b.example", 1, 2, NULL, "xml"));
	/* the message: no header field can be smuggled in */
	struct inkan_report_mail m = { "r@mx.example", "d@example.com", "Report Domain: x",
		"abc", "mx.example", NULL, 0, "text\n", NULL, "application/gzip", "f.xml.gz",
		gz, gzlen };
	assert_int_equal(inkan_report_mail_compose(a, &m, 0, &msg, &len), 0);
	assert_non_null(strstr(msg, "Date: Thu, 1 Jan 1970 00:00:00 +0000\n"));
	assert_non_null(strstr(msg, "Message-ID: <abc@mx.example>\n"));
	assert_non_null(strstr(msg, "filename=\"f.xml.gz\""));
	for (const char *l = msg; *l != '\0'; l = strchr(l, '\n') + 1)
		assert_true(strcspn(l, "\n") <= 998);	/* RFC 5322 §2.1.1 */
	m.to = "d@example.com\r\nBcc: x@evil.example";
	assert_int_equal(inkan_report_mail_compose(a, &m, 0, &msg, &len), INKAN_EINVAL);
	m.to = "d@example.com";
	m.subject = "Report\nBcc: x@evil.example";
	assert_int_equal(inkan_report_mail_compose(a, &m, 0, &msg, &len), INKAN_EINVAL);
	m.subject = "Report";
	m.extra = extra_bad;
	m.nextra = 1;
	assert_int_equal(inkan_report_mail_compose(a, &m, 0, &msg, &len), INKAN_EINVAL);
	m.nextra = 0;
	m.filename = "a\"b";
	assert_int_equal(inkan_report_mail_compose(a, &m, 0, &msg, &len), INKAN_EINVAL);
	inkan_arena_free(a);
}

static const struct {
	const char *name, *line;
	int rc;
	const char *why;	/* in diag.why, or the parsed result type */
} sessions[] = {
	{ "sts-success", "1790035300\ta.example\tsts\tversion: STSv1|mode: enforce\t"
	  "mx1.a.example\t192.0.2.5\t2001:DB8::1\tsuccess", 0, "success" },
	{ "rfc3339-time", "2026-09-22T01:00:00Z\ta.example\tSTS\t-\t-\t-\t-\t"
	  "Certificate-Expired", 0, "certificate-expired" },
	{ "optional-fields", "1\ta.example\ttlsa\t3 1 1 AB\tmx.a.example\t-\t-\t"
	  "tlsa-invalid\tmx\thttps://x.example/\tE42", 0, "tlsa-invalid" },
	{ "comment", "  # a comment", INKAN_ENOTFOUND, "" },
	{ "blank", " \t ", INKAN_ENOTFOUND, "" },
	{ "too-few-fields", "1\ta.example\tsts\t-\t-\t-\t-", INKAN_EMALFORMED, "at least 8" },
	{ "too-many-fields", "1\ta.example\tsts\t-\t-\t-\t-\tsuccess\t-\t-\t-\tx",
	  INKAN_EMALFORMED, "more than" },
	{ "bad-time", "soon\ta.example\tsts\t-\t-\t-\t-\tsuccess", INKAN_EMALFORMED,
	  "field 1 (time)" },
	{ "time-overflow", "99999999999999999999\ta.example\tsts\t-\t-\t-\t-\tsuccess",
	  INKAN_EMALFORMED, "field 1 (time)" },
	{ "bad-domain", "1\t-\tsts\t-\t-\t-\t-\tsuccess", INKAN_EMALFORMED,
	  "field 2 (policy-domain): missing" },
	{ "bad-type", "1\ta.example\tdane\t-\t-\t-\t-\tsuccess", INKAN_EMALFORMED,
	  "field 3 (policy-type)" },
	{ "strings-for-no-policy", "1\ta.example\tno-policy-found\tx\t-\t-\t-\tsuccess",
	  INKAN_EMALFORMED, "field 4 (policy-strings)" },
	{ "empty-string", "1\ta.example\tsts\ta||b\t-\t-\t-\tsuccess", INKAN_EMALFORMED,
	  "empty policy string" },
	{ "control-char", "1\ta.example\tsts\ta\001b\t-\t-\t-\tsuccess", INKAN_EMALFORMED,
	  "control character" },
	{ "bad-mx", "1\ta.example\tsts\t-\tmx..a.example\t-\t-\tsuccess", INKAN_EMALFORMED,
	  "field 5 (mx-host)" },
	{ "bad-ip", "1\ta.example\tsts\t-\t-\t192.0.2.256\t-\tsuccess", INKAN_EMALFORMED,
	  "field 6 (sending-ip)" },
	{ "bad-result", "1\ta.example\tsts\t-\t-\t-\t-\tfailed", INKAN_EMALFORMED,
	  "field 8 (result)" },
};

static void
test_session_parse(void **state)
{
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++) {
		struct inkan_tlsrpt_session s;
		struct inkan_report_diag d = { "" };
		int rc = inkan_tlsrpt_session_parse(a, sessions[i].line, strlen(sessions[i].line),
		    &s, &d);

		if (rc != sessions[i].rc || (rc == 0 && strcmp(s.result, sessions[i].why) != 0) ||
		    (rc == INKAN_EMALFORMED && strstr(d.why, sessions[i].why) == NULL))
			fail_msg("%s: wanted %d \"%s\", got %d \"%s\" (%s)", sessions[i].name,
			    sessions[i].rc, sessions[i].why, rc, d.why, rc == 0 ? s.result : "");
	}
	struct inkan_tlsrpt_session s;
	assert_int_equal(inkan_tlsrpt_session_parse(a, sessions[0].line, strlen(sessions[0].line),
	    &s, NULL), 0);
	assert_string_equal(s.receiving_ip, "2001:db8::1");	/* normalised */
	assert_int_equal(s.npolicy_string, 2);
	assert_string_equal(s.policy_string[1], "mode: enforce");
	char *longline = malloc(INKAN_TLSRPT_SESSION_MAX_LINE + 10);
	memset(longline, 'x', INKAN_TLSRPT_SESSION_MAX_LINE + 9);
	longline[INKAN_TLSRPT_SESSION_MAX_LINE + 9] = '\0';
	assert_int_equal(inkan_tlsrpt_session_parse(a, longline, strlen(longline), &s, NULL),
	    INKAN_ETOOBIG);
	free(longline);
	inkan_arena_free(a);
}

static void
test_xml_out(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dmarc_reason rs = { "policy_test_mode", "t=y" };
	struct inkan_dmarc_auth spf = { "a.example", NULL, "mfrom", "pass", NULL };
	struct inkan_dmarc_row row = { "2001:db8::1", 3, "pass", "fail", "pass", &rs, 1,
		"a.example", "", NULL, NULL, 0, &spf, 1 };
	struct inkan_dmarc_report r = { .org_name = "o & <p>", .email = "r@x.example",
		.report_id = "1", .domain = "a.example", .p = "reject", .pct = -1,
		.begin = 1, .end = 2, .rows = &row, .nrows = 1 };
	struct inkan_dmarc_report back;
	char *xml;
	size_t len;

	(void)state;
	assert_int_equal(inkan_dmarc_report_xml(a, &r, INKAN_AGGR_RFC9990, &xml, &len), 0);
	assert_non_null(strstr(xml, "<org_name>o &amp; &lt;p&gt;</org_name>"));
	assert_non_null(strstr(xml, "<source_ip>2001:db8:0:0:0:0:0:1</source_ip>"));
	/* "pass" is no disposition for either XSD */
	assert_non_null(strstr(xml, "<disposition>none</disposition>"));
	assert_non_null(strstr(xml, "<type>policy_test_mode</type>"));
	assert_int_equal(inkan_dmarc_parse_xml(a, xml, len, &back, NULL), 0);
	assert_string_equal(back.org_name, "o & <p>");
	assert_int_equal(back.messages, 3);
	/* RFC 7489 has no policy_test_mode: "other", the type in the comment */
	assert_int_equal(inkan_dmarc_report_xml(a, &r, INKAN_AGGR_RFC7489, &xml, &len), 0);
	assert_non_null(strstr(xml, "<type>other</type>"));
	assert_non_null(strstr(xml, "<comment>policy_test_mode: t=y</comment>"));
	assert_non_null(strstr(xml, "<sp>reject</sp>"));	/* sp defaults to p */
	assert_non_null(strstr(xml, "<pct>100</pct>"));
	row.source_ip = "not an address";
	assert_int_equal(inkan_dmarc_report_xml(a, &r, INKAN_AGGR_RFC9990, &xml, &len),
	    INKAN_EINVAL);
	row.source_ip = "192.0.2.1";
	row.disposition = "discard";
	assert_int_equal(inkan_dmarc_report_xml(a, &r, INKAN_AGGR_RFC9990, &xml, &len),
	    INKAN_EINVAL);
	r.nrows = 0;	/* RFC 9990: at least one record */
	assert_int_equal(inkan_dmarc_report_xml(a, &r, INKAN_AGGR_RFC9990, &xml, &len),
	    INKAN_EINVAL);
	inkan_arena_free(a);
}

/* inkan_aggr_build over verdicts stored through the milter's API. */
static void
test_aggr_build(void **state)
{
	char dir[] = "/tmp/inkan-aggr-XXXXXX", path[128], why[256];
	static const struct inkan_verdict_dkim dk1[2] = {
		{ "esp.example", "e", "pass", NULL }, { "a.example", "s", "pass", NULL } };
	static const struct inkan_verdict_dkim dk2[2] = {
		{ "a.example", "s", "pass", NULL }, { "esp.example", "e", "pass", NULL } };
	struct inkan_verdict v[5];
	struct inkan_aggr_opts o = { "Org", "r@mx.example", NULL, NULL, 1000, 2000,
		INKAN_AGGR_RFC9990 };
	struct inkan_aggr_stats st;
	struct inkan_dmarc_report *reps;
	struct inkan_store *store;
	struct inkan_arena *a = inkan_arena_new();
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/v.db", dir);
	assert_int_equal(inkan_store_open(path, &store, why, sizeof(why)), 0);
	for (int i = 0; i < 5; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].ts = 1000 + i;
		v[i].source_ip = "192.0.2.1";
		v[i].header_from = "a.example";
		v[i].envelope_from = "a.example";
		v[i].spf_domain = "a.example";
		v[i].spf_scope = "mfrom";
		v[i].spf_result = "pass";
		v[i].policy_domain = "a.example";
		v[i].p = "none";
		v[i].pct = -1;
		v[i].dkim_aligned = v[i].spf_aligned = "pass";
		v[i].disposition = "none";
		v[i].ndkim = 2;
		v[i].dkim = i % 2 ? dk1 : dk2;
	}
	v[4].ts = 2000;			/* outside [1000, 2000) */
	v[3].policy_domain = NULL;	/* no DMARC record */
	assert_int_equal(inkan_store_put_verdicts(store, v, 5), 0);
	assert_int_equal(inkan_aggr_build(store, a, &o, &reps, &n, &st), 0);
	assert_int_equal(n, 1);
	assert_int_equal(st.verdicts, 4);
	assert_int_equal(st.no_policy, 1);
	assert_int_equal(st.reported, 3);
	assert_string_equal(reps[0].domain, "a.example");
	assert_int_equal(reps[0].begin, 1000);
	assert_int_equal(reps[0].end, 1999);
	/* the same two signatures in either order: one record, aligned first */
	assert_int_equal(reps[0].nrows, 1);
	assert_int_equal(reps[0].rows[0].count, 3);
	assert_int_equal(reps[0].rows[0].ndkim_auth, 2);
	assert_string_equal(reps[0].rows[0].dkim_auth[0].domain, "a.example");
	assert_int_equal(strlen(reps[0].report_id), 32);
	/* bad options */
	o.end = o.begin;
	assert_int_equal(inkan_aggr_build(store, a, &o, &reps, &n, NULL), INKAN_EINVAL);
	inkan_store_close(store);
	inkan_arena_free(a);
	unlink(path);
	snprintf(path, sizeof(path), "%s/v.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/v.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_dmarc_xml),
		cmocka_unit_test(test_dmarc_normalised),
		cmocka_unit_test(test_tlsrpt),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_arf),
		cmocka_unit_test(test_gen_pack),
		cmocka_unit_test(test_session_parse),
		cmocka_unit_test(test_xml_out),
		cmocka_unit_test(test_aggr_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
