/* SPDX-License-Identifier: MIT */
/*
 * The command table: one row per subcommand drives dispatch (main.c), the
 * recognition of the command word (cli.c), the global usage and each
 * command's own --help.
 */
#include <string.h>

#include "commands.h"

/* The texts are laid out as printed: keep clang-format from re-wrapping. */
// clang-format off
#define STATE_DIR_OPT \
	"  --state-dir DIR   state directory (default " LX_DEFAULT_STATE_DIR ")\n"
#define POLICY_OPTS \
	"policy (the admin's, never the tenant's):\n" \
	"  --allow-sysctl PREFIX   only sysctls under PREFIX (repeatable)\n" \
	"  --allow-master IFACE    veth peers may be enslaved to IFACE (repeatable)\n" \
	"  --allow-parent IFACE    macvlan/ipvlan may use host IFACE (repeatable)\n" \
	"  --cgroup-allow-raise    cgroup limits may rise above the spawn value\n" \
	"  --allow-host-netns      sysctls may be written into the sidecar's own netns\n" \
	"  --min-interval-ms N     lowest interval_ms a document may ask for (default\n" \
	"                          1000; interval_ms 0, no timer, stays allowed)\n" \
	"  --nft-policy FILE       nft body of table inet linx-policy in every target\n" \
	"  --nft-no-persist        nftables tables without the persist flag (pre-6.9)\n"
#define ID_TEXT \
	"ID is any unique prefix of a resident sidecar's id (an ambiguous one is\n" \
	"exit 2 and lists the matches; an unknown one exit 4).\n"
#define TARGET_OPTS \
	"  --pid N           a process in the target network namespace (and cgroup)\n" \
	"  --netns PATH      a network namespace file (/run/netns/NAME, /proc/N/ns/net)\n"
#define DESIRED_OPT \
	"  --desired FILE    the desired-state document (- = stdin)\n"

static const struct lx_command commands[] = {
	{ "hook", cmd_hook, "the OCI hook: state JSON on stdin",
	  "linx-sidecar hook [createRuntime|poststop] [POLICY]   < OCI-STATE",
	  "The OCI hook. createRuntime reads the runtime's state on stdin, converges\n"
	  "the container's namespace onto its io.linx.* annotations (the container\n"
	  "does not start unless that converges) and leaves a resident sidecar;\n"
	  "poststop stops that sidecar and removes its state. A container without an\n"
	  "io.linx.* annotation is left alone (exit 0).\n\n"
	  STATE_DIR_OPT
	  "  --cgroup PATH     the container's cgroup directory\n"
	  POLICY_OPTS
	  "exit: 0 started, 1 not converged, 3 invalid annotation or state,\n"
	  "      4 target not found, 5 refused by policy\n" },
	{ "run", cmd_run, "a resident sidecar in the foreground",
	  "linx-sidecar run (--pid N | --netns PATH) --desired FILE [--cgroup PATH] [POLICY]\n"
	  "linx-sidecar --pid N --desired FILE [POLICY]",
	  "A resident sidecar in the foreground for any process: converges, heals\n"
	  "drift until the target exits, SIGTERM, or `linx-sidecar stop ID`. SIGHUP\n"
	  "re-reads FILE.\n\n"
	  TARGET_OPTS DESIRED_OPT
	  "  --id ID           state id (default pid-N or netns-INODE)\n"
	  STATE_DIR_OPT POLICY_OPTS },
	{ "reconcile", cmd_reconcile, "one pass, print the report; with ID, a resident's pass now",
	  "linx-sidecar reconcile (--pid N | --netns PATH) --desired FILE [POLICY]\n"
	  "linx-sidecar reconcile ID",
	  "One pass, then print the report. Ownership is kept in DIR/ID/state.json,\n"
	  "so a second run with a smaller document removes what the first one\n"
	  "installed and nothing else. With an ID, the resident sidecar runs a pass\n"
	  "now.\n"
	  ID_TEXT "\n"
	  TARGET_OPTS DESIRED_OPT
	  "  --id ID           state id (default pid-N or netns-INODE)\n"
	  "  --json            print the report as JSON\n"
	  STATE_DIR_OPT POLICY_OPTS
	  "exit: 0 converged, 1 not converged, 2 usage, 3 invalid document,\n"
	  "      4 target not found, 5 refused by policy\n" },
	{ "plan", cmd_plan, "diff only, print the operations",
	  "linx-sidecar plan (--pid N | --netns PATH) --desired FILE [POLICY]",
	  "The operations a pass would apply, without applying any.\n\n"
	  TARGET_OPTS DESIRED_OPT
	  "  --json            print JSON\n"
	  STATE_DIR_OPT POLICY_OPTS },
	{ "observe", cmd_observe, "print the observed state (--desired: as a document)",
	  "linx-sidecar observe (--pid N | --netns PATH) [--desired [FILE]]",
	  "Print the target's observed state in the document's words (links in\n"
	  "the io.linx.links grammar); with --desired, a desired-state document\n"
	  "(\"adopt\": true) that reproduces what a document may own; with\n"
	  "--desired FILE, also the current values of FILE's sysctls and cgroup\n"
	  "limits.\n\n"
	  TARGET_OPTS
	  "  --json            print JSON\n" },
	{ "status", cmd_status, "ask a resident sidecar how it is",
	  "linx-sidecar status ID [--json]",
	  "Ask a resident sidecar how it is: sync (converged or diverged), health\n"
	  "(ok, backing off, failing; the next retry), its last pass, the\n"
	  "container's and its own pid, the pod when known, the last error, and per\n"
	  "subsystem the last pass's applied/failed/pending operations and the\n"
	  "counts since it started.\n"
	  ID_TEXT "\n"
	  "  --json            the control socket's reply (report, health, meta)\n"
	  STATE_DIR_OPT },
	{ "stop", cmd_stop, "stop a resident sidecar",
	  "linx-sidecar stop ID",
	  "Stop a resident sidecar. What it installed stays unless the document's\n"
	  "revert_on_release says otherwise.\n"
	  ID_TEXT "\n"
	  STATE_DIR_OPT },
	{ "put", cmd_put, "replace a resident sidecar's desired state",
	  "linx-sidecar put ID --desired FILE",
	  "Replace a resident sidecar's desired state; it is validated here and by\n"
	  "the sidecar under the policy it was started with.\n"
	  ID_TEXT "\n"
	  "  --desired FILE    the new document (- = stdin)\n"
	  STATE_DIR_OPT
	  "exit: 0 accepted, 3 invalid document, 4 no such sidecar, 5 refused\n" },
	{ "list", cmd_list, "the resident sidecars on this host",
	  "linx-sidecar list [--json]",
	  "Every resident sidecar on this host, one line each: id (12 characters),\n"
	  "pod/container when known, the container's pid, sync, health with the\n"
	  "next retry, last pass (number, trigger, age), the sidecar's pid. A\n"
	  "sidecar that died is \"not running\"; one that does not answer within\n"
	  "2 s \"not answering\".\n\n"
	  "  --json            the same as an array of objects\n"
	  STATE_DIR_OPT },
	{ "events", cmd_events, "a resident sidecar's events log, one line per event",
	  "linx-sidecar events ID [--follow] [--json]",
	  "A resident sidecar's events log (events.log.1, then events.log), one line\n"
	  "per event: local time, event, its fields.\n"
	  ID_TEXT "\n"
	  "  --follow          keep printing new events until the sidecar ends\n"
	  "  --json            the log's own JSON lines\n"
	  STATE_DIR_OPT },
	{ "metrics", cmd_metrics, "Prometheus text for every resident sidecar",
	  "linx-sidecar metrics [--output FILE]",
	  "The Prometheus text exposition for every resident sidecar on this host:\n"
	  "linx_sidecar_sidecars, _up, _info, _converged, _backing_off,\n"
	  "_last_pass_duration_seconds, _seconds_since_last_converged,\n"
	  "_passes_total{trigger}, _ops_applied_total{subsystem},\n"
	  "_ops_failed_total{subsystem}.\n\n"
	  "  --output FILE     write FILE atomically (node_exporter's textfile\n"
	  "                    collector reads *.prom files)\n"
	  STATE_DIR_OPT },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const char *const global_text =
	"common options:\n"
	"  --state-dir DIR   state directory (default " LX_DEFAULT_STATE_DIR ")\n"
	"  --id ID           state id (default pid-N or netns-INODE)\n"
	"  --json            print JSON\n"
	"  --cgroup PATH     the target's cgroup v2 directory (default: from /proc/PID/cgroup)\n"
	"POLICY:\n"
	"  --allow-sysctl PREFIX   only sysctls under PREFIX (repeatable)\n"
	"  --allow-master IFACE    veth peers may be enslaved to IFACE (repeatable)\n"
	"  --allow-parent IFACE    macvlan/ipvlan may use host parent IFACE (repeatable)\n"
	"  --peer-prefix PREFIX    host-side veth names must start with PREFIX\n"
	"                          (repeatable; the first names unnamed peers)\n"
	"  --cgroup-allow-raise    cgroup limits may be raised above the spawn value\n"
	"  --allow-host-netns      allow writing sysctls into the sidecar's own netns\n"
	"  --min-interval-ms N     lowest interval_ms a document may ask for (default 1000; 0 = no floor)\n"
	"  --nft-policy FILE       nft body of table inet linx-policy in every target\n"
	"  --nft-no-persist        create nftables tables without the persist flag\n"
	"exit codes: 0 converged, 1 not converged, 2 usage, 3 invalid input,\n"
	"            4 target not found, 5 refused by policy\n";
// clang-format on

const struct lx_command *lx_command_find(const char *name)
{
	for (const struct lx_command *c = commands; name && c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Each line of text, the first after first, the others after more. */
static void print_lines(FILE *f, const char *text, const char *first,
			const char *more)
{
	for (const char *u = text; *u;) {
		const char *nl = strchr(u, '\n');
		int n = nl ? (int)(nl - u) : (int)strlen(u);

		fprintf(f, "%s%.*s\n", u == text ? first : more, n, u);
		u += n + (nl ? 1 : 0);
	}
}

void lx_usage(FILE *f, const char *name)
{
	const struct lx_command *c = lx_command_find(name);

	if (c) {
		print_lines(f, c->usage, "usage: ", "       ");
		fprintf(f, "\n%s", c->help);
		return;
	}
	fputs("usage:\n", f);
	for (c = commands; c->name; c++)
		print_lines(f, c->usage, "  ", "  ");
	fputs("  linx-sidecar --version | COMMAND --help | --help COMMAND\n"
	      "\ncommands:\n",
	      f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputc('\n', f);
	fputs(global_text, f);
}
