/* SPDX-License-Identifier: MIT */
/*
 * Policy rules and static neighbours against the real kernel, v4 and v6:
 * installed, a second pass applies nothing, healed when deleted, removed
 * when no longer desired, others' and the kernel's defaults untouched, and
 * a monitor wake-up when one changes. Each case in fresh namespaces.
 */
#include <poll.h>

#include "desired.h"
#include "test_rtnl_helpers.h"

static void setup_ns(void)
{
	sh("ip link set lo up");
	sh("ip link add v0 type veth peer name v1");
	sh("ip link set v0 up && ip link set v1 up");
	sh("ip addr add 10.0.0.2/24 dev v0");
	sh("ip addr add fd00::2/64 dev v0 nodad");
}

static void add_rule(struct env *e, const char *s)
{
	cr_assert_eq(
	    lx_grow((void **)&e->d.rules, e->d.n_rules, sizeof(*e->d.rules)),
	    0);
	cr_assert_eq(lx_rule_parse(s, &e->d.rules[e->d.n_rules], "u", &e->err),
		     0, "%s: %s", s, e->err.msg);
	e->d.n_rules++;
}

static void add_neigh(struct env *e, const char *s)
{
	cr_assert_eq(
	    lx_grow((void **)&e->d.neighs, e->d.n_neighs, sizeof(*e->d.neighs)),
	    0);
	cr_assert_eq(
	    lx_neigh_parse(s, &e->d.neighs[e->d.n_neighs], "n", &e->err), 0,
	    "%s: %s", s, e->err.msg);
	e->d.n_neighs++;
}

static void converge_then_noop(struct env *e)
{
	cr_assert_eq(reconcile(e), 0, "%s", e->err.msg);
	assert_all_applied(e);
	cr_assert_eq(reconcile(e), 0, "%s", e->err.msg);
	cr_assert_eq(e->rep.plan.n, 0, "second pass: %zu ops", e->rep.plan.n);
}

Test(rules, installed_healed_removed_and_others_untouched)
{
	struct env e;

	env_init(&e, NULL);
	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	setup_ns();
	lx_nl_close(e.nl);
	cr_assert_eq(lx_nl_open(&e.nl, 0, &e.err), 0);
	e.ctx.nl = e.nl;
	add_rule(&e, "from 10.0.0.2 table 100 priority 1000");
	add_rule(&e, "not to 10.9.0.0/16 iif v0 fwmark 0x10/0xff ipproto tcp "
		     "dport 80-90 tos 8 priority 1001 prohibit");
	add_rule(&e, "from 10.0.0.5 lookup main");
	add_rule(&e, "-6 from all oif v0 sport 53 ipproto udp table 200");
	add_rule(&e, "from fd00::/64 blackhole priority 7");
	sh("ip rule add from 10.0.0.77 table 5 priority 500 proto static");
	converge_then_noop(&e);
	sh("ip rule show | grep -q '^1000:\tfrom 10.0.0.2 lookup 100 proto "
	   "76'");
	sh("ip rule show | grep -q '^1001:\tnot from all to 10.9.0.0/16 tos "
	   "0x08 fwmark 0x10/0xff iif v0 ipproto tcp dport 80-90 prohibit "
	   "proto 76'");
	sh("ip rule show | grep -q 'from 10.0.0.5 lookup main proto 76'");
	sh("ip -6 rule show | grep -q 'from all oif v0 ipproto udp sport 53 "
	   "lookup 200 proto 76'");
	sh("ip -6 rule show | grep -q '^7:\tfrom fd00::/64 blackhole proto "
	   "76'");

	/* Deleted by someone: healed on the next pass. */
	sh("ip rule del priority 1000");
	sh("ip -6 rule del priority 7");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 2);
	sh("ip rule show | grep -q '^1000:'");
	sh("ip -6 rule show | grep -q '^7:'");

	/* Shrunk: ours go, the static one and the defaults stay. */
	e.d.n_rules = 0;
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 5);
	sh("! ip rule show | grep -q 'proto 76'");
	sh("! ip -6 rule show | grep -q 'proto 76'");
	sh("ip rule show | grep -q '^500:\tfrom 10.0.0.77 lookup 5 proto "
	   "static'");
	sh("test $(ip rule show | wc -l) = 4 && test $(ip -6 rule show | wc "
	   "-l) "
	   "= 2");

	/* Another protocol's rule: held, unless adopt. */
	add_rule(&e, "from 10.0.0.77 table 5");
	cr_assert_lt(reconcile(&e), 0);
	cr_assert(strstr(e.err.msg, "held by proto static"), "%s", e.err.msg);
	e.d.opts.adopt = true;
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	sh("ip rule show | grep -q 'from 10.0.0.77 lookup 5 proto 76'");
	sh("! ip rule show | grep -q static");
	/* The kernel's default rules: never, not even with adopt. */
	e.d.n_rules = 0;
	add_rule(&e, "from all lookup main priority 32766");
	cr_assert_lt(reconcile(&e), 0);
	cr_assert(strstr(e.err.msg, "default rule"), "%s", e.err.msg);
	sh("ip rule show | grep -q '^32766:\tfrom all lookup main$'");
	env_fini(&e);
}

Test(neighbours, installed_healed_removed_v4_v6)
{
	struct env e;

	env_init(&e, NULL);
	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	setup_ns();
	lx_nl_close(e.nl);
	cr_assert_eq(lx_nl_open(&e.nl, 0, &e.err), 0);
	e.ctx.nl = e.nl;
	add_neigh(&e, "10.0.0.1 lladdr 02:00:0a:00:00:01 dev v0");
	add_neigh(&e, "fd00::1 lladdr 02:00:0a:00:00:02 dev v0 nud noarp");
	/* A learned entry for the same address is replaced, not "held". */
	sh("ip neigh replace 10.0.0.1 lladdr 02:00:00:00:00:99 dev v0 nud "
	   "stale");
	sh("ip neigh add 10.0.0.50 lladdr 02:00:00:00:00:50 dev v0 proto "
	   "static");
	converge_then_noop(&e);
	sh("ip neigh show 10.0.0.1 | grep -q 'lladdr 02:00:0a:00:00:01 "
	   "PERMANENT proto 76'");
	sh("ip -6 neigh show nud noarp fd00::1 | grep -q 'lladdr "
	   "02:00:0a:00:00:02 NOARP proto 76'");
	/* Changed behind our back: put back. */
	sh("ip neigh replace 10.0.0.1 lladdr 02:00:00:00:00:77 dev v0 proto "
	   "76");
	sh("ip -6 neigh del fd00::1 dev v0");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 2);
	sh("ip neigh show 10.0.0.1 | grep -q 'lladdr 02:00:0a:00:00:01'");
	sh("ip -6 neigh show nud noarp fd00::1 | grep -q 02:00:0a:00:00:02");
	/* A permanent entry of another protocol is held. */
	add_neigh(&e, "10.0.0.50 lladdr 02:00:00:00:00:51 dev v0");
	cr_assert_lt(reconcile(&e), 0);
	cr_assert(strstr(e.err.msg, "held by proto static"), "%s", e.err.msg);
	e.d.n_neighs = 0;
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	sh("! ip neigh show nud all | grep -q 'proto 76'");
	sh("ip neigh show 10.0.0.50 | grep -q 'proto static'");
	env_fini(&e);
}

Test(rtnl_monitor, rule_and_neighbour_changes_wake_the_monitor)
{
	struct lx_nl *mon = NULL;
	struct lx_error err;
	struct pollfd p;

	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	setup_ns();
	lx_error_clear(&err);
	cr_assert_eq(lx_rtnl_subscribe(&mon, 0, &err), 0, "%s", err.msg);
	(void)lx_rtnl_monitor_drain(mon);
	const char *cmds[] = {
	    "ip rule add from 10.0.0.9 table 9",
	    "ip -6 rule add from fd00::9 table 9",
	    "ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev v0",
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		sh("%s", cmds[i]);
		p = (struct pollfd){.fd = lx_nl_fd(mon), .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 1000), 1, "no event after %s",
			     cmds[i]);
		cr_assert_gt(lx_rtnl_monitor_drain(mon), 0, "%s", cmds[i]);
	}
	lx_nl_close(mon);
}
