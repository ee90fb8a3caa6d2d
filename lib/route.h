/* SPDX-License-Identifier: MIT */
/*
 * Routes: identity (family, table, dst/len, metric, with the kernel's
 * defaults applied), codec to/from RTM_*ROUTE messages (pure over caller
 * buffers of LX_NL_MSG_MAX bytes) and the dump.
 */
#ifndef LX_ROUTE_H
#define LX_ROUTE_H

#include <linux/netlink.h>

#include "error.h"
#include "model.h"
#include "nl.h"

/*
 * The kernel's defaults: table 0 means main (254); an IPv6 metric of 0
 * becomes 1024 (IP6_RT_PRIO_USER). Type 0 means unicast.
 */
uint32_t lx_route_table(const struct lx_route *r);
uint32_t lx_route_metric(const struct lx_route *r);
/* Apply those defaults in place. */
void lx_route_normalize(struct lx_route *r);

/* Identity order: family, table, dst_len, dst, metric (normalised). */
int lx_route_cmp(const struct lx_route *a, const struct lx_route *b);

/*
 * The scope sent for r: its own when set, else (IPv4) link for a route
 * without gateway and universe with one. IPv6 routes are always universe.
 */
uint8_t lx_route_scope(const struct lx_route *r);

/*
 * Same identity: do the other attributes (gateway, dev when `a` names
 * one, src, scope for IPv4, mtu) agree? `a` is the desired route.
 */
bool lx_route_attrs_equal(const struct lx_route *desired,
			  const struct lx_route *observed);

/*
 * Decode RTM_NEWROUTE: everything in struct lx_route but dev (oif set).
 * Returns 0, -EBADMSG, or -EAFNOSUPPORT for families other than v4/v6.
 */
int lx_route_from_msg(const struct nlmsghdr *nlh, struct lx_route *r);

/*
 * RTM_NEWROUTE (verb CREATE or UPDATE) / RTM_DELROUTE for r with
 * rtm_protocol = protocol; oif 0 leaves the device to the kernel.
 */
struct nlmsghdr *lx_route_msg_new(void *buf, enum lx_nl_verb verb,
				  const struct lx_route *r, uint8_t protocol,
				  int oif);
struct nlmsghdr *lx_route_msg_delete(void *buf, const struct lx_route *r,
				     uint8_t protocol);

/* Dump every route of every table (cloned routes skipped). */
int lx_route_dump(struct lx_nl *nl, struct lx_route **routes, size_t *n,
		  struct lx_error *err) LX_WUR;

#endif
