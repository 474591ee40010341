/* cmd_report.c - `inkan report ingest|summary|parse`: DMARC aggregate
 * (RFC 9990, RFC 7489) and TLS-RPT (RFC 8460) reports.
 *
 * ingest reads files, directories (recursively; a Maildir's cur/ and
 * new/), mboxes, single messages and stdin; what each input is comes from
 * its content (inkan_report_sniff), never from its name.  Every report
 * found is stored in its own transaction (store.h), so an interrupted
 * ingest can simply be run again: what was stored is reported duplicate,
 * the rest is stored.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "report_html.h"
#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/report.h"
#include "inkan/spf.h"
#include "inkan/store.h"

#define EXIT_SETASIDE	1	/* some input was set aside */
#define EXIT_STORE	74	/* EX_IOERR: the store failed */
#define EXIT_CANTCREAT	73	/* EX_CANTCREAT: the output directory */

enum {
	OPT_DB = OPT_FIRST_LOCAL,
	OPT_DOMAIN,
	OPT_SINCE,
	OPT_TOP,
	OPT_NO_DNS,
	OPT_OUT,
};

static const struct option longopts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "no-dns", no_argument, NULL, OPT_NO_DNS },
	{ "out", required_argument, NULL, OPT_OUT },
	CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char report_help[] =
"usage: inkan report ingest --db FILE [--json] PATH...\n"
"       inkan report summary --db FILE [--domain D] [--since DATE] [--top N] [--json]\n"
"                            [--no-dns] [DNS options]\n"
"       inkan report html --db FILE --out DIR [--domain D] [--since DATE] [--top N]\n"
"                         [--no-dns] [DNS options]\n"
"       inkan report parse [--json] PATH...\n"
"       inkan report generate (--db FILE | --tls-sessions FILE) --org-name N\n"
"                            --org-email ADDR --out DIR [--send] ...\n"
"\n"
"ingest   store the DMARC aggregate, DMARC failure (ARF) and TLS-RPT reports\n"
"         found in PATHs: report\n"
"         files (XML, JSON, gzip, zip, by content), e-mails, mboxes,\n"
"         directories and Maildirs; '-' reads standard input.  Prints per\n"
"         report: stored, duplicate (same organisation and report id), or\n"
"         set aside with the reason.\n"
"summary  what the stored reports say: DMARC pass/fail per organisation,\n"
"         source IP and day, failing sources, DKIM passing without alignment;\n"
"         TLS-RPT sessions per policy and MX, failures by result type.\n"
"         --since YYYY-MM-DD keeps reports whose range ends on or after it.\n"
"         Each source IP gets its PTR name and whether the policy domain's\n"
"         SPF record authorises it (check_host for postmaster@DOMAIN);\n"
"         --no-dns skips these lookups.  Advice lists the legitimate-looking\n"
"         sources (SPF-authorised, or DKIM-passing with the domain) that still\n"
"         fail DMARC, and why: fix them before moving from p=none to p=reject.\n"
"html     the summary as a self-contained page, DIR/index.html: pass rate\n"
"         per day, volume by source, why messages fail, the advice, TLS-RPT;\n"
"         inline SVG charts, no script, nothing fetched.\n"
"parse    print the reports in PATHs as JSON without storing them.\n"
"generate DMARC aggregate reports (RFC 9990) from the verdicts inkan-milter\n"
"         stored, TLS reports (RFC 8460) from a session file; --send mails\n"
"         them to the rua= destinations ('inkan report generate --help').\n"
"\n"
"\n" CLI_COMMON_HELP
"\nExit status: 0 done, 1 some input was set aside, 64 usage, 69 resolver,\n"
"73 cannot write the output directory, 74 store error.\n";

struct ctx {
	struct cli cli;
	const char *db;
	const char *domain;
	int64_t since;
	int top;
	bool json;
	bool no_dns;
	bool parse_only;
	const char *out;
	struct inkan_store *store;
	json_t *results;	/* --json: one object per report or input */
	json_t *parsed;		/* parse: the reports */
	size_t stored, duplicate, setaside;
	int fatal;
};

/* ---- output ---- */

static void
outcome(struct ctx *c, const char *label, const char *what, const struct inkan_report *r,
    const char *reason)
{
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s}", "input", label, "outcome", what);
		if (r != NULL && r->kind == INKAN_REPORT_DMARC)
			json_object_update_new(o, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}",
			    "kind", "dmarc", "org_name", r->dmarc.org_name,
			    "report_id", r->dmarc.report_id, "domain", r->dmarc.domain,
			    "records", (json_int_t)r->dmarc.nrows,
			    "messages", (json_int_t)r->dmarc.messages));
		else if (r != NULL)
			json_object_update_new(o, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}",
			    "kind", "tlsrpt", "org_name", r->tlsrpt.org_name,
			    "report_id", r->tlsrpt.report_id,
			    "policies", (json_int_t)r->tlsrpt.npolicies,
			    "successful_sessions", (json_int_t)r->tlsrpt.successful,
			    "failed_sessions", (json_int_t)r->tlsrpt.failed));
		if (reason != NULL)
			json_object_set_new(o, "reason", json_string(reason));
		json_array_append_new(c->results, o);
		return;
	}
	if (r != NULL && r->kind == INKAN_REPORT_DMARC)
		printf("%-9s %s: dmarc %s report %s for %s, %zu records, %llu messages\n",
		    what, label, r->dmarc.org_name, r->dmarc.report_id, r->dmarc.domain,
		    r->dmarc.nrows, (unsigned long long)r->dmarc.messages);
	else if (r != NULL)
		printf("%-9s %s: tlsrpt %s report %s, %zu policies, %llu ok / %llu failed"
		    " sessions\n", what, label, r->tlsrpt.org_name, r->tlsrpt.report_id,
		    r->tlsrpt.npolicies, (unsigned long long)r->tlsrpt.successful,
		    (unsigned long long)r->tlsrpt.failed);
	else
		printf("%-9s %s: %s\n", what, label, reason != NULL ? reason : "");
}

static void
set_aside(struct ctx *c, const char *label, const char *reason)
{
	c->setaside++;
	if (c->store != NULL && inkan_store_put_setaside(c->store, label, reason) != 0) {
		cli_error(&c->cli, "%s: cannot record the set-aside input", label);
		c->fatal = EXIT_STORE;
	}
	outcome(c, label, "set aside", NULL, reason);
}

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
auth_json(const struct inkan_dmarc_auth *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:o}",
		    "domain", jstr(v[i].domain), "selector", jstr(v[i].selector),
		    "scope", jstr(v[i].scope), "result", jstr(v[i].result),
		    "human_result", jstr(v[i].human_result)));
	return a;
}

static json_t *
strs_json(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The whole parsed report, field names from the RFCs. */
static json_t *
report_json(const struct inkan_report *r)
{
	json_t *o, *rows;

	if (r->kind == INKAN_REPORT_TLSRPT) {
		const struct inkan_tlsrpt_report *t = &r->tlsrpt;
		json_t *pols = json_array();

		for (size_t i = 0; i < t->npolicies; i++) {
			const struct inkan_tlsrpt_policy *p = &t->policies[i];
			json_t *fd = json_array();

			for (size_t j = 0; j < p->nfailures; j++) {
				const struct inkan_tlsrpt_failure *f = &p->failures[j];
				json_array_append_new(fd, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o,"
				    " s:o, s:I}", "result-type", jstr(f->result_type),
				    "sending-mta-ip", jstr(f->sending_mta_ip),
				    "receiving-mx-hostname", jstr(f->receiving_mx_hostname),
				    "receiving-mx-helo", jstr(f->receiving_mx_helo),
				    "receiving-ip", jstr(f->receiving_ip),
				    "additional-information", jstr(f->additional_information),
				    "failure-reason-code", jstr(f->failure_reason_code),
				    "failed-session-count", (json_int_t)f->failed_session_count));
			}
			json_array_append_new(pols, json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:o}",
			    "policy-type", jstr(p->policy_type), "policy-domain", jstr(p->policy_domain),
			    "policy-string", strs_json(p->policy_string, p->npolicy_string),
			    "mx-host", strs_json(p->mx_host, p->nmx_host),
			    "total-successful-session-count", (json_int_t)p->successful,
			    "total-failure-session-count", (json_int_t)p->failed,
			    "failure-details", fd));
		}
		return json_pack("{s:s, s:o, s:o, s:o, s:I, s:I, s:o, s:I, s:I}",
		    "kind", "tlsrpt", "organization-name", jstr(t->org_name),
		    "report-id", jstr(t->report_id), "contact-info", jstr(t->contact_info),
		    "begin", (json_int_t)t->begin, "end", (json_int_t)t->end, "policies", pols,
		    "successful_sessions", (json_int_t)t->successful,
		    "failed_sessions", (json_int_t)t->failed);
	}
	const struct inkan_dmarc_report *d = &r->dmarc;
	rows = json_array();
	for (size_t i = 0; i < d->nrows; i++) {
		const struct inkan_dmarc_row *w = &d->rows[i];
		json_t *reasons = json_array();

		for (size_t j = 0; j < w->nreasons; j++)
			json_array_append_new(reasons, json_pack("{s:o, s:o}",
			    "type", jstr(w->reasons[j].type), "comment", jstr(w->reasons[j].comment)));
		json_array_append_new(rows, json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o,"
		    " s:o, s:o, s:o}", "source_ip", jstr(w->source_ip), "count", (json_int_t)w->count,
		    "disposition", jstr(w->disposition), "dkim", jstr(w->dkim), "spf", jstr(w->spf),
		    "reason", reasons, "header_from", jstr(w->header_from),
		    "envelope_from", jstr(w->envelope_from), "envelope_to", jstr(w->envelope_to),
		    "auth_dkim", auth_json(w->dkim_auth, w->ndkim_auth),
		    "auth_spf", auth_json(w->spf_auth, w->nspf_auth)));
	}
	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o}",
	    "kind", "dmarc", "schema", jstr(d->schema), "version", jstr(d->version),
	    "org_name", jstr(d->org_name), "email", jstr(d->email),
	    "extra_contact_info", jstr(d->extra_contact_info), "report_id", jstr(d->report_id),
	    "generator", jstr(d->generator), "begin", (json_int_t)d->begin,
	    "end", (json_int_t)d->end, "error", strs_json(d->errors, d->nerrors));
	json_object_set_new(o, "policy_published", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o}", "domain", jstr(d->domain), "adkim", jstr(d->adkim),
	    "aspf", jstr(d->aspf), "p", jstr(d->p), "sp", jstr(d->sp), "np", jstr(d->np),
	    "pct", d->pct < 0 ? json_null() : json_integer(d->pct), "fo", jstr(d->fo),
	    "testing", jstr(d->testing), "discovery_method", jstr(d->discovery_method)));
	json_object_set_new(o, "records", rows);
	json_object_set_new(o, "messages", json_integer((json_int_t)d->messages));
	return o;
}

/* ---- ingest ---- */

static int
one_report(struct ctx *c, const char *label, const char *p, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_report_diag d = { "" };
	struct inkan_report r;
	enum inkan_store_outcome oc;
	int rc;

	if (a == NULL)
		return INKAN_ENOMEM;
	rc = inkan_report_parse(a, p, len, &r, &d);
	if (rc == INKAN_ENOMEM) {
		inkan_arena_free(a);
		return rc;
	}
	if (rc != 0) {
		set_aside(c, label, d.why[0] ? d.why : inkan_strerror(rc));
	} else if (c->parse_only) {
		json_t *o = report_json(&r);
		json_object_set_new(o, "input", json_string(label));
		json_array_append_new(c->parsed, o);
		c->stored++;
	} else if ((rc = inkan_store_put_report(c->store, &r, label, &oc)) != 0) {
		cli_error(&c->cli, "%s: cannot store the report: %s", label, inkan_strerror(rc));
		c->fatal = EXIT_STORE;
	} else {
		if (oc == INKAN_STORE_STORED)
			c->stored++;
		else
			c->duplicate++;
		outcome(c, label, oc == INKAN_STORE_STORED ? "stored" : "duplicate", &r, NULL);
	}
	inkan_arena_free(a);
	return c->fatal ? -1 : 0;
}

struct part_ctx {
	struct ctx *c;
	const char *label;
};

static int
on_part(void *vp, const char *name, const char *p, size_t len)
{
	struct part_ctx *pc = vp;
	char *label;
	int rc;

	if (asprintf(&label, "%s#%s", pc->label, name) < 0)
		return INKAN_ENOMEM;
	rc = one_report(pc->c, label, p, len);
	free(label);
	return rc;
}

static json_t *
arf_json(const struct inkan_arf_report *r)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
	    "kind", "failure", "feedback_type", jstr(r->feedback_type),
	    "version", jstr(r->version), "user_agent", jstr(r->user_agent),
	    "original_mail_from", jstr(r->original_mail_from),
	    "original_rcpt_to", jstr(r->original_rcpt_to),
	    "original_envelope_id", jstr(r->original_envelope_id),
	    "arrival_date", jstr(r->arrival_date), "arrival", (json_int_t)r->arrival,
	    "source_ip", jstr(r->source_ip), "reporting_mta", jstr(r->reporting_mta),
	    "auth_failure", jstr(r->auth_failure), "delivery_result", jstr(r->delivery_result),
	    "identity_alignment", jstr(r->identity_alignment),
	    "dkim_domain", jstr(r->dkim_domain), "dkim_selector", jstr(r->dkim_selector),
	    "dkim_identity", jstr(r->dkim_identity), "incidents", jstr(r->incidents),
	    "reported_domain", strs_json(r->reported_domain, r->nreported_domain),
	    "reported_uri", strs_json(r->reported_uri, r->nreported_uri),
	    "authentication_results", strs_json(r->authentication_results,
	    r->nauthentication_results),
	    "orig_from", jstr(r->orig_from), "orig_subject", jstr(r->orig_subject),
	    "digest", r->digest);
}

/* A failure report (RFC 9991 / RFC 6591) is a whole message: parse and
 * store it.  Returns INKAN_ENOTFOUND when p is not one. */
static int
one_failure(struct ctx *c, const char *label, const char *p, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_report_diag d = { "" };
	struct inkan_arf_report r;
	enum inkan_store_outcome oc;
	int rc;

	if (a == NULL)
		return INKAN_ENOMEM;
	rc = inkan_arf_parse(a, p, len, &r, &d);
	if (rc == INKAN_ENOTFOUND || rc == INKAN_ENOMEM) {
		inkan_arena_free(a);
		return rc;
	}
	if (rc != 0) {
		set_aside(c, label, d.why[0] ? d.why : inkan_strerror(rc));
	} else if (c->parse_only) {
		json_t *o = arf_json(&r);
		json_object_set_new(o, "input", json_string(label));
		json_array_append_new(c->parsed, o);
		c->stored++;
	} else if ((rc = inkan_store_put_failure(c->store, &r, label, &oc)) != 0) {
		cli_error(&c->cli, "%s: cannot store the failure report: %s", label,
		    inkan_strerror(rc));
		c->fatal = EXIT_STORE;
	} else {
		const char *what = oc == INKAN_STORE_STORED ? "stored" : "duplicate";

		if (oc == INKAN_STORE_STORED)
			c->stored++;
		else
			c->duplicate++;
		if (c->json) {
			json_array_append_new(c->results, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}",
			    "input", label, "outcome", what, "kind", "failure",
			    "feedback_type", r.feedback_type, "source_ip", jstr(r.source_ip),
			    "domain", r.nreported_domain > 0 ? json_string(r.reported_domain[0]) :
			    json_null()));
		} else {
			printf("%-9s %s: failure report (%s) for %s from %s\n", what, label,
			    r.feedback_type, r.nreported_domain > 0 ? r.reported_domain[0] : "-",
			    r.source_ip != NULL ? r.source_ip : "-");
		}
	}
	inkan_arena_free(a);
	return c->fatal ? -1 : 0;
}

static int
one_message(struct ctx *c, const char *label, const char *p, size_t len)
{
	struct part_ctx pc = { c, label };
	struct inkan_report_diag d = { "" };
	int rc = one_failure(c, label, p, len);

	if (rc != INKAN_ENOTFOUND)
		return rc;
	rc = inkan_report_mime_each(p, len, on_part, &pc, &d);

	if (rc == INKAN_EMALFORMED || rc == INKAN_ENOTFOUND || rc == INKAN_ETOOBIG) {
		set_aside(c, label, d.why);
		return c->fatal ? -1 : 0;
	}
	return rc;
}

static int
on_mbox_msg(void *vp, size_t idx, const char *p, size_t len)
{
	struct part_ctx *pc = vp;
	char *label;
	int rc;

	if (asprintf(&label, "%s:%zu", pc->label, idx) < 0)
		return INKAN_ENOMEM;
	rc = one_message(pc->c, label, p, len);
	free(label);
	return rc;
}

static int
one_input(struct ctx *c, const char *label, const char *p, size_t len)
{
	struct part_ctx pc = { c, label };

	switch (inkan_report_sniff(p, len)) {
	case INKAN_INPUT_REPORT:
		return one_report(c, label, p, len);
	case INKAN_INPUT_MESSAGE:
		return one_message(c, label, p, len);
	case INKAN_INPUT_MBOX:
		if (inkan_report_mbox_each(p, len, on_mbox_msg, &pc) == INKAN_EMALFORMED)
			set_aside(c, label, "malformed mbox");
		return c->fatal ? -1 : 0;
	default:
		set_aside(c, label, len == 0 ? "empty input" :
		    "not a report, an e-mail or an mbox");
		return c->fatal ? -1 : 0;
	}
}

/* Read f whole, refusing more than INKAN_REPORT_MAX_INPUT bytes. */
static int
slurp(FILE *f, char **out, size_t *outlen)
{
	size_t cap = 65536, len = 0, n;
	char *p = malloc(cap), *q;

	if (p == NULL)
		return INKAN_ENOMEM;
	while ((n = fread(p + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= INKAN_REPORT_MAX_INPUT) {
				free(p);
				return INKAN_ETOOBIG;
			}
			cap *= 2;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				return INKAN_ENOMEM;
			}
			p = q;
		}
	}
	if (ferror(f)) {
		free(p);
		return INKAN_EIO;
	}
	*out = p;
	*outlen = len;
	return 0;
}

static int walk(struct ctx *c, const char *path);

static int
one_file(struct ctx *c, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *p;
	size_t len;
	int rc;

	if (f == NULL) {
		set_aside(c, path, strerror(errno));
		return c->fatal ? -1 : 0;
	}
	rc = slurp(f, &p, &len);
	if (f != stdin)
		fclose(f);
	if (rc != 0) {
		set_aside(c, path, rc == INKAN_ETOOBIG ? "input larger than the limit" :
		    inkan_strerror(rc));
		return c->fatal ? -1 : 0;
	}
	rc = one_input(c, strcmp(path, "-") == 0 ? "(stdin)" : path, p, len);
	free(p);
	return rc;
}

static int
cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A directory: every entry, sorted, recursively (a Maildir's cur/ and new/
 * are subdirectories like any other; tmp/ holds half-delivered mail and
 * is skipped, as Maildir readers must). */
static int
walk(struct ctx *c, const char *path)
{
	struct stat st;
	struct dirent **ents;
	int n, rc = 0;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if ((n = scandir(path, &ents, NULL, cmp_names)) < 0) {
			set_aside(c, path, strerror(errno));
			return c->fatal ? -1 : 0;
		}
		for (int i = 0; i < n; i++) {
			char *sub;
			const char *nm = ents[i]->d_name;

			if (rc == 0 && nm[0] != '.' && strcmp(nm, "tmp") != 0 &&
			    asprintf(&sub, "%s/%s", path, nm) >= 0) {
				rc = walk(c, sub);
				free(sub);
			}
			free(ents[i]);
		}
		free(ents);
		return rc;
	}
	return one_file(c, path);
}

static int
cmd_ingest(struct ctx *c, int argc, char **argv)
{
	char why[512];
	int rc = 0;

	if (!c->parse_only) {
		if (c->db == NULL)
			return cli_usage_error(&c->cli, "--db FILE is required");
		if (inkan_store_open(c->db, &c->store, why, sizeof(why)) != 0) {
			cli_error(&c->cli, "%s", why);
			return EXIT_STORE;
		}
	}
	if (optind >= argc) {
		inkan_store_close(c->store);
		return cli_usage_error(&c->cli, "no input (give PATH, or - for standard input)");
	}
	c->results = json_array();
	c->parsed = json_array();
	for (int i = optind; i < argc && rc == 0; i++)
		rc = walk(c, argv[i]);
	if (rc == INKAN_ENOMEM) {
		cli_error(&c->cli, "out of memory");
		c->fatal = EXIT_SOFTWARE;
	}
	if (c->parse_only) {
		json_dumpf(c->parsed, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (c->json) {
		json_t *doc = json_pack("{s:O, s:I, s:I, s:I}", "inputs", c->results,
		    "stored", (json_int_t)c->stored, "duplicate", (json_int_t)c->duplicate,
		    "setaside", (json_int_t)c->setaside);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	} else {
		printf("%zu stored, %zu duplicate, %zu set aside\n", c->stored, c->duplicate,
		    c->setaside);
	}
	json_decref(c->results);
	json_decref(c->parsed);
	inkan_store_close(c->store);
	if (c->fatal)
		return c->fatal;
	return c->setaside > 0 ? EXIT_SETASIDE : 0;
}

/* ---- summary ---- */

static json_int_t
ji(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *
js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "-";
}

static void
print_summary(json_t *doc)
{
	json_t *d = json_object_get(doc, "dmarc"), *t = json_object_get(doc, "tlsrpt"), *v;
	json_t *f = json_object_get(doc, "failure");
	size_t i;

	printf("DMARC: %lld reports, %lld messages, %lld pass, %lld fail (%.1f%% pass)\n",
	    (long long)ji(d, "reports"), (long long)ji(d, "messages"), (long long)ji(d, "pass"),
	    (long long)ji(d, "fail"), json_number_value(json_object_get(d, "pass_rate")));
	printf("\nBy reporting organisation:\n  %-32s %8s %10s %10s %7s\n", "org", "reports",
	    "messages", "fail", "pass%");
	json_array_foreach(json_object_get(d, "by_org"), i, v)
		printf("  %-32s %8lld %10lld %10lld %6.1f%%\n", js(v, "org_name"),
		    (long long)ji(v, "reports"), (long long)ji(v, "messages"),
		    (long long)ji(v, "fail"), json_number_value(json_object_get(v, "pass_rate")));
	printf("\nSources failing most:\n  %-40s %10s %10s %7s  %-4s %s\n", "source IP",
	    "messages", "fail", "pass%", "spf", "PTR");
	json_array_foreach(json_object_get(d, "failing_sources"), i, v) {
		json_t *src = NULL, *x;
		size_t k;

		json_array_foreach(json_object_get(d, "by_source"), k, x)
			if (json_equal(json_object_get(x, "source_ip"), json_object_get(v, "source_ip")))
				src = x;
		x = json_object_get(src, "spf_authorized");
		printf("  %-40s %10lld %10lld %6.1f%%  %-4s %s\n", js(v, "source_ip"),
		    (long long)ji(v, "messages"), (long long)ji(v, "fail"),
		    json_number_value(json_object_get(v, "pass_rate")),
		    json_is_true(x) ? "yes" : json_is_false(x) ? "no" : "-", js(src, "ptr"));
	}
	if (json_array_size(json_object_get(d, "dkim_not_aligned")) > 0) {
		printf("\nDKIM passes but does not align (third-party signatures):\n");
		json_array_foreach(json_object_get(d, "dkim_not_aligned"), i, v)
			printf("  %-40s d=%s for %s: %lld messages\n", js(v, "source_ip"),
			    js(v, "dkim_domain"), js(v, "header_from"), (long long)ji(v, "messages"));
	}
	if (json_array_size(json_object_get(d, "advice")) > 0) {
		printf("\nBefore moving from p=none to p=reject, fix these legitimate-looking"
		    " sources:\n");
		json_array_foreach(json_object_get(d, "advice"), i, v) {
			json_t *r;
			size_t k;

			printf("  %s (%s) From: %s, %lld messages failing%s\n", js(v, "source_ip"),
			    js(v, "ptr"), js(v, "header_from"), (long long)ji(v, "messages"),
			    json_is_true(json_object_get(v, "spf_authorized")) ?
			    ", SPF-authorised" : "");
			json_array_foreach(json_object_get(v, "reasons"), k, r)
				printf("    - %s\n", json_string_value(r));
		}
	}
	printf("\nPer day:\n");
	json_array_foreach(json_object_get(d, "by_day"), i, v)
		printf("  %s %10lld messages %6.1f%% pass\n", js(v, "day"),
		    (long long)ji(v, "messages"), json_number_value(json_object_get(v, "pass_rate")));
	printf("\nDMARC failure reports: %lld\n", (long long)ji(f, "reports"));
	json_array_foreach(json_object_get(f, "by_type"), i, v)
		printf("  %-16s %-16s %10lld\n", js(v, "feedback_type"), js(v, "auth_failure"),
		    (long long)ji(v, "reports"));
	json_array_foreach(json_object_get(f, "by_domain"), i, v)
		printf("  for %-40s %10lld\n", js(v, "domain"), (long long)ji(v, "reports"));
	printf("\nTLS-RPT: %lld reports, %lld successful sessions, %lld failed sessions\n",
	    (long long)ji(t, "reports"), (long long)ji(t, "successful_sessions"),
	    (long long)ji(t, "failed_sessions"));
	json_array_foreach(json_object_get(t, "by_policy"), i, v)
		printf("  %-16s %-28s mx %-28s %8lld ok %8lld failed\n", js(v, "policy_type"),
		    js(v, "policy_domain"), js(v, "mx_host"), (long long)ji(v, "successful_sessions"),
		    (long long)ji(v, "failed_sessions"));
	if (json_array_size(json_object_get(t, "failures_by_result")) > 0) {
		printf("Failures by result type:\n");
		json_array_foreach(json_object_get(t, "failures_by_result"), i, v)
			printf("  %-32s %10lld sessions\n", js(v, "result_type"),
			    (long long)ji(v, "sessions"));
	}
}


/* ---- who the sources are (DNS) and the p=none -> p=reject advice ---- */

static json_t *
or_null(json_t *v)
{
	return v != NULL ? json_incref(v) : json_null();
}

/* --no-dns: the fields are there, unknown. */
static void
annotate_unknown(json_t *doc)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(doc, "dmarc"), "by_source"), i, v) {
		json_object_set_new(v, "ptr", json_null());
		json_object_set_new(v, "spf_authorized", json_null());
	}
}

/* The first PTR name of ip, or NULL (none, or DNS failed). */
static const char *
ptr_name(struct inkan_resolver *r, struct inkan_arena *a, const struct inkan_ip *ip)
{
	struct inkan_dns_answer ans;
	char *rev = inkan_ip_reverse_name(a, ip), *name;

	if (rev == NULL || inkan_dns_query(r, a, rev, INKAN_DNS_PTR, &ans) != 0 ||
	    ans.status != INKAN_DNS_OK || ans.nrr == 0 ||
	    inkan_dns_rr_name(a, &ans.rr[0], &name) != 0)
		return NULL;
	return name;
}

/* check_host(ip, domain, "postmaster@domain") (RFC 7208 §4): is ip one of
 * the domain's own senders?  The verdict name, or NULL on an error. */
static const char *
spf_verdict(struct inkan_resolver *r, struct inkan_arena *a, const struct inkan_ip *ip,
    const char *domain)
{
	struct inkan_spf_query q;
	struct inkan_spf_result res;
	char *sender;

	memset(&q, 0, sizeof(q));
	q.ip = *ip;
	if ((sender = inkan_arena_printf(a, "postmaster@%s", domain)) == NULL)
		return NULL;
	q.sender = sender;
	q.helo = domain;
	q.scope = INKAN_SPF_SCOPE_MFROM;
	if (inkan_spf_check(r, a, &q, &res) != 0)
		return NULL;
	return inkan_spf_verdict_name(res.result);
}

/* Add ptr, spf (verdict per policy domain) and spf_authorized (true when
 * some policy domain's SPF passes the IP; null when no verdict could be
 * had) to every dmarc.by_source entry.  Returns 0 or an exit code. */
static int
annotate_sources(struct ctx *c, json_t *doc)
{
	json_t *v, *src = json_object_get(json_object_get(doc, "dmarc"), "by_source");
	struct inkan_arena *a;
	size_t i;
	int rc;

	if ((rc = cli_resolver_open(&c->cli)) != 0) {
		cli_resolver_close(&c->cli);
		return rc;
	}
	if ((a = inkan_arena_new()) == NULL) {
		cli_resolver_close(&c->cli);
		return EXIT_SOFTWARE;
	}
	json_array_foreach(src, i, v) {
		const char *ipstr = json_string_value(json_object_get(v, "source_ip"));
		const char *doms = json_string_value(json_object_get(v, "policy_domains"));
		json_t *spf = json_object(), *auth = json_null();
		struct inkan_ip ip;
		const char *ptr = NULL;

		if (ipstr != NULL && inkan_ip_parse(ipstr, strlen(ipstr), &ip) == 0) {
			ptr = ptr_name(c->cli.cache, a, &ip);
			for (const char *d = doms; d != NULL && *d != '\0';) {
				size_t n = strcspn(d, ",");
				char *dom = inkan_arena_strndup(a, d, n);
				const char *verdict = dom != NULL ? spf_verdict(c->cli.cache, a, &ip,
				    dom) : NULL;

				if (dom != NULL)
					json_object_set_new(spf, dom, verdict != NULL ?
					    json_string(verdict) : json_null());
				if (verdict != NULL && strcmp(verdict, "pass") == 0)
					auth = json_true();
				else if (verdict != NULL && json_is_null(auth) &&
				    strcmp(verdict, "temperror") != 0)
					auth = json_false();
				d += n;
				if (*d == ',')
					d++;
			}
		}
		json_object_set_new(v, "ptr", ptr != NULL ? json_string(ptr) : json_null());
		json_object_set_new(v, "spf", spf);
		json_object_set_new(v, "spf_authorized", auth);
		inkan_arena_reset(a);
	}
	inkan_arena_free(a);
	cli_resolver_close(&c->cli);
	return 0;
}

/* a and b are the same domain or one is under the other: the part of DMARC
 * alignment (RFC 7489 §3.1) that needs no public suffix list.  Used only to
 * word the advice; whether a row aligned is the reporter's verdict. */
static bool
related(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	return inkan_dname_equal(a, al, b, bl) || inkan_dname_is_sub(a, al, b, bl) ||
	    inkan_dname_is_sub(b, bl, a, al);
}

static bool
list_has_related(const char *list, const char *dom)
{
	char buf[256];

	for (const char *d = list; d != NULL && *d != '\0';) {
		size_t n = strcspn(d, ",");

		if (n < sizeof(buf)) {
			memcpy(buf, d, n);
			buf[n] = '\0';
			if (related(buf, dom))
				return true;
		}
		d += n;
		if (*d == ',')
			d++;
	}
	return false;
}

static void
add_reason(json_t *reasons, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add_reason(json_t *reasons, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(reasons, json_string(buf));
}

/* Why a failing row's raw results did not make DMARC pass (RFC 7489 §3.1,
 * §4.2: only a pass *aligned* with the From: domain counts). */
static void
explain_list(json_t *reasons, const char *method, const char *list, const char *hf,
    const char *strict)
{
	char buf[256];
	bool is_dkim = strcmp(method, "dkim") == 0;

	for (const char *d = list; d != NULL && *d != '\0';) {
		size_t n = strcspn(d, ",");

		if (n < sizeof(buf)) {
			memcpy(buf, d, n);
			buf[n] = '\0';
			if (related(buf, hf) && strict != NULL && strcmp(strict, "s") == 0)
				add_reason(reasons, is_dkim ?
				    "DKIM passes with d=%s, but adkim=s wants exactly %s" :
				    "SPF passes for %s, but aspf=s wants exactly %s", buf, hf);
			else if (is_dkim)
				add_reason(reasons, "DKIM passes only with d=%s, which does not"
				    " align with From: %s; sign with d=%s (or a subdomain)",
				    buf, hf, hf);
			else
				add_reason(reasons, "SPF passes only for envelope domain %s, which"
				    " does not align with From: %s; use a bounce address under %s",
				    buf, hf, hf);
		}
		d += n;
		if (*d == ',')
			d++;
	}
}

/* dmarc.advice: the failing rows of legitimate-looking sources (the
 * policy domain's SPF authorises the IP, or DKIM passes with a d= related
 * to the From: domain) with the reasons they fail.  These are what would
 * be lost at p=reject; everything else failing is likely spoofing or
 * forwarding. */
static void
build_advice(json_t *doc, int top)
{
	json_t *d = json_object_get(doc, "dmarc"), *advice = json_array(), *v, *w;
	json_t *bysrc = json_object();
	size_t i;

	if (d == NULL || !json_is_object(d)) {
		json_decref(advice);
		json_decref(bysrc);
		return;
	}
	json_array_foreach(json_object_get(d, "by_source"), i, v) {
		const char *ip = json_string_value(json_object_get(v, "source_ip"));
		if (ip != NULL)
			json_object_set(bysrc, ip, v);
	}
	json_array_foreach(json_object_get(d, "failing_auth"), i, v) {
		const char *ip = json_string_value(json_object_get(v, "source_ip"));
		const char *pd = json_string_value(json_object_get(v, "policy_domain"));
		const char *hf = json_string_value(json_object_get(v, "header_from"));
		const char *dk = json_string_value(json_object_get(v, "dkim_pass_domains"));
		const char *sp = json_string_value(json_object_get(v, "spf_pass_domains"));
		json_t *spfv, *reasons, *src = ip != NULL ? json_object_get(bysrc, ip) : NULL;
		bool authorized;

		if (ip == NULL || pd == NULL || hf == NULL)
			continue;
		spfv = json_object_get(json_object_get(src, "spf"), pd);
		authorized = json_is_string(spfv) && strcmp(json_string_value(spfv), "pass") == 0;
		if (!authorized && !list_has_related(dk, hf) && !list_has_related(dk, pd))
			continue;
		if (top > 0 && json_array_size(advice) >= (size_t)top)
			break;
		reasons = json_array();
		explain_list(reasons, "dkim", dk, hf,
		    json_string_value(json_object_get(v, "adkim")));
		explain_list(reasons, "spf", sp, hf,
		    json_string_value(json_object_get(v, "aspf")));
		if (dk == NULL)
			add_reason(reasons, "no DKIM signature passes; sign with d=%s", hf);
		if (authorized && sp == NULL)
			add_reason(reasons, "the IP is in %s's SPF record, but SPF did not pass"
			    " for the envelope sender (a bounce address elsewhere, or"
			    " forwarded)", pd);
		w = json_pack("{s:s, s:o, s:s, s:s, s:O, s:O, s:o}", "source_ip", ip,
		    "ptr", or_null(json_object_get(src, "ptr")),
		    "policy_domain", pd, "header_from", hf,
		    "messages", json_object_get(v, "messages"),
		    "spf_authorized", authorized ? json_true() : json_false(),
		    "reasons", reasons);
		if (w != NULL)
			json_array_append_new(advice, w);
	}
	json_object_set_new(d, "advice", advice);
	json_decref(bysrc);
}

/* The summary document with its DNS annotations and the advice, as
 * `summary --json` prints it and `html` draws it.  0 or an exit code. */
static int
summary_doc(struct ctx *c, int argc, char **argv, json_t **out)
{
	struct inkan_store_filter f = { c->domain, c->since, c->top };
	char why[512], *text;
	json_t *doc;
	int rc;

	*out = NULL;
	if (c->db == NULL)
		return cli_usage_error(&c->cli, "--db FILE is required");
	if (optind < argc)
		return cli_usage_error(&c->cli, "unexpected argument '%s'", argv[optind]);
	if (inkan_store_open(c->db, &c->store, why, sizeof(why)) != 0) {
		cli_error(&c->cli, "%s", why);
		return EXIT_STORE;
	}
	rc = inkan_store_summary(c->store, &f, &text);
	inkan_store_close(c->store);
	c->store = NULL;
	if (rc != 0) {
		cli_error(&c->cli, "summary failed: %s", inkan_strerror(rc));
		return EXIT_STORE;
	}
	doc = json_loads(text, 0, NULL);
	free(text);
	if (doc == NULL) {
		cli_error(&c->cli, "summary failed: bad JSON from the store");
		return EXIT_SOFTWARE;
	}
	if (c->no_dns)
		annotate_unknown(doc);
	else if ((rc = annotate_sources(c, doc)) != 0) {
		json_decref(doc);
		return rc;
	}
	build_advice(doc, c->top > 0 ? c->top : 10);
	*out = doc;
	return 0;
}

static int
cmd_summary(struct ctx *c, int argc, char **argv)
{
	json_t *doc;
	int rc;

	if ((rc = summary_doc(c, argc, argv, &doc)) != 0)
		return rc;
	if (c->json) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_summary(doc);
	}
	json_decref(doc);
	return 0;
}

static int
cmd_html(struct ctx *c, int argc, char **argv)
{
	char why[1024];
	json_t *doc;
	int rc;

	if (c->out == NULL)
		return cli_usage_error(&c->cli, "--out DIR is required");
	if ((rc = summary_doc(c, argc, argv, &doc)) != 0)
		return rc;
	rc = report_html_write(doc, c->out, c->domain, c->top, why, sizeof(why));
	json_decref(doc);
	if (rc != 0) {
		cli_error(&c->cli, "%s", why);
		return EXIT_CANTCREAT;
	}
	if (c->json) {
		json_t *o = json_pack("{s:s}", "file", why);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else
		printf("%s\n", why);
	return 0;
}

static int
parse_date(const char *s, int64_t *out)
{
	char buf[40];

	if (strlen(s) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		return inkan_report_parse_datetime(buf, out);
	}
	return inkan_report_parse_datetime(s, out);
}

int
cmd_report(int argc, char **argv)
{
	struct ctx c;
	const char *sub;
	int ch;

	memset(&c, 0, sizeof(c));
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(report_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if (strcmp(sub, "generate") == 0)
		return cmd_report_generate(argc - 1, argv + 1);
	if (strcmp(sub, "ingest") == 0)
		c.cli.prog = "inkan report ingest";
	else if (strcmp(sub, "summary") == 0)
		c.cli.prog = "inkan report summary";
	else if (strcmp(sub, "parse") == 0)
		c.cli.prog = "inkan report parse";
	else if (strcmp(sub, "html") == 0)
		c.cli.prog = "inkan report html";
	else {
		c.cli.prog = "inkan report";
		return cli_usage_error(&c.cli, "unknown subcommand '%s'", sub);
	}
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;

		switch (ch) {
		case 'h':
			fputs(report_help, stdout);
			return 0;
		case OPT_DB:
			c.db = optarg;
			break;
		case OPT_DOMAIN:
			c.domain = optarg;
			break;
		case OPT_SINCE:
			if (parse_date(optarg, &c.since) != 0)
				return cli_usage_error(&c.cli, "--since wants YYYY-MM-DD");
			break;
		case OPT_TOP:
			c.top = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || c.top < 1 || c.top > 100000)
				return cli_usage_error(&c.cli, "--top wants 1..100000");
			break;
		case OPT_JSON:
			c.json = true;
			break;
		case OPT_NO_DNS:
			c.no_dns = true;
			break;
		case OPT_OUT:
			c.out = optarg;
			break;
		default:
			switch (cli_common_opt(&c.cli, ch, optarg)) {
			case 1:
				continue;
			case -1:
				return EXIT_USAGE;
			}
			return cli_usage_error(&c.cli, "bad option");
		}
	}
	if (strcmp(sub, "summary") == 0)
		return cmd_summary(&c, argc, argv);
	if (strcmp(sub, "html") == 0)
		return cmd_html(&c, argc, argv);
	c.parse_only = strcmp(sub, "parse") == 0;
	return cmd_ingest(&c, argc, argv);
}
