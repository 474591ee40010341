#!/usr/bin/python3
"""stsd_client.py - a small socketmap / tcp_table client for inkan-stsd tests.

  stsd_client.py sm ADDR NAME KEY...   one connection, one request per KEY
                                       (socketmap netstrings); prints each
                                       reply's text ("OK dane-only", "NOTFOUND ")
  stsd_client.py tt ADDR KEY...        tcp_table "get KEY"; prints "200 value"
                                       with the value %XX-decoded
  stsd_client.py raw ADDR BYTES        send BYTES (Python escapes: \\n, \\x00),
                                       print what comes back until the server
                                       closes or 2 s pass, repr()'d
  stsd_client.py hold ADDR N SECONDS   open N connections, hold them, print
                                       how many got an immediate reply
  stsd_client.py metrics ADDR          GET /metrics, print the body

ADDR is HOST:PORT or unix:PATH.  Exit 1 on a protocol error.
"""
import socket
import sys
import time
import urllib.parse


def connect(addr, timeout=30):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def read_netstring(s, buf):
    while b":" not in buf:
        d = s.recv(4096)
        if not d:
            raise EOFError("connection closed")
        buf += d
    n, rest = buf.split(b":", 1)
    n = int(n)
    while len(rest) < n + 1:
        d = s.recv(4096)
        if not d:
            raise EOFError("connection closed in a netstring")
        rest += d
    if rest[n:n + 1] != b",":
        raise ValueError("bad netstring terminator")
    return rest[:n], rest[n + 1:]


def read_line(s, buf):
    while b"\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise EOFError("connection closed")
        buf += d
    line, rest = buf.split(b"\n", 1)
    return line, rest


def main():
    mode, addr = sys.argv[1], sys.argv[2]
    if mode == "sm":
        name = sys.argv[3]
        s = connect(addr)
        buf = b""
        for key in sys.argv[4:]:
            req = ("%s %s" % (name, key)).encode()
            s.sendall(b"%d:%s," % (len(req), req))
            rep, buf = read_netstring(s, buf)
            print(rep.decode("utf-8", "replace"))
            sys.stdout.flush()
        s.close()
    elif mode == "tt":
        s = connect(addr)
        buf = b""
        for key in sys.argv[3:]:
            s.sendall(b"get " + urllib.parse.quote(key, safe="").encode() + b"\n")
            line, buf = read_line(s, buf)
            code, _, text = line.decode().partition(" ")
            print(code + " " + urllib.parse.unquote(text))
            sys.stdout.flush()
        s.close()
    elif mode == "raw":
        data = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
        s = connect(addr, timeout=2)
        s.sendall(data)
        got = b""
        try:
            while True:
                d = s.recv(4096)
                if not d:
                    got += b"<closed>"
                    break
                got += d
        except socket.timeout:
            pass
        print(repr(got))
    elif mode == "hold":
        n, secs = int(sys.argv[3]), float(sys.argv[4])
        socks = []
        for _ in range(n):
            socks.append(connect(addr))
        time.sleep(0.3)
        refused = 0
        for s in socks:
            s.setblocking(False)
            try:
                d = s.recv(4096)
                if d.startswith(b"31:TEMP too many") or d.startswith(b"400 too"):
                    refused += 1
            except BlockingIOError:
                pass
        print(refused)
        sys.stdout.flush()
        time.sleep(secs)
    elif mode == "metrics":
        s = connect(addr)
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        got = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        print(got.split(b"\r\n\r\n", 1)[1].decode())
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    try:
        main()
    except (EOFError, ValueError, OSError) as e:
        print("error: %s" % e)
        sys.exit(1)
