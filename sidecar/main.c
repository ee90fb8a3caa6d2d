/* SPDX-License-Identifier: MIT */
/*
 * linx-sidecar: keeps a container's network state and cgroup limits
 * converged on what its owner declared. main() parses the command line,
 * dispatches to one command function and returns its exit code; nothing
 * below main() exits.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

#include "commands.h"
#include "version.h"

/*
 * jansson's hash seed from getrandom(2), before any JSON is made: one
 * syscall where jansson opens, reads and closes /dev/urandom (on every
 * hook). If getrandom cannot answer (early boot) or gives 0, jansson
 * seeds itself as it always did.
 */
static void seed_json(void)
{
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		json_object_seed(seed);
}

/*
 * The command line, or the exit code of --version, --help or a usage
 * error (< 0: go on). Not inlined: its 8 KiB error must not stay on the
 * stack above a resident's event loop for the resident's life.
 */
static __attribute__((noinline)) int parse(int argc, char **argv,
					   struct lx_cli *cli)
{
	struct lx_error err;
	int r;

	lx_error_clear(&err);
	r = lx_cli_parse(argc, argv, cli, &err);
	if (r == 2) {
		puts(lx_version_string());
		return LX_EXIT_OK;
	}
	if (r == 1) {
		/* cli->cmd: the command the help is about, if any. */
		lx_usage(stdout, cli->cmd);
		return LX_EXIT_OK;
	}
	if (r < 0) {
		lx_print_error(&err);
		fprintf(stderr, "linx-sidecar: see 'linx-sidecar --help'\n");
		return LX_EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct lx_cli cli;
	int r;

	seed_json();
	r = parse(argc, argv, &cli);

	if (r < 0)
		r = lx_command_find(cli.cmd)->fn(&cli);
	lx_cli_free(&cli);
	return r;
}
