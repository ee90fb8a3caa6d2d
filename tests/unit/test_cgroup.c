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
	struct lx_cg_write w[4];

	cr_assert_eq(lx_cg_to_v1(key, value, limit, w), n, "%s=%s", key, value);
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
	tr("memory.low", "1048576", NULL, 1, "memory.soft_limit_in_bytes",
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
	cr_assert(lx_cg_equal("memory.max", "max", "9223372036854771712"));
	cr_assert(lx_cg_equal("memory.max", "max", "-1"));
	cr_assert(lx_cg_equal("memory.max", "268435457", "268435456"));
	cr_assert(!lx_cg_equal("memory.max", "268435456", "268439552"));
	cr_assert(!lx_cg_equal("memory.max", "max", "268435456"));
	cr_assert(lx_cg_equal("pids.max", "100", "100\n"));
	cr_assert(!lx_cg_equal("pids.max", "100", "max"));
	cr_assert(lx_cg_equal("cpu.max", "max 100000", "max\t100000"));
	cr_assert(lx_cg_equal("cpu.max", "max", "max 100000"));
	cr_assert(!lx_cg_equal("cpu.max", "50000 100000", "max 100000"));
	cr_assert(!lx_cg_equal("cpu.max", "50000 100000", "50000 200000"));
}

/* A cgroup with no controller open: the diff only asks which are v1. */
static struct lx_cgroup no_cgroup = {.fd = {-1, -1, -1, -1, -1, -1}};

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
	cr_assert_eq(lx_cgroup_diff(&no_cgroup, &d, &o, &w, true, &plan, &e),
		     0);
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
	cr_assert(lx_cg_is_raise("memory.max", "536870912", "268435456"));
	cr_assert(!lx_cg_is_raise("memory.max", "268435456", "536870912"));
	cr_assert(!lx_cg_is_raise("memory.max", "268435456", "max"));
	cr_assert(lx_cg_is_raise("memory.max", "max", "268435456"));
	cr_assert(!lx_cg_is_raise("memory.max", "max", "9223372036854771712"));
	cr_assert(!lx_cg_is_raise("memory.max", "268435457", "268435456"),
		  "same page count is not a raise");
	cr_assert(lx_cg_is_raise("pids.max", "101", "100"));
	cr_assert(!lx_cg_is_raise("pids.max", "100", "100"));
	/* cpu.max compares quota/period */
	cr_assert(!lx_cg_is_raise("cpu.max", "100000 200000", "50000 100000"));
	cr_assert(lx_cg_is_raise("cpu.max", "100001 200000", "50000 100000"));
	cr_assert(lx_cg_is_raise("cpu.max", "max 100000", "50000 100000"));
	cr_assert(!lx_cg_is_raise("cpu.max", "50000 100000", "max 100000"));
	/* documented: a higher weight takes CPU from the neighbours */
	cr_assert(lx_cg_is_raise("cpu.weight", "200", "100"));
	cr_assert(!lx_cg_is_raise("cpu.weight", "50", "100"));
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
	lx_cgroup_layout_free(&l);
	lx_cgroup_layout_free(&l); /* idempotent */
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
	lx_cgroup_layout_free(&l);
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
	mk("proc/4242/ns");
	mk("proc/self");
	mk("root");
	mk("root/sys");
	mk("root/sys/fs");
	mk("root/sys/fs/cgroup");
	mk("root/sys/fs/cgroup/kubepods");
	mk("root/sys/fs/cgroup/kubepods/x");
	put("proc/4242/cgroup", "0::/kubepods/x\n");
	put("proc/4242/ns/pid", "the init's pid namespace");
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

	for (int c = 0; c <= LX_CG_CPU; c++) {
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
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0, "%s", e.msg);
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
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0,
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
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert(strstr(e.msg, "cgroup \"memory.max\" (io.linx.cgroup): "
				"refused: 536870912 is above the spawn value "
				"268435456"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "\"cpu.weight\""), "%s", e.msg);
	cr_assert_null(strstr(e.msg, "pids.max"), "%s", e.msg);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, true, &e), 0);

	/* once owned, the spawn value is the original, not the current */
	cr_assert_eq(
	    lx_owned_kvs_set(&w, "memory.max", "134217728", "268435456"), 0);
	put(CG "memory.max", "134217728\n");
	lx_kvs_free(&d);
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "268435456"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0, "%s", e.msg);
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
	cr_assert_eq(lx_cgroup_read(cg, "cpu.max", NULL, &v, &e), 0);
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

/* ------------------------------------------------ one test per row */

static void norm(const char *key, const char *in, const char *want)
{
	char out[256], why[600];

	cr_assert_eq(
	    lx_cg_normalize(key, in, in, out, sizeof(out), why, sizeof(why)), 0,
	    "%s=%s: %s", key, in, why);
	cr_assert_str_eq(out, want, "%s=%s", key, in);
}

static void bad(const char *key, const char *in, const char *why_has)
{
	char out[256], why[600];

	cr_assert_lt(
	    lx_cg_normalize(key, in, in, out, sizeof(out), why, sizeof(why)), 0,
	    "%s=%s accepted as %s", key, in, out);
	cr_assert(strstr(why, why_has), "%s=%s: %s", key, in, why);
}

/* The v1 form of value read back gives value again. */
static void v1_round_trip(const char *key, const char *value, const char *extra)
{
	struct lx_cg_write w[4];
	const char *texts[4] = {NULL};
	char out[256];
	int n = lx_cg_to_v1(key, value, extra ? extra : "max", w);

	cr_assert_gt(n, 0, "%s=%s", key, value);
	for (int i = 0; i < n; i++)
		texts[i] = w[i].value;
	cr_assert_eq(lx_cg_from_v1(key, texts, extra, value, out, sizeof(out)),
		     0, "%s=%s", key, value);
	cr_assert(lx_cg_equal(key, value, out), "%s: %s -> %s", key, value,
		  out);
}

Test(cgroup_rows, every_row_has_a_v1_file_or_says_why_not)
{
	char files[4][64];

	for (size_t i = 0; i < lx_cg_nrows; i++) {
		const struct lx_cg_row *r = &lx_cg_rows[i];
		const char *key =
		    r->conv == LX_CGC_HUGETLB ? "hugetlb.2MB.max" : r->key;

		cr_assert_eq(lx_cg_row_find(key), r, "%s", key);
		cr_assert(lx_cg_v1_files(key, files) > 0 || r->no_v1,
			  "%s: neither a v1 file nor a reason", key);
	}
	cr_assert_eq(lx_cg_v1_files("memory.high", files), 0);
	cr_assert(strstr(lx_cg_row_find("memory.high")->no_v1, "memory.low"),
		  "the soft limit is memory.low's, as runc maps it");
	cr_assert_null(lx_cg_row_find("hugetlb.3XB.max"));
	cr_assert_null(lx_cg_row_find("hugetlb..max"));
	cr_assert_null(lx_cg_row_find("cgroup.procs"));
}

Test(cgroup_rows, memory_low_is_the_v1_soft_limit)
{
	norm("memory.low", "64M", "67108864");
	norm("memory.low", "max", "max");
	tr("memory.low", "67108864", NULL, 1, "memory.soft_limit_in_bytes",
	   "67108864", NULL, NULL);
	v1_round_trip("memory.low", "67108864", NULL);
	cr_assert(lx_cg_equal("memory.low", "max", "9223372036854771712"));
	cr_assert(lx_cg_is_raise("memory.low", "134217728", "67108864"),
		  "more protection is more");
	cr_assert(!lx_cg_is_raise("memory.low", "0", "67108864"));
}

Test(cgroup_rows, memory_min_and_high_and_oom_group_are_v2_only)
{
	char files[4][64];
	struct lx_cg_write w[4];

	norm("memory.min", "1G", "1073741824");
	norm("memory.high", "512M", "536870912");
	norm("memory.oom.group", "1", "1");
	bad("memory.oom.group", "2", "(0 or 1)");
	cr_assert_eq(lx_cg_v1_files("memory.min", files), 0);
	cr_assert_eq(lx_cg_v1_files("memory.oom.group", files), 0);
	cr_assert_lt(lx_cg_to_v1("memory.min", "1", NULL, w), 0);
	cr_assert(lx_cg_is_raise("memory.min", "2147483648", "1073741824"));
	cr_assert(lx_cg_is_raise("memory.high", "max", "536870912"));
	cr_assert(lx_cg_is_raise("memory.oom.group", "0", "1"),
		  "giving up the group kill gives more");
	cr_assert(!lx_cg_is_raise("memory.oom.group", "1", "0"));
}

Test(cgroup_rows, cpu_idle_is_the_same_file_on_v1)
{
	norm("cpu.idle", "1", "1");
	bad("cpu.idle", "yes", "(0 or 1)");
	tr("cpu.idle", "1", NULL, 1, "cpu.idle", "1", NULL, NULL);
	v1_round_trip("cpu.idle", "0", NULL);
	cr_assert(lx_cg_is_raise("cpu.idle", "0", "1"),
		  "leaving SCHED_IDLE takes CPU from the others");
	cr_assert(!lx_cg_is_raise("cpu.idle", "1", "0"));
}

Test(cgroup_rows, cpuset_lists_compare_as_sets_and_a_larger_set_is_a_raise)
{
	norm("cpuset.cpus", "0,1,2,3,7", "0-3,7");
	norm("cpuset.cpus", "3-3", "3");
	norm("cpuset.mems", "0", "0");
	bad("cpuset.cpus", "", "invalid list");
	bad("cpuset.cpus", "3-1", "invalid list");
	bad("cpuset.cpus", "0,", "invalid list");
	bad("cpuset.cpus", "99999", "invalid list");
	tr("cpuset.cpus", "0-1", NULL, 1, "cpuset.cpus", "0-1", NULL, NULL);
	v1_round_trip("cpuset.mems", "0", NULL);
	cr_assert(lx_cg_equal("cpuset.cpus", "0,1", "0-1\n"));
	cr_assert(!lx_cg_equal("cpuset.cpus", "0", "0-1"));
	cr_assert(lx_cg_is_raise("cpuset.cpus", "0-2", "0-1"));
	cr_assert(lx_cg_is_raise("cpuset.cpus", "2", "0-1"), "not a subset");
	cr_assert(!lx_cg_is_raise("cpuset.cpus", "1", "0-1"));
	cr_assert(!lx_cg_is_raise("cpuset.cpus", "0-7", ""),
		  "an empty v2 cpuset is the parent's: nothing to raise");
}

Test(cgroup_rows, io_weight_is_bfq_weight_on_v1_with_runcs_formula)
{
	char out[64];

	norm("io.weight", "100", "100");
	bad("io.weight", "0", "out of range (1..10000)");
	tr("io.weight", "1", NULL, 1, "blkio.bfq.weight", "10", NULL, NULL);
	tr("io.weight", "10000", NULL, 1, "blkio.bfq.weight", "1000", NULL,
	   NULL);
	tr("io.weight", "100", NULL, 1, "blkio.bfq.weight", "19", NULL, NULL);
	for (unsigned long long b = 10; b <= 1000; b++)
		cr_assert_eq(lx_cg_weight_to_bfq(lx_cg_bfq_to_weight(b)), b,
			     "bfq %llu", b);
	cr_assert_eq(lx_cg_from_v2("io.weight", "default 100\n8:0 200\n", NULL,
				   out, sizeof(out)),
		     0);
	cr_assert_str_eq(out, "100");
	cr_assert(lx_cg_is_raise("io.weight", "200", "100"));
	cr_assert(!lx_cg_is_raise("io.weight", "50", "100"));
}

Test(cgroup_rows, io_max_names_one_device_and_only_its_fields_count)
{
	struct lx_cg_write w[4];
	char out[256];

	norm("io.max", "254:0 wbps=1048576 rbps=max",
	     "254:0 rbps=max wbps=1048576");
	bad("io.max", "254:0", "MAJ:MIN");
	bad("io.max", "254:0 rbps=1 rbps=2", "MAJ:MIN");
	bad("io.max", "sda rbps=1", "MAJ:MIN");
	bad("io.max", "254:0 speed=1", "MAJ:MIN");
	cr_assert_eq(
	    lx_cg_to_v1("io.max", "254:0 rbps=1000 wiops=max", NULL, w), 2);
	cr_assert_str_eq(w[0].file, "blkio.throttle.read_bps_device");
	cr_assert_str_eq(w[0].value, "254:0 1000");
	cr_assert_str_eq(w[1].file, "blkio.throttle.write_iops_device");
	cr_assert_str_eq(w[1].value, "254:0 0", "v1 removes a rule with 0");
	{
		const char *texts[4] = {"8:0 5\n254:0 1000\n", "", "",
					"254:0 77\n"};

		cr_assert_eq(lx_cg_from_v1("io.max", texts, NULL,
					   "254:0 rbps=1", out, sizeof(out)),
			     0);
		cr_assert_str_eq(out,
				 "254:0 rbps=1000 wbps=max riops=max wiops=77");
	}
	cr_assert_eq(lx_cg_from_v2("io.max",
				   "8:0 rbps=1 wbps=max riops=max wiops=max\n",
				   "254:0 rbps=5", out, sizeof(out)),
		     0);
	cr_assert_str_eq(out, "254:0 rbps=max wbps=max riops=max wiops=max",
			 "no line for the device: unlimited");
	cr_assert(lx_cg_equal("io.max", "254:0 rbps=1000",
			      "254:0 rbps=1000 wbps=max riops=max wiops=5"),
		  "fields the document leaves out are not compared");
	cr_assert(!lx_cg_equal("io.max", "254:0 rbps=1000", "8:0 rbps=1000"));
	cr_assert(
	    lx_cg_is_raise("io.max", "254:0 rbps=2000",
			   "254:0 rbps=1000 wbps=max riops=max wiops=max"));
	cr_assert(lx_cg_is_raise("io.max", "254:0 wiops=max", "254:0 wiops=5"));
	cr_assert(!lx_cg_is_raise("io.max", "254:0 rbps=500 wbps=9",
				  "254:0 rbps=1000 wbps=max"));
}

Test(cgroup_rows, hugetlb_limits_round_to_the_huge_page)
{
	char files[4][64];

	norm("hugetlb.2MB.max", "4M", "4194304");
	norm("hugetlb.1GB.max", "max", "max");
	cr_assert_eq(lx_cg_v1_files("hugetlb.2MB.max", files), 1);
	cr_assert_str_eq(files[0], "hugetlb.2MB.limit_in_bytes");
	tr("hugetlb.2MB.max", "max", NULL, 1, "hugetlb.2MB.limit_in_bytes",
	   "-1", NULL, NULL);
	v1_round_trip("hugetlb.2MB.max", "4194304", NULL);
	cr_assert(lx_cg_equal("hugetlb.2MB.max", "5242880", "4194304"),
		  "2.5 huge pages are kept as 2");
	cr_assert(lx_cg_is_raise("hugetlb.2MB.max", "8388608", "4194304"));
	cr_assert(!lx_cg_is_raise("hugetlb.2MB.max", "5242880", "4194304"));
}

Test(cgroup_rows, the_old_keys_keep_their_conversions)
{
	v1_round_trip("memory.max", "268435456", NULL);
	v1_round_trip("memory.swap.max", "1048576", "268435456");
	v1_round_trip("pids.max", "max", NULL);
	v1_round_trip("cpu.max", "50000 100000", NULL);
	v1_round_trip("cpu.weight", "50", NULL);
	norm("pids.max", "100", "100");
	bad("pids.max", "0", "(1.. or \"max\")");
	norm("cpu.max", "max", "max 100000");
	norm("cpu.max", "50000", "50000 100000");
	bad("cpu.max", "50000 0", "period 0 out of range");
	cr_assert(lx_cg_is_raise("memory.swap.max", "max", "1048576"));
}

/* The new keys on a synthetic cgroup v2 tree, the only v2 this host has. */
Test(cgroup_v2, new_keys_converge_read_back_and_revert)
{
	struct lx_cgroup *cg;
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	put(CG "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	put(CG "memory.low", "0\n");
	put(CG "memory.min", "0\n");
	put(CG "memory.oom.group", "0\n");
	put(CG "cpu.idle", "0\n");
	put(CG "cpuset.cpus", "0-3\n");
	put(CG "cpuset.mems", "0\n");
	put(CG "io.weight", "default 100\n");
	put(CG "io.max", "8:16 rbps=max wbps=max riops=5 wiops=max\n");
	put(CG "hugetlb.2MB.max", "max\n");
	cg = open_fake();
	cr_assert_eq(lx_kvs_add(&d, "memory.high", "134217728"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.oom.group", "1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpu.idle", "1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpuset.cpus", "1-2"), 0);
	cr_assert_eq(lx_kvs_add(&d, "io.weight", "50"), 0);
	cr_assert_eq(lx_kvs_add(&d, "io.max", "8:0 wbps=1048576"), 0);
	cr_assert_eq(lx_kvs_add(&d, "hugetlb.2MB.max", "4194304"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0, "%s", e.msg);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0, "%s",
		     e.msg);
	for (size_t i = 0; i < rep.plan.n; i++)
		cr_assert_null(rep.plan.ops[i].error, "%s",
			       rep.plan.ops[i].error);
	cr_assert(rep.converged);
	cr_assert_eq(rep.plan.n, 7);
	cr_assert_str_eq(get(CG "memory.high"), "134217728");
	cr_assert_str_eq(get(CG "cpuset.cpus"), "1-2");
	cr_assert_str_eq(get(CG "io.weight"), "50");
	cr_assert_str_eq(get(CG "io.max"), "8:0 wbps=1048576");
	cr_assert_str_eq(get(CG "hugetlb.2MB.max"), "4194304");
	cr_assert_str_eq(lx_owned_kvs_find(&w, "io.max")->original,
			 "8:0 rbps=max wbps=max riops=max wiops=max",
			 "no line for 8:0 at spawn: unlimited");
	cr_assert_str_eq(lx_owned_kvs_find(&w, "io.weight")->original, "100");
	lx_plan_free(&rep.plan);

	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 0);

	cr_assert_eq(lx_cgroup_release(cg, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_str_eq(get(CG "cpuset.cpus"), "0-3");
	cr_assert_str_eq(get(CG "io.weight"), "100");
	cr_assert_str_eq(get(CG "io.max"),
			 "8:0 rbps=max wbps=max riops=max wiops=max");
	cr_assert_str_eq(get(CG "hugetlb.2MB.max"), "max");
	cr_assert_str_eq(get(CG "memory.oom.group"), "0");
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);

	/* raises: a larger cpuset, a higher weight, a higher io limit (the
	 * kernel keeps one line per device; a plain file only the last
	 * write) */
	put(CG "io.max", "8:16 rbps=max wbps=max riops=5 wiops=max\n");
	cr_assert_eq(lx_kvs_add(&d, "cpuset.cpus", "0-4"), 0);
	cr_assert_eq(lx_kvs_add(&d, "io.weight", "200"), 0);
	cr_assert_eq(lx_kvs_add(&d, "io.max", "8:16 riops=6"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.min", "1048576"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), -EPERM);
	cr_assert_eq(e.lines, 4, "%s", e.msg);
	cr_assert(strstr(e.msg, "\"io.max\" (io.linx.cgroup): refused: 8:16 "
				"riops=6 is above the spawn value 8:16 "
				"rbps=max wbps=max riops=5 wiops=max"),
		  "%s", e.msg);
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_cgroup_free(cg);
}

/* A state left by another container says memory.max was "max" at spawn:
 * the baseline is the live cgroup's value, never that. */
Test(cgroup_v2, baseline_is_the_live_value_not_a_stale_original)
{
	struct lx_cgroup *cg;
	struct lx_kvs d = {0};
	struct lx_owned_kvs stale = {0};
	struct lx_error e;

	put(CG "pids.max", "20\n");
	cg = open_fake();
	cr_assert_eq(lx_owned_kvs_set(&stale, "pids.max", "20", "max"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "max"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), -EPERM,
		     "raise to max allowed by a stale original");
	cr_assert(strstr(e.msg, "max is above the spawn value 20"), "%s",
		  e.msg);
	/* the baseline stays the one seen first, after our own writes */
	put(CG "pids.max", "10\n");
	lx_kvs_free(&d);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "15"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0, "%s", e.msg);
	lx_kvs_free(&d);
	lx_owned_kvs_free(&stale);
	lx_cgroup_free(cg);
}

/* A cgroup holding a process of another pid namespace, and a root. */
Test(cgroup_v2, shared_or_root_cgroup_is_refused)
{
	struct lx_cgroup *cg;
	struct lx_kvs d = {0};
	struct lx_error e;
	char p[256];

	mk("proc/4343");
	mk("proc/4343/ns");
	put("proc/4343/ns/pid", "another pid namespace");
	mk("proc/4444");
	mk("proc/4444/ns");
	snprintf(p, sizeof(p), "%s/proc/4242/ns/pid", tmp);
	cr_assert_eq(
	    link(p, strcat(strcpy((char[256]){0}, tmp), "/proc/4444/ns/pid")),
	    0, "%m");
	put(CG "cgroup.procs", "4242\n4444\n");
	cg = open_fake();
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "10"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0,
		     "same pid namespace: %s", e.msg);
	put(CG "cgroup.procs", "4242\n4444\n4343\n9999\n");
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert(strstr(e.msg, "is shared: it holds pid 4343, whose pid "
				"namespace is not the container init's"),
		  "%s", e.msg);
	lx_cgroup_free(cg);

	/* the hierarchy's root */
	put("proc/4242/cgroup", "0::/\n");
	cg = open_fake();
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), -EPERM);
	cr_assert(strstr(e.msg, "is a hierarchy's root"), "%s", e.msg);
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
}
