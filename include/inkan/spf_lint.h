/* spf_lint.h - static analysis of a domain's SPF record tree.
 *
 * Where check_host() answers "does this client pass?", lint answers "what
 * is wrong with this policy?": syntax errors with their position, more
 * than one record, the DNS-lookup count across the whole include/redirect
 * tree against RFC 7208's limit of 10, void lookups, include loops,
 * includes of names without SPF, ptr, +all/?all/no all, very wide ip4/ip6
 * ranges, records too long for one UDP answer, and the deprecated type-99
 * SPF RR.  It walks every branch (not only the one a given client takes),
 * so counts are the worst case a receiver can meet.
 */
#ifndef INKAN_SPF_LINT_H
#define INKAN_SPF_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "inkan/spf.h"

struct inkan_arena;
struct inkan_resolver;

enum inkan_lint_severity {
	INKAN_LINT_INFO = 0,
	INKAN_LINT_WARN,
	INKAN_LINT_ERROR,
};

/* "info", "warn", "error". */
const char *inkan_lint_severity_name(enum inkan_lint_severity s);

struct inkan_spf_finding {
	enum inkan_lint_severity severity;
	const char *id;		/* stable identifier, e.g. "too-many-lookups" */
	const char *domain;	/* the record the finding is about */
	const char *message;	/* one line for humans */
	const char *advice;	/* how to fix it, or NULL */
	const char *record;	/* the record text, or NULL */
	long offset;		/* position in record, or -1 */
};

enum inkan_spf_node_status {
	INKAN_SPF_NODE_OK = 0,
	INKAN_SPF_NODE_NONE,		/* no SPF record */
	INKAN_SPF_NODE_NXDOMAIN,	/* the name does not exist */
	INKAN_SPF_NODE_MULTIPLE,	/* more than one SPF record */
	INKAN_SPF_NODE_SYNTAX,		/* the record does not parse */
	INKAN_SPF_NODE_DNS_ERROR,	/* SERVFAIL or timeout */
	INKAN_SPF_NODE_LOOP,		/* already on the path from the top */
	INKAN_SPF_NODE_MACRO,		/* target has macros: not followed */
	INKAN_SPF_NODE_DEPTH,		/* nesting too deep: not followed */
};

const char *inkan_spf_node_status_name(enum inkan_spf_node_status s);

struct inkan_spf_node {
	const char *domain;
	const char *via;	/* "top", "include" or "redirect" */
	char qualifier;		/* of the include term ('+' default) */
	enum inkan_spf_node_status status;
	const char *record;	/* the SPF record text, or NULL */
	unsigned lookups;	/* DNS-causing terms in this record (evaluated ones) */
	unsigned total_lookups;	/* this record plus everything below it */
	unsigned void_lookups;	/* void lookups of a/mx/exists terms here and below */
	struct inkan_spf_node **children;
	size_t nchildren;
};

struct inkan_spf_lint {
	const char *domain;
	struct inkan_spf_node *root;
	struct inkan_spf_finding *findings;
	size_t nfindings;
	unsigned errors, warnings;
};

/* Analyse domain's SPF tree through r.  Everything lives in a.  Returns 0
 * (findings describe problems, including DNS failures), or INKAN_EAGAIN /
 * INKAN_ENOMEM / INKAN_EINVAL (domain is not a valid name). */
int inkan_spf_lint(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    struct inkan_spf_lint *out);

#endif
