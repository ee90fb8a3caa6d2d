/* SPDX-License-Identifier: MIT */
/*
 * The key/value engine shared by the sysctl and cgroup sources: settings
 * that the kernel keeps as text under a key, owned three-way (SPEC.md:
 * desired x observed x owned, where owned records for each key the value
 * we applied and the value seen before our first write, "original").
 *
 * One pass is written once, here:
 *
 *   validate -> observe -> diff3 -> write-ahead (announce) -> apply
 *   (each write read back) -> adopt
 *
 * and a subsystem supplies only what differs between sysctl and cgroup
 * through struct lx_kv_hooks: how a key is refused, read and written, and
 * when two values are the same as the kernel stores them.
 *
 * The engine holds no state of its own: a struct lx_kv_source is a hooks
 * table, the subsystem's context and the write-ahead callback. Not
 * thread-safe per source.
 */
#ifndef LX_KV_H
#define LX_KV_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "model.h"
#include "op.h"
#include "report.h"
#include "source.h"

/*
 * Write-ahead. A value seen before our first write is what release
 * restores; it must be on disk before that write, or a process killed
 * right after it leaves its successor no way to know the original. Before
 * applying a plan that writes a key not owned yet, the engine calls this
 * with owned as it will be once every planned write succeeded.
 */
typedef void (*lx_kv_intent_fn)(void *data, enum lx_obj obj,
				const struct lx_owned_kvs *ahead);

/*
 * want and have are values of key; true when the kernel holds want when it
 * shows have. Not symmetric: a part that want leaves out (an io.max field)
 * is not compared. Either may be NULL (equal only to NULL). Pure.
 */
typedef bool (*lx_kv_eq_fn)(const char *key, const char *want,
			    const char *have);

struct lx_kv_hooks {
	enum lx_obj obj;
	/* Defence in depth before anything is read: refuse a desired key
	 * (append one line to err, return <0). NULL = every key is fine. */
	int (*validate)(void *ctx, const char *key, struct lx_error *err);
	/* Read key into *value (a new string, the form eq compares). hint
	 * is the value we want or own for key (cgroup io.max needs its
	 * device), may be NULL. <0 with err set when unreadable. */
	int (*read)(void *ctx, const char *key, const char *hint, char **value,
		    struct lx_error *err);
	/* Write op->u.kv.value for op->u.kv.key; plan is the whole plan (a
	 * v1 swap limit sits on the memory limit it plans). */
	int (*write)(void *ctx, struct lx_plan *plan, struct lx_op *op,
		     struct lx_error *err);
	lx_kv_eq_fn eq;
	/* Optional, after the diff: complete the plan (ops a write implies,
	 * the files an op will write for the report). */
	int (*plan)(void *ctx, const struct lx_kvs *desired,
		    const struct lx_kvs *observed, struct lx_plan *plan,
		    struct lx_error *err);
	/* Optional: the order writes run in; order[] starts as 0..n-1. */
	void (*order)(void *ctx, const struct lx_plan *plan, size_t *order);
};

struct lx_kv_source {
	const struct lx_kv_hooks *hooks;
	void *ctx;
	lx_kv_intent_fn intent; /* NULL = no write-ahead */
	void *intent_data;
};

/*
 * Observe: read every key of desired and owned into observed (appended;
 * value NULL when unreadable, its error one more line in err, and the
 * return still 0 so the pass goes on). <0 only on ENOMEM.
 */
int lx_kv_observe(const struct lx_kv_source *src, const struct lx_kvs *desired,
		  const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		  struct lx_error *err) LX_WUR;

/*
 * Diff: lx_kvs_diff3 with the source's eq, then its plan hook. Pure over
 * its inputs (the hook reads nothing from the kernel).
 */
int lx_kv_diff(const struct lx_kv_source *src, const struct lx_kvs *desired,
	       const struct lx_kvs *observed, const struct lx_owned_kvs *owned,
	       bool revert_on_release, struct lx_plan *plan,
	       struct lx_error *err) LX_WUR;

/*
 * Apply, best-effort: every op of the source's object is attempted in the
 * hook's order; each ends applied or failed with its error. After the
 * writes, each written key is read back: a value the kernel does not keep
 * (it stores another one, or a later write of this pass changed it back,
 * e.g. two keys that alias one setting) fails its op, naming both values,
 * so the pass is not converged and the loop backs off instead of
 * rewriting it as "converged" every pass. owned is updated per written op
 * (UPDATE -> owned, original kept from the first write; DELETE ->
 * dropped). Returns 0 when every op applied, else the first failure.
 */
int lx_kv_apply(const struct lx_kv_source *src, struct lx_plan *plan,
		struct lx_owned_kvs *owned, struct lx_error *err) LX_WUR;

/*
 * The pass after the diff: write-ahead, apply (lx_kv_apply), read back
 * the desired keys the pass did not write (a write can change another
 * key: two names of one setting), adopt, and set rep->converged. rep->plan
 * is the diff's. observed is what the diff saw. <0 only on ENOMEM.
 */
int lx_kv_finish(const struct lx_kv_source *src, const struct lx_kvs *desired,
		 const struct lx_kvs *observed, struct lx_owned_kvs *owned,
		 struct lx_subreport *rep, struct lx_error *err) LX_WUR;

/*
 * One pass: validate every desired key (a refusal aborts the pass before
 * anything is read or written), observe, diff, write-ahead, apply, adopt.
 * rep is filled (plan with op states, converged); rep must be empty on
 * entry. Returns 0 when the pass ran (rep->converged says if it
 * converged), <0 when it could not run (rep->error says why).
 */
int lx_kv_reconcile(const struct lx_kv_source *src,
		    const struct lx_kvs *desired, struct lx_owned_kvs *owned,
		    bool revert_on_release, struct lx_subreport *rep,
		    struct lx_error *err) LX_WUR;

/*
 * Teardown: a pass towards an empty desired state. With revert_on_release
 * every owned key is restored to its original (when known and different)
 * and dropped; without, ownership is forgotten. Failed restores stay owned.
 */
int lx_kv_release(const struct lx_kv_source *src, struct lx_owned_kvs *owned,
		  bool revert_on_release, struct lx_subreport *rep,
		  struct lx_error *err) LX_WUR;

/*
 * Three-way diff of key/value settings. Pure. For each desired key whose
 * observed value differs (eq false, or not observed): LX_OP_UPDATE with
 * value = desired, observed = observed value. For each owned key no longer
 * desired: if revert_on_release and the original is known and differs
 * from the observed value, LX_OP_DELETE with value = original (a restore);
 * otherwise LX_OP_DELETE with value NULL (forget: nothing written,
 * ownership dropped). Ops are appended to plan.
 */
int lx_kvs_diff3(enum lx_obj obj, const struct lx_kvs *desired,
		 const struct lx_kvs *observed,
		 const struct lx_owned_kvs *owned, bool revert_on_release,
		 lx_kv_eq_fn eq, struct lx_plan *plan,
		 struct lx_error *err) LX_WUR;

/*
 * Bookkeeping after a pass: every desired key whose observed value already
 * equals the desired one is recorded as owned (applied = desired; original
 * kept if already owned, else the observed value), so a later removal
 * knows what to restore. Returns 0 or -ENOMEM.
 */
int lx_kvs_adopt(const struct lx_kvs *desired, const struct lx_kvs *observed,
		 struct lx_owned_kvs *owned, lx_kv_eq_fn eq) LX_WUR;

/* The value of key in k, NULL when absent or unreadable. */
const char *lx_kvs_get(const struct lx_kvs *k, const char *key);

/*
 * Record in owned the outcome of one applied kv op: UPDATE -> owned with
 * applied = op value, original kept from the first write (else the op's
 * observed value); DELETE -> dropped. Returns 0 or -ENOMEM.
 */
int lx_kv_owned_update(struct lx_owned_kvs *owned,
		       const struct lx_op *op) LX_WUR;

/* Call fn when plan writes an obj key that owned lacks (see above). Best
 * effort: without memory for the copy nothing is announced. */
void lx_kv_announce(const struct lx_plan *plan, enum lx_obj obj,
		    const struct lx_owned_kvs *owned, lx_kv_intent_fn fn,
		    void *data);

/*
 * Fold whitespace: trim both ends, collapse every run of blanks (space,
 * tab, newline) into one space (the kernel prints "1024\t65000" for
 * "1024 65000"). Returns a new string (NULL on ENOMEM).
 */
char *lx_kv_fold(const char *s);
/* Equal after folding (NULL equals only NULL). */
bool lx_kv_fold_equal(const char *a, const char *b);

/*
 * Quote a tenant-written string for a message: printable ASCII kept, other
 * bytes, '"' and '\\' as \xNN, cut after 64 characters ("..."). Returns buf.
 */
const char *lx_quote(const char *s, char *buf, size_t len);

/*
 * The source contract (source.h) for a key/value subsystem, written once:
 * a subsystem's instance starts with a struct lx_kv_inst (its hooks and
 * context, env, and where its section lies in lx_desired / lx_owned) and
 * its ops table uses these verbs. observe validates again (defence in
 * depth) and reads; diff is lx_kv_diff; apply is write-ahead (through
 * env->intent), best-effort apply, read-back, adopt; release restores
 * originals when revert is asked, else does nothing. An instance NULL
 * means nothing to work on (a target without a cgroup): empty, converged.
 */
struct lx_kv_inst {
	struct lx_kv_source src; /* hooks, ctx; intent is set per apply */
	const struct lx_source_env *env;
	size_t desired_off; /* offsetof(struct lx_desired, <section>) */
	size_t owned_off;   /* offsetof(struct lx_owned, <section>) */
	const struct lx_owned *owned; /* during an apply (write-ahead) */
};

int lx_kv_src_observe(void *inst, const struct lx_desired *d,
		      const struct lx_owned *owned, void **observed,
		      struct lx_error *err);
void lx_kv_src_observed_free(void *observed);
int lx_kv_src_diff(const void *inst, const struct lx_desired *d,
		   const void *observed, const struct lx_owned *owned,
		   struct lx_plan *plan, struct lx_error *err);
int lx_kv_src_apply(void *inst, const struct lx_desired *d,
		    const void *observed, struct lx_owned *owned,
		    struct lx_subreport *rep, struct lx_error *err);
int lx_kv_src_release(void *inst, struct lx_owned *owned, bool remove,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err);

#endif
