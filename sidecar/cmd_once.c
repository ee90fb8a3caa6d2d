/* SPDX-License-Identifier: MIT */
/* Single-shot commands: reconcile, plan, observe. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "json_cleanup.h"
#include "commands.h"
#include "desired.h"
#include "engine.h"
#include "rtnl_export.h"

static int fail(struct lx_error *err)
{
	lx_print_error(err);
	return lx_exit_code(err);
}

static int need_target(struct lx_cli *cli, bool need_desired,
		       struct lx_error *err)
{
	if (!!cli->pid == !!cli->netns)
		return lx_error_set(
		    err, LX_ERR_USAGE, 0,
		    "%s: exactly one of --pid N or --netns PATH", cli->cmd);
	if (need_desired && !cli->desired)
		return lx_error_set(err, LX_ERR_USAGE, 0,
				    "%s: --desired FILE is required", cli->cmd);
	return 0;
}

/* Parse, open, load ownership and check policy: everything that may refuse
 * happens here, before anything is applied. */
/*
 * A one-shot pass over a large document allocates tens of megabytes in
 * small pieces and exits: grow the heap in big steps and never give it
 * back, so the process does not pay a page-fault storm for brk/mmap
 * churn (a 10,000-route reconcile is 12% faster). The resident process
 * keeps glibc's defaults: its footprint is what matters there.
 */
static void malloc_for_one_shot(void)
{
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

static int prepare(struct lx_cli *cli, bool create_state, struct lx_engine *e,
		   json_t **saved, struct lx_error *err)
{
	struct lx_desired d = {0};
	struct lx_engine_target t = {
	    .pid = cli->pid,
	    .netns = cli->netns,
	    .cgroup = cli->cgroup,
	    .id = cli->id,
	    .state_dir = cli->state_dir,
	    .create_state = create_state,
	};
	int r;

	malloc_for_one_shot();
	r = need_target(cli, true, err);
	if (r < 0)
		return r;
	r = lx_desired_from_file(cli->desired, &d, err);
	if (r < 0)
		return r;
	r = lx_engine_bringup(e, &t, &cli->policy, &d, saved, err);
	lx_desired_free(&d);
	return r;
}

struct report_args {
	const struct lx_report *rep;
	const struct lx_owned *owned;
	bool emitted; /* to stdout too (--json) */
};

/* report.json streamed: see lx_report_dumpf(). */
static int emit_report(FILE *f, void *arg)
{
	const struct report_args *a = arg;
	int r = lx_report_dumpf(f, a->rep, a->owned);

	return r ? r : (fputc('\n', f) == EOF ? -EIO : 0);
}

/*
 * --json: the report goes to stdout as well as report.json, produced once
 * through a stream that writes each buffered chunk to both (reading the
 * written report back into a tree and dumping that again cost a
 * 10,000-route pass as much as the rest of it). Either side failing (a
 * closed pipe, a full disk) does not cut the other short.
 */
struct tee {
	FILE *file, *out;
	bool file_failed, out_failed;
};

static ssize_t tee_write(void *c, const char *buf, size_t n)
{
	struct tee *t = c;

	if (!t->out_failed && fwrite_unlocked(buf, 1, n, t->out) != n)
		t->out_failed = true;
	if (!t->file_failed && fwrite_unlocked(buf, 1, n, t->file) != n)
		t->file_failed = true;
	return (ssize_t)n;
}

static int emit_report_tee(FILE *f, void *arg)
{
	struct report_args *a = arg;
	struct tee t = {.file = f, .out = stdout};
	cookie_io_functions_t io = {.write = tee_write};
	char buf[8192];
	FILE *tf = fopencookie(&t, "w", io);
	int r;

	if (!tf)
		return -errno;
	a->emitted = true;
	setvbuf(tf, buf, _IOFBF, sizeof(buf));
	r = emit_report(tf, arg);
	if (fclose(tf) == EOF && r == 0)
		r = -EIO;
	return r ? r : t.file_failed ? -EIO : 0;
}

static int reconcile_once(struct lx_cli *cli)
{
	_cleanup_json_ json_t *saved = NULL, *desired = NULL;
	_cleanup_json_ json_t *owned_before = NULL, *owned_after = NULL;
	struct lx_engine e;
	struct lx_report rep = {0};
	struct lx_error err;
	int r, code;

	lx_error_clear(&err);
	r = prepare(cli, true, &e, &saved, &err);
	if (r < 0)
		return fail(&err);
	owned_before = lx_owned_to_json(&e.owned);
	lx_engine_pass(&e, true, "manual", &rep);
	/* state.json is rewritten only when what it holds changed: a no-op
	 * pass over a large document must not pay for serialising it. */
	owned_after = lx_owned_to_json(&e.owned);
	desired = lx_desired_to_json(&e.desired);
	r = 0;
	if (!saved || !json_equal(saved, desired) ||
	    !json_equal(owned_before, owned_after))
		r = lx_state_save_json(&e.state, desired, owned_after, &err);
	if (r < 0)
		lx_print_error(&err);
	{
		struct report_args a = {&rep, &e.owned, false};

		lx_state_write_with(&e.state, LX_STATE_REPORT,
				    cli->json ? emit_report_tee : emit_report,
				    &a);
		/* report.json could not even be opened */
		if (cli->json && !a.emitted)
			emit_report(stdout, &a);
	}
	if (!cli->json)
		lx_print_report(stdout, &rep, false);
	code = lx_report_exit_code(&rep);
	if (r < 0 && code == 0)
		code = LX_EXIT_NOT_CONVERGED;
	lx_report_free(&rep);
	lx_engine_close(&e);
	return code;
}

int cmd_reconcile(struct lx_cli *cli)
{
	/* `reconcile ID` talks to a resident sidecar. */
	if (!cli->pid && !cli->netns && cli->n_args == 1)
		return cmd_status(cli);
	return reconcile_once(cli);
}

int cmd_plan(struct lx_cli *cli)
{
	struct lx_engine e;
	struct lx_report rep = {0};
	struct lx_error err;
	int r;

	lx_error_clear(&err);
	r = prepare(cli, false, &e, NULL, &err);
	if (r < 0)
		return fail(&err);
	lx_engine_pass(&e, false, "manual", &rep);
	if (cli->json) {
		struct report_args a = {&rep, &e.owned, false};

		emit_report(stdout, &a);
	} else
		lx_print_report(stdout, &rep, true);
	lx_report_free(&rep);
	lx_engine_close(&e);
	return LX_EXIT_OK;
}

static json_t *observed_json(const struct lx_rtnl_state *s)
{
	json_t *links = json_array(), *addrs = json_array(),
	       *routes = json_array(), *rules = json_array(),
	       *neighs = json_array();
	char buf[512];

	for (size_t i = 0; i < s->n_links; i++) {
		const struct lx_link *l = &s->links[i];
		json_t *o = json_pack("{s:s, s:i, s:b, s:i}", "name", l->name,
				      "ifindex", l->ifindex, "up", l->oper_up,
				      "mtu", (int)l->mtu);

		json_array_append_new(links, o);
	}
	for (size_t i = 0; i < s->n_addrs; i++)
		json_array_append_new(
		    addrs, json_string(
			       lx_addr_format(&s->addrs[i], buf, sizeof(buf))));
	/* In the document's words, ip's names and each object's protocol
	 * (for information: a document may not say it). */
	for (size_t i = 0; i < s->n_routes; i++)
		json_array_append_new(
		    routes, json_string(lx_route_format_ip(&s->routes[i], buf,
							   sizeof(buf))));
	for (size_t i = 0; i < s->n_rules; i++)
		json_array_append_new(
		    rules, json_string(lx_rule_format(&s->rules[i], true, buf,
						      sizeof(buf))));
	for (size_t i = 0; i < s->n_neighs; i++)
		json_array_append_new(
		    neighs, json_string(lx_neigh_format(&s->neighs[i], true,
							buf, sizeof(buf))));
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "links", links,
			 "addresses", addrs, "routes", routes, "rules", rules,
			 "neighbours", neighs);
}

int cmd_observe(struct lx_cli *cli)
{
	struct lx_engine e;
	struct lx_engine_target t = {
	    .pid = cli->pid, .netns = cli->netns, .cgroup = cli->cgroup};
	struct lx_rtnl_state s = {0};
	struct lx_error err;
	json_t *j, *cg;
	int r;

	lx_error_clear(&err);
	r = need_target(cli, false, &err);
	if (r < 0)
		return fail(&err);
	r = lx_engine_open(&e, &t, &cli->policy, &err);
	if (r < 0)
		return fail(&err);
	r = lx_rtnl_observe(e.nl, &s, &err);
	if (r < 0) {
		lx_engine_close(&e);
		return fail(&err);
	}
	if (cli->desired_flag || cli->desired) {
		/* A document that reproduces what a document may own. */
		struct lx_desired d;

		r = lx_rtnl_state_to_desired(&s, &d);
		lx_rtnl_state_free(&s);
		lx_engine_close(&e);
		if (r < 0) {
			lx_error_set(&err, LX_ERR_SYSTEM, -r, "observe");
			return fail(&err);
		}
		j = lx_desired_to_json(&d);
		lx_desired_free(&d);
		if (!j) {
			lx_error_set(&err, LX_ERR_SYSTEM, ENOMEM, "observe");
			return fail(&err);
		}
		lx_print_json(stdout, j);
		return LX_EXIT_OK;
	}
	j = observed_json(&s);
	cg = json_object();
	if (e.cg) {
		for (size_t i = 0; i < lx_cg_nrows; i++) {
			const struct lx_cg_row *row = &lx_cg_rows[i];
			_cleanup_free_ char *v = NULL;
			struct lx_error e2;

			/* hugetlb.<size>.max and io.max need a size, a device */
			if (row->conv == LX_CGC_HUGETLB ||
			    row->conv == LX_CGC_IO_MAX)
				continue;
			if (lx_cgroup_read(e.cg, row->key, NULL, &v, &e2) == 0 &&
			    v)
				json_object_set_new(cg, row->key,
						    json_string(v));
		}
	}
	json_object_set_new(j, "cgroup", cg);
	if (cli->json) {
		lx_print_json(stdout, j);
	} else {
		json_t *v;
		size_t i;
		const char *k;

		printf("links:\n");
		json_array_foreach(json_object_get(j, "links"), i, v) printf(
		    "  %s ifindex %lld mtu %lld %s\n",
		    json_string_value(json_object_get(v, "name")),
		    json_integer_value(json_object_get(v, "ifindex")),
		    json_integer_value(json_object_get(v, "mtu")),
		    json_is_true(json_object_get(v, "up")) ? "up" : "down");
		printf("addresses:\n");
		json_array_foreach(json_object_get(j, "addresses"), i, v)
		    printf("  %s\n", json_string_value(v));
		printf("routes:\n");
		json_array_foreach(json_object_get(j, "routes"), i, v)
		    printf("  %s\n", json_string_value(v));
		printf("rules:\n");
		json_array_foreach(json_object_get(j, "rules"), i, v)
		    printf("  %s\n", json_string_value(v));
		printf("neighbours:\n");
		json_array_foreach(json_object_get(j, "neighbours"), i, v)
		    printf("  %s\n", json_string_value(v));
		if (json_object_size(cg)) {
			printf("cgroup:\n");
			json_object_foreach(cg, k, v)
			    printf("  %s = %s\n", k, json_string_value(v));
		}
		json_decref(j);
	}
	lx_rtnl_state_free(&s);
	lx_engine_close(&e);
	return LX_EXIT_OK;
}
