/* sts.c - the sending-side TLS policy of a next-hop domain: DANE first,
 * then MTA-STS, then nothing (see sts.h for the rules).
 *
 * DANE is decided from DNS alone: the MX RRset must validate (RFC 7672
 * §2.2.1), then each MX host's TLSA RRset is looked up (lib/dane
 * lookup.c).  Any bogus or failed answer on that path is TEMPFAIL: were
 * it treated as "no DANE", an attacker able to break DNSSEC answers
 * would choose the weaker policy, and RFC 8461 §2 forbids letting
 * MTA-STS stand in for DANE.
 *
 * MTA-STS runs over the policy cache (cache.c): a cached policy whose TXT
 * id is unchanged is used as it is; an id change, or a policy close to
 * expiry, is re-fetched; when that fetch fails the cached policy stays
 * in force until it expires (RFC 8461 §5.1), and a policy whose TXT
 * record has gone is used until it expires too (§10.2: removal goes
 * through a "none" policy, so a vanished record alone changes nothing).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/dane.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/sts.h"
#include "sts_int.h"

struct inkan_sts {
	struct inkan_sts_opts o;
	char *cache_path;
	sqlite3 *db;
};

const char *
inkan_sts_kind_name(enum inkan_sts_kind k)
{
	switch (k) {
	case INKAN_STS_NONE:
		return "none";
	case INKAN_STS_DANE_ONLY:
		return "dane-only";
	case INKAN_STS_DANE:
		return "dane";
	case INKAN_STS_STS_ENFORCE:
		return "sts-enforce";
	case INKAN_STS_STS_TESTING:
		return "sts-testing";
	case INKAN_STS_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}

const char *
inkan_sts_cache_state_name(enum inkan_sts_cache_state c)
{
	switch (c) {
	case INKAN_STS_CACHE_NONE:
		return "none";
	case INKAN_STS_CACHE_FETCHED:
		return "fetched";
	case INKAN_STS_CACHE_FRESH:
		return "fresh";
	case INKAN_STS_CACHE_STALE:
		return "stale";
	}
	return "?";
}

/* ---- next-hop ---- */

static bool
is_port(const char *p, size_t n)
{
	/* Postfix accepts a number or a service name after the colon. */
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(p[i] >= '0' && p[i] <= '9') && !(p[i] >= 'a' && p[i] <= 'z') &&
		    !(p[i] >= 'A' && p[i] <= 'Z') && p[i] != '-')
			return false;
	return true;
}

int
inkan_sts_nexthop_domain(struct inkan_arena *a, const char *nexthop, const char **domain,
    const char **why)
{
	const char *p, *name, *w = NULL;
	size_t n;
	struct inkan_ip ip;
	bool ascii = true;
	char *out;

	*domain = NULL;
	if (why != NULL)
		*why = NULL;
	if (nexthop == NULL) {
		w = "no next-hop";
		goto bad;
	}
	n = strlen(nexthop);
	if (nexthop[0] == '[') {
		/* "[name]" or "[name]:port": MX lookups suppressed, but the
		 * policy domain is still the name (postfix-mta-sts-resolver
		 * and Postfix's own TLS policy lookup agree). */
		if ((p = memchr(nexthop, ']', n)) == NULL) {
			w = "unbalanced '['";
			goto bad;
		}
		name = nexthop + 1;
		n = (size_t)(p - name);
		if (p[1] != '\0' && (p[1] != ':' || !is_port(p + 2, strlen(p + 2)))) {
			w = "junk after ']'";
			goto bad;
		}
		if (n >= 5 && strncasecmp(name, "ipv6:", 5) == 0) {
			w = "an address literal has no policy domain";
			goto bad;
		}
	} else {
		name = nexthop;
		if ((p = memchr(nexthop, ':', n)) != NULL) {
			if (memchr(p + 1, ':', strlen(p + 1)) != NULL) {
				w = "an address literal has no policy domain";
				goto bad;
			}
			if (!is_port(p + 1, strlen(p + 1))) {
				w = "bad port after ':'";
				goto bad;
			}
			n = (size_t)(p - name);
		}
	}
	/* "192.0.2.1." is the address too (the fuzzer found it passing as
	 * a name and failing on its own output). */
	if (inkan_ip_parse(name, n, &ip) == 0 ||
	    (n > 1 && name[n - 1] == '.' && inkan_ip_parse(name, n - 1, &ip) == 0)) {
		w = "an address literal has no policy domain";
		goto bad;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] >= 0x80)
			ascii = false;
	if (!ascii) {
		/* SMTPUTF8 next-hops: the policy domain is the A-label form. */
		if (inkan_dname_to_ascii(a, name, n, &out, &w) != 0) {
			if (w == NULL)
				return INKAN_ENOMEM;
			goto bad;
		}
		name = out;
		n = strlen(out);
	}
	if (inkan_dname_check(name, n, INKAN_DNAME_HOSTNAME, &w) != 0)
		goto bad;
	if ((out = inkan_dname_lower(a, name, n)) == NULL)
		return INKAN_ENOMEM;
	*domain = out;
	return 0;
bad:
	if (why != NULL)
		*why = w;
	return INKAN_EINVAL;
}

/* ---- handle ---- */

static int64_t
now(const struct inkan_sts *s)
{
	return s->o.now != NULL ? s->o.now(s->o.now_arg) : (int64_t)time(NULL);
}

int
inkan_sts_new(const struct inkan_sts_opts *o, struct inkan_sts **out, const char **why)
{
	struct inkan_sts *s;
	int rc;

	*out = NULL;
	if (o == NULL || o->resolver == NULL) {
		if (why != NULL)
			*why = "a resolver is required";
		return INKAN_EINVAL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return INKAN_ENOMEM;
	s->o = *o;
	if (s->o.port == 0)
		s->o.port = 25;
	if (s->o.refresh_before == 0)
		s->o.refresh_before = INKAN_STS_REFRESH_BEFORE;
	if (o->cache_path != NULL && (s->cache_path = strdup(o->cache_path)) == NULL) {
		free(s);
		return INKAN_ENOMEM;
	}
	s->o.cache_path = s->cache_path;
	if ((rc = inkan__sts_cache_open(s->cache_path, &s->db, why)) != 0) {
		free(s->cache_path);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
inkan_sts_free(struct inkan_sts *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s->cache_path);
	free(s);
}

/* ---- lookup ---- */

static void
ttl_min(struct inkan_sts_answer *out, uint32_t ttl)
{
	if (ttl < out->ttl)
		out->ttl = ttl;
}

static int
mx_cmp(const void *x, const void *y)
{
	const struct inkan_sts_host *h1 = x, *h2 = y;

	return h1->pref < h2->pref ? -1 : h1->pref > h2->pref;
}

/* The DANE stage.  Sets *decided when the answer is final (DANE,
 * DANE_ONLY, TEMPFAIL, or a Null MX); otherwise leaves a note in *note. */
static int
dane_stage(struct inkan_sts *s, struct inkan_arena *a, struct inkan_sts_answer *out,
    bool *decided, const char **note)
{
	struct inkan_dns_answer mx;
	size_t usable = 0, secure = 0, n = 0;
	const char *fail = NULL;
	int rc;

	*decided = false;
	if ((rc = inkan_dns_query(s->o.resolver, a, out->domain, INKAN_DNS_MX, &mx)) != 0)
		return rc;
	ttl_min(out, mx.ttl);
	if (mx.bogus) {
		out->kind = INKAN_STS_TEMPFAIL;
		out->why = inkan_arena_printf(a, "the MX RRset of %s is DNSSEC-bogus (%s): "
		    "never downgraded to MTA-STS (RFC 7672 §2.2, RFC 8461 §2)", out->domain,
		    mx.why ? mx.why : "validation failed");
		*decided = true;
		return out->why ? 0 : INKAN_ENOMEM;
	}
	if (mx.status == INKAN_DNS_SERVFAIL || mx.status == INKAN_DNS_TIMEOUT) {
		out->kind = INKAN_STS_TEMPFAIL;
		out->why = inkan_arena_printf(a, "the MX lookup of %s failed: %s%s%s", out->domain,
		    inkan_dns_status_name(mx.status), mx.why ? ": " : "", mx.why ? mx.why : "");
		*decided = true;
		return out->why ? 0 : INKAN_ENOMEM;
	}
	if (mx.status == INKAN_DNS_NXDOMAIN) {
		*note = "the domain does not exist (NXDOMAIN)";
		return 0;
	}
	out->mx_secure = mx.secure;
	if (!mx.secure) {
		*note = "the MX RRset is not DNSSEC-secure, so DANE is not decided here "
		    "(RFC 7672 §2.2.1)";
		return 0;
	}
	if (mx.status == INKAN_DNS_OK && mx.nrr > 0) {
		if ((out->hosts = inkan_arena_zalloc(a, mx.nrr * sizeof(*out->hosts))) == NULL)
			return INKAN_ENOMEM;
		for (size_t i = 0; i < mx.nrr; i++) {
			char *ex;
			unsigned pref;

			if (inkan_dns_rr_mx(a, &mx.rr[i], &pref, &ex) != 0)
				continue;
			if (ex[0] == '\0') {
				/* RFC 7505: the domain takes no mail. */
				out->kind = INKAN_STS_NONE;
				out->why = "Null MX (RFC 7505): the domain accepts no mail";
				*decided = true;
				return 0;
			}
			out->hosts[n].name = inkan_dname_lower(a, ex, strlen(ex));
			if (out->hosts[n].name == NULL)
				return INKAN_ENOMEM;
			out->hosts[n++].pref = pref;
		}
		qsort(out->hosts, n, sizeof(*out->hosts), mx_cmp);
	} else {
		/* RFC 5321 §5.1: no MX, the domain itself is the host. */
		if ((out->hosts = inkan_arena_zalloc(a, sizeof(*out->hosts))) == NULL)
			return INKAN_ENOMEM;
		out->hosts[0].name = out->domain;
		n = 1;
	}
	if (n > INKAN_STS_MAX_MX)
		n = INKAN_STS_MAX_MX;
	out->nhosts = n;
	for (size_t i = 0; i < n; i++) {
		struct inkan_sts_host *h = &out->hosts[i];
		struct inkan_dane_host_lookup dl;

		rc = inkan_dane_tlsa_lookup(s->o.resolver, a, h->name, s->o.port, &dl);
		if (rc == INKAN_EINVAL)
			continue;	/* an MX name that is no host name: no DANE there */
		if (rc != 0)
			return rc;
		ttl_min(out, dl.ttl);
		h->tlsa_name = dl.tlsa_name;
		h->tlsa_bogus = dl.tlsa_bogus || dl.addr_bogus;
		h->tlsa_secure = dl.status == INKAN_DANE_HOST_USABLE;
		h->tlsa = dl.tlsa_text;
		h->ntlsa = dl.ntlsa;
		switch (dl.status) {
		case INKAN_DANE_HOST_USABLE:
			usable++;
			secure++;
			break;
		case INKAN_DANE_HOST_UNUSABLE:
			secure++;
			break;
		case INKAN_DANE_HOST_TEMPFAIL:
			if (fail == NULL)
				fail = dl.why;
			break;
		case INKAN_DANE_HOST_NONE:
			break;
		}
	}
	if (fail != NULL) {
		out->kind = INKAN_STS_TEMPFAIL;
		out->why = inkan_arena_printf(a, "%s: never downgraded to MTA-STS "
		    "(RFC 8461 §2)", fail);
		*decided = true;
		return out->why ? 0 : INKAN_ENOMEM;
	}
	if (secure == 0) {
		*note = "the MX RRset is secure but no MX host has a secure TLSA RRset";
		return 0;
	}
	*decided = true;
	if (usable == n && usable == out->nhosts && mx.nrr <= INKAN_STS_MAX_MX) {
		out->kind = INKAN_STS_DANE_ONLY;
		out->postfix = "dane-only";
		out->why = inkan_arena_printf(a, "DANE: every MX host of %s (%zu) has a secure, "
		    "usable TLSA RRset", out->domain, n);
	} else {
		out->kind = INKAN_STS_DANE;
		out->postfix = "dane";
		out->why = inkan_arena_printf(a, "DANE: %zu of %zu MX hosts of %s have a secure "
		    "TLSA RRset (%zu usable)", secure, n, out->domain, usable);
	}
	return out->why ? 0 : INKAN_ENOMEM;
}

/* Postfix's match list from the policy's mx patterns: "*.example.com"
 * becomes ".example.com" (Postfix's "any subdomain"; see sts.h). */
static char *
postfix_value(struct inkan_arena *a, const struct inkan_mtasts_policy *p)
{
	size_t len = sizeof("secure match= servername=hostname");
	char *v, *q;

	for (size_t i = 0; i < p->nmx; i++)
		len += strlen(p->mx[i]) + 1;
	if ((v = inkan_arena_alloc(a, len)) == NULL)
		return NULL;
	q = v;
	q += snprintf(q, len, "secure match=");
	for (size_t i = 0; i < p->nmx; i++) {
		const char *m = p->mx[i];

		if (m[0] == '*' && m[1] == '.')
			m++;
		q += snprintf(q, len - (size_t)(q - v), "%s%s", i ? ":" : "", m);
	}
	snprintf(q, len - (size_t)(q - v), " servername=hostname");
	return v;
}

static int64_t
refresh_at(const struct inkan_sts *s, const struct sts_row *row)
{
	int64_t before = s->o.refresh_before;

	/* A short max_age refreshes in its second half, not at every use. */
	if (before > row->max_age / 2)
		before = row->max_age / 2;
	return row->expires_at - before;
}

/* Use the cached row: parse its body and fill the MTA-STS part. */
static int
use_row(struct inkan_sts *s, struct inkan_arena *a, struct inkan_sts_answer *out,
    const struct sts_row *row, int64_t t, bool *ok)
{
	int rc;

	*ok = false;
	rc = inkan_mtasts_policy_parse(a, row->body, strlen(row->body), &out->policy, NULL);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		/* A row this code did not write: forget it. */
		(void)inkan__sts_cache_delete(s->db, out->domain);
		return 0;
	}
	out->sts = INKAN_MTASTS_VALID;
	out->policy_id = row->id;
	out->policy_text = row->body;
	out->fetched_at = row->fetched_at;
	out->expires_at = row->expires_at;
	if (row->expires_at - t < (int64_t)out->ttl)
		out->ttl = (uint32_t)(row->expires_at - t);
	*ok = true;
	return 0;
}

static int
fetch_into(struct inkan_sts *s, struct inkan_arena *a, const char *domain, const char *id,
    int64_t t, struct sts_row *row, const char **error)
{
	struct inkan_mtasts_fetch_opts fo = s->o.fetch;
	struct inkan_mtasts_fetch_result fr;
	int rc;

	*error = NULL;
	if (fo.resolver == NULL)
		fo.resolver = s->o.resolver;
	if (s->o.fetch_fn != NULL)
		rc = s->o.fetch_fn(s->o.fetch_arg, a, domain, &fo, &fr);
	else
		rc = inkan_mtasts_fetch(a, domain, &fo, &fr);
	if (rc == INKAN_EINVAL) {
		*error = "the policy host is not a valid name";
		return 0;
	}
	if (rc != 0)
		return rc;
	if (fr.status != INKAN_MTASTS_FETCH_OK) {
		*error = inkan_arena_printf(a, "%s: %s", inkan_mtasts_fetch_fail_name(fr.fail),
		    fr.why ? fr.why : "fetch failed");
		return *error ? 0 : INKAN_ENOMEM;
	}
	memset(row, 0, sizeof(*row));
	row->found = true;
	row->id = id;
	row->body = fr.body;
	row->mode = inkan_mtasts_mode_name(fr.policy.mode);
	row->max_age = fr.policy.max_age;
	row->fetched_at = t;
	row->expires_at = t + (int64_t)fr.policy.max_age;
	row->last_checked = t;
	return inkan__sts_cache_put(s->db, domain, row);
}

static int
sts_stage(struct inkan_sts *s, struct inkan_arena *a, struct inkan_sts_answer *out, int64_t t,
    const char *dane_note)
{
	struct inkan_mtasts_lookup lk;
	struct sts_row row, fresh;
	const char *error = NULL, *how;
	bool ok = false;
	int rc;

	if ((rc = inkan_mtasts_record_lookup(s->o.resolver, a, out->domain, &lk)) != 0)
		return rc;
	if ((rc = inkan__sts_cache_get(s->db, a, out->domain, t, &row)) != 0)
		return rc;
	if (lk.status != INKAN_MTASTS_RECORD_TEMPERROR)
		ttl_min(out, lk.ttl);
	out->sts = INKAN_MTASTS_NONE;
	switch (lk.status) {
	case INKAN_MTASTS_RECORD_FOUND:
		if (row.found && strcmp(row.id, lk.record.id) == 0 && t < refresh_at(s, &row)) {
			out->cache = INKAN_STS_CACHE_FRESH;
			if ((rc = use_row(s, a, out, &row, t, &ok)) != 0)
				return rc;
			if (ok)
				break;
			row.found = false;
		}
		if ((rc = fetch_into(s, a, out->domain, lk.record.id, t, &fresh, &error)) != 0)
			return rc;
		if (error == NULL) {
			out->cache = INKAN_STS_CACHE_FETCHED;
			if ((rc = use_row(s, a, out, &fresh, t, &ok)) != 0)
				return rc;
			break;
		}
		out->fetch_error = error;
		if (row.found) {
			(void)inkan__sts_cache_touch(s->db, out->domain, t, error);
			out->cache = INKAN_STS_CACHE_STALE;
			if ((rc = use_row(s, a, out, &row, t, &ok)) != 0)
				return rc;
			if (out->ttl > INKAN_STS_RETRY_TTL)
				out->ttl = INKAN_STS_RETRY_TTL;
			if (ok)
				break;
		}
		out->sts = INKAN_MTASTS_FETCH_ERROR;
		if (out->ttl > INKAN_STS_RETRY_TTL)
			out->ttl = INKAN_STS_RETRY_TTL;
		out->kind = INKAN_STS_NONE;
		out->policy_id = lk.record.id;
		out->why = inkan_arena_printf(a, "%s; MTA-STS record (id %s) but no valid policy: "
		    "%s", dane_note, lk.record.id, error);
		return out->why ? 0 : INKAN_ENOMEM;
	case INKAN_MTASTS_RECORD_TEMPERROR:
		out->fetch_error = lk.why;
		if (row.found) {
			out->cache = t < refresh_at(s, &row) ? INKAN_STS_CACHE_FRESH :
			    INKAN_STS_CACHE_STALE;
			if ((rc = use_row(s, a, out, &row, t, &ok)) != 0)
				return rc;
			if (out->ttl > INKAN_STS_RETRY_TTL)
				out->ttl = INKAN_STS_RETRY_TTL;
			if (ok)
				break;
		}
		out->sts = INKAN_MTASTS_FETCH_ERROR;
		if (out->ttl > INKAN_STS_RETRY_TTL)
			out->ttl = INKAN_STS_RETRY_TTL;
		out->kind = INKAN_STS_NONE;
		out->why = inkan_arena_printf(a, "%s; the MTA-STS record lookup failed (%s) and "
		    "nothing is cached", dane_note, lk.why ? lk.why : "temperror");
		return out->why ? 0 : INKAN_ENOMEM;
	default:
		/* No (usable) record: a cached policy stays until it expires
		 * (RFC 8461 §10.2). */
		if (row.found) {
			out->cache = INKAN_STS_CACHE_FRESH;
			if ((rc = use_row(s, a, out, &row, t, &ok)) != 0)
				return rc;
			if (ok)
				break;
		}
		out->kind = INKAN_STS_NONE;
		out->why = inkan_arena_printf(a, "%s; no MTA-STS policy (%s: %s)", dane_note,
		    inkan_mtasts_record_status_name(lk.status), lk.why ? lk.why : "");
		return out->why ? 0 : INKAN_ENOMEM;
	}

	how = out->cache == INKAN_STS_CACHE_FETCHED ? "fetched now" :
	    out->cache == INKAN_STS_CACHE_STALE ? "cached, refresh failed: kept until it expires" :
	    "from cache";
	switch (out->policy.mode) {
	case INKAN_MTASTS_MODE_ENFORCE:
		out->kind = INKAN_STS_STS_ENFORCE;
		if ((out->postfix = postfix_value(a, &out->policy)) == NULL)
			return INKAN_ENOMEM;
		break;
	case INKAN_MTASTS_MODE_TESTING:
		out->kind = INKAN_STS_STS_TESTING;
		break;
	case INKAN_MTASTS_MODE_NONE:
		out->kind = INKAN_STS_NONE;
		break;
	}
	out->why = inkan_arena_printf(a, "%s; MTA-STS policy mode %s, id %s (%s)%s%s", dane_note,
	    inkan_mtasts_mode_name(out->policy.mode), out->policy_id, how,
	    out->fetch_error ? ": " : "", out->fetch_error ? out->fetch_error : "");
	return out->why ? 0 : INKAN_ENOMEM;
}

int
inkan_sts_lookup(struct inkan_sts *s, struct inkan_arena *a, const char *nexthop,
    struct inkan_sts_answer *out)
{
	const char *why = NULL, *note = "DANE not considered";
	bool decided = false;
	int64_t t;
	int rc;

	memset(out, 0, sizeof(*out));
	out->ttl = UINT32_MAX;
	out->sts = INKAN_MTASTS_NONE;
	if (s == NULL || a == NULL)
		return INKAN_EINVAL;
	t = now(s);
	rc = inkan_sts_nexthop_domain(a, nexthop, &out->domain, &why);
	if (rc == INKAN_ENOMEM)
		return rc;
	if (rc != 0) {
		out->kind = INKAN_STS_NONE;
		out->domain = nexthop != NULL ? inkan_arena_strdup(a, nexthop) : "";
		out->why = inkan_arena_printf(a, "\"%s\" is not a policy domain: %s",
		    nexthop != NULL ? nexthop : "", why);
		out->ttl = 0;
		return out->why != NULL && out->domain != NULL ? 0 : INKAN_ENOMEM;
	}
	if (!s->o.no_dane) {
		if ((rc = dane_stage(s, a, out, &decided, &note)) != 0)
			return rc;
	}
	if (!decided && (rc = sts_stage(s, a, out, t, note)) != 0)
		return rc;
	if (out->ttl == UINT32_MAX)
		out->ttl = 0;
	if (out->kind == INKAN_STS_TEMPFAIL && out->ttl > INKAN_STS_TEMPFAIL_TTL)
		out->ttl = INKAN_STS_TEMPFAIL_TTL;
	return 0;
}

/* ---- refresh ---- */

int
inkan_sts_refresh(struct inkan_sts *s, size_t max)
{
	struct inkan_arena *list, *a;
	const char **due;
	size_t n;
	int64_t t = now(s);
	int rc, count = 0;

	if (s == NULL)
		return INKAN_EINVAL;
	if ((list = inkan_arena_new()) == NULL)
		return INKAN_ENOMEM;
	if ((a = inkan_arena_new()) == NULL) {
		inkan_arena_free(list);
		return INKAN_ENOMEM;
	}
	rc = inkan__sts_cache_due(s->db, list, t, s->o.refresh_before, max, &due, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct inkan_mtasts_lookup lk;
		struct sts_row row, fresh;
		const char *error = NULL;

		inkan_arena_reset(a);
		if ((rc = inkan__sts_cache_get(s->db, a, due[i], t, &row)) != 0 || !row.found)
			continue;
		if ((rc = inkan_mtasts_record_lookup(s->o.resolver, a, due[i], &lk)) != 0)
			break;
		if (lk.status == INKAN_MTASTS_RECORD_FOUND &&
		    (strcmp(lk.record.id, row.id) != 0 || t >= refresh_at(s, &row))) {
			if ((rc = fetch_into(s, a, due[i], lk.record.id, t, &fresh, &error)) != 0)
				break;
			if (error == NULL) {
				count++;
				continue;
			}
		} else if (lk.status != INKAN_MTASTS_RECORD_FOUND) {
			error = lk.why != NULL ? lk.why : inkan_mtasts_record_status_name(lk.status);
		}
		rc = inkan__sts_cache_touch(s->db, due[i], t, error);
	}
	inkan_arena_free(a);
	inkan_arena_free(list);
	return rc != 0 ? rc : count;
}

/* ---- TLS-RPT ---- */

int
inkan_sts_tlsrpt_policy(struct inkan_arena *a, const struct inkan_sts_answer *ans,
    const char **type, const char ***strings, size_t *n)
{
	const char **v;
	size_t cap = 0, k = 0;

	*type = "no-policy-found";
	*strings = NULL;
	*n = 0;
	if (ans->kind == INKAN_STS_DANE || ans->kind == INKAN_STS_DANE_ONLY) {
		for (size_t i = 0; i < ans->nhosts; i++)
			cap += ans->hosts[i].ntlsa;
		if ((v = inkan_arena_zalloc(a, (cap + 1) * sizeof(*v))) == NULL)
			return INKAN_ENOMEM;
		for (size_t i = 0; i < ans->nhosts; i++)
			for (size_t j = 0; j < ans->hosts[i].ntlsa; j++)
				v[k++] = ans->hosts[i].tlsa[j];
		*type = "tlsa";
	} else if (ans->policy_text != NULL && ans->sts == INKAN_MTASTS_VALID) {
		const char *p = ans->policy_text, *e;

		for (e = p; *e; e++)
			cap += *e == '\n';
		if ((v = inkan_arena_zalloc(a, (cap + 2) * sizeof(*v))) == NULL)
			return INKAN_ENOMEM;
		/* RFC 8460 §4.3: the policy's lines, CRLF or LF removed. */
		while (*p != '\0') {
			size_t len;

			e = strchr(p, '\n');
			len = e != NULL ? (size_t)(e - p) : strlen(p);
			if (len > 0 && p[len - 1] == '\r')
				len--;
			if (len > 0 && (v[k++] = inkan_arena_strndup(a, p, len)) == NULL)
				return INKAN_ENOMEM;
			p += e != NULL ? (size_t)(e - p) + 1 : strlen(p);
		}
		*type = "sts";
	} else {
		return 0;
	}
	*strings = v;
	*n = k;
	return 0;
}
