/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "link.h"

int lx_link_cmp(const struct lx_link *a, const struct lx_link *b)
{
	return strncmp(a->name, b->name, IFNAMSIZ);
}

/* IFLA_INFO_KIND: len bytes at s, NUL-terminated or not (MNL_TYPE_STRING
 * does not check): never read past them. */
static enum lx_link_kind kind_from_attr(const char *s, size_t len)
{
	enum lx_link_kind k;

	return lx_link_kind_parse(s, strnlen(s, len), &k) ? k : LX_LINK_OTHER;
}

static const struct {
	enum lx_link_kind kind;
	const char *name;
	uint32_t value;
} modes[] = {
    {LX_LINK_MACVLAN, "private", MACVLAN_MODE_PRIVATE},
    {LX_LINK_MACVLAN, "vepa", MACVLAN_MODE_VEPA},
    {LX_LINK_MACVLAN, "bridge", MACVLAN_MODE_BRIDGE},
    {LX_LINK_MACVLAN, "passthru", MACVLAN_MODE_PASSTHRU},
    {LX_LINK_MACVLAN, "source", MACVLAN_MODE_SOURCE},
    {LX_LINK_IPVLAN, "l2", IPVLAN_MODE_L2},
    {LX_LINK_IPVLAN, "l3", IPVLAN_MODE_L3},
    {LX_LINK_IPVLAN, "l3s", IPVLAN_MODE_L3S},
};

int lx_link_mode_value(enum lx_link_kind kind, const char *mode, uint32_t *out)
{
	if (!mode[0])
		return 0;
	for (size_t i = 0; i < LX_ARRAY_SIZE(modes); i++)
		if (modes[i].kind == kind && strcmp(modes[i].name, mode) == 0) {
			*out = modes[i].value;
			return 0;
		}
	return -EINVAL;
}

static int data_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	/* Only the mode is read: IFLA_MACVLAN_MODE and IFLA_IPVLAN_MODE
	 * are both 1. */
	if (type != IFLA_MACVLAN_MODE)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

/* The mode word of an observed macvlan or ipvlan (IFLA_INFO_DATA); left
 * "" when absent, malformed or not one the grammar names. */
static void mode_from_data(struct lx_link *l, const struct nlattr *data)
{
	const struct nlattr *tb[IFLA_MACVLAN_MODE + 1] = {0};
	uint32_t v;

	if (l->kind != LX_LINK_MACVLAN && l->kind != LX_LINK_IPVLAN)
		return;
	if (mnl_attr_parse_nested(data, data_attr_cb, tb) < 0)
		return;
	if (l->kind == LX_LINK_MACVLAN) {
		if (!tb[IFLA_MACVLAN_MODE] ||
		    mnl_attr_validate(tb[IFLA_MACVLAN_MODE], MNL_TYPE_U32) < 0)
			return;
		v = mnl_attr_get_u32(tb[IFLA_MACVLAN_MODE]);
	} else {
		if (!tb[IFLA_IPVLAN_MODE] ||
		    mnl_attr_validate(tb[IFLA_IPVLAN_MODE], MNL_TYPE_U16) < 0)
			return;
		v = mnl_attr_get_u16(tb[IFLA_IPVLAN_MODE]);
	}
	for (size_t i = 0; i < LX_ARRAY_SIZE(modes); i++)
		if (modes[i].kind == l->kind && modes[i].value == v)
			snprintf(l->mode, sizeof(l->mode), "%s", modes[i].name);
}

/* ------------------------------------------------------- codec */

struct link_attrs {
	const struct nlattr *tb[IFLA_MAX + 1];
};

static int link_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK; /* newer kernel: skip */
	switch (type) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_MTU:
	case IFLA_TXQLEN:
	case IFLA_LINK:
	case IFLA_MASTER:
	case IFLA_LINK_NETNSID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int info_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    mnl_attr_validate(a, MNL_TYPE_STRING) < 0)
		return MNL_CB_ERROR;
	if (mnl_attr_get_type(a) == IFLA_INFO_DATA &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

int lx_link_from_msg(const struct nlmsghdr *nlh, struct lx_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) < 0 ||
	    !tb[IFLA_IFNAME])
		return -EBADMSG;
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s",
		 mnl_attr_get_str(tb[IFLA_IFNAME]));
	l->ifindex = ifi->ifi_index;
	l->up = !!(ifi->ifi_flags & IFF_UP);
	l->oper_up = l->up;
	l->peer_up = LX_UNSET;
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_TXQLEN]) {
		l->has_txqlen = true;
		l->txqlen = mnl_attr_get_u32(tb[IFLA_TXQLEN]);
	}
	/* Ethernet-like links only: others have no 6-byte address. */
	if (tb[IFLA_ADDRESS] &&
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l->mac)) {
		l->has_mac = true;
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]),
		       sizeof(l->mac));
	}
	if (tb[IFLA_LINK])
		l->link_ifindex = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_MASTER])
		l->master_ifindex = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK_NETNSID]) {
		l->has_link_netnsid = true;
		l->link_netnsid =
		    (int32_t)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
	}
	l->kind = LX_LINK_EXISTING;
	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *info[IFLA_INFO_MAX + 1] = {0};

		if (mnl_attr_parse_nested(tb[IFLA_LINKINFO], info_attr_cb,
					  info) < 0)
			return -EBADMSG;
		if (info[IFLA_INFO_KIND])
			l->kind = kind_from_attr(
			    mnl_attr_get_str(info[IFLA_INFO_KIND]),
			    mnl_attr_get_payload_len(info[IFLA_INFO_KIND]));
		if (info[IFLA_INFO_DATA])
			mode_from_data(l, info[IFLA_INFO_DATA]);
	}
	return 0;
}

static struct nlmsghdr *link_header(void *buf, enum lx_nl_verb verb,
				    const char *name)
{
	struct nlmsghdr *nlh = lx_nl_put_header(buf, LX_NL_LINK, verb);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	if (name && name[0])
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

struct nlmsghdr *lx_link_msg_create(void *buf, const struct lx_link *l,
				    const struct lx_link_where *w)
{
	struct nlmsghdr *nlh = link_header(buf, LX_NL_CREATE, l->name);
	struct nlattr *info, *data;
	uint32_t mode = 0;
	bool has_mode;

	if (l->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	if (l->has_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(l->mac), l->mac);
	if (l->has_txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, l->txqlen);
	if (l->kind == LX_LINK_MACVLAN || l->kind == LX_LINK_IPVLAN) {
		mnl_attr_put_u32(nlh, IFLA_LINK, w->parent_ifindex);
		if (w->link_netnsid >= 0)
			mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID,
					 (uint32_t)w->link_netnsid);
	}
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, lx_link_kind_name(l->kind));
	has_mode =
	    l->mode[0] && lx_link_mode_value(l->kind, l->mode, &mode) == 0;
	switch (l->kind) {
	case LX_LINK_VETH: {
		struct nlattr *peer;
		struct ifinfomsg *pifi;

		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
		/* The peer's payload is an ifinfomsg followed by attributes. */
		pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
		pifi->ifi_family = AF_UNSPEC;
		if (l->peer[0])
			mnl_attr_put_strz(nlh, IFLA_IFNAME, l->peer);
		/* The host end: at the container end's mtu unless told. */
		if (l->peer_mtu || l->mtu)
			mnl_attr_put_u32(nlh, IFLA_MTU,
					 l->peer_mtu ? l->peer_mtu : l->mtu);
		if (w && w->peer_netns_fd >= 0)
			mnl_attr_put_u32(nlh, IFLA_NET_NS_FD,
					 (uint32_t)w->peer_netns_fd);
		mnl_attr_nest_end(nlh, peer);
		mnl_attr_nest_end(nlh, data);
		break;
	}
	case LX_LINK_MACVLAN:
		if (has_mode) {
			data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
			mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, mode);
			mnl_attr_nest_end(nlh, data);
		}
		break;
	case LX_LINK_IPVLAN:
		if (has_mode) {
			data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
			mnl_attr_put_u16(nlh, IFLA_IPVLAN_MODE, (uint16_t)mode);
			mnl_attr_nest_end(nlh, data);
		}
		break;
	default:
		break;
	}
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

struct nlmsghdr *lx_link_msg_change(void *buf, const char *name,
				    const struct lx_link_change *c)
{
	struct nlmsghdr *nlh = link_header(buf, LX_NL_SET, name);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (c->up != LX_UNSET) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = c->up ? IFF_UP : 0;
	}
	if (c->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
	if (c->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, c->master);
	if (c->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, c->mac);
	if (c->has_txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, c->txqlen);
	return nlh;
}

struct nlmsghdr *lx_link_msg_set(void *buf, const char *name, int up,
				 uint32_t mtu, uint32_t master)
{
	struct lx_link_change c = {.up = up, .mtu = mtu, .master = master};

	return lx_link_msg_change(buf, name, &c);
}

struct nlmsghdr *lx_link_msg_delete(void *buf, const char *name)
{
	return link_header(buf, LX_NL_DELETE, name);
}

struct nlmsghdr *lx_link_msg_get(void *buf, const char *name)
{
	return link_header(buf, LX_NL_GET, name);
}

/* ------------------------------------------------------- I/O */

struct link_vec {
	struct lx_link *v;
	size_t n;
};

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_vec *vec = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (lx_grow((void **)&vec->v, vec->n, sizeof(*vec->v)) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (lx_link_from_msg(nlh, &vec->v[vec->n]) == 0)
		vec->n++;
	return MNL_CB_OK;
}

int lx_link_dump(struct lx_nl *nl, struct lx_link **links, size_t *n,
		 struct lx_error *err)
{
	char buf[LX_NL_MSG_MAX];

	for (int attempt = 0;; attempt++) {
		struct link_vec vec = {0};
		struct nlmsghdr *nlh = link_header(buf, LX_NL_DUMP, NULL);
		int ret = lx_nl_dump(nl, nlh, link_dump_cb, &vec);

		if (ret == 0) {
			*links = vec.v;
			*n = vec.n;
			return 0;
		}
		free(vec.v);
		if (ret != -EINTR || attempt >= 8)
			return lx_error_set(err, LX_ERR_SYSTEM, -ret,
					    "dump links");
	}
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK &&
	    nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		*(int *)data =
		    ((const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))
			->ifi_index;
	return MNL_CB_OK;
}

int lx_link_ifindex(struct lx_nl *nl, const char *name)
{
	char buf[LX_NL_MSG_MAX];
	int ifindex = 0, ret;

	if (!name[0])
		return -ENODEV;
	ret = lx_nl_talk(nl, lx_link_msg_get(buf, name), link_get_cb, &ifindex,
			 NULL, 0);
	if (ret < 0)
		return ret;
	return ifindex > 0 ? ifindex : -ENODEV;
}

static int link_one_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lx_link *l = data;

	if (nlh->nlmsg_type == RTM_NEWLINK)
		(void)lx_link_from_msg(nlh, l);
	return MNL_CB_OK;
}

int lx_link_get(struct lx_nl *nl, const char *name, struct lx_link *out)
{
	char buf[LX_NL_MSG_MAX];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!name[0])
		return -ENODEV;
	ret = lx_nl_talk(nl, lx_link_msg_get(buf, name), link_one_cb, out, NULL,
			 0);
	if (ret < 0)
		return ret;
	return out->ifindex > 0 ? 0 : -ENODEV;
}

void lx_link_peer_name(const char *id, const char *link, const char *prefix,
		       char out[IFNAMSIZ])
{
	/* FNV-1a, 64 bits, over "id\0link": stable across versions and
	 * restarts, so a restarted sidecar finds the peer it made. */
	uint64_t h = 0xcbf29ce484222325ull;
	char hex[17];
	size_t n;

	for (const char *p = id;; p++) {
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
		if (!*p)
			break;
	}
	for (const char *p = link; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	if (!prefix || !prefix[0])
		prefix = LX_PEER_PREFIX_DEFAULT;
	n = strnlen(prefix, LX_PEER_PREFIX_MAX);
	snprintf(hex, sizeof(hex), "%016" PRIx64, h);
	memcpy(out, prefix, n);
	memcpy(out + n, hex, IFNAMSIZ - 1 - n);
	out[IFNAMSIZ - 1] = '\0';
}
