#!/usr/bin/python3
"""zonegen.py DOMAINS.TXT OUT.ZONE - a parent zone "test." whose
delegations are the domains of DOMAINS.TXT (first column), written the
way TLD zones are: $ORIGIN and relative owners, omitted owners, NS RRsets
of 2 records (a tenth of them split: the second record at the end of the
file), glue A/AAAA, DS records, some owners in upper case, the apex NS,
and records that are not delegations (out of zone, apex TXT).  The
survey must find each domain exactly once and nothing else."""
import sys

doms = [l.split()[0] for l in open(sys.argv[1]) if l.strip()]
out, late = [], []
out.append("$ORIGIN test.")
out.append("$TTL 86400")
out.append("@ IN SOA a.nic.test. hostmaster.nic.test. ( 1 3600 900 1814400 900 )")
out.append("  IN NS a.nic.test.")
out.append('  IN TXT "the apex is not a delegation"')
out.append("a.nic IN A 192.0.2.53")
for i, d in enumerate(doms):
    rel = d[:-len(".test")]
    owner = rel.upper() if i % 17 == 0 else rel
    out.append("%s 3600 IN NS ns1.%s" % (owner, rel))
    if i % 10 == 3:
        late.append("%s. NS ns2.%s." % (d, d))
    else:
        out.append("\t\tNS ns2.%s.test." % rel)
    if i % 5 == 0:
        out.append("ns1.%s A 192.0.2.%d" % (rel, i % 250 + 1))
        out.append("ns1.%s AAAA 2001:db8::%x" % (rel, i % 65535 + 1))
    if i % 7 == 0:
        out.append("%s DS 12345 13 2 %s" % (rel, "ab" * 32))
out.extend(late)
out.append("elsewhere.example. NS ns.elsewhere.example.")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
