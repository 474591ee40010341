"""test_report_cli.py BUILD - `inkan report ingest` / `summary` end to end.

Generates DMARC aggregate reports (plain, gzip'd, in an mbox) whose totals
are known by construction, ingests them, and checks the summary; then
kills an ingest with SIGKILL half-way, runs it again and checks that the
store ends exactly as after an uninterrupted ingest (nothing lost, nothing
twice).  Prints TAP.
"""
import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

INKAN = os.path.join(sys.argv[1], "src", "inkan", "inkan")
n = 0
failures = 0


def tap(ok, name, detail=""):
    global n, failures
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    if not ok:
        failures += 1
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)


def report(i, domain, rows):
    recs = "".join(
        "<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated>"
        "<disposition>none</disposition><dkim>%s</dkim><spf>%s</spf></policy_evaluated>"
        "</row><identifiers><header_from>%s</header_from></identifiers><auth_results>"
        "<spf><domain>%s</domain><result>pass</result></spf></auth_results></record>"
        % (ip, c, dk, sp, domain, domain) for ip, c, dk, sp in rows)
    return ("<?xml version='1.0'?><feedback><report_metadata><org_name>org%d.example"
            "</org_name><email>r@org%d.example</email><report_id>id-%d</report_id>"
            "<date_range><begin>%d</begin><end>%d</end></date_range></report_metadata>"
            "<policy_published><domain>%s</domain><p>none</p></policy_published>%s"
            "</feedback>" % (i % 7, i % 7, i, 1700000000 + 86400 * (i % 3),
                             1700086399 + 86400 * (i % 3), domain, recs)).encode()


def make_corpus(d, count):
    want = {"reports": 0, "messages": 0, "pass": 0, "fail": 0}
    mbox = []
    for i in range(count):
        dom = "a.example" if i % 2 else "b.example"
        rows = [("192.0.2.%d" % (i % 250 + 1), i % 5 + 1, "pass", "fail"),
                ("2001:db8::%x" % (i % 100 + 1), i % 3 + 1, "fail", "fail")]
        body = report(i, dom, rows)
        want["reports"] += 1
        want["messages"] += rows[0][1] + rows[1][1]
        want["pass"] += rows[0][1]
        want["fail"] += rows[1][1]
        if i % 10 == 9:         # every tenth in an mbox, as a gzip attachment
            import base64
            att = base64.encodebytes(gzip.compress(body)).decode()
            mbox.append("From r@x Mon Jan  1 00:00:00 2024\nFrom: r@x\nSubject: Report\n"
                        "MIME-Version: 1.0\nContent-Type: application/gzip; name=r%d.xml.gz\n"
                        "Content-Transfer-Encoding: base64\n\n%s\n" % (i, att))
        elif i % 2:
            open(os.path.join(d, "r%05d.xml.gz" % i), "wb").write(gzip.compress(body))
        else:
            open(os.path.join(d, "r%05d.bin" % i), "wb").write(body)
    open(os.path.join(d, "zz.mbox"), "w").write("".join(mbox))
    return want


def run(*args, stdin=None):
    p = subprocess.run([INKAN, "report"] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def summary(db, *extra):
    if "--zone" not in extra:   # no live DNS in tests
        extra = extra + ("--no-dns",) if "--no-dns" not in extra else extra
    rc, out, err = run("summary", "--db", db, "--json", *extra)
    return json.loads(out) if rc == 0 else {"rc": rc, "err": err}


# --- PTR names, SPF authorisation and the p=none -> p=reject advice -----
# A zone (offline, --zone) for the policy domain c.example: its SPF record
# authorises 192.0.2.0/28 directly and 2001:db8:c::/48 through an include;
# 198.51.100.7 and 203.0.113.9 are outside it.  Only 192.0.2.1 and
# 192.0.2.5 have PTR records.
ZONE_TEXT = """$ORIGIN example.
$TTL 300
c.example. IN TXT "v=spf1 ip4:192.0.2.0/28 include:_spf.c.example -all"
_spf.c.example. IN TXT "v=spf1 ip6:2001:db8:c::/48 -all"
1.2.0.192.in-addr.arpa. IN PTR mail.c.example.
5.2.0.192.in-addr.arpa. IN PTR out.provider.example.
"""


def rec(ip, count, dkim, spf, dkim_auth=(), spf_auth=()):
    auth = "".join("<dkim><domain>%s</domain><result>%s</result></dkim>" % a for a in dkim_auth)
    auth += "".join("<spf><domain>%s</domain><result>%s</result></spf>" % a for a in spf_auth)
    return ("<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated>"
            "<disposition>none</disposition><dkim>%s</dkim><spf>%s</spf></policy_evaluated>"
            "</row><identifiers><header_from>c.example</header_from></identifiers>"
            "<auth_results>%s</auth_results></record>" % (ip, count, dkim, spf, auth))


def report_c(rid, adkim, records):
    return ("<?xml version='1.0'?><feedback><report_metadata><org_name>rx.example</org_name>"
            "<email>r@rx.example</email><report_id>%s</report_id><date_range>"
            "<begin>1700000000</begin><end>1700086399</end></date_range></report_metadata>"
            "<policy_published><domain>c.example</domain><adkim>%s</adkim><p>none</p>"
            "</policy_published>%s</feedback>" % (rid, adkim, "".join(records))).encode()


def dns_and_advice(tmp):
    d = os.path.join(tmp, "c")
    os.mkdir(d)
    zone = os.path.join(tmp, "c.zone")
    open(zone, "w").write(ZONE_TEXT)
    A, B, C, D, E = "192.0.2.1", "192.0.2.5", "2001:db8:c::25", "198.51.100.7", "203.0.113.9"
    open(os.path.join(d, "r1.xml"), "wb").write(report_c("c-1", "r", [
        rec(A, 10, "pass", "fail", [("c.example", "pass")]),
        # an ESP sending for us: its own d= and bounce domain, neither aligned
        rec(A, 4, "fail", "fail", [("esp.example", "pass")], [("bounces.esp.example", "pass")]),
        # authorised IP, no signature, envelope elsewhere failing SPF
        rec(B, 3, "fail", "fail", (), [("other.example", "fail")]),
        # spoofing: passes everything for its own domains only
        rec(D, 7, "fail", "fail", [("spammer.example", "pass")], [("spammer.example", "pass")]),
    ]))
    open(os.path.join(d, "r2.xml"), "wb").write(report_c("c-2", "s", [
        # strict DKIM alignment and a subdomain signature
        rec(C, 2, "fail", "fail", [("news.c.example", "pass")]),
        rec(E, 5, "fail", "fail", [("mail.c.example", "pass")]),
    ]))
    db = os.path.join(tmp, "c.db")
    rc, out, err = run("ingest", "--db", db, d)
    tap(rc == 0, "ingest the advice reports", out + err)
    s = summary(db, "--zone", zone)
    dm = s.get("dmarc") or {}
    src = {x["source_ip"]: x for x in dm.get("by_source", [])}
    tap(set(src) == {A, B, C, D, E}, "by_source lists the five sources", sorted(src))
    tap({ip: src.get(ip, {}).get("ptr") for ip in src}
        == {A: "mail.c.example", B: "out.provider.example", C: None, D: None, E: None},
        "ptr names come from the zone's PTR records",
        {ip: src[ip].get("ptr") for ip in src})
    tap({ip: src.get(ip, {}).get("spf_authorized") for ip in src}
        == {A: True, B: True, C: True, D: False, E: False},
        "spf_authorized follows c.example's SPF record (ip4, include ip6, -all)",
        {ip: src[ip].get("spf_authorized") for ip in src})
    adv = {x["source_ip"]: x for x in dm.get("advice", [])}
    tap(set(adv) == {A, B, C, E}, "advice: SPF-authorised or DKIM-with-the-domain sources"
        " that fail, not the spoofer", sorted(adv))
    tap(adv.get(A, {}).get("messages") == 4 and adv.get(B, {}).get("messages") == 3,
        "advice counts only the failing messages", adv)

    def said(ip, *words):
        return any(all(w in r for w in words) for r in adv.get(ip, {}).get("reasons", []))
    tap(said(A, "DKIM", "d=esp.example", "does not align")
        and said(A, "SPF", "bounces.esp.example", "does not align"),
        "advice for the ESP: non-aligned d= and envelope domain", adv.get(A))
    tap(said(B, "no DKIM signature") and said(B, "SPF record", "envelope"),
        "advice for the authorised IP without DKIM", adv.get(B))
    tap(said(C, "d=news.c.example", "adkim=s") and said(E, "d=mail.c.example", "adkim=s"),
        "advice under adkim=s names the strict alignment", (adv.get(C), adv.get(E)))
    s2 = summary(db, "--no-dns")
    dm2 = s2.get("dmarc") or {}
    tap(all(x.get("ptr") is None and x.get("spf_authorized") is None
            for x in dm2.get("by_source", [])) and len(dm2.get("by_source", [])) == 5
        and {x["source_ip"] for x in dm2.get("advice", [])} == {C, E},
        "--no-dns: no PTR or SPF; advice only from DKIM with the domain", dm2.get("advice"))
    rc, out, err = run("summary", "--db", db, "--zone", zone)
    tap(rc == 0 and "p=reject" in out and "out.provider.example" in out
        and "d=esp.example" in out, "text summary shows PTR names and the advice", out + err)


# --- failure reports (ARF) from tests/data/reports/dmarc-failure ---------
FAILURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                           "reports", "dmarc-failure")


def failure_reports(tmp):
    import email
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(FAILURE_DIR)
                   for f in fs if f.endswith(".eml"))
    # distinct reports: the same bytes up to CRLF vs LF line ends
    distinct = {}
    for f in files:
        b = open(f, "rb").read().replace(b"\r\n", b"\n")
        if b.startswith(b"From "):      # an mbox "From " line is not the message
            b = b.split(b"\n", 1)[1]
        distinct.setdefault(b, f)
    per_domain = {}
    for b in distinct:
        for part in email.message_from_bytes(b).walk():
            if part.get_content_type() == "message/feedback-report":
                fr = part.get_payload()[0]
                dom = fr.get_all("Reported-Domain", [None])[0]
                dom = dom.strip().lower() if dom else None
                per_domain[dom] = per_domain.get(dom, 0) + 1
    db = os.path.join(tmp, "arf.db")
    rc, out, err = run("ingest", "--db", db, "--json", *files)
    doc = json.loads(out) if out else {}
    tap(rc == 0 and doc.get("stored") == len(distinct)
        and doc.get("duplicate") == len(files) - len(distinct) and doc.get("setaside") == 0,
        "ingest failure reports: %d files, %d distinct" % (len(files), len(distinct)),
        "rc %d %s %s" % (rc, err, out[-500:]))
    rc, out, err = run("ingest", "--db", db, *files)
    tap(rc == 0 and out.strip().endswith("0 stored, %d duplicate, 0 set aside" % len(files)),
        "failure reports ingested again: all duplicate", out[-300:])
    s = summary(db)
    f = s.get("failure") or {}
    tap(f.get("reports") == len(distinct)
        and {x["domain"]: x["reports"] for x in f.get("by_domain", [])} == per_domain,
        "summary counts failure reports per Reported-Domain", "%r want %r" % (f, per_domain))
    dom = sorted(d for d in per_domain if d)[0]
    tap(summary(db, "--domain", dom).get("failure", {}).get("reports") == per_domain[dom],
        "--domain filters failure reports", dom)
    c = sqlite3.connect(db)
    ver = c.execute("SELECT version FROM schema_version").fetchone()[0]
    c.close()
    tap(ver == 3, "store migrated to schema 3 (dmarc_failure, verdict)", ver)
    # a version-1 store (as an older inkan left it) is migrated on open
    db1 = os.path.join(tmp, "v1.db")
    shutil.copy(os.path.join(tmp, "c.db"), db1)
    c = sqlite3.connect(db1)
    c.execute("DROP TABLE dmarc_failure")
    c.execute("DROP TABLE verdict_dkim")
    c.execute("DROP TABLE verdict")
    c.execute("UPDATE schema_version SET version = 1")
    c.commit()
    c.close()
    rc, out, err = run("ingest", "--db", db1, files[0])
    c = sqlite3.connect(db1)
    ver = c.execute("SELECT version FROM schema_version").fetchone()[0]
    nf = c.execute("SELECT count(*) FROM dmarc_failure").fetchone()[0]
    nd = c.execute("SELECT count(*) FROM dmarc_report").fetchone()[0]
    c.close()
    tap(rc == 0 and ver == 3 and nf == 1 and nd == 2,
        "a version-1 store is migrated to 3 keeping its reports", (rc, ver, nf, nd, err))


def main():
    tmp = tempfile.mkdtemp(prefix="inkan-report-")
    try:
        src = os.path.join(tmp, "in")
        os.mkdir(src)
        count = 3000
        want = make_corpus(src, count)
        db1 = os.path.join(tmp, "one.db")
        rc, out, err = run("ingest", "--db", db1, "--json", src)
        doc = json.loads(out) if out else {}
        tap(rc == 0 and doc.get("stored") == count and doc.get("setaside") == 0,
            "ingest stores every generated report once", "rc %d %s %s" % (rc, err, out[-300:]))
        s = summary(db1)
        d = s.get("dmarc", {})
        tap(all(d.get(k) == want[k] for k in want),
            "summary totals equal the generated ones", "want %r got %r" % (want, d))
        sa = summary(db1, "--domain", "a.example")["dmarc"]
        sb = summary(db1, "--domain", "b.example")["dmarc"]
        tap(sa["reports"] + sb["reports"] == count and sa["reports"] == count // 2
            and sa["messages"] + sb["messages"] == want["messages"],
            "--domain splits the totals", "%r %r" % (sa, sb))
        # ranges end 2023-11-15/16/17 22:13 UTC for i % 3 == 0/1/2
        since = summary(db1, "--since", "2023-11-16")["dmarc"]
        tap(since["reports"] == count - len(range(0, count, 3)), "--since drops older reports",
            since["reports"])
        tap(len(d.get("by_day", [])) == 3 and sum(x["messages"] for x in d["by_day"])
            == want["messages"], "per-day trend covers three days", d.get("by_day"))
        rc, out, err = run("ingest", "--db", db1, src)
        tap(rc == 0 and out.strip().endswith("0 stored, %d duplicate, 0 set aside" % count),
            "second ingest: everything duplicate", out[-200:])
        rc, out, err = run("ingest", "--db", db1, "-", stdin=b"not a report at all")
        tap(rc == 1 and "set aside" in out and "(stdin)" in out,
            "garbage on stdin is set aside, exit 1", "rc %d %s" % (rc, out))

        # kill -9 half-way, then run again
        db2 = os.path.join(tmp, "two.db")
        p = subprocess.Popen([INKAN, "report", "ingest", "--db", db2, src],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stored_at_kill = 0
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None:
            try:
                c = sqlite3.connect(db2, timeout=5)
                stored_at_kill = c.execute("SELECT count(*) FROM dmarc_report").fetchone()[0]
                c.close()
            except sqlite3.Error:
                pass
            if stored_at_kill >= count // 4:
                break
            time.sleep(0.01)
        killed = p.poll() is None
        p.send_signal(signal.SIGKILL)
        p.wait()
        tap(killed and 0 < stored_at_kill < count, "ingest killed with SIGKILL mid-way",
            "stored at kill %d, killed %s" % (stored_at_kill, killed))
        c = sqlite3.connect(db2)
        partial = c.execute("SELECT count(*) FROM dmarc_report").fetchone()[0]
        half = c.execute("SELECT count(*) FROM dmarc_report r WHERE (SELECT count(*) FROM"
                         " dmarc_row w WHERE w.report = r.id) != 2").fetchone()[0]
        c.close()
        tap(half == 0, "after the kill no report is half-stored (%d whole reports)" % partial)
        rc, out, err = run("ingest", "--db", db2, src)
        tail = out.strip().splitlines()[-1] if out.strip() else ""
        tap(rc == 0 and tail == "%d stored, %d duplicate, 0 set aside"
            % (count - partial, partial), "re-run stores exactly the rest", tail + err)
        s1, s2 = summary(db1), summary(db2)
        s1["setaside"] = s2["setaside"] = None   # db1 also saw the stdin garbage
        tap(s1 == s2, "store after kill + re-run equals the uninterrupted one")
        dns_and_advice(tmp)
        failure_reports(tmp)
    finally:
        shutil.rmtree(tmp)
    print("1..%d" % n)
    sys.exit(1 if failures else 0)


main()
