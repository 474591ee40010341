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
#include "inkan/buf.h"
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

/* Printable ASCII or '?', escaping the characters in esc with '\'. */
static void
put_safe(struct inkan_buf *b, const char *s, const char *esc)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n && i < RECEIVED_MAX_VALUE; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Our own problem texts cite "RFC 7208 §4.6.4": keep the
		 * citation readable in an ASCII header. */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa7) {
			inkan_buf_puts(b, "section ");
			i++;
			continue;
		}
		if (c < 0x20 || c > 0x7e)
			c = '?';
		else if (strchr(esc, c) != NULL)
			inkan_buf_putc(b, '\\');
		inkan_buf_putc(b, c);
	}
	if (i < n)
		inkan_buf_puts(b, "...");
}

static void
put_kv(struct inkan_buf *b, const char *key, const char *value)
{
	size_t n;

	if (value == NULL)
		return;
	n = strlen(value);
	inkan_buf_printf(b, " %s=", key);
	if (n <= RECEIVED_MAX_VALUE && is_dot_atom(value, n)) {
		inkan_buf_append(b, value, n);
	} else {
		inkan_buf_putc(b, '"');
		put_safe(b, value, "\"\\");
		inkan_buf_putc(b, '"');
	}
	inkan_buf_putc(b, ';');
}

char *
inkan_spf_received(
    struct inkan_arena *a, const struct inkan_spf_query *q, const struct inkan_spf_result *res)
{
	char ipbuf[INKAN_IP_STRLEN];
	struct inkan_ip ip;
	struct inkan_buf b;
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

	inkan_buf_init(&b, 4096);
	inkan_buf_printf(&b, "Received-SPF: %s (", inkan_spf_verdict_name(res->result));
	put_safe(&b, rcv, "()\\");
	inkan_buf_puts(&b, ": ");
	switch (res->result) {
	case INKAN_SPF_PASS:
		inkan_buf_puts(&b, "domain of ");
		put_safe(&b, snd, "()\\");
		inkan_buf_printf(&b, " designates %s as permitted sender", ipbuf);
		break;
	case INKAN_SPF_FAIL:
		inkan_buf_puts(&b, "domain of ");
		put_safe(&b, snd, "()\\");
		inkan_buf_printf(&b, " does not designate %s as permitted sender", ipbuf);
		break;
	case INKAN_SPF_SOFTFAIL:
		inkan_buf_puts(&b, "domain of transitioning ");
		put_safe(&b, snd, "()\\");
		inkan_buf_printf(&b, " does not designate %s as permitted sender", ipbuf);
		break;
	case INKAN_SPF_NEUTRAL:
		inkan_buf_printf(&b, "%s is neither permitted nor denied by domain of ", ipbuf);
		put_safe(&b, snd, "()\\");
		break;
	case INKAN_SPF_NONE:
		inkan_buf_puts(&b, "domain of ");
		put_safe(&b, snd, "()\\");
		inkan_buf_puts(&b, " does not designate permitted sender hosts");
		break;
	case INKAN_SPF_TEMPERROR:
		inkan_buf_puts(&b, "error in processing during lookup of ");
		put_safe(&b, dom, "()\\");
		break;
	case INKAN_SPF_PERMERROR:
	default:
		inkan_buf_puts(&b, "permanent error in processing domain of ");
		put_safe(&b, dom, "()\\");
		break;
	}
	inkan_buf_puts(&b, ")");
	put_kv(&b, "client-ip", ipbuf);
	put_kv(&b, "envelope-from", snd);
	put_kv(&b, "helo", q->helo);
	put_kv(&b, "receiver", rcv);
	put_kv(&b, "identity", res->identity != NULL ? res->identity : "mailfrom");
	put_kv(&b, "mechanism", res->mechanism);
	if (res->result == INKAN_SPF_TEMPERROR || res->result == INKAN_SPF_PERMERROR)
		put_kv(&b, "problem", res->problem);
	/* the key-value list may end with ";" (§9.1), but a bare trailing
	 * ';' reads oddly: drop it */
	if (b.err == 0 && b.len > 0 && b.p[b.len - 1] == ';')
		b.p[--b.len] = '\0';
	out = b.err == 0 ? inkan_arena_strndup(a, b.p, b.len) : NULL;
	inkan_buf_free(&b);
	return out;
}
