/* SPDX-License-Identifier: MIT */
/* Pure parts of the sysctl source: names, folding, the three-way diff. */
#include <criterion/criterion.h>
#include <string.h>

#include "sysctl.h"

static int check(const char *key, char *canon, char *why)
{
	return lx_sysctl_check_name(key, canon, LX_SYSCTL_NAME_MAX + 1, why,
				    256);
}

Test(sysctl_name, dotted_and_slashed_forms_are_the_same_key)
{
	char c[LX_SYSCTL_NAME_MAX + 1], why[256];

	cr_assert_eq(check("net.ipv4.ip_forward", c, why), 0);
	cr_assert_str_eq(c, "net.ipv4.ip_forward");
	cr_assert_eq(check("net/ipv4/conf/all/rp_filter", c, why), 0);
	cr_assert_str_eq(c, "net.ipv4.conf.all.rp_filter");
	cr_assert_eq(check("net.ipv6.conf.eth0.accept_ra", c, why), 0);
}

Test(sysctl_name, escapes_are_refused_with_the_rule)
{
	static const struct {
		const char *key, *rule;
	} cases[] = {
	    {"kernel.core_pattern", "only net.* sysctls may be set"},
	    {"net.ipv4/../../kernel/core_pattern", "empty name segment"},
	    {"net/../kernel/hostname", "empty name segment"},
	    {"/proc/sys/kernel/x", "absolute path"},
	    {"net..ipv4", "empty name segment"},
	    {"net.ipv4.", "empty name segment"},
	    {"", "empty name"},
	    {"net.ipv4.IP_forward", "invalid character"},
	    {"net.ipv4.ip forward", "invalid character"},
	    {"net.ipv4.-x", "must start with"},
	    {"net.ipv4.x_", "must end with"},
	    {"net.core.rmem_max",
	     "net.core.rmem_max is host-global: not per network "
	     "namespace"},
	    {"net/core/netdev_max_backlog", "host-global"},
	    {"net.ipv4.neigh.default.gc_thresh3", "host-global"},
	    {"net.ipv4.tcp_mem", "host-global"},
	};
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		cr_assert_eq(check(cases[i].key, NULL, why), -EPERM, "%s",
			     cases[i].key);
		cr_assert(strstr(why, cases[i].rule), "%s: %s", cases[i].key,
			  why);
	}
}

Test(sysctl_name, a_ten_thousand_character_key_is_refused_and_not_echoed)
{
	char *k = malloc(10001), why[256];
	struct lx_error e;

	memset(k, 'a', 10000);
	memcpy(k, "net.", 4);
	k[10000] = '\0';
	cr_assert_eq(check(k, NULL, why), -EPERM);
	cr_assert(strstr(why, "longer than 256"));
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_validate(k, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert_lt(strlen(e.msg), 300, "message echoes the key: %zu",
		     strlen(e.msg));
	free(k);
}

Test(sysctl_name, per_device_and_namespaced_keys_are_allowed)
{
	char c[LX_SYSCTL_NAME_MAX + 1], why[256];

	cr_assert_eq(
	    check("net.ipv4.neigh.eth0.base_reachable_time_ms", c, why), 0);
	cr_assert_eq(check("net.ipv4.ip_local_port_range", c, why), 0);
	cr_assert_eq(check("net.core.somaxconn", c, why), 0);
	cr_assert_eq(check("net.ipv4.route.flush", c, why), 0);
	cr_assert(!lx_sysctl_is_host_global("net.ipv4.neigh.eth0.locktime"));
}

Test(sysctl_fold, kernel_tabs_equal_spaces)
{
	cr_assert(lx_sysctl_equal("1024\t65000\n", "1024 65000"));
	cr_assert(lx_sysctl_equal("  1 ", "1"));
	cr_assert(!lx_sysctl_equal("1024 65000", "1024 65001"));
	cr_assert(!lx_sysctl_equal("1", NULL));
	char *f = lx_kv_fold("\t4096\t\t87380  6291456\n");
	cr_assert_str_eq(f, "4096 87380 6291456");
	free(f);
}

struct fx {
	struct lx_kvs desired, observed;
	struct lx_owned_kvs owned;
	struct lx_plan plan;
};

static void fx_free(struct fx *f)
{
	lx_kvs_free(&f->desired);
	lx_kvs_free(&f->observed);
	lx_owned_kvs_free(&f->owned);
	lx_plan_free(&f->plan);
}

Test(sysctl_diff, equal_after_folding_is_no_op)
{
	struct fx f = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&f.desired, "net.ipv4.ip_local_port_range",
				"1024 65000"),
		     0);
	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.ip_local_port_range",
				"1024\t65000"),
		     0);
	cr_assert_eq(lx_sysctl_diff(&f.desired, &f.observed, &f.owned, true,
				    &f.plan, &e),
		     0);
	cr_assert_eq(f.plan.n, 0);
	fx_free(&f);
}

Test(sysctl_diff, differing_value_is_updated_with_the_observed_value_kept)
{
	struct fx f = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&f.desired, "net.ipv4.ip_forward", "1"), 0);
	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.ip_forward", "0"), 0);
	cr_assert_eq(lx_sysctl_diff(&f.desired, &f.observed, &f.owned, false,
				    &f.plan, &e),
		     0);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_UPDATE);
	cr_assert_eq(f.plan.ops[0].obj, LX_OBJ_SYSCTL);
	cr_assert_str_eq(f.plan.ops[0].u.kv.value, "1");
	cr_assert_str_eq(f.plan.ops[0].u.kv.observed, "0");
	fx_free(&f);
}

Test(sysctl_diff, unobserved_desired_key_is_still_planned)
{
	struct fx f = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&f.desired, "net.ipv4.ip_forward", "1"), 0);
	cr_assert_eq(lx_sysctl_diff(&f.desired, &f.observed, &f.owned, false,
				    &f.plan, &e),
		     0);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_null(f.plan.ops[0].u.kv.observed);
	fx_free(&f);
}

Test(sysctl_diff, removed_key_is_restored_when_revert_on_release)
{
	struct fx f = {0};
	struct lx_error e;

	cr_assert_eq(
	    lx_owned_kvs_set(&f.owned, "net.ipv4.ip_forward", "1", "0"), 0);
	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.ip_forward", "1"), 0);
	cr_assert_eq(lx_sysctl_diff(&f.desired, &f.observed, &f.owned, true,
				    &f.plan, &e),
		     0);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_DELETE);
	cr_assert_str_eq(f.plan.ops[0].u.kv.value, "0");
	fx_free(&f);
}

Test(sysctl_diff, removed_key_is_only_forgotten_without_revert)
{
	struct fx f = {0};
	struct lx_error e;

	cr_assert_eq(
	    lx_owned_kvs_set(&f.owned, "net.ipv4.ip_forward", "1", "0"), 0);
	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.ip_forward", "1"), 0);
	cr_assert_eq(
	    lx_sysctl_diff(NULL, &f.observed, &f.owned, false, &f.plan, &e), 0);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_eq(f.plan.ops[0].verb, LX_OP_DELETE);
	cr_assert_null(f.plan.ops[0].u.kv.value);
	fx_free(&f);
}

Test(sysctl_diff, restore_to_the_value_already_there_is_a_forget)
{
	struct fx f = {0};
	struct lx_error e;

	cr_assert_eq(
	    lx_owned_kvs_set(&f.owned, "net.ipv4.ip_forward", "1", "0"), 0);
	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.ip_forward", "0\n"), 0);
	cr_assert_eq(
	    lx_sysctl_diff(NULL, &f.observed, &f.owned, true, &f.plan, &e), 0);
	cr_assert_eq(f.plan.n, 1);
	cr_assert_null(f.plan.ops[0].u.kv.value);
	fx_free(&f);
}

Test(sysctl_diff, foreign_key_never_owned_is_left_alone)
{
	struct fx f = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.ip_forward", "1"), 0);
	cr_assert_eq(
	    lx_sysctl_diff(NULL, &f.observed, &f.owned, true, &f.plan, &e), 0);
	cr_assert_eq(f.plan.n, 0);
	fx_free(&f);
}

Test(sysctl_owned, original_is_the_value_before_the_first_write)
{
	struct lx_owned_kvs o = {0};
	struct lx_op op = {.verb = LX_OP_UPDATE, .obj = LX_OBJ_SYSCTL};

	op.u.kv.key = "net.ipv4.ip_forward";
	op.u.kv.value = "1";
	op.u.kv.observed = "0";
	cr_assert_eq(lx_kv_owned_update(&o, &op), 0);
	op.u.kv.value = "0";
	op.u.kv.observed = "1";
	cr_assert_eq(lx_kv_owned_update(&o, &op), 0);
	cr_assert_eq(o.n, 1);
	cr_assert_str_eq(o.v[0].applied, "0");
	cr_assert_str_eq(o.v[0].original, "0");
	op.verb = LX_OP_DELETE;
	cr_assert_eq(lx_kv_owned_update(&o, &op), 0);
	cr_assert_eq(o.n, 0);
	lx_owned_kvs_free(&o);
}

static bool eq(const char *key, const char *a, const char *b)
{
	(void)key;
	return lx_sysctl_equal(a, b);
}

Test(sysctl_owned, adopt_records_keys_already_at_the_desired_value)
{
	struct fx f = {0};

	cr_assert_eq(lx_kvs_add(&f.desired, "net.ipv4.ip_forward", "1"), 0);
	cr_assert_eq(lx_kvs_add(&f.desired, "net.ipv4.tcp_syncookies", "1"), 0);
	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.ip_forward", "1\n"), 0);
	cr_assert_eq(lx_kvs_add(&f.observed, "net.ipv4.tcp_syncookies", "1"),
		     0);
	/* owned from an earlier pass that wrote 0 over 7 */
	cr_assert_eq(
	    lx_owned_kvs_set(&f.owned, "net.ipv4.ip_forward", "0", "7"), 0);
	cr_assert_eq(lx_kvs_adopt(&f.desired, &f.observed, &f.owned, eq), 0);
	cr_assert_eq(f.owned.n, 2);
	struct lx_owned_kv *w =
	    lx_owned_kvs_find(&f.owned, "net.ipv4.ip_forward");
	cr_assert_str_eq(w->applied, "1");
	cr_assert_str_eq(w->original, "7", "the first original is kept");
	w = lx_owned_kvs_find(&f.owned, "net.ipv4.tcp_syncookies");
	cr_assert_str_eq(w->original, "1");
	fx_free(&f);
}
