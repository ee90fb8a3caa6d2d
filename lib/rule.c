/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "desired.h"
#include "route.h"
#include "rule.h"

#define CMP(x, y)                                                              \
	do {                                                                   \
		if ((x) != (y))                                                \
			return (x) < (y) ? -1 : 1;                             \
	} while (0)

int lx_rule_key_cmp(const struct lx_rule *a, const struct lx_rule *b)
{
	size_t len = lx_inaddr_len(a->family);
	int r;

	CMP(a->family, b->family);
	CMP(a->action, b->action);
	CMP(a->table, b->table);
	CMP(a->invert, b->invert);
	CMP(a->src_len, b->src_len);
	CMP(a->dst_len, b->dst_len);
	if ((r = memcmp(&a->src, &b->src, len)) != 0 ||
	    (r = memcmp(&a->dst, &b->dst, len)) != 0 ||
	    (r = strncmp(a->iif, b->iif, IFNAMSIZ)) != 0 ||
	    (r = strncmp(a->oif, b->oif, IFNAMSIZ)) != 0)
		return r;
	CMP(a->has_fwmark, b->has_fwmark);
	if (a->has_fwmark) {
		CMP(a->fwmark, b->fwmark);
		CMP(a->fwmask, b->fwmask);
	}
	CMP(a->ipproto, b->ipproto);
	CMP(a->sport_lo, b->sport_lo);
	CMP(a->sport_hi, b->sport_hi);
	CMP(a->dport_lo, b->dport_lo);
	CMP(a->dport_hi, b->dport_hi);
	CMP(a->tos, b->tos);
	return 0;
}

int lx_rule_cmp(const struct lx_rule *a, const struct lx_rule *b)
{
	int r = lx_rule_key_cmp(a, b);

	if (r)
		return r;
	CMP(a->has_priority, b->has_priority);
	if (a->has_priority)
		CMP(a->priority, b->priority);
	return 0;
}

bool lx_rule_is_default(const struct lx_rule *r)
{
	return r->protocol == RTPROT_KERNEL &&
	       (r->priority == 0 || r->priority == 32766 ||
		r->priority == 32767);
}

/* ------------------------------------------------------- format */

static void fmt_prefix(char *buf, size_t len, size_t *off, const char *word,
		       uint8_t fam, const union lx_inaddr *a, uint8_t plen)
{
	char ip[INET6_ADDRSTRLEN];

	if (*off < len)
		*off += (size_t)snprintf(
		    buf + *off, len - *off, " %s %s/%u", word,
		    lx_inaddr_format(fam, a, ip, sizeof(ip)), plen);
}

#define ADD(...)                                                               \
	do {                                                                   \
		if (off < len)                                                 \
			off += (size_t)snprintf(buf + off, len - off,          \
						__VA_ARGS__);                  \
	} while (0)

const char *lx_rule_format(const struct lx_rule *r, bool with_proto, char *buf,
			   size_t len)
{
	size_t off = 0;
	const char *t;

	buf[0] = '\0';
	/* The family is read from the prefixes; without one, say it. */
	if (r->family == AF_INET6 && !r->src_len && !r->dst_len)
		ADD("-6 ");
	if (r->invert)
		ADD("not ");
	if (r->src_len)
		fmt_prefix(buf, len, &off, "from", r->family, &r->src,
			   r->src_len);
	else
		ADD(" from all");
	if (r->dst_len)
		fmt_prefix(buf, len, &off, "to", r->family, &r->dst,
			   r->dst_len);
	if (r->iif[0])
		ADD(" iif %s", r->iif);
	if (r->oif[0])
		ADD(" oif %s", r->oif);
	if (r->has_fwmark) {
		ADD(" fwmark 0x%x", r->fwmark);
		if (r->fwmask != UINT32_MAX)
			ADD("/0x%x", r->fwmask);
	}
	if (r->ipproto) {
		t = lx_ipproto_name(r->ipproto);
		if (t)
			ADD(" ipproto %s", t);
		else
			ADD(" ipproto %u", r->ipproto);
	}
	if (r->sport_lo)
		ADD(r->sport_lo == r->sport_hi ? " sport %u" : " sport %u-%u",
		    r->sport_lo, r->sport_hi);
	if (r->dport_lo)
		ADD(r->dport_lo == r->dport_hi ? " dport %u" : " dport %u-%u",
		    r->dport_lo, r->dport_hi);
	if (r->tos)
		ADD(" tos %u", r->tos);
	if (r->has_priority)
		ADD(" priority %u", r->priority);
	switch (r->action) {
	case FR_ACT_TO_TBL:
		t = lx_route_table_name(r->table);
		if (t)
			ADD(" table %s", t);
		else
			ADD(" table %u", r->table);
		break;
	case FR_ACT_BLACKHOLE:
		ADD(" blackhole");
		break;
	case FR_ACT_UNREACHABLE:
		ADD(" unreachable");
		break;
	case FR_ACT_PROHIBIT:
		ADD(" prohibit");
		break;
	default:
		ADD(" action %u", r->action);
	}
	if (with_proto) {
		t = lx_proto_name(r->protocol);
		if (t)
			ADD(" proto %s", t);
		else
			ADD(" proto %u", r->protocol);
	}
	/* "not " / "-6 " are followed by " from": one space, not two. */
	for (char *p = buf; (p = strstr(p, "  ")) != NULL;)
		memmove(p, p + 1, strlen(p));
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
	return buf;
}

/* ------------------------------------------------------- codec */

static int rule_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, FRA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case FRA_PRIORITY:
	case FRA_FWMARK:
	case FRA_FWMASK:
	case FRA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case FRA_PROTOCOL:
	case FRA_IP_PROTO:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		break;
	case FRA_SPORT_RANGE:
	case FRA_DPORT_RANGE:
		if (mnl_attr_get_payload_len(a) !=
		    sizeof(struct fib_rule_port_range))
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int get_addr(const struct nlattr *a, int fam, union lx_inaddr *out)
{
	size_t len = lx_inaddr_len(fam);

	if (mnl_attr_get_payload_len(a) != len)
		return -EBADMSG;
	memcpy(out, mnl_attr_get_payload(a), len);
	return 0;
}

static void get_name(const struct nlattr *a, char *dst)
{
	size_t n = mnl_attr_get_payload_len(a);

	if (n >= IFNAMSIZ)
		n = IFNAMSIZ - 1;
	memcpy(dst, mnl_attr_get_payload(a), n);
	dst[n] = '\0';
	dst[strnlen(dst, IFNAMSIZ - 1)] = '\0';
}

int lx_rule_from_msg(const struct nlmsghdr *nlh, struct lx_rule *r)
{
	const struct nlattr *tb[FRA_MAX + 1] = {0};
	const struct fib_rule_hdr *h;

	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*h)))
		return -EBADMSG;
	h = mnl_nlmsg_get_payload(nlh);
	if (h->family != AF_INET && h->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (mnl_attr_parse(nlh, sizeof(*h), rule_attr_cb, tb) < 0)
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	r->family = h->family;
	r->src_len = h->src_len;
	r->dst_len = h->dst_len;
	if (r->src_len > 8 * lx_inaddr_len(r->family) ||
	    r->dst_len > 8 * lx_inaddr_len(r->family))
		return -EBADMSG;
	r->tos = h->tos;
	r->action = h->action;
	r->invert = h->flags & FIB_RULE_INVERT;
	r->table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : h->table;
	if (tb[FRA_SRC] && get_addr(tb[FRA_SRC], r->family, &r->src) < 0)
		return -EBADMSG;
	if (tb[FRA_DST] && get_addr(tb[FRA_DST], r->family, &r->dst) < 0)
		return -EBADMSG;
	if (tb[FRA_IIFNAME])
		get_name(tb[FRA_IIFNAME], r->iif);
	if (tb[FRA_OIFNAME])
		get_name(tb[FRA_OIFNAME], r->oif);
	if (tb[FRA_FWMARK] || tb[FRA_FWMASK]) {
		r->has_fwmark = true;
		r->fwmark =
		    tb[FRA_FWMARK] ? mnl_attr_get_u32(tb[FRA_FWMARK]) : 0;
		r->fwmask = tb[FRA_FWMASK] ? mnl_attr_get_u32(tb[FRA_FWMASK])
					   : UINT32_MAX;
	}
	if (tb[FRA_IP_PROTO])
		r->ipproto = mnl_attr_get_u8(tb[FRA_IP_PROTO]);
	if (tb[FRA_SPORT_RANGE]) {
		const struct fib_rule_port_range *p =
		    mnl_attr_get_payload(tb[FRA_SPORT_RANGE]);

		r->sport_lo = p->start;
		r->sport_hi = p->end;
	}
	if (tb[FRA_DPORT_RANGE]) {
		const struct fib_rule_port_range *p =
		    mnl_attr_get_payload(tb[FRA_DPORT_RANGE]);

		r->dport_lo = p->start;
		r->dport_hi = p->end;
	}
	r->has_priority = true;
	if (tb[FRA_PRIORITY])
		r->priority = mnl_attr_get_u32(tb[FRA_PRIORITY]);
	if (tb[FRA_PROTOCOL])
		r->protocol = mnl_attr_get_u8(tb[FRA_PROTOCOL]);
	return 0;
}

struct nlmsghdr *lx_rule_msg(void *buf, enum lx_nl_verb verb,
			     const struct lx_rule *r, uint8_t protocol)
{
	struct nlmsghdr *nlh = lx_nl_put_header(buf, LX_NL_RULE, verb);
	struct fib_rule_hdr *h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	size_t len = lx_inaddr_len(r->family);

	h->family = r->family;
	h->src_len = r->src_len;
	h->dst_len = r->dst_len;
	h->tos = r->tos;
	h->action = r->action;
	h->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	if (r->invert)
		h->flags |= FIB_RULE_INVERT;
	if (r->action == FR_ACT_TO_TBL)
		mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	if (r->src_len)
		mnl_attr_put(nlh, FRA_SRC, len, &r->src);
	if (r->dst_len)
		mnl_attr_put(nlh, FRA_DST, len, &r->dst);
	if (r->iif[0])
		mnl_attr_put_strz(nlh, FRA_IIFNAME, r->iif);
	if (r->oif[0])
		mnl_attr_put_strz(nlh, FRA_OIFNAME, r->oif);
	if (r->has_fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, r->fwmask);
	}
	if (r->ipproto)
		mnl_attr_put_u8(nlh, FRA_IP_PROTO, r->ipproto);
	if (r->sport_lo) {
		struct fib_rule_port_range p = {r->sport_lo, r->sport_hi};

		mnl_attr_put(nlh, FRA_SPORT_RANGE, sizeof(p), &p);
	}
	if (r->dport_lo) {
		struct fib_rule_port_range p = {r->dport_lo, r->dport_hi};

		mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof(p), &p);
	}
	if (r->has_priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, r->priority);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, protocol);
	return nlh;
}

/* ------------------------------------------------------- I/O */

struct rule_vec {
	struct lx_rule *v;
	size_t n;
};

static int rule_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_vec *vec = data;

	if (lx_grow((void **)&vec->v, vec->n, sizeof(*vec->v)) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (lx_rule_from_msg(nlh, &vec->v[vec->n]) == 0)
		vec->n++;
	return MNL_CB_OK;
}

int lx_rule_dump(struct lx_nl *nl, struct lx_rule **rules, size_t *n,
		 struct lx_error *err)
{
	char buf[LX_NL_MSG_MAX];

	for (int attempt = 0;; attempt++) {
		struct rule_vec vec = {0};
		struct nlmsghdr *nlh =
		    lx_nl_put_header(buf, LX_NL_RULE, LX_NL_DUMP);
		struct fib_rule_hdr *h;
		int ret;

		h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
		h->family = AF_UNSPEC;
		ret = lx_nl_dump(nl, nlh, rule_dump_cb, &vec);
		if (ret == 0) {
			*rules = vec.v;
			*n = vec.n;
			return 0;
		}
		free(vec.v);
		if (ret != -EINTR || attempt >= 8)
			return lx_error_set(err, LX_ERR_SYSTEM, -ret,
					    "dump rules");
	}
}
