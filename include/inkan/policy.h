/* policy.h - what a receiving MTA does with a verified message.
 *
 * The verify session (verify.h) says what the sender's domain asks for:
 * DMARC's disposition (after t=y and, in RFC 7489 mode, pct), SPF's
 * verdict.  The receiver decides what to do: RFC 9989 §5.8 leaves the
 * final disposition to local policy, and RFC 7208 §8.4 allows but does
 * not require rejecting an SPF fail.  This module is that decision, kept
 * out of the front ends so that inkan-milter (and any later front end)
 * decides the same way and the decision can be tested without an MTA.
 *
 * Every trigger is off by default (the action ACCEPT: record the result
 * in Authentication-Results and deliver), because rejecting is the
 * operator's call:
 *
 *   DMARC disposition reject      -> dmarc_reject      (accept/quarantine/reject)
 *   DMARC disposition quarantine  -> dmarc_quarantine  (accept/quarantine/reject)
 *   SPF fail (and DMARC not pass) -> spf_fail          (accept/quarantine/reject)
 *   a DNS temperror that matters  -> temperror         (accept/tempfail)
 *
 * An SPF fail is not acted on when DMARC passed: a forwarded message
 * fails SPF and may still pass DMARC through DKIM (RFC 7489 §10.1 warns
 * against rejecting before DMARC has been evaluated).  A temperror
 * "matters" when DMARC's result is temperror, or SPF's is and SPF fail
 * would be acted on.
 *
 * Local overrides (RFC 9990 §2.1 reason types), checked before acting on
 * a DMARC disposition: a From domain on the exempt list (the domain or
 * any subdomain) is accepted with reason "local_policy"; a message whose
 * ARC chain passes (RFC 8617 §7.2) and whose newest seal was made by a
 * trusted sealer domain is accepted with reason "trusted_forwarder".
 * DMARC's own downgrades are kept as reasons too: "policy_test_mode"
 * (t=y) and "sampled_out" (pct).
 *
 * Internal clients (trusted networks, authenticated users) are not
 * checked inbound at all: inkan_policy_is_internal() says which.
 *
 * SMTP replies: RFC 3463 / RFC 7372 enhanced status codes (5.7.26
 * "multiple authentication checks failed" for DMARC, 5.7.23 for SPF,
 * 4.7.24 / 4.4.3 for DNS trouble) and a text naming the check and the
 * domain.  Text that came from the message or DNS is made safe for any
 * MTA: printable ASCII only, no '%' (libmilter treats it as a format
 * character), at most INKAN_POLICY_MAX_TEXT bytes.
 */
#ifndef INKAN_POLICY_H
#define INKAN_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "inkan/dmarc.h"
#include "inkan/ip.h"

struct inkan_arena;
struct inkan_verdict;
struct inkan_verify_result;

enum inkan_policy_action {
	INKAN_POLICY_ACCEPT = 0,	/* deliver */
	INKAN_POLICY_QUARANTINE,	/* deliver, held or marked */
	INKAN_POLICY_REJECT,		/* 5xx */
	INKAN_POLICY_TEMPFAIL,		/* 4xx */
};

/* "accept", "quarantine", "reject", "tempfail". */
const char *inkan_policy_action_name(enum inkan_policy_action a);
/* The action named s (as above), or -1. */
int inkan_policy_action_parse(const char *s);

struct inkan_policy {
	enum inkan_policy_action dmarc_reject;
	enum inkan_policy_action dmarc_quarantine;
	enum inkan_policy_action spf_fail;
	enum inkan_policy_action temperror;	/* ACCEPT or TEMPFAIL */
	/* From domains never quarantined or rejected for DMARC (lower case,
	 * A-labels; NULL-terminated; borrowed).  Subdomains match too. */
	const char *const *exempt_domains;
	/* ARC sealer domains whose passing chain overrides a DMARC failure
	 * (NULL-terminated; borrowed).  The newest seal's d= must be one of
	 * them (or a subdomain of one). */
	const char *const *trusted_sealers;
	/* Clients whose mail is not checked inbound (borrowed). */
	const struct inkan_cidr *internal_nets;
	size_t ninternal;
	/* Treat authenticated SMTP clients as internal (default true in
	 * inkan-milter; here false unless set). */
	bool auth_is_internal;
};

struct inkan_policy_decision {
	enum inkan_policy_action action;
	/* SMTP reply for REJECT and TEMPFAIL: "550" / "451", the enhanced
	 * status code "5.7.26", and the text (without the codes).  NULL for
	 * ACCEPT and QUARANTINE. */
	const char *rcode, *xcode, *text;
	/* What decided, for the log: "dmarc", "spf", "temperror", or NULL
	 * when nothing triggered. */
	const char *trigger;
	/* One line for logs and the quarantine reason ("DMARC policy of
	 * example.com: reject"), or NULL when nothing triggered. */
	const char *why;
	/* The disposition applied in DMARC's terms (RFC 9990 §2.1
	 * policy_evaluated/disposition): what we did, not what was asked. */
	enum inkan_dmarc_policy applied;
	/* Why it differs from the one requested (RFC 9990 reason type and
	 * comment): "local_policy", "trusted_forwarder", "policy_test_mode",
	 * "sampled_out", or NULL. */
	const char *reason_type, *reason_comment;
	/* A DNS temperror was accepted (temperror = ACCEPT): note it. */
	bool temperror_accepted;
};

/* Decide for res.  Strings in a.  Returns 0, INKAN_EINVAL (NULL
 * arguments) or INKAN_ENOMEM. */
int inkan_policy_decide(const struct inkan_policy *p, struct inkan_arena *a,
    const struct inkan_verify_result *res, struct inkan_policy_decision *out);

/* Is the client internal (outbound mail: sign, do not verify)?  True when
 * has_ip and ip is in p->internal_nets, or when auth_user is a non-empty
 * SASL login name and p->auth_is_internal. */
bool inkan_policy_is_internal(const struct inkan_policy *p, const struct inkan_ip *ip,
    bool has_ip, const char *auth_user);

/* Is domain d equal to, or a subdomain of, one of list (NULL-terminated;
 * case-insensitive; a trailing dot ignored)? */
bool inkan_policy_domain_listed(const char *const *list, const char *d);

/* The verdict-store row (store.h) for res and the decision d (NULL:
 * accepted, nothing triggered): everything but ts, queue_id and
 * envelope_to, which only the caller knows.  reporter is our
 * authserv-id.  Strings point into res, d or a.  0 or INKAN_ENOMEM. */
int inkan_policy_verdict(struct inkan_arena *a, const struct inkan_verify_result *res,
    const struct inkan_policy_decision *d, const char *reporter, struct inkan_verdict *out);

/* A copy of s safe for an SMTP reply: printable ASCII kept, everything
 * else (controls, CR, LF, 8-bit, '%') as '?', cut at max bytes with "..."
 * (max 0 = INKAN_POLICY_MAX_TEXT).  In a; NULL when out of memory. */
char *inkan_policy_safe_text(struct inkan_arena *a, const char *s, size_t max);

#endif
