#!/usr/bin/python3
"""expect.py JSON... - judge `inkan check --json` output against the
findings each loopback test domain was built to show (check/env.sh).

Every expectation names a domain, a check id, the status it must have and
optionally a text the item's subject must contain; it holds when at least
one item of that domain matches.  "score" and "worst" expectations test
the domain's totals.  Prints TAP; a failure shows what the domain had for
that id.
"""
import json
import sys

# (domain, id, status, subject substring or None, why: the RFC or reason)
EXPECT = [
    # A domain with everything right scores 100% (issue 5).
    ("good.check.test", "score", 100, None, "fully correct domain"),
    ("good.check.test", "worst", "pass", None, "nothing worse than pass"),
    ("good.check.test", "dane-match", "pass", "127.0.0.1:", "RFC 7672 §3: TLSA 3 1 1 matches"),
    ("good.check.test", "dane-tlsa", "pass", "mx-good", "two 3 1 1 records: rollover"),
    ("good.check.test", "mtasts-policy", "pass", None, "RFC 8461 §3.3 fetch"),
    ("good.check.test", "mtasts-mx", "pass", None, "RFC 8461 §4.1 coverage"),
    ("good.check.test", "tls-cert", "pass", None, "chain to the test CA, name"),
    ("good.check.test", "tls-version", "pass", None, "TLS 1.0/1.1 refused"),
    ("good.check.test", "tls-cipher", "pass", None, "no weak suite"),
    ("good.check.test", "dnssec-domain", "pass", None, "signed zone, test anchor"),
    ("good.check.test", "dkim-key", "pass", "selector1", "found by the dictionary"),
    ("good.check.test", "bimi-dmarc", "pass", None, "p=reject"),
    # SPF
    ("spf2.check.test", "spf-multiple-records", "fail", None, "RFC 7208 §4.5"),
    ("spflookups.check.test", "spf-too-many-lookups", "fail", None, "RFC 7208 §4.6.4: 11 > 10"),
    ("spfvoid.check.test", "spf-too-many-void-lookups", "fail", None, "RFC 7208 §4.6.4: 3 > 2"),
    # MX
    ("mxip.check.test", "mx-ip-literal", "fail", "192.0.2.25", "RFC 5321 §5.1"),
    ("nullmx.check.test", "mx-null", "info", None, "RFC 7505"),
    ("nullmx.check.test", "spf-parked", "pass", None, "v=spf1 -all"),
    ("nullmx.check.test", "dmarc-parked", "pass", None, "p=reject"),
    # DMARC
    ("dmarcsyntax.check.test", "dmarc-record", "fail", None, "duplicate tag, RFC 6376 §3.2"),
    ("dmarcnone.check.test", "dmarc-policy", "warn", None, "p=none"),
    ("ruaext.check.test", "dmarc-rua", "fail", "elsewhere.check.test", "RFC 9990 §3 no authorisation"),
    # MTA-STS
    ("stsnohost.check.test", "mtasts-policy", "fail", None, "policy host missing"),
    ("stsbig.check.test", "mtasts-policy", "fail", None, "policy over 64 KiB"),
    ("stsredirect.check.test", "mtasts-policy", "fail", None, "RFC 8461 §3.3 no redirects"),
    ("stsuncovered.check.test", "mtasts-mx", "fail", "mx-good", "RFC 8461 §4.1 MX not covered"),
    # DANE, DNSSEC
    ("danebad.check.test", "dane-match", "fail", "mx-danebad", "TLSA not matching the cert"),
    ("bogus.check.test", "mx-present", "fail", None, "bogus MX answer"),
    ("bogus.check.test", "dnssec-bogus", "fail", None, "record altered after signing"),
    ("insecure.test", "dnssec-domain", "warn", None, "unsigned zone"),
    ("insecure.test", "dane-tlsa", "warn", "mx-good.insecure.test", "no DNSSEC, no DANE"),
    # TLS
    ("weaktls.check.test", "tls-version", "warn", None, "TLS 1.0 accepted (RFC 8996)"),
    ("weaktls.check.test", "tls-cipher", "fail", None, "NULL/anonymous suite (RFC 9325 §4.1)"),
    ("weaktls.check.test", "tls-dh", "warn", None, "1024-bit DH group"),
    ("notls.check.test", "tls-starttls", "fail", None, "no STARTTLS"),
    ("selfsigned.check.test", "tls-cert", "warn", None, "self-signed, no MTA-STS"),
]


def main():
    reports = {}
    for path in sys.argv[1:]:
        with open(path) as f:
            data = json.load(f)
        for r in data if isinstance(data, list) else [data]:
            reports[r["domain"]] = r
    n = 0
    failed = 0
    for dom, cid, want, subj, why in EXPECT:
        n += 1
        name = "%s %s %s (%s)" % (dom, cid, want, why)
        r = reports.get(dom)
        if r is None:
            print("not ok %d - %s\n# no report for %s" % (n, name, dom))
            failed += 1
            continue
        if cid in ("score", "worst"):
            got = r[cid]
            ok = got == want
            detail = "got %r" % (got,)
            if not ok:
                bad = [c for c in r["checks"]
                       if c["status"] in ("warn", "fail", "error")]
                detail += "; " + "; ".join("%s %s: %s" % (c["id"], c["status"], c["summary"])
                                           for c in bad)
        else:
            items = [c for c in r["checks"] if c["id"] == cid and
                     (subj is None or (c["subject"] or "").find(subj) >= 0 or
                      c["summary"].find(subj) >= 0)]
            ok = any(c["status"] == want for c in items)
            detail = "; ".join("%s [%s] %s" % (c["status"], c["subject"], c["summary"])
                               for c in items) or "no %s item" % cid
        if ok:
            print("ok %d - %s" % (n, name))
        else:
            failed += 1
            print("not ok %d - %s" % (n, name))
            print("# %s" % detail)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
