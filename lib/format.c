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

const char *lx_inaddr_format(int family, const union lx_inaddr *a, char *buf,
			     size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
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

	if (n)
		sb_add(b, " scope %s", n);
	else
		sb_add(b, " scope %d", scope);
}

const char *lx_addr_format(const struct lx_addr *a, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};
	char ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	sb_add(&b, "%s %s/%u", a->dev,
	       lx_inaddr_format(a->family, &a->addr, ip, sizeof(ip)),
	       a->prefixlen);
	if (a->has_peer)
		sb_add(&b, " peer %s",
		       lx_inaddr_format(a->family, &a->peer, ip, sizeof(ip)));
	if (a->scope != LX_UNSET)
		sb_scope(&b, a->scope);
	if (a->nodad)
		sb_add(&b, " nodad");
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

static void sb_table(struct sbuf *b, uint32_t table)
{
	const char *n = lx_route_table_name(table);

	if (n)
		sb_add(b, " table %s", n);
	else
		sb_add(b, " table %u", table);
}

static void sb_gw(struct sbuf *b, const struct lx_route *r, uint8_t fam,
		  const union lx_inaddr *gw)
{
	char ip[INET6_ADDRSTRLEN];

	if (fam && fam != r->family)
		sb_add(b, " via inet6 %s",
		       lx_inaddr_format(fam, gw, ip, sizeof(ip)));
	else
		sb_add(b, " via %s",
		       lx_inaddr_format(r->family, gw, ip, sizeof(ip)));
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

/* ip: kernel defaults left out, names for tables, scopes and protocols. */
static const char *route_format(const struct lx_route *r, bool with_proto,
				bool ip_style, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};
	char ip[INET6_ADDRSTRLEN];
	uint8_t inferred;

	buf[0] = '\0';
	if (r->type && r->type != RTN_UNICAST) {
		const char *t = lx_route_type_name(r->type);

		if (t)
			sb_add(&b, "%s ", t);
		else
			sb_add(&b, "type-%u ", r->type);
	}
	/* "default" is read back as the family of the first gateway, else
	 * the source, else IPv4: spell the prefix out when that is wrong. */
	inferred = r->has_gw ? (r->gw_family ? r->gw_family : r->family)
		   : r->n_nexthops
		       ? (r->nh[0].gw_family ? r->nh[0].gw_family : r->family)
		   : r->has_src ? r->family
				: AF_INET;
	if (r->dst_len == 0 && (ip_style || inferred == r->family))
		sb_add(&b, "default");
	else
		sb_add(&b, "%s/%u",
		       lx_inaddr_format(r->family, &r->dst, ip, sizeof(ip)),
		       r->dst_len);
	if (r->has_gw)
		sb_gw(&b, r, r->gw_family, &r->gw);
	if (r->dev[0])
		sb_add(&b, " dev %s", r->dev);
	if (r->onlink)
		sb_add(&b, " onlink");
	if (r->metric)
		sb_add(&b, " metric %u", r->metric);
	if (r->table && r->table != RT_TABLE_MAIN)
		sb_table(&b, r->table);
	else if (r->type == RTN_LOCAL && !ip_style)
		sb_add(&b, " table main");
	if (ip_style) {
		const char *p = lx_proto_name(r->protocol);

		if (p)
			sb_add(&b, " proto %s", p);
		else
			sb_add(&b, " proto %u", r->protocol);
	}
	if (r->has_src)
		sb_add(&b, " src %s",
		       lx_inaddr_format(r->family, &r->src, ip, sizeof(ip)));
	if (r->scope != LX_UNSET &&
	    !(ip_style &&
	      (r->scope == RT_SCOPE_UNIVERSE || r->family == AF_INET6))) {
		/* The route grammar names host, link and global only. */
		if (r->scope == RT_SCOPE_UNIVERSE ||
		    r->scope == RT_SCOPE_LINK || r->scope == RT_SCOPE_HOST)
			sb_scope(&b, r->scope);
		else
			sb_add(&b, " scope %d", r->scope);
	}
	if (r->pref != LX_UNSET && pref_name(r->pref) &&
	    !(ip_style && r->pref == ICMPV6_ROUTER_PREF_MEDIUM))
		sb_add(&b, " pref %s", pref_name(r->pref));
	if (r->mtu)
		sb_add(&b, " mtu%s %u",
		       r->locks & (1u << RTAX_MTU) ? " lock" : "", r->mtu);
	if (r->advmss)
		sb_add(&b, " advmss %u", r->advmss);
	if (r->initcwnd)
		sb_add(&b, " initcwnd %u", r->initcwnd);
	if (r->initrwnd)
		sb_add(&b, " initrwnd %u", r->initrwnd);
	if (r->quickack)
		sb_add(&b, " quickack %u", r->quickack);
	if (r->congctl[0])
		sb_add(&b, " congctl%s %s",
		       r->locks & (1u << RTAX_CC_ALGO) ? " lock" : "",
		       r->congctl);
	for (size_t i = 0; i < r->n_nexthops && i < LX_NEXTHOPS_MAX; i++) {
		const struct lx_nexthop *nh = &r->nh[i];

		sb_add(&b, " nexthop");
		sb_gw(&b, r, nh->gw_family, &nh->gw);
		if (nh->dev[0])
			sb_add(&b, " dev %s", nh->dev);
		if (nh->weight)
			sb_add(&b, " weight %u", nh->weight);
		if (nh->onlink)
			sb_add(&b, " onlink");
	}
	if (with_proto && !ip_style)
		sb_add(&b, " proto %u", r->protocol);
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
	if (l->up != LX_UNSET)
		sb_add(&b, " %s", l->up ? "up" : "down");
	return buf;
}
