/* SPDX-License-Identifier: MIT */
/*
 * lx_route_format / lx_addr_format write without stdio; this holds them to
 * what snprintf and inet_ntop write for the same fields, over random routes
 * and addresses, and to snprintf's truncation (terminated, never past len).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"

static const char *scope_word(int s)
{
	switch (s) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	}
	return NULL;
}

static void rand_addr(int family, union lx_inaddr *a)
{
	uint8_t *p = (uint8_t *)a;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < (family == AF_INET ? 4 : 16); i++)
		p[i] = (uint8_t)(rand() % 4 == 0 ? 0 : rand());
}

static size_t ip(char *buf, size_t len, size_t off, int family,
		 const union lx_inaddr *a)
{
	char t[INET6_ADDRSTRLEN];

	inet_ntop(family, a, t, sizeof(t));
	return off + (size_t)snprintf(buf + off, len - off, "%s", t);
}

/* The reference: the stdio form these replaced. */
static void route_ref(const struct lx_route *r, bool proto, char *b, size_t n)
{
	size_t o = 0;

	/* "default" reads back as IPv4 without an IPv6 gateway or source. */
	if (r->dst_len == 0)
		o += (size_t)snprintf(b, n, "%s",
				      r->family == AF_INET6 && !r->has_gw &&
					      !r->has_src
					  ? "::/0"
					  : "default");
	else {
		o = ip(b, n, o, r->family, &r->dst);
		o += (size_t)snprintf(b + o, n - o, "/%u", r->dst_len);
	}
	if (r->has_gw) {
		o += (size_t)snprintf(b + o, n - o, " via ");
		o = ip(b, n, o, r->family, &r->gw);
	}
	if (r->dev[0])
		o += (size_t)snprintf(b + o, n - o, " dev %s", r->dev);
	if (r->metric)
		o += (size_t)snprintf(b + o, n - o, " metric %u", r->metric);
	if (r->table && r->table != RT_TABLE_MAIN)
		o += (size_t)snprintf(b + o, n - o, " table %u", r->table);
	if (r->has_src) {
		o += (size_t)snprintf(b + o, n - o, " src ");
		o = ip(b, n, o, r->family, &r->src);
	}
	if (r->scope != LX_UNSET)
		o += (size_t)snprintf(b + o, n - o, " scope %s",
				      scope_word(r->scope));
	if (r->mtu)
		o += (size_t)snprintf(b + o, n - o, " mtu %u", r->mtu);
	if (proto)
		snprintf(b + o, n - o, " proto %u", r->protocol);
}

static void rand_route(struct lx_route *r)
{
	static const int scopes[] = {LX_UNSET, RT_SCOPE_UNIVERSE, RT_SCOPE_LINK,
				     RT_SCOPE_HOST};
	static const uint32_t nums[] = {0,  1,	 9,	10,
					99, 255, 65535, 4294967295u};

	memset(r, 0, sizeof(*r));
	r->family = rand() % 2 ? AF_INET : AF_INET6;
	r->dst_len = (uint8_t)(rand() % (r->family == AF_INET ? 33 : 129));
	rand_addr(r->family, &r->dst);
	r->has_gw = rand() % 2;
	rand_addr(r->family, &r->gw);
	if (rand() % 3 == 0)
		snprintf(r->dev, sizeof(r->dev), "eth%d", rand() % 1000);
	r->metric = nums[rand() % 8];
	r->table = nums[rand() % 8];
	r->has_src = rand() % 4 == 0;
	rand_addr(r->family, &r->src);
	r->scope = scopes[rand() % 4];
	r->mtu = nums[rand() % 8];
	r->protocol = (uint8_t)rand();
}

Test(format, route_matches_stdio_form)
{
	char got[512], want[512];
	struct lx_route r;

	srand(14);
	for (int i = 0; i < 20000; i++) {
		bool proto = i % 2;

		rand_route(&r);
		route_ref(&r, proto, want, sizeof(want));
		lx_route_format(&r, proto, got, sizeof(got));
		cr_assert_str_eq(got, want);
	}
}

Test(format, route_truncates_like_snprintf)
{
	char got[64], want[64], full[512];
	struct lx_route r;

	srand(15);
	for (int i = 0; i < 2000; i++) {
		size_t n = 1 + (size_t)rand() % sizeof(got);

		rand_route(&r);
		memset(got, 'X', sizeof(got));
		route_ref(&r, true, full, sizeof(full));
		/* snprintf's truncation: the first n - 1 bytes, terminated */
		memcpy(want, full, n - 1);
		want[n - 1] = '\0';
		if (strlen(full) < n - 1)
			strcpy(want, full);
		lx_route_format(&r, true, got, n);
		cr_assert_str_eq(got, want, "len %zu", n);
		for (size_t k = n; k < sizeof(got); k++)
			cr_assert_eq(got[k], 'X', "wrote past len %zu", n);
	}
}

Test(format, addr_matches_stdio_form)
{
	char got[256], want[256];
	struct lx_addr a;

	srand(16);
	for (int i = 0; i < 20000; i++) {
		size_t o;

		memset(&a, 0, sizeof(a));
		a.family = rand() % 2 ? AF_INET : AF_INET6;
		snprintf(a.dev, sizeof(a.dev), "v%d", rand());
		rand_addr(a.family, &a.addr);
		a.prefixlen = (uint8_t)(rand() % 129);
		a.has_peer = rand() % 3 == 0;
		rand_addr(a.family, &a.peer);
		a.scope = rand() % 2 ? LX_UNSET : RT_SCOPE_LINK;
		a.nodad = rand() % 2;
		o = (size_t)snprintf(want, sizeof(want), "%s ", a.dev);
		o = ip(want, sizeof(want), o, a.family, &a.addr);
		o += (size_t)snprintf(want + o, sizeof(want) - o, "/%u",
				      a.prefixlen);
		if (a.has_peer) {
			o += (size_t)snprintf(want + o, sizeof(want) - o,
					      " peer ");
			o = ip(want, sizeof(want), o, a.family, &a.peer);
		}
		if (a.scope != LX_UNSET)
			o += (size_t)snprintf(want + o, sizeof(want) - o,
					      " scope link");
		if (a.nodad)
			snprintf(want + o, sizeof(want) - o, " nodad");
		lx_addr_format(&a, got, sizeof(got));
		cr_assert_str_eq(got, want);
	}
}

/* IPv6 text is hand-written (RFC 5952 as inet_ntop writes it): every
 * pattern of zero groups, with group values of 1 to 4 hex digits, and the
 * forms inet_ntop writes with a dotted IPv4 tail (left to it). */
Test(format, ipv6_matches_inet_ntop)
{
	static const uint16_t vals[] = {1, 0xf, 0x10, 0xff, 0x100, 0xfff,
					0x1000, 0xffff, 0xabc, 0x2001};
	char got[256], want[256], t[INET6_ADDRSTRLEN];
	struct lx_addr a;

	srand(17);
	for (unsigned mask = 0; mask < 256; mask++) {
		for (int k = 0; k < 40; k++) {
			memset(&a, 0, sizeof(a));
			a.family = AF_INET6;
			snprintf(a.dev, sizeof(a.dev), "v0");
			a.prefixlen = 64;
			a.scope = LX_UNSET;
			for (int g = 0; g < 8; g++) {
				uint16_t v = mask & (1u << g)
						 ? 0
						 : vals[(unsigned)rand() %
							LX_ARRAY_SIZE(vals)];

				/* the tails inet_ntop writes dotted */
				if (k == 1 && g == 5 && (mask & 0x1f) == 0x1f)
					v = 0xffff;
				if (k == 2 && g == 7)
					v = mask & 0x80 ? 0 : 1;
				a.addr.v6.s6_addr[2 * g] = (uint8_t)(v >> 8);
				a.addr.v6.s6_addr[2 * g + 1] = (uint8_t)v;
			}
			inet_ntop(AF_INET6, &a.addr, t, sizeof(t));
			snprintf(want, sizeof(want), "v0 %s/64", t);
			lx_addr_format(&a, got, sizeof(got));
			cr_assert_str_eq(got, want, "mask %02x", mask);
		}
	}
}

/* Dotted quads over every octet value, in every position. */
Test(format, ipv4_matches_inet_ntop)
{
	char got[256], want[256], t[INET_ADDRSTRLEN];
	struct lx_addr a;

	for (unsigned v = 0; v < 256; v++) {
		for (int pos = 0; pos < 4; pos++) {
			uint8_t *o = (uint8_t *)&a.addr.v4;

			memset(&a, 0, sizeof(a));
			a.family = AF_INET;
			snprintf(a.dev, sizeof(a.dev), "v0");
			a.prefixlen = 32;
			a.scope = LX_UNSET;
			for (int i = 0; i < 4; i++)
				o[i] = (uint8_t)(i == pos ? v : 255 - v + i);
			inet_ntop(AF_INET, &a.addr, t, sizeof(t));
			snprintf(want, sizeof(want), "v0 %s/32", t);
			lx_addr_format(&a, got, sizeof(got));
			cr_assert_str_eq(got, want);
		}
	}
}
