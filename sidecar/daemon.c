/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "commands.h"
#include "control.h"
#include "daemon.h"
#include "desired.h"
#include "idle.h"
#include "jsonw.h"
#include "sandbox.h"
#include "stats.h"

#define LX_DAEMON_TRIM_MS 1000

struct lx_daemon {
	struct lx_engine *eng;
	struct lx_daemon_config cfg;
	struct lx_evloop *ev;
	struct lx_loop *loops[LX_SUB_MAX]; /* one per eng->src[i] */
	size_t n_loops;
	struct lx_control *ctl;
	int sigfd;
	uint64_t passes;
	const char *trigger;
	uint64_t last_duration_us;
	char *saved;	    /* last_applied as state.json on disk holds it */
	bool desired_saved; /* ... and its desired is the current one */
	bool batch;   /* pass_all: write state and report once, at the end */
	bool sandboxed; /* lx_daemon_enter_sandbox done */
	int trim_tfd; /* one-shot: lx_idle_trim once the passes quiet down */
	int exit_code;
	struct lx_stats stats; /* for list, status and metrics */
};

static void logf_(struct lx_daemon *d, const char *fmt, ...) LX_PRINTF(2, 3);
static void logf_(struct lx_daemon *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->cfg.log_stderr)
		return;
	fprintf(stderr, "linx-sidecar[%s]: ", d->eng->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------ report */

static size_t last_reports(struct lx_daemon *d,
			   const struct lx_subreport *subs[LX_SUB_MAX])
{
	for (size_t i = 0; i < d->n_loops; i++)
		subs[i] = lx_loop_last_report(d->loops[i]);
	return d->n_loops;
}

static json_t *report_json(struct lx_daemon *d)
{
	const struct lx_subreport *subs[LX_SUB_MAX];
	size_t n = last_reports(d, subs);

	return lx_report_parts_to_json(d->eng->id, d->passes, d->trigger,
				       d->last_duration_us, subs, n,
				       &d->eng->owned);
}

/* report.json, streamed (lx_state_write_with). */
static int emit_report(FILE *f, void *arg)
{
	struct lx_daemon *d = arg;
	const struct lx_subreport *subs[LX_SUB_MAX];
	size_t n = last_reports(d, subs);
	int r;

	r = lx_report_parts_dumpf(f, d->eng->id, d->passes, d->trigger,
				  d->last_duration_us, subs, n, &d->eng->owned);
	return r ? r : (fputc('\n', f) == EOF ? -EIO : 0);
}

static bool converged(struct lx_daemon *d)
{
	for (size_t i = 0; i < d->n_loops; i++)
		if (!lx_loop_last_report(d->loops[i])->converged)
			return false;
	return true;
}

/* Persist state.json only when what it holds changed. */
/*
 * Persist state.json when what it would hold differs from what is on disk.
 * owned is the ownership to write: the engine's, or the write-ahead set of
 * a coming apply. Only ownership is compared (d->saved mirrors it on disk):
 * the desired state changes only through put_desired, which clears
 * desired_saved, so a pass over a large document does not serialise it.
 */
static void save_owned(struct lx_daemon *d, const struct lx_owned *owned)
{
	struct lx_error err;
	_cleanup_json_ json_t *oj = lx_owned_to_json(owned);
	_cleanup_free_ char *now = NULL;
	struct lx_sb dj = {0};
	int r = -ENOMEM;

	now = oj ? json_dumps(oj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (now && d->desired_saved && d->saved && strcmp(now, d->saved) == 0)
		return;
	lx_error_clear(&err);
	if (oj)
		r = lx_desired_dump(&dj, &d->eng->desired);
	if (r < 0)
		lx_error_set(&err, LX_ERR_SYSTEM, -r, "%s",
			     lx_state_file_name(LX_STATE_STATE));
	if (r < 0 ||
	    lx_state_save(&d->eng->state, dj.p, dj.len, NULL, oj, &err) < 0) {
		lx_sb_free(&dj);
		logf_(d, "%s", err.msg);
		lx_state_event(&d->eng->state, "error",
			       json_pack("{s:s}", "error", err.msg));
		/* Unknown on disk now: the next save must write. */
		free(d->saved);
		d->saved = NULL;
		return;
	}
	lx_sb_free(&dj);
	free(d->saved);
	d->saved = TAKE_PTR(now);
	d->desired_saved = true;
}

static void save_state(struct lx_daemon *d)
{
	save_owned(d, &d->eng->owned);
}

/* Write-ahead ownership (lx_source_intent_fn): what the coming ops create
 * (and the originals of keys first written) is on disk before the first
 * of them runs. A pass that ends as planned then has nothing more to
 * write. */
static void write_ahead(void *data, const struct lx_owned *ahead)
{
	save_owned(data, ahead);
}

static void log_ops(struct lx_daemon *d, const struct lx_subreport *rep,
		    const char *sub)
{
	char buf[512];

	for (size_t i = 0; i < rep->plan.n; i++) {
		const struct lx_op *op = &rep->plan.ops[i];

		if (op->held ||
		    (op->state != LX_OPS_APPLIED && op->state != LX_OPS_FAILED))
			continue; /* not run in this pass */
		lx_state_event(&d->eng->state, "apply.op",
			       json_pack("{s:s, s:s, s:s, s:s, s:s?}",
					 "subsystem", sub, "op",
					 lx_op_verb_name(op->verb), "kind",
					 lx_obj_name(op->obj), "item",
					 lx_op_describe(op, buf, sizeof(buf)),
					 "error", op->error));
		logf_(d, "%s %s %s%s%s", lx_op_verb_name(op->verb),
		      lx_obj_name(op->obj), buf, op->error ? ": " : "",
		      op->error ? op->error : "");
	}
}

/*
 * One event per op the loop backs off that ran in this pass (its retry,
 * not every pass that held it): "flap.detected" when the kernel did not
 * keep what it acknowledged, "op.backoff" when it keeps failing.
 */
static void log_backoff(struct lx_daemon *d, const struct lx_subreport *rep,
			const char *sub)
{
	char buf[1024];
	size_t i;
	json_t *e;

	json_array_foreach(rep->backoff, i, e)
	{
		json_t *ev;

		if (json_is_true(json_object_get(e, "held")))
			continue;
		ev = json_deep_copy(e);
		if (!ev)
			continue;
		json_object_del(ev, "held");
		json_object_set_new(ev, "subsystem", json_string(sub));
		lx_state_event(
		    &d->eng->state,
		    strcmp(json_string_value(json_object_get(e, "reason"))
			       ?: "",
			   "flap") == 0
			? "flap.detected"
			: "op.backoff",
		    ev);
		logf_(d, "%s", lx_format_backoff(e, buf, sizeof(buf)));
	}
}

/* state.json (if changed) and report.json after a pass. */
static void persist(struct lx_daemon *d)
{
	save_state(d);
	lx_state_write_with(&d->eng->state, LX_STATE_REPORT, emit_report, d);
	/* Once quiet for a second, give the passes' garbage back to the
	 * kernel (the footprint is paid once per container). Not at once:
	 * drift comes in bursts, and the next heal would fault it back in. */
	if (d->trim_tfd >= 0)
		lx_timer_arm(d->trim_tfd, LX_DAEMON_TRIM_MS, 0);
}

static void overflow_cb(struct lx_loop *loop, void *userdata)
{
	struct lx_daemon *d = userdata;

	lx_state_event(&d->eng->state, "resync_needed",
		       json_pack("{s:s, s:s}", "subsystem", lx_loop_name(loop),
				 "reason", "monitor overflow (ENOBUFS)"));
}

LX_IDLE_PATH static int trim_cb(struct lx_evloop *ev, int fd,
				 uint32_t revents, void *userdata)
{
	(void)ev;
	(void)revents;
	(void)userdata;
	if (lx_timer_read(fd) > 0)
		lx_idle_trim();
	return 0;
}

static void count_pass(struct lx_daemon *d, struct lx_loop *loop,
		       const char *sub, const char *trigger, int rc,
		       const struct lx_subreport *rep, size_t applied,
		       size_t failed)
{
	uint32_t iv = d->eng->desired.opts.interval_ms;
	const char *error = rep->error;

	for (size_t i = 0; !error && i < rep->plan.n; i++)
		if (rep->plan.ops[i].state == LX_OPS_FAILED)
			error = rep->plan.ops[i].error;
	if (!error && rc < 0)
		error = "pass failed";
	lx_stats_pass(&d->stats, sub, trigger, applied, failed, rep->converged,
		      converged(d), lx_loop_backoff_ms(loop),
		      iv ? iv : LX_LOOP_BACKOFF_MAX_MS, d->last_duration_us,
		      error);
}

static void pass_cb(struct lx_loop *loop, const char *trigger, int rc,
		    const struct lx_subreport *rep, void *userdata)
{
	struct lx_daemon *d = userdata;
	const char *sub = lx_loop_name(loop);
	size_t applied = lx_plan_count(&rep->plan, LX_OPS_APPLIED);
	size_t failed = lx_plan_count(&rep->plan, LX_OPS_FAILED);

	d->passes++;
	d->trigger = trigger;
	d->last_duration_us = 0;
	for (size_t i = 0; i < d->eng->n_src; i++)
		d->last_duration_us += d->eng->src[i].duration_us;
	/* Ops on a pass the owner did not ask for are drift being healed. */
	if (applied && strcmp(trigger, "put") && strcmp(trigger, "initial"))
		lx_state_event(&d->eng->state, "drift.detected",
			       json_pack("{s:s, s:s, s:I}", "subsystem", sub,
					 "trigger", trigger, "ops",
					 (json_int_t)applied));
	log_ops(d, rep, sub);
	log_backoff(d, rep, sub);
	count_pass(d, loop, sub, trigger, rc, rep, applied, failed);
	if (rc < 0 || rep->error)
		lx_state_event(
		    &d->eng->state, "error",
		    json_pack("{s:s, s:s}", "subsystem", sub, "error",
			      rep->error ? rep->error : "pass failed"));
	lx_state_event(&d->eng->state, "pass.complete",
		       json_pack("{s:s, s:s, s:I, s:b, s:I, s:I}", "subsystem",
				 sub, "trigger", trigger, "pass",
				 (json_int_t)d->passes, "converged",
				 rep->converged, "applied", (json_int_t)applied,
				 "failed", (json_int_t)failed));
	if (!d->batch)
		persist(d);
}

/* ----------------------------------------------------- other sources */

static int stop(struct lx_daemon *d, const char *why)
{
	logf_(d, "stopping: %s", why);
	lx_state_event(&d->eng->state, "teardown",
		       json_pack("{s:s}", "reason", why));
	lx_evloop_quit(d->ev, 0);
	return 0;
}

static int pidfd_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		    void *userdata)
{
	(void)ev;
	(void)fd;
	(void)revents;
	return stop(userdata, "target exited");
}

static int put_desired(struct lx_daemon *d, struct lx_desired *nd,
		       struct lx_error *err);

static int reload_desired(struct lx_daemon *d)
{
	struct lx_desired nd = {0};
	struct lx_error err;
	int r;

	lx_error_clear(&err);
	r = lx_desired_from_file(d->cfg.desired_path, &nd, &err);
	if (r == 0)
		r = put_desired(d, &nd, &err);
	if (r < 0) {
		logf_(d, "SIGHUP: %s", err.msg);
		lx_state_event(&d->eng->state, "error",
			       json_pack("{s:s}", "error", err.msg));
	}
	lx_desired_free(&nd);
	return 0;
}

static int signal_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		     void *userdata)
{
	struct lx_daemon *d = userdata;
	struct signalfd_siginfo si;

	(void)ev;
	(void)revents;
	/* Drain every pending signal. */
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP && d->cfg.desired_path)
			reload_desired(d);
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			stop(d, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
	}
	return 0;
}

/* ------------------------------------------------------- public API */

void lx_daemon_config_env(struct lx_daemon_config *cfg)
{
	const char *v = getenv("LINX_SIDECAR_RCVBUF");
	char *end = NULL;
	long n;

	if (!v || !*v)
		return;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno == 0 && end && *end == '\0' && n > 0 && n <= INT_MAX)
		cfg->monitor_rcvbuf = (int)n;
}

/* Check nd and, if it passes, take it (*nd is left empty): the engine's
 * document is swapped once and every loop reads the new one. */
static int put_desired(struct lx_daemon *d, struct lx_desired *nd,
		       struct lx_error *err)
{
	int r;

	r = lx_engine_check(d->eng, nd, err);
	if (r < 0)
		return r;
	d->desired_saved = false;
	lx_engine_set_desired(d->eng, nd);
	for (size_t i = 0; i < d->n_loops; i++)
		lx_loop_put_desired(d->loops[i], &d->eng->desired);
	save_state(d);
	return 0;
}

/* Every source in turn, then one state.json and one report.json: the
 * hook's first pass is on the container's start-up path. (Write-ahead
 * ownership is still on disk before any rtnl create: rtnl_intent.) */
static int pass_all(struct lx_daemon *d, const char *trigger)
{
	d->batch = true;
	for (size_t i = 0; i < d->n_loops; i++)
		lx_loop_reconcile_now(d->loops[i], trigger);
	d->batch = false;
	persist(d);
	return converged(d) ? 0 : 1;
}

int lx_daemon_initial_pass(struct lx_daemon *d)
{
	lx_state_event(&d->eng->state, "pass.start",
		       json_pack("{s:s}", "trigger", "initial"));
	return pass_all(d, "initial");
}

void lx_daemon_print_report(struct lx_daemon *d, FILE *f)
{
	struct lx_report rep = {0};

	/* Borrow the loops' plans for printing; nothing is freed here. */
	snprintf(rep.id, sizeof(rep.id), "%s", d->eng->id);
	rep.pass = d->passes;
	rep.trigger = d->trigger;
	rep.n_sub = d->n_loops;
	for (size_t i = 0; i < d->n_loops; i++)
		rep.sub[i] = *lx_loop_last_report(d->loops[i]);
	lx_report_finish(&rep);
	rep.duration_us = d->last_duration_us;
	lx_print_report(f, &rep, false);
}

int lx_daemon_write_pid(struct lx_daemon *d, pid_t who)
{
	/* With the identity that lets poststop and a second sidecar prove
	 * it is this resident (state.h). */
	return lx_state_write_pid(&d->eng->state, who);
}

int lx_daemon_forked(struct lx_daemon *d, struct lx_error *err)
{
	sigset_t mask;
	int r;

	/* A signalfd wakes the epoll sets it was registered in through the
	 * registering process's signal handlers: the parent's. The mask was
	 * inherited blocked, so nothing sent meanwhile is lost: it is pending
	 * and the new signalfd reads it. */
	(void)lx_evloop_del(d->ev, d->sigfd, NULL);
	close(d->sigfd);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "signalfd");
	r = lx_evloop_add(d->ev, d->sigfd, EPOLLIN, signal_cb, d, err);
	return r < 0 ? r : 0;
}

void lx_daemon_abort(struct lx_daemon *d)
{
	struct lx_report rep = {0};

	/* Nothing may outlive a refused start: links we created go; with
	 * revert_on_release, sysctls and cgroup knobs are restored too. */
	lx_engine_release(d->eng, true, d->eng->desired.opts.revert_on_release,
			  &rep);
	lx_report_free(&rep);
	lx_state_remove(&d->eng->state);
}

/* ------------------------------------------- control socket commands */

static json_t *status_cmd(void *data, const json_t *req, bool *close_after)
{
	struct lx_daemon *d = data;
	json_t *rep = json_pack(
	    "{s:b, s:s, s:i, s:i, s:b, s:o}", "ok", 1, "id", d->eng->id, "pid",
	    (int)getpid(), "target_pid", (int)d->eng->target.pid, "converged",
	    converged(d), "health", lx_stats_json(&d->stats));

	(void)close_after;
	/* "report": false spares list and metrics a large report. */
	if (rep && !json_is_false(json_object_get(req, "report")))
		json_object_set_new(rep, "report", report_json(d));
	return rep;
}

static json_t *reconcile_cmd(void *data, const json_t *req, bool *close_after)
{
	struct lx_daemon *d = data;
	int r = pass_all(d, "manual");

	(void)req;
	(void)close_after;
	return json_pack("{s:b, s:b, s:o}", "ok", 1, "converged", r == 0,
			 "report", report_json(d));
}

static json_t *put_desired_cmd(void *data, const json_t *req, bool *close_after)
{
	struct lx_daemon *d = data;
	struct lx_desired nd = {0};
	json_t *doc = json_object_get(req, "desired");
	struct lx_error err;
	int r;

	(void)close_after;
	lx_error_clear(&err);
	if (!doc) {
		lx_error_set(&err, LX_ERR_INVALID, 0,
			     "put_desired: member \"desired\" missing");
		return lx_control_error_reply(&err, 3);
	}
	r = lx_desired_from_json(doc, &nd, &err);
	if (r == 0)
		r = put_desired(d, &nd, &err);
	lx_desired_free(&nd);
	if (r < 0) {
		int code = err.kind == LX_ERR_POLICY	 ? 5
			   : err.kind == LX_ERR_INVALID	 ? 3
			   : err.kind == LX_ERR_NOTFOUND ? 4
							 : 1;
		return lx_control_error_reply(&err, code);
	}
	return json_pack("{s:b}", "ok", 1);
}

static json_t *stop_cmd(void *data, const json_t *req, bool *close_after)
{
	(void)req;
	*close_after = true;
	stop(data, "stop requested");
	return json_pack("{s:b}", "ok", 1);
}

static const struct lx_control_cmd control_cmds[] = {
    {"status", status_cmd},
    {"reconcile", reconcile_cmd},
    {"put_desired", put_desired_cmd},
    {"stop", stop_cmd},
    {NULL, NULL},
};

int lx_daemon_setup(struct lx_daemon **out, struct lx_engine *eng,
		    const struct lx_daemon_config *cfg, struct lx_error *err)
{
	struct lx_daemon *d;
	const struct lx_options *o = &eng->desired.opts;
	struct lx_loop_config lc = {
	    .interval_ms = o->interval_ms,
	    .debounce_ms = o->debounce_ms,
	    .monitor = o->monitor,
	    .backoff_min_ms = 50,
	};
	sigset_t mask;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "daemon");
	d->eng = eng;
	d->cfg = *cfg;
	d->sigfd = -1;
	d->trim_tfd = -1;
	d->trigger = "initial";
	lx_engine_set_intent(eng, write_ahead, d);
	eng->env.monitor_rcvbuf = cfg->monitor_rcvbuf;
	r = lx_evloop_new(&d->ev, err);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < eng->n_src; i++) {
		r = lx_loop_new(&d->loops[i], d->ev, &eng->src[i],
				&eng->desired, &eng->owned, &lc, pass_cb, d,
				err);
		if (r < 0)
			goto fail;
		d->n_loops++;
		lx_loop_set_overflow_cb(d->loops[i], overflow_cb);
		r = lx_loop_start(d->loops[i], err);
		if (r < 0)
			goto fail;
	}
	if (eng->target.pidfd >= 0) {
		r = lx_evloop_add(d->ev, eng->target.pidfd, EPOLLIN, pidfd_cb,
				  d, err);
		if (r < 0)
			goto fail;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, errno, "signalfd");
		goto fail;
	}
	r = lx_evloop_add(d->ev, d->sigfd, EPOLLIN, signal_cb, d, err);
	if (r < 0)
		goto fail;
	d->trim_tfd = r = lx_timerfd_new();
	if (r < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, -r, "timerfd");
		goto fail;
	}
	r = lx_evloop_add(d->ev, d->trim_tfd, EPOLLIN, trim_cb, d, err);
	if (r < 0)
		goto fail;
	/* state.json and pid first: the control socket appearing is the
	 * signal that the sidecar is ready, so it is created last. */
	save_state(d);
	if (!d->saved) {
		/* A sidecar that cannot record what it owns must not start. */
		r = lx_error_set(err, LX_ERR_SYSTEM, 0,
				 "%s/%s: could not be written", eng->state.path,
				 lx_state_file_name(LX_STATE_STATE));
		goto fail;
	}
	/* The hook's resident.json guards its target until the resident
	 * it forks has its own (and the pid file): lx_state_write_resident. */
	r = cfg->pid_after_fork ? lx_state_write_resident(&eng->state, getpid())
				: lx_daemon_write_pid(d, getpid());
	if (r < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, -r, "%s/%s",
				 eng->state.path,
				 lx_state_file_name(cfg->pid_after_fork
							? LX_STATE_RESIDENT
							: LX_STATE_PID));
		goto fail;
	}
	r = lx_control_listen(&d->ctl, control_cmds, d, d->ev, &eng->state,
			      err);
	if (r < 0)
		goto fail;
	*out = d;
	return 0;
fail:
	lx_daemon_free(d);
	return r;
}

/* Everything is open: from here on only CAP_NET_ADMIN is needed. Not
 * inlined: its 8 KiB error is below the loop's frame, where trim_stack
 * drops it, not above it for the resident's life. */
__attribute__((noinline)) void lx_daemon_enter_sandbox(struct lx_daemon *d)
{
	struct lx_error err;

	if (d->sandboxed)
		return;
	d->sandboxed = true;
	lx_error_clear(&err);
	if (lx_sandbox_enter(d->cfg.seccomp, &err) < 0) {
		logf_(d, "sandbox: %s", err.msg);
		/* Keep converging the container; the error is on record. */
		lx_state_event(&d->eng->state, "error",
			       json_pack("{s:s}", "error", err.msg));
	}
}

int lx_daemon_run(struct lx_daemon *d)
{
	struct lx_report rep = {0};
	int r;

	bool dead, revert;

	lx_daemon_enter_sandbox(d);
	r = lx_evloop_run(d->ev);
	/*
	 * Teardown. A dead container's links go now, so its host-side veth
	 * peer does not outlive it (netns cleanup is asynchronous). A living
	 * container keeps everything unless revert_on_release says otherwise:
	 * stopping the sidecar must not cut a running container off.
	 */
	dead = d->eng->target.pidfd >= 0 && lx_target_exited(&d->eng->target);
	revert = d->eng->desired.opts.revert_on_release;
	if (dead || revert)
		lx_engine_release(d->eng, dead || revert, revert, &rep);
	lx_report_free(&rep);
	lx_state_remove(&d->eng->state);
	return r < 0 ? LX_EXIT_NOT_CONVERGED : LX_EXIT_OK;
}

void lx_daemon_free(struct lx_daemon *d)
{
	if (!d)
		return;
	lx_engine_set_intent(d->eng, NULL,
			     NULL); /* the engine may outlive us */
	lx_control_free(d->ctl);
	for (size_t i = 0; i < d->n_loops; i++)
		lx_loop_free(d->loops[i]);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->trim_tfd >= 0)
		close(d->trim_tfd);
	if (d->ev)
		lx_evloop_free(d->ev);
	free(d->saved);
	free(d);
}
