# Harness self-test: the expectation asks for text this scenario never writes.
echo "this scenario deliberately disappoints its expectations" > /results/note.txt
exit 0
