/* SPDX-License-Identifier: MIT */
/*
 * The report (SPEC.md "Report") is written by one streaming writer
 * (lx_report_dumpf, report.json); the tree for the control socket and
 * --json is read back from it. These tests read the stream as JSON and
 * check every member the SPEC names.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "report.h"
#include "source.h"

/* The report as the engine lays it out: one subreport per registered
 * subsystem, in lx_subsystems[] order (the test indexes them by name). */
enum { LX_SUB_RTNL, LX_SUB_SYSCTL, LX_SUB_CGROUP };

static void init_subs(struct lx_report *r)
{
	static const char *const names[] = {"rtnl", "sysctl", "cgroup"};

	r->n_sub = lx_subsys_count();
	cr_assert_geq(r->n_sub, 3);
	for (size_t i = 0; i < r->n_sub; i++) {
		r->sub[i].name = lx_subsystems[i]->name;
		r->sub[i].converged = true;
		if (i < 3)
			cr_assert_str_eq(r->sub[i].name, names[i]);
	}
}

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

/* The stream, parsed; and the tree form must hold the same. */
static json_t *parsed(const struct lx_report *r, const struct lx_owned *ow)
{
	char *a = streamed(r, ow);
	json_error_t je;
	json_t *j = json_loads(a, 0, &je), *t = lx_report_to_json(r, ow);

	cr_assert_not_null(j, "report is not JSON: %s: %s", je.text, a);
	cr_assert(json_equal(j, t), "tree and stream differ");
	json_decref(t);
	free(a);
	return j;
}

static json_t *sub(json_t *j, const char *name)
{
	return json_object_get(json_object_get(j, "subsystems"), name);
}

static const char *item(json_t *j, const char *s, const char *list,
			size_t i)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(sub(j, s), list), i), "item"));
}

Test(report, an_empty_report_has_every_member)
{
	struct lx_report r = { .pass = 1, .trigger = "initial" };
	json_t *j;

	strcpy(r.id, "web-42");
	init_subs(&r);
	lx_report_finish(&r);
	j = parsed(&r, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "web-42");
	cr_assert_eq(json_integer_value(json_object_get(j, "pass")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(j, "trigger")),
			 "initial");
	cr_assert(json_is_true(json_object_get(j, "converged")));
	cr_assert(json_is_integer(json_object_get(j, "duration_us")));
	cr_assert_null(json_object_get(j, "last_applied"));
	for (size_t i = 0; i < r.n_sub; i++) {
		json_t *s = sub(j, r.sub[i].name);

		cr_assert(json_is_true(json_object_get(s, "converged")));
		cr_assert_eq(json_array_size(json_object_get(s, "applied")), 0);
		cr_assert_eq(json_array_size(json_object_get(s, "failed")), 0);
		cr_assert_eq(json_array_size(json_object_get(s, "pending")), 0);
		cr_assert_null(json_object_get(s, "planned"));
		cr_assert_null(json_object_get(s, "error"));
	}
	json_decref(j);
	lx_report_free(&r);
}

Test(report, ops_land_in_their_lists_with_errors_and_last_applied)
{
	struct lx_report r = { .pass = 12, .trigger = "monitor",
			       .duration_us = 412 };
	struct lx_owned ow = { 0 };
	json_t *j, *f;

	strcpy(r.id, "quote\"and\\back");
	init_subs(&r);
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
	j = parsed(&r, &ow);
	cr_assert_str_eq(json_string_value(json_object_get(j, "id")),
			 "quote\"and\\back");
	cr_assert_eq(json_integer_value(json_object_get(j, "duration_us")), 412);
	cr_assert(json_is_false(json_object_get(j, "converged")));
	cr_assert(json_is_false(json_object_get(sub(j, "rtnl"), "converged")));
	cr_assert_str_eq(item(j, "rtnl", "applied", 0),
			 "10.1.0.0/16 via 10.0.0.254 proto 76");
	f = json_array_get(json_object_get(sub(j, "rtnl"), "failed"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(f, "op")), "create");
	cr_assert_str_eq(json_string_value(json_object_get(f, "kind")), "route");
	cr_assert_str_eq(json_string_value(json_object_get(f, "error")),
			 "Network is unreachable (ENETUNREACH): \"x\"");
	cr_assert(strstr(item(j, "rtnl", "pending", 0), "fd00::/64"));
	cr_assert_str_eq(item(j, "sysctl", "applied", 0),
			 "net.ipv4.ip_forward=1");
	cr_assert_str_eq(item(j, "cgroup", "planned", 0),
			 "memory.max=268435456 (memory.limit_in_bytes)");
	cr_assert_str_eq(json_string_value(
			     json_object_get(sub(j, "cgroup"), "error")),
			 "observe: no such cgroup");
	cr_assert_str_eq(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(
				    j, "last_applied"), "sysctl"),
				"net.ipv4.ip_forward"),
		"original")),
	    "0");
	json_decref(j);
	lx_report_free(&r);
	lx_owned_free(&ow);
}

Test(report, a_device_name_that_is_not_utf8_still_gives_json)
{
	struct lx_report r = { .pass = 1, .trigger = "timer" };
	struct lx_op op = { .verb = LX_OP_DELETE, .obj = LX_OBJ_ROUTE,
			    .state = LX_OPS_APPLIED };
	json_t *j;

	strcpy(r.id, "x");
	init_subs(&r);
	/* the kernel allows any byte but '/', ':' and blanks in a name */
	op.u.route.family = AF_INET;
	op.u.route.dst_len = 0;
	op.u.route.scope = LX_UNSET;
	op.u.route.protocol = 76;
	strcpy(op.u.route.dev, "e\xff\xfe" "0");
	cr_assert_eq(lx_plan_add(&r.sub[LX_SUB_RTNL].plan, &op), 0);
	lx_report_finish(&r);
	j = parsed(&r, NULL);
	cr_assert(strstr(item(j, "rtnl", "applied", 0), "\\xff"),
		  "%s", item(j, "rtnl", "applied", 0));
	json_decref(j);
	lx_report_free(&r);
}

Test(report, thousands_of_ops_stream_in_order)
{
	struct lx_report r = { .pass = 1, .trigger = "manual" };
	char text[64];
	json_t *j, *a;

	strcpy(r.id, "big");
	init_subs(&r);
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.0/24 via 10.255.0.2",
			 i / 256, i % 256);
		add_route(&r.sub[LX_SUB_RTNL].plan, text, LX_OPS_APPLIED, NULL);
	}
	lx_report_finish(&r);
	j = parsed(&r, NULL);
	a = json_object_get(sub(j, "rtnl"), "applied");
	cr_assert_eq(json_array_size(a), 5000);
	cr_assert_str_eq(item(j, "rtnl", "applied", 4999),
			 "10.19.135.0/24 via 10.255.0.2 proto 76");
	json_decref(j);
	lx_report_free(&r);
}

/* A key whose original could not be read (write-only) must not make
 * state.json unloadable: it was written as "original": null and every
 * later load failed (exit 3). */
Test(report, unknown_original_round_trips_and_old_null_loads)
{
	struct lx_owned o = {0}, back = {0};
	struct lx_error e;
	json_t *j, *old;
	char *s;

	cr_assert_eq(lx_owned_kvs_set(&o.sysctl, "net.ipv4.x", "1", NULL), 0);
	j = lx_owned_to_json(&o);
	s = json_dumps(j, JSON_COMPACT);
	cr_assert_null(strstr(s, "null"), "%s", s);
	lx_error_clear(&e);
	cr_assert_eq(lx_owned_from_json(j, &back, &e), 0, "%s", e.msg);
	cr_assert_null(lx_owned_kvs_find(&back.sysctl, "net.ipv4.x")->original);
	lx_owned_free(&back);
	old = json_loads("{\"sysctl\": {\"net.ipv4.route.flush\": "
			 "{\"applied\": \"1\", \"original\": null}}}",
			 0, NULL);
	lx_error_clear(&e);
	cr_assert_eq(lx_owned_from_json(old, &back, &e), 0, "%s", e.msg);
	lx_owned_free(&back);
	lx_owned_free(&o);
	json_decref(old);
	json_decref(j);
	free(s);
}

/* Ops are written without jansson when their text needs no escaping: each
 * is exactly {op, kind, item}, and text with a quote, a backslash or a
 * control byte still comes back as it was. */
Test(report, an_op_has_exactly_its_members_and_odd_text_survives)
{
	static const char *const devs[] = { "eth0", "a\"b", "c\\d", "e\x01" };
	struct lx_report r = { .pass = 1, .trigger = "timer" };
	char want[128];
	json_t *j;

	strcpy(r.id, "x");
	init_subs(&r);
	for (size_t i = 0; i < 4; i++) {
		struct lx_op op = { .verb = LX_OP_CREATE, .obj = LX_OBJ_ROUTE,
				    .state = LX_OPS_APPLIED };

		op.u.route.family = AF_INET;
		op.u.route.dst_len = 32;
		op.u.route.dst.v4.s_addr = htonl(0x0a010203);
		op.u.route.scope = LX_UNSET;
		op.u.route.protocol = 76;
		strcpy(op.u.route.dev, devs[i]);
		cr_assert_eq(lx_plan_add(&r.sub[LX_SUB_RTNL].plan, &op), 0);
	}
	lx_report_finish(&r);
	j = parsed(&r, NULL);
	for (size_t i = 0; i < 4; i++) {
		json_t *o = json_array_get(
		    json_object_get(sub(j, "rtnl"), "applied"), i);

		cr_assert_eq(json_object_size(o), 3);
		cr_assert_str_eq(json_string_value(json_object_get(o, "op")),
				 "create");
		cr_assert_str_eq(json_string_value(json_object_get(o, "kind")),
				 "route");
		snprintf(want, sizeof(want), "10.1.2.3/32 dev %s proto 76",
			 devs[i]);
		cr_assert_str_eq(item(j, "rtnl", "applied", i), want);
	}
	json_decref(j);
	lx_report_free(&r);
}
