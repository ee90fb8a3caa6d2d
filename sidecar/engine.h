/* SPDX-License-Identifier: MIT */
/*
 * The engine composes liblinx's subsystems (lib/subsys.c's list, each
 * driven through lib/source.h) for one target: it pins the target, opens
 * the host-side rtnl socket, enters the target's netns, opens the shared
 * handles (the environment the subsystems borrow), and runs passes. Used
 * by the single-shot commands, the resident daemon and the hook alike.
 */
#ifndef LX_ENGINE_H
#define LX_ENGINE_H

#include "cgroup.h"
#include "model.h"
#include "nl.h"
#include "policy.h"
#include "report.h"
#include "source.h"
#include "state.h"
#include "target.h"

struct lx_engine {
	struct lx_target target;
	struct lx_nl *host_nl;
	struct lx_nl *nl;
	struct lx_cgroup *cg;	  /* NULL: no cgroup known for this target */
	struct lx_source_env env; /* what the subsystems borrow */
	struct lx_source src[LX_SUB_MAX]; /* lx_subsystems[] order */
	size_t n_src;
	const struct lx_policy *policy;
	struct lx_desired desired; /* the one document: loops borrow it */
	struct lx_owned owned;
	struct lx_state state;
	json_t *record; /* the target's identity record (state.h "Binding") */
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
	const char *id;	    /* NULL = derived */
	const char *state_dir;
	bool create_state;
};

/* Open target and handles; enters the target netns. With create_state
 * (hook, run, reconcile), refuses (LX_ERR_POLICY) when a live sidecar holds
 * this id or serves this target (lx_state_check_owner). */
int lx_engine_open(struct lx_engine *e, const struct lx_engine_target *t,
		   const struct lx_policy *policy, struct lx_error *err) LX_WUR;
void lx_engine_close(struct lx_engine *e);

/* Load last_applied (and the stored desired state's JSON text, if wanted:
 * lx_state_load) from state.json. */
int lx_engine_load_state(struct lx_engine *e, struct lx_sb *desired,
			 struct lx_error *err) LX_WUR;

/*
 * Checks before anything is applied: the admin policy, then every
 * subsystem's check. LX_ERR_POLICY / LX_ERR_NOTFOUND on refusal.
 */
int lx_engine_check(struct lx_engine *e, const struct lx_desired *d,
		    struct lx_error *err) LX_WUR;

/*
 * Create the state dir that lx_engine_open found missing (when the target
 * asked for create_state). Call it once lx_engine_check has passed, so that
 * an invalid or refused request leaves nothing behind. No-op otherwise.
 */
int lx_engine_create_state(struct lx_engine *e, struct lx_error *err) LX_WUR;

/*
 * The bring-up every command that applies runs, in this order (it is the
 * security boundary): open (pin the target, enter its netns), load what
 * state.json says we own (saved: its stored desired document's text, or
 * NULL),
 * check d against the policy, create the state dir (only now, so a
 * refused request leaves nothing behind), set d as the desired state:
 * taken, not copied (lx_engine_set_desired: *d is left empty, a
 * 10,000-route document is not duplicated). On failure the engine is
 * closed and d is still the caller's; err says why.
 */
int lx_engine_bringup(struct lx_engine *e, const struct lx_engine_target *t,
		      const struct lx_policy *policy, struct lx_desired *d,
		      struct lx_sb *saved, struct lx_error *err) LX_WUR;

/* A start that failed after lx_engine_create_state: remove the state dir
 * if this engine created it (a failed start leaves nothing behind). */
void lx_engine_discard_state(struct lx_engine *e);

/*
 * Replace the desired state with d, taken without a copy (*d is left
 * empty; freeing it is a no-op): the engine owns the one document and the
 * loops borrow &e->desired. The old document is freed after the swap.
 * Does not check: call lx_engine_check first.
 */
void lx_engine_set_desired(struct lx_engine *e, struct lx_desired *d);

/*
 * One pass over every subsystem. apply=false: diff only (plan), ops stay
 * LX_OPS_PLANNED. Fills rep (reset first); a subsystem that could not run
 * says why in its part of rep. Returns 0 (rep->converged says the rest).
 */
int lx_engine_pass(struct lx_engine *e, bool apply, const char *trigger,
		   struct lx_report *rep);

/* Write-ahead ownership for every subsystem (source.h); NULL = none. */
void lx_engine_set_intent(struct lx_engine *e, lx_source_intent_fn fn,
			  void *data);

/* Teardown: remove = delete what we created (links with their veth
 * peers); revert = restore sysctls and cgroup knobs to their originals. */
void lx_engine_release(struct lx_engine *e, bool remove, bool revert,
		       struct lx_report *rep);

#endif
