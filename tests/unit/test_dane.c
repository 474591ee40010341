/* test_dane.c - DANE: TLSA wire and text forms (RFC 6698 §2), the RRset
 * lint (RFC 7671, RFC 7672), and matching against certificate chains made
 * for each run (a CA, leaves with and without wildcards, an expired one,
 * a self-signed one), under the SMTP and the generic profiles.
 *
 * The OpenSSL vectors (tests/conformance/dane) cover the matching engine;
 * these cases hold our own rules: what the SMTP profile leaves out, names,
 * dates, the record and depth reported, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#define NROWS(x) (sizeof(x) / sizeof(x[0]))

/* ---- wire and text forms ---- */

static void
test_parse_wire(void **state)
{
	static const uint8_t rd[] = { 3, 1, 1, 0xab, 0xcd };
	struct inkan_dane_tlsa t;
	const char *why = NULL;

	(void)state;
	assert_int_equal(inkan_dane_tlsa_parse(rd, sizeof(rd), &t, &why), 0);
	assert_int_equal(t.usage, 3);
	assert_int_equal(t.selector, 1);
	assert_int_equal(t.mtype, 1);
	assert_int_equal(t.len, 2);
	assert_ptr_equal(t.data, rd + 3);
	assert_int_equal(inkan_dane_tlsa_parse(rd, 3, &t, &why), INKAN_EMALFORMED);
	assert_non_null(strstr(why, "no certificate association data"));
	assert_int_equal(inkan_dane_tlsa_parse(rd, 2, &t, &why), INKAN_EMALFORMED);
	assert_int_equal(inkan_dane_tlsa_parse(NULL, 0, &t, NULL), INKAN_EMALFORMED);
	/* Unknown values parse: judging them is the lint's job. */
	{
		static const uint8_t odd[] = { 200, 9, 255, 0 };

		assert_int_equal(inkan_dane_tlsa_parse(odd, sizeof(odd), &t, NULL), 0);
		assert_int_equal(t.usage, 200);
	}
}

struct text_case {
	const char *name, *in;
	int rc;
	const char *want;	/* canonical text, or a substring of why */
};

static const struct text_case text_cases[] = {
	{ "6698 2.2 presentation", "3 1 1 ABCDEF01", 0, "3 1 1 abcdef01" },
	{ "6698 2.2 hex split by spaces", " 2 0 1 ab cd\n\tef 01 ", 0, "2 0 1 abcdef01" },
	{ "6698 2.2 255 is a value", "255 255 255 00", 0, "255 255 255 00" },
	{ "usage 256", "256 1 1 00", INKAN_EMALFORMED, "usage" },
	{ "selector missing", "3", INKAN_EMALFORMED, "selector" },
	{ "mtype not a number", "3 1 x 00", INKAN_EMALFORMED, "matching type" },
	{ "no data", "3 1 1", INKAN_EMALFORMED, "no certificate association data" },
	{ "odd hex", "3 1 1 abc", INKAN_EMALFORMED, "odd number" },
	{ "not hex", "3 1 1 zz", INKAN_EMALFORMED, "hex digit" },
	{ "sign", "-3 1 1 00", INKAN_EMALFORMED, "usage" },
	{ "number glued to data", "3 1 1ab", INKAN_EMALFORMED, "matching type" },
};

static void
test_parse_text(void **state)
{
	const struct text_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dane_tlsa t;
	const char *why = NULL;
	int rc = inkan_dane_tlsa_parse_text(a, c->in, strlen(c->in), &t, &why);

	if (rc != c->rc)
		fail_msg("%s: rc %s (%s)", c->name, inkan_strerror(rc), why ? why : "-");
	if (rc == 0) {
		const char *s = inkan_dane_tlsa_text(a, &t);

		if (strcmp(s, c->want) != 0)
			fail_msg("%s: [%s], wanted [%s]", c->name, s, c->want);
	} else if (why == NULL || strstr(why, c->want) == NULL) {
		fail_msg("%s: reason [%s], wanted [%s]", c->name, why ? why : "", c->want);
	}
	inkan_arena_free(a);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(inkan_dane_usage_name(3), "DANE-EE");
	assert_string_equal(inkan_dane_usage_name(0), "PKIX-TA");
	assert_null(inkan_dane_usage_name(4));
	assert_string_equal(inkan_dane_selector_name(1), "SPKI");
	assert_string_equal(inkan_dane_mtype_name(2), "SHA2-512");
	assert_null(inkan_dane_mtype_name(3));
	assert_string_equal(inkan_dane_status_name(INKAN_DANE_NAME_MISMATCH), "name-mismatch");
}

/* ---- certificates (tests/data/dane/unit, made by make-fixtures.py) ---- */

enum { C_CA, C_LEAF, C_EXPIRED, C_WILD, C_PARTIAL, C_SELF, C_FUTURE, C_N };

static const char *const cert_names[C_N] = { "ca", "leaf", "expired", "wild", "partial",
	"self", "future" };
static uint8_t *der[C_N];
static size_t derlen[C_N];
static char *tlsa_txt;		/* tlsa.txt: "<cert> <selector> <mtype> <hex>" lines */
static struct inkan_dane_ctx *ctx_plain, *ctx_trust;

#define FIXTURES INKAN_TESTDATA "/dane/unit/"
/* The fixtures are valid 2025..2035; every case verifies at 2030-01-01
 * unless it says otherwise. */
#define T2030 1893456000
#define T2040_06 2222121600

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else {
			p[n] = 0;
			*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

static int
setup_certs(void **state)
{
	char path[512];
	const char *why;
	size_t n;

	(void)state;
	for (int i = 0; i < C_N; i++) {
		snprintf(path, sizeof(path), FIXTURES "%s.der", cert_names[i]);
		if ((der[i] = slurp(path, &derlen[i])) == NULL) {
			fprintf(stderr, "cannot read %s\n", path);
			return -1;
		}
	}
	if ((tlsa_txt = (char *)slurp(FIXTURES "tlsa.txt", &n)) == NULL)
		return -1;
	if (inkan_dane_ctx_new(NULL, &ctx_plain, &why) != 0 ||
	    inkan_dane_ctx_new(FIXTURES "ca.pem", &ctx_trust, &why) != 0)
		return -1;
	return 0;
}

static int
teardown_certs(void **state)
{
	(void)state;
	for (int i = 0; i < C_N; i++)
		free(der[i]);
	free(tlsa_txt);
	inkan_dane_ctx_free(ctx_plain);
	inkan_dane_ctx_free(ctx_trust);
	return 0;
}

/* The TLSA record (usage, sel, mt) for certificate c, from tlsa.txt,
 * through our own presentation-form parser. */
static struct inkan_dane_tlsa
tlsa_for(struct inkan_arena *a, int c, uint8_t usage, uint8_t sel, uint8_t mt)
{
	char key[64], *line;
	struct inkan_dane_tlsa t;
	size_t kl;

	kl = (size_t)snprintf(key, sizeof(key), "%s %u %u ", cert_names[c], sel, mt);
	for (line = tlsa_txt; line != NULL && *line; line = strchr(line, '\n') ?
	    strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, kl) == 0)
			break;
	assert_true(line != NULL && *line);
	{
		char *e = strchr(line, '\n');
		char *txt = inkan_arena_printf(a, "%u %u %u %.*s", usage, sel, mt,
		    (int)((e ? e : line + strlen(line)) - (line + kl)), line + kl);

		assert_int_equal(inkan_dane_tlsa_parse_text(a, txt, strlen(txt), &t, NULL), 0);
	}
	/* The parser's data lives in the arena; the tests may change it. */
	return t;
}

/* ---- matching ---- */

#define MAXR 3
#define MAXC 3

struct rec_spec {
	int cert;		/* -1: no more records */
	uint8_t usage, sel, mt;
	int tweak;		/* 1: flip a data bit; 2: drop a byte */
};

struct verify_case {
	const char *name;
	struct rec_spec recs[MAXR];
	int chain[MAXC + 1];	/* cert ids, -1 ends; C_N = garbage DER */
	const char *names[3];
	enum inkan_dane_profile profile;
	bool trust;		/* context with the CA as trust store */
	bool ee_name_checks;
	long now_days;		/* 0 = 2030-01-01; else 2040-06-01 */
	enum inkan_dane_status status;
	int record, depth;
};

#define END { -1, 0, 0, 0, 0 }
#define MX { "mx.example.com", NULL, NULL }
#define NONAME { NULL, NULL, NULL }

static const struct verify_case verify_cases[] = {
	/* RFC 7672 §3.1: DANE-EE(3) is the leaf's key or certificate. */
	{ "7672 3 1 1 leaf", { { C_LEAF, 3, 1, 1, 0 }, END }, { C_LEAF, C_CA, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 0 },
	{ "7672 3 0 1 leaf", { { C_LEAF, 3, 0, 1, 0 }, END }, { C_LEAF, C_CA, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 0 },
	{ "7672 3 1 2 leaf (SHA2-512)", { { C_LEAF, 3, 1, 2, 0 }, END }, { C_LEAF, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 0 },
	{ "7672 3 1 0 leaf (full SPKI)", { { C_LEAF, 3, 1, 0, 0 }, END }, { C_LEAF, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 0 },
	{ "7672 3 1 1 wrong digest", { { C_LEAF, 3, 1, 1, 1 }, END }, { C_LEAF, C_CA, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_NO_MATCH, -1, -1 },
	{ "7672 3.1 DANE-EE ignores expiry", { { C_EXPIRED, 3, 1, 1, 0 }, END },
	    { C_EXPIRED, C_CA, -1 }, MX, INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 0 },
	{ "7672 3.1 DANE-EE ignores names", { { C_LEAF, 3, 1, 1, 0 }, END }, { C_LEAF, -1 },
	    { "other.example", NULL, NULL }, INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK,
	    0, 0 },
	{ "7672 3.1 DANE-EE self-signed", { { C_SELF, 3, 1, 1, 0 }, END }, { C_SELF, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 0 },
	{ "DANE-EE with name checks asked for", { { C_LEAF, 3, 1, 1, 0 }, END },
	    { C_LEAF, -1 }, { "other.example", NULL, NULL }, INKAN_DANE_SMTP, false, true, 0,
	    INKAN_DANE_NAME_MISMATCH, 0, 0 },
	/* DANE-TA(2): a chain to the anchor and a name check. */
	{ "7672 2 1 1 issuer", { { C_CA, 2, 1, 1, 0 }, END }, { C_LEAF, C_CA, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 1 },
	{ "7672 2 0 1 issuer", { { C_CA, 2, 0, 1, 0 }, END }, { C_LEAF, C_CA, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 1 },
	{ "7672 3.2 second reference name", { { C_CA, 2, 1, 1, 0 }, END },
	    { C_LEAF, C_CA, -1 }, { "example.com", "mx.example.com", NULL }, INKAN_DANE_SMTP,
	    false, false, 0, INKAN_DANE_OK, 0, 1 },
	{ "7672 3.2 DANE-TA wrong name", { { C_CA, 2, 1, 1, 0 }, END }, { C_LEAF, C_CA, -1 },
	    { "other.example", NULL, NULL }, INKAN_DANE_SMTP, false, false, 0,
	    INKAN_DANE_NAME_MISMATCH, 0, 1 },
	{ "DANE-TA without reference names", { { C_CA, 2, 1, 1, 0 }, END },
	    { C_LEAF, C_CA, -1 }, NONAME, INKAN_DANE_SMTP, false, false, 0,
	    INKAN_DANE_NAME_MISMATCH, 0, 1 },
	{ "DANE-TA checks the leaf's dates", { { C_CA, 2, 1, 1, 0 }, END },
	    { C_EXPIRED, C_CA, -1 }, MX, INKAN_DANE_SMTP, false, false, 0,
	    INKAN_DANE_UNTRUSTED, 0, 1 },
	{ "DANE-TA leaf not yet valid", { { C_CA, 2, 1, 1, 0 }, END }, { C_FUTURE, C_CA, -1 },
	    MX, INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_UNTRUSTED, 0, 1 },
	{ "DANE-TA leaf valid at a given time", { { C_CA, 2, 1, 1, 0 }, END },
	    { C_FUTURE, C_CA, -1 }, MX, INKAN_DANE_SMTP, false, false, 20, INKAN_DANE_OK, 0, 1 },
	{ "6698 2 0 0 anchor given in DNS", { { C_CA, 2, 0, 0, 0 }, END }, { C_LEAF, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 1 },
	{ "DANE-TA leaf of another CA", { { C_CA, 2, 1, 1, 0 }, END }, { C_SELF, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_NO_MATCH, -1, -1 },
	{ "7672 3.2 wildcard, one label", { { C_CA, 2, 1, 1, 0 }, END }, { C_WILD, C_CA, -1 },
	    MX, INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 0, 1 },
	{ "7672 3.2 wildcard is not two labels", { { C_CA, 2, 1, 1, 0 }, END },
	    { C_WILD, C_CA, -1 }, { "a.mx.example.com", NULL, NULL }, INKAN_DANE_SMTP, false,
	    false, 0, INKAN_DANE_NAME_MISMATCH, 0, 1 },
	{ "7672 3.2 no partial wildcard", { { C_CA, 2, 1, 1, 0 }, END },
	    { C_PARTIAL, C_CA, -1 }, MX, INKAN_DANE_SMTP, false, false, 0,
	    INKAN_DANE_NAME_MISMATCH, 0, 1 },
	/* Precedence and the record reported. */
	{ "wrong 3 1 1, right 2 1 1", { { C_LEAF, 3, 1, 1, 1 }, { C_CA, 2, 1, 1, 0 }, END },
	    { C_LEAF, C_CA, -1 }, MX, INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK, 1, 1 },
	{ "rollover: old key and new key", { { C_SELF, 3, 1, 1, 0 }, { C_LEAF, 3, 1, 1, 0 },
	    END }, { C_LEAF, C_CA, -1 }, MX, INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_OK,
	    1, 0 },
	/* RFC 7672 §3.1.3: PKIX usages are not for SMTP. */
	{ "7672 3.1.3 PKIX-EE only", { { C_LEAF, 1, 1, 1, 0 }, END }, { C_LEAF, C_CA, -1 }, MX,
	    INKAN_DANE_SMTP, true, false, 0, INKAN_DANE_NOT_USABLE, -1, -1 },
	{ "7672 3.1.3 PKIX-TA beside DANE-EE", { { C_CA, 0, 1, 1, 0 }, { C_LEAF, 3, 1, 1, 0 },
	    END }, { C_LEAF, C_CA, -1 }, MX, INKAN_DANE_SMTP, true, false, 0, INKAN_DANE_OK,
	    1, 0 },
	{ "unknown usage only", { { C_LEAF, 4, 1, 1, 0 }, END }, { C_LEAF, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_NOT_USABLE, -1, -1 },
	{ "digest of the wrong length only", { { C_LEAF, 3, 1, 1, 2 }, END }, { C_LEAF, -1 },
	    MX, INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_NOT_USABLE, -1, -1 },
	{ "empty RRset", { END }, { C_LEAF, -1 }, MX, INKAN_DANE_SMTP, false, false, 0,
	    INKAN_DANE_NOT_USABLE, -1, -1 },
	/* RFC 7671 generic profile: PKIX needs the trust store. */
	{ "7671 PKIX-EE with trust store", { { C_LEAF, 1, 1, 1, 0 }, END },
	    { C_LEAF, C_CA, -1 }, MX, INKAN_DANE_GENERIC, true, false, 0, INKAN_DANE_OK, 0, 0 },
	{ "7671 PKIX-TA with trust store", { { C_CA, 0, 1, 1, 0 }, END }, { C_LEAF, C_CA, -1 },
	    MX, INKAN_DANE_GENERIC, true, false, 0, INKAN_DANE_OK, 0, 1 },
	{ "7671 PKIX-EE without trust store", { { C_LEAF, 1, 1, 1, 0 }, END },
	    { C_LEAF, C_CA, -1 }, MX, INKAN_DANE_GENERIC, false, false, 0, INKAN_DANE_UNTRUSTED,
	    0, 0 },
	{ "7671 PKIX-EE checks names", { { C_LEAF, 1, 1, 1, 0 }, END }, { C_LEAF, C_CA, -1 },
	    { "other.example", NULL, NULL }, INKAN_DANE_GENERIC, true, false, 0,
	    INKAN_DANE_NAME_MISMATCH, 0, 0 },
	/* Bad chains. */
	{ "garbage certificate", { { C_LEAF, 3, 1, 1, 0 }, END }, { C_N, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_UNTRUSTED, -1, -1 },
	{ "garbage intermediate", { { C_LEAF, 3, 1, 1, 0 }, END }, { C_LEAF, C_N, -1 }, MX,
	    INKAN_DANE_SMTP, false, false, 0, INKAN_DANE_UNTRUSTED, -1, -1 },
};

static void
test_verify(void **state)
{
	const struct verify_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dane_tlsa rr[MAXR];
	struct inkan_dane_cert chain[MAXC];
	static const uint8_t garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x01, 0x00 };
	struct inkan_dane_verify_opts o = { .profile = c->profile,
	    .ee_name_checks = c->ee_name_checks };
	struct inkan_dane_result res;
	size_t nr = 0, nc = 0, nn = 0;

	for (; nr < MAXR && c->recs[nr].cert >= 0; nr++) {
		const struct rec_spec *s = &c->recs[nr];

		rr[nr] = tlsa_for(a, s->cert, s->usage, s->sel, s->mt);
		if (s->tweak == 1)
			((uint8_t *)rr[nr].data)[0] ^= 1;
		else if (s->tweak == 2)
			rr[nr].len--;
	}
	for (; nc < MAXC && c->chain[nc] >= 0; nc++) {
		if (c->chain[nc] == C_N) {
			chain[nc].der = garbage;
			chain[nc].len = sizeof(garbage);
		} else {
			chain[nc].der = der[c->chain[nc]];
			chain[nc].len = derlen[c->chain[nc]];
		}
	}
	while (nn < 3 && c->names[nn] != NULL)
		nn++;
	o.names = c->names;
	o.nnames = nn;
	o.now = c->now_days ? (int64_t)T2040_06 : (int64_t)T2030;
	assert_int_equal(inkan_dane_verify(c->trust ? ctx_trust : ctx_plain, a, rr, nr, chain,
	    nc, &o, &res), 0);
	if (res.status != c->status || res.record != c->record || res.depth != c->depth)
		fail_msg("%s: %s record %d depth %d (%s; X509 error %d), wanted %s record %d "
		    "depth %d", c->name, inkan_dane_status_name(res.status), res.record,
		    res.depth, res.why ? res.why : "-", res.x509_error,
		    inkan_dane_status_name(c->status), c->record, c->depth);
	assert_true((res.why == NULL) == (res.status == INKAN_DANE_OK));
	inkan_arena_free(a);
}

/* The name that matched, the default context, and bad arguments. */
static void
test_verify_misc(void **state)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dane_tlsa rr = tlsa_for(a, C_CA, 2, 1, 1);
	struct inkan_dane_cert chain[2] = { { der[C_WILD], derlen[C_WILD] },
	    { der[C_CA], derlen[C_CA] } };
	const char *names[] = { "example.net", "mx.example.com" };
	struct inkan_dane_verify_opts o = { .names = names, .nnames = 2, .now = T2030 };
	struct inkan_dane_result res;
	struct inkan_dane_cert many[INKAN_DANE_MAX_CHAIN + 1];

	(void)state;
	assert_int_equal(inkan_dane_verify(NULL, a, &rr, 1, chain, 2, &o, &res), 0);
	assert_int_equal(res.status, INKAN_DANE_OK);
	assert_non_null(res.peername);
	assert_string_equal(res.peername, "*.example.com");	/* the name in the cert */
	assert_int_equal(res.x509_error, 0);
	/* No names: a DANE-TA match fails its name check. */
	o.nnames = 0;
	assert_int_equal(inkan_dane_verify(NULL, a, &rr, 1, chain, 2, &o, &res), 0);
	assert_int_equal(res.status, INKAN_DANE_NAME_MISMATCH);
	/* o NULL: SMTP at the current time, DANE-EE needs neither. */
	rr = tlsa_for(a, C_LEAF, 3, 1, 1);
	assert_int_equal(inkan_dane_verify(NULL, a, &rr, 1, chain + 0, 1, NULL, &res), 0);
	assert_int_equal(res.status, INKAN_DANE_NO_MATCH);
	chain[0].der = der[C_LEAF];
	chain[0].len = derlen[C_LEAF];
	assert_int_equal(inkan_dane_verify(NULL, a, &rr, 1, chain + 0, 1, NULL, &res), 0);
	assert_int_equal(res.status, INKAN_DANE_OK);
	o.nnames = 2;
	assert_int_equal(inkan_dane_verify(NULL, a, &rr, 1, chain, 0, &o, &res), INKAN_EINVAL);
	for (size_t i = 0; i < NROWS(many); i++)
		many[i] = chain[0];
	assert_int_equal(inkan_dane_verify(NULL, a, &rr, 1, many, NROWS(many), &o, &res),
	    INKAN_EINVAL);
	assert_int_equal(inkan_dane_verify(NULL, a, &rr, INKAN_DANE_MAX_TLSA + 1, chain, 2, &o,
	    &res), INKAN_EINVAL);
	{
		struct inkan_dane_ctx *c;
		const char *why = NULL;

		assert_int_equal(inkan_dane_ctx_new("/nonexistent/ca.pem", &c, &why), INKAN_EIO);
		assert_non_null(why);
		assert_null(c);
	}
	inkan_arena_free(a);
}

/* ---- lint ---- */

struct lint_case {
	const char *name;
	struct rec_spec recs[MAXR];
	enum inkan_dane_profile profile;
	const char *ids;	/* finding ids, space-separated, in order */
	size_t usable;
};

static const struct lint_case lint_cases[] = {
	{ "3 1 1 alone: no rollover", { { C_LEAF, 3, 1, 1, 0 }, END }, INKAN_DANE_SMTP,
	    "no-rollover", 1 },
	{ "3 1 1 and 2 1 1: clean", { { C_LEAF, 3, 1, 1, 0 }, { C_CA, 2, 1, 1, 0 }, END },
	    INKAN_DANE_SMTP, "", 2 },
	{ "3 0 1 pins the certificate", { { C_LEAF, 3, 0, 1, 0 }, { C_CA, 2, 1, 1, 0 }, END },
	    INKAN_DANE_SMTP, "not-recommended", 2 },
	{ "full data", { { C_LEAF, 3, 1, 0, 0 }, { C_CA, 2, 0, 0, 0 }, END }, INKAN_DANE_SMTP,
	    "not-recommended not-recommended", 2 },
	{ "2 0 1 usable, not recommended", { { C_CA, 2, 0, 1, 0 }, { C_LEAF, 3, 1, 1, 0 }, END },
	    INKAN_DANE_SMTP, "not-recommended", 2 },
	{ "6698 digest length", { { C_LEAF, 3, 1, 1, 2 }, END }, INKAN_DANE_SMTP,
	    "digest-length no-usable", 0 },
	{ "unknown usage, selector, type", { { C_LEAF, 4, 2, 3, 0 }, { C_LEAF, 3, 1, 1, 0 },
	    END }, INKAN_DANE_SMTP, "unknown-usage unknown-selector unknown-mtype no-rollover",
	    1 },
	{ "7672 3.1.3 PKIX under SMTP", { { C_LEAF, 1, 1, 1, 0 }, { C_CA, 0, 1, 1, 0 }, END },
	    INKAN_DANE_SMTP, "pkix-smtp pkix-smtp no-usable", 0 },
	{ "7671 PKIX under the generic profile", { { C_LEAF, 1, 1, 1, 0 }, { C_CA, 0, 1, 1, 0 },
	    END }, INKAN_DANE_GENERIC, "not-recommended not-recommended", 2 },
	{ "duplicate record", { { C_LEAF, 3, 1, 1, 0 }, { C_LEAF, 3, 1, 1, 0 }, END },
	    INKAN_DANE_SMTP, "duplicate", 2 },
	{ "full data that is not a certificate", { { C_LEAF, 3, 0, 0, 2 }, END },
	    INKAN_DANE_SMTP, "bad-full-data no-usable", 0 },
	{ "empty RRset", { END }, INKAN_DANE_SMTP, "empty", 0 },
};

static void
test_lint(void **state)
{
	const struct lint_case *c = *state;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dane_tlsa rr[MAXR];
	struct inkan_dane_lint l;
	char got[256] = "";
	size_t nr = 0;

	for (; nr < MAXR && c->recs[nr].cert >= 0; nr++) {
		/* Unknown selectors and types borrow real data. */
		rr[nr] = tlsa_for(a, c->recs[nr].cert, c->recs[nr].usage,
		    c->recs[nr].sel > 1 ? 1 : c->recs[nr].sel, c->recs[nr].mt > 2 ? 1 :
		    c->recs[nr].mt);
		rr[nr].selector = c->recs[nr].sel;
		rr[nr].mtype = c->recs[nr].mt;
		if (c->recs[nr].tweak == 2)
			rr[nr].len--;
	}
	assert_int_equal(inkan_dane_lint(a, rr, nr, c->profile, &l), 0);
	for (size_t i = 0, off = 0; i < l.nfindings && off < sizeof(got); i++) {
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s", i ? " " : "",
		    l.findings[i].id);
		assert_non_null(l.findings[i].message);
	}
	if (strcmp(got, c->ids) != 0 || l.usable != c->usable)
		fail_msg("%s: [%s] usable %zu, wanted [%s] usable %zu", c->name, got, l.usable,
		    c->ids, c->usable);
	inkan_arena_free(a);
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_parse_wire),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_verify_misc),
	};
	size_t total = NROWS(text_cases) + NROWS(verify_cases) + NROWS(lint_cases) +
	    NROWS(misc), n = 0;
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
	ADD(text_cases, test_parse_text);
	ADD(verify_cases, test_verify);
	ADD(lint_cases, test_lint);
	for (size_t i = 0; i < NROWS(misc); i++)
		t[n++] = misc[i];
	rc = _cmocka_run_group_tests("dane", t, n, setup_certs, teardown_certs);
	free(t);
	return rc;
}
