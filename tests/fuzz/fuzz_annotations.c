/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: io.linx.* annotations. The first byte picks the annotation
 * whose value is the rest of the input (so the fuzzer works on the compact
 * grammar directly); 6 and above mean the rest is a whole annotations
 * object.
 */
#include <stdint.h>

#include "annotations.h"
#include "fuzz_common.h"

static const char *const keys[] = {"io.linx.links",  "io.linx.addresses",
				   "io.linx.routes", "io.linx.sysctl",
				   "io.linx.cgroup", "io.linx.options"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lx_desired d;
	struct lx_error err;
	json_t *a;
	bool present;
	int r;

	if (size < 1)
		return 0;
	if (data[0] < 6) {
		json_t *v = json_stringn((const char *)data + 1, size - 1);

		if (!v)
			return 0; /* not UTF-8: not an annotation */
		a = json_object();
		json_object_set_new(a, keys[data[0]], v);
	} else {
		a = json_loadb((const char *)data + 1, size - 1, 0, NULL);
		if (!a)
			return 0;
	}
	lx_error_clear(&err);
	r = lx_annotations_to_desired(a, &d, &present, &err);
	if (r == 0) {
		if (!present && (d.n_links || d.n_addrs || d.n_routes))
			abort();
		round_trip_or_abort(&d);
		lx_desired_free(&d);
	} else if (!present || !err.lines || err.kind != LX_ERR_INVALID ||
		   d.n_links || d.n_addrs || d.n_routes) {
		abort();
	}
	json_decref(a);
	return 0;
}
