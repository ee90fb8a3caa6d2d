/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "route.h"

/* IP6_RT_PRIO_USER: what the kernel gives an IPv6 route without metric. */
#define LX_IP6_DEFAULT_METRIC 1024

uint32_t lx_route_table(const struct lx_route *r)
{
	return r->table ? r->table : RT_TABLE_MAIN;
}

uint32_t lx_route_metric(const struct lx_route *r)
{
	if (r->family == AF_INET6 && r->metric == 0)
		return LX_IP6_DEFAULT_METRIC;
	return r->metric;
}

void lx_route_normalize(struct lx_route *r)
{
	r->table = lx_route_table(r);
	r->metric = lx_route_metric(r);
	if (r->type == RTN_UNSPEC)
		r->type = RTN_UNICAST;
}

int lx_route_cmp(const struct lx_route *a, const struct lx_route *b)
{
	uint32_t x, y;
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	x = lx_route_table(a), y = lx_route_table(b);
	if (x != y)
		return x < y ? -1 : 1;
	if (a->dst_len != b->dst_len)
		return a->dst_len < b->dst_len ? -1 : 1;
	r = memcmp(&a->dst, &b->dst, lx_inaddr_len(a->family));
	if (r)
		return r;
	x = lx_route_metric(a), y = lx_route_metric(b);
	if (x != y)
		return x < y ? -1 : 1;
	return 0;
}

uint8_t lx_route_scope(const struct lx_route *r)
{
	if (r->family == AF_INET6)
		return RT_SCOPE_UNIVERSE;
	if (r->scope != LX_UNSET)
		return (uint8_t)r->scope;
	return r->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
}

bool lx_route_attrs_equal(const struct lx_route *d, const struct lx_route *o)
{
	size_t len = lx_inaddr_len(d->family);

	if (d->has_gw != o->has_gw ||
	    (d->has_gw && memcmp(&d->gw, &o->gw, len) != 0))
		return false;
	/* No dev: the kernel picks it from the gateway, nothing to compare. */
	if (d->dev[0] && strncmp(d->dev, o->dev, IFNAMSIZ) != 0)
		return false;
	if (d->has_src != o->has_src ||
	    (d->has_src && memcmp(&d->src, &o->src, len) != 0))
		return false;
	if (d->family == AF_INET && lx_route_scope(d) != (uint8_t)o->scope)
		return false;
	return d->mtu == o->mtu;
}

/* ------------------------------------------------------- codec */

static int route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case RTA_TABLE:
	case RTA_OIF:
	case RTA_PRIORITY:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case RTA_METRICS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int get_inaddr(const struct nlattr *a, int family, union lx_inaddr *out)
{
	size_t len = lx_inaddr_len(family);

	if (mnl_attr_get_payload_len(a) != len)
		return -EBADMSG;
	memcpy(out, mnl_attr_get_payload(a), len);
	return 0;
}

int lx_route_from_msg(const struct nlmsghdr *nlh, struct lx_route *r)
{
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (!lx_inaddr_len(rtm->rtm_family))
		return -EAFNOSUPPORT;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->table =
	    tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	r->scope = rtm->rtm_scope;
	if (tb[RTA_DST] && get_inaddr(tb[RTA_DST], r->family, &r->dst) < 0)
		return -EBADMSG;
	if (tb[RTA_GATEWAY]) {
		if (get_inaddr(tb[RTA_GATEWAY], r->family, &r->gw) < 0)
			return -EBADMSG;
		r->has_gw = true;
	}
	if (tb[RTA_PREFSRC]) {
		if (get_inaddr(tb[RTA_PREFSRC], r->family, &r->src) < 0)
			return -EBADMSG;
		r->has_src = true;
	}
	if (tb[RTA_OIF])
		r->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_PRIORITY])
		r->metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_METRICS]) {
		const struct nlattr *m;

		mnl_attr_for_each_nested(m, tb[RTA_METRICS])
		{
			if (mnl_attr_get_type(m) == RTAX_MTU &&
			    mnl_attr_validate(m, MNL_TYPE_U32) == 0)
				r->mtu = mnl_attr_get_u32(m);
		}
	}
	return 0;
}

static struct nlmsghdr *route_header(void *buf, enum lx_nl_verb verb,
				     const struct lx_route *r, uint8_t protocol)
{
	struct nlmsghdr *nlh = lx_nl_put_header(buf, LX_NL_ROUTE, verb);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	uint32_t table = lx_route_table(r);

	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = protocol;
	rtm->rtm_type = r->type ? r->type : RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (r->dst_len)
		mnl_attr_put(nlh, RTA_DST, lx_inaddr_len(r->family), &r->dst);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, lx_route_metric(r));
	return nlh;
}

struct nlmsghdr *lx_route_msg_new(void *buf, enum lx_nl_verb verb,
				  const struct lx_route *r, uint8_t protocol,
				  int oif)
{
	struct nlmsghdr *nlh = route_header(buf, verb, r, protocol);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	size_t len = lx_inaddr_len(r->family);

	rtm->rtm_scope = lx_route_scope(r);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, len, &r->gw);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	if (r->has_src)
		mnl_attr_put(nlh, RTA_PREFSRC, len, &r->src);
	if (r->mtu) {
		struct nlattr *m = mnl_attr_nest_start(nlh, RTA_METRICS);

		mnl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
		mnl_attr_nest_end(nlh, m);
	}
	return nlh;
}

struct nlmsghdr *lx_route_msg_delete(void *buf, const struct lx_route *r,
				     uint8_t protocol)
{
	struct nlmsghdr *nlh = route_header(buf, LX_NL_DELETE, r, protocol);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	/* Any scope: the identity plus our protocol selects the route. */
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	return nlh;
}

/* ------------------------------------------------------- I/O */

struct route_vec {
	struct lx_route *v;
	size_t n;
};

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_vec *vec = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)) ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return MNL_CB_OK;
	if (lx_grow((void **)&vec->v, vec->n, sizeof(*vec->v)) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (lx_route_from_msg(nlh, &vec->v[vec->n]) == 0)
		vec->n++;
	return MNL_CB_OK;
}

int lx_route_dump(struct lx_nl *nl, struct lx_route **routes, size_t *n,
		  struct lx_error *err)
{
	char buf[LX_NL_MSG_MAX];

	for (int attempt = 0;; attempt++) {
		struct route_vec vec = {0};
		struct nlmsghdr *nlh =
		    lx_nl_put_header(buf, LX_NL_ROUTE, LX_NL_DUMP);
		struct rtmsg *rtm;
		int ret;

		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = AF_UNSPEC;
		ret = lx_nl_dump(nl, nlh, route_dump_cb, &vec);
		if (ret == 0) {
			*routes = vec.v;
			*n = vec.n;
			return 0;
		}
		free(vec.v);
		if (ret != -EINTR || attempt >= 8)
			return lx_error_set(err, LX_ERR_SYSTEM, -ret,
					    "dump routes");
	}
}
