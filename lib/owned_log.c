/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "link.h"
#include "owned_log.h"

int lx_owned_log_add(struct lx_owned_log *log, enum lx_obj obj, bool del,
		     const void *payload)
{
	struct lx_owned_ev *e;

	if (lx_grow((void **)&log->v, log->n, sizeof(*log->v)) < 0)
		return -ENOMEM;
	e = &log->v[log->n++];
	memset(e, 0, sizeof(*e));
	e->obj = obj;
	e->del = del;
	if (obj == LX_OBJ_LINK)
		e->u.link = *(const struct lx_link *)payload;
	else
		e->u.addr = *(const struct lx_addr *)payload;
	return 0;
}

void lx_owned_log_free(struct lx_owned_log *log)
{
	free(log->v);
	log->v = NULL;
	log->n = 0;
}

/* An array of n elements that lx_grow() can keep appending to: its
 * capacity is implicit (8, then the next power of two). */
static void *alloc_growable(size_t n, size_t sz)
{
	size_t cap = 8;

	while (cap < n)
		cap *= 2;
	return malloc(cap * sz);
}

/* One element of a fold: the element, its place in time, whether it goes. */
struct entry {
	const void *e;
	size_t seq;
	bool del;
};

struct fold {
	struct entry *v;
	size_t n;
	int (*cmp)(const void *, const void *);
};

static int addr_cmp(const void *a, const void *b)
{
	return lx_addr_cmp(a, b);
}

static int link_cmp(const void *a, const void *b)
{
	return lx_link_cmp(a, b);
}

static int entry_cmp(const void *x, const void *y, void *data)
{
	const struct entry *a = x, *b = y;
	const struct fold *f = data;
	int c = f->cmp(a->e, b->e);

	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/*
 * Fold base[0..*n) (present, oldest) and the log's events of obj (in
 * order) into a new array in identity order, one element per identity,
 * the latest event deciding whether it stays.
 */
static int fold_one(void **base, size_t *n, size_t sz, enum lx_obj obj,
		    const struct lx_owned_log *log,
		    int (*cmp)(const void *, const void *))
{
	struct fold f = {.cmp = cmp};
	size_t k = 0, out = 0;
	char *res;

	f.v = malloc((*n + log->n + 1) * sizeof(*f.v));
	if (!f.v)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++, f.n++)
		f.v[f.n] = (struct entry){(char *)*base + i * sz, f.n, false};
	for (size_t i = 0; i < log->n; i++)
		if (log->v[i].obj == obj) {
			f.v[f.n] =
			    (struct entry){&log->v[i].u, f.n, log->v[i].del};
			f.n++;
		}
	res = alloc_growable(f.n, sz);
	if (!res) {
		free(f.v);
		return -ENOMEM;
	}
	qsort_r(f.v, f.n, sizeof(*f.v), entry_cmp, &f);
	while (k < f.n) {
		size_t last = k;

		while (last + 1 < f.n && cmp(f.v[last + 1].e, f.v[k].e) == 0)
			last++;
		if (!f.v[last].del)
			memcpy(res + out++ * sz, f.v[last].e, sz);
		k = last + 1;
	}
	free(f.v);
	free(*base);
	*base = res;
	*n = out;
	return 0;
}

int lx_owned_log_fold(struct lx_owned_log *log, struct lx_owned *o)
{
	struct lx_owned tmp = *o;
	void *addrs = NULL, *links = NULL;
	size_t na = o->n_addrs, nl = o->n_links;
	int r;

	if (!log->n)
		return 0;
	/* Work on copies so that a failure leaves o as it was. */
	addrs = alloc_growable(na, sizeof(*o->addrs));
	links = alloc_growable(nl, sizeof(*o->links));
	if (!addrs || !links) {
		free(addrs);
		free(links);
		return -ENOMEM;
	}
	if (na)
		memcpy(addrs, o->addrs, na * sizeof(*o->addrs));
	if (nl)
		memcpy(links, o->links, nl * sizeof(*o->links));
	r = fold_one(&addrs, &na, sizeof(*o->addrs), LX_OBJ_ADDRESS, log,
		     addr_cmp);
	if (r == 0)
		r = fold_one(&links, &nl, sizeof(*o->links), LX_OBJ_LINK, log,
			     link_cmp);
	if (r < 0) {
		free(addrs);
		free(links);
		return r;
	}
	free(tmp.addrs);
	free(tmp.links);
	o->addrs = addrs;
	o->n_addrs = na;
	o->links = links;
	o->n_links = nl;
	/* Observed-only fields mean nothing in the record. */
	for (size_t i = 0; i < na; i++) {
		o->addrs[i].ifindex = 0;
		o->addrs[i].flags = 0;
	}
	for (size_t i = 0; i < nl; i++)
		o->links[i].ifindex = 0;
	lx_owned_log_free(log);
	return 0;
}

/* Sorted pointers to the n elements of arr (sz bytes each). */
static const void **sorted(const void *arr, size_t n, size_t sz,
			   int (*pcmp)(const void *, const void *))
{
	const void **p = malloc((n ? n : 1) * sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = (const char *)arr + i * sz;
	qsort(p, n, sizeof(*p), pcmp);
	return p;
}

static int addr_pcmp(const void *a, const void *b)
{
	return lx_addr_cmp(*(const void *const *)a, *(const void *const *)b);
}

static int link_pcmp(const void *a, const void *b)
{
	return lx_link_cmp(*(const void *const *)a, *(const void *const *)b);
}

static bool in_sorted(const void *key, const void **p, size_t n,
		      int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp(key, p[mid]);

		if (r == 0)
			return true;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Keep the elements of arr[0..*n) that are in one of the sorted sets. */
static void keep_known(void *arr, size_t *n, size_t sz, const void **a,
		       size_t na, const void **b, size_t nb,
		       int (*cmp)(const void *, const void *))
{
	size_t out = 0;

	for (size_t i = 0; i < *n; i++) {
		char *e = (char *)arr + i * sz;

		if (!in_sorted(e, a, na, cmp) && !in_sorted(e, b, nb, cmp))
			continue;
		if (out != i)
			memmove((char *)arr + out * sz, e, sz);
		out++;
	}
	*n = out;
}

int lx_owned_prune(struct lx_owned *o, const struct lx_desired *d,
		   const struct lx_link *obs_links, size_t n_obs_links,
		   const struct lx_addr *obs_addrs, size_t n_obs_addrs)
{
	const void **da = NULL, **oa = NULL, **dl = NULL, **ol = NULL;
	int r = 0;

	if (o->n_addrs) {
		da = sorted(d->addrs, d->n_addrs, sizeof(*d->addrs), addr_pcmp);
		oa = sorted(obs_addrs, n_obs_addrs, sizeof(*obs_addrs),
			    addr_pcmp);
	}
	if (o->n_links) {
		dl = sorted(d->links, d->n_links, sizeof(*d->links), link_pcmp);
		ol = sorted(obs_links, n_obs_links, sizeof(*obs_links),
			    link_pcmp);
	}
	if ((o->n_addrs && (!da || !oa)) || (o->n_links && (!dl || !ol))) {
		r = -ENOMEM;
		goto out;
	}
	if (o->n_addrs)
		keep_known(o->addrs, &o->n_addrs, sizeof(*o->addrs), da,
			   d->n_addrs, oa, n_obs_addrs, addr_cmp);
	if (o->n_links)
		keep_known(o->links, &o->n_links, sizeof(*o->links), dl,
			   d->n_links, ol, n_obs_links, link_cmp);
out:
	free(da);
	free(oa);
	free(dl);
	free(ol);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strncmp(a, b, IFNAMSIZ);
}

int lx_owned_forget_addrs_on(struct lx_owned *o, const char (*names)[IFNAMSIZ],
			     size_t n)
{
	char(*s)[IFNAMSIZ];
	size_t out = 0;

	if (!n || !o->n_addrs)
		return 0;
	s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, names, n * sizeof(*s));
	qsort(s, n, sizeof(*s), name_cmp);
	for (size_t i = 0; i < o->n_addrs; i++) {
		if (bsearch(o->addrs[i].dev, s, n, sizeof(*s), name_cmp))
			continue;
		o->addrs[out++] = o->addrs[i];
	}
	o->n_addrs = out;
	free(s);
	return 0;
}
