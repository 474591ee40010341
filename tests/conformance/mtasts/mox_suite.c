/* mox_suite.c - mox's MTA-STS test tables (tests/data/mtasts/mox-cases.json)
 * against inkan's MTA-STS code.
 *
 *   mox_suite FILE
 *
 * Four tables, one TAP line per case:
 *   record_parse  (RFC 8461 §3.1) the TXT record: valid or not; for valid
 *                 ones the id and the extensions, in order;
 *   policy_parse  (§3.2) the policy file: valid or not; for valid ones
 *                 mode, max_age, the mx patterns and the extensions;
 *   mx_matching   (§4.1) one policy, MX host names that match or not;
 *   record_lookup (§3.1) TXT lookups over the table's DNS data, served by
 *                 the in-memory zone backend: "txt" (name -> strings, one
 *                 TXT record each), "cname" (name -> target), "servfail"
 *                 ("TXT name").  Expected errors map to lookup statuses:
 *                 no-record -> none, record-syntax -> invalid,
 *                 multiple-records -> multiple, dns-temperror -> temperror.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/mtasts.h"

static int ntests, nfail;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	printf("%s %d - ", ok ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		nfail++;
}

/* A case's input for a TAP name: control characters escaped, cut. */
static const char *
show(const char *s)
{
	static char buf[200];
	size_t n = 0;

	for (; *s && n < sizeof(buf) - 8; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else if (c == '\r') {
			buf[n++] = '\\';
			buf[n++] = 'r';
		} else if (c == '\t') {
			buf[n++] = '\\';
			buf[n++] = 't';
		} else if (c == '#') {
			buf[n++] = '%';	/* a "#" would read as a TAP directive */
		} else {
			buf[n++] = (char)c;
		}
	}
	if (*s) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Extensions [[name, value], ...] against what we parsed. */
static bool
ext_equal(json_t *want, const struct inkan_mtasts_ext *ext, size_t n)
{
	if (want == NULL)
		return n == 0;
	if (json_array_size(want) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(want, i);

		if (strcmp(json_string_value(json_array_get(p, 0)), ext[i].name) != 0 ||
		    strcmp(json_string_value(json_array_get(p, 1)), ext[i].value) != 0)
			return false;
	}
	return true;
}

static void
record_parse(json_t *cases)
{
	size_t i;
	json_t *c;

	json_array_foreach(cases, i, c) {
		const char *txt = json_string_value(json_object_get(c, "txt"));
		bool valid = json_is_true(json_object_get(c, "valid"));
		json_t *ex = json_object_get(c, "expect");
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_mtasts_record r;
		const char *why = NULL;
		int rc = inkan_mtasts_record_parse(a, txt, strlen(txt), &r, &why);
		bool ok = (rc == 0) == valid;

		if (ok && valid)
			ok = strcmp(r.id, json_string_value(json_object_get(ex, "id"))) == 0 &&
			    ext_equal(json_object_get(ex, "extensions"), r.ext, r.next) &&
			    strcmp(json_string_value(json_object_get(ex, "version")), "STSv1") == 0;
		tap(ok, "record_parse %zu: \"%s\" %s", i + 1, show(txt),
		    valid ? "valid" : "invalid");
		if (!ok || !valid)
			printf("#   %s\n", rc == 0 ? "parsed as valid" : why);
		inkan_arena_free(a);
	}
}

static void
policy_parse(json_t *cases)
{
	size_t i;
	json_t *c;

	json_array_foreach(cases, i, c) {
		const char *txt = json_string_value(json_object_get(c, "policy"));
		bool valid = json_is_true(json_object_get(c, "valid"));
		json_t *ex = json_object_get(c, "expect");
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_mtasts_policy p;
		struct inkan_mtasts_policy_diag d;
		int rc = inkan_mtasts_policy_parse(a, txt, strlen(txt), &p, &d);
		bool ok = (rc == 0) == valid;

		if (ok && valid) {
			json_t *mx = json_object_get(ex, "mx");

			ok = strcmp(inkan_mtasts_mode_name(p.mode),
			    json_string_value(json_object_get(ex, "mode"))) == 0 &&
			    (json_int_t)p.max_age == json_integer_value(json_object_get(ex, "max_age")) &&
			    json_array_size(mx) == p.nmx &&
			    ext_equal(json_object_get(ex, "extensions"), p.ext, p.next);
			for (size_t j = 0; ok && j < p.nmx; j++)
				ok = strcmp(p.mx[j], json_string_value(json_array_get(mx, j))) == 0;
		}
		tap(ok, "policy_parse %zu: \"%s\" %s", i + 1, show(txt),
		    valid ? "valid" : "invalid");
		if (!ok || !valid) {
			const char *cm = json_string_value(json_object_get(c, "comment"));

			printf("#   %s%s%s\n", rc == 0 ? "parsed as valid" : d.why,
			    cm ? " -- upstream: " : "", cm ? cm : "");
		}
		inkan_arena_free(a);
	}
}

static void
mx_matching(json_t *t)
{
	const char *txt = json_string_value(json_object_get(t, "policy"));
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_mtasts_policy p;
	size_t i;
	json_t *c;

	if (inkan_mtasts_policy_parse(a, txt, strlen(txt), &p, NULL) != 0) {
		tap(false, "mx_matching: the table's policy does not parse");
		inkan_arena_free(a);
		return;
	}
	json_array_foreach(json_object_get(t, "cases"), i, c) {
		const char *mx = json_string_value(json_object_get(c, "mx"));
		bool want = json_is_true(json_object_get(c, "match"));
		const char *m = inkan_mtasts_policy_match(&p, mx);

		tap((m != NULL) == want, "mx_matching %zu: %s %s", i + 1, mx,
		    want ? "matches" : "does not match");
		if (m != NULL)
			printf("#   matched pattern %s\n", m);
	}
	inkan_arena_free(a);
}

/* One TXT record with the text as character-strings of at most 255. */
static int
add_txt(struct inkan_zone *z, const char *name, const char *text)
{
	size_t len = strlen(text), n = 0;
	uint8_t *rd = malloc(len + len / 255 + 2);
	int rc;

	if (rd == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < len || i == 0; i += 255) {
		size_t c = len - i < 255 ? len - i : 255;

		rd[n++] = (uint8_t)c;
		memcpy(rd + n, text + i, c);
		n += c;
		if (len == 0)
			break;
	}
	rc = inkan_zone_add_rr(z, name, INKAN_DNS_TXT, 300, rd, n);
	free(rd);
	return rc;
}

static void
record_lookup(json_t *t)
{
	json_t *dns = json_object_get(t, "dns"), *v, *c;
	struct inkan_zone *z;
	struct inkan_resolver *r;
	const char *name;
	size_t i;
	bool setup = true;

	if (inkan_zone_new(&z) != 0)
		exit(2);
	json_object_foreach(json_object_get(dns, "txt"), name, v) {
		json_t *s;

		json_array_foreach(v, i, s)
			setup = setup && add_txt(z, name, json_string_value(s)) == 0;
	}
	json_object_foreach(json_object_get(dns, "cname"), name, v) {
		char line[600];

		snprintf(line, sizeof(line), "%s CNAME %s", name, json_string_value(v));
		setup = setup && inkan_zone_add_text(z, line, NULL) == 0;
	}
	json_array_foreach(json_object_get(dns, "servfail"), i, v) {
		const char *s = json_string_value(v);

		if (strncmp(s, "TXT ", 4) != 0) {
			setup = false;
			continue;
		}
		setup = setup && inkan_zone_set_status(z, s + 4, INKAN_DNS_TXT,
		    INKAN_DNS_SERVFAIL) == 0;
	}
	if (!setup || inkan_resolver_zone_new(z, &r) != 0) {
		tap(false, "record_lookup: the table's DNS data could not be loaded");
		inkan_zone_free(z);
		return;
	}
	json_array_foreach(json_object_get(t, "cases"), i, c) {
		const char *domain = json_string_value(json_object_get(c, "domain"));
		const char *err = json_string_value(json_object_get(c, "error"));
		json_t *ex = json_object_get(c, "expect");
		enum inkan_mtasts_record_status want = INKAN_MTASTS_RECORD_FOUND;
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_mtasts_lookup l;
		bool ok;

		if (err == NULL)
			want = INKAN_MTASTS_RECORD_FOUND;
		else if (strcmp(err, "no-record") == 0)
			want = INKAN_MTASTS_RECORD_NONE;
		else if (strcmp(err, "record-syntax") == 0)
			want = INKAN_MTASTS_RECORD_INVALID;
		else if (strcmp(err, "multiple-records") == 0)
			want = INKAN_MTASTS_RECORD_MULTIPLE;
		else if (strcmp(err, "dns-temperror") == 0)
			want = INKAN_MTASTS_RECORD_TEMPERROR;
		ok = inkan_mtasts_record_lookup(r, a, domain, &l) == 0 && l.status == want;
		if (ok && want == INKAN_MTASTS_RECORD_FOUND)
			ok = strcmp(l.record.id, json_string_value(json_object_get(ex, "id"))) == 0;
		tap(ok, "record_lookup %zu: %s -> %s", i + 1, domain, err ? err : "found");
		printf("#   %s%s%s\n", inkan_mtasts_record_status_name(l.status),
		    l.why ? ": " : "", l.why ? l.why : "");
		inkan_arena_free(a);
	}
	inkan_resolver_free(r);
	inkan_zone_free(z);
}

int
main(int argc, char **argv)
{
	json_error_t je;
	json_t *root;

	if (argc != 2) {
		fprintf(stderr, "usage: mox_suite mox-cases.json\n");
		return 2;
	}
	if ((root = json_load_file(argv[1], 0, &je)) == NULL) {
		printf("not ok 1 - cannot read %s: %s\n1..1\n", argv[1], je.text);
		return 1;
	}
	record_parse(json_object_get(root, "record_parse"));
	policy_parse(json_object_get(root, "policy_parse"));
	mx_matching(json_object_get(root, "mx_matching"));
	record_lookup(json_object_get(root, "record_lookup"));
	printf("1..%d\n", ntests);
	json_decref(root);
	return nfail ? 1 : 0;
}
