# 100,000 random and malformed datagrams to the demo module from four clients
# at once, then STATS: the counters must equal what the clients sent and add
# up (nl_fuzz checks and prints each). Then rmmod: refused while a socket of
# the protocol is open (it holds the module), clean once it is closed. The
# harness fails the run on any Oops, BUG or WARNING in dmesg.
insmod /lib/modules/nlscope_demo.ko || exit 10
START=$(cut -d' ' -f1 /proc/uptime)
nl_fuzz 4 100000 "${FUZZ_SEED:-1}" > /results/fuzz.out 2>&1
FUZZ_RC=$?
END=$(cut -d' ' -f1 /proc/uptime)
cat /results/fuzz.out
echo "fuzz exit $FUZZ_RC (guest uptime $START -> $END)"

# A bound client keeps the module: rmmod must refuse, not pull it away.
nl_listen 30 7000 0 1 30 > /results/holder.out 2>&1 &
HOLDER=$!
for i in $(seq 1 100); do grep -q ready /results/holder.out && break; sleep 0.05; done
if rmmod nlscope_demo 2> /results/rmmod-busy.err; then
    echo "rmmod succeeded while a client was bound" > /results/rmmod-busy.err
    RMMOD_BUSY=unexpected
else
    RMMOD_BUSY=refused
fi
echo "rmmod while bound: $RMMOD_BUSY"
kill $HOLDER; wait $HOLDER 2>/dev/null
rmmod nlscope_demo || { echo "rmmod failed"; exit 12; }
echo "rmmod after close: ok"
[ $FUZZ_RC -eq 0 ] && [ "$RMMOD_BUSY" = refused ]
