/* resolver.c - the resolver seam: inkan_dns_query() over any backend,
 * query counting, the trace line, and RR type and status names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/error.h"

#include "dns_int.h"

/* A trace line shows a few records, each cut short: rdata is attacker
 * text and a 64 KiB TXT record must not flood a log. */
#define TRACE_MAX_RRS		4
#define TRACE_MAX_RDATA		120
#define TRACE_MAX_LINE		640

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ INKAN_DNS_A, "A" },
	{ INKAN_DNS_NS, "NS" },
	{ INKAN_DNS_CNAME, "CNAME" },
	{ INKAN_DNS_SOA, "SOA" },
	{ INKAN_DNS_PTR, "PTR" },
	{ INKAN_DNS_MX, "MX" },
	{ INKAN_DNS_TXT, "TXT" },
	{ INKAN_DNS_AAAA, "AAAA" },
	{ INKAN_DNS_DS, "DS" },
	{ INKAN_DNS_RRSIG, "RRSIG" },
	{ INKAN_DNS_DNSKEY, "DNSKEY" },
	{ INKAN_DNS_TLSA, "TLSA" },
	{ INKAN_DNS_SPF, "SPF" },
	{ INKAN_DNS_ANY, "ANY" },
	{ 33, "SRV" },
	{ 35, "NAPTR" },
	{ 47, "NSEC" },
	{ 50, "NSEC3" },
	{ 64, "SVCB" },
	{ 65, "HTTPS" },
	{ 257, "CAA" },
};

const char *
inkan_dns_status_name(enum inkan_dns_status s)
{
	switch (s) {
	case INKAN_DNS_OK:		return "OK";
	case INKAN_DNS_NXDOMAIN:	return "NXDOMAIN";
	case INKAN_DNS_NODATA:		return "NODATA";
	case INKAN_DNS_SERVFAIL:	return "SERVFAIL";
	case INKAN_DNS_TIMEOUT:		return "TIMEOUT";
	}
	return "UNKNOWN";
}

const char *
inkan_dns_type_name(uint16_t type)
{
	static _Thread_local char buf[sizeof("TYPE65535")];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	snprintf(buf, sizeof(buf), "TYPE%u", (unsigned)type);
	return buf;
}

uint16_t
inkan_dns_type_from_name(const char *s)
{
	unsigned long v = 0;

	if (s == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	/* RFC 3597 §5: "TYPE" followed by the decimal type number. */
	if (strncasecmp(s, "TYPE", 4) != 0 || s[4] < '1' || s[4] > '9')
		return 0;
	for (s += 4; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return 0;
	}
	return (uint16_t)v;
}

const char *
inkan_resolver_name(const struct inkan_resolver *r)
{
	return r == NULL || r->ops == NULL ? "none" : r->ops->name;
}

void
inkan_resolver_free(struct inkan_resolver *r)
{
	if (r != NULL && r->ops != NULL && r->ops->destroy != NULL)
		r->ops->destroy(r);
}

void
inkan_resolver_set_trace(struct inkan_resolver *r, void (*fn)(void *arg, const char *line),
    void *arg)
{
	r->trace = fn;
	r->trace_arg = arg;
}

void
inkan_dns_tracef(struct inkan_resolver *r, const char *fmt, ...)
{
	char line[TRACE_MAX_LINE];
	va_list ap;

	if (r == NULL || r->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->trace(r->trace_arg, line);
}

/* Append s, at most max characters of it, marking a cut with "...". */
static void
put_cut(struct inkan_buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max) {
		inkan_buf_append(b, s, n);
		return;
	}
	inkan_buf_append(b, s, max);
	inkan_buf_puts(b, "...");
}

static void
trace_answer(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    int rc, const struct inkan_dns_answer *ans)
{
	struct inkan_buf b;

	inkan_buf_init(&b, 0);
	inkan_buf_printf(&b, "dns %s ", inkan_dns_type_name(type));
	put_cut(&b, name, 260);
	inkan_buf_puts(&b, " -> ");
	if (rc != 0) {
		inkan_buf_printf(&b, "%s", inkan_strerror(rc));
		goto out;
	}
	inkan_buf_puts(&b, inkan_dns_status_name(ans->status));
	if (ans->status == INKAN_DNS_OK)
		inkan_buf_printf(&b, " %zu rr%s", ans->nrr, ans->truncated ? " (truncated)" : "");
	inkan_buf_printf(&b, " ttl=%lu", (unsigned long)ans->ttl);
	if (ans->secure)
		inkan_buf_puts(&b, " [secure]");
	if (ans->bogus)
		inkan_buf_puts(&b, " [bogus]");
	if (ans->canonname != NULL) {
		inkan_buf_puts(&b, " via ");
		put_cut(&b, ans->canonname, 260);
	}
	if (ans->why != NULL) {
		inkan_buf_puts(&b, " (");
		put_cut(&b, ans->why, TRACE_MAX_RDATA);
		inkan_buf_puts(&b, ")");
	}
	for (size_t i = 0; i < ans->nrr && i < TRACE_MAX_RRS; i++) {
		char *t = inkan_dns_rr_text(a, &ans->rr[i]);

		inkan_buf_puts(&b, i == 0 ? ": " : " | ");
		put_cut(&b, t != NULL ? t : "?", TRACE_MAX_RDATA);
	}
	if (ans->nrr > TRACE_MAX_RRS)
		inkan_buf_printf(&b, " | (%zu more)", ans->nrr - TRACE_MAX_RRS);
out:
	if (b.err == 0)
		r->trace(r->trace_arg, inkan_buf_cstr(&b));
	inkan_buf_free(&b);
}

int
inkan_dns_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name,
    uint16_t type, struct inkan_dns_answer *out)
{
	int rc;

	if (r == NULL || r->ops == NULL || a == NULL || name == NULL || out == NULL)
		return INKAN_EINVAL;
	memset(out, 0, sizeof(*out));
	rc = r->ops->query(r, a, name, type, out);
	if (rc == 0) {
		r->nqueries++;
		out->qtype = type;
		if (out->qname == NULL)
			out->qname = name;
	}
	if (r->trace != NULL)
		trace_answer(r, a, name, type, rc, out);
	return rc;
}
