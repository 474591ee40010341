"""test_survey_html.py BUILD - `inkan survey report --html` (and with
--compare), loaded in a real browser.

Two stores are made by `inkan survey run` (over an empty list: the schema
of this build) and filled with rows whose measures are known by
construction, under categories that include a script tag and HTML
metacharacters.  The page is written, then headless Chromium, driven
through chromedriver's WebDriver HTTP API, loads it and the checks run on
the rendered DOM: the denominators, the counts and percentages in the
tables, the bars' data values and rendered widths, the change against the
other survey, categories of one survey only, that the hostile category
is text and no script exists, and that nothing was fetched.  Chromium and
chromedriver are Debian's (packages chromium, chromium-driver); when they
are missing the test says "not ok", it does not skip.  Prints TAP.
"""
import base64
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD = sys.argv[1]
INKAN = os.path.join(BUILD, "src", "inkan", "inkan")
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
EVIL = "<script>alert('x')</script>"
AMP = 'a&b "q"'
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
    p = subprocess.run([INKAN, "survey"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# ---- the data: (domain, category, mx, spf, spf_all, dmarc) ----

CUR = [("a.co.jp", "co", "ok", "valid", "-", "valid"),
       ("b.co.jp", "co", "ok", "valid", "~", "none"),
       ("c.co.jp", "co", "none", "none", None, "none"),
       ("d.co.jp", "co", "null", "valid", "-", "none"),
       ("e.x.jp", EVIL, "ok", "invalid", None, "valid"),
       ("f.x.jp", EVIL, "ip", "none", None, "none"),
       ("g.y.jp", AMP, "ok", "valid", "-", "valid")]
OLD = [("a.co.jp", "co", "ok", "valid", "~", "none"),
       ("b.co.jp", "co", "ok", "none", None, "none"),
       ("c.co.jp", "co", "none", "none", None, "none"),
       ("h.z.jp", "gone", "ok", "valid", "-", "valid")]
# measure -> predicate over a row, as include/inkan/survey.h defines them
MEASURES = {
    "mx": lambda r: r[2] in ("ok", "ip"),
    "null_mx": lambda r: r[2] == "null",
    "spf": lambda r: r[3] in ("valid", "invalid", "multiple"),
    "spf_valid": lambda r: r[3] == "valid",
    "spf_fail_all": lambda r: r[4] == "-",
    "spf_softfail_all": lambda r: r[4] == "~",
    "dmarc": lambda r: r[5] == "valid",
}


def make_store(path, rows):
    rc, o, e = run("run", "--db", path, "--resolver", "127.0.0.1@5391", "--no-dnssec",
                   "--quiet", "-")
    if rc != 0:
        return "survey run: " + o + e
    db = sqlite3.connect(path)
    for d, cat, mx, spf, al, dmarc in rows:
        db.execute("INSERT INTO survey_domain (domain, category, mx, mx_hosts, spf, spf_all,"
                   " spf_lookups, spf_over_limit, dmarc, dmarc_rua, dmarc_testing, mtasts,"
                   " tlsrpt, bimi, dnssec, dane_hosts, dane, dane_secure, dkim, queries)"
                   " VALUES (?,?,?,1,?,?,1,0,?,0,0,'none','none','none','insecure',0,0,0,"
                   "'none',5)", (d, cat, mx, spf, al, dmarc))
    db.commit()
    db.close()
    return None


def tally(rows):
    """category -> (all, with_mx, {measure: (count, count_mx)}), total as "all"."""
    out = {}
    for key in sorted({r[1] for r in rows}) + ["all"]:
        rs = [r for r in rows if key == "all" or r[1] == key]
        mx = [r for r in rs if MEASURES["mx"](r)]
        out[key] = (len(rs), len(mx), {m: (sum(1 for r in rs if f(r)), sum(1 for r in mx if f(r)))
                                       for m, f in MEASURES.items()})
    return out


def pct(a, b):
    return 100.0 * a / b if b else 0.0


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

    def js(self, script, *args):
        return self.call("POST", "/session/%s/execute/sync" % self.sid,
                         {"script": script, "args": list(args)})["value"]

    def screenshot(self):
        return base64.b64decode(self.call("GET", "/session/%s/screenshot" % self.sid)["value"])

    def close(self):
        try:
            self.call("DELETE", "/session/%s" % self.sid)
        except OSError:
            pass
        self.proc.terminate()
        self.proc.wait()


SECTION = ("var s = Array.from(document.querySelectorAll('section.cat')).find("
           "x => x.getAttribute('data-category') === arguments[0]);")


def section(drv, cat):
    """The rendered section of cat: heading, denominator line, table rows, bars."""
    return drv.js(SECTION + "if (!s) return null; return {h: s.querySelector('h2').textContent,"
                  " den: s.querySelector('p.den').textContent,"
                  " rows: Array.from(s.querySelectorAll('table tr')).slice(1).map(r =>"
                  " Array.from(r.cells).map(c => c.textContent)),"
                  " bars: Array.from(s.querySelectorAll('g.row')).map(g => [g.getAttribute("
                  "'data-measure'), Array.from(g.querySelectorAll('rect')).map(r =>"
                  " [r.getAttribute('class'), +r.getAttribute('data-value'),"
                  " r.getBoundingClientRect().width])])}", cat)


def static_checks(html, what):
    ext = re.findall(r"""(?:src|href)\s*=\s*["']?[a-z]+:|url\(|@import|<link|<script|"""
                     r"""<iframe|<img""", html, re.I)
    tap(html and not ext, "%s: self-contained: no script, link, image, url() or src/href"
        % what, ext)
    tap("Content-Security-Policy" in html and "default-src 'none'" in html,
        "%s: a Content-Security-Policy forbids loading anything" % what)


def check_plain(drv, page, cur):
    drv.go("file://" + page)
    tap(drv.js("return document.readyState") == "complete"
        and drv.js("return document.title") == "inkan survey report", "the page loads",
        drv.js("return document.title"))
    den = drv.js("return document.getElementById('denominators').textContent")
    tap("% of all" in den and "all domains surveyed in the category" in den
        and "% of with MX" in den, "the denominators are stated", den)
    summ = drv.js("return Array.from(document.querySelectorAll('#summary tr')).slice(1)"
                  ".map(r => Array.from(r.cells).map(c => c.textContent))")
    want = [[c, str(v[0]), str(v[1])] for c, v in cur.items()]
    tap(summ == want, "summary: every category with its domains and domains with MX",
        (summ, want))
    bad = []
    widths = []
    for cat, (al, wm, ms) in cur.items():
        s = section(drv, cat)
        if s is None:
            bad.append((cat, "no section"))
            continue
        if s["h"] != cat or not s["den"].startswith("%d domains, %d with MX" % (al, wm)):
            bad.append((cat, s["h"], s["den"]))
        rows = {r[0]: r[1:] for r in s["rows"]}
        bars = {m: {c: (v, w) for c, v, w in rects} for m, rects in s["bars"]}
        for m, (k, kmx) in ms.items():
            exp = [str(k), "%.2f%%" % pct(k, al), str(kmx), "%.2f%%" % pct(kmx, wm)]
            if rows.get(m) != exp:
                bad.append((cat, m, rows.get(m), exp))
            b = bars.get(m, {})
            if ("%.2f" % b.get("all", (-1,))[0] != "%.2f" % pct(k, al)
                    or "%.2f" % b.get("mx", (-1,))[0] != "%.2f" % pct(kmx, wm)):
                bad.append((cat, m, "bars", b))
        widths += [(v, w) for rects in bars.values() for v, w in rects.values()]
    tap(not bad, "each category: the denominators, and per measure the counts and both"
        " percentages in the table and on the bars", bad)
    top = max(widths)
    tap(top[0] > 0 and all(abs(w - v / top[0] * top[1]) < 1.0 for v, w in widths),
        "the rendered bar lengths are proportional to the percentages", widths[:10])
    tap(drv.js("return document.scripts.length") == 0 and EVIL in
        drv.js("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)"),
        "a category named with a script tag is shown as text, never run")
    tap(AMP in drv.js("return Array.from(document.querySelectorAll('#summary td'))"
                      ".map(c => c.textContent)"),
        "a category with & and quotes is shown as it is")
    tap(drv.js("return performance.getEntriesByType('resource').length") == 0,
        "the browser loaded no resource besides the page")


def check_compare(drv, page, cur, old):
    drv.go("file://" + page)
    tap(drv.js("return document.readyState") == "complete", "the --compare page loads")
    summ = drv.js("return Array.from(document.querySelectorAll('#summary tr')).slice(1)"
                  ".map(r => Array.from(r.cells).map(c => c.textContent))")
    cats = sorted(set(cur) | set(old), key=lambda c: (c == "all", c))
    want = [[c, str(cur[c][0]) if c in cur else "-", str(cur[c][1]) if c in cur else "-",
             str(old[c][0]) if c in old else "-", str(old[c][1]) if c in old else "-"]
            for c in cats]
    tap(summ == want, "summary: both surveys' denominators, '-' where a category is missing",
        (summ, want))
    bad = []
    for cat in cats:
        s = section(drv, cat)
        c, o = cur.get(cat), old.get(cat)
        if s is None:
            bad.append((cat, "no section"))
            continue
        if c is None and "only in the other survey" not in s["den"]:
            bad.append((cat, s["den"]))
        if o is None and "not in the other survey" not in s["den"]:
            bad.append((cat, s["den"]))
        if o is not None and "other survey: %d domains, %d with MX" % (o[0], o[1]) not in s["den"]:
            bad.append((cat, s["den"]))
        rows = {r[0]: r[1:] for r in s["rows"]}
        bars = {m: {cl: v for cl, v, w in rects} for m, rects in s["bars"]}
        for m in MEASURES:
            k, kmx = c[2][m] if c else (None, None)
            ok_, okmx = o[2][m] if o else (None, None)

            def num(v):
                return "-" if v is None else str(v)

            def pc(v, d):
                return "-" if v is None else "%.2f%%" % pct(v, d)

            def chg(a, b):
                return "-" if a is None or b is None else "%+d" % (a - b)

            def pp(a, da, b, db):
                return "-" if a is None or b is None else "%+.2f" % (pct(a, da) - pct(b, db))
            exp = [num(ok_), num(k), chg(k, ok_), pc(ok_, o[0] if o else 0),
                   pc(k, c[0] if c else 0), pp(k, c[0] if c else 0, ok_, o[0] if o else 0),
                   num(okmx), num(kmx), chg(kmx, okmx), pc(okmx, o[1] if o else 0),
                   pc(kmx, c[1] if c else 0), pp(kmx, c[1] if c else 0, okmx, o[1] if o else 0)]
            if rows.get(m) != exp:
                bad.append((cat, m, rows.get(m), exp))
            if o is not None and "%.2f" % bars.get(m, {}).get("old-all", -1) != "%.2f" % pct(
                    ok_, o[0]):
                bad.append((cat, m, "old bar", bars.get(m)))
            if (c is None) != ("all" not in bars.get(m, {})):
                bad.append((cat, m, "bars of a missing side", bars.get(m)))
    tap(not bad, "each category: this and the other survey, the change in domains and in"
        " percentage points of both denominators, bars of both", bad)
    co = section(drv, "co")
    row = {r[0]: r for r in co["rows"]}["spf_fail_all"] if co else None
    tap(row is not None and row[3] == "+2" and row[6] == "+50.00",
        "co, spf_fail_all: 0 of 3 -> 2 of 4 domains is +2, +50.00 pp", row)
    tap(drv.js("return document.scripts.length") == 0
        and drv.js("return performance.getEntriesByType('resource').length") == 0,
        "no script, nothing fetched")
    png = drv.screenshot()
    h = drv.js("return document.body.scrollHeight")
    tap(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000 and h > 1500,
        "it renders: a screenshot of %d bytes, the page %d px high" % (len(png), h))


def main():
    tmp = tempfile.mkdtemp(prefix="inkan-survey-html-")
    drv = None
    try:
        a, b = os.path.join(tmp, "now.db"), os.path.join(tmp, "before.db")
        err = make_store(a, CUR) or make_store(b, OLD)
        tap(err is None, "two stores made by survey run and filled", err)
        cur, old = tally(CUR), tally(OLD)
        pages = {}
        for name, args in (("plain", [a]), ("compare", [a, "--compare", b])):
            rc, o, e = run("report", "--html", *args)
            pages[name] = os.path.join(tmp, name + ".html")
            open(pages[name], "w").write(o)
            tap(rc == 0 and o.startswith("<!DOCTYPE html>"), "report --html (%s) exits 0"
                % name, e)
            static_checks(o, name)
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
        check_plain(drv, pages["plain"], cur)
        check_compare(drv, pages["compare"], cur, old)
    finally:
        if drv is not None:
            drv.close()
        shutil.rmtree(tmp)
        print("1..%d" % n)
        sys.exit(1 if failures else 0)


main()
