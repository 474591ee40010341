/* spf_bench.c - SPF checks per second: inkan against libspf2.
 *
 *   spf_bench warm [OPTIONS] ZONE CHECKS
 *	Warm cache, one thread.  inkan: the zone backend loaded from ZONE,
 *	the TTL cache in front of it, one untimed pass to fill the cache,
 *	then timed passes of inkan_spf_check() with one arena reset per
 *	check.  libspf2: SPF_dns_zone (its in-memory DNS layer, its
 *	warm-cache equivalent) filled from the same ZONE, then timed passes
 *	of SPF_request_query_mailfrom().  The verdicts of the untimed passes
 *	are compared and every disagreement is printed.
 *   spf_bench cold [OPTIONS] CHECKS
 *	libspf2 through its resolver layer (SPF_DNS_RESOLV, no cache), one
 *	check after the other, against the name server given by --ns.
 *
 * Options:
 *   --min-time S	each timed round lasts at least S seconds (default 1)
 *   --rounds N		rounds per implementation, the median is reported (5)
 *   --only inkan|libspf2  measure one side only (for perf record)
 *   --no-received	inkan: time only the check, not also check + the
 *			Received-SPF field (libspf2 always builds its own
 *			Received-SPF, so the main figure includes it)
 *   --direct		inkan: also time the zone backend without the cache
 *   --verdicts FILE	write "LINE INKAN LIBSPF2" per check (for pyspf_bench)
 *   --ns ADDR@PORT	cold: the name server libspf2 asks (IPv4)
 *
 * libspf2 asks the system resolver, which reads /etc/resolv.conf and only
 * knows port 53.  libspf2's resolver layer calls res_ninit() on a private
 * per-thread state, so the state cannot be set from outside; instead this
 * program defines __res_ninit (what <resolv.h> maps res_ninit to), which
 * the dynamic linker binds libspf2's call to since the executable is
 * linked with --export-dynamic.  It calls glibc's and then points the
 * state at --ns; glibc honours a name server list changed by the
 * application (resolv_conf.c: the state no longer matches the file, so
 * the state's own list is used).  Without --ns it changes nothing.
 *
 * Lines starting with "@ " carry figures for bench/run.sh.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <dlfcn.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_resolv.h>
#include <spf2/spf_dns_zone.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/spf.h"

#define RECEIVER "bench.receiver.example"
#define FIXED_NOW 1700000000	/* %{t}: the same on every run */

struct check {
	unsigned lineno;
	char *ip, *sender, *helo;	/* sender "" = null reverse-path */
	int v_inkan, v_spf2;		/* inkan_spf_verdict values, -1 = not run */
	const char *why_inkan;		/* mechanism or problem, for disagreements */
	char why_spf2[160];
};

struct opts {
	double min_time;
	int rounds;
	bool inkan, spf2;
	bool received;
	bool direct;
	const char *verdicts;
	const char *ns;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "spf_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* A number in [lo, hi] from the command line, or exit. */
static double
num_arg(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		die("%s: want a number from %g to %g, not '%s'", opt, lo, hi, s);
	return v;
}

static struct check *
read_checks(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, len = 0, alloc = 0;
	unsigned lineno = 0;
	struct check *c = NULL;

	if (f == NULL)
		die("%s: cannot open", path);
	while (getline(&line, &cap, f) >= 0) {
		char *save = NULL, *w[3] = { 0 };
		char *p;
		int nw = 0;

		lineno++;
		for (p = strtok_r(line, " \t\r\n", &save); p != NULL && nw < 3;
		    p = strtok_r(NULL, " \t\r\n", &save))
			w[nw++] = p;
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (nw < 2)
			die("%s: a line with fewer than 2 words", path);
		if (len == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((c = realloc(c, alloc * sizeof(*c))) == NULL)
				die("%s: out of memory", path);
		}
		memset(&c[len], 0, sizeof(c[len]));
		c[len].lineno = lineno;
		c[len].ip = strdup(w[0]);
		c[len].sender = strdup(strcmp(w[1], "<>") == 0 ? "" : w[1]);
		c[len].helo = strdup(w[2] != NULL ? w[2] : "");
		c[len].v_inkan = c[len].v_spf2 = -1;
		len++;
	}
	free(line);
	fclose(f);
	*n = len;
	return c;
}

/* ---------------- inkan ---------------- */

struct inkan_side {
	struct inkan_zone *zone;
	struct inkan_resolver *zr, *cache;
	struct inkan_arena *a;
};

static int
inkan_one(struct inkan_resolver *r, struct inkan_arena *a, const struct check *c, bool received,
    struct inkan_spf_result *res)
{
	struct inkan_spf_query q;
	int rc;

	memset(&q, 0, sizeof(q));
	inkan_arena_reset(a);
	if (inkan_ip_parse(c->ip, strlen(c->ip), &q.ip) != 0)
		return INKAN_EMALFORMED;
	q.sender = c->sender[0] != '\0' ? c->sender : NULL;
	q.helo = c->helo;
	q.scope = INKAN_SPF_SCOPE_MFROM;
	q.receiver = RECEIVER;
	q.now = FIXED_NOW;
	rc = inkan_spf_check(r, a, &q, res);
	if (rc == 0 && received && inkan_spf_received(a, &q, res) == NULL)
		rc = INKAN_ENOMEM;
	return rc;
}

static void
inkan_setup(struct inkan_side *s, const char *zonefile)
{
	char *why = NULL;

	if (inkan_zone_new(&s->zone) != 0)
		die("%s", "inkan_zone_new failed");
	if (inkan_zone_load_file(s->zone, zonefile, NULL, &why) != 0)
		die("inkan zone load: %s", why ? why : zonefile);
	if (inkan_resolver_zone_new(s->zone, &s->zr) != 0 ||
	    inkan_resolver_cache_new(s->zr, 0, &s->cache) != 0 ||
	    (s->a = inkan_arena_new()) == NULL)
		die("%s", "inkan setup failed");
}

/* The untimed pass: fills the cache and records the verdicts. */
static void
inkan_warm(struct inkan_side *s, struct check *c, size_t n, const struct opts *o)
{
	unsigned long queries = 0;

	for (size_t i = 0; i < n; i++) {
		struct inkan_spf_result res;
		int rc = inkan_one(s->cache, s->a, &c[i], true, &res);

		if (rc != 0) {
			fprintf(stderr, "spf_bench: inkan line %u: %s\n", c[i].lineno,
			    inkan_strerror(rc));
			continue;
		}
		c[i].v_inkan = (int)res.result;
		/* The strings live in the arena, which the next check resets. */
		c[i].why_inkan = strdup(res.mechanism != NULL ? res.mechanism :
		    res.problem != NULL ? res.problem : "-");
		queries += res.dns_queries;
	}
	printf("inkan: %.2f DNS queries per check (from the results)\n", (double)queries / (double)n);
}

/* noinline: a symbol for callgrind --toggle-collect and perf. */
static __attribute__((noinline)) double
inkan_round(struct inkan_resolver *r, struct inkan_arena *a, const struct check *c, size_t n,
    const struct opts *o, bool received)
{
	size_t done = 0;
	double t0 = now_s(), el;

	do {
		for (size_t i = 0; i < n; i++) {
			struct inkan_spf_result res;

			(void)inkan_one(r, a, &c[i], received, &res);
		}
		done += n;
	} while ((el = now_s() - t0) < o->min_time);
	return (double)done / el;
}

/* ---------------- libspf2 ---------------- */

/* Owner name without the trailing dot (SPF_dns_zone compares names
 * literally, after stripping the dot from the query). */
static char *
owner_text(const ldns_rr *rr)
{
	char *s = ldns_rdf2str(ldns_rr_owner(rr));
	size_t len = s != NULL ? strlen(s) : 0;

	if (len > 1 && s[len - 1] == '.')
		s[len - 1] = '\0';
	return s;
}

static char *
txt_text(const ldns_rr *rr)
{
	size_t total = 0, off = 0;
	char *out;

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if ((out = malloc(total + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const uint8_t *d = ldns_rdf_data(ldns_rr_rdf(rr, i));
		size_t l = ldns_rdf_size(ldns_rr_rdf(rr, i));

		/* An rdf of type STR is one length octet and the bytes. */
		if (l > 0) {
			memcpy(out + off, d + 1, l - 1);
			off += l - 1;
		}
	}
	out[off] = '\0';
	return out;
}

/* A name list for the NO_DATA entries of type SPF. */
struct names {
	char **v;
	size_t n, cap;
};

static void
names_add(struct names *nl, const char *s)
{
	for (size_t i = 0; i < nl->n; i++)
		if (strcasecmp(nl->v[i], s) == 0)
			return;
	if (nl->n == nl->cap) {
		nl->cap = nl->cap ? nl->cap * 2 : 256;
		if ((nl->v = realloc(nl->v, nl->cap * sizeof(*nl->v))) == NULL)
			die("%s", "out of memory");
	}
	nl->v[nl->n++] = strdup(s);
}

/* Fill a libspf2 zone layer from a master file.  Upstream libspf2 asks
 * for type SPF (99) first and for TXT only after NO_DATA (spf_server.c,
 * SPF_server_get_record), and its zone layer answers HOST_NOT_FOUND for
 * anything absent, which would end the check with "none"; so every name
 * with TXT records gets a NO_DATA entry for type SPF, which is what a
 * real name server answers.  (Debian's build asks for TXT only: strace of
 * the cold run shows 4 queries per check, TXT TXT MX A.) */
static SPF_dns_server_t *
spf2_zone(const char *path, size_t *nrecords)
{
	SPF_dns_server_t *dns = SPF_dns_zone_new(NULL, "bench", 0);
	FILE *f = fopen(path, "r");
	ldns_zone *z = NULL;
	ldns_rdf *origin = ldns_dname_new_frm_str("bench.");
	int line = 0;
	ldns_status st;
	struct names txtnames = { 0 };

	if (dns == NULL || f == NULL)
		die("%s: cannot open", path);
	st = ldns_zone_new_frm_fp_l(&z, f, origin, 3600, LDNS_RR_CLASS_IN, &line);
	fclose(f);
	ldns_rdf_deep_free(origin);
	if (st != LDNS_STATUS_OK)
		die("ldns: %s", ldns_get_errorstr_by_id(st));
	*nrecords = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_zone_rrs(z)); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_zone_rrs(z), i);
		char *owner = owner_text(rr), *data = NULL;
		ns_type t;

		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_A:
			t = ns_t_a;
			data = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			break;
		case LDNS_RR_TYPE_AAAA:
			t = ns_t_aaaa;
			data = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			break;
		case LDNS_RR_TYPE_MX: {
			char *pref = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			char *ex = ldns_rdf2str(ldns_rr_rdf(rr, 1));
			size_t l = strlen(ex);

			if (l > 1 && ex[l - 1] == '.')
				ex[l - 1] = '\0';
			t = ns_t_mx;
			if ((data = malloc(strlen(pref) + l + 2)) != NULL)
				snprintf(data, strlen(pref) + l + 2, "%s %s", pref, ex);
			free(pref);
			free(ex);
			break;
		}
		case LDNS_RR_TYPE_PTR: {
			size_t l;

			t = ns_t_ptr;
			data = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			l = strlen(data);
			if (l > 1 && data[l - 1] == '.')
				data[l - 1] = '\0';
			break;
		}
		case LDNS_RR_TYPE_TXT:
			t = ns_t_txt;
			data = txt_text(rr);
			names_add(&txtnames, owner);
			break;
		case LDNS_RR_TYPE_NS:
		case LDNS_RR_TYPE_SOA:
			free(owner);
			continue;
		default:
			/* SPF_dns_zone has no CNAME; the data has none. */
			die("libspf2 zone: unsupported type in %s", owner);
		}
		if (data == NULL)
			die("%s", "out of memory");
		if (SPF_dns_zone_add_str(dns, owner, t, NETDB_SUCCESS, data) != SPF_E_SUCCESS)
			die("libspf2 zone: cannot add a record at %s", owner);
		(*nrecords)++;
		free(owner);
		free(data);
	}
	for (size_t i = 0; i < txtnames.n; i++) {
		if (SPF_dns_zone_add_str(dns, txtnames.v[i], ns_t_spf, NO_DATA, NULL) !=
		    SPF_E_SUCCESS)
			die("libspf2 zone: cannot add NO_DATA at %s", txtnames.v[i]);
		free(txtnames.v[i]);
	}
	free(txtnames.v);
	ldns_zone_deep_free(z);
	return dns;
}

static SPF_result_t
spf2_one(SPF_server_t *srv, const struct check *c, char *why, size_t whylen)
{
	SPF_request_t *req = SPF_request_new(srv);
	SPF_response_t *resp = NULL;
	SPF_result_t r;

	if (req == NULL)
		die("%s", "SPF_request_new failed");
	if (strchr(c->ip, ':') != NULL)
		SPF_request_set_ipv6_str(req, c->ip);
	else
		SPF_request_set_ipv4_str(req, c->ip);
	/* HELO first: an empty MAIL FROM makes libspf2 use postmaster@HELO. */
	SPF_request_set_helo_dom(req, c->helo);
	SPF_request_set_env_from(req, c->sender);
	SPF_request_query_mailfrom(req, &resp);
	r = resp != NULL ? SPF_response_result(resp) : SPF_RESULT_INVALID;
	if (why != NULL && resp != NULL) {
		const char *m = NULL;

		if (SPF_response_messages(resp) > 0)
			m = SPF_error_message(SPF_response_message(resp, 0));
		snprintf(why, whylen, "%s", m != NULL ? m :
		    SPF_response_get_header_comment(resp) != NULL ?
		    SPF_response_get_header_comment(resp) : "-");
	}
	SPF_response_free(resp);
	SPF_request_free(req);
	return r;
}

static int
spf2_verdict(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL:	return INKAN_SPF_NEUTRAL;
	case SPF_RESULT_PASS:		return INKAN_SPF_PASS;
	case SPF_RESULT_FAIL:		return INKAN_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL:	return INKAN_SPF_SOFTFAIL;
	case SPF_RESULT_NONE:		return INKAN_SPF_NONE;
	case SPF_RESULT_TEMPERROR:	return INKAN_SPF_TEMPERROR;
	case SPF_RESULT_PERMERROR:	return INKAN_SPF_PERMERROR;
	default:			return -1;
	}
}

/* noinline: a symbol for callgrind --toggle-collect and perf. */
static __attribute__((noinline)) double
spf2_round(SPF_server_t *srv, const struct check *c, size_t n, const struct opts *o)
{
	size_t done = 0;
	double t0 = now_s(), el;

	do {
		for (size_t i = 0; i < n; i++)
			(void)spf2_one(srv, &c[i], NULL, 0);
		done += n;
	} while ((el = now_s() - t0) < o->min_time);
	return (double)done / el;
}

/* ---------------- the resolver hook for cold libspf2 ---------------- */

static struct sockaddr_in bench_ns;
static bool bench_ns_set;

int
__res_ninit(res_state statp)
{
	static int (*real)(res_state);
	int rc;

	if (real == NULL) {
		*(void **)&real = dlsym(RTLD_NEXT, "__res_ninit");
		if (real == NULL) {
			fprintf(stderr, "spf_bench: dlsym(__res_ninit): %s\n", dlerror());
			abort();
		}
	}
	rc = real(statp);
	if (rc == 0 && bench_ns_set) {
		statp->nscount = 1;
		statp->nsaddr_list[0] = bench_ns;
		statp->retry = 1;
		statp->retrans = 2;
	}
	return rc;
}

static void
set_ns(const char *spec)
{
	char host[64];
	const char *at = strchr(spec, '@');
	size_t hl = at != NULL ? (size_t)(at - spec) : strlen(spec);

	if (hl >= sizeof(host))
		die("--ns %s: too long", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&bench_ns, 0, sizeof(bench_ns));
	bench_ns.sin_family = AF_INET;
	bench_ns.sin_port = htons(at != NULL ? (uint16_t)num_arg("--ns", at + 1, 1, 65535) : 53);
	if (inet_pton(AF_INET, host, &bench_ns.sin_addr) != 1)
		die("--ns %s: not an IPv4 address", spec);
	bench_ns_set = true;
}

/* ---------------- main ---------------- */

static void
histogram(const char *who, const struct check *c, size_t n, bool spf2)
{
	unsigned h[INKAN_SPF_PERMERROR + 2] = { 0 };

	for (size_t i = 0; i < n; i++) {
		int v = spf2 ? c[i].v_spf2 : c[i].v_inkan;

		h[v < 0 ? INKAN_SPF_PERMERROR + 1 : v]++;
	}
	printf("%s verdicts:", who);
	for (int v = 0; v <= INKAN_SPF_PERMERROR; v++)
		if (h[v] > 0)
			printf(" %s=%u", inkan_spf_verdict_name((enum inkan_spf_verdict)v), h[v]);
	if (h[INKAN_SPF_PERMERROR + 1] > 0)
		printf(" error=%u", h[INKAN_SPF_PERMERROR + 1]);
	putchar('\n');
}

static void
usage(void)
{
	fputs("usage: spf_bench warm [--min-time S] [--rounds N] [--only inkan|libspf2]\n"
	    "                      [--no-received] [--direct] [--verdicts FILE] ZONE CHECKS\n"
	    "       spf_bench cold --ns ADDR@PORT CHECKS\n", stderr);
	exit(64);
}

static int
parse_opts(int argc, char **argv, struct opts *o, char **pos, int maxpos)
{
	int np = 0;

	o->min_time = 1.0;
	o->rounds = 5;
	o->inkan = o->spf2 = true;
	o->received = true;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--min-time") == 0 && i + 1 < argc)
			o->min_time = num_arg(a, argv[++i], 0, 3600);
		else if (strcmp(a, "--rounds") == 0 && i + 1 < argc)
			o->rounds = (int)num_arg(a, argv[++i], 1, 99);
		else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
			const char *w = argv[++i];

			o->inkan = strcmp(w, "inkan") == 0;
			o->spf2 = strcmp(w, "libspf2") == 0;
			if (!o->inkan && !o->spf2)
				usage();
		} else if (strcmp(a, "--no-received") == 0)
			o->received = false;
		else if (strcmp(a, "--direct") == 0)
			o->direct = true;
		else if (strcmp(a, "--verdicts") == 0 && i + 1 < argc)
			o->verdicts = argv[++i];
		else if (strcmp(a, "--ns") == 0 && i + 1 < argc)
			o->ns = argv[++i];
		else if (a[0] == '-' && a[1] != '\0')
			usage();
		else if (np < maxpos)
			pos[np++] = argv[i];
		else
			usage();
	}
	return np;
}

static int
cmd_warm(int argc, char **argv)
{
	struct opts o;
	char *pos[2];
	size_t n, nrec = 0;
	struct check *c;
	struct inkan_side ik = { 0 };
	SPF_server_t *srv = NULL;
	SPF_dns_server_t *sdns = NULL;
	double r_ik[99], r_sp[99], r_dir[99], r_only[99], m_ik = 0, m_sp = 0;
	unsigned dis = 0;

	memset(&o, 0, sizeof(o));
	if (parse_opts(argc, argv, &o, pos, 2) != 2)
		usage();
	c = read_checks(pos[1], &n);
	if (n == 0)
		die("%s: no checks", pos[1]);
	printf("checks: %zu from %s; zone %s\n", n, pos[1], pos[0]);

	inkan_setup(&ik, pos[0]);
	printf("inkan: %zu records loaded\n", inkan_zone_count(ik.zone));
	inkan_warm(&ik, c, n, &o);
	if (o.spf2) {
		sdns = spf2_zone(pos[0], &nrec);
		if ((srv = SPF_server_new_dns(sdns, 0)) == NULL)
			die("%s", "SPF_server_new_dns failed");
		SPF_server_set_rec_dom(srv, RECEIVER);
		printf("libspf2 %d.%d.%d: %zu records loaded\n", SPF_LIB_VERSION_MAJOR,
		    SPF_LIB_VERSION_MINOR, SPF_LIB_VERSION_PATCH, nrec);
		for (size_t i = 0; i < n; i++)
			c[i].v_spf2 = spf2_verdict(spf2_one(srv, &c[i], c[i].why_spf2,
			    sizeof(c[i].why_spf2)));
	}
	histogram("inkan  ", c, n, false);
	if (o.spf2) {
		histogram("libspf2", c, n, true);
		for (size_t i = 0; i < n; i++) {
			if (c[i].v_inkan == c[i].v_spf2)
				continue;
			if (dis++ < 20)
				printf("  line %u: %s %s %s: inkan=%s (%s) libspf2=%s (%s)\n",
				    c[i].lineno, c[i].ip, c[i].sender[0] ? c[i].sender : "<>",
				    c[i].helo, c[i].v_inkan < 0 ? "error" :
				    inkan_spf_verdict_name((enum inkan_spf_verdict)c[i].v_inkan),
				    c[i].why_inkan ? c[i].why_inkan : "",
				    c[i].v_spf2 < 0 ? "error" :
				    inkan_spf_verdict_name((enum inkan_spf_verdict)c[i].v_spf2),
				    c[i].why_spf2);
		}
		printf("inkan vs libspf2: %u disagreements in %zu checks\n", dis, n);
		printf("@ warm.disagree.inkan_libspf2 %u\n", dis);
	}
	if (o.verdicts != NULL) {
		FILE *f = fopen(o.verdicts, "w");

		if (f == NULL)
			die("%s: cannot write", o.verdicts);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%u %s %s\n", c[i].lineno, c[i].v_inkan < 0 ? "error" :
			    inkan_spf_verdict_name((enum inkan_spf_verdict)c[i].v_inkan),
			    c[i].v_spf2 < 0 ? "error" :
			    inkan_spf_verdict_name((enum inkan_spf_verdict)c[i].v_spf2));
		fclose(f);
	}
	fflush(stdout);

	/* Rounds alternate between the two so that a change in machine load
	 * hits both alike. */
	for (int r = 0; r < o.rounds; r++) {
		if (o.inkan && o.received)
			r_ik[r] = inkan_round(ik.cache, ik.a, c, n, &o, true);
		if (o.spf2)
			r_sp[r] = spf2_round(srv, c, n, &o);
		if (o.inkan)
			r_only[r] = inkan_round(ik.cache, ik.a, c, n, &o, false);
		if (o.direct)
			r_dir[r] = inkan_round(ik.zr, ik.a, c, n, &o, false);
	}
	if (o.inkan) {
		struct inkan_cache_stats st;

		inkan_cache_get_stats(ik.cache, &st);
		printf("inkan cache: %lu entries, %lu hits, %lu misses\n", st.entries, st.hits,
		    st.misses);
		if (o.received) {
			printf("inkan (check + Received-SPF): ");
			for (int r = 0; r < o.rounds; r++)
				printf("%.0f ", r_ik[r]);
			m_ik = median(r_ik, o.rounds);
			printf("-> median %.0f checks/s\n", m_ik);
			printf("@ warm.inkan.cps %.0f\n", m_ik);
		}
		printf("inkan (check only): ");
		for (int r = 0; r < o.rounds; r++)
			printf("%.0f ", r_only[r]);
		printf("-> median %.0f checks/s\n", median(r_only, o.rounds));
		printf("@ warm.inkan_check_only.cps %.0f\n", median(r_only, o.rounds));
	}
	if (o.direct) {
		double m = median(r_dir, o.rounds);

		printf("inkan without the cache (zone backend direct): median %.0f checks/s\n", m);
		printf("@ warm.inkan_direct.cps %.0f\n", m);
	}
	if (o.spf2) {
		printf("libspf2 (check + Received-SPF): ");
		for (int r = 0; r < o.rounds; r++)
			printf("%.0f ", r_sp[r]);
		m_sp = median(r_sp, o.rounds);
		printf("-> median %.0f checks/s\n", m_sp);
		printf("@ warm.libspf2.cps %.0f\n", m_sp);
	}
	if (o.inkan && o.received && o.spf2)
		printf("inkan / libspf2 = %.2f\n", m_ik / m_sp);

	/* SPF_server_free also frees its DNS layer. */
	if (srv != NULL)
		SPF_server_free(srv);
	inkan_arena_free(ik.a);
	inkan_resolver_free(ik.cache);
	inkan_resolver_free(ik.zr);
	inkan_zone_free(ik.zone);
	for (size_t i = 0; i < n; i++) {
		free(c[i].ip);
		free(c[i].sender);
		free(c[i].helo);
		free((char *)c[i].why_inkan);
	}
	free(c);
	return 0;
}

static int
cmd_cold(int argc, char **argv)
{
	struct opts o;
	char *pos[1];
	size_t n;
	struct check *c;
	SPF_server_t *srv;
	double t0, el;
	unsigned h[INKAN_SPF_PERMERROR + 2] = { 0 };

	memset(&o, 0, sizeof(o));
	if (parse_opts(argc, argv, &o, pos, 1) != 1 || o.ns == NULL)
		usage();
	set_ns(o.ns);
	c = read_checks(pos[0], &n);
	/* SPF_DNS_RESOLV: the resolver layer alone, no libspf2 cache. */
	if ((srv = SPF_server_new(SPF_DNS_RESOLV, 0)) == NULL)
		die("%s", "SPF_server_new failed");
	SPF_server_set_rec_dom(srv, RECEIVER);
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		int v = spf2_verdict(spf2_one(srv, &c[i], NULL, 0));

		h[v < 0 ? INKAN_SPF_PERMERROR + 1 : v]++;
	}
	el = now_s() - t0;
	printf("libspf2 cold: %zu checks in %.3f s = %.0f checks/s;", n, el, (double)n / el);
	for (int v = 0; v <= INKAN_SPF_PERMERROR; v++)
		if (h[v] > 0)
			printf(" %s=%u", inkan_spf_verdict_name((enum inkan_spf_verdict)v), h[v]);
	if (h[INKAN_SPF_PERMERROR + 1] > 0)
		printf(" error=%u", h[INKAN_SPF_PERMERROR + 1]);
	putchar('\n');
	printf("@ cold.libspf2.cps %.0f\n", (double)n / el);
	SPF_server_free(srv);
	for (size_t i = 0; i < n; i++) {
		free(c[i].ip);
		free(c[i].sender);
		free(c[i].helo);
	}
	free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "warm") == 0)
		return cmd_warm(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "cold") == 0)
		return cmd_cold(argc, argv);
	usage();
	return 64;
}
