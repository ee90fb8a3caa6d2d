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
#include "link.h"

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

/* ------------------------------------------------------------- broadcast */

Test(addr_grammar, broadcast_in_every_form)
{
	struct lx_desired d;
	struct lx_error e;
	struct lx_addr a, b;
	char buf[256];

	/* + sets the host bits, like ip(8)'s brd +; the canonical form names
	 * the address, and reads back the same */
	cr_assert_eq(lx_addr_parse("eth0 10.0.0.2/24 brd +", &a, "a", &e), 0,
		     "%s", e.msg);
	cr_assert(a.has_brd);
	cr_assert_str_eq(lx_addr_format(&a, buf, sizeof(buf)),
			 "eth0 10.0.0.2/24 broadcast 10.0.0.255");
	cr_assert_eq(lx_addr_parse(buf, &b, "a", &e), 0, "%s", e.msg);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	cr_assert_eq(lx_addr_parse("eth0 10.1.2.3/20 broadcast -", &a, "a", &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(lx_addr_format(&a, buf, sizeof(buf)),
			 "eth0 10.1.2.3/20 broadcast 10.1.0.0");
	cr_assert_eq(lx_addr_parse("eth0 0.0.0.1/0 brd +", &a, "a", &e), 0,
		     "%s", e.msg);
	cr_assert_str_eq(lx_addr_format(&a, buf, sizeof(buf)),
			 "eth0 0.0.0.1/0 broadcast 255.255.255.255");
	/* a /31 or /32 gets none from + (ip(8) too), an explicit one stays */
	cr_assert_eq(lx_addr_parse("eth0 10.0.0.2/31 brd +", &a, "a", &e), 0);
	cr_assert(!a.has_brd);
	cr_assert_eq(
	    lx_addr_parse("eth0 10.0.0.2/32 broadcast 10.0.0.9", &a, "a", &e),
	    0);
	cr_assert(a.has_brd);
	cr_assert(!lx_addr_parse("eth0 10.0.0.2/24", &a, "a", &e) &&
		  !a.has_brd);

	cr_assert_eq(doc("{\"network\":{\"addresses\":[{\"dev\":\"eth0\","
			 "\"address\":\"10.9.0.2/16\",\"broadcast\":\"+\"}]}}",
			 &d, &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(lx_addr_format(&d.addrs[0], buf, sizeof(buf)),
			 "eth0 10.9.0.2/16 broadcast 10.9.255.255");
	lx_desired_free(&d);
	cr_assert_eq(ann("{\"io.linx.addresses\":\"eth0 10.0.0.2/24 brd +; "
			 "eth0 10.0.1.2/24\"}",
			 &d, &e),
		     0, "%s", e.msg);
	cr_assert(d.addrs[0].has_brd && !d.addrs[1].has_brd);
	lx_desired_free(&d);
}

BAD_ANN(broadcast_on_ipv6, "{\"io.linx.addresses\":\"eth0 fd00::2/64 brd +\"}",
	"invalid broadcast \"+\"")
BAD_ANN(broadcast_not_an_address,
	"{\"io.linx.addresses\":\"eth0 10.0.0.2/24 broadcast 10.0.0\"}",
	"invalid broadcast \"10.0.0\"")
BAD_ANN(broadcast_twice,
	"{\"io.linx.addresses\":\"eth0 10.0.0.2/24 brd + broadcast +\"}",
	"\"broadcast\" given twice")

BAD_DOC(noprefixroute_not_boolean,
	"{\"network\":{\"addresses\":[{\"dev\":\"eth0\",\"address\":"
	"\"10.0.0.2/24\",\"noprefixroute\":\"yes\"}]}}",
	"network.addresses[0].noprefixroute: expected true or false, got "
	"\"yes\"")
BAD_ANN(noprefixroute_takes_no_value,
	"{\"io.linx.addresses\":\"eth0 10.0.0.2/24 noprefixroute yes\"}",
	"unknown word \"yes\"")

/* ------------------------------------------------- link words (issue 12) */

Test(link_grammar, compact_words_and_their_json_form)
{
	struct lx_desired d, j;
	struct lx_error e;
	char buf[256];

	cr_assert_eq(ann("{\"io.linx.links\":\"eth0 veth peer lxh0 master "
			 "lxbr0 mtu 1450 up address 02:42:0a:00:00:02 txqlen "
			 "500 peer-down peer-mtu 1500; br0 bridge up; eth1 "
			 "veth master lxbr0\"}",
			 &d, &e),
		     0, "%s", e.msg);
	cr_assert_eq(d.n_links, 3);
	cr_assert_eq(d.links[0].kind, LX_LINK_VETH);
	cr_assert_str_eq(d.links[0].peer, "lxh0");
	cr_assert_str_eq(d.links[0].master, "lxbr0");
	cr_assert_eq(d.links[0].mtu, 1450);
	cr_assert_eq(d.links[0].up, 1);
	cr_assert(d.links[0].has_mac);
	cr_assert_eq(memcmp(d.links[0].mac, "\x02\x42\x0a\x00\x00\x02", 6), 0);
	cr_assert(d.links[0].has_txqlen);
	cr_assert_eq(d.links[0].txqlen, 500);
	cr_assert_eq(d.links[0].peer_up, 0);
	cr_assert_eq(d.links[0].peer_mtu, 1500);
	cr_assert_eq(d.links[1].kind, LX_LINK_BRIDGE);
	/* No peer name: the sidecar makes one; master still the peer's. */
	cr_assert_str_eq(d.links[2].peer, "");
	cr_assert_str_eq(d.links[2].master, "lxbr0");
	cr_assert_eq(d.links[2].peer_up, LX_UNSET);
	/* The compact rendering reads back the same. */
	lx_link_format(&d.links[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "eth0 veth peer lxh0 master lxbr0 mtu 1450 "
			      "address 02:42:0a:00:00:02 txqlen 500 up "
			      "peer-down peer-mtu 1500");
	{
		json_t *s = json_string(buf);
		struct lx_link l;

		cr_assert_eq(lx_link_from_json(s, &l, "x", &e), 0, "%s", e.msg);
		cr_assert_eq(memcmp(&l, &d.links[0], sizeof(l)), 0);
		json_decref(s);
	}
	/* And the canonical document parses back to the same links. */
	{
		json_t *doc_json = lx_desired_to_json(&d);
		char *text = json_dumps(doc_json, 0);

		cr_assert_eq(doc(text, &j, &e), 0, "%s: %s", text, e.msg);
		for (size_t i = 0; i < d.n_links; i++)
			cr_assert_eq(memcmp(&j.links[i], &d.links[i],
					    sizeof(j.links[i])),
				     0, "link %zu of %s", i, text);
		free(text);
		json_decref(doc_json);
		lx_desired_free(&j);
	}
	lx_desired_free(&d);

	cr_assert_eq(doc("{\"network\":{\"links\":[{\"name\":\"eth0\",\"kind\":"
			 "\"veth\",\"address\":\"02:42:0A:00:00:0b\","
			 "\"txqlen\":0,\"peer\":{\"master\":\"br0\",\"up\":"
			 "false,\"mtu\":9000}}]}}",
			 &d, &e),
		     0, "%s", e.msg);
	cr_assert_eq(d.links[0].mac[5], 0x0b);
	cr_assert(d.links[0].has_txqlen);
	cr_assert_eq(d.links[0].txqlen, 0);
	cr_assert_eq(d.links[0].peer_mtu, 9000);
	cr_assert_eq(d.links[0].peer_up, 0);
	lx_desired_free(&d);
}

Test(link_grammar, generated_peer_names)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ], x[IFNAMSIZ];

	lx_link_peer_name("web-42", "eth0", NULL, a);
	lx_link_peer_name("web-42", "eth0", "lx", b);
	lx_link_peer_name("web-42", "eth1", NULL, c);
	lx_link_peer_name("web-43", "eth0", "lxh", x);
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, c);
	cr_assert_eq(strlen(a), 15);
	cr_assert_eq(strlen(x), 15);
	cr_assert_eq(strncmp(a, "lx", 2), 0);
	cr_assert_eq(strncmp(x, "lxh", 3), 0);
	cr_assert(lx_ifname_valid(a) && lx_ifname_valid(x));
	for (const char *p = a + 2; *p; p++)
		cr_assert(strchr("0123456789abcdef", *p), "%s", a);
}

BAD_DOC(mac_seven_octets,
	"{\"network\":{\"links\":[{\"name\":\"lo\",\"address\":"
	"\"02:42:0a:00:00:02:03\"}]}}",
	"network.links[0].address: invalid MAC address "
	"\"02:42:0a:00:00:02:03\"")
BAD_DOC(mac_multicast,
	"{\"network\":{\"links\":[{\"name\":\"lo\",\"address\":"
	"\"01:00:5e:00:00:01\"}]}}",
	"network.links[0].address: \"01:00:5e:00:00:01\" is a multicast")
BAD_DOC(mac_zero,
	"{\"network\":{\"links\":[{\"name\":\"lo\",\"address\":"
	"\"00:00:00:00:00:00\"}]}}",
	"is the zero address")
BAD_DOC(txqlen_negative,
	"{\"network\":{\"links\":[{\"name\":\"lo\",\"txqlen\":-1}]}}",
	"network.links[0].txqlen: -1 out of range (0..4294967295)")
BAD_DOC(peer_mtu_on_json,
	"{\"network\":{\"links\":[{\"name\":\"e0\","
	"\"kind\":\"veth\",\"peer\":{\"mtu\":0}}]}}",
	"network.links[0].peer.mtu: 0 out of range (68..65535)")
BAD_DOC(peer_on_a_bridge,
	"{\"network\":{\"links\":[{\"name\":\"b0\",\"kind\":\"bridge\","
	"\"peer\":\"x0\"}]}}",
	"network.links[0].peer: only a veth has a peer")
BAD_ANN(peer_mtu_zero, "{\"io.linx.links\":\"eth0 veth peer-mtu 0\"}",
	"io.linx.links: item 1 \"eth0 veth peer-mtu 0\"",
	"peer.mtu: 0 out of range (68..65535)")
BAD_ANN(peer_mtu_needs_a_value, "{\"io.linx.links\":\"eth0 veth peer-mtu\"}",
	"\"peer-mtu\" needs a value")
BAD_ANN(txqlen_not_a_number, "{\"io.linx.links\":\"eth0 txqlen many\"}",
	"invalid txqlen \"many\"")
BAD_ANN(peer_down_on_a_dummy, "{\"io.linx.links\":\"d0 dummy peer-down\"}",
	"only a veth has a peer")
BAD_ANN(mac_short, "{\"io.linx.links\":\"eth0 address 02:42:0a\"}",
	"invalid MAC address \"02:42:0a\"")

/*
 * What `observe` prints and the compact form reads are one grammar: each
 * word, formatted from what it parses to, gives the same text back (the
 * formatter's order is the canonical one), and the object form carries
 * the same link.
 */
Test(link_grammar, format_of_parse_is_the_text_for_every_word)
{
	static const char *const items[] = {
	    "lo up",
	    "lo down",
	    "eth0 veth",
	    "eth0 veth peer lxh0",
	    "eth0 veth master lxbr0",
	    "eth0 veth peer lxh0 master lxbr0 mtu 1500 up",
	    "eth0 mtu 68",
	    "eth0 mtu 65535",
	    "eth0 address 02:42:0a:00:00:02",
	    "eth0 txqlen 0",
	    "eth0 txqlen 4294967295",
	    "eth0 veth peer lxh0 up peer-down",
	    "eth0 veth peer-mtu 9000",
	    ("eth0 veth peer lxh0 master lxbr0 mtu 1450 address "
	     "02:42:0a:00:00:02 txqlen 500 up peer-down peer-mtu 1500"),
	    "mv0 macvlan parent eno1",
	    "mv0 macvlan parent eno1 mode private",
	    "mv0 macvlan parent eno1 mode vepa",
	    "mv0 macvlan parent eno1 mode bridge mtu 1400 down",
	    "mv0 macvlan parent eno1 mode passthru",
	    "mv0 macvlan parent eno1 mode source",
	    "i0 ipvlan parent eno1 mode l2",
	    "i0 ipvlan parent eno1 mode l3",
	    "i0 ipvlan parent eno1 mode l3s up",
	    "d0 dummy up",
	    "br0 bridge mtu 1400 address 02:00:00:00:0b:01 txqlen 500 up",
	};

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		struct lx_link l, back;
		struct lx_error e;
		char buf[256];
		json_t *s = json_string(items[i]), *o;

		lx_error_clear(&e);
		cr_assert_eq(lx_link_from_json(s, &l, "links[0]", &e), 0,
			     "%s: %s", items[i], e.msg);
		json_decref(s);
		cr_assert_str_eq(lx_link_format(&l, buf, sizeof(buf)),
				 items[i]);
		o = lx_link_to_json(&l);
		cr_assert_not_null(o);
		cr_assert_eq(lx_link_from_json(o, &back, "links[0]", &e), 0,
			     "%s: %s", items[i], e.msg);
		json_decref(o);
		cr_assert_eq(memcmp(&l, &back, sizeof(l)), 0,
			     "object form of %s differs", items[i]);
	}
}
