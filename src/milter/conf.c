/* conf.c - reading inkan-milter.conf (conf.h).
 *
 * A table of settings, one row each: name, kind, where it goes; the
 * generic reader (src/common/daemon_conf.c, shared with inkan-stsd)
 * reads a line, finds the row, converts the value by its kind and
 * complains with FILE:LINE about anything else.  Here: the table, the
 * settings of the milter's own (actions, SigningKey, ...), the signing
 * table and the checks after the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "daemon_conf.h"
#include "inkan/limits.h"

/* A row: the milter's numbers all start at 0, only their maximum varies. */
#define ROW(name, kind, field, max) \
	{ name, DCONF_##kind, offsetof(struct conf, field), 0, max }
#define SPECIAL(name) { name, DCONF_SPECIAL, 0, 0, 0 }

static void hook(struct dconf_rd *, const struct dconf_setting *, char *);

static const struct dconf_setting settings[] = {
	ROW("Socket", STR, socket, 0),
	ROW("UserID", STR, user, 0),
	ROW("PidFile", STR, pidfile, 0),
	ROW("LogTo", LOGTO, log_stderr, 0),
	ROW("SyslogFacility", FACILITY, syslog_facility, 0),
	ROW("UMask", UMASK, socket_mode, 0),
	ROW("Resolver", LIST, resolvers, 0),
	ROW("TrustAnchorFile", STR, trust_anchor_file, 0),
	ROW("DNSSEC", NOTBOOL, no_dnssec, 0),
	ROW("DNSTimeout", UINT, dns_timeout_ms, 600000),
	ROW("ZoneFile", LIST, zone_files, 0),
	ROW("AuthservID", STR, authserv_id, 0),
	SPECIAL("DMARCMode"),
	ROW("ApplyPct", BOOL, apply_pct, 0),
	ROW("PublicSuffixList", STR, psl_file, 0),
	SPECIAL("BadFrom"),
	ROW("ARC", NOTBOOL, no_arc, 0),
	ROW("MaxSignatures", UINT, max_signatures, 64),
	ROW("OnDMARCReject", FIELD, policy.dmarc_reject, 0),
	ROW("OnDMARCQuarantine", FIELD, policy.dmarc_quarantine, 0),
	ROW("OnSPFFail", FIELD, policy.spf_fail, 0),
	ROW("OnTempError", FIELD, policy.temperror, 0),
	ROW("OnLimit", FIELD, on_limit, 0),
	ROW("OnError", FIELD, on_error, 0),
	SPECIAL("QuarantineMethod"),
	ROW("QuarantineHeader", STR, quarantine_header, 0),
	SPECIAL("InternalNetworks"),
	ROW("AuthenticatedInternal", BOOL, policy.auth_is_internal, 0),
	ROW("VerifyInternal", BOOL, verify_internal, 0),
	ROW("ExemptDomains", LIST, exempt_domains, 0),
	ROW("TrustedARCSealers", LIST, trusted_sealers, 0),
	SPECIAL("SigningKey"),
	ROW("SigningTable", STR, signing_table, 0),
	ROW("RequireSafeKeys", NOTBOOL, allow_unsafe_keys, 0),
	SPECIAL("Canonicalization"),
	ROW("SignatureExpire", UINT, sign_expire, 315360000),
	SPECIAL("ARCSealKey"),
	ROW("ARCSealRecipients", LIST, arc_seal_for, 0),
	ROW("VerdictStore", STR, verdict_store, 0),
	ROW("StatsFile", STR, stats_file, 0),
	ROW("StatsInterval", UINT, stats_interval, 86400),
	ROW("MaxHeaderBytes", SIZE, max_header_bytes, 64u << 20),
	ROW("MaxDNSQueries", UINT, max_dns_queries, 100000),
	ROW("MaxMessageTime", UINT, max_time_ms, 3600000),
};

static const struct dconf_table table = {
	settings, sizeof(settings) / sizeof(settings[0]), INKAN_MILTER_MAX_LIST, false, hook,
};

static void
add_sign_row(struct dconf_rd *r, char *v, const char *where)
{
	char *save = NULL, *w[5];
	int n = 0;

	for (char *t = strtok_r(v, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (n == 5)
			break;
		w[n++] = t;
	}
	if (n != 4) {
		dconf_fail(r, "%s wants PATTERN DOMAIN SELECTOR KEYFILE", where);
		return;
	}
	struct conf *c = r->c;
	struct sign_row *rows = realloc(c->sign_rows, (c->nsign_rows + 1) * sizeof(*rows));
	if (rows == NULL) {
		dconf_fail(r, "out of memory");
		return;
	}
	c->sign_rows = rows;
	struct sign_row *row = &rows[c->nsign_rows];
	row->pattern = strdup(w[0]);
	row->domain = strdup(w[1]);
	row->selector = strdup(w[2]);
	row->keyfile = strdup(w[3]);
	c->nsign_rows++;
	if (!row->pattern || !row->domain || !row->selector || !row->keyfile)
		dconf_fail(r, "out of memory");
}

/* The rows of kind DCONF_FIELD (actions) and DCONF_SPECIAL. */
static void
hook(struct dconf_rd *r, const struct dconf_setting *s, char *v)
{
	struct conf *c = r->c;
	const char *name = s->name;

	if (s->kind == DCONF_FIELD) {
		int a = inkan_policy_action_parse(v);
		if (a < 0)
			dconf_fail(r, "%s is accept, quarantine, reject or tempfail", s->name);
		else
			*(enum inkan_policy_action *)((char *)c + s->off) =
			    (enum inkan_policy_action)a;
		return;
	}
	if (strcasecmp(name, "DMARCMode") == 0) {
		if (strcasecmp(v, "rfc9989") == 0)
			c->dmarc_mode = INKAN_DMARC_TREEWALK;
		else if (strcasecmp(v, "rfc7489") == 0)
			c->dmarc_mode = INKAN_DMARC_PSL;
		else
			dconf_fail(r, "DMARCMode is rfc9989 or rfc7489");
	} else if (strcasecmp(name, "BadFrom") == 0) {
		if (strcasecmp(v, "none") == 0)
			c->bad_from = INKAN_DMARC_P_NONE;
		else if (strcasecmp(v, "quarantine") == 0)
			c->bad_from = INKAN_DMARC_P_QUARANTINE;
		else if (strcasecmp(v, "reject") == 0)
			c->bad_from = INKAN_DMARC_P_REJECT;
		else
			dconf_fail(r, "BadFrom is none, quarantine or reject");
	} else if (strcasecmp(name, "QuarantineMethod") == 0) {
		if (strcasecmp(v, "hold") == 0)
			c->quarantine_method = QUARANTINE_HOLD;
		else if (strcasecmp(v, "header") == 0)
			c->quarantine_method = QUARANTINE_HEADER;
		else
			dconf_fail(r, "QuarantineMethod is hold or header");
	} else if (strcasecmp(name, "InternalNetworks") == 0) {
		char *save = NULL;
		for (char *w = strtok_r(v, " \t,", &save); w != NULL;
		    w = strtok_r(NULL, " \t,", &save)) {
			struct inkan_cidr cidr;
			if (inkan_cidr_parse(w, strlen(w), 0, &cidr) != 0) {
				dconf_fail(r, "'%s' is not an address or ADDR/LEN", w);
				return;
			}
			if (c->ninternal >= INKAN_MILTER_MAX_LIST) {
				dconf_fail(r, "more than %d networks", INKAN_MILTER_MAX_LIST);
				return;
			}
			struct inkan_cidr *nets = realloc(c->internal_nets,
			    (c->ninternal + 1) * sizeof(*nets));
			if (nets == NULL) {
				dconf_fail(r, "out of memory");
				return;
			}
			nets[c->ninternal++] = cidr;
			c->internal_nets = nets;
		}
	} else if (strcasecmp(name, "SigningKey") == 0) {
		add_sign_row(r, v, "SigningKey");
	} else if (strcasecmp(name, "ARCSealKey") == 0) {
		char *save = NULL, *w[4];
		int n = 0;
		for (char *t = strtok_r(v, " \t", &save); t != NULL && n < 4;
		    t = strtok_r(NULL, " \t", &save))
			w[n++] = t;
		if (n != 3) {
			dconf_fail(r, "ARCSealKey wants DOMAIN SELECTOR KEYFILE");
			return;
		}
		dconf_set_str(r, &c->arc_domain, w[0]);
		dconf_set_str(r, &c->arc_selector, w[1]);
		dconf_set_str(r, &c->arc_keyfile, w[2]);
	} else if (strcasecmp(name, "Canonicalization") == 0) {
		char *slash = strchr(v, '/');
		const char *h = v, *bd = slash != NULL ? slash + 1 : "simple";
		if (slash != NULL)
			*slash = '\0';
		bool ok = true;
		if (strcasecmp(h, "relaxed") == 0)
			c->relaxed_header = true;
		else if (strcasecmp(h, "simple") == 0)
			c->relaxed_header = false;
		else
			ok = false;
		if (strcasecmp(bd, "relaxed") == 0)
			c->relaxed_body = true;
		else if (strcasecmp(bd, "simple") == 0)
			c->relaxed_body = false;
		else
			ok = false;
		if (!ok)
			dconf_fail(r, "Canonicalization is HEADER/BODY, each simple or relaxed");
	}
}

/* Read one file of "Name value" lines (the configuration) or of sign
 * rows (the signing table), calling fn for each. */
static void
read_lines(struct dconf_rd *r, const char *path, void (*fn)(struct dconf_rd *r, char *line))
{
	FILE *f = fopen(path, "r");
	char buf[INKAN_MILTER_MAX_CONF_LINE + 2];
	const char *saved_file = r->file;
	unsigned saved_line = r->line;

	r->file = path;
	r->line = 0;
	if (f == NULL) {
		dconf_fail(r, "cannot open: %s", strerror(errno));
	} else {
		dconf_read_lines(r, f, buf, sizeof(buf), fn);
		if (ferror(f))
			dconf_fail(r, "read error");
		fclose(f);
	}
	if (!r->failed) {
		r->file = saved_file;
		r->line = saved_line;
	}
}

static void
table_line(struct dconf_rd *r, char *p)
{
	add_sign_row(r, p, "a signing table row");
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct dconf_rd r = { .t = &table, .c = c, .file = path, .err = err, .errlen = errlen };

	if (!dconf_start(&r))
		return NULL;
	c->bad_from = INKAN_DMARC_P_REJECT;
	c->quarantine_method = QUARANTINE_HOLD;
	c->on_limit = INKAN_POLICY_REJECT;
	c->on_error = INKAN_POLICY_TEMPFAIL;
	c->policy.auth_is_internal = true;
	c->relaxed_header = c->relaxed_body = true;
	c->stats_interval = 10;
	c->max_header_bytes = INKAN_MILTER_MAX_HEADER_BYTES;
	c->max_dns_queries = INKAN_MILTER_MAX_DNS_QUERIES;
	c->max_time_ms = INKAN_MILTER_MAX_TIME_MS;
	if ((c->path = strdup(path)) == NULL) {
		conf_free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	read_lines(&r, path, dconf_line);
	if (!r.failed && c->signing_table != NULL)
		read_lines(&r, c->signing_table, table_line);

	r.line = 0;
	if (!r.failed && c->socket == NULL)
		dconf_fail(&r, "no Socket setting (e.g. Socket inet:8891@127.0.0.1)");
	if (!r.failed && c->quarantine_header == NULL)
		dconf_set_str(&r, &c->quarantine_header, "X-Inkan-Quarantine");
	if (!r.failed && c->authserv_id == NULL) {
		char host[256];
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
			dconf_fail(&r, "no AuthservID and no host name");
		else
			dconf_set_str(&r, &c->authserv_id, host);
	}
	if (!r.failed && c->arc_seal_for != NULL && c->arc_keyfile == NULL)
		dconf_fail(&r, "ARCSealRecipients without ARCSealKey");
	if (!r.failed && c->policy.temperror != INKAN_POLICY_ACCEPT &&
	    c->policy.temperror != INKAN_POLICY_TEMPFAIL)
		dconf_fail(&r, "OnTempError is accept or tempfail");
	if (r.failed) {
		conf_free(c);
		return NULL;
	}
	c->policy.internal_nets = c->internal_nets;
	c->policy.ninternal = c->ninternal;
	c->policy.exempt_domains = (const char *const *)c->exempt_domains;
	c->policy.trusted_sealers = (const char *const *)c->trusted_sealers;
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	dconf_free_fields(&table, c);
	free(c->path);
	free(c->internal_nets);
	for (size_t i = 0; i < c->nsign_rows; i++) {
		free(c->sign_rows[i].pattern);
		free(c->sign_rows[i].domain);
		free(c->sign_rows[i].selector);
		free(c->sign_rows[i].keyfile);
	}
	free(c->sign_rows);
	free(c->arc_domain);
	free(c->arc_selector);
	free(c->arc_keyfile);
	free(c);
}
