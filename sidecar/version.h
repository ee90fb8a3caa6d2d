/* SPDX-License-Identifier: MIT */
#ifndef LX_VERSION_H
#define LX_VERSION_H

/* "0.1.0" */
const char *lx_version(void);
/* "linx-sidecar 0.1.0 (git v0.1.0-12-gabcdef0)", what --version prints. */
const char *lx_version_string(void);

#endif
