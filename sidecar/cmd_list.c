/* SPDX-License-Identifier: MIT */
/* list (every resident sidecar at a glance) and events ID [--follow]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "commands.h"
#include "control.h"
#include "residents.h"

/* A sidecar that does not answer within this is shown as such, so one
 * wedged sidecar cannot hang `list` or `metrics` for the whole node. */
#define LX_LIST_TIMEOUT_MS 2000

static int fail(struct lx_error *err)
{
	lx_print_error(err);
	return lx_exit_code(err);
}

json_t *lx_resident_query(const char *state_dir, const struct lx_resident *r)
{
	json_t *req = json_pack("{s:s, s:b}", "cmd", "status", "report", 0);
	json_t *reply = NULL, *o;
	struct lx_error err;

	lx_error_clear(&err);
	o = json_pack("{s:s, s:o, s:i, s:b}", "id", r->id, "meta",
		      lx_resident_meta_json(r), "sidecar_pid", (int)r->pid,
		      "running", r->alive);
	if (!o || !req) {
		json_decref(req);
		json_decref(o);
		return NULL;
	}
	if (r->alive &&
	    lx_control_call(state_dir, r->id, req, &reply, LX_LIST_TIMEOUT_MS,
			    &err) == 0 &&
	    json_is_true(json_object_get(reply, "ok"))) {
		json_object_set_new(o, "answering", json_true());
		json_object_set(o, "pid", json_object_get(reply, "target_pid"));
		json_object_set(o, "converged",
				json_object_get(reply, "converged"));
		json_object_set(o, "health", json_object_get(reply, "health"));
	} else {
		json_object_set_new(o, "answering", json_false());
	}
	json_decref(reply);
	json_decref(req);
	return o;
}

static void print_row(const json_t *o)
{
	const json_t *h = json_object_get(o, "health");
	const char *id = json_string_value(json_object_get(o, "id"));
	char name[64], health[96], pass[96], age[32], pid[16] = "-";

	lx_meta_name(json_object_get(o, "meta"), name, sizeof(name));
	if (json_is_integer(json_object_get(o, "pid")))
		snprintf(pid, sizeof(pid), "%lld",
			 json_integer_value(json_object_get(o, "pid")));
	if (!json_is_true(json_object_get(o, "running"))) {
		snprintf(health, sizeof(health), "not running");
		snprintf(pass, sizeof(pass), "-");
	} else if (!h) {
		snprintf(health, sizeof(health), "not answering");
		snprintf(pass, sizeof(pass), "-");
	} else {
		lx_health_text(h, health, sizeof(health));
		lx_age_text(
		    json_is_integer(json_object_get(h, "last_pass_age_ms"))
			? json_integer_value(
			      json_object_get(h, "last_pass_age_ms"))
			: -1,
		    age, sizeof(age));
		snprintf(pass, sizeof(pass), "%lld %s %s ago",
			 json_integer_value(json_object_get(h, "passes")),
			 json_string_value(json_object_get(h, "last_trigger"))
			     ?: "-",
			 age);
	}
	printf("%-12.12s  %-24s  %-7s  %-9s  %-28s  %-22s  %lld\n", id,
	       name[0] ? name : "-", pid,
	       !h					       ? "-"
	       : json_is_true(json_object_get(o, "converged")) ? "converged"
							       : "diverged",
	       health, pass,
	       json_integer_value(json_object_get(o, "sidecar_pid")));
}

int lx_residents_query_all(const char *state_dir, json_t **out,
			   struct lx_error *err)
{
	_cleanup_free_ struct lx_resident *v = NULL;
	_cleanup_json_ json_t *arr = json_array();
	size_t n = 0;

	if (!arr)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "residents");
	if (lx_residents_scan(state_dir, &v, &n, err) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		json_t *o = lx_resident_query(state_dir, &v[i]);

		if (o)
			json_array_append_new(arr, o);
	}
	*out = TAKE_PTR(arr);
	return 0;
}

int cmd_list(struct lx_cli *cli)
{
	_cleanup_json_ json_t *arr = NULL;
	struct lx_error err;

	lx_error_clear(&err);
	if (cli->n_args) {
		lx_error_set(&err, LX_ERR_USAGE, 0,
			     "list: no arguments expected, got \"%s\"",
			     cli->args[0]);
		return fail(&err);
	}
	if (lx_residents_query_all(cli->state_dir, &arr, &err) < 0)
		return fail(&err);
	if (cli->json) {
		lx_print_json(stdout, json_incref(arr));
		return LX_EXIT_OK;
	}
	if (json_array_size(arr))
		printf("%-12s  %-24s  %-7s  %-9s  %-28s  %-22s  %s\n", "ID",
		       "POD/CONTAINER", "PID", "SYNC", "HEALTH", "LAST PASS",
		       "SIDECAR");
	for (size_t i = 0; i < json_array_size(arr); i++)
		print_row(json_array_get(arr, i));
	return LX_EXIT_OK;
}

/* ------------------------------------------------------------ events */

/* One events.log line in a human form: local time, event, key=value. */
static void print_event(const char *line, size_t len, bool raw)
{
	_cleanup_json_ json_t *j = NULL;
	const char *k;
	json_t *v;
	char tbuf[64] = "?", safe[1024];

	if (raw) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return;
	}
	j = json_loadb(line, len, 0, NULL);
	if (!json_is_object(j)) {
		printf("(unparsable line of %zu bytes)\n", len);
		return;
	}
	if (json_is_number(json_object_get(j, "ts"))) {
		double ts = json_number_value(json_object_get(j, "ts"));
		time_t t = (time_t)ts;
		struct tm tm;

		if (localtime_r(&t, &tm)) {
			size_t o = strftime(tbuf, sizeof(tbuf),
					    "%Y-%m-%d %H:%M:%S", &tm);

			snprintf(tbuf + o, sizeof(tbuf) - o, ".%03d",
				 (int)((ts - (double)t) * 1000) % 1000);
		}
	}
	lx_safe_text(json_string_value(json_object_get(j, "event")) ?: "?",
		     safe, 64);
	printf("%s %-15s", tbuf, safe);
	json_object_foreach(j, k, v)
	{
		_cleanup_free_ char *s = NULL;

		if (!strcmp(k, "ts") || !strcmp(k, "event"))
			continue;
		if (json_is_string(v) &&
		    !strpbrk(json_string_value(v), " \"=")) {
			lx_safe_text(json_string_value(v), safe, sizeof(safe));
		} else {
			s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			lx_safe_text(s ? s : "?", safe, sizeof(safe));
		}
		lx_safe_text(k, tbuf, 64);
		printf(" %s=%s", tbuf, safe);
	}
	printf("\n");
}

struct tail {
	int fd;
	ino_t ino;
	char buf[65536];
	size_t len;
};

/* Print every whole line readable from t->fd. */
static void tail_drain(struct tail *t, bool raw)
{
	for (;;) {
		ssize_t n =
		    read(t->fd, t->buf + t->len, sizeof(t->buf) - t->len);
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		t->len += (size_t)n;
		for (char *nl;
		     (nl = memchr(t->buf + start, '\n', t->len - start));) {
			print_event(t->buf + start,
				    (size_t)(nl - t->buf) - start, raw);
			start = (size_t)(nl - t->buf) + 1;
		}
		memmove(t->buf, t->buf + start, t->len - start);
		t->len -= start;
		/* A line longer than the buffer: not ours to show whole. */
		if (t->len == sizeof(t->buf))
			t->len = 0;
	}
	fflush(stdout);
}

static int open_log(int dirfd, enum lx_state_file f, struct tail *t)
{
	struct stat st;

	t->fd = lx_state_openat(dirfd, f);
	if (t->fd < 0)
		return t->fd;
	t->ino = fstat(t->fd, &st) == 0 ? st.st_ino : 0;
	t->len = 0;
	return 0;
}

int cmd_events(struct lx_cli *cli)
{
	struct lx_error err;
	char id[129], path[4096];
	_cleanup_close_ int dirfd = -1;
	static struct tail t; /* 64 KiB: off the stack */
	struct stat st;

	lx_error_clear(&err);
	if (cli->n_args != 1) {
		lx_error_set(&err, LX_ERR_USAGE, 0,
			     "events: exactly one sidecar ID expected");
		return fail(&err);
	}
	if (lx_resident_resolve(cli->state_dir, cli->args[0], id, &err) < 0)
		return fail(&err);
	(void)lx_state_path(path, sizeof(path), cli->state_dir, id);
	dirfd = lx_state_dir_open(cli->state_dir, id);
	if (dirfd < 0) {
		lx_error_set(&err, LX_ERR_NOTFOUND, -dirfd, "%s", path);
		return fail(&err);
	}
	/* The rotated half first: it holds the older events. */
	if (open_log(dirfd, LX_STATE_EVENTS_1, &t) == 0) {
		tail_drain(&t, cli->json);
		close(t.fd);
	}
	if (open_log(dirfd, LX_STATE_EVENTS, &t) < 0)
		t.fd = -1;
	if (t.fd >= 0)
		tail_drain(&t, cli->json);
	if (!cli->follow) {
		if (t.fd >= 0)
			close(t.fd);
		return LX_EXIT_OK;
	}
	/*
	 * Follow until the sidecar is gone (it removes its state dir on
	 * teardown). Polling a stat every 100 ms is enough for a human and
	 * survives rotation: a new inode under the name means the old file
	 * was moved to events.log.1, whose tail was already read.
	 */
	for (;;) {
		struct timespec ts = {0, 100 * 1000 * 1000};

		nanosleep(&ts, NULL);
		if (t.fd >= 0)
			tail_drain(&t, cli->json);
		if (lx_state_statat(dirfd, LX_STATE_EVENTS, &st) < 0) {
			if (stat(path, &st) < 0)
				break; /* the state dir is gone */
			continue;
		}
		if (t.fd < 0 || st.st_ino != t.ino) {
			if (t.fd >= 0) {
				tail_drain(&t, cli->json);
				close(t.fd);
			}
			if (open_log(dirfd, LX_STATE_EVENTS, &t) < 0)
				t.fd = -1;
			else
				tail_drain(&t, cli->json);
		}
	}
	if (t.fd >= 0) {
		tail_drain(&t, cli->json);
		close(t.fd);
	}
	return LX_EXIT_OK;
}
