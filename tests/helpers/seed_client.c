/*
 * The seed article's user program, kept close to the original: bind a netlink
 * socket on protocol 30 (or argv[2]) to port argv[1] (default: the pid), send
 * "Hello kernel" to the kernel (port 0) and print the reply.
 *
 * Output, one fact per line, for the guest scenarios to parse:
 *   pid=<pid> port=<port>
 *   sent <bytes>
 *   recv <payload bytes>: <payload text>
 * Exit status 0 only when a reply arrived.
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

#define MAX_PAYLOAD 1024

int main(int argc, char **argv)
{
	uint32_t port = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : (uint32_t)getpid();
	int protocol = argc > 2 ? atoi(argv[2]) : 30;
	char data[] = "Hello kernel";
	char buffer[NLMSG_SPACE(MAX_PAYLOAD)];
	struct sockaddr_nl addr;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buffer;
	struct timeval timeout = { .tv_sec = 5 };
	ssize_t ret;

	int fd = socket(AF_NETLINK, SOCK_RAW, protocol);
	if (fd < 0) {
		printf("socket: %s (is the module loaded?)\n", strerror(errno));
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK;
	addr.nl_pid = port;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		printf("bind to port %u: %s\n", port, strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	printf("pid=%d port=%u\n", getpid(), port);

	memset(buffer, 0, sizeof(buffer));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(data));
	nlh->nlmsg_pid = port;
	memcpy(NLMSG_DATA(nlh), data, sizeof(data));
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK; /* nl_pid 0: the kernel */
	ret = sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&addr, sizeof(addr));
	if (ret < 0) {
		printf("send: %s\n", strerror(errno));
		return 1;
	}
	printf("sent %zd\n", ret);

	memset(buffer, 0, sizeof(buffer));
	ret = recv(fd, buffer, sizeof(buffer) - 1, 0);
	if (ret < 0) {
		printf("recv: %s\n", strerror(errno));
		return 1;
	}
	if (ret < (ssize_t)NLMSG_HDRLEN || nlh->nlmsg_len > (uint32_t)ret) {
		printf("recv: short message (%zd bytes)\n", ret);
		return 1;
	}
	printf("recv %d: %.*s\n", (int)(nlh->nlmsg_len - NLMSG_HDRLEN),
	       (int)(nlh->nlmsg_len - NLMSG_HDRLEN), (char *)NLMSG_DATA(nlh));
	close(fd);
	return 0;
}
