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
 * Next to the protocol, a generic netlink family, nlscope_demo (version 1,
 * multicast group "events"; its YNL spec is kmod/nlscope_demo.yaml): ECHO,
 * a SET of one of 8 slots whose attributes the kernel validates against
 * per-command policies, GET (do and dump) and the SET_NTF notification. It
 * is registered after the protocol's socket and unregistered first.
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
#include <linux/mutex.h>
#include <linux/string.h>
#include <net/genetlink.h>
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

/*
 * The generic netlink family (nlscope_demo_abi.h, kmod/nlscope_demo.yaml).
 *
 * Policies are per operation, so each command accepts exactly the attributes
 * its spec lists; the kernel parses and validates them strictly (unknown
 * attributes, trailing bytes and a non-zero reserved header field are
 * refused) before a handler runs, and answers a violation itself with the
 * bad attribute's offset and the policy it broke in the extended ack.
 * Handlers run in the sender's context, several at once (parallel_ops):
 * the slots are under slots_lock.
 */
struct demo_slot {
	bool set;
	u32 value;
	u32 generation;
	char name[NLSCOPE_DEMO_NAME_MAX + 1];
};

static DEFINE_MUTEX(slots_lock);
static struct demo_slot slots[NLSCOPE_DEMO_SLOTS];
static u32 generation;

static const struct nla_policy echo_policy[NLSCOPE_DEMO_GENL_A_NUMBER + 1] = {
	[NLSCOPE_DEMO_GENL_A_TEXT] = { .type = NLA_NUL_STRING, .len = NLSCOPE_DEMO_TEXT_MAX },
	[NLSCOPE_DEMO_GENL_A_NUMBER] = { .type = NLA_U32 },
};

static const struct nla_policy set_policy[NLSCOPE_DEMO_GENL_A_NAME + 1] = {
	[NLSCOPE_DEMO_GENL_A_INDEX] = NLA_POLICY_RANGE(NLA_U32, 0, NLSCOPE_DEMO_SLOTS - 1),
	[NLSCOPE_DEMO_GENL_A_VALUE] = NLA_POLICY_RANGE(NLA_U32, 0, NLSCOPE_DEMO_VALUE_MAX),
	[NLSCOPE_DEMO_GENL_A_NAME] = { .type = NLA_NUL_STRING, .len = NLSCOPE_DEMO_NAME_MAX },
};

static const struct nla_policy get_policy[NLSCOPE_DEMO_GENL_A_INDEX + 1] = {
	[NLSCOPE_DEMO_GENL_A_INDEX] = NLA_POLICY_RANGE(NLA_U32, 0, NLSCOPE_DEMO_SLOTS - 1),
};

enum demo_mcgrps {
	DEMO_MCGRP_EVENTS,
};

static const struct genl_multicast_group demo_mcgrps[] = {
	[DEMO_MCGRP_EVENTS] = { .name = NLSCOPE_DEMO_MCGRP_EVENTS },
};

static struct genl_family demo_family __ro_after_init;

/* True, with an extended ack naming the missing attribute and saying `msg`,
 * when the request lacks attribute `attr`. */
#define DEMO_MISSING(info, attr, msg)                          \
	({                                                     \
		bool __missing = GENL_REQ_ATTR_CHECK(info, attr); \
		if (__missing)                                 \
			GENL_SET_ERR_MSG(info, msg);           \
		__missing;                                     \
	})

/* A copy of slot `index` (< NLSCOPE_DEMO_SLOTS). */
static struct demo_slot read_slot(u32 index)
{
	struct demo_slot copy;

	mutex_lock(&slots_lock);
	copy = slots[index];
	mutex_unlock(&slots_lock);
	return copy;
}

/* A slot's attributes (index, value, name when it has one, generation). */
static int put_slot(struct sk_buff *skb, u32 index, const struct demo_slot *slot)
{
	if (nla_put_u32(skb, NLSCOPE_DEMO_GENL_A_INDEX, index) ||
	    nla_put_u32(skb, NLSCOPE_DEMO_GENL_A_VALUE, slot->value) ||
	    (slot->name[0] && nla_put_string(skb, NLSCOPE_DEMO_GENL_A_NAME, slot->name)) ||
	    nla_put_u32(skb, NLSCOPE_DEMO_GENL_A_GENERATION, slot->generation))
		return -EMSGSIZE;
	return 0;
}

/* A whole message about one slot: a reply, a notification or a dump part. */
static struct sk_buff *slot_message(struct genl_info *info, u8 cmd, u32 index,
				    const struct demo_slot *slot)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	if (info)
		hdr = genlmsg_put_reply(skb, info, &demo_family, 0, cmd);
	else
		hdr = genlmsg_put(skb, 0, 0, &demo_family, 0, cmd);
	if (!hdr || put_slot(skb, index, slot)) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

static int demo_echo_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *text = info->attrs[NLSCOPE_DEMO_GENL_A_TEXT];
	struct nlattr *number = info->attrs[NLSCOPE_DEMO_GENL_A_NUMBER];
	struct sk_buff *reply;
	void *hdr;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &demo_family, 0, NLSCOPE_DEMO_GENL_CMD_ECHO);
	if (!hdr)
		goto too_big;
	/* The policy made text a NUL-terminated string of at most TEXT_MAX. */
	if (text && nla_put_string(reply, NLSCOPE_DEMO_GENL_A_TEXT, nla_data(text)))
		goto too_big;
	if (number && nla_put_u32(reply, NLSCOPE_DEMO_GENL_A_NUMBER, nla_get_u32(number)))
		goto too_big;
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

too_big:
	nlmsg_free(reply);
	return -EMSGSIZE;
}

static int demo_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *name = info->attrs[NLSCOPE_DEMO_GENL_A_NAME];
	struct demo_slot copy;
	struct sk_buff *ntf;
	u32 index;

	if (DEMO_MISSING(info, NLSCOPE_DEMO_GENL_A_INDEX, "nlscope_demo: SET needs an index") ||
	    DEMO_MISSING(info, NLSCOPE_DEMO_GENL_A_VALUE, "nlscope_demo: SET needs a value"))
		return -EINVAL;
	if (name && !*(const char *)nla_data(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, name, "nlscope_demo: the name is empty");
		return -EINVAL;
	}
	index = nla_get_u32(info->attrs[NLSCOPE_DEMO_GENL_A_INDEX]);

	mutex_lock(&slots_lock);
	slots[index].set = true;
	slots[index].value = nla_get_u32(info->attrs[NLSCOPE_DEMO_GENL_A_VALUE]);
	if (name)
		strscpy(slots[index].name, nla_data(name), sizeof(slots[index].name));
	slots[index].generation = ++generation;
	copy = slots[index];
	mutex_unlock(&slots_lock);

	/* The notification to the events group (and to the sender too when it
	 * set NLM_F_ECHO); a failure to build it does not undo the SET. */
	ntf = slot_message(NULL, NLSCOPE_DEMO_GENL_CMD_SET_NTF, index, &copy);
	if (ntf)
		genl_notify(&demo_family, ntf, info, DEMO_MCGRP_EVENTS, GFP_KERNEL);
	else
		pr_info_ratelimited("nlscope_demo: no memory for the SET notification\n");
	return 0;
}

static int demo_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[NLSCOPE_DEMO_GENL_A_INDEX];
	struct demo_slot copy;
	struct sk_buff *reply;

	if (DEMO_MISSING(info, NLSCOPE_DEMO_GENL_A_INDEX,
			 "nlscope_demo: GET needs an index (or a dump)"))
		return -EINVAL;
	copy = read_slot(nla_get_u32(attr));
	if (!copy.set) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "nlscope_demo: that slot is empty");
		return -ENOENT;
	}
	reply = slot_message(info, NLSCOPE_DEMO_GENL_CMD_GET, nla_get_u32(attr), &copy);
	if (!reply)
		return -ENOMEM;
	return genlmsg_reply(reply, info);
}

/* Every slot that is set, from cb->args[0] on, as many as fit in a datagram. */
static int demo_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	u32 index;

	for (index = cb->args[0]; index < NLSCOPE_DEMO_SLOTS; index++) {
		struct demo_slot copy = read_slot(index);
		void *hdr;

		if (!copy.set)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &demo_family, NLM_F_MULTI, NLSCOPE_DEMO_GENL_CMD_GET);
		if (!hdr)
			break;
		if (put_slot(skb, index, &copy)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = index;
	return skb->len;
}

static const struct genl_ops demo_ops[] = {
	{
		.cmd = NLSCOPE_DEMO_GENL_CMD_ECHO,
		.doit = demo_echo_doit,
		.policy = echo_policy,
		.maxattr = ARRAY_SIZE(echo_policy) - 1,
	},
	{
		.cmd = NLSCOPE_DEMO_GENL_CMD_SET,
		.flags = GENL_ADMIN_PERM,
		.doit = demo_set_doit,
		.policy = set_policy,
		.maxattr = ARRAY_SIZE(set_policy) - 1,
	},
	{
		.cmd = NLSCOPE_DEMO_GENL_CMD_GET,
		.doit = demo_get_doit,
		.dumpit = demo_get_dumpit,
		.policy = get_policy,
		.maxattr = ARRAY_SIZE(get_policy) - 1,
	},
};

/*
 * resv_start_op stays 0, as the kernel asks of new families: every command is
 * validated strictly. genl_ops (not 6.2's genl_split_ops) builds on 5.10 to
 * 6.x; 6.12 splits them into do and dump itself.
 */
static struct genl_family demo_family __ro_after_init = {
	.name = NLSCOPE_DEMO_FAMILY_NAME,
	.version = NLSCOPE_DEMO_FAMILY_VERSION,
	.maxattr = NLSCOPE_DEMO_GENL_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = demo_ops,
	.n_ops = ARRAY_SIZE(demo_ops),
	.mcgrps = demo_mcgrps,
	.n_mcgrps = ARRAY_SIZE(demo_mcgrps),
};

static int __init nlscope_demo_init(void)
{
	struct netlink_kernel_cfg cfg = {
		.input = nl_recv_msg,
		.groups = groups,
	};
	int ret;

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
	ret = genl_register_family(&demo_family);
	if (ret) {
		pr_err("nlscope_demo: cannot register generic netlink family %s: %d\n",
		       NLSCOPE_DEMO_FAMILY_NAME, ret);
		netlink_kernel_release(nl_sk);
		nl_sk = NULL;
		return ret;
	}
	pr_info("nlscope_demo: loaded on netlink protocol %d with %u groups, generic netlink family %s\n",
		protocol, groups, NLSCOPE_DEMO_FAMILY_NAME);
	WARN(warn_on_load, "nlscope_demo: warn_on_load=1 (harness self-test)\n");
	return 0;
}

static void __exit nlscope_demo_exit(void)
{
	/* First the family: no handler runs and no dump is open after this. */
	genl_unregister_family(&demo_family);
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
