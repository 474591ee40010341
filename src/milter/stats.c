/* stats.c - the counters in Prometheus text format (version 0.0.4),
 * written to StatsFile through a temporary file and rename(2), so that a
 * reader (node_exporter's textfile collector, a script) never sees half
 * a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milter.h"
#include "inkan/arc.h"
#include "inkan/dkim.h"
#include "inkan/dmarc.h"
#include "inkan/spf.h"

static void
counter(FILE *f, const char *name, const char *help, unsigned long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", name, help, name, name, v);
}

static void
gauge(FILE *f, const char *name, const char *help, unsigned long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %lu\n", name, help, name, name, v);
}

int
stats_write(const char *path)
{
	char tmp[4096];
	struct stats *s = &G.st;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -1;
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	counter(f, "inkan_milter_connections_total", "SMTP connections seen.",
	    atomic_load(&s->connections));
	fprintf(f, "# HELP inkan_milter_messages_total Messages by direction.\n"
	    "# TYPE inkan_milter_messages_total counter\n"
	    "inkan_milter_messages_total{direction=\"inbound\"} %lu\n"
	    "inkan_milter_messages_total{direction=\"outbound\"} %lu\n",
	    atomic_load(&s->messages_in), atomic_load(&s->messages_out));
	fprintf(f, "# HELP inkan_milter_actions_total Inbound messages by action taken.\n"
	    "# TYPE inkan_milter_actions_total counter\n");
	fprintf(f, "inkan_milter_actions_total{action=\"accept\"} %lu\n",
	    atomic_load(&s->accept));
	fprintf(f, "inkan_milter_actions_total{action=\"quarantine\"} %lu\n",
	    atomic_load(&s->quarantine));
	fprintf(f, "inkan_milter_actions_total{action=\"reject\"} %lu\n",
	    atomic_load(&s->reject));
	fprintf(f, "inkan_milter_actions_total{action=\"tempfail\"} %lu\n",
	    atomic_load(&s->tempfail));

	fprintf(f, "# HELP inkan_milter_results_total Inbound results by method.\n"
	    "# TYPE inkan_milter_results_total counter\n");
	for (unsigned i = 0; i < 7; i++)
		fprintf(f, "inkan_milter_results_total{method=\"spf\",result=\"%s\"} %lu\n",
		    inkan_spf_verdict_name((enum inkan_spf_verdict)i), atomic_load(&s->spf[i]));
	for (unsigned i = 0; i < 7; i++)
		fprintf(f, "inkan_milter_results_total{method=\"dkim\",result=\"%s\"} %lu\n",
		    inkan_dkim_result_name((enum inkan_dkim_result)i), atomic_load(&s->dkim[i]));
	for (unsigned i = 0; i < 5; i++)
		fprintf(f, "inkan_milter_results_total{method=\"dmarc\",result=\"%s\"} %lu\n",
		    inkan_dmarc_result_name((enum inkan_dmarc_result)i), atomic_load(&s->dmarc[i]));
	for (unsigned i = 0; i < 3; i++)
		fprintf(f, "inkan_milter_results_total{method=\"arc\",result=\"%s\"} %lu\n",
		    inkan_arc_cv_name((enum inkan_arc_cv)i), atomic_load(&s->arc[i]));

	counter(f, "inkan_milter_forged_authres_removed_total",
	    "Authentication-Results fields claiming our authserv-id, removed.",
	    atomic_load(&s->forged_removed));
	counter(f, "inkan_milter_signed_total", "Outbound messages signed.",
	    atomic_load(&s->signed_msgs));
	counter(f, "inkan_milter_signatures_total", "DKIM-Signature fields added.",
	    atomic_load(&s->signatures));
	counter(f, "inkan_milter_sign_skipped_total",
	    "Outbound messages not signed (no key for the author).",
	    atomic_load(&s->sign_skipped));
	counter(f, "inkan_milter_sign_errors_total", "Outbound messages that failed to sign.",
	    atomic_load(&s->sign_errors));
	counter(f, "inkan_milter_arc_sealed_total", "Forwarded messages ARC-sealed.",
	    atomic_load(&s->arc_sealed));
	counter(f, "inkan_milter_arc_seal_skipped_total",
	    "Messages for ARCSealRecipients not sealed (temperror, broken chain, error).",
	    atomic_load(&s->arc_seal_skipped));
	counter(f, "inkan_milter_verify_errors_total",
	    "Inbound messages not verified because of an internal error.",
	    atomic_load(&s->verify_errors));
	counter(f, "inkan_milter_limit_hits_total",
	    "Inbound messages over a per-message limit.", atomic_load(&s->limit_hits));
	counter(f, "inkan_milter_temperror_accepted_total",
	    "Messages accepted despite a DNS temperror (OnTempError accept).",
	    atomic_load(&s->temperror_accepted));
	counter(f, "inkan_milter_reloads_total", "Successful reloads.", atomic_load(&s->reloads));
	counter(f, "inkan_milter_reload_failures_total", "Failed reloads.",
	    atomic_load(&s->reload_failures));

	static const char *const le[] = { "0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1",
		"5", "+Inf" };
	unsigned long cum = 0;
	fprintf(f, "# HELP inkan_milter_message_seconds Time the milter spent on a message.\n"
	    "# TYPE inkan_milter_message_seconds histogram\n");
	for (int i = 0; i < 9; i++) {
		cum += atomic_load(&s->eom_bucket[i]);
		fprintf(f, "inkan_milter_message_seconds_bucket{le=\"%s\"} %lu\n", le[i], cum);
	}
	fprintf(f, "inkan_milter_message_seconds_sum %.6f\n",
	    (double)atomic_load(&s->eom_us_sum) / 1e6);
	fprintf(f, "inkan_milter_message_seconds_count %lu\n", cum);

	if (G.dns != NULL) {
		struct inkan_dns_shared_stats ds;
		inkan_dns_shared_get_stats(G.dns, &ds);
		counter(f, "inkan_milter_dns_queries_total", "DNS queries sent.", ds.queries);
		counter(f, "inkan_milter_dns_timeouts_total", "DNS queries that timed out.",
		    ds.timeouts);
		counter(f, "inkan_milter_dns_over_budget_total",
		    "DNS queries refused: the message's budget was spent.", ds.over_budget);
		gauge(f, "inkan_milter_dns_inflight", "DNS queries in flight.", ds.inflight);
	}
	if (G.writer != NULL) {
		struct inkan_verdict_writer_stats ws;
		inkan_verdict_writer_get_stats(G.writer, &ws);
		counter(f, "inkan_milter_verdicts_written_total", "Verdicts stored.", ws.written);
		counter(f, "inkan_milter_verdicts_lost_total",
		    "Verdicts lost (queue full, store unavailable, write failed).", ws.lost);
		counter(f, "inkan_milter_verdict_store_failures_total",
		    "Failed opens and writes of the verdict store.", ws.failures);
		gauge(f, "inkan_milter_verdicts_pending", "Verdicts waiting for the store.",
		    (unsigned long)ws.pending);
		gauge(f, "inkan_milter_verdict_store_up", "1 when the verdict store is open.",
		    (unsigned long)ws.store_up);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
