# Scale: while nlscope records (default ring size, whole datagrams), ip -batch
# creates 50,000 routes and `ip route show table all` dumps them. Counted in
# the guest (the file is too big to bring back whole over the serial port):
# every request, ack, notification and dump part must be in the file.
ip() { /usr/local/bin/ip "$@"; }
ROUTES=${ROUTES:-50000}
var() { echo "$1=$2" >> /results/vars.env; }
var ROUTES "$ROUTES"
ip link add nlsd0 type dummy || exit 10
ip link set nlsd0 up || exit 10
awk -v n="$ROUTES" 'BEGIN { for (i = 0; i < n; i++) printf "route add 198.18.%d.%d/32 dev nlsd0\n", int(i / 256), i % 256 }' > /tmp/routes.batch

nlscope record -w /tmp/capture.pcapng 2> /results/record.err &
RECORDER=$!
. /scenario/lib/wait.sh
wait_for /results/record.err capturing $RECORDER "nlscope record"

start=$(cut -d' ' -f1 /proc/uptime)
ip -batch /tmp/routes.batch || { echo "ip -batch failed"; exit 12; }
added=$(cut -d' ' -f1 /proc/uptime)
ip route show table all > /tmp/routes.txt || exit 13
end=$(cut -d' ' -f1 /proc/uptime)
sleep 1
kill -INT $RECORDER
wait $RECORDER
cat /results/record.err
var DUMPED_ROUTES "$(grep -c '^198\.18\.' /tmp/routes.txt)"
var DUMP_LINES "$(wc -l < /tmp/routes.txt)"

# Counted by a reader of the test's own (tests/helpers/pcapng_count.c):
# every netlink message of every datagram, by type, direction and hook.
pcapng_count /tmp/capture.pcapng > /results/counts.env 2> /results/count.err || { cat /results/count.err; exit 14; }
cat /results/counts.env >> /results/vars.env
cat /results/counts.env
datagrams=$(sed -n 's/^DATAGRAMS=//p' /results/counts.env)
# Rates over the whole run (adding and dumping), from the guest's clock.
awk -v s="$start" -v a="$added" -v e="$end" -v d="$datagrams" -v b="$(sed -n 's/^BYTES=//p' /results/counts.env)" 'BEGIN {
    t = e - s; printf "route-scale: %d datagrams, %.1f MB in %.2f s (add %.2f s, dump %.2f s): %.0f datagrams/s, %.2f MB/s\n", d, b / 1e6, t, a - s, e - a, d / t, b / 1e6 / t
}' | tee /results/rate.txt
ls -l /tmp/capture.pcapng
exit 0
