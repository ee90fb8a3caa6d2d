/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* openat2, O_PATH, asprintf */
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "sysctl.h"

static void free_list(char ***list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

void lx_policy_free(struct lx_policy *p)
{
	if (!p)
		return;
	free_list(&p->allow_sysctl, &p->n_allow_sysctl);
	free_list(&p->allow_master, &p->n_allow_master);
	free_list(&p->allow_parent, &p->n_allow_parent);
	free_list(&p->peer_prefix, &p->n_peer_prefix);
	p->cgroup_allow_raise = false;
	p->allow_host_netns = false;
	lx_nft_body_free(&p->nft_policy);
	p->nft_no_persist = false;
}

int lx_policy_add(char ***list, size_t *n, const char *s)
{
	char *c;

	if (lx_grow((void **)list, *n, sizeof(**list)) < 0)
		return -ENOMEM;
	c = strdup(s);
	if (!c)
		return -ENOMEM;
	(*list)[(*n)++] = c;
	return 0;
}

/*
 * --allow-sysctl PREFIX matches whole name segments: "net.ipv4" allows
 * net.ipv4 and net.ipv4.*, not net.ipv4foo. "net/ipv4", "net.ipv4." and
 * "net.ipv4.*" mean the same; "*" alone allows every namespaced key.
 */
static bool prefix_allows(const char *prefix, const char *key)
{
	char p[LX_SYSCTL_NAME_MAX + 2];
	size_t n;

	snprintf(p, sizeof(p), "%s", prefix);
	for (char *c = p; *c; c++)
		if (*c == '/')
			*c = '.';
	n = strlen(p);
	if (n && p[n - 1] == '*')
		p[--n] = '\0';
	if (n && p[n - 1] == '.')
		p[--n] = '\0';
	if (n == 0)
		return true;
	return strncmp(key, p, n) == 0 && (key[n] == '\0' || key[n] == '.');
}

static void list_join(char **list, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++) {
		int w =
		    snprintf(buf + o, len - o, "%s%s", i ? ", " : "", list[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static bool in_list(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static int check_sysctl(const struct lx_policy *p, const char *key,
			struct lx_error *err)
{
	char canon[LX_SYSCTL_NAME_MAX + 1], why[512], q[300];
	bool allowed = p->n_allow_sysctl == 0;

	if (lx_sysctl_check_name(key, canon, sizeof(canon), why, sizeof(why)) <
	    0) {
		return lx_error_add(err, LX_ERR_POLICY, 0,
				    "sysctl \"%s\" (io.linx.sysctl): refused: %s",
				    lx_quote(key, q, sizeof(q)), why);
	}
	for (size_t i = 0; i < p->n_allow_sysctl && !allowed; i++)
		allowed = prefix_allows(p->allow_sysctl[i], canon);
	if (!allowed) {
		char list[400];

		list_join(p->allow_sysctl, p->n_allow_sysctl, list,
			  sizeof(list));
		return lx_error_add(err, LX_ERR_POLICY, 0,
				    "sysctl \"%s\" (io.linx.sysctl): refused: "
				    "not under an allowed prefix (--allow-sysctl "
				    "%s)",
				    lx_quote(key, q, sizeof(q)), list);
	}
	return 0;
}

static int check_link(const struct lx_policy *p, const struct lx_link *l,
		      struct lx_error *err)
{
	char qn[100], qv[100];
	int r = 0;

	if (l->master[0] &&
	    !in_list(p->allow_master, p->n_allow_master, l->master))
		r = lx_error_add(err, LX_ERR_POLICY, 0,
			     "link \"%s\" (io.linx.links): refused: master "
			     "\"%s\" is not named by --allow-master",
			     lx_quote(l->name, qn, sizeof(qn)),
			     lx_quote(l->master, qv, sizeof(qv)));
	if (l->parent[0] &&
	    !in_list(p->allow_parent, p->n_allow_parent, l->parent))
		r = lx_error_add(err, LX_ERR_POLICY, 0,
			     "link \"%s\" (io.linx.links): refused: parent "
			     "\"%s\" is not named by --allow-parent",
			     lx_quote(l->name, qn, sizeof(qn)),
			     lx_quote(l->parent, qv, sizeof(qv)));
	/* An unnamed peer is named with the first prefix. */
	if (l->peer[0] && p->n_peer_prefix) {
		bool ok = false;

		for (size_t i = 0; i < p->n_peer_prefix && !ok; i++)
			ok = !strncmp(l->peer, p->peer_prefix[i],
				      strlen(p->peer_prefix[i]));
		if (!ok)
			r = lx_error_add(err, LX_ERR_POLICY, 0,
				     "link \"%s\" (io.linx.links): refused: "
				     "peer \"%s\" does not start with a "
				     "--peer-prefix (%s%s)",
				     lx_quote(l->name, qn, sizeof(qn)),
				     lx_quote(l->peer, qv, sizeof(qv)),
				     p->peer_prefix[0],
				     p->n_peer_prefix > 1 ? ", ..." : "");
	}
	return r;
}

int lx_policy_check(const struct lx_policy *p, const struct lx_desired *d,
		    struct lx_error *err)
{
	int r = 0;

	/* Every refusal is reported, one line each. */
	for (size_t i = 0; i < d->sysctl.n; i++)
		if (check_sysctl(p, d->sysctl.v[i].key, err) < 0)
			r = -EPERM;
	for (size_t i = 0; i < d->n_links; i++)
		if (check_link(p, &d->links[i], err) < 0)
			r = -EPERM;
	/* The tenant does not pick the host's CPU bill: a resync timer
	 * faster than the admin's floor is refused (0 = no timer). */
	if (d->opts.interval_ms && d->opts.interval_ms < p->min_interval_ms)
		r = lx_error_add(err, LX_ERR_POLICY, 0,
				 "options.interval_ms (io.linx.options): "
				 "refused: %u is below the floor of %u ms "
				 "(--min-interval-ms; 0 turns the timer off)",
				 (unsigned)d->opts.interval_ms,
				 (unsigned)p->min_interval_ms);
	return r < 0 ? -EPERM : 0;
}
