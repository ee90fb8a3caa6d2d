/* SPDX-License-Identifier: MIT */
/* `run` / `--pid N --desired FILE`: the resident sidecar in the foreground. */
#include <errno.h>
#include <stdio.h>

#include "commands.h"
#include "daemon.h"
#include "sandbox.h"
#include "desired.h"

int cmd_run(struct lx_cli *cli)
{
	struct lx_engine e;
	struct lx_desired d = { 0 };
	struct lx_daemon *dm = NULL;
	struct lx_engine_target t = {
		.pid = cli->pid,
		.netns = cli->netns,
		.cgroup = cli->cgroup,
		.id = cli->id,
		.state_dir = cli->state_dir,
		.create_state = true,
	};
	struct lx_daemon_config cfg = { .desired_path = cli->desired,
					.log_stderr = true,
					.seccomp = lx_sandbox_seccomp_wanted() };
	struct lx_error err;
	int r;

	lx_error_clear(&err);
	lx_daemon_config_env(&cfg);
	if (!!cli->pid == !!cli->netns || !cli->desired) {
		lx_error_set(&err, LX_ERR_USAGE, 0,
			     "run: (--pid N | --netns PATH) and --desired FILE are required");
		goto fail;
	}
	/* Everything that can refuse runs before anything is applied. */
	if (lx_desired_from_file(cli->desired, &d, &err) < 0)
		goto fail;
	/* A restarted sidecar knows what it owns from state.json. */
	if (lx_engine_bringup(&e, &t, &cli->policy, &d, NULL, &err) < 0)
		goto fail;
	lx_desired_free(&d);
	if (lx_daemon_setup(&dm, &e, &cfg, &err) < 0)
		goto fail_engine;
	lx_daemon_initial_pass(dm);
	lx_daemon_print_report(dm, stderr);
	r = lx_daemon_run(dm);
	lx_daemon_free(dm);
	lx_engine_close(&e);
	return r;

fail_engine:
	lx_engine_discard_state(&e); /* a failed start leaves nothing */
	lx_engine_close(&e);
fail:
	lx_desired_free(&d);
	lx_print_error(&err);
	return lx_exit_code(&err);
}
