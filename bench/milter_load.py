"""milter_load.py - SMTP load for bench/milter_load.sh.

Usage: milter_load.py PORT MSGDIR TAG TOTAL SESSIONS SOURCE-IP OUT.json

SESSIONS threads each open one SMTP session to 127.0.0.1:PORT from
SOURCE-IP and send their share of TOTAL messages on it, one after the
other (MAIL, RCPT, DATA; the connection is reused, as an MTA relaying a
queue does).  Messages are the files of MSGDIR taken in turn, each with
"X-Bench: TAG-N" put on top (not signed, so signatures stay valid): the
mailbox is then counted per run.  The latency of a message is from
MAIL FROM to the reply after the final dot.  A 4xx is retried (at most
5 times, on a new connection); a 5xx is counted and not retried.

Writes OUT.json: sent, accepted, rejected, tempfailed, failed, wall time,
throughput, latency p50/p90/p99/max in milliseconds.
"""
import json
import os
import smtplib
import sys
import threading
import time

port, msgdir, tag, total, sessions, src, out = sys.argv[1:8]
port, total, sessions = int(port), int(total), int(sessions)
files = sorted(os.listdir(msgdir))
bodies = [open(os.path.join(msgdir, f), "rb").read() for f in files]
lock = threading.Lock()
lat = []
counts = {"accepted": 0, "rejected": 0, "tempfailed": 0, "failed": 0, "retries": 0}


def connect():
    s = smtplib.SMTP("127.0.0.1", port, source_address=(src, 0), timeout=120)
    s.ehlo("mail.good.test")
    return s


def worker(wid):
    mine = [i for i in range(total) if i % sessions == wid]
    s = None
    my_lat = []
    c = dict.fromkeys(counts, 0)
    for i in mine:
        body = bodies[i % len(bodies)]
        msg = b"X-Bench: %s-%d\r\n" % (tag.encode(), i) + body
        sender = b"alice@good.test" if b"From: Alice <alice@good.test>" in body else b"x@other.test"
        for attempt in range(6):
            try:
                if s is None:
                    s = connect()
                t0 = time.perf_counter()
                s.sendmail(sender.decode(), ["bob@inkan.test"], msg)
                my_lat.append((time.perf_counter() - t0) * 1000.0)
                c["accepted"] += 1
                break
            except smtplib.SMTPResponseException as e:
                code = e.smtp_code
                if isinstance(e, smtplib.SMTPRecipientsRefused):
                    code = list(e.recipients.values())[0][0]
                if 500 <= code < 600:
                    c["rejected"] += 1
                    try:
                        s.rset()
                    except Exception:
                        s = None
                    break
                c["retries"] += 1
                try:
                    s.quit()
                except Exception:
                    pass
                s = None
                time.sleep(0.2)
            except (smtplib.SMTPException, OSError):
                c["retries"] += 1
                s = None
                time.sleep(0.2)
        else:
            c["failed"] += 1
    if s is not None:
        try:
            s.quit()
        except Exception:
            pass
    with lock:
        lat.extend(my_lat)
        for k in c:
            counts[k] += c[k]


t0 = time.time()
threads = [threading.Thread(target=worker, args=(w,)) for w in range(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.time() - t0
lat.sort()


def pct(p):
    if not lat:
        return None
    return round(lat[min(len(lat) - 1, int(len(lat) * p / 100.0))], 2)


res = dict(counts, sent=total, sessions=sessions, wall_s=round(wall, 2),
           msgs_per_s=round(counts["accepted"] / wall, 1) if wall else None,
           p50_ms=pct(50), p90_ms=pct(90), p99_ms=pct(99),
           max_ms=round(lat[-1], 2) if lat else None)
json.dump(res, open(out, "w"))
print(json.dumps(res))
