/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

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
static void schedule_next(struct lx_loop *loop, bool healthy)
{
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
	(void)lx_timer_arm(loop->sched_tfd, loop->backoff_ms, 0);
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
	int r = loop->src->ops->drain(loop->src->inst, fd);

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
	rc = lx_source_pass(loop->src, loop->desired, loop->owned, true,
			    &loop->last, &err);
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
	schedule_next(loop,
		      rc >= 0 && loop->last.converged && monitor_ok(loop));
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
	free(loop);
}
