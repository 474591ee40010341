/* cmd_check.c - `inkan check DOMAIN...`: the posture audit of mail
 * domains (lib/check), as text, JSON or an HTML page.
 *
 * One arena per domain; the reports are kept until all domains are done
 * so that --html can put them on one page.  The exit status is the worst
 * over all domains: 0 everything passed (info and not-tested do not
 * count), 1 warnings, 2 failures or errors.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_check.h"
#include "inkan/arena.h"
#include "inkan/check.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/smtp.h"

static const char check_help[] =
"usage: inkan check [OPTIONS] DOMAIN...\n"
"\n"
"Audit the mail set-up of each DOMAIN: MX (Null MX, address literals, CNAMEs,\n"
"IPv6), SPF (everything 'inkan spf lint' finds), DKIM keys, DMARC, MTA-STS\n"
"(the policy fetched over HTTPS), TLS-RPT, DNSSEC, DANE (TLSA matched against\n"
"the served certificate), STARTTLS and TLS on every MX address, and BIMI.\n"
"Each finding has an id, a status (pass, warn, fail, info, error,\n"
"not-tested), advice and evidence; categories and the domain get a score.\n"
"\n"
"Check options:\n"
"  --selector S         DKIM selector to check (repeatable, or S1,S2); without\n"
"                       it common selectors are tried\n"
"  --discover           also try common selectors when --selector is given\n"
"  --only LIST          only these categories (mx,spf,dkim,dmarc,mta-sts,\n"
"                       tls-rpt,dnssec,dane,tls,bimi)\n"
"  --skip LIST          all categories but these\n"
"  --offline            no network probes (HTTPS, SMTP): they are not-tested;\n"
"                       needs --zone, whose data is all the DNS there is\n"
"  --no-tls-grading     one SMTP connection per address: no probes of old TLS\n"
"                       versions, weak ciphers and DH size\n"
"  --ca-file FILE       trusted CAs (PEM) for the HTTPS and SMTP certificates\n"
"  --connect HOST[:PORT]=ADDR[:PORT]\n"
"                       connect to ADDR instead of HOST's address (PORT 25 is\n"
"                       SMTP, 443 the MTA-STS policy; HOST * is any host);\n"
"                       repeatable; for tests and private set-ups\n"
"  --helo NAME          EHLO name of the SMTP probe (default " INKAN_SMTP_DEFAULT_HELO ")\n"
"  --probe-timeout MS   per step of the SMTP and HTTPS probes (default 10000)\n"
"  --html FILE          also write a self-contained HTML report to FILE\n"
"  -v, --verbose        show the evidence of every finding\n"
"  --ascii              [PASS]/[WARN]/... instead of symbols\n"
"\n"
CLI_COMMON_HELP
"\n"
"Exit status: 0 all pass, 1 warnings, 2 failures or errors (the worst over\n"
"all domains); 64 usage, 65 bad zone file, 69 resolver setup failed, 70\n"
"internal error, 73 the HTML file cannot be written.\n";

enum {
	OPT_SELECTOR = OPT_FIRST_LOCAL,
	OPT_DISCOVER,
	OPT_ONLY,
	OPT_SKIP,
	OPT_OFFLINE,
	OPT_NO_GRADING,
	OPT_CA_FILE,
	OPT_CONNECT,
	OPT_HELO,
	OPT_PROBE_TIMEOUT,
	OPT_HTML,
	OPT_ASCII,
};

#define EXIT_CANTCREAT 73
#define MAX_SELECTORS 64
#define MAX_CONNECT 64

struct opts {
	const char *selectors[MAX_SELECTORS];
	size_t nselectors;
	struct inkan_check_connect connect[MAX_CONNECT];
	size_t nconnect;
	const char *html;
	bool verbose, ascii, color;
};

static const char *const titles[INKAN_CHECK_NCATEGORIES] = {
	"MX", "SPF", "DKIM", "DMARC", "MTA-STS", "TLS-RPT", "DNSSEC", "DANE", "TLS", "BIMI",
};

const char *
check_category_title(enum inkan_check_category c)
{
	return (unsigned)c < INKAN_CHECK_NCATEGORIES ? titles[c] : "?";
}

/* "mx,spf" -> bit set; -1 on an unknown name (message printed). */
static long
category_list(const struct cli *cli, char *s)
{
	unsigned bits = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		int k = inkan_check_category_from_name(t);

		if (k < 0) {
			cli_usage_error(cli, "unknown category '%s' (mx, spf, dkim, dmarc, mta-sts, "
			    "tls-rpt, dnssec, dane, tls, bimi)", t);
			return -1;
		}
		bits |= 1u << k;
	}
	return bits;
}

static bool
parse_port(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535 || s[0] < '0' || s[0] > '9')
		return false;
	*out = (unsigned)v;
	return true;
}

/* HOST[:PORT]=ADDR[:PORT]; ADDR may be [v6]:port or a bare v6. */
static bool
parse_connect(char *arg, struct inkan_check_connect *k)
{
	char *eq = strchr(arg, '='), *host = arg, *addr, *c, *port = NULL;
	struct inkan_ip ip;

	memset(k, 0, sizeof(*k));
	if (eq == NULL)
		return false;
	*eq = '\0';
	addr = eq + 1;
	if ((c = strrchr(host, ':')) != NULL) {
		*c = '\0';
		if (!parse_port(c + 1, &k->service))
			return false;
	}
	if (host[0] == '\0')
		return false;
	if (strcmp(host, "*") != 0 && inkan_dname_check(host, strlen(host), 0, NULL) != 0)
		return false;
	k->host = host;
	if (addr[0] == '[') {
		if ((c = strchr(addr, ']')) == NULL)
			return false;
		*c = '\0';
		if (c[1] == ':')
			port = c + 2;
		else if (c[1] != '\0')
			return false;
		addr++;
	} else if ((c = strchr(addr, ':')) != NULL && strchr(c + 1, ':') == NULL) {
		*c = '\0';
		port = c + 1;
	}
	if (inkan_ip_parse(addr, strlen(addr), &ip) != 0)
		return false;
	k->addr = addr;
	if (port != NULL && !parse_port(port, &k->port))
		return false;
	return true;
}

/* ---- text ---- */

static const char *
symbol(const struct opts *o, enum inkan_check_status s)
{
	static const char *const sym[] = { "–", "ℹ", "✔", "⚠", "✘", "!" };
	static const char *const asc[] = { "[----]", "[INFO]", "[PASS]", "[WARN]", "[FAIL]",
		"[ERR ]" };

	return o->ascii ? asc[s] : sym[s];
}

static const char *
colour(const struct opts *o, enum inkan_check_status s)
{
	static const char *const col[] = { "\033[2m", "\033[36m", "\033[32m", "\033[33m",
		"\033[31m", "\033[35m" };

	return o->color ? col[s] : "";
}

static void
print_score(const struct opts *o, int score)
{
	if (score < 0) {
		printf("-");
		return;
	}
	if (o->color)
		printf("%s", score >= 90 ? "\033[32m" : score >= 60 ? "\033[33m" : "\033[31m");
	printf("%d%%", score);
	if (o->color)
		printf("\033[0m");
}

static void
print_text(const struct opts *o, const struct inkan_check_report *r)
{
	unsigned n[6] = { 0 };

	printf("%s%s%s  score ", o->color ? "\033[1m" : "", r->domain, o->color ? "\033[0m" : "");
	print_score(o, r->score);
	printf("\n");
	for (int cat = 0; cat < INKAN_CHECK_NCATEGORIES; cat++) {
		bool head = false;

		for (size_t i = 0; i < r->nitems; i++) {
			const struct inkan_check_item *it = &r->items[i];
			bool show_ev;

			if ((int)it->category != cat)
				continue;
			if (!head) {
				printf("\n%s%s%s ", o->color ? "\033[1m" : "", titles[cat],
				    o->color ? "\033[0m" : "");
				print_score(o, r->categories[cat].score);
				printf("\n");
				head = true;
			}
			n[it->status]++;
			printf("  %s%s%s ", colour(o, it->status), symbol(o, it->status),
			    o->color ? "\033[0m" : "");
			if (it->subject != NULL && strstr(it->summary, it->subject) == NULL)
				printf("%s: ", it->subject);
			printf("%s  %s[%s]%s\n", it->summary, o->color ? "\033[2m" : "", it->id,
			    o->color ? "\033[0m" : "");
			if (it->advice != NULL && it->status != INKAN_CHECK_PASS)
				printf("      fix: %s\n", it->advice);
			show_ev = o->verbose || it->status == INKAN_CHECK_FAIL ||
			    it->status == INKAN_CHECK_ERROR;
			for (size_t k = 0; show_ev && k < it->nevidence; k++) {
				if (!o->verbose && k == 6) {
					printf("      | ... (%zu more; -v shows all)\n",
					    it->nevidence - k);
					break;
				}
				printf("      | %s\n", it->evidence[k]);
			}
		}
	}
	printf("\n%s: %u pass, %u warn, %u fail, %u error, %u info, %u not tested "
	    "(%lu DNS queries)\n\n", r->domain, n[INKAN_CHECK_PASS], n[INKAN_CHECK_WARN],
	    n[INKAN_CHECK_FAIL], n[INKAN_CHECK_ERROR], n[INKAN_CHECK_INFO],
	    n[INKAN_CHECK_NOT_TESTED], r->dns_queries);
}

/* ---- JSON (schema in inkan-check(1)) ---- */

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
report_json(const struct inkan_check_report *r)
{
	json_t *o = json_object(), *cats = json_object(), *checks = json_array();
	char when[32];
	struct tm tm;

	gmtime_r(&r->started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(o, "domain", json_string(r->domain));
	json_object_set_new(o, "score", r->score >= 0 ? json_integer(r->score) : json_null());
	json_object_set_new(o, "worst", json_string(inkan_check_status_name(r->worst)));
	json_object_set_new(o, "checked_at", json_string(when));
	json_object_set_new(o, "dns_queries", json_integer((json_int_t)r->dns_queries));
	for (int k = 0; k < INKAN_CHECK_NCATEGORIES; k++) {
		const struct inkan_check_score *s = &r->categories[k];
		json_t *c = json_object();

		json_object_set_new(c, "score", s->score >= 0 ? json_integer(s->score) : json_null());
		json_object_set_new(c, "pass", json_integer(s->npass));
		json_object_set_new(c, "warn", json_integer(s->nwarn));
		json_object_set_new(c, "fail", json_integer(s->nfail));
		json_object_set_new(c, "error", json_integer(s->nerror));
		json_object_set_new(c, "info", json_integer(s->ninfo));
		json_object_set_new(c, "not-tested", json_integer(s->nnot_tested));
		json_object_set_new(cats, inkan_check_category_name(k), c);
	}
	json_object_set_new(o, "categories", cats);
	for (size_t i = 0; i < r->nitems; i++) {
		const struct inkan_check_item *it = &r->items[i];
		json_t *c = json_object(), *ev = json_array();

		json_object_set_new(c, "id", json_string(it->id));
		json_object_set_new(c, "category", json_string(inkan_check_category_name(it->category)));
		json_object_set_new(c, "status", json_string(inkan_check_status_name(it->status)));
		json_object_set_new(c, "subject", jstr(it->subject));
		json_object_set_new(c, "summary", jstr(it->summary));
		json_object_set_new(c, "advice", jstr(it->advice));
		for (size_t k = 0; k < it->nevidence; k++)
			json_array_append_new(ev, jstr(it->evidence[k]));
		json_object_set_new(c, "evidence", ev);
		json_array_append_new(checks, c);
	}
	json_object_set_new(o, "checks", checks);
	return o;
}

static void
print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);

	if (s != NULL)
		puts(s);
	free(s);
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "selector", required_argument, NULL, OPT_SELECTOR },
		{ "discover", no_argument, NULL, OPT_DISCOVER },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "no-tls-grading", no_argument, NULL, OPT_NO_GRADING },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "helo", required_argument, NULL, OPT_HELO },
		{ "probe-timeout", required_argument, NULL, OPT_PROBE_TIMEOUT },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "verbose", no_argument, NULL, 'v' },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli;
	struct opts o;
	struct inkan_check_opts co;
	struct inkan_arena **arenas = NULL;
	struct inkan_check_report *reps = NULL;
	const struct inkan_check_report **rp = NULL;
	json_t *all = NULL;
	long bits;
	int c, rc, worst = 0;
	size_t ndom, done = 0;

	memset(&cli, 0, sizeof(cli));
	memset(&o, 0, sizeof(o));
	memset(&co, 0, sizeof(co));
	cli.prog = "inkan check";
	optind = 1;
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if ((rc = cli_common_opt(&cli, c, optarg)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(check_help, stdout);
			return 0;
		case 'v':
			o.verbose = true;
			break;
		case OPT_SELECTOR: {
			char *save = NULL;

			for (char *t = strtok_r(optarg, ",", &save); t != NULL;
			    t = strtok_r(NULL, ",", &save)) {
				if (o.nselectors == MAX_SELECTORS)
					return cli_usage_error(&cli, "at most %d selectors",
					    MAX_SELECTORS);
				if (inkan_dname_check(t, strlen(t), INKAN_DNAME_HOSTNAME |
				    INKAN_DNAME_UNDERSCORE, NULL) != 0)
					return cli_usage_error(&cli, "'%s' is not a selector", t);
				o.selectors[o.nselectors++] = t;
			}
			break;
		}
		case OPT_DISCOVER:
			co.discover_selectors = true;
			break;
		case OPT_ONLY:
		case OPT_SKIP:
			if ((bits = category_list(&cli, optarg)) < 0)
				return EXIT_USAGE;
			if (c == OPT_SKIP)
				bits = ~bits & ((1u << INKAN_CHECK_NCATEGORIES) - 1);
			co.categories = (co.categories ? co.categories : ~0u) & (unsigned)bits;
			if (co.categories == 0)
				return cli_usage_error(&cli, "no category left to check");
			break;
		case OPT_OFFLINE:
			co.offline = true;
			break;
		case OPT_NO_GRADING:
			co.no_tls_grading = true;
			break;
		case OPT_CA_FILE:
			if (access(optarg, R_OK) != 0)
				return cli_usage_error(&cli, "cannot read the CA file %s", optarg);
			co.ca_file = optarg;
			break;
		case OPT_CONNECT:
			if (o.nconnect == MAX_CONNECT)
				return cli_usage_error(&cli, "at most %d --connect", MAX_CONNECT);
			if (!parse_connect(optarg, &o.connect[o.nconnect]))
				return cli_usage_error(&cli, "--connect wants HOST[:PORT]=ADDR[:PORT]");
			o.nconnect++;
			break;
		case OPT_HELO:
			if (inkan_dname_check(optarg, strlen(optarg), INKAN_DNAME_HOSTNAME, NULL) != 0)
				return cli_usage_error(&cli, "'%s' is not a host name", optarg);
			co.helo = optarg;
			break;
		case OPT_PROBE_TIMEOUT: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0 || v > 600000)
				return cli_usage_error(&cli, "--probe-timeout wants milliseconds "
				    "from 1 to 600000, not '%s'", optarg);
			co.timeout_ms = (unsigned)v;
			break;
		}
		case OPT_HTML:
			o.html = optarg;
			break;
		case OPT_ASCII:
			o.ascii = true;
			break;
		default:
			return cli_usage_error(&cli, "unknown option");
		}
	}
	if (argc - optind < 1)
		return cli_usage_error(&cli, "wants at least one DOMAIN");
	if (co.offline && (cli.nzones == 0 || cli.overlay || cli.nresolvers > 0))
		return cli_usage_error(&cli, "--offline needs --zone (and no --overlay or "
		    "--resolver): the zone files are then all the DNS there is");
	ndom = (size_t)(argc - optind);
	for (size_t i = 0; i < ndom; i++) {
		const char *d = argv[optind + (int)i];

		if (inkan_dname_check(d, strlen(d), INKAN_DNAME_MULTILABEL, NULL) != 0) {
			struct inkan_arena *ta = inkan_arena_new();
			char *ascii = NULL;
			bool ok = ta != NULL && inkan_dname_to_ascii(ta, d, strlen(d), &ascii,
			    NULL) == 0 && inkan_dname_check(ascii, strlen(ascii),
			    INKAN_DNAME_MULTILABEL, NULL) == 0;

			inkan_arena_free(ta);
			if (!ok)
				return cli_usage_error(&cli, "'%s' is not a domain name", d);
		}
	}
	co.selectors = o.selectors;
	co.nselectors = o.nselectors;
	co.connect = o.connect;
	co.nconnect = o.nconnect;
	if ((rc = cli_resolver_open(&cli)) != 0) {
		cli_resolver_close(&cli);
		return rc;
	}
	/* Without a validating live resolver DNSSEC cannot be judged. */
	co.no_dnssec = cli.no_dnssec || cli.live == NULL;
	o.color = !cli.json && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	arenas = calloc(ndom, sizeof(*arenas));
	reps = calloc(ndom, sizeof(*reps));
	rp = calloc(ndom, sizeof(*rp));
	if (arenas == NULL || reps == NULL || rp == NULL) {
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (cli.json && ndom > 1)
		all = json_array();
	for (size_t i = 0; i < ndom; i++) {
		const char *d = argv[optind + (int)i];
		int w;

		if ((arenas[i] = inkan_arena_new()) == NULL) {
			rc = EXIT_SOFTWARE;
			goto out;
		}
		rc = inkan_check_domain(cli.cache, arenas[i], &co, d, &reps[i]);
		if (rc != 0) {
			cli_error(&cli, "%s: %s", d, inkan_strerror(rc));
			rc = rc == INKAN_EINVAL ? EXIT_USAGE : EXIT_SOFTWARE;
			goto out;
		}
		rp[done++] = &reps[i];
		if (cli.json) {
			json_t *j = report_json(&reps[i]);

			if (all != NULL) {
				json_array_append_new(all, j);
			} else {
				print_json(j);
				json_decref(j);
			}
		} else {
			print_text(&o, &reps[i]);
			fflush(stdout);
		}
		w = reps[i].worst >= INKAN_CHECK_FAIL ? 2 : reps[i].worst == INKAN_CHECK_WARN ? 1 : 0;
		if (w > worst)
			worst = w;
	}
	if (all != NULL)
		print_json(all);
	rc = worst;
	if (o.html != NULL) {
		FILE *f = fopen(o.html, "w");

		if (f == NULL || check_html_write(f, rp, done) != 0) {
			cli_error(&cli, "cannot write %s: %s", o.html, strerror(errno));
			rc = EXIT_CANTCREAT;
		}
		if (f != NULL && fclose(f) != 0 && rc != EXIT_CANTCREAT) {
			cli_error(&cli, "cannot write %s: %s", o.html, strerror(errno));
			rc = EXIT_CANTCREAT;
		}
	}
out:
	json_decref(all);
	for (size_t i = 0; arenas != NULL && i < ndom; i++)
		inkan_arena_free(arenas[i]);
	free(arenas);
	free(reps);
	free(rp);
	cli_resolver_close(&cli);
	return rc;
}
