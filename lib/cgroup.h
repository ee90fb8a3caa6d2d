/* SPDX-License-Identifier: MIT */
/*
 * cgroup source: the limits of one container's cgroup.
 *
 * Desired keys are cgroup v2 names and formats, already validated and
 * normalised by the document parser:
 *   memory.max, memory.high, memory.swap.max  decimal bytes or "max"
 *   pids.max                                  integer or "max"
 *   cpu.max                                   "QUOTA PERIOD" or "max PERIOD"
 *   cpu.weight                                1..10000
 * Each controller (memory, pids, cpu) is driven through cgroup v2 when the
 * container's unified cgroup lists it in cgroup.controllers, else through
 * its v1 hierarchy, translated as runc and crun do:
 *   memory.max      -> memory.limit_in_bytes        ("max" -> -1)
 *   memory.high     -> memory.soft_limit_in_bytes   ("max" -> -1)
 *   memory.swap.max -> memory.memsw.limit_in_bytes = memory.max + swap
 *                      (either "max" -> -1; written before or after
 *                      memory.limit_in_bytes so that memsw >= limit holds)
 *   pids.max        -> pids.max
 *   cpu.max         -> cpu.cfs_period_us, then cpu.cfs_quota_us (max -> -1)
 *   cpu.weight      -> cpu.shares = 2 + ((weight - 1) * 262142) / 9999
 * Values read back are converted to the v2 form (9223372036854771712 ->
 * "max", shares -> weight); memory values compare after rounding down to
 * the page size, as the kernel stores them.
 *
 * The cgroup comes from /proc/PID/cgroup and the sidecar's own mount table
 * (/proc/self/mountinfo: the host's, not the container's), never from
 * tenant input. Directories are opened beneath their mount point with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).
 *
 * Tighten-only policy: see lx_cgroup_check_policy. cpu.weight is treated as
 * a limit too: a higher weight takes CPU time from the neighbours, so it is
 * refused as a raise unless allowed.
 */
#ifndef LX_CGROUP_H
#define LX_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "model.h"
#include "op.h"
#include "report.h"
#include "sysctl.h"

enum lx_cg_ctrl { LX_CG_MEMORY, LX_CG_PIDS, LX_CG_CPU, LX_CG_NCTRL };

/* "memory", "pids", "cpu" */
const char *lx_cg_ctrl_name(enum lx_cg_ctrl c);

/* Where the files of the real system are; for tests. */
struct lx_cgroup_roots {
	const char *proc;   /* stands for /proc (PROC/PID/cgroup and
			       PROC/self/mountinfo); NULL = "/proc" */
	const char *prefix; /* prepended to every mount point; NULL = "" */
};

/* One resolved cgroup directory: mount point and path beneath it. */
struct lx_cgroup_loc {
	bool found;
	char mnt[PATH_MAX]; /* prefix + mount point */
	char rel[PATH_MAX]; /* beneath mnt, no leading '/', "" = mount root */
};

struct lx_cgroup_layout {
	struct lx_cgroup_loc unified;	      /* cgroup2 "0::" */
	struct lx_cgroup_loc v1[LX_CG_NCTRL]; /* v1 hierarchy per controller */
};

/*
 * Pure: resolve the texts of /proc/PID/cgroup and a mountinfo into
 * directories. prefix (may be NULL) is prepended to mount points. Fails
 * (LX_ERR_NOTFOUND) only when neither a unified nor any v1 directory of
 * memory/pids/cpu is found.
 */
int lx_cgroup_resolve(const char *cgroup_text, const char *mountinfo_text,
		      const char *prefix, struct lx_cgroup_layout *out,
		      struct lx_error *err) LX_WUR;

struct lx_cgroup {
	int fd[LX_CG_NCTRL];	 /* O_PATH dir fd per controller, -1 = none */
	bool v2[LX_CG_NCTRL];	 /* driven through cgroup v2 */
	char *path[LX_CG_NCTRL]; /* for messages */
	lx_kv_intent_fn intent;	 /* write-ahead of originals; NULL = none */
	void *intent_data;
};

/*
 * Resolve and open the cgroup of pid (roots NULL = the real /proc and /).
 * LX_ERR_NOTFOUND when the pid or its cgroup is gone. *out: free with
 * lx_cgroup_free.
 */
int lx_cgroup_open_pid(pid_t pid, const struct lx_cgroup_roots *roots,
		       struct lx_cgroup **out, struct lx_error *err) LX_WUR;

/* Open a resolved layout (v2 per controller when listed). */
int lx_cgroup_open_layout(const struct lx_cgroup_layout *l,
			  struct lx_cgroup **out, struct lx_error *err) LX_WUR;

/*
 * Open an explicit cgroup v2 directory (--cgroup PATH, an admin's
 * argument). The controllers listed in its cgroup.controllers are used.
 */
int lx_cgroup_open_v2_dir(const char *path, struct lx_cgroup **out,
			  struct lx_error *err) LX_WUR;

void lx_cgroup_free(struct lx_cgroup *cg);

/* Known desired key? (the six names above) */
bool lx_cgroup_key_known(const char *key);

/*
 * Read one setting, converted to v2 form. -ENOENT/-EOPNOTSUPP when the
 * file or controller is missing.
 */
int lx_cgroup_read(struct lx_cgroup *cg, const char *key, char **value,
		   struct lx_error *err) LX_WUR;

/* Values of key equal, as the kernel stores them (page rounding, max). */
bool lx_cgroup_equal(const char *key, const char *a, const char *b);

/* Observe every key of desired and owned into observed (NULL = unreadable). */
int lx_cgroup_observe(struct lx_cgroup *cg, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err) LX_WUR;

/* Three-way diff (see lx_kvs_diff3), with lx_cgroup_equal. Pure. */
int lx_cgroup_diff(const struct lx_kvs *desired, const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err) LX_WUR;

/*
 * Translation to the files actually written (pure). On v2: one write of
 * (key, value). On v1: see the table above; memory.swap.max needs the
 * memory limit the write will sit next to (limit, v2 form: bytes or
 * "max"). Returns the number of writes filled (at most 2) or -EINVAL.
 */
struct lx_cg_write {
	char file[64];
	char value[64];
};
int lx_cgroup_translate_v1(const char *key, const char *value,
			   const char *limit, struct lx_cg_write w[2]) LX_WUR;

/* cpu.weight <-> cpu.shares (runc's conversion and its inverse). */
unsigned long long lx_cg_weight_to_shares(unsigned long long weight);
unsigned long long lx_cg_shares_to_weight(unsigned long long shares);

/*
 * Apply a cgroup plan, best-effort: independent ops, all attempted, except
 * that v1 memory.max / memory.swap.max are ordered so memsw >= limit holds
 * throughout. owned updated per op as for sysctls. Returns 0 or the first
 * failure (one line per failure in err).
 */
int lx_cgroup_apply(struct lx_cgroup *cg, struct lx_plan *plan,
		    struct lx_owned_kvs *owned, struct lx_error *err) LX_WUR;

/* One pass: observe, diff, apply, adopt. Same contract as the sysctl one. */
int lx_cgroup_reconcile(struct lx_cgroup *cg, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert,
			struct lx_subreport *rep, struct lx_error *err) LX_WUR;

/* Teardown: restore originals when revert, else forget. */
int lx_cgroup_release(struct lx_cgroup *cg, struct lx_owned_kvs *owned,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err) LX_WUR;

/*
 * Tighten-only: a desired limit above the spawn value (owned->original if
 * we own the key, else the current value) is refused unless allow_raise:
 * LX_ERR_POLICY, one line per key, e.g.
 *   cgroup "memory.max" (io.linx.cgroup): refused: 536870912 is above the
 *   spawn value 268435456 (limits may only tighten; --cgroup-allow-raise)
 * "max" is the top; cpu.max compares quota/period; cpu.weight higher is a
 * raise. A key whose file or controller is missing is left to apply (which
 * will fail it).
 */
int lx_cgroup_check_policy(struct lx_cgroup *cg, const struct lx_kvs *desired,
			   const struct lx_owned_kvs *owned, bool allow_raise,
			   struct lx_error *err) LX_WUR;

/* Pure core of the above: is desired a raise over spawn for key? */
bool lx_cgroup_is_raise(const char *key, const char *desired,
			const char *spawn);

/* The source contract (source.h) over the functions above. */
extern const struct lx_subsys lx_cgroup_subsys;

#endif
