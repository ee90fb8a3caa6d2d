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

/* A tree in an arena: lx_json_loadb whose fast reader takes its nodes
 * from a few large blocks instead of two mallocs a string, and the tree
 * goes with its blocks, without a walk or a free a node. The tree must
 * not outlive lx_json_arena_end, and nothing of it may be kept past it
 * (a json_incref of a node is not enough): read it, copy out what is
 * needed, end the arena. When the fast reader declines, the tree is
 * jansson's (malloc), and lx_json_arena_end frees it the usual way.
 * One arena at a time. */
struct lx_json_arena {
	struct lx_json_block *blocks;
	json_t *tree;
};

json_t *lx_json_loadb_arena(const char *buf, size_t len, size_t flags,
			    json_error_t *error, struct lx_json_arena *a);
void lx_json_arena_end(struct lx_json_arena *a);

#endif
