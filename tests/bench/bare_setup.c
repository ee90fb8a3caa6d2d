/* SPDX-License-Identifier: MIT */
/*
 * The same-work reference for the hook: the container network setup that
 * hook_vs_cni.sh gives linx-sidecar and CNI, done by the least a libmnl
 * program can do, into the network namespace of PID:
 *
 *   bare_setup PID HOSTIF
 *
 * a veth eth0 (mtu 1500) whose peer HOSTIF is in our own (host) namespace,
 * lo, eth0 and HOSTIF up, 10.97.0.2/24 on eth0, default and 10.96.0.0/16
 * via 10.97.0.1, net.ipv4.conf.eth0.rp_filter=2 and
 * net.ipv6.conf.eth0.accept_ra=0. Every request asks for and checks its
 * ack; the requests after the veth go in one batch. No observation, no
 * state, no report, no resident process. Exit 0 on success.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[16384];
static unsigned seq = 1;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int one = 1;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink");
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	return nl;
}

static struct nlmsghdr *put(char *at, int type, int flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(at);

	h->nlmsg_type = (uint16_t)type;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	h->nlmsg_seq = seq++;
	return h;
}

/* Sends buf[0, len) holding `msgs` requests, checks each ack. */
static void talk(struct mnl_socket *nl, size_t len, int msgs, const char *what)
{
	char r[4096];

	if (mnl_socket_sendto(nl, buf, len) < 0)
		die(what);
	while (msgs--) {
		ssize_t n = mnl_socket_recvfrom(nl, r, sizeof(r));
		const struct nlmsgerr *e;

		if (n < 0)
			die(what);
		e = mnl_nlmsg_get_payload((struct nlmsghdr *)r);
		if (e->error) {
			fprintf(stderr, "%s: %s\n", what, strerror(-e->error));
			exit(1);
		}
	}
}

static struct nlmsghdr *link_up(char *at, const char *name)
{
	struct nlmsghdr *h = put(at, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));

	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return h;
}

static struct nlmsghdr *route(char *at, const char *dst, int len, uint32_t gw)
{
	struct nlmsghdr *h = put(at, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	struct in_addr a;

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (len) {
		inet_pton(AF_INET, dst, &a);
		mnl_attr_put(h, RTA_DST, 4, &a);
	}
	mnl_attr_put_u32(h, RTA_GATEWAY, gw);
	return h;
}

static void sysctl(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v))
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	struct mnl_socket *host, *nl;
	struct nlmsghdr *h;
	struct nlattr *li, *data, *peer;
	struct ifaddrmsg *ifa;
	struct in_addr a, gw;
	char path[64];
	int hostns, ns, off;
	unsigned eth0;

	if (argc != 3) {
		fprintf(stderr, "usage: bare_setup PID HOSTIF\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/ns/net", argv[1]);
	hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (hostns < 0 || ns < 0)
		die(path);
	host = nl_open();
	if (setns(ns, CLONE_NEWNET) < 0)
		die("setns");
	nl = nl_open();

	/* the veth pair, its peer created in the host namespace */
	h = put(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	mnl_nlmsg_put_extra_header(h, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(h, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(h, IFLA_MTU, 1500);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
	h->nlmsg_len += sizeof(struct ifinfomsg);
	mnl_attr_put_strz(h, IFLA_IFNAME, argv[2]);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)hostns);
	mnl_attr_nest_end(h, peer);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, li);
	talk(nl, h->nlmsg_len, 1, "veth");
	eth0 = if_nametoindex("eth0");
	if (!eth0)
		die("eth0");

	/* then one batch: lo and eth0 up, the address, the routes */
	inet_pton(AF_INET, "10.97.0.1", &gw);
	off = 0;
	off += (int)link_up(buf + off, "lo")->nlmsg_len;
	off += (int)link_up(buf + off, "eth0")->nlmsg_len;
	h = put(buf + off, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = eth0;
	inet_pton(AF_INET, "10.97.0.2", &a);
	mnl_attr_put(h, IFA_LOCAL, 4, &a);
	mnl_attr_put(h, IFA_ADDRESS, 4, &a);
	off += (int)h->nlmsg_len;
	off += (int)route(buf + off, NULL, 0, gw.s_addr)->nlmsg_len;
	off += (int)route(buf + off, "10.96.0.0", 16, gw.s_addr)->nlmsg_len;
	talk(nl, (size_t)off, 5, "eth0");

	/* the host peer up, through the host namespace's socket */
	h = link_up(buf, argv[2]);
	talk(host, h->nlmsg_len, 1, argv[2]);

	/* /proc/sys/net resolves to the namespace we are in */
	sysctl("/proc/sys/net/ipv4/conf/eth0/rp_filter", "2");
	sysctl("/proc/sys/net/ipv6/conf/eth0/accept_ra", "0");
	return 0;
}
