/*
 * Fuzzes the demo module: CLIENTS forked clients send TOTAL random and
 * malformed datagrams to port 0 on protocol 30 (valid and invalid commands,
 * bad lengths, truncated headers, oversized payloads, unknown commands, random
 * flags, several messages per datagram, random bytes, datagrams bigger than
 * the send buffer), as fast as they can and all at once. Each client mirrors
 * the module's parser to count what the module must have seen. Then the
 * parent reads STATS and checks that the counters add up.
 *
 *   nl_fuzz CLIENTS TOTAL SEED
 *
 * Output: one "client ..." line per client, "sum ...", the STATS before and
 * after, one "check <name>: ok|FAILED ..." line per invariant, and
 * "fuzz: all checks passed" when they all hold (exit 0).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kmod/nlscope_demo_abi.h"

#define PROTOCOL NLSCOPE_DEMO_PROTOCOL
#define CLIENT_PORT_BASE 100000u
#define MAX_CLIENTS 16
#define HUGE_DATAGRAM (512 * 1024)

struct tally {
	uint64_t attempts, sent, send_failed, emsgsize, empty;
	uint64_t messages, malformed, plain, ack_flagged, received_replies;
	uint64_t by_errno[160];
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static int open_socket(uint32_t port, int rcvbuf)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_pid = port };
	int fd = socket(AF_NETLINK, SOCK_RAW, PROTOCOL);

	if (fd < 0) {
		printf("socket: %s (is the module loaded?)\n", strerror(errno));
		exit(1);
	}
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		printf("bind %u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Appends one message: header with `len_field` as nlmsg_len, then `body`. */
static size_t put_message(uint8_t *out, uint32_t len_field, uint16_t type, uint16_t flags,
			  const uint8_t *body, size_t body_len)
{
	struct nlmsghdr nlh = {
		.nlmsg_len = len_field,
		.nlmsg_type = type,
		.nlmsg_flags = flags,
		.nlmsg_seq = (uint32_t)rnd(),
		.nlmsg_pid = (uint32_t)rnd(),
	};
	memcpy(out, &nlh, sizeof(nlh));
	if (body_len)
		memcpy(out + sizeof(nlh), body, body_len);
	return sizeof(nlh) + body_len;
}

static uint16_t random_flags(void)
{
	switch (below(4)) {
	case 0:
		return NLM_F_REQUEST | NLM_F_ACK;
	case 1:
		return NLM_F_REQUEST;
	case 2:
		return 0;
	default:
		return (uint16_t)rnd();
	}
}

/* A command body: header, then payload bytes; `claimed` is payload_len. */
static size_t command_body(uint8_t *body, uint32_t target, uint32_t claimed, size_t actual)
{
	struct nlscope_demo_cmd cmd = { .target = target, .payload_len = claimed };
	memcpy(body, &cmd, sizeof(cmd));
	for (size_t i = 0; i < actual; i++)
		body[sizeof(cmd) + i] = 'a' + (uint8_t)below(26);
	return sizeof(cmd) + actual;
}

static uint32_t random_port(int clients)
{
	switch (below(4)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(1000000); /* almost surely nobody */
	default:
		return CLIENT_PORT_BASE + below(clients); /* a sibling */
	}
}

/* One random well-formed or subtly wrong message into `out`; returns its size. */
static size_t one_message(uint8_t *out, int clients)
{
	static uint8_t body[8192];
	size_t n = 0;
	uint16_t type;
	uint32_t payload;

	switch (below(12)) {
	case 0: /* valid ECHO */
		payload = below(65);
		n = command_body(body, 0, payload, payload);
		type = NLSCOPE_DEMO_CMD_ECHO;
		break;
	case 1: /* UNICAST to a sibling, nobody, or 0 */
		payload = below(65);
		n = command_body(body, random_port(clients), payload, payload);
		type = NLSCOPE_DEMO_CMD_UNICAST;
		break;
	case 2: /* MULTICAST to a group, in range or not */
		payload = below(33);
		n = command_body(body, below(40), payload, payload);
		type = NLSCOPE_DEMO_CMD_MULTICAST;
		break;
	case 3: /* STATS, sometimes with a target or payload */
		payload = below(4) ? 0 : below(9);
		n = command_body(body, below(4) ? 0 : (uint32_t)rnd(), payload, payload);
		type = NLSCOPE_DEMO_CMD_STATS;
		break;
	case 4: /* unknown command */
		payload = below(17);
		n = command_body(body, (uint32_t)rnd(), payload, payload);
		type = (uint16_t)(NLSCOPE_DEMO_CMD_STATS + 1 + below(0xffff - NLSCOPE_DEMO_CMD_STATS));
		break;
	case 5: /* payload_len not matching the body */
		payload = below(64);
		n = command_body(body, 0, below(2) ? payload + 4 + below(100) : (uint32_t)rnd(), payload);
		type = NLSCOPE_DEMO_CMD_ECHO + below(4);
		break;
	case 6: /* oversized payload, really there */
		payload = NLSCOPE_DEMO_MAX_PAYLOAD + 1 + below(3000);
		n = command_body(body, 0, payload, payload);
		type = NLSCOPE_DEMO_CMD_ECHO + below(3);
		break;
	case 7: /* body shorter than the command header */
		n = below(sizeof(struct nlscope_demo_cmd));
		for (size_t i = 0; i < n; i++)
			body[i] = (uint8_t)rnd();
		type = NLSCOPE_DEMO_CMD_ECHO + below(4);
		break;
	case 8: /* a rare plain message (each is logged) */
		if (below(500) == 0) {
			memcpy(body, "fuzz hello", 10);
			n = 10;
			type = (uint16_t)below(NLMSG_MIN_TYPE);
			break;
		}
		/* fall through */
	default: /* random type and body */
		n = below(128);
		for (size_t i = 0; i < n; i++)
			body[i] = (uint8_t)rnd();
		type = (uint16_t)(NLMSG_MIN_TYPE + below(8));
		break;
	}
	return put_message(out, (uint32_t)(NLMSG_HDRLEN + n), type, random_flags(), body, n);
}

/* Mirrors nl_recv_msg() in the module: what it will count for `buf`. */
static void mirror_parse(const uint8_t *buf, size_t len, struct tally *t)
{
	size_t offset = 0;

	while (offset <= len && len - offset >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + offset);
		uint32_t msg_len = nlh->nlmsg_len;

		if (msg_len < NLMSG_HDRLEN || msg_len > len - offset) {
			t->malformed++;
			return;
		}
		t->messages++;
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			t->plain++;
		if (nlh->nlmsg_flags & NLM_F_ACK)
			t->ack_flagged++;
		offset += NLMSG_ALIGN(msg_len);
	}
	if (offset < len)
		t->malformed++;
}

/* Builds one random datagram into `buf`; returns its length. */
static size_t one_datagram(uint8_t *buf, int clients)
{
	size_t len = 0, n;

	switch (below(20)) {
	case 0: /* truncated header */
		len = 1 + below(NLMSG_HDRLEN - 1);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		return len;
	case 1: /* nlmsg_len below the header size */
		n = one_message(buf, clients);
		((struct nlmsghdr *)buf)->nlmsg_len = below(NLMSG_HDRLEN);
		return n;
	case 2: /* nlmsg_len past the datagram */
		n = one_message(buf, clients);
		((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)(n + 1 + below(100000));
		return n;
	case 3: /* random bytes */
		len = below(512);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		return len;
	case 4: /* several messages, the tail possibly cut */
	case 5: {
		int count = 2 + below(3);
		for (int i = 0; i < count; i++) {
			len = NLMSG_ALIGN(len);
			len += one_message(buf + len, clients);
		}
		if (below(3) == 0)
			len -= below(len - 1);
		return len;
	}
	case 6: /* bigger than any send buffer: refused with EMSGSIZE */
		if (below(20) == 0) {
			memset(buf, 0, HUGE_DATAGRAM);
			return HUGE_DATAGRAM;
		}
		/* fall through */
	default:
		return one_message(buf, clients);
	}
}

static void drain(int fd, struct tally *t)
{
	static uint8_t reply[65536];

	while (recv(fd, reply, sizeof(reply), MSG_DONTWAIT) > 0)
		t->received_replies++;
}

static void client(int index, int clients, uint64_t count, uint64_t seed, int out)
{
	static uint8_t buf[HUGE_DATAGRAM];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct tally t = { 0 };
	/* Small receive buffers: replies and unicasts overflow them, as they may. */
	int fd = open_socket(CLIENT_PORT_BASE + index, 4096 + 8192 * index);

	rng_state = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)index + 1;
	for (uint64_t i = 0; i < count; i++) {
		size_t len = one_datagram(buf, clients);

		t.attempts++;
		if (len == 0)
			t.empty++;
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
			t.send_failed++;
			if (errno == EMSGSIZE)
				t.emsgsize++;
			if (errno > 0 && errno < 160)
				t.by_errno[errno]++;
		} else {
			t.sent++;
			mirror_parse(buf, len, &t);
		}
		if ((i & 63) == 0)
			drain(fd, &t);
	}
	drain(fd, &t);
	if (write(out, &t, sizeof(t)) != sizeof(t))
		exit(3);
	close(fd);
	exit(0);
}

static int read_stats(int fd, struct nlscope_demo_stats *stats)
{
	struct {
		struct nlmsghdr nlh;
		struct nlscope_demo_cmd cmd;
	} request = {
		.nlh = { .nlmsg_len = sizeof(request), .nlmsg_type = NLSCOPE_DEMO_CMD_STATS,
			 .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 4242 },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t reply[4096];

	drain(fd, &(struct tally){ 0 });
	if (sendto(fd, &request, sizeof(request), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		printf("stats: send: %s\n", strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, reply, sizeof(reply), 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)reply;

		if (n < 0) {
			printf("stats: recv: %s\n", strerror(errno));
			return -1;
		}
		if (n >= (ssize_t)(NLMSG_HDRLEN + sizeof(*stats)) && nlh->nlmsg_type == NLSCOPE_DEMO_CMD_STATS &&
		    nlh->nlmsg_seq == 4242) {
			memcpy(stats, NLMSG_DATA(nlh), sizeof(*stats));
			return 0;
		}
	}
}

static void print_stats(const char *when, const struct nlscope_demo_stats *s)
{
	printf("stats %s: received=%llu messages=%llu malformed=%llu plain=%llu cmd_ok=%llu cmd_errors=%llu sent=%llu send_errors=%llu acks=%llu\n",
	       when, (unsigned long long)s->received, (unsigned long long)s->messages,
	       (unsigned long long)s->malformed, (unsigned long long)s->plain,
	       (unsigned long long)s->cmd_ok, (unsigned long long)s->cmd_errors,
	       (unsigned long long)s->sent, (unsigned long long)s->send_errors,
	       (unsigned long long)s->acks);
}

static int failures;

static void check(const char *name, int ok, unsigned long long got, unsigned long long want)
{
	printf("check %s: %s (%llu, expected %llu)\n", name, ok ? "ok" : "FAILED", got, want);
	if (!ok)
		failures++;
}

int main(int argc, char **argv)
{
	int clients = argc > 1 ? atoi(argv[1]) : 4;
	uint64_t total = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	struct nlscope_demo_stats before, after;
	struct tally sum = { 0 };
	struct timeval timeout = { .tv_sec = 10 };
	int pipes[MAX_CLIENTS][2];
	int fd;

	if (clients < 1 || clients > MAX_CLIENTS) {
		printf("CLIENTS must be 1..%d\n", MAX_CLIENTS);
		return 2;
	}
	fd = open_socket(0, 1 << 20);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	if (read_stats(fd, &before))
		return 1;
	print_stats("before", &before);

	fflush(stdout); /* or the children print it again */
	for (int i = 0; i < clients; i++) {
		if (pipe(pipes[i]) != 0)
			return 1;
		uint64_t share = total / clients + ((uint64_t)i < total % clients ? 1 : 0);
		pid_t pid = fork();
		if (pid == 0) {
			close(pipes[i][0]);
			client(i, clients, share, seed, pipes[i][1]);
		}
		close(pipes[i][1]);
	}
	for (int i = 0; i < clients; i++) {
		struct tally t;
		int status;

		if (read(pipes[i][0], &t, sizeof(t)) != sizeof(t)) {
			printf("client %d reported nothing\n", i);
			return 1;
		}
		wait(&status);
		printf("client %d: attempts=%llu sent=%llu failed=%llu emsgsize=%llu messages=%llu malformed=%llu plain=%llu ack_flagged=%llu replies_read=%llu\n",
		       i, (unsigned long long)t.attempts, (unsigned long long)t.sent,
		       (unsigned long long)t.send_failed, (unsigned long long)t.emsgsize,
		       (unsigned long long)t.messages, (unsigned long long)t.malformed,
		       (unsigned long long)t.plain, (unsigned long long)t.ack_flagged,
		       (unsigned long long)t.received_replies);
		sum.attempts += t.attempts;
		sum.sent += t.sent;
		sum.send_failed += t.send_failed;
		sum.emsgsize += t.emsgsize;
		sum.empty += t.empty;
		sum.messages += t.messages;
		sum.malformed += t.malformed;
		sum.plain += t.plain;
		sum.ack_flagged += t.ack_flagged;
		for (int e = 0; e < 160; e++)
			sum.by_errno[e] += t.by_errno[e];
	}
	for (int e = 0; e < 160; e++)
		if (sum.by_errno[e])
			printf("send failures with errno %d (%s): %llu\n", e, strerror(e),
			       (unsigned long long)sum.by_errno[e]);
	printf("sum: attempts=%llu sent=%llu failed=%llu emsgsize=%llu empty=%llu messages=%llu malformed=%llu plain=%llu ack_flagged=%llu\n",
	       (unsigned long long)sum.attempts, (unsigned long long)sum.sent,
	       (unsigned long long)sum.send_failed, (unsigned long long)sum.emsgsize,
	       (unsigned long long)sum.empty,
	       (unsigned long long)sum.messages, (unsigned long long)sum.malformed,
	       (unsigned long long)sum.plain, (unsigned long long)sum.ack_flagged);

	if (read_stats(fd, &after))
		return 1;
	print_stats("after", &after);

	/* The final STATS request is one datagram and one message of its own. */
	unsigned long long received = after.received - before.received;
	unsigned long long messages = after.messages - before.messages;
	unsigned long long malformed = after.malformed - before.malformed;
	unsigned long long plain = after.plain - before.plain;
	unsigned long long ok = after.cmd_ok - before.cmd_ok;
	unsigned long long errors = after.cmd_errors - before.cmd_errors;
	unsigned long long acks = after.acks - before.acks;

	check("attempts", sum.attempts == total, sum.attempts, total);
	/* The only refusals: datagrams bigger than the send buffer (EMSGSIZE) and,
	 * on kernels that refuse them, empty ones (ENODATA). */
	check("failed sends == EMSGSIZE + ENODATA", sum.send_failed == sum.emsgsize + sum.by_errno[ENODATA],
	      sum.send_failed, sum.emsgsize + sum.by_errno[ENODATA]);
	check("ENODATA only for empty datagrams", sum.by_errno[ENODATA] <= sum.empty, sum.by_errno[ENODATA], sum.empty);
	check("some datagrams were refused as too large", sum.emsgsize > 0, sum.emsgsize, 1);
	check("received == datagrams the clients sent + 1", received == sum.sent + 1, received, sum.sent + 1);
	check("messages == well-formed messages sent + 1", messages == sum.messages + 1, messages, sum.messages + 1);
	check("malformed == malformed datagrams sent", malformed == sum.malformed, malformed, sum.malformed);
	check("plain == plain messages sent", plain == sum.plain, plain, sum.plain);
	check("messages == plain + cmd_ok + cmd_errors", after.messages == after.plain + after.cmd_ok + after.cmd_errors,
	      after.messages, after.plain + after.cmd_ok + after.cmd_errors);
	check("commands == cmd_ok + cmd_errors", messages - plain == ok + errors, ok + errors, messages - plain);
	check("every error was answered (acks >= cmd_errors)", acks >= errors, acks, errors);
	check("acks <= errors + ACK-flagged messages", acks <= errors + sum.ack_flagged, acks, errors + sum.ack_flagged);
	check("some commands succeeded", ok > 0, ok, 1);
	check("some commands failed", errors > 0, errors, 1);
	check("some datagrams were malformed", malformed > 0, malformed, 1);
	if (failures) {
		printf("fuzz: %d checks FAILED\n", failures);
		return 1;
	}
	printf("fuzz: all checks passed\n");
	return 0;
}
