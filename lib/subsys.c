/* SPDX-License-Identifier: MIT */
/*
 * The one registration list of subsystems (source.h). A pass runs them in
 * this order; adding a subsystem is one line here plus its own file.
 */
#include <stddef.h>

#include "cgroup.h"
#include "nft.h"
#include "rtnl.h"
#include "source.h"
#include "sysctl.h"

const struct lx_subsys *const lx_subsystems[] = {
    &lx_rtnl_subsys,
    &lx_sysctl_subsys,
    &lx_cgroup_subsys,
    &lx_nft_subsys,
    NULL,
};
