/* SPDX-License-Identifier: MIT */
/*
 * The desired-state document (SPEC.md "Desired-state document"): parsing from
 * JSON, the string grammars of addresses and routes, and the canonical JSON
 * form written back into state.json. Every error names the field and the
 * value; unknown members are errors. Parsing never touches the system.
 */
#ifndef LX_DESIRED_H
#define LX_DESIRED_H

#include <jansson.h>

#include "error.h"
#include "format.h"
#include "grammar.h"
#include "model.h"

/*
 * Parse a whole document. On error, returns -EINVAL with err->kind =
 * LX_ERR_INVALID and one line per problem (all problems found, not just the
 * first), e.g.
 *   network.addresses[1]: invalid address "10.0.0.300/24"
 * d is left empty on error.
 */
int lx_desired_from_json(const json_t *doc, struct lx_desired *d,
			 struct lx_error *err) LX_WUR;

/*
 * Where a member's items come from, for error messages: the document
 * ("network.routes[3]: ...", "sysctl.net.ipv4.ip_forward: ...") or an
 * annotation ("io.linx.routes: item 4 \"10.1.0.0/16 via x\": ...",
 * "io.linx.sysctl: net.ipv4.ip_forward: ..."). base names the member;
 * items/item_no, when set, are the compact form's item texts and their
 * 1-based numbers, by index of the member's array.
 */
struct lx_json_items;
struct lx_origin {
	const char *base;
	bool annotation;	  /* KEY: VALUE members name keys "base: key" */
	const char *const *items; /* NULL: items are named base[i] */
	const size_t *item_no;
	/* The document's network.routes read without a tree (json_fast.h):
	 * when the member's value is its stand-in, its elements are these.
	 * NULL otherwise. */
	const struct lx_json_items *elems;
	const char *text; /* the buffer elems point into */
};

/* The name of item i / of key `key` of a member, into buf; returns buf. */
const char *lx_item_field(const struct lx_origin *o, size_t i, char *buf,
			  size_t len);
const char *lx_key_field(const struct lx_origin *o, const char *key, char *buf,
			 size_t len);

/*
 * Parse one member of the document ("links", "addresses", "routes",
 * "sysctl", "cgroup", "options", ...) from v into d, errors named after o.
 * A member may be set once. 0, -EINVAL (one line per problem in err; d keeps
 * what was valid, free it with lx_desired_free) or -ENOMEM.
 */
int lx_desired_member(struct lx_desired *d, const char *name, const json_t *v,
		      const struct lx_origin *o, struct lx_error *err) LX_WUR;

/* Whether name is a member: *array (else KEY: VALUE object), *typed
 * (compact values are typed: true/false/integers). */
bool lx_desired_member_info(const char *name, bool *array, bool *typed);

/* "PREFIXlinks, PREFIXaddresses, ..." into buf; returns buf. */
const char *lx_desired_member_names(char *buf, size_t len, const char *prefix);

/* Same, from text (a file's contents or stdin). */
int lx_desired_from_string(const char *text, size_t len, struct lx_desired *d,
			   struct lx_error *err) LX_WUR;

/* Read FILE ("-" = stdin, at most 16 MiB) and parse. A missing file is
 * LX_ERR_NOTFOUND naming the path; unreadable, too large or invalid JSON
 * (with line and column) is LX_ERR_INVALID. */
int lx_desired_from_file(const char *path, struct lx_desired *d,
			 struct lx_error *err) LX_WUR;
/* The same, and the digest of the bytes parsed (lx_text_digest): what
 * state.json records to tell an unchanged document without serialising it. */
int lx_desired_from_file_digest(const char *path, struct lx_desired *d,
				uint64_t *digest, struct lx_error *err) LX_WUR;

/* Canonical document: links as objects, addresses and routes as strings
 * (lx_addr_format / lx_route_format), every option spelled out; parses back
 * to an equal struct. New reference, NULL on allocation failure. */
json_t *lx_desired_to_json(const struct lx_desired *d);

/* The same document as compact JSON text (json_dumps(lx_desired_to_json(d),
 * JSON_COMPACT), byte for byte), appended to b without building the tree of
 * its strings: 0, or -ENOMEM (also when a member cannot be encoded). */
struct lx_sb;
int lx_desired_dump(struct lx_sb *b, const struct lx_desired *d) LX_WUR;

#endif
