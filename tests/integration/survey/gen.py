#!/usr/bin/python3
"""gen.py N OUTDIR [SEED] - a survey zone set with known proportions.

Writes OUTDIR/zones/<cat>.test.zone for the categories co, ac, go, ne
(N domains in all, d<i>.<cat>.test), OUTDIR/zones/prov.test.zone (the
SPF includes of "providers", one over RFC 7208's 10-lookup limit),
OUTDIR/domains.txt ("DOMAIN CATEGORY" lines, shuffled) and
OUTDIR/truth.csv: the adoption table `inkan survey report --csv` must
print, computed here from what was generated, by the measure definitions
of include/inkan/survey.h.
"""
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 8)
cats = ["ac", "co", "go", "ne"]
METRICS = ["mx", "null_mx", "mx_ip", "spf", "spf_valid", "spf_fail_all", "spf_softfail_all",
           "spf_neutral_all", "spf_pass_all", "spf_over_limit", "dmarc", "dmarc_p_none",
           "dmarc_p_quarantine", "dmarc_p_reject", "dmarc_sp", "dmarc_np", "dmarc_rua",
           "dmarc_testing", "mta_sts", "tls_rpt", "bimi", "dnssec_secure", "dnssec_bogus",
           "dane", "dane_secure", "dkim", "temperror", "mta_sts_enforce", "mta_sts_testing",
           "starttls"]
TLSA = "3 1 1 " + "ab" * 32

zones = {c: ["$TTL 3600"] for c in cats}
prov = ["$TTL 3600",
        '_spf.p1.prov.test. TXT "v=spf1 ip4:198.51.100.0/24 ~all"',
        '_spf.p2.prov.test. TXT "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8::/32 -all"']
# big: 10 includes of leaves -> a domain including it needs 11 lookups.
prov.append('big.prov.test. TXT "v=spf1 %s ~all"' %
            " ".join("include:l%d.prov.test" % i for i in range(10)))
for i in range(10):
    prov.append('l%d.prov.test. TXT "v=spf1 ip4:192.0.2.%d"' % (i, i))

def pick(weights):
    r = rng.random() * sum(w for _, w in weights)
    for v, w in weights:
        r -= w
        if r < 0:
            return v
    return weights[-1][0]

tally = {}
lines = []
for i in range(n):
    cat = cats[i % len(cats)]
    d = "d%06d.%s.test" % (i, cat)
    z = zones[cat]
    m = dict.fromkeys(METRICS, False)
    mx = pick([("ok", 60), ("none", 28), ("null", 7), ("ip", 5)])
    if mx == "ok":
        z.append("%s. MX 10 mx.%s." % (d, d))
        z.append("mx.%s. A 192.0.2.25" % d)
        if rng.random() < 0.05:
            z.append("_25._tcp.mx.%s. TLSA %s" % (d, TLSA))
            m["dane"] = True
    elif mx == "null":
        z.append("%s. MX 0 ." % d)
    elif mx == "ip":
        z.append("%s. MX 10 192.0.2.%d." % (d, i % 250 + 1))
    m["mx"] = mx in ("ok", "ip")
    m["null_mx"] = mx == "null"
    m["mx_ip"] = mx == "ip"
    spf = pick([("none", 30), ("fail", 25), ("softfail", 25), ("neutral", 5), ("pass", 2),
                ("redirect", 5), ("noall", 3), ("big", 2), ("invalid", 2), ("multiple", 1)])
    if spf != "none":
        m["spf"] = True
        m["spf_valid"] = spf not in ("invalid", "multiple")
        q = {"fail": "-", "softfail": "~", "neutral": "?", "pass": "+"}
        inc = rng.choice(["include:_spf.p1.prov.test ", "include:_spf.p2.prov.test ", ""])
        if spf in q:
            rec = "v=spf1 ip4:192.0.2.0/24 %s%sall" % (inc, q[spf])
            m["spf_%s_all" % {"-": "fail", "~": "softfail", "?": "neutral", "+": "pass"}[q[spf]]] = True
        elif spf == "redirect":
            rec = "v=spf1 redirect=_spf.p1.prov.test"
            m["spf_softfail_all"] = True
        elif spf == "noall":
            rec = "v=spf1 ip4:192.0.2.1"
        elif spf == "big":
            rec = "v=spf1 include:big.prov.test -all"
            m["spf_fail_all"] = True
            m["spf_over_limit"] = True
        elif spf == "invalid":
            rec = "v=spf1 foo:bar -all"
        if spf == "multiple":
            z.append('%s. TXT "v=spf1 -all"' % d)
            z.append('%s. TXT "v=spf1 ~all"' % d)
        else:
            z.append('%s. TXT "%s"' % (d, rec))
    if rng.random() < 0.3:
        z.append('%s. TXT "site-verification=%d"' % (d, i))
    dm = pick([("none", 55), ("none_p", 20), ("quarantine", 10), ("reject", 12), ("invalid", 3)])
    if dm != "none":
        if dm == "invalid":
            rec = "v=DMARC1; p=bogus"
        else:
            p = "none" if dm == "none_p" else dm
            rec = "v=DMARC1; p=%s" % p
            m["dmarc"] = True
            m["dmarc_p_" + p] = True
            if rng.random() < 0.3:
                rec += "; sp=" + rng.choice(["none", "quarantine", "reject"])
                m["dmarc_sp"] = True
            if rng.random() < 0.1:
                rec += "; np=reject"
                m["dmarc_np"] = True
            if rng.random() < 0.5:
                rec += "; rua=mailto:dmarc@%s" % d
                m["dmarc_rua"] = True
            if rng.random() < 0.05:
                rec += "; t=y"
                m["dmarc_testing"] = True
        z.append('_dmarc.%s. TXT "%s"' % (d, rec))
    if rng.random() < 0.06:
        z.append('_mta-sts.%s. TXT "v=STSv1; id=%d"' % (d, i))
        m["mta_sts"] = True
    if rng.random() < 0.07:
        z.append('_smtp._tls.%s. TXT "v=TLSRPTv1; rua=mailto:tls@%s"' % (d, d))
        m["tls_rpt"] = True
    if rng.random() < 0.02:
        z.append('default._bimi.%s. TXT "v=BIMI1; l=https://%s/logo.svg"' % (d, d))
        m["bimi"] = True
    if rng.random() < 0.4:
        z.append('s%d._domainkey.%s. TXT "v=DKIM1; p=MIGf"' % (i % 3, d))
        m["dkim"] = True
    lines.append("%s %s\n" % (d, cat))
    for key in (cat, "all"):
        t = tally.setdefault(key, {"all": 0, "mx": 0, "c": dict.fromkeys(METRICS, 0),
                                   "cm": dict.fromkeys(METRICS, 0)})
        t["all"] += 1
        t["mx"] += m["mx"]
        for k in METRICS:
            if m[k]:
                t["c"][k] += 1
                if m["mx"]:
                    t["cm"][k] += 1

for c in cats:
    with open("%s/zones/%s.test.zone" % (out, c), "w") as f:
        f.write("\n".join(zones[c]) + "\n")
with open("%s/zones/prov.test.zone" % out, "w") as f:
    f.write("\n".join(prov) + "\n")
rng.shuffle(lines)
with open("%s/domains.txt" % out, "w") as f:
    f.writelines(lines)

def pct(a, b):
    return "%.2f" % (100.0 * a / b if b else 0.0)

with open("%s/truth.csv" % out, "w") as f:
    f.write("category,measure,domains,all,pct_all,domains_with_mx,with_mx,pct_with_mx\n")
    for key in sorted(k for k in tally if k != "all") + ["all"]:
        t = tally[key]
        for k in METRICS:
            f.write("%s,%s,%d,%d,%s,%d,%d,%s\n" % (key, k, t["c"][k], t["all"],
                    pct(t["c"][k], t["all"]), t["cm"][k], t["mx"], pct(t["cm"][k], t["mx"])))
