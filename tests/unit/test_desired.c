/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desired.h"

static int parse(const char *json, struct lx_desired *d, struct lx_error *e)
{
	lx_error_clear(e);
	return lx_desired_from_string(json, strlen(json), d, e);
}

static void expect_invalid(const char *doc, const char *const *want)
{
	struct lx_desired d;
	struct lx_error e;
	int r = parse(doc, &d, &e);

	cr_assert_eq(r, -EINVAL, "accepted: %s", doc);
	cr_assert_eq(e.kind, LX_ERR_INVALID);
	cr_assert_eq(d.n_links + d.n_addrs + d.n_routes + d.sysctl.n +
			 d.cgroup.n,
		     0, "d not left empty");
	for (; *want; want++)
		cr_assert(strstr(e.msg, *want),
			  "%s\n  message: %s\n  lacks: %s", doc, e.msg, *want);
}

#define INVALID(name, doc, ...)                                                \
	Test(desired_invalid, name)                                            \
	{                                                                      \
		expect_invalid(doc, (const char *const[]){__VA_ARGS__, NULL}); \
	}

/* ------------------------------------------------------------- valid */

#define SPEC_DOC                                                               \
	"{\"network\": {\"links\": ["                                          \
	"{\"name\": \"lo\", \"up\": true},"                                    \
	"{\"name\": \"eth0\", \"kind\": \"veth\", \"up\": true, \"mtu\": "     \
	"1500,"                                                                \
	" \"peer\": {\"name\": \"lxh-web42\", \"master\": \"lxbr0\", \"up\": " \
	"true}},"                                                              \
	"{\"name\": \"ipv0\", \"kind\": \"ipvlan\", \"parent\": \"eno1\", "    \
	"\"mode\": \"l2\", \"up\": true},"                                     \
	"{\"name\": \"d0\", \"kind\": \"dummy\", \"up\": true}],"              \
	"\"addresses\": [\"eth0 10.0.0.2/24\","                                \
	"{\"dev\": \"eth0\", \"address\": \"fd00::2/64\", \"nodad\": true}],"  \
	"\"routes\": [\"default via 10.0.0.1\","                               \
	"{\"dst\": \"10.1.0.0/16\", \"via\": \"10.0.0.254\", \"dev\": "        \
	"\"eth0\","                                                            \
	" \"metric\": 100, \"table\": 254}]},"                                 \
	"\"sysctl\": {\"net.ipv4.ip_forward\": 1,"                             \
	" \"net.ipv4.ip_local_port_range\": \"1024 65000\"},"                  \
	"\"cgroup\": {\"memory.max\": 268435456, \"pids.max\": 100,"           \
	" \"cpu.max\": \"50000 100000\"},"                                     \
	"\"options\": {\"interval_ms\": 5000, \"debounce_ms\": 100,"           \
	" \"monitor\": true, \"protocol\": 76, \"revert_on_release\": false,"  \
	" \"require_converged\": true}}"

Test(desired, spec_example_parses_into_the_model)
{
	struct lx_desired d;
	struct lx_error e;
	char buf[256];

	cr_assert_eq(parse(SPEC_DOC, &d, &e), 0, "%s", e.msg);
	cr_assert_eq(d.n_links, 4);
	cr_assert_str_eq(d.links[0].name, "lo");
	cr_assert_eq(d.links[0].kind, LX_LINK_EXISTING);
	cr_assert_eq(d.links[0].up, 1);
	cr_assert_eq(d.links[1].kind, LX_LINK_VETH);
	cr_assert_eq(d.links[1].mtu, 1500);
	cr_assert_str_eq(d.links[1].peer, "lxh-web42");
	cr_assert_str_eq(d.links[1].master, "lxbr0");
	cr_assert_eq(d.links[1].peer_up, 1);
	cr_assert_eq(d.links[2].kind, LX_LINK_IPVLAN);
	cr_assert_str_eq(d.links[2].parent, "eno1");
	cr_assert_str_eq(d.links[2].mode, "l2");
	cr_assert_eq(d.links[3].kind, LX_LINK_DUMMY);
	cr_assert_eq(d.links[0].mtu, 0);

	cr_assert_eq(d.n_addrs, 2);
	cr_assert_str_eq(lx_addr_format(&d.addrs[0], buf, sizeof(buf)),
			 "eth0 10.0.0.2/24");
	cr_assert_eq(d.addrs[1].family, AF_INET6);
	cr_assert(d.addrs[1].nodad);
	cr_assert_eq(d.addrs[1].prefixlen, 64);

	cr_assert_eq(d.n_routes, 2);
	cr_assert_eq(d.routes[0].family, AF_INET);
	cr_assert_eq(d.routes[0].dst_len, 0);
	cr_assert(d.routes[0].has_gw);
	cr_assert_str_eq(lx_route_format(&d.routes[1], false, buf, sizeof(buf)),
			 "10.1.0.0/16 via 10.0.0.254 dev eth0 metric 100");
	cr_assert_eq(d.routes[1].table, 0, "table 254 is main, stored as 0");

	cr_assert_str_eq(lx_kvs_find(&d.sysctl, "net.ipv4.ip_forward")->value,
			 "1");
	cr_assert_str_eq(
	    lx_kvs_find(&d.sysctl, "net.ipv4.ip_local_port_range")->value,
	    "1024 65000");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "memory.max")->value,
			 "268435456");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "pids.max")->value, "100");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "cpu.max")->value,
			 "50000 100000");
	cr_assert_eq(d.opts.protocol, 76);
	cr_assert(d.opts.require_converged);
	lx_desired_free(&d);
}

Test(desired, empty_document_has_default_options)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse("{}", &d, &e), 0);
	cr_assert_eq(d.opts.interval_ms, LX_DEFAULT_INTERVAL_MS);
	cr_assert_eq(d.opts.debounce_ms, LX_DEFAULT_DEBOUNCE_MS);
	cr_assert_eq(d.opts.protocol, LX_DEFAULT_PROTOCOL);
	cr_assert(d.opts.monitor);
	cr_assert(!d.opts.revert_on_release);
	cr_assert(d.opts.require_converged);
	lx_desired_free(&d);
}

Test(desired, cgroup_values_are_normalised_to_v2_strings)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse("{\"cgroup\":{\"memory.max\":\"256M\","
			   "\"memory.high\":\"1G\",\"memory.swap.max\":\"max\","
			   "\"pids.max\":\"max\",\"cpu.max\":\"max\","
			   "\"cpu.weight\":100}}",
			   &d, &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "memory.max")->value,
			 "268435456");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "memory.high")->value,
			 "1073741824");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "memory.swap.max")->value,
			 "max");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "pids.max")->value, "max");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "cpu.max")->value,
			 "max 100000");
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "cpu.weight")->value, "100");
	lx_desired_free(&d);
}

Test(desired, cpu_max_quota_alone_gets_the_default_period)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse("{\"cgroup\":{\"cpu.max\":\"50000\"}}", &d, &e), 0);
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "cpu.max")->value,
			 "50000 100000");
	lx_desired_free(&d);
	cr_assert_eq(parse("{\"cgroup\":{\"cpu.max\":\"max 50000\"}}", &d, &e),
		     0);
	cr_assert_str_eq(lx_kvs_find(&d.cgroup, "cpu.max")->value, "max 50000");
	lx_desired_free(&d);
}

Test(desired, veth_peer_may_be_a_plain_name)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse("{\"network\":{\"links\":[{\"name\":\"eth0\","
			   "\"kind\":\"veth\",\"peer\":\"h0\"}]}}",
			   &d, &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(d.links[0].peer, "h0");
	cr_assert_eq(d.links[0].master[0], '\0');
	cr_assert_eq(d.links[0].up, LX_UNSET);
	cr_assert_eq(d.links[0].peer_up, LX_UNSET);
	lx_desired_free(&d);
}

Test(desired, link_may_be_written_in_the_compact_form)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse("{\"network\":{\"links\":[\"eth0 veth peer h0 "
			   "master br0 mtu 1400 down\"]}}",
			   &d, &e),
		     0, "%s", e.msg);
	cr_assert_eq(d.links[0].kind, LX_LINK_VETH);
	cr_assert_str_eq(d.links[0].peer, "h0");
	cr_assert_str_eq(d.links[0].master, "br0");
	cr_assert_eq(d.links[0].mtu, 1400);
	cr_assert_eq(d.links[0].up, 0);
	lx_desired_free(&d);
}

Test(desired, ipv6_default_route_takes_family_from_gateway)
{
	struct lx_route r;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(
	    lx_route_parse("default via fe80::1 dev eth0", &r, "r", &e), 0,
	    "%s", e.msg);
	cr_assert_eq(r.family, AF_INET6);
	cr_assert_eq(r.dst_len, 0);
	cr_assert_str_eq(r.dev, "eth0");
	cr_assert_eq(r.scope, LX_UNSET);
	cr_assert_eq(r.type, RTN_UNICAST);
	cr_assert_eq(lx_route_parse("default dev eth0", &r, "r", &e), 0);
	cr_assert_eq(r.family, AF_INET, "no gateway: IPv4");
	cr_assert_eq(lx_route_parse("default src fd00::5", &r, "r", &e), 0);
	cr_assert_eq(r.family, AF_INET6, "family from src");
}

Test(desired, route_grammar_reads_every_keyword)
{
	struct lx_route r;
	struct lx_error e;
	char ip[64];

	lx_error_clear(&e);
	cr_assert_eq(
	    lx_route_parse("10.2.0.0/16 via 10.0.0.1 dev eth0 metric 7 "
			   "table 100 src 10.0.0.2 scope global mtu 1400",
			   &r, "r", &e),
	    0, "%s", e.msg);
	cr_assert_eq(r.dst_len, 16);
	cr_assert_str_eq(lx_inaddr_format(AF_INET, &r.dst, ip, sizeof(ip)),
			 "10.2.0.0");
	cr_assert_str_eq(lx_inaddr_format(AF_INET, &r.gw, ip, sizeof(ip)),
			 "10.0.0.1");
	cr_assert_eq(r.metric, 7);
	cr_assert_eq(r.table, 100);
	cr_assert(r.has_src);
	cr_assert_eq(r.scope, RT_SCOPE_UNIVERSE);
	cr_assert_eq(r.mtu, 1400);
}

Test(desired, bare_address_is_a_host_route)
{
	struct lx_route r;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(
	    lx_route_parse("10.9.9.9 dev eth0 scope link", &r, "r", &e), 0);
	cr_assert_eq(r.dst_len, 32);
	cr_assert_eq(r.scope, RT_SCOPE_LINK);
	cr_assert_eq(lx_route_parse("fd00::9", &r, "r", &e), 0);
	cr_assert_eq(r.dst_len, 128);
	cr_assert_eq(r.family, AF_INET6);
}

Test(desired, address_grammar_reads_peer_scope_nodad)
{
	struct lx_addr a;
	struct lx_error e;
	char buf[128];

	lx_error_clear(&e);
	cr_assert_eq(lx_addr_parse("eth0 10.0.0.1/32 peer 10.0.0.2 scope link",
				   &a, "a", &e),
		     0, "%s", e.msg);
	cr_assert(a.has_peer);
	cr_assert_eq(a.scope, RT_SCOPE_LINK);
	cr_assert_str_eq(lx_addr_format(&a, buf, sizeof(buf)),
			 "eth0 10.0.0.1/32 peer 10.0.0.2 scope link");
	cr_assert_eq(lx_addr_parse("eth0 fd00::1", &a, "a", &e), 0);
	cr_assert_eq(a.prefixlen, 128);
	cr_assert(!a.nodad);
}

Test(desired, prefix_parse_reports_family_and_range)
{
	union lx_inaddr a;
	uint8_t len, fam;

	cr_assert_eq(lx_prefix_parse("10.0.0.0/8", 0, &a, &len, &fam), 0);
	cr_assert_eq(len, 8);
	cr_assert_eq(fam, AF_INET);
	cr_assert_eq(lx_prefix_parse("fd00::/129", 0, &a, &len, &fam), -ERANGE);
	cr_assert_eq(lx_prefix_parse("10.0.0.0/8", AF_INET6, &a, &len, &fam),
		     -EAFNOSUPPORT);
	cr_assert_eq(lx_prefix_parse("10.0.0/8", 0, &a, &len, &fam), -EINVAL);
	cr_assert_eq(lx_prefix_parse("10.0.0.0/-1", 0, &a, &len, &fam),
		     -ERANGE);
	cr_assert_eq(lx_prefix_parse("10.0.0.0/", 0, &a, &len, &fam), -ERANGE);
}

Test(desired, ifname_validation_matches_the_kernel)
{
	cr_assert(lx_ifname_valid("eth0"));
	cr_assert(lx_ifname_valid("a23456789012345"));
	cr_assert(!lx_ifname_valid("a234567890123456"));
	cr_assert(!lx_ifname_valid(""));
	cr_assert(!lx_ifname_valid("."));
	cr_assert(!lx_ifname_valid(".."));
	cr_assert(!lx_ifname_valid("a/b"));
	cr_assert(!lx_ifname_valid("a b"));
	cr_assert(!lx_ifname_valid("a:1"));
}

/* ----------------------------------------------------------- invalid */

INVALID(bad_ipv4_octet_names_field_and_value,
	"{\"network\":{\"addresses\":[\"eth0 10.0.0.2/24\",\"eth0 "
	"10.0.0.300/24\"]}}",
	"network.addresses[1]: invalid address \"10.0.0.300/24\"")
INVALID(mtu_out_of_range,
	"{\"network\":{\"links\":[{\"name\":\"eth0\",\"mtu\":70000}]}}",
	"network.links[0].mtu: 70000 out of range (68..65535)")
INVALID(mtu_below_minimum,
	"{\"network\":{\"links\":[{\"name\":\"eth0\",\"mtu\":67}]}}",
	"network.links[0].mtu: 67 out of range")
INVALID(protocol_reserved_for_kernel, "{\"options\":{\"protocol\":2}}",
	"options.protocol: 2 is reserved for the kernel (use 5..255)")
INVALID(protocol_above_255, "{\"options\":{\"protocol\":256}}",
	"options.protocol: 256 out of range (5..255)")
INVALID(unknown_top_level_member, "{\"netwrok\":{}}", "netwrok: unknown member")
INVALID(unknown_member_in_link,
	"{\"network\":{\"links\":[{\"name\":\"eth0\",\"colour\":\"red\"}]}}",
	"network.links[0].colour: unknown member")
INVALID(unknown_member_in_network, "{\"network\":{\"vlans\":[]}}",
	"network.vlans: unknown member")
INVALID(unknown_member_in_peer,
	"{\"network\":{\"links\":[{\"name\":\"e\",\"kind\":\"veth\","
	"\"peer\":{\"name\":\"h\",\"mac\":\"x\"}}]}}",
	"network.links[0].peer.mac: unknown member")
INVALID(unknown_option, "{\"options\":{\"intervall_ms\":5}}",
	"options.intervall_ms: unknown member")
INVALID(unknown_cgroup_key, "{\"cgroup\":{\"memory.limit_in_bytes\":1}}",
	"cgroup: unknown key \"memory.limit_in_bytes\"")
INVALID(macvlan_without_parent,
	"{\"network\":{\"links\":[{\"name\":\"m0\",\"kind\":\"macvlan\"}]}}",
	"network.links[0].parent: a macvlan needs a parent")
INVALID(macvlan_bad_mode,
	"{\"network\":{\"links\":[{\"name\":\"m0\",\"kind\":\"macvlan\","
	"\"parent\":\"eth0\",\"mode\":\"l2\"}]}}",
	"network.links[0].mode: invalid macvlan mode \"l2\"")
INVALID(ipvlan_bad_mode,
	"{\"network\":{\"links\":[{\"name\":\"i0\",\"kind\":\"ipvlan\","
	"\"parent\":\"eth0\",\"mode\":\"bridge\"}]}}",
	"network.links[0].mode: invalid ipvlan mode \"bridge\"")
INVALID(unknown_link_kind,
	"{\"network\":{\"links\":[{\"name\":\"v0\",\"kind\":\"vxlan\"}]}}",
	"network.links[0].kind: unknown kind \"vxlan\"")
INVALID(invalid_ifname_too_long,
	"{\"network\":{\"links\":[{\"name\":\"abcdefghijklmnop\"}]}}",
	"network.links[0].name: invalid interface name \"abcdefghijklmnop\"")
INVALID(duplicate_link_names,
	"{\"network\":{\"links\":[{\"name\":\"lo\"},{\"name\":\"lo\",\"up\":"
	"true}]}}",
	"network.links[1].name: duplicate link \"lo\"")
INVALID(up_must_be_boolean,
	"{\"network\":{\"links\":[{\"name\":\"lo\",\"up\":\"yes\"}]}}",
	"network.links[0].up: expected true or false, got \"yes\"")
INVALID(parent_on_dummy,
	"{\"network\":{\"links\":[{\"name\":\"d0\",\"kind\":\"dummy\","
	"\"parent\":\"eth0\"}]}}",
	"network.links[0].parent: only a macvlan or ipvlan has a parent")
INVALID(ipv4_prefix_too_long,
	"{\"network\":{\"addresses\":[\"eth0 10.0.0.2/33\"]}}",
	"network.addresses[0]: invalid prefix length in \"10.0.0.2/33\"")
INVALID(ipv6_prefix_too_long,
	"{\"network\":{\"addresses\":[{\"dev\":\"eth0\",\"address\":\"fd00::1/"
	"129\"}]}}",
	"network.addresses[0]: invalid prefix length in \"fd00::1/129\"")
INVALID(
    duplicate_addresses,
    "{\"network\":{\"addresses\":[\"eth0 10.0.0.2/24\",\"eth0 10.0.0.2/24\"]}}",
    "network.addresses[1]: duplicate address \"eth0 10.0.0.2/24\"")
INVALID(
    address_object_unknown_member,
    "{\"network\":{\"addresses\":[{\"dev\":\"eth0\",\"address\":\"10.0.0.1/8\","
    "\"label\":\"x\"}]}}",
    "network.addresses[0].label: unknown member")
INVALID(address_peer_family_mismatch,
	"{\"network\":{\"addresses\":[\"eth0 10.0.0.1/32 peer fd00::1\"]}}",
	"network.addresses[0]: peer \"fd00::1\" is not IPv4")
INVALID(address_without_prefix_word, "{\"network\":{\"addresses\":[\"eth0\"]}}",
	"network.addresses[0]: expected \"DEV ADDR/PREFIX\", got \"eth0\"")
INVALID(route_host_bits_set,
	"{\"network\":{\"routes\":[\"10.1.2.3/16 via 10.0.0.1\"]}}",
	"network.routes[0]: host bits set in \"10.1.2.3/16\" (did you mean "
	"10.1.0.0/16?)")
INVALID(route_gateway_family_mismatch,
	"{\"network\":{\"routes\":[\"10.1.0.0/16 via fd00::1\"]}}",
	"network.routes[0]: gateway \"fd00::1\" is IPv6 but destination "
	"\"10.1.0.0/16\" is IPv4")
INVALID(route_src_family_mismatch,
	"{\"network\":{\"routes\":[\"default via 10.0.0.1 src fd00::2\"]}}",
	"network.routes[0]: source \"fd00::2\" is IPv6")
INVALID(route_unknown_word,
	"{\"network\":{\"routes\":[\"default via 10.0.0.1 weight 3\"]}}",
	"network.routes[0]: unknown word \"weight\"")

/* An unknown word may or may not take a value: the rest of the item is
 * unreadable, so it is one problem and one line, not one per word. */
static void expect_one_line(const char *doc, const char *want)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse(doc, &d, &e), -EINVAL, "accepted: %s", doc);
	cr_assert_eq(e.lines, 1, "%s\n  message: %s", doc, e.msg);
	cr_assert(strstr(e.msg, want), "message: %s\n  lacks: %s", e.msg,
		  want);
}

Test(desired_invalid, route_unknown_word_with_value_is_one_line)
{
	expect_one_line(
	    "{\"network\":{\"routes\":[\"default via 10.0.0.1 bogus 5\"]}}",
	    "unknown word \"bogus\"");
}

Test(desired_invalid, link_unknown_word_with_value_is_one_line)
{
	expect_one_line(
	    "{\"network\":{\"links\":[\"eth0 veth colour red\"]}}",
	    "unknown word \"colour\"");
}

INVALID(sysctl_same_file_in_two_spellings,
	"{\"sysctl\":{\"net.ipv4.ip_forward\":1,\"net/ipv4/ip_forward\":0}}",
	"sysctl.net/ipv4/ip_forward: duplicate sysctl \"net/ipv4/ip_forward\" "
	"(same file as \"net.ipv4.ip_forward\")")
Test(desired_invalid, sysctl_value_longer_than_a_write_is_refused)
{
	size_t n = 5000;
	char *doc = malloc(n + 64), *v;
	struct lx_desired d;
	struct lx_error e;

	cr_assert(doc);
	v = doc + sprintf(doc, "{\"sysctl\":{\"net.ipv4.ip_local_port_range\":\"");
	memset(v, '1', n);
	strcpy(v + n, "\"}}");
	cr_assert_eq(parse(doc, &d, &e), -EINVAL);
	cr_assert(strstr(e.msg, "sysctl.net.ipv4.ip_local_port_range: value "
				"too long (5000 bytes, max 4096)"),
		  "%s", e.msg);
	free(doc);
}
INVALID(route_keyword_without_value,
	"{\"network\":{\"routes\":[\"default via\"]}}",
	"network.routes[0]: \"via\" needs a value")
INVALID(route_bad_scope,
	"{\"network\":{\"routes\":[\"10.0.0.0/8 dev eth0 scope site\"]}}",
	"network.routes[0]: invalid scope \"site\"")
INVALID(route_bad_metric,
	"{\"network\":{\"routes\":[\"10.0.0.0/8 dev eth0 metric -1\"]}}",
	"network.routes[0]: invalid metric \"-1\"")
INVALID(route_metric_overflow,
	"{\"network\":{\"routes\":[{\"dst\":\"10.0.0.0/"
	"8\",\"metric\":4294967296}]}}",
	"network.routes[0]: invalid metric \"4294967296\"")
INVALID(
    route_object_metric_wrong_type,
    "{\"network\":{\"routes\":[{\"dst\":\"10.0.0.0/8\",\"metric\":\"100\"}]}}",
    "network.routes[0].metric: expected an integer, got \"100\"")
INVALID(duplicate_routes_same_identity,
	"{\"network\":{\"routes\":[\"10.1.0.0/16 via 10.0.0.1\","
	"{\"dst\":\"10.1.0.0/16\",\"via\":\"10.0.0.2\",\"table\":254}]}}",
	"network.routes[1]: duplicate route \"10.1.0.0/16 via 10.0.0.2\"")
INVALID(route_gateway_with_prefix,
	"{\"network\":{\"routes\":[\"default via 10.0.0.1/24\"]}}",
	"network.routes[0]: gateway \"10.0.0.1/24\" must be a bare address")
INVALID(sysctl_boolean_value, "{\"sysctl\":{\"net.ipv4.ip_forward\":true}}",
	"sysctl.net.ipv4.ip_forward: expected an integer or a string, got true")
INVALID(sysctl_real_value, "{\"sysctl\":{\"net.ipv4.ip_forward\":1.5}}",
	"sysctl.net.ipv4.ip_forward: expected an integer or a string, got 1.5")
INVALID(sysctl_empty_key, "{\"sysctl\":{\"\":1}}", "sysctl: empty key")
INVALID(memory_bad_suffix, "{\"cgroup\":{\"memory.max\":\"12X\"}}",
	"cgroup.memory.max: invalid size \"12X\"")
INVALID(memory_negative, "{\"cgroup\":{\"memory.high\":-1}}",
	"cgroup.memory.high: invalid size -1")
INVALID(memory_overflow, "{\"cgroup\":{\"memory.max\":\"99999999999T\"}}",
	"cgroup.memory.max: invalid size \"99999999999T\"")
INVALID(pids_zero, "{\"cgroup\":{\"pids.max\":0}}",
	"cgroup.pids.max: invalid value 0")
INVALID(cpu_weight_out_of_range, "{\"cgroup\":{\"cpu.weight\":10001}}",
	"cgroup.cpu.weight: 10001 out of range (1..10000)")
INVALID(cpu_max_quota_too_small, "{\"cgroup\":{\"cpu.max\":\"999 100000\"}}",
	"cgroup.cpu.max: quota out of range", "\"999 100000\"")
INVALID(cpu_max_period_out_of_range,
	"{\"cgroup\":{\"cpu.max\":\"50000 2000000\"}}",
	"cgroup.cpu.max: period 2000000 out of range (1000..1000000)")
INVALID(interval_out_of_range, "{\"options\":{\"interval_ms\":86400001}}",
	"options.interval_ms: 86400001 out of range (0..86400000)")
INVALID(debounce_negative, "{\"options\":{\"debounce_ms\":-1}}",
	"options.debounce_ms: -1 out of range (0..60000)")
INVALID(monitor_not_boolean, "{\"options\":{\"monitor\":1}}",
	"options.monitor: expected true or false, got 1")
INVALID(document_not_object, "[1,2]",
	"document: expected an object, got an array")
INVALID(links_not_array, "{\"network\":{\"links\":{}}}",
	"network.links: expected an array, got an object")
INVALID(invalid_json_has_line_and_column, "{\n  \"network\": {,}\n}",
	"invalid JSON at line 2 column")
INVALID(duplicate_json_keys_rejected,
	"{\"options\":{\"monitor\":true,\"monitor\":false}}", "invalid JSON",
	"duplicate")
INVALID(control_characters_are_escaped_in_messages,
	"{\"network\":{\"links\":[{\"name\":\"a\\nb\"}]}}",
	"invalid interface name \"a\\x0ab\"")

Test(desired_invalid, every_problem_is_reported_one_line_each)
{
	const char *doc =
	    "{\"network\":{\"links\":[{\"name\":\"eth0\",\"mtu\":70000}],"
	    "\"addresses\":[\"eth0 10.0.0.300/24\"],"
	    "\"routes\":[\"10.1.2.3/16\"]},"
	    "\"cgroup\":{\"cpu.weight\":0},"
	    "\"options\":{\"protocol\":2},\"bogus\":1}";
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse(doc, &d, &e), -EINVAL);
	cr_assert_eq(e.lines, 6, "%u lines: %s", e.lines, e.msg);
	size_t nl = 0;
	for (const char *p = e.msg; *p; p++)
		nl += *p == '\n';
	cr_assert_eq(nl, 5, "%s", e.msg);
}

/* --------------------------------------------------------- round trip */

static void assert_same(const struct lx_desired *a, const struct lx_desired *b)
{
	cr_assert_eq(a->n_links, b->n_links);
	cr_assert_eq(a->n_addrs, b->n_addrs);
	cr_assert_eq(a->n_routes, b->n_routes);
	for (size_t i = 0; i < a->n_links; i++)
		cr_assert_eq(
		    memcmp(&a->links[i], &b->links[i], sizeof(a->links[i])), 0,
		    "link %zu", i);
	for (size_t i = 0; i < a->n_addrs; i++)
		cr_assert_eq(
		    memcmp(&a->addrs[i], &b->addrs[i], sizeof(a->addrs[i])), 0,
		    "address %zu", i);
	for (size_t i = 0; i < a->n_routes; i++)
		cr_assert_eq(
		    memcmp(&a->routes[i], &b->routes[i], sizeof(a->routes[i])),
		    0, "route %zu", i);
	cr_assert_eq(a->sysctl.n, b->sysctl.n);
	for (size_t i = 0; i < a->sysctl.n; i++) {
		cr_assert_str_eq(a->sysctl.v[i].key, b->sysctl.v[i].key);
		cr_assert_str_eq(a->sysctl.v[i].value, b->sysctl.v[i].value);
	}
	cr_assert_eq(a->cgroup.n, b->cgroup.n);
	for (size_t i = 0; i < a->cgroup.n; i++) {
		cr_assert_str_eq(a->cgroup.v[i].key, b->cgroup.v[i].key);
		cr_assert_str_eq(a->cgroup.v[i].value, b->cgroup.v[i].value);
	}
	cr_assert_eq(memcmp(&a->opts, &b->opts, sizeof(a->opts)), 0);
}

static void round_trip(const char *doc)
{
	struct lx_desired a, b;
	struct lx_error e;
	json_t *j;

	cr_assert_eq(parse(doc, &a, &e), 0, "%s", e.msg);
	j = lx_desired_to_json(&a);
	cr_assert_not_null(j);
	lx_error_clear(&e);
	cr_assert_eq(lx_desired_from_json(j, &b, &e), 0, "%s", e.msg);
	assert_same(&a, &b);
	json_decref(j);
	lx_desired_free(&a);
	lx_desired_free(&b);
}

Test(desired_round_trip, spec_example_survives_to_json_and_back)
{
	round_trip(SPEC_DOC);
}

Test(desired_round_trip, every_optional_field_survives)
{
	round_trip(
	    "{\"network\":{\"links\":["
	    "{\"name\":\"m0\",\"kind\":\"macvlan\",\"parent\":\"eth9\","
	    "\"mode\":\"bridge\",\"mtu\":9000,\"up\":false},"
	    "{\"name\":\"e1\",\"kind\":\"veth\",\"peer\":{\"name\":\"h1\","
	    "\"up\":false}}],"
	    "\"addresses\":[\"eth0 10.0.0.1/32 peer 10.0.0.2 scope link\","
	    "\"eth0 fd00::1/64 scope host nodad\", \"eth0 10.0.0.9/8 scope "
	    "77\"],"
	    "\"routes\":[\"::/0 dev eth0\",\"default via fd00::1 metric 5\","
	    "\"10.3.0.0/16 dev eth0 table 1000 src 10.0.0.1 scope link mtu "
	    "1300\","
	    "\"10.4.0.0/16 via 10.0.0.1 table main\",\"fd00:1::/64 dev eth0 "
	    "scope host\"]},"
	    "\"sysctl\":{\"net.core.somaxconn\":\"4096\"},"
	    "\"cgroup\":{\"memory.max\":\"max\",\"cpu.max\":\"max "
	    "20000\",\"cpu.weight\":\"5\"},"
	    "\"options\":{\"interval_ms\":0,\"debounce_ms\":0,\"monitor\":"
	    "false,"
	    "\"protocol\":200,\"revert_on_release\":true,\"require_converged\":"
	    "false}}");
}

Test(desired_round_trip, ipv6_default_without_gateway_keeps_its_family)
{
	struct lx_desired d;
	struct lx_error e;
	json_t *j;

	cr_assert_eq(
	    parse("{\"network\":{\"routes\":[\"::/0 dev eth0\"]}}", &d, &e), 0,
	    "%s", e.msg);
	j = lx_desired_to_json(&d);
	cr_assert_str_eq(
	    json_string_value(json_array_get(
		json_object_get(json_object_get(j, "network"), "routes"), 0)),
	    "::/0 dev eth0");
	json_decref(j);
	lx_desired_free(&d);
}

/* -------------------------------------------------------------- files */

Test(desired_file, missing_file_is_notfound_naming_the_path)
{
	struct lx_desired d;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_lt(lx_desired_from_file("/nonexistent/linx.json", &d, &e), 0);
	cr_assert_eq(e.kind, LX_ERR_NOTFOUND);
	cr_assert(strstr(e.msg, "/nonexistent/linx.json"), "%s", e.msg);
}

Test(desired_file, invalid_json_in_file_names_path_line_and_column)
{
	char path[] = "/tmp/lx-desired-XXXXXX";
	int fd = mkstemp(path);
	struct lx_desired d;
	struct lx_error e;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\n\"options\": {\n}}}", 18), 18);
	close(fd);
	lx_error_clear(&e);
	cr_assert_eq(lx_desired_from_file(path, &d, &e), -EINVAL);
	unlink(path);
	cr_assert_eq(e.kind, LX_ERR_INVALID);
	cr_assert(strstr(e.msg, path), "%s", e.msg);
	cr_assert(strstr(e.msg, "line 3"), "%s", e.msg);
}

Test(desired_file, valid_file_parses)
{
	char path[] = "/tmp/lx-desired-XXXXXX";
	int fd = mkstemp(path);
	struct lx_desired d;
	struct lx_error e;
	const char *doc =
	    "{\"network\":{\"routes\":[\"default via 10.0.0.1\"]}}";

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	lx_error_clear(&e);
	cr_assert_eq(lx_desired_from_file(path, &d, &e), 0, "%s", e.msg);
	unlink(path);
	cr_assert_eq(d.n_routes, 1);
	lx_desired_free(&d);
}

/* Duplicates are found alike whether the document is in order (one walk)
 * or not (a sort): the same lines, in the document's order. */
Test(desired_invalid, duplicates_in_order_and_out_of_order)
{
	static const char *const sorted =
	    "{\"network\":{\"routes\":[\"10.1.0.0/16\",\"10.1.0.0/16 via 10.0.0.1\","
	    "\"10.2.0.0/16\",\"10.2.0.0/16 metric 5\",\"10.2.0.0/16 dev x\","
	    "\"10.3.0.0/16\"],"
	    "\"addresses\":[\"a 10.0.0.1/24\",\"a 10.0.0.1/16\",\"b 10.0.0.1/24\"]}}";
	static const char *const shuffled =
	    "{\"network\":{\"routes\":[\"10.3.0.0/16\",\"10.2.0.0/16\","
	    "\"10.1.0.0/16\",\"10.2.0.0/16 metric 5\",\"10.1.0.0/16 via 10.0.0.1\","
	    "\"10.2.0.0/16 dev x\"],"
	    "\"addresses\":[\"b 10.0.0.1/24\",\"a 10.0.0.1/24\",\"a 10.0.0.1/16\"]}}";
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(parse(sorted, &d, &e), -EINVAL);
	cr_assert_str_eq(
	    e.msg,
	    "network.routes[1]: duplicate route \"10.1.0.0/16 via 10.0.0.1\" "
	    "(same destination, table and metric as network.routes[0]: the "
	    "kernel holds one)\n"
	    "network.routes[4]: duplicate route \"10.2.0.0/16 dev x\" (same "
	    "destination, table and metric as network.routes[2]: the kernel "
	    "holds one)\n"
	    "network.addresses[1]: duplicate address \"a 10.0.0.1/16\" (same "
	    "as network.addresses[0])");
	cr_assert_eq(parse(shuffled, &d, &e), -EINVAL);
	cr_assert_str_eq(
	    e.msg,
	    "network.routes[4]: duplicate route \"10.1.0.0/16 via 10.0.0.1\" "
	    "(same destination, table and metric as network.routes[2]: the "
	    "kernel holds one)\n"
	    "network.routes[5]: duplicate route \"10.2.0.0/16 dev x\" (same "
	    "destination, table and metric as network.routes[1]: the kernel "
	    "holds one)\n"
	    "network.addresses[2]: duplicate address \"a 10.0.0.1/16\" (same "
	    "as network.addresses[1])");
}
