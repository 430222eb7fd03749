# The lab (make demo): the demo module, the agent serving the host over
# virtio-serial (taking sends: the dashboard's inject dialog sends from
# here), a traffic generator that runs until the host stops the guest:
# rtnetlink dumps, links created and deleted (with a listener that never
# reads, so drops show), uevents, generic netlink lookups, the demo module's
# exchange and its generic netlink family (echo, set, get, dump, with a
# listener on its events group), and user-to-user unicasts; and listeners
# for what the dialog's examples send: port 4243 on the demo protocol (the
# module's unicast) in group 1 (its multicast), and port 4243 on
# NETLINK_USERSOCK.
insmod /lib/modules/nlscope_demo.ko || exit 12
for i in $(seq 1 50); do ls /sys/class/virtio-ports/*/name > /dev/null 2>&1 && break; sleep 0.1; done
nlscope agent --listen virtio:nlscope.agent --allow-send &
# Each listener takes a billion messages or a day of silence, and starts again.
(while true; do nl_listen 30 4243 1 1000000000 86400 > /dev/null; sleep 1; done) &
(while true; do nl_listen 2 4243 0 1000000000 86400 > /dev/null; sleep 1; done) &
sleep 2
echo "nlscope-lab: traffic starts"
# The family's notifications have a listener for as long as the lab runs.
genl_demo --port 7010 listen 1000000 100000 > /dev/null 2>&1 &
round=0
while true; do
    round=$((round + 1))
    nl_traffic dump-links > /dev/null
    nl_traffic dump-addrs > /dev/null
    nl_traffic overflow 2 > /dev/null
    nl_traffic genl-family nlctrl > /dev/null
    # Ports 5000-5999: clear of the listeners' 4243.
    seed_client $((5000 + round % 1000)) > /dev/null
    nl_traffic usersock > /dev/null
    genl_demo echo "lab round $round" "$round" > /dev/null
    genl_demo set $((round % 8)) $((round % 1001)) "round$round" > /dev/null
    genl_demo get $((round % 8)) > /dev/null
    [ $((round % 8)) = 0 ] && genl_demo dump > /dev/null
    sleep 1
done
