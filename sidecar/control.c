/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "control.h"
#include "oci_state.h"

/*
 * The control socket must never hold up healing: every client is
 * non-blocking with its own input and output buffers, a reply that cannot
 * be sent at once waits in the client's buffer (and the client's further
 * requests wait behind it: a client that pipelines and never reads costs one
 * reply's worth of memory), and a client that makes no progress — no
 * complete request and no reply bytes read for LX_CONTROL_TIMEOUT_MS — is
 * dropped, so the slots cannot be squatted either.
 */
struct client {
	struct lx_control *c;
	int fd;
	uint32_t events;  /* what is registered with the loop */
	char *buf;	  /* input: requests not handled yet */
	size_t len, cap;
	char *out;	  /* output: replies not sent yet */
	size_t out_len, out_off;
	uint64_t last_ms; /* last progress */
};

struct lx_control {
	const struct lx_control_cmd *cmds; /* ends with a NULL name */
	void *userdata;
	struct lx_evloop *ev;
	int fd;
	int tfd; /* sweeps clients past their timeout; armed while any */
	uint64_t timeout_ms;
	struct client *clients[LX_CONTROL_MAX_CLIENTS];
};

/* Requests handled per wake-up before others get the loop back. */
#define CONTROL_BATCH 16

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t n_clients(const struct lx_control *c)
{
	size_t n = 0;

	for (int i = 0; i < LX_CONTROL_MAX_CLIENTS; i++)
		n += c->clients[i] != NULL;
	return n;
}

static void client_close(struct client *cl)
{
	struct lx_control *c = cl->c;

	for (int i = 0; i < LX_CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	lx_evloop_del(c->ev, cl->fd, NULL);
	close(cl->fd);
	free(cl->buf);
	free(cl->out);
	free(cl);
	if (n_clients(c) == 0)
		lx_timer_arm(c->tfd, 0, 0);
}

json_t *lx_control_error_reply(const struct lx_error *err, int code)
{
	return json_pack("{s:b, s:s, s:i}", "ok", 0, "error", err->msg, "exit",
			 code);
}

static json_t *handle(struct lx_control *c, const char *line, size_t len,
		      bool *close_after)
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
		return lx_control_error_reply(&err, 3);
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	for (const struct lx_control_cmd *h = c->cmds; h->name; h++)
		if (strcmp(cmd, h->name) == 0)
			return h->handle(c->userdata, req, close_after);
	lx_error_set(&err, LX_ERR_INVALID, 0, "request: unknown cmd \"%.64s\"",
		     cmd);
	return lx_control_error_reply(&err, 3);
}

/* Queue reply (stolen) behind what the client has not read yet. */
static int queue_reply(struct client *cl, json_t *reply)
{
	_cleanup_free_ char *s = json_dumps(reply, JSON_COMPACT);
	size_t n;
	char *o;

	json_decref(reply);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (cl->out_off == cl->out_len)
		cl->out_off = cl->out_len = 0;
	o = realloc(cl->out, cl->out_len + n + 1);
	if (!o)
		return -ENOMEM;
	cl->out = o;
	memcpy(cl->out + cl->out_len, s, n);
	cl->out[cl->out_len + n] = '\n';
	cl->out_len += n + 1;
	return 0;
}

/* Send what is queued without waiting: 1 all sent, 0 would block, < 0 gone. */
static int flush_out(struct client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t w = send(cl->fd, cl->out + cl->out_off,
				 cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -EPIPE;
		cl->out_off += (size_t)w;
		cl->last_ms = now_ms();
	}
	cl->out_off = cl->out_len = 0;
	return 1;
}

static int want(struct client *cl, uint32_t events)
{
	if (cl->events == events)
		return 0;
	if (lx_evloop_mod(cl->c->ev, cl->fd, events, NULL) < 0)
		return -1;
	cl->events = events;
	return 0;
}

/*
 * Move the client on as far as it goes without waiting: send queued
 * replies, handle complete requests, read more. Never blocks; returns with
 * the client waiting for EPOLLOUT (its replies are unread, or it has more
 * requests queued than one turn handles) or EPOLLIN, or closed.
 */
static void pump(struct client *cl)
{
	int handled = 0;

	for (;;) {
		bool close_after = false;
		int f = flush_out(cl);
		char *nl;
		ssize_t n;

		if (f < 0)
			goto close;
		if (f == 0 || handled == CONTROL_BATCH) {
			/* Writable again (or at once, for a batch that was
			 * cut short) brings us back here. */
			if (want(cl, EPOLLOUT) < 0)
				goto close;
			return;
		}
		nl = cl->len ? memchr(cl->buf, '\n', cl->len) : NULL;
		if (nl) {
			size_t line = (size_t)(nl - cl->buf);

			if (queue_reply(cl, handle(cl->c, cl->buf, line,
						   &close_after)) < 0)
				goto close;
			memmove(cl->buf, nl + 1, cl->len - line - 1);
			cl->len -= line + 1;
			cl->last_ms = now_ms();
			handled++;
			if (close_after) {
				flush_out(cl); /* best effort: we are leaving */
				client_close(cl);
				return;
			}
			continue;
		}
		if (cl->cap - cl->len < 4096) {
			size_t cap = cl->cap ? cl->cap * 2 : 8192;
			char *b;

			if (cap > LX_CONTROL_MAX_LINE + 8192)
				goto close; /* a line past the bound */
			b = realloc(cl->buf, cap);
			if (!b)
				goto close;
			cl->buf = b;
			cl->cap = cap;
		}
		n = recv(cl->fd, cl->buf + cl->len, cl->cap - cl->len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (want(cl, EPOLLIN) < 0)
				goto close;
			return;
		}
		if (n <= 0)
			goto close;
		cl->len += (size_t)n;
	}
close:
	client_close(cl);
}

static int client_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		     void *userdata)
{
	(void)ev;
	(void)fd;
	(void)revents;
	pump(userdata);
	return 0;
}

static int sweep_cb(struct lx_evloop *ev, int fd, uint32_t revents,
		    void *userdata)
{
	struct lx_control *c = userdata;
	uint64_t now = now_ms();

	(void)ev;
	(void)revents;
	lx_timer_read(fd);
	for (int i = 0; i < LX_CONTROL_MAX_CLIENTS; i++) {
		struct client *cl = c->clients[i];

		if (cl && now - cl->last_ms >= c->timeout_ms)
			client_close(cl);
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
		cl->events = EPOLLIN;
		cl->last_ms = now_ms();
		if (lx_evloop_add(ev, cfd, EPOLLIN, client_cb, cl, NULL) < 0) {
			close(cfd);
			free(cl);
			continue;
		}
		if (n_clients(c) == 0) {
			uint64_t tick = c->timeout_ms / 4 ? c->timeout_ms / 4 : 1;

			lx_timer_arm(c->tfd, tick, tick);
		}
		c->clients[slot] = cl;
	}
}

/*
 * The socket's path for bind and connect: DIR/ID/control.sock can be longer
 * than sun_path (108 bytes: a 38-character DIR and a 64-hex id make 116), so
 * it is reached through the directory's fd, /proc/self/fd/N/control.sock,
 * whatever the length of DIR (conmon does the same for its attach socket).
 */
static void sock_path(struct sockaddr_un *sa, int dirfd)
{
	lx_state_socket_path(dirfd, sa->sun_path, sizeof(sa->sun_path));
}

static uint64_t timeout_from_env(void)
{
	const char *v = getenv("LINX_SIDECAR_CONTROL_TIMEOUT_MS");
	char *end = NULL;
	unsigned long long n;

	if (!v || !*v)
		return LX_CONTROL_TIMEOUT_MS;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || !end || *end || n == 0 || n > 3600000)
		return LX_CONTROL_TIMEOUT_MS;
	return n;
}

int lx_control_listen(struct lx_control **out,
		      const struct lx_control_cmd *cmds, void *userdata,
		      struct lx_evloop *ev, struct lx_state *st,
		      struct lx_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct lx_control *c;
	mode_t old;
	int r;

	sock_path(&sa, st->dirfd);
	c = calloc(1, sizeof(*c));
	if (!c)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "control");
	c->cmds = cmds;
	c->userdata = userdata;
	c->ev = ev;
	c->tfd = -1;
	c->timeout_ms = timeout_from_env();
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, errno, "control socket");
		free(c);
		return r;
	}
	(void)lx_state_unlinkat(st->dirfd, LX_STATE_CONTROL);
	/* 0600 from the start: no window where others could connect. */
	old = umask(0177);
	r = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(c->fd, 16) < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, errno, "%s/%s", st->path,
				 lx_state_file_name(LX_STATE_CONTROL));
		close(c->fd);
		free(c);
		return r;
	}
	c->tfd = lx_timerfd_new();
	if (c->tfd < 0) {
		r = lx_error_set(err, LX_ERR_SYSTEM, -c->tfd, "timerfd");
		c->tfd = -1;
		goto fail;
	}
	r = lx_evloop_add(ev, c->tfd, EPOLLIN, sweep_cb, c, err);
	if (r < 0)
		goto fail;
	r = lx_evloop_add(ev, c->fd, EPOLLIN, listen_cb, c, err);
	if (r < 0) {
		lx_evloop_del(ev, c->tfd, NULL);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	if (c->tfd >= 0)
		close(c->tfd);
	close(c->fd);
	free(c);
	return r;
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
	lx_evloop_del(c->ev, c->tfd, NULL);
	close(c->tfd);
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
	struct lx_state st;
	int r;

	*reply = NULL;
	if (!lx_oci_id_valid(id))
		return lx_error_set(err, LX_ERR_USAGE, 0,
				    "id \"%.64s\": invalid", id);
	/* A socket in a directory someone else may write could be theirs,
	 * listening for our put and stop: trusted directories only. */
	r = lx_state_open(&st, state_dir, id, false, err);
	if (r < 0) {
		if (err->kind == LX_ERR_NOTFOUND)
			return lx_error_set(err, LX_ERR_NOTFOUND, ENOENT,
					    "no resident sidecar %s (%s)", id,
					    st.path);
		return r;
	}
	sock_path(&sa, st.dirfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		lx_state_close(&st);
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "socket");
	}
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0) {
		int e = errno;

		lx_state_close(&st);
		return lx_error_set(
		    err,
		    e == ENOENT || e == ECONNREFUSED ? LX_ERR_NOTFOUND
						     : LX_ERR_SYSTEM,
		    e, "no resident sidecar %s (%s/%s)", id, st.path,
		    lx_state_file_name(LX_STATE_CONTROL));
	}
	lx_state_close(&st);
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
