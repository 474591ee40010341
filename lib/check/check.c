/* check.c - the audit driver (see check.h): names, items and evidence,
 * the recording resolver, the order of the stages, and the scores.
 *
 * All DNS of one audit goes through a thin resolver that forwards to the
 * caller's and notes every bogus answer, so that the dnssec category can
 * report DNSSEC failures wherever they happened (an MX answer, a TLSA
 * RRset, a TXT record) without each stage looking for them.
 *
 * Scores.  Each category's score is the share of its scored items that
 * pass, a warning counting half and a failure or an error nothing; info
 * and not-tested items are not scored.  The overall score is the mean of
 * the categories that have a score, each category weighing the same, so a
 * domain with ten TLS findings is not judged by TLS alone.
 */
#include <stdarg.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "check_int.h"

static const char *const category_names[INKAN_CHECK_NCATEGORIES] = {
	"mx", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "dnssec", "dane", "tls", "bimi",
};

const char *
inkan_check_category_name(enum inkan_check_category c)
{
	return (unsigned)c < INKAN_CHECK_NCATEGORIES ? category_names[c] : "unknown";
}

int
inkan_check_category_from_name(const char *s)
{
	for (int i = 0; s != NULL && i < INKAN_CHECK_NCATEGORIES; i++)
		if (strcmp(s, category_names[i]) == 0)
			return i;
	return -1;
}

const char *
inkan_check_status_name(enum inkan_check_status s)
{
	switch (s) {
	case INKAN_CHECK_NOT_TESTED: return "not-tested";
	case INKAN_CHECK_INFO: return "info";
	case INKAN_CHECK_PASS: return "pass";
	case INKAN_CHECK_WARN: return "warn";
	case INKAN_CHECK_FAIL: return "fail";
	case INKAN_CHECK_ERROR: return "error";
	}
	return "unknown";
}

/* ---- items ---- */

struct inkan_check_item *
inkan__chk_item(struct chk *c, enum inkan_check_category cat, const char *id,
    enum inkan_check_status st, const char *subject, const char *advice, const char *fmt, ...)
{
	struct inkan_check_report *o = c->out;
	struct inkan_check_item *it;
	va_list ap;

	if (c->err != 0 || !inkan__chk_want(c, cat))
		return NULL;
	if (o->nitems == INKAN_CHECK_MAX_ITEMS)
		return NULL;
	if (o->nitems == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 32;
		struct inkan_check_item *ni = inkan_arena_alloc(c->a, nc * sizeof(*ni));

		if (ni == NULL) {
			c->err = INKAN_ENOMEM;
			return NULL;
		}
		if (o->nitems > 0)
			memcpy(ni, o->items, o->nitems * sizeof(*ni));
		o->items = ni;
		c->cap = nc;
	}
	it = &o->items[o->nitems];
	memset(it, 0, sizeof(*it));
	it->id = id;
	it->category = cat;
	it->status = st;
	it->subject = subject;
	it->advice = advice;
	va_start(ap, fmt);
	it->summary = inkan_arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	if (it->summary == NULL) {
		c->err = INKAN_ENOMEM;
		return NULL;
	}
	o->nitems++;
	return it;
}

void
inkan__chk_ev(struct chk *c, struct inkan_check_item *it, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (it == NULL || c->err != 0)
		return;
	if (it->nevidence > INKAN_CHECK_MAX_EVIDENCE)
		return;
	if (it->nevidence == INKAN_CHECK_MAX_EVIDENCE) {
		/* One last line says that more were left out. */
		line = inkan_arena_strdup(c->a, "(more evidence left out)");
	} else {
		va_start(ap, fmt);
		line = inkan_arena_vprintf(c->a, fmt, ap);
		va_end(ap);
	}
	if (line == NULL) {
		c->err = INKAN_ENOMEM;
		return;
	}
	/* Arrays grow by powers of two: 1, 2, 4, ... */
	if ((it->nevidence & (it->nevidence - 1)) == 0) {
		size_t nc = it->nevidence ? it->nevidence * 2 : 1;
		const char **ne = inkan_arena_alloc(c->a, nc * sizeof(*ne));

		if (ne == NULL) {
			c->err = INKAN_ENOMEM;
			return;
		}
		if (it->nevidence > 0)
			memcpy(ne, it->evidence, it->nevidence * sizeof(*ne));
		it->evidence = ne;
	}
	it->evidence[it->nevidence++] = line;
}

bool
inkan__chk_want(const struct chk *c, enum inkan_check_category cat)
{
	return c->o->categories == 0 || (c->o->categories & (1u << cat)) != 0;
}

bool
inkan__chk_fail(struct chk *c, int rc)
{
	if (rc == 0)
		return c->err != 0;
	if (c->err == 0)
		c->err = rc;
	return true;
}

const struct inkan_check_connect *
inkan__chk_connect(const struct chk *c, const char *host, unsigned service)
{
	for (size_t i = 0; i < c->o->nconnect; i++) {
		const struct inkan_check_connect *k = &c->o->connect[i];

		if (k->service != 0 && k->service != service)
			continue;
		if (k->host == NULL || strcmp(k->host, "*") == 0 ||
		    inkan_dname_equal(k->host, strlen(k->host), host, strlen(host)))
			return k;
	}
	return NULL;
}

/* ---- the recording resolver ---- */

struct rec_resolver {
	struct inkan_resolver base;
	struct inkan_resolver *inner;
	struct chk *c;
};

static int
rec_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	struct rec_resolver *rr = (struct rec_resolver *)r;
	struct chk *c = rr->c;
	int rc = inkan_dns_query(rr->inner, a, name, type, out);

	if (rc != 0 || !out->bogus)
		return rc;
	for (size_t i = 0; i < c->nbogus; i++)
		if (c->bogus[i].type == type && inkan_dname_equal(c->bogus[i].name,
		    strlen(c->bogus[i].name), name, strlen(name)))
			return 0;
	if (c->nbogus == c->capbogus) {
		size_t nc = c->capbogus ? c->capbogus * 2 : 8;
		struct chk_dnsnote *nb = inkan_arena_alloc(c->a, nc * sizeof(*nb));

		if (nb == NULL)
			return INKAN_ENOMEM;
		if (c->nbogus > 0)
			memcpy(nb, c->bogus, c->nbogus * sizeof(*nb));
		c->bogus = nb;
		c->capbogus = nc;
	}
	c->bogus[c->nbogus].name = inkan_arena_strdup(c->a, name);
	c->bogus[c->nbogus].type = type;
	c->bogus[c->nbogus].why = out->why ? inkan_arena_strdup(c->a, out->why) : NULL;
	if (c->bogus[c->nbogus].name == NULL)
		return INKAN_ENOMEM;
	c->nbogus++;
	return 0;
}

static void
rec_destroy(struct inkan_resolver *r)
{
	(void)r;	/* lives in the audit's arena */
}

static const struct inkan_resolver_ops rec_ops = {
	.name = "check",
	.query = rec_query,
	.destroy = rec_destroy,
};

/* ---- scores ---- */

static void
score(struct inkan_check_report *out)
{
	int sum = 0, n = 0;

	out->worst = INKAN_CHECK_NOT_TESTED;
	for (size_t i = 0; i < out->nitems; i++) {
		const struct inkan_check_item *it = &out->items[i];
		struct inkan_check_score *s = &out->categories[it->category];

		switch (it->status) {
		case INKAN_CHECK_PASS: s->npass++; break;
		case INKAN_CHECK_WARN: s->nwarn++; break;
		case INKAN_CHECK_FAIL: s->nfail++; break;
		case INKAN_CHECK_ERROR: s->nerror++; break;
		case INKAN_CHECK_INFO: s->ninfo++; break;
		case INKAN_CHECK_NOT_TESTED: s->nnot_tested++; break;
		}
		if (it->status > out->worst)
			out->worst = it->status;
	}
	for (int k = 0; k < INKAN_CHECK_NCATEGORIES; k++) {
		struct inkan_check_score *s = &out->categories[k];
		unsigned scored = s->npass + s->nwarn + s->nfail + s->nerror;

		if (scored == 0) {
			s->score = -1;
			continue;
		}
		/* Round half up: (2p + w) / 2n as a percentage. */
		s->score = (int)((200u * s->npass + 100u * s->nwarn + scored) / (2u * scored));
		sum += s->score;
		n++;
	}
	out->score = n > 0 ? (sum + n / 2) / n : -1;
}

/* Items in category order, each category's in the order they were
 * found (a stable insertion sort: the list is short). */
static void
sort_items(struct inkan_check_report *out)
{
	for (size_t i = 1; i < out->nitems; i++) {
		struct inkan_check_item t = out->items[i];
		size_t j = i;

		while (j > 0 && out->items[j - 1].category > t.category) {
			out->items[j] = out->items[j - 1];
			j--;
		}
		out->items[j] = t;
	}
}

int
inkan_check_domain(struct inkan_resolver *r, struct inkan_arena *a,
    const struct inkan_check_opts *o, const char *domain, struct inkan_check_report *out)
{
	static const struct inkan_check_opts defaults;
	struct rec_resolver *rr;
	struct chk *c;
	const char *why;
	char *ascii;
	unsigned long q0;

	memset(out, 0, sizeof(*out));
	if (r == NULL || a == NULL || domain == NULL)
		return INKAN_EINVAL;
	if (o == NULL)
		o = &defaults;
	if (inkan_dname_to_ascii(a, domain, strlen(domain), &ascii, &why) != 0)
		return INKAN_EINVAL;
	{
		size_t n = strlen(ascii);

		if (n > 1 && ascii[n - 1] == '.')
			ascii[n - 1] = '\0';
	}
	if (inkan_dname_check(ascii, strlen(ascii), INKAN_DNAME_MULTILABEL, &why) != 0)
		return INKAN_EINVAL;
	if ((c = inkan_arena_zalloc(a, sizeof(*c))) == NULL ||
	    (rr = inkan_arena_zalloc(a, sizeof(*rr))) == NULL)
		return INKAN_ENOMEM;
	rr->base.ops = &rec_ops;
	rr->inner = r;
	rr->c = c;
	c->r = &rr->base;
	c->a = a;
	c->o = o;
	c->out = out;
	c->domain = ascii;
	out->domain = ascii;
	out->started = o->now ? o->now : time(NULL);
	q0 = r->nqueries;

	/* Order matters: MX feeds SPF (parked?), DMARC (parked advice),
	 * MTA-STS (coverage), DNSSEC, DANE and TLS; DMARC feeds BIMI. */
	inkan__chk_mx(c);
	inkan__chk_spf(c);
	inkan__chk_dkim(c);
	inkan__chk_dmarc(c);
	inkan__chk_mtasts(c);
	inkan__chk_tlsrpt(c);
	inkan__chk_dane(c);
	inkan__chk_tls(c);
	inkan__chk_bimi(c);
	inkan__chk_dnssec(c);	/* last: it reports bogus answers of every stage */
	if (c->err != 0)
		return c->err;
	out->dns_queries = r->nqueries - q0;
	sort_items(out);
	score(out);
	return 0;
}
