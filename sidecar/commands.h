/* SPDX-License-Identifier: MIT */
/* One function per subcommand, and the table of them (commands.c). Each
 * returns the process exit code (SPEC.md "Command line"). */
#ifndef LX_COMMANDS_H
#define LX_COMMANDS_H

#include "cli.h"
#include "report.h"

int cmd_reconcile(struct lx_cli *cli);
int cmd_plan(struct lx_cli *cli);
int cmd_observe(struct lx_cli *cli);
int cmd_run(struct lx_cli *cli);
int cmd_hook(struct lx_cli *cli);
int cmd_status(struct lx_cli *cli);
int cmd_stop(struct lx_cli *cli);
int cmd_put(struct lx_cli *cli);
int cmd_list(struct lx_cli *cli);
int cmd_events(struct lx_cli *cli);
int cmd_metrics(struct lx_cli *cli);

/* One row of the command table: adding a subcommand is a cmd_ function and
 * a row; dispatch, the global usage and its --help follow. */
struct lx_command {
	const char *name;
	int (*fn)(struct lx_cli *cli);
	const char *summary; /* one line, for the global usage */
	const char *usage;   /* the synopsis lines, each "linx-sidecar ..." */
	const char *help;    /* what it does, its options, its exit codes */
};

/* The row of command name, NULL when there is none (or name is NULL). */
const struct lx_command *lx_command_find(const char *name);

/* `COMMAND --help`: that command's usage and help; for NULL or a word
 * that names no command, the global usage. */
void lx_usage(FILE *f, const char *name);

/* Shared output helpers (output.c). */
void lx_print_report(FILE *f, const struct lx_report *r, bool plan_only);
/* One entry of a subreport's "backoff" array, as one line (no newline). */
const char *lx_format_backoff(const json_t *e, char *buf, size_t len);
void lx_print_json(FILE *f, json_t *j); /* steals j */
int lx_report_exit_code(const struct lx_report *r);

#endif
