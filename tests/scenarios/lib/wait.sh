# Sourced by scenarios: wait_for FILE TEXT PID WHAT [CODE] waits (up to 60 s
# under TCG) until FILE holds TEXT, e.g. a recorder's "capturing", and exits
# with CODE (default 11), showing FILE, if PID ends first or time runs out.
wait_for() {
    for i in $(seq 1 600); do
        grep -q "$2" "$1" && return 0
        kill -0 "$3" 2>/dev/null || break
        sleep 0.1
    done
    echo "$4 did not start:"; cat "$1"; exit "${5:-11}"
}
