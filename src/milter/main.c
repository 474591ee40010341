/* main.c - inkan-milter: start, drop privileges, reload, stop.
 *
 * Start-up order: read the configuration and load the signing keys (as
 * root, so that keys and sockets root owns can be opened), set up the
 * resolver hub and the verdict writer, open the milter socket, write the
 * PID file, then drop to UserID.  Only then does libmilter accept
 * connections.
 *
 * Signals.  libmilter runs a thread that sigwait()s for SIGHUP, SIGTERM
 * and SIGINT and stops the filter on any of them.  smfi_main() therefore
 * runs in a thread of its own, every thread but the main one blocks
 * these signals, and the main thread takes them with handlers: Linux
 * offers a process-directed signal to the thread group leader first
 * whenever it does not block it, so SIGHUP reaches us and reloads.
 * (Only when the main thread already has a signal pending can the
 * kernel pick another thread; SIGUSR1 reloads too and never reaches
 * libmilter.)  SIGTERM and SIGINT stop the filter with smfi_stop():
 * libmilter stops accepting, and the MTA applies its
 * milter_default_action to what was in flight.
 *
 * The main thread also writes the counters to StatsFile every
 * StatsInterval seconds.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <libmilter/mfapi.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"
#include "inkan/arena.h"
#include "inkan/error.h"

struct milter G;

static const char usage[] =
"usage: inkan-milter [-c FILE] [-n] [-V]\n"
"\n"
"Authenticate inbound mail (SPF, DKIM, ARC, DMARC; Authentication-Results)\n"
"and DKIM-sign outbound mail, as a Postfix or Sendmail milter.\n"
"\n"
"  -c FILE   configuration (default /etc/inkan/inkan-milter.conf);\n"
"            see inkan-milter.conf(5)\n"
"  -n        check the configuration and the keys, then exit\n"
"  -V        print the version and exit\n"
"\n"
"Runs in the foreground.  SIGHUP or SIGUSR1 reloads the configuration and\n"
"the keys; SIGTERM stops.\n";

/* ---- logging ---- */

void
mlog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (G.stderr_log) {
		char line[9000];
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld inkan-milter[%ld]: %s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    ts.tv_nsec / 1000000L, (long)getpid(), line);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

static void
writer_log(void *arg, const char *line)
{
	(void)arg;
	mlog(LOG_WARNING, "%s", line);
}

/* ---- the runtime ---- */

struct runtime *
runtime_get(void)
{
	pthread_mutex_lock(&G.rt_mu);
	struct runtime *rt = G.rt;
	atomic_fetch_add(&rt->refs, 1);
	pthread_mutex_unlock(&G.rt_mu);
	return rt;
}

void
runtime_put(struct runtime *rt)
{
	if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
		return;
	inkan_signtable_release(rt->keys);
	inkan_dkim_key_free(rt->arc_key);
	conf_free(rt->conf);
	free(rt);
}

/* A key file must belong to root, to us, or to the user we run as:
 * anybody else could replace it with their own key. */
static int
check_key_owner(const char *path, const char *user, char *err, size_t errlen)
{
	struct stat st;
	struct passwd *pw = user != NULL ? getpwnam(user) : NULL;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() && (pw == NULL || st.st_uid != pw->pw_uid)) {
		snprintf(err, errlen, "%s: owned by uid %lu, not by root or by the milter's user",
		    path, (unsigned long)st.st_uid);
		return -1;
	}
	return 0;
}

struct runtime *
runtime_load(const char *path, char *err, size_t errlen)
{
	struct runtime *rt = calloc(1, sizeof(*rt));

	if (rt == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&rt->refs, 1);
	if ((rt->conf = conf_load(path, err, errlen)) == NULL) {
		free(rt);
		return NULL;
	}
	const struct conf *c = rt->conf;
	if (c->nsign_rows > 0) {
		if (inkan_signtable_new(&rt->keys) != 0) {
			snprintf(err, errlen, "out of memory");
			runtime_put(rt);
			return NULL;
		}
		for (size_t i = 0; i < c->nsign_rows; i++) {
			const struct sign_row *r = &c->sign_rows[i];
			if (!c->allow_unsafe_keys && check_key_owner(r->keyfile, c->user, err, errlen) != 0) {
				runtime_put(rt);
				return NULL;
			}
			if (inkan_signtable_add(rt->keys, r->pattern, r->domain, r->selector,
			    r->keyfile, c->allow_unsafe_keys ? INKAN_DKIM_KEY_INSECURE : 0, err,
			    errlen) != 0) {
				runtime_put(rt);
				return NULL;
			}
		}
	}
	if (c->arc_keyfile != NULL) {
		const char *why = NULL;
		if (!c->allow_unsafe_keys && check_key_owner(c->arc_keyfile, c->user, err,
		    errlen) != 0) {
			runtime_put(rt);
			return NULL;
		}
		int kerr = inkan_dkim_key_load_file(c->arc_keyfile,
		    c->allow_unsafe_keys ? INKAN_DKIM_KEY_INSECURE : 0, &rt->arc_key, &why);
		if (kerr == 0 && strcmp(inkan_dkim_key_type(rt->arc_key), "rsa") != 0) {
			why = "ARC seals are rsa-sha256 only (RFC 8617 4.1.3): an RSA key is needed";
			kerr = INKAN_EINVAL;
		}
		if (kerr != 0) {
			snprintf(err, errlen, "%s: %s", c->arc_keyfile,
			    why != NULL ? why : inkan_strerror(kerr));
			runtime_put(rt);
			return NULL;
		}
	}
	return rt;
}

/* Settings read once at start; a change needs a restart. */
static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
runtime_reload(void)
{
	char err[1024];
	struct runtime *rt = runtime_load(G.boot->path, err, sizeof(err));

	if (rt == NULL) {
		atomic_fetch_add(&G.st.reload_failures, 1);
		mlog(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
		return;
	}
	const struct conf *n = rt->conf, *o = G.boot;
	if (!same_str(n->socket, o->socket) || !same_str(n->user, o->user) ||
	    !same_str(n->verdict_store, o->verdict_store) ||
	    !same_str(n->trust_anchor_file, o->trust_anchor_file) ||
	    n->dns_timeout_ms != o->dns_timeout_ms || n->no_dnssec != o->no_dnssec)
		mlog(LOG_WARNING, "reload: Socket, UserID, VerdictStore and DNS settings take"
		    " effect only after a restart");
	pthread_mutex_lock(&G.rt_mu);
	struct runtime *old = G.rt;
	G.rt = rt;
	pthread_mutex_unlock(&G.rt_mu);
	runtime_put(old);
	atomic_fetch_add(&G.st.reloads, 1);
	mlog(LOG_INFO, "reloaded %s: %zu signing key%s", n->path,
	    inkan_signtable_count(rt->keys), inkan_signtable_count(rt->keys) == 1 ? "" : "s");
}

/* ---- DNS ---- */

static int
dns_setup(const struct conf *c)
{
	const char *why = NULL;
	int err;

	if (c->zone_files != NULL) {
		if (inkan_zone_new(&G.zone) != 0)
			return -1;
		for (size_t i = 0; c->zone_files[i] != NULL; i++) {
			char *zwhy = NULL;
			if (inkan_zone_load_file(G.zone, c->zone_files[i], NULL, &zwhy) != 0) {
				mlog(LOG_ERR, "%s", zwhy != NULL ? zwhy : c->zone_files[i]);
				free(zwhy);
				return -1;
			}
		}
		if (inkan_resolver_zone_new(G.zone, &G.base) != 0)
			return -1;
	} else {
		/* Names unbound answers itself (RFC 6761 test., ...) go to a
		 * configured forwarder, which may serve them (a lab). */
		static const char *const transparent[] = { "test", "invalid", "local",
			"home.arpa", NULL };
		struct inkan_unbound_opts o = {
			.forwarders = (const char *const *)c->resolvers,
			.trust_anchor_file = c->trust_anchor_file,
			.no_dnssec = c->no_dnssec,
			.timeout_ms = c->dns_timeout_ms,
			.transparent_zones = c->resolvers != NULL ? transparent : NULL,
		};
		if ((err = inkan_resolver_unbound_new(&o, &G.base, &why)) != 0) {
			mlog(LOG_ERR, "cannot set up the resolver: %s", why ? why : inkan_strerror(err));
			return -1;
		}
	}
	if ((err = inkan_dns_shared_new(G.base, &G.dns, &why)) != 0) {
		mlog(LOG_ERR, "cannot set up the shared resolver: %s",
		    why ? why : inkan_strerror(err));
		return -1;
	}
	return 0;
}

/* ---- privileges ---- */

static void
give(const char *path, const struct passwd *pw, bool may_be_missing)
{
	if (chown(path, pw->pw_uid, pw->pw_gid) != 0 && !(may_be_missing && errno == ENOENT))
		mlog(LOG_WARNING, "chown %s: %s", path, strerror(errno));
}

static int
drop_privileges(const struct conf *c)
{
	const char *user = c->user;
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		mlog(LOG_ERR, "UserID %s: no such user", user);
		return -1;
	}
	/* A unix socket is ours to remove at exit. */
	if (strncmp(c->socket, "unix:", 5) == 0 || strncmp(c->socket, "local:", 6) == 0)
		give(strchr(c->socket, ':') + 1, pw, false);
	/* The verdict store was opened (perhaps created) before the drop;
	 * the writer must be able to open it again after a failure. */
	if (c->verdict_store != NULL) {
		char p[4096];
		give(c->verdict_store, pw, true);
		snprintf(p, sizeof(p), "%s-wal", c->verdict_store);
		give(p, pw, true);
		snprintf(p, sizeof(p), "%s-shm", c->verdict_store);
		give(p, pw, true);
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		mlog(LOG_ERR, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	/* Make sure it cannot be undone. */
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		mlog(LOG_ERR, "privileges could be regained after dropping them");
		return -1;
	}
	return 0;
}

/* ---- the listening socket ---- */

/* libmilter sends each reply and each header change as its own packet;
 * at end of message a change and the final reply go out back to back,
 * and with Nagle's algorithm the second waits for the MTA's delayed ACK
 * (40 ms on Linux) although the MTA is waiting for it.  libmilter does
 * not hand out its socket, so find the listening TCP socket it opened
 * and set TCP_NODELAY there: Linux copies it to every accepted socket. */
static void
nodelay_listeners(void)
{
	for (int fd = 0; fd < 1024; fd++) {
		int on = 0;
		socklen_t len = sizeof(on);
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 || !on)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		on = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0)
			mlog(LOG_WARNING, "TCP_NODELAY on the milter socket: %s", strerror(errno));
	}
}

/* ---- the filter thread ---- */

static pthread_t main_thread;
static atomic_int milter_done;
static atomic_int milter_rc;
static int sig_pipe[2] = { -1, -1 };

/* The signal handler: hand the signal number to the main loop. */
static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: the main loop has plenty to read */
	}
	errno = saved;
}

static void *
milter_thread(void *arg)
{
	(void)arg;
	atomic_store(&milter_rc, smfi_main());
	atomic_store(&milter_done, 1);
	pthread_kill(main_thread, SIGUSR2);	/* wake the main thread */
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *path = "/etc/inkan/inkan-milter.conf";
	bool check_only = false;
	char err[1024];
	int ch;

	while ((ch = getopt(argc, argv, "c:nVh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'V':
			printf("inkan-milter 0.1.0\n");
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
		fputs(usage, stderr);
		return 64;
	}
	G.stderr_log = true;
	pthread_mutex_init(&G.rt_mu, NULL);
	if ((G.rt = runtime_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "inkan-milter: %s\n", err);
		return 78;	/* EX_CONFIG */
	}
	/* A second copy for the settings that need a restart. */
	if ((G.boot = conf_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "inkan-milter: %s\n", err);
		return 78;
	}
	const struct conf *c = G.boot;
	if (check_only) {
		printf("%s: OK, %zu signing key%s\n", path, inkan_signtable_count(G.rt->keys),
		    inkan_signtable_count(G.rt->keys) == 1 ? "" : "s");
		return 0;
	}
	G.stderr_log = c->log_stderr;
	if (!G.stderr_log)
		openlog("inkan-milter", LOG_PID | LOG_NDELAY, c->syslog_facility);

	/* Block the signals we wait for before any thread exists, so that
	 * every thread inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (dns_setup(c) != 0)
		return 69;
	if (c->verdict_store != NULL) {
		struct inkan_verdict_writer_opts wo = { .log = writer_log };
		if (inkan_verdict_writer_new(c->verdict_store, &wo, &G.writer, err,
		    sizeof(err)) != 0) {
			mlog(LOG_ERR, "cannot start the verdict writer");
			return 70;
		}
		if (err[0] != '\0')
			mlog(LOG_WARNING, "verdict store: %s (mail flows; verdicts are counted as"
			    " lost until it opens)", err);
	}
	if (c->socket_mode >= 0)
		umask((mode_t)c->socket_mode);
	if (smfi_setconn(c->socket) != MI_SUCCESS || smfi_register(inkan_filter) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		mlog(LOG_ERR, "cannot open the milter socket %s", c->socket);
		return 71;
	}
	nodelay_listeners();
	if (c->pidfile != NULL) {
		FILE *f = fopen(c->pidfile, "w");
		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
			mlog(LOG_ERR, "cannot write %s: %s", c->pidfile, strerror(errno));
			return 73;
		}
	}
	if (drop_privileges(c) != 0)
		return 77;

	main_thread = pthread_self();
	pthread_t mt;
	if (pthread_create(&mt, NULL, milter_thread, NULL) != 0) {
		mlog(LOG_ERR, "cannot start the milter thread");
		return 71;
	}
	/* Every other thread blocks these signals (they inherited the mask);
	 * the main thread now takes them with handlers, so that the kernel,
	 * which offers a process-directed signal to the thread group leader
	 * first, gives them to us and not to libmilter's sigwait() thread. */
	if (pipe(sig_pipe) != 0) {
		mlog(LOG_ERR, "pipe: %s", strerror(errno));
		return 71;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	mlog(LOG_NOTICE, "started: socket %s, authserv-id %s, %zu signing key%s%s%s",
	    c->socket, c->authserv_id, inkan_signtable_count(G.rt->keys),
	    inkan_signtable_count(G.rt->keys) == 1 ? "" : "s",
	    c->user != NULL ? ", running as " : "", c->user != NULL ? c->user : "");

	int interval_ms = (int)(c->stats_interval > 0 ? c->stats_interval : 10) * 1000;
	bool stopping = false;
	while (!atomic_load(&milter_done)) {
		struct pollfd pfd = { .fd = sig_pipe[0], .events = POLLIN };
		unsigned char sig = 0;
		if (poll(&pfd, 1, interval_ms) > 0 && read(sig_pipe[0], &sig, 1) != 1)
			sig = 0;
		if (atomic_load(&milter_done))
			break;
		if (sig == SIGHUP || sig == SIGUSR1) {
			runtime_reload();
		} else if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
			mlog(LOG_NOTICE, "stopping on signal %d", sig);
			stopping = true;
			smfi_stop();
		}
		if (c->stats_file != NULL && stats_write(c->stats_file) != 0)
			mlog(LOG_WARNING, "cannot write %s: %s", c->stats_file, strerror(errno));
	}
	pthread_join(mt, NULL);
	/* Connections still in flight die with the process: the MTA applies
	 * its default action to them.  Write what is queued and stop. */
	if (G.writer != NULL && inkan_verdict_writer_flush(G.writer, 10000) != 0)
		mlog(LOG_WARNING, "verdict store: not everything was written in 10 s");
	if (c->stats_file != NULL)
		stats_write(c->stats_file);
	if (c->pidfile != NULL)
		unlink(c->pidfile);
	mlog(LOG_NOTICE, "stopped");
	return atomic_load(&milter_rc) == MI_SUCCESS ? 0 : 1;
}
