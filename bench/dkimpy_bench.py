#!/usr/bin/python3
"""dkimpy_bench.py DIR - dkimpy's verify and sign rates on dkim_bench's corpus.

DIR is what bench/dkim_bench wrote: records.txt ("NAME RECORD" lines),
signed-ALG-SIZE-N.eml (signed by inkan) and plain-SIZE-N.eml; the keys are
DIR/rsa.pem and DIR/ed.pem.  Keys come from a dnsfunc that answers from
records.txt.  Every verdict must be pass; others are printed.  Lines
starting with "@ " carry figures for bench/dkim_run.sh.
"""
import argparse
import base64
import glob
import os
import statistics
import sys
import time

import dkim

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--min-time", type=float, default=1.0)
args = ap.parse_args()
D = args.dir

records = {}
for line in open(os.path.join(D, "records.txt")):
    name, rec = line.rstrip("\n").split(" ", 1)
    records[name.lower()] = rec.encode()


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return records.get(name.rstrip(".").lower())


def pem_der(path):
    lines = open(path).read().split("\n")
    return base64.b64decode("".join(l for l in lines if l and not l.startswith("-----")))


keys = {
    "rsa": (b"rsa", b"rsa-sha256", open(os.path.join(D, "rsa.pem"), "rb").read()),
    # dkimpy takes an Ed25519 private key as the base64 of its 32-byte
    # seed (RFC 8463 §3), the last 32 bytes of the PKCS#8 DER.
    "ed25519": (b"ed", b"ed25519-sha256", base64.b64encode(pem_der(os.path.join(D, "ed.pem"))[-32:])),
}

disagree = 0


def load(pattern):
    return [open(p, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            for p in sorted(glob.glob(os.path.join(D, pattern)))]


def measure(what, alg, size, fn, msgs):
    rates = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        n = 0
        while True:
            for m in msgs:
                fn(m)
            n += len(msgs)
            t = time.perf_counter() - t0
            if t >= args.min_time:
                break
        rates.append(n / t)
    med = statistics.median(rates)
    print("%-12s %-6s %-8s %-5s %10.0f msgs/s  (rounds: %s)" % ("dkimpy", what, alg, size, med,
          " ".join("%.0f" % r for r in rates)))
    print("@ dkimpy.%s.%s.%s %.1f" % (what, alg, size, med))
    sys.stdout.flush()


for alg in ("rsa", "ed25519"):
    sel, a, key = keys[alg]
    for size in ("4k", "100k"):
        signed = load("signed-%s-%s-*.eml" % (alg, size))
        for i, m in enumerate(signed):
            if not dkim.verify(m, dnsfunc=dnsfunc):
                print("DISAGREE inkan-signed %s %s #%d: dkimpy verify fails" % (alg, size, i))
                disagree += 1
        plain = load("plain-%s-*.eml" % size)
        for i, m in enumerate(plain):
            sig = dkim.sign(m, sel, b"example.com", key, canonicalize=(b"relaxed", b"relaxed"),
                            signature_algorithm=a)
            if not dkim.verify(sig + m, dnsfunc=dnsfunc):
                print("DISAGREE dkimpy-signed %s %s #%d: dkimpy verify fails" % (alg, size, i))
                disagree += 1
            if i == 0:
                open(os.path.join(D, "dkimpy-signed-%s-%s.eml" % (alg, size)), "wb").write(sig + m)
print("dkimpy verdicts: disagreements %d" % disagree)
print("@ dkim.disagree.py %d" % disagree)

for what in ("verify", "sign"):
    for alg in ("rsa", "ed25519"):
        sel, a, key = keys[alg]
        for size in ("4k", "100k"):
            if what == "verify":
                msgs = load("signed-%s-%s-*.eml" % (alg, size))
                fn = lambda m: dkim.verify(m, dnsfunc=dnsfunc)
            else:
                msgs = load("plain-%s-*.eml" % size)
                fn = lambda m, sel=sel, a=a, key=key: dkim.sign(
                    m, sel, b"example.com", key, canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=a)
            measure(what, alg, size, fn, msgs)
