#!/usr/bin/env bash
# survey_report.sh [BUILD] - `inkan survey report` and `inkan survey merge`
# over real surveys: a generated zone set of ${INKAN_SURVEY_REPORT_N:-3000}
# domains with known proportions (tests/integration/survey/gen.py) served
# by NSD on 127.0.0.1:${INKAN_TEST_SURVEY_REPORT_PORT:-5390}, surveyed
# once whole and once in three shards (every third line each, with the
# survey_meta a sharded `survey run` writes).  The three shard stores
# merge to exactly the single run's table and rows; missing shards and
# unfinished runs are warned about, the same shard twice and shards of
# other inputs refused; --by sld|tld|suffix give the generated truth
# regrouped; --compare shows the change, which for the whole run against
# two of its shards is the third shard's counts.  Prints TAP.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
inkan=$build/src/inkan/inkan
port=${INKAN_TEST_SURVEY_REPORT_PORT:-5390}
N=${INKAN_SURVEY_REPORT_N:-3000}
B=$build/testenv-survey-report
work=$B/work
R=$B/run

for tool in nsd sqlite3 ss sha256sum; do
	command -v "$tool" >/dev/null || { echo "not ok 1 - $tool is installed"; echo "1..1"; exit 1; }
done
# shellcheck source=tests/env/nsd.sh
. "$top/tests/env/nsd.sh"
stop_nsd() {
	local p
	p=$(cat "$R/nsd.pid" 2>/dev/null) || return 0
	# only our own NSD: a stale PID may belong to anyone by now
	{ tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF "$R/nsd.conf" || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}
stop_nsd
trap stop_nsd EXIT
rm -rf "$work" "$R"
mkdir -p "$work/gen/zones" "$R"
/usr/bin/python3 "$here/survey/gen.py" "$N" "$work/gen" 11
{
	nsd_server_conf "$work/gen/zones" "$R" "$port" | sed '/^remote-control:/,$d'
	printf '\trrl-ratelimit: 0\n\trrl-whitelist-ratelimit: 0\n'
	printf 'remote-control:\n\tcontrol-enable: no\n'
	for f in "$work"/gen/zones/*.zone; do
		z=$(basename "$f" .zone)
		printf 'zone:\n\tname: %s\n\tzonefile: %s.zone\n' "$z" "$z"
	done
} > "$R/nsd.conf"
for f in "$work"/gen/zones/*.zone; do
	z=$(basename "$f" .zone)
	sed -i "1i $z. 3600 IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 300\n$z. 3600 IN NS ns.$z." "$f"
done
setsid nsd -d -c "$R/nsd.conf" >> "$R/nsd.log" 2>&1 &
echo $! > "$R/nsd.pid"
for _ in $(seq 1 200); do
	ss -lnu | grep -q "127.0.0.1:$port " && break
	sleep 0.05
done
ss -lnu | grep -q "127.0.0.1:$port " || { echo "Bail out! NSD did not start (see $R/nsd.log)"; exit 1; }
echo "# NSD on 127.0.0.1:$port serving $N generated domains"

set +e
n=0
tap() {	# tap OK NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
res="--resolver 127.0.0.1@$port --no-dnssec --quiet"
table() { sqlite3 "$1" "SELECT * FROM survey_domain ORDER BY domain"; }
rep() { "$inkan" survey report "$@"; }
sha=$(sha256sum < "$work/gen/domains.txt" | cut -d' ' -f1)
# meta DB SHARD SHA [unfinished]: what a sharded `survey run` leaves.
meta() {
	sqlite3 "$1" "CREATE TABLE IF NOT EXISTS survey_meta (key TEXT PRIMARY KEY, value TEXT);
	    INSERT OR REPLACE INTO survey_meta VALUES ('shard', '$2'), ('input_sha256', '$3'),
	    ('options', '--no-dnssec'), ('started', '2026-11-26T05:00:00Z');
	    $([ "${4:-}" = unfinished ] || echo "INSERT OR REPLACE INTO survey_meta VALUES ('finished', '2026-11-26T05:10:00Z');")"
}

# The whole input, and the same input in three shards.
# shellcheck disable=SC2086
"$inkan" survey run $res --db "$work/full.db" "$work/gen/domains.txt"
tap $? "the whole run over $N domains exits 0"
ok=0
for k in 1 2 3; do
	awk -v k=$k 'NR % 3 == k % 3' "$work/gen/domains.txt" > "$work/in$k.txt"
	# shellcheck disable=SC2086
	"$inkan" survey run $res --db "$work/s$k.db" "$work/in$k.txt" || ok=1
	meta "$work/s$k.db" "$k/3" "$sha"
done
tap $ok "three shard runs exit 0"
rep --db "$work/full.db" --csv > "$work/full.csv"
diff "$work/gen/truth.csv" "$work/full.csv" > /dev/null
tap $? "the whole run's report == the generated truth"

# 1. Three shards merge to the single run.
rep "$work/s1.db" "$work/s2.db" "$work/s3.db" --csv > "$work/m.csv" 2> "$work/m.err"
tap $? "report S1 S2 S3 exits 0"
diff "$work/full.csv" "$work/m.csv" > "$work/m.diff"
tap $? "report of the three shards == the single run's report (every count)"
head -5 "$work/m.diff" | sed 's/^/# /'
[ ! -s "$work/m.err" ]
tap $? "complete, finished shards: no warning"
rep --db "$work/s3.db" --db "$work/s1.db" "$work/s2.db" --csv | cmp -s - "$work/full.csv"
tap $? "the order of the shards does not matter (--db and operands mixed)"
rep "$work/full.db" --json | /usr/bin/python3 -c '
import json, sys
a = json.load(sys.stdin); b = json.load(open(sys.argv[1]))
del a["stores"]; del b["stores"]
sys.exit(0 if a == b else 1)' <(rep "$work/s1.db" "$work/s2.db" "$work/s3.db" --json)
tap $? "report --json of the three shards == the single run's"
"$inkan" survey merge --out "$work/merged.db" "$work/s1.db" "$work/s2.db" "$work/s3.db"
tap $? "survey merge --out M S1 S2 S3 exits 0"
cmp -s <(table "$work/full.db") <(table "$work/merged.db")
tap $? "the merged store's rows == the single run's rows"
[ "$(sqlite3 "$work/merged.db" "SELECT value FROM survey_meta WHERE key IN ('shard',
    'input_sha256', 'finished') ORDER BY key" | tr '\n' ' ')" = "2026-11-26T05:10:00Z $sha 1/1 " ]
tap $? "the merged store's survey_meta: shard 1/1, the input's sha256, finished"
"$inkan" survey merge --out "$work/merged.db" "$work/s1.db" 2> "$work/exists.err"
[ $? = 65 ] && grep -q "exists" "$work/exists.err"
tap $? "survey merge refuses to overwrite a store"

# 1b. The same through `survey run --shard i/N` itself, which writes
# survey_meta (once the run side has it: until then this case is skipped).
if "$inkan" survey run --help 2>&1 | grep -c -- "--shard" > /dev/null; then
	ok=0
	for k in 1 2 3; do
		# shellcheck disable=SC2086
		"$inkan" survey run $res --shard $k/3 --db "$work/r$k.db" "$work/gen/domains.txt" || ok=1
	done
	tap $ok "survey run --shard k/3, k = 1..3, exits 0"
	rep "$work/r1.db" "$work/r2.db" "$work/r3.db" --csv 2> "$work/r.err" | cmp -s - "$work/full.csv"
	tap $? "report of the three --shard stores == the single run's report"
	[ ! -s "$work/r.err" ]
	tap $? "--shard stores: complete, finished, one input: no warning"
	rep "$work/r1.db" "$work/r1.db" > /dev/null 2>&1
	[ $? = 65 ]
	tap $? "--shard stores: the same shard twice refused"
else
	for c in "survey run --shard" "report of --shard stores" "no warning" "same shard twice"; do
		n=$((n + 1)); echo "ok $n - $c # SKIP survey run has no --shard in this build"
	done
fi

# 2. Missing and unfinished shards: warned about, the table is made.
rep "$work/s1.db" "$work/s3.db" --csv > "$work/s13.csv" 2> "$work/s13.err"
[ $? = 0 ] && grep -q "warning: 1 of 3 shards missing (the first: 2/3)" "$work/s13.err"
tap $? "2 of 3 shards: a warning names the missing shard"
sed 's/^/# /' "$work/s13.err"
cp "$work/s2.db" "$work/s2u.db"
meta "$work/s2u.db" 2/3 "$sha" unfinished
sqlite3 "$work/s2u.db" "DELETE FROM survey_meta WHERE key = 'finished'"
rep "$work/s1.db" "$work/s2u.db" "$work/s3.db" --csv 2> "$work/unf.err" | cmp -s - "$work/full.csv"
[ $? = 0 ] && grep -q "s2u.db: the run has not finished" "$work/unf.err"
tap $? "an unfinished shard: a warning, and its rows count"

# 3. Refused: the same shard twice, another input, another shard count.
rep "$work/s1.db" "$work/s2.db" "$work/s2.db" 2> "$work/dup.err" > /dev/null
[ $? = 65 ] && grep -q "are both shard 2/3" "$work/dup.err"
tap $? "the same shard twice: refused (exit 65)"
cp "$work/s3.db" "$work/x3.db"
meta "$work/x3.db" 3/3 "$(echo other | sha256sum | cut -d' ' -f1)"
rep "$work/s1.db" "$work/s2.db" "$work/x3.db" 2> "$work/other.err" > /dev/null
[ $? = 65 ] && grep -q "different inputs" "$work/other.err"
tap $? "a shard of another input: refused"
cp "$work/s3.db" "$work/q3.db"
meta "$work/q3.db" 3/4 "$sha"
rep "$work/s1.db" "$work/q3.db" 2> "$work/n.err" > /dev/null
[ $? = 65 ] && grep -q "not one sharded run" "$work/n.err"
tap $? "shards of different shard counts: refused"
cp "$work/s3.db" "$work/s3b.db"
rep --force "$work/s1.db" "$work/s2.db" "$work/s3.db" "$work/s3b.db" --csv 2> /dev/null |
    cmp -s - "$work/full.csv"
tap $? "--force with a shard twice: each domain still counted once"
rep "$work/full.db" "$work/full.db" > /dev/null 2>&1
[ $? = 65 ]
tap $? "a store without survey_meta given twice: refused (each is a whole run)"
rep "$work/nonexistent.db" 2> "$work/ne.err" > /dev/null
[ $? = 65 ] && grep -q "nonexistent.db: No such file" "$work/ne.err"
tap $? "a missing store: exit 65 naming it"
echo "not a database" > "$work/junk.db"
rep "$work/junk.db" > /dev/null 2>&1
[ $? = 65 ]
tap $? "a file that is not a store: exit 65"

# 4. Categories from the names.  gen.py's domains are d<i>.<cat>.test.
sed -E 's/^(ac|co|go|ne),/\1.test,/' "$work/full.csv" > "$work/want-sld.csv"
rep "$work/full.db" --by sld --csv | cmp -s - "$work/want-sld.csv"
tap $? "--by sld: the truth with categories co.test, ac.test, ..."
rep "$work/s1.db" "$work/s2.db" "$work/s3.db" --by sld --csv | cmp -s - "$work/want-sld.csv"
tap $? "--by sld over the three shards: the same"
{ head -1 "$work/full.csv"; grep '^all,' "$work/full.csv" | sed 's/^all,/test,/';
  grep '^all,' "$work/full.csv"; } > "$work/want-tld.csv"
rep "$work/full.db" --by tld --csv | cmp -s - "$work/want-tld.csv"
tap $? "--by tld: one category, test, with the totals"
rep "$work/full.db" --by suffix --csv | cmp -s - "$work/want-tld.csv"
tap $? "--by suffix: test (the Public Suffix List's default rule)"
rep "$work/full.db" --by label > /dev/null 2>&1
[ $? = 64 ]
tap $? "--by with an unknown rule: usage error"
sqlite3 "$work/full.db" "SELECT domain FROM survey_domain" > "$work/nocat.txt"
# shellcheck disable=SC2086
"$inkan" survey run $res --db "$work/nocat.db" "$work/nocat.txt"
rep "$work/nocat.db" --csv | cmp -s - "$work/want-sld.csv"
tap $? "no category column: the default is --by sld"

# 5. --compare: the whole run against two of its shards changes by the third.
rep "$work/full.db" --compare "$work/s1.db" --compare "$work/s2.db" --csv \
    > "$work/cmp.csv" 2> "$work/cmp.err"
tap $? "report --compare S1 --compare S2 exits 0"
grep -q "1 of 3 shards missing" "$work/cmp.err"
tap $? "--compare checks its shards too"
rep "$work/s3.db" --csv > "$work/s3.csv" 2> /dev/null
/usr/bin/python3 - "$work/cmp.csv" "$work/s3.csv" "$work/full.csv" <<'PY'
import csv, sys
cmp = {(r["category"], r["measure"]): r for r in csv.DictReader(open(sys.argv[1]))}
s3 = {(r["category"], r["measure"]): r for r in csv.DictReader(open(sys.argv[2]))}
full = {(r["category"], r["measure"]): r for r in csv.DictReader(open(sys.argv[3]))}
assert set(cmp) == set(full), "categories"
for k, r in cmp.items():
    assert r["in"] == "both", k
    assert int(r["change_domains"]) == int(s3[k]["domains"]), (k, r, s3[k])
    assert int(r["change_domains_with_mx"]) == int(s3[k]["domains_with_mx"]), k
    assert int(r["domains"]) == int(full[k]["domains"]), k
    assert int(r["all"]) - int(r["other_all"]) == int(s3[k]["all"]), k
    for d, n, a in (("change_pct_all_pp", "domains", "all"),
                    ("change_pct_with_mx_pp", "domains_with_mx", "with_mx")):
        pc = 100.0 * int(r[n]) / int(r[a]) if int(r[a]) else 0.0
        po = 100.0 * int(r["other_" + n]) / int(r["other_" + a]) if int(r["other_" + a]) else 0.0
        assert abs(float(r[d]) - (pc - po)) < 0.006, (k, d, r[d], pc - po)
PY
tap $? "--compare: the change is the third shard's counts, and the pp of both denominators"
sqlite3 "$work/full.db" ".backup '$work/co.db'"
sqlite3 "$work/co.db" "DELETE FROM survey_domain WHERE category <> 'co'"
rep "$work/full.db" --compare "$work/co.db" --csv | cut -d, -f1,2 | sort -u > "$work/in.txt"
printf '%s\n' "ac,this" "all,both" "category,in" "co,both" "go,this" "ne,this" | cmp -s - "$work/in.txt"
tap $? "--compare: categories of one survey only are marked as such (csv)"
rep "$work/co.db" --compare "$work/full.db" > "$work/co.txt"
grep -q "^ac: only in the other survey; other survey: [0-9]* domains, [0-9]* with MX" "$work/co.txt" &&
    grep -q "^co: [0-9]* domains, [0-9]* with MX; other survey: [0-9]* domains, [0-9]* with MX" \
    "$work/co.txt"
tap $? "--compare text: both denominators of both surveys, and categories of one survey"
rep "$work/co.db" --compare "$work/full.db" --json | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
c = {x["category"]: x for x in j["categories"]}
assert "pct_all" in j["denominators"] and "pct_with_mx" in j["denominators"]
assert c["ac"]["in"] == "other" and c["ac"]["domains"] is None and c["ac"]["other"]["domains"] > 0
assert c["co"]["in"] == "both"
m = c["co"]["measures"]["mx"]
assert m["change"]["domains"] == 0 and m["domains"] == m["other"]["domains"]
a = c["all"]["measures"]["spf"]
assert a["change"]["domains"] == a["domains"] - a["other"]["domains"] < 0
'
tap $? "--compare --json: in, other, change; denominators stated"
rep "$work/co.db" --compare "$work/full.db" --markdown | grep -c "^| mx | " | grep -qx 5
tap $? "--compare --markdown: a table per category"

echo "1..$n"
