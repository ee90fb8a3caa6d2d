/* SPDX-License-Identifier: MIT */
/* Helpers shared by the rtnl netns tests: namespaces, desired-state
 * builders and lookups in an observed state. */
#ifndef LX_TEST_RTNL_HELPERS_H
#define LX_TEST_RTNL_HELPERS_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "link.h"
#include "route.h"
#include "rtnl.h"

struct env {
	struct lx_nl *nl, *host;
	int hostfd;
	struct lx_rtnl_ctx ctx;
	struct lx_desired d;
	struct lx_owned owned;
	struct lx_subreport rep;
	struct lx_error err;
};

static inline void sh(const char *fmt, ...) LX_PRINTF(1, 2);
static inline void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "command failed: %s", cmd);
}

/* Run an ip(8) command in the host namespace. */
#define host_sh(e, fmt, ...)                                                   \
	sh("nsenter --net=/proc/%d/fd/%d " fmt, (int)getpid(), (e)->hostfd,    \
	   ##__VA_ARGS__)

/*
 * A fresh "host" namespace (socket + fd kept), host_setup() run inside it,
 * then a fresh "target" namespace the tests converge.
 */
static inline void env_init(struct env *e, void (*host_setup)(void))
{
	memset(e, 0, sizeof(*e));
	lx_options_init(&e->d.opts);
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare host");
	if (host_setup)
		host_setup();
	cr_assert_eq(lx_nl_open(&e->host, 0, &e->err), 0, "%s", e->err.msg);
	e->hostfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert(e->hostfd >= 0);
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare target");
	cr_assert_eq(lx_nl_open(&e->nl, 0, &e->err), 0, "%s", e->err.msg);
	e->ctx = (struct lx_rtnl_ctx){
	    .nl = e->nl, .host = e->host, .host_netns_fd = e->hostfd};
}

static inline void env_fini(struct env *e)
{
	lx_plan_free(&e->rep.plan);
	free(e->rep.error);
	lx_desired_free(&e->d);
	lx_owned_free(&e->owned);
	lx_nl_close(e->nl);
	lx_nl_close(e->host);
	close(e->hostfd);
}

static inline struct lx_link *add_link(struct lx_desired *d, const char *name,
				       enum lx_link_kind kind)
{
	struct lx_link *l;

	cr_assert_eq(lx_grow((void **)&d->links, d->n_links, sizeof(*l)), 0);
	l = &d->links[d->n_links++];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->kind = kind;
	l->up = 1;
	l->peer_up = LX_UNSET;
	return l;
}

static inline struct lx_addr *add_addr(struct lx_desired *d, const char *dev,
				       const char *ip, int len)
{
	struct lx_addr *a;

	cr_assert_eq(lx_grow((void **)&d->addrs, d->n_addrs, sizeof(*a)), 0);
	a = &d->addrs[d->n_addrs++];
	memset(a, 0, sizeof(*a));
	snprintf(a->dev, sizeof(a->dev), "%s", dev);
	a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	a->prefixlen = (uint8_t)len;
	a->scope = LX_UNSET;
	a->nodad = a->family == AF_INET6;
	cr_assert_eq(inet_pton(a->family, ip, &a->addr), 1);
	return a;
}

/* dst "default" or an address; gw and dev may be NULL. */
static inline struct lx_route *add_route(struct lx_desired *d, const char *dst,
					 int len, const char *gw,
					 const char *dev)
{
	struct lx_route *r;
	bool v6 = strchr(dst, ':') || (gw && strchr(gw, ':'));

	cr_assert_eq(lx_grow((void **)&d->routes, d->n_routes, sizeof(*r)), 0);
	r = &d->routes[d->n_routes++];
	memset(r, 0, sizeof(*r));
	r->family = v6 ? AF_INET6 : AF_INET;
	r->scope = LX_UNSET;
	r->dst_len = (uint8_t)len;
	if (strcmp(dst, "default") != 0)
		cr_assert_eq(inet_pton(r->family, dst, &r->dst), 1);
	if (gw) {
		r->has_gw = true;
		cr_assert_eq(inet_pton(r->family, gw, &r->gw), 1);
	}
	if (dev)
		snprintf(r->dev, sizeof(r->dev), "%s", dev);
	return r;
}

static inline void observe(struct env *e, struct lx_rtnl_state *s)
{
	cr_assert_eq(lx_rtnl_observe(e->nl, s, &e->err), 0, "%s", e->err.msg);
}

static inline const struct lx_link *find_link(const struct lx_rtnl_state *s,
					      const char *name)
{
	for (size_t i = 0; i < s->n_links; i++)
		if (strcmp(s->links[i].name, name) == 0)
			return &s->links[i];
	return NULL;
}

static inline bool has_addr(const struct lx_rtnl_state *s, const char *dev,
			    const char *ip, int len)
{
	struct lx_addr a = {0};

	snprintf(a.dev, sizeof(a.dev), "%s", dev);
	a.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	a.prefixlen = (uint8_t)len;
	inet_pton(a.family, ip, &a.addr);
	for (size_t i = 0; i < s->n_addrs; i++)
		if (lx_addr_cmp(&s->addrs[i], &a) == 0)
			return true;
	return false;
}

/* The observed route with that identity (table 0 = main), or NULL. */
static inline const struct lx_route *find_route(const struct lx_rtnl_state *s,
						const char *dst, int len,
						uint32_t table, uint32_t metric)
{
	struct lx_route r = {0};

	r.family = strchr(dst, ':') ? AF_INET6 : AF_INET;
	r.dst_len = (uint8_t)len;
	r.table = table;
	r.metric = metric;
	if (strcmp(dst, "default") != 0)
		inet_pton(r.family, dst, &r.dst);
	for (size_t i = 0; i < s->n_routes; i++)
		if (lx_route_cmp(&s->routes[i], &r) == 0 &&
		    s->routes[i].type == RTN_UNICAST)
			return &s->routes[i];
	return NULL;
}

static inline int reconcile(struct env *e)
{
	lx_error_clear(&e->err);
	return lx_rtnl_reconcile(&e->ctx, &e->d, &e->owned, &e->rep, &e->err);
}

static inline void assert_all_applied(const struct env *e)
{
	for (size_t i = 0; i < e->rep.plan.n; i++) {
		char d[256];
		const struct lx_op *op = &e->rep.plan.ops[i];

		cr_assert_eq(op->state, LX_OPS_APPLIED, "%s %s %s: state %d %s",
			     lx_op_verb_name(op->verb), lx_obj_name(op->obj),
			     lx_op_describe(op, d, sizeof(d)), op->state,
			     op->error ? op->error : "");
	}
}

#endif
