/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/icmpv6.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "route.h"

/* ip_metrics_convert() clamps these (a TCP/IP header's worth below 64K). */
#define LX_RTAX_MTU_MAX	   (65535 - 15)
#define LX_RTAX_ADVMSS_MAX (65535 - 40)

static uint32_t clamp(uint32_t v, uint32_t max)
{
	return v > max ? max : v;
}

static uint8_t gw_fam(const struct lx_route *r, uint8_t f)
{
	return f ? f : r->family;
}

static uint16_t weight(const struct lx_nexthop *nh)
{
	return nh->weight ? nh->weight : 1;
}

bool lx_route_same(const struct lx_route *a, const struct lx_route *b)
{
	const size_t nh = offsetof(struct lx_route, nh),
		     tail = nh + sizeof(a->nh);

	return memcmp(a, b, nh) == 0 &&
	       memcmp((const char *)a + tail, (const char *)b + tail,
		      sizeof(*a) - tail) == 0 &&
	       (!a->n_nexthops ||
		memcmp(a->nh, b->nh, a->n_nexthops * sizeof(*a->nh)) == 0);
}

void lx_route_normalize(struct lx_route *r)
{
	r->table = lx_route_table(r);
	r->metric = lx_route_metric(r);
	if (r->type == RTN_UNSPEC)
		r->type = RTN_UNICAST;
	r->mtu = clamp(r->mtu, LX_RTAX_MTU_MAX);
	r->advmss = clamp(r->advmss, LX_RTAX_ADVMSS_MAX);
	if (r->has_gw)
		r->gw_family = gw_fam(r, r->gw_family);
	for (size_t i = 0; i < r->n_nexthops; i++) {
		r->nh[i].weight = weight(&r->nh[i]);
		r->nh[i].gw_family = gw_fam(r, r->nh[i].gw_family);
	}
}

uint8_t lx_route_scope(const struct lx_route *r)
{
	if (r->family == AF_INET6)
		return RT_SCOPE_UNIVERSE;
	if (r->scope != LX_UNSET)
		return (uint8_t)r->scope;
	if (r->type == RTN_LOCAL)
		return RT_SCOPE_HOST;
	if ((r->type == RTN_UNICAST || r->type == RTN_UNSPEC) && !r->has_gw &&
	    !r->n_nexthops)
		return RT_SCOPE_LINK;
	return RT_SCOPE_UNIVERSE;
}

static bool gw_equal(uint8_t fa, const union lx_inaddr *a, uint8_t fb,
		     const union lx_inaddr *b)
{
	return fa == fb && lx_inaddr_order(a, b, lx_inaddr_len(fa)) == 0;
}

static bool nh_equal(const struct lx_route *d, const struct lx_nexthop *x,
		     const struct lx_route *o, const struct lx_nexthop *y)
{
	return gw_equal(gw_fam(d, x->gw_family), &x->gw,
			gw_fam(o, y->gw_family), &y->gw) &&
	       (!x->dev[0] || strncmp(x->dev, y->dev, IFNAMSIZ) == 0) &&
	       weight(x) == weight(y) && x->onlink == y->onlink;
}

static bool nexthops_equal(const struct lx_route *d, const struct lx_route *o)
{
	bool used[LX_NEXTHOPS_MAX] = {false};

	if (d->n_nexthops != o->n_nexthops)
		return false;
	/* As a set: the kernel keeps the order, but a document need not. */
	for (size_t i = 0; i < d->n_nexthops; i++) {
		bool found = false;

		for (size_t k = 0; k < o->n_nexthops && !found; k++)
			if (!used[k] && nh_equal(d, &d->nh[i], o, &o->nh[k]))
				found = used[k] = true;
		if (!found)
			return false;
	}
	return true;
}

bool lx_route_attrs_equal(const struct lx_route *d, const struct lx_route *o)
{
	size_t len = lx_inaddr_len(d->family);
	uint8_t dt = d->type ? d->type : RTN_UNICAST;
	uint8_t ot = o->type ? o->type : RTN_UNICAST;

	if (dt != ot)
		return false;
	if (d->has_gw != o->has_gw ||
	    (d->has_gw && !gw_equal(gw_fam(d, d->gw_family), &d->gw,
				    gw_fam(o, o->gw_family), &o->gw)))
		return false;
	/* No dev: the kernel picks it from the gateway, nothing to compare. */
	if (d->dev[0] && strncmp(d->dev, o->dev, IFNAMSIZ) != 0)
		return false;
	if (d->onlink != o->onlink)
		return false;
	if (d->has_src != o->has_src ||
	    (d->has_src && lx_inaddr_order(&d->src, &o->src, len) != 0))
		return false;
	if (d->family == AF_INET && lx_route_scope(d) != (uint8_t)o->scope)
		return false;
	if (d->family == AF_INET6 && d->pref != o->pref)
		return false;
	/* One test for the six numbers (most routes have none). */
	if (((clamp(d->mtu, LX_RTAX_MTU_MAX) ^ o->mtu) |
	     (clamp(d->advmss, LX_RTAX_ADVMSS_MAX) ^ o->advmss) |
	     (d->initcwnd ^ o->initcwnd) | (d->initrwnd ^ o->initrwnd) |
	     (d->quickack ^ o->quickack) | (d->locks ^ o->locks)) != 0 ||
	    ((d->congctl[0] || o->congctl[0]) &&
	     strncmp(d->congctl, o->congctl, sizeof(d->congctl)) != 0))
		return false;
	if (d->n_nexthops != o->n_nexthops)
		return false;
	return !d->n_nexthops || nexthops_equal(d, o);
}

static bool ll_or_onlink(uint8_t fam, const union lx_inaddr *gw, bool onlink)
{
	if (onlink)
		return true;
	/* fe80::/10 is on the link by definition: the kernel wants a dev. */
	return fam == AF_INET6 && gw->bytes[0] == 0xfe &&
	       (gw->bytes[1] & 0xc0) == 0x80;
}

bool lx_route_gw_needs_route(const struct lx_route *r,
			     const struct lx_nexthop *nh)
{
	if (nh)
		return !ll_or_onlink(gw_fam(r, nh->gw_family), &nh->gw,
				     nh->onlink || r->onlink);
	return r->has_gw &&
	       !ll_or_onlink(gw_fam(r, r->gw_family), &r->gw, r->onlink);
}

bool lx_route_covers(const struct lx_route *p, uint8_t fam,
		     const union lx_inaddr *a)
{
	size_t full = p->dst_len / 8, rest = p->dst_len % 8;

	if (p->family != fam)
		return false;
	if (memcmp(&p->dst, a, full) != 0)
		return false;
	if (!rest)
		return true;
	return ((p->dst.bytes[full] ^ a->bytes[full]) &
		(uint8_t)(0xff << (8 - rest))) == 0;
}

const char *lx_route_type_name(uint8_t type)
{
	switch (type) {
	case RTN_UNICAST:
		return "unicast";
	case RTN_LOCAL:
		return "local";
	case RTN_BROADCAST:
		return "broadcast";
	case RTN_ANYCAST:
		return "anycast";
	case RTN_MULTICAST:
		return "multicast";
	case RTN_BLACKHOLE:
		return "blackhole";
	case RTN_UNREACHABLE:
		return "unreachable";
	case RTN_PROHIBIT:
		return "prohibit";
	case RTN_THROW:
		return "throw";
	case RTN_NAT:
		return "nat";
	}
	return NULL;
}

const char *lx_route_table_name(uint32_t table)
{
	switch (table) {
	case RT_TABLE_MAIN:
		return "main";
	case RT_TABLE_LOCAL:
		return "local";
	case RT_TABLE_DEFAULT:
		return "default";
	}
	return NULL;
}

/* ------------------------------------------------------- codec */

/* The attributes the decoder reads: the last of each type. */
struct route_tb {
	const struct nlattr *table, *dst, *src, *gw, *via, *prefsrc, *oif,
	    *priority, *pref, *metrics, *multipath;
};

/*
 * Fills tb; -EBADMSG when an attribute read as a number has not its exact
 * size (a nest: empty or at least a header). One walk, no callback: half
 * of decoding a route of a 10,000-route dump was libmnl's parse.
 */
static int route_attrs(const struct nlmsghdr *nlh, struct route_tb *tb)
{
	const struct nlattr *a;
	const char *end;

	lx_nl_attr_for_each(a, nlh, sizeof(struct rtmsg), end)
	{
		size_t len = lx_nl_attr_len(a);

		switch (lx_nl_attr_type(a)) {
		case RTA_TABLE:
			tb->table = a;
			goto u32;
		case RTA_OIF:
			tb->oif = a;
			goto u32;
		case RTA_PRIORITY:
			tb->priority = a;
		u32:
			if (len != sizeof(uint32_t))
				return -EBADMSG;
			break;
		case RTA_PREF:
			tb->pref = a;
			if (len != sizeof(uint8_t))
				return -EBADMSG;
			break;
		case RTA_METRICS:
			tb->metrics = a;
			if (len && len < MNL_ATTR_HDRLEN)
				return -EBADMSG;
			break;
		case RTA_DST:
			tb->dst = a;
			break;
		case RTA_SRC:
			tb->src = a;
			break;
		case RTA_GATEWAY:
			tb->gw = a;
			break;
		case RTA_VIA:
			tb->via = a;
			break;
		case RTA_PREFSRC:
			tb->prefsrc = a;
			break;
		case RTA_MULTIPATH:
			tb->multipath = a;
			break;
		}
	}
	return 0;
}

static int get_inaddr(const struct nlattr *a, int family, union lx_inaddr *out)
{
	size_t len = lx_inaddr_len(family);

	if (!len || lx_nl_attr_len(a) != len)
		return -EBADMSG;
	/* Constant sizes: copies the compiler inlines. */
	if (len == 4)
		memcpy(out, lx_nl_attr_data(a), 4);
	else
		memcpy(out, lx_nl_attr_data(a), 16);
	return 0;
}

/* RTA_VIA: a gateway of another family (an IPv4 route via IPv6). */
static int get_via(const struct nlattr *a, uint8_t *fam, union lx_inaddr *out)
{
	const struct rtvia *v = mnl_attr_get_payload(a);
	size_t plen = mnl_attr_get_payload_len(a), len;

	if (plen < sizeof(*v))
		return -EBADMSG;
	len = lx_inaddr_len(v->rtvia_family);
	if (!len || plen != sizeof(*v) + len)
		return -EBADMSG;
	*fam = (uint8_t)v->rtvia_family;
	memcpy(out, v->rtvia_addr, len);
	return 0;
}

static int get_metrics(const struct nlattr *nest, struct lx_route *r)
{
	const struct nlattr *m;

	mnl_attr_for_each_nested(m, nest)
	{
		uint16_t t = mnl_attr_get_type(m);
		uint32_t v;

		if (t == RTAX_CC_ALGO) {
			const char *s = mnl_attr_get_payload(m);
			size_t n = mnl_attr_get_payload_len(m);

			n = strnlen(s, n < sizeof(r->congctl)
					   ? n
					   : sizeof(r->congctl) - 1);
			memcpy(r->congctl, s, n);
			r->congctl[n] = '\0';
			continue;
		}
		if (mnl_attr_validate(m, MNL_TYPE_U32) < 0)
			return -EBADMSG;
		v = mnl_attr_get_u32(m);
		switch (t) {
		case RTAX_LOCK:
			/* Only the locks a document can set are compared. */
			r->locks =
			    v & ((1u << RTAX_MTU) | (1u << RTAX_CC_ALGO));
			break;
		case RTAX_MTU:
			r->mtu = v;
			break;
		case RTAX_ADVMSS:
			r->advmss = v;
			break;
		case RTAX_INITCWND:
			r->initcwnd = v;
			break;
		case RTAX_INITRWND:
			r->initrwnd = v;
			break;
		case RTAX_QUICKACK:
			r->quickack = v;
			break;
		}
	}
	return 0;
}

static int get_multipath(const struct nlattr *mp, struct lx_route *r)
{
	const char *p = mnl_attr_get_payload(mp);
	size_t left = mnl_attr_get_payload_len(mp);
	struct lx_nexthop v[LX_NEXTHOPS_MAX];
	size_t n = 0;

	while (left >= sizeof(struct rtnexthop)) {
		const struct rtnexthop *h = (const void *)p;
		struct lx_nexthop *nh;
		size_t off = RTNH_ALIGN(sizeof(*h));

		if (h->rtnh_len < sizeof(*h) || h->rtnh_len > left)
			return -EBADMSG;
		if (n == LX_NEXTHOPS_MAX)
			return -EBADMSG;
		nh = &v[n++];
		memset(nh, 0, sizeof(*nh));
		nh->weight = (uint16_t)(h->rtnh_hops + 1);
		nh->onlink = h->rtnh_flags & RTNH_F_ONLINK;
		nh->oif = h->rtnh_ifindex;
		nh->gw_family = r->family;
		while (off + sizeof(struct nlattr) <= h->rtnh_len) {
			const struct nlattr *a = (const void *)(p + off);

			if (a->nla_len < sizeof(*a) ||
			    off + a->nla_len > h->rtnh_len)
				return -EBADMSG;
			if (mnl_attr_get_type(a) == RTA_GATEWAY &&
			    get_inaddr(a, r->family, &nh->gw) < 0)
				return -EBADMSG;
			if (mnl_attr_get_type(a) == RTA_VIA &&
			    get_via(a, &nh->gw_family, &nh->gw) < 0)
				return -EBADMSG;
			off += MNL_ALIGN(a->nla_len);
		}
		if ((size_t)RTNH_ALIGN(h->rtnh_len) >= left)
			break;
		left -= (size_t)RTNH_ALIGN(h->rtnh_len);
		p += RTNH_ALIGN(h->rtnh_len);
	}
	/* Allocated last: a malformed message leaves nothing to free. */
	if (!n)
		return 0;
	r->nh = malloc(n * sizeof(*r->nh));
	if (!r->nh)
		return -ENOMEM;
	memcpy(r->nh, v, n * sizeof(*r->nh));
	r->n_nexthops = (uint8_t)n;
	return 0;
}

int lx_route_from_msg(const struct nlmsghdr *nlh, struct lx_route *r)
{
	struct route_tb tb = {0};
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return -EBADMSG;
	rtm = NLMSG_DATA(nlh);
	if (!lx_inaddr_len(rtm->rtm_family))
		return -EAFNOSUPPORT;
	if (route_attrs(nlh, &tb) < 0)
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->from_len = rtm->rtm_src_len;
	r->tos = rtm->rtm_tos;
	r->table = tb.table ? lx_nl_attr_u32(tb.table) : rtm->rtm_table;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	r->scope = rtm->rtm_scope;
	r->onlink = rtm->rtm_flags & RTNH_F_ONLINK;
	if (r->dst_len > 8 * lx_inaddr_len(r->family) ||
	    r->from_len > 8 * lx_inaddr_len(r->family))
		return -EBADMSG;
	if (tb.dst && get_inaddr(tb.dst, r->family, &r->dst) < 0)
		return -EBADMSG;
	if (tb.src && get_inaddr(tb.src, r->family, &r->from) < 0)
		return -EBADMSG;
	/* A source prefix is IPv6 identity only; /0 is no source. */
	if (!r->from_len || r->family != AF_INET6) {
		r->from_len = 0;
		memset(&r->from, 0, sizeof(r->from));
	}
	if (tb.gw) {
		if (get_inaddr(tb.gw, r->family, &r->gw) < 0)
			return -EBADMSG;
		r->has_gw = true;
		r->gw_family = r->family;
	} else if (tb.via) {
		if (get_via(tb.via, &r->gw_family, &r->gw) < 0)
			return -EBADMSG;
		r->has_gw = true;
	}
	if (tb.prefsrc) {
		if (get_inaddr(tb.prefsrc, r->family, &r->src) < 0)
			return -EBADMSG;
		r->has_src = true;
	}
	if (tb.oif)
		r->oif = (int)lx_nl_attr_u32(tb.oif);
	if (tb.priority)
		r->metric = lx_nl_attr_u32(tb.priority);
	if (tb.pref && r->family == AF_INET6)
		r->pref = lx_nl_attr_u8(tb.pref);
	if (tb.metrics && get_metrics(tb.metrics, r) < 0)
		return -EBADMSG;
	/* Last: the only step that allocates (r's nexthops, when it
	 * returns 0). -EBADMSG or -ENOMEM. */
	if (tb.multipath)
		return get_multipath(tb.multipath, r);
	return 0;
}

/*
 * Built on lx_nl_put_header_only(): every attribute here zeroes its own
 * padding (lx_nl_attr_put*, the nests hold aligned attributes only), so
 * the message's bytes do not depend on what the buffer held.
 */
static struct nlmsghdr *route_header(void *buf, enum lx_nl_verb verb,
				     const struct lx_route *r, uint8_t protocol)
{
	struct nlmsghdr *nlh = lx_nl_put_header_only(buf, LX_NL_ROUTE, verb);
	struct rtmsg *rtm = lx_nl_put_extra(nlh, sizeof(*rtm));
	uint32_t table = lx_route_table(r), metric = lx_route_metric(r);
	size_t len = lx_inaddr_len(r->family);

	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = protocol;
	rtm->rtm_type = r->type ? r->type : RTN_UNICAST;
	if (r->family == AF_INET)
		rtm->rtm_tos = r->tos;
	/* The kernel takes rtm_table unless RTA_TABLE is there, and a
	 * priority of 0 as none (IPv6 sends 1024 for it): the attributes
	 * only when they say more, as ip(8) does. */
	if (table >= 256)
		lx_nl_attr_put_u32(nlh, RTA_TABLE, table);
	if (r->dst_len)
		lx_nl_attr_put(nlh, RTA_DST, len, &r->dst);
	if (r->family == AF_INET6 && r->from_len) {
		rtm->rtm_src_len = r->from_len;
		lx_nl_attr_put(nlh, RTA_SRC, len, &r->from);
	}
	if (metric)
		lx_nl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	return nlh;
}

static void put_gw(struct nlmsghdr *nlh, const struct lx_route *r, uint8_t fam,
		   const union lx_inaddr *gw)
{
	size_t len = lx_inaddr_len(fam);

	if (fam == r->family) {
		lx_nl_attr_put(nlh, RTA_GATEWAY, len, gw);
	} else {
		char v[sizeof(struct rtvia) + 16];
		struct rtvia *via = (struct rtvia *)v;

		via->rtvia_family = fam;
		memcpy(via->rtvia_addr, gw, len);
		lx_nl_attr_put(nlh, RTA_VIA, sizeof(*via) + len, v);
	}
}

static void put_metrics(struct nlmsghdr *nlh, const struct lx_route *r)
{
	struct nlattr *m;

	if (!r->mtu && !r->advmss && !r->initcwnd && !r->initrwnd &&
	    !r->quickack && !r->locks && !r->congctl[0])
		return;
	m = mnl_attr_nest_start(nlh, RTA_METRICS);
	if (r->locks)
		lx_nl_attr_put_u32(nlh, RTAX_LOCK, r->locks);
	if (r->mtu)
		lx_nl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
	if (r->advmss)
		lx_nl_attr_put_u32(nlh, RTAX_ADVMSS, r->advmss);
	if (r->initcwnd)
		lx_nl_attr_put_u32(nlh, RTAX_INITCWND, r->initcwnd);
	if (r->initrwnd)
		lx_nl_attr_put_u32(nlh, RTAX_INITRWND, r->initrwnd);
	if (r->quickack)
		lx_nl_attr_put_u32(nlh, RTAX_QUICKACK, r->quickack);
	if (r->congctl[0])
		lx_nl_attr_put(nlh, RTAX_CC_ALGO,
			       strnlen(r->congctl, sizeof(r->congctl) - 1) + 1,
			       r->congctl);
	mnl_attr_nest_end(nlh, m);
}

static void put_multipath(struct nlmsghdr *nlh, const struct lx_route *r,
			  const int *nh_oif)
{
	struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);

	for (size_t i = 0; i < r->n_nexthops; i++) {
		const struct lx_nexthop *nh = &r->nh[i];
		struct rtnexthop *h;
		char *start = (char *)mnl_nlmsg_get_payload_tail(nlh);

		h = lx_nl_put_extra(nlh, sizeof(*h));
		h->rtnh_flags = nh->onlink ? RTNH_F_ONLINK : 0;
		h->rtnh_hops = (uint8_t)(weight(nh) - 1);
		h->rtnh_ifindex = nh_oif && nh_oif[i] > 0 ? nh_oif[i] : 0;
		put_gw(nlh, r, gw_fam(r, nh->gw_family), &nh->gw);
		h->rtnh_len =
		    (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) -
				     start);
	}
	mnl_attr_nest_end(nlh, mp);
}

struct nlmsghdr *lx_route_msg_new(void *buf, enum lx_nl_verb verb,
				  const struct lx_route *r, uint8_t protocol,
				  int oif, const int *nh_oif)
{
	struct nlmsghdr *nlh = route_header(buf, verb, r, protocol);
	struct rtmsg *rtm = NLMSG_DATA(nlh);
	size_t len = lx_inaddr_len(r->family);

	rtm->rtm_scope = lx_route_scope(r);
	if (r->onlink)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	if (r->has_gw)
		put_gw(nlh, r, gw_fam(r, r->gw_family), &r->gw);
	if (oif > 0)
		lx_nl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	if (r->has_src)
		lx_nl_attr_put(nlh, RTA_PREFSRC, len, &r->src);
	if (r->family == AF_INET6 && r->pref != ICMPV6_ROUTER_PREF_MEDIUM)
		lx_nl_attr_put_u8(nlh, RTA_PREF, (uint8_t)r->pref);
	put_metrics(nlh, r);
	if (r->n_nexthops)
		put_multipath(nlh, r, nh_oif);
	return nlh;
}

struct nlmsghdr *lx_route_msg_delete(void *buf, const struct lx_route *r,
				     uint8_t protocol)
{
	struct nlmsghdr *nlh = route_header(buf, LX_NL_DELETE, r, protocol);
	struct rtmsg *rtm = NLMSG_DATA(nlh);

	/* Any scope: the identity plus our protocol selects the route. */
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	return nlh;
}

/* ------------------------------------------------------- I/O */

struct route_vec {
	struct lx_route *v;
	size_t n, cap;
};

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_vec *vec = data;
	const struct rtmsg *rtm = NLMSG_DATA(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return MNL_CB_OK;
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		struct lx_route *v = reallocarray(vec->v, cap, sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		vec->v = v;
		vec->cap = cap;
	}
	switch (lx_route_from_msg(nlh, &vec->v[vec->n])) {
	case 0:
		vec->n++;
		break;
	case -ENOMEM:
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int lx_route_dump(struct lx_nl *nl, struct lx_route **routes, size_t *n,
		  struct lx_error *err)
{
	return lx_route_dump_sized(nl, 0, routes, n, err);
}

int lx_route_dump_sized(struct lx_nl *nl, size_t expect,
			struct lx_route **routes, size_t *n,
			struct lx_error *err)
{
	char buf[LX_NL_MSG_MAX];

	for (int attempt = 0;; attempt++) {
		struct route_vec vec = {0};
		struct nlmsghdr *nlh =
		    lx_nl_put_header(buf, LX_NL_ROUTE, LX_NL_DUMP);
		struct rtmsg *rtm;
		int ret;

		/* Room for what is expected at once: doubling from 8 to
		 * 16,384 copied the array 11 times and left the copies'
		 * pages behind. Untouched room costs no memory. */
		if (expect) {
			vec.v = reallocarray(NULL, expect, sizeof(*vec.v));
			if (!vec.v)
				return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
						    "dump routes");
			vec.cap = expect;
		}

		/* Family and table 0: every table of both families, local
		 * (255) included (a route of ours there must be seen, or it
		 * is re-created, EEXIST, on every pass). */
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = AF_UNSPEC;
		ret = lx_nl_dump(nl, nlh, route_dump_cb, &vec);
		if (ret == 0) {
			*routes = vec.v;
			*n = vec.n;
			return 0;
		}
		lx_routes_free(vec.v, vec.n);
		if (ret != -EINTR || attempt >= 8)
			return lx_error_set(err, LX_ERR_SYSTEM, -ret,
					    "dump routes");
	}
}
