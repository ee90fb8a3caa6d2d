/* SPDX-License-Identifier: MIT */
/*
 * Least privilege for the resident phase. Once every namespace and socket
 * is open, the sidecar keeps only CAP_NET_ADMIN (netlink changes and
 * /proc/sys/net writes in the target netns; cgroup and state files are
 * root-owned and written through owner permission bits), sets no_new_privs
 * and installs a seccomp allow-list of the syscalls the loop uses, with
 * "kill the process" as the default action so a violation is loud.
 */
#ifndef LX_SANDBOX_H
#define LX_SANDBOX_H

#include "error.h"

/* Sanitizer runtimes make syscalls of their own: no seccomp under them. */
#if defined(__SANITIZE_ADDRESS__)
#define LX_SANDBOX_SECCOMP_DEFAULT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define LX_SANDBOX_SECCOMP_DEFAULT 0
#endif
#endif
#ifndef LX_SANDBOX_SECCOMP_DEFAULT
#define LX_SANDBOX_SECCOMP_DEFAULT 1
#endif

/*
 * Whether to install the filter: LX_SANDBOX_SECCOMP_DEFAULT, except under
 * valgrind (detected with RUNNING_ON_VALGRIND: its core makes syscalls the
 * loop never does) and when the environment has LINX_SIDECAR_NO_SECCOMP=1,
 * a test and debugging hook (e.g. strace surveys of the syscalls in use).
 * Capabilities are dropped and no_new_privs set either way.
 */
bool lx_sandbox_seccomp_wanted(void);

/* Drop capabilities, set no_new_privs, install the filter (if seccomp). */
int lx_sandbox_enter(bool seccomp, struct lx_error *err) LX_WUR;

#endif
