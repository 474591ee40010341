/* received.c - the Received-SPF header field, RFC 7208 §9.1.
 *
 *   Received-SPF: pass (receiver: domain of sender designates ip as
 *       permitted sender) client-ip=...; envelope-from="..."; helo=...;
 *       receiver=...; identity=mailfrom; mechanism=...
 *
 * Values are written as an RFC 5322 dot-atom when they are one and as a
 * quoted-string otherwise (§9.1 ABNF); the comment escapes '(' ')' '\'.
 * Sender, HELO and problem texts come from the SMTP client or from DNS:
 * control characters and non-ASCII bytes become '?', so no value can
 * break the header, and long values are cut.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "spf_int.h"

/* Longest value written; the rest is cut and marked with "...". */
#define RECEIVED_MAX_VALUE 256

/* RFC 5322 §3.2.3 atext */
static bool
is_atext(unsigned char c)
{
	return spf_is_alpha(c) || spf_is_digit(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool
is_dot_atom(const char *s, size_t n)
{
	bool prev_dot = true;

	if (n == 0 || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (prev_dot)
				return false;
			prev_dot = true;
		} else if (is_atext(c)) {
			prev_dot = false;
		} else {
			return false;
		}
	}
	return true;
}

/* The field is built in a fixed buffer on the stack: no allocation and
 * no printf on the path every message takes.  Every value is cut at
 * RECEIVED_MAX_VALUE and escaping at most doubles it, so the field fits
 * by construction; put() still clamps rather than trusting that. */
#define RECEIVED_MAX_FIELD 8192

struct out {
	size_t len;
	char buf[RECEIVED_MAX_FIELD];
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (n > sizeof(o->buf) - o->len)
		n = sizeof(o->buf) - o->len;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Printable ASCII or '?'; in a comment '(' ')' and backslash are escaped
 * with a backslash, in a quoted-string '"' and backslash. */
static void
put_safe(struct out *o, const char *s, bool quoted)
{
	size_t n = strlen(s), lim = n < RECEIVED_MAX_VALUE ? n : RECEIVED_MAX_VALUE, i = 0;

	while (i < lim) {
		size_t run = i;
		unsigned char c;

		/* copy the longest run that needs no change in one go */
		while (run < lim) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c > 0x7e || c == '\\' ||
			    (quoted ? c == '"' : (c == '(' || c == ')')))
				break;
			run++;
		}
		put(o, s + i, run - i);
		if ((i = run) == lim)
			break;
		c = (unsigned char)s[i];
		/* Our own problem texts cite "RFC 7208 §4.6.4": keep the
		 * citation readable in an ASCII header. */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa7) {
			puts_(o, "section ");
			i += 2;
			continue;
		}
		if (c < 0x20 || c > 0x7e) {
			put(o, "?", 1);
		} else {
			put(o, "\\", 1);
			put(o, s + i, 1);
		}
		i++;
	}
	if (i < n)
		put(o, "...", 3);
}

static void
put_kv(struct out *o, const char *key, const char *value)
{
	size_t n;

	if (value == NULL)
		return;
	n = strlen(value);
	put(o, " ", 1);
	puts_(o, key);
	put(o, "=", 1);
	if (n <= RECEIVED_MAX_VALUE && is_dot_atom(value, n)) {
		put(o, value, n);
	} else {
		put(o, "\"", 1);
		put_safe(o, value, true);
		put(o, "\"", 1);
	}
	put(o, ";", 1);
}

char *
inkan_spf_received(
    struct inkan_arena *a, const struct inkan_spf_query *q, const struct inkan_spf_result *res)
{
	char ipbuf[INKAN_IP_STRLEN];
	struct inkan_ip ip;
	struct out o;
	const char *rcv, *snd, *dom;
	char *out;

	if (a == NULL || q == NULL || res == NULL)
		return NULL;
	ip = q->ip;
	inkan_ip_unmap(&ip);
	inkan_ip_format(&ip, ipbuf, sizeof(ipbuf));
	rcv = q->receiver != NULL ? q->receiver : "unknown";
	snd = res->sender != NULL ? res->sender : "";
	dom = res->domain != NULL ? res->domain : "";

	o.len = 0;
	puts_(&o, "Received-SPF: ");
	puts_(&o, inkan_spf_verdict_name(res->result));
	puts_(&o, " (");
	put_safe(&o, rcv, false);
	puts_(&o, ": ");
	switch (res->result) {
	case INKAN_SPF_PASS:
		puts_(&o, "domain of ");
		put_safe(&o, snd, false);
		puts_(&o, " designates ");
		puts_(&o, ipbuf);
		puts_(&o, " as permitted sender");
		break;
	case INKAN_SPF_FAIL:
		puts_(&o, "domain of ");
		put_safe(&o, snd, false);
		puts_(&o, " does not designate ");
		puts_(&o, ipbuf);
		puts_(&o, " as permitted sender");
		break;
	case INKAN_SPF_SOFTFAIL:
		puts_(&o, "domain of transitioning ");
		put_safe(&o, snd, false);
		puts_(&o, " does not designate ");
		puts_(&o, ipbuf);
		puts_(&o, " as permitted sender");
		break;
	case INKAN_SPF_NEUTRAL:
		puts_(&o, ipbuf);
		puts_(&o, " is neither permitted nor denied by domain of ");
		put_safe(&o, snd, false);
		break;
	case INKAN_SPF_NONE:
		puts_(&o, "domain of ");
		put_safe(&o, snd, false);
		puts_(&o, " does not designate permitted sender hosts");
		break;
	case INKAN_SPF_TEMPERROR:
		puts_(&o, "error in processing during lookup of ");
		put_safe(&o, dom, false);
		break;
	case INKAN_SPF_PERMERROR:
	default:
		puts_(&o, "permanent error in processing domain of ");
		put_safe(&o, dom, false);
		break;
	}
	puts_(&o, ")");
	put_kv(&o, "client-ip", ipbuf);
	put_kv(&o, "envelope-from", snd);
	put_kv(&o, "helo", q->helo);
	put_kv(&o, "receiver", rcv);
	put_kv(&o, "identity", res->identity != NULL ? res->identity : "mailfrom");
	put_kv(&o, "mechanism", res->mechanism);
	if (res->result == INKAN_SPF_TEMPERROR || res->result == INKAN_SPF_PERMERROR)
		put_kv(&o, "problem", res->problem);
	/* the key-value list may end with ";" (§9.1), but a bare trailing
	 * ';' reads oddly: drop it */
	if (o.len > 0 && o.buf[o.len - 1] == ';')
		o.len--;
	out = inkan_arena_strndup(a, o.buf, o.len);
	return out;
}
