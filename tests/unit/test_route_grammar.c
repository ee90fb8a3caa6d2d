/* SPDX-License-Identifier: MIT */
/*
 * The route, rule and neighbour grammars (every word of SPEC.md), their
 * text forms, the route codec's new attributes and the pure diff of rules,
 * neighbours and another protocol's objects. No kernel.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/fib_rules.h>
#include <linux/icmpv6.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "desired.h"
#include "grammar.h"
#include "neigh.h"
#include "route.h"
#include "rtnl.h"
#include "rule.h"

static struct lx_route route(const char *s)
{
	struct lx_route r;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(lx_route_parse(s, &r, "r", &e), 0, "%s: %s", s, e.msg);
	return r;
}

/* Parse, format, parse again: the same value. Returns the text form. */
static const char *round_trip(const char *s, char *buf, size_t len)
{
	struct lx_route a = route(s), b;

	lx_route_format(&a, false, buf, len);
	b = route(buf);
	cr_assert(lx_route_same(&a, &b), "%s -> %s", s, buf);
	lx_route_fini(&a);
	lx_route_fini(&b);
	return buf;
}

static void bad(const char *s, const char *want)
{
	struct lx_route r;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_neq(lx_route_parse(s, &r, "r", &e), 0, "accepted: %s", s);
	cr_assert(strstr(e.msg, want), "%s\n  message: %s\n  lacks: %s", s,
		  e.msg, want);
}

Test(route_grammar, types)
{
	char buf[512];

	cr_assert_eq(route("blackhole 10.0.0.0/8").type, RTN_BLACKHOLE);
	cr_assert_eq(route("unreachable 10.0.0.0/8").type, RTN_UNREACHABLE);
	cr_assert_eq(route("prohibit fd00::/8").type, RTN_PROHIBIT);
	cr_assert_eq(route("throw 10.0.0.0/8 table 5").type, RTN_THROW);
	cr_assert_eq(route("unicast 10.0.0.0/8 dev eth0").type, RTN_UNICAST);
	/* local: table local unless told, like ip(8) */
	cr_assert_eq(route("local 10.0.0.9 dev eth0").table, RT_TABLE_LOCAL);
	cr_assert_eq(route("local 10.0.0.9 dev eth0 table main").table, 0);
	cr_assert_str_eq(
	    round_trip("local 10.0.0.9 dev eth0 table main", buf, sizeof(buf)),
	    "local 10.0.0.9/32 dev eth0 table main");
	cr_assert_str_eq(round_trip("blackhole fd00::/8", buf, sizeof(buf)),
			 "blackhole fd00::/8");
}

Test(route_grammar, onlink_via_inet6_pref_and_aliases)
{
	struct lx_route r = route("default via 169.254.1.1 dev eth0 onlink");
	char buf[512];

	cr_assert(r.onlink && r.has_gw && r.family == AF_INET);
	r = route("10.1.0.0/16 via inet6 fe80::1 dev eth0");
	cr_assert(r.family == AF_INET && r.gw_family == AF_INET6);
	cr_assert_str_eq(round_trip("0.0.0.0/0 via inet6 fe80::1 dev eth0", buf,
				    sizeof(buf)),
			 "0.0.0.0/0 via inet6 fe80::1 dev eth0");
	/* "default via inet6 X" is an IPv6 route, as for ip(8). */
	r = route("default via inet6 fd00::1");
	cr_assert(r.family == AF_INET6 && r.gw_family == 0);
	cr_assert_eq(route("fd01::/64 via fd00::1 pref high").pref,
		     ICMPV6_ROUTER_PREF_HIGH);
	cr_assert_eq(route("fd01::/64 via fd00::1 pref low").pref,
		     ICMPV6_ROUTER_PREF_LOW);
	cr_assert_eq(route("10.0.0.0/8 dev eth0 priority 7").metric, 7);
	cr_assert_eq(route("10.0.0.0/8 dev eth0 preference 8").metric, 8);
	cr_assert_eq(route("10.0.0.0/8 dev eth0 table default").table,
		     RT_TABLE_DEFAULT);
	cr_assert_eq(route("10.0.0.0/8 dev eth0 table local").table,
		     RT_TABLE_LOCAL);
	cr_assert_eq(route("10.0.0.0/8 dev eth0 table 254").table, 0);
	cr_assert_eq(route("10.0.0.0/8 dev eth0 scope 7").scope, 7);
	/* IPv6 /0 without a gateway to tell the family: spelled out. */
	cr_assert_str_eq(round_trip("::/0 dev eth0", buf, sizeof(buf)),
			 "::/0 dev eth0");
}

Test(route_grammar, metrics_with_locks)
{
	struct lx_route r =
	    route("10.9.0.0/16 via 10.0.0.1 mtu lock 1400 advmss 1360 "
		  "initcwnd 10 initrwnd 20 quickack 1 congctl lock cubic");
	char buf[512];

	cr_assert_eq(r.mtu, 1400);
	cr_assert_eq(r.advmss, 1360);
	cr_assert_eq(r.initcwnd, 10);
	cr_assert_eq(r.initrwnd, 20);
	cr_assert_eq(r.quickack, 1);
	cr_assert_str_eq(r.congctl, "cubic");
	cr_assert_eq(r.locks, (1u << RTAX_MTU) | (1u << RTAX_CC_ALGO));
	cr_assert_eq(route("10.0.0.0/8 dev eth0 mtu 1400").locks, 0);
	round_trip("10.9.0.0/16 via 10.0.0.1 mtu lock 1400 advmss 1360 "
		   "initcwnd 10 initrwnd 20 quickack 1 congctl lock cubic",
		   buf, sizeof(buf));
}

Test(route_grammar, multipath)
{
	struct lx_route r = route("10.8.0.0/16 nexthop via 10.0.0.1 weight 2 "
				  "nexthop via 10.0.0.3 dev eth1 onlink");
	char buf[512];

	cr_assert_eq(r.n_nexthops, 2);
	cr_assert_eq(r.nh[0].weight, 2);
	cr_assert_str_eq(r.nh[1].dev, "eth1");
	cr_assert(r.nh[1].onlink && !r.has_gw);
	lx_route_fini(&r);
	round_trip("fd07::/64 nexthop via fe80::1 dev eth0 weight 3 nexthop "
		   "via fe80::2 dev eth0",
		   buf, sizeof(buf));
	/* One nexthop is the plain form (the kernel stores it so). */
	r = route("10.8.0.0/16 nexthop via 10.0.0.1 dev eth0 weight 5");
	cr_assert(r.n_nexthops == 0 && r.has_gw && !strcmp(r.dev, "eth0"));
	/* "default nexthop via fd00::1 ...": the family from the gateway. */
	r = route("default nexthop via fd00::1 nexthop via fd00::3");
	cr_assert_eq(r.family, AF_INET6);
	lx_route_fini(&r);
}

Test(route_grammar, object_form_takes_the_same_keys)
{
	json_t *v = json_loads(
	    "{\"type\":\"unicast\",\"dst\":\"10.8.0.0/16\",\"metric\":5,"
	    "\"table\":\"local\",\"mtu\":1400,\"mtu_lock\":true,\"advmss\":"
	    "1300,\"initcwnd\":4,\"initrwnd\":8,\"quickack\":1,\"congctl\":"
	    "\"reno\",\"nexthops\":[{\"via\":\"10.0.0.1\",\"weight\":2},"
	    "{\"via\":\"10.0.0.3\",\"dev\":\"eth0\",\"onlink\":true}]}",
	    0, NULL);
	struct lx_route r, s;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert(v);
	cr_assert_eq(lx_route_from_json(v, &r, "r", &e), 0, "%s", e.msg);
	s = route("10.8.0.0/16 metric 5 table local mtu lock 1400 advmss 1300 "
		  "initcwnd 4 initrwnd 8 quickack 1 congctl reno nexthop via "
		  "10.0.0.1 weight 2 nexthop via 10.0.0.3 dev eth0 onlink");
	cr_assert(lx_route_same(&r, &s));
	lx_route_fini(&r);
	lx_route_fini(&s);
	json_decref(v);
	v = json_loads("{\"dst\":\"fd00::/64\",\"via\":\"inet6 fe80::1\","
		       "\"dev\":\"eth0\",\"pref\":\"high\",\"onlink\":true}",
		       0, NULL);
	cr_assert_eq(lx_route_from_json(v, &r, "r", &e), 0, "%s", e.msg);
	cr_assert(r.onlink && r.pref == ICMPV6_ROUTER_PREF_HIGH);
	json_decref(v);
}

Test(route_grammar, bad_words_name_the_field_and_value)
{
	bad("10.0.0.0/8 dev eth0 proto static",
	    "r: \"proto\" is not a route word: the protocol is ours, set by "
	    "options.protocol");
	bad("10.0.0.0/8 nexthop via 10.0.0.1 weight 0 nexthop via 10.0.0.2",
	    "invalid nexthop weight \"0\" (1..256)");
	bad("10.0.0.0/8 nexthop via 10.0.0.1 weight 257 nexthop via 10.0.0.2",
	    "invalid nexthop weight \"257\"");
	bad("10.0.0.0/8 nexthop dev eth0 nexthop via 10.0.0.2",
	    "nexthop 1 has no \"via\"");
	bad("10.0.0.0/8 nexthop via 10.0.0.1 metric 5",
	    "unknown word \"metric\" in a nexthop");
	bad("10.0.0.0/8 dev eth0 onlink", "\"onlink\" is for a gateway");
	bad("10.0.0.0/8 via 10.0.0.1 onlink", "\"onlink\" needs \"dev\"");
	bad("unreachable 10.0.0.0/8 dev eth0",
	    "a unreachable route has no gateway");
	bad("local 10.0.0.9 via 10.0.0.1", "a local route has no gateway");
	bad("10.0.0.0/8 dev eth0 pref high", "\"pref\" is for IPv6 routes");
	bad("fd00::/8 dev eth0 pref 3", "invalid pref \"3\"");
	bad("10.0.0.0/8 dev eth0 quickack 2", "invalid quickack \"2\"");
	bad("10.0.0.0/8 dev eth0 advmss 0", "invalid advmss \"0\"");
	bad("10.0.0.0/8 dev eth0 initcwnd 70000", "invalid initcwnd");
	bad("10.0.0.0/8 dev eth0 initrwnd x", "invalid initrwnd");
	bad("10.0.0.0/8 dev eth0 congctl a-very-long-algorithm",
	    "invalid congctl");
	bad("10.0.0.0/8 dev eth0 mtu lock", "\"mtu\" needs a value");
	bad("10.0.0.0/8 dev eth0 metric 1 preference 2",
	    "\"metric\" and \"preference\" are the same");
	bad("10.0.0.0/8 dev eth0 table nine", "invalid table \"nine\"");
	bad("fd00::/8 via inet6 10.0.0.1", "is not IPv6");
	bad("fd00::/8 via inet 10.0.0.1", "is IPv4 but destination");
	bad("10.0.0.0/8 via 10.0.0.1 nexthop via 10.0.0.2 nexthop via 10.0.0.3",
	    "go inside each \"nexthop\"");
	bad("anycast 10.0.0.0/8", "unknown word");
}

/* --------------------------------------------------------------- rules */

static struct lx_rule rule(const char *s)
{
	struct lx_rule r, b;
	struct lx_error e;
	char buf[512];

	lx_error_clear(&e);
	cr_assert_eq(lx_rule_parse(s, &r, "u", &e), 0, "%s: %s", s, e.msg);
	lx_rule_format(&r, false, buf, sizeof(buf));
	cr_assert_eq(lx_rule_parse(buf, &b, "u", &e), 0, "%s -> %s: %s", s, buf,
		     e.msg);
	cr_assert_eq(memcmp(&r, &b, sizeof(r)), 0, "%s -> %s", s, buf);
	return r;
}

static void bad_rule(const char *s, const char *want)
{
	struct lx_rule r;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_neq(lx_rule_parse(s, &r, "u", &e), 0, "accepted: %s", s);
	cr_assert(strstr(e.msg, want), "%s\n  message: %s\n  lacks: %s", s,
		  e.msg, want);
}

Test(rule_grammar, every_selector_and_action)
{
	struct lx_rule r = rule("from 10.0.0.2 table 100 priority 1000");

	cr_assert(r.family == AF_INET && r.src_len == 32 && r.has_priority);
	cr_assert(r.action == FR_ACT_TO_TBL && r.table == 100);
	r = rule("not from 10.0.0.0/8 to 10.9.0.0/16 iif eth0 oif eth1 fwmark "
		 "0x10/0xff ipproto tcp sport 1000-2000 dport 80 tos 16 lookup "
		 "main");
	cr_assert(r.invert && r.dst_len == 16 && !strcmp(r.iif, "eth0"));
	cr_assert(r.has_fwmark && r.fwmark == 0x10 && r.fwmask == 0xff);
	cr_assert(r.ipproto == 6 && r.sport_lo == 1000 && r.sport_hi == 2000);
	cr_assert(r.dport_lo == 80 && r.dport_hi == 80 && r.tos == 16);
	cr_assert(r.table == RT_TABLE_MAIN && !r.has_priority);
	cr_assert_eq(rule("fwmark 7 table 5").fwmask, UINT32_MAX);
	cr_assert_eq(rule("-6 from all blackhole").family, AF_INET6);
	cr_assert_eq(rule("from fd00::/64 unreachable pref 5").action,
		     FR_ACT_UNREACHABLE);
	cr_assert_eq(rule("to 10.0.0.0/8 prohibit").action, FR_ACT_PROHIBIT);
}

Test(rule_grammar, bad_rules)
{
	bad_rule("from 10.0.0.2", "a rule needs an action");
	bad_rule("from 10.0.0.2 table 1 prohibit", "two actions");
	bad_rule("from 10.0.0.2 to fd00::/8 table 1", "mixed IPv4 and IPv6");
	bad_rule("-6 from 10.0.0.2 table 1", "mixed IPv4 and IPv6");
	bad_rule("from 10.0.0.1/8 table 1", "host bits set");
	bad_rule("dport 0 table 1", "invalid dport \"0\"");
	bad_rule("sport 9-8 table 1", "invalid sport \"9-8\"");
	bad_rule("ipproto bogus table 1", "invalid ipproto \"bogus\"");
	bad_rule("fwmark 0x1g table 1", "invalid fwmark");
	bad_rule("priority -1 table 1", "invalid priority \"-1\"");
	bad_rule("table 0", "invalid table \"0\"");
	bad_rule("tos 256 table 1", "invalid tos \"256\"");
	bad_rule("from all table 1 proto kernel", "is not a rule word");
	bad_rule("iif a/b table 1", "invalid interface name");
}

/* ---------------------------------------------------------- neighbours */

Test(neigh_grammar, permanent_noarp_and_bad)
{
	struct lx_neigh n, b;
	struct lx_error e;
	char buf[256];

	lx_error_clear(&e);
	cr_assert_eq(
	    lx_neigh_parse("10.0.0.1 lladdr 02:00:0a:00:00:01 dev eth0", &n,
			   "n", &e),
	    0, "%s", e.msg);
	cr_assert(n.state == NUD_PERMANENT && n.lladdr[5] == 1);
	cr_assert_str_eq(lx_neigh_format(&n, false, buf, sizeof(buf)),
			 "10.0.0.1 lladdr 02:00:0a:00:00:01 dev eth0");
	cr_assert_eq(lx_neigh_parse("fd00::1 dev eth0 lladdr 2:0:a:0:0:2 nud "
				    "noarp",
				    &n, "n", &e),
		     0, "%s", e.msg);
	cr_assert_eq(n.state, NUD_NOARP);
	lx_neigh_format(&n, false, buf, sizeof(buf));
	cr_assert_eq(lx_neigh_parse(buf, &b, "n", &e), 0);
	cr_assert_eq(memcmp(&n, &b, sizeof(n)), 0);
	{
		static const char *const bads[][2] = {
		    {"10.0.0.1 lladdr 02:00:0a:00:00:01:07 dev eth0",
		     "invalid lladdr \"02:00:0a:00:00:01:07\" (6 octets"},
		    {"10.0.0.1 lladdr 02:00:0a:00:00 dev eth0",
		     "invalid lladdr"},
		    {"10.0.0.1 lladdr 02:00:0a:00:00:0g dev eth0",
		     "invalid lladdr"},
		    {"10.0.0.1 dev eth0", "missing \"lladdr MAC\""},
		    {"10.0.0.1 lladdr 02:00:0a:00:00:01",
		     "missing \"dev DEV\""},
		    {"10.0.0.0/8 lladdr 02:00:0a:00:00:01 dev eth0",
		     "must be a bare address"},
		    {"10.0.0.1 lladdr 02:00:0a:00:00:01 dev eth0 nud stale",
		     "invalid nud \"stale\""},
		    {"10.0.0.1 lladdr 02:00:0a:00:00:01 dev eth0 proto 4",
		     "is not a neighbour word"},
		};

		for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
			lx_error_clear(&e);
			cr_assert_neq(lx_neigh_parse(bads[i][0], &n, "n", &e),
				      0, "accepted %s", bads[i][0]);
			cr_assert(strstr(e.msg, bads[i][1]), "%s: %s",
				  bads[i][0], e.msg);
		}
	}
}

/* ---------------------------------------------------------- codec */

Test(route_codec, multipath_metrics_pref_and_via_round_trip)
{
	const char *lines[] = {
	    "10.8.0.0/16 nexthop via 10.0.0.1 weight 2 nexthop via 10.0.0.3 "
	    "onlink dev eth0",
	    "fd01::/64 via fd00::1 pref high mtu lock 1400 advmss 1300 "
	    "initcwnd 4 initrwnd 8 quickack 1 congctl lock reno",
	    "10.1.0.0/16 via inet6 fe80::1 dev eth0 onlink",
	    "blackhole 10.2.0.0/16 metric 9 table 100",
	};
	char buf[LX_NL_MSG_MAX];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct lx_route want = route(lines[i]), back;
		int oifs[LX_NEXTHOPS_MAX] = {0, 7};
		struct nlmsghdr *nlh;

		lx_route_normalize(&want);
		nlh = lx_route_msg_new(buf, LX_NL_CREATE, &want, 76, 0, oifs);
		nlh->nlmsg_type = RTM_NEWROUTE;
		cr_assert_eq(lx_route_from_msg(nlh, &back), 0);
		/* Names are the caller's: the codec gives ifindexes. */
		for (size_t k = 0; k < back.n_nexthops; k++)
			memcpy(back.nh[k].dev, want.nh[k].dev, IFNAMSIZ);
		memcpy(back.dev, want.dev, IFNAMSIZ);
		cr_assert_eq(lx_route_cmp(&want, &back), 0, "%s", lines[i]);
		cr_assert(lx_route_attrs_equal(&want, &back), "%s", lines[i]);
		if (want.n_nexthops)
			cr_assert_eq(back.nh[1].oif, 7);
		lx_route_fini(&want);
		lx_route_fini(&back);
	}
}

/* What the kernel reports for an IPv6 route we asked for without metric
 * or pref (1024, medium) and a metric it clamps: equal, no update. */
Test(route_compare, kernel_defaults_compare_equal)
{
	struct lx_route d = route("fd01::/64 via fd00::1");
	struct lx_route o = d;

	lx_route_normalize(&o);
	o.pref = ICMPV6_ROUTER_PREF_MEDIUM;
	o.scope = RT_SCOPE_UNIVERSE;
	o.protocol = 76;
	cr_assert_eq(lx_route_cmp(&d, &o), 0);
	cr_assert(lx_route_attrs_equal(&d, &o));
	d = route("10.1.0.0/16 via 10.0.0.1 mtu 65535 advmss 65535");
	o = d;
	o.mtu = 65520;
	o.advmss = 65495;
	o.scope = RT_SCOPE_UNIVERSE;
	cr_assert(lx_route_attrs_equal(&d, &o));
	o.mtu = 1400;
	cr_assert_not(lx_route_attrs_equal(&d, &o));
	/* Multipath: a set, in whatever order the kernel keeps it. */
	d = route("10.8.0.0/16 nexthop via 10.0.0.1 nexthop via 10.0.0.3");
	/* nexthops of its own, to reorder */
	cr_assert_eq(lx_route_copy(&o, &d), 0);
	o.nh[0] = d.nh[1];
	o.nh[1] = d.nh[0];
	o.nh[0].weight = o.nh[1].weight = 1;
	o.scope = RT_SCOPE_UNIVERSE;
	cr_assert(lx_route_attrs_equal(&d, &o));
	o.nh[0].weight = 2;
	cr_assert_not(lx_route_attrs_equal(&d, &o));
	lx_route_fini(&d);
	lx_route_fini(&o);
}

/* ---------------------------------------------------------- diff */

static size_t diff(const struct lx_desired *d, const struct lx_rtnl_state *s,
		   struct lx_plan *p)
{
	struct lx_error e;

	memset(p, 0, sizeof(*p));
	lx_error_clear(&e);
	cr_assert_eq(lx_rtnl_diff(d, s, NULL, 76, p, &e), 0, "%s", e.msg);
	return p->n;
}

Test(rule_diff, two_way_by_protocol_and_the_defaults_stay)
{
	struct lx_rule want[] = {rule("from 10.0.0.2 table 100"),
				 rule("from 10.0.0.3 table 100 priority 50")};
	struct lx_rule obs[] = {
	    rule("from all lookup local priority 0"),
	    rule("from all lookup main priority 32766"),
	    rule("from all lookup default priority 32767"),
	    rule("from 10.0.0.2 table 100 priority 999"),
	    rule("from 10.0.0.3 table 100 priority 51"),
	    rule("from 10.0.0.4 table 100 priority 52"),
	};
	struct lx_desired d = {.rules = want, .n_rules = 2};
	struct lx_rtnl_state s = {.rules = obs, .n_rules = 6};
	struct lx_plan p;

	lx_options_init(&d.opts);
	for (int i = 0; i < 3; i++)
		obs[i].protocol = RTPROT_KERNEL;
	for (int i = 3; i < 6; i++)
		obs[i].protocol = 76;
	for (int i = 0; i < 6; i++)
		obs[i].has_priority = true;
	/* 10.0.0.2 (any priority) is there; 10.0.0.3 has another priority:
	 * delete + create; 10.0.0.4 is ours and not desired: delete. */
	cr_assert_eq(diff(&d, &s, &p), 3);
	cr_assert_eq(p.ops[0].verb, LX_OP_DELETE);
	cr_assert_eq(p.ops[1].verb, LX_OP_DELETE);
	cr_assert_eq(p.ops[2].verb, LX_OP_CREATE);
	cr_assert_eq(p.ops[2].u.rule.priority, 50);
	lx_plan_free(&p);
}

Test(rule_diff, default_rule_is_never_adopted)
{
	struct lx_rule want[] = {rule("from all lookup main priority 32766")};
	struct lx_rule obs[] = {rule("from all lookup main priority 32766")};
	struct lx_desired d = {.rules = want, .n_rules = 1};
	struct lx_rtnl_state s = {.rules = obs, .n_rules = 1};
	struct lx_plan p;

	lx_options_init(&d.opts);
	d.opts.adopt = true;
	obs[0].protocol = RTPROT_KERNEL;
	cr_assert_eq(diff(&d, &s, &p), 1);
	cr_assert_eq(p.ops[0].state, LX_OPS_FAILED);
	cr_assert(strstr(p.ops[0].error, "default rule"));
	lx_plan_free(&p);
}

Test(owner_diff, another_protocol_fails_naming_it_unless_adopt)
{
	struct lx_route want[] = {route("10.5.0.0/16 via 10.0.0.1")};
	struct lx_route obs[] = {route("10.5.0.0/16 dev eth0")};
	struct lx_rule wr[] = {rule("from 10.0.0.2 table 7")};
	struct lx_rule orr[] = {rule("from 10.0.0.2 table 7 priority 9")};
	struct lx_desired d = {
	    .routes = want, .n_routes = 1, .rules = wr, .n_rules = 1};
	struct lx_rtnl_state s = {
	    .routes = obs, .n_routes = 1, .rules = orr, .n_rules = 1};
	struct lx_plan p;

	lx_options_init(&d.opts);
	obs[0].protocol = RTPROT_STATIC;
	orr[0].protocol = RTPROT_BOOT;
	cr_assert_eq(diff(&d, &s, &p), 2);
	cr_assert_eq(p.ops[0].state, LX_OPS_FAILED);
	cr_assert(strstr(p.ops[0].error, "held by proto static"), "%s",
		  p.ops[0].error);
	cr_assert(strstr(p.ops[1].error, "held by proto boot"));
	lx_plan_free(&p);

	d.opts.adopt = true;
	cr_assert_eq(diff(&d, &s, &p), 3);
	/* rule: theirs deleted, ours created; route: replaced */
	cr_assert_eq(p.ops[0].verb, LX_OP_DELETE);
	cr_assert_eq(p.ops[0].obj, LX_OBJ_RULE);
	cr_assert_eq(p.ops[1].verb, LX_OP_UPDATE);
	cr_assert_eq(p.ops[1].obj, LX_OBJ_ROUTE);
	cr_assert_eq(p.ops[2].verb, LX_OP_CREATE);
	cr_assert_eq(p.ops[2].obj, LX_OBJ_RULE);
	for (size_t i = 0; i < p.n; i++)
		cr_assert_eq(p.ops[i].state, LX_OPS_PLANNED);
	lx_plan_free(&p);
}

Test(neigh_diff, learned_entry_is_replaced_permanent_one_is_held)
{
	struct lx_neigh want[1], obs[2];
	struct lx_desired d = {.neighs = want, .n_neighs = 1};
	struct lx_rtnl_state s = {.neighs = obs, .n_neighs = 1};
	struct lx_error e;
	struct lx_plan p;

	lx_options_init(&d.opts);
	lx_error_clear(&e);
	cr_assert_eq(
	    lx_neigh_parse("10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0",
			   &want[0], "n", &e),
	    0);
	obs[0] = want[0];
	obs[0].state = NUD_REACHABLE;
	obs[0].lladdr[5] = 9;
	obs[0].protocol = 0;
	cr_assert_eq(diff(&d, &s, &p), 1);
	cr_assert_eq(p.ops[0].verb, LX_OP_UPDATE);
	lx_plan_free(&p);
	obs[0].state = NUD_PERMANENT;
	cr_assert_eq(diff(&d, &s, &p), 1);
	cr_assert_eq(p.ops[0].state, LX_OPS_FAILED);
	lx_plan_free(&p);
	/* Ours and equal: nothing; ours not desired: deleted. */
	obs[0] = want[0];
	obs[0].protocol = 76;
	cr_assert_eq(diff(&d, &s, &p), 0);
	d.n_neighs = 0;
	cr_assert_eq(diff(&d, &s, &p), 1);
	cr_assert_eq(p.ops[0].verb, LX_OP_DELETE);
	lx_plan_free(&p);
}

Test(rtnl_diff, kinds_in_spec_order)
{
	struct lx_route wr[] = {route("10.5.0.0/16 via 10.0.0.1"),
				route("10.6.0.0/16 dev eth0")};
	struct lx_rule wu[] = {rule("from 10.0.0.2 table 7")};
	struct lx_neigh wn[1];
	struct lx_route orr[] = {route("10.7.0.0/16 dev eth0")};
	struct lx_rule ou[] = {rule("from 10.0.0.3 table 7 priority 3")};
	struct lx_neigh on[1];
	struct lx_desired d = {.routes = wr,
			       .n_routes = 2,
			       .rules = wu,
			       .n_rules = 1,
			       .neighs = wn,
			       .n_neighs = 1};
	struct lx_rtnl_state s = {.routes = orr,
				  .n_routes = 1,
				  .rules = ou,
				  .n_rules = 1,
				  .neighs = on,
				  .n_neighs = 1};
	static const enum lx_obj order[] = {
	    LX_OBJ_RULE,  LX_OBJ_ROUTE, LX_OBJ_NEIGH, LX_OBJ_NEIGH,
	    LX_OBJ_ROUTE, LX_OBJ_ROUTE, LX_OBJ_RULE};
	struct lx_error e;
	struct lx_plan p;

	lx_options_init(&d.opts);
	lx_error_clear(&e);
	cr_assert_eq(
	    lx_neigh_parse("10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0", &wn[0],
			   "n", &e),
	    0);
	cr_assert_eq(
	    lx_neigh_parse("10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0", &on[0],
			   "n", &e),
	    0);
	orr[0].protocol = ou[0].protocol = on[0].protocol = 76;
	cr_assert_eq(diff(&d, &s, &p), 7);
	for (size_t i = 0; i < 7; i++)
		cr_assert_eq(p.ops[i].obj, order[i], "op %zu", i);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(p.ops[i].verb, LX_OP_DELETE);
	/* the route without a gateway before the one through 10.0.0.1 */
	cr_assert(!p.ops[4].u.route.has_gw && p.ops[5].u.route.has_gw);
	lx_plan_free(&p);
}
