/* SPDX-License-Identifier: MIT */
/* Codecs on canned netlink messages built with libmnl: no kernel. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "addr.h"
#include "grammar.h"
#include "link.h"
#include "nl.h"
#include "route.h"
#include "rtnl.h"

static char buf[LX_NL_MSG_MAX];

Test(nl_codec, verb_table_maps_to_type_and_flags)
{
	struct nlmsghdr *h;

	h = lx_nl_put_header(buf, LX_NL_ROUTE, LX_NL_CREATE);
	cr_assert_eq(h->nlmsg_type, RTM_NEWROUTE);
	cr_assert_eq(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	h = lx_nl_put_header(buf, LX_NL_ADDR, LX_NL_UPDATE);
	cr_assert_eq(h->nlmsg_type, RTM_NEWADDR);
	cr_assert_eq(h->nlmsg_flags,
		     NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
	h = lx_nl_put_header(buf, LX_NL_LINK, LX_NL_DELETE);
	cr_assert_eq(h->nlmsg_type, RTM_DELLINK);
	cr_assert_eq(h->nlmsg_flags, NLM_F_REQUEST);
	h = lx_nl_put_header(buf, LX_NL_ROUTE, LX_NL_DUMP);
	cr_assert_eq(h->nlmsg_type, RTM_GETROUTE);
	cr_assert(h->nlmsg_flags & NLM_F_DUMP);
	cr_assert_eq(h->nlmsg_seq, 0, "the I/O layer numbers messages");
}

/* A route as the kernel reports it. */
Test(nl_codec, kernel_route_message_decodes)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	struct nlattr *m;
	struct lx_route r;
	uint8_t dst[4] = {10, 1, 0, 0}, gw[4] = {10, 0, 0, 254},
		src[4] = {10, 0, 0, 2};

	h->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 16;
	rtm->rtm_table = 100;
	rtm->rtm_protocol = 76;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_TABLE, 1000);
	mnl_attr_put(h, RTA_DST, 4, dst);
	mnl_attr_put(h, RTA_GATEWAY, 4, gw);
	mnl_attr_put(h, RTA_PREFSRC, 4, src);
	mnl_attr_put_u32(h, RTA_OIF, 7);
	mnl_attr_put_u32(h, RTA_PRIORITY, 100);
	m = mnl_attr_nest_start(h, RTA_METRICS);
	mnl_attr_put_u32(h, RTAX_MTU, 1300);
	mnl_attr_nest_end(h, m);

	cr_assert_eq(lx_route_from_msg(h, &r), 0);
	cr_assert_eq(r.family, AF_INET);
	cr_assert_eq(r.dst_len, 16);
	cr_assert_eq(r.table, 1000, "RTA_TABLE wins over rtm_table");
	cr_assert_eq(r.protocol, 76);
	cr_assert_eq(memcmp(&r.dst, dst, 4), 0);
	cr_assert(r.has_gw && memcmp(&r.gw, gw, 4) == 0);
	cr_assert(r.has_src && memcmp(&r.src, src, 4) == 0);
	cr_assert_eq(r.oif, 7);
	cr_assert_eq(r.metric, 100);
	cr_assert_eq(r.mtu, 1300);
	cr_assert_eq(r.scope, RT_SCOPE_UNIVERSE);
}

/* The decoder's walk: the last of a type wins, a gateway over a via
 * whatever their order, types past RTA_MAX and a truncated tail are
 * skipped, a number of the wrong size is a bad message. */
static struct nlmsghdr *route_msg_head(void)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	h->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = RT_TABLE_MAIN;
	return h;
}

Test(nl_codec, route_decoder_walks_attributes_as_libmnl_does)
{
	uint8_t gw[4] = {10, 0, 0, 1}, via[2 + 16] = {AF_INET6, 0, 0xfe, 0x80};
	struct nlmsghdr *h = route_msg_head();
	struct lx_route r;

	mnl_attr_put(h, RTA_VIA, sizeof(via), via);
	mnl_attr_put_u32(h, RTA_TABLE, 100);
	mnl_attr_put(h, RTA_GATEWAY, 4, gw);
	mnl_attr_put_u32(h, RTA_TABLE, 1000);
	mnl_attr_put_u32(h, RTA_MAX + 1, 7);
	/* An attribute claiming more than the message holds: not read. */
	{
		struct nlattr *t = mnl_nlmsg_get_payload_tail(h);

		t->nla_type = RTA_OIF;
		t->nla_len = 8;
		h->nlmsg_len += 4;
	}
	cr_assert_eq(lx_route_from_msg(h, &r), 0);
	cr_assert_eq(r.table, 1000);
	cr_assert(r.has_gw);
	cr_assert_eq(r.gw_family, AF_INET);
	cr_assert_eq(memcmp(&r.gw, gw, 4), 0);

	h = route_msg_head();
	mnl_attr_put(h, RTA_OIF, 2, "xx");
	cr_assert_eq(lx_route_from_msg(h, &r), -EBADMSG);
	h = route_msg_head();
	mnl_attr_put(h, RTA_PREF, 4, "xxxx");
	cr_assert_eq(lx_route_from_msg(h, &r), -EBADMSG);
	h = route_msg_head();
	mnl_attr_put(h, RTA_METRICS, 2, "xx");
	cr_assert_eq(lx_route_from_msg(h, &r), -EBADMSG);
	h = route_msg_head();
	mnl_attr_put(h, RTA_DST, 3, "xxx");
	cr_assert_eq(lx_route_from_msg(h, &r), -EBADMSG);
}

Test(nl_codec, route_encodes_and_decodes_back)
{
	struct lx_route in = {.family = AF_INET6,
			      .dst_len = 64,
			      .has_gw = true,
			      .scope = LX_UNSET,
			      .mtu = 1280},
			out;
	struct nlmsghdr *h;
	const struct rtmsg *rtm;

	inet_pton(AF_INET6, "fd01::", &in.dst);
	inet_pton(AF_INET6, "fd00::1", &in.gw);
	h = lx_route_msg_new(buf, LX_NL_CREATE, &in, 76, 3, NULL);
	rtm = mnl_nlmsg_get_payload(h);
	cr_assert_eq(rtm->rtm_protocol, 76);
	cr_assert_eq(rtm->rtm_table, RT_TABLE_MAIN, "table 0 is main");
	cr_assert_eq(lx_route_from_msg(h, &out), 0);
	cr_assert_eq(out.metric, 1024, "IPv6 metric 0 is sent as 1024");
	cr_assert_eq(out.oif, 3);
	cr_assert_eq(out.mtu, 1280);
	cr_assert_eq(lx_route_cmp(&in, &out), 0);
	cr_assert(lx_route_attrs_equal(&in, &out));

	/* Table ids past 255 only fit in RTA_TABLE. */
	in.table = 1000;
	h = lx_route_msg_delete(buf, &in, 76);
	rtm = mnl_nlmsg_get_payload(h);
	cr_assert_eq(h->nlmsg_type, RTM_DELROUTE);
	cr_assert_eq(rtm->rtm_table, RT_TABLE_UNSPEC);
	cr_assert_eq(rtm->rtm_scope, RT_SCOPE_NOWHERE);
	cr_assert_eq(lx_route_from_msg((h->nlmsg_type = RTM_NEWROUTE, h), &out),
		     0);
	cr_assert_eq(out.table, 1000);
}

/* The layout the kernel needs and no more: a /32 via a gateway in main at
 * metric 0 is header, rtmsg, RTA_DST, RTA_GATEWAY (44 bytes, as a bare
 * libmnl installer sends it): rtm_table says main, no RTA_PRIORITY says 0. */
Test(nl_codec, plain_route_message_carries_only_what_the_kernel_needs)
{
	struct lx_route r = {.family = AF_INET,
			     .dst_len = 32,
			     .has_gw = true,
			     .scope = LX_UNSET};
	struct nlmsghdr *h;
	const struct nlattr *a;
	const struct rtmsg *rtm;
	int types = 0;

	inet_pton(AF_INET, "10.1.0.1", &r.dst);
	inet_pton(AF_INET, "10.255.0.2", &r.gw);
	h = lx_route_msg_new(buf, LX_NL_CREATE, &r, 76, 0, NULL);
	cr_assert_eq(h->nlmsg_len, 44);
	rtm = mnl_nlmsg_get_payload(h);
	cr_assert_eq(rtm->rtm_table, RT_TABLE_MAIN);
	mnl_attr_for_each(a, h, sizeof(*rtm)) types |= 1
						       << mnl_attr_get_type(a);
	cr_assert_eq(types, 1 << RTA_DST | 1 << RTA_GATEWAY);
	/* The same for its delete, and IPv6 says its metric (1024). */
	h = lx_route_msg_delete(buf, &r, 76);
	cr_assert_eq(h->nlmsg_len, 36);
	r.family = AF_INET6;
	r.dst_len = 128;
	h = lx_route_msg_delete(buf, &r, 76);
	cr_assert_eq(lx_route_from_msg((h->nlmsg_type = RTM_NEWROUTE, h), &r),
		     0);
	cr_assert_eq(r.metric, 1024);
}

/* Route messages are built over a buffer that is not zeroed first: every
 * byte sent, alignment padding included, is the codec's own. */
Test(nl_codec, route_message_bytes_do_not_depend_on_the_buffer)
{
	const char *lines[] = {
	    "10.8.0.0/16 nexthop via 10.0.0.1 weight 2 nexthop via inet6 "
	    "fe80::1 dev eth0 onlink",
	    "fd01::/64 via fd00::1 pref high mtu lock 1400 advmss 1300 "
	    "initcwnd 4 initrwnd 8 quickack 1 congctl lock cubic",
	    "10.1.0.0/16 via inet6 fe80::1 dev eth0 onlink table 1000",
	    "blackhole 10.2.0.0/16 metric 9",
	};
	static char clean[LX_NL_MSG_MAX], dirty[LX_NL_MSG_MAX];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct lx_route r;
		struct lx_error e;
		int oifs[LX_NEXTHOPS_MAX] = {3, 7};
		const struct nlmsghdr *c, *d;

		lx_error_clear(&e);
		cr_assert_eq(lx_route_parse(lines[i], &r, "r", &e), 0, "%s",
			     e.msg);
		lx_route_normalize(&r);
		memset(clean, 0, sizeof(clean));
		memset(dirty, 0xa5, sizeof(dirty));
		c = lx_route_msg_new(clean, LX_NL_CREATE, &r, 76, 2, oifs);
		d = lx_route_msg_new(dirty, LX_NL_CREATE, &r, 76, 2, oifs);
		cr_assert_eq(c->nlmsg_len, d->nlmsg_len, "%s", lines[i]);
		cr_assert_eq(memcmp(c, d, c->nlmsg_len), 0, "%s", lines[i]);
		c = lx_route_msg_delete(clean, &r, 76);
		d = lx_route_msg_delete(dirty, &r, 76);
		cr_assert_eq(memcmp(c, d, c->nlmsg_len), 0, "%s", lines[i]);
		lx_route_fini(&r);
	}
}

Test(nl_codec, ipv4_route_scope_is_link_without_gateway)
{
	struct lx_route r = {
	    .family = AF_INET, .dst_len = 16, .scope = LX_UNSET};

	cr_assert_eq(lx_route_scope(&r), RT_SCOPE_LINK);
	r.has_gw = true;
	cr_assert_eq(lx_route_scope(&r), RT_SCOPE_UNIVERSE);
	r.scope = RT_SCOPE_HOST;
	cr_assert_eq(lx_route_scope(&r), RT_SCOPE_HOST);
}

Test(nl_codec, address_message_decodes_local_and_peer)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct lx_addr a;
	uint8_t local[4] = {10, 0, 0, 2}, peer[4] = {10, 0, 0, 1};

	h->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_index = 4;
	mnl_attr_put(h, IFA_ADDRESS, 4, peer);
	mnl_attr_put(h, IFA_LOCAL, 4, local);
	mnl_attr_put_u32(h, IFA_FLAGS, IFA_F_NODAD | IFA_F_PERMANENT);
	cr_assert_eq(lx_addr_from_msg(h, &a), 0);
	cr_assert_eq(memcmp(&a.addr, local, 4), 0);
	cr_assert(a.has_peer && memcmp(&a.peer, peer, 4) == 0);
	cr_assert_eq(a.ifindex, 4);
	cr_assert(a.nodad);
}

Test(nl_codec, address_encodes_and_decodes_back)
{
	struct lx_addr in = {.family = AF_INET6,
			     .prefixlen = 64,
			     .scope = LX_UNSET,
			     .nodad = true},
		       out;
	struct nlmsghdr *h;

	snprintf(in.dev, sizeof(in.dev), "eth0");
	inet_pton(AF_INET6, "fd00::2", &in.addr);
	h = lx_addr_msg_new(buf, LX_NL_CREATE, &in, 9);
	cr_assert_eq(lx_addr_from_msg(h, &out), 0);
	snprintf(out.dev, sizeof(out.dev), "eth0");
	cr_assert_eq(lx_addr_cmp(&in, &out), 0);
	cr_assert_not(out.has_peer);
	cr_assert(out.nodad);
	cr_assert_eq(out.ifindex, 9);
}

/* An RTM_NEWLINK as the kernel sends it: index, flags, IFLA_IFNAME, IFLA_MTU
 * (0: none) and IFLA_LINKINFO/IFLA_INFO_KIND of kind_len bytes as given. */
static struct nlmsghdr *link_msg(int index, unsigned flags, const char *name,
				 uint32_t mtu, const char *kind,
				 size_t kind_len)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *info;

	h->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_index = index;
	ifi->ifi_flags = flags;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(h, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put(h, IFLA_INFO_KIND, kind_len, kind);
	mnl_attr_nest_end(h, info);
	return h;
}

Test(nl_codec, link_message_decodes_kind_flags_mtu)
{
	struct nlmsghdr *h =
	    link_msg(5, IFF_UP | IFF_BROADCAST, "eth0", 1400, "veth", 5);
	struct lx_link l;

	cr_assert_eq(lx_link_from_msg(h, &l), 0);
	cr_assert_str_eq(l.name, "eth0");
	cr_assert_eq(l.kind, LX_LINK_VETH);
	cr_assert_eq(l.up, 1);
	cr_assert_eq(l.mtu, 1400);
	cr_assert_eq(l.ifindex, 5);
}

Test(nl_codec, veth_create_carries_peer_in_other_netns)
{
	struct lx_link l = {.kind = LX_LINK_VETH, .mtu = 1400, .up = 1};
	struct lx_link_where w = {.peer_netns_fd = 42, .link_netnsid = -1};
	struct nlmsghdr *h;
	const struct ifinfomsg *ifi;

	snprintf(l.name, sizeof(l.name), "eth0");
	snprintf(l.peer, sizeof(l.peer), "lxh0");
	h = lx_link_msg_create(buf, &l, &w);
	ifi = mnl_nlmsg_get_payload(h);
	cr_assert_eq(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL),
		     NLM_F_CREATE | NLM_F_EXCL);
	cr_assert_eq(ifi->ifi_flags & IFF_UP, 0,
		     "never up in the create message (ENOTCONN)");
	/* The peer's name and namespace fd are in the message. */
	cr_assert_not_null(memmem(buf, h->nlmsg_len, "lxh0", 5));
	cr_assert_eq(lx_link_from_msg((h->nlmsg_type = RTM_NEWLINK, h), &l), 0);
	cr_assert_eq(l.kind, LX_LINK_VETH);
	cr_assert_str_eq(l.name, "eth0");
}

Test(nl_codec, link_modes)
{
	uint32_t m = 99;

	cr_assert_eq(lx_link_mode_value(LX_LINK_MACVLAN, "bridge", &m), 0);
	cr_assert_eq(m, MACVLAN_MODE_BRIDGE);
	cr_assert_eq(lx_link_mode_value(LX_LINK_IPVLAN, "l3", &m), 0);
	cr_assert_eq(m, IPVLAN_MODE_L3);
	cr_assert_eq(lx_link_mode_value(LX_LINK_IPVLAN, "bridge", &m), -EINVAL);
}

static struct nlmsghdr *error_msg(int error, bool capped, const char *text)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_seq = 7;
	e = mnl_nlmsg_put_extra_header(h, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_type = RTM_NEWROUTE;
	e->msg.nlmsg_seq = 7;
	if (capped) {
		e->msg.nlmsg_len = sizeof(e->msg);
		h->nlmsg_flags |= NLM_F_CAPPED;
	} else {
		/* The whole request echoed: 12 bytes of body after it. */
		e->msg.nlmsg_len = sizeof(e->msg) + 12;
		memset(mnl_nlmsg_put_extra_header(h, 12), 0xab, 12);
	}
	if (text) {
		h->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(h, NLMSGERR_ATTR_MSG, text);
	}
	return h;
}

Test(nl_codec, error_ack_carries_extack_text)
{
	char ext[LX_NL_EXTACK_MAX], out[512];

	cr_assert_eq(lx_nl_parse_error(error_msg(-ENETUNREACH, true,
						 "Nexthop has invalid gateway"),
				       ext, sizeof(ext)),
		     -ENETUNREACH);
	cr_assert_str_eq(ext, "Nexthop has invalid gateway");
	cr_assert_eq(
	    lx_nl_parse_error(error_msg(-EEXIST, false, "File exists here"),
			      ext, sizeof(ext)),
	    -EEXIST);
	cr_assert_str_eq(ext, "File exists here");
	cr_assert_eq(
	    lx_nl_parse_error(error_msg(0, true, NULL), ext, sizeof(ext)), 0);
	cr_assert_str_eq(ext, "");
	lx_nl_strerror(-ENETUNREACH, "Nexthop has invalid gateway", out,
		       sizeof(out));
	cr_assert_str_eq(out, "Network is unreachable (ENETUNREACH): "
			      "Nexthop has invalid gateway");
}

/* Found by fuzz_netlink: a dump without links left links NULL, and qsort and
 * bsearch may not be given NULL even for zero elements (UBSan: nonnull). */
Test(nl_codec, devs_are_named_without_any_link)
{
	struct lx_addr a = {.family = AF_INET, .ifindex = 3};
	struct lx_route r = {.family = AF_INET, .oif = 3};
	struct lx_rtnl_state s = {
	    .addrs = &a, .n_addrs = 1, .routes = &r, .n_routes = 1};

	snprintf(a.dev, sizeof(a.dev), "stale");
	lx_rtnl_state_name_devs(&s);
	cr_assert_str_eq(a.dev, "");
	cr_assert_str_eq(r.dev, "");
}

/* Each dev named from its own ifindex, in runs or alternating, a missing
 * one "" (the last found is remembered: never for another ifindex). */
Test(nl_codec, devs_are_named_from_each_ones_ifindex)
{
	struct lx_link l[3] = {{.ifindex = 7}, {.ifindex = 2}, {.ifindex = 4}};
	struct lx_nexthop nh[2] = {{.oif = 4}, {.oif = 9}};
	struct lx_route r[6] = {{.oif = 2}, {.oif = 2}, {.oif = 7},
				{.oif = 2}, {.oif = 9}, {.oif = 0}};
	struct lx_addr a = {.family = AF_INET, .ifindex = 7};
	struct lx_rtnl_state s = {.links = l,
				  .n_links = 3,
				  .addrs = &a,
				  .n_addrs = 1,
				  .routes = r,
				  .n_routes = 6};
	const char *want[6] = {"eth0", "eth0", "veth-with-a-lon",
			       "eth0", "",     ""};

	snprintf(l[0].name, sizeof(l[0].name), "veth-with-a-lon");
	snprintf(l[1].name, sizeof(l[1].name), "eth0");
	snprintf(l[2].name, sizeof(l[2].name), "dummy0");
	r[5].nh = nh;
	r[5].n_nexthops = 2;
	snprintf(r[4].dev, sizeof(r[4].dev), "stale");
	lx_rtnl_state_name_devs(&s);
	for (size_t i = 0; i < 6; i++)
		cr_assert_str_eq(r[i].dev, want[i], "route %zu", i);
	cr_assert_str_eq(nh[0].dev, "dummy0");
	cr_assert_str_eq(nh[1].dev, "");
	cr_assert_str_eq(a.dev, "veth-with-a-lon");
}

/* Found by fuzz_netlink: mnl_nlmsg_ok() takes a length past INT_MAX for a
 * negative one, so a message claiming 2 GiB was handed to the decoders. */
Test(nl_codec, message_longer_than_int_max_is_not_ok)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	int len = 16;

	h->nlmsg_type = RTM_NEWROUTE;
	cr_assert(lx_nl_msg_ok(h, len));
	h->nlmsg_len = 0x8772630a;
	cr_assert_not(lx_nl_msg_ok(h, len));
	h->nlmsg_len = 17;
	cr_assert_not(lx_nl_msg_ok(h, len));
	h->nlmsg_len = 8;
	cr_assert_not(lx_nl_msg_ok(h, len));
	cr_assert_not(lx_nl_msg_ok(h, 12));
}

/* Found by fuzz_netlink: an error field of INT_MIN was negated (UB) on its
 * way to strerror. Only 0 and -1..-4095 are errnos; the rest is garbage. */
Test(nl_codec, error_outside_errno_range_is_a_bad_message)
{
	char ext[LX_NL_EXTACK_MAX];

	cr_assert_eq(
	    lx_nl_parse_error(error_msg(INT_MIN, true, NULL), ext, sizeof(ext)),
	    -EBADMSG);
	cr_assert_eq(
	    lx_nl_parse_error(error_msg(-5000, true, "x"), ext, sizeof(ext)),
	    -EBADMSG);
	cr_assert_str_eq(ext, "x", "the text is still kept");
	cr_assert_eq(lx_nl_parse_error(error_msg(EPERM, true, NULL), NULL, 0),
		     -EPERM);
}

/* Found by fuzz_netlink: an RTM_NEWROUTE of 34 bytes at the end of the
 * buffer; libmnl walks attributes up to the padded end (36), so an RTA_PREFSRC
 * claiming 8 bytes at offset 28 was read 2 bytes past the buffer. */
Test(nl_codec, message_whose_padding_is_missing_is_not_ok)
{
	static const uint8_t crash[] = {
	    0x22, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x76, 0xff,
	    0x77, 0x6d, 0x77, 0x6b, 0x00, 0x00, 0x00, 0x02, 0x02,
	    0x00, 0x60, 0x15, 0x89, 0x14, 0x00, 0x00, 0x00, 0x14,
	    0xaa, 0x08, 0x00, 0x07, 0x00, 0x20, 0x00, 0x00, 0x00};
	struct nlmsghdr *h = (struct nlmsghdr *)buf;

	memcpy(buf, crash, sizeof(crash));
	cr_assert_not(lx_nl_msg_ok(h, 34), "34 bytes: the padding is missing");
	cr_assert(lx_nl_msg_ok(h, 36), "as the kernel sends it: padded");
}

/* IFLA_INFO_KIND is only checked to be non-empty: without its NUL, the
 * kind was read with strcmp past the attribute and the buffer (ASan, with
 * fuzz_netlink on this message). Compared within the attribute now. */
Test(nl_codec, link_kind_without_nul_is_read_within_the_attribute)
{
	struct nlmsghdr *h = link_msg(1, 0, "a", 0, "veth", 4);
	struct lx_link l;

	/* What follows the message must not be taken for the kind. */
	memset((char *)h + h->nlmsg_len, 'x', 16);
	cr_assert_eq(lx_link_from_msg(h, &l), 0);
	cr_assert_eq(l.kind, LX_LINK_VETH);
	/* A longer kind that starts like a known one is not that one. */
	h = link_msg(2, 0, "b", 0, "vethx", 6);
	cr_assert_eq(lx_link_from_msg(h, &l), 0);
	cr_assert_eq(l.kind, LX_LINK_OTHER);
}
