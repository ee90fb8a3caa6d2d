/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "route.h"
#include "rtnl_export.h"
#include "rule.h"

static bool addr_is_kernels(const struct lx_addr *a)
{
	static const uint8_t loop6[16] = {[15] = 1};

	if (a->family == AF_INET6 && a->addr.bytes[0] == 0xfe &&
	    (a->addr.bytes[1] & 0xc0) == 0x80)
		return true;
	if (strcmp(a->dev, "lo") != 0)
		return false;
	/* What bringing lo up makes. */
	return (a->family == AF_INET && a->prefixlen == 8 &&
		a->addr.bytes[0] == 127 && a->addr.bytes[3] == 1) ||
	       (a->family == AF_INET6 && a->prefixlen == 128 &&
		!memcmp(&a->addr, loop6, 16));
}

static bool route_is_exportable(const struct lx_route *r)
{
	if (r->protocol == RTPROT_KERNEL || r->protocol == RTPROT_RA ||
	    r->protocol == RTPROT_REDIRECT)
		return false;
	if (lx_route_table(r) == RT_TABLE_LOCAL || r->tos || r->from_len)
		return false;
	switch (r->type) {
	case RTN_UNICAST:
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
	case RTN_LOCAL:
		break;
	default:
		return false;
	}
	/* A route whose device is gone has no name to write. */
	if (r->oif && !r->dev[0] && r->type == RTN_UNICAST)
		return false;
	return r->n_nexthops <= LX_NEXTHOPS_MAX;
}

/* The observed route as the grammar writes it: kernel-filled values that
 * are the defaults of the words left out, so it reads like the line that
 * made it. Into *out, with nexthops of its own: 0 or -ENOMEM. */
static int route_as_desired(const struct lx_route *o, struct lx_route *out)
{
	struct lx_route r;

	if (lx_route_copy(&r, o) < 0)
		return -ENOMEM;
	r.protocol = 0;
	r.oif = 0;
	for (size_t i = 0; i < r.n_nexthops; i++)
		r.nh[i].oif = 0;
	if (r.table == RT_TABLE_MAIN)
		r.table = 0;
	if (r.family == AF_INET6 && r.metric == 1024)
		r.metric = 0;
	/* IPv6 reject routes carry the loopback device: not a word. */
	if (r.type != RTN_UNICAST && r.type != RTN_LOCAL)
		r.dev[0] = '\0';
	if (r.family == AF_INET6) {
		r.scope = LX_UNSET;
	} else {
		int scope = r.scope;

		r.scope = LX_UNSET;
		if (lx_route_scope(&r) != (uint8_t)scope)
			r.scope = scope;
	}
	if (r.has_gw && r.gw_family == r.family)
		r.gw_family = 0;
	for (size_t i = 0; i < r.n_nexthops; i++) {
		if (r.nh[i].gw_family == r.family)
			r.nh[i].gw_family = 0;
		if (r.nh[i].weight == 1)
			r.nh[i].weight = 0;
	}
	*out = r;
	return 0;
}

static bool rule_is_exportable(const struct lx_rule *r)
{
	if (r->protocol == RTPROT_KERNEL || lx_rule_is_default(r))
		return false;
	return r->action == FR_ACT_TO_TBL || r->action == FR_ACT_BLACKHOLE ||
	       r->action == FR_ACT_UNREACHABLE || r->action == FR_ACT_PROHIBIT;
}

static bool neigh_is_exportable(const struct lx_neigh *n)
{
	if (!n->dev[0] || n->lladdr_len != 6)
		return false;
	if (n->state & NUD_PERMANENT)
		return true;
	return (n->state & NUD_NOARP) && n->protocol;
}

int lx_rtnl_state_to_desired(const struct lx_rtnl_state *s,
			     struct lx_desired *d)
{
	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	d->opts.adopt = true;
	d->links = calloc(s->n_links + 1, sizeof(*d->links));
	d->addrs = calloc(s->n_addrs + 1, sizeof(*d->addrs));
	d->routes = calloc(s->n_routes + 1, sizeof(*d->routes));
	d->rules = calloc(s->n_rules + 1, sizeof(*d->rules));
	d->neighs = calloc(s->n_neighs + 1, sizeof(*d->neighs));
	if (!d->links || !d->addrs || !d->routes || !d->rules || !d->neighs) {
		lx_desired_free(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_links; i++) {
		struct lx_link *l = &d->links[d->n_links++];

		memset(l, 0, sizeof(*l));
		memcpy(l->name, s->links[i].name, sizeof(l->name));
		l->kind = LX_LINK_EXISTING;
		l->up = s->links[i].up;
		l->peer_up = LX_UNSET;
		/* lo's 65536 is past what a document may ask for. */
		if (s->links[i].mtu >= 68 && s->links[i].mtu <= 65535)
			l->mtu = s->links[i].mtu;
	}
	for (size_t i = 0; i < s->n_addrs; i++) {
		struct lx_addr a = s->addrs[i];

		if (!a.dev[0] || addr_is_kernels(&a))
			continue;
		a.ifindex = 0;
		a.flags = 0;
		if (a.scope == 0)
			a.scope = LX_UNSET;
		d->addrs[d->n_addrs++] = a;
	}
	for (size_t i = 0; i < s->n_routes; i++) {
		if (!route_is_exportable(&s->routes[i]))
			continue;
		if (route_as_desired(&s->routes[i], &d->routes[d->n_routes]) <
		    0) {
			lx_desired_free(d);
			return -ENOMEM;
		}
		d->n_routes++;
	}
	for (size_t i = 0; i < s->n_rules; i++) {
		struct lx_rule r = s->rules[i];

		if (!rule_is_exportable(&r))
			continue;
		r.protocol = 0;
		d->rules[d->n_rules++] = r;
	}
	for (size_t i = 0; i < s->n_neighs; i++) {
		struct lx_neigh n = s->neighs[i];

		if (!neigh_is_exportable(&n))
			continue;
		n.state = n.state & NUD_PERMANENT ? NUD_PERMANENT : NUD_NOARP;
		n.protocol = 0;
		n.flags = 0;
		n.ifindex = 0;
		d->neighs[d->n_neighs++] = n;
	}
	return 0;
}
