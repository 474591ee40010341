/* arc_tool.c - the ARC library from the shell, for the interop tests
 * (tests/interop/arc_dkimpy.sh) until the CLI has ARC commands.
 *
 *   arc_tool verify ZONEFILE MSGFILE
 *       prints "cv=<none|pass|fail> oldest_pass=<n> reason=<text>"
 *   arc_tool seal ZONEFILE MSGFILE KEYPEM DOMAIN SELECTOR AUTHSERV_ID C CV [AUTHRES]
 *       prints the new ARC set (the fields to prepend, CRLF); C is the AMS
 *       c= ("relaxed/simple" ...); CV the incoming chain's status (none,
 *       pass, fail) or "auto" to validate MSGFILE first (a forwarder that
 *       changes the message validates before it changes it); AUTHRES
 *       absent = consolidate the message's A-R fields
 *
 * Keys come from ZONEFILE (master format) through the zone backend only.
 * Exit 0 on success, 1 on a library error (printed), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arc.h"
#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/error.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		fprintf(stderr, "arc_tool: cannot read %s\n", path);
		exit(2);
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "arc_tool: cannot read %s\n", path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static enum inkan_dkim_canon
canon(const char *s, size_t n)
{
	return n >= 7 && strncmp(s, "relaxed", 7) == 0 ? INKAN_DKIM_RELAXED : INKAN_DKIM_SIMPLE;
}

int
main(int argc, char **argv)
{
	struct inkan_zone *z;
	struct inkan_resolver *r;
	struct inkan_arena *a;
	struct inkan_arc_results res;
	char *why = NULL, *msg;
	size_t len;
	int rc;

	if (argc < 4 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "seal") != 0) ||
	    (strcmp(argv[1], "seal") == 0 && argc != 10 && argc != 11)) {
		fprintf(stderr, "usage: arc_tool verify ZONE MSG | seal ZONE MSG KEY D S "
		    "AUTHSERV C CV [AUTHRES]\n");
		return 2;
	}
	if (inkan_zone_new(&z) != 0 || (a = inkan_arena_new()) == NULL)
		return 1;
	if (inkan_zone_load_file(z, argv[2], NULL, &why) != 0) {
		fprintf(stderr, "arc_tool: zone: %s\n", why ? why : "?");
		return 2;
	}
	if (inkan_resolver_zone_new(z, &r) != 0)
		return 1;
	msg = slurp(argv[3], &len);
	rc = inkan_arc_verify_message(r, a, NULL, msg, len, &res);
	if (rc != 0) {
		fprintf(stderr, "arc_tool: verify: %s\n", inkan_strerror(rc));
		return 1;
	}
	if (strcmp(argv[1], "verify") == 0) {
		printf("cv=%s oldest_pass=%d reason=%s\n", inkan_arc_cv_name(res.cv),
		    res.oldest_pass, res.reason ? res.reason : "");
	} else {
		struct inkan_dkim_key *key;
		const char *kwhy = NULL, *fields = NULL, *swhy = NULL;
		size_t kl;
		char *pem = slurp(argv[4], &kl);
		const char *c = argv[8], *sl = strchr(c, '/');

		if (inkan_dkim_key_load_pem(pem, kl, &key, &kwhy) != 0) {
			fprintf(stderr, "arc_tool: key: %s\n", kwhy ? kwhy : "?");
			return 2;
		}
		struct inkan_arc_seal_opts o = {
			.domain = argv[5], .selector = argv[6], .authserv_id = argv[7],
			.use_canon = true, .hdr_canon = canon(c, sl ? (size_t)(sl - c) : strlen(c)),
			.body_canon = sl ? canon(sl + 1, strlen(sl + 1)) : INKAN_DKIM_SIMPLE,
		};

		enum inkan_arc_cv cv = res.cv;

		if (strcmp(argv[9], "none") == 0)
			cv = INKAN_ARC_NONE;
		else if (strcmp(argv[9], "pass") == 0)
			cv = INKAN_ARC_PASS;
		else if (strcmp(argv[9], "fail") == 0)
			cv = INKAN_ARC_FAIL;
		rc = inkan_arc_seal_message(a, key, &o, cv, argc == 11 ? argv[10] : NULL, msg,
		    len, &fields, &swhy);
		if (rc != 0) {
			fprintf(stderr, "arc_tool: seal: %s: %s\n", inkan_strerror(rc),
			    swhy ? swhy : "");
			return 1;
		}
		if (swhy != NULL)
			fprintf(stderr, "arc_tool: %s\n", swhy);
		fputs(fields, stdout);
		inkan_dkim_key_free(key);
		free(pem);
	}
	free(msg);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	inkan_arena_free(a);
	return 0;
}
