/* policy.c - the receiver's decision over a verify result (policy.h).
 *
 * Order: a DNS temperror that matters first (the verdict is not known,
 * so nothing else can be decided), then SPF fail, then the DMARC
 * disposition with its local overrides.  The strictest action wins only
 * in that order: a tempfail stops before a reject could be considered,
 * because rejecting on a half-known verdict is what temperror handling
 * exists to prevent.
 */
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/policy.h"
#include "inkan/verify.h"

static const char *const action_names[] = {
	[INKAN_POLICY_ACCEPT] = "accept",
	[INKAN_POLICY_QUARANTINE] = "quarantine",
	[INKAN_POLICY_REJECT] = "reject",
	[INKAN_POLICY_TEMPFAIL] = "tempfail",
};

const char *
inkan_policy_action_name(enum inkan_policy_action a)
{
	if ((unsigned)a < sizeof(action_names) / sizeof(action_names[0]))
		return action_names[a];
	return "unknown";
}

int
inkan_policy_action_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcasecmp(s, action_names[i]) == 0)
			return (int)i;
	return -1;
}

char *
inkan_policy_safe_text(struct inkan_arena *a, const char *s, size_t max)
{
	if (max == 0)
		max = INKAN_POLICY_MAX_TEXT;
	if (max < 4)
		max = 4;
	if (s == NULL)
		s = "";
	size_t n = strlen(s);
	bool cut = n > max;
	if (cut)
		n = max - 3;
	char *o = inkan_arena_alloc(a, n + 4);
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		o[i] = c >= 0x20 && c < 0x7f && c != '%' ? (char)c : '?';
	}
	if (cut)
		memcpy(o + n, "...", 3), n += 3;
	o[n] = '\0';
	return o;
}

/* d equal to e or below it, ignoring case and a trailing dot on either. */
static bool
domain_within(const char *d, const char *e)
{
	size_t dl = strlen(d), el = strlen(e);
	if (dl > 0 && d[dl - 1] == '.')
		dl--;
	if (el > 0 && e[el - 1] == '.')
		el--;
	if (el == 0 || dl < el)
		return false;
	if (strncasecmp(d + dl - el, e, el) != 0)
		return false;
	return dl == el || d[dl - el - 1] == '.';
}

bool
inkan_policy_domain_listed(const char *const *list, const char *d)
{
	if (list == NULL || d == NULL)
		return false;
	for (size_t i = 0; list[i] != NULL; i++)
		if (domain_within(d, list[i]))
			return true;
	return false;
}

bool
inkan_policy_is_internal(const struct inkan_policy *p, const struct inkan_ip *ip, bool has_ip,
    const char *auth_user)
{
	if (p == NULL)
		return false;
	if (p->auth_is_internal && auth_user != NULL && auth_user[0] != '\0')
		return true;
	if (!has_ip || ip == NULL)
		return false;
	struct inkan_ip v = *ip;
	inkan_ip_unmap(&v);
	for (size_t i = 0; i < p->ninternal; i++)
		if (p->internal_nets[i].ip.family == v.family &&
		    inkan_ip_match(&v, &p->internal_nets[i].ip, p->internal_nets[i].prefix))
			return true;
	return false;
}

/* The newest ARC seal's domain, for a passing chain; NULL otherwise. */
static const char *
newest_sealer(const struct inkan_verify_result *res)
{
	if (!res->arc_evaluated || res->arc.cv != INKAN_ARC_PASS || res->arc.n == 0)
		return NULL;
	const struct inkan_arc_set *best = NULL;
	for (size_t i = 0; i < res->arc.n; i++)
		if (best == NULL || res->arc.sets[i].i > best->i)
			best = &res->arc.sets[i];
	return best != NULL ? best->as_d : NULL;
}

static const char *
domain_or(const char *d, const char *dflt)
{
	return d != NULL && d[0] != '\0' ? d : dflt;
}

static int
reply(struct inkan_arena *a, struct inkan_policy_decision *out, enum inkan_policy_action act,
    const char *xcode, const char *text)
{
	out->action = act;
	if (act == INKAN_POLICY_REJECT || act == INKAN_POLICY_TEMPFAIL) {
		out->rcode = act == INKAN_POLICY_REJECT ? "550" : "451";
		out->xcode = xcode;
		out->text = inkan_policy_safe_text(a, text, 0);
		if (out->text == NULL)
			return INKAN_ENOMEM;
	}
	return 0;
}

/* The action for a DMARC disposition, with the overrides of policy.h. */
static int
decide_dmarc(const struct inkan_policy *p, struct inkan_arena *a,
    const struct inkan_verify_result *res, struct inkan_policy_decision *out)
{
	const struct inkan_dmarc_eval *d = &res->dmarc;
	const char *dom = domain_or(d->from_domain, domain_or(res->from.domain, "(none)"));
	const char *pname = inkan_dmarc_policy_name(res->disposition);

	/* DMARC's own downgrades (t=y, pct) are already in the
	 * disposition: say why it is weaker than the policy. */
	if (d->result == INKAN_DMARC_FAIL && d->testing && res->disposition < d->policy) {
		out->reason_type = "policy_test_mode";
		out->reason_comment = "t=y";
	} else if (d->result == INKAN_DMARC_FAIL && d->sampled_out) {
		out->reason_type = "sampled_out";
		out->reason_comment = "pct";
	}
	out->applied = res->disposition == INKAN_DMARC_P_UNSPEC ? INKAN_DMARC_P_NONE :
	    res->disposition;
	if (res->disposition != INKAN_DMARC_P_REJECT &&
	    res->disposition != INKAN_DMARC_P_QUARANTINE)
		return 0;

	bool bad_from = d->result == INKAN_DMARC_PERMERROR &&
	    res->from.status != INKAN_DMARC_FROM_OK;
	out->trigger = "dmarc";
	out->why = bad_from ?
	    inkan_arena_printf(a, "From field unusable (%s): %s",
		inkan_dmarc_from_status_name(res->from.status), pname) :
	    inkan_arena_printf(a, "DMARC policy of %s: %s", domain_or(d->policy_domain, dom),
		pname);
	if (out->why == NULL)
		return INKAN_ENOMEM;

	if (!bad_from && inkan_policy_domain_listed(p->exempt_domains, dom)) {
		out->applied = INKAN_DMARC_P_NONE;
		out->reason_type = "local_policy";
		out->reason_comment = "exempt domain";
		out->trigger = NULL;
		return 0;
	}
	const char *sealer = newest_sealer(res);
	if (sealer != NULL && inkan_policy_domain_listed(p->trusted_sealers, sealer)) {
		out->applied = INKAN_DMARC_P_NONE;
		out->reason_type = "trusted_forwarder";
		out->reason_comment = inkan_arena_printf(a, "arc=pass sealed by %s", sealer);
		out->trigger = NULL;
		return out->reason_comment != NULL ? 0 : INKAN_ENOMEM;
	}

	enum inkan_policy_action act = res->disposition == INKAN_DMARC_P_REJECT ?
	    p->dmarc_reject : p->dmarc_quarantine;
	if (act == INKAN_POLICY_TEMPFAIL)
		act = INKAN_POLICY_REJECT;	/* not a temporary condition */
	out->applied = act == INKAN_POLICY_REJECT ? INKAN_DMARC_P_REJECT :
	    act == INKAN_POLICY_QUARANTINE ? INKAN_DMARC_P_QUARANTINE : INKAN_DMARC_P_NONE;
	if (out->applied != res->disposition && out->reason_type == NULL) {
		out->reason_type = "local_policy";
		out->reason_comment = inkan_arena_printf(a, "receiver action %s",
		    inkan_policy_action_name(act));
		if (out->reason_comment == NULL)
			return INKAN_ENOMEM;
	}
	if (act == INKAN_POLICY_ACCEPT) {
		out->trigger = NULL;
		return 0;
	}
	const char *text = bad_from ?
	    inkan_arena_printf(a, "Message rejected: the From field cannot be used for DMARC (%s)",
		res->from.why != NULL ? res->from.why :
		inkan_dmarc_from_status_name(res->from.status)) :
	    inkan_arena_printf(a, "Message rejected: DMARC policy of %s requires %s (%s)",
		domain_or(d->policy_domain, dom), pname,
		d->reason != NULL ? d->reason : "no aligned SPF or DKIM pass");
	if (text == NULL)
		return INKAN_ENOMEM;
	return reply(a, out, act, "5.7.26", text);
}

int
inkan_policy_decide(const struct inkan_policy *p, struct inkan_arena *a,
    const struct inkan_verify_result *res, struct inkan_policy_decision *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (p == NULL || a == NULL || res == NULL || out == NULL)
		return INKAN_EINVAL;
	out->applied = INKAN_DMARC_P_NONE;

	bool dmarc_pass = res->dmarc.result == INKAN_DMARC_PASS;
	bool spf_acts = p->spf_fail != INKAN_POLICY_ACCEPT && res->spf_evaluated && !dmarc_pass;
	bool spf_temp = spf_acts && res->spf.result == INKAN_SPF_TEMPERROR;
	bool dmarc_temp = res->dmarc.result == INKAN_DMARC_TEMPERROR;

	if (dmarc_temp || spf_temp) {
		if (p->temperror != INKAN_POLICY_TEMPFAIL) {
			out->temperror_accepted = true;
		} else {
			const char *dom = dmarc_temp ?
			    domain_or(res->dmarc.from_domain, domain_or(res->from.domain, "?")) :
			    domain_or(res->spf.domain, "?");
			const char *text = inkan_arena_printf(a,
			    "%s check for %s could not be completed (%s); try again later",
			    dmarc_temp ? "DMARC" : "SPF", dom,
			    dmarc_temp ? (res->dmarc.reason ? res->dmarc.reason : "DNS error") :
			    (res->spf.problem ? res->spf.problem : "DNS error"));
			out->trigger = "temperror";
			out->why = dmarc_temp ? "DMARC temperror" : "SPF temperror";
			if (text == NULL)
				return INKAN_ENOMEM;
			return reply(a, out, INKAN_POLICY_TEMPFAIL, dmarc_temp ? "4.4.3" : "4.7.24",
			    text);
		}
	}

	if (spf_acts && res->spf.result == INKAN_SPF_FAIL) {
		const char *dom = domain_or(res->spf.domain, "?");
		out->trigger = "spf";
		out->why = inkan_arena_printf(a, "SPF fail for %s", dom);
		if (out->why == NULL)
			return INKAN_ENOMEM;
		if (p->spf_fail == INKAN_POLICY_REJECT || p->spf_fail == INKAN_POLICY_TEMPFAIL) {
			/* RFC 7208 §8.4: the explanation may be returned. */
			const char *text = inkan_arena_printf(a, "SPF check failed for %s%s%s", dom,
			    res->spf.explanation != NULL ? ": " : "",
			    res->spf.explanation != NULL ? res->spf.explanation : "");
			if (text == NULL)
				return INKAN_ENOMEM;
			out->applied = INKAN_DMARC_P_REJECT;
			if (res->disposition != INKAN_DMARC_P_REJECT) {
				out->reason_type = "local_policy";
				out->reason_comment = "SPF fail";
			}
			return reply(a, out, INKAN_POLICY_REJECT, "5.7.23", text);
		}
		out->action = INKAN_POLICY_QUARANTINE;
	}

	enum inkan_policy_action spf_action = out->action;
	const char *spf_why = out->why;
	out->action = INKAN_POLICY_ACCEPT;
	out->why = out->trigger = NULL;
	int err = decide_dmarc(p, a, res, out);
	if (err != 0)
		return err;
	if (out->action == INKAN_POLICY_ACCEPT && spf_action == INKAN_POLICY_QUARANTINE) {
		out->action = INKAN_POLICY_QUARANTINE;
		out->trigger = "spf";
		out->why = spf_why;
		out->applied = INKAN_DMARC_P_QUARANTINE;
		if (res->disposition != INKAN_DMARC_P_QUARANTINE) {
			out->reason_type = "local_policy";
			out->reason_comment = "SPF fail";
		}
	}
	return 0;
}
