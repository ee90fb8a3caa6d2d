/* SPDX-License-Identifier: MIT */
/*
 * Routes: identity (the kernel's key, with its defaults applied), the
 * comparison of everything else, codec to/from RTM_*ROUTE messages (pure
 * over caller buffers of LX_NL_MSG_MAX bytes) and the dump.
 */
#ifndef LX_ROUTE_H
#define LX_ROUTE_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "addr.h"
#include "error.h"
#include "model.h"
#include "nl.h"

/*
 * The kernel's defaults: table 0 means main (254); an IPv6 metric of 0
 * becomes 1024 (IP6_RT_PRIO_USER). Type 0 means unicast.
 */
/* IP6_RT_PRIO_USER: what the kernel gives an IPv6 route without metric. */
#define LX_IP6_DEFAULT_METRIC 1024

static inline uint32_t lx_route_table(const struct lx_route *r)
{
	return r->table ? r->table : RT_TABLE_MAIN;
}

static inline uint32_t lx_route_metric(const struct lx_route *r)
{
	if (r->family == AF_INET6 && r->metric == 0)
		return LX_IP6_DEFAULT_METRIC;
	return r->metric;
}
/*
 * Apply those defaults in place, and the kernel's own canonical forms: a
 * metric the kernel clamps is clamped (mtu 65520, advmss 65495), nexthops
 * sorted (the kernel may report them in another order), quickack 0 is
 * unset (the kernel does not report a zero metric).
 */
void lx_route_normalize(struct lx_route *r);

/*
 * Identity, the kernel's key: family, table, dst/len, then IPv4 tos and
 * priority, IPv6 source prefix and metric (normalised). Two routes with
 * the same identity cannot both exist.
 */
static inline __attribute__((always_inline)) int
lx_route_cmp(const struct lx_route *a, const struct lx_route *b)
{
	uint32_t x, y;
	int r;

	/* Inline: sorting, checking the order of and merging 10,000 routes
	 * makes ~40,000 compares a pass. */
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	x = lx_route_table(a), y = lx_route_table(b);
	if (x != y)
		return x < y ? -1 : 1;
	if (a->dst_len != b->dst_len)
		return a->dst_len < b->dst_len ? -1 : 1;
	r = lx_inaddr_order(&a->dst, &b->dst, lx_inaddr_len(a->family));
	if (r)
		return r;
	if (a->family == AF_INET) {
		if (a->tos != b->tos)
			return a->tos < b->tos ? -1 : 1;
	} else {
		if (a->from_len != b->from_len)
			return a->from_len < b->from_len ? -1 : 1;
		r = lx_inaddr_order(&a->from, &b->from, sizeof(a->from.v6));
		if (r)
			return r;
	}
	x = lx_route_metric(a), y = lx_route_metric(b);
	if (x != y)
		return x < y ? -1 : 1;
	return 0;
}

/*
 * The scope sent for r: its own when set, else (IPv4) host for local,
 * link for a unicast route without gateway, universe otherwise (ip(8)'s
 * rule). IPv6 routes are always universe.
 */
uint8_t lx_route_scope(const struct lx_route *r);

/*
 * Same identity: do the other attributes (type, gateway, dev when the
 * desired route names one, onlink, src, scope for IPv4, pref for IPv6,
 * metrics, nexthops) agree? `desired` is normalised or not; observed is
 * what the codec decoded.
 */
bool lx_route_attrs_equal(const struct lx_route *desired,
			  const struct lx_route *observed);

/* The same value member for member, nexthops by content (not where they
 * are): what memcmp of two routes was when nexthops were inline. Both
 * made from zeroed memory (the parsers and the codec do). */
bool lx_route_same(const struct lx_route *a, const struct lx_route *b);

/* Is r's gateway (or each nexthop's) to be resolved by the kernel through
 * another route? (Not when onlink, not for a link-local IPv6 gateway.) */
bool lx_route_gw_needs_route(const struct lx_route *r,
			     const struct lx_nexthop *nh);

/* Does route p (its dst/len) cover address a of family fam? */
bool lx_route_covers(const struct lx_route *p, uint8_t fam,
		     const union lx_inaddr *a);

/*
 * Decode RTM_NEWROUTE: everything in struct lx_route but dev names (oif
 * set, per nexthop too). Returns 0 (r's nexthops, if any, allocated:
 * lx_route_fini), -EBADMSG, -ENOMEM, or -EAFNOSUPPORT for families
 * other than v4/v6 (nothing allocated on failure).
 */
int lx_route_from_msg(const struct nlmsghdr *nlh, struct lx_route *r);

/*
 * RTM_NEWROUTE (verb CREATE or UPDATE) / RTM_DELROUTE for r with
 * rtm_protocol = protocol; oif 0 leaves the device to the kernel. For a
 * multipath route, nh_oif[i] is nexthop i's device (0 = none).
 */
struct nlmsghdr *lx_route_msg_new(void *buf, enum lx_nl_verb verb,
				  const struct lx_route *r, uint8_t protocol,
				  int oif, const int *nh_oif);
struct nlmsghdr *lx_route_msg_delete(void *buf, const struct lx_route *r,
				     uint8_t protocol);

/* Dump every route of every table, local (255) included (cloned routes
 * skipped). */
int lx_route_dump(struct lx_nl *nl, struct lx_route **routes, size_t *n,
		  struct lx_error *err) LX_WUR;
/* The same, with room for `expect` routes from the start (0: grown from
 * a few). */
int lx_route_dump_sized(struct lx_nl *nl, size_t expect,
			struct lx_route **routes, size_t *n,
			struct lx_error *err) LX_WUR;

/* Names of route types and tables as ip(8) prints them ("blackhole",
 * "local"); NULL for a value without one. */
const char *lx_route_type_name(uint8_t type);
const char *lx_route_table_name(uint32_t table);

#endif
