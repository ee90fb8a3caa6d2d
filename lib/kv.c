/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

/* ------------------------------------------------------------- text */

const char *lx_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;

	for (i = 0; s[i] && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 64) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

char *lx_kv_fold(const char *s)
{
	size_t n = strlen(s), o = 0;
	bool gap = false;
	char *r = malloc(n + 1);

	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (blank(s[i])) {
			gap = o > 0;
			continue;
		}
		if (gap)
			r[o++] = ' ';
		gap = false;
		r[o++] = s[i];
	}
	r[o] = '\0';
	return r;
}

bool lx_kv_fold_equal(const char *a, const char *b)
{
	_cleanup_free_ char *fa = NULL;
	_cleanup_free_ char *fb = NULL;

	if (!a || !b)
		return a == b;
	fa = lx_kv_fold(a);
	fb = lx_kv_fold(b);
	if (!fa || !fb)
		return false;
	return strcmp(fa, fb) == 0;
}

/* ------------------------------------------------------ pure pieces */

const char *lx_kvs_get(const struct lx_kvs *k, const char *key)
{
	const struct lx_kv *kv = k ? lx_kvs_find(k, key) : NULL;

	return kv ? kv->value : NULL;
}

static int plan_kv(struct lx_plan *plan, enum lx_obj obj, enum lx_op_verb verb,
		   const char *key, const char *value, const char *observed)
{
	struct lx_op op = {.verb = verb, .obj = obj};

	op.u.kv.key = strdup(key);
	op.u.kv.value = value ? strdup(value) : NULL;
	op.u.kv.observed = observed ? strdup(observed) : NULL;
	if (!op.u.kv.key || (value && !op.u.kv.value) ||
	    (observed && !op.u.kv.observed)) {
		lx_op_free(&op);
		return -ENOMEM;
	}
	return lx_plan_add(plan, &op); /* frees the op on failure */
}

int lx_kvs_diff3(enum lx_obj obj, const struct lx_kvs *desired,
		 const struct lx_kvs *observed,
		 const struct lx_owned_kvs *owned, bool revert_on_release,
		 lx_kv_eq_fn eq, struct lx_plan *plan, struct lx_error *err)
{
	size_t nd = desired ? desired->n : 0, no = owned ? owned->n : 0;

	for (size_t i = 0; i < nd; i++) {
		const struct lx_kv *d = &desired->v[i];
		const char *o = lx_kvs_get(observed, d->key);

		if (o && eq(d->key, d->value, o))
			continue;
		if (plan_kv(plan, obj, LX_OP_UPDATE, d->key, d->value, o) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "%s diff", lx_obj_name(obj));
	}
	for (size_t i = 0; i < no; i++) {
		const struct lx_owned_kv *w = &owned->v[i];
		const char *o = lx_kvs_get(observed, w->key);
		const char *restore = NULL;

		if (desired && lx_kvs_find(desired, w->key))
			continue;
		if (revert_on_release && w->original &&
		    !(o && eq(w->key, w->original, o)))
			restore = w->original;
		if (plan_kv(plan, obj, LX_OP_DELETE, w->key, restore, o) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "%s diff", lx_obj_name(obj));
	}
	return 0;
}

int lx_kvs_adopt(const struct lx_kvs *desired, const struct lx_kvs *observed,
		 struct lx_owned_kvs *owned, lx_kv_eq_fn eq)
{
	for (size_t i = 0; desired && i < desired->n; i++) {
		const struct lx_kv *d = &desired->v[i];
		const char *o = lx_kvs_get(observed, d->key);
		struct lx_owned_kv *w;
		_cleanup_free_ char *orig = NULL;

		if (!o || !eq(d->key, d->value, o))
			continue;
		w = lx_owned_kvs_find(owned, d->key);
		if (w && w->applied && strcmp(w->applied, d->value) == 0)
			continue;
		if (w && w->original) {
			orig = strdup(w->original);
			if (!orig)
				return -ENOMEM;
		}
		if (lx_owned_kvs_set(owned, d->key, d->value, w ? orig : o) < 0)
			return -ENOMEM;
	}
	return 0;
}

int lx_kv_owned_update(struct lx_owned_kvs *owned, const struct lx_op *op)
{
	struct lx_owned_kv *w = lx_owned_kvs_find(owned, op->u.kv.key);
	_cleanup_free_ char *orig = NULL;

	if (op->verb == LX_OP_DELETE) {
		lx_owned_kvs_del(owned, op->u.kv.key);
		return 0;
	}
	/* The original is the value seen before our FIRST write. */
	if (w) {
		if (w->original && !(orig = strdup(w->original)))
			return -ENOMEM;
	} else if (op->u.kv.observed && !(orig = strdup(op->u.kv.observed))) {
		return -ENOMEM;
	}
	return lx_owned_kvs_set(owned, op->u.kv.key, op->u.kv.value, orig);
}

/* A planned write of obj (an update, or a restore on release). */
static bool kv_writes(const struct lx_op *op, enum lx_obj obj)
{
	return op->obj == obj && op->state == LX_OPS_PLANNED &&
	       op->verb != LX_OP_DELETE && op->u.kv.value;
}

void lx_kv_announce(const struct lx_plan *plan, enum lx_obj obj,
		    const struct lx_owned_kvs *owned, lx_kv_intent_fn fn,
		    void *data)
{
	struct lx_owned_kvs ahead;
	bool first_write = false;
	int r = 0;

	for (size_t i = 0; i < plan->n && !first_write; i++)
		first_write = kv_writes(&plan->ops[i], obj) &&
			      !lx_owned_kvs_find(owned, plan->ops[i].u.kv.key);
	if (!fn || !first_write || lx_owned_kvs_copy(&ahead, owned) < 0)
		return;
	for (size_t i = 0; i < plan->n && r == 0; i++)
		if (kv_writes(&plan->ops[i], obj))
			r = lx_kv_owned_update(&ahead, &plan->ops[i]);
	if (r == 0)
		fn(data, obj, &ahead);
	lx_owned_kvs_free(&ahead);
}

/* ------------------------------------------------------------ the pass */

int lx_kv_observe(const struct lx_kv_source *src, const struct lx_kvs *desired,
		  const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		  struct lx_error *err)
{
	size_t nd = desired ? desired->n : 0, no = owned ? owned->n : 0;

	for (size_t i = 0; i < nd + no; i++) {
		const char *key =
		    i < nd ? desired->v[i].key : owned->v[i - nd].key;
		const char *hint =
		    i < nd ? desired->v[i].value : owned->v[i - nd].applied;
		_cleanup_free_ char *v = NULL;
		struct lx_error e;

		if (lx_kvs_find(observed, key))
			continue;
		lx_error_clear(&e);
		if (src->hooks->read(src->ctx, key, hint, &v, &e) < 0 && err)
			lx_error_add(err, e.kind, 0, "%s", e.msg);
		if (lx_kvs_add(observed, key, v) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "%s observe",
					    lx_obj_name(src->hooks->obj));
	}
	return 0;
}

int lx_kv_diff(const struct lx_kv_source *src, const struct lx_kvs *desired,
	       const struct lx_kvs *observed, const struct lx_owned_kvs *owned,
	       bool revert_on_release, struct lx_plan *plan,
	       struct lx_error *err)
{
	const struct lx_kv_hooks *h = src->hooks;
	int r;

	r = lx_kvs_diff3(h->obj, desired, observed, owned, revert_on_release,
			 h->eq, plan, err);
	if (r == 0 && h->plan)
		r = h->plan(src->ctx, desired, observed, plan, err);
	return r;
}

static void op_failed(struct lx_op *op, const char *msg, struct lx_error *err)
{
	lx_op_fail(op, msg);
	lx_error_add(err, LX_ERR_SYSTEM, 0, "%s", msg);
}

/*
 * After the writes: does the kernel keep what each applied write asked
 * for? Reading back once every write of the pass is done also catches a
 * later write that changed an earlier one back (two keys of one setting).
 */
static int verify(const struct lx_kv_source *src, struct lx_plan *plan,
		  struct lx_error *err)
{
	const struct lx_kv_hooks *h = src->hooks;
	int first = 0;

	for (size_t i = 0; i < plan->n; i++) {
		struct lx_op *op = &plan->ops[i];
		_cleanup_free_ char *now = NULL;
		char msg[1400], q1[300], q2[300];
		struct lx_error e;

		if (op->obj != h->obj || op->state != LX_OPS_APPLIED ||
		    !op->u.kv.value)
			continue;
		lx_error_clear(&e);
		if (h->read(src->ctx, op->u.kv.key, op->u.kv.value, &now, &e) <
		    0) {
			snprintf(msg, sizeof(msg),
				 "%s %.256s: written, but reading it back "
				 "failed: %.600s",
				 lx_obj_name(h->obj), op->u.kv.key, e.msg);
		} else if (!h->eq(op->u.kv.key, op->u.kv.value, now)) {
			snprintf(
			    msg, sizeof(msg),
			    "%s %.256s: wrote \"%s\", the kernel keeps \"%s\" "
			    "(it stores another value, or another key "
			    "sets the same setting): changed back",
			    lx_obj_name(h->obj), op->u.kv.key,
			    lx_quote(op->u.kv.value, q1, sizeof(q1)),
			    lx_quote(now, q2, sizeof(q2)));
		} else {
			continue;
		}
		op_failed(op, msg, err);
		if (!first)
			first = -EAGAIN;
	}
	return first;
}

int lx_kv_apply(const struct lx_kv_source *src, struct lx_plan *plan,
		struct lx_owned_kvs *owned, struct lx_error *err)
{
	const struct lx_kv_hooks *h = src->hooks;
	_cleanup_free_ size_t *order = calloc(plan->n + 1, sizeof(size_t));
	int first = 0, r;

	if (!order)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "%s apply",
				    lx_obj_name(h->obj));
	for (size_t i = 0; i < plan->n; i++)
		order[i] = i;
	if (h->order)
		h->order(src->ctx, plan, order);
	for (size_t j = 0; j < plan->n; j++) {
		struct lx_op *op = &plan->ops[order[j]];
		struct lx_error e;

		if (op->obj != h->obj || op->state != LX_OPS_PLANNED)
			continue;
		lx_error_clear(&e);
		r = op->u.kv.value ? h->write(src->ctx, plan, op, &e) : 0;
		if (r == 0 && lx_kv_owned_update(owned, op) < 0)
			r = lx_error_set(&e, LX_ERR_SYSTEM, ENOMEM, "%s %s",
					 lx_obj_name(h->obj), op->u.kv.key);
		if (r < 0) {
			op_failed(op, e.msg, err);
			if (!first)
				first = r;
			continue;
		}
		op->state = LX_OPS_APPLIED;
	}
	r = verify(src, plan, err);
	return first ? first : r;
}

/*
 * A write can change a key this pass did not write (two names of one
 * setting: ip_forward and conf.all.forwarding). When something was
 * written, every desired key without an op is read again; one that no
 * longer holds its value gets a failed op, so the pass is not converged
 * (and the loop backs off) instead of each pass undoing the other's
 * write and calling itself converged.
 */
static int verify_untouched(const struct lx_kv_source *src,
			    const struct lx_kvs *desired,
			    const struct lx_kvs *observed, struct lx_plan *plan)
{
	const struct lx_kv_hooks *h = src->hooks;
	size_t n = plan->n;
	bool wrote = false;

	for (size_t i = 0; i < n && !wrote; i++)
		wrote = plan->ops[i].obj == h->obj &&
			plan->ops[i].state == LX_OPS_APPLIED &&
			plan->ops[i].u.kv.value;
	for (size_t i = 0; wrote && desired && i < desired->n; i++) {
		const struct lx_kv *d = &desired->v[i];
		_cleanup_free_ char *now = NULL;
		char msg[1400], q1[300], q2[300];
		struct lx_error e;
		bool planned = false;
		int r;

		for (size_t j = 0; j < n && !planned; j++)
			planned = plan->ops[j].obj == h->obj &&
				  strcmp(plan->ops[j].u.kv.key, d->key) == 0;
		lx_error_clear(&e);
		if (planned ||
		    h->read(src->ctx, d->key, d->value, &now, &e) < 0 ||
		    h->eq(d->key, d->value, now))
			continue;
		r = plan_kv(plan, h->obj, LX_OP_UPDATE, d->key, d->value,
			    lx_kvs_get(observed, d->key));
		if (r < 0)
			return r;
		snprintf(msg, sizeof(msg),
			 "%s %.256s: \"%s\" was changed to \"%s\" by another "
			 "write of this pass (a key that sets the same "
			 "setting): not converged",
			 lx_obj_name(h->obj), d->key,
			 lx_quote(d->value, q1, sizeof(q1)),
			 lx_quote(now, q2, sizeof(q2)));
		lx_op_fail(&plan->ops[plan->n - 1], msg);
	}
	return 0;
}

int lx_kv_finish(const struct lx_kv_source *src, const struct lx_kvs *desired,
		 const struct lx_kvs *observed, struct lx_owned_kvs *owned,
		 struct lx_subreport *rep, struct lx_error *err)
{
	const struct lx_kv_hooks *h = src->hooks;
	struct lx_error failures;
	int r;

	if (src->intent && owned)
		lx_kv_announce(&rep->plan, h->obj, owned, src->intent,
			       src->intent_data);
	lx_error_clear(&failures);
	if (lx_kv_apply(src, &rep->plan, owned, &failures) < 0) {
		/* best-effort: the failures are recorded on their ops */
	}
	r = verify_untouched(src, desired, observed, &rep->plan);
	if (r == 0 && lx_kvs_adopt(desired, observed, owned, h->eq) < 0)
		r = -ENOMEM;
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "%s",
				    lx_obj_name(h->obj));
	rep->converged = lx_plan_count(&rep->plan, LX_OPS_FAILED) == 0 &&
			 lx_plan_count(&rep->plan, LX_OPS_PENDING) == 0;
	return 0;
}

int lx_kv_reconcile(const struct lx_kv_source *src,
		    const struct lx_kvs *desired, struct lx_owned_kvs *owned,
		    bool revert_on_release, struct lx_subreport *rep,
		    struct lx_error *err)
{
	const struct lx_kv_hooks *h = src->hooks;
	struct lx_kvs observed = {0};
	struct lx_error local;
	int r = 0;

	if (!err)
		err = &local;
	lx_error_clear(err);
	rep->converged = false;
	for (size_t i = 0; h->validate && desired && i < desired->n; i++) {
		int v = h->validate(src->ctx, desired->v[i].key, err);

		if (v < 0 && r == 0)
			r = v;
	}
	/* Unreadable keys are not fatal: their ops carry the failure. */
	if (r == 0)
		r = lx_kv_observe(src, desired, owned, &observed, NULL);
	if (r == 0)
		r = lx_kv_diff(src, desired, &observed, owned,
			       revert_on_release, &rep->plan, err);
	if (r == 0)
		r = lx_kv_finish(src, desired, &observed, owned, rep, err);
	lx_kvs_free(&observed);
	if (r < 0)
		lx_subreport_fail(rep, err->msg[0] ? err->msg : "pass failed");
	return r;
}

int lx_kv_release(const struct lx_kv_source *src, struct lx_owned_kvs *owned,
		  bool revert_on_release, struct lx_subreport *rep,
		  struct lx_error *err)
{
	return lx_kv_reconcile(src, NULL, owned, revert_on_release, rep, err);
}

/* ------------------------------------------------ the source contract */

/* Defence in depth before anything is read: every desired key again. */
static int kv_validate(const struct lx_kv_source *src,
		       const struct lx_kvs *desired, struct lx_error *err)
{
	const struct lx_kv_hooks *h = src->hooks;
	int r = 0;

	for (size_t i = 0; h->validate && desired && i < desired->n; i++) {
		int v = h->validate(src->ctx, desired->v[i].key, err);

		if (v < 0 && r == 0)
			r = v;
	}
	return r;
}

static const struct lx_kvs *kv_desired(const struct lx_kv_inst *k,
				       const struct lx_desired *d)
{
	return (const struct lx_kvs *)((const char *)d + k->desired_off);
}

static struct lx_owned_kvs *kv_owned(const struct lx_kv_inst *k,
				     const struct lx_owned *o)
{
	return (struct lx_owned_kvs *)((const char *)o + k->owned_off);
}

/* lx_kv_intent_fn -> lx_source_intent_fn: the whole owned set as it is,
 * with this source's section as it will be. */
static void kv_intent_forward(void *data, enum lx_obj obj,
			      const struct lx_owned_kvs *ahead)
{
	const struct lx_kv_inst *k = data;
	struct lx_owned o = *k->owned; /* shallow: only read */

	(void)obj;
	*kv_owned(k, &o) = *ahead;
	k->env->intent(k->env->intent_data, &o);
}

int lx_kv_src_observe(void *inst, const struct lx_desired *d,
		      const struct lx_owned *owned, void **observed,
		      struct lx_error *err)
{
	struct lx_kv_inst *k = inst;
	const struct lx_kvs *want;
	struct lx_kvs *obs;
	int r;

	if (!k)
		return 0; /* nothing to work on: *observed stays NULL */
	want = kv_desired(k, d);
	/* Defence in depth: the checks ran before; refuse again. */
	r = kv_validate(&k->src, want, err);
	if (r < 0)
		return r;
	obs = calloc(1, sizeof(*obs));
	if (!obs)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "%s",
				    lx_obj_name(k->src.hooks->obj));
	/* Unreadable keys are not fatal: their ops carry the failure. */
	r = lx_kv_observe(&k->src, want, kv_owned(k, owned), obs, NULL);
	if (r < 0) {
		lx_kv_src_observed_free(obs);
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "%s: observe",
				    lx_obj_name(k->src.hooks->obj));
	}
	*observed = obs;
	return 0;
}

void lx_kv_src_observed_free(void *observed)
{
	lx_kvs_free(observed);
	free(observed);
}

int lx_kv_src_diff(const void *inst, const struct lx_desired *d,
		   const void *observed, const struct lx_owned *owned,
		   struct lx_plan *plan, struct lx_error *err)
{
	const struct lx_kv_inst *k = inst;

	if (!k)
		return 0;
	return lx_kv_diff(&k->src, kv_desired(k, d), observed,
			  kv_owned(k, owned), d->opts.revert_on_release, plan,
			  err);
}

int lx_kv_src_apply(void *inst, const struct lx_desired *d,
		    const void *observed, struct lx_owned *owned,
		    struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_kv_inst *k = inst;
	struct lx_kv_source src;

	if (!k) {
		rep->converged = true;
		return 0;
	}
	src = k->src;
	k->owned = owned;
	src.intent = k->env->intent ? kv_intent_forward : NULL;
	src.intent_data = k;
	return lx_kv_finish(&src, kv_desired(k, d), observed, kv_owned(k, owned),
			 rep, err);
}

int lx_kv_src_release(void *inst, struct lx_owned *owned, bool remove,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err)
{
	struct lx_kv_inst *k = inst;
	struct lx_kv_source src;

	(void)remove;
	if (!k || !revert)
		return 0;
	src = k->src;
	k->owned = owned;
	src.intent = k->env->intent ? kv_intent_forward : NULL;
	src.intent_data = k;
	return lx_kv_release(&src, kv_owned(k, owned), true, rep, err);
}
