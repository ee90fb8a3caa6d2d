/* SPDX-License-Identifier: MIT */
/*
 * The state directory of one sidecar (SPEC.md "State"): DIR/ID/ with pid,
 * control.sock, state.json (desired, last_applied, lineage, serial; written
 * atomically), report.json and events.log (JSON lines, bounded).
 */
#ifndef LX_STATE_H
#define LX_STATE_H

#include <jansson.h>
#include <stdio.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

#define LX_EVENTS_MAX_BYTES (256 * 1024)

struct lx_state {
	char path[4096]; /* DIR/ID */
	char id[129];
	int dirfd;
	int evfd; /* events.log, opened on the first event (O_APPEND) */
	char lineage[37];
	uint64_t serial;
	/* The cgroup directories' identity the state is bound to ("" =
	 * none): a state.json recorded for another cgroup (a reused id) is
	 * set aside by lx_state_load (renamed state.json.discarded, event
	 * state.discarded), never adopted; with read_only only ignored. */
	char cgroup[512];
	bool read_only;
};

/* Open (create = mkdir -p, mode 0700) DIR/ID. Without create, a missing
 * directory is LX_ERR_NOTFOUND. */
int lx_state_open(struct lx_state *s, const char *dir, const char *id,
		  bool create, struct lx_error *err) LX_WUR;
void lx_state_close(struct lx_state *s);

/* Read state.json: last_applied into owned (empty if no file), and the
 * desired document (new reference, NULL if none) when desired != NULL. */
int lx_state_load(struct lx_state *s, struct lx_owned *owned, json_t **desired,
		  struct lx_error *err) LX_WUR;

/* Write state.json atomically (tmp file, rename) from the desired state
 * and last_applied as JSON (borrowed; lx_desired_to_json,
 * lx_owned_to_json); serial++. */
int lx_state_save_json(struct lx_state *s, json_t *desired, json_t *owned,
		       struct lx_error *err) LX_WUR;

/* Write NAME atomically with the JSON value (report.json) or text (pid). */
int lx_state_write_json(struct lx_state *s, const char *name, const json_t *j);
int lx_state_write_text(struct lx_state *s, const char *name, const char *text);
/* The same with the text written by emit (0 or -errno) through a buffer. */
int lx_state_write_with(struct lx_state *s, const char *name,
			int (*emit)(FILE *f, void *arg), void *arg);

/* Append one JSON line {"ts":..., "event":type, ...fields} to events.log;
 * when the log passes LX_EVENTS_MAX_BYTES it is rotated to events.log.1.
 * Steals the reference to fields (may be NULL). */
void lx_state_event(struct lx_state *s, const char *type, json_t *fields);

/* Remove the directory and everything in it. */
int lx_state_remove(struct lx_state *s);

#endif
