/* SPDX-License-Identifier: MIT */
/*
 * Control socket DIR/ID/control.sock (0600): one JSON request per line, one
 * JSON reply per line. A request is an object {"cmd": NAME, ...}; the
 * server knows no command itself: its owner (the daemon: status,
 * reconcile, put_desired, stop) hands it a table of handlers. Replies
 * carry "ok" and, on failure, "error" and "exit" (the CLI exit code).
 */
#ifndef LX_CONTROL_H
#define LX_CONTROL_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "evloop.h"
#include "state.h"

struct lx_control;

/*
 * One command: handle gets the owner's userdata and the request (borrowed)
 * and returns the reply (new reference; NULL drops the client). Setting
 * *close_after sends the reply (best effort) and closes the connection
 * (stop). Called from the event loop, one request at a time.
 */
struct lx_control_cmd {
	const char *name;
	json_t *(*handle)(void *userdata, const json_t *req, bool *close_after);
};

#define LX_CONTROL_MAX_LINE (2 * 1024 * 1024)
#define LX_CONTROL_MAX_CLIENTS 16
/* A client with no complete request and no reply bytes read for this long is
 * dropped (LINX_SIDECAR_CONTROL_TIMEOUT_MS overrides it, for tests). */
#define LX_CONTROL_TIMEOUT_MS 10000

/* Listen on DIR/ID/control.sock (st's directory) and serve cmds (a table
 * ending with a NULL name, kept by the caller while the server lives). */
int lx_control_listen(struct lx_control **out,
		      const struct lx_control_cmd *cmds, void *userdata,
		      struct lx_evloop *ev, struct lx_state *st,
		      struct lx_error *err) LX_WUR;
/* A failure reply: {"ok": false, "error": err->msg, "exit": code}. */
json_t *lx_control_error_reply(const struct lx_error *err, int code);
void lx_control_free(struct lx_control *c);

/* Client: send one request to DIR/ID/control.sock and wait for the reply
 * (new reference in *reply). Missing sidecar: LX_ERR_NOTFOUND. */
int lx_control_call(const char *state_dir, const char *id, json_t *req,
		    json_t **reply, int timeout_ms, struct lx_error *err) LX_WUR;

#endif
