/* format.c - writing Authentication-Results field values (RFC 8601 §2.2).
 *
 * The value is rendered once as a single line, noting where it may be
 * folded:
 *   RESULT   the space after the ';' that ends a result: when the field
 *            must be folded, every result starts a line (CRLF TAB);
 *   BETWEEN  the space before a comment, reason= or property: replaced by
 *            CRLF TAB when the next piece would pass column 78;
 *   COMMENT  a space inside a comment: CRLF is put before it, so the
 *            comment reads the same once unfolded (RFC 5322 §2.2.3
 *            unfolding removes only the CRLF).
 * Quoted-strings are never folded: a fold inside one would change the
 * value.  A piece that cannot be broken and does not fit stays whole, up
 * to the 998-character line limit of RFC 5322 §2.1.1.
 */
#include <stdlib.h>
#include <string.h>

#include "inkan/authres.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "authres_int.h"

enum bp_kind { BP_RESULT, BP_BETWEEN, BP_COMMENT };

struct bp {
	size_t pos;		/* index of the space in the line */
	enum bp_kind kind;
};

struct out {
	struct inkan_buf line;
	struct bp *bps;		/* NULL when not folding */
	size_t nbps, capbps;
	bool folding;
	int err;
};

static void
mark(struct out *o, enum bp_kind kind)
{
	if (!o->folding || o->err)
		return;
	if (o->nbps == o->capbps) {
		size_t ncap = o->capbps ? o->capbps * 2 : 32;
		struct bp *n = realloc(o->bps, ncap * sizeof(*n));

		if (n == NULL) {
			o->err = INKAN_ENOMEM;
			return;
		}
		o->bps = n;
		o->capbps = ncap;
	}
	o->bps[o->nbps++] = (struct bp){ o->line.len, kind };
}

/* A space that may become a fold of the given kind. */
static void
space(struct out *o, enum bp_kind kind)
{
	mark(o, kind);
	inkan_buf_putc(&o->line, ' ');
}

/* Printable text: no control characters except HTAB (which quoted-strings
 * and comments may hold as WSP). */
static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (ar_is_ctl((unsigned char)*s) && *s != '\t')
			return false;
	return true;
}

static void
keyword(struct out *o, const char *s)
{
	if (!inkan_authres_is_keyword(s))
		o->err = INKAN_EINVAL;
	else
		inkan_buf_puts(&o->line, s);
}

/* An RFC 2045 value (pvalue: the address form is allowed bare too),
 * quoted when it must be (RFC 8601 §2.2). */
static void
value(struct out *o, const char *s, bool pvalue)
{
	size_t n;
	bool bare = false;

	if (s == NULL || !printable(s)) {
		o->err = INKAN_EINVAL;
		return;
	}
	n = strlen(s);
	if (pvalue) {
		bare = inkan__authres_bare_value(s, n, false);
	} else {
		bare = n > 0;
		for (size_t i = 0; i < n && bare; i++)
			bare = ar_is_token_char((unsigned char)s[i], false);
	}
	if (bare) {
		inkan_buf_append(&o->line, s, n);
		return;
	}
	inkan_buf_putc(&o->line, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			inkan_buf_putc(&o->line, '\\');
		inkan_buf_putc(&o->line, *s);
	}
	inkan_buf_putc(&o->line, '"');
}

/* A comment, escaped (RFC 5322 §3.2.2: '(', ')' and '\' as quoted-pairs). */
static void
comment(struct out *o, const char *s)
{
	if (!printable(s)) {
		o->err = INKAN_EINVAL;
		return;
	}
	space(o, BP_BETWEEN);
	inkan_buf_putc(&o->line, '(');
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ' && i > 0 && s[i + 1] != ' ' && s[i + 1] != '\0') {
			space(o, BP_COMMENT);
			continue;
		}
		if (s[i] == '(' || s[i] == ')' || s[i] == '\\')
			inkan_buf_putc(&o->line, '\\');
		inkan_buf_putc(&o->line, s[i]);
	}
	inkan_buf_putc(&o->line, ')');
}

static void
result(struct out *o, const struct inkan_authres_result *r)
{
	if (r->method == NULL || r->result == NULL || r->version < 0 ||
	    (r->nprops > 0 && r->props == NULL)) {
		o->err = INKAN_EINVAL;
		return;
	}
	keyword(o, r->method);
	if (r->version > 0)
		inkan_buf_printf(&o->line, "/%d", r->version);
	inkan_buf_putc(&o->line, '=');
	keyword(o, r->result);
	if (r->comment != NULL)
		comment(o, r->comment);
	if (r->reason != NULL) {
		space(o, BP_BETWEEN);
		inkan_buf_puts(&o->line, "reason=");
		value(o, r->reason, false);
	}
	for (size_t i = 0; i < r->nprops && o->err == 0; i++) {
		const struct inkan_authres_prop *p = &r->props[i];

		if (p->ptype == NULL || p->property == NULL) {
			o->err = INKAN_EINVAL;
			return;
		}
		space(o, BP_BETWEEN);
		keyword(o, p->ptype);
		inkan_buf_putc(&o->line, '.');
		keyword(o, p->property);
		inkan_buf_putc(&o->line, '=');
		value(o, p->value, true);
	}
}

static int
render(const struct inkan_authres *ar, struct out *o)
{
	if (ar == NULL || ar->authserv_id == NULL || ar->authserv_id[0] == '\0' ||
	    ar->version < 0 || (ar->nresults > 0 && ar->results == NULL))
		return INKAN_EINVAL;
	value(o, ar->authserv_id, false);
	if (ar->version > 0)
		inkan_buf_printf(&o->line, " %d", ar->version);
	inkan_buf_putc(&o->line, ';');
	if (ar->nresults == 0) {
		space(o, BP_RESULT);
		inkan_buf_puts(&o->line, "none");
	}
	for (size_t i = 0; i < ar->nresults && o->err == 0; i++) {
		if (i > 0)
			inkan_buf_putc(&o->line, ';');
		space(o, BP_RESULT);
		result(o, &ar->results[i]);
	}
	if (o->err == 0)
		o->err = o->line.err;
	return o->err;
}

int
inkan_authres_format_line(const struct inkan_authres *ar, struct inkan_buf *b)
{
	struct out o = { .folding = false };
	int rc;

	if (b == NULL)
		return INKAN_EINVAL;
	inkan_buf_init(&o.line, INKAN_AUTHRES_MAX_VALUE);
	if ((rc = render(ar, &o)) == 0)
		rc = inkan_buf_append(b, o.line.p, o.line.len);
	inkan_buf_free(&o.line);
	return rc;
}

/* Lay out the line with its fold points, starting at column col. */
static int
fold(const struct out *o, size_t col, struct inkan_buf *b)
{
	const char *s = o->line.p;
	size_t n = o->line.len, at = 0;

	for (size_t k = 0; k <= o->nbps; k++) {
		size_t end = k < o->nbps ? o->bps[k].pos : n;
		size_t len = end - at;

		if (k > 0) {
			/* s[at] is the space of fold point k-1 */
			enum bp_kind kind = o->bps[k - 1].kind;

			if (kind == BP_RESULT || col + len > INKAN_AUTHRES_FOLD_COLUMN) {
				if (kind == BP_COMMENT) {
					inkan_buf_puts(b, "\r\n");
					col = 0;
				} else {
					inkan_buf_puts(b, "\r\n\t");
					col = 1;
					at++;
					len--;
				}
			}
		}
		inkan_buf_append(b, s + at, len);
		col += len;
		if (col > INKAN_AUTHRES_MAX_LINE)
			return INKAN_ETOOBIG;
		at = end;
	}
	return b->err;
}

int
inkan_authres_format(const struct inkan_authres *ar, size_t fold_start, struct inkan_buf *b)
{
	struct out o = { .folding = true };
	int rc;

	if (b == NULL)
		return INKAN_EINVAL;
	inkan_buf_init(&o.line, INKAN_AUTHRES_MAX_VALUE);
	rc = render(ar, &o);
	if (rc == 0) {
		if (fold_start + o.line.len <= INKAN_AUTHRES_FOLD_COLUMN) {
			rc = inkan_buf_append(b, o.line.p, o.line.len);
		} else {
			size_t before = b->len;

			rc = fold(&o, fold_start, b);
			if (rc == INKAN_ETOOBIG && b->err == 0) {
				/* do not leave half a field behind */
				b->len = before;
				b->p[before] = '\0';
			}
		}
	}
	inkan_buf_free(&o.line);
	free(o.bps);
	return rc;
}
