#!/usr/bin/python3
"""packets.py - the outer OpenPGP packets of an armoured message, read by
a parser that is neither gpg's nor Sequoia's (RFC 9580 section 4.2: old
and new packet headers, partial body lengths).

  packets.py FILE     one line per top-level packet: its tag, its name,
                      its version octet ("PKESK v3", "SEIPD v1"); exit 0
                      when the message is what every reader in the
                      members' hands reads (gpg 2.2 and 2.4, Sequoia,
                      Thunderbird's RNP): one or more version 3 PKESKs,
                      then one version 1 SEIPD (integrity protected, MDC),
                      and nothing else; exit 1 otherwise, saying why

Exit status 2 on usage errors or a file that is not an armoured message.
"""
import base64
import sys

NAMES = {1: 'PKESK', 2: 'signature', 3: 'SKESK', 4: 'one-pass signature',
         8: 'compressed data', 9: 'SED (no integrity)', 11: 'literal data',
         18: 'SEIPD', 20: 'OCB encrypted data (LibrePGP)'}


def dearmor(text):
    lines = text.replace('\r', '').split('\n')
    try:
        start = lines.index('-----BEGIN PGP MESSAGE-----')
        end = lines.index('-----END PGP MESSAGE-----', start)
    except ValueError:
        return None
    body = lines[start + 1:end]
    while body and body[0] != '':          # armour headers, then a blank
        body.pop(0)
    data = ''.join(ln for ln in body if ln and not ln.startswith('='))
    return base64.b64decode(data)


def new_length(b, i):
    """(length, next index, partial) of a new-format length at b[i]."""
    o = b[i]
    if o < 192:
        return o, i + 1, False
    if o < 224:
        return ((o - 192) << 8) + b[i + 1] + 192, i + 2, False
    if o == 255:
        return int.from_bytes(b[i + 1:i + 5], 'big'), i + 5, False
    return 1 << (o & 0x1f), i + 1, True


def packets(b):
    """[(tag, first body octet)] of the top-level packets of b."""
    out, i = [], 0
    while i < len(b):
        h = b[i]
        if not h & 0x80:
            raise ValueError('octet %d is no packet header' % i)
        if h & 0x40:
            tag, i = h & 0x3f, i + 1
            n, i, partial = new_length(b, i)
            first, total = (b[i] if n else None), n
            i += n
            while partial:
                n, i, partial = new_length(b, i)
                total += n
                i += n
        else:
            tag, lt, i = (h >> 2) & 0x0f, h & 3, i + 1
            if lt == 3:
                raise ValueError('indeterminate old-format length')
            w = (1, 2, 4)[lt]
            n, i = int.from_bytes(b[i:i + w], 'big'), i + w
            first = b[i] if n else None
            i += n
        if i > len(b):
            raise ValueError('packet %d runs past the end' % tag)
        out.append((tag, first))
    return out


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding='ascii', errors='replace') as fh:
        b = dearmor(fh.read())
    if b is None:
        print('# %s: no armoured OpenPGP message' % argv[1])
        return 2
    try:
        ps = packets(b)
    except (ValueError, IndexError) as e:
        print('# %s: %s' % (argv[1], e))
        return 1
    for tag, first in ps:
        print('%s v%s (tag %d)' % (NAMES.get(tag, 'packet'), first, tag))
    tags = [t for t, _ in ps]
    if not ps or tags[-1] != 18 or ps[-1][1] != 1:
        print('# the encrypted data is not a version 1 SEIPD')
        return 1
    if any(t != 1 or v != 3 for t, v in ps[:-1]):
        print('# a packet before it is not a version 3 PKESK')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
