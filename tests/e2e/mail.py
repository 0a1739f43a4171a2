#!/usr/bin/python3
"""mail.py - read delivered mail the way a mail client does, with a MIME
parser that is not the milter's (Python's email package, policy.default).

  mail.py check FILE...          every defect of every part and header, as
                                 "# FILE: ..." lines; exit 1 if any.  Mail the
                                 list wrote (From LIST, see below) must have
                                 none; mail it passed on as the world wrote it
                                 may use the obsolete header syntax RFC 5322
                                 section 4 tells readers to accept
  mail.py part FILE NAME         the decoded content of the attachment NAME
  mail.py header FILE NAME       a header's value, decoded, unfolded
  mail.py select NAME VALUE FILE...
                                 the files whose header NAME is VALUE
  mail.py count SUBJECT MAILDIR...
                                 for each maildir, "COPIES IDS MAILDIR": how
                                 many of its messages (new/) have that exact
                                 Subject, and how many distinct Message-IDs
                                 they carry (one process for many mailboxes)
  mail.py tree FILE              the content types, one part a line, indented
  mail.py text FILE [N]          every text part (text/*, HTML aside) decoded,
                                 or the N-th one (from 0), in order
  mail.py payload FILE           the armoured OpenPGP message of a
                                 multipart/encrypted (RFC 3156) message
  mail.py decrypt FILE GNUPGHOME OUT
                                 decrypt the payload with that keyring:
                                 OUT.inner (the decrypted entity), OUT.status
                                 (gpg's status lines for signatures that
                                 cover the whole decrypted entity: the one
                                 made with the encryption, RFC 3156 section
                                 6.2, or a multipart/signed that is the
                                 entity itself, section 5), OUT.nested (those
                                 of each multipart/signed further down, as
                                 mutt shows them); exit 1 on failure, on a
                                 defect of the inner entity, and when no
                                 valid signature covers the whole of it:
                                 Thunderbird shows no signature then

Exit status 2 on usage errors.  Nothing here cuts text out of a file: every
value comes from the parsed structure.
"""
import email
import email.policy
import signal
import subprocess
import sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # "| head" is no error


def load(path):
    with open(path, 'rb') as fh:
        return email.message_from_binary_file(fh, policy=email.policy.default)


# The list's own address: what it writes must be clean to the letter.
LIST = 'predisclosure@lists.example.org'
WORLD_OK = ('ObsoleteHeaderDefect',)


def ours(msg):
    frm = msg.get('From')
    try:
        return frm is not None and any(a.addr_spec.lower() == LIST
                                       for a in frm.addresses)
    except Exception:
        return True


def defects(msg):
    """Every defect the parser found, in the structure and in the headers."""
    found = []
    strict = ours(msg)
    for i, part in enumerate(msg.walk()):
        where = 'part %d (%s)' % (i, part.get_content_type())
        for d in part.defects:
            found.append('%s: %s' % (where, d.__class__.__name__))
        for name, value in part.items():
            for d in getattr(value, 'defects', ()):
                if not strict and d.__class__.__name__ in WORLD_OK:
                    continue
                found.append('%s: header %s: %s' % (where, name,
                                                     d.__class__.__name__))
        if part.is_multipart() and part.get_boundary() is None:
            found.append('%s: multipart without a boundary' % where)
        if part.get_content_maintype() == 'multipart':
            b = part.get_boundary() or ''
            if b in ('', '(null)'):
                found.append('%s: bad boundary %r' % (where, b))
    return found


def raw_lines_too_long(path):
    with open(path, 'rb') as fh:
        return [n + 1 for n, line in enumerate(fh)
                if len(line.rstrip(b'\r\n')) > 998]


def cmd_check(paths):
    bad = 0
    for p in paths:
        try:
            msg = load(p)
        except Exception as e:      # an unreadable file is a defect too
            print('# %s: cannot be parsed: %s' % (p, e))
            bad += 1
            continue
        problems = defects(msg)
        if msg.get('Content-Type') is None and msg.get('MIME-Version'):
            problems.append('MIME-Version without Content-Type')
        for n in raw_lines_too_long(p):
            problems.append('line %d longer than 998 octets' % n)
        for pr in problems:
            print('# %s: %s' % (p, pr))
        bad += bool(problems)
    return 1 if bad else 0


def text_parts(msg):
    return [part for part in msg.walk()
            if part.get_content_maintype() == 'text'
            and part.get_content_type() != 'text/html'
            and not part.is_multipart()]


def cmd_text(path, n=None):
    parts = text_parts(load(path))
    if n is not None:
        if n >= len(parts):
            return 1
        parts = [parts[n]]
    for part in parts:
        sys.stdout.write(part.get_content())
    return 0


def cmd_tree(path):
    def walk(part, depth):
        extra = ''
        if part.get_param('protected-headers'):
            extra = ' protected-headers=%s' % part.get_param('protected-headers')
        print('%s%s%s' % ('  ' * depth, part.get_content_type(), extra))
        if part.is_multipart():
            for sub in part.iter_parts():
                walk(sub, depth + 1)
    walk(load(path), 0)
    return 0


def payload(msg):
    if msg.get_content_type() != 'multipart/encrypted':
        return None
    if msg.get_param('protocol') != 'application/pgp-encrypted':
        return None
    parts = list(msg.iter_parts())
    if len(parts) != 2 or parts[0].get_content_type() != 'application/pgp-encrypted':
        return None
    return parts[1].get_content()


def cmd_payload(path):
    data = payload(load(path))
    if data is None:
        print('# %s: not an RFC 3156 multipart/encrypted message' % path)
        return 1
    sys.stdout.buffer.write(data if isinstance(data, bytes) else data.encode())
    return 0


def cmd_decrypt(path, home, out):
    data = payload(load(path))
    if data is None:
        print('# %s: not an RFC 3156 multipart/encrypted message' % path)
        return 1
    if isinstance(data, str):
        data = data.encode()
    with open(out + '.asc', 'wb') as fh:
        fh.write(data)
    r = subprocess.run(['gpg', '--homedir', home, '--batch', '-q', '--yes',
                        '--status-file', out + '.status',
                        '--output', out + '.inner', '--decrypt', out + '.asc'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        print('# %s: gpg could not decrypt it with %s' % (path, home))
        return 1
    open(out + '.nested', 'wb').close()
    verify_signed(out + '.inner', home, out + '.status', out + '.nested')
    with open(out + '.status', 'rb') as fh:
        whole = any(line.startswith(b'[GNUPG:] VALIDSIG ') for line in fh)
    if not whole:
        print('# %s: no valid signature covers the whole decrypted entity '
              '(a client such as Thunderbird shows it unsigned)' % path)
        return 1
    return cmd_check([out + '.inner'])


def signed_bytes(raw, boundary):
    """The bytes a multipart/signed's signature covers: those between its
    first boundary line and the CRLF before the next (RFC 3156 section 5,
    RFC 2046), with CRLF line ends; None when they cannot be found."""
    b = ('--' + boundary).encode()
    start, nl = raw.find(b + b'\r\n'), b'\r\n'
    if start < 0:
        start, nl = raw.find(b + b'\n'), b'\n'
    if start < 0:
        return None
    start += len(b) + len(nl)
    end = raw.find(nl + b, start)
    return raw[start:end].replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')


def verify_signed(path, home, top_status, nested_status):
    """Verify every multipart/signed (protocol application/pgp-signature)
    of the entity in path as a client does; gpg's status lines go to
    top_status when the multipart/signed is the entity itself, else to
    nested_status."""
    with open(path, 'rb') as fh:
        raw = fh.read()
    top = load(path)
    for part in top.walk():
        if (part.get_content_type() != 'multipart/signed' or
                part.get_param('protocol') != 'application/pgp-signature'):
            continue
        kids = list(part.iter_parts())
        data = signed_bytes(raw, part.get_boundary())
        if data is None or len(kids) != 2:
            continue
        sig = kids[1].get_content()
        with open(path + '.signed', 'wb') as fh:
            fh.write(data)
        with open(path + '.sig', 'wb') as fh:
            fh.write(sig if isinstance(sig, bytes) else sig.encode())
        subprocess.run(['gpg', '--homedir', home, '--batch', '-q',
                        '--status-file', path + '.vstatus', '--verify',
                        path + '.sig', path + '.signed'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dest = top_status if part is top else nested_status
        with open(path + '.vstatus', 'rb') as fh, open(dest, 'ab') as out:
            out.write(fh.read())


def cmd_part(path, name):
    for p in load(path).walk():
        if p.get_filename() == name:
            data = p.get_content()
            sys.stdout.buffer.write(data if isinstance(data, bytes)
                                    else data.encode())
            return 0
    return 1


def cmd_header(path, name):
    v = load(path).get(name)
    if v is None:
        return 1
    print(str(v))
    return 0


def cmd_select(name, value, paths):
    for p in paths:
        v = load(p).get(name)
        if v is not None and str(v) == value:
            print(p)
    return 0


def cmd_count(subject, dirs):
    import os
    for d in dirs:
        n, ids = 0, set()
        new = os.path.join(d, 'new')
        for f in sorted(os.listdir(new)) if os.path.isdir(new) else []:
            m = load(os.path.join(new, f))
            if str(m.get('Subject')) == subject:
                n += 1
                ids.add(str(m.get('Message-ID')))
        print(n, len(ids), d)
    return 0


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == 'check':
        return cmd_check(args)
    if cmd == 'header' and len(args) == 2:
        return cmd_header(*args)
    if cmd == 'part' and len(args) == 2:
        return cmd_part(*args)
    if cmd == 'select' and len(args) >= 2:
        return cmd_select(args[0], args[1], args[2:])
    if cmd == 'count' and len(args) >= 1:
        return cmd_count(args[0], args[1:])
    if cmd == 'tree' and len(args) == 1:
        return cmd_tree(args[0])
    if cmd == 'text' and len(args) in (1, 2):
        return cmd_text(args[0], int(args[1]) if len(args) == 2 else None)
    if cmd == 'payload' and len(args) == 1:
        return cmd_payload(args[0])
    if cmd == 'decrypt' and len(args) == 3:
        return cmd_decrypt(*args)
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
