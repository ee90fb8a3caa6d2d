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

#include "json_cleanup.h"
#include "annotations.h"
#include "desired.h"
#include "grammar.h"

#define MAX_ANNOTATION (256u << 10) /* one annotation value */

/* Per annotation: the compact form's item texts and their numbers, by
 * index in the member's array (to name "item N" in errors). */
struct seen {
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
static int compact_member(const char *key, bool array, bool typed,
			  const char *value, struct seen *s, json_t **out,
			  struct lx_error *err)
{
	_cleanup_json_ json_t *j = array ? json_array() : json_object();
	_cleanup_free_ char *copy = strdup(value);
	char *item, *save = NULL;
	struct lx_qbuf q;
	size_t no = 0;
	int bad = 0;

	if (!j || !copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ";", &save); item;
	     item = strtok_r(NULL, ";", &save)) {
		char *eq, *k;
		json_t *v;

		item = trim(item);
		if (!*item)
			continue;
		no++;
		if (array) {
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
					 key, no, lx_text_quote(&q, item));
			continue;
		}
		*eq = '\0';
		k = trim(item);
		if (!*k) {
			*eq = '=';
			bad = lx_error_add(err, LX_ERR_INVALID, 0,
					   "%s: item %zu %s: empty key", key,
					   no, lx_text_quote(&q, item));
			continue;
		}
		if (json_object_get(j, k)) {
			bad = lx_error_add(err, LX_ERR_INVALID, 0,
					   "%s: item %zu: duplicate key %s",
					   key, no, lx_text_quote(&q, k));
			continue;
		}
		v = typed ? typed_value(trim(eq + 1))
			  : json_string(trim(eq + 1));
		if (!v || json_object_set_new(j, k, v) < 0)
			return -ENOMEM;
	}
	*out = TAKE_PTR(j);
	return bad;
}

static int json_member(const char *key, bool array, const char *value,
		       json_t **out, struct lx_error *err)
{
	json_error_t je;
	json_t *j = json_loads(value, JSON_REJECT_DUPLICATES, &je);

	if (!j)
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "%s: invalid JSON at column %d: %s", key,
				    je.column, je.text);
	if (array ? !json_is_array(j) : !json_is_object(j)) {
		json_decref(j);
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "%s: expected a JSON %s", key,
				    array ? "array" : "object");
	}
	*out = j;
	return 0;
}

int lx_annotations_to_desired(const json_t *annotations, struct lx_desired *d,
			      bool *present, struct lx_error *err)
{
	const char *key;
	json_t *v;
	int bad = 0, r = 0;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	*present = false;
	if (!annotations)
		return 0;
	if (!json_is_object(annotations))
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "annotations: expected an object");

	json_object_foreach((json_t *)annotations, key, v)
	{
		const char *name = key + strlen(LX_ANNOTATION_PREFIX);
		_cleanup_json_ json_t *member = NULL;
		struct seen s = {0};
		struct lx_qbuf q;
		bool array, typed;
		const char *value;
		char names[512];

		if (strncmp(key, LX_ANNOTATION_PREFIX,
			    strlen(LX_ANNOTATION_PREFIX)))
			continue;
		*present = true;
		if (!lx_desired_member_info(name, &array, &typed)) {
			bad = lx_error_add(
			    err, LX_ERR_INVALID, 0,
			    "%s: unknown annotation (%s)",
			    lx_text_quote(&q, key),
			    lx_desired_member_names(names, sizeof(names),
						    LX_ANNOTATION_PREFIX));
			continue;
		}
		if (!json_is_string(v)) {
			bad = lx_error_add(err, LX_ERR_INVALID, 0,
					   "%s: expected a string value", key);
			continue;
		}
		value = json_string_value(v);
		if (strlen(value) > MAX_ANNOTATION) {
			bad = lx_error_add(
			    err, LX_ERR_INVALID, 0,
			    "%s: value too long (%zu bytes, max %u)", key,
			    strlen(value), MAX_ANNOTATION);
			continue;
		}
		while (isspace((unsigned char)*value))
			value++;
		if (!strcmp(name, "nftables"))
			/* nft syntax, as is: its ';' and braces are nft's. */
			r = (member = json_string(value))
				? 0
				: lx_error_add(err, LX_ERR_INVALID, 0,
					       "%s: not UTF-8", key);
		else if (*value == '[' || *value == '{')
			r = json_member(key, array, value, &member, err);
		else
			r = compact_member(key, array, typed, value, &s,
					   &member, err);
		/* What the compact form could assemble is validated even
		 * when some item was already bad: every problem in one go. */
		if (r != -ENOMEM && member) {
			struct lx_origin o = {
			    .base = key,
			    .annotation = true,
			    .items = (const char *const *)s.items,
			    .item_no = s.item_no,
			};

			r = lx_desired_member(d, name, member, &o, err) ?: r;
		}
		seen_free(&s);
		if (r == -ENOMEM)
			break;
		bad = r ?: bad;
	}
	if (r == -ENOMEM)
		bad = lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "annotations");
	if (bad < 0) {
		lx_desired_free(d);
		lx_options_init(&d->opts);
	}
	return bad;
}
