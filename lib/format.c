/* SPDX-License-Identifier: MIT */
/* Text forms of links, addresses and routes: the inverse of the grammars in
 * desired.c, used in reports, plans and last_applied. */
#include <arpa/inet.h>
#include <linux/icmpv6.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "format.h"
#include "route.h"

struct sbuf {
	char *p;
	size_t len, off;
};

LX_PRINTF(2, 3) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->off >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n;
}

/*
 * The pieces every route and address is made of, without stdio: a
 * 10,000-route pass formats each route for its report, and vsnprintf plus
 * inet_ntop (itself an sprintf per octet) were a fifth of its run time.
 * Like sb_add, they truncate at the buffer's end and keep it terminated.
 */
static void sb_str(struct sbuf *b, const char *s)
{
	while (*s && b->off + 1 < b->len)
		b->p[b->off++] = *s++;
	if (b->off < b->len)
		b->p[b->off] = '\0';
}

static void sb_u32(struct sbuf *b, uint32_t v)
{
	char d[11];
	int i = (int)sizeof(d) - 1;

	d[i] = '\0';
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	sb_str(b, d + i);
}

const char *lx_inaddr_format(int family, const union lx_inaddr *a, char *buf,
			     size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static void sb_inaddr(struct sbuf *b, int family, const union lx_inaddr *a)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == AF_INET) {
		const uint8_t *o = (const uint8_t *)a;

		for (int i = 0; i < 4; i++) {
			if (i)
				sb_str(b, ".");
			sb_u32(b, o[i]);
		}
		return;
	}
	sb_str(b, lx_inaddr_format(family, a, ip, sizeof(ip)));
}

static const char *scope_name(int scope)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_NOWHERE:
		return "nowhere";
	}
	return NULL;
}

static void sb_scope(struct sbuf *b, int scope)
{
	const char *n = scope_name(scope);

	if (n) {
		sb_str(b, " scope ");
		sb_str(b, n);
	} else {
		sb_add(b, " scope %d", scope);
	}
}

const char *lx_addr_format(const struct lx_addr *a, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};

	buf[0] = '\0';
	sb_str(&b, a->dev);
	sb_str(&b, " ");
	sb_inaddr(&b, a->family, &a->addr);
	sb_str(&b, "/");
	sb_u32(&b, a->prefixlen);
	if (a->has_peer) {
		sb_str(&b, " peer ");
		sb_inaddr(&b, a->family, &a->peer);
	}
	if (a->has_brd) {
		union lx_inaddr brd = {.v4 = a->brd};

		sb_str(&b, " broadcast ");
		sb_inaddr(&b, AF_INET, &brd);
	}
	if (a->scope != LX_UNSET)
		sb_scope(&b, a->scope);
	if (a->nodad)
		sb_str(&b, " nodad");
	if (a->noprefixroute)
		sb_str(&b, " noprefixroute");
	return buf;
}

const char *lx_proto_name(uint8_t protocol)
{
	switch (protocol) {
	case RTPROT_UNSPEC:
		return "unspec";
	case RTPROT_REDIRECT:
		return "redirect";
	case RTPROT_KERNEL:
		return "kernel";
	case RTPROT_BOOT:
		return "boot";
	case RTPROT_STATIC:
		return "static";
	case RTPROT_RA:
		return "ra";
	case RTPROT_DHCP:
		return "dhcp";
	case RTPROT_BGP:
		return "bgp";
	case RTPROT_OSPF:
		return "ospf";
	case RTPROT_BIRD:
		return "bird";
	}
	return NULL;
}

/* " WORD N" */
static void sb_num(struct sbuf *b, const char *word, uint32_t v)
{
	sb_str(b, word);
	sb_u32(b, v);
}

static void sb_table(struct sbuf *b, uint32_t table)
{
	const char *n = lx_route_table_name(table);

	if (n) {
		sb_str(b, " table ");
		sb_str(b, n);
	} else {
		sb_num(b, " table ", table);
	}
}

static void sb_gw(struct sbuf *b, const struct lx_route *r, uint8_t fam,
		  const union lx_inaddr *gw)
{
	if (fam && fam != r->family) {
		sb_str(b, " via inet6 ");
		sb_inaddr(b, fam, gw);
	} else {
		sb_str(b, " via ");
		sb_inaddr(b, r->family, gw);
	}
}

static const char *pref_name(int pref)
{
	switch (pref) {
	case ICMPV6_ROUTER_PREF_LOW:
		return "low";
	case ICMPV6_ROUTER_PREF_MEDIUM:
		return "medium";
	case ICMPV6_ROUTER_PREF_HIGH:
		return "high";
	}
	return NULL;
}

/* ip_style: kernel defaults left out, names for tables and protocols. */
static const char *route_format(const struct lx_route *r, bool with_proto,
				bool ip_style, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};
	uint8_t inferred;

	buf[0] = '\0';
	if (r->type && r->type != RTN_UNICAST) {
		const char *t = lx_route_type_name(r->type);

		if (t) {
			sb_str(&b, t);
			sb_str(&b, " ");
		} else {
			sb_num(&b, "type-", r->type);
			sb_str(&b, " ");
		}
	}
	/* "default" is read back as the family of the first gateway, else
	 * the source, else IPv4: spell the prefix out when that is wrong. */
	inferred = r->has_gw ? (r->gw_family ? r->gw_family : r->family)
		   : r->n_nexthops
		       ? (r->nh[0].gw_family ? r->nh[0].gw_family : r->family)
		   : r->has_src ? r->family
				: AF_INET;
	if (r->dst_len == 0 && (ip_style || inferred == r->family)) {
		sb_str(&b, "default");
	} else if (r->dst_len == 0) {
		sb_str(&b, r->family == AF_INET6 ? "::/0" : "0.0.0.0/0");
	} else {
		sb_inaddr(&b, r->family, &r->dst);
		sb_num(&b, "/", r->dst_len);
	}
	if (r->has_gw)
		sb_gw(&b, r, r->gw_family, &r->gw);
	if (r->dev[0]) {
		sb_str(&b, " dev ");
		sb_str(&b, r->dev);
	}
	if (r->onlink)
		sb_str(&b, " onlink");
	if (r->metric)
		sb_num(&b, " metric ", r->metric);
	/* Names for ip(8)'s eyes; the document's canonical form keeps the
	 * numbers (both parse). */
	if (r->table && r->table != RT_TABLE_MAIN && ip_style)
		sb_table(&b, r->table);
	else if (r->table && r->table != RT_TABLE_MAIN)
		sb_num(&b, " table ", r->table);
	else if (r->type == RTN_LOCAL && !ip_style)
		sb_str(&b, " table main");
	if (ip_style) {
		const char *p = lx_proto_name(r->protocol);

		if (p) {
			sb_str(&b, " proto ");
			sb_str(&b, p);
		} else {
			sb_num(&b, " proto ", r->protocol);
		}
	}
	if (r->has_src) {
		sb_str(&b, " src ");
		sb_inaddr(&b, r->family, &r->src);
	}
	if (r->scope != LX_UNSET &&
	    !(ip_style &&
	      (r->scope == RT_SCOPE_UNIVERSE || r->family == AF_INET6))) {
		/* The route grammar names host, link and global only. */
		if (r->scope == RT_SCOPE_UNIVERSE ||
		    r->scope == RT_SCOPE_LINK || r->scope == RT_SCOPE_HOST)
			sb_scope(&b, r->scope);
		else
			sb_num(&b, " scope ", (uint32_t)r->scope);
	}
	if (r->family == AF_INET6 && r->pref != ICMPV6_ROUTER_PREF_MEDIUM &&
	    pref_name(r->pref)) {
		sb_str(&b, " pref ");
		sb_str(&b, pref_name(r->pref));
	}
	if (r->mtu)
		sb_num(&b, r->locks & (1u << RTAX_MTU) ? " mtu lock " : " mtu ",
		       r->mtu);
	if (r->advmss)
		sb_num(&b, " advmss ", r->advmss);
	if (r->initcwnd)
		sb_num(&b, " initcwnd ", r->initcwnd);
	if (r->initrwnd)
		sb_num(&b, " initrwnd ", r->initrwnd);
	if (r->quickack)
		sb_num(&b, " quickack ", r->quickack);
	if (r->congctl[0]) {
		sb_str(&b, r->locks & (1u << RTAX_CC_ALGO) ? " congctl lock "
							   : " congctl ");
		sb_str(&b, r->congctl);
	}
	for (size_t i = 0; i < r->n_nexthops && i < LX_NEXTHOPS_MAX; i++) {
		const struct lx_nexthop *nh = &r->nh[i];

		sb_str(&b, " nexthop");
		sb_gw(&b, r, nh->gw_family, &nh->gw);
		if (nh->dev[0]) {
			sb_str(&b, " dev ");
			sb_str(&b, nh->dev);
		}
		if (nh->weight)
			sb_num(&b, " weight ", nh->weight);
		if (nh->onlink)
			sb_str(&b, " onlink");
	}
	if (with_proto && !ip_style)
		sb_num(&b, " proto ", r->protocol);
	return buf;
}

const char *lx_route_format(const struct lx_route *r, bool with_proto,
			    char *buf, size_t len)
{
	return route_format(r, with_proto, false, buf, len);
}

const char *lx_route_format_ip(const struct lx_route *r, char *buf, size_t len)
{
	return route_format(r, false, true, buf, len);
}

const char *lx_link_format(const struct lx_link *l, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};
	const char *k = lx_link_kind_name(l->kind);

	buf[0] = '\0';
	sb_add(&b, "%s", l->name);
	if (k)
		sb_add(&b, " %s", k);
	if (l->peer[0])
		sb_add(&b, " peer %s", l->peer);
	if (l->master[0])
		sb_add(&b, " master %s", l->master);
	if (l->parent[0])
		sb_add(&b, " parent %s", l->parent);
	if (l->mode[0])
		sb_add(&b, " mode %s", l->mode);
	if (l->mtu)
		sb_add(&b, " mtu %u", l->mtu);
	if (l->has_mac)
		sb_add(&b, " address %02x:%02x:%02x:%02x:%02x:%02x", l->mac[0],
		       l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
	if (l->has_txqlen)
		sb_add(&b, " txqlen %u", l->txqlen);
	if (l->up != LX_UNSET)
		sb_add(&b, " %s", l->up ? "up" : "down");
	if (l->peer_up == 0)
		sb_add(&b, " peer-down");
	if (l->peer_mtu)
		sb_add(&b, " peer-mtu %u", l->peer_mtu);
	return buf;
}
