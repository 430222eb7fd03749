#!/usr/bin/env python3
"""The capture benchmark in guest instructions: joins the insn_count plugin's
log of a bench-capture-insns run with the samples the guest wrote, and prints
per configuration the instructions per message (per dump for the dump-*
configurations, the large-datagram part) on vCPU 0 (the traffic's CPU:
sender, receiver, kernel, eBPF programs) with their ratio to the uncaptured
runs, and on vCPU 1 (the capture tool's CPU).

    scripts/bench-capture-insns.py [RUN_DIR]   (as scripts/bench-capture.sh insns passes it)

RUN_DIR/plugin.log has one `nlscope-mark start ...` and one `nlscope-mark
stop ...` line per nl_flood run, each with every vCPU's instruction total so
far; RUN_DIR/results/samples.txt has one line per nl_flood run, in the same
order: configuration, messages, ns, captured, lost, tool CPU ticks. Ratios
pair every captured run with the uncaptured runs just before and after it
(the mean of the two), as the time table does.
"""
import re
import statistics
import sys
from pathlib import Path

MARK = re.compile(r"^nlscope-mark (start|stop) vcpu=(\d+) counts=([\d ]+)$")
TRAFFIC_VCPU = 0
TOOL_VCPU = 1


def fail(message):
    sys.exit(f"bench-capture-insns: {message}")


def read_intervals(log):
    """(vCPU that ran the markers, instructions per vCPU) per start/stop pair."""
    intervals, start = [], None
    for number, line in enumerate(log.read_text().splitlines(), 1):
        match = MARK.match(line.strip())
        if not match:
            continue
        kind, vcpu, counts = match[1], int(match[2]), [int(c) for c in match[3].split()]
        if kind == "start":
            if start is not None:
                fail(f"{log}:{number}: a start marker follows another start")
            start = (vcpu, counts)
        else:
            if start is None:
                fail(f"{log}:{number}: a stop marker without a start")
            intervals.append((vcpu, [b - a for a, b in zip(start[1], counts)]))
            start = None
    if start is not None:
        fail(f"{log}: the last start marker has no stop (did the guest finish?)")
    return intervals


def read_samples(path):
    samples = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields:
            samples.append((fields[0], int(fields[1])))
    return samples


def baseline_of(name):
    """The uncaptured configuration a run is compared with: the large-dump
    part (dump-*) has its own."""
    return "dump-none" if name.startswith("dump-") else "none"


def main():
    if len(sys.argv) != 2:
        fail("usage: bench-capture-insns.py RUN_DIR (target/guest/<kernel>/runs/bench-capture-insns)")
    run_dir = Path(sys.argv[1])
    log, samples_path = run_dir / "plugin.log", run_dir / "results" / "samples.txt"
    for path in (log, samples_path):
        if not path.is_file():
            fail(f"{path} is missing: run scripts/bench-capture.sh insns")
    intervals, samples = read_intervals(log), read_samples(samples_path)
    if len(intervals) != len(samples):
        fail(
            f"{log} has {len(intervals)} start/stop pairs but {samples_path} has "
            f"{len(samples)} samples: they must match one to one"
        )

    runs = []  # (configuration, vCPU 0 instructions/message, vCPU 1 instructions/message)
    for (name, messages), (vcpu, counts) in zip(samples, intervals):
        if vcpu != TRAFFIC_VCPU:
            fail(f"run {len(runs) + 1} ({name}): markers ran on vCPU {vcpu}, not {TRAFFIC_VCPU}")
        if len(counts) <= TOOL_VCPU:
            fail(f"the plugin logged {len(counts)} vCPUs; the benchmark needs {TOOL_VCPU + 1}")
        runs.append((name, counts[TRAFFIC_VCPU] / messages, counts[TOOL_VCPU] / messages))

    order, sent, traffic, tool, ratios = [], {}, {}, {}, {}
    for k, (name, per_message, tool_per_message) in enumerate(runs):
        if name not in order:
            order.append(name)
        sent[name] = samples[k][1]
        traffic.setdefault(name, []).append(per_message)
        tool.setdefault(name, []).append(tool_per_message)
        baseline = baseline_of(name)
        if name == baseline:
            continue
        neighbours = [runs[j][1] for j in (k - 1, k + 1) if 0 <= j < len(runs) and runs[j][0] == baseline]
        if neighbours:
            ratios.setdefault(name, []).append(per_message / statistics.mean(neighbours))

    print(
        f"{'configuration':<24} {'sent':>6} {'vCPU0 insns/msg':>16} {'ratio':>6} "
        f"{'ratio range':>12} {'vCPU1 insns/msg':>16}"
    )
    for name in order:
        if name in ratios:
            ratio = f"{statistics.median(ratios[name]):.3f}"
            spread = f"{min(ratios[name]):.3f}-{max(ratios[name]):.3f}"
        else:
            ratio, spread = ("1.000", "-") if name == baseline_of(name) else ("-", "-")
        print(
            f"{name:<24} {sent[name]:>6} {statistics.median(traffic[name]):>16,.0f} {ratio:>6} "
            f"{spread:>12} {statistics.median(tool[name]):>16,.0f}"
        )
    none = traffic.get("none", [])
    if len(none) > 1:
        low, high, middle = min(none), max(none), statistics.median(none)
        print(
            f"{len(runs)} runs; the {len(none)} uncaptured runs' vCPU 0 instructions/message span "
            f"{100 * (low / middle - 1):+.2f}% to {100 * (high / middle - 1):+.2f}% around their median"
        )


if __name__ == "__main__":
    main()
