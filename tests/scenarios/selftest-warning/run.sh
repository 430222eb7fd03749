# Harness self-test: the module raises a kernel WARNING at load; the harness
# must fail this scenario even though run.sh itself succeeds.
insmod /lib/modules/nlscope_demo.ko warn_on_load=1
rmmod nlscope_demo
exit 0
