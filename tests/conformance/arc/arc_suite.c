/* arc_suite.c - public ARC test data against the inkan ARC code.
 *
 *   arc_suite validate FILE   ValiMail arc-draft-validation-tests.yml
 *   arc_suite sign FILE       ValiMail arc-draft-sign-tests.yml
 *   arc_suite mail-auth DIR   mail-auth resources/arc/00[12].txt
 *
 * Output is TAP with the suites' own case names; DNS comes only from the
 * in-memory zone backend.  Harness rules (tests/data/arc/README.md):
 *
 * validate: serve txt-records, run RFC 8617 §5.2 chain validation on the
 *   message (LF made CRLF) and compare cv.  Three cases have an empty cv
 *   (cv_fail_i1_as_cv_fail, cv_fail_i2_as2_fail, cv_fail_i2_as1_fail, a
 *   defect of the suite): their names and §5.2 step 2/3 say Fail.
 * sign: seal the message with the scenario's key, domain, selector, the
 *   test's t=, sig-headers (h=) and srv-id (authserv-id), with cv from our
 *   own validation of the incoming chain and the AAR consolidated from the
 *   message's Authentication-Results (authres NULL).  The suite's README
 *   fixes the layout (tags in alphabetical order, no folding inside
 *   values), so AS, AMS and AAR must equal the expected values, compared
 *   without whitespace (AS, AMS: the expected b= is folded) or with
 *   whitespace runs made one space (AAR).  An empty expected value means
 *   "no new set" (§5.1 step 1).  The sealed message must then validate
 *   (cv=pass, or fail for a cv=fail seal).
 * mail-auth: DNS lines "<name> <TXT>", a blank line, the message.  001
 *   (Gmail) must pass.  002 seals i=1 with ed25519-sha256, which RFC 8617
 *   does not define: we accept it (RFC 8463's algorithm, in the DKIM
 *   registry ARC reuses), as mail-auth does, so it passes by default and
 *   fails with rsa_only (dkimpy's behaviour).  At least one DKIM signature
 *   of each message must pass too (upstream's check).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "inkan/arc.h"
#include "inkan/arena.h"
#include "inkan/dkim.h"
#include "inkan/dns.h"
#include "inkan/error.h"

static int ntests, nfail;

static void tap(bool ok, const char *todo, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tap(bool ok, const char *todo, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	printf("%s %d - ", ok ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && todo != NULL)
		printf(" # TODO %s", todo);
	printf("\n");
	if (!ok && todo == NULL)
		nfail++;
}

static void
die(const char *what)
{
	fprintf(stderr, "arc_suite: %s\n", what);
	exit(2);
}

/* TXT rdata: the text in strings of at most 255 octets; line breaks in
 * the YAML block (a key record wrapped for reading) are dropped. */
static void
add_txt(struct inkan_zone *z, const char *name, const char *txt, size_t len)
{
	uint8_t *rd = malloc(len + len / 255 + 2);
	size_t k = 0, i = 0;
	char *clean = malloc(len + 1);
	size_t cl = 0;

	if (rd == NULL || clean == NULL)
		die("out of memory");
	for (size_t j = 0; j < len; j++)
		if (txt[j] != '\n' && txt[j] != '\r')
			clean[cl++] = txt[j];
	while (cl > 0 && clean[cl - 1] == ' ')
		cl--;
	do {
		size_t n = cl - i > 255 ? 255 : cl - i;

		rd[k++] = (uint8_t)n;
		memcpy(rd + k, clean + i, n);
		k += n;
		i += n;
	} while (i < cl);
	if (inkan_zone_add_rr(z, name, INKAN_DNS_TXT, 300, rd, k) != 0)
		die("cannot add a TXT record");
	free(rd);
	free(clean);
}

/* ---- YAML ---- */

static yaml_node_t *
map_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	    p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *
scalar(yaml_node_t *n, size_t *len)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

static struct inkan_zone *
zone_from(yaml_document_t *d, yaml_node_t *recs)
{
	struct inkan_zone *z;

	if (inkan_zone_new(&z) != 0)
		die("zone");
	if (recs == NULL || recs->type != YAML_MAPPING_NODE)
		return z;
	for (yaml_node_pair_t *p = recs->data.mapping.pairs.start;
	    p < recs->data.mapping.pairs.top; p++) {
		size_t vl;
		const char *k = scalar(yaml_document_get_node(d, p->key), NULL);
		const char *v = scalar(yaml_document_get_node(d, p->value), &vl);

		if (k != NULL && v != NULL)
			add_txt(z, k, v, vl);
	}
	return z;
}

/* Whitespace removed (squeeze false) or runs made one SP and trimmed. */
static char *
norm(const char *s, size_t n, bool squeeze)
{
	char *o = malloc(n + 1);
	size_t k = 0;
	bool ws = false;

	if (o == NULL)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			ws = true;
			continue;
		}
		if (ws && squeeze && k > 0)
			o[k++] = ' ';
		ws = false;
		o[k++] = c;
	}
	o[k] = '\0';
	return o;
}

static enum inkan_arc_cv
want_cv(const char *s)
{
	if (s == NULL || *s == '\0')
		return INKAN_ARC_FAIL;	/* the suite's empty cv: see above */
	if (strcasecmp(s, "pass") == 0)
		return INKAN_ARC_PASS;
	if (strcasecmp(s, "none") == 0)
		return INKAN_ARC_NONE;
	return INKAN_ARC_FAIL;
}

static int
verify(struct inkan_resolver *r, const char *msg, size_t len, bool rsa_only,
    struct inkan_arena *a, struct inkan_arc_results *res)
{
	struct inkan_arc_verify_opts o = { .rsa_only = rsa_only };

	return inkan_arc_verify_message(r, a, &o, msg, len, res);
}

static void
validate_doc(yaml_document_t *d)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	yaml_node_t *tests = map_get(d, root, "tests");
	const char *desc = scalar(map_get(d, root, "description"), NULL);
	yaml_node_t *recs = map_get(d, root, "txt-records");
	struct inkan_zone *z;
	struct inkan_resolver *r;

	if (recs == NULL)
		recs = map_get(d, root, "txt_records");
	if (tests == NULL || tests->type != YAML_MAPPING_NODE)
		return;
	z = zone_from(d, recs);
	if (inkan_resolver_zone_new(z, &r) != 0)
		die("resolver");
	for (yaml_node_pair_t *p = tests->data.mapping.pairs.start;
	    p < tests->data.mapping.pairs.top; p++) {
		const char *name = scalar(yaml_document_get_node(d, p->key), NULL);
		yaml_node_t *t = yaml_document_get_node(d, p->value);
		size_t ml;
		const char *msg = scalar(map_get(d, t, "message"), &ml);
		const char *cvs = scalar(map_get(d, t, "cv"), NULL);
		enum inkan_arc_cv want = want_cv(cvs);
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_arc_results res;
		const char *dup = "";
		int rc;

		if (a == NULL)
			die("arena");
		/* The suite repeats four names in one scenario; PyYAML (its
		 * harness) keeps the last.  The earlier ones run too, named so. */
		for (yaml_node_pair_t *q = p + 1; q < tests->data.mapping.pairs.top; q++) {
			const char *other = scalar(yaml_document_get_node(d, q->key), NULL);

			if (other != NULL && name != NULL && strcmp(other, name) == 0)
				dup = " [earlier entry of a repeated name, unseen by PyYAML]";
		}
		rc = verify(r, msg ? msg : "", ml, false, a, &res);
		tap(rc == 0 && res.cv == want, NULL, "%s / %s%s: cv=%s (want %s%s)%s%s", desc, name,
		    dup, rc == 0 ? inkan_arc_cv_name(res.cv) : inkan_strerror(rc),
		    inkan_arc_cv_name(want), cvs == NULL || *cvs == '\0' ?
		    ", suite's cv is empty" : "", res.reason ? ": " : "",
		    res.reason ? res.reason : "");
		inkan_arena_free(a);
	}
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

/* The value of the first field named name in fields ("Name: value\r\n"). */
static const char *
field_value(const char *fields, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *p = fields;

	while (p != NULL && *p) {
		const char *e = strstr(p, "\r\n");

		while (e != NULL && (e[2] == ' ' || e[2] == '\t'))
			e = strstr(e + 2, "\r\n");
		if (e == NULL)
			e = p + strlen(p);
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			*len = (size_t)(e - p) - nl - 1;
			return p + nl + 1;
		}
		p = *e ? e + 2 : e;
	}
	*len = 0;
	return NULL;
}

static bool
same(const char *want, size_t wl, const char *got, size_t gl, bool squeeze)
{
	char *a = norm(want ? want : "", want ? wl : 0, squeeze);
	char *b = norm(got ? got : "", got ? gl : 0, squeeze);
	bool eq = strcmp(a, b) == 0;

	if (!eq)
		fprintf(stderr, "# want: %s\n#  got: %s\n", a, b);
	free(a);
	free(b);
	return eq;
}

static void
sign_doc(yaml_document_t *d)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	yaml_node_t *tests = map_get(d, root, "tests");
	const char *desc = scalar(map_get(d, root, "description"), NULL);
	const char *domain = scalar(map_get(d, root, "domain"), NULL);
	const char *sel = scalar(map_get(d, root, "sel"), NULL);
	size_t pl;
	const char *pem = scalar(map_get(d, root, "privatekey"), &pl);
	struct inkan_zone *z = zone_from(d, map_get(d, root, "txt-records"));
	struct inkan_resolver *r;
	struct inkan_dkim_key *key;
	const char *why;

	if (tests == NULL || domain == NULL || sel == NULL || pem == NULL)
		die("sign scenario without tests, domain, sel or privatekey");
	if (inkan_resolver_zone_new(z, &r) != 0)
		die("resolver");
	if (inkan_dkim_key_load_pem(pem, pl, &key, &why) != 0)
		die(why ? why : "key");
	for (yaml_node_pair_t *p = tests->data.mapping.pairs.start;
	    p < tests->data.mapping.pairs.top; p++) {
		const char *name = scalar(yaml_document_get_node(d, p->key), NULL);
		yaml_node_t *t = yaml_document_get_node(d, p->value);
		size_t ml, asl, amsl, aarl;
		const char *msg = scalar(map_get(d, t, "message"), &ml);
		const char *ts = scalar(map_get(d, t, "t"), NULL);
		const char *sh = scalar(map_get(d, t, "sig-headers"), NULL);
		const char *srv = scalar(map_get(d, t, "srv-id"), NULL);
		const char *w_as = scalar(map_get(d, t, "AS"), &asl);
		const char *w_ams = scalar(map_get(d, t, "AMS"), &amsl);
		const char *w_aar = scalar(map_get(d, t, "AAR"), &aarl);
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_arc_results in, after;
		const char *fields = NULL, *swhy = NULL;
		const char *hv[64];
		char *shc = strdup(sh ? sh : "");
		size_t nh = 0;
		int rc;

		if (a == NULL || shc == NULL || msg == NULL || srv == NULL || ts == NULL)
			die("sign test incomplete");
		for (char *q = strtok(shc, ":"); q != NULL && nh < 63; q = strtok(NULL, ":"))
			hv[nh++] = q;
		hv[nh] = NULL;
		/* the incoming chain, by our own validation */
		rc = verify(r, msg, ml, false, a, &in);
		if (rc != 0)
			die("verify failed");
		struct inkan_arc_seal_opts so = {
			.domain = domain, .selector = sel, .authserv_id = srv,
			.headers = hv, .timestamp = strtoll(ts, NULL, 10),
		};

		rc = inkan_arc_seal_message(a, key, &so, in.cv, NULL, msg, ml, &fields, &swhy);
		char *w_as_n = norm(w_as ? w_as : "", w_as ? asl : 0, false);
		bool none_wanted = w_as_n[0] == '\0';

		free(w_as_n);
		size_t gl1, gl2, gl3;
		const char *g_as = field_value(fields, "ARC-Seal", &gl1);
		const char *g_ams = field_value(fields, "ARC-Message-Signature", &gl2);
		const char *g_aar = field_value(fields, "ARC-Authentication-Results", &gl3);

		if (none_wanted) {
			tap(rc == 0 && fields != NULL && *fields == '\0', NULL,
			    "%s / %s: no new ARC set (RFC 8617 §5.1 step 1)%s%s", desc, name,
			    swhy ? ": " : "", swhy ? swhy : "");
		} else {
			tap(rc == 0 && same(w_aar, aarl, g_aar, gl3, true), NULL,
			    "%s / %s: AAR", desc, name);
			tap(rc == 0 && same(w_ams, amsl, g_ams, gl2, false), NULL,
			    "%s / %s: AMS", desc, name);
			tap(rc == 0 && same(w_as, asl, g_as, gl1, false), NULL,
			    "%s / %s: AS (cv=%s)", desc, name, inkan_arc_cv_name(in.cv));
			/* and the sealed message validates */
			size_t fl = rc == 0 ? strlen(fields) : 0;
			char *sealed = malloc(fl + ml + 1);

			if (sealed == NULL)
				die("out of memory");
			memcpy(sealed, fields ? fields : "", fl);
			memcpy(sealed + fl, msg, ml);
			rc = verify(r, sealed, fl + ml, false, a, &after);
			enum inkan_arc_cv w = in.cv == INKAN_ARC_FAIL ? INKAN_ARC_FAIL :
			    INKAN_ARC_PASS;

			tap(rc == 0 && after.cv == w, NULL, "%s / %s: sealed message validates: "
			    "cv=%s%s%s", desc, name, inkan_arc_cv_name(after.cv),
			    after.reason ? ": " : "", after.reason ? after.reason : "");
			free(sealed);
		}
		free(shc);
		inkan_arena_free(a);
	}
	inkan_dkim_key_free(key);
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

static int
run_yaml(const char *path, void (*fn)(yaml_document_t *))
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;

	if (f == NULL)
		die("cannot open the suite file");
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	for (;;) {
		yaml_document_t doc;

		if (!yaml_parser_load(&parser, &doc))
			die("YAML syntax error");
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		fn(&doc);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return 0;
}

/* ---- mail-auth ---- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		die("cannot open a mail-auth file");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read a mail-auth file");
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
mail_auth(const char *dir)
{
	static const struct {
		const char *file;
		bool rsa_only;
		enum inkan_arc_cv want;
		const char *what;
	} cases[] = {
		{ "001.txt", false, INKAN_ARC_PASS, "Gmail-sealed list message" },
		{ "001.txt", true, INKAN_ARC_PASS, "Gmail-sealed list message, rsa_only" },
		{ "002.txt", false, INKAN_ARC_PASS,
		    "ed25519-sha256 seal at i=1, accepted as an extension" },
		{ "002.txt", true, INKAN_ARC_FAIL,
		    "ed25519-sha256 seal at i=1, refused with rsa_only (dkimpy's choice)" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char path[4096];
		size_t len;
		struct inkan_zone *z;
		struct inkan_resolver *r;
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_arc_results res;
		struct inkan_dkim_results dres;

		snprintf(path, sizeof(path), "%s/%s", dir, cases[k].file);
		char *buf = slurp(path, &len), *p = buf;

		if (inkan_zone_new(&z) != 0 || a == NULL)
			die("zone");
		/* DNS lines up to the first empty line */
		while (*p != '\0' && *p != '\n') {
			char *e = strchr(p, '\n'), *sp = strchr(p, ' ');

			if (e == NULL || sp == NULL || sp > e)
				die("bad DNS line");
			*sp = '\0';
			add_txt(z, p, sp + 1, (size_t)(e - sp - 1));
			p = e + 1;
		}
		if (*p == '\n')
			p++;
		if (inkan_resolver_zone_new(z, &r) != 0)
			die("resolver");
		int rc = verify(r, p, len - (size_t)(p - buf), cases[k].rsa_only, a, &res);

		tap(rc == 0 && res.cv == cases[k].want, NULL, "mail-auth %s: %s: cv=%s (want %s)%s%s",
		    cases[k].file, cases[k].what, rc == 0 ? inkan_arc_cv_name(res.cv) :
		    inkan_strerror(rc), inkan_arc_cv_name(cases[k].want), res.reason ? ": " : "",
		    res.reason ? res.reason : "");
		if (!cases[k].rsa_only) {
			rc = inkan_dkim_verify_message(r, a, NULL, p, len - (size_t)(p - buf), &dres);
			tap(rc == 0 && dres.overall == INKAN_DKIM_PASS, NULL,
			    "mail-auth %s: a DKIM signature passes (%zu signatures, %s)",
			    cases[k].file, dres.n, inkan_dkim_result_name(dres.overall));
		}
		inkan_resolver_free(r);
		inkan_zone_free(z);
		inkan_arena_free(a);
		free(buf);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: arc_suite validate|sign FILE | mail-auth DIR\n");
		return 2;
	}
	if (strcmp(argv[1], "validate") == 0)
		run_yaml(argv[2], validate_doc);
	else if (strcmp(argv[1], "sign") == 0)
		run_yaml(argv[2], sign_doc);
	else if (strcmp(argv[1], "mail-auth") == 0)
		mail_auth(argv[2]);
	else
		die("unknown suite");
	printf("1..%d\n", ntests);
	return nfail != 0;
}
