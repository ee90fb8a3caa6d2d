/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "control.h"
#include "oci_state.h"
#include "daemon.h"
#include "desired.h"

struct client {
	struct lx_control *c;
	int fd;
	char *buf;
	size_t len, cap;
};

struct lx_control {
	struct lx_daemon *d;
	struct lx_evloop *ev;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client *clients[LX_CONTROL_MAX_CLIENTS];
};

static void client_close(struct client *cl)
{
	struct lx_control *c = cl->c;

	for (int i = 0; i < LX_CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	lx_evloop_del(c->ev, cl->fd, NULL);
	close(cl->fd);
	free(cl->buf);
	free(cl);
}

static json_t *reply_error(const struct lx_error *err, int code)
{
	return json_pack("{s:b, s:s, s:i}", "ok", 0, "error", err->msg, "exit",
			 code);
}

static json_t *handle(struct lx_control *c, const char *line, size_t len,
		      bool *stop_after)
{
	_cleanup_json_ json_t *req = NULL;
	struct lx_error err;
	json_error_t je;
	const char *cmd;

	lx_error_clear(&err);
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!req || !json_is_object(req) ||
	    !json_is_string(json_object_get(req, "cmd"))) {
		lx_error_set(&err, LX_ERR_INVALID, 0,
			     "request: expected {\"cmd\": ...} on one line");
		return reply_error(&err, 3);
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (strcmp(cmd, "status") == 0) {
		json_t *rep = json_pack("{s:b, s:s, s:i, s:i, s:b, s:o}", "ok", 1,
					"id", lx_daemon_id(c->d), "pid",
					(int)getpid(), "target_pid",
					(int)lx_daemon_target_pid(c->d),
					"converged", lx_daemon_converged(c->d),
					"health", lx_daemon_health_json(c->d));

		/* "report": false spares list and metrics a large report. */
		if (rep && !json_is_false(json_object_get(req, "report")))
			json_object_set_new(rep, "report",
					    lx_daemon_report_json(c->d));
		return rep;
	}
	if (strcmp(cmd, "reconcile") == 0) {
		int r = lx_daemon_reconcile_now(c->d);

		return json_pack("{s:b, s:b, s:o}", "ok", 1, "converged",
				 r == 0, "report", lx_daemon_report_json(c->d));
	}
	if (strcmp(cmd, "put_desired") == 0) {
		struct lx_desired nd = { 0 };
		json_t *doc = json_object_get(req, "desired");
		int r;

		if (!doc) {
			lx_error_set(&err, LX_ERR_INVALID, 0,
				     "put_desired: member \"desired\" missing");
			return reply_error(&err, 3);
		}
		r = lx_desired_from_json(doc, &nd, &err);
		if (r == 0)
			r = lx_daemon_put_desired(c->d, &nd, &err);
		lx_desired_free(&nd);
		if (r < 0) {
			int code = err.kind == LX_ERR_POLICY	? 5
				   : err.kind == LX_ERR_INVALID ? 3
				   : err.kind == LX_ERR_NOTFOUND ? 4
								 : 1;
			return reply_error(&err, code);
		}
		return json_pack("{s:b}", "ok", 1);
	}
	if (strcmp(cmd, "stop") == 0) {
		*stop_after = true;
		return json_pack("{s:b}", "ok", 1);
	}
	lx_error_set(&err, LX_ERR_INVALID, 0, "request: unknown cmd \"%.64s\"",
		     cmd);
	return reply_error(&err, 3);
}

static void send_reply(int fd, json_t *reply)
{
	_cleanup_free_ char *s = json_dumps(reply, JSON_COMPACT);
	size_t n;

	json_decref(reply);
	if (!s)
		return;
	n = strlen(s);
	s[n] = '\n'; /* overwrite the NUL: we send n + 1 bytes */
	for (size_t off = 0; off < n + 1;) {
		ssize_t w = send(fd, s + off, n + 1 - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, 1000) <= 0)
				return;
			continue;
		}
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static int client_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		     void *userdata)
{
	struct client *cl = userdata;
	bool stop_after = false;

	(void)ev;
	(void)revents;
	for (;;) {
		char *nl;

		if (cl->cap - cl->len < 4096) {
			size_t cap = cl->cap ? cl->cap * 2 : 8192;
			char *b;

			if (cap > LX_CONTROL_MAX_LINE + 4096) {
				client_close(cl);
				return 0;
			}
			b = realloc(cl->buf, cap);
			if (!b) {
				client_close(cl);
				return 0;
			}
			cl->buf = b;
			cl->cap = cap;
		}
		ssize_t n = recv(fd, cl->buf + cl->len, cl->cap - cl->len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_close(cl);
			return 0;
		}
		cl->len += (size_t)n;
		while ((nl = memchr(cl->buf, '\n', cl->len))) {
			size_t line = (size_t)(nl - cl->buf);

			send_reply(fd, handle(cl->c, cl->buf, line,
					      &stop_after));
			memmove(cl->buf, nl + 1, cl->len - line - 1);
			cl->len -= line + 1;
			if (stop_after) {
				struct lx_daemon *d = cl->c->d;

				client_close(cl);
				lx_daemon_stop(d, "stop requested");
				return 0;
			}
		}
	}
	return 0;
}

static int listen_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		     void *userdata)
{
	struct lx_control *c = userdata;

	(void)revents;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *cl;
		int slot = -1;

		if (cfd < 0)
			return 0;
		for (int i = 0; i < LX_CONTROL_MAX_CLIENTS; i++)
			if (!c->clients[i]) {
				slot = i;
				break;
			}
		cl = slot >= 0 ? calloc(1, sizeof(*cl)) : NULL;
		if (!cl) {
			close(cfd);
			continue;
		}
		cl->c = c;
		cl->fd = cfd;
		if (lx_evloop_add(ev, cfd, EPOLLIN, client_cb, cl, NULL) < 0) {
			close(cfd);
			free(cl);
			continue;
		}
		c->clients[slot] = cl;
	}
}

int lx_control_listen(struct lx_control **out, struct lx_daemon *d,
		      struct lx_evloop *ev, struct lx_state *st,
		      struct lx_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct lx_control *c;
	mode_t old;
	int r;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control.sock",
		     st->path) >= (int)sizeof(sa.sun_path))
		return lx_error_set(err, LX_ERR_INVALID, ENAMETOOLONG,
				    "%s/control.sock", st->path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "control");
	c->d = d;
	c->ev = ev;
	memcpy(c->path, sa.sun_path, sizeof(c->path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, errno, "control socket");
		free(c);
		return r;
	}
	unlinkat(st->dirfd, "control.sock", 0);
	/* 0600 from the start: no window where others could connect. */
	old = umask(0177);
	r = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(c->fd, 16) < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, errno, "%s", sa.sun_path);
		close(c->fd);
		free(c);
		return r;
	}
	r = lx_evloop_add(ev, c->fd, EPOLLIN, listen_cb, c, err);
	if (r < 0) {
		close(c->fd);
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void lx_control_free(struct lx_control *c)
{
	if (!c)
		return;
	for (int i = 0; i < LX_CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i])
			client_close(c->clients[i]);
	lx_evloop_del(c->ev, c->fd, NULL);
	close(c->fd);
	free(c);
}

int lx_control_call(const char *state_dir, const char *id, json_t *req,
		    json_t **reply, int timeout_ms, struct lx_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *line = NULL;
	char buf[65536];
	size_t len = 0, cap = 0;
	json_error_t je;

	*reply = NULL;
	if (!lx_oci_id_valid(id))
		return lx_error_set(err, LX_ERR_USAGE, 0,
				    "id \"%.64s\": invalid", id);
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s/control.sock",
		     state_dir, id) >= (int)sizeof(sa.sun_path))
		return lx_error_set(err, LX_ERR_USAGE, ENAMETOOLONG,
				    "state dir %s", state_dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return lx_error_set(err, LX_ERR_NOTFOUND, errno,
				    "no resident sidecar %s (%s)", id,
				    sa.sun_path);
	line = json_dumps(req, JSON_COMPACT);
	if (!line)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "request");
	{
		size_t n = strlen(line);

		line[n] = '\n';
		if (send(fd, line, n + 1, MSG_NOSIGNAL) != (ssize_t)(n + 1))
			return lx_error_set(err, LX_ERR_SYSTEM, errno,
					    "send to sidecar %s", id);
		free(line);
		line = NULL;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		char *nl;

		if (poll(&p, 1, timeout_ms) <= 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ETIMEDOUT,
					    "sidecar %s did not answer", id);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return lx_error_set(err, LX_ERR_SYSTEM,
					    n < 0 ? errno : ECONNRESET,
					    "sidecar %s", id);
		if (len + (size_t)n + 1 > cap) {
			cap = (len + (size_t)n + 1) * 2;
			char *b = realloc(line, cap);
			if (!b)
				return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
						    "reply");
			line = b;
		}
		memcpy(line + len, buf, (size_t)n);
		len += (size_t)n;
		line[len] = '\0';
		nl = memchr(line, '\n', len);
		if (nl) {
			*reply = json_loadb(line, (size_t)(nl - line), 0, &je);
			if (!*reply)
				return lx_error_set(err, LX_ERR_SYSTEM, EPROTO,
						    "sidecar %s: bad reply",
						    id);
			return 0;
		}
	}
}
