/* SPDX-License-Identifier: MIT */
/*
 * The resident sidecars of a state dir, as the client commands see them:
 * an entry DIR/ID with a pid file (single-shot `reconcile` state dirs have
 * none). IDs given on the command line may be any unique prefix of a
 * resident's id (podman shows 12 of 64 hex digits). meta.json holds what
 * the hook learnt of the container's place in Kubernetes (CRI-O's
 * io.kubernetes.* annotations); it is display only, never trusted.
 */
#ifndef LX_RESIDENTS_H
#define LX_RESIDENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "state.h"

#define LX_META_MAX 254 /* a Kubernetes name is at most 253 bytes */

struct lx_resident {
	char id[129];
	pid_t pid;  /* the sidecar's, from DIR/ID/pid; 0 = unreadable */
	bool alive; /* that process exists and is not a zombie */
	char pod_namespace[LX_META_MAX];
	char pod_name[LX_META_MAX];
	char container_name[LX_META_MAX];
};

/* Every resident of state_dir, sorted by id (*out = NULL, *n = 0 when the
 * directory does not exist). Free *out with free(). */
int lx_residents_scan(const char *state_dir, struct lx_resident **out,
		      size_t *n, struct lx_error *err) LX_WUR;

/*
 * The one resident whose id starts with prefix (an exact id wins over
 * longer ids it prefixes) into id (129 bytes). Unknown: LX_ERR_NOTFOUND.
 * Ambiguous: LX_ERR_USAGE, listing the matches. Malformed: LX_ERR_USAGE.
 */
int lx_resident_resolve(const char *state_dir, const char *prefix, char *id,
			struct lx_error *err) LX_WUR;

/* Write DIR/ID/meta.json from the container's annotations, when any of
 * io.kubernetes.pod.namespace, .pod.name, .container.name is there.
 * Best effort (display only): 0 or -errno. */
int lx_meta_write(struct lx_state *s, const json_t *annotations);

/* The meta.json members as a JSON object (new reference; empty when none). */
json_t *lx_resident_meta_json(const struct lx_resident *r);

/*
 * One resident as list --json shows it: {"id", "meta", "sidecar_pid",
 * "running", "answering", and when it answered "pid" (the container's),
 * "converged", "health"}. Asks the sidecar (status without the report,
 * 2 s at most). New reference; NULL on ENOMEM. (cmd_list.c)
 */
json_t *lx_resident_query(const char *state_dir, const struct lx_resident *r);

/* lx_resident_query of every resident of state_dir, sorted by id, into *out
 * (a new array; residents that cannot be queried are left out). */
int lx_residents_query_all(const char *state_dir, json_t **out,
			   struct lx_error *err) LX_WUR;

/* DIR/ID/meta.json (new reference; an empty object when none). */
json_t *lx_meta_read(const char *state_dir, const char *id);

/* "ns/pod/container" from a meta object, the parts that are known; ""
 * when none. Control characters become '?' (annotations are tenant text). */
void lx_meta_name(const json_t *meta, char *buf, size_t len);

/* Display text from a status reply's "health" object (stats.h):
 * "ok", "backing off (retry in 1.6s)", "failing (retry in 30s)". */
void lx_health_text(const json_t *health, char *buf, size_t len);
/* "12 (timer), 3.2s ago, 412us" */
void lx_last_pass_text(const json_t *health, char *buf, size_t len);
/* "1.6s", "3m12s", "2h05m", "4d03h" */
void lx_age_text(long long ms, char *buf, size_t len);
/* text with control characters replaced by '?', truncated to len. */
void lx_safe_text(const char *text, char *buf, size_t len);

#endif
