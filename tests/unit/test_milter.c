/* test_milter.c - the library pieces inkan-milter stands on: the
 * receiver's decision (policy.h), the signing table (signtable.h), the
 * shared resolver with per-message budgets (dns_shared.h), and the
 * verdict store with its writer thread (store.h).
 *
 * Decisions are tested from verify results built by hand, so that each
 * case states exactly the verdicts it starts from; RFC sections name
 * the rule each expectation comes from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/dns_shared.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/policy.h"
#include "inkan/signtable.h"
#include "inkan/store.h"
#include "inkan/verify.h"

/* ---- policy: a verify result from a few words ---- */

struct res_spec {
	enum inkan_dmarc_result dmarc;
	enum inkan_dmarc_policy policy;		/* the p/sp/np that applied */
	enum inkan_dmarc_policy disposition;	/* after t=y / pct */
	bool testing, sampled_out;
	const char *from;			/* Author Domain */
	enum inkan_dmarc_from_status from_status;
	enum inkan_spf_verdict spf;		/* NONE with spf_off: not evaluated */
	bool spf_off;
	enum inkan_arc_cv arc;
	const char *sealer;			/* newest ARC-Seal d= */
};

static void
build(const struct res_spec *s, struct inkan_verify_result *r, struct inkan_arc_set *sets)
{
	memset(r, 0, sizeof(*r));
	r->dmarc.result = s->dmarc;
	r->dmarc.policy = s->policy;
	r->dmarc.disposition = s->disposition;
	r->dmarc.testing = s->testing;
	r->dmarc.sampled_out = s->sampled_out;
	r->dmarc.from_domain = s->from;
	r->dmarc.policy_domain = s->from;
	r->dmarc.reason = s->dmarc == INKAN_DMARC_PASS ? NULL : "no aligned pass";
	r->from.domain = s->from;
	r->from.status = s->from_status;
	r->disposition = s->disposition;
	r->spf_evaluated = !s->spf_off;
	r->spf.result = s->spf;
	r->spf.identity = "mailfrom";
	r->spf.domain = "envelope.example";
	r->arc_evaluated = true;
	r->arc.cv = s->arc;
	if (s->sealer != NULL) {
		memset(sets, 0, 2 * sizeof(*sets));
		sets[0].i = 2;
		sets[0].as_d = s->sealer;
		sets[1].i = 1;
		sets[1].as_d = "first-hop.example";
		r->arc.sets = sets;
		r->arc.n = 2;
	}
}

struct policy_case {
	const char *name;
	struct res_spec res;
	/* policy: reject / quarantine / spf / temperror actions */
	enum inkan_policy_action on_reject, on_quarantine, on_spf, on_temp;
	/* expected */
	enum inkan_policy_action action;
	enum inkan_dmarc_policy applied;
	const char *reason_type;	/* NULL = none */
	const char *reply;		/* "550 5.7.26" or NULL; text must then name... */
	const char *text_has;		/* ... this */
	bool temperror_accepted;
};

#define A INKAN_POLICY_ACCEPT
#define Q INKAN_POLICY_QUARANTINE
#define R INKAN_POLICY_REJECT
#define T INKAN_POLICY_TEMPFAIL
#define PN INKAN_DMARC_P_NONE
#define PQ INKAN_DMARC_P_QUARANTINE
#define PR INKAN_DMARC_P_REJECT

static const struct policy_case policy_cases[] = {
	{ "DMARC pass: accept whatever the policy",
	    { INKAN_DMARC_PASS, PR, PN, .from = "a.example", .spf = INKAN_SPF_PASS },
	    R, Q, R, T, A, PN, NULL, NULL, NULL, false },
	{ "p=reject fail, receiver rejects: 550 5.7.26 naming DMARC and the domain (RFC 9989 5.8)",
	    { INKAN_DMARC_FAIL, PR, PR, .from = "a.example", .spf = INKAN_SPF_NONE },
	    R, Q, A, A, R, PR, NULL, "550 5.7.26", "DMARC policy of a.example", false },
	{ "p=reject fail, default (accept): delivered, reported as local_policy (RFC 9990 2.1)",
	    { INKAN_DMARC_FAIL, PR, PR, .from = "a.example" },
	    A, A, A, A, A, PN, "local_policy", NULL, NULL, false },
	{ "p=reject fail, receiver quarantines instead",
	    { INKAN_DMARC_FAIL, PR, PR, .from = "a.example" },
	    Q, A, A, A, Q, PQ, "local_policy", NULL, NULL, false },
	{ "p=quarantine fail, receiver quarantines",
	    { INKAN_DMARC_FAIL, PQ, PQ, .from = "q.example" },
	    R, Q, A, A, Q, PQ, NULL, NULL, NULL, false },
	{ "t=y turned reject into quarantine: policy_test_mode (RFC 9989 4.7)",
	    { INKAN_DMARC_FAIL, PR, PQ, .testing = true, .from = "t.example" },
	    R, Q, A, A, Q, PQ, "policy_test_mode", NULL, NULL, false },
	{ "pct sampled out (RFC 7489 6.6.4): sampled_out, accept",
	    { INKAN_DMARC_FAIL, PR, PN, .sampled_out = true, .from = "p.example" },
	    R, Q, A, A, A, PN, "sampled_out", NULL, NULL, false },
	{ "exempt domain: a subdomain of a listed domain is accepted",
	    { INKAN_DMARC_FAIL, PR, PR, .from = "mail.exempt.example" },
	    R, Q, A, A, A, PN, "local_policy", NULL, NULL, false },
	{ "ARC pass sealed by a trusted forwarder overrides (RFC 8617 7.2)",
	    { INKAN_DMARC_FAIL, PR, PR, .from = "a.example", .arc = INKAN_ARC_PASS,
	      .sealer = "lists.trusted.example" },
	    R, Q, A, A, A, PN, "trusted_forwarder", NULL, NULL, false },
	{ "ARC pass sealed by someone else: no override",
	    { INKAN_DMARC_FAIL, PR, PR, .from = "a.example", .arc = INKAN_ARC_PASS,
	      .sealer = "lists.other.example" },
	    R, Q, A, A, R, PR, NULL, "550 5.7.26", "a.example", false },
	{ "ARC fail sealed by the trusted forwarder: no override",
	    { INKAN_DMARC_FAIL, PR, PR, .from = "a.example", .arc = INKAN_ARC_FAIL,
	      .sealer = "lists.trusted.example" },
	    R, Q, A, A, R, PR, NULL, "550 5.7.26", "a.example", false },
	{ "DMARC temperror, tempfail: 451 4.4.3",
	    { INKAN_DMARC_TEMPERROR, PR, PN, .from = "d.example" },
	    R, Q, A, T, T, PN, NULL, "451 4.4.3", "DMARC check for d.example", false },
	{ "DMARC temperror, accept: delivered with a note",
	    { INKAN_DMARC_TEMPERROR, PR, PN, .from = "d.example" },
	    R, Q, A, A, A, PN, NULL, NULL, NULL, true },
	{ "SPF fail, receiver rejects SPF fail: 550 5.7.23 (RFC 7208 8.4)",
	    { INKAN_DMARC_NONE, INKAN_DMARC_P_UNSPEC, INKAN_DMARC_P_UNSPEC, .from = "s.example",
	      .spf = INKAN_SPF_FAIL },
	    A, A, R, A, R, PR, "local_policy", "550 5.7.23", "SPF check failed for envelope.example",
	    false },
	{ "SPF fail but DMARC pass (DKIM): not acted on (RFC 7489 10.1)",
	    { INKAN_DMARC_PASS, PR, PN, .from = "s.example", .spf = INKAN_SPF_FAIL },
	    A, A, R, A, A, PN, NULL, NULL, NULL, false },
	{ "SPF softfail is not fail",
	    { INKAN_DMARC_NONE, 0, 0, .from = "s.example", .spf = INKAN_SPF_SOFTFAIL },
	    A, A, R, A, A, PN, NULL, NULL, NULL, false },
	{ "SPF temperror matters when SPF fail is acted on: 451 4.7.24",
	    { INKAN_DMARC_NONE, 0, 0, .from = "s.example", .spf = INKAN_SPF_TEMPERROR },
	    A, A, R, T, T, PN, NULL, "451 4.7.24", "SPF check for envelope.example", false },
	{ "SPF temperror does not matter when SPF is only recorded",
	    { INKAN_DMARC_NONE, 0, 0, .from = "s.example", .spf = INKAN_SPF_TEMPERROR },
	    A, A, A, T, A, PN, NULL, NULL, NULL, false },
	{ "SPF fail quarantined, DMARC none",
	    { INKAN_DMARC_NONE, 0, 0, .from = "s.example", .spf = INKAN_SPF_FAIL },
	    A, A, Q, A, Q, PQ, "local_policy", NULL, NULL, false },
	{ "unusable From (two From fields): reject names the From field (RFC 5322 3.6)",
	    { INKAN_DMARC_PERMERROR, INKAN_DMARC_P_UNSPEC, PR, .from = NULL,
	      .from_status = INKAN_DMARC_FROM_MULTIPLE_FIELDS },
	    R, Q, A, A, R, PR, NULL, "550 5.7.26", "From field", false },
	{ "an exempt list does not cover an unusable From",
	    { INKAN_DMARC_PERMERROR, INKAN_DMARC_P_UNSPEC, PR, .from = "exempt.example",
	      .from_status = INKAN_DMARC_FROM_SYNTAX },
	    R, Q, A, A, R, PR, NULL, "550 5.7.26", "From field", false },
};

static void
test_policy_table(void **state)
{
	static const char *const exempt[] = { "exempt.example", NULL };
	static const char *const sealers[] = { "trusted.example", NULL };
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		const struct policy_case *c = &policy_cases[i];
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_verify_result res;
		struct inkan_arc_set sets[2];
		struct inkan_policy_decision d;
		struct inkan_policy p = {
			.dmarc_reject = c->on_reject, .dmarc_quarantine = c->on_quarantine,
			.spf_fail = c->on_spf, .temperror = c->on_temp,
			.exempt_domains = exempt, .trusted_sealers = sealers,
		};
		char reply[32] = "";

		assert_non_null(a);
		build(&c->res, &res, sets);
		int rc = inkan_policy_decide(&p, a, &res, &d);
		if (d.rcode != NULL)
			snprintf(reply, sizeof(reply), "%s %s", d.rcode, d.xcode);
		bool ok = rc == 0 && d.action == c->action && d.applied == c->applied &&
		    ((c->reason_type == NULL && d.reason_type == NULL) ||
		     (c->reason_type != NULL && d.reason_type != NULL &&
		      strcmp(c->reason_type, d.reason_type) == 0)) &&
		    strcmp(reply, c->reply != NULL ? c->reply : "") == 0 &&
		    (c->text_has == NULL || (d.text != NULL && strstr(d.text, c->text_has))) &&
		    d.temperror_accepted == c->temperror_accepted;
		if (!ok) {
			printf("# %s\n#   want %s applied=%s reason=%s reply=%s text~%s\n"
			    "#   got  %s applied=%s reason=%s reply=%s text=%s (rc %d)\n", c->name,
			    inkan_policy_action_name(c->action),
			    inkan_dmarc_policy_name(c->applied), c->reason_type ? c->reason_type : "-",
			    c->reply ? c->reply : "-", c->text_has ? c->text_has : "-",
			    inkan_policy_action_name(d.action), inkan_dmarc_policy_name(d.applied),
			    d.reason_type ? d.reason_type : "-", reply[0] ? reply : "-",
			    d.text ? d.text : "-", rc);
			bad++;
		}
		inkan_arena_free(a);
	}
	assert_int_equal(bad, 0);
}

static void
test_policy_text(void **state)
{
	struct inkan_arena *a = inkan_arena_new();

	(void)state;
	/* libmilter reads '%' as a format character; CR/LF end the reply. */
	assert_string_equal(inkan_policy_safe_text(a, "50% off\r\nrcpt \xc3\xbc\x7f", 0),
	    "50? off??rcpt ???");
	assert_string_equal(inkan_policy_safe_text(a, "abcdefghij", 8), "abcde...");
	assert_string_equal(inkan_policy_safe_text(a, NULL, 0), "");
	char *big = malloc(5000);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	assert_int_equal(strlen(inkan_policy_safe_text(a, big, 0)), INKAN_POLICY_MAX_TEXT);
	free(big);

	/* The reply text for a hostile From domain stays one printable line. */
	struct inkan_verify_result res;
	struct inkan_arc_set sets[2];
	struct res_spec s = { INKAN_DMARC_FAIL, PR, PR, .from = "evil%n\r\n250 ok.example" };
	struct inkan_policy p = { .dmarc_reject = R };
	struct inkan_policy_decision d;
	build(&s, &res, sets);
	assert_int_equal(inkan_policy_decide(&p, a, &res, &d), 0);
	assert_int_equal(d.action, R);
	assert_null(strchr(d.text, '%'));
	assert_null(strchr(d.text, '\r'));
	assert_null(strchr(d.text, '\n'));
	assert_int_equal(inkan_policy_decide(NULL, a, &res, &d), INKAN_EINVAL);
	inkan_arena_free(a);
}

static void
test_policy_lists(void **state)
{
	static const char *const l[] = { "example.com", "Other.Example.", NULL };
	struct inkan_cidr nets[2];
	struct inkan_ip ip;

	(void)state;
	assert_true(inkan_policy_domain_listed(l, "example.com"));
	assert_true(inkan_policy_domain_listed(l, "a.b.EXAMPLE.com."));
	assert_true(inkan_policy_domain_listed(l, "other.example"));
	assert_false(inkan_policy_domain_listed(l, "badexample.com"));
	assert_false(inkan_policy_domain_listed(l, "com"));
	assert_false(inkan_policy_domain_listed(NULL, "example.com"));

	assert_int_equal(inkan_cidr_parse("127.0.0.0/8", 11, 0, &nets[0]), 0);
	assert_int_equal(inkan_cidr_parse("2001:db8::/32", 13, 0, &nets[1]), 0);
	struct inkan_policy p = { .internal_nets = nets, .ninternal = 2 };
	assert_int_equal(inkan_ip_parse("127.0.0.2", 9, &ip), 0);
	assert_true(inkan_policy_is_internal(&p, &ip, true, NULL));
	assert_false(inkan_policy_is_internal(&p, &ip, false, NULL));
	assert_int_equal(inkan_ip_parse("::ffff:127.0.0.1", 16, &ip), 0);
	assert_true(inkan_policy_is_internal(&p, &ip, true, NULL));	/* mapped IPv4 */
	assert_int_equal(inkan_ip_parse("2001:db8::25", 12, &ip), 0);
	assert_true(inkan_policy_is_internal(&p, &ip, true, ""));
	assert_int_equal(inkan_ip_parse("192.0.2.1", 9, &ip), 0);
	assert_false(inkan_policy_is_internal(&p, &ip, true, "alice"));
	p.auth_is_internal = true;
	assert_true(inkan_policy_is_internal(&p, &ip, true, "alice"));
	assert_false(inkan_policy_is_internal(&p, &ip, true, ""));

	assert_int_equal(inkan_policy_action_parse("Reject"), INKAN_POLICY_REJECT);
	assert_int_equal(inkan_policy_action_parse("bounce"), -1);
}

/* ---- signing table ---- */

static struct inkan_dkim_key *
key(const char *type)
{
	struct inkan_dkim_key *k = NULL;

	assert_int_equal(inkan_dkim_key_generate(type, 1024, &k), 0);
	return k;
}

static const char *
lookup(struct inkan_signtable *t, struct inkan_arena *a, const char *author)
{
	const struct inkan_signtable_sig *s;
	size_t n;
	char buf[256] = "";

	assert_int_equal(inkan_signtable_lookup(t, a, author, &s, &n), 0);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, sizeof(buf) - l, "%sd=%s", i ? " " : "", s[i].domain);
		for (size_t k = 0; k < s[i].nkeys; k++) {
			l = strlen(buf);
			snprintf(buf + l, sizeof(buf) - l, "%c%s/%s", k ? ',' : ':',
			    s[i].selectors[k], inkan_dkim_key_type(s[i].keys[k]));
		}
	}
	return inkan_arena_strdup(a, buf);
}

static void
test_signtable(void **state)
{
	struct inkan_signtable *t;
	struct inkan_arena *a = inkan_arena_new();
	char why[256];

	(void)state;
	assert_int_equal(inkan_signtable_new(&t), 0);
	assert_int_equal(inkan_signtable_add_key(t, "*", "fallback.example", "f1", key("rsa"),
	    why, sizeof(why)), 0);
	assert_int_equal(inkan_signtable_add_key(t, "Example.COM", "example.com", "r1",
	    key("rsa"), why, sizeof(why)), 0);
	assert_int_equal(inkan_signtable_add_key(t, "example.com", "example.com", "e1",
	    key("ed25519"), why, sizeof(why)), 0);
	assert_int_equal(inkan_signtable_add_key(t, "*.example.com", "example.com", "sub",
	    key("rsa"), why, sizeof(why)), 0);
	assert_int_equal(inkan_signtable_add_key(t, "*.eu.example.com", "eu.example.com", "eu",
	    key("rsa"), why, sizeof(why)), 0);
	assert_int_equal(inkan_signtable_add_key(t, "ceo@example.com", "example.com", "ceo",
	    key("ed25519"), why, sizeof(why)), 0);
	assert_int_equal(inkan_signtable_add_key(t, "ceo@example.com", "esp.example", "esp",
	    key("rsa"), why, sizeof(why)), 0);
	assert_int_equal(inkan_signtable_count(t), 7);

	/* RSA and Ed25519 together for one domain (RFC 8463 §5) */
	assert_string_equal(lookup(t, a, "bob@example.com"), "d=example.com:r1/rsa,e1/ed25519");
	assert_string_equal(lookup(t, a, "example.com"), "d=example.com:r1/rsa,e1/ed25519");
	assert_string_equal(lookup(t, a, "bob@EXAMPLE.com."), "d=example.com:r1/rsa,e1/ed25519");
	/* an address beats its domain; two d= give two entries */
	assert_string_equal(lookup(t, a, "CEO@example.com"),
	    "d=example.com:ceo/ed25519 d=esp.example:esp/rsa");
	/* the longest wildcard wins; a wildcard does not cover the domain itself */
	assert_string_equal(lookup(t, a, "x@a.example.com"), "d=example.com:sub/rsa");
	assert_string_equal(lookup(t, a, "x@paris.eu.example.com"), "d=eu.example.com:eu/rsa");
	assert_string_equal(lookup(t, a, "x@eu.example.com"), "d=example.com:sub/rsa");
	assert_string_equal(lookup(t, a, "x@notexample.com"), "d=fallback.example:f1/rsa");

	/* bad rows */
	assert_int_equal(inkan_signtable_add_key(t, "bad pattern", "x.example", "s", key("rsa"),
	    why, sizeof(why)), INKAN_EINVAL);
	assert_non_null(strstr(why, "not a pattern"));
	assert_int_equal(inkan_signtable_add_key(t, "x.example", "x.example", "s;x", key("rsa"),
	    why, sizeof(why)), INKAN_EINVAL);
	assert_int_equal(inkan_signtable_add_key(t, "*.", "x.example", "s", key("rsa"), why,
	    sizeof(why)), INKAN_EINVAL);
	assert_int_equal(inkan_signtable_count(t), 7);

	/* references: the table lives until the last release */
	assert_ptr_equal(inkan_signtable_hold(t), t);
	inkan_signtable_release(t);
	assert_string_equal(lookup(t, a, "bob@example.com"), "d=example.com:r1/rsa,e1/ed25519");
	inkan_signtable_release(t);

	/* an empty table matches nobody */
	assert_int_equal(inkan_signtable_new(&t), 0);
	assert_string_equal(lookup(t, a, "bob@example.com"), "");
	inkan_signtable_release(t);
	inkan_arena_free(a);
}

static void
test_signtable_key_files(void **state)
{
	struct inkan_signtable *t;
	struct inkan_arena *a = inkan_arena_new();
	char dir[] = "/tmp/inkan-signtable-XXXXXX", path[128], why[512];
	struct inkan_dkim_key *k = key("ed25519");

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	char *pem = inkan_dkim_key_private_pem(k, a);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(pem, f);
	fclose(f);
	inkan_dkim_key_free(k);
	assert_int_equal(inkan_signtable_new(&t), 0);

	/* A key others can read is refused, unless allowed explicitly. */
	chmod(path, 0644);
	assert_int_equal(inkan_signtable_add(t, "x.example", "x.example", "s1", path, 0, why,
	    sizeof(why)), INKAN_EINVAL);
	assert_non_null(strstr(why, "group or others"));
	assert_non_null(strstr(why, path));
	assert_int_equal(inkan_signtable_add(t, "x.example", "x.example", "s1", path,
	    INKAN_DKIM_KEY_INSECURE, why, sizeof(why)), 0);
	chmod(path, 0600);
	assert_int_equal(inkan_signtable_add(t, "x.example", "x.example", "s2", path, 0, why,
	    sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/missing.pem", dir);
	assert_int_equal(inkan_signtable_add(t, "x.example", "x.example", "s3", path, 0, why,
	    sizeof(why)), INKAN_EIO);
	assert_string_equal(lookup(t, a, "x.example"), "d=x.example:s1/ed25519,s2/ed25519");
	inkan_signtable_release(t);

	snprintf(path, sizeof(path), "%s/k.pem", dir);
	unlink(path);
	rmdir(dir);
	inkan_arena_free(a);
}

/* ---- the shared resolver ---- */

struct worker {
	struct inkan_dns_shared *hub;
	int id;
	int bad;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct inkan_resolver *r;

	if (inkan_resolver_shared_new(w->hub, &r) != 0) {
		w->bad++;
		return NULL;
	}
	for (int i = 0; i < 300; i++) {
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_dns_answer ans;
		char name[64], *txt = NULL;
		size_t len;
		int k = (w->id * 7 + i) % 50;

		snprintf(name, sizeof(name), "n%d.shared.example", k);
		if (inkan_dns_query(r, a, name, INKAN_DNS_TXT, &ans) != 0 ||
		    ans.status != INKAN_DNS_OK || ans.nrr != 1 ||
		    inkan_dns_rr_txt(a, &ans.rr[0], &txt, &len) != 0 || strtol(txt, NULL, 10) != k)
			w->bad++;
		inkan_arena_free(a);
	}
	inkan_resolver_free(r);
	return NULL;
}

static void
test_shared_zone_threads(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *base;
	struct inkan_dns_shared *hub;
	pthread_t th[8];
	struct worker w[8];

	(void)state;
	assert_int_equal(inkan_zone_new(&z), 0);
	for (int k = 0; k < 50; k++) {
		char line[128];
		snprintf(line, sizeof(line), "n%d.shared.example. 300 IN TXT \"%d\"", k, k);
		assert_int_equal(inkan_zone_add_text(z, line, NULL), 0);
	}
	assert_int_equal(inkan_resolver_zone_new(z, &base), 0);
	assert_int_equal(inkan_dns_shared_new(base, &hub, NULL), 0);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ hub, i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	struct inkan_dns_shared_stats st;
	inkan_dns_shared_get_stats(hub, &st);
	assert_int_equal(st.queries, 8 * 300);
	assert_int_equal(st.inflight, 0);
	inkan_dns_shared_free(hub);
	inkan_resolver_free(base);
	inkan_zone_free(z);
}

static void
test_shared_budget(void **state)
{
	struct inkan_zone *z;
	struct inkan_resolver *base, *r;
	struct inkan_dns_shared *hub;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;

	(void)state;
	assert_int_equal(inkan_zone_new(&z), 0);
	assert_int_equal(inkan_zone_add_text(z, "b.example. 300 IN TXT \"x\"", NULL), 0);
	assert_int_equal(inkan_resolver_zone_new(z, &base), 0);
	assert_int_equal(inkan_dns_shared_new(base, &hub, NULL), 0);
	assert_int_equal(inkan_resolver_shared_new(hub, &r), 0);

	/* a query budget: the third query is answered TIMEOUT at once */
	assert_int_equal(inkan_resolver_shared_budget(r, 2, 0), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(inkan_dns_query(r, a, "b.example", INKAN_DNS_TXT, &ans), 0);
		assert_int_equal(ans.status, i < 2 ? INKAN_DNS_OK : INKAN_DNS_TIMEOUT);
	}
	assert_non_null(strstr(ans.why, "budget"));
	assert_int_equal(inkan_resolver_shared_used(r), 2);
	/* a new budget for the next message */
	assert_int_equal(inkan_resolver_shared_budget(r, 2, 0), 0);
	assert_int_equal(inkan_dns_query(r, a, "b.example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_OK);
	/* a time budget */
	assert_int_equal(inkan_resolver_shared_budget(r, 0, 1), 0);
	usleep(5000);
	assert_int_equal(inkan_dns_query(r, a, "b.example", INKAN_DNS_TXT, &ans), 0);
	assert_int_equal(ans.status, INKAN_DNS_TIMEOUT);
	struct inkan_dns_shared_stats st;
	inkan_dns_shared_get_stats(hub, &st);
	assert_int_equal(st.over_budget, 2);
	/* not a shared handle */
	assert_int_equal(inkan_resolver_shared_budget(base, 1, 1), INKAN_EINVAL);

	inkan_resolver_free(r);
	inkan_dns_shared_free(hub);
	inkan_resolver_free(base);
	inkan_zone_free(z);
	inkan_arena_free(a);
}

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct dead_worker {
	struct inkan_dns_shared *hub;
	unsigned budget_ms;
	uint64_t took;
	int status;
};

static void *
dead_main(void *arg)
{
	struct dead_worker *d = arg;
	struct inkan_resolver *r;
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;

	d->status = -1;
	if (inkan_resolver_shared_new(d->hub, &r) != 0)
		return NULL;
	inkan_resolver_shared_budget(r, 0, d->budget_ms);
	uint64_t t0 = ms_now();
	if (inkan_dns_query(r, a, "nobody-answers.example", INKAN_DNS_TXT, &ans) == 0)
		d->status = (int)ans.status;
	d->took = ms_now() - t0;
	inkan_resolver_free(r);
	inkan_arena_free(a);
	return NULL;
}

/* A forwarder that never answers (a UDP socket nobody reads): every
 * thread gets TIMEOUT (or SERVFAIL) within its own budget, never a
 * hang, and the threads do not wait for each other. */
static void
test_shared_dead_server(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sa);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	char fwd[64];
	snprintf(fwd, sizeof(fwd), "127.0.0.1@%u", (unsigned)ntohs(sa.sin_port));
	const char *fwds[] = { fwd, NULL };
	struct inkan_unbound_opts o = { .forwarders = fwds, .no_dnssec = true,
		.timeout_ms = 3000 };
	struct inkan_resolver *ub;
	struct inkan_dns_shared *hub;
	const char *why = NULL;
	assert_int_equal(inkan_resolver_unbound_new(&o, &ub, &why), 0);
	assert_int_equal(inkan_dns_shared_new(ub, &hub, &why), 0);

	pthread_t th[4];
	struct dead_worker d[4];
	uint64_t t0 = ms_now();
	for (int i = 0; i < 4; i++) {
		d[i] = (struct dead_worker){ hub, 300 + 100 * (unsigned)i, 0, -1 };
		assert_int_equal(pthread_create(&th[i], NULL, dead_main, &d[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		printf("# thread %d: budget %u ms, status %s after %llu ms\n", i, d[i].budget_ms,
		    d[i].status >= 0 ? inkan_dns_status_name(d[i].status) : "error",
		    (unsigned long long)d[i].took);
		assert_true(d[i].status == INKAN_DNS_TIMEOUT || d[i].status == INKAN_DNS_SERVFAIL);
		assert_true(d[i].took <= d[i].budget_ms + 200);
	}
	/* in parallel: the whole took about the longest budget, not the sum */
	assert_true(ms_now() - t0 < 600 + 400);
	inkan_dns_shared_free(hub);
	inkan_resolver_free(ub);
	close(fd);
}

/* ---- the verdict store and its writer ---- */

static struct inkan_verdict
verdict(int i)
{
	static const struct inkan_verdict_dkim dk[2] = {
		{ "a.example", "s1", "pass", NULL },
		{ "b.example", "s2", "fail", "body hash mismatch" },
	};
	struct inkan_verdict v = {
		.ts = 1790000000 + i, .reporter = "mx.example", .queue_id = "Q1",
		.source_ip = "192.0.2.1", .envelope_from = "a.example", .envelope_to = "r.example",
		.header_from = "a.example", .spf_domain = "a.example", .spf_scope = "mfrom",
		.spf_result = "pass", .dmarc_result = "pass", .policy_domain = "a.example",
		.discovery = "treewalk", .p = "reject", .adkim = "r", .aspf = "r", .testing = "n",
		.pct = -1, .policy = "reject", .policy_tag = "p", .dkim_aligned = "pass",
		.spf_aligned = "pass", .requested = "none", .disposition = "none",
		.action = "accept", .ndkim = (size_t)(i % 3), .dkim = dk,
	};
	if (v.ndkim > 2)
		v.ndkim = 2;
	return v;
}

static void
test_store_verdicts(void **state)
{
	char dir[] = "/tmp/inkan-verdicts-XXXXXX", path[128], why[256];
	struct inkan_store *st;
	struct inkan_verdict v[3] = { verdict(0), verdict(1), verdict(2) };
	int64_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/v.db", dir);
	assert_int_equal(inkan_store_open(path, &st, why, sizeof(why)), 0);
	assert_true(inkan_store_schema_version() >= 3);
	assert_int_equal(inkan_store_put_verdicts(st, v, 3), 0);
	assert_int_equal(inkan_store_put_verdicts(st, v, 0), 0);
	assert_int_equal(inkan_store_count_verdicts(st, 0, 0, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(inkan_store_count_verdicts(st, 1790000001, 1790000002, &n), 0);
	assert_int_equal(n, 1);
	inkan_store_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/v.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/v.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_writer(void **state)
{
	char dir[] = "/tmp/inkan-writer-XXXXXX", path[128], why[256];
	struct inkan_verdict_writer *w;
	struct inkan_verdict_writer_stats s;
	struct inkan_store *st;
	int64_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/w.db", dir);
	struct inkan_verdict_writer_opts o = { .batch_max = 100, .flush_ms = 50 };
	assert_int_equal(inkan_verdict_writer_new(path, &o, &w, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	for (int i = 0; i < 1234; i++) {
		struct inkan_verdict v = verdict(i);
		assert_int_equal(inkan_verdict_writer_put(w, &v), 0);
	}
	assert_int_equal(inkan_verdict_writer_flush(w, 10000), 0);
	inkan_verdict_writer_get_stats(w, &s);
	assert_int_equal(s.written, 1234);
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.pending, 0);
	assert_int_equal(s.store_up, 1);
	inkan_verdict_writer_free(w);
	assert_int_equal(inkan_store_open(path, &st, why, sizeof(why)), 0);
	assert_int_equal(inkan_store_count_verdicts(st, 0, 0, &n), 0);
	assert_int_equal(n, 1234);
	inkan_store_close(st);

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The store cannot be opened: put() still returns at once, the losses are
 * counted and logged, nothing blocks. */
static int nlog;
static void
count_log(void *arg, const char *line)
{
	(void)arg;
	(void)line;
	nlog++;
}

static void
test_writer_store_down(void **state)
{
	struct inkan_verdict_writer *w;
	struct inkan_verdict_writer_stats s;
	char why[256];

	(void)state;
	struct inkan_verdict_writer_opts o = { .queue_max = 50, .batch_max = 10, .flush_ms = 20,
		.retry_ms = 20, .log = count_log };
	assert_int_equal(inkan_verdict_writer_new("/nonexistent-dir/inkan/v.db", &o, &w, why,
	    sizeof(why)), 0);
	assert_true(why[0] != '\0');
	uint64_t t0 = ms_now();
	int full = 0;
	for (int i = 0; i < 2000; i++) {
		struct inkan_verdict v = verdict(i);
		int rc = inkan_verdict_writer_put(w, &v);
		assert_true(rc == 0 || rc == INKAN_ELIMIT);
		full += rc == INKAN_ELIMIT;
	}
	assert_true(ms_now() - t0 < 1000);	/* never waits for the store */
	assert_int_equal(inkan_verdict_writer_flush(w, 5000), 0);
	inkan_verdict_writer_get_stats(w, &s);
	assert_int_equal(s.written, 0);
	assert_int_equal(s.lost, 2000);
	assert_int_equal(s.queued + (unsigned long)full, 2000);
	assert_int_equal(s.store_up, 0);
	assert_true(s.failures > 0);
	assert_true(nlog > 0);
	inkan_verdict_writer_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_policy_text),
		cmocka_unit_test(test_policy_lists),
		cmocka_unit_test(test_signtable),
		cmocka_unit_test(test_signtable_key_files),
		cmocka_unit_test(test_shared_zone_threads),
		cmocka_unit_test(test_shared_budget),
		cmocka_unit_test(test_shared_dead_server),
		cmocka_unit_test(test_store_verdicts),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_store_down),
	};

	return cmocka_run_group_tests_name("milter", tests, NULL, NULL);
}
