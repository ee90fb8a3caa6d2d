/* SPDX-License-Identifier: MIT */
/*
 * The target: the process (or netns path) whose network namespace we
 * converge. The process is pinned with a pidfd before its namespace is opened
 * (PIDFD_GET_NET_NAMESPACE where the kernel has it, else /proc/PID/ns/net
 * followed by a check that the pidfd has not exited), so a recycled pid can
 * never redirect us into another process's namespace.
 */
#ifndef LX_TARGET_H
#define LX_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct lx_target {
	pid_t pid;          /* 0 when targeting a netns path */
	int pidfd;          /* -1 when targeting a netns path */
	int netns_fd;       /* the target's network namespace */
	int host_netns_fd;  /* our own network namespace, opened at start */
	bool is_host_netns; /* target netns == our own (device + inode) */
	dev_t netns_dev;
	ino_t netns_ino;
	/* SO_NETNS_COOKIE of the target netns (lx_target_read_cookie):
	 * unlike the inode, never reused while the machine is up. */
	uint64_t netns_cookie;
	bool entered; /* setns done: this process now lives in the target */
};

/* Pin and open. Errors: LX_ERR_NOTFOUND (no such pid / netns path). */
int lx_target_open(struct lx_target *t, pid_t pid, const char *netns_path,
		   struct lx_error *err) LX_WUR;

/* setns() into the target netns (after the caller opened host-side sockets). */
int lx_target_enter(struct lx_target *t, struct lx_error *err) LX_WUR;

/*
 * The namespace's cookie binds state to this namespace: an inode number
 * comes back after `ip netns del`, a cookie never does. Read from sockfd,
 * a socket the caller created once entered (a socket belongs to the
 * netns it was created in).
 */
int lx_target_read_cookie(struct lx_target *t, int sockfd,
			  struct lx_error *err) LX_WUR;

/* True once the pinned process has exited (pidfd readable). */
bool lx_target_exited(const struct lx_target *t);

void lx_target_close(struct lx_target *t);

/* Default state id: "pid-N" or "netns-INODE". */
void lx_target_default_id(const struct lx_target *t, char *buf, size_t len);

#endif
