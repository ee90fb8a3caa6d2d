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

/* The fallback devices a tunnel module makes in every namespace. */
static bool link_is_kernels(const struct lx_link *l)
{
	static const char *const fallback[] = {
	    "tunl0", "gre0",	"gretap0", "erspan0",	 "ip_vti0", "ip6_vti0",
	    "sit0",  "ip6tnl0", "ip6gre0", "ip6erspan0", NULL};

	if (l->kind != LX_LINK_OTHER)
		return false;
	for (const char *const *f = fallback; *f; f++)
		if (!strcmp(l->name, *f))
			return true;
	return false;
}

static const struct lx_link *host_link(const struct lx_rtnl_host *h,
				       int ifindex)
{
	for (size_t i = 0; h && ifindex > 0 && i < h->n_links; i++)
		if (h->links[i].ifindex == ifindex)
			return &h->links[i];
	return NULL;
}

/* The link's other half (IFLA_LINK), when it is in the host namespace. */
static const struct lx_link *host_half(const struct lx_link *o,
				       const struct lx_rtnl_host *h)
{
	if (!h || h->nsid < 0 || !o->has_link_netnsid ||
	    o->link_netnsid != h->nsid)
		return NULL;
	return host_link(h, o->link_ifindex);
}

static bool mtu_in_range(uint32_t mtu)
{
	return mtu >= 68 && mtu <= 65535;
}

bool lx_rtnl_link_as_desired(const struct lx_link *o,
			     const struct lx_rtnl_host *h, bool full,
			     struct lx_link *l)
{
	const struct lx_link *p = NULL, *m;
	static const uint8_t zero[6];

	memset(l, 0, sizeof(*l));
	memcpy(l->name, o->name, sizeof(l->name));
	l->name[sizeof(l->name) - 1] = '\0';
	l->kind = LX_LINK_EXISTING;
	l->up = o->up;
	l->peer_up = LX_UNSET;
	/* lo is the kernel's: a document owns its state, not its make. */
	if (!full && !strcmp(o->name, "lo"))
		return true;
	/* lo's 65536 is past what a document may ask for: shown, not
	 * exported. */
	if (full ? o->mtu > 0 : mtu_in_range(o->mtu))
		l->mtu = o->mtu;
	if (o->has_mac && !(o->mac[0] & 1) && memcmp(o->mac, zero, 6)) {
		l->has_mac = true;
		memcpy(l->mac, o->mac, 6);
	}
	if (o->has_txqlen) {
		l->has_txqlen = true;
		l->txqlen = o->txqlen;
	}
	switch (o->kind) {
	case LX_LINK_VETH:
		/* Both ends here (or the peer elsewhere): nothing a
		 * document's veth makes, so the link is an existing one. */
		p = host_half(o, h);
		if (!p || p->kind != LX_LINK_VETH ||
		    p->link_ifindex != o->ifindex)
			break;
		l->kind = LX_LINK_VETH;
		memcpy(l->peer, p->name, sizeof(l->peer));
		m = host_link(h, p->master_ifindex);
		if (m)
			memcpy(l->master, m->name, sizeof(l->master));
		/* A created peer is up at the container end's mtu. */
		if (!p->up)
			l->peer_up = 0;
		if (p->mtu != l->mtu && mtu_in_range(p->mtu))
			l->peer_mtu = p->mtu;
		break;
	case LX_LINK_MACVLAN:
	case LX_LINK_IPVLAN:
		p = host_half(o, h);
		if (!p)
			break;
		l->kind = o->kind;
		memcpy(l->parent, p->name, sizeof(l->parent));
		memcpy(l->mode, o->mode, sizeof(l->mode));
		break;
	case LX_LINK_DUMMY:
	case LX_LINK_BRIDGE:
		l->kind = o->kind;
		break;
	default:
		break;
	}
	return full || !link_is_kernels(o);
}

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
			     const struct lx_rtnl_host *host,
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
	for (size_t i = 0; i < s->n_links; i++)
		if (lx_rtnl_link_as_desired(&s->links[i], host, false,
					    &d->links[d->n_links]))
			d->n_links++;
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
