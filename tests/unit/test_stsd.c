/* test_stsd.c - inkan-stsd's pieces that need no network: the socketmap
 * and tcp_table wire formats (Postfix socketmap_table(5), tcp_table(5)),
 * the Postfix smtp(8) log reader and its RFC 8460 §4.3 result types, the
 * bounded map, and the configuration reader (inkan-stsd.conf(5)). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "map.h"
#include "proto.h"
#include "stsd.h"
#include "inkan/limits.h"

/* conf.c logs nothing, but links against slog through stsd.h users. */
void
slog(int prio, const char *fmt, ...)
{
	(void)prio;
	(void)fmt;
}

struct stats ST;

/* ---- socketmap ---- */

static const struct {
	const char *name;
	const char *in;
	size_t len;		/* 0: strlen */
	enum proto_rc rc;
	const char *map, *key;	/* for OK */
	size_t used;
} sm_cases[] = {
	{ "simple", "19:postfix example.com,", 0, PROTO_OK, "postfix", "example.com", 23 },
	{ "next-hop with port", "24:postfix [example.com]:25,", 0, PROTO_OK, "postfix",
	  "[example.com]:25", 28 },
	{ "key keeps its spaces", "9:m a b c d,", 0, PROTO_OK, "m", "a b c d", 12 },
	{ "two pipelined: the first", "9:m example,9:m example,", 0, PROTO_OK, "m",
	  "example", 12 },
	{ "incomplete length", "19", 0, PROTO_MORE, NULL, NULL, 0 },
	{ "incomplete data", "19:postfix exa", 0, PROTO_MORE, NULL, NULL, 0 },
	{ "missing comma yet", "19:postfix example.com", 0, PROTO_MORE, NULL, NULL, 0 },
	{ "empty input", "", 0, PROTO_MORE, NULL, NULL, 0 },
	{ "no key", "7:postfix,", 0, PROTO_BAD, NULL, NULL, 10 },
	{ "empty key", "8:postfix ,", 0, PROTO_BAD, NULL, NULL, 11 },
	{ "empty name", "4: abc,", 0, PROTO_BAD, NULL, NULL, 7 },
	{ "NUL in data", "5:a b\0c,", 8, PROTO_BAD, NULL, NULL, 0 },
	{ "not a number", "x:abc,", 0, PROTO_FATAL, NULL, NULL, 0 },
	{ "no colon", "3;abc,", 0, PROTO_FATAL, NULL, NULL, 0 },
	{ "wrong terminator", "3:a b;", 0, PROTO_FATAL, NULL, NULL, 0 },
	{ "leading zero", "03:a b,", 0, PROTO_FATAL, NULL, NULL, 0 },
	{ "too many digits", "123456", 0, PROTO_FATAL, NULL, NULL, 0 },
	{ "over the limit", "2000:", 0, PROTO_FATAL, NULL, NULL, 0 },
	{ "over the limit, digits only", "2000", 0, PROTO_FATAL, NULL, NULL, 0 },
};

static void
test_sm_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sm_cases) / sizeof(sm_cases[0]); i++) {
		struct sm_request rq;
		size_t used = 99, len = sm_cases[i].len ? sm_cases[i].len : strlen(sm_cases[i].in);
		const char *why = NULL;
		enum proto_rc rc = sm_parse(sm_cases[i].in, len, INKAN_STSD_MAX_REQUEST, &rq, &used,
		    &why);
		if (rc != sm_cases[i].rc)
			fail_msg("%s: rc %d, wanted %d (%s)", sm_cases[i].name, rc, sm_cases[i].rc,
			    why ? why : "");
		if (rc == PROTO_OK) {
			if (rq.namelen != strlen(sm_cases[i].map) ||
			    memcmp(rq.name, sm_cases[i].map, rq.namelen) != 0 ||
			    rq.keylen != strlen(sm_cases[i].key) ||
			    memcmp(rq.key, sm_cases[i].key, rq.keylen) != 0)
				fail_msg("%s: got '%.*s' '%.*s'", sm_cases[i].name, (int)rq.namelen,
				    rq.name, (int)rq.keylen, rq.key);
		}
		if ((rc == PROTO_OK || rc == PROTO_BAD) && sm_cases[i].used != 0 &&
		    used != sm_cases[i].used)
			fail_msg("%s: used %zu, wanted %zu", sm_cases[i].name, used, sm_cases[i].used);
		if (rc < 0 && why == NULL)
			fail_msg("%s: no reason given", sm_cases[i].name);
	}
}

static void
test_sm_format(void **state)
{
	char buf[64];
	size_t n;

	(void)state;
	/* socketmap_table(5): "OK data", "NOTFOUND ", "TEMP reason", ... */
	n = sm_format(buf, sizeof(buf), SM_OK, "dane-only");
	assert_int_equal(n, strlen("12:OK dane-only,"));
	assert_memory_equal(buf, "12:OK dane-only,", n);
	n = sm_format(buf, sizeof(buf), SM_NOTFOUND, "ignored");
	assert_memory_equal(buf, "9:NOTFOUND ,", n);
	n = sm_format(buf, sizeof(buf), SM_TEMP, "bad\ttext\n");
	assert_memory_equal(buf, "14:TEMP bad?text?,", n);
	n = sm_format(buf, sizeof(buf), SM_PERM, "x");
	assert_memory_equal(buf, "6:PERM x,", n);
	/* Does not fit: 0. */
	assert_int_equal(sm_format(buf, 8, SM_OK, "dane-only"), 0);
}

/* ---- tcp_table ---- */

static const struct {
	const char *name, *in;
	enum proto_rc rc;
	const char *key;
	size_t used;
} tt_cases[] = {
	{ "simple", "get example.com\n", PROTO_OK, "example.com", 16 },
	{ "CRLF", "get example.com\r\n", PROTO_OK, "example.com", 17 },
	{ "escapes", "get %5Bexample.com%5d:25\n", PROTO_OK, "[example.com]:25", 25 },
	{ "escaped space", "get a%20b\n", PROTO_OK, "a b", 10 },
	{ "pipelined: the first", "get a\nget b\n", PROTO_OK, "a", 6 },
	{ "no newline yet", "get example", PROTO_MORE, NULL, 0 },
	{ "put", "put example.com value\n", PROTO_BAD, NULL, 22 },
	{ "unknown command", "GET example.com\n", PROTO_BAD, NULL, 16 },
	{ "empty key", "get \n", PROTO_BAD, NULL, 5 },
	{ "bad escape", "get %zz\n", PROTO_BAD, NULL, 8 },
	{ "short escape", "get %4\n", PROTO_BAD, NULL, 7 },
	{ "NUL escape", "get a%00b\n", PROTO_BAD, NULL, 10 },
};

static void
test_tt_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tt_cases) / sizeof(tt_cases[0]); i++) {
		char key[INKAN_STSD_MAX_REQUEST + 1];
		size_t kl, used;
		const char *why = NULL;
		enum proto_rc rc = tt_parse(tt_cases[i].in, strlen(tt_cases[i].in),
		    INKAN_STSD_MAX_REQUEST, key, sizeof(key), &kl, &used, &why);
		if (rc != tt_cases[i].rc)
			fail_msg("%s: rc %d, wanted %d (%s)", tt_cases[i].name, rc, tt_cases[i].rc,
			    why ? why : "");
		if (rc == PROTO_OK && strcmp(key, tt_cases[i].key) != 0)
			fail_msg("%s: key '%s', wanted '%s'", tt_cases[i].name, key, tt_cases[i].key);
		if (rc != PROTO_MORE && used != tt_cases[i].used)
			fail_msg("%s: used %zu, wanted %zu", tt_cases[i].name, used, tt_cases[i].used);
	}
	/* A line over the limit with no newline cannot be resynchronised. */
	char big[INKAN_STSD_MAX_REQUEST + 10], key[16];
	size_t kl, used;
	const char *why;
	memset(big, 'a', sizeof(big));
	assert_int_equal(tt_parse(big, sizeof(big), INKAN_STSD_MAX_REQUEST, key, sizeof(key), &kl,
	    &used, &why), PROTO_FATAL);
}

static void
test_tt_format(void **state)
{
	char buf[128];
	size_t n;

	(void)state;
	/* tcp_table(5): characters <= 32, >= 127 and '%' are %XX-encoded. */
	n = tt_format(buf, sizeof(buf), 200, "secure match=a:b servername=hostname");
	buf[n] = '\0';
	assert_string_equal(buf, "200 secure%20match=a:b%20servername=hostname\n");
	n = tt_format(buf, sizeof(buf), 500, "");
	buf[n] = '\0';
	assert_string_equal(buf, "500 \n");
	n = tt_format(buf, sizeof(buf), 400, "50% \xff");
	buf[n] = '\0';
	assert_string_equal(buf, "400 50%25%20%FF\n");
	assert_int_equal(tt_format(buf, sizeof(buf), 300, "x"), 0);
	assert_int_equal(tt_format(buf, 8, 200, "dane-only"), 0);
}

/* ---- Postfix log lines ---- */

static void
test_ml_parse(void **state)
{
	struct ml_event ev;
	const char *why;
	const char *l1 = "Nov 26 05:00:00 mx postfix/smtp[1234]: Verified TLS connection "
	    "established to mx.example.com[192.0.2.1]:25: TLSv1.3 with cipher X (256/256 bits)";
	const char *l2 = "2026-11-26T05:00:00+00:00 mx postfix-out/smtp[99]: 4AB: "
	    "to=<a@Example.COM>, orig_to=<x@y>, relay=mx.example.com[2001:db8::1]:25, delay=1, "
	    "delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)";
	const char *l3 = "Nov 26 05:00:00 mx postfix/smtp[7]: server certificate verification "
	    "failed for mx.b.example[192.0.2.9]:25: num=10:certificate has expired";
	const char *l4 = "Nov 26 05:00:00 mx postfix/smtpd[7]: connect from x[1.2.3.4]";
	const char *l5 = "Nov 26 05:00:00 mx postfix/smtp[7]: 5C: to=<a@b.example>, relay=none, "
	    "delay=0.2, dsn=4.4.1, status=deferred (connect to b[1.2.3.4]:25: Connection refused)";
	const char *l6 = "Nov 26 05:00:00 mx postfix/smtp[x]: Verified TLS";

	(void)state;
	assert_int_equal(ml_parse(l1, strlen(l1), &ev, &why), 0);
	assert_int_equal(ev.kind, ML_TLS);
	assert_int_equal(ev.pid, 1234);
	assert_int_equal(ev.trust, ML_VERIFIED);
	assert_int_equal(ev.port, 25);
	assert_memory_equal(ev.service.p, "postfix/smtp", ev.service.len);
	assert_memory_equal(ev.host.p, "mx.example.com", ev.host.len);
	assert_memory_equal(ev.ip.p, "192.0.2.1", ev.ip.len);

	assert_int_equal(ml_parse(l2, strlen(l2), &ev, &why), 0);
	assert_int_equal(ev.kind, ML_DELIVERY);
	assert_int_equal(ev.status, ML_DEFERRED);
	assert_int_equal(ev.rcpt_domain.len, strlen("Example.COM"));
	assert_memory_equal(ev.rcpt_domain.p, "Example.COM", ev.rcpt_domain.len);
	assert_memory_equal(ev.ip.p, "2001:db8::1", ev.ip.len);
	assert_memory_equal(ev.queue_id.p, "4AB", ev.queue_id.len);
	assert_memory_equal(ev.dsn.p, "4.7.5", ev.dsn.len);
	assert_int_equal(ev.reason.len, strlen("Server certificate not verified"));
	assert_memory_equal(ev.service.p, "postfix-out/smtp", ev.service.len);
	/* RFC 8460 §4.3 result types. */
	assert_string_equal(ml_result_type(&ev, true, ML_TRUSTED, -1, "sts"),
	    "certificate-host-mismatch");
	assert_string_equal(ml_result_type(&ev, true, ML_UNTRUSTED, -1, "sts"),
	    "certificate-not-trusted");
	assert_string_equal(ml_result_type(&ev, true, ML_UNTRUSTED, 10, "sts"),
	    "certificate-expired");
	assert_string_equal(ml_result_type(&ev, true, ML_UNTRUSTED, -1, "tlsa"),
	    "validation-failure");

	assert_int_equal(ml_parse(l3, strlen(l3), &ev, &why), 0);
	assert_int_equal(ev.kind, ML_VERIFY_FAIL);
	assert_int_equal(ev.verify_num, 10);
	assert_memory_equal(ev.verify_text.p, "certificate has expired", ev.verify_text.len);

	assert_int_equal(ml_parse(l4, strlen(l4), &ev, &why), 0);
	assert_int_equal(ev.kind, ML_NONE);

	assert_int_equal(ml_parse(l5, strlen(l5), &ev, &why), 0);
	assert_int_equal(ev.kind, ML_DELIVERY);
	assert_int_equal(ev.host.len, 0);
	/* Not about TLS, no handshake: nothing to report. */
	assert_null(ml_result_type(&ev, false, ML_ANONYMOUS, -1, "sts"));

	assert_int_equal(ml_parse(l6, strlen(l6), &ev, &why), -1);
	assert_non_null(why);
}

static void
test_ml_result(void **state)
{
	struct ml_event ev;
	const char *why;
	const char *sent = "x postfix/smtp[1]: Q1: to=<a@d.example>, relay=mx.d.example[1.2.3.4]:25, "
	    "delay=1, dsn=2.0.0, status=sent (250 ok)";
	const char *notls = "x postfix/smtp[1]: Q1: to=<a@d.example>, relay=mx.d.example[1.2.3.4]"
	    ":25, delay=1, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host "
	    "mx.d.example[1.2.3.4])";

	(void)state;
	assert_int_equal(ml_parse(sent, strlen(sent), &ev, &why), 0);
	assert_string_equal(ml_result_type(&ev, true, ML_VERIFIED, -1, "sts"), "success");
	assert_string_equal(ml_result_type(&ev, true, ML_VERIFIED, -1, "tlsa"), "success");
	assert_string_equal(ml_result_type(&ev, true, ML_ANONYMOUS, -1, "no-policy-found"),
	    "success");
	/* A testing-mode policy: delivered over an unverified session. */
	assert_string_equal(ml_result_type(&ev, true, ML_UNTRUSTED, -1, "sts"),
	    "certificate-not-trusted");
	/* Delivered in the clear where a policy applied. */
	assert_string_equal(ml_result_type(&ev, false, ML_ANONYMOUS, -1, "sts"),
	    "starttls-not-supported");
	assert_null(ml_result_type(&ev, false, ML_ANONYMOUS, -1, "no-policy-found"));
	assert_int_equal(ml_parse(notls, strlen(notls), &ev, &why), 0);
	assert_string_equal(ml_result_type(&ev, false, ML_ANONYMOUS, -1, "sts"),
	    "starttls-not-supported");
}

/* ---- map ---- */

static int nfreed;

static void
count_free(void *p)
{
	nfreed++;
	free(p);
}

static void
test_map(void **state)
{
	struct map *m = map_new(3, count_free);
	char key[16];

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(map_put(m, key, strdup(key)), 0);
	}
	map_touch(m, "k0");			/* k1 is now the oldest */
	assert_int_equal(map_put(m, "k3", strdup("k3")), 0);
	assert_int_equal(map_count(m), 3);
	assert_null(map_get(m, "k1"));
	assert_string_equal(map_get(m, "k0"), "k0");
	assert_int_equal(map_put(m, "k0", strdup("new")), 0);	/* replaced, old freed */
	assert_string_equal(map_get(m, "k0"), "new");
	assert_int_equal(nfreed, 2);
	map_del(m, "k3");
	assert_int_equal(map_count(m), 2);
	map_clear(m);
	assert_int_equal(map_count(m), 0);
	map_free(m);
	assert_int_equal(nfreed, 5);
}

/* ---- configuration ---- */

static char *
write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/test_stsd_conf.%ld", (long)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_conf(void **state)
{
	char err[512];
	struct conf *c;
	char *const ov[] = { "DefaultAnswer=may", "Workers = 2", NULL };

	(void)state;
	c = conf_load(write_tmp("# comment\nSocketmap inet:127.0.0.1:8461 unix:/run/s.sock\n"
	    "TCPTable inet:[::1]:8462\nTrustAnchor example.test. IN DS 1 13 2 ab\n"
	    "DANE no\nRequestTimeout 1500\n"), true, ov, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->socketmap[0], "inet:127.0.0.1:8461");
	assert_string_equal(c->socketmap[1], "unix:/run/s.sock");
	assert_null(c->socketmap[2]);
	assert_string_equal(c->trust_anchors[0], "example.test. IN DS 1 13 2 ab");
	assert_true(c->no_dane);
	assert_int_equal(c->request_timeout_ms, 1500);
	assert_string_equal(c->default_answer, "may");
	assert_int_equal(c->workers, 2);
	assert_string_equal(c->map_names[0], "postfix");
	assert_int_equal(c->max_clients, INKAN_STSD_DEFAULT_MAX_CLIENTS);
	conf_free(c);

	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "Socketmap inet:127.0.0.1:8461\nWorkers 0\n", ":2: Workers wants a number from 1" },
		{ "Socketmap inet:127.0.0.1\n", "Socketmap 'inet:127.0.0.1' is not inet:ADDR:PORT" },
		{ "Socketmap tcp:1.2.3.4:5\n", "is not inet:ADDR:PORT or unix:/PATH" },
		{ "Frob 1\nSocketmap inet:127.0.0.1:1\n", ":1: unknown setting 'Frob'" },
		{ "DANE maybe\n", ":1: DANE wants yes or no, not 'maybe'" },
		{ "TCPTable inet:127.0.0.1:1\nSessionSocket unix:/x\n", "need a StateDirectory" },
		{ "LogTo file\n", "LogTo is syslog or stderr" },
		{ "Resolver\n", ":1: Resolver needs a value" },
		{ "\n", "no Socketmap or TCPTable listener" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = conf_load(write_tmp(bad[i].text), true, NULL, err, sizeof(err));
		if (c != NULL || strstr(err, bad[i].err) == NULL)
			fail_msg("case %zu: wanted an error with '%s', got '%s'", i, bad[i].err,
			    c != NULL ? "(accepted)" : err);
	}
	assert_null(conf_load("/nonexistent/stsd.conf", true, NULL, err, sizeof(err)));
	unlink(write_tmp(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm_parse),
		cmocka_unit_test(test_sm_format),
		cmocka_unit_test(test_tt_parse),
		cmocka_unit_test(test_tt_format),
		cmocka_unit_test(test_ml_parse),
		cmocka_unit_test(test_ml_result),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
