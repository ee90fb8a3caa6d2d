/* SPDX-License-Identifier: MIT */
/* Commands that talk to a resident sidecar: status, reconcile ID, stop, put,
 * list. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "desired.h"
#include "oci_state.h"
#include "state.h"

static int fail(struct lx_error *err)
{
	lx_print_error(err);
	return lx_exit_code(err);
}

static int one_id(struct lx_cli *cli, const char **id, struct lx_error *err)
{
	if (cli->n_args == 1)
		*id = cli->args[0];
	else if (cli->id && cli->n_args == 0)
		*id = cli->id;
	else
		return lx_error_set(err, LX_ERR_USAGE, 0,
				    "%s: exactly one sidecar ID expected",
				    cli->cmd);
	return 0;
}

static int call(struct lx_cli *cli, json_t *req, json_t **reply,
		struct lx_error *err)
{
	const char *id = NULL;
	int r;

	r = one_id(cli, &id, err);
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

/* status ID, and reconcile ID (a synchronous pass in the sidecar). */
int cmd_status(struct lx_cli *cli)
{
	bool reconcile = strcmp(cli->cmd, "reconcile") == 0;
	json_t *reply = NULL, *rep;
	struct lx_error err;
	int code;

	lx_error_clear(&err);
	if (call(cli, json_pack("{s:s}", "cmd", reconcile ? "reconcile" : "status"),
		 &reply, &err) < 0)
		return fail(&err);
	code = reply_code(reply);
	rep = json_object_get(reply, "report");
	if (code != LX_EXIT_OK) {
		print_reply_error(reply);
	} else if (cli->json) {
		json_incref(reply);
		lx_print_json(stdout, reply);
	} else {
		json_t *subs = json_object_get(rep, "subsystems"), *s;
		const char *name;

		printf("%s: %s, pass %lld (%s)",
		       json_string_value(json_object_get(rep, "id")),
		       json_is_true(json_object_get(rep, "converged"))
			       ? "converged"
			       : "NOT converged",
		       json_integer_value(json_object_get(rep, "pass")),
		       json_string_value(json_object_get(rep, "trigger")));
		if (json_object_get(reply, "pid"))
			printf(", sidecar pid %lld, target pid %lld",
			       json_integer_value(json_object_get(reply, "pid")),
			       json_integer_value(
				       json_object_get(reply, "target_pid")));
		printf("\n");
		json_object_foreach(subs, name, s)
			printf("  %-7s %s, %zu applied, %zu failed, %zu pending\n",
			       name,
			       json_is_true(json_object_get(s, "converged"))
				       ? "converged"
				       : "NOT converged",
			       json_array_size(json_object_get(s, "applied")),
			       json_array_size(json_object_get(s, "failed")),
			       json_array_size(json_object_get(s, "pending")));
	}
	if (code == LX_EXIT_OK && reconcile &&
	    !json_is_true(json_object_get(reply, "converged")))
		code = LX_EXIT_NOT_CONVERGED;
	json_decref(reply);
	return code;
}

int cmd_stop(struct lx_cli *cli)
{
	json_t *reply = NULL;
	struct lx_error err;
	int code;

	lx_error_clear(&err);
	if (call(cli, json_pack("{s:s}", "cmd", "stop"), &reply, &err) < 0)
		return fail(&err);
	code = reply_code(reply);
	if (code != LX_EXIT_OK)
		print_reply_error(reply);
	json_decref(reply);
	return code;
}

int cmd_put(struct lx_cli *cli)
{
	struct lx_desired d = { 0 };
	json_t *reply = NULL;
	struct lx_error err;
	int code;

	lx_error_clear(&err);
	if (!cli->desired) {
		lx_error_set(&err, LX_ERR_USAGE, 0, "put: --desired FILE is required");
		return fail(&err);
	}
	/* Validate here too, for a message before anything is sent. */
	if (lx_desired_from_file(cli->desired, &d, &err) < 0)
		return fail(&err);
	if (call(cli,
		 json_pack("{s:s, s:o}", "cmd", "put_desired", "desired",
			   lx_desired_to_json(&d)),
		 &reply, &err) < 0) {
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

int cmd_list(struct lx_cli *cli)
{
	DIR *dir = opendir(cli->state_dir);
	struct dirent *e;
	json_t *arr = json_array();

	if (!dir) {
		if (cli->json)
			lx_print_json(stdout, arr);
		else
			json_decref(arr);
		return LX_EXIT_OK;
	}
	while ((e = readdir(dir))) {
		char path[4096], buf[32] = "";
		FILE *f;
		long pid = 0;

		if (e->d_name[0] == '.' || !lx_oci_id_valid(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/pid", cli->state_dir,
			 e->d_name);
		/* Only resident sidecars write a pid file; single-shot
		 * `reconcile` state dirs are not listed. */
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			pid = strtol(buf, NULL, 10);
		fclose(f);
		bool alive = pid > 0 && kill((pid_t)pid, 0) == 0;

		json_array_append_new(arr, json_pack("{s:s, s:I, s:b}", "id",
						     e->d_name, "pid",
						     (json_int_t)pid, "alive",
						     alive));
		if (!cli->json)
			printf("%-40s pid %-8ld %s\n", e->d_name, pid,
			       alive ? "running" : "not running");
	}
	closedir(dir);
	if (cli->json)
		lx_print_json(stdout, arr);
	else
		json_decref(arr);
	return LX_EXIT_OK;
}
