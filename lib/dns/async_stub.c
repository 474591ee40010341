/* async_stub.c - a lean asynchronous stub resolver for the bulk driver,
 * talking DNS directly to one forwarder.
 *
 * Why.  Through libunbound a query costs ~40 µs of CPU (a pipe to its
 * thread, a fresh socket per query, the mesh; bench/RESULTS.md), which
 * caps a batch at a fraction of what a local forwarder answers.  When the
 * user names a forwarder and turns validation off, all a query needs is a
 * packet out and a packet back.
 *
 * No DNSSEC.  Answers are never validated and never marked secure: the
 * forwarder is trusted as is.  The CLI uses this source only with
 * --resolver and --no-dnssec.
 *
 * Design.  INKAN_DNS_STUB_SOCKETS long-lived non-blocking UDP sockets,
 * each bound to a random port and connected to the server (the kernel
 * then drops datagrams from any other address).  Each query gets a random
 * 16-bit ID (getrandom) on a socket chosen round robin; an answer is taken
 * only if (socket, ID) is in flight AND its question is ours (name
 * compared case-insensitively, type, class): RFC 5452 §9.1.  Queries are
 * built by hand (RD=1, EDNS0 with a 1232-octet buffer) and sent with
 * sendmmsg; answers are read with recvmmsg, INKAN_DNS_STUB_BATCH per
 * call.  An answer with TC=1 is asked again over TCP (RFC 7766), in a
 * blocking exchange: rare, and bounded by the timeout.
 *
 * Time.  A query that has no answer after half the timeout is sent once
 * more, with a new ID on the next socket; after the other half it is
 * answered TIMEOUT.  Every try waits the same time, so the in-flight list,
 * appended to at each try, is sorted by deadline and wait() looks at its
 * head only.  At most INKAN_DNS_STUB_MAX_INFLIGHT queries are in flight;
 * more wait in a backlog in submission order; at most
 * INKAN_DNS_STUB_MAX_PENDING in all (INKAN_ELIMIT past that).
 *
 * Answers are converted as the unbound backend does: records of qtype
 * found after following the CNAME chain inside the answer section (the
 * forwarder resolves the chain; we do not ask again), wire rdata with
 * names uncompressed, ttl the smallest of the chain's records, negative
 * TTL from the SOA in the authority section (RFC 2308 §5: the smaller of
 * its TTL and its MINIMUM field).  The packet is read in place by
 * wire.c, which gives the answers ldns_wire2pkt did, without its
 * allocations.
 */
/* sendmmsg, recvmmsg: _GNU_SOURCE comes from meson.build */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "inkan/arena.h"
#include "inkan/bulk.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"
#include "wire.h"

#define NSOCK		INKAN_DNS_STUB_SOCKETS
#define BATCH		INKAN_DNS_STUB_BATCH
#define RECVMAX		4096	/* a UDP answer longer than we asked for is still read */
#define QMAX		(12 + 255 + 4 + 11)	/* header, qname, qtype/qclass, OPT */

struct sq {
	struct sq *prev, *next;	/* in-flight list, or backlog (next only) */
	struct sq *snext;	/* send list of its socket */
	inkan_async_cb cb;
	void *arg;
	uint64_t deadline;
	int sock;		/* index, -1 when not in flight */
	uint16_t id;
	uint16_t type;
	uint8_t tries;
	bool queued;		/* on a send list */
	bool dead;		/* answered while queued: freed when dequeued */
	uint16_t wlen, qlen;	/* query length; question (name, type, class) length */
	uint8_t wire[QMAX];
	char name[];
};

struct stub_sock {
	int fd;
	struct sq *sq_head, *sq_tail;	/* waiting to be sent */
	bool want_out;			/* last send hit a full buffer */
};

struct stub {
	struct inkan_async base;
	struct sockaddr_storage server;
	socklen_t server_len;
	unsigned timeout_ms;
	unsigned try_ms;		/* wait per try */
	struct stub_sock socks[NSOCK];
	unsigned next_sock;
	struct sq **idmap;		/* [NSOCK * 65536]: in flight by (socket, ID) */
	struct sq *head, *tail;		/* in flight, oldest deadline first */
	struct sq *bq_head, *bq_tail;	/* backlog */
	size_t inflight;
	unsigned long delivered;
	uint16_t rnd[256];		/* random IDs from getrandom */
	unsigned nrnd;
	struct inkan_arena *scratch;	/* storage of the answer being delivered */
	uint8_t (*rbuf)[RECVMAX];	/* [BATCH] receive buffers */
	uint8_t *tcpbuf;		/* 65535 octets + length */
};

/* ---- helpers ---- */

static uint16_t
rand16(struct stub *st)
{
	if (st->nrnd == 0) {
		size_t got = 0;

		while (got < sizeof(st->rnd)) {
			ssize_t n = getrandom((uint8_t *)st->rnd + got, sizeof(st->rnd) - got, 0);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				/* getrandom cannot fail on Linux ≥ 3.17 once the
				 * pool is seeded; do not go on with zeros. */
				abort();
			}
			got += (size_t)n;
		}
		st->nrnd = sizeof(st->rnd) / sizeof(st->rnd[0]);
	}
	return st->rnd[--st->nrnd];
}

static inline uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Parse "ADDR[@PORT]" (IPv4 or IPv6, default port 53). */
static int
parse_server(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(s, '@');
	size_t hl = at != NULL ? (size_t)(at - s) : strlen(s);
	unsigned long port = 53;

	if (hl == 0 || hl >= sizeof(host))
		return INKAN_EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (at != NULL) {
		char *end;

		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == at + 1 || port == 0 || port > 65535)
			return INKAN_EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return INKAN_EINVAL;
}

/* A non-blocking UDP socket on a random port (RFC 5452 §9.2: in the IANA
 * dynamic range, 49152-65535; the kernel's choice if all tries collide),
 * connected to the server. */
static int
open_udp(struct stub *st)
{
	int fam = st->server.ss_family;
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool bound = false;

	if (fd < 0)
		return -1;
	for (int i = 0; i < 16 && !bound; i++) {
		struct sockaddr_storage ss = { .ss_family = (sa_family_t)fam };
		uint16_t port = (uint16_t)(49152 + rand16(st) % 16384);
		socklen_t sl;

		if (fam == AF_INET) {
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
			sl = sizeof(struct sockaddr_in);
		} else {
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
			sl = sizeof(struct sockaddr_in6);
		}
		bound = bind(fd, (struct sockaddr *)&ss, sl) == 0;
	}
	/* Answers to a burst of INKAN_DNS_ASYNC_MAX_INFLIGHT queries arrive
	 * while the caller re-runs its jobs; a default buffer (~200 KB,
	 * ~300 datagrams with their overhead) would drop some, and each drop
	 * costs a retry interval.  FORCE works as root; otherwise the kernel
	 * caps at net.core.rmem_max. */
	int size = INKAN_DNS_STUB_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (connect(fd, (struct sockaddr *)&st->server, st->server_len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* RFC 1035 §4.1.1-4.1.2 query plus an RFC 6891 OPT record. */
static int
build_query(struct sq *q)
{
	ldns_rdf *d = ldns_dname_new_frm_str(q->name);
	uint8_t *p = q->wire;
	size_t nl;

	if (d == NULL)
		return INKAN_EINVAL;
	nl = ldns_rdf_size(d);
	if (nl > 255) {
		ldns_rdf_deep_free(d);
		return INKAN_EINVAL;
	}
	memset(p, 0, 12);
	p[2] = 0x01;		/* RD */
	p[5] = 1;		/* QDCOUNT */
	p[11] = 1;		/* ARCOUNT: OPT */
	memcpy(p + 12, ldns_rdf_data(d), nl);
	ldns_rdf_deep_free(d);
	p += 12 + nl;
	*p++ = (uint8_t)(q->type >> 8);
	*p++ = (uint8_t)q->type;
	*p++ = 0;
	*p++ = 1;		/* IN */
	q->qlen = (uint16_t)(nl + 4);
	/* OPT: root owner, type 41, class = UDP size, TTL 0 (DO clear), no rdata */
	*p++ = 0;
	*p++ = 0;
	*p++ = 41;
	*p++ = (uint8_t)(INKAN_DNS_STUB_EDNS_SIZE >> 8);
	*p++ = (uint8_t)(INKAN_DNS_STUB_EDNS_SIZE & 0xff);
	memset(p, 0, 6);
	p += 6;
	q->wlen = (uint16_t)(p - q->wire);
	return 0;
}

/* ---- lists ---- */

static void
inflight_unlink(struct stub *st, struct sq *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		st->head = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	else
		st->tail = q->prev;
	q->prev = q->next = NULL;
}

static void
inflight_append(struct stub *st, struct sq *q)
{
	q->prev = st->tail;
	q->next = NULL;
	if (st->tail != NULL)
		st->tail->next = q;
	else
		st->head = q;
	st->tail = q;
}

/* Give q a socket and a fresh ID, and queue it for sending. */
static void
launch(struct stub *st, struct sq *q, uint64_t now)
{
	unsigned s = st->next_sock++ % NSOCK;
	struct sq **map = st->idmap + (size_t)s * 65536;
	uint16_t id;

	/* At most INKAN_DNS_STUB_MAX_INFLIGHT / NSOCK of 65536 IDs of a socket
	 * are taken: a free one comes within a few draws. */
	do
		id = rand16(st);
	while (map[id] != NULL);
	map[id] = q;
	q->sock = (int)s;
	q->id = id;
	q->wire[0] = (uint8_t)(id >> 8);
	q->wire[1] = (uint8_t)id;
	q->tries++;
	q->deadline = now + st->try_ms;
	inflight_append(st, q);
	if (!q->queued) {
		struct stub_sock *ss = &st->socks[s];

		q->queued = true;
		q->snext = NULL;
		if (ss->sq_tail != NULL)
			ss->sq_tail->snext = q;
		else
			ss->sq_head = q;
		ss->sq_tail = q;
	}
}

/* Take q out of flight (ID map and list). */
static void
land(struct stub *st, struct sq *q)
{
	if (q->sock >= 0)
		st->idmap[(size_t)q->sock * 65536 + q->id] = NULL;
	q->sock = -1;
	inflight_unlink(st, q);
	st->inflight--;
}

/* Hand ans to q's owner; q must be out of flight. */
static void
deliver(struct stub *st, struct sq *q, const struct inkan_dns_answer *ans)
{
	st->base.pending--;
	st->delivered++;
	q->cb(q->arg, ans);
	inkan_arena_reset(st->scratch);
	if (q->queued)
		q->dead = true;		/* freed by flush() */
	else
		free(q);
}

static void
deliver_status(struct stub *st, struct sq *q, enum inkan_dns_status s, const char *why)
{
	struct inkan_dns_answer ans;

	if (inkan__dns_answer_status(st->scratch, q->name, q->type, s, 0, why, &ans) != 0) {
		ans = (struct inkan_dns_answer){ .status = s, .qtype = q->type, .qname = q->name,
		    .why = why };
	}
	deliver(st, q, &ans);
}

/* ---- answers ---- */

/* Whether buf is an answer to q's question: QR set, opcode QUERY, one
 * question equal to ours (RFC 5452 §9.1; names case-insensitively). */
static bool
matches(const struct sq *q, const uint8_t *buf, size_t len)
{
	if (len < 12 + (size_t)q->qlen || (buf[2] & 0x80) == 0 || (buf[2] & 0x78) != 0 ||
	    buf[4] != 0 || buf[5] != 1)
		return false;
	for (size_t i = 0; i < q->qlen; i++)
		if (lower(buf[12 + i]) != lower(q->wire[12 + i]))
			return false;
	return true;
}

/* One blocking TCP exchange for q (RFC 7766 §6.2.2), bounded by the
 * timeout.  Returns the answer's length in st->tcpbuf or -1. */
static ssize_t
tcp_exchange(struct stub *st, struct sq *q)
{
	uint64_t end = inkan__now_ms() + st->timeout_ms;
	int fd = socket(st->server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	uint8_t out[2 + QMAX];
	size_t off = 0, want = 2 + q->wlen, got = 0, need = 2;
	bool connected = false;

	if (fd < 0)
		return -1;
	out[0] = (uint8_t)(q->wlen >> 8);
	out[1] = (uint8_t)q->wlen;
	memcpy(out + 2, q->wire, q->wlen);
	if (connect(fd, (struct sockaddr *)&st->server, st->server_len) == 0)
		connected = true;
	else if (errno != EINPROGRESS)
		goto fail;
	for (;;) {
		uint64_t now = inkan__now_ms();
		struct pollfd pfd = { .fd = fd, .events = off < want ? POLLOUT : POLLIN };
		ssize_t r;

		if (now >= end)
			goto fail;
		if (poll(&pfd, 1, (int)(end - now)) <= 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (!connected) {
			int err = 0;
			socklen_t sl = sizeof(err);

			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0 || err != 0)
				goto fail;
			connected = true;
		}
		if (off < want) {
			r = send(fd, out + off, want - off, MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				goto fail;
			if (r > 0)
				off += (size_t)r;
			continue;
		}
		r = recv(fd, st->tcpbuf + got, need - got, 0);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			goto fail;
		if (r > 0)
			got += (size_t)r;
		if (got == need) {
			if (need == 2) {
				need = 2 + ((size_t)st->tcpbuf[0] << 8 | st->tcpbuf[1]);
				if (need == 2)
					goto fail;
			} else {
				close(fd);
				memmove(st->tcpbuf, st->tcpbuf + 2, need - 2);
				return (ssize_t)(need - 2);
			}
		}
	}
fail:
	close(fd);
	return -1;
}

/* Answer q (out of flight) from the packet buf. */
static void
answer_from(struct stub *st, struct sq *q, const uint8_t *buf, size_t len)
{
	struct inkan_dns_answer ans;

	if (inkan__wire_answer(st->scratch, q->name, q->type, buf, len, &ans) != 0) {
		inkan_arena_reset(st->scratch);
		deliver_status(st, q, INKAN_DNS_SERVFAIL, "out of memory");
	} else {
		deliver(st, q, &ans);
	}
}

/* A datagram on socket s. */
static void
received(struct stub *st, unsigned s, const uint8_t *buf, size_t len)
{
	struct sq *q;

	if (len < 12)
		return;
	q = st->idmap[(size_t)s * 65536 + ((unsigned)buf[0] << 8 | buf[1])];
	/* Not ours, or not our question: ignored, as a spoofed or a late
	 * answer to an earlier try must be. */
	if (q == NULL || !matches(q, buf, len))
		return;
	land(st, q);
	if ((buf[2] & 0x02) != 0) {	/* TC: ask again over TCP */
		ssize_t n = tcp_exchange(st, q);

		if (n < 0 || !matches(q, st->tcpbuf, (size_t)n) ||
		    st->tcpbuf[0] != q->wire[0] || st->tcpbuf[1] != q->wire[1])
			deliver_status(st, q, INKAN_DNS_SERVFAIL, "truncated answer, TCP failed");
		else
			answer_from(st, q, st->tcpbuf, (size_t)n);
		return;
	}
	answer_from(st, q, buf, len);
}

/* ---- the loop ---- */

/* Send what is queued on each socket, BATCH per system call, until the
 * socket buffer is full. */
static void
flush(struct stub *st)
{
	for (unsigned s = 0; s < NSOCK; s++) {
		struct stub_sock *ss = &st->socks[s];

		ss->want_out = false;
		while (ss->sq_head != NULL) {
			struct mmsghdr mh[BATCH];
			struct iovec iov[BATCH];
			struct sq *qs[BATCH];
			int n = 0, sent;

			while (ss->sq_head != NULL && n < BATCH) {
				struct sq *q = ss->sq_head;

				if (q->dead || q->sock != (int)s) {
					/* answered, or relaunched on another socket
					 * before it was ever sent: drop it here */
					ss->sq_head = q->snext;
					q->queued = false;
					if (q->dead)
						free(q);
					else if (q->sock >= 0) {
						/* back on the list of its socket */
						struct stub_sock *o = &st->socks[q->sock];

						q->queued = true;
						q->snext = NULL;
						if (o->sq_tail != NULL)
							o->sq_tail->snext = q;
						else
							o->sq_head = q;
						o->sq_tail = q;
					}
					continue;
				}
				iov[n].iov_base = q->wire;
				iov[n].iov_len = q->wlen;
				memset(&mh[n], 0, sizeof(mh[n]));
				mh[n].msg_hdr.msg_iov = &iov[n];
				mh[n].msg_hdr.msg_iovlen = 1;
				qs[n++] = q;
				ss->sq_head = q->snext;
			}
			if (ss->sq_head == NULL)
				ss->sq_tail = NULL;
			if (n == 0)
				break;
			sent = sendmmsg(ss->fd, mh, (unsigned)n, 0);
			if (sent < 0) {
				/* Full buffer: put them back and wait for POLLOUT.
				 * Any other error (ICMP unreachable reported on
				 * the connected socket): count them as sent; the
				 * deadline retries them. */
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					sent = 0;
				else
					sent = 1;
			}
			for (int i = 0; i < sent; i++)
				qs[i]->queued = false;
			if (sent < n) {
				/* re-queue the rest at the head, in order */
				qs[n - 1]->snext = ss->sq_head;
				if (ss->sq_head == NULL)
					ss->sq_tail = qs[n - 1];
				for (int i = n - 2; i >= sent; i--)
					qs[i]->snext = qs[i + 1];
				ss->sq_head = qs[sent];
				if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
					ss->want_out = true;
					break;
				}
			}
		}
	}
}

/* Read every datagram waiting on socket s. */
static void
drain(struct stub *st, unsigned s)
{
	for (;;) {
		struct mmsghdr mh[BATCH];
		struct iovec iov[BATCH];
		int n;

		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = st->rbuf[i];
			iov[i].iov_len = RECVMAX;
			memset(&mh[i], 0, sizeof(mh[i]));
			mh[i].msg_hdr.msg_iov = &iov[i];
			mh[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(st->socks[s].fd, mh, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			return;
		}
		for (int i = 0; i < n; i++)
			received(st, s, st->rbuf[i], mh[i].msg_len);
		if (n < BATCH)
			return;
	}
}

/* Retry or time out queries whose try is over; start backlog queries. */
static void
tick(struct stub *st, uint64_t now)
{
	while (st->head != NULL && st->head->deadline <= now) {
		struct sq *q = st->head;

		land(st, q);
		if (q->tries < 2) {
			st->inflight++;
			launch(st, q, now);
		} else {
			deliver_status(st, q, INKAN_DNS_TIMEOUT, "no answer in time");
		}
	}
	while (st->bq_head != NULL && st->inflight < INKAN_DNS_STUB_MAX_INFLIGHT) {
		struct sq *q = st->bq_head;

		st->bq_head = q->next;
		if (st->bq_head == NULL)
			st->bq_tail = NULL;
		st->inflight++;
		launch(st, q, now);
	}
}

/* Until an answer is delivered, or until the clock reaches end (UINT64_MAX:
 * no end). */
static int
stub_wait_until(struct inkan_async *as, uint64_t end)
{
	struct stub *st = (struct stub *)as;
	unsigned long before = st->delivered;

	while (as->pending > 0 && st->delivered == before) {
		struct pollfd pfd[NSOCK];
		uint64_t now = inkan__now_ms();
		int n, ms;

		tick(st, now);
		flush(st);
		if (st->delivered != before || st->head == NULL)
			break;
		for (unsigned s = 0; s < NSOCK; s++) {
			pfd[s].fd = st->socks[s].fd;
			pfd[s].events = (short)(POLLIN | (st->socks[s].want_out ? POLLOUT : 0));
			pfd[s].revents = 0;
		}
		if (now >= end)
			break;
		ms = st->head->deadline > now ? (int)(st->head->deadline - now) : 0;
		if (end != UINT64_MAX && end - now < (uint64_t)ms)
			ms = (int)(end - now);
		n = poll(pfd, NSOCK, ms);
		if (n < 0 && errno != EINTR)
			return INKAN_EIO;
		for (unsigned s = 0; n > 0 && s < NSOCK; s++)
			if (pfd[s].revents & (POLLIN | POLLERR))
				drain(st, s);
	}
	return 0;
}

static int
stub_wait(struct inkan_async *as)
{
	return stub_wait_until(as, UINT64_MAX);
}

static int
stub_wait_for(struct inkan_async *as, int timeout_ms)
{
	return stub_wait_until(as, inkan__now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
}

static int
stub_submit(struct inkan_async *as, const char *name, uint16_t type, inkan_async_cb cb,
    void *arg)
{
	struct stub *st = (struct stub *)as;
	size_t len = strlen(name);
	struct sq *q;
	int rc;

	if (len >= INKAN__KEYMAX || cb == NULL)
		return INKAN_EINVAL;
	if (as->pending >= INKAN_DNS_STUB_MAX_PENDING)
		return INKAN_ELIMIT;
	if ((q = calloc(1, sizeof(*q) + len + 1)) == NULL)
		return INKAN_ENOMEM;
	memcpy(q->name, name, len + 1);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->sock = -1;
	if ((rc = build_query(q)) != 0) {
		free(q);
		return rc;
	}
	/* Sent from wait(), in batches. */
	if (st->bq_tail != NULL)
		st->bq_tail->next = q;
	else
		st->bq_head = q;
	st->bq_tail = q;
	as->pending++;
	return 0;
}

static void
stub_destroy(struct inkan_async *as)
{
	struct stub *st = (struct stub *)as;
	struct sq *q, *next;

	/* Queued ones that are also in flight are freed with the in-flight
	 * list; dead ones only live on send lists. */
	for (unsigned s = 0; s < NSOCK; s++) {
		for (q = st->socks[s].sq_head; q != NULL; q = next) {
			next = q->snext;
			if (q->dead)
				free(q);
		}
		if (st->socks[s].fd >= 0)
			close(st->socks[s].fd);
	}
	for (q = st->head; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	for (q = st->bq_head; q != NULL; q = next) {
		next = q->next;
		free(q);
	}
	inkan_arena_free(st->scratch);
	free(st->idmap);
	free(st->rbuf);
	free(st->tcpbuf);
	free(st);
}

static const struct inkan_async_ops stub_ops = {
	.submit = stub_submit,
	.wait = stub_wait,
	.destroy = stub_destroy,
	.wait_for = stub_wait_for,
};

int
inkan_async_stub_new(const char *server, unsigned timeout_ms, struct inkan_async **out)
{
	struct stub *st;
	int rc;

	*out = NULL;
	if (server == NULL)
		return INKAN_EINVAL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return INKAN_ENOMEM;
	st->base.ops = &stub_ops;
	for (unsigned s = 0; s < NSOCK; s++)
		st->socks[s].fd = -1;
	if ((rc = parse_server(server, &st->server, &st->server_len)) != 0) {
		stub_destroy(&st->base);
		return rc;
	}
	st->timeout_ms = timeout_ms != 0 ? timeout_ms : INKAN_DNS_DEFAULT_TIMEOUT_MS;
	st->try_ms = st->timeout_ms / 2 > 0 ? st->timeout_ms / 2 : 1;
	st->idmap = calloc((size_t)NSOCK * 65536, sizeof(*st->idmap));
	st->rbuf = malloc(sizeof(*st->rbuf) * BATCH);
	st->tcpbuf = malloc(2 + 65535);
	st->scratch = inkan_arena_new();
	if (st->idmap == NULL || st->rbuf == NULL || st->tcpbuf == NULL || st->scratch == NULL) {
		stub_destroy(&st->base);
		return INKAN_ENOMEM;
	}
	for (unsigned s = 0; s < NSOCK; s++) {
		if ((st->socks[s].fd = open_udp(st)) < 0) {
			stub_destroy(&st->base);
			return INKAN_EIO;
		}
	}
	*out = &st->base;
	return 0;
}
