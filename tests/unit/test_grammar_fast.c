/* SPDX-License-Identifier: MIT */
/*
 * The grammar's fast paths agree with what they replace: lx_ipv4_quad with
 * inet_pton(AF_INET), lx_split_words with strtok_r's split, lx_item_field
 * with snprintf("%s[%zu]"). No kernel.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "desired.h"
#include "grammar.h"

static const char *const quads[] = {
    "0.0.0.0",	    "10.1.2.3",	     "255.255.255.255", "256.1.1.1",
    "1.2.3.256",    "01.2.3.4",	     "1.02.3.4",	"1.2.3.00",
    "1.2.3",	    "1.2.3.4.5",     "1..2.3",		".1.2.3",
    "1.2.3.",	    "1.2.3.4 ",	     " 1.2.3.4",	"1.2.3.-4",
    "1.2.3.4a",	    "0x1.2.3.4",     "1234.1.1.1",	"1.2.3.0004",
    "",		    "1",	     "::1",		"::ffff:1.2.3.4",
    "9.9.9.9",	    "199.200.249.0", "100.100.100.100", "1.2.3.4/24",
    "001.002.3.4",  "0.0.0.00",	     "1.2.3.4\n",	"1.2.3.4.",
    "99.99.99.999", "300.0.0.0",
};

Test(grammar_fast, ipv4_quad_agrees_with_inet_pton)
{
	for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
		struct in_addr a = {0}, b = {0};
		const char *s = quads[i];
		bool fast = lx_ipv4_quad(s, strlen(s), &a);
		int lib = inet_pton(AF_INET, s, &b);

		/* Never accepts what inet_pton refuses; here (no doubt
		 * possible) exactly inet_pton's answer. */
		cr_assert_eq(fast, lib == 1, "%s: fast %d, inet_pton %d", s,
			     fast, lib);
		if (fast)
			cr_assert_eq(a.s_addr, b.s_addr, "%s", s);
	}
}

Test(grammar_fast, ipv4_quad_reads_only_n_bytes)
{
	struct in_addr a;

	cr_assert(lx_ipv4_quad("10.0.0.1/32", 8, &a));
	cr_assert_eq(a.s_addr, htonl(0x0a000001));
	cr_assert_not(lx_ipv4_quad("10.0.0.1/32", 7, &a));
	cr_assert_not(lx_ipv4_quad("10.0.0.1/32", 9, &a));
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
