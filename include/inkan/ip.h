/* ip.h - IPv4/IPv6 addresses and CIDR prefixes. */
#ifndef INKAN_IP_H
#define INKAN_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inkan_arena;

struct inkan_ip {
	int family;	/* 4 or 6 */
	uint8_t a[16];	/* network order; IPv4 uses a[0..3] */
};

/* Longest text form of an address plus NUL (INET6_ADDRSTRLEN). */
#define INKAN_IP_STRLEN 46

/* Parse a textual IPv4 (dotted quad, no leading zeros ambiguity: inet_pton
 * rules) or IPv6 address.  0 or INKAN_EMALFORMED. */
int inkan_ip_parse(const char *s, size_t len, struct inkan_ip *out);
/* If ip is IPv4-mapped IPv6 (::ffff:a.b.c.d), turn it into IPv4 and return
 * true (RFC 7208 §5: such clients are evaluated as IPv4). */
bool inkan_ip_unmap(struct inkan_ip *ip);
/* True if the first prefix bits of a and b are equal and families match.
 * prefix larger than the family's width is clamped. */
bool inkan_ip_match(const struct inkan_ip *a, const struct inkan_ip *b, unsigned prefix);
/* Text form into buf (at least INKAN_IP_STRLEN bytes); returns buf. */
char *inkan_ip_format(const struct inkan_ip *ip, char *buf, size_t len);
/* The reverse-lookup name: "4.3.2.1.in-addr.arpa" or the 32-nibble
 * ip6.arpa name, in a; NULL on ENOMEM. */
char *inkan_ip_reverse_name(struct inkan_arena *a, const struct inkan_ip *ip);
/* RFC 7208 §7.3 %{i}: dotted quad, or 32 dot-separated nibbles for IPv6. */
char *inkan_ip_dotted(struct inkan_arena *a, const struct inkan_ip *ip);

struct inkan_cidr {
	struct inkan_ip ip;
	unsigned prefix;
};

/* Parse "ADDR" or "ADDR/LEN".  family 4 or 6 restricts the address family
 * (0 = either).  A missing length means a host route (32 or 128).
 * INKAN_EMALFORMED for bad text, a length over the width, or a leading
 * zero in the length. */
int inkan_cidr_parse(const char *s, size_t len, int family, struct inkan_cidr *out);
/* Number of host bits (32 - prefix or 128 - prefix). */
unsigned inkan_cidr_hostbits(const struct inkan_cidr *c);

#endif
