/* check_int.h - shared between the files of lib/check; not installed.
 *
 * One struct chk carries an audit through its stages.  Each stage
 * (mx.c, spf.c, ...) reads what earlier stages learnt (the MX hosts,
 * whether the domain takes mail, the DMARC policy) and adds items with
 * item(); evidence lines hang off the item just added.  Errors are
 * sticky in c->err (ENOMEM, EAGAIN): after one, adding is a no-op and
 * the driver returns it.
 */
#ifndef INKAN_CHECK_INT_H
#define INKAN_CHECK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "inkan/check.h"
#include "inkan/dane.h"
#include "inkan/dmarc.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"
#include "inkan/smtp.h"

struct inkan_arena;
struct inkan_resolver;

/* ---- tls_hello.c ---- */

enum inkan__hello_kind {
	INKAN__HELLO_SSL3,
	INKAN__HELLO_TLS10,
	INKAN__HELLO_TLS11,
	INKAN__HELLO_WEAK,
	INKAN__HELLO_DHE,
};

/* Send one ClientHello of kind on fd (a connection just after STARTTLS's
 * 220) and read the answer until the ServerHello (and for DHE the
 * ServerKeyExchange).  Returns 0 with *out filled, INKAN_ENOMEM. */
int inkan__tls_hello(struct inkan_arena *a, int fd, enum inkan__hello_kind kind,
    const char *sni, unsigned timeout_ms, struct inkan_smtp_hello *out);

/* ---- the audit ---- */

/* One DNS answer worth reporting in the dnssec category. */
struct chk_dnsnote {
	const char *name;
	uint16_t type;
	const char *why;
};

struct chk_addr {
	struct inkan_ip ip;
	const char *text;		/* "192.0.2.1" */
};

struct chk_mx {
	const char *name;		/* lower case, no trailing dot */
	unsigned pref;
	bool ip_literal;		/* the exchange looks like an address */
	bool examined;			/* within INKAN_CHECK_MAX_MX */
	bool resolves;			/* A or AAAA found */
	bool has_v6;
	bool cname;			/* the name is an alias */
	const char *canon;		/* where the CNAME led */
	bool secure, bogus;		/* of the address answers */
	bool dns_error;
	struct chk_addr addrs[INKAN_CHECK_MAX_ADDRS];
	size_t naddrs;
	/* TLSA at _25._tcp.<name> */
	bool tlsa_queried, tlsa_secure, tlsa_bogus, tlsa_error;
	struct inkan_dane_tlsa *tlsa;
	size_t ntlsa;
	const char *tlsa_qname;
};

struct chk {
	struct inkan_resolver *r;	/* the recording wrapper */
	struct inkan_arena *a;
	const struct inkan_check_opts *o;
	struct inkan_check_report *out;
	size_t cap;
	int err;
	const char *domain;

	/* what the stages learnt */
	bool domain_exists;		/* not NXDOMAIN */
	bool mx_dns_error;
	bool null_mx;			/* RFC 7505, alone */
	bool implicit_mx;		/* no MX, mail goes to the A/AAAA */
	struct chk_mx *mx;		/* real MX hosts, by preference */
	size_t nmx;
	bool spf_found;
	bool spf_sends;			/* SPF authorises some sender */
	bool spf_minus_all_only;	/* "v=spf1 -all" */
	bool parked;			/* takes no mail and sends none */
	struct inkan_dmarc_discovery dmarc;
	bool dmarc_ok;			/* a record applies */
	bool mtasts_valid;
	enum inkan_mtasts_mode mtasts_mode;
	const struct inkan_mtasts_policy *mtasts_policy;
	bool tlsrpt_found;

	/* the recording resolver's notes */
	struct chk_dnsnote *bogus;
	size_t nbogus, capbogus;
};

/* Add an item; returns it (NULL after an error).  summary is printf. */
struct inkan_check_item *inkan__chk_item(struct chk *c, enum inkan_check_category cat,
    const char *id, enum inkan_check_status st, const char *subject, const char *advice,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Append an evidence line to it (no-op for NULL). */
void inkan__chk_ev(struct chk *c, struct inkan_check_item *it, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Is category cat wanted by the options? */
bool inkan__chk_want(const struct chk *c, enum inkan_check_category cat);
/* Note a DNS return code: INKAN_EAGAIN/ENOMEM become c->err; returns
 * true when the caller must stop. */
bool inkan__chk_fail(struct chk *c, int rc);
/* Find the connect override for host and service, or NULL. */
const struct inkan_check_connect *inkan__chk_connect(const struct chk *c, const char *host,
    unsigned service);

/* The stages, in the order the driver runs them. */
void inkan__chk_mx(struct chk *c);
void inkan__chk_spf(struct chk *c);
void inkan__chk_dkim(struct chk *c);
void inkan__chk_dmarc(struct chk *c);
void inkan__chk_mtasts(struct chk *c);
void inkan__chk_tlsrpt(struct chk *c);
void inkan__chk_dnssec(struct chk *c);
void inkan__chk_dane(struct chk *c);
void inkan__chk_tls(struct chk *c);
void inkan__chk_bimi(struct chk *c);

#endif
