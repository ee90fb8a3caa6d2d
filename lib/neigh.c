/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "desired.h"
#include "neigh.h"

int lx_neigh_cmp(const struct lx_neigh *a, const struct lx_neigh *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = strncmp(a->dev, b->dev, IFNAMSIZ);
	if (r)
		return r;
	return memcmp(&a->addr, &b->addr, lx_inaddr_len(a->family));
}

bool lx_neigh_attrs_equal(const struct lx_neigh *d, const struct lx_neigh *o)
{
	return o->lladdr_len == 6 && memcmp(d->lladdr, o->lladdr, 6) == 0 &&
	       (o->state & (NUD_PERMANENT | NUD_NOARP)) == d->state;
}

bool lx_neigh_is_dynamic(const struct lx_neigh *n)
{
	return !(n->state & (NUD_PERMANENT | NUD_NOARP)) && !n->protocol;
}

const char *lx_nud_name(uint16_t state)
{
	static const struct {
		uint16_t v;
		const char *name;
	} names[] = {
	    {NUD_INCOMPLETE, "incomplete"}, {NUD_REACHABLE, "reachable"},
	    {NUD_STALE, "stale"},	    {NUD_DELAY, "delay"},
	    {NUD_PROBE, "probe"},	    {NUD_FAILED, "failed"},
	    {NUD_NOARP, "noarp"},	    {NUD_PERMANENT, "permanent"},
	};

	for (size_t i = 0; i < LX_ARRAY_SIZE(names); i++)
		if (state & names[i].v)
			return names[i].name;
	return NULL;
}

const char *lx_neigh_format(const struct lx_neigh *n, bool with_proto,
			    char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	size_t off;
	const char *s = lx_nud_name(n->state);

	off = (size_t)snprintf(
	    buf, len, "%s",
	    lx_inaddr_format(n->family, &n->addr, ip, sizeof(ip)));
	if (off < len && n->lladdr_len == 6)
		off +=
		    (size_t)snprintf(buf + off, len - off,
				     " lladdr %02x:%02x:%02x:%02x:%02x:%02x",
				     n->lladdr[0], n->lladdr[1], n->lladdr[2],
				     n->lladdr[3], n->lladdr[4], n->lladdr[5]);
	if (off < len)
		off +=
		    (size_t)snprintf(buf + off, len - off, " dev %s", n->dev);
	if (off < len && s && n->state != NUD_PERMANENT)
		off += (size_t)snprintf(buf + off, len - off, " nud %s", s);
	if (off < len && with_proto) {
		const char *p = lx_proto_name(n->protocol);

		if (p)
			snprintf(buf + off, len - off, " proto %s", p);
		else
			snprintf(buf + off, len - off, " proto %u",
				 n->protocol);
	}
	return buf;
}

/* ------------------------------------------------------- codec */

int lx_neigh_from_msg(const struct nlmsghdr *nlh, struct lx_neigh *n)
{
	const struct ndmsg *nd;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNEIGH ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nd)))
		return -EBADMSG;
	nd = mnl_nlmsg_get_payload(nlh);
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(n, 0, sizeof(*n));
	n->family = nd->ndm_family;
	n->ifindex = nd->ndm_ifindex;
	n->state = nd->ndm_state;
	n->flags = nd->ndm_flags;
	mnl_attr_for_each(a, nlh, sizeof(*nd))
	{
		size_t plen = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case NDA_DST:
			if (plen != lx_inaddr_len(n->family))
				return -EBADMSG;
			memcpy(&n->addr, mnl_attr_get_payload(a), plen);
			break;
		case NDA_LLADDR:
			/* Other link types' addresses are not ours to set:
			 * kept as "no lladdr" (length only). */
			n->lladdr_len = plen > 255 ? 255 : (uint8_t)plen;
			if (plen == 6)
				memcpy(n->lladdr, mnl_attr_get_payload(a), 6);
			break;
		case NDA_PROTOCOL:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EBADMSG;
			n->protocol = mnl_attr_get_u8(a);
			break;
		}
	}
	return 0;
}

struct nlmsghdr *lx_neigh_msg(void *buf, enum lx_nl_verb verb,
			      const struct lx_neigh *n, int ifindex,
			      uint8_t protocol)
{
	struct nlmsghdr *nlh = lx_nl_put_header(buf, LX_NL_NEIGH, verb);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));

	nd->ndm_family = n->family;
	nd->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, lx_inaddr_len(n->family), &n->addr);
	if (verb == LX_NL_DELETE)
		return nlh;
	nd->ndm_state = n->state ? n->state : NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_LLADDR, 6, n->lladdr);
	mnl_attr_put_u8(nlh, NDA_PROTOCOL, protocol);
	return nlh;
}

/* ------------------------------------------------------- I/O */

struct neigh_vec {
	struct lx_neigh *v;
	size_t n;
};

static int neigh_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_vec *vec = data;

	if (lx_grow((void **)&vec->v, vec->n, sizeof(*vec->v)) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (lx_neigh_from_msg(nlh, &vec->v[vec->n]) == 0)
		vec->n++;
	return MNL_CB_OK;
}

int lx_neigh_dump(struct lx_nl *nl, struct lx_neigh **neighs, size_t *n,
		  struct lx_error *err)
{
	char buf[LX_NL_MSG_MAX];

	for (int attempt = 0;; attempt++) {
		struct neigh_vec vec = {0};
		struct nlmsghdr *nlh =
		    lx_nl_put_header(buf, LX_NL_NEIGH, LX_NL_DUMP);
		struct ndmsg *nd;
		int ret;

		/* AF_UNSPEC: the ARP and NDP tables (the bridge's fdb
		 * answers only an AF_BRIDGE request). */
		nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
		nd->ndm_family = AF_UNSPEC;
		ret = lx_nl_dump(nl, nlh, neigh_dump_cb, &vec);
		if (ret == 0) {
			*neighs = vec.v;
			*n = vec.n;
			return 0;
		}
		free(vec.v);
		if (ret != -EINTR || attempt >= 8)
			return lx_error_set(err, LX_ERR_SYSTEM, -ret,
					    "dump neighbours");
	}
}
