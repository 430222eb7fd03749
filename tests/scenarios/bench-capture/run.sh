# Capture overhead benchmark, timed (scripts/bench-capture.sh): see
# /scenario/lib/bench-capture.sh, which bench-capture-insns shares.
. /scenario/lib/bench-capture.sh
