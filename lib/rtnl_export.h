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
 * Pure: s -> d (d's arrays allocated, free with lx_desired_free). Kept:
 * links as existing links (up, mtu within the grammar's range); addresses
 * but IPv6 link-local ones and lo's 127.0.0.1/8 and ::1; routes but the
 * kernel's (proto kernel, ra, redirect), table local, broadcast, anycast,
 * multicast and those with a tos or an IPv6 source prefix (no word says
 * them); rules but the kernel's (its defaults) and actions the grammar
 * lacks (goto, nop); permanent neighbours and noarp ones of a protocol
 * (the kernel makes multicast noarp entries without one). options.adopt
 * is set. Returns 0 or -ENOMEM (d then empty).
 */
int lx_rtnl_state_to_desired(const struct lx_rtnl_state *s,
			     struct lx_desired *d);

#endif
