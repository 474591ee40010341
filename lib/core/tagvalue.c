/* tagvalue.c - the tag=value list of RFC 6376 §3.2.
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR    VALCHAR = %x21-3A / %x3C-7E
 *
 * Deviations, all on the lenient side and shared by every deployed
 * verifier we know: an empty tag-spec (";;" or a lone ";") is skipped,
 * bare LF counts as a line break in FWS, and octets above 0x7E are
 * accepted in values (notes in n= and DMARC URIs carry UTF-8).
 * Control characters other than FWS are refused.
 */
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/tagvalue.h"
#include "bytescan.h"

struct cur {
	const char *s;
	size_t i, len;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnumpunc(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* Skip FWS: WSP, and CRLF/LF only when followed by WSP.  Returns false at
 * a line break that is not folding (a syntax error for the caller). */
static bool
skip_fws(struct cur *c)
{
	for (;;) {
		if (c->i < c->len && is_wsp(c->s[c->i])) {
			c->i++;
			continue;
		}
		size_t j = c->i;

		if (j < c->len && c->s[j] == '\r')
			j++;
		if (j < c->len && c->s[j] == '\n') {
			j++;
			if (j < c->len && is_wsp(c->s[j])) {
				c->i = j;
				continue;
			}
			return false;
		}
		if (j != c->i)
			return false;	/* CR without LF */
		return true;
	}
}

static int
fail(struct inkan_tv_error *err, size_t off, const char *why)
{
	if (err != NULL) {
		err->offset = off;
		err->why = why;
	}
	return INKAN_EMALFORMED;
}

int
inkan_tv_parse(struct inkan_arena *a, const char *s, size_t len, unsigned flags,
    struct inkan_taglist *out, struct inkan_tv_error *err)
{
	struct inkan_tag tags[INKAN_TV_MAX_TAGS];
	struct cur c = { s, 0, len };
	size_t n = 0;

	out->tags = NULL;
	out->n = 0;
	while (c.i < c.len) {
		struct inkan_tag t;
		size_t start;

		if (!skip_fws(&c))
			return fail(err, c.i, "line break not followed by whitespace");
		if (c.i < c.len && c.s[c.i] == ';') {	/* empty tag-spec */
			c.i++;
			continue;
		}
		if (c.i == c.len)
			break;
		start = c.i;
		if (!is_alpha(c.s[c.i]))
			return fail(err, c.i, "tag name must start with a letter");
		while (c.i < c.len && is_alnumpunc(c.s[c.i]))
			c.i++;
		t.name = (struct inkan_slice){ c.s + start, c.i - start };
		t.offset = start;
		if (!skip_fws(&c))
			return fail(err, c.i, "line break not followed by whitespace");
		if (c.i == c.len || c.s[c.i] != '=')
			return fail(err, c.i, c.i == c.len ? "tag without '='" :
			    "invalid character in tag name");
		c.i++;
		if (!skip_fws(&c))
			return fail(err, c.i, "line break not followed by whitespace");
		start = c.i;
		size_t end = c.i;
		while (c.i < c.len && c.s[c.i] != ';') {
			/* a run of VALCHAR (and octets above 0x7E): most of
			 * a value, b= and p= in one go */
			size_t j = c.i + inkan__span_text(c.s + c.i, c.len - c.i, ';', 0x7f);

			if (j > c.i) {
				c.i = end = j;
				continue;
			}
			unsigned char ch = (unsigned char)c.s[c.i];

			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
				if (!skip_fws(&c))
					return fail(err, c.i,
					    "line break not followed by whitespace");
				continue;
			}
			if (ch < 0x21 || ch == 0x7f)
				return fail(err, c.i, "control character in tag value");
			c.i++;
			end = c.i;
		}
		t.value = (struct inkan_slice){ c.s + start, end - start };
		if (c.i < c.len)
			c.i++;	/* ';' */
		if (!(flags & INKAN_TV_ALLOW_DUP)) {
			for (size_t k = 0; k < n; k++)
				if (inkan_slice_eq(tags[k].name, t.name))
					return fail(err, t.offset, "duplicate tag");
		}
		if (n == INKAN_TV_MAX_TAGS) {
			if (err != NULL) {
				err->offset = t.offset;
				err->why = "too many tags";
			}
			return INKAN_ELIMIT;
		}
		tags[n++] = t;
	}
	if (n > 0) {
		out->tags = inkan_arena_memdup(a, tags, n * sizeof(tags[0]));
		if (out->tags == NULL)
			return INKAN_ENOMEM;
	}
	out->n = n;
	return 0;
}

const struct inkan_tag *
inkan_tv_get(const struct inkan_taglist *l, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < l->n; i++)
		if (l->tags[i].name.len == nl && l->tags[i].name.p[0] == name[0] &&
		    memcmp(l->tags[i].name.p, name, nl) == 0)
			return &l->tags[i];
	return NULL;
}
