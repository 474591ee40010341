/* cmd_spf_lint.c - `inkan spf lint DOMAIN`: the SPF tree and its problems. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/spf_lint.h"

int cmd_spf_lint(int argc, char **argv);

static const char lint_help[] =
"usage: inkan spf lint [OPTIONS] DOMAIN\n"
"\n"
"Analyse DOMAIN's SPF record and everything it includes: syntax (with the\n"
"position of the error), more than one record, the DNS-lookup count of the\n"
"whole tree against the limit of 10, void lookups, include loops, includes\n"
"of names without SPF, ptr, +all/?all/no all, very wide ip4/ip6 ranges,\n"
"records too long for one UDP answer and deprecated type-99 SPF records.\n"
"With --zone or --overlay it checks records before they are published.\n"
"\n"
CLI_COMMON_HELP
"\n"
"Exit status: 0 no problems, 1 warnings only, 2 errors; 64 usage,\n"
"65 bad zone file, 69 resolver setup failed, 70 internal error.\n";

static bool color;

static const char *
sev_color(enum inkan_lint_severity s)
{
	if (!color)
		return "";
	return s == INKAN_LINT_ERROR ? "\033[31m" : s == INKAN_LINT_WARN ? "\033[33m" : "\033[36m";
}

static void
print_node(const struct inkan_spf_node *n, const char *prefix, bool last, bool top)
{
	char *sub;

	if (top)
		printf("%s", n->domain);
	else
		printf("%s%s %s%s:%s", prefix, last ? "`--" : "|--",
		    n->qualifier != '+' ? (char[]){ n->qualifier, 0 } : "", n->via, n->domain);
	if (n->status != INKAN_SPF_NODE_OK)
		printf("  [%s]", inkan_spf_node_status_name(n->status));
	if (n->record != NULL)
		printf("  \"%s\"", n->record);
	printf("  (lookups %u", n->total_lookups);
	if (n->nchildren > 0)
		printf(", %u here", n->lookups);
	printf(")\n");
	if (asprintf(&sub, "%s%s", prefix, top ? "" : last ? "    " : "|   ") < 0)
		return;
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i] != NULL)
			print_node(n->children[i], sub, i + 1 == n->nchildren, false);
	free(sub);
}

static void
print_text(const struct inkan_spf_lint *l)
{
	const struct inkan_spf_node *root = l->root;

	print_node(root, "", true, true);
	printf("\n%s: %u DNS lookups (limit 10), %u void lookups (limit 2): %u error%s, "
	    "%u warning%s\n", l->domain, root->total_lookups, root->void_lookups, l->errors,
	    l->errors == 1 ? "" : "s", l->warnings, l->warnings == 1 ? "" : "s");
	for (int sev = INKAN_LINT_ERROR; sev >= INKAN_LINT_INFO; sev--) {
		for (size_t i = 0; i < l->nfindings; i++) {
			const struct inkan_spf_finding *f = &l->findings[i];

			if ((int)f->severity != sev)
				continue;
			printf("%s%-5s%s %s: %s  [%s]\n", sev_color(f->severity),
			    inkan_lint_severity_name(f->severity), color ? "\033[0m" : "",
			    f->domain, f->message, f->id);
			if (f->record != NULL && f->offset >= 0) {
				printf("      %s\n      %*s^\n", f->record, (int)f->offset, "");
			}
			if (f->advice != NULL)
				printf("      fix: %s\n", f->advice);
		}
	}
}

static json_t *
node_json(const struct inkan_spf_node *n)
{
	json_t *o = json_object(), *kids = json_array();

	json_object_set_new(o, "domain", json_string(n->domain));
	json_object_set_new(o, "via", json_string(n->via));
	json_object_set_new(o, "qualifier", json_stringn(&n->qualifier, 1));
	json_object_set_new(o, "status", json_string(inkan_spf_node_status_name(n->status)));
	json_object_set_new(o, "record", n->record ? json_string(n->record) : json_null());
	json_object_set_new(o, "lookups", json_integer(n->lookups));
	json_object_set_new(o, "total_lookups", json_integer(n->total_lookups));
	json_object_set_new(o, "void_lookups", json_integer(n->void_lookups));
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i] != NULL)
			json_array_append_new(kids, node_json(n->children[i]));
	json_object_set_new(o, "children", kids);
	return o;
}

static void
print_json(const struct inkan_spf_lint *l)
{
	json_t *o = json_object(), *fs = json_array();
	char *s;

	json_object_set_new(o, "domain", json_string(l->domain));
	json_object_set_new(o, "dns_lookups", json_integer(l->root->total_lookups));
	json_object_set_new(o, "void_lookups", json_integer(l->root->void_lookups));
	json_object_set_new(o, "errors", json_integer(l->errors));
	json_object_set_new(o, "warnings", json_integer(l->warnings));
	for (size_t i = 0; i < l->nfindings; i++) {
		const struct inkan_spf_finding *f = &l->findings[i];
		json_t *fo = json_object();

		json_object_set_new(fo, "severity",
		    json_string(inkan_lint_severity_name(f->severity)));
		json_object_set_new(fo, "id", json_string(f->id));
		json_object_set_new(fo, "domain", json_string(f->domain));
		json_object_set_new(fo, "message", json_string(f->message));
		json_object_set_new(fo, "advice", f->advice ? json_string(f->advice) : json_null());
		json_object_set_new(fo, "offset", f->offset >= 0 ? json_integer(f->offset) :
		    json_null());
		json_array_append_new(fs, fo);
	}
	json_object_set_new(o, "findings", fs);
	json_object_set_new(o, "tree", node_json(l->root));
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

int
cmd_spf_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli;
	struct inkan_arena *a;
	struct inkan_spf_lint l;
	int c, rc;

	memset(&cli, 0, sizeof(cli));
	cli.prog = "inkan spf lint";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if ((rc = cli_common_opt(&cli, c, optarg)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		if (c == 'h') {
			fputs(lint_help, stdout);
			return 0;
		}
		return cli_usage_error(&cli, "unknown option");
	}
	if (argc - optind != 1)
		return cli_usage_error(&cli, "wants one DOMAIN");
	if ((rc = cli_resolver_open(&cli)) != 0) {
		cli_resolver_close(&cli);
		return rc;
	}
	color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	if ((a = inkan_arena_new()) == NULL) {
		cli_resolver_close(&cli);
		return EXIT_SOFTWARE;
	}
	rc = inkan_spf_lint(cli.cache, a, argv[optind], &l);
	if (rc == INKAN_EINVAL) {
		rc = cli_usage_error(&cli, "'%s' is not a domain name", argv[optind]);
	} else if (rc != 0) {
		cli_error(&cli, "%s", inkan_strerror(rc));
		rc = EXIT_SOFTWARE;
	} else {
		if (cli.json)
			print_json(&l);
		else
			print_text(&l);
		rc = l.errors > 0 ? 2 : l.warnings > 0 ? 1 : 0;
	}
	inkan_arena_free(a);
	cli_resolver_close(&cli);
	return rc;
}
