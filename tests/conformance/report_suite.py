"""report_suite.py INKAN DATADIR - every report sample parses as expected.

For each sample under DATADIR (tests/data/reports) this runs
`inkan report parse --json` and checks the result against:
  * a second, independent parser written here with the Python standard
    library (email, gzip, zipfile, xml.etree, json): report identity,
    date range, policy domain, record count, message total, DMARC pass and
    fail totals, TLS-RPT session totals;
  * mail-auth's own parse where the data set gives one (mail-auth/*.json),
    field by field after mapping its enum names (CamelCase) to the RFC's;
  * for the broken samples named in DATADIR/README.md, a clean error that
    names the problem (and no report).
Expectations therefore come from the samples and the second parser, never
from inkan's output.  Prints TAP with the file names.
"""
import email
import email.utils
import gzip
import ipaddress
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

INKAN, DATA = sys.argv[1], sys.argv[2]
n = 0
failures = 0

# Broken samples and what the error must mention (README.md).
BROKEN = {
    "dmarc-aggregate/parsedmarc/invalid_xml.xml": "not well-formed XML",
    "dmarc-aggregate/opendmarc/bad.com!example.com!1337140800!1337227200.xml":
        "not well-formed XML",
    "dmarc-aggregate/parsedmarc-invalid/empty.xml": "empty",
}


def tap(ok, name, detail=""):
    global n, failures
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    if not ok:
        failures += 1
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)


# ---- the independent parser ----

def unpack(b):
    for _ in range(4):
        if b[:2] == b"\x1f\x8b":
            d = __import__("zlib").decompressobj(16 + 15)
            b = d.decompress(b)
        elif b[:4] == b"PK\x03\x04":
            z = zipfile.ZipFile(io.BytesIO(b))
            b = z.read(z.infolist()[0])
        else:
            break
    return b


def payloads(path):
    b = open(path, "rb").read()
    if path.endswith(".eml"):
        m = email.message_from_bytes(b)
        out = []
        for part in m.walk():
            if part.is_multipart():
                continue
            data = part.get_payload(decode=True) or b""
            if data[:2] == b"\x1f\x8b" or data[:4] == b"PK\x03\x04" or \
                    b"<feedback" in data[:4096] or data.lstrip()[:1] == b"{":
                out.append(unpack(data))
        return out
    return [unpack(b)]


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find(node, name):
    if node is None:
        return None
    for c in node:
        if local(c.tag) == name:
            return c
    return None


def text(node, name):
    c = find(node, name)
    return (c.text or "").strip() if c is not None and c.text else None


def dmarc_totals(data):
    root = ET.fromstring(data)
    md = find(root, "report_metadata")
    dr = find(md, "date_range")
    org = text(md, "org_name") or (text(md, "email") or "").rsplit("@", 1)[-1]
    recs = [c for c in root if local(c.tag) == "record"]
    msgs = ok = 0
    for r in recs:
        row = find(r, "row")
        pe = find(row, "policy_evaluated")
        cnt = int(text(row, "count"))
        msgs += cnt
        if (text(pe, "dkim") or "").lower() == "pass" or (text(pe, "spf") or "").lower() == "pass":
            ok += cnt
    return {"kind": "dmarc", "org_name": org, "report_id": text(md, "report_id"),
            "begin": int(float(text(dr, "begin"))), "end": int(float(text(dr, "end"))),
            "domain": text(find(root, "policy_published"), "domain").lower(),
            "records": len(recs), "messages": msgs, "pass": ok, "fail": msgs - ok}


def tls_totals(data):
    j = json.loads(data)
    ok = sum(p["summary"].get("total-successful-session-count", 0) for p in j["policies"])
    bad = sum(p["summary"].get("total-failure-session-count", 0) for p in j["policies"])
    details = sum(f.get("failed-session-count", 0) for p in j["policies"]
                  for f in p.get("failure-details", []))
    return {"kind": "tlsrpt", "org_name": j["organization-name"], "report_id": j["report-id"],
            "policies": len(j["policies"]), "successful": ok, "failed": bad,
            "details": details}


def ours_totals(r):
    if r["kind"] == "dmarc":
        ok = sum(w["count"] for w in r["records"] if "pass" in (w["dkim"], w["spf"]))
        return {"kind": "dmarc", "org_name": r["org_name"], "report_id": r["report_id"],
                "begin": r["begin"], "end": r["end"],
                "domain": r["policy_published"]["domain"], "records": len(r["records"]),
                "messages": r["messages"], "pass": ok, "fail": r["messages"] - ok}
    return {"kind": "tlsrpt", "org_name": r["organization-name"], "report_id": r["report-id"],
            "policies": len(r["policies"]), "successful": r["successful_sessions"],
            "failed": r["failed_sessions"],
            "details": sum(f["failed-session-count"] for p in r["policies"]
                           for f in p["failure-details"])}


def inkan_parse(path):
    p = subprocess.run([INKAN, "report", "parse", "--json", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, json.loads(p.stdout.decode() or "[]"), p.stderr.decode()


def inkan_ingest_reason(path):
    p = subprocess.run([INKAN, "report", "parse", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode()


# ---- failure reports (ARF, RFC 5965 / RFC 6591 / RFC 9991) ----

def ws(v):
    return " ".join(str(v).split()) if v is not None else None


def arf_fields(path):
    """The feedback-report fields as Python's email package reads them
    (it parses a message/* part as an embedded message)."""
    m = email.message_from_bytes(open(path, "rb").read())
    fr = None
    for part in m.walk():
        if part.get_content_type() == "message/feedback-report":
            pl = part.get_payload()
            fr = pl[0] if isinstance(pl, list) else email.message_from_string(pl.lstrip())
            break
    if fr is None:
        return None

    def get(name):
        v = ws(fr.get(name))
        return v or None

    def lower(name):
        v = get(name)
        return v.lower() if v else None
    arrival = 0
    adate = get("Arrival-Date") or get("Received-Date")
    if adate:
        dt = email.utils.parsedate_to_datetime(adate)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=__import__("datetime").timezone.utc)
        arrival = int(dt.timestamp())
    ip = get("Source-IP")
    if ip:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            pass
    mta = get("Reporting-MTA")
    if mta and ";" in mta:
        mta = mta.split(";", 1)[1].strip()
    return {"feedback_type": lower("Feedback-Type"), "version": get("Version"),
            "user_agent": get("User-Agent"), "original_mail_from": get("Original-Mail-From"),
            "original_rcpt_to": get("Original-Rcpt-To"),
            "original_envelope_id": get("Original-Envelope-Id"), "arrival": arrival,
            "source_ip": ip, "reporting_mta": mta, "auth_failure": lower("Auth-Failure"),
            "delivery_result": lower("Delivery-Result"),
            "identity_alignment": lower("Identity-Alignment"),
            "dkim_domain": get("DKIM-Domain"), "dkim_selector": get("DKIM-Selector"),
            "dkim_identity": get("DKIM-Identity"), "incidents": get("Incidents"),
            "reported_domain": [ws(v).lower() for v in fr.get_all("Reported-Domain", [])],
            "reported_uri": [ws(v) for v in fr.get_all("Reported-URI", [])],
            "authentication_results":
                [ws(v) for v in fr.get_all("Authentication-Results", [])]}


def ours_arf(r):
    out = {}
    for k in ("feedback_type", "version", "user_agent", "original_mail_from",
              "original_rcpt_to", "original_envelope_id", "arrival", "source_ip",
              "reporting_mta", "auth_failure", "delivery_result", "identity_alignment",
              "dkim_domain", "dkim_selector", "dkim_identity", "incidents"):
        out[k] = ws(r.get(k)) if isinstance(r.get(k), str) else r.get(k)
    for k in ("reported_domain", "reported_uri", "authentication_results"):
        out[k] = [ws(v) for v in r.get(k, [])]
    return out


# mail-auth's enum names for the fields compared with its .json
MA_ENUM = {"Abuse": "abuse", "AuthFailure": "auth-failure", "Fraud": "fraud",
           "NotSpam": "not-spam", "Virus": "virus", "Other": "other",
           "BodyHash": "bodyhash", "Dkim": "dkim", "Spf": "spf", "Dmarc": "dmarc",
           "Revoked": "revoked", "Signature": "signature", "Unspecified": None}


def compare_mail_auth_arf(exp, r):
    diffs = []

    def chk(k, want, got):
        if want != got:
            diffs.append("%s: mail-auth %r, inkan %r" % (k, want, got))
    chk("feedback_type", MA_ENUM.get(exp["feedback_type"]), r["feedback_type"])
    chk("auth_failure", MA_ENUM.get(exp["auth_failure"]), r["auth_failure"])
    chk("arrival", exp["arrival_date"] or 0, r["arrival"])
    for k in ("source_ip", "original_mail_from", "original_rcpt_to", "original_envelope_id",
              "user_agent", "dkim_domain", "dkim_selector", "dkim_identity"):
        chk(k, exp[k], r[k])
    chk("version", str(exp["version"]), r["version"])
    chk("reporting_mta", exp["reporting_mta"], r["reporting_mta"])
    chk("reported_domain", exp["reported_domain"], r["reported_domain"])
    chk("reported_uri", exp["reported_uri"], r["reported_uri"])
    chk("authentication_results", [ws(v) for v in exp["authentication_results"]],
        r["authentication_results"])
    return diffs


def failure_samples():
    base = os.path.join(DATA, "dmarc-failure")
    for rel in sorted(os.path.relpath(os.path.join(d, f), DATA)
                      for d, _, fs in os.walk(base) for f in fs if f.endswith(".eml")):
        path = os.path.join(DATA, rel)
        rc, ours, err = inkan_parse(path)
        try:
            theirs = arf_fields(path)
        except Exception as e:
            tap(False, "%s: second parser" % rel, repr(e))
            continue
        got = [ours_arf(r) for r in ours if r.get("kind") == "failure"]
        tap(rc == 0 and theirs is not None and got == [theirs],
            "%s: failure report fields agree with the second parser" % rel,
            "exit %d %s\nwant %r\ngot  %r" % (rc, err, theirs, got))
        exp_path = os.path.splitext(path)[0] + ".json"
        if os.path.exists(exp_path) and got:
            diffs = compare_mail_auth_arf(json.load(open(exp_path)), got[0])
            tap(not diffs, "%s: fields agree with mail-auth's parse (%s)"
                % (rel, os.path.basename(exp_path)), "\n".join(diffs))


# ---- mail-auth's expected JSON ----

ENUM = {"unspecified": None, "relaxed": "r", "strict": "s", "mailfrom": "mfrom",
        "treewalk": "treewalk", "psl": "psl"}


def norm(v):
    if v is None or v == "":
        return None
    if isinstance(v, str):
        low = v.lower()
        return ENUM.get(low, low)
    return v


def compare_mail_auth(exp, r):
    diffs = []

    def chk(what, want, got):
        if norm(want) != norm(got):
            diffs.append("%s: want %r, got %r" % (what, want, got))

    md, pp = exp["report_metadata"], exp["policy_published"]
    for k in ("org_name", "email", "extra_contact_info", "report_id", "generator"):
        if k in md:
            chk(k, md[k], r[k])
    chk("begin", md["date_range"]["begin"], r["begin"])
    chk("end", md["date_range"]["end"], r["end"])
    chk("error", md.get("error", []), r["error"]) if md.get("error") else None
    for k in ("domain", "adkim", "aspf", "p", "sp", "np", "fo", "discovery_method"):
        if k in pp:
            chk("policy_published." + k, pp[k], r["policy_published"][k])
    if "pct" in pp:
        chk("pct", pp["pct"], r["policy_published"]["pct"])
    chk("records", len(exp["record"]), len(r["records"]))
    for i, (e, g) in enumerate(zip(exp["record"], r["records"])):
        row, pe, ids = e["row"], e["row"]["policy_evaluated"], e["identifiers"]
        chk("record%d.source_ip" % i, row["source_ip"], g["source_ip"])
        chk("record%d.count" % i, row["count"], g["count"])
        for k in ("disposition", "dkim", "spf"):
            chk("record%d.%s" % (i, k), pe[k], g[k])
        chk("record%d.reasons" % i, len(pe.get("reason", [])), len(g["reason"]))
        for k in ("header_from", "envelope_from", "envelope_to"):
            chk("record%d.%s" % (i, k), ids.get(k), g[k])
        for m in ("dkim", "spf"):
            ea, ga = e["auth_results"].get(m, []), g["auth_" + m]
            chk("record%d.auth_%s" % (i, m), len(ea), len(ga))
            for j, (x, y) in enumerate(zip(ea, ga)):
                for k in ("domain", "selector", "scope", "result", "human_result"):
                    if k in x:
                        chk("record%d.auth_%s%d.%s" % (i, m, j, k), x[k], y[k])
    return diffs


def main():
    files = []
    for d, _, fs in os.walk(DATA):
        for f in fs:
            rel = os.path.relpath(os.path.join(d, f), DATA)
            if rel.startswith(("LICENSES", "dmarc-aggregate/schema", "dmarc-failure/")) \
                    or f == "README.md":
                continue
            if rel.startswith("dmarc-aggregate/mail-auth/") and f.endswith(".json"):
                continue        # expectations, not reports
            files.append(rel)
    for rel in sorted(files):
        path = os.path.join(DATA, rel)
        if rel in BROKEN:
            rc, out = inkan_ingest_reason(path)
            tap(rc == 1 and "set aside" in out and BROKEN[rel] in out,
                "%s: set aside naming the problem (%s)" % (rel, BROKEN[rel]),
                "exit %d, output %r" % (rc, out))
            continue
        rc, ours, err = inkan_parse(path)
        try:
            theirs = [dmarc_totals(p) if p.lstrip()[:1] == b"<" else tls_totals(p)
                      for p in payloads(path)]
        except Exception as e:  # the second parser must understand every good sample
            tap(False, "%s: second parser" % rel, repr(e))
            continue
        got = [ours_totals(r) for r in ours]
        tap(rc == 0 and got == theirs, "%s: %d report(s), totals agree with the second parser"
            % (rel, len(theirs)), "exit %d %s\nwant %r\ngot  %r" % (rc, err, theirs, got))
        exp_path = os.path.splitext(path)[0] + ".json"
        if rel.startswith("dmarc-aggregate/mail-auth/") and os.path.exists(exp_path) and ours:
            diffs = compare_mail_auth(json.load(open(exp_path)), ours[0])
            tap(not diffs, "%s: fields agree with mail-auth's parse (%s)"
                % (rel, os.path.basename(exp_path)), "\n".join(diffs))
    failure_samples()
    # RFC 8460 report carried in an e-mail: same report as the bare JSON.
    rc1, a, _ = inkan_parse(os.path.join(DATA, "tlsrpt/mail-auth/rpt01.eml"))
    rc2, b, _ = inkan_parse(os.path.join(DATA, "tlsrpt/mail-auth/rpt01.json"))
    for x in a + b:
        x.pop("input", None)
    tap(rc1 == 0 and rc2 == 0 and len(a) == 1 and a == b,
        "tlsrpt/mail-auth/rpt01.eml: same report as rpt01.json", "%r\n%r" % (a, b))
    print("1..%d" % n)
    sys.exit(1 if failures else 0)


main()
