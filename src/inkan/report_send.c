/* report_send.c - deliver a generated report: the local sendmail
 * program, SMTP (RFC 5321) to a relay, or HTTPS POST (RFC 8460 §5.4).
 *
 * The SMTP client is the smallest that is correct for one message to a
 * relay we were told to use: EHLO (HELO if refused), MAIL, one RCPT,
 * DATA with CRLF line ends and dot-stuffing (§4.5.2), QUIT.  No
 * STARTTLS: it talks to the local or site relay, which does the
 * transport security of the hop that matters (RFC 9990 "SHOULD employ a
 * secure transport" is the relay's job).  Every read and write has a
 * timeout and every reply line a length cap, so a silent or chatty peer
 * cannot hang or grow us.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "report_send.h"

#define SMTP_MAX_LINE	4096	/* RFC 5321 §4.5.3.1.5 says 512; be lenient */
#define SMTP_MAX_LINES	100	/* lines of one multi-line reply */
#define EX_TEMPFAIL	75	/* sysexits.h: sendmail's "try again later" */

struct conn {
	int fd;
	char buf[SMTP_MAX_LINE];
	size_t len;
	char *why;
	size_t whylen;
};

static int fail(struct conn *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct conn *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One reply: its code (or -1 with why), the last line's text in why. */
static int
reply(struct conn *c)
{
	for (int lines = 0; lines < SMTP_MAX_LINES; lines++) {
		char *nl;

		while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
			ssize_t r;

			if (c->len == sizeof(c->buf))
				return fail(c, -1, "reply line longer than %d bytes", SMTP_MAX_LINE);
			r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return fail(c, -1, "connection %s", r == 0 ? "closed" :
				    errno == EAGAIN ? "timed out" : strerror(errno));
			c->len += (size_t)r;
		}
		size_t l = (size_t)(nl - c->buf);	/* without the LF; < SMTP_MAX_LINE */
		char line[SMTP_MAX_LINE];

		memcpy(line, c->buf, l);
		line[l] = '\0';
		memmove(c->buf, nl + 1, c->len - l - 1);
		c->len -= l + 1;
		if (l > 0 && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || (l > 3 && line[3] != ' ' && line[3] != '-'))
			return fail(c, -1, "not an SMTP reply: %.200s", line);
		snprintf(c->why, c->whylen, "%.300s", line);
		if (l == 3 || line[3] == ' ')
			return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	}
	return fail(c, -1, "reply of more than %d lines", SMTP_MAX_LINES);
}

/* Send a command, read the reply, want a code of class 2 (or 3 for
 * DATA).  0, -1 permanent, -2 temporary. */
static int
command(struct conn *c, const char *cmd, int want)
{
	int code;

	if (cmd != NULL && write_all(c->fd, cmd, strlen(cmd)) != 0)
		return fail(c, -2, "write: %s", strerror(errno));
	if ((code = reply(c)) < 0)
		return -2;
	if (code / 100 == want)
		return 0;
	return code / 100 == 4 ? -2 : -1;
}

static int
dial(const char *host, const char *port, unsigned timeout_ms, char *why, size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(why, whylen, "connect %s:%s: %s", host, port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* DATA body: LF or CRLF in, CRLF out, a leading "." doubled. */
static int
send_body(struct conn *c, const char *msg, size_t len)
{
	char out[8192];
	size_t n = 0;
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		if (n + 4 > sizeof(out)) {
			if (write_all(c->fd, out, n) != 0)
				return -1;
			n = 0;
		}
		if (bol && msg[i] == '.')
			out[n++] = '.';
		if (msg[i] == '\n') {
			if (i == 0 || msg[i - 1] != '\r')
				out[n++] = '\r';
			out[n++] = '\n';
			bol = true;
		} else {
			out[n++] = msg[i];
			bol = false;
		}
	}
	if (!bol) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	return write_all(c->fd, out, n) == 0 ? write_all(c->fd, ".\r\n", 3) : -1;
}

static int
smtp_send(const struct report_sender *s, const char *from, const char *rcpt, const char *msg,
    size_t len, char *why, size_t whylen)
{
	struct conn c = { -1, "", 0, why, whylen };
	char cmd[1024];
	int rc;

	if ((c.fd = dial(s->smtp_host, s->smtp_port, s->timeout_ms, why, whylen)) < 0)
		return -2;
	if ((rc = command(&c, NULL, 2)) != 0)
		goto done;
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", s->helo);
	if ((rc = command(&c, cmd, 2)) == -1) {
		snprintf(cmd, sizeof(cmd), "HELO %s\r\n", s->helo);
		rc = command(&c, cmd, 2);
	}
	if (rc != 0)
		goto done;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", from);
	if ((rc = command(&c, cmd, 2)) != 0)
		goto done;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", rcpt);
	if ((rc = command(&c, cmd, 2)) != 0)
		goto done;
	if ((rc = command(&c, "DATA\r\n", 3)) != 0)
		goto done;
	if (send_body(&c, msg, len) != 0) {
		snprintf(why, whylen, "write: %s", strerror(errno));
		rc = -2;
		goto done;
	}
	if ((rc = command(&c, NULL, 2)) == 0)
		(void)command(&c, "QUIT\r\n", 2);
	if (rc == 0)
		why[0] = '\0';
done:
	close(c.fd);
	return rc;
}

static int
sendmail_send(const struct report_sender *s, const char *from, const char *rcpt,
    const char *msg, size_t len, char *why, size_t whylen)
{
	struct sigaction ign, old;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -2;
	}
	if ((pid = fork()) < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -2;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		/* -oi: a line with a single "." does not end the message. */
		execl(s->sendmail, "sendmail", "-oi", "-f", from, "--", rcpt, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	int wr = write_all(fds[1], msg, len);
	close(fds[1]);
	sigaction(SIGPIPE, &old, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && wr == 0) {
		why[0] = '\0';
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(why, whylen, "%s could not be run", s->sendmail);
	else if (WIFEXITED(status))
		snprintf(why, whylen, "%s exited with status %d", s->sendmail,
		    WEXITSTATUS(status));
	else
		snprintf(why, whylen, "%s was killed by signal %d", s->sendmail,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == EX_TEMPFAIL ? -2 : -1;
}

int
report_send_mail(const struct report_sender *s, const char *from, const char *rcpt,
    const char *msg, size_t len, char *why, size_t whylen)
{
	/* An address with a line break or <> would break the SMTP command
	 * or the argument list's meaning. */
	if (strpbrk(from, "\r\n<> ") != NULL || strpbrk(rcpt, "\r\n<> ") != NULL ||
	    rcpt[0] == '-') {
		snprintf(why, whylen, "refusing an address with spaces, <>, line breaks or a"
		    " leading '-'");
		return -1;
	}
	if (s->smtp_host != NULL)
		return smtp_send(s, from, rcpt, msg, len, why, whylen);
	return sendmail_send(s, from, rcpt, msg, len, why, whylen);
}

int
report_send_https(const struct report_sender *s, const char *url, const char *ctype,
    const char *data, size_t len, char *why, size_t whylen)
{
	struct curl_slist *hdr = NULL, *ct = NULL;
	char h[256], err[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	CURL *e;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (e = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "libcurl cannot start");
		return -2;
	}
	snprintf(h, sizeof(h), "Content-Type: %s", ctype);
	hdr = curl_slist_append(NULL, h);
	curl_easy_setopt(e, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, data);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (s->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
	if (s->connect_to != NULL) {
		ct = curl_slist_append(NULL, s->connect_to);
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, ct);
	}
	rc = curl_easy_perform(e);
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	curl_slist_free_all(hdr);
	curl_slist_free_all(ct);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", err[0] ? err : curl_easy_strerror(rc));
		return -2;
	}
	if (status >= 200 && status < 300) {
		why[0] = '\0';
		return 0;
	}
	snprintf(why, whylen, "HTTP status %ld", status);
	return status >= 500 ? -2 : -1;
}
