/* signtable.h - which keys sign a sender's mail.
 *
 * An outbound signer (inkan-milter) keeps a table of rows
 *
 *	pattern  domain  selector  key-file
 *
 * and signs each message with every key of the rows whose pattern is the
 * most specific match for the message's author (the From address):
 *
 *	user@example.com   that address only (case-insensitive)
 *	example.com        that domain, no subdomain
 *	*.example.com      any subdomain of example.com (longest wins)
 *	*                  anybody
 *
 * Rows of one pattern may name several keys, RSA and Ed25519 together
 * (RFC 8463 §5 suggests signing with both while verifiers catch up), and
 * even several domains (one DKIM-Signature per key in every case).  The
 * domain column is d=; a DMARC-aligned signature needs it to be the
 * author's domain or its Organizational Domain, which is the operator's
 * to choose and is not checked here.
 *
 * Keys are loaded when a row is added, through inkan_dkim_key_load_file,
 * which refuses a key file readable by group or others unless
 * INKAN_DKIM_KEY_INSECURE is given (a private key anybody on the host
 * can read signs for anybody).
 *
 * A table is immutable once built and reference-counted, so that a
 * daemon can build a new one on SIGHUP and swap it in while messages in
 * flight finish with the old one.
 */
#ifndef INKAN_SIGNTABLE_H
#define INKAN_SIGNTABLE_H

#include <stddef.h>

#include "inkan/dkim.h"

struct inkan_arena;
struct inkan_signtable;

/* An empty table with one reference.  0 or INKAN_ENOMEM. */
int inkan_signtable_new(struct inkan_signtable **out);
/* Take and drop a reference (thread-safe); the last drop frees the table
 * and its keys.  NULL is a no-op for both. */
struct inkan_signtable *inkan_signtable_hold(struct inkan_signtable *t);
void inkan_signtable_release(struct inkan_signtable *t);

/* Add a row, loading the key file (flags as inkan_dkim_key_load_file).
 * Returns 0, or INKAN_EINVAL (bad pattern, domain or selector), INKAN_EIO,
 * INKAN_EMALFORMED, INKAN_EUNSUPPORTED (the key, see dkim.h), INKAN_ELIMIT
 * (over INKAN_SIGNTABLE_MAX_KEYS), INKAN_ENOMEM, with a message in
 * why[0..whylen) naming the row's key file and the problem.  Not
 * thread-safe: build the table before sharing it. */
int inkan_signtable_add(struct inkan_signtable *t, const char *pattern, const char *domain,
    const char *selector, const char *keyfile, unsigned flags, char *why, size_t whylen);
/* Same with a key already loaded (the table takes it over, also on
 * error). */
int inkan_signtable_add_key(struct inkan_signtable *t, const char *pattern, const char *domain,
    const char *selector, struct inkan_dkim_key *key, char *why, size_t whylen);
/* Rows in the table. */
size_t inkan_signtable_count(const struct inkan_signtable *t);

/* The keys of one d= for a message: what inkan_dkim_sign_new wants. */
struct inkan_signtable_sig {
	const char *domain;
	size_t nkeys;
	struct inkan_dkim_key *const *keys;
	const char *const *selectors;
	const char *pattern;		/* the pattern that matched */
};

/* The signatures for author (an address "local@domain" or a bare
 * domain): one entry per distinct d= among the rows of the most specific
 * matching pattern, in table order.  *out lives in a and points into t
 * (hold t while using it).  *n is 0 when no row matches.  0, INKAN_EINVAL
 * or INKAN_ENOMEM. */
int inkan_signtable_lookup(const struct inkan_signtable *t, struct inkan_arena *a,
    const char *author, const struct inkan_signtable_sig **out, size_t *n);

#endif
