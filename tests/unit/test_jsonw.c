/* SPDX-License-Identifier: MIT */
/*
 * JSON text without trees (lib/jsonw.c): strings encoded as jansson encodes
 * them (and valid JSON for text jansson refuses), the member scan of
 * state.json, the streaming builder, and lx_desired_dump byte for byte
 * against json_dumps(lx_desired_to_json()).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "format.h"
#include "jsonw.h"

static char *sb_text(struct lx_sb *b)
{
	char *s;

	cr_assert_eq(b->err, 0);
	s = malloc(b->len + 1);
	memcpy(s, b->p, b->len);
	s[b->len] = '\0';
	return s;
}

static void assert_like_jansson(const char *s)
{
	struct lx_sb b = {0};
	json_t *j = json_string(s);
	char *want = json_dumps(j, JSON_ENCODE_ANY), *got;

	cr_assert_not_null(want);
	lx_sb_json_str(&b, s);
	got = sb_text(&b);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	json_decref(j);
	lx_sb_free(&b);
}

Test(jsonw, strings_are_encoded_as_jansson_encodes_them)
{
	char s[4];

	/* every byte that is a character alone */
	for (int c = 1; c < 0x80; c++) {
		snprintf(s, sizeof(s), "%c", c);
		assert_like_jansson(s);
	}
	assert_like_jansson("");
	assert_like_jansson("eth0 10.0.0.2/24");
	assert_like_jansson("a \"quoted\" \\ back\nslash\t\x01\x1f\x7f");
	assert_like_jansson("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_like_jansson("\xed\x9f\xbf \xef\xbf\xbf \xf4\x8f\xbf\xbf");
}

/* What jansson refuses (not UTF-8) is still written as JSON: each byte
 * from 0x80 up as the text \xNN, as the report always did. */
Test(jsonw, text_that_is_not_utf8_stays_valid_json)
{
	static const char *const bad[] = {
	    "\x80",	    "\xc0\xaf",		"\xc3",
	    "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xff\"b\n",
	    "\xe0\x80\xaf", "caf\xc3\xa9\xff",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lx_sb b = {0};
		char want[64], *got;
		size_t o = 0;
		json_t *j;

		cr_assert_null(json_string(bad[i]), "jansson takes it");
		lx_sb_json_str(&b, bad[i]);
		got = sb_text(&b);
		j = json_loads(got, JSON_DECODE_ANY, NULL);
		cr_assert_not_null(j, "not JSON: %s", got);
		for (const unsigned char *p = (const unsigned char *)bad[i]; *p;
		     p++)
			o += (size_t)(*p >= 0x80
					  ? snprintf(want + o, sizeof(want) - o,
						     "\\x%02x", *p)
					  : snprintf(want + o, sizeof(want) - o,
						     "%c", *p));
		cr_assert_str_eq(json_string_value(j), want);
		json_decref(j);
		free(got);
		lx_sb_free(&b);
	}
}

Test(jsonw, random_bytes_always_make_json)
{
	char s[24];

	srand(7);
	for (int i = 0; i < 20000; i++) {
		struct lx_sb b = {0};
		size_t n = (size_t)rand() % (sizeof(s) - 1);
		json_t *j;
		char *got;

		for (size_t k = 0; k < n; k++)
			s[k] = (char)(1 + rand() % 255);
		s[n] = '\0';
		lx_sb_json_str(&b, s);
		got = sb_text(&b);
		j = json_loads(got, JSON_DECODE_ANY, NULL);
		cr_assert_not_null(j, "not JSON: %s", got);
		json_decref(j);
		j = json_string(s);
		if (j) /* valid UTF-8: jansson's own bytes */
			assert_like_jansson(s);
		json_decref(j);
		free(got);
		lx_sb_free(&b);
	}
}

struct chunks {
	char out[1 << 16];
	size_t n, calls;
};

static int collect(void *arg, const char *p, size_t n)
{
	struct chunks *c = arg;

	cr_assert_leq(c->n + n, sizeof(c->out));
	memcpy(c->out + c->n, p, n);
	c->n += n;
	c->calls++;
	return 0;
}

Test(jsonw, a_sink_gets_the_same_bytes_in_pieces)
{
	static struct chunks c;
	char buf[64], big[300];
	struct lx_sb s = {
	    .p = buf, .cap = sizeof(buf), .sink = collect, .arg = &c};
	struct lx_sb g = {0};
	json_t *j = json_pack("{s:s, s:[i,i,i]}", "a", "text", "b", 1, 2, 3);

	memset(big, 'z', sizeof(big));
	for (int i = 0; i < 50; i++) {
		struct lx_sb *b[] = {&s, &g};

		for (int k = 0; k < 2; k++) {
			lx_sb_str(b[k], "piece ");
			lx_sb_u64(b[k], (uint64_t)i * 1000003u);
			lx_sb_json_str(b[k], "q\"\n");
			lx_sb_json(b[k], j);
			lx_sb_mem(b[k], big, (size_t)i * 6);
		}
	}
	cr_assert_eq(lx_sb_flush(&s), 0);
	cr_assert_eq(g.err, 0);
	cr_assert_eq(c.n, g.len);
	cr_assert_eq(memcmp(c.out, g.p, g.len), 0);
	cr_assert_gt(c.calls, 10);
	json_decref(j);
	lx_sb_free(&g);
}

static int span(const char *t, const char *key, char *out)
{
	size_t a = 0, b = 0;
	int r = lx_json_member_span(t, strlen(t), key, &a, &b);

	out[0] = '\0';
	if (r == 1)
		snprintf(out, 256, "%.*s", (int)(b - a), t + a);
	return r;
}

Test(jsonw, member_span_finds_a_top_level_value)
{
	char v[256];

	cr_assert_eq(
	    span("{\"id\":\"x\",\"desired\":{\"a\":[1,{\"b\":\"}]\"}]},"
		 "\"serial\":3}",
		 "desired", v),
	    1);
	cr_assert_str_eq(v, "{\"a\":[1,{\"b\":\"}]\"}]}");
	cr_assert_eq(
	    span(" { \"desired\" : null , \"x\" : 1 } \n", "desired", v), 1);
	cr_assert_str_eq(v, "null");
	cr_assert_eq(span("{\"x\":{\"desired\":1}}", "desired", v), 0,
		     "nested keys are not members");
	cr_assert_eq(span("{\"x\":\"\\\"desired\\\":1\"}", "desired", v), 0);
	cr_assert_eq(span("{\"desired\":\"a\\\"b\"}", "desired", v), 1);
	cr_assert_str_eq(v, "\"a\\\"b\"");
	cr_assert_eq(span("{}", "desired", v), 0);
	cr_assert_eq(span("{\"serial\":-1.5e3}", "serial", v), 1);
	cr_assert_str_eq(v, "-1.5e3");
}

/* Anything the scan cannot follow is left to the full parser. */
Test(jsonw, member_span_refuses_what_it_cannot_follow)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"desired\":{\"a\":[1,2}}",
	    "{\"desired\":{\"a\":1}",
	    "{\"desired\":\"open",
	    "{\"desired\":1,\"desired\":2}",
	    "{\"d\\u0065sired\":1}",
	    "{\"desired\":1}x",
	    "{\"desired\":}",
	    "{\"desired\" 1}",
	    "{\"desired\":1,}",
	};
	char v[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(span(bad[i], "desired", v), -1, "%s", bad[i]);
}

Test(jsonw, member_span_bounds_nesting)
{
	static char t[8192];
	size_t o = (size_t)snprintf(t, sizeof(t), "{\"desired\":");
	char v[256];

	for (int i = 0; i < 3000; i++)
		t[o++] = '[';
	for (int i = 0; i < 3000; i++)
		t[o++] = ']';
	snprintf(t + o, sizeof(t) - o, "}");
	cr_assert_eq(span(t, "desired", v), -1);
}

static void assert_dump_like_tree(const char *doc)
{
	struct lx_desired d;
	struct lx_error e;
	struct lx_sb b = {0};
	json_t *j;
	char *want, *got;

	lx_error_clear(&e);
	cr_assert_eq(lx_desired_from_string(doc, strlen(doc), &d, &e), 0, "%s",
		     e.msg);
	j = lx_desired_to_json(&d);
	cr_assert_not_null(j);
	want = json_dumps(j, JSON_COMPACT);
	cr_assert_eq(lx_desired_dump(&b, &d), 0);
	got = sb_text(&b);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	json_decref(j);
	lx_sb_free(&b);
	lx_desired_free(&d);
}

Test(jsonw, desired_dump_is_the_trees_text)
{
	assert_dump_like_tree("{}");
	assert_dump_like_tree(
	    "{\"network\":{\"links\":[{\"name\":\"lo\",\"up\":true},"
	    "{\"name\":\"eth0\",\"kind\":\"veth\",\"up\":true,"
	    "\"peer\":{\"name\":\"lxh-web42\",\"up\":true}}],"
	    "\"addresses\":[\"eth0 10.213.42.2/24\",\"eth0 fd00::2/64 nodad\"],"
	    "\"routes\":[\"default via 10.213.42.1\",\"::/0 dev eth0\","
	    "\"10.3.0.0/16 dev eth0 table 1000 src 10.213.42.2 scope link mtu "
	    "1300\"]},"
	    "\"sysctl\":{\"net.ipv4.ip_forward\":1,\"net.core.somaxconn\":"
	    "\"4096\"},"
	    "\"cgroup\":{\"memory.max\":\"max\",\"cpu.max\":\"max 20000\"},"
	    "\"options\":{\"interval_ms\":0,\"protocol\":200,\"adopt\":true,"
	    "\"revert_on_release\":true}}");
	assert_dump_like_tree(
	    "{\"network\":{\"rules\":[\"from 10.0.0.0/8 table 100\"],"
	    "\"neighbours\":[\"10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0\"]},"
	    "\"nftables\":\"chain c { tcp dport 80 accept; }\"}");
	assert_dump_like_tree(
	    "{\"sysctl\":{\"net.ipv4.conf.all.forwarding\":"
	    "\"1\"},\"nftables\":\"chain c {\\n\\tcomment \\\"q\\\"; "
	    "}\"}");
}

Test(jsonw, desired_dump_of_many_routes)
{
	char *doc = malloc(1 << 20);
	size_t o = (size_t)sprintf(doc, "{\"network\":{\"routes\":[");

	for (int i = 0; i < 5000; i++)
		o += (size_t)sprintf(
		    doc + o, "%s\"10.%d.%d.%d/32 via 10.255.0.2\"",
		    i ? "," : "", 1 + i / 65536, (i / 256) % 256, i % 256);
	sprintf(doc + o, "]}}");
	assert_dump_like_tree(doc);
	free(doc);
}

/* lx_json_plain reads words: every byte value at every offset. */
Test(jsonw, plain_sees_every_byte_at_every_offset)
{
	char s[24];

	for (size_t n = 1; n < sizeof(s); n++)
		for (size_t at = 0; at < n; at++)
			for (int c = 1; c < 256; c++) {
				bool want = c >= 0x20 && c < 0x80 && c != '"' &&
					    c != '\\';

				memset(s, 'a', n);
				s[at] = (char)c;
				cr_assert_eq(lx_json_plain(s, n), want,
					     "n %zu at %zu byte %02x", n, at,
					     c);
			}
}

/* Route text is checked for escaping by its names only: they are all of
 * it that is not ours. */
Test(jsonw, route_text_is_plain_unless_a_name_is_not)
{
	static const char *const names[] = {"eth0", "a\"b",	   "a\\b",
					    "\xff", "caf\xc3\xa9", "t\tab"};
	struct lx_nexthop nh[2] = {0};
	struct lx_route r = {0};
	char buf[512];

	r.family = AF_INET;
	r.dst_len = 8;
	r.scope = LX_UNSET;
	r.has_gw = true;
	cr_assert(lx_route_text_plain(&r));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (int where = 0; where < 3; where++) {
			memset(r.dev, 0, sizeof(r.dev));
			memset(r.congctl, 0, sizeof(r.congctl));
			memset(nh, 0, sizeof(nh));
			r.nh = nh;
			r.n_nexthops = where == 2 ? 2 : 0;
			snprintf(where == 0   ? r.dev
				 : where == 1 ? r.congctl
					      : nh[1].dev,
				 IFNAMSIZ, "%s", names[i]);
			lx_route_format(&r, true, buf, sizeof(buf));
			cr_assert_eq(lx_route_text_plain(&r),
				     lx_json_plain(buf, strlen(buf)), "%s",
				     buf);
		}
}

/* The digest tells apart texts that differ in one byte anywhere, in
 * length only (a trailing NUL), or in the order of two bytes. */
Test(jsonw, digest_sees_every_byte)
{
	char a[40], b[41];

	for (size_t n = 0; n < sizeof(a); n++) {
		memset(a, 'x', sizeof(a));
		memcpy(b, a, sizeof(a));
		b[n] = '\0';
		cr_assert_neq(lx_text_digest(a, n), lx_text_digest(b, n + 1),
			      "length %zu", n);
		cr_assert_eq(lx_text_digest(a, n), lx_text_digest(b, n));
		for (size_t at = 0; at < n; at++) {
			memcpy(b, a, n);
			b[at] ^= 1;
			cr_assert_neq(lx_text_digest(a, n),
				      lx_text_digest(b, n), "n %zu at %zu", n,
				      at);
			if (at + 1 < n) {
				memcpy(b, a, n);
				b[at] = 'y';
				b[at + 1] = 'z';
				a[at] = 'z';
				a[at + 1] = 'y';
				cr_assert_neq(lx_text_digest(a, n),
					      lx_text_digest(b, n));
				a[at] = a[at + 1] = 'x';
			}
		}
	}
}
