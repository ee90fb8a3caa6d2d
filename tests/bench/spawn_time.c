/* SPDX-License-Identifier: MIT */
/*
 * spawn_time IN OUT CMD [ARG...]: run CMD the way a container runtime runs
 * a hook or a CNI plugin (posix_spawn, which is vfork+exec like Go's
 * os/exec; stdin from IN, stdout to OUT, stderr kept), wait for it, and
 * print the wall time from spawn to exit in microseconds. Exits with the
 * command's status. A shell's own fork (~4 ms on a small VM) is not timed.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	long long t0, t1;
	pid_t pid;
	int st, r;

	if (argc < 4) {
		fprintf(stderr, "usage: spawn_time IN OUT CMD [ARG...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, argv[1], O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, argv[2],
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t0 = now_us();
	r = posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ);
	if (r) {
		fprintf(stderr, "spawn_time: %s: cannot run (error %d)\n",
			argv[3], r);
		return 2;
	}
	if (waitpid(pid, &st, 0) < 0)
		return 2;
	t1 = now_us();
	printf("%lld\n", t1 - t0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
