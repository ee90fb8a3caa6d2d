/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the JSON text written and scanned without trees (jsonw.h).
 * Any bytes, as a string, encode to JSON that parses back; as state.json,
 * the member scan agrees with jansson whenever it answers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static void check_string(const char *s)
{
	struct lx_sb b = {0};
	json_t *j, *want = json_string(s);

	lx_sb_json_str(&b, s);
	if (b.err)
		abort();
	j = json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
	if (!json_is_string(j))
		abort();
	/* valid UTF-8 (jansson takes it) reads back as itself */
	if (want && !json_equal(j, want))
		abort();
	json_decref(j);
	json_decref(want);
	lx_sb_free(&b);
}

static void check_span(const char *t, size_t len)
{
	json_t *doc = json_loadb(t, len, JSON_REJECT_DUPLICATES, NULL), *v;
	size_t a = 0, e = 0;
	int r = lx_json_member_span(t, len, "desired", &a, &e);

	if (r == 1) {
		if (a >= e || e > len)
			abort();
		if (doc) {
			v = json_loadb(t + a, e - a, JSON_DECODE_ANY, NULL);
			if (!v ||
			    !json_equal(v, json_object_get(doc, "desired")))
				abort();
			json_decref(v);
		}
	} else if (r == 0 && doc && json_object_get(doc, "desired")) {
		abort();
	}
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_string(s);
	check_span(s, size);
	free(s);
	return 0;
}
