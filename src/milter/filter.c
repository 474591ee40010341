/* filter.c - the libmilter callbacks: SMTP events in, library calls out.
 *
 * Inbound (the client is not internal, policy.h): MAIL FROM starts a
 * verify session with the envelope (client IP, HELO, MAIL FROM); every
 * header field goes to inkan_verify_header as "Name:value" exactly as
 * the MTA received it (SMFIP_HDR_LEADSPC keeps the space after the
 * colon); body chunks go to inkan_verify_body; at end of message the
 * session's result goes to inkan_policy_decide, and the milter carries
 * out the answer: remove the Authentication-Results fields that claim
 * our authserv-id (highest position first, so that positions stay
 * valid whichever way the MTA counts), add ours at the top, reject,
 * tempfail or quarantine.  The verdict goes to the store's writer
 * thread and one line goes to the log.
 *
 * Outbound (internal client): the header is kept until its end, the
 * author's address picks the keys from the signing table, one DKIM sign
 * session per d= is fed the header and the body, and the signatures are
 * inserted at the top.
 *
 * Header values arrive with LF line ends inside folded fields (Postfix
 * and Sendmail both); the library accepts them.  Fields we add are
 * given with LF too, which both MTAs turn into their own line ends.
 */
#include <stdbool.h>

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>

#include "milter.h"
#include "inkan/arena.h"
#include "inkan/authres.h"
#include "inkan/buf.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/policy.h"
#include "inkan/verify.h"

struct hdr {
	struct hdr *next;
	const char *raw;
	size_t len;
};

struct conn {
	struct inkan_resolver *r;	/* this connection's DNS handle */
	bool leadspc, nr_hdr, nr_body;
	bool has_ip;
	struct inkan_ip ip;
	char ipstr[INKAN_IP_STRLEN];
	char *helo;

	/* the message, from MAIL FROM to end or abort */
	struct runtime *rt;
	struct inkan_arena *a;
	bool internal, sign_mode, verify_mode;
	const char *auth;
	const char *mail_from;
	const char *rcpt_domain;
	struct inkan_verify *v;
	int verr;			/* first error feeding the session */
	bool too_big;
	size_t hdr_bytes;
	unsigned nar;			/* A-R fields seen (fallback list) */
	unsigned forged[INKAN_VERIFY_MAX_FORGED];
	size_t nforged;
	struct hdr *hdrs, **hdr_tail;	/* kept for signing */
	struct inkan_dkim_sign *sign[INKAN_SIGNTABLE_MAX_SIGS];
	size_t nsign;
	const char *sign_desc;		/* "d=example.com s=rsa1,ed1" */
	const char *sign_skip;		/* why nothing is signed */
	int sign_err;
	bool seal_rcpt;			/* a recipient is in ARCSealRecipients */
	bool seal_started;
	struct inkan_arc_seal *seal;	/* ARC sealing session, or NULL */
	const char *seal_note;		/* for the log line */
	uint64_t busy_us;		/* time spent in our work */
	uint64_t eom_start;		/* when end of message began */
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct conn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static struct conn *
conn_new(SMFICTX *ctx)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (inkan_resolver_shared_new(G.dns, &c->r) != 0) {
		free(c);
		return NULL;
	}
	c->leadspc = false;
	smfi_setpriv(ctx, c);
	atomic_fetch_add(&G.st.connections, 1);
	return c;
}

static void
msg_reset(struct conn *c)
{
	for (size_t i = 0; i < c->nsign; i++)
		inkan_dkim_sign_free(c->sign[i]);
	inkan_arc_seal_free(c->seal);
	inkan_verify_free(c->v);
	inkan_arena_free(c->a);
	runtime_put(c->rt);
	struct inkan_resolver *r = c->r;
	bool leadspc = c->leadspc, nr_hdr = c->nr_hdr, nr_body = c->nr_body, has_ip = c->has_ip;
	struct inkan_ip ip = c->ip;
	char ipstr[INKAN_IP_STRLEN];
	memcpy(ipstr, c->ipstr, sizeof(ipstr));
	char *helo = c->helo;
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->leadspc = leadspc;
	c->nr_hdr = nr_hdr;
	c->nr_body = nr_body;
	c->has_ip = has_ip;
	c->ip = ip;
	memcpy(c->ipstr, ipstr, sizeof(ipstr));
	c->helo = helo;
}

/* ---- negotiation and connection ---- */

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL && (c = conn_new(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	if (f0 & SMFIF_QUARANTINE)
		*pf0 |= SMFIF_QUARANTINE;
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) != (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) {
		mlog(LOG_ERR, "the MTA does not let milters add and change header fields");
		return SMFIS_REJECT;
	}
	/* The exact header bytes, and no unknown-command events.  Not the
	 * "no reply" steps (SMFIP_NR_HDR, SMFIP_NR_BODY, SMFIP_NODATA):
	 * without a reply to carry our ACK, Postfix's next small packet
	 * waits for the kernel's delayed ACK (Nagle), 40 ms each time,
	 * where a reply costs some microseconds on a local socket. */
	*pf1 = f1 & (SMFIP_NOUNKNOWN | SMFIP_HDR_LEADSPC);
	c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->nr_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	c->nr_body = (*pf1 & SMFIP_NR_BODY) != 0;
	*pf2 = *pf3 = 0;
	/* The macros we read: SASL login at MAIL FROM, queue ID at the end. */
	if (f0 & SMFIF_SETSYMLIST) {
		*pf0 |= SMFIF_SETSYMLIST;
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_authen} {auth_type} i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	(void)f2;
	(void)f3;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct conn *c = conn_of(ctx);

	(void)host;
	if (c == NULL && (c = conn_new(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	c->has_ip = false;
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		c->ip.family = 4;
		memcpy(c->ip.a, &s4->sin_addr, 4);
		c->has_ip = true;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		c->ip.family = 6;
		memcpy(c->ip.a, &s6->sin6_addr, 16);
		inkan_ip_unmap(&c->ip);
		c->has_ip = true;
	}
	if (c->has_ip)
		inkan_ip_format(&c->ip, c->ipstr, sizeof(c->ipstr));
	else
		snprintf(c->ipstr, sizeof(c->ipstr), "unknown");
	return SMFIS_CONTINUE;
}

static sfsistat
cb_helo(SMFICTX *ctx, char *name)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	free(c->helo);
	c->helo = name != NULL && name[0] != '\0' ? strdup(name) : NULL;
	return SMFIS_CONTINUE;
}

/* The address inside "<...>" (or the argument as is); "" for "<>". */
static const char *
strip_brackets(struct inkan_arena *a, const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return inkan_arena_strndup(a, s + 1, n - 2);
	return inkan_arena_strdup(a, s);
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	msg_reset(c);
	c->rt = runtime_get();
	const struct conf *cf = c->rt->conf;
	/* Headers, their copies in the sessions and the results: bounded,
	 * so one message cannot take the daemon's memory. */
	c->a = inkan_arena_new_max(cf->max_header_bytes * 8 + (16u << 20));
	if (c->a == NULL)
		return SMFIS_TEMPFAIL;
	c->mail_from = strip_brackets(c->a, argv != NULL && argv[0] != NULL ? argv[0] : "");
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");
	c->auth = auth != NULL && auth[0] != '\0' ? inkan_arena_strdup(c->a, auth) : NULL;
	c->internal = inkan_policy_is_internal(&cf->policy, &c->ip, c->has_ip, c->auth);
	c->sign_mode = c->internal && c->rt->keys != NULL;
	c->verify_mode = !c->internal || cf->verify_internal;
	c->hdr_tail = &c->hdrs;
	if (c->internal && !c->sign_mode)
		c->sign_skip = "no signing key configured";
	if (!c->verify_mode && !c->sign_mode) {
		atomic_fetch_add(&G.st.messages_out, 1);
		atomic_fetch_add(&G.st.sign_skipped, 1);
		mlog(LOG_INFO, "outbound ip=%s auth=%s signed=none (%s)", c->ipstr,
		    c->auth ? "yes" : "no", c->sign_skip);
		msg_reset(c);
		return SMFIS_ACCEPT;
	}
	if (c->verify_mode) {
		struct inkan_dkim_verify_opts dko = { .max_signatures = cf->max_signatures };
		struct inkan_verify_opts vo = {
			.authserv_id = cf->authserv_id,
			.dkim = &dko,
			.dmarc = { .mode = cf->dmarc_mode, .apply_pct = cf->apply_pct,
				   .psl_file = cf->psl_file, .no_compare = true },
			.no_arc = cf->no_arc,
			.bad_from = cf->bad_from,
			.receiver = cf->authserv_id,
		};
		struct inkan_verify_envelope env = {
			.has_ip = c->has_ip,
			.ip = c->ip,
			.helo = c->helo,
			.mail_from = c->mail_from,
			.source = INKAN_VERIFY_ENV_GIVEN,
		};
		int err = inkan_verify_new(c->r, c->a, &vo, &c->v);
		if (err == 0)
			err = inkan_verify_envelope(c->v, &env);
		if (err != 0)
			c->verr = err;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL || c->a == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	const char *to = strip_brackets(c->a, argv[0]);
	const char *at = to != NULL ? strrchr(to, '@') : NULL;
	if (at == NULL)
		return SMFIS_CONTINUE;
	if (c->rcpt_domain == NULL)
		c->rcpt_domain = at + 1;
	/* Mail to a domain we forward for (a list, an alias host) is sealed. */
	char **list = c->rt->conf->arc_seal_for;
	if (c->rt->arc_key != NULL && list != NULL && !c->seal_rcpt)
		for (size_t i = 0; list[i] != NULL && !c->seal_rcpt; i++)
			c->seal_rcpt = strcmp(list[i], "*") == 0 ||
			    inkan_policy_domain_listed((const char *const[]){ list[i], NULL }, at + 1);
	return SMFIS_CONTINUE;
}

/* Note an Authentication-Results field that claims our authserv-id,
 * independently of the session: if the session fails (a limit, memory)
 * forged fields must still go. */
static void
note_authres(struct conn *c, const char *value)
{
	c->nar++;
	if (inkan_authres_claims(value, strlen(value), c->rt->conf->authserv_id) &&
	    c->nforged < INKAN_VERIFY_MAX_FORGED)
		c->forged[c->nforged++] = c->nar;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_of(ctx);
	sfsistat ok = c != NULL && c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;

	if (c == NULL || c->a == NULL)
		return ok;
	if (strcasecmp(name, "Authentication-Results") == 0)
		note_authres(c, value);
	size_t nl = strlen(name), vl = strlen(value);
	c->hdr_bytes += nl + vl + 3;
	if (c->hdr_bytes > c->rt->conf->max_header_bytes) {
		c->too_big = true;
		return ok;
	}
	if (c->too_big || (c->verr != 0 && !c->sign_mode))
		return ok;
	/* "Name:" + value; without SMFIP_HDR_LEADSPC the MTA ate the one
	 * space after the colon, which is put back (the usual layout). */
	const char *sep = c->leadspc ? ":" : ": ";
	char *raw = inkan_arena_printf(c->a, "%s%s%s", name, sep, value);
	if (raw == NULL) {
		c->verr = INKAN_ENOMEM;
		return ok;
	}
	size_t len = strlen(raw);
	if (c->verify_mode && c->seal_rcpt && !c->seal_started) {
		/* Recipients are known once the header starts. */
		const struct conf *cf = c->rt->conf;
		struct inkan_arc_seal_opts so = { .domain = cf->arc_domain,
			.selector = cf->arc_selector, .authserv_id = cf->authserv_id };
		c->seal_started = true;
		if (inkan_arc_seal_new(c->a, c->rt->arc_key, &so, &c->seal) != 0) {
			c->seal = NULL;
			c->seal_note = "ARC seal not started";
		}
	}
	if (c->seal != NULL && inkan_arc_seal_header(c->seal, raw, len) != 0) {
		inkan_arc_seal_free(c->seal);
		c->seal = NULL;
		c->seal_note = "ARC seal abandoned (header)";
	}
	if (c->verify_mode && c->verr == 0) {
		int err = inkan_verify_header(c->v, raw, len);
		if (err == INKAN_ELIMIT || err == INKAN_ETOOBIG)
			c->too_big = true;
		else if (err != 0)
			c->verr = err;
	}
	if (c->sign_mode) {
		struct hdr *h = inkan_arena_alloc(c->a, sizeof(*h));
		if (h == NULL) {
			c->sign_err = INKAN_ENOMEM;
			return ok;
		}
		*h = (struct hdr){ NULL, raw, len };
		*c->hdr_tail = h;
		c->hdr_tail = &h->next;
	}
	return ok;
}

/* The author address for the signing table: the From field parsed by
 * DMARC's rules; NULL when there is not exactly one address. */
static const char *
author_of(struct conn *c)
{
	struct inkan_slice from[INKAN_VERIFY_MAX_FROM];
	size_t n = 0;

	for (struct hdr *h = c->hdrs; h != NULL; h = h->next) {
		const char *colon = memchr(h->raw, ':', h->len);
		if (colon == NULL || (size_t)(colon - h->raw) != 4 ||
		    strncasecmp(h->raw, "From", 4) != 0)
			continue;
		if (n == INKAN_VERIFY_MAX_FROM)
			return NULL;
		from[n++] = inkan_slice_trim((struct inkan_slice){ colon + 1,
		    h->len - (size_t)(colon + 1 - h->raw) });
	}
	struct inkan_dmarc_from f;
	if (inkan_dmarc_from_parse(c->a, from, n, &f) != 0 || f.status != INKAN_DMARC_FROM_OK)
		return NULL;
	return f.address;
}

static void
start_signing(struct conn *c)
{
	const struct conf *cf = c->rt->conf;
	const struct inkan_signtable_sig *sigs;
	size_t nsigs = 0;
	const char *author = author_of(c);

	if (author == NULL) {
		c->sign_skip = "no single From address";
		return;
	}
	int err = inkan_signtable_lookup(c->rt->keys, c->a, author, &sigs, &nsigs);
	if (err != 0) {
		c->sign_err = err;
		return;
	}
	if (nsigs == 0) {
		c->sign_skip = inkan_arena_printf(c->a, "no key for %s",
		    inkan_policy_safe_text(c->a, author, 100));
		return;
	}
	struct inkan_buf d;
	inkan_buf_init(&d, 1024);
	for (size_t i = 0; i < nsigs && c->nsign < INKAN_SIGNTABLE_MAX_SIGS; i++) {
		struct inkan_dkim_sign_opts so = {
			.domain = sigs[i].domain,
			.selectors = sigs[i].selectors,
			.selector = sigs[i].selectors[0],
			.hdr_canon = cf->relaxed_header ? INKAN_DKIM_RELAXED : INKAN_DKIM_SIMPLE,
			.body_canon = cf->relaxed_body ? INKAN_DKIM_RELAXED : INKAN_DKIM_SIMPLE,
			.expire = cf->sign_expire,
		};
		struct inkan_dkim_sign *s;
		err = inkan_dkim_sign_new(c->a, sigs[i].keys, sigs[i].nkeys, &so, &s);
		if (err != 0) {
			c->sign_err = err;
			break;
		}
		c->sign[c->nsign++] = s;
		inkan_buf_printf(&d, "%sd=%s s=", i > 0 ? " " : "", sigs[i].domain);
		for (size_t k = 0; k < sigs[i].nkeys; k++)
			inkan_buf_printf(&d, "%s%s", k > 0 ? "," : "", sigs[i].selectors[k]);
	}
	c->sign_desc = inkan_arena_strdup(c->a, inkan_buf_cstr(&d));
	inkan_buf_free(&d);
	for (struct hdr *h = c->hdrs; h != NULL && c->sign_err == 0; h = h->next)
		for (size_t i = 0; i < c->nsign && c->sign_err == 0; i++)
			c->sign_err = inkan_dkim_sign_header(c->sign[i], h->raw, h->len);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL || c->a == NULL)
		return SMFIS_CONTINUE;
	uint64_t t0 = now_us();
	const struct conf *cf = c->rt->conf;
	/* The DNS phase starts here: key fetches at the first body chunk,
	 * SPF and DMARC at the end. */
	inkan_resolver_shared_budget(c->r, cf->max_dns_queries, cf->max_time_ms);
	if (c->sign_mode && !c->too_big)
		start_signing(c);
	c->busy_us += now_us() - t0;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	struct conn *c = conn_of(ctx);
	sfsistat ok = c != NULL && c->nr_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;

	if (c == NULL || c->a == NULL || c->too_big)
		return ok;
	uint64_t t0 = now_us();
	if (c->verify_mode && c->verr == 0) {
		int err = inkan_verify_body(c->v, (const char *)p, n);
		if (err == INKAN_ELIMIT || err == INKAN_ETOOBIG)
			c->too_big = true;
		else if (err != 0)
			c->verr = err;
	}
	for (size_t i = 0; i < c->nsign && c->sign_err == 0; i++)
		c->sign_err = inkan_dkim_sign_body(c->sign[i], (const char *)p, n);
	if (c->seal != NULL && inkan_arc_seal_body(c->seal, (const char *)p, n) != 0) {
		inkan_arc_seal_free(c->seal);
		c->seal = NULL;
		c->seal_note = "ARC seal abandoned (body)";
	}
	c->busy_us += now_us() - t0;
	return ok;
}

/* ---- end of message ---- */

/* value as a header value for libmilter: CRLF folding as LF, and the
 * space after the colon written by us when the MTA keeps ours. */
static char *
milter_value(struct conn *c, const char *value)
{
	size_t n = strlen(value);
	char *o = inkan_arena_alloc(c->a, n + 2);
	size_t k = 0;

	if (o == NULL)
		return NULL;
	if (c->leadspc && value[0] != ' ' && value[0] != '\t')
		o[k++] = ' ';
	for (size_t i = 0; i < n; i++)
		if (value[i] != '\r')
			o[k++] = value[i];
	o[k] = '\0';
	return o;
}

/* Insert the fields of text ("Name: value\r\n\t...\r\nName: ...\r\n") at
 * the top, in their order. */
static int
insert_fields(SMFICTX *ctx, struct conn *c, const char *text, unsigned *count)
{
	const char *starts[2 * INKAN_SIGNTABLE_MAX_SIGS + 2];
	size_t n = 0;

	for (const char *p = text; *p != '\0' && n < sizeof(starts) / sizeof(starts[0]);) {
		starts[n++] = p;
		/* the field ends at a line end not followed by WSP */
		for (;;) {
			const char *nl = strchr(p, '\n');
			if (nl == NULL) {
				p += strlen(p);
				break;
			}
			p = nl + 1;
			if (*p != ' ' && *p != '\t')
				break;
		}
	}
	for (size_t i = n; i-- > 0;) {
		const char *end = i + 1 < n ? starts[i + 1] : text + strlen(text);
		const char *colon = memchr(starts[i], ':', (size_t)(end - starts[i]));
		if (colon == NULL)
			continue;
		char *name = inkan_arena_strndup(c->a, starts[i], (size_t)(colon - starts[i]));
		size_t vl = (size_t)(end - colon - 1);
		while (vl > 0 && (colon[vl] == '\r' || colon[vl] == '\n'))
			vl--;
		char *v0 = inkan_arena_strndup(c->a, colon + 1, vl);
		char *value = v0 != NULL ? milter_value(c, v0) : NULL;
		if (name == NULL || value == NULL)
			return INKAN_ENOMEM;
		if (smfi_insheader(ctx, 0, name, value) != MI_SUCCESS)
			return INKAN_EIO;
		(*count)++;
	}
	return 0;
}

static void
remove_forged(SMFICTX *ctx, struct conn *c, const unsigned *pos, size_t n)
{
	/* Highest first: deleting a field never moves those above it. */
	for (size_t i = n; i-- > 0;)
		if (smfi_chgheader(ctx, "Authentication-Results", (int)pos[i], NULL) == MI_SUCCESS)
			atomic_fetch_add(&G.st.forged_removed, 1);
}

static void
count_eom(struct conn *c)
{
	static const unsigned bounds_ms[] = { 1, 5, 10, 50, 100, 500, 1000, 5000 };
	uint64_t us = c->busy_us;
	size_t b = 0;

	while (b < 8 && us > (uint64_t)bounds_ms[b] * 1000u)
		b++;
	atomic_fetch_add(&G.st.eom_bucket[b], 1);
	atomic_fetch_add(&G.st.eom_us_sum, us);
}

static void
count_action(enum inkan_policy_action a)
{
	switch (a) {
	case INKAN_POLICY_ACCEPT: atomic_fetch_add(&G.st.accept, 1); break;
	case INKAN_POLICY_QUARANTINE: atomic_fetch_add(&G.st.quarantine, 1); break;
	case INKAN_POLICY_REJECT: atomic_fetch_add(&G.st.reject, 1); break;
	case INKAN_POLICY_TEMPFAIL: atomic_fetch_add(&G.st.tempfail, 1); break;
	}
}

static const char *
safe(struct conn *c, const char *s)
{
	if (s == NULL)
		return "-";
	const char *t = inkan_policy_safe_text(c->a, s, 120);
	return t != NULL ? t : "?";
}

/* The one log line for an inbound message. */
static void
log_inbound(struct conn *c, const char *qid, const struct inkan_verify_result *res,
    const struct inkan_policy_decision *d, const char *note)
{
	struct inkan_buf b;

	inkan_buf_init(&b, 8192);
	inkan_buf_printf(&b, "%s: inbound ip=%s helo=%s mail_from=<%s> rcpt_domain=%s",
	    qid, c->ipstr, safe(c, c->helo), safe(c, c->mail_from), safe(c, c->rcpt_domain));
	if (res != NULL) {
		inkan_buf_printf(&b, " from=%s", safe(c, res->from.domain));
		if (res->spf_evaluated)
			inkan_buf_printf(&b, " spf=%s(%s:%s)", inkan_spf_verdict_name(res->spf.result),
			    res->spf.identity, safe(c, res->spf.domain));
		else
			inkan_buf_puts(&b, " spf=not-evaluated");
		if (res->dkim.n == 0)
			inkan_buf_puts(&b, " dkim=none");
		for (size_t i = 0; i < res->dkim.n; i++) {
			const struct inkan_dkim_sig_result *s = &res->dkim.sigs[i];
			inkan_buf_printf(&b, "%s%s(d=%s,s=%s)", i == 0 ? " dkim=" : ",",
			    inkan_dkim_result_name(s->result), safe(c, s->d), safe(c, s->s));
		}
		if (res->arc_evaluated)
			inkan_buf_printf(&b, " arc=%s", inkan_arc_cv_name(res->arc.cv));
		inkan_buf_printf(&b, " dmarc=%s", inkan_dmarc_result_name(res->dmarc.result));
		if (res->dmarc.policy != INKAN_DMARC_P_UNSPEC)
			inkan_buf_printf(&b, "(p=%s,domain=%s)",
			    inkan_dmarc_policy_name(res->dmarc.policy),
			    safe(c, res->dmarc.policy_domain));
		inkan_buf_printf(&b, " requested=%s", res->disposition == INKAN_DMARC_P_UNSPEC ?
		    "none" : inkan_dmarc_policy_name(res->disposition));
		inkan_buf_printf(&b, " forged_ar=%zu", res->nforged);
	}
	if (d != NULL) {
		inkan_buf_printf(&b, " action=%s", inkan_policy_action_name(d->action));
		if (d->why != NULL)
			inkan_buf_printf(&b, " why=\"%s\"", safe(c, d->why));
		if (d->reason_type != NULL)
			inkan_buf_printf(&b, " override=%s", d->reason_type);
	}
	if (note != NULL)
		inkan_buf_printf(&b, " note=\"%s\"", note);
	if (c->seal_note != NULL)
		inkan_buf_printf(&b, " arc_seal=\"%s\"", safe(c, c->seal_note));
	inkan_buf_printf(&b, " dns=%u ms=%.1f", inkan_resolver_shared_used(c->r),
	    (double)(c->busy_us + now_us() - c->eom_start) / 1000.0);
	mlog(LOG_INFO, "%s", b.err == 0 ? inkan_buf_cstr(&b) : "log line too long");
	inkan_buf_free(&b);
}

static void
record_verdict(struct conn *c, const char *qid, const struct inkan_verify_result *res,
    const struct inkan_policy_decision *d)
{
	struct inkan_verdict v;

	if (G.writer == NULL)
		return;
	if (inkan_policy_verdict(c->a, res, d, c->rt->conf->authserv_id, &v) != 0)
		return;
	v.ts = (int64_t)time(NULL);
	v.queue_id = qid;
	v.envelope_to = c->rcpt_domain;
	(void)inkan_verdict_writer_put(G.writer, &v);	/* a loss is counted there */
}

static void
count_results(const struct inkan_verify_result *res)
{
	if (res->spf_evaluated && (unsigned)res->spf.result < 8)
		atomic_fetch_add(&G.st.spf[res->spf.result], 1);
	if ((unsigned)res->dkim.overall < 8)
		atomic_fetch_add(&G.st.dkim[res->dkim.overall], 1);
	if ((unsigned)res->dmarc.result < 6)
		atomic_fetch_add(&G.st.dmarc[res->dmarc.result], 1);
	if (res->arc_evaluated && (unsigned)res->arc.cv < 3)
		atomic_fetch_add(&G.st.arc[res->arc.cv], 1);
}

/* A message the session could not finish: a limit or an error. */
static sfsistat
eom_unverified(SMFICTX *ctx, struct conn *c, const char *qid, int err)
{
	const struct conf *cf = c->rt->conf;
	bool limit = c->too_big;
	enum inkan_policy_action act = limit ? cf->on_limit : cf->on_error;
	const char *note = limit ? "header too large to authenticate" :
	    inkan_strerror(err);
	struct inkan_policy_decision d = { .action = act, .trigger = limit ? "limit" : "error",
		.why = note, .applied = INKAN_DMARC_P_NONE };

	atomic_fetch_add(limit ? &G.st.limit_hits : &G.st.verify_errors, 1);
	count_action(act);
	log_inbound(c, qid, NULL, &d, note);
	if (act == INKAN_POLICY_REJECT) {
		smfi_setreply(ctx, limit ? "552" : "550", limit ? "5.3.4" : "5.7.0",
		    limit ? "Message header too large to authenticate" :
		    "Message could not be authenticated");
		return SMFIS_REJECT;
	}
	if (act == INKAN_POLICY_TEMPFAIL) {
		smfi_setreply(ctx, "451", "4.3.0", "Message could not be authenticated now;"
		    " try again later");
		return SMFIS_TEMPFAIL;
	}
	remove_forged(ctx, c, c->forged, c->nforged);
	char *v = inkan_arena_printf(c->a, "%s; none (%s)", cf->authserv_id, note);
	char *mv = v != NULL ? milter_value(c, v) : NULL;
	if (mv != NULL)
		smfi_insheader(ctx, 0, "Authentication-Results", mv);
	if (act == INKAN_POLICY_QUARANTINE && cf->quarantine_method == QUARANTINE_HOLD)
		smfi_quarantine(ctx, (char *)note);
	return SMFIS_CONTINUE;
}

/* Add our ARC set (RFC 8617 §5.1) over the message as delivered, with
 * our results as its AAR and the chain status we found.  A chain we
 * could not check because of DNS (temperror) is not sealed: a cv=fail
 * seal would break a chain that may well be good. */
static void
seal(SMFICTX *ctx, struct conn *c, const struct inkan_verify_result *res)
{
	const char *fields = NULL, *why = NULL;
	unsigned added = 0;

	if (res->arc_evaluated && res->arc.temperror) {
		c->seal_note = "ARC chain temperror: not sealed";
	} else if (inkan_arc_seal_end(c->seal, res->arc_evaluated ? res->arc.cv : INKAN_ARC_NONE,
	    res->authres, &fields, &why) != 0 || fields == NULL || fields[0] == '\0') {
		c->seal_note = why != NULL ? inkan_arena_printf(c->a, "not sealed: %s", why) :
		    "not sealed";
	} else if (insert_fields(ctx, c, fields, &added) != 0) {
		c->seal_note = "ARC set could not be added";
	} else {
		c->seal_note = "ARC sealed";
		atomic_fetch_add(&G.st.arc_sealed, 1);
		return;
	}
	atomic_fetch_add(&G.st.arc_seal_skipped, 1);
}

static sfsistat
eom_inbound(SMFICTX *ctx, struct conn *c, const char *qid)
{
	const struct conf *cf = c->rt->conf;
	struct inkan_verify_result res;
	struct inkan_policy_decision d;

	atomic_fetch_add(&G.st.messages_in, 1);
	if (c->too_big || c->verr != 0)
		return eom_unverified(ctx, c, qid, c->verr);
	int err = inkan_verify_end(c->v, &res);
	if (err == INKAN_ELIMIT || err == INKAN_ETOOBIG)
		c->too_big = true;
	if (err == 0)
		err = inkan_policy_decide(&cf->policy, c->a, &res, &d);
	if (err != 0)
		return eom_unverified(ctx, c, qid, err);

	count_results(&res);
	count_action(d.action);
	if (d.temperror_accepted)
		atomic_fetch_add(&G.st.temperror_accepted, 1);
	record_verdict(c, qid, &res, &d);
	const char *note = d.temperror_accepted ? "DNS temperror accepted (OnTempError accept)" :
	    NULL;

	if (d.action == INKAN_POLICY_REJECT || d.action == INKAN_POLICY_TEMPFAIL) {
		log_inbound(c, qid, &res, &d, note);
		smfi_setreply(ctx, (char *)d.rcode, (char *)d.xcode, (char *)d.text);
		return d.action == INKAN_POLICY_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	}
	remove_forged(ctx, c, res.forged, res.nforged);
	char *v = milter_value(c, res.authres);
	if (v == NULL || smfi_insheader(ctx, 0, "Authentication-Results", v) != MI_SUCCESS)
		mlog(LOG_ERR, "%s: cannot add Authentication-Results", qid);
	if (c->seal != NULL)
		seal(ctx, c, &res);
	if (d.action == INKAN_POLICY_QUARANTINE) {
		char *why = (char *)safe(c, d.why);
		/* An MTA that cannot hold mail gets the header instead: the
		 * quarantine must show somewhere. */
		if (cf->quarantine_method != QUARANTINE_HOLD ||
		    smfi_quarantine(ctx, why) != MI_SUCCESS)
			smfi_addheader(ctx, cf->quarantine_header, milter_value(c, why));
	}
	log_inbound(c, qid, &res, &d, note);
	return SMFIS_CONTINUE;
}

static sfsistat
eom_outbound(SMFICTX *ctx, struct conn *c, const char *qid)
{
	atomic_fetch_add(&G.st.messages_out, 1);
	if (c->sign_err == 0 && c->nsign > 0 && !c->too_big) {
		unsigned added = 0;
		for (size_t i = 0; i < c->nsign && c->sign_err == 0; i++) {
			const char *fields, *why = NULL;
			int err = inkan_dkim_sign_end(c->sign[i], &fields, &why);
			if (err != 0) {
				c->sign_err = err;
				c->sign_skip = why;
				break;
			}
			err = insert_fields(ctx, c, fields, &added);
			if (err != 0)
				c->sign_err = err;
		}
		if (c->sign_err == 0) {
			atomic_fetch_add(&G.st.signed_msgs, 1);
			atomic_fetch_add(&G.st.signatures, added);
			mlog(LOG_INFO, "%s: outbound ip=%s auth=%s signed %s (%u signature%s)"
			    " ms=%.1f", qid, c->ipstr, c->auth ? "yes" : "no", c->sign_desc, added,
			    added == 1 ? "" : "s",
			    (double)(c->busy_us + now_us() - c->eom_start) / 1000.0);
			return SMFIS_CONTINUE;
		}
	}
	if (c->too_big && c->sign_skip == NULL)
		c->sign_skip = "header too large";
	if (c->sign_err != 0) {
		atomic_fetch_add(&G.st.sign_errors, 1);
		mlog(LOG_ERR, "%s: outbound ip=%s not signed: %s%s%s", qid, c->ipstr,
		    inkan_strerror(c->sign_err), c->sign_skip ? ": " : "",
		    c->sign_skip ? c->sign_skip : "");
	} else {
		atomic_fetch_add(&G.st.sign_skipped, 1);
		mlog(LOG_INFO, "%s: outbound ip=%s auth=%s signed=none (%s)", qid, c->ipstr,
		    c->auth ? "yes" : "no", c->sign_skip ? c->sign_skip : "no key");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	sfsistat rc = SMFIS_CONTINUE;

	if (c == NULL || c->a == NULL)
		return SMFIS_CONTINUE;
	c->eom_start = now_us();
	const char *q = smfi_getsymval(ctx, "i");
	const char *qid = q != NULL && q[0] != '\0' ? safe(c, q) : "NOQUEUE";
	if (c->sign_mode)
		rc = eom_outbound(ctx, c, qid);
	if (c->verify_mode && rc == SMFIS_CONTINUE)
		rc = eom_inbound(ctx, c, qid);
	c->busy_us += now_us() - c->eom_start;
	count_eom(c);
	msg_reset(c);
	return rc;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL)
		msg_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	msg_reset(c);
	inkan_resolver_free(c->r);
	free(c->helo);
	free(c);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc inkan_filter = {
	.xxfi_name = "inkan-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};
