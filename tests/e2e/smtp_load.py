#!/usr/bin/env python3
"""smtp_load.py HOST PORT FROM TO FILE N: N SMTP sessions at once, each
sending FILE; prints one line "CODE COUNT" per final reply code seen (a
session that failed before its reply counts as "error")."""
import smtplib, sys, threading, collections

host, port, sender, rcpt, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
data = open(path, "rb").read()
start = threading.Barrier(n)
codes = collections.Counter()
lock = threading.Lock()

def session():
    code = "error"
    try:
        s = smtplib.SMTP(host, port, timeout=600)
        s.ehlo("load.example")
        start.wait(timeout=120)
        s.mail(sender)
        s.rcpt(rcpt)
        code, _ = s.data(data)
        s.quit()
    except smtplib.SMTPResponseException as e:
        code = e.smtp_code
    except Exception:
        pass
    with lock:
        codes[code] += 1

threads = [threading.Thread(target=session) for _ in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for code, count in sorted(codes.items(), key=str):
    print(code, count)
