/* SPDX-License-Identifier: MIT */
/*
 * Which net.* sysctls a tenant may set (issue 10 item 8). In a fresh
 * network namespace A, every writable net.* key is either refused by
 * lx_sysctl_check_name (host-global, or on the list of keys with a global
 * effect) or must be per namespace: a changed value written in A must not
 * show in a second fresh namespace B. A kernel that adds a key whose
 * value shows through fails this test until the key is classified in
 * lib/sysctl.c. Only A and B are written (never the host), refused keys
 * never, and every value written in A is put back.
 *
 * A key whose value could not be changed at all (no candidate accepted,
 * a string we have no second value for) cannot be shown per namespace
 * here; those are counted and listed in the output, not passed silently.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysctl.h"

struct counts {
	int writable, refused, write_only, per_ns, unchanged;
	char global[4096];     /* keys that showed through to B */
	char unverified[8192]; /* keys we could not change */
};

static int open_ns_file(int ns, const char *rel, int flags)
{
	char p[600];

	cr_assert_eq(setns(ns, CLONE_NEWNET), 0, "setns: %m");
	snprintf(p, sizeof(p), "/proc/sys/%s", rel);
	return open(p, flags | O_CLOEXEC);
}

static bool read_fd(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n < 0)
		return false;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return true;
}

static bool write_fd(int fd, const char *v)
{
	return pwrite(fd, v, strlen(v), 0) == (ssize_t)strlen(v);
}

/* Values other than cur to try, in order: first word changed. */
static int candidates(const char *rel, const char *cur, char out[8][512])
{
	const char *rest = cur + strcspn(cur, " \t");
	char *end;
	long long v;
	int n = 0;

	if (strstr(rel, "congestion_control")) {
		snprintf(out[n++], 512, "%s",
			 strcmp(cur, "reno") ? "reno" : "cubic");
		return n;
	}
	errno = 0;
	v = strtoll(cur, &end, 10);
	if (errno || end == cur || (*end && *end != ' ' && *end != '\t'))
		return 0;
	{
		const long long c[] = {v ^ 1, v + 1, v - 1, v * 2, 0, 1, 2};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]) && n < 8; i++)
			if (c[i] != v && c[i] >= 0)
				snprintf(out[n++], 512, "%lld%s", c[i], rest);
	}
	return n;
}

static void append(char *list, size_t len, const char *key)
{
	size_t o = strlen(list);

	if (o + strlen(key) + 2 < len)
		snprintf(list + o, len - o, " %s", key);
}

static void check_key(int a, int b, const char *rel, struct counts *c)
{
	char key[512], before_a[512], before_b[512], now_a[512], now_b[512];
	char cand[8][512];
	int fa, fb, n;
	bool changed = false;

	snprintf(key, sizeof(key), "%s", rel);
	for (char *p = key; *p; p++)
		if (*p == '/')
			*p = '.';
	c->writable++;
	if (lx_sysctl_check_name(key, NULL, 0, NULL, 0) < 0) {
		c->refused++;
		return;
	}
	fa = open_ns_file(a, rel, O_RDWR);
	if (fa < 0) {
		/* write-only (route.flush): refused at check time */
		c->write_only++;
		return;
	}
	fb = open_ns_file(b, rel, O_RDONLY);
	cr_assert_geq(fb, 0, "%s in B: %m", rel);
	if (!read_fd(fa, before_a, sizeof(before_a)) ||
	    !read_fd(fb, before_b, sizeof(before_b))) {
		c->write_only++; /* unreadable (stable_secret unset): the same
				  */
		goto out;
	}
	n = candidates(rel, before_a, cand);
	for (int i = 0; i < n && !changed; i++)
		changed = write_fd(fa, cand[i]) &&
			  read_fd(fa, now_a, sizeof(now_a)) &&
			  strcmp(now_a, before_a) != 0;
	if (!changed) {
		c->unchanged++;
		append(c->unverified, sizeof(c->unverified), key);
		goto out;
	}
	cr_assert(read_fd(fb, now_b, sizeof(now_b)), "%s in B", rel);
	if (strcmp(now_b, before_b) != 0)
		append(c->global, sizeof(c->global), key);
	else
		c->per_ns++;
	/* put A back (B and the host were never written) */
	(void)write_fd(fa, before_a);
out:
	close(fa);
	close(fb);
}

static void walk(int a, int b, const char *rel, struct counts *c)
{
	char p[600];
	DIR *d;
	struct dirent *e;

	cr_assert_eq(setns(a, CLONE_NEWNET), 0);
	snprintf(p, sizeof(p), "/proc/sys/%s", rel);
	d = opendir(p);
	cr_assert_not_null(d, "%s: %m", p);
	while ((e = readdir(d))) {
		char sub[512];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		snprintf(p, sizeof(p), "/proc/sys/%s", sub);
		cr_assert_eq(setns(a, CLONE_NEWNET), 0);
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(a, b, sub, c);
			cr_assert_eq(setns(a, CLONE_NEWNET), 0);
		} else if (S_ISREG(st.st_mode) && (st.st_mode & 0200)) {
			check_key(a, b, sub, c);
			cr_assert_eq(setns(a, CLONE_NEWNET), 0);
		}
	}
	closedir(d);
}

Test(sysctl_namespacing, every_writable_net_key_is_per_namespace_or_refused)
{
	struct counts *c = calloc(1, sizeof(*c));
	int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int a, b;

	cr_assert_geq(host, 0);
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %m");
	a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(setns(host, CLONE_NEWNET), 0);
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %m");
	b = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert(a >= 0 && b >= 0);
	walk(a, b, "net", c);
	cr_assert_eq(setns(host, CLONE_NEWNET), 0);
	fprintf(stderr,
		"net.* keys writable in a fresh namespace: %d; refused by "
		"name %d, refused as unreadable %d, shown per namespace %d, "
		"not changeable here %d:%s\n",
		c->writable, c->refused, c->write_only, c->per_ns, c->unchanged,
		c->unverified);
	cr_assert_gt(c->writable, 100, "walked too few keys");
	cr_assert_gt(c->per_ns, c->writable / 2);
	cr_assert_eq(c->global[0], '\0',
		     "writable in a child namespace, allowed, and not per "
		     "namespace (classify them in lib/sysctl.c):%s",
		     c->global);
	free(c);
}

/* The check can fail: with B the same namespace as A, a per-namespace key
 * shows through and is reported. (Not demonstrated with the real global
 * key: writing nf_hooks_lwtunnel=1 turns on a static key for the whole
 * host that cannot be turned off again.) */
Test(sysctl_namespacing, a_key_that_shows_through_is_reported)
{
	struct counts *c = calloc(1, sizeof(*c));
	int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int a;

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %m");
	a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	check_key(a, a, "net/ipv4/tcp_syn_retries", c);
	cr_assert_eq(setns(host, CLONE_NEWNET), 0);
	cr_assert_str_eq(c->global, " net.ipv4.tcp_syn_retries");
	free(c);
}
