// SPDX-License-Identifier: GPL-2.0
/*
 * nlscope_demo: the demo netlink kernel module from nlscope's seed article,
 * modernised for kernels 5.4 to 6.x.
 *
 * Seed parity: a message sent to port 0 on the module's protocol is logged and
 * answered with "Hello userspace" (type NLMSG_DONE) to the sender's port.
 * test_unicast()/test_broadcast() stay exported so other modules can make the
 * kernel the sender.
 *
 * Parameters:
 *   protocol       netlink protocol number to register (default 30)
 *   groups         number of multicast groups (default 32)
 *   warn_on_load   raise a kernel WARNING at load; only for testing that the
 *                  guest harness notices kernel warnings
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

static int protocol = 30;
module_param(protocol, int, 0444);
MODULE_PARM_DESC(protocol, "netlink protocol number to register (default 30)");

static unsigned int groups = 32;
module_param(groups, uint, 0444);
MODULE_PARM_DESC(groups, "number of multicast groups (default 32)");

static bool warn_on_load;
module_param(warn_on_load, bool, 0444);
MODULE_PARM_DESC(warn_on_load, "raise a WARNING at load (harness self-test only)");

static const char hello_reply[] = "Hello userspace";

/* Longest payload the module logs; longer ones are logged cut. */
#define LOG_PAYLOAD_MAX 64

static struct sock *nl_sk;

static struct sk_buff *build_message(const void *data, size_t size)
{
	struct sk_buff *skb;
	struct nlmsghdr *nlh;

	if (size > NLMSG_DEFAULT_SIZE)
		return NULL;
	skb = nlmsg_new(size, GFP_KERNEL);
	if (!skb)
		return NULL;
	nlh = nlmsg_put(skb, 0, 0, NLMSG_DONE, size, 0);
	if (!nlh) {
		kfree_skb(skb);
		return NULL;
	}
	memcpy(nlmsg_data(nlh), data, size);
	return skb;
}

/*
 * Sends `size` bytes of `data` to the socket bound to port `portid`.
 * Returns 0 or a negative errno (-ECONNREFUSED when no such port).
 */
int test_unicast(void *data, size_t size, __u32 portid)
{
	struct sk_buff *skb;
	int ret;

	if (!nl_sk)
		return -ENODEV;
	skb = build_message(data, size);
	if (!skb)
		return -ENOMEM;
	NETLINK_CB(skb).dst_group = 0;
	/* nlmsg_unicast consumes the skb on success and on error. */
	ret = nlmsg_unicast(nl_sk, skb, portid);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL(test_unicast);

/*
 * Sends `size` bytes of `data` to every socket listening on multicast `group`.
 * Returns 0 or a negative errno (-ESRCH when nobody listens).
 */
int test_broadcast(void *data, size_t size, __u32 group)
{
	struct sk_buff *skb;

	if (!nl_sk)
		return -ENODEV;
	if (group == 0 || group > groups)
		return -EINVAL;
	skb = build_message(data, size);
	if (!skb)
		return -ENOMEM;
	NETLINK_CB(skb).dst_group = group;
	/* netlink_broadcast consumes the skb. */
	return netlink_broadcast(nl_sk, skb, 0, group, GFP_KERNEL);
}
EXPORT_SYMBOL(test_broadcast);

static void handle_message(struct sk_buff *skb, struct nlmsghdr *nlh)
{
	u32 sender = NETLINK_CB(skb).portid;
	int payload_len = nlmsg_len(nlh);
	int ret;

	pr_info("nlscope_demo: LEN(%u) TYPE(%u) FLAGS(%#x) SEQ(%u) PORTID(%u) from port %u\n",
		nlh->nlmsg_len, nlh->nlmsg_type, nlh->nlmsg_flags, nlh->nlmsg_seq,
		nlh->nlmsg_pid, sender);
	/* The payload need not be NUL-terminated: print at most its length. */
	pr_info("nlscope_demo: received %d bytes: %.*s\n", payload_len,
		min(payload_len, LOG_PAYLOAD_MAX), (const char *)nlmsg_data(nlh));

	/* Reply to the port the message really came from, not to the header's claim. */
	ret = test_unicast((void *)hello_reply, strlen(hello_reply), sender);
	if (ret < 0)
		pr_info("nlscope_demo: reply to port %u failed: %d\n", sender, ret);
}

/* Called in the sender's context for every skb sent to port 0. */
static void nl_recv_msg(struct sk_buff *skb)
{
	unsigned int offset = 0;

	/* Written as offset + HDRLEN <= len: offset may pass len after the last
	 * aligned message, and len - offset would then wrap around. */
	while (offset <= skb->len && skb->len - offset >= NLMSG_HDRLEN) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(skb->data + offset);
		unsigned int msg_len = nlh->nlmsg_len;

		if (msg_len < NLMSG_HDRLEN || msg_len > skb->len - offset) {
			pr_info("nlscope_demo: dropping malformed message (len %u, %u bytes left)\n",
				msg_len, skb->len - offset);
			return;
		}
		handle_message(skb, nlh);
		offset += NLMSG_ALIGN(msg_len);
	}
}

static int __init nlscope_demo_init(void)
{
	struct netlink_kernel_cfg cfg = {
		.input = nl_recv_msg,
		.groups = groups,
	};

	if (protocol < 0 || protocol >= MAX_LINKS) {
		pr_err("nlscope_demo: protocol %d out of range 0..%d\n", protocol, MAX_LINKS - 1);
		return -EINVAL;
	}
	nl_sk = netlink_kernel_create(&init_net, protocol, &cfg);
	if (!nl_sk) {
		pr_err("nlscope_demo: cannot register netlink protocol %d (already in use?)\n", protocol);
		return -EBUSY;
	}
	pr_info("nlscope_demo: loaded on netlink protocol %d with %u groups\n", protocol, groups);
	WARN(warn_on_load, "nlscope_demo: warn_on_load=1 (harness self-test)\n");
	return 0;
}

static void __exit nlscope_demo_exit(void)
{
	netlink_kernel_release(nl_sk);
	nl_sk = NULL;
	pr_info("nlscope_demo: unloaded\n");
}

module_init(nlscope_demo_init);
module_exit(nlscope_demo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nlscope demo netlink module (seed article, grown up)");
