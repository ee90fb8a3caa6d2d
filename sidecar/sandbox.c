/* SPDX-License-Identifier: MIT */
#include <cap-ng.h>
#include <errno.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "sandbox.h"

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
 * Every syscall the resident loop makes: epoll, timers, signals, netlink,
 * the control socket, procfs/cgroupfs/state-dir files, allocation, exit.
 * Surveyed with `strace -f` (LINX_SIDECAR_NO_SECCOMP=1) over every path in
 * test_hardening.sh; the rest are the same operations' alternatives in
 * libc (fstat/statx, poll/ppoll, ...) and re-subscribing the monitor.
 */
static const char *const allowed[] = {
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
	"epoll_create1", "read", "write", "readv", "writev", "pread64",
	"pwrite64", "recvmsg", "recvmmsg", "recvfrom", "sendmsg", "sendto",
	"bind", "getsockname", "setsockopt", "getsockopt", "accept4",
	"accept", "shutdown", "openat", "openat2", "open", "close",
	"close_range", "fstat", "newfstatat", "statx", "stat", "lstat",
	"lseek", "fcntl", "dup", "dup2", "dup3", "getdents64",
	"renameat", "renameat2", "rename", "unlinkat", "unlink",
	"rmdir", "mkdirat", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "signalfd4", "rt_sigprocmask", "rt_sigaction",
	"rt_sigreturn", "clock_gettime", "clock_nanosleep", "nanosleep",
	"gettimeofday", "time", "poll", "ppoll", "brk", "mmap", "munmap",
	"mremap", "madvise", "mprotect", "futex", "getrandom", "getpid",
	"gettid", "getuid", "geteuid", "getgid", "getegid", "exit",
	"exit_group", "restart_syscall", "sched_yield", "umask",
	"prlimit64", "sysinfo", "uname", "readlink", "readlinkat", "access",
	"faccessat", "faccessat2",
};

bool lx_sandbox_seccomp_wanted(void)
{
	const char *off = getenv("LINX_SIDECAR_NO_SECCOMP");

	if (off && strcmp(off, "1") == 0)
		return false;
	if (RUNNING_ON_VALGRIND)
		return false;
	return LX_SANDBOX_SECCOMP_DEFAULT;
}

int lx_sandbox_enter(bool seccomp, struct lx_error *err)
{
	scmp_filter_ctx ctx;
	int r;

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_NET_ADMIN) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, 0,
				    "capng_update CAP_NET_ADMIN");
	/* Capabilities and the bounding set: nothing can come back. */
	r = capng_apply(CAPNG_SELECT_ALL);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, 0,
				    "capng_apply failed (%d)", r);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "no_new_privs");
	if (!seccomp)
		return 0;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "seccomp_init");
	for (size_t i = 0; i < LX_ARRAY_SIZE(allowed); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0) {
			seccomp_release(ctx);
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "seccomp rule %s", allowed[i]);
		}
	}
	/* New sockets: netlink only (re-subscribing the monitor). stdio may
	 * ask whether stderr is a terminal; no other ioctl. */
	/* Spelled out: SCMP_A0() leaves datum_b to the compiler, which
	 * clang's -Wmissing-field-initializers refuses under -Werror. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
			     (struct scmp_arg_cmp){.arg = 0,
						   .op = SCMP_CMP_EQ,
						   .datum_a = AF_NETLINK,
						   .datum_b = 0});
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     (struct scmp_arg_cmp){.arg = 1,
							   .op = SCMP_CMP_EQ,
							   .datum_a = TCGETS,
							   .datum_b = 0});
	if (r < 0) {
		seccomp_release(ctx);
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "seccomp rule");
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "seccomp_load");
	return 0;
}
