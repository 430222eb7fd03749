# All six flows of the seed article, driven through `nlscope send` while
# `nlscope record` captures: kernel -> user unicast and multicast (the demo
# module's UNICAST and MULTICAST commands), user -> kernel unicast (ECHO) and
# multicast (a user socket sending with nl_groups set on protocol 30: the
# kernel's netlink_sendmsg multicasts it to the group and unicasts it to
# nl_pid 0, the module), user -> user unicast and multicast (NETLINK_USERSOCK).
insmod /lib/modules/nlscope_demo.ko || exit 10

nlscope record --format jsonl -o /results/capture.jsonl 2> /results/record.err &
RECORDER=$!
. /scenario/lib/wait.sh
wait_for /results/record.err capturing $RECORDER "nlscope record"

FAILED=0
var() { echo "$1=$2" >> /results/vars.env; }
# listen NAME PROTOCOL PORT GROUPS: one message, in the background.
listen() {
    nl_listen "$2" "$3" "$4" 1 20 > "/results/$1.out" 2>&1 &
    eval "LISTENER_$1=\$!"
    for i in $(seq 1 100); do grep -q ready "/results/$1.out" && return 0; sleep 0.05; done
    echo "listener $1 not ready:"; cat "/results/$1.out"; FAILED=1
}
# settle NAME: wait for the listener, note the size it received.
settle() {
    eval "wait \$LISTENER_$1" || { echo "listener $1 got nothing"; FAILED=1; }
    cat "/results/$1.out"
    var "$(echo "$1" | tr a-z A-Z)_BYTES" "$(sed -n 's/^got bytes=\([0-9]*\).*/\1/p' "/results/$1.out")"
}
# send N ARGS...: nlscope send from port 600N, its output and pid noted.
send() {
    n=$1; shift
    nlscope send --port "600$n" "$@" > "/results/send$n.out" 2>&1 || { echo "send $n failed"; FAILED=1; }
    cat "/results/send$n.out"
    var "P$n" "$(sed -n 's/^request: .*(pid \([0-9]*\)).*/\1/p' "/results/send$n.out")"
}

# 1. kernel -> user unicast: the module sends the payload to port 5001.
listen k2u_unicast 30 5001 0
send 1 --template unicast:5001 --text "k2u unicast"
settle k2u_unicast

# 2. kernel -> user multicast: the module multicasts to group 3.
listen k2u_multicast 30 5002 3
send 2 --template multicast:3 --text "k2u multicast"
settle k2u_multicast

# 3. user -> kernel unicast: ECHO, answered with the payload and an ack.
send 3 --template echo --text "u2k echo"

# 4. user -> kernel multicast: nl_groups=group 4 and nl_pid 0 on protocol 30.
listen u2k_multicast 30 5004 4
send 4 --protocol 30 --group 4 --text "u2k multicast"
settle u2k_multicast

# 5. user -> user unicast on NETLINK_USERSOCK.
listen u2u_unicast 2 5005 0
send 5 --protocol usersock --to port:5005 --text "u2u unicast" --wait 200
settle u2u_unicast

# 6. user -> user multicast on NETLINK_USERSOCK (group 5; the unicast copy
# to nl_pid 0 is refused: usersock has no kernel socket).
listen u2u_multicast 2 5006 5
send 6 --protocol usersock --group 5 --text "u2u multicast" --wait 200
settle u2u_multicast

kill -INT $RECORDER
wait $RECORDER
RECORDER_RC=$?
cat /results/record.err

# Outside the capture: the errors and the counters.
nlscope send --template unicast:7777 --text nobody > /results/err-port.out 2> /results/err-port.err
echo "exit $?" >> /results/err-port.err
nlscope send --template multicast:99 > /results/err-group.out 2> /results/err-group.err
echo "exit $?" >> /results/err-group.err
nlscope send --template echo --text "$(head -c 1100 /dev/zero | tr '\0' x)" > /results/err-size.out 2> /results/err-size.err
echo "exit $?" >> /results/err-size.err
nlscope send --protocol 30 --type 0x42 --flags request > /results/err-cmd.out 2> /results/err-cmd.err
echo "exit $?" >> /results/err-cmd.err
nlscope send --read-only --template hello > /results/readonly.out 2> /results/readonly.err
echo "exit $?" >> /results/readonly.err
nlscope send --template stats > /results/stats.out 2>&1 || FAILED=1
cat /results/err-*.err /results/stats.out

rmmod nlscope_demo || { echo "rmmod failed"; FAILED=1; }
nlscope send --template hello > /results/unloaded.out 2> /results/unloaded.err
echo "exit $?" >> /results/unloaded.err
cat /results/unloaded.err
[ $FAILED -eq 0 ] && [ $RECORDER_RC -eq 0 ]
