/* SPDX-License-Identifier: MIT */
/*
 * The engine composes liblinx's subsystems (rtnl, sysctl, cgroup) for one
 * target: it pins the target, opens the host-side rtnl socket, enters the
 * target's netns, opens the target-side handles, and runs passes. Used by
 * the single-shot commands, the resident daemon and the hook alike.
 */
#ifndef LX_ENGINE_H
#define LX_ENGINE_H

#include "cgroup.h"
#include "model.h"
#include "nl.h"
#include "policy.h"
#include "report.h"
#include "rtnl.h"
#include "state.h"
#include "sysctl.h"
#include "target.h"

struct lx_engine {
	struct lx_target target;
	struct lx_nl *host_nl;
	struct lx_nl *nl;
	struct lx_rtnl_ctx rtnl;
	struct lx_sysctl_ctx sysctl;
	struct lx_cgroup *cg; /* NULL: no cgroup known for this target */
	const struct lx_policy *policy;
	struct lx_desired desired;
	struct lx_owned owned;
	struct lx_state state;
	char *state_dir; /* set while the state dir waits for create_state */
	/* DIR for commands that act (hook, run, reconcile): lx_engine_open
	 * checks there that no live sidecar holds the id or the namespace. */
	const char *exclusive_dir;
	char id[129];
	uint64_t passes;
};

struct lx_engine_target {
	pid_t pid;
	const char *netns;
	const char *cgroup; /* a cgroup v2 directory, overrides discovery */
	const char *id;     /* NULL = derived */
	const char *state_dir;
	bool create_state;
};

/* Open target and handles; enters the target netns. With create_state
 * (hook, run, reconcile), refuses (LX_ERR_POLICY) when a live sidecar holds
 * this id or serves this target (lx_state_check_owner). */
int lx_engine_open(struct lx_engine *e, const struct lx_engine_target *t,
		   const struct lx_policy *policy, struct lx_error *err) LX_WUR;
void lx_engine_close(struct lx_engine *e);

/* Load last_applied (and the stored desired state, if wanted) from state.json. */
int lx_engine_load_state(struct lx_engine *e, json_t **desired,
			 struct lx_error *err) LX_WUR;

/*
 * Checks before anything is applied: admin policy, sysctls into the host
 * netns, cgroup tighten-only. LX_ERR_POLICY / LX_ERR_NOTFOUND on refusal.
 */
int lx_engine_check(struct lx_engine *e, const struct lx_desired *d,
		    struct lx_error *err) LX_WUR;

/*
 * Create the state dir that lx_engine_open found missing (when the target
 * asked for create_state). Call it once lx_engine_check has passed, so that
 * an invalid or refused request leaves nothing behind. No-op otherwise.
 */
int lx_engine_create_state(struct lx_engine *e, struct lx_error *err) LX_WUR;

/* A start that failed after lx_engine_create_state: remove the state dir
 * if this engine created it (a failed start leaves nothing behind). */
void lx_engine_discard_state(struct lx_engine *e);

/* Replace the desired state (copied). Does not check: call check first. */
int lx_engine_set_desired(struct lx_engine *e, const struct lx_desired *d) LX_WUR;

/*
 * One pass over every subsystem. apply=false: diff only (plan), ops stay
 * LX_OPS_PLANNED. Fills rep (reset first). Returns 0 when the pass ran
 * (rep->converged says the rest).
 */
int lx_engine_pass(struct lx_engine *e, bool apply, const char *trigger,
		   struct lx_report *rep, struct lx_error *err);

/* Subsystem passes, for the resident loop's sources. */
int lx_engine_pass_rtnl(struct lx_engine *e, const struct lx_desired *d,
			struct lx_subreport *rep, struct lx_error *err);
int lx_engine_pass_sysctl(struct lx_engine *e, const struct lx_desired *d,
			  struct lx_subreport *rep, struct lx_error *err);
int lx_engine_pass_cgroup(struct lx_engine *e, const struct lx_desired *d,
			  struct lx_subreport *rep, struct lx_error *err);

/* Teardown: links = delete the links we created (with their veth peers);
 * revert = restore sysctls and cgroup knobs to their original values. */
void lx_engine_release(struct lx_engine *e, bool links, bool revert,
		       struct lx_report *rep);

#endif
