"""test_check_cli.py BUILD - `inkan check` end to end, offline.

Runs the built CLI on tests/data/check/audit.zone with --zone --offline
(no network: the SMTP and HTTPS probes must come out not-tested) and
checks the JSON schema of inkan-check(1), exit codes, several domains in
one call, the text form, --html, the category filters and option errors.
Expectations come from the records in audit.zone (comments there say what
each name is built to show).  The live servers are
tests/integration/check_loopback.sh.  Prints TAP.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INKAN = os.path.join(sys.argv[1], "src", "inkan", "inkan")
ZONE = os.path.join(ROOT, "tests", "data", "check", "audit.zone")
STATUSES = {"pass", "warn", "fail", "info", "error", "not-tested"}
CATEGORIES = ["mx", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "dnssec", "dane", "tls",
              "bimi"]
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


def inkan(*args):
    p = subprocess.run([INKAN, "check"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def offline(*args):
    return inkan("--zone", ZONE, "--offline", *args)


def items(report, cid):
    return [c for c in report["checks"] if c["id"] == cid]


# ---- the JSON schema (inkan-check(1)) ----
rc, out, err = offline("--json", "good.u.test")
try:
    j = json.loads(out)
except ValueError:
    j = None
tap(j is not None and isinstance(j, dict), "one domain: one JSON object", out + err)
if j is None:
    print("1..%d" % n)
    sys.exit(1)
tap(j["domain"] == "good.u.test", "domain field", j.get("domain"))
tap(isinstance(j["score"], int) and 0 <= j["score"] <= 100, "score is a percentage", j["score"])
tap(sorted(j["categories"]) == sorted(CATEGORIES), "every category named",
    list(j["categories"]))
bad = [c for c in j["checks"]
       if set(c) != {"id", "category", "status", "subject", "summary", "advice", "evidence"}
       or c["status"] not in STATUSES or c["category"] not in CATEGORIES
       or not isinstance(c["evidence"], list)]
tap(not bad, "every check has id, category, status, subject, summary, advice, evidence", bad)
order = [CATEGORIES.index(c["category"]) for c in j["checks"]]
tap(order == sorted(order), "checks grouped in category order", order)
# --offline: the network probes are not-tested, never run (issue 5).
nt = {c["id"] for c in j["checks"] if c["status"] == "not-tested"}
tap({"mtasts-policy", "tls-connect", "dane-match"} <= nt, "offline: probes not-tested", nt)
# good.u.test: MX with IPv6, SPF, DKIM 2048, DMARC reject, MTA-STS record,
# TLS-RPT, two TLSA 3 1 1, BIMI: nothing worse than pass, so exit 0.
tap(rc == 0 and j["worst"] == "pass", "good domain: worst pass, exit 0",
    "rc %d worst %s: %s" % (rc, j["worst"],
                            [(c["id"], c["status"]) for c in j["checks"]
                             if c["status"] in ("warn", "fail", "error")]))
tap(j["categories"]["dnssec"]["score"] is None, "DNSSEC unscored without a validator",
    j["categories"]["dnssec"])
pol = items(j, "dmarc-policy")
tap(pol and "TXT _dmarc.good.u.test" in pol[0]["evidence"][0], "evidence holds the record",
    pol)

# ---- exit codes: 0 pass, 1 warn, 2 fail ----
rc, out, err = offline("--json", "--only", "mx", "v6none.u.test")
tap(rc == 1, "warnings only: exit 1", "rc %d %s" % (rc, out[-300:]))
rc, out, err = offline("--json", "nullmix.u.test")
tap(rc == 2, "a failure: exit 2", rc)

# ---- several domains: a JSON array, worst exit ----
rc, out, err = offline("--json", "good.u.test", "nullmix.u.test", "v6none.u.test")
try:
    arr = json.loads(out)
except ValueError:
    arr = None
tap(isinstance(arr, list) and [r["domain"] for r in arr] ==
    ["good.u.test", "nullmix.u.test", "v6none.u.test"], "several domains: array in order",
    out[:300] + err)
tap(rc == 2, "several domains: worst exit", rc)

# ---- text ----
rc, out, err = offline("--ascii", "nullmix.u.test")
tap(out.startswith("nullmix.u.test  score "), "text: domain and score first", out[:200])
tap("[FAIL] Null MX published together with 1 other MX record  [mx-null]" in out,
    "text: --ascii status and id", out)
tap("fix: A Null MX must be the only MX record" in out, "text: advice for a failure", out)
tap("\n      | MX 0 ." in out, "text: evidence of a failure", out)
rc, out, err = offline("nullmix.u.test")
tap("✘ Null MX" in out and "\033[" not in out, "text: symbols, no colour when not a TTY", out)
rc, out, err = offline("-v", "good.u.test")
tap("| TXT good.u.test \"v=spf1 mx -all\"" in out, "-v: evidence of passing checks", out)

# ---- filters ----
rc, out, err = offline("--json", "--only", "mx,spf", "good.u.test")
cats = {c["category"] for c in json.loads(out)["checks"]}
tap(cats == {"mx", "spf"}, "--only mx,spf", cats)
rc, out, err = offline("--json", "--skip", "tls,dane,bimi", "good.u.test")
cats = {c["category"] for c in json.loads(out)["checks"]}
tap(not cats & {"tls", "dane", "bimi"} and "mx" in cats, "--skip tls,dane,bimi", cats)
rc, out, err = offline("--json", "--selector", "zzunusual", "dkent.u.test")
keys = items(json.loads(out), "dkim-key")
tap(keys and keys[0]["status"] == "pass" and keys[0]["subject"] == "zzunusual",
    "--selector checks the named key", keys)
# Without --discover, a given selector means no dictionary probing.
sel = items(json.loads(out), "dkim-selectors")
tap(not sel, "--selector alone: no discovery", sel)

# ---- --html ----
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "r.html")
    rc, out, err = offline("--html", path, "good.u.test", "biminv.u.test")
    page = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    tap(page.startswith("<!DOCTYPE html>") and "good.u.test" in page and
        "biminv.u.test" in page, "--html: one page, both domains", page[:200] + err)
    tap("<script" not in page and "src=" not in page and "<svg" in page,
        "--html: self-contained, inline SVG", page[:200])
    # The invalid BIMI record's text contains no markup here, but the
    # summary quotes user data: every "<" must come from us.
    tap("&quot;" in page or "&lt;" in page or "http://biminv" in page, "--html: text escaped",
        page[:200])
    rc, out, err = offline("--html", os.path.join(d, "no", "such", "dir.html"), "good.u.test")
    tap(rc == 73 and "cannot write" in err, "--html to a bad path: exit 73", "%d %s" % (rc, err))

# ---- option errors ----
rc, out, err = inkan("--offline", "good.u.test")
tap(rc == 64 and "--offline needs --zone" in err, "--offline without --zone: usage", err)
rc, out, err = offline("--only", "nope", "good.u.test")
tap(rc == 64 and "unknown category" in err, "unknown category: usage", err)
rc, out, err = offline("--connect", "x.test=not-an-ip", "good.u.test")
tap(rc == 64, "bad --connect: usage", err)
rc, out, err = offline("--connect", "mx.test:25=[2001:db8::1]:2525", "--connect",
                       "*:443=127.0.0.1:8443", "--connect", "h.test=::1", "good.u.test")
tap(rc == 0, "good --connect forms accepted", err)
rc, out, err = offline("not a domain")
tap(rc == 64 and "not a domain name" in err, "bad domain: usage", err)
rc, out, err = offline()
tap(rc == 64, "no domain: usage", err)
rc, out, err = inkan("--help")
tap(rc == 0 and "usage: inkan check" in out and "--connect" in out, "--help", out[:200])

print("1..%d" % n)
sys.exit(1 if failures else 0)
