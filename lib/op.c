/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "op.h"

void lx_op_free(struct lx_op *op)
{
	if (op->obj == LX_OBJ_SYSCTL || op->obj == LX_OBJ_CGROUP ||
	    op->obj == LX_OBJ_NFT_TABLE || op->obj == LX_OBJ_NFT_CHAIN) {
		free(op->u.kv.key);
		free(op->u.kv.value);
		free(op->u.kv.observed);
		free(op->u.kv.file);
		memset(&op->u.kv, 0, sizeof(op->u.kv));
	}
	if (op->obj == LX_OBJ_ROUTE)
		lx_route_fini(&op->u.route);
	free(op->error);
	op->error = NULL;
}

int lx_plan_reserve(struct lx_plan *p, size_t n)
{
	struct lx_op *ops;

	if (p->cap - p->n >= n)
		return 0;
	if (n > SIZE_MAX / sizeof(*ops) - p->n)
		return -ENOMEM;
	ops = realloc(p->ops, (p->n + n) * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	p->ops = ops;
	p->cap = p->n + n;
	return 0;
}

int lx_plan_add(struct lx_plan *p, const struct lx_op *op)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct lx_op *ops = realloc(p->ops, cap * sizeof(*ops));

		if (!ops) {
			struct lx_op tmp = *op;

			lx_op_free(&tmp);
			return -ENOMEM;
		}
		p->ops = ops;
		p->cap = cap;
	}
	p->ops[p->n++] = *op;
	return 0;
}

void lx_plan_free(struct lx_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		lx_op_free(&p->ops[i]);
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

void lx_op_fail(struct lx_op *op, const char *msg)
{
	free(op->error);
	op->error = strdup(msg ? msg : "failed");
	op->state = LX_OPS_FAILED;
}

size_t lx_plan_count(const struct lx_plan *p, enum lx_op_state s)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += p->ops[i].state == s;
	return n;
}

const char *lx_op_verb_name(enum lx_op_verb v)
{
	switch (v) {
	case LX_OP_CREATE:
		return "create";
	case LX_OP_UPDATE:
		return "update";
	case LX_OP_DELETE:
		return "delete";
	case LX_OP_REPLACE:
		return "replace";
	}
	return "?";
}

const char *lx_obj_name(enum lx_obj o)
{
	switch (o) {
	case LX_OBJ_LINK:
		return "link";
	case LX_OBJ_ADDRESS:
		return "address";
	case LX_OBJ_ROUTE:
		return "route";
	case LX_OBJ_SYSCTL:
		return "sysctl";
	case LX_OBJ_CGROUP:
		return "cgroup";
	case LX_OBJ_NFT_TABLE:
		return "table";
	case LX_OBJ_NFT_CHAIN:
		return "chain";
	case LX_OBJ_RULE:
		return "rule";
	case LX_OBJ_NEIGH:
		return "neighbour";
	}
	return "?";
}

const char *lx_op_describe(const struct lx_op *op, char *buf, size_t len)
{
	switch (op->obj) {
	case LX_OBJ_LINK:
		return lx_link_format(&op->u.link, buf, len);
	case LX_OBJ_ADDRESS:
		return lx_addr_format(&op->u.addr, buf, len);
	case LX_OBJ_ROUTE:
		return lx_route_format(&op->u.route, true, buf, len);
	case LX_OBJ_RULE:
		return lx_rule_format(&op->u.rule, true, buf, len);
	case LX_OBJ_NEIGH:
		return lx_neigh_format(&op->u.neigh, true, buf, len);
	case LX_OBJ_SYSCTL:
	case LX_OBJ_CGROUP:
		if (op->verb == LX_OP_DELETE && !op->u.kv.value)
			snprintf(buf, len, "%s", op->u.kv.key);
		else if (op->u.kv.file)
			snprintf(buf, len, "%s=%s (%s)", op->u.kv.key,
				 op->u.kv.value ? op->u.kv.value : "",
				 op->u.kv.file);
		else
			snprintf(buf, len, "%s=%s", op->u.kv.key,
				 op->u.kv.value ? op->u.kv.value : "");
		return buf;
	case LX_OBJ_NFT_TABLE:
	case LX_OBJ_NFT_CHAIN:
		snprintf(buf, len, "%s", op->u.kv.key ? op->u.kv.key : "");
		return buf;
	}
	snprintf(buf, len, "?");
	return buf;
}
