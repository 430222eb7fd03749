# Real netlink clients (iproute2's ip, tc and bridge, iw on mac80211_hwsim,
# ethtool) producing datagrams of many KiB, recorded at the same time by
# nlmon + tcpdump (-s 0, the reference) and by nlscope with --attach $ATTACH.
# The host test (tests/tests/guest.rs) checks that every datagram nlmon saw
# between the two marker links is in nlscope's file, byte for byte, uncut.
# The real tools, not busybox's applets of the same name (busybox's shell
# runs its own applets before anything in PATH).
for tool in ip tc bridge iw ethtool tcpdump; do
    [ -x "/usr/local/bin/$tool" ] || { echo "/usr/local/bin/$tool is missing"; exit 9; }
    eval "$tool() { /usr/local/bin/$tool \"\$@\"; }"
done
FAILED=0
step() {
    out=$1; shift
    "$@" > "/results/$out" 2>&1 || { echo "step failed: $*"; tail -5 "/results/$out"; FAILED=1; }
}
. /scenario/lib/wait.sh

# The reference: an nlmon tap and tcpdump with no snap length.
ip link add nlmon0 type nlmon || exit 10
ip link set nlmon0 up || exit 10
/usr/local/bin/tcpdump -Z root -i nlmon0 -s 0 -U -w /results/nlmon.pcap 2> /results/tcpdump.err &
TCPDUMP=$!
wait_for /results/tcpdump.err "listening on" $TCPDUMP tcpdump

nlscope record --attach "$ATTACH" -w /results/capture.pcapng 2> /results/record.err &
RECORDER=$!
wait_for /results/record.err capturing $RECORDER "nlscope record"

# The marker links bound the interval both recorders certainly saw.
ip link add nlsmarkbegin type dummy

# Many links and addresses, so the dumps span big datagrams.
ip link add nlsbr0 type bridge
for i in $(seq 1 24); do
    ip link add "nlsd$i" type dummy
    ip addr add "10.77.$i.1/24" dev "nlsd$i"
    ip addr add "fd77::$i/64" dev "nlsd$i"
    ip link set "nlsd$i" up
    [ "$i" -le 8 ] && ip link set "nlsd$i" master nlsbr0
done
ip link set nlsbr0 up
for i in $(seq 1 8); do tc qdisc add dev "nlsd$i" root handle 1: prio; done

step ip-link.out ip -s -d link show
step ip-addr.out ip addr show
step ip-route.out ip -6 route show table all
step tc-qdisc.out tc -s qdisc show
step bridge-link.out bridge link show
step bridge-vlan.out bridge vlan show
step iw-phy.out iw phy
step iw-phy-info.out iw phy phy0 info
step iw-dev.out iw dev
# A dummy link has no link modes: the kernel answers ENODATA, also traffic.
ethtool nlsd1 > /results/ethtool.out 2>&1
step ethtool-features.out ethtool -k nlsd1

ip link add nlsmarkend type dummy
sleep 1

kill -INT $RECORDER
wait $RECORDER
RECORDER_RC=$?
kill -INT $TCPDUMP
wait $TCPDUMP
cat /results/record.err /results/tcpdump.err
echo "recorder exit $RECORDER_RC"
[ $RECORDER_RC -eq 0 ] || FAILED=1
ls -l /results/nlmon.pcap /results/capture.pcapng
exit $FAILED
