/* rdata.c - decoders for the rdata of TXT, MX, name-valued and address
 * records, and the presentation form of any record (ldns).
 *
 * rdata comes from the wire, so every read goes through a sticky-error
 * cursor (STYLE.md): each helper is a no-op after the first error, a
 * record is read in straight lines and checked once at the end, and
 * trailing bytes after the last field are an error too.
 */
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

struct cur {
	const uint8_t *p, *end;
	int err;
};

static void
cur_init(struct cur *c, const struct inkan_dns_rr *rr)
{
	c->p = rr->data;
	c->end = rr->data + rr->len;
	c->err = rr->data == NULL && rr->len != 0 ? INKAN_EMALFORMED : 0;
}

static uint8_t
cur_u8(struct cur *c)
{
	if (c->err || c->end - c->p < 1) {
		c->err = INKAN_EMALFORMED;
		return 0;
	}
	return *c->p++;
}

static uint16_t
cur_u16(struct cur *c)
{
	if (c->err || c->end - c->p < 2) {
		c->err = INKAN_EMALFORMED;
		return 0;
	}
	c->p += 2;
	return (uint16_t)(c->p[-2] << 8 | c->p[-1]);
}

/* n bytes, or NULL (and the error set) when fewer remain. */
static const uint8_t *
cur_bytes(struct cur *c, size_t n)
{
	if (c->err || (size_t)(c->end - c->p) < n) {
		c->err = INKAN_EMALFORMED;
		return NULL;
	}
	c->p += n;
	return c->p - n;
}

static void
cur_end(struct cur *c)
{
	if (!c->err && c->p != c->end)
		c->err = INKAN_EMALFORMED;
}

/* Read an uncompressed wire name (RFC 1035 §3.1) and return it in
 * presentation form without the trailing dot ("" for the root).  Dots
 * and backslashes inside a label, blanks and non-ASCII octets are
 * escaped as RFC 1035 §5.1 says; nothing else is, so that names stay
 * comparable as text.  Compression
 * pointers are refused: rdata handed to us has names expanded. */
static char *
cur_name(struct cur *c, struct inkan_arena *a)
{
	/* Worst case: every octet of 255 escaped as \DDD. */
	char text[4 * 255 + 1];
	size_t n = 0, wire = 0;

	for (;;) {
		uint8_t len = cur_u8(c);
		const uint8_t *label;

		if (c->err)
			return NULL;
		wire += 1 + (size_t)len;
		if ((len & 0xc0) != 0 || wire > 255) {
			c->err = INKAN_EMALFORMED;
			return NULL;
		}
		if (len == 0)
			break;
		if ((label = cur_bytes(c, len)) == NULL)
			return NULL;
		if (n > 0)
			text[n++] = '.';
		for (size_t i = 0; i < len; i++) {
			uint8_t ch = label[i];

			if (ch == '.' || ch == '\\') {
				text[n++] = '\\';
				text[n++] = (char)ch;
			} else if (ch <= ' ' || ch >= 0x7f) {
				n += (size_t)snprintf(text + n, sizeof(text) - n, "\\%03u", ch);
			} else {
				text[n++] = (char)ch;
			}
		}
	}
	char *s = inkan_arena_strndup(a, text, n);
	if (s == NULL)
		c->err = INKAN_ENOMEM;
	return s;
}

int
inkan_dns_rr_txt(struct inkan_arena *a, const struct inkan_dns_rr *rr, char **out,
    size_t *outlen)
{
	struct cur c;
	char *buf;
	size_t n = 0;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	cur_init(&c, rr);
	/* RFC 1035 §3.3.14: one or more <character-string>s. */
	if (rr->len == 0)
		return INKAN_EMALFORMED;
	if ((buf = inkan_arena_alloc(a, (size_t)rr->len + 1)) == NULL)
		return INKAN_ENOMEM;
	while (!c.err && c.p < c.end) {
		uint8_t len = cur_u8(&c);
		const uint8_t *s = cur_bytes(&c, len);

		if (s != NULL && len > 0) {
			memcpy(buf + n, s, len);
			n += len;
		}
	}
	if (c.err)
		return c.err;
	buf[n] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

int
inkan_dns_rr_mx(struct inkan_arena *a, const struct inkan_dns_rr *rr, unsigned *pref,
    char **exchange)
{
	struct cur c;
	uint16_t p;
	char *name;

	*exchange = NULL;
	cur_init(&c, rr);
	p = cur_u16(&c);
	name = cur_name(&c, a);
	cur_end(&c);
	if (c.err)
		return c.err;
	*pref = p;
	*exchange = name;
	return 0;
}

int
inkan_dns_rr_name(struct inkan_arena *a, const struct inkan_dns_rr *rr, char **name)
{
	struct cur c;
	char *n;

	*name = NULL;
	cur_init(&c, rr);
	n = cur_name(&c, a);
	cur_end(&c);
	if (c.err)
		return c.err;
	*name = n;
	return 0;
}

int
inkan_dns_rr_ip(const struct inkan_dns_rr *rr, struct inkan_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (rr->data == NULL)
		return INKAN_EMALFORMED;
	if (rr->type == INKAN_DNS_A && rr->len == 4) {
		ip->family = 4;
		memcpy(ip->a, rr->data, 4);
		return 0;
	}
	if (rr->type == INKAN_DNS_AAAA && rr->len == 16) {
		ip->family = 6;
		memcpy(ip->a, rr->data, 16);
		return 0;
	}
	return INKAN_EMALFORMED;
}

/* RFC 3597 §5: "\# LEN HEX", for rdata ldns cannot parse. */
static char *
generic_text(struct inkan_arena *a, const struct inkan_dns_rr *rr)
{
	char *s = inkan_arena_alloc(a, 16 + 2 * (size_t)rr->len);
	size_t n;

	if (s == NULL)
		return NULL;
	n = (size_t)snprintf(s, 16, "\\# %u%s", (unsigned)rr->len, rr->len > 0 ? " " : "");
	for (size_t i = 0; i < rr->len; i++)
		n += (size_t)snprintf(s + n, 3, "%02x", rr->data[i]);
	return s;
}

char *
inkan_dns_rr_text(struct inkan_arena *a, const struct inkan_dns_rr *rr)
{
	uint8_t *wire;
	ldns_rr *lr;
	ldns_buffer *buf = NULL;
	size_t pos = 0;
	char *out = NULL;

	if (rr->len > 0 && rr->data == NULL)
		return NULL;
	/* ldns_wire2rdf() reads the RDLENGTH field before the rdata. */
	if ((wire = inkan_arena_alloc(a, (size_t)rr->len + 2)) == NULL)
		return NULL;
	wire[0] = (uint8_t)(rr->len >> 8);
	wire[1] = (uint8_t)rr->len;
	if (rr->len > 0)
		memcpy(wire + 2, rr->data, rr->len);
	if ((lr = ldns_rr_new()) == NULL)
		return NULL;
	ldns_rr_set_type(lr, (ldns_rr_type)rr->type);
	if (ldns_wire2rdf(lr, wire, (size_t)rr->len + 2, &pos) != LDNS_STATUS_OK ||
	    pos != (size_t)rr->len + 2 || (buf = ldns_buffer_new(256)) == NULL)
		goto generic;
	for (size_t i = 0; i < ldns_rr_rd_count(lr); i++) {
		if (i > 0)
			ldns_buffer_printf(buf, " ");
		if (ldns_rdf2buffer_str(buf, ldns_rr_rdf(lr, i)) != LDNS_STATUS_OK)
			goto generic;
	}
	if (ldns_buffer_status(buf) != LDNS_STATUS_OK)
		goto generic;
	out = inkan_arena_strndup(a, (const char *)ldns_buffer_begin(buf),
	    ldns_buffer_position(buf));
	ldns_buffer_free(buf);
	ldns_rr_free(lr);
	return out;
generic:
	if (buf != NULL)
		ldns_buffer_free(buf);
	ldns_rr_free(lr);
	return generic_text(a, rr);
}
