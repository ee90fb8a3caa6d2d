/* SPDX-License-Identifier: MIT */
/*
 * `hook [createRuntime|poststop]`: the OCI hook (SPEC.md "Lifecycle of the
 * hook"). createRuntime: parse, check, first pass, then fork the resident
 * sidecar fully detached and exit 0 once it is ready. poststop: stop the
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
static int poststop(struct lx_cli *cli, const char *id)
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

/* Resident process: new session, stdio on /dev/null. */
static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	setsid();
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/*
 * The resident, in the forked child: detach, then build the event loop
 * here (an epoll set and a signalfd made before the fork would be woken
 * through the parent: SIGTERM would stay pending), run the first pass and
 * tell the hook through fd how the start went: "R" ready; "N" and the
 * report (require_converged, nothing left behind); "E", the error kind
 * and its message. Returns the resident's exit code.
 */
static int resident(struct lx_engine *e, const struct lx_daemon_config *cfg,
		    int fd)
{
	struct lx_daemon *dm = NULL;
	struct lx_error err;
	FILE *f;
	int code;

	detach_stdio();
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		lx_state_remove(&e->state);
		return LX_EXIT_NOT_CONVERGED;
	}
	lx_error_clear(&err);
	if (lx_daemon_setup(&dm, e, cfg, &err) < 0) {
		fprintf(f, "E%d%s", (int)err.kind, err.msg);
		fclose(f);
		lx_state_remove(&e->state);
		return lx_exit_code(&err);
	}
	if (lx_daemon_initial_pass(dm) != 0 &&
	    e->desired.opts.require_converged) {
		/* The container must not start half-configured. */
		fputc('N', f);
		lx_daemon_print_report(dm, f);
		fclose(f);
		lx_daemon_abort(dm);
		lx_daemon_free(dm);
		return LX_EXIT_NOT_CONVERGED;
	}
	fputc('R', f);
	fclose(f); /* the hook exits now: runc waits for nothing of ours */
	code = lx_daemon_run(dm);
	lx_daemon_free(dm);
	return code;
}

/*
 * Fork the resident and wait until it says how its start went (see
 * resident()). The child returns its own exit code from here, when it
 * ends; the parent returns the hook's. Both then leave through main.
 */
static int spawn_resident(struct lx_engine *e,
			  const struct lx_daemon_config *cfg)
{
	char msg[LX_ERROR_MAX + 2];
	struct lx_error err;
	size_t n = 0;
	pid_t pid;
	int pfd[2];

	lx_error_clear(&err);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		lx_error_set(&err, LX_ERR_SYSTEM, errno, "pipe");
		return fail(&err);
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		return resident(e, cfg, pfd[1]);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		lx_error_set(&err, LX_ERR_SYSTEM, errno, "fork");
		return fail(&err);
	}
	for (;;) {
		ssize_t r = read(pfd[0], msg + n, sizeof(msg) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (n += (size_t)r) == sizeof(msg) - 1)
			break;
	}
	close(pfd[0]);
	msg[n] = '\0';
	if (n > 0 && msg[0] == 'R')
		return LX_EXIT_OK;
	(void)waitpid(pid, NULL, 0); /* it gave up: reap it */
	if (n > 0 && msg[0] == 'N') {
		fprintf(stderr, "linx-sidecar: %s: not converged:\n%s", e->id,
			msg + 1);
		return LX_EXIT_NOT_CONVERGED;
	}
	if (n > 1 && msg[0] == 'E')
		lx_error_set(&err, (enum lx_error_kind)(msg[1] - '0'), 0,
			     "%s", msg + 2);
	else
		lx_error_set(&err, LX_ERR_SYSTEM, 0,
			     "the resident sidecar failed to start");
	return fail(&err);
}

static int create_runtime(struct lx_cli *cli, struct lx_oci_state *st)
{
	struct lx_desired d = {0};
	struct lx_engine e;
	struct lx_daemon_config cfg = {.seccomp = lx_sandbox_seccomp_wanted()};
	struct lx_engine_target t = {
	    .pid = st->pid,
	    .cgroup = cli->cgroup,
	    .id = st->id,
	    .state_dir = cli->state_dir,
	    .create_state = true,
	};
	_cleanup_json_ json_t *bundle_ann = NULL;
	const json_t *ann = st->annotations;
	struct lx_error err;
	bool present = false;
	int code;

	lx_error_clear(&err);
	lx_daemon_config_env(&cfg);
	if (!ann || json_object_size(ann) == 0) {
		/* Some runtimes pass annotations only in config.json. */
		if (lx_oci_bundle_annotations(st, &bundle_ann, &err) < 0)
			return fail(&err);
		ann = bundle_ann;
	}
	if (lx_annotations_to_desired(ann, &d, &present, &err) < 0)
		return fail(&err);
	if (!present)
		return LX_EXIT_OK; /* not ours: costs nothing */
	if (st->pid <= 0) {
		lx_desired_free(&d);
		lx_error_set(&err, LX_ERR_INVALID, 0,
			     "OCI state: member \"pid\" missing: "
			     "createRuntime needs the container's init pid");
		return fail(&err);
	}
	code = lx_engine_bringup(&e, &t, &cli->policy, &d, NULL, &err);
	lx_desired_free(&d);
	if (code < 0)
		return fail(&err);
	/* The pod's namespace and name, for list and status (display only). */
	(void)lx_meta_write(&e.state, ann);
	code = spawn_resident(&e, &cfg);
	lx_engine_close(&e);
	return code;
}

int cmd_hook(struct lx_cli *cli)
{
	_cleanup_free_ char *buf = NULL;
	struct lx_oci_state st;
	struct lx_error err;
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
		code = create_runtime(cli, &st);
	lx_oci_state_free(&st);
	return code;
}
