/* SPDX-License-Identifier: MIT */
/*
 * The same-work reference for the 10,000-route figures: the least a
 * program on libmnl has to do to install, or dump, N /32 routes.
 *
 *   bare_routes NETNS add N GW   install 10.A.B.C/32 via GW proto 76 for
 *                                the first N addresses, the same routes
 *                                routes.sh gives linx-sidecar, in 64 KiB
 *                                batches with an ACK asked for and checked
 *                                per message (acks read 16 per recvmmsg,
 *                                as linx-sidecar does: the reference must
 *                                not be slower than what we ship)
 *   bare_routes NETNS dump N     dump the main table and count the proto 76
 *                                routes (exit 1 unless N)
 *
 * No state, no report, no parsing: what is left is the kernel's work and
 * the process's start. Exit 0 on success.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#define BATCH (64 * 1024)
#define SLOTS 16
#define SLOT  4096

static char rbuf[SLOTS * SLOT];

static struct mnl_socket *open_in(const char *netns)
{
	struct mnl_socket *nl;
	int fd = open(netns, O_RDONLY | O_CLOEXEC), one = 1, rcv = 8 << 20;

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		perror(netns);
		exit(1);
	}
	close(fd);
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		exit(1);
	}
	/* a batch's ~1,500 acks must fit in the receive queue (linx-sidecar
	 * asks for the same 8 MiB) */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		   sizeof(rcv));
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	return nl;
}

/* Reads acks until `want` have arrived; any error ack fails the run. */
static void read_acks(struct mnl_socket *nl, unsigned want)
{
	struct mmsghdr mm[SLOTS];
	struct iovec iov[SLOTS];

	while (want) {
		int n;

		memset(mm, 0, sizeof(mm));
		for (int k = 0; k < SLOTS; k++) {
			iov[k].iov_base = rbuf + k * SLOT;
			iov[k].iov_len = SLOT;
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(mnl_socket_get_fd(nl), mm, SLOTS, MSG_WAITFORONE,
			     NULL);
		if (n < 0) {
			perror("recvmmsg");
			exit(1);
		}
		for (int k = 0; k < n; k++) {
			const struct nlmsghdr *h = iov[k].iov_base;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type != NLMSG_ERROR || e->error) {
				fprintf(stderr, "route add: %s\n",
					strerror(-e->error));
				exit(1);
			}
			want--;
		}
	}
}

/* Sends the messages in buf[0, len) and waits for their acks. */
static void flush(struct mnl_socket *nl, const char *buf, size_t len,
		  unsigned msgs)
{
	if (len && mnl_socket_sendto(nl, buf, len) < 0) {
		perror("sendto");
		exit(1);
	}
	read_acks(nl, msgs);
}

static int add(struct mnl_socket *nl, unsigned n, const char *gws)
{
	static char buf[BATCH];
	struct in_addr gw;
	unsigned seq = 1, pending = 0;
	size_t off = 0;

	if (inet_pton(AF_INET, gws, &gw) != 1)
		return 2;
	for (unsigned i = 0; i < n; i++) {
		struct nlmsghdr *h = mnl_nlmsg_put_header(buf + off);
		struct rtmsg *rtm;
		uint32_t dst = htonl(10u << 24 | (1 + i / 65536) << 16 |
				     ((i / 256) % 256) << 8 | (i % 256));

		h->nlmsg_type = RTM_NEWROUTE;
		h->nlmsg_flags =
		    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
		h->nlmsg_seq = seq++;
		rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
		rtm->rtm_family = AF_INET;
		rtm->rtm_dst_len = 32;
		rtm->rtm_table = RT_TABLE_MAIN;
		rtm->rtm_protocol = 76;
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
		rtm->rtm_type = RTN_UNICAST;
		mnl_attr_put_u32(h, RTA_DST, dst);
		mnl_attr_put(h, RTA_GATEWAY, 4, &gw);
		off += h->nlmsg_len;
		pending++;
		/* a message is 44 bytes: keep 128 of room for the next */
		if (off + 128 > sizeof(buf)) {
			flush(nl, buf, off, pending);
			off = 0;
			pending = 0;
		}
	}
	flush(nl, buf, off, pending);
	return 0;
}

static int count_cb(const struct nlmsghdr *h, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(h);

	if (rtm->rtm_protocol == 76)
		++*(unsigned *)data;
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *nl, unsigned n)
{
	static char buf[64 * 1024];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	unsigned got = 0, portid = mnl_socket_get_portid(nl);
	int r;

	h->nlmsg_type = RTM_GETROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	h->nlmsg_seq = 1;
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
		return 1;
	do {
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (len < 0)
			return 1;
		r = mnl_cb_run(buf, (size_t)len, 1, portid, count_cb, &got);
	} while (r > 0);
	if (r < 0 || got != n) {
		fprintf(stderr, "dump: %u proto 76 routes, expected %u\n", got,
			n);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mnl_socket *nl;

	if (argc < 4 || (strcmp(argv[2], "add") == 0 && argc < 5)) {
		fprintf(stderr,
			"usage: bare_routes NETNS add N GW | NETNS dump N\n");
		return 2;
	}
	nl = open_in(argv[1]);
	if (strcmp(argv[2], "add") == 0)
		return add(nl, (unsigned)atoi(argv[3]), argv[4]);
	return dump(nl, (unsigned)atoi(argv[3]));
}
