/* SPDX-License-Identifier: MIT */
/* Commands that talk to a resident sidecar: status, reconcile ID, stop, put
 * (list, events: cmd_list.c). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "commands.h"
#include "control.h"
#include "desired.h"
#include "nft.h"
#include "residents.h"
#include "state.h"

static int fail(struct lx_error *err)
{
	lx_print_error(err);
	return lx_exit_code(err);
}

/* The one ID argument, resolved to a resident's full id (prefixes). */
static int one_id(struct lx_cli *cli, char *id, struct lx_error *err)
{
	const char *arg;

	if (cli->n_args == 1)
		arg = cli->args[0];
	else if (cli->id && cli->n_args == 0)
		arg = cli->id;
	else
		return lx_error_set(err, LX_ERR_USAGE, 0,
				    "%s: exactly one sidecar ID expected",
				    cli->cmd);
	return lx_resident_resolve(cli->state_dir, arg, id, err);
}

static int call(struct lx_cli *cli, json_t *req, json_t **reply, char *id,
		struct lx_error *err)
{
	int r;

	r = one_id(cli, id, err);
	if (r == 0)
		r = lx_control_call(cli->state_dir, id, req, reply, 30000, err);
	json_decref(req);
	return r;
}

static int reply_code(json_t *reply)
{
	json_t *code = json_object_get(reply, "exit");

	if (json_is_true(json_object_get(reply, "ok")))
		return LX_EXIT_OK;
	return json_is_integer(code) ? (int)json_integer_value(code)
				     : LX_EXIT_NOT_CONVERGED;
}

static void print_reply_error(json_t *reply)
{
	const char *e = json_string_value(json_object_get(reply, "error"));
	struct lx_error err;

	lx_error_set(&err, LX_ERR_SYSTEM, 0, "%s", e ? e : "request failed");
	lx_print_error(&err);
}

static void print_status(const char *id, json_t *reply, const json_t *meta)
{
	json_t *rep = json_object_get(reply, "report");
	json_t *health = json_object_get(reply, "health");
	json_t *subs = json_object_get(rep, "subsystems"), *s;
	json_t *hsubs = json_object_get(health, "subsystems");
	const char *name, *e;
	char buf[256];

	printf("%s\n", id);
	lx_meta_name(meta, buf, sizeof(buf));
	if (buf[0])
		printf("  pod         %s\n", buf);
	printf("  sync        %s\n",
	       json_is_true(json_object_get(reply, "converged")) ? "converged"
								 : "diverged");
	if (health) {
		lx_health_text(health, buf, sizeof(buf));
		printf("  health      %s\n", buf);
		lx_last_pass_text(health, buf, sizeof(buf));
		printf("  last pass   %s\n", buf);
	} else {
		printf("  last pass   %lld (%s)\n",
		       json_integer_value(json_object_get(rep, "pass")),
		       json_string_value(json_object_get(rep, "trigger")));
	}
	if (json_object_get(reply, "pid"))
		printf("  pids        container %lld, sidecar %lld\n",
		       json_integer_value(json_object_get(reply, "target_pid")),
		       json_integer_value(json_object_get(reply, "pid")));
	e = json_string_value(json_object_get(health, "last_error"));
	if (e) {
		lx_safe_text(e, buf, sizeof(buf));
		printf("  last error  %s (%s)\n", buf,
		       json_string_value(
			   json_object_get(health, "last_error_ts")));
	}
	printf("  subsystem   last pass: applied/failed/pending; since start: "
	       "passes, applied/failed\n");
	json_object_foreach(subs, name, s)
	{
		json_t *h = json_object_get(hsubs, name);

		printf("  %-9s   %-9s %zu/%zu/%zu", name,
		       json_is_true(json_object_get(s, "converged"))
			   ? "converged"
			   : "diverged",
		       json_array_size(json_object_get(s, "applied")),
		       json_array_size(json_object_get(s, "failed")),
		       json_array_size(json_object_get(s, "pending")));
		if (h)
			printf(
			    "; %lld passes, %lld/%lld",
			    json_integer_value(json_object_get(h, "passes")),
			    json_integer_value(json_object_get(h, "applied")),
			    json_integer_value(json_object_get(h, "failed")));
		printf("\n");
	}
}

/* status ID, and reconcile ID (a synchronous pass in the sidecar). */
int cmd_status(struct lx_cli *cli)
{
	bool reconcile = strcmp(cli->cmd, "reconcile") == 0;
	json_t *reply = NULL;
	_cleanup_json_ json_t *meta = NULL;
	struct lx_error err;
	char id[129];
	int code;

	lx_error_clear(&err);
	if (call(cli,
		 json_pack("{s:s}", "cmd", reconcile ? "reconcile" : "status"),
		 &reply, id, &err) < 0)
		return fail(&err);
	meta = lx_meta_read(cli->state_dir, id);
	code = reply_code(reply);
	if (code != LX_EXIT_OK) {
		print_reply_error(reply);
	} else if (cli->json) {
		if (meta && json_object_size(meta))
			json_object_set(reply, "meta", meta);
		json_incref(reply);
		lx_print_json(stdout, reply);
	} else {
		print_status(id, reply, meta);
	}
	if (code == LX_EXIT_OK && reconcile &&
	    !json_is_true(json_object_get(reply, "converged")))
		code = LX_EXIT_NOT_CONVERGED;
	json_decref(reply);
	return code;
}

int cmd_stop(struct lx_cli *cli)
{
	char id[129];
	json_t *reply = NULL;
	struct lx_error err;
	int code;

	lx_error_clear(&err);
	if (call(cli, json_pack("{s:s}", "cmd", "stop"), &reply, id, &err) < 0)
		return fail(&err);
	code = reply_code(reply);
	if (code != LX_EXIT_OK)
		print_reply_error(reply);
	json_decref(reply);
	return code;
}

int cmd_put(struct lx_cli *cli)
{
	char id[129];
	struct lx_desired d = {0};
	json_t *reply = NULL;
	struct lx_error err;
	int code;

	lx_error_clear(&err);
	if (!cli->desired) {
		lx_error_set(&err, LX_ERR_USAGE, 0,
			     "put: --desired FILE is required");
		return fail(&err);
	}
	/* Validate here too, for a message before anything is sent. */
	if (lx_desired_from_file(cli->desired, &d, &err) < 0)
		return fail(&err);
	/* The resident runs sandboxed and cannot compile nft text: it is
	 * compiled here and sent in the document's object form. */
	if (d.nft.text && !d.nft.msgs) {
		struct lx_nft_body b;

		if (lx_nft_compile(d.nft.text, "nftables", &b, &err) < 0) {
			lx_desired_free(&d);
			return fail(&err);
		}
		lx_nft_body_free(&d.nft);
		d.nft = b;
	}
	if (call(cli,
		 json_pack("{s:s, s:o}", "cmd", "put_desired", "desired",
			   lx_desired_to_json(&d)),
		 &reply, id, &err) < 0) {
		lx_desired_free(&d);
		return fail(&err);
	}
	lx_desired_free(&d);
	code = reply_code(reply);
	if (code != LX_EXIT_OK)
		print_reply_error(reply);
	json_decref(reply);
	return code;
}
