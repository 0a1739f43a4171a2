#!/usr/bin/env python3
"""smtp_load.py HOST PORT FROM TO FILE N: N SMTP sessions at once, each
sending FILE; prints one line "CODE COUNT" per final reply code (a session
that failed before its reply counts as "error"), then "# first CODE COUNT"
lines for the first replies.  A session answered 4xx, or that failed
(its 600 s wait for the reply ran out on a busy machine), is tried again
like an MTA would, up to 3 times in all: its final reply is the one
counted."""
import smtplib, sys, threading, collections, time

host, port, sender, rcpt, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
TRIES = 3
data = open(path, "rb").read()
start = threading.Barrier(n)
codes = collections.Counter()
first = collections.Counter()
lock = threading.Lock()

def attempt(together):
    code = "error"
    try:
        s = smtplib.SMTP(host, port, timeout=600)
        s.ehlo("load.example")
        if together:
            start.wait(timeout=120)
        s.mail(sender)
        s.rcpt(rcpt)
        code, _ = s.data(data)
        s.quit()
    except smtplib.SMTPResponseException as e:
        code = e.smtp_code
    except Exception:
        pass
    return code

def session():
    code = attempt(True)
    with lock:
        first[code] += 1
    for _ in range(TRIES - 1):
        if code != "error" and not 400 <= code < 500:
            break
        time.sleep(1)
        code = attempt(False)
    with lock:
        codes[code] += 1

threads = [threading.Thread(target=session) for _ in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for code, count in sorted(codes.items(), key=str):
    print(code, count)
for code, count in sorted(first.items(), key=str):
    print("# first", code, count)
