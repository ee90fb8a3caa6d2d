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
#include <stdint.h>

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

/*
 * One big array read without its tree: the array that is member key2 of
 * member key1 of the top object (network.routes, 10,000 strings), when
 * the fast reader takes the document. Its elements are items: a string
 * without escapes is its place in the buffer (no node, no copy), any
 * other element its node (an arena node: it goes with the arena). The
 * tree holds an empty array in the array's place, items->array; when
 * items->array is NULL, no array was read so and the tree is whole
 * (the reader declined and jansson read the text, or there is no such
 * array). The items are valid while the buffer and the arena are.
 */
#define LX_JSON_ITEM_NODE UINT32_MAX

struct lx_json_item {
	uint32_t off; /* the string's bytes at buf + off; a node: its index */
	uint32_t len; /* LX_JSON_ITEM_NODE: a node */
};

struct lx_json_items {
	const char *key1, *key2; /* in */
	json_t *array;		 /* out: the array's stand-in, or NULL */
	struct lx_json_item *v;
	size_t n, cap;
	json_t **nodes;
	size_t n_nodes, nodes_cap;
};

/* lx_json_loadb_arena, network.routes (say) read as items. */
json_t *lx_json_loadb_arena_items(const char *buf, size_t len, size_t flags,
				  json_error_t *error, struct lx_json_arena *a,
				  struct lx_json_items *items);
/* Free the item vectors (not the nodes: the arena's); keys stay. */
void lx_json_items_free(struct lx_json_items *items);

#endif
