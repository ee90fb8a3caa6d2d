/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the desired-state document (--desired FILE, put_desired).
 * Differential too: lx_desired_from_string reads network.routes without
 * a tree (json_fast.h items); what it makes of a document, verdict, every
 * line and every route, is what the document's whole jansson tree makes.
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "route.h"

static void tree_same_or_abort(const uint8_t *data, size_t size, int r,
			       const struct lx_desired *d,
			       const struct lx_error *err)
{
	json_t *t = json_loadb((const char *)data, size,
			       JSON_REJECT_DUPLICATES, NULL);
	struct lx_desired b;
	struct lx_error eb;
	int rb;

	if (!t) {
		if (r == 0)
			abort();
		return;
	}
	lx_error_clear(&eb);
	rb = lx_desired_from_json(t, &b, &eb);
	json_decref(t);
	if (rb != r || strcmp(err->msg, eb.msg) || b.n_routes != d->n_routes)
		abort();
	for (size_t i = 0; i < b.n_routes; i++)
		if (!lx_route_same(&b.routes[i], &d->routes[i]))
			abort();
	lx_desired_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lx_desired d;
	struct lx_error err;
	int r;

	lx_error_clear(&err);
	r = lx_desired_from_string((const char *)data, size, &d, &err);
	tree_same_or_abort(data, size, r, &d, &err);
	if (r == 0) {
		round_trip_or_abort(&d);
		lx_desired_free(&d);
	} else if (!err.lines || err.kind != LX_ERR_INVALID || d.n_links ||
		   d.n_addrs || d.n_routes || d.sysctl.n || d.cgroup.n) {
		abort();
	}
	return 0;
}
