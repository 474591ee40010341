/* report_send.h - delivering generated reports: the local sendmail
 * program, SMTP to a relay, HTTPS POST (RFC 8460 §5.4).  The CLI's only
 * network and process I/O for reports; the library composes, this sends.
 */
#ifndef INKAN_REPORT_SEND_H
#define INKAN_REPORT_SEND_H

#include <stdbool.h>
#include <stddef.h>

struct report_sender {
	const char *sendmail;		/* path of a sendmail-compatible program */
	const char *smtp_host;		/* when set: SMTP to host:port instead */
	const char *smtp_port;
	const char *helo;		/* EHLO name */
	const char *ca_file;		/* HTTPS: trust these CAs (NULL = system) */
	const char *connect_to;		/* HTTPS: curl CONNECT_TO "H:P:H2:P2" (tests) */
	unsigned timeout_ms;
};

/* The outcome of one delivery: 0 delivered, -1 failed for good
 * (5xx, program exit status other than EX_TEMPFAIL), -2 failed
 * temporarily (4xx, network, EX_TEMPFAIL: try again later).  why says
 * what the other side said. */
int report_send_mail(const struct report_sender *s, const char *from, const char *rcpt,
    const char *msg, size_t len, char *why, size_t whylen);

/* POST data to an https URL with the given Content-Type (RFC 8460 §5.4:
 * a 2xx status is success).  Returns as report_send_mail. */
int report_send_https(const struct report_sender *s, const char *url, const char *ctype,
    const char *data, size_t len, char *why, size_t whylen);

#endif
