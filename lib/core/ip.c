/* ip.c - IPv4/IPv6 addresses and CIDR prefixes. */
#include <arpa/inet.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/ip.h"

int
inkan_ip_parse(const char *s, size_t len, struct inkan_ip *out)
{
	char tmp[INKAN_IP_STRLEN];

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(tmp) || memchr(s, '\0', len) != NULL)
		return INKAN_EMALFORMED;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, out->a) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out->a) == 1) {
		out->family = 6;
		return 0;
	}
	return INKAN_EMALFORMED;
}

bool
inkan_ip_unmap(struct inkan_ip *ip)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (ip->family != 6 || memcmp(ip->a, prefix, sizeof(prefix)) != 0)
		return false;
	memmove(ip->a, ip->a + 12, 4);
	memset(ip->a + 4, 0, 12);
	ip->family = 4;
	return true;
}

bool
inkan_ip_match(const struct inkan_ip *a, const struct inkan_ip *b, unsigned prefix)
{
	unsigned width = a->family == 4 ? 32 : 128, bytes, bits;

	if (a->family != b->family)
		return false;
	if (prefix > width)
		prefix = width;
	bytes = prefix / 8;
	bits = prefix % 8;
	if (memcmp(a->a, b->a, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits));

	return (a->a[bytes] & mask) == (b->a[bytes] & mask);
}

char *
inkan_ip_format(const struct inkan_ip *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->a, buf, (socklen_t)len) == NULL &&
	    len > 0)
		buf[0] = '\0';
	return buf;
}

static const char hex[] = "0123456789abcdef";

char *
inkan_ip_reverse_name(struct inkan_arena *a, const struct inkan_ip *ip)
{
	if (ip->family == 4)
		return inkan_arena_printf(a, "%u.%u.%u.%u.in-addr.arpa", ip->a[3], ip->a[2],
		    ip->a[1], ip->a[0]);

	char *q = inkan_arena_alloc(a, 64 + sizeof("ip6.arpa")), *p = q;

	if (q == NULL)
		return NULL;
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[ip->a[i] & 0xf];
		*p++ = '.';
		*p++ = hex[ip->a[i] >> 4];
		*p++ = '.';
	}
	memcpy(p, "ip6.arpa", sizeof("ip6.arpa"));
	return q;
}

char *
inkan_ip_dotted(struct inkan_arena *a, const struct inkan_ip *ip)
{
	if (ip->family == 4)
		return inkan_arena_printf(a, "%u.%u.%u.%u", ip->a[0], ip->a[1], ip->a[2],
		    ip->a[3]);

	char *q = inkan_arena_alloc(a, 64), *p = q;

	if (q == NULL)
		return NULL;
	for (int i = 0; i < 16; i++) {
		*p++ = hex[ip->a[i] >> 4];
		*p++ = '.';
		*p++ = hex[ip->a[i] & 0xf];
		*p++ = i == 15 ? '\0' : '.';
	}
	return q;
}

int
inkan_cidr_parse(const char *s, size_t len, int family, struct inkan_cidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	unsigned width, prefix = 0;

	memset(out, 0, sizeof(*out));
	if (inkan_ip_parse(s, alen, &out->ip) != 0)
		return INKAN_EMALFORMED;
	if (family != 0 && out->ip.family != family)
		return INKAN_EMALFORMED;
	width = out->ip.family == 4 ? 32 : 128;
	if (slash == NULL) {
		out->prefix = width;
		return 0;
	}
	const char *d = slash + 1, *end = s + len;

	/* RFC 7208 §12: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT) */
	if (d == end || (d[0] == '0' && end - d > 1))
		return INKAN_EMALFORMED;
	for (; d < end; d++) {
		if (*d < '0' || *d > '9')
			return INKAN_EMALFORMED;
		prefix = prefix * 10 + (unsigned)(*d - '0');
		if (prefix > width)
			return INKAN_EMALFORMED;
	}
	out->prefix = prefix;
	return 0;
}

unsigned
inkan_cidr_hostbits(const struct inkan_cidr *c)
{
	return (c->ip.family == 4 ? 32 : 128) - c->prefix;
}
