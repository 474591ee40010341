/* wire_bench.c - the stub resolver's packet reader (lib/dns/wire.c)
 * against the ldns way it replaced (ldns_wire2pkt + walking ldns_rr
 * lists), on the same packets in the same run: answers per second of
 * each and the ratio.
 *
 * usage: wire_bench FILE...  (corpus files of fuzz_dns_wire: 2 octets of
 * qtype, then an answer packet; tests/fuzz/corpus/dns_wire/real-* are
 * NSD's answers to the survey's questions).  Each round reads every
 * packet once, arena reset per packet as the stub does; rounds go on for
 * BENCH_MIN_TIME seconds (default 1), best of BENCH_ROUNDS (default 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "../lib/dns/wire.h"

struct pkt {
	uint16_t qtype;
	size_t len;
	uint8_t *b;
};

typedef int (*reader)(struct inkan_arena *, const char *, uint16_t, const uint8_t *, size_t,
    struct inkan_dns_answer *);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
rate(reader fn, const struct pkt *p, size_t n, double min_time, int rounds)
{
	struct inkan_arena *a = inkan_arena_new();
	double best = 0;

	for (int r = 0; r < rounds; r++) {
		double t0 = now(), t;
		unsigned long done = 0;

		do {
			for (size_t i = 0; i < n; i++) {
				struct inkan_dns_answer ans;

				if (fn(a, "bench.example", p[i].qtype, p[i].b, p[i].len, &ans) != 0)
					abort();
				inkan_arena_reset(a);
			}
			done += n;
			t = now() - t0;
		} while (t < min_time);
		if (done / t > best)
			best = done / t;
	}
	inkan_arena_free(a);
	return best;
}

int
main(int argc, char **argv)
{
	struct pkt *p = calloc((size_t)argc, sizeof(*p));
	size_t n = 0, bytes = 0;
	const char *e;
	double min_time = (e = getenv("BENCH_MIN_TIME")) != NULL ? atof(e) : 1.0;
	int rounds = (e = getenv("BENCH_ROUNDS")) != NULL ? atoi(e) : 5;
	double rn, ro;

	if (p == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t buf[65536 + 2];
		size_t len;

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (len < 14)
			continue;
		p[n].qtype = (uint16_t)(buf[0] << 8 | buf[1]);
		p[n].len = len - 2;
		if ((p[n].b = malloc(len - 2)) == NULL)
			return 1;
		memcpy(p[n].b, buf + 2, len - 2);
		bytes += len - 2;
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "usage: wire_bench FILE...\n");
		return 2;
	}
	rn = rate(inkan__wire_answer, p, n, min_time, rounds);
	ro = rate(inkan__wire_answer_ldns, p, n, min_time, rounds);
	printf("packets: %zu (mean %zu octets), best of %d rounds of >= %.1f s\n", n, bytes / n,
	    rounds, min_time);
	printf("ldns_wire2pkt + ldns_rr walk  %10.0f answers/s  %6.2f us each\n", ro, 1e6 / ro);
	printf("wire.c                        %10.0f answers/s  %6.2f us each  %.1fx\n", rn,
	    1e6 / rn, rn / ro);
	return 0;
}
