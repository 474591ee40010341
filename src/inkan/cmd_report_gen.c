/* cmd_report_gen.c - `inkan report generate`: DMARC aggregate reports
 * (RFC 9990, or RFC 7489 on request) from the verdicts inkan-milter
 * stores, and SMTP TLS reports (RFC 8460) from a file of session
 * results; written to a directory and, with --send, delivered.
 *
 * Delivery follows the rules the receiver of a report relies on:
 *   DMARC (RFC 9990 "Transport", "Verifying External Destinations"): the
 *     policy record is looked up again for its rua= list (the verdict
 *     store does not keep it); only mailto: URIs, in order, at most
 *     INKAN_REPORT_GEN_MAX_RUA; a destination outside the policy domain's
 *     Organizational Domain only when <domain>._report._dmarc.<dest>
 *     authorises it (inkan_dmarc_report_check), with the destination's
 *     own rua= replacing ours when it gives one on the same host (and
 *     nothing sent when it points elsewhere); a URI whose "!size" limit
 *     the message exceeds is not used.
 *   TLS-RPT (RFC 8460 §3, §5): the rua= of _smtp._tls.<domain>; mailto:
 *     as multipart/report; report-type=tlsrpt with TLS-Report-Domain and
 *     TLS-Report-Submitter fields, https: as a POST of
 *     application/tlsrpt+gzip.
 * Report messages should be DKIM-signed by the reporter's domain (RFC
 * 9990 wants them to pass DMARC); that is the job of the MTA they are
 * handed to (inkan-milter signs outbound mail).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/arena.h"
#include "inkan/dmarc.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report_gen.h"
#include "inkan/store.h"
#include "inkan/tlsrpt.h"
#include "report_send.h"

#define EXIT_CANTCREAT	73	/* EX_CANTCREAT: the output directory */
#define EXIT_IOERR	74	/* EX_IOERR: the store or the session file */
#define EXIT_TEMPFAIL	75	/* EX_TEMPFAIL: some delivery should be retried */

enum {
	OPT_DB = OPT_FIRST_LOCAL,
	OPT_TLS_SESSIONS,
	OPT_ORG_NAME,
	OPT_ORG_EMAIL,
	OPT_EXTRA,
	OPT_MAIL_FROM,
	OPT_DOMAIN,
	OPT_DAY,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_FORMAT,
	OPT_OUT,
	OPT_SEND,
	OPT_SENDMAIL,
	OPT_SMTP,
	OPT_CA_FILE,
	OPT_CONNECT_TO,
	OPT_NOW,
};

static const struct option longopts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "tls-sessions", required_argument, NULL, OPT_TLS_SESSIONS },
	{ "org-name", required_argument, NULL, OPT_ORG_NAME },
	{ "org-email", required_argument, NULL, OPT_ORG_EMAIL },
	{ "extra-contact-info", required_argument, NULL, OPT_EXTRA },
	{ "mail-from", required_argument, NULL, OPT_MAIL_FROM },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "day", required_argument, NULL, OPT_DAY },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "send", no_argument, NULL, OPT_SEND },
	{ "sendmail", required_argument, NULL, OPT_SENDMAIL },
	{ "smtp", required_argument, NULL, OPT_SMTP },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "connect-to", required_argument, NULL, OPT_CONNECT_TO },
	{ "now", required_argument, NULL, OPT_NOW },
	CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char gen_help[] =
"usage: inkan report generate (--db FILE | --tls-sessions FILE)... --org-name NAME\n"
"           --org-email ADDR --out DIR [--domain D]\n"
"           [--day YYYY-MM-DD | --since T --until T] [--format rfc9990|rfc7489]\n"
"           [--extra-contact-info TEXT] [--json]\n"
"           [--send [--sendmail PATH | --smtp HOST:PORT] [--mail-from ADDR]\n"
"            [--ca-file FILE] [DNS options]]\n"
"\n"
"--db FILE            DMARC aggregate reports (RFC 9990) from the verdicts\n"
"                     inkan-milter stored: one per policy domain, gzip'd, named\n"
"                     receiver!domain!begin!end!id.xml.gz (receiver: the domain\n"
"                     of --org-email)\n"
"--tls-sessions FILE  TLS reports (RFC 8460) from a session file (one line per\n"
"                     delivery attempt, see inkan-report(1)), .json.gz\n"
"--day D              the UTC day D (default: yesterday); --since/--until take\n"
"                     YYYY-MM-DD or an RFC 3339 time, --until exclusive\n"
"--format rfc7489     the RFC 7489 appendix C format and namespace\n"
"--send               deliver to the rua= destinations: DMARC after the\n"
"                     external-destination check (RFC 9990) and the !size\n"
"                     limits; TLS-RPT to mailto: and https: (RFC 8460 §5)\n"
"--sendmail PATH      the program mail goes through (default /usr/sbin/sendmail,\n"
"                     run as PATH -oi -f FROM -- RCPT)\n"
"--smtp HOST:PORT     SMTP to this relay instead\n"
"--mail-from ADDR     sender of report messages (default --org-email)\n"
"--ca-file FILE       CAs for https: TLS-RPT destinations\n"
"\n" CLI_COMMON_HELP
"\nExit status: 0 done, 64 usage, 69 resolver, 73 output directory, 74 store or\n"
"session file, 75 some delivery failed temporarily (run again later).\n";

struct gen {
	struct cli cli;
	const char *db, *sessions;
	const char *org_name, *org_email, *extra, *mail_from;
	const char *domain;
	const char *receiver;		/* the domain of --org-email, lower case */
	int64_t begin, end, now;
	enum inkan_aggr_format format;
	const char *out;
	bool send, json;
	struct report_sender sender;
	bool resolver_open;
	json_t *doc;
	int exit;			/* the worst outcome so far */
};

/* Keep the first failure's exit code. */
static void
worse(struct gen *g, int code)
{
	if (g->exit == 0)
		g->exit = code;
}

static int
parse_time(const char *s, int64_t *out)
{
	char buf[40];

	if (strlen(s) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		return inkan_report_parse_datetime(buf, out);
	}
	return inkan_report_parse_datetime(s, out);
}

static void
utc_text(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Write p to DIR/name atomically (a temporary file renamed). */
static int
write_file(struct gen *g, const char *name, const char *p, size_t len, char **path)
{
	char *tmp = NULL;
	FILE *f;
	int fd, rc = -1;

	if (asprintf(path, "%s/%s", g->out, name) < 0 ||
	    asprintf(&tmp, "%s/.inkan-report-XXXXXX", g->out) < 0)
		return -1;
	if ((fd = mkstemp(tmp)) < 0 || (f = fdopen(fd, "wb")) == NULL) {
		cli_error(&g->cli, "%s: %s", g->out, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	fchmod(fd, 0644);
	if (fwrite(p, 1, len, f) == len && fflush(f) == 0 && fsync(fd) == 0)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, *path) != 0)
		rc = -1;
	if (rc != 0) {
		cli_error(&g->cli, "%s: %s", *path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static int
open_resolver(struct gen *g)
{
	int rc;

	if (g->resolver_open)
		return 0;
	if ((rc = cli_resolver_open(&g->cli)) != 0) {
		cli_resolver_close(&g->cli);
		return rc;
	}
	g->resolver_open = true;
	return 0;
}

/* One destination's outcome: into dests (JSON) and, as text, stdout. */
static void
dest(struct gen *g, json_t *dests, const char *uri, const char *to, const char *status,
    const char *why)
{
	if (strcmp(status, "temporary failure") == 0)
		worse(g, EXIT_TEMPFAIL);
	json_array_append_new(dests, json_pack("{s:s, s:o, s:s, s:o}", "uri", uri,
	    "to", to != NULL ? json_string(to) : json_null(), "status", status,
	    "why", why != NULL && why[0] != '\0' ? json_string(why) : json_null()));
	if (!g->json)
		printf("  %s%s%s: %s%s%s\n", uri, to != NULL ? " -> " : "", to != NULL ? to : "",
		    status, why != NULL && why[0] != '\0' ? ": " : "",
		    why != NULL ? why : "");
}

static void
deliver_mail(struct gen *g, json_t *dests, const char *uri, const char *to,
    struct inkan_report_mail *m, uint64_t max_bytes, struct inkan_arena *a)
{
	char *msg, why[512];
	size_t len, i;
	json_t *d;
	int rc;

	/* rua= may name one address twice (directly and by an override):
	 * it gets the report once. */
	json_array_foreach(dests, i, d) {
		const char *t = json_string_value(json_object_get(d, "to"));
		const char *st = json_string_value(json_object_get(d, "status"));
		if (t != NULL && strcasecmp(t, to) == 0 && st != NULL &&
		    (strcmp(st, "sent") == 0 || strcmp(st, "failed") == 0 ||
		    strcmp(st, "temporary failure") == 0)) {
			dest(g, dests, uri, to, "not sent", "the same address is earlier in the list");
			return;
		}
	}
	m->to = to;
	if (inkan_report_mail_compose(a, m, g->now, &msg, &len) != 0) {
		dest(g, dests, uri, to, "not sent", "the address cannot be put in a message");
		return;
	}
	/* RFC 9990 "Transport": the report after compression and encoding
	 * must fit the limit; we count the whole message, which is what the
	 * destination's MTA measures. */
	if (max_bytes > 0 && len > max_bytes) {
		snprintf(why, sizeof(why), "the report message is %zu bytes, over the URI's"
		    " limit of %" PRIu64, len, max_bytes);
		dest(g, dests, uri, to, "not sent", why);
		return;
	}
	rc = report_send_mail(&g->sender, m->from, to, msg, len, why, sizeof(why));
	dest(g, dests, uri, to, rc == 0 ? "sent" : rc == -2 ? "temporary failure" : "failed",
	    why);
}

/* ---- DMARC aggregate ---- */

static void
send_dmarc(struct gen *g, struct inkan_arena *a, const struct inkan_dmarc_report *r,
    const char *fname, const char *gz, size_t gzlen, json_t *dests)
{
	struct inkan_dmarc_opts o;
	struct inkan_dmarc_discovery disc;
	const struct inkan_dmarc_record *rec;
	char text[1024], b1[32], b2[32];
	struct inkan_report_mail m;
	int rc;

	memset(&o, 0, sizeof(o));
	o.mode = r->discovery_method != NULL && strcmp(r->discovery_method, "psl") == 0 ?
	    INKAN_DMARC_PSL : INKAN_DMARC_TREEWALK;
	o.no_compare = true;
	rc = inkan_dmarc_discover(g->cli.cache, a, &o, r->domain, &disc);
	if (rc != 0 || disc.status == INKAN_DMARC_FOUND_TEMPERROR) {
		dest(g, dests, "-", NULL, "temporary failure", rc != 0 ? inkan_strerror(rc) :
		    disc.why);
		return;
	}
	rec = disc.record;
	if (disc.status != INKAN_DMARC_FOUND_RECORD || rec == NULL || disc.policy_domain == NULL ||
	    !inkan_dname_equal(disc.policy_domain, strlen(disc.policy_domain), r->domain,
	    strlen(r->domain))) {
		dest(g, dests, "-", NULL, "not sent", "no DMARC record at the policy domain now");
		return;
	}
	if (rec->nrua == 0) {
		dest(g, dests, "-", NULL, "not sent", "the DMARC record has no rua=");
		return;
	}
	utc_text(r->begin, b1, sizeof(b1));
	utc_text(r->end, b2, sizeof(b2));
	snprintf(text, sizeof(text), "This is a DMARC aggregate report (%s) for %s from %s,\n"
	    "covering %s to %s UTC: %zu records, %" PRIu64 " messages.\n"
	    "The report is the attached %s.\n", r->schema, r->domain, r->org_name, b1, b2,
	    r->nrows, r->messages, fname);
	memset(&m, 0, sizeof(m));
	m.from = g->mail_from;
	/* RFC 9990 "Email": Report, Domain:, Submitter:, Report-ID: (the
	 * same id as in the XML). */
	m.subject = inkan_arena_printf(a, "Report Domain: %s Submitter: %s Report-ID: <%s>",
	    r->domain, g->receiver, r->report_id);
	m.msgid_left = r->report_id;
	m.msgid_right = g->receiver;
	m.text = text;
	m.content_type = "application/gzip";
	m.filename = fname;
	m.data = gz;
	m.len = gzlen;
	for (size_t i = 0; i < rec->nrua; i++) {
		const struct inkan_dmarc_uri *u = &rec->rua[i];
		struct inkan_dmarc_report_auth auth;

		if (i >= INKAN_REPORT_GEN_MAX_RUA) {
			dest(g, dests, u->uri, NULL, "not sent", "past the limit of URIs per record");
			continue;
		}
		if (strcmp(u->scheme, "mailto") != 0 || u->address == NULL) {
			dest(g, dests, u->uri, NULL, "not sent",
			    "only mailto: is defined for aggregate reports");
			continue;
		}
		rc = inkan_dmarc_report_check(g->cli.cache, a, &o, r->domain, u, &auth);
		if (rc != 0 || auth.status == INKAN_DMARC_REPORT_TEMPERROR) {
			dest(g, dests, u->uri, u->address, "temporary failure",
			    rc != 0 ? inkan_strerror(rc) : auth.why);
			continue;
		}
		if (!auth.authorized) {
			dest(g, dests, u->uri, u->address, "not authorized", auth.why);
			continue;
		}
		if (auth.record != NULL && auth.record->nrua > 0) {
			/* The destination names where it wants them; the
			 * host must stay the same, else neither is used. */
			bool same = true;
			for (size_t k = 0; k < auth.record->nrua; k++) {
				const struct inkan_dmarc_uri *o2 = &auth.record->rua[k];
				if (o2->domain == NULL || !inkan_dname_equal(o2->domain,
				    strlen(o2->domain), u->domain, strlen(u->domain)))
					same = false;
			}
			if (!same) {
				dest(g, dests, u->uri, u->address, "not authorized",
				    "the destination's record redirects to another host");
				continue;
			}
			for (size_t k = 0; k < auth.record->nrua; k++) {
				const struct inkan_dmarc_uri *o2 = &auth.record->rua[k];
				if (strcmp(o2->scheme, "mailto") != 0 || o2->address == NULL)
					dest(g, dests, o2->uri, NULL, "not sent",
					    "only mailto: is defined for aggregate reports");
				else
					deliver_mail(g, dests, o2->uri, o2->address, &m,
					    o2->max_bytes, a);
			}
			continue;
		}
		deliver_mail(g, dests, u->uri, u->address, &m, u->max_bytes, a);
	}
}

static int
gen_dmarc(struct gen *g)
{
	struct inkan_aggr_opts o = { g->org_name, g->org_email, g->extra, g->domain, g->begin,
		g->end, g->format };
	struct inkan_aggr_stats st;
	struct inkan_dmarc_report *reps;
	struct inkan_store *store;
	struct inkan_arena *a;
	json_t *list = json_array();
	char why[512];
	size_t n;
	int rc;

	if (inkan_store_open(g->db, &store, why, sizeof(why)) != 0) {
		cli_error(&g->cli, "%s", why);
		return EXIT_IOERR;
	}
	if ((a = inkan_arena_new()) == NULL) {
		inkan_store_close(store);
		return EXIT_SOFTWARE;
	}
	rc = inkan_aggr_build(store, a, &o, &reps, &n, &st);
	inkan_store_close(store);
	if (rc != 0) {
		cli_error(&g->cli, "%s: cannot build the reports: %s", g->db, inkan_strerror(rc));
		inkan_arena_free(a);
		return rc == INKAN_EIO ? EXIT_IOERR : EXIT_SOFTWARE;
	}
	json_object_set_new(g->doc, "dmarc", json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}",
	    "verdicts", (json_int_t)st.verdicts, "no_policy_domain", (json_int_t)st.no_policy,
	    "no_source_ip", (json_int_t)st.no_ip, "reported", (json_int_t)st.reported,
	    "policy_changes", (json_int_t)st.policy_changes, "reports", list));
	if (!g->json)
		printf("DMARC: %" PRIu64 " verdicts in the period, %" PRIu64 " reported in %zu"
		    " reports (%" PRIu64 " without a DMARC policy, %" PRIu64
		    " without a source IP)\n", st.verdicts, st.reported, n, st.no_policy, st.no_ip);
	if (g->send && n > 0 && (rc = open_resolver(g)) != 0) {
		inkan_arena_free(a);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		const struct inkan_dmarc_report *r = &reps[i];
		char *xml, *gz, *fname, *path = NULL;
		size_t xlen, gzlen;
		json_t *dests = json_array();

		fname = inkan_report_filename(a, g->receiver, r->domain, r->begin, r->end,
		    r->report_id, "xml.gz");
		if (fname == NULL) {
			cli_error(&g->cli, "%s: not a domain name usable in a file name", r->domain);
			worse(g, EXIT_DATAERR);
			json_decref(dests);
			continue;
		}
		if ((rc = inkan_dmarc_report_xml(a, r, g->format, &xml, &xlen)) != 0 ||
		    (rc = inkan_report_gzip(a, xml, xlen, &gz, &gzlen)) != 0) {
			cli_error(&g->cli, "%s: %s", r->domain, inkan_strerror(rc));
			worse(g, EXIT_SOFTWARE);
			json_decref(dests);
			continue;
		}
		if (write_file(g, fname, gz, gzlen, &path) != 0) {
			free(path);
			json_decref(dests);
			inkan_arena_free(a);
			return EXIT_CANTCREAT;
		}
		if (!g->json)
			printf("dmarc %s: %zu records, %" PRIu64 " messages -> %s\n", r->domain,
			    r->nrows, r->messages, path);
		if (g->send)
			send_dmarc(g, a, r, fname, gz, gzlen, dests);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I,"
		    " s:o}", "domain", r->domain, "report_id", r->report_id, "file", path,
		    "records", (json_int_t)r->nrows, "messages", (json_int_t)r->messages,
		    "xml_bytes", (json_int_t)xlen, "gzip_bytes", (json_int_t)gzlen,
		    "errors", (json_int_t)r->nerrors, "destinations", dests));
		free(path);
	}
	inkan_arena_free(a);
	return 0;
}

/* ---- TLS-RPT ---- */

static void
send_tlsrpt(struct gen *g, struct inkan_arena *a, const struct inkan_tlsrpt_report *r,
    const char *domain, const char *fname, const char *gz, size_t gzlen, json_t *dests)
{
	struct inkan_tlsrpt_lookup lk;
	struct inkan_report_mail m;
	char text[1024], b1[32], b2[32], why[512];
	const char *extra[2];
	int rc;

	rc = inkan_tlsrpt_record_lookup(g->cli.cache, a, domain, &lk);
	if (rc != 0 || lk.status == INKAN_TLSRPT_TEMPERROR) {
		dest(g, dests, "-", NULL, "temporary failure", rc != 0 ? inkan_strerror(rc) :
		    lk.why);
		return;
	}
	if (lk.status != INKAN_TLSRPT_FOUND) {
		dest(g, dests, "-", NULL, "not sent", lk.why != NULL ? lk.why :
		    inkan_tlsrpt_status_name(lk.status));
		return;
	}
	utc_text(r->begin, b1, sizeof(b1));
	utc_text(r->end, b2, sizeof(b2));
	snprintf(text, sizeof(text), "This is an SMTP TLS report (RFC 8460) for %s from %s,\n"
	    "covering %s to %s UTC: %" PRIu64 " successful and %" PRIu64 " failed sessions.\n"
	    "The report is the attached %s.\n", domain, r->org_name, b1, b2, r->successful,
	    r->failed, fname);
	memset(&m, 0, sizeof(m));
	m.from = g->mail_from;
	/* RFC 8460 §5.3: the subject (Report-ID as "<" id-left "@" id-right
	 * ">", the Message-ID's), and the two header fields. */
	m.subject = inkan_arena_printf(a, "Report Domain: %s Submitter: %s"
	    " Report-ID: <%s@%s>", domain, g->receiver, r->report_id, g->receiver);
	extra[0] = inkan_arena_printf(a, "TLS-Report-Domain: %s", domain);
	extra[1] = inkan_arena_printf(a, "TLS-Report-Submitter: %s", g->receiver);
	m.extra = extra;
	m.nextra = 2;
	m.msgid_left = r->report_id;
	m.msgid_right = g->receiver;
	m.text = text;
	m.report_type = "tlsrpt";
	m.content_type = "application/tlsrpt+gzip";
	m.filename = fname;
	m.data = gz;
	m.len = gzlen;
	if (m.subject == NULL || extra[0] == NULL || extra[1] == NULL) {
		dest(g, dests, "-", NULL, "failed", "out of memory");
		return;
	}
	for (size_t i = 0; i < lk.record.nrua; i++) {
		const struct inkan_tlsrpt_uri *u = &lk.record.rua[i];

		if (u->kind == INKAN_TLSRPT_URI_MAILTO) {
			deliver_mail(g, dests, u->uri, u->target, &m, 0, a);
		} else if (u->kind == INKAN_TLSRPT_URI_HTTPS) {
			rc = report_send_https(&g->sender, u->uri, "application/tlsrpt+gzip", gz,
			    gzlen, why, sizeof(why));
			dest(g, dests, u->uri, NULL, rc == 0 ? "sent" : rc == -2 ?
			    "temporary failure" : "failed", why);
		} else {
			dest(g, dests, u->uri, NULL, "not sent", "neither mailto: nor https:");
		}
	}
}

static int
gen_tlsrpt(struct gen *g)
{
	struct inkan_tlsrpt_gen_opts o = { g->org_name, g->org_email, g->domain, g->begin, g->end };
	struct inkan_tlsrpt_gen *tg;
	struct inkan_tlsrpt_report *reps;
	struct inkan_arena *a, *la;
	json_t *list = json_array();
	char *line = NULL;
	size_t cap = 0, n;
	uint64_t lineno = 0, sessions = 0, used_n = 0;
	FILE *f;
	int rc = 0;

	if ((f = strcmp(g->sessions, "-") == 0 ? stdin : fopen(g->sessions, "r")) == NULL) {
		cli_error(&g->cli, "%s: %s", g->sessions, strerror(errno));
		json_decref(list);
		return EXIT_IOERR;
	}
	if ((a = inkan_arena_new()) == NULL || (la = inkan_arena_new()) == NULL ||
	    inkan_tlsrpt_gen_new(&o, &tg) != 0) {
		cli_error(&g->cli, "out of memory");
		if (f != stdin)
			fclose(f);
		json_decref(list);
		return EXIT_SOFTWARE;
	}
	for (ssize_t len; (len = getline(&line, &cap, f)) >= 0;) {
		struct inkan_tlsrpt_session s;
		struct inkan_report_diag d = { "" };
		bool used;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		inkan_arena_reset(la);
		rc = inkan_tlsrpt_session_parse(la, line, (size_t)len, &s, &d);
		if (rc == INKAN_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc != 0) {
			cli_error(&g->cli, "%s:%" PRIu64 ": %s", g->sessions, lineno,
			    d.why[0] ? d.why : inkan_strerror(rc));
			break;
		}
		if ((rc = inkan_tlsrpt_gen_add(tg, &s, &used)) != 0) {
			cli_error(&g->cli, "%s: %s", g->sessions, inkan_strerror(rc));
			break;
		}
		sessions++;
		used_n += used;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	inkan_arena_free(la);
	if (rc != 0) {
		inkan_tlsrpt_gen_free(tg);
		inkan_arena_free(a);
		json_decref(list);
		return rc == INKAN_ENOMEM ? EXIT_SOFTWARE : EXIT_DATAERR;
	}
	rc = inkan_tlsrpt_gen_reports(tg, a, &reps, &n);
	inkan_tlsrpt_gen_free(tg);
	if (rc != 0) {
		cli_error(&g->cli, "cannot build the TLS reports: %s", inkan_strerror(rc));
		inkan_arena_free(a);
		json_decref(list);
		return EXIT_SOFTWARE;
	}
	json_object_set_new(g->doc, "tlsrpt", json_pack("{s:I, s:I, s:o}", "sessions",
	    (json_int_t)sessions, "in_period", (json_int_t)used_n, "reports", list));
	if (!g->json)
		printf("TLS-RPT: %" PRIu64 " sessions read, %" PRIu64 " in the period, %zu"
		    " reports\n", sessions, used_n, n);
	if (g->send && n > 0 && (rc = open_resolver(g)) != 0) {
		inkan_arena_free(a);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		const struct inkan_tlsrpt_report *r = &reps[i];
		const char *domain = r->policies[0].policy_domain;
		char *js, *gz, *fname, *path = NULL, id[65];
		size_t jlen, gzlen, k = 0;
		json_t *dests = json_array();

		/* the file name's unique-id: the report id's letters and digits
		 * before its "@" */
		for (const char *c = r->report_id; *c != '\0' && *c != '@' && k < sizeof(id) - 1; c++)
			id[k++] = *c;
		id[k] = '\0';
		fname = inkan_report_filename(a, g->receiver, domain, r->begin, r->end, id,
		    "json.gz");
		if (fname == NULL) {
			cli_error(&g->cli, "%s: not a domain name usable in a file name", domain);
			worse(g, EXIT_DATAERR);
			json_decref(dests);
			continue;
		}
		if ((rc = inkan_tlsrpt_report_json(a, r, &js, &jlen)) != 0 ||
		    (rc = inkan_report_gzip(a, js, jlen, &gz, &gzlen)) != 0) {
			cli_error(&g->cli, "%s: %s", domain, inkan_strerror(rc));
			worse(g, EXIT_SOFTWARE);
			json_decref(dests);
			continue;
		}
		if (write_file(g, fname, gz, gzlen, &path) != 0) {
			free(path);
			json_decref(dests);
			inkan_arena_free(a);
			return EXIT_CANTCREAT;
		}
		if (!g->json)
			printf("tlsrpt %s: %zu policies, %" PRIu64 " successful, %" PRIu64
			    " failed sessions -> %s\n", domain, r->npolicies, r->successful,
			    r->failed, path);
		if (g->send)
			send_tlsrpt(g, a, r, domain, fname, gz, gzlen, dests);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}",
		    "domain", domain, "report_id", r->report_id, "file", path,
		    "policies", (json_int_t)r->npolicies, "successful_sessions",
		    (json_int_t)r->successful, "failed_sessions", (json_int_t)r->failed,
		    "destinations", dests));
		free(path);
	}
	inkan_arena_free(a);
	return 0;
}

int
cmd_report_generate(int argc, char **argv)
{
	struct gen g;
	const char *day = NULL, *since = NULL, *until = NULL;
	char *end;
	int ch, rc;

	memset(&g, 0, sizeof(g));
	g.cli.prog = "inkan report generate";
	g.sender.sendmail = "/usr/sbin/sendmail";
	g.sender.timeout_ms = 60000;
	g.now = (int64_t)time(NULL);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(gen_help, stdout);
			return 0;
		case OPT_DB: g.db = optarg; break;
		case OPT_TLS_SESSIONS: g.sessions = optarg; break;
		case OPT_ORG_NAME: g.org_name = optarg; break;
		case OPT_ORG_EMAIL: g.org_email = optarg; break;
		case OPT_EXTRA: g.extra = optarg; break;
		case OPT_MAIL_FROM: g.mail_from = optarg; break;
		case OPT_DOMAIN: g.domain = optarg; break;
		case OPT_DAY: day = optarg; break;
		case OPT_SINCE: since = optarg; break;
		case OPT_UNTIL: until = optarg; break;
		case OPT_OUT: g.out = optarg; break;
		case OPT_SEND: g.send = true; break;
		case OPT_SENDMAIL: g.sender.sendmail = optarg; break;
		case OPT_CA_FILE: g.sender.ca_file = optarg; break;
		case OPT_CONNECT_TO: g.sender.connect_to = optarg; break;
		case OPT_JSON: g.json = true; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "rfc9990") == 0)
				g.format = INKAN_AGGR_RFC9990;
			else if (strcmp(optarg, "rfc7489") == 0)
				g.format = INKAN_AGGR_RFC7489;
			else
				return cli_usage_error(&g.cli, "--format wants rfc9990 or rfc7489");
			break;
		case OPT_SMTP: {
			char *colon = strrchr(optarg, ':');
			if (colon == NULL || colon == optarg || colon[1] == '\0')
				return cli_usage_error(&g.cli, "--smtp wants HOST:PORT");
			*colon = '\0';
			g.sender.smtp_host = optarg;
			g.sender.smtp_port = colon + 1;
			break;
		}
		case OPT_NOW:
			/* for tests: the Date of report messages */
			g.now = strtoll(optarg, &end, 10);
			if (*end != '\0')
				return cli_usage_error(&g.cli, "--now wants seconds since the epoch");
			break;
		default:
			switch (cli_common_opt(&g.cli, ch, optarg)) {
			case 1:
				continue;
			case -1:
				return EXIT_USAGE;
			}
			return cli_usage_error(&g.cli, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error(&g.cli, "unexpected argument '%s'", argv[optind]);
	if (g.db == NULL && g.sessions == NULL)
		return cli_usage_error(&g.cli, "give --db FILE and/or --tls-sessions FILE");
	if (g.org_name == NULL || g.org_email == NULL || g.out == NULL)
		return cli_usage_error(&g.cli, "--org-name, --org-email and --out are required");
	const char *at = strrchr(g.org_email, '@');
	const char *why;
	if (at == NULL || inkan_dname_check(at + 1, strlen(at + 1),
	    INKAN_DNAME_HOSTNAME | INKAN_DNAME_MULTILABEL, &why) != 0)
		return cli_usage_error(&g.cli, "--org-email must be an address whose domain names"
		    " the reporter (it is the receiver in file names and Submitter:)");
	char *recv = strdup(at + 1);
	if (recv == NULL)
		return EXIT_SOFTWARE;
	for (char *c = recv; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	g.receiver = recv;
	if (g.mail_from == NULL)
		g.mail_from = g.org_email;
	if (day != NULL && (since != NULL || until != NULL)) {
		free(recv);
		return cli_usage_error(&g.cli, "--day or --since/--until, not both");
	}
	if (day != NULL) {
		if (strlen(day) != 10 || parse_time(day, &g.begin) != 0) {
			free(recv);
			return cli_usage_error(&g.cli, "--day wants YYYY-MM-DD");
		}
		g.end = g.begin + 86400;
	} else if (since != NULL || until != NULL) {
		if (since == NULL || until == NULL || parse_time(since, &g.begin) != 0 ||
		    parse_time(until, &g.end) != 0 || g.end <= g.begin) {
			free(recv);
			return cli_usage_error(&g.cli, "--since and --until want dates or RFC 3339"
			    " times, --until after --since");
		}
	} else {
		/* yesterday, UTC: the usual daily report run just after midnight */
		g.end = g.now - g.now % 86400;
		g.begin = g.end - 86400;
	}
	if (mkdir(g.out, 0755) != 0 && errno != EEXIST) {
		cli_error(&g.cli, "%s: %s", g.out, strerror(errno));
		free(recv);
		return EXIT_CANTCREAT;
	}
	g.sender.helo = g.receiver;
	g.doc = json_pack("{s:I, s:I}", "begin", (json_int_t)g.begin, "end", (json_int_t)g.end);
	rc = 0;
	if (g.db != NULL)
		rc = gen_dmarc(&g);
	if (rc == 0 && g.sessions != NULL)
		rc = gen_tlsrpt(&g);
	if (g.json) {
		json_dumpf(g.doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(g.doc);
	if (g.resolver_open)
		cli_resolver_close(&g.cli);
	free(recv);
	return rc != 0 ? rc : g.exit;
}
