/*
 * Load generator for the capture benchmark: sends N user-to-user unicasts of
 * SIZE payload bytes on NETLINK_USERSOCK to a socket that a child process
 * drains, and reports how long the whole transfer took.
 *
 *   nl_flood N SIZE   ->  sent=<N> ns=<elapsed> rate=<messages per second>
 *   nl_flood dump N   ->  sent=<N> ns=<elapsed> rate=<dumps per second> parts=<datagrams> bytes=<total>
 *
 * The dump mode is the large-datagram case: N RTM_GETLINK dumps on
 * NETLINK_ROUTE, each read to its NLMSG_DONE with a 32 KiB buffer, so the
 * kernel fills its dump datagrams up to 32 KiB (netlink_dump sizes them by
 * the reader's last buffer); with many links each dump is several of them.
 *
 * The sender blocks when the receiver's queue is full (netlink's own flow
 * control for user sockets), so no message is lost and every run moves the
 * same work.
 *
 * Around the timed part it executes the START and STOP markers of the QEMU
 * plugin tests/qemu-plugin/insn_count.c, which then logs how many
 * instructions each vCPU executed in between; elsewhere they are NOPs.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DONE_TYPE 0x7fff

/* nopl 0x4e4c5301(%rax) and nopl 0x4e4c5302(%rax): see insn_count.c. */
#define MARK_START() __asm__ volatile(".byte 0x0f, 0x1f, 0x80, 0x01, 0x53, 0x4c, 0x4e" ::: "memory")
#define MARK_STOP() __asm__ volatile(".byte 0x0f, 0x1f, 0x80, 0x02, 0x53, 0x4c, 0x4e" ::: "memory")

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int open_socket(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_USERSOCK);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("socket/bind");
		exit(1);
	}
	return fd;
}

/* N link dumps, each read to its end; returns 0 on success. */
static int dump_links(long count)
{
	struct {
		struct nlmsghdr header;
		struct ifinfomsg body;
	} request = {
		.header = { .nlmsg_len = sizeof(request), .nlmsg_type = RTM_GETLINK,
			    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.body = { .ifi_family = AF_UNSPEC },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buffer[32768];
	unsigned long long parts = 0, bytes = 0;
	uint64_t started, elapsed;
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	long i;

	if (fd < 0) {
		perror("socket");
		return 1;
	}
	MARK_START();
	started = now_ns();
	for (i = 0; i < count; i++) {
		int done = 0;

		request.header.nlmsg_seq = i + 1;
		if (sendto(fd, &request, sizeof(request), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
			perror("sendto");
			return 1;
		}
		while (!done) {
			ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
			struct nlmsghdr *nlh;
			int left;

			if (n < 0) {
				if (errno == EINTR)
					continue;
				perror("recv");
				return 1;
			}
			parts++;
			bytes += n;
			left = (int)n;
			for (nlh = (struct nlmsghdr *)buffer; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left))
				if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
					done = 1;
		}
	}
	elapsed = now_ns() - started;
	MARK_STOP();
	printf("sent=%ld ns=%llu rate=%llu parts=%llu bytes=%llu\n", count, (unsigned long long)elapsed,
	       (unsigned long long)(count * 1000000000ull / (elapsed ? elapsed : 1)), parts, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "dump") == 0)
		return dump_links(atol(argv[2]));
	long count = argc > 1 ? atol(argv[1]) : 100000;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 64;
	int receiver = open_socket(), sender;
	int buffer_size = 4 << 20;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(to);
	char *message;
	struct nlmsghdr *nlh;
	uint64_t started, elapsed;
	pid_t child;
	long i;

	setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_size, sizeof(buffer_size));
	getsockname(receiver, (struct sockaddr *)&to, &len);
	child = fork();
	if (child == 0) {
		char buffer[65536];

		for (;;) {
			ssize_t n = recv(receiver, buffer, sizeof(buffer), 0);

			if (n >= (ssize_t)sizeof(*nlh) && ((struct nlmsghdr *)buffer)->nlmsg_type == DONE_TYPE)
				_exit(0);
			if (n < 0 && errno != EINTR && errno != ENOBUFS)
				_exit(1);
		}
	}
	sender = open_socket();
	message = calloc(1, NLMSG_SPACE(size));
	nlh = (struct nlmsghdr *)message;
	nlh->nlmsg_len = NLMSG_LENGTH(size);
	nlh->nlmsg_type = NLMSG_MIN_TYPE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	memset(NLMSG_DATA(nlh), 'x', size);

	MARK_START();
	started = now_ns();
	for (i = 0; i < count; i++) {
		nlh->nlmsg_seq = i;
		if (sendto(sender, message, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("sendto");
			return 1;
		}
	}
	nlh->nlmsg_type = DONE_TYPE;
	sendto(sender, message, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to));
	waitpid(child, NULL, 0);
	elapsed = now_ns() - started;
	MARK_STOP();
	printf("sent=%ld ns=%llu rate=%llu\n", count, (unsigned long long)elapsed,
	       (unsigned long long)(count * 1000000000ull / (elapsed ? elapsed : 1)));
	return 0;
}
