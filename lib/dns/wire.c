/* wire.c - DNS answer packets to struct inkan_dns_answer (see wire.h).
 *
 * Why a parser of our own.  At a million domains the survey spent a
 * quarter of its CPU turning answers into structs: ldns_wire2pkt makes a
 * malloc'd ldns_rr per record and an ldns_rdf per field, and the answer
 * walk then frees them all (bench/RESULTS.md, "Survey run side").  Here
 * a packet is read in place; only the answer itself is written, into the
 * caller's arena.
 *
 * Same answers as before, to the octet.  The reader accepts exactly the
 * packets ldns 1.8 accepts and reads them the same way, quirks included,
 * since the survey's results must not move:
 *  - every record of every section is read with ldns's descriptor of its
 *    type (ldns_rr_descript: which fields are names, which are fixed,
 *    which run to the end of the rdata), fields past the descriptor's
 *    last are not read, and a name in rdata may end past RDLENGTH; the
 *    next record starts where the fields stopped (ldns_wire2rdf), not at
 *    RDLENGTH;
 *  - names inside rdata are uncompressed wherever the descriptor says
 *    "name" (NS, CNAME, PTR, MX, SOA, SRV, ...), so that rdata handed out
 *    needs no packet to be read (inkan_dns_rr_* expect that);
 *  - a TSIG record in the additional section lowers ARCOUNT by one
 *    while the section is being read (ldns_wire2pkt);
 *  - rcode is the header's four bits; extended rcodes are not looked at.
 * tests/fuzz/fuzz_dns_wire.c holds both readers to that on any input.
 *
 * Bad names are refused with the reason in the answer's why: a pointer
 * to offset 0 or past the packet, a pointer chain longer than
 * INKAN_DNS_WIRE_MAX_POINTERS (a loop), a label over 63 octets, a name
 * over 255 octets, a name that runs past the packet.
 */
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"
#include "wire.h"

/* When no SOA says how long a negative answer holds. */
#define NEG_TTL_DEFAULT	300

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int
inkan__wire_name(const uint8_t *buf, size_t len, size_t *pos, uint8_t *name,
    const char **why)
{
	size_t p = *pos, after = 0, n = 0;
	unsigned ptrs = 0;
	uint8_t c;

	if (p >= len)
		goto past;
	c = buf[p];
	while (c != 0) {
		while (c >= 0xc0) {
			size_t t;

			if (after == 0)
				after = p + 2;
			if (p + 2 > len)
				goto past;
			t = (size_t)(c & 0x3f) << 8 | buf[p + 1];
			/* Offset 0 is the header, never a name. */
			if (t == 0 || t >= len) {
				*why = "compression pointer out of bounds";
				return -1;
			}
			/* Without a loop every pointer of a name is at a
			 * different offset, and a pointer has 14 bits. */
			if (++ptrs > INKAN_DNS_WIRE_MAX_POINTERS) {
				*why = "compression pointer loop";
				return -1;
			}
			p = t;
			c = buf[p];
		}
		if (c == 0)
			break;
		if (c > 63) {
			/* 0x40 and 0x80: RFC 6891 §5 retired extended labels */
			*why = "label longer than 63 octets";
			return -1;
		}
		if (p + 1 + c > len)
			goto past;
		/* 255 with the root label (RFC 1035 §3.1) */
		if (n + 1 + c > 254) {
			*why = "name longer than 255 octets";
			return -1;
		}
		if (name != NULL)
			memcpy(name + n, buf + p, 1 + (size_t)c);
		n += 1 + (size_t)c;
		p += 1 + (size_t)c;
		if (p >= len)
			goto past;
		c = buf[p];
	}
	if (name != NULL)
		name[n] = 0;
	*pos = after != 0 ? after : p + 1;
	return (int)n + 1;
past:
	*why = "name runs past the end";
	return -1;
}

/* Read the rdata at *pos (RDLENGTH first) field by field as ldns_wire2rdf
 * does; out (NULL: only measure) gets the fields with names uncompressed,
 * *olen their length, *nrdf how many fields were read.  *pos ends where
 * the fields stopped. */
static int
rdata_walk(const uint8_t *buf, size_t len, size_t *pos, uint16_t type, uint8_t *out,
    size_t *olen, unsigned *nrdf, const char **why)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	size_t maxf = ldns_rr_descriptor_maximum(d);
	size_t p = *pos, end, o = 0;
	uint8_t idx = 0;	/* ldns counts fields in 8 bits: past 255 they wrap */
	unsigned n = 0;

	if (p + 2 > len) {
		*why = "record runs past the end";
		return -1;
	}
	end = p + 2 + rd16(buf + p);
	p += 2;
	if (end > len) {
		*why = "rdata runs past the end";
		return -1;
	}
	while (p < end && idx < maxf) {
		size_t flen = 0;

		switch (ldns_rr_descriptor_field_type(d, idx)) {
		case LDNS_RDF_TYPE_DNAME: {
			int nl = inkan__wire_name(buf, len, &p, out != NULL ? out + o : NULL, why);

			if (nl < 0)
				return -1;
			o += (size_t)nl;
			n++;
			break;
		}
		case LDNS_RDF_TYPE_CLASS:
		case LDNS_RDF_TYPE_ALG:
		case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
		case LDNS_RDF_TYPE_SELECTOR:
		case LDNS_RDF_TYPE_MATCHING_TYPE:
		case LDNS_RDF_TYPE_INT8:
			flen = 1;
			break;
		case LDNS_RDF_TYPE_TYPE:
		case LDNS_RDF_TYPE_INT16:
		case LDNS_RDF_TYPE_CERT_ALG:
			flen = 2;
			break;
		case LDNS_RDF_TYPE_TIME:
		case LDNS_RDF_TYPE_INT32:
		case LDNS_RDF_TYPE_A:
		case LDNS_RDF_TYPE_PERIOD:
			flen = 4;
			break;
		case LDNS_RDF_TYPE_TSIGTIME:
		case LDNS_RDF_TYPE_EUI48:
			flen = 6;
			break;
		case LDNS_RDF_TYPE_ILNP64:
		case LDNS_RDF_TYPE_EUI64:
			flen = 8;
			break;
		case LDNS_RDF_TYPE_AAAA:
			flen = 16;
			break;
		case LDNS_RDF_TYPE_STR:
		case LDNS_RDF_TYPE_NSEC3_SALT:
		case LDNS_RDF_TYPE_TAG:
		case LDNS_RDF_TYPE_B32_EXT:
		case LDNS_RDF_TYPE_NSEC3_NEXT_OWNER:
			flen = (size_t)buf[p] + 1;
			break;
		case LDNS_RDF_TYPE_INT16_DATA:
			if (p + 2 > end)
				goto over;
			flen = (size_t)rd16(buf + p) + 2;
			break;
		case LDNS_RDF_TYPE_HIP:
			if (p + 4 > end)
				goto over;
			flen = (size_t)buf[p] + rd16(buf + p + 2) + 4;
			break;
		case LDNS_RDF_TYPE_APL:
		case LDNS_RDF_TYPE_B64:
		case LDNS_RDF_TYPE_HEX:
		case LDNS_RDF_TYPE_NSEC:
		case LDNS_RDF_TYPE_UNKNOWN:
		case LDNS_RDF_TYPE_SERVICE:
		case LDNS_RDF_TYPE_LOC:
		case LDNS_RDF_TYPE_WKS:
		case LDNS_RDF_TYPE_NSAP:
		case LDNS_RDF_TYPE_ATMA:
		case LDNS_RDF_TYPE_IPSECKEY:
		case LDNS_RDF_TYPE_LONG_STR:
		case LDNS_RDF_TYPE_AMTRELAY:
		case LDNS_RDF_TYPE_SVCPARAMS:
		case LDNS_RDF_TYPE_NONE:
			flen = end - p;
			break;
		default:
			/* No such field type in ldns 1.8: stop rather than
			 * loop without moving. */
			goto done;
		}
		if (flen > 0) {
			if (p + flen > end)
				goto over;
			if (out != NULL)
				memcpy(out + o, buf + p, flen);
			o += flen;
			p += flen;
			n++;
		}
		idx++;
	}
done:
	*pos = p;
	*olen = o;
	*nrdf = n;
	return 0;
over:
	*why = "rdata field runs past its RDLENGTH";
	return -1;
}

/* A record of the answer section, as read. */
struct wrr {
	size_t owner;		/* offset of its owner name */
	size_t rdata;		/* offset of its RDLENGTH */
	uint32_t ttl;
	uint16_t type, class;
	unsigned nrdf;		/* rdata fields read */
};

static int
malformed(struct inkan_arena *a, const char *qname, uint16_t qtype, const char *why,
    struct inkan_dns_answer *out)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "malformed answer: %s", why);
	return inkan__dns_answer_status(a, qname, qtype, INKAN_DNS_SERVFAIL, 0, msg, out);
}

/* Whether r is of class IN and type (any for ANY) at the name cur
 * (uncompressed, curlen octets), names compared as ldns_dname_compare
 * does: label by label, ASCII case folded. */
static bool
rr_at(const uint8_t *buf, size_t len, const struct wrr *r, const uint8_t *cur, int curlen,
    uint16_t type)
{
	uint8_t own[256];
	size_t p = r->owner;
	const char *why;

	if (r->class != 1 || (type != INKAN_DNS_ANY && r->type != type))
		return false;
	if (inkan__wire_name(buf, len, &p, own, &why) != curlen)
		return false;
	for (int i = 0; i < curlen; i++)
		if (lower(own[i]) != lower(cur[i]))
			return false;
	return true;
}

/* Presentation form of an uncompressed name as ldns_rdf2str writes it
 * (. ; ( ) \ escaped with a backslash, other octets outside 0x21-0x7e as
 * \DDD), without the trailing dot; "." for the root. */
static const char *
name_text(struct inkan_arena *a, const uint8_t *name)
{
	char s[4 * 255 + 2];
	size_t n = 0, p = 0;

	if (name[0] == 0)
		return inkan_arena_strdup(a, ".");
	while (name[p] != 0) {
		uint8_t l = name[p++];

		if (n > 0)
			s[n++] = '.';
		for (uint8_t i = 0; i < l; i++) {
			uint8_t c = name[p++];

			if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
				s[n++] = '\\';
				s[n++] = (char)c;
			} else if (c < 0x21 || c > 0x7e) {
				s[n++] = '\\';
				s[n++] = (char)('0' + c / 100);
				s[n++] = (char)('0' + c / 10 % 10);
				s[n++] = (char)('0' + c % 10);
			} else {
				s[n++] = (char)c;
			}
		}
	}
	return inkan_arena_strndup(a, s, n);
}

int
inkan__wire_answer(struct inkan_arena *a, const char *qname, uint16_t qtype,
    const uint8_t *buf, size_t len, struct inkan_dns_answer *out)
{
	struct wrr *an = NULL;
	size_t pos = 12, qpos = 0;
	unsigned qd, nan, rc;
	uint32_t negttl = NEG_TTL_DEFAULT, ttl = UINT32_MAX;
	bool have_soa = false;
	const char *why;
	uint8_t cur[256];
	int curlen;
	size_t n = 0;
	struct inkan_dns_rr *rr;

	if (len < 12)
		return malformed(a, qname, qtype, "shorter than a DNS header", out);
	qd = rd16(buf + 4);
	nan = rd16(buf + 6);
	for (unsigned i = 0; i < qd; i++) {
		if (i == 0)
			qpos = pos;
		if (inkan__wire_name(buf, len, &pos, NULL, &why) < 0)
			return malformed(a, qname, qtype, why, out);
		if (pos + 4 > len)
			return malformed(a, qname, qtype, "question runs past the end", out);
		pos += 4;
	}
	/* A record takes at least 11 octets (root owner, type, class, TTL,
	 * RDLENGTH): a count the packet cannot hold is refused before room
	 * is made for it. */
	if ((size_t)nan * 11 > len - pos)
		return malformed(a, qname, qtype, "more answers counted than the packet holds", out);
	if (nan > 0 && (an = inkan_arena_alloc(a, nan * sizeof(*an))) == NULL)
		return INKAN_ENOMEM;
	for (int sec = 0; sec < 3; sec++) {
		unsigned count = rd16(buf + 6 + 2 * sec);

		for (unsigned i = 0; i < count; i++) {
			struct wrr r;
			size_t olen;

			r.owner = pos;
			if (inkan__wire_name(buf, len, &pos, NULL, &why) < 0)
				return malformed(a, qname, qtype, why, out);
			if (pos + 8 > len)
				return malformed(a, qname, qtype, "record runs past the end", out);
			r.type = rd16(buf + pos);
			r.class = rd16(buf + pos + 2);
			r.ttl = rd32(buf + pos + 4);
			pos += 8;
			r.rdata = pos;
			if (rdata_walk(buf, len, &pos, r.type, NULL, &olen, &r.nrdf, &why) != 0)
				return malformed(a, qname, qtype, why, out);
			if (sec == 0) {
				an[i] = r;
			} else if (sec == 1) {
				/* RFC 2308 §5: the smaller of the SOA's TTL and
				 * its MINIMUM, the last of its 7 fields. */
				if (!have_soa && r.type == INKAN_DNS_SOA && r.nrdf == 7) {
					uint32_t min = rd32(buf + pos - 4);

					negttl = r.ttl < min ? r.ttl : min;
					have_soa = true;
				}
			} else if (r.type == LDNS_RR_TYPE_TSIG) {
				count--;	/* as ldns_wire2pkt does */
			}
		}
	}
	rc = buf[3] & 0x0f;
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		char w[32];

		snprintf(w, sizeof(w), "rcode %u", rc);
		return inkan__dns_answer_status(a, qname, qtype, INKAN_DNS_SERVFAIL, 0,
		    rc == LDNS_RCODE_SERVFAIL ? "server failure" : w, out);
	}
	if (qd != 1)
		return inkan__dns_answer_status(a, qname, qtype, INKAN_DNS_SERVFAIL, 0,
		    "malformed answer", out);
	memset(out, 0, sizeof(*out));
	if ((out->qname = inkan_arena_strdup(a, qname)) == NULL)
		return INKAN_ENOMEM;
	out->qtype = qtype;
	pos = qpos;
	curlen = inkan__wire_name(buf, len, &pos, cur, &why);
	/* Follow the chain (RFC 1034 §3.6.2) as far as the answer section
	 * goes; the type asked for wins over a CNAME at the same name (for
	 * qtype CNAME, the CNAME is the answer). */
	for (int hop = 0; ; hop++) {
		const struct wrr *target = NULL;

		for (unsigned i = 0; i < nan; i++) {
			const struct wrr *r = &an[i];

			if (rr_at(buf, len, r, cur, curlen, qtype)) {
				n++;
				if (r->ttl < ttl)
					ttl = r->ttl;
			} else if (target == NULL && r->nrdf == 1 &&
			    rr_at(buf, len, r, cur, curlen, INKAN_DNS_CNAME)) {
				target = r;
			}
		}
		if (n > 0 || target == NULL || hop >= INKAN_DNS_MAX_CNAME_CHAIN)
			break;
		pos = target->rdata + 2;
		curlen = inkan__wire_name(buf, len, &pos, cur, &why);
		if (target->ttl < ttl)
			ttl = target->ttl;
		if ((out->canonname = name_text(a, cur)) == NULL)
			return INKAN_ENOMEM;
	}
	if (n == 0) {
		out->status = rc == LDNS_RCODE_NXDOMAIN ? INKAN_DNS_NXDOMAIN : INKAN_DNS_NODATA;
		out->ttl = negttl;
		return 0;
	}
	out->status = INKAN_DNS_OK;
	out->ttl = ttl;
	if (n > INKAN_DNS_MAX_RRS) {
		n = INKAN_DNS_MAX_RRS;
		out->truncated = true;
	}
	if ((rr = inkan_arena_alloc(a, n * sizeof(*rr))) == NULL)
		return INKAN_ENOMEM;
	out->rr = rr;
	for (size_t i = 0, k = 0; i < nan && k < n; i++) {
		const struct wrr *r = &an[i];
		size_t olen;
		unsigned nf;
		uint8_t *data;

		if (!rr_at(buf, len, r, cur, curlen, qtype))
			continue;
		/* measure, then copy with names uncompressed */
		pos = r->rdata;
		(void)rdata_walk(buf, len, &pos, r->type, NULL, &olen, &nf, &why);
		if (olen > INKAN_DNS_MAX_RDATA || (data = inkan_arena_alloc(a, olen)) == NULL)
			return INKAN_ENOMEM;
		pos = r->rdata;
		(void)rdata_walk(buf, len, &pos, r->type, data, &olen, &nf, &why);
		rr[k].type = r->type;
		rr[k].ttl = out->ttl;
		rr[k].len = (uint16_t)olen;
		rr[k].data = data;
		k++;
		out->nrr = k;
	}
	return 0;
}

/* ---- the ldns way, for comparison ---- */

static uint32_t
neg_ttl(const ldns_pkt *p)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);

	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7) {
			uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));

			return ldns_rr_ttl(rr) < min ? ldns_rr_ttl(rr) : min;
		}
	}
	return NEG_TTL_DEFAULT;
}

/* Presentation form of a name, without the trailing dot. */
static const char *
ldns_name_text(struct inkan_arena *a, const ldns_rdf *d)
{
	char *s = ldns_rdf2str(d);
	const char *out;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		n--;
	out = inkan_arena_strndup(a, s, n);
	free(s);
	return out;
}

static bool
ldns_rr_at(const ldns_rr *rr, const ldns_rdf *owner, uint16_t type)
{
	return ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    (type == INKAN_DNS_ANY || ldns_rr_get_type(rr) == (ldns_rr_type)type) &&
	    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

static int
pkt_answer(struct inkan_arena *a, const char *qname, uint16_t qtype, const ldns_pkt *p,
    ldns_buffer *rdbuf, struct inkan_dns_answer *out)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	size_t nan = ldns_rr_list_rr_count(an);
	const ldns_rdf *cur;
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
	uint32_t ttl = UINT32_MAX;
	size_t n = 0;
	struct inkan_dns_rr *rr;

	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		char why[32];

		snprintf(why, sizeof(why), "rcode %d", (int)rc);
		return inkan__dns_answer_status(a, qname, qtype, INKAN_DNS_SERVFAIL, 0,
		    rc == LDNS_RCODE_SERVFAIL ? "server failure" : why, out);
	}
	if (ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1)
		return inkan__dns_answer_status(a, qname, qtype, INKAN_DNS_SERVFAIL, 0,
		    "malformed answer", out);
	memset(out, 0, sizeof(*out));
	if ((out->qname = inkan_arena_strdup(a, qname)) == NULL)
		return INKAN_ENOMEM;
	out->qtype = qtype;
	cur = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0));
	for (int hop = 0; ; hop++) {
		const ldns_rdf *target = NULL;
		uint32_t cttl = 0;

		for (size_t i = 0; i < nan; i++) {
			const ldns_rr *r = ldns_rr_list_rr(an, i);

			if (ldns_rr_at(r, cur, qtype)) {
				n++;
				if (ldns_rr_ttl(r) < ttl)
					ttl = ldns_rr_ttl(r);
			} else if (target == NULL && ldns_rr_at(r, cur, INKAN_DNS_CNAME) &&
			    ldns_rr_rd_count(r) == 1) {
				target = ldns_rr_rdf(r, 0);
				cttl = ldns_rr_ttl(r);
			}
		}
		if (n > 0 || target == NULL || hop >= INKAN_DNS_MAX_CNAME_CHAIN)
			break;
		cur = target;
		if (cttl < ttl)
			ttl = cttl;
		if ((out->canonname = ldns_name_text(a, cur)) == NULL)
			return INKAN_ENOMEM;
	}
	if (n == 0) {
		out->status = rc == LDNS_RCODE_NXDOMAIN ? INKAN_DNS_NXDOMAIN : INKAN_DNS_NODATA;
		out->ttl = neg_ttl(p);
		return 0;
	}
	out->status = INKAN_DNS_OK;
	out->ttl = ttl;
	if (n > INKAN_DNS_MAX_RRS) {
		n = INKAN_DNS_MAX_RRS;
		out->truncated = true;
	}
	if ((rr = inkan_arena_alloc(a, n * sizeof(*rr))) == NULL)
		return INKAN_ENOMEM;
	out->rr = rr;
	for (size_t i = 0, k = 0; i < nan && k < n; i++) {
		const ldns_rr *r = ldns_rr_list_rr(an, i);

		if (!ldns_rr_at(r, cur, qtype))
			continue;
		ldns_buffer_clear(rdbuf);
		if (ldns_rr_rdata2buffer_wire(rdbuf, r) != LDNS_STATUS_OK ||
		    ldns_buffer_position(rdbuf) > INKAN_DNS_MAX_RDATA)
			return INKAN_ENOMEM;
		rr[k].type = (uint16_t)ldns_rr_get_type(r);
		rr[k].ttl = out->ttl;
		rr[k].len = (uint16_t)ldns_buffer_position(rdbuf);
		rr[k].data = inkan_arena_memdup(a, ldns_buffer_begin(rdbuf), rr[k].len);
		if (rr[k].data == NULL)
			return INKAN_ENOMEM;
		k++;
		out->nrr = k;
	}
	return 0;
}

int
inkan__wire_answer_ldns(struct inkan_arena *a, const char *qname, uint16_t qtype,
    const uint8_t *buf, size_t len, struct inkan_dns_answer *out)
{
	ldns_pkt *p = NULL;
	ldns_buffer *rdbuf;
	int rc;

	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK)
		return inkan__dns_answer_status(a, qname, qtype, INKAN_DNS_SERVFAIL, 0,
		    "malformed answer", out);
	if ((rdbuf = ldns_buffer_new(512)) == NULL) {
		ldns_pkt_free(p);
		return INKAN_ENOMEM;
	}
	rc = pkt_answer(a, qname, qtype, p, rdbuf, out);
	ldns_buffer_free(rdbuf);
	ldns_pkt_free(p);
	return rc;
}
