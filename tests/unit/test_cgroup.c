/* SPDX-License-Identifier: MIT */
/*
 * Pure parts of the cgroup source (translation, comparison, tighten-only,
 * resolution over /proc texts), and a whole pass against a temporary
 * directory laid out like a cgroup2 mount.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

/* --------------------------------------------------------- translation */

static void tr(const char *key, const char *value, const char *limit, int n,
	       const char *f0, const char *v0, const char *f1, const char *v1)
{
	struct lx_cg_write w[2];

	cr_assert_eq(lx_cgroup_translate_v1(key, value, limit, w), n, "%s=%s",
		     key, value);
	cr_assert_str_eq(w[0].file, f0);
	cr_assert_str_eq(w[0].value, v0, "%s=%s", key, value);
	if (n == 2) {
		cr_assert_str_eq(w[1].file, f1);
		cr_assert_str_eq(w[1].value, v1);
	}
}

Test(cgroup_translate, v2_names_map_to_v1_files_as_runc_does)
{
	tr("memory.max", "268435456", NULL, 1, "memory.limit_in_bytes",
	   "268435456", NULL, NULL);
	tr("memory.max", "max", NULL, 1, "memory.limit_in_bytes", "-1", NULL,
	   NULL);
	tr("memory.high", "1048576", NULL, 1, "memory.soft_limit_in_bytes",
	   "1048576", NULL, NULL);
	tr("pids.max", "100", NULL, 1, "pids.max", "100", NULL, NULL);
	tr("pids.max", "max", NULL, 1, "pids.max", "max", NULL, NULL);
	tr("cpu.max", "50000 100000", NULL, 2, "cpu.cfs_period_us", "100000",
	   "cpu.cfs_quota_us", "50000");
	tr("cpu.max", "max 100000", NULL, 2, "cpu.cfs_period_us", "100000",
	   "cpu.cfs_quota_us", "-1");
	tr("cpu.weight", "100", NULL, 1, "cpu.shares", "2597", NULL, NULL);
	tr("cpu.weight", "1", NULL, 1, "cpu.shares", "2", NULL, NULL);
	tr("cpu.weight", "10000", NULL, 1, "cpu.shares", "262144", NULL, NULL);
}

Test(cgroup_translate, v1_memsw_is_memory_plus_swap)
{
	tr("memory.swap.max", "1048576", "268435456", 1,
	   "memory.memsw.limit_in_bytes", "269484032", NULL, NULL);
	tr("memory.swap.max", "max", "268435456", 1,
	   "memory.memsw.limit_in_bytes", "-1", NULL, NULL);
	tr("memory.swap.max", "1048576", "max", 1,
	   "memory.memsw.limit_in_bytes", "-1", NULL, NULL);
	tr("memory.swap.max", "0", "4096", 1, "memory.memsw.limit_in_bytes",
	   "4096", NULL, NULL);
}

Test(cgroup_translate, shares_round_trip_to_the_weight_we_wrote)
{
	for (unsigned long long w = 1; w <= 10000; w++)
		cr_assert_eq(lx_cg_shares_to_weight(lx_cg_weight_to_shares(w)),
			     w, "weight %llu", w);
	/* 1024 shares is what weight 40 writes; 1000 is runc's 39 */
	cr_assert_eq(lx_cg_weight_to_shares(40), 1024);
	cr_assert_eq(lx_cg_shares_to_weight(1024), 40);
	cr_assert_eq(lx_cg_shares_to_weight(1000), 39);
}

/* ---------------------------------------------------------- comparison */

Test(cgroup_equal, v1_unlimited_reads_as_max_and_memory_rounds_to_pages)
{
	cr_assert(lx_cgroup_equal("memory.max", "max", "9223372036854771712"));
	cr_assert(lx_cgroup_equal("memory.max", "max", "-1"));
	cr_assert(lx_cgroup_equal("memory.max", "268435457", "268435456"));
	cr_assert(!lx_cgroup_equal("memory.max", "268435456", "268439552"));
	cr_assert(!lx_cgroup_equal("memory.max", "max", "268435456"));
	cr_assert(lx_cgroup_equal("pids.max", "100", "100\n"));
	cr_assert(!lx_cgroup_equal("pids.max", "100", "max"));
	cr_assert(lx_cgroup_equal("cpu.max", "max 100000", "max\t100000"));
	cr_assert(lx_cgroup_equal("cpu.max", "max", "max 100000"));
	cr_assert(!lx_cgroup_equal("cpu.max", "50000 100000", "max 100000"));
	cr_assert(!lx_cgroup_equal("cpu.max", "50000 100000", "50000 200000"));
}

Test(cgroup_diff, three_way_with_page_rounding)
{
	struct lx_kvs d = {0}, o = {0};
	struct lx_owned_kvs w = {0};
	struct lx_plan plan = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "memory.max", "268435457"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "100"), 0);
	cr_assert_eq(lx_kvs_add(&o, "memory.max", "268435456"), 0);
	cr_assert_eq(lx_kvs_add(&o, "pids.max", "max"), 0);
	cr_assert_eq(lx_kvs_add(&o, "cpu.max", "50000 100000"), 0);
	cr_assert_eq(
	    lx_owned_kvs_set(&w, "cpu.max", "50000 100000", "max 100000"), 0);
	cr_assert_eq(lx_cgroup_diff(&d, &o, &w, true, &plan, &e), 0);
	cr_assert_eq(plan.n, 2);
	cr_assert_str_eq(plan.ops[0].u.kv.key, "pids.max");
	cr_assert_eq(plan.ops[0].obj, LX_OBJ_CGROUP);
	cr_assert_str_eq(plan.ops[1].u.kv.key, "cpu.max");
	cr_assert_eq(plan.ops[1].verb, LX_OP_DELETE);
	cr_assert_str_eq(plan.ops[1].u.kv.value, "max 100000");
	lx_plan_free(&plan);
	lx_kvs_free(&d);
	lx_kvs_free(&o);
	lx_owned_kvs_free(&w);
}

/* -------------------------------------------------------- tighten-only */

Test(cgroup_policy, raises_are_detected_max_is_the_top)
{
	cr_assert(lx_cgroup_is_raise("memory.max", "536870912", "268435456"));
	cr_assert(!lx_cgroup_is_raise("memory.max", "268435456", "536870912"));
	cr_assert(!lx_cgroup_is_raise("memory.max", "268435456", "max"));
	cr_assert(lx_cgroup_is_raise("memory.max", "max", "268435456"));
	cr_assert(
	    !lx_cgroup_is_raise("memory.max", "max", "9223372036854771712"));
	cr_assert(!lx_cgroup_is_raise("memory.max", "268435457", "268435456"),
		  "same page count is not a raise");
	cr_assert(lx_cgroup_is_raise("pids.max", "101", "100"));
	cr_assert(!lx_cgroup_is_raise("pids.max", "100", "100"));
	/* cpu.max compares quota/period */
	cr_assert(
	    !lx_cgroup_is_raise("cpu.max", "100000 200000", "50000 100000"));
	cr_assert(
	    lx_cgroup_is_raise("cpu.max", "100001 200000", "50000 100000"));
	cr_assert(lx_cgroup_is_raise("cpu.max", "max 100000", "50000 100000"));
	cr_assert(!lx_cgroup_is_raise("cpu.max", "50000 100000", "max 100000"));
	/* documented: a higher weight takes CPU from the neighbours */
	cr_assert(lx_cgroup_is_raise("cpu.weight", "200", "100"));
	cr_assert(!lx_cgroup_is_raise("cpu.weight", "50", "100"));
}

/* --------------------------------------------------------- resolution */

static const char hybrid_cgroup[] =
    "9:name=systemd:/\n8:pids:/lxtest-1\n7:blkio:/\n"
    "4:memory:/process_api/abc\n1:cpu:/a:b\n0::/\n";
static const char hybrid_mountinfo[] =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup "
    "rw,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup "
    "rw,cpuset\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup "
    "cgroup rw,memory\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup "
    "rw,pids\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 "
    "rw\n";

Test(cgroup_resolve, hybrid_host_finds_each_v1_controller_and_the_unified)
{
	struct lx_cgroup_layout l;
	struct lx_error e;

	cr_assert_eq(
	    lx_cgroup_resolve(hybrid_cgroup, hybrid_mountinfo, "/T", &l, &e),
	    0);
	cr_assert(l.unified.found);
	cr_assert_str_eq(l.unified.mnt, "/T/sys/fs/cgroup/unified");
	cr_assert_str_eq(l.unified.rel, "");
	cr_assert_str_eq(l.v1[LX_CG_MEMORY].mnt, "/T/sys/fs/cgroup/memory");
	cr_assert_str_eq(l.v1[LX_CG_MEMORY].rel, "process_api/abc");
	cr_assert_str_eq(l.v1[LX_CG_PIDS].mnt, "/T/sys/fs/cgroup/pids");
	cr_assert_str_eq(l.v1[LX_CG_PIDS].rel, "lxtest-1");
	/* "cpu" is not confused with cpuacct/cpuset; ':' in a path is kept */
	cr_assert_str_eq(l.v1[LX_CG_CPU].mnt, "/T/sys/fs/cgroup/cpu");
	cr_assert_str_eq(l.v1[LX_CG_CPU].rel, "a:b");
}

Test(cgroup_resolve, comounted_cpu_cpuacct_and_bind_mount_roots)
{
	static const char cg[] = "3:cpu,cpuacct:/kube/pod1\n0::/\n";
	static const char mi[] =
	    "31 30 0:28 /kube /mnt/cg\\040x rw - cgroup cgroup "
	    "rw,cpu,cpuacct\n";
	struct lx_cgroup_layout l;
	struct lx_error e;

	cr_assert_eq(lx_cgroup_resolve(cg, mi, NULL, &l, &e), 0);
	cr_assert(!l.unified.found);
	cr_assert_str_eq(l.v1[LX_CG_CPU].mnt, "/mnt/cg x");
	cr_assert_str_eq(l.v1[LX_CG_CPU].rel, "pod1");
}

Test(cgroup_resolve, path_outside_every_mount_root_is_not_found)
{
	static const char cg[] = "4:memory:/other/x\n";
	static const char mi[] =
	    "34 30 0:31 /kube /sys/fs/cgroup/memory rw - cgroup cgroup "
	    "rw,memory\n";
	struct lx_cgroup_layout l;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_lt(lx_cgroup_resolve(cg, mi, NULL, &l, &e), 0);
	cr_assert_eq(e.kind, LX_ERR_NOTFOUND);
}

/* ------------------------------------- a whole pass on a cgroup2 layout */

static char tmp[64];

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *rel)
{
	static char buf[256];
	char p[256];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	f = fopen(p, "r");
	cr_assert_not_null(f, "%s", p);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void mk(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
}

#define CG "root/sys/fs/cgroup/kubepods/x/"

static void v2_setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/lx-cg2.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	mk("proc");
	mk("proc/4242");
	mk("proc/self");
	mk("root");
	mk("root/sys");
	mk("root/sys/fs");
	mk("root/sys/fs/cgroup");
	mk("root/sys/fs/cgroup/kubepods");
	mk("root/sys/fs/cgroup/kubepods/x");
	put("proc/4242/cgroup", "0::/kubepods/x\n");
	put("proc/self/mountinfo",
	    "22 1 0:21 / /sys rw - sysfs sysfs rw\n"
	    "26 22 0:23 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 "
	    "cgroup2 rw,nsdelegate\n");
	put("root/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory "
						     "pids\n");
	put(CG "cgroup.controllers", "cpu memory pids\n");
	put(CG "memory.max", "max\n");
	put(CG "memory.high", "max\n");
	put(CG "pids.max", "max\n");
	put(CG "cpu.max", "max 100000\n");
	put(CG "cpu.weight", "100\n");
}

static void v2_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (tmp[0] && system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmp);
}

static struct lx_cgroup *open_fake(void)
{
	char proc[128], root[128];
	struct lx_cgroup_roots roots = {proc, root};
	struct lx_cgroup *cg = NULL;
	struct lx_error e;

	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(root, sizeof(root), "%s/root", tmp);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_open_pid(4242, &roots, &cg, &e), 0, "%s", e.msg);
	return cg;
}

TestSuite(cgroup_v2, .init = v2_setup, .fini = v2_teardown);

Test(cgroup_v2, synthetic_proc_cgroup_resolves_to_the_v2_directory)
{
	struct lx_cgroup *cg = open_fake();

	for (int c = 0; c < LX_CG_NCTRL; c++) {
		cr_assert(cg->v2[c], "%s", lx_cg_ctrl_name(c));
		cr_assert(
		    strstr(cg->path[c], "/root/sys/fs/cgroup/kubepods/x"));
	}
	lx_cgroup_free(cg);
}

Test(cgroup_v2, converges_then_second_pass_is_a_no_op_and_revert_restores)
{
	struct lx_cgroup *cg = open_fake();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "memory.max", "268435456"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "100"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpu.max", "50000 100000"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check_policy(cg, &d, &w, false, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0, "%s",
		     e.msg);
	cr_assert(rep.converged);
	cr_assert_eq(rep.plan.n, 3);
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_APPLIED), 3);
	cr_assert_null(rep.plan.ops[0].u.kv.file, "v2 writes as is");
	cr_assert_str_eq(get(CG "memory.max"), "268435456");
	cr_assert_str_eq(get(CG "pids.max"), "100");
	cr_assert_str_eq(get(CG "cpu.max"), "50000 100000");
	cr_assert_eq(w.n, 3);
	cr_assert_str_eq(lx_owned_kvs_find(&w, "memory.max")->original, "max");
	lx_plan_free(&rep.plan);

	/* the fake files hold exactly what we wrote: nothing to do */
	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_eq(rep.plan.n, 0);

	/* tighter is fine; a raise over the spawn value is refused */
	lx_kvs_free(&d);
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "max"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "50"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check_policy(cg, &d, &w, false, &e), 0,
		     "max is the spawn value: not a raise (%s)", e.msg);

	/* release with revert restores what was there at spawn */
	cr_assert_eq(lx_cgroup_release(cg, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_str_eq(get(CG "memory.max"), "max");
	cr_assert_str_eq(get(CG "pids.max"), "max");
	cr_assert_str_eq(get(CG "cpu.max"), "max 100000");
	cr_assert_eq(w.n, 0);
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
	lx_owned_kvs_free(&w);
}

Test(cgroup_v2, raise_over_the_spawn_value_is_refused_naming_both_values)
{
	struct lx_cgroup *cg;
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_error e;

	put(CG "memory.max", "268435456\n");
	put(CG "cpu.weight", "100\n");
	cg = open_fake();
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "536870912"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpu.weight", "200"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "10"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check_policy(cg, &d, &w, false, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert(strstr(e.msg, "cgroup \"memory.max\" (io.linx.cgroup): "
				"refused: 536870912 is above the spawn value "
				"268435456"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "\"cpu.weight\""), "%s", e.msg);
	cr_assert_null(strstr(e.msg, "pids.max"), "%s", e.msg);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check_policy(cg, &d, &w, true, &e), 0);

	/* once owned, the spawn value is the original, not the current */
	cr_assert_eq(
	    lx_owned_kvs_set(&w, "memory.max", "134217728", "268435456"), 0);
	put(CG "memory.max", "134217728\n");
	lx_kvs_free(&d);
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "268435456"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check_policy(cg, &d, &w, false, &e), 0, "%s",
		     e.msg);
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_cgroup_free(cg);
}

Test(cgroup_v2, missing_controller_fails_its_op_and_not_the_others)
{
	struct lx_cgroup *cg;
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	put(CG "cgroup.controllers", "memory\n");
	cg = open_fake();
	cr_assert_eq(cg->fd[LX_CG_PIDS], -1);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "10"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "1048576"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, false, &rep, &e), 0);
	cr_assert(!rep.converged);
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_FAILED), 1);
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_APPLIED), 1);
	cr_assert(strstr(rep.plan.ops[0].error, "pids controller not "
						"available"),
		  "%s", rep.plan.ops[0].error);
	cr_assert_str_eq(get(CG "memory.max"), "1048576");
	cr_assert_null(lx_owned_kvs_find(&w, "pids.max"));
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_cgroup_free(cg);
}

Test(cgroup_v2, explicit_directory_is_opened_as_v2)
{
	struct lx_cgroup *cg = NULL;
	struct lx_error e;
	char p[128], *v = NULL;

	snprintf(p, sizeof(p), "%s/" CG, tmp);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_open_v2_dir(p, &cg, &e), 0, "%s", e.msg);
	cr_assert_eq(lx_cgroup_read(cg, "cpu.max", &v, &e), 0);
	cr_assert_str_eq(v, "max 100000");
	free(v);
	lx_cgroup_free(cg);
	snprintf(p, sizeof(p), "%s/proc", tmp);
	lx_error_clear(&e);
	cr_assert_lt(lx_cgroup_open_v2_dir(p, &cg, &e), 0);
	cr_assert_eq(e.kind, LX_ERR_NOTFOUND);
}

Test(cgroup_v2, symlinked_cgroup_directory_is_not_followed)
{
	struct lx_cgroup *cg = NULL;
	char proc[128], root[128], p[256];
	struct lx_cgroup_roots roots = {proc, root};
	struct lx_error e;

	snprintf(p, sizeof(p), "%s/root/sys/fs/cgroup/kubepods/y", tmp);
	cr_assert_eq(symlink("/etc", p), 0);
	put("proc/4242/cgroup", "0::/kubepods/y\n");
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(root, sizeof(root), "%s/root", tmp);
	lx_error_clear(&e);
	cr_assert_lt(lx_cgroup_open_pid(4242, &roots, &cg, &e), 0);
	cr_assert_null(cg);
	put("proc/4242/cgroup", "0::/../../../../etc\n");
	lx_error_clear(&e);
	cr_assert_lt(lx_cgroup_open_pid(4242, &roots, &cg, &e), 0,
		     "escaping the mount with .. is refused");
}

/* Write-ahead: the callback runs before the first write, with the spawn
 * values recorded as originals. */
static int cg_intent_calls;
static char cg_live_at_intent[64], cg_original_at_intent[64];

static void cg_record_intent(void *data, enum lx_obj obj,
			     const struct lx_owned_kvs *ahead)
{
	const struct lx_owned_kv *w = lx_owned_kvs_find(ahead, "pids.max");

	(void)data;
	cr_assert_eq(obj, LX_OBJ_CGROUP);
	cr_assert_not_null(w);
	cg_intent_calls++;
	snprintf(cg_live_at_intent, sizeof(cg_live_at_intent), "%s",
		 get(CG "pids.max"));
	snprintf(cg_original_at_intent, sizeof(cg_original_at_intent), "%s",
		 w->original ? w->original : "(none)");
}

Test(cgroup_v2, spawn_values_are_announced_before_the_first_write)
{
	struct lx_cgroup *cg = open_fake();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cg->intent = cg_record_intent;
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "100"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0, "%s",
		     e.msg);
	cr_assert(rep.converged);
	cr_assert_eq(cg_intent_calls, 1);
	cr_assert_str_eq(cg_live_at_intent, "max\n", "not written yet");
	cr_assert_str_eq(cg_original_at_intent, "max");
	cr_assert_str_eq(get(CG "pids.max"), "100");
	lx_plan_free(&rep.plan);

	/* nothing new to own: no announcement on the next pass */
	rep = (struct lx_subreport){0};
	put(CG "pids.max", "90\n"); /* drift */
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 1);
	cr_assert_eq(cg_intent_calls, 1);
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
	lx_owned_kvs_free(&w);
}
