/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer, differential: lib/json_fast.c against jansson. The first byte
 * picks the flags (0 or JSON_REJECT_DUPLICATES). What the fast reader
 * takes, jansson takes, as the same tree with members in the same order;
 * what jansson refuses, the fast reader refuses; lx_json_loadb's verdict
 * and error are json_loadb's. With network.routes read as items (the
 * document parser's read), the tree and the items together are jansson's
 * tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/json_same.h"
#include "json_fast.h"

/* Item i of it is element e of jansson's array. */
static bool item_same(const struct lx_json_items *it, const char *buf,
		      size_t i, const json_t *e)
{
	const struct lx_json_item *x = &it->v[i];

	if (x->len == LX_JSON_ITEM_NODE)
		return json_same(it->nodes[x->off], e);
	return json_is_string(e) && json_string_length(e) == x->len &&
	       !memcmp(json_string_value(e), buf + x->off, x->len);
}

static void items_same_or_abort(const char *s, size_t len, size_t flags,
				const json_t *j)
{
	struct lx_json_items it = {.key1 = "network", .key2 = "routes"};
	struct lx_json_arena a;
	json_t *t = lx_json_loadb_arena_items(s, len, flags, NULL, &a, &it);

	if (!t != !j)
		abort();
	if (t && it.array) {
		json_t *ja = json_object_get(json_object_get(j, "network"),
					     "routes");
		json_t *rest = json_deep_copy(j);

		if (!json_is_array(ja) || json_array_size(ja) != it.n || !rest)
			abort();
		for (size_t i = 0; i < it.n; i++)
			if (!item_same(&it, s, i, json_array_get(ja, i)))
				abort();
		if (json_object_set_new(json_object_get(rest, "network"),
					"routes", json_array()) ||
		    !json_same(t, rest))
			abort();
		json_decref(rest);
	} else if (t && (it.n || !json_same(t, j))) {
		abort();
	}
	lx_json_arena_end(&a);
	lx_json_items_free(&it);
}

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
	items_same_or_abort(s, len, flags, j);
	json_decref(f);
	json_decref(j);
	json_decref(l);
	return 0;
}
