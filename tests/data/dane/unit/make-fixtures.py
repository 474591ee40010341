#!/usr/bin/python3
"""make-fixtures.py - certificates for tests/unit/test_dane.c.

Writes, next to this script, one DER file per certificate and tlsa.txt,
which lists for each certificate the TLSA association data of every
selector and matching type:  <cert> <selector> <mtype> <hex>.

All keys are ECDSA P-256, signed with SHA-256.  The validity windows are
fixed so that the tests can verify at a fixed time (2030-01-01):
  ca       "Test CA", CA:TRUE                      2025-01-01 .. 2050-01-01
  leaf     mx.example.com, issued by ca            2025-01-01 .. 2035-01-01
  expired  mx.example.com, issued by ca            2020-01-01 .. 2021-01-01
  future   mx.example.com, issued by ca            2040-01-01 .. 2041-01-01
  wild     *.example.com, issued by ca             2025-01-01 .. 2035-01-01
  partial  m*.example.com, issued by ca            2025-01-01 .. 2035-01-01
  self     mx.example.com, self-signed             2025-01-01 .. 2035-01-01
Run it with Debian's python3-cryptography; the outputs are committed, so
the tests need neither Python nor a clock that agrees with them.
"""
import datetime
import hashlib
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
serial = [1]


def day(y, m=1, d=1):
    return datetime.datetime(y, m, d, tzinfo=datetime.timezone.utc)


def make(key, cn, san, ca, issuer, ikey, start, end):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer.subject if issuer else subject)
         .public_key(key.public_key())
         .serial_number(serial[0])
         .not_valid_before(start)
         .not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=ca)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False))
    serial[0] += 1
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                          False, False), critical=True)
    else:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                            critical=False)
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ikey.public_key()), critical=False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]),
                            critical=False)
    return b.sign(ikey or key, hashes.SHA256())


def main():
    k = {n: ec.generate_private_key(ec.SECP256R1())
         for n in ("ca", "leaf", "expired", "future", "wild", "partial", "self")}
    c = {}
    c["ca"] = make(k["ca"], "Test CA", None, True, None, None, day(2025), day(2050))
    for n, san, s, e in (("leaf", "mx.example.com", day(2025), day(2035)),
                         ("expired", "mx.example.com", day(2020), day(2021)),
                         ("future", "mx.example.com", day(2040), day(2041)),
                         ("wild", "*.example.com", day(2025), day(2035)),
                         ("partial", "m*.example.com", day(2025), day(2035))):
        c[n] = make(k[n], san, san, False, c["ca"], k["ca"], s, e)
    c["self"] = make(k["self"], "mx.example.com", "mx.example.com", False, None, None,
                     day(2025), day(2035))
    lines = []
    for n, cert in c.items():
        der = cert.public_bytes(serialization.Encoding.DER)
        spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        with open(os.path.join(HERE, n + ".der"), "wb") as f:
            f.write(der)
        for sel, data in ((0, der), (1, spki)):
            for mt, val in ((0, data), (1, hashlib.sha256(data).digest()),
                            (2, hashlib.sha512(data).digest())):
                lines.append("%s %d %d %s" % (n, sel, mt, val.hex()))
    with open(os.path.join(HERE, "tlsa.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(HERE, "ca.pem"), "wb") as f:
        f.write(c["ca"].public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    main()
