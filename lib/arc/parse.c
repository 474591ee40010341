/* parse.c - the ARC header fields (RFC 8617 §4.1) and the grouping of a
 * message's ARC fields into sets (§5.2 steps 1 and 3).
 *
 * ARC-Message-Signature and ARC-Seal are DKIM tag lists: the shared
 * tag=value parser splits them (a duplicate tag invalidates the list, RFC
 * 6376 §3.2), i= and cv= are read here, and the DKIM signature parser
 * (lib/dkim/sig.c, in its AMS or AS mode) checks the other tags.  The
 * ARC-Authentication-Results field starts with the instance tag, read
 * here; the rest is RFC 8601 text we only carry.
 */
#include <string.h>
#include <strings.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/tagvalue.h"
#include "arc_int.h"

const char *const inkan__arc_names[3] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

static int
bad(const char **why, const char *w)
{
	if (why != NULL)
		*why = w;
	return INKAN_EMALFORMED;
}

const char *
inkan_arc_cv_name(enum inkan_arc_cv cv)
{
	switch (cv) {
	case INKAN_ARC_NONE: return "none";
	case INKAN_ARC_PASS: return "pass";
	case INKAN_ARC_FAIL: return "fail";
	}
	return "unknown";
}

/* i-value: decimal, 1..INKAN_ARC_MAX_INSTANCES.  More than two digits
 * (RFC 8617: 1*2DIGIT) cannot be in range, except with leading zeros,
 * which we accept as the digits say the same number. */
static bool
instance_value(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 9)
		return false;
	for (size_t k = 0; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return false;
		v = v * 10 + (unsigned)(p[k] - '0');
	}
	*out = v;
	return true;
}

/* The i= tag of a tag list: 0 with *why when absent or not a number; a
 * number over the limit is returned as it is (the caller says so). */
static unsigned
tag_instance(const struct inkan_taglist *tl, const char **why)
{
	const struct inkan_tag *t = inkan_tv_get(tl, "i");
	unsigned i;

	if (t == NULL) {
		*why = "missing i= tag";
		return 0;
	}
	if (!instance_value(t->value.p, t->value.len, &i) || i == 0) {
		*why = "invalid i= instance (RFC 8617 §4.2.1: 1 to 50)";
		return 0;
	}
	return i;
}

/* RFC 6376 §3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ], so an
 * empty tag-spec (";;", or a list starting with ';') is a syntax error.
 * The shared tag=value parser forgives it (DMARC records in the wild have
 * it); ARC does not (ValiMail as_format_tags_sc).  Values cannot hold ';'. */
static bool
empty_tag_spec(const char *p, size_t n)
{
	bool content = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == ';') {
			if (!content)
				return true;
			content = false;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			content = true;
		}
	}
	return false;
}

static int
arc_sig_parse(struct inkan_arena *a, const char *value, size_t len, bool seal,
    struct inkan_arc_sig *out, const char **why)
{
	struct inkan_taglist tl;
	struct inkan_tv_error te;
	const struct inkan_tag *t;
	const char *w = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	out->sig.t = out->sig.x = -1;
	if (why != NULL)
		*why = NULL;
	if (len > INKAN_DKIM_MAX_TAGLIST)
		return bad(why, "field too long");
	r = inkan_tv_parse(a, value, len, 0, &tl, &te);
	if (r == INKAN_ENOMEM)
		return r;
	if (r != 0)
		return bad(why, te.why);
	out->i = tag_instance(&tl, &w);
	if (out->i == 0)
		return bad(why, w);
	if (out->i > INKAN_ARC_MAX_INSTANCES)
		return bad(why, "i= over the RFC 8617 limit of 50 instances");
	if (empty_tag_spec(value, len))
		return bad(why, "empty tag (\";;\") in the tag list");
	if (seal) {
		/* §4.1.3: the seal covers the ARC sets, not chosen fields */
		if (inkan_tv_get(&tl, "h") != NULL)
			return bad(why, "ARC-Seal has an h= tag (RFC 8617 §4.1.3)");
		if ((t = inkan_tv_get(&tl, "cv")) == NULL)
			return bad(why, "missing cv= tag");
		/* §4.1.3: none / fail / pass (ABNF strings: any case) */
		if (t->value.len == 4 && strncasecmp(t->value.p, "none", 4) == 0)
			out->cv = INKAN_ARC_NONE;
		else if (t->value.len == 4 && strncasecmp(t->value.p, "pass", 4) == 0)
			out->cv = INKAN_ARC_PASS;
		else if (t->value.len == 4 && strncasecmp(t->value.p, "fail", 4) == 0)
			out->cv = INKAN_ARC_FAIL;
		else
			return bad(why, "invalid cv= value (none, pass or fail)");
		if ((out->cv_text = inkan_arena_strndup(a, t->value.p, t->value.len)) == NULL)
			return INKAN_ENOMEM;
	}
	unsigned i = out->i;
	enum inkan_arc_cv cv = out->cv;
	const char *cvt = out->cv_text;

	r = inkan__sig_parse_tl(a, &tl, seal ? INKAN__SIG_AS : INKAN__SIG_AMS, &out->sig, why);
	out->i = i;
	out->cv = cv;
	out->cv_text = cvt;
	return r;
}

int
inkan_arc_ams_parse(struct inkan_arena *a, const char *value, size_t len,
    struct inkan_arc_sig *out, const char **why)
{
	return arc_sig_parse(a, value, len, false, out, why);
}

int
inkan_arc_as_parse(struct inkan_arena *a, const char *value, size_t len,
    struct inkan_arc_sig *out, const char **why)
{
	return arc_sig_parse(a, value, len, true, out, why);
}

/* Skip CFWS (RFC 5322 §3.2.2): WSP, CR, LF and comments, which nest and
 * may hold quoted pairs.  Returns false for an unclosed comment. */
static bool
skip_cfws(const char *p, size_t n, size_t *i)
{
	while (*i < n) {
		char c = p[*i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			(*i)++;
			continue;
		}
		if (c != '(')
			return true;
		size_t depth = 0;

		while (*i < n) {
			c = p[(*i)++];
			if (c == '\\' && *i < n)
				(*i)++;
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				break;
		}
		if (depth != 0)
			return false;
	}
	return true;
}

int
inkan_arc_aar_parse(const char *value, size_t len, unsigned *i, struct inkan_slice *payload,
    const char **why)
{
	size_t k = 0, d;

	*i = 0;
	*payload = (struct inkan_slice){ NULL, 0 };
	if (why != NULL)
		*why = NULL;
	/* §4.1.1: instance = [CFWS] %s"i" [CFWS] "=" [CFWS] i-value */
	if (!skip_cfws(value, len, &k))
		return bad(why, "unclosed comment");
	if (k >= len || value[k] != 'i')
		return bad(why, "does not start with the i= instance tag");
	k++;
	if (!skip_cfws(value, len, &k) || k >= len || value[k] != '=')
		return bad(why, "does not start with the i= instance tag");
	k++;
	if (!skip_cfws(value, len, &k))
		return bad(why, "unclosed comment");
	for (d = k; d < len && value[d] >= '0' && value[d] <= '9'; d++)
		;
	if (!instance_value(value + k, d - k, i) || *i == 0) {
		*i = 0;
		return bad(why, "invalid i= instance (RFC 8617 §4.2.1: 1 to 50)");
	}
	if (*i > INKAN_ARC_MAX_INSTANCES)
		return bad(why, "i= over the RFC 8617 limit of 50 instances");
	k = d;
	/* arc-info = instance [CFWS] ";" authres-payload */
	if (!skip_cfws(value, len, &k) || k >= len || value[k] != ';') {
		*i = 0;
		return bad(why, "no ';' after the i= instance tag");
	}
	k++;
	*payload = (struct inkan_slice){ value + k, len - k };
	return 0;
}

int
inkan__arc_kind(const struct inkan__dkim_field *f)
{
	for (int k = 0; k < 3; k++)
		if (inkan_slice_caseeq_cstr(f->name, inkan__arc_names[k]))
			return k;
	return -1;
}

struct inkan_slice
inkan__arc_value(const struct inkan__dkim_field *f)
{
	const char *colon = memchr(f->raw, ':', f->len);

	if (colon == NULL)
		return (struct inkan_slice){ f->raw + f->len, 0 };
	return (struct inkan_slice){ colon + 1, f->len - (size_t)(colon + 1 - f->raw) };
}

/* The instance of one ARC field, 0 with *why when it cannot be read. */
static unsigned
field_instance(struct inkan_arena *a, int kind, struct inkan_slice v, const char **why, int *err)
{
	unsigned i = 0;

	if (kind == ARC_AAR) {
		struct inkan_slice pl;

		/* over the limit: *i is kept, and the caller says so */
		if (inkan_arc_aar_parse(v.p, v.len, &i, &pl, why) != 0 &&
		    i <= INKAN_ARC_MAX_INSTANCES)
			return 0;
		return i;
	}
	struct inkan_taglist tl;
	struct inkan_tv_error te;
	int r;

	if (v.len > INKAN_DKIM_MAX_TAGLIST) {
		*why = "field too long";
		return 0;
	}
	r = inkan_tv_parse(a, v.p, v.len, 0, &tl, &te);
	if (r != 0) {
		if (r == INKAN_ENOMEM)
			*err = r;
		*why = te.why ? te.why : "malformed tag list";
		return 0;
	}
	return tag_instance(&tl, why);
}

int
inkan__arc_collect(struct inkan_arena *a, const struct inkan__dkim_field *f, size_t nf,
    struct inkan__arc_chain *c)
{
	int err = 0;

	memset(c, 0, sizeof(*c));
	for (size_t j = 0; j < nf; j++) {
		int kind = inkan__arc_kind(&f[j]);
		const char *w = NULL;
		unsigned i;

		if (kind < 0)
			continue;
		if (++c->nfields > INKAN_ARC_MAX_FIELDS) {
			if (c->why == NULL)
				c->why = "more ARC header fields than 50 sets can hold "
				    "(RFC 8617 §4.2.1)";
			break;
		}
		i = field_instance(a, kind, inkan__arc_value(&f[j]), &w, &err);
		if (err != 0)
			return err;
		if (i == 0) {
			if (c->why == NULL && (c->why = inkan_arena_printf(a,
			    "%s without a valid instance: %s", inkan__arc_names[kind], w)) == NULL)
				return INKAN_ENOMEM;
			continue;
		}
		if (i > c->n)
			c->n = i;
		if (i > INKAN_ARC_MAX_INSTANCES) {
			if (c->why == NULL && (c->why = inkan_arena_printf(a,
			    "%s i=%u is over the RFC 8617 limit of %u ARC sets",
			    inkan__arc_names[kind], i, INKAN_ARC_MAX_INSTANCES)) == NULL)
				return INKAN_ENOMEM;
			continue;
		}
		if (c->slot[i][kind] != 0) {
			if (c->why == NULL && (c->why = inkan_arena_printf(a,
			    "two %s fields with i=%u", inkan__arc_names[kind], i)) == NULL)
				return INKAN_ENOMEM;
			continue;
		}
		c->slot[i][kind] = j + 1;
	}
	/* §5.2 step 3: every instance 1..N has one field of each kind */
	for (unsigned i = 1; c->why == NULL && i <= c->n; i++)
		for (int kind = 0; kind < 3 && c->why == NULL; kind++)
			if (c->slot[i][kind] == 0 && (c->why = inkan_arena_printf(a,
			    "ARC set %u has no %s", i, inkan__arc_names[kind])) == NULL)
				return INKAN_ENOMEM;
	if (c->nfields > 0 && c->why == NULL && c->n == 0)
		c->why = "no ARC set has a valid instance";
	return err;
}
