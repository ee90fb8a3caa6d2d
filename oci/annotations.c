/* SPDX-License-Identifier: MIT */
/*
 * io.linx.* annotations → one desired-state document → lx_desired_from_json.
 * The compact form exists because podman splits --annotation values as CSV
 * (SPEC.md); it is translated word for word into the document's own forms
 * (links, addresses and routes stay strings, which the document accepts), so
 * validation happens once, in desired.c. Document errors are then mapped
 * back to the annotation and item that caused them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotations.h"
#include "desired.h"

#define MAX_ANNOTATION (256u << 10) /* one annotation value */

struct member {
	const char *key;     /* annotation */
	const char *name;    /* member of its parent in the document */
	const char *docpath; /* path prefix of document errors */
	bool array;
	bool kv_typed; /* KEY=VALUE values typed (options) */
};

static const struct member members[] = {
    {"io.linx.links", "links", "network.links", true, false},
    {"io.linx.addresses", "addresses", "network.addresses", true, false},
    {"io.linx.routes", "routes", "network.routes", true, false},
    {"io.linx.rules", "rules", "network.rules", true, false},
    {"io.linx.neighbours", "neighbours", "network.neighbours", true, false},
    {"io.linx.sysctl", "sysctl", "sysctl", false, false},
    {"io.linx.cgroup", "cgroup", "cgroup", false, false},
    {"io.linx.options", "options", "options", false, true},
};

#define N_MEMBERS LX_ARRAY_SIZE(members)

/* Per annotation: whether the compact form was used, and the item texts
 * by index in the document array (to name "item N" in errors). */
struct seen {
	bool present, compact;
	char **items;
	size_t *item_no;
	size_t n_items;
};

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n_items; i++)
		free(s->items[i]);
	free(s->items);
	free(s->item_no);
	memset(s, 0, sizeof(*s));
}

/* Escaped, bounded rendering of tenant text for a one-line message. */
static const char *quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s && o + 8 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int seen_add(struct seen *s, const char *item, size_t no)
{
	char *dup;

	if (lx_grow((void **)&s->items, s->n_items, sizeof(*s->items)) < 0 ||
	    lx_grow((void **)&s->item_no, s->n_items, sizeof(*s->item_no)) < 0)
		return -ENOMEM;
	dup = strdup(item);
	if (!dup)
		return -ENOMEM;
	s->items[s->n_items] = dup;
	s->item_no[s->n_items++] = no;
	return 0;
}

/* A typed option value: true/false, an integer, else the string itself
 * (which the document then rejects with its type). */
static json_t *typed_value(const char *v)
{
	char *end;
	long long n;

	if (!strcmp(v, "true"))
		return json_true();
	if (!strcmp(v, "false"))
		return json_false();
	if (*v && (isdigit((unsigned char)*v) ||
		   (*v == '-' && isdigit((unsigned char)v[1])))) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (!*end && errno == 0)
			return json_integer(n);
	}
	return json_string(v);
}

/* The compact form of one annotation into the document member *out. */
static int compact_member(const struct member *m, const char *value,
			  struct seen *s, json_t **out, struct lx_error *err)
{
	_cleanup_json_ json_t *j = m->array ? json_array() : json_object();
	_cleanup_free_ char *copy = strdup(value);
	char *item, *save = NULL, q[256];
	size_t no = 0;
	int bad = 0;

	if (!j || !copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ";", &save); item;
	     item = strtok_r(NULL, ";", &save)) {
		char *eq, *key;
		json_t *v;

		item = trim(item);
		if (!*item)
			continue;
		no++;
		if (m->array) {
			if (seen_add(s, item, no) < 0 ||
			    json_array_append_new(j, json_string(item)) < 0)
				return -ENOMEM;
			continue;
		}
		eq = strchr(item, '=');
		if (!eq) {
			bad =
			    lx_error_add(err, LX_ERR_INVALID, 0,
					 "%s: item %zu %s: expected KEY=VALUE",
					 m->key, no, quote(q, sizeof(q), item));
			continue;
		}
		*eq = '\0';
		key = trim(item);
		if (!*key) {
			*eq = '=';
			bad = lx_error_add(err, LX_ERR_INVALID, 0,
					   "%s: item %zu %s: empty key", m->key,
					   no, quote(q, sizeof(q), item));
			continue;
		}
		if (json_object_get(j, key)) {
			bad =
			    lx_error_add(err, LX_ERR_INVALID, 0,
					 "%s: item %zu: duplicate key %s",
					 m->key, no, quote(q, sizeof(q), key));
			continue;
		}
		v = m->kv_typed ? typed_value(trim(eq + 1))
				: json_string(trim(eq + 1));
		if (!v || json_object_set_new(j, key, v) < 0)
			return -ENOMEM;
	}
	*out = TAKE_PTR(j);
	return bad;
}

static int json_member(const struct member *m, const char *value, json_t **out,
		       struct lx_error *err)
{
	json_error_t je;
	json_t *j = json_loads(value, JSON_REJECT_DUPLICATES, &je);

	if (!j)
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "%s: invalid JSON at column %d: %s", m->key,
				    je.column, je.text);
	if (m->array ? !json_is_array(j) : !json_is_object(j)) {
		json_decref(j);
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "%s: expected a JSON %s", m->key,
				    m->array ? "array" : "object");
	}
	*out = j;
	return 0;
}

/* Rewrite one document error line in terms of the annotations. */
static void map_line(const char *line, size_t n, const struct seen *seen,
		     struct lx_error *err)
{
	char q[256];

	for (size_t i = 0; i < N_MEMBERS; i++) {
		const struct member *m = &members[i];
		size_t pl = strlen(m->docpath);
		const char *rest = line + pl;
		size_t rn = n - pl;

		if (n < pl || strncmp(line, m->docpath, pl) ||
		    (rest[0] != '[' && rest[0] != '.' && rest[0] != ':'))
			continue;
		if (m->array && seen[i].compact && rest[0] == '[') {
			char *end;
			unsigned long idx = strtoul(rest + 1, &end, 10);

			if (*end == ']' && idx < seen[i].n_items) {
				size_t skip = (size_t)(end + 1 - rest);

				rest += skip;
				rn -= skip;
				if (rest[0] == '.') {
					rest++;
					rn--;
					lx_error_add(err, LX_ERR_INVALID, 0,
						     "%s: item %zu %s: %.*s",
						     m->key,
						     seen[i].item_no[idx],
						     quote(q, sizeof(q),
							   seen[i].items[idx]),
						     (int)rn, rest);
				} else {
					lx_error_add(err, LX_ERR_INVALID, 0,
						     "%s: item %zu %s%.*s",
						     m->key,
						     seen[i].item_no[idx],
						     quote(q, sizeof(q),
							   seen[i].items[idx]),
						     (int)rn, rest);
				}
				return;
			}
		}
		if (m->array || rest[0] == ':') {
			/* io.linx.links[1].mtu: ... / io.linx.cgroup: ... */
			lx_error_add(err, LX_ERR_INVALID, 0, "%s%.*s", m->key,
				     (int)rn, rest);
		} else {
			/* cgroup.memory.max: ... → io.linx.cgroup: memory.max:
			 */
			lx_error_add(err, LX_ERR_INVALID, 0, "%s: %.*s", m->key,
				     (int)rn - 1, rest + 1);
		}
		return;
	}
	lx_error_add(err, LX_ERR_INVALID, 0, "io.linx: %.*s", (int)n, line);
}

int lx_annotations_to_desired(const json_t *annotations, struct lx_desired *d,
			      bool *present, struct lx_error *err)
{
	_cleanup_json_ json_t *doc = json_object();
	json_t *network = NULL;
	struct seen seen[N_MEMBERS] = {0};
	struct lx_error local;
	const char *key;
	json_t *v;
	char q[256];
	int bad = 0, r = 0;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	*present = false;
	if (!doc)
		return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "annotations");
	if (!annotations)
		return 0;
	if (!json_is_object(annotations))
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "annotations: expected an object");

	json_object_foreach((json_t *)annotations, key, v)
	{
		const struct member *m = NULL;
		struct seen *s = NULL;
		json_t *member = NULL;
		const char *value;

		if (strncmp(key, LX_ANNOTATION_PREFIX,
			    strlen(LX_ANNOTATION_PREFIX)))
			continue;
		*present = true;
		for (size_t i = 0; i < N_MEMBERS; i++)
			if (!strcmp(key, members[i].key)) {
				m = &members[i];
				s = &seen[i];
			}
		if (!m) {
			bad = lx_error_add(
			    err, LX_ERR_INVALID, 0,
			    "%s: unknown annotation (io.linx.links, "
			    "io.linx.addresses, io.linx.routes, "
			    "io.linx.rules, io.linx.neighbours, "
			    "io.linx.sysctl, io.linx.cgroup, io.linx.options)",
			    quote(q, sizeof(q), key));
			continue;
		}
		if (!json_is_string(v)) {
			bad =
			    lx_error_add(err, LX_ERR_INVALID, 0,
					 "%s: expected a string value", m->key);
			continue;
		}
		value = json_string_value(v);
		if (strlen(value) > MAX_ANNOTATION) {
			bad = lx_error_add(
			    err, LX_ERR_INVALID, 0,
			    "%s: value too long (%zu bytes, max %u)", m->key,
			    strlen(value), MAX_ANNOTATION);
			continue;
		}
		s->present = true;
		while (isspace((unsigned char)*value))
			value++;
		if (*value == '[' || *value == '{') {
			if (json_member(m, value, &member, err) < 0) {
				bad = -EINVAL;
				continue;
			}
		} else {
			s->compact = true;
			r = compact_member(m, value, s, &member, err);
			if (r == -ENOMEM)
				goto out;
			if (r < 0)
				bad = r;
			r = 0;
		}
		if (m->array) {
			if (!network) {
				network = json_object();
				if (!network ||
				    json_object_set_new(doc, "network",
							network) < 0) {
					json_decref(member);
					r = -ENOMEM;
					goto out;
				}
			}
			r = json_object_set_new(network, m->name, member);
		} else {
			r = json_object_set_new(doc, m->name, member);
		}
		if (r < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (!*present)
		goto out;

	/* Validate what could be assembled even when some annotation was
	 * already bad: every problem is reported in one go. */
	lx_error_clear(&local);
	r = lx_desired_from_json(doc, d, &local);
	if (r == -ENOMEM || local.kind == LX_ERR_SYSTEM) {
		r = lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "annotations");
		goto out;
	}
	if (r < 0) {
		const char *line = local.msg;

		while (line && *line) {
			const char *nl = strchr(line, '\n');
			size_t n = nl ? (size_t)(nl - line) : strlen(line);

			map_line(line, n, seen, err);
			line = nl ? nl + 1 : NULL;
		}
		bad = -EINVAL;
	}
	r = 0;
	if (bad < 0) {
		lx_desired_free(d);
		lx_options_init(&d->opts);
		r = -EINVAL;
	}
out:
	if (r == -ENOMEM) {
		lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "annotations");
		lx_desired_free(d);
		lx_options_init(&d->opts);
	}
	for (size_t i = 0; i < N_MEMBERS; i++)
		seen_free(&seen[i]);
	return r;
}
