/* SPDX-License-Identifier: MIT */
/*
 * Heal-latency benchmark. Enters the network namespace of PID, then N times:
 * deletes the route DST (a /32 owned by whoever heals it), and measures the
 * time until an RTM_NEWROUTE for DST is seen again. With --baseline, a bare
 * libmnl healer (fork: monitor + re-add at once) does the healing instead of
 * linx-sidecar, giving the floor this kernel allows.
 *
 *   heal PID DST GW N [--baseline]
 * prints "p50_us p99_us max_us".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct in_addr dst, gw;
static unsigned int seq = 1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void route_msg(struct mnl_socket *nl, int type, int flags)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq++;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = 76;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, 4, &dst);
	if (type == RTM_NEWROUTE)
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
	mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
}

/* Is this an RTM_NEWROUTE (or DEL) for dst? */
static int match(const struct nlmsghdr *nlh, int type)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != type || rtm->rtm_family != AF_INET ||
	    rtm->rtm_dst_len != 32)
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
		if (mnl_attr_get_type(a) == RTA_DST &&
		    memcmp(mnl_attr_get_payload(a), &dst, 4) == 0)
			return 1;
	return 0;
}

static int wait_for(struct mnl_socket *mon, int type, int timeout_ms)
{
	char buf[65536];
	struct pollfd p = { .fd = mnl_socket_get_fd(mon), .events = POLLIN };

	for (;;) {
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t n = mnl_socket_recvfrom(mon, buf, sizeof(buf));
		if (n <= 0)
			continue;
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(nlh, (int)n); nlh = mnl_nlmsg_next(nlh, (int *)&n))
			if (match(nlh, type))
				return 0;
	}
}

static void baseline_healer(void)
{
	struct mnl_socket *mon = mnl_socket_open(NETLINK_ROUTE);
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);

	mnl_socket_bind(mon, RTMGRP_IPV4_ROUTE, MNL_SOCKET_AUTOPID);
	mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
	route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	for (;;) {
		if (wait_for(mon, RTM_DELROUTE, -1) == 0)
			route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	}
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char path[64];
	struct mnl_socket *mon, *nl;
	pid_t healer = 0;
	uint64_t *lat;
	int n, fd, got = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: heal PID DST GW N [--baseline]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/ns/net", argv[1]);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		perror(path);
		return 1;
	}
	inet_pton(AF_INET, argv[2], &dst);
	inet_pton(AF_INET, argv[3], &gw);
	n = atoi(argv[4]);
	lat = calloc((size_t)n, sizeof(*lat));
	if (argc > 5 && strcmp(argv[5], "--baseline") == 0) {
		healer = fork();
		if (healer == 0)
			baseline_healer();
		usleep(100000);
	}
	mon = mnl_socket_open(NETLINK_ROUTE);
	nl = mnl_socket_open(NETLINK_ROUTE);
	mnl_socket_bind(mon, RTMGRP_IPV4_ROUTE, MNL_SOCKET_AUTOPID);
	mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
	for (int i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		route_msg(nl, RTM_DELROUTE, 0);
		/* our own delete shows up first; then the heal */
		if (wait_for(mon, RTM_NEWROUTE, 5000) < 0) {
			fprintf(stderr, "route %s not healed within 5 s\n",
				argv[2]);
			break;
		}
		lat[got++] = (now_ns() - t0) / 1000;
		usleep(2000); /* let the healer's own follow-up pass settle */
	}
	if (healer)
		kill(healer, SIGKILL);
	if (!got)
		return 1;
	qsort(lat, (size_t)got, sizeof(*lat), cmp);
	printf("%llu %llu %llu\n", (unsigned long long)lat[got / 2],
	       (unsigned long long)lat[(got * 99) / 100 < got ? (got * 99) / 100 : got - 1],
	       (unsigned long long)lat[got - 1]);
	return got == n ? 0 : 1;
}
