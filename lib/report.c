/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "grammar.h"
#include "jsonw.h"
#include "report.h"

void lx_subreport_reset(struct lx_subreport *s)
{
	lx_plan_free(&s->plan);
	free(s->error);
	s->error = NULL;
	json_decref(s->state);
	s->state = NULL;
	json_decref(s->backoff);
	s->backoff = NULL;
	s->converged = true;
}

void lx_subreport_fail(struct lx_subreport *s, const char *msg)
{
	free(s->error);
	s->error = strdup(msg ? msg : "failed");
	s->converged = false;
}

void lx_report_free(struct lx_report *r)
{
	for (size_t i = 0; i < LX_SUB_MAX; i++)
		lx_subreport_reset(&r->sub[i]);
}

void lx_report_finish(struct lx_report *r)
{
	r->converged = true;
	for (size_t i = 0; i < r->n_sub; i++)
		if (!r->sub[i].converged)
			r->converged = false;
}

static json_t *owned_kvs_json(const struct lx_owned_kvs *k)
{
	json_t *o = json_object();

	for (size_t i = 0; i < k->n; i++) {
		/* An unknown original is left out, not written as null. */
		json_t *e = json_pack("{s:s*, s:s*}", "applied", k->v[i].applied,
				      "original", k->v[i].original);
		json_object_set_new(o, k->v[i].key, e);
	}
	return o;
}

/* Owned links: what teardown and the diff need to find and delete them. */
static json_t *link_json(const struct lx_link *l)
{
	json_t *o = json_pack("{s:s, s:i}", "name", l->name, "kind", l->kind);

	if (l->peer[0])
		json_object_set_new(o, "peer", json_string(l->peer));
	return o;
}

static int link_from_json(const json_t *j, struct lx_link *l,
			  struct lx_error *err)
{
	const char *name = NULL, *peer = NULL;
	int kind = -1;

	memset(l, 0, sizeof(*l));
	l->up = l->peer_up = LX_UNSET;
	if (json_unpack((json_t *)j, "{s:s, s:i, s?:s}", "name", &name, "kind",
			&kind, "peer", &peer) < 0 ||
	    !lx_ifname_valid(name) || kind < 0 ||
	    !lx_link_kind_name((enum lx_link_kind)kind) ||
	    (peer && !lx_ifname_valid(peer)))
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "last_applied.links: malformed entry");
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->kind = (enum lx_link_kind)kind;
	if (peer)
		snprintf(l->peer, sizeof(l->peer), "%s", peer);
	return 0;
}

json_t *lx_owned_to_json(const struct lx_owned *ow)
{
	json_t *addrs = json_array(), *links = json_array();
	char buf[256];

	for (size_t i = 0; i < ow->n_addrs; i++)
		json_array_append_new(
		    addrs, json_string(lx_addr_format(&ow->addrs[i], buf,
						      sizeof(buf))));
	for (size_t i = 0; i < ow->n_links; i++)
		json_array_append_new(links, link_json(&ow->links[i]));
	/* neighbours: SPEC's member for kernels without NDA_PROTOCOL, where
	 * they would be owned three-way; every kernel this runs on tags
	 * them (5.2+), so ours are found by protocol and the list is empty. */
	return json_pack("{s:o, s:o, s:[], s:o, s:o}", "addresses", addrs,
			 "links", links, "neighbours", "sysctl",
			 owned_kvs_json(&ow->sysctl), "cgroup",
			 owned_kvs_json(&ow->cgroup));
}

/* ------------------------------------------------------- streaming */

/*
 * The report's one writer, streaming through a string builder (jsonw.h)
 * whose buffer goes to the FILE when full: a 10,000-route pass would
 * otherwise build, dump and free 10,000 objects at once. Strings are
 * encoded as jansson encodes them (lx_sb_json_str); only the small trees
 * (backoff, a subsystem's state, last_applied) go through jansson.
 */
static int sink_file(void *arg, const char *p, size_t n)
{
	return fwrite_unlocked(p, 1, n, arg) == n ? 0 : -EIO;
}

/*
 * One op: {"op":..,"kind":..,"item":..[,"error":..]}. The item is formatted
 * in place, in the builder, and quoted there when it needs no escaping (a
 * route's text, 10,000 times in a 10,000-route pass).
 */
#define OP_ITEM_MAX 512

static char *put_name(char *to, const char *s)
{
	size_t n = strlen(s);

	memcpy(to, s, n);
	return to + n;
}

static void put_op(struct lx_sb *b, const struct lx_op *op)
{
	/* verb and kind: our own short names (op.c) */
	char item[OP_ITEM_MAX], *to = lx_sb_reserve(b, OP_ITEM_MAX + 64), *at;
	size_t n;

	if (!to)
		return;
	at = to;
	memcpy(at, "{\"op\":\"", 7);
	at = put_name(at + 7, lx_op_verb_name(op->verb));
	memcpy(at, "\",\"kind\":\"", 10);
	at = put_name(at + 10, lx_obj_name(op->obj));
	memcpy(at, "\",\"item\":", 9);
	at += 9;
	lx_op_describe(op, at + 1, OP_ITEM_MAX);
	n = strlen(at + 1);
	if (op->obj == LX_OBJ_ROUTE ? lx_route_text_plain(&op->u.route)
				    : lx_json_plain(at + 1, n)) {
		at[0] = '"';
		at[n + 1] = '"';
		b->len += (size_t)(at - to) + n + 2;
	} else {
		memcpy(item, at + 1, n + 1);
		b->len += (size_t)(at - to);
		lx_sb_json_str(b, item);
	}
	if (op->error) {
		lx_sb_str(b, ",\"error\":");
		lx_sb_json_str(b, op->error);
	}
	lx_sb_mem(b, "}", 1);
}

/* The list an op is shown in: applied, failed, pending, or planned. */
static int op_list(const struct lx_op *op)
{
	return op->state == LX_OPS_APPLIED   ? 0
	       : op->state == LX_OPS_FAILED  ? 1
	       : op->state == LX_OPS_PENDING ? 2
					     : 3;
}

static void dump_ops(struct lx_sb *b, const struct lx_plan *p, int list,
		     size_t count)
{
	bool first = true;

	lx_sb_mem(b, "[", 1);
	for (size_t i = 0; count && !b->err && i < p->n; i++) {
		if (op_list(&p->ops[i]) != list)
			continue;
		if (!first)
			lx_sb_mem(b, ",", 1);
		first = false;
		put_op(b, &p->ops[i]);
		count--;
	}
	lx_sb_mem(b, "]", 1);
}

static void dump_subreport(struct lx_sb *b, const struct lx_subreport *s)
{
	static const char *const keys[] = {",\"applied\":", ",\"failed\":",
					   ",\"pending\":"};
	size_t count[4] = {0};

	/* One pass to count each list: a list without ops is not scanned. */
	for (size_t i = 0; i < s->plan.n; i++)
		count[op_list(&s->plan.ops[i])]++;
	lx_sb_str(b, s->converged ? "{\"converged\":true"
				  : "{\"converged\":false");
	for (int l = 0; l < 3; l++) {
		lx_sb_str(b, keys[l]);
		dump_ops(b, &s->plan, l, count[l]);
	}
	if (count[3]) {
		lx_sb_str(b, ",\"planned\":");
		dump_ops(b, &s->plan, 3, count[3]);
	}
	if (s->error) {
		lx_sb_str(b, ",\"error\":");
		lx_sb_json_str(b, s->error);
	}
	if (s->backoff) {
		lx_sb_str(b, ",\"backoff\":");
		lx_sb_json(b, s->backoff);
	}
	if (s->state) {
		lx_sb_str(b, ",\"state\":");
		lx_sb_json(b, s->state);
	}
	lx_sb_mem(b, "}", 1);
}

static void dump_parts(struct lx_sb *b, const char *id, uint64_t pass,
		       const char *trigger, uint64_t duration_us,
		       const struct lx_subreport *const *subs, size_t n,
		       const struct lx_owned *last_applied)
{
	bool converged = true;

	for (size_t i = 0; i < n; i++)
		converged = converged && subs[i]->converged;
	lx_sb_str(b, "{\"id\":");
	lx_sb_json_str(b, id);
	lx_sb_str(b, ",\"pass\":");
	lx_sb_u64(b, pass);
	lx_sb_str(b, ",\"trigger\":");
	lx_sb_json_str(b, trigger ? trigger : "manual");
	lx_sb_str(b, converged ? ",\"converged\":true" : ",\"converged\":false");
	lx_sb_str(b, ",\"duration_us\":");
	lx_sb_u64(b, duration_us);
	lx_sb_str(b, ",\"subsystems\":{");
	for (size_t i = 0; !b->err && i < n; i++) {
		if (i)
			lx_sb_mem(b, ",", 1);
		/* subsystem names are our own identifiers */
		lx_sb_json_str(b, subs[i]->name ? subs[i]->name : "?");
		lx_sb_mem(b, ":", 1);
		dump_subreport(b, subs[i]);
	}
	lx_sb_mem(b, "}", 1);
	if (last_applied) {
		json_t *la = lx_owned_to_json(last_applied);

		lx_sb_str(b, ",\"last_applied\":");
		if (la)
			lx_sb_json(b, la);
		else if (!b->err)
			b->err = -ENOMEM;
		json_decref(la);
	}
	lx_sb_mem(b, "}", 1);
}

int lx_report_parts_dumpf(FILE *f, const char *id, uint64_t pass,
			  const char *trigger, uint64_t duration_us,
			  const struct lx_subreport *const *subs, size_t n,
			  const struct lx_owned *last_applied)
{
	char buf[16384];
	struct lx_sb b = {
	    .p = buf, .cap = sizeof(buf), .sink = sink_file, .arg = f};

	dump_parts(&b, id, pass, trigger, duration_us, subs, n, last_applied);
	return lx_sb_flush(&b);
}

int lx_report_dumpf(FILE *f, const struct lx_report *r,
		    const struct lx_owned *last_applied)
{
	const struct lx_subreport *subs[LX_SUB_MAX];

	for (size_t i = 0; i < r->n_sub; i++)
		subs[i] = &r->sub[i];
	return lx_report_parts_dumpf(f, r->id, r->pass, r->trigger,
				     r->duration_us, subs, r->n_sub,
				     last_applied);
}

/* The tree (control socket replies, --json) is read back from the one
 * writer, so the two forms cannot drift apart. */
json_t *lx_report_parts_to_json(const char *id, uint64_t pass,
				const char *trigger, uint64_t duration_us,
				const struct lx_subreport *const *subs, size_t n,
				const struct lx_owned *last_applied)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *j = NULL;
	int r;

	if (!f)
		return NULL;
	r = lx_report_parts_dumpf(f, id, pass, trigger, duration_us, subs, n,
				  last_applied);
	if (fclose(f) == 0 && r == 0)
		j = json_loadb(buf, len, 0, NULL);
	free(buf);
	return j;
}

json_t *lx_report_to_json(const struct lx_report *r,
			  const struct lx_owned *last_applied)
{
	const struct lx_subreport *subs[LX_SUB_MAX];

	for (size_t i = 0; i < r->n_sub; i++)
		subs[i] = &r->sub[i];
	return lx_report_parts_to_json(r->id, r->pass, r->trigger,
				       r->duration_us, subs, r->n_sub,
				       last_applied);
}

static int owned_kvs_from_json(const json_t *j, const char *what,
			       struct lx_owned_kvs *k, struct lx_error *err)
{
	const char *key;
	json_t *v;

	if (!j)
		return 0;
	if (!json_is_object(j))
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "last_applied.%s: not an object", what);
	json_object_foreach((json_t *)j, key, v)
	{
		json_t *a = json_object_get(v, "applied");
		json_t *o = json_object_get(v, "original");

		/* null (written by earlier versions) is "not known" */
		if (json_is_null(a))
			a = NULL;
		if (json_is_null(o))
			o = NULL;
		if (!json_is_object(v) || (a && !json_is_string(a)) ||
		    (o && !json_is_string(o)))
			return lx_error_set(err, LX_ERR_INVALID, 0,
					    "last_applied.%s.%s: malformed",
					    what, key);
		if (lx_owned_kvs_set(k, key, a ? json_string_value(a) : NULL,
				     o ? json_string_value(o) : NULL) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "last_applied");
	}
	return 0;
}

int lx_owned_from_json(const json_t *j, struct lx_owned *ow,
		       struct lx_error *err)
{
	json_t *addrs, *links, *v;
	size_t i;
	int r;

	memset(ow, 0, sizeof(*ow));
	if (!json_is_object(j))
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "last_applied: not an object");
	addrs = json_object_get(j, "addresses");
	links = json_object_get(j, "links");
	json_array_foreach(addrs, i, v)
	{
		struct lx_addr a;
		char field[64];

		snprintf(field, sizeof(field), "last_applied.addresses[%zu]",
			 i);
		r = lx_addr_parse(json_string_value(v) ? json_string_value(v)
						       : "",
				  &a, field, err);
		if (r < 0)
			goto fail;
		if (lx_grow((void **)&ow->addrs, ow->n_addrs,
			    sizeof(*ow->addrs)) < 0)
			goto nomem;
		ow->addrs[ow->n_addrs++] = a;
	}
	json_array_foreach(links, i, v)
	{
		struct lx_link l;

		r = link_from_json(v, &l, err);
		if (r < 0)
			goto fail;
		if (lx_grow((void **)&ow->links, ow->n_links,
			    sizeof(*ow->links)) < 0)
			goto nomem;
		ow->links[ow->n_links++] = l;
	}
	r = owned_kvs_from_json(json_object_get(j, "sysctl"), "sysctl",
				&ow->sysctl, err);
	if (r < 0)
		goto fail;
	r = owned_kvs_from_json(json_object_get(j, "cgroup"), "cgroup",
				&ow->cgroup, err);
	if (r < 0)
		goto fail;
	return 0;
nomem:
	r = lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "last_applied");
fail:
	lx_owned_free(ow);
	return r;
}
