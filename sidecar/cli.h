/* SPDX-License-Identifier: MIT */
/* Command-line options shared by every subcommand. */
#ifndef LX_CLI_H
#define LX_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"
#include "policy.h"

#define LX_DEFAULT_STATE_DIR "/run/linx-sidecar"

/* Exit codes (SPEC.md "Command line"). */
enum {
	LX_EXIT_OK = 0,
	LX_EXIT_NOT_CONVERGED = 1,
	LX_EXIT_USAGE = 2,
	LX_EXIT_INVALID = 3,
	LX_EXIT_NOTFOUND = 4,
	LX_EXIT_POLICY = 5,
};

struct lx_cli {
	const char *cmd;
	pid_t pid;             /* --pid, 0 = none */
	const char *netns;     /* --netns PATH */
	const char *desired;   /* --desired FILE ("-" = stdin) */
	bool desired_flag;     /* `observe --desired`: no FILE */
	const char *cgroup;    /* --cgroup PATH (a cgroup v2 directory) */
	const char *state_dir; /* --state-dir */
	const char *id;        /* --id, or the positional ID of client commands */
	const char *stage;     /* hook: createRuntime|poststop */
	bool json;
	bool follow;           /* events --follow */
	const char *output;    /* metrics --output FILE */
	bool foreground;       /* run: stay in the foreground (always, for now) */
	struct lx_policy policy;
	char **args;           /* positional arguments after the command */
	int n_args;
};

/*
 * Parse argv. Options may come before or after positional arguments.
 * Returns 0, 1 for --help (cli->cmd: the word it is about, or NULL), 2 for
 * --version, or -EINVAL with err set (usage).
 */
int lx_cli_parse(int argc, char **argv, struct lx_cli *cli,
		 struct lx_error *err);
void lx_cli_free(struct lx_cli *cli);

/* Map an error kind to the exit code. */
int lx_exit_code(const struct lx_error *err);

/* Print every line of err to stderr, prefixed "linx-sidecar: ". */
void lx_print_error(const struct lx_error *err);

#endif
