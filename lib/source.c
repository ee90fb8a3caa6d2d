/* SPDX-License-Identifier: MIT */
/* The subsystem contract's driver: one pass of one source (source.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void lx_source_init(struct lx_source *s, const struct lx_subsys *ops,
		    const struct lx_source_env *env)
{
	*s = (struct lx_source){.ops = ops, .env = env};
}

int lx_source_ensure(struct lx_source *s, const struct lx_desired *d,
		     const struct lx_owned *owned, struct lx_error *err)
{
	int r;

	if (s->opened)
		return 0;
	if (s->ops->wanted && !s->ops->wanted(d, owned))
		return 0;
	if (s->ops->open) {
		r = s->ops->open(&s->inst, s->env, err);
		if (r < 0)
			return r;
	}
	s->opened = true;
	return 0;
}

int lx_source_check(struct lx_source *s, const struct lx_desired *d,
		    const struct lx_owned *owned, struct lx_error *err)
{
	if (!s->ops->check)
		return 0;
	return s->ops->check(s->opened ? s->inst : NULL, s->env, d, owned, err);
}

/* The pass could not run: the report carries the reason. */
static int pass_failed(struct lx_subreport *rep, int r,
		       const struct lx_error *err)
{
	rep->converged = false;
	if (!rep->error)
		rep->error =
		    strdup(lx_error_is_set(err) ? err->msg : "pass failed");
	return r;
}

static int pass(struct lx_source *s, const struct lx_desired *d,
		struct lx_owned *owned, bool apply, lx_source_hold_fn hold,
		void *hold_data, struct lx_subreport *rep, struct lx_error *err)
{
	const struct lx_subsys *ops = s->ops;
	uint64_t t0 = now_us();
	void *obs = NULL;
	int r;

	lx_subreport_reset(rep);
	rep->name = ops->name;
	r = lx_source_ensure(s, d, owned, err);
	if (r < 0)
		return pass_failed(rep, r, err);
	if (!s->opened)
		goto done; /* not wanted: nothing to do, converged */
	r = ops->observe(s->inst, d, owned, &obs, err);
	if (r == 0)
		r = ops->diff(s->inst, d, obs, owned, &rep->plan, err);
	if (r < 0) {
		if (obs && ops->observed_free)
			ops->observed_free(obs);
		lx_plan_free(&rep->plan);
		return pass_failed(rep, r, err);
	}
	if (apply && hold)
		hold(hold_data, &rep->plan);
	if (apply)
		r = ops->apply(s->inst, d, obs, owned, rep, err);
	else
		rep->converged = rep->plan.n == 0;
	if (obs && ops->observed_free)
		ops->observed_free(obs);
	if (r == 0 && ops->report)
		r = ops->report(s->inst, owned, rep);
	if (r < 0)
		rep->converged = false;
done:
	s->duration_us = now_us() - t0;
	return r;
}

int lx_source_pass(struct lx_source *s, const struct lx_desired *d,
		   struct lx_owned *owned, bool apply, struct lx_subreport *rep,
		   struct lx_error *err)
{
	return pass(s, d, owned, apply, NULL, NULL, rep, err);
}

int lx_source_pass_hold(struct lx_source *s, const struct lx_desired *d,
			struct lx_owned *owned, lx_source_hold_fn hold,
			void *hold_data, struct lx_subreport *rep,
			struct lx_error *err)
{
	return pass(s, d, owned, true, hold, hold_data, rep, err);
}

int lx_source_release(struct lx_source *s, struct lx_owned *owned, bool remove,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err)
{
	rep->name = s->ops->name;
	if (!s->opened || !s->ops->release)
		return 0;
	return s->ops->release(s->inst, owned, remove, revert, rep, err);
}

void lx_source_close(struct lx_source *s)
{
	if (s->opened && s->ops->close)
		s->ops->close(s->inst);
	s->inst = NULL;
	s->opened = false;
}
