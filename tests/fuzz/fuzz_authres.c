/* fuzz_authres.c - the Authentication-Results parser (RFC 8601 §2.2) in
 * both modes, the writer and the authserv-id check.  Checks, on every
 * input:
 *   - an error always says why;
 *   - what strict mode accepts, lenient mode reads the same;
 *   - whatever was parsed, once written by format_line or format (when
 *     the writer accepts it), re-parses strictly to the same struct, and
 *     folded lines stay within 998 columns;
 *   - claims() sees the authserv-id the parser found.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/authres.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static bool
same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool
equal(const struct inkan_authres *a, const struct inkan_authres *b)
{
	if (strcmp(a->authserv_id, b->authserv_id) != 0 || a->version != b->version ||
	    a->nresults != b->nresults)
		return false;
	for (size_t i = 0; i < a->nresults; i++) {
		const struct inkan_authres_result *x = &a->results[i], *y = &b->results[i];

		if (strcmp(x->method, y->method) != 0 || x->version != y->version ||
		    strcmp(x->result, y->result) != 0 || !same(x->reason, y->reason) ||
		    !same(x->comment, y->comment) || x->nprops != y->nprops)
			return false;
		for (size_t k = 0; k < x->nprops; k++)
			if (strcmp(x->props[k].ptype, y->props[k].ptype) != 0 ||
			    strcmp(x->props[k].property, y->props[k].property) != 0 ||
			    strcmp(x->props[k].value, y->props[k].value) != 0)
				return false;
	}
	return true;
}

/* Remove CRLF (RFC 5322 unfolding); abort on a line over 998 columns. */
static void
unfold(struct inkan_buf *b)
{
	size_t o = 0, col = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] == '\r' && i + 1 < b->len && b->p[i + 1] == '\n') {
			i++;
			col = 0;
			continue;
		}
		if (++col > INKAN_AUTHRES_MAX_LINE + 30)	/* + the field name */
			abort();
		b->p[o++] = b->p[i];
	}
	b->len = o;
	b->p[o] = '\0';
}

static void
writeback(struct inkan_arena *a, const struct inkan_authres *ar, bool strict)
{
	for (int folded = 0; folded <= 1; folded++) {
		struct inkan_buf b;
		struct inkan_authres back;
		const char *why;

		inkan_buf_init(&b, 0);
		int rc = folded ? inkan_authres_format(ar, 24, &b) : inkan_authres_format_line(ar, &b);

		if (rc == 0) {
			if (folded)
				unfold(&b);
			if (inkan_authres_parse(a, b.p, b.len, 0, &back, &why) != 0 ||
			    !equal(ar, &back))
				abort();
		} else if (strict && rc != INKAN_ETOOBIG) {
			abort();	/* what strict mode reads can be written */
		} else if (rc != INKAN_EINVAL && rc != INKAN_ETOOBIG) {
			abort();
		}
		inkan_buf_free(&b);
	}
}

static void
check_claims(const uint8_t *data, size_t len, const char *id)
{
	size_t n = strlen(id);

	/* claims() trims spaces and one final dot; an id that is nothing
	 * after that claims nothing */
	if (n == 0 || id[0] == ' ' || id[0] == '\t' || id[n - 1] == ' ' || id[n - 1] == '\t' ||
	    strcmp(id, ".") == 0)
		return;
	if (!inkan_authres_claims((const char *)data, len, id))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	struct inkan_authres s, l;
	const char *sw = NULL, *lw = NULL;

	if (a == NULL)
		return 0;
	int src = inkan_authres_parse(a, (const char *)data, len, 0, &s, &sw);
	int lrc = inkan_authres_parse(a, (const char *)data, len, INKAN_AUTHRES_LENIENT, &l, &lw);

	if ((src != 0 && sw == NULL) || (lrc != 0 && lw == NULL))
		abort();
	if (src == 0) {
		if (lrc != 0 || !equal(&s, &l) || s.none != l.none)
			abort();
		writeback(a, &s, true);
		check_claims(data, len, s.authserv_id);
	}
	if (lrc == 0) {
		writeback(a, &l, false);
		check_claims(data, len, l.authserv_id);
	}
	(void)inkan_authres_claims((const char *)data, len, "mx.example.com");
	inkan_arena_free(a);
	return 0;
}
