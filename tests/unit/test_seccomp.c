/* SPDX-License-Identifier: MIT */
/*
 * The resident's seccomp program (generated at build time by
 * sidecar/gen_seccomp.c into seccomp_filter.h), run here by a small
 * classic-BPF interpreter over every syscall number: whatever shape
 * libseccomp gave it (a chain of compares, a binary tree), its verdicts
 * must be the allow-list's. tests/netns/test_sandbox.c loads it for real.
 */
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "seccomp_filter.h"

static const int allowed[] = {LX_SECCOMP_ALLOWED_NRS};

#define N_INSNS (sizeof(lx_seccomp_filter) / sizeof(lx_seccomp_filter[0]))

/* The program's return value for d, or ~0u if it does something this
 * interpreter does not know (the test then fails: extend it). */
static uint32_t run(const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < N_INSNS; pc++) {
		const struct sock_filter *f = &lx_seccomp_filter[pc];
		bool jump;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k > sizeof(*d) - 4 || f->k % 4)
				return ~0u;
			memcpy(&a, (const char *)d + f->k, 4);
			continue;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			jump = a == f->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			jump = a > f->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			jump = a >= f->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			jump = (a & f->k) != 0;
			break;
		default:
			return ~0u;
		}
		pc += jump ? f->jt : f->jf;
	}
	return ~0u; /* ran off the end: the kernel refuses such a program */
}

static bool listed(int nr)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i] == nr)
			return true;
	return false;
}

static uint32_t verdict(uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_data d = {.nr = nr, .arch = arch};

	d.args[0] = a0;
	d.args[1] = a1;
	return run(&d);
}

Test(seccomp, every_number_gets_the_allow_lists_verdict)
{
	for (int nr = 0; nr < 1024; nr++) {
		uint32_t v = verdict(LX_SECCOMP_AUDIT_ARCH, nr, 0, 0);

		if (nr == SYS_socket || nr == SYS_ioctl)
			continue; /* conditional: below */
		cr_assert_eq(v, listed(nr) ? SECCOMP_RET_ALLOW
					   : SECCOMP_RET_KILL_PROCESS,
			     "syscall %d: verdict 0x%x", nr, v);
	}
}

Test(seccomp, sockets_only_netlink_ioctls_only_tcgets)
{
	uint32_t arch = LX_SECCOMP_AUDIT_ARCH;

	cr_assert_eq(verdict(arch, SYS_socket, AF_NETLINK, 0),
		     SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(arch, SYS_socket, AF_INET, 0),
		     SECCOMP_RET_KILL_PROCESS);
	cr_assert_eq(verdict(arch, SYS_socket, AF_UNIX, 0),
		     SECCOMP_RET_KILL_PROCESS);
	cr_assert_eq(verdict(arch, SYS_socket, AF_NETLINK | (1ULL << 32), 0),
		     SECCOMP_RET_KILL_PROCESS);
	cr_assert_eq(verdict(arch, SYS_ioctl, 0, TCGETS), SECCOMP_RET_ALLOW);
	cr_assert_eq(verdict(arch, SYS_ioctl, 0, TCSETS),
		     SECCOMP_RET_KILL_PROCESS);
	cr_assert_eq(verdict(arch, SYS_ioctl, 0, TCGETS | (1ULL << 32)),
		     SECCOMP_RET_KILL_PROCESS);
}

/* libseccomp's action for a foreign ABI is its default, KILL (the thread:
 * the resident has one), the list's is KILL_PROCESS: either ends it. */
static bool kills(uint32_t v)
{
	return v == SECCOMP_RET_KILL_PROCESS || v == SECCOMP_RET_KILL_THREAD;
}

Test(seccomp, another_abi_is_killed)
{
	for (int nr = 0; nr < 512; nr++) {
		uint32_t v = verdict(LX_SECCOMP_AUDIT_ARCH ^ 0x1, nr, 0, 0);

		cr_assert(kills(v), "arch: syscall %d: verdict 0x%x", nr, v);
#if defined(__x86_64__) && !defined(__ILP32__)
		/* x32 numbers on the x86_64 arch */
		v = verdict(AUDIT_ARCH_X86_64, nr | 0x40000000, 0, 0);
		cr_assert(kills(v), "x32: syscall %d: verdict 0x%x", nr, v);
#endif
	}
}
