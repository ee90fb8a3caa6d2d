/* SPDX-License-Identifier: MIT */
/*
 * Admin policy (SPEC.md "Policy"): what tenant-written desired state may ask
 * for. Checked before anything is applied; a refusal is LX_ERR_POLICY
 * (exit 5) with one line per refusal naming the key and the rule.
 */
#ifndef LX_POLICY_H
#define LX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

#define LX_DEFAULT_MIN_INTERVAL_MS 1000

struct lx_policy {
	char **allow_sysctl; /* prefixes; none = any namespaced net. sysctl */
	size_t n_allow_sysctl;
	char **allow_master;
	size_t n_allow_master;
	char **allow_parent;
	size_t n_allow_parent;
	char **peer_prefix; /* none = any host-side name; [0] names peers */
	size_t n_peer_prefix;
	bool cgroup_allow_raise;
	bool allow_host_netns;
	/* --min-interval-ms N: the lowest interval_ms a document may ask
	 * for (0 stays allowed: no timer). 0 = no floor; the program's
	 * default is LX_DEFAULT_MIN_INTERVAL_MS. */
	uint32_t min_interval_ms;
	/* --nft-policy FILE: the body of inet linx-policy, compiled at start
	 * (lx_nft_compile); text NULL = none. */
	struct lx_nft_body nft_policy;
	bool nft_no_persist; /* tables without NFT_TABLE_F_PERSIST (tests) */
};

void lx_policy_free(struct lx_policy *p);
int lx_policy_add(char ***list, size_t *n, const char *s) LX_WUR;

/*
 * Static checks over a desired document: sysctl names/namespacing/prefixes,
 * link master/parent allow-lists. The cgroup tighten-only rule needs the
 * spawn values and lives in cgroup.h. Messages name the document member and
 * the annotation it comes from, e.g.
 *   sysctl "kernel.core_pattern" (io.linx.sysctl): refused: not under net.
 */
int lx_policy_check(const struct lx_policy *p, const struct lx_desired *d,
		    struct lx_error *err) LX_WUR;

#endif
