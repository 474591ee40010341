/* stsd_bench.c - socketmap load for a Postfix TLS policy service:
 * inkan-stsd and postfix-mta-sts-resolver are asked the same queries the
 * same way, by the same client.
 *
 *   stsd_bench [--clients N] [--queries N] [--name MAP] [--warm]
 *       [--expect TEXT] HOST:PORT DOMAINFILE
 *
 * --warm first asks every domain of DOMAINFILE once, one after the other
 * (so that the service has looked each up and cached it), then N
 * clients (one persistent connection each, as Postfix's smtp processes
 * keep theirs) send --queries requests in all, each waiting for its
 * answer before the next, round-robin over the domains.  The clients are
 * driven by one thread with epoll, so that on a small machine the load
 * generator's own threads do not crowd out the service measured.  Every
 * request's latency is measured from send to the last byte of the reply;
 * prints p50, p99, max, queries/s and how many replies differed from
 * --expect (a benchmark that counts wrong answers as fast ones would
 * measure nothing).  The last line is machine-readable:
 *   @ n=10000 p50_us=.. p99_us=.. max_us=.. qps=.. errors=.. unexpected=..
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *addr_s, *map = "postfix", *expect;
static char **domains;
static size_t ndomains;
static atomic_size_t next_q;
static size_t nqueries = 10000;
static uint64_t *lat_us;
static atomic_ulong errors, unexpected;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
dial(void)
{
	char host[256];
	const char *colon = strrchr(addr_s, ':');
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, on = 1;

	if (colon == NULL || (size_t)(colon - addr_s) >= sizeof(host))
		return -1;
	memcpy(host, addr_s, (size_t)(colon - addr_s));
	host[colon - addr_s] = '\0';
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request and its reply netstring; the reply text into out.  0 or -1. */
static int
ask(int fd, const char *domain, char *out, size_t outsize)
{
	char req[600], buf[8192];
	int rl = snprintf(req, sizeof(req), "%zu:%s %s,", strlen(map) + 1 + strlen(domain), map,
	    domain);
	size_t have = 0;

	if (rl <= 0 || (size_t)rl >= sizeof(req) || write(fd, req, (size_t)rl) != rl)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		char *colon = memchr(buf, ':', have);
		if (colon == NULL)
			continue;
		size_t len = strtoul(buf, NULL, 10), hl = (size_t)(colon - buf) + 1;
		if (have < hl + len + 1)
			continue;
		size_t cl = len < outsize - 1 ? len : outsize - 1;
		memcpy(out, colon + 1, cl);
		out[cl] = '\0';
		return 0;
	}
}

struct cl {
	int fd;
	size_t q;		/* the query in flight */
	uint64_t t0;
	char buf[8192];
	size_t have;
};

static int
send_next(struct cl *c)
{
	char req[600];
	size_t i = atomic_fetch_add(&next_q, 1);

	if (i >= nqueries)
		return 1;
	const char *d = domains[i % ndomains];
	int rl = snprintf(req, sizeof(req), "%zu:%s %s,", strlen(map) + 1 + strlen(d), map, d);
	c->q = i;
	c->have = 0;
	c->t0 = now_us();
	if (rl <= 0 || (size_t)rl >= sizeof(req) || write(c->fd, req, (size_t)rl) != rl)
		return -1;
	return 0;
}

/* 1: a whole reply is in c->buf; 0: not yet; -1: closed. */
static int
read_reply(struct cl *c, char *out, size_t outsize)
{
	ssize_t n = read(c->fd, c->buf + c->have, sizeof(c->buf) - 1 - c->have);

	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	c->have += (size_t)n;
	c->buf[c->have] = '\0';
	char *colon = memchr(c->buf, ':', c->have);
	if (colon == NULL)
		return 0;
	size_t len = strtoul(c->buf, NULL, 10), hl = (size_t)(colon - c->buf) + 1;
	if (c->have < hl + len + 1)
		return 0;
	size_t cl = len < outsize - 1 ? len : outsize - 1;
	memcpy(out, colon + 1, cl);
	out[cl] = '\0';
	return 1;
}

static void
drive(unsigned nclients)
{
	int ep = epoll_create1(0);
	struct cl *cls = calloc(nclients, sizeof(*cls));
	unsigned active = 0;
	char rep[4096];

	for (unsigned k = 0; k < nclients; k++) {
		cls[k].fd = dial();
		if (cls[k].fd < 0) {
			atomic_fetch_add(&errors, 1);
			continue;
		}
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = &cls[k] };
		epoll_ctl(ep, EPOLL_CTL_ADD, cls[k].fd, &e);
		if (send_next(&cls[k]) == 0)
			active++;
		else {
			close(cls[k].fd);
			cls[k].fd = -1;
		}
	}
	struct epoll_event evs[256];
	while (active > 0) {
		int n = epoll_wait(ep, evs, 256, 10000);
		if (n <= 0)
			break;
		for (int k = 0; k < n; k++) {
			struct cl *c = evs[k].data.ptr;
			int r = read_reply(c, rep, sizeof(rep));
			if (r == 0)
				continue;
			if (r < 0) {
				atomic_fetch_add(&errors, 1);
				lat_us[c->q] = UINT64_MAX;
			} else {
				lat_us[c->q] = now_us() - c->t0;
				if (expect != NULL && strcmp(rep, expect) != 0)
					atomic_fetch_add(&unexpected, 1);
			}
			if (r < 0 || send_next(c) != 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				active--;
			}
		}
	}
	close(ep);
	free(cls);
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	unsigned nclients = 50;
	bool warm = false;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
			nclients = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
			nqueries = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			map = argv[++i];
		else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
			expect = argv[++i];
		else if (strcmp(argv[i], "--warm") == 0)
			warm = true;
		else {
			fprintf(stderr, "stsd_bench: unknown option %s\n", argv[i]);
			return 64;
		}
	}
	if (argc - i != 2 || nclients == 0 || nqueries == 0) {
		fprintf(stderr, "usage: stsd_bench [--clients N] [--queries N] [--name MAP] [--warm]"
		    " [--expect TEXT] HOST:PORT DOMAINFILE\n");
		return 64;
	}
	addr_s = argv[i];
	FILE *f = fopen(argv[i + 1], "r");
	char line[512];
	if (f == NULL) {
		perror(argv[i + 1]);
		return 66;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		domains = realloc(domains, (ndomains + 1) * sizeof(*domains));
		domains[ndomains++] = strdup(line);
	}
	fclose(f);
	if (ndomains == 0) {
		fprintf(stderr, "stsd_bench: no domains\n");
		return 65;
	}
	if (warm) {
		int fd = dial();
		char rep[4096];
		unsigned long bad = 0;
		uint64_t t0 = now_us();
		if (fd < 0) {
			fprintf(stderr, "stsd_bench: cannot connect to %s\n", addr_s);
			return 69;
		}
		for (size_t k = 0; k < ndomains; k++) {
			if (ask(fd, domains[k], rep, sizeof(rep)) != 0) {
				fprintf(stderr, "stsd_bench: warm-up failed at %s\n", domains[k]);
				return 69;
			}
			if (expect != NULL && strcmp(rep, expect) != 0 && bad++ < 3)
				fprintf(stderr, "stsd_bench: warm-up %s -> '%s'\n", domains[k], rep);
		}
		close(fd);
		printf("warm-up: %zu domains looked up in %.2f s, %lu unexpected\n", ndomains,
		    (double)(now_us() - t0) / 1e6, bad);
	}
	lat_us = calloc(nqueries, sizeof(*lat_us));
	for (size_t k = 0; k < nqueries; k++)
		lat_us[k] = UINT64_MAX;	/* never answered */
	uint64_t t0 = now_us();
	drive(nclients);
	double secs = (double)(now_us() - t0) / 1e6;
	qsort(lat_us, nqueries, sizeof(*lat_us), cmp64);
	size_t ok = nqueries;
	while (ok > 0 && lat_us[ok - 1] == UINT64_MAX)
		ok--;
	if (ok == 0) {
		printf("no answers\n@ n=0 errors=%lu\n", atomic_load(&errors));
		return 1;
	}
	uint64_t p50 = lat_us[ok / 2], p90 = lat_us[(ok * 90) / 100], p99 = lat_us[(ok * 99) / 100],
	    p999 = lat_us[(ok * 999) / 1000], mx = lat_us[ok - 1];
	printf("%zu queries, %u clients, %zu domains: %.0f queries/s; latency p50 %.3f ms,"
	    " p99 %.3f ms, max %.3f ms; %lu errors, %lu unexpected answers\n", nqueries, nclients,
	    ndomains, (double)ok / secs, (double)p50 / 1000, (double)p99 / 1000,
	    (double)mx / 1000, atomic_load(&errors), atomic_load(&unexpected));
	printf("@ n=%zu p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu qps=%.0f"
	    " errors=%lu unexpected=%lu\n", ok, (unsigned long long)p50, (unsigned long long)p90,
	    (unsigned long long)p99, (unsigned long long)p999, (unsigned long long)mx,
	    (double)ok / secs, atomic_load(&errors), atomic_load(&unexpected));
	return 0;
}
