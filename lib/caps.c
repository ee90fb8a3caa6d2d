/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* prctl as a raw syscall (here and in sandbox.c): the resident calls it
 * first in its sandbox set-up, where a lazily bound libc function costs
 * the hook a dozen page faults (cmd_hook.c: detach_stdio). */

/* Every capability the kernel knows leaves the bounding set: the first
 * number it does not know is EINVAL. One drop per capability, no read
 * first (the resident's start waits for these); without CAP_SETPCAP a
 * drop is refused, which is an error only for a capability still in the
 * set. */
static int empty_bounding_set(void)
{
	for (unsigned long c = 0; c < 64; c++) {
		int on;

		if (syscall(SYS_prctl, PR_CAPBSET_DROP, c, 0UL, 0UL, 0UL) == 0)
			continue;
		if (errno == EINVAL)
			return 0;
		if (errno != EPERM)
			return -errno;
		on = (int)syscall(SYS_prctl, PR_CAPBSET_READ, c, 0UL, 0UL,
				  0UL);
		if (on < 0)
			return errno == EINVAL ? 0 : -errno;
		if (on)
			return -EPERM;
	}
	return 0;
}

/* Effective and permitted = keep, inheritable empty (which empties the
 * ambient set too: ambient is kept within permitted and inheritable). */
static int set_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = {
	    .version = _LINUX_CAPABILITY_VERSION_3,
	    .pid = 0,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
	    {.effective = (uint32_t)keep, .permitted = (uint32_t)keep},
	    {.effective = (uint32_t)(keep >> 32),
	     .permitted = (uint32_t)(keep >> 32)},
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int lx_caps_limit(uint64_t keep)
{
	int r = empty_bounding_set();

	if (r < 0)
		return r;
	/* Old kernels have no ambient set: nothing to clear. */
	if (syscall(SYS_prctl, PR_CAP_AMBIENT,
		    (unsigned long)PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL) < 0 &&
	    errno != EINVAL)
		return -errno;
	return set_caps(keep);
}

int lx_caps_limit_as(uid_t uid, gid_t gid, uint64_t keep)
{
	int r;

	/* Permitted survives the change of user only with KEEPCAPS. */
	if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 1UL, 0UL, 0UL, 0UL) < 0)
		return -errno;
	r = empty_bounding_set();
	if (r == 0 && (setresgid(gid, gid, gid) < 0 || setgroups(0, NULL) < 0 ||
		       setresuid(uid, uid, uid) < 0))
		r = -errno;
	if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 0UL, 0UL, 0UL, 0UL) < 0 && r == 0)
		r = -errno;
	return r < 0 ? r : set_caps(keep);
}
