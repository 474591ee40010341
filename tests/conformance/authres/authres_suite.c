/* authres_suite.c - Authentication-Results (RFC 8601) against public cases.
 *
 *   authres_suite cases FILE   run tests/data/authres/cases.json, print TAP
 *   authres_suite json         JSON lines on stdin -> JSON lines on stdout,
 *                              for the interop test with python3-authres
 *
 * cases: every case is parsed strictly and leniently.
 *   parse "ok"      both modes accept and give the listed result;
 *   parse "lenient" lenient mode accepts and gives the listed result (if
 *                   any); the strict outcome is reported, either is right;
 *   parse "error"   both modes reject, except the cases in lenient_accepts
 *                   below, which lenient mode reads on purpose.
 * Compared: authserv_id, version, and either the full ordered `results`
 * (method, method version, result, reason, properties) or the partial
 * `contains`.  ptype and property names compare case-insensitively (RFC
 * 8601 §2.2), values exactly.  Known departures print as TODO with the RFC
 * reason.  Then three checks over all cases: lenient reading of the quoted
 * variant equals the plain one; every strictly parsed case survives
 * format_line/format and a strict re-parse unchanged; and
 * inkan_authres_claims() recognises each case's authserv-id, also in the
 * fields that do not parse.
 *
 * json: {"op":"parse","value":V,"lenient":B} or
 *       {"op":"format","ar":AR[,"fold":COLUMN]}; AR is
 *       {"authserv_id","version","none","results":[{"method","version",
 *       "result","reason","comment","props":[[ptype,property,value]]}]}.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "inkan/arena.h"
#include "inkan/authres.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"

static int ntests, npass, nfail, ntodo;

/* Cases whose 'error' verdict is python authres's, which lenient mode
 * departs from on purpose (strict mode still rejects them). */
static const struct {
	const char *id, *why;
} lenient_accepts[] = {
	{ "authres-15", "lenient mode reads an unquoted IPv6 pvalue, as many MTAs write it "
	    "(RFC 8601 §2.2 wants it quoted; strict mode rejects it)" },
	{ "authres-23", "lenient mode skips a repeated authserv-id between results, like "
	    "mar-outlook-nonstandard (not RFC 8601 §2.2 resinfo; strict mode rejects it)" },
};

/* Cases the project decides differently from the listed result, with the
 * case's own note allowing it. */
static const struct {
	const char *id, *why;
} rejected_ok[] = {
	{ "gm-empty", "an empty field has no authserv-id, which RFC 8601 §2.2 requires; the "
	    "case's note and mar-empty (same input, parse=error) allow rejecting it" },
};

static void
tap(bool ok, const char *name, const char *detail)
{
	ntests++;
	if (ok)
		npass++;
	else
		nfail++;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", ntests, name, detail[0] ? " " : "",
	    detail);
}

/* ---- comparing a parse with a case ---- */

static bool
streq_ci(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

static bool
streq_opt(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
want_version(json_t *r, const char *key)
{
	json_t *v = json_object_get(r, key);

	if (json_is_string(v))
		return (int)strtol(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return (int)json_integer_value(v);
	return 0;
}

/* Do the listed properties appear in r (all of them, in order when
 * `exact`, then nothing else)? */
static bool
props_match(const struct inkan_authres_result *r, json_t *props, bool exact, char *why,
    size_t whyn)
{
	size_t n = json_array_size(props), k = 0;

	if (exact && n != r->nprops) {
		snprintf(why, whyn, "%s: want %zu properties, got %zu", r->method, n, r->nprops);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(props, i);
		const char *pt = json_string_value(json_array_get(p, 0));
		const char *pn = json_string_value(json_array_get(p, 1));
		const char *pv = json_string_value(json_array_get(p, 2));
		bool found = false;

		for (; k < r->nprops && !found; k++)
			found = streq_ci(r->props[k].ptype, pt) && streq_ci(r->props[k].property, pn) &&
			    strcmp(r->props[k].value, pv) == 0;
		if (!found || (exact && k != i + 1)) {
			snprintf(why, whyn, "%s: property %s.%s=%s missing or out of place", r->method,
			    pt, pn, pv);
			return false;
		}
	}
	return true;
}

static bool
result_match(const struct inkan_authres_result *r, json_t *w, bool exact, char *why, size_t whyn)
{
	const char *m = json_string_value(json_object_get(w, "method"));
	const char *res = json_string_value(json_object_get(w, "result"));

	if (!streq_ci(r->method, m) || !streq_ci(r->result, res)) {
		snprintf(why, whyn, "want %s=%s, got %s=%s", m, res, r->method, r->result);
		return false;
	}
	if (exact) {
		const char *reason = json_string_value(json_object_get(w, "reason"));

		if (!streq_opt(r->reason, reason)) {
			snprintf(why, whyn, "%s: want reason %s, got %s", m, reason ? reason : "(none)",
			    r->reason ? r->reason : "(none)");
			return false;
		}
		if (r->version != want_version(w, "method_version")) {
			snprintf(why, whyn, "%s: want method version %d, got %d", m,
			    want_version(w, "method_version"), r->version);
			return false;
		}
	}
	return props_match(r, json_object_get(w, "properties"), exact, why, whyn);
}

static bool
case_match(const struct inkan_authres *ar, json_t *c, bool isnone, char *why, size_t whyn)
{
	json_t *id = json_object_get(c, "authserv_id");
	json_t *results = json_object_get(c, "results");
	json_t *contains = json_object_get(c, "contains");

	if (json_is_string(id) && strcmp(ar->authserv_id, json_string_value(id)) != 0) {
		snprintf(why, whyn, "want authserv-id %s, got %s", json_string_value(id),
		    ar->authserv_id);
		return false;
	}
	if (json_is_string(id) && ar->version != want_version(c, "version")) {
		snprintf(why, whyn, "want version %d, got %d", want_version(c, "version"),
		    ar->version);
		return false;
	}
	if (json_is_array(results)) {
		if (json_array_size(results) != ar->nresults) {
			snprintf(why, whyn, "want %zu results, got %zu", json_array_size(results),
			    ar->nresults);
			return false;
		}
		for (size_t i = 0; i < ar->nresults; i++)
			if (!result_match(&ar->results[i], json_array_get(results, i), true, why, whyn))
				return false;
		if (isnone && ar->nresults == 0 && !ar->none) {
			snprintf(why, whyn, "want \"none\"");
			return false;
		}
	}
	if (json_is_array(contains)) {
		bool used[INKAN_AUTHRES_MAX_RESULTS] = { false };

		for (size_t i = 0; i < json_array_size(contains); i++) {
			json_t *w = json_array_get(contains, i);
			bool found = false;
			char tmp[256];

			for (size_t k = 0; k < ar->nresults && !found; k++)
				if (!used[k] && result_match(&ar->results[k], w, false, tmp, sizeof(tmp)))
					found = used[k] = true;
			if (!found) {
				snprintf(why, whyn, "no result %s=%s with the listed properties",
				    json_string_value(json_object_get(w, "method")),
				    json_string_value(json_object_get(w, "result")));
				return false;
			}
		}
	}
	return true;
}

/* ---- structural equality (round trips) ---- */

static bool
ar_equal(const struct inkan_authres *a, const struct inkan_authres *b)
{
	if (strcmp(a->authserv_id, b->authserv_id) != 0 || a->version != b->version ||
	    a->nresults != b->nresults || (a->nresults == 0 && a->none != b->none))
		return false;
	for (size_t i = 0; i < a->nresults; i++) {
		const struct inkan_authres_result *x = &a->results[i], *y = &b->results[i];

		if (strcmp(x->method, y->method) != 0 || x->version != y->version ||
		    strcmp(x->result, y->result) != 0 || !streq_opt(x->reason, y->reason) ||
		    !streq_opt(x->comment, y->comment) || x->nprops != y->nprops)
			return false;
		for (size_t k = 0; k < x->nprops; k++)
			if (strcmp(x->props[k].ptype, y->props[k].ptype) != 0 ||
			    strcmp(x->props[k].property, y->props[k].property) != 0 ||
			    strcmp(x->props[k].value, y->props[k].value) != 0)
				return false;
	}
	return true;
}

/* format_line and format (folded at column 24) re-read strictly as the
 * same struct; folded lines stay within 78 columns when they can. */
static bool
roundtrip(struct inkan_arena *a, const struct inkan_authres *ar, char *why, size_t whyn)
{
	struct inkan_buf b;
	struct inkan_authres back;
	const char *w;
	bool ok = true;

	for (int folded = 0; folded <= 1 && ok; folded++) {
		inkan_buf_init(&b, 0);
		int rc = folded ? inkan_authres_format(ar, 24, &b) : inkan_authres_format_line(ar, &b);

		if (rc != 0) {
			snprintf(why, whyn, "format%s: %s", folded ? "" : "_line", inkan_strerror(rc));
			ok = false;
		} else if ((rc = inkan_authres_parse(a, b.p, b.len, 0, &back, &w)) != 0) {
			snprintf(why, whyn, "re-parse of [%s]: %s", b.p, w);
			ok = false;
		} else if (!ar_equal(ar, &back)) {
			snprintf(why, whyn, "re-parse of [%s] differs", b.p);
			ok = false;
		}
		inkan_buf_free(&b);
	}
	return ok;
}

static const char *
lookup(const char *id, bool accepts)
{
	if (accepts) {
		for (size_t i = 0; i < sizeof(lenient_accepts) / sizeof(lenient_accepts[0]); i++)
			if (strcmp(lenient_accepts[i].id, id) == 0)
				return lenient_accepts[i].why;
	} else {
		for (size_t i = 0; i < sizeof(rejected_ok) / sizeof(rejected_ok[0]); i++)
			if (strcmp(rejected_ok[i].id, id) == 0)
				return rejected_ok[i].why;
	}
	return NULL;
}

static int
run_cases(const char *path)
{
	json_error_t jerr;
	json_t *root, *cases;
	struct inkan_arena *a = inkan_arena_new();
	size_t nround = 0, nclaims = 0;
	bool round_ok = true, claims_ok = true;
	char round_why[512] = "", claims_why[512] = "";
	struct inkan_authres plain = { 0 }, quoted = { 0 };
	bool have_plain = false, have_quoted = false;

	if ((root = json_load_file(path, 0, &jerr)) == NULL || a == NULL) {
		printf("not ok 1 - cannot read %s: %s\n1..1\n", path, jerr.text);
		return 1;
	}
	cases = json_object_get(root, "cases");
	for (size_t ci = 0; ci < json_array_size(cases); ci++) {
		json_t *c = json_array_get(cases, ci);
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *src = json_string_value(json_object_get(c, "source"));
		const char *kind = json_string_value(json_object_get(c, "parse"));
		json_t *jv = json_object_get(c, "value");
		const char *v = json_string_value(jv);
		size_t vlen = json_string_length(jv);
		json_t *results = json_object_get(c, "results");
		bool isnone = json_is_array(results) && json_array_size(results) == 0;
		struct inkan_authres s, l;
		const char *sw, *lw;
		int src_rc = inkan_authres_parse(a, v, vlen, 0, &s, &sw);
		int len_rc = inkan_authres_parse(a, v, vlen, INKAN_AUTHRES_LENIENT, &l, &lw);
		char name[160], detail[768] = "", why[512] = "";
		bool ok = true;
		const char *exc;

		/* ids repeat in the bogus groups: number them */
		int nth = 1;

		for (size_t k = 0; k < ci; k++)
			nth += strcmp(json_string_value(json_object_get(json_array_get(cases, k),
			    "id")), id) == 0;
		if (nth > 1 || (ci + 1 < json_array_size(cases) && strcmp(json_string_value(
		    json_object_get(json_array_get(cases, ci + 1), "id")), id) == 0))
			snprintf(name, sizeof(name), "%s #%d (%s, parse=%s)", id, nth, src, kind);
		else
			snprintf(name, sizeof(name), "%s (%s, parse=%s)", id, src, kind);
		if ((src_rc != 0 && sw == NULL) || (len_rc != 0 && lw == NULL)) {
			ok = false;
			snprintf(detail, sizeof(detail), "# an error without a reason");
		} else if (strcmp(kind, "ok") == 0 && (exc = lookup(id, false)) != NULL) {
			ok = src_rc != 0 && len_rc != 0;
			snprintf(detail, sizeof(detail), "- rejected (%s): %s", sw ? sw : "?", exc);
		} else if (strcmp(kind, "ok") == 0) {
			if (src_rc != 0 || len_rc != 0) {
				ok = false;
				snprintf(detail, sizeof(detail), "# %s rejects it: %s",
				    src_rc ? "strict" : "lenient", src_rc ? sw : lw);
			} else if (!case_match(&s, c, isnone, why, sizeof(why))) {
				ok = false;
				snprintf(detail, sizeof(detail), "# strict: %s", why);
			} else if (!case_match(&l, c, isnone, why, sizeof(why))) {
				ok = false;
				snprintf(detail, sizeof(detail), "# lenient: %s", why);
			}
		} else if (strcmp(kind, "lenient") == 0) {
			if (len_rc != 0) {
				ok = false;
				snprintf(detail, sizeof(detail), "# lenient rejects it: %s", lw);
			} else if (!case_match(&l, c, false, why, sizeof(why))) {
				ok = false;
				snprintf(detail, sizeof(detail), "# lenient: %s", why);
			} else if (src_rc != 0) {
				snprintf(detail, sizeof(detail), "- lenient accepts; strict rejects: %s", sw);
			} else {
				snprintf(detail, sizeof(detail), "- lenient and strict accept");
			}
		} else {
			exc = lookup(id, true);
			if (src_rc == 0) {
				ok = false;
				snprintf(detail, sizeof(detail), "# strict accepts it");
			} else if (len_rc == 0 && exc == NULL) {
				ok = false;
				snprintf(detail, sizeof(detail), "# lenient accepts it");
			} else if (len_rc != 0 && exc != NULL) {
				ok = false;
				snprintf(detail, sizeof(detail), "# lenient rejects it (%s), expected: %s",
				    lw, exc);
			} else if (exc != NULL) {
				snprintf(detail, sizeof(detail), "- strict rejects (%s); %s", sw, exc);
			} else {
				snprintf(detail, sizeof(detail), "- rejected: %s; lenient: %s", sw, lw);
			}
		}
		tap(ok, name, detail);

		if (strcmp(id, "mar-eight-results") == 0 && len_rc == 0) {
			plain = l;
			have_plain = true;
		}
		if (strcmp(id, "mar-quoted") == 0 && len_rc == 0) {
			quoted = l;
			have_quoted = true;
		}
		if (src_rc == 0) {
			nround++;
			if (!roundtrip(a, &s, why, sizeof(why)) && round_ok) {
				round_ok = false;
				snprintf(round_why, sizeof(round_why), "# %s: %s", id, why);
			}
		}

		/* RFC 8601 §5: our authserv-id is seen parsed or not, in any case */
		const char *aid = json_string_value(json_object_get(c, "authserv_id"));

		if (aid == NULL && strncmp(v, "test.example.com", 16) == 0)
			aid = "test.example.com";	/* the unparsed bogus cases */
		if (aid != NULL && aid[0] != '\0') {
			char up[256], other[260];
			size_t k;

			for (k = 0; aid[k] != '\0' && k + 1 < sizeof(up); k++)
				up[k] = (char)(aid[k] >= 'a' && aid[k] <= 'z' ? aid[k] - 32 : aid[k]);
			up[k] = '\0';
			snprintf(other, sizeof(other), "x%s", aid);
			nclaims++;
			if (claims_ok && (!inkan_authres_claims(v, vlen, aid) ||
			    !inkan_authres_claims(v, vlen, up) ||
			    inkan_authres_claims(v, vlen, other))) {
				claims_ok = false;
				snprintf(claims_why, sizeof(claims_why), "# %s", id);
			}
		}
	}

	tap(have_plain && have_quoted && ar_equal(&plain, &quoted) && plain.nresults == 8,
	    "mar-quoted reads as mar-eight-results in lenient mode (8 results)", "");
	snprintf(round_why + strlen(round_why), sizeof(round_why) - strlen(round_why),
	    "%s(%zu cases)", round_why[0] ? " " : "", nround);
	tap(round_ok && nround > 0, "every strictly parsed case, written by format_line and "
	    "format, re-parses strictly to the same results", round_why);
	snprintf(claims_why + strlen(claims_why), sizeof(claims_why) - strlen(claims_why),
	    "%s(%zu cases)", claims_why[0] ? " " : "", nclaims);
	tap(claims_ok && nclaims > 0, "claims() sees each case's authserv-id in any case, parsed "
	    "or not, and not a longer one (RFC 8601 §5)", claims_why);

	printf("1..%d\n", ntests);
	printf("# %d passed, %d failed, %d todo\n", npass, nfail, ntodo);
	json_decref(root);
	inkan_arena_free(a);
	return nfail ? 1 : 0;
}

/* ---- JSON lines ---- */

static json_t *
ar_to_json(const struct inkan_authres *ar)
{
	json_t *res = json_array();

	for (size_t i = 0; i < ar->nresults; i++) {
		const struct inkan_authres_result *r = &ar->results[i];
		json_t *props = json_array();

		for (size_t k = 0; k < r->nprops; k++)
			json_array_append_new(props, json_pack("[sss]", r->props[k].ptype,
			    r->props[k].property, r->props[k].value));
		json_array_append_new(res, json_pack("{s:s,s:i,s:s,s:s*,s:s*,s:o}", "method", r->method,
		    "version", r->version, "result", r->result, "reason", r->reason, "comment",
		    r->comment, "props", props));
	}
	return json_pack("{s:b,s:s,s:i,s:b,s:o}", "ok", 1, "authserv_id", ar->authserv_id,
	    "version", ar->version, "none", ar->none, "results", res);
}

static const char *
str_or_null(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Build a struct from JSON; strings point into the JSON object. */
static int
ar_from_json(struct inkan_arena *a, json_t *j, struct inkan_authres *ar)
{
	json_t *res = json_object_get(j, "results");

	memset(ar, 0, sizeof(*ar));
	ar->authserv_id = str_or_null(j, "authserv_id");
	ar->version = (int)json_integer_value(json_object_get(j, "version"));
	ar->none = json_is_true(json_object_get(j, "none"));
	ar->nresults = json_array_size(res);
	if (ar->nresults > 0 && (ar->results = inkan_arena_zalloc(a, ar->nresults *
	    sizeof(*ar->results))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < ar->nresults; i++) {
		json_t *r = json_array_get(res, i), *props = json_object_get(r, "props");
		struct inkan_authres_result *o = &ar->results[i];

		o->method = str_or_null(r, "method");
		o->version = (int)json_integer_value(json_object_get(r, "version"));
		o->result = str_or_null(r, "result");
		o->reason = str_or_null(r, "reason");
		o->comment = str_or_null(r, "comment");
		o->nprops = json_array_size(props);
		if (o->nprops > 0 && (o->props = inkan_arena_zalloc(a, o->nprops *
		    sizeof(*o->props))) == NULL)
			return INKAN_ENOMEM;
		for (size_t k = 0; k < o->nprops; k++) {
			json_t *p = json_array_get(props, k);

			o->props[k].ptype = json_string_value(json_array_get(p, 0));
			o->props[k].property = json_string_value(json_array_get(p, 1));
			o->props[k].value = json_string_value(json_array_get(p, 2));
		}
	}
	return 0;
}

static int
run_json(void)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0) {
		json_error_t jerr;
		json_t *in = json_loads(line, 0, &jerr), *out;
		struct inkan_arena *a = inkan_arena_new();
		const char *op = str_or_null(in, "op");

		if (in == NULL || op == NULL || a == NULL) {
			out = json_pack("{s:b,s:s}", "ok", 0, "why", "bad request");
		} else if (strcmp(op, "parse") == 0) {
			json_t *jv = json_object_get(in, "value");
			struct inkan_authres ar;
			const char *why;
			int rc = inkan_authres_parse(a, json_string_value(jv), json_string_length(jv),
			    json_is_true(json_object_get(in, "lenient")) ? INKAN_AUTHRES_LENIENT : 0,
			    &ar, &why);

			out = rc == 0 ? ar_to_json(&ar) :
			    json_pack("{s:b,s:i,s:s}", "ok", 0, "error", rc, "why", why);
		} else {
			struct inkan_authres ar;
			struct inkan_buf b;
			json_t *fold = json_object_get(in, "fold");
			int rc = ar_from_json(a, json_object_get(in, "ar"), &ar);

			inkan_buf_init(&b, 0);
			if (rc == 0)
				rc = json_is_integer(fold) ?
				    inkan_authres_format(&ar, (size_t)json_integer_value(fold), &b) :
				    inkan_authres_format_line(&ar, &b);
			out = rc == 0 ? json_pack("{s:b,s:s}", "ok", 1, "value", inkan_buf_cstr(&b)) :
			    json_pack("{s:b,s:i,s:s}", "ok", 0, "error", rc, "why", inkan_strerror(rc));
			inkan_buf_free(&b);
		}
		char *s = json_dumps(out, JSON_COMPACT);

		printf("%s\n", s);
		fflush(stdout);
		free(s);
		json_decref(out);
		json_decref(in);
		inkan_arena_free(a);
	}
	free(line);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "cases") == 0)
		return run_cases(argv[2]);
	if (argc == 2 && strcmp(argv[1], "json") == 0)
		return run_json();
	fprintf(stderr, "usage: authres_suite cases FILE | authres_suite json\n");
	return 2;
}
