/* SPDX-License-Identifier: MIT */
/*
 * The grammar's fast paths agree with what they replace: lx_prefix_parse
 * with inet_pton and a strict length, lx_split_words with strtok_r's split, lx_item_field
 * with snprintf("%s[%zu]"). No kernel.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "desired.h"
#include "grammar.h"
#include "prefix_ref.h"
#include "route.h"

static const char *const quads[] = {
    "0.0.0.0",	    "10.1.2.3",	     "255.255.255.255", "256.1.1.1",
    "1.2.3.256",    "01.2.3.4",	     "1.02.3.4",	"1.2.3.00",
    "1.2.3",	    "1.2.3.4.5",     "1..2.3",		".1.2.3",
    "1.2.3.",	    "1.2.3.4 ",	     " 1.2.3.4",	"1.2.3.-4",
    "1.2.3.4a",	    "0x1.2.3.4",     "1234.1.1.1",	"1.2.3.0004",
    "",		    "1",	     "::1",		"::ffff:1.2.3.4",
    "9.9.9.9",	    "199.200.249.0", "100.100.100.100", "1.2.3.4/24",
    "001.002.3.4",  "0.0.0.00",	     "1.2.3.4\n",	"1.2.3.4.",
    "99.99.99.999", "300.0.0.0",      "fd00::1",	"1.2.3.4:80",
    "1.2.3.4x",	    "1.2.3.4.",
};

Test(grammar_fast, prefix_parse_as_inet_pton)
{
	static const char *const lens[] = {"",	   "/0",   "/8",   "/32",
					   "/33",  "/032", "/0032", "/",
					   "/-1",  "/1a",  "/ 8",  "/128",
					   "/129", "//8",  "/8/8", "/00"};

	for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++)
		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++)
			for (int k = 0; k < 3; k++) {
				int fam = k == 0 ? 0 : k == 1 ? AF_INET : AF_INET6;
				char s[64];
				union lx_inaddr a, b;
				uint8_t la = 0, lb = 0, fa = 0, fb = 0;
				int ra, rb;

				snprintf(s, sizeof(s), "%s%s", quads[i],
					 lens[j]);
				memset(&a, 0x5a, sizeof(a));
				rb = reference_prefix(s, fam, &b, &lb, &fb);
				ra = lx_prefix_parse(s, fam, &a, &la, &fa);
				cr_assert_eq(ra, rb, "%s (family %d)", s, fam);
				if (ra)
					continue;
				cr_assert(!memcmp(&a, &b, sizeof(a)), "%s", s);
				cr_assert_eq(la, lb, "%s", s);
				cr_assert_eq(fa, fb, "%s", s);
			}
	/* and with the family asked for */
	for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
		union lx_inaddr a, b;
		uint8_t la, lb, fa, fb;

		cr_assert_eq(lx_prefix_parse(quads[i], AF_INET, &a, &la, &fa),
			     reference_prefix(quads[i], AF_INET, &b, &lb, &fb),
			     "%s", quads[i]);
	}
}

static void split_like_strtok(const char *s)
{
	struct lx_words w;
	struct lx_error e;
	char copy[LX_ITEM_MAX + 1], *save = NULL, *p;
	size_t n = 0;

	lx_error_clear(&e);
	cr_assert_eq(lx_split_words(s, &w, "f", &e), 0, "%s", s);
	snprintf(copy, sizeof(copy), "%s", s);
	for (p = strtok_r(copy, " \t\r\n", &save); p;
	     p = strtok_r(NULL, " \t\r\n", &save), n++) {
		cr_assert_lt(n, w.n, "%s", s);
		cr_assert_str_eq(w.w[n], p, "%s", s);
	}
	cr_assert_eq(n, w.n, "%s", s);
}

Test(grammar_fast, split_words_as_strtok_r)
{
	split_like_strtok("");
	split_like_strtok("   ");
	split_like_strtok("a");
	split_like_strtok(" a ");
	split_like_strtok("10.0.0.0/8 via 10.0.0.1");
	split_like_strtok("\ta\r\nb  \t c\n");
	split_like_strtok("a\vb\fc"); /* \v and \f are not separators */
	split_like_strtok("x\xa0y \x01z");
}

Test(grammar_fast, split_words_limits)
{
	char s[LX_ITEM_MAX + 2];
	struct lx_words w;
	struct lx_error e;
	size_t o = 0;

	for (int i = 0; i < LX_ITEM_WORDS_MAX; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "w%d ", i);
	lx_error_clear(&e);
	cr_assert_eq(lx_split_words(s, &w, "f", &e), 0);
	cr_assert_eq(w.n, LX_ITEM_WORDS_MAX);
	snprintf(s + o, sizeof(s) - o, "one-more");
	cr_assert_lt(lx_split_words(s, &w, "f", &e), 0);
	cr_assert(strstr(e.msg, "f: too many words (max 32) in \"w0 w1"),
		  "%s", e.msg);
	memset(s, 'a', LX_ITEM_MAX);
	s[LX_ITEM_MAX] = '\0';
	lx_error_clear(&e);
	cr_assert_eq(lx_split_words(s, &w, "f", &e), 0);
	cr_assert_eq(w.n, 1);
	s[LX_ITEM_MAX] = 'a';
	s[LX_ITEM_MAX + 1] = '\0';
	cr_assert_lt(lx_split_words(s, &w, "f", &e), 0);
	cr_assert(strstr(e.msg, "f: item too long (1025 bytes, max 1024)"),
		  "%s", e.msg);
}

Test(grammar_fast, item_field_as_snprintf)
{
	static const size_t idx[] = {0, 9, 10, 65535, (size_t)-1};
	char base[600], want[640], got[512];
	struct lx_origin o = {.base = base};

	for (size_t b = 0; b < 560; b += 37) {
		memset(base, 'x', b);
		base[b] = '\0';
		for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
			snprintf(want, sizeof(want), "%s[%zu]", base, idx[i]);
			want[sizeof(got) - 1] = '\0'; /* snprintf into got */
			lx_item_field(&o, idx[i], got, sizeof(got));
			cr_assert_str_eq(got, want);
		}
	}
	o.base = "network.routes";
	cr_assert_str_eq(lx_item_field(&o, 42, got, sizeof(got)),
			 "network.routes[42]");
}

/* Items are named BASE[I] as they are parsed (lib/desired.c's namer). */
Test(grammar_fast, items_named_by_index)
{
	char doc[4096];
	size_t o = 0;
	struct lx_desired d;
	struct lx_error e;

	o += (size_t)snprintf(doc + o, sizeof(doc) - o,
			      "{\"network\": {\"routes\": [");
	for (int i = 0; i < 123; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o,
				      "%s\"10.0.%d.0/24 via 10.255.0.1\"",
				      i ? ", " : "", i);
	o += (size_t)snprintf(doc + o, sizeof(doc) - o,
			      ", \"bad\"], \"rules\": [\"x\"], "
			      "\"addresses\": [1, \"eth0 10.0.0.1/24\", 2]}}");
	lx_error_clear(&e);
	cr_assert_lt(lx_desired_from_string(doc, o, &d, &e), 0);
	cr_assert_str_eq(
	    e.msg, "network.routes[123]: invalid destination \"bad\"\n"
		   "network.rules[0]: unknown word \"x\" in \"x\"\n"
		   "network.addresses[0]: expected a string or an object, got 1\n"
		   "network.addresses[2]: expected a string or an object, got 2");
}

/* Indexes as snprintf writes them, across the carries (9, 99, 999). */
static bool bad_index(int i)
{
	static const int bad[] = {0, 1, 9, 10, 11, 99, 100, 101, 998, 999, 1000,
				  1001, 1099, 1100, 1104};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		if (bad[k] == i)
			return true;
	return false;
}

Test(grammar_fast, every_index_named)
{
	enum { N = 1105 };
	static char doc[N * 40 + 64];
	size_t o = 0;
	struct lx_desired d;
	struct lx_error e;
	const char *line;

	o += (size_t)snprintf(doc + o, sizeof(doc) - o,
			      "{\"network\": {\"routes\": [");
	for (int i = 0; i < N; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o,
				      bad_index(i) ? "%s\"x\""
						   : "%s\"10.0.%d.%d/32 dev lo\"",
				      i ? "," : "", i / 256, i % 256);
	o += (size_t)snprintf(doc + o, sizeof(doc) - o, "]}}");
	lx_error_clear(&e);
	cr_assert_lt(lx_desired_from_string(doc, o, &d, &e), 0);
	line = e.msg;
	for (int i = 0; i < N; i++) {
		char want[80];
		size_t n;

		if (!bad_index(i))
			continue;
		n = (size_t)snprintf(want, sizeof(want),
				     "network.routes[%d]: invalid destination "
				     "\"x\"",
				     i);
		cr_assert(!strncmp(line, want, n), "%d: %.60s", i, line);
		line += n;
		cr_assert_eq(*line, i + 1 < N ? '\n' : '\0');
		line++;
	}
}

/* lx_route_parse_fast takes s only to build what the word-by-word parser
 * builds; whether it took it is returned. */
static bool fast_as_words(const char *s)
{
	struct lx_route a, b;
	struct lx_error e;
	bool took;
	int rb;

	lx_error_clear(&e);
	took = lx_route_parse_fast(s, strlen(s), &a);
	rb = lx_route_parse_words(s, &b, "r", &e);
	if (took) {
		cr_assert_eq(rb, 0, "fast took %s, the words refuse: %s", s,
			     e.msg);
		cr_assert(lx_route_same(&a, &b), "%s", s);
		cr_assert_eq(a.n_nexthops, 0, "%s", s);
	}
	if (rb == 0)
		lx_route_fini(&b);
	return took;
}

Test(grammar_fast, route_fast_path_builds_what_the_words_build)
{
	static const char *const taken[] = {
	    "10.1.2.3/32 via 10.255.0.2",
	    "10.0.0.0/8",
	    "  10.0.0.0/8   via  10.0.0.1  ",
	    "default via 10.0.0.1",
	    "default",
	    "default dev eth0",
	    "0.0.0.0/0 via 192.168.1.1 dev eth0 metric 100",
	    "10.0.0.0/8 dev eth0",
	    "10.0.0.0/8 via 10.0.0.1 dev eth0 onlink",
	    "10.0.0.0/8 onlink via 10.0.0.1 dev eth0",
	    "10.0.0.0/8 metric 4294967295",
	    "10.0.0.0/8 metric 0",
	    "10.0.0.0/8 metric 007",
	    "10.0.0.0/8 table 100",
	    "10.0.0.0/8 table main",
	    "10.0.0.0/8 table 254",
	    "10.0.0.0/8 table 0",
	    "10.0.0.0/032",
	    "1.2.3.4",
	    "fd00::/64 via fd00::1",
	    "fd00::1/128 dev eth0 metric 1024",
	    "default via fe80::1 dev eth0",
	    "::/0 via fe80::1 dev eth0",
	    "10.0.0.0/8 dev a.b",
	    "10.0.0.0/8 dev 123456789012345",
	};
	static const char *const declined[] = {
	    "",
	    "   ",
	    "10.0.0.1/8",
	    "10.0.0.0/33",
	    "10.0.0.0/",
	    "10.0.0.0/0008",
	    "010.0.0.0/8",
	    "256.0.0.0/8",
	    "10.0.0/8",
	    "10.0.0.0/8 via",
	    "10.0.0.0/8 via 10.0.0.1/32",
	    "10.0.0.0/8 via inet6 fe80::1",
	    "10.0.0.0/8 via fe80::1",
	    "fd00::/64 via 10.0.0.1",
	    "10.0.0.0/8 via 10.0.0.1 via 10.0.0.2",
	    "10.0.0.0/8 onlink",
	    "10.0.0.0/8 via 10.0.0.1 onlink",
	    "10.0.0.0/8 dev eth0 onlink onlink",
	    "10.0.0.0/8 dev 1234567890123456",
	    "10.0.0.0/8 dev .",
	    "10.0.0.0/8 dev ..",
	    "10.0.0.0/8 dev a%d",
	    "10.0.0.0/8 dev a:b",
	    "10.0.0.0/8 metric 4294967296",
	    "10.0.0.0/8 metric -1",
	    "10.0.0.0/8 metric",
	    "10.0.0.0/8 table local",
	    "10.0.0.0/8\tvia 10.0.0.1",
	    "10.0.0.0/8 via 10.0.0.1\n",
	    "10.0.0.0/8 proto 76",
	    "blackhole 10.0.0.0/8",
	    "unicast 10.0.0.0/8",
	    "10.0.0.0/8 nexthop via 10.0.0.1",
	    "10.0.0.0/8 src 10.0.0.1",
	    "10.0.0.0/8 mtu 1400",
	    "fd00::1/64",
	    "::ffff:1.2.3.4",
	    "default via",
	    "10.0.0.0/8 dev \xc3\xa9th0",
	    "via 10.0.0.1",
	    "dev eth0",
	};
	char s[64];

	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		cr_assert(fast_as_words(taken[i]), "declined %s", taken[i]);
	for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
		cr_assert(!fast_as_words(declined[i]), "took %s", declined[i]);
	/* Every octet and length of the common form. */
	for (unsigned int v = 0; v < 300; v += 7)
		for (unsigned int l = 0; l <= 33; l += 3) {
			snprintf(s, sizeof(s), "%u.%u.0.0/%u via 10.0.0.%u", v,
				 v, l, v);
			fast_as_words(s);
		}
}

/* The fast path reads len bytes, not up to a NUL: a string of a JSON
 * buffer is followed by its quote. */
Test(grammar_fast, route_fast_path_stops_at_len)
{
	static const char text[] = "10.0.0.0/8 via 10.0.0.1\"]";
	struct lx_route r;

	cr_assert(lx_route_parse_fast(text, strlen(text) - 2, &r));
	cr_assert_eq(r.dst_len, 8);
	cr_assert(r.has_gw);
	cr_assert(!lx_route_parse_fast(text, strlen(text) - 1, &r));
	cr_assert(!lx_route_parse_fast("10.0.0.0/8\0 via 1.2.3.4", 24, &r));
}
