/* SPDX-License-Identifier: MIT */
/*
 * Links: identity (the name), codec to/from RTM_*LINK messages (pure, over
 * caller buffers of at least LX_NL_MSG_MAX bytes) and I/O (dump, lookup).
 */
#ifndef LX_LINK_H
#define LX_LINK_H

#include <linux/netlink.h>

#include "error.h"
#include "model.h"
#include "nl.h"

/* Identity: links are named. strcmp order. */
int lx_link_cmp(const struct lx_link *a, const struct lx_link *b);

/* "veth", "macvlan", ...; NULL for EXISTING/OTHER. */

/*
 * Mode number for macvlan ("private", "vepa", "bridge", "passthru",
 * "source") or ipvlan ("l2", "l3", "l3s"); "" = kernel default (returns 0,
 * *out untouched). -EINVAL for an unknown mode.
 */
int lx_link_mode_value(enum lx_link_kind kind, const char *mode, uint32_t *out);

/* Decode RTM_NEWLINK into *l (observed fields: name, kind, up, mtu,
 * ifindex, oper_up). Returns 0 or -EBADMSG. */
int lx_link_from_msg(const struct nlmsghdr *nlh, struct lx_link *l);

/*
 * Where a new link's other half lives:
 *   veth: peer_netns_fd >= 0 puts the peer in that namespace;
 *   macvlan/ipvlan: parent_ifindex is the lower device, looked up in the
 *   namespace with id link_netnsid (as seen by the receiving socket's
 *   namespace; -1 = the socket's own namespace).
 */
struct lx_link_where {
	int peer_netns_fd;
	uint32_t parent_ifindex;
	int link_netnsid;
};

/* RTM_NEWLINK CREATE|EXCL for l->kind (never with IFF_UP: see rtnl.c). */
struct nlmsghdr *lx_link_msg_create(void *buf, const struct lx_link *l,
				    const struct lx_link_where *w);
/*
 * Change an existing link found by name: up (LX_UNSET = leave), mtu (0 =
 * leave), master ifindex (0 = leave). Missing link: the kernel says ENODEV.
 */
struct nlmsghdr *lx_link_msg_set(void *buf, const char *name, int up,
				 uint32_t mtu, uint32_t master);
struct nlmsghdr *lx_link_msg_delete(void *buf, const char *name);
struct nlmsghdr *lx_link_msg_get(void *buf, const char *name);

/* Dump every link of nl's namespace into a new array (caller frees). */
int lx_link_dump(struct lx_nl *nl, struct lx_link **links, size_t *n,
		 struct lx_error *err) LX_WUR;

/* ifindex of a link by name (> 0), or a negative errno (-ENODEV). */
int lx_link_ifindex(struct lx_nl *nl, const char *name) LX_WUR;

#endif
