/* SPDX-License-Identifier: MIT */
/*
 * linx-sidecar: keeps a container's network state and cgroup limits
 * converged on what its owner declared. main() parses the command line,
 * dispatches to one command function and returns its exit code; nothing
 * below main() exits.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "version.h"

static const struct {
	const char *name;
	int (*fn)(struct lx_cli *cli);
} table[] = {
	{ "hook", cmd_hook },	{ "run", cmd_run },
	{ "reconcile", cmd_reconcile }, { "plan", cmd_plan },
	{ "observe", cmd_observe }, { "status", cmd_status },
	{ "stop", cmd_stop },	{ "put", cmd_put },
	{ "list", cmd_list },	{ "events", cmd_events },
	{ "metrics", cmd_metrics },
};

int main(int argc, char **argv)
{
	struct lx_cli cli;
	struct lx_error err;
	int r;

	lx_error_clear(&err);
	r = lx_cli_parse(argc, argv, &cli, &err);
	if (r == 2) {
		puts(lx_version_string());
		lx_cli_free(&cli);
		return LX_EXIT_OK;
	}
	if (r == 1) {
		/* --help stops parsing: the command may still be an argument. */
		lx_usage(stdout, cli.cmd ? cli.cmd
				 : cli.n_args ? cli.args[0]
					      : NULL);
		lx_cli_free(&cli);
		return LX_EXIT_OK;
	}
	if (r < 0) {
		lx_print_error(&err);
		fprintf(stderr, "linx-sidecar: see 'linx-sidecar --help'\n");
		lx_cli_free(&cli);
		return LX_EXIT_USAGE;
	}
	r = LX_EXIT_USAGE;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(cli.cmd, table[i].name) == 0)
			r = table[i].fn(&cli);
	lx_cli_free(&cli);
	return r;
}
