/* maillog.c - the Postfix smtp(8) log lines TLS-RPT needs.
 *
 * With smtp_tls_loglevel = 1 (Postfix 2.2 and later, wording unchanged
 * through 3.7) an smtp process logs, per connection:
 *
 *   Verified TLS connection established to mx.example.com[192.0.2.1]:25: TLSv1.3 with ...
 *     (also Trusted, Untrusted, Anonymous; "reused" for a cached session)
 *   server certificate verification failed for mx...[...]:25: num=10:certificate has expired
 *
 * and, per recipient,
 *
 *   4AB12: to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=0.1,
 *     delays=..., dsn=4.7.5, status=deferred (Server certificate not verified)
 *
 * Lines are matched by the program field ".../smtp[PID]" (or lmtp), so a
 * syslog_name such as "postfix-out" works, and the syslog prefix may be
 * the traditional "Mmm dd hh:mm:ss host" or RFC 3339.  Every slice is
 * bounded by the line; nothing here trusts the line to be well formed.
 */
#include <string.h>

#include "proto.h"

static const char *
find(const char *p, const char *end, const char *needle)
{
	size_t nl = strlen(needle);

	if (nl == 0 || (size_t)(end - p) < nl)
		return NULL;
	for (const char *q = p; q + nl <= end; q++) {
		q = memchr(q, needle[0], (size_t)(end - q) - nl + 1);
		if (q == NULL)
			return NULL;
		if (memcmp(q, needle, nl) == 0)
			return q;
	}
	return NULL;
}

static bool
starts(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && memcmp(p, w, n) == 0;
}

/* "HOST[IP]:PORT" at p, ending at a ':' ',' or the end; *after points
 * past it. */
static int
hostaddr(const char *p, const char *end, struct slice *host, struct slice *ip, unsigned *port,
    const char **after)
{
	const char *lb = memchr(p, '[', (size_t)(end - p));
	if (lb == NULL || lb == p)
		return -1;
	const char *rb = memchr(lb, ']', (size_t)(end - lb));
	if (rb == NULL || rb == lb + 1)
		return -1;
	for (const char *q = p; q < lb; q++)
		if (*q == ' ' || *q == ',')
			return -1;
	host->p = p;
	host->len = (size_t)(lb - p);
	ip->p = lb + 1;
	ip->len = (size_t)(rb - lb - 1);
	const char *q = rb + 1;
	*port = 0;
	if (q < end && *q == ':' && q + 1 < end && q[1] >= '0' && q[1] <= '9') {
		q++;
		unsigned v = 0;
		while (q < end && *q >= '0' && *q <= '9' && v < 100000)
			v = v * 10 + (unsigned)(*q++ - '0');
		if (v > 65535)
			return -1;
		*port = v;
	}
	*after = q;
	return 0;
}

static int
parse_tls(const char *m, const char *end, struct ml_event *ev)
{
	static const struct {
		const char *word;
		enum ml_trust trust;
	} levels[] = {
		{ "Verified ", ML_VERIFIED }, { "Trusted ", ML_TRUSTED },
		{ "Untrusted ", ML_UNTRUSTED }, { "Anonymous ", ML_ANONYMOUS },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!starts(m, end, levels[i].word))
			continue;
		const char *p = m + strlen(levels[i].word);
		if (starts(p, end, "TLS connection established to "))
			p += strlen("TLS connection established to ");
		else if (starts(p, end, "TLS connection reused to "))
			p += strlen("TLS connection reused to ");
		else
			return 0;
		const char *after;
		if (hostaddr(p, end, &ev->host, &ev->ip, &ev->port, &after) != 0)
			return -1;
		ev->trust = levels[i].trust;
		ev->kind = ML_TLS;
		return 0;
	}
	return 0;
}

static int
parse_verify(const char *m, const char *end, struct ml_event *ev)
{
	const char *p = find(m, end, "certificate verification failed for ");
	const char *after;

	if (p == NULL || p - m > 16)	/* "server " or "peer " before it */
		return 0;
	p += strlen("certificate verification failed for ");
	if (hostaddr(p, end, &ev->host, &ev->ip, &ev->port, &after) != 0)
		return -1;
	if (after < end && *after == ':')
		after++;
	while (after < end && *after == ' ')
		after++;
	ev->verify_num = -1;
	if (starts(after, end, "num=")) {
		const char *q = after + 4;
		int v = 0;
		while (q < end && *q >= '0' && *q <= '9' && v < 100000)
			v = v * 10 + (*q++ - '0');
		ev->verify_num = v;
		if (q < end && *q == ':')
			q++;
		after = q;
	}
	ev->verify_text.p = after;
	ev->verify_text.len = (size_t)(end - after);
	ev->kind = ML_VERIFY_FAIL;
	return 0;
}

static int
parse_delivery(const char *m, const char *end, struct ml_event *ev, const char **why)
{
	/* "QUEUEID: to=<...>" : the queue id is letters and digits. */
	const char *p = m;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    (*p >= '0' && *p <= '9')))
		p++;
	if (p == m || !starts(p, end, ": to=<"))
		return 0;
	ev->queue_id.p = m;
	ev->queue_id.len = (size_t)(p - m);
	p += strlen(": to=<");
	const char *gt = memchr(p, '>', (size_t)(end - p));
	if (gt == NULL) {
		*why = "to=< without >";
		return -1;
	}
	const char *at = NULL;
	for (const char *q = p; q < gt; q++)
		if (*q == '@')
			at = q;
	if (at == NULL || at + 1 == gt) {
		ev->rcpt_domain.p = gt;
		ev->rcpt_domain.len = 0;
	} else {
		ev->rcpt_domain.p = at + 1;
		ev->rcpt_domain.len = (size_t)(gt - at - 1);
	}
	const char *r = find(gt, end, ", relay=");
	if (r == NULL) {
		*why = "delivery line without relay=";
		return -1;
	}
	r += strlen(", relay=");
	const char *after;
	if (starts(r, end, "none,")) {
		ev->host.p = r;
		ev->host.len = 0;
	} else if (hostaddr(r, end, &ev->host, &ev->ip, &ev->port, &after) != 0) {
		*why = "relay= is not HOST[ADDR]:PORT";
		return -1;
	}
	const char *d = find(r, end, ", dsn=");
	if (d != NULL) {
		d += strlen(", dsn=");
		const char *c = memchr(d, ',', (size_t)(end - d));
		ev->dsn.p = d;
		ev->dsn.len = c != NULL ? (size_t)(c - d) : 0;
	}
	const char *s = find(r, end, ", status=");
	if (s == NULL) {
		*why = "delivery line without status=";
		return -1;
	}
	s += strlen(", status=");
	if (starts(s, end, "sent"))
		ev->status = ML_SENT;
	else if (starts(s, end, "deferred"))
		ev->status = ML_DEFERRED;
	else if (starts(s, end, "bounced"))
		ev->status = ML_BOUNCED;
	else
		ev->status = ML_OTHER;
	const char *lp = memchr(s, '(', (size_t)(end - s));
	if (lp != NULL) {
		const char *rp = end;
		while (rp > lp && rp[-1] != ')')
			rp--;
		if (rp > lp + 1) {
			ev->reason.p = lp + 1;
			ev->reason.len = (size_t)(rp - 1 - lp - 1);
		}
	}
	ev->kind = ML_DELIVERY;
	return 0;
}

int
ml_parse(const char *line, size_t len, struct ml_event *ev, const char **why)
{
	const char *end = line + len;
	const char *p = NULL, *svc;

	memset(ev, 0, sizeof(*ev));
	ev->verify_num = -1;
	*why = NULL;
	/* The program field: the first "/smtp[" or "/lmtp[" followed by a
	 * pid and "]: ". */
	for (const char *q = line; q < end; q++) {
		const char *s = find(q, end, "mtp[");
		if (s == NULL)
			return 0;
		if (s - line >= 2 && s[-2] == '/' && (s[-1] == 's' || s[-1] == 'l')) {
			p = s - 1;
			break;
		}
		q = s;
	}
	if (p == NULL)
		return 0;
	svc = p;
	while (svc > line && svc[-1] != ' ')
		svc--;
	ev->service.p = svc;
	ev->service.len = (size_t)(p + 4 - svc);
	p += 5;			/* "smtp[" */
	unsigned long pid = 0;
	const char *d0 = p;
	while (p < end && *p >= '0' && *p <= '9' && pid < 100000000UL)
		pid = pid * 10 + (unsigned long)(*p++ - '0');
	if (p == d0 || !starts(p, end, "]: ")) {
		*why = "smtp program field without a pid";
		return -1;
	}
	ev->pid = pid;
	p += 3;
	int rc = parse_tls(p, end, ev);
	if (rc == 0 && ev->kind == ML_NONE)
		rc = parse_verify(p, end, ev);
	if (rc == 0 && ev->kind == ML_NONE)
		rc = parse_delivery(p, end, ev, why);
	if (rc != 0 && *why == NULL)
		*why = "host[address]:port is malformed";
	return rc;
}

static bool
has(const struct slice *s, const char *w)
{
	return s->len > 0 && find(s->p, s->p + s->len, w) != NULL;
}

const char *
ml_result_type(const struct ml_event *d, bool have_tls, enum ml_trust trust, int verify_num,
    const char *ptype)
{
	bool tlsa = strcmp(ptype, "tlsa") == 0;
	bool sts = strcmp(ptype, "sts") == 0;
	bool expired = verify_num == 10;	/* X509_V_ERR_CERT_HAS_EXPIRED */

	/* The reasons smtp(8) gives for a TLS failure (smtp_proto.c). */
	if (d->status != ML_SENT) {
		if (has(&d->reason, "TLS is required, but was not offered"))
			return "starttls-not-supported";
		if (has(&d->reason, "Server certificate not trusted"))
			return tlsa ? "validation-failure" : expired ? "certificate-expired" :
			    "certificate-not-trusted";
		if (has(&d->reason, "Server certificate not verified")) {
			if (tlsa)
				return "validation-failure";
			if (expired)
				return "certificate-expired";
			return have_tls && trust == ML_TRUSTED ? "certificate-host-mismatch" :
			    "certificate-not-trusted";
		}
		if (has(&d->reason, "Cannot start TLS"))
			return "validation-failure";
		if (has(&d->reason, "TLSA lookup error"))
			return "dnssec-invalid";
	}
	if (have_tls) {
		if (trust == ML_VERIFIED || (!tlsa && trust == ML_TRUSTED) || (!tlsa && !sts))
			return "success";
		if (tlsa)
			return "validation-failure";
		return expired ? "certificate-expired" : "certificate-not-trusted";
	}
	/* Delivered without TLS where a policy (in testing mode, or Postfix
	 * would not have sent) asked for it. */
	if (d->status == ML_SENT && d->host.len > 0 && (sts || tlsa))
		return "starttls-not-supported";
	return NULL;
}
