/* SPDX-License-Identifier: MIT */
/*
 * `observe --desired` round trip against the real kernel: a namespace set
 * up with ip(8), exported as a document (through its JSON text, as the
 * command prints it), reconciled with adopt: converged, then a second pass
 * applies nothing, and nothing the kernel made was touched.
 */
#include "desired.h"
#include "rtnl_export.h"
#include "test_rtnl_helpers.h"

static void setup_ns(void)
{
	/* No DAD or router solicitation: the kernel's own IPv6 link-local
	 * work would otherwise change the snapshots between them. */
	sh("sysctl -qw net.ipv6.conf.default.accept_dad=0 "
	   "net.ipv6.conf.default.router_solicitations=0");
	sh("ip link set lo up");
	sh("ip link add v0 type veth peer name v1");
	sh("ip link set v0 up && ip link set v1 up mtu 1400");
	sh("ip addr add 10.0.0.2/24 dev v0");
	sh("ip addr add fd00::2/64 dev v0 nodad");
	sh("ip route add 10.8.0.0/16 nexthop via 10.0.0.1 weight 2 nexthop via "
	   "10.0.0.3");
	sh("ip route add default via 10.0.0.1");
	sh("ip route add 10.100.0.0/24 dev v0 table 100");
	sh("ip route add blackhole 10.9.0.0/16 proto static");
	sh("ip route add 10.11.0.0/16 via 10.0.0.1 mtu lock 1400 initcwnd 10");
	sh("ip -6 route add fd01::/64 via fd00::1 pref high");
	sh("ip -6 route add unreachable fd05::/64");
	sh("ip rule add from 10.0.0.2 table 100 priority 100");
	sh("ip -6 rule add fwmark 0x10/0xff lookup 200");
	sh("ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:01 dev v0");
	sh("ip neigh add 10.0.0.3 lladdr 02:00:00:00:00:03 dev v0 nud noarp "
	   "proto static");
}

/* Everything ip shows, protocols aside (adoption makes them ours). */
static void snapshot(const char *path)
{
	sh("{ ip route show table all; ip -6 route show table all; ip rule; "
	   "ip -6 rule; ip addr; ip neigh show nud all; } | grep -v '^ff02' | "
	   "sed 's/ proto [a-z0-9]*//' > %s",
	   path);
}

Test(observe_desired, round_trip_converges_with_zero_ops)
{
	char before[64], after[64];
	struct lx_rtnl_state s;
	struct lx_desired exported;
	struct env e;
	json_t *doc;
	char *text;

	env_init(&e, NULL);
	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	setup_ns();
	lx_nl_close(e.nl);
	cr_assert_eq(lx_nl_open(&e.nl, 0, &e.err), 0);
	e.ctx.nl = e.nl;
	snprintf(before, sizeof(before), "/tmp/lx-obs-%d.before", getpid());
	snprintf(after, sizeof(after), "/tmp/lx-obs-%d.after", getpid());
	snapshot(before);

	observe(&e, &s);
	cr_assert_eq(lx_rtnl_state_to_desired(&s, &exported), 0);
	lx_rtnl_state_free(&s);
	/* What the kernel made is not in it. */
	cr_assert_eq(exported.n_addrs, 2, "addresses: %zu", exported.n_addrs);
	cr_assert_eq(exported.n_routes, 7, "routes: %zu", exported.n_routes);
	cr_assert_eq(exported.n_rules, 2, "rules: %zu", exported.n_rules);
	cr_assert_eq(exported.n_neighs, 2, "neighbours: %zu",
		     exported.n_neighs);
	cr_assert(exported.opts.adopt);
	doc = lx_desired_to_json(&exported);
	lx_desired_free(&exported);
	cr_assert(doc);
	text = json_dumps(doc, 0);
	json_decref(doc);
	lx_desired_free(&e.d);
	cr_assert_eq(lx_desired_from_string(text, strlen(text), &e.d, &e.err),
		     0, "%s\n%s", e.err.msg, text);
	free(text);

	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	assert_all_applied(&e);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 0, "second pass planned %zu ops",
		     e.rep.plan.n);
	snapshot(after);
	sh("diff -u %s %s", before, after);
	/* The adopted objects are ours now. */
	sh("ip route show 10.9.0.0/16 table all | grep -q 'proto 76'");
	sh("ip -6 rule | grep -q 'fwmark 0x10/0xff lookup 200 proto 76'");
	sh("ip neigh show 10.0.0.3 nud all | grep -q 'proto 76'");
	sh("ip route show 10.0.0.0/24 | grep -q 'proto kernel'");
	unlink(before);
	unlink(after);
	env_fini(&e);
}
