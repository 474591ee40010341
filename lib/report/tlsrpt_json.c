/* tlsrpt_json.c - SMTP TLS reports: RFC 8460 §4.4 JSON to struct
 * inkan_tlsrpt_report.
 *
 * jansson rejects invalid UTF-8 and NUL bytes in strings, so every string
 * that comes out is valid UTF-8.  Member names are the RFC's; the
 * well-known deviations are accepted: "mx-host" as a string instead of a
 * list, counts missing (0), and upper-case result types (lower-cased).
 * Required (§4.4): organization-name, date-range, report-id, policies
 * with policy-type and summary.
 */
#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report.h"
#include "report_int.h"

struct pj {
	struct inkan_arena *a;
	struct inkan_report_diag *d;
	int err;
};

static void
fail(struct pj *x, int err, const char *what)
{
	if (x->err == 0) {
		x->err = err;
		inkan__report_why(x->d, "%s", what);
	}
}

static const char *
str(struct pj *x, json_t *o, const char *key, bool lower, bool req)
{
	json_t *v = json_object_get(o, key);
	const char *s, *e;
	char *out;

	if (v == NULL || json_is_null(v)) {
		if (req) {
			char m[96];
			snprintf(m, sizeof(m), "missing \"%s\"", key);
			fail(x, INKAN_EMALFORMED, m);
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		char m[96];
		snprintf(m, sizeof(m), "\"%s\" is not a string", key);
		fail(x, INKAN_EMALFORMED, m);
		return NULL;
	}
	s = json_string_value(v);
	e = s + json_string_length(v);
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s == e) {
		if (req) {
			char m[96];
			snprintf(m, sizeof(m), "empty \"%s\"", key);
			fail(x, INKAN_EMALFORMED, m);
		}
		return NULL;
	}
	out = inkan_arena_strndup(x->a, s, (size_t)(e - s));
	if (out == NULL)
		fail(x, INKAN_ENOMEM, "out of memory");
	else if (lower)
		for (char *c = out; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	return out;
}

static uint64_t
count(struct pj *x, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		char m[96];
		snprintf(m, sizeof(m), "\"%s\" is not a non-negative integer", key);
		fail(x, INKAN_EMALFORMED, m);
		return 0;
	}
	return (uint64_t)json_integer_value(v);
}

/* A string or a list of strings, as a list. */
static const char **
strings(struct pj *x, json_t *o, const char *key, size_t *n)
{
	json_t *v = json_object_get(o, key);
	const char **out;
	size_t i, k = 0;

	*n = 0;
	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v)) {
		out = inkan_arena_alloc(x->a, sizeof(*out));
		if (out == NULL || (out[0] = inkan_arena_strdup(x->a, json_string_value(v))) == NULL) {
			fail(x, INKAN_ENOMEM, "out of memory");
			return NULL;
		}
		*n = 1;
		return out;
	}
	if (!json_is_array(v)) {
		char m[96];
		snprintf(m, sizeof(m), "\"%s\" is neither a string nor a list", key);
		fail(x, INKAN_EMALFORMED, m);
		return NULL;
	}
	if (json_array_size(v) == 0)
		return NULL;
	out = inkan_arena_zalloc(x->a, json_array_size(v) * sizeof(*out));
	if (out == NULL) {
		fail(x, INKAN_ENOMEM, "out of memory");
		return NULL;
	}
	json_array_foreach(v, i, o) {
		if (!json_is_string(o)) {
			char m[96];
			snprintf(m, sizeof(m), "\"%s\" holds a non-string", key);
			fail(x, INKAN_EMALFORMED, m);
			return NULL;
		}
		if ((out[k++] = inkan_arena_strdup(x->a, json_string_value(o))) == NULL) {
			fail(x, INKAN_ENOMEM, "out of memory");
			return NULL;
		}
	}
	*n = k;
	return out;
}

static void
parse_policy(struct pj *x, json_t *item, struct inkan_tlsrpt_policy *p)
{
	json_t *pol = json_object_get(item, "policy");
	json_t *sum = json_object_get(item, "summary");
	json_t *fd = json_object_get(item, "failure-details");
	json_t *f;
	size_t i;

	if (!json_is_object(item) || !json_is_object(pol)) {
		fail(x, INKAN_EMALFORMED, "a policies entry without a \"policy\" object");
		return;
	}
	if (!json_is_object(sum)) {
		fail(x, INKAN_EMALFORMED, "a policies entry without a \"summary\" object");
		return;
	}
	p->policy_type = str(x, pol, "policy-type", true, true);
	p->policy_domain = str(x, pol, "policy-domain", true, false);
	p->policy_string = strings(x, pol, "policy-string", &p->npolicy_string);
	p->mx_host = strings(x, pol, "mx-host", &p->nmx_host);
	p->successful = count(x, sum, "total-successful-session-count");
	p->failed = count(x, sum, "total-failure-session-count");
	if (fd == NULL || json_is_null(fd))
		return;
	if (!json_is_array(fd)) {
		fail(x, INKAN_EMALFORMED, "\"failure-details\" is not a list");
		return;
	}
	if (json_array_size(fd) > INKAN_REPORT_MAX_ROWS) {
		fail(x, INKAN_ELIMIT, "too many failure-details");
		return;
	}
	p->nfailures = json_array_size(fd);
	if (p->nfailures == 0)
		return;
	p->failures = inkan_arena_zalloc(x->a, p->nfailures * sizeof(*p->failures));
	if (p->failures == NULL) {
		fail(x, INKAN_ENOMEM, "out of memory");
		return;
	}
	json_array_foreach(fd, i, f) {
		struct inkan_tlsrpt_failure *t = &p->failures[i];

		if (!json_is_object(f)) {
			fail(x, INKAN_EMALFORMED, "a failure-details entry is not an object");
			return;
		}
		t->result_type = str(x, f, "result-type", true, true);
		t->sending_mta_ip = str(x, f, "sending-mta-ip", false, false);
		t->receiving_mx_hostname = str(x, f, "receiving-mx-hostname", true, false);
		t->receiving_mx_helo = str(x, f, "receiving-mx-helo", false, false);
		t->receiving_ip = str(x, f, "receiving-ip", false, false);
		t->additional_information = str(x, f, "additional-information", false, false);
		t->failure_reason_code = str(x, f, "failure-reason-code", false, false);
		t->failed_session_count = count(x, f, "failed-session-count");
	}
}

int
inkan_tlsrpt_parse_json(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_tlsrpt_report *out, struct inkan_report_diag *d)
{
	struct pj x = { a, d, 0 };
	json_error_t je;
	json_t *root, *dr, *pols, *item;
	const char *t;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len > INKAN_REPORT_MAX_BYTES) {
		inkan__report_why(d, "report larger than %u bytes", INKAN_REPORT_MAX_BYTES);
		return INKAN_ETOOBIG;
	}
	/* JSON_REJECT_DUPLICATES: two "report-id" members would make the
	 * report mean whichever one a reader happens to keep. */
	root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		inkan__report_why(d, "not valid JSON (line %d: %s)", je.line, je.text);
		return INKAN_EMALFORMED;
	}
	if (!json_is_object(root)) {
		fail(&x, INKAN_EMALFORMED, "the report is not a JSON object");
		goto done;
	}
	out->org_name = str(&x, root, "organization-name", false, true);
	out->report_id = str(&x, root, "report-id", false, true);
	out->contact_info = str(&x, root, "contact-info", false, false);
	dr = json_object_get(root, "date-range");
	if (!json_is_object(dr)) {
		fail(&x, INKAN_EMALFORMED, "missing \"date-range\"");
		goto done;
	}
	t = str(&x, dr, "start-datetime", false, true);
	if (t != NULL && inkan_report_parse_datetime(t, &out->begin) != 0)
		fail(&x, INKAN_EMALFORMED, "\"start-datetime\" is not an RFC 3339 date-time");
	t = str(&x, dr, "end-datetime", false, true);
	if (t != NULL && inkan_report_parse_datetime(t, &out->end) != 0)
		fail(&x, INKAN_EMALFORMED, "\"end-datetime\" is not an RFC 3339 date-time");
	if (!x.err && out->end < out->begin)
		fail(&x, INKAN_EMALFORMED, "\"date-range\" ends before it begins");
	pols = json_object_get(root, "policies");
	if (!json_is_array(pols)) {
		fail(&x, INKAN_EMALFORMED, "missing \"policies\" list");
		goto done;
	}
	if (json_array_size(pols) > INKAN_REPORT_MAX_ROWS) {
		fail(&x, INKAN_ELIMIT, "too many policies");
		goto done;
	}
	out->npolicies = json_array_size(pols);
	if (out->npolicies > 0) {
		out->policies = inkan_arena_zalloc(a, out->npolicies * sizeof(*out->policies));
		if (out->policies == NULL) {
			fail(&x, INKAN_ENOMEM, "out of memory");
			goto done;
		}
	}
	json_array_foreach(pols, i, item) {
		if (x.err)
			break;
		parse_policy(&x, item, &out->policies[i]);
		out->successful += out->policies[i].successful;
		out->failed += out->policies[i].failed;
	}
done:
	json_decref(root);
	if (x.err != 0) {
		memset(out, 0, sizeof(*out));
		return x.err;
	}
	return 0;
}
