/* mtasts.c - the mta-sts and tls-rpt categories: the _mta-sts TXT record,
 * the policy fetched as RFC 8461 §3.3 says (lib/mtasts does the fetch),
 * its mode and max_age, whether it covers every MX host (§4.1); and the
 * _smtp._tls record of RFC 8460.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/mtasts.h"
#include "inkan/tlsrpt.h"
#include "check_int.h"

#define ITEM(...) inkan__chk_item(c, INKAN_CHECK_MTASTS, __VA_ARGS__)

static const char sts_advice[] =
    "Publish a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt "
    "(\"version: STSv1\", \"mode: testing\", \"mx: <each MX host>\", \"max_age: 604800\") "
    "and \"v=STSv1; id=<date>\" at _mta-sts.<domain> (RFC 8461); go to mode: enforce "
    "once the TLS reports are clean.";

/* No MX host to protect: MTA-STS and TLS-RPT do not apply. */
static bool
no_mail(const struct chk *c)
{
	return c->null_mx || (c->nmx == 0 && !c->implicit_mx) || !c->domain_exists;
}

static const char *
fail_advice(enum inkan_mtasts_fetch_fail f)
{
	switch (f) {
	case INKAN_MTASTS_FAIL_DNS:
		return "Publish an address (A/AAAA) for mta-sts.<domain> and serve the policy "
		    "there over HTTPS.";
	case INKAN_MTASTS_FAIL_CONNECT:
	case INKAN_MTASTS_FAIL_TIMEOUT:
		return "Make the policy host answer HTTPS on port 443.";
	case INKAN_MTASTS_FAIL_TLS:
	case INKAN_MTASTS_FAIL_CERT:
		return "Serve the policy with a certificate from a public CA (RFC 8461 §3.3).";
	case INKAN_MTASTS_FAIL_CERT_NAME:
		return "The certificate must be valid for mta-sts.<domain> itself (RFC 8461 §3.3).";
	case INKAN_MTASTS_FAIL_REDIRECT:
		return "Serve the policy directly: senders must not follow redirects "
		    "(RFC 8461 §3.3).";
	case INKAN_MTASTS_FAIL_HTTP_STATUS:
		return "Serve the file at /.well-known/mta-sts.txt with status 200.";
	case INKAN_MTASTS_FAIL_MEDIA_TYPE:
		return "Serve the policy as text/plain (RFC 8461 §3.2).";
	case INKAN_MTASTS_FAIL_TOO_BIG:
		return "A policy is a few lines: serve only those (senders stop at 64 KiB).";
	case INKAN_MTASTS_FAIL_POLICY:
		return "Fix the policy file: senders ignore a policy that does not parse.";
	default:
		return "Make https://mta-sts.<domain>/.well-known/mta-sts.txt serve the policy.";
	}
}

static void
policy(struct chk *c, const struct inkan_mtasts_lookup *lk)
{
	struct inkan_mtasts_fetch_opts fo;
	struct inkan_mtasts_fetch_result fr;
	struct inkan_mtasts_connect *conn;
	struct inkan_check_item *it;
	const struct inkan_mtasts_policy *p;
	size_t nconn = 0, uncovered = 0;
	int rc;

	if (c->o->offline) {
		ITEM("mtasts-policy", INKAN_CHECK_NOT_TESTED, NULL, NULL,
		    "The policy at https://mta-sts.%s/.well-known/mta-sts.txt was not fetched "
		    "(offline)", c->domain);
		return;
	}
	memset(&fo, 0, sizeof(fo));
	if ((conn = inkan_arena_zalloc(c->a, (c->o->nconnect + 1) * sizeof(*conn))) == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->o->nconnect; i++) {
		const struct inkan_check_connect *k = &c->o->connect[i];

		if (k->service != 0 && k->service != 443)
			continue;
		conn[nconn].host = k->host != NULL && strcmp(k->host, "*") != 0 ? k->host : NULL;
		conn[nconn].addr = k->addr;
		conn[nconn].port = k->port;
		nconn++;
	}
	fo.ca_file = c->o->ca_file;
	fo.connect = conn;
	fo.nconnect = nconn;
	fo.resolver = c->r;
	if (c->o->timeout_ms != 0)
		fo.connect_timeout_ms = fo.timeout_ms = c->o->timeout_ms;
	rc = inkan_mtasts_fetch(c->a, lk->domain, &fo, &fr);
	if (rc == INKAN_EIO) {
		ITEM("mtasts-policy", INKAN_CHECK_ERROR, NULL, NULL,
		    "The HTTPS client could not be started");
		return;
	}
	if (inkan__chk_fail(c, rc))
		return;
	if (fr.status != INKAN_MTASTS_FETCH_OK) {
		it = ITEM("mtasts-policy", INKAN_CHECK_FAIL, NULL, fail_advice(fr.fail),
		    "No valid policy: %s", fr.why ? fr.why : "fetch failed");
		inkan__chk_ev(c, it, "GET %s", fr.url ? fr.url : "");
		inkan__chk_ev(c, it, "failure: %s", inkan_mtasts_fetch_fail_name(fr.fail));
		if (fr.http_status != 0)
			inkan__chk_ev(c, it, "HTTP %ld%s%s", fr.http_status,
			    fr.content_type ? ", Content-Type: " : "",
			    fr.content_type ? fr.content_type : "");
		if (fr.location != NULL)
			inkan__chk_ev(c, it, "Location: %s", fr.location);
		for (size_t i = 0; i < fr.diag.n; i++)
			inkan__chk_ev(c, it, "line %u: %s (%s)", fr.diag.problems[i].line,
			    fr.diag.problems[i].message,
			    inkan_lint_severity_name(fr.diag.problems[i].severity));
		return;
	}
	p = &fr.policy;
	c->mtasts_valid = true;
	c->mtasts_mode = p->mode;
	if ((c->mtasts_policy = inkan_arena_memdup(c->a, p, sizeof(*p))) == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	it = ITEM("mtasts-policy", INKAN_CHECK_PASS, NULL, NULL,
	    "Policy fetched from %s", fr.url);
	if (fr.body != NULL) {
		const char *s = fr.body, *e;

		while (*s != '\0' && (e = strchr(s, '\n')) != NULL) {
			inkan__chk_ev(c, it, "%.*s", (int)(e - s - (e > s && e[-1] == '\r')), s);
			s = e + 1;
		}
		if (*s != '\0')
			inkan__chk_ev(c, it, "%s", s);
	}
	for (size_t i = 0; i < fr.diag.n; i++) {
		const struct inkan_mtasts_problem *pr = &fr.diag.problems[i];

		it = ITEM("mtasts-policy", INKAN_CHECK_WARN, NULL,
		    "Write the policy exactly as RFC 8461 §3.2 says; other senders may be "
		    "stricter than this check.", "Policy line %u: %s", pr->line, pr->message);
	}

	switch (p->mode) {
	case INKAN_MTASTS_MODE_ENFORCE:
		ITEM("mtasts-mode", INKAN_CHECK_PASS, NULL, NULL,
		    "mode: enforce: senders deliver only over authenticated TLS");
		break;
	case INKAN_MTASTS_MODE_TESTING:
		ITEM("mtasts-mode", INKAN_CHECK_WARN, NULL,
		    "Move to mode: enforce once TLS reports show no failures.",
		    "mode: testing: failures are reported but mail is still delivered "
		    "without authenticated TLS");
		break;
	case INKAN_MTASTS_MODE_NONE:
		ITEM("mtasts-mode", INKAN_CHECK_WARN, NULL,
		    "mode: none withdraws MTA-STS (RFC 8461 §8.3); publish enforce or testing "
		    "if that is not the intent.", "mode: none: the policy protects nothing");
		return;
	}
	if (p->max_age < 86400)
		ITEM("mtasts-max-age", INKAN_CHECK_WARN, NULL,
		    "Use a max_age of weeks (RFC 8461 §3.2 suggests that; 604800 is one week), "
		    "so that a cached policy protects between fetches.",
		    "max_age %u is under a day", p->max_age);
	else
		ITEM("mtasts-max-age", INKAN_CHECK_PASS, NULL, NULL, "max_age %u (%u days)",
		    p->max_age, p->max_age / 86400);

	for (size_t i = 0; i < c->nmx && c->mx[i].examined; i++) {
		const char *m = inkan_mtasts_policy_match(p, c->mx[i].name);

		if (m != NULL)
			continue;
		uncovered++;
		it = ITEM("mtasts-mx", p->mode == INKAN_MTASTS_MODE_ENFORCE ? INKAN_CHECK_FAIL :
		    INKAN_CHECK_WARN, c->mx[i].name,
		    "Add an mx: line for this host to the policy (and change its id), or "
		    "remove the MX record.",
		    "MX host %s matches no mx pattern of the policy: %s", c->mx[i].name,
		    p->mode == INKAN_MTASTS_MODE_ENFORCE ? "senders will not deliver to it" :
		    "deliveries to it are reported as failures");
		for (size_t k = 0; k < p->nmx; k++)
			inkan__chk_ev(c, it, "mx: %s", p->mx[k]);
	}
	if (uncovered == 0 && c->nmx > 0) {
		it = ITEM("mtasts-mx", INKAN_CHECK_PASS, NULL, NULL,
		    "Every MX host matches an mx pattern of the policy");
		for (size_t i = 0; i < c->nmx && c->mx[i].examined; i++)
			inkan__chk_ev(c, it, "%s -> %s", c->mx[i].name,
			    inkan_mtasts_policy_match(p, c->mx[i].name));
	}
}

void
inkan__chk_mtasts(struct chk *c)
{
	struct inkan_mtasts_lookup lk;
	struct inkan_check_item *it;

	if (!inkan__chk_want(c, INKAN_CHECK_MTASTS) && !inkan__chk_want(c, INKAN_CHECK_TLS))
		return;
	if (inkan__chk_fail(c, inkan_mtasts_record_lookup(c->r, c->a, c->domain, &lk)))
		return;
	switch (lk.status) {
	case INKAN_MTASTS_RECORD_NONE:
		it = ITEM("mtasts-record", no_mail(c) ? INKAN_CHECK_INFO : INKAN_CHECK_WARN, NULL,
		    no_mail(c) ? NULL : sts_advice, no_mail(c) ?
		    "No MTA-STS record; the domain takes no mail" :
		    "No MTA-STS: senders fall back to unauthenticated TLS, which an attacker "
		    "on the path can strip");
		inkan__chk_ev(c, it, "TXT %s: %s", lk.qname ? lk.qname : "_mta-sts",
		    lk.why ? lk.why : "none");
		return;
	case INKAN_MTASTS_RECORD_INVALID:
	case INKAN_MTASTS_RECORD_MULTIPLE:
		it = ITEM("mtasts-record", INKAN_CHECK_FAIL, NULL,
		    lk.status == INKAN_MTASTS_RECORD_MULTIPLE ?
		    "Keep one v=STSv1 record: with several, senders assume no policy (RFC 8461 "
		    "§3.1)." : "Fix the record: \"v=STSv1; id=<1-32 letters and digits>\".",
		    "%s", lk.why ? lk.why : "bad MTA-STS record");
		for (size_t i = 0; i < lk.ntxt; i++)
			inkan__chk_ev(c, it, "TXT %s \"%s\"", lk.qname, lk.txts[i]);
		return;
	case INKAN_MTASTS_RECORD_TEMPERROR:
		it = ITEM("mtasts-record", INKAN_CHECK_ERROR, NULL, NULL,
		    "The MTA-STS record lookup failed: %s", lk.why ? lk.why : "DNS failure");
		return;
	case INKAN_MTASTS_RECORD_FOUND:
		break;
	}
	it = ITEM("mtasts-record", INKAN_CHECK_PASS, NULL, NULL, "MTA-STS record, id=%s",
	    lk.record.id);
	inkan__chk_ev(c, it, "TXT %s \"%s\"", lk.qname, lk.txt);
	policy(c, &lk);
}

void
inkan__chk_tlsrpt(struct chk *c)
{
	struct inkan_tlsrpt_lookup lk;
	struct inkan_check_item *it;
	bool bad = false;

	if (!inkan__chk_want(c, INKAN_CHECK_TLSRPT))
		return;
	if (inkan__chk_fail(c, inkan_tlsrpt_record_lookup(c->r, c->a, c->domain, &lk)))
		return;
	switch (lk.status) {
	case INKAN_TLSRPT_NONE:
		it = inkan__chk_item(c, INKAN_CHECK_TLSRPT, "tlsrpt-record",
		    no_mail(c) ? INKAN_CHECK_INFO : INKAN_CHECK_WARN, NULL, no_mail(c) ? NULL :
		    "Publish \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\" at _smtp._tls.<domain> "
		    "(RFC 8460) to hear when senders cannot deliver over TLS.",
		    no_mail(c) ? "No TLS-RPT record; the domain takes no mail" :
		    "No TLS-RPT record: nobody tells you when TLS to your MX hosts fails");
		inkan__chk_ev(c, it, "TXT %s: %s", lk.qname ? lk.qname : "_smtp._tls",
		    lk.why ? lk.why : "none");
		return;
	case INKAN_TLSRPT_INVALID:
	case INKAN_TLSRPT_MULTIPLE:
		it = inkan__chk_item(c, INKAN_CHECK_TLSRPT, "tlsrpt-record", INKAN_CHECK_FAIL, NULL,
		    "Keep one record: \"v=TLSRPTv1; rua=mailto:<address>\" (RFC 8460 §3).",
		    "%s", lk.why ? lk.why : "bad TLS-RPT record");
		for (size_t i = 0; i < lk.ntxt; i++)
			inkan__chk_ev(c, it, "TXT %s \"%s\"", lk.qname, lk.txts[i]);
		return;
	case INKAN_TLSRPT_TEMPERROR:
		inkan__chk_item(c, INKAN_CHECK_TLSRPT, "tlsrpt-record", INKAN_CHECK_ERROR, NULL, NULL,
		    "The TLS-RPT record lookup failed: %s", lk.why ? lk.why : "DNS failure");
		return;
	case INKAN_TLSRPT_FOUND:
		break;
	}
	c->tlsrpt_found = true;
	for (size_t i = 0; i < lk.record.nrua; i++) {
		if (lk.record.rua[i].kind != INKAN_TLSRPT_URI_OTHER)
			continue;
		bad = true;
		it = inkan__chk_item(c, INKAN_CHECK_TLSRPT, "tlsrpt-record", INKAN_CHECK_WARN,
		    lk.record.rua[i].uri, "Use mailto: or https: URIs (RFC 8460 §3).",
		    "rua URI %s is neither mailto: nor https: and is not used",
		    lk.record.rua[i].uri);
	}
	it = inkan__chk_item(c, INKAN_CHECK_TLSRPT, "tlsrpt-record", INKAN_CHECK_PASS, NULL, NULL,
	    "TLS-RPT record: reports go to %zu destination%s%s", lk.record.nusable,
	    lk.record.nusable == 1 ? "" : "s", bad ? " (others ignored)" : "");
	inkan__chk_ev(c, it, "TXT %s \"%s\"", lk.qname, lk.txt);
}
