/* test_mtasts_fetch.c - MTA-STS policy discovery against a real HTTPS
 * server: the 24 fetch scenarios of postfix-mta-sts-resolver
 * (tests/data/mtasts/postfix-mta-sts-resolver-cases.json) and inkan's own.
 *
 *   test_mtasts_fetch site CASES DIR PORT   write the web site for nginx:
 *       DIR/www/<domain>/.well-known/mta-sts.txt, DIR/servers.conf (one
 *       server block per policy host, listening on 127.0.0.1:PORT) and
 *       DIR/hosts.txt (the names the "good" certificate must carry)
 *   test_mtasts_fetch run CASES PORT CAFILE   run every scenario, print TAP
 *
 * tests/integration/mtasts_nginx.sh makes the certificates, starts nginx
 * and calls both.  DNS is the in-memory zone backend: each scenario's TXT
 * record at _mta-sts.<domain> ("txt": null is NXDOMAIN, [] is a name with
 * an A record and no TXT, blackhole.loc times out).  The policy host
 * mta-sts.<domain> is pointed at nginx by an address override per host,
 * so TLS checks the real name.
 *
 * The JSON says valid / none / fetch-error, upstream's three outcomes,
 * which are ours too.  We also check what failed, a finer expectation of
 * our own (the "detail" below): the fetch failure kind, or the record
 * lookup status when no fetch happens.  Upstream details we cannot take
 * literally: the certificates are ours (made by the script: a test CA, a
 * certificate from a CA the client does not trust, one that names only
 * bad-cert2.loc); the two bodies described in words ("body_synthetic") are
 * made to that description; a 404 comes with nginx's own page.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "inkan/arena.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/mtasts.h"

#define MAXS 64

enum body_mode { BODY_STATIC = 0, BODY_CHUNKED };
enum conn { CONN_NGINX = 0, CONN_DNS, CONN_REFUSED, CONN_SILENT };

struct scen {
	const char *source;		/* "postfix-mta-sts-resolver" or "inkan" */
	const char *domain;		/* as asked */
	const char *data;		/* whose DNS and web data (same_as) */
	bool has_txt;			/* false: NXDOMAIN */
	const char *txt[4];
	int ntxt;			/* 0 with has_txt: NODATA */
	bool dns_timeout;
	bool has_http;
	int status;
	const char *ctype;		/* NULL: no Content-Type */
	char *body;
	size_t bodylen;
	enum body_mode mode;
	const char *location;		/* for a 3xx */
	const char *tls;		/* certificate: good, untrusted, wrongname, expired */
	enum conn conn;
	const char *expect;		/* valid, none, fetch-error */
	const char *detail;		/* fetch failure kind, or "record-<status>" */
	const char *comment;
};

static struct scen scen[MAXS];
static int nscen;
static json_t *root;		/* the scenarios point into it */

#define POLICY "version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 86400\n"

/* Our finer expectation for upstream's scenarios. */
static const struct {
	const char *domain, *detail;
} upstream_detail[] = {
	{ "good.loc", "none" }, { "good.loc.", "none" }, { ".good.loc", "record-none" },
	{ "testing.loc", "none" }, { "valid-none.loc", "none" }, { "fast-expire.loc", "none" },
	{ "no-record.loc", "record-none" }, { "no-data.loc", "record-none" },
	{ "bad-record1.loc", "record-none" }, { "bad-record2.loc", "record-none" },
	{ "bad-record3.loc", "record-none" }, { "bad-policy1.loc", "policy" },
	{ "bad-policy2.loc", "policy" }, { "bad-policy3.loc", "media-type" },
	{ "bad-policy4.loc", "http-status" }, { "bad-policy5.loc", "policy" },
	{ "bad-policy6.loc", "policy" }, { "bad-policy7.loc", "policy" },
	{ "bad-policy8.loc", "policy" }, { "static-overlength.loc", "too-big" },
	{ "chunked-overlength.loc", "too-big" }, { "bad-cert1.loc", "cert" },
	{ "bad-cert2.loc", "cert-name" }, { "blackhole.loc", "record-temperror" },
};

static char *
padded(const char *head, size_t total)
{
	size_t hl = strlen(head);
	char *b = malloc(total + 1);

	if (b == NULL)
		exit(2);
	memcpy(b, head, hl < total ? hl : total);
	if (total > hl)
		memset(b + hl, 'a', total - hl);
	b[total] = '\0';
	return b;
}

/* A valid policy of exactly n bytes: an extension line pads it. */
static char *
policy_of_size(size_t n)
{
	char *b = padded(POLICY "pad: ", n);

	b[n - 1] = '\n';
	return b;
}

static struct scen *
add(const char *source, const char *domain)
{
	struct scen *s;

	if (nscen == MAXS)
		exit(2);
	s = &scen[nscen++];
	memset(s, 0, sizeof(*s));
	s->source = source;
	s->domain = domain;
	s->data = domain;
	s->tls = "good";
	return s;
}

static void
load_upstream(json_t *top)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(top, "scenarios"), i, c) {
		struct scen *s = add("postfix-mta-sts-resolver",
		    json_string_value(json_object_get(c, "domain")));
		const char *same = json_string_value(json_object_get(c, "same_as"));
		json_t *txt = json_object_get(c, "txt"), *http = json_object_get(c, "http");
		const char *tls = json_string_value(json_object_get(c, "tls"));

		s->expect = json_string_value(json_object_get(c, "expect"));
		s->comment = json_string_value(json_object_get(c, "comment"));
		for (size_t k = 0; k < sizeof(upstream_detail) / sizeof(upstream_detail[0]); k++)
			if (strcmp(upstream_detail[k].domain, s->domain) == 0)
				s->detail = upstream_detail[k].detail;
		if (same != NULL) {
			/* Same DNS and web data as an earlier scenario. */
			for (int k = 0; k < nscen - 1; k++) {
				if (strcmp(scen[k].domain, same) == 0) {
					const char *d = s->domain, *e = s->expect, *cm = s->comment;
					const char *det = s->detail;

					*s = scen[k];
					s->domain = d;
					s->expect = e;
					s->comment = cm;
					s->detail = det;
					s->data = scen[k].data;
				}
			}
			continue;
		}
		if (strcmp(s->domain, "blackhole.loc") == 0)
			s->dns_timeout = true;
		if (json_is_array(txt)) {
			json_t *t;
			size_t k;

			s->has_txt = true;
			json_array_foreach(txt, k, t)
				if (k < 4)
					s->txt[s->ntxt++] = json_string_value(t);
		}
		if (json_is_object(http)) {
			const char *body = json_string_value(json_object_get(http, "body"));

			s->has_http = true;
			s->status = (int)json_integer_value(json_object_get(http, "status"));
			s->ctype = json_string_value(json_object_get(http, "content_type"));
			if (body != NULL) {
				s->body = strdup(body);
				s->bodylen = strlen(body);
			} else if (strcmp(s->domain, "static-overlength.loc") == 0) {
				/* "valid enforce policy followed by 'a' padding;
				 * Content-Length: 131193" */
				s->bodylen = 131193;
				s->body = padded(POLICY, s->bodylen);
			} else if (strcmp(s->domain, "chunked-overlength.loc") == 0) {
				/* "... ~131 KB of 'a' padding, chunked, no
				 * Content-Length" */
				s->bodylen = 131193;
				s->body = padded(POLICY, s->bodylen);
				s->mode = BODY_CHUNKED;
			}
		}
		if (tls != NULL)
			s->tls = strstr(tls, "untrusted") ? "untrusted" : "wrongname";
	}
}

static void
add_own(void)
{
	struct scen *s;
	static const char *const rec[] = { "v=STSv1; id=inkan1" };

	/* RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed". */
	s = add("inkan", "redirect301.loc");
	s->comment = "301 to the good policy";
	s->location = "https://mta-sts.good.loc/.well-known/mta-sts.txt";
	s->status = 301;
	s->expect = "fetch-error";
	s->detail = "redirect";
	s = add("inkan", "redirect307.loc");
	s->comment = "307 to the good policy";
	s->location = "https://mta-sts.good.loc/.well-known/mta-sts.txt";
	s->status = 307;
	s->expect = "fetch-error";
	s->detail = "redirect";
	/* §3.3: text/plain; a parameter is fine. */
	s = add("inkan", "charset.loc");
	s->comment = "Content-Type text/plain; charset=utf-8";
	s->ctype = "text/plain; charset=utf-8";
	s->expect = "valid";
	s->detail = "none";
	s = add("inkan", "notype.loc");
	s->comment = "no Content-Type at all";
	s->ctype = NULL;
	s->expect = "fetch-error";
	s->detail = "media-type";
	/* §3.2: CRLF line ends. */
	s = add("inkan", "crlf.loc");
	s->comment = "policy with CRLF line ends";
	s->body = strdup("version: STSv1\r\nmode: enforce\r\nmx: mail.loc\r\nmax_age: 86400\r\n");
	s->expect = "valid";
	s->detail = "none";
	/* The 64 KiB cap: exactly at it, one byte over, chunked under it. */
	s = add("inkan", "exact64k.loc");
	s->comment = "valid policy of exactly 65536 bytes";
	s->bodylen = 65536;
	s->body = policy_of_size(s->bodylen);
	s->expect = "valid";
	s->detail = "none";
	s = add("inkan", "over64k.loc");
	s->comment = "valid policy of 65537 bytes (Content-Length)";
	s->bodylen = 65537;
	s->body = policy_of_size(s->bodylen);
	s->expect = "fetch-error";
	s->detail = "too-big";
	s = add("inkan", "chunked-over64k.loc");
	s->comment = "valid policy of 65537 bytes, chunked";
	s->bodylen = 65537;
	s->body = policy_of_size(s->bodylen);
	s->mode = BODY_CHUNKED;
	s->expect = "fetch-error";
	s->detail = "too-big";
	s = add("inkan", "chunked-ok.loc");
	s->comment = "small valid policy, chunked";
	s->mode = BODY_CHUNKED;
	s->expect = "valid";
	s->detail = "none";
	/* Certificates. */
	s = add("inkan", "expired.loc");
	s->comment = "certificate from the test CA, expired";
	s->tls = "expired";
	s->expect = "fetch-error";
	s->detail = "cert";
	/* Transport. */
	s = add("inkan", "nohost.loc");
	s->comment = "record present, mta-sts.nohost.loc has no address";
	s->conn = CONN_DNS;
	s->expect = "fetch-error";
	s->detail = "dns";
	s = add("inkan", "refused.loc");
	s->comment = "policy host refuses the connection";
	s->conn = CONN_REFUSED;
	s->expect = "fetch-error";
	s->detail = "connect";
	s = add("inkan", "silent.loc");
	s->comment = "policy host accepts TCP but never answers";
	s->conn = CONN_SILENT;
	s->expect = "fetch-error";
	s->detail = "timeout";
	s = add("inkan", "servfail.loc");
	s->comment = "SERVFAIL for the TXT record";
	s->dns_timeout = true;
	s->expect = "fetch-error";
	s->detail = "record-temperror";
	/* Common settings of the scenarios above. */
	for (int i = 0; i < nscen; i++) {
		if (strcmp(scen[i].source, "inkan") != 0)
			continue;
		s = &scen[i];
		if (!s->dns_timeout) {
			s->has_txt = true;
			s->txt[0] = rec[0];
			s->ntxt = 1;
		}
		if (s->conn == CONN_NGINX) {
			s->has_http = true;
			if (s->status == 0)
				s->status = 200;
			if (s->ctype == NULL && strcmp(s->domain, "notype.loc") != 0)
				s->ctype = "text/plain";
			if (s->body == NULL)
				s->body = strdup(POLICY);
			if (s->bodylen == 0)
				s->bodylen = strlen(s->body);
		}
	}
}

static int
load(const char *path)
{
	json_error_t je;

	root = json_load_file(path, 0, &je);
	if (root == NULL) {
		printf("not ok 1 - cannot read %s: %s\n1..1\n", path, je.text);
		return -1;
	}
	load_upstream(root);
	add_own();
	return 0;
}

static void
unload(void)
{
	for (int i = 0; i < nscen; i++)
		if (scen[i].data == scen[i].domain)	/* copies share the body */
			free(scen[i].body);
	json_decref(root);
}

/* ---- site ---- */

static int
write_file(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

static int
site(const char *dir, const char *port)
{
	char path[1024];
	FILE *conf, *hosts;

	snprintf(path, sizeof(path), "%s/servers.conf", dir);
	if ((conf = fopen(path, "w")) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/hosts.txt", dir);
	if ((hosts = fopen(path, "w")) == NULL)
		return -1;
	/* A default server first: SNI for a name without a block lands here. */
	fprintf(conf, "server {\n\tlisten 127.0.0.1:%s ssl default_server;\n"
	    "\tssl_certificate %s/certs/good.crt;\n\tssl_certificate_key %s/certs/good.key;\n"
	    "\treturn 421;\n}\n", port, dir, dir);
	for (int i = 0; i < nscen; i++) {
		const struct scen *s = &scen[i];

		if (!s->has_http || s->data != s->domain)
			continue;	/* no web data, or shared with an earlier one */
		snprintf(path, sizeof(path), "%s/www/%s", dir, s->data);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/www/%s/.well-known", dir, s->data);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/www/%s/.well-known/mta-sts.txt", dir, s->data);
		if (s->body != NULL && write_file(path, s->body, s->bodylen) != 0)
			return -1;
		if (strcmp(s->tls, "good") == 0)
			fprintf(hosts, "mta-sts.%s\n", s->data);
		fprintf(conf, "server {\n\tlisten 127.0.0.1:%s ssl;\n\tserver_name mta-sts.%s;\n"
		    "\tssl_certificate %s/certs/%s.crt;\n\tssl_certificate_key %s/certs/%s.key;\n"
		    "\troot %s/www/%s;\n\tlocation = /.well-known/mta-sts.txt {\n"
		    "\t\ttypes { }\n\t\tdefault_type \"%s\";\n", port, s->data, dir, s->tls, dir,
		    s->tls, dir, s->data, s->ctype ? s->ctype : "");
		if (s->location != NULL)
			fprintf(conf, "\t\treturn %d %s;\n", s->status, s->location);
		else if (s->status != 200)
			fprintf(conf, "\t\treturn %d;\n", s->status);
		if (s->mode == BODY_CHUNKED)
			/* The sub filter cannot know the length of what it will
			 * send, so nginx drops Content-Length and chunks. */
			fprintf(conf, "\t\tsub_filter_types *;\n"
			    "\t\tsub_filter 'no-such-text' 'x';\n");
		fprintf(conf, "\t}\n}\n");
	}
	fclose(hosts);
	return fclose(conf);
}

/* ---- run ---- */

static int ntests, nfail;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	printf("%s %d - ", ok ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		nfail++;
}

static int
add_txt(struct inkan_zone *z, const char *name, const char *text)
{
	size_t len = strlen(text), n = 0;
	uint8_t rd[1024];

	if (len > 900)
		return -1;
	for (size_t i = 0; i < len || i == 0; i += 255) {
		size_t c = len - i < 255 ? len - i : 255;

		rd[n++] = (uint8_t)c;
		memcpy(rd + n, text + i, c);
		n += c;
		if (len == 0)
			break;
	}
	return inkan_zone_add_rr(z, name, INKAN_DNS_TXT, 300, rd, n);
}

static int
listener(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
run(unsigned port, const char *ca)
{
	struct inkan_mtasts_connect conn[MAXS];
	struct inkan_zone *z;
	struct inkan_resolver *r;
	unsigned refused = 0, silent = 0;
	int sfd, rfd;
	size_t nconn = 0;

	/* A port that listens but never accepts, and one that refuses. */
	if ((sfd = listener(&silent)) < 0 || (rfd = listener(&refused)) < 0) {
		tap(false, "cannot open loopback test ports");
		return 1;
	}
	close(rfd);
	if (inkan_zone_new(&z) != 0)
		return 2;
	for (int i = 0; i < nscen; i++) {
		const struct scen *s = &scen[i];
		char name[300];

		if (s->data != s->domain)
			continue;
		if (s->domain[0] == '.')
			continue;	/* not a valid name: never asked */
		snprintf(name, sizeof(name), "_mta-sts.%s", s->data);
		if (s->dns_timeout) {
			inkan_zone_set_status(z, name, INKAN_DNS_TXT,
			    strcmp(s->domain, "servfail.loc") == 0 ? INKAN_DNS_SERVFAIL :
			    INKAN_DNS_TIMEOUT);
		} else if (s->has_txt && s->ntxt == 0) {
			char line[400];

			snprintf(line, sizeof(line), "%s A 127.0.0.1", name);
			inkan_zone_add_text(z, line, NULL);
		}
		for (int k = 0; k < s->ntxt; k++)
			if (add_txt(z, name, s->txt[k]) != 0) {
				tap(false, "%s: cannot load TXT into the zone", s->domain);
				return 1;
			}
		if (s->conn == CONN_DNS)
			continue;
		conn[nconn].host = strdup(name + 1);	/* "mta-sts.<domain>" */
		conn[nconn].addr = "127.0.0.1";
		conn[nconn].port = s->conn == CONN_REFUSED ? refused : s->conn == CONN_SILENT ?
		    silent : port;
		nconn++;
	}
	if (inkan_resolver_zone_new(z, &r) != 0)
		return 2;
	for (int i = 0; i < nscen; i++) {
		const struct scen *s = &scen[i];
		struct inkan_arena *a = inkan_arena_new();
		struct inkan_mtasts_fetch_opts o = { .ca_file = ca, .connect = conn,
		    .nconnect = nconn, .connect_timeout_ms = 2000, .timeout_ms = 3000 };
		struct inkan_mtasts_result res;
		const char *detail;
		char rd[64];
		int rc = inkan_mtasts_discover(r, a, s->domain, &o, &res);
		bool ok;

		if (rc != 0) {
			tap(false, "%s %s: discover returned %s", s->source, s->domain,
			    inkan_strerror(rc));
			inkan_arena_free(a);
			continue;
		}
		if (res.fetched) {
			detail = inkan_mtasts_fetch_fail_name(res.fetch.fail);
		} else {
			snprintf(rd, sizeof(rd), "record-%s",
			    inkan_mtasts_record_status_name(res.lookup.status));
			detail = rd;
		}
		ok = strcmp(inkan_mtasts_status_name(res.status), s->expect) == 0 &&
		    (s->detail == NULL || strcmp(detail, s->detail) == 0);
		tap(ok, "%s %s: %s (%s)%s%s", s->source, s->domain, s->expect,
		    s->detail ? s->detail : "?", s->comment ? " -- " : "",
		    s->comment ? s->comment : "");
		printf("#   got %s (%s)%s%s\n", inkan_mtasts_status_name(res.status), detail,
		    res.why ? ": " : "", res.why ? res.why : "");
		if (res.status == INKAN_MTASTS_VALID)
			printf("#   mode %s, max_age %u, %zu mx, HTTP %ld %s, %zu bytes\n",
			    inkan_mtasts_mode_name(res.policy->mode), res.policy->max_age,
			    res.policy->nmx, res.fetch.http_status,
			    res.fetch.content_type ? res.fetch.content_type : "-",
			    res.fetch.body_len);
		inkan_arena_free(a);
	}
	close(sfd);
	for (size_t i = 0; i < nconn; i++)
		free((char *)conn[i].host);
	inkan_resolver_free(r);
	inkan_zone_free(z);
	printf("1..%d\n", ntests);
	return nfail ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "site") == 0) {
		int rc;

		if (load(argv[2]) != 0)
			return 1;
		rc = site(argv[3], argv[4]) == 0 ? 0 : 1;
		unload();
		return rc;
	}
	if (argc == 5 && strcmp(argv[1], "run") == 0) {
		char *end;
		unsigned long port = strtoul(argv[3], &end, 10);

		if (*end != '\0' || port == 0 || port > 65535) {
			fprintf(stderr, "bad port %s\n", argv[3]);
			return 2;
		}
		int rc;

		if (load(argv[2]) != 0)
			return 1;
		rc = run((unsigned)port, argv[4]);
		unload();
		return rc;
	}
	fprintf(stderr, "usage: test_mtasts_fetch site CASES DIR PORT\n"
	    "       test_mtasts_fetch run CASES PORT CAFILE\n");
	return 2;
}
