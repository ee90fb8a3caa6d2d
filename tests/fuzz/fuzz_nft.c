/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the nftables validation that needs no kernel. The input is
 * both an nftables body (io.linx.nftables) for the refusal scan and, as
 * bytes, compiled messages for the check the sidecar runs on what the
 * compile child or a put hands it. Either must refuse or accept without a
 * crash; an accepted text must not contain a bare refused keyword.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lx_error err;
	char *text = malloc(size + 1);
	uint32_t n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	lx_error_clear(&err);
	if (lx_nft_text_check(text, "nftables", &err) < 0 &&
	    (err.kind != LX_ERR_INVALID || !err.lines))
		abort();
	free(text);
	lx_error_clear(&err);
	if (lx_nft_msgs_check(data, size, "nftables", &n, &err) == 0 &&
	    n > LX_NFT_MAX_RULES)
		abort();
	(void)lx_nft_hash(data, size);
	return 0;
}
