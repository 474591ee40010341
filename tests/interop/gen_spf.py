#!/usr/bin/python3
"""gen_spf.py - random SPF scenarios for the pyspf interop test.

Usage: /usr/bin/python3 gen_spf.py [--seed S] [-n N] OUTDIR

Writes into OUTDIR:
  zone.txt        one RFC 1035 master file ($ORIGIN ., absolute names) with
                  the records of every scenario; each scenario lives under
                  its own sNNNN.interop.example (reverse names for ptr under
                  in-addr.arpa / ip6.arpa, each address used by one scenario)
  cases.txt       one check per line: "IP SENDER HELO" (SENDER <> = null
                  reverse-path), the batch input of `inkan spf check --batch`
  expected.jsonl  pyspf's verdict per case, same order:
                  {"result", "explanation" (fail with exp= only),
                   "explanation_default" (fail without a usable exp=),
                   "scenario", "kind", "problem" (pyspf's permerror text),
                   "alt" (see below)}
  scenarios.txt   per scenario: its kind, its records and its cases with
                  pyspf's verdict, for reading a disagreement

pyspf (Debian python3-spf) is run in RFC 7208 mode (strict=True: 10 DNS
terms, 2 void lookups, 10 MX) with its DNS lookup function replaced by a
lookup in the very records written to zone.txt, answering as an
authoritative server for that zone would, with a recursive resolver's CNAME
chasing on top: names are case-insensitive, CNAMEs are followed, a name
that owns nothing but has descendants is an empty non-terminal (NODATA, not
NXDOMAIN), wildcards answer below their closest encloser (RFC 4592).
pyspf itself does not tell NXDOMAIN from NODATA (both are "void", RFC 7208
4.6.4).  With --check-zone, zone.txt is read back with dnspython and
compared with the records the lookup answers from.

Where pyspf departs from RFC 7208 (see FIXES), "alt" holds what pyspf
answers with that departure mended, so that compare.py can tell a known
difference from a disagreement.

Scenario kinds are listed in KINDS below with their weights; the kind name
is what compare.py's KNOWN table matches on.
"""

import argparse
import collections
import contextlib
import ipaddress
import json
import os
import random
import re
import string
import sys

try:
	import spf
except ImportError:
	sys.stderr.write("gen_spf.py: pyspf (python3-spf) is not installed for %s\n" % sys.executable)
	sys.exit(77)

# ---------------------------------------------------------------- the zone


def _zone_escape_name(name):
	"""Master-file presentation of one absolute name (RFC 1035 5.1)."""
	out = []
	for ch in name:
		if ch in '@()";\\$' or ch.isspace():
			out.append('\\' + ch)
		else:
			out.append(ch)
	return ''.join(out)


def _zone_quote(s):
	"""A TXT character-string; s is text whose code points are octets
	(latin-1), anything outside printable ASCII written as \\DDD."""
	out = []
	for ch in s:
		o = ord(ch)
		if ch in '"\\':
			out.append('\\' + ch)
		elif o < 0x20 or o > 0x7e:
			out.append('\\%03d' % o)
		else:
			out.append(ch)
	return '"' + ''.join(out) + '"'


class Zone:
	"""All records of all scenarios, and an authoritative lookup in them."""

	def __init__(self):
		self.nodes = {}		# lowercased name -> {type: [rdata]}
		self.written = []	# (owner as written, type, rdata), in order
		self.ancestors = None

	def add(self, owner, rtype, rdata):
		owner = owner.rstrip('.')
		if len(owner) > 253 or any(not 0 < len(l) < 64 for l in owner.split('.')):
			raise ValueError("bad owner name %r" % owner)
		key = owner.lower()
		node = self.nodes.setdefault(key, {})
		if rtype == 'CNAME' and node:
			raise ValueError("CNAME beside other data at %s" % owner)
		if rtype != 'CNAME' and 'CNAME' in node:
			raise ValueError("data beside CNAME at %s" % owner)
		rrs = node.setdefault(rtype, [])
		norm = self._norm(rtype, rdata)
		if any(self._norm(rtype, r) == norm for r in rrs):
			return		# an RRset is a set
		if rtype == 'CNAME' and rrs:
			raise ValueError("two CNAMEs at %s" % owner)
		rrs.append(rdata)
		self.written.append((owner, rtype, rdata))
		self.ancestors = None

	@staticmethod
	def _norm(rtype, rdata):
		if rtype in ('CNAME', 'PTR'):
			return rdata.lower().rstrip('.')
		if rtype == 'MX':
			return (rdata[0], rdata[1].lower().rstrip('.'))
		if rtype == 'AAAA':
			return ipaddress.IPv6Address(rdata)
		if rtype == 'TXT':
			return tuple(rdata)
		return rdata

	def has(self, name):
		return name.lower().rstrip('.') in self.nodes

	def _ents(self):
		if self.ancestors is None:
			a = set()
			for n in self.nodes:
				labels = n.split('.')
				for k in range(1, len(labels) + 1):
					a.add('.'.join(labels[k:]))
			self.ancestors = a
		return self.ancestors

	def _find(self, name):
		"""The node answering for name: its own, a wildcard's (RFC 4592
		3.3.1: "*." under the closest encloser, when name does not
		exist), 'ENT' for an empty non-terminal or 'NX'."""
		node = self.nodes.get(name)
		if node is not None:
			return node
		ents = self._ents()
		if name in ents:
			return 'ENT'
		labels = name.split('.')
		for k in range(1, len(labels) + 1):
			anc = '.'.join(labels[k:])
			if anc in self.nodes or anc in ents:
				return self.nodes.get('*.' + anc if anc else '*', 'NX')
		return 'NX'

	def lookup(self, name, rtype):
		"""('NOERROR'|'NXDOMAIN', [rdata], final name) with CNAMEs chased."""
		name = name.lower().rstrip('.')
		seen = set()
		while True:
			node = self._find(name)
			if node == 'NX':
				return 'NXDOMAIN', [], name
			if node == 'ENT':
				return 'NOERROR', [], name
			if rtype != 'CNAME' and 'CNAME' in node:
				if name in seen or len(seen) > 16:
					raise RuntimeError("CNAME loop at %s" % name)
				seen.add(name)
				name = node['CNAME'][0].lower().rstrip('.')
				continue
			return 'NOERROR', list(node.get(rtype, [])), name

	def write(self, path):
		with open(path, 'w') as f:
			f.write("; generated by tests/interop/gen_spf.py - do not edit\n")
			f.write("$ORIGIN .\n$TTL 300\n")
			f.write(".\tIN\tSOA\tns.interop.example. hostmaster.interop.example. "
			    "1 3600 600 86400 300\n")
			f.write(".\tIN\tNS\tns.interop.example.\n")
			f.write("ns.interop.example.\tIN\tA\t192.0.2.53\n")
			for owner, rtype, rdata in self.written:
				f.write("%s.\tIN\t%s\t%s\n" % (_zone_escape_name(owner), rtype,
				    self.rdata_text(rtype, rdata)))

	@staticmethod
	def rdata_text(rtype, rdata):
		if rtype in ('A', 'AAAA'):
			return rdata
		if rtype in ('CNAME', 'PTR'):
			return _zone_escape_name(rdata.rstrip('.')) + '.'
		if rtype == 'MX':
			return "%d %s." % (rdata[0], _zone_escape_name(rdata[1].rstrip('.')))
		if rtype == 'TXT':
			return ' '.join(_zone_quote(s) for s in rdata)
		raise ValueError(rtype)


def split_txt(text, rng=None, pieces=None):
	"""Character-strings of at most 255 octets (RFC 1035 3.3.14); with rng,
	a random split (anywhere, even inside a term: RFC 7208 3.3 joins the
	strings without adding spaces)."""
	if rng is None or len(text) < 2:
		out = [text[i:i + 255] for i in range(0, len(text), 255)] or ['']
		return out
	n = pieces or rng.randint(2, min(5, len(text)))
	cuts = sorted(rng.sample(range(1, len(text)), min(n - 1, len(text) - 1)))
	out, prev = [], 0
	for c in cuts + [len(text)]:
		out.extend(split_txt(text[prev:c]))
		prev = c
	if rng.random() < 0.1:
		out.insert(rng.randint(0, len(out)), '')	# an empty string adds nothing
	return out


# ---------------------------------------------------- pyspf's DNS, from the zone

ZONE = None


def pyspf_lookup(name, qtype, strict=True, timeout=None):
	"""Replacement for spf.DNSLookup, shaped like pyspf's own dnspython
	driver (DNSLookup_dnspython): the resolver follows CNAMEs and the
	answers come back under the name asked; NXDOMAIN and NODATA are both
	an empty list."""
	rc, rrs, _final = ZONE.lookup(name, qtype)
	out = []
	for r in rrs:
		if qtype in ('A', 'AAAA', 'PTR'):
			out.append(((name, qtype), r))
		elif qtype == 'MX':
			out.append(((name, qtype), (r[0], r[1])))
		elif qtype == 'TXT':
			out.append(((name, qtype), [s.encode('latin-1') for s in r]))
	return out


# ---------------------------------------------------------- macro expansion
# Our own reading of RFC 7208 7.3, used only to decide where to put the
# records that exists:/a:/include: with macros should find.  The expected
# results come from pyspf, not from this.

UNRESERVED = set(string.ascii_letters + string.digits + '-._~')
RE_MACRO = re.compile(r'%\{([a-zA-Z])(\d*)([rR]?)([.\-+,/_=]*)\}|%%|%_|%-')


def url_escape(s):
	return ''.join(c if c in UNRESERVED else ''.join('%%%02X' % b for b in c.encode())
	    for c in s)


def expand(spec, ctx, domain=True):
	def one(m):
		t = m.group(0)
		if t == '%%':
			return '%'
		if t == '%_':
			return ' '
		if t == '%-':
			return '%20'
		letter, digits, rev, delims = m.groups()
		val = ctx[letter.lower()]
		parts = re.split('[' + re.escape(delims or '.') + ']', val)
		if rev:
			parts.reverse()
		if digits:
			n = int(digits)
			if n < len(parts):
				parts = parts[-n:]
		v = '.'.join(parts)
		if letter.isupper():
			v = url_escape(v)
		return v
	out = RE_MACRO.sub(one, spec)
	if domain:
		out = out.rstrip('.')
		while len(out) > 253 and '.' in out:
			out = out[out.index('.') + 1:]
	return out


# ------------------------------------------------------------- scenarios

QUALS = ['', '', '+', '-', '~', '?']
ALLS = ['-all', '-all', '~all', '~all', '?all', '+all']

LOCALS = ['user', 'john.doe', 'first-last', 'a+tag', 'x=y', 'Mixed.Case', 'postmaster',
    '', 'a_b', 'x.y-z+w', '1234', 'info', 'bounce-7=x', 'Q', 'a.b.c.d', 'sales+eu-west',
    "o'brien", 'a!b', 'x/y', 'p%q', 't{1}', 'h#1', 'a*b', 'c&d', 'til~de']

HELO_LABELS = ['mta', 'mx-out', 'smtp', 'relay-1', 'Mail', 'out.edge', 'gw']


class Case:
	def __init__(self, sc, ip, ip_text, local, domain, null, helo):
		self.sc = sc
		self.ip = ip			# ipaddress object, IPv4 for mapped clients
		self.ip_text = ip_text		# as written on the input line
		self.local = local
		self.domain = domain
		self.null = null
		self.helo = helo
		self.ptrs = None		# names the case's address points to

	@property
	def v6(self):
		return self.ip.version == 6

	@property
	def sender(self):
		return '<>' if self.null else '%s@%s' % (self.local, self.domain)

	def ctx(self, d):
		if self.null:
			l, o = 'postmaster', self.helo
		else:
			l, o = self.local or 'postmaster', self.domain
		if self.v6:
			i = '.'.join(self.ip.exploded.replace(':', ''))
		else:
			i = str(self.ip)
		return {'s': '%s@%s' % (l, o), 'l': l, 'o': o, 'd': d, 'i': i,
		    'v': 'ip6' if self.v6 else 'in-addr', 'h': self.helo,
		    'c': str(self.ip), 'r': 'unknown'}


class Scenario:
	def __init__(self, gen, idx, kind):
		self.gen = gen
		self.idx = idx
		self.kind = kind
		self.id = 's%04d' % idx
		self.base = '%s.interop.example' % self.id
		self.r = gen.rng
		self.z = gen.zone
		if idx < 2048:
			net4 = int(ipaddress.IPv4Address('198.18.0.0')) + idx * 64
		else:
			net4 = int(ipaddress.IPv4Address('100.64.0.0')) + (idx - 2048) * 64
		self.net4 = net4
		self.net6 = int(ipaddress.IPv6Address('2001:db8::')) + ((idx + 1) << 80)
		self.used4 = set()
		self.used6 = set()
		self.cases = []
		self.serial = 0
		self.lookups = 0	# DNS terms written so far (budget for generic policies)
		self.voids = 0		# terms that may be void for some case

	# ---- names and addresses

	def name(self, prefix='h'):
		self.serial += 1
		return '%s%d.%s' % (prefix, self.serial, self.base)

	def addr4(self):
		while True:
			off = self.r.randint(1, 62)
			if off not in self.used4:
				self.used4.add(off)
				return ipaddress.IPv4Address(self.net4 + off)

	def addr6(self):
		while True:
			off = self.r.choice([self.r.randint(1, 0xffff), self.r.getrandbits(64) | 1])
			if off not in self.used6:
				self.used6.add(off)
				return ipaddress.IPv6Address(self.net6 + off)

	def other4(self):
		"""An address no case of any scenario has (TEST-NET ranges)."""
		return ipaddress.IPv4Address(self.r.choice(['192.0.2.', '203.0.113.'])
		    + str(self.r.randint(1, 254)))

	def other6(self):
		return ipaddress.IPv6Address('2001:db8:ffff::%x:%x' % (self.r.randint(0, 0xffff),
		    self.r.randint(1, 0xffff)))

	# ---- records

	def add(self, owner, rtype, rdata):
		if self.r.random() < 0.04:
			# owner names are case-insensitive (RFC 4343)
			owner = ''.join(ch.upper() if self.r.random() < 0.5 else ch for ch in owner)
		self.z.add(owner, rtype, rdata)

	def txt(self, owner, text, split=None):
		if split is None:
			split = self.r.random() < 0.12
		self.add(owner, 'TXT', split_txt(text, self.r if split else None))

	def spf(self, owner, terms, split=None, noise=None, vcase=None):
		ver = 'v=spf1' if vcase is None else vcase
		if self.r.random() < 0.06:
			# modifier names are case-insensitive (4.6.1, 12)
			terms = [self.r.choice(['Redirect=', 'REDIRECT=']) + t[9:] if t and t.startswith('redirect=')
			    else self.r.choice(['Exp=', 'EXP=']) + t[4:] if t and t.startswith('exp=') else t
			    for t in terms]
		if vcase is None and self.r.random() < 0.05:
			ver = self.r.choice(['V=SPF1', 'v=Spf1'])
		text = ' '.join([ver] + [t for t in terms if t])
		if self.r.random() < 0.04:
			text = text.replace(' ', '  ', 1)
		if self.r.random() < 0.03:
			text += ' '
		if noise is None:
			noise = self.r.random() < 0.15
		if noise:
			self.txt(owner, self.r.choice(['google-site-verification=abc123',
			    'MS=ms12345678', 'spf2.0/pra ip4:192.0.2.0/24 -all',
			    'v=spf10 -all', 'hello world', 'v=DKIM1; p=',
			    # UTF-8 "café" as octets: a non-SPF record need not be ASCII (4.5)
			    'caf\xc3\xa9 = coffee', '"quoted"; and \\ backslash']), split=False)
		self.txt(owner, text, split)
		return text

	def hosts(self, owner, c4=None, c6=None):
		"""A and AAAA at owner: given addresses or non-matching ones, so
		that neither family's lookup is void."""
		self.add(owner, 'A', str(c4 if c4 is not None else self.other4()))
		self.add(owner, 'AAAA', str(c6 if c6 is not None else self.other6()))

	# ---- cases

	def case(self, fam=None, null=None, local=None, sender_domain=None, helo=None):
		r = self.r
		if fam is None:
			fam = r.choices(['4', '6', 'm'], [65, 25, 10])[0]
		if fam == '6':
			ip = self.addr6()
			text = str(ip) if r.random() < 0.8 else ip.exploded
		else:
			ip = self.addr4()
			text = str(ip) if fam == '4' else r.choice(['::ffff:', '::FFFF:']) + str(ip)
		if null is None:
			null = r.random() < 0.15
		if local is None:
			local = r.choice(LOCALS)
		dom = sender_domain or self.domain
		if null:
			hl = dom
		elif helo is not None:
			hl = helo
		else:
			hl = r.choice(['%s.%s' % (r.choice(HELO_LABELS), self.base),
			    'relay-%d.Example.NET' % r.randint(1, 9), 'mail.example.org',
			    self.base])
		if not null and r.random() < 0.08:
			dom = ''.join(ch.upper() if r.random() < 0.4 else ch for ch in dom)
		c = Case(self, ip, text, local, dom, null, hl)
		self.cases.append(c)
		return c

	def make_cases(self, k=None, **kw):
		k = k or self.r.choice([1, 2, 2, 3])
		return [self.case(**kw) for _ in range(k)]

	# ---- term builders; target is a case to match, or None

	def qual(self):
		return self.r.choice(QUALS)

	def cidr_for(self, c, v6):
		r = self.r
		if v6:
			return r.choice([128, 128, 127, 112, 96, 64, 64, 56, 48])
		return r.choice([32, 32, 31, 30, 28, 27, 24, 24, 20, 16])

	def net_text(self, ip, plen, miss):
		"""ip4/ip6 argument with a network containing ip, or (miss) the
		sibling network that differs in the last prefix bit."""
		bits = ip.max_prefixlen
		n = int(ip)
		if miss and plen > 0:
			n ^= 1 << (bits - plen)
		if self.r.random() < 0.6:
			n &= ((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1)	# network address
		addr = type(ip)(n)
		text = str(addr)
		if bits == 128 and self.r.random() < 0.1:
			# the x:x:x:x:x:x:d.d.d.d form (RFC 4291 2.2)
			groups = addr.exploded.split(':')[:6]
			text = ':'.join('%x' % int(g, 16) for g in groups) + ':' \
			    + str(ipaddress.IPv4Address(n & 0xffffffff))
		if plen == bits and self.r.random() < 0.5:
			return text
		return '%s/%d' % (text, plen)

	def t_ip(self, target=None, miss=False):
		r = self.r
		if target is None:
			if r.random() < 0.5:
				return '%sip4:%s/%d' % (self.qual(), self.other4(), r.choice([32, 28, 24]))
			return '%sip6:%s/%d' % (self.qual(), self.other6(), r.choice([128, 64, 48]))
		v6 = target.v6
		plen = self.cidr_for(target, v6)
		return '%s%s:%s' % (self.qual(), 'ip6' if v6 else 'ip4',
		    self.net_text(target.ip, plen, miss))

	def near(self, ip, plen):
		"""An address in ip/plen (ip itself when the prefix is full)."""
		bits = ip.max_prefixlen
		if plen >= bits:
			return ip
		host = self.r.getrandbits(bits - plen) if bits - plen < 64 else self.r.getrandbits(16)
		n = (int(ip) & (((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1))) | host
		return type(ip)(n)

	def dual(self):
		"""A random dual-cidr suffix and its (v4, v6) lengths."""
		r = self.r
		c4 = r.choice([None, None, 32, 30, 28, 24, 16])
		c6 = r.choice([None, None, 128, 112, 64, 48])
		s = ''
		if c4 is not None:
			s += '/%d' % c4
		if c6 is not None:
			s += '//%d' % c6
		return s, (32 if c4 is None else c4), (128 if c6 is None else c6)

	def addr_for(self, target, c4, c6, miss=False):
		"""(A, AAAA) for a host that a term with cidr c4/c6 should (or,
		miss, should not) match for target."""
		if target is None:
			return None, None
		if target.v6:
			a6 = self.near(target.ip, c6)
			if miss:
				a6 = ipaddress.IPv6Address(int(target.ip) ^ (1 << (128 - c6)) if c6 else 0)
				if c6 == 0:
					a6 = None
			return None, a6
		a4 = self.near(target.ip, c4)
		if miss:
			a4 = ipaddress.IPv4Address(int(target.ip) ^ (1 << (32 - c4))) if c4 else None
		return a4, None

	def t_a(self, dom, target=None, miss=False):
		r = self.r
		self.lookups += 1
		suffix, c4, c6 = self.dual()
		form = r.random()
		if form < 0.3:
			host, arg = dom, ''
		else:
			host = self.name('a')
			arg = ':' + host
			if r.random() < 0.2:
				arg = ':' + host.upper()
			elif r.random() < 0.1:
				arg = ':' + host + '.'
		a4, a6 = self.addr_for(target, c4, c6, miss)
		self.hosts(host, a4, a6)
		return '%s%s%s%s' % (self.qual(), r.choice(['a', 'a', 'A']), arg, suffix)

	def t_mx(self, dom, target=None, miss=False, nhosts=None, cname_host=False):
		r = self.r
		self.lookups += 1
		suffix, c4, c6 = self.dual()
		if r.random() < 0.3:
			mxname, arg = dom, ''
		else:
			mxname = self.name('m')
			arg = ':' + mxname
		n = nhosts or r.choice([1, 1, 2, 3])
		hit = r.randrange(n)
		for k in range(n):
			h = self.name('mx')
			self.add(mxname, 'MX', (r.choice([0, 10, 10, 20, 50]), h))
			a4, a6 = self.addr_for(target, c4, c6, miss) if k == hit else (None, None)
			if cname_host and k == hit:
				real = self.name('real')
				self.add(h, 'CNAME', real)
				h = real
			self.hosts(h, a4, a6)
		return '%s%s%s%s' % (self.qual(), r.choice(['mx', 'mx', 'MX']), arg, suffix)

	EXISTS_SPECS = [
		'%{ir}.%{v}.e.%{d3}', '%{i}.ip.%{d3}', '%{l}.lp.%{o}', '%{l-}.lh.%{d}',
		'%{lr-}.lr.%{d}', '%{L}.u.%{d3}', '%{s}.s.%{d3}', '%{S}.su.%{d3}',
		'%{h}.h.%{o3}', '%{h1r}.hr.%{d3}', '%{d2}.d2.%{d3}', '%{dr}.dr.%{d3}',
		'%{i2r}.%{v}.i2.%{d3}', '%{l1r+-}.lx.%{d3}', '%{o}._spf.%{d3}',
		'%{ir}.%{L}.%{d3}', '%{I}.%{V}.%{d3}', '%{H}.%{d3}', '%{d4}.d4.%{d3}',
		'%{i.}.dot.%{d3}', '%{lR-}.lR.%{d3}', '%{h-}.hy.%{d3}', '%{l=}.le.%{d3}',
		'x%%y.%{v}.pct.%{d3}',
	]

	def t_exists(self, dom, target=None, spec=None):
		self.lookups += 1
		self.voids += 1
		spec = spec or self.r.choice(self.EXISTS_SPECS)
		if target is not None:
			n = expand(spec, target.ctx(dom))
			if len(n) <= 253 and all(0 < len(l) < 64 for l in n.split('.')) \
			    and n.lower().endswith(self.base):
				self.add(n, 'A', self.r.choice(['127.0.0.2', '127.0.0.1', '192.0.2.99']))
		return '%sexists:%s' % (self.qual(), spec)

	def setup_ptr(self, c, domain, validated, other=True):
		"""PTR records for c's address (once per case): one name under
		domain (validated: its address is c's), maybe a decoy that does
		not validate, maybe (other) a validated one elsewhere."""
		if c.ptrs is not None:
			return
		c.ptrs = []
		r = self.r
		rev = c.ip.reverse_pointer
		names = []
		if validated is not None:
			names.append((self.name('p') .replace(self.base, domain) if domain.endswith(self.base)
			    else self.name('p'), validated))
		if r.random() < 0.5:
			names.append((self.name('decoy'), False))
		if other and r.random() < 0.3:
			names.append((self.name('other'), True))
		r.shuffle(names)
		for n, ok in names:
			self.add(rev, 'PTR', n)
			if ok:
				self.hosts(n, c.ip if not c.v6 else None, c.ip if c.v6 else None)
			else:
				self.hosts(n)
			c.ptrs.append((n, ok))

	def t_ptr(self, dom, target=None, validated=True, other=True):
		r = self.r
		self.lookups += 1
		if r.random() < 0.5:
			pdom, arg = dom, ''
		else:
			pdom = self.name('pd')
			arg = ':' + pdom
		for c in self.cases:
			if c is target:
				self.setup_ptr(c, pdom, validated, other)
			elif r.random() < 0.5:
				self.setup_ptr(c, self.base, None, other)
			# else: no PTR at all for c: a void lookup for the ptr term
		if any(c.ptrs is None for c in self.cases):
			self.voids += 1
		return '%s%s%s' % (self.qual(), r.choice(['ptr', 'ptr', 'PTR']), arg)

	def t_include(self, dom, depth, target=None):
		self.lookups += 1
		child = self.name('inc')
		self.policy(child, depth + 1, targets=[target] if target else [])
		return '%s%s:%s%s' % (self.qual(), self.r.choice(['include', 'include', 'Include']), child,
		    '.' if self.r.random() < 0.1 else '')

	def ending(self, dom, depth, allow_redirect=True):
		r = self.r
		x = r.random()
		if x < 0.72:
			return r.choice(ALLS)
		if x < 0.84 and allow_redirect and depth < 3 and self.lookups < 7:
			self.lookups += 1
			child = self.name('red')
			self.policy(child, depth + 1, targets=[c for c in self.cases if r.random() < 0.5])
			return 'redirect=' + child
		return None	# no all: neutral by default (4.7)

	def policy(self, dom, depth=0, targets=None, ending=True, extra=None):
		"""A random record at dom: terms aimed at some cases, decoys, an
		ending.  Keeps the tree under 9 DNS terms and 2 void-prone terms."""
		r = self.r
		if targets is None:
			targets = [c for c in self.cases if r.random() < 0.6]
		terms = []
		kinds = ['ip', 'ip', 'a', 'mx', 'exists', 'ptr', 'include']
		for t in targets:
			for _ in range(5):
				k = r.choice(kinds)
				if k in ('a', 'mx', 'exists', 'ptr', 'include') and self.lookups >= 7:
					continue
				if k in ('exists', 'ptr') and self.voids >= 1:
					continue
				if k == 'include' and depth >= 2:
					continue
				break
			else:
				k = 'ip'
			miss = r.random() < 0.15
			if k == 'ip':
				terms.append(self.t_ip(t, miss))
			elif k == 'a':
				terms.append(self.t_a(dom, t, miss))
			elif k == 'mx':
				terms.append(self.t_mx(dom, t, miss))
			elif k == 'exists':
				terms.append(self.t_exists(dom, t))
			elif k == 'ptr':
				terms.append(self.t_ptr(dom, t))
			else:
				terms.append(self.t_include(dom, depth, t))
		for _ in range(r.choice([0, 0, 1, 2])):
			if self.lookups < 6 and r.random() < 0.4:
				terms.insert(r.randint(0, len(terms)), self.t_a(dom, None))
			else:
				terms.insert(r.randint(0, len(terms)), self.t_ip(None))
		if extra:
			terms.extend(extra)
		if ending:
			e = self.ending(dom, depth)
			if e:
				if e.startswith('redirect=') and r.random() < 0.5:
					terms.insert(r.randint(0, len(terms)), e)	# position does not matter (6)
				else:
					terms.append(e)
		return self.spf(dom, terms)

	# the sender domain: four labels, so that %{d3} is the scenario's base
	@property
	def domain(self):
		if not hasattr(self, '_domain'):
			self._domain = self.r.choice(['mail', 'example', 'corp-mail', 'news', 'Bulk']) \
			    + '.' + self.base
		return self._domain


# ---------------------------------------------------------------- kinds
# Each returns nothing; it makes cases and records on sc.


def k_basic(sc):
	sc.make_cases()
	sc.policy(sc.domain, extra=None)


def k_ipcidr(sc):
	cs = sc.make_cases()
	r = sc.r
	terms = []
	for c in cs:
		for _ in range(r.randint(1, 3)):
			terms.append(sc.t_ip(c, miss=r.random() < 0.4))
	r.shuffle(terms)
	if r.random() < 0.3:
		terms.append(r.choice(['ip4:0.0.0.0/0', 'ip6:::/0', '-ip4:%s/0' % sc.other4(),
		    '~ip6:2001:db8::/32']))
	e = r.choice(ALLS + [None])
	sc.spf(sc.domain, terms + ([e] if e else []))


def k_a_mx(sc):
	cs = sc.make_cases()
	r = sc.r
	terms = []
	for c in cs:
		if r.random() < 0.5:
			terms.append(sc.t_a(sc.domain, c, miss=r.random() < 0.3))
		else:
			terms.append(sc.t_mx(sc.domain, c, miss=r.random() < 0.3))
	if r.random() < 0.3:
		terms.insert(0, sc.t_mx(sc.domain, None))
	sc.spf(sc.domain, terms + [r.choice(ALLS)])


def k_mx_many(sc):
	"""MX with 9..11 exchanges: more than 10 is a permerror (4.6.4)."""
	cs = sc.make_cases(k=1)
	r = sc.r
	n = r.choice([9, 10, 10, 11, 11, 12])
	t = sc.t_mx(sc.domain, cs[0] if r.random() < 0.6 else None, nhosts=n)
	sc.spf(sc.domain, [t, r.choice(ALLS)])
	if n > 10:
		sc.kind = 'mx_over10'


def k_include(sc):
	cs = sc.make_cases()
	r = sc.r
	terms = []
	# included records that end in fail / softfail / neutral / pass
	for c in cs:
		child = sc.name('inc')
		sc.lookups += 1
		inner = [sc.t_ip(c, miss=r.random() < 0.3)]
		if r.random() < 0.4:
			grand = sc.name('inc')
			sc.lookups += 1
			sc.spf(grand, [sc.t_ip(c, miss=r.random() < 0.5), r.choice(ALLS)])
			inner.insert(r.randint(0, 1), '%sinclude:%s' % (sc.qual(), grand))
		sc.spf(child, inner + [r.choice(['-all', '~all', '?all', None])])
		terms.append('%sinclude:%s' % (sc.qual(), child))
	# an include whose target has no SPF record: permerror when reached (5.2)
	if r.random() < 0.35:
		bad = sc.name('nospf')
		how = r.choice(['nxdomain', 'other-txt', 'nodata', 'spf10', 'ent'])
		if how == 'other-txt':
			sc.txt(bad, 'not an spf record')
		elif how == 'nodata':
			sc.hosts(bad)
		elif how == 'spf10':
			sc.txt(bad, 'v=spf10 -all')
		elif how == 'ent':
			sc.hosts('deeper.' + bad)
		sc.kind = 'include_nospf_' + how
		terms.insert(r.randint(0, len(terms)), '%sinclude:%s' % (sc.qual(), bad))
	sc.spf(sc.domain, terms + [r.choice(ALLS + [None])])


def k_redirect(sc):
	cs = sc.make_cases()
	r = sc.r
	dom = sc.domain
	chain = r.randint(1, 3)
	cur = dom
	pre = [sc.t_ip(c, miss=True) for c in cs if r.random() < 0.3]
	for k in range(chain):
		nxt = sc.name('red')
		terms = pre if k == 0 else [sc.t_ip(c, miss=r.random() < 0.5) for c in cs if r.random() < 0.4]
		if k == 0 and r.random() < 0.2:
			# an all makes the redirect ignored (6.1)
			terms = terms + [r.choice(ALLS)]
			sc.kind = 'redirect_with_all'
		if r.random() < 0.25:
			terms = terms + ['exp=why.' + cur]
			sc.txt('why.' + cur, 'not from %{i} for %{d}, says ' + cur)
		red = 'redirect=' + (nxt if r.random() < 0.9 else nxt.upper())
		terms.insert(r.randint(0, len(terms)), red)
		sc.lookups += 1
		sc.spf(cur, terms)
		cur = nxt
	how = r.random()
	if how < 0.15:
		sc.kind = 'redirect_nospf'
		if r.random() < 0.5:
			sc.txt(cur, 'some other text')
		return			# redirect to a domain without SPF: permerror (6.1)
	last = [sc.t_ip(c, miss=r.random() < 0.4) for c in cs]
	if r.random() < 0.5:
		last.append('exp=why.' + cur)
		sc.txt('why.' + cur, r.choice(['%{d} refuses %{i}', 'target %{d} (orig %{o}) says no to %{s}']))
	sc.spf(cur, last + [r.choice(ALLS + [None])])


def k_exists(sc):
	cs = sc.make_cases()
	r = sc.r
	terms = []
	specs = r.sample(Scenario.EXISTS_SPECS, 2)
	for spec in specs:
		tgt = r.choice(cs + [None])
		terms.append(sc.t_exists(sc.domain, tgt, spec))
	if r.random() < 0.3:
		# exists inside an include: %{d} is the included domain, %{o} the sender's
		child = sc.name('inc')
		spec = r.choice(Scenario.EXISTS_SPECS)
		tgt = r.choice(cs)
		sc.spf(child, [sc.t_exists(child, tgt, spec), '-all'])
		terms = terms[:1] + ['include:' + child]
	sc.spf(sc.domain, terms + [r.choice(ALLS)])


def k_ptr(sc):
	cs = sc.make_cases()
	r = sc.r
	terms = []
	tgt = r.choice(cs)
	validated = r.random() < 0.7
	pexp = r.random() < 0.3
	# with %{p} in the explanation, at most one validated name: when none
	# is the domain or below it, 7.3 lets any validated name be used
	terms.append(sc.t_ptr(sc.domain, tgt, validated, other=not pexp))
	if not validated:
		sc.kind = 'ptr_unvalidated'
	if r.random() < 0.3:
		terms.insert(0, sc.t_ip(None))
	if pexp:
		terms.append('exp=pexp.' + sc.base)
		sc.txt('pexp.' + sc.base, 'validated name of %{i} is %{p}, sender %{s}')
		sc.kind += '_pexp'
	sc.spf(sc.domain, terms + [r.choice(['-all', '-all', '~all', '?all'])])


MACRO_SPECS = [
	('a', '%{d}'), ('a', 'a.%{d}'), ('a', '%{l}.lp.%{d3}'), ('a', '%{o}'),
	('a', '%{h}'), ('a', '%{d4}'), ('a', 'x.%{d3}'), ('mx', '%{d}'), ('mx', 'm.%{o}'),
	('a', '%{ir}.%{v}.arpa.%{d3}'), ('a', '%{L}.%{d}'), ('a', '%{D}'),
	('a', '%{l-}.%{o}'), ('include', '_i.%{d}'), ('include', '%{l1r.}.inc.%{d3}'),
	('mx', '%{v}.%{d}'), ('a', '%{dr}.rev.%{d3}'), ('a', '%{h1r}.%{d}'),
	('a', '%{d2}.two.%{d3}'), ('a', '%{o1}.one.%{d3}'), ('a', '%{d-}.hy.%{d3}'),
]


def k_macro(sc):
	r = sc.r
	if r.random() < 0.3:
		sc._domain = r.choice(['corp-mail', 'a-b-c', 'x-y']) + '.' + sc.base
	cs = sc.make_cases()
	terms = []
	for mech, spec in r.sample(MACRO_SPECS, r.randint(1, 3)):
		tgt = r.choice(cs + [None])
		sc.lookups += 1
		for c in cs:
			n = expand(spec, c.ctx(sc.domain))
			if not n.lower().endswith(sc.base) or not all(0 < len(l) < 64 for l in n.split('.')):
				continue
			if mech == 'include':
				if not sc.z.has(n):
					sc.spf(n, [sc.t_ip(c, miss=c is not tgt), r.choice(['-all', '?all'])])
				continue
			if mech == 'mx':
				if sc.z.lookup(n, 'MX')[1]:
					continue
				h = sc.name('mx')
				sc.add(n, 'MX', (10, h))
				n = h
			if c is tgt:
				sc.hosts(n, c.ip if not c.v6 else None, c.ip if c.v6 else None)
			elif not sc.z.lookup(n, 'A')[1]:
				sc.hosts(n)
		terms.append('%s%s:%s' % (sc.qual(), mech, spec))
	sc.spf(sc.domain, terms + [r.choice(ALLS)])


EXP_TEXTS = [
	'%{s} is not allowed to send from %{i}',
	'Rejected: %{l} at %{o} via %{h} (%{c}, %{v}) for %{d}',
	'see https://%{d}/spf?ip=%{i}&s=%{S}',
	'%{ir}.%{v} is not %{d2}%%%_ok%-really',
	'Mail from %{L} rejected by %{D}, receiver %{r}',
	'plain text without macros.',
	'%{d1r} %{o2} %{l-} %{lr-} %{s1}',
	'IPv%{v} %{C}',
]


def k_exp(sc):
	r = sc.r
	cs = sc.make_cases()
	expname = sc.name('exp')
	how = r.random()
	terms = [sc.t_ip(c, miss=True) for c in cs if r.random() < 0.3]
	if how < 0.6:
		text = r.choice(EXP_TEXTS)
		sc.txt(expname, text)
		sc.kind = 'exp'
	elif how < 0.7:
		sc.kind = 'exp_nxdomain'	# ignored (6.2)
	elif how < 0.8:
		sc.txt(expname, 'first')
		sc.txt(expname, 'second')
		sc.kind = 'exp_two_txt'		# ignored (6.2)
	elif how < 0.9:
		sc.txt(expname, 'bad %x macro ' + r.choice(['', '%{i}']))
		sc.kind = 'exp_bad_macro'	# ignored (6.2)
	else:
		# exp= of an included record is not used (6.2)
		child = sc.name('inc')
		sc.txt(expname, 'the included domain %{d} says no')
		sc.spf(child, ['-all', 'exp=' + expname])
		terms.append('?include:' + child)
		expname = sc.name('exp')
		sc.txt(expname, 'outer %{d} says no to %{i}')
		sc.kind = 'exp_include'
	spec = expname
	if r.random() < 0.25 and sc.kind == 'exp':
		# macros in the exp= domain-spec
		spec = '%{l}.' + sc.name('x')
		for c in cs:
			n = expand(spec, c.ctx(sc.domain))
			if all(0 < len(l) < 64 for l in n.split('.')) and not sc.z.has(n):
				sc.txt(n, r.choice(EXP_TEXTS))
		sc.kind = 'exp_macro_spec'
	tail = [r.choice(['-all', '-all', '-all', '~all'])]
	mod = 'exp=' + spec
	if r.random() < 0.5:
		tail.insert(0, mod)
	else:
		tail.append(mod)
	sc.spf(sc.domain, terms + tail)


def void_term(sc, how):
	"""A term whose DNS query comes back empty (NXDOMAIN or NODATA)."""
	if how == 'a_nx':
		return 'a:' + sc.name('nx')
	if how == 'a_nodata':
		n = sc.name('txtonly')
		sc.txt(n, 'no addresses here')
		return 'a:' + n
	if how == 'a_ent':
		n = sc.name('ent')
		sc.hosts('below.' + n)
		return 'a:' + n
	if how == 'mx_nx':
		return 'mx:' + sc.name('nx')
	if how == 'exists_nx':
		return 'exists:%{l}.' + sc.name('nx')
	if how == 'a_cname_nx':
		n = sc.name('cn')
		sc.add(n, 'CNAME', sc.name('gone'))
		return 'a:' + n
	if how == 'a_v6only':
		# only AAAA: void for an IPv4 client, not for an IPv6 one
		n = sc.name('six')
		sc.add(n, 'AAAA', str(sc.other6()))
		return 'a:' + n
	raise ValueError(how)


VOIDS = ['a_nx', 'a_nodata', 'a_ent', 'mx_nx', 'exists_nx', 'a_cname_nx', 'a_v6only']


def k_void(sc):
	r = sc.r
	cs = sc.make_cases(fam=r.choice(['4', '4', '6', None]))
	nv = r.choice([1, 2, 2, 3, 3, 4])
	terms = [void_term(sc, r.choice(VOIDS)) for _ in range(nv)]
	if r.random() < 0.3 and nv >= 2:
		# half of them inside an include: the count is for the whole check
		child = sc.name('inc')
		k = r.randint(1, nv - 1)
		sc.spf(child, terms[:k] + ['?all' if r.random() < 0.5 else '-all'])
		terms = ['include:' + child] + terms[k:]
	# something that matches after the voids, or before them
	hit = [sc.t_ip(c) for c in cs if r.random() < 0.6]
	if r.random() < 0.2 and hit:
		terms = hit + terms
	else:
		terms = terms + hit
	sc.kind = 'void%d' % nv
	sc.spf(sc.domain, terms + [r.choice(ALLS + [None])])


def k_void_mxhost(sc):
	"""MX exchanges without addresses: void lookups of the mx term's
	address queries (counted per term or per query? 4.6.4)."""
	r = sc.r
	cs = sc.make_cases(k=1, fam='4')
	m = sc.name('m')
	n = r.choice([1, 2, 3])
	for k in range(n):
		sc.add(m, 'MX', (10 * k, sc.name('noaddr')))
	terms = ['mx:' + m] + [sc.t_ip(cs[0])]
	if r.random() < 0.5:
		terms.insert(0, void_term(sc, 'a_nx'))
	sc.spf(sc.domain, terms + ['-all'])


def nonvoid_lookup_term(sc, cs, simple=False):
	"""A DNS term that matches no case and is not void."""
	r = sc.r
	x = r.random() * (0.7 if simple else 1)
	if x < 0.4:
		h = sc.name('a')
		sc.hosts(h)
		return r.choice(['', '-', '~', '?']) + 'a:' + h
	if x < 0.7:
		m = sc.name('m')
		h = sc.name('mx')
		sc.add(m, 'MX', (10, h))
		sc.hosts(h)
		return 'mx:' + m
	inc = sc.name('inc')
	sc.spf(inc, ['ip4:%s' % sc.other4(), r.choice(['-all', '~all', '?all'])])
	return 'include:' + inc


def k_limit(sc):
	"""8..12 DNS terms (some inside includes), the last maybe matching:
	more than 10 is a permerror (4.6.4)."""
	r = sc.r
	cs = sc.make_cases(k=r.choice([1, 2]))
	n = r.choice([8, 9, 10, 10, 11, 11, 12])
	lookup_match = r.random() < 0.5	# the matching term is the n-th DNS term
	before = n - 1 if lookup_match else n
	terms = []
	count = 0
	while count < before:
		left = before - count
		if left >= 2 and r.random() < 0.25:
			k = r.randint(1, min(3, left - 1))
			inc = sc.name('inc')
			inner = [nonvoid_lookup_term(sc, cs, simple=True) for _ in range(k)]
			sc.spf(inc, inner + ['ip4:%s' % sc.other4(), '-all'])
			terms.append('include:' + inc)
			count += 1 + k
		else:
			terms.append(nonvoid_lookup_term(sc, cs))
			count += 1
	for c in cs:
		terms.append(sc.t_a(sc.domain, c) if lookup_match else sc.t_ip(c))
	ending = r.choice(['-all', '~all', 'redirect', None])
	if ending == 'redirect':
		red = sc.name('red')
		sc.spf(red, ['?all'])
		ending = 'redirect=' + red
		sc.kind = 'limit%d_redirect' % n
	else:
		sc.kind = 'limit%d' % n
	sc.spf(sc.domain, terms + ([ending] if ending else []), split=r.random() < 0.3)


def k_nospf(sc):
	r = sc.r
	how = r.choice(['nxdomain', 'nodata', 'other-txt', 'spf10', 'spf2', 'leading-space',
	    'ent', 'v=spf1x', 'tab'])
	sc.kind = 'nospf_' + how
	sc.make_cases()
	d = sc.domain
	if how == 'nodata':
		sc.hosts(d)
	elif how == 'other-txt':
		sc.txt(d, 'hello')
		sc.txt(d, 'google-site-verification=xyz')
	elif how == 'spf10':
		sc.txt(d, 'v=spf10 +all')
	elif how == 'spf2':
		sc.txt(d, 'spf2.0/mfrom,pra +all')
	elif how == 'leading-space':
		sc.txt(d, ' v=spf1 +all')
	elif how == 'ent':
		sc.hosts('sub.' + d)
	elif how == 'v=spf1x':
		sc.txt(d, 'v=spf1x +all')
	elif how == 'tab':
		sc.txt(d, 'v=spf1\t+all')	# "v=spf1" must be followed by a space or the end (4.5)


def k_twospf(sc):
	r = sc.r
	sc.make_cases()
	d = sc.domain
	how = r.choice(['two', 'two-case', 'one-plus-spf10', 'two-split'])
	sc.kind = 'twospf_' + how
	if how == 'two':
		sc.spf(d, ['+all'], noise=False)
		sc.spf(d, ['-all'], noise=False)
	elif how == 'two-case':
		sc.spf(d, ['ip4:192.0.2.1', '-all'], noise=False)
		sc.spf(d, ['?all'], noise=False, vcase='V=SPF1')
	elif how == 'two-split':
		sc.spf(d, ['+all'], noise=False, split=True)
		sc.spf(d, ['-all', 'ip4:192.0.2.0/24'], noise=False, split=True)
	else:
		sc.txt(d, 'v=spf10 +all')
		sc.policy(d)


def k_multistr(sc):
	sc.make_cases()
	r = sc.r
	text = sc.policy(sc.domain, ending=True)
	# rewrite the record as many strings, split anywhere
	node = sc.z.nodes[sc.domain.lower()]['TXT']
	for i, strs in enumerate(node):
		if ''.join(strs) == text:
			pieces = split_txt(text, r, r.randint(2, 6))
			node[i] = pieces
			for j, (o, t, rd) in enumerate(sc.z.written):
				if o.lower() == sc.domain.lower() and t == 'TXT' and ''.join(rd) == text:
					sc.z.written[j] = (o, t, pieces)


def k_cname(sc):
	r = sc.r
	how = r.choice(['sender', 'include', 'a', 'mx', 'exists', 'redirect', 'chain', 'nx'])
	sc.kind = 'cname_' + how
	cs = sc.make_cases()
	d = sc.domain
	if how in ('sender', 'chain'):
		# the sender's domain is an alias: %{d} stays the alias (4.3)
		tgt = sc.name('real')
		sc.add(d, 'CNAME', tgt)
		if how == 'chain':
			t2 = sc.name('real')
			sc.z.nodes[d.lower()]['CNAME'] = [t2]
			sc.z.written = [(o, t, (t2 if (o.lower() == d.lower() and t == 'CNAME') else rd))
			    for o, t, rd in sc.z.written]
			sc.add(t2, 'CNAME', tgt)
		c = r.choice(cs)
		terms = [sc.t_ip(c)]
		spec = '%{d}.' + sc.base
		n = expand(spec, c.ctx(d))
		if all(0 < len(l) < 64 for l in n.split('.')):
			sc.add(n, 'A', '127.0.0.2')
		terms.append('?exists:' + spec)
		sc.spf(tgt, terms + [r.choice(ALLS)])
		return
	terms = []
	if how == 'include':
		real = sc.name('real')
		alias = sc.name('alias')
		sc.add(alias, 'CNAME', real)
		sc.spf(real, [sc.t_ip(c) for c in cs if r.random() < 0.6] + ['-all'])
		terms.append('include:' + alias)
	elif how == 'redirect':
		real = sc.name('real')
		alias = sc.name('alias')
		sc.add(alias, 'CNAME', real)
		sc.spf(real, [sc.t_ip(c) for c in cs if r.random() < 0.6] + [r.choice(ALLS)])
		terms.append('redirect=' + alias)
	elif how == 'a':
		real = sc.name('real')
		alias = sc.name('alias')
		sc.add(alias, 'CNAME', real)
		c = r.choice(cs)
		sc.hosts(real, c.ip if not c.v6 else None, c.ip if c.v6 else None)
		terms.append('a:' + alias)
	elif how == 'mx':
		terms.append(sc.t_mx(d, r.choice(cs), cname_host=True))
	elif how == 'exists':
		real = sc.name('real')
		sc.add(real, 'A', '127.0.0.2')
		c = r.choice(cs)
		spec = '%{ir}.%{v}.x.' + sc.base
		sc.add(expand(spec, c.ctx(d)), 'CNAME', real)
		terms.append('exists:' + spec)
	elif how == 'nx':
		alias = sc.name('alias')
		sc.add(alias, 'CNAME', sc.name('gone'))
		terms.append('a:' + alias)
		terms += [sc.t_ip(c) for c in cs if r.random() < 0.5]
	if not any(t.startswith('redirect=') for t in terms):
		terms.append(r.choice(ALLS))
	sc.spf(d, terms)


SYNTAX = [
	('permerror', 'ip4:192.0.2.1/33'), ('permerror', 'ip6:2001:db8::/129'),
	('permerror', 'a/33'), ('permerror', 'mx//129'), ('permerror', 'foo'),
	('permerror', 'ip4:192.0.2'), ('permerror', 'ip4:192.0.2.1,'),
	('permerror', 'include'), ('permerror', 'exists'), ('permerror', 'a:%{x}.example.com'),
	('permerror', 'a:foo.%'), ('permerror', 'redirect=a.example redirect=b.example'),
	('permerror', 'ptr:'), ('permerror', '-all:foo'), ('permerror', 'a:foo.bar.123'),
	('permerror', 'ip4:192.0.2.1//64'), ('permerror', 'exp=a.example exp=b.example'),
	('permerror', '=all'), ('permerror', 'unknown-mod=%{q}'), ('permerror', 'ip6:192.0.2.1'),
	('permerror', 'ip4:2001:db8::1'), ('permerror', 'a:'), ('permerror', 'exists:%{d}%'),
	('ok', 'unknown-mod=%{d}'), ('ok', 'Foo-Bar.x_y=anything'), ('ok', 'IP4:192.0.2.77'),
	('ok', '+A/32//128'), ('permerror', 'a:%{d}.'), ('ok', 'mx:%%.x.example'),
	('ok', 'a:%{d}.x.'), ('permerror', 'ip4:192.0.2.01'), ('ok', 'exists:%{d}'),
	('digit0', 'a:%{d0}.x.example'), ('digit0', 'exists:%{l0r}.x.example'),
	('ok', 'foo='), ('permerror', '+-all'), ('permerror', 'ip4:192.0.2.1/'),
	('permerror', 'a:example.com:8080'), ('permerror', 'exists:%{i}.example.com/24'),
	('ok', 'a:-foo.example.com'), ('ok', 'a:foo_bar.example.com'), ('permerror', 'ip6:2001:db8::/64//64'),
	('permerror', 'mx:%{d}/24/24'), ('ok', 'ptr:%{d}'), ('permerror', 'all/24'),
]


def k_syntax(sc):
	r = sc.r
	cs = sc.make_cases(k=r.choice([1, 2]))
	want, term = r.choice(SYNTAX)
	sc.kind = 'syntax_' + {'permerror': 'bad', 'ok': 'ok'}.get(want, want)
	terms = [sc.t_ip(c) for c in cs if r.random() < 0.5]
	terms.insert(r.randint(0, len(terms)), term)
	sc.spf(sc.domain, terms + [r.choice(ALLS)])


def k_longmacro(sc):
	"""Expansions over 253 characters lose labels from the left (7.3)."""
	r = sc.r
	local = ''.join(r.choice(string.ascii_lowercase) for _ in range(r.choice([50, 60, 63])))
	c = sc.case(fam='4', null=False, local=local)
	k = r.choice([4, 5])
	spec = '.'.join(['%{l}'] * k) + '.lm.' + sc.base
	n = expand(spec, c.ctx(sc.domain))
	sc.add(n, 'A', '127.0.0.2')
	full = len(expand(spec, c.ctx(sc.domain), domain=False))
	drop = (full - len(n)) // (len(local) + 1)
	sc.kind = 'longmacro_drop%d' % drop
	sc.spf(sc.domain, ['exists:' + spec, '-all'])


def k_helo(sc):
	"""Null reverse-path: the identity is postmaster@HELO (2.4, 4.3)."""
	cs = sc.make_cases(null=True)
	sc.policy(sc.domain)
	assert all(c.null for c in cs)


def k_ipv6(sc):
	sc.make_cases(fam=sc.r.choice(['6', 'm']))
	sc.policy(sc.domain)


def k_localpart(sc):
	r = sc.r
	cs = [sc.case(null=False, local=l) for l in r.sample(LOCALS, 3)]
	terms = []
	for spec in ['%{l}.lp.%{d3}', '%{L}.up.%{d3}', '%{l-}.dash.%{d3}', '%{lr+}.plus.%{d3}',
	    '%{s}.snd.%{d3}']:
		if r.random() < 0.5:
			terms.append(sc.t_exists(sc.domain, r.choice(cs), spec))
	if not terms:
		terms.append(sc.t_exists(sc.domain, r.choice(cs), '%{l}.lp.%{d3}'))
	terms = terms[:2]
	sc.spf(sc.domain, terms + [r.choice(ALLS)])


def k_longrecord(sc):
	"""A record longer than one 255-octet string (3.3, RFC 1035 3.3.14)."""
	r = sc.r
	cs = sc.make_cases()
	terms = [sc.t_ip(None) for _ in range(r.randint(15, 40))]
	for c in cs:
		if r.random() < 0.7:
			terms.insert(r.randint(0, len(terms)), sc.t_ip(c))
	sc.spf(sc.domain, terms + [r.choice(ALLS)], split=False)


def k_sender_odd(sc):
	"""Sender domains that are not plain: a trailing dot (a zero-length
	label at the end is allowed, 4.3), an empty label inside, a label over
	63 octets or a single label (malformed or not multi-label: none, 4.3)."""
	r = sc.r
	how = r.choice(['dot', 'dot', 'emptylabel', 'longlabel', 'singlelabel'])
	sc.kind = 'sender_' + how
	if how == 'singlelabel':
		# not a multi-label domain name: none (4.3), whatever its TXT says
		dom = sc.id + 'single'
		sc.spf(dom, ['+all'])
		sc.case(null=False, sender_domain=dom)
		return
	if how == 'dot':
		dom = sc.domain + '.'
	elif how == 'emptylabel':
		dom = 'x..' + sc.domain
	else:
		dom = 'a' * 64 + '.' + sc.domain
	cs = [sc.case(null=False, sender_domain=dom) for _ in range(r.choice([1, 2]))]
	sc.spf(sc.domain, [sc.t_ip(c) for c in cs if r.random() < 0.7] + [r.choice(ALLS)])


def k_ptr_many(sc):
	"""More than 10 PTR names: only 10 are looked at (4.6.4); all or none
	of them validate, so that the order of the answer does not matter."""
	r = sc.r
	c = sc.case()
	ok = r.random() < 0.5
	rev = c.ip.reverse_pointer
	for _ in range(r.choice([9, 10, 11, 12])):
		n = sc.name('p')
		sc.add(rev, 'PTR', n)
		if ok:
			sc.hosts(n, c.ip if not c.v6 else None, c.ip if c.v6 else None)
		else:
			sc.hosts(n)
	sc.kind = 'ptr_many_' + ('valid' if ok else 'invalid')
	sc.spf(sc.domain, [r.choice(['ptr:' + sc.base, '-ptr:' + sc.base, '~ptr']), r.choice(ALLS)])


def k_misc(sc):
	r = sc.r
	how = r.choice(['empty', 'nullmx', 'exp_cname', 'exists_aaaa', 'include_self',
	    'redirect_self', 'include_loop', 'emptytxt', 'a_cidr0', 'all_first'])
	sc.kind = 'misc_' + how
	cs = sc.make_cases()
	d = sc.domain
	if how == 'empty':
		sc.spf(d, [])				# no terms: neutral (4.7)
	elif how == 'nullmx':
		m = sc.name('m')
		sc.add(m, 'MX', (0, ''))		# RFC 7505 "0 ."
		sc.spf(d, ['mx:' + m] + [sc.t_ip(c) for c in cs if r.random() < 0.5] + [r.choice(ALLS)])
	elif how == 'exp_cname':
		real = sc.name('expreal')
		sc.txt(real, 'explained via an alias for %{s}')
		alias = sc.name('expalias')
		sc.add(alias, 'CNAME', real)
		sc.spf(d, ['-all', 'exp=' + alias])
	elif how == 'exists_aaaa':
		n = sc.name('six')
		sc.add(n, 'AAAA', '2001:db8::1')	# exists looks up A only (5.7)
		sc.spf(d, ['exists:' + n] + [sc.t_ip(c) for c in cs if r.random() < 0.5] + [r.choice(ALLS)])
	elif how == 'include_self':
		sc.spf(d, [sc.t_ip(c, miss=True) for c in cs] + ['include:' + d, r.choice(ALLS)])
	elif how == 'redirect_self':
		sc.spf(d, [sc.t_ip(c) for c in cs if r.random() < 0.5] + ['redirect=' + d])
	elif how == 'include_loop':
		a, b = sc.name('loopa'), sc.name('loopb')
		sc.spf(a, ['include:' + b, '-all'])
		sc.spf(b, ['include:' + a, '-all'])
		sc.spf(d, [sc.t_ip(c) for c in cs if r.random() < 0.5] + ['include:' + a, r.choice(ALLS)])
	elif how == 'emptytxt':
		sc.add(d, 'TXT', [''])
		sc.policy(d)
	elif how == 'a_cidr0':
		h = sc.name('a')
		sc.hosts(h)
		sc.spf(d, [r.choice(['a:%s/0' % h, 'a:%s//0' % h, '-a:%s/0//0' % h]), r.choice(ALLS)])
	elif how == 'all_first':
		sc.spf(d, [r.choice(ALLS)] + [sc.t_ip(c) for c in cs])


def k_wildcard(sc):
	"""Wildcards (RFC 4592): the name server synthesizes answers below the
	closest encloser; an existing name, empty non-terminals included,
	blocks the wildcard above it."""
	r = sc.r
	how = r.choice(['exists', 'ent_block', 'spf', 'nodata', 'cname'])
	sc.kind = 'wildcard_' + how
	w = 'w.' + sc.base
	if how == 'spf':
		sc._domain = r.choice(['mail', 'any', 'x-y']) + '.wild.' + sc.base
	cs = sc.make_cases()
	d = sc.domain
	if how == 'exists':
		sc.add('*.' + w, 'A', '127.0.0.2')
		sc.spf(d, [sc.qual() + 'exists:%{ir}.' + w, r.choice(ALLS)])
	elif how == 'ent_block':
		sc.add('*.' + w, 'A', '127.0.0.2')
		sc.hosts('user.y.' + w)		# y.w exists (empty non-terminal)
		sc.spf(d, [r.choice(['', '-', '~']) + 'exists:%{l}.y.' + w,
		    r.choice(['', '?']) + 'exists:y.' + w, sc.qual() + 'exists:%{l}.z.' + w,
		    r.choice(ALLS)])
	elif how == 'spf':
		c = r.choice(cs)
		sc.hosts('*.wild.' + sc.base, c.ip if not c.v6 else None, c.ip if c.v6 else None)
		sc.spf('*.wild.' + sc.base, [r.choice(['a', '-a', '~a', 'a/24']), 'exists:%{d}.x.' + sc.base,
		    r.choice(ALLS)])
		n = expand('%{d}.x.' + sc.base, c.ctx(d))
		if r.random() < 0.5:
			sc.add(n, 'A', '127.0.0.2')
	elif how == 'nodata':
		sc.txt('*.' + w, 'text only')
		sc.spf(d, r.sample(['a:any.' + w, 'exists:%{l}.' + w, 'mx:mx.' + w], r.choice([1, 2, 2, 3]))
		    + [sc.t_ip(c) for c in cs if r.random() < 0.6] + [r.choice(ALLS)])
	elif how == 'cname':
		real = sc.name('real')
		c = r.choice(cs)
		sc.hosts(real, c.ip if not c.v6 else None, c.ip if c.v6 else None)
		sc.add('*.' + w, 'CNAME', real)
		sc.spf(d, [sc.qual() + 'a:host.' + w, r.choice(ALLS)])


KINDS = [
	(k_basic, 12), (k_ipcidr, 7), (k_a_mx, 7), (k_mx_many, 2), (k_include, 8),
	(k_redirect, 7), (k_exists, 6), (k_ptr, 5), (k_macro, 6), (k_exp, 7),
	(k_void, 6), (k_void_mxhost, 1), (k_limit, 6), (k_nospf, 9), (k_twospf, 2),
	(k_multistr, 3), (k_cname, 5), (k_syntax, 4), (k_longmacro, 1), (k_helo, 4),
	(k_ipv6, 5), (k_localpart, 3), (k_longrecord, 2), (k_sender_odd, 2), (k_ptr_many, 2),
	(k_misc, 5), (k_wildcard, 3),
]


def check_zone_file(path, zone):
	"""Read zone.txt back with dnspython (when installed) and check that it
	holds exactly the records the in-memory lookup answers from: what pyspf
	saw is what the file says."""
	try:
		import dns.zone
		import dns.rdatatype
	except ImportError:
		return None
	z = dns.zone.from_file(path, origin='.', relativize=False)
	seen = {}
	for name, node in z.nodes.items():
		key = name.to_text(omit_final_dot=True).lower()
		if key in ('', '.', '@', 'ns.interop.example'):
			continue
		for rds in node.rdatasets:
			t = dns.rdatatype.to_text(rds.rdtype)
			vals = []
			for rd in rds:
				if t in ('A', 'AAAA'):
					vals.append(rd.address)
				elif t in ('CNAME', 'PTR'):
					vals.append(rd.target.to_text(omit_final_dot=True))
				elif t == 'MX':
					x = rd.exchange.to_text(omit_final_dot=True)
					vals.append((rd.preference, '' if x in ('@', '.') else x))
				elif t == 'TXT':
					vals.append(tuple(x.decode('latin-1') for x in rd.strings))
			seen[(key, t)] = sorted(Zone._norm(t, v) for v in vals)
	want = {}
	for key, node in zone.nodes.items():
		for t, rrs in node.items():
			want[(key, t)] = sorted(Zone._norm(t, v) for v in rrs)
	# dnspython gives names in presentation form: compare unescaped
	def unesc(k):
		return (k[0].replace('\\@', '@'), k[1])
	seen = {unesc(k): v for k, v in seen.items()}
	bad = [k for k in set(seen) | set(want) if seen.get(k) != want.get(k)]
	return bad


# ---------------------------------------------------------------- driver

class Gen:
	def __init__(self, seed):
		self.rng = random.Random(seed)
		self.zone = Zone()


SENTINEL = '\x00default-explanation\x00'


# ---- pyspf with one flaw fixed
# Where pyspf departs from RFC 7208, the generator also records what pyspf
# answers with that one departure mended ("alt" in expected.jsonl), so that
# compare.py can tell "inkan differs because pyspf is wrong here, and would
# agree with a fixed pyspf" from any other disagreement.  Each patch is a
# context manager that mends one thing and undoes it on exit.

@contextlib.contextmanager
def _patched(obj, **attrs):
	old = {k: getattr(obj, k) for k in attrs}
	for k, v in attrs.items():
		setattr(obj, k, v)
	try:
		yield
	finally:
		for k, v in old.items():
			setattr(obj, k, v)


RE_REDIRECT_TERM = re.compile(r'(?:^| )redirect=', re.IGNORECASE)


def fix_redirect_late():
	"""4.6.4 limits the DNS terms evaluated; pyspf counts redirect= when it
	parses the record, before the mechanisms, even when one matches and
	the redirect is never followed (6.1).  Fixed: count it when followed."""
	Q = spf.query
	cl, c0, dspf = Q.check_lookups, Q.check0, Q.dns_spf

	def check_lookups(self):
		self._fx_counted = True
		return cl(self)

	def check0(self, text, recursion):
		if text and RE_REDIRECT_TERM.search(text):
			self.lookups -= 1	# undo the count made while parsing
		return c0(self, text, recursion)

	def dns_spf(self, domain):
		counted = getattr(self, '_fx_counted', False)
		self._fx_counted = False
		if getattr(self, '_fx_top', False) and not counted:
			cl(self)		# a redirect being followed
		self._fx_top = True
		return dspf(self, domain)
	return _patched(Q, check_lookups=check_lookups, check0=check0, dns_spf=dns_spf)


def fix_truncate():
	"""7.3: an expansion over 253 characters loses labels from the left
	until it fits; pyspf drops one label only."""
	ex = spf.query.expand

	def expand(self, s, stripdot=True):
		out = ex(self, s, stripdot)
		if stripdot:
			while len(out) > 253 and '.' in out:
				out = out[out.index('.') + 1:]
		return out
	return _patched(spf.query, expand=expand)


def fix_joiners():
	"""7.3: after splitting on the delimiters, the parts are joined with
	"."; pyspf does so for %{l} and %{s} only."""
	return _patched(spf, JOINERS={k: '.' for k in string.ascii_lowercase})


def fix_transformer_case():
	"""7.1: "r" in transformers is an ABNF literal, so case-insensitive
	(RFC 5234 2.3); pyspf ignores an "R"."""
	return _patched(spf, RE_ARGS=re.compile(r'([0-9]*)([rR]?)([^0-9a-zA-Z]*)'))


class _LowerModifier:
	"""RE_MODIFIER whose split() lower-cases the modifier name."""
	def __init__(self, rx):
		self.rx = rx

	def split(self, s):
		parts = self.rx.split(s)
		if len(parts) == 3:
			parts[1] = parts[1].lower()
		return parts


def fix_modifier_case():
	"""4.6.1, 12: modifier names are ABNF literals, case-insensitive;
	pyspf compares "redirect"/"exp" case-sensitively and takes
	"REDIRECT=" for an unknown modifier."""
	return _patched(spf, RE_MODIFIER=_LowerModifier(spf.RE_MODIFIER))


def fix_empty_local():
	"""4.3: a sender without local-part gets "postmaster"; pyspf does so
	for %{l} but leaves %{s} as "@domain"."""
	init = spf.query.__init__

	def __init__(self, *a, **kw):
		init(self, *a, **kw)
		if self.s and self.s.startswith('@'):
			self.s = 'postmaster' + self.s
	return _patched(spf.query, __init__=__init__)


def fix_ip6_lower():
	"""%{i} of an IPv6 client in lower-case nibbles, as in the example of
	7.4 (RFC 7208); pyspf writes upper case.  Only explanations show it."""
	si = spf.query.set_ip

	def set_ip(self, i):
		si(self, i)
		if getattr(self, 'v', None) == 'ip6' and getattr(self, 'i', None):
			self.i = self.i.lower()
	return _patched(spf.query, set_ip=set_ip)


def fix_void_per_term():
	"""4.6.4 limits the number of *terms* whose DNS queries come back
	void; pyspf counts every empty query, so an mx whose exchanges have no
	addresses (or a ptr whose names have none) counts once per query.
	Fixed: at most one void lookup per DNS term."""
	Q = spf.query
	cl, dns = Q.check_lookups, Q.dns

	def check_lookups(self):
		self._fx_term_void = False
		return cl(self)

	def dns_(self, name, qtype, cnames=None, ignore_void=False):
		if ignore_void or not getattr(self, '_fx_term_void', False):
			before = self.void_lookups
			r = dns(self, name, qtype, cnames, ignore_void)
			if self.void_lookups > before:
				self._fx_term_void = True
			return r
		saved = self.void_lookups	# this term has had its void lookup
		self.void_lookups = -1000
		try:
			return dns(self, name, qtype, cnames, ignore_void)
		finally:
			self.void_lookups = saved
	return _patched(Q, check_lookups=check_lookups, dns=dns_)


class _MXHosts(list):
	"""What the mended dns_mx returns: the exchanges, not yet looked up."""


def fix_mx_lazy():
	"""4.6.4: "the evaluation of each MX record MUST NOT result in querying
	more than 10 address records ... If this limit is exceeded, the mx
	mechanism MUST produce a permerror".  pyspf fails any mx with more
	than 10 MX records up front; read as a limit on the queries made, the
	exchanges are tried in preference order and only needing an 11th is a
	permerror.  The RFC does not say which reading it means."""
	Q = spf.query
	cm = Q.cidrmatch

	def dns_mx(self, domainname):
		out = _MXHosts()
		out.extend(sorted(self.dns(domainname, 'MX'), key=lambda m: m[0]))
		return out

	def cidrmatch(self, ipaddrs, n):
		if not isinstance(ipaddrs, _MXHosts):
			return cm(self, ipaddrs, n)
		for k, (_pref, host) in enumerate(ipaddrs):
			if k == spf.MAX_MX:
				raise spf.PermError('More than %d MX records needed' % spf.MAX_MX)
			if cm(self, self.dns_a(host, self.A), n):
				return True
		return False
	return _patched(Q, dns_mx=dns_mx, cidrmatch=cidrmatch)


def fix_trailing_dot():
	"""4.3: a domain is malformed for a zero-length label "not at the
	end"; pyspf takes the trailing dot of "user@example.com." for an
	empty label and answers none."""
	dspf = spf.query.dns_spf

	def dns_spf(self, domain):
		if domain and domain.endswith('.') and not domain.endswith('..'):
			domain = domain[:-1]
		return dspf(self, domain)
	return _patched(spf.query, dns_spf=dns_spf)


def fix_include_self():
	"""An include of the domain's own record is well-formed (5.2, 12);
	only evaluating it is a loop, which the limit of 4.6.4 ends.  pyspf
	rejects it while parsing ("include has trivial recursion"), so even a
	mechanism before it that matches gives permerror."""
	vm = spf.query.validate_mechanism

	def validate_mechanism(self, mech):
		try:
			return vm(self, mech)
		except spf.PermError as x:
			if 'trivial recursion' not in str(x):
				raise
			m, arg, _c4, _c6 = spf.parse_mechanism(mech, self.d)
			result = spf.RESULTS.get(m[0], 'pass') if m[0] in '+-?~' else 'pass'
			return mech, 'include', self.expand_domain(arg), self.cidrmax, result
	return _patched(spf.query, validate_mechanism=validate_mechanism)


def fix_single_label():
	"""4.3: check_host() returns none at once for a <domain> that "is not
	a multi-label domain name"; pyspf looks its record up anyway."""
	dspf = spf.query.dns_spf

	def dns_spf(self, domain):
		if domain and '.' not in domain.rstrip('.'):
			return None
		return dspf(self, domain)
	return _patched(spf.query, dns_spf=dns_spf)


FIXES = {
	'redirect_late': fix_redirect_late,
	'truncate': fix_truncate,
	'joiners': fix_joiners,
	'transformer_case': fix_transformer_case,
	'modifier_case': fix_modifier_case,
	'empty_local': fix_empty_local,
	'ip6_lower': fix_ip6_lower,
	'void_per_term': fix_void_per_term,
	'mx_lazy': fix_mx_lazy,
	'trailing_dot': fix_trailing_dot,
	'include_self': fix_include_self,
	'single_label': fix_single_label,
}


def run_pyspf(c):
	q = spf.query(i=c.ip_text, s='' if c.null else c.sender, h=c.helo, strict=True)
	q.exps['fail'] = SENTINEL
	q.defexps['fail'] = SENTINEL
	try:
		res, _code, exp = q.check()
	except Exception as x:	# pyspf crashed: keep the case, say so
		return {'result': 'pyspf-exception', 'problem': '%s: %s' % (type(x).__name__, x)}
	out = {'result': res}
	if res == 'fail':
		if exp == SENTINEL:
			out['explanation_default'] = True
		else:
			out['explanation'] = exp
	if res in ('permerror', 'temperror'):
		out['problem'] = getattr(q, 'prob', None)
	return out


def expect(c):
	"""pyspf's verdict for c, and where a mended pyspf answers otherwise,
	those answers under "alt", keyed by the names of the fixes."""
	e = run_pyspf(c)
	base = (e['result'], e.get('explanation'))
	alt = {}

	def run(names):
		with contextlib.ExitStack() as stack:
			for n in names:
				stack.enter_context(FIXES[n]())
			f = run_pyspf(c)
		return f, (f['result'], f.get('explanation'))

	for n in FIXES:
		f, key = run((n,))
		if key != base:
			alt[n] = {k: v for k, v in f.items() if k != 'problem'}
	# where a fix matters, also two fixes at once; such a pair counts only
	# where it says something neither fix says alone
	if alt:
		names = list(FIXES)
		for i, n1 in enumerate(names):
			for n2 in names[i + 1:]:
				if n1 not in alt and n2 not in alt:
					continue
				f, key = run((n1, n2))
				if key == base or any(key == (a['result'], a.get('explanation'))
				    for a in (alt.get(n1), alt.get(n2)) if a is not None):
					continue
				alt[n1 + '+' + n2] = {k: v for k, v in f.items() if k != 'problem'}
	if alt:
		e['alt'] = alt
	return e


def main():
	global ZONE
	ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	ap.add_argument('--seed', type=int, default=7208)
	ap.add_argument('-n', type=int, default=1200, help='number of scenarios')
	ap.add_argument('--check-zone', action='store_true',
	    help='read zone.txt back with dnspython and compare')
	ap.add_argument('outdir')
	a = ap.parse_args()
	os.makedirs(a.outdir, exist_ok=True)

	# pyspf in RFC 7208 mode: these are its defaults, set here so that a
	# changed default does not silently change the test.
	spf.MAX_LOOKUP = 10
	spf.MAX_MX = 10
	spf.MAX_PTR = 10
	spf.MAX_VOID_LOOKUPS = 2
	spf.DNSLookup = pyspf_lookup

	gen = Gen(a.seed)
	ZONE = gen.zone
	funcs = [f for f, w in KINDS]
	weights = [w for f, w in KINDS]
	scenarios = []
	for idx in range(a.n):
		f = gen.rng.choices(funcs, weights)[0]
		sc = Scenario(gen, idx, f.__name__[2:])
		start = len(gen.zone.written)
		f(sc)
		sc.first_record = start
		scenarios.append(sc)

	gen.zone.write(os.path.join(a.outdir, 'zone.txt'))
	if a.check_zone:
		bad = check_zone_file(os.path.join(a.outdir, 'zone.txt'), gen.zone)
		if bad:
			sys.stderr.write('gen_spf: zone.txt does not read back as written: %s\n'
			    % sorted(bad)[:5])
			sys.exit(1)
	hist = collections.Counter()
	kinds = collections.defaultdict(collections.Counter)
	n = 0
	with open(os.path.join(a.outdir, 'cases.txt'), 'w') as fc, \
	    open(os.path.join(a.outdir, 'expected.jsonl'), 'w') as fe, \
	    open(os.path.join(a.outdir, 'scenarios.txt'), 'w') as fs:
		for sc in scenarios:
			fs.write('%s %s\n' % (sc.id, sc.kind))
			end = scenarios[scenarios.index(sc) + 1].first_record \
			    if sc is not scenarios[-1] else len(gen.zone.written)
			for owner, rtype, rdata in gen.zone.written[sc.first_record:end]:
				fs.write('    %s %s %s\n' % (owner, rtype, Zone.rdata_text(rtype, rdata)))
			for c in sc.cases:
				fc.write('%s %s %s\n' % (c.ip_text, c.sender, c.helo))
				e = expect(c)
				e['scenario'] = sc.id
				e['kind'] = sc.kind
				fe.write(json.dumps(e, sort_keys=True) + '\n')
				fs.write('    case %s %s %s -> %s\n' % (c.ip_text, c.sender, c.helo, e['result']))
				hist[e['result']] += 1
				kinds[sc.kind][e['result']] += 1
				n += 1
	sys.stderr.write('gen_spf: %d scenarios, %d cases, %d records, seed %d\n'
	    % (len(scenarios), n, len(gen.zone.written), a.seed))
	for k in ['pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror']:
		sys.stderr.write('  %-10s %5d  %5.1f%%\n' % (k, hist[k], 100.0 * hist[k] / max(n, 1)))
	for k in sorted(hist):
		if k not in ('pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror'):
			sys.stderr.write('  %-10s %5d  (!)\n' % (k, hist[k]))
	if os.environ.get('GEN_SPF_KINDS'):
		for k in sorted(kinds):
			sys.stderr.write('  %-28s %s\n' % (k, dict(kinds[k])))


if __name__ == '__main__':
	main()
