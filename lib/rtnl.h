/* SPDX-License-Identifier: MIT */
/*
 * The rtnl reconciler: links, addresses, neighbours, routes and policy
 * rules of one network namespace with the four verbs of SPEC.md (observe,
 * diff, apply, subscribe).
 *
 * Ownership: routes, rules and neighbours are ours by the protocol tag the
 * kernel keeps on them (rtm_protocol, FRA_PROTOCOL, NDA_PROTOCOL): two-way
 * diff against what carries our protocol, in every table (local too);
 * another protocol's object is never deleted, and desiring one of its
 * identity is a failed op naming that protocol unless options.adopt.
 * Addresses and links by the `owned` (last_applied) set threaded from pass
 * to pass (three-way diff: never delete what is not in owned, leave
 * foreign state alone).
 *
 * Plans are ordered: deletes rules -> routes -> neighbours -> addresses ->
 * links, then creates and updates links -> addresses -> neighbours ->
 * routes -> rules (routes whose gateway needs a route after those that
 * can provide it). Apply is fail-fast: the first failing op stops the pass
 * and the ops not sent are left LX_OPS_PENDING.
 */
#ifndef LX_RTNL_H
#define LX_RTNL_H

#include <stdint.h>

#include "error.h"
#include "model.h"
#include "nl.h"
#include "op.h"
#include "report.h"
#include "source.h"

/* Observed state; arrays owned by the struct (lx_rtnl_state_free). Links
 * carry their ifindex, addresses and routes their dev names. */
struct lx_rtnl_state {
	struct lx_link *links;
	size_t n_links;
	struct lx_addr *addrs;
	size_t n_addrs;
	struct lx_route *routes;
	size_t n_routes;
	struct lx_rule *rules;
	size_t n_rules;
	struct lx_neigh *neighs; /* the ARP and NDP tables, learned ones too */
	size_t n_neighs;
};

void lx_rtnl_state_free(struct lx_rtnl_state *s);

/*
 * Pure: sort s->links by ifindex and fill the dev names of s's addresses
 * and routes from their ifindex/oif ("" when no link has it). What
 * lx_rtnl_observe does after its dumps.
 */
void lx_rtnl_state_name_devs(struct lx_rtnl_state *s);

/*
 * Decode RTM_NEWNSID (the reply to RTM_GETNSID): *id = NETNSA_NSID
 * (-1 when the namespace has none). Returns 0, -ENOENT without a valid
 * NETNSA_NSID (*id untouched) or -EBADMSG for another message type.
 */
int lx_rtnl_nsid_from_msg(const struct nlmsghdr *nlh, int32_t *id);

/* The id nl's namespace gives the namespace behind fd (*id = -1 when it
 * has none; none is assigned: a read). 0 or a negative errno. */
int lx_rtnl_netns_id_get(struct lx_nl *nl, int fd, int32_t *id) LX_WUR;

/* Dump links, addresses and routes of nl's namespace. */
int lx_rtnl_observe(struct lx_nl *nl, struct lx_rtnl_state *out,
		    struct lx_error *err) LX_WUR;
/* The same, with room for `routes` routes from the start (0: grown). */
int lx_rtnl_observe_sized(struct lx_nl *nl, size_t routes,
			  struct lx_rtnl_state *out,
			  struct lx_error *err) LX_WUR;

/*
 * Pure: desired x observed x owned -> ops appended to plan. protocol is the
 * rtm_protocol that marks our routes. No kernel, no I/O.
 */
int lx_rtnl_diff(const struct lx_desired *d, const struct lx_rtnl_state *obs,
		 const struct lx_owned *owned, uint8_t protocol,
		 struct lx_plan *plan, struct lx_error *err) LX_WUR;

/*
 * Write-ahead ownership. Links and addresses are ours only by the owned
 * set, which the caller persists after the pass: a process killed in the
 * middle of the apply would leave what the pass created unrecorded, and
 * the next process would take it for foreign state and never remove it.
 * When a plan creates links or addresses, lx_rtnl_reconcile() calls this
 * before the first op with owned as it will be once they exist, for the
 * caller to persist. A create that then fails stays in that record only
 * until the pass's own outcome is persisted.
 */
typedef void (*lx_rtnl_intent_fn)(void *data, const struct lx_owned *ahead);

struct lx_rtnl_ctx {
	struct lx_nl *nl;	  /* target netns */
	struct lx_nl *host;	  /* host netns or NULL */
	int host_netns_fd;	  /* fd of the host netns or -1 */
	lx_rtnl_intent_fn intent; /* NULL = none */
	void *intent_data;
	/* A veth without a peer name gets lx_link_peer_name(id, name,
	 * peer_prefix); NULL = "" and the default prefix. */
	const char *id;
	const char *peer_prefix;
};

/*
 * d with every veth's missing peer name filled in (lx_link_peer_name):
 * *out is d itself when none is missing, else a copy of d with its own
 * links array (free copy->links only: the rest is d's). Returns 0 or
 * -ENOMEM.
 */
int lx_rtnl_name_peers(const struct lx_rtnl_ctx *ctx,
		       const struct lx_desired *d, struct lx_desired *copy,
		       const struct lx_desired **out) LX_WUR;

/*
 * Policy (SPEC.md "Policy"), before anything is applied: a veth peer
 * enslaved to a master may not take an mtu below the live master's (read
 * through host, the host namespace's socket). One LX_ERR_POLICY line per
 * refusal; a master that does not exist is not refused here (the create
 * fails ENODEV). 0 or -EPERM.
 */
int lx_rtnl_check_masters(struct lx_nl *host, const struct lx_desired *d,
			  struct lx_error *err) LX_WUR;

/*
 * Run the plan in order, fail-fast: the first failing op stops the pass,
 * the ops not reached are LX_OPS_PENDING. Updates owned (adds what it
 * created, removes what it deleted). Returns 0 when all applied, else the
 * negative errno of the first failure (err says which op and why,
 * including the kernel's ext-ack text).
 */
int lx_rtnl_apply(struct lx_rtnl_ctx *ctx, struct lx_plan *plan,
		  struct lx_owned *owned, uint8_t protocol,
		  struct lx_error *err);

/*
 * observe + diff + apply into rep->plan (replaced) and rep->converged.
 * Owned entries that are neither desired nor present any more are
 * dropped. Returns like lx_rtnl_apply, or the observe error (also copied
 * into rep->error).
 */
int lx_rtnl_reconcile(struct lx_rtnl_ctx *ctx, const struct lx_desired *d,
		      struct lx_owned *owned, struct lx_subreport *rep,
		      struct lx_error *err);

/*
 * Teardown: delete the links we created (a veth's peer goes with it) and
 * forget them and the addresses on them. Ops are appended to rep->plan.
 */
int lx_rtnl_release(struct lx_rtnl_ctx *ctx, struct lx_owned *owned,
		    struct lx_subreport *rep, struct lx_error *err);

/*
 * Monitor socket in the current netns bound to RTMGRP_LINK,
 * RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE,
 * RTMGRP_IPV6_ROUTE, RTMGRP_NEIGH and the IPv4 and IPv6 rule groups;
 * non-blocking. Events are hints, never deltas.
 * rcvbuf: receive buffer in bytes, 0 = lx_nl_open()'s large default (a
 * small one overflows sooner: -ENOBUFS from the drain).
 */
int lx_rtnl_subscribe(struct lx_nl **mon, int rcvbuf,
		      struct lx_error *err) LX_WUR;

/* Read everything pending: >0 hints seen, 0 nothing, -ENOBUFS overflow
 * (caller resyncs), other negative: socket broken. */
int lx_rtnl_monitor_drain(struct lx_nl *mon);
/* The same, ORing LX_OBJ_BIT(kind) into *deleted for every RTM_DEL* of a
 * link, address, route, rule or neighbour whose nlmsg_pid is none of
 * own[0..n_own) (our own sockets' port ids: our own deletes are not
 * another process's). */
int lx_rtnl_monitor_drain_deleted(struct lx_nl *mon, const uint32_t *own,
				  size_t n_own, uint32_t *deleted);

/* The source contract (source.h) over the functions above. */
extern const struct lx_subsys lx_rtnl_subsys;

#endif
