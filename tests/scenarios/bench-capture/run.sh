# Capture overhead benchmark (run by scripts/bench-capture.sh, not by the test
# suite): N user-to-user unicasts with no capture, with nlscope (fentry,
# fentry with an in-kernel filter that drops everything, kprobe), with
# nlmon + tcpdump, and with strace on the sender. Each configuration runs
# ROUNDS times, interleaved, and the median is reported with its ratio to the
# uncaptured median.
set -x
N=${N:-20000}
SIZE=64
ROUNDS=3
insmod /lib/modules/nlmon.ko || exit 10
nl_traffic link-add nlmon0 nlmon > /dev/null || exit 11
ip link set nlmon0 up || exit 12

flood() { nl_flood $N $SIZE | sed -n 's/.*ns=\([0-9]*\).*/\1/p'; }

start_recorder() {
    nlscope record "$@" -o /dev/null 2> /tmp/record.err &
    RECORDER=$!
    for i in $(seq 1 600); do grep -q capturing /tmp/record.err && return 0; sleep 0.1; done
    echo "recorder did not start:"; cat /tmp/record.err; exit 13
}
stop_recorder() {
    kill -INT $RECORDER; wait $RECORDER
    sed -n 's/^nlscope: \(.*\) messages written, \(.*\) lost/\1 \2/p' /tmp/record.err
}

measure() {  # name, then the command that runs one flood
    name=$1; shift
    echo "$name $("$@")" >> /tmp/samples
}
run_none() { flood; }
run_nlscope() { start_recorder "$@"; ns=$(flood); counts=$(stop_recorder); echo "$ns $counts"; }
run_nlmon() {
    tcpdump -i nlmon0 -w /dev/null -U 2> /tmp/tcpdump.err &
    TCPDUMP=$!; sleep 2
    ns=$(flood); kill -INT $TCPDUMP; wait $TCPDUMP
    echo "$ns $(sed -n 's/^\([0-9]*\) packets captured/\1/p' /tmp/tcpdump.err) 0"
}
run_strace() { strace -f -o /dev/null nl_flood $N $SIZE | sed -n 's/.*ns=\([0-9]*\).*/\1/p'; }

: > /tmp/samples
for round in $(seq 1 $ROUNDS); do
    measure none run_none
    measure nlscope-fentry run_nlscope --attach fentry
    measure nlscope-fentry-filtered run_nlscope --attach fentry --protocol 30
    measure nlscope-kprobe run_nlscope --attach kprobe
    measure nlmon+tcpdump run_nlmon
    measure strace run_strace
done
cp /tmp/samples /results/samples.txt

# Median per configuration and the ratio to "none".
awk -v n=$N '
    { ns[$1] = ns[$1] " " $2; if (NF >= 4) { captured[$1] = $3; lost[$1] = $4 } }
    END {
        for (name in ns) {
            count = split(substr(ns[name], 2), v, " ")
            for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            median[name] = v[int((count + 1) / 2)]
        }
        printf "%-26s %12s %12s %8s %10s %6s\n", "configuration", "median ms", "msgs/s", "ratio", "captured", "lost"
        split("none nlscope-fentry nlscope-fentry-filtered nlscope-kprobe nlmon+tcpdump strace", order, " ")
        for (k = 1; k <= 6; k++) {
            name = order[k]
            printf "%-26s %12.1f %12d %8.2f %10s %6s\n", name, median[name] / 1e6, n * 1e9 / median[name], median[name] / median["none"], (name in captured) ? captured[name] : "-", (name in lost) ? lost[name] : "-"
        }
    }' /tmp/samples > /results/bench.txt
cat /results/bench.txt
