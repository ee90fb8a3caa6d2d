/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "grammar.h"
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

/* Kernel-supplied names (a route's device) need not be UTF-8, which JSON
 * text must be: plain ASCII, the usual case, skips jansson's check; text
 * that is not UTF-8 has its bytes from 0x80 up written as \xNN. */
static json_t *text_json(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char buf[4 * 512 + 1];
	size_t o = 0;
	json_t *j;

	while (*p && *p < 0x80)
		p++;
	if (!*p)
		return json_string_nocheck(s);
	j = json_string(s);
	if (j)
		return j;
	for (p = (const unsigned char *)s; *p && o + 5 <= sizeof(buf); p++) {
		if (*p < 0x80)
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
					      "\\x%02x", *p);
	}
	buf[o] = '\0';
	return json_string_nocheck(buf);
}

/* One per applied op: a 10,000-route pass builds 10,000 of these, so no
 * json_pack format parsing and no key checks (the keys are literals and the
 * strings our own formatting, always UTF-8). */
static json_t *op_json(const struct lx_op *op)
{
	char buf[512];
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new_nocheck(
	    o, "op", json_string_nocheck(lx_op_verb_name(op->verb)));
	json_object_set_new_nocheck(o, "kind",
				    json_string_nocheck(lx_obj_name(op->obj)));
	json_object_set_new_nocheck(
	    o, "item", text_json(lx_op_describe(op, buf, sizeof(buf))));
	if (op->error)
		json_object_set_new_nocheck(o, "error", text_json(op->error));
	return o;
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
 * The report's one writer, streaming: a 10,000-route pass would otherwise
 * build, dump and free 10,000 objects at once, a third of the run time of
 * `reconcile`. jansson still encodes every value; only the fixed
 * punctuation and the literal keys are written here.
 */
static int put(FILE *f, const char *s)
{
	return fputs(s, f) == EOF ? -EIO : 0;
}

/* Steals v. Small values (an op) are encoded into a stack buffer and
 * written with one call: json_dumpf makes an fwrite per token. */
static int put_value(FILE *f, json_t *v)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	char buf[1024];
	size_t n;
	int r;

	if (!v)
		return -ENOMEM;
	n = json_dumpb(v, buf, sizeof(buf), flags);
	if (n == 0)
		r = -EIO;
	else if (n <= sizeof(buf))
		r = fwrite_unlocked(buf, 1, n, f) == n ? 0 : -EIO;
	else
		r = json_dumpf(v, f, flags) < 0 ? -EIO : 0;
	json_decref(v);
	return r;
}

/* Printable ASCII without '"' or '\\': a JSON string as it is. */
static bool json_plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			return false;
	return true;
}

static char *append(char *at, const char *s)
{
	size_t n = strlen(s);

	memcpy(at, s, n);
	return at + n;
}

/*
 * One op as op_json() would encode it, written straight: 10,000 of them in
 * a 10,000-route pass, where building, encoding and freeing a jansson
 * object each was most of the report's cost. Ops with an error or text
 * that needs escaping (rare) go through jansson.
 */
static int put_op(FILE *f, const struct lx_op *op)
{
	char item[512], out[640], *o = out;
	const char *d = lx_op_describe(op, item, sizeof(item));

	if (op->error || !json_plain(d))
		return put_value(f, op_json(op));
	o = append(o, "{\"op\":\"");
	o = append(o, lx_op_verb_name(op->verb));
	o = append(o, "\",\"kind\":\"");
	o = append(o, lx_obj_name(op->obj));
	o = append(o, "\",\"item\":\"");
	o = append(o, d);
	o = append(o, "\"}");
	return fwrite_unlocked(out, 1, (size_t)(o - out), f) == (size_t)(o - out)
		       ? 0
		       : -EIO;
}

static bool op_in(const struct lx_op *op, int list)
{
	int st = op->state == LX_OPS_APPLIED   ? 0
		 : op->state == LX_OPS_FAILED  ? 1
		 : op->state == LX_OPS_PENDING ? 2
					       : 3;

	return st == list;
}

static int dump_ops(FILE *f, const struct lx_plan *p, int list)
{
	bool first = true;
	int r = put(f, "[");

	for (size_t i = 0; r == 0 && i < p->n; i++) {
		if (!op_in(&p->ops[i], list))
			continue;
		if (!first)
			r = put(f, ",");
		first = false;
		if (r == 0)
			r = put_op(f, &p->ops[i]);
	}
	return r ? r : put(f, "]");
}

static int dump_subreport(FILE *f, const struct lx_subreport *s)
{
	static const char *const keys[] = {"applied", "failed", "pending"};
	bool planned = false;
	int r;

	r = put(f,
		s->converged ? "{\"converged\":true" : "{\"converged\":false");
	for (int l = 0; r == 0 && l < 3; l++) {
		if (fprintf(f, ",\"%s\":", keys[l]) < 0)
			return -EIO;
		r = dump_ops(f, &s->plan, l);
	}
	for (size_t i = 0; i < s->plan.n; i++)
		planned = planned || op_in(&s->plan.ops[i], 3);
	if (r == 0 && planned) {
		r = put(f, ",\"planned\":");
		if (r == 0)
			r = dump_ops(f, &s->plan, 3);
	}
	if (r == 0 && s->error) {
		r = put(f, ",\"error\":");
		if (r == 0)
			r = put_value(f, text_json(s->error));
	}
	if (r == 0 && s->backoff) {
		r = put(f, ",\"backoff\":");
		if (r == 0)
			r = put_value(f, json_incref(s->backoff));
	}
	if (r == 0 && s->state) {
		r = put(f, ",\"state\":");
		if (r == 0)
			r = put_value(f, json_incref(s->state));
	}
	return r ? r : put(f, "}");
}

int lx_report_parts_dumpf(FILE *f, const char *id, uint64_t pass,
			  const char *trigger, uint64_t duration_us,
			  const struct lx_subreport *const *subs, size_t n,
			  const struct lx_owned *last_applied)
{
	bool converged = true;
	int r;

	for (size_t i = 0; i < n; i++)
		converged = converged && subs[i]->converged;
	r = put(f, "{\"id\":");
	if (r == 0)
		r = put_value(f, json_string(id));
	if (r == 0 &&
	    fprintf(f, ",\"pass\":%" PRIu64 ",\"trigger\":", pass) < 0)
		r = -EIO;
	if (r == 0)
		r = put_value(f, json_string(trigger ? trigger : "manual"));
	if (r == 0 && fprintf(f,
			      ",\"converged\":%s,\"duration_us\":%" PRIu64
			      ",\"subsystems\":{",
			      converged ? "true" : "false", duration_us) < 0)
		r = -EIO;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (fprintf(f, "%s\"%s\":", i ? "," : "",
			    subs[i]->name ? subs[i]->name : "?") < 0)
			return -EIO;
		r = dump_subreport(f, subs[i]);
	}
	if (r == 0)
		r = put(f, "}");
	if (r == 0 && last_applied) {
		r = put(f, ",\"last_applied\":");
		if (r == 0)
			r = put_value(f, lx_owned_to_json(last_applied));
	}
	return r ? r : put(f, "}");
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
