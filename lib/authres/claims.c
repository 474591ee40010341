/* claims.c - does an Authentication-Results field claim to be ours?
 *
 * RFC 8601 §5: an MTA MUST delete A-R fields that claim, by their
 * authserv-id, to come from inside its trust boundary but arrived from
 * outside it.  Leaving one in lets a forger pass verdicts to whatever
 * trusts our fields downstream (CVE-2019-20790: a forged upstream A-R
 * trusted by OpenDMARC).  This check must therefore not depend on the
 * field parsing: a forged field that is malformed is still read by some
 * lenient consumer.
 *
 * We read the authserv-id two ways and say "ours" if either matches:
 *   1. RFC 8601 §2.2: after CFWS (comments skipped, nested, with
 *      quoted-pairs), a token or quoted-string (unescaped);
 *   2. after the same CFWS, the whole first word up to whitespace, ';' or
 *      '(' with surrounding quotes removed, which is what a reader that
 *      does not know RFC 2045 tspecials takes.
 * The comparison ignores ASCII case (RFC 8601 §5: the authserv-id is
 * compared case-insensitively), whitespace at either end (inside quotes,
 * or around our own id), and one trailing dot (an absolute domain name names the same host).
 * Erring towards "ours" is safe: a removed foreign field costs nothing.
 */
#include <string.h>

#include "inkan/authres.h"
#include "inkan/limits.h"

#include "authres_int.h"

/* Matches WSP* id ["."] WSP*, ASCII case ignored, fed one octet at a time
 * (a quoted-string is unescaped on the fly, so no copy and no length
 * limit). */
struct match {
	const char *id;
	size_t idn, k;
	int state;	/* 0 leading WSP, 1 in id, 2 after id, 3 trailing WSP */
	bool bad;
};

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static void
feed(struct match *m, unsigned char c)
{
	bool wsp = c == ' ' || c == '\t';

	if (m->bad)
		return;
	if (m->state == 0) {
		if (wsp)
			return;
		m->state = 1;
	}
	if (m->state == 1) {
		if (m->k < m->idn) {
			if (lower(c) == lower((unsigned char)m->id[m->k]))
				m->k++;
			else
				m->bad = true;
			return;
		}
		m->state = 2;
	}
	if (m->state == 2) {
		m->state = 3;
		if (c == '.')
			return;
	}
	if (!wsp)
		m->bad = true;
}

static bool
matched(const struct match *m)
{
	return !m->bad && m->idn > 0 && m->k == m->idn;
}

static bool
id_eq(const char *p, size_t n, const char *id, size_t idn)
{
	struct match m = { id, idn, 0, 0, false };

	for (size_t i = 0; i < n; i++)
		feed(&m, (unsigned char)p[i]);
	return matched(&m);
}

/* Skip whitespace and comments from i; returns the new index.  An
 * unterminated comment runs to the end. */
static size_t
skip_cfws(const char *s, size_t len, size_t i)
{
	while (i < len) {
		if (ar_is_space((unsigned char)s[i])) {
			i++;
			continue;
		}
		if (s[i] != '(')
			break;
		size_t depth = 0;

		while (i < len) {
			char c = s[i++];

			if (c == '\\' && i < len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				break;
		}
	}
	return i;
}

bool
inkan_authres_claims(const char *value, size_t len, const char *authserv_id)
{
	size_t idn, i;

	if (value == NULL || authserv_id == NULL || (idn = strlen(authserv_id)) == 0)
		return false;
	while (idn > 0 && (*authserv_id == ' ' || *authserv_id == '\t')) {
		authserv_id++;
		idn--;
	}
	while (idn > 0 && (authserv_id[idn - 1] == ' ' || authserv_id[idn - 1] == '\t'))
		idn--;
	if (idn > 0 && authserv_id[idn - 1] == '.')
		idn--;
	i = skip_cfws(value, len, 0);
	if (i >= len)
		return false;

	/* 1: token, or quoted-string unescaped (folding line breaks dropped) */
	if (value[i] == '"') {
		struct match m = { authserv_id, idn, 0, 0, false };

		for (size_t j = i + 1; j < len && value[j] != '"'; j++) {
			if (value[j] == '\\' && j + 1 < len)
				j++;
			if (value[j] != '\r' && value[j] != '\n')
				feed(&m, (unsigned char)value[j]);
		}
		if (matched(&m))
			return true;
	} else {
		size_t j = i;

		while (j < len && ar_is_token_char((unsigned char)value[j], true))
			j++;
		if (id_eq(value + i, j - i, authserv_id, idn))
			return true;
	}

	/* 2: the whole first word */
	size_t j = i;

	while (j < len && !ar_is_space((unsigned char)value[j]) && value[j] != ';' &&
	    value[j] != '(')
		j++;
	const char *w = value + i;
	size_t wn = j - i;

	if (wn >= 2 && w[0] == '"' && w[wn - 1] == '"') {
		w++;
		wn -= 2;
	}
	return id_eq(w, wn, authserv_id, idn);
}
