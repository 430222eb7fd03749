# Cost of each eBPF program per run (run by scripts/bench-programs.sh, not by
# the test suite): the kernel's own BPF statistics (kernel.bpf_stats_enabled:
# run count and time spent in each program) while nl_flood sends N
# user-to-user unicasts on vCPU 0 and nlscope records on vCPU 1. Far steadier
# than the flood's wall time under TCG, because it times only the programs;
# it leaves out what the kernel's BPF trampolines cost around them (see
# bench-capture for the whole). Programs are named by /proc/kallsyms
# (bpf_prog_<tag>_<name>, the name cut to 15 characters, so the fentry
# programs on netlink_unicast and __netlink_sendskb both show as
# fentry_netlink_ and differ by tag), matched by the tag in /proc/PID/fdinfo.
N=${N:-10000}
ROUNDS=${ROUNDS:-3}
SIZE=64
mkdir -p /results
sysctl -w kernel.bpf_stats_enabled=1 net.core.bpf_jit_kallsyms=1 kernel.kptr_restrict=0 > /dev/null || exit 10
flood() { taskset -c 0 nl_flood $N $SIZE > /dev/null; }
flood
: > /results/programs.txt
for round in $(seq 1 $ROUNDS); do
  for config in "--attach fentry" "--attach fentry --protocol 30" "--attach kprobe"; do
    taskset -c 1 nlscope record $config -o /dev/null 2> /results/record.err &
    recorder=$!
    for i in $(seq 1 600); do grep -q capturing /results/record.err && break; sleep 0.1; done
    sleep 1
    flood
    for f in /proc/$recorder/fdinfo/*; do
      grep -q prog_tag "$f" || continue
      tag=$(sed -n 's/prog_tag:\s*//p' "$f")
      runs=$(sed -n 's/run_cnt:\s*//p' "$f")
      ns=$(sed -n 's/run_time_ns:\s*//p' "$f")
      [ "$runs" -gt 0 ] || continue
      name=$(sed -n "s/.* bpf_prog_${tag}_\([a-z_]*\).*/\1/p" /proc/kallsyms | head -1)
      echo "$(echo $config | tr ' ' '_') ${name:-?}:${tag} $runs $((ns / runs))" >> /results/programs.txt
    done
    kill -INT $recorder; wait $recorder
    sleep 1
  done
done
# Per configuration and program: runs per message and the median ns per run.
awk -v n=$N '
    { key = $1 " " $2; runs[key] = $3; t[key] = t[key] " " $4 }
    END {
        for (key in t) {
            c = split(substr(t[key], 2), v, " ")
            for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] + 0 < v[i] + 0) { x = v[i]; v[i] = v[j]; v[j] = x }
            split(key, k, " ")
            printf "%-36s %-36s %9.2f %10d\n", k[1], k[2], runs[key] / n, v[int((c + 1) / 2)]
        }
    }' /results/programs.txt | sort > /results/programs.sorted
printf "%-36s %-36s %9s %10s\n" configuration "program:tag" runs/msg ns/run > /results/programs-table.txt
cat /results/programs.sorted >> /results/programs-table.txt
cat /results/programs-table.txt
