/*
 * insn_count: a QEMU TCG plugin that counts the guest instructions each vCPU
 * executes and, whenever a guest program executes one of two marker
 * instructions, writes every vCPU's running total to QEMU's log:
 *
 *   nlscope-mark start vcpu=<vCPU that ran the marker> counts=<vCPU 0> <vCPU 1> ...
 *   nlscope-mark stop vcpu=... counts=...
 *
 * and at exit one line `nlscope-insns exit counts=...`. A program measures a
 * stretch of its work by running START before it and STOP after it; the
 * differences between the two lines are the instructions each vCPU executed
 * in between, its own and everything else that ran there (kernel,
 * interrupts, other processes). Unlike wall-clock time under TCG, these
 * counts do not depend on how busy the host is.
 *
 * The markers are 7-byte NOPs with a displacement nothing else uses
 * ("NLS" plus a kind byte), harmless on real hardware:
 *
 *   START  0f 1f 80 01 53 4c 4e   nopl 0x4e4c5301(%rax)
 *   STOP   0f 1f 80 02 53 4c 4e   nopl 0x4e4c5302(%rax)
 *
 * Build: cc -shared -fPIC -O2 -fvisibility=hidden -o insn_count.so insn_count.c
 * Use:   qemu-system-x86_64 -plugin insn_count.so -d plugin -D plugin.log ...
 * (qemu_plugin_outs() writes to QEMU's log, which only has plugin output with
 * `-d plugin`; `-D` sends the log to a file instead of stderr.)
 *
 * Counting: every translated block (TB) gets an execution callback that adds
 * the block's instruction count to its vCPU's total, so a block left early
 * (a fault in its middle) counts whole. Marker instructions are recognised
 * by their bytes when their block is translated and get an instruction
 * callback then; QEMU keeps the callbacks with the translation, so the
 * marker reports on every execution, also when the block is reused by
 * another process mapping the same page or translated again. At a marker,
 * the marker's whole block is already counted; START and STOP both include
 * the rest of their block, so a difference is off by a few instructions at
 * most. Each vCPU thread writes only its own total (relaxed atomics so other
 * threads read whole values).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"

NLSCOPE_PLUGIN_EXPORT int qemu_plugin_version = NLSCOPE_QEMU_PLUGIN_API_VERSION;

#define MAX_VCPUS 64
#define MARKER_SIZE 7
#define MARKER_START 0x01
#define MARKER_STOP 0x02

/* One cache line per vCPU, so vCPU threads do not share lines they write. */
static struct {
	uint64_t insns;
} __attribute__((aligned(64))) totals[MAX_VCPUS];

static int vcpus;

static int marker_kind(const struct qemu_plugin_insn *insn)
{
	static const unsigned char prefix[3] = { 0x0f, 0x1f, 0x80 };
	static const unsigned char suffix[3] = { 0x53, 0x4c, 0x4e };
	const unsigned char *bytes = qemu_plugin_insn_data(insn);

	if (qemu_plugin_insn_size(insn) != MARKER_SIZE || !bytes)
		return 0;
	if (memcmp(bytes, prefix, 3) != 0 || memcmp(bytes + 4, suffix, 3) != 0)
		return 0;
	return bytes[3] == MARKER_START || bytes[3] == MARKER_STOP ? bytes[3] : 0;
}

/* "<what> counts=<vCPU 0> <vCPU 1> ...\n" into QEMU's log. */
static void report(const char *what)
{
	char line[64 + MAX_VCPUS * 21];
	int length = snprintf(line, sizeof(line), "%s counts=", what);

	for (int vcpu = 0; vcpu < vcpus; vcpu++)
		length += snprintf(line + length, sizeof(line) - length, "%s%llu", vcpu ? " " : "",
				   (unsigned long long)__atomic_load_n(&totals[vcpu].insns,
								       __ATOMIC_RELAXED));
	snprintf(line + length, sizeof(line) - length, "\n");
	qemu_plugin_outs(line);
}

static void block_executed(unsigned int vcpu, void *instructions)
{
	if (vcpu < MAX_VCPUS)
		__atomic_store_n(&totals[vcpu].insns,
				 totals[vcpu].insns + (uint64_t)(uintptr_t)instructions,
				 __ATOMIC_RELAXED);
}

static void marker_executed(unsigned int vcpu, void *kind)
{
	char what[48];

	snprintf(what, sizeof(what), "nlscope-mark %s vcpu=%u",
		 (uintptr_t)kind == MARKER_START ? "start" : "stop", vcpu);
	report(what);
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t count = qemu_plugin_tb_n_insns(tb);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_executed, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)count);
	for (size_t i = 0; i < count; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int kind = marker_kind(insn);

		if (kind)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker_executed,
							       QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)kind);
	}
}

static void exiting(qemu_plugin_id_t id, void *unused)
{
	(void)id;
	(void)unused;
	report("nlscope-insns exit");
}

NLSCOPE_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					      int argc, char **argv)
{
	if (argc > 0) {
		fprintf(stderr, "insn_count: takes no arguments (got %s)\n", argv[0]);
		return -1;
	}
	if (!info->system_emulation) {
		fprintf(stderr, "insn_count: only for system emulation\n");
		return -1;
	}
	vcpus = info->system.max_vcpus;
	if (vcpus < 1 || vcpus > MAX_VCPUS) {
		fprintf(stderr, "insn_count: %d vCPUs, at most %d supported\n", vcpus, MAX_VCPUS);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
	qemu_plugin_register_atexit_cb(id, exiting, NULL);
	return 0;
}
