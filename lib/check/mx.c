/* mx.c - the mx category: MX records, Null MX (RFC 7505), targets that
 * are address literals or aliases, whether the hosts resolve, IPv6.
 *
 * It also collects, for the later stages, the MX hosts in preference
 * order with their addresses and the DNSSEC state of those answers.
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "check_int.h"

#define ITEM(...) inkan__chk_item(c, INKAN_CHECK_MX, __VA_ARGS__)

static const char parked_advice[] =
    "If the domain sends and receives no mail, say so: publish a Null MX "
    "(\"MX 0 .\", RFC 7505), the SPF record \"v=spf1 -all\" and the DMARC record "
    "\"v=DMARC1; p=reject\".";

/* An MX exchange written as an address: "192.0.2.1", "[192.0.2.1]",
 * "2001:db8::1".  Such a name is looked up as a host name and fails
 * (RFC 5321 §5.1 wants a domain name; RFC 7505 §3 lists it as a
 * misconfiguration). */
static bool
looks_like_ip(const char *s)
{
	struct inkan_ip ip;
	size_t n = strlen(s);

	if (n > 2 && s[0] == '[' && s[n - 1] == ']')
		return true;
	if (inkan_ip_parse(s, n, &ip) == 0)
		return true;
	/* Dotted quads are also all-numeric names of four labels. */
	for (size_t i = 0; i < n; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			return false;
	return n > 0 && inkan_dname_labels(s, n) == 4;
}

/* Addresses no sender on the Internet can reach. */
static const char *
private_kind(const struct inkan_ip *ip)
{
	const uint8_t *b = ip->a;

	if (ip->family == 4) {
		if (b[0] == 127)
			return "loopback";
		if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168))
			return "private (RFC 1918)";
		if (b[0] == 169 && b[1] == 254)
			return "link-local";
		if (b[0] == 0)
			return "unspecified";
		if (b[0] == 100 && (b[1] & 0xc0) == 64)
			return "shared (RFC 6598)";
		return NULL;
	}
	{
		static const uint8_t loop[16] = { [15] = 1 }, zero[16] = { 0 };

		if (memcmp(b, loop, 16) == 0)
			return "loopback";
		if (memcmp(b, zero, 16) == 0)
			return "unspecified";
		if ((b[0] & 0xfe) == 0xfc)
			return "unique local (RFC 4193)";
		if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
			return "link-local";
	}
	return NULL;
}

static const char *
rr_text(struct chk *c, const struct inkan_dns_rr *rr)
{
	const char *s = inkan_dns_rr_text(c->a, rr);

	return s != NULL ? s : "?";
}

static int
cmp_pref(const void *x, const void *y)
{
	const struct chk_mx *a = x, *b = y;

	return a->pref < b->pref ? -1 : a->pref > b->pref;
}

/* A and AAAA of one MX host. */
static void
resolve_host(struct chk *c, struct chk_mx *m)
{
	static const uint16_t types[2] = { INKAN_DNS_A, INKAN_DNS_AAAA };
	bool any_secure = false, all_secure = true;

	for (int t = 0; t < 2; t++) {
		struct inkan_dns_answer ans;

		if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, m->name, types[t], &ans)))
			return;
		if (ans.bogus)
			m->bogus = true;
		if (ans.status == INKAN_DNS_SERVFAIL || ans.status == INKAN_DNS_TIMEOUT) {
			m->dns_error = true;
			all_secure = false;
			continue;
		}
		if (ans.secure)
			any_secure = true;
		else
			all_secure = false;
		if (ans.canonname != NULL) {
			m->cname = true;
			m->canon = ans.canonname;
		}
		for (size_t i = 0; i < ans.nrr; i++) {
			struct chk_addr *ad;
			char buf[INKAN_IP_STRLEN];

			if (ans.rr[i].type != types[t])
				continue;
			m->resolves = true;
			if (t == 1)
				m->has_v6 = true;
			if (m->naddrs == INKAN_CHECK_MAX_ADDRS)
				continue;
			ad = &m->addrs[m->naddrs];
			if (inkan_dns_rr_ip(&ans.rr[i], &ad->ip) != 0)
				continue;
			inkan_ip_format(&ad->ip, buf, sizeof(buf));
			if ((ad->text = inkan_arena_strdup(c->a, buf)) == NULL) {
				c->err = INKAN_ENOMEM;
				return;
			}
			m->naddrs++;
		}
	}
	m->secure = any_secure && all_secure && !m->bogus;
}

static void
no_mx(struct chk *c)
{
	struct inkan_dns_answer a4, a6;
	struct inkan_check_item *it;

	if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, c->domain, INKAN_DNS_A, &a4)) ||
	    inkan__chk_fail(c, inkan_dns_query(c->r, c->a, c->domain, INKAN_DNS_AAAA, &a6)))
		return;
	if (a4.status == INKAN_DNS_OK || a6.status == INKAN_DNS_OK) {
		c->implicit_mx = true;
		it = ITEM("mx-present", INKAN_CHECK_WARN, NULL,
		    "Publish an MX record naming the host that receives mail for the domain. "
		    "If the domain takes no mail, publish a Null MX (\"MX 0 .\", RFC 7505) "
		    "so that senders stop trying its address.",
		    "No MX record: senders deliver to the domain's own address (implicit MX, "
		    "RFC 5321 §5.1)");
		inkan__chk_ev(c, it, "MX %s: NODATA", c->domain);
		for (size_t i = 0; i < a4.nrr; i++)
			inkan__chk_ev(c, it, "A %s", rr_text(c, &a4.rr[i]));
		for (size_t i = 0; i < a6.nrr; i++)
			inkan__chk_ev(c, it, "AAAA %s", rr_text(c, &a6.rr[i]));
		/* The domain itself is then the one mail host. */
		if ((c->mx = inkan_arena_zalloc(c->a, sizeof(*c->mx))) == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		c->mx[0].name = c->domain;
		c->mx[0].examined = true;
		c->nmx = 1;
		resolve_host(c, &c->mx[0]);
		return;
	}
	it = ITEM("mx-present", INKAN_CHECK_WARN, NULL, parked_advice,
	    "No MX record and no address: the domain cannot receive mail, but senders "
	    "keep retrying for days instead of failing at once");
	inkan__chk_ev(c, it, "MX %s: %s", c->domain, "NODATA");
	inkan__chk_ev(c, it, "A %s: %s, AAAA: %s", c->domain, inkan_dns_status_name(a4.status),
	    inkan_dns_status_name(a6.status));
}

void
inkan__chk_mx(struct chk *c)
{
	struct inkan_dns_answer ans;
	struct inkan_check_item *it;
	size_t nnull = 0, nreal = 0, nv6 = 0, nres = 0;
	unsigned null_pref = 0;

	if (inkan__chk_fail(c, inkan_dns_query(c->r, c->a, c->domain, INKAN_DNS_MX, &ans)))
		return;
	c->domain_exists = ans.status != INKAN_DNS_NXDOMAIN;
	if (ans.bogus) {
		/* Validating senders get SERVFAIL: they cannot deliver at all. */
		c->mx_dns_error = true;
		it = ITEM("mx-present", INKAN_CHECK_FAIL, NULL,
		    "Re-sign the zone (or fix the DS record at the parent): validating "
		    "senders cannot look up where to deliver.",
		    "The MX records fail DNSSEC validation (bogus)");
		inkan__chk_ev(c, it, "MX %s: bogus (%s)", c->domain, ans.why ? ans.why : "");
		for (size_t i = 0; i < ans.nrr; i++)
			inkan__chk_ev(c, it, "MX %s (unvalidated)", rr_text(c, &ans.rr[i]));
		return;
	}
	switch (ans.status) {
	case INKAN_DNS_NXDOMAIN:
		it = ITEM("mx-present", INKAN_CHECK_FAIL, NULL,
		    "Check the spelling; a domain that does not exist in DNS can neither "
		    "send nor receive mail.", "The domain does not exist (NXDOMAIN)");
		inkan__chk_ev(c, it, "MX %s: NXDOMAIN", c->domain);
		return;
	case INKAN_DNS_SERVFAIL:
	case INKAN_DNS_TIMEOUT:
		c->mx_dns_error = true;
		it = ITEM("mx-present", INKAN_CHECK_ERROR, NULL,
		    "Senders cannot look up where to deliver; check the domain's name servers "
		    "(and DNSSEC signatures).", "The MX lookup failed: %s%s%s",
		    inkan_dns_status_name(ans.status), ans.why ? ": " : "", ans.why ? ans.why : "");
		inkan__chk_ev(c, it, "MX %s: %s", c->domain, inkan_dns_status_name(ans.status));
		return;
	case INKAN_DNS_NODATA:
		no_mx(c);
		return;
	case INKAN_DNS_OK:
		break;
	}
	if ((c->mx = inkan_arena_zalloc(c->a, (ans.nrr ? ans.nrr : 1) * sizeof(*c->mx))) == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	for (size_t i = 0; i < ans.nrr; i++) {
		unsigned pref;
		char *ex;

		if (ans.rr[i].type != INKAN_DNS_MX ||
		    inkan_dns_rr_mx(c->a, &ans.rr[i], &pref, &ex) != 0)
			continue;
		if (ex[0] == '\0') {
			nnull++;
			null_pref = pref;
			continue;
		}
		c->mx[nreal].name = inkan_dname_lower(c->a, ex, strlen(ex));
		c->mx[nreal].pref = pref;
		if (c->mx[nreal].name == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		nreal++;
	}
	qsort(c->mx, nreal, sizeof(*c->mx), cmp_pref);
	c->nmx = nreal;

	if (nnull > 0) {
		if (nreal > 0) {
			it = ITEM("mx-null", INKAN_CHECK_FAIL, NULL,
			    "A Null MX must be the only MX record (RFC 7505 §3): remove it if "
			    "the domain takes mail, or remove the other MX records if not.",
			    "Null MX published together with %zu other MX record%s", nreal,
			    nreal == 1 ? "" : "s");
		} else {
			c->null_mx = true;
			it = ITEM("mx-null", null_pref == 0 ? INKAN_CHECK_INFO : INKAN_CHECK_WARN,
			    NULL, null_pref == 0 ? NULL :
			    "RFC 7505 §3 says the Null MX has preference 0.",
			    "Null MX (RFC 7505): the domain accepts no mail; senders fail at once "
			    "instead of retrying, and mail with this domain in the envelope sender "
			    "may be refused (§4.2), since bounces could not come back");
		}
		for (size_t i = 0; i < ans.nrr; i++)
			inkan__chk_ev(c, it, "MX %s", rr_text(c, &ans.rr[i]));
		if (nreal == 0)
			return;
	}

	it = ITEM("mx-present", INKAN_CHECK_PASS, NULL, NULL, "%zu MX record%s", nreal,
	    nreal == 1 ? "" : "s");
	for (size_t i = 0; i < ans.nrr; i++)
		inkan__chk_ev(c, it, "MX %s", rr_text(c, &ans.rr[i]));
	if (nreal > INKAN_CHECK_MAX_MX)
		inkan__chk_ev(c, it, "only the first %d hosts are examined", INKAN_CHECK_MAX_MX);

	for (size_t i = 0; i < nreal && i < INKAN_CHECK_MAX_MX; i++) {
		struct chk_mx *m = &c->mx[i];

		m->examined = true;
		if (looks_like_ip(m->name)) {
			m->ip_literal = true;
			it = ITEM("mx-ip-literal", INKAN_CHECK_FAIL, m->name,
			    "An MX record names a host, not an address (RFC 5321 §5.1): publish "
			    "an A/AAAA record for a name such as mx.<domain> and point the MX at "
			    "that name.", "MX target %s is an IP address: senders look it up as a "
			    "host name, find nothing, and cannot deliver", m->name);
			inkan__chk_ev(c, it, "MX %u %s.", m->pref, m->name);
			continue;
		}
		resolve_host(c, m);
		if (c->err)
			return;
		if (m->cname) {
			it = ITEM("mx-cname", INKAN_CHECK_WARN, m->name,
			    "Point the MX record at the canonical name (RFC 2181 §10.3, RFC 5321 "
			    "§5.1): some senders refuse an alias or look it up differently.",
			    "MX host %s is an alias (CNAME) of %s", m->name, m->canon);
			inkan__chk_ev(c, it, "%s CNAME %s", m->name, m->canon);
		}
		if (m->resolves) {
			nres++;
			if (m->has_v6)
				nv6++;
		} else if (m->dns_error) {
			it = ITEM("mx-resolve", INKAN_CHECK_ERROR, m->name,
			    "Check the name servers of the MX host's zone.",
			    "The address lookup of MX host %s failed", m->name);
		} else if (!m->ip_literal) {
			it = ITEM("mx-resolve", INKAN_CHECK_FAIL, m->name,
			    "Publish an A (and AAAA) record for the MX host, or fix the MX record "
			    "to name a host that exists.",
			    "MX host %s has no address (no A or AAAA record)", m->name);
		}
		for (size_t k = 0; k < m->naddrs; k++) {
			const char *kind = private_kind(&m->addrs[k].ip);

			if (kind == NULL)
				continue;
			it = ITEM("mx-address", INKAN_CHECK_WARN, m->name,
			    "Publish the host's public address; senders on the Internet cannot "
			    "reach this one.", "MX host %s has a %s address %s", m->name, kind,
			    m->addrs[k].text);
		}
	}
	if (nres > 0 && nres == (nreal < INKAN_CHECK_MAX_MX ? nreal : INKAN_CHECK_MAX_MX)) {
		it = ITEM("mx-resolve", INKAN_CHECK_PASS, NULL, NULL, "Every MX host has an address");
		for (size_t i = 0; i < c->nmx && c->mx[i].examined; i++)
			for (size_t k = 0; k < c->mx[i].naddrs; k++)
				inkan__chk_ev(c, it, "%s %s %s", c->mx[i].name,
				    c->mx[i].addrs[k].ip.family == 4 ? "A" : "AAAA",
				    c->mx[i].addrs[k].text);
	}
	if (nres == 0)
		return;
	if (nv6 == nres) {
		it = ITEM("mx-ipv6", INKAN_CHECK_PASS, NULL, NULL,
		    "Every MX host is reachable over IPv6");
	} else {
		it = ITEM("mx-ipv6", INKAN_CHECK_WARN, NULL,
		    "Publish AAAA records for the MX hosts so that IPv6-only senders can "
		    "deliver.", "%zu of %zu MX hosts have no IPv6 address", nres - nv6, nres);
		for (size_t i = 0; i < c->nmx && c->mx[i].examined; i++)
			if (c->mx[i].resolves && !c->mx[i].has_v6)
				inkan__chk_ev(c, it, "%s: no AAAA", c->mx[i].name);
	}
}
