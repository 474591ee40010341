/* fuzz_dmarc_xml_out.c - the aggregate report writer against hostile
 * strings.  What a report carries comes partly from the mail it counts
 * (header From and envelope domains, DKIM d= and s=, failure texts), so
 * the input's lines become those strings, any bytes at all; the report is
 * written in both formats and must parse back, with our own parser, to
 * the same number of records and messages.  Anything else aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arena.h"
#include "inkan/report.h"
#include "inkan/report_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define MAX_LINES 64

static const char *const disp[] = { "none", "quarantine", "reject", "pass" };
static const char *const res[] = { "pass", "fail", "none", "temperror", "softfail", NULL };
static const char *const reasons[] = { "local_policy", "sampled_out", "policy_test_mode",
	"forwarded", NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct inkan_arena *a = inkan_arena_new();
	const char *line[MAX_LINES];
	struct inkan_dmarc_report r;
	struct inkan_dmarc_row rows[8];
	struct inkan_dmarc_auth dk[8], spf[8];
	struct inkan_dmarc_reason rs[8];
	size_t nl = 0;
	const char *p = (const char *)data, *end = p + len;

	if (a == NULL)
		return 0;
	while (p < end && nl < MAX_LINES) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			e = end;
		line[nl++] = inkan_arena_strndup(a, p, (size_t)(e - p));
		p = e + 1;
	}
	for (size_t i = nl; i < MAX_LINES; i++)
		line[i] = i % 3 ? "" : NULL;
	memset(&r, 0, sizeof(r));
	memset(rows, 0, sizeof(rows));
	r.org_name = line[0] != NULL ? line[0] : "org";
	r.email = line[1] != NULL ? line[1] : "r@example.com";
	r.report_id = "0123456789abcdef";
	r.domain = "example.com";
	r.extra_contact_info = line[2];
	r.errors = &line[3];
	r.nerrors = line[3] != NULL ? 1 : 0;
	r.p = line[4];
	r.fo = line[5];
	r.testing = len % 2 ? "y" : "n";
	r.begin = 1;
	r.end = 86400;
	r.rows = rows;
	r.nrows = 1 + len % 8;
	for (size_t i = 0; i < r.nrows; i++) {
		const char **l = &line[6 + 7 * i < MAX_LINES - 7 ? 6 + 7 * i : 0];
		unsigned char b = len > i ? data[i] : 0;
		char *ip = inkan_arena_printf(a, b & 1 ? "2001:db8::%x" : "192.0.2.%u", b);

		rows[i].source_ip = ip;
		rows[i].count = (uint64_t)b * 1000003u + 1;
		rows[i].disposition = disp[b % 4];
		rows[i].dkim = b & 2 ? "pass" : "fail";
		rows[i].spf = b & 4 ? "pass" : "x";
		rows[i].header_from = l[0];
		rows[i].envelope_from = l[1];
		rows[i].envelope_to = l[2];
		dk[i] = (struct inkan_dmarc_auth){ l[3], l[4], NULL, res[b % 5], l[5] };
		rows[i].dkim_auth = &dk[i];
		rows[i].ndkim_auth = b & 8 ? 1 : 0;
		spf[i] = (struct inkan_dmarc_auth){ l[6], NULL, b & 16 ? "helo" : "x",
			res[(b >> 2) % 5], NULL };
		rows[i].spf_auth = &spf[i];
		rows[i].nspf_auth = b & 32 ? 1 : 0;
		rs[i] = (struct inkan_dmarc_reason){ reasons[b % 4], l[5] };
		rows[i].reasons = &rs[i];
		rows[i].nreasons = b & 64 ? 1 : 0;
		r.messages += rows[i].count;
	}
	for (int f = 0; f < 2; f++) {
		struct inkan_dmarc_report back;
		struct inkan_report_diag d = { "" };
		char *xml;
		size_t xl;
		int rc = inkan_dmarc_report_xml(a, &r, f ? INKAN_AGGR_RFC7489 : INKAN_AGGR_RFC9990,
		    &xml, &xl);

		if (rc != 0)
			abort();
		rc = inkan_dmarc_parse_xml(a, xml, xl, &back, &d);
		/* An org_name that is only spaces reads back empty: the one
		 * thing a hostile reporter name can do is make the report
		 * unreadable for lack of a name, which the parser says. */
		if (rc != 0 && strstr(d.why, "org_name") == NULL && strstr(d.why, "email") == NULL)
			abort();
		if (rc == 0 && (back.nrows != r.nrows || back.messages != r.messages))
			abort();
	}
	inkan_arena_free(a);
	return 0;
}
