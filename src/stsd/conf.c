/* conf.c - reading inkan-stsd.conf(5).
 *
 * One setting per line, "Name value", names case-insensitive, '#'
 * starts a comment; the same table serves the "-o Name=value" options,
 * which are applied after the file.  A table of rows (name, kind,
 * where it goes, maximum); the generic loop converts the value by its
 * kind and names FILE:LINE and the problem for anything else.  Settings
 * that may repeat (Socketmap, Resolver, ...) append, the rest keep the
 * last value.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "stsd.h"
#include "inkan/limits.h"

enum kind {
	K_STR,		/* char * */
	K_BOOL,		/* bool */
	K_NOTBOOL,	/* bool, stored negated (DNSSEC yes -> no_dnssec false) */
	K_UINT,		/* unsigned, 0..max (min 1 when the row says so) */
	K_LIST,		/* char **, words appended */
	K_SPECIAL,	/* handled by name */
};

struct setting {
	const char *name;
	enum kind kind;
	size_t off;
	unsigned long min, max;
};

#define O(f) offsetof(struct conf, f)

static const struct setting settings[] = {
	{ "Socketmap", K_LIST, O(socketmap), 0, 0 },
	{ "TCPTable", K_LIST, O(tcptable), 0, 0 },
	{ "SocketmapName", K_LIST, O(map_names), 0, 0 },
	{ "StatsListen", K_STR, O(stats_listen), 0, 0 },
	{ "SessionSocket", K_STR, O(session_listen), 0, 0 },
	{ "MaillogSocket", K_STR, O(maillog_listen), 0, 0 },
	{ "MaillogFile", K_STR, O(maillog_file), 0, 0 },
	{ "StateDirectory", K_STR, O(state_dir), 0, 0 },
	{ "UserID", K_STR, O(user), 0, 0 },
	{ "PidFile", K_STR, O(pidfile), 0, 0 },
	{ "LogTo", K_SPECIAL, 0, 0, 0 },
	{ "SyslogFacility", K_SPECIAL, 0, 0, 0 },
	{ "UMask", K_SPECIAL, 0, 0, 0 },
	{ "LogCacheHits", K_BOOL, O(log_hits), 0, 0 },
	{ "Resolver", K_LIST, O(resolvers), 0, 0 },
	{ "TrustAnchorFile", K_STR, O(trust_anchor_file), 0, 0 },
	{ "TrustAnchor", K_SPECIAL, 0, 0, 0 },
	{ "DNSSEC", K_NOTBOOL, O(no_dnssec), 0, 0 },
	{ "DNSTimeout", K_UINT, O(dns_timeout_ms), 1, 600000 },
	{ "PolicyCache", K_STR, O(policy_cache), 0, 0 },
	{ "CAFile", K_STR, O(ca_file), 0, 0 },
	{ "FetchTimeout", K_UINT, O(fetch_timeout_ms), 1, 600000 },
	{ "ConnectTimeout", K_UINT, O(connect_timeout_ms), 1, 600000 },
	{ "MTASTSConnect", K_LIST, O(mtasts_connect), 0, 0 },
	{ "DANE", K_NOTBOOL, O(no_dane), 0, 0 },
	{ "TLSAPort", K_UINT, O(tlsa_port), 1, 65535 },
	{ "RefreshBefore", K_UINT, O(refresh_before), 0, 31557600 },
	{ "RefreshInterval", K_UINT, O(refresh_interval), 0, 86400 },
	{ "DefaultAnswer", K_SPECIAL, 0, 0, 0 },
	{ "Workers", K_UINT, O(workers), 1, INKAN_STSD_MAX_WORKERS },
	{ "MaxClients", K_UINT, O(max_clients), 1, INKAN_STSD_MAX_CLIENTS },
	{ "MaxPending", K_UINT, O(max_pending), 1, 1000000 },
	{ "RequestTimeout", K_UINT, O(request_timeout_ms), 1, 600000 },
	{ "IdleTimeout", K_UINT, O(idle_timeout), 1, 86400 },
	{ "CacheEntries", K_UINT, O(cache_entries), 0, 10000000 },
	{ "MaxCacheTTL", K_UINT, O(max_cache_ttl), 0, 604800 },
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

static void
list_add(struct rd *r, char ***list, const char *w)
{
	size_t n = 0;

	while (*list != NULL && (*list)[n] != NULL)
		n++;
	if (n >= INKAN_STSD_MAX_LIST) {
		fail(r, "more than %d values", INKAN_STSD_MAX_LIST);
		return;
	}
	char **nl = realloc(*list, (n + 2) * sizeof(*nl));
	if (nl == NULL) {
		fail(r, "out of memory");
		return;
	}
	*list = nl;
	if ((nl[n] = strdup(w)) == NULL) {
		nl[n] = NULL;
		fail(r, "out of memory");
		return;
	}
	nl[n + 1] = NULL;
}

static void
list_free(char **l)
{
	for (size_t i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
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
special(struct rd *r, const char *name, const char *v)
{
	struct conf *c = r->c;

	if (strcasecmp(name, "LogTo") == 0) {
		if (strcasecmp(v, "stderr") == 0)
			c->log_stderr = true;
		else if (strcasecmp(v, "syslog") == 0)
			c->log_stderr = false;
		else
			fail(r, "LogTo is syslog or stderr, not '%s'", v);
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
			fail(r, "UMask wants an octal number such as 007, not '%s'", v);
		else
			c->umask = (int)m;
	} else if (strcasecmp(name, "TrustAnchor") == 0) {
		/* A whole line ("example.test. IN DS ..."), not words. */
		list_add(r, &c->trust_anchors, v);
	} else if (strcasecmp(name, "DefaultAnswer") == 0) {
		/* NOTFOUND, or a Postfix TLS policy ("may", "encrypt", ...). */
		if (strcasecmp(v, "NOTFOUND") == 0 || strcasecmp(v, "none") == 0) {
			free(c->default_answer);
			c->default_answer = NULL;
		} else if (!printable(v) || strlen(v) > 512) {
			fail(r, "DefaultAnswer wants NOTFOUND or a Postfix TLS policy such as"
			    " \"may\"");
		} else {
			set_str(r, &c->default_answer, v);
		}
	}
}

static void
apply(struct rd *r, const char *name, char *v)
{
	const struct setting *s = NULL;

	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcasecmp(name, settings[i].name) == 0) {
			s = &settings[i];
			break;
		}
	if (s == NULL) {
		fail(r, "unknown setting '%s'", name);
		return;
	}
	if (*v == '\0') {
		fail(r, "%s needs a value", s->name);
		return;
	}
	char *base = (char *)r->c;
	bool b;
	switch (s->kind) {
	case K_STR:
		set_str(r, (char **)(base + s->off), v);
		break;
	case K_BOOL:
	case K_NOTBOOL:
		if (!parse_bool(v, &b))
			fail(r, "%s wants yes or no, not '%s'", s->name, v);
		else
			*(bool *)(base + s->off) = s->kind == K_BOOL ? b : !b;
		break;
	case K_UINT: {
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || errno != 0 || *end != '\0' || n < s->min ||
		    n > s->max)
			fail(r, "%s wants a number from %lu to %lu, not '%s'", s->name, s->min,
			    s->max, v);
		else
			*(unsigned *)(base + s->off) = (unsigned)n;
		break;
	}
	case K_LIST: {
		char *save = NULL;
		for (char *w = strtok_r(v, " \t,", &save); w != NULL;
		    w = strtok_r(NULL, " \t,", &save))
			list_add(r, (char ***)(base + s->off), w);
		break;
	}
	case K_SPECIAL:
		special(r, s->name, v);
		break;
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
check(struct rd *r)
{
	struct conf *c = r->c;

	r->line = 0;
	for (size_t i = 0; c->socketmap != NULL && c->socketmap[i] != NULL; i++)
		if (!valid_listen(c->socketmap[i]))
			fail(r, "Socketmap '%s' is not inet:ADDR:PORT or unix:/PATH", c->socketmap[i]);
	for (size_t i = 0; c->tcptable != NULL && c->tcptable[i] != NULL; i++)
		if (!valid_listen(c->tcptable[i]))
			fail(r, "TCPTable '%s' is not inet:ADDR:PORT or unix:/PATH", c->tcptable[i]);
	const char *one[] = { c->stats_listen, c->session_listen, c->maillog_listen };
	const char *names[] = { "StatsListen", "SessionSocket", "MaillogSocket" };
	for (int i = 0; i < 3; i++)
		if (one[i] != NULL && !valid_listen(one[i]))
			fail(r, "%s '%s' is not inet:ADDR:PORT or unix:/PATH", names[i], one[i]);
	if (c->socketmap == NULL && c->tcptable == NULL)
		fail(r, "no Socketmap or TCPTable listener configured");
	if ((c->session_listen != NULL || c->maillog_listen != NULL || c->maillog_file != NULL) &&
	    c->state_dir == NULL)
		fail(r, "SessionSocket, MaillogSocket and MaillogFile need a StateDirectory");
	for (size_t i = 0; c->mtasts_connect != NULL && c->mtasts_connect[i] != NULL; i++) {
		const char *v = c->mtasts_connect[i], *eq = strchr(v, '=');
		const char *ap = eq != NULL ? eq + 1 : v, *colon = strrchr(ap, ':');
		if (colon == NULL || colon == ap || strtoul(colon + 1, NULL, 10) == 0 ||
		    strtoul(colon + 1, NULL, 10) > 65535)
			fail(r, "MTASTSConnect '%s' is not [HOST=]ADDR:PORT", v);
	}
}

struct conf *
conf_load(const char *path, bool must_exist, char *const *overrides, char *err, size_t errlen)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct rd r = { .c = c, .err = err, .errlen = errlen };

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->syslog_facility = LOG_MAIL;
	c->umask = -1;
	c->log_hits = true;
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
		fail(&r, "out of memory");

	FILE *f = path != NULL ? fopen(path, "r") : NULL;
	if (path != NULL && f == NULL && (must_exist || errno != ENOENT))
		fail(&r, "%s", strerror(errno));
	if (f != NULL) {
		char line[INKAN_STSD_MAX_CONF_LINE + 2];
		while (!r.failed && fgets(line, sizeof(line), f) != NULL) {
			r.line++;
			size_t n = strlen(line);
			if (n > 0 && line[n - 1] != '\n' && !feof(f)) {
				fail(&r, "line longer than %d bytes", INKAN_STSD_MAX_CONF_LINE);
				break;
			}
			char *p = line, *hash = strchr(p, '#');
			if (hash != NULL)
				*hash = '\0';
			trim(&p);
			if (*p == '\0')
				continue;
			char *v = p + strcspn(p, " \t");
			if (*v != '\0')
				*v++ = '\0';
			trim(&v);
			apply(&r, p, v);
		}
		fclose(f);
	}
	r.file = "-o";
	r.line = 0;
	for (size_t i = 0; !r.failed && overrides != NULL && overrides[i] != NULL; i++) {
		char buf[INKAN_STSD_MAX_CONF_LINE + 1];
		if (strlen(overrides[i]) > INKAN_STSD_MAX_CONF_LINE) {
			fail(&r, "option longer than %d bytes", INKAN_STSD_MAX_CONF_LINE);
			break;
		}
		snprintf(buf, sizeof(buf), "%s", overrides[i]);
		char *eq = strchr(buf, '=');
		if (eq == NULL) {
			fail(&r, "'%s' is not Name=value", overrides[i]);
			break;
		}
		*eq = '\0';
		char *n = buf, *v = eq + 1;
		trim(&n);
		trim(&v);
		apply(&r, n, v);
	}
	if (!r.failed) {
		r.file = c->path != NULL ? c->path : "configuration";
		check(&r);
	}
	if (c->map_names == NULL && !r.failed)
		list_add(&r, &c->map_names, "postfix");
	if (r.failed) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	list_free(c->socketmap);
	list_free(c->tcptable);
	list_free(c->map_names);
	free(c->stats_listen);
	free(c->session_listen);
	free(c->maillog_listen);
	free(c->maillog_file);
	free(c->state_dir);
	free(c->user);
	free(c->pidfile);
	list_free(c->resolvers);
	free(c->trust_anchor_file);
	list_free(c->trust_anchors);
	free(c->policy_cache);
	free(c->ca_file);
	list_free(c->mtasts_connect);
	free(c->default_answer);
	free(c);
}
