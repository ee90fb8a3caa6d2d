/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* openat2, O_PATH, asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "policy.h"
#include "sysctl.h"

#define RESOLVE_SAFE                                                           \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
#define CG_FILE_MAX	   4096
#define TEXT_MAX	   (1 << 20)
#define CPU_PERIOD_DEFAULT 100000

static const char *const ctrl_names[LX_CG_NCTRL] = {
    [LX_CG_MEMORY] = "memory",
    [LX_CG_PIDS] = "pids",
    [LX_CG_CPU] = "cpu",
};

const char *lx_cg_ctrl_name(enum lx_cg_ctrl c)
{
	return c < LX_CG_NCTRL ? ctrl_names[c] : "?";
}

struct cg_key {
	const char *key;
	enum lx_cg_ctrl ctrl;
	const char *v1; /* main v1 file */
	bool memory;	/* bytes, page-rounded */
};

static const struct cg_key keys[] = {
    {"memory.max", LX_CG_MEMORY, "memory.limit_in_bytes", true},
    {"memory.high", LX_CG_MEMORY, "memory.soft_limit_in_bytes", true},
    {"memory.swap.max", LX_CG_MEMORY, "memory.memsw.limit_in_bytes", true},
    {"pids.max", LX_CG_PIDS, "pids.max", false},
    {"cpu.max", LX_CG_CPU, "cpu.cfs_quota_us", false},
    {"cpu.weight", LX_CG_CPU, "cpu.shares", false},
};

static const struct cg_key *key_find(const char *key)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

bool lx_cgroup_key_known(const char *key)
{
	return key_find(key) != NULL;
}

/* ------------------------------------------------------------ values */

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

/*
 * A v1 memory limit of "unlimited" reads back as PAGE_COUNTER_MAX pages,
 * i.e. LONG_MAX rounded down to the page size (9223372036854771712 with 4K
 * pages). Anything at or above that is "max".
 */
static bool mem_is_unlimited(uint64_t v)
{
	return v > (uint64_t)INT64_MAX - page_size();
}

/* Parse "max" (-> *max) or an unsigned decimal. */
static int parse_limit(const char *s, uint64_t *v, bool *max)
{
	char *end;

	*max = false;
	*v = 0;
	if (!s)
		return -EINVAL;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (strncmp(s, "max", 3) == 0) {
		s += 3;
		*max = true;
	} else if (*s == '-') {
		/* v1 writes -1 for unlimited; accept it back */
		if (strtoll(s, &end, 10) != -1)
			return -EINVAL;
		s = end;
		*max = true;
	} else {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		*v = strtoull(s, &end, 10);
		if (errno)
			return -EINVAL;
		s = end;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

/* Parse "QUOTA PERIOD" / "max PERIOD" / "max". */
static int parse_cpu_max(const char *s, uint64_t *quota, bool *max,
			 uint64_t *period)
{
	_cleanup_free_ char *f = NULL;
	char *sp;

	if (!s)
		return -EINVAL;
	f = lx_sysctl_fold(s);
	if (!f)
		return -ENOMEM;
	*period = CPU_PERIOD_DEFAULT;
	sp = strchr(f, ' ');
	if (sp) {
		bool pmax;

		*sp = '\0';
		if (parse_limit(sp + 1, period, &pmax) < 0 || pmax ||
		    *period == 0)
			return -EINVAL;
	}
	return parse_limit(f, quota, max);
}

static bool mem_equal(const char *a, const char *b)
{
	uint64_t va, vb, pg = page_size();
	bool ma, mb;

	if (parse_limit(a, &va, &ma) < 0 || parse_limit(b, &vb, &mb) < 0)
		return lx_sysctl_equal(a, b);
	ma = ma || mem_is_unlimited(va);
	mb = mb || mem_is_unlimited(vb);
	if (ma || mb)
		return ma == mb;
	return va / pg == vb / pg;
}

bool lx_cgroup_equal(const char *key, const char *a, const char *b)
{
	const struct cg_key *k = key_find(key);

	if (!a || !b)
		return a == b;
	if (k && k->memory)
		return mem_equal(a, b);
	if (k && strcmp(key, "cpu.max") == 0) {
		uint64_t qa, pa, qb, pb;
		bool ma, mb;

		if (parse_cpu_max(a, &qa, &ma, &pa) < 0 ||
		    parse_cpu_max(b, &qb, &mb, &pb) < 0)
			return lx_sysctl_equal(a, b);
		return ma == mb && (ma || qa == qb) && pa == pb;
	}
	if (k) {
		uint64_t va, vb;
		bool ma, mb;

		if (parse_limit(a, &va, &ma) == 0 &&
		    parse_limit(b, &vb, &mb) == 0)
			return ma == mb && (ma || va == vb);
	}
	return lx_sysctl_equal(a, b);
}

static bool cg_eq(const char *key, const char *a, const char *b)
{
	return lx_cgroup_equal(key, a, b);
}

/*
 * runc's ConvertCPUSharesToCgroupV2Value is weight = 1 + ((shares - 2) *
 * 9999) / 262142; we write shares from a weight, so we use its inverse.
 */
unsigned long long lx_cg_weight_to_shares(unsigned long long weight)
{
	if (weight < 1)
		weight = 1;
	if (weight > 10000)
		weight = 10000;
	return 2 + ((weight - 1) * 262142) / 9999;
}

unsigned long long lx_cg_shares_to_weight(unsigned long long shares)
{
	unsigned long long w;

	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	w = 1 + ((shares - 2) * 9999) / 262142;
	/* Integer division loses a step: prefer the weight that maps back. */
	if (w < 10000 && lx_cg_weight_to_shares(w + 1) == shares)
		return w + 1;
	return w;
}

static void fmt_u64(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
}

int lx_cgroup_translate_v1(const char *key, const char *value,
			   const char *limit, struct lx_cg_write w[2])
{
	const struct cg_key *k = key_find(key);
	uint64_t v, q, p, l;
	bool max, lmax;

	if (!k || !value)
		return -EINVAL;
	memset(w, 0, 2 * sizeof(*w));
	snprintf(w[0].file, sizeof(w[0].file), "%s", k->v1);
	if (strcmp(key, "cpu.max") == 0) {
		if (parse_cpu_max(value, &q, &max, &p) < 0)
			return -EINVAL;
		/* period first: the quota is validated against it */
		snprintf(w[0].file, sizeof(w[0].file), "cpu.cfs_period_us");
		fmt_u64(w[0].value, sizeof(w[0].value), p);
		snprintf(w[1].file, sizeof(w[1].file), "cpu.cfs_quota_us");
		if (max)
			snprintf(w[1].value, sizeof(w[1].value), "-1");
		else
			fmt_u64(w[1].value, sizeof(w[1].value), q);
		return 2;
	}
	if (parse_limit(value, &v, &max) < 0)
		return -EINVAL;
	if (strcmp(key, "cpu.weight") == 0) {
		if (max)
			return -EINVAL;
		fmt_u64(w[0].value, sizeof(w[0].value),
			lx_cg_weight_to_shares(v));
		return 1;
	}
	if (strcmp(key, "pids.max") == 0) {
		if (max)
			snprintf(w[0].value, sizeof(w[0].value), "max");
		else
			fmt_u64(w[0].value, sizeof(w[0].value), v);
		return 1;
	}
	if (strcmp(key, "memory.swap.max") == 0) {
		/* v1 memsw limits memory + swap together */
		if (!max) {
			if (parse_limit(limit, &l, &lmax) < 0)
				return -EINVAL;
			max = lmax || mem_is_unlimited(l) || l + v < l ||
			      l + v > (uint64_t)INT64_MAX;
			v += l;
		}
	}
	if (max)
		snprintf(w[0].value, sizeof(w[0].value), "-1");
	else
		fmt_u64(w[0].value, sizeof(w[0].value), v);
	return 1;
}

/* ----------------------------------------------------------- file I/O */

static int cg_openat(int dirfd, const char *file, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
	    .resolve = RESOLVE_SAFE,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, file, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* Read a small file beneath dirfd into buf (trailing blanks trimmed). */
static int read_at(int dirfd, const char *file, char *buf, size_t len)
{
	_cleanup_close_ int fd = cg_openat(dirfd, file, O_RDONLY);
	size_t n = 0;

	if (fd < 0)
		return fd;
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	while (n &&
	       (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return 0;
}

static int write_at(int dirfd, const char *file, const char *value)
{
	/* O_TRUNC as runc does: harmless on cgroupfs, right on plain files */
	_cleanup_close_ int fd = cg_openat(dirfd, file, O_WRONLY | O_TRUNC);
	size_t len = strlen(value);
	ssize_t r;

	if (fd < 0)
		return fd;
	do
		r = write(fd, value, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

/* Read a whole (proc) file, at most TEXT_MAX bytes. */
static int read_text(const char *path, char **out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb;

			if (cap >= TEXT_MAX)
				return -EFBIG;
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = TAKE_PTR(buf);
	return 0;
}

/* --------------------------------------------------------- resolution */

/* Decode mountinfo's octal escapes (\040 space...) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);

		if (l == n && strncmp(p, word, n) == 0)
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

/*
 * Map cgroup path P onto a mount of root R at mount point M: P must be R
 * or beneath it.
 */
static bool map_path(const char *cgpath, const char *root, const char *mnt,
		     const char *prefix, struct lx_cgroup_loc *loc)
{
	size_t rl = strlen(root);
	const char *rel;

	if (strcmp(root, "/") == 0)
		rel = cgpath;
	else if (strncmp(cgpath, root, rl) == 0 &&
		 (cgpath[rl] == '\0' || cgpath[rl] == '/'))
		rel = cgpath + rl;
	else
		return false;
	while (*rel == '/')
		rel++;
	if ((size_t)snprintf(loc->mnt, sizeof(loc->mnt), "%s%s", prefix, mnt) >=
		sizeof(loc->mnt) ||
	    (size_t)snprintf(loc->rel, sizeof(loc->rel), "%s", rel) >=
		sizeof(loc->rel))
		return false;
	loc->found = true;
	return true;
}

/*
 * Find a mount for (fstype, controller or NULL for cgroup2) that holds
 * cgpath. mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPT...] -
 * FSTYPE SOURCE SUPEROPTS".
 */
static bool find_mount(const char *mountinfo, const char *ctrl,
		       const char *cgpath, const char *prefix,
		       struct lx_cgroup_loc *loc)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		_cleanup_free_ char *l = strndup(line, len);
		char *f[64], *save = NULL, *tok, *fstype, *superopts;
		int n = 0, dash = -1;

		line = nl ? nl + 1 : NULL;
		if (!l)
			return false;
		for (tok = strtok_r(l, " ", &save); tok && n < 64;
		     tok = strtok_r(NULL, " ", &save)) {
			/* optional fields end at the first "-" after field 5 */
			if (n >= 6 && dash < 0 && strcmp(tok, "-") == 0)
				dash = n;
			f[n++] = tok;
		}
		if (dash < 0 || n < dash + 4)
			continue;
		fstype = f[dash + 1];
		superopts = f[dash + 3];
		if (ctrl ? strcmp(fstype, "cgroup") != 0
			 : strcmp(fstype, "cgroup2") != 0)
			continue;
		if (ctrl && !list_has(superopts, ctrl))
			continue;
		unescape(f[3]);
		unescape(f[4]);
		if (map_path(cgpath, f[3], f[4], prefix, loc))
			return true;
	}
	return false;
}

int lx_cgroup_resolve(const char *cgroup_text, const char *mountinfo_text,
		      const char *prefix, struct lx_cgroup_layout *out,
		      struct lx_error *err)
{
	const char *line = cgroup_text;
	bool any = false;

	memset(out, 0, sizeof(*out));
	if (!prefix)
		prefix = "";
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		_cleanup_free_ char *l = strndup(line, len);
		char *c1, *c2, *ctrls, *path;

		line = nl ? nl + 1 : NULL;
		if (!l)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup");
		/* "ID:CONTROLLERS:PATH"; the path may contain ':' */
		c1 = strchr(l, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		ctrls = c1 + 1;
		path = c2 + 1;
		if (path[0] != '/')
			continue;
		if (strcmp(l, "0") == 0 && *ctrls == '\0') {
			if (find_mount(mountinfo_text, NULL, path, prefix,
				       &out->unified))
				any = true;
			continue;
		}
		for (int c = 0; c < LX_CG_NCTRL; c++)
			if (!out->v1[c].found &&
			    list_has(ctrls, ctrl_names[c]) &&
			    find_mount(mountinfo_text, ctrl_names[c], path,
				       prefix, &out->v1[c]))
				any = true;
	}
	if (!any)
		return lx_error_set(err, LX_ERR_NOTFOUND, ENOENT,
				    "cgroup: no cgroup v2 or v1 "
				    "memory/pids/cpu directory found");
	return 0;
}

/* ------------------------------------------------------------ opening */

static int open_loc(const struct lx_cgroup_loc *loc, struct lx_error *err)
{
	_cleanup_close_ int mfd = -1;
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_SAFE,
	};
	int fd;

	mfd = open(loc->mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return lx_error_set(
		    err, errno == ENOENT ? LX_ERR_NOTFOUND : LX_ERR_SYSTEM,
		    errno, "cgroup mount %s", loc->mnt);
	fd = (int)syscall(SYS_openat2, mfd, loc->rel[0] ? loc->rel : ".", &how,
			  sizeof(how));
	if (fd < 0)
		return lx_error_set(
		    err, errno == ENOENT ? LX_ERR_NOTFOUND : LX_ERR_SYSTEM,
		    errno, "cgroup %s/%s", loc->mnt, loc->rel);
	return fd;
}

static struct lx_cgroup *cg_new(void)
{
	struct lx_cgroup *cg = calloc(1, sizeof(*cg));

	if (!cg)
		return NULL;
	for (int c = 0; c < LX_CG_NCTRL; c++)
		cg->fd[c] = -1;
	return cg;
}

void lx_cgroup_free(struct lx_cgroup *cg)
{
	if (!cg)
		return;
	for (int c = 0; c < LX_CG_NCTRL; c++) {
		if (cg->fd[c] >= 0)
			close(cg->fd[c]);
		free(cg->path[c]);
	}
	free(cg);
}

static void cg_freep(struct lx_cgroup **cg)
{
	lx_cgroup_free(*cg);
}

/* Take the controllers listed in dirfd's cgroup.controllers as v2. */
static int adopt_v2(struct lx_cgroup *cg, int dirfd, const char *path)
{
	char buf[CG_FILE_MAX];
	int r = read_at(dirfd, "cgroup.controllers", buf, sizeof(buf));

	if (r < 0)
		return r;
	for (int c = 0; c < LX_CG_NCTRL; c++) {
		char *save = NULL, *tok, tmp[CG_FILE_MAX];
		bool has = false;

		snprintf(tmp, sizeof(tmp), "%s", buf);
		for (tok = strtok_r(tmp, " \t\n", &save); tok && !has;
		     tok = strtok_r(NULL, " \t\n", &save))
			has = strcmp(tok, ctrl_names[c]) == 0;
		if (!has || cg->fd[c] >= 0)
			continue;
		cg->fd[c] = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
		if (cg->fd[c] < 0)
			return -errno;
		cg->v2[c] = true;
		cg->path[c] = strdup(path);
		if (!cg->path[c])
			return -ENOMEM;
	}
	return 0;
}

static char *loc_path(const struct lx_cgroup_loc *loc)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s%s", loc->mnt, loc->rel[0] ? "/" : "", loc->rel) <
	    0)
		return NULL;
	return p;
}

int lx_cgroup_open_layout(const struct lx_cgroup_layout *l,
			  struct lx_cgroup **out, struct lx_error *err)
{
	_cleanup_(cg_freep) struct lx_cgroup *cg = cg_new();
	bool any = false;
	int r;

	if (!cg)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	if (l->unified.found) {
		_cleanup_close_ int fd = open_loc(&l->unified, err);
		_cleanup_free_ char *p = loc_path(&l->unified);

		if (fd < 0)
			return fd;
		/* An empty cgroup2 (hybrid host) lists nothing: all v1. */
		r = adopt_v2(cg, fd, p ? p : "?");
		if (r < 0 && r != -ENOENT)
			return lx_error_set(err, LX_ERR_SYSTEM, -r, "cgroup %s",
					    p ? p : "?");
	}
	for (int c = 0; c < LX_CG_NCTRL; c++) {
		if (cg->fd[c] >= 0) {
			any = true;
			continue;
		}
		if (!l->v1[c].found)
			continue;
		cg->fd[c] = open_loc(&l->v1[c], err);
		if (cg->fd[c] < 0)
			return cg->fd[c];
		cg->path[c] = loc_path(&l->v1[c]);
		if (!cg->path[c])
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup");
		any = true;
	}
	if (!any)
		return lx_error_set(err, LX_ERR_NOTFOUND, ENOENT,
				    "cgroup: none of memory, pids, cpu is "
				    "available (not in cgroup.controllers "
				    "nor mounted as v1)");
	*out = TAKE_PTR(cg);
	return 0;
}

int lx_cgroup_open_pid(pid_t pid, const struct lx_cgroup_roots *roots,
		       struct lx_cgroup **out, struct lx_error *err)
{
	const char *proc = roots && roots->proc ? roots->proc : "/proc";
	const char *prefix = roots && roots->prefix ? roots->prefix : "";
	_cleanup_free_ char *cgt = NULL;
	_cleanup_free_ char *mit = NULL;
	_cleanup_free_ struct lx_cgroup_layout *l = NULL;
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, (int)pid);
	r = read_text(path, &cgt);
	if (r < 0)
		return lx_error_set(err,
				    r == -ENOENT || r == -ESRCH
					? LX_ERR_NOTFOUND
					: LX_ERR_SYSTEM,
				    -r, "cgroup of pid %d: %s", (int)pid, path);
	/* Our own mount table: the host's, not the container's. */
	snprintf(path, sizeof(path), "%s/self/mountinfo", proc);
	r = read_text(path, &mit);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "%s", path);
	l = malloc(sizeof(*l));
	if (!l)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	r = lx_cgroup_resolve(cgt, mit, prefix, l, err);
	if (r < 0) {
		lx_error_wrap(err, "pid %d", (int)pid);
		return r;
	}
	return lx_cgroup_open_layout(l, out, err);
}

int lx_cgroup_open_v2_dir(const char *path, struct lx_cgroup **out,
			  struct lx_error *err)
{
	_cleanup_(cg_freep) struct lx_cgroup *cg = cg_new();
	_cleanup_close_ int fd = -1;
	int r;

	if (!cg)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lx_error_set(
		    err, errno == ENOENT ? LX_ERR_NOTFOUND : LX_ERR_SYSTEM,
		    errno, "cgroup %s", path);
	r = adopt_v2(cg, fd, path);
	if (r == -ENOENT)
		return lx_error_set(err, LX_ERR_NOTFOUND, ENOENT,
				    "cgroup %s: not a cgroup v2 directory "
				    "(no cgroup.controllers)",
				    path);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "cgroup %s", path);
	*out = TAKE_PTR(cg);
	return 0;
}

/* ------------------------------------------------------- read / write */

static int ctrl_fd(struct lx_cgroup *cg, const struct cg_key *k,
		   struct lx_error *err)
{
	if (cg->fd[k->ctrl] < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, EOPNOTSUPP,
				    "cgroup %s: %s controller not available",
				    k->key, ctrl_names[k->ctrl]);
	return cg->fd[k->ctrl];
}

static int read_v1_mem(int fd, const char *file, uint64_t *v, bool *max)
{
	char buf[64];
	int r = read_at(fd, file, buf, sizeof(buf));

	if (r < 0)
		return r;
	if (parse_limit(buf, v, max) < 0)
		return -EPROTO;
	*max = *max || mem_is_unlimited(*v);
	return 0;
}

static int read_v1(struct lx_cgroup *cg, const struct cg_key *k, char **value)
{
	int fd = cg->fd[k->ctrl];
	char buf[128], a[64], b[64];
	uint64_t v, l;
	bool max, lmax;
	int r;

	if (k->memory && strcmp(k->key, "memory.swap.max") != 0) {
		r = read_v1_mem(fd, k->v1, &v, &max);
		if (r < 0)
			return r;
		if (max)
			snprintf(buf, sizeof(buf), "max");
		else
			fmt_u64(buf, sizeof(buf), v);
	} else if (k->memory) {
		r = read_v1_mem(fd, "memory.memsw.limit_in_bytes", &v, &max);
		if (r == 0)
			r = read_v1_mem(fd, "memory.limit_in_bytes", &l, &lmax);
		if (r < 0)
			return r;
		/*
		 * swap = memsw - limit. With no memory limit but a finite
		 * memsw, memsw alone bounds the swap.
		 */
		if (max)
			snprintf(buf, sizeof(buf), "max");
		else
			fmt_u64(buf, sizeof(buf), lmax ? v : v > l ? v - l : 0);
	} else if (strcmp(k->key, "cpu.max") == 0) {
		r = read_at(fd, "cpu.cfs_quota_us", a, sizeof(a));
		if (r == 0)
			r = read_at(fd, "cpu.cfs_period_us", b, sizeof(b));
		if (r < 0)
			return r;
		snprintf(buf, sizeof(buf), "%s %s", a[0] == '-' ? "max" : a, b);
	} else if (strcmp(k->key, "cpu.weight") == 0) {
		r = read_at(fd, "cpu.shares", a, sizeof(a));
		if (r < 0)
			return r;
		if (parse_limit(a, &v, &max) < 0 || max)
			return -EPROTO;
		fmt_u64(buf, sizeof(buf), lx_cg_shares_to_weight(v));
	} else {
		r = read_at(fd, k->v1, buf, sizeof(buf));
		if (r < 0)
			return r;
	}
	*value = strdup(buf);
	return *value ? 0 : -ENOMEM;
}

int lx_cgroup_read(struct lx_cgroup *cg, const char *key, char **value,
		   struct lx_error *err)
{
	const struct cg_key *k = key_find(key);
	int fd, r;

	*value = NULL;
	if (!k)
		return lx_error_set(err, LX_ERR_INVALID, EINVAL,
				    "cgroup %s: unknown setting", key);
	fd = ctrl_fd(cg, k, err);
	if (fd < 0)
		return fd;
	if (cg->v2[k->ctrl]) {
		char buf[CG_FILE_MAX];

		r = read_at(fd, key, buf, sizeof(buf));
		if (r == 0) {
			*value = lx_sysctl_fold(buf);
			r = *value ? 0 : -ENOMEM;
		}
	} else {
		r = read_v1(cg, k, value);
	}
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "cgroup %s (%s)",
				    key, cg->path[k->ctrl]);
	return 0;
}

int lx_cgroup_observe(struct lx_cgroup *cg, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err)
{
	size_t nd = desired ? desired->n : 0, no = owned ? owned->n : 0;

	for (size_t i = 0; i < nd + no; i++) {
		const char *key =
		    i < nd ? desired->v[i].key : owned->v[i - nd].key;
		_cleanup_free_ char *v = NULL;
		struct lx_error e;

		if (lx_kvs_find(observed, key))
			continue;
		lx_error_clear(&e);
		if (lx_cgroup_read(cg, key, &v, &e) < 0 && err)
			lx_error_add(err, e.kind, 0, "%s", e.msg);
		if (lx_kvs_add(observed, key, v) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup observe");
	}
	return 0;
}

int lx_cgroup_diff(const struct lx_kvs *desired, const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err)
{
	return lx_kvs_diff3(LX_OBJ_CGROUP, desired, observed, owned,
			    revert_on_release, cg_eq, plan, err);
}

/* ---------------------------------------------------------------- apply */

static struct lx_op *plan_find(struct lx_plan *plan, const char *key)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->ops[i].obj == LX_OBJ_CGROUP &&
		    strcmp(plan->ops[i].u.kv.key, key) == 0)
			return &plan->ops[i];
	return NULL;
}

/* The memory limit memory.swap.max will sit next to (v1), v2 form. */
static int v1_limit_for_swap(struct lx_cgroup *cg, struct lx_plan *plan,
			     char *buf, size_t len)
{
	struct lx_op *m = plan_find(plan, "memory.max");
	uint64_t l;
	bool max;
	int r;

	if (m && m->u.kv.value && m->state != LX_OPS_FAILED) {
		snprintf(buf, len, "%s", m->u.kv.value);
		return 0;
	}
	r = read_v1_mem(cg->fd[LX_CG_MEMORY], "memory.limit_in_bytes", &l,
			&max);
	if (r < 0)
		return r;
	if (max)
		snprintf(buf, len, "max");
	else
		fmt_u64(buf, len, l);
	return 0;
}

/* Fill op->u.kv.file with the file(s) written (v1 translation shown). */
static void set_file(struct lx_cgroup *cg, struct lx_op *op)
{
	const struct cg_key *k = key_find(op->u.kv.key);
	char f[160];

	if (!k || op->u.kv.file || !op->u.kv.value || cg->fd[k->ctrl] < 0 ||
	    cg->v2[k->ctrl])
		return;
	if (strcmp(k->key, "cpu.max") == 0)
		snprintf(f, sizeof(f), "cpu.cfs_period_us, cpu.cfs_quota_us");
	else
		snprintf(f, sizeof(f), "%s", k->v1);
	op->u.kv.file = strdup(f);
}

static int write_op(struct lx_cgroup *cg, struct lx_plan *plan,
		    struct lx_op *op, struct lx_error *err)
{
	const struct cg_key *k = key_find(op->u.kv.key);
	struct lx_cg_write w[2];
	char limit[64] = "";
	int fd, n, r;

	if (!k)
		return lx_error_set(err, LX_ERR_INVALID, EINVAL,
				    "cgroup %s: unknown setting", op->u.kv.key);
	fd = ctrl_fd(cg, k, err);
	if (fd < 0)
		return fd;
	if (cg->v2[k->ctrl]) {
		r = write_at(fd, k->key, op->u.kv.value);
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "cgroup %s=%s (%s)", k->key,
					    op->u.kv.value, cg->path[k->ctrl]);
		return 0;
	}
	if (strcmp(k->key, "memory.swap.max") == 0) {
		r = v1_limit_for_swap(cg, plan, limit, sizeof(limit));
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "cgroup %s: memory.limit_in_bytes",
					    k->key);
	}
	n = lx_cgroup_translate_v1(k->key, op->u.kv.value, limit, w);
	if (n < 0)
		return lx_error_set(err, LX_ERR_INVALID, EINVAL,
				    "cgroup %s=%s: invalid value", k->key,
				    op->u.kv.value);
	r = write_at(fd, w[0].file, w[0].value);
	if (n == 2 && r == -EINVAL) {
		/*
		 * A shorter period can make the current quota invalid for
		 * the hierarchy: then write the quota first (as runc does).
		 */
		r = write_at(fd, w[1].file, w[1].value);
		if (r == 0)
			r = write_at(fd, w[0].file, w[0].value);
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "cgroup %s=%s (%s/%s=%s)", k->key,
					    op->u.kv.value, cg->path[k->ctrl],
					    w[1].file, w[1].value);
		return 0;
	}
	if (r < 0)
		return lx_error_set(
		    err, LX_ERR_SYSTEM, -r, "cgroup %s=%s (%s/%s=%s)", k->key,
		    op->u.kv.value, cg->path[k->ctrl], w[0].file, w[0].value);
	if (n == 2) {
		r = write_at(fd, w[1].file, w[1].value);
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "cgroup %s=%s (%s/%s=%s)", k->key,
					    op->u.kv.value, cg->path[k->ctrl],
					    w[1].file, w[1].value);
	}
	return 0;
}

/*
 * v1 needs memsw >= limit at every moment. When both move, memsw goes
 * first if the new limit is unlimited or above the current memsw (raise),
 * else the limit goes first (lower). Returns true when the swap op must
 * be applied before the memory.max op.
 */
static bool v1_swap_first(struct lx_cgroup *cg, const struct lx_op *mem)
{
	uint64_t nl, cur;
	bool nmax, cmax;

	if (parse_limit(mem->u.kv.value, &nl, &nmax) < 0)
		return false;
	if (read_v1_mem(cg->fd[LX_CG_MEMORY], "memory.memsw.limit_in_bytes",
			&cur, &cmax) < 0)
		return false;
	if (nmax)
		return true;
	return !cmax && nl > cur;
}

int lx_cgroup_apply(struct lx_cgroup *cg, struct lx_plan *plan,
		    struct lx_owned_kvs *owned, struct lx_error *err)
{
	_cleanup_free_ size_t *order = calloc(plan->n + 1, sizeof(size_t));
	struct lx_op *mem = plan_find(plan, "memory.max");
	struct lx_op *swp = plan_find(plan, "memory.swap.max");
	size_t im = 0, is = 0;
	int first = 0;

	if (!order)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup apply");
	for (size_t i = 0; i < plan->n; i++)
		order[i] = i;
	if (mem && swp && mem->u.kv.value && swp->u.kv.value &&
	    cg->fd[LX_CG_MEMORY] >= 0 && !cg->v2[LX_CG_MEMORY]) {
		im = (size_t)(mem - plan->ops);
		is = (size_t)(swp - plan->ops);
		if ((is > im) == v1_swap_first(cg, mem)) {
			order[im] = is;
			order[is] = im;
		}
	}
	for (size_t j = 0; j < plan->n; j++) {
		struct lx_op *op = &plan->ops[order[j]];
		struct lx_error e;
		int r = 0;

		if (op->obj != LX_OBJ_CGROUP || op->state != LX_OPS_PLANNED)
			continue;
		lx_error_clear(&e);
		set_file(cg, op);
		if (op->u.kv.value)
			r = write_op(cg, plan, op, &e);
		if (r == 0 && lx_kv_owned_update(owned, op) < 0)
			r = lx_error_set(&e, LX_ERR_SYSTEM, ENOMEM, "cgroup %s",
					 op->u.kv.key);
		if (r < 0) {
			lx_op_fail(op, e.msg);
			lx_error_add(err, LX_ERR_SYSTEM, 0, "%s", e.msg);
			if (!first)
				first = r;
			continue;
		}
		op->state = LX_OPS_APPLIED;
	}
	return first;
}

static void subreport_error(struct lx_subreport *rep, const char *msg)
{
	free(rep->error);
	rep->error = strdup(msg);
	rep->converged = false;
}

/*
 * On v1, memsw holds memory.max + swap: when memory.max moves while
 * memory.swap.max stays desired, memsw must move with it or the swap
 * allowance silently changes. Add that update to the plan.
 */
static int v1_couple_swap(struct lx_cgroup *cg, const struct lx_kvs *desired,
			  const struct lx_kvs *observed, struct lx_plan *plan,
			  struct lx_error *err)
{
	const struct lx_kv *swp =
	    desired ? lx_kvs_find(desired, "memory.swap.max") : NULL;
	struct lx_op *mem = plan_find(plan, "memory.max");
	const char *obs = lx_kvs_get(observed, "memory.swap.max");
	struct lx_op op = {.verb = LX_OP_UPDATE, .obj = LX_OBJ_CGROUP};

	if (!swp || !mem || !mem->u.kv.value || cg->fd[LX_CG_MEMORY] < 0 ||
	    cg->v2[LX_CG_MEMORY] || plan_find(plan, "memory.swap.max"))
		return 0;
	op.u.kv.key = strdup(swp->key);
	op.u.kv.value = strdup(swp->value);
	op.u.kv.observed = obs ? strdup(obs) : NULL;
	if (!op.u.kv.key || !op.u.kv.value || (obs && !op.u.kv.observed)) {
		lx_op_free(&op);
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup diff");
	}
	if (lx_plan_add(plan, &op) < 0) /* the plan freed the op */
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup diff");
	return 0;
}

int lx_cgroup_reconcile(struct lx_cgroup *cg, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert,
			struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_kvs observed = {0};
	struct lx_error e;
	int r;

	rep->converged = false;
	lx_error_clear(&e);
	for (size_t i = 0; desired && i < desired->n; i++)
		if (!key_find(desired->v[i].key))
			lx_error_add(&e, LX_ERR_INVALID, 0,
				     "cgroup \"%s\": unknown setting",
				     desired->v[i].key);
	if (lx_error_is_set(&e)) {
		r = -EINVAL;
		goto fail;
	}
	r = lx_cgroup_observe(cg, desired, owned, &observed, &e);
	if (r < 0)
		goto fail;
	lx_error_clear(&e);
	r = lx_cgroup_diff(desired, &observed, owned, revert, &rep->plan, &e);
	if (r == 0)
		r = v1_couple_swap(cg, desired, &observed, &rep->plan, &e);
	if (r < 0)
		goto fail;
	if (cg->intent && owned)
		lx_kv_announce(&rep->plan, LX_OBJ_CGROUP, owned, cg->intent,
			       cg->intent_data);
	if (lx_cgroup_apply(cg, &rep->plan, owned, &e) < 0) {
		/* best-effort: the failures are recorded on their ops */
	}
	if (lx_kvs_adopt(desired, &observed, owned, cg_eq) < 0) {
		r = lx_error_set(&e, LX_ERR_SYSTEM, ENOMEM, "cgroup");
		goto fail;
	}
	lx_kvs_free(&observed);
	rep->converged = lx_plan_count(&rep->plan, LX_OPS_FAILED) == 0 &&
			 lx_plan_count(&rep->plan, LX_OPS_PENDING) == 0;
	return 0;
fail:
	lx_kvs_free(&observed);
	subreport_error(rep, e.msg);
	if (err)
		*err = e;
	return r;
}

int lx_cgroup_release(struct lx_cgroup *cg, struct lx_owned_kvs *owned,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err)
{
	return lx_cgroup_reconcile(cg, NULL, owned, revert, rep, err);
}

/* ------------------------------------------------------------- policy */

bool lx_cgroup_is_raise(const char *key, const char *desired, const char *spawn)
{
	const struct cg_key *k = key_find(key);
	uint64_t d, s, dq, dp, sq, sp;
	bool dmax, smax;

	if (!k || !desired || !spawn)
		return false;
	if (strcmp(key, "cpu.max") == 0) {
		if (parse_cpu_max(desired, &dq, &dmax, &dp) < 0 ||
		    parse_cpu_max(spawn, &sq, &smax, &sp) < 0)
			return true; /* cannot compare: not a tightening */
		if (smax)
			return false;
		if (dmax)
			return true;
		return (unsigned __int128)dq * sp > (unsigned __int128)sq * dp;
	}
	if (parse_limit(desired, &d, &dmax) < 0 ||
	    parse_limit(spawn, &s, &smax) < 0)
		return true;
	if (k->memory) {
		dmax = dmax || mem_is_unlimited(d);
		smax = smax || mem_is_unlimited(s);
		d /= page_size();
		s /= page_size();
	}
	if (smax)
		return false;
	if (dmax)
		return true;
	return d > s;
}

int lx_cgroup_check_policy(struct lx_cgroup *cg, const struct lx_kvs *desired,
			   const struct lx_owned_kvs *owned, bool allow_raise,
			   struct lx_error *err)
{
	struct lx_error e;

	if (allow_raise || !desired)
		return 0;
	lx_error_clear(&e);
	for (size_t i = 0; i < desired->n; i++) {
		const struct lx_kv *d = &desired->v[i];
		const struct lx_owned_kv *w =
		    owned ? lx_owned_kvs_find(owned, d->key) : NULL;
		_cleanup_free_ char *cur = NULL;
		const char *spawn = w ? w->original : NULL;
		char q[300];

		if (!spawn) {
			struct lx_error re;
			int r;

			lx_error_clear(&re);
			r = lx_cgroup_read(cg, d->key, &cur, &re);
			/* Missing file/controller: apply will fail it. */
			if (r == -ENOENT || r == -EOPNOTSUPP)
				continue;
			if (r < 0) {
				lx_error_add(&e, re.kind, 0, "%s", re.msg);
				continue;
			}
			spawn = cur;
		}
		if (lx_cgroup_is_raise(d->key, d->value, spawn))
			lx_error_add(&e, LX_ERR_POLICY, 0,
				     "cgroup \"%s\" (io.linx.cgroup): refused: "
				     "%s is above the spawn value %s (limits "
				     "may only tighten; --cgroup-allow-raise)",
				     lx_quote(d->key, q, sizeof(q)), d->value,
				     spawn);
	}
	if (!lx_error_is_set(&e))
		return 0;
	if (e.kind == LX_ERR_POLICY)
		e.err = EPERM;
	if (err)
		*err = e;
	return e.kind == LX_ERR_POLICY ? -EPERM : -e.err;
}

/* ------------------------------------------------ the source contract */

/* The instance: env->cg is the engine's; NULL when the target has no
 * known cgroup, then there is nothing to observe or apply. */
struct cgroup_src {
	struct lx_kv_forward fwd;
};

static int cgroup_open_op(void **inst, const struct lx_source_env *env,
			  struct lx_error *err)
{
	struct cgroup_src *s = calloc(1, sizeof(*s));

	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	s->fwd.env = env;
	*inst = s;
	return 0;
}

static void cgroup_close_op(void *inst)
{
	free(inst);
}

static int cgroup_check_op(void *inst, const struct lx_source_env *env,
			   const struct lx_desired *d,
			   const struct lx_owned *owned, struct lx_error *err)
{
	(void)inst;
	/* lx_cgroup_check_policy replaces err: once another check refused,
	 * the outcome is known and the cgroup is not read. */
	if (lx_error_is_set(err))
		return 0;
	if (d->cgroup.n && !env->cg)
		return lx_error_set(err, LX_ERR_NOTFOUND, 0,
				    "cgroup (io.linx.cgroup): the target has "
				    "no known cgroup (use --pid or --cgroup)");
	if (!env->cg)
		return 0;
	return lx_cgroup_check_policy(env->cg, &d->cgroup, &owned->cgroup,
				      env->policy->cgroup_allow_raise, err);
}

static int cgroup_observe_op(void *inst, const struct lx_desired *d,
			     const struct lx_owned *owned, void **observed,
			     struct lx_error *err)
{
	struct cgroup_src *s = inst;
	struct lx_error unreadable;
	struct lx_kvs *obs;
	int r = 0;

	if (!s->fwd.env->cg)
		return 0;
	for (size_t i = 0; i < d->cgroup.n; i++)
		if (!key_find(d->cgroup.v[i].key))
			r = lx_error_add(err, LX_ERR_INVALID, 0,
					 "cgroup \"%s\": unknown setting",
					 d->cgroup.v[i].key);
	if (r < 0)
		return -EINVAL;
	obs = calloc(1, sizeof(*obs));
	if (!obs)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	/* Unreadable keys are not fatal: their ops carry the failure. */
	lx_error_clear(&unreadable);
	r = lx_cgroup_observe(s->fwd.env->cg, &d->cgroup, &owned->cgroup, obs,
			      &unreadable);
	if (r < 0) {
		lx_kvs_observed_free(obs);
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "cgroup: observe");
	}
	*observed = obs;
	return 0;
}

static int cgroup_diff_op(const void *inst, const struct lx_desired *d,
			  const void *observed, const struct lx_owned *owned,
			  struct lx_plan *plan, struct lx_error *err)
{
	const struct cgroup_src *s = inst;
	int r;

	if (!observed)
		return 0; /* no cgroup */
	r = lx_cgroup_diff(&d->cgroup, observed, &owned->cgroup,
			   d->opts.revert_on_release, plan, err);
	/* Reads only the layout (which controllers are v1). */
	if (r == 0)
		r = v1_couple_swap(s->fwd.env->cg, &d->cgroup, observed, plan,
				   err);
	return r;
}

/* Best-effort: every op is tried; failures are recorded on their ops. */
static int cgroup_apply_op(void *inst, const struct lx_desired *d,
			   const void *observed, struct lx_owned *owned,
			   struct lx_subreport *rep, struct lx_error *err)
{
	struct cgroup_src *s = inst;
	struct lx_cgroup *cg = s->fwd.env->cg;
	struct lx_error failures;

	rep->converged = true;
	if (!cg)
		return 0;
	if (s->fwd.env->intent) {
		s->fwd.owned = owned;
		lx_kv_announce(&rep->plan, LX_OBJ_CGROUP, &owned->cgroup,
			       lx_kv_intent_forward, &s->fwd);
	}
	lx_error_clear(&failures);
	if (lx_cgroup_apply(cg, &rep->plan, &owned->cgroup, &failures) < 0) {
		/* recorded on the failed ops */
	}
	if (lx_kvs_adopt(&d->cgroup, observed, &owned->cgroup, cg_eq) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	rep->converged = lx_plan_count(&rep->plan, LX_OPS_FAILED) == 0 &&
			 lx_plan_count(&rep->plan, LX_OPS_PENDING) == 0;
	return 0;
}

static int cgroup_release_op(void *inst, struct lx_owned *owned, bool remove,
			     bool revert, struct lx_subreport *rep,
			     struct lx_error *err)
{
	struct cgroup_src *s = inst;

	(void)remove;
	if (!revert || !s->fwd.env->cg)
		return 0;
	return lx_cgroup_release(s->fwd.env->cg, &owned->cgroup, true, rep,
				 err);
}

const struct lx_subsys lx_cgroup_subsys = {
    .name = "cgroup",
    .open = cgroup_open_op,
    .close = cgroup_close_op,
    .check = cgroup_check_op,
    .observe = cgroup_observe_op,
    .observed_free = lx_kvs_observed_free,
    .diff = cgroup_diff_op,
    .apply = cgroup_apply_op,
    .release = cgroup_release_op,
};
