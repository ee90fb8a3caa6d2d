/* SPDX-License-Identifier: MIT */
/*
 * observe --desired's links, pure (lib/rtnl_export.c): which observed
 * link becomes which document link, given what the host namespace shows.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "format.h"
#include "rtnl_export.h"

static struct lx_link obs(const char *name, enum lx_link_kind kind, int ifindex)
{
	struct lx_link l;

	memset(&l, 0, sizeof(l));
	snprintf(l.name, sizeof(l.name), "%s", name);
	l.kind = kind;
	l.ifindex = ifindex;
	l.up = 1;
	l.peer_up = LX_UNSET;
	l.mtu = 1500;
	l.has_txqlen = true;
	l.txqlen = 1000;
	l.has_mac = true;
	memcpy(l.mac, "\x02\x00\x00\x00\x00\x02", 6);
	return l;
}

/* The target's eth0 (ifindex 2) and its peer lxh0 (ifindex 9) in the host,
 * which the target knows as nsid 0; lxh0 enslaved to lxbr0 (ifindex 5). */
struct fixture {
	struct lx_link host[3], eth0;
	struct lx_rtnl_host h;
};

static void fixture(struct fixture *f)
{
	f->host[0] = obs("lxbr0", LX_LINK_BRIDGE, 5);
	f->host[1] = obs("lxh0", LX_LINK_VETH, 9);
	f->host[1].link_ifindex = 2;
	f->host[1].has_link_netnsid = true;
	f->host[1].link_netnsid = 3;
	f->host[1].master_ifindex = 5;
	f->host[2] = obs("eno1", LX_LINK_EXISTING, 7);
	f->eth0 = obs("eth0", LX_LINK_VETH, 2);
	f->eth0.link_ifindex = 9;
	f->eth0.has_link_netnsid = true;
	f->eth0.link_netnsid = 0;
	f->h = (struct lx_rtnl_host){.links = f->host, .n_links = 3, .nsid = 0};
}

static const char *as_desired(const struct lx_link *o,
			      const struct lx_rtnl_host *h, bool full,
			      bool *kept)
{
	static char buf[256];
	struct lx_link l;

	*kept = lx_rtnl_link_as_desired(o, h, full, &l);
	return lx_link_format(&l, buf, sizeof(buf));
}

Test(rtnl_export, veth_with_its_peer_on_the_host_names_peer_and_master)
{
	struct fixture f;
	bool kept;

	fixture(&f);
	cr_assert_str_eq(as_desired(&f.eth0, &f.h, false, &kept),
			 "eth0 veth peer lxh0 master lxbr0 mtu 1500 address "
			 "02:00:00:00:00:02 txqlen 1000 up");
	cr_assert(kept);
	/* A peer down at another mtu says so: a created one is up at the
	 * container end's. */
	f.host[1].up = 0;
	f.host[1].mtu = 1400;
	cr_assert_str_eq(as_desired(&f.eth0, &f.h, false, &kept),
			 "eth0 veth peer lxh0 master lxbr0 mtu 1500 address "
			 "02:00:00:00:00:02 txqlen 1000 up peer-down peer-mtu "
			 "1400");
}

Test(rtnl_export, veth_whose_peer_is_not_on_the_host_is_an_existing_link)
{
	struct fixture f;
	bool kept;
	const char *want = "eth0 mtu 1500 address 02:00:00:00:00:02 txqlen "
			   "1000 up";

	fixture(&f);
	/* A third namespace: same ifindex on the host means nothing. */
	f.eth0.link_netnsid = 1;
	cr_assert_str_eq(as_desired(&f.eth0, &f.h, false, &kept), want);
	/* The host link with that ifindex is not our peer. */
	fixture(&f);
	f.host[1].link_ifindex = 3;
	cr_assert_str_eq(as_desired(&f.eth0, &f.h, false, &kept), want);
	/* Both ends here (no netnsid), or no host view at all. */
	fixture(&f);
	f.eth0.has_link_netnsid = false;
	cr_assert_str_eq(as_desired(&f.eth0, &f.h, false, &kept), want);
	fixture(&f);
	cr_assert_str_eq(as_desired(&f.eth0, NULL, false, &kept), want);
	cr_assert(kept);
}

Test(rtnl_export, macvlan_on_a_host_parent_keeps_kind_parent_and_mode)
{
	struct fixture f;
	struct lx_link mv;
	bool kept;

	fixture(&f);
	mv = obs("mv0", LX_LINK_MACVLAN, 4);
	mv.link_ifindex = 7;
	mv.has_link_netnsid = true;
	mv.link_netnsid = 0;
	strcpy(mv.mode, "bridge");
	cr_assert_str_eq(as_desired(&mv, &f.h, false, &kept),
			 "mv0 macvlan parent eno1 mode bridge mtu 1500 address "
			 "02:00:00:00:00:02 txqlen 1000 up");
	/* Its parent in the namespace itself: not a document's macvlan. */
	mv.has_link_netnsid = false;
	cr_assert_str_eq(as_desired(&mv, &f.h, false, &kept),
			 "mv0 mtu 1500 address 02:00:00:00:00:02 txqlen 1000 "
			 "up");
}

Test(rtnl_export, what_the_kernel_makes_is_exported_as_its_state_or_not_at_all)
{
	struct lx_link lo = obs("lo", LX_LINK_EXISTING, 1);
	struct lx_link sit = obs("sit0", LX_LINK_OTHER, 3);
	struct lx_link wg = obs("wg0", LX_LINK_OTHER, 4);
	bool kept;

	lo.mtu = 65536;
	memset(lo.mac, 0, 6);
	cr_assert_str_eq(as_desired(&lo, NULL, false, &kept), "lo up");
	cr_assert(kept);
	/* observe shows all of it; a zero MAC is no address. */
	cr_assert_str_eq(as_desired(&lo, NULL, true, &kept),
			 "lo mtu 65536 txqlen 1000 up");
	sit.up = 0;
	sit.has_mac = false;
	as_desired(&sit, NULL, false, &kept);
	cr_assert(!kept, "sit0 exported");
	as_desired(&sit, NULL, true, &kept);
	cr_assert(kept, "sit0 not shown");
	/* Another kind a document cannot make: its state. */
	wg.mac[0] = 0x01; /* multicast: not a link address a document sets */
	cr_assert_str_eq(as_desired(&wg, NULL, false, &kept),
			 "wg0 mtu 1500 txqlen 1000 up");
	cr_assert(kept);
}
