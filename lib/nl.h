/* SPDX-License-Identifier: MIT */
/*
 * Netlink core on libmnl: NETLINK_ROUTE sockets, batched requests whose acks
 * are mapped back by sequence number, dumps that restart on NLM_F_DUMP_INTR,
 * and the verb -> (message type, flags) table.
 *
 * A struct lx_nl is one socket in the network namespace that was current
 * when it was opened; it owns its receive buffer. Not thread-safe: one user
 * at a time. Sequence numbers start at 1 (kernel events carry 0).
 */
#ifndef LX_NL_H
#define LX_NL_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

/* Bytes of messages per sendmsg; the batch buffer is twice this. */
#define LX_NL_BATCH_LIMIT (64 * 1024)
/* Room a codec function may use when building one message. */
#define LX_NL_MSG_MAX 2048
/* Longest extended-ack text kept. */
#define LX_NL_EXTACK_MAX 256

struct lx_nl;

/*
 * Open a NETLINK_ROUTE socket in the current netns, bound to the multicast
 * groups bitmask `groups` (0 for a request socket): ~8 MiB receive buffer
 * (SO_RCVBUFFORCE, else SO_RCVBUF), NETLINK_EXT_ACK, NETLINK_CAP_ACK and
 * NETLINK_GET_STRICT_CHK where the kernel has them. NETLINK_NO_ENOBUFS is
 * never set: an overrun must be seen (ENOBUFS means "resync now").
 */
int lx_nl_open(struct lx_nl **out, unsigned groups,
	       struct lx_error *err) LX_WUR;
/* NULL-safe. */
void lx_nl_close(struct lx_nl *nl);
int lx_nl_fd(const struct lx_nl *nl);

/* Give the pages of every open socket's receive buffer back (an idle
 * process's scratch: they come back zeroed on the next receive). */
void lx_nl_trim_buffers(void);

/*
 * Set the receive buffer to bytes (the kernel doubles it for bookkeeping and
 * enforces a small minimum): SO_RCVBUFFORCE, else SO_RCVBUF (capped by
 * net.core.rmem_max). For tuning and tests; lx_nl_open() already sets a
 * large one. 0 or the negative errno of SO_RCVBUF.
 */
int lx_nl_set_rcvbuf(struct lx_nl *nl, int bytes) LX_WUR;

static inline void lx_nl_closep(struct lx_nl **nl)
{
	lx_nl_close(*nl);
}
#define _cleanup_nl_ _cleanup_(lx_nl_closep)

/* ------------------------------------------------------- verb table */

enum lx_nl_obj { LX_NL_LINK, LX_NL_ADDR, LX_NL_ROUTE, LX_NL_RULE, LX_NL_NEIGH };

enum lx_nl_verb {
	LX_NL_CREATE, /* NEW, NLM_F_CREATE | NLM_F_EXCL */
	LX_NL_UPDATE, /* NEW, NLM_F_CREATE | NLM_F_REPLACE */
	LX_NL_DELETE, /* DEL */
	LX_NL_SET,    /* NEW, no flags: change an existing object (links) */
	LX_NL_GET,    /* GET */
	LX_NL_DUMP,   /* GET, NLM_F_DUMP */
};

/*
 * Put a request header for (obj, verb) at buf, which has LX_NL_MSG_MAX bytes
 * of room, all zeroed here (seq 0: the I/O layer numbers it). NLM_F_REQUEST
 * is set; NLM_F_ACK is added when sent.
 */
struct nlmsghdr *lx_nl_put_header(void *buf, enum lx_nl_obj obj,
				  enum lx_nl_verb verb);

/*
 * The same, zeroing the header only: for a codec that writes its
 * attributes with lx_nl_attr_put*(), which zero their own alignment
 * padding. The hot path of a 10,000-route batch: lx_nl_put_header()'s
 * 2 KiB memset per message was a third of building one.
 */
struct nlmsghdr *lx_nl_put_header_only(void *buf, enum lx_nl_obj obj,
				       enum lx_nl_verb verb);

/*
 * Append attribute (type, len bytes of data) at the end of nlh, its
 * alignment padding zeroed (libmnl 1.0.4's mnl_attr_put leaves it as it
 * was). The caller guarantees the room, as with libmnl.
 */
static inline void lx_nl_attr_put(struct nlmsghdr *nlh, uint16_t type,
				  size_t len, const void *data)
{
	struct nlattr *a =
	    (struct nlattr *)((char *)nlh + MNL_ALIGN(nlh->nlmsg_len));
	char *p = (char *)a + MNL_ATTR_HDRLEN;
	size_t alen = MNL_ATTR_HDRLEN + len;

	a->nla_type = type;
	a->nla_len = (uint16_t)alen;
	/* The padding: the last aligned word zeroed before the data lands
	 * on it. Addresses (4, 16 bytes) copied in fixed sizes: no calls
	 * into libc per attribute. */
	if (alen & 3)
		memset((char *)a + MNL_ALIGN(alen) - 4, 0, 4);
	if (len == 4)
		memcpy(p, data, 4);
	else if (len == 16)
		memcpy(p, data, 16);
	else
		memcpy(p, data, len);
	nlh->nlmsg_len = MNL_ALIGN(nlh->nlmsg_len) + (uint32_t)MNL_ALIGN(alen);
}

/* Room for a family header of size bytes after nlh's, zeroed (libmnl's
 * mnl_nlmsg_put_extra_header, inline). */
static inline void *lx_nl_put_extra(struct nlmsghdr *nlh, size_t size)
{
	char *p = (char *)nlh + nlh->nlmsg_len;

	memset(p, 0, MNL_ALIGN(size));
	nlh->nlmsg_len += (uint32_t)MNL_ALIGN(size);
	return p;
}

static inline void lx_nl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type,
				      uint32_t v)
{
	lx_nl_attr_put(nlh, type, sizeof(v), &v);
}

static inline void lx_nl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type,
				     uint8_t v)
{
	lx_nl_attr_put(nlh, type, sizeof(v), &v);
}

/*
 * Inline attribute reading for the decoders of dumps (libmnl's are calls
 * through the PLT, with a callback per attribute: half of decoding a
 * dumped route). The same rules as libmnl's walk: an attribute is read
 * while its header and its nla_len fit what is left of the message
 * (MNL_ALIGN(nlmsg_len), which lx_nl_msg_ok() checked against the
 * buffer); the rest of the message is ignored.
 */
static inline bool lx_nl_attr_ok(const struct nlattr *a, const char *end)
{
	ptrdiff_t left = end - (const char *)a;

	return left >= (ptrdiff_t)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       (ptrdiff_t)a->nla_len <= left;
}

#define lx_nl_attr_for_each(a, nlh, hdrlen, end)                               \
	for ((end) = (const char *)(nlh) + MNL_ALIGN((nlh)->nlmsg_len),        \
	    (a) = (const struct nlattr *)((const char *)(nlh) +                \
					  MNL_NLMSG_HDRLEN +                   \
					  MNL_ALIGN(hdrlen));                  \
	     lx_nl_attr_ok((a), (end));                                        \
	     (a) = (const struct nlattr *)((const char *)(a) +                 \
					   MNL_ALIGN((a)->nla_len)))

static inline uint16_t lx_nl_attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t lx_nl_attr_len(const struct nlattr *a)
{
	return a->nla_len - MNL_ATTR_HDRLEN;
}

static inline const void *lx_nl_attr_data(const struct nlattr *a)
{
	return (const char *)a + MNL_ATTR_HDRLEN;
}

/* The first 4 (1) bytes of the payload; the caller checked the length. */
static inline uint32_t lx_nl_attr_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, lx_nl_attr_data(a), sizeof(v));
	return v;
}

static inline uint8_t lx_nl_attr_u8(const struct nlattr *a)
{
	return *(const uint8_t *)lx_nl_attr_data(a);
}

/*
 * Decode an NLMSG_ERROR message: returns the negative errno (0 = ack) and
 * copies the extended-ack text (NLMSGERR_ATTR_MSG) into ext ("" if none).
 * Pure: usable on canned messages.
 */
int lx_nl_parse_error(const struct nlmsghdr *nlh, char *ext, size_t extlen);

/*
 * Is a whole message at nlh, within the len bytes left of a receive buffer?
 * Use it instead of mnl_nlmsg_ok(), which compares (int)nlmsg_len with len
 * (libmnl 1.0.4): a length past INT_MAX turns negative, passes, and the
 * message then runs far past the buffer. The padded length must fit too:
 * libmnl's attribute walkers read up to MNL_ALIGN(nlmsg_len). The kernel
 * always pads (its skbs grow by NLMSG_ALIGN), so no real message fails
 * that. Pure.
 */
static inline bool lx_nl_msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len &&
	       MNL_ALIGN(nlh->nlmsg_len) <= (unsigned int)len;
}

/* The message after nlh; *len becomes what is left after it (the same
 * as libmnl's mnl_nlmsg_next, inline: once per message of a dump). */
static inline const struct nlmsghdr *lx_nl_msg_next(const struct nlmsghdr *nlh,
						    int *len)
{
	*len -= (int)MNL_ALIGN(nlh->nlmsg_len);
	return (const struct nlmsghdr *)((const char *)nlh +
					 MNL_ALIGN(nlh->nlmsg_len));
}

/* ------------------------------------------------------- one request */

/*
 * Send one request (numbered, NLM_F_ACK added) and wait for its ack.
 * Replies (e.g. to a GET) are passed to cb when non-NULL. Returns 0 or the
 * negative errno from the kernel; ext receives its ext-ack text.
 */
int lx_nl_talk(struct lx_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	       char *ext, size_t extlen) LX_WUR;

/*
 * Dump: send the request (NLM_F_DUMP set by the caller's header) and pass
 * every reply to cb until NLMSG_DONE. Returns 0, -EINTR when the kernel
 * flagged the dump inconsistent (NLM_F_DUMP_INTR: the caller discards what
 * it collected and dumps again), or another negative errno.
 */
int lx_nl_dump(struct lx_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data) LX_WUR;

/* ------------------------------------------------------- batches */

/*
 * Called once per sent message with the caller's tag, 0 or a negative
 * errno, and the kernel's ext-ack text ("" if none).
 */
typedef void (*lx_nl_ack_cb)(void *data, size_t tag, int error,
			     const char *ext);

/*
 * Many requests per sendmsg, each with its own seq. Build a message at
 * lx_nl_batch_slot() (LX_NL_MSG_MAX bytes of room), then lx_nl_batch_add()
 * it with a tag. When the batch passes LX_NL_BATCH_LIMIT, add() sends what
 * fits and collects the replies (the message that did not fit is carried
 * to the next chunk). Only the last message of a chunk carries NLM_F_ACK:
 * the kernel answers a failed message anyway, in order, so a message with
 * no error before the last one's ack succeeded (one ack per chunk, not one
 * per message). cb still hears of every message, in seq order.
 */
struct lx_nl_batch {
	struct lx_nl *nl;
	struct mnl_nlmsg_batch *b;
	char *buf;
	size_t *tags;
	size_t n; /* messages in the buffer, including a carried one */
	uint32_t first_seq;
	lx_nl_ack_cb cb;
	void *data;
};

int lx_nl_batch_init(struct lx_nl_batch *b, struct lx_nl *nl, lx_nl_ack_cb cb,
		     void *data) LX_WUR;
/* Drops unsent messages. NULL-safe members. */
void lx_nl_batch_fini(struct lx_nl_batch *b);
void *lx_nl_batch_slot(struct lx_nl_batch *b);
/*
 * Commit the message built at the slot. Returns 0 when nothing was sent,
 * else what lx_nl_batch_flush() returned for the chunk sent.
 */
int lx_nl_batch_add(struct lx_nl_batch *b, size_t tag) LX_WUR;
/*
 * Send what is buffered (except a carried message after an overflow: that
 * one goes with the next chunk) and wait for the chunk's replies. Returns
 * the number of messages the kernel refused (>= 0), or a negative errno
 * when the socket failed (every message not yet known to be done is then
 * reported to cb with that error).
 */
int lx_nl_batch_flush(struct lx_nl_batch *b) LX_WUR;
/* Messages waiting to be sent. */
size_t lx_nl_batch_pending(const struct lx_nl_batch *b);

/* ------------------------------------------------------- events */

/* Set O_NONBLOCK on the socket. */
int lx_nl_set_nonblock(struct lx_nl *nl) LX_WUR;
/*
 * Read every pending datagram without blocking: >0 messages seen, 0 none,
 * -ENOBUFS the kernel dropped events (after reading the rest), other
 * negative errno: the socket is broken.
 */
int lx_nl_drain(struct lx_nl *nl);
/* The same, calling fn (may be NULL) on every message read. */
int lx_nl_drain_each(struct lx_nl *nl,
		     void (*fn)(const struct nlmsghdr *m, void *data),
		     void *data);
/* The socket's netlink port id (what the kernel puts in nlmsg_pid of the
 * notifications of changes this socket asked for). */
uint32_t lx_nl_portid(const struct lx_nl *nl);

/* "<strerror> (ENAME)" followed by ": <ext>" when ext is not empty. */
const char *lx_nl_strerror(int error, const char *ext, char *buf, size_t len);

#endif
