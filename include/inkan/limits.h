/* limits.h - every input and processing limit of inkan, with its reason.
 *
 * One place, so that a reviewer can see what bounds the work one hostile
 * message, record or zone can cause.  Limits that come from an RFC cite it.
 */
#ifndef INKAN_LIMITS_H
#define INKAN_LIMITS_H

/* ---- domain names ---- */

/* RFC 1035 §2.3.4: a label is at most 63 octets. */
#define INKAN_DNAME_MAX_LABEL		63
/* RFC 1035 §2.3.4: a name is at most 255 octets on the wire, which is
 * 253 characters in presentation form without the trailing dot. */
#define INKAN_DNAME_MAX_TEXT		253
/* RFC 1035 §2.3.4: 127 labels at most in 255 octets. */
#define INKAN_DNAME_MAX_LABELS		127

/* ---- DNS answers ---- */

/* A TXT record's text is at most 65535 octets of rdata; SPF and DKIM
 * records beyond this cannot exist on the wire. */
#define INKAN_DNS_MAX_RDATA		65535
/* Records kept from one RRset.  A real RRset this large is an attack or a
 * mistake; the rest is dropped and the answer marked truncated. */
#define INKAN_DNS_MAX_RRS		256
/* RFC 1034 §3.6.2 lets CNAMEs chain; resolvers stop at a small depth.
 * Unbound uses 11 (max-query-restarts); we follow a CNAME chain at most
 * this far in the zone backend. */
#define INKAN_DNS_MAX_CNAME_CHAIN	11
/* Entries the TTL cache keeps before it evicts; bounds memory of long
 * batch runs. */
#define INKAN_DNS_CACHE_MAX_ENTRIES	(1u << 20)
/* Default per-query timeout of the unbound backend, milliseconds. */
#define INKAN_DNS_DEFAULT_TIMEOUT_MS	5000
/* Zone files: largest file we load (bytes) and most records.  The zone
 * backend is for what-if checks and tests, not for serving the root. */
#define INKAN_ZONE_MAX_FILE		(256u << 20)
#define INKAN_ZONE_MAX_RRS		(4u << 20)
/* Longest time the cache keeps an answer, seconds.  A day, as Unbound's
 * cache-max-ttl: a record with a week-long TTL that changes is seen by a
 * long batch run within a day. */
#define INKAN_DNS_CACHE_MAX_TTL		86400
/* Shortest time a cache-only cache (the bulk driver's) keeps an answer,
 * seconds.  An answer with TTL 0, or a SERVFAIL, must outlive the re-run
 * of the jobs that waited for it, or they would ask again for ever. */
#define INKAN_DNS_CACHE_ONLY_MIN_TTL	60
/* Queries inside libunbound at once from the asynchronous backend; more
 * wait in its backlog.  Below the num-queries-per-thread (4096) we give
 * unbound, past which it fails queries instead of resolving them. */
#define INKAN_DNS_ASYNC_MAX_INFLIGHT	2048
/* The stub resolver (async_stub.c): long-lived UDP sockets to the
 * forwarder, each on its own random source port (RFC 5452 §9.2: port and
 * ID randomisation are what make spoofing costly), queries sent or
 * received per system call, and queries waiting beyond the in-flight
 * bound (INKAN_DNS_ASYNC_MAX_INFLIGHT).  The bulk driver keeps pending
 * queries below its job count; the bound catches any other caller. */
#define INKAN_DNS_STUB_SOCKETS		4
#define INKAN_DNS_STUB_BATCH		64
#define INKAN_DNS_STUB_MAX_PENDING	(1u << 20)
/* Receive buffer asked for each stub socket, bytes (async_stub.c says why). */
#define INKAN_DNS_STUB_SOCKBUF		(4 << 20)
/* RFC 6891 §6.2.5 and the DNS flag day 2020: a 1232-octet EDNS buffer
 * avoids IP fragmentation on any path with an MTU of 1280. */
#define INKAN_DNS_STUB_EDNS_SIZE	1232

/* ---- SPF (RFC 7208) ---- */

/* RFC 7208 §4.6.4: at most 10 terms that cause DNS queries (include, a,
 * mx, ptr, exists, redirect); more is permerror.  Keeps one message from
 * driving unbounded lookups. */
#define INKAN_SPF_MAX_DNS_TERMS		10
/* RFC 7208 §4.6.4: more than 2 "void lookups" (NXDOMAIN or no answer)
 * is permerror; stops abuse by records that point at nothing. */
#define INKAN_SPF_MAX_VOID_LOOKUPS	2
/* RFC 7208 §4.6.4: an mx mechanism looks at no more than 10 MX names;
 * more is permerror. */
#define INKAN_SPF_MAX_MX_NAMES		10
/* RFC 7208 §4.6.4: a ptr mechanism (and %{p}) considers no more than 10
 * PTR names; the rest are ignored. */
#define INKAN_SPF_MAX_PTR_NAMES		10
/* RFC 7208 §7.3: macro expansion may produce a name of at most 253
 * characters; longer is shortened from the left. */
#define INKAN_SPF_MAX_EXPANDED		253
/* Largest SPF record text we parse (all strings of one TXT record).  Far
 * above what fits in one DNS message; the limit only bounds parser work. */
#define INKAN_SPF_MAX_RECORD		8192
/* Terms parsed from one record; more is permerror (no real record has
 * more, and the DNS-term limit stops most of them anyway). */
#define INKAN_SPF_MAX_TERMS		256
/* RFC 7208 §6.2: an explanation string is expanded from one TXT record;
 * we cap the expanded text for the Received-SPF/SMTP reply. */
#define INKAN_SPF_MAX_EXPLANATION	1024
/* RFC 7208 §3.4: records over 450 octets risk not fitting in one UDP
 * answer (512 octets without EDNS); lint warns past this. */
#define INKAN_SPF_LINT_UDP_RECORD	450

/* ---- tag=value lists (RFC 6376 §3.2) ---- */

/* Tags in one list; DKIM-Signature has 14 defined tags, DMARC 14.  A list
 * with more is refused rather than scanned for ever. */
#define INKAN_TV_MAX_TAGS		64

/* ---- bulk evaluation ---- */

/* Jobs (e.g. SPF checks) in flight at once in the bulk driver by default. */
#define INKAN_BULK_DEFAULT_JOBS		1000
/* Times one job may be re-run after cache misses before it is failed;
 * every re-run is caused by one new DNS answer, and an SPF check makes at
 * most ~ 10 + 10*10 + 10 queries. */
#define INKAN_BULK_MAX_RERUNS		256

/* ---- SPF, more (RFC 7208) ---- */

/* Largest expansion of one macro-string before §7.3's left truncation.
 * A record may repeat %{S} of a long sender; past this the name is
 * treated as malformed (no match), so a hostile record cannot make one
 * check allocate without bound. */
#define INKAN_SPF_MAX_MACRO_OUTPUT	8192

/* ---- messages (RFC 5322) ---- */

/* Header bytes of one message we hold.  RFC 5322 sets no total; Postfix's
 * header_size_limit is 100 KiB per field and real headers are a few KiB.
 * A header larger than 1 MiB is refused, not truncated, so that what DKIM
 * hashes is always what arrived. */
#define INKAN_MSG_MAX_HEADER_BYTES	(1u << 20)
/* Header fields of one message.  Postfix refuses more than 1000
 * (hopcount_limit is 50 Received; header_size_limit bounds the rest); long
 * list mail has ~100.  Bounds the h= matching work. */
#define INKAN_MSG_MAX_FIELDS		1000

/* ---- DKIM (RFC 6376, RFC 8301, RFC 8463) ---- */

/* Signatures verified per message; the others are reported neutral.  RFC
 * 6376 §6.1 lets a verifier limit them to stop a message with hundreds of
 * signatures from driving DNS queries and RSA operations. */
#define INKAN_DKIM_MAX_SIGNATURES	8
/* RFC 8301 §3.2: RSA keys under 1024 bits MUST NOT be considered valid. */
#define INKAN_DKIM_MIN_RSA_BITS		1024
/* RFC 8301 §3.2: verifiers MUST validate keys from 1024 to 4096 bits; we
 * accept up to 8192 and refuse larger keys (a 16384-bit key costs ~50x a
 * 2048-bit verify). */
#define INKAN_DKIM_MAX_RSA_BITS		8192
/* Default tolerance for t= in the future and x= in the past, seconds
 * (RFC 6376 §3.5 allows "some leeway" for clock skew). */
#define INKAN_DKIM_DEFAULT_CLOCK_SKEW	300
/* Names in one h= list.  Real signatures list ~20; oversigning doubles it. */
#define INKAN_DKIM_MAX_H_NAMES		256
/* Largest DKIM-Signature value or key record we parse, bytes.  A 8192-bit
 * key is ~1.4 KB of base64; the limit only bounds parser work. */
#define INKAN_DKIM_MAX_TAGLIST		16384
/* Decoded public keys the key cache holds by default. */
#define INKAN_DKIM_KEYCACHE_MAX		4096

/* ---- reports (DMARC aggregate RFC 9990, TLS-RPT RFC 8460) ---- */

/* One report after decompression.  RFC 9990 sets no size; the largest real
 * aggregate reports (big receivers, one row per IP) are a few MB of XML.
 * 64 MiB leaves room for outliers and still bounds what one hostile
 * attachment can make us hold. */
#define INKAN_REPORT_MAX_BYTES		(64u << 20)
/* One input file, message or stdin read whole.  Reports travel by mail,
 * where 50 MiB messages are already rare; mboxes are larger, hence 512 MiB. */
#define INKAN_REPORT_MAX_INPUT		(512u << 20)
/* Largest expansion accepted once output passes 1 MiB.  DMARC XML
 * compresses 20-60x; deflate's best is ~1032x, which only crafted input
 * (a zip bomb) reaches. */
#define INKAN_REPORT_MAX_RATIO		200u
/* Compression layers peeled (a .xml.gz.gz exists in the wild). */
#define INKAN_REPORT_MAX_LAYERS		4
/* Rows of one DMARC report / policies and failure details of one TLS
 * report.  Far above what a single receiver reports per day per domain;
 * bounds the work of a single transaction. */
#define INKAN_REPORT_MAX_ROWS		1000000

/* Values kept per repeated field of one failure report (Reported-Domain,
 * Reported-URI, Authentication-Results; RFC 5965 §3.2 sets no bound).  A
 * real report has a handful; more is a crafted one. */
#define INKAN_ARF_MAX_VALUES		64

/* ---- verify session ---- */
/* From fields kept per message.  RFC 5322 §3.6 allows exactly one; a
 * second is already a DMARC permerror, so a few suffice to say so. */
#define INKAN_VERIFY_MAX_FROM		8
/* Authentication-Results fields claiming our authserv-id that are
 * reported for removal.  Past this the message is still verified; the
 * milter removes the ones reported. */
#define INKAN_VERIFY_MAX_FORGED		64
/* Our own Authentication-Results field value: a few results per method,
 * INKAN_DKIM_MAX_SIGNATURES signatures at most; 64 KiB is far above. */
#define INKAN_VERIFY_MAX_AUTHRES	65536

/* ---- DMARC (RFC 9989, RFC 7489) ---- */

/* RFC 9989 §4.10: one DNS Tree Walk makes at most 8 queries; names of
 * more than 8 labels are cut to 7 after the first query.  Stops a From
 * domain with hundreds of labels from driving hundreds of queries. */
#define INKAN_DMARC_MAX_WALK_QUERIES	8
#define INKAN_DMARC_WALK_KEEP_LABELS	7
/* Largest DMARC record text we parse.  Real records are under 500 bytes;
 * the limit only bounds parser work on a hostile TXT record. */
#define INKAN_DMARC_MAX_RECORD		8192
/* URIs kept from one rua= or ruf= list; the rest are ignored (and said
 * so).  Real records list one to three. */
#define INKAN_DMARC_MAX_URIS		16
/* Distinct passing DKIM d= domains whose Organizational Domain we walk
 * for relaxed alignment; DKIM verifies at most INKAN_DKIM_MAX_SIGNATURES
 * anyway.  Each costs up to one 8-query tree walk. */
#define INKAN_DMARC_MAX_DKIM_DOMAINS	8
/* DNS queries one evaluation may make in all: the Author Domain's walk,
 * the SPF domain's and the DKIM domains' walks, the existence query for
 * np=: 8 * (2 + INKAN_DMARC_MAX_DKIM_DOMAINS) + 1, rounded up.  A safety
 * net: answers are shared, so real messages stay far below it. */
#define INKAN_DMARC_MAX_QUERIES		96
/* RFC 9989 §11.5: Author Domains evaluated for one message whose From
 * names several; "limiting the number of Author Domains processed" keeps
 * such a message from costing a walk per domain.  More is permerror. */
#define INKAN_DMARC_MAX_AUTHOR_DOMAINS	8
/* Nesting depth of RFC 5322 comments in a From field; deeper is a syntax
 * error (no mail needs it; it bounds the scanner's state). */
#define INKAN_DMARC_MAX_COMMENT_DEPTH	32
/* Problems listed for one record (each tag gives at most a few, but a
 * rua= list of thousands of bad URIs would give thousands). */
#define INKAN_DMARC_MAX_PROBLEMS	128

/* ---- ARC (RFC 8617) ---- */

/* RFC 8617 §4.2.1: at most 50 ARC sets; a chain with more fails (§5.2
 * step 1) and a sealer must not add the 51st.  This also bounds the work
 * of one message: at most 100 key fetches and signature checks. */
#define INKAN_ARC_MAX_INSTANCES		50
/* ARC header fields looked at in one message: three per set.  More can
 * only be a broken (failing) chain; the rest is not parsed. */
#define INKAN_ARC_MAX_FIELDS		(3 * INKAN_ARC_MAX_INSTANCES)
/* Largest ARC-Authentication-Results payload the sealer writes, bytes.
 * The AAR consolidates our Authentication-Results fields; past this a
 * receiver's per-field limit (Postfix: 100 KiB) comes near, and the
 * results are refused rather than cut. */
#define INKAN_ARC_MAX_AAR_BYTES		65536

/* ---- Authentication-Results (RFC 8601) ---- */

/* Largest A-R field value parsed, bytes.  Real fields are under 2 KB
 * (Gmail, Fastmail with eight results); Postfix's header_size_limit is
 * 100 KiB for a whole field.  Bounds parser work per field. */
#define INKAN_AUTHRES_MAX_VALUE		65536
/* Results (resinfo) in one field.  RFC 8601 sets no bound; a field with
 * every DKIM signature of a message has ~10.  More is a crafted field. */
#define INKAN_AUTHRES_MAX_RESULTS	128
/* Properties of one result.  ARC has the most registered ones (6). */
#define INKAN_AUTHRES_MAX_PROPS		64
/* Nesting depth of RFC 5322 comments.  Real comments do not nest; the
 * bound keeps the depth counter meaningful on hostile input. */
#define INKAN_AUTHRES_MAX_COMMENT_DEPTH	64
/* Digits of a version number (authres-version, method-version): only "1"
 * exists; 9 digits always fit an int. */
#define INKAN_AUTHRES_MAX_VERSION_DIGITS	9
/* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters (we fold there)
 * and MUST be at most 998. */
#define INKAN_AUTHRES_FOLD_COLUMN	78
#define INKAN_AUTHRES_MAX_LINE		998

/* ---- MTA-STS (RFC 8461), TLS-RPT (RFC 8460), DANE (RFC 7671/7672) ---- */

/* RFC 8461 §3.1: id= is 1 to 32 letters and digits; §3.1/§3.2 and RFC
 * 8460 §3: an extension name is at most 32 characters. */
#define INKAN_MTASTS_MAX_ID		32
#define INKAN_MTASTS_MAX_EXT_NAME	32
/* RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year). */
#define INKAN_MTASTS_MAX_AGE		31557600u
/* Largest policy body accepted, bytes.  RFC 8461 §3.3 asks senders to
 * bound the response; 64 KiB is postfix-mta-sts-resolver's bound (its
 * test scenarios expect it) and far above any real policy (~200 bytes).
 * The fetch aborts past it, chunked or not. */
#define INKAN_MTASTS_MAX_POLICY		65536u
/* mx patterns in one policy.  RFC 8461 sets no bound; real policies list
 * one to a few dozen.  Past this the policy is invalid, which keeps a
 * 64 KiB body of "mx: a" lines from costing quadratic duplicate checks. */
#define INKAN_MTASTS_MAX_MX		1000
/* Problems one policy parse lists; past this they are counted and the
 * last entry says how many more there were (a 64 KiB body of garbage
 * would otherwise list thousands). */
#define INKAN_MTASTS_MAX_PROBLEMS	32
/* Policy fetch timeouts, milliseconds.  RFC 8461 §3.3 asks for a
 * timeout; a policy host that does not answer in 10 s or deliver 64 KiB
 * in 30 s is broken, and a check or a policy daemon must not hang on it. */
#define INKAN_MTASTS_CONNECT_TIMEOUT_MS	10000
#define INKAN_MTASTS_FETCH_TIMEOUT_MS	30000
/* URIs in one TLS-RPT rua= list.  RFC 8460 sets no bound; a sender
 * mails or posts one report per URI, so a record listing hundreds would
 * turn one receiver into a mail cannon.  Real records have one or two. */
#define INKAN_TLSRPT_MAX_RUA		16
/* TLSA records matched per RRset and certificates per presented chain.
 * Each record is tried against each certificate (a digest each), so both
 * bound the work a hostile server or zone can cause.  Real RRsets have 1
 * to 4 records (current and next key); real chains 2 to 4 certificates. */
#define INKAN_DANE_MAX_TLSA		64
#define INKAN_DANE_MAX_CHAIN		16

/* ---- check: the domain audit (inkan check), SMTP probe, BIMI ---- */

/* MX hosts examined per domain (resolved, TLSA, probed).  RFC 5321 sets
 * no bound; real domains have 1 to 5.  Past this the rest are listed
 * but not examined, so a hostile MX RRset cannot drive hundreds of
 * probes. */
#define INKAN_CHECK_MAX_MX		10
/* Addresses probed per MX host (A and AAAA together).  Large mail
 * providers publish a few per name; probing more is impolite. */
#define INKAN_CHECK_MAX_ADDRS		4
/* Selectors tried in DKIM discovery (the dictionary plus --selector).
 * Each costs one TXT query. */
#define INKAN_CHECK_MAX_SELECTORS	64
/* Evidence lines kept per check item; more are counted in a last line.
 * A 1000-name MTA-STS policy must not become a 1000-line finding. */
#define INKAN_CHECK_MAX_EVIDENCE	32
/* Check items per domain.  About 60 are possible with 10 MX hosts of 4
 * addresses each; the bound stops a runaway loop, not real output. */
#define INKAN_CHECK_MAX_ITEMS		512
/* RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with its
 * CRLF.  We accept up to 1000 (some servers send long EHLO lines) and
 * refuse longer ones as malformed, which bounds the reader's buffer. */
#define INKAN_SMTP_MAX_REPLY_LINE	1000
/* Lines in one multi-line reply.  An EHLO reply lists about 15
 * extensions; 64 is generous, more is a server talking nonsense. */
#define INKAN_SMTP_MAX_REPLY_LINES	64
/* SMTP probe timeouts, milliseconds: RFC 5321 §4.5.3.2 lets a server
 * take 5 minutes for the greeting, but a check that waits that long is
 * useless; 10 s per step finds every server that works. */
#define INKAN_SMTP_CONNECT_TIMEOUT_MS	10000
#define INKAN_SMTP_STEP_TIMEOUT_MS	10000
/* Bytes read while collecting a server's TLS handshake messages in a
 * hello probe (ServerHello, Certificate, ServerKeyExchange).  Real
 * chains are under 10 KB; 64 KiB bounds a server that sends garbage. */
#define INKAN_SMTP_MAX_HELLO_READ	65536
/* Certificates kept from one presented chain (as many as DANE matches). */
#define INKAN_SMTP_MAX_CHAIN		16
/* Largest BIMI record parsed (real ones are under 300 bytes). */
#define INKAN_BIMI_MAX_RECORD		2048


/* ---- inkan-milter: policy, signing table, verdict store, per-message
 * budgets ---- */

/* Text of an SMTP reply we write (policy.h), bytes.  RFC 5321
 * §4.5.3.1.5 allows 512 per reply line including the codes; domain names
 * and reasons fit in 200 with room for the MTA's own prefix. */
#define INKAN_POLICY_MAX_TEXT		200
/* Keys one signing table holds.  A host signs for a few hundred domains
 * at most; the bound keeps a runaway table from exhausting memory. */
#define INKAN_SIGNTABLE_MAX_KEYS	4096
/* DKIM-Signature fields added to one message: RSA and Ed25519 for the
 * From domain and perhaps a second domain.  More is a table mistake. */
#define INKAN_SIGNTABLE_MAX_SIGS	8
/* Verdicts waiting for the store.  At 1,000 messages a second that is
 * ten seconds of a stalled disk before verdicts are dropped (and
 * counted); each is about 1 KiB, so the queue stays near 10 MiB. */
#define INKAN_VERDICT_QUEUE_MAX		10000
/* Verdicts per transaction: one fsync per batch keeps the writer far
 * ahead of the mail rate; larger batches only hold the lock longer. */
#define INKAN_VERDICT_BATCH_MAX		500
/* A partial batch is written at least this often, milliseconds, so a
 * quiet server's verdicts reach the store within a second. */
#define INKAN_VERDICT_FLUSH_MS		1000
/* After a failed open or write, the store is tried again after this,
 * milliseconds (not per message: a broken disk must not cost mail). */
#define INKAN_VERDICT_RETRY_MS		10000
/* Default DNS budget of one message in inkan-milter: queries.  SPF may
 * make about 110 (10 terms, 10 MX or A lookups each, void lookups),
 * DMARC up to INKAN_DMARC_MAX_QUERIES, DKIM one per signature; real mail
 * needs 5-20.  A message past it gets temperror, never a hang. */
#define INKAN_MILTER_MAX_DNS_QUERIES	300
/* Default time budget of one message's DNS, milliseconds: Postfix's
 * milter_content_timeout is 300 s, Sendmail's T:E 5 min; 30 s keeps a
 * dead DNS server from holding an SMTP session anywhere near those. */
#define INKAN_MILTER_MAX_TIME_MS	30000
/* Default bytes of header a message may have before inkan-milter stops
 * analysing it (and adds a note): Postfix's header_size_limit is
 * 100 KiB per field; 1 MiB in all is INKAN_MSG_MAX_HEADER_BYTES. */
#define INKAN_MILTER_MAX_HEADER_BYTES	INKAN_MSG_MAX_HEADER_BYTES
/* Length of one line of the milter's configuration file, bytes. */
#define INKAN_MILTER_MAX_CONF_LINE	4096
/* Values of one list option (TrustedNetworks, ExemptDomains, ...). */
#define INKAN_MILTER_MAX_LIST		1024

/* ---- survey: zone-scale adoption statistics (inkan survey) ---- */
/* MX hosts per domain whose TLSA records are asked for: RFC 7672 DANE
 * applies per host, and real domains list 1-5; more are a long tail that
 * would multiply the queries of a zone-wide survey. */
#define INKAN_SURVEY_MAX_MX		8
/* Rows written per SQLite transaction: one fsync per thousand rows keeps
 * the store far from the DNS's pace, and a killed run loses at most
 * this many (they are surveyed again on resume). */
#define INKAN_SURVEY_COMMIT_ROWS	1000
/* ... or this many milliseconds, whichever comes first, so that a slow
 * survey still commits often. */
#define INKAN_SURVEY_COMMIT_MS		1000
/* Length of one input line (domain and category), bytes: a domain is at
 * most 253, a category label is short; longer lines are refused. */
#define INKAN_SURVEY_MAX_LINE		1024
/* Highest --qps: far above what one host's resolver path can carry,
 * low enough that the token arithmetic stays exact. */
#define INKAN_SURVEY_MAX_QPS		10000000

/* ---- reports: generating (DMARC aggregate RFC 9990, TLS-RPT RFC 8460) ---- */

/* DKIM results in one <record> of a generated report.  RFC 9990 ("DKIM Signatures in
 * Aggregate Reports"): a report "SHOULD contain no more than 100 signatures for a given row", in
 * decreasing priority. */
#define INKAN_REPORT_GEN_MAX_DKIM	100
/* rua= URIs a report is sent to.  RFC 9990 ("Transport") asks for an attempt to
 * every URI "up to the Receiver's limits on supported URIs"; each costs
 * DNS queries (the external-destination check) and a message, so a
 * record listing dozens would turn one receiver into a mail cannon.
 * Real records list one to three. */
#define INKAN_REPORT_GEN_MAX_RUA	8
/* One line of a TLS-RPT session file, bytes.  An MTA-STS policy is at
 * most 64 KiB (RFC 8461 §3.2) but real ones are a few hundred bytes; a
 * longer line is a broken file, refused with its line number. */
#define INKAN_TLSRPT_SESSION_MAX_LINE	16384
/* Policy strings of one session line: an STS policy has a handful of
 * lines (version, mode, max_age, a few mx), a TLSA RRset a few records. */
#define INKAN_TLSRPT_SESSION_MAX_STRINGS	64

/* ---- sts: the sending-side policy engine (inkan-stsd, inkan sts query) ---- */
/* Seconds before expiry at which a cached MTA-STS policy is re-fetched
 * (RFC 8461 §10.2 asks senders to refresh before max_age runs out so that
 * a policy never lapses while the domain still publishes it).  A day
 * leaves room for a day-long outage of the policy host; a policy whose
 * max_age is short refreshes in its second half instead. */
#define INKAN_STS_REFRESH_BEFORE	86400
/* A cached policy whose TXT id was last checked this long ago (seconds)
 * is re-checked by inkan_sts_refresh even when far from expiry, so that
 * an id change (a new policy) is seen within a day (RFC 8461 §3.1). */
#define INKAN_STS_RECHECK_INTERVAL	86400
/* MX hosts whose TLSA records are looked up for one decision: each costs
 * three or four queries; Postfix itself tries at most 5 addresses
 * (smtp_mx_address_limit), and a longer list only makes a slow answer. */
#define INKAN_STS_MAX_MX		10
/* How long (seconds) a TEMPFAIL answer may be reused: long enough to
 * spare a failing DNS, short enough that a fix is seen soon. */
#define INKAN_STS_TEMPFAIL_TTL		30
/* How long an answer that rests on a failed fetch (no policy, or a stale
 * one) may be reused, seconds, so that the fetch is retried soon. */
#define INKAN_STS_RETRY_TTL		300
/* SQLite busy timeout of the policy cache, milliseconds: several threads
 * (and inkan sts query) share one file; a writer holds it for a row. */
#define INKAN_STS_BUSY_MS		5000
/* ---- survey run: pacing, retries, input, probes (inkan survey run) ---- */
/* Queries the stub resolver keeps in flight at once.  A survey capped at
 * --qps Q whose answers take L seconds needs Q*L in flight (Little's
 * law); 2048 held a 20,000 q/s cap to 20,000 q/s only while answers came
 * within 0.1 s.  16,384 IDs of the 4 x 65,536 the sockets offer keep a
 * random free ID within two draws on average. */
#define INKAN_DNS_STUB_MAX_INFLIGHT	16384
/* --retries: at most this many more tries of a query that timed out or
 * failed (SERVFAIL and other error rcodes); past a few the answer will
 * not come, and each try costs the server. */
#define INKAN_SURVEY_MAX_RETRIES	10
/* Default retries: one lost answer in a few thousand is normal on a
 * busy path; two more tries make a temperror from loss alone rare. */
#define INKAN_SURVEY_DEFAULT_RETRIES	2
/* Backoff before retry k: INKAN_SURVEY_RETRY_BASE_MS * 2^(k-1), at most
 * INKAN_SURVEY_RETRY_MAX_MS: a server that failed under load gets time
 * to recover instead of a second wave at once. */
#define INKAN_SURVEY_RETRY_BASE_MS	250
#define INKAN_SURVEY_RETRY_MAX_MS	8000
/* Domains in flight chosen by --qps when --jobs is not given: enough
 * that Q queries a second stay in flight for as long as the timeout
 * (about 4 queries of a domain wait at once), at least the bulk default,
 * at most this many (each holds an arena of a few KiB). */
#define INKAN_SURVEY_MAX_AUTO_JOBS	20000
/* --shard N: at most this many shards. */
#define INKAN_SURVEY_MAX_SHARDS		65536
/* Zone-file input: longest master-file line we accept (ldns reads a
 * record at a time; a TLD zone's longest RRSIG lines are ~1 KiB). */
#define INKAN_SURVEY_ZONE_MAX_LINE	65536
/* Delegated names remembered to drop duplicates (NS records of one
 * owner may be scattered in an unsorted zone): .jp has 1.7 million;
 * past this the zone is refused rather than memory grown for ever. */
#define INKAN_SURVEY_ZONE_MAX_NAMES	(64u << 20)
/* Answers the survey's shared cache keeps: a domain's answers are needed
 * only while it is in flight (a re-run reads them again), and what many
 * domains share (the include chains of big providers) stays hot in the
 * LRU.  So the cache is sized from --jobs, not from the input: a million
 * domains ask ~8 million questions, and keeping them all (the resolver
 * default, 1M entries) would cost hundreds of MB for nothing. */
#define INKAN_SURVEY_CACHE_PER_JOB	32
/* Queries the survey's pacer lets into the resolver at once without
 * --qps (with it: qps x timeout, up to INKAN_DNS_STUB_MAX_INFLIGHT).
 * NSD's default receive buffer holds a few hundred datagrams; 2048 in
 * flight is what the stub used before and loses few on loopback, while
 * 7,000 (1,000 domains x 7 queries) at once lost ~1 in 10,000. */
#define INKAN_SURVEY_DEFAULT_WINDOW	2048
#define INKAN_SURVEY_CACHE_MIN		65536
/* Shards of one survey that `inkan survey report` / `survey merge` accept
 * (the N of a store's 'shard' "i/N"): the check keeps one bit a shard, and
 * no zone needs more machines than this. */
#define INKAN_SURVEY_REPORT_MAX_SHARDS	65536
/* ---- inkan-stsd: the MTA-STS/DANE policy daemon for Postfix ---- */

/* One socketmap or tcp_table request, bytes.  The key is a next-hop
 * domain (at most 253 bytes, "[name]:port" a few more) and the map name
 * is short; a longer request is a broken or hostile client. */
#define INKAN_STSD_MAX_REQUEST		1024
/* Digits of a netstring length: "1024" needs four; more is refused
 * before the number can overflow anything. */
#define INKAN_STSD_MAX_NETSTRING_DIGITS	5
/* One reply, bytes.  Postfix refuses socketmap replies over 100000
 * (socketmap_table(5)); a policy value ("secure match=..." with a few MX
 * patterns) is far shorter, and a longer one is cut to a TEMP answer. */
#define INKAN_STSD_MAX_REPLY		4096
/* Unanswered bytes buffered per connection: a client that pipelines
 * requests without reading the answers is stopped here. */
#define INKAN_STSD_MAX_CONN_OUT		65536
/* Default and highest number of client connections.  Postfix opens one
 * per smtp process (default_process_limit 100); 1024 leaves room for
 * several instances. */
#define INKAN_STSD_DEFAULT_MAX_CLIENTS	1024
#define INKAN_STSD_MAX_CLIENTS		65536
/* Lookups waiting for or running in a worker.  Each costs DNS queries
 * and perhaps an HTTPS fetch; beyond this a request is answered TEMP at
 * once instead of queueing without bound. */
#define INKAN_STSD_DEFAULT_MAX_PENDING	256
/* Worker threads (each with a resolver and a policy engine).  A lookup
 * mostly waits on the network, so a few suffice; 64 caps memory. */
#define INKAN_STSD_DEFAULT_WORKERS	4
#define INKAN_STSD_MAX_WORKERS		64
/* Per-request deadline, ms: answered TEMP when no decision came.  Below
 * Postfix's own socketmap/tcp_table timeout (100 s), above a DNS lookup
 * plus an MTA-STS fetch (INKAN_MTASTS_FETCH_TIMEOUT_MS). */
#define INKAN_STSD_DEFAULT_REQUEST_TIMEOUT_MS	20000
/* An idle client connection is closed after this many seconds (Postfix
 * reconnects at once; its own idle timeout is 10 s). */
#define INKAN_STSD_DEFAULT_IDLE_TIMEOUT	300
/* Answers kept in the in-memory cache.  An entry is ~300 bytes; 100000
 * is 30 MB, more destinations than a large outbound relay talks to in
 * a day.  The oldest entry gives way when it is full. */
#define INKAN_STSD_DEFAULT_CACHE_ENTRIES	100000
/* Longest time an answer is reused from memory, seconds, whatever its
 * TTL: a DNS change (new TLSA, removed policy) is seen within this. */
#define INKAN_STSD_DEFAULT_MAX_CACHE_TTL	3600
/* Proactive refresh: every this many seconds each worker asks the
 * engine to refresh up to INKAN_STSD_REFRESH_MAX policies. */
#define INKAN_STSD_DEFAULT_REFRESH_INTERVAL	300
#define INKAN_STSD_REFRESH_MAX		64
/* A Postfix log line or a TLS-RPT session line read from an intake
 * socket or file, bytes; syslog lines are at most a few KB. */
#define INKAN_STSD_MAX_LOG_LINE		INKAN_TLSRPT_SESSION_MAX_LINE
/* Postfix smtp processes whose last TLS handshake is remembered until
 * their delivery line comes (one per concurrent delivery). */
#define INKAN_STSD_MAX_TLS_PIDS		4096
/* Domains whose last answered policy is remembered for TLS-RPT (the
 * delivery may be logged hours after the lookup, e.g. a retry). */
#define INKAN_STSD_DEFAULT_POLICY_MEMORY	100000
/* Remembered for this many seconds after the last lookup. */
#define INKAN_STSD_POLICY_MEMORY_SECONDS	(2 * 86400)
/* Lines of one configuration file; a line longer is refused. */
#define INKAN_STSD_MAX_CONF_LINE	4096
/* Values of a repeatable setting (Socketmap, Resolver, ...). */
#define INKAN_STSD_MAX_LIST		64

/* Compression pointers followed in one name read from a packet
 * (lib/dns/wire.c): a pointer has 14 bits of offset, so a name that
 * follows more pointers than that visits some offset twice, a loop. */
#define INKAN_DNS_WIRE_MAX_POINTERS	16384

#endif
