# The Debian package's binary, unpacked into / as `dpkg -i` lays it out,
# records live traffic: its eBPF object is really embedded. Then it lists
# the packaged demo spec (/usr/share/ynl/specs, read by default) and decodes
# what it recorded.
NLSCOPE=/usr/bin/nlscope
[ -x $NLSCOPE ] || { echo "no packaged $NLSCOPE"; exit 10; }
$NLSCOPE --version > /results/version.txt 2>&1 || exit 11
cat /results/version.txt

$NLSCOPE record --protocol route --count 20 -o /results/packaged.jsonl 2> /results/record.err &
RECORDER=$!
. /scenario/lib/wait.sh
wait_for /results/record.err capturing $RECORDER "the packaged nlscope record" 12

# iproute2's link dumps and a link change, until the recorder has its 20
# messages and says so (bounded: at most 100 rounds; not `kill -0`, which
# an exited child passes until it is waited for).
round=0
while ! grep -q "messages written" /results/record.err && [ $round -lt 100 ]; do
    ip link show > /dev/null
    ip link set lo mtu 65536
    round=$((round + 1))
done
wait $RECORDER
RECORDER_RC=$?
cat /results/record.err
echo "recorder exit $RECORDER_RC after $round rounds of ip link"

$NLSCOPE specs > /results/specs.txt 2>&1 || { echo "specs failed"; exit 13; }
$NLSCOPE decode /results/packaged.jsonl > /results/decode.txt 2>&1 || { echo "decode failed"; exit 14; }
[ $RECORDER_RC -eq 0 ]
