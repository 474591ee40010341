/* conf.c - reading inkan-milter.conf (conf.h).
 *
 * A table of settings, one row each: name, kind, where it goes.  The
 * generic loop reads a line, finds the row, converts the value by its
 * kind and complains with FILE:LINE about anything else.  Settings that
 * may repeat (Resolver, SigningKey, ...) append; the rest keep the last
 * value, as OpenDKIM's files do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "inkan/limits.h"

enum kind {
	K_STR,		/* char * */
	K_BOOL,		/* bool: yes/no/true/false/1/0 */
	K_UINT,		/* unsigned, with the row's maximum */
	K_SIZE,		/* size_t */
	K_LIST,		/* char **, words appended */
	K_ACTION,	/* enum inkan_policy_action */
	K_SPECIAL,	/* handled by name */
};

struct setting {
	const char *name;
	enum kind kind;
	size_t off;
	unsigned long max;
};

#define O(f) offsetof(struct conf, f)

static const struct setting settings[] = {
	{ "Socket", K_STR, O(socket), 0 },
	{ "UserID", K_STR, O(user), 0 },
	{ "PidFile", K_STR, O(pidfile), 0 },
	{ "LogTo", K_SPECIAL, 0, 0 },
	{ "SyslogFacility", K_SPECIAL, 0, 0 },
	{ "UMask", K_SPECIAL, 0, 0 },
	{ "Resolver", K_LIST, O(resolvers), 0 },
	{ "TrustAnchorFile", K_STR, O(trust_anchor_file), 0 },
	{ "DNSSEC", K_SPECIAL, 0, 0 },
	{ "DNSTimeout", K_UINT, O(dns_timeout_ms), 600000 },
	{ "ZoneFile", K_LIST, O(zone_files), 0 },
	{ "AuthservID", K_STR, O(authserv_id), 0 },
	{ "DMARCMode", K_SPECIAL, 0, 0 },
	{ "ApplyPct", K_BOOL, O(apply_pct), 0 },
	{ "PublicSuffixList", K_STR, O(psl_file), 0 },
	{ "BadFrom", K_SPECIAL, 0, 0 },
	{ "ARC", K_SPECIAL, 0, 0 },
	{ "MaxSignatures", K_UINT, O(max_signatures), 64 },
	{ "OnDMARCReject", K_ACTION, O(policy.dmarc_reject), 0 },
	{ "OnDMARCQuarantine", K_ACTION, O(policy.dmarc_quarantine), 0 },
	{ "OnSPFFail", K_ACTION, O(policy.spf_fail), 0 },
	{ "OnTempError", K_ACTION, O(policy.temperror), 0 },
	{ "OnLimit", K_ACTION, O(on_limit), 0 },
	{ "OnError", K_ACTION, O(on_error), 0 },
	{ "QuarantineMethod", K_SPECIAL, 0, 0 },
	{ "QuarantineHeader", K_STR, O(quarantine_header), 0 },
	{ "InternalNetworks", K_SPECIAL, 0, 0 },
	{ "AuthenticatedInternal", K_BOOL, O(policy.auth_is_internal), 0 },
	{ "VerifyInternal", K_BOOL, O(verify_internal), 0 },
	{ "ExemptDomains", K_LIST, O(exempt_domains), 0 },
	{ "TrustedARCSealers", K_LIST, O(trusted_sealers), 0 },
	{ "SigningKey", K_SPECIAL, 0, 0 },
	{ "SigningTable", K_STR, O(signing_table), 0 },
	{ "RequireSafeKeys", K_SPECIAL, 0, 0 },
	{ "Canonicalization", K_SPECIAL, 0, 0 },
	{ "SignatureExpire", K_UINT, O(sign_expire), 315360000 },
	{ "ARCSealKey", K_SPECIAL, 0, 0 },
	{ "ARCSealRecipients", K_LIST, O(arc_seal_for), 0 },
	{ "VerdictStore", K_STR, O(verdict_store), 0 },
	{ "StatsFile", K_STR, O(stats_file), 0 },
	{ "StatsInterval", K_UINT, O(stats_interval), 86400 },
	{ "MaxHeaderBytes", K_SIZE, O(max_header_bytes), 64u << 20 },
	{ "MaxDNSQueries", K_UINT, O(max_dns_queries), 100000 },
	{ "MaxMessageTime", K_UINT, O(max_time_ms), 3600000 },
};

struct rd {
	struct conf *c;
	const char *file;
	unsigned line;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct rd *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->line > 0)
		snprintf(r->err, r->errlen, "%s:%u: %s", r->file, r->line, msg);
	else
		snprintf(r->err, r->errlen, "%s: %s", r->file, msg);
	r->failed = true;
}

static bool
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	for (int i = 0; yes[i] != NULL; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, true;
	for (int i = 0; no[i] != NULL; i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, true;
	return false;
}

static bool
parse_ulong(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (v[0] < '0' || v[0] > '9')
		return false;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

/* Split v into words (whitespace or commas) and append them to *list. */
static void
list_append(struct rd *r, char ***list, char *v)
{
	size_t n = 0;
	char *save = NULL;

	while (*list != NULL && (*list)[n] != NULL)
		n++;
	for (char *w = strtok_r(v, " \t,", &save); w != NULL; w = strtok_r(NULL, " \t,", &save)) {
		if (n >= INKAN_MILTER_MAX_LIST) {
			fail(r, "more than %d values", INKAN_MILTER_MAX_LIST);
			return;
		}
		char **nl = realloc(*list, (n + 2) * sizeof(*nl));
		if (nl == NULL || (nl[n] = strdup(w)) == NULL) {
			if (nl != NULL)
				*list = nl;
			fail(r, "out of memory");
			return;
		}
		nl[++n] = NULL;
		*list = nl;
	}
}

static void
set_str(struct rd *r, char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL) {
		fail(r, "out of memory");
		return;
	}
	free(*dst);
	*dst = s;
}

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static void
add_sign_row(struct rd *r, char *v, const char *where)
{
	char *save = NULL, *w[5];
	int n = 0;

	for (char *t = strtok_r(v, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (n == 5)
			break;
		w[n++] = t;
	}
	if (n != 4) {
		fail(r, "%s wants PATTERN DOMAIN SELECTOR KEYFILE", where);
		return;
	}
	struct conf *c = r->c;
	struct sign_row *rows = realloc(c->sign_rows, (c->nsign_rows + 1) * sizeof(*rows));
	if (rows == NULL) {
		fail(r, "out of memory");
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
		fail(r, "out of memory");
}

static void
special(struct rd *r, const char *name, char *v)
{
	struct conf *c = r->c;
	bool b;

	if (strcasecmp(name, "LogTo") == 0) {
		if (strcasecmp(v, "stderr") == 0)
			c->log_stderr = true;
		else if (strcasecmp(v, "syslog") == 0)
			c->log_stderr = false;
		else
			fail(r, "LogTo is syslog or stderr");
	} else if (strcasecmp(name, "SyslogFacility") == 0) {
		for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcasecmp(v, facilities[i].name) == 0) {
				c->syslog_facility = facilities[i].value;
				return;
			}
		fail(r, "unknown syslog facility '%s'", v);
	} else if (strcasecmp(name, "UMask") == 0) {
		char *end;
		errno = 0;
		long m = strtol(v, &end, 8);
		if (errno != 0 || *end != '\0' || m < 0 || m > 0777)
			fail(r, "UMask wants an octal number such as 007");
		else
			c->socket_mode = (int)m;
	} else if (strcasecmp(name, "DNSSEC") == 0) {
		if (!parse_bool(v, &b))
			fail(r, "DNSSEC wants yes or no");
		else
			c->no_dnssec = !b;
	} else if (strcasecmp(name, "DMARCMode") == 0) {
		if (strcasecmp(v, "rfc9989") == 0)
			c->dmarc_mode = INKAN_DMARC_TREEWALK;
		else if (strcasecmp(v, "rfc7489") == 0)
			c->dmarc_mode = INKAN_DMARC_PSL;
		else
			fail(r, "DMARCMode is rfc9989 or rfc7489");
	} else if (strcasecmp(name, "BadFrom") == 0) {
		if (strcasecmp(v, "none") == 0)
			c->bad_from = INKAN_DMARC_P_NONE;
		else if (strcasecmp(v, "quarantine") == 0)
			c->bad_from = INKAN_DMARC_P_QUARANTINE;
		else if (strcasecmp(v, "reject") == 0)
			c->bad_from = INKAN_DMARC_P_REJECT;
		else
			fail(r, "BadFrom is none, quarantine or reject");
	} else if (strcasecmp(name, "ARC") == 0) {
		if (!parse_bool(v, &b))
			fail(r, "ARC wants yes or no");
		else
			c->no_arc = !b;
	} else if (strcasecmp(name, "QuarantineMethod") == 0) {
		if (strcasecmp(v, "hold") == 0)
			c->quarantine_method = QUARANTINE_HOLD;
		else if (strcasecmp(v, "header") == 0)
			c->quarantine_method = QUARANTINE_HEADER;
		else
			fail(r, "QuarantineMethod is hold or header");
	} else if (strcasecmp(name, "InternalNetworks") == 0) {
		char *save = NULL;
		for (char *w = strtok_r(v, " \t,", &save); w != NULL;
		    w = strtok_r(NULL, " \t,", &save)) {
			struct inkan_cidr cidr;
			if (inkan_cidr_parse(w, strlen(w), 0, &cidr) != 0) {
				fail(r, "'%s' is not an address or ADDR/LEN", w);
				return;
			}
			if (c->ninternal >= INKAN_MILTER_MAX_LIST) {
				fail(r, "more than %d networks", INKAN_MILTER_MAX_LIST);
				return;
			}
			struct inkan_cidr *nets = realloc(c->internal_nets,
			    (c->ninternal + 1) * sizeof(*nets));
			if (nets == NULL) {
				fail(r, "out of memory");
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
			fail(r, "ARCSealKey wants DOMAIN SELECTOR KEYFILE");
			return;
		}
		set_str(r, &c->arc_domain, w[0]);
		set_str(r, &c->arc_selector, w[1]);
		set_str(r, &c->arc_keyfile, w[2]);
	} else if (strcasecmp(name, "RequireSafeKeys") == 0) {
		if (!parse_bool(v, &b))
			fail(r, "RequireSafeKeys wants yes or no");
		else
			c->allow_unsafe_keys = !b;
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
			fail(r, "Canonicalization is HEADER/BODY, each simple or relaxed");
	}
}

static void
apply(struct rd *r, const char *name, char *v)
{
	const struct setting *s = NULL;
	unsigned long n;
	bool b;

	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcasecmp(name, settings[i].name) == 0)
			s = &settings[i];
	if (s == NULL) {
		fail(r, "unknown setting '%s'", name);
		return;
	}
	if (v[0] == '\0') {
		fail(r, "%s needs a value", s->name);
		return;
	}
	char *field = (char *)r->c + s->off;
	switch (s->kind) {
	case K_STR:
		set_str(r, (char **)field, v);
		break;
	case K_BOOL:
		if (!parse_bool(v, &b))
			fail(r, "%s wants yes or no", s->name);
		else
			*(bool *)field = b;
		break;
	case K_UINT:
		if (!parse_ulong(v, s->max, &n))
			fail(r, "%s wants a number from 0 to %lu", s->name, s->max);
		else
			*(unsigned *)field = (unsigned)n;
		break;
	case K_SIZE:
		if (!parse_ulong(v, s->max, &n))
			fail(r, "%s wants a number from 0 to %lu", s->name, s->max);
		else
			*(size_t *)field = (size_t)n;
		break;
	case K_LIST:
		list_append(r, (char ***)field, v);
		break;
	case K_ACTION: {
		int a = inkan_policy_action_parse(v);
		if (a < 0)
			fail(r, "%s is accept, quarantine, reject or tempfail", s->name);
		else
			*(enum inkan_policy_action *)field = (enum inkan_policy_action)a;
		break;
	}
	case K_SPECIAL:
		special(r, s->name, v);
		break;
	}
}

/* Read one file of "Name value" lines (the configuration) or of sign
 * rows (the signing table), calling fn for each. */
static void
read_lines(struct rd *r, const char *path, void (*fn)(struct rd *r, char *line))
{
	FILE *f = fopen(path, "r");
	char buf[INKAN_MILTER_MAX_CONF_LINE + 2];
	const char *saved_file = r->file;
	unsigned saved_line = r->line;

	r->file = path;
	r->line = 0;
	if (f == NULL) {
		fail(r, "cannot open: %s", strerror(errno));
		goto out;
	}
	while (!r->failed && fgets(buf, sizeof(buf), f) != NULL) {
		r->line++;
		size_t len = strlen(buf);
		if (len > 0 && buf[len - 1] != '\n' && !feof(f)) {
			fail(r, "line longer than %d bytes", INKAN_MILTER_MAX_CONF_LINE);
			break;
		}
		char *hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		len = strlen(buf);
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
			buf[--len] = '\0';
		char *p = buf;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			continue;
		fn(r, p);
	}
	if (f != NULL && ferror(f))
		fail(r, "read error");
	if (f != NULL)
		fclose(f);
out:
	if (!r->failed) {
		r->file = saved_file;
		r->line = saved_line;
	}
}

static void
conf_line(struct rd *r, char *p)
{
	char *name = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	apply(r, name, p);
}

static void
table_line(struct rd *r, char *p)
{
	add_sign_row(r, p, "a signing table row");
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct rd r = { .c = c, .file = path, .err = err, .errlen = errlen };

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->syslog_facility = LOG_MAIL;
	c->socket_mode = -1;
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
	read_lines(&r, path, conf_line);
	if (!r.failed && c->signing_table != NULL)
		read_lines(&r, c->signing_table, table_line);

	r.line = 0;
	if (!r.failed && c->socket == NULL)
		fail(&r, "no Socket setting (e.g. Socket inet:8891@127.0.0.1)");
	if (!r.failed && c->quarantine_header == NULL)
		set_str(&r, &c->quarantine_header, "X-Inkan-Quarantine");
	if (!r.failed && c->authserv_id == NULL) {
		char host[256];
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
			fail(&r, "no AuthservID and no host name");
		else
			set_str(&r, &c->authserv_id, host);
	}
	if (!r.failed && c->arc_seal_for != NULL && c->arc_keyfile == NULL)
		fail(&r, "ARCSealRecipients without ARCSealKey");
	if (!r.failed && c->policy.temperror != INKAN_POLICY_ACCEPT &&
	    c->policy.temperror != INKAN_POLICY_TEMPFAIL)
		fail(&r, "OnTempError is accept or tempfail");
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

static void
free_list(char **l)
{
	for (size_t i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->socket);
	free(c->user);
	free(c->pidfile);
	free_list(c->resolvers);
	free(c->trust_anchor_file);
	free_list(c->zone_files);
	free(c->authserv_id);
	free(c->psl_file);
	free(c->internal_nets);
	free_list(c->exempt_domains);
	free_list(c->trusted_sealers);
	free(c->quarantine_header);
	for (size_t i = 0; i < c->nsign_rows; i++) {
		free(c->sign_rows[i].pattern);
		free(c->sign_rows[i].domain);
		free(c->sign_rows[i].selector);
		free(c->sign_rows[i].keyfile);
	}
	free(c->sign_rows);
	free(c->signing_table);
	free(c->arc_domain);
	free(c->arc_selector);
	free(c->arc_keyfile);
	free_list(c->arc_seal_for);
	free(c->verdict_store);
	free(c->stats_file);
	free(c);
}
