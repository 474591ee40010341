/* fuzz_dns_wire.c - the stub resolver's packet reader (lib/dns/wire.c)
 * against the ldns way it replaced: the first 2 octets of the input are
 * the qtype asked, the rest the answer packet.  Any difference in the
 * resulting answer aborts: status, flags, ttl, canonname, every record's
 * type, ttl and rdata, the return code.  The only difference allowed is
 * the reason of a packet neither can read: ldns says "malformed answer",
 * wire.c "malformed answer: WHY". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "../../lib/dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
const char *__lsan_default_suppressions(void);

/* ldns 1.8.3's ldns_wire2pkt leaks a TSIG record when an answer holds two
 * (ldns_pkt_set_tsig replaces the first without freeing it), with its
 * fields.  That is the reference side's leak, not ours (wire.c allocates
 * nothing but the answer in the arena); the old stub leaked it too. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libldns.so\n";
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
same(int rn, const struct inkan_dns_answer *n, int ro, const struct inkan_dns_answer *o)
{
	if (rn != ro)
		abort();
	if (rn != 0)
		return;
	if (n->status != o->status || n->secure != o->secure || n->bogus != o->bogus ||
	    n->truncated != o->truncated || n->qtype != o->qtype || n->ttl != o->ttl ||
	    n->nrr != o->nrr || !str_eq(n->qname, o->qname) || !str_eq(n->canonname, o->canonname))
		abort();
	if (!str_eq(n->why, o->why) && !(o->why != NULL && n->why != NULL &&
	    strcmp(o->why, "malformed answer") == 0 &&
	    strncmp(n->why, "malformed answer: ", 18) == 0))
		abort();
	for (size_t i = 0; i < n->nrr; i++)
		if (n->rr[i].type != o->rr[i].type || n->rr[i].ttl != o->rr[i].ttl ||
		    n->rr[i].len != o->rr[i].len ||
		    (n->rr[i].len > 0 && memcmp(n->rr[i].data, o->rr[i].data, n->rr[i].len) != 0))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_dns_answer n, o;
	uint16_t qtype;
	int rn, ro;

	if (a == NULL || len < 2) {
		inkan_arena_free(a);
		return 0;
	}
	qtype = (uint16_t)(data[0] << 8 | data[1]);
	rn = inkan__wire_answer(a, "fuzz.example", qtype, data + 2, len - 2, &n);
	ro = inkan__wire_answer_ldns(a, "fuzz.example", qtype, data + 2, len - 2, &o);
	same(rn, &n, ro, &o);
	inkan_arena_free(a);
	return 0;
}
