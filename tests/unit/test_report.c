/* SPDX-License-Identifier: MIT */
/*
 * The report has two writers: the tree (lx_report_to_json, for the control
 * socket and --json) and the stream (lx_report_dumpf, for report.json of
 * passes with thousands of ops). They must give the same text.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "report.h"

static char *streamed(const struct lx_report *r, const struct lx_owned *ow)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(lx_report_dumpf(f, r, ow), 0);
	fclose(f);
	return buf;
}

static char *tree(const struct lx_report *r, const struct lx_owned *ow)
{
	json_t *j = lx_report_to_json(r, ow);
	char *s;

	cr_assert_not_null(j);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void add_route(struct lx_plan *p, const char *text, enum lx_op_state st,
		      const char *error)
{
	struct lx_error err;
	struct lx_op op = { .verb = LX_OP_CREATE, .obj = LX_OBJ_ROUTE,
			    .state = st };

	lx_error_clear(&err);
	cr_assert_eq(lx_route_parse(text, &op.u.route, "routes[0]", &err), 0,
		     "%s", err.msg);
	op.u.route.protocol = 76;
	if (error)
		op.error = strdup(error);
	cr_assert_eq(lx_plan_add(p, &op), 0);
}

static void add_kv(struct lx_plan *p, enum lx_obj obj, const char *key,
		   const char *value, const char *file, enum lx_op_state st)
{
	struct lx_op op = { .verb = LX_OP_UPDATE, .obj = obj, .state = st };

	op.u.kv.key = strdup(key);
	op.u.kv.value = strdup(value);
	op.u.kv.file = file ? strdup(file) : NULL;
	cr_assert_eq(lx_plan_add(p, &op), 0);
}

static void assert_same(const struct lx_report *r, const struct lx_owned *ow)
{
	char *a = streamed(r, ow), *b = tree(r, ow);
	json_error_t je;
	json_t *parsed = json_loads(a, 0, &je);

	cr_assert_not_null(parsed, "streamed report is not JSON: %s: %s",
			   je.text, a);
	json_decref(parsed);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(report, stream_equals_tree_for_an_empty_report)
{
	struct lx_report r = { .pass = 1, .trigger = "initial" };

	strcpy(r.id, "web-42");
	for (int i = 0; i < LX_SUB_COUNT; i++)
		r.sub[i].converged = true;
	lx_report_finish(&r);
	assert_same(&r, NULL);
	lx_report_free(&r);
}

Test(report, stream_equals_tree_with_ops_in_every_state_and_errors)
{
	struct lx_report r = { .pass = 12, .trigger = "monitor",
			       .duration_us = 412 };
	struct lx_owned ow = { 0 };

	strcpy(r.id, "quote\"and\\back");
	for (int i = 0; i < LX_SUB_COUNT; i++)
		r.sub[i].converged = true;
	add_route(&r.sub[LX_SUB_RTNL].plan, "10.1.0.0/16 via 10.0.0.254",
		  LX_OPS_APPLIED, NULL);
	add_route(&r.sub[LX_SUB_RTNL].plan, "default via 10.0.0.1",
		  LX_OPS_FAILED, "Network is unreachable (ENETUNREACH): \"x\"");
	add_route(&r.sub[LX_SUB_RTNL].plan, "fd00::/64 dev eth0",
		  LX_OPS_PENDING, NULL);
	r.sub[LX_SUB_RTNL].converged = false;
	add_kv(&r.sub[LX_SUB_SYSCTL].plan, LX_OBJ_SYSCTL,
	       "net.ipv4.ip_forward", "1", NULL, LX_OPS_APPLIED);
	add_kv(&r.sub[LX_SUB_CGROUP].plan, LX_OBJ_CGROUP, "memory.max",
	       "268435456", "memory.limit_in_bytes", LX_OPS_PLANNED);
	lx_subreport_fail(&r.sub[LX_SUB_CGROUP], "observe: no such cgroup");
	cr_assert_eq(lx_owned_kvs_set(&ow.sysctl, "net.ipv4.ip_forward", "1",
				      "0"),
		     0);
	lx_report_finish(&r);
	cr_assert_not(r.converged);
	assert_same(&r, &ow);
	assert_same(&r, NULL);
	lx_report_free(&r);
	lx_owned_free(&ow);
}

Test(report, stream_equals_tree_for_thousands_of_ops)
{
	struct lx_report r = { .pass = 1, .trigger = "manual" };
	char text[64];

	strcpy(r.id, "big");
	for (int i = 0; i < LX_SUB_COUNT; i++)
		r.sub[i].converged = true;
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.0/24 via 10.255.0.2",
			 i / 256, i % 256);
		add_route(&r.sub[LX_SUB_RTNL].plan, text, LX_OPS_APPLIED, NULL);
	}
	lx_report_finish(&r);
	assert_same(&r, NULL);
	lx_report_free(&r);
}
