/* SPDX-License-Identifier: MIT */
/*
 * The nftables subsystem on the contract (source.h): lx_nft_subsys.
 *
 * Bodies: the tenant's is the document's `nftables` (d->nft), the admin's
 * is --nft-policy (env->policy->nft_policy), which no document can change.
 * A body is compiled (a fork, nft.h) by `check`, which runs before
 * anything is applied, outside the resident's sandbox: the hook, run and
 * the standalone mode check at start, and `put` sends the body compiled by
 * the client (the document's object form). Compiled bodies are kept in the
 * instance by text, so a pass never compiles. Inside a seccomp sandbox
 * (the resident), `check` refuses a body it would have to compile rather
 * than fork (the filter would kill the process).
 *
 * Not wanted is never true (wanted is NULL): the instance is a calloc and
 * opens no socket until a pass has a table to look at, so a document and
 * a policy without nftables cost nothing.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nft.h"
#include "policy.h"
#include "source.h"

#define CACHE 2 /* the current body and a candidate (a put being checked) */

struct nft_src {
	struct lx_nft *n;
	const struct lx_source_env *env;
	struct lx_nft_body tenant[CACHE]; /* compiled, by text */
	unsigned next;
	struct lx_nft_body policy; /* compiled --nft-policy */
	bool policy_ok;
	/* The last pass, for the report: observe to the end of apply, and
	 * whether it listed the tables (false: the genid had not moved). */
	uint64_t t0, pass_us;
	bool listed;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int src_open(void **inst, const struct lx_source_env *env,
		    struct lx_error *err)
{
	struct nft_src *s = calloc(1, sizeof(*s));
	struct lx_nft_config cfg = {
	    .no_persist = env->policy && env->policy->nft_no_persist};
	int r;

	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "nftables");
	r = lx_nft_open(&s->n, &cfg, err);
	if (r < 0) {
		free(s);
		return r;
	}
	s->env = env;
	*inst = s;
	return 0;
}

static void src_close(void *inst)
{
	struct nft_src *s = inst;

	if (!s)
		return;
	lx_nft_close(s->n);
	for (int i = 0; i < CACHE; i++)
		lx_nft_body_free(&s->tenant[i]);
	lx_nft_body_free(&s->policy);
	free(s);
}

/* Seccomp: 2 in /proc/self/status: a filter is loaded (the resident). */
static bool sandboxed(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	bool yes = false;

	if (!f)
		return true; /* cannot tell: do not risk a fork */
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			yes = atoi(line + 8) == 2;
	fclose(f);
	return yes;
}

static const struct lx_nft_body *cached(const struct nft_src *s,
					const char *text)
{
	for (int i = 0; i < CACHE; i++)
		if (s->tenant[i].text && strcmp(s->tenant[i].text, text) == 0)
			return &s->tenant[i];
	return NULL;
}

static int compile_policy(struct nft_src *s, struct lx_error *err)
{
	const struct lx_policy *p = s->env->policy;
	char what[300];
	int r;

	if (s->policy_ok || !p || !p->nft_policy.text)
		return 0;
	if (p->nft_policy.msgs) {
		r = lx_nft_body_copy(&s->policy, &p->nft_policy);
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r, "nftables");
	} else {
		if (sandboxed())
			return lx_error_set(err, LX_ERR_SYSTEM, 0,
					    "--nft-policy: not compiled before "
					    "the sandbox");
		snprintf(what, sizeof(what), "--nft-policy");
		r = lx_nft_compile(p->nft_policy.text, what, &s->policy, err);
		if (r < 0)
			return r;
	}
	s->policy_ok = true;
	return 0;
}

static int src_check(void *inst, const struct lx_source_env *env,
		     const struct lx_desired *d, const struct lx_owned *owned,
		     struct lx_error *err)
{
	struct nft_src *s = inst;
	struct lx_nft_body *slot;
	int r;

	(void)owned;
	if (d->nft.text && env->host_netns && !env->policy->allow_host_netns)
		return lx_error_add(err, LX_ERR_POLICY, 0,
				    "nftables (io.linx.nftables): refused: "
				    "the target is the sidecar's own network "
				    "namespace (--allow-host-netns not given)");
	if (!s)
		return 0;
	r = compile_policy(s, err);
	if (r < 0)
		return r;
	if (!d->nft.text || d->nft.msgs || cached(s, d->nft.text))
		return 0;
	if (sandboxed())
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "nftables: the resident cannot compile "
				    "nft text (it runs sandboxed): send it "
				    "with `linx-sidecar put`, which compiles "
				    "it");
	slot = &s->tenant[s->next];
	lx_nft_body_free(slot);
	r = lx_nft_compile(d->nft.text, "nftables (io.linx.nftables)", slot,
			   err);
	if (r < 0)
		return r;
	s->next = (s->next + 1) % CACHE;
	return 0;
}

/* What a pass wants of both tables; a body not compiled is an error. */
static int want_of(const struct nft_src *s, const struct lx_desired *d,
		   struct lx_nft_want *w, struct lx_error *err)
{
	const struct lx_policy *p = s->env->policy;
	bool host = s->env->host_netns && !(p && p->allow_host_netns);

	memset(w, 0, sizeof(*w));
	if (d->nft.text) {
		w->bodies[LX_NFT_T_TENANT] =
		    d->nft.msgs ? &d->nft : cached(s, d->nft.text);
		if (!w->bodies[LX_NFT_T_TENANT])
			return lx_error_set(err, LX_ERR_SYSTEM, 0,
					    "nftables: the body was not "
					    "compiled (no check ran)");
	}
	/* A host-network target gets no tables without --allow-host-netns:
	 * the admin's policy is not installed on the host. */
	if (s->policy_ok && !host)
		w->bodies[LX_NFT_T_POLICY] = &s->policy;
	return 0;
}

static int src_observe(void *inst, const struct lx_desired *d,
		       const struct lx_owned *owned, void **observed,
		       struct lx_error *err)
{
	struct nft_src *s = inst;
	struct lx_nft_observed *obs;
	struct lx_nft_want w;
	int r;

	(void)owned;
	*observed = NULL;
	s->t0 = now_us();
	r = want_of(s, d, &w, err);
	if (r < 0)
		return r;
	obs = calloc(1, sizeof(*obs));
	if (!obs)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "nftables");
	r = lx_nft_observe(s->n, &w, false, obs, err);
	if (r < 0) {
		free(obs);
		return r;
	}
	*observed = obs;
	s->listed = !obs->unchanged && lx_nft_socket_open(s->n);
	return 0;
}

static void src_observed_free(void *observed)
{
	lx_nft_observed_free(observed);
	free(observed);
}

static int src_diff(const void *inst, const struct lx_desired *d,
		    const void *observed, const struct lx_owned *owned,
		    struct lx_plan *plan, struct lx_error *err)
{
	struct lx_nft_want w;
	int r;

	(void)owned;
	r = want_of(inst, d, &w, err);
	if (r < 0)
		return r;
	return lx_nft_diff(&w, observed, plan, err);
}

static int src_apply(void *inst, const struct lx_desired *d,
		     const void *observed, struct lx_owned *owned,
		     struct lx_subreport *rep, struct lx_error *err)
{
	struct nft_src *s = inst;
	struct lx_nft_want w;
	int r;

	(void)owned;
	r = want_of(s, d, &w, err);
	if (r < 0)
		return r;
	r = lx_nft_apply(s->n, &w, observed, rep, err);
	s->pass_us = now_us() - s->t0;
	return r;
}

static int src_subscribe(void *inst, struct lx_error *err)
{
	struct nft_src *s = inst;

	return lx_nft_subscribe(s->n, err);
}

/* Our tables carry the owner flag: no other process can delete them while
 * we live, so no deletion is ever told (deleted stays as it is). */
static int src_drain(void *inst, int fd, uint32_t *deleted)
{
	(void)deleted;
	return lx_nft_drain(((struct nft_src *)inst)->n, fd);
}

static void src_unsubscribe(void *inst, int fd)
{
	lx_nft_unsubscribe(((struct nft_src *)inst)->n, fd);
}

static int src_report(void *inst, const struct lx_owned *owned,
		      struct lx_subreport *rep)
{
	struct nft_src *s = inst;

	(void)owned;
	if (!lx_nft_socket_open(s->n))
		return 0;
	/* Whether our tables outlive a crash: false on a kernel before 6.9
	 * (or forced), said in every report. */
	rep->state = json_pack("{s:b, s:b, s:I}", "persist",
			       lx_nft_persist(s->n), "listed", s->listed,
			       "pass_us", (json_int_t)s->pass_us);
	return rep->state ? 0 : -ENOMEM;
}

static int src_release(void *inst, struct lx_owned *owned, bool remove,
		       bool revert, struct lx_subreport *rep,
		       struct lx_error *err)
{
	(void)owned;
	(void)revert;
	/* Our tables go with the sidecar: with persist they would outlive
	 * it, which only a crash may do. */
	(void)remove;
	return lx_nft_release(((struct nft_src *)inst)->n, rep, err);
}

const struct lx_subsys lx_nft_subsys = {
    .name = "nftables",
    .wanted = NULL,
    .open = src_open,
    .close = src_close,
    .check = src_check,
    .observe = src_observe,
    .observed_free = src_observed_free,
    .diff = src_diff,
    .apply = src_apply,
    .subscribe = src_subscribe,
    .drain = src_drain,
    .unsubscribe = src_unsubscribe,
    .report = src_report,
    .release = src_release,
};
