# Requests and their replies on a real kernel, recorded for pairing
# (tests/tests/guest.rs pairs the capture and checks each case exactly):
# a link dump and an address dump, `ip link add` failing with an extended
# ack's message, an RTM_NEWLINK whose too long IFLA_IFNAME the kernel's
# policy rejects with an offset, two requests of the demo module's generic
# netlink family that its policy rejects with an offset, a request without
# NLM_F_ACK, two sockets of one process asking with the same seq, a request
# to a user port that never answers, and notifications (an address's
# carries the requester's seq and port) in between. Then `nlscope decode
# --transactions` in the guest.
ip() { /usr/local/bin/ip "$@"; }
insmod /lib/modules/nlscope_demo.ko || exit 10
FAILED=0
step() {
    out=$1; shift
    "$@" > "/results/$out" 2>&1 || { echo "step failed: $*"; tail -5 "/results/$out"; FAILED=1; }
}
. /scenario/lib/wait.sh

nlscope record --format jsonl -o /results/capture.jsonl 2> /results/record.err &
RECORDER=$!
wait_for /results/record.err capturing $RECORDER "nlscope record"

# A listener on the link and IPv4 address groups while a link comes and
# goes: the notifications are sent meanwhile (an address's carries the
# requester's seq and port), and are no replies.
nl_listen 0 7100 1,5 100 4 > /results/listener.out 2>&1 &
LISTENER=$!
for i in $(seq 1 100); do grep -q ready /results/listener.out && break; sleep 0.05; done

step links.out ip link show
step addrs.out ip addr show
ip link add nlstx0 type nlsbogus > /results/bogus.out 2>&1 && { echo "the bogus link was made"; FAILED=1; }
step dummy-add.out ip link add nlstx1 type dummy
step addr-add.out ip addr add 10.99.0.1/24 dev nlstx1
step dummy-del.out ip link del nlstx1
# ifinfomsg, then IFLA_IFNAME "nlscope-name-too-long-xx" (24 bytes, over
# IFNAMSIZ - 1): the policy rejects it, the offset points at it (byte 32).
nlscope send --yes --port 7001 --protocol route --type RTM_NEWLINK --flags request,ack,create \
    --hex 000000000000000000000000000000001d0003006e6c73636f70652d6e616d652d746f6f2d6c6f6e672d787800000000 \
    > /results/policy.out 2>&1
# RTM_GETLINK for index 1 without NLM_F_ACK: the link is the whole answer.
step noack.out nlscope send --port 7002 --protocol route --type RTM_GETLINK --flags request \
    --hex 00000000010000000000000000000000
step two.out nl_two_sockets 1
# The demo family: a value over its policy's maximum, a name over its
# length (tests/helpers/genl_demo.c prints the error's offset).
step resolve.out genl_demo --port 7020 resolve
FAMILY_ID=$(sed -n 's/^resolved family=\([0-9]*\).*/\1/p' /results/resolve.out)
GROUP_ID=$(sed -n 's/.* events_group=\([0-9]*\).*/\1/p' /results/resolve.out | tail -n 1)
step demo-range.out genl_demo --port 7021 --family "$FAMILY_ID" --group "$GROUP_ID" set 3 5000 gamma
step demo-long.out genl_demo --port 7022 --family "$FAMILY_ID" --group "$GROUP_ID" set 3 5 "a-name-of-forty-characters-is-too-long.."
# A user port that takes the request and never answers.
nl_listen 2 7005 0 1 5 > /results/silent.out 2>&1 &
SILENT=$!
for i in $(seq 1 100); do grep -q ready /results/silent.out && break; sleep 0.05; done
step ask.out nlscope send --port 7004 --protocol usersock --to port:7005 --flags request --text "anyone?" --wait 100
wait $SILENT
# More than the 1 s timeout later, a last request: its time is what says
# the silent one timed out.
sleep 1.5
step last.out ip link show lo

kill -INT $RECORDER
wait $RECORDER
RECORDER_RC=$?
wait $LISTENER
cat /results/record.err /results/two.out /results/policy.out
nlscope decode --spec-dir /usr/share/nlscope/specs /results/capture.jsonl --transactions --reply-timeout-ms 1000 \
    > /results/transactions.txt 2>&1 || FAILED=1
cat /results/transactions.txt
echo "recorder exit $RECORDER_RC"
[ $FAILED -eq 0 ] && [ $RECORDER_RC -eq 0 ]
