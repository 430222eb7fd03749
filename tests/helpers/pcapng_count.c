/*
 * Counts the netlink messages of an nlscope pcapng file, for guest scenarios
 * whose captures are too big to bring back to the host: a reader of its own
 * (not nlscope's), fast enough under TCG for a file of 150,000 datagrams.
 *
 *   pcapng_count FILE
 *
 * Each enhanced packet block is one datagram: the 16-byte cooked header, then
 * netlink messages back to back. Its nlscope comment ("nlscope: v=1 ...
 * dir=u2k ... hook=netlink_unicast ...") gives the direction and the hook.
 * Every netlink message of every datagram is counted by type, direction and
 * hook. Output, one NAME=value a line:
 *   DATAGRAMS BYTES CUT MESSAGES REQUESTS ACKS NOTIFICATIONS DUMP_ROUTES DUMP_DONE
 * where REQUESTS are RTM_NEWROUTE sent u2k through netlink_unicast, ACKS are
 * NLMSG_ERROR k2u through netlink_unicast, NOTIFICATIONS are RTM_NEWROUTE
 * through a broadcast hook, DUMP_ROUTES and DUMP_DONE are RTM_NEWROUTE and
 * NLMSG_DONE through __netlink_sendskb (dump parts), and CUT counts packets
 * whose captured length is below their original length.
 * Exit status 1 on a file it cannot read to the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_EPB 6u
#define OPT_COMMENT 1u
#define COOKED_HEADER_LEN 16u
#define NLMSG_HDRLEN 16u
#define NLMSG_ERROR 2u
#define NLMSG_DONE 3u
#define RTM_NEWROUTE 24u

static uint32_t u32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The value of "key=" in a comment, copied into out (empty when absent). */
static void comment_field(const unsigned char *comment, uint32_t len, const char *key,
			  char *out, size_t size)
{
	size_t key_len = strlen(key);
	out[0] = 0;
	for (uint32_t i = 0; i + key_len <= len; i++) {
		if ((i == 0 || comment[i - 1] == ' ') && memcmp(comment + i, key, key_len) == 0) {
			size_t n = 0;
			for (uint32_t j = i + key_len; j < len && comment[j] != ' ' && n + 1 < size; j++)
				out[n++] = (char)comment[j];
			out[n] = 0;
			return;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pcapng_count FILE\n");
		return 2;
	}
	FILE *file = fopen(argv[1], "rb");
	if (!file) {
		perror(argv[1]);
		return 1;
	}
	unsigned long long datagrams = 0, bytes = 0, cut = 0, messages = 0, requests = 0, acks = 0,
			   notifications = 0, dump_routes = 0, dump_done = 0;
	size_t capacity = 1 << 20;
	unsigned char *block = malloc(capacity);
	unsigned char head[8];
	int status = 0;
	while (block && fread(head, 1, 8, file) == 8) {
		uint32_t type = u32le(head), len = u32le(head + 4);
		if (len < 12 || len % 4) {
			fprintf(stderr, "bad block length %u\n", len);
			status = 1;
			break;
		}
		if (len > capacity) {
			capacity = len;
			block = realloc(block, capacity);
			if (!block)
				break;
		}
		memcpy(block, head, 8);
		if (fread(block + 8, 1, len - 8, file) != len - 8) {
			fprintf(stderr, "file cut inside a block\n");
			status = 1;
			break;
		}
		if (type != BLOCK_EPB || len < 32)
			continue;
		uint32_t captured = u32le(block + 20), original = u32le(block + 24);
		if (28 + (uint64_t)captured > len - 4 || captured < COOKED_HEADER_LEN) {
			fprintf(stderr, "bad packet length %u\n", captured);
			status = 1;
			break;
		}
		datagrams++;
		bytes += original - COOKED_HEADER_LEN;
		if (captured < original)
			cut++;
		/* Options follow the packet, padded to 4 bytes. */
		char dir[16] = "", hook[64] = "";
		uint32_t at = 28 + ((captured + 3) & ~3u);
		while (at + 4 <= len - 4) {
			uint32_t code = block[at] | block[at + 1] << 8, olen = block[at + 2] | block[at + 3] << 8;
			if (code == 0 || at + 4 + olen > len - 4)
				break;
			const unsigned char *value = block + at + 4;
			if (code == OPT_COMMENT && olen > 8 && memcmp(value, "nlscope:", 8) == 0) {
				comment_field(value, olen, "dir=", dir, sizeof dir);
				comment_field(value, olen, "hook=", hook, sizeof hook);
			}
			at += 4 + ((olen + 3) & ~3u);
		}
		const unsigned char *data = block + 28 + COOKED_HEADER_LEN;
		uint32_t left = captured - COOKED_HEADER_LEN;
		while (left >= NLMSG_HDRLEN) {
			uint32_t msg_len = u32le(data);
			uint32_t msg_type = data[4] | data[5] << 8;
			if (msg_len < NLMSG_HDRLEN || msg_len > left)
				break;
			messages++;
			int unicast = strcmp(hook, "netlink_unicast") == 0;
			int dump = strcmp(hook, "__netlink_sendskb") == 0;
			int broadcast = strncmp(hook, "netlink_broadcast", 17) == 0;
			if (msg_type == RTM_NEWROUTE && unicast && strcmp(dir, "u2k") == 0)
				requests++;
			else if (msg_type == NLMSG_ERROR && unicast && strcmp(dir, "k2u") == 0)
				acks++;
			else if (msg_type == RTM_NEWROUTE && broadcast)
				notifications++;
			else if (msg_type == RTM_NEWROUTE && dump)
				dump_routes++;
			else if (msg_type == NLMSG_DONE && dump)
				dump_done++;
			uint32_t aligned = (msg_len + 3) & ~3u;
			if (aligned >= left)
				break;
			data += aligned;
			left -= aligned;
		}
	}
	if (!block) {
		fprintf(stderr, "out of memory\n");
		status = 1;
	}
	printf("DATAGRAMS=%llu\nBYTES=%llu\nCUT=%llu\nMESSAGES=%llu\nREQUESTS=%llu\nACKS=%llu\n"
	       "NOTIFICATIONS=%llu\nDUMP_ROUTES=%llu\nDUMP_DONE=%llu\n",
	       datagrams, bytes, cut, messages, requests, acks, notifications, dump_routes,
	       dump_done);
	free(block);
	fclose(file);
	return status;
}
