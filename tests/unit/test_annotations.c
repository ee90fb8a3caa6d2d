/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "annotations.h"
#include "desired.h"

/* Parse annotations given as a JSON object text. */
static int ann(const char *json, struct lx_desired *d, bool *present,
	       struct lx_error *e)
{
	json_error_t je;
	json_t *a = json_loads(json, 0, &je);
	int r;

	cr_assert_not_null(a, "test JSON: %s", je.text);
	lx_error_clear(e);
	r = lx_annotations_to_desired(a, d, present, e);
	json_decref(a);
	return r;
}

static void expect_invalid(const char *json, const char *const *want)
{
	struct lx_desired d;
	struct lx_error e;
	bool present;

	cr_assert_eq(ann(json, &d, &present, &e), -EINVAL, "accepted: %s",
		     json);
	cr_assert(present);
	cr_assert_eq(e.kind, LX_ERR_INVALID);
	for (; *want; want++)
		cr_assert(strstr(e.msg, *want),
			  "%s\n  message: %s\n  lacks: %s", json, e.msg, *want);
}

#define INVALID(name, doc, ...)                                                \
	Test(annotations_invalid, name)                                        \
	{                                                                      \
		expect_invalid(doc, (const char *const[]){__VA_ARGS__, NULL}); \
	}

Test(annotations, no_linx_key_means_not_present)
{
	struct lx_desired d;
	struct lx_error e;
	bool present = true;

	cr_assert_eq(ann("{\"io.kubernetes.pod\":\"x\",\"io.linx\":\"y\"}", &d,
			 &present, &e),
		     0);
	cr_assert(!present);
	cr_assert_eq(d.n_links + d.n_addrs + d.n_routes, 0);
	cr_assert_eq(lx_annotations_to_desired(NULL, &d, &present, &e), 0);
	cr_assert(!present);
}

Test(annotations, spec_compact_examples_parse)
{
	struct lx_desired d;
	struct lx_error e;
	bool present;
	char buf[256];

	cr_assert_eq(
	    ann("{\"io.linx.links\":\"lo up; eth0 veth peer lxh-web42 master "
		"lxbr0 mtu 1500 up\","
		"\"io.linx.addresses\":\"eth0 10.0.0.2/24; eth0 fd00::2/64 "
		"nodad\","
		"\"io.linx.routes\":\"default via 10.0.0.1; 10.1.0.0/16 via "
		"10.0.0.254 metric 100\","
		"\"io.linx.sysctl\":\"net.ipv4.ip_forward=1; "
		"net.ipv4.ip_local_port_range=1024 65000\","
		"\"io.linx.cgroup\":\"memory.max=256M; pids.max=100; "
		"cpu.max=50000 100000\","
		"\"io.linx.options\":\"interval_ms=30000; debounce_ms=50\"}",
		&d, &present, &e),
	    0, "%s", e.msg);
	cr_assert(present);
	cr_assert_eq(d.n_links, 2);
	cr_assert_str_eq(d.links[0].name, "lo");
	cr_assert_eq(d.links[0].up, 1);
	cr_assert_eq(d.links[1].kind, LX_LINK_VETH);
	cr_assert_str_eq(d.links[1].peer, "lxh-web42");
	cr_assert_str_eq(d.links[1].master, "lxbr0");
	cr_assert_eq(d.links[1].mtu, 1500);
	cr_assert_eq(d.links[1].up, 1);
	cr_assert_eq(d.n_addrs, 2);
	cr_assert_eq(d.addrs[1].family, AF_INET6);
	cr_assert(d.addrs[1].nodad);
	cr_assert_eq(d.n_routes, 2);
	cr_assert_str_eq(lx_route_format(&d.routes[1], false, buf, sizeof(buf)),
			 "10.1.0.0/16 via 10.0.0.254 metric 100");
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
	cr_assert_eq(d.opts.interval_ms, 30000);
	cr_assert_eq(d.opts.debounce_ms, 50);
	cr_assert_eq(d.opts.protocol, LX_DEFAULT_PROTOCOL);
	lx_desired_free(&d);
}

Test(annotations, json_values_in_document_shape)
{
	struct lx_desired d;
	struct lx_error e;
	bool present;

	cr_assert_eq(
	    ann("{\"io.linx.routes\":\"[\\\"default via 10.0.0.1\\\", "
		"{\\\"dst\\\":\\\"10.1.0.0/16\\\",\\\"dev\\\":\\\"eth0\\\"}]\","
		"\"io.linx.options\":\" {\\\"monitor\\\": false, "
		"\\\"revert_on_release\\\": true}\"}",
		&d, &present, &e),
	    0, "%s", e.msg);
	cr_assert_eq(d.n_routes, 2);
	cr_assert_str_eq(d.routes[1].dev, "eth0");
	cr_assert(!d.opts.monitor);
	cr_assert(d.opts.revert_on_release);
	lx_desired_free(&d);
}

Test(annotations, options_booleans_and_numbers_are_typed)
{
	struct lx_desired d;
	struct lx_error e;
	bool present;

	cr_assert_eq(ann("{\"io.linx.options\":\"monitor=false; protocol=99; "
			 "require_converged=false; revert_on_release=true\"}",
			 &d, &present, &e),
		     0, "%s", e.msg);
	cr_assert(!d.opts.monitor);
	cr_assert_eq(d.opts.protocol, 99);
	cr_assert(!d.opts.require_converged);
	cr_assert(d.opts.revert_on_release);
	lx_desired_free(&d);
}

Test(annotations, empty_items_and_whitespace_are_ignored)
{
	struct lx_desired d;
	struct lx_error e;
	bool present;

	cr_assert_eq(ann("{\"io.linx.addresses\":\" ; eth0 10.0.0.2/24 ;;  "
			 "\\teth0 10.0.0.3/24;\"}",
			 &d, &present, &e),
		     0, "%s", e.msg);
	cr_assert_eq(d.n_addrs, 2);
	lx_desired_free(&d);
}

Test(annotations, macvlan_compact_form)
{
	struct lx_desired d;
	struct lx_error e;
	bool present;

	cr_assert_eq(ann("{\"io.linx.links\":\"mv0 macvlan parent eno1 mode "
			 "bridge down\"}",
			 &d, &present, &e),
		     0, "%s", e.msg);
	cr_assert_eq(d.links[0].kind, LX_LINK_MACVLAN);
	cr_assert_str_eq(d.links[0].parent, "eno1");
	cr_assert_str_eq(d.links[0].mode, "bridge");
	cr_assert_eq(d.links[0].up, 0);
	lx_desired_free(&d);
}

INVALID(bad_address_names_annotation_item_and_value,
	"{\"io.linx.addresses\":\"eth0 10.0.0.2/24; eth0 10.0.0.300/24\"}",
	"io.linx.addresses: item 2 \"eth0 10.0.0.300/24\": invalid address "
	"\"10.0.0.300")
INVALID(unknown_linx_key_is_an_error, "{\"io.linx.route\":\"default\"}",
	"\"io.linx.route\": unknown annotation")
INVALID(link_mtu_out_of_range_names_item,
	"{\"io.linx.links\":\"lo up; eth0 mtu 70000\"}",
	"io.linx.links: item 2 \"eth0 mtu 70000\": mtu: 70000 out of range")
INVALID(link_unknown_word,
	"{\"io.linx.links\":\"eth0 veth peer h0 colour red\"}",
	"io.linx.links: item 1 \"eth0 veth peer h0 colour red\"",
	"unknown word \"colour\"")
INVALID(
    route_error_names_item,
    "{\"io.linx.routes\":\"default via 10.0.0.1; 10.1.2.3/16 via 10.0.0.1\"}",
    "io.linx.routes: item 2 \"10.1.2.3/16 via 10.0.0.1\": host bits set")
INVALID(cgroup_bad_size_names_key, "{\"io.linx.cgroup\":\"memory.max=12X\"}",
	"io.linx.cgroup: memory.max: invalid size \"12X\"")
INVALID(cgroup_unknown_key, "{\"io.linx.cgroup\":\"memory.limit=1\"}",
	"io.linx.cgroup: unknown key \"memory.limit\"")
INVALID(sysctl_item_without_equals,
	"{\"io.linx.sysctl\":\"net.ipv4.ip_forward=1; net.core.x\"}",
	"io.linx.sysctl: item 2 \"net.core.x\": expected KEY=VALUE")
INVALID(sysctl_duplicate_key, "{\"io.linx.sysctl\":\"a.b=1; a.b=2\"}",
	"io.linx.sysctl: item 2: duplicate key \"a.b\"")
INVALID(option_protocol_reserved, "{\"io.linx.options\":\"protocol=2\"}",
	"io.linx.options: protocol: 2 is reserved for the kernel (use 5..255)")
INVALID(option_wrong_type, "{\"io.linx.options\":\"monitor=yes\"}",
	"io.linx.options: monitor: expected true or false, got \"yes\"")
INVALID(json_value_invalid, "{\"io.linx.routes\":\"[\\\"default\\\",]\"}",
	"io.linx.routes: invalid JSON")
INVALID(json_value_wrong_shape, "{\"io.linx.routes\":\"{}\"}",
	"io.linx.routes: expected a JSON array")
INVALID(json_value_error_names_annotation,
	"{\"io.linx.links\":\"[{\\\"name\\\":\\\"eth0\\\",\\\"mtu\\\":1}]\"}",
	"io.linx.links[0].mtu: 1 out of range (68..65535)")
INVALID(non_string_annotation, "{\"io.linx.options\":5}",
	"io.linx.options: expected a string value")

Test(annotations_invalid, one_line_per_problem_across_annotations)
{
	struct lx_desired d;
	struct lx_error e;
	bool present;

	cr_assert_eq(
	    ann("{\"io.linx.addresses\":\"eth0 10.0.0.300/24; eth0 x\","
		"\"io.linx.cgroup\":\"pids.max=0\","
		"\"io.linx.sysctl\":\"novalue\","
		"\"io.linx.bogus\":\"1\"}",
		&d, &present, &e),
	    -EINVAL);
	cr_assert_eq(e.lines, 5, "%u: %s", e.lines, e.msg);
	cr_assert(strstr(e.msg, "item 1 \"eth0 10.0.0.300/24\""), "%s", e.msg);
	cr_assert(strstr(e.msg, "item 2 \"eth0 x\""), "%s", e.msg);
	cr_assert(strstr(e.msg, "io.linx.cgroup: pids.max"), "%s", e.msg);
	cr_assert(strstr(e.msg, "io.linx.sysctl: item 1"), "%s", e.msg);
	cr_assert(strstr(e.msg, "io.linx.bogus"), "%s", e.msg);
	cr_assert_eq(d.n_addrs, 0);
}
