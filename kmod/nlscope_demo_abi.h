/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The nlscope demo module's command set and its generic netlink family's
 * numbers: the one C definition, shared by the module (kmod/nlscope_demo.c)
 * and the C test helpers. The Rust side is nlscope_common::demo for protocol
 * 30 and nlscope::netlink::demo_genl for the family; host tests
 * (common/src/demo.rs, tui/src/netlink/demo_genl.rs) read this file and fail
 * when a number or a field differs, and tui/tests/demo_genl_spec.rs checks
 * the family's YNL spec (kmod/nlscope_demo.yaml) against the same numbers.
 *
 * A command is a netlink message to port 0 whose nlmsg_type is one of the
 * NLSCOPE_DEMO_CMD_* values (all >= NLMSG_MIN_TYPE). Its body is a
 * struct nlscope_demo_cmd followed by exactly payload_len payload bytes
 * (plus at most 3 bytes of NLMSG_ALIGN padding). A message whose type is below
 * NLMSG_MIN_TYPE is the seed article's plain message: logged, and answered
 * with "Hello userspace" (type NLMSG_DONE) to the sender's port.
 *
 *   ECHO       target 0; the module replies with the payload (type ECHO).
 *   UNICAST    target = a port P (not 0); the module sends the payload to P
 *              (type UNICAST): kernel -> user unicast. -ECONNREFUSED when no
 *              socket is bound to P.
 *   MULTICAST  target = a group G, 1..groups; the module sends the payload to
 *              G with netlink_broadcast (type MULTICAST): kernel -> user
 *              multicast. -ESRCH when nobody listens.
 *   STATS      target 0, no payload; the reply (type STATS) is a
 *              struct nlscope_demo_stats.
 *
 * Errors are answered with NLMSG_ERROR carrying the errno and an extended-ack
 * message (set NETLINK_EXT_ACK on the socket to receive it); with NLM_F_ACK a
 * success is acknowledged too. Errors: -EINVAL (body shorter than the command
 * header, payload_len not matching the body, a target where none belongs,
 * port 0, group out of range), -EMSGSIZE (payload longer than
 * NLSCOPE_DEMO_MAX_PAYLOAD), -EOPNOTSUPP (unknown command), -ECONNREFUSED,
 * -ESRCH, -EAGAIN (the receiver's queue is full), -ENOMEM.
 */
#ifndef NLSCOPE_DEMO_ABI_H
#define NLSCOPE_DEMO_ABI_H

#include <linux/types.h>

#define NLSCOPE_DEMO_PROTOCOL 30
#define NLSCOPE_DEMO_GROUPS 32

#define NLSCOPE_DEMO_CMD_ECHO 0x10
#define NLSCOPE_DEMO_CMD_UNICAST 0x11
#define NLSCOPE_DEMO_CMD_MULTICAST 0x12
#define NLSCOPE_DEMO_CMD_STATS 0x13

/* Longest payload a command may carry, in bytes. */
#define NLSCOPE_DEMO_MAX_PAYLOAD 1024

/* The seed's reply to a plain message. */
#define NLSCOPE_DEMO_HELLO_REPLY "Hello userspace"

/* Body of every command, in host byte order. */
struct nlscope_demo_cmd {
	__u32 target;      /* port (UNICAST), group (MULTICAST), else 0 */
	__u32 payload_len; /* payload bytes after this header */
};
#define NLSCOPE_DEMO_CMD_SIZE 8

/*
 * Counters since load, as the STATS reply carries them. They add up:
 *   messages == plain + cmd_ok + cmd_errors
 *   received counts datagrams (one per successful send to port 0), messages
 *   the well-formed netlink messages in them, malformed the datagrams whose
 *   tail was not a whole message (bad nlmsg_len, truncated header).
 */
struct nlscope_demo_stats {
	__u64 received;    /* datagrams the module's socket received */
	__u64 messages;    /* well-formed netlink messages in them */
	__u64 malformed;   /* datagrams that ended in a malformed message */
	__u64 plain;       /* seed messages (type < NLMSG_MIN_TYPE) */
	__u64 cmd_ok;      /* commands that succeeded */
	__u64 cmd_errors;  /* commands answered with an error */
	__u64 sent;        /* messages the module queued (replies, unicasts, multicasts) */
	__u64 send_errors; /* sends that failed (no such port, full queue, nobody listening) */
	__u64 acks;        /* NLMSG_ERROR acks and error replies sent */
};
#define NLSCOPE_DEMO_STATS_SIZE 72

/*
 * The generic netlink family next to protocol 30, as modern modules do it:
 * found by name through nlctrl (its id is dynamic), attributes validated by
 * the kernel's policies, one multicast group. Its YNL spec is
 * kmod/nlscope_demo.yaml (genetlink schema), and a host test
 * (common/src/demo.rs) fails when the spec and this header disagree.
 *
 * The module keeps NLSCOPE_DEMO_SLOTS slots, each empty or holding a value
 * and a name, and a generation counter that every SET advances.
 *
 *   ECHO     replies (cmd ECHO) with the text and number it got.
 *   SET      writes slot `index`: `value` (0..NLSCOPE_DEMO_VALUE_MAX) and,
 *            if given, `name` (1..NLSCOPE_DEMO_NAME_MAX characters);
 *            CAP_NET_ADMIN. No reply but the ack; SET_NTF goes to the
 *            `events` group with the slot's new contents.
 *   GET      do: the slot `index` (-ENOENT when it is empty);
 *            dump: every slot that is set, one message each (cmd GET).
 *   SET_NTF  the notification (index, value, name, generation).
 *
 * Bad input is refused by the kernel's policy checks (out of range, string
 * too long, unknown attribute: "integer out of range", "Attribute failed
 * policy validation" with the bad attribute's offset and the policy it broke)
 * or by the module (a missing attribute, an empty name, an empty slot), each
 * with an extended-ack message and the attribute it is about.
 */
#define NLSCOPE_DEMO_FAMILY_NAME "nlscope_demo"
#define NLSCOPE_DEMO_FAMILY_VERSION 1
#define NLSCOPE_DEMO_MCGRP_EVENTS "events"

#define NLSCOPE_DEMO_SLOTS 8
#define NLSCOPE_DEMO_VALUE_MAX 1000
/* Longest name and echo text, in characters (the NUL not counted). */
#define NLSCOPE_DEMO_NAME_MAX 31
#define NLSCOPE_DEMO_TEXT_MAX 255

enum nlscope_demo_genl_attrs {
	NLSCOPE_DEMO_GENL_A_UNSPEC,
	NLSCOPE_DEMO_GENL_A_INDEX,      /* u32, 0..NLSCOPE_DEMO_SLOTS - 1 */
	NLSCOPE_DEMO_GENL_A_VALUE,      /* u32, 0..NLSCOPE_DEMO_VALUE_MAX */
	NLSCOPE_DEMO_GENL_A_NAME,       /* string, at most NLSCOPE_DEMO_NAME_MAX */
	NLSCOPE_DEMO_GENL_A_GENERATION, /* u32, replies and notifications only */
	NLSCOPE_DEMO_GENL_A_TEXT,       /* string, at most NLSCOPE_DEMO_TEXT_MAX */
	NLSCOPE_DEMO_GENL_A_NUMBER,     /* u32 */

	__NLSCOPE_DEMO_GENL_A_MAX,
	NLSCOPE_DEMO_GENL_A_MAX = (__NLSCOPE_DEMO_GENL_A_MAX - 1)
};

enum nlscope_demo_genl_cmds {
	NLSCOPE_DEMO_GENL_CMD_UNSPEC,
	NLSCOPE_DEMO_GENL_CMD_ECHO,
	NLSCOPE_DEMO_GENL_CMD_SET,
	NLSCOPE_DEMO_GENL_CMD_GET,
	NLSCOPE_DEMO_GENL_CMD_SET_NTF,

	__NLSCOPE_DEMO_GENL_CMD_MAX,
	NLSCOPE_DEMO_GENL_CMD_MAX = (__NLSCOPE_DEMO_GENL_CMD_MAX - 1)
};

#ifdef __KERNEL__
#include <linux/types.h>
/* Exported by the module for other modules: make the kernel the sender.
 * Both return 0 or a negative errno (-ECONNREFUSED: no such port; -ESRCH:
 * nobody listens on the group). */
int test_unicast(void *data, size_t size, __u32 portid);
int test_broadcast(void *data, size_t size, __u32 group);
#endif

#endif /* NLSCOPE_DEMO_ABI_H */
