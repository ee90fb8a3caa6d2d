/* SPDX-License-Identifier: MIT */
/* Text forms of links, addresses and routes: the inverse of the grammars in
 * desired.c, used in reports, plans and last_applied. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "format.h"

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

const char *lx_route_format(const struct lx_route *r, bool with_proto,
			    char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};
	char ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (r->dst_len == 0)
		sb_add(&b, "default");
	else
		sb_add(&b, "%s/%u",
		       lx_inaddr_format(r->family, &r->dst, ip, sizeof(ip)),
		       r->dst_len);
	if (r->has_gw)
		sb_add(&b, " via %s",
		       lx_inaddr_format(r->family, &r->gw, ip, sizeof(ip)));
	if (r->dev[0])
		sb_add(&b, " dev %s", r->dev);
	if (r->metric)
		sb_add(&b, " metric %u", r->metric);
	if (r->table && r->table != RT_TABLE_MAIN)
		sb_add(&b, " table %u", r->table);
	if (r->has_src)
		sb_add(&b, " src %s",
		       lx_inaddr_format(r->family, &r->src, ip, sizeof(ip)));
	if (r->scope != LX_UNSET)
		sb_scope(&b, r->scope);
	if (r->mtu)
		sb_add(&b, " mtu %u", r->mtu);
	if (with_proto)
		sb_add(&b, " proto %u", r->protocol);
	return buf;
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
