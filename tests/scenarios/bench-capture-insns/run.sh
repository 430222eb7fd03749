# The capture overhead benchmark of bench-capture, counted in guest
# instructions instead of timed (scripts/bench-capture.sh insns): the same
# runs (/scenario/lib/bench-capture.sh), with QEMU's insn_count plugin loaded
# (file qemu-plugin), which logs each vCPU's instruction count at nl_flood's
# start and stop markers. The host joins those with results/samples.txt
# (scripts/bench-capture-insns.py).
# The traffic runs with SCHED_FIFO (FLOOD_FIFO=1, see the library), so that
# the sender and receiver's context switches do not depend on elapsed time;
# the time table this also writes is therefore not comparable with
# bench-capture's, and the plugin slows it down as well.
# Counts repeat to within about 1% (strace's less), so 3 rounds are enough.
FLOOD_FIFO=${FLOOD_FIFO:-1}
ROUNDS=${ROUNDS:-3}
. /scenario/lib/bench-capture.sh
