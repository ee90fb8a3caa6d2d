/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "target.h"

#ifndef PIDFS_IOCTL_MAGIC
#define PIDFS_IOCTL_MAGIC 0xFF
#endif
#ifndef PIDFD_GET_NET_NAMESPACE
#define PIDFD_GET_NET_NAMESPACE _IO(PIDFS_IOCTL_MAGIC, 4)
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

bool lx_target_exited(const struct lx_target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };

	if (t->pidfd < 0)
		return false;
	return poll(&p, 1, 0) > 0;
}

static int open_pid_netns(struct lx_target *t, struct lx_error *err)
{
	char path[64];
	int fd;

	fd = ioctl(t->pidfd, PIDFD_GET_NET_NAMESPACE, 0);
	if (fd >= 0)
		return fd;
	if (errno != ENOTTY && errno != EINVAL && errno != EOPNOTSUPP)
		return lx_error_set(err, LX_ERR_NOTFOUND, errno,
				    "pid %d: network namespace", t->pid);
	/* Older kernels: go through /proc, then prove the pid was not
	 * recycled in between — the pidfd still refers to a live process. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lx_error_set(err, LX_ERR_NOTFOUND, errno, "pid %d: %s",
				    t->pid, path);
	if (lx_target_exited(t)) {
		close(fd);
		return lx_error_set(err, LX_ERR_NOTFOUND, ESRCH,
				    "pid %d exited while opening its namespace",
				    t->pid);
	}
	return fd;
}

int lx_target_open(struct lx_target *t, pid_t pid, const char *netns_path,
		   struct lx_error *err)
{
	struct stat self, st;

	*t = (struct lx_target){ .pid = pid, .pidfd = -1, .netns_fd = -1,
				 .host_netns_fd = -1 };
	t->host_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (t->host_netns_fd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "/proc/self/ns/net");
	if (pid > 0) {
		t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (t->pidfd < 0) {
			int e = errno;

			lx_target_close(t);
			return lx_error_set(err, LX_ERR_NOTFOUND, e, "pid %d",
					    pid);
		}
		t->netns_fd = open_pid_netns(t, err);
	} else if (netns_path) {
		t->netns_fd = open(netns_path, O_RDONLY | O_CLOEXEC);
		if (t->netns_fd < 0)
			t->netns_fd = lx_error_set(err, LX_ERR_NOTFOUND, errno,
						   "netns %s", netns_path);
	} else {
		t->netns_fd = lx_error_set(err, LX_ERR_USAGE, 0,
					   "a target is needed: --pid N or --netns PATH");
	}
	if (t->netns_fd < 0) {
		int r = t->netns_fd;

		t->netns_fd = -1;
		lx_target_close(t);
		return r;
	}
	if (fstat(t->netns_fd, &st) < 0 || fstat(t->host_netns_fd, &self) < 0) {
		int e = errno;

		lx_target_close(t);
		return lx_error_set(err, LX_ERR_SYSTEM, e, "fstat netns");
	}
	/* A --netns path must really be a network namespace. */
	if (netns_path && pid <= 0 && setns(t->netns_fd, CLONE_NEWNET) == 0) {
		/* setns succeeded: we are inside; go back home. */
		if (setns(t->host_netns_fd, CLONE_NEWNET) < 0) {
			int e = errno;

			lx_target_close(t);
			return lx_error_set(err, LX_ERR_SYSTEM, e,
					    "setns back to own netns");
		}
	} else if (netns_path && pid <= 0) {
		int e = errno;

		lx_target_close(t);
		return lx_error_set(err, LX_ERR_NOTFOUND, e,
				    "netns %s: not a network namespace",
				    netns_path);
	}
	t->netns_dev = st.st_dev;
	t->netns_ino = st.st_ino;
	t->is_host_netns = st.st_dev == self.st_dev && st.st_ino == self.st_ino;
	return 0;
}

int lx_target_enter(struct lx_target *t, struct lx_error *err)
{
	if (t->entered)
		return 0;
	if (setns(t->netns_fd, CLONE_NEWNET) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "setns into the target network namespace");
	if (lx_target_exited(t))
		return lx_error_set(err, LX_ERR_NOTFOUND, ESRCH,
				    "pid %d exited", t->pid);
	t->entered = true;
	return 0;
}

int lx_target_read_cookie(struct lx_target *t, int sockfd,
			  struct lx_error *err)
{
	socklen_t len = sizeof(t->netns_cookie);

	if (getsockopt(sockfd, SOL_SOCKET, SO_NETNS_COOKIE, &t->netns_cookie,
		       &len) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "SO_NETNS_COOKIE of the target netns");
	return 0;
}

void lx_target_close(struct lx_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->netns_fd >= 0)
		close(t->netns_fd);
	if (t->host_netns_fd >= 0)
		close(t->host_netns_fd);
	t->pidfd = t->netns_fd = t->host_netns_fd = -1;
}

void lx_target_default_id(const struct lx_target *t, char *buf, size_t len)
{
	if (t->pid > 0)
		snprintf(buf, len, "pid-%d", t->pid);
	else
		snprintf(buf, len, "netns-%lu", (unsigned long)t->netns_ino);
}
