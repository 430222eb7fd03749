/*
 * Two NETLINK_ROUTE sockets of one process asking with the same seq: for
 * the guest scenario `transactions`, where pairing must keep them apart.
 * Neither socket is bound (the kernel gives each a port at its first send,
 * and nlmsg_pid stays 0). Socket A asks for a link dump, socket B for the
 * link with index 1 with NLM_F_ACK, both with seq SEQ; then A's replies
 * and B's are read in turn, one datagram at a time, until A's NLMSG_DONE
 * and B's ACK.
 *
 *   nl_two_sockets SEQ
 *
 * Output:
 *   ports a=<port> b=<port> pid=<pid> seq=<seq>
 *   a datagrams=<n> done    b datagrams=<n> ack=<error code>
 * Exit status 0 when both ended as asked.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct request {
	struct nlmsghdr header;
	struct ifinfomsg body;
};

static int open_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct timeval timeout = { .tv_sec = 5 };

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

static void ask(int fd, uint16_t flags, uint32_t seq, int index)
{
	struct request request;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&request, 0, sizeof(request));
	request.header.nlmsg_len = sizeof(request);
	request.header.nlmsg_type = RTM_GETLINK;
	request.header.nlmsg_flags = NLM_F_REQUEST | flags;
	request.header.nlmsg_seq = seq;
	request.body.ifi_family = AF_UNSPEC;
	request.body.ifi_index = index;
	if (sendto(fd, &request, sizeof(request), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		perror("sendto");
		exit(1);
	}
}

static uint32_t port_of(int fd)
{
	struct sockaddr_nl addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		perror("getsockname");
		exit(1);
	}
	return addr.nl_pid;
}

/* Reads one datagram of fd: 1 when it held NLMSG_DONE or NLMSG_ERROR (the
 * code in *code), 0 when not, -1 on an error. */
static int read_one(int fd, int *code)
{
	static char buffer[65536];
	ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
	struct nlmsghdr *h;

	if (n < 0) {
		perror("recv");
		return -1;
	}
	for (h = (struct nlmsghdr *)buffer; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			*code = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			return 1;
		}
	}
	return 0;
}

/* Reads fd's next datagram unless it is done; 0, or -1 on an error. */
static int turn(int fd, int *done, int *count, int *code)
{
	int r;

	if (*done)
		return 0;
	r = read_one(fd, code);
	if (r < 0)
		return -1;
	(*count)++;
	*done = r;
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t seq = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1;
	int a = open_socket(), b = open_socket();
	int a_done = 0, b_done = 0, a_count = 0, b_count = 0, a_code = 1, b_code = 1;

	ask(a, NLM_F_DUMP, seq, 0);
	ask(b, NLM_F_ACK, seq, 1);
	printf("ports a=%u b=%u pid=%d seq=%u\n", port_of(a), port_of(b), getpid(), seq);
	while (!a_done || !b_done) {
		if (turn(a, &a_done, &a_count, &a_code) < 0 || turn(b, &b_done, &b_count, &b_code) < 0)
			return 1;
	}
	printf("a datagrams=%d done    b datagrams=%d ack=%d\n", a_count, b_count, b_code);
	return b_code == 0 ? 0 : 1;
}
