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
