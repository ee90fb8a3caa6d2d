/* SPDX-License-Identifier: MIT */
/*
 * The key/value engine (lib/kv.c) over a fake source: a table of keys in
 * memory whose "kernel" can clamp a value or tie two keys together, so the
 * pass's read-back rules are tested without a kernel.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"

struct fake {
	char a[32], b[32]; /* the values of keys "a" and "b" */
	bool clamp_a;	   /* the kernel keeps at most 10 in a */
	bool alias;	   /* a and b are one variable */
	int writes;
};

static char *slot(struct fake *f, const char *key)
{
	return strcmp(key, "a") == 0   ? f->a
	       : strcmp(key, "b") == 0 ? f->b
				       : NULL;
}

static int f_read(void *ctx, const char *key, const char *hint, char **value,
		  struct lx_error *err)
{
	char *s = slot(ctx, key);

	(void)hint;
	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOENT, "fake %s", key);
	*value = strdup(s);
	return 0;
}

static int f_write(void *ctx, struct lx_plan *plan, struct lx_op *op,
		   struct lx_error *err)
{
	struct fake *f = ctx;
	char *s = slot(f, op->u.kv.key);

	(void)plan;
	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOENT, "fake %s",
				    op->u.kv.key);
	f->writes++;
	snprintf(s, 32, "%s", op->u.kv.value);
	if (f->clamp_a && s == f->a && atoi(s) > 10)
		snprintf(s, 32, "10");
	if (f->alias)
		snprintf(s == f->a ? f->b : f->a, 32, "%s", s);
	return 0;
}

static bool f_eq(const char *key, const char *want, const char *have)
{
	(void)key;
	return lx_kv_fold_equal(want, have);
}

static int f_validate(void *ctx, const char *key, struct lx_error *err)
{
	(void)ctx;
	if (slot(ctx, key))
		return 0;
	return lx_error_add(err, LX_ERR_POLICY, 0, "fake \"%s\": refused", key);
}

static const struct lx_kv_hooks fake_hooks = {
    .obj = LX_OBJ_SYSCTL,
    .validate = f_validate,
    .read = f_read,
    .write = f_write,
    .eq = f_eq,
};

static int announced;
static void on_intent(void *data, enum lx_obj obj,
		      const struct lx_owned_kvs *ahead)
{
	struct fake *f = data;
	const struct lx_owned_kv *w = lx_owned_kvs_find(ahead, "a");

	(void)obj;
	cr_assert_eq(f->writes, 0, "announced before the first write");
	cr_assert_not_null(w);
	cr_assert_str_eq(w->original, "1");
	announced++;
}

Test(kv_engine, converges_then_a_second_pass_plans_nothing)
{
	struct fake f = {.a = "1", .b = "2"};
	struct lx_kv_source src = {&fake_hooks, &f, on_intent, &f};
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "a", "5"), 0);
	cr_assert_eq(lx_kv_reconcile(&src, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_eq(announced, 1);
	cr_assert_str_eq(f.a, "5");
	cr_assert_str_eq(lx_owned_kvs_find(&w, "a")->original, "1");
	lx_plan_free(&rep.plan);
	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_kv_reconcile(&src, &d, &w, true, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 0);
	cr_assert_eq(f.writes, 1);
	/* release restores the original */
	cr_assert_eq(lx_kv_release(&src, &w, true, &rep, &e), 0);
	cr_assert_str_eq(f.a, "1");
	cr_assert_eq(w.n, 0);
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w); /* release emptied it; the array remains */
}

Test(kv_engine, a_value_the_kernel_does_not_keep_fails_its_op_every_pass)
{
	struct fake f = {.a = "1", .b = "2", .clamp_a = true};
	struct lx_kv_source src = {&fake_hooks, &f, NULL, NULL};
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "a", "50"), 0);
	for (int pass = 0; pass < 2; pass++) {
		rep = (struct lx_subreport){0};
		cr_assert_eq(lx_kv_reconcile(&src, &d, &w, true, &rep, &e), 0);
		cr_assert(!rep.converged, "pass %d reported converged", pass);
		cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_FAILED), 1);
		cr_assert(strstr(rep.plan.ops[0].error,
				 "wrote \"50\", the kernel keeps \"10\""),
			  "%s", rep.plan.ops[0].error);
		lx_plan_free(&rep.plan);
	}
	/* the write happened: what release restores is recorded */
	cr_assert_str_eq(lx_owned_kvs_find(&w, "a")->original, "1");
	lx_owned_kvs_free(&w);
	lx_kvs_free(&d);
}

Test(kv_engine, two_keys_of_one_setting_fail_instead_of_flapping_converged)
{
	struct fake f = {.a = "1", .b = "1", .alias = true};
	struct lx_kv_source src = {&fake_hooks, &f, NULL, NULL};
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "a", "7"), 0);
	cr_assert_eq(lx_kvs_add(&d, "b", "8"), 0);
	cr_assert_eq(lx_kv_reconcile(&src, &d, &w, false, &rep, &e), 0);
	cr_assert(!rep.converged);
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_FAILED), 1);
	cr_assert_str_eq(rep.plan.ops[0].u.kv.key, "a");
	cr_assert(strstr(rep.plan.ops[0].error, "the kernel keeps \"8\""), "%s",
		  rep.plan.ops[0].error);
	lx_plan_free(&rep.plan);
	lx_owned_kvs_free(&w);
	lx_kvs_free(&d);
}

Test(kv_engine, a_refused_key_stops_the_pass_before_anything_is_written)
{
	struct fake f = {.a = "1", .b = "2"};
	struct lx_kv_source src = {&fake_hooks, &f, NULL, NULL};
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "a", "5"), 0);
	cr_assert_eq(lx_kvs_add(&d, "zz", "5"), 0);
	cr_assert_lt(lx_kv_reconcile(&src, &d, &w, false, &rep, &e), 0);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert_not_null(rep.error);
	cr_assert(strstr(rep.error, "fake \"zz\": refused"), "%s", rep.error);
	cr_assert_eq(f.writes, 0);
	free(rep.error);
	lx_kvs_free(&d);
}

Test(kv_text, fold_and_quote)
{
	char *s = lx_kv_fold("  1024\t65000 \n");
	char q[64];

	cr_assert_str_eq(s, "1024 65000");
	free(s);
	cr_assert(lx_kv_fold_equal("a  b", "a\tb"));
	cr_assert(!lx_kv_fold_equal("ab", "a b"));
	cr_assert_str_eq(lx_quote("a\"b\n", q, sizeof(q)), "a\\x22b\\x0a");
}
