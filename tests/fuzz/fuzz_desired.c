/* SPDX-License-Identifier: MIT */
/* libFuzzer: the desired-state document (--desired FILE, put_desired). */
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lx_desired d;
	struct lx_error err;

	lx_error_clear(&err);
	if (lx_desired_from_string((const char *)data, size, &d, &err) == 0) {
		round_trip_or_abort(&d);
		lx_desired_free(&d);
	} else if (!err.lines || err.kind != LX_ERR_INVALID || d.n_links ||
		   d.n_addrs || d.n_routes || d.sysctl.n || d.cgroup.n) {
		abort();
	}
	return 0;
}
