/* cmd_dkim.c - `inkan dkim sign|verify|keygen|keycheck`.
 *
 * sign and verify read the whole message (file or stdin) and hand it to
 * the library in one call; the library does the LF -> CRLF conversion an
 * MTA would do.  sign writes the DKIM-Signature fields and then the
 * message unchanged, with the fields' line ends matching the input's (a
 * file with bare LF gets bare LF), so that `inkan dkim sign < a > b` keeps
 * b in the same form as a.
 *
 * Several keys: --key and --selector are both repeatable and paired in
 * order (the first --selector names the first --key ...); one --domain
 * applies to all, as d= is one signing domain.  All signatures come from
 * one pass over the body.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/arc.h"
#include "inkan/arena.h"
#include "inkan/dkim.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/msg.h"

/* The CLI holds a whole message in memory; past this it refuses rather
 * than swap.  Far above any MTA's size limit (Postfix: 10 MB default). */
#define MAX_MESSAGE_BYTES	((size_t)1 << 30)
#define MAX_KEYS		8

enum {
	OPT_DOMAIN = OPT_FIRST_LOCAL,
	OPT_SELECTOR,
	OPT_KEY,
	OPT_CANON,
	OPT_HEADERS,
	OPT_NO_OVERSIGN,
	OPT_IDENTITY,
	OPT_EXPIRE,
	OPT_BODY_LENGTH,
	OPT_NOW,
	OPT_NO_TIMESTAMP,
	OPT_UNSAFE_KEY,
	OPT_TYPE,
	OPT_BITS,
	OPT_OUT,
	OPT_FORCE,
	OPT_TESTING,
	OPT_MAX_SIGS,
	OPT_SKEW,
	OPT_ALLOW_SHA1,
	OPT_ARC_KEY,
	OPT_ARC_SELECTOR,
	OPT_ARC_DOMAIN,
	OPT_AUTHSERV_ID,
	OPT_ARC_HEADERS,
};

/* Exit codes of `inkan dkim verify` (documented in inkan-dkim(1)): one
 * per overall result, numbered like `inkan spf check`'s. */
static const int verify_exit[] = {
	[INKAN_DKIM_PASS] = 0,
	[INKAN_DKIM_FAIL] = 1,
	[INKAN_DKIM_POLICY] = 2,
	[INKAN_DKIM_NEUTRAL] = 3,
	[INKAN_DKIM_NONE] = 4,
	[INKAN_DKIM_TEMPERROR] = 5,
	[INKAN_DKIM_PERMERROR] = 6,
};

/* Exit codes of `inkan dkim keycheck`. */
enum {
	KC_OK = 0,		/* published key matches (also in testing mode) */
	KC_MISMATCH = 1,	/* published key is another key */
	KC_REVOKED = 2,		/* p= empty */
	KC_SHORT = 3,		/* RSA under 1024 bits (RFC 8301) */
	KC_NORECORD = 4,	/* no TXT, or no DKIM key record, at the name */
	KC_TEMP = 5,		/* DNS failure */
	KC_INVALID = 6,		/* a record that does not parse */
};

static void
print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);

	if (s != NULL) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

/* Read all of path ("-" = stdin) into a malloc'd buffer.  Returns 0, or
 * an exit code after printing why. */
static int
read_all(const struct cli *cli, const char *path, char **out, size_t *outlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL) {
		cli_error(cli, "%s: %s", path, strerror(errno));
		return EXIT_DATAERR;
	}
	for (;;) {
		if (cap - len < 65536) {
			size_t nc = cap ? cap * 2 : 262144;
			char *nb;

			if (nc > MAX_MESSAGE_BYTES + 65536 || (nb = realloc(buf, nc + 1)) == NULL) {
				cli_error(cli, "%s: message too large or out of memory", path);
				free(buf);
				if (f != stdin)
					fclose(f);
				return EXIT_DATAERR;
			}
			buf = nb;
			cap = nc;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		cli_error(cli, "%s: %s", path, strerror(errno));
		free(buf);
		if (f != stdin)
			fclose(f);
		return EXIT_DATAERR;
	}
	if (f != stdin)
		fclose(f);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* "relaxed/simple", "relaxed" (body simple, RFC 6376 §3.5 c=), ... */
static int
parse_canon(const char *s, enum inkan_dkim_canon *h, enum inkan_dkim_canon *b)
{
	const char *slash = strchr(s, '/');
	size_t hl = slash != NULL ? (size_t)(slash - s) : strlen(s);

	if (hl == 6 && strncmp(s, "simple", 6) == 0)
		*h = INKAN_DKIM_SIMPLE;
	else if (hl == 7 && strncmp(s, "relaxed", 7) == 0)
		*h = INKAN_DKIM_RELAXED;
	else
		return -1;
	if (slash == NULL)
		*b = INKAN_DKIM_SIMPLE;
	else if (strcmp(slash + 1, "simple") == 0)
		*b = INKAN_DKIM_SIMPLE;
	else if (strcmp(slash + 1, "relaxed") == 0)
		*b = INKAN_DKIM_RELAXED;
	else
		return -1;
	return 0;
}

static int
parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' || *out < lo || *out > hi ? -1 : 0;
}

/* ---- sign ---- */

static const char sign_help[] =
"usage: inkan dkim sign --domain D --selector S --key FILE\n"
"                       [--selector S2 --key FILE2 ...] [OPTIONS] [FILE|-]\n"
"\n"
"Sign a message (RFC 6376; rsa-sha256 or ed25519-sha256 by key type) and\n"
"write it to standard output with the DKIM-Signature fields prepended.\n"
"--key and --selector are repeatable and paired in order: the Nth --key is\n"
"published under the Nth --selector; all signatures share one --domain and\n"
"come from one pass over the body (e.g. RSA + Ed25519).\n"
"\n"
"Options:\n"
"  --domain D           signing domain (d=)\n"
"  --selector S         selector (s=) of the next key; repeatable\n"
"  --key FILE           private key, PEM (PKCS#8 or traditional RSA);\n"
"                       refused when group or others can read it\n"
"  --allow-unsafe-key   accept a key file readable by group or others\n"
"  --canon H/B          canonicalization, default relaxed/relaxed; 'relaxed'\n"
"                       alone means relaxed/simple (RFC 6376 3.5 c=)\n"
"  --headers LIST       fields to sign, ':' or ',' separated (default: From,\n"
"                       To, Cc, Subject, Date, Reply-To, Message-ID, MIME and\n"
"                       List-* fields...); From is always signed\n"
"  --no-oversign        list each field in h= only as often as it occurs (by\n"
"                       default one more time, so that an added field breaks\n"
"                       the signature, RFC 6376 8.15)\n"
"  --identity AUID      i= (must be d= or a subdomain of it)\n"
"  --expire SECONDS     x= = t= + SECONDS\n"
"  --body-length        add l= (lets anyone append to the body: avoid)\n"
"  --now UNIXTIME       t= value (default: now)\n"
"  --no-timestamp       no t= (and no x=)\n"
"  --help\n"
"\n"
"Exit status: 0 signed; 64 usage; 65 unusable message (e.g. no From field)\n"
"or unreadable input; 66 unusable key; 70 internal error.\n";

#define EXIT_NOKEY	66

static const char top_sign_help[] =
"usage: inkan sign --domain D --selector S --key FILE [--selector S2 --key FILE2 ...]\n"
"                  [--arc-key FILE --arc-selector S [--arc-domain D]\n"
"                   --authserv-id ID] [OPTIONS] [FILE|-]\n"
"\n"
"DKIM-sign a message (as 'inkan dkim sign', whose options all apply) and,\n"
"with --arc-key, add an ARC set (RFC 8617: ARC-Seal, ARC-Message-Signature,\n"
"ARC-Authentication-Results) for a message we forward, in one pass over the\n"
"body.  The incoming ARC chain is validated (DNS options below) and its\n"
"result is the new seal's cv=; the ARC-Authentication-Results carries the\n"
"results of the message's Authentication-Results fields with our\n"
"authserv-id (the ones 'inkan verify' or the milter added on arrival).\n"
"\n"
"ARC options:\n"
"  --arc-key FILE       RSA private key for the seal (RFC 8617 uses rsa-sha256)\n"
"  --arc-selector S     its selector\n"
"  --arc-domain D       sealing domain (default: --domain)\n"
"  --authserv-id ID     our authserv-id (required with --arc-key)\n"
"  --arc-headers LIST   fields the ARC-Message-Signature covers (default: as\n"
"                       for DKIM)\n"
CLI_COMMON_HELP
"\n"
"Exit status: 0 signed; 64 usage; 65 unusable message; 66 unusable key;\n"
"69 resolver setup failed; 70 internal error.\n";

/* One pass for DKIM signing, ARC validation of the incoming chain, and
 * the ARC seal. */
struct seal_feed {
	struct inkan_dkim_sign *sign;
	struct inkan_arc_verify *av;
	struct inkan_arc_seal *seal;
};

static int
seal_on_field(void *arg, const struct inkan_msg_field *f)
{
	struct seal_feed *sf = arg;
	int rc = inkan_dkim_sign_header(sf->sign, f->raw.p, f->raw.len);

	if (rc == 0)
		rc = inkan_arc_verify_header(sf->av, f->raw.p, f->raw.len);
	if (rc == 0)
		rc = inkan_arc_seal_header(sf->seal, f->raw.p, f->raw.len);
	return rc;
}

static int
seal_on_body(void *arg, const char *p, size_t n)
{
	struct seal_feed *sf = arg;
	int rc = inkan_dkim_sign_body(sf->sign, p, n);

	if (rc == 0)
		rc = inkan_arc_verify_body(sf->av, p, n);
	if (rc == 0)
		rc = inkan_arc_seal_body(sf->seal, p, n);
	return rc;
}

/* DKIM-sign and ARC-seal msg in one pass; *fields gets the ARC set and
 * the DKIM-Signature fields, in that order (the ARC set on top). */
static int
sign_and_seal(struct cli *cli, struct inkan_arena *a, struct inkan_dkim_key *const *keys,
    size_t nkeys, const struct inkan_dkim_sign_opts *so, struct inkan_dkim_key *arckey,
    const struct inkan_arc_seal_opts *ao, const char *msg, size_t len, const char **fields,
    const char **why)
{
	struct seal_feed sf = { 0 };
	struct inkan_msg_opts mo = { .on_field = seal_on_field, .on_body = seal_on_body,
		.arg = &sf };
	struct inkan_arc_verify_opts avo = { .now = ao->timestamp > 0 ? ao->timestamp : 0 };
	struct inkan_arc_results ar;
	const char *dkim_fields = NULL, *arc_fields = NULL;
	int rc;

	*why = NULL;
	rc = inkan_dkim_sign_new(a, keys, nkeys, so, &sf.sign);
	if (rc == 0)
		rc = inkan_arc_verify_new(cli->cache, a, &avo, &sf.av);
	if (rc == 0)
		rc = inkan_arc_seal_new(a, arckey, ao, &sf.seal);
	if (rc == 0)
		rc = inkan_msg_feed_all(&mo, msg, len);
	if (rc == 0)
		rc = inkan_dkim_sign_end(sf.sign, &dkim_fields, why);
	if (rc == 0)
		rc = inkan_arc_verify_end(sf.av, &ar);
	if (rc == 0)
		rc = inkan_arc_seal_end(sf.seal, ar.cv, NULL, &arc_fields, why);
	if (rc == 0 && ar.cv == INKAN_ARC_FAIL)
		cli_error(cli, "note: the incoming ARC chain fails (%s); sealed with cv=fail",
		    ar.reason != NULL ? ar.reason : "no reason given");
	if (rc == 0 && (*fields = inkan_arena_printf(a, "%s%s", arc_fields, dkim_fields)) == NULL)
		rc = INKAN_ENOMEM;
	inkan_arc_seal_free(sf.seal);
	inkan_arc_verify_free(sf.av);
	inkan_dkim_sign_free(sf.sign);
	return rc;
}

/* Split a header list on ':' ',' and whitespace into a NULL-terminated
 * array (pointers into s, which is modified). */
static const char **
split_headers(char *s)
{
	size_t n = 0, cap = 8;
	const char **v = malloc(cap * sizeof(*v));
	char *save = NULL;

	if (v == NULL)
		return NULL;
	for (char *t = strtok_r(s, ":, \t", &save); t != NULL; t = strtok_r(NULL, ":, \t", &save)) {
		if (n + 2 > cap) {
			const char **nv = realloc(v, (cap *= 2) * sizeof(*v));

			if (nv == NULL) {
				free(v);
				return NULL;
			}
			v = nv;
		}
		v[n++] = t;
	}
	v[n] = NULL;
	return v;
}

/* Write s with every CRLF turned into LF. */
static void
write_lf(const char *s, FILE *f)
{
	for (; *s != '\0'; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			fputc(*s, f);
}

static int
sign_command(int argc, char **argv, bool top)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "arc-key", required_argument, NULL, OPT_ARC_KEY },
		{ "arc-selector", required_argument, NULL, OPT_ARC_SELECTOR },
		{ "arc-domain", required_argument, NULL, OPT_ARC_DOMAIN },
		{ "authserv-id", required_argument, NULL, OPT_AUTHSERV_ID },
		{ "arc-headers", required_argument, NULL, OPT_ARC_HEADERS },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "selector", required_argument, NULL, OPT_SELECTOR },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "canon", required_argument, NULL, OPT_CANON },
		{ "headers", required_argument, NULL, OPT_HEADERS },
		{ "no-oversign", no_argument, NULL, OPT_NO_OVERSIGN },
		{ "identity", required_argument, NULL, OPT_IDENTITY },
		{ "expire", required_argument, NULL, OPT_EXPIRE },
		{ "body-length", no_argument, NULL, OPT_BODY_LENGTH },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "no-timestamp", no_argument, NULL, OPT_NO_TIMESTAMP },
		{ "allow-unsafe-key", no_argument, NULL, OPT_UNSAFE_KEY },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .prog = top ? "inkan sign" : "inkan dkim sign" };
	struct inkan_arc_seal_opts ao = {
		.hdr_canon = INKAN_DKIM_RELAXED,
		.body_canon = INKAN_DKIM_RELAXED,
	};
	const char *arckeyfile = NULL;
	char *archdrlist = NULL;
	struct inkan_dkim_sign_opts so = {
		.hdr_canon = INKAN_DKIM_RELAXED,
		.body_canon = INKAN_DKIM_RELAXED,
	};
	const char *keyfiles[MAX_KEYS], *selectors[MAX_KEYS];
	size_t nkeys = 0, nsel = 0;
	char *hdrlist = NULL;
	unsigned kflags = 0;
	long long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int crc;

		if (c >= OPT_ZONE && c < OPT_FIRST_LOCAL && top) {
			if ((crc = cli_common_opt(&cli, c, optarg)) < 0)
				return EXIT_USAGE;
			continue;
		}
		if (!top && ((c >= OPT_ZONE && c < OPT_FIRST_LOCAL) || c == OPT_ARC_KEY ||
		    c == OPT_ARC_SELECTOR || c == OPT_ARC_DOMAIN || c == OPT_AUTHSERV_ID ||
		    c == OPT_ARC_HEADERS))
			return cli_usage_error(&cli, "%s is an option of 'inkan sign'",
			    argv[optind - 1]);
		switch (c) {
		case 'h':
			fputs(top ? top_sign_help : sign_help, stdout);
			return 0;
		case OPT_ARC_KEY:
			arckeyfile = optarg;
			break;
		case OPT_ARC_SELECTOR:
			ao.selector = optarg;
			break;
		case OPT_ARC_DOMAIN:
			ao.domain = optarg;
			break;
		case OPT_AUTHSERV_ID:
			ao.authserv_id = optarg;
			break;
		case OPT_ARC_HEADERS:
			archdrlist = optarg;
			break;
		case OPT_DOMAIN:
			so.domain = optarg;
			break;
		case OPT_SELECTOR:
			if (nsel == MAX_KEYS)
				return cli_usage_error(&cli, "at most %d selectors", MAX_KEYS);
			selectors[nsel++] = optarg;
			break;
		case OPT_KEY:
			if (nkeys == MAX_KEYS)
				return cli_usage_error(&cli, "at most %d keys", MAX_KEYS);
			keyfiles[nkeys++] = optarg;
			break;
		case OPT_CANON:
			if (parse_canon(optarg, &so.hdr_canon, &so.body_canon) != 0)
				return cli_usage_error(&cli, "--canon wants simple|relaxed[/simple|"
				    "relaxed], not '%s'", optarg);
			break;
		case OPT_HEADERS:
			hdrlist = optarg;
			break;
		case OPT_NO_OVERSIGN:
			so.no_oversign = true;
			break;
		case OPT_IDENTITY:
			so.identity = optarg;
			break;
		case OPT_EXPIRE:
			if (parse_int(optarg, 1, 100LL * 366 * 86400, &v) != 0)
				return cli_usage_error(&cli, "--expire wants a positive number of "
				    "seconds");
			so.expire = v;
			break;
		case OPT_BODY_LENGTH:
			so.body_length = true;
			break;
		case OPT_NOW:
			if (parse_int(optarg, 1, 253402300799LL, &v) != 0)
				return cli_usage_error(&cli, "--now wants a positive UNIX time");
			so.timestamp = v;
			break;
		case OPT_NO_TIMESTAMP:
			so.timestamp = -1;
			break;
		case OPT_UNSAFE_KEY:
			kflags |= INKAN_DKIM_KEY_INSECURE;
			break;
		default:
			return cli_usage_error(&cli, "unknown option");
		}
	}
	if (so.domain == NULL)
		return cli_usage_error(&cli, "--domain is required");
	if (nkeys == 0)
		return cli_usage_error(&cli, "--key is required");
	if (nsel != nkeys)
		return cli_usage_error(&cli, "give one --selector per --key (%zu selectors, "
		    "%zu keys)", nsel, nkeys);
	if (so.timestamp < 0 && so.expire > 0)
		return cli_usage_error(&cli, "--expire needs t=; drop --no-timestamp");
	if (argc - optind > 1)
		return cli_usage_error(&cli, "at most one message file");
	if (arckeyfile != NULL && (ao.selector == NULL || ao.authserv_id == NULL))
		return cli_usage_error(&cli, "--arc-key needs --arc-selector and --authserv-id");
	if (arckeyfile == NULL && (ao.selector != NULL || ao.authserv_id != NULL ||
	    archdrlist != NULL))
		return cli_usage_error(&cli, "ARC options need --arc-key");
	if (ao.domain == NULL)
		ao.domain = so.domain;
	ao.timestamp = so.timestamp > 0 ? so.timestamp : 0;
	so.selector = selectors[0];
	so.selectors = selectors;

	struct inkan_dkim_key *keys[MAX_KEYS] = { 0 }, *arckey = NULL;
	struct inkan_arena *a = NULL;
	const char **hdrs = NULL, **archdrs = NULL;
	bool resolver_open = false;
	char *msg = NULL;
	size_t len;
	int rc, ret = 0;

	for (size_t i = 0; i < nkeys; i++) {
		const char *why = NULL;

		rc = inkan_dkim_key_load_file(keyfiles[i], kflags, &keys[i], &why);
		if (rc != 0) {
			cli_error(&cli, "%s: %s%s", keyfiles[i], why != NULL ? why : inkan_strerror(rc),
			    rc == INKAN_EINVAL ? " (--allow-unsafe-key to use it anyway)" : "");
			ret = EXIT_NOKEY;
			goto out;
		}
	}
	if (arckeyfile != NULL) {
		const char *why = NULL;

		rc = inkan_dkim_key_load_file(arckeyfile, kflags, &arckey, &why);
		if (rc == 0 && strcmp(inkan_dkim_key_type(arckey), "rsa") != 0) {
			why = "ARC seals with rsa-sha256 only (RFC 8617 3.9): not an RSA key";
			rc = INKAN_EUNSUPPORTED;
		}
		if (rc != 0) {
			cli_error(&cli, "%s: %s%s", arckeyfile, why != NULL ? why : inkan_strerror(rc),
			    rc == INKAN_EINVAL ? " (--allow-unsafe-key to use it anyway)" : "");
			ret = EXIT_NOKEY;
			goto out;
		}
		if (archdrlist != NULL) {
			char *copy = strdup(archdrlist);

			if (copy == NULL || (archdrs = split_headers(copy)) == NULL) {
				free(copy);
				ret = EXIT_SOFTWARE;
				goto out;
			}
			ao.headers = archdrs;
		}
		if ((rc = cli_resolver_open(&cli)) != 0) {
			ret = rc;
			goto out;
		}
		resolver_open = true;
	}
	if (hdrlist != NULL) {
		char *copy = strdup(hdrlist);

		if (copy == NULL || (hdrs = split_headers(copy)) == NULL) {
			free(copy);
			ret = EXIT_SOFTWARE;
			goto out;
		}
		so.headers = hdrs;
		if (hdrs[0] == NULL) {
			free(copy);
			ret = cli_usage_error(&cli, "--headers lists no field");
			goto out;
		}
	}
	if ((ret = read_all(&cli, optind < argc ? argv[optind] : "-", &msg, &len)) != 0)
		goto out;
	if ((a = inkan_arena_new()) == NULL) {
		ret = EXIT_SOFTWARE;
		goto out;
	}

	const char *fields = NULL, *why = NULL;

	if (arckey != NULL)
		rc = sign_and_seal(&cli, a, keys, nkeys, &so, arckey, &ao, msg, len, &fields, &why);
	else
		rc = inkan_dkim_sign_message(a, keys, nkeys, &so, msg, len, &fields, &why);
	if (rc != 0) {
		cli_error(&cli, "cannot sign: %s", why != NULL ? why : inkan_strerror(rc));
		ret = rc == INKAN_EINVAL || rc == INKAN_EMALFORMED || rc == INKAN_ETOOBIG ||
		    rc == INKAN_ELIMIT ? EXIT_DATAERR : EXIT_SOFTWARE;
		goto out;
	}
	/* Keep the input's line-end convention: look at the first line. */
	const char *nl = memchr(msg, '\n', len);

	if (nl != NULL && (nl == msg || nl[-1] != '\r'))
		write_lf(fields, stdout);
	else
		fputs(fields, stdout);
	if (fwrite(msg, 1, len, stdout) != len || fflush(stdout) != 0) {
		cli_error(&cli, "writing the message: %s", strerror(errno));
		ret = EXIT_SOFTWARE;
	}
out:
	if (hdrs != NULL) {
		free((char *)hdrs[0]);
		free(hdrs);
	}
	if (archdrs != NULL) {
		free((char *)archdrs[0]);
		free(archdrs);
	}
	for (size_t i = 0; i < nkeys; i++)
		inkan_dkim_key_free(keys[i]);
	inkan_dkim_key_free(arckey);
	if (resolver_open)
		cli_resolver_close(&cli);
	inkan_arena_free(a);
	free(msg);
	return ret;
}

static int
dkim_sign(int argc, char **argv)
{
	return sign_command(argc, argv, false);
}

int
cmd_sign(int argc, char **argv)
{
	return sign_command(argc, argv, true);
}

/* ---- verify ---- */

static const char verify_help[] =
"usage: inkan dkim verify [OPTIONS] [FILE|-]\n"
"\n"
"Verify every DKIM-Signature of a message (RFC 6376, RFC 8463; rsa-sha1 and\n"
"RSA keys under 1024 bits fail, RFC 8301).  Text output: one line per\n"
"signature, top first: result d= s= a= and, unless it passed, the reason.\n"
"\n"
"Options:\n"
"  --now UNIXTIME       the time for x= and t= checks (default: now)\n"
"  --clock-skew SECONDS tolerance for t= in the future and x= in the past\n"
"                       (default 300)\n"
"  --max-signatures N   verify at most N signatures (default 8); the rest are\n"
"                       reported as neutral\n"
"  --allow-sha1         accept rsa-sha1 (to study old mail only)\n"
CLI_COMMON_HELP
"\n"
"Exit status (the overall result): 0 at least one signature passed, 1 fail,\n"
"2 policy, 3 neutral, 4 none (no signature), 5 temperror, 6 permerror;\n"
"64 usage, 65 unreadable or unparsable message, 69 resolver setup failed.\n";

json_t *
cli_dkim_sig_json(const struct inkan_dkim_sig_result *s)
{
	json_t *o = json_object();

#define STR(k, v) json_object_set_new(o, k, (v) != NULL ? json_string(v) : json_null())
	STR("result", inkan_dkim_result_name(s->result));
	STR("reason", s->reason);
	STR("d", s->d);
	STR("s", s->s);
	STR("a", s->a);
	STR("i", s->i);
	STR("b", s->b_prefix);
	if (s->d != NULL)
		json_object_set_new(o, "c", json_sprintf("%s/%s",
		    s->hdr_canon == INKAN_DKIM_RELAXED ? "relaxed" : "simple",
		    s->body_canon == INKAN_DKIM_RELAXED ? "relaxed" : "simple"));
	else
		json_object_set_new(o, "c", json_null());
	json_object_set_new(o, "t", s->t >= 0 ? json_integer(s->t) : json_null());
	json_object_set_new(o, "x", s->x >= 0 ? json_integer(s->x) : json_null());
	STR("key_type", s->key_type);
	json_object_set_new(o, "key_bits", s->key_type != NULL ? json_integer(s->key_bits) :
	    json_null());
	json_object_set_new(o, "key_testing", json_boolean(s->key_testing));
	json_object_set_new(o, "l", s->has_l ? json_integer((json_int_t)s->l) : json_null());
	json_object_set_new(o, "body_length", json_integer((json_int_t)s->body_len));
	json_object_set_new(o, "unsigned_bytes", json_integer((json_int_t)s->unsigned_bytes));
#undef STR
	return o;
}

static void
print_sig_text(const struct inkan_dkim_sig_result *s)
{
	printf("%s d=%s s=%s a=%s", inkan_dkim_result_name(s->result), s->d ? s->d : "-",
	    s->s ? s->s : "-", s->a ? s->a : "-");
	if (s->key_type != NULL)
		printf(" key=%s-%u", s->key_type, s->key_bits);
	if (s->key_testing)
		printf(" testing");
	if (s->has_l)
		printf(" l=%llu (%llu body bytes unsigned)", (unsigned long long)s->l,
		    (unsigned long long)s->unsigned_bytes);
	if (s->reason != NULL)
		printf(": %s", s->reason);
	putchar('\n');
}

static int
dkim_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "now", required_argument, NULL, OPT_NOW },
		{ "clock-skew", required_argument, NULL, OPT_SKEW },
		{ "max-signatures", required_argument, NULL, OPT_MAX_SIGS },
		{ "allow-sha1", no_argument, NULL, OPT_ALLOW_SHA1 },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .prog = "inkan dkim verify" };
	struct inkan_dkim_verify_opts vo = { .clock_skew = -1 };
	long long v;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if ((rc = cli_common_opt(&cli, c, optarg)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(verify_help, stdout);
			return 0;
		case OPT_NOW:
			if (parse_int(optarg, 1, 253402300799LL, &v) != 0)
				return cli_usage_error(&cli, "--now wants a positive UNIX time");
			vo.now = v;
			break;
		case OPT_SKEW:
			if (parse_int(optarg, 0, 86400 * 366, &v) != 0)
				return cli_usage_error(&cli, "--clock-skew wants seconds");
			vo.clock_skew = (int)v;
			break;
		case OPT_MAX_SIGS:
			if (parse_int(optarg, 1, 1000, &v) != 0)
				return cli_usage_error(&cli, "--max-signatures wants 1..1000");
			vo.max_signatures = (unsigned)v;
			break;
		case OPT_ALLOW_SHA1:
			vo.allow_sha1 = true;
			break;
		default:
			return cli_usage_error(&cli, "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(&cli, "at most one message file");

	char *msg = NULL;
	size_t len;
	int ret;

	if ((ret = read_all(&cli, optind < argc ? argv[optind] : "-", &msg, &len)) != 0)
		return ret;
	if ((rc = cli_resolver_open(&cli)) != 0) {
		cli_resolver_close(&cli);
		free(msg);
		return rc;
	}

	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dkim_results res;

	if (a == NULL) {
		ret = EXIT_SOFTWARE;
		goto out;
	}
	rc = inkan_dkim_verify_message(cli.cache, a, &vo, msg, len, &res);
	if (rc != 0) {
		cli_error(&cli, "%s", inkan_strerror(rc));
		ret = rc == INKAN_ENOMEM ? EXIT_SOFTWARE : EXIT_DATAERR;
		goto out;
	}
	if (cli.json) {
		json_t *o = json_object(), *arr = json_array();

		json_object_set_new(o, "result", json_string(inkan_dkim_result_name(res.overall)));
		for (size_t i = 0; i < res.n; i++)
			json_array_append_new(arr, cli_dkim_sig_json(&res.sigs[i]));
		json_object_set_new(o, "signatures", arr);
		print_json(o);
	} else if (res.n == 0) {
		printf("none: no DKIM-Signature field\n");
	} else {
		for (size_t i = 0; i < res.n; i++)
			print_sig_text(&res.sigs[i]);
	}
	ret = verify_exit[res.overall];
out:
	inkan_arena_free(a);
	cli_resolver_close(&cli);
	free(msg);
	return ret;
}

/* ---- keygen ---- */

static const char keygen_help[] =
"usage: inkan dkim keygen --domain D [--selector S] [--type rsa|ed25519]\n"
"                         [--bits N] [--out FILE] [--force] [--testing] [--json]\n"
"\n"
"Generate a signing key, write the private key (PKCS#8 PEM, mode 0600) and\n"
"print the DNS record to publish, in master-file form with the TXT split\n"
"into strings of at most 255 bytes (RFC 6376 3.6.2.2).\n"
"\n"
"Options:\n"
"  --domain D           the signing domain (d=)\n"
"  --selector S         default: the year and month, e.g. 202611, so that the\n"
"                       next rotation has a natural name\n"
"  --type T             rsa (default) or ed25519 (RFC 8463)\n"
"  --bits N             RSA size, 1024..8192 (default 2048)\n"
"  --out FILE           private key file (default SELECTOR.private); an\n"
"                       existing file is kept unless --force\n"
"  --testing            publish with t=y (RFC 6376 3.6.1)\n"
"  --json               {domain, selector, name, type, bits, key_file, record,\n"
"                       txt_strings, zone}\n"
"\n"
"Exit status: 0 written; 64 usage; 73 cannot create the key file.\n";

#define EXIT_CANTCREAT	73

static int
dkim_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "selector", required_argument, NULL, OPT_SELECTOR },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "bits", required_argument, NULL, OPT_BITS },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "testing", no_argument, NULL, OPT_TESTING },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .prog = "inkan dkim keygen" };
	const char *domain = NULL, *selector = NULL, *type = "rsa", *out = NULL;
	bool force = false, testing = false, bits_given = false;
	unsigned bits = 2048;
	char defsel[16], defout[300];
	long long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(keygen_help, stdout);
			return 0;
		case OPT_JSON:
			cli.json = true;
			break;
		case OPT_DOMAIN:
			domain = optarg;
			break;
		case OPT_SELECTOR:
			selector = optarg;
			break;
		case OPT_TYPE:
			if (strcmp(optarg, "rsa") != 0 && strcmp(optarg, "ed25519") != 0)
				return cli_usage_error(&cli, "--type wants rsa or ed25519");
			type = optarg;
			break;
		case OPT_BITS:
			if (parse_int(optarg, INKAN_DKIM_MIN_RSA_BITS, INKAN_DKIM_MAX_RSA_BITS, &v)
			    != 0)
				return cli_usage_error(&cli, "--bits wants %d..%d", INKAN_DKIM_MIN_RSA_BITS,
				    INKAN_DKIM_MAX_RSA_BITS);
			bits = (unsigned)v;
			bits_given = true;
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_TESTING:
			testing = true;
			break;
		default:
			return cli_usage_error(&cli, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (domain == NULL)
		return cli_usage_error(&cli, "--domain is required");
	if (bits_given && strcmp(type, "ed25519") == 0)
		return cli_usage_error(&cli, "--bits is for RSA keys");
	if (selector == NULL) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(defsel, sizeof(defsel), "%Y%m", &tm);
		selector = defsel;
	}
	if (selector[0] == '\0' || strchr(selector, '/') != NULL || strchr(selector, ' ') != NULL)
		return cli_usage_error(&cli, "'%s' is not a selector", selector);
	if (out == NULL) {
		snprintf(defout, sizeof(defout), "%s.private", selector);
		out = defout;
	}

	struct inkan_dkim_key *key = NULL;
	struct inkan_arena *a = inkan_arena_new();
	const char *pem, *rec;
	int fd = -1, ret = 0, rc;

	if (a == NULL)
		return EXIT_SOFTWARE;
	if ((rc = inkan_dkim_key_generate(type, strcmp(type, "rsa") == 0 ? bits : 0, &key)) != 0) {
		cli_error(&cli, "cannot generate the key: %s", inkan_strerror(rc));
		ret = EXIT_SOFTWARE;
		goto out;
	}
	pem = inkan_dkim_key_private_pem(key, a);
	rec = inkan_dkim_key_record(key, a);
	if (pem == NULL || rec == NULL) {
		ret = EXIT_SOFTWARE;
		goto out;
	}
	/* v=DKIM1 must stay first (RFC 6376 3.6.1): t=y goes at the end. */
	if (testing && (rec = inkan_arena_printf(a, "%s; t=y", rec)) == NULL) {
		ret = EXIT_SOFTWARE;
		goto out;
	}
	/* 0600 from the start: the key is never readable by others, not even
	 * for a moment, whatever the umask. */
	fd = open(out, O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL) | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		cli_error(&cli, "%s: %s%s", out, strerror(errno),
		    errno == EEXIST ? " (--force to overwrite)" : "");
		ret = EXIT_CANTCREAT;
		goto out;
	}
	size_t pl = strlen(pem);

	if (fchmod(fd, 0600) != 0 || write(fd, pem, pl) != (ssize_t)pl || fsync(fd) != 0) {
		cli_error(&cli, "%s: %s", out, strerror(errno));
		ret = EXIT_CANTCREAT;
		goto out;
	}

	/* The zone line: NAME. IN TXT "..." "..." with 255-byte strings. */
	size_t rl = strlen(rec), nstr = (rl + 254) / 255;
	json_t *strs = json_array();
	struct inkan_buf zb;
	char name[INKAN_DNAME_MAX_TEXT + 32];

	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	inkan_buf_init(&zb, 65536);
	inkan_buf_printf(&zb, "%s. IN TXT", name);
	for (size_t i = 0; i < nstr; i++) {
		size_t n = rl - i * 255 < 255 ? rl - i * 255 : 255;

		inkan_buf_printf(&zb, " \"%.*s\"", (int)n, rec + i * 255);
		json_array_append_new(strs, json_stringn(rec + i * 255, n));
	}
	if (zb.err != 0) {
		inkan_buf_free(&zb);
		json_decref(strs);
		ret = EXIT_SOFTWARE;
		goto out;
	}
	if (cli.json) {
		json_t *o = json_object();

		json_object_set_new(o, "domain", json_string(domain));
		json_object_set_new(o, "selector", json_string(selector));
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "type", json_string(inkan_dkim_key_type(key)));
		json_object_set_new(o, "bits", json_integer(inkan_dkim_key_bits(key)));
		json_object_set_new(o, "key_file", json_string(out));
		json_object_set_new(o, "record", json_string(rec));
		json_object_set_new(o, "txt_strings", strs);
		json_object_set_new(o, "zone", json_stringn(zb.p, zb.len));
		print_json(o);
	} else {
		json_decref(strs);
		printf("; %s-%u key for %s, private key in %s\n", inkan_dkim_key_type(key),
		    inkan_dkim_key_bits(key), domain, out);
		printf("%.*s\n", (int)zb.len, zb.p);
	}
	inkan_buf_free(&zb);
out:
	if (fd >= 0 && close(fd) != 0 && ret == 0) {
		cli_error(&cli, "%s: %s", out, strerror(errno));
		ret = EXIT_CANTCREAT;
	}
	inkan_dkim_key_free(key);
	inkan_arena_free(a);
	return ret;
}

/* ---- keycheck ---- */

static const char keycheck_help[] =
"usage: inkan dkim keycheck [OPTIONS] --domain D --selector S --key FILE\n"
"\n"
"Fetch the key record at S._domainkey.D and say whether it is the public\n"
"half of the private key in FILE, revoked (p= empty), in testing mode (t=y)\n"
"or too short (RSA under 1024 bits fails everywhere, RFC 8301; under 2048\n"
"is reported as weak).\n"
"\n"
CLI_COMMON_HELP
"\n"
"Exit status: 0 the record matches the key (also in testing mode), 1 it\n"
"holds another key, 2 revoked, 3 too short, 4 no key record, 5 DNS failure,\n"
"6 malformed record; 64 usage, 66 unusable key file, 69 resolver setup failed.\n";

static int
dkim_keycheck(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "selector", required_argument, NULL, OPT_SELECTOR },
		{ "key", required_argument, NULL, OPT_KEY },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .prog = "inkan dkim keycheck" };
	const char *domain = NULL, *selector = NULL, *keyfile = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if ((rc = cli_common_opt(&cli, c, optarg)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			fputs(keycheck_help, stdout);
			return 0;
		case OPT_DOMAIN:
			domain = optarg;
			break;
		case OPT_SELECTOR:
			selector = optarg;
			break;
		case OPT_KEY:
			keyfile = optarg;
			break;
		default:
			return cli_usage_error(&cli, "unknown option");
		}
	}
	if (domain == NULL || selector == NULL || keyfile == NULL)
		return cli_usage_error(&cli, "--domain, --selector and --key are required");
	if (optind != argc)
		return cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);

	struct inkan_dkim_key *key = NULL;
	const char *why = NULL;
	struct stat st;

	/* keycheck reads the key to compare it, so an open mode is a warning
	 * here, not a refusal. */
	if ((rc = inkan_dkim_key_load_file(keyfile, INKAN_DKIM_KEY_INSECURE, &key, &why)) != 0) {
		cli_error(&cli, "%s: %s", keyfile, why != NULL ? why : inkan_strerror(rc));
		return EXIT_NOKEY;
	}
	bool unsafe_mode = stat(keyfile, &st) == 0 && (st.st_mode & 077) != 0;

	if ((rc = cli_resolver_open(&cli)) != 0) {
		cli_resolver_close(&cli);
		inkan_dkim_key_free(key);
		return rc;
	}

	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer ans;
	struct inkan_dkim_keyrec pub, mine;
	char name[INKAN_DNAME_MAX_TEXT + 32];
	const char *status, *detail = NULL, *record = NULL, *mine_rec;
	json_t *problems = json_array();
	int ret;

	memset(&pub, 0, sizeof(pub));
	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	if (a == NULL || (mine_rec = inkan_dkim_key_record(key, a)) == NULL ||
	    inkan_dkim_key_parse(a, mine_rec, strlen(mine_rec), &mine, &why) != 0) {
		ret = EXIT_SOFTWARE;
		status = "error";
		goto report;
	}
	if ((rc = inkan_dns_query(cli.cache, a, name, INKAN_DNS_TXT, &ans)) != 0) {
		ret = KC_TEMP;
		status = "dns-error";
		detail = inkan_strerror(rc);
		goto report;
	}
	if (ans.status == INKAN_DNS_SERVFAIL || ans.status == INKAN_DNS_TIMEOUT || ans.bogus) {
		ret = KC_TEMP;
		status = "dns-error";
		detail = ans.why != NULL ? ans.why : inkan_dns_status_name(ans.status);
		goto report;
	}
	/* RFC 6376 6.1.2: more than one record gives undefined results; take
	 * the first that parses, and say there were several. */
	size_t nkeyrecs = 0;
	const char *first_bad = NULL;

	for (size_t i = 0; i < ans.nrr; i++) {
		struct inkan_dkim_keyrec kr;
		char *txt;
		size_t tl;
		const char *kwhy = NULL;

		if (inkan_dns_rr_txt(a, &ans.rr[i], &txt, &tl) != 0)
			continue;
		if (inkan_dkim_key_parse(a, txt, tl, &kr, &kwhy) != 0) {
			if (first_bad == NULL)
				first_bad = kwhy != NULL ? kwhy : "malformed key record";
			if (record == NULL)
				record = txt;
			continue;
		}
		if (nkeyrecs++ == 0) {
			pub = kr;
			record = txt;
		}
	}
	if (nkeyrecs > 1)
		json_array_append_new(problems, json_string("more than one key record (RFC 6376 "
		    "3.6.2.2: results are undefined)"));
	if (nkeyrecs == 0 && first_bad != NULL) {
		ret = KC_INVALID;
		status = "invalid";
		detail = first_bad;
		goto report;
	}
	if (nkeyrecs == 0) {
		ret = KC_NORECORD;
		status = "no-record";
		detail = ans.status == INKAN_DNS_OK ? "no DKIM key record among the TXT records" :
		    inkan_dns_status_name(ans.status);
		goto report;
	}
	if (pub.revoked) {
		ret = KC_REVOKED;
		status = "revoked";
		detail = "p= is empty: the key is revoked (RFC 6376 3.6.1)";
		goto report;
	}
	if (strcmp(pub.k != NULL ? pub.k : "rsa", mine.k != NULL ? mine.k : "rsa") != 0 ||
	    pub.plen != mine.plen || memcmp(pub.p, mine.p, mine.plen) != 0) {
		ret = KC_MISMATCH;
		status = "mismatch";
		detail = "the published key is not the public half of this private key";
		goto report;
	}
	if (strcmp(inkan_dkim_key_type(key), "rsa") == 0 &&
	    inkan_dkim_key_bits(key) < INKAN_DKIM_MIN_RSA_BITS) {
		ret = KC_SHORT;
		status = "too-short";
		detail = "RSA key under 1024 bits: verifiers must fail it (RFC 8301)";
		goto report;
	}
	if (strcmp(inkan_dkim_key_type(key), "rsa") == 0 && inkan_dkim_key_bits(key) < 2048)
		json_array_append_new(problems, json_string("RSA key under 2048 bits is weak "
		    "(RFC 8301 3.2: signers should use 2048)"));
	if (pub.testing)
		json_array_append_new(problems, json_string("t=y: testing mode, verifiers may "
		    "treat failures as unsigned (RFC 6376 3.6.1)"));
	if (pub.h != NULL && strstr(pub.h, "sha256") == NULL)
		json_array_append_new(problems, json_string("h= does not allow sha256"));
	if (pub.s != NULL && strcmp(pub.s, "*") != 0 && strstr(pub.s, "email") == NULL)
		json_array_append_new(problems, json_string("s= does not allow email"));
	ret = KC_OK;
	status = pub.testing ? "ok-testing" : "ok";
report:
	if (unsafe_mode)
		json_array_append_new(problems, json_string("the key file is readable by group or "
		    "others; `inkan dkim sign` refuses it"));
	if (cli.json) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "status", json_string(status));
		json_object_set_new(o, "detail", detail != NULL ? json_string(detail) : json_null());
		json_object_set_new(o, "record", record != NULL ? json_string(record) : json_null());
		json_object_set_new(o, "key_type", json_string(inkan_dkim_key_type(key)));
		json_object_set_new(o, "key_bits", json_integer(inkan_dkim_key_bits(key)));
		json_object_set_new(o, "testing", json_boolean(pub.testing));
		json_object_set_new(o, "revoked", json_boolean(pub.revoked));
		json_object_set_new(o, "problems", problems);
		print_json(o);
	} else {
		printf("%s\n", status);
		printf("  name:     %s\n", name);
		printf("  key:      %s-%u (%s)\n", inkan_dkim_key_type(key), inkan_dkim_key_bits(key),
		    keyfile);
		if (record != NULL)
			printf("  record:   %s\n", record);
		if (detail != NULL)
			printf("  detail:   %s\n", detail);
		for (size_t i = 0; i < json_array_size(problems); i++)
			printf("  warning:  %s\n", json_string_value(json_array_get(problems, i)));
		json_decref(problems);
	}
	inkan_arena_free(a);
	inkan_dkim_key_free(key);
	cli_resolver_close(&cli);
	return ret;
}

static const char dkim_help[] =
"usage: inkan dkim sign --domain D --selector S --key FILE [OPTIONS] [FILE|-]\n"
"       inkan dkim verify [OPTIONS] [FILE|-]\n"
"       inkan dkim keygen --domain D [--selector S] [--type rsa|ed25519] [--bits N]\n"
"       inkan dkim keycheck --domain D --selector S --key FILE\n"
"\n"
"  sign      add DKIM-Signature fields (RSA and/or Ed25519) to a message\n"
"  verify    verify every DKIM-Signature of a message\n"
"  keygen    make a key pair and print the DNS record to publish\n"
"  keycheck  compare a private key with the record published in DNS\n";

int
cmd_dkim(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = {
		{ "sign", dkim_sign },
		{ "verify", dkim_verify },
		{ "keygen", dkim_keygen },
		{ "keycheck", dkim_keycheck },
	};

	if (argc >= 2) {
		for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
			if (strcmp(argv[1], sub[i].name) == 0)
				return sub[i].fn(argc - 1, argv + 1);
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			fputs(dkim_help, stdout);
			return 0;
		}
		fprintf(stderr, "inkan dkim: unknown subcommand '%s'\n", argv[1]);
	}
	fputs(dkim_help, stderr);
	return EXIT_USAGE;
}
