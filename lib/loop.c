/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

/*
 * Per-op backoff (loop.h "Flaps and repeated failures"). One entry per op
 * of the last diffed plan that was tried and must be tried again, found by
 * its identity key: verb, kind and the op's description (what the report
 * prints), e.g. "create link rq0 veth ...". The table is sorted by key and
 * rebuilt from each plan by a merge, so a pass of n ops costs O(n log n).
 */
struct flap {
	char *key;
	enum lx_obj obj;
	unsigned int count; /* consecutive flaps or same failures; 0 = none */
	bool flap;	    /* reason: a flap (else: the same failure) */
	bool tried;	    /* ran in the pass that last planned it */
	bool applied;	    /* ... and the kernel acknowledged it */
	bool held;	    /* held back in the last pass */
	bool planned;	    /* the last diff planned it (op is valid) */
	char *error;	    /* text of the last failure */
	uint64_t last_ms;   /* when it last ran */
	size_t op;	    /* its index in the current plan */
};

struct flap_table {
	struct flap *v;
	size_t n;
};

struct lx_loop {
	struct lx_evloop *ev;
	struct lx_source *src;
	lx_loop_overflow_cb overflow_cb;
	const struct lx_desired *desired; /* borrowed: the owner's document */
	struct lx_owned *owned;
	struct lx_loop_config cfg;
	lx_loop_pass_cb cb;
	void *userdata;

	int mon_fd;	  /* monitor, -1 when not subscribed */
	bool mon_wanted;  /* a monitor is expected (so missing = degraded) */
	bool mon_tried;	  /* the source's subscribe was called once */
	int sched_tfd;	  /* next resync or retry, one-shot */
	int debounce_tfd; /* pass due after hints / kicks, one-shot */
	bool debounce_armed;
	const char *pending; /* trigger of the debounced pass */

	uint32_t backoff_ms; /* 0 = not backing off */
	bool in_pass;
	uint64_t passes;
	uint64_t last_pass_end_ms; /* CLOCK_MONOTONIC; 0 = no pass yet */
	const char *last_trigger;
	struct lx_subreport last;

	struct flap_table flaps;
	uint32_t deleted; /* kinds another process deleted since the last
			     pass (drain), LX_OBJ_ALL after lost events */
	uint64_t pass_ms; /* when the current pass started */
	bool hold_ran;	  /* the current pass reached the hold step */
	bool lift;	  /* run held ops in the current pass (manual) */
};

/* ------------------------------------------------------------ helpers */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Map a caller's trigger onto the static strings reports carry. */
static const char *trigger_name(const char *t)
{
	static const char *const known[] = {"initial", "timer", "monitor",
					    "put", "manual"};

	for (size_t i = 0; t && i < LX_ARRAY_SIZE(known); i++)
		if (strcmp(t, known[i]) == 0)
			return known[i];
	return "manual";
}

void lx_loop_config_from_options(struct lx_loop_config *cfg,
				 const struct lx_options *o)
{
	*cfg = (struct lx_loop_config){
	    .interval_ms = o->interval_ms,
	    .debounce_ms = o->debounce_ms,
	    .monitor = o->monitor,
	    .backoff_min_ms = LX_LOOP_BACKOFF_MIN_MS,
	};
}

void lx_loop_config_init(struct lx_loop_config *cfg)
{
	struct lx_options o;

	lx_options_init(&o);
	lx_loop_config_from_options(cfg, &o);
}

static uint32_t backoff_cap(const struct lx_loop *loop)
{
	return loop->cfg.interval_ms ? loop->cfg.interval_ms
				     : LX_LOOP_BACKOFF_MAX_MS;
}

/*
 * After a pass (or a failed re-subscribe), arm the one-shot schedule timer:
 * healthy → the resync interval (or nothing); otherwise the next backoff
 * step. One timer for both keeps idle down to a single armed timer and
 * never runs a resync right on top of a retry.
 */
static void schedule_next(struct lx_loop *loop, bool healthy, uint64_t wait)
{
	uint64_t delay;

	if (healthy) {
		loop->backoff_ms = 0;
		(void)lx_timer_arm(loop->sched_tfd, loop->cfg.interval_ms, 0);
		return;
	}
	if (loop->backoff_ms == 0)
		loop->backoff_ms = loop->cfg.backoff_min_ms;
	else if (loop->backoff_ms <= UINT32_MAX / 2)
		loop->backoff_ms *= 2;
	if (loop->backoff_ms > backoff_cap(loop))
		loop->backoff_ms = backoff_cap(loop);
	/* An op in backoff that is due sooner (loop.h) runs then. */
	delay = loop->backoff_ms;
	if (wait && wait < delay)
		delay = wait;
	(void)lx_timer_arm(loop->sched_tfd, (uint32_t)delay, 0);
}

static bool monitor_ok(const struct lx_loop *loop)
{
	return !loop->mon_wanted || loop->mon_fd >= 0;
}

/* --------------------------------------------------------------- monitor */

static int monitor_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		      void *userdata);

/*
 * Open the monitor and register it. -EOPNOTSUPP (the source has none) is
 * not an error: the loop then relies on the resync timer.
 */
static int subscribe(struct lx_loop *loop, struct lx_error *err)
{
	int fd, r;

	const struct lx_subsys *ops = loop->src->ops;

	if (!loop->cfg.monitor || !ops->subscribe || !ops->drain ||
	    !loop->src->opened) {
		loop->mon_wanted = false;
		return 0;
	}
	loop->mon_tried = true;
	fd = ops->subscribe(loop->src->inst, err);
	if (fd == -EOPNOTSUPP) {
		loop->mon_wanted = false;
		return 0;
	}
	loop->mon_wanted = true;
	if (fd < 0) {
		if (!lx_error_is_set(err))
			lx_error_set(err, LX_ERR_SYSTEM, -fd, "subscribe");
		return lx_error_wrap(err, "%s monitor", ops->name);
	}
	r = lx_evloop_add(loop->ev, fd, EPOLLIN, monitor_cb, loop, err);
	if (r < 0) {
		if (ops->unsubscribe)
			ops->unsubscribe(loop->src->inst, fd);
		return lx_error_wrap(err, "%s monitor", ops->name);
	}
	loop->mon_fd = fd;
	return 0;
}

static void unsubscribe(struct lx_loop *loop)
{
	int fd = TAKE_FD(loop->mon_fd);

	if (fd < 0)
		return;
	(void)lx_evloop_del(loop->ev, fd, NULL);
	if (loop->src->ops->unsubscribe)
		loop->src->ops->unsubscribe(loop->src->inst, fd);
}

/* A monitor that broke: drop it, open a new one, then resync. */
static void resubscribe(struct lx_loop *loop)
{
	struct lx_error err = {0};

	unsubscribe(loop);
	(void)subscribe(loop, &err);
}

static int monitor_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		      void *userdata)
{
	struct lx_loop *loop = userdata;
	int r = loop->src->ops->drain(loop->src->inst, fd, &loop->deleted);

	(void)ev;
	/*
	 * A hang-up or an error nobody consumed would keep a level-triggered
	 * fd readable forever: count it as broken rather than spin.
	 */
	if (r == 0 && (revents & (EPOLLHUP | EPOLLERR)))
		r = -EPIPE;
	if (r > 0) {
		lx_loop_kick(loop, "monitor");
	} else if (r == -ENOBUFS) {
		/* Lost events may have been deletions: heal without holding. */
		loop->deleted = LX_OBJ_ALL;
		if (loop->overflow_cb)
			loop->overflow_cb(loop, loop->userdata);
		/*
		 * Events were lost: nothing tells us what changed, so resync
		 * at once -- unless a pass ended within the debounce window.
		 * In a storm the buffer overflows again right after every
		 * pass; resyncing on each overflow would run passes back to
		 * back (their dumps competing with the storm). Then the
		 * debounced pass is the resync: one per window.
		 */
		if (loop->last_pass_end_ms &&
		    mono_ms() - loop->last_pass_end_ms < loop->cfg.debounce_ms)
			lx_loop_kick(loop, "monitor");
		else
			(void)lx_loop_reconcile_now(loop, "monitor");
	} else if (r < 0) {
		loop->deleted = LX_OBJ_ALL;
		resubscribe(loop);
		(void)lx_loop_reconcile_now(loop, "monitor");
	}
	return 0;
}

/* ---------------------------------------------------------------- timers */

static int debounce_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		       void *userdata)
{
	struct lx_loop *loop = userdata;

	(void)ev;
	(void)revents;
	/* 0: a pass since epoll_wait already disarmed (and cleared) it. */
	if (lx_timer_read(fd) <= 0)
		return 0;
	(void)lx_loop_reconcile_now(loop,
				    loop->pending ? loop->pending : "monitor");
	return 0;
}

static int sched_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		    void *userdata)
{
	struct lx_loop *loop = userdata;

	(void)ev;
	(void)revents;
	if (lx_timer_read(fd) <= 0)
		return 0;
	if (!monitor_ok(loop))
		resubscribe(loop);
	(void)lx_loop_reconcile_now(loop, "timer");
	return 0;
}

/* ----------------------------------------------------- per-op backoff */

static void flap_clear(struct flap *e)
{
	free(e->key);
	free(e->error);
	*e = (struct flap){0};
}

static void flaps_free(struct flap_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		flap_clear(&t->v[i]);
	free(t->v);
	*t = (struct flap_table){0};
}

/* The retry delay after count consecutive bad outcomes: the pass backoff's
 * steps (backoff_min_ms doubled), under the same cap. */
static uint64_t flap_delay(const struct lx_loop *loop, unsigned int count)
{
	uint64_t d = loop->cfg.backoff_min_ms;

	for (unsigned int i = 1; i < count && d < backoff_cap(loop); i++)
		d *= 2;
	return d < backoff_cap(loop) ? d : backoff_cap(loop);
}

static uint64_t flap_due(const struct lx_loop *loop, const struct flap *e)
{
	return e->last_ms + flap_delay(loop, e->count);
}

struct keyed {
	char *key;
	size_t op;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->op > y->op) - (x->op < y->op);
}

/* The op's identity key, malloc'ed. */
static char *op_key(const struct lx_op *op)
{
	char item[512], *k = NULL;

	if (asprintf(&k, "%s %s %s", lx_op_verb_name(op->verb),
		     lx_obj_name(op->obj),
		     lx_op_describe(op, item, sizeof(item))) < 0)
		return NULL;
	return k;
}

/*
 * An entry whose op this diff does not plan (its object was found as
 * desired). It is remembered for up to the backoff's cap after its last
 * try, so an object that goes again soon after a pass saw it (renamed
 * away a moment after the create, with no deletion) is still counted as
 * flapping; a first try that stuck (count 0) only for the most recent
 * LX_LOOP_FLAP_CARRY ops, so a pass of 13,000 creates does not keep
 * 13,000 keys. Forgotten at once when another process deleted something
 * of its kind (it is a heal from then on).
 */
#define LX_LOOP_FLAP_CARRY 256

static bool flap_keep(const struct lx_loop *loop, const struct flap *e,
		      size_t *carried0)
{
	if (loop->deleted & LX_OBJ_BIT(e->obj))
		return false;
	if (!e->count && !(e->tried && e->applied))
		return false;
	if (loop->pass_ms > e->last_ms + backoff_cap(loop))
		return false;
	if (!e->count && (*carried0)++ >= LX_LOOP_FLAP_CARRY)
		return false;
	return true;
}

/* A planned op's entry, before apply: count a flap, hold back if not due. */
static void flap_planned(struct lx_loop *loop, struct flap *e,
			 struct lx_plan *plan)
{
	e->held = false;
	if (loop->deleted & LX_OBJ_BIT(e->obj)) {
		/* Another process deleted something of this kind since the
		 * last pass: re-creating is a heal, and the deletion may have
		 * been what made it fail. Per kind, not per object: a plain
		 * delete is healed at once, and a flap is counted only over
		 * passes in which no one else deleted anything of its kind. */
		e->count = 0;
		e->flap = false;
	} else if (e->tried && e->applied) {
		/* Acknowledged when last tried, and planned again: the kernel
		 * did not keep it (a flap, SPEC.md). */
		e->count++;
		e->flap = true;
	}
	e->tried = false;
	if (e->count && !loop->lift && loop->pass_ms < flap_due(loop, e)) {
		struct lx_op *op = &plan->ops[e->op];

		/* A failing op stays failed, with its last error, so the
		 * pass goes as if it had been tried (fail-fast stops there,
		 * status names the error); a flap is pending, as it is not
		 * known to fail. */
		if (!e->flap && e->error)
			lx_op_fail(op, e->error);
		else
			op->state = LX_OPS_PENDING;
		op->held = true;
		e->held = true;
	}
}

/*
 * lx_source_hold_fn, between diff and apply: merge the plan's PLANNED ops
 * into the table (both sorted by key), count the flaps, hold back what is
 * not due. Without memory the pass runs unthrottled and the table is kept
 * as it was.
 */
static void hold_cb(void *data, struct lx_plan *plan)
{
	struct lx_loop *loop = data;
	struct flap_table old = loop->flaps, nt = {0};
	struct keyed *k = calloc(plan->n + 1, sizeof(*k));
	size_t nk = 0, i = 0, j = 0, carried0 = 0;

	nt.v = calloc(plan->n + old.n + 1, sizeof(*nt.v));
	if (!k || !nt.v)
		goto oom;
	for (size_t n = 0; n < plan->n; n++) {
		if (plan->ops[n].state != LX_OPS_PLANNED)
			continue; /* failed by the diff: never sent */
		k[nk].key = op_key(&plan->ops[n]);
		if (!k[nk].key)
			goto oom;
		k[nk++].op = n;
	}
	qsort(k, nk, sizeof(*k), keyed_cmp);
	while (i < nk || j < old.n) {
		int c = i >= nk	     ? -1
			: j >= old.n ? 1
				     : strcmp(old.v[j].key, k[i].key);
		struct flap *e;

		if (c < 0) {
			e = &old.v[j++];
			if (flap_keep(loop, e, &carried0)) {
				e->planned = e->held = false;
				nt.v[nt.n++] = *e;
				*e = (struct flap){0};
			} else {
				flap_clear(e);
			}
			continue;
		}
		e = &nt.v[nt.n++];
		if (c == 0) {
			*e = old.v[j];
			old.v[j++] = (struct flap){0};
			free(k[i].key);
		} else {
			*e = (struct flap){.key = k[i].key,
					   .obj = plan->ops[k[i].op].obj};
		}
		k[i].key = NULL;
		e->op = k[i++].op;
		e->planned = true;
		flap_planned(loop, e, plan);
	}
	free(old.v);
	free(k);
	loop->flaps = nt;
	loop->hold_ran = true;
	return;
oom:
	for (size_t n = 0; k && n < nk; n++)
		free(k[n].key);
	free(k);
	free(nt.v);
}

/* After apply: what ran, and how it went. */
static void flaps_after(struct lx_loop *loop, uint64_t now)
{
	const struct lx_plan *plan = &loop->last.plan;

	for (size_t i = 0; loop->hold_ran && i < loop->flaps.n; i++) {
		struct flap *e = &loop->flaps.v[i];
		const struct lx_op *op;

		if (!e->planned || e->held || e->op >= plan->n)
			continue;
		op = &plan->ops[e->op];
		if (op->state == LX_OPS_APPLIED) {
			e->tried = e->applied = true;
			e->last_ms = now;
		} else if (op->state == LX_OPS_FAILED) {
			/* Every consecutive bad outcome counts, whatever
			 * the error: an op that keeps failing in new ways
			 * (or failing and flapping in turn) still backs off. */
			e->count++;
			e->flap = false;
			e->tried = true;
			e->applied = false;
			e->last_ms = now;
			free(e->error);
			e->error = op->error ? strdup(op->error) : NULL;
		}
	}
}

/* Earliest due time of an entry in backoff, 0 = none. */
static uint64_t flaps_next_due(const struct lx_loop *loop)
{
	uint64_t next = 0;

	for (size_t i = 0; i < loop->flaps.n; i++) {
		const struct flap *e = &loop->flaps.v[i];
		uint64_t due = flap_due(loop, e);

		if (e->planned && e->count && (!next || due < next))
			next = due;
	}
	return next;
}

/* The report's "backoff": every op in backoff, as the pass left it. */
static json_t *flaps_json(const struct lx_loop *loop, uint64_t now)
{
	const struct lx_plan *plan = &loop->last.plan;
	json_t *a = NULL;

	for (size_t i = 0; loop->hold_ran && i < loop->flaps.n; i++) {
		const struct flap *e = &loop->flaps.v[i];
		const struct lx_op *op;
		uint64_t due = flap_due(loop, e);
		char item[512];
		json_t *o;

		if (!e->planned || !e->count || e->op >= plan->n)
			continue;
		op = &plan->ops[e->op];
		if (!a && !(a = json_array()))
			return NULL;
		o = json_pack(
		    "{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s?}", "op",
		    lx_op_verb_name(op->verb), "kind", lx_obj_name(op->obj),
		    "item", lx_op_describe(op, item, sizeof(item)), "reason",
		    e->flap ? "flap" : "failing", "count", (json_int_t)e->count,
		    "retry_in_ms", (json_int_t)(due > now ? due - now : 0),
		    "held", e->held, "error", e->flap ? NULL : e->error);
		if (o)
			json_array_append_new(a, o);
	}
	return a;
}

/* ------------------------------------------------------------------- API */

int lx_loop_new(struct lx_loop **out, struct lx_evloop *ev,
		struct lx_source *src, const struct lx_desired *desired,
		struct lx_owned *owned, const struct lx_loop_config *cfg,
		lx_loop_pass_cb cb, void *userdata, struct lx_error *err)
{
	struct lx_loop *loop;
	int r;

	if (!ev || !src || !src->ops || !desired || !owned)
		return lx_error_set(err, LX_ERR_SYSTEM, EINVAL,
				    "reconcile loop: missing argument");
	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "%s loop",
				    src->ops->name);
	*loop = (struct lx_loop){
	    .ev = ev,
	    .src = src,
	    .desired = desired,
	    .owned = owned,
	    .cb = cb,
	    .userdata = userdata,
	    .mon_fd = -1,
	    .sched_tfd = -1,
	    .debounce_tfd = -1,
	};
	if (cfg)
		loop->cfg = *cfg;
	else
		lx_loop_config_init(&loop->cfg);
	if (!loop->cfg.backoff_min_ms)
		loop->cfg.backoff_min_ms = LX_LOOP_BACKOFF_MIN_MS;

	loop->sched_tfd = r = lx_timerfd_new();
	if (r >= 0)
		loop->debounce_tfd = r = lx_timerfd_new();
	if (r < 0) {
		lx_error_set(err, LX_ERR_SYSTEM, -r, "%s loop: timerfd",
			     src->ops->name);
		goto fail;
	}
	r = lx_evloop_add(ev, loop->sched_tfd, EPOLLIN, sched_cb, loop, err);
	if (r < 0)
		goto fail;
	r = lx_evloop_add(ev, loop->debounce_tfd, EPOLLIN, debounce_cb, loop,
			  err);
	if (r < 0)
		goto fail;
	*out = loop;
	return 0;
fail:
	lx_loop_free(loop);
	return r;
}

int lx_loop_start(struct lx_loop *loop, struct lx_error *err)
{
	int r = subscribe(loop, err);

	if (r < 0)
		return r;
	r = lx_timer_arm(loop->sched_tfd, loop->cfg.interval_ms, 0);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r,
				    "%s loop: resync timer",
				    loop->src->ops->name);
	return 0;
}

int lx_loop_reconcile_now(struct lx_loop *loop, const char *trigger)
{
	struct lx_error err = {0};
	uint64_t wait;
	int rc;

	if (loop->in_pass)
		return -EBUSY;
	loop->in_pass = true;
	trigger = trigger_name(trigger);

	/* This pass observes everything the queued hints pointed at. */
	if (loop->debounce_armed) {
		(void)lx_timer_arm(loop->debounce_tfd, 0, 0);
		loop->debounce_armed = false;
	}
	loop->pending = NULL;

	lx_subreport_reset(&loop->last);
	loop->pass_ms = mono_ms();
	loop->hold_ran = false;
	/* An operator's explicit reconcile runs what is held (and still
	 * counts it); a new document starts every op afresh. */
	loop->lift = strcmp(trigger, "manual") == 0;
	rc = lx_source_pass_hold(loop->src, loop->desired, loop->owned,
				 hold_cb, loop, &loop->last, &err);
	/* Deletions seen from here on count for the next pass. */
	loop->deleted = 0;
	/* A subsystem opened by this pass (first use) gets its monitor. */
	if (loop->cfg.monitor && loop->src->opened && !loop->mon_tried) {
		struct lx_error serr = {0};

		(void)subscribe(loop, &serr);
	}
	if (rc < 0) {
		loop->last.converged = false;
		if (!loop->last.error) {
			char buf[128];

			loop->last.error =
			    strdup(lx_error_is_set(&err)
				       ? err.msg
				       : lx_strerror(-rc, buf, sizeof(buf)));
		}
	}
	loop->passes++;
	loop->last_pass_end_ms = mono_ms();
	loop->last_trigger = trigger;
	flaps_after(loop, loop->last_pass_end_ms);
	loop->last.backoff = flaps_json(loop, loop->last_pass_end_ms);
	/* An op in backoff is not converged, whatever the subsystem said:
	 * held back, or acknowledged and not kept. */
	if (loop->last.backoff)
		loop->last.converged = false;
	/* An op already due waits 1 ms (0 would mean "none"). */
	wait = flaps_next_due(loop);
	if (wait)
		wait = wait > loop->last_pass_end_ms
			   ? wait - loop->last_pass_end_ms
			   : 1;
	schedule_next(loop, rc >= 0 && loop->last.converged && monitor_ok(loop),
		      wait);
	if (loop->cb)
		loop->cb(loop, trigger, rc, &loop->last, loop->userdata);
	loop->in_pass = false;
	return rc;
}

void lx_loop_kick(struct lx_loop *loop, const char *trigger)
{
	trigger = trigger_name(trigger);
	if (!loop->pending || strcmp(trigger, "put") == 0)
		loop->pending = trigger;
	if (loop->debounce_armed)
		return;
	if ((loop->cfg.debounce_ms
		 ? lx_timer_arm(loop->debounce_tfd, loop->cfg.debounce_ms, 0)
		 : lx_timer_arm_now(loop->debounce_tfd)) == 0)
		loop->debounce_armed = true;
}

void lx_loop_put_desired(struct lx_loop *loop, const struct lx_desired *d)
{
	loop->desired = d;
	flaps_free(&loop->flaps);
	lx_loop_kick(loop, "put");
}

const struct lx_desired *lx_loop_desired(const struct lx_loop *loop)
{
	return loop->desired;
}

const struct lx_subreport *lx_loop_last_report(const struct lx_loop *loop)
{
	return &loop->last;
}

const char *lx_loop_last_trigger(const struct lx_loop *loop)
{
	return loop->last_trigger;
}

uint64_t lx_loop_passes(const struct lx_loop *loop)
{
	return loop->passes;
}

bool lx_loop_monitoring(const struct lx_loop *loop)
{
	return loop->mon_fd >= 0;
}

uint32_t lx_loop_backoff_ms(const struct lx_loop *loop)
{
	return loop->backoff_ms;
}

const char *lx_loop_name(const struct lx_loop *loop)
{
	return loop->src->ops->name;
}

void lx_loop_set_overflow_cb(struct lx_loop *loop, lx_loop_overflow_cb cb)
{
	loop->overflow_cb = cb;
}

static void close_timer(struct lx_loop *loop, int *tfd)
{
	int fd = TAKE_FD(*tfd);

	if (fd < 0)
		return;
	(void)lx_evloop_del(loop->ev, fd, NULL);
	close(fd);
}

void lx_loop_free(struct lx_loop *loop)
{
	if (!loop)
		return;
	unsubscribe(loop);
	close_timer(loop, &loop->sched_tfd);
	close_timer(loop, &loop->debounce_tfd);
	lx_subreport_reset(&loop->last);
	flaps_free(&loop->flaps);
	free(loop);
}
