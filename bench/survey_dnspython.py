#!/usr/bin/python3
"""survey_dnspython.py SERVER PORT DOMAINS [CONCURRENCY] - the baseline of
the survey bench: Python asyncio + dnspython asking what `inkan survey`
asks of each domain (MX, apex TXT, _dmarc, _mta-sts, _smtp._tls,
default._bimi and _domainkey TXT, then TLSA on each MX host and the TXT
of each SPF include/redirect, one level, cached across domains), with
CONCURRENCY domains in flight.  Prints "domains N seconds S queries Q".
It only fetches; it evaluates nothing beyond finding the include names.
"""
import asyncio
import sys
import time

import dns.asyncquery
import dns.message
import dns.rdatatype

server, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conc = int(sys.argv[4]) if len(sys.argv) > 4 else 500
domains = [l.split()[0] for l in open(path) if l.strip()]
nq = 0
include_cache = {}


async def ask(name, rdtype):
    global nq
    nq += 1
    q = dns.message.make_query(name, rdtype)
    try:
        return await dns.asyncquery.udp(q, server, port=port, timeout=5)
    except Exception:
        return None


def txts(r):
    out = []
    if r is None:
        return out
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            for rd in rrset:
                out.append(b"".join(rd.strings).decode("ascii", "replace"))
    return out


async def one(d):
    res = await asyncio.gather(
        ask(d, "MX"), ask(d, "TXT"), ask("_dmarc." + d, "TXT"), ask("_mta-sts." + d, "TXT"),
        ask("_smtp._tls." + d, "TXT"), ask("default._bimi." + d, "TXT"),
        ask("_domainkey." + d, "TXT"))
    mx, txt = res[0], res[1]
    follow = []
    if mx is not None:
        for rrset in mx.answer:
            if rrset.rdtype == dns.rdatatype.MX:
                for rd in rrset:
                    h = rd.exchange.to_text(omit_final_dot=True)
                    if h not in ("", "@", ".") and not h.replace(".", "").isdigit():
                        follow.append(ask("_25._tcp." + h, "TLSA"))
    for t in txts(txt):
        if t.lower().startswith("v=spf1"):
            for term in t.split()[1:]:
                for pre in ("include:", "redirect="):
                    if term.lower().startswith(pre):
                        name = term[len(pre):]
                        if name not in include_cache:
                            include_cache[name] = True
                            follow.append(ask(name, "TXT"))
    if follow:
        await asyncio.gather(*follow)


async def main():
    sem = asyncio.Semaphore(conc)

    async def guarded(d):
        async with sem:
            await one(d)
    await asyncio.gather(*(guarded(d) for d in domains))

t0 = time.monotonic()
asyncio.run(main())
print("domains %d seconds %.3f queries %d" % (len(domains), time.monotonic() - t0, nq))
