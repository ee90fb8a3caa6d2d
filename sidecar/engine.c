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

static int bind_state(struct lx_engine *e, struct lx_error *err)
{
	_cleanup_json_ json_t *rec = target_record(e);

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
	e->sysctl.procsys_fd = -1;
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
	if (r < 0)
		goto fail;
	/* /proc/sys/net resolves against the netns of the opener. */
	r = lx_sysctl_open(&e->sysctl, err);
	if (r < 0)
		goto fail;
	e->rtnl = (struct lx_rtnl_ctx){ .nl = e->nl,
					.id = e->id,
					.peer_prefix =
						policy->n_peer_prefix
							? policy->peer_prefix[0]
							: NULL,
					.host = e->host_nl,
					.host_netns_fd =
						e->target.host_netns_fd };
	if (t->state_dir && t->create_state) {
		/* One namespace, one owner: before any state is read (a live
		 * sidecar's state must not be set aside by a second one). */
		_cleanup_json_ json_t *rec = target_record(e);

		e->exclusive_dir = t->state_dir;
		r = lx_state_check_owner(t->state_dir, e->id, rec, err);
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
	lx_sysctl_close(&e->sysctl);
	if (e->nl)
		lx_nl_close(e->nl);
	if (e->host_nl)
		lx_nl_close(e->host_nl);
	e->nl = e->host_nl = NULL;
	if (e->cg)
		lx_cgroup_free(e->cg);
	e->cg = NULL;
	lx_target_close(&e->target);
	lx_desired_free(&e->desired);
	lx_owned_free(&e->owned);
}

int lx_engine_load_state(struct lx_engine *e, json_t **desired,
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
	/* A host peer may not lower its master's MTU: the live master's. */
	if (r == 0)
		r = lx_rtnl_check_masters(e->host_nl, d, err);
	/* A container that shares the host's network namespace must not get
	 * to change the host's links, addresses, routes or sysctls through
	 * its annotations: all of them need the admin's --allow-host-netns.
	 * (SPEC.md names sysctls; the same danger holds for the rest.) */
	if (e->target.is_host_netns && !e->policy->allow_host_netns) {
		static const char *const what[] = {
		    "network.links (io.linx.links)",
		    "network.addresses (io.linx.addresses)",
		    "network.routes (io.linx.routes)",
		    "network.rules (io.linx.rules)",
		    "network.neighbours (io.linx.neighbours)",
		    "sysctl (io.linx.sysctl)"};
		const size_t n[] = {d->n_links, d->n_addrs,  d->n_routes,
				    d->n_rules, d->n_neighs, d->sysctl.n};

		for (size_t i = 0; i < LX_ARRAY_SIZE(what); i++)
			if (n[i])
				r = lx_error_add(
				    err, LX_ERR_POLICY, 0,
				    "%s: refused: the target is the sidecar's "
				    "own network namespace (--allow-host-netns "
				    "not given)",
				    what[i]);
	}
	/* The nftables subsystem (lib/nft.c) is built and tested but not yet
	 * registered with the engine: a firewall that is accepted and then
	 * silently not installed is worse than a refusal. */
	if (d->nft.text)
		r = lx_error_add(err, LX_ERR_INVALID, 0,
				 "nftables (io.linx.nftables): not supported "
				 "by this version (the nftables subsystem is "
				 "not enabled yet)");
	if (e->policy->nft_policy.text)
		r = lx_error_add(err, LX_ERR_USAGE, 0,
				 "--nft-policy: not supported by this version "
				 "(the nftables subsystem is not enabled yet)");
	if (r < 0)
		return r;
	/* Keys that cannot be read back, two names of one setting. */
	r = lx_sysctl_check(&e->sysctl, &d->sysctl, err);
	if (r < 0)
		return r;
	if (d->cgroup.n && !e->cg)
		return lx_error_set(err, LX_ERR_NOTFOUND, 0,
				    "cgroup (io.linx.cgroup): the target has "
				    "no known cgroup (use --pid or --cgroup)");
	if (e->cg)
		return lx_cgroup_check(e->cg, &d->cgroup,
				       e->policy->cgroup_allow_raise, err);
	return 0;
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

int lx_engine_set_desired(struct lx_engine *e, const struct lx_desired *d)
{
	struct lx_desired copy;

	if (lx_desired_copy(&copy, d) < 0)
		return -ENOMEM;
	lx_desired_free(&e->desired);
	e->desired = copy;
	return 0;
}

int lx_engine_pass_rtnl(struct lx_engine *e, const struct lx_desired *d,
			struct lx_subreport *rep, struct lx_error *err)
{
	return lx_rtnl_reconcile(&e->rtnl, d, &e->owned, rep, err);
}

int lx_engine_pass_sysctl(struct lx_engine *e, const struct lx_desired *d,
			  struct lx_subreport *rep, struct lx_error *err)
{
	return lx_sysctl_reconcile(&e->sysctl, &d->sysctl, &e->owned.sysctl,
				   d->opts.revert_on_release, rep, err);
}

int lx_engine_pass_cgroup(struct lx_engine *e, const struct lx_desired *d,
			  struct lx_subreport *rep, struct lx_error *err)
{
	if (!e->cg) {
		rep->converged = true;
		return 0;
	}
	return lx_cgroup_reconcile(e->cg, &d->cgroup, &e->owned.cgroup,
				   d->opts.revert_on_release, rep, err);
}

/* Diff only: the same observation as a pass, no apply. */
static int plan_rtnl(struct lx_engine *e, const struct lx_desired *d,
		     struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_rtnl_state obs = { 0 };
	int r;

	r = lx_rtnl_observe(e->nl, &obs, err);
	if (r < 0)
		return r;
	r = lx_rtnl_diff(d, &obs, &e->owned, d->opts.protocol, &rep->plan,
			 err);
	lx_rtnl_state_free(&obs);
	rep->converged = rep->plan.n == 0;
	return r;
}

static int plan_sysctl(struct lx_engine *e, const struct lx_desired *d,
		       struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_kvs obs = { 0 };
	int r;

	r = lx_sysctl_observe(&e->sysctl, &d->sysctl, &e->owned.sysctl, &obs,
			      err);
	lx_error_clear(err); /* unreadable keys: the diff plans a write */
	if (r == 0)
		r = lx_sysctl_diff(&d->sysctl, &obs, &e->owned.sysctl,
				   d->opts.revert_on_release, &rep->plan, err);
	lx_kvs_free(&obs);
	rep->converged = rep->plan.n == 0;
	return r;
}

static int plan_cgroup(struct lx_engine *e, const struct lx_desired *d,
		       struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_kvs obs = { 0 };
	int r;

	rep->converged = true;
	if (!e->cg)
		return 0;
	r = lx_cgroup_observe(e->cg, &d->cgroup, &e->owned.cgroup, &obs, err);
	lx_error_clear(err);
	if (r == 0)
		r = lx_cgroup_diff(e->cg, &d->cgroup, &obs, &e->owned.cgroup,
				   d->opts.revert_on_release, &rep->plan, err);
	lx_kvs_free(&obs);
	rep->converged = rep->plan.n == 0;
	return r;
}

int lx_engine_pass(struct lx_engine *e, bool apply, const char *trigger,
		   struct lx_report *rep, struct lx_error *err)
{
	typedef int (*pass_fn)(struct lx_engine *, const struct lx_desired *,
			       struct lx_subreport *, struct lx_error *);
	static const pass_fn apply_fns[LX_SUB_COUNT] = {
		lx_engine_pass_rtnl, lx_engine_pass_sysctl,
		lx_engine_pass_cgroup
	};
	static const pass_fn plan_fns[LX_SUB_COUNT] = { plan_rtnl, plan_sysctl,
							 plan_cgroup };
	uint64_t t0 = now_us();

	lx_report_free(rep);
	snprintf(rep->id, sizeof(rep->id), "%s", e->id);
	rep->pass = ++e->passes;
	rep->trigger = trigger;
	for (int i = 0; i < LX_SUB_COUNT; i++) {
		struct lx_error sub_err;
		int r;

		lx_error_clear(&sub_err);
		r = (apply ? apply_fns : plan_fns)[i](e, &e->desired,
						       &rep->sub[i], &sub_err);
		if (r < 0 && !rep->sub[i].plan.n) {
			/* The pass could not run at all (observe failed). */
			lx_subreport_fail(&rep->sub[i], sub_err.msg[0]
								? sub_err.msg
								: "pass failed");
		} else if (r < 0) {
			rep->sub[i].converged = false;
		}
	}
	lx_report_finish(rep);
	rep->duration_us = now_us() - t0;
	(void)err;
	return 0;
}

void lx_engine_release(struct lx_engine *e, bool links, bool revert,
		       struct lx_report *rep)
{
	struct lx_error err;

	lx_report_free(rep);
	snprintf(rep->id, sizeof(rep->id), "%s", e->id);
	rep->trigger = "teardown";
	lx_error_clear(&err);
	if (links && lx_rtnl_release(&e->rtnl, &e->owned,
				     &rep->sub[LX_SUB_RTNL], &err) < 0)
		rep->sub[LX_SUB_RTNL].converged = false;
	if (!revert) {
		lx_report_finish(rep);
		return;
	}
	lx_error_clear(&err);
	if (lx_sysctl_release(&e->sysctl, &e->owned.sysctl, revert,
			      &rep->sub[LX_SUB_SYSCTL], &err) < 0)
		rep->sub[LX_SUB_SYSCTL].converged = false;
	if (e->cg) {
		lx_error_clear(&err);
		if (lx_cgroup_release(e->cg, &e->owned.cgroup, revert,
				      &rep->sub[LX_SUB_CGROUP], &err) < 0)
			rep->sub[LX_SUB_CGROUP].converged = false;
	}
	lx_report_finish(rep);
}
