/* SPDX-License-Identifier: MIT */
/* Link kinds the build machine may lack (dummy, ipvlan): skipped with the
 * reason when the kernel has no module for them. */
#include "test_rtnl_helpers.h"

static void host_parent(void)
{
	sh("ip link add hp0 type veth peer name hp1");
	sh("ip link set hp0 up && ip link set hp1 up");
}

static void skip_if_unsupported(struct env *e, const char *what)
{
	for (size_t i = 0; i < e->rep.plan.n; i++) {
		const char *m = e->rep.plan.ops[i].error;

		if (m && strstr(m, "(EOPNOTSUPP)")) {
			env_fini(e);
			cr_skip_test("kernel has no %s module", what);
		}
	}
}

Test(rtnl_kinds, dummy_is_created_local_and_removed_when_undesired)
{
	struct env e;
	struct lx_rtnl_state s;
	const struct lx_link *l;

	env_init(&e, NULL);
	add_link(&e.d, "d0", LX_LINK_DUMMY)->mtu = 1280;
	add_addr(&e.d, "d0", "10.60.0.1", 24);
	reconcile(&e);
	skip_if_unsupported(&e, "dummy");
	cr_assert(e.rep.converged, "%s", e.err.msg);
	observe(&e, &s);
	l = find_link(&s, "d0");
	cr_assert(l && l->kind == LX_LINK_DUMMY && l->up && l->mtu == 1280);
	lx_rtnl_state_free(&s);
	e.d.n_links = 0;
	e.d.n_addrs = 0;
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	observe(&e, &s);
	cr_assert_null(find_link(&s, "d0"));
	lx_rtnl_state_free(&s);
	env_fini(&e);
}

Test(rtnl_kinds, ipvlan_on_host_parent_lands_in_target)
{
	struct env e;
	struct lx_rtnl_state s;
	struct lx_link *l;

	env_init(&e, host_parent);
	l = add_link(&e.d, "ipv0", LX_LINK_IPVLAN);
	snprintf(l->parent, sizeof(l->parent), "hp0");
	snprintf(l->mode, sizeof(l->mode), "l2");
	reconcile(&e);
	skip_if_unsupported(&e, "ipvlan");
	cr_assert(e.rep.converged, "%s", e.err.msg);
	observe(&e, &s);
	cr_assert(find_link(&s, "ipv0"));
	lx_rtnl_state_free(&s);
	env_fini(&e);
}

Test(rtnl_kinds, macvlan_on_host_parent_lands_in_target)
{
	struct env e;
	struct lx_rtnl_state s;
	struct lx_link *l;
	const struct lx_link *o;

	env_init(&e, host_parent);
	l = add_link(&e.d, "mv0", LX_LINK_MACVLAN);
	snprintf(l->parent, sizeof(l->parent), "hp0");
	snprintf(l->mode, sizeof(l->mode), "bridge");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	observe(&e, &s);
	o = find_link(&s, "mv0");
	cr_assert(o && o->kind == LX_LINK_MACVLAN && o->up);
	lx_rtnl_state_free(&s);
	/* Nothing of it in the host namespace. */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd),
			 "nsenter --net=/proc/%d/fd/%d ip link show mv0 "
			 ">/dev/null 2>&1",
			 (int)getpid(), e.hostfd);
		cr_assert_neq(system(cmd), 0);
	}
	env_fini(&e);
}

Test(rtnl_kinds, unknown_parent_fails_with_enodev)
{
	struct env e;
	struct lx_link *l;

	env_init(&e, NULL);
	l = add_link(&e.d, "mv0", LX_LINK_MACVLAN);
	snprintf(l->parent, sizeof(l->parent), "nosuch0");
	cr_assert_eq(reconcile(&e), -ENODEV, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.ops[0].state, LX_OPS_FAILED);
	cr_assert(strstr(e.rep.plan.ops[0].error, "parent nosuch0"), "%s",
		  e.rep.plan.ops[0].error);
	cr_assert_eq(e.owned.n_links, 0);
	env_fini(&e);
}
