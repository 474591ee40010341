"""test_dkim_cli.py BUILD - `inkan dkim sign|verify|keygen|keycheck` end to end.

Works in a fresh directory under BUILD, offline (key records come from a
zone file written here).  Expectations are derived from RFC 6376 / 8301 /
8463 and checked with tools independent of inkan where that is possible:
the published p= is compared with what openssl(1) derives from the private
key, and bh= with a SHA-256 this script computes over the body it
canonicalized itself (RFC 6376 3.4.3, 3.7).  Prints TAP.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time

BUILD = os.path.abspath(sys.argv[1])
INKAN = os.path.join(BUILD, "src", "inkan", "inkan")
WORK = os.path.join(BUILD, "test-dkim-cli")
D = "example.com"
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
    sys.stdout.flush()


def inkan(*args, stdin=None, cwd=None):
    p = subprocess.run([INKAN] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120, cwd=cwd or WORK)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def openssl_der_pub(path):
    return subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                          stdout=subprocess.PIPE, check=True).stdout


def tags(value):
    """RFC 6376 3.2 tag=value list, whitespace (and folding) removed."""
    out = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = re.sub(r"\s+", "", v)
    return out


def sig_fields(msg):
    """The DKIM-Signature values at the top of msg, unfolded."""
    head = msg.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode()
    fields = re.split(r"\r?\n(?![ \t])", head)
    return [f.split(":", 1)[1] for f in fields if f.lower().startswith("dkim-signature:")]


def verify(path_or_data, *extra, zone=None):
    args = ["dkim", "verify", "--zone", zone or ZONE, "--json"] + list(extra)
    if isinstance(path_or_data, bytes):
        rc, out, err = inkan(*args, "-", stdin=path_or_data)
    else:
        rc, out, err = inkan(*args, path_or_data)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, {"result": None, "signatures": [], "raw": out, "stderr": err}, err


if os.path.exists(WORK):
    shutil.rmtree(WORK)
os.makedirs(WORK)

# ---- keygen ----
rc, out, err = inkan("dkim", "keygen", "--domain", D, "--selector", "r1", "--out", "r1.key")
out = out.decode()
path = os.path.join(WORK, "r1.key")
tap(rc == 0 and os.path.exists(path), "keygen rsa: exit 0, key written", err)
mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
tap(mode == 0o600, "keygen: private key mode is 0600", "mode %o" % (mode or 0))
# Zone line: NAME. IN TXT "..." "...", strings <= 255 bytes (RFC 6376 3.6.2.2).
zl = [l for l in out.splitlines() if l and not l.startswith(";")]
m = re.match(r'^r1\._domainkey\.example\.com\.\s+(?:\d+\s+)?IN\s+TXT\s+((?:"[^"]*"\s*)+)$',
             zl[0] if zl else "")
tap(m is not None, "keygen: zone-file line for r1._domainkey.example.com TXT", out)
strs = re.findall(r'"([^"]*)"', m.group(1)) if m else []
tap(len(strs) >= 2 and all(len(s) <= 255 for s in strs),
    "keygen: RSA-2048 record split into 255-byte strings", [len(s) for s in strs])
rec = "".join(strs)
kt = tags(rec)
tap(rec.startswith("v=DKIM1") and kt.get("k", "rsa") == "rsa",
    "keygen: record starts with v=DKIM1, k=rsa (RFC 6376 3.6.1)", rec)
try:
    same = base64.b64decode(kt.get("p", "")) == openssl_der_pub(path)
except Exception:
    same = False
tap(same, "keygen: p= is the SubjectPublicKeyInfo openssl derives from the key", rec)
rsa_zone_line = zl[0] if zl else ""

rc, out, err = inkan("dkim", "keygen", "--domain", D, "--selector", "e1", "--type", "ed25519",
                     "--out", "e1.key", "--json")
try:
    j = json.loads(out)
except ValueError:
    j = {}
epath = os.path.join(WORK, "e1.key")
tap(rc == 0 and stat.S_IMODE(os.stat(epath).st_mode) == 0o600 if os.path.exists(epath) else False,
    "keygen ed25519: exit 0, mode 0600", err)
et = tags(j.get("record", ""))
tap(et.get("k") == "ed25519" and j.get("record", "").startswith("v=DKIM1"),
    "keygen ed25519: k=ed25519 (RFC 8463 4.1)", out)
try:
    raw = base64.b64decode(et.get("p", ""))
    same = len(raw) == 32 and raw == openssl_der_pub(epath)[-32:]
except Exception:
    same = False
tap(same, "keygen ed25519: p= is the raw 32-byte public key (RFC 8463 4.2)", out)
tap(j.get("name") == "e1._domainkey.example.com" and "".join(j.get("txt_strings", [])) ==
    j.get("record") and j.get("key_file") == "e1.key" and j.get("type") == "ed25519",
    "keygen --json: name, record, txt_strings, key_file, type", out)
ed_zone_line = j.get("zone", "")

# Default selector carries the date (YYYYMM, UTC).
sub = os.path.join(WORK, "defsel")
os.makedirs(sub)
rc, out, err = inkan("dkim", "keygen", "--domain", D, "--type", "ed25519", "--json", cwd=sub)
ym = time.strftime("%Y%m", time.gmtime())
try:
    j = json.loads(out)
except ValueError:
    j = {}
tap(rc == 0 and j.get("selector") == ym and
    os.path.exists(os.path.join(sub, j.get("key_file", "-"))),
    "keygen: default selector is YYYYMM (%s)" % ym, out + err.encode())
# An existing key is never overwritten silently.
before = open(path, "rb").read()
rc, out, err = inkan("dkim", "keygen", "--domain", D, "--selector", "r1", "--out", "r1.key")
tap(rc == 73 and open(path, "rb").read() == before, "keygen: refuses to overwrite a key", err)
rc, _, err = inkan("dkim", "keygen", "--domain", D, "--bits", "512", "--out", "weak.key")
tap(rc == 64, "keygen: 512-bit RSA refused (RFC 8301 3.2)", err)

# ---- a zone with the keys, plus revoked, testing and other records ----
other = os.path.join(WORK, "other.key")
subprocess.run(["openssl", "genrsa", "-out", other, "2048"], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.chmod(other, 0o600)
other_p = base64.b64encode(openssl_der_pub(other)).decode()
rsa_p = tags(rec).get("p", "")
ZONE = os.path.join(WORK, "keys.zone")


def txt(record):
    """TXT rdata in master-file form: strings of at most 255 bytes."""
    return " ".join('"%s"' % record[i:i + 255] for i in range(0, len(record), 255))



with open(ZONE, "w") as f:
    f.write("$ORIGIN example.com.\n$TTL 300\n")
    f.write(rsa_zone_line + "\n" + ed_zone_line + "\n")
    f.write('revoked._domainkey IN TXT "v=DKIM1; k=rsa; p="\n')
    f.write('testing._domainkey IN TXT %s\n' % txt("v=DKIM1; k=rsa; t=y; p=" + rsa_p))
    f.write('wrong._domainkey IN TXT %s\n' % txt("v=DKIM1; k=rsa; p=" + other_p))
    f.write('bad._domainkey IN TXT "v=DKIM1; k=rsa; p=%%%%not-base64"\n')

# A 512-bit RSA key, made by openssl: RFC 8301 3.2 says verifiers must not
# accept signatures with keys under 1024 bits.
weak = os.path.join(WORK, "weak512.key")
subprocess.run(["openssl", "genrsa", "-traditional", "-out", weak, "512"], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.chmod(weak, 0o600)
with open(ZONE, "a") as f:
    f.write('weak._domainkey IN TXT %s\n' % txt(
        "v=DKIM1; k=rsa; p=" + base64.b64encode(openssl_der_pub(weak)).decode()))

MSG = (b"From: Alice <alice@example.com>\r\nTo: bob@example.org\r\n"
       b"Subject: hello\r\nDate: Thu, 26 Nov 2026 01:00:00 +0000\r\n"
       b"Message-ID: <cli-1@example.com>\r\n\r\n"
       b"Hi Bob,\r\n\r\n  spaced   line  \r\nbye\r\n\r\n\r\n")
mpath = os.path.join(WORK, "msg.eml")
with open(mpath, "wb") as f:
    f.write(MSG)


def sign(*extra, key="r1.key", sel="r1", data=None):
    args = ["dkim", "sign", "--domain", D, "--selector", sel, "--key", key] + list(extra)
    if data is None:
        return inkan(*args, mpath)
    return inkan(*args, "-", stdin=data)


# ---- sign + verify round trip, RSA + Ed25519 in one pass ----
rc, signed, err = inkan("dkim", "sign", "--domain", D, "--selector", "r1", "--key", "r1.key",
                        "--selector", "e1", "--key", "e1.key", mpath)
sigs = sig_fields(signed)
tap(rc == 0 and len(sigs) == 2, "sign: two keys give two DKIM-Signature fields", err)
tap(signed.endswith(MSG) and signed[:-len(MSG)].count(b"DKIM-Signature:") == 2,
    "sign: the message follows the fields unchanged", signed[:300])
st = [tags(s) for s in sigs]
if len(st) == 2:
    tap(st[0].get("a") == "rsa-sha256" and st[1].get("a") == "ed25519-sha256" and
        st[0].get("s") == "r1" and st[1].get("s") == "e1" and
        all(t.get("d") == D and t.get("v") == "1" for t in st),
        "sign: a=, s=, d=, v= of each signature (RFC 6376 3.5, RFC 8463 3)", st)
    tap(all(t.get("c") == "relaxed/relaxed" for t in st), "sign: default c=relaxed/relaxed", st)
    tap(all("l" not in t for t in st), "sign: no l= by default", st)
    tap(all("from" in t.get("h", "").lower().split(":") for t in st),
        "sign: h= includes From (RFC 6376 5.4)", st)
    tap(all(t.get("h", "").lower().split(":").count("subject") == 2 for t in st),
        "sign: Subject oversigned (listed once more than present, RFC 6376 8.15)", st)
    tap(all(re.fullmatch(r"\d+", t.get("t", "")) and abs(int(t["t"]) - time.time()) < 600
            for t in st), "sign: t= is now", st)
else:
    tap(False, "sign: tags of the two signatures", signed[:500])
spath = os.path.join(WORK, "signed.eml")
with open(spath, "wb") as f:
    f.write(signed)
rc, j, err = verify(spath)
ss = j.get("signatures", [])
tap(rc == 0 and j.get("result") == "pass", "verify: round trip passes, exit 0", j)
tap(len(ss) == 2 and all(s.get("result") == "pass" for s in ss),
    "verify: both signatures pass", j)
if len(ss) == 2:
    tap(ss[0].get("d") == D and ss[0].get("s") == "r1" and ss[0].get("a") == "rsa-sha256"
        and ss[0].get("key_bits") == 2048 and ss[0].get("i") in ("@" + D, None) and
        ss[1].get("s") == "e1" and ss[1].get("a") == "ed25519-sha256"
        and ss[0].get("reason") is None,
        "verify --json: d, s, a, i, key_bits, reason per signature, header order", j)
else:
    tap(False, "verify --json: fields", j)

# bh= against our own RFC 6376 3.4.3 simple body canonicalization.
rc, signed_s, err = sign("--canon", "simple/simple")
body = MSG.split(b"\r\n\r\n", 1)[1]
canon = body.rstrip(b"\r\n") + b"\r\n"   # trailing empty lines removed
want_bh = base64.b64encode(hashlib.sha256(canon).digest()).decode()
t0 = tags(sig_fields(signed_s)[0]) if rc == 0 and sig_fields(signed_s) else {}
tap(t0.get("bh") == want_bh and t0.get("c") == "simple/simple",
    "sign: bh= is SHA-256 of the simple-canonical body (RFC 6376 3.4.3, 3.7)",
    "%s vs %s" % (t0.get("bh"), want_bh))
# relaxed body: WSP runs -> one SP, trailing WSP removed (3.4.4)
lines = body.split(b"\r\n")
rl = [re.sub(rb"[ \t]+", b" ", l).rstrip(b" ") for l in lines]
rcanon = b"\r\n".join(rl).rstrip(b"\r\n") + b"\r\n"
want_rbh = base64.b64encode(hashlib.sha256(rcanon).digest()).decode()
rc, signed_r, err = sign("--canon", "relaxed/relaxed")
t1 = tags(sig_fields(signed_r)[0]) if rc == 0 and sig_fields(signed_r) else {}
tap(t1.get("bh") == want_rbh, "sign: bh= over the relaxed-canonical body (RFC 6376 3.4.4)",
    "%s vs %s" % (t1.get("bh"), want_rbh))
rc, _, err = sign("--canon", "relaxed")
tap(rc == 0 and tags(sig_fields(_)[0]).get("c") in ("relaxed", "relaxed/simple"),
    "sign: --canon relaxed means relaxed/simple (RFC 6376 3.5 c=)", _[:300])

# Text output.
rc, out, err = inkan("dkim", "verify", "--zone", ZONE, spath)
first = out.decode().splitlines()[0] if out else ""
tap(rc == 0 and first.startswith("pass") and "d=example.com" in first and "s=r1" in first
    and "a=rsa-sha256" in first, "verify text: one line per signature, result first", out)
tap(len(out.decode().splitlines()) == 2, "verify text: two lines for two signatures", out)

# ---- tampering ----
rc, j, err = verify(signed.replace(b"Hi Bob", b"Hi Rob"))
ss = j.get("signatures", [])
tap(rc == 1 and j.get("result") == "fail" and ss and
    all(s.get("result") == "fail" and "body" in (s.get("reason") or "") for s in ss),
    "verify: body changed -> fail, reason names the body hash (RFC 6376 6.1.3)", j)
rc, j, err = verify(signed.replace(b"Subject: hello", b"Subject: HELLO"))
ss = j.get("signatures", [])
tap(rc == 1 and j.get("result") == "fail" and ss and
    all(s.get("result") == "fail" and "signature" in (s.get("reason") or "") for s in ss),
    "verify: signed field changed -> fail, signature mismatch", j)
# Subject is oversigned: adding one anywhere breaks it (RFC 6376 5.4.2, 8.15).
rc, j, err = verify(signed.replace(b"\r\n\r\nHi Bob", b"\r\nSubject: injected\r\n\r\nHi Bob"))
tap(rc == 1 and j.get("result") == "fail", "verify: Subject added below -> fail (oversigned)", j)
# An unsigned field added does not matter (5.4).
rc, j, err = verify(signed.replace(b"\r\n\r\nHi Bob", b"\r\nX-Spam: no\r\n\r\nHi Bob"))
tap(rc == 0 and j.get("result") == "pass", "verify: unsigned field added -> pass", j)
# Relaxed header canonicalization: case of names, WSP runs (3.4.2).
rc, j, err = verify(signed.replace(b"Subject: hello", b"SUBJECT:   hello "))
tap(rc == 0 and j.get("result") == "pass", "verify: relaxed ignores name case and WSP", j)
rc, j, err = verify(signed_s.replace(b"Subject: hello", b"SUBJECT: hello"))
tap(rc == 1 and j.get("result") == "fail", "verify: simple does not (3.4.1)", j)

# No signature at all.
rc, j, err = verify(MSG)
tap(rc == 4 and j.get("result") == "none" and j.get("signatures") == [],
    "verify: unsigned message -> none, exit 4", j)
rc, out, err = inkan("dkim", "verify", "--zone", ZONE, "-", stdin=MSG)
tap(rc == 4 and out.decode().startswith("none"), "verify text: none", out)


def resign_sel(sel):
    rc, s, err = sign(sel=sel)
    return s if rc == 0 else b""


# Key problems.
rc, j, err = verify(resign_sel("missing"))
s0 = (j.get("signatures") or [{}])[0]
tap(rc == 6 and s0.get("result") == "permerror",
    "verify: no key record -> permerror, exit 6 (RFC 6376 6.1.2)", j)
rc, j, err = verify(resign_sel("revoked"))
s0 = (j.get("signatures") or [{}])[0]
# RFC 6376 leaves the RFC 8601 word open (PERMFAIL "key revoked"): fail or
# permerror, but never pass, and the reason must say revoked.
tap((rc, s0.get("result")) in ((1, "fail"), (6, "permerror")) and
    "revoked" in (s0.get("reason") or ""),
    "verify: empty p= -> fail/permerror 'revoked' (RFC 6376 3.6.1)", j)
rc, j, err = verify(resign_sel("wrong"))
s0 = (j.get("signatures") or [{}])[0]
tap(rc == 1 and s0.get("result") == "fail", "verify: another key -> fail", j)
rc, j, err = verify(resign_sel("testing"))
s0 = (j.get("signatures") or [{}])[0]
tap(s0.get("key_testing") is True and s0.get("result") == "pass",
    "verify: t=y key is reported as testing", j)

rc, sw, err = sign(key="weak512.key", sel="weak")
rc, j, err = verify(sw)
s0 = (j.get("signatures") or [{}])[0]
tap(rc == 1 and s0.get("result") == "fail" and s0.get("key_bits") == 512 and
    "1024" in (s0.get("reason") or ""), "verify: 512-bit RSA key -> fail citing 1024 "
    "(RFC 8301 3.2)", j)

# x= expiry (RFC 6376 3.5: a verifier may consider it invalid after x=).
now = int(time.time())
rc, sx, err = sign("--now", str(now), "--expire", "3600")
tx = tags(sig_fields(sx)[0]) if rc == 0 and sig_fields(sx) else {}
tap(tx.get("t") == str(now) and tx.get("x") == str(now + 3600), "sign: --now/--expire give t=, x=",
    tx)
rc, j, err = verify(sx, "--now", str(now + 1800))
tap(rc == 0, "verify: before x= -> pass", j)
rc, j, err = verify(sx, "--now", str(now + 7200))
s0 = (j.get("signatures") or [{}])[0]
tap(rc != 0 and s0.get("result") != "pass" and "expire" in (s0.get("reason") or ""),
    "verify: after x= -> not pass, reason says expired", j)

# l=: appended content still verifies; the unsigned byte count is shown.
rc, sl, err = sign("--canon", "relaxed/simple", "--body-length")
tl = tags(sig_fields(sl)[0]) if rc == 0 and sig_fields(sl) else {}
tap(tl.get("l") == str(len(canon)), "sign: --body-length gives l= = canonical body length",
    "%s vs %d" % (tl.get("l"), len(canon)))
extra = b"appended by a list\r\n"
rc, j, err = verify(sl + extra)
s0 = (j.get("signatures") or [{}])[0]
# The simple-canonical body of the longer message: what was trailing empty
# lines is now inside it, so unsigned = its length - l (3.4.3, 3.4.5).
unsigned = len(body + extra) - len(canon)
tap(rc == 0 and s0.get("result") == "pass" and s0.get("unsigned_bytes") == unsigned
    and s0.get("l") == len(canon), "verify: content past l= passes, unsigned_bytes counted "
    "(RFC 6376 8.2)", j)

# LF-only input: the signature uses LF too and verifies.
lf = MSG.replace(b"\r\n", b"\n")
rc, slf, err = sign(data=lf)
tap(rc == 0 and b"\r" not in slf and slf.endswith(lf), "sign: LF input, LF output", slf[:200])
rc, j, err = verify(slf)
tap(rc == 0 and j.get("result") == "pass", "verify: LF-only signed message passes", j)

# ---- refusals ----
shutil.copy(path, os.path.join(WORK, "open.key"))
os.chmod(os.path.join(WORK, "open.key"), 0o644)
rc, out, err = sign(key="open.key")
tap(rc == 66 and out == b"" and "open.key" in err, "sign: refuses a 0644 key", err)
rc, out, err = sign("--allow-unsafe-key", key="open.key")
tap(rc == 0 and out.startswith(b"DKIM-Signature:"), "sign: --allow-unsafe-key uses it", err)
rc, out, err = sign(data=MSG.replace(b"From: Alice <alice@example.com>\r\n", b""))
tap(rc == 65 and out == b"" and "From" in err, "sign: refuses a message without From", err)
rc, out, err = sign(key="nonexistent.key")
tap(rc == 66, "sign: missing key file", err)
rc, out, err = inkan("dkim", "sign", "--selector", "r1", "--key", "r1.key", mpath)
tap(rc == 64 and "--domain" in err, "sign: --domain required", err)
rc, out, err = inkan("dkim", "sign", "--domain", D, "--selector", "r1", "--key", "r1.key",
                     "--key", "e1.key", mpath)
tap(rc == 64 and "selector" in err, "sign: one --selector per --key", err)
rc, out, err = sign("--canon", "loose/simple")
tap(rc == 64, "sign: bad --canon", err)

# ---- keycheck ----


def keycheck(sel, key, *extra):
    rc, out, err = inkan("dkim", "keycheck", "--zone", ZONE, "--json", "--domain", D,
                         "--selector", sel, "--key", key, *extra)
    try:
        return rc, json.loads(out)
    except ValueError:
        return rc, {"raw": out, "err": err}


rc, j = keycheck("r1", "r1.key")
tap(rc == 0 and j.get("status") == "ok", "keycheck: published key matches", j)
rc, j = keycheck("e1", "e1.key")
tap(rc == 0 and j.get("status") == "ok", "keycheck: ed25519 key matches", j)
rc, j = keycheck("r1", "other.key")
tap(rc == 1 and j.get("status") == "mismatch", "keycheck: other key -> mismatch, exit 1", j)
rc, j = keycheck("e1", "r1.key")
tap(rc == 1, "keycheck: RSA key against an Ed25519 record -> mismatch", j)
rc, j = keycheck("revoked", "r1.key")
tap(rc == 2 and j.get("status") == "revoked", "keycheck: revoked, exit 2", j)
rc, j = keycheck("testing", "r1.key")
tap(rc == 0 and j.get("testing") is True and "testing" in j.get("status", ""),
    "keycheck: testing mode is reported", j)
rc, j = keycheck("weak", "weak512.key")
tap(rc == 3 and j.get("status") == "too-short" and j.get("key_bits") == 512,
    "keycheck: 512-bit key -> too-short, exit 3 (RFC 8301)", j)
rc, j = keycheck("nothere", "r1.key")
tap(rc == 4 and j.get("status") == "no-record", "keycheck: no record, exit 4", j)
rc, j = keycheck("bad", "r1.key")
tap(rc == 6 and j.get("status") == "invalid", "keycheck: malformed record, exit 6", j)
rc, out, err = inkan("dkim", "keycheck", "--zone", ZONE, "--domain", D, "--selector", "r1",
                     "--key", "r1.key")
tap(rc == 0 and out.decode().startswith("ok"), "keycheck: text output", out)

# ---- help and usage ----
for sub in ("sign", "verify", "keygen", "keycheck"):
    rc, out, err = inkan("dkim", sub, "--help")
    tap(rc == 0 and out.decode().startswith("usage: inkan dkim " + sub), "%s --help" % sub, out)
rc, out, err = inkan("dkim", "frobnicate")
tap(rc == 64, "dkim: unknown subcommand -> 64", err)
rc, out, err = inkan("dkim", "verify", "--zone", ZONE, "/nonexistent/msg.eml")
tap(rc == 65 and "/nonexistent/msg.eml" in err, "verify: missing file names it, exit 65", err)

print("1..%d" % n)
sys.exit(1 if failures else 0)
