#!/usr/bin/python3
"""pyspf_bench.py - warm-cache SPF checks per second of pyspf (python3-spf).

  pyspf_bench.py [--min-time S] [--rounds N] [--verdicts FILE] [--out FILE] ZONE CHECKS

DNS is answered from a dict built from the master file ZONE, installed by
replacing spf.DNSLookup, which is how pyspf's own test driver (testspf.py)
feeds it zone data.  The dict holds every answer already in pyspf's
format, so a lookup costs one dict access: pyspf's warm-cache
equivalent.  pyspf keeps a DNS cache per query object only, so every
check asks the dict again, as it would ask a caching resolver.

One untimed pass records the verdicts, then rounds of timed passes over
CHECKS, each round at least --min-time seconds; the median round is
reported.  --verdicts FILE compares with the verdicts of spf_bench
(lines "LINE INKAN LIBSPF2") and prints the disagreements.  Lines
starting with "@ " are for bench/run.sh.
"""
import argparse
import statistics
import sys
import time

import dns.rdatatype
import dns.zone
import spf

RECEIVER = "bench.receiver.example"


def load_answers(path):
	"""(lowercase name without the trailing dot, qtype) -> pyspf answers."""
	z = dns.zone.from_file(path, origin="bench.", relativize=False, check_origin=False)
	ans = {}
	for name, node in z.nodes.items():
		owner = name.to_text(omit_final_dot=True).lower()
		for rds in node.rdatasets:
			t = dns.rdatatype.to_text(rds.rdtype)
			out = []
			for rd in rds:
				if t in ("A", "AAAA"):
					v = rd.address
				elif t == "MX":
					v = (rd.preference, rd.exchange.to_text(omit_final_dot=True))
				elif t in ("PTR", "CNAME"):
					v = rd.target.to_text(omit_final_dot=True)
				elif t in ("TXT", "SPF"):
					v = tuple(rd.strings)
				else:
					continue
				out.append(((owner, t), v))
			if out:
				ans[(owner, t)] = tuple(out)
	return ans


def read_checks(path):
	checks = []
	with open(path) as f:
		for lineno, line in enumerate(f, 1):
			w = line.split()
			if not w or w[0].startswith("#"):
				continue
			ip, sender = w[0], w[1]
			helo = w[2] if len(w) > 2 else ""
			if sender == "<>":
				sender = ""
			checks.append((lineno, ip, sender, helo))
	return checks


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--min-time", type=float, default=3.0)
	ap.add_argument("--rounds", type=int, default=3)
	ap.add_argument("--verdicts")
	ap.add_argument("--out")
	ap.add_argument("zone")
	ap.add_argument("checks")
	o = ap.parse_args()

	answers = load_answers(o.zone)
	empty = ()

	def lookup(name, qtype, strict=True, timeout=None):
		if name.endswith("."):
			name = name[:-1]
		return answers.get((name.lower(), qtype), empty)

	spf.DNSLookup = lookup
	checks = read_checks(o.checks)

	verdicts = {}
	for lineno, ip, s, h in checks:
		verdicts[lineno] = spf.query(ip, s, h, receiver=RECEIVER).check()[0]

	rates = []
	for _ in range(o.rounds):
		n = 0
		t0 = time.perf_counter()
		while True:
			for _lineno, ip, s, h in checks:
				spf.query(ip, s, h, receiver=RECEIVER).check()
			n += len(checks)
			el = time.perf_counter() - t0
			if el >= o.min_time:
				break
		rates.append(n / el)
	med = statistics.median(rates)
	hist = {}
	for v in verdicts.values():
		hist[v] = hist.get(v, 0) + 1
	print("pyspf %s: %d checks, %s" % (getattr(spf, "__version__", "?"), len(checks),
	    " ".join("%s=%d" % kv for kv in sorted(hist.items()))))
	print("pyspf: %.0f checks/s (median of %d rounds: %s)" % (med, len(rates),
	    " ".join("%.0f" % r for r in rates)))
	print("@ warm.pyspf.cps %.0f" % med)

	if o.out:
		with open(o.out, "w") as f:
			for lineno, _ip, _s, _h in checks:
				f.write("%d %s\n" % (lineno, verdicts[lineno]))
	if o.verdicts:
		other = {}
		with open(o.verdicts) as f:
			for line in f:
				w = line.split()
				other[int(w[0])] = w[1:]
		byline = {c[0]: c for c in checks}
		dis_inkan = [k for k in verdicts if k in other and other[k][0] != verdicts[k]]
		dis_spf2 = [k for k in verdicts if k in other and len(other[k]) > 1 and
		    other[k][1] != verdicts[k]]
		print("pyspf vs inkan: %d disagreements; pyspf vs libspf2: %d" %
		    (len(dis_inkan), len(dis_spf2)))
		print("@ warm.disagree.pyspf_inkan %d" % len(dis_inkan))
		print("@ warm.disagree.pyspf_libspf2 %d" % len(dis_spf2))
		for k in sorted(set(dis_inkan) | set(dis_spf2))[:20]:
			_l, ip, s, h = byline[k]
			print("  line %d: %s %s %s: pyspf=%s inkan=%s libspf2=%s" % (k, ip, s or "<>",
			    h, verdicts[k], other[k][0], other[k][1] if len(other[k]) > 1 else "?"))
	return 0


if __name__ == "__main__":
	sys.exit(main())
