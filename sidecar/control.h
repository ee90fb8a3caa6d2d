/* SPDX-License-Identifier: MIT */
/*
 * Control socket DIR/ID/control.sock (0600): one JSON request per line, one
 * JSON reply per line. Requests: {"cmd":"status"}, {"cmd":"reconcile"},
 * {"cmd":"put_desired","desired":{...}}, {"cmd":"stop"}. Replies carry
 * "ok" and, on failure, "error" and "exit" (the CLI exit code).
 */
#ifndef LX_CONTROL_H
#define LX_CONTROL_H

#include <jansson.h>

#include "error.h"
#include "evloop.h"
#include "state.h"

struct lx_daemon;
struct lx_control;

#define LX_CONTROL_MAX_LINE (2 * 1024 * 1024)
#define LX_CONTROL_MAX_CLIENTS 16
/* A client with no complete request and no reply bytes read for this long is
 * dropped (LINX_SIDECAR_CONTROL_TIMEOUT_MS overrides it, for tests). */
#define LX_CONTROL_TIMEOUT_MS 10000

int lx_control_listen(struct lx_control **out, struct lx_daemon *d,
		      struct lx_evloop *ev, struct lx_state *st,
		      struct lx_error *err) LX_WUR;
void lx_control_free(struct lx_control *c);

/* Client: send one request to DIR/ID/control.sock and wait for the reply
 * (new reference in *reply). Missing sidecar: LX_ERR_NOTFOUND. */
int lx_control_call(const char *state_dir, const char *id, json_t *req,
		    json_t **reply, int timeout_ms, struct lx_error *err) LX_WUR;

#endif
