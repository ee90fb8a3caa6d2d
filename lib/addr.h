/* SPDX-License-Identifier: MIT */
/*
 * Addresses: identity (dev, family, address, prefixlen), codec to/from
 * RTM_*ADDR messages (pure over caller buffers of LX_NL_MSG_MAX bytes) and
 * the dump.
 */
#ifndef LX_ADDR_H
#define LX_ADDR_H

#include <endian.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "model.h"
#include "nl.h"

/* Identity order: dev, family, address bytes, prefixlen. */
int lx_addr_cmp(const struct lx_addr *a, const struct lx_addr *b);

/* Bytes of an address of this family (4 or 16; 0 if unknown). Inline:
 * every route compare and decode asks it. */
static inline size_t lx_inaddr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* Order of the first len (0, 4 or 16) bytes of a and b: memcmp's, in word
 * compares (the diff of 10,000 routes makes ~50,000). */
static inline int lx_inaddr_order(const union lx_inaddr *a,
				  const union lx_inaddr *b, size_t len)
{
	for (size_t off = 0; off < len; off += 8) {
		uint64_t x, y;

		if (len == 4) {
			uint32_t u, v;

			memcpy(&u, a->bytes, 4);
			memcpy(&v, b->bytes, 4);
			x = be32toh(u);
			y = be32toh(v);
		} else {
			memcpy(&x, a->bytes + off, 8);
			memcpy(&y, b->bytes + off, 8);
			x = be64toh(x);
			y = be64toh(y);
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/*
 * Decode RTM_NEWADDR: family, prefixlen, address (IFA_LOCAL, else
 * IFA_ADDRESS), peer (IFA_ADDRESS when it differs from IFA_LOCAL), scope,
 * flags (IFA_FLAGS), ifindex. dev is left empty: names are the caller's
 * (it knows the links). Returns 0 or -EBADMSG.
 */
int lx_addr_from_msg(const struct nlmsghdr *nlh, struct lx_addr *a);

/* RTM_NEWADDR with verb CREATE or UPDATE, on ifindex. */
struct nlmsghdr *lx_addr_msg_new(void *buf, enum lx_nl_verb verb,
				 const struct lx_addr *a, int ifindex);
struct nlmsghdr *lx_addr_msg_delete(void *buf, const struct lx_addr *a,
				    int ifindex);

/* Dump every address (dev names unset; see lx_addr_from_msg). */
int lx_addr_dump(struct lx_nl *nl, struct lx_addr **addrs, size_t *n,
		 struct lx_error *err) LX_WUR;

#endif
