/* SPDX-License-Identifier: MIT */
/*
 * The owned (last_applied) links and addresses, changed in O(n log n) per
 * pass whatever the number of ops: a pass logs what it created and deleted,
 * and the log is folded into the set once, by sorting (issue 10 item 6: a
 * linear lookup per op made a 13,000-address pass quadratic). Internal to
 * liblinx (lib/rtnl.c).
 *
 * The folded set is in identity order (lx_addr_cmp, lx_link_cmp), with one
 * entry per identity: the latest event for it wins.
 */
#ifndef LX_OWNED_LOG_H
#define LX_OWNED_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "op.h"

struct lx_owned_ev {
	enum lx_obj obj; /* LX_OBJ_LINK or LX_OBJ_ADDRESS */
	bool del;
	union {
		struct lx_addr addr;
		struct lx_link link;
	} u;
};

struct lx_owned_log {
	struct lx_owned_ev *v;
	size_t n;
};

/* Log "we created" (del false) or "we deleted" a link or an address (a
 * copy of *payload). 0 or -ENOMEM (the log is unchanged). */
int lx_owned_log_add(struct lx_owned_log *log, enum lx_obj obj, bool del,
		     const void *payload);

/* Fold the log into o, in order, and empty the log. 0, or -ENOMEM with o
 * unchanged (the log is kept: the caller may retry or drop it). */
int lx_owned_log_fold(struct lx_owned_log *log, struct lx_owned *o);

void lx_owned_log_free(struct lx_owned_log *log);

/*
 * Forget owned entries that are neither desired nor present (obs_*: the
 * observed links and addresses, addresses with their dev names set).
 * O(n log n). 0 or -ENOMEM (o unchanged).
 */
int lx_owned_prune(struct lx_owned *o, const struct lx_desired *d,
		   const struct lx_link *obs_links, size_t n_obs_links,
		   const struct lx_addr *obs_addrs, size_t n_obs_addrs);

/* Forget the addresses on the links named in names[0..n) (those links were
 * deleted, their addresses went with them). 0 or -ENOMEM (o unchanged). */
int lx_owned_forget_addrs_on(struct lx_owned *o, const char (*names)[IFNAMSIZ],
			     size_t n);

#endif
