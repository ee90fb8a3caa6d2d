/* SPDX-License-Identifier: MIT */
/* Per-command usage and help text (`linx-sidecar COMMAND --help`). */
#ifndef LX_HELP_H
#define LX_HELP_H

#include <stdio.h>

struct lx_command_doc {
	const char *name;
	const char *usage; /* the synopsis lines, each "linx-sidecar ..." */
	const char *help;  /* what it does, its options, its exit codes */
};

/* The doc of command name, NULL when there is none. */
const struct lx_command_doc *lx_command_doc(const char *name);

/* Print "usage: ..." and the help of name to f; 0, or -1 for an unknown
 * command (nothing printed). */
int lx_command_help(FILE *f, const char *name);

#endif
