#!/usr/bin/env bash
# dns_wire_corpus.sh OUTDIR [PORT] - the seed corpus of fuzz_dns_wire:
# real answers of NSD (127.0.0.1:PORT, default 5386) for the generated
# survey zones plus a hand-made zone (CNAME chains, escapes in names,
# SOA, MX, TXT, TLSA, an oversize RRset), then malformed ones made from
# them (pointer loops, out-of-bounds pointers, long labels and names,
# cut packets).  Each file is 2 octets of qtype then the packet.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?OUTDIR}
port=${2:-5386}
W=$(mktemp -d)
. "$top/tests/env/nsd.sh"
cleanup() {
	[ -f "$W/nsd.pid" ] && kill "$(cat "$W/nsd.pid")" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/gen/zones" "$out"
/usr/bin/python3 "$top/tests/integration/survey/gen.py" 40 "$W/gen" 11 >/dev/null
for f in "$W"/gen/zones/*.zone; do
	z=$(basename "$f" .zone)
	sed -i "1i $z. 3600 IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 300\n$z. 3600 IN NS ns.$z." "$f"
done
{
	echo '$TTL 600'
	echo 'w.test. SOA ns.w.test. h\.m.w.test. 1 3600 600 86400 120'
	echo 'w.test. NS ns.w.test.'
	echo 'ns.w.test. A 127.0.0.1'
	echo 'c1.w.test. 300 CNAME c2.w.test.'
	echo 'c2.w.test. 200 CNAME Target.W.test.'
	echo 'target.w.test. 400 TXT "v=spf1 -all" "second"'
	echo 'target.w.test. MX 10 mx.w.test.'
	echo 'target.w.test. MX 0 .'
	echo 'odd.w.test. CNAME a\.b\;c\(d\)e\\f\032g\255.w.test.'
	echo 'a\.b\;c\(d\)e\\f\032g\255.w.test. A 192.0.2.1'
	echo '_25._tcp.mx.w.test. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
	echo 'mx.w.test. AAAA 2001:db8::1'
	for i in $(seq 1 40); do echo "many.w.test. A 10.0.0.$i"; done
	echo 'loop1.w.test. CNAME loop2.w.test.'
	echo 'loop2.w.test. CNAME loop1.w.test.'
	echo 'ptr.w.test. PTR target.w.test.'
	echo 'srv.w.test. SRV 1 2 25 mx.w.test.'
} > "$W/gen/zones/w.test.zone"
{
	nsd_server_conf "$W/gen/zones" "$W" "$port" | sed '/^remote-control:/,$d'
	printf '\trrl-ratelimit: 0\nremote-control:\n\tcontrol-enable: no\n'
	for f in "$W"/gen/zones/*.zone; do
		z=$(basename "$f" .zone)
		printf 'zone:\n\tname: %s\n\tzonefile: %s.zone\n' "$z" "$z"
	done
} > "$W/nsd.conf"
setsid nsd -d -c "$W/nsd.conf" >> "$W/nsd.log" 2>&1 &
echo $! > "$W/nsd.pid"
for _ in $(seq 1 200); do
	ss -lnu | grep -q "127.0.0.1:$port " && break
	sleep 0.05
done
/usr/bin/python3 - "$W/gen/domains.txt" "$out" "$port" <<'PY'
import os, socket, struct, sys
doms, out, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = [l.split()[0] for l in open(doms) if l.strip()][:40]
qs = []
for d in names:
    for t, n in ((15, d), (16, d), (16, '_dmarc.' + d), (16, 'default._domainkey.' + d),
                 (1, 'mx.' + d), (52, '_25._tcp.mx.' + d)):
        qs.append((t, n))
for t, n in ((16, 'c1.w.test'), (15, 'c1.w.test'), (5, 'c1.w.test'), (1, 'odd.w.test'),
             (6, 'w.test'), (2, 'w.test'), (1, 'many.w.test'), (1, 'loop1.w.test'),
             (12, 'ptr.w.test'), (33, 'srv.w.test'), (28, 'mx.w.test'), (255, 'target.w.test'),
             (52, '_25._tcp.mx.w.test'), (16, 'nope.w.test'), (16, 'nope.invalid'),
             (16, 'TARGET.w.TEST')):
    qs.append((t, n))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(('127.0.0.1', port))
def q(i, t, n):
    w = struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 1)
    for l in n.split('.'):
        w += bytes([len(l)]) + l.encode()
    return w + b'\0' + struct.pack('>HH', t, 1) + b'\0\0\x29\x04\xd0' + b'\0' * 6
real = []
for i, (t, n) in enumerate(qs):
    s.send(q(i, t, n))
    a = s.recv(4096)
    real.append((t, a))
    open(os.path.join(out, 'real-%03d' % i), 'wb').write(struct.pack('>H', t) + a)
# malformed variants of a CNAME chain answer and a TXT answer
def put(name, t, b):
    open(os.path.join(out, name), 'wb').write(struct.pack('>H', t) + bytes(b))
t0, a0 = real[-16]          # TXT at c1.w.test
hdr = bytearray(a0[:12])
# question name as a pointer to itself (loop)
put('bad-qloop', 16, hdr + b'\xc0\x0c' + b'\0\x10\0\x01')
# pointer to offset 0, pointer past the end
put('bad-ptr0', 16, hdr + b'\xc0\x00\0\x10\0\x01')
put('bad-ptrout', 16, hdr + b'\xc3\xff\0\x10\0\x01')
# a two-pointer loop in the answer owner
b = bytearray(a0)
qe = 12 + a0[12:].index(0) + 5
b[6:8] = b'\0\x01'; b[8:12] = b'\0\0\0\0'
b = b[:qe] + b'\xc0' + bytes([qe + 2]) + b'\xc0' + bytes([qe]) + b'\0\x10\0\x01\0\0\0\x3c\0\x01\0'
put('bad-loop2', 16, b)
# label 64, label types 0x40 and 0x80
put('bad-label64', 16, hdr[:4] + b'\0\x01\0\0\0\0\0\0' + b'\x40' + b'a' * 64 + b'\0\0\x10\0\x01')
put('bad-label80', 16, hdr[:4] + b'\0\x01\0\0\0\0\0\0' + b'\x80a\0\0\x10\0\x01')
# a name of 256 octets (4 x 63 + 4 + root), and one of exactly 255
put('bad-name256', 16, hdr[:4] + b'\0\x01\0\0\0\0\0\0' + (b'\x3f' + b'a' * 63) * 4 + b'\x03abc\0' + b'\0\x10\0\x01')
put('ok-name255', 16, hdr[:4] + b'\0\x01\0\0\0\0\0\0' + (b'\x3f' + b'a' * 63) * 3 + b'\x3d' + b'b' * 61 + b'\0' + b'\0\x10\0\x01')
# cut answers: every 7th length of a few real ones
for j, (t, a) in enumerate(real[-16:-10]):
    for k in range(12, len(a), 7):
        put('cut-%d-%d' % (j, k), t, a[:k])
# rdlength longer and shorter than the fields (ldns reads the fields)
for j, (t, a) in enumerate(real[-16:-12]):
    for d in (-1, 1, 3):
        b = bytearray(a)
        p = qe
        # first answer record: owner pointer (2) type class ttl, rdlength
        if len(b) > p + 12:
            rl = (b[p + 10] << 8 | b[p + 11]) + d
            if 0 <= rl < 65536:
                b[p + 10:p + 12] = struct.pack('>H', rl)
                put('rdlen-%d-%d' % (j, d), t, b)
# rcodes
for rc in (1, 2, 3, 4, 5, 9, 15):
    b = bytearray(a0); b[3] = (b[3] & 0xf0) | rc
    put('rcode-%d' % rc, 16, b)
# two questions, no question
b = bytearray(a0); b[5] = 2; put('qd2', 16, b)
b = bytearray(a0); b[5] = 0; put('qd0', 16, b)
PY
echo "$(ls "$out" | wc -l) files in $out"
