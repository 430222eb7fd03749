// SPDX-License-Identifier: GPL-2.0
/*
 * nlscope_demo: the demo netlink kernel module from nlscope's seed article,
 * grown up, for kernels 5.4 to 6.x.
 *
 * Seed parity: a message whose type is below NLMSG_MIN_TYPE, sent to port 0 on
 * the module's protocol, is logged and answered with "Hello userspace" (type
 * NLMSG_DONE) to the sender's port. test_unicast()/test_broadcast() stay
 * exported so other modules can make the kernel the sender.
 *
 * Commands (nlscope_demo_abi.h, mirrored by nlscope_common::demo) make the
 * module the sender without a second module: ECHO, UNICAST to a port,
 * MULTICAST to a group, and STATS. Every command is validated and answered
 * with NLMSG_ERROR carrying the errno and an extended-ack message on failure,
 * and with an ack on success when NLM_F_ACK is set.
 *
 * The input callback runs in each sender's context, so several clients run it
 * at once: the counters are atomic and nothing else is shared. While user
 * sockets of the protocol are open they hold a reference on the module (the
 * netlink core takes it in netlink_create), so rmmod waits for them to close
 * ("in use"); it never pulls the socket from under them.
 *
 * Parameters:
 *   protocol       netlink protocol number to register (default 30)
 *   groups         number of multicast groups (default 32)
 *   warn_on_load   raise a kernel WARNING at load; only for testing that the
 *                  guest harness notices kernel warnings
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/version.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "nlscope_demo_abi.h"

static int protocol = NLSCOPE_DEMO_PROTOCOL;
module_param(protocol, int, 0444);
MODULE_PARM_DESC(protocol, "netlink protocol number to register (default 30)");

static unsigned int groups = NLSCOPE_DEMO_GROUPS;
module_param(groups, uint, 0444);
MODULE_PARM_DESC(groups, "number of multicast groups (default 32)");

static bool warn_on_load;
module_param(warn_on_load, bool, 0444);
MODULE_PARM_DESC(warn_on_load, "raise a WARNING at load (harness self-test only)");

static const char hello_reply[] = NLSCOPE_DEMO_HELLO_REPLY;

/* Longest payload the module logs; longer ones are logged cut. */
#define LOG_PAYLOAD_MAX 64

static struct sock *nl_sk;

static struct {
	atomic64_t received, messages, malformed, plain, cmd_ok, cmd_errors;
	atomic64_t sent, send_errors, acks;
} stats;

/* An extended-ack message with a number in it where the kernel can format one
 * (NL_SET_ERR_MSG_FMT, 6.2 and later); a fixed message before. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && defined(NL_SET_ERR_MSG_FMT)
#define DEMO_ERR_MSG(extack, fixed, fmt, ...) NL_SET_ERR_MSG_FMT(extack, fmt, ##__VA_ARGS__)
#else
#define DEMO_ERR_MSG(extack, fixed, fmt, ...) NL_SET_ERR_MSG(extack, fixed)
#endif

static struct sk_buff *build_message(u16 type, u32 seq, const void *data, size_t size)
{
	struct sk_buff *skb;
	struct nlmsghdr *nlh;

	if (size > NLMSG_DEFAULT_SIZE)
		return NULL;
	skb = nlmsg_new(size, GFP_KERNEL);
	if (!skb)
		return NULL;
	nlh = nlmsg_put(skb, 0, seq, type, size, 0);
	if (!nlh) {
		kfree_skb(skb);
		return NULL;
	}
	if (size)
		memcpy(nlmsg_data(nlh), data, size);
	return skb;
}

static int count_send(int ret)
{
	if (ret < 0)
		atomic64_inc(&stats.send_errors);
	else
		atomic64_inc(&stats.sent);
	return ret;
}

static int send_unicast(u16 type, u32 seq, const void *data, size_t size, u32 portid)
{
	struct sk_buff *skb;
	int ret;

	if (!nl_sk)
		return -ENODEV;
	skb = build_message(type, seq, data, size);
	if (!skb)
		return count_send(-ENOMEM);
	NETLINK_CB(skb).dst_group = 0;
	/* nlmsg_unicast never blocks and consumes the skb on success and on error. */
	ret = nlmsg_unicast(nl_sk, skb, portid);
	return count_send(ret < 0 ? ret : 0);
}

static int send_broadcast(u16 type, u32 seq, const void *data, size_t size, u32 group)
{
	struct sk_buff *skb;

	if (!nl_sk)
		return -ENODEV;
	if (group == 0 || group > groups)
		return -EINVAL;
	skb = build_message(type, seq, data, size);
	if (!skb)
		return count_send(-ENOMEM);
	NETLINK_CB(skb).dst_group = group;
	/* netlink_broadcast consumes the skb; -ESRCH when nobody listens. */
	return count_send(netlink_broadcast(nl_sk, skb, 0, group, GFP_KERNEL));
}

/*
 * Sends `size` bytes of `data` to the socket bound to port `portid`.
 * Returns 0 or a negative errno (-ECONNREFUSED when no such port).
 */
int test_unicast(void *data, size_t size, __u32 portid)
{
	return send_unicast(NLMSG_DONE, 0, data, size, portid);
}
EXPORT_SYMBOL(test_unicast);

/*
 * Sends `size` bytes of `data` to every socket listening on multicast `group`.
 * Returns 0 or a negative errno (-ESRCH when nobody listens).
 */
int test_broadcast(void *data, size_t size, __u32 group)
{
	return send_broadcast(NLMSG_DONE, 0, data, size, group);
}
EXPORT_SYMBOL(test_broadcast);

/* The seed's plain message: log it and say hello to the sender. */
static void handle_plain(struct sk_buff *skb, struct nlmsghdr *nlh)
{
	u32 sender = NETLINK_CB(skb).portid;
	int payload_len = nlmsg_len(nlh);
	int ret;

	/* Rate-limited: any user of the protocol can send these as fast as it likes. */
	pr_info_ratelimited("nlscope_demo: LEN(%u) TYPE(%u) FLAGS(%#x) SEQ(%u) PORTID(%u) from port %u\n",
			    nlh->nlmsg_len, nlh->nlmsg_type, nlh->nlmsg_flags, nlh->nlmsg_seq,
			    nlh->nlmsg_pid, sender);
	/* The payload need not be NUL-terminated: print at most its length. */
	pr_info_ratelimited("nlscope_demo: received %d bytes: %.*s\n", payload_len,
			    min(payload_len, LOG_PAYLOAD_MAX), (const char *)nlmsg_data(nlh));

	/* Reply to the port the message really came from, not to the header's claim. */
	ret = test_unicast((void *)hello_reply, strlen(hello_reply), sender);
	if (ret < 0)
		pr_info_ratelimited("nlscope_demo: reply to port %u failed: %d\n", sender, ret);
}

static void snapshot(struct nlscope_demo_stats *out)
{
	out->received = atomic64_read(&stats.received);
	out->messages = atomic64_read(&stats.messages);
	out->malformed = atomic64_read(&stats.malformed);
	out->plain = atomic64_read(&stats.plain);
	out->cmd_ok = atomic64_read(&stats.cmd_ok);
	out->cmd_errors = atomic64_read(&stats.cmd_errors);
	out->sent = atomic64_read(&stats.sent);
	out->send_errors = atomic64_read(&stats.send_errors);
	out->acks = atomic64_read(&stats.acks);
}

/* Runs one command; 0 or a negative errno with `extack` saying why. */
static int handle_command(struct sk_buff *skb, struct nlmsghdr *nlh,
			  struct netlink_ext_ack *extack)
{
	u32 sender = NETLINK_CB(skb).portid;
	u32 body_len = nlmsg_len(nlh);
	struct nlscope_demo_cmd cmd;
	const u8 *payload;
	int ret;

	switch (nlh->nlmsg_type) {
	case NLSCOPE_DEMO_CMD_ECHO:
	case NLSCOPE_DEMO_CMD_UNICAST:
	case NLSCOPE_DEMO_CMD_MULTICAST:
	case NLSCOPE_DEMO_CMD_STATS:
		break;
	default:
		DEMO_ERR_MSG(extack, "nlscope_demo: unknown command",
			     "nlscope_demo: unknown command %#x", nlh->nlmsg_type);
		return -EOPNOTSUPP;
	}
	if (body_len < sizeof(cmd)) {
		NL_SET_ERR_MSG(extack, "nlscope_demo: body shorter than the 8-byte command header");
		return -EINVAL;
	}
	memcpy(&cmd, nlmsg_data(nlh), sizeof(cmd));
	if (cmd.payload_len > NLSCOPE_DEMO_MAX_PAYLOAD) {
		DEMO_ERR_MSG(extack, "nlscope_demo: payload longer than 1024 bytes",
			     "nlscope_demo: payload of %u bytes, the limit is %u",
			     cmd.payload_len, NLSCOPE_DEMO_MAX_PAYLOAD);
		return -EMSGSIZE;
	}
	/* Exactly the header and payload_len bytes, plus at most the alignment padding. */
	if (cmd.payload_len > body_len - sizeof(cmd) ||
	    body_len - sizeof(cmd) - cmd.payload_len >= NLMSG_ALIGNTO) {
		DEMO_ERR_MSG(extack, "nlscope_demo: payload_len does not match the message length",
			     "nlscope_demo: payload_len %u but %u payload bytes",
			     cmd.payload_len, (u32)(body_len - sizeof(cmd)));
		return -EINVAL;
	}
	payload = (const u8 *)nlmsg_data(nlh) + sizeof(cmd);

	switch (nlh->nlmsg_type) {
	case NLSCOPE_DEMO_CMD_ECHO:
		if (cmd.target) {
			NL_SET_ERR_MSG(extack, "nlscope_demo: ECHO takes target 0");
			return -EINVAL;
		}
		ret = send_unicast(NLSCOPE_DEMO_CMD_ECHO, nlh->nlmsg_seq, payload,
				   cmd.payload_len, sender);
		if (ret < 0)
			NL_SET_ERR_MSG(extack, "nlscope_demo: the echo could not be queued");
		return ret;
	case NLSCOPE_DEMO_CMD_UNICAST:
		if (cmd.target == 0) {
			NL_SET_ERR_MSG(extack, "nlscope_demo: UNICAST needs a user port, not 0");
			return -EINVAL;
		}
		ret = send_unicast(NLSCOPE_DEMO_CMD_UNICAST, nlh->nlmsg_seq, payload,
				   cmd.payload_len, cmd.target);
		if (ret == -ECONNREFUSED)
			DEMO_ERR_MSG(extack, "nlscope_demo: no socket is bound to that port",
				     "nlscope_demo: no socket is bound to port %u", cmd.target);
		else if (ret < 0)
			NL_SET_ERR_MSG(extack, "nlscope_demo: the unicast could not be queued");
		return ret;
	case NLSCOPE_DEMO_CMD_MULTICAST:
		if (cmd.target == 0 || cmd.target > groups) {
			DEMO_ERR_MSG(extack, "nlscope_demo: group out of range",
				     "nlscope_demo: group %u out of range 1..%u", cmd.target, groups);
			return -EINVAL;
		}
		ret = send_broadcast(NLSCOPE_DEMO_CMD_MULTICAST, nlh->nlmsg_seq, payload,
				     cmd.payload_len, cmd.target);
		if (ret == -ESRCH)
			DEMO_ERR_MSG(extack, "nlscope_demo: nobody listens on that group",
				     "nlscope_demo: nobody listens on group %u", cmd.target);
		else if (ret < 0)
			NL_SET_ERR_MSG(extack, "nlscope_demo: the multicast could not be delivered");
		return ret;
	case NLSCOPE_DEMO_CMD_STATS: {
		struct nlscope_demo_stats snap;

		if (cmd.target || cmd.payload_len) {
			NL_SET_ERR_MSG(extack, "nlscope_demo: STATS takes target 0 and no payload");
			return -EINVAL;
		}
		snapshot(&snap);
		/* This command counts as a success in the numbers it reports. */
		snap.cmd_ok++;
		ret = send_unicast(NLSCOPE_DEMO_CMD_STATS, nlh->nlmsg_seq, &snap, sizeof(snap),
				   sender);
		if (ret < 0)
			NL_SET_ERR_MSG(extack, "nlscope_demo: the stats reply could not be queued");
		return ret;
	}
	}
	return -EOPNOTSUPP;
}

static void handle_message(struct sk_buff *skb, struct nlmsghdr *nlh)
{
	struct netlink_ext_ack extack;
	int err;

	atomic64_inc(&stats.messages);
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE) {
		atomic64_inc(&stats.plain);
		handle_plain(skb, nlh);
		if (nlh->nlmsg_flags & NLM_F_ACK) {
			atomic64_inc(&stats.acks);
			netlink_ack(skb, nlh, 0, NULL);
		}
		return;
	}
	memset(&extack, 0, sizeof(extack));
	err = handle_command(skb, nlh, &extack);
	if (err)
		atomic64_inc(&stats.cmd_errors);
	else
		atomic64_inc(&stats.cmd_ok);
	if (err || (nlh->nlmsg_flags & NLM_F_ACK)) {
		atomic64_inc(&stats.acks);
		netlink_ack(skb, nlh, err, &extack);
	}
}

/* Called in the sender's context for every skb sent to port 0. */
static void nl_recv_msg(struct sk_buff *skb)
{
	unsigned int offset = 0;

	atomic64_inc(&stats.received);
	/* Written as offset + HDRLEN <= len: offset may pass len after the last
	 * aligned message, and len - offset would then wrap around. */
	while (offset <= skb->len && skb->len - offset >= NLMSG_HDRLEN) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(skb->data + offset);
		unsigned int msg_len = nlh->nlmsg_len;

		if (msg_len < NLMSG_HDRLEN || msg_len > skb->len - offset) {
			pr_debug("nlscope_demo: dropping malformed message (len %u, %u bytes left)\n",
				 msg_len, skb->len - offset);
			atomic64_inc(&stats.malformed);
			return;
		}
		handle_message(skb, nlh);
		offset += NLMSG_ALIGN(msg_len);
	}
	/* A tail shorter than a header is a truncated one. */
	if (offset < skb->len)
		atomic64_inc(&stats.malformed);
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
	if (groups == 0 || groups > 32) {
		pr_err("nlscope_demo: groups %u out of range 1..32\n", groups);
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
	pr_info("nlscope_demo: unloaded (received %lld datagrams, %lld messages, %lld cut short; sent %lld, %lld send errors)\n",
		(long long)atomic64_read(&stats.received), (long long)atomic64_read(&stats.messages),
		(long long)atomic64_read(&stats.malformed), (long long)atomic64_read(&stats.sent),
		(long long)atomic64_read(&stats.send_errors));
}

module_init(nlscope_demo_init);
module_exit(nlscope_demo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nlscope demo netlink module (seed article, grown up)");
