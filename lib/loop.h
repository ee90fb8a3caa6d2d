/* SPDX-License-Identifier: MIT */
/*
 * The generic reconcile loop (SPEC.md "Lifecycle of the hook" step 6): one
 * lx_loop per source (a subsystem bound to a target, source.h); several live
 * in one lx_evloop. Each pass is lx_source_pass(); the monitor is the
 * subsystem's subscribe/drain/unsubscribe, subscribed once the source is
 * open (a lazily opened subsystem gets its monitor after its first pass).
 *
 * Level-triggered: a pass always observes the whole state and diffs it
 * against the desired document. Monitor events are only hints that some pass
 * is due; they arm a debounce timer, so a burst of hints costs one pass per
 * debounce window. Passes also run:
 *   - on the resync timer, interval_ms after the previous pass (trigger
 *     "timer"), so drift the monitor cannot see is caught;
 *   - after a pass that failed or did not converge, on an exponential backoff
 *     (backoff_min_ms, doubled each time, capped at interval_ms or at 30 s
 *     when interval_ms is 0; reset by a converged pass; trigger "timer");
 *   - at once when the monitor overflowed (drain returned -ENOBUFS) or broke
 *     (then it is also re-subscribed; if that fails, re-subscribing is
 *     retried on the backoff) (trigger "monitor"); an overflow within
 *     debounce_ms of the end of the previous pass arms the debounce
 *     instead, so an overflowing storm still costs one pass per window;
 *   - when the owner asks: lx_loop_reconcile_now(), lx_loop_kick(),
 *     lx_loop_put_desired().
 * Idle costs nothing: no polling; only the resync timer is armed.
 *
 * Flaps and repeated failures (SPEC.md "Policy"; per op, not per pass).
 * Between diff and apply the loop looks each planned op up by its identity
 * (verb, kind and description: "create link flb0 bridge"):
 *   - an op the kernel acknowledged in the last pass that ran it, and that
 *     the next diff plans again, is a flap: its object was not found under
 *     that name (a kernel-rewritten name, a rename by someone else) or its
 *     value was changed back;
 *   - an op that failed is a repeated failure the next time it is planned.
 * Each flap or failure in a row adds one to the op's count, and the op is
 * held back (op->held; apply does not run it: a failing op is reported
 * failed with its last error, a flapping one pending) until backoff_min_ms <<
 * (count - 1) after its last try, capped like the pass backoff -- whatever
 * wakes the loop, so the events a flapping create causes cannot drive a
 * loop of creates, and a busy monitor cannot retry a failing op on every
 * hint. The schedule timer is armed for the next op due. A pass with an op
 * in backoff is not converged, and its report lists them (rep->backoff:
 * op, kind, item, reason "flap"|"failing", count, retry_in_ms, held,
 * error).
 * The count starts again from zero when the op is no longer planned (the
 * object was found as desired), when the document is replaced
 * (lx_loop_put_desired), and when the monitor saw another process delete
 * an object of the op's kind since the last pass (drain's `deleted`; lost
 * events count as deletions of every kind): re-creating what someone
 * deleted is a heal, never throttled beyond the debounce. Per kind, not per
 * object, to stay simple: a flap is counted only over passes in which no
 * one else deleted anything of its kind. A "manual" pass (an operator's
 * reconcile) runs held ops too, and still counts them.
 *
 * Not thread-safe; everything runs in the evloop's thread.
 */
#ifndef LX_LOOP_H
#define LX_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"
#include "evloop.h"
#include "model.h"
#include "report.h"
#include "source.h"

struct lx_loop_config {
	uint32_t interval_ms;	 /* resync period; 0 = never */
	uint32_t debounce_ms;	 /* 0 = next loop turn, still coalescing */
	bool monitor;		 /* subscribe to the source's monitor */
	uint32_t backoff_min_ms; /* first retry delay after a failed pass;
				    0 = default (50) */
};

#define LX_LOOP_BACKOFF_MIN_MS 50
#define LX_LOOP_BACKOFF_MAX_MS 30000 /* the cap when interval_ms is 0 */

/* Defaults: interval, debounce and monitor from lx_options_init(). */
void lx_loop_config_init(struct lx_loop_config *cfg);

/* The same, from a desired document's options. */
void lx_loop_config_from_options(struct lx_loop_config *cfg,
				 const struct lx_options *o);

struct lx_loop;

/*
 * Called after every pass. trigger is a static string (initial, timer,
 * monitor, put, manual); rc is what lx_source_pass returned; rep stays valid
 * until the next pass. The callback may call lx_loop_kick(),
 * lx_loop_put_desired() or lx_evloop_quit(), but must not free the loop or
 * start a pass of this loop (lx_loop_reconcile_now() returns -EBUSY).
 */
typedef void (*lx_loop_pass_cb)(struct lx_loop *loop, const char *trigger,
				int rc, const struct lx_subreport *rep,
				void *userdata);

/*
 * Create a loop over src (borrowed; it outlives the loop) in ev. desired
 * and owned are borrowed and must outlive the loop (or, for desired, the
 * next lx_loop_put_desired): the owner keeps the one document, every loop
 * reads it (several loops may share one lx_owned too: each source touches
 * only its own section). cfg NULL = lx_loop_config_init().
 * Creates and registers the loop's timers, arms nothing.
 */
int lx_loop_new(struct lx_loop **out, struct lx_evloop *ev,
		struct lx_source *src, const struct lx_desired *desired,
		struct lx_owned *owned, const struct lx_loop_config *cfg,
		lx_loop_pass_cb cb, void *userdata,
		struct lx_error *err) LX_WUR;

/*
 * Subscribe to the monitor (if cfg->monitor and the source has one) and arm
 * the resync timer. Does NOT run a pass: the owner runs the initial one with
 * lx_loop_reconcile_now(loop, "initial"). Fails if subscribing fails.
 */
int lx_loop_start(struct lx_loop *loop, struct lx_error *err) LX_WUR;

/*
 * Run a pass now, synchronously. trigger: initial|timer|monitor|put|manual
 * (anything else is reported as "manual"). Returns what the pass returned
 * (0 = pass ran: see lx_loop_last_report()->converged), or -EBUSY when
 * called from within a pass of this loop.
 */
int lx_loop_reconcile_now(struct lx_loop *loop, const char *trigger);

/*
 * Schedule a pass after the debounce delay. Kicks coalesce: while one pass
 * is scheduled, further kicks do not move it. A pending "put" is reported
 * as the trigger over any other.
 */
void lx_loop_kick(struct lx_loop *loop, const char *trigger);

/*
 * Called when the monitor reported lost events (the loop resyncs anyway):
 * for the owner's event log. NULL = none.
 */
typedef void (*lx_loop_overflow_cb)(struct lx_loop *loop, void *userdata);
void lx_loop_set_overflow_cb(struct lx_loop *loop, lx_loop_overflow_cb cb);

/* The desired document changed: read d (borrowed, as in lx_loop_new; it
 * may be the same pointer, its contents replaced) and kick("put"). */
void lx_loop_put_desired(struct lx_loop *loop, const struct lx_desired *d);

/* The desired document the source currently sees. */
const struct lx_desired *lx_loop_desired(const struct lx_loop *loop);

/* Report of the last pass (empty, converged = false, before the first). */
const struct lx_subreport *lx_loop_last_report(const struct lx_loop *loop);

/* Trigger of the last pass, NULL before the first. */
const char *lx_loop_last_trigger(const struct lx_loop *loop);

/* Passes run so far. */
uint64_t lx_loop_passes(const struct lx_loop *loop);

/* Whether the monitor is currently subscribed. */
bool lx_loop_monitoring(const struct lx_loop *loop);

/* Current pass retry delay; 0 when not backing off (a pass with an op in
 * backoff counts as not converged, so it backs off too). */
uint32_t lx_loop_backoff_ms(const struct lx_loop *loop);

const char *lx_loop_name(const struct lx_loop *loop);

/*
 * Stop and free: unsubscribe, remove the timers from the evloop and close
 * them, free the last report. Safe while the evloop
 * has events of this loop pending in its current batch (e.g. from another
 * loop's pass callback), but not from this loop's own pass callback.
 * NULL-safe.
 */
void lx_loop_free(struct lx_loop *loop);

static inline void lx_loop_freep(struct lx_loop **l)
{
	lx_loop_free(*l);
}
#define _cleanup_loop_ _cleanup_(lx_loop_freep)

#endif
