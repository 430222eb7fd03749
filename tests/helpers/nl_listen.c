/*
 * A netlink listener for the guest scenarios: binds a socket on a protocol to
 * a port, joins multicast groups, and prints every message it receives until
 * it has COUNT of them or TIMEOUT seconds pass without one.
 *
 *   nl_listen PROTOCOL PORT GROUPS COUNT TIMEOUT
 *     GROUPS: comma-separated group numbers, or 0 for none
 *
 * Output, one fact per line:
 *   ready port=<port> pid=<pid>
 *   got bytes=<n> type=<t> seq=<s> hdr_pid=<p> from=<port> group=<g> text=<payload text>
 *   done got=<count>
 * Exit status 0 when COUNT messages arrived.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: nl_listen PROTOCOL PORT GROUPS COUNT TIMEOUT\n");
		return 2;
	}
	int protocol = atoi(argv[1]);
	uint32_t port = (uint32_t)strtoul(argv[2], NULL, 0);
	char *groups = argv[3];
	int count = atoi(argv[4]);
	struct timeval timeout = { .tv_sec = atoi(argv[5]) };
	struct sockaddr_nl addr;
	char buffer[65536];
	int got = 0;

	int fd = socket(AF_NETLINK, SOCK_RAW, protocol);
	if (fd < 0) {
		printf("socket: %s\n", strerror(errno));
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK;
	addr.nl_pid = port;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		printf("bind to port %u: %s\n", port, strerror(errno));
		return 1;
	}
	for (char *group = strtok(groups, ","); group; group = strtok(NULL, ",")) {
		int g = atoi(group);
		if (g > 0 && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) != 0) {
			printf("join group %d: %s\n", g, strerror(errno));
			return 1;
		}
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	printf("ready port=%u pid=%d\n", port, getpid());
	fflush(stdout);

	while (got < count) {
		socklen_t len = sizeof(addr);
		ssize_t n = recvfrom(fd, buffer, sizeof(buffer), 0, (struct sockaddr *)&addr, &len);
		if (n < 0) {
			printf("recv: %s\n", strerror(errno));
			break;
		}
		struct nlmsghdr *nlh = (struct nlmsghdr *)buffer;
		int group = 0;
		for (int bit = 0; bit < 32; bit++)
			if (addr.nl_groups & (1u << bit))
				group = bit + 1;
		int text_len = 0;
		if (n >= (ssize_t)NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN && nlh->nlmsg_len <= n)
			text_len = (int)(nlh->nlmsg_len - NLMSG_HDRLEN);
		printf("got bytes=%zd type=%u seq=%u hdr_pid=%u from=%u group=%d text=%.*s\n", n,
		       n >= 16 ? nlh->nlmsg_type : 0, n >= 16 ? nlh->nlmsg_seq : 0,
		       n >= 16 ? nlh->nlmsg_pid : 0, addr.nl_pid, group, text_len,
		       (char *)NLMSG_DATA(nlh));
		fflush(stdout);
		got++;
	}
	printf("done got=%d\n", got);
	close(fd);
	return got == count ? 0 : 1;
}
