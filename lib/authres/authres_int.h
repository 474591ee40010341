/* authres_int.h - character classes shared by the A-R parser, writer and
 * the authserv-id check.
 *
 * RFC 8601 §2.2 borrows its lexical pieces from three RFCs: value (token
 * or quoted-string) from RFC 2045 §5.1, Keyword from RFC 5321 §4.1.2,
 * local-part, comments and quoted-strings from RFC 5322 §3.2, and
 * domain-name from RFC 6376 §3.5.  Octets above 0x7E are let through where
 * RFC 6532 §3.2 allows UTF-8 (when `utf8` is true); the writer never
 * leaves them unquoted.
 */
#ifndef INKAN_AUTHRES_INT_H
#define INKAN_AUTHRES_INT_H

#include <stdbool.h>
#include <stddef.h>

static inline bool
ar_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whitespace of FWS.  Bare CR and LF count: real fields are often stored
 * with LF line ends, and RFC 5322 unfolding only removes them. */
static inline bool
ar_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool
ar_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 2045 §5.1 tspecials. */
static inline bool
ar_is_tspecial(unsigned char c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case '@': case ',': case ';':
	case ':': case '\\': case '"': case '/': case '[': case ']': case '?':
	case '=':
		return true;
	default:
		return false;
	}
}

/* RFC 2045 token character (any US-ASCII CHAR except SPACE, CTLs and
 * tspecials). */
static inline bool
ar_is_token_char(unsigned char c, bool utf8)
{
	if (c >= 0x80)
		return utf8;
	return c > 0x20 && c < 0x7f && !ar_is_tspecial(c);
}

/* RFC 5322 §3.2.3 atext. */
static inline bool
ar_is_atext(unsigned char c, bool utf8)
{
	if (c >= 0x80)
		return utf8;
	if (ar_is_alnum(c))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
	case '+': case '-': case '/': case '=': case '?': case '^': case '_':
	case '`': case '{': case '|': case '}': case '~':
		return true;
	default:
		return false;
	}
}

/* RFC 5321 Keyword = Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig. */
bool inkan__authres_keyword(const char *s, size_t n);
/* A pvalue that needs no quoting: an RFC 2045 token, or
 * [dot-atom-text] "@" domain-name (RFC 8601 §2.2). */
bool inkan__authres_bare_value(const char *s, size_t n, bool utf8);

#endif
