/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer, differential: lib/json_fast.c against jansson. The first byte
 * picks the flags (0 or JSON_REJECT_DUPLICATES). What the fast reader
 * takes, jansson takes, as the same tree with members in the same order;
 * what jansson refuses, the fast reader refuses; lx_json_loadb's verdict
 * and error are json_loadb's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/json_same.h"
#include "json_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t len = size - 1, flags;
	json_error_t ea, eb;
	json_t *f, *j, *l;

	if (size < 1)
		return 0;
	flags = data[0] & 1 ? JSON_REJECT_DUPLICATES : 0;
	f = lx_json_fast_loadb(s, len, flags);
	j = json_loadb(s, len, flags, &eb);
	if (f && (!j || !json_same(f, j)))
		abort();
	l = lx_json_loadb(s, len, flags, &ea);
	if (!l != !j || (l && !json_same(l, j)))
		abort();
	if (!j && (strcmp(ea.text, eb.text) || ea.line != eb.line ||
		   ea.column != eb.column || ea.position != eb.position))
		abort();
	json_decref(f);
	json_decref(j);
	json_decref(l);
	return 0;
}
