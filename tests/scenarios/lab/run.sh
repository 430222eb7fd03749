# The lab (make demo): the demo module, the agent serving the host over
# virtio-serial, and a traffic generator that runs until the host stops the
# guest: rtnetlink dumps, links created and deleted (with a listener that never
# reads, so drops show), uevents, generic netlink lookups, the demo module's
# exchange, and user-to-user unicasts.
insmod /lib/modules/nlscope_demo.ko || exit 12
for i in $(seq 1 50); do ls /sys/class/virtio-ports/*/name > /dev/null 2>&1 && break; sleep 0.1; done
nlscope agent --listen virtio:nlscope.agent &
sleep 2
echo "nlscope-lab: traffic starts"
round=0
while true; do
    round=$((round + 1))
    nl_traffic dump-links > /dev/null
    nl_traffic dump-addrs > /dev/null
    nl_traffic overflow 2 > /dev/null
    nl_traffic genl-family nlctrl > /dev/null
    seed_client $((4000 + round % 1000)) > /dev/null
    nl_traffic usersock > /dev/null
    sleep 1
done
