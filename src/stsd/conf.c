/* conf.c - reading inkan-stsd.conf(5).
 *
 * One setting per line, "Name value", names case-insensitive, '#'
 * starts a comment; the same table serves the "-o Name=value" options,
 * which are applied after the file.  A table of rows (name, kind,
 * where it goes, bounds); the generic reader (src/common/daemon_conf.c,
 * shared with inkan-milter) converts the value by its kind and names
 * FILE:LINE and the problem for anything else.  Settings that may
 * repeat (Socketmap, Resolver, ...) append, the rest keep the last
 * value.  Here: the table, the settings of stsd's own, "-o" and the
 * checks after the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon_conf.h"
#include "stsd.h"
#include "inkan/limits.h"

#define O(f) offsetof(struct conf, f)

static void special(struct dconf_rd *, const struct dconf_setting *, char *);

static const struct dconf_setting settings[] = {
	{ "Socketmap", DCONF_LIST, O(socketmap), 0, 0 },
	{ "TCPTable", DCONF_LIST, O(tcptable), 0, 0 },
	{ "SocketmapName", DCONF_LIST, O(map_names), 0, 0 },
	{ "StatsListen", DCONF_STR, O(stats_listen), 0, 0 },
	{ "SessionSocket", DCONF_STR, O(session_listen), 0, 0 },
	{ "MaillogSocket", DCONF_STR, O(maillog_listen), 0, 0 },
	{ "MaillogFile", DCONF_STR, O(maillog_file), 0, 0 },
	{ "StateDirectory", DCONF_STR, O(state_dir), 0, 0 },
	{ "UserID", DCONF_STR, O(user), 0, 0 },
	{ "PidFile", DCONF_STR, O(pidfile), 0, 0 },
	{ "LogTo", DCONF_LOGTO, O(log_stderr), 0, 0 },
	{ "SyslogFacility", DCONF_FACILITY, O(syslog_facility), 0, 0 },
	{ "UMask", DCONF_UMASK, O(umask), 0, 0 },
	{ "LogCacheHits", DCONF_BOOL, O(log_hits), 0, 0 },
	{ "Resolver", DCONF_LIST, O(resolvers), 0, 0 },
	{ "TrustAnchorFile", DCONF_STR, O(trust_anchor_file), 0, 0 },
	{ "TrustAnchor", DCONF_SPECIAL, 0, 0, 0 },
	{ "DNSSEC", DCONF_NOTBOOL, O(no_dnssec), 0, 0 },
	{ "DNSTimeout", DCONF_UINT, O(dns_timeout_ms), 1, 600000 },
	{ "PolicyCache", DCONF_STR, O(policy_cache), 0, 0 },
	{ "CAFile", DCONF_STR, O(ca_file), 0, 0 },
	{ "FetchTimeout", DCONF_UINT, O(fetch_timeout_ms), 1, 600000 },
	{ "ConnectTimeout", DCONF_UINT, O(connect_timeout_ms), 1, 600000 },
	{ "MTASTSConnect", DCONF_LIST, O(mtasts_connect), 0, 0 },
	{ "DANE", DCONF_NOTBOOL, O(no_dane), 0, 0 },
	{ "TLSAPort", DCONF_UINT, O(tlsa_port), 1, 65535 },
	{ "RefreshBefore", DCONF_UINT, O(refresh_before), 0, 31557600 },
	{ "RefreshInterval", DCONF_UINT, O(refresh_interval), 0, 86400 },
	{ "DefaultAnswer", DCONF_SPECIAL, 0, 0, 0 },
	{ "Workers", DCONF_UINT, O(workers), 1, INKAN_STSD_MAX_WORKERS },
	{ "MaxClients", DCONF_UINT, O(max_clients), 1, INKAN_STSD_MAX_CLIENTS },
	{ "MaxPending", DCONF_UINT, O(max_pending), 1, 1000000 },
	{ "RequestTimeout", DCONF_UINT, O(request_timeout_ms), 1, 600000 },
	{ "IdleTimeout", DCONF_UINT, O(idle_timeout), 1, 86400 },
	{ "CacheEntries", DCONF_UINT, O(cache_entries), 0, 10000000 },
	{ "MaxCacheTTL", DCONF_UINT, O(max_cache_ttl), 0, 604800 },
};

static const struct dconf_table table = {
	settings, sizeof(settings) / sizeof(settings[0]), INKAN_STSD_MAX_LIST, true, special,
};

/* A listener: inet:ADDR:PORT, inet:[V6]:PORT or unix:/PATH. */
static bool
valid_listen(const char *v)
{
	if (strncmp(v, "unix:", 5) == 0)
		return v[5] == '/';
	if (strncmp(v, "inet:", 5) != 0)
		return false;
	const char *colon = strrchr(v + 5, ':');
	if (colon == NULL || colon == v + 5 || colon[1] == '\0')
		return false;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	return errno == 0 && *end == '\0' && port > 0 && port <= 65535;
}

static bool
printable(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 32 || *p == 127)
			return false;
	return true;
}

static void
special(struct dconf_rd *r, const struct dconf_setting *s, char *v)
{
	struct conf *c = r->c;
	const char *name = s->name;

	if (strcasecmp(name, "TrustAnchor") == 0) {
		/* A whole line ("example.test. IN DS ..."), not words. */
		dconf_list_add(r, &c->trust_anchors, v);
	} else if (strcasecmp(name, "DefaultAnswer") == 0) {
		/* NOTFOUND, or a Postfix TLS policy ("may", "encrypt", ...). */
		if (strcasecmp(v, "NOTFOUND") == 0 || strcasecmp(v, "none") == 0) {
			free(c->default_answer);
			c->default_answer = NULL;
		} else if (!printable(v) || strlen(v) > 512) {
			dconf_fail(r, "DefaultAnswer wants NOTFOUND or a Postfix TLS policy such as"
			    " \"may\"");
		} else {
			dconf_set_str(r, &c->default_answer, v);
		}
	}
}

static void
trim(char **s)
{
	char *p = *s, *e;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	*s = p;
}

static void
check(struct dconf_rd *r)
{
	struct conf *c = r->c;

	r->line = 0;
	for (size_t i = 0; c->socketmap != NULL && c->socketmap[i] != NULL; i++)
		if (!valid_listen(c->socketmap[i]))
			dconf_fail(r, "Socketmap '%s' is not inet:ADDR:PORT or unix:/PATH",
			    c->socketmap[i]);
	for (size_t i = 0; c->tcptable != NULL && c->tcptable[i] != NULL; i++)
		if (!valid_listen(c->tcptable[i]))
			dconf_fail(r, "TCPTable '%s' is not inet:ADDR:PORT or unix:/PATH",
			    c->tcptable[i]);
	const char *one[] = { c->stats_listen, c->session_listen, c->maillog_listen };
	const char *names[] = { "StatsListen", "SessionSocket", "MaillogSocket" };
	for (int i = 0; i < 3; i++)
		if (one[i] != NULL && !valid_listen(one[i]))
			dconf_fail(r, "%s '%s' is not inet:ADDR:PORT or unix:/PATH", names[i],
			    one[i]);
	if (c->socketmap == NULL && c->tcptable == NULL)
		dconf_fail(r, "no Socketmap or TCPTable listener configured");
	if ((c->session_listen != NULL || c->maillog_listen != NULL || c->maillog_file != NULL) &&
	    c->state_dir == NULL)
		dconf_fail(r, "SessionSocket, MaillogSocket and MaillogFile need a StateDirectory");
	for (size_t i = 0; c->mtasts_connect != NULL && c->mtasts_connect[i] != NULL; i++) {
		const char *v = c->mtasts_connect[i], *eq = strchr(v, '=');
		const char *ap = eq != NULL ? eq + 1 : v, *colon = strrchr(ap, ':');
		if (colon == NULL || colon == ap || strtoul(colon + 1, NULL, 10) == 0 ||
		    strtoul(colon + 1, NULL, 10) > 65535)
			dconf_fail(r, "MTASTSConnect '%s' is not [HOST=]ADDR:PORT", v);
	}
}

struct conf *
conf_load(const char *path, bool must_exist, char *const *overrides, char *err, size_t errlen)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct dconf_rd r = { .t = &table, .c = c, .err = err, .errlen = errlen };

	if (!dconf_start(&r))
		return NULL;
	c->log_hits = false;
	c->tlsa_port = 25;
	c->workers = INKAN_STSD_DEFAULT_WORKERS;
	c->max_clients = INKAN_STSD_DEFAULT_MAX_CLIENTS;
	c->max_pending = INKAN_STSD_DEFAULT_MAX_PENDING;
	c->request_timeout_ms = INKAN_STSD_DEFAULT_REQUEST_TIMEOUT_MS;
	c->idle_timeout = INKAN_STSD_DEFAULT_IDLE_TIMEOUT;
	c->cache_entries = INKAN_STSD_DEFAULT_CACHE_ENTRIES;
	c->max_cache_ttl = INKAN_STSD_DEFAULT_MAX_CACHE_TTL;
	c->refresh_interval = INKAN_STSD_DEFAULT_REFRESH_INTERVAL;
	r.file = path != NULL ? path : "(defaults)";
	if (path != NULL && (c->path = strdup(path)) == NULL)
		dconf_fail(&r, "out of memory");

	FILE *f = path != NULL ? fopen(path, "r") : NULL;
	if (path != NULL && f == NULL && (must_exist || errno != ENOENT))
		dconf_fail(&r, "%s", strerror(errno));
	if (f != NULL) {
		char line[INKAN_STSD_MAX_CONF_LINE + 2];
		dconf_read_lines(&r, f, line, sizeof(line), dconf_line);
		fclose(f);
	}
	r.file = "-o";
	r.line = 0;
	for (size_t i = 0; !r.failed && overrides != NULL && overrides[i] != NULL; i++) {
		char buf[INKAN_STSD_MAX_CONF_LINE + 1];
		if (strlen(overrides[i]) > INKAN_STSD_MAX_CONF_LINE) {
			dconf_fail(&r, "option longer than %d bytes", INKAN_STSD_MAX_CONF_LINE);
			break;
		}
		snprintf(buf, sizeof(buf), "%s", overrides[i]);
		char *eq = strchr(buf, '=');
		if (eq == NULL) {
			dconf_fail(&r, "'%s' is not Name=value", overrides[i]);
			break;
		}
		*eq = '\0';
		char *n = buf, *v = eq + 1;
		trim(&n);
		trim(&v);
		dconf_apply(&r, n, v);
	}
	if (!r.failed) {
		r.file = c->path != NULL ? c->path : "configuration";
		check(&r);
	}
	if (c->map_names == NULL && !r.failed)
		dconf_list_add(&r, &c->map_names, "postfix");
	if (r.failed) {
		conf_free(c);
		return NULL;
	}
	return c;
}

/* What the special settings and the path took, then the table's
 * strings and lists. */
void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	dconf_list_free(c->trust_anchors);
	free(c->default_answer);
	dconf_free_fields(&table, c);
	free(c);
}
