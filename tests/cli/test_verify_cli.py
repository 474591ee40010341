"""test_verify_cli.py BUILD - `inkan verify` and `inkan stats` end to end.

Offline: every record comes from a zone file written here.  Messages are
signed with `inkan dkim sign` under keys made by `inkan dkim keygen`; the
DKIM module has its own interop tests against dkimpy and OpenDKIM, so here
the point is how SPF, DKIM and DMARC combine (RFC 9989 §4.4 alignment,
§4.7 policy, §5.3 tags) and what the Authentication-Results field says
(RFC 8601).  Each A-R field we print is also parsed by Debian's
python3-authres, an independent parser, when it is installed.  Prints TAP.
"""
import json
import os
import re
import shutil
import subprocess
import sys

BUILD = os.path.abspath(sys.argv[1])
INKAN = os.path.join(BUILD, "src", "inkan", "inkan")
WORK = os.path.join(BUILD, "test-verify-cli")
n = 0
failures = 0

try:
    import authres  # python3-authres
except ImportError:
    authres = None


def tap(ok, name, detail=""):
    global n, failures
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    if not ok:
        failures += 1
        for line in str(detail).splitlines()[:25]:
            print("#   " + line)
    sys.stdout.flush()


def inkan(*args, stdin=None):
    p = subprocess.run([INKAN] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120, cwd=WORK)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# Keys: example.com (the author domain) and esp.example.net (a provider
# that signs with its own domain).
recs = []
for dom, sel, f in (("example.com", "r1", "r1.key"), ("esp.example.net", "esp", "esp.key")):
    rc, out, err = inkan("dkim", "keygen", "--domain", dom, "--selector", sel, "--out", f)
    tap(rc == 0, "keygen %s" % dom, err)
    recs += [l for l in out.splitlines() if l and not l.startswith(";")]

ZONE = os.path.join(WORK, "verify.zone")
with open(ZONE, "w") as z:
    z.write("$TTL 300\n")
    for r in recs:
        z.write(r + "\n")
    z.write("""
example.com.                 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
bounce.example.com.          IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
mail.example.com.            IN A 192.0.2.25
mail.example.com.            IN TXT "v=spf1 a -all"
_dmarc.example.com.          IN TXT "v=DMARC1; p=reject; np=reject; rua=mailto:d@example.com"
esp.example.net.             IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
strict.example.org.          IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
b.strict.example.org.        IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.strict.example.org.   IN TXT "v=DMARC1; p=quarantine; aspf=s"
testing.example.org.         IN TXT "v=spf1 -all"
_dmarc.testing.example.org.  IN TXT "v=DMARC1; p=reject; t=y"
nopolicy.example.org.        IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
""")

BASE = ("To: bob@example.org\r\nSubject: hello\r\n"
        "Date: Thu, 26 Nov 2026 01:00:00 +0000\r\nMessage-ID: <v-%d@example.com>\r\n"
        "\r\nHi Bob,\r\nbye\r\n")
counter = [0]


def msg(frm, extra=""):
    counter[0] += 1
    return ("From: %s\r\n%s" % (frm, extra) + BASE % counter[0]).encode()


def sign(data, domain="example.com", sel="r1", key="r1.key"):
    p = subprocess.run([INKAN, "dkim", "sign", "--domain", domain, "--selector", sel,
                        "--key", key, "-"], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=WORK)
    assert p.returncode == 0, p.stderr
    return p.stdout


def verify(data, *args):
    rc, out, err = inkan("verify", "--zone", ZONE, "--authserv-id", "mx.example.org",
                         "--json", *args, "-", stdin=data)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, {"raw": out}, err


def ar_check(j, name):
    """Our A-R value parses with python3-authres to the same results."""
    ar = j.get("authentication_results")
    if authres is None:
        tap(False, name + " # SKIP python3-authres not installed")
        return
    try:
        h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + ar)
    except Exception as e:  # noqa: BLE001 - any parse error is the finding
        tap(False, name, "%s\n%s" % (e, ar))
        return
    got = {(r.method, r.result) for r in h.results}
    want = set()
    if j["spf"]["result"] != "not-evaluated":
        want.add(("spf", j["spf"]["result"]))
    for s in j["dkim"] or [{"result": "none"}]:
        want.add(("dkim", s["result"]))
    if j["arc"]["result"] != "not-evaluated":
        want.add(("arc", j["arc"]["result"]))
    want.add(("dmarc", j["dmarc"]["result"]))
    tap(h.authserv_id == "mx.example.org" and got == want, name, "%s\n%s vs %s" % (ar, got, want))


def props(j, method):
    """{ptype.property: value} of the first result of method in our A-R."""
    if authres is None:
        return {}
    h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " +
                                                 j["authentication_results"])
    for r in h.results:
        if r.method == method:
            return {"%s.%s" % (p.type, p.name): p.value for p in r.properties}
    return {}


# 1. Aligned SPF and DKIM: pass, deliver.
m1 = sign(msg("Alice <alice@example.com>"))
rc, j, err = verify(m1, "--ip", "192.0.2.1", "--mail-from", "alice@example.com",
                    "--helo", "mail.example.com")
tap(rc == 0 and j.get("spf", {}).get("result") == "pass" and
    [s["result"] for s in j.get("dkim", [])] == ["pass"] and
    j.get("dmarc", {}).get("result") == "pass" and j["dmarc"].get("policy") == "reject" and
    j.get("disposition") == "none" and j["dmarc"].get("spf_aligned") and
    j["dmarc"].get("dkim_aligned"),
    "aligned SPF + DKIM: dmarc pass, disposition none, exit 0 (RFC 9989 4.4)", j or err)
ar_check(j, "A-R of the pass case parses with python3-authres, same results")
pr = props(j, "dmarc")
tap(authres is None or pr.get("header.from") == "example.com", "A-R dmarc header.from", pr)
pr = props(j, "dkim")
tap(authres is None or (pr.get("header.d") == "example.com" and pr.get("header.s") == "r1"
                        and pr.get("header.a") == "rsa-sha256" and len(pr.get("header.b", "")) == 8),
    "A-R dkim header.d, header.s, header.a, header.b (RFC 8601 2.7.1, RFC 6008)", pr)
pr = props(j, "spf")
tap(authres is None or pr.get("smtp.mailfrom") == "alice@example.com",
    "A-R spf smtp.mailfrom (RFC 8601 2.7.2)", pr)

# 2. No --ip: SPF not evaluated; DKIM alone makes DMARC pass.
rc, j, err = verify(m1)
tap(rc == 0 and j.get("spf", {}).get("result") == "not-evaluated" and
    j.get("dmarc", {}).get("result") == "pass" and "spf=" not in j.get("authentication_results", "spf="),
    "no --ip: spf not evaluated and absent from A-R; dmarc passes on DKIM", j or err)

# 3. Unsigned, from outside the SPF range: fail, reject, exit 2.
m3 = msg("Mallory <ceo@example.com>")
rc, j, err = verify(m3, "--ip", "203.0.113.9", "--mail-from", "x@example.com")
tap(rc == 2 and j.get("spf", {}).get("result") == "fail" and j.get("dkim") == [] and
    j.get("dmarc", {}).get("result") == "fail" and j.get("disposition") == "reject",
    "spoofed: spf fail, dkim none, dmarc fail, p=reject -> reject, exit 2", j or err)
ar_check(j, "A-R of the fail case parses with python3-authres")
tap("dkim=none" in j.get("authentication_results", ""), "A-R says dkim=none without signature", j)
rc, out, err = inkan("verify", "--zone", ZONE, "--authserv-id", "mx.example.org",
                     "--ip", "203.0.113.9", "--mail-from", "x@example.com", "-", stdin=m3)
tap(rc == 2 and "disposition: reject" in out and
    "Authentication-Results: mx.example.org;" in out, "text output: disposition and A-R field", out)

# 4. Relaxed SPF alignment: MAIL FROM in a subdomain of the From domain.
rc, j, err = verify(m3, "--ip", "192.0.2.7", "--mail-from", "b@bounce.example.com")
tap(rc == 0 and j.get("spf", {}).get("result") == "pass" and
    j.get("dmarc", {}).get("result") == "pass" and j["dmarc"].get("spf_aligned"),
    "relaxed alignment: bounce.example.com aligns with example.com (RFC 9989 4.4.2)", j or err)

# 5. Strict SPF alignment (aspf=s): the subdomain does not align.
m5 = msg("x@strict.example.org")
rc, j, err = verify(m5, "--ip", "192.0.2.7", "--mail-from", "b@b.strict.example.org")
tap(rc == 1 and j.get("spf", {}).get("result") == "pass" and
    j.get("dmarc", {}).get("result") == "fail" and not j["dmarc"].get("spf_aligned") and
    j.get("disposition") == "quarantine",
    "strict alignment: b.strict.example.org does not align with aspf=s -> quarantine", j or err)
rc, j, err = verify(m5, "--ip", "192.0.2.7", "--mail-from", "b@strict.example.org")
tap(rc == 0 and j.get("dmarc", {}).get("result") == "pass", "strict alignment: exact match passes",
    j or err)

# 6. A provider's own d= (third-party signature): DKIM passes, not aligned.
m6 = sign(msg("news@example.com"), domain="esp.example.net", sel="esp", key="esp.key")
rc, j, err = verify(m6, "--ip", "198.51.100.5", "--mail-from", "bounce@esp.example.net")
tap(rc == 2 and [s["result"] for s in j.get("dkim", [])] == ["pass"] and
    j.get("spf", {}).get("result") == "pass" and j.get("dmarc", {}).get("result") == "fail" and
    not j["dmarc"].get("dkim_aligned") and not j["dmarc"].get("spf_aligned"),
    "third-party d= and MAIL FROM pass but do not align: dmarc fail (RFC 9989 4.4)", j or err)

# 7. Null reverse-path: SPF checks the HELO identity (RFC 7208 2.4), and
#    DMARC uses it (RFC 9989 4.4.2).
m7 = msg("MAILER-DAEMON@mail.example.com")
rc, j, err = verify(m7, "--ip", "192.0.2.25", "--mail-from", "<>", "--helo", "mail.example.com")
tap(j.get("spf", {}).get("result") == "pass" and j["spf"].get("identity") == "helo" and
    j.get("dmarc", {}).get("result") == "pass",
    "null MAIL FROM: SPF on the HELO identity, aligned with From", j or err)
pr = props(j, "spf")
tap(authres is None or pr.get("smtp.helo") == "mail.example.com",
    "A-R spf uses smtp.helo for the null reverse-path", pr)

# 8. Testing mode t=y: the policy is not applied as published.
m8 = msg("x@testing.example.org")
rc, j, err = verify(m8, "--ip", "192.0.2.9", "--mail-from", "x@testing.example.org")
tap(j.get("dmarc", {}).get("result") == "fail" and j["dmarc"].get("testing") and
    j.get("disposition") != "reject",
    "t=y: fail is not rejected (RFC 9989 5.3.10)", j or err)

# 9. np= for a non-existent subdomain (RFC 9989 5.3.5).
m9 = msg("x@ghost.example.com")
rc, j, err = verify(m9, "--ip", "203.0.113.9", "--mail-from", "x@ghost.example.com")
tap(j.get("dmarc", {}).get("result") == "fail" and j.get("disposition") == "reject" and
    j["dmarc"].get("policy") == "reject", "np=reject applies to a non-existent subdomain", j or err)

# 10. No DMARC record: none, deliver.
m10 = msg("x@nopolicy.example.org")
rc, j, err = verify(m10, "--ip", "203.0.113.9", "--mail-from", "x@nopolicy.example.org")
tap(rc == 0 and j.get("dmarc", {}).get("result") == "none" and j.get("disposition") == "none",
    "no DMARC record: dmarc none, deliver", j or err)

# 11. Two From fields: permerror, and the configurable bad-From disposition.
m11 = sign(msg("Alice <alice@example.com>", "From: Mallory <m@evil.example>\r\n"))
rc, j, err = verify(m11, "--ip", "192.0.2.1", "--mail-from", "alice@example.com")
tap(rc == 2 and j.get("dmarc", {}).get("result") == "permerror" and
    j.get("from", {}).get("status") != "ok" and j.get("disposition") == "reject",
    "two From fields: dmarc permerror, rejected by default (RFC 5322 3.6)", j or err)
rc, j, err = verify(m11, "--ip", "192.0.2.1", "--mail-from", "alice@example.com",
                    "--bad-from", "quarantine")
tap(rc == 1 and j.get("disposition") == "quarantine", "--bad-from quarantine", j or err)
# Two authors in one field (RFC 6854): each domain is evaluated, the
# strictest outcome kept (RFC 9989 11.5): alice@example.com passes on SPF,
# but strict.example.org fails its aspf=s policy, so the message does not
# pass on the strength of the other author.
m11b = msg("Alice <alice@example.com>, CEO <ceo@strict.example.org>")
rc, j, err = verify(m11b, "--ip", "192.0.2.1", "--mail-from", "alice@example.com")
tap(rc == 1 and j.get("dmarc", {}).get("result") == "fail" and
    j.get("disposition") == "quarantine" and
    j["dmarc"].get("from_domain") == "strict.example.org",
    "two authors in From: the failing one decides (RFC 9989 11.5)", j or err)

# 12. A forged A-R field carrying our authserv-id is reported for removal;
#     another id's field is left alone.  Not believed either way.
forged = ("Authentication-Results: other.example; dkim=pass\r\n"
          "Authentication-Results: MX.Example.Org; dmarc=pass header.from=example.com\r\n")
m12 = forged.encode() + m3
rc, j, err = verify(m12, "--ip", "203.0.113.9", "--mail-from", "x@example.com")
tap(j.get("forged_authentication_results") == [2] and j.get("dmarc", {}).get("result") == "fail",
    "forged A-R with our authserv-id (any case) is listed (#2), not trusted (RFC 8601 5)", j or err)

# 13. The required JSON keys of the issue.
rc, j, err = verify(m1, "--ip", "192.0.2.1", "--mail-from", "alice@example.com")
keys = ["spf.result", "arc.result", "dmarc.result", "dmarc.policy", "dmarc.disposition"]
ok = all(k.split(".")[1] in j.get(k.split(".")[0], {}) for k in keys)
tap(ok and isinstance(j.get("dkim"), list) and "authentication_results" in j,
    "--json has spf.result, dkim[], arc.result, dmarc.result/policy/disposition, A-R", j)

# 14. A mailbox: one line per message, envelope inferred from the message.
def with_env(m, ip, mf, helo="mx.sender.example"):
    return ("Return-Path: <%s>\r\nReceived: from %s (rdns.example [%s])\r\n"
            "\tby mx.example.org (Postfix) with ESMTPS id 1; Thu, 26 Nov 2026 01:00:01 +0000\r\n"
            % (mf, helo, ip)).encode() + m


mbox = os.path.join(WORK, "in.mbox")
with open(mbox, "wb") as f:
    for m in (with_env(m1, "192.0.2.1", "alice@example.com"),
              with_env(m3, "203.0.113.9", "x@example.com"),
              with_env(m6, "198.51.100.5", "bounce@esp.example.net")):
        f.write(b"From MAILER-DAEMON Thu Nov 26 01:00:00 2026\n")
        f.write(m.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From "))
        f.write(b"\n")
rc, out, err = inkan("verify", "--zone", ZONE, "--authserv-id", "mx.example.org", mbox)
lines = out.splitlines()
tap(rc == 0 and len(lines) == 3 and "#1:" in lines[0] and "dmarc=pass" in lines[0] and
    "dmarc=fail" in lines[1] and "disposition=reject" in lines[1] and
    all("envelope inferred" in l for l in lines),
    "mbox: one line per message, results right, envelope marked inferred", out + err)
tap(len(lines) == 3 and "spf=pass" in lines[0] and "spf=fail" in lines[1],
    "mbox: SPF evaluated with the IP and MAIL FROM from Received/Return-Path", out)
rc, out, err = inkan("verify", "--zone", ZONE, "--authserv-id", "mx.example.org", "--no-infer",
                     mbox)
tap(rc == 0 and out.count("spf=not-evaluated") == 3, "--no-infer: SPF not evaluated", out)
rc, out, err = inkan("verify", "--zone", ZONE, "--authserv-id", "mx.example.org", "--json", mbox)
try:
    js = [json.loads(l) for l in out.splitlines()]
except ValueError:
    js = []
tap(len(js) == 3 and [x.get("index") for x in js] == [1, 2, 3] and
    all(x.get("envelope", {}).get("source") == "inferred" for x in js),
    "mbox --json: JSON Lines with index and envelope.source", out)

# Maildir.
md = os.path.join(WORK, "Maildir")
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(md, sub))
open(os.path.join(md, "cur", "1.eml"), "wb").write(m1)
open(os.path.join(md, "new", "2.eml"), "wb").write(m3)
open(os.path.join(md, "tmp", "3.eml"), "wb").write(m3)
rc, out, err = inkan("verify", "--zone", ZONE, "--authserv-id", "mx.example.org", md)
tap(rc == 0 and len(out.splitlines()) == 2 and "cur/1.eml" in out and "new/2.eml" in out,
    "Maildir: cur/ and new/ read, tmp/ skipped", out + err)

# 15. stats over the mbox, fresh verification.
rc, out, err = inkan("stats", "--zone", ZONE, "--authserv-id", "mx.example.org", "--json", mbox)
try:
    st = json.loads(out)
except ValueError:
    st = {}
tap(rc == 0 and st.get("messages") == 3 and st.get("dmarc", {}).get("pass") == 1 and
    st["dmarc"].get("fail") == 2 and st.get("dkim", {}).get("pass") == 2 and
    st.get("dkim", {}).get("none") == 1 and st.get("spf", {}).get("pass") == 2,
    "stats: counts per method and result", out + err)
rc, out, err = inkan("stats", "--zone", ZONE, "--authserv-id", "mx.example.org", mbox)
tap(rc == 0 and "3 messages" in out and "33.33%" in out, "stats text: counts and percentages", out)

# 16. stats --from-authres: only the trusted authserv-id's fields count.
ar_mbox = os.path.join(WORK, "ar.mbox")
with open(ar_mbox, "wb") as f:
    for ar in ("mx.example.org; spf=pass smtp.mailfrom=a@example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com",
               "mx.example.org; spf=fail smtp.mailfrom=a@example.com; dkim=none; dmarc=fail header.from=example.com",
               "evil.example; spf=pass; dkim=pass; dmarc=pass"):
        f.write(b"From x Thu Nov 26 01:00:00 2026\n")
        f.write(("Authentication-Results: %s\n" % ar).encode() + m3.replace(b"\r\n", b"\n"))
        f.write(b"\n")
rc, out, err = inkan("stats", "--from-authres", "mx.example.org", "--json", ar_mbox)
try:
    st = json.loads(out)
except ValueError:
    st = {}
tap(rc == 0 and st.get("messages") == 3 and st.get("dmarc", {}).get("pass") == 1 and
    st["dmarc"].get("fail") == 1 and st.get("spf", {}).get("no-authres") == 1,
    "stats --from-authres: results from the trusted id only; others counted as no-authres",
    out + err)

# 17. inkan sign: DKIM plus an ARC set in one pass (RFC 8617 5.1); the
#     chain then validates, a second hop too, and tampering breaks it.
rc, out, err = inkan("dkim", "keygen", "--domain", "fwd.example.net", "--selector", "arc",
                     "--out", "arc.key")
with open(ZONE, "a") as z:
    z.write("\n".join(l for l in out.splitlines() if l and not l.startswith(";")) + "\n")
inbound = ("Authentication-Results: fwd.example.net; spf=pass smtp.mailfrom=alice@example.com;\r\n"
           " dkim=pass header.d=example.com\r\n").encode() + m1


def sign_arc(data, *extra):
    p = subprocess.run([INKAN, "sign", "--zone", ZONE, "--domain", "fwd.example.net",
                        "--selector", "arc", "--key", "arc.key", "--arc-key", "arc.key",
                        "--arc-selector", "arc", "--authserv-id", "fwd.example.net"] +
                       list(extra) + ["-"], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=WORK)
    return p.returncode, p.stdout, p.stderr.decode()


rc, hop1, err = sign_arc(inbound)
heads = hop1.split(b"\r\n\r\n", 1)[0].decode()
unf = re.sub(r"\r\n[ \t]+", " ", heads)
tap(rc == 0 and re.match(r"ARC-Seal: [^\r]*\bi=1;", unf) is not None and
    re.search(r"^ARC-Message-Signature: [^\r]*\bi=1;", unf, re.M) is not None
    and "ARC-Authentication-Results: i=1; fwd.example.net;" in unf and
    "DKIM-Signature:" in unf and "cv=none" in unf,
    "inkan sign --arc-key: ARC set i=1 (cv=none) and a DKIM-Signature, one pass", err + heads[:600])
rc, j, err = verify(hop1)
tap(j.get("arc", {}).get("result") == "pass" and len(j["arc"].get("sets", [])) == 1 and
    "spf=pass" in (j["arc"]["sets"][0].get("aar") or ""),
    "the sealed message validates: arc=pass; the AAR carries our A-R results", j or err)
rc, hop2, err = sign_arc(hop1)
rc2, j, err2 = verify(hop2)
tap(rc == 0 and j.get("arc", {}).get("result") == "pass" and len(j["arc"].get("sets", [])) == 2
    and b"cv=pass" in hop2.split(b"\r\n\r\n", 1)[0],
    "second hop: i=2 with cv=pass validates (RFC 8617 5.2)", (err + err2, j))
rc, j, err = verify(hop2.replace(b"Hi Bob", b"Hi Rob"))
tap(j.get("arc", {}).get("result") == "fail", "body changed after sealing: arc=fail", j or err)
rc, out, err = inkan("sign", "--domain", "x.example", "--selector", "s", "--key", "arc.key",
                     "--arc-key", "arc.key", "-", stdin=m1)
tap(rc == 64 and "--arc-selector" in err, "inkan sign: --arc-key without --arc-selector is a usage error", err)
rc, out, err = inkan("dkim", "sign", "--domain", "x.example", "--selector", "s", "--key",
                     "arc.key", "--arc-key", "arc.key", "-", stdin=m1)
tap(rc == 64 and "inkan sign" in err, "inkan dkim sign refuses ARC options, names inkan sign", err)

# 18. Bad input: a clear error, never a crash.
rc, out, err = inkan("verify", "--zone", ZONE, "--authserv-id", "x", "/nonexistent/msg")
tap(rc == 65 and "/nonexistent/msg" in err, "missing file: exit 65 naming it", err)
rc, out, err = inkan("verify", "--ip", "not-an-ip", "-", stdin=m1)
tap(rc == 64 and "not-an-ip" in err, "bad --ip: usage error naming it", err)
rc, out, err = inkan("verify", "--zone", ZONE, "--json", "-", stdin=b"no colon here\r\n\r\nbody")
tap(rc == 65 and "error" in out + err, "malformed header: exit 65 with a reason", out + err)

print("1..%d" % n)
sys.exit(1 if failures else 0)
