"""test_report_html.py BUILD - `inkan report html`: the dashboard, loaded in
a real browser.

A store is filled with DMARC aggregate reports whose totals are known by
construction (and a p=none -> p=reject advice case with its DNS served
from a zone file), TLS-RPT reports, and one report whose organisation
name is a script tag.  `inkan report html` writes DIR/index.html; then
headless Chromium, driven through chromedriver's WebDriver HTTP API, loads
the file and the checks run on the rendered page: the numbers in the
cards and tables, the bars' rendered widths against their values, the
advice, that no script exists and nothing was fetched.  Chromium and
chromedriver are Debian's (packages chromium, chromium-driver); when they
are missing the test says "not ok", it does not skip.  Prints TAP.
"""
import base64
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from xml.sax.saxutils import escape

BUILD = sys.argv[1]
INKAN = os.path.join(BUILD, "src", "inkan", "inkan")
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
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


# ---- the data ----

def dmarc(org, rid, domain, begin, rows, adkim="r"):
    recs = ""
    for ip, count, dk, sp, dauth, sauth in rows:
        auth = "".join("<dkim><domain>%s</domain><result>pass</result></dkim>" % d
                       for d in dauth)
        auth += "".join("<spf><domain>%s</domain><result>%s</result></spf>" % s for s in sauth)
        recs += ("<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated>"
                 "<disposition>none</disposition><dkim>%s</dkim><spf>%s</spf>"
                 "</policy_evaluated></row><identifiers><header_from>%s</header_from>"
                 "</identifiers><auth_results>%s</auth_results></record>"
                 % (ip, count, dk, sp, domain, auth))
    return ("<?xml version='1.0'?><feedback><report_metadata><org_name>%s</org_name>"
            "<email>r@rx.example</email><report_id>%s</report_id><date_range><begin>%d"
            "</begin><end>%d</end></date_range></report_metadata><policy_published><domain>"
            "%s</domain><adkim>%s</adkim><p>none</p></policy_published>%s</feedback>"
            % (escape(org), rid, begin, begin + 86399, domain, adkim, recs)).encode()


D0 = 1790035200         # 2026-09-22
A, B, C, E, X = "192.0.2.1", "192.0.2.5", "2001:db8:c::25", "203.0.113.9", "198.51.100.7"
ZONE = """$ORIGIN example.
$TTL 300
c.example. IN TXT "v=spf1 ip4:192.0.2.0/28 ip6:2001:db8:c::/48 -all"
1.2.0.192.in-addr.arpa. IN PTR mail.c.example.
"""


def fill(tmp):
    d = os.path.join(tmp, "in")
    os.mkdir(d)
    want = {"reports": 0, "messages": 0, "pass": 0, "days": {}, "src": {}}

    def add(name, org, rid, day, rows, adkim="r"):
        open(os.path.join(d, name), "wb").write(gzip.compress(
            dmarc(org, rid, "c.example", D0 + 86400 * day, rows, adkim)))
        want["reports"] += 1
        dd = want["days"].setdefault(day, [0, 0])
        for ip, cnt, dk, sp, _, _ in rows:
            ok = "pass" in (dk, sp)
            want["messages"] += cnt
            want["pass"] += cnt if ok else 0
            dd[0] += cnt
            dd[1] += cnt if ok else 0
            s = want["src"].setdefault(ip, [0, 0])
            s[0 if ok else 1] += cnt
    add("r1.xml.gz", "google.com", "g-1", 0, [
        (A, 500, "pass", "pass", ["c.example"], [("c.example", "pass")]),
        (A, 40, "fail", "fail", ["esp.example"], [("bounce.esp.example", "pass")]),
        (B, 30, "fail", "fail", [], [("other.example", "fail")]),
        (X, 70, "fail", "fail", ["spam.example"], [("spam.example", "pass")])])
    add("r2.xml.gz", "outlook.com", "o-1", 1, [
        (A, 250, "pass", "fail", ["c.example"], [("x.example", "fail")]),
        (E, 20, "fail", "fail", ["mail.c.example"], [("c.example", "fail")])], adkim="s")
    add("r3.xml.gz", "<script>alert('x')</script> & Co", "evil-1", 2, [
        (C, 12, "fail", "fail", ["news.c.example"], [])], adkim="s")
    # TLS-RPT: 90 + 7 successful, 3 failed
    tls = {"organization-name": "tls org", "date-range": {
        "start-datetime": "2026-09-22T00:00:00Z", "end-datetime": "2026-09-22T23:59:59Z"},
        "contact-info": "t@tls.example", "report-id": "t-1", "policies": [
            {"policy": {"policy-type": "sts", "policy-domain": "c.example",
                        "policy-string": ["version: STSv1", "mode: enforce"],
                        "mx-host": ["mx.c.example"]},
             "summary": {"total-successful-session-count": 90,
                         "total-failure-session-count": 3},
             "failure-details": [{"result-type": "certificate-expired",
                                  "failed-session-count": 3}]},
            {"policy": {"policy-type": "no-policy-found", "policy-domain": "d.example"},
             "summary": {"total-successful-session-count": 7,
                         "total-failure-session-count": 0}}]}
    open(os.path.join(d, "t.json"), "w").write(json.dumps(tls))
    zone = os.path.join(tmp, "c.zone")
    open(zone, "w").write(ZONE)
    db = os.path.join(tmp, "s.db")
    rc, o, e = run("ingest", "--db", db, d)
    tap(rc == 0, "ingest the dashboard's reports", o + e)
    return db, zone, want


# ---- a WebDriver client (the W3C protocol over HTTP; no selenium) ----

class Driver:
    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen([DRIVER, "--port=%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if self.call("GET", "/status")["value"]["ready"]:
                    break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM, "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900",
                    "--disable-dev-shm-usage"]}}}}
        self.sid = self.call("POST", "/session", caps)["value"]["sessionId"]

    def call(self, method, path, body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path),
                                     method=method,
                                     data=json.dumps(body).encode() if body is not None
                                     else None, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def go(self, url):
        self.call("POST", "/session/%s/url" % self.sid, {"url": url})

    def js(self, script):
        return self.call("POST", "/session/%s/execute/sync" % self.sid,
                         {"script": script, "args": []})["value"]

    def screenshot(self):
        return base64.b64decode(self.call("GET", "/session/%s/screenshot" % self.sid)["value"])

    def close(self):
        try:
            self.call("DELETE", "/session/%s" % self.sid)
        except OSError:
            pass
        self.proc.terminate()
        self.proc.wait()


def text(drv, id_):
    return drv.js("var e = document.getElementById(%s); return e ? e.textContent : null;"
                  % json.dumps(id_))


def main():
    tmp = tempfile.mkdtemp(prefix="inkan-html-")
    drv = None
    try:
        db, zone, want = fill(tmp)
        out = os.path.join(tmp, "dash")
        rc, o, e = run("html", "--db", db, "--out", out, "--zone", zone)
        page = os.path.join(out, "index.html")
        tap(rc == 0 and os.path.exists(page), "inkan report html writes DIR/index.html", o + e)
        html = open(page).read() if os.path.exists(page) else ""
        ext = re.findall(r"""(?:src|href)\s*=\s*["']?[a-z]+:|url\(|@import|<link|<script|"""
                         r"""<iframe|<img""", html, re.I)
        tap(html and not ext, "self-contained: no script, link, image, url() or src/href to"
            " anything", ext)
        tap("Content-Security-Policy" in html and "default-src 'none'" in html,
            "a Content-Security-Policy forbids loading anything", "")
        if not (os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)):
            tap(False, "headless Chromium and chromedriver are installed (Debian packages"
                " chromium, chromium-driver)", "missing %s or %s" % (CHROMIUM, DRIVER))
            return
        try:
            drv = Driver()
        except Exception as ex:      # noqa: BLE001 - any failure to start is the test's
            tap(False, "chromedriver starts headless Chromium", repr(ex))
            return
        tap(True, "chromedriver starts headless Chromium")
        drv.go("file://" + page)
        tap(drv.js("return document.readyState") == "complete"
            and drv.js("return document.title").startswith("inkan report"),
            "the page loads", drv.js("return document.title"))
        fail = want["messages"] - want["pass"]
        rate = "%.1f%%" % (100.0 * want["pass"] / want["messages"])
        got = {k: text(drv, k) for k in ("dmarc-reports", "dmarc-messages", "dmarc-pass",
                                         "dmarc-fail", "dmarc-pass-rate", "tls-reports",
                                         "tls-successful", "tls-failed")}
        tap(got == {"dmarc-reports": str(want["reports"]),
                    "dmarc-messages": str(want["messages"]), "dmarc-pass": str(want["pass"]),
                    "dmarc-fail": str(fail), "dmarc-pass-rate": rate, "tls-reports": "1",
                    "tls-successful": "97", "tls-failed": "3"},
            "the rendered cards show the totals counted when the reports were made", got)
        rows = drv.js("return Array.from(document.querySelectorAll('#by-day tr')).slice(1)"
                      ".map(r => Array.from(r.cells).map(c => c.textContent))")
        exp_rows = [[time.strftime("%Y-%m-%d", time.gmtime(D0 + 86400 * d)), str(v[0]),
                     str(v[1]), str(v[0] - v[1]), "%.1f%%" % (100.0 * v[1] / v[0])]
                    for d, v in sorted(want["days"].items())]
        tap(rows == exp_rows, "per day: messages, pass, fail and pass rate", (rows, exp_rows))
        bars = drv.js("return Array.from(document.querySelectorAll('#chart-days rect.vol'))"
                      ".map(r => [r.getAttribute('data-value'), r.getBoundingClientRect()"
                      ".height])")
        vals = [int(v) for v, _ in bars]
        hs = [h for _, h in bars]
        big = max(vals) if vals else 1
        tap(vals == [v[0] for _, v in sorted(want["days"].items())]
            and all(abs(h / max(hs) - v / big) < 0.02 for v, h in zip(vals, hs)),
            "pass rate over time: one bar a day, rendered heights proportional to the"
            " messages", bars)
        dots = drv.js("return Array.from(document.querySelectorAll('#chart-days circle'))"
                      ".map(c => c.getAttribute('data-value'))")
        tap(dots == ["%.1f" % (100.0 * v[1] / v[0]) for _, v in sorted(want["days"].items())],
            "pass rate over time: the line's points are the daily pass rates", dots)
        src = drv.js("return Array.from(document.querySelectorAll('#chart-sources g.row'))"
                     ".map(g => [g.getAttribute('data-label'), Array.from(g.querySelectorAll"
                     "('rect')).map(r => [r.getAttribute('class'), +r.getAttribute("
                     "'data-value'), r.getBoundingClientRect().width])])")
        exp_src = sorted(want["src"].items(), key=lambda kv: (-sum(kv[1]), kv[0]))
        got_src = [(lab, [r[1] for r in rects]) for lab, rects in src]
        tap(got_src == [(ip, v) for ip, v in exp_src],
            "volume by source: every source, largest first, pass and fail", (got_src, exp_src))
        widths = [(sum(r[1] for r in rects), sum(r[2] for r in rects)) for _, rects in src]
        top = max(w for _, w in widths) if widths else 1
        topv = max(v for v, _ in widths) if widths else 1
        tap(widths and all(abs(w / top - v / topv) < 0.02 for v, w in widths),
            "volume by source: rendered bar lengths proportional to the messages", widths)
        reasons = drv.js("return Array.from(document.querySelectorAll('#reasons tr')).slice(1)"
                         ".map(r => [r.cells[0].textContent, +r.cells[1].textContent])")
        # A's ESP mail and X: both pass unaligned; E and C: DKIM only (a
        # subdomain under adkim=s); B: nothing passes
        tap(sum(v for _, v in reasons) == fail and dict(reasons) == {
            "DKIM and SPF pass, neither aligned": 40 + 70,
            "only DKIM passes, not aligned": 20 + 12,
            "nothing passes (spoofed, forwarded, broken)": 30},
            "why messages fail: the failing messages by which results passed unaligned",
            reasons)
        adv = drv.js("return Array.from(document.querySelectorAll('#advice > li')).map(l =>"
                     " [l.getAttribute('data-source'), l.textContent])")
        advs = {ip: t for ip, t in adv}
        tap(set(advs) == {A, B, C, E} and "d=esp.example" in advs.get(A, "")
            and "adkim=s" in advs.get(C, "") and "mail.c.example" in advs.get(A, ""),
            "the p=none -> p=reject advice lists the legitimate sources that fail, and why",
            adv)
        tap(X not in advs, "the spoofing source is not in the advice", adv)
        orgs = drv.js("return Array.from(document.querySelectorAll('#orgs tr')).slice(1)"
                      ".map(r => r.cells[0].textContent)")
        tap(drv.js("return document.scripts.length") == 0
            and "<script>alert('x')</script> & Co" in orgs,
            "a report's hostile organisation name is shown as text, never run", orgs)
        tls = drv.js("return Array.from(document.querySelectorAll('#tls-policies tr'))"
                     ".slice(1).map(r => Array.from(r.cells).map(c => c.textContent))")
        tap(tls == [["c.example", "sts", "mx.c.example", "90", "3"],
                    ["d.example", "no-policy-found", "-", "7", "0"]],
            "TLS-RPT sessions per policy", tls)
        resources = drv.js("return performance.getEntriesByType('resource').length")
        tap(resources == 0, "the browser loaded no resource besides the page", resources)
        h = drv.js("return document.body.scrollHeight")
        png = drv.screenshot()
        tap(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000 and h > 1500,
            "it renders: a screenshot of %d bytes, the page %d px high" % (len(png), h))
        open(os.path.join(tmp, "shot.png"), "wb").write(png)
    finally:
        if drv is not None:
            drv.close()
        shutil.rmtree(tmp)
        print("1..%d" % n)
        sys.exit(1 if failures else 0)


main()
