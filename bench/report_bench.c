/* report_bench.c - DMARC aggregate report ingestion: reports per second
 * and MB/s of XML, against libxml2's own parse of the same bytes.
 *
 * libxml2 is the limit: inkan parses reports with it (xmlCtxtReadMemory,
 * the same options), then walks the tree into a struct and stores it, so
 * inkan can approach libxml2's rate but not pass it.  Measured on one
 * core, the same corpus, the same process:
 *
 *   libxml2       xmlCtxtReadMemory + xmlFreeDoc with inkan's options
 *                 (NOBLANKS, COMPACT: see lib/report/dmarc_xml.c), nothing
 *                 else: the limit
 *   libxml2-d     the same with libxml2's default options, for reference
 *   parse         inkan_report_parse() on the XML: libxml2 + the walk into
 *                 struct inkan_dmarc_report (arena reset per report)
 *   parse-gz      the same from the gzip'd report (what arrives by mail)
 *   ingest        parse-gz + inkan_store_put_report() into a SQLite store
 *                 (WAL, one transaction per report, as `report ingest`),
 *                 a fresh store file each round
 *
 * The corpus is made here, deterministically: reports shaped like a big
 * receiver's (one <record> per source IP and result combination, two DKIM
 * results and one SPF result per record, about 650 bytes a record), in
 * the sizes a domain receives: many small reports and a few large ones.
 * With a directory argument the real samples under it (.xml, .xml.gz) are
 * measured too, as a second corpus.  The synthetic corpus is also written
 * to WORKDIR/corpus (as .xml and .xml.gz files) for report_run.sh, which
 * times `inkan report ingest` and xmllint over the same files.
 */
#include <dirent.h>
#include <libxml/parser.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inkan/arena.h"
#include "inkan/report.h"
#include "inkan/report_gen.h"
#include "inkan/store.h"

struct rep {
	char *xml, *gz;
	size_t xlen, gzlen;
	size_t records;
};

static struct rep *corpus;
static size_t count, cap;
static struct inkan_arena *arena;
static struct inkan_store *store;
static uint64_t uniq;		/* report ids made unique per store */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void
add(char *xml, size_t xlen, size_t records)
{
	struct inkan_arena *a = inkan_arena_new();
	char *gz;
	size_t gzlen;

	if (count == cap) {
		cap = cap ? cap * 2 : 64;
		if ((corpus = realloc(corpus, cap * sizeof(*corpus))) == NULL)
			die("out of memory");
	}
	if (a == NULL || inkan_report_gzip(a, xml, xlen, &gz, &gzlen) != 0)
		die("gzip");
	corpus[count].xml = xml;
	corpus[count].xlen = xlen;
	corpus[count].gz = malloc(gzlen);
	memcpy(corpus[count].gz, gz, gzlen);
	corpus[count].gzlen = gzlen;
	corpus[count].records = records;
	count++;
	inkan_arena_free(a);
}

static void
make_report(size_t n, size_t idx)
{
	static const char *const orgs[] = { "google.com", "Outlook.com", "Yahoo", "Mail.Ru",
		"comcast.net", "GMX" };
	char *p;
	size_t len;
	FILE *f = open_memstream(&p, &len);

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<feedback>\n"
	    "  <report_metadata>\n    <org_name>%s</org_name>\n"
	    "    <email>noreply-dmarc-support@%s</email>\n    <report_id>%zu%08u</report_id>\n"
	    "    <date_range>\n      <begin>1790035200</begin>\n      <end>1790121599</end>\n"
	    "    </date_range>\n  </report_metadata>\n  <policy_published>\n"
	    "    <domain>example%zu.com</domain>\n    <adkim>r</adkim>\n    <aspf>r</aspf>\n"
	    "    <p>none</p>\n    <sp>none</sp>\n    <pct>100</pct>\n  </policy_published>\n",
	    orgs[idx % 6], "reporter.example", idx, rnd(100000000), idx % 50);
	for (size_t i = 0; i < n; i++) {
		bool v6 = rnd(5) == 0, ok = rnd(10) < 8;
		char ip[64];

		if (v6)
			snprintf(ip, sizeof(ip), "2001:db8:%x::%x", rnd(65536), rnd(65536));
		else
			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", 1 + rnd(223), rnd(256), rnd(256),
			    1 + rnd(254));
		fprintf(f, "  <record>\n    <row>\n      <source_ip>%s</source_ip>\n"
		    "      <count>%u</count>\n      <policy_evaluated>\n"
		    "        <disposition>none</disposition>\n        <dkim>%s</dkim>\n"
		    "        <spf>%s</spf>\n      </policy_evaluated>\n    </row>\n"
		    "    <identifiers>\n      <header_from>example%zu.com</header_from>\n"
		    "    </identifiers>\n    <auth_results>\n      <dkim>\n"
		    "        <domain>example%zu.com</domain>\n        <result>%s</result>\n"
		    "        <selector>s%u</selector>\n      </dkim>\n      <dkim>\n"
		    "        <domain>esp%u.example</domain>\n        <result>pass</result>\n"
		    "        <selector>k1</selector>\n      </dkim>\n      <spf>\n"
		    "        <domain>bounce.example%zu.com</domain>\n"
		    "        <result>%s</result>\n      </spf>\n    </auth_results>\n"
		    "  </record>\n", ip, 1 + rnd(rnd(4) ? 5 : 5000), ok ? "pass" : "fail",
		    ok ? "pass" : "fail", idx % 50, idx % 50, ok ? "pass" : "fail", rnd(4),
		    rnd(20), idx % 50, ok ? "pass" : "softfail");
	}
	fputs("</feedback>\n", f);
	fclose(f);
	add(p, len, n);
}

static void
write_corpus(const char *dir)
{
	char path[4096];

	for (size_t k = 0; k < count; k++) {
		for (int gz = 0; gz < 2; gz++) {
			FILE *f;
			snprintf(path, sizeof(path), "%s/corpus/%s/r%04zu.xml%s", dir,
			    gz ? "gz" : "xml", k, gz ? ".gz" : "");
			if ((f = fopen(path, "wb")) == NULL)
				die("%s: cannot write", path);
			fwrite(gz ? corpus[k].gz : corpus[k].xml, 1, gz ? corpus[k].gzlen :
			    corpus[k].xlen, f);
			fclose(f);
		}
	}
}

static void
make_corpus(void)
{
	size_t idx = 0;

	/* what one busy domain receives in a day: many small reports from
	 * small receivers, some mid-sized, a few from the big ones */
	for (int i = 0; i < 150; i++)
		make_report(1 + rnd(5), idx++);
	for (int i = 0; i < 100; i++)
		make_report(20 + rnd(80), idx++);
	for (int i = 0; i < 45; i++)
		make_report(300 + rnd(400), idx++);
	for (int i = 0; i < 5; i++)
		make_report(4000 + rnd(2000), idx++);
}

static void
load_dir(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		char path[4096];

		if (nm[0] != '.' && snprintf(path, sizeof(path), "%s/%s", dir, nm) > 0) {
			FILE *f = fopen(path, "rb");
			char *buf = NULL;
			size_t len = 0, capb = 0, r;

			if (ents[i]->d_type == DT_DIR) {
				load_dir(path);
			} else if (f != NULL) {
				do {
					if (len == capb && (buf = realloc(buf, capb = capb * 2 + 65536))
					    == NULL)
						die("out of memory");
					r = fread(buf + len, 1, capb - len, f);
					len += r;
				} while (r > 0);
				/* decompress, keep only what parses as a DMARC report */
				struct inkan_arena *a = inkan_arena_new();
				struct inkan_report rep;
				const char *x;
				size_t xl;
				if (inkan_report_decompress(a, buf, len, &x, &xl, NULL) == 0 &&
				    inkan_report_parse(a, x, xl, &rep, NULL) == 0 &&
				    rep.kind == INKAN_REPORT_DMARC) {
					char *copy = malloc(xl);
					memcpy(copy, x, xl);
					add(copy, xl, rep.dmarc.nrows);
				}
				inkan_arena_free(a);
				free(buf);
			}
			if (f != NULL)
				fclose(f);
		}
		free(ents[i]);
	}
	free(ents);
}

/* ---- what is timed ---- */

/* inkan's options (lib/report/dmarc_xml.c): the limit */
#define OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | \
	XML_PARSE_NOBLANKS | XML_PARSE_COMPACT)
/* libxml2's defaults (what xmllint --noout does) */
#define OPTS_DEFAULT (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static void
libxml2(const struct rep *r, int opts)
{
	xmlParserCtxtPtr c = xmlNewParserCtxt();
	xmlDocPtr d = xmlCtxtReadMemory(c, r->xml, (int)r->xlen, "report.xml", NULL, opts);

	if (d == NULL)
		die("libxml2 refused a corpus report");
	xmlFreeDoc(d);
	xmlFreeParserCtxt(c);
}

static void
op_libxml2(const struct rep *r)
{
	libxml2(r, OPTS);
}

static void
op_libxml2_default(const struct rep *r)
{
	libxml2(r, OPTS_DEFAULT);
}

static void
op_parse(const struct rep *r)
{
	struct inkan_report rep;

	if (inkan_report_parse(arena, r->xml, r->xlen, &rep, NULL) != 0)
		die("inkan refused a corpus report");
	inkan_arena_reset(arena);
}

static void
op_parse_gz(const struct rep *r)
{
	struct inkan_report rep;

	if (inkan_report_parse(arena, r->gz, r->gzlen, &rep, NULL) != 0)
		die("inkan refused a gzip'd corpus report");
	inkan_arena_reset(arena);
}

static void
op_ingest(const struct rep *r)
{
	struct inkan_report rep;
	enum inkan_store_outcome oc;
	char id[64];

	if (inkan_report_parse(arena, r->gz, r->gzlen, &rep, NULL) != 0)
		die("inkan refused a gzip'd corpus report");
	/* each pass stores every report anew, not as a duplicate */
	snprintf(id, sizeof(id), "%s.%llu", rep.dmarc.report_id, (unsigned long long)uniq++);
	rep.dmarc.report_id = id;
	if (inkan_store_put_report(store, &rep, "bench", &oc) != 0 || oc != INKAN_STORE_STORED)
		die("store failed");
	inkan_arena_reset(arena);
}

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
	return (x > y) - (x < y);
}

static const char *store_dir;

static void
fresh_store(void)
{
	char path[4096], why[256];

	inkan_store_close(store);
	store = NULL;
	static const char *const sfx[] = { "", "-wal", "-shm" };

	for (size_t k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/bench.db%s", store_dir, sfx[k]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/bench.db", store_dir);
	if (inkan_store_open(path, &store, why, sizeof(why)) != 0)
		die("%s", why);
}

/* Median rate of rounds passes over the corpus, each round at least
 * min_time seconds. */
static double
measure(const char *name, const char *what, void (*fn)(const struct rep *), double min_time,
    int rounds, size_t n, size_t bytes, double limit)
{
	double rates[16];

	for (int r = 0; r < rounds; r++) {
		size_t done = 0;
		double t0, t;

		if (fn == op_ingest)
			fresh_store();
		t0 = now_s();
		do {
			for (size_t k = 0; k < n; k++)
				fn(&corpus[k]);
			done++;
		} while ((t = now_s() - t0) < min_time);
		rates[r] = (double)done / t;	/* corpus passes per second */
	}
	qsort(rates, (size_t)rounds, sizeof(double), cmp_double);
	double passes = rates[rounds / 2];
	double mbs = passes * (double)bytes / 1e6;
	printf("%-9s %-44s %9.0f reports/s %8.1f MB/s of XML", name, what, passes * (double)n,
	    mbs);
	if (limit > 0)
		printf("  %5.1f%% of libxml2", 100.0 * mbs / limit);
	printf("\n@ %s %.0f %.2f\n", name, passes * (double)n, mbs);
	return mbs;
}

static void
run_corpus(const char *label, size_t from, size_t to, double min_time, int rounds,
    bool ingest)
{
	size_t bytes = 0, gzbytes = 0, records = 0, n = to - from;
	struct rep *save = corpus;

	for (size_t k = from; k < to; k++) {
		bytes += corpus[k].xlen;
		gzbytes += corpus[k].gzlen;
		records += corpus[k].records;
	}
	printf("corpus %s: %zu reports, %zu records, %.1f MB of XML (%.1f MB gzip'd, mean %zu"
	    " bytes)\n", label, n, records, bytes / 1e6, gzbytes / 1e6, bytes / (n ? n : 1));
	corpus += from;
	measure("libxml2-d", "the same, libxml2's default options", op_libxml2_default,
	    min_time, rounds, n, bytes, 0);
	double lim = measure("libxml2", "xmlCtxtReadMemory + xmlFreeDoc, inkan's options",
	    op_libxml2, min_time, rounds, n, bytes, 0);
	measure("parse", "inkan_report_parse, XML -> struct", op_parse, min_time, rounds, n,
	    bytes, lim);
	measure("parse-gz", "the same from .xml.gz", op_parse_gz, min_time, rounds, n, bytes,
	    lim);
	if (ingest)
		measure("ingest", "parse .xml.gz + store in SQLite (WAL)", op_ingest, min_time,
		    rounds, n, bytes, lim);
	corpus = save;
}

int
main(int argc, char **argv)
{
	double min_time = 1.0;
	int rounds = 5, i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc)
			min_time = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (int)strtol(argv[++i], NULL, 10);
		else
			break;
	}
	if (i >= argc || i + 2 < argc || rounds < 1 || rounds > 15)
		die("usage: report_bench [--min-time S] [--rounds N] WORKDIR [SAMPLES_DIR]");
	store_dir = argv[i];
	if ((arena = inkan_arena_new()) == NULL)
		die("out of memory");
	xmlInitParser();
	make_corpus();
	size_t nsyn = count;
	{
		char p1[4096], p2[4096];
		snprintf(p1, sizeof(p1), "%s/corpus", store_dir);
		snprintf(p2, sizeof(p2), "%s/corpus/xml", store_dir);
		mkdir(p1, 0755);
		mkdir(p2, 0755);
		snprintf(p2, sizeof(p2), "%s/corpus/gz", store_dir);
		mkdir(p2, 0755);
		write_corpus(store_dir);
	}
	if (i + 1 < argc)
		load_dir(argv[i + 1]);
	run_corpus("synthetic", 0, nsyn, min_time, rounds, true);
	if (count > nsyn)
		run_corpus("samples", nsyn, count, min_time, rounds, false);
	inkan_store_close(store);
	inkan_arena_free(arena);
	return 0;
}
