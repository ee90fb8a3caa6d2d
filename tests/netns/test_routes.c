/* SPDX-License-Identifier: MIT */
/*
 * Every route word of SPEC.md against the real kernel: installed by us it
 * shows in `ip route show table all` exactly as after `ip route add` of the
 * same line; a second pass applies nothing; a shrunk document removes it
 * and a foreign proto static route stays. Plus identity, dependency order
 * and foreign-protocol conflicts. Each case in fresh namespaces.
 */
#include "desired.h"
#include "test_rtnl_helpers.h"

/* Two veths in the namespace: v0 carries the addresses the gateways are
 * reached through. */
static void setup_ns(void)
{
	sh("ip link set lo up");
	sh("ip link add v0 type veth peer name v1");
	sh("ip link set v0 up && ip link set v1 up");
	sh("ip addr add 10.0.0.2/24 dev v0");
	sh("ip addr add fd00::2/64 dev v0 nodad");
}

/* Lines of `ip [-6] route show table all` with " proto 76" (and the
 * nexthop lines under them), the protocol word removed. */
static void our_routes(char *out, size_t len)
{
	const char *cmds[] = {"ip route show table all",
			      "ip -6 route show table all"};
	size_t off = 0;

	out[0] = '\0';
	for (size_t c = 0; c < 2; c++) {
		char line[512];
		bool in = false;
		FILE *f = popen(cmds[c], "r");

		cr_assert(f);
		while (fgets(line, sizeof(line), f)) {
			char *p;

			if (line[0] != '\t' && line[0] != ' ')
				in = strstr(line, " proto 76") != NULL;
			if (!in)
				continue;
			if ((p = strstr(line, " proto 76")))
				memmove(p, p + 9, strlen(p + 9) + 1);
			off +=
			    (size_t)snprintf(out + off, len - off, "%s", line);
		}
		pclose(f);
	}
}

static void parse_into(struct env *e, const char *line)
{
	struct lx_route *r;

	lx_error_clear(&e->err);
	cr_assert_eq(lx_grow((void **)&e->d.routes, e->d.n_routes, sizeof(*r)),
		     0);
	r = &e->d.routes[e->d.n_routes];
	cr_assert_eq(lx_route_parse(line, r, "r", &e->err), 0, "%s: %s", line,
		     e->err.msg);
	e->d.n_routes++;
}

/* No routes desired (their nexthops freed). */
static void no_routes(struct env *e)
{
	for (size_t i = 0; i < e->d.n_routes; i++)
		lx_route_fini(&e->d.routes[i]);
	e->d.n_routes = 0;
}

static void fresh(struct env *e)
{
	lx_plan_free(&e->rep.plan);
	free(e->rep.error);
	e->rep.error = NULL;
	lx_desired_free(&e->d);
	lx_nl_close(e->nl);
	lx_options_init(&e->d.opts);
	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	setup_ns();
	cr_assert_eq(lx_nl_open(&e->nl, 0, &e->err), 0, "%s", e->err.msg);
	e->ctx.nl = e->nl;
}

static const char *const words[] = {
    "10.1.0.0/16 via 10.0.0.1",
    "default via 169.254.1.1 dev v0 onlink",
    "blackhole 10.3.0.0/16",
    "unreachable 10.4.0.0/16",
    "prohibit 10.5.0.0/16",
    "throw 10.6.0.0/16 table 100",
    "local 10.7.0.1 dev v0",
    "unicast 10.0.0.77 dev v0 table local",
    "10.8.0.0/16 nexthop via 10.0.0.1 weight 2 nexthop via 10.0.0.3 dev v0",
    "10.9.0.0/16 via 10.0.0.1 mtu lock 1400 advmss 1360 initcwnd 10 "
    "initrwnd 20 quickack 1 congctl lock cubic",
    "10.9.1.0/24 via 10.0.0.1 mtu 65535 congctl reno",
    "10.10.0.0/16 via 10.0.0.1 metric 50 table 100",
    "10.11.0.0/16 dev v0 scope link table main priority 7",
    "10.12.0.0/16 via 10.0.0.1 preference 9",
    "10.13.0.0/16 dev v0 src 10.0.0.2 table default",
    "10.14.0.0/16 via inet6 fe80::1 dev v0",
    "10.15.0.0/16 dev v0 scope host",
    "fd01::/64 via fd00::1",
    "fd02::/64 via fd00::1 pref high",
    "fd03::/64 dev v0 metric 100",
    "blackhole fd04::/64",
    "unreachable fd05::/64 metric 5",
    "prohibit fd06::/64",
    "fd07::/64 nexthop via fe80::1 dev v0 weight 3 nexthop via fe80::2 dev "
    "v0",
    "fd08::/64 via fd00::1 mtu 1400 advmss 1300",
    "default via fe80::1 dev v0 pref low",
    "local fd09::1 dev v0",
    "throw fd0a::/64 table 100",
    "fd0b::/64 via fd00::1 dev v0 onlink",
    "fd0c::/64 via fd00::1 table 200 pref medium",
};

Test(route_words, each_word_installs_as_ip_route_add_does, .timeout = 60)
{
	struct env e;
	char want[4096], got[4096], after[4096];

	env_init(&e, NULL);
	for (size_t i = 0; i < LX_ARRAY_SIZE(words); i++) {
		/* ip(8) in one fresh namespace ... */
		fresh(&e);
		sh("ip %s route add proto 76 %s",
		   strchr(words[i], ':') && !strstr(words[i], "inet6") ? "-6"
								       : "-4",
		   words[i]);
		our_routes(want, sizeof(want));
		cr_assert(want[0], "%s: ip added nothing visible", words[i]);
		/* ... and our reconcile in another. */
		fresh(&e);
		parse_into(&e, words[i]);
		cr_assert_eq(reconcile(&e), 0, "%s: %s", words[i], e.err.msg);
		assert_all_applied(&e);
		our_routes(got, sizeof(got));
		cr_assert_str_eq(got, want, "%s", words[i]);

		cr_assert_eq(reconcile(&e), 0, "%s: %s", words[i], e.err.msg);
		cr_assert_eq(e.rep.plan.n, 0,
			     "%s: second pass planned %zu ops (first: %s)",
			     words[i], e.rep.plan.n,
			     e.rep.plan.n ? lx_op_describe(&e.rep.plan.ops[0],
							   got, sizeof(got))
					  : "");

		sh("ip route add 10.99.0.0/16 dev v0 proto static");
		no_routes(&e);
		cr_assert_eq(reconcile(&e), 0, "%s: %s", words[i], e.err.msg);
		our_routes(after, sizeof(after));
		cr_assert_str_eq(after, "", "%s: not removed", words[i]);
		sh("ip route show 10.99.0.0/16 proto static | grep -q .");
	}
	env_fini(&e);
}

Test(route_order, gateway_route_waits_for_the_route_to_its_gateway)
{
	struct env e;

	env_init(&e, NULL);
	fresh(&e);
	/* Listed before what makes their gateways reachable. */
	parse_into(&e, "default via 10.100.0.1 table 100");
	parse_into(&e, "default via 169.254.1.1 dev v0");
	parse_into(&e, "10.100.0.0/24 dev v0 table 100");
	parse_into(&e, "169.254.1.1 dev v0 scope link");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	assert_all_applied(&e);
	cr_assert_eq(e.rep.plan.n, 4);
	cr_assert(!e.rep.plan.ops[0].u.route.has_gw);
	cr_assert(!e.rep.plan.ops[1].u.route.has_gw);
	sh("ip route show table 100 | grep -q 'default via 10.100.0.1'");
	sh("ip route show | grep -q 'default via 169.254.1.1'");
	env_fini(&e);
}

Test(route_identity, gateway_change_is_a_replace_metric_change_a_new_route)
{
	struct env e;

	env_init(&e, NULL);
	fresh(&e);
	parse_into(&e, "10.20.0.0/16 via 10.0.0.1");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(lx_route_parse("10.20.0.0/16 via 10.0.0.3", &e.d.routes[0],
				    "r", &e.err),
		     0);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 1);
	cr_assert_eq(e.rep.plan.ops[0].verb, LX_OP_UPDATE);
	sh("ip route show 10.20.0.0/16 | grep -q 'via 10.0.0.3'");
	/* A type change keeps the identity too: replaced. */
	cr_assert_eq(lx_route_parse("blackhole 10.20.0.0/16", &e.d.routes[0],
				    "r", &e.err),
		     0);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 1);
	cr_assert_eq(e.rep.plan.ops[0].verb, LX_OP_UPDATE);
	sh("ip route show table all | grep -q '^blackhole 10.20.0.0/16'");
	/* The metric is identity: a new route, the old one deleted. */
	cr_assert_eq(lx_route_parse("10.20.0.0/16 via 10.0.0.1 metric 5",
				    &e.d.routes[0], "r", &e.err),
		     0);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 2);
	cr_assert_eq(e.rep.plan.ops[0].verb, LX_OP_DELETE);
	cr_assert_eq(e.rep.plan.ops[1].verb, LX_OP_CREATE);
	/* IPv6: metric 0 and 1024 are the same route. */
	parse_into(&e, "fd20::/64 via fd00::1");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(lx_route_parse("fd20::/64 via fd00::1 metric 1024",
				    &e.d.routes[1], "r", &e.err),
		     0);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 0);
	env_fini(&e);
}

Test(route_owner, another_protocols_route_fails_unless_adopt)
{
	struct env e;

	env_init(&e, NULL);
	fresh(&e);
	sh("ip route add 10.50.0.0/16 dev v0 proto static");
	parse_into(&e, "10.50.0.0/16 via 10.0.0.1");
	cr_assert_lt(reconcile(&e), 0);
	cr_assert_eq(e.rep.plan.n, 1);
	cr_assert_eq(e.rep.plan.ops[0].state, LX_OPS_FAILED);
	cr_assert(strstr(e.rep.plan.ops[0].error, "held by proto static"), "%s",
		  e.rep.plan.ops[0].error);
	cr_assert(strstr(e.err.msg, "held by proto static"), "%s", e.err.msg);
	sh("ip route show 10.50.0.0/16 | grep -q 'dev v0 proto static'");

	e.d.opts.adopt = true;
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	sh("ip route show 10.50.0.0/16 | grep -q 'via 10.0.0.1 dev v0 proto "
	   "76'");
	sh("! ip route show 10.50.0.0/16 | grep -q static");
	/* Ours now: a shrunk document removes it. */
	no_routes(&e);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	sh("! ip route show 10.50.0.0/16 | grep -q .");
	env_fini(&e);
}
