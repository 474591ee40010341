"""authres_interop.py BUILD - Authentication-Results interop of inkan with
python authres (Debian python3-authres, authres 1.2.0).

inkan is driven through BUILD/tests/conformance/authres/authres_suite in
its "json" mode (JSON lines in and out: parse a value, or format a struct).
Three parts, all offline:

1. inkan writes, authres reads: SPF, DKIM (header.d/s/a/b/i), DMARC
   (header.from, policy.dmarc, policy.applied-disposition), ARC, iprev with
   IPv4 and IPv6, SMTP AUTH, reason=, comments, quoting, "none", version,
   and a long field folded at column 24 (unfolded before authres reads it,
   as its documentation asks).  authres must read the same authserv-id,
   methods, method versions, results, reasons and properties.
2. authres writes (its own result classes and quoting), inkan reads
   strictly: the same structure comes back.
3. Every string of tests/data/authres/cases.json is parsed by both; where
   both accept they must agree, and where authres rejects, inkan's strict
   mode must reject too.  inkan's lenient mode is used where authres reads
   more than the RFC 8601 grammar allows (it drops malformed properties).

authres drops comments when parsing and lower-cases the authserv-id, so
neither is compared.  Disagreements whose cause is understood are listed in
KNOWN with the reasoning and printed as "not ok N - name # TODO reason".
Prints TAP.
"""
import json
import os
import subprocess
import sys

BUILD = sys.argv[1] if len(sys.argv) > 1 else ""
if not BUILD:
    sys.exit("usage: authres_interop.py BUILD")
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "data", "authres", "cases.json")
TOOL = os.path.join(BUILD, "tests", "conformance", "authres", "authres_suite")

n = 0
passed = failed = todo = 0


def tap(ok, name, note=""):
    global n, passed, failed
    n += 1
    if ok:
        passed += 1
    else:
        failed += 1
    print("%s %d - %s%s" % ("ok" if ok else "not ok", n, name, (" # " + note) if note else ""))


def tap_todo(name, reason):
    global n, todo
    n += 1
    todo += 1
    print("not ok %d - %s # TODO %s" % (n, name, reason))


try:
    import authres
    import authres.arc
    import authres.dkim_adsp
    import authres.dkim_b
    import authres.dmarc
    import authres.rrvs
    import authres.smime
    import authres.vbr
except ImportError as e:
    print("not ok 1 - python3-authres is not installed for %s: %s" % (sys.executable, e))
    print("1..1")
    sys.exit(1)
if not os.access(TOOL, os.X_OK):
    print("not ok 1 - %s is missing (build with -Dtests=true)" % TOOL)
    print("1..1")
    sys.exit(1)

CTX = authres.FeatureContext(authres.arc, authres.dkim_adsp, authres.dkim_b, authres.dmarc,
                             authres.rrvs, authres.smime, authres.vbr)

tool = subprocess.Popen([TOOL, "json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        text=True, encoding="utf-8")


def ask(req):
    tool.stdin.write(json.dumps(req) + "\n")
    tool.stdin.flush()
    return json.loads(tool.stdout.readline())


def inkan_parse(value, lenient=False):
    return ask({"op": "parse", "value": value, "lenient": lenient})


def inkan_format(ar, fold=None):
    req = {"op": "format", "ar": ar}
    if fold is not None:
        req["fold"] = fold
    return ask(req)


def shape_inkan(r):
    """inkan's parse (JSON) as comparable tuples."""
    return (r["authserv_id"].lower(), r["version"],
            [(x["method"], x["version"], x["result"], x.get("reason"),
              [tuple(p) for p in x["props"]]) for x in r["results"]])


def shape_authres(h):
    return (h.authserv_id.lower(), int(h.version) if h.version else 0,
            [(x.method, int(x.version) if x.version else 0, x.result,
              str(x.reason) if x.reason is not None else None,
              [(p.type, p.name, str(p.value)) for p in x.properties]) for x in h.results])


def shape_ar(ar):
    """The struct we asked inkan to write, in the same shape."""
    return (ar["authserv_id"].lower(), ar.get("version", 0),
            [(x["method"], x.get("version", 0), x["result"], x.get("reason"),
              [tuple(p) for p in x.get("props", [])]) for x in ar.get("results", [])])


def res(method, result, props=(), reason=None, comment=None, version=0):
    return {"method": method, "version": version, "result": result, "reason": reason,
            "comment": comment, "props": [list(p) for p in props]}


# ---- part 1: inkan writes, authres reads ----

GEN = [
    ("RFC 8601 B.2 none", {"authserv_id": "example.org", "results": []}),
    ("version 1", {"authserv_id": "example.org", "version": 1, "results": []}),
    ("SPF smtp.mailfrom and smtp.helo (RFC 8601 2.7.2)", {
        "authserv_id": "mx.example.com", "results": [
            res("spf", "pass", [("smtp", "mailfrom", "sender@example.net"),
                                ("smtp", "helo", "mail.example.net")]),
            res("spf", "none", [("smtp", "helo", "mail.example.net")],
                reason="no SPF record for HELO")]}),
    ("DKIM header.d/s/a/b with a quoted b= (RFC 8601 2.7.1)", {
        "authserv_id": "mx.example.com", "results": [
            res("dkim", "pass", [("header", "d", "example.net"), ("header", "s", "sel1"),
                                 ("header", "a", "rsa-sha256"), ("header", "b", "Qgi/FoC0")],
                comment="2048-bit key")]}),
    ("DKIM fail with reason, header.i address forms", {
        "authserv_id": "mx.example.com", "results": [
            res("dkim", "fail", [("header", "i", "@newyork.example.com")],
                reason="bad signature", comment="body hash did not verify"),
            res("dkim", "pass", [("header", "i", "sender@example.com"),
                                 ("header", "b", "ab+cd12E")])]}),
    ("DMARC header.from, policy.dmarc, policy.applied-disposition", {
        "authserv_id": "mx.example.com", "results": [
            res("dmarc", "fail", [("header", "from", "example.com"),
                                  ("policy", "dmarc", "reject"),
                                  ("policy", "applied-disposition", "quarantine")],
                comment="p=reject sp=none pct=100")]}),
    ("ARC (RFC 8617 10.2)", {
        "authserv_id": "mx.example.com", "results": [
            res("arc", "pass", [("header", "oldest-pass", "0"),
                                ("smtp", "remote-ip", "192.0.2.1")])]}),
    ("iprev IPv4 and quoted IPv6 (RFC 8601 2.7.3)", {
        "authserv_id": "mx.example.com", "results": [
            res("iprev", "pass", [("policy", "iprev", "192.0.2.200")], comment="h.example"),
            res("iprev", "fail", [("policy", "iprev", "2001:db8::dead:beef")])]}),
    ("SMTP AUTH with a comment (RFC 8601 B.4)", {
        "authserv_id": "example.com", "results": [
            res("auth", "pass", [("smtp", "auth", "sender@example.net")], comment="cram-md5"),
            res("spf", "pass", [("smtp", "mailfrom", "example.net")])]}),
    ("method version and unknown method", {
        "authserv_id": "mx.example.com", "results": [
            res("dkim", "pass", [("header", "d", "example.net")], version=1),
            res("x-tls", "pass", [("smtp", "tlsversion", "TLSv1.3")])]}),
    ("reason with quote and backslash, comment with parentheses", {
        "authserv_id": "mx.example.com", "results": [
            res("spf", "permerror", [("smtp", "mailfrom", "a.example")],
                reason='bad "mx" \\ mechanism', comment="see (RFC 7208) 4.6")]}),
    ("quoted local-part address, value with spaces", {
        "authserv_id": "mx.example.com", "results": [
            res("auth", "pass", [("smtp", "auth", "john smith@example.com")])]}),
    ("quoted value before another property", {
        "authserv_id": "mx.example.com", "results": [
            res("dkim", "pass", [("header", "b", "Qgi/FoC0"), ("header", "d", "example.net")])]}),
]
GEN.append(("everything, folded at column 24", {
    "authserv_id": "mx.example.com",
    "results": [r for _, ar in GEN[2:9] for r in ar["results"]]}))

KNOWN = {
    "gen: reason with quote and backslash, comment with parentheses": (
        "authres 1.2.0 keeps the backslashes of quoted-pairs in a quoted-string value; "
        "RFC 5322 3.2.4 makes them quoting only (the value has no backslash before '\"')"),
    "gen: quoted value before another property": (
        "authres 1.2.0 looks for ';' or the end right after a quoted pvalue and silently "
        "drops the property otherwise; RFC 8601 2.2 pvalue allows [CFWS] and further "
        "propspecs after a quoted-string"),
}

for name, ar in GEN:
    for fold in (None, 24):
        tname = "gen: " + name + (" (folded)" if fold else "")
        out = inkan_format(ar, fold)
        if not out["ok"]:
            tap(False, tname, "inkan cannot write it: %s" % out["why"])
            continue
        value = out["value"]
        if fold:
            if any(len(line) + (24 if i == 0 else 0) > 78
                   for i, line in enumerate(value.split("\r\n"))):
                tap(False, tname, "a folded line is over 78 columns: %r" % value)
                continue
            value = value.replace("\r\n", "")
        try:
            got = shape_authres(CTX.parse_value(value))
        except Exception as e:  # authres raises its own SyntaxError
            got = "authres error: %s" % e
        ok = got == shape_ar(ar)
        key = "gen: " + name
        if not ok and key in KNOWN:
            tap_todo(tname, KNOWN[key])
        elif ok and key in KNOWN:
            tap(False, tname, "known disagreement is gone: update KNOWN")
        else:
            tap(ok, tname, "" if ok else "wrote %r; authres read %r" % (value, got))

# ---- part 2: authres writes, inkan reads ----

A = authres
AGEN = [
    ("authres: SPF", A.AuthenticationResultsHeader(authserv_id="example.com", results=[
        A.SPFAuthenticationResult(result="pass", smtp_mailfrom="example.net",
                                  smtp_helo="mail.example.net")])),
    ("authres: DKIM with comment and quoted b=", A.AuthenticationResultsHeader(
        authserv_id="example.com", results=[
            A.DKIMAuthenticationResult(result="pass", result_comment="good signature",
                                       header_d="example.com", header_s="sel",
                                       header_a="rsa-sha256", header_i="@example.com"),
            authres.dkim_b.DKIMAuthenticationResult(result="fail", header_d="example.com",
                                                    header_b="Qgi/FoC0")])),
    ("authres: DMARC and ARC", CTX.header(authserv_id="mx.example.org", results=[
        authres.dmarc.DMARCAuthenticationResult(result="pass", header_from="example.com",
                                                policy="none"),
        authres.arc.ARCAuthenticationResult(result="pass", header_ams_d="example.net",
                                            header_ams_s="s1", header_as_d="example.com",
                                            header_as_s="s2", header_oldest_pass="1",
                                            smtp_remote_ip="203.0.113.1")])),
    ("authres: iprev and SMTP AUTH, reason", A.AuthenticationResultsHeader(
        authserv_id="example.com", version=1, results=[
            A.IPRevAuthenticationResult(result="pass", policy_iprev="192.0.2.200",
                                        policy_iprev_comment="h.example"),
            A.SMTPAUTHAuthenticationResult(result="fail", reason="bad password",
                                           smtp_auth="user@example.com")])),
    ("authres: none", A.AuthenticationResultsHeader(authserv_id="example.org")),
]

for name, h in AGEN:
    value = h.header_value()
    got = inkan_parse(value)
    if not got["ok"]:
        tap(False, name, "inkan rejects %r: %s" % (value, got["why"]))
        continue
    want = shape_authres(h)
    ok = shape_inkan(got) == want
    tap(ok, name, "" if ok else "authres wrote %r; inkan read %r" % (value, shape_inkan(got)))

# ---- part 3: the cases' strings, read by both ----

TRAILING = ("authres rejects a ';' after the last result; inkan tolerates it, as Gmail and "
            "AOL write it and the case marks it parse=ok (RFC 8601 2.2 has no empty resinfo, "
            "so nothing else can be meant)")
KNOWN_CASES = {
    "gm-comment-trailing-semicolon": TRAILING,
    "mar-aol": TRAILING,
    "mar-none-comment-before": (
        "authres does not allow a comment between ';' and 'none', which RFC 8601 2.2 "
        "no-result = [CFWS] \";\" [CFWS] \"none\" does"),
    "mar-leading-dot-values": (
        "the case breaks lines without the WSP of RFC 5322 folding; authres rejects that, "
        "inkan reads any line break as whitespace and the case marks it parse=ok"),
    "mar-rfc-comment-heavy": (
        "authres's FWS pattern allows one line break per FWS and rejects the empty line of "
        "this RFC 8601 2.2 example; inkan unfolds any line breaks (RFC 5322 4.2 obs-FWS)"),
}

with open(CASES, encoding="utf-8") as f:
    cases = json.load(f)["cases"]
seen = {}
for c in cases:
    seen[c["id"]] = seen.get(c["id"], 0) + 1
    name = "case %s%s" % (c["id"], " #%d" % seen[c["id"]] if c["id"].startswith("mar-bogus")
                          else "")
    try:
        a = shape_authres(CTX.parse_value(c["value"]))
    except Exception as e:
        a = None
        aerr = str(e)
    s = inkan_parse(c["value"])
    l = inkan_parse(c["value"], lenient=True)
    if a is None:
        ok = not s["ok"]
        detail = "" if ok else "authres rejects (%s), inkan strict accepts" % aerr
        mode = "authres rejects"
    elif s["ok"]:
        ok = shape_inkan(s) == a
        detail = "" if ok else "authres %r / inkan strict %r" % (a, shape_inkan(s))
        mode = "authres = inkan strict"
    elif l["ok"]:
        ok = shape_inkan(l) == a
        detail = "" if ok else "authres %r / inkan lenient %r" % (a, shape_inkan(l))
        mode = "authres = inkan lenient"
    else:
        ok = False
        detail = "authres accepts, inkan rejects in both modes: %s" % l["why"]
        mode = "?"
    tname = "%s (%s)" % (name, mode)
    if not ok and c["id"] in KNOWN_CASES:
        tap_todo(tname, KNOWN_CASES[c["id"]])
    elif ok and c["id"] in KNOWN_CASES:
        tap(False, tname, "known disagreement is gone: update KNOWN_CASES")
    else:
        tap(ok, tname, detail)

tool.stdin.close()
tool.wait()
print("1..%d" % n)
print("# %d passed, %d failed, %d todo" % (passed, failed, todo))
sys.exit(1 if failed else 0)
