/* util.c - DMARC names of things, and domain normalisation. */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "dmarc_int.h"

const char *
inkan_dmarc_result_name(enum inkan_dmarc_result r)
{
	switch (r) {
	case INKAN_DMARC_NONE: return "none";
	case INKAN_DMARC_PASS: return "pass";
	case INKAN_DMARC_FAIL: return "fail";
	case INKAN_DMARC_TEMPERROR: return "temperror";
	case INKAN_DMARC_PERMERROR: return "permerror";
	}
	return "unknown";
}

const char *
inkan_dmarc_policy_name(enum inkan_dmarc_policy p)
{
	switch (p) {
	case INKAN_DMARC_P_NONE: return "none";
	case INKAN_DMARC_P_QUARANTINE: return "quarantine";
	case INKAN_DMARC_P_REJECT: return "reject";
	case INKAN_DMARC_P_UNSPEC: break;
	}
	return NULL;
}

const char *
inkan_dmarc_mode_name(enum inkan_dmarc_mode m)
{
	return m == INKAN_DMARC_PSL ? "psl" : "treewalk";
}

const char *
inkan_dmarc_problem_kind_name(enum inkan_dmarc_problem_kind k)
{
	switch (k) {
	case INKAN_DMARC_PROB_ERROR: return "error";
	case INKAN_DMARC_PROB_POLICY: return "policy";
	case INKAN_DMARC_PROB_IGNORED: return "ignored";
	case INKAN_DMARC_PROB_LEGACY: return "legacy";
	case INKAN_DMARC_PROB_UNKNOWN: return "unknown";
	case INKAN_DMARC_PROB_WARNING: return "warning";
	}
	return "unknown";
}

const char *
inkan_dmarc_from_status_name(enum inkan_dmarc_from_status s)
{
	switch (s) {
	case INKAN_DMARC_FROM_OK: return "ok";
	case INKAN_DMARC_FROM_MISSING: return "missing";
	case INKAN_DMARC_FROM_MULTIPLE_FIELDS: return "multiple-fields";
	case INKAN_DMARC_FROM_MULTIPLE_ADDRESSES: return "multiple-addresses";
	case INKAN_DMARC_FROM_GROUP: return "group";
	case INKAN_DMARC_FROM_NO_ADDRESS: return "no-address";
	case INKAN_DMARC_FROM_SYNTAX: return "syntax";
	case INKAN_DMARC_FROM_BAD_DOMAIN: return "bad-domain";
	}
	return "unknown";
}

const char *
inkan_dmarc_report_status_name(enum inkan_dmarc_report_status s)
{
	switch (s) {
	case INKAN_DMARC_REPORT_AUTHORIZED: return "authorized";
	case INKAN_DMARC_REPORT_INTERNAL: return "internal";
	case INKAN_DMARC_REPORT_NOT_AUTHORIZED: return "not-authorized";
	case INKAN_DMARC_REPORT_TEMPERROR: return "temperror";
	case INKAN_DMARC_REPORT_PERMERROR: return "permerror";
	}
	return "unknown";
}

static int
bad(const char **why, const char *text)
{
	*why = text;
	return INKAN_EMALFORMED;
}

int
inkan__dmarc_norm_domain(struct inkan_arena *a, const char *s, size_t len, const char **out,
    const char **why)
{
	char *d = NULL;
	const char *w = NULL;
	int rc;

	*out = NULL;
	if (len == 0)
		return bad(why, "empty domain");
	if (memchr(s, '\0', len) != NULL)
		return bad(why, "NUL in domain");
	/* One trailing dot is the absolute form of the same name. */
	if (len > 1 && s[len - 1] == '.')
		len--;
	rc = inkan_dname_to_ascii(a, s, len, &d, &w);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0)
		return bad(why, w != NULL ? w : "not a valid internationalised domain name");
	if (inkan_dname_check(d, strlen(d), INKAN_DNAME_HOSTNAME | INKAN_DNAME_UNDERSCORE,
	    &w) != 0)
		return bad(why, w);
	*out = d;
	return 0;
}

const char *
inkan__dmarc_suffix(const char *d, size_t n)
{
	size_t labels = inkan_dname_labels(d, strlen(d));
	const char *p = d;

	while (labels > n) {
		p = strchr(p, '.');
		if (p == NULL)
			return d;
		p++;
		labels--;
	}
	return p;
}
