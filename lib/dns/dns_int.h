/* dns_int.h - helpers shared by the files of lib/dns, not exported.
 *
 * The zone store, the cache and the bulk driver all key on a name folded
 * to one form: ASCII-lowercased, without the trailing dot.  The helpers
 * here fold into a caller's stack buffer so that a lookup never
 * allocates.
 */
#ifndef INKAN_DNS_INT_H
#define INKAN_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"

struct ub_ctx;
struct ub_result;

/* Room for a folded name.  Presentation form may escape octets as \DDD,
 * so a legal 255-octet name can take up to four times 253 characters. */
#define INKAN__KEYMAX	1024

/* Fold name into key[INKAN__KEYMAX] (lowercase, no trailing dot) and
 * return its length, or -1 when the name is too long to be legal. */
int inkan__dns_key(const char *name, char *key);
/* Hash of a folded name and a type (FNV-1a, 64 bits). */
uint64_t inkan__dns_hash(const char *key, size_t len, uint16_t type);

/* Fill *out as an answer without records, strings copied into a. */
int inkan__dns_answer_status(struct inkan_arena *a, const char *name, uint16_t type,
    enum inkan_dns_status status, uint32_t ttl, const char *why, struct inkan_dns_answer *out);
/* Deep copy of src into a (records, rdata and strings). */
int inkan__dns_answer_copy(struct inkan_arena *a, const struct inkan_dns_answer *src,
    struct inkan_dns_answer *out);

/* ---- unbound.c, for the asynchronous backend ---- */

/* True if r was made by inkan_resolver_unbound_new. */
bool inkan__unbound_is(const struct inkan_resolver *r);
/* A new libunbound context set up with the options r was made with. */
int inkan__unbound_ctx_new(const struct inkan_resolver *r, struct ub_ctx **out,
    const char **why);
/* The timeout r was made with, in milliseconds. */
unsigned inkan__unbound_timeout_ms(const struct inkan_resolver *r);
/* Turn a libunbound callback's (err, result) into an answer in a.  The
 * result stays owned by the caller. */
int inkan__unbound_answer(struct inkan_arena *a, const char *name, uint16_t type, int err,
    const struct ub_result *res, struct inkan_dns_answer *out);
/* Milliseconds on the monotonic clock. */
uint64_t inkan__now_ms(void);

/* ---- zone.c, for the overlay ---- */

/* The target of the CNAME at exactly name (folded form, owned by z), or
 * NULL when there is none. */
const char *inkan__zone_cname(const struct inkan_zone *z, const char *name);
/* Whether answers from z are marked secure (inkan_zone_set_secure). */
bool inkan__zone_secure(const struct inkan_zone *z);

#endif
