/*
 * A client of the demo module's generic netlink family (kmod/nlscope_demo_abi.h,
 * kmod/nlscope_demo.yaml) for the guest scenarios: one request per run, and a
 * line for every message that comes back, so a capture can be checked
 * against what the client saw.
 *
 *   genl_demo [--port P] [--family ID] [--group ID] COMMAND ARGS...
 *     resolve                     nlctrl CTRL_CMD_GETFAMILY by name
 *     echo TEXT NUMBER            ECHO
 *     set INDEX VALUE [NAME]      SET with NLM_F_ACK
 *     get INDEX                   GET (do)
 *     dump                        GET (dump), read to NLMSG_DONE
 *     listen COUNT TIMEOUT        join the events group, print COUNT messages
 *     fuzz COUNT SEED             COUNT random and malformed requests to the
 *                                 family, every reply read
 *   "-" for an argument leaves its attribute out (a SET without an index).
 *   --port binds the socket to that port (else the kernel picks one);
 *   --family and --group skip the nlctrl lookup.
 *
 * Output, KEY=VALUE words:
 *   port=<p> family=<id> events_group=<id>         first, always
 *   resolved family=<id> version=<v> maxattr=<n> events_group=<id>
 *   sent cmd=<c> seq=<s> len=<bytes>
 *   msg type=<t> cmd=<c> version=<v> seq=<s> flags=<f> from=<port> group=<g> [index=..] [value=..]
 *       [name=".."] [generation=..] [text=".."] [number=..]
 *   ack seq=<s>
 *   error=<-errno> errno=<NAME> seq=<s> [msg="..."] [offset=<o>] [miss_type=<t>]
 *       [policy_type=<t>] [policy_min=<n>] [policy_max=<n>] [policy_max_len=<n>]
 *   done parts=<datagrams> messages=<n>
 *   ready port=<p>                                   (listen)
 *   fuzz sent=<n> refused=<n> replies=<n> acks=<n> errors=<n> done=<n>
 * Exit status 0 when the exchange completed (an error ACK is a completed
 * exchange: the scenario checks what it said), 1 on a local failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../kmod/nlscope_demo_abi.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define BUFSIZE 65536

static char buffer[BUFSIZE];
static int fd;
static uint32_t seq = 1;
static uint16_t family_id;
static uint32_t events_group;

static void die(const char *what)
{
	printf("failed: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct request {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[1024];
};

static void put_attr(struct request *r, uint16_t type, const void *data, size_t size)
{
	struct nlattr *nla = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nlh.nlmsg_len));
	size_t total = NLA_HDRLEN + size;

	if (NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(total) > sizeof(*r)) {
		printf("failed: request too long\n");
		exit(1);
	}
	nla->nla_type = type;
	nla->nla_len = (uint16_t)total;
	memcpy((char *)nla + NLA_HDRLEN, data, size);
	memset((char *)nla + total, 0, NLA_ALIGN(total) - total);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(total);
}

static void put_u32(struct request *r, uint16_t type, const char *text)
{
	uint32_t value;

	if (!strcmp(text, "-"))
		return;
	value = (uint32_t)strtoul(text, NULL, 0);
	put_attr(r, type, &value, sizeof(value));
}

static void put_string(struct request *r, uint16_t type, const char *text)
{
	if (strcmp(text, "-"))
		put_attr(r, type, text, strlen(text) + 1);
}

static void start(struct request *r, uint16_t type, uint16_t flags, uint8_t cmd, uint8_t version)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->nlh.nlmsg_seq = seq++;
	r->genl.cmd = cmd;
	r->genl.version = version;
}

static void send_request(struct request *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, r, r->nlh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		die("sendto");
}

/* Attributes in [data, data + len): calls `each` for every whole one. */
#define FOR_EACH_ATTR(nla, data, len)                                              \
	for (struct nlattr *nla = (struct nlattr *)(data);                         \
	     (char *)nla + NLA_HDRLEN <= (char *)(data) + (len) &&                 \
	     nla->nla_len >= NLA_HDRLEN &&                                         \
	     (char *)nla + nla->nla_len <= (char *)(data) + (len);                 \
	     nla = (struct nlattr *)((char *)nla + NLA_ALIGN(nla->nla_len)))

#define ATTR_TYPE(nla) ((nla)->nla_type & NLA_TYPE_MASK)
#define ATTR_DATA(nla) ((char *)(nla) + NLA_HDRLEN)
#define ATTR_LEN(nla) ((int)(nla)->nla_len - NLA_HDRLEN)

static uint32_t attr_u32(struct nlattr *nla)
{
	uint32_t value = 0;

	memcpy(&value, ATTR_DATA(nla), ATTR_LEN(nla) >= 4 ? 4 : 0);
	return value;
}

static uint64_t attr_uint(struct nlattr *nla)
{
	uint64_t value = 0;

	if (ATTR_LEN(nla) == 8)
		memcpy(&value, ATTR_DATA(nla), 8);
	else
		value = attr_u32(nla);
	return value;
}

/* How to print the attributes of one kind of message: ` KEY=value` each. */
enum field_kind { FIELD_U32, FIELD_UINT, FIELD_STRING, FIELD_POLICY };

struct field {
	uint16_t type;
	const char *key;
	enum field_kind kind;
};

static const struct field demo_fields[] = {
	{ NLSCOPE_DEMO_GENL_A_INDEX, "index", FIELD_U32 },
	{ NLSCOPE_DEMO_GENL_A_VALUE, "value", FIELD_U32 },
	{ NLSCOPE_DEMO_GENL_A_NAME, "name", FIELD_STRING },
	{ NLSCOPE_DEMO_GENL_A_GENERATION, "generation", FIELD_U32 },
	{ NLSCOPE_DEMO_GENL_A_TEXT, "text", FIELD_STRING },
	{ NLSCOPE_DEMO_GENL_A_NUMBER, "number", FIELD_U32 },
	{ 0 },
};

static const struct field extack_fields[] = {
	{ NLMSGERR_ATTR_MSG, "msg", FIELD_STRING },
	{ NLMSGERR_ATTR_OFFS, "offset", FIELD_U32 },
	{ NLMSGERR_ATTR_MISS_TYPE, "miss_type", FIELD_U32 },
	{ NLMSGERR_ATTR_POLICY, "policy", FIELD_POLICY }, /* its fields, policy_* */
	{ 0 },
};

static const struct field policy_fields[] = {
	{ NL_POLICY_TYPE_ATTR_TYPE, "policy_type", FIELD_U32 },
	{ NL_POLICY_TYPE_ATTR_MIN_VALUE_U, "policy_min", FIELD_UINT },
	{ NL_POLICY_TYPE_ATTR_MAX_VALUE_U, "policy_max", FIELD_UINT },
	{ NL_POLICY_TYPE_ATTR_MAX_LENGTH, "policy_max_len", FIELD_U32 },
	{ 0 },
};

/* The attributes in [data, data + len) that `fields` names; the others as
 * ` attrN=Mbytes` when `show_others`. */
static void print_attrs(const struct field *fields, char *data, int len, int show_others)
{
	FOR_EACH_ATTR(nla, data, len) {
		const struct field *f = fields;

		while (f->key && f->type != ATTR_TYPE(nla))
			f++;
		if (!f->key) {
			if (show_others)
				printf(" attr%u=%dbytes", ATTR_TYPE(nla), ATTR_LEN(nla));
			continue;
		}
		switch (f->kind) {
		case FIELD_U32:
			printf(" %s=%u", f->key, attr_u32(nla));
			break;
		case FIELD_UINT:
			printf(" %s=%llu", f->key, (unsigned long long)attr_uint(nla));
			break;
		case FIELD_STRING:
			printf(" %s=\"%.*s\"", f->key, (int)strnlen(ATTR_DATA(nla), ATTR_LEN(nla)),
			       ATTR_DATA(nla));
			break;
		case FIELD_POLICY:
			print_attrs(policy_fields, ATTR_DATA(nla), ATTR_LEN(nla), 0);
			break;
		}
	}
}

static void print_family_message(struct nlmsghdr *nlh, uint32_t from, uint32_t group)
{
	struct genlmsghdr *genl = NLMSG_DATA(nlh);
	int len = (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	if (len < 0) {
		printf("msg type=%u short\n", nlh->nlmsg_type);
		return;
	}
	printf("msg type=%u cmd=%u version=%u seq=%u flags=%#x from=%u group=%u", nlh->nlmsg_type,
	       genl->cmd, genl->version, nlh->nlmsg_seq, nlh->nlmsg_flags, from, group);
	print_attrs(demo_fields, (char *)genl + GENL_HDRLEN, len, 1);
	printf("\n");
}

/* An NLMSG_ERROR: an ack, or the error with its extended-ack attributes. */
static void print_error(struct nlmsghdr *nlh)
{
	struct nlmsgerr *err = NLMSG_DATA(nlh);
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN;
	int quoted;
	char *tlvs;

	if (len < (int)sizeof(*err)) {
		printf("error short\n");
		return;
	}
	if (err->error == 0) {
		printf("ack seq=%u\n", nlh->nlmsg_seq);
		return;
	}
	printf("error=%d errno=%s seq=%u", err->error, strerrorname_np(-err->error) ?: "?",
	       nlh->nlmsg_seq);
	/* The quoted request is whole unless the kernel capped it to its header. */
	if (nlh->nlmsg_flags & NLM_F_CAPPED)
		quoted = sizeof(*err);
	else
		quoted = sizeof(err->error) + NLMSG_ALIGN(err->msg.nlmsg_len);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && quoted <= len) {
		tlvs = (char *)err + quoted;
		print_attrs(extack_fields, tlvs, len - quoted, 0);
	}
	printf("\n");
}

/* Receives one datagram and prints its messages; returns how many ended the
 * exchange (an ack, an error or NLMSG_DONE), or -1 on a timeout. */
static int receive(int *messages)
{
	struct sockaddr_nl from;
	socklen_t from_len = sizeof(from);
	int finished = 0;
	ssize_t n;

	n = recvfrom(fd, buffer, sizeof(buffer), 0, (struct sockaddr *)&from, &from_len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			printf("timeout\n");
			return -1;
		}
		die("recvfrom");
	}
	for (struct nlmsghdr *nlh = (struct nlmsghdr *)buffer; NLMSG_OK(nlh, (unsigned int)n);
	     nlh = NLMSG_NEXT(nlh, n)) {
		uint32_t group = 0;

		for (int bit = 0; bit < 32; bit++)
			if (from.nl_groups & (1u << bit))
				group = bit + 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			print_error(nlh);
			finished++;
		} else if (nlh->nlmsg_type == NLMSG_DONE) {
			finished++;
		} else if (nlh->nlmsg_type == family_id || family_id == 0) {
			print_family_message(nlh, from.nl_pid, group);
			(*messages)++;
		} else {
			printf("other type=%u\n", nlh->nlmsg_type);
		}
	}
	return finished;
}

/* nlctrl: the family's id, version, maxattr and the events group's id. */
static void resolve(int print)
{
	struct request r;
	struct nlmsghdr *nlh;
	uint32_t version = 0, maxattr = 0;
	ssize_t n;

	start(&r, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	put_string(&r, CTRL_ATTR_FAMILY_NAME, NLSCOPE_DEMO_FAMILY_NAME);
	send_request(&r);
	n = recv(fd, buffer, sizeof(buffer), 0);
	if (n < 0)
		die("recv (nlctrl)");
	nlh = (struct nlmsghdr *)buffer;
	if (!NLMSG_OK(nlh, (unsigned int)n))
		die("nlctrl reply");
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *err = NLMSG_DATA(nlh);

		printf("failed: family %s not found: %s (is the module loaded?)\n",
		       NLSCOPE_DEMO_FAMILY_NAME, strerror(-err->error));
		exit(1);
	}
	FOR_EACH_ATTR(nla, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		      nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
		if (ATTR_TYPE(nla) == CTRL_ATTR_FAMILY_ID)
			memcpy(&family_id, ATTR_DATA(nla), 2);
		else if (ATTR_TYPE(nla) == CTRL_ATTR_VERSION)
			version = attr_u32(nla);
		else if (ATTR_TYPE(nla) == CTRL_ATTR_MAXATTR)
			maxattr = attr_u32(nla);
		else if (ATTR_TYPE(nla) == CTRL_ATTR_MCAST_GROUPS) {
			FOR_EACH_ATTR(group, ATTR_DATA(nla), ATTR_LEN(nla)) {
				uint32_t id = 0;
				const char *name = NULL;

				FOR_EACH_ATTR(field, ATTR_DATA(group), ATTR_LEN(group)) {
					if (ATTR_TYPE(field) == CTRL_ATTR_MCAST_GRP_ID)
						id = attr_u32(field);
					else if (ATTR_TYPE(field) == CTRL_ATTR_MCAST_GRP_NAME)
						name = ATTR_DATA(field);
				}
				if (name && !strcmp(name, NLSCOPE_DEMO_MCGRP_EVENTS))
					events_group = id;
			}
		}
	}
	if (print)
		printf("resolved family=%u version=%u maxattr=%u events_group=%u\n", family_id,
		       version, maxattr, events_group);
}

/* Sends the request, then prints replies until it is answered: by an ack or
 * an error, NLMSG_DONE after a dump, or the reply of a do without NLM_F_ACK. */
static int exchange(struct request *r, int dump)
{
	int acked = !!(r->nlh.nlmsg_flags & NLM_F_ACK);
	int messages = 0, parts = 0, finished = 0;

	send_request(r);
	printf("sent cmd=%u seq=%u len=%u\n", r->genl.cmd, r->nlh.nlmsg_seq, r->nlh.nlmsg_len);
	while (!finished) {
		int got = receive(&messages);

		if (got < 0)
			return 1;
		parts++;
		finished = got || (!dump && !acked && messages > 0);
	}
	if (dump)
		printf("done parts=%d messages=%d\n", parts, messages);
	return 0;
}

static uint64_t rng_state;

static uint32_t rng(void)
{
	/* xorshift64*: the same sequence for the same seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A u32 near the family's limits more often than not. */
static uint32_t random_u32(void)
{
	static const uint32_t edges[] = { 0, 1, NLSCOPE_DEMO_SLOTS - 1, NLSCOPE_DEMO_SLOTS,
					  NLSCOPE_DEMO_VALUE_MAX, NLSCOPE_DEMO_VALUE_MAX + 1,
					  0xffffffff };

	return rng() % 2 ? edges[rng() % 7] : rng() % (2 * NLSCOPE_DEMO_VALUE_MAX);
}

/* Whether command `cmd`'s policy has attribute `type` (its spec's request). */
static int accepts(uint8_t cmd, uint16_t type)
{
	switch (cmd) {
	case NLSCOPE_DEMO_GENL_CMD_ECHO:
		return type == NLSCOPE_DEMO_GENL_A_TEXT || type == NLSCOPE_DEMO_GENL_A_NUMBER;
	case NLSCOPE_DEMO_GENL_CMD_SET:
		return type == NLSCOPE_DEMO_GENL_A_INDEX || type == NLSCOPE_DEMO_GENL_A_VALUE ||
		       type == NLSCOPE_DEMO_GENL_A_NAME;
	case NLSCOPE_DEMO_GENL_CMD_GET:
		return type == NLSCOPE_DEMO_GENL_A_INDEX;
	}
	return 0;
}

/*
 * One random request into `r`: mostly one of the family's commands with its
 * own attributes, each there or not, well formed but with values and string
 * lengths around the limits (empty, at the limit, past it); then, now and
 * then, a flaw: an unknown or zero command, another version or a reserved
 * field, a junk attribute of any type and length, a nested flag, a string
 * without its NUL, an attribute longer than the message, or the message cut
 * inside its header or an attribute. Flags are any of ack, dump and echo.
 */
static void random_request(struct request *r)
{
	static const uint16_t flags[] = { 0, NLM_F_ACK, NLM_F_DUMP, NLM_F_ACK | NLM_F_DUMP,
					  NLM_F_ECHO, NLM_F_ACK | NLM_F_ECHO };
	static const uint16_t attrs[] = { NLSCOPE_DEMO_GENL_A_INDEX, NLSCOPE_DEMO_GENL_A_VALUE,
					  NLSCOPE_DEMO_GENL_A_NAME, NLSCOPE_DEMO_GENL_A_GENERATION,
					  NLSCOPE_DEMO_GENL_A_TEXT, NLSCOPE_DEMO_GENL_A_NUMBER };
	uint8_t cmd = rng() % 8 ? 1 + rng() % 3 : rng() % 6;
	char bytes[NLSCOPE_DEMO_TEXT_MAX + 8];

	start(r, family_id, flags[rng() % 6], cmd, rng() % 16 ? 1 : rng() % 256);
	if (rng() % 16 == 0)
		r->genl.reserved = (uint16_t)rng();
	for (unsigned int i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		uint16_t type = attrs[i];
		size_t len;

		/* Its own attributes, each half the time; another's seldom. */
		if (rng() % (accepts(cmd, type) ? 2 : 32))
			continue;
		if (type == NLSCOPE_DEMO_GENL_A_NAME || type == NLSCOPE_DEMO_GENL_A_TEXT) {
			size_t limit = type == NLSCOPE_DEMO_GENL_A_NAME ? NLSCOPE_DEMO_NAME_MAX
								       : NLSCOPE_DEMO_TEXT_MAX;

			len = rng() % 2 ? limit + rng() % 3 - 1 : rng() % (limit + 2);
			for (size_t b = 0; b < len; b++)
				bytes[b] = (char)('a' + rng() % 26);
			bytes[len++] = 0;
			if (rng() % 16 == 0)
				len--; /* no NUL */
		} else {
			uint32_t value = random_u32();

			memcpy(bytes, &value, sizeof(value));
			len = rng() % 16 ? sizeof(value) : rng() % 9;
		}
		if (rng() % 32 == 0)
			type |= NLA_F_NESTED;
		put_attr(r, type, bytes, len);
	}
	if (rng() % 8 == 0) { /* a junk attribute */
		size_t len = rng() % 40;

		for (size_t b = 0; b < len; b++)
			bytes[b] = (char)rng();
		put_attr(r, (uint16_t)(rng() % 9 | (rng() % 4 ? 0 : NLA_F_NESTED)), bytes, len);
	}
	switch (rng() % 32) {
	case 0: /* the first attribute claims more than the message holds */
		if (r->nlh.nlmsg_len > NLMSG_LENGTH(GENL_HDRLEN) + NLA_HDRLEN) {
			struct nlattr *first = (struct nlattr *)((char *)r + NLMSG_LENGTH(GENL_HDRLEN));

			first->nla_len += 4 + rng() % 64;
		}
		break;
	case 1: /* cut inside the genl header or an attribute */
		r->nlh.nlmsg_len = NLMSG_HDRLEN + rng() % (r->nlh.nlmsg_len - NLMSG_HDRLEN + 1);
		break;
	}
}

/* Reads whatever is queued without waiting, counting what it is. */
static void drain(int *replies, int *acks, int *errors, int *done)
{
	for (;;) {
		ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ENOBUFS) /* an overrun: keep reading */
				continue;
			die("recv (fuzz)");
		}
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buffer; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *err = NLMSG_DATA(nlh);

				if (err->error)
					(*errors)++;
				else
					(*acks)++;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				(*done)++;
			} else {
				(*replies)++;
			}
		}
	}
}

static int fuzz(int count, uint64_t seed)
{
	int replies = 0, acks = 0, errors = 0, done = 0, refused = 0;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct request r;

	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (int i = 0; i < count; i++) {
		random_request(&r);
		/* The kernel refuses some at the socket (a dump still running:
		 * EBUSY; a header it cannot read: EINVAL); that is an answer too. */
		if (sendto(fd, &r, r.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
			refused++;
		drain(&replies, &acks, &errors, &done);
	}
	printf("fuzz sent=%d refused=%d replies=%d acks=%d errors=%d done=%d\n", count, refused,
	       replies, acks, errors, done);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: genl_demo [--port P] [--family ID] [--group ID] "
			"resolve | echo TEXT NUMBER | set INDEX VALUE [NAME] | get INDEX | dump | "
			"listen COUNT TIMEOUT | fuzz COUNT SEED\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	struct timeval timeout = { .tv_sec = 5 };
	socklen_t addr_len = sizeof(addr);
	struct request r;
	int one = 1, arg = 1;
	const char *command;

	while (arg + 1 < argc && !strncmp(argv[arg], "--", 2)) {
		if (!strcmp(argv[arg], "--port"))
			addr.nl_pid = (uint32_t)strtoul(argv[arg + 1], NULL, 0);
		else if (!strcmp(argv[arg], "--family"))
			family_id = (uint16_t)strtoul(argv[arg + 1], NULL, 0);
		else if (!strcmp(argv[arg], "--group"))
			events_group = (uint32_t)strtoul(argv[arg + 1], NULL, 0);
		else
			usage();
		arg += 2;
	}
	if (arg >= argc)
		usage();
	command = argv[arg++];

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("bind");
	if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0)
		die("getsockname");
	/* Extended acks: the message, the bad attribute's offset, the policy. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

	if (!strcmp(command, "resolve") || !family_id || (!strcmp(command, "listen") && !events_group))
		resolve(!strcmp(command, "resolve"));
	printf("port=%u family=%u events_group=%u\n", addr.nl_pid, family_id, events_group);
	fflush(stdout);

	if (!strcmp(command, "resolve"))
		return 0;
	if (!strcmp(command, "echo") && argc - arg == 2) {
		start(&r, family_id, 0, NLSCOPE_DEMO_GENL_CMD_ECHO, NLSCOPE_DEMO_FAMILY_VERSION);
		put_string(&r, NLSCOPE_DEMO_GENL_A_TEXT, argv[arg]);
		put_u32(&r, NLSCOPE_DEMO_GENL_A_NUMBER, argv[arg + 1]);
		return exchange(&r, 0);
	}
	if (!strcmp(command, "set") && (argc - arg == 2 || argc - arg == 3)) {
		start(&r, family_id, NLM_F_ACK, NLSCOPE_DEMO_GENL_CMD_SET, NLSCOPE_DEMO_FAMILY_VERSION);
		put_u32(&r, NLSCOPE_DEMO_GENL_A_INDEX, argv[arg]);
		put_u32(&r, NLSCOPE_DEMO_GENL_A_VALUE, argv[arg + 1]);
		if (argc - arg == 3)
			put_string(&r, NLSCOPE_DEMO_GENL_A_NAME, argv[arg + 2]);
		return exchange(&r, 0);
	}
	if (!strcmp(command, "get") && argc - arg == 1) {
		start(&r, family_id, 0, NLSCOPE_DEMO_GENL_CMD_GET, NLSCOPE_DEMO_FAMILY_VERSION);
		put_u32(&r, NLSCOPE_DEMO_GENL_A_INDEX, argv[arg]);
		return exchange(&r, 0);
	}
	if (!strcmp(command, "dump") && argc - arg == 0) {
		start(&r, family_id, NLM_F_DUMP, NLSCOPE_DEMO_GENL_CMD_GET, NLSCOPE_DEMO_FAMILY_VERSION);
		return exchange(&r, 1);
	}
	if (!strcmp(command, "fuzz") && argc - arg == 2)
		return fuzz(atoi(argv[arg]), strtoull(argv[arg + 1], NULL, 0));
	if (!strcmp(command, "listen") && argc - arg == 2) {
		int count = atoi(argv[arg]), messages = 0;
		int group = (int)events_group;

		timeout.tv_sec = atoi(argv[arg + 1]);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0)
			die("join the events group");
		printf("ready port=%u\n", addr.nl_pid);
		fflush(stdout);
		while (messages < count) {
			if (receive(&messages) < 0)
				break;
			fflush(stdout);
		}
		printf("listened got=%d\n", messages);
		return messages == count ? 0 : 1;
	}
	usage();
	return 2;
}
