#!/usr/bin/env bash
# report_postfix.sh [BUILD] - `inkan report generate --send` through a real
# Postfix on loopback.
#
# A private Postfix (tests/env/postfix.sh: its own configuration, queue and
# mailbox under the build tree) takes SMTP on
# 127.0.0.1:${INKAN_TEST_REPORT_SMTP_PORT:-2547} and delivers every
# recipient domain of the test to one mbox.  A verdict store with two
# policy domains is reported for one day, DNS from a zone file: a.example
# wants its reports at home and at an authorised third party, b.example
# at an unauthorised one.  Sent once with --smtp to Postfix's smtpd and
# once with --sendmail through Postfix's own sendmail(1) (local
# submission, postdrop and pickup).  Checked in the delivered mailbox:
# exactly the authorised recipients, each message's attachment byte for
# byte the file written, valid against the RFC 9990 XSD, with the RFC
# 9990 Subject.  Prints TAP; stops the Postfix it started, by PID.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
SPORT=${INKAN_TEST_REPORT_SMTP_PORT:-2547}
W=$build/test-report-postfix
PF=$W/postfix
py=/usr/bin/python3
n=0
fail=0

tap() {	# tap OK NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
		[ -n "${3:-}" ] && printf '%s\n' "$3" | head -30 | sed 's/^/#   /'
	fi
	return 0
}

bail() {
	tap 1 "$1" "${2:-}"
	echo "1..$n"
	exit 1
}

for tool in postfix xmllint; do
	command -v $tool >/dev/null || bail "$tool is installed"
done

# shellcheck source=tests/env/postfix.sh
. "$top/tests/env/postfix.sh"
trap 'pf_stop "$PF"' EXIT

rm -rf "$W"
mkdir -p "$W"
cd "$W" || exit 1

cat > zone <<'EOF'
$ORIGIN example.
$TTL 300
_dmarc.a.example. IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@a.example,mailto:agg@third.example"
a.example._report._dmarc.third.example. IN TXT "v=DMARC1"
_dmarc.b.example. IN TXT "v=DMARC1; p=none; rua=mailto:x@unauth.example"
EOF

"$inkan" report summary --db v.db --no-dns > /dev/null || bail "the verdict store is created"
$py - v.db <<'EOF' || bail "verdicts written"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = ("ts source_ip envelope_from envelope_to header_from spf_domain spf_scope spf_result"
        " dmarc_result policy_domain discovery p adkim aspf testing dkim_aligned spf_aligned"
        " disposition").split()
def add(ts, ip, dom, ok, sel):
    v = [ts, ip, dom, "rcpt.example", dom, dom, "mfrom", "pass" if ok else "fail",
         "pass" if ok else "fail", dom, "treewalk", "reject", "r", "r", "n",
         "pass" if ok else "fail", "pass" if ok else "fail", "none" if ok else "reject"]
    cur = db.execute("INSERT INTO verdict(%s) VALUES(%s)" % (",".join(cols),
                     ",".join("?" * len(cols))), v)
    db.execute("INSERT INTO verdict_dkim VALUES(?,?,?,?,?)",
               (cur.lastrowid, dom, sel, "pass" if ok else "fail", None))
for i in range(40):
    add(1790035200 + 60 * i, "192.0.2.%d" % (1 + i % 7), "a.example", i % 5 != 0, "s%d" % (i % 3))
for i in range(9):
    add(1790035200 + 60 * i, "2001:db8::%x" % (1 + i), "b.example", i % 2 == 0, "k")
db.commit()
EOF

PF_DOMAINS="a.example third.example unauth.example" pf_setup "$PF"
pf_listen "$PF" "$SPORT"
pf_start "$PF" || bail "postfix starts" "$(cat "$(pf_log "$PF")" 2>/dev/null)"
tap 0 "a private Postfix listens on 127.0.0.1:$SPORT"

# Postfix's sendmail(1) for this instance: -C names its configuration.
cat > sendmail-pf <<EOF
#!/bin/sh
exec /usr/sbin/sendmail -C "$PF/etc" "\$@"
EOF
chmod +x sendmail-pf

gen() {	# gen OUTDIR DELIVERY-OPTIONS...
	local out=$1
	shift
	"$inkan" report generate --db v.db --org-name "Mx Example" --org-email \
		dmarc-reports@mx.example --day 2026-09-22 --out "$out" --send --zone zone \
		--json "$@"
}
out=$(gen smtp-out --smtp "127.0.0.1:$SPORT" 2>&1); rc=$?
sent=$(printf '%s' "$out" | $py -c 'import json,sys
d = json.load(sys.stdin)
print(" ".join(sorted("%s=%s" % (x["to"], x["status"]) for r in d["dmarc"]["reports"]
                      for x in r["destinations"])))' 2>&1)
[ $rc = 0 ] && [ "$sent" = "agg@third.example=sent dmarc@a.example=sent x@unauth.example=not authorized" ]
tap $? "--smtp to Postfix: the two authorised destinations sent, the third party not" "rc=$rc $sent $out"

out=$(gen sendmail-out --sendmail "$W/sendmail-pf" 2>&1); rc=$?
sent=$(printf '%s' "$out" | $py -c 'import json,sys
d = json.load(sys.stdin)
print(" ".join(sorted("%s=%s" % (x["to"], x["status"]) for r in d["dmarc"]["reports"]
                      for x in r["destinations"])))' 2>&1)
[ $rc = 0 ] && [ "$sent" = "agg@third.example=sent dmarc@a.example=sent x@unauth.example=not authorized" ]
tap $? "--sendmail through Postfix's sendmail(1): the same two sent" "rc=$rc $sent $out"

# Wait for the four deliveries.
inbox=$(pf_inbox "$PF")
for _ in $(seq 200); do
	[ -f "$inbox" ] && [ "$(grep -c '^From ' "$inbox")" -ge 4 ] && break
	sleep 0.1
done
sleep 0.5
res=$($py - "$inbox" "$W" "$top/tests/data/reports/dmarc-aggregate/schema-fixed/rfc9990.xsd" <<'EOF'
import gzip, mailbox, os, re, subprocess, sys
inbox, w, xsd = sys.argv[1:4]
got, bad = [], []
for m in mailbox.mbox(inbox):
    rcpt = m["Delivered-To"] or m["To"]
    rcpt = re.sub(r"[<>]", "", str(rcpt))
    got.append(rcpt)
    parts = [p for p in m.walk() if p.get_content_type() == "application/gzip"]
    if len(parts) != 1:
        bad.append((rcpt, "no single application/gzip part"))
        continue
    name = parts[0].get_filename()
    data = parts[0].get_payload(decode=True)
    on_disk = [os.path.join(w, d, name) for d in ("smtp-out", "sendmail-out")
               if os.path.exists(os.path.join(w, d, name))]
    if not on_disk or any(open(f, "rb").read() != data for f in on_disk):
        bad.append((rcpt, name, "attachment differs from the file"))
    xml = os.path.join(w, "x.xml")
    open(xml, "wb").write(gzip.decompress(data))
    if subprocess.run(["xmllint", "--noout", "--schema", xsd, xml],
                      capture_output=True).returncode != 0:
        bad.append((rcpt, name, "not valid against the XSD"))
    subj = re.sub(r"\s+", " ", str(m["Subject"]))
    if not re.fullmatch(r"Report Domain: a\.example Submitter: mx\.example "
                        r"Report-ID: <[0-9a-f]{32}>", subj):
        bad.append((rcpt, subj))
print(" ".join(sorted(got)))
print(bad)
EOF
)
want="agg@third.example agg@third.example dmarc@a.example dmarc@a.example"
[ "$(printf '%s\n' "$res" | head -1)" = "$want" ] && [ "$(printf '%s\n' "$res" | sed -n 2p)" = "[]" ]
tap $? "delivered: four messages to exactly the authorised recipients, attachments equal to the files, valid RFC 9990 XML, RFC 9990 Subject" "$res
$(tail -5 "$(pf_log "$PF")" 2>/dev/null)"
grep -E "warning|error|fatal" "$(pf_log "$PF")" | grep -v "dict_nis\|nis_\|alias" > postfix-problems || true
[ ! -s postfix-problems ]
tap $? "no warning or error in Postfix's log" "$(cat postfix-problems)"

echo "1..$n"
exit $fail
