/* SPDX-License-Identifier: MIT */
/* Invariants shared by the harnesses: whatever the parser accepts, the
 * canonical form must parse back to the same struct. */
#ifndef LX_FUZZ_COMMON_H
#define LX_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "route.h"

static void same_or_abort(const struct lx_desired *a,
			  const struct lx_desired *b)
{
	if (a->n_links != b->n_links || a->n_addrs != b->n_addrs ||
	    a->n_routes != b->n_routes || a->sysctl.n != b->sysctl.n ||
	    a->cgroup.n != b->cgroup.n ||
	    memcmp(&a->opts, &b->opts, sizeof(a->opts)))
		abort();
	if (a->n_links &&
	    memcmp(a->links, b->links, a->n_links * sizeof(*a->links)))
		abort();
	if (a->n_addrs &&
	    memcmp(a->addrs, b->addrs, a->n_addrs * sizeof(*a->addrs)))
		abort();
	/* By value: a multipath route's nexthops are out of line. */
	for (size_t i = 0; i < a->n_routes; i++)
		if (!lx_route_same(&a->routes[i], &b->routes[i]))
			abort();
	for (size_t i = 0; i < a->sysctl.n; i++)
		if (strcmp(a->sysctl.v[i].key, b->sysctl.v[i].key) ||
		    strcmp(a->sysctl.v[i].value, b->sysctl.v[i].value))
			abort();
	for (size_t i = 0; i < a->cgroup.n; i++)
		if (strcmp(a->cgroup.v[i].key, b->cgroup.v[i].key) ||
		    strcmp(a->cgroup.v[i].value, b->cgroup.v[i].value))
			abort();
}

static void round_trip_or_abort(const struct lx_desired *d)
{
	struct lx_desired back;
	struct lx_error err;
	json_t *j = lx_desired_to_json(d);

	if (!j)
		abort();
	lx_error_clear(&err);
	if (lx_desired_from_json(j, &back, &err) != 0)
		abort();
	same_or_abort(d, &back);
	lx_desired_free(&back);
	json_decref(j);
}

#endif
