"""test_report_tlsrpt.py BUILD - `inkan report generate --tls-sessions`:
SMTP TLS reports (RFC 8460) from a file of session results, end to end.

A session file with known contents (MTA-STS, DANE and no-policy sessions,
successes and each kind of failure, comments, both time forms, lines
outside the day) is turned into reports; the expected numbers are counted
here from the lines.  Checks: the file names (RFC 8460 §5.1), the JSON
against §4.4 read with Python's json (a second parser), the same numbers
parsed back by inkan's own TLS-RPT parser and after `report ingest` in the
summary; a broken line named with its line number; --send to the rua= of
_smtp._tls (RFC 8460 §3) by mail (a fake sendmail; multipart/report,
TLS-Report-Domain, TLS-Report-Submitter, §5.3) and by HTTPS POST (§5.4)
to a local TLS server.  Prints TAP.
"""
import email
import email.policy
import gzip
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading

BUILD = sys.argv[1]
INKAN = os.path.join(BUILD, "src", "inkan", "inkan")
n = 0
failures = 0


def tap(ok, name, detail=""):
    global n, failures
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    if not ok:
        failures += 1
        for line in str(detail).splitlines()[:25]:
            print("#   " + line)


def run(*args):
    p = subprocess.run([INKAN, "report"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


DAY = 1790035200        # 2026-09-22
STS = "version: STSv1|mode: enforce|mx: mx1.a.example|mx: *.b.a.example|max_age: 604800"
TLSA1 = "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
TLSA2 = "3 1 1 FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"


def sessions():
    """(line, counts?) pairs: the file and what it must add up to."""
    L = []
    t = DAY + 60
    for i in range(40):     # a.example, STS: 40 ok over two MX
        L.append("%d\ta.example\tsts\t%s\tmx%d.a.example\t192.0.2.5\t198.51.100.%d\tsuccess"
                 % (t + i, STS, 1 + i % 2, 1 + i % 2))
    for i in range(3):      # certificate-expired at mx2, with the helo and reason code
        L.append("2026-09-22T0%d:00:00Z\ta.example\tsts\t%s\tmx2.a.example\t192.0.2.5\t"
                 "198.51.100.2\tcertificate-expired\tmx2.a.example\t-\t"
                 "X509_V_ERR_CERT_HAS_EXPIRED" % (i + 1, STS))
    for i in range(2):      # sts-policy-fetch-error: mx unknown
        L.append("%d\tA.EXAMPLE.\tSTS\t%s\t-\t2001:db8::5\t-\tsts-policy-fetch-error\t-\t"
                 "https://a.example/why" % (t + 100 + i, STS))
    for i in range(9):      # b.example, DANE: two MX, each its TLSA
        L.append("%d\tb.example\ttlsa\t%s\tmx1.b.example\t192.0.2.5\t203.0.113.1\tsuccess"
                 % (t + 200 + i, TLSA1))
    for i in range(4):
        L.append("%d\tb.example\ttlsa\t%s|%s\tmx2.b.example\t192.0.2.5\t203.0.113.2\t"
                 "tlsa-invalid" % (t + 300 + i, TLSA1, TLSA2))
    L.append("%d\tb.example\ttlsa\t%s|%s\tmx2.b.example\t192.0.2.5\t203.0.113.2\t"
             "dnssec-invalid" % (t + 310, TLSA1, TLSA2))
    for i in range(6):      # c.example: no policy, STARTTLS missing on one
        L.append("%d\tc.example\tno-policy-found\t-\tmx.c.example\t192.0.2.5\t"
                 "198.51.100.50\t%s" % (t + 400 + i, "success" if i else
                                        "starttls-not-supported"))
    L.append("# a comment, and an empty line")
    L.append("")
    L.append("%d\ta.example\tsts\t%s\tmx1.a.example\t192.0.2.5\t198.51.100.1\tsuccess"
             % (DAY - 1, STS))                              # the day before
    L.append("%d\td.example\tsts\t%s\tmx1.d.example\t-\t-\tsuccess" % (DAY + 86400, STS))
    return L


EXPECT = {   # domain: (successful, failed, policies, failure kinds {type: count})
    "a.example": (40, 5, 1, {"certificate-expired": 3, "sts-policy-fetch-error": 2}),
    "b.example": (9, 5, 2, {"tlsa-invalid": 4, "dnssec-invalid": 1}),
    "c.example": (5, 1, 1, {"starttls-not-supported": 1}),
}
FNAME = re.compile(r"^mx\.example!([a-z0-9.-]+)!(\d+)!(\d+)!([A-Za-z0-9]+)\.json\.gz$")


def gen(tmp, out, *extra):
    rc, o, e = run("generate", "--tls-sessions", os.path.join(tmp, "sessions.tsv"),
                   "--org-name", "Mx Example", "--org-email", "tlsrpt@mx.example",
                   "--day", "2026-09-22", "--out", out, "--json", *extra)
    try:
        return rc, json.loads(o), e
    except ValueError:
        return rc, {}, o + e


def check_json(path, dom):
    """RFC 8460 §4.4 with Python's json: required members and the numbers."""
    doc = json.loads(gzip.decompress(open(path, "rb").read()))
    ok = all(k in doc for k in ("organization-name", "date-range", "contact-info",
                                "report-id", "policies"))
    ok &= doc["date-range"] == {"start-datetime": "2026-09-22T00:00:00Z",
                                "end-datetime": "2026-09-22T23:59:59Z"}
    succ = sum(p["summary"]["total-successful-session-count"] for p in doc["policies"])
    fail = sum(p["summary"]["total-failure-session-count"] for p in doc["policies"])
    kinds = {}
    for p in doc["policies"]:
        ok &= p["policy"]["policy-domain"] == dom
        ok &= p["policy"]["policy-type"] in ("sts", "tlsa", "no-policy-found")
        fd = p.get("failure-details", [])
        ok &= sum(f["failed-session-count"] for f in fd) == \
            p["summary"]["total-failure-session-count"]
        for f in fd:
            kinds[f["result-type"]] = kinds.get(f["result-type"], 0) + \
                f["failed-session-count"]
    s, f, npol, k = EXPECT[dom]
    return ok and (succ, fail, len(doc["policies"]), kinds) == (s, f, npol, k), \
        (succ, fail, len(doc["policies"]), kinds), doc


def main():
    tmp = tempfile.mkdtemp(prefix="inkan-tlsrpt-")
    try:
        open(os.path.join(tmp, "sessions.tsv"), "w").write("\n".join(sessions()) + "\n")
        out = os.path.join(tmp, "out")
        rc, doc, err = gen(tmp, out)
        t = doc.get("tlsrpt", {})
        lines = [x for x in sessions() if x and not x.startswith("#")]
        inday = sum(s + f for s, f, _, _ in EXPECT.values())
        tap(rc == 0 and t.get("sessions") == len(lines) == inday + 2
            and t.get("in_period") == inday,
            "%d session lines read, %d in the day" % (len(lines), inday), (rc, t, err))
        files = sorted(os.listdir(out)) if os.path.isdir(out) else []
        doms = [FNAME.match(f).group(1) for f in files if FNAME.match(f)]
        tap(doms == sorted(EXPECT) and all(FNAME.match(f).group(2) == str(DAY) and
                                           FNAME.match(f).group(3) == str(DAY + 86399)
                                           for f in files),
            "one report per policy domain, named sender!domain!begin!end!id.json.gz"
            " (RFC 8460 §5.1)", files)
        docs = {}
        for f in files:
            dom = FNAME.match(f).group(1)
            ok, got, docs[dom] = check_json(os.path.join(out, f), dom)
            tap(ok, "%s: RFC 8460 §4.4 JSON (Python's json) with the expected sessions,"
                " policies and failures" % dom, (got, EXPECT[dom]))
            rc, o, e = run("parse", "--json", os.path.join(out, f))
            p = json.loads(o)[0] if rc == 0 else {}
            s, fl, npol, kinds = EXPECT[dom]
            pk = {}
            for pol in p.get("policies", []):
                for fd in pol["failure-details"]:
                    pk[fd["result-type"]] = pk.get(fd["result-type"], 0) + \
                        fd["failed-session-count"]
            tap(p.get("successful_sessions") == s and p.get("failed_sessions") == fl
                and len(p.get("policies", [])) == npol and pk == kinds
                and p.get("report-id") == docs[dom]["report-id"],
                "%s parses back with inkan's TLS-RPT parser to the same numbers" % dom,
                (p.get("successful_sessions"), p.get("failed_sessions"), pk))
        a = docs.get("a.example", {}).get("policies", [{}])[0]
        tap(a.get("policy", {}).get("mx-host") == ["mx1.a.example", "*.b.a.example"]
            and a.get("policy", {}).get("policy-string") == STS.split("|"),
            "sts: policy-string is the policy's lines, mx-host its mx: patterns", a)
        fd = {f["result-type"]: f for f in a.get("failure-details", [])}
        ce, fe = fd.get("certificate-expired", {}), fd.get("sts-policy-fetch-error", {})
        tap(ce.get("receiving-mx-hostname") == "mx2.a.example"
            and ce.get("receiving-ip") == "198.51.100.2"
            and ce.get("failure-reason-code") == "X509_V_ERR_CERT_HAS_EXPIRED"
            and ce.get("receiving-mx-helo") == "mx2.a.example"
            and fe.get("sending-mta-ip") == "2001:db8::5"
            and fe.get("additional-information") == "https://a.example/why"
            and "receiving-mx-hostname" not in fe,
            "failure details carry every field given, and none not given", fd)
        b = docs.get("b.example", {}).get("policies", [])
        tap(sorted(tuple(p["policy"].get("mx-host", [])) for p in b) ==
            [("mx1.b.example",), ("mx2.b.example",)],
            "tlsa: one policy per MX host with its TLSA records", b)
        c = docs.get("c.example", {}).get("policies", [{}])[0]
        tap("policy-string" not in c.get("policy", {}) and "mx-host" not in c.get("policy",
                                                                                  {}),
            "no-policy-found: no policy-string, no mx-host", c)
        # the same period again: the same bytes
        out2 = os.path.join(tmp, "out2")
        gen(tmp, out2)
        tap(sorted(os.listdir(out2)) == files and all(
            open(os.path.join(out, f), "rb").read() == open(os.path.join(out2, f),
                                                            "rb").read() for f in files),
            "the same period again: the same names and bytes")
        # ingest into a store: the summary's TLS-RPT totals
        db = os.path.join(tmp, "t.db")
        rc, o, e = run("ingest", "--db", db, out)
        rc2, o2, e2 = run("summary", "--db", db, "--json", "--no-dns")
        ts = json.loads(o2).get("tlsrpt", {}) if rc2 == 0 else {}
        tap(rc == 0 and ts.get("reports") == 3 and ts.get("successful_sessions") == 54
            and ts.get("failed_sessions") == 11,
            "ingested: the summary counts 54 successful and 11 failed sessions", (ts, o + e))
        # broken lines
        for i, (line, want) in enumerate([
                ("1\ta.example\tsts\t-\t-\t-\t-\tbogus-result", "field 8 (result)"),
                ("1\ta.example\tdane\t-\t-\t-\t-\tsuccess", "field 3 (policy-type)"),
                ("1\ta.example\tsts\t-\t-\t300.1.2.3\t-\tsuccess", "field 6 (sending-ip)"),
                ("yesterday\ta.example\tsts\t-\t-\t-\t-\tsuccess", "field 1 (time)"),
                ("1\ta.example\tsts", "at least 8"),
                ("1\ta..example\tsts\t-\t-\t-\t-\tsuccess", "field 2 (policy-domain)"),
                ("1\ta.example\tno-policy-found\tmode: x\t-\t-\t-\tsuccess", "field 4"),
                ("1\ta.example\tsts\tx\xffy\t-\t-\t-\tsuccess", "not UTF-8")]):
            path = os.path.join(tmp, "bad%d.tsv" % i)
            open(path, "wb").write(b"# ok\n" + line.encode("latin-1") + b"\n")
            rc, o, e = run("generate", "--tls-sessions", path, "--org-name", "X",
                           "--org-email", "t@mx.example", "--day", "2026-09-22", "--out",
                           os.path.join(tmp, "bad-out"))
            tap(rc == 65 and ("bad%d.tsv:2:" % i) in e and want in e,
                "a broken line is refused with its number and field: %s" % want, e)
        check_send(tmp)
    finally:
        shutil.rmtree(tmp)
    print("1..%d" % n)
    sys.exit(1 if failures else 0)


ZONE = """$ORIGIN example.
$TTL 300
_smtp._tls.a.example. IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@a.example,https://reports.example/tlsrpt"
_smtp._tls.b.example. IN TXT "v=TLSRPTv1; rua=mailto:one@b.example" "" 
_smtp._tls.b.example. IN TXT "v=TLSRPTv1; rua=mailto:two@b.example"
"""

FAKE_SENDMAIL = """#!/bin/sh
n=$(ls "%(dir)s" | wc -l)
printf '%%s\\n' "$@" > "%(dir)s/m$n.args"
cat > "%(dir)s/m$n.eml"
"""


class Handler(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Handler.got.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def https_server(tmp):
    key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    key, "-out", crt, "-days", "2", "-subj", "/CN=reports.example",
                    "-addext", "subjectAltName=DNS:reports.example"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, crt


def check_send(tmp):
    zone = os.path.join(tmp, "tls.zone")
    open(zone, "w").write(ZONE)
    spool = os.path.join(tmp, "spool")
    os.mkdir(spool)
    sm = os.path.join(tmp, "sendmail")
    open(sm, "w").write(FAKE_SENDMAIL % {"dir": spool})
    os.chmod(sm, 0o755)
    srv, crt = https_server(tmp)
    out = os.path.join(tmp, "out-send")
    rc, doc, err = gen(tmp, out, "--send", "--sendmail", sm, "--zone", zone, "--ca-file", crt,
                       "--connect-to", "reports.example:443:127.0.0.1:%d" % srv.server_port)
    reps = {r["domain"]: r for r in doc.get("tlsrpt", {}).get("reports", [])}

    def st(d):
        return [(x["uri"], x["status"]) for x in reps.get(d, {}).get("destinations", [])]
    tap(rc == 0 and st("a.example") == [("mailto:tls-reports@a.example", "sent"),
                                        ("https://reports.example/tlsrpt", "sent")],
        "a.example: the rua= of _smtp._tls (RFC 8460 §3): mailto: and https: both sent",
        (st("a.example"), err))
    tap(st("b.example") == [("-", "not sent")] and st("c.example") == [("-", "not sent")],
        "two TLSRPTv1 records (RFC 8460 §3: none) or none at all: nothing sent",
        (st("b.example"), st("c.example")))
    files = {FNAME.match(f).group(1): f for f in os.listdir(out) if FNAME.match(f)}
    disk = open(os.path.join(out, files.get("a.example", "x")), "rb").read() \
        if "a.example" in files else None
    msgs = [f for f in sorted(os.listdir(spool)) if f.endswith(".eml")]
    ok = len(msgs) == 1
    why = []
    for f in msgs:
        args = open(os.path.join(spool, f[:-4] + ".args")).read().split()
        m = email.message_from_bytes(open(os.path.join(spool, f), "rb").read(),
                                     policy=email.policy.default)
        att = [p for p in m.walk() if p.get_content_type() == "application/tlsrpt+gzip"]
        rid = json.loads(gzip.decompress(disk))["report-id"] if disk else None
        checks = [args == ["-oi", "-f", "tlsrpt@mx.example", "--", "tls-reports@a.example"],
                  m.get_content_type() == "multipart/report",
                  m.get_param("report-type") == "tlsrpt",
                  m["TLS-Report-Domain"] == "a.example",
                  m["TLS-Report-Submitter"] == "mx.example",
                  re.sub(r"\s+", " ", str(m["Subject"])) ==
                  "Report Domain: a.example Submitter: mx.example Report-ID: <%s@mx.example>"
                  % rid,
                  len(att) == 1 and att[0].get_content() == disk,
                  len(att) == 1 and att[0].get_filename() == files.get("a.example")]
        ok &= all(checks)
        why.append(checks)
    tap(ok, "the mail (RFC 8460 §5.3): multipart/report; report-type=tlsrpt,"
        " TLS-Report-Domain, TLS-Report-Submitter, Subject, application/tlsrpt+gzip equal"
        " to the file", why)
    got = Handler.got
    tap(len(got) == 1 and got[0][0] == "/tlsrpt" and got[0][1] == "application/tlsrpt+gzip"
        and got[0][2] == disk,
        "the HTTPS POST (RFC 8460 §5.4): application/tlsrpt+gzip, the report's bytes",
        [(g[0], g[1], len(g[2])) for g in got])
    # a certificate we do not trust: no report sent, temporary failure
    rc, doc, err = gen(tmp, os.path.join(tmp, "out-badca"), "--send", "--sendmail", sm,
                       "--zone", zone, "--domain", "a.example", "--connect-to",
                       "reports.example:443:127.0.0.1:%d" % srv.server_port)
    sts = [(x["uri"], x["status"]) for r in doc.get("tlsrpt", {}).get("reports", [])
           for x in r["destinations"]]
    tap(rc == 75 and ("https://reports.example/tlsrpt", "temporary failure") in sts
        and len(Handler.got) == 1,
        "an untrusted certificate: the POST is not made, exit 75 (try again)", (rc, sts))
    srv.shutdown()


main()
