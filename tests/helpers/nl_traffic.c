/*
 * Real netlink traffic for the guest scenarios, with a report of exactly what
 * was sent and received, so a capture can be checked against it.
 *
 *   nl_traffic dump-links | dump-addrs
 *       RTM_GETLINK / RTM_GETADDR dump; prints port=<p> parts=<datagrams received>
 *   nl_traffic link-create NAME
 *       a listener on RTNLGRP_LINK, then RTM_NEWLINK (kind dummy) with ACK from
 *       another socket; prints listener=<p> creator=<p> listener_got=<RTM_NEWLINKs>
 *   nl_traffic genl-family NAME
 *       nlctrl CTRL_CMD_GETFAMILY; prints port=<p> family_id=<id>
 *   nl_traffic usersock
 *       NETLINK_USERSOCK socket A sends one message to socket B; prints a=<p> b=<p> len=<n>
 *   nl_traffic overflow ROUNDS
 *       a listener on RTNLGRP_LINK with the smallest receive buffer that never
 *       reads, while ROUNDS dummy links are created and deleted; prints
 *       listener=<p> drops=<sk_drops from /proc/net/netlink>
 * Output is KEY=VALUE words on one line; exit status 0 on success.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BUFSIZE 65536

static char buffer[BUFSIZE];

static void die(const char *what)
{
	printf("error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_socket(int protocol, uint32_t groups)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = groups };
	struct timeval timeout = { .tv_sec = 5 };
	int fd = socket(AF_NETLINK, SOCK_RAW, protocol);

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("bind");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

static uint32_t port_of(int fd)
{
	struct sockaddr_nl addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
		die("getsockname");
	return addr.nl_pid;
}

static void send_to(int fd, uint32_t port, void *message, size_t len)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_pid = port };

	if (sendto(fd, message, len, 0, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("sendto");
}

/* Appends an attribute; returns the new length. */
static size_t put_attr(char *message, size_t len, uint16_t type, const void *data, size_t size)
{
	struct rtattr *rta = (struct rtattr *)(message + NLMSG_ALIGN(len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(size);
	if (size)
		memcpy(RTA_DATA(rta), data, size);
	return NLMSG_ALIGN(len) + RTA_ALIGN(rta->rta_len);
}

static int dump(int type)
{
	int fd = open_socket(NETLINK_ROUTE, 0);
	struct {
		struct nlmsghdr nlh;
		struct rtgenmsg gen;
	} request = {
		.nlh = { .nlmsg_len = sizeof(request), .nlmsg_type = type,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.gen = { .rtgen_family = AF_UNSPEC },
	};
	int parts = 0, done = 0;

	send_to(fd, 0, &request, sizeof(request));
	while (!done) {
		ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
		struct nlmsghdr *nlh;

		if (n < 0)
			die("recv");
		parts++;
		for (nlh = (struct nlmsghdr *)buffer; NLMSG_OK(nlh, (size_t)n); nlh = NLMSG_NEXT(nlh, n))
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
				done = 1;
	}
	printf("port=%u parts=%d\n", port_of(fd), parts);
	close(fd);
	return 0;
}

/* Sends RTM_NEWLINK (kind dummy) or RTM_DELLINK for `name` with ACK; returns the ack's error. */
static int link_change(int fd, int type, const char *name)
{
	char message[512];
	struct nlmsghdr *nlh = (struct nlmsghdr *)message;
	struct ifinfomsg *ifi;
	size_t len;
	ssize_t n;

	memset(message, 0, sizeof(message));
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWLINK ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nlh->nlmsg_seq = 2;
	ifi = NLMSG_DATA(nlh);
	ifi->ifi_family = AF_UNSPEC;
	len = NLMSG_LENGTH(sizeof(*ifi));
	len = put_attr(message, len, IFLA_IFNAME, name, strlen(name) + 1);
	if (type == RTM_NEWLINK) {
		struct rtattr *linkinfo = (struct rtattr *)(message + NLMSG_ALIGN(len));
		size_t start = NLMSG_ALIGN(len);

		len = put_attr(message, len, IFLA_LINKINFO, NULL, 0);
		len = put_attr(message, len, IFLA_INFO_KIND, "dummy", 6);
		linkinfo->rta_len = len - start;
	}
	nlh->nlmsg_len = len;
	send_to(fd, 0, message, len);
	n = recv(fd, buffer, sizeof(buffer), 0);
	if (n < 0)
		die("recv ack");
	nlh = (struct nlmsghdr *)buffer;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return -1000;
	return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
}

static int link_create(const char *name)
{
	int listener = open_socket(NETLINK_ROUTE, 1 << (RTNLGRP_LINK - 1));
	int creator = open_socket(NETLINK_ROUTE, 0);
	int error = link_change(creator, RTM_NEWLINK, name);
	int got = 0;
	struct timeval short_wait = { .tv_usec = 300000 };

	if (error) {
		printf("error: RTM_NEWLINK %s: %s\n", name, strerror(-error));
		return 1;
	}
	setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &short_wait, sizeof(short_wait));
	for (;;) {
		ssize_t n = recv(listener, buffer, sizeof(buffer), 0);
		struct nlmsghdr *nlh;

		if (n < 0)
			break;
		for (nlh = (struct nlmsghdr *)buffer; NLMSG_OK(nlh, (size_t)n); nlh = NLMSG_NEXT(nlh, n))
			if (nlh->nlmsg_type == RTM_NEWLINK)
				got++;
	}
	printf("listener=%u creator=%u listener_got=%d\n", port_of(listener), port_of(creator), got);
	return got > 0 ? 0 : 1;
}

static int genl_family(const char *name)
{
	int fd = open_socket(NETLINK_GENERIC, 0);
	char message[256];
	struct nlmsghdr *nlh = (struct nlmsghdr *)message;
	struct genlmsghdr *genl;
	size_t len;
	ssize_t n;
	int family_id = -1;

	memset(message, 0, sizeof(message));
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 3;
	genl = NLMSG_DATA(nlh);
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	len = NLMSG_LENGTH(GENL_HDRLEN);
	len = put_attr(message, len, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	nlh->nlmsg_len = len;
	send_to(fd, 0, message, len);
	n = recv(fd, buffer, sizeof(buffer), 0);
	if (n < 0)
		die("recv");
	nlh = (struct nlmsghdr *)buffer;
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		struct rtattr *rta = (struct rtattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
		int left = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

		for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
			if (rta->rta_type == CTRL_ATTR_FAMILY_ID)
				family_id = *(uint16_t *)RTA_DATA(rta);
	}
	printf("port=%u family_id=%d\n", port_of(fd), family_id);
	return family_id >= 0 ? 0 : 1;
}

static int usersock(void)
{
	int a = open_socket(NETLINK_USERSOCK, 0), b = open_socket(NETLINK_USERSOCK, 0);
	struct {
		struct nlmsghdr nlh;
		char text[16];
	} message = {
		.nlh = { .nlmsg_len = sizeof(message), .nlmsg_type = NLMSG_MIN_TYPE, .nlmsg_flags = NLM_F_REQUEST },
		.text = "user to user",
	};
	ssize_t n;

	message.nlh.nlmsg_pid = port_of(a);
	send_to(a, port_of(b), &message, sizeof(message));
	n = recv(b, buffer, sizeof(buffer), 0);
	if (n < 0)
		die("recv");
	printf("a=%u b=%u len=%zd\n", port_of(a), port_of(b), n);
	return 0;
}

/* sk_drops of the socket bound to `port`, from /proc/net/netlink. */
static long proc_drops(uint32_t port)
{
	char line[512];
	FILE *file = fopen("/proc/net/netlink", "r");
	long drops = -1;

	if (!file)
		die("/proc/net/netlink");
	while (fgets(line, sizeof(line), file)) {
		unsigned long sk;
		int protocol;
		unsigned int pid;
		unsigned int groups;
		long rmem, wmem, dump, locks, d;

		if (sscanf(line, "%lx %d %u %x %ld %ld %ld %ld %ld", &sk, &protocol, &pid, &groups, &rmem, &wmem,
			   &dump, &locks, &d) == 9 && protocol == NETLINK_ROUTE && pid == port)
			drops = d;
	}
	fclose(file);
	return drops;
}

static int overflow(int rounds)
{
	int listener = open_socket(NETLINK_ROUTE, 1 << (RTNLGRP_LINK - 1));
	int creator = open_socket(NETLINK_ROUTE, 0);
	int size = 1; /* the kernel rounds up to its minimum */
	int i;

	setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	for (i = 0; i < rounds; i++) {
		char name[IFNAMSIZ + 16];

		snprintf(name, IFNAMSIZ, "nlsovf%d", i % 100000);
		if (link_change(creator, RTM_NEWLINK, name) || link_change(creator, RTM_DELLINK, name)) {
			printf("error: round %d failed\n", i);
			return 1;
		}
	}
	printf("listener=%u drops=%ld\n", port_of(listener), proc_drops(port_of(listener)));
	return 0;
}

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(command, "dump-links"))
		return dump(RTM_GETLINK);
	if (!strcmp(command, "dump-addrs"))
		return dump(RTM_GETADDR);
	if (!strcmp(command, "link-create") && argc > 2)
		return link_create(argv[2]);
	if (!strcmp(command, "genl-family") && argc > 2)
		return genl_family(argv[2]);
	if (!strcmp(command, "usersock"))
		return usersock();
	if (!strcmp(command, "overflow") && argc > 2)
		return overflow(atoi(argv[2]));
	fprintf(stderr, "usage: nl_traffic dump-links|dump-addrs|link-create NAME|genl-family NAME|usersock|overflow ROUNDS\n");
	return 2;
}
