/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "format.h"
#include "link.h"
#include "neigh.h"
#include "owned_log.h"
#include "route.h"
#include "policy.h"
#include "rtnl.h"
#include "rtnl_tagged.h"
#include "rule.h"

void lx_rtnl_state_free(struct lx_rtnl_state *s)
{
	if (!s)
		return;
	free(s->links);
	free(s->addrs);
	lx_routes_free(s->routes, s->n_routes);
	free(s->rules);
	free(s->neighs);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------ observe */

static int link_by_ifindex_cmp(const void *a, const void *b)
{
	const struct lx_link *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* Links sorted by ifindex, and the last one found with its name
 * zero-padded: the routes of one device come in runs (a dump of 10,000
 * routes via one gateway names one link 10,000 times). */
struct ifnames {
	const struct lx_rtnl_state *s;
	int ifindex; /* of name; 0 = none cached */
	char name[IFNAMSIZ];
};

/* dst = the name of ifindex, zero-padded ("" for 0 or a link that is not
 * there). */
static void name_dev(struct ifnames *c, char dst[IFNAMSIZ], int ifindex)
{
	struct lx_link key = {.ifindex = ifindex};
	const struct lx_link *l = NULL;

	if (ifindex && ifindex != c->ifindex) {
		/* No links: links is NULL, which bsearch may not be given. */
		if (c->s->n_links)
			l = bsearch(&key, c->s->links, c->s->n_links,
				    sizeof(*c->s->links), link_by_ifindex_cmp);
		if (!l) {
			memset(dst, 0, IFNAMSIZ);
			return;
		}
		memset(c->name, 0, sizeof(c->name));
		memcpy(c->name, l->name, strnlen(l->name, IFNAMSIZ - 1));
		c->ifindex = ifindex;
	}
	if (ifindex)
		memcpy(dst, c->name, IFNAMSIZ);
	else
		memset(dst, 0, IFNAMSIZ);
}

void lx_rtnl_state_name_devs(struct lx_rtnl_state *s)
{
	struct ifnames c = {.s = s};

	/* Links sorted by ifindex: the dev names of the rest come from here. */
	if (s->n_links)
		qsort(s->links, s->n_links, sizeof(*s->links),
		      link_by_ifindex_cmp);
	for (size_t i = 0; i < s->n_addrs; i++)
		name_dev(&c, s->addrs[i].dev, s->addrs[i].ifindex);
	for (size_t i = 0; i < s->n_routes; i++) {
		name_dev(&c, s->routes[i].dev, s->routes[i].oif);
		for (size_t k = 0; k < s->routes[i].n_nexthops; k++)
			name_dev(&c, s->routes[i].nh[k].dev,
				 s->routes[i].nh[k].oif);
	}
	for (size_t i = 0; i < s->n_neighs; i++)
		name_dev(&c, s->neighs[i].dev, s->neighs[i].ifindex);
}

int lx_rtnl_observe(struct lx_nl *nl, struct lx_rtnl_state *out,
		    struct lx_error *err)
{
	return lx_rtnl_observe_sized(nl, 0, out, err);
}

int lx_rtnl_observe_sized(struct lx_nl *nl, size_t routes,
			  struct lx_rtnl_state *out, struct lx_error *err)
{
	struct lx_rtnl_state s = {0};
	int ret;

	memset(out, 0, sizeof(*out));
	ret = lx_link_dump(nl, &s.links, &s.n_links, err);
	if (ret == 0)
		ret = lx_addr_dump(nl, &s.addrs, &s.n_addrs, err);
	if (ret == 0)
		ret = lx_route_dump_sized(nl, routes, &s.routes, &s.n_routes,
					  err);
	if (ret == 0)
		ret = lx_rule_dump(nl, &s.rules, &s.n_rules, err);
	if (ret == 0)
		ret = lx_neigh_dump(nl, &s.neighs, &s.n_neighs, err);
	if (ret < 0) {
		lx_rtnl_state_free(&s);
		return ret;
	}
	lx_rtnl_state_name_devs(&s);
	*out = s;
	return 0;
}

/* ------------------------------------------------------------ diff */

#define DEFINE_PTR_CMP(name, type, cmp)                                        \
	static int name(const void *a, const void *b)                          \
	{                                                                      \
		const type *x = *(const type *const *)a;                       \
		const type *y = *(const type *const *)b;                       \
		int r = cmp(x, y);                                             \
		/* Ties keep input order: the first of duplicates wins. */     \
		return r ? r : (x > y) - (x < y);                              \
	}

DEFINE_PTR_CMP(addr_pcmp, struct lx_addr, lx_addr_cmp)
DEFINE_PTR_CMP(link_pcmp, struct lx_link, lx_link_cmp)

/* Sorted array of pointers to the elements of arr that pass keep(). */
static const void **sorted_ptrs(const void *arr, size_t n, size_t sz,
				bool (*keep)(const void *, const void *),
				const void *kdata,
				int (*cmp)(const void *, const void *),
				size_t *out_n)
{
	const void **p = malloc((n ? n : 1) * sizeof(*p));
	size_t k = 0;

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const void *e = (const char *)arr + i * sz;

		if (!keep || keep(e, kdata))
			p[k++] = e;
	}
	qsort(p, k, sizeof(*p), cmp);
	*out_n = k;
	return p;
}

static const void *find_ptr(const void *key, const void **p, size_t n,
			    int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp(key, p[mid]);

		if (r == 0)
			return p[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The first of the elements equal to key (lowest index in p), NULL if none. */
static const void *first_ptr(const void *key, const void **p, size_t n,
			     int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, p[mid]) <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < n && cmp(key, p[lo]) == 0 ? p[lo] : NULL;
}

static int addr_key_cmp(const void *k, const void *e)
{
	return lx_addr_cmp(k, e);
}
static int link_key_cmp(const void *k, const void *e)
{
	return lx_link_cmp(k, e);
}

static bool addr_has_dev(const void *e, const void *data)
{
	(void)data;
	return ((const struct lx_addr *)e)->dev[0] != '\0';
}

static int push(struct lx_plan *plan, enum lx_op_verb verb, enum lx_obj obj,
		const void *payload)
{
	struct lx_op op = {.verb = verb, .obj = obj};

	switch (obj) {
	case LX_OBJ_LINK:
		op.u.link = *(const struct lx_link *)payload;
		break;
	case LX_OBJ_ADDRESS:
		op.u.addr = *(const struct lx_addr *)payload;
		break;
	case LX_OBJ_ROUTE: /* nexthops of its own */
		if (lx_route_copy(&op.u.route, payload) < 0)
			return -ENOMEM;
		break;
	default:
		return -EINVAL;
	}
	return lx_plan_add(plan, &op);
}

static int diff_addrs(const struct lx_desired *d,
		      const struct lx_rtnl_state *obs,
		      const struct lx_owned *owned, struct lx_plan *del,
		      struct lx_plan *put)
{
	_cleanup_free_ const void **dp = NULL;
	_cleanup_free_ const void **op = NULL;
	_cleanup_free_ const void **wp = NULL;
	size_t nd = 0, no = 0, nw = 0;
	int ret = 0;

	dp = sorted_ptrs(d->addrs, d->n_addrs, sizeof(*d->addrs), NULL, NULL,
			 addr_pcmp, &nd);
	op = sorted_ptrs(obs->addrs, obs->n_addrs, sizeof(*obs->addrs),
			 addr_has_dev, NULL, addr_pcmp, &no);
	wp = sorted_ptrs(owned->addrs, owned->n_addrs, sizeof(*owned->addrs),
			 NULL, NULL, addr_pcmp, &nw);
	if (!dp || !op || !wp)
		return -ENOMEM;
	/* Ours and no longer desired, still there: delete. */
	for (size_t i = 0; ret == 0 && i < nw; i++) {
		const struct lx_addr *o;

		if (i && lx_addr_cmp(wp[i], wp[i - 1]) == 0)
			continue;
		if (find_ptr(wp[i], dp, nd, addr_key_cmp))
			continue;
		o = find_ptr(wp[i], op, no, addr_key_cmp);
		if (o)
			ret = push(del, LX_OP_DELETE, LX_OBJ_ADDRESS, o);
	}
	/* Desired and missing: create. Foreign extras are left alone. */
	for (size_t i = 0; ret == 0 && i < nd; i++) {
		const struct lx_addr *o;
		struct lx_addr a;

		if (i && lx_addr_cmp(dp[i], dp[i - 1]) == 0)
			continue;
		a = *(const struct lx_addr *)dp[i];
		a.ifindex = 0;
		o = find_ptr(dp[i], op, no, addr_key_cmp);
		if (!o) {
			ret = push(put, LX_OP_CREATE, LX_OBJ_ADDRESS, &a);
			continue;
		}
		if (o->noprefixroute == a.noprefixroute)
			continue;
		/*
		 * IPv6 changes the flag in place (the kernel adds or removes
		 * the prefix route); IPv4 ignores flags on NLM_F_REPLACE, so
		 * the address is made again.
		 */
		if (a.family == AF_INET6) {
			ret = push(put, LX_OP_UPDATE, LX_OBJ_ADDRESS, &a);
		} else {
			ret = push(del, LX_OP_DELETE, LX_OBJ_ADDRESS, o);
			if (ret == 0)
				ret =
				    push(put, LX_OP_CREATE, LX_OBJ_ADDRESS, &a);
		}
	}
	return ret;
}

static int diff_links(const struct lx_desired *d,
		      const struct lx_rtnl_state *obs,
		      const struct lx_owned *owned, struct lx_plan *del,
		      struct lx_plan *put)
{
	_cleanup_free_ const void **op = NULL;
	_cleanup_free_ const void **dp = NULL;
	size_t no = 0, nd = 0;
	int ret = 0;

	op = sorted_ptrs(obs->links, obs->n_links, sizeof(*obs->links), NULL,
			 NULL, link_pcmp, &no);
	dp = sorted_ptrs(d->links, d->n_links, sizeof(*d->links), NULL, NULL,
			 link_pcmp, &nd);
	if (!op || !dp)
		return -ENOMEM;
	for (size_t i = 0; ret == 0 && i < owned->n_links; i++) {
		const struct lx_link *w = &owned->links[i];

		if (find_ptr(w, dp, nd, link_key_cmp) ||
		    !find_ptr(w, op, no, link_key_cmp))
			continue;
		ret = push(del, LX_OP_DELETE, LX_OBJ_LINK, w);
	}
	/* Creates and updates in the order the document gives. */
	for (size_t i = 0; ret == 0 && i < d->n_links; i++) {
		const struct lx_link *x = &d->links[i], *o;

		/* Of duplicates, the first in the document wins: dp holds
		 * them in document order (link_pcmp ties by address). */
		if (first_ptr(x, dp, nd, link_key_cmp) != x)
			continue;
		o = find_ptr(x, op, no, link_key_cmp);
		if (!o) {
			/* A missing existing link: the update fails ENODEV. */
			ret = push(put,
				   x->kind == LX_LINK_EXISTING ? LX_OP_UPDATE
							       : LX_OP_CREATE,
				   LX_OBJ_LINK, x);
			continue;
		}
		if ((x->up != LX_UNSET && !!x->up != !!o->up) ||
		    (x->mtu && x->mtu != o->mtu) ||
		    (x->has_mac &&
		     (!o->has_mac || memcmp(x->mac, o->mac, sizeof(x->mac)))) ||
		    (x->has_txqlen &&
		     (!o->has_txqlen || x->txqlen != o->txqlen)))
			ret = push(put, LX_OP_UPDATE, LX_OBJ_LINK, x);
	}
	return ret;
}

static int append_ops(struct lx_plan *plan, struct lx_plan *from,
		      bool (*keep)(const struct lx_op *))
{
	for (size_t i = 0; i < from->n; i++)
		if (!keep || keep(&from->ops[i]))
			if (lx_plan_add(plan, &from->ops[i]) < 0)
				return -ENOMEM;
	return 0;
}

static bool stage0(const struct lx_op *op)
{
	return op->stage == 0;
}

static bool stage1(const struct lx_op *op)
{
	return op->stage == 1;
}

/*
 * When one of the 10 stage plans holds every op (a first pass over a
 * 10,000-route document: all route creates, of one stage), it is the
 * plan: its array moves into the empty plan instead of being copied op by
 * op (2 MB at 10,000 routes). rput keeps its order only if its ops are
 * all of one stage.
 */
static void move_sole(struct lx_plan *plan, struct lx_plan *const from[10])
{
	struct lx_plan *only = NULL;

	for (size_t i = 0; i < 10; i++) {
		if (!from[i]->n)
			continue;
		if (only)
			return;
		only = from[i];
	}
	if (!only)
		return;
	for (size_t i = 1; i < only->n; i++)
		if (only->ops[i].stage != only->ops[0].stage)
			return;
	free(plan->ops);
	*plan = *only;
	*only = (struct lx_plan){0};
}

int lx_rtnl_diff(const struct lx_desired *d, const struct lx_rtnl_state *obs,
		 const struct lx_owned *owned, uint8_t protocol,
		 struct lx_plan *plan, struct lx_error *err)
{
	/* Payloads own nothing but a failed op's error and a route's
	 * nexthops, which move with the op from the stage plan to the
	 * result: shallow copies are safe. */
	struct lx_plan rdel = {0}, rput = {0}, adel = {0}, aput = {0},
		       ldel = {0}, lput = {0}, udel = {0}, uput = {0},
		       ndel = {0}, nput = {0};
	static const struct lx_owned none;
	int ret;

	if (!owned)
		owned = &none;
	ret = lx_rtnl_diff_routes(d, obs, protocol, &rdel, &rput);
	if (ret == 0)
		ret = lx_rtnl_diff_rules(d, obs, protocol, &udel, &uput);
	if (ret == 0)
		ret = lx_rtnl_diff_neighs(d, obs, protocol, &ndel, &nput);
	if (ret == 0)
		ret = diff_addrs(d, obs, owned, &adel, &aput);
	if (ret == 0)
		ret = diff_links(d, obs, owned, &ldel, &lput);
	/*
	 * SPEC's order: deletes rules -> routes -> neighbours -> addresses
	 * -> links, then links -> addresses -> neighbours -> routes -> rules;
	 * routes whose gateway needs a route after the routes that can
	 * make it reachable, whatever order the document lists them in.
	 */
	if (ret == 0 && !plan->n)
		move_sole(plan, (struct lx_plan *[]){&udel, &rdel, &ndel, &adel,
						     &ldel, &lput, &aput, &nput,
						     &rput, &uput});
	if (ret == 0 &&
	    lx_plan_reserve(plan, rdel.n + rput.n + adel.n + aput.n + ldel.n +
				      lput.n + udel.n + uput.n + ndel.n +
				      nput.n) < 0)
		ret = -ENOMEM;
	if (ret == 0)
		ret = append_ops(plan, &udel, NULL);
	if (ret == 0)
		ret = append_ops(plan, &rdel, NULL);
	if (ret == 0)
		ret = append_ops(plan, &ndel, NULL);
	if (ret == 0)
		ret = append_ops(plan, &adel, NULL);
	if (ret == 0)
		ret = append_ops(plan, &ldel, NULL);
	if (ret == 0)
		ret = append_ops(plan, &lput, NULL);
	if (ret == 0)
		ret = append_ops(plan, &aput, NULL);
	if (ret == 0)
		ret = append_ops(plan, &nput, NULL);
	if (ret == 0)
		ret = append_ops(plan, &rput, stage0);
	if (ret == 0)
		ret = append_ops(plan, &rput, stage1);
	if (ret == 0)
		ret = append_ops(plan, &uput, NULL);
	{
		struct lx_plan *all[] = {&rdel, &rput, &adel, &aput, &ldel,
					 &lput, &udel, &uput, &ndel, &nput};

		/* The failed ops' errors moved into plan (out of memory
		 * part way, the rest is lost: a leak only then). */
		for (size_t i = 0; i < LX_ARRAY_SIZE(all); i++)
			free(all[i]->ops);
	}
	if (ret < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -ret, "rtnl: diff");
	return 0;
}

/* ------------------------------------------------------------ apply */

struct apply {
	struct lx_rtnl_ctx *ctx;
	struct lx_plan *plan;
	struct lx_owned *owned;
	/* what this pass created and deleted, folded into owned at the end */
	struct lx_owned_log log;
	uint8_t protocol;
	size_t first_fail; /* plan index, plan->n if none */
	int first_err;
	int failed; /* failures in the current chunk */
	/* name -> ifindex of the target namespace, rebuilt after link ops */
	struct lx_link *ifmap;
	size_t n_ifmap;
	bool ifmap_stale;
};

/* Deleting what is already gone is what we wanted. */
static bool gone(const struct lx_op *op, int e)
{
	return op->verb == LX_OP_DELETE &&
	       (e == -ENODEV || e == -ESRCH || e == -EADDRNOTAVAIL ||
		e == -ENOENT);
}

static void op_result(struct apply *ap, size_t idx, int e, const char *ext)
{
	struct lx_op *op = &ap->plan->ops[idx];
	char msg[LX_NL_EXTACK_MAX + 256];

	if (e == 0 || gone(op, e)) {
		op->state = LX_OPS_APPLIED;
		/* An address we had to change (noprefixroute) is ours. */
		if (op->obj == LX_OBJ_ADDRESS && ap->owned)
			e = lx_owned_log_add(&ap->log, LX_OBJ_ADDRESS,
					     op->verb == LX_OP_DELETE,
					     &op->u.addr);
		if (e == 0 || gone(op, e))
			return;
		ext = "recording ownership";
	}
	lx_op_fail(op, lx_nl_strerror(e, ext, msg, sizeof(msg)));
	ap->failed++;
	if (idx < ap->first_fail) {
		ap->first_fail = idx;
		ap->first_err = e;
	}
}

static void ack_cb(void *data, size_t tag, int error, const char *ext)
{
	op_result(data, tag, error, ext);
}

static int ifmap_cmp(const void *a, const void *b)
{
	return lx_link_cmp(a, b);
}

static int ifmap_refresh(struct apply *ap)
{
	struct lx_error e;
	int ret;

	if (!ap->ifmap_stale)
		return 0;
	free(ap->ifmap);
	ap->ifmap = NULL;
	ap->n_ifmap = 0;
	ret = lx_link_dump(ap->ctx->nl, &ap->ifmap, &ap->n_ifmap, &e);
	if (ret < 0)
		return ret;
	qsort(ap->ifmap, ap->n_ifmap, sizeof(*ap->ifmap), ifmap_cmp);
	ap->ifmap_stale = false;
	return 0;
}

static int ifindex_of(struct apply *ap, const char *name)
{
	struct lx_link key;
	const struct lx_link *l;

	/* No map (none loaded, or no links): bsearch may not be given NULL. */
	if (!ap->n_ifmap)
		return -ENODEV;
	snprintf(key.name, sizeof(key.name), "%s", name);
	l = bsearch(&key, ap->ifmap, ap->n_ifmap, sizeof(*ap->ifmap),
		    ifmap_cmp);
	return l ? l->ifindex : -ENODEV;
}

int lx_rtnl_nsid_from_msg(const struct nlmsghdr *nlh, int32_t *id)
{
	const struct nlattr *a;
	int ret = -ENOENT;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return -EBADMSG;
	mnl_attr_for_each(a, nlh, sizeof(struct rtgenmsg))
	{
		if (mnl_attr_get_type(a) == NETNSA_NSID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			*id = (int32_t)mnl_attr_get_u32(a);
			ret = 0;
		}
	}
	return ret;
}

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)lx_rtnl_nsid_from_msg(nlh, data);
	return MNL_CB_OK;
}

static struct nlmsghdr *nsid_msg(void *buf, uint16_t type, int fd, bool alloc)
{
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;

	/* padding included: see lx_nl_put_header() */
	memset(buf, 0, LX_NL_MSG_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	if (alloc) /* -1: let the kernel pick a free id */
		mnl_attr_put_u32(nlh, NETNSA_NSID, (uint32_t)-1);
	return nlh;
}

int lx_rtnl_netns_id_get(struct lx_nl *nl, int fd, int32_t *id)
{
	char buf[LX_NL_MSG_MAX];

	*id = -1;
	return lx_nl_talk(nl, nsid_msg(buf, RTM_GETNSID, fd, false), nsid_cb,
			  id, NULL, 0);
}

/* Id of the namespace behind fd as seen from nl's namespace; assigns one
 * when it has none, as the kernel does for a veth peer. */
static int netns_id(struct lx_nl *nl, int fd)
{
	char buf[LX_NL_MSG_MAX];

	for (int attempt = 0; attempt < 2; attempt++) {
		int32_t id = -1;
		int ret;

		ret = lx_nl_talk(nl, nsid_msg(buf, RTM_GETNSID, fd, false),
				 nsid_cb, &id, NULL, 0);
		if (ret < 0)
			return ret;
		if (id >= 0)
			return id;
		ret = lx_nl_talk(nl, nsid_msg(buf, RTM_NEWNSID, fd, true), NULL,
				 NULL, NULL, 0);
		if (ret < 0 && ret != -EEXIST)
			return ret;
	}
	return -ENOENT;
}

/*
 * One request on nl; on failure writes "<strerror> (ENAME)[: ext]: what"
 * into msg.
 */
static int step(struct lx_nl *nl, struct nlmsghdr *nlh, char *msg, size_t len,
		const char *what)
{
	char ext[LX_NL_EXTACK_MAX], s[LX_NL_EXTACK_MAX + 128];
	int ret = lx_nl_talk(nl, nlh, NULL, NULL, ext, sizeof(ext));

	if (ret < 0)
		snprintf(msg, len, "%s: %s",
			 lx_nl_strerror(ret, ext, s, sizeof(s)), what);
	return ret;
}

static int fail_msg(int e, char *msg, size_t len, const char *what)
{
	char s[128];

	snprintf(msg, len, "%s: %s", lx_strerror(e, s, sizeof(s)), what);
	return e;
}

/*
 * The host end of a veth (SPEC.md "Policy"): up unless the document says
 * down, at peer_mtu, else the container end's mtu, else (enslaved) the
 * master's, so that enslaving it never lowers the master's MTU; an mtu
 * below the master's is refused. Fills *p (a copy of the link with the
 * peer's mtu and up decided) and *master (its ifindex, 0 = none).
 */
static int peer_plan(struct lx_nl *pn, const struct lx_link *l,
		     struct lx_link *p, int *master, char *msg, size_t len)
{
	struct lx_link m;
	char what[96];
	int ret;

	*p = *l;
	*master = 0;
	if (p->peer_up == LX_UNSET)
		p->peer_up = 1;
	if (!p->peer_mtu)
		p->peer_mtu = p->mtu;
	if (!l->master[0])
		return 0;
	ret = lx_link_get(pn, l->master, &m);
	snprintf(what, sizeof(what), "master %s", l->master);
	if (ret < 0)
		return fail_msg(ret, msg, len, what);
	if (!p->peer_mtu)
		p->peer_mtu = m.mtu;
	if (p->peer_mtu < m.mtu) {
		snprintf(msg, len,
			 "refused: peer mtu %u is below the mtu %u of its "
			 "master %s (a host peer may not lower its master's "
			 "MTU)",
			 p->peer_mtu, m.mtu, l->master);
		return -EPERM;
	}
	*master = m.ifindex;
	return 0;
}

static int create_link(struct apply *ap, const struct lx_link *l, char *msg,
		       size_t len)
{
	struct lx_rtnl_ctx *ctx = ap->ctx;
	struct lx_link_where w = {.peer_netns_fd = -1, .link_netnsid = -1};
	/* The host side: through the host socket when we have one. */
	struct lx_nl *host =
	    ctx->host && ctx->host_netns_fd >= 0 ? ctx->host : NULL;
	struct lx_nl *pn = ctx->host_netns_fd >= 0 ? ctx->host : ctx->nl;
	char buf[LX_NL_MSG_MAX], what[64];
	struct lx_link v;
	int master = 0;
	uint32_t mode;
	int ret;

	switch (l->kind) {
	case LX_LINK_VETH:
		if (!pn)
			return fail_msg(-EINVAL, msg, len,
					"peer: no host netlink socket");
		/* Decided before the pair exists: a refusal creates nothing. */
		ret = peer_plan(pn, l, &v, &master, msg, len);
		if (ret < 0)
			return ret;
		l = &v;
		w.peer_netns_fd = ctx->host_netns_fd;
		break;
	case LX_LINK_MACVLAN:
	case LX_LINK_IPVLAN:
		if (lx_link_mode_value(l->kind, l->mode, &mode) < 0)
			return fail_msg(-EINVAL, msg, len, "unknown mode");
		/*
		 * Created from the target socket with the lower device named
		 * by (host netns id, host ifindex): the kernel looks the
		 * parent up in the host namespace and creates the new link
		 * in the target.
		 */
		ret = lx_link_ifindex(host ? host : ctx->nl, l->parent);
		snprintf(what, sizeof(what), "parent %s", l->parent);
		if (ret < 0)
			return fail_msg(ret, msg, len, what);
		w.parent_ifindex = (uint32_t)ret;
		if (host) {
			ret = netns_id(ctx->nl, ctx->host_netns_fd);
			if (ret < 0)
				return fail_msg(ret, msg, len, "host netns id");
			w.link_netnsid = ret;
		}
		break;
	case LX_LINK_DUMMY:
	case LX_LINK_BRIDGE:
		break;
	default:
		return fail_msg(-EOPNOTSUPP, msg, len, "link kind");
	}
	ret = step(ctx->nl, lx_link_msg_create(buf, l, &w), msg, len, "create");
	if (ret < 0)
		return ret;
	ap->ifmap_stale = true;
	if (ap->owned && lx_owned_log_add(&ap->log, LX_OBJ_LINK, false, l) < 0)
		return fail_msg(-ENOMEM, msg, len, "recording ownership");
	/* The peer's mtu went with the create; master and up follow (a
	 * veth end cannot be created up, see below). */
	if (l->kind == LX_LINK_VETH && l->peer[0] &&
	    (master || l->peer_up != LX_UNSET)) {
		snprintf(what, sizeof(what), "set up peer %s", l->peer);
		ret = step(pn,
			   lx_link_msg_set(buf, l->peer, l->peer_up, 0,
					   (uint32_t)master),
			   msg, len, what);
		if (ret < 0)
			return ret;
	}
	/* Kernel quirk: IFF_UP in the create message of a veth fails with
	 * ENOTCONN; create first, then set up, for every kind alike. */
	if (l->up != LX_UNSET)
		return step(ctx->nl, lx_link_msg_set(buf, l->name, l->up, 0, 0),
			    msg, len, "set up");
	return 0;
}

static void apply_link(struct apply *ap, size_t idx)
{
	struct lx_op *op = &ap->plan->ops[idx];
	const struct lx_link *l = &op->u.link;
	char buf[LX_NL_MSG_MAX], msg[LX_NL_EXTACK_MAX + 256];
	int ret = 0;

	msg[0] = '\0';
	switch (op->verb) {
	case LX_OP_CREATE:
		ret = create_link(ap, l, msg, sizeof(msg));
		break;
	case LX_OP_UPDATE: {
		struct lx_link_change c = {
		    .up = l->up,
		    .mtu = l->mtu,
		    .mac = l->has_mac ? l->mac : NULL,
		    .has_txqlen = l->has_txqlen,
		    .txqlen = l->txqlen,
		};

		ret = step(ap->ctx->nl, lx_link_msg_change(buf, l->name, &c),
			   msg, sizeof(msg), "set");
		break;
	}
	case LX_OP_DELETE:
		ret = step(ap->ctx->nl, lx_link_msg_delete(buf, l->name), msg,
			   sizeof(msg), "delete");
		if (ret == 0 || gone(op, ret)) {
			ret = 0;
			if (ap->owned && lx_owned_log_add(&ap->log, LX_OBJ_LINK,
							  true, l) < 0)
				ret = fail_msg(-ENOMEM, msg, sizeof(msg),
					       "recording ownership");
		}
		break;
	case LX_OP_REPLACE: /* never planned for a link */
		ret = fail_msg(-EOPNOTSUPP, msg, sizeof(msg), "replace");
		break;
	}
	ap->ifmap_stale = true;
	if (ret == 0) {
		op->state = LX_OPS_APPLIED;
		return;
	}
	lx_op_fail(op, msg);
	ap->failed++;
	if (idx < ap->first_fail) {
		ap->first_fail = idx;
		ap->first_err = ret;
	}
}

/* Build the message of an address/route op; <0: the op cannot be sent. */
static int build_op(struct apply *ap, const struct lx_op *op, void *slot,
		    const char **what)
{
	int ifindex = 0, nh_oif[LX_NEXTHOPS_MAX];

	if (op->obj == LX_OBJ_ADDRESS) {
		ifindex = ifindex_of(ap, op->u.addr.dev);
		*what = "device";
		if (ifindex < 0)
			return ifindex;
		if (op->verb == LX_OP_DELETE)
			lx_addr_msg_delete(slot, &op->u.addr, ifindex);
		else
			lx_addr_msg_new(slot,
					op->verb == LX_OP_CREATE ? LX_NL_CREATE
								 : LX_NL_UPDATE,
					&op->u.addr, ifindex);
		return 0;
	}
	if (op->obj == LX_OBJ_RULE) {
		lx_rule_msg(slot,
			    op->verb == LX_OP_DELETE ? LX_NL_DELETE
						     : LX_NL_CREATE,
			    &op->u.rule,
			    op->verb == LX_OP_DELETE ? op->u.rule.protocol
						     : ap->protocol);
		return 0;
	}
	if (op->obj == LX_OBJ_NEIGH) {
		ifindex = ifindex_of(ap, op->u.neigh.dev);
		*what = "device";
		if (ifindex < 0)
			return ifindex;
		lx_neigh_msg(slot,
			     op->verb == LX_OP_DELETE	? LX_NL_DELETE
			     : op->verb == LX_OP_CREATE ? LX_NL_CREATE
							: LX_NL_UPDATE,
			     &op->u.neigh, ifindex, ap->protocol);
		return 0;
	}
	if (op->verb == LX_OP_DELETE) {
		lx_route_msg_delete(slot, &op->u.route, ap->protocol);
		return 0;
	}
	if (op->u.route.dev[0]) {
		ifindex = ifindex_of(ap, op->u.route.dev);
		*what = "device";
		if (ifindex < 0)
			return ifindex;
	}
	for (size_t k = 0; k < op->u.route.n_nexthops; k++) {
		nh_oif[k] = 0;
		if (!op->u.route.nh[k].dev[0])
			continue;
		nh_oif[k] = ifindex_of(ap, op->u.route.nh[k].dev);
		*what = "nexthop device";
		if (nh_oif[k] < 0)
			return nh_oif[k];
	}
	lx_route_msg_new(slot,
			 op->verb == LX_OP_CREATE ? LX_NL_CREATE : LX_NL_UPDATE,
			 &op->u.route, ap->protocol, ifindex, nh_oif);
	return 0;
}

/* Does build_op look a device up for op? */
static bool names_a_device(const struct lx_op *op)
{
	const struct lx_route *r = &op->u.route;

	switch (op->obj) {
	case LX_OBJ_ADDRESS:
	case LX_OBJ_NEIGH:
		return true;
	case LX_OBJ_ROUTE:
		if (op->verb == LX_OP_DELETE)
			return false;
		if (r->dev[0])
			return true;
		for (size_t k = 0; k < r->n_nexthops; k++)
			if (r->nh[k].dev[0])
				return true;
		return false;
	default:
		return false;
	}
}

/* Ops [from, to) of one address/route stage, batched. Returns false when
 * the pass must stop. */
static bool apply_batched(struct apply *ap, size_t from, size_t to)
{
	struct lx_nl_batch b;
	bool need_ifmap = false;
	int ret = 0;

	/* The name -> ifindex map costs a link dump: only when an op of the
	 * stage names a device (10,000 routes via a gateway name none). */
	for (size_t i = from; i < to && !need_ifmap; i++)
		need_ifmap = ap->plan->ops[i].state == LX_OPS_PLANNED &&
			     names_a_device(&ap->plan->ops[i]);
	if (need_ifmap)
		ret = ifmap_refresh(ap);
	if (ret == 0)
		ret = lx_nl_batch_init(&b, ap->ctx->nl, ack_cb, ap);
	if (ret < 0) {
		op_result(ap, from, ret, "");
		return false;
	}
	for (size_t i = from; i < to; i++) {
		struct lx_op *op = &ap->plan->ops[i];
		const char *what = "";

		if (op->state != LX_OPS_PLANNED)
			continue; /* held back by the caller (source.h) */
		ret = build_op(ap, op, lx_nl_batch_slot(&b), &what);
		if (ret < 0) {
			/* Gone device on delete: nothing left to delete. */
			if (gone(op, ret)) {
				op->state = LX_OPS_APPLIED;
				if (op->obj == LX_OBJ_ADDRESS && ap->owned &&
				    lx_owned_log_add(&ap->log, LX_OBJ_ADDRESS,
						     true, &op->u.addr) < 0) {
					op_result(ap, i, -ENOMEM,
						  "recording ownership");
					lx_nl_batch_fini(&b);
					return false;
				}
				continue;
			}
			/* Earlier ops first, so the failure order is kept. */
			if (lx_nl_batch_flush(&b) != 0 || ap->failed) {
				lx_nl_batch_fini(&b);
				return false;
			}
			op_result(ap, i, ret, what);
			lx_nl_batch_fini(&b);
			return false;
		}
		ret = lx_nl_batch_add(&b, i);
		if (ret != 0 || ap->failed) {
			lx_nl_batch_fini(&b);
			return false;
		}
	}
	ret = lx_nl_batch_flush(&b);
	lx_nl_batch_fini(&b);
	return ret == 0 && ap->failed == 0;
}

/*
 * Stages are sent as separate chunks: a failure in one stops the pass
 * before the next is sent. Routes through a gateway are a stage of their
 * own after on-link routes (they may need them to be reachable).
 */
static bool same_stage(const struct lx_op *a, const struct lx_op *b)
{
	if (a->obj != b->obj ||
	    (a->verb == LX_OP_DELETE) != (b->verb == LX_OP_DELETE))
		return false;
	if (a->obj == LX_OBJ_ROUTE && a->verb != LX_OP_DELETE)
		return a->stage == b->stage;
	return true;
}

int lx_rtnl_apply(struct lx_rtnl_ctx *ctx, struct lx_plan *plan,
		  struct lx_owned *owned, uint8_t protocol,
		  struct lx_error *err)
{
	struct apply ap = {
	    .ctx = ctx,
	    .plan = plan,
	    .owned = owned,
	    .protocol = protocol ? protocol : LX_DEFAULT_PROTOCOL,
	    .first_fail = plan->n,
	    .ifmap_stale = true,
	};
	bool go = true;
	size_t i = 0;

	while (go && i < plan->n) {
		size_t j = i + 1;

		if (plan->ops[i].state == LX_OPS_FAILED) {
			/* Failed by the diff (another owner's object): the
			 * pass stops here like after a kernel refusal. */
			if (i < ap.first_fail) {
				ap.first_fail = i;
				ap.first_err = -EEXIST;
			}
			break;
		}
		if (plan->ops[i].state != LX_OPS_PLANNED) {
			i++;
			continue;
		}
		while (j < plan->n && same_stage(&plan->ops[i], &plan->ops[j]))
			j++;
		if (plan->ops[i].obj == LX_OBJ_LINK) {
			for (size_t k = i; go && k < j; k++) {
				/* Held back by the caller (source.h). */
				if (plan->ops[k].state != LX_OPS_PLANNED)
					continue;
				apply_link(&ap, k);
				go = ap.failed == 0;
			}
		} else if (plan->ops[i].obj == LX_OBJ_ADDRESS ||
			   plan->ops[i].obj == LX_OBJ_ROUTE ||
			   plan->ops[i].obj == LX_OBJ_RULE ||
			   plan->ops[i].obj == LX_OBJ_NEIGH) {
			go = apply_batched(&ap, i, j);
		}
		i = j;
	}
	free(ap.ifmap);
	if (ap.owned && lx_owned_log_fold(&ap.log, ap.owned) < 0) {
		lx_owned_log_free(&ap.log);
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
				    "rtnl: recording ownership");
	}
	lx_owned_log_free(&ap.log);
	for (size_t k = 0; k < plan->n; k++)
		if (plan->ops[k].state == LX_OPS_PLANNED &&
		    lx_obj_is_rtnl(plan->ops[k].obj))
			plan->ops[k].state = LX_OPS_PENDING;
	if (ap.first_fail < plan->n) {
		const struct lx_op *op = &plan->ops[ap.first_fail];
		char d[512];
		int e = ap.first_err < 0 ? -ap.first_err : ap.first_err;

		return lx_error_set_code(
		    err, LX_ERR_SYSTEM, e, "rtnl: %s %s %s: %s",
		    lx_op_verb_name(op->verb), lx_obj_name(op->obj),
		    lx_op_describe(op, d, sizeof(d)),
		    op->error ? op->error : "failed");
	}
	return 0;
}

/* ------------------------------------------------------------ passes */

/* See lx_rtnl_intent_fn. Best effort: without memory for the copy the
 * pass runs as it would without the hook. */
static void announce_intent(struct lx_rtnl_ctx *ctx, const struct lx_plan *plan,
			    const struct lx_owned *owned)
{
	struct lx_owned ahead = {0};
	struct lx_owned_log log = {0};
	bool creates = false;
	int ret = 0;

	for (size_t i = 0; i < plan->n && !creates; i++)
		creates = plan->ops[i].verb == LX_OP_CREATE &&
			  (plan->ops[i].obj == LX_OBJ_LINK ||
			   plan->ops[i].obj == LX_OBJ_ADDRESS);
	if (!creates || lx_owned_copy(&ahead, owned) < 0)
		return;
	for (size_t i = 0; i < plan->n && ret == 0; i++) {
		const struct lx_op *op = &plan->ops[i];

		if (op->verb != LX_OP_CREATE)
			continue;
		if (op->obj == LX_OBJ_LINK || op->obj == LX_OBJ_ADDRESS)
			ret = lx_owned_log_add(&log, op->obj, false, &op->u);
	}
	if (ret == 0)
		ret = lx_owned_log_fold(&log, &ahead);
	if (ret == 0)
		ctx->intent(ctx->intent_data, &ahead);
	lx_owned_log_free(&log);
	lx_owned_free(&ahead);
}

int lx_rtnl_name_peers(const struct lx_rtnl_ctx *ctx,
		       const struct lx_desired *d, struct lx_desired *copy,
		       const struct lx_desired **out)
{
	bool missing = false;

	*out = d;
	for (size_t i = 0; i < d->n_links && !missing; i++)
		missing =
		    d->links[i].kind == LX_LINK_VETH && !d->links[i].peer[0];
	if (!missing)
		return 0;
	*copy = *d;
	copy->links = malloc(d->n_links * sizeof(*copy->links));
	if (!copy->links)
		return -ENOMEM;
	memcpy(copy->links, d->links, d->n_links * sizeof(*copy->links));
	for (size_t i = 0; i < d->n_links; i++) {
		struct lx_link *l = &copy->links[i];

		if (l->kind == LX_LINK_VETH && !l->peer[0])
			lx_link_peer_name(ctx->id ? ctx->id : "", l->name,
					  ctx->peer_prefix, l->peer);
	}
	*out = copy;
	return 0;
}

int lx_rtnl_check_masters(struct lx_nl *host, const struct lx_desired *d,
			  struct lx_error *err)
{
	int ret = 0;

	for (size_t i = 0; i < d->n_links; i++) {
		const struct lx_link *l = &d->links[i];
		uint32_t mtu = l->peer_mtu ? l->peer_mtu : l->mtu;
		struct lx_link m;

		/* Without an mtu the peer takes the master's (peer_plan). */
		if (l->kind != LX_LINK_VETH || !l->master[0] || !mtu || !host ||
		    lx_link_get(host, l->master, &m) < 0 || mtu >= m.mtu)
			continue;
		ret = lx_error_add(err, LX_ERR_POLICY, EPERM,
				   "link \"%s\" (io.linx.links): refused: peer "
				   "mtu %u is below the mtu %u of its master "
				   "\"%s\" (a host peer may not lower its "
				   "master's MTU)",
				   l->name, mtu, m.mtu, l->master);
	}
	return ret < 0 ? -EPERM : 0;
}

int lx_rtnl_release(struct lx_rtnl_ctx *ctx, struct lx_owned *owned,
		    struct lx_subreport *rep, struct lx_error *err)
{
	size_t start = rep->plan.n, n_gone = 0;
	_cleanup_free_ char(*gone_names)[IFNAMSIZ] = NULL;
	struct lx_owned_log log = {0};
	int ret = 0;

	gone_names = calloc(owned->n_links + 1, sizeof(*gone_names));
	if (!gone_names)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
				    "rtnl: release");
	for (size_t i = 0; i < owned->n_links; i++)
		if (push(&rep->plan, LX_OP_DELETE, LX_OBJ_LINK,
			 &owned->links[i]) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "rtnl: release");
	for (size_t i = start; i < rep->plan.n; i++) {
		struct lx_op *op = &rep->plan.ops[i];
		char buf[LX_NL_MSG_MAX], msg[LX_NL_EXTACK_MAX + 256];
		int e = step(ctx->nl, lx_link_msg_delete(buf, op->u.link.name),
			     msg, sizeof(msg), "delete");

		if (e == 0 || gone(op, e)) {
			op->state = LX_OPS_APPLIED;
			memcpy(gone_names[n_gone++], op->u.link.name, IFNAMSIZ);
			if (lx_owned_log_add(&log, LX_OBJ_LINK, true,
					     &op->u.link) < 0)
				ret = ret ? ret : -ENOMEM;
			continue;
		}
		/* Best effort at teardown: try every link, report the first. */
		lx_op_fail(op, msg);
		if (ret == 0) {
			char d[256];

			ret = e;
			(void)lx_error_set_code(
			    err, LX_ERR_SYSTEM, e, "rtnl: delete link %s: %s",
			    lx_op_describe(op, d, sizeof(d)), msg);
		}
	}
	/* Their addresses went with them. */
	if (lx_owned_forget_addrs_on(owned, (const char(*)[IFNAMSIZ])gone_names,
				     n_gone) < 0 ||
	    lx_owned_log_fold(&log, owned) < 0) {
		if (ret == 0)
			lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
				     "rtnl: release: recording ownership");
		ret = ret ? ret : -ENOMEM;
	}
	lx_owned_log_free(&log);
	rep->converged = ret == 0;
	return ret;
}

int lx_rtnl_subscribe(struct lx_nl **mon, int rcvbuf, struct lx_error *err)
{
	struct lx_nl *nl = NULL;
	int ret;

	*mon = NULL;
	ret = lx_nl_open(&nl,
			 RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
			     RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE |
			     RTMGRP_NEIGH | RTMGRP_IPV4_RULE |
			     /* no RTMGRP_ name: group n is bit n-1 */
			     (1u << (RTNLGRP_IPV6_RULE - 1)),
			 err);
	if (ret < 0)
		return ret;
	ret = lx_nl_set_nonblock(nl);
	if (ret < 0) {
		lx_nl_close(nl);
		return lx_error_set(err, LX_ERR_SYSTEM, -ret,
				    "rtnl: monitor non-blocking");
	}
	if (rcvbuf > 0) {
		ret = lx_nl_set_rcvbuf(nl, rcvbuf);
		if (ret < 0) {
			lx_nl_close(nl);
			return lx_error_set(err, LX_ERR_SYSTEM, -ret,
					    "rtnl: monitor receive buffer %d",
					    rcvbuf);
		}
	}
	*mon = nl;
	return 0;
}

int lx_rtnl_monitor_drain(struct lx_nl *mon)
{
	return lx_nl_drain(mon);
}

struct deleted_scan {
	const uint32_t *own;
	size_t n_own;
	uint32_t *deleted;
};

static void scan_deleted(const struct nlmsghdr *m, void *data)
{
	struct deleted_scan *sc = data;
	enum lx_obj kind;

	switch (m->nlmsg_type) {
	case RTM_DELLINK:
		kind = LX_OBJ_LINK;
		break;
	case RTM_DELADDR:
		kind = LX_OBJ_ADDRESS;
		break;
	case RTM_DELROUTE:
		kind = LX_OBJ_ROUTE;
		break;
	case RTM_DELRULE:
		kind = LX_OBJ_RULE;
		break;
	case RTM_DELNEIGH:
		kind = LX_OBJ_NEIGH;
		break;
	default:
		return;
	}
	/* The kernel stamps a notification with the port id of the socket
	 * whose request caused it (0 for its own doings, e.g. the routes of
	 * a link that went down: those are deletions too). */
	for (size_t i = 0; i < sc->n_own; i++)
		if (sc->own[i] && m->nlmsg_pid == sc->own[i])
			return;
	*sc->deleted |= LX_OBJ_BIT(kind);
}

int lx_rtnl_monitor_drain_deleted(struct lx_nl *mon, const uint32_t *own,
				  size_t n_own, uint32_t *deleted)
{
	struct deleted_scan sc = {
	    .own = own, .n_own = n_own, .deleted = deleted};

	return lx_nl_drain_each(mon, scan_deleted, &sc);
}

/* ------------------------------------------------ the source contract */

/* The instance: the environment (read at each call: the owner may set
 * the write-ahead hook after open) and the monitor socket. */
struct rtnl_src {
	const struct lx_source_env *env;
	struct lx_nl *mon;
};

static struct lx_rtnl_ctx rtnl_ctx(const struct rtnl_src *s)
{
	return (struct lx_rtnl_ctx){
	    .nl = s->env->nl,
	    .host = s->env->host_nl,
	    .host_netns_fd = s->env->host_netns_fd,
	    .intent = s->env->intent,
	    .intent_data = s->env->intent_data,
	    .id = s->env->id,
	    .peer_prefix = s->env->policy && s->env->policy->n_peer_prefix
			       ? s->env->policy->peer_prefix[0]
			       : NULL,
	};
}

/*
 * What observe hands to diff and apply: the kernel's state and the desired
 * document with every veth's missing peer name filled in (named: d itself
 * when none is missing, else a copy whose links array alone is ours).
 */
struct rtnl_observed {
	struct lx_rtnl_state st;
	struct lx_desired copy;
	const struct lx_desired *named;
};

static uint8_t rtnl_protocol(const struct lx_desired *d)
{
	return d->opts.protocol ? d->opts.protocol : LX_DEFAULT_PROTOCOL;
}

static int rtnl_open(void **inst, const struct lx_source_env *env,
		     struct lx_error *err)
{
	struct rtnl_src *s = calloc(1, sizeof(*s));

	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "rtnl");
	s->env = env;
	*inst = s;
	return 0;
}

static void rtnl_close(void *inst)
{
	struct rtnl_src *s = inst;

	if (s && s->mon)
		lx_nl_close(s->mon);
	free(s);
}

/* A container sharing the host's network namespace must not change the
 * host's links, addresses or routes through its annotations. */
static int rtnl_check(void *inst, const struct lx_source_env *env,
		      const struct lx_desired *d, const struct lx_owned *owned,
		      struct lx_error *err)
{
	static const char *const what[] = {
	    "network.links (io.linx.links)",
	    "network.addresses (io.linx.addresses)",
	    "network.routes (io.linx.routes)", "network.rules (io.linx.rules)",
	    "network.neighbours (io.linx.neighbours)"};
	const size_t n[] = {d->n_links, d->n_addrs, d->n_routes, d->n_rules,
			    d->n_neighs};
	int r = 0;

	(void)inst;
	(void)owned;
	/* A host peer may not lower its master's MTU: the live master's. */
	if (!lx_error_is_set(err) &&
	    lx_rtnl_check_masters(env->host_nl, d, err) < 0)
		r = -EPERM;
	if (!env->host_netns || env->policy->allow_host_netns)
		return r;
	for (size_t i = 0; i < LX_ARRAY_SIZE(what); i++)
		if (n[i])
			r = lx_error_add(err, LX_ERR_POLICY, 0,
					 "%s: refused: the target is the "
					 "sidecar's own network namespace "
					 "(--allow-host-netns not given)",
					 what[i]);
	return r;
}

static void rtnl_observed_free(void *observed)
{
	struct rtnl_observed *o = observed;

	if (!o)
		return;
	lx_rtnl_state_free(&o->st);
	if (o->named == &o->copy)
		free(o->copy.links); /* the rest is the caller's document */
	free(o);
}

static int rtnl_observe(void *inst, const struct lx_desired *d,
			const struct lx_owned *owned, void **observed,
			struct lx_error *err)
{
	struct rtnl_src *s = inst;
	struct lx_rtnl_ctx ctx = rtnl_ctx(s);
	struct rtnl_observed *o = calloc(1, sizeof(*o));
	int r;

	(void)owned;
	if (!o)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
				    "rtnl: observe");
	/* named borrows d: observed lives no longer than the pass. */
	if (lx_rtnl_name_peers(&ctx, d, &o->copy, &o->named) < 0) {
		free(o);
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
				    "rtnl: peer names");
	}
	/* Routes: ours (the document's, once converged) and the kernel's
	 * own few (local, broadcast and connected ones of each address). */
	r = lx_rtnl_observe_sized(s->env->nl, d->n_routes ? d->n_routes + 64 : 0,
				  &o->st, err);
	if (r < 0) {
		rtnl_observed_free(o);
		return lx_error_wrap(err, "rtnl: observe");
	}
	*observed = o;
	return 0;
}

static int rtnl_diff_op(const void *inst, const struct lx_desired *d,
			const void *observed, const struct lx_owned *owned,
			struct lx_plan *plan, struct lx_error *err)
{
	const struct rtnl_observed *o = observed;

	(void)inst;
	(void)d;
	return lx_rtnl_diff(o->named, &o->st, owned, rtnl_protocol(d), plan,
			    err);
}

/* Fail-fast (see the header): the first failing op stops the pass. */
static int rtnl_apply_op(void *inst, const struct lx_desired *d,
			 const void *observed, struct lx_owned *owned,
			 struct lx_subreport *rep, struct lx_error *err)
{
	const struct rtnl_observed *o = observed;
	const struct lx_rtnl_state *obs = &o->st;
	struct lx_rtnl_ctx ctx = rtnl_ctx(inst);
	int r;

	/* After the diff, with the same result: an owned entry neither
	 * desired nor present plans nothing. */
	if (owned && lx_owned_prune(owned, o->named, obs->links, obs->n_links,
				    obs->addrs, obs->n_addrs) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
				    "rtnl: ownership");
	if (ctx.intent && owned)
		announce_intent(&ctx, &rep->plan, owned);
	r = lx_rtnl_apply(&ctx, &rep->plan, owned, rtnl_protocol(d), err);
	rep->converged = r == 0;
	return r;
}

static int rtnl_subscribe_op(void *inst, struct lx_error *err)
{
	struct rtnl_src *s = inst;
	int r = lx_rtnl_subscribe(&s->mon, s->env->monitor_rcvbuf, err);

	return r < 0 ? r : lx_nl_fd(s->mon);
}

static int rtnl_drain_op(void *inst, int fd, uint32_t *deleted)
{
	struct rtnl_src *s = inst;
	uint32_t own[2] = {
	    s->env->nl ? lx_nl_portid(s->env->nl) : 0,
	    s->env->host_nl ? lx_nl_portid(s->env->host_nl) : 0,
	};

	(void)fd;
	return lx_rtnl_monitor_drain_deleted(s->mon, own, 2, deleted);
}

static void rtnl_unsubscribe_op(void *inst, int fd)
{
	struct rtnl_src *s = inst;

	(void)fd;
	if (s->mon)
		lx_nl_close(s->mon);
	s->mon = NULL;
}

static int rtnl_release_op(void *inst, struct lx_owned *owned, bool remove,
			   bool revert, struct lx_subreport *rep,
			   struct lx_error *err)
{
	struct lx_rtnl_ctx ctx = rtnl_ctx(inst);

	(void)revert;
	if (!remove)
		return 0;
	return lx_rtnl_release(&ctx, owned, rep, err);
}

const struct lx_subsys lx_rtnl_subsys = {
    .name = "rtnl",
    .open = rtnl_open,
    .close = rtnl_close,
    .check = rtnl_check,
    .observe = rtnl_observe,
    .observed_free = rtnl_observed_free,
    .diff = rtnl_diff_op,
    .apply = rtnl_apply_op,
    .subscribe = rtnl_subscribe_op,
    .drain = rtnl_drain_op,
    .unsubscribe = rtnl_unsubscribe_op,
    .release = rtnl_release_op,
};

/* The same pass as the engine's, for callers holding a bare context. */
int lx_rtnl_reconcile(struct lx_rtnl_ctx *ctx, const struct lx_desired *d,
		      struct lx_owned *owned, struct lx_subreport *rep,
		      struct lx_error *err)
{
	struct lx_source_env env = {
	    .nl = ctx->nl,
	    .host_nl = ctx->host,
	    .host_netns_fd = ctx->host_netns_fd,
	    .intent = ctx->intent,
	    .intent_data = ctx->intent_data,
	    .id = ctx->id,
	};
	char *prefix = (char *)ctx->peer_prefix;
	struct lx_policy pol = {.peer_prefix = &prefix,
				.n_peer_prefix = prefix ? 1 : 0};
	struct rtnl_src inst = {.env = &env};
	struct lx_source src = {
	    .ops = &lx_rtnl_subsys, .env = &env, .inst = &inst, .opened = true};

	env.policy = &pol;

	return lx_source_pass(&src, d, owned, true, rep, err);
}
