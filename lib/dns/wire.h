/* wire.h - turning a DNS answer packet into a struct inkan_dns_answer,
 * for the stub resolver (async_stub.c).  Not exported.
 *
 * inkan__wire_answer() reads the packet directly: every offset is
 * checked against the packet's end, compression pointers are followed
 * with a bound, and nothing is allocated but the answer in the arena.
 * inkan__wire_answer_ldns() is the former way (ldns_wire2pkt, then
 * walking ldns_rr lists), kept so that the fuzzer and the unit tests can
 * check that both give the same answer for any packet.
 *
 * Both take the question as the caller asked it (qname is only copied
 * into the answer; the chain starts at the packet's own question name)
 * and return 0 with *out filled, whatever the packet holds (a packet
 * that cannot be read is SERVFAIL, why "malformed answer..."), or
 * INKAN_ENOMEM (also for rdata over INKAN_DNS_MAX_RDATA once names are
 * uncompressed).  Storage is in a.
 */
#ifndef INKAN_DNS_WIRE_H
#define INKAN_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"

struct inkan_arena;

int inkan__wire_answer(struct inkan_arena *a, const char *qname, uint16_t qtype,
    const uint8_t *buf, size_t len, struct inkan_dns_answer *out);
int inkan__wire_answer_ldns(struct inkan_arena *a, const char *qname, uint16_t qtype,
    const uint8_t *buf, size_t len, struct inkan_dns_answer *out);

/* Read the (possibly compressed) name at *pos of buf[0..len): on success
 * returns its uncompressed wire length (1..255), copies it to name (room
 * for 255 octets) when name is non-NULL, and moves *pos past it.  On a
 * bad name returns -1 and sets *why: "compression pointer loop",
 * "compression pointer out of bounds", "label longer than 63 octets",
 * "name longer than 255 octets", "name runs past the end". */
int inkan__wire_name(const uint8_t *buf, size_t len, size_t *pos, uint8_t *name,
    const char **why);

#endif
