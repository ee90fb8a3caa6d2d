/* SPDX-License-Identifier: MIT */
/*
 * Capability sets, straight through capset(2) and prctl(2) (no library:
 * the resident and the nft compile child drop capabilities once, and a
 * shared object costs every exec its loading). `keep` is a mask of
 * capability numbers (1ULL << CAP_NET_ADMIN).
 */
#ifndef LX_CAPS_H
#define LX_CAPS_H

#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"

/*
 * Keep only `keep`: the bounding set emptied (nothing comes back, even
 * through exec), effective and permitted = keep, inheritable and ambient
 * empty. Needs CAP_SETPCAP to empty the bounding set. Returns 0 or a
 * negative errno; a failure may leave the bounding set partly emptied.
 */
int lx_caps_limit(uint64_t keep) LX_WUR;

/*
 * The same, and become uid:gid (real, effective and saved) with no
 * supplementary groups, keeping `keep` across the change of user.
 */
int lx_caps_limit_as(uid_t uid, gid_t gid, uint64_t keep) LX_WUR;

#endif
