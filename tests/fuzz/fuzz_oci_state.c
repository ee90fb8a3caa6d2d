/* SPDX-License-Identifier: MIT */
/* libFuzzer: the OCI state a runtime writes on the hook's stdin. */
#include <stdint.h>
#include <stdlib.h>

#include "oci_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lx_oci_state st;
	struct lx_error err;

	lx_error_clear(&err);
	if (lx_oci_state_parse((const char *)data, size, &st, &err) == 0) {
		/* A parsed state is complete and consistent. */
		if (!st.id || !st.status || !st.bundle || !st.annotations ||
		    st.bundle[0] != '/' || st.pid < 0 ||
		    !lx_oci_id_valid(st.id))
			abort();
		lx_oci_state_free(&st);
	} else if (!err.lines || err.kind != LX_ERR_INVALID) {
		abort();
	}
	return 0;
}
