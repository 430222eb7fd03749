# Real netlink clients, recorded with kprobes and by nlmon + tcpdump.
ATTACH=kprobe
. /scenario/lib/real-clients.sh
