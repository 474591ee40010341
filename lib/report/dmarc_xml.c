/* dmarc_xml.c - DMARC aggregate reports: RFC 9990 §3 and RFC 7489
 * appendix C XML to struct inkan_dmarc_report.
 *
 * libxml2 parses with XML_PARSE_NONET (no fetch of anything), without
 * XML_PARSE_NOENT (no entity substitution), without DTD loading and
 * without XML_PARSE_HUGE (libxml2's own depth and text-node limits stay
 * on).  A document that carries a DTD at all is set aside: no aggregate
 * report needs one, and refusing it closes the door on entity expansion
 * ("billion laughs") whatever the library version does.
 *
 * Elements are found by local name so that the RFC 7489 namespace, the
 * RFC 9990 namespace and the namespace-less draft all read the same.
 *
 * Speed (bench/RESULTS.md, Reports): XML_PARSE_NOBLANKS drops the
 * whitespace-only text nodes between elements (a report is data, never
 * mixed content, and every value is trimmed anyway) and
 * XML_PARSE_COMPACT keeps short texts inside their node; together they
 * make libxml2 build half the nodes and allocations.  The tree is only
 * read, as COMPACT requires.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/report.h"
#include "report_int.h"

#define INKAN__DMARC_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
	XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT)

struct px {
	struct inkan_arena *a;
	struct inkan_report_diag *d;
	int err;		/* sticky: first error wins */
};

static void fail(struct px *x, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct px *x, int err, const char *fmt, ...)
{
	va_list ap;

	if (x->err != 0)
		return;
	x->err = err;
	if (x->d != NULL) {
		va_start(ap, fmt);
		vsnprintf(x->d->why, sizeof(x->d->why), fmt, ap);
		va_end(ap);
	}
}

#define FAIL_RET(...) do { fail(__VA_ARGS__); return; } while (0)

static bool
named(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(const xmlNode *parent, const char *name)
{
	if (parent == NULL)
		return NULL;
	for (xmlNode *c = parent->children; c != NULL; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* Trimmed text of n, in the arena; NULL when n is absent or empty. */
static const char *
text_of(struct px *x, const xmlNode *n, bool lower)
{
	xmlChar *raw;
	const char *s, *e;
	char *out = NULL;

	if (n == NULL || x->err)
		return NULL;
	/* The usual element holds one text node: read it in place rather
	 * than have libxml2 build a copy for every field. */
	if (n->children != NULL && n->children->next == NULL &&
	    n->children->type == XML_TEXT_NODE) {
		raw = NULL;
		s = (const char *)n->children->content;
		if (s == NULL)
			return NULL;
	} else {
		raw = xmlNodeGetContent(n);
		if (raw == NULL)
			return NULL;
		s = (const char *)raw;
	}
	e = s + strlen(s);
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e > s) {
		out = inkan_arena_strndup(x->a, s, (size_t)(e - s));
		if (out == NULL)
			fail(x, INKAN_ENOMEM, "out of memory%s", "");
		else if (lower)
			for (char *c = out; *c; c++)
				*c = (char)tolower((unsigned char)*c);
	}
	if (raw != NULL)
		xmlFree(raw);
	return out;
}

static const char *
field(struct px *x, const xmlNode *parent, const char *name, bool lower)
{
	return text_of(x, child(parent, name), lower);
}

static const char *
required(struct px *x, const xmlNode *parent, const char *name, bool lower)
{
	const char *v = field(x, parent, name, lower);

	if (v == NULL)
		fail(x, INKAN_EMALFORMED, "missing or empty <%s>", name);
	return v;
}

static uint64_t
number(struct px *x, const char *s, const char *what, uint64_t max)
{
	char *end;
	unsigned long long v;

	if (s == NULL)
		return 0;
	errno = 0;
	if (!isdigit((unsigned char)s[0])) {
		fail(x, INKAN_EMALFORMED, "<%s> is not a number", what);
		return 0;
	}
	v = strtoull(s, &end, 10);
	/* Some reporters (OpenDMARC 2012) write times as "1337270400.0"; a
	 * fraction of zeros says nothing more and is accepted. */
	if (*end == '.' && end[1] != '\0' && strspn(end + 1, "0") == strlen(end + 1))
		end += strlen(end);
	if (errno != 0 || *end != '\0' || v > max) {
		fail(x, INKAN_EMALFORMED, "<%s> is not a number in range", what);
		return 0;
	}
	return v;
}

static bool
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

static size_t
count_children(const xmlNode *parent, const char *name)
{
	size_t n = 0;

	if (parent != NULL)
		for (xmlNode *c = parent->children; c != NULL; c = c->next)
			n += named(c, name);
	return n;
}

static struct inkan_dmarc_auth *
auths(struct px *x, const xmlNode *ar, const char *name, size_t *n)
{
	struct inkan_dmarc_auth *v;
	size_t i = 0;

	*n = count_children(ar, name);
	if (*n == 0)
		return NULL;
	v = inkan_arena_zalloc(x->a, *n * sizeof(*v));
	if (v == NULL) {
		fail(x, INKAN_ENOMEM, "out of memory%s", "");
		return NULL;
	}
	for (xmlNode *c = ar->children; c != NULL; c = c->next) {
		if (!named(c, name))
			continue;
		v[i].domain = field(x, c, "domain", true);
		v[i].selector = field(x, c, "selector", false);
		v[i].scope = field(x, c, "scope", true);
		v[i].result = field(x, c, "result", true);
		v[i].human_result = field(x, c, "human_result", false);
		/* RFC 7489 appendix C: result is required for both methods; a
		 * result-less entry says nothing and is dropped, not stored. */
		if (v[i].result != NULL)
			i++;
	}
	*n = i;
	return v;
}

static const char *const dispositions[] = { "none", "pass", "quarantine", "reject", NULL };
static const char *const aligned[] = { "pass", "fail", NULL };

static void
parse_row(struct px *x, const xmlNode *rec, struct inkan_dmarc_row *r)
{
	const xmlNode *row = child(rec, "row");
	const xmlNode *pe = child(row, "policy_evaluated");
	const xmlNode *ids = child(rec, "identifiers");
	const xmlNode *ar = child(rec, "auth_results");
	struct inkan_ip ip;
	const char *ipt, *cnt;
	char ipbuf[64];
	size_t i = 0;

	if (row == NULL || pe == NULL) {
		fail(x, INKAN_EMALFORMED, "a <record> without <row>/<policy_evaluated>%s", "");
		return;
	}
	ipt = required(x, row, "source_ip", false);
	if (ipt != NULL) {
		if (inkan_ip_parse(ipt, strlen(ipt), &ip) != 0) {
			fail(x, INKAN_EMALFORMED, "<source_ip> is not an IP address: %.64s", ipt);
			return;
		}
		inkan_ip_format(&ip, ipbuf, sizeof(ipbuf));
		r->source_ip = inkan_arena_strdup(x->a, ipbuf);
	}
	cnt = required(x, row, "count", false);
	r->count = number(x, cnt, "count", INT64_MAX);
	r->disposition = required(x, pe, "disposition", true);
	r->dkim = required(x, pe, "dkim", true);
	r->spf = required(x, pe, "spf", true);
	if (x->err)
		return;
	if (!one_of(r->disposition, dispositions))
		fail(x, INKAN_EMALFORMED, "unknown <disposition> %.40s", r->disposition);
	else if (!one_of(r->dkim, aligned))
		fail(x, INKAN_EMALFORMED, "<policy_evaluated><dkim> is %.40s, not pass or fail", r->dkim);
	else if (!one_of(r->spf, aligned))
		fail(x, INKAN_EMALFORMED, "<policy_evaluated><spf> is %.40s, not pass or fail", r->spf);
	r->nreasons = count_children(pe, "reason");
	if (r->nreasons > 0) {
		r->reasons = inkan_arena_zalloc(x->a, r->nreasons * sizeof(*r->reasons));
		if (r->reasons == NULL) {
			fail(x, INKAN_ENOMEM, "out of memory%s", "");
			return;
		}
		for (xmlNode *c = pe->children; c != NULL; c = c->next) {
			if (!named(c, "reason"))
				continue;
			r->reasons[i].type = field(x, c, "type", true);
			r->reasons[i].comment = field(x, c, "comment", false);
			/* an empty <reason/> (seen in the wild) says nothing */
			if (r->reasons[i].type != NULL || r->reasons[i].comment != NULL)
				i++;
		}
		r->nreasons = i;
	}
	r->header_from = field(x, ids, "header_from", true);
	r->envelope_from = field(x, ids, "envelope_from", true);
	r->envelope_to = field(x, ids, "envelope_to", true);
	r->dkim_auth = auths(x, ar, "dkim", &r->ndkim_auth);
	r->spf_auth = auths(x, ar, "spf", &r->nspf_auth);
}

static void
parse_feedback(struct px *x, const xmlNode *root, struct inkan_dmarc_report *out)
{
	const xmlNode *md = child(root, "report_metadata");
	const xmlNode *dr = child(md, "date_range");
	const xmlNode *pp = child(root, "policy_published");
	const char *pct;
	size_t i;

	if (root->ns != NULL && root->ns->href != NULL) {
		const char *h = (const char *)root->ns->href;
		if (strcmp(h, "urn:ietf:params:xml:ns:dmarc-2.0") == 0)
			out->schema = "rfc9990";
		else if (strcmp(h, "http://dmarc.org/dmarc-xml/0.1") == 0)
			out->schema = "rfc7489";
		else
			out->schema = inkan_arena_strdup(x->a, h);
	} else {
		out->schema = "draft";
	}
	if (md == NULL)
		FAIL_RET(x, INKAN_EMALFORMED, "no <report_metadata>%s", "");
	if (pp == NULL)
		FAIL_RET(x, INKAN_EMALFORMED, "no <policy_published>%s", "");
	out->version = field(x, root, "version", false);
	out->email = field(x, md, "email", false);
	out->org_name = field(x, md, "org_name", false);
	/* An empty <org_name> is common from small reporters; the domain of
	 * <email> then names the reporter (it is part of the report's
	 * identity, so it cannot stay empty). */
	if (out->org_name == NULL && out->email != NULL && strchr(out->email, '@') != NULL)
		out->org_name = strrchr(out->email, '@') + 1;
	if (out->org_name == NULL || out->org_name[0] == '\0')
		fail(x, INKAN_EMALFORMED, "missing or empty <org_name> and no <email> domain");
	out->extra_contact_info = field(x, md, "extra_contact_info", false);
	out->report_id = required(x, md, "report_id", false);
	out->generator = field(x, md, "generator", false);
	if (dr == NULL)
		FAIL_RET(x, INKAN_EMALFORMED, "no <date_range>%s", "");
	out->begin = (int64_t)number(x, required(x, dr, "begin", false), "begin", INT64_MAX);
	out->end = (int64_t)number(x, required(x, dr, "end", false), "end", INT64_MAX);
	if (!x->err && out->end < out->begin)
		fail(x, INKAN_EMALFORMED, "<date_range> ends before it begins%s", "");
	out->nerrors = count_children(md, "error");
	if (out->nerrors > 0) {
		out->errors = inkan_arena_zalloc(x->a, out->nerrors * sizeof(*out->errors));
		if (out->errors == NULL)
			FAIL_RET(x, INKAN_ENOMEM, "out of memory%s", "");
		i = 0;
		for (xmlNode *c = md->children; c != NULL; c = c->next)
			if (named(c, "error") && (out->errors[i] = text_of(x, c, false)) != NULL)
				i++;
		out->nerrors = i;
	}
	out->domain = required(x, pp, "domain", true);
	out->adkim = field(x, pp, "adkim", true);
	out->aspf = field(x, pp, "aspf", true);
	out->p = field(x, pp, "p", true);
	out->sp = field(x, pp, "sp", true);
	out->np = field(x, pp, "np", true);
	out->fo = field(x, pp, "fo", true);
	out->testing = field(x, pp, "testing", true);
	out->discovery_method = field(x, pp, "discovery_method", true);
	pct = field(x, pp, "pct", false);
	out->pct = pct == NULL ? -1 : (int)number(x, pct, "pct", 100);

	out->nrows = count_children(root, "record");
	if (out->nrows > INKAN_REPORT_MAX_ROWS)
		FAIL_RET(x, INKAN_ELIMIT, "more than %d records", INKAN_REPORT_MAX_ROWS);
	if (out->nrows > 0) {
		out->rows = inkan_arena_zalloc(x->a, out->nrows * sizeof(*out->rows));
		if (out->rows == NULL)
			FAIL_RET(x, INKAN_ENOMEM, "out of memory%s", "");
	}
	i = 0;
	for (xmlNode *c = root->children; c != NULL && !x->err; c = c->next) {
		if (!named(c, "record"))
			continue;
		parse_row(x, c, &out->rows[i]);
		if (x->err)
			break;
		if (out->messages + out->rows[i].count < out->messages)
			FAIL_RET(x, INKAN_EMALFORMED, "message counts overflow%s", "");
		out->messages += out->rows[i].count;
		i++;
	}
}

int
inkan_dmarc_parse_xml(struct inkan_arena *a, const char *p, size_t len,
    struct inkan_dmarc_report *out, struct inkan_report_diag *d)
{
	struct px x = { a, d, 0 };
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNode *root;

	memset(out, 0, sizeof(*out));
	if (len > INKAN_REPORT_MAX_BYTES) {
		inkan__report_why(d, "report larger than %u bytes", INKAN_REPORT_MAX_BYTES);
		return INKAN_ETOOBIG;
	}
	if (len > INT32_MAX)
		return INKAN_ETOOBIG;
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		return INKAN_ENOMEM;
	doc = xmlCtxtReadMemory(ctxt, p, (int)len, "report.xml", NULL,
	    INKAN__DMARC_XML_OPTIONS);
	if (doc == NULL) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[160] = "unknown error";
		int line = 0;

		if (e != NULL && e->message != NULL) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			msg[strcspn(msg, "\n")] = '\0';
			line = e->line;
		}
		inkan__report_why(d, "not well-formed XML (line %d: %s)", line, msg);
		xmlFreeParserCtxt(ctxt);
		return INKAN_EMALFORMED;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		inkan__report_why(d, "XML with a document type declaration is refused");
		x.err = INKAN_EMALFORMED;
		goto done;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !named(root, "feedback")) {
		inkan__report_why(d, "root element is <%s>, not <feedback>",
		    root != NULL ? (const char *)root->name : "");
		x.err = INKAN_EMALFORMED;
		goto done;
	}
	parse_feedback(&x, root, out);
done:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (x.err != 0) {
		memset(out, 0, sizeof(*out));
		return x.err;
	}
	return 0;
}
