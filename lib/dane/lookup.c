/* lookup.c - the TLSA lookup for an SMTP server (RFC 7672 §2.2.2).
 *
 * A sending MTA trusts TLSA records only when the whole path to them is
 * DNSSEC-secure: the MX host's address records, the CNAMEs they went
 * through, and the TLSA RRset itself.  A bogus or failed lookup is not
 * "no DANE": an attacker who can make answers bogus could otherwise
 * downgrade the connection, so the host is unusable for now (TEMPFAIL).
 *
 * When the host name is an alias whose expansion validated, the TLSA
 * records are asked at the expanded name first (the name of the server
 * that will answer) and then at the name as the MX record gave it.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"

const char *
inkan_dane_host_status_name(enum inkan_dane_host_status s)
{
	switch (s) {
	case INKAN_DANE_HOST_NONE:
		return "none";
	case INKAN_DANE_HOST_USABLE:
		return "usable";
	case INKAN_DANE_HOST_UNUSABLE:
		return "unusable";
	case INKAN_DANE_HOST_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}

static void
min_ttl(struct inkan_dane_host_lookup *o, uint32_t ttl)
{
	if (ttl < o->ttl)
		o->ttl = ttl;
}

static bool
failed(const struct inkan_dns_answer *ans)
{
	return ans->status == INKAN_DNS_SERVFAIL || ans->status == INKAN_DNS_TIMEOUT;
}

/* Ask for the TLSA RRset at _port._tcp.base.  Returns 0 and sets *found
 * when a secure RRset was taken into out; a final verdict (TEMPFAIL) is
 * left in out->status with *found false and *final true. */
static int
tlsa_at(struct inkan_resolver *r, struct inkan_arena *a, const char *base, unsigned port,
    struct inkan_dane_host_lookup *o, bool *found, bool *final, const char **note)
{
	struct inkan_dns_answer ans;
	struct inkan_dane_lint lint;
	const char *qname;
	int rc;

	*found = *final = false;
	if ((qname = inkan_arena_printf(a, "_%u._tcp.%s", port, base)) == NULL)
		return INKAN_ENOMEM;
	if ((rc = inkan_dns_query(r, a, qname, INKAN_DNS_TLSA, &ans)) != 0)
		return rc;
	o->nqueries++;
	min_ttl(o, ans.ttl);
	if (ans.bogus) {
		o->tlsa_bogus = true;
		o->status = INKAN_DANE_HOST_TEMPFAIL;
		o->why = inkan_arena_printf(a, "TLSA %s is DNSSEC-bogus (%s): the host cannot be "
		    "used (RFC 7672 §2.2)", qname, ans.why ? ans.why : "validation failed");
		*final = true;
		return o->why ? 0 : INKAN_ENOMEM;
	}
	if (failed(&ans)) {
		o->status = INKAN_DANE_HOST_TEMPFAIL;
		o->why = inkan_arena_printf(a, "TLSA lookup %s failed: %s", qname,
		    inkan_dns_status_name(ans.status));
		*final = true;
		return o->why ? 0 : INKAN_ENOMEM;
	}
	if (ans.status != INKAN_DNS_OK || ans.nrr == 0) {
		*note = inkan_arena_printf(a, "no TLSA at %s (%s)", qname,
		    inkan_dns_status_name(ans.status));
		return *note ? 0 : INKAN_ENOMEM;
	}
	if (!ans.secure) {
		*note = inkan_arena_printf(a, "TLSA at %s is not DNSSEC-secure", qname);
		return *note ? 0 : INKAN_ENOMEM;
	}
	o->tlsa = inkan_arena_zalloc(a, ans.nrr * sizeof(*o->tlsa));
	o->tlsa_text = inkan_arena_zalloc(a, ans.nrr * sizeof(*o->tlsa_text));
	if (o->tlsa == NULL || o->tlsa_text == NULL)
		return INKAN_ENOMEM;
	o->ntlsa = 0;
	for (size_t i = 0; i < ans.nrr; i++) {
		struct inkan_dane_tlsa *t = &o->tlsa[o->ntlsa];

		/* A record too short to parse is unusable: skip it, as an
		 * unknown usage would be (RFC 7672 §2.2). */
		if (inkan_dane_tlsa_parse(ans.rr[i].data, ans.rr[i].len, t, NULL) != 0)
			continue;
		if ((o->tlsa_text[o->ntlsa] = inkan_dane_tlsa_text(a, t)) == NULL)
			return INKAN_ENOMEM;
		o->ntlsa++;
	}
	if ((rc = inkan_dane_lint(a, o->tlsa, o->ntlsa, INKAN_DANE_SMTP, &lint)) != 0)
		return rc;
	o->usable = lint.usable;
	o->tlsa_name = qname;
	o->tlsa_secure = true;
	if (o->usable > 0) {
		o->status = INKAN_DANE_HOST_USABLE;
		o->why = inkan_arena_printf(a, "%zu usable TLSA record%s at %s", o->usable,
		    o->usable == 1 ? "" : "s", qname);
	} else {
		o->status = INKAN_DANE_HOST_UNUSABLE;
		o->why = inkan_arena_printf(a, "secure TLSA RRset at %s has no usable record: "
		    "TLS without authentication (RFC 7672 §2.2)", qname);
	}
	*found = true;
	return o->why ? 0 : INKAN_ENOMEM;
}

int
inkan_dane_tlsa_lookup(struct inkan_resolver *r, struct inkan_arena *a, const char *host,
    unsigned port, struct inkan_dane_host_lookup *out)
{
	struct inkan_dns_answer a4, a6;
	const char *canon, *note = NULL, *note2 = NULL;
	bool found, final;
	int rc;

	memset(out, 0, sizeof(*out));
	out->ttl = UINT32_MAX;
	if (port == 0)
		port = 25;
	if (r == NULL || host == NULL || port > 65535)
		return INKAN_EINVAL;
	if (inkan_dname_check(host, strlen(host), INKAN_DNAME_UNDERSCORE | INKAN_DNAME_HOSTNAME,
	    NULL) != 0)
		return INKAN_EINVAL;
	if ((out->host = inkan_dname_lower(a, host, strlen(host))) == NULL)
		return INKAN_ENOMEM;

	/* RFC 7672 §2.2.2: the address records must be secure first. */
	if ((rc = inkan_dns_query(r, a, out->host, INKAN_DNS_A, &a4)) != 0)
		return rc;
	if ((rc = inkan_dns_query(r, a, out->host, INKAN_DNS_AAAA, &a6)) != 0)
		return rc;
	out->nqueries += 2;
	min_ttl(out, a4.ttl);
	min_ttl(out, a6.ttl);
	out->has_addr = (a4.status == INKAN_DNS_OK && a4.nrr > 0) ||
	    (a6.status == INKAN_DNS_OK && a6.nrr > 0);
	if (a4.bogus || a6.bogus) {
		out->addr_bogus = true;
		out->status = INKAN_DANE_HOST_TEMPFAIL;
		out->why = inkan_arena_printf(a, "the address records of %s are DNSSEC-bogus (%s)",
		    out->host, a4.bogus ? (a4.why ? a4.why : "A") : (a6.why ? a6.why : "AAAA"));
		goto done;
	}
	if (failed(&a4) && failed(&a6)) {
		out->status = INKAN_DANE_HOST_TEMPFAIL;
		out->why = inkan_arena_printf(a, "the address lookup of %s failed: %s", out->host,
		    inkan_dns_status_name(a4.status));
		goto done;
	}
	if (!out->has_addr) {
		out->status = INKAN_DANE_HOST_NONE;
		out->why = inkan_arena_printf(a, "%s has no address records (%s)", out->host,
		    failed(&a4) || failed(&a6) ? "one lookup failed" :
		    inkan_dns_status_name(a4.status));
		goto done;
	}
	/* Every answer that counted must have validated: a failed AAAA
	 * next to a secure A leaves the host usable over IPv4. */
	out->addr_secure = (failed(&a4) || a4.secure) && (failed(&a6) || a6.secure);
	if (!out->addr_secure) {
		out->status = INKAN_DANE_HOST_NONE;
		out->why = inkan_arena_printf(a, "the address records of %s are not DNSSEC-secure: "
		    "no DANE (RFC 7672 §2.2.2)", out->host);
		goto done;
	}
	canon = a4.status == INKAN_DNS_OK && a4.nrr > 0 ? a4.canonname : a6.canonname;
	if (canon != NULL && !inkan_dname_equal(canon, strlen(canon), out->host,
	    strlen(out->host))) {
		if ((out->canonname = inkan_dname_lower(a, canon, strlen(canon))) == NULL)
			return INKAN_ENOMEM;
		/* The chain validated (the answer is secure): the expanded
		 * name first (RFC 7672 §2.2.2). */
		if ((rc = tlsa_at(r, a, out->canonname, port, out, &found, &final, &note)) != 0)
			return rc;
		if (found || final)
			goto done;
	}
	if ((rc = tlsa_at(r, a, out->host, port, out, &found, &final, &note2)) != 0)
		return rc;
	if (found || final)
		goto done;
	out->status = INKAN_DANE_HOST_NONE;
	out->why = note != NULL ? inkan_arena_printf(a, "%s; %s", note, note2) : note2;
done:
	if (out->ttl == UINT32_MAX)
		out->ttl = 0;
	return out->why != NULL ? 0 : INKAN_ENOMEM;
}
