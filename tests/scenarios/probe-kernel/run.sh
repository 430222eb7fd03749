# Diagnostic, not a test: which netlink functions this kernel has, as symbols
# (kallsyms) and as BTF functions (what fentry can attach to).
grep -E ' (__)?netlink_|do_one_broadcast|nlmsg_notify|rtnl_notify|rtnl_unicast|genlmsg' /proc/kallsyms > /results/kallsyms.txt
uname -a > /results/uname.txt
ls /sys/kernel/tracing/ > /results/tracing.txt 2>&1
grep -E 'netlink' /sys/kernel/tracing/available_filter_functions > /results/ftrace-functions.txt 2>&1
exit 0
