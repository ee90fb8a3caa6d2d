/* SPDX-License-Identifier: MIT */
/*
 * Links and addresses against the real kernel (issues 10 and 12): address
 * flags, the peer a veth gets, MAC and queue length, bridges. Each test in
 * fresh namespaces; what the kernel did is read back with ip(8).
 */
#include "test_rtnl_helpers.h"

static void converge(struct env *e)
{
	cr_assert_eq(reconcile(e), 0, "%s", e->err.msg);
	cr_assert(e->rep.converged);
	assert_all_applied(e);
}

static void noop(struct env *e)
{
	converge(e);
	cr_assert_eq(e->rep.plan.n, 0, "second pass: %zu ops", e->rep.plan.n);
}

/* ------------------------------------------------------- noprefixroute */

static void veth_up(void)
{
	sh("ip link add d0 type veth peer name d1 && ip link set d1 up && "
	   "ip link set d0 up");
}

Test(rtnl_links, noprefixroute_makes_no_prefix_route)
{
	struct env e;

	env_init(&e, NULL);
	veth_up();
	add_addr(&e.d, "d0", "10.9.0.2", 24)->noprefixroute = true;
	add_addr(&e.d, "d0", "fd09::2", 64)->noprefixroute = true;
	add_addr(&e.d, "d0", "10.9.1.2", 24);
	converge(&e);
	sh("ip -4 addr show dev d0 | grep -q '10.9.0.2/24 .*noprefixroute'");
	sh("ip -6 addr show dev d0 | grep -q 'fd09::2/64 .*noprefixroute'");
	sh("! ip -4 route show table main | grep -q '^10.9.0.0/24'");
	sh("! ip -6 route show table main | grep -q '^fd09::/64'");
	/* The one without the flag gets its kernel route. */
	sh("ip -4 route show table main | grep -q '^10.9.1.0/24 dev d0 proto "
	   "kernel'");
	noop(&e);
	env_fini(&e);
}

Test(rtnl_links, noprefixroute_added_to_an_existing_address)
{
	struct env e;

	env_init(&e, NULL);
	veth_up();
	sh("ip addr add 10.9.0.2/24 dev d0 && "
	   "ip addr add fd09::2/64 dev d0 nodad");
	sh("ip -4 route show table main | grep -q '^10.9.0.0/24'");
	add_addr(&e.d, "d0", "10.9.0.2", 24)->noprefixroute = true;
	add_addr(&e.d, "d0", "fd09::2", 64)->noprefixroute = true;
	converge(&e);
	sh("! ip -4 route show table main | grep -q '^10.9.0.0/24'");
	sh("! ip -6 route show table main | grep -q '^fd09::/64'");
	sh("ip -6 addr show dev d0 | grep -q 'fd09::2/64 .*noprefixroute'");
	noop(&e);
	/* And back: the document drops the flag, the routes come back. */
	e.d.addrs[0].noprefixroute = e.d.addrs[1].noprefixroute = false;
	converge(&e);
	sh("ip -4 route show table main | grep -q '^10.9.0.0/24 dev d0'");
	sh("ip -6 route show table main | grep -q '^fd09::/64 dev d0'");
	noop(&e);
	env_fini(&e);
}

/* ------------------------------------------------------------ broadcast */

Test(rtnl_links, broadcast_is_set_on_create_and_not_a_difference)
{
	struct env e;
	struct lx_addr *a;

	env_init(&e, NULL);
	veth_up();
	a = add_addr(&e.d, "d0", "10.9.0.2", 24);
	a->has_brd = true;
	inet_pton(AF_INET, "10.9.0.255", &a->brd);
	/* one the kernel holds with a brd the document does not name */
	sh("ip addr add 10.9.1.2/24 brd + dev d0");
	add_addr(&e.d, "d0", "10.9.1.2", 24);
	converge(&e);
	sh("ip -4 addr show dev d0 | grep -q 'inet 10.9.0.2/24 brd 10.9.0.255 "
	   "'");
	sh("ip -4 addr show dev d0 | grep -q 'inet 10.9.1.2/24 brd 10.9.1.255 "
	   "'");
	noop(&e);
	env_fini(&e);
}

/* ----------------------------------------------------------- veth peers */

static void host_bridge_1400(void)
{
	sh("ip link set lo up");
	/* Set after creation, the mtu sticks (the bridge stops following
	 * its ports' MTU). */
	sh("ip link add lxbr0 type bridge && ip link set lxbr0 mtu 1400 up");
}

Test(rtnl_links, peer_is_up_and_at_the_container_mtu_by_default)
{
	struct env e;
	struct lx_link *l;

	env_init(&e, host_bridge_1400);
	l = add_link(&e.d, "eth0", LX_LINK_VETH);
	snprintf(l->peer, sizeof(l->peer), "lxp0");
	snprintf(l->master, sizeof(l->master), "lxbr0");
	l->mtu = 1450;
	converge(&e);
	host_sh(&e, "ip -o link show lxp0 | grep -q 'mtu 1450 .*master lxbr0 "
		    "state UP'");
	sh("ip -o link show eth0 | grep -q 'mtu 1450 .*state UP'");
	/* The bridge kept its mtu. */
	host_sh(&e, "ip -o link show lxbr0 | grep -q 'mtu 1400 '");
	noop(&e);
	env_fini(&e);
}

Test(rtnl_links, peer_down_and_peer_mtu)
{
	struct env e;
	struct lx_link *l;

	env_init(&e, NULL);
	l = add_link(&e.d, "eth0", LX_LINK_VETH);
	snprintf(l->peer, sizeof(l->peer), "lxp0");
	l->peer_up = 0;
	l->peer_mtu = 1600;
	converge(&e);
	host_sh(&e, "ip -o link show lxp0 | grep -q 'mtu 1600 .*state DOWN'");
	sh("ip -o link show eth0 | grep -q 'mtu 1500 '");
	noop(&e);
	env_fini(&e);
}

Test(rtnl_links, enslaved_peer_without_mtu_takes_the_masters)
{
	struct env e;
	struct lx_link *l;

	env_init(&e, host_bridge_1400);
	host_sh(&e, "ip link set lxbr0 mtu 9000");
	l = add_link(&e.d, "eth0", LX_LINK_VETH);
	snprintf(l->peer, sizeof(l->peer), "lxp0");
	snprintf(l->master, sizeof(l->master), "lxbr0");
	converge(&e);
	host_sh(&e, "ip -o link show lxp0 | grep -q 'mtu 9000 .*master lxbr0'");
	host_sh(&e, "ip -o link show lxbr0 | grep -q 'mtu 9000 '");
	env_fini(&e);
}

Test(rtnl_links, peer_mtu_below_the_masters_is_refused_and_makes_nothing)
{
	struct env e;
	struct lx_link *l;

	env_init(&e, host_bridge_1400);
	l = add_link(&e.d, "eth0", LX_LINK_VETH);
	snprintf(l->peer, sizeof(l->peer), "lxp0");
	snprintf(l->master, sizeof(l->master), "lxbr0");
	l->mtu = 1450;
	l->peer_mtu = 68;
	/* Before anything is applied (exit 5 in the sidecar)... */
	cr_assert_eq(lx_rtnl_check_masters(e.host, &e.d, &e.err), -EPERM);
	cr_assert_eq(e.err.kind, LX_ERR_POLICY);
	cr_assert(strstr(e.err.msg,
			 "link \"eth0\" (io.linx.links): refused: peer mtu 68 "
			 "is below the mtu 1400 of its master \"lxbr0\""),
		  "%s", e.err.msg);
	/* ...and again at the create, should the master have changed. */
	lx_error_clear(&e.err);
	cr_assert_neq(reconcile(&e), 0);
	cr_assert(strstr(e.err.msg, "refused: peer mtu 68 is below the mtu "
				    "1400 of its master lxbr0"),
		  "%s", e.err.msg);
	sh("! ip link show eth0 2>/dev/null");
	sh("! nsenter --net=/proc/%d/fd/%d ip link show lxp0 2>/dev/null",
	   (int)getpid(), e.hostfd);
	host_sh(&e, "ip -o link show lxbr0 | grep -q 'mtu 1400 '");
	/* Equal is fine. */
	l->peer_mtu = 1400;
	lx_error_clear(&e.err);
	cr_assert_eq(lx_rtnl_check_masters(e.host, &e.d, &e.err), 0);
	converge(&e);
	env_fini(&e);
}

Test(rtnl_links, unnamed_peer_gets_the_generated_name)
{
	struct env e;
	char want[IFNAMSIZ];

	env_init(&e, NULL);
	add_link(&e.d, "eth0", LX_LINK_VETH);
	e.ctx.id = "web-42";
	e.ctx.peer_prefix = "lxt";
	lx_link_peer_name("web-42", "eth0", "lxt", want);
	cr_assert_eq(strlen(want), 15);
	cr_assert_eq(strncmp(want, "lxt", 3), 0);
	converge(&e);
	host_sh(&e, "ip -o link show %s | grep -q 'state UP'", want);
	/* The owned record names it: teardown and the next pass agree. */
	cr_assert_str_eq(e.owned.links[0].peer, want);
	noop(&e);
	env_fini(&e);
}

/* ------------------------------------------- MAC, queue length, bridges */

Test(rtnl_links, address_and_txqlen_on_existing_and_created_links)
{
	struct env e;
	struct lx_link *l;

	env_init(&e, NULL);
	sh("ip link add d0 type veth peer name d1");
	l = add_link(&e.d, "d0", LX_LINK_EXISTING);
	l->has_mac = true;
	memcpy(l->mac, "\x02\x42\x0a\x00\x00\x02", 6);
	l->has_txqlen = true;
	l->txqlen = 500;
	l = add_link(&e.d, "br0", LX_LINK_BRIDGE);
	l->has_mac = true;
	memcpy(l->mac, "\x02\x42\x0a\x00\x00\x03", 6);
	l->has_txqlen = true;
	l->txqlen = 2000;
	l->mtu = 1400;
	converge(&e);
	sh("ip -o link show d0 | grep -q 'UP.*qlen 500.*link/ether "
	   "02:42:0a:00:00:02'");
	sh("ip -d -o link show br0 | grep -q 'mtu 1400 .*qlen 2000.*link/ether "
	   "02:42:0a:00:00:03.* bridge '");
	noop(&e);
	/* Drift is healed. */
	sh("ip link set d0 address 02:42:0a:00:00:09 txqlen 10");
	converge(&e);
	cr_assert_eq(e.rep.plan.n, 1);
	sh("ip -o link show d0 | grep -q 'qlen 500.*02:42:0a:00:00:02'");
	noop(&e);
	env_fini(&e);
}
