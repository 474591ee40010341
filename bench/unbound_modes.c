/* unbound_modes.c - how fast can libunbound put queries through a
 * forwarder, by API: the one async_unbound.c uses (ub_ctx_async(ctx, 1):
 * a resolver thread fed through a pipe, ub_fd()/ub_process()) against the
 * event API (ub_ctx_create_event + ub_resolve_event: resolution runs in
 * the caller's libevent loop, no thread, no pipe).
 *
 *   unbound_modes thread|event ADDR@PORT QUERYFILE [INFLIGHT [OPTION VALUE]...]
 *
 * QUERYFILE holds "NAME TYPE" lines (dnsperf's format, e.g. cold.queries
 * from gen_data.py).  Every query is sent once, at most INFLIGHT (1000) at
 * a time (OPTION VALUE pairs go to ub_ctx_set_option, e.g. "udp-connect:" "no",
 * to try a setting); prints queries/s by wall clock and the CPU time per query of
 * this process (user + system, all threads).  This is a measurement for
 * the DNS layer's owners, not a test: it does not check the answers beyond
 * counting errors.
 */
#include <event2/event.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <unbound.h>
#include <unbound-event.h>

struct q {
	char *name;
	int type;
};

static struct q *qs;
static size_t nq, next, done, errors, inflight, max_inflight = 1000;
static struct ub_ctx *ctx;
static bool event_mode;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void submit_more(void);

static void
thread_cb(void *arg, int err, struct ub_result *res)
{
	(void)arg;
	if (err != 0 || res == NULL || res->rcode != 0)
		errors++;
	if (res != NULL)
		ub_resolve_free(res);
	done++;
	inflight--;
}

static void
event_cb(void *arg, int rcode, void *pkt, int len, int sec, char *why, int rl)
{
	(void)arg, (void)pkt, (void)len, (void)sec, (void)why, (void)rl;
	if (rcode != 0)
		errors++;
	done++;
	inflight--;
	submit_more();
}

static void
submit_more(void)
{
	while (next < nq && inflight < max_inflight) {
		struct q *q = &qs[next++];
		int rc;

		inflight++;
		rc = event_mode ? ub_resolve_event(ctx, q->name, q->type, 1, NULL, event_cb, NULL) :
		    ub_resolve_async(ctx, q->name, q->type, 1, NULL, thread_cb, NULL);
		if (rc != 0) {
			inflight--;
			errors++;
			done++;
		}
	}
}

static int
type_num(const char *t)
{
	static const struct { const char *n; int v; } tab[] = {
		{ "A", 1 }, { "NS", 2 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "PTR", 12 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].n, t) == 0)
			return tab[i].v;
	return 0;
}

int
main(int argc, char **argv)
{
	FILE *f;
	char name[300], type[16];
	struct event_base *base = NULL;
	double t0, c0, el, cpu;
	size_t cap = 0;

	if (argc < 4 || (strcmp(argv[1], "thread") != 0 && strcmp(argv[1], "event") != 0)) {
		fputs("usage: unbound_modes thread|event ADDR@PORT QUERYFILE [INFLIGHT]\n", stderr);
		return 64;
	}
	event_mode = strcmp(argv[1], "event") == 0;
	if (argc > 4) {
		char *end;

		max_inflight = strtoul(argv[4], &end, 10);
		if (*end != '\0' || max_inflight == 0 || max_inflight > 100000) {
			fputs("unbound_modes: INFLIGHT wants 1 to 100000\n", stderr);
			return 64;
		}
	}
	if ((f = fopen(argv[3], "r")) == NULL) {
		perror(argv[3]);
		return 1;
	}
	while (fscanf(f, "%299s %15s", name, type) == 2) {
		if (nq == cap) {
			cap = cap ? cap * 2 : 4096;
			qs = realloc(qs, cap * sizeof(*qs));
		}
		qs[nq].name = strdup(name);
		qs[nq].type = type_num(type);
		nq++;
	}
	fclose(f);

	if (event_mode) {
		base = event_base_new();
		ctx = ub_ctx_create_event(base);
	} else {
		ctx = ub_ctx_create();
		ub_ctx_async(ctx, 1);
	}
	if (ctx == NULL) {
		fputs("unbound_modes: no context\n", stderr);
		return 1;
	}
	/* The options of lib/dns/unbound.c with a forwarder. */
	ub_ctx_set_option(ctx, "num-queries-per-thread:", "4096");
	ub_ctx_set_fwd(ctx, argv[2]);
	ub_ctx_set_option(ctx, "do-not-query-localhost:", "no");
	ub_ctx_set_option(ctx, "module-config:", "iterator");
	for (int i = 5; i + 1 < argc; i += 2) {
		if (ub_ctx_set_option(ctx, argv[i], argv[i + 1]) != 0) {
			fprintf(stderr, "unbound_modes: bad option %s %s\n", argv[i], argv[i + 1]);
			return 64;
		}
	}

	t0 = now_s();
	c0 = cpu_s();
	submit_more();
	if (event_mode) {
		event_base_dispatch(base);
	} else {
		while (done < nq) {
			struct pollfd p = { .fd = ub_fd(ctx), .events = POLLIN };

			if (poll(&p, 1, 1000) > 0)
				ub_process(ctx);
			submit_more();
		}
	}
	el = now_s() - t0;
	cpu = cpu_s() - c0;
	printf("unbound %s mode: %zu queries, %zu errors, %.3f s: %.0f queries/s, "
	    "%.1f us CPU per query\n", argv[1], done, errors, el, (double)done / el,
	    cpu * 1e6 / (double)done);
	printf("@ unbound.%s.qps %.0f\n", argv[1], (double)done / el);
	printf("@ unbound.%s.cpu_us %.1f\n", argv[1], cpu * 1e6 / (double)done);
	ub_ctx_delete(ctx);
	if (base != NULL)
		event_base_free(base);
	return 0;
}
