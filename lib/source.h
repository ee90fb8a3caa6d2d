/* SPDX-License-Identifier: MIT */
/*
 * The subsystem contract. Every subsystem (rtnl, sysctl, cgroup, ...) is
 * one file that exports one const ops table:
 *
 *     extern const struct lx_subsys lx_rtnl_subsys;
 *
 * and is listed once, in lib/subsys.c (lx_subsystems[]). Nothing else
 * names a subsystem: the engine (sidecar/engine.c) and the reconcile loop
 * (lib/loop.c) iterate over that list and drive each entry through the
 * verbs below, in this order:
 *
 *     wanted? -> open (once) -> check -> observe -> diff -> apply -> report
 *             -> ... more passes ...  -> release -> close
 *
 * `plan` is the same path with apply left out (lx_source_pass, apply =
 * false). The monitor verbs (subscribe, drain, unsubscribe) are optional.
 *
 * Ownership: the engine owns the environment (lx_source_env) and the
 * desired document; a subsystem instance borrows env for its whole life
 * and the document for the duration of one call. `owned` (last_applied)
 * is shared by every subsystem; each touches only its own section. What a
 * verb allocates for its output it documents below; every error goes into
 * the caller's err (set once, never edited afterwards), and the return
 * value alone says whether a verb failed.
 */
#ifndef LX_SOURCE_H
#define LX_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "op.h"
#include "report.h"

struct lx_nl;
struct lx_cgroup;
struct lx_policy;

/*
 * Write-ahead ownership: before an apply that creates something the owned
 * set does not record yet (a link, an address, a first write of a key
 * whose original must be restored), a subsystem calls intent with owned as
 * it will be once the plan succeeded, for the caller to persist. Best
 * effort (no return value): without memory for the copy nothing is told.
 */
typedef void (*lx_source_intent_fn)(void *data, const struct lx_owned *ahead);

/*
 * What a subsystem instance may use. Everything is borrowed: it belongs to
 * the engine and outlives every instance. The process is inside the
 * target's network namespace when open and every later verb run (sockets
 * or /proc/sys opened there act on the target).
 */
struct lx_source_env {
	struct lx_nl *nl;      /* rtnl socket in the target netns */
	struct lx_nl *host_nl; /* rtnl socket in the host netns, or NULL */
	int host_netns_fd;     /* the host netns, -1 if unknown */
	bool host_netns;       /* the target IS the sidecar's own netns */
	struct lx_cgroup *cg;  /* the target's cgroup, NULL if none known */
	const struct lx_policy *policy; /* the admin's policy, never NULL */
	const char *id;			/* the sidecar's id (names peers) */
	int monitor_rcvbuf;	    /* monitor receive buffer; 0 = default */
	lx_source_intent_fn intent; /* NULL = no write-ahead wanted */
	void *intent_data;
};

struct lx_subsys {
	/* Static, unique; the key of the subsystem in reports. */
	const char *name;

	/*
	 * Whether the subsystem has anything to do for this document and
	 * ownership. NULL = always. A subsystem that is not wanted is never
	 * opened (so a document without it loads no library and opens no
	 * socket for it) and reports converged with an empty plan. Pure.
	 */
	bool (*wanted)(const struct lx_desired *d,
		       const struct lx_owned *owned);

	/*
	 * Open an instance over env: *inst is the subsystem's own state
	 * (NULL is allowed when it needs none). Called once, on first use.
	 * NULL = nothing to open.
	 */
	int (*open)(void **inst, const struct lx_source_env *env,
		    struct lx_error *err);
	/* Free the instance (after unsubscribe). NULL-safe; NULL = none. */
	void (*close)(void *inst);

	/*
	 * Policy checks before anything is applied (hook start, put): may
	 * read the system, never writes. LX_ERR_POLICY / LX_ERR_NOTFOUND /
	 * LX_ERR_INVALID on refusal. inst is NULL when the subsystem is not
	 * open (check what can be checked without it). NULL = nothing.
	 */
	int (*check)(void *inst, const struct lx_source_env *env,
		     const struct lx_desired *d, const struct lx_owned *owned,
		     struct lx_error *err);

	/*
	 * Read the state that matters for d and owned into *observed, an
	 * opaque value the subsystem allocates and observed_free frees (the
	 * caller calls it, also after a failed diff or apply). May prune
	 * nothing and write nothing.
	 */
	int (*observe)(void *inst, const struct lx_desired *d,
		       const struct lx_owned *owned, void **observed,
		       struct lx_error *err);
	void (*observed_free)(void *observed);

	/*
	 * PURE: desired x observed x owned -> ops appended to plan (state
	 * LX_OPS_PLANNED). No I/O; inst is read-only configuration (e.g. a
	 * cgroup's v1/v2 layout, to name the files a plan writes).
	 */
	int (*diff)(const void *inst, const struct lx_desired *d,
		    const void *observed, const struct lx_owned *owned,
		    struct lx_plan *plan, struct lx_error *err);

	/*
	 * Run rep->plan (as diff made it): each op ends applied, failed or
	 * pending; update owned (write-ahead through env->intent first);
	 * set rep->converged. Fail-fast or best-effort is the subsystem's
	 * choice (its header says which). < 0 only when the pass as a whole
	 * could not run; failed ops alone are reported through their state.
	 */
	int (*apply)(void *inst, const struct lx_desired *d,
		     const void *observed, struct lx_owned *owned,
		     struct lx_subreport *rep, struct lx_error *err);

	/*
	 * Optional monitor. subscribe: a non-blocking fd >= 0 the loop polls
	 * for EPOLLIN, or -EOPNOTSUPP (none), or -errno. drain: read until
	 * EAGAIN; > 0 hints, 0 nothing, -ENOBUFS events lost (resync), other
	 * < 0 broken (the loop unsubscribes and subscribes again). drain
	 * also ORs into *deleted LX_OBJ_BIT(kind) for every kind of which it
	 * saw another process (not this instance's own sockets) delete an
	 * object: the loop's flap rule (loop.h) must not hold back the heal
	 * of a deletion. A monitor that cannot tell leaves it alone.
	 * unsubscribe closes the fd. All NULL = no monitor.
	 */
	int (*subscribe)(void *inst, struct lx_error *err);
	int (*drain)(void *inst, int fd, uint32_t *deleted);
	void (*unsubscribe)(void *inst, int fd);

	/*
	 * Optional: the subsystem's own members of its part of the report
	 * (beyond plan/converged/error), as a new JSON object stored in
	 * rep->state (freed with the subreport). Called after every pass.
	 */
	int (*report)(void *inst, const struct lx_owned *owned,
		      struct lx_subreport *rep);

	/*
	 * Teardown. remove: delete what we created (the target is gone, a
	 * refused start, or revert_on_release); revert: restore the values we
	 * changed to their originals. Best effort: every item is tried; ops
	 * go into rep->plan; owned loses what was released. NULL = nothing.
	 */
	int (*release)(void *inst, struct lx_owned *owned, bool remove,
		       bool revert, struct lx_subreport *rep,
		       struct lx_error *err);
};

/* The registration list (lib/subsys.c): NULL-terminated, in pass order. */
extern const struct lx_subsys *const lx_subsystems[];
size_t lx_subsys_count(void);

/* A subsystem bound to one target: what the engine and the loop hold. */
struct lx_source {
	const struct lx_subsys *ops;
	const struct lx_source_env *env; /* borrowed */
	void *inst;			 /* the open instance (see open) */
	bool opened;	      /* open ran (inst may legitimately be NULL) */
	uint64_t duration_us; /* of the last pass */
};

/* Bind ops to env; opens nothing. */
void lx_source_init(struct lx_source *s, const struct lx_subsys *ops,
		    const struct lx_source_env *env);

/* Open the instance if the subsystem is wanted and not open yet. 0 when
 * open or not wanted (then s->opened stays false). */
int lx_source_ensure(struct lx_source *s, const struct lx_desired *d,
		     const struct lx_owned *owned, struct lx_error *err) LX_WUR;

/* check, on an open instance or with inst NULL. */
int lx_source_check(struct lx_source *s, const struct lx_desired *d,
		    const struct lx_owned *owned, struct lx_error *err) LX_WUR;

/*
 * One pass into rep (reset first; rep->name set): ensure, observe, diff,
 * and with apply also apply; then report. A subsystem not wanted reports
 * converged. 0 = the pass ran (rep->converged says the rest); < 0 = it
 * could not (err says why, rep->error carries the same text).
 */
int lx_source_pass(struct lx_source *s, const struct lx_desired *d,
		   struct lx_owned *owned, bool apply, struct lx_subreport *rep,
		   struct lx_error *err);

/*
 * Between diff and apply, may set PLANNED ops of plan to LX_OPS_PENDING
 * or LX_OPS_FAILED (op->held): apply then leaves them alone (every
 * subsystem's apply runs PLANNED ops only; a FAILED op stops a fail-fast
 * pass as a diff's refusal does) and the report lists them so.
 */
typedef void (*lx_source_hold_fn)(void *data, struct lx_plan *plan);

/* lx_source_pass with apply, and hold (NULL = none) called before it. */
int lx_source_pass_hold(struct lx_source *s, const struct lx_desired *d,
			struct lx_owned *owned, lx_source_hold_fn hold,
			void *hold_data, struct lx_subreport *rep,
			struct lx_error *err);

/* release on an open instance (no-op otherwise); rep is appended to. */
int lx_source_release(struct lx_source *s, struct lx_owned *owned, bool remove,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err);

/* close and forget the instance. */
void lx_source_close(struct lx_source *s);

#endif
