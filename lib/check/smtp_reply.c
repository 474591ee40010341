/* smtp_reply.c - SMTP reply and EHLO extension parsing (RFC 5321 §4.2,
 * §4.1.1.1).
 *
 * A reply is read line by line from the front of a buffer.  The parser
 * decides completeness itself (the last line has a space or nothing after
 * its code), so the probe can feed it whatever recv() returned and ask
 * again when it says "not yet".  Every line is bounded before it is
 * looked at, so a server that never sends a line end costs at most
 * INKAN_SMTP_MAX_REPLY_LINE bytes of buffer.
 */
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/smtp.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of the line at p (without its end) and of its end (1 or 2);
 * false when no LF is within max bytes and none can follow in n. */
static bool
find_line(const char *p, size_t n, size_t *linelen, size_t *endlen, bool *toolong)
{
	const char *lf = memchr(p, '\n', n > INKAN_SMTP_MAX_REPLY_LINE ?
	    INKAN_SMTP_MAX_REPLY_LINE : n);

	*toolong = false;
	if (lf == NULL) {
		if (n >= INKAN_SMTP_MAX_REPLY_LINE)
			*toolong = true;
		return false;
	}
	*linelen = (size_t)(lf - p);
	*endlen = 1;
	if (*linelen > 0 && p[*linelen - 1] == '\r') {
		(*linelen)--;
		(*endlen)++;
	}
	return true;
}

int
inkan_smtp_reply_parse(struct inkan_arena *a, const char *buf, size_t len,
    struct inkan_smtp_reply *out, size_t *used, const char **why)
{
	const char *p = buf;
	size_t left = len, nlines = 0;
	unsigned code = 0;
	const char *starts[INKAN_SMTP_MAX_REPLY_LINES];
	size_t lens[INKAN_SMTP_MAX_REPLY_LINES];
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	*used = 0;
	memset(out, 0, sizeof(*out));
	if (buf == NULL && len > 0)
		return INKAN_EINVAL;
	for (;;) {
		size_t ll, el;
		bool toolong, last;
		unsigned c;

		if (!find_line(p, left, &ll, &el, &toolong)) {
			if (toolong) {
				*why = "reply line longer than 1000 octets";
				return INKAN_EMALFORMED;
			}
			/* Judge what there is of an incomplete line now, so
			 * that garbage is refused before more is read. */
			for (size_t i = 0; i < left && i < 3; i++)
				if (!is_digit(p[i]) || (i == 0 && (p[0] < '2' || p[0] > '5'))) {
					*why = "reply line does not start with a code 200-599";
					return INKAN_EMALFORMED;
				}
			return 0;
		}
		if (ll < 3 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) ||
		    p[0] < '2' || p[0] > '5') {
			*why = "reply line does not start with a code 200-599";
			return INKAN_EMALFORMED;
		}
		if (ll > 3 && p[3] != '-' && p[3] != ' ') {
			*why = "reply code not followed by \"-\", space or the line end";
			return INKAN_EMALFORMED;
		}
		for (size_t i = 4; i < ll; i++) {
			unsigned char ch = (unsigned char)p[i];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				*why = "control character in a reply line";
				return INKAN_EMALFORMED;
			}
		}
		c = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
		if (nlines > 0 && c != code) {
			*why = "lines of one reply carry different codes";
			return INKAN_EMALFORMED;
		}
		if (nlines == INKAN_SMTP_MAX_REPLY_LINES) {
			*why = "reply of more than 64 lines";
			return INKAN_EMALFORMED;
		}
		code = c;
		last = ll == 3 || p[3] == ' ';
		starts[nlines] = ll > 4 ? p + 4 : "";
		lens[nlines] = ll > 4 ? ll - 4 : 0;
		nlines++;
		p += ll + el;
		left -= ll + el;
		if (last)
			break;
	}
	if ((out->lines = inkan_arena_alloc(a, nlines * sizeof(*out->lines))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < nlines; i++)
		if ((out->lines[i] = inkan_arena_strndup(a, starts[i], lens[i])) == NULL)
			return INKAN_ENOMEM;
	out->nlines = nlines;
	out->code = code;
	*used = (size_t)(p - buf);
	return 0;
}

int
inkan_smtp_ehlo_parse(struct inkan_arena *a, const struct inkan_smtp_reply *r,
    struct inkan_smtp_ehlo *out)
{
	struct inkan_smtp_ext *ext;
	size_t n = 0, wl = 0;
	const char *first;

	memset(out, 0, sizeof(*out));
	if (r == NULL || r->code != 250 || r->nlines == 0)
		return INKAN_EINVAL;
	first = r->lines[0];
	while (first[wl] != '\0' && first[wl] != ' ')
		wl++;
	if ((out->domain = inkan_arena_strndup(a, first, wl)) == NULL)
		return INKAN_ENOMEM;
	if (r->nlines == 1)
		return 0;
	if ((ext = inkan_arena_zalloc(a, (r->nlines - 1) * sizeof(*ext))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 1; i < r->nlines; i++) {
		const char *l = r->lines[i];
		size_t k = 0;
		char *kw;

		while (is_alnum(l[k]) || (k > 0 && l[k] == '-'))
			k++;
		if (k == 0 || (l[k] != '\0' && l[k] != ' '))
			continue;	/* not an ehlo-line */
		if ((kw = inkan_arena_strndup(a, l, k)) == NULL)
			return INKAN_ENOMEM;
		for (size_t j = 0; j < k; j++)
			if (kw[j] >= 'a' && kw[j] <= 'z')
				kw[j] = (char)(kw[j] - 'a' + 'A');
		ext[n].keyword = kw;
		ext[n].params = l[k] == ' ' ? l + k + 1 : "";
		n++;
	}
	out->ext = ext;
	out->next = n;
	return 0;
}

const struct inkan_smtp_ext *
inkan_smtp_ehlo_find(const struct inkan_smtp_ehlo *e, const char *keyword)
{
	for (size_t i = 0; e != NULL && i < e->next; i++)
		if (strcasecmp(e->ext[i].keyword, keyword) == 0)
			return &e->ext[i];
	return NULL;
}
