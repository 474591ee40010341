/* envelope.c - the SMTP envelope as a stored message tells it.
 *
 * A message in a mailbox has lost its envelope; what is left is what the
 * final MTA wrote at the top: Return-Path (RFC 5321 §4.4, the MAIL FROM
 * address) and a Received field whose "from" clause names the HELO and,
 * in the comment, the client address (RFC 5321 §4.4 "TCP-info":
 * "from helo.example (rdns.example [192.0.2.1])", IPv6 as
 * "[IPv6:2001:db8::1]").  Only the topmost of each is read: lower ones
 * were written by hosts we do not control.  This is a best effort for
 * batch statistics, marked INKAN_VERIFY_ENV_INFERRED; an MTA that gives
 * the real envelope must be preferred.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/msg.h"
#include "inkan/verify.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Return-Path: <addr> -> addr ("" for <>). */
static const char *
return_path(struct inkan_arena *a, struct inkan_slice v)
{
	const char *lt = memchr(v.p, '<', v.len);
	if (lt == NULL)
		return NULL;
	const char *end = v.p + v.len;
	const char *gt = memchr(lt, '>', (size_t)(end - lt));
	if (gt == NULL)
		return NULL;
	return inkan_arena_strndup(a, lt + 1, (size_t)(gt - lt - 1));
}

/* Received: from HELO (... [IP]) ... */
static void
received(struct inkan_arena *a, struct inkan_slice v, struct inkan_verify_envelope *e)
{
	const char *p = v.p, *end = v.p + v.len;
	while (p < end && is_wsp(*p))
		p++;
	if (end - p < 5 || strncasecmp(p, "from", 4) != 0 || !is_wsp(p[4]))
		return;
	p += 4;
	while (p < end && is_wsp(*p))
		p++;
	const char *h = p;
	while (p < end && !is_wsp(*p) && *p != '(' && *p != ';')
		p++;
	if (p > h)
		e->helo = inkan_arena_strndup(a, h, (size_t)(p - h));
	while (p < end && is_wsp(*p))
		p++;
	if (p >= end || *p != '(')
		return;
	const char *close = memchr(p, ')', (size_t)(end - p));
	if (close == NULL)
		return;
	const char *lb = memchr(p, '[', (size_t)(close - p));
	if (lb == NULL)
		return;
	const char *rb = memchr(lb, ']', (size_t)(close - lb));
	if (rb == NULL)
		return;
	const char *ip = lb + 1;
	if (rb - ip > 5 && strncasecmp(ip, "IPv6:", 5) == 0)
		ip += 5;
	if (inkan_ip_parse(ip, (size_t)(rb - ip), &e->ip) == 0) {
		inkan_ip_unmap(&e->ip);
		e->has_ip = true;
	}
}

int
inkan_verify_infer_envelope(struct inkan_arena *a, const char *msg, size_t len,
    struct inkan_verify_envelope *out)
{
	memset(out, 0, sizeof(*out));
	struct inkan_msg m;
	/* Only the header is wanted; parse a prefix when the message is big. */
	size_t n = len;
	const char *hend = NULL;
	for (size_t i = 0; i + 1 < len; i++) {
		if (msg[i] == '\n' && (msg[i + 1] == '\n' ||
		    (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n'))) {
			hend = msg + i + 1;
			break;
		}
	}
	if (hend != NULL)
		n = (size_t)(hend - msg);
	int err = inkan_msg_parse(a, msg, n, NULL, &m);
	if (err != 0)
		return err;
	const struct inkan_msg_field *rp = inkan_msg_find(m.fields, m.nfields, "Return-Path");
	if (rp != NULL)
		out->mail_from = return_path(a, rp->unfolded);
	const struct inkan_msg_field *rc = inkan_msg_find(m.fields, m.nfields, "Received");
	if (rc != NULL)
		received(a, rc->unfolded, out);
	if (out->mail_from != NULL || out->helo != NULL || out->has_ip)
		out->source = INKAN_VERIFY_ENV_INFERRED;
	return 0;
}
