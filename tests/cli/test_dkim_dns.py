"""test_dkim_dns.py BUILD - DKIM key records as DNS really publishes them.

RFC 6376 §3.6.2.2: a TXT key record may be split into several strings,
which are concatenated; selectors are often CNAMEs to a provider's name
(a resolver follows them, RFC 1034 §3.6.2).  Both must verify like the
plain record; a CNAME to nothing is a missing key (permerror, §6.1.2).
Offline: records come from a zone file written here.  Prints TAP.
"""
import json
import os
import re
import shutil
import subprocess
import sys

BUILD = os.path.abspath(sys.argv[1])
INKAN = os.path.join(BUILD, "src", "inkan", "inkan")
WORK = os.path.join(BUILD, "test-dkim-dns")
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


def run(*args, stdin=None):
    p = subprocess.run([INKAN] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60, cwd=WORK)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
rc, out, err = run("dkim", "keygen", "--domain", "example.com", "--selector", "real",
                   "--type", "rsa", "--bits", "2048", "--out", "real.private")
tap(rc == 0, "keygen rsa-2048", err)
record = out.decode()
# The p= value as published, whatever way keygen split it into strings.
strings = re.findall(r'"([^"]*)"', record)
value = "".join(strings)
tap(value.startswith("v=DKIM1") and "p=" in value, "keygen printed a key record", record)

# Split the same record at awkward places: inside "v=DKIM1", inside p=,
# then at most 200 octets a string (a character-string holds 255).
parts = [value[:3], value[3:20]] + [value[i:i + 200] for i in range(20, len(value), 200)]
zone = "$ORIGIN example.com.\n$TTL 300\n"
zone += "real._domainkey TXT " + " ".join('"%s"' % s for s in parts) + "\n"
zone += "alias._domainkey CNAME real._domainkey.example.com.\n"
zone += "chain._domainkey CNAME alias._domainkey.example.com.\n"
zone += "dangling._domainkey CNAME nowhere.example.net.\n"
with open(os.path.join(WORK, "z.zone"), "w") as f:
    f.write(zone)

msg = (b"From: Alice <alice@example.com>\r\nTo: bob@example.org\r\n"
       b"Subject: selectors\r\nDate: Thu, 26 Nov 2026 00:00:00 +0000\r\n\r\nHello.\r\n")


def sign_verify(selector):
    rc, signed, err = run("dkim", "sign", "--domain", "example.com", "--selector", selector,
                          "--key", "real.private", stdin=msg)
    if rc != 0:
        return None, err
    rc, out, err = run("dkim", "verify", "--zone", "z.zone", "--json", "-", stdin=signed)
    try:
        return json.loads(out), err
    except ValueError:
        return None, out.decode() + err


for sel, want, why in (
        ("real", "pass", "record split into %d strings, concatenated (RFC 6376 §3.6.2.2)" % len(parts)),
        ("alias", "pass", "selector is a CNAME to the record"),
        ("chain", "pass", "selector is a chain of two CNAMEs"),
        ("dangling", "permerror", "CNAME to a name that does not exist: no key (§6.1.2)")):
    j, err = sign_verify(sel)
    sigs = (j or {}).get("signatures") or [{}]
    tap(j is not None and sigs[0].get("result") == want and sigs[0].get("s") == sel,
        "s=%s: %s -> %s" % (sel, why, want), "%r %s" % (j, err))

print("1..%d" % n)
sys.exit(1 if failures else 0)
