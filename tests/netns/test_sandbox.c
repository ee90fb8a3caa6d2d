/* SPDX-License-Identifier: MIT */
/*
 * The resident's sandbox (sidecar/sandbox.c) and lib/caps.c against the
 * real kernel, as root: each case forks a child that enters it, the
 * parent reads the child's /proc/PID/status, and a syscall off the
 * allow-list must end the child with SIGSYS.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "caps.h"
#include "sandbox.h"

enum act { STAY, INET_SOCKET, OTHER_IOCTL, FORK, ALLOWED, AS_NOBODY };

struct child {
	pid_t pid;
	int to, from; /* pipes: go, ready */
};

/* Straight to the kernel: a sanitizer's _exit runs checks whose syscalls
 * the filter would refuse. */
static void die_with(int code)
{
	syscall(SYS_exit_group, code);
	_exit(code);
}

static void run_act(enum act a)
{
	struct termios t;
	int fd;

	switch (a) {
	case INET_SOCKET:
		(void)socket(AF_INET, SOCK_STREAM, 0);
		break;
	case OTHER_IOCTL: {
		struct winsize ws;

		(void)ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
		break;
	}
	case FORK:
		(void)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		break;
	case ALLOWED:
		/* netlink sockets, TCGETS (ENOTTY on a pipe is an answer) */
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0 || ioctl(STDIN_FILENO, TCGETS, &t) == 0 ||
		    errno != ENOTTY || getpid() <= 0)
			die_with(3);
		close(fd);
		break;
	default:
		break;
	}
	die_with(0);
}

/* Fork a child that enters the sandbox (or, for AS_NOBODY, becomes
 * 65534 keeping CAP_NET_ADMIN), says so, waits for the word, runs a. */
static struct child spawn(enum act a)
{
	int go[2], ready[2];
	struct child c;
	char b = 0;

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(ready), 0);
	c.pid = fork();
	cr_assert_geq(c.pid, 0);
	if (c.pid == 0) {
		struct lx_error err;
		int r;

		close(go[1]);
		close(ready[0]);
		dup2(go[0], STDIN_FILENO);
		if (a == AS_NOBODY)
			r = lx_caps_limit_as(65534, 65534, 1ULL << CAP_NET_ADMIN);
		else
			r = lx_sandbox_enter(true, &err);
		if (r < 0)
			_exit(2);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
			die_with(4);
		run_act(a);
	}
	close(go[0]);
	close(ready[1]);
	c.to = go[1];
	c.from = ready[0];
	cr_assert_eq(read(c.from, &b, 1), 1, "the child did not enter the sandbox");
	return c;
}

static int finish(struct child *c)
{
	int st = 0;

	cr_assert_eq(write(c->to, "g", 1), 1);
	cr_assert_eq(waitpid(c->pid, &st, 0), c->pid);
	close(c->to);
	close(c->from);
	return st;
}

static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	cr_assert_not_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			char *v = line + kl + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
		}
	fclose(f);
}

static void expect_field(pid_t pid, const char *key, const char *want)
{
	char v[128];

	status_field(pid, key, v, sizeof(v));
	cr_expect_str_eq(v, want, "%s: %s, want %s", key, v, want);
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
}

Test(sandbox, keeps_only_cap_net_admin_with_no_new_privs_and_a_filter)
{
	struct child c;

	need_root();
	c = spawn(STAY);
	expect_field(c.pid, "CapEff", "0000000000001000");
	expect_field(c.pid, "CapPrm", "0000000000001000");
	expect_field(c.pid, "CapInh", "0000000000000000");
	expect_field(c.pid, "CapAmb", "0000000000000000");
	expect_field(c.pid, "CapBnd", "0000000000000000");
	expect_field(c.pid, "NoNewPrivs", "1");
	expect_field(c.pid, "Seccomp", "2");
	expect_field(c.pid, "Uid", "0\t0\t0\t0");
	cr_expect_eq(finish(&c), 0);
}

static void expect_killed(enum act a, const char *what)
{
	struct child c;
	int st;

	need_root();
	c = spawn(a);
	st = finish(&c);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
		  "%s: status %#x, want death by SIGSYS", what, st);
}

Test(sandbox, an_inet_socket_kills_the_process)
{
	expect_killed(INET_SOCKET, "socket(AF_INET)");
}

Test(sandbox, an_ioctl_other_than_tcgets_kills_the_process)
{
	expect_killed(OTHER_IOCTL, "ioctl(TIOCGWINSZ)");
}

Test(sandbox, fork_kills_the_process)
{
	expect_killed(FORK, "clone");
}

Test(sandbox, netlink_sockets_and_tcgets_pass)
{
	struct child c;

	need_root();
	c = spawn(ALLOWED);
	cr_expect_eq(finish(&c), 0, "an allowed call failed or was killed");
}

/* The nft compile child's drop (lib/nft_compile.c). */
Test(caps, limit_as_becomes_nobody_with_cap_net_admin_only)
{
	struct child c;

	need_root();
	c = spawn(AS_NOBODY);
	expect_field(c.pid, "Uid", "65534\t65534\t65534\t65534");
	expect_field(c.pid, "Gid", "65534\t65534\t65534\t65534");
	expect_field(c.pid, "Groups", "");
	expect_field(c.pid, "CapEff", "0000000000001000");
	expect_field(c.pid, "CapPrm", "0000000000001000");
	expect_field(c.pid, "CapInh", "0000000000000000");
	expect_field(c.pid, "CapAmb", "0000000000000000");
	expect_field(c.pid, "CapBnd", "0000000000000000");
	cr_expect_eq(finish(&c), 0);
}
