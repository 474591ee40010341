/* intake.c - TLS-RPT (RFC 8460) delivery outcomes in, session files out.
 *
 * Two ways in:
 *   - session lines (report_gen.h's format) on SessionSocket, from a
 *     tool that knows the outcome; each is checked with
 *     inkan_tlsrpt_session_parse and appended as it came;
 *   - Postfix smtp(8) log lines (MaillogSocket or MaillogFile): the TLS
 *     summary of each smtp process is remembered by its pid until the
 *     delivery line of that process names the recipient domain and the
 *     outcome; the policy is the one this daemon last answered for the
 *     domain (the policy type and strings of inkan_sts_tlsrpt_policy),
 *     so a domain we never answered for is counted, not reported.
 * One file per UTC day, STATE/tlsrpt-sessions-YYYY-MM-DD.tsv, for
 * `inkan report generate --tls-sessions FILE --day YYYY-MM-DD`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "stsd.h"
#include "map.h"
#include "proto.h"
#include "inkan/arena.h"
#include "inkan/error.h"
#include "inkan/limits.h"
#include "inkan/report_gen.h"

struct policy_mem {
	char *type, *strings;
	int64_t seen;
};

struct tls_seen {
	char host[256], ip[64];
	enum ml_trust trust;
	int verify_num;
	char qid[32];			/* first delivery after the handshake */
	char last_domain[256];		/* the last session written */
};

struct intake {
	char *dir;
	struct map *policies;
	struct map *pids;
	FILE *f;
	int64_t day;			/* of f, days since the epoch */
	struct inkan_arena *a;
};

static void
policy_mem_free(void *p)
{
	struct policy_mem *m = p;

	if (m == NULL)
		return;
	free(m->type);
	free(m->strings);
	free(m);
}

struct intake *
intake_new(const char *state_dir, size_t policy_memory)
{
	struct intake *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->day = -1;
	if ((in->dir = strdup(state_dir != NULL ? state_dir : ".")) == NULL ||
	    (in->policies = map_new(policy_memory, policy_mem_free)) == NULL ||
	    (in->pids = map_new(INKAN_STSD_MAX_TLS_PIDS, free)) == NULL ||
	    (in->a = inkan_arena_new_max(4 * INKAN_STSD_MAX_LOG_LINE + 65536)) == NULL) {
		intake_free(in);
		return NULL;
	}
	return in;
}

void
intake_free(struct intake *in)
{
	if (in == NULL)
		return;
	if (in->f != NULL)
		fclose(in->f);
	map_free(in->policies);
	map_free(in->pids);
	inkan_arena_free(in->a);
	free(in->dir);
	free(in);
}

void
intake_note_policy(struct intake *in, const struct result *r, int64_t now)
{
	if (in == NULL || r->rpt_type == NULL || r->domain == NULL)
		return;
	struct policy_mem *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return;
	m->type = strdup(r->rpt_type);
	m->strings = strdup(r->rpt_strings != NULL ? r->rpt_strings : "-");
	m->seen = now;
	if (m->type == NULL || m->strings == NULL) {
		policy_mem_free(m);
		return;
	}
	map_put(in->policies, r->domain, m);
}

static int
append(struct intake *in, int64_t ts, const char *line, size_t len)
{
	int64_t day = ts >= 0 ? ts / 86400 : 0;

	if (in->f == NULL || day != in->day) {
		char path[4096];
		time_t t = (time_t)(day * 86400);
		struct tm tm;
		gmtime_r(&t, &tm);
		if (in->f != NULL)
			fclose(in->f);
		snprintf(path, sizeof(path), "%s/tlsrpt-sessions-%04d-%02d-%02d.tsv", in->dir,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		if ((in->f = fopen(path, "a")) == NULL) {
			slog(LOG_ERR, "tlsrpt: cannot open %s: %s", path, strerror(errno));
			in->day = -1;
			return -1;
		}
		in->day = day;
	}
	if (fwrite(line, 1, len, in->f) != len || fputc('\n', in->f) == EOF ||
	    fflush(in->f) != 0) {
		slog(LOG_ERR, "tlsrpt: cannot write the session file: %s", strerror(errno));
		return -1;
	}
	atomic_fetch_add(&ST.sessions_written, 1);
	return 0;
}

void
intake_flush(struct intake *in)
{
	if (in != NULL && in->f != NULL)
		fflush(in->f);
}

int
intake_session_line(struct intake *in, const char *line, size_t len, char *why, size_t whylen)
{
	struct inkan_tlsrpt_session s;
	struct inkan_report_diag d = { .why = "" };

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	inkan_arena_reset(in->a);
	int rc = inkan_tlsrpt_session_parse(in->a, line, len, &s, &d);
	if (rc == INKAN_ENOTFOUND)
		return 0;
	if (rc != 0) {
		atomic_fetch_add(&ST.session_lines_bad, 1);
		snprintf(why, whylen, "%s", d.why[0] != '\0' ? d.why : inkan_strerror(rc));
		return -1;
	}
	if (append(in, s.ts, line, len) != 0) {
		snprintf(why, whylen, "cannot write the session file");
		return -1;
	}
	return 0;
}

/* s as a session-file field: TAB, '|' and control characters become
 * spaces (they would split the field), empty becomes '-'. */
static void
field(char *out, size_t outsize, const char *p, size_t len, bool lower)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < outsize; i++) {
		unsigned char c = (unsigned char)p[i];
		out[o++] = c < 32 || c == 127 || c == '|' ? ' ' : lower ? (char)tolower(c) :
		    (char)c;
	}
	if (o == 0 && outsize > 1)
		out[o++] = '-';
	out[o] = '\0';
}

void
intake_maillog_line(struct intake *in, const char *line, size_t len, int64_t now)
{
	struct ml_event ev;
	const char *why;
	char key[96];

	atomic_fetch_add(&ST.maillog_lines, 1);
	if (ml_parse(line, len, &ev, &why) != 0 || ev.kind == ML_NONE)
		return;
	snprintf(key, sizeof(key), "%.*s/%lu", (int)(ev.service.len < 64 ? ev.service.len : 64),
	    ev.service.p, ev.pid);
	struct tls_seen *t = map_get(in->pids, key);
	if (ev.kind == ML_TLS || ev.kind == ML_VERIFY_FAIL) {
		if (t == NULL || ev.kind == ML_TLS || t->qid[0] != '\0') {
			/* A new handshake (a verify failure comes before its summary). */
			bool keep_num = t != NULL && ev.kind == ML_TLS && t->qid[0] == '\0';
			int num = keep_num ? t->verify_num : -1;
			if ((t = calloc(1, sizeof(*t))) == NULL || map_put(in->pids, key, t) != 0)
				return;
			t->verify_num = num;
			t->trust = ML_ANONYMOUS;
		}
		field(t->host, sizeof(t->host), ev.host.p, ev.host.len, true);
		field(t->ip, sizeof(t->ip), ev.ip.p, ev.ip.len, false);
		if (ev.kind == ML_TLS) {
			t->trust = ev.trust;
			snprintf(t->qid, sizeof(t->qid), "%s", "");
		} else {
			t->verify_num = ev.verify_num;
			t->trust = ML_UNTRUSTED;
			/* mark as "handshake seen, summary pending" */
		}
		return;
	}
	/* ML_DELIVERY */
	char domain[256], host[256], ip[64], qid[32];
	field(domain, sizeof(domain), ev.rcpt_domain.p, ev.rcpt_domain.len, true);
	field(host, sizeof(host), ev.host.p, ev.host.len, true);
	field(ip, sizeof(ip), ev.ip.p, ev.ip.len, false);
	field(qid, sizeof(qid), ev.queue_id.p, ev.queue_id.len, false);
	size_t dl = strlen(domain);
	if (dl > 0 && domain[dl - 1] == '.')
		domain[dl - 1] = '\0';
	bool have_tls = t != NULL && strcmp(t->host, host) == 0 && strcmp(t->ip, ip) == 0 &&
	    (t->qid[0] == '\0' || strcmp(t->qid, qid) == 0);
	if (have_tls && t->qid[0] != '\0' && strcmp(t->last_domain, domain) == 0)
		return;		/* another recipient of the same session and domain */
	struct policy_mem *pm = map_get(in->policies, domain);
	if (pm == NULL || now - pm->seen > INKAN_STSD_POLICY_MEMORY_SECONDS) {
		atomic_fetch_add(&ST.maillog_unmatched, 1);
		return;
	}
	const char *res = ml_result_type(&ev, have_tls, have_tls ? t->trust : ML_ANONYMOUS,
	    t != NULL ? t->verify_num : -1, pm->type);
	if (res == NULL)
		return;
	if (have_tls) {
		snprintf(t->qid, sizeof(t->qid), "%s", qid);
		snprintf(t->last_domain, sizeof(t->last_domain), "%s", domain);
	}
	char info[512];
	if (strcmp(res, "success") == 0)
		snprintf(info, sizeof(info), "-");
	else
		field(info, sizeof(info), ev.reason.p, ev.reason.len, false);
	char *out = NULL;
	int n = asprintf(&out, "%lld\t%s\t%s\t%s\t%s\t-\t%s\t%s\t-\t%s", (long long)now, domain,
	    pm->type, pm->strings, host[0] != '\0' ? host : "-", ip, res, info);
	if (n < 0)
		return;
	append(in, now, out, (size_t)n);
	free(out);
}
