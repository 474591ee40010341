/* unbound.c - the libunbound backend: recursion or forwarders, DNSSEC.
 *
 * libunbound runs its resolver in a thread of its own (ub_ctx_async(ctx,
 * 1); the default would fork a process inside our caller).  A query is
 * sent with ub_resolve_async() and waited for with poll() on ub_fd() up to
 * a deadline, because ub_resolve() cannot be given a timeout.  A query
 * past its deadline is cancelled and answered TIMEOUT; if unbound had
 * already delivered it, its callback comes later and finds the query
 * marked abandoned.
 *
 * The options are kept so that the asynchronous backend (async_unbound.c)
 * can make a second context set up the same way: sharing one context
 * would let ub_process() run the bulk driver's callbacks inside a
 * synchronous query.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <unbound.h>

#include "inkan/arena.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/limits.h"

#include "dns_int.h"

/* A query waiting for its callback; heap-allocated because a cancelled
 * query's callback may still come after the caller has returned. */
struct pending {
	struct pending *next;	/* abandoned list */
	bool done, abandoned;
	int err;
	struct ub_result *res;
};

struct ub_resolver {
	struct inkan_resolver base;
	struct ub_ctx *ctx;
	struct pending *abandoned;	/* freed with the resolver */
	/* copies of the options, in mem */
	struct inkan_arena *mem;
	const char **forwarders;
	const char *ta_file;
	const char **ta;
	const char **transparent;
	bool no_dnssec;
	unsigned timeout_ms;
};

static const struct inkan_resolver_ops ub_ops;

bool
inkan__unbound_is(const struct inkan_resolver *r)
{
	return r != NULL && r->ops == &ub_ops;
}

unsigned
inkan__unbound_timeout_ms(const struct inkan_resolver *r)
{
	return ((const struct ub_resolver *)r)->timeout_ms;
}

/* ---- options and the context ---- */

static const char **
copy_list(struct inkan_arena *a, const char *const *v, int *err)
{
	size_t n = 0;
	const char **out;

	if (v == NULL)
		return NULL;
	while (v[n] != NULL)
		n++;
	if ((out = inkan_arena_zalloc(a, (n + 1) * sizeof(*out))) == NULL) {
		*err = INKAN_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if ((out[i] = inkan_arena_strdup(a, v[i])) == NULL)
			*err = INKAN_ENOMEM;
	return out;
}

/* Forwarders on loopback ("127.0.0.1@5353", "::1") are refused by
 * unbound unless do-not-query-localhost is off. */
static bool
is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "::1", 3) == 0 ||
	    strncmp(addr, "localhost", 9) == 0;
}

static int
ctx_fail(struct ub_ctx *ctx, const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	ub_ctx_delete(ctx);
	return INKAN_EDNS;
}

int
inkan__unbound_ctx_new(const struct inkan_resolver *r, struct ub_ctx **out, const char **why)
{
	const struct ub_resolver *u = (const struct ub_resolver *)r;
	struct ub_ctx *ctx;
	bool have_ta = false;

	*out = NULL;
	if ((ctx = ub_ctx_create()) == NULL) {
		if (why != NULL)
			*why = "cannot create a libunbound context";
		return INKAN_EDNS;
	}
	if (ub_ctx_async(ctx, 1) != 0)
		return ctx_fail(ctx, why, "libunbound without thread support");
	/* Room for the bulk driver's queries in flight (bulk.h). */
	if (ub_ctx_set_option(ctx, "num-queries-per-thread:", "4096") != 0)
		return ctx_fail(ctx, why, "cannot set num-queries-per-thread");
	for (size_t i = 0; u->forwarders != NULL && u->forwarders[i] != NULL; i++) {
		if (ub_ctx_set_fwd(ctx, u->forwarders[i]) != 0)
			return ctx_fail(ctx, why, "bad forwarder address (want ADDR[@PORT])");
		if (is_loopback(u->forwarders[i]) &&
		    ub_ctx_set_option(ctx, "do-not-query-localhost:", "no") != 0)
			return ctx_fail(ctx, why, "cannot allow loopback forwarders");
	}
	for (size_t i = 0; u->transparent != NULL && u->transparent[i] != NULL; i++) {
		char zone[INKAN__KEYMAX + 16];

		/* "nodefault" is ignored through ub_ctx_set_option() in
		 * libunbound 1.17 (TESTENV.md §2); "transparent" works. */
		snprintf(zone, sizeof(zone), "%s transparent", u->transparent[i]);
		if (ub_ctx_set_option(ctx, "local-zone:", zone) != 0)
			return ctx_fail(ctx, why, "bad transparent zone name");
	}
	if (u->no_dnssec) {
		if (ub_ctx_set_option(ctx, "module-config:", "iterator") != 0)
			return ctx_fail(ctx, why, "cannot turn DNSSEC validation off");
		*out = ctx;
		return 0;
	}
	if (u->ta_file != NULL) {
		/* libunbound reads the file only when the first query starts;
		 * say now if it cannot be read. */
		if (access(u->ta_file, R_OK) != 0)
			return ctx_fail(ctx, why, "cannot read the trust anchor file");
		if (ub_ctx_add_ta_file(ctx, u->ta_file) != 0)
			return ctx_fail(ctx, why, "bad trust anchor file");
		have_ta = true;
	}
	for (size_t i = 0; u->ta != NULL && u->ta[i] != NULL; i++) {
		if (ub_ctx_add_ta(ctx, u->ta[i]) != 0)
			return ctx_fail(ctx, why, "bad trust anchor line");
		have_ta = true;
	}
	/* A private anchor (a test zone) must not be joined by the root's:
	 * names outside the island would then be validated from the root,
	 * which a test forwarder does not serve. */
	if (!have_ta && access(INKAN_ROOT_KEY_FILE, R_OK) == 0 &&
	    ub_ctx_add_ta_file(ctx, INKAN_ROOT_KEY_FILE) != 0)
		return ctx_fail(ctx, why, "bad root trust anchor file " INKAN_ROOT_KEY_FILE);
	*out = ctx;
	return 0;
}

/* ---- results ---- */

/* Presentation name without its trailing dot. */
static const char *
strip_dot(struct inkan_arena *a, const char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		n--;
	return inkan_arena_strndup(a, s, n);
}

int
inkan__unbound_answer(struct inkan_arena *a, const char *name, uint16_t type, int err,
    const struct ub_result *res, struct inkan_dns_answer *out)
{
	struct inkan_dns_rr *rr;
	size_t n = 0;

	if (err != 0 || res == NULL)
		return inkan__dns_answer_status(a, name, type, INKAN_DNS_SERVFAIL, 0,
		    err != 0 ? ub_strerror(err) : "no result", out);
	memset(out, 0, sizeof(*out));
	if ((out->qname = inkan_arena_strdup(a, name)) == NULL)
		return INKAN_ENOMEM;
	out->qtype = type;
	out->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	out->secure = res->secure != 0;
	if (res->bogus) {
		/* A bogus answer still carries its data (TESTENV.md §2): keep
		 * it, marked, for callers (DANE, audits) that report it. */
		out->secure = false;
		out->bogus = true;
		out->why = inkan_arena_strdup(a, res->why_bogus != NULL ? res->why_bogus :
		    "DNSSEC validation failed");
		if (out->why == NULL)
			return INKAN_ENOMEM;
		out->status = res->havedata ? INKAN_DNS_OK : INKAN_DNS_SERVFAIL;
	} else if (res->havedata) {
		out->status = INKAN_DNS_OK;
	} else if (res->nxdomain || res->rcode == 3) {
		out->status = INKAN_DNS_NXDOMAIN;
	} else if (res->rcode == 0) {
		out->status = INKAN_DNS_NODATA;
	} else {
		char why[32];

		snprintf(why, sizeof(why), "rcode %d", res->rcode);
		out->status = INKAN_DNS_SERVFAIL;
		if ((out->why = inkan_arena_strdup(a, res->rcode == 2 ? "server failure" :
		    why)) == NULL)
			return INKAN_ENOMEM;
	}
	if (res->canonname != NULL &&
	    !inkan_dname_equal(res->canonname, strlen(res->canonname), name, strlen(name)) &&
	    (out->canonname = strip_dot(a, res->canonname)) == NULL)
		return INKAN_ENOMEM;
	if (out->status != INKAN_DNS_OK || res->data == NULL)
		return 0;
	while (res->data[n] != NULL)
		n++;
	if (n > INKAN_DNS_MAX_RRS) {
		n = INKAN_DNS_MAX_RRS;
		out->truncated = true;
	}
	if (n == 0) {
		out->status = INKAN_DNS_NODATA;
		return 0;
	}
	if ((rr = inkan_arena_alloc(a, n * sizeof(*rr))) == NULL)
		return INKAN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int len = res->len[i];

		if (len < 0 || len > INKAN_DNS_MAX_RDATA)
			len = 0;
		rr[i].type = type;
		rr[i].ttl = out->ttl;
		rr[i].len = (uint16_t)len;
		rr[i].data = inkan_arena_memdup(a, res->data[i], (size_t)len);
		if (rr[i].data == NULL)
			return INKAN_ENOMEM;
	}
	out->nrr = n;
	out->rr = rr;
	return 0;
}

/* ---- the synchronous query ---- */

static void
sync_cb(void *arg, int err, struct ub_result *res)
{
	struct pending *p = arg;

	if (p->abandoned) {
		/* Freed with the resolver (it is on the abandoned list). */
		if (res != NULL)
			ub_resolve_free(res);
		p->done = true;
		return;
	}
	p->done = true;
	p->err = err;
	p->res = res;
}

/* Map errors of ub_resolve_async() itself. */
static int
submit_error(int err)
{
	switch (err) {
	case UB_NOMEM:	return INKAN_ENOMEM;
	case UB_SYNTAX:	return INKAN_EINVAL;
	default:	return INKAN_EDNS;
	}
}

static int
ub_query(struct inkan_resolver *r, struct inkan_arena *a, const char *name, uint16_t type,
    struct inkan_dns_answer *out)
{
	struct ub_resolver *u = (struct ub_resolver *)r;
	struct pending *p;
	uint64_t deadline = inkan__now_ms() + u->timeout_ms;
	int id, err, rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return INKAN_ENOMEM;
	if ((err = ub_resolve_async(u->ctx, name, type, 1, p, sync_cb, &id)) != 0) {
		free(p);
		return submit_error(err);
	}
	while (!p->done) {
		uint64_t now = inkan__now_ms();
		struct pollfd pfd = { .fd = ub_fd(u->ctx), .events = POLLIN };
		int n;

		if (now >= deadline)
			break;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && ub_process(u->ctx) != 0)
			break;
	}
	if (!p->done) {
		char why[64];

		if (ub_cancel(u->ctx, id) == 0) {
			free(p);
		} else {
			p->abandoned = true;
			p->next = u->abandoned;
			u->abandoned = p;
		}
		snprintf(why, sizeof(why), "no answer in %u ms", u->timeout_ms);
		return inkan__dns_answer_status(a, name, type, INKAN_DNS_TIMEOUT, 0, why, out);
	}
	rc = inkan__unbound_answer(a, name, type, p->err, p->res, out);
	if (p->res != NULL)
		ub_resolve_free(p->res);
	free(p);
	return rc;
}

static void
ub_destroy(struct inkan_resolver *r)
{
	struct ub_resolver *u = (struct ub_resolver *)r;
	struct pending *p, *next;

	if (u->ctx != NULL)
		ub_ctx_delete(u->ctx);
	for (p = u->abandoned; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	inkan_arena_free(u->mem);
	free(u);
}

static const struct inkan_resolver_ops ub_ops = {
	.name = "unbound",
	.query = ub_query,
	.destroy = ub_destroy,
};

int
inkan_resolver_unbound_new(const struct inkan_unbound_opts *o, struct inkan_resolver **out,
    const char **why)
{
	static const struct inkan_unbound_opts none;
	struct ub_resolver *u;
	int err = 0, rc;

	*out = NULL;
	if (o == NULL)
		o = &none;
	if ((u = calloc(1, sizeof(*u))) == NULL || (u->mem = inkan_arena_new()) == NULL) {
		free(u);
		if (why != NULL)
			*why = "out of memory";
		return INKAN_ENOMEM;
	}
	u->base.ops = &ub_ops;
	u->forwarders = copy_list(u->mem, o->forwarders, &err);
	u->ta = copy_list(u->mem, o->trust_anchors, &err);
	u->transparent = copy_list(u->mem, o->transparent_zones, &err);
	if (o->trust_anchor_file != NULL &&
	    (u->ta_file = inkan_arena_strdup(u->mem, o->trust_anchor_file)) == NULL)
		err = INKAN_ENOMEM;
	u->no_dnssec = o->no_dnssec;
	u->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : INKAN_DNS_DEFAULT_TIMEOUT_MS;
	if (err != 0) {
		ub_destroy(&u->base);
		if (why != NULL)
			*why = "out of memory";
		return err;
	}
	if ((rc = inkan__unbound_ctx_new(&u->base, &u->ctx, why)) != 0) {
		ub_destroy(&u->base);
		return rc;
	}
	*out = &u->base;
	return 0;
}
