# Capture overhead benchmark (run by scripts/bench-capture.sh, not by the test
# suite): N user-to-user unicasts with no capture, with nlscope (fentry to
# JSON Lines, fentry to pcapng, fentry with an in-kernel filter that drops
# everything, fentry recording everything into the ring while the recorder is
# paused (SIGSTOP; the kernel's share alone: 16 MiB hold N messages), kprobe), with
# nlmon + tcpdump, and with strace on the sender. Each configuration runs
# ROUNDS times, interleaved, and every run of a capture tool sits between two
# uncaptured runs: its ratio is its time per message over the mean of those
# two, so a host that slows down or speeds up over minutes (QEMU TCG shares
# the host's cores with whatever else runs there) moves both sides of each
# ratio alike. The table gives the median time per message and the median
# ratio with its range over the rounds. strace is so slow under emulation
# that it sends N/20.
# The guest boots with tsc=reliable (file kernel-args): under TCG the two
# vCPUs' TSCs fail the kernel's boot-time sync check and it falls back to the
# HPET, whose every read (each eBPF timestamp, each packet tcpdump stamps,
# each clock_gettime) is an emulated MMIO access under QEMU's global lock,
# which the other vCPU then waits for. On hardware the TSC is the clock.
N=${N:-20000}
SIZE=64
ROUNDS=${ROUNDS:-5}
mkdir -p /results/logs
# nlmon0 stays down except while tcpdump runs: an nlmon device that is up
# is a netlink tap, and the kernel then clones every netlink message to it
# (netlink_deliver_tap) whether anyone captures or not. Left up, it added
# about 1,180 guest instructions to every uncaptured message (6,240 -> 7,415),
# which made every ratio here look smaller than it is.
nl_traffic link-add nlmon0 nlmon > /dev/null || exit 11

# One sample: configuration name, messages, nanoseconds, captured, lost, and
# the capture tool's CPU time while the messages were sent, in clock ticks (in
# the order they ran, which the ratios below rely on).
sample() { echo "$1 $2 $3 ${4:--} ${5:--} ${6:--}" >> /results/samples.txt; echo "sample: $1 $2 $3 ${4:--} ${5:--} ${6:--}"; }
# User + system CPU time of process $1 so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
TICK_NS=$((1000000000 / $(getconf CLK_TCK 2>/dev/null || echo 100)))
# The traffic (sender and its receiver) runs on CPU 0 and every capture tool
# on CPU 1, as on a machine with cores to spare: the ratio then shows what
# capturing costs the traffic itself, not two programs sharing one CPU.
# FLOOD_FIFO=1 (bench-capture-insns) runs the traffic (and strace) with
# SCHED_FIFO: sender and receiver then take turns only when the receiver's
# queue is full or empty. Under the default policy, whether a woken receiver
# preempts the sender depends on elapsed time, so the number of context
# switches per message (and the instructions the CPU executes) varies from
# run to run with the host's speed: six uncaptured runs of 20,000 messages
# took 7,270-7,940 instructions per message on CPU 0 (0.5-1.2 context
# switches per message), against 7,400-7,460 over 22 runs with SCHED_FIFO.
FLOOD_SCHED=
if [ "${FLOOD_FIFO:-0}" = 1 ]; then
    command -v chrt > /dev/null || { echo "FLOOD_FIFO=1 needs chrt (scenario file host-programs)"; exit 13; }
    FLOOD_SCHED="chrt -f 1"
fi
flood_ns() { taskset -c 0 $FLOOD_SCHED nl_flood "$1" $SIZE | sed -n 's/.*ns=\([0-9]*\).*/\1/p'; }
# The traffic of the current part: N small unicasts, or (MODE=dump, the
# large-datagram part) DUMPS link dumps of DUMP_LINKS links, several 32 KiB
# datagrams each; its samples are named dump-<configuration>.
MODE=unicast
traffic_count() { if [ $MODE = dump ]; then echo $DUMPS; else echo $N; fi; }
traffic_ns() {
    if [ $MODE = dump ]; then
        taskset -c 0 $FLOOD_SCHED nl_flood dump $DUMPS | tee -a /results/logs/dumps.txt | sed -n 's/.*ns=\([0-9]*\).*/\1/p'
    else
        flood_ns $N
    fi
}
prefix() { [ $MODE = dump ] && echo dump-; }

run_none() { sample "$(prefix)none" "$(traffic_count)" "$(traffic_ns)"; }

# Attaching and detaching leave work behind for a moment (the recorder's
# start-up, the kernel freeing BPF trampolines after an RCU grace period):
# every tool gets SETTLE seconds after it is ready and after it exits, so a
# run measures capturing, not that.
SETTLE=${SETTLE:-2}

run_nlscope() {  # name, then record options; PAUSE=1 stops the recorder while the messages are sent
    name=$1; shift
    log=/results/logs/$name.$round.err
    taskset -c 1 nlscope record "$@" -o /dev/null 2> "$log" &
    recorder=$!
    for i in $(seq 1 600); do grep -q capturing "$log" && break; sleep 0.1; done
    sleep $SETTLE
    [ "${PAUSE:-0}" = 1 ] && kill -STOP $recorder
    cpu=$(cpu_ticks $recorder)
    ns=$(traffic_ns)
    cpu=$(( $(cpu_ticks $recorder) - cpu ))
    [ "${PAUSE:-0}" = 1 ] && kill -CONT $recorder
    kill -INT $recorder
    wait $recorder
    sleep $SETTLE
    counts=$(sed -n 's/^nlscope: \([0-9]*\) messages written, [0-9]* cut, \([0-9]*\) lost/\1 \2/p' "$log")
    sample "$(prefix)$name" "$(traffic_count)" "$ns" $counts $cpu
}

run_nlmon() {
    log=/results/logs/tcpdump.$round.err
    ip link set nlmon0 up || exit 12
    taskset -c 1 tcpdump -Z root -i nlmon0 -w /dev/null -U 2> "$log" &
    dumper=$!
    for i in $(seq 1 100); do grep -q listening "$log" && break; sleep 0.1; done
    sleep $SETTLE
    cpu=$(cpu_ticks $dumper)
    ns=$(traffic_ns)
    cpu=$(( $(cpu_ticks $dumper) - cpu ))
    sleep 1
    kill -INT $dumper
    wait $dumper
    ip link set nlmon0 down || exit 12
    sleep $SETTLE
    sample "$(prefix)nlmon+tcpdump" "$(traffic_count)" "$ns" "$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$log")" \
        "$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$log")" $cpu
}

run_strace() {
    n=$((N / 20))
    sample strace $n "$(taskset -c 0 $FLOOD_SCHED strace -f -o /dev/null nl_flood $n $SIZE | sed -n 's/.*ns=\([0-9]*\).*/\1/p')"
}

: > /results/samples.txt
for round in $(seq 1 $ROUNDS); do
    run_none
    run_nlscope nlscope-fentry --attach fentry
    run_none
    run_nlscope nlscope-fentry-pcapng --attach fentry --format pcapng
    run_none
    run_nlscope nlscope-fentry-filtered --attach fentry --protocol 30
    run_none
    PAUSE=1 run_nlscope nlscope-fentry-paused --attach fentry
    run_none
    run_nlscope nlscope-kprobe --attach kprobe
    run_none
    run_nlmon
    run_none
    run_strace
done
run_none

# The large-datagram part: link dumps of many links, with and without
# capture (the kernel's dump path, __netlink_sendskb, 32 KiB datagrams).
MODE=dump
DUMPS=${DUMPS:-100}
DUMP_LINKS=${DUMP_LINKS:-100}
for i in $(seq 1 $DUMP_LINKS); do nl_traffic link-add "nlsb$i" dummy > /dev/null || exit 14; done
for round in $(seq 1 $ROUNDS); do
    run_none
    run_nlscope nlscope-fentry --attach fentry
    run_none
    run_nlscope nlscope-kprobe --attach kprobe
    run_none
    run_nlmon
done
run_none

# Per configuration: the median nanoseconds per message, the median (and
# range) of its ratios to the uncaptured runs just before and after it, the
# fewest messages captured in a round and the most lost in one, and the
# median share of one CPU the capture tool used while the messages were sent.
awk '
    function median(list,    v, n, i, j, t) {
        n = split(substr(list, 2), v, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
        low = v[1]; high = v[n]
        return v[int((n + 1) / 2)]
    }
    { name[NR] = $1; ns[NR] = $3 / $2; sent[$1] = $2; per[$1] = per[$1] " " ns[NR]
      if ($6 != "-" && $6 != "") cpu[$1] = cpu[$1] " " ($6 * tick_ns / $3)
      # captured: the fewest of any round; lost: the most of any round.
      if ($4 != "-") {
          if (!($1 in captured) || $4 + 0 < captured[$1]) captured[$1] = $4 + 0
          if (!($1 in lost) || $5 + 0 > lost[$1]) lost[$1] = $5 + 0
      } }
    END {
        for (k = 1; k <= NR; k++) {
            # A configuration is compared with the uncaptured runs of its own part.
            base_name = (name[k] ~ /^dump-/) ? "dump-none" : "none"
            if (name[k] == base_name) continue
            before = (k > 1 && name[k - 1] == base_name) ? ns[k - 1] : 0
            after = (k < NR && name[k + 1] == base_name) ? ns[k + 1] : 0
            base = (before && after) ? (before + after) / 2 : before + after
            if (base) ratios[name[k]] = ratios[name[k]] " " (ns[k] / base)
        }
        printf "%-24s %8s %10s %10s %7s %13s %10s %6s %9s\n", "configuration", "sent", "ns/msg", "msgs/s", "ratio", "ratio range", "captured", "lost", "tool CPU"
        n = split("none nlscope-fentry nlscope-fentry-pcapng nlscope-fentry-filtered nlscope-fentry-paused nlscope-kprobe nlmon+tcpdump strace dump-none dump-nlscope-fentry dump-nlscope-kprobe dump-nlmon+tcpdump", order, " ")
        for (k = 1; k <= n; k++) {
            c = order[k]
            m = median(per[c])
            if (c == "none" || c == "dump-none") { r = "1.00"; range = "-" }
            else { r = sprintf("%.2f", median(ratios[c])); range = sprintf("%.2f-%.2f", low, high) }
            busy = (c in cpu) ? sprintf("%.0f%%", 100 * median(cpu[c])) : "-"
            printf "%-24s %8d %10.0f %10.0f %7s %13s %10s %6s %9s\n", c, sent[c], m, 1e9 / m, r, range, (c in captured) ? captured[c] : "-", (c in lost) ? lost[c] : "-", busy
        }
    }' tick_ns=$TICK_NS /results/samples.txt > /results/bench.txt
echo "dumps: $(tail -n 1 /results/logs/dumps.txt) ($DUMP_LINKS links; per dump-* sample: one dump)" >> /results/bench.txt
echo "N=$N, $ROUNDS rounds, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)${FLOOD_SCHED:+, traffic under $FLOOD_SCHED}" >> /results/bench.txt
cat /results/bench.txt
