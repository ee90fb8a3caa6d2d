/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the netlink decoders, fed bytes as if they were one recv()
 * buffer from a NETLINK_ROUTE socket. The buffer is split into messages the
 * way lx_nl_dump/lx_nl_talk split it (lx_nl_msg_ok, mnl_nlmsg_next) and every
 * message goes through every decoder: links, addresses, routes, NLMSG_ERROR
 * with its extended ack, RTM_NEWNSID. What decodes is collected as the dump
 * callbacks collect it (cloned routes skipped), named as lx_rtnl_observe
 * names it, formatted, sorted, diffed and freed.
 *
 * Invariants: an error decodes to 0 or a negative errno with a terminated
 * ext-ack text that fits; a decoded route/address/link re-encoded with the
 * lib's own encoder decodes to the same object.
 *
 * Seeds in corpus/fuzz_netlink: real kernel messages written by
 * capture_netlink.py (one message per file, stream-* are whole dump
 * buffers), plus the crashers found so far (crash-*).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "desired.h"
#include "link.h"
#include "nl.h"
#include "op.h"
#include "route.h"
#include "rtnl.h"

static void error_invariants(const struct nlmsghdr *nlh)
{
	static const size_t lens[] = {LX_NL_EXTACK_MAX, 8, 1};
	char ext[LX_NL_EXTACK_MAX], out[LX_NL_EXTACK_MAX + 128];
	int first = lx_nl_parse_error(nlh, NULL, 0);

	if (first > 0 || first <= -4096)
		abort();
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int e;

		memset(ext, 'x', sizeof(ext));
		e = lx_nl_parse_error(nlh, ext, lens[i]);
		/* The text never changes the error, only adds to it. */
		if (e != first || strnlen(ext, lens[i]) >= lens[i])
			abort();
		lx_nl_strerror(e, ext, out, sizeof(out));
	}
}

/* What the codec can carry: lx_route_msg_new sends the normalised
 * identity, the derived scope, no RTA_DST for a /0 and no RTA_OIF <= 0. */
static void route_round_trip(const struct lx_route *r)
{
	char buf[LX_NL_MSG_MAX];
	struct lx_route want, back;
	struct nlmsghdr *nlh;

	/* nexthops of its own: normalised here, not in r */
	if (lx_route_copy(&want, r) != 0)
		abort();
	lx_route_normalize(&want);
	want.scope = lx_route_scope(&want);
	if (want.dst_len == 0)
		memset(&want.dst, 0, sizeof(want.dst));
	nlh = lx_route_msg_new(buf, LX_NL_CREATE, &want, want.protocol,
			       want.oif, NULL);
	nlh->nlmsg_type = RTM_NEWROUTE;
	if (lx_route_from_msg(nlh, &back) != 0)
		abort();
	lx_route_normalize(&back);
	if (lx_route_cmp(&want, &back) != 0 ||
	    !lx_route_attrs_equal(&want, &back) ||
	    want.protocol != back.protocol || want.type != back.type ||
	    back.oif != (want.oif > 0 ? want.oif : 0) ||
	    want.table != back.table)
		abort();
	lx_route_fini(&want);
	lx_route_fini(&back);
}

static void addr_round_trip(const struct lx_addr *a)
{
	char buf[LX_NL_MSG_MAX];
	struct lx_addr back;
	struct nlmsghdr *nlh;

	nlh = lx_addr_msg_new(buf, LX_NL_CREATE, a, a->ifindex);
	nlh->nlmsg_type = RTM_NEWADDR;
	if (lx_addr_from_msg(nlh, &back) != 0)
		abort();
	memcpy(back.dev, a->dev, sizeof(back.dev));
	if (lx_addr_cmp(a, &back) != 0 || a->has_peer != back.has_peer ||
	    (a->has_peer &&
	     memcmp(&a->peer, &back.peer, lx_inaddr_len(a->family))) ||
	    a->scope != back.scope || a->nodad != back.nodad ||
	    a->ifindex != back.ifindex)
		abort();
}

static void link_round_trip(const struct lx_link *l)
{
	const struct lx_link_where w = {-1, 1, -1};
	char buf[LX_NL_MSG_MAX];
	struct lx_link back;
	struct nlmsghdr *nlh;

	/* An empty name is not sent: such a message names no link. */
	if (!l->name[0])
		return;
	nlh = lx_link_msg_set(buf, l->name, l->up, l->mtu, 0);
	nlh->nlmsg_type = RTM_NEWLINK;
	if (lx_link_from_msg(nlh, &back) != 0 ||
	    strcmp(l->name, back.name) != 0 || l->up != back.up ||
	    l->mtu != back.mtu)
		abort();
	if (!lx_link_kind_name(l->kind))
		return;
	nlh = lx_link_msg_create(buf, l, &w);
	nlh->nlmsg_type = RTM_NEWLINK;
	if (lx_link_from_msg(nlh, &back) != 0 || lx_link_cmp(l, &back) != 0 ||
	    l->kind != back.kind || l->mtu != back.mtu)
		abort();
}

static void decode_one(const struct nlmsghdr *nlh, struct lx_rtnl_state *s)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int32_t nsid = -1;

	if (nlh->nlmsg_type == NLMSG_ERROR)
		error_invariants(nlh);
	if (lx_rtnl_nsid_from_msg(nlh, &nsid) == 0 &&
	    nlh->nlmsg_type != RTM_NEWNSID)
		abort();
	if (lx_grow((void **)&s->links, s->n_links, sizeof(*s->links)) == 0 &&
	    lx_link_from_msg(nlh, &s->links[s->n_links]) == 0) {
		link_round_trip(&s->links[s->n_links]);
		s->n_links++;
	}
	if (lx_grow((void **)&s->addrs, s->n_addrs, sizeof(*s->addrs)) == 0 &&
	    lx_addr_from_msg(nlh, &s->addrs[s->n_addrs]) == 0) {
		addr_round_trip(&s->addrs[s->n_addrs]);
		s->n_addrs++;
	}
	/* route_dump_cb's filter: cloned (cache) routes are not state. */
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*rtm)) &&
	    (rtm->rtm_flags & RTM_F_CLONED))
		return;
	if (lx_grow((void **)&s->routes, s->n_routes, sizeof(*s->routes)) ==
		0 &&
	    lx_route_from_msg(nlh, &s->routes[s->n_routes]) == 0) {
		route_round_trip(&s->routes[s->n_routes]);
		s->n_routes++;
	}
}

/* Observed state through the pure parts of the reconciler. */
static void use_state(struct lx_rtnl_state *s)
{
	struct lx_desired d = {0};
	struct lx_owned owned = {0};
	struct lx_plan plan = {0};
	struct lx_error err;
	char buf[512];

	lx_rtnl_state_name_devs(s);
	for (size_t i = 0; i < s->n_links; i++)
		lx_link_format(&s->links[i], buf, sizeof(buf));
	for (size_t i = 0; i < s->n_addrs; i++)
		lx_addr_format(&s->addrs[i], buf, sizeof(buf));
	for (size_t i = 0; i < s->n_routes; i++)
		lx_route_format(&s->routes[i], true, buf, sizeof(buf));

	/* Nothing desired, everything observed owned: all of it is deleted
	 * (routes by protocol). */
	lx_options_init(&d.opts);
	owned.links = s->links;
	owned.n_links = s->n_links;
	owned.addrs = s->addrs;
	owned.n_addrs = s->n_addrs;
	lx_error_clear(&err);
	if (lx_rtnl_diff(&d, s, &owned, LX_DEFAULT_PROTOCOL, &plan, &err) ==
	    0) {
		for (size_t i = 0; i < plan.n; i++)
			lx_op_describe(&plan.ops[i], buf, sizeof(buf));
	}
	lx_plan_free(&plan);
	lx_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lx_rtnl_state s = {0};
	const struct nlmsghdr *nlh;
	uint32_t *buf;
	int len;

	if (size > 65536)
		return 0;
	/* A recv buffer is aligned; libFuzzer's data need not be. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	len = (int)size;
	for (nlh = (const struct nlmsghdr *)buf; lx_nl_msg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len))
		decode_one(nlh, &s);
	use_state(&s);
	lx_rtnl_state_free(&s);
	free(buf);
	return 0;
}
