# nlscope agent --allow-send in the guest on a unix socket, with two
# clients: `nlscope send --connect` has it send the seed's flows (the hello,
# the module's unicast and multicast, a user-to-user message, an rtnetlink
# dump) while `nlscope record --connect` only watches. The watcher's file
# must hold the traffic of every send, the listeners must get what was sent
# to them, and the agent must have logged each send.
insmod /lib/modules/nlscope_demo.ko || exit 10
. /scenario/lib/wait.sh
SOCK=unix:/run/nlscope.sock
var() { echo "$1=$2" >> /results/vars.env; }

nlscope agent --listen $SOCK --allow-send 2> /results/agent.err &
AGENT=$!
var AGENT_PID $AGENT
wait_for /results/agent.err serving $AGENT "nlscope agent" 13
nlscope record --connect $SOCK -o /results/watch.jsonl 2> /results/watch.err &
WATCHER=$!
wait_for /results/watch.err capturing $WATCHER "nlscope record --connect" 13

# The module's unicast and multicast both reach port 5001 (group 1); a
# usersock socket on 5002 takes the user-to-user message.
nl_listen 30 5001 1 2 30 > /results/listen.out 2>&1 &
LISTENER=$!
nl_listen 2 5002 0 1 30 > /results/usersock.out 2>&1 &
U2U=$!
wait_for /results/listen.out ready $LISTENER "nl_listen 30" 14
wait_for /results/usersock.out ready $U2U "nl_listen 2" 14

FAILED=0
# send NAME ARGS...: through the agent; the output and exit status kept
# (standard input is not the console: nothing waits for a y/n there).
send() {
    name=$1; shift
    nlscope send --connect $SOCK "$@" < /dev/null > "/results/$name.out" 2> "/results/$name.err"
    echo "exit $?" >> "/results/$name.err"
    cat "/results/$name.out" "/results/$name.err"
}
send hello --template hello
send unicast --template unicast:5001 --text "via agent unicast"
send multicast --template multicast:1 --text "via agent multicast"
send u2u --protocol usersock --to port:5002 --text "via agent u2u"
send getlink --template getlink
# Refused before the agent is asked: no --yes, no terminal.
send dellink --protocol route --type RTM_DELLINK

wait $LISTENER || { echo "the group listener missed something"; FAILED=1; }
wait $U2U || { echo "the usersock listener got nothing"; FAILED=1; }
cat /results/listen.out /results/usersock.out
# Give the watcher the last batches before it stops.
sleep 2
kill -INT $WATCHER
wait $WATCHER || FAILED=1
kill -INT $AGENT
wait $AGENT || FAILED=1
cat /results/watch.err /results/agent.err
exit $FAILED
