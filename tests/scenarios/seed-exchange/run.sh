# The seed article's exchange, captured: the module answers "Hello kernel"
# with "Hello userspace", and `nlscope record` sees exactly those two messages.
PORT=4242
insmod /lib/modules/nlscope_demo.ko || exit 10

nlscope record --format jsonl -o /results/capture.jsonl 2> /results/record.err &
RECORDER=$!
. /scenario/lib/wait.sh
wait_for /results/record.err capturing $RECORDER "nlscope record"

seed_client $PORT > /results/client.out
CLIENT_RC=$?
cat /results/client.out

kill -INT $RECORDER
wait $RECORDER
RECORDER_RC=$?
cat /results/record.err
echo "recorder exit $RECORDER_RC, client exit $CLIENT_RC"

echo "PORT=$PORT" > /results/vars.env
echo "CLIENT_PID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' /results/client.out)" >> /results/vars.env
rmmod nlscope_demo || exit 12
[ $CLIENT_RC -eq 0 ] && [ $RECORDER_RC -eq 0 ]
