/* cmd_sts.c - `inkan sts query`: what inkan-stsd would answer Postfix
 * for a next-hop, and why (lib/sts: DANE first, then MTA-STS).
 *
 * The same engine as the daemon, the same cache file if --cache names
 * it, so an operator can ask "why did this mail go out like that?" and
 * see the TLSA records, the DNSSEC status, the policy text and whether it
 * came from the cache.  --postfix prints the exact socketmap reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/mtasts.h"
#include "inkan/sts.h"

enum {
	OPT_POSTFIX = OPT_FIRST_LOCAL,
	OPT_CACHE,
	OPT_CA_FILE,
	OPT_CONNECT,
	OPT_SERVER,
	OPT_TA_FILE,
	OPT_PORT,
	OPT_NO_DANE,
};

#define MAX_CONNECT 16

static const char sts_help[] =
"usage: inkan sts query [OPTIONS] NEXTHOP...\n"
"\n"
"Show the TLS policy inkan-stsd would give Postfix for each NEXTHOP\n"
"(\"example.com\", \"[example.com]:25\", ...), and why: DANE when the MX\n"
"RRset and the MX hosts' TLSA records are DNSSEC-secure (dane-only when\n"
"every host has usable TLSA, dane when some do), otherwise the domain's\n"
"MTA-STS policy (enforce: secure match=..., testing: reported only),\n"
"otherwise none (Postfix's default).  A bogus DNSSEC answer or a failed\n"
"lookup on the DANE path is a temporary failure, never MTA-STS.\n"
"\n"
"Options:\n"
"  --postfix            print only the socketmap reply per NEXTHOP:\n"
"                       \"OK <policy>\", \"NOTFOUND\" or \"TEMP <reason>\"\n"
"  --cache FILE         the SQLite policy cache (the daemon's); created if\n"
"                       needed; default: none (every policy is fetched)\n"
"  --ca-file FILE       CAs trusted for the policy fetch (default: system)\n"
"  --connect HOST=ADDR:PORT\n"
"                       fetch HOST's policy from ADDR:PORT (HOST '*' = every\n"
"                       host; ADDR may be [IPv6]); repeatable\n"
"  --server ADDR@PORT   same as --resolver\n"
"  --trust-anchor LINE|FILE\n"
"                       a DS or DNSKEY line (\"example. IN DS ...\"), or a file\n"
"                       of them; repeatable for lines\n"
"  --trust-anchor-file FILE  a file of trust anchors\n"
"  --port N             TLSA port (_N._tcp; default 25)\n"
"  --no-dane            MTA-STS only\n"
CLI_COMMON_HELP
"\n"
"Exit status: 0 when every NEXTHOP was answered (a TEMP answer included),\n"
"64 for bad usage, 69 when the resolver or cache cannot be set up.\n";

static bool
parse_connect(char *arg, struct inkan_mtasts_connect *k)
{
	char *eq = strchr(arg, '='), *addr, *colon;
	unsigned long port;
	char *end;

	if (eq != NULL) {
		*eq = '\0';
		k->host = strcmp(arg, "*") == 0 ? NULL : arg;
		addr = eq + 1;
	} else {
		k->host = NULL;
		addr = arg;
	}
	if (addr[0] == '[') {
		char *rb = strchr(addr, ']');

		if (rb == NULL || rb[1] != ':')
			return false;
		*rb = '\0';
		addr++;
		colon = rb + 1;
	} else if ((colon = strrchr(addr, ':')) == NULL) {
		return false;
	} else {
		*colon = '\0';
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port == 0 || port > 65535 || *addr == '\0')
		return false;
	k->addr = addr;
	k->port = (unsigned)port;
	return true;
}

static const char *
when(struct inkan_arena *a, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return "-";
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return inkan_arena_strdup(a, buf);
}

/* The socketmap reply (Postfix socketmap_table(5), without the netstring
 * framing; the daemon sends "NOTFOUND " with its space). */
static const char *
reply(struct inkan_arena *a, const struct inkan_sts_answer *ans)
{
	if (ans->kind == INKAN_STS_TEMPFAIL)
		return inkan_arena_printf(a, "TEMP %s", ans->why);
	if (ans->postfix != NULL)
		return inkan_arena_printf(a, "OK %s", ans->postfix);
	return "NOTFOUND";
}

static json_t *
answer_json(struct inkan_arena *a, const char *nexthop, const struct inkan_sts_answer *ans)
{
	json_t *o = json_object(), *hosts = json_array(), *sts = json_object();
	const char *type, **str;
	size_t n;

	json_object_set_new(o, "nexthop", json_string(nexthop));
	json_object_set_new(o, "domain", json_string(ans->domain));
	json_object_set_new(o, "kind", json_string(inkan_sts_kind_name(ans->kind)));
	json_object_set_new(o, "postfix", ans->postfix ? json_string(ans->postfix) : json_null());
	json_object_set_new(o, "reply", json_string(reply(a, ans)));
	json_object_set_new(o, "why", json_string(ans->why ? ans->why : ""));
	json_object_set_new(o, "ttl", json_integer(ans->ttl));
	json_object_set_new(o, "mx_secure", json_boolean(ans->mx_secure));
	for (size_t i = 0; i < ans->nhosts; i++) {
		const struct inkan_sts_host *h = &ans->hosts[i];
		json_t *ho = json_object(), *t = json_array();

		json_object_set_new(ho, "name", json_string(h->name));
		json_object_set_new(ho, "pref", json_integer(h->pref));
		json_object_set_new(ho, "tlsa_name", h->tlsa_name ? json_string(h->tlsa_name) :
		    json_null());
		json_object_set_new(ho, "tlsa_secure", json_boolean(h->tlsa_secure));
		json_object_set_new(ho, "tlsa_bogus", json_boolean(h->tlsa_bogus));
		for (size_t j = 0; j < h->ntlsa; j++)
			json_array_append_new(t, json_string(h->tlsa[j]));
		json_object_set_new(ho, "tlsa", t);
		json_array_append_new(hosts, ho);
	}
	json_object_set_new(o, "hosts", hosts);
	json_object_set_new(sts, "status", json_string(inkan_mtasts_status_name(ans->sts)));
	json_object_set_new(sts, "cache", json_string(inkan_sts_cache_state_name(ans->cache)));
	json_object_set_new(sts, "id", ans->policy_id ? json_string(ans->policy_id) :
	    json_null());
	if (ans->sts == INKAN_MTASTS_VALID) {
		json_t *mx = json_array();

		json_object_set_new(sts, "mode",
		    json_string(inkan_mtasts_mode_name(ans->policy.mode)));
		json_object_set_new(sts, "max_age", json_integer(ans->policy.max_age));
		for (size_t i = 0; i < ans->policy.nmx; i++)
			json_array_append_new(mx, json_string(ans->policy.mx[i]));
		json_object_set_new(sts, "mx", mx);
	}
	json_object_set_new(sts, "policy", ans->policy_text ? json_string(ans->policy_text) :
	    json_null());
	json_object_set_new(sts, "fetched_at", ans->fetched_at ?
	    json_string(when(a, ans->fetched_at)) : json_null());
	json_object_set_new(sts, "expires_at", ans->expires_at ?
	    json_string(when(a, ans->expires_at)) : json_null());
	json_object_set_new(sts, "fetch_error", ans->fetch_error ?
	    json_string(ans->fetch_error) : json_null());
	json_object_set_new(o, "mta_sts", sts);
	if (inkan_sts_tlsrpt_policy(a, ans, &type, &str, &n) == 0) {
		json_t *tr = json_object(), *v = json_array();

		json_object_set_new(tr, "policy_type", json_string(type));
		for (size_t i = 0; i < n; i++)
			json_array_append_new(v, json_string(str[i]));
		json_object_set_new(tr, "policy_string", v);
		json_object_set_new(o, "tlsrpt", tr);
	}
	return o;
}

static void
answer_text(struct inkan_arena *a, const char *nexthop, const struct inkan_sts_answer *ans)
{
	printf("%s: %s\n", nexthop, inkan_sts_kind_name(ans->kind));
	printf("  domain:   %s\n", ans->domain);
	printf("  postfix:  %s\n", reply(a, ans));
	printf("  why:      %s\n", ans->why ? ans->why : "");
	printf("  MX:       %s\n", ans->mx_secure ? "DNSSEC-secure" : "not DNSSEC-secure");
	for (size_t i = 0; i < ans->nhosts; i++) {
		const struct inkan_sts_host *h = &ans->hosts[i];

		printf("    %u %s: %s%s\n", h->pref, h->name,
		    h->tlsa_bogus ? "bogus" : h->tlsa_secure ? "secure usable TLSA at " :
		    h->tlsa_name ? "secure TLSA, none usable, at " : "no secure TLSA",
		    h->tlsa_name && !h->tlsa_bogus ? h->tlsa_name : "");
		for (size_t j = 0; j < h->ntlsa; j++)
			printf("      TLSA %s\n", h->tlsa[j]);
	}
	printf("  MTA-STS:  %s, cache %s", inkan_mtasts_status_name(ans->sts),
	    inkan_sts_cache_state_name(ans->cache));
	if (ans->policy_id != NULL)
		printf(", id %s", ans->policy_id);
	if (ans->fetched_at != 0)
		printf(", fetched %s, expires %s", when(a, ans->fetched_at),
		    when(a, ans->expires_at));
	printf("\n");
	if (ans->fetch_error != NULL)
		printf("  fetch:    %s\n", ans->fetch_error);
	if (ans->policy_text != NULL) {
		const char *p = ans->policy_text;

		printf("  policy:\n");
		while (*p != '\0') {
			size_t len = strcspn(p, "\r\n");

			printf("    %.*s\n", (int)len, p);
			p += len;
			p += strspn(p, "\r\n") > 0 ? (p[0] == '\r' && p[1] == '\n' ? 2 : 1) : 0;
		}
	}
	printf("  ttl:      %u\n", ans->ttl);
}

static int
cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "postfix", no_argument, NULL, OPT_POSTFIX },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "trust-anchor-file", required_argument, NULL, OPT_TA_FILE },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "no-dane", no_argument, NULL, OPT_NO_DANE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .prog = "inkan sts query" };
	struct inkan_mtasts_connect connect[MAX_CONNECT];
	struct inkan_sts_opts so;
	struct inkan_sts *s = NULL;
	struct inkan_arena *a = NULL;
	json_t *all = NULL;
	bool postfix = false;
	const char *why = NULL;
	unsigned long v;
	char *end;
	int c, rc = 0;

	memset(&so, 0, sizeof(so));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(sts_help, stdout);
			return 0;
		case OPT_POSTFIX:
			postfix = true;
			break;
		case OPT_CACHE:
			so.cache_path = optarg;
			break;
		case OPT_CA_FILE:
			so.fetch.ca_file = optarg;
			break;
		case OPT_CONNECT:
			if (so.fetch.nconnect == MAX_CONNECT)
				return cli_usage_error(&cli, "at most %d --connect", MAX_CONNECT);
			if (!parse_connect(optarg, &connect[so.fetch.nconnect]))
				return cli_usage_error(&cli, "--connect wants HOST=ADDR:PORT, not '%s'",
				    optarg);
			so.fetch.nconnect++;
			break;
		case OPT_SERVER:
			if (cli_common_opt(&cli, OPT_RESOLVER, optarg) < 0)
				return EXIT_USAGE;
			break;
		case OPT_TRUST_ANCHOR:
			/* A line has blanks ("example. IN DS ..."); a file name
			 * rarely does. */
			if (strchr(optarg, ' ') == NULL && strchr(optarg, '\t') == NULL) {
				cli.trust_anchor = optarg;
				break;
			}
			if (cli.ntrust_anchor_lines == CLI_MAX_FILES)
				return cli_usage_error(&cli, "at most %d trust anchor lines",
				    CLI_MAX_FILES);
			cli.trust_anchor_lines[cli.ntrust_anchor_lines++] = optarg;
			break;
		case OPT_TA_FILE:
			cli.trust_anchor = optarg;
			break;
		case OPT_PORT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
				return cli_usage_error(&cli, "--port wants 1 to 65535, not '%s'", optarg);
			so.port = (unsigned)v;
			break;
		case OPT_NO_DANE:
			so.no_dane = true;
			break;
		default:
			switch (cli_common_opt(&cli, c, optarg)) {
			case 1:
				break;
			case -1:
				return EXIT_USAGE;
			default:
				return cli_usage_error(&cli, "unknown option");
			}
		}
	}
	if (optind >= argc)
		return cli_usage_error(&cli, "no NEXTHOP given");
	if (postfix && cli.json)
		return cli_usage_error(&cli, "--postfix and --json exclude each other");
	so.fetch.connect = connect;
	if ((rc = cli_resolver_open(&cli)) != 0)
		goto out;
	so.resolver = cli.cache;
	if ((rc = inkan_sts_new(&so, &s, &why)) != 0) {
		cli_error(&cli, "cannot open the policy cache: %s", why ? why : inkan_strerror(rc));
		rc = EXIT_RESOLVER;
		goto out;
	}
	if ((a = inkan_arena_new()) == NULL || (cli.json && (all = json_array()) == NULL)) {
		cli_error(&cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		struct inkan_sts_answer ans;
		int e;

		inkan_arena_reset(a);
		if ((e = inkan_sts_lookup(s, a, argv[i], &ans)) != 0) {
			cli_error(&cli, "%s: %s", argv[i], inkan_strerror(e));
			rc = EXIT_SOFTWARE;
			goto out;
		}
		if (postfix)
			printf("%s\n", reply(a, &ans));
		else if (cli.json)
			json_array_append_new(all, answer_json(a, argv[i], &ans));
		else
			answer_text(a, argv[i], &ans);
		fflush(stdout);
	}
	if (all != NULL) {
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
		putchar('\n');
	}
out:
	json_decref(all);
	inkan_arena_free(a);
	inkan_sts_free(s);
	cli_resolver_close(&cli);
	return rc;
}

int
cmd_sts(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "query") == 0)
		return cmd_query(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(sts_help, stdout);
		return 0;
	}
	fputs(sts_help, stderr);
	return EXIT_USAGE;
}
