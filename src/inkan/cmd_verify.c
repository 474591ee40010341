/* cmd_verify.c - `inkan verify` and `inkan stats`: whole messages through
 * the verify session (SPF, DKIM, ARC, DMARC; Authentication-Results).
 *
 * verify: one message gives the per-method results, the disposition and
 * our Authentication-Results field; a mailbox (mbox, Maildir, several
 * files) gives one line per message.  In a mailbox the envelope (client
 * IP, HELO, MAIL FROM) is read from each message's topmost Received and
 * Return-Path fields when the command line does not give it, and such
 * results say "envelope inferred".
 *
 * stats: the distribution of results over a mailbox, from fresh
 * verification or from the Authentication-Results fields a named, trusted
 * authserv-id wrote (--from-authres ID): the table a mail operator
 * publishes about its inbound mail.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mailbox.h"
#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/msg.h"
#include "inkan/verify.h"

enum {
	OPT_IP = OPT_FIRST_LOCAL,
	OPT_HELO,
	OPT_MAIL_FROM,
	OPT_AUTHSERV_ID,
	OPT_DMARC_MODE,
	OPT_PSL,
	OPT_APPLY_PCT,
	OPT_NO_ARC,
	OPT_NOW,
	OPT_BAD_FROM,
	OPT_NO_INFER,
	OPT_FROM_AUTHRES,
	OPT_RECEIVER,
};

#define VERIFY_LONGOPTS \
	CLI_COMMON_LONGOPTS, \
	{ "ip", required_argument, NULL, OPT_IP }, \
	{ "helo", required_argument, NULL, OPT_HELO }, \
	{ "mail-from", required_argument, NULL, OPT_MAIL_FROM }, \
	{ "authserv-id", required_argument, NULL, OPT_AUTHSERV_ID }, \
	{ "dmarc-mode", required_argument, NULL, OPT_DMARC_MODE }, \
	{ "psl", required_argument, NULL, OPT_PSL }, \
	{ "apply-pct", no_argument, NULL, OPT_APPLY_PCT }, \
	{ "no-arc", no_argument, NULL, OPT_NO_ARC }, \
	{ "now", required_argument, NULL, OPT_NOW }, \
	{ "bad-from", required_argument, NULL, OPT_BAD_FROM }, \
	{ "no-infer", no_argument, NULL, OPT_NO_INFER }, \
	{ "receiver", required_argument, NULL, OPT_RECEIVER }

#define VERIFY_HELP \
"Envelope (what the MTA knew; without --ip SPF is not evaluated):\n" \
"  --ip IP              the SMTP client's address\n" \
"  --helo NAME          the HELO/EHLO name\n" \
"  --mail-from ADDR     the MAIL FROM address; '<>' is the null reverse-path\n" \
"                       (SPF then checks the HELO identity, RFC 7208 2.4)\n" \
"  --no-infer           in a mailbox, do not read the envelope from each\n" \
"                       message's Return-Path and topmost Received field\n" \
"Evaluation:\n" \
"  --authserv-id ID     our authserv-id for Authentication-Results (default:\n" \
"                       this host's name); fields claiming it are forged\n" \
"  --dmarc-mode MODE    rfc9989 (default: DNS tree walk) or rfc7489 (Public\n" \
"                       Suffix List; pct= honoured with --apply-pct)\n" \
"  --psl FILE           Public Suffix List (default Debian's)\n" \
"  --apply-pct          rfc7489 mode: sample pct= of failing mail\n" \
"  --bad-from DISP      disposition when the From field is unusable (several\n" \
"                       From fields or addresses, none, group syntax):\n" \
"                       none, quarantine or reject (default)\n" \
"  --no-arc             do not validate ARC chains\n" \
"  --now UNIXTIME       the time for DKIM/ARC t= and x= (tests, old mail)\n" \
"  --receiver NAME      our host name for SPF's %%{r} (default unknown)\n"

static const char verify_help[] =
"usage: inkan verify [OPTIONS] [FILE|MAILBOX|-]...\n"
"\n"
"Authenticate messages: SPF (RFC 7208), DKIM (RFC 6376, RFC 8463), ARC\n"
"(RFC 8617) and DMARC (RFC 9989).  For one message, print each result, the\n"
"disposition the sender's policy asks for, and the Authentication-Results\n"
"field (RFC 8601) to add.  An mbox, a Maildir or several files give one\n"
"line per message.  '-' (the default) reads one message from standard input.\n"
"\n"
VERIFY_HELP
"\n"
CLI_COMMON_HELP
"\n"
"Exit status for one message: 0 deliver (disposition none), 1 quarantine,\n"
"2 reject; for a mailbox 0 when every message was read.  64 usage, 65 a\n"
"message could not be read or parsed, 69 resolver setup failed.\n";

static const char stats_help[] =
"usage: inkan stats [OPTIONS] MAILBOX...\n"
"\n"
"The distribution of SPF, DKIM, ARC and DMARC results over the messages of\n"
"mailboxes (mbox, Maildir, files), as counts and percentages.  By default\n"
"every message is verified afresh (keys may have been rotated since the\n"
"mail arrived: prefer --from-authres for old mail); with --from-authres ID\n"
"the results are read from the topmost Authentication-Results field that\n"
"the trusted authserv-id ID added.\n"
"\n"
"  --from-authres ID    read results from ID's Authentication-Results fields\n"
VERIFY_HELP
"\n"
CLI_COMMON_HELP;

struct run {
	struct cli cli;
	struct inkan_verify_opts vo;
	struct inkan_verify_envelope env;	/* from the command line */
	bool no_infer;
	bool batch;			/* one line per message */
	bool stats;
	const char *from_authres;	/* stats from this authserv-id's fields */
	struct inkan_dkim_keycache *kc;
	int exit;
	size_t nmsgs, nerrors;
	/* stats: counts per method and result */
	struct tally {
		const char *name;
		size_t n;
	} tally[5][12];
};

static const char *const methods[] = { "spf", "dkim", "arc", "dmarc", "disposition" };

static void
tally_add(struct run *r, int method, const char *result)
{
	for (int i = 0; i < 12; i++) {
		struct tally *t = &r->tally[method][i];
		if (t->name == NULL) {
			t->name = result;	/* static strings only */
			t->n = 1;
			return;
		}
		if (strcmp(t->name, result) == 0) {
			t->n++;
			return;
		}
	}
}

static const char *
from_status_name(enum inkan_dmarc_from_status s)
{
	switch (s) {
	case INKAN_DMARC_FROM_OK: return "ok";
	case INKAN_DMARC_FROM_MISSING: return "missing";
	case INKAN_DMARC_FROM_MULTIPLE_FIELDS: return "multiple-fields";
	case INKAN_DMARC_FROM_MULTIPLE_ADDRESSES: return "multiple-addresses";
	case INKAN_DMARC_FROM_GROUP: return "group";
	case INKAN_DMARC_FROM_NO_ADDRESS: return "no-address";
	case INKAN_DMARC_FROM_SYNTAX: return "syntax";
	default: return "unusable";
	}
}

static const char *
env_source_name(enum inkan_verify_source s)
{
	return s == INKAN_VERIFY_ENV_GIVEN ? "given" : s == INKAN_VERIFY_ENV_INFERRED ?
	    "inferred" : "none";
}

static const char *
disp_name(enum inkan_dmarc_policy p)
{
	const char *n = inkan_dmarc_policy_name(p);
	return n != NULL ? n : "none";
}

#define JSTR(o, k, v) json_object_set_new(o, k, (v) != NULL ? json_string(v) : json_null())

static json_t *
result_json(const struct inkan_verify_result *res)
{
	json_t *o = json_object(), *j;
	char ip[64];

	j = json_object();
	JSTR(j, "ip", res->env.has_ip ? inkan_ip_format(&res->env.ip, ip, sizeof(ip)) : NULL);
	JSTR(j, "helo", res->env.helo);
	JSTR(j, "mail_from", res->env.mail_from);
	JSTR(j, "source", env_source_name(res->env.source));
	json_object_set_new(o, "envelope", j);

	j = json_object();
	if (res->spf_evaluated) {
		JSTR(j, "result", inkan_spf_verdict_name(res->spf.result));
		JSTR(j, "identity", res->spf.identity);
		JSTR(j, "sender", res->spf.sender);
		JSTR(j, "domain", res->spf.domain);
		JSTR(j, "mechanism", res->spf.mechanism);
		JSTR(j, "explanation", res->spf.explanation);
		JSTR(j, "problem", res->spf.problem);
		json_object_set_new(j, "dns_lookups", json_integer(res->spf.dns_lookups));
	} else {
		JSTR(j, "result", "not-evaluated");
		JSTR(j, "problem", res->spf_skipped);
	}
	json_object_set_new(o, "spf", j);

	j = json_array();
	for (size_t i = 0; i < res->dkim.n; i++)
		json_array_append_new(j, cli_dkim_sig_json(&res->dkim.sigs[i]));
	json_object_set_new(o, "dkim", j);

	j = json_object();
	if (res->arc_evaluated) {
		JSTR(j, "result", inkan_arc_cv_name(res->arc.cv));
		JSTR(j, "reason", res->arc.reason);
		json_object_set_new(j, "oldest_pass", json_integer(res->arc.oldest_pass));
		json_t *sets = json_array();
		for (size_t i = 0; i < res->arc.n; i++) {
			const struct inkan_arc_set *s = &res->arc.sets[i];
			json_t *so = json_object();
			json_object_set_new(so, "i", json_integer(s->i));
			JSTR(so, "cv", s->cv);
			JSTR(so, "seal_d", s->as_d);
			JSTR(so, "seal_s", s->as_s);
			JSTR(so, "seal", inkan_dkim_result_name(s->as_result));
			JSTR(so, "ams_d", s->ams_d);
			JSTR(so, "ams_s", s->ams_s);
			JSTR(so, "ams", inkan_dkim_result_name(s->ams_result));
			JSTR(so, "reason", s->reason);
			JSTR(so, "aar", s->aar);
			json_array_append_new(sets, so);
		}
		json_object_set_new(j, "sets", sets);
	} else {
		JSTR(j, "result", "not-evaluated");
	}
	json_object_set_new(o, "arc", j);

	j = json_object();
	JSTR(j, "status", from_status_name(res->from.status));
	JSTR(j, "address", res->from.address);
	JSTR(j, "domain", res->from.domain);
	JSTR(j, "problem", res->from.why);
	json_object_set_new(o, "from", j);

	const struct inkan_dmarc_eval *d = &res->dmarc;
	j = json_object();
	JSTR(j, "result", inkan_dmarc_result_name(d->result));
	JSTR(j, "reason", d->reason);
	JSTR(j, "policy", inkan_dmarc_policy_name(d->policy));
	JSTR(j, "disposition", disp_name(res->disposition));
	JSTR(j, "from_domain", d->from_domain);
	JSTR(j, "policy_domain", d->policy_domain);
	JSTR(j, "org_domain", d->org_domain);
	JSTR(j, "record", d->record != NULL ? d->record->text : NULL);
	json_object_set_new(j, "spf_aligned", json_boolean(d->spf_aligned));
	json_object_set_new(j, "dkim_aligned", json_boolean(d->dkim_aligned));
	JSTR(j, "dkim_domain", d->dkim_domain);
	json_object_set_new(j, "testing", json_boolean(d->testing));
	json_object_set_new(j, "sampled_out", json_boolean(d->sampled_out));
	JSTR(j, "psl_diagnostic", d->psl_diagnostic);
	json_object_set_new(o, "dmarc", j);

	JSTR(o, "disposition", disp_name(res->disposition));
	JSTR(o, "authentication_results", res->authres);
	j = json_array();
	for (size_t i = 0; i < res->nforged; i++)
		json_array_append_new(j, json_integer(res->forged[i]));
	json_object_set_new(o, "forged_authentication_results", j);
	return o;
}

static void
print_json_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (s != NULL) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

static void
print_text(const struct inkan_verify_result *res)
{
	if (res->spf_evaluated) {
		printf("spf:   %s (%s %s)", inkan_spf_verdict_name(res->spf.result),
		    res->spf.identity, res->spf.sender ? res->spf.sender : "-");
		if (res->spf.problem != NULL)
			printf(": %s", res->spf.problem);
		putchar('\n');
	} else {
		printf("spf:   not evaluated (%s)\n", res->spf_skipped);
	}
	if (res->dkim.n == 0)
		printf("dkim:  none (no DKIM-Signature field)\n");
	for (size_t i = 0; i < res->dkim.n; i++) {
		const struct inkan_dkim_sig_result *s = &res->dkim.sigs[i];
		printf("dkim:  %s d=%s s=%s a=%s", inkan_dkim_result_name(s->result),
		    s->d ? s->d : "-", s->s ? s->s : "-", s->a ? s->a : "-");
		if (s->key_type != NULL)
			printf(" key=%s-%u", s->key_type, s->key_bits);
		if (s->has_l)
			printf(" l=%llu (%llu body bytes unsigned)", (unsigned long long)s->l,
			    (unsigned long long)s->unsigned_bytes);
		if (s->reason != NULL)
			printf(": %s", s->reason);
		putchar('\n');
	}
	if (res->arc_evaluated) {
		printf("arc:   %s", inkan_arc_cv_name(res->arc.cv));
		if (res->arc.n > 0)
			printf(" (%zu set%s)", res->arc.n, res->arc.n == 1 ? "" : "s");
		if (res->arc.reason != NULL)
			printf(": %s", res->arc.reason);
		putchar('\n');
	}
	const struct inkan_dmarc_eval *d = &res->dmarc;
	printf("dmarc: %s", inkan_dmarc_result_name(d->result));
	if (res->from.domain != NULL)
		printf(" (from %s", res->from.domain);
	else
		printf(" (no usable From");
	if (inkan_dmarc_policy_name(d->policy) != NULL)
		printf(", p=%s", inkan_dmarc_policy_name(d->policy));
	if (d->result == INKAN_DMARC_PASS)
		printf(", aligned:%s%s", d->spf_aligned ? " spf" : "", d->dkim_aligned ? " dkim" : "");
	if (d->testing)
		printf(", testing");
	printf(")");
	if (d->reason != NULL && d->result != INKAN_DMARC_PASS)
		printf(": %s", d->reason);
	putchar('\n');
	if (d->psl_diagnostic != NULL)
		printf("note:  %s\n", d->psl_diagnostic);
	printf("disposition: %s\n", disp_name(res->disposition));
	for (size_t i = 0; i < res->nforged; i++)
		printf("forged: Authentication-Results #%u claims our authserv-id; remove it\n",
		    res->forged[i]);
	printf("%s", res->authres_field);
}

static void
print_line(const struct mailbox_msg *m, const struct inkan_verify_result *res)
{
	if (m->index > 0)
		printf("%s#%zu:", m->path, m->index);
	else
		printf("%s:", m->path);
	printf(" spf=%s", res->spf_evaluated ? inkan_spf_verdict_name(res->spf.result) :
	    "not-evaluated");
	printf(" dkim=%s", inkan_dkim_result_name(res->dkim.overall));
	for (size_t i = 0; i < res->dkim.n; i++)
		if (res->dkim.sigs[i].result == INKAN_DKIM_PASS) {
			printf("(%s)", res->dkim.sigs[i].d);
			break;
		}
	if (res->arc_evaluated)
		printf(" arc=%s", inkan_arc_cv_name(res->arc.cv));
	printf(" dmarc=%s", inkan_dmarc_result_name(res->dmarc.result));
	if (res->from.domain != NULL)
		printf(" from=%s", res->from.domain);
	printf(" disposition=%s", disp_name(res->disposition));
	if (res->env.source == INKAN_VERIFY_ENV_INFERRED)
		printf(" [envelope inferred from Received/Return-Path]");
	putchar('\n');
}

static void
report_error(struct run *r, const struct mailbox_msg *m, const char *why)
{
	r->nerrors++;
	if (r->cli.json && !r->stats) {
		json_t *o = json_object();
		JSTR(o, "message", m->path);
		if (m->index > 0)
			json_object_set_new(o, "index", json_integer((json_int_t)m->index));
		JSTR(o, "error", why);
		print_json_line(o);
	} else if (m->index > 0) {
		cli_error(&r->cli, "%s#%zu: %s", m->path, m->index, why);
	} else {
		cli_error(&r->cli, "%s: %s", m->path, why);
	}
}

/* stats --from-authres: the topmost A-R field of the trusted id. */
static void
tally_authres(struct run *r, struct inkan_arena *a, const struct mailbox_msg *m)
{
	struct inkan_msg msg;
	if (inkan_msg_parse(a, m->data, m->len, NULL, &msg) != 0) {
		report_error(r, m, "header does not parse");
		return;
	}
	for (size_t i = 0; i < msg.nfields; i++) {
		const struct inkan_msg_field *f = &msg.fields[i];
		if (!inkan_slice_caseeq_cstr(f->name, "Authentication-Results"))
			continue;
		struct inkan_authres ar;
		const char *why;
		if (inkan_authres_parse(a, f->value.p, f->value.len, INKAN_AUTHRES_LENIENT, &ar,
		    &why) != 0 || ar.authserv_id == NULL ||
		    strcasecmp(ar.authserv_id, r->from_authres) != 0)
			continue;
		static const char *const known[] = { "pass", "fail", "softfail", "neutral",
			"none", "temperror", "permerror", "policy", NULL };
		for (int mth = 0; mth < 4; mth++) {
			const char *best = NULL;
			for (size_t k = 0; k < ar.nresults; k++) {
				if (strcasecmp(ar.results[k].method, methods[mth]) != 0)
					continue;
				const char *res = ar.results[k].result;
				/* dkim: a message passes if any signature does. */
				if (best == NULL || strcasecmp(res, "pass") == 0)
					best = res;
			}
			const char *name = "absent";
			for (int q = 0; best != NULL && known[q] != NULL; q++)
				if (strcasecmp(best, known[q]) == 0)
					name = known[q];
			if (best != NULL && strcmp(name, "absent") == 0)
				name = "other";
			tally_add(r, mth, name);
		}
		r->nmsgs++;
		return;
	}
	tally_add(r, 0, "no-authres");
	r->nmsgs++;
}

static int
on_message(void *arg, const struct mailbox_msg *m)
{
	struct run *r = arg;

	if (m->err != NULL) {
		report_error(r, m, m->err);
		return 0;
	}
	if (m->index > 0)
		r->batch = true;
	struct inkan_arena *a = inkan_arena_new();
	if (a == NULL)
		return INKAN_ENOMEM;
	if (r->from_authres != NULL) {
		tally_authres(r, a, m);
		inkan_arena_free(a);
		return 0;
	}

	struct inkan_verify_envelope env = r->env;
	if (r->batch && !r->no_infer && env.source == INKAN_VERIFY_ENV_NONE) {
		if (inkan_verify_infer_envelope(a, m->data, m->len, &env) != 0)
			memset(&env, 0, sizeof(env));
	}
	struct inkan_verify_result res;
	int err = inkan_verify_message(r->cli.cache, a, &r->vo, &env, m->data, m->len, &res);
	if (err == INKAN_ENOMEM) {
		inkan_arena_free(a);
		return err;
	}
	if (err != 0) {
		report_error(r, m, inkan_strerror(err));
		inkan_arena_free(a);
		return 0;
	}
	r->nmsgs++;
	if (r->stats) {
		tally_add(r, 0, res.spf_evaluated ? inkan_spf_verdict_name(res.spf.result) :
		    "not-evaluated");
		tally_add(r, 1, inkan_dkim_result_name(res.dkim.overall));
		tally_add(r, 2, res.arc_evaluated ? inkan_arc_cv_name(res.arc.cv) :
		    "not-evaluated");
		tally_add(r, 3, inkan_dmarc_result_name(res.dmarc.result));
		tally_add(r, 4, disp_name(res.disposition));
	} else if (r->cli.json) {
		json_t *o = result_json(&res);
		if (r->batch) {
			json_t *w = json_object();
			JSTR(w, "message", m->path);
			if (m->index > 0)
				json_object_set_new(w, "index", json_integer((json_int_t)m->index));
			json_object_update(w, o);
			json_decref(o);
			o = w;
		}
		print_json_line(o);
	} else if (r->batch) {
		print_line(m, &res);
	} else {
		print_text(&res);
	}
	if (!r->batch)
		r->exit = res.disposition == INKAN_DMARC_P_REJECT ? 2 :
		    res.disposition == INKAN_DMARC_P_QUARANTINE ? 1 : 0;
	fflush(stdout);
	inkan_arena_free(a);
	return 0;
}

static void
print_stats(struct run *r)
{
	if (r->cli.json) {
		json_t *o = json_object();
		json_object_set_new(o, "messages", json_integer((json_int_t)r->nmsgs));
		json_object_set_new(o, "errors", json_integer((json_int_t)r->nerrors));
		JSTR(o, "source", r->from_authres != NULL ? "authentication-results" :
		    "verification");
		for (int mth = 0; mth < 5; mth++) {
			json_t *j = json_object();
			for (int i = 0; i < 12 && r->tally[mth][i].name != NULL; i++)
				json_object_set_new(j, r->tally[mth][i].name,
				    json_integer((json_int_t)r->tally[mth][i].n));
			json_object_set_new(o, methods[mth], j);
		}
		print_json_line(o);
		return;
	}
	printf("%zu messages", r->nmsgs);
	if (r->nerrors > 0)
		printf(" (%zu could not be read)", r->nerrors);
	if (r->from_authres != NULL)
		printf(", results from Authentication-Results by %s", r->from_authres);
	printf("\n");
	for (int mth = 0; mth < 5; mth++) {
		if (r->tally[mth][0].name == NULL)
			continue;
		printf("\n%s\n", methods[mth]);
		for (int i = 0; i < 12 && r->tally[mth][i].name != NULL; i++) {
			const struct tally *t = &r->tally[mth][i];
			printf("  %-14s %8zu  %6.2f%%\n", t->name, t->n,
			    r->nmsgs ? 100.0 * (double)t->n / (double)r->nmsgs : 0.0);
		}
	}
}

static int
run_command(int argc, char **argv, bool stats)
{
	static const struct option longopts[] = {
		VERIFY_LONGOPTS,
		{ "from-authres", required_argument, NULL, OPT_FROM_AUTHRES },
		{ NULL, 0, NULL, 0 },
	};
	struct run *r = calloc(1, sizeof(*r));
	char host[256] = "localhost";
	int c, rc, ret = 0;
	char *end;

	if (r == NULL)
		return EXIT_SOFTWARE;
	r->stats = stats;
	r->cli.prog = stats ? "inkan stats" : "inkan verify";
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	r->vo.authserv_id = host;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if ((rc = cli_common_opt(&r->cli, c, optarg)) < 0) {
			ret = EXIT_USAGE;
			goto out;
		}
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(stats ? stats_help : verify_help, stdout);
			goto out;
		case OPT_IP:
			if (inkan_ip_parse(optarg, strlen(optarg), &r->env.ip) != 0) {
				ret = cli_usage_error(&r->cli, "--ip: '%s' is not an IP address",
				    optarg);
				goto out;
			}
			inkan_ip_unmap(&r->env.ip);
			r->env.has_ip = true;
			r->env.source = INKAN_VERIFY_ENV_GIVEN;
			break;
		case OPT_HELO:
			r->env.helo = optarg;
			r->env.source = INKAN_VERIFY_ENV_GIVEN;
			break;
		case OPT_MAIL_FROM:
			r->env.mail_from = optarg;
			r->env.source = INKAN_VERIFY_ENV_GIVEN;
			break;
		case OPT_AUTHSERV_ID:
			r->vo.authserv_id = optarg;
			break;
		case OPT_DMARC_MODE:
			if (strcmp(optarg, "rfc9989") == 0 || strcmp(optarg, "9989") == 0)
				r->vo.dmarc.mode = INKAN_DMARC_TREEWALK;
			else if (strcmp(optarg, "rfc7489") == 0 || strcmp(optarg, "7489") == 0)
				r->vo.dmarc.mode = INKAN_DMARC_PSL;
			else {
				ret = cli_usage_error(&r->cli, "--dmarc-mode is rfc9989 or rfc7489");
				goto out;
			}
			break;
		case OPT_PSL:
			r->vo.dmarc.psl_file = optarg;
			break;
		case OPT_APPLY_PCT:
			r->vo.dmarc.apply_pct = true;
			break;
		case OPT_NO_ARC:
			r->vo.no_arc = true;
			break;
		case OPT_NOW:
			errno = 0;
			r->vo.now = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || r->vo.now <= 0) {
				ret = cli_usage_error(&r->cli, "--now wants a positive UNIX time");
				goto out;
			}
			break;
		case OPT_BAD_FROM:
			if (strcmp(optarg, "none") == 0)
				r->vo.bad_from = INKAN_DMARC_P_NONE;
			else if (strcmp(optarg, "quarantine") == 0)
				r->vo.bad_from = INKAN_DMARC_P_QUARANTINE;
			else if (strcmp(optarg, "reject") == 0)
				r->vo.bad_from = INKAN_DMARC_P_REJECT;
			else {
				ret = cli_usage_error(&r->cli,
				    "--bad-from is none, quarantine or reject");
				goto out;
			}
			break;
		case OPT_NO_INFER:
			r->no_infer = true;
			break;
		case OPT_RECEIVER:
			r->vo.receiver = optarg;
			break;
		case OPT_FROM_AUTHRES:
			if (!stats) {
				ret = cli_usage_error(&r->cli, "--from-authres is for inkan stats");
				goto out;
			}
			r->from_authres = optarg;
			break;
		default:
			ret = cli_usage_error(&r->cli, "unknown option");
			goto out;
		}
	}
	if (stats && optind >= argc) {
		ret = cli_usage_error(&r->cli, "no mailbox given");
		goto out;
	}
	if (r->env.mail_from != NULL && strcmp(r->env.mail_from, "<>") != 0) {
		/* Accept "<user@example>" as well as the bare address. */
		size_t n = strlen(r->env.mail_from);
		if (n >= 2 && r->env.mail_from[0] == '<' && r->env.mail_from[n - 1] == '>') {
			static char buf[1024];
			if (n - 2 >= sizeof(buf)) {
				ret = cli_usage_error(&r->cli, "--mail-from is too long");
				goto out;
			}
			memcpy(buf, r->env.mail_from + 1, n - 2);
			buf[n - 2] = '\0';
			r->env.mail_from = buf;
		}
	}
	if ((rc = cli_resolver_open(&r->cli)) != 0) {
		ret = rc;
		goto out;
	}
	if (inkan_dkim_keycache_new(0, &r->kc) != 0) {
		ret = EXIT_SOFTWARE;
		goto out;
	}
	r->vo.keycache = r->kc;

	int nargs = argc - optind;
	const char *one = nargs > 0 ? argv[optind] : "-";
	struct stat st;
	r->batch = stats || nargs > 1 || (strcmp(one, "-") != 0 && stat(one, &st) == 0 &&
	    S_ISDIR(st.st_mode));
	for (int i = 0; i < (nargs > 0 ? nargs : 1); i++) {
		const char *path = nargs > 0 ? argv[optind + i] : "-";
		const char *why;
		rc = mailbox_each(path, on_message, r, &why);
		if (rc == INKAN_ENOMEM) {
			cli_error(&r->cli, "out of memory");
			ret = EXIT_SOFTWARE;
			goto out;
		}
		if (rc != 0) {
			cli_error(&r->cli, "%s: %s", path, why != NULL ? why : "cannot read");
			r->nerrors++;
		}
	}
	if (stats)
		print_stats(r);
	if (r->nerrors > 0)
		ret = EXIT_DATAERR;
	else
		ret = r->batch ? 0 : r->exit;
out:
	inkan_dkim_keycache_free(r->kc);
	cli_resolver_close(&r->cli);
	free(r);
	return ret;
}

int
cmd_verify(int argc, char **argv)
{
	return run_command(argc, argv, false);
}

int
cmd_stats(int argc, char **argv)
{
	return run_command(argc, argv, true);
}
