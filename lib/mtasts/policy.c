/* policy.c - the MTA-STS policy file (RFC 8461 §3.2) and MX pattern
 * matching (§4.1).
 *
 *   sts-policy-record  = sts-policy-field *WSP
 *                        *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
 *   sts-policy-field   = version / mode / max_age / mx / extension,
 *                        each  name ":" *WSP value
 *   sts-policy-term    = LF / CRLF
 *   version: %s"STSv1"   mode: %s"testing" / %s"enforce" / %s"none"
 *   max_age: 1*10DIGIT   mx: ["*."] Domain (RFC 5321)
 *   extension name:  (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   extension value: vchar *(*WSP vchar), vchar = VCHAR or UTF-8 non-ASCII
 *
 * The parser reads line by line and keeps going after a problem, so that
 * one pass names every problem (up to a limit), each with its line.
 * Errors make the policy invalid; warnings are the few departures from
 * the grammar that cannot change the meaning and that real policies
 * carry (blank lines, a trailing dot on an mx pattern, a pattern listed
 * twice).  Keys are case-sensitive (%s in the ABNF); "Mode" is not
 * "mode", and the problem says so.  A key that appears twice (other
 * than mx) is an error: which one would count is not defined.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"

struct pstate {
	struct inkan_arena *a;
	struct inkan_mtasts_policy *out;
	struct inkan_mtasts_policy_diag d;
	unsigned omitted;	/* problems past the list's limit */
	enum inkan_lint_severity omitted_sev;
	bool nomem;
	unsigned line;
	bool have_version, have_mode, have_max_age;
	unsigned mode_line;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void problem(struct pstate *s, enum inkan_lint_severity sev, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record a problem.  Past INKAN_MTASTS_MAX_PROBLEMS - 1 they are only
 * counted; the last slot then says how many were left out (see
 * summarise), so that a big body of garbage cannot make a huge list but
 * parsing still sees every line. */
static void
problem(struct pstate *s, enum inkan_lint_severity sev, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *m;

	if (sev == INKAN_LINT_ERROR)
		s->d.errors++;
	if (s->nomem)
		return;
	if (s->d.problems == NULL) {
		s->d.problems = inkan_arena_zalloc(s->a, INKAN_MTASTS_MAX_PROBLEMS *
		    sizeof(*s->d.problems));
		if (s->d.problems == NULL) {
			s->nomem = true;
			return;
		}
	}
	if (s->d.n + 1 >= INKAN_MTASTS_MAX_PROBLEMS) {
		s->omitted++;
		if (sev > s->omitted_sev)
			s->omitted_sev = sev;
		return;
	}
	va_start(ap, fmt);
	m = inkan_arena_vprintf(s->a, fmt, ap);
	va_end(ap);
	if (m == NULL) {
		s->nomem = true;
		return;
	}
	s->d.problems[s->d.n].severity = sev;
	s->d.problems[s->d.n].line = line;
	s->d.problems[s->d.n].message = m;
	s->d.n++;
}

static void
summarise(struct pstate *s)
{
	char *m;

	if (s->omitted == 0 || s->nomem)
		return;
	if ((m = inkan_arena_printf(s->a, "%u more problem%s not listed", s->omitted,
	    s->omitted == 1 ? "" : "s")) == NULL) {
		s->nomem = true;
		return;
	}
	s->d.problems[s->d.n].severity = s->omitted_sev;
	s->d.problems[s->d.n].line = 0;
	s->d.problems[s->d.n].message = m;
	s->d.n++;
}

/* Attacker text for a message: at most 40 bytes, unprintables escaped. */
static const char *
shown(struct pstate *s, const char *p, size_t len)
{
	char buf[40 * 4 + 8];
	size_t n = 0;
	const char *r;

	for (size_t i = 0; i < len && i < 40; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			buf[n++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";

			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	if (len > 40) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	r = inkan_arena_printf(s->a, "\"%.*s\"", (int)n, buf);
	if (r == NULL) {
		s->nomem = true;
		return "\"\"";
	}
	return r;
}

static bool
slice_is(const char *p, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(p, lit, len) == 0;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

static void
parse_version(struct pstate *s, const char *v, size_t vl)
{
	if (s->have_version) {
		problem(s, INKAN_LINT_ERROR, s->line, "version appears more than once");
		return;
	}
	s->have_version = true;
	if (!slice_is(v, vl, "STSv1"))
		problem(s, INKAN_LINT_ERROR, s->line, "version %s is not STSv1",
		    shown(s, v, vl));
}

static void
parse_mode(struct pstate *s, const char *v, size_t vl)
{
	if (s->have_mode) {
		problem(s, INKAN_LINT_ERROR, s->line, "mode appears more than once");
		return;
	}
	s->have_mode = true;
	s->mode_line = s->line;
	if (slice_is(v, vl, "enforce"))
		s->out->mode = INKAN_MTASTS_MODE_ENFORCE;
	else if (slice_is(v, vl, "testing"))
		s->out->mode = INKAN_MTASTS_MODE_TESTING;
	else if (slice_is(v, vl, "none"))
		s->out->mode = INKAN_MTASTS_MODE_NONE;
	else
		problem(s, INKAN_LINT_ERROR, s->line, "mode %s is not enforce, testing or none%s",
		    shown(s, v, vl),
		    (vl == 7 && (strncasecmp(v, "enforce", 7) == 0 ||
		    strncasecmp(v, "testing", 7) == 0)) || (vl == 4 &&
		    strncasecmp(v, "none", 4) == 0) ? " (values are case-sensitive)" : "");
}

static void
parse_max_age(struct pstate *s, const char *v, size_t vl)
{
	uint64_t n = 0;

	if (s->have_max_age) {
		problem(s, INKAN_LINT_ERROR, s->line, "max_age appears more than once");
		return;
	}
	s->have_max_age = true;
	for (size_t i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9') {
			problem(s, INKAN_LINT_ERROR, s->line,
			    "max_age %s is not a whole number of seconds", shown(s, v, vl));
			return;
		}
	}
	if (vl > 10) {
		problem(s, INKAN_LINT_ERROR, s->line,
		    "max_age has %zu digits; at most 10 are allowed", vl);
		return;
	}
	for (size_t i = 0; i < vl; i++)
		n = n * 10 + (uint64_t)(v[i] - '0');
	if (n > INKAN_MTASTS_MAX_AGE) {
		problem(s, INKAN_LINT_ERROR, s->line, "max_age %llu is above %u (about a year; "
		    "RFC 8461 §3.2)", (unsigned long long)n, INKAN_MTASTS_MAX_AGE);
		return;
	}
	s->out->max_age = (uint32_t)n;
}

static void
parse_mx(struct pstate *s, const char *v, size_t vl)
{
	const char *host = v, *why = NULL;
	size_t hl = vl;
	char *pat;

	for (size_t i = 0; i < vl; i++) {
		if ((unsigned char)v[i] >= 0x80) {
			problem(s, INKAN_LINT_ERROR, s->line, "mx %s is not ASCII: write an "
			    "internationalized name as A-labels (xn--...)", shown(s, v, vl));
			return;
		}
	}
	if (hl >= 2 && host[0] == '*' && host[1] == '.') {
		host += 2;
		hl -= 2;
	}
	if (memchr(host, '*', hl) != NULL) {
		problem(s, INKAN_LINT_ERROR, s->line, "mx %s: a wildcard is allowed only as a "
		    "leading \"*.\" (RFC 8461 §3.2)", shown(s, v, vl));
		return;
	}
	if (hl > 1 && host[hl - 1] == '.') {
		problem(s, INKAN_LINT_WARN, s->line, "mx %s ends with a dot; the dot is "
		    "ignored", shown(s, v, vl));
		hl--;
		vl--;
	}
	if (inkan_dname_check(host, hl, INKAN_DNAME_HOSTNAME, &why) != 0 ||
	    (hl > 0 && host[hl - 1] == '.')) {
		problem(s, INKAN_LINT_ERROR, s->line, "mx %s is not a host name: %s",
		    shown(s, v, vl), why ? why : "empty label");
		return;
	}
	if ((pat = inkan_dname_lower(s->a, v, vl)) == NULL) {
		s->nomem = true;
		return;
	}
	for (size_t i = 0; i < s->out->nmx; i++) {
		if (strcmp(s->out->mx[i], pat) == 0) {
			problem(s, INKAN_LINT_WARN, s->line, "mx %s is listed more than once",
			    shown(s, v, vl));
			return;
		}
	}
	if (s->out->nmx == INKAN_MTASTS_MAX_MX) {
		problem(s, INKAN_LINT_ERROR, s->line, "more than %d mx lines", INKAN_MTASTS_MAX_MX);
		return;
	}
	s->out->mx[s->out->nmx++] = pat;
}

static void
parse_ext(struct pstate *s, const char *k, size_t kl, const char *v, size_t vl)
{
	for (size_t i = 0; i < vl;) {
		const unsigned char *u = (const unsigned char *)v + i;
		size_t n;

		if (*u == ' ' || *u == '\t') {
			i++;
			continue;
		}
		if (*u < 0x21 || *u == 0x7f || (n = utf8_len(u, vl - i)) == 0) {
			problem(s, INKAN_LINT_ERROR, s->line, "%s has a value %s with a control "
			    "character or invalid UTF-8", shown(s, k, kl), shown(s, v, vl));
			return;
		}
		i += n;
	}
	s->out->ext[s->out->next].name = inkan_arena_strndup(s->a, k, kl);
	s->out->ext[s->out->next].value = inkan_arena_strndup(s->a, v, vl);
	if (s->out->ext[s->out->next].name == NULL || s->out->ext[s->out->next].value == NULL)
		s->nomem = true;
	s->out->next++;
}

static void
parse_line(struct pstate *s, const char *p, size_t len)
{
	static const char *const known[] = { "version", "mode", "max_age", "mx" };
	const char *colon = memchr(p, ':', len);
	size_t kl, vs, ve;

	if (len == 0) {
		problem(s, INKAN_LINT_WARN, s->line, "blank line (RFC 8461 §3.2 has none; "
		    "ignored)");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			problem(s, INKAN_LINT_ERROR, s->line, "control character 0x%02x%s", c,
			    c == '\r' ? " (a CR not followed by LF)" : "");
			return;
		}
	}
	if (s->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		problem(s, INKAN_LINT_ERROR, s->line, "the policy begins with a UTF-8 byte order "
		    "mark (an editor added it; save the file without one)");
		return;
	}
	if (colon == NULL) {
		problem(s, INKAN_LINT_ERROR, s->line, "%s is not a \"key: value\" line",
		    shown(s, p, len));
		return;
	}
	kl = (size_t)(colon - p);
	for (vs = kl + 1; vs < len && is_wsp(p[vs]); vs++)
		;
	for (ve = len; ve > vs && is_wsp(p[ve - 1]); ve--)
		;
	if (kl == 0) {
		problem(s, INKAN_LINT_ERROR, s->line, "line begins with \":\": no key");
		return;
	}
	if (is_wsp(p[0]) || is_wsp(p[kl - 1])) {
		problem(s, INKAN_LINT_ERROR, s->line, "key %s has whitespace around it "
		    "(\"key: value\" allows it only after the colon)", shown(s, p, kl));
		return;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strlen(known[i]) == kl && strncasecmp(p, known[i], kl) == 0 &&
		    memcmp(p, known[i], kl) != 0) {
			problem(s, INKAN_LINT_ERROR, s->line, "key %s must be written \"%s\" "
			    "(keys are case-sensitive)", shown(s, p, kl), known[i]);
			return;
		}
	}
	if (ve == vs) {
		problem(s, INKAN_LINT_ERROR, s->line, "%s has an empty value", shown(s, p, kl));
		return;
	}
	if (slice_is(p, kl, "version")) {
		parse_version(s, p + vs, ve - vs);
	} else if (slice_is(p, kl, "mode")) {
		parse_mode(s, p + vs, ve - vs);
	} else if (slice_is(p, kl, "max_age")) {
		parse_max_age(s, p + vs, ve - vs);
	} else if (slice_is(p, kl, "mx")) {
		parse_mx(s, p + vs, ve - vs);
	} else {
		bool ok = kl <= INKAN_MTASTS_MAX_EXT_NAME && is_alnum(p[0]);

		for (size_t i = 1; ok && i < kl; i++)
			ok = is_alnum(p[i]) || p[i] == '_' || p[i] == '-' || p[i] == '.';
		if (!ok) {
			problem(s, INKAN_LINT_ERROR, s->line, kl > INKAN_MTASTS_MAX_EXT_NAME ?
			    "key %s is longer than 32 characters" :
			    "key %s is not a letter or digit followed by letters, digits, "
			    "\"_\", \"-\" or \".\"", shown(s, p, kl));
			return;
		}
		parse_ext(s, p, kl, p + vs, ve - vs);
	}
}

int
inkan_mtasts_policy_parse(struct inkan_arena *a, const char *text, size_t len,
    struct inkan_mtasts_policy *out, struct inkan_mtasts_policy_diag *diag)
{
	struct pstate s;
	size_t nlines = 1, i = 0;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.a = a;
	s.out = out;
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
	if (text == NULL)
		len = 0;
	if (len > INKAN_MTASTS_MAX_POLICY) {
		problem(&s, INKAN_LINT_ERROR, 0, "policy is %zu bytes; at most %u are accepted",
		    len, INKAN_MTASTS_MAX_POLICY);
		goto done;
	}
	for (size_t j = 0; j < len; j++)
		nlines += text[j] == '\n';
	out->mx = inkan_arena_zalloc(a, nlines * sizeof(*out->mx));
	out->ext = inkan_arena_zalloc(a, nlines * sizeof(*out->ext));
	if (out->mx == NULL || out->ext == NULL)
		return INKAN_ENOMEM;
	while (i < len && !s.nomem) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len, next = nl ? e + 1 : len;

		s.line++;
		if (nl != NULL && e > i && text[e - 1] == '\r')
			e--;
		parse_line(&s, text + i, e - i);
		i = next;
	}
	if (s.nomem)
		return INKAN_ENOMEM;
	if (!s.have_version)
		problem(&s, INKAN_LINT_ERROR, 0, "no version line (\"version: STSv1\" is "
		    "required)");
	if (!s.have_mode)
		problem(&s, INKAN_LINT_ERROR, 0, "no mode line (enforce, testing or none is "
		    "required)");
	if (!s.have_max_age)
		problem(&s, INKAN_LINT_ERROR, 0, "no max_age line (required)");
	if (s.have_mode && out->mode != INKAN_MTASTS_MODE_NONE && out->nmx == 0)
		problem(&s, INKAN_LINT_ERROR, s.mode_line, "mode %s needs at least one mx line",
		    inkan_mtasts_mode_name(out->mode));
done:
	summarise(&s);
	if (s.nomem)
		return INKAN_ENOMEM;
	for (size_t j = 0; j < s.d.n; j++) {
		const struct inkan_mtasts_problem *p = &s.d.problems[j];

		if (p->severity != INKAN_LINT_ERROR)
			continue;
		s.d.why = p->line ? inkan_arena_printf(a, "line %u: %s", p->line, p->message) :
		    p->message;
		if (s.d.why == NULL)
			return INKAN_ENOMEM;
		break;
	}
	if (diag != NULL)
		*diag = s.d;
	return s.d.errors ? INKAN_EMALFORMED : 0;
}

const char *
inkan_mtasts_mode_name(enum inkan_mtasts_mode m)
{
	switch (m) {
	case INKAN_MTASTS_MODE_NONE: return "none";
	case INKAN_MTASTS_MODE_TESTING: return "testing";
	case INKAN_MTASTS_MODE_ENFORCE: return "enforce";
	}
	return "unknown";
}

/* ---- matching (RFC 8461 §4.1) ---- */

static size_t
nodot(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

bool
inkan_mtasts_mx_match(const char *pattern, const char *host)
{
	size_t pl, hl;

	if (pattern == NULL || host == NULL)
		return false;
	pl = nodot(pattern);
	hl = nodot(host);
	if (pl == 0 || hl == 0)
		return false;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.com": one label, then ".example.com". */
		const char *suffix = pattern + 1;
		size_t sl = pl - 1;

		if (hl <= sl || strncasecmp(host + hl - sl, suffix, sl) != 0)
			return false;
		return memchr(host, '.', hl - sl) == NULL;
	}
	return pl == hl && strncasecmp(pattern, host, pl) == 0;
}

const char *
inkan_mtasts_policy_match(const struct inkan_mtasts_policy *p, const char *host)
{
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < p->nmx; i++)
		if (inkan_mtasts_mx_match(p->mx[i], host))
			return p->mx[i];
	return NULL;
}
