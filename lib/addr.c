/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

int lx_addr_cmp(const struct lx_addr *a, const struct lx_addr *b)
{
	int r = strncmp(a->dev, b->dev, IFNAMSIZ);

	if (r)
		return r;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(&a->addr, &b->addr, lx_inaddr_len(a->family));
	if (r)
		return r;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen < b->prefixlen ? -1 : 1;
	return 0;
}

static int addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;
	if (type == IFA_FLAGS && mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int get_inaddr(const struct nlattr *a, int family, union lx_inaddr *out)
{
	size_t len = lx_inaddr_len(family);

	if (!len || mnl_attr_get_payload_len(a) != len)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out, mnl_attr_get_payload(a), len);
	return 0;
}

int lx_addr_from_msg(const struct nlmsghdr *nlh, struct lx_addr *a)
{
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct ifaddrmsg *ifa;
	const struct nlattr *local, *addr;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (!lx_inaddr_len(ifa->ifa_family))
		return -EAFNOSUPPORT;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return -EBADMSG;
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	a->scope = ifa->ifa_scope;
	a->ifindex = (int)ifa->ifa_index;
	a->flags =
	    tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	a->nodad = !!(a->flags & IFA_F_NODAD);
	a->noprefixroute = !!(a->flags & IFA_F_NOPREFIXROUTE);
	local = tb[IFA_LOCAL];
	addr = tb[IFA_ADDRESS];
	if (!local && !addr)
		return -EBADMSG;
	if (get_inaddr(local ? local : addr, a->family, &a->addr) < 0)
		return -EBADMSG;
	if (tb[IFA_BROADCAST] && a->family == AF_INET) {
		union lx_inaddr b;

		if (get_inaddr(tb[IFA_BROADCAST], AF_INET, &b) < 0)
			return -EBADMSG;
		a->has_brd = true;
		a->brd = b.v4;
	}
	if (local && addr) {
		union lx_inaddr p;

		if (get_inaddr(addr, a->family, &p) < 0)
			return -EBADMSG;
		if (memcmp(&p, &a->addr, sizeof(p)) != 0) {
			a->has_peer = true;
			a->peer = p;
		}
	}
	return 0;
}

static struct nlmsghdr *addr_header(void *buf, enum lx_nl_verb verb,
				    const struct lx_addr *a, int ifindex)
{
	struct nlmsghdr *nlh = lx_nl_put_header(buf, LX_NL_ADDR, verb);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t len = lx_inaddr_len(a->family);

	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_index = (uint32_t)ifindex;
	/* Like ip(8): IFA_LOCAL is ours, IFA_ADDRESS the peer or ours. */
	mnl_attr_put(nlh, IFA_LOCAL, len, &a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, len, a->has_peer ? &a->peer : &a->addr);
	return nlh;
}

struct nlmsghdr *lx_addr_msg_new(void *buf, enum lx_nl_verb verb,
				 const struct lx_addr *a, int ifindex)
{
	struct nlmsghdr *nlh = addr_header(buf, verb, a, ifindex);
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	uint32_t flags = (a->nodad ? IFA_F_NODAD : 0) |
			 (a->noprefixroute ? IFA_F_NOPREFIXROUTE : 0);

	ifa->ifa_scope =
	    a->scope == LX_UNSET ? RT_SCOPE_UNIVERSE : (uint8_t)a->scope;
	if (a->has_brd && a->family == AF_INET)
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(a->brd), &a->brd);
	/* The 8-bit field cannot hold IFA_F_NOPREFIXROUTE: IFA_FLAGS does. */
	ifa->ifa_flags = (uint8_t)(flags & 0xff);
	if (flags)
		mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	return nlh;
}

struct nlmsghdr *lx_addr_msg_delete(void *buf, const struct lx_addr *a,
				    int ifindex)
{
	return addr_header(buf, LX_NL_DELETE, a, ifindex);
}

struct addr_vec {
	struct lx_addr *v;
	size_t n;
};

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_vec *vec = data;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (lx_grow((void **)&vec->v, vec->n, sizeof(*vec->v)) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (lx_addr_from_msg(nlh, &vec->v[vec->n]) == 0)
		vec->n++;
	return MNL_CB_OK;
}

int lx_addr_dump(struct lx_nl *nl, struct lx_addr **addrs, size_t *n,
		 struct lx_error *err)
{
	char buf[LX_NL_MSG_MAX];

	for (int attempt = 0;; attempt++) {
		struct addr_vec vec = {0};
		struct nlmsghdr *nlh =
		    lx_nl_put_header(buf, LX_NL_ADDR, LX_NL_DUMP);
		struct ifaddrmsg *ifa;
		int ret;

		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_UNSPEC;
		ret = lx_nl_dump(nl, nlh, addr_dump_cb, &vec);
		if (ret == 0) {
			*addrs = vec.v;
			*n = vec.n;
			return 0;
		}
		free(vec.v);
		if (ret != -EINTR || attempt >= 8)
			return lx_error_set(err, LX_ERR_SYSTEM, -ret,
					    "dump addresses");
	}
}
