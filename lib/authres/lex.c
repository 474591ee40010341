/* lex.c - the lexical checks the A-R parser and writer share: is this a
 * Keyword, and may this property value stand unquoted (RFC 8601 §2.2)? */
#include <string.h>

#include "inkan/authres.h"

#include "authres_int.h"

bool
inkan__authres_keyword(const char *s, size_t n)
{
	if (n == 0 || !ar_is_alnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ar_is_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

bool
inkan_authres_is_keyword(const char *s)
{
	return s != NULL && inkan__authres_keyword(s, strlen(s));
}

/* RFC 6376 §3.5 domain-name = sub-domain 1*("." sub-domain), sub-domain
 * (RFC 5321) = Let-dig [Ldh-str].  U-labels pass when utf8 is set. */
static bool
domain_name(const char *s, size_t n, bool utf8)
{
	size_t labels = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		size_t len = i - start;

		if (len == 0)
			return false;
		for (size_t j = start; j < i; j++) {
			unsigned char c = (unsigned char)s[j];
			bool edge = j == start || j == i - 1;

			if (c >= 0x80 ? !utf8 : !(ar_is_alnum(c) || (c == '-' && !edge)))
				return false;
		}
		labels++;
		start = i + 1;
	}
	return labels >= 2;
}

/* RFC 5322 §3.2.3 dot-atom-text; empty is allowed (the local-part is
 * optional before "@"). */
static bool
dot_atom_or_empty(const char *s, size_t n, bool utf8)
{
	if (n == 0)
		return true;
	if (s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!ar_is_atext((unsigned char)s[i], utf8)) {
			return false;
		}
	}
	return true;
}

bool
inkan__authres_bare_value(const char *s, size_t n, bool utf8)
{
	const char *at;
	bool token = n > 0;

	for (size_t i = 0; i < n && token; i++)
		token = ar_is_token_char((unsigned char)s[i], utf8);
	if (token)
		return true;
	if ((at = memchr(s, '@', n)) == NULL)
		return false;
	size_t l = (size_t)(at - s);

	return dot_atom_or_empty(s, l, utf8) && domain_name(at + 1, n - l - 1, utf8);
}
