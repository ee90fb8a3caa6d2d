/* SPDX-License-Identifier: MIT */
/*
 * What an observed namespace looks like as a desired document (`observe
 * --desired`): everything a document may own, nothing the kernel makes
 * itself, so that feeding it back with options.adopt converges with no op.
 */
#ifndef LX_RTNL_EXPORT_H
#define LX_RTNL_EXPORT_H

#include "model.h"
#include "rtnl.h"

/*
 * What the host namespace shows, to name the host side of the target's
 * links: its links (lx_link_dump, any order) and the id the target's
 * namespace gives it (IFLA_LINK_NETNSID's value for a link there; -1 when
 * it has none). A NULL view, or a link whose other half is elsewhere,
 * leaves the link an existing one.
 */
struct lx_rtnl_host {
	const struct lx_link *links;
	size_t n_links;
	int32_t nsid;
};

/*
 * Pure: an observed link as a document writes it, into *out. A veth whose
 * peer is in the host namespace becomes `veth peer P [master M]`
 * (peer-down, peer-mtu N when the peer differs from what a created one
 * gets), a macvlan/ipvlan on a host parent `macvlan parent P [mode M]`,
 * dummy and bridge keep their kind; any other link is an existing one.
 * Address only a unicast non-zero MAC; mtu (with full=false) only within
 * the grammar's range. full=false is what --desired exports: for what the
 * kernel makes itself, only the state a document may own (lo: up or down).
 * Returns false for a link the export leaves out (the kernel's fallback
 * tunnels: tunl0, sit0, ...), with *out filled all the same.
 */
bool lx_rtnl_link_as_desired(const struct lx_link *o,
			     const struct lx_rtnl_host *host, bool full,
			     struct lx_link *out);

/*
 * Pure: s -> d (d's arrays allocated, free with lx_desired_free). Kept:
 * links as lx_rtnl_link_as_desired(full=false) writes them; addresses
 * but IPv6 link-local ones and lo's 127.0.0.1/8 and ::1; routes but the
 * kernel's (proto kernel, ra, redirect), table local, broadcast, anycast,
 * multicast and those with a tos or an IPv6 source prefix (no word says
 * them); rules but the kernel's (its defaults) and actions the grammar
 * lacks (goto, nop); permanent neighbours and noarp ones of a protocol
 * (the kernel makes multicast noarp entries without one). options.adopt
 * is set. Returns 0 or -ENOMEM (d then empty).
 */
int lx_rtnl_state_to_desired(const struct lx_rtnl_state *s,
			     const struct lx_rtnl_host *host,
			     struct lx_desired *d);

#endif
