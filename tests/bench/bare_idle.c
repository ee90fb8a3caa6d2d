/* SPDX-License-Identifier: MIT */
/*
 * The footprint reference for an idle resident sidecar: the least a
 * libmnl+jansson program holds while it waits, in the network namespace
 * of PID, for what a resident waits for:
 *
 *   bare_idle PID DESIRED.json
 *
 * the desired document parsed with jansson and kept, a netlink socket
 * subscribed to link, address and route events, a pidfd on PID, a
 * periodic timerfd (60 s), all in one epoll loop. Events are read and
 * dropped; it exits when PID does. Linked the way linx-sidecar is
 * (shared libmnl and jansson).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct itimerspec it = {.it_interval.tv_sec = 60,
				.it_value.tv_sec = 60};
	struct epoll_event ev = {.events = EPOLLIN};
	static char buf[8192];
	struct mnl_socket *mon;
	json_t *desired;
	char path[64];
	int ns, pidfd, tfd, ep;

	if (argc != 3) {
		fprintf(stderr, "usage: bare_idle PID DESIRED.json\n");
		return 2;
	}
	desired = json_load_file(argv[2], 0, NULL);
	if (!desired) {
		fprintf(stderr, "%s: not JSON\n", argv[2]);
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%s/ns/net", argv[1]);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	pidfd = (int)syscall(SYS_pidfd_open, atoi(argv[1]), 0);
	if (ns < 0 || pidfd < 0 || setns(ns, CLONE_NEWNET) < 0) {
		perror(path);
		return 1;
	}
	close(ns);
	mon = mnl_socket_open(NETLINK_ROUTE);
	if (!mon || mnl_socket_bind(mon,
				    RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
					RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR |
					RTMGRP_IPV6_ROUTE,
				    MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	timerfd_settime(tfd, 0, &it, NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = mnl_socket_get_fd(mon);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = pidfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	for (;;) {
		struct epoll_event got;

		if (epoll_wait(ep, &got, 1, -1) <= 0)
			continue;
		if (got.data.fd == pidfd)
			break;
		if (read(got.data.fd, buf, sizeof(buf)) < 0)
			continue;
	}
	json_decref(desired);
	return 0;
}
