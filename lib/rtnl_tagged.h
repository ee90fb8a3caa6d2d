/* SPDX-License-Identifier: MIT */
/*
 * Internal to the rtnl subsystem: the pure diffs of the objects the kernel
 * tags with our protocol (routes: rtm_protocol, rules: FRA_PROTOCOL,
 * neighbours: NDA_PROTOCOL). Two-way: desired against what carries our
 * protocol; what carries another protocol is never deleted, and a desired
 * object with its identity is a failed op naming that protocol unless
 * d->opts.adopt (then it is replaced with ours).
 *
 * Ops go to two plans (deletes, creates/updates); failed ops are added
 * with state LX_OPS_FAILED and their error set.
 */
#ifndef LX_RTNL_TAGGED_H
#define LX_RTNL_TAGGED_H

#include "model.h"
#include "op.h"
#include "rtnl.h"

int lx_rtnl_diff_routes(const struct lx_desired *d,
			const struct lx_rtnl_state *obs, uint8_t protocol,
			struct lx_plan *del, struct lx_plan *put);
int lx_rtnl_diff_rules(const struct lx_desired *d,
		       const struct lx_rtnl_state *obs, uint8_t protocol,
		       struct lx_plan *del, struct lx_plan *put);
int lx_rtnl_diff_neighs(const struct lx_desired *d,
			const struct lx_rtnl_state *obs, uint8_t protocol,
			struct lx_plan *del, struct lx_plan *put);

#endif
