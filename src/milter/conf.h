/* conf.h - inkan-milter's configuration file, inkan-milter.conf(5).
 *
 * One setting per line, "Name value", names case-insensitive, '#' starts
 * a comment.  The file is trusted (root writes it); it is still read
 * with bounded lines and every value checked, and an error names the
 * file, the line and the problem.  doc/inkan-milter.conf.5 documents
 * every setting.
 */
#ifndef INKAN_MILTER_CONF_H
#define INKAN_MILTER_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "inkan/dmarc.h"
#include "inkan/ip.h"
#include "inkan/policy.h"

enum quarantine_method {
	QUARANTINE_HOLD = 0,	/* smfi_quarantine: Postfix HOLD queue */
	QUARANTINE_HEADER,	/* add a header field, deliver */
};

struct sign_row {
	char *pattern, *domain, *selector, *keyfile;
};

struct conf {
	char *path;			/* the file read */

	/* daemon */
	char *socket;			/* "inet:8891@127.0.0.1", "unix:/run/..." */
	char *user;			/* drop privileges to this user; NULL = stay */
	char *pidfile;
	bool log_stderr;		/* LogTo stderr (else syslog) */
	int syslog_facility;
	int socket_mode;		/* unix socket permissions, -1 = umask */

	/* DNS */
	char **resolvers;		/* NULL-terminated; NULL = full recursion */
	char *trust_anchor_file;
	bool no_dnssec;
	unsigned dns_timeout_ms;
	char **zone_files;		/* answer from these only (tests, offline) */

	/* verification */
	char *authserv_id;
	enum inkan_dmarc_mode dmarc_mode;
	bool apply_pct;
	char *psl_file;
	enum inkan_dmarc_policy bad_from;
	bool no_arc;
	unsigned max_signatures;

	/* policy (the lists point into the arrays below) */
	struct inkan_policy policy;
	struct inkan_cidr *internal_nets;
	size_t ninternal;
	char **exempt_domains;
	char **trusted_sealers;
	enum quarantine_method quarantine_method;
	char *quarantine_header;
	enum inkan_policy_action on_limit;	/* header too large */
	enum inkan_policy_action on_error;	/* internal error */
	bool verify_internal;		/* also verify mail we sign (default no) */

	/* signing */
	struct sign_row *sign_rows;
	size_t nsign_rows;
	char *signing_table;		/* file of rows */
	bool allow_unsafe_keys;
	bool relaxed_header, relaxed_body;
	unsigned sign_expire;		/* seconds; 0 = no x= */

	/* ARC sealing of inbound mail we forward (RFC 8617 §5.1) */
	char *arc_domain, *arc_selector, *arc_keyfile;
	char **arc_seal_for;		/* recipient domains whose mail we seal */

	/* store, stats, limits */
	char *verdict_store;
	char *stats_file;
	unsigned stats_interval;	/* seconds */
	size_t max_header_bytes;
	unsigned max_dns_queries;
	unsigned max_time_ms;
};

/* Read path into a new conf.  Returns it, or NULL with a message in
 * err[0..errlen) ("FILE:LINE: problem"). */
struct conf *conf_load(const char *path, char *err, size_t errlen);
void conf_free(struct conf *c);

#endif
