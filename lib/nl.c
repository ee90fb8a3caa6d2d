/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "nl.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

#define LX_NL_RCVBUF (8 * 1024 * 1024)
/* The kernel builds dump skbs of at most ~32 KiB; twice that is safe. */
#define LX_NL_RECV_SIZE (64 * 1024)
/* recvmmsg of acks: the receive buffer in 16 slices of 4 KiB. */
#define LX_NL_ACK_SLOT_SIZE 4096
#define LX_NL_ACK_SLOTS	    (LX_NL_RECV_SIZE / LX_NL_ACK_SLOT_SIZE)

struct lx_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	char *rbuf; /* page-aligned: lx_nl_trim_buffers drops all of it */
	struct lx_nl *next_open, **prev_open; /* open_socks */
};

/* Every open socket, for lx_nl_trim_buffers (the program is
 * single-threaded). */
static struct lx_nl *open_socks;

int lx_nl_open(struct lx_nl **out, unsigned groups, struct lx_error *err)
{
	_cleanup_free_ struct lx_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, fd;

	*out = NULL;
	if (!nl)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "netlink");
	nl->rbuf = aligned_alloc(4096, LX_NL_RECV_SIZE);
	if (!nl->rbuf)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "netlink");
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk) {
		int e = errno;

		free(nl->rbuf);
		return lx_error_set(err, LX_ERR_SYSTEM, e,
				    "netlink: open NETLINK_ROUTE socket");
	}
	fd = mnl_socket_get_fd(nl->sk);
	if (lx_nl_set_rcvbuf(nl, LX_NL_RCVBUF) < 0) {
		/* The default buffer works too: overruns only come sooner,
		 * and they are seen (ENOBUFS). */
	}
	/* Optional features: older kernels answer ENOPROTOOPT, that is fine. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
			 sizeof(one));
	if (mnl_socket_bind(nl->sk, groups, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(nl->sk);
		free(nl->rbuf);
		return lx_error_set(err, LX_ERR_SYSTEM, e,
				    "netlink: bind groups 0x%x", groups);
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = 1;
	nl->next_open = open_socks;
	if (open_socks)
		open_socks->prev_open = &nl->next_open;
	nl->prev_open = &open_socks;
	open_socks = nl;
	*out = TAKE_PTR(nl);
	return 0;
}

void lx_nl_close(struct lx_nl *nl)
{
	if (!nl)
		return;
	if (nl->prev_open) {
		*nl->prev_open = nl->next_open;
		if (nl->next_open)
			nl->next_open->prev_open = nl->prev_open;
	}
	mnl_socket_close(nl->sk);
	free(nl->rbuf);
	free(nl);
}

void lx_nl_trim_buffers(void)
{
	for (struct lx_nl *nl = open_socks; nl; nl = nl->next_open)
		(void)madvise(nl->rbuf, LX_NL_RECV_SIZE, MADV_DONTNEED);
}

int lx_nl_fd(const struct lx_nl *nl)
{
	return mnl_socket_get_fd(nl->sk);
}

int lx_nl_set_rcvbuf(struct lx_nl *nl, int bytes)
{
	int fd = lx_nl_fd(nl);

	/* FORCE needs CAP_NET_ADMIN and ignores rmem_max; fall back. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) ==
	    0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		return -errno;
	return 0;
}

/* ------------------------------------------------------- verb table */

static const struct {
	uint16_t type[3]; /* new, del, get for link, addr, route */
} types[] = {
    [LX_NL_LINK] = {{RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK}},
    [LX_NL_ADDR] = {{RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR}},
    [LX_NL_ROUTE] = {{RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE}},
    [LX_NL_RULE] = {{RTM_NEWRULE, RTM_DELRULE, RTM_GETRULE}},
    [LX_NL_NEIGH] = {{RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH}},
};

static const struct {
	int type; /* 0 new, 1 del, 2 get */
	uint16_t flags;
} verbs[] = {
    [LX_NL_CREATE] = {0, NLM_F_CREATE | NLM_F_EXCL},
    [LX_NL_UPDATE] = {0, NLM_F_CREATE | NLM_F_REPLACE},
    [LX_NL_DELETE] = {1, 0},
    [LX_NL_SET] = {0, 0},
    [LX_NL_GET] = {2, 0},
    [LX_NL_DUMP] = {2, NLM_F_DUMP},
};

struct nlmsghdr *lx_nl_put_header(void *buf, enum lx_nl_obj obj,
				  enum lx_nl_verb verb)
{
	struct nlmsghdr *nlh;

	/* The whole room, not just the header: libmnl before 1.0.5 leaves an
	 * attribute's alignment padding as it found it, and those bytes go
	 * to the kernel (valgrind: "sendto(msg) points to uninitialised
	 * byte(s)" for IFLA_IFNAME "lo"). */
	memset(buf, 0, LX_NL_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = types[obj].type[verbs[verb].type];
	nlh->nlmsg_flags = NLM_F_REQUEST | verbs[verb].flags;
	return nlh;
}

struct nlmsghdr *lx_nl_put_header_only(void *buf, enum lx_nl_obj obj,
				       enum lx_nl_verb verb)
{
	struct nlmsghdr *nlh = buf;

	*nlh = (struct nlmsghdr){
	    .nlmsg_len = MNL_NLMSG_HDRLEN,
	    .nlmsg_type = types[obj].type[verbs[verb].type],
	    .nlmsg_flags = NLM_F_REQUEST | verbs[verb].flags,
	};
	return nlh;
}

/* ------------------------------------------------------- errors */

/* The kernel sends 0 or -errno, errno below MAX_ERRNO (4095). Anything
 * else is a garbled message: not an errno to negate or print. */
static int error_value(int e)
{
	if (e > 0 && e < 4096)
		return -e;
	if (e <= 0 && e > -4096)
		return e;
	return -EBADMSG;
}

int lx_nl_parse_error(const struct nlmsghdr *nlh, char *ext, size_t extlen)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t off;

	if (ext && extlen)
		ext[0] = '\0';
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !ext || !extlen)
		return error_value(e->error);
	/* The TLVs follow the echoed request: its header alone if capped. */
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	off = MNL_ALIGN(off);
	if (MNL_NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return error_value(e->error);
	for (a = (const struct nlattr *)((const char *)e + off);
	     mnl_attr_ok(a, (int)((const char *)nlh + nlh->nlmsg_len -
				  (const char *)a));
	     a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) != NLMSGERR_ATTR_MSG)
			continue;
		size_t n = mnl_attr_get_payload_len(a);
		const char *s = mnl_attr_get_payload(a);

		n = strnlen(s, n);
		if (n >= extlen)
			n = extlen - 1;
		memcpy(ext, s, n);
		ext[n] = '\0';
		/* The kernel's text may end with a newline: drop it. */
		while (n && (ext[n - 1] == '\n' || ext[n - 1] == ' '))
			ext[--n] = '\0';
	}
	return error_value(e->error);
}

const char *lx_nl_strerror(int error, const char *ext, char *buf, size_t len)
{
	char s[128];

	if (ext && ext[0])
		snprintf(buf, len, "%s: %s", lx_strerror(error, s, sizeof(s)),
			 ext);
	else
		snprintf(buf, len, "%s", lx_strerror(error, s, sizeof(s)));
	return buf;
}

/* ------------------------------------------------------- I/O helpers */

static ssize_t nl_recv(struct lx_nl *nl)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(nl->sk, nl->rbuf, LX_NL_RECV_SIZE);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int nl_send(struct lx_nl *nl, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(nl->sk, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/*
 * The kernel queues one datagram per reply, and recvmsg returns one
 * datagram: a chunk where many messages fail (EEXIST on every route) would
 * cost a receive call each. recvmmsg takes up to LX_NL_ACK_SLOTS at once
 * (blocking for the first only) into slices of the receive buffer. A reply,
 * even with ext-ack text, is far smaller than a slice (NETLINK_CAP_ACK: the
 * request is not echoed back).
 */
static int nl_recv_acks(struct lx_nl *nl, struct mmsghdr *mm, struct iovec *iov)
{
	int n;

	memset(mm, 0, LX_NL_ACK_SLOTS * sizeof(*mm));
	for (int k = 0; k < LX_NL_ACK_SLOTS; k++) {
		iov[k].iov_base = nl->rbuf + (size_t)k * LX_NL_ACK_SLOT_SIZE;
		iov[k].iov_len = LX_NL_ACK_SLOT_SIZE;
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
	}
	do
		n = recvmmsg(lx_nl_fd(nl), mm, LX_NL_ACK_SLOTS, MSG_WAITFORONE,
			     NULL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int lx_nl_talk(struct lx_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	       char *ext, size_t extlen)
{
	uint32_t seq = nl->seq++;
	int ret;

	if (ext && extlen)
		ext[0] = '\0';
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send(nl, nlh, nlh->nlmsg_len);
	if (ret < 0)
		return ret;
	for (;;) {
		ssize_t n = nl_recv(nl);
		const struct nlmsghdr *m;
		int len;

		if (n < 0)
			return (int)n;
		len = (int)n;
		for (m = (const struct nlmsghdr *)nl->rbuf;
		     lx_nl_msg_ok(m, len); m = lx_nl_msg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != nl->portid)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				int e = lx_nl_parse_error(m, ext, extlen);

				return e ? e : ret;
			}
			if (m->nlmsg_type == NLMSG_DONE)
				return ret;
			if (cb && ret == 0 && cb(m, data) < 0)
				ret = errno ? -errno : -EINVAL;
		}
	}
}

int lx_nl_dump(struct lx_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nl->seq++;
	bool intr = false;
	int ret = 0;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_DUMP;
	ret = nl_send(nl, nlh, nlh->nlmsg_len);
	if (ret < 0)
		return ret;
	for (;;) {
		ssize_t n = nl_recv(nl);
		const struct nlmsghdr *m;
		int len;

		if (n < 0)
			return (int)n;
		len = (int)n;
		for (m = (const struct nlmsghdr *)nl->rbuf;
		     lx_nl_msg_ok(m, len); m = lx_nl_msg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != nl->portid)
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (m->nlmsg_type == NLMSG_DONE) {
				if (ret == 0 && intr)
					ret = -EINTR;
				return ret;
			}
			if (m->nlmsg_type == NLMSG_ERROR) {
				int e = lx_nl_parse_error(m, NULL, 0);

				return e ? e : ret;
			}
			/* Keep reading to the end so the socket stays clean. */
			if (ret == 0 && cb(m, data) < 0)
				ret = errno ? -errno : -EINVAL;
		}
	}
}

/* ------------------------------------------------------- batches */

#define LX_NL_BATCH_MAX_MSGS (LX_NL_BATCH_LIMIT / NLMSG_HDRLEN + 2)

int lx_nl_batch_init(struct lx_nl_batch *b, struct lx_nl *nl, lx_nl_ack_cb cb,
		     void *data)
{
	*b = (struct lx_nl_batch){.nl = nl, .cb = cb, .data = data};
	b->buf = malloc(LX_NL_BATCH_LIMIT * 2);
	b->tags = malloc(LX_NL_BATCH_MAX_MSGS * sizeof(*b->tags));
	if (b->buf)
		b->b = mnl_nlmsg_batch_start(b->buf, LX_NL_BATCH_LIMIT);
	if (!b->buf || !b->tags || !b->b) {
		lx_nl_batch_fini(b);
		return -ENOMEM;
	}
	return 0;
}

void lx_nl_batch_fini(struct lx_nl_batch *b)
{
	if (b->b)
		mnl_nlmsg_batch_stop(b->b);
	free(b->buf);
	free(b->tags);
	b->b = NULL;
	b->buf = NULL;
	b->tags = NULL;
	b->n = 0;
}

void *lx_nl_batch_slot(struct lx_nl_batch *b)
{
	return mnl_nlmsg_batch_current(b->b);
}

size_t lx_nl_batch_pending(const struct lx_nl_batch *b)
{
	return b->n;
}

int lx_nl_batch_add(struct lx_nl_batch *b, size_t tag)
{
	struct nlmsghdr *nlh = mnl_nlmsg_batch_current(b->b);

	nlh->nlmsg_seq = b->nl->seq++;
	/* No NLM_F_ACK: flush asks it of the last message sent only. */
	if (b->n == 0)
		b->first_seq = nlh->nlmsg_seq;
	b->tags[b->n++] = tag;
	if (mnl_nlmsg_batch_next(b->b) && b->n < LX_NL_BATCH_MAX_MSGS - 1)
		return 0;
	return lx_nl_batch_flush(b);
}

/*
 * Acks: the kernel runs the messages of one sendmsg in order, before the
 * call returns, and queues a reply for a message that failed or asked for
 * NLM_F_ACK. Only the last message sent asks: its reply comes after the
 * error replies of all the others, and a message without one before it
 * succeeded. A batch of 1,000 routes costs the kernel one ack, not 1,000
 * (each an skb allocated, queued, copied out), and us one receive.
 */
struct batch_acks {
	struct lx_nl_batch *b;
	size_t sent, next; /* messages [0, next) reported to cb */
	int failed;
};

/* Reports every message before index i as applied, then i with e. */
static void batch_report_upto(struct batch_acks *a, size_t i, int e,
			      const char *ext)
{
	for (; a->next < i; a->next++)
		a->b->cb(a->b->data, a->b->tags[a->next], 0, "");
	a->b->cb(a->b->data, a->b->tags[i], e, ext);
	a->next = i + 1;
	if (e)
		a->failed++;
}

/* The replies in one datagram; stops at the final one. */
static void batch_take(struct batch_acks *a, const struct nlmsghdr *m, int len)
{
	struct lx_nl_batch *b = a->b;

	for (; a->next < a->sent && lx_nl_msg_ok(m, len);
	     m = lx_nl_msg_next(m, &len)) {
		char ext[LX_NL_EXTACK_MAX];
		size_t i;
		int e;

		if (m->nlmsg_type != NLMSG_ERROR ||
		    m->nlmsg_pid != b->nl->portid ||
		    m->nlmsg_seq < b->first_seq)
			continue;
		i = m->nlmsg_seq - b->first_seq;
		/* Older than the last reported (or not ours): a stale ack. */
		if (i >= a->sent || i < a->next)
			continue;
		e = lx_nl_parse_error(m, ext, sizeof(ext));
		/* A 0 before the last would be the ack of a message that did
		 * not ask for one: not the kernel; the last's says "done". */
		if (e == 0 && i != a->sent - 1)
			continue;
		batch_report_upto(a, i, e, ext);
	}
}

/* Number of whole messages in the batch's first len bytes. */
static size_t batch_count(const struct lx_nl_batch *b, size_t len,
			  struct nlmsghdr **last)
{
	char *head = mnl_nlmsg_batch_head(b->b);
	size_t off = 0, n = 0;

	*last = NULL;
	while (off < len) {
		*last = (struct nlmsghdr *)(head + off);
		off += (*last)->nlmsg_len;
		n++;
	}
	return n;
}

int lx_nl_batch_flush(struct lx_nl_batch *b)
{
	size_t len = mnl_nlmsg_batch_size(b->b), carried;
	struct batch_acks a = {.b = b};
	struct nlmsghdr *last;
	int ret;

	if (b->n == 0)
		return 0;
	/* After an overflow the last message is outside the batch's size. */
	a.sent = batch_count(b, len, &last);
	carried = b->n - a.sent;
	if (a.sent == 0)
		return 0;
	last->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send(b->nl, mnl_nlmsg_batch_head(b->b), len);
	while (ret == 0 && a.next < a.sent) {
		struct mmsghdr mm[LX_NL_ACK_SLOTS];
		struct iovec iov[LX_NL_ACK_SLOTS];
		int got = nl_recv_acks(b->nl, mm, iov);

		if (got < 0) {
			ret = got;
			break;
		}
		for (int k = 0; k < got && a.next < a.sent; k++) {
			if (mm[k].msg_hdr.msg_flags & MSG_TRUNC) {
				/* A reply lost in part: the fate of the
				 * messages from here on is unknown. */
				ret = -EMSGSIZE;
				break;
			}
			batch_take(&a, iov[k].iov_base, (int)mm[k].msg_len);
		}
	}
	/* The socket failed: what has no reply yet may or may not be done. */
	for (; ret < 0 && a.next < a.sent; a.next++)
		b->cb(b->data, b->tags[a.next], ret, "");
	/* Moves a carried message to the front of the buffer. */
	mnl_nlmsg_batch_reset(b->b);
	if (carried) {
		const struct nlmsghdr *c = mnl_nlmsg_batch_head(b->b);

		b->tags[0] = b->tags[b->n - 1];
		b->first_seq = c->nlmsg_seq;
		/* The carried message now counts towards the new batch. */
		b->n = 1;
	} else {
		b->n = 0;
	}
	return ret < 0 ? ret : a.failed;
}

/* ------------------------------------------------------- events */

int lx_nl_set_nonblock(struct lx_nl *nl)
{
	int fd = lx_nl_fd(nl), fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

uint32_t lx_nl_portid(const struct lx_nl *nl)
{
	return nl->portid;
}

int lx_nl_drain(struct lx_nl *nl)
{
	return lx_nl_drain_each(nl, NULL, NULL);
}

int lx_nl_drain_each(struct lx_nl *nl,
		     void (*fn)(const struct nlmsghdr *m, void *data),
		     void *data)
{
	bool overrun = false;
	int seen = 0;

	for (;;) {
		ssize_t n =
		    recv(lx_nl_fd(nl), nl->rbuf, LX_NL_RECV_SIZE, MSG_DONTWAIT);
		const struct nlmsghdr *m;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				overrun = true;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			break;
		len = (int)n;
		for (m = (const struct nlmsghdr *)nl->rbuf;
		     lx_nl_msg_ok(m, len); m = lx_nl_msg_next(m, &len)) {
			if (fn)
				fn(m, data);
			seen++;
		}
	}
	if (overrun)
		return -ENOBUFS;
	return seen;
}
