/* dmarc_opendmarc.c - RFC 7489 DMARC results of inkan and libopendmarc
 * (Debian libopendmarc2) for the same generated scenarios.
 *
 *   dmarc_opendmarc [-n COUNT] [-s SEED] PSL_FILE
 *
 * A scenario is (DMARC record text, where it is published, From domain,
 * SPF result + domain + identity, DKIM d= + results).  Both sides get the
 * record without DNS: OpenDMARC through opendmarc_policy_store_dmarc(ctx,
 * record, policy domain, Organizational Domain), inkan through an
 * in-memory zone holding only that record.  Both use the same Public
 * Suffix List file (opendmarc_tld_read_file; inkan's PSL mode).  Compared:
 * the verdict (pass / the policy to enforce / no policy) and the SPF and
 * DKIM alignment; both sides' alignment is also checked against RFC 7489
 * §3.1.1 worked out here from the names and the PSL.  pct= is not part
 * of the comparison: libopendmarc leaves sampling to its milter, and
 * inkan runs with it off.
 *
 * Output is TAP.  A disagreement whose cause is known is "not ok # TODO"
 * with the RFC text that decides it; any other disagreement is a failure.
 * Scenarios come from a fixed-seed generator: the same SEED gives the
 * same table on every machine.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <opendmarc/dmarc.h>

#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/error.h"

static uint64_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const char *
pick(const char *const *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

static const char *const from_domains[] = {
	"example.com", "mail.example.com", "a.b.example.com", "example.co.uk",
	"mail.example.co.uk", "foo.blogspot.com", "example.org", "news.example.org",
};

struct scenario {
	char record[512];
	char from[64];
	char org[64];
	char where[64];		/* policy domain */
	bool from_exists;
	/* what went into the record */
	bool has_p, bad_p, has_np, has_pct, has_rua, has_t, has_sp;
	unsigned pct;
	int spf;			/* enum inkan_spf_verdict */
	char spf_domain[96];
	bool spf_helo;
	size_t ndkim;
	char d[2][96];
	int dres[2];			/* enum inkan_dkim_result */
};

static const char *const pols[] = { "none", "quarantine", "reject" };

static void
generate(struct scenario *s, const struct inkan_dmarc_psl *psl, struct inkan_arena *a)
{
	const char *org;
	char tags[8][96];
	size_t nt = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->from, sizeof(s->from), "%s", PICK(from_domains));
	if (inkan_dmarc_psl_org_domain(psl, a, s->from, &org) != 0)
		abort();
	snprintf(s->org, sizeof(s->org), "%s", org);
	snprintf(s->where, sizeof(s->where), "%s",
	    strcmp(s->from, s->org) != 0 && rnd() % 2 ? s->org : s->from);
	s->from_exists = rnd() % 3 != 0;

	/* the record: v=DMARC1 first, p= next (RFC 7489 §6.3), the rest in
	 * a fixed order */
	snprintf(s->record, sizeof(s->record), "v=DMARC1");
	switch (rnd() % 20) {
	case 0:
		break;			/* no p= */
	case 1:
		s->has_p = s->bad_p = true;
		snprintf(tags[nt++], 96, "p=bogus");
		break;
	default:
		s->has_p = true;
		snprintf(tags[nt++], 96, "p=%s", PICK(pols));
		break;
	}
	if (rnd() % 2) {
		s->has_sp = true;
		snprintf(tags[nt++], 96, "sp=%s", PICK(pols));
	}
	if (rnd() % 7 == 0) {
		s->has_np = true;
		snprintf(tags[nt++], 96, "np=%s", PICK(pols));
	}
	if (rnd() % 3 == 0)
		snprintf(tags[nt++], 96, "adkim=%s", rnd() % 2 ? "s" : "r");
	if (rnd() % 3 == 0)
		snprintf(tags[nt++], 96, "aspf=%s", rnd() % 2 ? "s" : "r");
	if (rnd() % 6 == 0) {
		static const unsigned pcts[] = { 0, 50, 100 };

		s->has_pct = true;
		s->pct = pcts[rnd() % 3];
		snprintf(tags[nt++], 96, "pct=%u", s->pct);
	}
	if (rnd() % 4 == 0) {
		s->has_rua = true;
		snprintf(tags[nt++], 96, "rua=mailto:dmarc@%s", s->org);
	}
	if (rnd() % 10 == 0) {
		s->has_t = true;
		snprintf(tags[nt++], 96, "t=y");
	}
	for (size_t i = 0; i < nt; i++) {
		size_t l = strlen(s->record);

		snprintf(s->record + l, sizeof(s->record) - l, "; %s", tags[i]);
	}

	/* SPF */
	static const int spfs[] = { INKAN_SPF_PASS, INKAN_SPF_PASS, INKAN_SPF_PASS,
		INKAN_SPF_FAIL, INKAN_SPF_NONE, INKAN_SPF_SOFTFAIL, INKAN_SPF_TEMPERROR };
	s->spf = spfs[rnd() % 7];
	switch (rnd() % 5) {
	case 0: snprintf(s->spf_domain, 96, "%s", s->from); break;
	case 1: snprintf(s->spf_domain, 96, "%s", s->org); break;
	case 2: snprintf(s->spf_domain, 96, "bounce.%s", s->org); break;
	case 3: snprintf(s->spf_domain, 96, "bounce.example.net"); break;
	default: snprintf(s->spf_domain, 96, "%s", PICK(from_domains)); break;
	}
	s->spf_helo = rnd() % 8 == 0;

	/* DKIM */
	s->ndkim = rnd() % 3;
	for (size_t i = 0; i < s->ndkim; i++) {
		switch (rnd() % 6) {
		case 0: snprintf(s->d[i], 96, "%s", s->from); break;
		case 1: snprintf(s->d[i], 96, "%s", s->org); break;
		case 2: snprintf(s->d[i], 96, "sig.%s", s->org); break;
		case 3: snprintf(s->d[i], 96, "example.net"); break;
		case 4: snprintf(s->d[i], 96, "%s", strchr(s->org, '.') + 1); break;
		default: snprintf(s->d[i], 96, "%s", PICK(from_domains)); break;
		}
		s->dres[i] = rnd() % 4 == 0 ? INKAN_DKIM_FAIL : INKAN_DKIM_PASS;
	}
}

/* What each side says, in OpenDMARC's terms. */
struct verdict {
	int policy;		/* DMARC_POLICY_* */
	bool spf_aligned, dkim_aligned;
	int store_rc;		/* OpenDMARC: opendmarc_policy_store_dmarc */
	const char *reason;	/* inkan */
	struct inkan_dmarc_eval ev;
};

static const char *
pname(int p)
{
	switch (p) {
	case DMARC_POLICY_ABSENT: return "absent";
	case DMARC_POLICY_PASS: return "pass";
	case DMARC_POLICY_REJECT: return "reject";
	case DMARC_POLICY_QUARANTINE: return "quarantine";
	case DMARC_POLICY_NONE: return "none";
	}
	return "other";
}

static void
run_opendmarc(const struct scenario *s, struct verdict *v)
{
	DMARC_POLICY_T *ctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0);
	int da = 0, sa = 0;

	if (ctx == NULL)
		abort();
	/* the milter's order: From domain, the record, then SPF and DKIM
	 * (alignment is worked out as results are stored, with the record's
	 * adkim=/aspf=) */
	opendmarc_policy_store_from_domain(ctx, (u_char *)s->from);
	/* as opendmarc_policy_query_dmarc does: an Organizational Domain only
	 * when the record was found there (which makes sp= apply) */
	v->store_rc = opendmarc_policy_store_dmarc(ctx, (u_char *)s->record, (u_char *)s->where,
	    strcmp(s->where, s->from) != 0 ? (u_char *)s->org : NULL);
	if (s->spf != INKAN_SPF_NONE || s->spf_domain[0]) {
		int r = s->spf == INKAN_SPF_PASS ? DMARC_POLICY_SPF_OUTCOME_PASS :
		    s->spf == INKAN_SPF_NONE ? DMARC_POLICY_SPF_OUTCOME_NONE :
		    s->spf == INKAN_SPF_TEMPERROR ? DMARC_POLICY_SPF_OUTCOME_TMPFAIL :
		    DMARC_POLICY_SPF_OUTCOME_FAIL;

		opendmarc_policy_store_spf(ctx, (u_char *)s->spf_domain, r,
		    s->spf_helo ? DMARC_POLICY_SPF_ORIGIN_HELO : DMARC_POLICY_SPF_ORIGIN_MAILFROM,
		    NULL);
	}
	for (size_t i = 0; i < s->ndkim; i++)
		opendmarc_policy_store_dkim(ctx, (u_char *)s->d[i], (u_char *)"sel",
		    s->dres[i] == INKAN_DKIM_PASS ? DMARC_POLICY_DKIM_OUTCOME_PASS :
		    DMARC_POLICY_DKIM_OUTCOME_FAIL, NULL);
	v->policy = opendmarc_get_policy_to_enforce(ctx);
	opendmarc_policy_fetch_alignment(ctx, &da, &sa);
	v->dkim_aligned = da == DMARC_POLICY_DKIM_ALIGNMENT_PASS;
	v->spf_aligned = sa == DMARC_POLICY_SPF_ALIGNMENT_PASS;
	opendmarc_policy_connect_shutdown(ctx);
}

static int
run_inkan(const struct scenario *s, const struct inkan_dmarc_psl *psl, struct verdict *v)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_dmarc_dkim dk[2];
	struct inkan_dmarc_opts o = { .mode = INKAN_DMARC_PSL, .psl = psl, .no_compare = true };
	struct inkan_dmarc_input in = {
		.from_domain = s->from,
		.spf = (enum inkan_spf_verdict)s->spf,
		.spf_domain = s->spf_domain[0] ? s->spf_domain : NULL,
		.spf_is_helo = s->spf_helo,
		.dkim = dk,
		.ndkim = s->ndkim,
	};
	char line[1024], *why = NULL;
	int rc;

	if (a == NULL || inkan_zone_new(&z) != 0)
		return INKAN_ENOMEM;
	snprintf(line, sizeof(line), "_dmarc.%s. 300 IN TXT \"%s\"", s->where, s->record);
	if (inkan_zone_add_text(z, line, &why) != 0) {
		fprintf(stderr, "zone: %s: %s\n", line, why ? why : "?");
		abort();
	}
	if (s->from_exists) {
		snprintf(line, sizeof(line), "%s. 300 IN A 192.0.2.1", s->from);
		if (inkan_zone_add_text(z, line, &why) != 0)
			abort();
	}
	for (size_t i = 0; i < s->ndkim; i++)
		dk[i] = (struct inkan_dmarc_dkim){ s->d[i], (enum inkan_dkim_result)s->dres[i],
			"sel" };
	if ((rc = inkan_resolver_zone_new(z, &r)) != 0)
		return rc;
	rc = inkan_dmarc_evaluate(r, a, &o, &in, &v->ev);
	if (rc == 0) {
		switch (v->ev.result) {
		case INKAN_DMARC_PASS:
			v->policy = DMARC_POLICY_PASS;
			break;
		case INKAN_DMARC_FAIL:
			v->policy = v->ev.policy == INKAN_DMARC_P_REJECT ? DMARC_POLICY_REJECT :
			    v->ev.policy == INKAN_DMARC_P_QUARANTINE ? DMARC_POLICY_QUARANTINE :
			    DMARC_POLICY_NONE;
			break;
		default:
			v->policy = DMARC_POLICY_ABSENT;
			break;
		}
		v->spf_aligned = v->ev.spf_aligned;
		v->dkim_aligned = v->ev.dkim_aligned;
		snprintf(line, sizeof(line), "%s: %s", inkan_dmarc_result_name(v->ev.result),
		    v->ev.reason);
		v->reason = strdup(line);
	}
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
	return rc;
}

/* RFC 7489 §3.1.1 alignment, worked out here from the names and the PSL
 * (an oracle independent of both implementations' alignment code):
 * strict = identical, relaxed = the same Organizational Domain (§3.2). */
static bool
rfc_aligned(const struct inkan_dmarc_psl *psl, const char *id, const char *from, bool strict)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *o1 = NULL, *o2 = NULL;
	bool r;

	if (strcasecmp(id, from) == 0)
		r = true;
	else if (strict)
		r = false;
	else
		r = inkan_dmarc_psl_org_domain(psl, a, id, &o1) == 0 &&
		    inkan_dmarc_psl_org_domain(psl, a, from, &o2) == 0 && strcmp(o1, o2) == 0;
	inkan_arena_free(a);
	return r;
}

struct oracle {
	bool spf, dkim;
};

static void
oracle(const struct scenario *s, const struct inkan_dmarc_psl *psl, struct oracle *o)
{
	bool adkim_s = strstr(s->record, "adkim=s") != NULL;
	bool aspf_s = strstr(s->record, "aspf=s") != NULL;

	o->spf = s->spf == INKAN_SPF_PASS && s->spf_domain[0] &&
	    rfc_aligned(psl, s->spf_domain, s->from, aspf_s);
	o->dkim = false;
	for (size_t i = 0; i < s->ndkim; i++)
		if (s->dres[i] == INKAN_DKIM_PASS && rfc_aligned(psl, s->d[i], s->from, adkim_s))
			o->dkim = true;
}

/* Why OpenDMARC's alignment differs from the RFC, or NULL if it does not. */
static const char *
alignment_reason(const struct scenario *s, bool od, bool rfc, bool dkim)
{
	bool strict = strstr(s->record, dkim ? "adkim=s" : "aspf=s") != NULL;

	if (od == rfc)
		return NULL;
	if (od && strict)
		return dkim ? "RFC 7489 §3.1.1: adkim=s needs d= identical to the From domain; "
		    "OpenDMARC 1.4.2 also accepts a d= whose Organizational Domain is the From "
		    "domain" : "RFC 7489 §3.1.1: aspf=s needs the MAIL FROM domain identical to "
		    "the From domain; OpenDMARC 1.4.2 also accepts one whose Organizational "
		    "Domain is the From domain";
	if (od)
		return "RFC 7489 §3.1.1 and §3.2: relaxed alignment needs the same "
		    "Organizational Domain; OpenDMARC 1.4.2 accepts any parent or child name, "
		    "even a public suffix (d=com for example.com)";
	if (dkim)
		return "RFC 7489 §4.2 (RFC 9989 §4.4.1): any one aligned passing signature is "
		    "enough; OpenDMARC 1.4.2 keeps one signature per message, and a later failing "
		    "one from the From domain replaces an earlier aligned pass";
	return NULL;
}

/* The RFC reason for a known kind of disagreement, or NULL. */
static const char *
explain(const struct scenario *s, const struct verdict *i, const struct verdict *o,
    const struct oracle *rfc)
{
	bool sub = strcmp(s->where, s->from) != 0;
	const char *d = alignment_reason(s, o->dkim_aligned, rfc->dkim, true);
	const char *f = alignment_reason(s, o->spf_aligned, rfc->spf, false);

	/* inkan must agree with the oracle whatever OpenDMARC says */
	if (i->policy != DMARC_POLICY_ABSENT &&
	    (i->dkim_aligned != rfc->dkim || i->spf_aligned != rfc->spf))
		return NULL;
	if (i->policy == o->policy || (o->policy == DMARC_POLICY_PASS) !=
	    (i->policy == DMARC_POLICY_PASS)) {
		/* same verdict with other alignment flags, or pass vs. fail
		 * caused by OpenDMARC's alignment */
		if (d != NULL && (f != NULL || o->spf_aligned == i->spf_aligned))
			return d;
		if (f != NULL && o->dkim_aligned == i->dkim_aligned)
			return f;
	}
	if ((!s->has_p || s->bad_p) && s->has_rua && i->policy != o->policy)
		return "RFC 7489 §6.6.3 (and RFC 9989 §4.10.1): a record without a valid p= but "
		    "with a valid rua= is treated as p=none; OpenDMARC refuses it";
	if (s->has_np && sub && !s->from_exists && i->ev.policy_tag != NULL &&
	    strcmp(i->ev.policy_tag, "np") == 0)
		return "RFC 9091 §4.1 / RFC 9989 §4.7: np= applies to a non-existent subdomain; "
		    "OpenDMARC 1.4.2 does not implement np=";
	if (s->spf == INKAN_SPF_TEMPERROR && i->ev.result == INKAN_DMARC_TEMPERROR &&
	    o->policy != DMARC_POLICY_PASS)
		return "RFC 9989 §5.3.6: an SPF temperror for an aligned domain leaves the "
		    "result undecided (temperror); OpenDMARC treats it as a failure";
	return NULL;
}

int
main(int argc, char **argv)
{
	struct inkan_dmarc_psl *psl;
	const char *why = NULL, *pslfile;
	unsigned n = 400, fails = 0, known = 0;
	uint64_t seed = 7489;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			n = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: %s [-n COUNT] [-s SEED] PSL_FILE\n", argv[0]);
		return 2;
	}
	pslfile = argv[optind];
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	if (inkan_dmarc_psl_load(pslfile, &psl, &why) != 0) {
		printf("not ok 1 - inkan cannot load %s: %s\n1..1\n", pslfile, why);
		return 1;
	}
	if (opendmarc_tld_read_file((char *)pslfile, "//", "*.", "!") != 0) {
		printf("not ok 1 - OpenDMARC cannot load %s\n1..1\n", pslfile);
		return 1;
	}
	for (unsigned k = 1; k <= n; k++) {
		struct inkan_arena *a = inkan_arena_new();
		struct scenario s;
		struct verdict vi, vo;
		char desc[1536];
		int rc;

		memset(&vi, 0, sizeof(vi));
		memset(&vo, 0, sizeof(vo));
		generate(&s, psl, a);
		snprintf(desc, sizeof(desc), "From %s, record at %s \"%s\"%s, SPF %s %s%s",
		    s.from, s.where, s.record, s.from_exists ? "" : " (From domain NXDOMAIN)",
		    inkan_spf_verdict_name((enum inkan_spf_verdict)s.spf), s.spf_domain,
		    s.spf_helo ? " (HELO)" : "");
		for (size_t i = 0; i < s.ndkim; i++) {
			size_t l = strlen(desc);

			snprintf(desc + l, sizeof(desc) - l, ", DKIM %s d=%s",
			    inkan_dkim_result_name((enum inkan_dkim_result)s.dres[i]), s.d[i]);
		}
		struct oracle rfc;

		oracle(&s, psl, &rfc);
		run_opendmarc(&s, &vo);
		if ((rc = run_inkan(&s, psl, &vi)) != 0) {
			printf("not ok %u - %s: inkan error %s\n", k, desc, inkan_strerror(rc));
			fails++;
			inkan_arena_free(a);
			continue;
		}
		bool same = vi.policy == vo.policy && (vi.policy == DMARC_POLICY_ABSENT ||
		    (vi.spf_aligned == vo.spf_aligned && vi.dkim_aligned == vo.dkim_aligned));
		bool oracle_ok = vi.policy == DMARC_POLICY_ABSENT ||
		    (vi.spf_aligned == rfc.spf && vi.dkim_aligned == rfc.dkim);

		if (!oracle_ok) {
			printf("not ok %u - %s: inkan's alignment (spf %d dkim %d) is not "
			    "RFC 7489 §3.1.1's (spf %d dkim %d) [inkan: %s]\n", k, desc,
			    vi.spf_aligned, vi.dkim_aligned, rfc.spf, rfc.dkim,
			    vi.reason ? vi.reason : "");
			fails++;
			free((void *)vi.reason);
			inkan_arena_free(a);
			continue;
		}

		if (same) {
			printf("ok %u - %s: both %s (spf aligned %d, dkim aligned %d)\n", k, desc,
			    pname(vi.policy), vi.spf_aligned, vi.dkim_aligned);
		} else {
			const char *reason = explain(&s, &vi, &vo, &rfc);

			printf("not ok %u - %s: inkan %s (spf %d dkim %d), OpenDMARC %s "
			    "(spf %d dkim %d, store %d) [inkan: %s]%s%s\n", k, desc,
			    pname(vi.policy), vi.spf_aligned,
			    vi.dkim_aligned, pname(vo.policy), vo.spf_aligned, vo.dkim_aligned,
			    vo.store_rc, vi.reason ? vi.reason : "", reason ? " # TODO " : "",
			    reason ? reason : "");
			if (reason != NULL)
				known++;
			else
				fails++;
		}
		free((void *)vi.reason);
		inkan_arena_free(a);
	}
	printf("1..%u\n", n);
	fprintf(stderr, "dmarc_opendmarc: %u scenarios, %u agree, %u known disagreements, "
	    "%u unexplained\n", n, n - fails - known, known, fails);
	opendmarc_tld_shutdown();
	inkan_dmarc_psl_free(psl);
	return fails != 0;
}
