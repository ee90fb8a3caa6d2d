/* SPDX-License-Identifier: MIT */
/* rtnl reconcile against the real kernel: each test in fresh namespaces. */
#include "test_rtnl_helpers.h"

static void host_bridge_and_parent(void)
{
	sh("ip link set lo up");
	/* The mtu set after creation sticks (the bridge stops tracking its
	 * ports): the peer (1400) may not be below it. */
	sh("ip link add lxbr0 type bridge && ip link set lxbr0 mtu 1400 up");
	sh("ip link add hp0 type veth peer name hp1");
	sh("ip link set hp0 up && ip link set hp1 up");
}

/* eth0 veth (peer in the host, enslaved to lxbr0), v4/v6 addresses and a
 * spread of routes. */
static void full_desired(struct env *e)
{
	struct lx_link *l;
	struct lx_route *r;

	add_link(&e->d, "lo", LX_LINK_EXISTING);
	l = add_link(&e->d, "eth0", LX_LINK_VETH);
	snprintf(l->peer, sizeof(l->peer), "lxh0");
	snprintf(l->master, sizeof(l->master), "lxbr0");
	l->peer_up = 1;
	l->mtu = 1400;
	add_addr(&e->d, "eth0", "10.0.0.2", 24);
	add_addr(&e->d, "eth0", "fd00::2", 64);
	add_route(&e->d, "default", 0, "10.0.0.1", NULL);
	r = add_route(&e->d, "10.1.0.0", 16, "10.0.0.254", "eth0");
	r->metric = 100;
	r = add_route(&e->d, "10.2.0.0", 16, "10.0.0.254", NULL);
	r->table = 100;
	r = add_route(&e->d, "10.3.0.0", 16, NULL, "eth0");
	r->scope = RT_SCOPE_LINK;
	r->has_src = true;
	inet_pton(AF_INET, "10.0.0.2", &r->src);
	r = add_route(&e->d, "10.4.0.0", 16, "10.0.0.1", NULL);
	r->mtu = 1300;
	add_route(&e->d, "fd01::", 64, "fd00::1", NULL);
}

Test(rtnl_reconcile, converges_links_addresses_routes_then_noop)
{
	struct env e;
	struct lx_rtnl_state s;
	const struct lx_route *r;
	const struct lx_link *l;
	struct lx_link *hl = NULL;
	size_t nh = 0;
	int master = 0;

	env_init(&e, host_bridge_and_parent);
	full_desired(&e);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert(e.rep.converged);
	assert_all_applied(&e);
	cr_assert_eq(e.rep.plan.n, 2 + 2 + 6, "ops: %zu", e.rep.plan.n);

	observe(&e, &s);
	l = find_link(&s, "lo");
	cr_assert(l && l->up);
	l = find_link(&s, "eth0");
	cr_assert(l && l->up && l->mtu == 1400 && l->kind == LX_LINK_VETH);
	cr_assert(has_addr(&s, "eth0", "10.0.0.2", 24));
	cr_assert(has_addr(&s, "eth0", "fd00::2", 64));
	r = find_route(&s, "default", 0, 0, 0);
	cr_assert(r && r->protocol == 76 && r->has_gw);
	r = find_route(&s, "10.1.0.0", 16, 0, 100);
	cr_assert(r && r->protocol == 76 && !strcmp(r->dev, "eth0"));
	cr_assert(find_route(&s, "10.2.0.0", 16, 100, 0));
	r = find_route(&s, "10.3.0.0", 16, 0, 0);
	cr_assert(r && r->has_src && r->scope == RT_SCOPE_LINK);
	r = find_route(&s, "10.4.0.0", 16, 0, 0);
	cr_assert(r && r->mtu == 1300);
	r = find_route(&s, "fd01::", 64, 0, 1024);
	cr_assert(r && r->protocol == 76);
	lx_rtnl_state_free(&s);

	/* The peer is in the host namespace, up, enslaved to lxbr0. */
	cr_assert_eq(lx_link_dump(e.host, &hl, &nh, &e.err), 0);
	for (size_t i = 0; i < nh; i++)
		if (!strcmp(hl[i].name, "lxbr0"))
			master = hl[i].ifindex;
	free(hl);
	cr_assert(master > 0);
	host_sh(&e, "ip -o link show lxh0 | grep -q 'master lxbr0'");
	host_sh(&e, "ip -o link show lxh0 | grep -q 'state UP'");
	/* We own what we created, not lo. */
	cr_assert_eq(e.owned.n_links, 1);
	cr_assert_str_eq(e.owned.links[0].name, "eth0");
	cr_assert_eq(e.owned.n_addrs, 2);

	/* Second pass: nothing to do. */
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert(e.rep.converged);
	cr_assert_eq(e.rep.plan.n, 0, "second pass planned %zu ops",
		     e.rep.plan.n);
	env_fini(&e);
}

Test(rtnl_reconcile, shrunk_desired_removes_only_what_we_installed)
{
	struct env e;
	struct lx_rtnl_state s;
	struct lx_link *l;

	env_init(&e, host_bridge_and_parent);
	full_desired(&e);
	l = add_link(&e.d, "mv0", LX_LINK_MACVLAN);
	snprintf(l->parent, sizeof(l->parent), "hp0");
	snprintf(l->mode, sizeof(l->mode), "bridge");
	add_addr(&e.d, "mv0", "10.50.0.2", 24);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	assert_all_applied(&e);
	observe(&e, &s);
	cr_assert(find_link(&s, "mv0"));
	cr_assert(has_addr(&s, "mv0", "10.50.0.2", 24));
	lx_rtnl_state_free(&s);

	/* Foreign state that appears meanwhile. */
	sh("ip addr add 10.0.0.99/24 dev eth0");
	sh("ip route add 10.7.0.0/16 via 10.0.0.1 proto static");
	sh("ip route add 10.1.0.0/16 via 10.0.0.1 metric 200 proto static");

	/* Drop mv0 (and its address), fd00::2 and two routes. */
	e.d.n_links = 2;
	e.d.n_addrs = 1;
	/* Keep default, 10.3.0.0/16 and 10.2.0.0/16 table 100; drop
	 * 10.1.0.0/16, 10.4.0.0/16 and fd01::/64. */
	e.d.routes[1] = e.d.routes[3];
	e.d.n_routes = 3;
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	assert_all_applied(&e);

	observe(&e, &s);
	cr_assert_null(find_link(&s, "mv0"));
	cr_assert_not(has_addr(&s, "eth0", "fd00::2", 64));
	cr_assert(has_addr(&s, "eth0", "10.0.0.2", 24));
	cr_assert(has_addr(&s, "eth0", "10.0.0.99", 24), "foreign address");
	cr_assert_null(find_route(&s, "10.1.0.0", 16, 0, 100));
	cr_assert_null(find_route(&s, "10.4.0.0", 16, 0, 0));
	cr_assert_null(find_route(&s, "fd01::", 64, 0, 1024));
	cr_assert(find_route(&s, "10.7.0.0", 16, 0, 0), "foreign route");
	cr_assert(find_route(&s, "10.1.0.0", 16, 0, 200), "foreign route");
	cr_assert(find_route(&s, "default", 0, 0, 0));
	cr_assert(find_route(&s, "10.2.0.0", 16, 100, 0));
	cr_assert(find_route(&s, "10.3.0.0", 16, 0, 0));
	lx_rtnl_state_free(&s);
	cr_assert_eq(e.owned.n_links, 1);
	cr_assert_eq(e.owned.n_addrs, 1);

	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 0);
	env_fini(&e);
}

Test(rtnl_reconcile, manual_deletion_is_healed)
{
	struct env e;
	struct lx_rtnl_state s;

	env_init(&e, host_bridge_and_parent);
	full_desired(&e);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);

	sh("ip addr del fd00::2/64 dev eth0");
	sh("ip route del 10.2.0.0/16 table 100");
	sh("ip route change 10.1.0.0/16 via 10.0.0.253 dev eth0 metric 100 "
	   "proto 76");
	sh("ip link set lo down");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	assert_all_applied(&e);
	/* lo up, the address, the deleted route, the changed route; plus
	 * fd01:: which needed fd00::2 (it went with the address). */
	cr_assert_geq(e.rep.plan.n, 4);
	observe(&e, &s);
	cr_assert(has_addr(&s, "eth0", "fd00::2", 64));
	cr_assert(find_route(&s, "10.2.0.0", 16, 100, 0));
	cr_assert(find_link(&s, "lo")->up);
	{
		const struct lx_route *r =
		    find_route(&s, "10.1.0.0", 16, 0, 100);
		char gw[INET_ADDRSTRLEN];

		cr_assert(r);
		inet_ntop(AF_INET, &r->gw, gw, sizeof(gw));
		cr_assert_str_eq(gw, "10.0.0.254");
	}
	lx_rtnl_state_free(&s);

	/* The whole veth goes: the next pass recreates it and what is on it. */
	sh("ip link del eth0");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	assert_all_applied(&e);
	observe(&e, &s);
	cr_assert(find_link(&s, "eth0"));
	cr_assert(has_addr(&s, "eth0", "10.0.0.2", 24));
	cr_assert(find_route(&s, "default", 0, 0, 0));
	cr_assert(find_route(&s, "fd01::", 64, 0, 1024));
	lx_rtnl_state_free(&s);
	host_sh(&e, "ip -o link show lxh0 | grep -q 'master lxbr0'");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 0);
	env_fini(&e);
}

Test(rtnl_reconcile, route_via_unreachable_gateway_fails_with_errno_name)
{
	struct env e;
	size_t failed = 0, applied = 0;
	int ret;

	env_init(&e, NULL);
	add_link(&e.d, "lo", LX_LINK_EXISTING);
	add_route(&e.d, "10.9.0.0", 16, "192.168.99.1", NULL);
	ret = reconcile(&e);
	cr_assert_eq(ret, -ENETUNREACH, "ret %d: %s", ret, e.err.msg);
	cr_assert_not(e.rep.converged);
	cr_assert(strstr(e.err.msg, "ENETUNREACH"), "%s", e.err.msg);
	cr_assert(strstr(e.err.msg, "10.9.0.0/16"), "%s", e.err.msg);
	for (size_t i = 0; i < e.rep.plan.n; i++) {
		const struct lx_op *op = &e.rep.plan.ops[i];

		if (op->state == LX_OPS_FAILED) {
			failed++;
			cr_assert(strstr(op->error, "(ENETUNREACH)"), "%s",
				  op->error);
			cr_assert(strncmp(op->error, "Network is unreachable",
					  22) == 0,
				  "%s", op->error);
		}
		applied += op->state == LX_OPS_APPLIED;
	}
	cr_assert_eq(failed, 1);
	cr_assert_eq(applied, 1, "lo up was applied");
	env_fini(&e);
}

Test(rtnl_reconcile, failure_leaves_later_ops_pending)
{
	struct env e;
	struct lx_plan *p;

	env_init(&e, NULL);
	add_link(&e.d, "lo", LX_LINK_EXISTING);
	add_link(&e.d, "nope0", LX_LINK_EXISTING); /* missing: ENODEV */
	add_addr(&e.d, "lo", "10.0.0.2", 32);
	add_route(&e.d, "10.9.0.0", 16, NULL, "lo");
	add_route(&e.d, "10.8.0.0", 16, "10.9.0.1", NULL);
	cr_assert_eq(reconcile(&e), -ENODEV, "%s", e.err.msg);
	p = &e.rep.plan;
	cr_assert_eq(p->n, 5);
	cr_assert_eq(p->ops[0].state, LX_OPS_APPLIED);
	cr_assert_eq(p->ops[1].state, LX_OPS_FAILED);
	cr_assert(strstr(p->ops[1].error, "(ENODEV)"), "%s", p->ops[1].error);
	for (size_t i = 2; i < p->n; i++)
		cr_assert_eq(p->ops[i].state, LX_OPS_PENDING, "op %zu", i);
	cr_assert_eq(lx_plan_count(p, LX_OPS_PENDING), 3);
	cr_assert_eq(e.owned.n_addrs, 0, "nothing pending is owned");
	env_fini(&e);
}

Test(rtnl_reconcile, release_deletes_the_links_we_created)
{
	struct env e;
	struct lx_rtnl_state s;
	struct lx_subreport rel = {0};

	env_init(&e, host_bridge_and_parent);
	full_desired(&e);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(lx_rtnl_release(&e.ctx, &e.owned, &rel, &e.err), 0, "%s",
		     e.err.msg);
	cr_assert(rel.converged);
	cr_assert_eq(rel.plan.n, 1);
	cr_assert_eq(rel.plan.ops[0].state, LX_OPS_APPLIED);
	observe(&e, &s);
	cr_assert_null(find_link(&s, "eth0"));
	cr_assert(find_link(&s, "lo"), "lo is never ours");
	lx_rtnl_state_free(&s);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd),
			 "nsenter --net=/proc/%d/fd/%d ip link show lxh0 "
			 ">/dev/null 2>&1",
			 (int)getpid(), e.hostfd);
		cr_assert_neq(system(cmd), 0, "the peer went with it");
	}
	cr_assert_eq(e.owned.n_links, 0);
	cr_assert_eq(e.owned.n_addrs, 0);
	lx_plan_free(&rel.plan);
	env_fini(&e);
}

Test(rtnl_monitor, change_is_seen_and_drain_empties)
{
	struct env e;
	struct lx_nl *mon = NULL;
	int n;

	env_init(&e, NULL);
	cr_assert_eq(lx_rtnl_subscribe(&mon, 0, &e.err), 0, "%s", e.err.msg);
	cr_assert_eq(lx_rtnl_monitor_drain(mon), 0);
	add_link(&e.d, "lo", LX_LINK_EXISTING);
	add_addr(&e.d, "lo", "10.0.0.2", 32);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	n = lx_rtnl_monitor_drain(mon);
	cr_assert_gt(n, 0);
	cr_assert_eq(lx_rtnl_monitor_drain(mon), 0);
	lx_nl_close(mon);
	env_fini(&e);
}

/* The flap rule (loop.h) must tell a heal from a flap: the drain reports
 * the kinds another process deleted, never our own deletes (the kernel
 * stamps each notification with the port id of the socket that asked). */
Test(rtnl_monitor, deletions_by_another_process_are_told_from_our_own)
{
	struct env e;
	struct lx_nl *mon = NULL;
	uint32_t own, deleted = 0;

	env_init(&e, NULL);
	own = lx_nl_portid(e.nl);
	cr_assert_neq(own, 0);
	cr_assert_eq(lx_rtnl_subscribe(&mon, 0, &e.err), 0, "%s", e.err.msg);
	add_link(&e.d, "lo", LX_LINK_EXISTING);
	add_addr(&e.d, "lo", "10.0.0.2", 32);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_gt(lx_rtnl_monitor_drain_deleted(mon, &own, 1, &deleted), 0);
	cr_assert_eq(deleted, 0, "creates are no deletions: %#x", deleted);

	/* Our own delete (the address is no longer desired). */
	e.d.n_addrs = 0;
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_gt(lx_rtnl_monitor_drain_deleted(mon, &own, 1, &deleted), 0);
	cr_assert_eq(deleted & LX_OBJ_BIT(LX_OBJ_ADDRESS), 0,
		     "our own delete counted as another's: %#x", deleted);

	/* Another process's. */
	sh("ip addr add 10.0.0.3/32 dev lo && ip route add 10.9.0.0/16 dev lo");
	(void)lx_rtnl_monitor_drain_deleted(mon, &own, 1, &deleted);
	deleted = 0;
	sh("ip addr del 10.0.0.3/32 dev lo && ip route del 10.9.0.0/16 dev lo");
	cr_assert_gt(lx_rtnl_monitor_drain_deleted(mon, &own, 1, &deleted), 0);
	cr_assert(deleted & LX_OBJ_BIT(LX_OBJ_ADDRESS), "%#x", deleted);
	cr_assert(deleted & LX_OBJ_BIT(LX_OBJ_ROUTE), "%#x", deleted);
	cr_assert_eq(deleted & LX_OBJ_BIT(LX_OBJ_LINK), 0, "%#x", deleted);
	lx_nl_close(mon);
	env_fini(&e);
}
