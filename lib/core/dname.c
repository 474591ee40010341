/* dname.c - domain-name validation, case folding and IDNA (libidn2). */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static size_t
strip_dot(const char *s, size_t len)
{
	return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

static int
bad(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return INKAN_EMALFORMED;
}

int
inkan_dname_check(const char *s, size_t len, unsigned flags, const char **why)
{
	size_t n = strip_dot(s, len), labels = 0, lablen = 0;

	if (n == 0)
		return bad(why, len == 0 ? "empty name" : "root name");
	if (n > INKAN_DNAME_MAX_TEXT)
		return bad(why, "name longer than 253 characters");
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (lablen == 0)
				return bad(why, "empty label");
			if (lablen > INKAN_DNAME_MAX_LABEL)
				return bad(why, "label longer than 63 characters");
			if ((flags & INKAN_DNAME_HOSTNAME) &&
			    (s[i - 1] == '-' || s[i - lablen] == '-'))
				return bad(why, "label starts or ends with a hyphen");
			labels++;
			lablen = 0;
			continue;
		}
		unsigned char c = (unsigned char)s[i];

		if (flags & INKAN_DNAME_HOSTNAME) {
			bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' ||
			    (c == '_' && (flags & INKAN_DNAME_UNDERSCORE));
			if (!ok)
				return bad(why, "character not allowed in a host name");
		} else if (c <= 0x20 || c == 0x7f) {
			return bad(why, "space or control character in name");
		}
		lablen++;
	}
	if ((flags & INKAN_DNAME_MULTILABEL) && labels < 2)
		return bad(why, "single-label name");
	return 0;
}

char *
inkan_dname_lower(struct inkan_arena *a, const char *s, size_t len)
{
	size_t n = strip_dot(s, len);
	char *q = inkan_arena_alloc(a, n + 1);

	if (q == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		q[i] = (char)lower((unsigned char)s[i]);
	q[n] = '\0';
	return q;
}

bool
inkan_dname_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	alen = strip_dot(a, alen);
	blen = strip_dot(b, blen);
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

bool
inkan_dname_is_sub(const char *child, size_t clen, const char *parent, size_t plen)
{
	clen = strip_dot(child, clen);
	plen = strip_dot(parent, plen);
	if (plen == 0)
		return true;	/* everything is below the root */
	if (clen < plen)
		return false;
	if (!inkan_dname_equal(child + clen - plen, plen, parent, plen))
		return false;
	return clen == plen || child[clen - plen - 1] == '.';
}

size_t
inkan_dname_labels(const char *s, size_t len)
{
	size_t n = strip_dot(s, len), labels = n > 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '.')
			labels++;
	return labels;
}

static bool
is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

int
inkan_dname_to_ascii(struct inkan_arena *a, const char *utf8, size_t len, char **out,
    const char **why)
{
	char *in, *res = NULL;
	int rc;

	*out = NULL;
	if (is_ascii(utf8, len)) {
		if ((*out = inkan_dname_lower(a, utf8, len)) == NULL)
			return INKAN_ENOMEM;
		return 0;
	}
	if ((in = strndup(utf8, len)) == NULL)
		return INKAN_ENOMEM;
	/* IDNA2008 with UTS#46 mapping, non-transitional: what browsers and
	 * mail clients use to turn a typed name into A-labels. */
	rc = idn2_lookup_u8((const uint8_t *)in, (uint8_t **)&res,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	free(in);
	if (rc != IDN2_OK) {
		if (why != NULL)
			*why = idn2_strerror(rc);
		return rc == IDN2_MALLOC ? INKAN_ENOMEM : INKAN_EMALFORMED;
	}
	*out = inkan_dname_lower(a, res, strlen(res));
	idn2_free(res);
	return *out == NULL ? INKAN_ENOMEM : 0;
}

int
inkan_dname_to_unicode(struct inkan_arena *a, const char *s, size_t len, char **out,
    const char **why)
{
	char *in, *res = NULL;
	int rc;

	*out = NULL;
	if ((in = strndup(s, strip_dot(s, len))) == NULL)
		return INKAN_ENOMEM;
	rc = idn2_to_unicode_8z8z(in, &res, 0);
	free(in);
	if (rc != IDN2_OK) {
		if (why != NULL)
			*why = idn2_strerror(rc);
		return rc == IDN2_MALLOC ? INKAN_ENOMEM : INKAN_EMALFORMED;
	}
	*out = inkan_arena_strdup(a, res);
	idn2_free(res);
	return *out == NULL ? INKAN_ENOMEM : 0;
}
