/* smtp_probe.c - the STARTTLS/TLS probe of one mail server address (see
 * smtp.h).
 *
 * Connection one speaks SMTP properly: greeting, EHLO, STARTTLS, a TLS
 * handshake with OpenSSL's defaults (what a current sender negotiates),
 * EHLO again, QUIT.  If that handshake fails, one more connection tries
 * with legacy settings (security level 0, TLS 1.0 up), so that the
 * certificate can still be reported.  With grading on, up to five more
 * connections each get as far as STARTTLS's 220 and then send one
 * hand-made ClientHello (tls_hello.c).
 *
 * Every read has a deadline (poll before recv; SO_RCVTIMEO under
 * OpenSSL), every reply is bounded by the reply parser, and the
 * transcript of connection one is kept for evidence with each line cut
 * to 200 characters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/smtp.h"
#include "check_int.h"

#define RBUF_SIZE (INKAN_SMTP_MAX_REPLY_LINE * 8)

struct sess {
	struct inkan_arena *a;
	struct inkan_smtp_probe *out;
	int fd;
	SSL *ssl;
	unsigned timeout_ms;
	char buf[RBUF_SIZE];
	size_t len;
	bool log;		/* keep a transcript */
	size_t captr;
	const char *err;	/* what went wrong last */
	int errnum;		/* errno of a later connection's connect */
};

const char *
inkan_smtp_hello_outcome_name(enum inkan_smtp_hello_outcome o)
{
	switch (o) {
	case INKAN_HELLO_NOT_TESTED: return "not-tested";
	case INKAN_HELLO_ACCEPTED: return "accepted";
	case INKAN_HELLO_REFUSED: return "refused";
	case INKAN_HELLO_ERROR: return "error";
	}
	return "unknown";
}

const char *
inkan_smtp_tls_version_name(struct inkan_arena *a, uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1.0";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	}
	return inkan_arena_printf(a, "0x%04x", v);
}

static void
transcript(struct sess *s, const char *dir, const char *line)
{
	struct inkan_smtp_probe *o = s->out;
	const char *l;

	if (!s->log)
		return;
	if (o->ntranscript == s->captr) {
		size_t nc = s->captr ? s->captr * 2 : 16;
		const char **n = inkan_arena_alloc(s->a, nc * sizeof(*n));

		if (n == NULL)
			return;
		if (o->ntranscript > 0)
			memcpy(n, o->transcript, o->ntranscript * sizeof(*n));
		o->transcript = n;
		s->captr = nc;
	}
	if (line != NULL && (l = inkan_arena_printf(s->a, "%s: %.200s", dir, line)) != NULL)
		o->transcript[o->ntranscript++] = l;
}

static int
msleft(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
	return ms < 0 ? 0 : ms > 600000 ? 600000 : (int)ms;
}

static void
deadline_in(struct timespec *d, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += ms / 1000;
	d->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (d->tv_nsec >= 1000000000L) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000L;
	}
}

/* Connect with a timeout; the socket is left blocking with send and
 * receive timeouts (for OpenSSL).  -1 with *err. */
static int
tcp_connect(struct inkan_arena *a, const struct inkan_ip *ip, unsigned port, unsigned timeout_ms,
    const char **err, int *errnum)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct timeval tv;
	int fd, flags, soerr = 0;
	socklen_t el = sizeof(soerr);

	memset(&ss, 0, sizeof(ss));
	if (ip->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, ip->a, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, ip->a, 16);
		sl = sizeof(*s6);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		*errnum = errno;
		*err = inkan_arena_printf(a, "socket: %s", strerror(errno));
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int pr;

		if (errno != EINPROGRESS) {
			*errnum = errno;
			*err = inkan_arena_printf(a, "connect: %s", strerror(errno));
			close(fd);
			return -1;
		}
		do
			pr = poll(&pfd, 1, (int)timeout_ms);
		while (pr < 0 && errno == EINTR);
		if (pr == 0) {
			*errnum = ETIMEDOUT;
			*err = "connect: timed out";
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0 || soerr != 0) {
			*errnum = soerr ? soerr : errno;
			*err = inkan_arena_printf(a, "connect: %s", strerror(soerr ? soerr : errno));
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Read one reply.  0 with *r, or -1 with s->err. */
static int
read_reply(struct sess *s, struct inkan_smtp_reply *r)
{
	struct timespec deadline;

	deadline_in(&deadline, s->timeout_ms);
	for (;;) {
		size_t used;
		const char *why;
		int rc;
		ssize_t n;

		rc = inkan_smtp_reply_parse(s->a, s->buf, s->len, r, &used, &why);
		if (rc == INKAN_ENOMEM) {
			s->err = "out of memory";
			return -1;
		}
		if (rc != 0) {
			s->err = inkan_arena_printf(s->a, "malformed reply: %s", why);
			return -1;
		}
		if (used > 0) {
			memmove(s->buf, s->buf + used, s->len - used);
			s->len -= used;
			for (size_t i = 0; i < r->nlines; i++) {
				char *l = inkan_arena_printf(s->a, "%u%c%s", r->code,
				    i + 1 < r->nlines ? '-' : ' ', r->lines[i]);

				if (l != NULL)
					transcript(s, "S", l);
			}
			return 0;
		}
		if (s->len == sizeof(s->buf)) {
			s->err = "reply too long";
			return -1;
		}
		if (s->ssl != NULL && SSL_pending(s->ssl) > 0) {
			n = SSL_read(s->ssl, s->buf + s->len, (int)(sizeof(s->buf) - s->len));
		} else {
			struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
			int pr = poll(&pfd, 1, msleft(&deadline));

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0) {
				s->err = "timed out waiting for a reply";
				return -1;
			}
			if (s->ssl != NULL)
				n = SSL_read(s->ssl, s->buf + s->len, (int)(sizeof(s->buf) - s->len));
			else
				n = recv(s->fd, s->buf + s->len, sizeof(s->buf) - s->len, 0);
		}
		if (n == 0 || (n < 0 && s->ssl != NULL)) {
			if (s->ssl != NULL && n < 0 && SSL_get_error(s->ssl, (int)n) == SSL_ERROR_WANT_READ)
				continue;
			s->err = "the server closed the connection";
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			s->err = inkan_arena_printf(s->a, "read: %s", strerror(errno));
			return -1;
		}
		s->len += (size_t)n;
	}
}

static int
send_line(struct sess *s, const char *line)
{
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);
	size_t off = 0;

	if (n < 0 || (size_t)n >= sizeof(buf)) {
		s->err = "command too long";
		return -1;
	}
	transcript(s, "C", line);
	while (off < (size_t)n) {
		ssize_t w;

		if (s->ssl != NULL)
			w = SSL_write(s->ssl, buf + off, (int)((size_t)n - off));
		else
			w = send(s->fd, buf + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w < 0 && s->ssl == NULL && errno == EINTR)
			continue;
		if (w <= 0) {
			s->err = "could not send";
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Command and reply; the reply's code, or -1 with s->err. */
static int
command(struct sess *s, const char *line, struct inkan_smtp_reply *r)
{
	if (send_line(s, line) != 0 || read_reply(s, r) != 0)
		return -1;
	return (int)r->code;
}

static void
sess_close(struct sess *s, bool quit)
{
	struct inkan_smtp_reply r;
	bool log = s->log;

	if (quit && s->fd >= 0) {
		(void)command(s, "QUIT", &r);
	}
	s->log = log;
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->len = 0;
}

/* Connect, greeting, EHLO, STARTTLS.  Returns 0 at the point where TLS
 * starts; -1 with s->err (the session is closed).  Fills the result's
 * pre-TLS fields when first. */
static int
smtp_to_starttls(struct sess *s, const struct inkan_smtp_probe_opts *o, bool first)
{
	struct inkan_smtp_probe *out = s->out;
	struct inkan_smtp_reply r;
	char ehlo[300];
	int code;

	s->len = 0;
	s->out->connections++;
	if ((s->fd = tcp_connect(s->a, &o->addr, o->port ? o->port : 25, s->timeout_ms,
	    &s->err, first ? &out->connect_errno : &s->errnum)) < 0)
		return -1;
	if (first)
		out->connected = true;
	if (read_reply(s, &r) != 0) {
		sess_close(s, false);
		return -1;
	}
	if (first) {
		out->banner_code = r.code;
		out->banner = r.nlines > 0 ? r.lines[0] : "";
	}
	if (r.code != 220) {
		s->err = inkan_arena_printf(s->a, "greeting %u %s", r.code,
		    r.nlines > 0 ? r.lines[0] : "");
		sess_close(s, true);
		return -1;
	}
	if (first)
		out->greeted = true;
	snprintf(ehlo, sizeof(ehlo), "EHLO %s", o->helo ? o->helo : INKAN_SMTP_DEFAULT_HELO);
	if ((code = command(s, ehlo, &r)) < 0) {
		sess_close(s, false);
		return -1;
	}
	if (code != 250) {
		s->err = inkan_arena_printf(s->a, "EHLO refused: %u %s", r.code,
		    r.nlines > 0 ? r.lines[0] : "");
		sess_close(s, true);
		return -1;
	}
	if (first) {
		out->ehlo_ok = true;
		if (inkan_smtp_ehlo_parse(s->a, &r, &out->ehlo) != 0) {
			s->err = "out of memory";
			sess_close(s, true);
			return -1;
		}
		out->starttls_offered = inkan_smtp_ehlo_find(&out->ehlo, "STARTTLS") != NULL;
		if (!out->starttls_offered) {
			s->err = "STARTTLS not offered";
			sess_close(s, true);
			return -1;
		}
	}
	if ((code = command(s, "STARTTLS", &r)) < 0) {
		sess_close(s, false);
		return -1;
	}
	if (first)
		out->starttls_code = (unsigned)code;
	if (code != 220) {
		s->err = inkan_arena_printf(s->a, "STARTTLS refused: %u %s", r.code,
		    r.nlines > 0 ? r.lines[0] : "");
		sess_close(s, true);
		return -1;
	}
	return 0;
}

static const char *
bio_text(struct inkan_arena *a, BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	return inkan_arena_strndup(a, n > 0 ? p : "", n > 0 ? (size_t)n : 0);
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static int
cert_facts(struct inkan_arena *a, X509 *x, struct inkan_smtp_cert *c)
{
	BIO *b;
	EVP_PKEY *pk;
	GENERAL_NAMES *gens;
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_X509(x, &der)) <= 0)
		return INKAN_ENOMEM;
	c->der = inkan_arena_memdup(a, der, (size_t)n);
	c->len = (size_t)n;
	OPENSSL_free(der);
	if (c->der == NULL)
		return INKAN_ENOMEM;
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return INKAN_ENOMEM;
	X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	c->subject = bio_text(a, b);
	(void)BIO_reset(b);
	X509_NAME_print_ex(b, X509_get_issuer_name(x), 0, XN_FLAG_RFC2253);
	c->issuer = bio_text(a, b);
	BIO_free(b);
	c->not_before = asn1_time(X509_get0_notBefore(x));
	c->not_after = asn1_time(X509_get0_notAfter(x));
	if ((pk = X509_get0_pubkey(x)) != NULL) {
		const char *tn = EVP_PKEY_get0_type_name(pk);

		c->key_type = inkan_arena_strdup(a, tn != NULL ? tn : "?");
		c->key_bits = (unsigned)EVP_PKEY_get_bits(pk);
	}
	c->sig_alg = OBJ_nid2ln(X509_get_signature_nid(x));
	if ((gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL)) != NULL) {
		int k = sk_GENERAL_NAME_num(gens);

		c->dns_names = inkan_arena_alloc(a, (size_t)(k > 0 ? k : 1) * sizeof(char *));
		for (int i = 0; c->dns_names != NULL && i < k && i < 64; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

			if (g->type != GEN_DNS)
				continue;
			c->dns_names[c->ndns] = inkan_arena_strndup(a,
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName));
			if (c->dns_names[c->ndns] != NULL)
				c->ndns++;
		}
		GENERAL_NAMES_free(gens);
	}
	return 0;
}

/* Chain to a trusted CA (ca_file or the system store) and the name. */
static void
pkix(struct inkan_arena *a, const struct inkan_smtp_probe_opts *o, X509 *leaf,
    STACK_OF(X509) *chain, struct inkan_smtp_probe *out)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *xc = X509_STORE_CTX_new();
	char *peer = NULL;

	if (st == NULL || xc == NULL)
		goto done;
	if (o->ca_file != NULL ? X509_STORE_load_file(st, o->ca_file) != 1 :
	    X509_STORE_set_default_paths(st) != 1) {
		out->pkix_error = o->ca_file != NULL ? "cannot load the CA file" :
		    "cannot load the system CA store";
		goto done;
	}
	if (X509_STORE_CTX_init(xc, st, leaf, chain) != 1)
		goto done;
	X509_STORE_CTX_set_purpose(xc, X509_PURPOSE_SSL_SERVER);
	if (X509_verify_cert(xc) == 1) {
		out->pkix_ok = true;
	} else {
		out->pkix_error = inkan_arena_strdup(a,
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(xc)));
	}
	/* RFC 8461 §4.2 (RFC 6125 rules): a wildcard only as the whole
	 * leftmost label. */
	if (X509_check_host(leaf, o->host, strlen(o->host), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
	    &peer) == 1) {
		out->name_ok = true;
		out->peername = inkan_arena_strdup(a, peer);
	}
	OPENSSL_free(peer);
done:
	X509_STORE_CTX_free(xc);
	X509_STORE_free(st);
}

static const char *
ssl_error_text(struct inkan_arena *a)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return inkan_arena_strdup(a, r != NULL ? r : "handshake failed");
}

/* The TLS handshake on s->fd and what it shows.  0, or -1 with
 * out->tls_error. */
static int
handshake(struct sess *s, const struct inkan_smtp_probe_opts *o, bool legacy)
{
	struct inkan_smtp_probe *out = s->out;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	STACK_OF(X509) *sk;
	EVP_PKEY *tmp = NULL;
	const SSL_CIPHER *ciph;
	int rc = -1;

	if (ctx == NULL) {
		out->tls_error = "cannot make an OpenSSL context";
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (legacy) {
		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
	}
	if ((s->ssl = SSL_new(ctx)) == NULL) {
		SSL_CTX_free(ctx);
		out->tls_error = "cannot make an OpenSSL session";
		return -1;
	}
	SSL_CTX_free(ctx);	/* the session holds a reference */
	SSL_set_fd(s->ssl, s->fd);
	SSL_set_tlsext_host_name(s->ssl, o->host);
	ERR_clear_error();
	if (SSL_connect(s->ssl) != 1) {
		out->tls_error = ssl_error_text(s->a);
		SSL_free(s->ssl);
		s->ssl = NULL;
		return -1;
	}
	out->tls_ok = true;
	out->tls_legacy_only = legacy;
	out->tls_version = SSL_get_version(s->ssl);
	if ((ciph = SSL_get_current_cipher(s->ssl)) != NULL) {
		out->cipher = SSL_CIPHER_get_name(ciph);
		out->cipher_bits = SSL_CIPHER_get_bits(ciph, NULL);
	}
	if (SSL_get_peer_tmp_key(s->ssl, &tmp) == 1 && tmp != NULL) {
		char group[80];
		size_t gl = 0;
		int id = EVP_PKEY_get_base_id(tmp);

		out->kex_bits = (unsigned)EVP_PKEY_get_bits(tmp);
		if (id == EVP_PKEY_DH)
			out->kex = inkan_arena_printf(s->a, "DH %u", out->kex_bits);
		else if (EVP_PKEY_get_group_name(tmp, group, sizeof(group), &gl) == 1)
			out->kex = inkan_arena_printf(s->a, "ECDH %s", group);
		else
			out->kex = inkan_arena_strdup(s->a, EVP_PKEY_get0_type_name(tmp));
		EVP_PKEY_free(tmp);
	}
	if ((sk = SSL_get_peer_cert_chain(s->ssl)) != NULL && sk_X509_num(sk) > 0) {
		size_t n = (size_t)sk_X509_num(sk);

		if (n > INKAN_SMTP_MAX_CHAIN)
			n = INKAN_SMTP_MAX_CHAIN;
		if ((out->chain = inkan_arena_zalloc(s->a, n * sizeof(*out->chain))) == NULL)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (cert_facts(s->a, sk_X509_value(sk, (int)i), &out->chain[i]) != 0)
				goto out;
		out->nchain = n;
		pkix(s->a, o, sk_X509_value(sk, 0), sk, out);
	}
	rc = 0;
out:
	return rc;
}

static void
grade_one(struct sess *s, const struct inkan_smtp_probe_opts *o, enum inkan__hello_kind k,
    struct inkan_smtp_hello *h)
{
	if (smtp_to_starttls(s, o, false) != 0) {
		h->outcome = INKAN_HELLO_ERROR;
		h->why = s->err;
		return;
	}
	if (inkan__tls_hello(s->a, s->fd, k, o->host, s->timeout_ms, h) != 0) {
		h->outcome = INKAN_HELLO_ERROR;
		h->why = "out of memory";
	}
	sess_close(s, false);
}

int
inkan_smtp_probe(struct inkan_arena *a, const struct inkan_smtp_probe_opts *o,
    struct inkan_smtp_probe *out)
{
	struct sess *s;
	struct inkan_smtp_reply r;
	char addr[INKAN_IP_STRLEN];
	char ehlo[300];
	unsigned port;

	memset(out, 0, sizeof(*out));
	if (o == NULL || o->host == NULL || (o->addr.family != 4 && o->addr.family != 6))
		return INKAN_EINVAL;
	if ((s = inkan_arena_zalloc(a, sizeof(*s))) == NULL)
		return INKAN_ENOMEM;
	s->a = a;
	s->out = out;
	s->fd = -1;
	s->timeout_ms = o->timeout_ms ? o->timeout_ms : INKAN_SMTP_STEP_TIMEOUT_MS;
	s->log = true;
	port = o->port ? o->port : 25;
	inkan_ip_format(&o->addr, addr, sizeof(addr));
	out->address = o->addr.family == 6 ? inkan_arena_printf(a, "[%s]:%u", addr, port) :
	    inkan_arena_printf(a, "%s:%u", addr, port);
	if (out->address == NULL)
		return INKAN_ENOMEM;

	if (smtp_to_starttls(s, o, true) != 0) {
		out->error = s->err;
		return 0;
	}
	if (handshake(s, o, false) != 0) {
		const char *modern = out->tls_error;

		transcript(s, "-", inkan_arena_printf(a, "TLS handshake failed: %s", modern));
		sess_close(s, false);
		s->log = false;
		if (smtp_to_starttls(s, o, false) == 0 && handshake(s, o, true) == 0) {
			out->tls_error = modern;
		} else {
			out->tls_error = modern;
			out->error = inkan_arena_printf(a, "TLS handshake failed: %s", modern);
			sess_close(s, false);
			goto grade;
		}
	} else {
		transcript(s, "-", inkan_arena_printf(a, "TLS %s %s", out->tls_version,
		    out->cipher ? out->cipher : ""));
	}
	snprintf(ehlo, sizeof(ehlo), "EHLO %s", o->helo ? o->helo : INKAN_SMTP_DEFAULT_HELO);
	if (command(s, ehlo, &r) == 250 && inkan_smtp_ehlo_parse(a, &r, &out->ehlo_tls) == 0) {
		out->ehlo_tls_ok = true;
		out->requiretls = inkan_smtp_ehlo_find(&out->ehlo_tls, "REQUIRETLS") != NULL;
		sess_close(s, true);
	} else {
		sess_close(s, false);
	}
grade:
	s->log = false;
	if (o->grade) {
		grade_one(s, o, INKAN__HELLO_SSL3, &out->ssl3);
		grade_one(s, o, INKAN__HELLO_TLS10, &out->tls10);
		grade_one(s, o, INKAN__HELLO_TLS11, &out->tls11);
		grade_one(s, o, INKAN__HELLO_WEAK, &out->weak);
		grade_one(s, o, INKAN__HELLO_DHE, &out->dhe);
	}
	return 0;
}
