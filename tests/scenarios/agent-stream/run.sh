# nlscope agent in the guest, serving its capture to the host over a
# virtio-serial port, while `nlscope record` captures the same traffic in the
# guest. The host test compares the two over the recorder's interval.
insmod /lib/modules/nlscope_demo.ko || exit 12
for i in $(seq 1 50); do ls /sys/class/virtio-ports/*/name > /dev/null 2>&1 && break; sleep 0.1; done

. /scenario/lib/wait.sh
nlscope agent --listen virtio:nlscope.agent 2> /results/agent.err &
AGENT=$!
wait_for /results/agent.err serving $AGENT "nlscope agent" 13
nlscope record -o /results/capture.jsonl 2> /results/record.err &
RECORDER=$!
wait_for /results/record.err capturing $RECORDER "nlscope record" 13

nl_traffic dump-links
nl_traffic link-create nlsdummy0
nl_traffic genl-family nlctrl
seed_client 4242
nl_traffic usersock

kill -INT $RECORDER
wait $RECORDER || exit 14
# Give the agent time to hand everything to the host before it stops.
sleep 2
kill -INT $AGENT
wait $AGENT || exit 15
cat /results/record.err /results/agent.err
