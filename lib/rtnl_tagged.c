/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "desired.h"
#include "neigh.h"
#include "route.h"
#include "rtnl_tagged.h"
#include "rule.h"

/* Pointers to the elements of arr that pass keep(), sorted by cmp with
 * ties in input order (the first of duplicates wins); dups: some have
 * the same identity. */
struct ptrs {
	const void **p;
	size_t n;
	bool dups;
};

typedef int (*cmp_fn)(const void *, const void *);

static int ptr_cmp(const void *a, const void *b, void *ctx)
{
	const void *x = *(const void *const *)a, *y = *(const void *const *)b;
	int r = (*(cmp_fn *)ctx)(x, y);

	return r ? r : (x > y) - (x < y);
}

/* Are the pointers in order, and are some of the same identity? Inlined
 * with ptrs_make into each caller, so that the compare (one per element
 * of 10,000 routes) is not a call through a pointer. */
static inline __attribute__((always_inline)) bool ptrs_sorted(struct ptrs *s,
							      cmp_fn cmp)
{
	s->dups = false;
	for (size_t i = 1; i < s->n; i++) {
		int r = cmp(s->p[i - 1], s->p[i]);

		if (r > 0)
			return false;
		/* Ties are in input order: the pointers ascend. */
		if (r == 0 && s->p[i - 1] > s->p[i])
			return false;
		s->dups |= r == 0;
	}
	return true;
}

static inline __attribute__((always_inline)) int
ptrs_make(struct ptrs *out, const void *arr, size_t n, size_t sz,
	  bool (*keep)(const void *, uint8_t), uint8_t protocol, cmp_fn cmp)
{
	out->n = 0;
	out->p = malloc((n ? n : 1) * sizeof(*out->p));
	if (!out->p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const void *e = (const char *)arr + i * sz;

		if (!keep || keep(e, protocol))
			out->p[out->n++] = e;
	}
	/* Already in order (a document written sorted, the kernel's dump of
	 * one table): n - 1 compares, not a merge sort's n log n / 2. The
	 * order is total (ties by address), so the result is the same. */
	if (!ptrs_sorted(out, cmp)) {
		qsort_r(out->p, out->n, sizeof(*out->p), ptr_cmp, &cmp);
		(void)ptrs_sorted(out, cmp);
	}
	return 0;
}

/* The index after i and the elements of i's identity that follow it. */
static size_t ptrs_next(const struct ptrs *s, size_t i, cmp_fn cmp)
{
	const void *x = s->p[i];

	if (!s->dups)
		return i + 1;
	while (++i < s->n && cmp(s->p[i], x) == 0)
		;
	return i;
}

/* Index of the first element not less than key (by cmp). */
static size_t lower_bound(const struct ptrs *s, const void *key,
			  int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(s->p[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Append an op on payload; a route's nexthops are copied (the op owns
 * its own: lx_op_free). */
static int push(struct lx_plan *plan, enum lx_op_verb verb, enum lx_obj obj,
		const void *payload, unsigned int stage, const char *fail)
{
	struct lx_op op = {.verb = verb, .obj = obj, .stage = stage};

	switch (obj) {
	case LX_OBJ_ROUTE:
		if (lx_route_copy(&op.u.route, payload) < 0)
			return -ENOMEM;
		break;
	case LX_OBJ_RULE:
		op.u.rule = *(const struct lx_rule *)payload;
		break;
	case LX_OBJ_NEIGH:
		op.u.neigh = *(const struct lx_neigh *)payload;
		break;
	default:
		return -EINVAL;
	}
	if (fail) {
		op.error = strdup(fail);
		if (!op.error) {
			lx_op_free(&op);
			return -ENOMEM;
		}
		op.state = LX_OPS_FAILED;
	}
	return lx_plan_add(plan, &op);
}

static void held_msg(char *buf, size_t len, uint8_t protocol, bool adoptable)
{
	const char *n = lx_proto_name(protocol);
	char num[8];

	snprintf(num, sizeof(num), "%u", protocol);
	snprintf(buf, len, "held by proto %s%s%s%s", n ? n : num, n ? " (" : "",
		 n ? num : "", n ? ")" : "");
	if (adoptable)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 ": another owner's (options.adopt takes it over)");
}

/* --------------------------------------------------------------- routes */

/* Inline where ptrs_make is: the order check of 10,000 routes. */
static inline __attribute__((always_inline)) int route_cmp_v(const void *a,
							     const void *b)
{
	return lx_route_cmp(a, b);
}

static bool route_ours(const void *e, uint8_t protocol)
{
	return ((const struct lx_route *)e)->protocol == protocol;
}

static bool route_foreign(const void *e, uint8_t protocol)
{
	return ((const struct lx_route *)e)->protocol != protocol;
}

/*
 * Stage of a route create: 1 when a gateway must be resolved through
 * another route, else 0. Two stages are enough: the kernel resolves a
 * gateway only through a route without one (IPv4 looks it up at scope
 * link, IPv6 refuses a gateway route as the way to a gateway), so the
 * routes a gateway can depend on are all in stage 0.
 */
static unsigned int route_stage(const struct lx_route *r)
{
	if (lx_route_gw_needs_route(r, NULL))
		return 1;
	for (size_t i = 0; i < r->n_nexthops; i++)
		if (lx_route_gw_needs_route(r, &r->nh[i]))
			return 1;
	return 0;
}

/* An op on desired route x as it is installed: normalised (on the op's
 * copy), our protocol, no oif. */
/* At most `more` puts to come, this one included: room for all of them
 * once the plan is full (one realloc for 10,000 creates, none when
 * nothing changed: a no-op pass does not reserve 2 MB it never uses). */
static int push_desired(struct lx_plan *plan, enum lx_op_verb verb,
			const struct lx_route *x, uint8_t protocol,
			const char *fail, size_t more)
{
	struct lx_route *r;
	int ret = plan->n == plan->cap ? lx_plan_reserve(plan, more) : 0;

	if (ret == 0)
		ret = push(plan, verb, LX_OBJ_ROUTE, x, route_stage(x), fail);
	if (ret < 0)
		return ret;
	r = &plan->ops[plan->n - 1].u.route;
	lx_route_normalize(r);
	r->protocol = protocol;
	r->oif = 0;
	return 0;
}

int lx_rtnl_diff_routes(const struct lx_desired *d,
			const struct lx_rtnl_state *obs, uint8_t protocol,
			struct lx_plan *del, struct lx_plan *put)
{
	struct ptrs dp = {0}, op = {0}, fp = {0};
	size_t i = 0, j = 0, k = 0;
	int ret;

	ret = ptrs_make(&dp, d->routes, d->n_routes, sizeof(*d->routes), NULL,
			protocol, route_cmp_v);
	if (ret == 0)
		ret = ptrs_make(&op, obs->routes, obs->n_routes,
				sizeof(*obs->routes), route_ours, protocol,
				route_cmp_v);
	if (ret == 0)
		ret = ptrs_make(&fp, obs->routes, obs->n_routes,
				sizeof(*obs->routes), route_foreign, protocol,
				route_cmp_v);
	/* Sort-merge: the three lists in identity order, one walk (fp's
	 * cursor k only moves forward: x ascends). */
	while (ret == 0 && (i < dp.n || j < op.n)) {
		const struct lx_route *x = i < dp.n ? dp.p[i] : NULL;
		const struct lx_route *y = j < op.n ? op.p[j] : NULL;
		int c = !x ? 1 : !y ? -1 : lx_route_cmp(x, y);

		if (c <= 0) {
			if (c < 0) {
				const struct lx_route *f = NULL;
				int fc = 1;
				char msg[160];

				while (k < fp.n &&
				       (fc = lx_route_cmp(fp.p[k], x)) < 0)
					k++;
				if (k < fp.n && fc == 0)
					f = fp.p[k];

				if (!f) {
					ret = push_desired(put, LX_OP_CREATE, x,
							   protocol, NULL,
							   dp.n - i);
				} else if (d->opts.adopt) {
					ret = push_desired(put, LX_OP_UPDATE, x,
							   protocol, NULL,
							   dp.n - i);
				} else {
					held_msg(msg, sizeof(msg), f->protocol,
						 true);
					ret = push_desired(put, LX_OP_CREATE, x,
							   protocol, msg,
							   dp.n - i);
				}
			} else if (!lx_route_attrs_equal(x, y)) {
				ret = push_desired(put, LX_OP_UPDATE, x,
						   protocol, NULL, dp.n - i);
			}
			/* Skip desired duplicates of the same identity. */
			i = ptrs_next(&dp, i, route_cmp_v);
		}
		if (c >= 0) {
			if (c > 0 && ret == 0)
				ret = push(del, LX_OP_DELETE, LX_OBJ_ROUTE, y,
					   0, NULL);
			j = ptrs_next(&op, j, route_cmp_v);
		}
	}
	free(dp.p);
	free(op.p);
	free(fp.p);
	return ret;
}

/* ---------------------------------------------------------------- rules */

static int rule_cmp_v(const void *a, const void *b)
{
	return lx_rule_cmp(a, b);
}

static int rule_key_cmp_v(const void *a, const void *b)
{
	return lx_rule_key_cmp(a, b);
}

static bool rule_ours(const void *e, uint8_t protocol)
{
	return ((const struct lx_rule *)e)->protocol == protocol;
}

static bool rule_foreign(const void *e, uint8_t protocol)
{
	return ((const struct lx_rule *)e)->protocol != protocol;
}

/*
 * The observed rule of s (not yet used) that desired rule x is: the same
 * key and, when x gives one, the same priority. Returns its index or
 * s->n.
 */
static size_t rule_match(const struct ptrs *s, const bool *used,
			 const struct lx_rule *x)
{
	for (size_t k = lower_bound(s, x, rule_key_cmp_v);
	     k < s->n && lx_rule_key_cmp(s->p[k], x) == 0; k++) {
		const struct lx_rule *o = s->p[k];

		if (used && used[k])
			continue;
		if (!x->has_priority || o->priority == x->priority)
			return k;
		if (o->priority > x->priority)
			break;
	}
	return s->n;
}

int lx_rtnl_diff_rules(const struct lx_desired *d,
		       const struct lx_rtnl_state *obs, uint8_t protocol,
		       struct lx_plan *del, struct lx_plan *put)
{
	struct ptrs dp = {0}, op = {0}, fp = {0};
	bool *used = NULL;
	int ret;

	ret = ptrs_make(&dp, d->rules, d->n_rules, sizeof(*d->rules), NULL,
			protocol, rule_cmp_v);
	if (ret == 0)
		ret = ptrs_make(&op, obs->rules, obs->n_rules,
				sizeof(*obs->rules), rule_ours, protocol,
				rule_cmp_v);
	if (ret == 0)
		ret = ptrs_make(&fp, obs->rules, obs->n_rules,
				sizeof(*obs->rules), rule_foreign, protocol,
				rule_cmp_v);
	if (ret == 0 && !(used = calloc(op.n + 1, sizeof(*used))))
		ret = -ENOMEM;
	/* Rules with a priority first: one without takes what is left. */
	for (int pass = 0; ret == 0 && pass < 2; pass++) {
		for (size_t i = 0; ret == 0 && i < dp.n; i++) {
			const struct lx_rule *x = dp.p[i];
			struct lx_rule r = *x;
			size_t k, f;
			char msg[160];

			if (x->has_priority != (pass == 0))
				continue;
			k = rule_match(&op, used, x);
			if (k < op.n) {
				used[k] = true;
				continue;
			}
			r.protocol = protocol;
			f = rule_match(&fp, NULL, x);
			if (f == fp.n) {
				ret = push(put, LX_OP_CREATE, LX_OBJ_RULE, &r,
					   0, NULL);
			} else if (lx_rule_is_default(fp.p[f])) {
				snprintf(msg, sizeof(msg),
					 "the kernel's default rule (priority "
					 "%u) is never changed",
					 ((const struct lx_rule *)fp.p[f])
					     ->priority);
				ret = push(put, LX_OP_CREATE, LX_OBJ_RULE, &r,
					   0, msg);
			} else if (d->opts.adopt) {
				/* Rules have no replace: theirs goes, ours
				 * comes, in the delete and create phases. */
				ret = push(del, LX_OP_DELETE, LX_OBJ_RULE,
					   fp.p[f], 0, NULL);
				if (ret == 0)
					ret = push(put, LX_OP_CREATE,
						   LX_OBJ_RULE, &r, 0, NULL);
			} else {
				held_msg(
				    msg, sizeof(msg),
				    ((const struct lx_rule *)fp.p[f])->protocol,
				    true);
				ret = push(put, LX_OP_CREATE, LX_OBJ_RULE, &r,
					   0, msg);
			}
		}
	}
	for (size_t k = 0; ret == 0 && k < op.n; k++)
		if (!used[k])
			ret = push(del, LX_OP_DELETE, LX_OBJ_RULE, op.p[k], 0,
				   NULL);
	free(used);
	free(dp.p);
	free(op.p);
	free(fp.p);
	return ret;
}

/* ----------------------------------------------------------- neighbours */

static int neigh_cmp_v(const void *a, const void *b)
{
	return lx_neigh_cmp(a, b);
}

static bool neigh_named(const void *e, uint8_t protocol)
{
	(void)protocol;
	return ((const struct lx_neigh *)e)->dev[0] != '\0';
}

int lx_rtnl_diff_neighs(const struct lx_desired *d,
			const struct lx_rtnl_state *obs, uint8_t protocol,
			struct lx_plan *del, struct lx_plan *put)
{
	struct ptrs dp = {0}, op = {0};
	size_t i = 0, j = 0;
	int ret;

	ret = ptrs_make(&dp, d->neighs, d->n_neighs, sizeof(*d->neighs), NULL,
			protocol, neigh_cmp_v);
	if (ret == 0)
		ret = ptrs_make(&op, obs->neighs, obs->n_neighs,
				sizeof(*obs->neighs), neigh_named, protocol,
				neigh_cmp_v);
	while (ret == 0 && (i < dp.n || j < op.n)) {
		const struct lx_neigh *x = i < dp.n ? dp.p[i] : NULL;
		const struct lx_neigh *y = j < op.n ? op.p[j] : NULL;
		int c = !x ? 1 : !y ? -1 : lx_neigh_cmp(x, y);
		char msg[160];

		if (c <= 0) {
			struct lx_neigh n = *x;

			n.protocol = protocol;
			n.ifindex = 0;
			if (c < 0)
				ret = push(put, LX_OP_CREATE, LX_OBJ_NEIGH, &n,
					   0, NULL);
			else if (y->protocol == protocol ||
				 lx_neigh_is_dynamic(y) || d->opts.adopt) {
				/* A learned entry is the kernel's cache, not
				 * an owner's: replaced without asking. */
				if (y->protocol != protocol ||
				    !lx_neigh_attrs_equal(x, y))
					ret = push(put, LX_OP_UPDATE,
						   LX_OBJ_NEIGH, &n, 0, NULL);
			} else {
				held_msg(msg, sizeof(msg), y->protocol, true);
				ret = push(put, LX_OP_CREATE, LX_OBJ_NEIGH, &n,
					   0, msg);
			}
			while (++i < dp.n && lx_neigh_cmp(dp.p[i], x) == 0)
				;
		}
		if (c >= 0) {
			for (; j < op.n && lx_neigh_cmp(op.p[j], y) == 0; j++)
				if (c > 0 && ret == 0 &&
				    ((const struct lx_neigh *)op.p[j])
					    ->protocol == protocol)
					ret = push(del, LX_OP_DELETE,
						   LX_OBJ_NEIGH, op.p[j], 0,
						   NULL);
		}
	}
	free(dp.p);
	free(op.p);
	return ret;
}
