/* daemon_conf.c - the configuration reader the daemons share
 * (daemon_conf.h): inkan-milter.conf(5) and inkan-stsd.conf(5).
 *
 * Settings that may repeat (lists) append; the rest keep the last
 * value, as OpenDKIM's files do.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "daemon_conf.h"

bool
dconf_start(struct dconf_rd *r)
{
	if (r->c == NULL) {
		snprintf(r->err, r->errlen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < r->t->nrows; i++) {
		char *field = (char *)r->c + r->t->rows[i].off;
		if (r->t->rows[i].kind == DCONF_FACILITY)
			*(int *)field = LOG_MAIL;
		else if (r->t->rows[i].kind == DCONF_UMASK)
			*(int *)field = -1;
	}
	return true;
}

void
dconf_fail(struct dconf_rd *r, const char *fmt, ...)
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

/* "Name what", and the value too where the daemon's messages repeat it. */
static void
bad(struct dconf_rd *r, const struct dconf_setting *s, const char *v, const char *what)
{
	if (r->t->quote)
		dconf_fail(r, "%s %s, not '%s'", s->name, what, v);
	else
		dconf_fail(r, "%s %s", s->name, what);
}

bool
dconf_parse_bool(const char *v, bool *out)
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
parse_ulong(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	if (v[0] < '0' || v[0] > '9')
		return false;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return errno == 0 && *end == '\0' && *out >= min && *out <= max;
}

void
dconf_set_str(struct dconf_rd *r, char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL) {
		dconf_fail(r, "out of memory");
		return;
	}
	free(*dst);
	*dst = s;
}

void
dconf_list_add(struct dconf_rd *r, char ***list, const char *w)
{
	size_t n = 0;

	while (*list != NULL && (*list)[n] != NULL)
		n++;
	if (n >= r->t->max_list) {
		dconf_fail(r, "more than %zu values", r->t->max_list);
		return;
	}
	char **nl = realloc(*list, (n + 2) * sizeof(*nl));
	if (nl == NULL) {
		dconf_fail(r, "out of memory");
		return;
	}
	*list = nl;
	if ((nl[n] = strdup(w)) == NULL) {
		dconf_fail(r, "out of memory");
		return;
	}
	nl[n + 1] = NULL;
}

void
dconf_list_free(char **l)
{
	for (size_t i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

void
dconf_free_fields(const struct dconf_table *t, void *c)
{
	for (size_t i = 0; i < t->nrows; i++) {
		char *field = (char *)c + t->rows[i].off;
		if (t->rows[i].kind == DCONF_STR)
			free(*(char **)field);
		else if (t->rows[i].kind == DCONF_LIST)
			dconf_list_free(*(char ***)field);
	}
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

void
dconf_apply(struct dconf_rd *r, const char *name, char *v)
{
	const struct dconf_setting *s = NULL;
	char *field, *end, what[80];
	unsigned long n;
	long m;
	bool b;

	for (size_t i = 0; i < r->t->nrows; i++)
		if (strcasecmp(name, r->t->rows[i].name) == 0) {
			s = &r->t->rows[i];
			break;
		}
	if (s == NULL) {
		dconf_fail(r, "unknown setting '%s'", name);
		return;
	}
	if (v[0] == '\0') {
		dconf_fail(r, "%s needs a value", s->name);
		return;
	}
	field = (char *)r->c + s->off;
	switch (s->kind) {
	case DCONF_STR:
		dconf_set_str(r, (char **)field, v);
		break;
	case DCONF_BOOL:
	case DCONF_NOTBOOL:
		if (!dconf_parse_bool(v, &b))
			bad(r, s, v, "wants yes or no");
		else
			*(bool *)field = s->kind == DCONF_BOOL ? b : !b;
		break;
	case DCONF_UINT:
	case DCONF_SIZE:
		if (!parse_ulong(v, s->min, s->max, &n)) {
			snprintf(what, sizeof(what), "wants a number from %lu to %lu", s->min,
			    s->max);
			bad(r, s, v, what);
		} else if (s->kind == DCONF_UINT)
			*(unsigned *)field = (unsigned)n;
		else
			*(size_t *)field = (size_t)n;
		break;
	case DCONF_LIST: {
		char *save = NULL;
		for (char *w = strtok_r(v, " \t,", &save); w != NULL && !r->failed;
		    w = strtok_r(NULL, " \t,", &save))
			dconf_list_add(r, (char ***)field, w);
		break;
	}
	case DCONF_LOGTO:
		if (strcasecmp(v, "stderr") == 0)
			*(bool *)field = true;
		else if (strcasecmp(v, "syslog") == 0)
			*(bool *)field = false;
		else
			bad(r, s, v, "is syslog or stderr");
		break;
	case DCONF_FACILITY:
		for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcasecmp(v, facilities[i].name) == 0) {
				*(int *)field = facilities[i].value;
				return;
			}
		dconf_fail(r, "unknown syslog facility '%s'", v);
		break;
	case DCONF_UMASK:
		errno = 0;
		m = strtol(v, &end, 8);
		if (errno != 0 || *end != '\0' || m < 0 || m > 0777)
			bad(r, s, v, "wants an octal number such as 007");
		else
			*(int *)field = (int)m;
		break;
	case DCONF_FIELD:
	case DCONF_SPECIAL:
		r->t->hook(r, s, v);
		break;
	}
}

void
dconf_line(struct dconf_rd *r, char *p)
{
	char *v = p + strcspn(p, " \t");

	if (*v != '\0')
		*v++ = '\0';
	v += strspn(v, " \t");
	dconf_apply(r, p, v);
}

void
dconf_read_lines(struct dconf_rd *r, FILE *f, char *buf, size_t size,
    void (*fn)(struct dconf_rd *r, char *line))
{
	while (!r->failed && fgets(buf, (int)size, f) != NULL) {
		r->line++;
		size_t len = strlen(buf);
		if (len > 0 && buf[len - 1] != '\n' && !feof(f)) {
			dconf_fail(r, "line longer than %zu bytes", size - 2);
			break;
		}
		char *hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		len = strlen(buf);
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
			buf[--len] = '\0';
		char *p = buf + strspn(buf, " \t");
		if (*p != '\0')
			fn(r, p);
	}
}
