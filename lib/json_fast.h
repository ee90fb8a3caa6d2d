/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON reader for the common case, building the same jansson tree
 * json_loadb would, in a fraction of its instructions (jansson lexes byte
 * by byte through a stream and a string buffer). It takes plain documents:
 * ASCII text, integers of at most 18 digits, the simple escapes and \u of
 * a non-NUL, non-surrogate code point, at most LX_JSON_FAST_DEPTH levels,
 * no duplicate keys, an object or array at the top. For anything else,
 * and for every error, it declines and jansson reads the text, so what is
 * accepted and every message stay jansson's own.
 */
#ifndef LX_JSON_FAST_H
#define LX_JSON_FAST_H

#include <jansson.h>
#include <stddef.h>

#define LX_JSON_FAST_DEPTH 64

/* json_loadb(buf, len, flags, error), the fast reader first: same result,
 * same tree (members in document order), same errors. */
json_t *lx_json_loadb(const char *buf, size_t len, size_t flags,
		      json_error_t *error);

/* The fast reader alone: the tree, or NULL when it declines (not a plain
 * document, an error, flags other than 0 and JSON_REJECT_DUPLICATES, out
 * of memory). For the tests and the differential fuzzer. */
json_t *lx_json_fast_loadb(const char *buf, size_t len, size_t flags);

#endif
