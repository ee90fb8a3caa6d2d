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
 * MAC, txqlen, ifindex, oper_up). Returns 0 or -EBADMSG. */
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
 * leave), master ifindex (0 = leave), MAC (NULL = leave), queue length
 * (when has_txqlen). Missing link: the kernel says ENODEV.
 */
struct lx_link_change {
	int up;
	uint32_t mtu, master;
	const uint8_t *mac;
	bool has_txqlen;
	uint32_t txqlen;
};
struct nlmsghdr *lx_link_msg_change(void *buf, const char *name,
				    const struct lx_link_change *c);
struct nlmsghdr *lx_link_msg_set(void *buf, const char *name, int up,
				 uint32_t mtu, uint32_t master);
struct nlmsghdr *lx_link_msg_delete(void *buf, const char *name);
struct nlmsghdr *lx_link_msg_get(void *buf, const char *name);

/* Dump every link of nl's namespace into a new array (caller frees). */
int lx_link_dump(struct lx_nl *nl, struct lx_link **links, size_t *n,
		 struct lx_error *err) LX_WUR;

/* ifindex of a link by name (> 0), or a negative errno (-ENODEV). */
int lx_link_ifindex(struct lx_nl *nl, const char *name) LX_WUR;

/* The link named name, observed (0), or a negative errno (-ENODEV). */
int lx_link_get(struct lx_nl *nl, const char *name,
		struct lx_link *out) LX_WUR;

#define LX_PEER_PREFIX_DEFAULT "lx"
#define LX_PEER_PREFIX_MAX     8 /* leaves at least 7 hex digits */

/*
 * The host end's name when the document gives none (SPEC.md "Policy"):
 * prefix (NULL or "" = "lx") followed by hex digits of a hash of the
 * sidecar's id and the link's name, 15 bytes in all. Deterministic.
 */
void lx_link_peer_name(const char *id, const char *link, const char *prefix,
		       char out[IFNAMSIZ]);

#endif
