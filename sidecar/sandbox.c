/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "caps.h"
#include "sandbox.h"
/* lx_seccomp_filter[] and LX_SECCOMP_AUDIT_ARCH, from gen_seccomp.c */
#include "seccomp_filter.h"

/*
 * Why CAP_NET_ADMIN alone is enough, teardown included:
 *  - netlink changes and deletes in the target netns (and deleting the veth,
 *    which takes its host peer along): CAP_NET_ADMIN.
 *  - /proc/sys/net writes and reverts: proc_sys_permission() does no DAC
 *    check of its own; net_ctl_permissions() grants the owner bits to a
 *    caller with CAP_NET_ADMIN over the netns (even a netns owned by
 *    another user namespace, whose files belong to that namespace's root).
 *  - cgroup knobs and their revert: kernfs does the usual DAC check, and
 *    a root container's cgroup files belong to uid 0, which we still are,
 *    so owner bits apply without CAP_DAC_OVERRIDE. A cgroup delegated to
 *    another user would need it; such a write fails and is reported.
 *  - the state dir (events, state.json, its removal): created by us, uid 0.
 * tests/cli/test_hardening.sh runs all of these under the filter.
 *
 * The allow-list (gen_seccomp.c) holds every syscall the resident loop
 * makes. Surveyed with `strace -f` (LINX_SIDECAR_NO_SECCOMP=1) over every
 * path in test_hardening.sh; the rest are the same operations'
 * alternatives in libc (fstat/statx, poll/ppoll, ...) and re-subscribing
 * the monitor.
 */

/* The filter was generated for the architecture we are built for: a cross
 * build that ran the generator for the build machine stops here. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define LX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define LX_AUDIT_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__) && defined(__AARCH64EL__)
#define LX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARMEL__)
#define LX_AUDIT_ARCH AUDIT_ARCH_ARM
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define LX_AUDIT_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define LX_AUDIT_ARCH AUDIT_ARCH_S390X
#elif defined(__riscv) && __riscv_xlen == 64
#define LX_AUDIT_ARCH AUDIT_ARCH_RISCV64
#endif
#ifdef LX_AUDIT_ARCH
_Static_assert(LX_SECCOMP_AUDIT_ARCH == LX_AUDIT_ARCH,
	       "seccomp_filter.h was generated for another architecture");
#endif

bool lx_sandbox_seccomp_wanted(void)
{
	const char *off = getenv("LINX_SIDECAR_NO_SECCOMP");

	if (off && strcmp(off, "1") == 0)
		return false;
	if (RUNNING_ON_VALGRIND)
		return false;
	return LX_SANDBOX_SECCOMP_DEFAULT;
}

static int load_filter(void)
{
	struct sock_fprog prog = {
	    .len = (unsigned short)LX_ARRAY_SIZE(lx_seccomp_filter),
	    .filter = lx_seccomp_filter,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* Kernels before 3.17 have no seccomp(2). */
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0
		   ? -errno
		   : 0;
}

int lx_sandbox_enter(bool seccomp, struct lx_error *err)
{
	/* Capabilities and the bounding set: nothing can come back. */
	int r = lx_caps_limit(1ULL << CAP_NET_ADMIN);

	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r,
				    "capabilities: keep CAP_NET_ADMIN only");
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "no_new_privs");
	if (!seccomp)
		return 0;
	r = load_filter();
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "seccomp filter");
	return 0;
}
