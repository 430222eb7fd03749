# Real netlink clients (iproute2's ip, tc, bridge, genl and devlink, iw on
# mac80211_hwsim, ethtool, wg, nft, conntrack, auditctl) producing datagrams
# of many KiB and many families, recorded at the same time by
# nlmon + tcpdump (-s 0, the reference) and by nlscope with --attach $ATTACH.
# The host test (tests/tests/guest.rs) checks that every datagram nlmon saw
# between the two marker links is in nlscope's file, byte for byte, uncut,
# and how much of it nlscope's decoder names.
# The real tools, not busybox's applets of the same name (busybox's shell
# runs its own applets before anything in PATH).
for tool in ip tc bridge genl devlink iw ethtool wg nft conntrack auditctl tcpdump; do
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

# More kinds of links, rules, neighbours and classes: per-kind link data
# (bridge, bridge port, veth), AF_BRIDGE dumps, FIB rules, tc classes.
ip link add nlsveth0 type veth peer name nlsveth1
ip link set nlsveth0 up
ip link set nlsveth1 up
ip neigh add 10.77.1.2 lladdr 02:00:00:00:77:01 dev nlsd1
ip rule add from 10.77.1.0/24 table 100 priority 1000
ip -6 rule add from fd77::/64 table 100 priority 1000
tc qdisc add dev nlsveth0 root handle 1: htb default 10
tc class add dev nlsveth0 parent 1: classid 1:10 htb rate 10mbit
step ip-detail-bridge.out ip -d link show type bridge
step ip-detail-veth.out ip -d link show type veth
step bridge-detail-link.out bridge -d link show
step ip-rule.out ip rule show
step ip6-rule.out ip -6 rule show
step ip-neigh.out ip neigh show
step tc-class.out tc -s class show dev nlsveth0

# Generic netlink families beyond nl80211 and ethtool.
step genl-ctrl.out genl ctrl list
wg genkey > /tmp/wg.key
ip link add nlswg0 type wireguard
wg set nlswg0 listen-port 51820 private-key /tmp/wg.key
ip link set nlswg0 up
step wg-show.out wg show
step wg-dump.out wg show all dump
ip mptcp endpoint add 10.77.2.1 dev nlsd2 signal
ip mptcp limits set subflow 2 add_addr_accepted 2
step mptcp-endpoints.out ip mptcp endpoint show
step mptcp-limits.out ip mptcp limits show
ip fou add port 5555 ipproto 4
step fou.out ip fou show
step tcp-metrics.out ip tcp_metrics show
step devlink.out devlink dev show

# nfnetlink: nf_tables and conntrack; and the audit protocol.
nft add table inet nlscope
nft add chain inet nlscope input '{ type filter hook input priority 0; policy accept; }'
nft add rule inet nlscope input tcp dport 22 counter accept
step nft-ruleset.out nft list ruleset
step conntrack-list.out conntrack -L
step conntrack-stats.out conntrack -S
step auditctl-status.out auditctl -s
step auditctl-rules.out auditctl -l

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
