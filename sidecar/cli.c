/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "grammar.h"
#include "nft.h"
#include "commands.h"
#include "link.h"

enum {
	OPT_PID = 256,
	OPT_NETNS,
	OPT_DESIRED,
	OPT_CGROUP,
	OPT_STATE_DIR,
	OPT_ID,
	OPT_JSON,
	OPT_ALLOW_SYSCTL,
	OPT_ALLOW_MASTER,
	OPT_ALLOW_PARENT,
	OPT_PEER_PREFIX,
	OPT_ALLOW_RAISE,
	OPT_ALLOW_HOST_NETNS,
	OPT_MIN_INTERVAL,
	OPT_HELP,
	OPT_FOLLOW,
	OPT_OUTPUT,
	OPT_NFT_POLICY,
	OPT_NFT_NO_PERSIST,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, OPT_PID },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "desired", required_argument, NULL, OPT_DESIRED },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "id", required_argument, NULL, OPT_ID },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "allow-sysctl", required_argument, NULL, OPT_ALLOW_SYSCTL },
	{ "allow-master", required_argument, NULL, OPT_ALLOW_MASTER },
	{ "allow-parent", required_argument, NULL, OPT_ALLOW_PARENT },
	{ "peer-prefix", required_argument, NULL, OPT_PEER_PREFIX },
	{ "cgroup-allow-raise", no_argument, NULL, OPT_ALLOW_RAISE },
	{ "allow-host-netns", no_argument, NULL, OPT_ALLOW_HOST_NETNS },
	{ "min-interval-ms", required_argument, NULL, OPT_MIN_INTERVAL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "nft-policy", required_argument, NULL, OPT_NFT_POLICY },
	{ "nft-no-persist", no_argument, NULL, OPT_NFT_NO_PERSIST },
	{ NULL, 0, NULL, 0 },
};

/* --help: the command it is about, the command word given before it or
 * the first word after it that names one (`--help status`). */
static const char *help_topic(const struct lx_cli *cli, int argc, char **argv)
{
	const struct lx_command *c;

	if (cli->n_args > 0)
		return cli->args[0];
	for (int i = optind; i < argc; i++)
		if ((c = lx_command_find(argv[i])))
			return c->name;
	return NULL;
}

/* --nft-policy FILE: the admin's text, checked like a tenant's; compiled
 * by the nftables subsystem's check, before anything is applied. */
static int read_nft_policy(const char *path, struct lx_policy *p,
			   struct lx_error *err)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return lx_error_set(err, LX_ERR_USAGE, errno,
				    "--nft-policy %s", path);
	buf = malloc(LX_NFT_TEXT_MAX + 2);
	if (!buf) {
		fclose(f);
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cli");
	}
	n = fread(buf, 1, LX_NFT_TEXT_MAX + 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n || lx_nft_text_check(buf, "--nft-policy", err) < 0) {
		free(buf);
		return lx_error_is_set(err)
			   ? -EINVAL
			   : lx_error_set(err, LX_ERR_INVALID, 0,
					  "--nft-policy %s: contains a NUL byte",
					  path);
	}
	lx_nft_body_free(&p->nft_policy);
	p->nft_policy.text = buf;
	return 0;
}

int lx_cli_parse(int argc, char **argv, struct lx_cli *cli,
		 struct lx_error *err)
{
	int c, r;

	memset(cli, 0, sizeof(*cli));
	cli->state_dir = LX_DEFAULT_STATE_DIR;
	cli->policy.min_interval_ms = LX_DEFAULT_MIN_INTERVAL_MS;
	optind = 1;
	opterr = 0;
	/* GNU getopt permutes: options may follow positional arguments. */
	while ((c = getopt_long(argc, argv, "+:h", long_opts, NULL)) != -1 ||
	       optind < argc) {
		if (c == -1) {
			/* A positional argument: keep it, continue after it. */
			if (cli->n_args < 16)
				cli->args = cli->args ? cli->args : calloc(16, sizeof(char *));
			if (!cli->args || cli->n_args >= 16)
				return lx_error_set(err, LX_ERR_USAGE, 0,
						    "too many arguments");
			cli->args[cli->n_args++] = argv[optind++];
			continue;
		}
		switch (c) {
		case OPT_PID: {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > INT_MAX)
				return lx_error_set(err, LX_ERR_USAGE, 0,
						    "--pid: invalid pid \"%s\"",
						    optarg);
			cli->pid = (pid_t)v;
			break;
		}
		case OPT_NETNS:
			cli->netns = optarg;
			break;
		case OPT_DESIRED:
			/* `observe ... --desired` takes no FILE: an option
			 * after it is read as one. */
			if (optarg[0] == '-' && optarg[1] == '-') {
				cli->desired_flag = true;
				optind--;
			} else {
				cli->desired = optarg;
			}
			break;
		case OPT_CGROUP:
			cli->cgroup = optarg;
			break;
		case OPT_STATE_DIR:
			cli->state_dir = optarg;
			break;
		case OPT_ID:
			cli->id = optarg;
			break;
		case OPT_JSON:
			cli->json = true;
			break;
		case OPT_ALLOW_SYSCTL:
			r = lx_policy_add(&cli->policy.allow_sysctl,
					  &cli->policy.n_allow_sysctl, optarg);
			if (r < 0)
				return lx_error_set(err, LX_ERR_SYSTEM, -r, "cli");
			break;
		case OPT_ALLOW_MASTER:
			r = lx_policy_add(&cli->policy.allow_master,
					  &cli->policy.n_allow_master, optarg);
			if (r < 0)
				return lx_error_set(err, LX_ERR_SYSTEM, -r, "cli");
			break;
		case OPT_PEER_PREFIX:
			/* A name's start: the kernel's rules, and room for
			 * at least 7 hex digits of a generated name. */
			if (!lx_ifname_valid(optarg) ||
			    strlen(optarg) > LX_PEER_PREFIX_MAX)
				return lx_error_set(
					err, LX_ERR_USAGE, 0,
					"--peer-prefix \"%s\": not an interface "
					"name prefix (1..%d bytes, no '%%', '/', "
					"':' or whitespace)",
					optarg, LX_PEER_PREFIX_MAX);
			r = lx_policy_add(&cli->policy.peer_prefix,
					  &cli->policy.n_peer_prefix, optarg);
			if (r < 0)
				return lx_error_set(err, LX_ERR_SYSTEM, -r, "cli");
			break;
		case OPT_ALLOW_PARENT:
			r = lx_policy_add(&cli->policy.allow_parent,
					  &cli->policy.n_allow_parent, optarg);
			if (r < 0)
				return lx_error_set(err, LX_ERR_SYSTEM, -r, "cli");
			break;
		case OPT_ALLOW_RAISE:
			cli->policy.cgroup_allow_raise = true;
			break;
		case OPT_ALLOW_HOST_NETNS:
			cli->policy.allow_host_netns = true;
			break;
		case OPT_MIN_INTERVAL: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    v > 86400000)
				return lx_error_set(
				    err, LX_ERR_USAGE, 0,
				    "--min-interval-ms: \"%s\" is not a number "
				    "of milliseconds (0..86400000)",
				    optarg);
			cli->policy.min_interval_ms = (uint32_t)v;
			break;
		}
		case OPT_NFT_POLICY:
			r = read_nft_policy(optarg, &cli->policy, err);
			if (r < 0)
				return r;
			break;
		case OPT_NFT_NO_PERSIST:
			cli->policy.nft_no_persist = true;
			break;
		case OPT_FOLLOW:
			cli->follow = true;
			break;
		case OPT_OUTPUT:
			cli->output = optarg;
			break;
		case 'h':
		case OPT_HELP:
			cli->cmd = help_topic(cli, argc, argv);
			return 1;
		case OPT_VERSION:
			return 2;
		case ':':
			if (optopt == OPT_DESIRED) {
				cli->desired_flag = true;
				break;
			}
			return lx_error_set(err, LX_ERR_USAGE, 0,
					    "option %s needs an argument",
					    argv[optind - 1]);
		default:
			return lx_error_set(err, LX_ERR_USAGE, 0,
					    "unknown option \"%s\"",
					    argv[optind - 1]);
		}
	}
	/* The first positional word is the command when it names one. */
	if (cli->n_args > 0) {
		const struct lx_command *cmd = lx_command_find(cli->args[0]);

		if (cmd) {
			cli->cmd = cmd->name;
			memmove(cli->args, cli->args + 1,
				(size_t)(cli->n_args - 1) * sizeof(char *));
			cli->n_args--;
		}
		if (!cli->cmd)
			return lx_error_set(err, LX_ERR_USAGE, 0,
					    "unknown command \"%s\"",
					    cli->args[0]);
	} else if (cli->pid || cli->netns) {
		/* `linx-sidecar --pid N --desired FILE`: standalone resident. */
		cli->cmd = "run";
	} else {
		return lx_error_set(err, LX_ERR_USAGE, 0, "no command given");
	}
	return 0;
}

void lx_cli_free(struct lx_cli *cli)
{
	lx_policy_free(&cli->policy);
	free(cli->args);
	cli->args = NULL;
}

int lx_exit_code(const struct lx_error *err)
{
	switch (err->kind) {
	case LX_ERR_NONE:
		return LX_EXIT_OK;
	case LX_ERR_SYSTEM:
		return LX_EXIT_NOT_CONVERGED;
	case LX_ERR_USAGE:
		return LX_EXIT_USAGE;
	case LX_ERR_INVALID:
		return LX_EXIT_INVALID;
	case LX_ERR_NOTFOUND:
		return LX_EXIT_NOTFOUND;
	case LX_ERR_POLICY:
		return LX_EXIT_POLICY;
	}
	return LX_EXIT_NOT_CONVERGED;
}

void lx_print_error(const struct lx_error *err)
{
	const char *line = err->msg;

	if (!err->msg[0]) {
		fprintf(stderr, "linx-sidecar: failed\n");
		return;
	}
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int n = nl ? (int)(nl - line) : (int)strlen(line);

		fprintf(stderr, "linx-sidecar: %.*s\n", n, line);
		line = nl ? nl + 1 : NULL;
	}
}
