/* SPDX-License-Identifier: MIT */
/*
 * The reconcile loop's scheduling, driven through a fake source: its monitor
 * is a pipe the test writes hints into, its reconcile counts passes and can
 * be told to fail. What is under test is the loop's logic (debounce,
 * backoff, resync, re-subscribe), against real timerfds and epoll.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MAX_PASSES 256

struct fake {
	int rfd, wfd; /* the monitor pipe; rfd is what the loop polls */
	int subscribes, unsubscribes;
	int subscribe_fail; /* fail this many subscribe calls */
	bool no_monitor;    /* subscribe says -EOPNOTSUPP */
	int fail;	    /* reconcile returns -EIO: -1 forever, N times */
	bool not_converged; /* reconcile runs but does not converge */
	long hints;	    /* bytes drained */
	char seen[64];	    /* desired sysctl "k" at the last pass */
	char kept[64];	    /* what the "kernel" holds for "k" */
	bool flap;	    /* apply is acknowledged but not kept */
	bool op_fails;	    /* apply fails the op (the same way each time) */
	bool flap_late;	    /* kept, seen by one observe, then gone (renamed
			       away after a pass found it), an event each */
	bool seen_kept;
	const char *echo;   /* apply writes this into the monitor (the event
			       an apply causes), NULL = nothing */
	int tries;	    /* ops apply ran (not held back) */
	uint64_t tried_at[MAX_PASSES];
	/* filled by the pass callback */
	int passes;
	uint64_t t[MAX_PASSES];
	const char *trig[MAX_PASSES];
	int rc[MAX_PASSES];
	bool converged[MAX_PASSES];
	char last_error[256];
};

static void hint(struct fake *f, const char *s);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fake_observe(void *inst, const struct lx_desired *d,
			const struct lx_owned *owned, void **observed,
			struct lx_error *err)
{
	struct fake *f = inst;
	const struct lx_kv *kv = lx_kvs_find(&d->sysctl, "k");

	(void)owned;
	(void)observed;
	snprintf(f->seen, sizeof(f->seen), "%s", kv ? kv->value : "");
	if (f->flap_late && f->kept[0]) {
		if (f->seen_kept) {
			f->kept[0] = '\0';
			f->seen_kept = false;
		} else {
			f->seen_kept = true;
			hint(f, "h"); /* the rename's event */
		}
	}
	if (f->fail) {
		if (f->fail > 0)
			f->fail--;
		return lx_error_set(err, LX_ERR_SYSTEM, EIO, "fake observe");
	}
	return 0;
}

static int fake_diff(const void *inst, const struct lx_desired *d,
		     const void *observed, const struct lx_owned *owned,
		     struct lx_plan *plan, struct lx_error *err)
{
	const struct fake *f = inst;
	struct lx_op op = {.verb = LX_OP_UPDATE, .obj = LX_OBJ_SYSCTL};

	(void)d;
	(void)observed;
	(void)owned;
	(void)err;
	/* Like a real source: an op only while desired and kept differ. */
	if (strcmp(f->seen, f->kept) == 0)
		return 0;
	/* A plan op with owned strings: the loop must free them. */
	op.u.kv.key = strdup("k");
	op.u.kv.value = strdup(f->seen);
	cr_assert_eq(lx_plan_add(plan, &op), 0);
	return 0;
}

static int fake_apply(void *inst, const struct lx_desired *d,
		      const void *observed, struct lx_owned *owned,
		      struct lx_subreport *rep, struct lx_error *err)
{
	struct fake *f = inst;

	(void)d;
	(void)observed;
	(void)owned;
	(void)err;
	rep->converged = !f->not_converged;
	for (size_t i = 0; i < rep->plan.n; i++) {
		struct lx_op *op = &rep->plan.ops[i];

		if (op->state != LX_OPS_PLANNED)
			continue; /* held back by the loop */
		cr_assert_lt(f->tries, MAX_PASSES);
		f->tried_at[f->tries++] = now_ms();
		if (f->op_fails) {
			lx_op_fail(op, "File exists (EEXIST)");
			rep->converged = false;
			continue;
		}
		op->state = LX_OPS_APPLIED;
		if (!f->flap)
			snprintf(f->kept, sizeof(f->kept), "%s",
				 op->u.kv.value);
		if (f->echo && f->wfd >= 0)
			cr_assert_eq(write(f->wfd, f->echo, strlen(f->echo)),
				     (ssize_t)strlen(f->echo));
	}
	return 0;
}

static int fake_subscribe(void *inst, struct lx_error *err)
{
	struct fake *f = inst;
	int p[2];

	f->subscribes++;
	if (f->no_monitor)
		return -EOPNOTSUPP;
	if (f->subscribe_fail) {
		f->subscribe_fail--;
		return lx_error_set(err, LX_ERR_SYSTEM, ECONNREFUSED,
				    "fake subscribe");
	}
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	f->rfd = p[0];
	f->wfd = p[1];
	return p[0];
}

/* 'N' in the stream = the kernel dropped events; 'D' = another process
 * deleted a "sysctl"; EOF = the monitor died. */
static int fake_drain(void *src, int fd, uint32_t *deleted)
{
	struct fake *f = src;
	char buf[4096];
	bool overflow = false;
	long n = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] == 'N')
				overflow = true;
			else if (buf[i] == 'D')
				*deleted |= LX_OBJ_BIT(LX_OBJ_SYSCTL);
		n += r;
	}
	f->hints += n;
	if (overflow)
		return -ENOBUFS;
	return n > 0 ? 1 : 0;
}

static void fake_unsubscribe(void *src, int fd)
{
	struct fake *f = src;

	f->unsubscribes++;
	cr_assert_eq(fd, f->rfd);
	close(fd);
	if (f->wfd >= 0)
		close(f->wfd);
	f->rfd = f->wfd = -1;
}

static const struct lx_subsys fake_ops = {
    .name = "fake",
    .observe = fake_observe,
    .diff = fake_diff,
    .apply = fake_apply,
    .subscribe = fake_subscribe,
    .drain = fake_drain,
    .unsubscribe = fake_unsubscribe,
};

/* A source already open over the fake (the loop never opens it). */
static void fake_source(struct lx_source *s, struct fake *f)
{
	lx_source_init(s, &fake_ops, NULL);
	s->inst = f;
	s->opened = true;
}

static void pass_cb(struct lx_loop *loop, const char *trigger, int rc,
		    const struct lx_subreport *rep, void *userdata)
{
	struct fake *f = userdata;

	cr_assert_eq(rep, lx_loop_last_report(loop));
	cr_assert_eq((uint64_t)f->passes + 1, lx_loop_passes(loop));
	cr_assert_lt(f->passes, MAX_PASSES);
	f->t[f->passes] = now_ms();
	f->trig[f->passes] = trigger;
	f->rc[f->passes] = rc;
	f->converged[f->passes] = rep->converged;
	snprintf(f->last_error, sizeof(f->last_error), "%s",
		 rep->error ? rep->error : "");
	f->passes++;
}

struct fixture {
	struct lx_evloop *ev;
	struct lx_loop *loop;
	struct lx_desired d;
	struct lx_owned owned;
	struct fake f;
	struct lx_source src;
};

static void fixture_init(struct fixture *x, const struct lx_loop_config *cfg,
			 bool start)
{
	struct lx_error err = {0};

	memset(x, 0, sizeof(*x));
	x->f.rfd = x->f.wfd = -1;
	lx_options_init(&x->d.opts);
	cr_assert_eq(lx_kvs_add(&x->d.sysctl, "k", "v1"), 0);
	cr_assert_eq(lx_evloop_new(&x->ev, &err), 0, "%s", err.msg);
	fake_source(&x->src, &x->f);
	cr_assert_eq(lx_loop_new(&x->loop, x->ev, &x->src, &x->d, &x->owned,
				 cfg, pass_cb, &x->f, &err),
		     0, "%s", err.msg);
	if (start)
		cr_assert_eq(lx_loop_start(x->loop, &err), 0, "%s", err.msg);
}

static void fixture_fini(struct fixture *x)
{
	lx_loop_free(x->loop);
	cr_assert_eq(lx_evloop_count(x->ev), 0);
	lx_evloop_free(x->ev);
	lx_desired_free(&x->d);
	lx_owned_free(&x->owned);
}

/* Dispatch everything due within ms. */
static void run_for(struct lx_evloop *ev, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	for (uint64_t t = now_ms(); t < end; t = now_ms())
		cr_assert_geq(lx_evloop_run_once(ev, (int)(end - t)), 0);
}

/* Dispatch until nothing happens for idle_ms. */
static void run_until_idle(struct lx_evloop *ev, int idle_ms)
{
	for (int i = 0; i < 10000; i++) {
		int r = lx_evloop_run_once(ev, idle_ms);

		cr_assert_geq(r, 0);
		if (r == 0)
			return;
	}
	cr_assert_fail("loop never went idle");
}

static void hint(struct fake *f, const char *s)
{
	cr_assert_eq(write(f->wfd, s, strlen(s)), (ssize_t)strlen(s));
}

static struct lx_loop_config cfg_of(uint32_t interval, uint32_t debounce,
				    bool monitor, uint32_t backoff_min)
{
	return (struct lx_loop_config){.interval_ms = interval,
				       .debounce_ms = debounce,
				       .monitor = monitor,
				       .backoff_min_ms = backoff_min};
}

Test(loop, start_subscribes_but_runs_no_pass)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 20, true, 0);

	fixture_init(&x, &c, true);
	cr_assert_eq(x.f.subscribes, 1);
	cr_assert(lx_loop_monitoring(x.loop));
	cr_assert_eq(lx_evloop_run_once(x.ev, 50), 0);
	cr_assert_eq(lx_loop_passes(x.loop), 0);
	cr_assert_null(lx_loop_last_trigger(x.loop));
	fixture_fini(&x);
}

Test(loop, burst_of_1000_hints_with_debounce_20ms_gives_at_most_3_passes)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 20, true, 0);
	uint64_t t0;

	fixture_init(&x, &c, true);
	t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		hint(&x.f, "h");
		if (i % 10 == 0)
			cr_assert_geq(lx_evloop_run_once(x.ev, 0), 0);
	}
	run_until_idle(x.ev, 60);
	cr_assert_eq(x.f.hints, 1000);
	cr_assert_geq(x.f.passes, 1);
	cr_assert_leq(x.f.passes, 3, "%d passes", x.f.passes);
	for (int i = 0; i < x.f.passes; i++)
		cr_assert_str_eq(x.f.trig[i], "monitor");
	/* debounced: not before the window closed */
	cr_assert_geq(x.f.t[0] - t0, 19);
	fixture_fini(&x);
}

Test(loop, debounce_0_passes_on_next_turn_and_still_coalesces_queued_hints)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 0, true, 0);
	uint64_t t0;

	fixture_init(&x, &c, true);
	for (int i = 0; i < 1000; i++)
		hint(&x.f, "h");
	t0 = now_ms();
	run_until_idle(x.ev, 30);
	cr_assert_eq(x.f.passes, 1, "%d passes", x.f.passes);
	cr_assert_lt(x.f.t[0] - t0, 15);
	cr_assert_str_eq(x.f.trig[0], "monitor");
	/* a later hint is a new pass, not swallowed */
	hint(&x.f, "h");
	run_until_idle(x.ev, 30);
	cr_assert_eq(x.f.passes, 2);
	fixture_fini(&x);
}

Test(loop, resync_timer_runs_passes_with_trigger_timer)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(50, 20, false, 0);
	uint64_t t0 = now_ms();

	fixture_init(&x, &c, true);
	cr_assert_eq(x.f.subscribes, 0, "monitor disabled");
	run_for(x.ev, 180);
	cr_assert_geq(x.f.passes, 3, "%d passes", x.f.passes);
	cr_assert_leq(x.f.passes, 4, "%d passes", x.f.passes);
	for (int i = 0; i < x.f.passes; i++) {
		cr_assert_str_eq(x.f.trig[i], "timer");
		cr_assert_geq(x.f.t[i] - (i ? x.f.t[i - 1] : t0), 49);
	}
	fixture_fini(&x);
}

Test(loop, failing_source_is_retried_with_doubling_delays_capped_at_interval)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(160, 20, false, 10);
	static const uint64_t expect[] = {10, 20, 40, 80, 160, 160};
	const int n = (int)LX_ARRAY_SIZE(expect);

	fixture_init(&x, &c, true);
	x.f.fail = -1;
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), -EIO);
	cr_assert(strstr(x.f.last_error, "fake observe"), "%s", x.f.last_error);
	while (x.f.passes < n + 1)
		cr_assert_geq(lx_evloop_run_once(x.ev, 1000), 0);
	for (int i = 1; i <= n; i++) {
		uint64_t d = x.f.t[i] - x.f.t[i - 1];

		cr_assert_str_eq(x.f.trig[i], "timer");
		cr_assert_eq(x.f.rc[i], -EIO);
		cr_assert_geq(d, expect[i - 1] - 1, "retry %d after %lu ms", i,
			      (unsigned long)d);
		cr_assert_leq(d, expect[i - 1] + 30, "retry %d after %lu ms", i,
			      (unsigned long)d);
	}
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 160);

	/* A converged pass resets the backoff: the next one is a resync. */
	x.f.fail = 0;
	int before = x.f.passes;
	while (x.f.passes < before + 2)
		cr_assert_geq(lx_evloop_run_once(x.ev, 1000), 0);
	cr_assert(x.f.converged[before]);
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 0);
	cr_assert_geq(x.f.t[before + 1] - x.f.t[before], 159);
	x.f.fail = 1;
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "manual"), -EIO);
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 10);
	fixture_fini(&x);
}

Test(loop, pass_that_does_not_converge_is_retried_on_backoff)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 20, false, 10);

	fixture_init(&x, &c, true);
	x.f.not_converged = true;
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	run_for(x.ev, 45); /* 10 + 20 */
	cr_assert_eq(x.f.passes, 3, "%d passes", x.f.passes);
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 40);
	fixture_fini(&x);
}

Test(loop, backoff_is_capped_at_30s_when_there_is_no_resync)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 20, false, 20000);

	fixture_init(&x, &c, true);
	x.f.fail = -1;
	(void)lx_loop_reconcile_now(x.loop, "initial");
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 20000);
	(void)lx_loop_reconcile_now(x.loop, "manual");
	cr_assert_eq(lx_loop_backoff_ms(x.loop), LX_LOOP_BACKOFF_MAX_MS);
	fixture_fini(&x);
}

Test(loop, converged_idle_loop_without_resync_arms_nothing)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 20, true, 10);

	fixture_init(&x, &c, true);
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	cr_assert(x.f.converged[0]);
	/* nothing readable, nothing armed: epoll_wait just times out */
	cr_assert_eq(lx_evloop_run_once(x.ev, 150), 0);
	cr_assert_eq(x.f.passes, 1);
	fixture_fini(&x);
}

Test(loop, enobufs_from_the_monitor_runs_an_immediate_resync)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 1000, true, 0);
	uint64_t t0;

	fixture_init(&x, &c, true);
	hint(&x.f, "hhN");
	t0 = now_ms();
	cr_assert_eq(lx_evloop_run_once(x.ev, 500), 1);
	cr_assert_eq(x.f.passes, 1);
	cr_assert_str_eq(x.f.trig[0], "monitor");
	cr_assert_lt(x.f.t[0] - t0, 50);
	/* the resync covered the hints: no debounced pass follows */
	cr_assert_eq(lx_evloop_run_once(x.ev, 50), 0);
	cr_assert_eq(x.f.subscribes, 1, "overflow is not a broken monitor");
	fixture_fini(&x);
}

Test(loop, enobufs_right_after_a_pass_waits_for_the_debounce)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 100, true, 0);
	uint64_t t0;

	fixture_init(&x, &c, true);
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	hint(&x.f, "N");
	t0 = now_ms();
	cr_assert_eq(lx_evloop_run_once(x.ev, 0), 1);
	cr_assert_eq(x.f.passes, 1, "overflow right after a pass: no pass yet");
	run_for(x.ev, 200);
	cr_assert_eq(x.f.passes, 2);
	cr_assert_str_eq(x.f.trig[1], "monitor");
	cr_assert_geq(x.f.t[1] - t0, 90);
	fixture_fini(&x);
}

Test(loop, overflow_storm_costs_one_pass_per_debounce_window)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 50, true, 0);
	uint64_t t0, end;

	fixture_init(&x, &c, true);
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	/* an overflow every 5 ms for 500 ms */
	t0 = now_ms();
	for (end = t0 + 500; now_ms() < end;) {
		hint(&x.f, "N");
		run_for(x.ev, 5);
	}
	run_for(x.ev, 100);
	cr_assert_geq(x.f.passes, 3);
	cr_assert_leq((uint64_t)x.f.passes, 1 + (now_ms() - t0) / 50 + 2,
		      "%d passes in %llu ms", x.f.passes,
		      (unsigned long long)(now_ms() - t0));
	fixture_fini(&x);
}

Test(loop, resync_covers_hints_queued_before_it)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 40, true, 0);

	fixture_init(&x, &c, true);
	hint(&x.f, "h");
	cr_assert_eq(lx_evloop_run_once(x.ev, 0), 1); /* debounce armed */
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "manual"), 0);
	cr_assert_eq(lx_evloop_run_once(x.ev, 80), 0);
	cr_assert_eq(x.f.passes, 1);
	fixture_fini(&x);
}

Test(loop, broken_monitor_is_resubscribed_and_resynced)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 10, true, 0);

	fixture_init(&x, &c, true);
	close(x.f.wfd); /* EOF on the monitor */
	x.f.wfd = -1;
	cr_assert_eq(lx_evloop_run_once(x.ev, 100), 1);
	cr_assert_eq(x.f.unsubscribes, 1);
	cr_assert_eq(x.f.subscribes, 2);
	cr_assert(lx_loop_monitoring(x.loop));
	cr_assert_eq(x.f.passes, 1);
	cr_assert_str_eq(x.f.trig[0], "monitor");
	/* the new monitor delivers hints */
	hint(&x.f, "h");
	run_until_idle(x.ev, 40);
	cr_assert_eq(x.f.passes, 2);
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 0);
	fixture_fini(&x);
}

Test(loop, failed_resubscribe_is_retried_on_backoff)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 10, true, 10);

	fixture_init(&x, &c, true);
	x.f.subscribe_fail = 2;
	close(x.f.wfd);
	x.f.wfd = -1;
	cr_assert_eq(lx_evloop_run_once(x.ev, 100), 1);
	cr_assert(!lx_loop_monitoring(x.loop));
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 10,
		     "a converged pass without its monitor still backs off");
	run_until_idle(x.ev, 80);
	cr_assert_eq(x.f.subscribes, 4); /* start + 3 attempts */
	cr_assert(lx_loop_monitoring(x.loop));
	cr_assert_eq(x.f.passes, 3);
	cr_assert_str_eq(x.f.trig[1], "timer");
	cr_assert_geq(x.f.t[2] - x.f.t[1], 19);
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 0);
	fixture_fini(&x);
}

Test(loop, source_without_monitor_relies_on_resync_alone)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 10, true, 10);

	memset(&x, 0, sizeof(x));
	fixture_init(&x, &c, false);
	x.f.no_monitor = true;
	cr_assert_eq(lx_loop_start(x.loop, NULL), 0);
	cr_assert(!lx_loop_monitoring(x.loop));
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	cr_assert_eq(lx_loop_backoff_ms(x.loop), 0);
	cr_assert_eq(lx_evloop_run_once(x.ev, 50), 0);
	fixture_fini(&x);
}

Test(loop, start_fails_when_subscribing_fails)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 10, true, 10);
	struct lx_error err = {0};

	fixture_init(&x, &c, false);
	x.f.subscribe_fail = 1;
	cr_assert_eq(lx_loop_start(x.loop, &err), -ECONNREFUSED);
	cr_assert(strstr(err.msg, "fake monitor"), "%s", err.msg);
	fixture_fini(&x);
}

Test(loop, put_desired_replaces_the_document_the_source_sees)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 10, true, 0);
	struct lx_desired d2 = {0};

	fixture_init(&x, &c, true);
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	cr_assert_str_eq(x.f.seen, "v1");
	cr_assert_eq(lx_kvs_add(&d2.sysctl, "k", "v2"), 0);
	lx_loop_put_desired(x.loop, &d2); /* borrowed: freed at the end */
	run_until_idle(x.ev, 40);
	cr_assert_eq(x.f.passes, 2);
	cr_assert_str_eq(x.f.trig[1], "put");
	cr_assert_str_eq(x.f.seen, "v2");
	cr_assert_str_eq(
	    lx_kvs_find(&lx_loop_desired(x.loop)->sysctl, "k")->value, "v2");
	fixture_fini(&x);
	lx_desired_free(&d2);
}

Test(loop, kicks_coalesce_and_a_pending_put_names_the_pass)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 10, true, 0);

	fixture_init(&x, &c, true);
	lx_loop_kick(x.loop, "monitor");
	lx_loop_kick(x.loop, "put");
	lx_loop_kick(x.loop, "manual");
	hint(&x.f, "hh");
	run_until_idle(x.ev, 40);
	cr_assert_eq(x.f.passes, 1);
	cr_assert_str_eq(x.f.trig[0], "put");
	lx_loop_kick(x.loop, "bogus");
	run_until_idle(x.ev, 40);
	cr_assert_str_eq(x.f.trig[1], "manual");
	fixture_fini(&x);
}

static int reentry_rc;
static void reenter_cb(struct lx_loop *loop, const char *trigger, int rc,
		       const struct lx_subreport *rep, void *userdata)
{
	(void)trigger;
	(void)rc;
	(void)rep;
	(void)userdata;
	reentry_rc = lx_loop_reconcile_now(loop, "manual");
}

Test(loop, pass_from_inside_its_own_callback_is_ebusy)
{
	struct lx_evloop *ev = NULL;
	struct lx_loop *loop = NULL;
	struct lx_desired d = {0};
	struct lx_owned o = {0};
	struct fake f = {.rfd = -1, .wfd = -1};
	struct lx_loop_config c = cfg_of(0, 10, false, 0);
	struct lx_source src;

	fake_source(&src, &f);
	cr_assert_eq(lx_evloop_new(&ev, NULL), 0);
	cr_assert_eq(
	    lx_loop_new(&loop, ev, &src, &d, &o, &c, reenter_cb, NULL, NULL),
	    0);
	cr_assert_eq(lx_loop_reconcile_now(loop, "initial"), 0);
	cr_assert_eq(reentry_rc, -EBUSY);
	cr_assert_eq(lx_loop_passes(loop), 1);
	lx_loop_free(loop);
	lx_evloop_free(ev);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

Test(loop, free_leaves_no_fd_open)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(30, 10, true, 0);
	int before = count_fds();

	fixture_init(&x, &c, true);
	cr_assert_gt(count_fds(), before + 3); /* epoll, 2 timers, pipe */
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	hint(&x.f, "h");
	close(x.f.wfd); /* also exercise a re-subscribe */
	x.f.wfd = -1;
	run_for(x.ev, 50);
	cr_assert_eq(x.f.subscribes, 2);
	lx_loop_free(x.loop);
	x.loop = NULL;
	cr_assert_eq(lx_evloop_count(x.ev), 0);
	cr_assert_eq(x.f.unsubscribes, 2);
	fixture_fini(&x);
	cr_assert_eq(count_fds(), before);
}

Test(loop, two_loops_share_one_evloop)
{
	struct fixture x; /* loop A */
	struct lx_loop_config ca = cfg_of(0, 10, true, 0);
	/* B's resync well after both hints, so a slow machine cannot run it
	 * before B's monitor pass */
	struct lx_loop_config cb = cfg_of(300, 10, true, 0);
	struct fake fb = {.rfd = -1, .wfd = -1};
	struct lx_source sb;
	struct lx_loop *b = NULL;

	fixture_init(&x, &ca, true);
	fake_source(&sb, &fb);
	cr_assert_eq(
	    lx_loop_new(&b, x.ev, &sb, &x.d, &x.owned, &cb, pass_cb, &fb, NULL),
	    0);
	cr_assert_eq(lx_loop_start(b, NULL), 0);

	hint(&x.f, "h");
	run_for(x.ev, 25);
	cr_assert_eq(x.f.passes, 1);
	cr_assert_eq(fb.passes, 0);

	hint(&fb, "h");
	run_for(x.ev, 25);
	cr_assert_eq(x.f.passes, 1);
	cr_assert_eq(fb.passes, 1);
	cr_assert_str_eq(fb.trig[0], "monitor");

	/* B's resync runs; A, without one, stays idle */
	run_for(x.ev, 350);
	cr_assert_geq(fb.passes, 2);
	cr_assert_str_eq(fb.trig[1], "timer");
	cr_assert_eq(x.f.passes, 1);

	lx_loop_free(b);
	fixture_fini(&x);
}

struct pair {
	struct lx_loop *loop[2];
	struct fake f[2];
	int passes;
};

/* Whichever pass runs first frees the other loop. */
static void free_other_cb(struct lx_loop *loop, const char *trigger, int rc,
			  const struct lx_subreport *rep, void *userdata)
{
	struct pair *p = userdata;
	int other = loop == p->loop[0] ? 1 : 0;

	(void)trigger;
	(void)rc;
	(void)rep;
	p->passes++;
	lx_loop_free(p->loop[other]);
	p->loop[other] = NULL;
}

/*
 * Both debounce timers expire in the same epoll_wait batch; the first pass
 * frees the other loop, whose pending timer event must then be dropped.
 */
Test(loop, freeing_a_loop_whose_timer_is_pending_in_the_batch_is_safe)
{
	struct lx_evloop *ev = NULL;
	struct lx_desired d = {0};
	struct lx_owned o = {0};
	struct lx_loop_config c = cfg_of(0, 0, false, 0);
	struct pair p = {.f = {{.rfd = -1, .wfd = -1}, {.rfd = -1, .wfd = -1}}};
	struct lx_source src[2];

	cr_assert_eq(lx_evloop_new(&ev, NULL), 0);
	for (int i = 0; i < 2; i++) {
		fake_source(&src[i], &p.f[i]);
		cr_assert_eq(lx_loop_new(&p.loop[i], ev, &src[i], &d, &o, &c,
					 free_other_cb, &p, NULL),
			     0);
	}
	lx_loop_kick(p.loop[0], "manual");
	lx_loop_kick(p.loop[1], "manual");
	usleep(2000); /* both expired before we wait */
	cr_assert_eq(lx_evloop_run_once(ev, 100), 1);
	cr_assert_eq(p.passes, 1);
	cr_assert_eq(lx_evloop_count(ev), 2); /* the survivor's timers */
	cr_assert_eq(lx_evloop_run_once(ev, 20), 0);
	lx_loop_free(p.loop[0] ? p.loop[0] : p.loop[1]);
	cr_assert_eq(lx_evloop_count(ev), 0);
	lx_evloop_free(ev);
}

/*
 * The contract's lazy open: a subsystem whose wanted() says no is never
 * opened (no socket, no library) and reports converged; once a document
 * wants it, the next pass opens it and the loop subscribes its monitor.
 */
static struct fake *lazy_fake;
static int lazy_opens;

static bool lazy_wanted(const struct lx_desired *d, const struct lx_owned *o)
{
	(void)o;
	return lx_kvs_find(&d->sysctl, "want") != NULL;
}

static int lazy_open(void **inst, const struct lx_source_env *env,
		     struct lx_error *err)
{
	(void)env;
	(void)err;
	lazy_opens++;
	*inst = lazy_fake;
	return 0;
}

static const struct lx_subsys lazy_ops = {
    .name = "lazy",
    .wanted = lazy_wanted,
    .open = lazy_open,
    .observe = fake_observe,
    .diff = fake_diff,
    .apply = fake_apply,
    .subscribe = fake_subscribe,
    .drain = fake_drain,
    .unsubscribe = fake_unsubscribe,
};

Test(loop, a_subsystem_not_wanted_is_not_opened_until_a_document_wants_it)
{
	struct lx_evloop *ev = NULL;
	struct lx_loop *loop = NULL;
	struct lx_desired d = {0}, want = {0};
	struct lx_owned o = {0};
	struct fake f = {.rfd = -1, .wfd = -1};
	struct lx_loop_config c = cfg_of(0, 0, true, 0);
	struct lx_source src;

	lazy_fake = &f;
	lazy_opens = 0;
	lx_options_init(&d.opts);
	lx_source_init(&src, &lazy_ops, NULL);
	cr_assert_eq(lx_evloop_new(&ev, NULL), 0);
	cr_assert_eq(
	    lx_loop_new(&loop, ev, &src, &d, &o, &c, pass_cb, &f, NULL), 0);
	cr_assert_eq(lx_loop_start(loop, NULL), 0);
	cr_assert_eq(lx_loop_reconcile_now(loop, "initial"), 0);
	cr_assert_eq(lazy_opens, 0);
	cr_assert_eq(f.subscribes, 0);
	cr_assert(lx_loop_last_report(loop)->converged);
	cr_assert_eq(lx_loop_last_report(loop)->plan.n, 0);
	cr_assert_str_eq(lx_loop_last_report(loop)->name, "lazy");

	lx_options_init(&want.opts);
	cr_assert_eq(lx_kvs_add(&want.sysctl, "want", "1"), 0);
	cr_assert_eq(lx_kvs_add(&want.sysctl, "k", "v2"), 0);
	lx_loop_put_desired(loop, &want);
	run_until_idle(ev, 30);
	cr_assert_eq(lazy_opens, 1);
	cr_assert_eq(f.subscribes, 1, "subscribed once open");
	cr_assert(lx_loop_monitoring(loop));
	cr_assert_eq(lx_loop_last_report(loop)->plan.n, 1);
	cr_assert_str_eq(f.seen, "v2");
	/* Further passes reuse the instance. */
	cr_assert_eq(lx_loop_reconcile_now(loop, "manual"), 0);
	cr_assert_eq(lazy_opens, 1);
	lx_loop_free(loop);
	lx_evloop_free(ev);
	lx_desired_free(&want);
}

/* ------------------------------------------------- flaps and backoff */

/* Gaps between the tries of the op, in ms, into gap[]; returns how many. */
static int gaps(const struct fake *f, uint64_t *gap)
{
	for (int i = 1; i < f->tries; i++)
		gap[i - 1] = f->tried_at[i] - f->tried_at[i - 1];
	return f->tries > 1 ? f->tries - 1 : 0;
}

/* Each gap at least the backoff's step for it: min, 2 min, 4 min, ...
 * (latency only adds to a gap, so the lower bound is exact). */
static void expect_backoff(const uint64_t *gap, int n, uint64_t min)
{
	for (int i = 0; i < n; i++)
		cr_assert_geq(gap[i] + 1, min << i,
			      "gap %d: %lu ms, step %lu ms", i,
			      (unsigned long)gap[i], (unsigned long)(min << i));
}

static const json_t *backoff_entry(const struct lx_loop *loop)
{
	const struct lx_subreport *rep = lx_loop_last_report(loop);

	return rep->backoff ? json_array_get(rep->backoff, 0) : NULL;
}

Test(loop, flap_is_retried_on_exponential_backoff_and_reported)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 5, true, 10);
	uint64_t gap[MAX_PASSES];
	const json_t *e;
	int n;

	fixture_init(&x, &c, true);
	/* The "kernel" acknowledges the write, does not keep it, and the
	 * write's own event wakes the loop: without the flap rule, one
	 * write per debounce window for ever. */
	x.f.flap = true;
	x.f.echo = "h";
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	run_for(x.ev, 700);
	n = gaps(&x.f, gap);
	/* 10, 20, 40, 80, 160, 320: 7 tries in 700 ms (140 without). */
	cr_assert_geq(x.f.tries, 5, "%d tries", x.f.tries);
	cr_assert_leq(x.f.tries, 9, "%d tries", x.f.tries);
	expect_backoff(gap, n, 10);
	/* Each try's event costs one more pass that holds the op: bounded. */
	cr_assert_leq(x.f.passes, 2 * x.f.tries + 2, "%d passes", x.f.passes);
	e = backoff_entry(x.loop);
	cr_assert(e, "no backoff in the report");
	cr_assert_str_eq(json_string_value(json_object_get(e, "reason")),
			 "flap");
	cr_assert_str_eq(json_string_value(json_object_get(e, "item")), "k=v1");
	cr_assert_geq(json_integer_value(json_object_get(e, "count")), 4);
	cr_assert_not(lx_loop_last_report(x.loop)->converged);
	cr_assert_gt(lx_loop_backoff_ms(x.loop), 0);
	fixture_fini(&x);
}

Test(loop, heal_of_a_deletion_is_not_a_flap_and_clears_the_backoff)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 5, true, 10);
	uint64_t gap[MAX_PASSES];
	int n, first;

	fixture_init(&x, &c, true);
	x.f.flap = true;
	x.f.echo = "h";
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	run_for(x.ev, 400);
	cr_assert(backoff_entry(x.loop), "the flap was not reported");
	/* From now on another process deletes what we write, each time with
	 * a deletion event: every heal runs at once (one debounce). */
	x.f.echo = "D";
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "manual"), 0);
	first = x.f.tries;
	run_for(x.ev, 200);
	n = gaps(&x.f, gap);
	cr_assert_geq(x.f.tries - first, 15, "%d heals in 200 ms",
		      x.f.tries - first);
	for (int i = first; i < n; i++)
		cr_assert_leq(gap[i], 25, "heal %d after %lu ms", i,
			      (unsigned long)gap[i]);
	cr_assert_null(backoff_entry(x.loop));
	fixture_fini(&x);
}

Test(loop, op_failing_the_same_way_backs_off_whatever_wakes_the_loop)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 2, true, 10);
	uint64_t gap[MAX_PASSES];
	const json_t *e;
	int n;

	fixture_init(&x, &c, true);
	x.f.op_fails = true;
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	/* Unrelated events keep waking the loop (a busy namespace). */
	for (uint64_t end = now_ms() + 600; now_ms() < end;) {
		hint(&x.f, "h");
		run_for(x.ev, 3);
	}
	n = gaps(&x.f, gap);
	cr_assert_leq(x.f.tries, 9, "%d tries", x.f.tries);
	expect_backoff(gap, n, 10);
	e = backoff_entry(x.loop);
	cr_assert(e);
	cr_assert_str_eq(json_string_value(json_object_get(e, "reason")),
			 "failing");
	cr_assert_str_eq(json_string_value(json_object_get(e, "error")),
			 "File exists (EEXIST)");
	/* The operator's reconcile runs it at once; a new document starts
	 * it afresh. */
	n = x.f.tries;
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "manual"), 0);
	cr_assert_eq(x.f.tries, n + 1);
	fixture_fini(&x);
}

Test(loop, object_gone_again_after_a_pass_saw_it_is_still_a_flap)
{
	struct fixture x;
	struct lx_loop_config c = cfg_of(0, 5, true, 10);
	uint64_t gap[MAX_PASSES];

	fixture_init(&x, &c, true);
	/* A pass finds what was created, then it is renamed away: without
	 * remembering the op past that pass, every create looks like the
	 * first and the loop creates once per two debounce windows. */
	x.f.flap_late = true;
	x.f.echo = "h";
	cr_assert_eq(lx_loop_reconcile_now(x.loop, "initial"), 0);
	run_for(x.ev, 700);
	cr_assert_geq(x.f.tries, 5, "%d tries", x.f.tries);
	cr_assert_leq(x.f.tries, 9, "%d tries", x.f.tries);
	expect_backoff(gap, gaps(&x.f, gap), 10);
	fixture_fini(&x);
}
