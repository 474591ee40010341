/* cli.c - options and resolver setup shared by all subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inkan/bulk.h"
#include "inkan/error.h"

void
cli_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", cli->prog);
	return EXIT_USAGE;
}

int
cli_common_opt(struct cli *cli, int c, const char *arg)
{
	char *end;
	unsigned long v;

	switch (c) {
	case OPT_ZONE:
	case OPT_OVERLAY:
		if (cli->nzones == CLI_MAX_FILES) {
			cli_usage_error(cli, "at most %d zone files", CLI_MAX_FILES);
			return -1;
		}
		cli->zones[cli->nzones++] = arg;
		if (c == OPT_OVERLAY)
			cli->overlay = true;
		return 1;
	case OPT_RESOLVER:
		if (cli->nresolvers == CLI_MAX_FILES) {
			cli_usage_error(cli, "at most %d resolvers", CLI_MAX_FILES);
			return -1;
		}
		cli->resolvers[cli->nresolvers++] = arg;
		return 1;
	case OPT_TRUST_ANCHOR:
		cli->trust_anchor = arg;
		return 1;
	case OPT_NO_DNSSEC:
		cli->no_dnssec = true;
		return 1;
	case OPT_TIMEOUT:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno != 0 || *end != '\0' || v == 0 || v > 600000) {
			cli_usage_error(cli, "--timeout wants milliseconds from 1 to 600000, not '%s'",
			    arg);
			return -1;
		}
		cli->timeout_ms = (unsigned)v;
		return 1;
	case OPT_TRACE:
		cli->trace = true;
		return 1;
	case OPT_JSON:
		cli->json = true;
		return 1;
	}
	return 0;
}

static void
trace_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, ";; %s\n", line);
}

static int
open_live(struct cli *cli)
{
	struct inkan_unbound_opts o;
	const char *why = NULL;
	/* Names that unbound answers itself by default (RFC 6761, RFC 6303,
	 * RFC 5737 documentation networks) but that a forwarder the user chose
	 * may serve, e.g. a test or lab server: let them through then. */
	static const char *const transparent[] = { "test", "invalid", "local", "home.arpa",
		"10.in-addr.arpa", "16.172.in-addr.arpa", "168.192.in-addr.arpa",
		"2.0.192.in-addr.arpa", "100.51.198.in-addr.arpa", "113.0.203.in-addr.arpa",
		"254.169.in-addr.arpa", "8.b.d.0.1.0.0.2.ip6.arpa", NULL };

	memset(&o, 0, sizeof(o));
	cli->resolvers[cli->nresolvers] = NULL;
	o.forwarders = cli->nresolvers > 0 ? cli->resolvers : NULL;
	o.trust_anchor_file = cli->trust_anchor;
	cli->trust_anchor_lines[cli->ntrust_anchor_lines] = NULL;
	o.trust_anchors = cli->ntrust_anchor_lines > 0 ? cli->trust_anchor_lines : NULL;
	o.no_dnssec = cli->no_dnssec;
	o.timeout_ms = cli->timeout_ms;
	o.transparent_zones = cli->nresolvers > 0 ? transparent : NULL;
	if (inkan_resolver_unbound_new(&o, &cli->live, &why) != 0) {
		cli_error(cli, "cannot set up the resolver: %s", why ? why : "unknown reason");
		return EXIT_RESOLVER;
	}
	return 0;
}

int
cli_resolver_open(struct cli *cli)
{
	int rc;

	if (cli->nzones > 0) {
		if (inkan_zone_new(&cli->zone) != 0) {
			cli_error(cli, "out of memory");
			return EXIT_SOFTWARE;
		}
		for (size_t i = 0; i < cli->nzones; i++) {
			char *why = NULL;

			if (inkan_zone_load_file(cli->zone, cli->zones[i], NULL, &why) != 0) {
				cli_error(cli, "%s", why ? why : cli->zones[i]);
				free(why);
				return EXIT_DATAERR;
			}
		}
	}
	if (cli->nzones == 0 || cli->overlay || cli->nresolvers > 0) {
		if ((rc = open_live(cli)) != 0)
			return rc;
	}
	if (cli->zone != NULL && cli->live != NULL) {
		if (inkan_resolver_overlay_new(cli->zone, cli->live, &cli->base) != 0)
			return EXIT_SOFTWARE;
	} else if (cli->zone != NULL) {
		if (inkan_resolver_zone_new(cli->zone, &cli->base) != 0)
			return EXIT_SOFTWARE;
	} else {
		cli->base = cli->live;
	}
	if (inkan_resolver_cache_new(cli->base, 0, &cli->cache) != 0)
		return EXIT_SOFTWARE;
	if (cli->trace)
		inkan_resolver_set_trace(cli->cache, trace_line, NULL);
	return 0;
}

void
cli_resolver_close(struct cli *cli)
{
	inkan_resolver_free(cli->cache);
	if (cli->base != cli->live)
		inkan_resolver_free(cli->base);
	inkan_resolver_free(cli->live);
	inkan_zone_free(cli->zone);
	cli->cache = cli->base = cli->live = NULL;
	cli->zone = NULL;
}

const char *
cli_async_default(void)
{
	const char *e = getenv("INKAN_ASYNC");

	return e != NULL && *e != '\0' ? e : "auto";
}

static bool
stub_possible(const struct cli *cli)
{
	return cli->nresolvers == 1 && cli->no_dnssec && cli->nzones == 0;
}

int
cli_async_check(const struct cli *cli, const char *backend)
{
	if (strcmp(backend, "auto") != 0 && strcmp(backend, "stub") != 0 &&
	    strcmp(backend, "unbound") != 0)
		return cli_usage_error(cli, "--async-backend (or INKAN_ASYNC) wants auto, stub "
		    "or unbound, not '%s'", backend);
	if (strcmp(backend, "stub") == 0 && !stub_possible(cli))
		return cli_usage_error(cli, "the stub backend needs exactly one --resolver, "
		    "--no-dnssec and no --zone or --overlay");
	return 0;
}

int
cli_async_open(const struct cli *cli, const char *backend, struct inkan_async **out)
{
	/* One forwarder without validation needs none of libunbound: the
	 * stub asks it directly at a fraction of the cost per query
	 * (bench/RESULTS.md). */
	if (cli->base != cli->live)
		return inkan_async_sync_new(cli->base, out);
	if (strcmp(backend, "unbound") != 0 && stub_possible(cli))
		return inkan_async_stub_new(cli->resolvers[0], cli->timeout_ms, out);
	return inkan_async_unbound_new(cli->live, out);
}
