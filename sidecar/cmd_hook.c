/* SPDX-License-Identifier: MIT */
/*
 * `hook [createRuntime|poststop]`: the OCI hook (SPEC.md "Lifecycle of the
 * hook"). createRuntime: parse, check, set the resident up (monitors,
 * state dir, control socket), first pass, then fork the resident sidecar
 * fully detached and exit 0. poststop: stop the
 * sidecar of that container and remove its state, idempotently.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "annotations.h"
#include "residents.h"
#include "commands.h"
#include "control.h"
#include "daemon.h"
#include "sandbox.h"
#include "oci_state.h"


static int fail(struct lx_error *err)
{
	lx_print_error(err);
	return lx_exit_code(err);
}

/* Read stdin, at most LX_OCI_STATE_MAX bytes. */
static int read_state(char **out, size_t *len, struct lx_error *err)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "stdin");
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *b;

			if (cap > LX_OCI_STATE_MAX) {
				free(buf);
				return lx_error_set(err, LX_ERR_INVALID, 0,
						    "OCI state on stdin: larger than %d bytes",
						    LX_OCI_STATE_MAX);
			}
			cap *= 2;
			b = realloc(buf, cap + 1);
			if (!b) {
				free(buf);
				return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
						    "stdin");
			}
			buf = b;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return lx_error_set(err, LX_ERR_INVALID, e,
					    "OCI state on stdin");
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > LX_OCI_STATE_MAX) {
		free(buf);
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "OCI state on stdin: larger than %d bytes",
				    LX_OCI_STATE_MAX);
	}
	*out = buf;
	*len = n;
	return 0;
}

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Wait up to ms for the pidfd's process to exit. */
static bool wait_pidfd(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

/*
 * poststop: stop the resident sidecar (if any) and remove its state. Only a
 * process proven to be this id's resident is ever signalled: the control
 * socket answering (only the resident listens there, in a directory only
 * root can write), or a pidfd whose process matches the identity recorded
 * at start (resident.json: start time, boot id, executable). A pid file
 * left by a resident killed with -9, whose pid now names someone else,
 * proves nothing: the state is removed and nobody is signalled.
 */
/* Not inlined: its frame (12 KiB) would sit above a resident's loop. */
static __attribute__((noinline)) int poststop(struct lx_cli *cli,
					      const char *id)
{
	json_t *reply = NULL, *req;
	struct lx_error err;
	struct lx_state st;
	_cleanup_close_ int pidfd = -1;
	int r;

	lx_error_clear(&err);
	if (!lx_state_exists(cli->state_dir, id))
		return LX_EXIT_OK;
	r = lx_state_open(&st, cli->state_dir, id, false, &err);
	if (r < 0)
		return err.kind == LX_ERR_NOTFOUND ? LX_EXIT_OK : fail(&err);
	pidfd = lx_state_resident_pidfd(st.dirfd, NULL, NULL);
	req = json_pack("{s:s}", "cmd", "stop");
	r = lx_control_call(cli->state_dir, id, req, &reply, 2000, &err);
	json_decref(req);
	json_decref(reply);
	if (r < 0 && pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	/* The sidecar removes its own state dir on the way out; wait for it
	 * to be gone (bounded), then make sure nothing is left. */
	if (pidfd >= 0)
		wait_pidfd(pidfd, 3000);
	else if (r == 0)
		for (int i = 0; i < 300 && lx_state_exists(cli->state_dir, id);
		     i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	lx_state_remove(&st);
	return LX_EXIT_OK;
}

/*
 * Resident process: new session, stdio on /dev/null (fd, opened by the
 * hook before the fork: not a path walk on the way to the sandbox).
 * Raw syscalls, as lx_sandbox_enter's: a libc function the hook never
 * called is bound lazily on its first call, and in a fresh child that
 * faults in ld.so's resolver and libc's symbol tables (12-14 page
 * faults) while the hook waits for the sandbox. dup3 of fd onto itself
 * is refused and changes nothing, as dup2 would change nothing.
 */
static void detach_stdio(int fd)
{
	(void)syscall(SYS_setsid);
	if (fd >= 0) {
		(void)syscall(SYS_dup3, fd, STDIN_FILENO, 0);
		(void)syscall(SYS_dup3, fd, STDOUT_FILENO, 0);
		(void)syscall(SYS_dup3, fd, STDERR_FILENO, 0);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/*
 * What the hook hands its resident child: the parent leaves without
 * freeing it (lx_daemon_forked), and a static keeps it reachable for leak
 * checkers until then.
 */
static struct {
	struct lx_engine e;
	struct lx_daemon *dm;
} hand_over;

/*
 * The resident, in the forked child: detach, take the loop over, run.
 * From here to the loop, every frame stays on the stack for the
 * resident's life, dirty: one struct lx_error (8 KiB) is shared by all of
 * them, cmd_hook's (static, off the stack).
 */
static int resident(struct lx_daemon *dm, int ready, int devnull,
		    struct lx_error *err)
{
	int code;

	detach_stdio(devnull);
	/* Sandboxed before the hook returns: whoever looks at the resident
	 * once the container starts finds it confined. */
	lx_daemon_enter_sandbox(dm);
	(void)!write(ready, "S", 1);
	close(ready);
	/* Its own signalfd, once the hook is let go (the filter allows it):
	 * the signals stay blocked meanwhile, a SIGTERM sent in between is
	 * pending and the new signalfd reads it. */
	lx_error_clear(err);
	if (lx_daemon_forked(dm, err) < 0) {
		/* Cannot hear SIGTERM: the pidfd and "stop" still end it. */
		lx_state_event(&hand_over.e.state, "error",
			       json_pack("{s:s}", "error", err->msg));
	}
	code = lx_daemon_run(dm);
	lx_daemon_free(dm);
	lx_engine_close(&hand_over.e);
	return code;
}

/*
 * The hook's process did the whole start (monitors subscribed, state dir
 * written, control socket listening, first pass): fork the resident,
 * which inherits all of it, and give it the pid file. The hook then exits
 * as soon as the child is in its sandbox (the pipe's "S"): nothing else
 * it waits for runs in the child. The child returns its
 * own exit code from here, when it ends; the parent returns the hook's.
 * Both then leave through main.
 */
static int spawn_resident(struct lx_daemon *dm, struct lx_error *err)
{
	pid_t pid;
	int r, ready[2], devnull;
	char c;
	ssize_t n;

	fflush(NULL);
	if (pipe2(ready, O_CLOEXEC) < 0) {
		lx_error_set(err, LX_ERR_SYSTEM, errno, "pipe");
		goto abort;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		return resident(dm, ready[1], devnull, err);
	}
	close(ready[1]);
	if (devnull >= 0)
		close(devnull);
	if (pid < 0) {
		lx_error_set(err, LX_ERR_SYSTEM, errno, "fork");
		close(ready[0]);
		goto abort;
	}
	r = lx_daemon_write_pid(dm, pid);
	/* The child's sandbox (its "S"), meanwhile; EOF: it died first. */
	do
		n = read(ready[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(ready[0]);
	if (r == 0 && n == 1)
		return LX_EXIT_OK;
	if (r < 0)
		lx_error_set(err, LX_ERR_SYSTEM, -r, "%s/%s",
			     hand_over.e.state.path,
			     lx_state_file_name(LX_STATE_PID));
	else
		lx_error_set(err, LX_ERR_SYSTEM, 0,
			     "the resident (pid %d) exited as it started",
			     (int)pid);
	/* No resident without its pid file: nothing may outlive a refused
	 * start. */
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
abort:
	lx_daemon_abort(dm);
	lx_daemon_free(dm);
	lx_engine_close(&hand_over.e);
	return fail(err);
}

/* Set the resident up and run its first pass here, in the hook's process
 * (the container must not start half-configured), then fork it. */
static int start_resident(const struct lx_daemon_config *cfg,
			  struct lx_error *err)
{
	struct lx_engine *e = &hand_over.e;

	if (lx_daemon_setup(&hand_over.dm, e, cfg, err) < 0) {
		lx_engine_discard_state(e); /* a failed start leaves nothing */
		lx_engine_close(e);
		return fail(err);
	}
	if (lx_daemon_initial_pass(hand_over.dm) != 0 &&
	    e->desired.opts.require_converged) {
		fprintf(stderr, "linx-sidecar: %s: not converged:\n", e->id);
		lx_daemon_print_report(hand_over.dm, stderr);
		lx_daemon_abort(hand_over.dm);
		lx_daemon_free(hand_over.dm);
		lx_engine_close(e);
		return LX_EXIT_NOT_CONVERGED;
	}
	return spawn_resident(hand_over.dm, err);
}

static int create_runtime(struct lx_cli *cli, struct lx_oci_state *st,
			  struct lx_error *err)
{
	struct lx_desired d = {0};
	struct lx_daemon_config cfg = {.seccomp = lx_sandbox_seccomp_wanted(),
				       .pid_after_fork = true};
	struct lx_engine_target t = {
	    .pid = st->pid,
	    .cgroup = cli->cgroup,
	    .id = st->id,
	    .state_dir = cli->state_dir,
	    .create_state = true,
	};
	_cleanup_json_ json_t *bundle_ann = NULL;
	const json_t *ann = st->annotations;
	bool present = false;
	int code;

	lx_error_clear(err);
	lx_daemon_config_env(&cfg);
	if (!ann || json_object_size(ann) == 0) {
		/* Some runtimes pass annotations only in config.json. */
		if (lx_oci_bundle_annotations(st, &bundle_ann, err) < 0)
			return fail(err);
		ann = bundle_ann;
	}
	if (lx_annotations_to_desired(ann, &d, &present, err) < 0)
		return fail(err);
	if (!present)
		return LX_EXIT_OK; /* not ours: costs nothing */
	if (st->pid <= 0) {
		lx_desired_free(&d);
		lx_error_set(err, LX_ERR_INVALID, 0,
			     "OCI state: member \"pid\" missing: "
			     "createRuntime needs the container's init pid");
		return fail(err);
	}
	code = lx_engine_bringup(&hand_over.e, &t, &cli->policy, &d, NULL,
				 err);
	lx_desired_free(&d);
	if (code < 0)
		return fail(err);
	/* The pod's namespace and name, for list and status (display only). */
	(void)lx_meta_write(&hand_over.e.state, ann);
	return start_resident(&cfg, err);
}

int cmd_hook(struct lx_cli *cli)
{
	_cleanup_free_ char *buf = NULL;
	struct lx_oci_state st;
	/* The resident's one error record (resident()): static, so its 8 KiB
	 * are not stack pages above the loop, dirty for the resident's life;
	 * in the data segment only the pages written count. */
	static struct lx_error err;
	const char *stage = cli->n_args > 0 ? cli->args[0] : NULL;
	size_t len = 0;
	int code;

	/* The runtime's fds are none of our business; only stdio is kept. */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	lx_error_clear(&err);
	if (cli->n_args > 1 ||
	    (stage && strcmp(stage, "createRuntime") && strcmp(stage, "poststop"))) {
		lx_error_set(&err, LX_ERR_USAGE, 0,
			     "hook: stage must be createRuntime or poststop, not \"%s\"",
			     stage ? stage : "");
		return fail(&err);
	}
	if (read_state(&buf, &len, &err) < 0)
		return fail(&err);
	if (lx_oci_state_parse(buf, len, &st, &err) < 0)
		return fail(&err);
	if (!stage)
		stage = st.status && strcmp(st.status, "stopped") == 0
				? "poststop"
				: "createRuntime";
	if (strcmp(stage, "poststop") == 0)
		code = poststop(cli, st.id);
	else
		code = create_runtime(cli, &st, &err);
	lx_oci_state_free(&st);
	return code;
}
