/* msg.h - an incremental RFC 5322 message parser.
 *
 * The parser is fed the message in chunks of any size.  Header fields are
 * kept as the raw bytes they arrived as (DKIM and ARC hash them), with a
 * view of the name and of the unfolded value; the body is not kept but
 * streamed, chunk by chunk, to a callback (each DKIM body hasher, the
 * milter's spool...).
 *
 * Line endings: mail on disk and from many tools uses bare LF.  As MTAs do
 * when they put such a message on the wire, every LF not preceded by CR is
 * turned into CRLF, in the header and the body, so that what is hashed is
 * what a receiver would see (RFC 5322 §2.1, RFC 6376 §5.3).  A bare CR is
 * kept as it is.
 *
 * Bounds: the header may hold at most INKAN_MSG_MAX_HEADER_BYTES bytes and
 * INKAN_MSG_MAX_FIELDS fields (limits.h; smaller via options).  Past them
 * the parser stops with INKAN_ETOOBIG / INKAN_ELIMIT: a message whose header
 * cannot be held is not authenticated, not truncated.
 */
#ifndef INKAN_MSG_H
#define INKAN_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inkan/buf.h"

struct inkan_arena;

/* One header field.  All slices point into storage owned by the parser (or
 * the arena given to inkan_msg_parse) and live as long as it does. */
struct inkan_msg_field {
	/* The whole field as received (after LF -> CRLF): name, colon,
	 * value with its folding, and the terminating CRLF. */
	struct inkan_slice raw;
	/* The field name, without the colon and without WSP before it. */
	struct inkan_slice name;
	/* The value after the colon, folding and leading WSP kept, without
	 * the terminating CRLF (what a milter receives). */
	struct inkan_slice value;
	/* The value unfolded (RFC 5322 §2.2.3: CRLF before WSP removed) and
	 * trimmed of leading and trailing WSP.  NUL-terminated at
	 * unfolded.p[unfolded.len]. */
	struct inkan_slice unfolded;
};

struct inkan_msg_opts {
	/* Most header bytes (raw, CRLF counted); 0 = INKAN_MSG_MAX_HEADER_BYTES. */
	size_t max_header_bytes;
	/* Most header fields; 0 = INKAN_MSG_MAX_FIELDS. */
	size_t max_fields;
	/* Called for each complete header field, in order; a non-zero return
	 * stops the parser and is returned by inkan_msg_feed/end. */
	int (*on_field)(void *arg, const struct inkan_msg_field *f);
	/* Called once when the header ends (at the empty line, or at end of
	 * input for a message without body). */
	int (*on_header_end)(void *arg);
	/* Called with body bytes (CRLF-normalised), in order, any chunking. */
	int (*on_body)(void *arg, const char *p, size_t n);
	void *arg;
};

struct inkan_msg_parser;

/* A new parser (o may be NULL: no callbacks, default limits).  Returns 0 or
 * INKAN_ENOMEM. */
int inkan_msg_parser_new(const struct inkan_msg_opts *o, struct inkan_msg_parser **out);
/* Free the parser and its fields (NULL is a no-op). */
void inkan_msg_parser_free(struct inkan_msg_parser *p);
/* Feed n bytes.  Returns 0, a callback's non-zero return, INKAN_ETOOBIG
 * (header over max_header_bytes), INKAN_ELIMIT (too many fields) or
 * INKAN_EMALFORMED (a header line with no colon, or starting with WSP
 * before any field).  After an error every call returns the same error. */
int inkan_msg_feed(struct inkan_msg_parser *p, const char *data, size_t n);
/* End of input: flushes a last field and the body.  A message that ends
 * inside the header (no empty line) is accepted with an empty body.
 * Returns as inkan_msg_feed. */
int inkan_msg_end(struct inkan_msg_parser *p);
/* The fields seen so far, in order (valid until the parser is freed). */
const struct inkan_msg_field *inkan_msg_fields(const struct inkan_msg_parser *p, size_t *n);
/* True once the header has ended. */
bool inkan_msg_in_body(const struct inkan_msg_parser *p);
/* Body bytes passed on so far. */
uint64_t inkan_msg_body_len(const struct inkan_msg_parser *p);

/* Feed buf[0..len) through a parser with o's callbacks in one go (the
 * one-call form of every streaming session: made, fed, ended, freed).
 * Returns 0, INKAN_ENOMEM, or what inkan_msg_feed / inkan_msg_end give. */
int inkan_msg_feed_all(const struct inkan_msg_opts *o, const char *buf, size_t len);

/* A whole message, parsed. */
struct inkan_msg {
	struct inkan_msg_field *fields;
	size_t nfields;
	struct inkan_slice header;	/* all header bytes, CRLF-normalised */
	struct inkan_slice body;	/* the body, CRLF-normalised */
};

/* Parse buf[0..len) in one call; everything (fields, normalised copies of
 * header and body) lives in a.  o may be NULL; its callbacks are ignored.
 * Errors as inkan_msg_feed. */
int inkan_msg_parse(struct inkan_arena *a, const char *buf, size_t len,
    const struct inkan_msg_opts *o, struct inkan_msg *out);

/* The first / last field named name (case-insensitive), or NULL. */
const struct inkan_msg_field *inkan_msg_find(const struct inkan_msg_field *f, size_t n,
    const char *name);
const struct inkan_msg_field *inkan_msg_find_last(const struct inkan_msg_field *f, size_t n,
    const char *name);

#endif
