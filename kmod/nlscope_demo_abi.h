/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The nlscope demo module's command set: the one C definition, shared by the
 * module (kmod/nlscope_demo.c) and the C test helpers. The Rust side is
 * nlscope_common::demo; a host test (common/src/demo.rs) reads this file and
 * fails when a number or a field differs.
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

#ifdef __KERNEL__
#include <linux/types.h>
/* Exported by the module for other modules: make the kernel the sender.
 * Both return 0 or a negative errno (-ECONNREFUSED: no such port; -ESRCH:
 * nobody listens on the group). */
int test_unicast(void *data, size_t size, __u32 portid);
int test_broadcast(void *data, size_t size, __u32 group);
#endif

#endif /* NLSCOPE_DEMO_ABI_H */
