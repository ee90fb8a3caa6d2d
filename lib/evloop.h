/* SPDX-License-Identifier: MIT */
/*
 * A small epoll event loop. One struct lx_evloop owns the epoll fd; every
 * source is {fd, events, callback, userdata}. No global state: several loops
 * may live in one process (one per thread at most: nothing here locks).
 *
 * Ownership: the loop never closes a registered fd; whoever added it closes
 * it, after (or while) removing it with lx_evloop_del().
 *
 * Re-entrancy: from inside a callback it is safe to add, modify or delete any
 * source, including the one being dispatched and ones whose events are
 * already pending in the same epoll_wait batch (a deleted source's pending
 * event is dropped; a fd closed, reopened with the same number and re-added
 * in the same batch does not receive the old fd's event). It is NOT safe to
 * call lx_evloop_free() or a nested lx_evloop_run*() from a callback.
 */
#ifndef LX_EVLOOP_H
#define LX_EVLOOP_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "cleanup.h"
#include "error.h"

struct lx_evloop;

/*
 * Called with the epoll revents of fd. Return 0 to go on; a negative value
 * stops the loop: lx_evloop_run() / lx_evloop_run_once() return it.
 */
typedef int (*lx_ev_cb)(struct lx_evloop *ev, int fd, uint32_t revents,
			void *userdata);

int lx_evloop_new(struct lx_evloop **out, struct lx_error *err) LX_WUR;

/* Frees the loop and its epoll fd; registered fds are not closed. NULL-safe. */
void lx_evloop_free(struct lx_evloop *ev);

static inline void lx_evloop_freep(struct lx_evloop **ev)
{
	lx_evloop_free(*ev);
}
#define _cleanup_evloop_ _cleanup_(lx_evloop_freep)

/*
 * The code an idle resident runs after it gives its text back
 * (sidecar/idle.c) and until its next event: the loop's wait and dispatch,
 * the trim. In a section of its own, whose pages (__start_lx_idle to
 * __stop_lx_idle) are kept: a page fault there would map 64 KiB around it
 * back (the kernel's fault-around).
 */
#define LX_IDLE_PATH __attribute__((section("lx_idle")))

/*
 * Register fd for events (EPOLLIN, EPOLLOUT...; level-triggered unless
 * EPOLLET is given). -EEXIST if fd is already registered.
 */
int lx_evloop_add(struct lx_evloop *ev, int fd, uint32_t events, lx_ev_cb cb,
		  void *userdata, struct lx_error *err) LX_WUR;

/* Change the events of a registered fd. -ENOENT if not registered. */
int lx_evloop_mod(struct lx_evloop *ev, int fd, uint32_t events,
		  struct lx_error *err) LX_WUR;

/*
 * Unregister fd (does not close it). Safe from any callback, see above.
 * -ENOENT if not registered. Delete before closing: epoll forgets a closed
 * fd only when no other reference to its file remains (a dup, a child).
 */
int lx_evloop_del(struct lx_evloop *ev, int fd, struct lx_error *err);

/*
 * Wait at most timeout_ms (-1 = forever, 0 = poll) and dispatch one batch.
 * Returns the number of callbacks run (0 on timeout or EINTR), the negative
 * value a callback returned (the rest of the batch is left for the next
 * call), or -errno if epoll_wait failed. Stops dispatching the batch when
 * lx_evloop_quit() is called from a callback.
 */
int lx_evloop_run_once(struct lx_evloop *ev, int timeout_ms);

/*
 * Dispatch until lx_evloop_quit() (returns its rc) or a callback returns < 0
 * (returns that). The quit request is consumed: the loop can be run again.
 */
int lx_evloop_run(struct lx_evloop *ev);

/* Ask lx_evloop_run() to return rc after the current callback. */
void lx_evloop_quit(struct lx_evloop *ev, int rc);

/* Number of registered sources (for tests and status). */
size_t lx_evloop_count(const struct lx_evloop *ev);

/* ------------------------------------------------------------ timerfd */

/* A CLOCK_MONOTONIC timerfd, non-blocking, close-on-exec. fd or -errno. */
int lx_timerfd_new(void);

/*
 * Arm tfd: first expiry after first_ms, then every interval_ms (0 = one-shot).
 * first_ms == 0 disarms (and clears any expiry not yet read). 0 or -errno.
 */
int lx_timer_arm(int tfd, uint64_t first_ms, uint64_t interval_ms);

/* Arm tfd to expire at once: it becomes readable on the next loop turn. */
int lx_timer_arm_now(int tfd);

/*
 * Drain tfd: read the expiry counter. Returns the number of expiries (0 when
 * nothing was pending, e.g. the timer was re-armed after epoll_wait reported
 * it), or -errno. Callbacks must call this, or the fd stays readable.
 */
int64_t lx_timer_read(int tfd);

/* ---------------------------------------------------------- signalfd */

/*
 * A non-blocking, close-on-exec signalfd for mask. The caller blocks the
 * signals (sigprocmask) first. fd or -errno.
 */
int lx_signalfd_new(const sigset_t *mask);

/*
 * Drain sfd fully: read every pending siginfo, calling fn (may be NULL) for
 * each. Returns the number read, or -errno.
 */
int lx_signalfd_drain(int sfd,
		      void (*fn)(const struct signalfd_siginfo *si, void *ud),
		      void *ud);

#endif
