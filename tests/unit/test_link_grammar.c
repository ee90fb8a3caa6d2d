/* SPDX-License-Identifier: MIT */
/*
 * The link and address words of the desired document (SPEC.md "Desired-state
 * document", "Annotations", "Policy"): interface names as the kernel stores
 * them, in every place a name appears, in the JSON, string and compact forms.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "annotations.h"
#include "desired.h"
#include "grammar.h"

static int doc(const char *json, struct lx_desired *d, struct lx_error *e)
{
	lx_error_clear(e);
	return lx_desired_from_string(json, strlen(json), d, e);
}

static int ann(const char *json, struct lx_desired *d, struct lx_error *e)
{
	json_error_t je;
	json_t *a = json_loads(json, 0, &je);
	bool present;
	int r;

	cr_assert_not_null(a, "test JSON: %s", je.text);
	lx_error_clear(e);
	r = lx_annotations_to_desired(a, d, &present, e);
	json_decref(a);
	return r;
}

static void expect(int r, const struct lx_error *e, const char *input,
		   const char *const *want)
{
	cr_assert_eq(r, -EINVAL, "accepted: %s", input);
	cr_assert_eq(e->kind, LX_ERR_INVALID);
	for (; *want; want++)
		cr_assert(strstr(e->msg, *want),
			  "%s\n  message: %s\n  lacks: %s", input, e->msg,
			  *want);
}

#define BAD_DOC(name, json, ...)                                               \
	Test(link_grammar_invalid, name)                                       \
	{                                                                      \
		struct lx_desired d;                                           \
		struct lx_error e;                                             \
		expect(doc(json, &d, &e), &e, json,                            \
		       (const char *const[]){__VA_ARGS__, NULL});              \
	}
#define BAD_ANN(name, json, ...)                                               \
	Test(link_grammar_invalid, name)                                       \
	{                                                                      \
		struct lx_desired d;                                           \
		struct lx_error e;                                             \
		expect(ann(json, &d, &e), &e, json,                            \
		       (const char *const[]){__VA_ARGS__, NULL});              \
	}

/* ------------------------------------------------------- interface names */

Test(ifname, kernel_rules)
{
	static const char *const good[] = {
	    "eth0", "a", "abcdefghijklmno", "lxh-web.42", "x_y", "\xc3\xa9t0",
	};
	static const struct {
		const char *name, *why;
	} bad[] = {
	    {"", "empty"},
	    {"abcdefghijklmnop", "longer than 15 bytes"},
	    {"rq%d", "'%'"},
	    {"%", "'%'"},
	    {"a/b", "'/'"},
	    {"a:b", "':'"},
	    {"a b", "whitespace"},
	    {"a\tb", "whitespace"},
	    {"a\xa0"
	     "b",
	     "whitespace"},
	    {"a\x01"
	     "b",
	     "control"},
	    {".", "\".\""},
	    {"..", "\".\""},
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_assert(lx_ifname_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *p = lx_ifname_problem(bad[i].name);

		cr_assert(!lx_ifname_valid(bad[i].name), "%s", bad[i].name);
		cr_assert(p && strstr(p, bad[i].why), "%s: %s", bad[i].name,
			  p ? p : "(null)");
	}
	/* Not "." or ".." as the whole name; inside one, dots are fine. */
	cr_assert(lx_ifname_valid("..."));
	cr_assert(lx_ifname_valid(".a"));
}

BAD_DOC(percent_in_link_name,
	"{\"network\":{\"links\":[{\"name\":\"rq%d\",\"kind\":\"dummy\"}]}}",
	"network.links[0].name: invalid interface name \"rq%d\": '%' (the "
	"kernel would expand it)")
BAD_DOC(percent_in_peer_name,
	"{\"network\":{\"links\":[{\"name\":\"e0\",\"kind\":\"veth\","
	"\"peer\":{\"name\":\"p%d\"}}]}}",
	"network.links[0].peer.name: invalid interface name \"p%d\": '%'")
BAD_DOC(percent_in_peer_string,
	"{\"network\":{\"links\":[{\"name\":\"e0\",\"kind\":\"veth\","
	"\"peer\":\"p%d\"}]}}",
	"network.links[0].peer: invalid interface name \"p%d\"")
BAD_DOC(percent_in_master,
	"{\"network\":{\"links\":[{\"name\":\"e0\",\"kind\":\"veth\","
	"\"peer\":{\"name\":\"p0\",\"master\":\"br%d\"}}]}}",
	"network.links[0].peer.master: invalid interface name \"br%d\"")
BAD_DOC(percent_in_parent,
	"{\"network\":{\"links\":[{\"name\":\"m0\",\"kind\":\"macvlan\","
	"\"parent\":\"eth%d\"}]}}",
	"network.links[0].parent: invalid interface name \"eth%d\"")
BAD_DOC(percent_in_address_dev,
	"{\"network\":{\"addresses\":[\"e%d 10.0.0.2/24\"]}}",
	"network.addresses[0]: invalid interface name \"e%d\": '%'")
BAD_DOC(percent_in_address_object_dev,
	"{\"network\":{\"addresses\":[{\"dev\":\"e%d\",\"address\":"
	"\"10.0.0.2/24\"}]}}",
	"network.addresses[0]: invalid interface name \"e%d\"")
BAD_DOC(percent_in_route_dev,
	"{\"network\":{\"routes\":[\"10.1.0.0/16 dev e%d\"]}}",
	"network.routes[0]: invalid interface name \"e%d\"")
BAD_DOC(colon_in_link_name, "{\"network\":{\"links\":[{\"name\":\"eth0:1\"}]}}",
	"network.links[0].name: invalid interface name \"eth0:1\": '/' and "
	"':' are not allowed")
BAD_DOC(dotdot_as_peer,
	"{\"network\":{\"links\":[{\"name\":\"e0\",\"kind\":\"veth\","
	"\"peer\":\"..\"}]}}",
	"network.links[0].peer: invalid interface name \"..\"")
BAD_ANN(percent_in_compact_veth_flood,
	"{\"io.linx.links\":\"rq%d veth peer rqp%d\"}",
	"io.linx.links: item 1 \"rq%d veth peer rqp%d\"",
	"invalid interface name \"rq%d\": '%'",
	"invalid interface name \"rqp%d\": '%'")
BAD_ANN(percent_in_compact_master,
	"{\"io.linx.links\":\"e0 veth peer p0 master br%d\"}",
	"invalid interface name \"br%d\"")
BAD_ANN(space_like_byte_in_compact_address_dev,
	"{\"io.linx.addresses\":\"e\xc2\xa0 10.0.0.2/24\"}",
	"invalid interface name", "whitespace")

/* --------------------------------------------------------- noprefixroute */

Test(addr_grammar, noprefixroute_in_every_form)
{
	struct lx_desired d;
	struct lx_error e;
	struct lx_addr a, b;
	char buf[256];

	cr_assert_eq(
	    lx_addr_parse("eth0 10.0.0.2/24 noprefixroute", &a, "a", &e), 0,
	    "%s", e.msg);
	cr_assert(a.noprefixroute);
	cr_assert(!a.nodad);
	cr_assert_str_eq(lx_addr_format(&a, buf, sizeof(buf)),
			 "eth0 10.0.0.2/24 noprefixroute");
	cr_assert_eq(lx_addr_parse(buf, &b, "a", &e), 0);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);

	cr_assert_eq(doc("{\"network\":{\"addresses\":[{\"dev\":\"eth0\","
			 "\"address\":\"fd00::2/64\",\"nodad\":true,"
			 "\"noprefixroute\":true},"
			 "{\"dev\":\"eth0\",\"address\":\"fd00::3/64\","
			 "\"noprefixroute\":false}]}}",
			 &d, &e),
		     0, "%s", e.msg);
	cr_assert(d.addrs[0].noprefixroute && d.addrs[0].nodad);
	cr_assert(!d.addrs[1].noprefixroute);
	lx_desired_free(&d);

	cr_assert_eq(ann("{\"io.linx.addresses\":\"eth0 10.0.0.2/24 "
			 "noprefixroute; eth0 10.0.1.2/24\"}",
			 &d, &e),
		     0, "%s", e.msg);
	cr_assert(d.addrs[0].noprefixroute);
	cr_assert(!d.addrs[1].noprefixroute);
	lx_desired_free(&d);
}

BAD_DOC(noprefixroute_not_boolean,
	"{\"network\":{\"addresses\":[{\"dev\":\"eth0\",\"address\":"
	"\"10.0.0.2/24\",\"noprefixroute\":\"yes\"}]}}",
	"network.addresses[0].noprefixroute: expected true or false, got "
	"\"yes\"")
BAD_ANN(noprefixroute_takes_no_value,
	"{\"io.linx.addresses\":\"eth0 10.0.0.2/24 noprefixroute yes\"}",
	"unknown word \"yes\"")
