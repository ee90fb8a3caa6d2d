/* SPDX-License-Identifier: MIT */
/*
 * `observe --desired` round trip against the real kernel: a namespace set
 * up with ip(8), exported as a document (through its JSON text, as the
 * command prints it), reconciled with adopt: converged, then a second pass
 * applies nothing, and nothing the kernel made was touched. Links too: a
 * veth whose peer is in the "host" namespace (enslaved there), one whose
 * peer is down at another mtu, a macvlan on a host parent, a local bridge
 * with its mtu, address and txqlen, a veth with both ends inside; deleted
 * afterwards, the exported document makes them again as they were.
 */
#include "desired.h"
#include "format.h"
#include "link.h"
#include "rtnl_export.h"
#include "test_rtnl_helpers.h"

/* The host namespace of env_init: a bridge for a peer, a parent for a
 * macvlan. */
static void host_setup(void)
{
	/* Set after creation: a bridge whose mtu the user set keeps it
	 * when its last port goes (else it falls back to 1500). */
	sh("ip link add hbr0 address 02:00:00:00:0b:00 type bridge && "
	   "ip link set hbr0 mtu 1450 up");
	sh("ip link add hp0 type veth peer name hp1 && ip link set hp0 up");
}

/* The target's links, made through the host as a runtime makes them. */
static void setup_links(const struct env *e)
{
	char host[64];

	snprintf(host, sizeof(host), "/proc/%d/fd/%d", (int)getpid(),
		 e->hostfd);
	sh("ip link add c0 mtu 1450 type veth peer name lxh-c0 mtu 1450 "
	   "netns %s",
	   host);
	host_sh(e, "ip link set lxh-c0 master hbr0 up");
	sh("ip link set c0 address 02:00:00:00:0c:00 up");
	sh("ip link add c1 mtu 1400 type veth peer name lxh-c1 mtu 1300 "
	   "netns %s",
	   host);
	sh("ip link set c1 txqlen 700 up");
	host_sh(e, "ip link add mv0 link hp0 type macvlan mode bridge");
	host_sh(e, "ip link set mv0 netns /proc/%d/task/%d/ns/net",
		(int)getpid(), (int)gettid());
	sh("ip link set mv0 address 02:00:00:00:0d:00 mtu 1400 up");
	sh("ip link add br1 type bridge && ip link set br1 address "
	   "02:00:00:00:0b:01 mtu 1400 txqlen 500 up");
	/* A bridge without ports reads UNKNOWN until the kernel's carrier
	 * check runs: let it settle before the snapshots. */
	sh("for i in $(seq 100); do ip link show br1 | grep -q NO-CARRIER && "
	   "exit 0; sleep 0.05; done; exit 1");
}

static const struct lx_link *exported_link(const struct lx_desired *d,
					   const char *name)
{
	for (size_t i = 0; i < d->n_links; i++)
		if (!strcmp(d->links[i].name, name))
			return &d->links[i];
	cr_assert_fail("link %s not exported", name);
	return NULL;
}

static void assert_exported(const struct lx_desired *d, const char *name,
			    const char *want)
{
	char buf[256];

	cr_assert_str_eq(
	    lx_link_format(exported_link(d, name), buf, sizeof(buf)), want);
}

/* What the host namespace shows, and the id the target gives it. */
static void host_of(struct env *e, struct lx_rtnl_host *h,
		    struct lx_link **links)
{
	size_t n = 0;

	cr_assert_eq(lx_link_dump(e->host, links, &n, &e->err), 0, "%s",
		     e->err.msg);
	*h = (struct lx_rtnl_host){.links = *links, .n_links = n};
	cr_assert_eq(lx_rtnl_netns_id_get(e->nl, e->hostfd, &h->nsid), 0);
	cr_assert_geq(h->nsid, 0);
}

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
	   "grep -v 'lladdr 01:00:5e' | "
	   "sed 's/ proto [a-z0-9]*//' > %s",
	   path);
}

/* Every link as ip shows it, in both namespaces: sorted, ifindexes aside
 * (the remade ones get new ones), a host peer's MAC (the kernel picks one
 * when it makes the pair) and the carrier, which settles on the kernel's
 * timer. */
static void link_snapshot(const struct env *e, const char *path)
{
	sh("ip -o link > %s.raw", path);
	host_sh(e, "ip -o link >> %s.raw", path);
	sh("sed -E 's/^[0-9]+: //; s/@if[0-9]+//; s/link-netnsid [0-9]+//; "
	   "s/(NO-CARRIER|LOWER_UP|M-DOWN),?//g; s/,>/>/; s/ state [A-Z]+//; "
	   "/^lxh-/ s/link\\/ether [0-9a-f:]+//' %s.raw | sort > %s && "
	   "rm %s.raw",
	   path, path, path);
}

Test(observe_desired, round_trip_converges_with_zero_ops)
{
	char before[64], after[64], lbefore[64], lafter[64];
	struct lx_rtnl_state s;
	struct lx_rtnl_host h;
	struct lx_link *hl = NULL;
	struct lx_desired exported;
	struct env e;
	json_t *doc;
	char *text;

	env_init(&e, host_setup);
	setup_ns();
	setup_links(&e);
	snprintf(before, sizeof(before), "/tmp/lx-obs-%d.before", getpid());
	snprintf(after, sizeof(after), "/tmp/lx-obs-%d.after", getpid());
	snprintf(lbefore, sizeof(lbefore), "/tmp/lx-obs-%d.lbefore", getpid());
	snprintf(lafter, sizeof(lafter), "/tmp/lx-obs-%d.lafter", getpid());
	snapshot(before);
	link_snapshot(&e, lbefore);

	observe(&e, &s);
	host_of(&e, &h, &hl);
	cr_assert_eq(lx_rtnl_state_to_desired(&s, &h, &exported), 0);
	lx_rtnl_state_free(&s);
	free(hl);
	/* What the kernel made is not in it. */
	cr_assert_eq(exported.n_addrs, 2, "addresses: %zu", exported.n_addrs);
	cr_assert_eq(exported.n_routes, 7, "routes: %zu", exported.n_routes);
	cr_assert_eq(exported.n_rules, 2, "rules: %zu", exported.n_rules);
	cr_assert_eq(exported.n_neighs, 2, "neighbours: %zu",
		     exported.n_neighs);
	cr_assert(exported.opts.adopt);
	/* lo is the kernel's: only its state. The host side is named. */
	assert_exported(&exported, "lo", "lo up");
	assert_exported(&exported, "c0",
			"c0 veth peer lxh-c0 master hbr0 mtu 1450 address "
			"02:00:00:00:0c:00 txqlen 1000 up");
	assert_exported(&exported, "mv0",
			"mv0 macvlan parent hp0 mode bridge mtu 1400 address "
			"02:00:00:00:0d:00 txqlen 1000 up");
	assert_exported(&exported, "br1",
			"br1 bridge mtu 1400 address 02:00:00:00:0b:01 "
			"txqlen 500 up");
	cr_assert_eq(exported_link(&exported, "c1")->kind, LX_LINK_VETH);
	cr_assert_eq(exported_link(&exported, "c1")->peer_up, 0);
	cr_assert_eq(exported_link(&exported, "c1")->peer_mtu, 1300);
	cr_assert_eq(exported_link(&exported, "c1")->txqlen, 700);
	/* Both ends here: nothing a document's veth makes. */
	cr_assert_eq(exported_link(&exported, "v0")->kind, LX_LINK_EXISTING);
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
	link_snapshot(&e, lafter);
	sh("diff -u %s %s", lbefore, lafter);
	/* The adopted objects are ours now. */
	sh("ip route show 10.9.0.0/16 table all | grep -q 'proto 76'");
	sh("ip -6 rule | grep -q 'fwmark 0x10/0xff lookup 200 proto 76'");
	sh("ip neigh show 10.0.0.3 nud all | grep -q 'proto 76'");
	sh("ip route show 10.0.0.0/24 | grep -q 'proto kernel'");

	/* The document reproduces the links: gone, they are made again
	 * as they were (the veth peers with them, on the host). */
	sh("ip link del c0 && ip link del c1 && ip link del mv0 && "
	   "ip link del br1");
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	assert_all_applied(&e);
	cr_assert_eq(reconcile(&e), 0, "%s", e.err.msg);
	cr_assert_eq(e.rep.plan.n, 0, "after remaking: %zu ops", e.rep.plan.n);
	link_snapshot(&e, lafter);
	sh("diff -u %s %s", lbefore, lafter);
	unlink(before);
	unlink(after);
	unlink(lbefore);
	unlink(lafter);
	env_fini(&e);
}
