/* verify_bench.c - whole-message verification per second: inkan's verify
 * session against the C peers glued the way a milter pair does it.
 *
 *   verify_bench [--min-time S] [--rounds N] [--count N] DIR
 *
 * One core, one thread, warm caches.  The corpus is made at run time and
 * written to DIR (messages, zone, key file) so that other tools can be
 * run on the same inputs:
 *   - 40 sender domains, each with an RSA-2048 DKIM key (every fourth also
 *     an Ed25519 key: dual-signed), an SPF record (an include of a shared
 *     provider record for half of them), and a DMARC record (p=reject,
 *     quarantine or none);
 *   - --count messages (default 400), sizes drawn from 1.5 to 60 KB with
 *     a median near 6 KB (bodies of text lines, a few tabs and double
 *     spaces, as mail has), 8 to 14 header fields, relaxed/relaxed;
 *   - envelopes: 85% from an address the domain's SPF authorises with a
 *     MAIL FROM in that domain, 15% spoofed (unsigned, outside the range).
 *
 *   inkan		inkan_verify_message(): SPF, DKIM, ARC (none present:
 *			the chain check is still run), DMARC tree walk, the
 *			From checks, and the Authentication-Results field;
 *			zone backend behind the TTL cache, one key cache, an
 *			arena reset per message.
 *   C peers		libopendkim (dkim_verify ... dkim_eom; keys from
 *			DKIM_QUERY_FILE, its only non-DNS way), libspf2
 *			(SPF_request_query_mailfrom over SPF_dns_zone, its
 *			in-memory DNS layer, behind SPF_dns_cache), and
 *			libopendmarc (connect_init, store_from_domain,
 *			store_spf, store_dkim per signature, store_dmarc
 *			with the record text, get_policy_to_enforce): the
 *			record is handed over instead of looked up, so the
 *			peer does no DMARC DNS at all.  The From domain is
 *			taken from the From field by a minimal parser here.
 *			No Authentication-Results text is built for them.
 *
 * Before timing, both sides evaluate every message and their DMARC
 * verdicts are compared; disagreements are printed.
 * Lines starting with "@ " carry figures for bench/verify_run.sh.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_PEERS
#include <opendkim/dkim.h>
#include <opendmarc/dmarc.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_cache.h>
#include <spf2/spf_dns_zone.h>
#endif

#include "inkan/arena.h"
#include "inkan/dkim.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/verify.h"

#define NDOM	40

static void
die(const char *why)
{
	fprintf(stderr, "verify_bench: %s\n", why);
	exit(1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

struct dom {
	char name[64];
	char spf[160];
	char dmarc[96];
	struct inkan_dkim_key *rsa, *ed;
	char *rsa_rec, *ed_rec;
};

struct msg {
	char *raw;
	size_t len;
	/* split for libopendkim: fields (no CRLF) and body */
	const char *f[32];
	size_t fn[32];
	size_t nf;
	const char *body;
	size_t blen;
	/* envelope */
	char ip[32];
	char mail_from[96];
	int dom;
	bool spoofed;
};

static struct dom doms[NDOM];
static struct msg *corpus;
static size_t count = 400;
static struct inkan_arena *arena;
static struct inkan_resolver *cache;
static struct inkan_dkim_keycache *kc;
static struct inkan_verify_opts vo;

static const char *const words[] = { "the", "mail", "report", "quarterly", "of", "and",
	"meeting", "tomorrow", "please", "find", "attached", "invoice", "numbers",
	"regards", "a", "to", "in", "is", "for", "on", "with", "delivery", "schedule" };

static char *
dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
dup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

static size_t
pick_size(void)
{
	/* log-uniform-ish between 1.5 and 60 KB, median near 6 KB */
	double u = (rnd() % 10000) / 10000.0;
	double kb = 1.5 * pow(40.0, pow(u, 1.5));
	return (size_t)(kb * 1024);
}

static void
make_body(char *b, size_t want, size_t *out)
{
	size_t n = 0, col = 0;

	while (n + 80 < want) {
		const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
		size_t wl = strlen(w);
		memcpy(b + n, w, wl);
		n += wl;
		col += wl;
		if (col > 66) {
			memcpy(b + n, "\r\n", 2);
			n += 2;
			col = 0;
			if (rnd() % 9 == 0) {
				memcpy(b + n, "\r\n", 2);
				n += 2;
			}
		} else {
			uint32_t r = rnd() % 40;
			b[n++] = r == 0 ? '\t' : ' ';
			if (r == 1)
				b[n++] = ' ';
			col++;
		}
	}
	memcpy(b + n, "\r\n", 2);
	*out = n + 2;
}

static void
split(struct msg *m)
{
	const char *p = m->raw, *end = m->raw + m->len;
	m->nf = 0;
	while (p < end && !(p[0] == '\r' && p[1] == '\n')) {
		const char *s = p;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				die("corpus message without header end");
			p = nl + 1;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
		}
		if (m->nf == 32)
			die("too many fields");
		m->f[m->nf] = s;
		m->fn[m->nf++] = (size_t)(p - s) - 2;
	}
	m->body = p + 2;
	m->blen = (size_t)(end - m->body);
}

static void
setup_dns(const char *dir)
{
	struct inkan_zone *zone;
	struct inkan_resolver *zres;
	char *why = NULL;
	FILE *zf, *kf;
	char path[4096];

	if (inkan_zone_new(&zone) != 0 || inkan_resolver_zone_new(zone, &zres) != 0 ||
	    inkan_resolver_cache_new(zres, 0, &cache) != 0 || inkan_dkim_keycache_new(0, &kc) != 0)
		die("resolver setup");
	snprintf(path, sizeof(path), "%s/verify.zone", dir);
	if ((zf = fopen(path, "w")) == NULL)
		die("cannot write the zone file");
	snprintf(path, sizeof(path), "%s/keys.txt", dir);
	if ((kf = fopen(path, "w")) == NULL)
		die("cannot write the key file");

	char *lines[8];
	size_t nl;
	for (int d = 0; d < NDOM; d++) {
		struct dom *o = &doms[d];
		nl = 0;
		lines[nl++] = dup_printf("%s. 3600 IN TXT \"%s\"", o->name, o->spf);
		lines[nl++] = dup_printf("_dmarc.%s. 3600 IN TXT \"%s\"", o->name, o->dmarc);
		lines[nl++] = dup_printf("rsa._domainkey.%s. 3600 IN TXT \"%.*s\" \"%s\"", o->name,
		    200, o->rsa_rec, strlen(o->rsa_rec) > 200 ? o->rsa_rec + 200 : "");
		fprintf(kf, "rsa._domainkey.%s %s\n", o->name, o->rsa_rec);
		if (o->ed != NULL) {
			lines[nl++] = dup_printf("ed._domainkey.%s. 3600 IN TXT \"%s\"", o->name,
			    o->ed_rec);
			fprintf(kf, "ed._domainkey.%s %s\n", o->name, o->ed_rec);
		}
		for (size_t i = 0; i < nl; i++) {
			if (inkan_zone_add_text(zone, lines[i], &why) != 0) {
				fprintf(stderr, "%s: %s\n", lines[i], why ? why : "?");
				die("zone");
			}
			fprintf(zf, "%s\n", lines[i]);
			free(lines[i]);
		}
	}
	const char *prov = "_spf.provider.example. 3600 IN TXT \"v=spf1 ip4:198.51.100.0/24 "
	    "ip4:203.0.113.128/25 ~all\"";
	if (inkan_zone_add_text(zone, prov, &why) != 0)
		die("zone");
	fprintf(zf, "%s\n", prov);
	fclose(zf);
	fclose(kf);
}

static void
make_corpus(const char *dir)
{
	char *body = malloc(70 * 1024);
	if (body == NULL || (corpus = calloc(count, sizeof(*corpus))) == NULL)
		die("out of memory");
	for (size_t k = 0; k < count; k++) {
		struct msg *m = &corpus[k];
		int d = (int)(rnd() % NDOM);
		struct dom *o = &doms[d];
		size_t blen;

		m->dom = d;
		m->spoofed = rnd() % 100 < 15;
		make_body(body, pick_size(), &blen);
		char *hdr = dup_printf(
		    "Received: from mail%zu.%s (mail.%s [192.0.2.%zu])\r\n"
		    "\tby mx.example.org (Postfix) with ESMTPS id %08zX\r\n"
		    "\tfor <rcpt@example.org>; Thu, 26 Nov 2026 01:%02zu:00 +0000\r\n"
		    "From: \"Sender %zu\" <user%zu@%s>\r\n"
		    "To: rcpt@example.org\r\n"
		    "Subject: message %zu about the %s\r\n"
		    "Date: Thu, 26 Nov 2026 01:%02zu:00 +0000\r\n"
		    "Message-ID: <%zu.%u@%s>\r\n"
		    "MIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "%s",
		    k % 3, o->name, o->name, 1 + k % 200, k * 2654435761u, k % 60, k, k, o->name,
		    k, words[k % 23], k % 60, k, rnd(), o->name,
		    k % 2 ? "List-Unsubscribe: <mailto:unsub@example.org>\r\n"
		    "X-Mailer: bench\r\n" : "");
		size_t hl = strlen(hdr);
		char *plain = malloc(hl + 2 + blen);
		if (plain == NULL)
			die("out of memory");
		memcpy(plain, hdr, hl);
		memcpy(plain + hl, "\r\n", 2);
		memcpy(plain + hl + 2, body, blen);
		size_t plen = hl + 2 + blen;
		free(hdr);

		const char *sigs = "";
		if (!m->spoofed) {
			struct inkan_dkim_key *keys[2] = { o->rsa, o->ed };
			const char *sels[2] = { "rsa", "ed" };
			struct inkan_dkim_sign_opts so = {
				.domain = o->name, .selector = "rsa", .selectors = sels,
				.hdr_canon = INKAN_DKIM_RELAXED, .body_canon = INKAN_DKIM_RELAXED,
			};
			const char *why = NULL;
			inkan_arena_reset(arena);
			if (inkan_dkim_sign_message(arena, keys, o->ed ? 2 : 1, &so, plain, plen,
			    &sigs, &why) != 0)
				die(why ? why : "sign");
		}
		size_t sl = strlen(sigs);
		m->raw = malloc(sl + plen + 1);
		if (m->raw == NULL)
			die("out of memory");
		memcpy(m->raw, sigs, sl);
		memcpy(m->raw + sl, plain, plen);
		m->len = sl + plen;
		m->raw[m->len] = '\0';
		free(plain);
		split(m);
		if (m->spoofed) {
			snprintf(m->ip, sizeof(m->ip), "203.0.113.%u", 1 + rnd() % 100);
		} else if (d % 2 == 0) {
			snprintf(m->ip, sizeof(m->ip), "192.0.2.%u", 1 + rnd() % 250);
		} else {
			snprintf(m->ip, sizeof(m->ip), "198.51.100.%u", 1 + rnd() % 250);
		}
		snprintf(m->mail_from, sizeof(m->mail_from), "bounce-%zu@%s", k, o->name);

		char path[4096];
		snprintf(path, sizeof(path), "%s/msg-%04zu.eml", dir, k);
		FILE *f = fopen(path, "wb");
		if (f == NULL)
			die("cannot write the corpus");
		fwrite(m->raw, 1, m->len, f);
		fclose(f);
	}
	/* Envelopes, for other tools: file ip mail_from */
	char path[4096];
	snprintf(path, sizeof(path), "%s/envelopes.txt", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		die("cannot write envelopes");
	for (size_t k = 0; k < count; k++)
		fprintf(f, "msg-%04zu.eml %s %s\n", k, corpus[k].ip, corpus[k].mail_from);
	fclose(f);
	free(body);
}

/* ---- inkan ---- */

static size_t dkim_pass_count;

static enum inkan_dmarc_result
inkan_one(const struct msg *m)
{
	struct inkan_verify_envelope env = { .has_ip = true, .mail_from = m->mail_from,
		.helo = "mail.example" };
	struct inkan_verify_result res;

	if (inkan_ip_parse(m->ip, strlen(m->ip), &env.ip) != 0)
		die("ip");
	inkan_arena_reset(arena);
	if (inkan_verify_message(cache, arena, &vo, &env, m->raw, m->len, &res) != 0)
		die("inkan_verify_message failed");
	dkim_pass_count += res.dkim.overall == INKAN_DKIM_PASS;
	return res.dmarc.result;
}

/* ---- C peers ---- */

#ifdef HAVE_PEERS
static DKIM_LIB *odlib;
static SPF_server_t *spf;
static OPENDMARC_LIB_T dmlib;
static bool dkim_only;		/* time libopendkim's share alone */

/* The From domain, the way a simple milter would take it. */
static void
from_domain(const struct msg *m, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < m->nf; i++) {
		if (m->fn[i] < 5 || strncasecmp(m->f[i], "From:", 5) != 0)
			continue;
		const char *at = memchr(m->f[i], '@', m->fn[i]);
		if (at == NULL)
			return;
		const char *e = at + 1, *end = m->f[i] + m->fn[i];
		while (e < end && *e != '>' && *e != ' ' && *e != '\r')
			e++;
		snprintf(out, size, "%.*s", (int)(e - at - 1), at + 1);
		return;
	}
}

static int
peers_one(const struct msg *m)
{
	DKIM_STAT st;
	DKIM *d = dkim_verify(odlib, (const u_char *)"bench", NULL, &st);
	char from[256];
	int ret;

	if (d == NULL)
		die("dkim_verify");
	for (size_t i = 0; i < m->nf && st == DKIM_STAT_OK; i++)
		st = dkim_header(d, (u_char *)(uintptr_t)m->f[i], m->fn[i]);
	if (st == DKIM_STAT_OK)
		st = dkim_eoh(d);
	if (st == DKIM_STAT_OK)
		st = dkim_body(d, (u_char *)(uintptr_t)m->body, m->blen);
	if (st == DKIM_STAT_OK || st == DKIM_STAT_NOSIG)
		(void)dkim_eom(d, NULL);
	if (dkim_only) {
		dkim_free(d);
		return 0;
	}

	SPF_request_t *req = SPF_request_new(spf);
	SPF_response_t *resp = NULL;
	SPF_request_set_ipv4_str(req, m->ip);
	SPF_request_set_env_from(req, m->mail_from);
	SPF_request_set_helo_dom(req, "mail.example");
	SPF_request_query_mailfrom(req, &resp);
	SPF_result_t sr = resp != NULL ? SPF_response_result(resp) : SPF_RESULT_NONE;

	from_domain(m, from, sizeof(from));
	struct in_addr ia;
	inet_pton(AF_INET, m->ip, &ia);
	DMARC_POLICY_T *p = opendmarc_policy_connect_init((u_char *)m->ip, 0);
	if (p == NULL)
		die("opendmarc_policy_connect_init");
	opendmarc_policy_store_from_domain(p, (u_char *)from);
	const char *mf_dom = strchr(m->mail_from, '@') + 1;
	opendmarc_policy_store_spf(p, (u_char *)mf_dom,
	    sr == SPF_RESULT_PASS ? DMARC_POLICY_SPF_OUTCOME_PASS :
	    sr == SPF_RESULT_FAIL || sr == SPF_RESULT_SOFTFAIL ? DMARC_POLICY_SPF_OUTCOME_FAIL :
	    DMARC_POLICY_SPF_OUTCOME_NONE, DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
	int nsigs = 0;
	DKIM_SIGINFO **sigs = NULL;
	if (dkim_getsiglist(d, &sigs, &nsigs) == DKIM_STAT_OK) {
		for (int i = 0; i < nsigs; i++) {
			bool pass = DKIM_SIG_CHECK(sigs[i]);
			opendmarc_policy_store_dkim(p, dkim_sig_getdomain(sigs[i]),
			    dkim_sig_getselector(sigs[i]),
			    pass ? DMARC_POLICY_DKIM_OUTCOME_PASS : DMARC_POLICY_DKIM_OUTCOME_FAIL,
			    NULL);
		}
	}
	/* The record handed over: no DNS for DMARC on this side. */
	int dm = -1;
	for (int k = 0; k < NDOM; k++)
		if (strcasecmp(doms[k].name, from) == 0)
			dm = k;
	if (dm >= 0)
		opendmarc_policy_store_dmarc(p, (u_char *)doms[dm].dmarc, (u_char *)from, NULL);
	ret = opendmarc_get_policy_to_enforce(p);
	opendmarc_policy_connect_shutdown(p);
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	dkim_free(d);
	return ret;
}

static void
setup_peers(const char *dir)
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

	SPF_dns_server_t *z = SPF_dns_zone_new(NULL, "bench", 0);
	if (z == NULL)
		die("SPF_dns_zone_new");
	for (int d = 0; d < NDOM; d++)
		if (SPF_dns_zone_add_str(z, doms[d].name, ns_t_txt, NETDB_SUCCESS, doms[d].spf) !=
		    SPF_E_SUCCESS)
			die("SPF_dns_zone_add_str");
	SPF_dns_zone_add_str(z, "_spf.provider.example", ns_t_txt, NETDB_SUCCESS,
	    "v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.128/25 ~all");
	SPF_dns_server_t *c = SPF_dns_cache_new(z, "cache", 0, 8);
	if (c == NULL || (spf = SPF_server_new_dns(c, 0)) == NULL)
		die("libspf2 setup");

	memset(&dmlib, 0, sizeof(dmlib));
	dmlib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	snprintf((char *)dmlib.tld_source_file, sizeof(dmlib.tld_source_file), "%s",
	    "/usr/share/publicsuffix/public_suffix_list.dat");
	if (opendmarc_policy_library_init(&dmlib) != DMARC_PARSE_OKAY)
		die("libopendmarc setup");
}
#endif

/* ---- timing ---- */

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
measure(const char *who, void (*fn)(const struct msg *), double min_time, int rounds)
{
	double rates[16];
	for (int r = 0; r < rounds; r++) {
		size_t done = 0;
		double t0 = now_s(), t;
		do {
			for (size_t k = 0; k < count; k++)
				fn(&corpus[k]);
			done += count;
		} while ((t = now_s() - t0) < min_time);
		rates[r] = (double)done / t;
	}
	qsort(rates, (size_t)rounds, sizeof(double), cmp_double);
	printf("%-10s %10.0f messages/s (median of %d rounds)\n", who, rates[rounds / 2], rounds);
	printf("@ %s %.0f\n", who, rates[rounds / 2]);
	return rates[rounds / 2];
}

static void
op_inkan(const struct msg *m)
{
	(void)inkan_one(m);
}

#ifdef HAVE_PEERS
static void
op_peers(const struct msg *m)
{
	(void)peers_one(m);
}
#endif

int
main(int argc, char **argv)
{
	double min_time = 1.0;
	int rounds = 3, i = 1;
	const char *only = NULL;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc)
			min_time = atof(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else
			break;
	}
	if (i + 1 != argc || rounds < 1 || rounds > 15 || count < 1 || count > 100000)
		die("usage: verify_bench [--min-time S] [--rounds N] [--count N] [--only WHO] DIR");
	const char *dir = argv[i];

	if ((arena = inkan_arena_new()) == NULL)
		die("out of memory");
	static const char *const pol[] = { "reject", "quarantine", "none" };
	for (int d = 0; d < NDOM; d++) {
		struct dom *o = &doms[d];
		snprintf(o->name, sizeof(o->name), "sender%02d.example", d);
		if (d % 2 == 0)
			snprintf(o->spf, sizeof(o->spf), "v=spf1 ip4:192.0.2.0/24 mx:%s -all", o->name);
		else
			snprintf(o->spf, sizeof(o->spf), "v=spf1 include:_spf.provider.example -all");
		snprintf(o->dmarc, sizeof(o->dmarc), "v=DMARC1; p=%s; rua=mailto:dmarc@%s",
		    pol[d % 3], o->name);
		if (inkan_dkim_key_generate("rsa", 2048, &o->rsa) != 0)
			die("keygen");
		o->rsa_rec = strdup(inkan_dkim_key_record(o->rsa, arena));
		if (d % 4 == 0) {
			if (inkan_dkim_key_generate("ed25519", 0, &o->ed) != 0)
				die("keygen");
			o->ed_rec = strdup(inkan_dkim_key_record(o->ed, arena));
		}
	}
	setup_dns(dir);
	make_corpus(dir);
	vo.authserv_id = "mx.example.org";
	vo.keycache = kc;

	size_t bytes = 0;
	for (size_t k = 0; k < count; k++)
		bytes += corpus[k].len;
	printf("corpus: %zu messages, %zu bytes (mean %zu), %d domains\n", count, bytes,
	    bytes / count, NDOM);

#ifdef HAVE_PEERS
	setup_peers(dir);
#endif
	/* Verdicts (also warms every cache). */
	size_t pass = 0, dis = 0;
	for (size_t k = 0; k < count; k++) {
		enum inkan_dmarc_result r = inkan_one(&corpus[k]);
		pass += r == INKAN_DMARC_PASS;
#ifdef HAVE_PEERS
		int p = peers_one(&corpus[k]);
		bool ppass = p == DMARC_POLICY_PASS;
		if (ppass != (r == INKAN_DMARC_PASS)) {
			if (dis++ < 10)
				printf("DISAGREE msg-%04zu.eml: inkan dmarc=%s, OpenDMARC %d\n", k,
				    inkan_dmarc_result_name(r), p);
		}
#endif
		if (corpus[k].spoofed == (r == INKAN_DMARC_PASS))
			printf("UNEXPECTED msg-%04zu.eml: spoofed=%d dmarc=%s\n", k,
			    corpus[k].spoofed, inkan_dmarc_result_name(r));
	}
	size_t nsigned = 0;
	for (size_t k = 0; k < count; k++)
		nsigned += !corpus[k].spoofed;
	printf("inkan dmarc pass: %zu of %zu; dkim pass: %zu of %zu signed; disagreements with "
	    "the C peers: %zu\n", pass, count, dkim_pass_count, nsigned, dis);
	if (dkim_pass_count != nsigned)
		die("a signed message did not pass DKIM: the figures would not mean anything");
	printf("@ disagreements %zu\n", dis);

	double a = 0, b = 0;
	if (only == NULL || strcmp(only, "inkan") == 0)
		a = measure("inkan", op_inkan, min_time, rounds);
#ifdef HAVE_PEERS
	if (only == NULL || strcmp(only, "peers") == 0)
		b = measure("C-peers", op_peers, min_time, rounds);
#endif
#ifdef HAVE_PEERS
	if (only == NULL || strcmp(only, "peers") == 0) {
		dkim_only = true;
		measure("libopendkim-alone", op_peers, min_time, rounds);
		dkim_only = false;
	}
#endif
	if (a > 0 && b > 0) {
		printf("ratio inkan / (libopendkim+libspf2+libopendmarc): %.2fx (goal >= 3x) %s\n",
		    a / b, a / b >= 3 ? "met" : "MISSED");
		printf("@ ratio %.2f\n", a / b);
	}
	return 0;
}
