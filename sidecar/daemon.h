/* SPDX-License-Identifier: MIT */
/*
 * The resident sidecar: one epoll loop over the subsystem loops (rtnl with
 * its monitor, sysctl, cgroup), the target's pidfd, a signalfd and the
 * control socket. Exits (tearing down) when the target dies, on SIGTERM /
 * SIGINT, or on a "stop" request.
 */
#ifndef LX_DAEMON_H
#define LX_DAEMON_H

#include <stdbool.h>

#include "engine.h"
#include "evloop.h"
#include "loop.h"

struct lx_daemon;

struct lx_daemon_config {
	const char *desired_path; /* re-read on SIGHUP; NULL = none */
	bool log_stderr;          /* foreground: log lines to stderr */
	bool seccomp;             /* install the seccomp filter (sandbox.h) */
	int monitor_rcvbuf;       /* rtnl monitor receive buffer in bytes;
				     0 = the library's large default */
	bool pid_after_fork;      /* the hook: setup writes resident.json
				     only, the pid file comes with the
				     forked resident's lx_daemon_write_pid */
};

/*
 * Tuning and test knobs from the environment, read once at startup (before
 * lx_daemon_setup): LINX_SIDECAR_RCVBUF=BYTES sets monitor_rcvbuf. Not part
 * of the desired document (SPEC.md has no such option): a small buffer only
 * makes the monitor overflow sooner, which the loop answers with a full
 * resync, so it is for storm tests and hosts that must bound kernel memory.
 * An unparsable or out-of-range value is ignored.
 */
void lx_daemon_config_env(struct lx_daemon_config *cfg);

/*
 * Take over an opened engine (desired state set, first pass not yet run or
 * already run): create the state dir files (pid, control.sock, state.json),
 * subscribe the monitors and arm the timers. After this returns 0 the
 * sidecar is ready: the hook may exit.
 */
int lx_daemon_setup(struct lx_daemon **out, struct lx_engine *eng,
		    const struct lx_daemon_config *cfg, struct lx_error *err) LX_WUR;

/* Run until the target exits or a stop; tears down. Returns the exit code. */
int lx_daemon_run(struct lx_daemon *d);

void lx_daemon_free(struct lx_daemon *d);

/* The fds the daemon must keep when the hook detaches (for closing the rest). */
size_t lx_daemon_fds(const struct lx_daemon *d, int *fds, size_t max);

/* The first pass of every subsystem (trigger "initial"); 0 converged, 1 not. */
int lx_daemon_initial_pass(struct lx_daemon *d);
/* The report of the last passes, for printing (human form). */
void lx_daemon_print_report(struct lx_daemon *d, FILE *f);
/* (Re)write the pid file: the hook writes its resident child's. */
int lx_daemon_write_pid(struct lx_daemon *d, pid_t who);
/*
 * In the child of a fork after lx_daemon_setup (the hook's resident): take
 * the loop over from the parent, which must then leave without freeing the
 * daemon or closing the engine (that would take the fds out of the epoll
 * set both share, and remove the control socket).
 */
int lx_daemon_forked(struct lx_daemon *d, struct lx_error *err) LX_WUR;
/* Keep only CAP_NET_ADMIN, no_new_privs, the seccomp filter (once; a
 * failure is on record and the sidecar goes on converging). lx_daemon_run
 * does it first; the hook's child does it before the hook may exit. */
void lx_daemon_enter_sandbox(struct lx_daemon *d);
/* Tear down after a failed start: release, remove the state dir. */
void lx_daemon_abort(struct lx_daemon *d);

#endif
