# The lab (make demo): the demo module, the agent serving the host over
# virtio-serial, and a traffic generator that runs until the host stops the
# guest: rtnetlink dumps, links created and deleted (with a listener that never
# reads, so drops show), uevents, generic netlink lookups, the demo module's
# exchange, and user-to-user unicasts.
for module in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console; do
    insmod /lib/modules/$module.ko || exit 10
done
insmod /lib/modules/dummy.ko numdummies=0 || exit 11
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
