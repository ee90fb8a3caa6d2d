/* SPDX-License-Identifier: MIT */
/*
 * The OCI runtime state a hook reads on stdin (runtime-spec "State"), as
 * runc ("status":"creating"), crun ("created", plus "root") and podman
 * (poststop: no "pid") send it. Parsing never touches the system;
 * lx_oci_bundle_annotations reads the bundle's config.json.
 */
#ifndef LX_OCI_STATE_H
#define LX_OCI_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define LX_OCI_STATE_MAX  (1u << 20)  /* stdin bound (SPEC.md) */
#define LX_OCI_CONFIG_MAX (16u << 20) /* bundle config.json bound */
#define LX_OCI_ID_MAX	  128

/* All strings owned; free with lx_oci_state_free. */
struct lx_oci_state {
	char *oci_version;   /* NULL when absent */
	char *id;	     /* [A-Za-z0-9][A-Za-z0-9_.-]{0,127} */
	char *status;	     /* creating|created|running|stopped */
	char *bundle;	     /* absolute path */
	char *root;	     /* crun's state root; NULL when absent */
	pid_t pid;	     /* 0 when absent (podman's poststop state) */
	json_t *annotations; /* object of strings; empty object when absent */
};

/*
 * Parse len bytes of state JSON (len > LX_OCI_STATE_MAX is an error). On
 * error returns -EINVAL with one LX_ERR_INVALID line per problem, naming
 * the field and the value; st is left zeroed. Unknown members are ignored
 * (future runtime-spec versions add them).
 */
int lx_oci_state_parse(const char *buf, size_t len, struct lx_oci_state *st,
		       struct lx_error *err) LX_WUR;

/* Free the contents; leaves st zeroed. NULL-safe. */
void lx_oci_state_free(struct lx_oci_state *st);

/* Valid container id? */
bool lx_oci_id_valid(const char *id);

/*
 * The annotations to act on: the state's own when it carries any, else
 * those of <bundle>/config.json (read with O_NOFOLLOW, at most
 * LX_OCI_CONFIG_MAX bytes; must be a regular file). A bundle without a
 * config.json, or a config without annotations, yields an empty object.
 * *out is a new reference. Errors: LX_ERR_INVALID (unparsable config,
 * non-string annotation, symlink, too large), LX_ERR_SYSTEM (I/O).
 */
int lx_oci_bundle_annotations(const struct lx_oci_state *st, json_t **out,
			      struct lx_error *err) LX_WUR;

#endif
