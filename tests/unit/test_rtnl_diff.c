/* SPDX-License-Identifier: MIT */
/* The rtnl diff as a pure function: no kernel. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "route.h"
#include "addr.h"
#include "link.h"
#include "rtnl.h"

#define PROTO 76

static struct lx_route mkroute(const char *dst, int len, const char *gw)
{
	struct lx_route r = {.scope = LX_UNSET};

	r.family = strchr(dst, ':') ? AF_INET6 : AF_INET;
	r.dst_len = (uint8_t)len;
	cr_assert(inet_pton(r.family, dst, &r.dst) == 1);
	if (gw) {
		r.has_gw = true;
		cr_assert(inet_pton(r.family, gw, &r.gw) == 1);
	}
	return r;
}

/* What the kernel would report for a route we installed. */
static struct lx_route observed(struct lx_route r, uint8_t proto,
				const char *dev)
{
	lx_route_normalize(&r);
	r.protocol = proto;
	r.scope = lx_route_scope(&r);
	snprintf(r.dev, sizeof(r.dev), "%s", dev);
	return r;
}

static struct lx_addr mkaddr(const char *dev, const char *ip, int len)
{
	struct lx_addr a = {.scope = LX_UNSET};

	snprintf(a.dev, sizeof(a.dev), "%s", dev);
	a.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	a.prefixlen = (uint8_t)len;
	cr_assert(inet_pton(a.family, ip, &a.addr) == 1);
	return a;
}

static struct lx_link mklink(const char *name, enum lx_link_kind kind, int up,
			     uint32_t mtu)
{
	struct lx_link l = {
	    .kind = kind, .up = up, .mtu = mtu, .peer_up = LX_UNSET};

	snprintf(l.name, sizeof(l.name), "%s", name);
	return l;
}

struct fixture {
	struct lx_desired d;
	struct lx_rtnl_state obs;
	struct lx_owned owned;
	struct lx_plan plan;
};

static void diff(struct fixture *f)
{
	struct lx_error err;

	lx_error_clear(&err);
	cr_assert_eq(
	    lx_rtnl_diff(&f->d, &f->obs, &f->owned, PROTO, &f->plan, &err), 0,
	    "%s", err.msg);
}

static size_t count(const struct lx_plan *p, enum lx_op_verb v, enum lx_obj o)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += p->ops[i].verb == v && p->ops[i].obj == o;
	return n;
}

Test(route_diff, foreign_protocol_is_never_deleted)
{
	struct lx_route obs[] = {
	    observed(mkroute("10.9.0.0", 16, "10.0.0.1"), RTPROT_STATIC,
		     "eth0"),
	    observed(mkroute("10.8.0.0", 16, "10.0.0.1"), RTPROT_BOOT, "eth0"),
	};
	struct fixture f = {.obs = {.routes = obs, .n_routes = 2}};

	diff(&f);
	cr_assert_eq(f.plan.n, 0);
	lx_plan_free(&f.plan);
}

Test(route_diff, kernel_route_is_never_touched)
{
	struct lx_route obs[] = {
	    observed(mkroute("10.0.0.0", 24, NULL), RTPROT_KERNEL, "eth0"),
	    observed(mkroute("10.0.0.2", 32, NULL), RTPROT_KERNEL, "eth0"),
	};
	struct fixture f = {.obs = {.routes = obs, .n_routes = 2}};

	obs[1].table = RT_TABLE_LOCAL;
	obs[1].type = RTN_LOCAL;
	diff(&f);
	cr_assert_eq(f.plan.n, 0);
	lx_plan_free(&f.plan);
}

/* Issue 10 item 15: a route of ours in table local used to be invisible
 * to the diff, re-created (EEXIST) on every pass and never removed. */
Test(route_diff, our_route_in_table_local_is_ours)
{
	struct lx_route obs[] = {
	    observed(mkroute("10.0.0.9", 32, NULL), PROTO, "eth0"),
	};
	struct lx_route want = mkroute("10.0.0.9", 32, NULL);
	struct fixture f = {.obs = {.routes = obs, .n_routes = 1}};

	obs[0].table = RT_TABLE_LOCAL;
	obs[0].type = RTN_LOCAL;
	obs[0].scope = RT_SCOPE_HOST;
	diff(&f);
	cr_assert_eq(f.plan.n, 1, "not desired: deleted");
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_DELETE);
	lx_plan_free(&f.plan);

	snprintf(want.dev, sizeof(want.dev), "eth0");
	want.table = RT_TABLE_LOCAL;
	want.type = RTN_LOCAL;
	f.d.routes = &want;
	f.d.n_routes = 1;
	diff(&f);
	cr_assert_eq(f.plan.n, 0, "desired and there: nothing to do");
	lx_plan_free(&f.plan);
}

Test(route_diff, our_route_no_longer_desired_is_deleted)
{
	struct lx_route obs[] = {
	    observed(mkroute("10.1.0.0", 16, "10.0.0.254"), PROTO, "eth0"),
	};
	struct fixture f = {.obs = {.routes = obs, .n_routes = 1}};

	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_DELETE);
	cr_assert_eq(f.plan.ops[0].obj, LX_OBJ_ROUTE);
	lx_plan_free(&f.plan);
}

Test(route_diff, changed_gateway_is_an_update)
{
	struct lx_route want = mkroute("10.1.0.0", 16, "10.0.0.253");
	struct lx_route obs[] = {
	    observed(mkroute("10.1.0.0", 16, "10.0.0.254"), PROTO, "eth0"),
	};
	struct fixture f = {.d = {.routes = &want, .n_routes = 1},
			    .obs = {.routes = obs, .n_routes = 1}};
	char gw[INET_ADDRSTRLEN];

	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_UPDATE);
	inet_ntop(AF_INET, &f.plan.ops[0].u.route.gw, gw, sizeof(gw));
	cr_assert_str_eq(gw, "10.0.0.253");
	cr_assert_eq(f.plan.ops[0].u.route.protocol, PROTO);
	lx_plan_free(&f.plan);
}

Test(route_diff, changed_mtu_src_or_scope_is_an_update)
{
	struct lx_route want[3] = {
	    mkroute("10.1.0.0", 16, "10.0.0.254"),
	    mkroute("10.2.0.0", 16, "10.0.0.254"),
	    mkroute("10.3.0.0", 16, NULL),
	};
	struct lx_route obs[3];
	struct fixture f = {.d = {.routes = want, .n_routes = 3},
			    .obs = {.routes = obs, .n_routes = 3}};

	for (int i = 0; i < 3; i++)
		obs[i] = observed(want[i], PROTO, "eth0");
	want[0].mtu = 1400;
	want[1].has_src = true;
	inet_pton(AF_INET, "10.0.0.2", &want[1].src);
	want[2].scope = RT_SCOPE_HOST;
	diff(&f);
	cr_assert_eq(f.plan.n, 3);
	cr_assert_eq(count(&f.plan, LX_OP_UPDATE, LX_OBJ_ROUTE), 3);
	lx_plan_free(&f.plan);
}

Test(route_diff, matching_route_gives_no_op)
{
	struct lx_route want[] = {
	    mkroute("0.0.0.0", 0, "10.0.0.1"),
	    mkroute("10.1.0.0", 16, "10.0.0.254"),
	    mkroute("fd01::", 64, "fd00::1"),
	};
	struct lx_route obs[3];
	struct fixture f = {.d = {.routes = want, .n_routes = 3},
			    .obs = {.routes = obs, .n_routes = 3}};

	want[1].metric = 100;
	want[1].table = 100;
	for (int i = 0; i < 3; i++)
		obs[i] = observed(want[i], PROTO, "eth0");
	diff(&f);
	cr_assert_eq(f.plan.n, 0);
	lx_plan_free(&f.plan);
}

Test(route_diff, route_without_dev_does_not_compare_dev)
{
	struct lx_route want = mkroute("10.1.0.0", 16, "10.0.0.254");
	struct lx_route obs = observed(want, PROTO, "eth7");
	struct fixture f = {.d = {.routes = &want, .n_routes = 1},
			    .obs = {.routes = &obs, .n_routes = 1}};

	diff(&f);
	cr_assert_eq(f.plan.n, 0);
	/* Naming a dev makes it part of the comparison. */
	snprintf(want.dev, sizeof(want.dev), "eth0");
	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_UPDATE);
	lx_plan_free(&f.plan);
}

Test(route_diff, ipv6_metric_zero_is_1024_and_table_zero_is_main)
{
	struct lx_route want = mkroute("fd01::", 64, "fd00::1");
	struct lx_route obs = mkroute("fd01::", 64, "fd00::1");
	struct fixture f = {.d = {.routes = &want, .n_routes = 1},
			    .obs = {.routes = &obs, .n_routes = 1}};

	obs.metric = 1024;
	obs.table = RT_TABLE_MAIN;
	obs.protocol = PROTO;
	obs.type = RTN_UNICAST;
	obs.scope = RT_SCOPE_UNIVERSE;
	cr_assert_eq(lx_route_cmp(&want, &obs), 0);
	diff(&f);
	cr_assert_eq(f.plan.n, 0);
	/* IPv4 metric 0 stays 0. */
	want = mkroute("10.1.0.0", 16, NULL);
	obs = want;
	obs.metric = 1024;
	cr_assert_neq(lx_route_cmp(&want, &obs), 0);
	lx_plan_free(&f.plan);
}

Test(route_diff, identity_includes_table_and_metric)
{
	struct lx_route a = mkroute("10.1.0.0", 16, NULL), b = a;

	b.table = 100;
	cr_assert_neq(lx_route_cmp(&a, &b), 0);
	b = a;
	b.metric = 5;
	cr_assert_neq(lx_route_cmp(&a, &b), 0);
	b = a;
	b.table = RT_TABLE_MAIN;
	cr_assert_eq(lx_route_cmp(&a, &b), 0);
	/* The gateway is an attribute, not identity. */
	b.has_gw = true;
	cr_assert_eq(lx_route_cmp(&a, &b), 0);
}

Test(route_diff, duplicate_desired_routes_give_one_op)
{
	struct lx_route want[] = {mkroute("10.1.0.0", 16, "10.0.0.1"),
				  mkroute("10.1.0.0", 16, "10.0.0.2")};
	struct fixture f = {.d = {.routes = want, .n_routes = 2}};
	char gw[INET_ADDRSTRLEN];

	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	inet_ntop(AF_INET, &f.plan.ops[0].u.route.gw, gw, sizeof(gw));
	cr_assert_str_eq(gw, "10.0.0.1", "the first one wins");
	lx_plan_free(&f.plan);
}

Test(addr_diff, owned_address_no_longer_desired_is_deleted)
{
	struct lx_addr obs[] = {mkaddr("eth0", "10.0.0.2", 24),
				mkaddr("eth0", "10.0.0.3", 24)};
	struct lx_addr own[] = {mkaddr("eth0", "10.0.0.3", 24)};
	struct lx_addr want[] = {mkaddr("eth0", "10.0.0.2", 24)};
	struct fixture f = {
	    .d = {.addrs = want, .n_addrs = 1},
	    .obs = {.addrs = obs, .n_addrs = 2},
	    .owned = {.addrs = own, .n_addrs = 1},
	};
	char ip[INET_ADDRSTRLEN];

	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_DELETE);
	cr_assert_eq(f.plan.ops[0].obj, LX_OBJ_ADDRESS);
	inet_ntop(AF_INET, &f.plan.ops[0].u.addr.addr, ip, sizeof(ip));
	cr_assert_str_eq(ip, "10.0.0.3");
	lx_plan_free(&f.plan);
}

Test(addr_diff, foreign_address_is_kept)
{
	struct lx_addr obs[] = {mkaddr("eth0", "10.0.0.9", 24),
				mkaddr("eth0", "fe80::1", 64)};
	struct fixture f = {.obs = {.addrs = obs, .n_addrs = 2}};

	diff(&f);
	cr_assert_eq(f.plan.n, 0);
	lx_plan_free(&f.plan);
}

Test(addr_diff, missing_desired_address_is_created)
{
	struct lx_addr want[] = {mkaddr("eth0", "fd00::2", 64),
				 mkaddr("eth0", "10.0.0.2", 24)};
	struct lx_addr obs[] = {mkaddr("eth0", "10.0.0.2", 24)};
	struct fixture f = {.d = {.addrs = want, .n_addrs = 2},
			    .obs = {.addrs = obs, .n_addrs = 1}};

	want[0].nodad = true;
	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_CREATE);
	cr_assert_eq(f.plan.ops[0].u.addr.family, AF_INET6);
	cr_assert(f.plan.ops[0].u.addr.nodad);
	lx_plan_free(&f.plan);
}

Test(addr_diff, owned_but_vanished_address_gives_no_delete)
{
	struct lx_addr own[] = {mkaddr("eth0", "10.0.0.3", 24)};
	struct fixture f = {.owned = {.addrs = own, .n_addrs = 1}};

	diff(&f);
	cr_assert_eq(f.plan.n, 0);
	lx_plan_free(&f.plan);
}

Test(link_diff, existing_link_up_and_mtu_are_updated)
{
	struct lx_link want[] = {
	    mklink("lo", LX_LINK_EXISTING, 1, 0),
	    mklink("eth0", LX_LINK_EXISTING, LX_UNSET, 1400)};
	struct lx_link obs[] = {mklink("lo", LX_LINK_EXISTING, 0, 65536),
				mklink("eth0", LX_LINK_VETH, 1, 1500)};
	struct fixture f = {.d = {.links = want, .n_links = 2},
			    .obs = {.links = obs, .n_links = 2}};

	diff(&f);
	cr_assert_eq(f.plan.n, 2);
	cr_assert_eq(count(&f.plan, LX_OP_UPDATE, LX_OBJ_LINK), 2);
	cr_assert_str_eq(f.plan.ops[0].u.link.name, "lo");
	lx_plan_free(&f.plan);
	/* Already right: nothing to do. */
	obs[0].up = 1;
	obs[1].mtu = 1400;
	diff(&f);
	cr_assert_eq(f.plan.n, 0);
}

Test(link_diff, missing_existing_link_is_an_update_never_a_create)
{
	struct lx_link want = mklink("eth9", LX_LINK_EXISTING, 1, 0);
	struct fixture f = {.d = {.links = &want, .n_links = 1}};

	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_UPDATE);
	lx_plan_free(&f.plan);
}

Test(link_diff, foreign_link_is_never_deleted_owned_one_is)
{
	struct lx_link obs[] = {mklink("eth0", LX_LINK_VETH, 1, 1500),
				mklink("eth1", LX_LINK_VETH, 1, 1500)};
	struct lx_link own[] = {mklink("eth1", LX_LINK_VETH, 1, 0)};
	struct fixture f = {.obs = {.links = obs, .n_links = 2},
			    .owned = {.links = own, .n_links = 1}};

	diff(&f);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_DELETE);
	cr_assert_str_eq(f.plan.ops[0].u.link.name, "eth1");
	lx_plan_free(&f.plan);
}

Test(rtnl_diff, ops_are_ordered_deletes_then_creates_by_layer)
{
	struct lx_link want_l[] = {mklink("eth0", LX_LINK_VETH, 1, 0)};
	struct lx_addr want_a[] = {mkaddr("eth0", "10.0.0.2", 24)};
	struct lx_route want_r[] = {mkroute("0.0.0.0", 0, "10.0.0.1"),
				    mkroute("10.5.0.0", 16, NULL)};
	struct lx_link obs_l[] = {mklink("old0", LX_LINK_VETH, 1, 0)};
	struct lx_addr obs_a[] = {mkaddr("old0", "10.9.0.2", 24)};
	struct lx_route obs_r[] = {
	    observed(mkroute("10.9.1.0", 24, "10.9.0.1"), PROTO, "old0"),
	};
	struct fixture f = {
	    .d = {.links = want_l,
		  .n_links = 1,
		  .addrs = want_a,
		  .n_addrs = 1,
		  .routes = want_r,
		  .n_routes = 2},
	    .obs = {.links = obs_l,
		    .n_links = 1,
		    .addrs = obs_a,
		    .n_addrs = 1,
		    .routes = obs_r,
		    .n_routes = 1},
	    .owned = {.links = obs_l,
		      .n_links = 1,
		      .addrs = obs_a,
		      .n_addrs = 1},
	};
	const struct {
		enum lx_op_verb v;
		enum lx_obj o;
	} want[] = {
	    {LX_OP_DELETE, LX_OBJ_ROUTE},   {LX_OP_DELETE, LX_OBJ_ADDRESS},
	    {LX_OP_DELETE, LX_OBJ_LINK},    {LX_OP_CREATE, LX_OBJ_LINK},
	    {LX_OP_CREATE, LX_OBJ_ADDRESS}, {LX_OP_CREATE, LX_OBJ_ROUTE},
	    {LX_OP_CREATE, LX_OBJ_ROUTE},
	};

	diff(&f);
	cr_assert_eq(f.plan.n, LX_ARRAY_SIZE(want));
	for (size_t i = 0; i < f.plan.n; i++) {
		cr_assert_eq(f.plan.ops[i].verb, want[i].v, "op %zu", i);
		cr_assert_eq(f.plan.ops[i].obj, want[i].o, "op %zu", i);
	}
	/* The on-link route before the one through a gateway. */
	cr_assert_not(f.plan.ops[5].u.route.has_gw);
	cr_assert(f.plan.ops[6].u.route.has_gw);
	lx_plan_free(&f.plan);
}

Test(route_diff, ten_thousand_routes_diff_in_sorted_merge)
{
	size_t n = 10000;
	struct lx_route *want = calloc(n, sizeof(*want));
	struct lx_route *obs = calloc(n, sizeof(*obs));
	struct fixture f = {.d = {.routes = want, .n_routes = n},
			    .obs = {.routes = obs, .n_routes = n}};

	for (size_t i = 0; i < n; i++) {
		want[i] = mkroute("10.0.0.0", 32, "10.255.0.1");
		want[i].dst.v4.s_addr = htonl(0x0a000000u + (uint32_t)i);
		/* observed in reverse order, one missing, one extra */
		obs[n - 1 - i] = observed(want[i], PROTO, "eth0");
	}
	obs[0].dst.v4.s_addr = htonl(0x0b000000u);
	diff(&f);
	cr_assert_eq(count(&f.plan, LX_OP_CREATE, LX_OBJ_ROUTE), 1);
	cr_assert_eq(count(&f.plan, LX_OP_DELETE, LX_OBJ_ROUTE), 1);
	cr_assert_eq(f.plan.n, 2);
	lx_plan_free(&f.plan);
	free(want);
	free(obs);
}
