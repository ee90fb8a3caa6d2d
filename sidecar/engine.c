/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "json_cleanup.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * The target's identity record (state.h "Binding"): one member per resource
 * the state is bound to. A subsystem with a resource of its own (the cgroup
 * directory) adds its member here.
 */
static json_t *target_record(const struct lx_engine *e)
{
	char cookie[32], cg[512] = "";

	snprintf(cookie, sizeof(cookie), "%llu",
		 (unsigned long long)e->target.netns_cookie);
	/* the cgroup directories' st_dev:st_ino: a state of another cgroup
	 * (a reused id) must not set this one's originals or ownership */
	if (e->cg)
		lx_cgroup_identity(e->cg, cg, sizeof(cg));
	return json_pack("{s:s, s:s*}", "netns_cookie", cookie, "cgroup",
			 cg[0] ? cg : NULL);
}

/* The record, built once: the owner check and every bind use the same
 * one (its fds and cookie do not change while the engine is open). */
static const json_t *record(struct lx_engine *e)
{
	if (!e->record)
		e->record = target_record(e);
	return e->record;
}

static int bind_state(struct lx_engine *e, struct lx_error *err)
{
	const json_t *rec = record(e);

	if (!rec || lx_state_bind(&e->state, rec) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "state");
	return 0;
}

int lx_engine_open(struct lx_engine *e, const struct lx_engine_target *t,
		   const struct lx_policy *policy, struct lx_error *err)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->state.dirfd = -1;
	e->state.evfd = -1;
	e->policy = policy;
	lx_options_init(&e->desired.opts);

	r = lx_target_open(&e->target, t->pid, t->netns, err);
	if (r < 0)
		return r;
	if (t->id)
		snprintf(e->id, sizeof(e->id), "%s", t->id);
	else
		lx_target_default_id(&e->target, e->id, sizeof(e->id));

	/* The cgroup is resolved from the host's view, before setns. */
	if (t->cgroup) {
		r = lx_cgroup_open_v2_dir(t->cgroup, &e->cg, err);
		if (r == 0)
			e->cg->pid = t->pid;
	} else if (t->pid > 0) {
		r = lx_cgroup_open_pid(t->pid, NULL, &e->cg, err);
	}
	if (r < 0)
		goto fail;

	/* Host-side objects (veth peers, parents, masters) go through a
	 * socket opened here, in our own namespace, before entering. */
	r = lx_nl_open(&e->host_nl, 0, err);
	if (r < 0)
		goto fail;
	r = lx_target_enter(&e->target, err);
	if (r < 0)
		goto fail;
	r = lx_nl_open(&e->nl, 0, err);
	if (r == 0) /* the first socket made in the target's namespace */
		r = lx_target_read_cookie(&e->target, lx_nl_fd(e->nl), err);
	if (r < 0)
		goto fail;
	e->env = (struct lx_source_env){
	    .nl = e->nl,
	    .host_nl = e->host_nl,
	    .host_netns_fd = e->target.host_netns_fd,
	    .host_netns = e->target.is_host_netns,
	    .cg = e->cg,
	    .policy = policy,
	    .id = e->id,
	};
	/* Subsystems open now, inside the target's netns (/proc/sys/net
	 * resolves against the opener's), unless they wait for a document
	 * that wants them (source.h: wanted). */
	for (e->n_src = 0; lx_subsystems[e->n_src]; e->n_src++) {
		struct lx_source *s = &e->src[e->n_src];

		lx_source_init(s, lx_subsystems[e->n_src], &e->env);
		r = lx_source_ensure(s, &e->desired, &e->owned, err);
		if (r < 0) {
			e->n_src++;
			goto fail;
		}
	}
	if (t->state_dir && t->create_state) {
		/* One namespace, one owner: before any state is read (a live
		 * sidecar's state must not be set aside by a second one). */
		e->exclusive_dir = t->state_dir;
		r = lx_state_check_owner(t->state_dir, e->id, record(e), err);
		if (r < 0)
			goto fail;
	}
	if (t->state_dir) {
		r = lx_state_open(&e->state, t->state_dir, e->id, false, err);
		if (r == 0)
			r = bind_state(e, err);
		/* plan reads state and never changes it: a state recorded for
		 * another target is ignored there, not set aside. */
		e->state.read_only = !t->create_state;
		/* No state dir means we own nothing. Creating it waits for
		 * lx_engine_create_state, after the checks. */
		if (r < 0 && err->kind == LX_ERR_NOTFOUND) {
			lx_error_clear(err);
			r = 0;
			if (t->create_state) {
				e->state_dir = strdup(t->state_dir);
				if (!e->state_dir)
					r = lx_error_set(err, LX_ERR_SYSTEM,
							 ENOMEM, "state dir");
			}
		}
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	lx_engine_close(e);
	return r;
}

void lx_engine_close(struct lx_engine *e)
{
	lx_state_close(&e->state);
	free(e->state_dir);
	e->state_dir = NULL;
	for (size_t i = 0; i < e->n_src; i++)
		lx_source_close(&e->src[i]);
	e->n_src = 0;
	if (e->nl)
		lx_nl_close(e->nl);
	if (e->host_nl)
		lx_nl_close(e->host_nl);
	e->nl = e->host_nl = NULL;
	if (e->cg)
		lx_cgroup_free(e->cg);
	e->cg = NULL;
	lx_target_close(&e->target);
	json_decref(e->record);
	e->record = NULL;
	lx_desired_free(&e->desired);
	lx_owned_free(&e->owned);
}

int lx_engine_load_state(struct lx_engine *e, struct lx_sb *desired,
			 struct lx_error *err)
{
	lx_owned_free(&e->owned);
	if (e->state.dirfd < 0)
		return 0;
	return lx_state_load(&e->state, &e->owned, desired, err);
}

int lx_engine_check(struct lx_engine *e, const struct lx_desired *d,
		    struct lx_error *err)
{
	int r;

	lx_error_clear(err);
	r = lx_policy_check(e->policy, d, err);
	/* Every subsystem's refusals are reported together. */
	for (size_t i = 0; i < e->n_src; i++) {
		int ri = lx_source_check(&e->src[i], d, &e->owned, err);

		if (ri < 0 && r == 0)
			r = ri;
	}
	return r;
}

int lx_engine_create_state(struct lx_engine *e, struct lx_error *err)
{
	int r;

	if (!e->state_dir)
		return 0;
	r = lx_state_open(&e->state, e->state_dir, e->id, true, err);
	if (r == 0)
		r = bind_state(e, err);
	if (r < 0)
		return r;
	free(e->state_dir);
	e->state_dir = NULL;
	return 0;
}

void lx_engine_discard_state(struct lx_engine *e)
{
	if (e->state.created)
		lx_state_remove(&e->state);
}

void lx_engine_set_desired(struct lx_engine *e, struct lx_desired *d)
{
	struct lx_desired old = e->desired;

	e->desired = *d;
	memset(d, 0, sizeof(*d));
	lx_desired_free(&old);
}

int lx_engine_bringup(struct lx_engine *e, const struct lx_engine_target *t,
		      const struct lx_policy *policy, struct lx_desired *d,
		      struct lx_sb *saved, struct lx_error *err)
{
	int r = lx_engine_open(e, t, policy, err);

	if (r < 0)
		return r;
	r = lx_engine_load_state(e, saved, err);
	if (r == 0)
		r = lx_engine_check(e, d, err);
	if (r == 0)
		r = lx_engine_create_state(e, err);
	if (r == 0)
		lx_engine_set_desired(e, d);
	if (r < 0) {
		lx_engine_discard_state(e); /* a failed start leaves nothing */
		lx_engine_close(e);
	}
	return r;
}

void lx_engine_set_intent(struct lx_engine *e, lx_source_intent_fn fn,
			  void *data)
{
	e->env.intent = fn;
	e->env.intent_data = data;
}

int lx_engine_pass(struct lx_engine *e, bool apply, const char *trigger,
		   struct lx_report *rep)
{
	uint64_t t0 = now_us();

	lx_report_free(rep);
	snprintf(rep->id, sizeof(rep->id), "%s", e->id);
	rep->pass = ++e->passes;
	rep->trigger = trigger;
	rep->n_sub = e->n_src;
	for (size_t i = 0; i < e->n_src; i++) {
		struct lx_error sub_err;

		lx_error_clear(&sub_err);
		/* A subsystem that could not run carries its error in its
		 * subreport (lx_source_pass); the others still run. */
		(void)lx_source_pass(&e->src[i], &e->desired, &e->owned, apply,
				     &rep->sub[i], &sub_err);
	}
	lx_report_finish(rep);
	rep->duration_us = now_us() - t0;
	return 0;
}

void lx_engine_release(struct lx_engine *e, bool remove, bool revert,
		       struct lx_report *rep)
{
	lx_report_free(rep);
	snprintf(rep->id, sizeof(rep->id), "%s", e->id);
	rep->trigger = "teardown";
	rep->n_sub = e->n_src;
	for (size_t i = 0; i < e->n_src; i++) {
		struct lx_error err;

		lx_error_clear(&err);
		if (lx_source_release(&e->src[i], &e->owned, remove, revert,
				      &rep->sub[i], &err) < 0)
			rep->sub[i].converged = false;
	}
	lx_report_finish(rep);
}
