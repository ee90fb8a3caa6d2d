/* SPDX-License-Identifier: MIT */
/*
 * Addresses: identity (dev, family, address, prefixlen), codec to/from
 * RTM_*ADDR messages (pure over caller buffers of LX_NL_MSG_MAX bytes) and
 * the dump.
 */
#ifndef LX_ADDR_H
#define LX_ADDR_H

#include <linux/netlink.h>

#include "error.h"
#include "model.h"
#include "nl.h"

/* Identity order: dev, family, address bytes, prefixlen. */
int lx_addr_cmp(const struct lx_addr *a, const struct lx_addr *b);

/* Bytes of an address of this family (4 or 16; 0 if unknown). */
size_t lx_inaddr_len(int family);

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
