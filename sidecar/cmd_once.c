/* SPDX-License-Identifier: MIT */
/* Single-shot commands: reconcile, plan, observe. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "commands.h"
#include "desired.h"
#include "engine.h"
#include "jsonw.h"
#include "link.h"
#include "rtnl_export.h"
#include "sysctl.h"

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
 * churn (a 10,000-route reconcile is 12% faster). That first step of the
 * heap (64 MB, mapped now, touched as it is used) is also asked for in
 * transparent huge pages: one fault per 2 MB touched instead of 512 (on
 * this VM a 4 KB fault costs ~7 us; a 10,000-route pass took ~2,300 of
 * them, ~15 ms). Only for a large document (doc_bytes, the file's size):
 * a small one touches less than one huge page, which would only cost a
 * 2 MB clear. Where THP is off (or "never") the madvise fails and
 * nothing changes. The resident process keeps glibc's defaults: its
 * footprint is what matters there.
 */
static void malloc_for_one_shot(off_t doc_bytes)
{
	const uintptr_t huge = 2 << 20, below = 320 << 10;
	uintptr_t lo, hi, want;
	void *p;

	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	if (doc_bytes < (128 << 10)) /* ~4,000 routes */
		return;
	/* The heap grown from just below a huge-page boundary: what it held
	 * below the first boundary took 4 KB faults (1 MB on average, ~250
	 * of them). The break is moved up (at most 2 MB of address
	 * space, never touched) to `below` under one, room for the probe
	 * and malloc's headers, so that nothing above the boundary is
	 * touched before the madvise (a 2 MB range touched before it stays
	 * in 4 KB pages). malloc takes a moved break as it comes. */
	lo = (uintptr_t)sbrk(0);
	want = ((lo + below + huge - 1) & ~(huge - 1)) - below;
	if (want > lo && sbrk((intptr_t)(want - lo)) == (void *)-1)
		return;
	/* The heap's end before and after one allocation that grows it by
	 * the top pad. */
	lo = (uintptr_t)sbrk(0);
	p = malloc(256 << 10);
	__asm__ volatile("" : : "r"(p) : "memory"); /* not elided */
	hi = (uintptr_t)sbrk(0);
	free(p);
	lo = (lo + huge - 1) & ~(huge - 1);
	hi &= ~(huge - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

/*
 * What tells this document unchanged since state.json was written (its
 * "desired_digest"): the digest of the bytes parsed, mixed with the
 * identity of this executable (another build may parse or spell the same
 * bytes otherwise). false when the executable cannot be identified.
 */
static bool document_digest(uint64_t text_digest, uint64_t *out)
{
	struct stat st;

	if (stat("/proc/self/exe", &st) < 0)
		return false;
	*out = lx_digest_mix(text_digest, (uint64_t)st.st_dev);
	*out = lx_digest_mix(*out, (uint64_t)st.st_ino);
	*out = lx_digest_mix(*out, (uint64_t)st.st_size);
	*out = lx_digest_mix(*out, (uint64_t)st.st_mtim.tv_sec);
	*out = lx_digest_mix(*out, (uint64_t)st.st_mtim.tv_nsec);
	return true;
}

/* digest (NULL: not wanted) is set by document_digest; *has_digest says
 * whether it could be. */
static int prepare(struct lx_cli *cli, bool create_state, struct lx_engine *e,
		   struct lx_sb *saved, uint64_t *digest, bool *has_digest,
		   struct lx_error *err)
{
	uint64_t text_digest = 0;
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

	{
		struct stat st;

		malloc_for_one_shot(cli->desired && stat(cli->desired, &st) == 0
					? st.st_size
					: 0);
	}
	r = need_target(cli, true, err);
	if (r < 0)
		return r;
	r = lx_desired_from_file_digest(cli->desired, &d, &text_digest, err);
	if (r < 0)
		return r;
	if (digest)
		*has_digest = document_digest(text_digest, digest);
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

/*
 * state.json is rewritten only when what it holds changed. The document
 * is unchanged when its digest is the one recorded (the stored text is
 * then its canonical text: neither is serialised nor parsed), else when
 * its canonical text is the stored text.
 */
static int save_state(struct lx_engine *e, const struct lx_sb *saved,
		      const uint64_t *digest, const json_t *owned_before,
		      const json_t *owned_after, struct lx_error *err)
{
	bool owned_same = json_equal(owned_before, owned_after);
	struct lx_sb now = {0};
	int r;

	if (digest && e->state.has_desired_digest &&
	    e->state.desired_digest == *digest && saved->len)
		return owned_same ? 0
				  : lx_state_save(&e->state, saved->p,
						  saved->len, digest,
						  owned_after, err);
	r = lx_desired_dump(&now, &e->desired);
	if (r == 0 && owned_same && saved->len == now.len &&
	    memcmp(saved->p, now.p, now.len) == 0)
		r = 0;
	else
		r = lx_state_save(&e->state, r < 0 ? NULL : now.p, now.len,
				  r < 0 ? NULL : digest, owned_after, err);
	lx_sb_free(&now);
	return r;
}

static int reconcile_once(struct lx_cli *cli)
{
	_cleanup_json_ json_t *owned_before = NULL, *owned_after = NULL;
	struct lx_sb saved = {0};
	struct lx_engine e;
	struct lx_report rep = {0};
	struct lx_error err;
	uint64_t digest = 0;
	bool has_digest = false;
	int r, code;

	lx_error_clear(&err);
	r = prepare(cli, true, &e, &saved, &digest, &has_digest, &err);
	if (r < 0) {
		lx_sb_free(&saved);
		return fail(&err);
	}
	owned_before = lx_owned_to_json(&e.owned);
	lx_engine_pass(&e, true, "manual", &rep);
	owned_after = lx_owned_to_json(&e.owned);
	r = save_state(&e, &saved, has_digest ? &digest : NULL, owned_before,
		       owned_after, &err);
	lx_sb_free(&saved);
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
	r = prepare(cli, false, &e, NULL, NULL, NULL, &err);
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

/*
 * The host side of the target's links: the host namespace's links and the
 * id the target gives it. Best effort: without a host socket (the target
 * is our own namespace, or none was opened) the view stays empty and
 * every link reads as an existing one.
 */
static int host_view(struct lx_engine *e, struct lx_rtnl_host *h,
		     struct lx_link **links, struct lx_error *err)
{
	size_t n = 0;
	int r;

	*h = (struct lx_rtnl_host){.nsid = -1};
	*links = NULL;
	if (!e->host_nl || e->target.is_host_netns ||
	    e->target.host_netns_fd < 0)
		return 0;
	r = lx_link_dump(e->host_nl, links, &n, err);
	if (r < 0)
		return r;
	h->links = *links;
	h->n_links = n;
	/* After the target's link dump: the kernel gave the host namespace
	 * an id there when a link's other half lives in it. */
	if (lx_rtnl_netns_id_get(e->nl, e->target.host_netns_fd, &h->nsid) < 0)
		h->nsid = -1;
	return 0;
}

static json_t *observed_json(const struct lx_rtnl_state *s,
			     const struct lx_rtnl_host *h)
{
	json_t *links = json_array(), *addrs = json_array(),
	       *routes = json_array(), *rules = json_array(),
	       *neighs = json_array();
	char buf[512];

	/* Every object in the document's words, ip's names and each
	 * object's protocol (for information: a document may not say it). */
	for (size_t i = 0; i < s->n_links; i++) {
		struct lx_link l;

		(void)lx_rtnl_link_as_desired(&s->links[i], h, true, &l);
		json_array_append_new(
		    links, json_string(lx_link_format(&l, buf, sizeof(buf))));
	}
	for (size_t i = 0; i < s->n_addrs; i++)
		json_array_append_new(
		    addrs, json_string(
			       lx_addr_format(&s->addrs[i], buf, sizeof(buf))));
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

/*
 * The current values of the sysctls and cgroup limits the document names
 * (sysctl: the target netns's, read as the subsystem reads them; cgroup:
 * the target's, in v2 form). A key that cannot be read is left out, with
 * a line on stderr saying why: the rest of the export stands.
 */
static int export_kvs(struct lx_engine *e, const struct lx_desired *doc,
		      struct lx_desired *d)
{
	struct lx_sysctl_ctx sc = {.procsys_fd = -1};
	struct lx_error err;

	lx_error_clear(&err);
	if (doc->sysctl.n && lx_sysctl_open(&sc, &err) < 0) {
		lx_print_error(&err);
		lx_error_clear(&err);
	}
	for (size_t i = 0; sc.procsys_fd >= 0 && i < doc->sysctl.n; i++) {
		_cleanup_free_ char *v = NULL;

		if (lx_sysctl_read(&sc, doc->sysctl.v[i].key, &v, &err) < 0) {
			lx_print_error(&err);
			lx_error_clear(&err);
		} else if (lx_kvs_add(&d->sysctl, doc->sysctl.v[i].key, v) <
			   0) {
			lx_sysctl_close(&sc);
			return -ENOMEM;
		}
	}
	lx_sysctl_close(&sc);
	for (size_t i = 0; i < doc->cgroup.n; i++) {
		const struct lx_kv *kv = &doc->cgroup.v[i];
		_cleanup_free_ char *v = NULL;

		if (!e->cg) {
			fprintf(stderr,
				"observe: cgroup %s: no cgroup known for "
				"this target (--pid or --cgroup)\n",
				kv->key);
			continue;
		}
		if (lx_cgroup_read(e->cg, kv->key, kv->value, &v, &err) < 0 ||
		    !v) {
			lx_print_error(&err);
			lx_error_clear(&err);
		} else if (lx_kvs_add(&d->cgroup, kv->key, v) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* `observe --desired [FILE]`: a document that reproduces what a document
 * may own, adopting it; FILE adds its sysctl and cgroup keys. */
static int observe_desired(struct lx_cli *cli, struct lx_engine *e,
			   const struct lx_rtnl_state *s,
			   const struct lx_rtnl_host *h)
{
	struct lx_desired doc = {0}, d;
	struct lx_error err;
	json_t *j;
	int r;

	lx_error_clear(&err);
	if (cli->desired && lx_desired_from_file(cli->desired, &doc, &err) < 0)
		return fail(&err);
	r = lx_rtnl_state_to_desired(s, h, &d);
	if (r == 0 && cli->desired)
		r = export_kvs(e, &doc, &d);
	lx_desired_free(&doc);
	if (r < 0) {
		lx_desired_free(&d);
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

static void print_list(const json_t *j, const char *name)
{
	const json_t *v;
	size_t i;

	printf("%s:\n", name);
	json_array_foreach(json_object_get(j, name), i, v)
	    printf("  %s\n", json_string_value(v));
}

int cmd_observe(struct lx_cli *cli)
{
	struct lx_engine e;
	struct lx_engine_target t = {
	    .pid = cli->pid, .netns = cli->netns, .cgroup = cli->cgroup};
	struct lx_rtnl_state s = {0};
	struct lx_rtnl_host h;
	_cleanup_free_ struct lx_link *hl = NULL;
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
	if (r == 0)
		r = host_view(&e, &h, &hl, &err);
	if (r < 0) {
		lx_rtnl_state_free(&s);
		lx_engine_close(&e);
		return fail(&err);
	}
	if (cli->desired_flag || cli->desired) {
		r = observe_desired(cli, &e, &s, &h);
		lx_rtnl_state_free(&s);
		lx_engine_close(&e);
		return r;
	}
	j = observed_json(&s, &h);
	cg = json_object();
	if (e.cg) {
		for (size_t i = 0; i < lx_cg_nrows; i++) {
			const struct lx_cg_row *row = &lx_cg_rows[i];
			_cleanup_free_ char *v = NULL;
			struct lx_error e2;

			/* hugetlb.<size>.max and io.max need a size, a device
			 */
			if (row->conv == LX_CGC_HUGETLB ||
			    row->conv == LX_CGC_IO_MAX)
				continue;
			if (lx_cgroup_read(e.cg, row->key, NULL, &v, &e2) ==
				0 &&
			    v)
				json_object_set_new(cg, row->key,
						    json_string(v));
		}
	}
	json_object_set_new(j, "cgroup", cg);
	if (cli->json) {
		lx_print_json(stdout, j);
	} else {
		const char *k;
		json_t *v;

		print_list(j, "links");
		print_list(j, "addresses");
		print_list(j, "routes");
		print_list(j, "rules");
		print_list(j, "neighbours");
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
