#!/usr/bin/env python3
"""join-breakdown.py — where the join time goes, from a consult-bench trace.

    CG_BENCH_TRACE=1 consult-bench --consults 1 ... 2>trace.txt
    tools/bench/join-breakdown.py trace.txt

For every receiver/publisher pair (a subscribe connection), each milestone is
taken relative to the later of the two joins (what consult-bench's join time
is measured from); prints the median and max over the pairs, in ms.
"""
import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(r"trace ([\d.]+) ep=(\d+) pc=(\S+) (.*)")

def load(path):
    ev = defaultdict(dict)  # (ep, pc) -> what -> first time
    src = {}                # (ep, pc) -> publisher ep
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        t, ep, pc, what = float(m[1]), int(m[2]), m[3], m[4].strip()
        f = re.match(r"remote-(offer|answer) from=(-?\d+)", what)
        if f:
            if f[1] == "offer":
                src[(ep, pc)] = int(f[2])
            what = "remote-" + f[1]
        what = re.sub(r" pt=\d+", "", what)
        ev[(ep, pc)].setdefault(what, t)
    return ev, src

def main():
    ev, src = load(sys.argv[1])
    def first(ep, pc, *names):
        d = ev.get((ep, pc), {})
        ts = [d[n] for n in names if n in d]
        return min(ts) if ts else None
    def join(ep):
        return first(ep, "-", "send join", "send attach")
    rows = [
        ("publisher: join reply (joined)", lambda r, p, pc: first(p, "-", "recv joined") or first(p, "pub", "recv joined")),
        ("publisher: offer sent", lambda r, p, pc: first(p, "pub", "local-offer")),
        ("publisher: server's answer received", lambda r, p, pc: first(p, "pub", "remote-answer")),
        ("publisher: ICE connected", lambda r, p, pc: first(p, "pub", "ice-connection-state=connected", "ice-connection-state=completed")),
        ("publisher: DTLS connected", lambda r, p, pc: first(p, "pub", "connection-state=connected")),
        ("receiver: server's offer received", lambda r, p, pc: first(r, pc, "remote-offer")),
        ("receiver: answer sent", lambda r, p, pc: first(r, pc, "local-answer")),
        ("receiver: ICE connected", lambda r, p, pc: first(r, pc, "ice-connection-state=connected", "ice-connection-state=completed")),
        ("receiver: DTLS connected", lambda r, p, pc: first(r, pc, "connection-state=connected")),
        ("receiver: first RTP packet", lambda r, p, pc: first(r, pc, "first-rtp")),
    ]
    pairs = [(r, src[(r, pc)], pc) for (r, pc) in ev if pc != "pub" and pc != "-" and (r, pc) in src]
    print(f"{len(pairs)} receiver/publisher pairs; ms after the later of the two joins\n")
    print("| milestone | median ms | max ms |")
    print("|---|---:|---:|")
    for name, fn in rows:
        vals = []
        for r, p, pc in pairs:
            j = max(join(r) or 0, join(p) or 0)
            t = fn(r, p, pc)
            if t is not None:
                vals.append(t - j)
        if vals:
            print(f"| {name} | {statistics.median(vals):.0f} | {max(vals):.0f} |")
        else:
            print(f"| {name} | - | - |")

if __name__ == "__main__":
    main()
