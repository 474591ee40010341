/* tls_hello.c - hand-made TLS ClientHellos for grading a server.
 *
 * To learn whether a server still accepts SSLv3, TLS 1.0/1.1, a weak
 * cipher suite or a small DH group, we need not (and with a modern
 * OpenSSL could not) finish a handshake: the ServerHello says which
 * version and suite the server chose from what we offered, and for DHE
 * suites the ServerKeyExchange carries the prime, whose length is the
 * group size.  So this file writes one ClientHello (RFC 5246 §7.4.1.2,
 * RFC 6101 for SSLv3) offering exactly the version and suites under test,
 * reads records until it has those messages or an alert, and stops.
 *
 * Reading is bounded: INKAN_SMTP_MAX_HELLO_READ bytes in all, a deadline
 * for the whole exchange, and every length field checked against what is
 * left before it is used.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "check_int.h"

struct suite {
	uint16_t code;
	const char *name;
};

/* Suites a version probe offers: what servers of every age accept, so a
 * refusal means the version, not the suites. */
static const struct suite broad_suites[] = {
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
};

/* Weak suites (RFC 7465 RC4, RFC 9325 §4.1: NULL, anonymous, export,
 * DES/3DES; MD5 MACs): a server that picks one of these when offered
 * nothing else accepts it. */
static const struct suite weak_suites[] = {
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
	{ 0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA" },
	{ 0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0009, "TLS_RSA_WITH_DES_CBC_SHA" },
	{ 0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA" },
	{ 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5" },
	{ 0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5" },
	{ 0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x0001, "TLS_RSA_WITH_NULL_MD5" },
	{ 0x0002, "TLS_RSA_WITH_NULL_SHA" },
	{ 0x003b, "TLS_RSA_WITH_NULL_SHA256" },
	{ 0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA" },
	{ 0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA" },
	{ 0x0018, "TLS_DH_anon_WITH_RC4_128_MD5" },
	{ 0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA" },
	{ 0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA" },
	{ 0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256" },
	{ 0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384" },
	{ 0xc015, "TLS_ECDH_anon_WITH_NULL_SHA" },
	{ 0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA" },
	{ 0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA" },
	{ 0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA" },
};

/* Finite-field DHE suites: the server's choice shows its DH group. */
static const struct suite dhe_suites[] = {
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256" },
	{ 0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA" },
	{ 0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA" },
};

#define NSUITES(x) (sizeof(x) / sizeof(x[0]))

static const char *
suite_name(struct inkan_arena *a, uint16_t code)
{
	const struct {
		const struct suite *s;
		size_t n;
	} lists[] = {
		{ broad_suites, NSUITES(broad_suites) },
		{ weak_suites, NSUITES(weak_suites) },
		{ dhe_suites, NSUITES(dhe_suites) },
	};

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (size_t i = 0; i < lists[l].n; i++)
			if (lists[l].s[i].code == code)
				return lists[l].s[i].name;
	return inkan_arena_printf(a, "0x%04x", code);
}

static bool
is_dhe(uint16_t code)
{
	for (size_t i = 0; i < NSUITES(dhe_suites); i++)
		if (dhe_suites[i].code == code)
			return true;
	return code == 0x0016 || code == 0x0015 || code == 0x0014;
}

/* RFC 5246 §7.2 alert descriptions we name. */
static const char *
alert_name(uint8_t d)
{
	switch (d) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 40: return "handshake_failure";
	case 47: return "illegal_parameter";
	case 50: return "decode_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 112: return "unrecognized_name";
	}
	return NULL;
}

/* ---- writing the ClientHello ---- */

struct wbuf {
	uint8_t p[2048];
	size_t n;
	bool over;
};

static void
put8(struct wbuf *w, unsigned v)
{
	if (w->n + 1 > sizeof(w->p)) {
		w->over = true;
		return;
	}
	w->p[w->n++] = (uint8_t)v;
}

static void
put16(struct wbuf *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v & 0xff);
}

static void
putn(struct wbuf *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->p)) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

/* Fill in a length of width bytes at offset at, covering what follows. */
static void
patch_len(struct wbuf *w, size_t at, size_t width)
{
	size_t len = w->n - at - width;

	for (size_t i = 0; i < width; i++)
		w->p[at + i] = (uint8_t)(len >> (8 * (width - 1 - i)));
}

static void
random_bytes(uint8_t *p, size_t n)
{
	/* Not a secret: the handshake is never finished. */
	uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)p;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static void
client_hello(struct wbuf *w, uint16_t version, const struct suite *s, size_t ns,
    const char *sni)
{
	uint8_t rnd[32];
	size_t rec, hs, ext;

	random_bytes(rnd, sizeof(rnd));
	/* Record header: handshake; SSLv3 records for an SSLv3 hello, TLS
	 * 1.0 records otherwise (what real clients send, RFC 5246 App. E.1). */
	put8(w, 22);
	put16(w, version == 0x0300 ? 0x0300 : 0x0301);
	rec = w->n;
	put16(w, 0);
	put8(w, 1);	/* client_hello */
	hs = w->n;
	put8(w, 0);
	put16(w, 0);
	put16(w, version);
	putn(w, rnd, sizeof(rnd));
	put8(w, 0);	/* no session id */
	put16(w, (unsigned)(2 * (ns + 1)));
	for (size_t i = 0; i < ns; i++)
		put16(w, s[i].code);
	put16(w, 0x00ff);	/* TLS_EMPTY_RENEGOTIATION_INFO_SCSV, RFC 5746 */
	put8(w, 1);
	put8(w, 0);	/* null compression */
	if (version > 0x0300) {
		size_t l, at;

		ext = w->n;
		put16(w, 0);
		if (sni != NULL && (l = strlen(sni)) > 0 && l < 256) {
			put16(w, 0);	/* server_name, RFC 6066 §3 */
			put16(w, (unsigned)(l + 5));
			put16(w, (unsigned)(l + 3));
			put8(w, 0);
			put16(w, (unsigned)l);
			putn(w, sni, l);
		}
		/* supported_groups (RFC 8422 §5.1.1): x25519, P-256, P-384, P-521 */
		put16(w, 10);
		put16(w, 10);
		put16(w, 8);
		put16(w, 0x001d);
		put16(w, 0x0017);
		put16(w, 0x0018);
		put16(w, 0x0019);
		/* ec_point_formats: uncompressed */
		put16(w, 11);
		put16(w, 2);
		put8(w, 1);
		put8(w, 0);
		if (version >= 0x0303) {
			static const uint16_t sigalgs[] = { 0x0403, 0x0503, 0x0603, 0x0804, 0x0805,
				0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0201, 0x0203, 0x0402 };

			put16(w, 13);	/* signature_algorithms, RFC 5246 §7.4.1.4.1 */
			at = w->n;
			put16(w, 0);
			put16(w, (unsigned)(2 * (sizeof(sigalgs) / sizeof(sigalgs[0]))));
			for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
				put16(w, sigalgs[i]);
			patch_len(w, at, 2);
		}
		patch_len(w, ext, 2);
	}
	patch_len(w, hs, 3);
	patch_len(w, rec, 2);
}

/* ---- reading the answer ---- */

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Read exactly n bytes before the deadline: 0, 1 on EOF, -1 on timeout
 * or error (errno-ish reason in *why). */
static int
read_full(int fd, uint8_t *p, size_t n, const struct timespec *deadline, const char **why)
{
	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left = ms_left(deadline);
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			*why = "timed out waiting for the ServerHello";
			return -1;
		}
		r = recv(fd, p, n, 0);
		if (r == 0)
			return 1;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*why = errno == ECONNRESET ? "connection reset" : "read error";
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
inkan__tls_hello(struct inkan_arena *a, int fd, enum inkan__hello_kind kind, const char *sni,
    unsigned timeout_ms, struct inkan_smtp_hello *out)
{
	struct wbuf w = { .n = 0 };
	const struct suite *s;
	size_t ns;
	uint16_t version;
	struct timespec deadline;
	uint8_t *hsbuf;
	size_t hslen = 0, pos = 0, total = 0;
	bool have_hello = false;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	switch (kind) {
	case INKAN__HELLO_SSL3: version = 0x0300; s = broad_suites; ns = NSUITES(broad_suites); break;
	case INKAN__HELLO_TLS10: version = 0x0301; s = broad_suites; ns = NSUITES(broad_suites); break;
	case INKAN__HELLO_TLS11: version = 0x0302; s = broad_suites; ns = NSUITES(broad_suites); break;
	case INKAN__HELLO_WEAK: version = 0x0303; s = weak_suites; ns = NSUITES(weak_suites); break;
	case INKAN__HELLO_DHE: version = 0x0303; s = dhe_suites; ns = NSUITES(dhe_suites); break;
	default: return INKAN_EINVAL;
	}
	client_hello(&w, version, s, ns, sni);
	if (w.over)
		return INKAN_EINVAL;
	if ((hsbuf = inkan_arena_alloc(a, INKAN_SMTP_MAX_HELLO_READ)) == NULL)
		return INKAN_ENOMEM;
	for (size_t off = 0; off < w.n;) {
		ssize_t r = send(fd, w.p + off, w.n - off, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			out->outcome = INKAN_HELLO_ERROR;
			out->why = "could not send the ClientHello";
			return 0;
		}
		off += (size_t)r;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		uint8_t hdr[5];
		size_t rlen;
		int rc;

		/* Handshake messages already complete in hsbuf. */
		while (hslen - pos >= 4) {
			uint8_t type = hsbuf[pos];
			size_t mlen = (size_t)hsbuf[pos + 1] << 16 | (size_t)hsbuf[pos + 2] << 8 |
			    hsbuf[pos + 3];
			const uint8_t *m = hsbuf + pos + 4;

			if (hslen - pos - 4 < mlen)
				break;
			pos += 4 + mlen;
			if (type == 2) {	/* ServerHello */
				size_t o = 34, sid;

				if (mlen < 38 || (sid = m[34], o += 1 + sid, mlen < o + 3)) {
					out->outcome = INKAN_HELLO_ERROR;
					out->why = "malformed ServerHello";
					return 0;
				}
				out->version = (uint16_t)(m[0] << 8 | m[1]);
				out->cipher = (uint16_t)(m[o] << 8 | m[o + 1]);
				if ((out->cipher_name = suite_name(a, out->cipher)) == NULL)
					return INKAN_ENOMEM;
				have_hello = true;
				if (out->version > version) {
					/* A ServerHello above what we offered breaks
					 * RFC 5246 §7.4.1.3: the version is refused. */
					out->outcome = INKAN_HELLO_REFUSED;
					out->why = "the server answered with a higher version "
					    "than offered";
					return 0;
				}
				out->outcome = INKAN_HELLO_ACCEPTED;
				if (kind != INKAN__HELLO_DHE || !is_dhe(out->cipher))
					return 0;
			} else if (type == 12 && have_hello) {	/* ServerKeyExchange */
				/* RFC 5246 §7.4.3: dh_p<1..2^16-1> comes first. */
				if (mlen >= 3) {
					size_t plen = (size_t)m[0] << 8 | m[1];
					size_t k = 2;

					if (plen > 0 && plen <= mlen - 2) {
						while (k < 2 + plen && m[k] == 0)
							k++;
						if (k < 2 + plen) {
							unsigned bits = (unsigned)(2 + plen - k) * 8;

							for (uint8_t top = m[k]; !(top & 0x80); top <<= 1)
								bits--;
							out->dh_bits = bits;
						}
					}
				}
				return 0;
			} else if (type == 14 && have_hello) {	/* ServerHelloDone */
				return 0;
			}
		}
		if ((rc = read_full(fd, hdr, 5, &deadline, &why)) != 0) {
			if (have_hello)
				return 0;
			out->outcome = rc > 0 ? INKAN_HELLO_REFUSED : INKAN_HELLO_ERROR;
			out->why = rc > 0 ? (total == 0 ? "the server closed the connection" :
			    "the server closed the connection mid-handshake") : why;
			return 0;
		}
		if (hdr[0] < 20 || hdr[0] > 23 || hdr[1] != 3) {
			out->outcome = INKAN_HELLO_ERROR;
			out->why = "the answer is not TLS";
			return 0;
		}
		rlen = (size_t)hdr[3] << 8 | hdr[4];
		total += 5 + rlen;
		if (rlen == 0 || rlen > 16384 + 2048 || total > INKAN_SMTP_MAX_HELLO_READ) {
			out->outcome = have_hello ? out->outcome : INKAN_HELLO_ERROR;
			out->why = have_hello ? NULL : "oversized TLS record";
			return 0;
		}
		if (hdr[0] == 21) {	/* alert */
			uint8_t al[2] = { 0, 0 };
			const char *name;

			if (read_full(fd, al, rlen < 2 ? rlen : 2, &deadline, &why) != 0 ||
			    rlen < 2) {
				out->outcome = INKAN_HELLO_REFUSED;
				out->why = "alert";
				return 0;
			}
			if (have_hello)
				return 0;
			out->outcome = INKAN_HELLO_REFUSED;
			name = alert_name(al[1]);
			out->why = name != NULL ? inkan_arena_printf(a, "alert %s", name) :
			    inkan_arena_printf(a, "alert %u", al[1]);
			return out->why == NULL ? INKAN_ENOMEM : 0;
		}
		if (hdr[0] != 22) {
			out->outcome = have_hello ? out->outcome : INKAN_HELLO_ERROR;
			out->why = have_hello ? NULL : "unexpected TLS record type";
			return 0;
		}
		if (hslen + rlen > INKAN_SMTP_MAX_HELLO_READ) {
			out->outcome = have_hello ? out->outcome : INKAN_HELLO_ERROR;
			out->why = have_hello ? NULL : "handshake too large";
			return 0;
		}
		if ((rc = read_full(fd, hsbuf + hslen, rlen, &deadline, &why)) != 0) {
			if (have_hello)
				return 0;
			out->outcome = rc > 0 ? INKAN_HELLO_REFUSED : INKAN_HELLO_ERROR;
			out->why = rc > 0 ? "the server closed the connection mid-record" : why;
			return 0;
		}
		hslen += rlen;
	}
}
