/* tls.c - the tls category, and DANE matching: every address of every
 * MX host is probed over SMTP (smtp_probe.c), and what the server showed
 * is judged: STARTTLS, versions, weak suites, DH size, the certificate
 * (chain and name, as MTA-STS needs them; expiry), REQUIRETLS; and the
 * TLSA RRset of the host against the chain it presented.
 *
 * How bad an untrusted certificate is depends on the domain: with an
 * MTA-STS policy senders refuse it (fail), with DANE that matches it is
 * fine, otherwise opportunistic TLS still encrypts (warn).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/error.h"
#include "inkan/smtp.h"
#include "check_int.h"

#define ITEM(...) inkan__chk_item(c, INKAN_CHECK_TLS, __VA_ARGS__)

/* Days before expiry that earn a warning. */
#define EXPIRY_WARN_DAYS 14

static void
cert_evidence(struct chk *c, struct inkan_check_item *it, const struct inkan_smtp_probe *p)
{
	for (size_t i = 0; i < p->nchain; i++) {
		const struct inkan_smtp_cert *x = &p->chain[i];
		char na[32];
		struct tm tm;

		gmtime_r(&x->not_after, &tm);
		strftime(na, sizeof(na), "%Y-%m-%d", &tm);
		inkan__chk_ev(c, it, "cert %zu: subject %s; issuer %s; %s %u bits; %s; until %s",
		    i, x->subject ? x->subject : "?", x->issuer ? x->issuer : "?",
		    x->key_type ? x->key_type : "?", x->key_bits, x->sig_alg ? x->sig_alg : "?", na);
		for (size_t k = 0; k < x->ndns && k < 8; k++)
			inkan__chk_ev(c, it, "cert %zu: DNS name %s", i, x->dns_names[k]);
	}
}

static const char *
tlsa_text(struct chk *c, const struct inkan_dane_tlsa *t)
{
	const char *s = inkan_dane_tlsa_text(c->a, t);

	return s != NULL ? s : "?";
}

/* DANE: the host's TLSA RRset against the presented chain. */
static void
dane_match(struct chk *c, const struct chk_mx *m, const char *subj,
    const struct inkan_smtp_probe *p, bool *dane_ok)
{
	struct inkan_dane_cert chain[INKAN_SMTP_MAX_CHAIN];
	struct inkan_dane_verify_opts vo;
	struct inkan_dane_result res;
	struct inkan_check_item *it;
	const char *names[2];
	int rc;

	*dane_ok = false;
	if (m->ntlsa == 0 || !(m->tlsa_secure || c->o->no_dnssec) || m->tlsa_bogus)
		return;
	if (!p->tls_ok || p->nchain == 0) {
		it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-match", p->connected ?
		    INKAN_CHECK_FAIL : INKAN_CHECK_ERROR, subj,
		    p->connected ? "A host with TLSA records must offer STARTTLS: DANE senders "
		    "do not deliver otherwise (RFC 7672 §2.2)." : NULL,
		    p->connected ? "TLSA records are published but no TLS session could be made" :
		    "The TLSA records could not be matched: no connection");
		return;
	}
	for (size_t i = 0; i < p->nchain; i++) {
		chain[i].der = p->chain[i].der;
		chain[i].len = p->chain[i].len;
	}
	memset(&vo, 0, sizeof(vo));
	vo.profile = INKAN_DANE_SMTP;
	names[0] = m->name;
	names[1] = c->domain;
	vo.names = names;
	vo.nnames = 2;
	vo.now = c->o->now;
	rc = inkan_dane_verify(NULL, c->a, m->tlsa, m->ntlsa, chain, p->nchain, &vo, &res);
	if (rc == INKAN_EINVAL) {
		inkan__chk_item(c, INKAN_CHECK_DANE, "dane-match", INKAN_CHECK_ERROR, subj, NULL,
		    "The TLSA RRset or the chain is too large to match");
		return;
	}
	if (inkan__chk_fail(c, rc))
		return;
	if (res.status == INKAN_DANE_OK) {
		*dane_ok = true;
		it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-match", INKAN_CHECK_PASS, subj, NULL,
		    "TLSA %.20s... matches the certificate the server presents (depth %d)",
		    res.record >= 0 ? tlsa_text(c, &m->tlsa[res.record]) : "record",
		    res.depth);
		if (res.record >= 0)
			inkan__chk_ev(c, it, "TLSA %s %s", m->tlsa_qname,
			    tlsa_text(c, &m->tlsa[res.record]));
	} else {
		it = inkan__chk_item(c, INKAN_CHECK_DANE, "dane-match", INKAN_CHECK_FAIL, subj,
		    "Publish the TLSA record of the key the server uses now (keep the old one "
		    "until it is gone, RFC 7671 §8.1), or install the certificate the TLSA "
		    "record names: DANE senders will not deliver to this host.",
		    "No TLSA record matches the certificate the server presents: %s",
		    res.why ? res.why : inkan_dane_status_name(res.status));
		for (size_t k = 0; k < m->ntlsa; k++)
			inkan__chk_ev(c, it, "TLSA %s %s", m->tlsa_qname,
			    tlsa_text(c, &m->tlsa[k]));
	}
	cert_evidence(c, it, p);
}

static void
judge(struct chk *c, const struct chk_mx *m, const struct inkan_smtp_probe *p)
{
	const char *subj = inkan_arena_printf(c->a, "%s %s", m->name, p->address);
	struct inkan_check_item *it;
	bool dane_ok = false, sts = c->mtasts_valid && c->mtasts_mode == INKAN_MTASTS_MODE_ENFORCE;
	bool sts_testing = c->mtasts_valid && c->mtasts_mode == INKAN_MTASTS_MODE_TESTING;
	time_t now = c->o->now ? c->o->now : time(NULL);

	if (subj == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	if (!p->connected && (p->connect_errno == ENETUNREACH ||
	    p->connect_errno == EADDRNOTAVAIL || p->connect_errno == EAFNOSUPPORT)) {
		/* This machine has no route of that address family (commonly:
		 * no IPv6): a fact about us, not about the server. */
		ITEM("tls-connect", INKAN_CHECK_NOT_TESTED, subj, NULL,
		    "Not probed: this machine cannot reach %s (%s)", p->address,
		    p->error ? p->error : "no route");
		return;
	}
	if (!p->connected) {
		it = ITEM("tls-connect", INKAN_CHECK_ERROR, subj,
		    "Check that the host accepts SMTP on port 25 (and that this check may reach "
		    "port 25: many networks block it).", "Cannot connect to %s: %s", p->address,
		    p->error ? p->error : "unknown error");
		dane_match(c, m, subj, p, &dane_ok);
		return;
	}
	if (!p->greeted || !p->ehlo_ok) {
		it = ITEM("tls-connect", INKAN_CHECK_FAIL, subj,
		    "The host must greet with 220 and accept EHLO (RFC 5321 §4.3.1).",
		    "%s does not take mail: %s", p->address, p->error ? p->error : "no greeting");
		for (size_t i = 0; i < p->ntranscript; i++)
			inkan__chk_ev(c, it, "%s", p->transcript[i]);
		return;
	}
	it = ITEM("tls-connect", INKAN_CHECK_PASS, subj, NULL, "SMTP greeting %u %.80s",
	    p->banner_code, p->banner ? p->banner : "");
	for (size_t i = 0; i < p->ntranscript; i++)
		inkan__chk_ev(c, it, "%s", p->transcript[i]);

	if (!p->starttls_offered) {
		it = ITEM("tls-starttls", INKAN_CHECK_FAIL, subj,
		    "Enable STARTTLS (RFC 3207) with a certificate for the MX host name "
		    "(Postfix: smtpd_tls_security_level = may).",
		    "STARTTLS is not offered: mail to this host travels unencrypted");
		dane_match(c, m, subj, p, &dane_ok);
		return;
	}
	if (!p->tls_ok) {
		it = ITEM("tls-starttls", INKAN_CHECK_FAIL, subj,
		    "Fix the server's TLS setup: senders fall back to plain text or defer.",
		    "STARTTLS is offered but %s", p->starttls_code != 220 ?
		    "refused" : "no TLS session could be made");
		inkan__chk_ev(c, it, "%s", p->error ? p->error : p->tls_error ? p->tls_error : "");
		dane_match(c, m, subj, p, &dane_ok);
		return;
	}
	it = ITEM("tls-starttls", INKAN_CHECK_PASS, subj, NULL, "STARTTLS: %s, %s (%d bits)%s%s",
	    p->tls_version, p->cipher ? p->cipher : "?", p->cipher_bits,
	    p->kex ? ", key exchange " : "", p->kex ? p->kex : "");

	/* versions */
	{
		enum inkan_check_status st = INKAN_CHECK_PASS;
		bool v3 = p->ssl3.outcome == INKAN_HELLO_ACCEPTED && p->ssl3.version == 0x0300;
		bool v10 = p->tls10.outcome == INKAN_HELLO_ACCEPTED && p->tls10.version == 0x0301;
		bool v11 = p->tls11.outcome == INKAN_HELLO_ACCEPTED && p->tls11.version == 0x0302;
		const char *list = inkan_arena_printf(c->a, "%s%s%s", v3 ? " SSLv3" : "",
		    v10 ? " TLSv1.0" : "", v11 ? " TLSv1.1" : "");

		if (v10 || v11)
			st = INKAN_CHECK_WARN;
		if (v3)
			st = INKAN_CHECK_FAIL;
		if (p->tls_legacy_only)
			st = INKAN_CHECK_FAIL;
		if (p->tls10.outcome == INKAN_HELLO_NOT_TESTED) {
			it = ITEM("tls-version", INKAN_CHECK_NOT_TESTED, subj, NULL,
			    "Old protocol versions were not probed (grading off); %s negotiated",
			    p->tls_version);
		} else if (st == INKAN_CHECK_PASS) {
			it = ITEM("tls-version", INKAN_CHECK_PASS, subj, NULL,
			    "Only TLS 1.2 and later: SSLv3, TLS 1.0 and 1.1 are refused");
		} else {
			it = ITEM("tls-version", st, subj, p->tls_legacy_only ?
			    "Enable TLS 1.2 and 1.3 (RFC 8996 deprecates TLS 1.0 and 1.1)." :
			    "Turn off SSLv3, TLS 1.0 and 1.1 (RFC 7568, RFC 8996); Postfix: "
			    "smtpd_tls_protocols = >=TLSv1.2.",
			    p->tls_legacy_only ? "The server speaks only legacy TLS (%s)" :
			    "The server accepts deprecated versions:%s", p->tls_legacy_only ?
			    p->tls_version : list);
		}
		const struct inkan_smtp_hello *hs[3] = { &p->ssl3, &p->tls10, &p->tls11 };
		const char *vn[3] = { "SSLv3", "TLSv1.0", "TLSv1.1" };

		for (int k = 0; k < 3; k++)
			if (hs[k]->outcome != INKAN_HELLO_NOT_TESTED)
				inkan__chk_ev(c, it, "%s hello: %s%s%s%s%s", vn[k],
				    inkan_smtp_hello_outcome_name(hs[k]->outcome),
				    hs[k]->outcome == INKAN_HELLO_ACCEPTED ? " with " : "",
				    hs[k]->outcome == INKAN_HELLO_ACCEPTED ? hs[k]->cipher_name : "",
				    hs[k]->why ? ": " : "", hs[k]->why ? hs[k]->why : "");
	}
	/* weak suites */
	if (p->weak.outcome == INKAN_HELLO_ACCEPTED) {
		it = ITEM("tls-cipher", INKAN_CHECK_FAIL, subj,
		    "Remove NULL, anonymous, export, RC4, DES/3DES and MD5 suites (RFC 9325 "
		    "§4.1); Postfix: smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, RC4, "
		    "3DES, MD5, DES.", "The server accepts the weak suite %s", p->weak.cipher_name);
		inkan__chk_ev(c, it, "ServerHello %s %s",
		    inkan_smtp_tls_version_name(c->a, p->weak.version), p->weak.cipher_name);
	} else if (p->weak.outcome == INKAN_HELLO_REFUSED) {
		it = ITEM("tls-cipher", INKAN_CHECK_PASS, subj, NULL,
		    "No weak suite accepted (RC4, 3DES, DES, export, NULL, anonymous, MD5)");
		inkan__chk_ev(c, it, "weak-suite hello: refused%s%s", p->weak.why ? ": " : "",
		    p->weak.why ? p->weak.why : "");
	} else if (p->weak.outcome == INKAN_HELLO_ERROR) {
		ITEM("tls-cipher", INKAN_CHECK_ERROR, subj, NULL, "Weak suites could not be probed: %s",
		    p->weak.why ? p->weak.why : "error");
	}
	/* DH */
	if (p->dhe.outcome == INKAN_HELLO_ACCEPTED && p->dhe.dh_bits > 0) {
		unsigned b = p->dhe.dh_bits;

		it = ITEM("tls-dh", b < 1024 ? INKAN_CHECK_FAIL : b < 2048 ? INKAN_CHECK_WARN :
		    INKAN_CHECK_PASS, subj, b >= 2048 ? NULL :
		    "Use a DH group of at least 2048 bits (RFC 9325 §4.1; Postfix: "
		    "smtpd_tls_dh1024_param_file with 2048-bit parameters), or offer ECDHE only.",
		    "DHE key exchange with a %u-bit group", b);
		inkan__chk_ev(c, it, "ServerHello %s", p->dhe.cipher_name);
	} else if (p->dhe.outcome == INKAN_HELLO_REFUSED) {
		ITEM("tls-dh", INKAN_CHECK_INFO, subj, NULL,
		    "No finite-field DHE suite offered (ECDHE only)");
	}
	/* certificate */
	if (p->nchain > 0) {
		const struct inkan_smtp_cert *leaf = &p->chain[0];
		bool ok = p->pkix_ok && p->name_ok;

		dane_match(c, m, subj, p, &dane_ok);
		if (ok) {
			it = ITEM("tls-cert", INKAN_CHECK_PASS, subj, NULL,
			    "Certificate valid for %s (matched %s), issued by a trusted CA", m->name,
			    p->peername ? p->peername : m->name);
		} else {
			enum inkan_check_status st = sts ? INKAN_CHECK_FAIL :
			    dane_ok ? INKAN_CHECK_INFO : INKAN_CHECK_WARN;

			it = ITEM("tls-cert", st, subj, sts || sts_testing ?
			    "MTA-STS senders refuse (enforce) or report (testing) this host: install "
			    "a certificate from a public CA whose name matches the MX host (RFC 8461 "
			    "§4.2)." : dane_ok ? NULL :
			    "Install a certificate from a public CA for the MX host name: senders "
			    "that authenticate (MTA-STS, REQUIRETLS) cannot use this one.",
			    "Certificate %s%s%s%s", !p->pkix_ok ? "not trusted: " : "",
			    !p->pkix_ok ? (p->pkix_error ? p->pkix_error : "chain does not verify") : "",
			    !p->pkix_ok && !p->name_ok ? "; " : "",
			    !p->name_ok ? inkan_arena_printf(c->a, "not valid for %s", m->name) : "");
			if (dane_ok)
				inkan__chk_ev(c, it, "DANE authenticates the server instead");
		}
		cert_evidence(c, it, p);
		if (leaf->not_after != 0 && leaf->not_after < now) {
			it = ITEM("tls-cert-expiry", INKAN_CHECK_FAIL, subj,
			    "Renew the certificate.", "The certificate expired %ld days ago",
			    (long)((now - leaf->not_after) / 86400));
		} else if (leaf->not_after != 0 && leaf->not_after - now < EXPIRY_WARN_DAYS * 86400) {
			it = ITEM("tls-cert-expiry", INKAN_CHECK_WARN, subj,
			    "Renew the certificate now (and check that renewal is automatic).",
			    "The certificate expires in %ld days",
			    (long)((leaf->not_after - now) / 86400));
		}
	}
	if (p->ehlo_tls_ok)
		ITEM("tls-requiretls", p->requiretls ? INKAN_CHECK_PASS : INKAN_CHECK_INFO, subj, NULL,
		    p->requiretls ? "REQUIRETLS is advertised (RFC 8689)" :
		    "REQUIRETLS is not advertised (RFC 8689): senders cannot ask for TLS all the "
		    "way");
}

void
inkan__chk_tls(struct chk *c)
{
	bool want_tls = inkan__chk_want(c, INKAN_CHECK_TLS);
	bool want_dane = inkan__chk_want(c, INKAN_CHECK_DANE);

	if (!want_tls && !want_dane)
		return;
	for (size_t i = 0; i < c->nmx && c->mx[i].examined && !c->err; i++) {
		const struct chk_mx *m = &c->mx[i];
		const struct inkan_check_connect *k = inkan__chk_connect(c, m->name, 25);
		struct inkan_smtp_probe_opts po;
		struct inkan_ip ips[INKAN_CHECK_MAX_ADDRS];
		unsigned port = 25;
		size_t n = 0;

		if (!m->resolves && k == NULL)
			continue;
		if (c->o->offline) {
			inkan__chk_item(c, INKAN_CHECK_TLS, "tls-connect", INKAN_CHECK_NOT_TESTED, m->name,
			    NULL, "SMTP on %s was not probed (offline)", m->name);
			if (m->ntlsa > 0)
				inkan__chk_item(c, INKAN_CHECK_DANE, "dane-match", INKAN_CHECK_NOT_TESTED,
				    m->name, NULL, "TLSA of %s not matched against a certificate "
				    "(offline)", m->name);
			continue;
		}
		if (k != NULL) {
			if (inkan_ip_parse(k->addr, strlen(k->addr), &ips[0]) != 0) {
				inkan__chk_item(c, INKAN_CHECK_TLS, "tls-connect", INKAN_CHECK_ERROR,
				    m->name, NULL, "Bad override address %s", k->addr);
				continue;
			}
			n = 1;
			if (k->port != 0)
				port = k->port;
		} else {
			for (size_t j = 0; j < m->naddrs; j++)
				ips[n++] = m->addrs[j].ip;
		}
		for (size_t j = 0; j < n && !c->err; j++) {
			struct inkan_smtp_probe p;

			memset(&po, 0, sizeof(po));
			po.host = m->name;
			po.addr = ips[j];
			po.port = port;
			po.helo = c->o->helo;
			po.timeout_ms = c->o->timeout_ms;
			po.ca_file = c->o->ca_file;
			po.grade = !c->o->no_tls_grading && want_tls;
			if (inkan__chk_fail(c, inkan_smtp_probe(c->a, &po, &p)))
				return;
			judge(c, m, &p);
		}
	}
}
