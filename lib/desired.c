/* SPDX-License-Identifier: MIT */
/*
 * The desired-state document: JSON → struct lx_desired, the string grammars
 * of addresses, routes and links, and the canonical JSON form. Strict by
 * design: the document is tenant input, so unknown members, wrong types and
 * out-of-range values are errors, and every problem is reported (one line
 * each, naming the field path and the offending value) so a user fixes them
 * all in one round.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_keys.h"
#include "json_cleanup.h"
#include "json_fast.h"
#include "jsonw.h"
#include "desired.h"
#include "grammar.h"
#include "neigh.h"
#include "route.h"
#include "rule.h"
#include "nft.h"

#define MAX_ITEMS 65536	      /* entries per array / object */
#define MAX_FILE  (16u << 20) /* lx_desired_from_file */

/* ---------------------------------------------------------------- links */

static int bool_member(const json_t *v, int *dst, const char *field,
		       struct lx_error *err)
{
	if (!json_is_boolean(v))
		return lx_bad_type(err, field, "true or false", v);
	*dst = json_is_true(v);
	return 0;
}

/* ---------------------------------------------------- sysctl and cgroup */

/* Sysctl names are the same when they differ only in the separator: the
 * kernel reads net.ipv4.ip_forward and net/ipv4/ip_forward as one file. */
static bool sysctl_same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b &&
		    !((*a == '.' || *a == '/') && (*b == '.' || *b == '/')))
			return false;
	return *a == *b;
}

static int sysctl_from_json(const json_t *o, struct lx_kvs *kvs,
			    const struct lx_origin *org, struct lx_error *err)
{
	const char *key;
	int bad = 0;
	struct lx_qbuf q;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		return lx_bad_type(err, org->base, "an object", o);
	}
	if (json_object_size(o) > MAX_ITEMS) {
		bad = lx_bad(err, "%s: too many entries (%zu, max %d)",
			     org->base, json_object_size(o), MAX_ITEMS);
		return bad;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		char num[32];
		const char *val = NULL, *dup;

		lx_key_field(org, key, f, sizeof(f));
		if (!*key) {
			bad = lx_bad(err, "%s: empty key", org->base);
			continue;
		}
		/* Two spellings of one file would fight over its value on
		 * every pass. */
		dup = NULL;
		for (size_t i = 0; i < kvs->n && !dup; i++)
			if (sysctl_same_name(kvs->v[i].key, key))
				dup = kvs->v[i].key;
		if (dup) {
			struct lx_qbuf q2;

			bad = lx_bad(
			    err, "%s: duplicate sysctl %s (same file as %s)", f,
			    lx_text_quote(&q, key), lx_text_quote(&q2, dup));
			continue;
		}
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			val = num;
		} else if (json_is_string(v)) {
			val = json_string_value(v);
			if (!*val) {
				bad = lx_bad(err, "%s: empty value", f);
				continue;
			}
			/* The sysctl write would refuse it on every pass. */
			if (strlen(val) > LX_KV_VALUE_MAX) {
				bad = lx_bad(
				    err,
				    "%s: value too long (%zu bytes, max %d)", f,
				    strlen(val), LX_KV_VALUE_MAX);
				continue;
			}
			for (const char *c = val; *c; c++)
				if ((unsigned char)*c < 0x20 && *c != '\t') {
					bad = lx_bad(
					    err,
					    "%s: control character in value %s",
					    f, lx_jrepr(&q, v));
					val = NULL;
					break;
				}
			if (!val)
				continue;
		} else {
			bad = lx_bad_type(err, f, "an integer or a string", v);
			continue;
		}
		if (lx_kvs_add(kvs, key, val) < 0) {
			return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM,
					    "sysctl");
		}
	}
	return bad;
}

/* The keys, their grammar and canonical form are cgroup_keys.h's rows. */
static int cgroup_from_json(const json_t *o, struct lx_kvs *kvs,
			    const struct lx_origin *org, struct lx_error *err)
{
	const char *key;
	int bad = 0;
	struct lx_qbuf q;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		return lx_bad_type(err, org->base, "an object", o);
	}
	json_object_foreach((json_t *)o, key, v)
	{
		char val[LX_KV_VALUE_MAX], num[32], why[600];
		const char *in = num;

		lx_key_field(org, key, f, sizeof(f));
		if (!lx_cg_row_find(key)) {
			bad = lx_bad(err, "%s: unknown key %s (%s)", org->base,
				     lx_text_quote(&q, key), lx_cg_key_list());
			continue;
		}
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
		} else if (json_is_string(v)) {
			in = json_string_value(v);
		} else {
			bad = lx_bad_type(err, f, "an integer or a string", v);
			continue;
		}
		if (lx_cg_normalize(key, in, lx_jrepr(&q, v), val, sizeof(val),
				    why, sizeof(why)) < 0) {
			bad = lx_bad(err, "%s: %s", f, why);
			continue;
		}
		if (lx_kvs_add(kvs, key, val) < 0) {
			return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup");
		}
	}
	return bad;
}

/* --------------------------------------------------------------- options */

static int u32_option(const json_t *v, uint32_t *dst, json_int_t max,
		      const char *f, struct lx_error *err)
{
	if (!json_is_integer(v))
		return lx_bad_type(err, f, "an integer", v);
	if (json_integer_value(v) < 0 || json_integer_value(v) > max)
		return lx_bad(err,
			      "%s: %" JSON_INTEGER_FORMAT
			      " out of range (0..%" JSON_INTEGER_FORMAT ")",
			      f, json_integer_value(v), max);
	*dst = (uint32_t)json_integer_value(v);
	return 0;
}

static int bool_option(const json_t *v, bool *dst, const char *f,
		       struct lx_error *err)
{
	int b = 0, r = bool_member(v, &b, f, err);

	if (r == 0)
		*dst = b;
	return r;
}

static int options_from_json(const json_t *o, struct lx_options *opts,
			     const struct lx_origin *org, struct lx_error *err)
{
	const char *key;
	int bad = 0;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		return lx_bad_type(err, org->base, "an object", o);
	}
	json_object_foreach((json_t *)o, key, v)
	{
		lx_key_field(org, key, f, sizeof(f));
		if (!strcmp(key, "interval_ms")) {
			bad =
			    u32_option(v, &opts->interval_ms, 86400000, f, err)
				?: bad;
		} else if (!strcmp(key, "debounce_ms")) {
			bad = u32_option(v, &opts->debounce_ms, 60000, f, err)
				  ?: bad;
		} else if (!strcmp(key, "protocol")) {
			json_int_t p = json_integer_value(v);

			if (!json_is_integer(v))
				bad = lx_bad_type(err, f, "an integer", v);
			else if (p >= 0 && p <= 4)
				bad = lx_bad(
				    err,
				    "%s: %" JSON_INTEGER_FORMAT
				    " is reserved for the kernel (use 5..255)",
				    f, p);
			else if (p < 0 || p > 255)
				bad = lx_bad(err,
					     "%s: %" JSON_INTEGER_FORMAT
					     " out of range (5..255)",
					     f, p);
			else
				opts->protocol = (uint8_t)p;
		} else if (!strcmp(key, "monitor")) {
			bad = bool_option(v, &opts->monitor, f, err) ?: bad;
		} else if (!strcmp(key, "revert_on_release")) {
			bad = bool_option(v, &opts->revert_on_release, f, err)
				  ?: bad;
		} else if (!strcmp(key, "require_converged")) {
			bad = bool_option(v, &opts->require_converged, f, err)
				  ?: bad;
		} else if (!strcmp(key, "adopt")) {
			bad = bool_option(v, &opts->adopt, f, err) ?: bad;
		} else {
			bad = lx_bad(err, "%s: unknown member", f);
		}
	}
	return bad;
}

/* --------------------------------------------------------------- network */

/* Orders whose equality is "the same object" for the duplicate check. */
static int addr_order(const void *x, const void *y)
{
	const struct lx_addr *a = x, *b = y;
	int c = strcmp(a->dev, b->dev);

	if (c)
		return c;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static int route_order(const void *x, const void *y)
{
	return lx_route_cmp(x, y);
}

/* A duplicate: element `later` equals the earlier element `first`. */
struct dup {
	size_t first, later;
};

struct dup_sort {
	const char *base;
	size_t size;
	int (*order)(const void *, const void *);
};

static int dup_cmp(const void *x, const void *y, void *ctx)
{
	const struct dup_sort *ds = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = ds->order(ds->base + i * ds->size, ds->base + j * ds->size);

	if (c)
		return c;
	return i < j ? -1 : i > j;
}

static int dup_by_input(const void *x, const void *y, void *ctx)
{
	const size_t *src = ctx;
	size_t i = src[((const struct dup *)x)->later];
	size_t j = src[((const struct dup *)y)->later];

	return i < j ? -1 : i > j;
}

/*
 * Find the elements of base[0..n) equal under `order` to an earlier one,
 * in O(n log n); *out lists them ordered by the later element's position
 * in the input (`src` maps an element to that position). Returns how many.
 */
static inline __attribute__((always_inline)) size_t
find_dups(const void *base, size_t size, size_t n,
	  int (*order)(const void *, const void *), const size_t *src,
	  struct dup **out)
{
	struct dup_sort ds = {base, size, order};
	_cleanup_free_ size_t *idx = NULL;
	struct dup *d;
	size_t nd = 0, first = 0;

	*out = NULL;
	if (n < 2)
		return 0;
	/* Written before read: no zeroing (the heap is not fresh pages:
	 * cmd_once raises the mmap threshold, so calloc clears). */
	d = reallocarray(NULL, n, sizeof(*d));
	if (!d)
		return 0;
	/* A document written in order needs no sort (the order is total,
	 * ties by index: the same result), and its duplicates are found
	 * with the same compares that check the order (inline here: one
	 * copy of this function per order). */
	for (size_t k = 1; k < n; k++) {
		int c = order((const char *)base + (k - 1) * size,
			      (const char *)base + k * size);

		if (c > 0) {
			nd = 0;
			goto unsorted;
		}
		if (c)
			first = k;
		else
			d[nd++] = (struct dup){first, k};
	}
	goto found;
unsorted:
	idx = reallocarray(NULL, n, sizeof(*idx));
	if (!idx) {
		free(d);
		return 0;
	}
	for (size_t k = 0; k < n; k++)
		idx[k] = k;
	qsort_r(idx, n, sizeof(*idx), dup_cmp, &ds);
	for (size_t k = 0; k < n; k++) {
		if (k == 0 ||
		    order(ds.base + idx[k - 1] * size, ds.base + idx[k] * size))
			first = idx[k];
		else
			d[nd++] = (struct dup){first, idx[k]};
	}
found:
	qsort_r(d, nd, sizeof(*d), dup_by_input, (void *)src);
	*out = d;
	return nd;
}

/*
 * Names the items of one array in turn, as lx_item_field does, "BASE["
 * written once and only the index after it each time: every item is
 * named before it is parsed, and 10,000 routes are a normal document.
 */
struct item_namer {
	const struct lx_origin *o;
	char *buf;
	size_t len, at; /* at: just after "BASE["; 0: lx_item_field */
	size_t nd;	/* digits written after at, for index next - 1 */
	size_t next;
};

static void namer_init(struct item_namer *n, const struct lx_origin *o,
		       char *buf, size_t len)
{
	size_t bl = o->items ? 0 : strlen(o->base);

	*n = (struct item_namer){o, buf, len, 0, 0, 0};
	if (!o->items && bl + 24 + 3 <= len) {
		memcpy(buf, o->base, bl);
		buf[bl] = '[';
		n->at = bl + 1;
	}
}

/* The index after the one written: add one to its digits in place. */
static void namer_increment(struct item_namer *n)
{
	char *d = n->buf + n->at;
	size_t k = n->nd;

	while (k && d[k - 1] == '9')
		d[--k] = '0';
	if (k) {
		d[k - 1]++;
		return;
	}
	memmove(d + 1, d, n->nd++);
	d[0] = '1';
}

static const char *namer_name(struct item_namer *n, size_t i)
{
	char d[24];
	size_t k = 0;

	if (!n->at)
		return lx_item_field(n->o, i, n->buf, n->len);
	if (n->nd && i == n->next) {
		namer_increment(n);
	} else {
		n->nd = 0;
		for (size_t v = i; k == 0 || v; v /= 10)
			d[k++] = (char)('0' + v % 10);
		while (k)
			n->buf[n->at + n->nd++] = d[--k];
	}
	n->next = i + 1;
	n->buf[n->at + n->nd] = ']';
	n->buf[n->at + n->nd + 1] = '\0';
	return n->buf;
}

static int link_name_order(const void *a, const void *b)
{
	return strcmp(((const struct lx_link *)a)->name,
		      ((const struct lx_link *)b)->name);
}

/* Links without a peer never equal one another (nor one with a peer). */
static int link_peer_order(const void *a, const void *b)
{
	const struct lx_link *x = a, *y = b;

	if (!x->peer[0] || !y->peer[0])
		return x->peer[0] || y->peer[0] ? (x->peer[0] ? 1 : -1)
						: (x > y) - (x < y);
	return strcmp(x->peer, y->peer);
}

static int links_from_json(const json_t *arr, struct lx_desired *d,
			   const struct lx_origin *o, struct lx_error *err)
{
	struct item_namer names;
	_cleanup_free_ size_t *src = NULL;
	_cleanup_free_ bool *named = NULL;
	struct dup *dups = NULL;
	size_t i, nd;
	json_t *v;
	char f[512];
	int bad = 0;

	d->links = calloc(json_array_size(arr) + 1, sizeof(*d->links));
	src = calloc(json_array_size(arr) + 1, sizeof(*src));
	named = calloc(json_array_size(arr) + 1, sizeof(*named));
	if (!d->links || !src || !named)
		return -ENOMEM;
	namer_init(&names, o, f, sizeof(f));
	json_array_foreach(arr, i, v)
	{
		struct lx_link *l = &d->links[d->n_links];

		namer_name(&names, i);
		if (lx_link_from_json(v, l, f, err) < 0) {
			bad = -EINVAL;
			continue;
		}
		src[d->n_links++] = i;
	}
	/* Duplicates by sorting, not by comparing every pair: a document
	 * may hold 65,536 links. */
	nd = find_dups(d->links, sizeof(*d->links), d->n_links, link_name_order,
		       src, &dups);
	for (size_t k = 0; k < nd; k++) {
		named[dups[k].later] = true;
		bad = lx_bad(err, "%s.name: duplicate link \"%s\"",
			     lx_item_field(o, src[dups[k].later], f, sizeof(f)),
			     d->links[dups[k].later].name);
	}
	free(dups);
	nd = find_dups(d->links, sizeof(*d->links), d->n_links, link_peer_order,
		       src, &dups);
	for (size_t k = 0; k < nd; k++)
		if (!named[dups[k].later])
			bad = lx_bad(
			    err, "%s.peer: duplicate peer \"%s\"",
			    lx_item_field(o, src[dups[k].later], f, sizeof(f)),
			    d->links[dups[k].later].peer);
	free(dups);
	return bad;
}

static int addrs_from_json(const json_t *arr, struct lx_desired *d,
			   const struct lx_origin *o, struct lx_error *err)
{
	struct item_namer names;
	size_t i, nd;
	json_t *v;
	char f[512], f2[512], buf[128];
	int bad = 0;
	_cleanup_free_ size_t *src = NULL;
	struct dup *dups = NULL;

	d->addrs = calloc(json_array_size(arr) + 1, sizeof(*d->addrs));
	src = calloc(json_array_size(arr) + 1, sizeof(*src));
	if (!d->addrs || !src)
		return -ENOMEM;
	namer_init(&names, o, f, sizeof(f));
	json_array_foreach(arr, i, v)
	{
		struct lx_addr *a = &d->addrs[d->n_addrs];
		int r;

		namer_name(&names, i);
		if (json_is_string(v)) {
			r = lx_addr_parse(json_string_value(v), a, f, err);
		} else if (json_is_object(v)) {
			struct lx_addr_in in = {0};
			const char *key;
			json_t *m;
			char mf[512];
			int invalid = 0;

			json_object_foreach(v, key, m)
			{
				const char **dst =
				    !strcmp(key, "dev")		? &in.dev
				    : !strcmp(key, "address")	? &in.address
				    : !strcmp(key, "peer")	? &in.peer
				    : !strcmp(key, "broadcast") ? &in.brd
				    : !strcmp(key, "scope")	? &in.scope
								: NULL;

				lx_field_join(mf, sizeof(mf), f, key);
				if (!strcmp(key, "nodad") ||
				    !strcmp(key, "noprefixroute")) {
					int b = 0;

					if (bool_member(m, &b, mf, err) == 0)
						*(!strcmp(key, "nodad")
						      ? &in.nodad
						      : &in.noprefixroute) = b;
					else
						invalid = -EINVAL;
				} else if (!dst) {
					invalid = lx_bad(
					    err, "%s: unknown member", mf);
				} else if (!json_is_string(m)) {
					invalid =
					    lx_bad_type(err, mf, "a string", m);
				} else {
					*dst = json_string_value(m);
				}
			}
			r = lx_addr_build(&in, a, f, err);
			if (invalid)
				r = -EINVAL;
		} else {
			bad = lx_bad_type(err, f, "a string or an object", v);
			continue;
		}
		if (r < 0) {
			bad = -EINVAL;
			continue;
		}
		src[d->n_addrs++] = i;
	}
	nd = find_dups(d->addrs, sizeof(*d->addrs), d->n_addrs, addr_order, src,
		       &dups);
	for (size_t k = 0; k < nd; k++)
		bad = lx_bad(
		    err, "%s: duplicate address \"%s\" (same as %s)",
		    lx_item_field(o, src[dups[k].later], f, sizeof(f)),
		    lx_addr_format(&d->addrs[dups[k].later], buf, sizeof(buf)),
		    lx_item_field(o, src[dups[k].first], f2, sizeof(f2)));
	free(dups);
	return bad;
}

/* The elements of a member's array: its tree, or the items of the
 * document's network.routes (lx_origin.elems). */
static bool from_items(const json_t *arr, const struct lx_origin *o)
{
	return o->elems && o->elems->array && arr == o->elems->array;
}

static size_t elems_size(const json_t *arr, const struct lx_origin *o)
{
	return from_items(arr, o) ? o->elems->n : json_array_size(arr);
}

/* Element i as its node, or (*s, *len: an item's bytes, no NUL) NULL. */
static const json_t *elem(const json_t *arr, const struct lx_origin *o,
			  size_t i, const char **s, size_t *len)
{
	const struct lx_json_item *it;

	if (!from_items(arr, o))
		return json_array_get(arr, i);
	it = &o->elems->v[i];
	if (it->len == LX_JSON_ITEM_NODE)
		return o->elems->nodes[it->off];
	*s = o->text + it->off;
	*len = it->len;
	return NULL;
}

/* A copy of len bytes at s with its NUL, in *buf (grown as needed). */
static const char *c_string(char **buf, size_t *cap, const char *s,
			    size_t len)
{
	if (len + 1 > *cap) {
		char *b = realloc(*buf, len + 1);

		if (!b)
			return NULL;
		*buf = b;
		*cap = len + 1;
	}
	memcpy(*buf, s, len);
	(*buf)[len] = '\0';
	return *buf;
}

static int routes_from_json(const json_t *arr, struct lx_desired *d,
			    const struct lx_origin *o, struct lx_error *err)
{
	struct item_namer names;
	size_t nd, n = elems_size(arr, o), cap = 0;
	char f[512], f2[512], buf[256];
	int bad = 0;
	_cleanup_free_ size_t *src = NULL;
	_cleanup_free_ char *copy = NULL;
	struct dup *dups = NULL;

	/* Not zeroed: lx_route_parse and lx_route_from_json clear the slot
	 * they are given, and only the n_routes parsed ones are read. For
	 * 10,000 routes calloc would clear 1.8 MB. */
	d->routes = reallocarray(NULL, n + 1, sizeof(*d->routes));
	src = reallocarray(NULL, n + 1, sizeof(*src));
	if (!d->routes || !src)
		return -ENOMEM;
	namer_init(&names, o, f, sizeof(f));
	for (size_t i = 0; i < n; i++) {
		struct lx_route *r = &d->routes[d->n_routes];
		const char *s = NULL;
		size_t len = 0;
		const json_t *v = elem(arr, o, i, &s, &len);
		int rc;

		/* An item's bytes: the common route straight from them (its
		 * name is needed only for a message), any other through a
		 * copy with its NUL. */
		if (!v && lx_route_parse_fast(s, len, r)) {
			src[d->n_routes++] = i;
			continue;
		}
		namer_name(&names, i);
		if (!v) {
			if (!(s = c_string(&copy, &cap, s, len)))
				return -ENOMEM;
			rc = lx_route_parse_words(s, r, f, err);
		} else if (json_is_string(v)) {
			rc = lx_route_parse(json_string_value(v), r, f, err);
		} else if (json_is_object(v)) {
			rc = lx_route_from_json(v, r, f, err);
		} else {
			bad = lx_bad_type(err, f, "a string or an object", v);
			continue;
		}
		if (rc < 0) {
			bad = -EINVAL;
			continue;
		}
		src[d->n_routes++] = i;
	}
	/* Duplicates by sorting, not pairwise: 10,000 routes are a normal
	 * document and n^2 compares would cost more than the pass. */
	nd = find_dups(d->routes, sizeof(*d->routes), d->n_routes, route_order,
		       src, &dups);
	for (size_t k = 0; k < nd; k++) {
		bad = lx_bad(
		    err,
		    "%s: duplicate route \"%s\" (same destination, "
		    "table and metric as %s: the kernel holds one)",
		    lx_item_field(o, src[dups[k].later], f, sizeof(f)),
		    lx_route_format(&d->routes[dups[k].later], false, buf,
				    sizeof(buf)),
		    lx_item_field(o, src[dups[k].first], f2, sizeof(f2)));
	}
	free(dups);
	return bad;
}

/* Rules and neighbours: string items, duplicates by their identity. */
struct strings_member {
	size_t sz;
	int (*parse)(const char *, void *, const char *, struct lx_error *);
	int (*order)(const void *, const void *);
	const char *(*fmt)(const void *, char *, size_t);
};

static int strings_from_json(const json_t *arr, void **out, size_t *n,
			     const struct strings_member *m,
			     const struct lx_origin *o, struct lx_error *err)
{
	struct item_namer names;
	_cleanup_free_ size_t *src = NULL;
	struct dup *dups = NULL;
	char f[512], f2[512], buf[512];
	size_t i, nd;
	int bad = 0;
	json_t *v;

	/* Not zeroed: the rule and neighbour parsers clear the slot they
	 * are given, and only the *n parsed ones are read. */
	*out = reallocarray(NULL, json_array_size(arr) + 1, m->sz);
	src = reallocarray(NULL, json_array_size(arr) + 1, sizeof(*src));
	if (!*out || !src)
		return -ENOMEM;
	namer_init(&names, o, f, sizeof(f));
	json_array_foreach(arr, i, v)
	{
		namer_name(&names, i);
		if (!json_is_string(v)) {
			bad = lx_bad_type(err, f, "a string", v);
			continue;
		}
		if (m->parse(json_string_value(v), (char *)*out + *n * m->sz, f,
			     err) < 0) {
			bad = -EINVAL;
			continue;
		}
		src[(*n)++] = i;
	}
	nd = find_dups(*out, m->sz, *n, m->order, src, &dups);
	for (size_t k = 0; k < nd; k++)
		bad = lx_bad(
		    err, "%s: duplicate \"%s\" (the same as %s)",
		    lx_item_field(o, src[dups[k].later], f, sizeof(f)),
		    m->fmt((char *)*out + dups[k].later * m->sz, buf,
			   sizeof(buf)),
		    lx_item_field(o, src[dups[k].first], f2, sizeof(f2)));
	free(dups);
	return bad;
}

static int rule_parse_cb(const char *s, void *r, const char *f,
			 struct lx_error *err)
{
	return lx_rule_parse(s, r, f, err);
}
static int neigh_parse_cb(const char *s, void *n, const char *f,
			  struct lx_error *err)
{
	return lx_neigh_parse(s, n, f, err);
}
static int rule_order(const void *x, const void *y)
{
	return lx_rule_cmp(x, y);
}
static int neigh_order(const void *x, const void *y)
{
	return lx_neigh_cmp(x, y);
}
static const char *rule_fmt_cb(const void *r, char *buf, size_t len)
{
	return lx_rule_format(r, false, buf, len);
}
static const char *neigh_fmt_cb(const void *n, char *buf, size_t len)
{
	return lx_neigh_format(n, false, buf, len);
}

/* ------------------------------------------------------------ members */

/*
 * The document's members, one row each: the document parser and the
 * annotations (one annotation per member, io.linx.<name>) both go through
 * this table, so a new member is one row here.
 */
struct member {
	const char *name;
	bool network; /* under "network" */
	bool array;   /* else an object of KEY: VALUE */
	bool typed;   /* compact KEY=VALUE values are typed (options) */
	int (*parse)(const json_t *v, struct lx_desired *d,
		     const struct lx_origin *o, struct lx_error *err);
	bool (*is_set)(const struct lx_desired *d);
};

static int m_links(const json_t *v, struct lx_desired *d,
		   const struct lx_origin *o, struct lx_error *err)
{
	return links_from_json(v, d, o, err);
}
static bool s_links(const struct lx_desired *d)
{
	return d->links != NULL;
}
static int m_addrs(const json_t *v, struct lx_desired *d,
		   const struct lx_origin *o, struct lx_error *err)
{
	return addrs_from_json(v, d, o, err);
}
static bool s_addrs(const struct lx_desired *d)
{
	return d->addrs != NULL;
}
static int m_routes(const json_t *v, struct lx_desired *d,
		    const struct lx_origin *o, struct lx_error *err)
{
	return routes_from_json(v, d, o, err);
}
static bool s_routes(const struct lx_desired *d)
{
	return d->routes != NULL;
}
static int m_rules(const json_t *v, struct lx_desired *d,
		   const struct lx_origin *o, struct lx_error *err)
{
	static const struct strings_member m = {
	    sizeof(struct lx_rule), rule_parse_cb, rule_order, rule_fmt_cb};

	return strings_from_json(v, (void **)&d->rules, &d->n_rules, &m, o,
				 err);
}
static bool s_rules(const struct lx_desired *d)
{
	return d->rules != NULL;
}
static int m_neighs(const json_t *v, struct lx_desired *d,
		    const struct lx_origin *o, struct lx_error *err)
{
	static const struct strings_member m = {
	    sizeof(struct lx_neigh), neigh_parse_cb, neigh_order, neigh_fmt_cb};

	return strings_from_json(v, (void **)&d->neighs, &d->n_neighs, &m, o,
				 err);
}
static bool s_neighs(const struct lx_desired *d)
{
	return d->neighs != NULL;
}
static int m_sysctl(const json_t *v, struct lx_desired *d,
		    const struct lx_origin *o, struct lx_error *err)
{
	return sysctl_from_json(v, &d->sysctl, o, err);
}
static bool s_sysctl(const struct lx_desired *d)
{
	return d->sysctl.v != NULL;
}
static int m_cgroup(const json_t *v, struct lx_desired *d,
		    const struct lx_origin *o, struct lx_error *err)
{
	return cgroup_from_json(v, &d->cgroup, o, err);
}
static bool s_cgroup(const struct lx_desired *d)
{
	return d->cgroup.v != NULL;
}
static int m_options(const json_t *v, struct lx_desired *d,
		     const struct lx_origin *o, struct lx_error *err)
{
	return options_from_json(v, &d->opts, o, err);
}

/* nftables: the body of inet linx, nft syntax kept as given (compiled
 * later, by lx_nft_compile: parsing a document never forks). The checks
 * that need no parser refuse here already. The object form {"text",
 * "compiled"} carries the body compiled as well (base64 of nft.h's
 * messages, checked here): what `linx-sidecar put` sends, since the
 * sandboxed resident cannot compile. */
static int m_nftables(const json_t *v, struct lx_desired *d,
		      const struct lx_origin *o, struct lx_error *err)
{
	const json_t *text = v, *compiled = NULL;
	const char *key;
	json_t *m;
	int r;

	if (json_is_object(v) && !o->annotation) {
		json_object_foreach((json_t *)v, key, m)
		{
			if (strcmp(key, "text") && strcmp(key, "compiled"))
				return lx_bad(err, "%s.%s: unknown member",
					      o->base, key);
		}
		text = json_object_get(v, "text");
		compiled = json_object_get(v, "compiled");
	}
	if (!json_is_string(text))
		return lx_bad_type(err, o->base, "a string (nft syntax)", v);
	if (strlen(json_string_value(text)) != json_string_length(text))
		return lx_bad(err, "%s: contains a NUL byte", o->base);
	r = lx_nft_text_check(json_string_value(text), o->base, err);
	if (r < 0)
		return r;
	if (compiled) {
		if (!json_is_string(compiled) ||
		    lx_nft_b64_decode(json_string_value(compiled), &d->nft.msgs,
				      &d->nft.len) < 0)
			return lx_bad(err, "%s.compiled: not base64", o->base);
		r = lx_nft_msgs_check(d->nft.msgs, d->nft.len, o->base,
				      &d->nft.n_rules, err);
		if (r < 0) {
			lx_nft_body_free(&d->nft);
			return r;
		}
		d->nft.hash = lx_nft_hash(d->nft.msgs, d->nft.len);
	}
	d->nft.text = strdup(json_string_value(text));
	return d->nft.text ? 0 : -ENOMEM;
}
static bool s_nftables(const struct lx_desired *d)
{
	return d->nft.text != NULL;
}

static const struct member members[] = {
    {"links", true, true, false, m_links, s_links},
    {"addresses", true, true, false, m_addrs, s_addrs},
    {"routes", true, true, false, m_routes, s_routes},
    {"rules", true, true, false, m_rules, s_rules},
    {"neighbours", true, true, false, m_neighs, s_neighs},
    {"sysctl", false, false, false, m_sysctl, s_sysctl},
    {"cgroup", false, false, false, m_cgroup, s_cgroup},
    {"nftables", false, false, false, m_nftables, s_nftables},
    {"options", false, false, true, m_options, NULL},
};

static const struct member *member_find(const char *name, bool network)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(members); i++)
		if (members[i].network == network &&
		    !strcmp(members[i].name, name))
			return &members[i];
	return NULL;
}

/* "BASE[I]" as snprintf would write it, without its cost (every item of
 * every array is named, 10,000 routes are a normal document); false when
 * it might not fit. */
static bool index_field(const char *base, size_t i, char *buf, size_t len)
{
	size_t bl = strlen(base), o, nd = 0;
	char digits[24];

	if (bl + sizeof(digits) + 3 > len)
		return false;
	do
		digits[nd++] = (char)('0' + i % 10);
	while ((i /= 10));
	memcpy(buf, base, bl);
	o = bl;
	buf[o++] = '[';
	while (nd)
		buf[o++] = digits[--nd];
	buf[o++] = ']';
	buf[o] = '\0';
	return true;
}

const char *lx_item_field(const struct lx_origin *o, size_t i, char *buf,
			  size_t len)
{
	struct lx_qbuf q;

	if (o->items)
		snprintf(buf, len, "%s: item %zu %s", o->base, o->item_no[i],
			 lx_text_quote(&q, o->items[i]));
	else if (!index_field(o->base, i, buf, len))
		snprintf(buf, len, "%s[%zu]", o->base, i);
	return buf;
}

const char *lx_key_field(const struct lx_origin *o, const char *key, char *buf,
			 size_t len)
{
	char k[256];

	if (!o->annotation)
		return lx_field_join(buf, len, o->base, key);
	/* io.linx.sysctl: net.ipv4.ip_forward (key escaped as in a path) */
	lx_field_join(k, sizeof(k), "", key);
	snprintf(buf, len, "%s: %s", o->base, k + 1);
	return buf;
}

bool lx_desired_member_info(const char *name, bool *array, bool *typed)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(members); i++)
		if (!strcmp(members[i].name, name)) {
			*array = members[i].array;
			*typed = members[i].typed;
			return true;
		}
	return false;
}

const char *lx_desired_member_names(char *buf, size_t len, const char *prefix)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < LX_ARRAY_SIZE(members) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s", i ? ", " : "",
				      prefix, members[i].name);
	return buf;
}

int lx_desired_member(struct lx_desired *d, const char *name, const json_t *v,
		      const struct lx_origin *o, struct lx_error *err)
{
	const struct member *m = NULL;

	for (size_t i = 0; i < LX_ARRAY_SIZE(members) && !m; i++)
		if (!strcmp(members[i].name, name))
			m = &members[i];
	if (!m)
		return lx_bad(err, "%s: unknown member", o->base);
	if (m->is_set && m->is_set(d))
		return lx_bad(err, "%s: given twice", o->base);
	if (m->array) {
		if (!json_is_array(v))
			return lx_bad_type(err, o->base, "an array", v);
		if (elems_size(v, o) > MAX_ITEMS)
			return lx_bad(err, "%s: too many entries (%zu, max %d)",
				      o->base, elems_size(v, o), MAX_ITEMS);
	}
	return m->parse(v, d, o, err);
}

/* The members of one level of the document (top or "network"); elems:
 * network.routes as items (NULL: a whole tree), in text. */
static int members_from_json(const json_t *obj, bool network,
			     struct lx_desired *d,
			     const struct lx_json_items *elems,
			     const char *text, struct lx_error *err)
{
	const char *key;
	char f[512];
	json_t *v;
	int bad = 0, r;

	if (!json_is_object(obj))
		return lx_bad_type(err, network ? "network" : "document",
				   "an object", obj);
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct member *m = member_find(key, network);
		struct lx_origin o = {.base = f, .elems = elems, .text = text};

		if (network)
			lx_field_join(f, sizeof(f), "network", key);
		else
			snprintf(f, sizeof(f), "%s",
				 lx_field_join(f, sizeof(f), "", key) + 1);
		if (!network && !strcmp(key, "network"))
			r = members_from_json(v, true, d, elems, text, err);
		else if (!m)
			r = lx_bad(err, "%s: unknown member", f);
		else
			r = lx_desired_member(d, key, v, &o, err);
		if (r == -ENOMEM)
			return r;
		bad = r ?: bad;
	}
	return bad;
}

static int from_tree(const json_t *doc, struct lx_desired *d,
		     const struct lx_json_items *elems, const char *text,
		     struct lx_error *err)
{
	int r;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	r = members_from_json(doc, false, d, elems, text, err);
	if (r < 0) {
		lx_desired_free(d);
		lx_options_init(&d->opts);
		if (r == -ENOMEM)
			return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM,
					    "desired state");
	}
	return r;
}

int lx_desired_from_json(const json_t *doc, struct lx_desired *d,
			 struct lx_error *err)
{
	return from_tree(doc, d, NULL, NULL, err);
}

int lx_desired_from_string(const char *text, size_t len, struct lx_desired *d,
			   struct lx_error *err)
{
	struct lx_json_items routes = {.key1 = "network", .key2 = "routes"};
	struct lx_json_arena arena;
	json_t *doc;
	json_error_t je;
	int r;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	/* The tree lives only until the model is built from it (the model
	 * keeps no json_t): an arena spares a malloc and a free a node.
	 * network.routes has no tree at all: its strings are parsed from
	 * the text. */
	doc = lx_json_loadb_arena_items(text, len, JSON_REJECT_DUPLICATES, &je,
					&arena, &routes);
	if (!doc)
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "invalid JSON at line %d column %d: %s",
				    je.line, je.column, je.text);
	r = from_tree(doc, d, &routes, text, err);
	lx_json_arena_end(&arena);
	lx_json_items_free(&routes);
	return r;
}

int lx_desired_from_file(const char *path, struct lx_desired *d,
			 struct lx_error *err)
{
	return lx_desired_from_file_digest(path, d, NULL, err);
}

int lx_desired_from_file_digest(const char *path, struct lx_desired *d,
				uint64_t *digest, struct lx_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	bool is_stdin = !strcmp(path, "-");
	struct lx_error local;
	int r;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	if (!is_stdin) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return lx_error_add(err,
					    errno == ENOENT ? LX_ERR_NOTFOUND
							    : LX_ERR_INVALID,
					    errno, "desired state %s", path);
	}
	/* A file's size known, the room the doubling below would end with,
	 * at once: no copy of what was read, no pages of the copies. */
	{
		struct stat st;

		if (!is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > 0) {
			size_t want = 65536;

			while (want <= (uint64_t)st.st_size && want < MAX_FILE)
				want *= 2;
			buf = malloc(want + 1);
			if (buf)
				cap = want;
		}
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			if (cap >= MAX_FILE)
				return lx_error_add(
				    err, LX_ERR_INVALID, 0,
				    "desired state %s: larger than %u bytes",
				    path, MAX_FILE);
			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap + 1);
			if (!p)
				return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM,
						    "desired state %s", path);
			buf = p;
		}
		n = read(is_stdin ? STDIN_FILENO : fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lx_error_add(err, LX_ERR_INVALID, errno,
					    "desired state %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (digest)
		*digest = lx_text_digest(buf ? buf : "", len);
	lx_error_clear(&local);
	r = lx_desired_from_string(buf ? buf : "", len, d, &local);
	if (r < 0) {
		lx_error_wrap(&local, "%s", is_stdin ? "<stdin>" : path);
		const char *line = local.msg;

		while (line && *line) {
			const char *nl = strchr(line, '\n');
			int n = nl ? (int)(nl - line) : (int)strlen(line);

			lx_error_add(err, local.kind, 0, "%.*s", n, line);
			line = nl ? nl + 1 : NULL;
		}
	}
	return r;
}

/* ------------------------------------------------------------ to JSON */

/*
 * The canonical document's small members are jansson trees (lx_desired_to_json
 * and lx_desired_dump share them); its big ones (addresses, routes, rules,
 * neighbours: strings) are written as text by lx_desired_dump.
 */
static json_t *options_json(const struct lx_options *o)
{
	json_t *j = json_pack("{s:I,s:I,s:b,s:I,s:b,s:b}", "interval_ms",
			      (json_int_t)o->interval_ms, "debounce_ms",
			      (json_int_t)o->debounce_ms, "monitor", o->monitor,
			      "protocol", (json_int_t)o->protocol,
			      "revert_on_release", o->revert_on_release,
			      "require_converged", o->require_converged);

	if (j && o->adopt && json_object_set_new(j, "adopt", json_true())) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *kvs_json(const struct lx_kvs *k)
{
	json_t *j = json_object();

	for (size_t i = 0; j && i < k->n; i++)
		if (json_object_set_new(j, k->v[i].key,
					json_string(k->v[i].value))) {
			json_decref(j);
			return NULL;
		}
	return j;
}

static json_t *links_json(const struct lx_desired *d)
{
	json_t *j = json_array();

	for (size_t i = 0; j && i < d->n_links; i++)
		if (json_array_append_new(j, lx_link_to_json(&d->links[i]))) {
			json_decref(j);
			return NULL;
		}
	return j;
}

/* The "nftables" member, NULL when there is none (*fail on failure). */
static json_t *nft_json(const struct lx_desired *d, bool *fail)
{
	json_t *j = NULL;
	char *b;

	*fail = false;
	if (!d->nft.text)
		return NULL;
	if (!d->nft.msgs) {
		j = json_string(d->nft.text);
	} else {
		b = lx_nft_b64_encode(d->nft.msgs, d->nft.len);
		j = b ? json_pack("{s:s, s:s}", "text", d->nft.text, "compiled",
				  b)
		      : NULL;
		free(b);
	}
	*fail = !j;
	return j;
}

json_t *lx_desired_to_json(const struct lx_desired *d)
{
	_cleanup_json_ json_t *doc = NULL;
	json_t *net, *addrs, *routes, *nft;
	char buf[512];
	bool fail;

	doc = json_pack("{s:{s:o,s:[],s:[]},s:o,s:o,s:o}", "network", "links",
			links_json(d), "addresses", "routes", "sysctl",
			kvs_json(&d->sysctl), "cgroup", kvs_json(&d->cgroup),
			"options", options_json(&d->opts));
	if (!doc)
		return NULL;
	net = json_object_get(doc, "network");
	addrs = json_object_get(net, "addresses");
	routes = json_object_get(net, "routes");
	for (size_t i = 0; i < d->n_addrs; i++)
		if (json_array_append_new(
			addrs, json_string(lx_addr_format(&d->addrs[i], buf,
							  sizeof(buf)))))
			return NULL;
	for (size_t i = 0; i < d->n_routes; i++)
		if (json_array_append_new(
			routes, json_string(lx_route_format(
				    &d->routes[i], false, buf, sizeof(buf)))))
			return NULL;
	/* Rules, neighbours and adopt only when used: documents that never
	 * name them serialise as they did. */
	if (d->n_rules || d->n_neighs) {
		json_t *rules = json_array(), *neighs = json_array();

		if (json_object_set_new(net, "rules", rules) ||
		    json_object_set_new(net, "neighbours", neighs))
			return NULL;
		for (size_t i = 0; i < d->n_rules; i++)
			if (json_array_append_new(
				rules,
				json_string(lx_rule_format(&d->rules[i], false,
							   buf, sizeof(buf)))))
				return NULL;
		for (size_t i = 0; i < d->n_neighs; i++)
			if (json_array_append_new(
				neighs,
				json_string(lx_neigh_format(
				    &d->neighs[i], false, buf, sizeof(buf)))))
				return NULL;
	}
	nft = nft_json(d, &fail);
	if (fail || (nft && json_object_set_new(doc, "nftables", nft)))
		return NULL;
	return TAKE_PTR(doc);
}

/* One formatted object as a JSON string: formatted in place (the builder's
 * room for the longest text, 511 bytes as lx_desired_to_json's buffer),
 * and quoted there unless it needs escaping. */
enum text_kind { TEXT_ADDR, TEXT_ROUTE, TEXT_RULE, TEXT_NEIGH };

static void put_text(struct lx_sb *b, enum text_kind k, const void *obj)
{
	char buf[512], *to = lx_sb_reserve(b, sizeof(buf) + 2);
	size_t n;

	if (!to)
		return;
	switch (k) {
	case TEXT_ADDR:
		lx_addr_format(obj, to + 1, sizeof(buf));
		break;
	case TEXT_ROUTE:
		lx_route_format(obj, false, to + 1, sizeof(buf));
		break;
	case TEXT_RULE:
		lx_rule_format(obj, false, to + 1, sizeof(buf));
		break;
	case TEXT_NEIGH:
		lx_neigh_format(obj, false, to + 1, sizeof(buf));
		break;
	}
	n = strlen(to + 1);
	if (k == TEXT_ROUTE ? lx_route_text_plain(obj) : lx_json_plain(to + 1, n)) {
		to[0] = '"';
		to[n + 1] = '"';
		b->len += n + 2;
		return;
	}
	memcpy(buf, to + 1, n + 1);
	lx_sb_json_str(b, buf);
}

static void put_texts(struct lx_sb *b, const char *key, enum text_kind k,
		      const void *objs, size_t size, size_t n)
{
	lx_sb_str(b, key);
	lx_sb_mem(b, "[", 1);
	for (size_t i = 0; i < n && !b->err; i++) {
		if (i)
			lx_sb_mem(b, ",", 1);
		put_text(b, k, (const char *)objs + i * size);
	}
	lx_sb_mem(b, "]", 1);
}

/* v (stolen) as JSON, or -ENOMEM when it could not be built. */
static int put_tree(struct lx_sb *b, json_t *v)
{
	if (!v)
		return -ENOMEM;
	lx_sb_json(b, v);
	json_decref(v);
	return 0;
}

int lx_desired_dump(struct lx_sb *b, const struct lx_desired *d)
{
	bool fail;
	json_t *nft;

	lx_sb_str(b, "{\"network\":{\"links\":");
	if (put_tree(b, links_json(d)) < 0)
		return -ENOMEM;
	put_texts(b, ",\"addresses\":", TEXT_ADDR, d->addrs, sizeof(*d->addrs),
		  d->n_addrs);
	put_texts(b, ",\"routes\":", TEXT_ROUTE, d->routes, sizeof(*d->routes),
		  d->n_routes);
	if (d->n_rules || d->n_neighs) {
		put_texts(b, ",\"rules\":", TEXT_RULE, d->rules,
			  sizeof(*d->rules), d->n_rules);
		put_texts(b, ",\"neighbours\":", TEXT_NEIGH, d->neighs,
			  sizeof(*d->neighs), d->n_neighs);
	}
	lx_sb_str(b, "},\"sysctl\":");
	if (put_tree(b, kvs_json(&d->sysctl)) < 0)
		return -ENOMEM;
	lx_sb_str(b, ",\"cgroup\":");
	if (put_tree(b, kvs_json(&d->cgroup)) < 0)
		return -ENOMEM;
	lx_sb_str(b, ",\"options\":");
	if (put_tree(b, options_json(&d->opts)) < 0)
		return -ENOMEM;
	nft = nft_json(d, &fail);
	if (fail)
		return -ENOMEM;
	if (nft) {
		lx_sb_str(b, ",\"nftables\":");
		put_tree(b, nft);
	}
	lx_sb_mem(b, "}", 1);
	return b->err;
}
