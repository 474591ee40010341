/* dmarc_int.h - shared between the files of lib/dmarc. */
#ifndef INKAN_DMARC_INT_H
#define INKAN_DMARC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/limits.h"

struct inkan_arena;
struct inkan_resolver;

/* ---- names ---- */

/* Normalise a domain from the caller or the wire: U-labels to A-labels,
 * lower case, no trailing dot, checked as a host name (underscores
 * allowed).  Returns 0, INKAN_EMALFORMED with *why, INKAN_ENOMEM. */
int inkan__dmarc_norm_domain(struct inkan_arena *a, const char *s, size_t len, const char **out,
    const char **why);
/* The last n labels of d (a pointer into d); d itself when it has n or
 * fewer. */
const char *inkan__dmarc_suffix(const char *d, size_t n);

/* ---- the PSL ---- */

/* Organizational Domain of an A-label, lower-case domain (RFC 7489 §3.2),
 * as a pointer into domain or a copy in a. */
int inkan__dmarc_psl_org(const struct inkan_dmarc_psl *p, struct inkan_arena *a,
    const char *domain, const char **out);

/* ---- DNS, with the answers of one call kept ---- */

enum lvkind {
	LV_NONE = 0,	/* no DMARC record (NXDOMAIN, NODATA, none, name too long) */
	LV_RECORD,	/* exactly one, usable */
	LV_MALFORMED,	/* exactly one, malformed */
	LV_MULTI,	/* more than one: all discarded */
	LV_TEMP,	/* SERVFAIL / TIMEOUT */
};

/* What _dmarc.<domain> holds. */
struct dlevel {
	const char *domain;
	const char *qname;
	enum lvkind kind;
	enum inkan_dns_status dns;
	unsigned ndmarc;
	const struct inkan_dmarc_record *rec;	/* LV_RECORD */
	const char *why;			/* for everything but LV_RECORD/NONE */
	bool queried;				/* a query was sent (not memo, not too long) */
};

/* A-record existence of a name (for np=). */
struct dexist {
	const char *domain;
	enum inkan_dns_status dns;
};

struct dctx {
	struct inkan_resolver *r;
	struct inkan_arena *a;
	const struct dlevel *lv[INKAN_DMARC_MAX_QUERIES];
	size_t nlv;
	struct dexist ex[4];
	size_t nex;
	unsigned queries;
	/* the steps of the current discovery, for struct inkan_dmarc_step */
	bool record_steps;
	struct inkan_dmarc_step *steps;
	size_t nsteps, capsteps;
};

/* The level for domain (A-label, lower case), from the memo or DNS.
 * Returns 0, INKAN_EAGAIN, INKAN_ENOMEM, INKAN_ELIMIT (query budget
 * spent: the caller treats it as a temperror). */
int inkan__dmarc_level(struct dctx *c, const char *domain, const struct dlevel **out);
/* Does domain exist (RFC 9989 §3.2.13)?  *status: OK/NODATA exists,
 * NXDOMAIN does not, SERVFAIL/TIMEOUT unknown. */
int inkan__dmarc_exists(struct dctx *c, const char *domain, enum inkan_dns_status *status);

/* A tree walk (RFC 9989 §4.10) from start. */
struct dwalk {
	const char *start;
	const struct dlevel *lv[INKAN_DMARC_MAX_WALK_QUERIES];
	size_t n;
	bool complete;		/* ran to a psd stop or the last label */
	bool temperror;		/* stopped at a DNS failure (why says where) */
	const char *why;
};

/* Walk from start; when !full, stop after the first level if it holds a
 * record (the policy discovery's first query).  Returns 0 or an error. */
int inkan__dmarc_walk(struct dctx *c, const char *start, bool full, struct dwalk *w);
/* Organizational Domain by §4.10.2 from a complete walk; NULL when the
 * walk stopped at a DNS failure.  *psd gets the psd=y name, or NULL. */
const char *inkan__dmarc_walk_org(struct dctx *c, const struct dwalk *w, const char **psd);


/* The outcome of policy discovery for one domain. */
struct disc {
	enum inkan_dmarc_found status;
	const char *why;
	const struct dlevel *lv;	/* the record's level (RECORD or MALFORMED) */
	enum inkan_dmarc_source source;
	const char *org;		/* Organizational Domain, when known */
	const char *psd;		/* tree walk: psd=y name seen */
	bool org_temp;			/* org unknown because of DNS */
	const char *org_why;
};

/* RFC 9989 §4.10.1 for domain; with need_org the walk always runs on, so
 * that d->org is set (or org_temp). */
int inkan__dmarc_discover_tree(struct dctx *c, const char *domain, bool need_org,
    struct disc *d);
/* RFC 7489 §6.6.3 with the PSL; d->org is always set. */
int inkan__dmarc_discover_psl(struct dctx *c, const struct inkan_dmarc_psl *psl,
    const char *domain, struct disc *d);
/* o->psl, or the shared list for o->psl_file; NULL with *why. */
const struct inkan_dmarc_psl *inkan__dmarc_opts_psl(const struct inkan_dmarc_opts *o,
    const char **why);

#endif
