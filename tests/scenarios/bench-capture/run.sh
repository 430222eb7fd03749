# Capture overhead benchmark (run by scripts/bench-capture.sh, not by the test
# suite): N user-to-user unicasts with no capture, with nlscope (fentry to
# JSON Lines, fentry to pcapng, fentry with an in-kernel filter that drops
# everything, kprobe), with
# nlmon + tcpdump, and with strace on the sender. Each configuration runs
# ROUNDS times, interleaved; the median time per message is compared with the
# uncaptured median. strace is so slow under emulation that it sends N/10.
N=${N:-20000}
SIZE=64
ROUNDS=${ROUNDS:-3}
mkdir -p /results/logs
insmod /lib/modules/nlmon.ko || exit 10
nl_traffic link-add nlmon0 nlmon > /dev/null || exit 11
ip link set nlmon0 up || exit 12

# One sample: configuration name, messages, nanoseconds, captured, lost.
sample() { echo "$1 $2 $3 ${4:--} ${5:--}" >> /results/samples.txt; echo "sample: $1 $2 $3 ${4:--} ${5:--}"; }
# The traffic (sender and its receiver) runs on CPU 0 and every capture tool
# on CPU 1, as on a machine with cores to spare: the ratio then shows what
# capturing costs the traffic itself, not two programs sharing one CPU.
flood_ns() { taskset -c 0 nl_flood "$1" $SIZE | sed -n 's/.*ns=\([0-9]*\).*/\1/p'; }

run_none() { sample none $N "$(flood_ns $N)"; }

run_nlscope() {  # name, then record options
    name=$1; shift
    log=/results/logs/$name.$round.err
    taskset -c 1 nlscope record "$@" -o /dev/null 2> "$log" &
    recorder=$!
    for i in $(seq 1 600); do grep -q capturing "$log" && break; sleep 0.1; done
    ns=$(flood_ns $N)
    kill -INT $recorder
    wait $recorder
    counts=$(sed -n 's/^nlscope: \([0-9]*\) messages written, \([0-9]*\) lost/\1 \2/p' "$log")
    sample "$name" $N "$ns" $counts
}

# tcpdump drops privileges to a user it looks up; the initramfs has no users.
mkdir -p /etc
echo "root:x:0:0:root:/root:/bin/sh" > /etc/passwd
echo "root:x:0:" > /etc/group

run_nlmon() {
    log=/results/logs/tcpdump.$round.err
    taskset -c 1 tcpdump -Z root -i nlmon0 -w /dev/null -U 2> "$log" &
    dumper=$!
    for i in $(seq 1 100); do grep -q listening "$log" && break; sleep 0.1; done
    ns=$(flood_ns $N)
    sleep 1
    kill -INT $dumper
    wait $dumper
    sample nlmon+tcpdump $N "$ns" "$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$log")" 0
}

run_strace() {
    n=$((N / 10))
    sample strace $n "$(taskset -c 0 strace -f -o /dev/null nl_flood $n $SIZE | sed -n 's/.*ns=\([0-9]*\).*/\1/p')"
}

: > /results/samples.txt
for round in $(seq 1 $ROUNDS); do
    run_none
    run_nlscope nlscope-fentry --attach fentry
    run_nlscope nlscope-fentry-pcapng --attach fentry --format pcapng
    run_nlscope nlscope-fentry-filtered --attach fentry --protocol 30
    run_nlscope nlscope-kprobe --attach kprobe
    run_nlmon
    run_strace
done

# Median nanoseconds per message per configuration, and the ratio to "none".
awk '
    { per[$1] = per[$1] " " ($3 / $2); if ($4 != "-") { captured[$1] = $4; lost[$1] = $5 }; sent[$1] = $2 }
    END {
        for (name in per) {
            count = split(substr(per[name], 2), v, " ")
            for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
            median[name] = v[int((count + 1) / 2)]
        }
        printf "%-24s %8s %10s %12s %7s %10s %6s\n", "configuration", "sent", "ns/msg", "msgs/s", "ratio", "captured", "lost"
        split("none nlscope-fentry nlscope-fentry-pcapng nlscope-fentry-filtered nlscope-kprobe nlmon+tcpdump strace", order, " ")
        for (k = 1; k <= 7; k++) {
            name = order[k]
            printf "%-24s %8d %10.0f %12.0f %7.2f %10s %6s\n", name, sent[name], median[name], 1e9 / median[name], median[name] / median["none"], (name in captured) ? captured[name] : "-", (name in lost) ? lost[name] : "-"
        }
    }' /results/samples.txt > /results/bench.txt
cat /results/bench.txt
