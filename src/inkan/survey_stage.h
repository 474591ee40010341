/* survey_stage.h - the part of `inkan survey run` beyond DNS: MTA-STS
 * policy fetches (--fetch-policies) and STARTTLS probes of MX hosts
 * (--probe-tls), blocking network work done by a few worker threads
 * while the main thread keeps the DNS side going.  See survey_stage.c. */
#ifndef INKAN_SURVEY_STAGE_H
#define INKAN_SURVEY_STAGE_H

#include <stdbool.h>
#include <stdio.h>

#include "inkan/mtasts.h"
#include "inkan/survey.h"

#define SURVEY_STAGE_MAX_CONNECT	32	/* --connect options */
#define SURVEY_STAGE_MAX_THREADS	256	/* --stage-jobs */

struct survey_stage_connect {
	char host[256];		/* "" = any host */
	unsigned service;	/* 25 SMTP, 443 HTTPS, 0 both */
	char addr[64];
	unsigned port;		/* 0 = the service's */
};

struct survey_stage_opts {
	bool fetch_policies, probe_tls;
	const char *ca_file;
	unsigned probe_rate;	/* new SMTP connections a second, in all */
	unsigned threads;
	unsigned timeout_ms;
	struct survey_stage_connect connect[SURVEY_STAGE_MAX_CONNECT];
	size_t nconnect;
};

struct survey_stage;

/* Store job's result (rc: the DNS stage's) in s; called with the store
 * lock held. */
typedef int (*survey_stage_store_fn)(void *job, struct inkan_survey_store *s, int rc);

void survey_stage_opts_default(struct survey_stage_opts *o);
/* Parse HOST[:PORT]=ADDR[:PORT]; 0 or -1. */
int survey_stage_add_connect(struct survey_stage_opts *o, const char *arg);
/* Start the workers.  store_fn/free_fn finish a job handed to the stage. */
int survey_stage_new(const struct survey_stage_opts *o, struct inkan_survey_store *store,
    survey_stage_store_fn store_fn, void (*free_fn)(void *job), struct survey_stage **out);
/* Whether res needs a fetch or a probe. */
bool survey_stage_wants(const struct survey_stage *st, const struct inkan_survey_result *res);
/* Hand a finished DNS job over: res (in a, owned by job) is completed and
 * stored by a worker, then job is freed with free_fn.  Blocks while the
 * queue is full (so memory stays bounded). */
int survey_stage_add(struct survey_stage *st, const char *domain,
    struct inkan_survey_result *res, struct inkan_arena *a, void *job);
/* Store a job that needs no stage, under the stage's store lock (st may
 * be NULL). */
int survey_stage_store(struct survey_stage *st, struct inkan_survey_store *store,
    survey_stage_store_fn fn, void *job, int rc);
/* Wait until every job handed over is stored; stop the workers.  Returns
 * the first store error, or 0. */
int survey_stage_finish(struct survey_stage *st);
/* Counts: policies fetched by mode, probes by outcome. */
void survey_stage_summary(const struct survey_stage *st, FILE *f);
void survey_stage_free(struct survey_stage *st);

#endif
