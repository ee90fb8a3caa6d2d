/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "cleanup.h"

/* The link kinds the document can name and the sidecar creates: one row
 * each, used by the grammar, the formatter and the netlink codec alike. */
static const struct {
	enum lx_link_kind kind;
	const char *name; /* the document's word and IFLA_INFO_KIND */
} link_kinds[] = {
    {LX_LINK_VETH, "veth"},	{LX_LINK_MACVLAN, "macvlan"},
    {LX_LINK_IPVLAN, "ipvlan"}, {LX_LINK_DUMMY, "dummy"},
    {LX_LINK_BRIDGE, "bridge"},
};

const char *lx_link_kind_name(enum lx_link_kind k)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(link_kinds); i++)
		if (link_kinds[i].kind == k)
			return link_kinds[i].name;
	return NULL;
}

bool lx_link_kind_parse(const char *s, size_t len, enum lx_link_kind *k)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(link_kinds); i++)
		if (strlen(link_kinds[i].name) == len &&
		    !memcmp(link_kinds[i].name, s, len)) {
			*k = link_kinds[i].kind;
			return true;
		}
	return false;
}

const char *lx_link_kind_names(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < LX_ARRAY_SIZE(link_kinds) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "|" : "",
				      link_kinds[i].name);
	return buf;
}

void lx_options_init(struct lx_options *o)
{
	*o = (struct lx_options){
	    .interval_ms = LX_DEFAULT_INTERVAL_MS,
	    .debounce_ms = LX_DEFAULT_DEBOUNCE_MS,
	    .monitor = true,
	    .protocol = LX_DEFAULT_PROTOCOL,
	    .revert_on_release = false,
	    .require_converged = true,
	};
}

int lx_grow(void **arr, size_t n, size_t sz)
{
	/*
	 * Capacity is implicit: 8, then doubled whenever n reaches a power of
	 * two, so arrays need no separate cap field. Callers append at n.
	 */
	size_t cap;
	void *p;

	if (n != 0 && (n < 8 || (n & (n - 1))))
		return 0;
	cap = n ? n * 2 : 8;
	p = realloc(*arr, cap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

void lx_kvs_free(struct lx_kvs *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].key);
		free(k->v[i].value);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

void lx_owned_kvs_free(struct lx_owned_kvs *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].key);
		free(k->v[i].applied);
		free(k->v[i].original);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

void lx_desired_free(struct lx_desired *d)
{
	if (!d)
		return;
	free(d->links);
	free(d->addrs);
	lx_routes_free(d->routes, d->n_routes);
	free(d->rules);
	free(d->neighs);
	lx_kvs_free(&d->sysctl);
	lx_kvs_free(&d->cgroup);
	lx_nft_body_free(&d->nft);
	memset(d, 0, sizeof(*d));
}

void lx_nft_body_free(struct lx_nft_body *b)
{
	if (!b)
		return;
	free(b->text);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

int lx_nft_body_copy(struct lx_nft_body *dst, const struct lx_nft_body *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->text && !(dst->text = strdup(src->text)))
		return -ENOMEM;
	if (src->msgs) {
		dst->msgs = malloc(src->len ? src->len : 1);
		if (!dst->msgs) {
			lx_nft_body_free(dst);
			return -ENOMEM;
		}
		memcpy(dst->msgs, src->msgs, src->len);
	}
	dst->len = src->len;
	dst->hash = src->hash;
	dst->n_rules = src->n_rules;
	return 0;
}

void lx_owned_free(struct lx_owned *o)
{
	if (!o)
		return;
	free(o->addrs);
	free(o->links);
	lx_owned_kvs_free(&o->sysctl);
	lx_owned_kvs_free(&o->cgroup);
	memset(o, 0, sizeof(*o));
}

const struct lx_kv *lx_kvs_find(const struct lx_kvs *k, const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i].key, key) == 0)
			return &k->v[i];
	return NULL;
}

struct lx_owned_kv *lx_owned_kvs_find(const struct lx_owned_kvs *k,
				      const char *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i].key, key) == 0)
			return &k->v[i];
	return NULL;
}

static char *dup_or_null(const char *s, int *fail)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		*fail = 1;
	return r;
}

int lx_kvs_add(struct lx_kvs *k, const char *key, const char *value)
{
	int fail = 0;
	struct lx_kv kv;

	if (lx_grow((void **)&k->v, k->n, sizeof(*k->v)) < 0)
		return -ENOMEM;
	kv.key = dup_or_null(key, &fail);
	kv.value = dup_or_null(value, &fail);
	if (fail) {
		free(kv.key);
		free(kv.value);
		return -ENOMEM;
	}
	k->v[k->n++] = kv;
	return 0;
}

int lx_owned_kvs_set(struct lx_owned_kvs *k, const char *key,
		     const char *applied, const char *original)
{
	struct lx_owned_kv *e = lx_owned_kvs_find(k, key);
	int fail = 0;
	char *a, *o;

	a = dup_or_null(applied, &fail);
	o = dup_or_null(original, &fail);
	if (fail) {
		free(a);
		free(o);
		return -ENOMEM;
	}
	if (e) {
		free(e->applied);
		free(e->original);
		e->applied = a;
		e->original = o;
		return 0;
	}
	if (lx_grow((void **)&k->v, k->n, sizeof(*k->v)) < 0) {
		free(a);
		free(o);
		return -ENOMEM;
	}
	k->v[k->n].key = strdup(key);
	if (!k->v[k->n].key) {
		free(a);
		free(o);
		return -ENOMEM;
	}
	k->v[k->n].applied = a;
	k->v[k->n].original = o;
	k->n++;
	return 0;
}

void lx_owned_kvs_del(struct lx_owned_kvs *k, const char *key)
{
	struct lx_owned_kv *e = lx_owned_kvs_find(k, key);

	if (!e)
		return;
	free(e->key);
	free(e->applied);
	free(e->original);
	memmove(e, e + 1, (size_t)(k->v + k->n - (e + 1)) * sizeof(*e));
	k->n--;
}

static int dup_array(void **dst, const void *src, size_t n, size_t sz)
{
	*dst = NULL;
	if (!n)
		return 0;
	/* Allocate at the lx_grow capacity so later appends stay valid. */
	size_t cap = 8;
	while (cap < n)
		cap *= 2;
	*dst = malloc(cap * sz);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sz);
	return 0;
}

static int kvs_copy(struct lx_kvs *dst, const struct lx_kvs *src)
{
	*dst = (struct lx_kvs){0};
	for (size_t i = 0; i < src->n; i++)
		if (lx_kvs_add(dst, src->v[i].key, src->v[i].value) < 0) {
			lx_kvs_free(dst);
			return -ENOMEM;
		}
	return 0;
}

int lx_owned_kvs_copy(struct lx_owned_kvs *dst, const struct lx_owned_kvs *src)
{
	*dst = (struct lx_owned_kvs){0};
	for (size_t i = 0; i < src->n; i++)
		if (lx_owned_kvs_set(dst, src->v[i].key, src->v[i].applied,
				     src->v[i].original) < 0) {
			lx_owned_kvs_free(dst);
			return -ENOMEM;
		}
	return 0;
}

int lx_owned_copy(struct lx_owned *dst, const struct lx_owned *src)
{
	memset(dst, 0, sizeof(*dst));
	if (dup_array((void **)&dst->addrs, src->addrs, src->n_addrs,
		      sizeof(*src->addrs)) < 0 ||
	    dup_array((void **)&dst->links, src->links, src->n_links,
		      sizeof(*src->links)) < 0 ||
	    lx_owned_kvs_copy(&dst->sysctl, &src->sysctl) < 0 ||
	    lx_owned_kvs_copy(&dst->cgroup, &src->cgroup) < 0) {
		lx_owned_free(dst);
		return -ENOMEM;
	}
	dst->n_addrs = src->n_addrs;
	dst->n_links = src->n_links;
	return 0;
}

int lx_route_copy(struct lx_route *dst, const struct lx_route *src)
{
	*dst = *src;
	if (!src->n_nexthops)
		return 0;
	dst->nh = malloc(src->n_nexthops * sizeof(*dst->nh));
	if (!dst->nh) {
		dst->n_nexthops = 0; /* and nh NULL: not src's */
		return -ENOMEM;
	}
	memcpy(dst->nh, src->nh, src->n_nexthops * sizeof(*dst->nh));
	return 0;
}

void lx_route_fini(struct lx_route *r)
{
	free(r->nh);
	r->nh = NULL;
	r->n_nexthops = 0;
}

void lx_routes_free(struct lx_route *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].nh);
	free(v);
}

/* dup_array of routes, each with nexthops of its own. */
static int dup_routes(struct lx_route **dst, const struct lx_route *src,
		      size_t n)
{
	if (dup_array((void **)dst, src, n, sizeof(*src)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!src[i].n_nexthops)
			continue;
		if (lx_route_copy(&(*dst)[i], &src[i]) < 0) {
			/* the rest still share src's: not ours to free */
			lx_routes_free(*dst, i);
			*dst = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

int lx_desired_copy(struct lx_desired *dst, const struct lx_desired *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->opts = src->opts;
	/* before the copy: lx_desired_free() frees the routes' nexthops */
	dst->n_routes = src->n_routes;
	if (dup_array((void **)&dst->links, src->links, src->n_links,
		      sizeof(*src->links)) < 0 ||
	    dup_array((void **)&dst->addrs, src->addrs, src->n_addrs,
		      sizeof(*src->addrs)) < 0 ||
	    dup_routes(&dst->routes, src->routes, src->n_routes) < 0 ||
	    dup_array((void **)&dst->rules, src->rules, src->n_rules,
		      sizeof(*src->rules)) < 0 ||
	    dup_array((void **)&dst->neighs, src->neighs, src->n_neighs,
		      sizeof(*src->neighs)) < 0 ||
	    kvs_copy(&dst->sysctl, &src->sysctl) < 0 ||
	    kvs_copy(&dst->cgroup, &src->cgroup) < 0 ||
	    lx_nft_body_copy(&dst->nft, &src->nft) < 0) {
		lx_desired_free(dst);
		return -ENOMEM;
	}
	dst->n_links = src->n_links;
	dst->n_addrs = src->n_addrs;
	dst->n_rules = src->n_rules;
	dst->n_neighs = src->n_neighs;
	return 0;
}
