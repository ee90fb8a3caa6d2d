/* SPDX-License-Identifier: MIT */
/*
 * Every rtnl pass is O(n log n) in the number of addresses (issue 10 item
 * 6), checked without a clock: the build wraps the identity compares
 * (-Wl,--wrap=lx_addr_cmp,--wrap=lx_link_cmp, see the Makefile) and the
 * test counts the calls of a create pass, a no-op pass and a shrinking pass
 * over N and 4N addresses in a real namespace. Quadrupling n multiplies an
 * n log n count by about 4.8 (for these sizes) and a quadratic one by 16.
 */
#include "test_rtnl_helpers.h"

static unsigned long calls;

int __real_lx_addr_cmp(const struct lx_addr *a, const struct lx_addr *b);
int __real_lx_link_cmp(const struct lx_link *a, const struct lx_link *b);

int __wrap_lx_addr_cmp(const struct lx_addr *a, const struct lx_addr *b)
{
	calls++;
	return __real_lx_addr_cmp(a, b);
}

int __wrap_lx_link_cmp(const struct lx_link *a, const struct lx_link *b)
{
	calls++;
	return __real_lx_link_cmp(a, b);
}

struct counts {
	unsigned long create, noop, shrink;
};

static unsigned long pass(struct env *e)
{
	unsigned long before = calls;

	cr_assert_eq(
	    lx_rtnl_reconcile(&e->ctx, &e->d, &e->owned, &e->rep, &e->err), 0,
	    "%s", e->err.msg);
	cr_assert(e->rep.converged);
	return calls - before;
}

static void addresses(struct env *e, size_t n)
{
	char ip[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", 1 + i / 65536,
			 (i / 256) % 256, i % 256);
		add_addr(&e->d, "d0", ip, 32);
	}
}

static struct counts run(size_t n)
{
	struct counts c;
	struct env e;

	env_init(&e, NULL);
	sh("ip link add d0 type veth peer name d1 && ip link set d0 up");
	addresses(&e, n);
	c.create = pass(&e);
	cr_assert_eq(e.rep.plan.n, n);
	cr_assert_eq(e.owned.n_addrs, n);
	c.noop = pass(&e);
	cr_assert_eq(e.rep.plan.n, 0);
	/* Half of them are no longer desired: deleted, and forgotten. */
	e.d.n_addrs = n / 2;
	c.shrink = pass(&e);
	cr_assert_eq(e.rep.plan.n, n - n / 2);
	cr_assert_eq(e.owned.n_addrs, n / 2);
	env_fini(&e);
	return c;
}

static void check(const char *what, unsigned long small, unsigned long big)
{
	double r = small ? (double)big / (double)small : 0;

	cr_log_info("%s: %lu -> %lu compares (x%.2f)", what, small, big, r);
	cr_assert(small > 0, "%s: no compares counted (is the wrap in place?)",
		  what);
	/* n log n: ~4.8; quadratic: ~16. */
	cr_assert(r < 7.0,
		  "%s pass: %lu compares for 1,000 addresses, %lu for "
		  "4,000 (x%.2f): not O(n log n)",
		  what, small, big, r);
}

Test(rtnl_scale, passes_are_n_log_n_in_addresses, .timeout = 120)
{
	struct counts a = run(1000), b = run(4000);

	check("create", a.create, b.create);
	check("no-op", a.noop, b.noop);
	check("shrink", a.shrink, b.shrink);
}
