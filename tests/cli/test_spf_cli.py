"""test_spf_cli.py BUILD - `inkan spf check` and `inkan spf lint` end to end.

Runs the built CLI on examples/zones/demo.zone (offline) and checks verdicts,
exit codes, JSON fields and lint findings.  Every expectation below is
derived from RFC 7208 and the records in demo.zone (the comment says how),
not copied from inkan's output.  Prints TAP.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INKAN = os.path.join(sys.argv[1], "src", "inkan", "inkan")
ZONE = os.path.join(ROOT, "examples", "zones", "demo.zone")
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


def inkan(*args, stdin=None):
    p = subprocess.run([INKAN] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def check(name, ip, mfrom, helo, want, code, extra=(), **fields):
    rc, out, err = inkan("spf", "check", "--zone", ZONE, "--json", *extra, ip, mfrom, helo)
    try:
        j = json.loads(out)
    except ValueError:
        tap(False, name, "not JSON: %r %r" % (out, err))
        return None
    bad = []
    if j.get("result") != want:
        bad.append("result %r, wanted %r" % (j.get("result"), want))
    if rc != code:
        bad.append("exit %d, wanted %d" % (rc, code))
    for k, v in fields.items():
        if j.get(k) != v:
            bad.append("%s %r, wanted %r" % (k, j.get(k), v))
    tap(not bad, name, "\n".join(bad) + "\n" + out)
    return j


# mx1.good.example (192.0.2.25) is good.example's MX; "mx" matches (RFC 7208 §5.4).
check("check: mx pass", "192.0.2.25", "alice@good.example", "mx1.good.example", "pass", 0,
      mechanism="mx", domain="good.example", dns_lookups=1)
# 198.51.100.0/24 is in _spf.esp.example, included by good.example (§5.2).
check("check: include pass", "198.51.100.7", "alice@good.example", "h.esp.example", "pass", 0)
# strict.example: not in 192.0.2.0/26, "-all" -> fail with exp= text expanded (§6.2, §7):
# %{i} = 203.0.113.9, %{d} = strict.example.
check("check: fail with exp", "203.0.113.9", "alice@strict.example", "evil.example", "fail", 1,
      explanation="203.0.113.9 is not one of strict.example's mail servers; "
                  "see https://good.example/spf")
# Null sender: postmaster@HELO is checked (§2.4); ip6 in _spf.esp -> pass.
check("check: null sender uses HELO", "2001:db8:e5b::1", "<>", "good.example", "pass", 0,
      sender="postmaster@good.example", identity="mailfrom")
# IPv4-mapped IPv6 client is evaluated as IPv4 (§5: ip4 matches it).
check("check: v4-mapped client", "::ffff:192.0.2.3", "x@strict.example", "h.example", "pass", 0)
# Two SPF records -> permerror (§4.5).
check("check: two records", "192.0.2.1", "bob@two.example", "mail.two.example", "permerror", 6)
# No record at all -> none (§4.5); the name does not exist -> none (§4.3).
check("check: no record", "192.0.2.1", "bob@nothing.example", "h.example", "none", 4)
# "ip:" is an unknown mechanism -> permerror (§4.6.1), even though +all follows.
check("check: syntax error", "192.0.2.1", "bob@typo.example", "h.example", "permerror", 6)
# big.example needs more than 10 DNS terms before a match -> permerror (§4.6.4).
j = check("check: lookup limit", "203.0.113.99", "carol@big.example", "mail.big.example",
          "permerror", 6)
# softfail: _spf.esp.example ends with ~all; as the checked domain it gives softfail.
check("check: softfail", "192.0.2.200", "x@_spf.esp.example", "h.example", "softfail", 2)
# HELO scope (§2.3): the HELO name good.example has a record; 192.0.2.25 passes via mx.
check("check: helo scope", "192.0.2.25", "x@nothing.example", "good.example", "pass", 0,
      extra=("--helo",), identity="helo")

# Text output: the first line is the verdict word.
rc, out, _ = inkan("spf", "check", "--zone", ZONE, "203.0.113.9", "a@strict.example", "h")
tap(rc == 1 and out.splitlines()[0] == "fail", "check: text first line is the result", out)
tap("Received-SPF: fail" in out, "check: text shows Received-SPF", out)

# --trace prints DNS queries to stderr.
rc, out, err = inkan("spf", "check", "--zone", ZONE, "--trace", "192.0.2.25",
                     "alice@good.example", "h")
tap(rc == 0 and "good.example" in err and "TXT" in err, "check: --trace shows queries", err)

# Usage errors: exit 64 with a message naming the problem.
rc, _, err = inkan("spf", "check", "--zone", ZONE, "300.1.1.1", "a@b.example", "h")
tap(rc == 64 and "address" in err, "check: bad IP is a usage error", err)
rc, _, err = inkan("spf", "check", "--zone", ZONE, "192.0.2.1", "<>")
tap(rc == 64 and "HELO" in err, "check: null sender without HELO", err)
rc, _, err = inkan("spf", "check", "--zone", "/nonexistent/zone", "192.0.2.1", "a@b.example")
tap(rc == 65 and "/nonexistent/zone" in err, "check: missing zone file names it", err)
rc, _, err = inkan("spf", "frobnicate")
tap(rc == 64, "spf: unknown subcommand", err)
rc, out, _ = inkan("spf", "check", "--help")
tap(rc == 0 and "--batch" in out, "check: --help", out)

# Batch: same answers concurrently, sequentially and one by one, in input order.
lines = [
    "192.0.2.25 alice@good.example mx1.good.example",
    "198.51.100.7 alice@good.example h.esp.example",
    "203.0.113.9 alice@strict.example evil.example",
    "2001:db8:e5b::1 <> good.example",
    "192.0.2.1 bob@two.example mail.two.example",
    "not-an-ip bob@two.example h",
    "203.0.113.99 carol@big.example mail.big.example",
] * 30
batch_in = ("\n".join(lines) + "\n").encode()
rc1, conc, err1 = inkan("spf", "check", "--zone", ZONE, "--batch", "-", "--jobs", "17",
                        stdin=batch_in)
rc2, seq, err2 = inkan("spf", "check", "--zone", ZONE, "--batch", "-", "--sequential",
                       stdin=batch_in)
tap(conc == seq and len(conc.splitlines()) == len(lines),
    "batch: concurrent == sequential, one line per input", err1 + err2)
want = ["pass", "pass", "fail", "pass", "permerror", None, "permerror"] * 30
got = []
for line in conc.splitlines():
    try:
        got.append(json.loads(line).get("result"))
    except ValueError:
        got.append("unparsable")
tap(got == want, "batch: results in input order", "%r" % got[:8])
errs = [json.loads(l) for l in conc.splitlines() if "error" in json.loads(l)]
tap(len(errs) == 30 and all(e.get("line") == 6 + 7 * i for i, e in enumerate(errs)),
    "batch: a bad line gives an error object naming the line", "%r" % errs[:2])

# Invalid UTF-8 from the SMTP client must not drop a JSON member: it is
# replaced by U+FFFD (RFC 8259 §8.1 wants UTF-8 text).
rc, out, err = inkan("spf", "check", "--zone", ZONE, "--batch", "-",
                     stdin=b"192.0.2.1 \xff@good.example h\xc3\xa9lo\n")
try:
    j = json.loads(out)
except ValueError:
    j = {}
tap(j.get("sender") == "\ufffd@good.example" and j.get("helo") == "h\u00e9lo",
    "batch: invalid UTF-8 becomes U+FFFD, valid UTF-8 is kept", out + err)


def lint(domain):
    rc, out, err = inkan("spf", "lint", "--zone", ZONE, "--json", domain)
    try:
        return rc, json.loads(out)
    except ValueError:
        return rc, {"unparsable": out + err}


def ids(j):
    return sorted({f["id"] for f in j.get("findings", [])})


# good.example: mx + include, -all; 2 lookups, nothing wrong.
rc, j = lint("good.example")
tap(rc == 0 and j.get("errors") == 0 and j.get("warnings") == 0 and j.get("dns_lookups") == 2,
    "lint: tidy record has no findings", json.dumps(j)[:800])
# two.example: two records (§4.5).
rc, j = lint("two.example")
tap(rc == 2 and "multiple-records" in ids(j), "lint: two records", ids(j))
# big.example: 4 at the top + 3 (a.big) + 1 (a3) + 3 (b.big) + 3 (c.big) = 14 > 10.
rc, j = lint("big.example")
tap(rc == 2 and j.get("dns_lookups") == 14 and "too-many-lookups" in ids(j),
    "lint: 14 lookups over the limit", "%s %s" % (j.get("dns_lookups"), ids(j)))
tap({"ptr", "range-too-wide", "void-lookup"} <= set(ids(j)),
    "lint: ptr, 0.0.0.0/1 and void lookup found", ids(j))
tree = j.get("tree", {})
tap([c.get("domain") for c in tree.get("children", [])] == ["a.big.example", "b.big.example",
                                                          "c.big.example"],
    "lint: tree lists the includes in order", json.dumps(tree)[:500])
# typo.example: "ip:" at offset 21 of "v=spf1 ip4:192.0.2.1 ip:192.0.2.2 +all".
rc, j = lint("typo.example")
syn = [f for f in j.get("findings", []) if f["id"] == "syntax"]
tap(rc == 2 and len(syn) == 1 and syn[0].get("offset") == 21,
    "lint: syntax error with its position", json.dumps(syn))
rc, out, err = inkan("spf", "lint", "--zone", ZONE, "typo.example")
tap(rc == 2 and "^" in out, "lint: text output points at the error", out)
rc, j = lint("nothing.example")
tap(rc == 2 and "no-record" in ids(j), "lint: domain without SPF", ids(j))
rc, _, err = inkan("spf", "lint", "--zone", ZONE, "bad..name")
tap(rc == 64, "lint: invalid domain is a usage error", err)

print("1..%d" % n)
sys.exit(1 if failures else 0)
