#!/usr/bin/python3
"""wait_log.py FILE OFFSET REGEX COUNT TIMEOUT: wait until FILE, from byte
OFFSET on, holds COUNT lines matching REGEX; print the epoch time (with
fraction) when it did, and the count.  One cheap process polling every
20 ms: a shell loop of tail and grep took a sixth of the 2-core machine
during a fan-out, which the copies then waited for."""
import re
import sys
import time

path, off, rx, want, timeout = (sys.argv[1], int(sys.argv[2]),
                                re.compile(sys.argv[3].encode()),
                                int(sys.argv[4]), float(sys.argv[5]))
got, rest, end = 0, b'', time.time() + timeout
with open(path, 'rb') as fh:
    fh.seek(off)
    while True:
        data = fh.read()
        if data:
            lines = (rest + data).split(b'\n')
            rest = lines.pop()
            got += sum(1 for l in lines if rx.search(l))
        if got >= want or time.time() > end:
            break
        time.sleep(0.02)
print('%.3f %d' % (time.time(), got))
