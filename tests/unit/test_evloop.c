/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

struct rec {
	int calls;
	int fd_seen;
	uint32_t revents;
	/* what the callback does */
	struct lx_evloop *ev;
	int del_fd;	  /* delete this fd (and close it) when called */
	int *reopen_into; /* then open a new pipe whose read end reuses it */
	struct rec *reopen_rec;
	int ret;
	int quit_rc;
	bool quit;
};

static int rec_cb(struct lx_evloop *ev, int fd, uint32_t revents, void *ud)
{
	struct rec *r = ud;

	r->calls++;
	r->fd_seen = fd;
	r->revents = revents;
	if (r->del_fd >= 0) {
		cr_assert_eq(lx_evloop_del(ev, r->del_fd, NULL), 0);
		close(r->del_fd);
		if (r->reopen_into) {
			int p[2];

			cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
			/* lowest free number: the one just closed */
			cr_assert_eq(p[0], r->del_fd);
			*r->reopen_into = p[1];
			cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb,
						   r->reopen_rec, NULL),
				     0);
		}
		r->del_fd = -1;
	}
	if (r->quit)
		lx_evloop_quit(ev, r->quit_rc);
	return r->ret;
}

static void readable_pipe(int p[2])
{
	cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
}

static struct lx_evloop *new_loop(void)
{
	struct lx_evloop *ev = NULL;
	struct lx_error err = {0};

	cr_assert_eq(lx_evloop_new(&ev, &err), 0, "%s", err.msg);
	return ev;
}

Test(evloop, dispatches_readable_fd_to_its_callback_with_userdata)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	struct rec r = {.del_fd = -1};
	int p[2];

	readable_pipe(p);
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, NULL), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 100), 1);
	cr_assert_eq(r.calls, 1);
	cr_assert_eq(r.fd_seen, p[0]);
	cr_assert(r.revents & EPOLLIN);
	close(p[0]);
	close(p[1]);
}

Test(evloop, idle_loop_times_out_without_dispatching)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	struct rec r = {.del_fd = -1};
	int p[2];

	cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, NULL), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 30), 0);
	cr_assert_eq(r.calls, 0);
	close(p[0]);
	close(p[1]);
}

/*
 * Both fds are readable in one epoll_wait batch; whichever callback runs
 * first deletes and closes the other. The other's pending event must be
 * dropped, not dispatched to freed memory.
 */
Test(evloop, del_from_callback_drops_the_pending_event_of_that_fd)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	int a[2], b[2];
	struct rec ra = {.del_fd = -1}, rb = {.del_fd = -1};

	readable_pipe(a);
	readable_pipe(b);
	ra.del_fd = b[0];
	rb.del_fd = a[0];
	cr_assert_eq(lx_evloop_add(ev, a[0], EPOLLIN, rec_cb, &ra, NULL), 0);
	cr_assert_eq(lx_evloop_add(ev, b[0], EPOLLIN, rec_cb, &rb, NULL), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 100), 1);
	cr_assert_eq(ra.calls + rb.calls, 1);
	cr_assert_eq(lx_evloop_count(ev), 1);
	close(a[1]);
	close(b[1]);
	close(ra.calls ? a[0] : b[0]);
}

/*
 * The first callback closes the other fd and opens a new pipe that gets the
 * same fd number, registered with another callback. The stale event of the
 * old fd must reach neither callback.
 */
Test(evloop, fd_number_reused_in_same_batch_does_not_get_the_old_event)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	int a[2], b[2], new_w = -1;
	struct rec ra = {.del_fd = -1}, rb = {.del_fd = -1},
		   rnew = {.del_fd = -1};

	readable_pipe(a);
	readable_pipe(b);
	/* Only a's callback acts; b is higher so it is the one reused. */
	ra.del_fd = b[0];
	ra.reopen_into = &new_w;
	ra.reopen_rec = &rnew;
	cr_assert_eq(lx_evloop_add(ev, a[0], EPOLLIN, rec_cb, &ra, NULL), 0);
	cr_assert_eq(lx_evloop_add(ev, b[0], EPOLLIN, rec_cb, &rb, NULL), 0);
	/* Either order: if b runs first a still runs after it. */
	cr_assert_geq(lx_evloop_run_once(ev, 100), 1);
	cr_assert_eq(ra.calls, 1);
	cr_assert_eq(rb.calls, 0, "batch order is add order: a first");
	cr_assert_eq(rnew.calls, 0, "new source got the old fd's event");
	/* The new source works once it really is readable. */
	cr_assert_eq(write(new_w, "y", 1), 1);
	char c;
	cr_assert_eq(read(a[0], &c, 1), 1); /* quiet a */
	cr_assert_eq(lx_evloop_run_once(ev, 100), 1);
	cr_assert_eq(rnew.calls, 1);
	cr_assert_eq(rnew.fd_seen, b[0]);
	lx_evloop_del(ev, a[0], NULL);
	lx_evloop_del(ev, b[0], NULL);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(new_w);
}

Test(evloop, callback_may_delete_itself)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	int p[2];
	struct rec r = {.del_fd = -1};

	readable_pipe(p);
	r.del_fd = p[0];
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, NULL), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 100), 1);
	cr_assert_eq(lx_evloop_count(ev), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 10), 0);
	cr_assert_eq(r.calls, 1);
	close(p[1]);
}

Test(evloop, negative_callback_return_stops_run_with_that_value)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	int p[2];
	struct rec r = {.del_fd = -1, .ret = -ECANCELED};

	readable_pipe(p);
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, NULL), 0);
	cr_assert_eq(lx_evloop_run(ev), -ECANCELED);
	cr_assert_eq(r.calls, 1);
	close(p[0]);
	close(p[1]);
}

Test(evloop, quit_makes_run_return_its_rc_and_can_run_again)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	int p[2];
	struct rec r = {.del_fd = -1, .quit = true, .quit_rc = 7};

	readable_pipe(p);
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, NULL), 0);
	cr_assert_eq(lx_evloop_run(ev), 7);
	r.quit_rc = 9;
	cr_assert_eq(lx_evloop_run(ev), 9);
	cr_assert_eq(r.calls, 2);
	close(p[0]);
	close(p[1]);
}

Test(evloop, add_twice_is_eexist_and_unknown_fd_is_enoent)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	struct lx_error err = {0};
	struct rec r = {.del_fd = -1};
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, &err), 0);
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, &err),
		     -EEXIST);
	cr_assert(strstr(err.msg, "EEXIST"), "%s", err.msg);
	cr_assert_eq(lx_evloop_mod(ev, p[1], EPOLLOUT, NULL), -ENOENT);
	cr_assert_eq(lx_evloop_del(ev, p[1], NULL), -ENOENT);
	cr_assert_eq(lx_evloop_del(ev, p[0], NULL), 0);
	cr_assert_eq(lx_evloop_del(ev, p[0], NULL), -ENOENT);
	close(p[0]);
	close(p[1]);
}

Test(evloop, mod_changes_the_events_watched)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	struct rec r = {.del_fd = -1};
	int p[2];

	cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	/* write end: never readable, always writable */
	cr_assert_eq(lx_evloop_add(ev, p[1], EPOLLIN, rec_cb, &r, NULL), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 10), 0);
	cr_assert_eq(lx_evloop_mod(ev, p[1], EPOLLOUT, NULL), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 100), 1);
	cr_assert(r.revents & EPOLLOUT);
	close(p[0]);
	close(p[1]);
}

Test(evloop, free_does_not_close_registered_fds)
{
	struct lx_evloop *ev = new_loop();
	struct rec r = {.del_fd = -1};
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(lx_evloop_add(ev, p[0], EPOLLIN, rec_cb, &r, NULL), 0);
	lx_evloop_free(ev);
	cr_assert_neq(fcntl(p[0], F_GETFD), -1);
	close(p[0]);
	close(p[1]);
}

static int timer_cb(struct lx_evloop *ev, int fd, uint32_t revents, void *ud)
{
	int64_t *total = ud;
	int64_t n = lx_timer_read(fd);

	(void)ev;
	(void)revents;
	cr_assert_geq(n, 0);
	*total += n;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(evloop, one_shot_timer_fires_once_after_its_delay)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	_cleanup_close_ int tfd = lx_timerfd_new();
	int64_t total = 0;
	uint64_t t0 = now_ms();

	cr_assert_geq(tfd, 0);
	cr_assert_eq(lx_evloop_add(ev, tfd, EPOLLIN, timer_cb, &total, NULL),
		     0);
	cr_assert_eq(lx_timer_arm(tfd, 30, 0), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 500), 1);
	cr_assert_geq(now_ms() - t0, 29);
	cr_assert_eq(total, 1);
	cr_assert_eq(lx_evloop_run_once(ev, 60), 0, "one-shot fired again");
}

/* The callback reads the counter, so the fd is quiet afterwards. */
Test(evloop, periodic_timer_expiries_are_drained_in_one_read)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	_cleanup_close_ int tfd = lx_timerfd_new();
	int64_t total = 0;

	cr_assert_eq(lx_evloop_add(ev, tfd, EPOLLIN, timer_cb, &total, NULL),
		     0);
	cr_assert_eq(lx_timer_arm(tfd, 5, 5), 0);
	usleep(40 * 1000);
	cr_assert_eq(lx_evloop_run_once(ev, 0), 1);
	cr_assert_geq(total, 5);
	/* drained: not readable until the next period */
	cr_assert_eq(lx_evloop_run_once(ev, 0), 0);
	cr_assert_eq(lx_timer_arm(tfd, 0, 0), 0);
}

Test(evloop, arming_with_zero_disarms_and_clears_pending_expiry)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	_cleanup_close_ int tfd = lx_timerfd_new();
	int64_t total = 0;

	cr_assert_eq(lx_evloop_add(ev, tfd, EPOLLIN, timer_cb, &total, NULL),
		     0);
	cr_assert_eq(lx_timer_arm(tfd, 1, 0), 0);
	usleep(5 * 1000);
	cr_assert_eq(lx_timer_arm(tfd, 0, 0), 0);
	cr_assert_eq(lx_timer_read(tfd), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 30), 0);
	cr_assert_eq(total, 0);
}

Test(evloop, arm_now_fires_on_the_next_turn)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	_cleanup_close_ int tfd = lx_timerfd_new();
	int64_t total = 0;

	cr_assert_eq(lx_evloop_add(ev, tfd, EPOLLIN, timer_cb, &total, NULL),
		     0);
	cr_assert_eq(lx_timer_arm_now(tfd), 0);
	cr_assert_eq(lx_evloop_run_once(ev, 0), 1);
	cr_assert_eq(total, 1);
}

static void count_sig(const struct signalfd_siginfo *si, void *ud)
{
	uint32_t *mask = ud;

	*mask |= 1u << si->ssi_signo;
}

static int sig_cb(struct lx_evloop *ev, int fd, uint32_t revents, void *ud)
{
	(void)ev;
	(void)revents;
	cr_assert_eq(lx_signalfd_drain(fd, count_sig, ud), 2);
	return 0;
}

Test(evloop, signalfd_callback_drains_every_pending_signal)
{
	_cleanup_evloop_ struct lx_evloop *ev = new_loop();
	sigset_t mask;
	uint32_t seen = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
	_cleanup_close_ int sfd = lx_signalfd_new(&mask);
	cr_assert_geq(sfd, 0);
	cr_assert_eq(lx_evloop_add(ev, sfd, EPOLLIN, sig_cb, &seen, NULL), 0);
	raise(SIGUSR1);
	raise(SIGUSR2);
	cr_assert_eq(lx_evloop_run_once(ev, 100), 1);
	cr_assert_eq(seen, (1u << SIGUSR1) | (1u << SIGUSR2));
	cr_assert_eq(lx_evloop_run_once(ev, 0), 0, "signalfd still readable");
}
