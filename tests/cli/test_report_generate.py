"""test_report_generate.py BUILD - `inkan report generate`: DMARC aggregate
reports (RFC 9990 / RFC 7489) from stored verdicts, end to end.

The verdict store is filled the way inkan-milter fills it (rows of the
tables verdict and verdict_dkim, written here with Python's sqlite3), with
known contents: several policy domains over two days, IPv4 and IPv6
sources, DKIM signatures in different orders, override reasons, the null
reverse-path, verdicts that cannot be reported.  The expected records are
computed here from those rows, independently of inkan.  Then:
  * every generated file has an RFC 9990 file name, is gzip, and validates
    with xmllint --schema against the published XSDs (fixed copies, see
    tests/data/reports/dmarc-aggregate/schema-fixed/README.md);
  * it parses back with inkan's parser to the same records and numbers,
    and with Python's xml.etree to the same totals;
  * ingested into a new store, the summary shows the same totals;
  * the same period generated twice gives the same bytes;
  * --send: to a fake sendmail (a script that keeps its arguments and
    input) and to a small SMTP server on loopback, only to authorised
    destinations (RFC 9990 "Verifying External Destinations"), within
    their !size limits.
Prints TAP.
"""
import email
import email.policy
import email.utils
import gzip
import ipaddress
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

BUILD = sys.argv[1]
INKAN = os.path.join(BUILD, "src", "inkan", "inkan")
HERE = os.path.dirname(os.path.abspath(__file__))
XSD = os.path.join(HERE, "..", "data", "reports", "dmarc-aggregate", "schema-fixed")
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


def run(*args, stdin=None):
    p = subprocess.run([INKAN, "report"] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


DAY1 = 1790035200          # 2026-09-22T00:00:00Z
DAY2 = DAY1 + 86400
COLS = ("ts reporter queue_id source_ip helo envelope_from envelope_to header_from spf_domain"
        " spf_scope spf_result spf_human dmarc_result policy_domain discovery p sp np adkim"
        " aspf testing fo pct policy policy_tag dkim_aligned spf_aligned requested"
        " disposition reason_type reason_comment arc action").split()
BASE = dict(reporter="mx.example", source_ip="192.0.2.1", helo="out.a.example",
            envelope_from="a.example", envelope_to="rcpt.example", header_from="a.example",
            spf_domain="a.example", spf_scope="mfrom", spf_result="pass",
            dmarc_result="pass", policy_domain="a.example", discovery="treewalk",
            p="reject", adkim="r", aspf="r", testing="n", policy="reject", policy_tag="p",
            dkim_aligned="pass", spf_aligned="pass", requested="none", disposition="none",
            action="accept")


class Store:
    """Verdict rows as inkan-milter writes them, and what a report must say."""

    def __init__(self, path):
        self.db = sqlite3.connect(path)
        self.rows = []

    def add(self, ts, dkim=(), **kw):
        v = dict(BASE, ts=ts)
        v.update(kw)
        cur = self.db.execute("INSERT INTO verdict(%s) VALUES(%s)" % (
            ",".join(COLS), ",".join("?" * len(COLS))), [v.get(c) for c in COLS])
        for d in dkim:
            self.db.execute("INSERT INTO verdict_dkim VALUES(?,?,?,?,?)",
                            (cur.lastrowid,) + tuple(d) + ((None,) if len(d) == 3 else ()))
        v["dkim"] = [tuple(d) + ((None,) if len(d) == 3 else ()) for d in dkim]
        self.rows.append(v)

    def commit(self):
        self.db.commit()

    def expected(self, begin, end):
        """Per policy domain: {record key: count} for the reportable rows."""
        out = {}
        for v in self.rows:
            if not (begin <= v["ts"] < end) or not v.get("policy_domain") \
                    or not v.get("source_ip"):
                continue
            spf_dom = v.get("spf_domain") or v.get("envelope_from") or v.get("helo") \
                or v.get("header_from")
            key = (str(ipaddress.ip_address(v["source_ip"])), v.get("disposition") or "none",
                   v.get("dkim_aligned") or "fail", v.get("spf_aligned") or "fail",
                   v.get("reason_type"), v.get("reason_comment"), v.get("header_from"),
                   v.get("envelope_from"), v.get("envelope_to"), spf_dom,
                   v.get("spf_scope") or "mfrom", v.get("spf_result") or "none",
                   tuple(sorted(v["dkim"], key=lambda d: tuple(x or "" for x in d))))
            dom = out.setdefault(v["policy_domain"], {})
            dom[key] = dom.get(key, 0) + 1
        return out


def fill(st):
    """The verdicts: known by construction."""
    t = DAY1 + 3600
    # a.example: 12 messages from 192.0.2.1 with two signatures, in both orders
    for i in range(12):
        sigs = [("a.example", "s1", "pass"), ("esp.example", "k2", "pass")]
        st.add(t + i, dkim=sigs if i % 2 else sigs[::-1])
    # forged from IPv6, failing, rejected; DKIM human_result with markup and bad UTF-8
    for i in range(5):
        st.add(t + 100 + i, source_ip="2001:db8::25", spf_result="fail",
               spf_aligned="fail", dkim_aligned="fail", dmarc_result="fail",
               disposition="reject", requested="reject", header_from="sub.a.example",
               envelope_from="", spf_domain="out.a.example", spf_scope="helo",
               dkim=[("evil.example", "x", "fail", b"body hash <mismatch> & \x01 \xff")])
    # a local override
    for i in range(2):
        st.add(t + 200 + i, source_ip="2001:db8::25", spf_result="fail", spf_aligned="fail",
               dkim_aligned="fail", dmarc_result="fail", disposition="none",
               requested="reject", reason_type="local_policy", reason_comment="exempt domain",
               envelope_from="", spf_domain="out.a.example", spf_scope="helo")
    # DKIM priority order (RFC 9990): aligned passes first, non-passing last
    st.add(t + 300, source_ip="198.51.100.9", dkim=[
        ("x.example", "k", "fail"), ("esp.example", "e", "pass"),
        ("mail.a.example", "m", "pass"), ("a.example", "s1", "pass")])
    # 120 signatures on one message: at most 100 reported
    st.add(t + 301, source_ip="198.51.100.10",
           dkim=[("d%03d.example" % k, "s", "fail") for k in range(120)])
    # b.example: many sources (a large report), p=quarantine with pct (RFC 7489 world)
    for k in range(150):
        st.add(t + 400 + k, source_ip="203.0.113.%d" % (k % 250 + 1),
               policy_domain="b.example", header_from="b.example", envelope_from="b.example",
               spf_domain="b.example", p="quarantine", sp="none", pct=50,
               discovery="psl", fo="1:d", dkim=[("b.example", "b%d" % (k % 7), "pass")])
    # c.example: t=y (testing); the one report with <testing>
    for i in range(4):
        st.add(t + 600 + i, policy_domain="c.example", header_from="c.example",
               envelope_from="c.example", spf_domain="c.example", testing="y",
               dmarc_result="fail", dkim_aligned="fail", spf_aligned="fail",
               disposition="quarantine", requested="quarantine",
               reason_type="policy_test_mode", reason_comment="t=y")
    # d.example: a record without a valid p= (stored NULL), applied as p=none;
    # the policy changes during the day (adkim)
    st.add(t + 700, policy_domain="d.example", header_from="d.example", p=None,
           policy="none", adkim="s")
    st.add(t + 701, policy_domain="d.example", header_from="d.example", p=None,
           policy="none", adkim="r")
    # e.example and f.example (for the sending test)
    st.add(t + 800, policy_domain="e.example", header_from="e.example")
    st.add(t + 801, policy_domain="f.example", header_from="f.example")
    # not reportable: no DMARC policy domain; no source IP
    st.add(t + 900, policy_domain=None, dmarc_result="none")
    st.add(t + 901, source_ip=None)
    # the next day
    for i in range(7):
        st.add(DAY2 + 10 + i, source_ip="192.0.2.77")
    st.commit()


FNAME = re.compile(r"^mx\.example!([a-z0-9.-]+)!(\d+)!(\d+)!([A-Za-z0-9]+)\.xml\.gz$")


def xmllint(xsd, path):
    p = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(XSD, xsd), path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode == 0, p.stderr.decode()


def etree_totals(xml):
    """A second parser: totals straight from the XML (any namespace)."""
    root = ET.fromstring(xml)

    def local(e):
        return e.tag.split("}")[-1]
    tot = {"records": 0, "messages": 0, "pass": 0, "dkim_auth": 0}
    for rec in root:
        if local(rec) != "record":
            continue
        row = [c for c in rec if local(c) == "row"][0]
        cnt = int([c for c in row if local(c) == "count"][0].text)
        pe = [c for c in row if local(c) == "policy_evaluated"][0]
        res = {local(c): c.text for c in pe}
        tot["records"] += 1
        tot["messages"] += cnt
        if res.get("dkim") == "pass" or res.get("spf") == "pass":
            tot["pass"] += cnt
        ar = [c for c in rec if local(c) == "auth_results"][0]
        tot["dkim_auth"] += sum(1 for c in ar if local(c) == "dkim")
    md = [c for c in root if local(c) == "report_metadata"][0]
    tot["report_id"] = [c for c in md if local(c) == "report_id"][0].text
    tot["ns"] = root.tag.split("}")[0].lstrip("{") if "}" in root.tag else None
    return tot


def generate(db, out, *extra):
    rc, o, e = run("generate", "--db", db, "--org-name", "Mx Example", "--org-email",
                   "dmarc@mx.example", "--out", out, "--json", *extra)
    try:
        return rc, json.loads(o), e
    except ValueError:
        return rc, {}, o + e


def check_schemas():
    sample = os.path.join(HERE, "..", "data", "reports", "dmarc-aggregate", "parsedmarc",
                          "rfc9990-sample.xml")
    ok1, e1 = xmllint("rfc9990.xsd", sample)
    ok2, e2 = xmllint("rfc9990-text.xsd", sample)
    tap(not ok1 and ok2, "the fixed XSDs work: RFC 9990's own sample fails mail-dmarc's"
        " schema (at <version>) and validates against the RFC text's", e1 + e2)


def check_generation(tmp, st, db):
    out = os.path.join(tmp, "out")
    rc, doc, err = generate(db, out, "--day", "2026-09-22")
    tap(rc == 0, "generate --day exits 0", err)
    dm = doc.get("dmarc", {})
    exp = st.expected(DAY1, DAY2)
    reportable = sum(sum(v.values()) for v in exp.values())
    day_rows = [v for v in st.rows if DAY1 <= v["ts"] < DAY2]
    tap(dm.get("verdicts") == len(day_rows) and dm.get("no_policy_domain") == 1
        and dm.get("no_source_ip") == 1 and dm.get("reported") == reportable,
        "stats: verdicts in the day, the unreportable ones, the reported ones",
        (dm, len(day_rows), reportable))
    reps = {r["domain"]: r for r in dm.get("reports", [])}
    tap(sorted(reps) == sorted(exp), "one report per policy domain (RFC 9990)",
        (sorted(reps), sorted(exp)))
    files = sorted(os.listdir(out))
    names_ok = all(FNAME.match(f) and FNAME.match(f).group(2) == str(DAY1)
                   and FNAME.match(f).group(3) == str(DAY2 - 1) for f in files)
    tap(len(files) == len(exp) and names_ok,
        "file names are receiver!policy-domain!begin!end!unique-id.xml.gz", files)
    parsed = {}
    for f in files:
        path = os.path.join(out, f)
        dom = FNAME.match(f).group(1) if FNAME.match(f) else f
        raw = open(path, "rb").read()
        if raw[:2] != b"\x1f\x8b":
            tap(False, "%s is gzip" % f)
            continue
        xml = gzip.decompress(raw)
        xpath = os.path.join(tmp, dom + ".xml")
        open(xpath, "wb").write(xml)
        if dom == "c.example":
            ok1, e1 = xmllint("rfc9990.xsd", xpath)
            ok2, e2 = xmllint("rfc9990-text.xsd", xpath)
            tap(not ok1 and "testing" in e1 and ok2,
                "c.example (t=y): <testing> as RFC 9990 names it; valid against the RFC"
                " 9990 text's schema, not the XSD that calls it <t>", e1 + e2)
        else:
            ok, e = xmllint("rfc9990.xsd", xpath)
            tap(ok, "%s validates against the RFC 9990 XSD (xmllint --schema)" % dom, e)
        tot = etree_totals(xml)
        want = exp.get(dom, {})
        want_pass = sum(c for k, c in want.items() if k[2] == "pass" or k[3] == "pass")
        tap(tot["ns"] == "urn:ietf:params:xml:ns:dmarc-2.0" and tot["records"] == len(want)
            and tot["messages"] == sum(want.values()) and tot["pass"] == want_pass
            and tot["report_id"] == reps.get(dom, {}).get("report_id"),
            "%s: xml.etree counts the expected records, messages and passes" % dom,
            (tot, len(want), sum(want.values()), want_pass))
        rc, o, e = run("parse", "--json", path)
        try:
            parsed[dom] = json.loads(o)[0]
        except (ValueError, IndexError):
            tap(False, "%s parses back with inkan" % dom, o + e)
            continue
        p = parsed[dom]
        got = {}
        for r in p["records"]:
            k = (r["source_ip"], r["count"], r["disposition"], r["dkim"], r["spf"],
                 len(r["auth_dkim"]))
            got[k] = got.get(k, 0) + 1
        wantk = {}
        for k, c in want.items():
            kk = (k[0], c, k[1], k[2], k[3], min(len(k[12]), 100))
            wantk[kk] = wantk.get(kk, 0) + 1
        tap(p["schema"] == "rfc9990" and p["messages"] == sum(want.values())
            and got == wantk and p["policy_published"]["domain"] == dom,
            "%s parses back with inkan to the same records (ip, count, disposition,"
            " aligned results, DKIM results)" % dom, (got, wantk))
    return out, parsed, exp


def check_contents(parsed):
    a = parsed.get("a.example", {})
    recs = a.get("records", [])
    order = [r for r in recs if r["source_ip"] == "198.51.100.9"]
    doms = [d["domain"] for d in order[0]["auth_dkim"]] if order else []
    tap(doms == ["a.example", "mail.a.example", "esp.example", "x.example"],
        "DKIM results in RFC 9990's order: pass aligned strictly, relaxed, other pass,"
        " the rest", doms)
    many = [r for r in recs if r["source_ip"] == "198.51.100.10"]
    tap(many and len(many[0]["auth_dkim"]) == 100,
        "at most 100 DKIM results per record (RFC 9990)", many and len(many[0]["auth_dkim"]))
    merged = [r for r in recs if r["source_ip"] == "192.0.2.1"]
    tap(len(merged) == 1 and merged[0]["count"] == 12,
        "the same signatures in another order share a record", merged)
    v6 = [r for r in recs if r["source_ip"] == "2001:db8::25"]
    hr = [d["human_result"] for r in v6 for d in r["auth_dkim"]]
    tap(len(v6) == 2 and hr and "<mismatch> &" in hr[0] and "\x01" not in hr[0],
        "human_result escaped, control characters and bad UTF-8 replaced", hr)
    nul = [r for r in v6 if r["envelope_from"] is None and r["auth_spf"]
           and r["auth_spf"][0]["scope"] == "helo"
           and r["auth_spf"][0]["domain"] == "out.a.example"]
    xml = open(os.path.join(TMP, "a.example.xml"), "rb").read()
    tap(len(nul) == 2 and xml.count(b"<envelope_from></envelope_from>") == 2,
        "null reverse-path: an empty <envelope_from>, SPF for the HELO (scope helo)", v6)
    ovr = [r for r in v6 if r["reason"]]
    tap(len(ovr) == 1 and ovr[0]["reason"][0] == {"type": "local_policy",
                                                  "comment": "exempt domain"},
        "override reason kept", ovr)
    b = parsed.get("b.example", {})
    pp = b.get("policy_published", {})
    tap(pp.get("p") == "quarantine" and pp.get("sp") == "none" and pp.get("fo") == "1:d"
        and pp.get("discovery_method") == "psl" and pp.get("pct") is None,
        "policy_published from the verdicts (no pct in RFC 9990)", pp)
    c = parsed.get("c.example", {})
    tap(c.get("policy_published", {}).get("testing") == "y"
        and all(r["reason"] and r["reason"][0]["type"] == "policy_test_mode"
                for r in c.get("records", [])),
        "t=y: <testing>y</testing> and reason policy_test_mode", c.get("policy_published"))
    d = parsed.get("d.example", {})
    errs = " ".join(d.get("error", []))
    tap(d.get("policy_published", {}).get("p") == "none" and "no valid p=" in errs
        and "changed during" in errs and d.get("policy_published", {}).get("adkim") == "r",
        "no valid p=: p none and an <error>; a policy change: the last one and an <error>",
        d)


def check_rfc7489(tmp, st, db):
    out = os.path.join(tmp, "out7")
    rc, doc, err = generate(db, out, "--day", "2026-09-22", "--format", "rfc7489")
    files = sorted(os.listdir(out)) if os.path.isdir(out) else []
    ok_all, errs, tot_msgs = True, "", 0
    for f in files:
        path = os.path.join(tmp, "x7.xml")
        open(path, "wb").write(gzip.decompress(open(os.path.join(out, f), "rb").read()))
        ok, e = xmllint("rfc7489-appendix-c.xsd", path)
        ok_all &= ok
        errs += e
        t = etree_totals(open(path, "rb").read())
        ok_all &= t["ns"] == "http://dmarc.org/dmarc-xml/0.1"
        tot_msgs += t["messages"]
    exp = st.expected(DAY1, DAY2)
    tap(rc == 0 and len(files) == len(exp) and ok_all,
        "--format rfc7489: every report validates against the RFC 7489 appendix C XSD",
        errs or err)
    tap(tot_msgs == sum(sum(v.values()) for v in exp.values()),
        "--format rfc7489: the same message total", tot_msgs)
    rc, o, e = run("parse", "--json", os.path.join(out, [f for f in files if "b.example" in
                                                         f][0]))
    pp = json.loads(o)[0]["policy_published"] if rc == 0 else {}
    tap(pp.get("pct") == 50 and pp.get("sp") == "none" and pp.get("fo") == "1:d",
        "--format rfc7489 keeps pct", pp)


def check_again(tmp, db, out):
    out2 = os.path.join(tmp, "out-again")
    generate(db, out2, "--day", "2026-09-22")
    same = sorted(os.listdir(out)) == sorted(os.listdir(out2)) and all(
        open(os.path.join(out, f), "rb").read() == open(os.path.join(out2, f), "rb").read()
        for f in os.listdir(out))
    tap(same, "the same period again: the same file names and bytes (a re-sent report"
        " keeps its name, RFC 9990)")
    # day two, and a --since/--until range over both days
    rc, doc, err = generate(db, os.path.join(tmp, "out-d2"), "--day", "2026-09-23")
    reps = doc.get("dmarc", {}).get("reports", [])
    tap(rc == 0 and len(reps) == 1 and reps[0]["messages"] == 7, "the next day: 7 messages",
        reps)
    rc, doc, err = generate(db, os.path.join(tmp, "out-r"), "--since", "2026-09-22",
                            "--until", "2026-09-24", "--domain", "a.example")
    reps = doc.get("dmarc", {}).get("reports", [])
    tap(rc == 0 and [r["domain"] for r in reps] == ["a.example"]
        and reps[0]["messages"] == 12 + 5 + 2 + 2 + 7, "--since/--until and --domain", reps)
    rc, doc, err = generate(db, os.path.join(tmp, "out-none"), "--day", "2020-01-01")
    tap(rc == 0 and doc.get("dmarc", {}).get("reports") == [] and
        os.listdir(os.path.join(tmp, "out-none")) == [],
        "a day without verdicts: no report (RFC 9990 needs at least one record)", doc)
    rc, o, e = run("generate", "--db", db, "--org-name", "X", "--org-email", "nodomain",
                   "--out", out2)
    tap(rc == 64 and "--org-email" in e, "--org-email without a domain is a usage error", e)


def check_ingest(tmp, out, exp):
    db2 = os.path.join(tmp, "ingested.db")
    rc, o, e = run("ingest", "--db", db2, out)
    rc2, o2, e2 = run("summary", "--db", db2, "--json", "--no-dns")
    s = json.loads(o2).get("dmarc", {}) if rc2 == 0 else {}
    msgs = sum(sum(v.values()) for v in exp.values())
    passed = sum(c for v in exp.values() for k, c in v.items() if "pass" in (k[2], k[3]))
    tap(rc == 0 and s.get("reports") == len(exp) and s.get("messages") == msgs
        and s.get("pass") == passed and s.get("fail") == msgs - passed,
        "generated reports ingested: the summary has the same reports, messages, pass, fail",
        (s.get("reports"), s.get("messages"), s.get("pass"), msgs, passed, o + e))


# ---- sending ----

ZONE = """$ORIGIN example.
$TTL 300
_dmarc.a.example. IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@a.example,mailto:agg@third.example!50k,mailto:x@unauth.example,https://r.example/x"
a.example._report._dmarc.third.example. IN TXT "v=DMARC1"
_dmarc.b.example. IN TXT "v=DMARC1; p=quarantine; rua=mailto:small@b.example!1k,mailto:big@b.example!1m"
_dmarc.c.example. IN TXT "v=DMARC1; p=quarantine; t=y"
_dmarc.e.example. IN TXT "v=DMARC1; p=reject; rua=mailto:r@prov.example,mailto:R@prov.example"
e.example._report._dmarc.prov.example. IN TXT "v=DMARC1; rua=mailto:e-reports@prov.example"
_dmarc.f.example. IN TXT "v=DMARC1; p=reject; rua=mailto:r@prov2.example"
f.example._report._dmarc.prov2.example. IN TXT "v=DMARC1; rua=mailto:x@elsewhere.example"
"""

FAKE_SENDMAIL = """#!/bin/sh
# A sendmail that keeps what it is given: arguments, then the message.
n=$(ls "%(dir)s" | wc -l)
f="%(dir)s/msg$n"
printf '%%s\\n' "$@" > "$f.args"
cat > "$f.eml"
exit %(status)d
"""


def fake_sendmail(tmp, name, status=0):
    d = os.path.join(tmp, name + ".spool")
    os.mkdir(d)
    path = os.path.join(tmp, name)
    open(path, "w").write(FAKE_SENDMAIL % {"dir": d, "status": status})
    os.chmod(path, 0o755)
    return path, d


def spool(d):
    out = []
    for f in sorted(os.listdir(d)):
        if f.endswith(".args"):
            args = open(os.path.join(d, f)).read().split("\n")[:-1]
            msg = open(os.path.join(d, f[:-5] + ".eml"), "rb").read()
            out.append((args, msg))
    return out


def attachment(msg):
    m = email.message_from_bytes(msg, policy=email.policy.default)
    for part in m.walk():
        if part.get_content_type() in ("application/gzip", "application/tlsrpt+gzip"):
            return m, part.get_filename(), part.get_content()
    return m, None, None


def check_send(tmp, db, out):
    zone = os.path.join(tmp, "send.zone")
    open(zone, "w").write(ZONE)
    sm, sp = fake_sendmail(tmp, "sendmail")
    outs = os.path.join(tmp, "out-send")
    rc, doc, err = generate(db, outs, "--day", "2026-09-22", "--send", "--sendmail", sm,
                            "--zone", zone, "--now", str(DAY2 + 600))
    reps = {r["domain"]: r for r in doc.get("dmarc", {}).get("reports", [])}
    tap(rc == 0, "generate --send exits 0", err)

    def status(dom):
        return [(d["uri"], d.get("to"), d["status"]) for d in reps.get(dom, {}).get(
            "destinations", [])]
    tap(status("a.example") == [
        ("mailto:dmarc@a.example", "dmarc@a.example", "sent"),
        ("mailto:agg@third.example", "agg@third.example", "sent"),
        ("mailto:x@unauth.example", "x@unauth.example", "not authorized"),
        ("https://r.example/x", None, "not sent")],
        "a.example: own domain sent, authorised third party sent, unauthorised and"
        " https not", status("a.example"))
    bst = status("b.example")
    bwhy = [d.get("why") or "" for d in reps.get("b.example", {}).get("destinations", [])]
    tap(bst == [("mailto:small@b.example", "small@b.example", "not sent"),
                ("mailto:big@b.example", "big@b.example", "sent")]
        and "limit of 1024" in bwhy[0],
        "b.example: the report is over !1k, so only the !1m URI gets it", (bst, bwhy))
    tap(status("c.example") == [("-", None, "not sent")],
        "c.example: no rua=, nothing sent", status("c.example"))
    tap(status("e.example") == [("mailto:e-reports@prov.example", "e-reports@prov.example",
                                 "sent"),
                                ("mailto:e-reports@prov.example", "e-reports@prov.example",
                                 "not sent")],
        "e.example: the destination's own rua= on the same host replaces ours; an address"
        " gets the report once", status("e.example"))
    tap(status("f.example") == [("mailto:r@prov2.example", "r@prov2.example",
                                 "not authorized")],
        "f.example: a destination redirecting to another host gets nothing, nor does the"
        " other host", status("f.example"))
    sent = spool(sp)
    rcpts = sorted(a[-1] for a, _ in sent)
    tap(rcpts == sorted(["dmarc@a.example", "agg@third.example", "big@b.example",
                         "e-reports@prov.example"]),
        "the fake sendmail got exactly the authorised recipients", rcpts)
    tap(all(a[:4] == ["-oi", "-f", "dmarc@mx.example", "--"] for a, _ in sent),
        "sendmail run as -oi -f FROM -- RCPT", [a for a, _ in sent])
    good = True
    why = []
    for args, msg in sent:
        m, fname, data = attachment(msg)
        fm = FNAME.match(fname or "")
        dom = fm.group(1) if fm else None
        disk = open(os.path.join(outs, fname), "rb").read() if fname and os.path.exists(
            os.path.join(outs, fname)) else None
        subj = re.sub(r"\s+", " ", str(m["Subject"]))
        rid = etree_totals(gzip.decompress(data))["report_id"] if data else None
        ok = (data == disk and m["To"] == args[-1] and subj ==
              "Report Domain: %s Submitter: mx.example Report-ID: <%s>" % (dom, rid)
              and m["Message-ID"] == "<%s@mx.example>" % rid
              and email.utils.parsedate_to_datetime(str(m["Date"])).timestamp()
              == DAY2 + 600)
        good &= ok
        if not ok:
            why.append((fname, subj, m["To"], m["Message-ID"], m["Date"], data == disk))
    tap(sent and good, "each message: application/gzip attachment equal to the file,"
        " RFC 9990 Subject (Report-ID the XML's report_id), Message-ID, To", why)

    # a temporary failure (EX_TEMPFAIL) makes the run say "try again"
    sm2, sp2 = fake_sendmail(tmp, "sendmail-tempfail", 75)
    rc, doc, err = generate(db, os.path.join(tmp, "out-tf"), "--day", "2026-09-22",
                            "--domain", "e.example", "--send", "--sendmail", sm2, "--zone",
                            zone)
    st = [d["status"] for r in doc.get("dmarc", {}).get("reports", [])
          for d in r["destinations"]]
    tap(rc == 75 and st == ["temporary failure", "not sent"],
        "sendmail exiting 75 (EX_TEMPFAIL): exit status 75, temporary failure", (rc, st, err))
    return sent


class SMTPServer(threading.Thread):
    """Just enough SMTP for one client: records the envelope and data."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.got = []

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            f = c.makefile("rb")
            c.sendall(b"220 test ESMTP\r\n")
            env = {"rcpt": []}
            while True:
                line = f.readline()
                if not line:
                    break
                cmd = line.strip().decode()
                u = cmd.upper()
                if u.startswith("EHLO"):
                    env["helo"] = cmd[5:]
                    c.sendall(b"250-test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif u.startswith("MAIL FROM:"):
                    env["from"] = cmd[10:]
                    c.sendall(b"250 ok\r\n")
                elif u.startswith("RCPT TO:"):
                    env["rcpt"].append(cmd[8:])
                    c.sendall(b"250 ok\r\n")
                elif u == "DATA":
                    c.sendall(b"354 go\r\n")
                    data = b""
                    while True:
                        dl = f.readline()
                        if dl in (b".\r\n", b""):
                            break
                        data += dl
                    env["data"] = data
                    c.sendall(b"250 queued\r\n")
                elif u == "QUIT":
                    c.sendall(b"221 bye\r\n")
                    break
                else:
                    c.sendall(b"500 what\r\n")
            self.got.append(env)
            c.close()


def check_smtp(tmp, db, sent):
    zone = os.path.join(tmp, "send.zone")
    srv = SMTPServer()
    srv.start()
    rc, doc, err = generate(db, os.path.join(tmp, "out-smtp"), "--day", "2026-09-22",
                            "--domain", "a.example", "--send", "--smtp",
                            "127.0.0.1:%d" % srv.port, "--zone", zone, "--now",
                            str(DAY2 + 600))
    st = [d["status"] for r in doc.get("dmarc", {}).get("reports", [])
          for d in r["destinations"]]
    tap(rc == 0 and st == ["sent", "sent", "not authorized", "not sent"],
        "--smtp: a.example's two authorised destinations sent", (st, err))
    # The client may have closed before the server thread recorded the
    # last session: wait for it (bounded) instead of racing it.
    deadline = time.time() + 10
    while len(srv.got) < 2 and time.time() < deadline:
        time.sleep(0.02)
    envs = list(srv.got)
    tap(len(envs) == 2 and [e["rcpt"] for e in envs] == [["<dmarc@a.example>"],
                                                         ["<agg@third.example>"]]
        and all(e["from"] == "<dmarc@mx.example>" and e["helo"] == "mx.example"
                for e in envs), "SMTP envelope: EHLO, MAIL FROM, RCPT TO",
        [(e.get("helo"), e.get("from"), e.get("rcpt")) for e in envs])
    ref = [m for a, m in sent if a[-1] == "dmarc@a.example"]
    data = envs[0]["data"] if envs else b""
    undot = b"".join(l[1:] if l.startswith(b"..") else l for l in data.splitlines(True))
    tap(ref and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
        and undot.replace(b"\r\n", b"\n") == ref[0],
        "SMTP DATA: CRLF lines, dot-stuffed, the same message as through sendmail",
        data[:300])
    srv.sock.close()


TMP = None


def main():
    global TMP
    tmp = TMP = tempfile.mkdtemp(prefix="inkan-gen-")
    try:
        db = os.path.join(tmp, "verdicts.db")
        rc, o, e = run("summary", "--db", db, "--no-dns")   # creates the schema
        tap(rc == 0, "an empty store is created", e)
        st = Store(db)
        fill(st)
        check_schemas()
        out, parsed, exp = check_generation(tmp, st, db)
        check_contents(parsed)
        check_rfc7489(tmp, st, db)
        check_again(tmp, db, out)
        check_ingest(tmp, out, exp)
        sent = check_send(tmp, db, out)
        check_smtp(tmp, db, sent)
    finally:
        shutil.rmtree(tmp)
    print("1..%d" % n)
    sys.exit(1 if failures else 0)


main()
