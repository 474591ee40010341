#!/usr/bin/python3
"""dnsproxy.py LISTEN_PORT SERVER_PORT MODE ARG - a tiny UDP DNS proxy on
127.0.0.1 for the survey tests and bench, in front of NSD.

MODE drop N:  the first N packets of every (qname, qtype) are dropped,
              later ones forwarded (a path that loses packets, made
              deterministic: a client needs N+1 tries for each query).
MODE delay MS: every answer is held MS milliseconds (a slow path).
Counts the packets it received; on SIGTERM writes "received N" and
"per_second C1,C2,..." (packets in each second of the run) to stdout.
"""
import asyncio
import signal
import socket
import sys

listen, server, mode, arg = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
seen = {}
received = 0


def question(pkt):
    # qname labels (lowercased) and qtype of the first question
    i, labels = 12, []
    while i < len(pkt) and pkt[i] != 0:
        n = pkt[i]
        labels.append(bytes(pkt[i + 1:i + 1 + n]).lower())
        i += 1 + n
    return b".".join(labels), pkt[i + 1:i + 3]


class Upstream(asyncio.DatagramProtocol):
    """One socket to the server; our own query IDs map answers back."""
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, _):
        key = data[:2]
        if key not in pending:
            return
        addr, orig = pending.pop(key)
        out = orig + data[2:]
        if mode == "delay":
            loop.call_later(arg / 1000.0, front.sendto, out, addr)
        else:
            front.sendto(out, addr)


class Front(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        global received, next_id
        received += 1
        sec = int(loop.time())
        per_second[sec] = per_second.get(sec, 0) + 1
        if len(data) < 12:
            return
        if mode == "drop":
            q = question(data)
            seen[q] = seen.get(q, 0) + 1
            if seen[q] <= arg:
                return
        next_id = (next_id + 1) & 0xFFFF
        key = next_id.to_bytes(2, "big")
        pending[key] = (addr, data[:2])
        up.sendto(key + data[2:])


pending = {}
per_second = {}
next_id = 0
def stop():
    print("received %d" % received, flush=True)
    if per_second:
        lo, hi = min(per_second), max(per_second)
        print("per_second %s" % ",".join(str(per_second.get(t, 0)) for t in range(lo, hi + 1)),
              flush=True)
    loop.stop()


loop = asyncio.new_event_loop()
front, _ = loop.run_until_complete(loop.create_datagram_endpoint(
    Front, local_addr=("127.0.0.1", listen)))
up, _ = loop.run_until_complete(loop.create_datagram_endpoint(
    Upstream, remote_addr=("127.0.0.1", server)))
# A burst of thousands of queries must not overflow the default ~200 KB
# receive buffers (that would be loss the test did not ask for).
for t in (front, up):
    sock = t.get_extra_info("socket")
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
loop.add_signal_handler(signal.SIGTERM, stop)
loop.run_forever()
