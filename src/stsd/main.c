/* main.c - inkan-stsd: start, drop privileges, run, stop.
 *
 * Start-up order: read the configuration (file, then -o overrides),
 * refuse to run as root without a user to become, open the listeners
 * and the state directory as root (ports below 1024, sockets in /run),
 * write the PID file, drop to the user, then start the workers (their
 * resolvers and policy caches are opened as the user, so the files they
 * create belong to it) and run the event loop (server.c).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "stsd.h"

static bool log_stderr = true;

void
slog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_stderr) {
		char line[4096];
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld inkan-stsd[%ld]: %s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    ts.tv_nsec / 1000000L, (long)getpid(), line);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

static const char usage[] =
"usage: inkan-stsd [-c FILE] [-o NAME=VALUE]... [-u USER] [-n] [-V]\n"
"\n"
"Answer Postfix's smtp_tls_policy_maps (socketmap or tcp_table) with the\n"
"TLS policy of the recipient domain: DANE when its MX hosts have\n"
"DNSSEC-secure TLSA records, else a valid MTA-STS policy in enforce mode,\n"
"else the default answer; collect TLS-RPT session results.\n"
"\n"
"  -c, --config FILE    configuration (default /etc/inkan/inkan-stsd.conf,\n"
"                       used when it exists); see inkan-stsd.conf(5)\n"
"  -o, --set NAME=VALUE a setting of inkan-stsd.conf(5), after the file;\n"
"                       repeatable (-o Socketmap=inet:127.0.0.1:8461)\n"
"  -u, --user USER      run as USER (the UserID setting); required when\n"
"                       started as root\n"
"  -n, --check          check the configuration, then exit\n"
"  -V, --version        print the version and exit\n"
"  -h, --help           this text\n"
"\n"
"Runs in the foreground.  SIGHUP reloads the configuration and clears the\n"
"answer cache; SIGTERM stops after answering what is in flight.\n"
"Exit status: 0 stopped, 64 usage, 78 configuration, 69 resolver or policy\n"
"engine, 71 sockets, 73 PID file or state directory, 77 privileges.\n";

static int
drop_privileges(const struct conf *c)
{
	struct passwd *pw;

	if (c->user == NULL) {
		if (geteuid() == 0) {
			slog(LOG_ERR, "refusing to run as root: give a user to run as"
			    " (--user USER or UserID)");
			return -1;
		}
		return 0;
	}
	if ((pw = getpwnam(c->user)) == NULL) {
		slog(LOG_ERR, "UserID %s: no such user", c->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		slog(LOG_ERR, "UserID %s is root: choose an unprivileged user", c->user);
		return -1;
	}
	/* Our unix sockets and state directory belong to the user, who
	 * removes the sockets at exit and writes the session files. */
	extern const char *server_unix_path(size_t i);
	for (size_t i = 0; server_unix_path(i) != NULL; i++)
		if (chown(server_unix_path(i), pw->pw_uid, pw->pw_gid) != 0)
			slog(LOG_WARNING, "chown %s: %s", server_unix_path(i), strerror(errno));
	if (c->state_dir != NULL && chown(c->state_dir, pw->pw_uid, pw->pw_gid) != 0)
		slog(LOG_WARNING, "chown %s: %s", c->state_dir, strerror(errno));
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		slog(LOG_ERR, "cannot become %s: not started as root", c->user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		slog(LOG_ERR, "cannot become %s: %s", c->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		slog(LOG_ERR, "privileges could be regained after dropping them");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 'u' },
		{ "check", no_argument, NULL, 'n' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "/etc/inkan/inkan-stsd.conf";
	bool must_exist = false, check_only = false;
	char **ov = calloc((size_t)argc + 2, sizeof(*ov));
	size_t nov = 0;
	const char *user = NULL;
	char err[1024];
	int ch;

	if (ov == NULL)
		return 71;
	while ((ch = getopt_long(argc, argv, "c:o:u:nVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			must_exist = true;
			break;
		case 'o':
			ov[nov++] = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'V':
			printf("inkan-stsd 0.1.0\n");
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 64;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "inkan-stsd: unexpected argument '%s'\n", argv[optind]);
		fputs(usage, stderr);
		return 64;
	}
	if (user != NULL) {
		static char ubuf[300];
		snprintf(ubuf, sizeof(ubuf), "UserID=%s", user);
		ov[nov++] = ubuf;
	}
	ov[nov] = NULL;
	struct conf *c = conf_load(path, must_exist, ov, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "inkan-stsd: %s\n", err);
		return 78;
	}
	if (check_only) {
		printf("%s: OK\n", c->path != NULL ? c->path : "settings");
		conf_free(c);
		free(ov);
		return 0;
	}
	log_stderr = c->log_stderr;
	if (!log_stderr)
		openlog("inkan-stsd", LOG_PID | LOG_NDELAY, c->syslog_facility);
	if (geteuid() == 0 && c->user == NULL) {
		fprintf(stderr, "inkan-stsd: refusing to run as root: give a user to run as"
		    " (--user USER or UserID)\n");
		slog(LOG_ERR, "refusing to run as root: give a user to run as (--user USER or"
		    " UserID)");
		return 77;
	}
	if (c->state_dir != NULL && mkdir(c->state_dir, 0750) != 0 && errno != EEXIST) {
		slog(LOG_ERR, "StateDirectory %s: %s", c->state_dir, strerror(errno));
		return 73;
	}
	if (server_listen(c) != 0)
		return 71;
	if (c->pidfile != NULL) {
		FILE *f = fopen(c->pidfile, "w");
		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
			slog(LOG_ERR, "cannot write %s: %s", c->pidfile, strerror(errno));
			return 73;
		}
	}
	if (drop_privileges(c) != 0)
		return 77;
	int rc = server_run(c, must_exist || access(path, F_OK) == 0 ? path : NULL, ov,
	    must_exist);
	if (c->pidfile != NULL)
		unlink(c->pidfile);
	conf_free(c);
	free(ov);
	return rc;
}
