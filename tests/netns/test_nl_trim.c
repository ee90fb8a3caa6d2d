/* SPDX-License-Identifier: MIT */
/*
 * lx_nl_trim_buffers, what an idle resident calls: every open socket's
 * receive buffer is given back to the kernel (the process's resident set
 * shrinks by what the receives wrote), the sockets go on working, and a closed socket is no
 * longer touched (ASan would see the freed buffer).
 */
#include <sys/prctl.h>

#include "test_rtnl_helpers.h"

/* The process's anonymous resident set, in KiB (not its file pages: the
 * code run in between faults its own pages in). */
static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(f);
	cr_assert_geq(kib, 0);
	return kib;
}

static size_t dump_ours(struct lx_nl *nl)
{
	struct lx_error err = {0};
	struct lx_route *got = NULL;
	size_t n = 0, ours = 0;

	cr_assert_eq(lx_route_dump(nl, &got, &n, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < n; i++)
		ours += got[i].protocol == 76;
	lx_routes_free(got, n);
	return ours;
}

Test(nl_trim, buffers_given_back_and_sockets_still_work)
{
	struct lx_nl *a, *b;
	struct lx_error err = {0};
	long before, after;

	/* 4 KiB pages: a transparent huge page under the heap would be
	 * split, not shrunk, by a 64 KiB madvise */
	cr_assert_eq(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	sh("ip link set lo up && ip link add v0 type veth peer name v1");
	sh("ip link set v0 up && ip link set v1 up && ip addr add 10.0.0.2/24 dev v0");
	/* 3,000 routes: a dump fills the whole 64 KiB buffer */
	sh("for i in $(seq 0 2999); do echo \"route add 10.1.$((i / 250)).$((i %% 250))/32 via 10.0.0.1 proto 76\"; done | ip -batch -");
	cr_assert_eq(lx_nl_open(&a, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(lx_nl_open(&b, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(dump_ours(a), 3000);
	cr_assert_eq(dump_ours(b), 3000);
	lx_nl_close(b); /* out of the list: trimming must not touch it */
	before = rss_kib();
	lx_nl_trim_buffers();
	after = rss_kib();
	/* a dump's receive writes up to 32 KiB of it (here; 20 under ASan,
	 * whose allocator and shadow pages count too) */
	cr_assert_geq(before - after, 16, "rss %ld -> %ld KiB", before, after);
	/* zeroed pages come back on the next receive */
	cr_assert_eq(dump_ours(a), 3000);
	lx_nl_trim_buffers();
	cr_assert_eq(dump_ours(a), 3000);
	lx_nl_close(a);
	lx_nl_trim_buffers(); /* an empty list */
}
