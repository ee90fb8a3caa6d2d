/* SPDX-License-Identifier: MIT */
/*
 * lib/json_fast.c: what the fast reader takes it reads as json_loadb does
 * (the same tree, members in order); what it declines goes to json_loadb,
 * errors and all. No kernel.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "json_fast.h"
#include "json_same.h"
#include "route.h"

/* Plain documents: the fast reader must take them, as jansson reads them. */
static const char *const taken[] = {
    "{}",
    "[]",
    " \t\r\n{ } \n",
    "[1,-2,0,-0,123456789012345678,-123456789012345678]",
    "{\"a\":[true,false,null],\"b\":{\"c\":{}},\"d\":\"\"}",
    "{\"z\":1,\"a\":2,\"m\":3}",
    "[\"x\\n\\t\\r\\b\\f\\/\\\\\\\"y\"]",
    "[\"\\u0041\\u00e9\\u20ac\\uffff\\u0001\"]",
    "{\"k\\u0065y\":\"v\",\"key2\":{\"k\\n\":[\"\\u00e9\"]}}",
    "{\"network\":{\"routes\":[\"10.0.0.0/8 via 10.0.0.1\"]},\"s\":{\"a\":1}}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "[\"0123456789abcdef0123456789abcdef0123456789\", \"short\", \"eight888\"]",
};

/* Declined: errors, and what jansson decides itself. */
static const char *const declined[] = {
    "",
    "   ",
    "1",
    "\"s\"",
    "null",
    "{",
    "[1,]",
    "[1 2]",
    "{\"a\" 1}",
    "{\"a\":1,}",
    "{,}",
    "{1:2}",
    "[01]",
    "[-]",
    "[1.5]",
    "[1e3]",
    "[-0.0]",
    "[1234567890123456789]",
    "[9223372036854775808]",
    "[\"\\u0000\"]",
    "[\"\\ud83d\\ude00\"]",
    "[\"\\udc00\"]",
    "[\"\\x\"]",
    "[\"\\u12\"]",
    "[\"tab\there\"]",
    "[\"caf\xc3\xa9\"]",
    "\xef\xbb\xbf{}",
    "[\"unterminated]",
    "{\"a\":1,\"a\":2}",
    "{\"k\\u0065y\":1,\"key\":2}",
    "[truex]",
    "[tru]",
    "[nul]",
    "{}x",
    "{} {}",
    "[1]\0",
};

Test(json_fast, takes_plain_documents_as_jansson_reads_them)
{
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		const char *s = taken[i];
		json_t *a = lx_json_fast_loadb(s, strlen(s), 0);
		json_t *b = json_loadb(s, strlen(s), 0, NULL);

		cr_assert(a, "declined %s", s);
		cr_assert(b, "jansson refuses %s", s);
		cr_assert(json_same(a, b), "%s", s);
		json_decref(a);
		a = lx_json_fast_loadb(s, strlen(s), JSON_REJECT_DUPLICATES);
		cr_assert(a && json_same(a, b), "%s", s);
		json_decref(a);
		json_decref(b);
	}
}

Test(json_fast, depth_limit)
{
	char s[2 * (LX_JSON_FAST_DEPTH + 1) + 1];
	json_t *a, *b;

	for (int d = LX_JSON_FAST_DEPTH; d <= LX_JSON_FAST_DEPTH + 1; d++) {
		memset(s, '[', (size_t)d);
		memset(s + d, ']', (size_t)d);
		s[2 * d] = '\0';
		a = lx_json_fast_loadb(s, strlen(s), 0);
		cr_assert_eq(a != NULL, d <= LX_JSON_FAST_DEPTH, "depth %d", d);
		/* Deeper: jansson's (2048 levels). */
		b = lx_json_loadb(s, strlen(s), 0, NULL);
		cr_assert(b);
		json_decref(a);
		json_decref(b);
	}
}

static void same_verdict(const char *s, size_t len, size_t flags)
{
	json_error_t ea, eb;
	json_t *a = lx_json_loadb(s, len, flags, &ea);
	json_t *b = json_loadb(s, len, flags, &eb);

	cr_assert_eq(a != NULL, b != NULL, "%s", s);
	if (a) {
		cr_assert(json_same(a, b), "%s", s);
	} else {
		cr_assert_str_eq(ea.text, eb.text, "%s", s);
		cr_assert_str_eq(ea.source, eb.source, "%s", s);
		cr_assert_eq(ea.line, eb.line, "%s", s);
		cr_assert_eq(ea.column, eb.column, "%s", s);
		cr_assert_eq(ea.position, eb.position, "%s", s);
	}
	json_decref(a);
	json_decref(b);
}

Test(json_fast, declines_what_it_does_not_handle)
{
	for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
		const char *s = declined[i];
		size_t len = strlen(s) + (!strcmp(s, "[1]") ? 1 : 0);

		cr_assert_null(lx_json_fast_loadb(s, len, 0), "took %s", s);
		cr_assert_null(
		    lx_json_fast_loadb(s, len, JSON_REJECT_DUPLICATES),
		    "took %s", s);
		same_verdict(s, len, 0);
		same_verdict(s, len, JSON_REJECT_DUPLICATES);
	}
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		same_verdict(taken[i], strlen(taken[i]), 0);
}

Test(json_fast, other_flags_are_jansson_s)
{
	cr_assert_null(lx_json_fast_loadb("[1]", 3, JSON_DECODE_ANY));
	cr_assert_null(lx_json_fast_loadb("[1]", 3, JSON_DECODE_INT_AS_REAL));
	cr_assert_null(lx_json_fast_loadb(NULL, 0, 0));
	same_verdict("1", 1, JSON_DECODE_ANY);
	same_verdict("[1]", 3, JSON_DECODE_INT_AS_REAL);
}

Test(json_fast, success_leaves_the_error_as_jansson_does)
{
	json_error_t ea, eb;
	json_t *a = lx_json_loadb("{} ", 3, 0, &ea);
	json_t *b = json_loadb("{} ", 3, 0, &eb);

	cr_assert(a && b);
	cr_assert_str_eq(ea.text, eb.text);
	cr_assert_str_eq(ea.source, eb.source);
	cr_assert_eq(ea.line, eb.line);
	cr_assert_eq(ea.column, eb.column);
	cr_assert_eq(ea.position, eb.position);
	json_decref(a);
	json_decref(b);
}

/* The desired document's messages are jansson's, through the reader. */
Test(json_fast, desired_document_errors_unchanged)
{
	static const char *const docs[] = {
	    "{\"network\":{},\"network\":{}}",
	    "[1,",
	    "{\"a\":\"\\u0000\"}",
	    "{\"options\":{\"interval_ms\":1.5}}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct lx_desired d;
		struct lx_error e;
		json_error_t je;
		json_t *j = json_loadb(docs[i], strlen(docs[i]),
				       JSON_REJECT_DUPLICATES, &je);
		char want[512];

		if (j)
			snprintf(want, sizeof(want), "%s",
				 "options.interval_ms: expected an integer, "
				 "got 1.5");
		else
			snprintf(want, sizeof(want),
				 "invalid JSON at line %d column %d: %s",
				 je.line, je.column, je.text);
		json_decref(j);
		lx_error_clear(&e);
		cr_assert_lt(lx_desired_from_string(docs[i], strlen(docs[i]),
						    &d, &e),
			     0);
		cr_assert_str_eq(e.msg, want);
	}
}

/* An arena tree is the tree json_loadb reads; a document the fast reader
 * declines is jansson's, errors included; both end without a leak (the
 * ASan run of this suite checks) and jansson's other allocations, before,
 * during and after an arena, stay malloc's (json_dumps' text is free()d). */
Test(json_fast, arena_tree_is_jansson_s_and_ends_whole)
{
	static const char *const docs[] = {
	    "{\"network\":{\"routes\":[\"10.0.0.0/8 via 10.0.0.1\"]},\"s\":{\"a\":1}}",
	    "[\"caf\xc3\xa9\"]", /* non-ASCII: declined, jansson's tree */
	    "[1.5]",
	};
	json_t *before = json_pack("{s:s}", "k", "v");

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
			struct lx_json_arena a;
			json_error_t ea, eb;
			json_t *t = lx_json_loadb_arena(docs[i], strlen(docs[i]), 0,
						       &ea, &a);
			json_t *b = json_loadb(docs[i], strlen(docs[i]), 0, &eb);
			char *text = json_dumps(t, JSON_COMPACT);

			cr_assert(t && b && json_same(t, b), "%s", docs[i]);
			cr_assert_eq(ea.position, eb.position);
			cr_assert(text);
			free(text);
			/* a second arena while one is live: jansson's tree */
			struct lx_json_arena a2;
			json_t *t2 = lx_json_loadb_arena(docs[i], strlen(docs[i]), 0,
							NULL, &a2);
			cr_assert(t2 && json_same(t2, b));
			cr_assert_null(a2.blocks);
			lx_json_arena_end(&a2);
			lx_json_arena_end(&a);
			cr_assert_null(a.tree);
			json_decref(b);
		}
	}
	char *text = json_dumps(before, JSON_COMPACT);
	cr_assert_str_eq(text, "{\"k\":\"v\"}");
	free(text);
	json_decref(before);
}

Test(json_fast, arena_errors_are_jansson_s)
{
	struct lx_json_arena a;
	json_error_t ea, eb;
	const char *s = "{\"a\":[1,2,}";

	cr_assert_null(lx_json_loadb_arena(s, strlen(s), 0, &ea, &a));
	cr_assert_null(json_loadb(s, strlen(s), 0, &eb));
	cr_assert_str_eq(ea.text, eb.text);
	cr_assert_eq(ea.line, eb.line);
	cr_assert_eq(ea.column, eb.column);
	lx_json_arena_end(&a);
	/* a big document: more than one block */
	size_t n = 40000, len = 0;
	char *big = malloc(n * 16 + 4);
	big[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "%s\"x%zu\"", i ? "," : "", i);
	big[len++] = ']';
	json_t *t = lx_json_loadb_arena(big, len, 0, NULL, &a);
	cr_assert(t && json_array_size(t) == n);
	cr_assert_str_eq(json_string_value(json_array_get(t, n - 1)), "x39999");
	cr_assert(a.blocks && a.blocks != NULL);
	lx_json_arena_end(&a);
	free(big);
}

/* ------------------------------------------- network.routes as items */

/* The document read with its routes as items parses to what its whole
 * jansson tree parses to: the same verdict, the same lines, the same
 * routes. */
static void items_as_tree(const char *doc)
{
	struct lx_desired a, b;
	struct lx_error ea, eb;
	json_t *t = json_loadb(doc, strlen(doc), JSON_REJECT_DUPLICATES, NULL);
	int ra, rb;

	lx_error_clear(&ea);
	lx_error_clear(&eb);
	ra = lx_desired_from_string(doc, strlen(doc), &a, &ea);
	if (!t) {
		cr_assert_lt(ra, 0, "%s", doc);
		return;
	}
	rb = lx_desired_from_json(t, &b, &eb);
	json_decref(t);
	cr_assert_eq(ra, rb, "%s: %s / %s", doc, ea.msg, eb.msg);
	cr_assert_str_eq(ea.msg, eb.msg, "%s", doc);
	cr_assert_eq(a.n_routes, b.n_routes, "%s", doc);
	for (size_t i = 0; i < a.n_routes; i++)
		cr_assert(lx_route_same(&a.routes[i], &b.routes[i]), "%s [%zu]",
			  doc, i);
	cr_assert_eq(a.n_links, b.n_links);
	cr_assert_eq(a.n_addrs, b.n_addrs);
	lx_desired_free(&a);
	lx_desired_free(&b);
}

Test(json_fast, routes_as_items_parse_as_the_tree)
{
	static const char *const docs[] = {
	    "{\"network\":{\"routes\":[]}}",
	    "{\"network\":{\"routes\":[\"10.0.0.0/8 via 10.0.0.1\"]}}",
	    "{\"network\":{\"routes\":[\"10.0.0.0/8 via 10.0.0.1\","
	    "\"10.0.0.0/8 via 10.0.0.2\"]}}",
	    "{\"network\":{\"routes\":[\"10.0.0.1/8\", \"bad\", 1, null, "
	    "true, [], {}, \"\", \"blackhole 10.9.0.0/16\"]}}",
	    "{\"network\":{\"routes\":[\"10.0.0.0/8 via 10.0.0.1 dev "
	    "e\\u0074h0\", \"10.1.0.0/16 dev eth0\\n\"]}}",
	    "{\"network\":{\"routes\":[{\"dst\":\"10.0.0.0/8\",\"via\":"
	    "\"10.0.0.1\"}, {\"dst\":\"10.0.0.0/8\",\"via\":\"10.0.0.1\"}, "
	    "{\"x\":1}]}}",
	    "{\"network\":{\"links\":[1],\"routes\":[\"x\"],\"addresses\":[2],"
	    "\"rules\":[\"y\"]}}",
	    "{\"network\":{\"routes\":[\"10.0.0.0/8\"],\"routes\":[]}}",
	    "{\"network\":{\"routes\":[]},\"network\":{}}",
	    "{\"network\":{\"routes\":\"10.0.0.0/8\"}}",
	    "{\"network\":{\"routes\":{}}}",
	    "{\"network\":{\"rout\\u0065s\":[\"10.0.0.0/8\", \"z\"]}}",
	    "{\"routes\":[\"10.0.0.0/8\"]}",
	    "{\"x\":{\"network\":{\"routes\":[\"q\"]}}}",
	    "{\"network\":{\"x\":{\"routes\":[\"q\"]}}}",
	    "{\"network\":{\"routes\":[\"10.0.0.0/8\",]}}",
	    "{\"network\":{\"routes\":[\"10.0.0.0/8\" \"x\"]}}",
	    "{\"network\":{\"routes\":[\"caf\xc3\xa9\"]}}",
	    "{\"network\":{\"routes\":[\"10.0.0.0/8 dev eth0\"]},"
	    "\"options\":{\"adopt\":1}}",
	    "{\"network\":{\"routes\":[\"default via fe80::1 dev eth0\", "
	    "\"fd00::/64 via fd00::1\", \"fd00::/64 via fd00::1 metric 1024\"]}}",
	    "[\"network\"]",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		items_as_tree(docs[i]);
}

Test(json_fast, routes_past_the_limit_as_the_tree)
{
	size_t n = 65537, len = 0;
	char *doc = malloc(n * 24 + 64);

	len += (size_t)sprintf(doc, "{\"network\":{\"routes\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "%s\"1.%zu.%zu.0/24\"",
				       i ? "," : "", i / 256 % 256, i % 256);
	sprintf(doc + len, "]}}");
	items_as_tree(doc);
	free(doc);
}

/* What the items are: plain strings as their bytes, the rest as nodes;
 * a declined document leaves none. */
Test(json_fast, routes_items_are_bytes_or_nodes)
{
	const char *s = "{\"a\":[\"q\"],\"network\":{\"routes\":[\"r1\", "
			"\"r\\u0032\", 3, {\"k\":\"v\"}, \"\"], \"x\":[\"y\"]}}";
	struct lx_json_items it = {.key1 = "network", .key2 = "routes"};
	struct lx_json_arena a;
	json_t *t = lx_json_loadb_arena_items(s, strlen(s), 0, NULL, &a, &it);

	cr_assert(t);
	cr_assert(it.array);
	cr_assert_eq(json_object_get(json_object_get(t, "network"), "routes"),
		     it.array);
	cr_assert_eq(json_array_size(it.array), 0);
	cr_assert_eq(it.n, 5);
	cr_assert_eq(it.v[0].len, 2);
	cr_assert(!memcmp(s + it.v[0].off, "r1", 2));
	cr_assert_eq(it.v[1].len, LX_JSON_ITEM_NODE);
	cr_assert_str_eq(json_string_value(it.nodes[it.v[1].off]), "r2");
	cr_assert_eq(json_integer_value(it.nodes[it.v[2].off]), 3);
	cr_assert(json_is_object(it.nodes[it.v[3].off]));
	cr_assert_eq(it.v[4].len, 0);
	cr_assert_eq(json_array_size(json_object_get(t, "a")), 1);
	lx_json_arena_end(&a);
	lx_json_items_free(&it);

	s = "{\"network\":{\"routes\":[\"r1\"]},\"b\":[1.5]}";
	t = lx_json_loadb_arena_items(s, strlen(s), 0, NULL, &a, &it);
	cr_assert(t);
	cr_assert_null(it.array);
	cr_assert_eq(it.n, 0);
	cr_assert_eq(json_array_size(json_object_get(
			 json_object_get(t, "network"), "routes")),
		     1);
	lx_json_arena_end(&a);
	lx_json_items_free(&it);
}
