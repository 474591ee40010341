#!/usr/bin/python3
"""gen_data.py - the SPF benchmark's data, generated deterministically.

  gen_data.py warm OUTDIR        OUTDIR/warm.zone, OUTDIR/warm.checks
  gen_data.py cold OUTDIR N      OUTDIR/cold.zone, OUTDIR/cold.checks,
                                 OUTDIR/cold.queries (for dnsperf)

warm: 50 sender domains with the records seen on real domains (ESP
includes two and three deep, ip4/ip6 lists, a, mx, exists with macros,
redirect, exp=, parked "-all", domains without SPF, a sender domain that
does not exist) and about 1000 (ip, sender, helo) checks mixing pass,
fail, softfail, neutral and none.  The files are checked in under
bench/data/; re-running this script must reproduce them byte for byte
(a fixed seed and no dependence on dict or set order).

cold: N distinct domains, one check each, so that nothing can be
answered from a cache.  Each check costs four sequential queries:
TXT D, TXT _spf.D (include), MX D, A mx.D; half of the checks pass on
the mx, half fall through to -all.  cold.queries lists exactly those
queries in dnsperf's "NAME TYPE" format.

Every name is below "bench.", one zone with SOA and NS at the apex, so
NSD can serve either file as is.

Output format: one record per line, absolute names, no parentheses, so
that the three benchmark programs can read it with simple parsers (the
C side uses ldns, pyspf_bench.py uses dnspython).
"""
import ipaddress
import random
import sys

ORIGIN = "bench."
TTL = 86400

HEADER = """$ORIGIN bench.
$TTL {ttl}
bench. IN SOA ns.bench. hostmaster.bench. 1 3600 600 864000 {ttl}
bench. IN NS ns.bench.
ns.bench. IN A 127.0.0.1
""".format(ttl=TTL)


class Zone:
	def __init__(self):
		self.lines = []

	def add(self, name, rtype, rdata):
		self.lines.append("%s IN %s %s" % (name, rtype, rdata))

	def txt(self, name, text):
		# RFC 7208 §3.3: strings over 255 octets are split; the
		# evaluator joins them without spaces.
		parts = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
		self.add(name, "TXT", " ".join('"%s"' % p for p in parts))

	def text(self):
		return HEADER + "\n".join(self.lines) + "\n"


def net4(rng, prefix):
	"""A random IPv4 network of the given length in 11.0.0.0-223.255.255.255."""
	while True:
		a = rng.randrange(11, 224)
		if a in (127,):
			continue
		addr = (a << 24) | rng.randrange(0, 1 << 24)
		n = ipaddress.IPv4Network((addr, prefix), strict=False)
		return n


def net6(rng, prefix):
	"""A random IPv6 network in 2400::/6..2fff::; 2001:db8::/32 is never
	drawn, so it is a safe source of unauthorised clients."""
	addr = rng.randrange(0x2400, 0x3000) << 112 | rng.randrange(0, 1 << 112)
	return ipaddress.IPv6Network((addr, prefix), strict=False)


def host_in(rng, net):
	if net.num_addresses <= 2:
		return net.network_address
	return net.network_address + rng.randrange(1, net.num_addresses - 1)


WORDS = ("acme umbra kestrel quill harbor lumen orchid basalt cobalt dune ember fjord "
    "garnet heron iris juniper kelp lotus meadow nimbus onyx pike quartz raven sable "
    "tundra ultra vireo willow xenon yarrow zephyr alder birch cedar dahlia elm fern "
    "ginkgo hazel ivy jasmine kale larch maple nettle oak poplar rowan spruce thyme").split()


def gen_warm(outdir):
	rng = random.Random(7208)
	z = Zone()

	# ---- ESPs: the includes that most real records point at ----
	esp = {}	# include target -> list of networks that pass through it

	# Google-like: three levels, _spf -> _netblocks{,2,3} -> ip4/ip6 lists, ~all.
	nb = []
	for i, name in enumerate(("_netblocks", "_netblocks2", "_netblocks3")):
		nets4 = [net4(rng, rng.choice((16, 18, 19, 20, 24))) for _ in range(8)]
		nets6 = [net6(rng, rng.choice((32, 36, 40))) for _ in range(3)]
		terms = ["ip4:%s" % n for n in nets4] + ["ip6:%s" % n for n in nets6]
		z.txt("%s.esp-g.bench." % name, "v=spf1 " + " ".join(terms) + " ~all")
		nb += nets4 + nets6
	z.txt("_spf.esp-g.bench.", "v=spf1 include:_netblocks.esp-g.bench "
	    "include:_netblocks2.esp-g.bench include:_netblocks3.esp-g.bench ~all")
	esp["_spf.esp-g.bench"] = nb

	# Microsoft-like: two levels, ip lists and a nested include, -all.
	inner = [net4(rng, rng.choice((19, 20, 22))) for _ in range(10)]
	inner6 = [net6(rng, 36) for _ in range(4)]
	z.txt("spfd.protection.esp-m.bench.", "v=spf1 " +
	    " ".join(["ip4:%s" % n for n in inner] + ["ip6:%s" % n for n in inner6]) + " -all")
	outer = [net4(rng, rng.choice((16, 17, 18))) for _ in range(6)]
	z.txt("spf.protection.esp-m.bench.", "v=spf1 " + " ".join("ip4:%s" % n for n in outer) +
	    " include:spfd.protection.esp-m.bench -all")
	esp["spf.protection.esp-m.bench"] = outer + inner + inner6

	# SendGrid-like: one flat list, ~all.
	nets = [net4(rng, rng.choice((16, 17, 19, 20, 21))) for _ in range(9)]
	z.txt("sendgrid.esp-s.bench.", "v=spf1 " + " ".join("ip4:%s" % n for n in nets) + " ~all")
	esp["sendgrid.esp-s.bench"] = nets

	# Amazon SES-like: flat, -all.
	nets = [net4(rng, rng.choice((18, 19, 20, 21, 22, 24))) for _ in range(14)]
	z.txt("amazonses.esp-a.bench.", "v=spf1 " + " ".join("ip4:%s" % n for n in nets) + " -all")
	esp["amazonses.esp-a.bench"] = nets

	# Mailchimp-like: flat, ?all (an include ending in ?all does not match).
	nets = [net4(rng, rng.choice((18, 20, 21))) for _ in range(4)]
	z.txt("servers.esp-c.bench.", "v=spf1 " + " ".join("ip4:%s" % n for n in nets) + " ?all")
	esp["servers.esp-c.bench"] = nets

	# Mailgun-like: two levels with a, a redirect inside the chain.
	nets = [net4(rng, 24) for _ in range(6)]
	z.txt("_spf.esp-mg.bench.", "v=spf1 include:_spf1.esp-mg.bench ~all")
	z.txt("_spf1.esp-mg.bench.", "v=spf1 redirect=_spf2.esp-mg.bench")
	z.txt("_spf2.esp-mg.bench.", "v=spf1 " + " ".join("ip4:%s" % n for n in nets) +
	    " a:relay.esp-mg.bench ~all")
	relay = host_in(rng, net4(rng, 24))
	z.add("relay.esp-mg.bench.", "A", str(relay))
	esp["_spf.esp-mg.bench"] = nets + [ipaddress.ip_network(str(relay) + "/32")]

	# Proofpoint-like per-customer records: include:%{d}.spf.esp-p.bench
	esp_p_customers = []

	# ---- the 50 sender domains ----
	templates = (
		# (name, weight)
		("gsuite", 7), ("o365", 6), ("o365_sendgrid", 4), ("own", 5), ("mx_ses", 3),
		("a_mx_neutral", 2), ("redirect", 3), ("exists", 3), ("parked", 3), ("nospf", 3),
		("nxdomain", 1), ("ipv6", 2), ("exp", 2), ("marketing", 3), ("per_customer", 2),
		("mailgun", 1),
	)
	kinds = []
	for name, w in templates:
		kinds += [name] * w
	assert len(kinds) == 50, len(kinds)
	rng.shuffle(kinds)

	domains = []	# dicts: name, kind, good (networks that pass), spf (bool)
	for i, kind in enumerate(kinds):
		d = "%s%d.bench" % (WORDS[i], i)
		good = []
		spf = True
		exists = True
		mx_hosts = []
		# Nearly every real domain has MX and an apex A.
		if kind != "nxdomain":
			own = net4(rng, 24)
			own6 = net6(rng, 64)
			apex = host_in(rng, own)
			z.add(d + ".", "A", str(apex))
			for k in range(rng.choice((1, 2, 2, 3))):
				h = "mx%d.%s" % (k + 1, d)
				ip = host_in(rng, own)
				z.add(d + ".", "MX", "%d %s." % (10 * (k + 1), h))
				z.add(h + ".", "A", str(ip))
				mx_hosts.append(ip)
				if kind == "ipv6":
					# Dual-stack MX hosts: without AAAA, an IPv6
					# client's "mx" would be all void lookups
					# (RFC 7208 §4.6.4: permerror after two).
					ip6 = host_in(rng, own6)
					z.add(h + ".", "AAAA", str(ip6))
					mx_hosts.append(ip6)
			# Other TXT records at the apex, as on real domains: the
			# evaluator must pick the v=spf1 one out of them.
			for k in range(rng.choice((0, 1, 1, 2, 3))):
				z.txt(d + ".", "%s-verification=%016x" % (rng.choice(("google-site",
				    "ms", "facebook-domain", "apple-domain")), rng.getrandbits(64)))
		if kind == "gsuite":
			z.txt(d + ".", "v=spf1 include:_spf.esp-g.bench ~all")
			good = list(esp["_spf.esp-g.bench"])
		elif kind == "o365":
			z.txt(d + ".", "v=spf1 include:spf.protection.esp-m.bench -all")
			good = list(esp["spf.protection.esp-m.bench"])
		elif kind == "o365_sendgrid":
			n = net4(rng, 24)
			z.txt(d + ".", "v=spf1 ip4:%s include:spf.protection.esp-m.bench "
			    "include:sendgrid.esp-s.bench -all" % n)
			good = [n] + esp["spf.protection.esp-m.bench"] + esp["sendgrid.esp-s.bench"]
		elif kind == "own":
			ips = [host_in(rng, net4(rng, 24)) for _ in range(rng.randrange(1, 5))]
			z.txt(d + ".", "v=spf1 a mx " + " ".join("ip4:%s" % ip for ip in ips) + " -all")
			good = [ipaddress.ip_network(str(x)) for x in ips + [apex] + mx_hosts]
		elif kind == "mx_ses":
			z.txt(d + ".", "v=spf1 mx include:amazonses.esp-a.bench ~all")
			good = [ipaddress.ip_network(str(x)) for x in mx_hosts] + \
			    esp["amazonses.esp-a.bench"]
		elif kind == "a_mx_neutral":
			mail = host_in(rng, net4(rng, 28))
			z.add("mail.%s." % d, "A", str(mail))
			z.txt(d + ".", "v=spf1 a:mail.%s/28 mx:%s ?all" % (d, d))
			good = [ipaddress.ip_network(str(mail) + "/28", strict=False)] + \
			    [ipaddress.ip_network(str(x)) for x in mx_hosts]
		elif kind == "redirect":
			n = net4(rng, 22)
			z.txt(d + ".", "v=spf1 redirect=_spf.%s" % d)
			z.txt("_spf.%s." % d, "v=spf1 ip4:%s include:_spf.esp-g.bench -all" % n)
			good = [n] + esp["_spf.esp-g.bench"]
		elif kind == "exists":
			# A DNS-based allow list keyed on the client address.
			listed = [host_in(rng, net4(rng, 16)) for _ in range(4)]
			for ip in listed:
				rev = ".".join(reversed(str(ip).split(".")))
				z.add("%s.in-addr._spf.%s." % (rev, d), "A", "127.0.0.2")
			z.txt(d + ".", "v=spf1 exists:%%{ir}.%%{v}._spf.%s "
			    "include:servers.esp-c.bench -all" % d)
			good = [ipaddress.ip_network(str(x)) for x in listed] + \
			    esp["servers.esp-c.bench"]
		elif kind == "parked":
			z.txt(d + ".", "v=spf1 -all")
		elif kind == "nospf":
			spf = False
		elif kind == "nxdomain":
			spf = False
			exists = False
		elif kind == "ipv6":
			n4 = net4(rng, 24)
			n6 = net6(rng, 48)
			z.txt(d + ".", "v=spf1 ip4:%s ip6:%s mx -all" % (n4, n6))
			good = [n4, n6] + [ipaddress.ip_network(str(x)) for x in mx_hosts]
		elif kind == "exp":
			z.txt(d + ".", "v=spf1 a mx -all exp=explain._spf.%s" % d)
			z.txt("explain._spf.%s." % d,
			    "%{i} is not one of %{d}'s designated mail servers.")
			good = [ipaddress.ip_network(str(x)) for x in [apex] + mx_hosts]
		elif kind == "marketing":
			z.txt(d + ".", "v=spf1 include:_spf.esp-g.bench include:spf.protection.esp-m.bench "
			    "include:sendgrid.esp-s.bench include:servers.esp-c.bench ~all")
			good = esp["_spf.esp-g.bench"] + esp["spf.protection.esp-m.bench"] + \
			    esp["sendgrid.esp-s.bench"]
		elif kind == "per_customer":
			n = net4(rng, 24)
			z.txt(d + ".", "v=spf1 include:%{d}.spf.esp-p.bench ~all")
			esp_p_customers.append((d, n))
			good = [n]
		elif kind == "mailgun":
			z.txt(d + ".", "v=spf1 include:_spf.esp-mg.bench mx ~all")
			good = esp["_spf.esp-mg.bench"] + [ipaddress.ip_network(str(x)) for x in mx_hosts]
		domains.append({"name": d, "kind": kind, "good": good, "spf": spf, "exists": exists})
	for d, n in esp_p_customers:
		z.txt("%s.spf.esp-p.bench." % d, "v=spf1 ip4:%s -all" % n)

	# ---- checks ----
	checks = []
	n_checks = 1000
	for k in range(n_checks):
		dom = domains[k % len(domains)]
		d = dom["name"]
		r = rng.random()
		if dom["good"] and r < 0.55:
			net = rng.choice(dom["good"])
			ip = host_in(rng, net)
			helo = "mail.%s" % d
		else:
			# An address outside every list above (10/8 is never drawn
			# by net4), or for IPv6-capable domains sometimes IPv6.
			if dom["kind"] in ("ipv6", "gsuite", "o365") and rng.random() < 0.3:
				ip = ipaddress.IPv6Address((0x20010db8 << 96) | rng.getrandbits(96))
			else:
				ip = ipaddress.IPv4Address((10 << 24) | rng.randrange(1, 1 << 24))
			helo = "host%d.isp%d.bench" % (rng.randrange(1000), rng.randrange(20))
		sender = "user%d@%s" % (rng.randrange(10000), d)
		if rng.random() < 0.02 and dom["spf"]:
			# Null reverse-path: RFC 7208 §2.4 checks postmaster@HELO.
			sender = "<>"
			helo = d
		checks.append("%s %s %s" % (ip, sender, helo))
	rng.shuffle(checks)

	with open(outdir + "/warm.zone", "w") as f:
		f.write("; generated by bench/gen_data.py warm; do not edit\n")
		f.write(z.text())
	with open(outdir + "/warm.checks", "w") as f:
		f.write("# generated by bench/gen_data.py warm: IP SENDER HELO\n")
		f.write("\n".join(checks) + "\n")


def gen_cold(outdir, n):
	rng = random.Random(4408)
	z = Zone()
	checks = []
	queries = []
	for i in range(n):
		d = "c%d.bench" % i
		spf_ip = ipaddress.IPv4Address((11 << 24) + i)
		mx_ip = ipaddress.IPv4Address((12 << 24) + i)
		z.txt(d + ".", "v=spf1 include:_spf.%s mx -all" % d)
		z.txt("_spf.%s." % d, "v=spf1 ip4:%s -all" % spf_ip)
		z.add(d + ".", "MX", "10 mx.%s." % d)
		z.add("mx.%s." % d, "A", str(mx_ip))
		if i % 2 == 0:
			ip = mx_ip
		else:
			ip = ipaddress.IPv4Address((10 << 24) | rng.randrange(1, 1 << 24))
		checks.append("%s user%d@%s mail.%s" % (ip, i, d, d))
		queries += ["%s TXT" % d, "_spf.%s TXT" % d, "%s MX" % d, "mx.%s A" % d]
	with open(outdir + "/cold.zone", "w") as f:
		f.write("; generated by bench/gen_data.py cold %d; do not edit\n" % n)
		f.write(z.text())
	with open(outdir + "/cold.checks", "w") as f:
		f.write("\n".join(checks) + "\n")
	with open(outdir + "/cold.queries", "w") as f:
		f.write("\n".join(queries) + "\n")


def main():
	if len(sys.argv) == 3 and sys.argv[1] == "warm":
		gen_warm(sys.argv[2])
	elif len(sys.argv) == 4 and sys.argv[1] == "cold":
		gen_cold(sys.argv[2], int(sys.argv[3]))
	else:
		sys.stderr.write(__doc__)
		sys.exit(64)


if __name__ == "__main__":
	main()
