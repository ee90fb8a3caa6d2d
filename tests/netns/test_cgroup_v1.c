/* SPDX-License-Identifier: MIT */
/*
 * cgroup source against the real cgroup v1 hierarchies of this host
 * (hybrid: v1 controllers, an empty cgroup2 at /sys/fs/cgroup/unified).
 * Each test creates /sys/fs/cgroup/{memory,pids,cpu}/lxtest-<pid>, moves a
 * sleeping child into it, resolves it through /proc/<child>/cgroup and
 * removes everything at the end.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"

/* In the order of enum lx_cg_ctrl. */
static const char *const ctrls[] = {"memory", "pids", "cpu", "cpuset", "blkio"};
#define NCTRLS 5
static char dirs[NCTRLS][128];
static pid_t child = -1;
static bool have_v1;

static void put(const char *dir, const char *file, const char *val)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s: %m", p);
	fprintf(f, "%s", val);
	cr_assert_eq(fclose(f), 0, "%s=%s: %m", p, val);
}

static char *get(int c, const char *file)
{
	static char buf[4][128];
	static int slot;
	char p[256], *b = buf[slot++ % 4];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dirs[c], file);
	f = fopen(p, "r");
	cr_assert_not_null(f, "%s", p);
	n = fread(b, 1, 127, f);
	b[n] = '\0';
	if (n && b[n - 1] == '\n')
		b[n - 1] = '\0';
	fclose(f);
	return b;
}

static void setup(void)
{
	char pid[32];

	have_v1 =
	    access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0 &&
	    access("/sys/fs/cgroup/pids/cgroup.procs", F_OK) == 0 &&
	    access("/sys/fs/cgroup/cpu/cpu.shares", F_OK) == 0 &&
	    access("/sys/fs/cgroup/cpuset/cpuset.cpus", F_OK) == 0 &&
	    access("/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device",
		   F_OK) == 0;
	if (!have_v1)
		return;
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(pid, sizeof(pid), "%d", (int)child);
	for (int c = 0; c < NCTRLS; c++) {
		snprintf(dirs[c], sizeof(dirs[c]),
			 "/sys/fs/cgroup/%s/lxtest-%d", ctrls[c],
			 (int)getpid());
		cr_assert(mkdir(dirs[c], 0755) == 0 || errno == EEXIST,
			  "%s: %m", dirs[c]);
		/* a v1 cpuset takes no task before it has CPUs and nodes */
		if (c == LX_CG_CPUSET) {
			put(dirs[c], "cpuset.cpus", "0-1");
			put(dirs[c], "cpuset.mems", "0");
		}
		put(dirs[c], "cgroup.procs", pid);
	}
}

static void teardown(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	for (int c = 0; c < NCTRLS; c++)
		if (dirs[c][0] && rmdir(dirs[c]) < 0 && errno != ENOENT)
			fprintf(stderr, "rmdir %s: %m\n", dirs[c]);
}

TestSuite(cgroup_v1, .init = setup, .fini = teardown);

static struct lx_cgroup *open_child(void)
{
	struct lx_cgroup *cg = NULL;
	struct lx_error e;

	if (!have_v1)
		cr_skip_test("no cgroup v1 memory/pids/cpu/cpuset/blkio on "
			     "this host");
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_open_pid(child, NULL, &cg, &e), 0, "%s", e.msg);
	return cg;
}

Test(cgroup_v1, hybrid_host_resolves_each_controller_to_v1)
{
	struct lx_cgroup *cg = open_child();

	for (int c = 0; c < NCTRLS; c++) {
		cr_assert(!cg->v2[c], "%s", lx_cg_ctrl_name(c));
		cr_assert_str_eq(cg->path[c], dirs[c]);
	}
	lx_cgroup_free(cg);
}

Test(cgroup_v1, converges_memory_and_pids_and_second_pass_is_no_op)
{
	struct lx_cgroup *cg = open_child();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *v = NULL;

	cr_assert_eq(lx_kvs_add(&d, "memory.max", "268435456"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "100"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0, "%s", e.msg);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0, "%s",
		     e.msg);
	cr_assert(rep.converged, "%s",
		  rep.plan.n && rep.plan.ops[0].error ? rep.plan.ops[0].error
						      : "");
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_APPLIED), 2);
	cr_assert_str_eq(rep.plan.ops[0].u.kv.file, "memory.limit_in_bytes");
	cr_assert_str_eq(get(0, "memory.limit_in_bytes"), "268435456");
	cr_assert_str_eq(get(1, "pids.max"), "100");
	cr_assert_str_eq(lx_owned_kvs_find(&w, "memory.max")->original, "max");
	cr_assert_str_eq(lx_owned_kvs_find(&w, "pids.max")->original, "max");
	cr_assert_eq(lx_cgroup_read(cg, "memory.max", NULL, &v, &e), 0);
	cr_assert_str_eq(v, "268435456");
	free(v);
	lx_plan_free(&rep.plan);

	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_eq(rep.plan.n, 0, "second pass planned %zu ops", rep.plan.n);

	/* release with revert: unlimited again */
	cr_assert_eq(lx_cgroup_release(cg, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_eq(w.n, 0);
	cr_assert_str_eq(get(0, "memory.limit_in_bytes"),
			 "9223372036854771712");
	cr_assert_str_eq(get(1, "pids.max"), "max");
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
	lx_owned_kvs_free(&w);
}

Test(cgroup_v1, page_rounded_memory_limit_converges)
{
	struct lx_cgroup *cg = open_child();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "memory.max", "100000001"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, false, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_str_eq(get(0, "memory.limit_in_bytes"), "99999744");
	lx_plan_free(&rep.plan);
	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, false, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 0);
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_cgroup_free(cg);
}

Test(cgroup_v1, raise_above_the_spawn_value_is_refused)
{
	struct lx_cgroup *cg;
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_error e;

	if (have_v1) {
		put(dirs[0], "memory.limit_in_bytes", "268435456");
		put(dirs[1], "pids.max", "100");
	}
	cg = open_child();
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "536870912"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "max"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY, "exit 5 kind");
	cr_assert_eq(e.lines, 2, "%s", e.msg);
	cr_assert(strstr(e.msg, "cgroup \"memory.max\" (io.linx.cgroup): "
				"refused: 536870912 is above the spawn value "
				"268435456"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "\"pids.max\" (io.linx.cgroup): refused: max "
				"is above the spawn value 100"),
		  "%s", e.msg);
	cr_assert_str_eq(get(0, "memory.limit_in_bytes"), "268435456");
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, true, &e), 0,
		     "--cgroup-allow-raise");
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
	lx_owned_kvs_free(&w);
}

Test(cgroup_v1, cpu_max_and_weight_are_translated)
{
	struct lx_cgroup *cg = open_child();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *v = NULL;

	cr_assert_eq(lx_kvs_add(&d, "cpu.max", "50000 200000"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpu.weight", "50"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged, "%s",
		  rep.plan.n && rep.plan.ops[0].error ? rep.plan.ops[0].error
						      : "");
	cr_assert_str_eq(get(2, "cpu.cfs_period_us"), "200000");
	cr_assert_str_eq(get(2, "cpu.cfs_quota_us"), "50000");
	cr_assert_str_eq(get(2, "cpu.shares"), "1286");
	cr_assert_eq(lx_cgroup_read(cg, "cpu.weight", NULL, &v, &e), 0);
	cr_assert_str_eq(v, "50");
	free(v);
	lx_plan_free(&rep.plan);
	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 0);
	cr_assert_eq(lx_cgroup_release(cg, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_str_eq(get(2, "cpu.cfs_quota_us"), "-1");
	cr_assert_str_eq(get(2, "cpu.cfs_period_us"), "100000");
	cr_assert_str_eq(get(2, "cpu.shares"), "1024");
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
	lx_owned_kvs_free(&w);
}

Test(cgroup_v1, swap_is_written_as_memsw_in_the_right_order)
{
	struct lx_cgroup *cg = open_child();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *v = NULL;

	if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK))
		cr_skip_test("no swap accounting (memory.memsw.*)");
	/* lower: limit first, then memsw = limit + swap */
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "268435456"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.swap.max", "67108864"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged, "%s / %s",
		  rep.plan.ops[0].error ? rep.plan.ops[0].error : "",
		  rep.plan.ops[1].error ? rep.plan.ops[1].error : "");
	cr_assert_str_eq(get(0, "memory.limit_in_bytes"), "268435456");
	cr_assert_str_eq(get(0, "memory.memsw.limit_in_bytes"), "335544320");
	cr_assert_eq(lx_cgroup_read(cg, "memory.swap.max", NULL, &v, &e), 0);
	cr_assert_str_eq(v, "67108864");
	free(v);
	lx_plan_free(&rep.plan);

	/* raise both (memsw must move first) */
	lx_kvs_free(&d);
	cr_assert_eq(lx_kvs_add(&d, "memory.max", "536870912"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.swap.max", "67108864"), 0);
	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged, "%s / %s",
		  rep.plan.ops[0].error ? rep.plan.ops[0].error : "",
		  rep.plan.n > 1 && rep.plan.ops[1].error
		      ? rep.plan.ops[1].error
		      : "");
	cr_assert_str_eq(get(0, "memory.limit_in_bytes"), "536870912");
	cr_assert_str_eq(get(0, "memory.memsw.limit_in_bytes"), "603979776");
	lx_plan_free(&rep.plan);

	/* release with revert: back to unlimited, memsw first */
	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_release(cg, &w, true, &rep, &e), 0);
	cr_assert(rep.converged, "%s",
		  rep.plan.n && rep.plan.ops[0].error ? rep.plan.ops[0].error
						      : "");
	cr_assert_str_eq(get(0, "memory.limit_in_bytes"),
			 "9223372036854771712");
	cr_assert_str_eq(get(0, "memory.memsw.limit_in_bytes"),
			 "9223372036854771712");
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
	lx_owned_kvs_free(&w);
}

static bool has(int c, const char *file)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dirs[c], file);
	return access(p, F_OK) == 0;
}

/* MAJ:MIN of a whole disk that blk-throttle accepts, "" when none. */
static const char *a_disk(void)
{
	static char dev[32];
	DIR *d = opendir("/sys/block");
	struct dirent *e;

	dev[0] = '\0';
	while (d && (e = readdir(d)) && !dev[0]) {
		char p[300];
		FILE *f;

		if (e->d_name[0] == '.' || !strncmp(e->d_name, "loop", 4) ||
		    !strncmp(e->d_name, "ram", 3) ||
		    !strncmp(e->d_name, "zram", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/dev", e->d_name);
		f = fopen(p, "r");
		if (f && fscanf(f, "%31s", dev) != 1)
			dev[0] = '\0';
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return dev;
}

Test(cgroup_v1, new_keys_memory_low_cpu_idle_cpuset_io_max_converge)
{
	struct lx_cgroup *cg = open_child();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char io[96], want[96];

	if (!a_disk()[0])
		cr_skip_test("no block device for blkio.throttle");
	snprintf(io, sizeof(io), "%s rbps=1048576 wiops=100", a_disk());
	cr_assert_eq(lx_kvs_add(&d, "memory.low", "67108864"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpu.idle", "1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpuset.cpus", "0"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpuset.mems", "0"), 0);
	cr_assert_eq(lx_kvs_add(&d, "io.max", io), 0);
	/* BFQ's weight file is there in a child cgroup when BFQ is loaded */
	if (has(4, "blkio.bfq.weight"))
		cr_assert_eq(lx_kvs_add(&d, "io.weight", "100"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), 0, "%s", e.msg);
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0, "%s",
		     e.msg);
	for (size_t i = 0; i < rep.plan.n; i++)
		cr_assert_null(rep.plan.ops[i].error, "%s",
			       rep.plan.ops[i].error);
	cr_assert(rep.converged);
	cr_assert_str_eq(get(0, "memory.soft_limit_in_bytes"), "67108864");
	cr_assert_str_eq(get(2, "cpu.idle"), "1");
	cr_assert_str_eq(get(3, "cpuset.cpus"), "0");
	snprintf(want, sizeof(want), "%s 1048576", a_disk());
	cr_assert_str_eq(get(4, "blkio.throttle.read_bps_device"), want);
	snprintf(want, sizeof(want), "%s 100", a_disk());
	cr_assert_str_eq(get(4, "blkio.throttle.write_iops_device"), want);
	cr_assert_str_eq(get(4, "blkio.throttle.write_bps_device"), "",
			 "a field the document leaves out is not written");
	if (has(4, "blkio.bfq.weight"))
		cr_assert_str_eq(get(4, "blkio.bfq.weight"), "19",
				 "weight 100 is BFQ's 19 (runc's formula)");
	lx_plan_free(&rep.plan);

	rep = (struct lx_subreport){0};
	cr_assert_eq(lx_cgroup_reconcile(cg, &d, &w, true, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 0, "second pass planned %zu ops (%s)",
		     rep.plan.n, rep.plan.n ? rep.plan.ops[0].u.kv.key : "");

	/* release with revert: everything as at spawn */
	cr_assert_eq(lx_cgroup_release(cg, &w, true, &rep, &e), 0);
	cr_assert(rep.converged, "%s",
		  rep.plan.n && rep.plan.ops[0].error ? rep.plan.ops[0].error
						      : "");
	cr_assert_str_eq(get(0, "memory.soft_limit_in_bytes"),
			 "9223372036854771712");
	cr_assert_str_eq(get(2, "cpu.idle"), "0");
	cr_assert_str_eq(get(3, "cpuset.cpus"), "0-1");
	cr_assert_str_eq(get(4, "blkio.throttle.read_bps_device"), "");
	cr_assert_str_eq(get(4, "blkio.throttle.write_iops_device"), "");
	if (has(4, "blkio.bfq.weight"))
		cr_assert_str_eq(get(4, "blkio.bfq.weight"), "100");
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
	lx_owned_kvs_free(&w);
}

Test(cgroup_v1, keys_without_a_v1_file_are_refused_naming_the_reason)
{
	struct lx_cgroup *cg = open_child();
	struct lx_kvs d = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "memory.high", "67108864"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.min", "67108864"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.oom.group", "1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "pids.max", "10"), 0);
	lx_error_clear(&e);
	cr_assert_lt(lx_cgroup_check(cg, &d, false, &e), 0);
	cr_assert_eq(e.kind, LX_ERR_INVALID, "exit 3");
	cr_assert_eq(e.lines, 3, "%s", e.msg);
	cr_assert(strstr(e.msg, "cgroup \"memory.high\" (io.linx.cgroup): not "
				"possible on this cgroup v1 host: cgroup v1 "
				"has no memory.high (runc maps the v1 soft "
				"limit"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "\"memory.min\""), "%s", e.msg);
	cr_assert(strstr(e.msg, "\"memory.oom.group\""), "%s", e.msg);
	cr_assert_null(strstr(e.msg, "pids.max"), "%s", e.msg);
	lx_kvs_free(&d);

	/* without BFQ's weight file (not on a root, and only where BFQ is
	 * loaded) io.weight has no v1 file; no hugetlb hierarchy here */
	if (have_v1 && !has(4, "blkio.bfq.weight")) {
		cr_assert_eq(lx_kvs_add(&d, "io.weight", "100"), 0);
		lx_error_clear(&e);
		cr_assert_lt(lx_cgroup_check(cg, &d, false, &e), 0);
		cr_assert(strstr(e.msg, "blkio.bfq.weight is absent"), "%s",
			  e.msg);
		cr_assert(strstr(e.msg, "BFQ"), "%s", e.msg);
		lx_kvs_free(&d);
	}
	if (access("/sys/fs/cgroup/hugetlb", F_OK) != 0) {
		cr_assert_eq(lx_kvs_add(&d, "hugetlb.2MB.max", "4194304"), 0);
		lx_error_clear(&e);
		cr_assert_lt(lx_cgroup_check(cg, &d, false, &e), 0);
		/* hugetlb, bound to no v1 hierarchy, is the unified root's
		 * here: a root, refused as such */
		cr_assert(strstr(e.msg, "the hugetlb controller is not "
					"available") ||
			      strstr(e.msg, "hugetlb cgroup /sys/fs/cgroup/"
					    "unified is a hierarchy's root"),
			  "%s", e.msg);
		lx_kvs_free(&d);
	}
	cr_assert_str_eq(get(1, "pids.max"), "max", "nothing written");
	lx_cgroup_free(cg);
}

Test(cgroup_v1, raises_of_the_new_keys_are_refused)
{
	struct lx_cgroup *cg;
	struct lx_kvs d = {0};
	struct lx_error e;
	char io[96];

	if (have_v1) {
		put(dirs[3], "cpuset.cpus", "0");
		put(dirs[2], "cpu.idle", "1");
		put(dirs[0], "memory.soft_limit_in_bytes", "67108864");
	}
	cg = open_child();
	cr_assert_eq(lx_kvs_add(&d, "cpuset.cpus", "0-1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "cpu.idle", "0"), 0);
	cr_assert_eq(lx_kvs_add(&d, "memory.low", "134217728"), 0);
	if (a_disk()[0]) {
		char p[200];

		snprintf(p, sizeof(p), "%s 1000", a_disk());
		put(dirs[4], "blkio.throttle.read_bps_device", p);
		snprintf(io, sizeof(io), "%s rbps=2000", a_disk());
		cr_assert_eq(lx_kvs_add(&d, "io.max", io), 0);
	}
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, false, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert_eq(e.lines, a_disk()[0] ? 4u : 3u, "%s", e.msg);
	cr_assert(strstr(e.msg, "\"cpuset.cpus\" (io.linx.cgroup): refused: "
				"0-1 is above the spawn value 0"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "\"cpu.idle\""), "%s", e.msg);
	cr_assert(strstr(e.msg, "\"memory.low\""), "%s", e.msg);
	lx_error_clear(&e);
	cr_assert_eq(lx_cgroup_check(cg, &d, true, &e), 0, "%s", e.msg);
	if (a_disk()[0]) {
		char p[200];

		/* blk-throttle rules outlive the cgroup's tasks: drop it */
		snprintf(p, sizeof(p), "%s 0", a_disk());
		put(dirs[4], "blkio.throttle.read_bps_device", p);
	}
	lx_kvs_free(&d);
	lx_cgroup_free(cg);
}
