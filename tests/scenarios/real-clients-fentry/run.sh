# Real netlink clients, recorded with fentry and by nlmon + tcpdump.
ATTACH=fentry
. /scenario/lib/real-clients.sh
