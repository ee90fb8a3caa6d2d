/* SPDX-License-Identifier: MIT */
/*
 * Static neighbours (ARP / NDP entries): identity, codec to/from
 * RTM_*NEIGH messages (pure over caller buffers of LX_NL_MSG_MAX bytes)
 * and the dump. Ours by NDA_PROTOCOL.
 */
#ifndef LX_NEIGH_H
#define LX_NEIGH_H

#include <linux/netlink.h>

#include "error.h"
#include "model.h"
#include "nl.h"

/* Identity: family, dev, address. */
int lx_neigh_cmp(const struct lx_neigh *a, const struct lx_neigh *b);

/* Same identity: do lladdr and state (permanent / noarp) agree? */
bool lx_neigh_attrs_equal(const struct lx_neigh *desired,
			  const struct lx_neigh *observed);

/* Learned by the kernel (not permanent or noarp, no protocol): replaced by
 * ours without counting as another owner's. */
bool lx_neigh_is_dynamic(const struct lx_neigh *n);

/* Decode RTM_NEWNEIGH (dev unset, ifindex set). 0, -EBADMSG, or
 * -EAFNOSUPPORT for families other than v4/v6. */
int lx_neigh_from_msg(const struct nlmsghdr *nlh, struct lx_neigh *n);

/* RTM_NEWNEIGH (verb CREATE or UPDATE) / RTM_DELNEIGH on ifindex. */
struct nlmsghdr *lx_neigh_msg(void *buf, enum lx_nl_verb verb,
			      const struct lx_neigh *n, int ifindex,
			      uint8_t protocol);

/* Dump the ARP and NDP tables. */
int lx_neigh_dump(struct lx_nl *nl, struct lx_neigh **neighs, size_t *n,
		  struct lx_error *err) LX_WUR;

/* "reachable", "permanent", ... for the observed state (NULL if none). */
const char *lx_nud_name(uint16_t state);

#endif
