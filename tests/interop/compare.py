#!/usr/bin/python3
"""compare.py - compare inkan's SPF verdicts with pyspf's, print TAP.

Usage: /usr/bin/python3 compare.py DIR

DIR holds what gen_spf.py wrote (cases.txt, expected.jsonl, scenarios.txt)
and inkan.jsonl, the output of `inkan spf check --zone zone.txt --batch
cases.txt`: one JSON object per input line, in input order, with at least
"result" and, for fail, "explanation"; an object with "error" says the line
could not be checked.

A case agrees when the results are equal and, for fail where pyspf took the
explanation from exp= (RFC 7208 6.2), the explanations are equal too.  When
pyspf fell back to its built-in explanation, inkan's own default is not
compared.

A disagreement in a scenario kind listed in KNOWN is a known difference when
inkan answers what pyspf answers with the entry's flaw mended (gen_spf.py
runs such mended pyspf variants and stores their answers as "alt"), or one
of the verdicts the entry names as the RFC's.  The entry says which section
of RFC 7208 makes pyspf wrong there, or why the RFC leaves it open.  A known
difference prints as `not ok ... # TODO reason`.  Anything else, a pyspf
exception included, is a disagreement to investigate.  Exit status 1 if
there is one, 0 otherwise.
"""

import fnmatch
import json
import os
import sys

# Known differences: scenario-kind pattern (fnmatch) -> entries.  An entry
# with "fix" names a mended pyspf run by gen_spf.py (the "alt" answers in
# expected.jsonl, see FIXES there): the difference is known when inkan
# answers what pyspf answers with that one flaw mended.  An entry with "rfc"
# (a set of verdicts) is known when inkan answers one of them and pyspf
# does not.  "section" is the part of RFC 7208 that says pyspf is wrong.
KNOWN = {
	'*': [
		{'fix': 'joiners', 'section': '7.3',
		 'why': 'pyspf rejoins the parts of a macro split on delimiters with the '
		    'original delimiter for letters other than l and s; 7.3 rejoins with "."'},
		{'fix': 'transformer_case', 'section': '7.1',
		 'why': 'pyspf ignores an upper-case "R" transformer; ABNF literals are '
		    'case-insensitive (RFC 5234 2.3)'},
		{'fix': 'modifier_case', 'section': '4.6.1, 12',
		 'why': 'pyspf matches the names "redirect" and "exp" case-sensitively and '
		    'takes "REDIRECT=" for an unknown modifier; ABNF literals are case-insensitive'},
		{'fix': 'empty_local', 'section': '4.3',
		 'why': 'pyspf leaves %{s} as "@domain" for a sender without local-part; 4.3 '
		    'makes the sender postmaster@domain'},
		{'fix': 'ip6_lower', 'section': '7.3, 7.4',
		 'why': 'pyspf writes %{i} of an IPv6 client in upper-case nibbles, the '
		    'example of 7.4 in lower case; 7.3 asks for neither, so only the case '
		    'of an explanation differs (not a fault on either side)'},
	],
	'void*': [
		{'fix': 'void_per_term', 'section': '4.6.4',
		 'why': 'pyspf counts every DNS query that comes back empty, so an mx whose '
		    'exchanges have no addresses adds one void lookup per exchange; 4.6.4 '
		    'limits the number of terms whose lookups are void'},
	],
	'mx_over10': [
		{'fix': 'mx_lazy', 'section': '4.6.4',
		 'why': 'RFC ambiguous, neither is wrong: with more than 10 MX records pyspf '
		    'answers permerror at once; inkan tries the exchanges in preference order '
		    'and answers permerror only when an 11th address lookup is needed (the text '
		    'limits the address queries made, "If this limit is exceeded")'},
	],
	'sender_dot': [
		{'fix': 'trailing_dot', 'section': '4.3',
		 'why': 'pyspf answers none for a sender domain with a trailing dot, taking '
		    'it for an empty label; 4.3 makes a domain malformed only for a '
		    'zero-length label "not at the end"'},
	],
	'misc_include_self': [
		{'fix': 'include_self', 'section': '4.6, 5.2, 4.6.4',
		 'why': 'pyspf rejects include:<own domain> while parsing, so a mechanism '
		    'before it that matches still gives permerror; the term is well-formed '
		    '(4.6, 12) and the loop it makes when reached is ended by the DNS term '
		    'limit (4.6.4)'},
	],
	'sender_singlelabel': [
		{'fix': 'single_label', 'section': '4.3',
		 'why': 'pyspf evaluates the record of a single-label sender domain; 4.3 '
		    'returns none at once for a domain that "is not a multi-label domain name"'},
	],
	'limit*_redirect': [
		{'fix': 'redirect_late', 'section': '4.6.4, 6.1',
		 'why': 'pyspf counts redirect= toward the 10 DNS terms when it parses the '
		    'record, before any mechanism runs; a redirect is followed only when no '
		    'mechanism matched (6.1), and 4.6.4 limits the terms evaluated'},
	],
	'longmacro_drop*': [
		{'fix': 'truncate', 'section': '7.3',
		 'why': 'pyspf drops a single label from an expansion longer than 253 '
		    'characters; 7.3 removes labels from the left until it fits'},
	],
	'syntax_digit0': [
		{'rfc': {'permerror'}, 'section': '7.1, 7.3',
		 'why': 'a DIGIT transformer of 0 is an error ("the value MUST be nonzero", '
		    '7.3); pyspf expands it'},
	],
}

VERDICTS = {'pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror'}


def load_jsonl(path):
	out = []
	with open(path) as f:
		for line in f:
			line = line.strip()
			if line:
				out.append(json.loads(line))
	return out


def load_cases(path):
	out = []
	with open(path) as f:
		for n, line in enumerate(f, 1):
			s = line.strip()
			if s and not s.startswith('#'):
				out.append((n, s))
	return out


def load_scenarios(path):
	recs = {}
	cur = None
	if not os.path.exists(path):
		return recs
	with open(path) as f:
		for line in f:
			if not line.startswith(' '):
				cur = line.split()[0]
				recs[cur] = []
			elif cur and not line.strip().startswith('case '):
				recs[cur].append(line.strip())
	return recs


def known_for(kind, exp, got):
	"""The KNOWN entries that explain this disagreement, or None.  An
	"alt" answer made with two fixes at once counts when both fixes are
	known for this kind."""
	entries = [k for pat, ks in KNOWN.items() if fnmatch.fnmatchcase(kind, pat) for k in ks]
	fixes = {k['fix']: k for k in entries if 'fix' in k}
	for name, alt in sorted(exp.get('alt', {}).items(), key=lambda kv: kv[0].count('+')):
		parts = name.split('+')
		if not all(p in fixes for p in parts):
			continue
		if got.get('result') != alt['result']:
			continue
		if alt['result'] == 'fail' and 'explanation' in alt \
		    and got.get('explanation') != alt['explanation']:
			continue
		return [fixes[p] for p in parts]
	for k in entries:
		if 'rfc' in k and got.get('result') in k['rfc'] and exp['result'] not in k['rfc']:
			return [k]
	return None


def main():
	if len(sys.argv) != 2:
		sys.stderr.write('usage: compare.py DIR\n')
		return 2
	d = sys.argv[1]
	cases = load_cases(os.path.join(d, 'cases.txt'))
	expected = load_jsonl(os.path.join(d, 'expected.jsonl'))
	try:
		got_list = load_jsonl(os.path.join(d, 'inkan.jsonl'))
	except (OSError, ValueError) as x:
		sys.stderr.write('compare.py: inkan.jsonl: %s\n' % x)
		got_list = []
	records = load_scenarios(os.path.join(d, 'scenarios.txt'))
	if len(cases) != len(expected):
		print('Bail out! cases.txt has %d checks, expected.jsonl %d'
		    % (len(cases), len(expected)))
		return 1

	# inkan's objects carry the input line number; without it, go by order
	by_line = {}
	for i, g in enumerate(got_list):
		by_line[g.get('line', cases[i][0] if i < len(cases) else -1)] = g

	agree = known = disagree = 0
	for i, ((lineno, text), exp) in enumerate(zip(cases, expected), 1):
		got = by_line.get(lineno)
		label = '%s %s' % (exp['scenario'], text)
		why = None
		if got is None:
			why = 'no answer from inkan'
		elif 'error' in got and 'result' not in got:
			why = 'inkan could not check the line: %s' % got['error']
		elif exp['result'] == 'pyspf-exception':
			why = 'pyspf raised: %s' % exp.get('problem')
		elif got.get('result') != exp['result']:
			why = 'result'
		elif exp['result'] == 'fail' and 'explanation' in exp \
		    and got.get('explanation') != exp['explanation']:
			why = 'explanation'
		if why is None:
			agree += 1
			print('ok %d - %s' % (i, label))
			continue
		entries = None
		if why in ('result', 'explanation'):
			entries = known_for(exp['kind'], exp, got)
		if entries is not None:
			known += 1
			print('not ok %d - %s # TODO known difference %s'
			    % (i, label, '; and '.join('(RFC 7208 %s): %s' % (e['section'], e['why'])
			    for e in entries)))
			continue
		disagree += 1
		print('not ok %d - %s' % (i, label))
		print('#   kind:  %s; differs: %s' % (exp['kind'], why))
		print('#   pyspf: %s' % json.dumps({f: v for f, v in exp.items()
		    if f in ('result', 'explanation', 'explanation_default', 'problem')}, sort_keys=True))
		if got is not None:
			print('#   inkan: %s' % json.dumps({f: v for f, v in got.items()
			    if f in ('result', 'explanation', 'problem', 'mechanism', 'matched_domain',
			    'dns_lookups', 'void_lookups', 'error', 'detail')}, sort_keys=True))
		for r in records.get(exp['scenario'], []):
			print('#     %s' % r)
	n = len(cases)
	print('1..%d' % n)
	# a TAP comment, so that TAP readers do not take it for a stray line
	print('# interop: %d agree, %d known differences, %d disagree' % (agree, known, disagree))
	return 1 if disagree else 0


if __name__ == '__main__':
	sys.exit(main())
