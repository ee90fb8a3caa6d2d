/* SPDX-License-Identifier: MIT */
/*
 * Operations and plans. A diff produces a plan (an ordered array of ops);
 * apply walks the plan and records on each op whether it was applied,
 * failed (with the error text) or left pending. The report is built from the
 * plans of every subsystem.
 */
#ifndef LX_OP_H
#define LX_OP_H

#include "cleanup.h"
#include "model.h"

enum lx_op_verb {
	LX_OP_CREATE,
	LX_OP_UPDATE, /* replace in place: same identity, other attributes */
	LX_OP_DELETE,
	/* the whole content swapped in one transaction (an nftables table:
	 * delete + create of the same name, atomically) */
	LX_OP_REPLACE,
};

enum lx_obj {
	LX_OBJ_LINK,
	LX_OBJ_ADDRESS,
	LX_OBJ_ROUTE,
	LX_OBJ_SYSCTL,
	LX_OBJ_CGROUP,
	LX_OBJ_NFT_TABLE, /* u.kv: key = item, value = table name */
	LX_OBJ_NFT_CHAIN,
	LX_OBJ_RULE,  /* rtnl, like link/address/route */
	LX_OBJ_NEIGH, /* rtnl */
};

/* One bit per kind, for sets of kinds (source.h's drain). */
#define LX_OBJ_BIT(o) (1u << (unsigned)(o))
#define LX_OBJ_ALL    0xffffffffu

/* Objects the rtnl subsystem applies (ordered, fail-fast). */
static inline bool lx_obj_is_rtnl(enum lx_obj o)
{
	return o <= LX_OBJ_ROUTE || o == LX_OBJ_RULE || o == LX_OBJ_NEIGH;
}

enum lx_op_state {
	LX_OPS_PLANNED = 0,
	LX_OPS_APPLIED,
	LX_OPS_FAILED,
	LX_OPS_PENDING, /* not reached: an earlier op of a fail-fast pass failed */
};

/* sysctl / cgroup op payload; strings owned by the op. */
struct lx_op_kv {
	char *key;
	char *value;    /* value to write */
	char *observed; /* value seen before (NULL if unknown) */
	char *file;     /* cgroup: the file actually written (v1 translation) */
};

struct lx_op {
	enum lx_op_verb verb;
	enum lx_obj obj;
	enum lx_op_state state;
	union {
		struct lx_link link;
		struct lx_addr addr;
		struct lx_route route;
		struct lx_rule rule;
		struct lx_neigh neigh;
		struct lx_op_kv kv;
	} u;
	/* rtnl creates of one kind run in stages, in order: a route whose
	 * gateway needs another route is one stage after it. */
	unsigned int stage;
	char *error; /* owned; set when state == LX_OPS_FAILED */
	/* Not run in this pass: the loop holds it back (loop.h); FAILED with
	 * its last error when it keeps failing, PENDING when it flaps. */
	bool held;
};

struct lx_plan {
	struct lx_op *ops;
	size_t n, cap;
};

/*
 * Append a shallow copy of *op; the plan takes ownership of op->u.kv strings,
 * a route's nexthops (op->u.route.nh) and op->error. Returns 0 or -ENOMEM (ownership still taken: freed).
 */
int lx_plan_add(struct lx_plan *p, const struct lx_op *op) LX_WUR;
/* Room for n more ops, so a plan whose size is known grows once (a
 * 10,000-route diff re-copied its ops through every doubling). -ENOMEM. */
int lx_plan_reserve(struct lx_plan *p, size_t n) LX_WUR;
void lx_plan_free(struct lx_plan *p);
void lx_op_free(struct lx_op *op);

/* Record a failure (copies msg). */
void lx_op_fail(struct lx_op *op, const char *msg);

/* Human description of the op's object, e.g.
 * "10.1.0.0/16 via 10.0.0.254 dev eth0 proto 76". Returns buf. */
const char *lx_op_describe(const struct lx_op *op, char *buf, size_t len);

const char *lx_op_verb_name(enum lx_op_verb v);  /* "create" ... */
const char *lx_obj_name(enum lx_obj o);          /* "route" ... */

/* Count ops in a state. */
size_t lx_plan_count(const struct lx_plan *p, enum lx_op_state s);

#endif
