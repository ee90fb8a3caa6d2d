/* SPDX-License-Identifier: MIT */
/* One function per subcommand, dispatched from main's table. Each returns
 * the process exit code (SPEC.md "Command line"). */
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

/* Shared output helpers (output.c). */
void lx_print_report(FILE *f, const struct lx_report *r, bool plan_only);
void lx_print_json(FILE *f, json_t *j); /* steals j */
int lx_report_exit_code(const struct lx_report *r);

#endif
