/* SPDX-License-Identifier: MIT */
/* The version, from the Makefile (VERSION) and `git describe` when built
 * from a git tree. Only this file gets the defines, so a new describe
 * rebuilds one object. */
#include "version.h"

#ifndef LX_VERSION
#define LX_VERSION "unknown"
#endif
#ifndef LX_GIT_DESCRIBE
#define LX_GIT_DESCRIBE ""
#endif

const char *lx_version(void)
{
	return LX_VERSION;
}

const char *lx_version_string(void)
{
	return sizeof(LX_GIT_DESCRIBE) > 1 ? "linx-sidecar " LX_VERSION
					     " (git " LX_GIT_DESCRIBE ")"
					   : "linx-sidecar " LX_VERSION;
}
