/* ub_config_lock.c - LD_PRELOAD shim for the milter bench: serialise
 * libunbound's ub_ctx_config().
 *
 * OpenDKIM 2.11 (Debian) reads its ResolverConfiguration file with
 * ub_ctx_config() from several threads at once when the first messages
 * arrive together; libunbound's configuration parser (flex) is not
 * reentrant, and OpenDKIM dies with "fatal flex scanner internal error"
 * within seconds of a 20-session load.  The bench needs OpenDKIM to
 * resolve through our NSD (a forward zone with do-not-query-localhost
 * off, which only that file can give), so it runs OpenDKIM with this
 * shim: the parse is done one thread at a time, nothing else changes.
 * Each call is counted on standard error ("ub_ctx_config call N").
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct ub_ctx;

int ub_ctx_config(struct ub_ctx *ctx, const char *fname);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long calls;

int
ub_ctx_config(struct ub_ctx *ctx, const char *fname)
{
	static int (*real)(struct ub_ctx *, const char *);
	int r;

	pthread_mutex_lock(&mu);
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "ub_ctx_config");
	r = real != NULL ? real(ctx, fname) : -1;
	fprintf(stderr, "ub_ctx_config call %lu -> %d\n", ++calls, r);
	pthread_mutex_unlock(&mu);
	return r;
}
