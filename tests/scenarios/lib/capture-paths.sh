# Real traffic over every netlink delivery path, captured with --attach $ATTACH;
# each step reports exactly what it sent and received (vars.env), and
# capture-paths.expect.json checks the capture against those reports.
insmod /lib/modules/nlscope_demo.ko || exit 11

# Two recorders: pcapng (for tshark, started first and stopped last, so it
# holds everything the JSON Lines one does) and JSON Lines (for the counts).
wait_attached() {
    for i in $(seq 1 600); do
        grep -q capturing "$1" && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "recorder did not attach:"; cat "$1"; exit 12
}
nlscope record --attach "$ATTACH" -w /results/capture.pcapng 2> /results/record-pcapng.err &
PCAPNG_RECORDER=$!
wait_attached /results/record-pcapng.err $PCAPNG_RECORDER
nlscope record --attach "$ATTACH" --format jsonl -o /results/capture.jsonl 2> /results/record.err &
RECORDER=$!
wait_attached /results/record.err $RECORDER

# Recorders that stop by themselves: after 3 messages, and after 3 seconds.
nlscope record --attach "$ATTACH" --count 3 -o /results/count.jsonl 2> /results/record-count.err &
COUNT_RECORDER=$!
wait_attached /results/record-count.err $COUNT_RECORDER
nlscope record --attach "$ATTACH" --duration 3 -o /results/duration.jsonl 2> /results/record-duration.err &
DURATION_RECORDER=$!
wait_attached /results/record-duration.err $DURATION_RECORDER

# An in-kernel filter: only the demo protocol.
nlscope record --attach "$ATTACH" --protocol nlscope-demo -o /results/filtered.jsonl 2> /results/record-filtered.err &
FILTERED_RECORDER=$!
wait_attached /results/record-filtered.err $FILTERED_RECORDER

var() { echo "$1=$2" >> /results/vars.env; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "/results/$2" | head -n 1; }
step() {
    out=$1; shift
    "$@" > "/results/$out" 2>&1 || { echo "step failed: $*"; cat "/results/$out"; FAILED=1; }
    cat "/results/$out"
}
FAILED=0

step dump-links.out nl_traffic dump-links
var DUMP_LINKS_PORT "$(field port dump-links.out)"
var DUMP_LINKS_PARTS "$(field parts dump-links.out)"

step dump-addrs.out nl_traffic dump-addrs
var DUMP_ADDRS_PORT "$(field port dump-addrs.out)"
var DUMP_ADDRS_PARTS "$(field parts dump-addrs.out)"

step link.out nl_traffic link-create nlsdummy0
var LINK_LISTENER "$(field listener link.out)"
var LINK_CREATOR "$(field creator link.out)"
var LINK_GOT "$(field listener_got link.out)"

step genl.out nl_traffic genl-family nlctrl
var GENL_PORT "$(field port genl.out)"

step client.out seed_client 4242
var CLIENT_PID "$(field pid client.out)"

step usersock.out nl_traffic usersock
var US_A "$(field a usersock.out)"
var US_B "$(field b usersock.out)"
var US_LEN "$(field len usersock.out)"

# The port table in the guest: sock_diag (netlink_diag) and nlctrl dump traffic.
step ports.json nlscope ports --json

step overflow.out nl_traffic overflow 20
var OVF_PORT "$(field listener overflow.out)"
var OVF_DROPS "$(field drops overflow.out)"

# The self-stopping recorders must have ended on their own by now.
sleep 3
for pid in $COUNT_RECORDER $DURATION_RECORDER; do
    if kill -0 $pid 2>/dev/null; then echo "recorder $pid did not stop by itself"; FAILED=1; kill -INT $pid; fi
    wait $pid || FAILED=1
done
cat /results/record-count.err /results/record-duration.err

kill -INT $FILTERED_RECORDER
wait $FILTERED_RECORDER || FAILED=1
kill -INT $RECORDER
wait $RECORDER
RECORDER_RC=$?
cat /results/record.err
kill -TERM $PCAPNG_RECORDER
wait $PCAPNG_RECORDER || RECORDER_RC=1
cat /results/record-pcapng.err
rmmod nlscope_demo || FAILED=1
[ $FAILED -eq 0 ] && [ $RECORDER_RC -eq 0 ]
