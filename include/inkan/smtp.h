/* smtp.h - SMTP replies, EHLO extensions, and the STARTTLS/TLS probe of
 * one mail server address (RFC 5321, RFC 3207, RFC 8689).
 *
 * Two layers:
 *   - pure parsers: one reply (possibly multi-line) from a byte buffer,
 *     and the extension list of an EHLO reply.  They never read past the
 *     bytes given and are fuzzed (tests/fuzz/fuzz_smtp_reply.c);
 *   - the probe, which opens connections: greeting, EHLO, STARTTLS, a
 *     TLS handshake with OpenSSL (version, cipher, key exchange, the
 *     certificate chain and its PKIX verdict for the MX host name), EHLO
 *     again to see REQUIRETLS (RFC 8689 §4), QUIT.  With grading on, a
 *     few more short connections send hand-made ClientHellos to learn
 *     whether the server accepts SSLv3, TLS 1.0, TLS 1.1, a weak cipher
 *     suite (RC4, 3DES, export, NULL, anonymous, MD5) or a small DH
 *     group.  The hand-made hellos do not depend on what the local
 *     OpenSSL still supports: only the server's ServerHello (and, for
 *     DHE, its ServerKeyExchange) is read, then the connection is closed.
 *
 * The probe is polite: at most six connections per address, one after
 * the other, each with a timeout, a QUIT where SMTP is still spoken, and
 * an EHLO name the caller chooses.  Everything lives in the caller's
 * arena.
 */
#ifndef INKAN_SMTP_H
#define INKAN_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "inkan/ip.h"

struct inkan_arena;

/* ---- replies (RFC 5321 §4.2) ---- */

struct inkan_smtp_reply {
	unsigned code;		/* 200..599 */
	/* The text of each line after the code and its separator, without
	 * CR LF (may be ""), NUL-terminated in the arena. */
	const char **lines;
	size_t nlines;
};

/* Parse the first complete reply in buf[0..len):
 *   *( code "-" [text] CRLF ) code [ SP text ] CRLF
 * Bare LF line ends are accepted.  Returns 0 with *used = bytes consumed
 * (> 0) and *out filled; 0 with *used = 0 when buf holds no complete
 * reply yet (read more); INKAN_EMALFORMED with *why (static) when a line
 * does not start with a three-digit code (first digit 2..5) and "-", " "
 * or the line end, when lines of one reply carry different codes, or
 * when a line has a NUL or other control character (HTAB allowed); also
 * INKAN_EMALFORMED for a line over INKAN_SMTP_MAX_REPLY_LINE octets or a
 * reply over INKAN_SMTP_MAX_REPLY_LINES lines, complete or not.
 * INKAN_ENOMEM.  why may be NULL. */
int inkan_smtp_reply_parse(struct inkan_arena *a, const char *buf, size_t len,
    struct inkan_smtp_reply *out, size_t *used, const char **why);

struct inkan_smtp_ext {
	const char *keyword;	/* upper case: "STARTTLS", "SIZE", ... */
	const char *params;	/* the rest of the line, or "" */
};

struct inkan_smtp_ehlo {
	const char *domain;	/* the server's name, first word of line 1 */
	const struct inkan_smtp_ext *ext;
	size_t next;
};

/* Read the extensions of a 250 EHLO reply (RFC 5321 §4.1.1.1): each line
 * after the first is keyword *(SP param), keyword = (ALPHA/DIGIT)
 * *(ALPHA/DIGIT/"-").  Lines that are not ehlo-lines are skipped (a
 * server's prose).  Returns 0, INKAN_EINVAL when the reply is not a 250,
 * INKAN_ENOMEM. */
int inkan_smtp_ehlo_parse(struct inkan_arena *a, const struct inkan_smtp_reply *r,
    struct inkan_smtp_ehlo *out);

/* The extension named keyword (any case), or NULL. */
const struct inkan_smtp_ext *inkan_smtp_ehlo_find(const struct inkan_smtp_ehlo *e,
    const char *keyword);

/* ---- the probe ---- */

struct inkan_smtp_probe_opts {
	/* The MX host name: SNI, the certificate name check. */
	const char *host;
	/* Where to connect. */
	struct inkan_ip addr;
	unsigned port;		/* 0 = 25 */
	/* EHLO name; NULL = INKAN_SMTP_DEFAULT_HELO. */
	const char *helo;
	/* Per step (connect, each reply, handshake); 0 = the limits.h
	 * defaults. */
	unsigned timeout_ms;
	/* PEM file of trusted CAs for the PKIX verdict; NULL = the
	 * system's default store. */
	const char *ca_file;
	/* Also probe legacy versions, weak ciphers and DH size (up to five
	 * more connections). */
	bool grade;
};

#define INKAN_SMTP_DEFAULT_HELO "inkan-check.invalid"

/* What a hand-made ClientHello learnt. */
enum inkan_smtp_hello_outcome {
	INKAN_HELLO_NOT_TESTED = 0,	/* not tried (no STARTTLS, grade off) */
	INKAN_HELLO_ACCEPTED,		/* the server answered with a ServerHello */
	INKAN_HELLO_REFUSED,		/* alert, or a close, instead */
	INKAN_HELLO_ERROR,		/* could not get as far as the hello */
};

/* "not-tested", "accepted", "refused", "error". */
const char *inkan_smtp_hello_outcome_name(enum inkan_smtp_hello_outcome o);

struct inkan_smtp_hello {
	enum inkan_smtp_hello_outcome outcome;
	uint16_t version;	/* of the ServerHello (0x0300 SSLv3 .. 0x0303) */
	uint16_t cipher;	/* suite chosen */
	const char *cipher_name;	/* IANA-style name, or "0xXXXX" */
	unsigned dh_bits;	/* size of the DHE prime, when read */
	const char *why;	/* refused or error: alert or reason */
};

/* One certificate of the presented chain. */
struct inkan_smtp_cert {
	const uint8_t *der;
	size_t len;
	const char *subject;	/* one-line RFC 2253 */
	const char *issuer;
	time_t not_before, not_after;
	const char *key_type;	/* "RSA", "EC", "ED25519", ... */
	unsigned key_bits;
	const char *sig_alg;	/* "sha256WithRSAEncryption", ... */
	const char **dns_names;	/* subjectAltName dNSName entries */
	size_t ndns;
};

struct inkan_smtp_probe {
	const char *address;	/* "192.0.2.1:25", "[2001:db8::1]:25" */
	/* Step reached, and what went wrong there (NULL when all went). */
	bool connected;
	bool greeted;		/* a 220 came */
	bool ehlo_ok;
	bool tls_ok;		/* STARTTLS accepted and the handshake done */
	const char *error;	/* "connect: Connection refused", ... */
	int connect_errno;	/* errno of a failed connect, or 0 */
	const char *banner;	/* first line of the greeting */
	unsigned banner_code;
	struct inkan_smtp_ehlo ehlo;		/* before TLS */
	bool starttls_offered;
	unsigned starttls_code;		/* reply to STARTTLS, 0 if not sent */
	const char *tls_error;		/* handshake failure reason */
	bool tls_legacy_only;		/* handshake only with legacy settings */
	const char *tls_version;	/* "TLSv1.3" */
	const char *cipher;		/* OpenSSL name */
	int cipher_bits;
	const char *kex;		/* "X25519", "DH 2048", "ECDH P-256", ... */
	unsigned kex_bits;
	struct inkan_smtp_cert *chain;	/* leaf first, as sent */
	size_t nchain;
	bool pkix_ok;			/* chain verifies to a trusted CA */
	const char *pkix_error;		/* OpenSSL's reason when not */
	bool name_ok;			/* leaf valid for host (RFC 6125) */
	const char *peername;		/* the name in the certificate that matched */
	struct inkan_smtp_ehlo ehlo_tls;	/* after TLS */
	bool ehlo_tls_ok;
	bool requiretls;		/* REQUIRETLS in the EHLO after TLS */
	/* grading (outcome NOT_TESTED without o->grade) */
	struct inkan_smtp_hello ssl3, tls10, tls11, weak, dhe;
	unsigned connections;		/* how many were opened */
	/* The conversation of the first connection, one line per element,
	 * "S: 220 ..." / "C: EHLO ..." (for evidence). */
	const char **transcript;
	size_t ntranscript;
};

/* Probe one address.  Connection and protocol problems are results (the
 * booleans and error say how far it got).  Returns 0 with *out filled
 * (in a), INKAN_EINVAL (no host, bad address family), INKAN_ENOMEM. */
int inkan_smtp_probe(struct inkan_arena *a, const struct inkan_smtp_probe_opts *o,
    struct inkan_smtp_probe *out);

/* "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3" or "0xXXXX"
 * (static or in a). */
const char *inkan_smtp_tls_version_name(struct inkan_arena *a, uint16_t v);

#endif
