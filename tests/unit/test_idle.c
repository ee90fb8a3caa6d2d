/* SPDX-License-Identifier: MIT */
/*
 * sidecar/idle.c: a quiet process unmaps its own binary's read-only
 * pages (the page cache keeps them), keeps the idle path's, and runs on,
 * faulting back what it runs.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "evloop.h"
#include "idle.h"

extern const char __start_lx_idle[], __stop_lx_idle[];
extern void _start(void); /* crt1's, at the start of .text */

static __attribute__((noinline)) int work(int x)
{
	return x * 3 + 1;
}

/* Whether the page holding p is mapped in this process (pagemap's
 * "present" bit). In the idle path's section, like what it probes for:
 * running it faults nothing back. */
LX_IDLE_PATH static int mapped(const void *p)
{
	uint64_t e = 0;
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / (uintptr_t)page * 8));
	close(fd);
	return n == sizeof(e) ? (int)(e >> 63) : -1;
}

struct probe {
	size_t dropped;
	int text, idle;
};

LX_IDLE_PATH static __attribute__((noinline)) void drop_and_probe(struct probe *p)
{
	p->dropped = lx_idle_drop_text();
	p->text = mapped((const void *)_start);
	p->idle = mapped(__start_lx_idle);
}

Test(idle, drop_text_unmaps_all_but_the_idle_path)
{
	long page = sysconf(_SC_PAGESIZE);
	struct probe p = {0};

	/* the probe page is not one the idle path shares */
	cr_assert_neq((uintptr_t)_start / (uintptr_t)page,
		      (uintptr_t)__start_lx_idle / (uintptr_t)page);
	cr_assert_eq(mapped((const void *)_start), 1, "text not mapped before");
	drop_and_probe(&p);
	cr_assert_gt(p.dropped, 0, "nothing dropped");
	cr_assert_eq(p.text, 0, "text still mapped after the drop");
	cr_assert_eq(p.idle, 1, "the idle path was dropped");
	/* and the program runs on */
	cr_assert_eq(work(4), 13);
	cr_assert_eq(mapped((const void *)work), 1);
}

Test(idle, trim_and_run_on)
{
	lx_idle_trim();
	cr_assert_eq(work(5), 16);
	lx_idle_trim();
	cr_assert_eq(work(6), 19);
}
