/* SPDX-License-Identifier: MIT */
/*
 * cgroup source: the limits of one container's cgroup.
 *
 * Desired keys are cgroup v2 names and formats, already validated and
 * normalised by the document parser; the keys, their v1 translations and
 * their comparisons are the rows of cgroup_keys.h. Each controller is
 * driven through cgroup v2 when the container's unified cgroup lists it
 * in cgroup.controllers, else through its v1 hierarchy. A key with no v1
 * file on this host (memory.high, memory.min, memory.oom.group; io.weight
 * without BFQ; a controller that is not there at all) is refused by
 * lx_cgroup_check, naming the key and the reason.
 *
 * The cgroup comes from /proc/PID/cgroup and the sidecar's own mount table
 * (/proc/self/mountinfo: the host's, not the container's), never from
 * tenant input. Directories are opened beneath their mount point with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).
 *
 * The pass is the key/value engine's (kv.h); this file supplies its hooks.
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
#include "cgroup_keys.h"
#include "kv.h"

/* Where the files of the real system are; for tests. */
struct lx_cgroup_roots {
	const char *proc;   /* stands for /proc (PROC/PID/cgroup and
			       PROC/self/mountinfo); NULL = "/proc" */
	const char *prefix; /* prepended to every mount point; NULL = "" */
};

/* One resolved cgroup directory: mount point and path beneath it. */
struct lx_cgroup_loc {
	bool found;
	bool root; /* the path is the hierarchy's root ("/") */
	/* One allocation sized to need (a layout is PATH_MAX-bounded but
	 * short in practice): mnt, then rel right after its NUL. */
	char *mnt; /* prefix + mount point */
	char *rel; /* beneath mnt, no leading '/', "" = mount root */
};

struct lx_cgroup_layout {
	struct lx_cgroup_loc unified;	      /* cgroup2 "0::" */
	struct lx_cgroup_loc v1[LX_CG_NCTRL]; /* v1 hierarchy per controller */
};

/*
 * Pure: resolve the texts of /proc/PID/cgroup and a mountinfo into
 * directories. prefix (may be NULL) is prepended to mount points. Fails
 * (LX_ERR_NOTFOUND) only when neither a unified nor any v1 directory of a
 * known controller is found.
 */
int lx_cgroup_resolve(const char *cgroup_text, const char *mountinfo_text,
		      const char *prefix, struct lx_cgroup_layout *out,
		      struct lx_error *err) LX_WUR;

/* Free what lx_cgroup_resolve filled in (on success; on failure it has
 * freed it already). Idempotent. */
void lx_cgroup_layout_free(struct lx_cgroup_layout *l);

struct lx_cgroup {
	int fd[LX_CG_NCTRL];	 /* O_PATH dir fd per controller, -1 = none */
	bool v2[LX_CG_NCTRL];	 /* driven through cgroup v2 */
	bool root[LX_CG_NCTRL];	 /* the directory is a hierarchy's root */
	char *path[LX_CG_NCTRL]; /* for messages */
	pid_t pid;		 /* the container's init, 0 = not known */
	bool init_ns_known; /* its pid namespace, read at the first check */
	dev_t init_ns_dev;
	ino_t init_ns_ino;
	char *proc; /* stands for /proc (tests); NULL = "/proc" */
	/* Tighten-only baselines: each key's live value the first time it
	 * was checked, before any write of ours (see lx_cgroup_check). */
	struct lx_kvs spawn;
	lx_kv_intent_fn intent; /* write-ahead of originals; NULL = none */
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

/*
 * Read one setting, converted to v2 form. hint: a value of key (io.max
 * needs its device), may be NULL. -ENOENT/-EOPNOTSUPP when the file or
 * controller is missing.
 */
int lx_cgroup_read(struct lx_cgroup *cg, const char *key, const char *hint,
		   char **value, struct lx_error *err) LX_WUR;

/* The engine's pieces (kv.h) with the cgroup hooks. */
int lx_cgroup_observe(struct lx_cgroup *cg, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err) LX_WUR;
/* Three-way diff with lx_cg_equal, plus the writes v1 couples (memsw
 * moves with memory.max). cg only says which controllers are v1. */
int lx_cgroup_diff(struct lx_cgroup *cg, const struct lx_kvs *desired,
		   const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err) LX_WUR;
/* One pass (lx_kv_reconcile). Independent best-effort ops, except that
 * v1 memory.max / memory.swap.max are ordered so memsw >= limit holds. */
int lx_cgroup_reconcile(struct lx_cgroup *cg, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert,
			struct lx_subreport *rep, struct lx_error *err) LX_WUR;
/* Teardown: restore originals when revert, else forget. */
int lx_cgroup_release(struct lx_cgroup *cg, struct lx_owned_kvs *owned,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err) LX_WUR;

/*
 * Every check before anything is written, one line per problem:
 *   - a key this host cannot apply: no v1 file for it (the row's reason,
 *     or the file is absent: io.weight without BFQ, memsw without swap
 *     accounting) or its controller is neither in cgroup.controllers nor
 *     mounted as v1 (LX_ERR_INVALID);
 *   - the cgroup is shared: a hierarchy's root, or it holds a process
 *     whose pid namespace is not the init's (cg->pid) (LX_ERR_POLICY);
 *   - tighten-only: a desired value that gives more than the spawn value
 *     (lx_cg_is_raise) unless allow_raise (LX_ERR_POLICY), e.g.
 *       cgroup "memory.max" (io.linx.cgroup): refused: 536870912 is above
 *       the spawn value 268435456 (limits may only tighten;
 *       --cgroup-allow-raise)
 *     The spawn value is the live value the first time the key is
 *     checked by this cg (kept in cg->spawn), never an "original" from a
 *     state file: a state left by another container must not set the
 *     baseline.
 * Returns 0, or <0 with err's kind: INVALID before POLICY.
 */
int lx_cgroup_check(struct lx_cgroup *cg, const struct lx_kvs *desired,
		    bool allow_raise, struct lx_error *err) LX_WUR;

/*
 * The identity of the cgroup directories ("memory=DEV:INO,pids=..."):
 * what a state file records so that a state written for another cgroup
 * (a reused container id) is never adopted.
 */
void lx_cgroup_identity(const struct lx_cgroup *cg, char *buf, size_t len);

/* The source contract (source.h) over the functions above. */
extern const struct lx_subsys lx_cgroup_subsys;

#endif
