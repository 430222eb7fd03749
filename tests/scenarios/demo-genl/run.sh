# The demo module's generic netlink family, captured: iproute2's genl finds it
# through nlctrl, then tests/helpers/genl_demo.c (one request per run, each
# from its own port) sends ECHO, two valid SETs (a listener on the events
# group gets both notifications), four SETs the kernel or the module refuses
# (value out of range, name too long: the kernel's policy checks; no index,
# an empty name: the module), a GET, a GET of an empty slot and a dump, while
# `nlscope record` captures; then 100,000 random and malformed requests, after
# which the family still answers. expect.json checks the capture's ports, groups
# and results, and that `nlscope decode --spec-dir` names every command and
# attribute; tests/tests/guest.rs checks the bytes (the family id, the
# commands, the attributes, the extended acks) and the names again.
insmod /lib/modules/nlscope_demo.ko || exit 10
genl() { /usr/local/bin/genl "$@"; }

nlscope record --format jsonl -o /results/capture.jsonl 2> /results/record.err &
RECORDER=$!
. /scenario/lib/wait.sh
wait_for /results/record.err capturing $RECORDER "nlscope record"

FAILED=0
# The module's spec travels with it (tests/src/lib.rs, GUEST_SPEC_DIR).
[ -f /usr/share/nlscope/specs/nlscope_demo.yaml ] || { echo "the spec is not in the guest"; FAILED=1; }
var() { echo "$1=$2" >> /results/vars.env; }
# field NAME FILE: the value of NAME=... on the first line that has it.
field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p;s/^$1=\([^ ]*\).*/\1/p" "/results/$2" | head -n 1; }
# run NAME PORT ARGS...: genl_demo from PORT, its output kept as NAME.out.
run() {
    name=$1; port=$2; shift 2
    genl_demo --port "$port" --family "$FAMILY_ID" --group "$GROUP_ID" "$@" > "/results/$name.out" 2>&1 \
        || { echo "genl_demo $name failed"; FAILED=1; }
    echo "== $name (port $port): $*"; cat "/results/$name.out"
    var "$(echo "$name" | tr a-z- A-Z_)_LEN" "$(field len "$name.out")"
}

# The family through nlctrl, as a person would look it up.
genl ctrl get name nlscope_demo > /results/genl-ctrl.out 2>&1 || { echo "genl ctrl get failed"; FAILED=1; }
cat /results/genl-ctrl.out
FAMILY_ID=$(($(sed -n 's/.*ID: \(0x[0-9a-fA-F]*\).*/\1/p' /results/genl-ctrl.out | head -n 1)))
GROUP_ID=$(($(sed -n 's/.*ID-\(0x[0-9a-fA-F]*\) *name: events.*/\1/p' /results/genl-ctrl.out | head -n 1)))
var FAMILY_ID "$FAMILY_ID"
var GROUP_ID "$GROUP_ID"
# The helper's own lookup (its own nlctrl request) agrees.
genl_demo --port 7000 resolve > /results/resolve.out 2>&1 || FAILED=1
cat /results/resolve.out
grep -q "^resolved family=$FAMILY_ID version=1 maxattr=6 events_group=$GROUP_ID\$" /results/resolve.out \
    || { echo "genl and genl_demo disagree"; FAILED=1; }

# A listener on the events group, for the two notifications.
genl_demo --port 7010 --family "$FAMILY_ID" --group "$GROUP_ID" listen 2 30 > /results/listen.out 2>&1 &
LISTENER=$!
wait_for /results/listen.out ready $LISTENER "the events listener" 13

run echo 7001 echo "hello genl" 42
run set 7002 set 3 500 alpha
run set-max 7003 set 5 1000 beta
run set-range 7004 set 3 5000 gamma
run set-long 7005 set 3 5 "a-name-of-forty-characters-is-too-long.."
run set-noindex 7006 set - 5
run set-empty 7007 set 3 5 ""
run get 7008 get 3
run get-empty 7009 get 6
run dump 7011 dump
var DUMP_PARTS "$(field parts dump.out)"

wait $LISTENER || { echo "the listener did not get both notifications"; FAILED=1; }
cat /results/listen.out

kill -INT $RECORDER
wait $RECORDER
RECORDER_RC=$?
cat /results/record.err
nlscope decode /results/capture.jsonl > /results/decode.txt 2>&1 || { echo "decode failed"; FAILED=1; }
# And by name, with the module's spec (kmod/nlscope_demo.yaml, in the guest).
nlscope specs --spec-dir /usr/share/nlscope/specs > /results/specs.txt 2>&1 || { echo "specs failed"; FAILED=1; }
grep nlscope_demo /results/specs.txt
nlscope decode --spec-dir /usr/share/nlscope/specs /results/capture.jsonl > /results/decode-spec.txt 2>&1 \
    || { echo "decode --spec-dir failed"; FAILED=1; }

# Outside the capture: random and malformed requests (any command, flags,
# version and reserved field; attributes of any type, length and contents,
# cut or overlong), every answer read; then the family still echoes.
START=$(date +%s)
genl_demo --port 7020 --family "$FAMILY_ID" fuzz 100000 1 > /results/fuzz.out 2>&1 || { echo "fuzz failed"; FAILED=1; }
echo "$(cat /results/fuzz.out | tail -n 1) in $(( $(date +%s) - START ))s"
run echo-after 7012 echo "after the fuzz" 7

# nlscope's own requests built from the spec (send --family): an echo, a SET
# the kernel refuses, and a dump, each answered and decoded by name.
SPECS=/usr/share/nlscope/specs
nlscope send --spec-dir $SPECS --family nlscope_demo --do echo --json '{"text": "from the spec", "number": 9}' \
    > /results/send-echo.out 2>&1 || { echo "send --do echo failed"; FAILED=1; }
nlscope send --spec-dir $SPECS --family nlscope_demo --do set --yes --json '{"index": 1, "value": 5000}' \
    > /results/send-set-range.out 2>&1
echo "exit $?" >> /results/send-set-range.out
nlscope send --spec-dir $SPECS --family nlscope_demo --dump get > /results/send-dump.out 2>&1 \
    || { echo "send --dump get failed"; FAILED=1; }
cat /results/send-echo.out /results/send-set-range.out /results/send-dump.out
# Requests built from the kernel families' built-in specs: rtnetlink's link
# lookup, and nlctrl's family lookup (generic netlink, its id asked of the
# kernel).
nlscope send --family rt-link --do getlink --json '{"ifname": "lo"}' > /results/send-rt-link.out 2>&1 \
    || { echo "send --family rt-link failed"; FAILED=1; }
nlscope send --family nlctrl --do getfamily --json '{"family-name": "nlscope_demo"}' > /results/send-nlctrl.out 2>&1 \
    || { echo "send --family nlctrl failed"; FAILED=1; }
# A broken spec is one line naming its file and place; the rest still load.
mkdir -p /tmp/broken-specs
printf 'name: broken\nprotocol: genetlink\nattribute-sets:\n  - name: a\n    attributes: [\n' > /tmp/broken-specs/broken.yaml
nlscope specs --spec-dir /tmp/broken-specs > /results/specs-broken.out 2> /results/specs-broken.err
echo "exit $?" >> /results/specs-broken.err
cat /results/specs-broken.err

# rmmod takes the family away, even with a socket still on its group (a
# generic netlink socket holds no reference on the module): nlctrl no
# longer knows it.
genl_demo --port 7030 --family "$FAMILY_ID" --group "$GROUP_ID" listen 1 2 > /results/listen-rmmod.out 2>&1 &
LISTENER=$!
wait_for /results/listen-rmmod.out ready $LISTENER "the listener during rmmod" 14
rmmod nlscope_demo || { echo "rmmod failed"; FAILED=1; }
wait $LISTENER
cat /results/listen-rmmod.out
genl_demo resolve > /results/unloaded.out 2>&1
echo "exit $?" >> /results/unloaded.out
cat /results/unloaded.out
[ $FAILED -eq 0 ] && [ $RECORDER_RC -eq 0 ]
