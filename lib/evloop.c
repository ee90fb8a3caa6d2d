/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

#define LX_EV_BATCH 64

struct lx_ev_source {
	int fd;
	uint32_t events;
	lx_ev_cb cb;
	void *userdata;
	bool dead; /* deleted while a batch may still point at it */
	struct lx_ev_source *next;
};

struct lx_evloop {
	int epfd;
	struct lx_ev_source *sources; /* live sources */
	size_t n;
	/*
	 * Sources deleted during a dispatch. epoll_wait's batch holds raw
	 * pointers to them, so they are freed only once the batch is done.
	 */
	struct lx_ev_source *graveyard;
	bool dispatching;
	bool quit;
	int quit_rc;
};

int lx_evloop_new(struct lx_evloop **out, struct lx_error *err)
{
	_cleanup_free_ struct lx_evloop *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "event loop");
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "epoll_create1");
	*out = TAKE_PTR(ev);
	return 0;
}

LX_IDLE_PATH static void free_list(struct lx_ev_source *s)
{
	while (s) {
		struct lx_ev_source *next = s->next;

		free(s);
		s = next;
	}
}

void lx_evloop_free(struct lx_evloop *ev)
{
	if (!ev)
		return;
	free_list(ev->sources);
	free_list(ev->graveyard);
	if (ev->epfd >= 0)
		close(ev->epfd);
	free(ev);
}

static struct lx_ev_source **find(struct lx_evloop *ev, int fd)
{
	for (struct lx_ev_source **p = &ev->sources; *p; p = &(*p)->next)
		if ((*p)->fd == fd)
			return p;
	return NULL;
}

int lx_evloop_add(struct lx_evloop *ev, int fd, uint32_t events, lx_ev_cb cb,
		  void *userdata, struct lx_error *err)
{
	struct lx_ev_source *s;
	struct epoll_event e = {.events = events};

	if (fd < 0 || !cb)
		return lx_error_set(err, LX_ERR_SYSTEM, EINVAL,
				    "event source fd %d", fd);
	if (find(ev, fd))
		return lx_error_set(err, LX_ERR_SYSTEM, EEXIST,
				    "event source fd %d", fd);
	s = calloc(1, sizeof(*s));
	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "event source");
	*s = (struct lx_ev_source){
	    .fd = fd, .events = events, .cb = cb, .userdata = userdata};
	e.data.ptr = s;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		int r = errno;

		free(s);
		return lx_error_set(err, LX_ERR_SYSTEM, r, "epoll add fd %d",
				    fd);
	}
	s->next = ev->sources;
	ev->sources = s;
	ev->n++;
	return 0;
}

int lx_evloop_mod(struct lx_evloop *ev, int fd, uint32_t events,
		  struct lx_error *err)
{
	struct lx_ev_source **p = find(ev, fd);
	struct epoll_event e = {.events = events};

	if (!p)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOENT,
				    "event source fd %d", fd);
	e.data.ptr = *p;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &e) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "epoll mod fd %d", fd);
	(*p)->events = events;
	return 0;
}

int lx_evloop_del(struct lx_evloop *ev, int fd, struct lx_error *err)
{
	struct lx_ev_source **p = find(ev, fd);
	struct lx_ev_source *s;

	if (!p)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOENT,
				    "event source fd %d", fd);
	s = *p;
	*p = s->next;
	ev->n--;
	/*
	 * EBADF / ENOENT: the fd was closed first, which already took it out
	 * of the epoll set (when it was the last reference). Either way the
	 * source is gone for us.
	 */
	(void)epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (ev->dispatching) {
		s->dead = true;
		s->next = ev->graveyard;
		ev->graveyard = s;
	} else {
		free(s);
	}
	return 0;
}

size_t lx_evloop_count(const struct lx_evloop *ev)
{
	return ev->n;
}

LX_IDLE_PATH int lx_evloop_run_once(struct lx_evloop *ev, int timeout_ms)
{
	struct epoll_event evs[LX_EV_BATCH];
	int n, ran = 0, rc = 0;

	n = epoll_wait(ev->epfd, evs, LX_EV_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;

	ev->dispatching = true;
	for (int i = 0; i < n && !ev->quit; i++) {
		struct lx_ev_source *s = evs[i].data.ptr;

		if (s->dead)
			continue;
		ran++;
		rc = s->cb(ev, s->fd, evs[i].events, s->userdata);
		if (rc < 0)
			break;
	}
	ev->dispatching = false;
	free_list(ev->graveyard);
	ev->graveyard = NULL;
	return rc < 0 ? rc : ran;
}

LX_IDLE_PATH int lx_evloop_run(struct lx_evloop *ev)
{
	int rc;

	while (!ev->quit) {
		rc = lx_evloop_run_once(ev, -1);
		if (rc < 0)
			return rc;
	}
	ev->quit = false;
	return ev->quit_rc;
}

void lx_evloop_quit(struct lx_evloop *ev, int rc)
{
	ev->quit = true;
	ev->quit_rc = rc;
}

/* ------------------------------------------------------------ timerfd */

int lx_timerfd_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static struct timespec ms_to_ts(uint64_t ms)
{
	return (struct timespec){.tv_sec = ms / 1000,
				 .tv_nsec = (long)(ms % 1000) * 1000000L};
}

int lx_timer_arm(int tfd, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = {0};

	if (first_ms) {
		its.it_value = ms_to_ts(first_ms);
		its.it_interval = ms_to_ts(interval_ms);
	}
	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

int lx_timer_arm_now(int tfd)
{
	/* it_value of zero would disarm: 1 ns is already past when we wait. */
	struct itimerspec its = {.it_value = {.tv_nsec = 1}};

	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

LX_IDLE_PATH int64_t lx_timer_read(int tfd)
{
	uint64_t n;
	ssize_t r = read(tfd, &n, sizeof(n));

	if (r == (ssize_t)sizeof(n))
		return (int64_t)n;
	if (r < 0 && errno == EAGAIN)
		return 0;
	return r < 0 ? -errno : -EIO;
}

/* ---------------------------------------------------------- signalfd */

int lx_signalfd_new(const sigset_t *mask)
{
	int fd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int lx_signalfd_drain(int sfd,
		      void (*fn)(const struct signalfd_siginfo *si, void *ud),
		      void *ud)
{
	struct signalfd_siginfo si[16];
	int count = 0;

	for (;;) {
		ssize_t r = read(sfd, si, sizeof(si));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return count;
			return -errno;
		}
		if (r == 0 || r % sizeof(si[0]))
			return -EIO;
		for (size_t i = 0; i < (size_t)r / sizeof(si[0]); i++) {
			if (fn)
				fn(&si[i], ud);
			count++;
		}
	}
}
