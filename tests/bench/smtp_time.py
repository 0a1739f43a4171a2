#!/usr/bin/env python3
"""smtp_time.py HOST PORT FROM TO FILE: seconds from the end of DATA to the server's reply."""
import smtplib, sys, time

host, port, sender, rcpt, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
data = open(path, "rb").read()
s = smtplib.SMTP(host, port, timeout=600)
s.ehlo("bench.example")
s.mail(sender)
s.rcpt(rcpt)
code, _ = s.docmd("DATA")
assert code == 354, code
body = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
body = b"\r\n".join((b"." + l if l.startswith(b".") else l) for l in body.split(b"\r\n"))
if not body.endswith(b"\r\n"):
    body += b"\r\n"
s.send(body)
t0 = time.monotonic()
s.send(b".\r\n")
code, msg = s.getreply()
t1 = time.monotonic()
s.quit()
print(f"{t1 - t0:.4f} {code}")
