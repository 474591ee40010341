/* tlsrpt_gen.c - SMTP TLS reports (RFC 8460 §4) from session results.
 *
 * The input is the session file format documented in report_gen.h: one
 * TAB-separated line per delivery attempt, written by an MTA or by a
 * script over its logs.  Lines are parsed with the same care as any
 * other input (every field checked, strings required to be UTF-8, a
 * length cap), because a report consumer will parse what we write.
 *
 * Aggregation runs in an in-memory SQLite database: one row per
 * (policy domain, policy type, policy strings, mx-host list) with the
 * successful and failed session counts, one per distinct failure detail
 * with its count.  That keeps memory proportional to the distinct
 * combinations (a handful per domain and day), not to the sessions, and
 * makes the grouping a UNIQUE constraint rather than hand-written
 * hashing.  Unknown fields are stored as '' inside the database (NULLs
 * never collide in a UNIQUE key) and given back as absent.
 */
#include <ctype.h>
#include <glib.h>
#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/dname.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/report_gen.h"
#include "report_int.h"

/* RFC 8460 §4.3: the result types. */
static const char *const result_types[] = {
	"starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
	"certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
	"dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
	NULL,
};
static const char *const policy_types[] = { "sts", "tlsa", "no-policy-found", NULL };

enum { F_TIME, F_DOMAIN, F_TYPE, F_STRINGS, F_MX, F_SIP, F_RIP, F_RESULT, F_HELO, F_INFO,
	F_CODE, F_MAX };
static const char *const field_names[F_MAX] = { "time", "policy-domain", "policy-type",
	"policy-strings", "mx-host", "sending-ip", "receiving-ip", "result",
	"receiving-mx-helo", "additional-information", "failure-reason-code" };

struct sp {
	struct inkan_arena *a;
	struct inkan_report_diag *d;
	int err;
};

static void
bad(struct sp *x, int f, const char *what)
{
	if (x->err)
		return;
	x->err = INKAN_EMALFORMED;
	inkan__report_why(x->d, "field %d (%s): %s", f + 1, field_names[f], what);
}

static char *
dup_lower(struct sp *x, struct inkan_slice s, bool lower)
{
	char *c = inkan_arena_strndup(x->a, s.p, s.len);

	if (c == NULL) {
		x->err = INKAN_ENOMEM;
		return NULL;
	}
	if (lower)
		for (char *p = c; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	return c;
}

static bool
absent(struct inkan_slice s)
{
	return s.len == 0 || (s.len == 1 && s.p[0] == '-');
}

/* Free text for the JSON: valid UTF-8, no control characters. */
static const char *
text_field(struct sp *x, int f, struct inkan_slice s)
{
	if (absent(s))
		return NULL;
	if (!g_utf8_validate(s.p, (gssize)s.len, NULL)) {
		bad(x, f, "not UTF-8");
		return NULL;
	}
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f) {
			bad(x, f, "a control character");
			return NULL;
		}
	return dup_lower(x, s, false);
}

static const char *
host_field(struct sp *x, int f, struct inkan_slice s, bool required)
{
	const char *why;
	char *h;

	if (absent(s)) {
		if (required)
			bad(x, f, "missing");
		return NULL;
	}
	if (s.len > 1 && s.p[s.len - 1] == '.')
		s.len--;
	if (inkan_dname_check(s.p, s.len, INKAN_DNAME_HOSTNAME | INKAN_DNAME_UNDERSCORE,
	    &why) != 0) {
		bad(x, f, why);
		return NULL;
	}
	h = dup_lower(x, s, true);
	return h;
}

static const char *
ip_field(struct sp *x, int f, struct inkan_slice s)
{
	struct inkan_ip ip;
	char buf[INKAN_IP_STRLEN];

	if (absent(s))
		return NULL;
	if (inkan_ip_parse(s.p, s.len, &ip) != 0) {
		bad(x, f, "not an IP address");
		return NULL;
	}
	return dup_lower(x, inkan_slice_cstr(inkan_ip_format(&ip, buf, sizeof(buf))), false);
}

static const char *
enum_field(struct sp *x, int f, struct inkan_slice s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (inkan_slice_caseeq_cstr(s, *set))
			return *set;
	bad(x, f, "not a known value");
	return NULL;
}

int
inkan_tlsrpt_session_parse(struct inkan_arena *a, const char *line, size_t len,
    struct inkan_tlsrpt_session *out, struct inkan_report_diag *d)
{
	struct sp x = { a, d, 0 };
	struct inkan_slice f[F_MAX];
	struct inkan_slice all = { line, len };
	size_t nf = 0;
	const char *p = line, *end = line + len;

	memset(out, 0, sizeof(*out));
	all = inkan_slice_trim(all);
	if (all.len == 0 || all.p[0] == '#')
		return INKAN_ENOTFOUND;
	if (len > INKAN_TLSRPT_SESSION_MAX_LINE) {
		inkan__report_why(d, "line longer than %d bytes", INKAN_TLSRPT_SESSION_MAX_LINE);
		return INKAN_ETOOBIG;
	}
	for (;;) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *e = tab != NULL ? tab : end;

		if (nf == F_MAX) {
			inkan__report_why(d, "more than %d fields", F_MAX);
			return INKAN_EMALFORMED;
		}
		f[nf++] = inkan_slice_trim((struct inkan_slice){ p, (size_t)(e - p) });
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (nf < F_RESULT + 1) {
		inkan__report_why(d, "%zu fields; at least 8 are needed (time, policy-domain,"
		    " policy-type, policy-strings, mx-host, sending-ip, receiving-ip, result)", nf);
		return INKAN_EMALFORMED;
	}
	for (size_t i = nf; i < F_MAX; i++)
		f[i] = (struct inkan_slice){ "", 0 };

	/* time: seconds, or RFC 3339 */
	/* 18 digits: far beyond any date, and no int64 overflow */
	bool digits = f[F_TIME].len > 0 && f[F_TIME].len <= 18;
	for (size_t i = 0; digits && i < f[F_TIME].len; i++)
		digits = f[F_TIME].p[i] >= '0' && f[F_TIME].p[i] <= '9';
	if (digits) {
		out->ts = 0;
		for (size_t i = 0; i < f[F_TIME].len; i++)
			out->ts = out->ts * 10 + (f[F_TIME].p[i] - '0');
	} else {
		char *t = dup_lower(&x, f[F_TIME], false);
		if (t != NULL) {
			for (char *c = t; *c != '\0'; c++)
				*c = (char)toupper((unsigned char)*c);
			if (inkan_report_parse_datetime(t, &out->ts) != 0)
				bad(&x, F_TIME, "neither seconds since the epoch nor an RFC 3339 time");
		}
	}
	out->policy_domain = host_field(&x, F_DOMAIN, f[F_DOMAIN], true);
	out->policy_type = enum_field(&x, F_TYPE, f[F_TYPE], policy_types);
	if (!x.err && !absent(f[F_STRINGS])) {
		struct inkan_slice s = f[F_STRINGS];
		size_t n = 1;

		if (strcmp(out->policy_type, "no-policy-found") == 0)
			bad(&x, F_STRINGS, "no-policy-found has no policy strings (write '-')");
		for (size_t i = 0; i < s.len; i++)
			n += s.p[i] == '|';
		if (n > INKAN_TLSRPT_SESSION_MAX_STRINGS)
			bad(&x, F_STRINGS, "too many policy strings");
		if (!x.err && (out->policy_string = inkan_arena_alloc(a, n * sizeof(char *))) == NULL)
			x.err = INKAN_ENOMEM;
		for (const char *q = s.p, *qe = s.p + s.len; !x.err && q <= qe;) {
			const char *bar = memchr(q, '|', (size_t)(qe - q));
			const char *e = bar != NULL ? bar : qe;
			struct inkan_slice one = inkan_slice_trim((struct inkan_slice){ q,
			    (size_t)(e - q) });

			if (one.len == 0) {
				bad(&x, F_STRINGS, "an empty policy string");
				break;
			}
			out->policy_string[out->npolicy_string++] = text_field(&x, F_STRINGS, one);
			if (bar == NULL)
				break;
			q = bar + 1;
		}
	}
	out->mx_host = host_field(&x, F_MX, f[F_MX], false);
	out->sending_ip = ip_field(&x, F_SIP, f[F_SIP]);
	out->receiving_ip = ip_field(&x, F_RIP, f[F_RIP]);
	if (inkan_slice_caseeq_cstr(f[F_RESULT], "success"))
		out->result = "success";
	else
		out->result = enum_field(&x, F_RESULT, f[F_RESULT], result_types);
	out->receiving_mx_helo = text_field(&x, F_HELO, f[F_HELO]);
	out->additional_information = text_field(&x, F_INFO, f[F_INFO]);
	out->failure_reason_code = text_field(&x, F_CODE, f[F_CODE]);
	if (x.err) {
		memset(out, 0, sizeof(*out));
		return x.err;
	}
	return 0;
}

/* ---- the builder ---- */

struct inkan_tlsrpt_gen {
	sqlite3 *db;
	sqlite3_stmt *ins_pol, *ins_fd;
	struct inkan_tlsrpt_gen_opts o;
	char *org_name, *contact_info, *domain;
};

static const char schema[] =
	"CREATE TABLE pol(id INTEGER PRIMARY KEY, domain TEXT NOT NULL, type TEXT NOT NULL,"
	" strings TEXT NOT NULL, mx TEXT NOT NULL, ok INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" UNIQUE(domain, type, strings, mx));"
	"CREATE TABLE fd(pol INTEGER NOT NULL, result TEXT NOT NULL, sip TEXT NOT NULL,"
	" mxname TEXT NOT NULL, helo TEXT NOT NULL, rip TEXT NOT NULL, info TEXT NOT NULL,"
	" code TEXT NOT NULL, n INTEGER NOT NULL,"
	" UNIQUE(pol, result, sip, mxname, helo, rip, info, code));"
	"BEGIN";

int
inkan_tlsrpt_gen_new(const struct inkan_tlsrpt_gen_opts *o, struct inkan_tlsrpt_gen **out)
{
	struct inkan_tlsrpt_gen *g;

	*out = NULL;
	if (o == NULL || o->org_name == NULL || o->contact_info == NULL || o->end <= o->begin)
		return INKAN_EINVAL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return INKAN_ENOMEM;
	g->o = *o;
	g->org_name = strdup(o->org_name);
	g->contact_info = strdup(o->contact_info);
	g->domain = o->domain != NULL ? g_ascii_strdown(o->domain, -1) : NULL;
	if (g->org_name == NULL || g->contact_info == NULL || (o->domain != NULL &&
	    g->domain == NULL) ||
	    sqlite3_open_v2(":memory:", &g->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(g->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, "INSERT INTO pol(domain, type, strings, mx, ok, failed)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(domain, type, strings, mx) DO UPDATE"
	    " SET ok = ok + excluded.ok, failed = failed + excluded.failed RETURNING id", -1,
	    &g->ins_pol, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, "INSERT INTO fd VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)"
	    " ON CONFLICT DO UPDATE SET n = n + 1", -1, &g->ins_fd, NULL) != SQLITE_OK) {
		inkan_tlsrpt_gen_free(g);
		return INKAN_ENOMEM;
	}
	g->o.org_name = g->org_name;
	g->o.contact_info = g->contact_info;
	g->o.domain = g->domain;
	*out = g;
	return 0;
}

void
inkan_tlsrpt_gen_free(struct inkan_tlsrpt_gen *g)
{
	if (g == NULL)
		return;
	sqlite3_finalize(g->ins_pol);
	sqlite3_finalize(g->ins_fd);
	sqlite3_close(g->db);
	free(g->org_name);
	free(g->contact_info);
	g_free(g->domain);
	free(g);
}

static void
bind(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v != NULL ? v : "", -1, SQLITE_TRANSIENT);
}

int
inkan_tlsrpt_gen_add(struct inkan_tlsrpt_gen *g, const struct inkan_tlsrpt_session *s,
    bool *used)
{
	GString *strings, *mx;
	bool ok;
	int rc;

	*used = false;
	if (s->ts < g->o.begin || s->ts >= g->o.end || s->policy_domain == NULL ||
	    (g->domain != NULL && strcmp(g->domain, s->policy_domain) != 0))
		return 0;
	ok = strcmp(s->result, "success") == 0;
	strings = g_string_new(NULL);
	mx = g_string_new(NULL);
	for (size_t i = 0; i < s->npolicy_string; i++) {
		const char *ps = s->policy_string[i];

		if (i > 0)
			g_string_append_c(strings, '\n');
		g_string_append(strings, ps);
		/* RFC 8460 §4.4 mx-host: for sts the policy's "mx:" patterns */
		if (strcmp(s->policy_type, "sts") == 0 && g_ascii_strncasecmp(ps, "mx:", 3) == 0) {
			const char *v = ps + 3;
			while (*v == ' ' || *v == '\t')
				v++;
			if (mx->len > 0)
				g_string_append_c(mx, '\n');
			g_string_append(mx, v);
		}
	}
	if (strcmp(s->policy_type, "tlsa") == 0 && s->mx_host != NULL)
		g_string_append(mx, s->mx_host);
	sqlite3_reset(g->ins_pol);
	bind(g->ins_pol, 1, s->policy_domain);
	bind(g->ins_pol, 2, s->policy_type);
	bind(g->ins_pol, 3, strings->str);
	bind(g->ins_pol, 4, mx->str);
	sqlite3_bind_int(g->ins_pol, 5, ok);
	sqlite3_bind_int(g->ins_pol, 6, !ok);
	g_string_free(strings, TRUE);
	g_string_free(mx, TRUE);
	if (sqlite3_step(g->ins_pol) != SQLITE_ROW)
		return INKAN_EIO;
	sqlite3_int64 pol = sqlite3_column_int64(g->ins_pol, 0);
	sqlite3_reset(g->ins_pol);
	if (!ok) {
		sqlite3_reset(g->ins_fd);
		sqlite3_bind_int64(g->ins_fd, 1, pol);
		bind(g->ins_fd, 2, s->result);
		bind(g->ins_fd, 3, s->sending_ip);
		bind(g->ins_fd, 4, s->mx_host);
		bind(g->ins_fd, 5, s->receiving_mx_helo);
		bind(g->ins_fd, 6, s->receiving_ip);
		bind(g->ins_fd, 7, s->additional_information);
		bind(g->ins_fd, 8, s->failure_reason_code);
		rc = sqlite3_step(g->ins_fd);
		sqlite3_reset(g->ins_fd);
		if (rc != SQLITE_DONE)
			return INKAN_EIO;
	}
	*used = true;
	return 0;
}

struct gq {
	struct inkan_arena *a;
	int err;
};

/* Column i in the arena; '' (our "unknown") gives NULL. */
static const char *
gcol(struct gq *q, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	char *c;

	if (t == NULL || t[0] == '\0' || q->err)
		return NULL;
	if ((c = inkan_arena_strdup(q->a, t)) == NULL)
		q->err = INKAN_ENOMEM;
	return c;
}

/* Split a '\n'-joined list into an arena array. */
static const char **
split(struct gq *q, const char *s, size_t *n)
{
	const char **v;
	size_t k = 1, i = 0;

	*n = 0;
	if (s == NULL || q->err)
		return NULL;
	for (const char *c = s; *c != '\0'; c++)
		k += *c == '\n';
	if ((v = inkan_arena_alloc(q->a, k * sizeof(*v))) == NULL) {
		q->err = INKAN_ENOMEM;
		return NULL;
	}
	for (const char *c = s;; i++) {
		size_t l = strcspn(c, "\n");
		if ((v[i] = inkan_arena_strndup(q->a, c, l)) == NULL) {
			q->err = INKAN_ENOMEM;
			return NULL;
		}
		if (c[l] == '\0')
			break;
		c += l + 1;
	}
	*n = k;
	return v;
}

static char *
tls_report_id(struct gq *q, const struct inkan_tlsrpt_gen_opts *o, const char *domain)
{
	char *key = g_strdup_printf("tlsrpt\n%s\n%s\n%s\n%" PRId64 "\n%" PRId64, o->org_name,
	    o->contact_info, domain, o->begin, o->end);
	char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1), *id;

	g_free(key);
	id = hex != NULL ? inkan_arena_strndup(q->a, hex, 32) : NULL;
	g_free(hex);
	if (id == NULL)
		q->err = INKAN_ENOMEM;
	return id;
}

int
inkan_tlsrpt_gen_reports(struct inkan_tlsrpt_gen *g, struct inkan_arena *a,
    struct inkan_tlsrpt_report **out, size_t *n)
{
	struct gq q = { a, 0 };
	sqlite3_stmt *sd = NULL, *sp = NULL, *sf = NULL;
	struct inkan_tlsrpt_report *reps = NULL;
	size_t nd = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_exec(g->db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, "SELECT count(DISTINCT domain) FROM pol", -1, &sd,
	    NULL) != SQLITE_OK || sqlite3_step(sd) != SQLITE_ROW)
		rc = INKAN_EIO;
	else
		rc = 0;
	if (rc == 0) {
		nd = (size_t)sqlite3_column_int64(sd, 0);
		sqlite3_finalize(sd);
		sd = NULL;
		if (nd > 0 && (reps = inkan_arena_zalloc(a, nd * sizeof(*reps))) == NULL)
			rc = INKAN_ENOMEM;
	}
	if (rc == 0 && (sqlite3_prepare_v2(g->db, "SELECT DISTINCT domain FROM pol ORDER BY"
	    " domain", -1, &sd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, "SELECT id, type, strings, mx, ok, failed FROM pol"
	    " WHERE domain = ?1 ORDER BY type, strings, mx", -1, &sp, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(g->db, "SELECT result, sip, mxname, helo, rip, info, code, n"
	    " FROM fd WHERE pol = ?1 ORDER BY n DESC, result, sip, mxname, helo, rip, info,"
	    " code", -1, &sf, NULL) != SQLITE_OK))
		rc = INKAN_EIO;
	for (size_t i = 0; rc == 0 && !q.err && i < nd && sqlite3_step(sd) == SQLITE_ROW; i++) {
		struct inkan_tlsrpt_report *r = &reps[i];
		const char *domain = gcol(&q, sd, 0);
		size_t np = 0, cap = 0;

		/* the builder's copies die with it; the reports live in a */
		r->org_name = inkan_arena_strdup(a, g->o.org_name);
		r->contact_info = inkan_arena_strdup(a, g->o.contact_info);
		if (r->org_name == NULL || r->contact_info == NULL)
			q.err = INKAN_ENOMEM;
		r->begin = g->o.begin;
		r->end = g->o.end - 1;
		r->report_id = tls_report_id(&q, &g->o, domain);
		sqlite3_reset(sp);
		sqlite3_bind_text(sp, 1, domain, -1, SQLITE_TRANSIENT);
		while (!q.err && sqlite3_step(sp) == SQLITE_ROW) {
			struct inkan_tlsrpt_policy *p;
			size_t nf = 0, fcap = 0;

			if (np == cap) {
				struct inkan_tlsrpt_policy *nv;
				cap = cap ? cap * 2 : 4;
				if ((nv = inkan_arena_zalloc(a, cap * sizeof(*nv))) == NULL) {
					q.err = INKAN_ENOMEM;
					break;
				}
				if (np > 0)
					memcpy(nv, r->policies, np * sizeof(*nv));
				r->policies = nv;
			}
			p = &r->policies[np++];
			p->policy_domain = domain;
			p->policy_type = gcol(&q, sp, 1);
			p->policy_string = split(&q, gcol(&q, sp, 2), &p->npolicy_string);
			p->mx_host = split(&q, gcol(&q, sp, 3), &p->nmx_host);
			p->successful = (uint64_t)sqlite3_column_int64(sp, 4);
			p->failed = (uint64_t)sqlite3_column_int64(sp, 5);
			r->successful += p->successful;
			r->failed += p->failed;
			sqlite3_reset(sf);
			sqlite3_bind_int64(sf, 1, sqlite3_column_int64(sp, 0));
			while (!q.err && sqlite3_step(sf) == SQLITE_ROW) {
				struct inkan_tlsrpt_failure *f;

				if (nf == fcap) {
					struct inkan_tlsrpt_failure *nv;
					fcap = fcap ? fcap * 2 : 4;
					if ((nv = inkan_arena_zalloc(a, fcap * sizeof(*nv))) == NULL) {
						q.err = INKAN_ENOMEM;
						break;
					}
					if (nf > 0)
						memcpy(nv, p->failures, nf * sizeof(*nv));
					p->failures = nv;
				}
				f = &p->failures[nf++];
				f->result_type = gcol(&q, sf, 0);
				f->sending_mta_ip = gcol(&q, sf, 1);
				f->receiving_mx_hostname = gcol(&q, sf, 2);
				f->receiving_mx_helo = gcol(&q, sf, 3);
				f->receiving_ip = gcol(&q, sf, 4);
				f->additional_information = gcol(&q, sf, 5);
				f->failure_reason_code = gcol(&q, sf, 6);
				f->failed_session_count = (uint64_t)sqlite3_column_int64(sf, 7);
			}
			p->nfailures = nf;
		}
		r->npolicies = np;
	}
	sqlite3_finalize(sd);
	sqlite3_finalize(sp);
	sqlite3_finalize(sf);
	if (rc == 0)
		rc = q.err;
	if (rc != 0)
		return rc;
	*out = reps;
	*n = nd;
	return 0;
}

/* ---- JSON (RFC 8460 §4.4) ---- */

static int
set_str(json_t *o, const char *k, const char *v)
{
	json_t *s;

	if (v == NULL)
		return 0;
	if ((s = json_string(v)) == NULL)	/* not UTF-8 */
		return INKAN_EINVAL;
	return json_object_set_new(o, k, s) == 0 ? 0 : INKAN_ENOMEM;
}

static int
set_list(json_t *o, const char *k, const char *const *v, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *s = json_string(v[i]);
		if (s == NULL) {
			json_decref(arr);
			return INKAN_EINVAL;
		}
		json_array_append_new(arr, s);
	}
	return json_object_set_new(o, k, arr) == 0 ? 0 : INKAN_ENOMEM;
}

static void
rfc3339(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

int
inkan_tlsrpt_report_json(struct inkan_arena *a, const struct inkan_tlsrpt_report *r,
    char **out, size_t *len)
{
	json_t *doc, *pols, *dr;
	char b1[32], b2[32], *text;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (r == NULL || r->org_name == NULL || r->report_id == NULL || r->contact_info == NULL)
		return INKAN_EINVAL;
	rfc3339(r->begin, b1, sizeof(b1));
	rfc3339(r->end, b2, sizeof(b2));
	doc = json_object();
	rc |= set_str(doc, "organization-name", r->org_name);
	dr = json_object();
	set_str(dr, "start-datetime", b1);
	set_str(dr, "end-datetime", b2);
	json_object_set_new(doc, "date-range", dr);
	rc |= set_str(doc, "contact-info", r->contact_info);
	rc |= set_str(doc, "report-id", r->report_id);
	pols = json_array();
	json_object_set_new(doc, "policies", pols);
	for (size_t i = 0; i < r->npolicies && rc == 0; i++) {
		const struct inkan_tlsrpt_policy *p = &r->policies[i];
		json_t *pe = json_object(), *pol = json_object(), *fds = json_array();

		json_array_append_new(pols, pe);
		json_object_set_new(pe, "policy", pol);
		rc |= set_str(pol, "policy-type", p->policy_type);
		if (p->npolicy_string > 0)
			rc |= set_list(pol, "policy-string", p->policy_string, p->npolicy_string);
		rc |= set_str(pol, "policy-domain", p->policy_domain);
		if (p->nmx_host > 0)
			rc |= set_list(pol, "mx-host", p->mx_host, p->nmx_host);
		json_object_set_new(pe, "summary", json_pack("{s:I, s:I}",
		    "total-successful-session-count", (json_int_t)p->successful,
		    "total-failure-session-count", (json_int_t)p->failed));
		for (size_t j = 0; j < p->nfailures && rc == 0; j++) {
			const struct inkan_tlsrpt_failure *f = &p->failures[j];
			json_t *fo = json_object();

			json_array_append_new(fds, fo);
			rc |= set_str(fo, "result-type", f->result_type);
			rc |= set_str(fo, "sending-mta-ip", f->sending_mta_ip);
			rc |= set_str(fo, "receiving-mx-hostname", f->receiving_mx_hostname);
			rc |= set_str(fo, "receiving-mx-helo", f->receiving_mx_helo);
			rc |= set_str(fo, "receiving-ip", f->receiving_ip);
			json_object_set_new(fo, "failed-session-count",
			    json_integer((json_int_t)f->failed_session_count));
			rc |= set_str(fo, "additional-information", f->additional_information);
			rc |= set_str(fo, "failure-reason-code", f->failure_reason_code);
		}
		if (p->nfailures > 0)
			json_object_set_new(pe, "failure-details", fds);
		else
			json_decref(fds);
	}
	if (rc != 0) {
		json_decref(doc);
		return INKAN_EINVAL;
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL)
		return INKAN_ENOMEM;
	*len = strlen(text);
	*out = inkan_arena_memdup(a, text, *len + 1);
	free(text);
	return *out != NULL ? 0 : INKAN_ENOMEM;
}
