#!/usr/bin/python3
"""report_dom - read the DOM a browser built of a reviewer's page
(chromium --dump-dom) and say what it shows, against embargoctl's own
JSON report and audit log, read independently of the page.

usage: report_dom.py DOM REPORT.json AUDIT.jsonl
Prints one line per finding, "ok: ..." or "FAIL: ...", and exits 1 on
any failure.  The page's picture must carry: one copy mark per copy sent
to each member and participant, the embargo line at the date (its x where
the axis puts that time), a date move labelled with who moved it for
every date move of the audit log, and a text alternative.
"""
import datetime
import html.parser
import json
import sys


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.els = [], []

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": list(self.stack)}
        self.els.append(el)
        if tag not in ("line", "circle", "polygon", "rect", "path", "meta", "br"):
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.els.append({"tag": tag, "attrs": dict(attrs), "text": "", "parents": list(self.stack)})

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data


def epoch(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def main():
    dom = Dom()
    dom.feed(open(sys.argv[1], encoding="utf-8").read())
    rep = json.load(open(sys.argv[2]))
    audit = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
    fails = 0

    def say(ok, what):
        nonlocal fails
        print(("ok: " if ok else "FAIL: ") + what)
        fails += not ok

    cls = lambda e: e["attrs"].get("class", "").split()
    svgs = [e for e in dom.els if e["tag"] == "svg"]
    say(len(svgs) == 1, "one picture (svg) on the page")
    svg = svgs[0]
    say(svg["attrs"].get("role") == "img" and
        any(e["tag"] == "desc" and e["text"].strip() for e in dom.els),
        "the picture has a text alternative (role img, desc)")
    sent = {}
    for c in rep["copies"]:
        if c["state"] == "sent":
            sent[c["address"]] = sent.get(c["address"], 0) + 1
    marks = {}
    for e in dom.els:
        if "copy" in cls(e):
            a = e["attrs"]["data-rcpt"]
            marks[a] = marks.get(a, 0) + 1
    for a, n in sorted(sent.items()):
        say(marks.get(a, 0) == n, f"{a}: {marks.get(a, 0)} copy marks for {n} copies sent")
    say(set(marks) == set(sent), "no copy mark for an address with no copy sent")
    t0, t1 = int(svg["attrs"]["data-t0"]), int(svg["attrs"]["data-t1"])
    x0, x1 = float(svg["attrs"]["data-x0"]), float(svg["attrs"]["data-x1"])
    lines = [e for e in dom.els if "embargo-line" in cls(e)]
    say(len(lines) == 1, "one embargo line")
    if lines and rep["embargo"]:
        ln = lines[0]["attrs"]
        t = epoch(rep["embargo"])
        want = x0 + (x1 - x0) * (t - t0) / (t1 - t0)
        say(ln["data-time"] == rep["embargo"], f"the embargo line is at the date {rep['embargo']}")
        say(abs(float(ln["x1"]) - want) < 0.6 and ln["x1"] == ln["x2"],
            f"... across the picture at x {ln['x1']} (the axis puts the date at {want:.1f})")
    moves = [r for r in audit if r["event"] in ("embargo-set", "embargo-changed")]
    shown = [e for e in dom.els if "date-move" in cls(e)]
    say(len(shown) == len(moves), f"{len(shown)} date-move marks for {len(moves)} date moves in the audit log")
    for r in moves:
        who = r["sender"] or "the release timer"
        say(any(e["attrs"].get("data-by") == who and f"by {who}" in e["text"] for e in shown),
            f"the move of seq {r['seq']} is labelled 'by {who}'")
    say(any(e["attrs"].get("id") == "chain" and "verified" in e["text"] for e in dom.els) == rep["chain_ok"],
        "the page says what audit verify says of the chain")
    say(any(e["tag"] == "td" and e["text"].strip() == rep["chain_head"].split(":")[1] for e in dom.els) or
        rep["chain_head"].split(":")[1] in "".join(e["text"] for e in dom.els if e["attrs"].get("id") == "chain"),
        "the page gives the audit head")
    sys.exit(1 if fails else 0)


main()
