#!/usr/bin/env python3
"""cycles.py - no circle between files ("make cycles"; doc/ARCHITECTURE.md).

    python3 mk/cycles.py OBJ... [-- OBJ...]...

Each group of objects (split by --) is one program's.  In a group, file A
uses file B when A leaves undefined a symbol B defines (nm -u, nm
--defined-only); a file's name is its object's path without the build
folder, .o made .c (build/outbox/fanout.o is outbox/fanout.c).  Prints
every circle of uses between files, with the symbols that make each
step, and exits 1 if there is any; within a room and across rooms alike.
"""

import subprocess
import sys

MAX_CIRCLES = 200       # per knot; past that, the count only


def nm(objs, *opts):
    """(object, symbol) for each line of nm -A OPTS over objs"""
    out = subprocess.run(["nm", "-A", *opts, *objs], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        head, _, rest = line.partition(": ")
        if not rest:
            head, _, rest = line.partition(":")
        fields = rest.split()
        if fields:
            yield head, fields[-1]


def name(obj):
    """build/outbox/fanout.o -> outbox/fanout.c"""
    parts = obj.split("/")
    return "/".join(parts[1:] if len(parts) > 1 else parts)[:-2] + ".c"


def uses(group):
    """{file: {file it uses: [symbols]}} for one program's objects"""
    owner = {}
    for obj, sym in nm(group, "-g", "--defined-only"):
        owner.setdefault(sym, set()).add(name(obj))
    edges = {name(o): {} for o in group}
    for obj, sym in nm(group, "-u"):
        a = name(obj)
        for b in owner.get(sym, ()):
            if b != a:
                edges[a].setdefault(b, []).append(sym)
    return edges


def knots(edges):
    """the strongly connected sets of more than one file (Tarjan)"""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        # iterative, so that a long chain of files cannot overflow Python
        work = [(v, iter(sorted(edges[v])))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        while work:
            u, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on:
                    low[u] = min(low[u], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[u])
                if low[u] == index[u]:
                    knot = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        knot.append(w)
                        if w == u:
                            break
                    if len(knot) > 1:
                        found.append(sorted(knot))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def circles(edges, knot):
    """every elementary circle inside one knot, each from its least file"""
    inside = set(knot)
    for start in knot:
        path = [start]
        todo = [iter(sorted(w for w in edges[start]
                            if w in inside and w >= start))]
        while todo:
            w = next(todo[-1], None)
            if w is None:
                todo.pop()
                path.pop()
            elif w == start:
                yield list(path)
            elif w not in path:
                path.append(w)
                todo.append(iter(sorted(x for x in edges[w]
                                        if x in inside and x >= start)))


def main(argv):
    groups, cur = [], []
    for a in argv:
        if a == "--":
            groups.append(cur)
            cur = []
        else:
            cur.append(a)
    groups.append(cur)
    edges = {}
    for g in groups:
        if not g:
            continue
        for a, bs in uses(g).items():
            mine = edges.setdefault(a, {})
            for b, syms in bs.items():
                mine[b] = sorted(set(mine.get(b, [])) | set(syms))
    found = knots(edges)
    total = 0
    for knot in found:
        print("files that use each other: " + " ".join(knot))
        n = 0
        for c in circles(edges, knot):
            n += 1
            if n > MAX_CIRCLES:
                continue
            print("  circle: " + " -> ".join(c + c[:1]))
            for a, b in zip(c, c[1:] + c[:1]):
                print(f"    {a} uses {', '.join(edges[a][b])} of {b}")
        if n > MAX_CIRCLES:
            print(f"  ... {n} circles in all")
        total += n
    if found:
        print(f"{total} circle(s) between files (doc/ARCHITECTURE.md: a "
              "file never uses, even through others, a file that uses it)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
