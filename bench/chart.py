#!/usr/bin/env python3
"""Draw the peer ratios of a JMH run as an SVG (standard library only).

Usage:
    python3 bench/chart.py RESULT.json [MORE.json ...] [--footprint FOOTPRINT.json]
                           [-o docs/benchmarks-peers.svg] [--title TEXT]

RESULT.json is JMH's JSON output (java -jar bench/target/benchmarks.jar ... -rf json -rff
RESULT.json). Every benchmark of a class in dev.stator.bench.peers is compared with the
`stator` method of the same class and parameters: for time per op (avgt) the ratio is
peer / Stator, for throughput (thrpt) it is Stator / peer, so in both cases a ratio above 1
means the peer is that many times slower (or, for throughput, lower) than Stator, and below 1
means the peer is ahead. FOOTPRINT.json (written by PeerFootprint --json) adds retained bytes
per instance. The bars are on a log scale. The script also prints the ratios as a Markdown
table on standard output.
"""

import argparse
import html
import json
import math
import sys

WORKLOADS = [
    ("ToggleBenchmark", "1. toggle, 1 thread (time/op)"),
    ("LifecycleBenchmark", "2. lifecycle, guard + actions (time/op)"),
    ("LifecycleCreateBenchmark", "3. create a lifecycle instance (time)"),
    ("footprint", "3. retained bytes per instance (JOL)"),
    ("SharedToggleBenchmark", "4. toggle, 4 threads, one machine (ops/s)"),
]
ORDER = ["floorSwitchLock", "floorBitsetLock", "stateless4j", "squirrel", "spring"]
LABELS = {
    "floorSwitchLock": "floor: enum + switch + lock",
    "floorBitsetLock": "floor: lock + bitset + clocks",
    "stateless4j": "stateless4j 2.6.0",
    "squirrel": "squirrel-foundation 0.3.10",
    "spring": "Spring Statemachine 4.0.2",
}
COLORS = {
    "floorSwitchLock": "#9e9e9e",
    "floorBitsetLock": "#bdbdbd",
    "stateless4j": "#4e79a7",
    "squirrel": "#f28e2b",
    "spring": "#59a14f",
}


def load_jmh(paths):
    """{(class, params): {method: (score, error, unit, mode, alloc)}} for peers benchmarks."""
    out = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for r in json.load(f):
                name = r["benchmark"]
                if ".peers." not in name:
                    continue
                cls, method = name.rsplit(".", 1)
                cls = cls.rsplit(".", 1)[1]
                key = (cls, tuple(sorted((r.get("params") or {}).items())))
                pm = r["primaryMetric"]
                alloc = (r.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm")
                out.setdefault(key, {})[method] = {
                    "score": pm["score"],
                    "error": pm.get("scoreError"),
                    "unit": pm["scoreUnit"],
                    "mode": r["mode"],
                    "alloc": alloc["score"] if alloc else None,
                }
    return out


def ratios(jmh, footprint):
    """[(workload label, [(impl, ratio, text)])]."""
    groups = []
    for cls, label in WORKLOADS:
        if cls == "footprint":
            if not footprint:
                continue
            by = {row["impl"]: row for row in footprint}
            if "stator" not in by:
                continue
            base = by["stator"]["jolBytes"]
            rows = []
            for impl in ORDER:
                if impl in by:
                    b = by[impl]["jolBytes"]
                    rows.append((impl, b / base, "%s (%d B vs %d B)" % (times(b / base), b, base)))
            groups.append((label, rows))
            continue
        for (c, params), methods in sorted(jmh.items()):
            if c != cls or "stator" not in methods:
                continue
            base = methods["stator"]
            rows = []
            for impl in ORDER:
                m = methods.get(impl)
                if not m:
                    continue
                if m["mode"] == "thrpt":
                    r = base["score"] / m["score"]
                    text = "%s (%s vs %s ops/s)" % (times(r), fmt(m["score"]), fmt(base["score"]))
                else:
                    r = m["score"] / base["score"]
                    text = "%s (%s vs %s %s)" % (times(r), fmt(m["score"]), fmt(base["score"]),
                                                 m["unit"])
                rows.append((impl, r, text))
            suffix = "" if not params else " " + ", ".join("%s=%s" % p for p in params)
            groups.append((label + suffix, rows))
    return groups


def times(r):
    return ("%.0f×" % r) if r >= 100 else ("%.3g×" % r)


def fmt(x):
    if x >= 1e6:
        return "%.3gM" % (x / 1e6)
    if x >= 1e4:
        return "%.3gk" % (x / 1e3)
    if x >= 100:
        return "%.0f" % x
    return "%.3g" % x


def svg(groups, title):
    left, width, bar, gap, head = 230, 560, 16, 6, 24
    lo, hi = 0.1, 10000.0
    for _, rows in groups:
        for _, r, _ in rows:
            lo = min(lo, 10 ** math.floor(math.log10(r)))
            hi = max(hi, 10 ** math.ceil(math.log10(r)))
    span = math.log10(hi) - math.log10(lo)

    def x(v):
        return left + width * (math.log10(v) - math.log10(lo)) / span

    height = 60 + sum(head + len(rows) * (bar + gap) + 10 for _, rows in groups) + 40
    total_w = left + width + 250
    e = html.escape
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
        'font-family="sans-serif" font-size="12">' % (total_w, height),
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="10" y="22" font-size="15" font-weight="bold">%s</text>' % e(title),
        '<text x="10" y="40" fill="#555">Ratio to Stator, log scale: right of 1× the peer is '
        'slower (or heavier) than Stator, left of it ahead.</text>',
    ]
    top = 60
    axis_top = top
    y = top
    bars = []
    for label, rows in groups:
        bars.append('<text x="10" y="%d" font-weight="bold">%s</text>' % (y + 15, e(label)))
        y += head
        for impl, r, text in rows:
            x0, x1 = x(1.0), x(r)
            bars.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                        % (left - 8, y + bar - 4, e(LABELS.get(impl, impl))))
            bars.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                        % (min(x0, x1), y, max(abs(x1 - x0), 1.0), bar,
                           COLORS.get(impl, "#76b7b2")))
            bars.append('<text x="%.1f" y="%d" fill="#222">%s</text>'
                        % (max(x0, x1) + 6, y + bar - 4, e(text)))
            y += bar + gap
        y += 10
    axis_bottom = y
    v = lo
    while v <= hi * 1.0001:
        xv = x(v)
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%s"/>'
                     % (xv, axis_top, xv, axis_bottom, "#000" if abs(v - 1) < 1e-9 else "#ddd",
                        "1.5" if abs(v - 1) < 1e-9 else "1"))
        parts.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s×</text>'
                     % (xv, axis_bottom + 16, ("%g" % v)))
        v *= 10
    parts.extend(bars)  # after the grid, so that the grid stays behind the bars
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def markdown(groups):
    lines = ["| workload | implementation | ratio to Stator |", "|---|---|---|"]
    for label, rows in groups:
        for impl, _, text in rows:
            lines.append("| %s | %s | %s |" % (label, LABELS.get(impl, impl), text))
    return "\n".join(lines)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("results", nargs="+", help="JMH JSON result files")
    p.add_argument("--footprint", help="JSON written by PeerFootprint --json")
    p.add_argument("-o", "--output", default="docs/benchmarks-peers.svg")
    p.add_argument("--title", default="Stator vs peers (JMH, same run)")
    a = p.parse_args(argv)
    footprint = None
    if a.footprint:
        with open(a.footprint, encoding="utf-8") as f:
            footprint = json.load(f)["footprint"]
    groups = ratios(load_jmh(a.results), footprint)
    if not groups:
        sys.exit("no peers benchmark with a 'stator' baseline found in " + ", ".join(a.results))
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(svg(groups, a.title))
    print(markdown(groups))
    print("\nwrote " + a.output, file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
