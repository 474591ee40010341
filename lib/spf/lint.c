/* lint.c - static analysis of an SPF record tree (see spf_lint.h).
 *
 * The walk mirrors check_host() (RFC 7208 §4.6) but takes every branch:
 * each include and redirect target is fetched and analysed, a/mx/exists
 * targets without macros are resolved to find void lookups, and counts
 * are summed bottom-up so the root's total is the worst case a receiver
 * can meet.  Terms after "all" are never evaluated (§5.1) and a redirect
 * beside "all" is ignored (§6.1), so neither is counted.
 */
#include <stdarg.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/spf_lint.h"

/* Includes nest this deep at most before we stop following them.  Real
 * trees are 3-4 deep; past 10 the lookup limit has long been exceeded. */
#define LINT_MAX_DEPTH 12

struct lint {
	struct inkan_resolver *r;
	struct inkan_arena *a;
	struct inkan_spf_lint *out;
	size_t cap;
	const char *path[LINT_MAX_DEPTH + 1];	/* domains from the top to here */
	size_t depth;
	int err;	/* sticky INKAN_E* (ENOMEM, EAGAIN) */
};

const char *
inkan_lint_severity_name(enum inkan_lint_severity s)
{
	switch (s) {
	case INKAN_LINT_INFO:	return "info";
	case INKAN_LINT_WARN:	return "warn";
	case INKAN_LINT_ERROR:	return "error";
	}
	return "?";
}

const char *
inkan_spf_node_status_name(enum inkan_spf_node_status s)
{
	static const char *const names[] = { "ok", "none", "nxdomain", "multiple", "syntax",
		"dns-error", "loop", "macro", "depth" };

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static void
finding(struct lint *l, enum inkan_lint_severity sev, const char *id, const char *domain,
    const char *record, long offset, const char *advice, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void
finding(struct lint *l, enum inkan_lint_severity sev, const char *id, const char *domain,
    const char *record, long offset, const char *advice, const char *fmt, ...)
{
	struct inkan_spf_lint *o = l->out;
	struct inkan_spf_finding *f;
	va_list ap;

	if (l->err)
		return;
	if (o->nfindings == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct inkan_spf_finding *nf = inkan_arena_alloc(l->a, nc * sizeof(*nf));

		if (nf == NULL) {
			l->err = INKAN_ENOMEM;
			return;
		}
		if (o->nfindings > 0)
			memcpy(nf, o->findings, o->nfindings * sizeof(*nf));
		o->findings = nf;
		l->cap = nc;
	}
	f = &o->findings[o->nfindings];
	f->severity = sev;
	f->id = id;
	f->domain = domain;
	f->record = record;
	f->offset = offset;
	f->advice = advice;
	va_start(ap, fmt);
	f->message = inkan_arena_vprintf(l->a, fmt, ap);
	va_end(ap);
	if (f->message == NULL) {
		l->err = INKAN_ENOMEM;
		return;
	}
	o->nfindings++;
	if (sev == INKAN_LINT_ERROR)
		o->errors++;
	else if (sev == INKAN_LINT_WARN)
		o->warnings++;
}

static int
query(struct lint *l, const char *name, uint16_t type, struct inkan_dns_answer *ans)
{
	int rc;

	if (l->err)
		return l->err;
	rc = inkan_dns_query(l->r, l->a, name, type, ans);
	if (rc != 0)
		l->err = rc;
	return rc;
}

static bool
has_macro(struct inkan_slice s)
{
	return memchr(s.p, '%', s.len) != NULL;
}

static char *
slice_dup(struct lint *l, struct inkan_slice s)
{
	char *p = inkan_arena_strndup(l->a, s.p, s.len);

	if (p == NULL)
		l->err = INKAN_ENOMEM;
	return p;
}

/* Does name have an address (A or AAAA)?  Returns -1 on DNS failure. */
static int
has_address(struct lint *l, const char *name)
{
	struct inkan_dns_answer a4, a6;

	if (query(l, name, INKAN_DNS_A, &a4) != 0)
		return -1;
	if (a4.status == INKAN_DNS_OK)
		return 1;
	if (query(l, name, INKAN_DNS_AAAA, &a6) != 0)
		return -1;
	if (a6.status == INKAN_DNS_OK)
		return 1;
	if (a4.status == INKAN_DNS_SERVFAIL || a4.status == INKAN_DNS_TIMEOUT)
		return -1;
	return 0;
}

static struct inkan_spf_node *lint_domain(struct lint *l, const char *domain, const char *via,
    char qualifier);

/* a, mx and exists targets without macros: find void lookups (§4.6.4)
 * and MX sets over the limit. */
static void
lint_target(struct lint *l, struct inkan_spf_node *n, const struct inkan_spf_term *t,
    const char *target)
{
	struct inkan_dns_answer ans;
	int has;

	switch (t->kind) {
	case INKAN_SPF_A:
	case INKAN_SPF_EXISTS:
		if ((has = has_address(l, target)) == 0) {
			n->void_lookups++;
			finding(l, INKAN_LINT_WARN, "void-lookup", n->domain, n->record,
			    (long)t->offset, "remove the term or publish the name",
			    "'%.*s': %s has no address (a void lookup; more than 2 are a "
			    "permerror, RFC 7208 §4.6.4)", (int)t->text.len, t->text.p, target);
		}
		break;
	case INKAN_SPF_MX:
		if (query(l, target, INKAN_DNS_MX, &ans) != 0)
			return;
		if (ans.status == INKAN_DNS_NXDOMAIN || ans.status == INKAN_DNS_NODATA) {
			n->void_lookups++;
			finding(l, INKAN_LINT_WARN, "void-lookup", n->domain, n->record,
			    (long)t->offset, "remove the term or publish MX records",
			    "'%.*s': %s has no MX records (a void lookup; more than 2 are a "
			    "permerror, RFC 7208 §4.6.4)", (int)t->text.len, t->text.p, target);
		} else if (ans.status == INKAN_DNS_OK && ans.nrr > INKAN_SPF_MAX_MX_NAMES) {
			finding(l, INKAN_LINT_ERROR, "mx-too-many", n->domain, n->record,
			    (long)t->offset, "list the hosts with ip4/ip6 instead",
			    "'%.*s': %s has %zu MX records; more than %d make the mx "
			    "mechanism a permerror (RFC 7208 §4.6.4)", (int)t->text.len,
			    t->text.p, target, ans.nrr, INKAN_SPF_MAX_MX_NAMES);
		}
		break;
	default:
		break;
	}
}

static void
lint_range(struct lint *l, struct inkan_spf_node *n, const struct inkan_spf_term *t)
{
	bool v4 = t->kind == INKAN_SPF_IP4;
	unsigned prefix = v4 ? t->cidr4 : t->cidr6;
	unsigned err_below = v4 ? 8 : 16, warn_below = v4 ? 16 : 32;

	if (t->qualifier == '-' || t->qualifier == '~')
		return;	/* a wide range that fails mail widens nothing */
	if (prefix < err_below)
		finding(l, INKAN_LINT_ERROR, "range-too-wide", n->domain, n->record,
		    (long)t->offset, "list only the networks that send your mail",
		    "'%.*s' authorises a /%u: a large part of the %s Internet may send as "
		    "this domain", (int)t->text.len, t->text.p, prefix, v4 ? "IPv4" : "IPv6");
	else if (prefix < warn_below)
		finding(l, INKAN_LINT_WARN, "range-wide", n->domain, n->record, (long)t->offset,
		    "check that every address in the range belongs to a sender you trust",
		    "'%.*s' authorises a /%u, a very wide range", (int)t->text.len, t->text.p,
		    prefix);
}

/* Analyse the terms of n's parsed record. */
static void
lint_terms(struct lint *l, struct inkan_spf_node *n, const struct inkan_spf_record *rec)
{
	const struct inkan_spf_term *all = NULL;
	struct inkan_spf_node *kids[INKAN_SPF_MAX_TERMS];
	size_t nkids = 0;

	for (size_t i = 0; i < rec->n && !l->err; i++) {
		const struct inkan_spf_term *t = &rec->terms[i];
		const char *target = NULL;

		if (t->kind == INKAN_SPF_REDIRECT || t->kind == INKAN_SPF_EXP ||
		    t->kind == INKAN_SPF_UNKNOWN_MOD) {
			if (t->kind == INKAN_SPF_UNKNOWN_MOD)
				finding(l, INKAN_LINT_INFO, "unknown-modifier", n->domain,
				    n->record, (long)t->offset, NULL,
				    "'%.*s' is not a modifier of RFC 7208; receivers ignore it",
				    (int)t->text.len, t->text.p);
			continue;
		}
		if (all != NULL) {
			finding(l, INKAN_LINT_WARN, "after-all", n->domain, n->record,
			    (long)t->offset, "move the term before 'all' or remove it",
			    "'%.*s' comes after 'all' and is never evaluated (RFC 7208 §5.1)",
			    (int)t->text.len, t->text.p);
			continue;
		}
		switch (t->kind) {
		case INKAN_SPF_ALL:
			all = t;
			if (t->qualifier == '+')
				finding(l, INKAN_LINT_ERROR, "pass-all", n->domain, n->record,
				    (long)t->offset, "end the record with -all or ~all",
				    "'%.*s' lets every host on the Internet pass as this domain",
				    (int)t->text.len, t->text.p);
			else if (t->qualifier == '?' && strcmp(n->via, "top") == 0)
				finding(l, INKAN_LINT_WARN, "neutral-all", n->domain, n->record,
				    (long)t->offset, "end the record with -all or ~all",
				    "'?all' makes SPF say nothing about unlisted hosts");
			break;
		case INKAN_SPF_IP4:
		case INKAN_SPF_IP6:
			lint_range(l, n, t);
			break;
		case INKAN_SPF_PTR:
			n->lookups++;
			finding(l, INKAN_LINT_WARN, "ptr", n->domain, n->record, (long)t->offset,
			    "replace ptr with ip4/ip6 or a mechanisms",
			    "'%.*s': the ptr mechanism is slow, unreliable and should not be "
			    "published (RFC 7208 §5.5)", (int)t->text.len, t->text.p);
			break;
		case INKAN_SPF_INCLUDE:
			n->lookups++;
			if (has_macro(t->domain_spec)) {
				finding(l, INKAN_LINT_INFO, "macro-include", n->domain, n->record,
				    (long)t->offset, NULL,
				    "'%.*s' depends on the message; its target is not analysed",
				    (int)t->text.len, t->text.p);
				break;
			}
			if ((target = slice_dup(l, t->domain_spec)) == NULL)
				break;
			if (nkids < INKAN_SPF_MAX_TERMS)
				kids[nkids++] = lint_domain(l, target, "include", t->qualifier);
			break;
		case INKAN_SPF_A:
		case INKAN_SPF_MX:
		case INKAN_SPF_EXISTS:
			n->lookups++;
			if (t->domain_spec.len == 0)
				target = n->domain;
			else if (!has_macro(t->domain_spec))
				target = slice_dup(l, t->domain_spec);
			if (target != NULL)
				lint_target(l, n, t, target);
			break;
		default:
			break;
		}
	}
	if (rec->redirect != NULL && !l->err) {
		const struct inkan_spf_term *t = rec->redirect;

		if (all != NULL) {
			finding(l, INKAN_LINT_WARN, "redirect-ignored", n->domain, n->record,
			    (long)t->offset, "remove either the redirect or the 'all'",
			    "'%.*s' is ignored because the record has an 'all' mechanism "
			    "(RFC 7208 §6.1)", (int)t->text.len, t->text.p);
		} else {
			n->lookups++;
			if (has_macro(t->domain_spec)) {
				finding(l, INKAN_LINT_INFO, "macro-redirect", n->domain, n->record,
				    (long)t->offset, NULL,
				    "'%.*s' depends on the message; its target is not analysed",
				    (int)t->text.len, t->text.p);
			} else {
				const char *target = slice_dup(l, t->domain_spec);

				if (target != NULL && nkids < INKAN_SPF_MAX_TERMS)
					kids[nkids++] = lint_domain(l, target, "redirect", '+');
			}
		}
	} else if (all == NULL && strcmp(n->via, "top") == 0 && !l->err) {
		finding(l, INKAN_LINT_WARN, "no-all", n->domain, n->record, -1,
		    "end the record with -all (or ~all while you test)",
		    "the record has neither 'all' nor 'redirect=': unlisted hosts get "
		    "neutral, as if there were no policy");
	}
	if (rec->exp != NULL && !has_macro(rec->exp->domain_spec) && !l->err) {
		struct inkan_dns_answer ans;
		const char *target = slice_dup(l, rec->exp->domain_spec);

		if (target != NULL && query(l, target, INKAN_DNS_TXT, &ans) == 0 &&
		    (ans.status != INKAN_DNS_OK || ans.nrr != 1))
			finding(l, INKAN_LINT_WARN, "exp-missing", n->domain, n->record,
			    (long)rec->exp->offset, "publish exactly one TXT record at the exp= name",
			    "'%.*s': %s has %s; receivers will use their default explanation",
			    (int)rec->exp->text.len, rec->exp->text.p, target,
			    ans.status == INKAN_DNS_OK ? "more than one TXT record" :
			    "no TXT record");
	}
	if (l->err)
		return;
	n->total_lookups = n->lookups;
	for (size_t i = 0; i < nkids; i++) {
		if (kids[i] == NULL)
			continue;
		n->total_lookups += kids[i]->total_lookups;
		n->void_lookups += kids[i]->void_lookups;
	}
	if (nkids > 0) {
		n->children = inkan_arena_memdup(l->a, kids, nkids * sizeof(kids[0]));
		if (n->children == NULL)
			l->err = INKAN_ENOMEM;
		n->nchildren = nkids;
	}
}

/* Fetch and check the record of one node; returns NULL only on a sticky error. */
static struct inkan_spf_node *
lint_domain(struct lint *l, const char *domain, const char *via, char qualifier)
{
	struct inkan_spf_node *n;
	struct inkan_dns_answer ans;
	const char *why = NULL;
	bool top = strcmp(via, "top") == 0;
	size_t nspf = 0;

	if (l->err || (n = inkan_arena_zalloc(l->a, sizeof(*n))) == NULL) {
		if (!l->err)
			l->err = INKAN_ENOMEM;
		return NULL;
	}
	n->domain = domain;
	n->via = via;
	n->qualifier = qualifier;
	for (size_t i = 0; i < l->depth; i++) {
		if (inkan_dname_equal(l->path[i], strlen(l->path[i]), domain, strlen(domain))) {
			n->status = INKAN_SPF_NODE_LOOP;
			finding(l, INKAN_LINT_ERROR, "include-loop", domain, NULL, -1,
			    "remove the include or redirect that points back up the tree",
			    "%s %s leads back to %s: a loop, which receivers end as permerror "
			    "once the lookup limit is hit", via, domain, l->path[i]);
			return n;
		}
	}
	if (l->depth == LINT_MAX_DEPTH) {
		n->status = INKAN_SPF_NODE_DEPTH;
		finding(l, INKAN_LINT_ERROR, "too-deep", domain, NULL, -1, NULL,
		    "includes nest more than %d deep; not followed further", LINT_MAX_DEPTH);
		return n;
	}
	if (inkan_dname_check(domain, strlen(domain), INKAN_DNAME_MULTILABEL, &why) != 0) {
		n->status = INKAN_SPF_NODE_NXDOMAIN;
		finding(l, INKAN_LINT_ERROR, "bad-domain", domain, NULL, -1, NULL,
		    "%s '%s' is not a valid domain name: %s", via, domain, why);
		return n;
	}
	if (query(l, domain, INKAN_DNS_TXT, &ans) != 0)
		return NULL;
	if (ans.status == INKAN_DNS_SERVFAIL || ans.status == INKAN_DNS_TIMEOUT) {
		n->status = INKAN_SPF_NODE_DNS_ERROR;
		finding(l, INKAN_LINT_ERROR, "dns-error", domain, NULL, -1,
		    "make the name servers answer; receivers return temperror meanwhile",
		    "TXT lookup of %s failed: %s", domain, inkan_dns_status_name(ans.status));
		return n;
	}
	for (size_t i = 0; i < ans.nrr; i++) {
		char *txt;
		size_t len;

		if (inkan_dns_rr_txt(l->a, &ans.rr[i], &txt, &len) != 0)
			continue;
		if (!inkan_spf_is_record(txt, len))
			continue;
		if (nspf++ == 0) {
			n->record = txt;
		} else {
			n->status = INKAN_SPF_NODE_MULTIPLE;
			finding(l, INKAN_LINT_ERROR, "multiple-records", domain, txt, -1,
			    "merge the records into one: receivers return permerror when a "
			    "domain has two (RFC 7208 §4.5)",
			    "%s has more than one SPF record", domain);
		}
	}
	if (top) {
		struct inkan_dns_answer old;

		if (query(l, domain, INKAN_DNS_SPF, &old) != 0)
			return NULL;
		if (old.status == INKAN_DNS_OK)
			finding(l, INKAN_LINT_WARN, "spf-rrtype", domain, NULL, -1,
			    "delete the SPF-type (99) records; keep the TXT record",
			    "%s publishes the SPF RR type (99), which RFC 7208 §3.1 "
			    "deprecated; receivers ignore it", domain);
	}
	if (nspf == 0) {
		n->status = ans.status == INKAN_DNS_NXDOMAIN ? INKAN_SPF_NODE_NXDOMAIN :
		    INKAN_SPF_NODE_NONE;
		if (top)
			finding(l, INKAN_LINT_ERROR, "no-record", domain, NULL, -1,
			    "publish one TXT record: v=spf1 <your senders> -all (for a domain "
			    "that sends no mail: v=spf1 -all)",
			    "%s %s", domain, ans.status == INKAN_DNS_NXDOMAIN ?
			    "does not exist" : "has no SPF record");
		else
			finding(l, INKAN_LINT_ERROR,
			    ans.status == INKAN_DNS_NXDOMAIN ? "include-nxdomain" : "include-no-spf",
			    domain, NULL, -1, "remove the term or fix the target",
			    "%s:%s %s; receivers return permerror when they reach it "
			    "(RFC 7208 §5.2, §6.1)", via, domain,
			    ans.status == INKAN_DNS_NXDOMAIN ? "does not exist" :
			    "has no SPF record");
		return n;
	}
	if (n->status == INKAN_SPF_NODE_MULTIPLE)
		return n;
	if (strlen(n->record) > INKAN_SPF_LINT_UDP_RECORD)
		finding(l, INKAN_LINT_WARN, "record-too-long", domain, n->record, -1,
		    "move parts into an include: a record this long may not fit in one UDP "
		    "answer, forcing a TCP retry (RFC 7208 §3.4)",
		    "the record is %zu bytes long (over %d)", strlen(n->record),
		    INKAN_SPF_LINT_UDP_RECORD);

	struct inkan_spf_record rec;
	struct inkan_spf_parse_error perr = { 0, NULL };
	int rc = inkan_spf_record_parse(l->a, n->record, strlen(n->record), &rec, &perr);

	if (rc == INKAN_ENOMEM) {
		l->err = rc;
		return NULL;
	}
	if (rc != 0) {
		n->status = INKAN_SPF_NODE_SYNTAX;
		finding(l, INKAN_LINT_ERROR, "syntax", domain, n->record, (long)perr.offset,
		    "fix the record: receivers return permerror for the whole policy",
		    "syntax error at column %zu: %s", perr.offset + 1,
		    perr.why != NULL ? perr.why : "invalid record");
		return n;
	}
	l->path[l->depth++] = domain;
	lint_terms(l, n, &rec);
	l->depth--;
	return n;
}

int
inkan_spf_lint(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    struct inkan_spf_lint *out)
{
	struct lint l = { .r = r, .a = a, .out = out };
	const char *why;
	char *d;

	memset(out, 0, sizeof(*out));
	if (domain == NULL || inkan_dname_check(domain, strlen(domain), 0, &why) != 0)
		return INKAN_EINVAL;
	if ((d = inkan_dname_lower(a, domain, strlen(domain))) == NULL)
		return INKAN_ENOMEM;
	out->domain = d;
	out->root = lint_domain(&l, d, "top", '+');
	if (l.err)
		return l.err;
	if (out->root->total_lookups > INKAN_SPF_MAX_DNS_TERMS)
		finding(&l, INKAN_LINT_ERROR, "too-many-lookups", d, out->root->record, -1,
		    "flatten includes into ip4/ip6 ranges or drop unused senders",
		    "the record tree needs up to %u DNS lookups; RFC 7208 §4.6.4 allows %d and "
		    "receivers return permerror past it", out->root->total_lookups,
		    INKAN_SPF_MAX_DNS_TERMS);
	else if (out->root->total_lookups >= INKAN_SPF_MAX_DNS_TERMS - 1)
		finding(&l, INKAN_LINT_WARN, "lookups-near-limit", d, out->root->record, -1,
		    "leave room: a provider adding one include will break your policy",
		    "the record tree needs %u of the %d DNS lookups allowed",
		    out->root->total_lookups, INKAN_SPF_MAX_DNS_TERMS);
	if (out->root->void_lookups > INKAN_SPF_MAX_VOID_LOOKUPS)
		finding(&l, INKAN_LINT_ERROR, "too-many-void-lookups", d, out->root->record, -1,
		    "remove terms that point at names without records",
		    "the record tree makes %u void lookups; more than %d are a permerror "
		    "(RFC 7208 §4.6.4)", out->root->void_lookups, INKAN_SPF_MAX_VOID_LOOKUPS);
	return l.err;
}
