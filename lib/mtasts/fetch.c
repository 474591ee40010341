/* fetch.c - the HTTPS policy fetch (RFC 8461 §3.3) with libcurl, and
 * policy discovery (§3): record, fetch, parse.
 *
 * This is the one file of the module that does network I/O; the parsers
 * stay pure.  Every rule of §3.3 is a libcurl option or a check after the
 * transfer:
 *   - https only, TLS 1.2 or later, peer and host verified (curl checks
 *     the name mta-sts.<domain> against the certificate, RFC 6125);
 *   - no redirect followed (FOLLOWLOCATION off; a 3xx is an error), no
 *     proxy (a proxy from the environment would be a silent detour), no
 *     content coding asked for;
 *   - status 200 only; Content-Type text/plain, parameters allowed;
 *   - the body capped at INKAN_MTASTS_MAX_POLICY: MAXFILESIZE refuses an
 *     announced Content-Length above it before any byte is read, and the
 *     write callback aborts a chunked body when it passes the cap;
 *   - connect and total timeouts.
 * Addresses come from the caller's resolver (so a what-if zone applies to
 * the policy host too) or from overrides that point a host at a loopback
 * port for tests; in both cases TLS still checks the real host name.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "inkan/arena.h"
#include "inkan/buf.h"
#include "inkan/dname.h"
#include "inkan/dns.h"
#include "inkan/error.h"
#include "inkan/ip.h"
#include "inkan/limits.h"
#include "inkan/mtasts.h"
#include "mtasts_int.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init is not thread-safe on every build; once is enough and
 * it is never undone (the process keeps using curl until exit). */
static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *
inkan_mtasts_fetch_fail_name(enum inkan_mtasts_fetch_fail f)
{
	switch (f) {
	case INKAN_MTASTS_FAIL_NONE: return "none";
	case INKAN_MTASTS_FAIL_DNS: return "dns";
	case INKAN_MTASTS_FAIL_CONNECT: return "connect";
	case INKAN_MTASTS_FAIL_TIMEOUT: return "timeout";
	case INKAN_MTASTS_FAIL_TLS: return "tls";
	case INKAN_MTASTS_FAIL_CERT: return "cert";
	case INKAN_MTASTS_FAIL_CERT_NAME: return "cert-name";
	case INKAN_MTASTS_FAIL_REDIRECT: return "redirect";
	case INKAN_MTASTS_FAIL_HTTP_STATUS: return "http-status";
	case INKAN_MTASTS_FAIL_MEDIA_TYPE: return "media-type";
	case INKAN_MTASTS_FAIL_TOO_BIG: return "too-big";
	case INKAN_MTASTS_FAIL_TRANSFER: return "transfer";
	case INKAN_MTASTS_FAIL_POLICY: return "policy";
	}
	return "unknown";
}

const char *
inkan_mtasts_status_name(enum inkan_mtasts_status s)
{
	switch (s) {
	case INKAN_MTASTS_VALID: return "valid";
	case INKAN_MTASTS_NONE: return "none";
	case INKAN_MTASTS_FETCH_ERROR: return "fetch-error";
	}
	return "unknown";
}

struct sink {
	struct inkan_buf b;
	bool too_big;
	long long content_length;	/* from the header, -1 if none */
};

/* Note Content-Length: curl refuses a body announced over the cap before
 * it reports the length, and the reason should say how big it was. */
static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb, i = 15;

	if (n > 15 && strncasecmp(p, "content-length:", 15) == 0) {
		long long v = 0;
		bool digits = false;

		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		for (; i < n && p[i] >= '0' && p[i] <= '9' && v < (1LL << 53); i++, digits = true)
			v = v * 10 + (p[i] - '0');
		if (digits)
			s->content_length = v;
	}
	return n;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (n > INKAN_MTASTS_MAX_POLICY - s->b.len) {
		s->too_big = true;
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (inkan_buf_append(&s->b, p, n) != 0)
		return 0;
	return n;
}

static int
failed(struct inkan_mtasts_fetch_result *out, enum inkan_mtasts_fetch_fail f, const char *why)
{
	out->status = INKAN_MTASTS_FETCH_FAILED;
	out->fail = f;
	out->why = why;
	return why == NULL ? INKAN_ENOMEM : 0;
}

/* Bracket IPv6 literals for curl's host:port lists. */
static const char *
addr_for_curl(struct inkan_arena *a, const char *addr)
{
	if (strchr(addr, ':') != NULL && addr[0] != '[')
		return inkan_arena_printf(a, "[%s]", addr);
	return addr;
}

/* Addresses of host through r as a curl RESOLVE entry "host:443:a,b";
 * *entry NULL (with out set FAILED) when there are none. */
static int
resolve(struct inkan_resolver *r, struct inkan_arena *a, const char *host,
    struct inkan_mtasts_fetch_result *out, char **entry)
{
	static const uint16_t types[] = { INKAN_DNS_A, INKAN_DNS_AAAA };
	struct inkan_buf b;
	const char *st[2] = { NULL, NULL };
	bool temp = false;
	size_t naddr = 0;
	int rc = 0;

	*entry = NULL;
	inkan_buf_init(&b, 0);
	inkan_buf_printf(&b, "%s:443:", host);
	for (size_t t = 0; t < 2; t++) {
		struct inkan_dns_answer ans;

		if ((rc = inkan_dns_query(r, a, host, types[t], &ans)) != 0)
			goto out;
		st[t] = inkan_dns_status_name(ans.status);
		if (ans.status == INKAN_DNS_SERVFAIL || ans.status == INKAN_DNS_TIMEOUT)
			temp = true;
		for (size_t i = 0; ans.status == INKAN_DNS_OK && i < ans.nrr; i++) {
			struct inkan_ip ip;
			char txt[INKAN_IP_STRLEN];

			if (ans.rr[i].type != types[t] || inkan_dns_rr_ip(&ans.rr[i], &ip) != 0 ||
			    inkan_ip_format(&ip, txt, sizeof(txt)) == NULL)
				continue;
			inkan_buf_printf(&b, "%s%s%s%s", naddr ? "," : "", ip.family == 6 ? "[" : "",
			    txt, ip.family == 6 ? "]" : "");
			naddr++;
		}
	}
	if (b.err) {
		rc = b.err;
		goto out;
	}
	if (naddr == 0) {
		rc = failed(out, INKAN_MTASTS_FAIL_DNS, inkan_arena_printf(a,
		    "policy host %s has no address (A %s, AAAA %s)%s", host, st[0], st[1],
		    temp ? "; DNS failed" : ""));
		goto out;
	}
	if ((*entry = inkan_arena_strdup(a, b.p)) == NULL)
		rc = INKAN_ENOMEM;
out:
	inkan_buf_free(&b);
	return rc;
}

static const struct inkan_mtasts_connect *
find_override(const struct inkan_mtasts_fetch_opts *o, const char *host)
{
	for (size_t i = 0; o != NULL && i < o->nconnect; i++) {
		const struct inkan_mtasts_connect *c = &o->connect[i];

		if (c->addr == NULL)
			continue;
		if (c->host == NULL || c->host[0] == '\0' ||
		    inkan_dname_equal(c->host, strlen(c->host), host, strlen(host)))
			return c;
	}
	return NULL;
}

/* Is the media type of a Content-Type value text/plain?  Parameters
 * (";charset=utf-8") are allowed; type and subtype are case-insensitive
 * (RFC 9110 §8.3.1). */
static bool
is_text_plain(const char *ct)
{
	const char *e;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	e = ct + strcspn(ct, ";");
	while (e > ct && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return e - ct == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

/* Map a failed transfer to what failed and why. */
static int
curl_failure(CURL *h, CURLcode cc, const char *errbuf, const struct sink *sink,
    struct inkan_arena *a, const char *host, struct inkan_mtasts_fetch_result *out)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	long verify = 0;

	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return failed(out, INKAN_MTASTS_FAIL_DNS, inkan_arena_printf(a,
		    "cannot resolve policy host %s: %s", host, detail));
	case CURLE_COULDNT_CONNECT:
		return failed(out, INKAN_MTASTS_FAIL_CONNECT, inkan_arena_printf(a,
		    "cannot connect to %s port 443: %s", host, detail));
	case CURLE_OPERATION_TIMEDOUT:
		return failed(out, INKAN_MTASTS_FAIL_TIMEOUT, inkan_arena_printf(a,
		    "fetching the policy from %s timed out: %s", host, detail));
	case CURLE_PEER_FAILED_VERIFICATION:
		curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &verify);
		/* curl checks the host name itself after OpenSSL accepted the
		 * chain; the verify result then stays at X509_V_OK, or at the
		 * "not verified" value curl starts with (1). */
		if (verify == X509_V_OK || verify == X509_V_ERR_UNSPECIFIED ||
		    verify == X509_V_ERR_HOSTNAME_MISMATCH)
			return failed(out, INKAN_MTASTS_FAIL_CERT_NAME, inkan_arena_printf(a,
			    "certificate of %s is not valid for that name: %s", host, detail));
		return failed(out, INKAN_MTASTS_FAIL_CERT, inkan_arena_printf(a,
		    "certificate of %s is not trusted: %s (%s)", host,
		    X509_verify_cert_error_string(verify), detail));
	case CURLE_FILESIZE_EXCEEDED:
		if (sink->content_length >= 0)
			return failed(out, INKAN_MTASTS_FAIL_TOO_BIG, inkan_arena_printf(a,
			    "policy body is %lld bytes (Content-Length); at most %u are "
			    "accepted", sink->content_length, INKAN_MTASTS_MAX_POLICY));
		return failed(out, INKAN_MTASTS_FAIL_TOO_BIG, inkan_arena_printf(a,
		    "policy body is announced as over %u bytes; it was not read",
		    INKAN_MTASTS_MAX_POLICY));
	case CURLE_WRITE_ERROR:
		if (!sink->too_big)
			break;
		return failed(out, INKAN_MTASTS_FAIL_TOO_BIG, inkan_arena_printf(a,
		    "policy body passed %u bytes%s; the transfer was stopped",
		    INKAN_MTASTS_MAX_POLICY, sink->content_length < 0 ? " (chunked)" : ""));
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return failed(out, INKAN_MTASTS_FAIL_TLS, inkan_arena_printf(a,
		    "TLS with %s failed: %s", host, detail));
	default:
		break;
	}
	return failed(out, INKAN_MTASTS_FAIL_TRANSFER, inkan_arena_printf(a,
	    "fetching the policy from %s failed: %s", host, detail));
}

int
inkan_mtasts_fetch(struct inkan_arena *a, const char *domain,
    const struct inkan_mtasts_fetch_opts *o, struct inkan_mtasts_fetch_result *out)
{
	static const struct inkan_mtasts_fetch_opts defaults;
	const struct inkan_mtasts_connect *ov;
	struct curl_slist *pin = NULL;
	struct sink sink;
	char errbuf[CURL_ERROR_SIZE];
	const char *host, *why = NULL;
	char *d, *entry = NULL, *ct = NULL, *loc = NULL;
	CURLcode cc;
	CURL *h;
	int rc;

	memset(out, 0, sizeof(*out));
	if (o == NULL)
		o = &defaults;
	rc = inkan__policy_domain(a, domain, &d, &why);
	if (rc != 0)
		return rc == INKAN_ENOMEM ? rc : INKAN_EINVAL;
	host = inkan_arena_printf(a, "mta-sts.%s", d);
	out->url = inkan_arena_printf(a, "https://mta-sts.%s/.well-known/mta-sts.txt", d);
	if (host == NULL || out->url == NULL)
		return INKAN_ENOMEM;
	if (strlen(host) > INKAN_DNAME_MAX_TEXT)
		return failed(out, INKAN_MTASTS_FAIL_DNS, "mta-sts.<domain> is longer than a "
		    "domain name can be");

	if ((ov = find_override(o, host)) != NULL) {
		const char *addr = addr_for_curl(a, ov->addr);

		if (addr == NULL || (entry = inkan_arena_printf(a, "%s:443:%s:%u", host, addr,
		    ov->port ? ov->port : 443)) == NULL)
			return INKAN_ENOMEM;
	} else if (o->resolver != NULL) {
		if ((rc = resolve(o->resolver, a, host, out, &entry)) != 0)
			return rc;
		if (entry == NULL)
			return 0;	/* out says why */
	}

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK || (h = curl_easy_init()) == NULL)
		return INKAN_EIO;
	if (entry != NULL && (pin = curl_slist_append(NULL, entry)) == NULL) {
		curl_easy_cleanup(h);
		return INKAN_ENOMEM;
	}
	inkan_buf_init(&sink.b, INKAN_MTASTS_MAX_POLICY);
	sink.too_big = false;
	sink.content_length = -1;
	errbuf[0] = '\0';

	curl_easy_setopt(h, CURLOPT_URL, out->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file != NULL) {
		/* Only this file: not the system directory as well. */
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(o->connect_timeout_ms ? o->connect_timeout_ms : INKAN_MTASTS_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    (long)(o->timeout_ms ? o->timeout_ms : INKAN_MTASTS_FETCH_TIMEOUT_MS));
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)INKAN_MTASTS_MAX_POLICY);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "inkan");
	if (pin != NULL)
		curl_easy_setopt(h, ov != NULL ? CURLOPT_CONNECT_TO : CURLOPT_RESOLVE, pin);

	cc = curl_easy_perform(h);

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->http_status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
	if (ct != NULL && (out->content_type = inkan_arena_strdup(a, ct)) == NULL)
		rc = INKAN_ENOMEM;
	if (loc != NULL && (out->location = inkan_arena_strdup(a, loc)) == NULL)
		rc = INKAN_ENOMEM;
	if (sink.b.len > 0 && !sink.b.err) {
		if ((out->body = inkan_arena_strndup(a, sink.b.p, sink.b.len)) == NULL)
			rc = INKAN_ENOMEM;
		out->body_len = sink.b.len;
	}
	if (rc != 0)
		goto done;

	/* A redirect or an error status explains a refused body better than
	 * its size does. */
	if (cc != CURLE_OK && !((cc == CURLE_FILESIZE_EXCEEDED || cc == CURLE_WRITE_ERROR) &&
	    out->http_status != 200 && out->http_status != 0)) {
		rc = curl_failure(h, cc, errbuf, &sink, a, host, out);
		goto done;
	}
	if (out->http_status >= 300 && out->http_status < 400) {
		rc = failed(out, INKAN_MTASTS_FAIL_REDIRECT, inkan_arena_printf(a,
		    "HTTP %ld redirect%s%.200s; RFC 8461 §3.3 forbids following redirects",
		    out->http_status, out->location ? " to " : "",
		    out->location ? out->location : ""));
		goto done;
	}
	if (out->http_status != 200) {
		rc = failed(out, INKAN_MTASTS_FAIL_HTTP_STATUS, inkan_arena_printf(a,
		    "HTTP status %ld; only 200 is accepted", out->http_status));
		goto done;
	}
	if (out->content_type == NULL || !is_text_plain(out->content_type)) {
		rc = failed(out, INKAN_MTASTS_FAIL_MEDIA_TYPE, out->content_type ?
		    inkan_arena_printf(a, "Content-Type is \"%.80s\"; the policy must be "
		    "text/plain (RFC 8461 §3.3)", out->content_type) :
		    "no Content-Type; the policy must be text/plain (RFC 8461 §3.3)");
		goto done;
	}
	rc = inkan_mtasts_policy_parse(a, out->body, out->body_len, &out->policy, &out->diag);
	if (rc == 0) {
		out->status = INKAN_MTASTS_FETCH_OK;
	} else if (rc == INKAN_EMALFORMED) {
		out->status = INKAN_MTASTS_FETCH_INVALID;
		out->fail = INKAN_MTASTS_FAIL_POLICY;
		rc = (out->why = inkan_arena_printf(a, "invalid policy: %s", out->diag.why)) ?
		    0 : INKAN_ENOMEM;
	}
done:
	inkan_buf_free(&sink.b);
	curl_slist_free_all(pin);
	curl_easy_cleanup(h);
	return rc;
}

int
inkan_mtasts_discover(struct inkan_resolver *r, struct inkan_arena *a, const char *domain,
    const struct inkan_mtasts_fetch_opts *o, struct inkan_mtasts_result *out)
{
	struct inkan_mtasts_fetch_opts fo;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = inkan_mtasts_record_lookup(r, a, domain, &out->lookup)) != 0)
		return rc;
	switch (out->lookup.status) {
	case INKAN_MTASTS_RECORD_FOUND:
		break;
	case INKAN_MTASTS_RECORD_TEMPERROR:
		out->status = INKAN_MTASTS_FETCH_ERROR;
		out->why = out->lookup.why;
		return 0;
	default:
		out->status = INKAN_MTASTS_NONE;
		out->why = out->lookup.why;
		return 0;
	}
	if (o != NULL)
		fo = *o;
	else
		memset(&fo, 0, sizeof(fo));
	if (fo.resolver == NULL)
		fo.resolver = r;
	out->fetched = true;
	rc = inkan_mtasts_fetch(a, out->lookup.domain, &fo, &out->fetch);
	if (rc != 0)
		return rc;
	if (out->fetch.status == INKAN_MTASTS_FETCH_OK) {
		out->status = INKAN_MTASTS_VALID;
		out->policy = &out->fetch.policy;
		return 0;
	}
	out->status = INKAN_MTASTS_FETCH_ERROR;
	out->why = out->fetch.why;
	return 0;
}
