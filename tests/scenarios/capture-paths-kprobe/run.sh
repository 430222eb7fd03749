# Every delivery path, attached with kprobe/kretprobe: the same expectations as fentry.
ATTACH=kprobe
. /scenario/lib/capture-paths.sh
