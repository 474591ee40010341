/* dkim_bench.c - DKIM messages per second: inkan against libopendkim.
 *
 *   dkim_bench [OPTIONS] DIR RSA_KEY ED25519_KEY
 *
 * One core, one thread.  The keys (PEM files made by openssl at run time)
 * sign a corpus of --count messages of 4 KB and as many of 100 KB
 * (relaxed/relaxed, d=example.com, s=rsa and s=ed).  The corpus, the key
 * records and libopendkim's key file are written to DIR so that
 * dkimpy_bench.py measures the same messages.
 *
 *   inkan verify	inkan_dkim_verify_message() through the zone backend
 *			behind the TTL cache, one key cache shared by all
 *			messages (both warmed by an untimed pass), one
 *			arena reset per message.
 *   libopendkim verify	dkim_verify, dkim_header per field, dkim_eoh,
 *			dkim_body, dkim_eom; keys from DKIM_QUERY_FILE
 *			(DIR/keys.txt: libopendkim's in-memory-ish test
 *			method; it has no other way to be given keys).
 *   inkan sign		inkan_dkim_sign_message() with the loaded key.
 *   libopendkim sign	dkim_sign with the PEM text, dkim_header ...
 *			dkim_eom, dkim_getsighdr.
 *
 * Before timing, every signed message is verified by both verifiers,
 * and every message signed by each signer is verified by the other; a
 * verdict other than pass is printed as a disagreement.
 *
 * Also timed: libsodium's Ed25519 sign and verify of a 32-byte message
 * (what an Ed25519 DKIM signature costs inkan, which uses libsodium),
 * the Ed25519 operation rate of inkan's limit, where `openssl speed`
 * gives OpenSSL's.
 *
 * Options:
 *   --min-time S	each timed round lasts at least S seconds (default 1)
 *   --rounds N		rounds per measurement, the median is kept (3)
 *   --count N		messages per size (8)
 *   --only inkan|libopendkim  time one side only (for perf record)
 *   --canon simple	sign simple/simple instead of relaxed/relaxed (to
 *			see what relaxed canonicalization costs); figures
 *			are then reported as "WHO-simple"
 *
 * Lines starting with "@ " carry figures for bench/dkim_run.sh.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_OPENDKIM
#include <opendkim/dkim.h>
#endif
#include <sodium.h>

#include "inkan/arena.h"
#include "inkan/dkim.h"
#include "inkan/dns.h"
#include "inkan/error.h"

#define DOMAIN		"example.com"
#define MAXFIELDS	32

struct field {
	const char *p;
	size_t n;		/* without the final CRLF */
};

/* One message: raw bytes, its header fields and body located. */
struct msg {
	char *raw;
	size_t len;
	struct field f[MAXFIELDS];
	size_t nf;
	const char *body;
	size_t blen;
};

enum { ALG_RSA, ALG_ED, NALG };
enum { SZ_4K, SZ_100K, NSZ };
static const char *const alg_name[NALG] = { "rsa", "ed25519" };
static const char *const sel_name[NALG] = { "rsa", "ed" };
static const char *const sz_name[NSZ] = { "4k", "100k" };
static const size_t sz_bytes[NSZ] = { 4096, 102400 };

static double min_time = 1.0;
static int rounds = 3;
static size_t count = 8;
static const char *only;
static bool simple;

static struct msg *plain[NSZ];		/* unsigned */
static struct msg *isigned[NALG][NSZ];	/* signed by inkan */

static struct inkan_dkim_key *ikey[NALG];
static char *pem[NALG];
static struct inkan_resolver *zres, *cache;
static struct inkan_zone *zone;
static struct inkan_dkim_keycache *kc;
static struct inkan_arena *arena;
static struct inkan_dkim_verify_opts vopts;
static unsigned long disagreements;

static void
die(const char *what)
{
	fprintf(stderr, "dkim_bench: %s\n", what);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die(path);
	if ((p = malloc((size_t)n + 1)) == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		die(path);
	p[n] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return p;
}

static void
write_file(const char *dir, const char *name, const char *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die(path);
}

/* Locate the fields (a field goes on while the next line starts with
 * white space) and the body of m->raw. */
static void
split(struct msg *m)
{
	const char *p = m->raw, *end = m->raw + m->len;

	m->nf = 0;
	while (p < end && !(p + 1 < end && p[0] == '\r' && p[1] == '\n')) {
		const char *s = p;

		for (;;) {
			const char *e = memchr(p, '\n', (size_t)(end - p));

			if (e == NULL)
				die("unterminated header");
			p = e + 1;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
		}
		if (m->nf == MAXFIELDS)
			die("too many fields");
		m->f[m->nf].p = s;
		m->f[m->nf].n = (size_t)(p - s) - 2;
		m->nf++;
	}
	m->body = p + 2;
	m->blen = (size_t)(end - m->body);
}

static void
set_raw(struct msg *m, char *raw, size_t len)
{
	m->raw = raw;
	m->len = len;
	split(m);
}

/* A plain-text message of about size bytes, different for each k. */
static void
make_plain(struct msg *m, size_t size, size_t k)
{
	static const char *const words[] = { "the", "quick", "brown", "fox", "jumps",
		"over", "lazy", "dog", "mail", "sender", "domain", "key", "header",
		"signature", "body", "hash", "canonical", "relay", "message", "authentic" };
	char *p = malloc(size + 1024);
	size_t n;
	uint32_t x = (uint32_t)(k * 2654435761u + size);

	if (p == NULL)
		die("out of memory");
	n = (size_t)sprintf(p,
	    "From: Alice Example <alice@" DOMAIN ">\r\n"
	    "To: Bob <bob@example.net>\r\n"
	    "Subject: benchmark message %zu of %zu bytes\r\n"
	    "Date: Thu, 26 Nov 2026 02:00:00 +0000\r\n"
	    "Message-ID: <%zu.%zu@" DOMAIN ">\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n", k, size, k, size);
	while (n < size) {
		size_t col = 0;

		while (col < 66) {
			const char *w;
			size_t wl;

			x = x * 1103515245u + 12345u;
			w = words[(x >> 16) % (sizeof(words) / sizeof(words[0]))];
			wl = strlen(w);
			/* Now and then two spaces, for relaxed body canon. */
			p[n++] = ((x >> 8) & 15) == 0 ? '\t' : ' ';
			memcpy(p + n, w, wl);
			n += wl;
			col += wl + 1;
		}
		p[n++] = '\r';
		p[n++] = '\n';
	}
	p[n] = '\0';
	set_raw(m, p, n);
}

/* ---- inkan ---- */

static const char *
inkan_sign(int alg, const struct msg *m)
{
	struct inkan_dkim_sign_opts o;
	const char *fields, *why = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.domain = DOMAIN;
	o.selector = sel_name[alg];
	o.hdr_canon = simple ? INKAN_DKIM_SIMPLE : INKAN_DKIM_RELAXED;
	o.body_canon = o.hdr_canon;
	rc = inkan_dkim_sign_message(arena, &ikey[alg], 1, &o, m->raw, m->len, &fields, &why);
	if (rc != 0) {
		fprintf(stderr, "inkan sign: %s %s\n", inkan_strerror(rc), why ? why : "");
		exit(1);
	}
	return fields;
}

static enum inkan_dkim_result
inkan_verify(const struct msg *m, const char **reason)
{
	struct inkan_dkim_results res;
	int rc;

	rc = inkan_dkim_verify_message(cache, arena, &vopts, m->raw, m->len, &res);
	if (rc != 0) {
		*reason = inkan_strerror(rc);
		return INKAN_DKIM_PERMERROR;
	}
	*reason = res.n > 0 && res.sigs[0].reason != NULL ? res.sigs[0].reason : "";
	return res.overall;
}

/* A signed copy: fields + m. */
static void
prepend(struct msg *out, const char *fields, const struct msg *m)
{
	size_t fl = strlen(fields);
	char *p = malloc(fl + m->len + 1);

	if (p == NULL)
		die("out of memory");
	memcpy(p, fields, fl);
	memcpy(p + fl, m->raw, m->len);
	p[fl + m->len] = '\0';
	set_raw(out, p, fl + m->len);
}

/* ---- libopendkim ---- */

#ifdef HAVE_OPENDKIM
static DKIM_LIB *odlib;

static DKIM_STAT
od_feed(DKIM *d, const struct msg *m)
{
	DKIM_STAT st = DKIM_STAT_OK;

	for (size_t i = 0; i < m->nf && st == DKIM_STAT_OK; i++)
		st = dkim_header(d, (u_char *)(uintptr_t)m->f[i].p, m->f[i].n);
	if (st == DKIM_STAT_OK)
		st = dkim_eoh(d);
	if (st == DKIM_STAT_OK)
		st = dkim_body(d, (u_char *)(uintptr_t)m->body, m->blen);
	return st;
}

static bool
od_verify(const struct msg *m, DKIM_STAT *stp)
{
	DKIM_STAT st;
	DKIM *d = dkim_verify(odlib, (const u_char *)"bench", NULL, &st);
	bool pass = false;

	if (d == NULL) {
		*stp = st;
		return false;
	}
	st = od_feed(d, m);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	if (st == DKIM_STAT_OK) {
		DKIM_SIGINFO *sig = dkim_getsignature(d);

		pass = sig != NULL && DKIM_SIG_CHECK(sig);
	}
	dkim_free(d);
	*stp = st;
	return pass;
}

/* Sign m; the DKIM-Signature field ("DKIM-Signature: ...\r\n") into buf. */
static bool
od_sign(int alg, const struct msg *m, char *buf, size_t size)
{
	DKIM_STAT st;
	DKIM *d = dkim_sign(odlib, (const u_char *)"bench", NULL, (dkim_sigkey_t)pem[alg],
	    (const u_char *)sel_name[alg], (const u_char *)DOMAIN,
	    simple ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
	    simple ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
	    alg == ALG_RSA ? DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256,
	    -1, &st);
	size_t hl = strlen(DKIM_SIGNHEADER) + 2;

	if (d == NULL)
		return false;
	st = od_feed(d, m);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	if (st == DKIM_STAT_OK && buf != NULL) {
		memcpy(buf, DKIM_SIGNHEADER ": ", hl);
		st = dkim_getsighdr(d, (u_char *)buf + hl, size - hl - 2, hl);
		if (st == DKIM_STAT_OK)
			strcat(buf, "\r\n");
	}
	dkim_free(d);
	return st == DKIM_STAT_OK;
}
#endif

/* ---- timing ---- */

typedef void (*op_fn)(int alg, const struct msg *m);

static void
op_inkan_verify(int alg, const struct msg *m)
{
	const char *why;

	(void)alg;
	inkan_arena_reset(arena);
	if (inkan_verify(m, &why) != INKAN_DKIM_PASS)
		die("inkan verify failed while timing");
}

static void
op_inkan_sign(int alg, const struct msg *m)
{
	inkan_arena_reset(arena);
	(void)inkan_sign(alg, m);
}

#ifdef HAVE_OPENDKIM
static void
op_od_verify(int alg, const struct msg *m)
{
	DKIM_STAT st;

	(void)alg;
	if (!od_verify(m, &st))
		die("libopendkim verify failed while timing");
}

static void
op_od_sign(int alg, const struct msg *m)
{
	char buf[4096];

	if (!od_sign(alg, m, buf, sizeof(buf)))
		die("libopendkim sign failed while timing");
}
#endif

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median over the rounds of messages per second. */
static void
measure(const char *who, const char *what, int alg, int sz, op_fn fn, struct msg *corpus)
{
	double r[64];
	int nr = rounds < 64 ? rounds : 64;

	if (only != NULL && strcmp(only, who) != 0)
		return;

	for (int k = 0; k < nr; k++) {
		double t0 = now(), t;
		unsigned long n = 0;

		do {
			for (size_t i = 0; i < count; i++)
				fn(alg, &corpus[i]);
			n += count;
		} while ((t = now() - t0) < min_time);
		r[k] = (double)n / t;
	}
	qsort(r, (size_t)nr, sizeof(r[0]), cmp_double);
	printf("%-12s %-6s %-8s %-5s %10.0f msgs/s  (rounds:", who, what, alg_name[alg],
	    sz_name[sz], r[nr / 2]);
	for (int k = 0; k < nr; k++)
		printf(" %.0f", r[k]);
	printf(")\n");
	printf("@ %s%s.%s.%s.%s %.1f\n", who, simple ? "-simple" : "", what, alg_name[alg],
	    sz_name[sz], r[nr / 2]);
	fflush(stdout);
}

/* ---- libsodium's Ed25519, alone ---- */

static unsigned char sod_pk[crypto_sign_ed25519_PUBLICKEYBYTES];
static unsigned char sod_sk[crypto_sign_ed25519_SECRETKEYBYTES];
static unsigned char sod_sig[crypto_sign_ed25519_BYTES], sod_msg[32];

static void
op_sodium_verify(int alg, const struct msg *m)
{
	(void)alg;
	(void)m;
	if (crypto_sign_ed25519_verify_detached(sod_sig, sod_msg, sizeof(sod_msg), sod_pk) != 0)
		die("libsodium verify failed");
}

static void
op_sodium_sign(int alg, const struct msg *m)
{
	(void)alg;
	(void)m;
	crypto_sign_ed25519_detached(sod_sig, NULL, sod_msg, sizeof(sod_msg), sod_sk);
}

/* Rounds of --count operations, as measure(), printed as
 * "@ sodium.ed25519.WHAT rate". */
static void
measure_sodium(const char *what, op_fn fn)
{
	double r[64];
	int nr = rounds < 64 ? rounds : 64;

	for (int k = 0; k < nr; k++) {
		double t0 = now(), t;
		unsigned long n = 0;

		do {
			for (size_t i = 0; i < count; i++)
				fn(ALG_ED, NULL);
			n += count;
		} while ((t = now() - t0) < min_time);
		r[k] = (double)n / t;
	}
	qsort(r, (size_t)nr, sizeof(r[0]), cmp_double);
	printf("%-12s %-6s %-8s %-5s %10.0f ops/s\n", "libsodium", what, "ed25519", "-",
	    r[nr / 2]);
	printf("@ sodium.ed25519.%s %.1f\n", what, r[nr / 2]);
	fflush(stdout);
}

/* ---- setup ---- */

static void
publish(const char *dir)
{
	char line[8192], name[256];
	char *why = NULL;
	FILE *kf, *rf;
	char path[4096];

	snprintf(path, sizeof(path), "%s/keys.txt", dir);
	if ((kf = fopen(path, "w")) == NULL)
		die(path);
	snprintf(path, sizeof(path), "%s/records.txt", dir);
	if ((rf = fopen(path, "w")) == NULL)
		die(path);
	for (int alg = 0; alg < NALG; alg++) {
		const char *rec = inkan_dkim_key_record(ikey[alg], arena);
		size_t rl, n;

		if (rec == NULL)
			die("key record");
		rl = strlen(rec);
		snprintf(name, sizeof(name), "%s._domainkey." DOMAIN, sel_name[alg]);
		fprintf(kf, "%s %s\n", name, rec);
		fprintf(rf, "%s %s\n", name, rec);
		/* TXT character-strings hold 255 bytes (RFC 1035 §3.3.14). */
		n = (size_t)snprintf(line, sizeof(line), "%s. 3600 IN TXT", name);
		for (size_t off = 0; off < rl; off += 255) {
			size_t c = rl - off < 255 ? rl - off : 255;

			n += (size_t)snprintf(line + n, sizeof(line) - n, " \"%.*s\"", (int)c,
			    rec + off);
		}
		if (inkan_zone_add_text(zone, line, &why) != 0) {
			fprintf(stderr, "zone: %s: %s\n", line, why ? why : "?");
			exit(1);
		}
	}
	fclose(kf);
	fclose(rf);
}

static void
check_verdicts(const char *dir)
{
	const char *why;

	for (int alg = 0; alg < NALG; alg++)
		for (int sz = 0; sz < NSZ; sz++)
			for (size_t i = 0; i < count; i++) {
				struct msg *m = &isigned[alg][sz][i];
				enum inkan_dkim_result r;

				inkan_arena_reset(arena);
				r = inkan_verify(m, &why);
				if (r != INKAN_DKIM_PASS) {
					printf("DISAGREE inkan-signed %s %s #%zu: inkan verify %s (%s)\n",
					    alg_name[alg], sz_name[sz], i,
					    inkan_dkim_result_name(r), why);
					disagreements++;
				}
#ifdef HAVE_OPENDKIM
				{
					DKIM_STAT st;
					char buf[4096];
					struct msg om;

					if (!od_verify(m, &st)) {
						printf("DISAGREE inkan-signed %s %s #%zu: libopendkim verify "
						    "fails (stat %d: %s)\n", alg_name[alg], sz_name[sz], i,
						    (int)st, dkim_getresultstr(st));
						disagreements++;
					}
					if (!od_sign(alg, &plain[sz][i], buf, sizeof(buf))) {
						printf("DISAGREE libopendkim cannot sign %s %s #%zu\n",
						    alg_name[alg], sz_name[sz], i);
						disagreements++;
						continue;
					}
					prepend(&om, buf, &plain[sz][i]);
					if (i == 0) {
						char name[64];

						snprintf(name, sizeof(name),
						    "opendkim-signed-%s-%s.eml", alg_name[alg],
						    sz_name[sz]);
						write_file(dir, name, om.raw, om.len);
					}
					inkan_arena_reset(arena);
					r = inkan_verify(&om, &why);
					if (r != INKAN_DKIM_PASS) {
						printf("DISAGREE libopendkim-signed %s %s #%zu: inkan verify "
						    "%s (%s)\n", alg_name[alg], sz_name[sz], i,
						    inkan_dkim_result_name(r), why);
						disagreements++;
					}
					free(om.raw);
				}
#endif
			}
	printf("verdicts checked on %zu messages; disagreements: %lu\n",
	    (size_t)NALG * NSZ * count, disagreements);
	printf("@ dkim.disagree.c%s %lu\n", simple ? "-simple" : "", disagreements);
}

int
main(int argc, char **argv)
{
	const char *dir;
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc)
			min_time = atof(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--canon") == 0 && i + 1 < argc)
			simple = strcmp(argv[++i], "simple") == 0;
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else
			die("usage: dkim_bench [--min-time S] [--rounds N] [--count N] DIR RSA_KEY ED_KEY");
	}
	if (argc - i != 3 || rounds < 1 || count < 1)
		die("usage: dkim_bench [--min-time S] [--rounds N] [--count N] DIR RSA_KEY ED_KEY");
	dir = argv[i];

	if ((arena = inkan_arena_new()) == NULL)
		die("out of memory");
	for (int alg = 0; alg < NALG; alg++) {
		const char *why = NULL;
		int rc = inkan_dkim_key_load_file(argv[i + 1 + alg], INKAN_DKIM_KEY_INSECURE,
		    &ikey[alg], &why);

		if (rc != 0) {
			fprintf(stderr, "dkim_bench: %s: %s %s\n", argv[i + 1 + alg],
			    inkan_strerror(rc), why ? why : "");
			return 1;
		}
		pem[alg] = read_file(argv[i + 1 + alg], NULL);
	}
	printf("keys: %s %u bits, %s %u bits\n", inkan_dkim_key_type(ikey[ALG_RSA]),
	    inkan_dkim_key_bits(ikey[ALG_RSA]), inkan_dkim_key_type(ikey[ALG_ED]),
	    inkan_dkim_key_bits(ikey[ALG_ED]));

	if (inkan_zone_new(&zone) != 0 || inkan_resolver_zone_new(zone, &zres) != 0 ||
	    inkan_resolver_cache_new(zres, 0, &cache) != 0 || inkan_dkim_keycache_new(0, &kc) != 0)
		die("resolver setup");
	vopts.clock_skew = -1;
	vopts.keycache = kc;
	publish(dir);

#ifdef HAVE_OPENDKIM
	{
		dkim_query_t qm = DKIM_QUERY_FILE;
		char path[4096];

		snprintf(path, sizeof(path), "%s/keys.txt", dir);
		if ((odlib = dkim_init(NULL, NULL)) == NULL ||
		    dkim_options(odlib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qm, sizeof(qm)) !=
		    DKIM_STAT_OK ||
		    dkim_options(odlib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, path, strlen(path)) !=
		    DKIM_STAT_OK)
			die("libopendkim setup");
	}
#endif

	/* The corpus. */
	for (int sz = 0; sz < NSZ; sz++) {
		if ((plain[sz] = calloc(count, sizeof(struct msg))) == NULL)
			die("out of memory");
		for (size_t k = 0; k < count; k++) {
			char name[64];

			make_plain(&plain[sz][k], sz_bytes[sz], k);
			snprintf(name, sizeof(name), "plain-%s-%zu.eml", sz_name[sz], k);
			write_file(dir, name, plain[sz][k].raw, plain[sz][k].len);
		}
		for (int alg = 0; alg < NALG; alg++) {
			if ((isigned[alg][sz] = calloc(count, sizeof(struct msg))) == NULL)
				die("out of memory");
			for (size_t k = 0; k < count; k++) {
				char name[64];
				struct msg *m = &isigned[alg][sz][k];

				inkan_arena_reset(arena);
				prepend(m, inkan_sign(alg, &plain[sz][k]), &plain[sz][k]);
				snprintf(name, sizeof(name), "signed-%s-%s-%zu.eml", alg_name[alg],
				    sz_name[sz], k);
				write_file(dir, name, m->raw, m->len);
			}
		}
	}
	printf("corpus: %zu messages of %zu and %zu bytes (body lines of ~70 characters), "
	    "%s\n", count, sz_bytes[0], sz_bytes[1], simple ? "simple/simple" : "relaxed/relaxed");

	check_verdicts(dir);

	/* Timed: verify then sign, per algorithm and size.  The untimed
	 * pass above warmed the DNS cache and the key cache. */
	for (int alg = 0; alg < NALG; alg++)
		for (int sz = 0; sz < NSZ; sz++) {
			measure("inkan", "verify", alg, sz, op_inkan_verify, isigned[alg][sz]);
#ifdef HAVE_OPENDKIM
			measure("libopendkim", "verify", alg, sz, op_od_verify, isigned[alg][sz]);
#endif
		}
	for (int alg = 0; alg < NALG; alg++)
		for (int sz = 0; sz < NSZ; sz++) {
			measure("inkan", "sign", alg, sz, op_inkan_sign, plain[sz]);
#ifdef HAVE_OPENDKIM
			measure("libopendkim", "sign", alg, sz, op_od_sign, plain[sz]);
#endif
		}
	if (only == NULL || strcmp(only, "inkan") == 0) {
		if (sodium_init() < 0)
			die("sodium_init");
		crypto_sign_ed25519_keypair(sod_pk, sod_sk);
		memset(sod_msg, 0x5a, sizeof(sod_msg));
		op_sodium_sign(ALG_ED, NULL);
		measure_sodium("verify", op_sodium_verify);
		measure_sodium("sign", op_sodium_sign);
	}
	{
		unsigned long h, mi;

		inkan_dkim_keycache_stats(kc, &h, &mi);
		printf("inkan key cache: %lu hits, %lu misses\n", h, mi);
	}
#ifndef HAVE_OPENDKIM
	printf("libopendkim: not built in (libopendkim-dev missing at setup)\n");
#endif

#ifdef HAVE_OPENDKIM
	dkim_close(odlib);
#endif
	for (int sz = 0; sz < NSZ; sz++) {
		for (size_t k = 0; k < count; k++) {
			free(plain[sz][k].raw);
			for (int alg = 0; alg < NALG; alg++)
				free(isigned[alg][sz][k].raw);
		}
		free(plain[sz]);
		for (int alg = 0; alg < NALG; alg++)
			free(isigned[alg][sz]);
	}
	for (int alg = 0; alg < NALG; alg++) {
		inkan_dkim_key_free(ikey[alg]);
		free(pem[alg]);
	}
	inkan_dkim_keycache_free(kc);
	inkan_resolver_free(cache);
	inkan_resolver_free(zres);
	inkan_zone_free(zone);
	inkan_arena_free(arena);
	return 0;
}
