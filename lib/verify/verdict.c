/* verdict.c - a verify result as a row of the verdict store (store.h),
 * with the fields an RFC 9990 aggregate report is built from. */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/policy.h"
#include "inkan/store.h"
#include "inkan/verify.h"

static const char *
align_name(enum inkan_dmarc_align a)
{
	return a == INKAN_DMARC_ALIGN_STRICT ? "s" : "r";
}

/* fo= as written in canonical order ("0", "1:d", ...). */
static const char *
fo_text(struct inkan_arena *a, unsigned fo)
{
	static const struct { unsigned bit; const char *name; } opts[] = {
		{ INKAN_DMARC_FO_0, "0" }, { INKAN_DMARC_FO_1, "1" },
		{ INKAN_DMARC_FO_D, "d" }, { INKAN_DMARC_FO_S, "s" },
	};
	char buf[16];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!(fo & opts[i].bit))
			continue;
		if (n > 0)
			buf[n++] = ':';
		buf[n++] = opts[i].name[0];
	}
	buf[n] = '\0';
	return n > 0 ? inkan_arena_strdup(a, buf) : NULL;
}

/* The domain part of a MAIL FROM address; "" for the null path. */
static const char *
mailfrom_domain(const char *mf)
{
	if (mf == NULL)
		return NULL;
	if (mf[0] == '\0' || strcmp(mf, "<>") == 0)
		return "";
	const char *at = strrchr(mf, '@');
	return at != NULL ? at + 1 : mf;
}

int
inkan_policy_verdict(struct inkan_arena *a, const struct inkan_verify_result *res,
    const struct inkan_policy_decision *d, const char *reporter, struct inkan_verdict *out)
{
	char ip[INKAN_IP_STRLEN];
	const struct inkan_dmarc_eval *dm = &res->dmarc;

	memset(out, 0, sizeof(*out));
	out->pct = -1;
	out->reporter = reporter;
	if (res->env.has_ip &&
	    (out->source_ip = inkan_arena_strdup(a, inkan_ip_format(&res->env.ip, ip,
	    sizeof(ip)))) == NULL)
		return INKAN_ENOMEM;
	out->helo = res->env.helo;
	out->envelope_from = mailfrom_domain(res->env.mail_from);
	out->header_from = dm->from_domain != NULL ? dm->from_domain : res->from.domain;

	if (res->spf_evaluated) {
		out->spf_domain = res->spf.domain;
		out->spf_scope = strcmp(res->spf.identity, "helo") == 0 ? "helo" : "mfrom";
		out->spf_result = inkan_spf_verdict_name(res->spf.result);
		out->spf_human = res->spf.problem != NULL ? res->spf.problem :
		    res->spf.mechanism;
	}
	if (res->dkim.n > 0) {
		struct inkan_verdict_dkim *dk = inkan_arena_zalloc(a, res->dkim.n * sizeof(*dk));
		if (dk == NULL)
			return INKAN_ENOMEM;
		for (size_t i = 0; i < res->dkim.n; i++) {
			const struct inkan_dkim_sig_result *s = &res->dkim.sigs[i];
			dk[i].domain = s->d;
			dk[i].selector = s->s;
			dk[i].result = inkan_dkim_result_name(s->result);
			dk[i].human_result = s->reason;
		}
		out->dkim = dk;
		out->ndkim = res->dkim.n;
	}
	if (res->arc_evaluated)
		out->arc = inkan_arc_cv_name(res->arc.cv);

	out->dmarc_result = inkan_dmarc_result_name(dm->result);
	out->policy_domain = dm->policy_domain;
	out->discovery = inkan_dmarc_mode_name(dm->mode);
	if (dm->record != NULL) {
		const struct inkan_dmarc_record *r = dm->record;
		out->p = inkan_dmarc_policy_name(r->p);
		out->sp = inkan_dmarc_policy_name(r->sp);
		out->np = inkan_dmarc_policy_name(r->np);
		out->adkim = align_name(r->adkim);
		out->aspf = align_name(r->aspf);
		out->testing = r->testing ? "y" : "n";
		out->fo = fo_text(a, r->fo);
		if (r->has_pct)
			out->pct = (int)r->pct;
	}
	out->policy = inkan_dmarc_policy_name(dm->policy);
	out->policy_tag = dm->policy_tag;
	out->dkim_aligned = dm->dkim_aligned ? "pass" : "fail";
	out->spf_aligned = dm->spf_aligned ? "pass" : "fail";
	out->requested = inkan_dmarc_policy_name(res->disposition == INKAN_DMARC_P_UNSPEC ?
	    INKAN_DMARC_P_NONE : res->disposition);
	if (d != NULL) {
		out->disposition = inkan_dmarc_policy_name(d->applied == INKAN_DMARC_P_UNSPEC ?
		    INKAN_DMARC_P_NONE : d->applied);
		out->reason_type = d->reason_type;
		out->reason_comment = d->reason_comment;
		out->action = inkan_policy_action_name(d->action);
	} else {
		out->disposition = out->requested;
		out->action = "accept";
	}
	return 0;
}
