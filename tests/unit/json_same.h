/* SPDX-License-Identifier: MIT */
/*
 * Two jansson trees are the same, object members in the same order
 * (json_equal ignores the order; the document parser reports problems in
 * document order, so the fast reader must keep it). Shared by
 * tests/unit/test_json_fast.c and tests/fuzz/fuzz_json.c.
 */
#ifndef LX_TEST_JSON_SAME_H
#define LX_TEST_JSON_SAME_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

static inline bool json_same(const json_t *a, const json_t *b)
{
	void *ia, *ib;

	if (!json_equal(a, b))
		return false;
	if (json_is_array(a)) {
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_same(json_array_get(a, i),
				       json_array_get(b, i)))
				return false;
		return true;
	}
	if (!json_is_object(a))
		return true;
	ia = json_object_iter((json_t *)a);
	ib = json_object_iter((json_t *)b);
	for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia),
			 ib = json_object_iter_next((json_t *)b, ib)) {
		size_t la = json_object_iter_key_len(ia);

		if (la != json_object_iter_key_len(ib) ||
		    memcmp(json_object_iter_key(ia), json_object_iter_key(ib),
			   la) ||
		    !json_same(json_object_iter_value(ia),
			       json_object_iter_value(ib)))
			return false;
	}
	return !ia && !ib;
}

#endif
