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
    rc, out, err = run("summary", "--db", db, "--json", *extra)
    return json.loads(out) if rc == 0 else {"rc": rc, "err": err}


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
    finally:
        shutil.rmtree(tmp)
    print("1..%d" % n)
    sys.exit(1 if failures else 0)


main()
