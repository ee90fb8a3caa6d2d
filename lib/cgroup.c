/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* openat2, O_PATH, asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "policy.h"

#define RESOLVE_SAFE                                                           \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
#define CG_FILE_MAX 4096
#define TEXT_MAX    (1 << 20)

/* ----------------------------------------------------------- file I/O */

static int cg_openat(int dirfd, const char *file, int flags)
{
	/* openat2 refuses O_NOCTTY next to O_PATH (EINVAL) */
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC |
				((flags & O_PATH) ? 0 : O_NOCTTY)),
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
	size_t rl = strlen(root), pl, ml, rell;
	const char *rel;
	char *buf;

	if (strcmp(root, "/") == 0)
		rel = cgpath;
	else if (strncmp(cgpath, root, rl) == 0 &&
		 (cgpath[rl] == '\0' || cgpath[rl] == '/'))
		rel = cgpath + rl;
	else
		return false;
	while (*rel == '/')
		rel++;
	pl = strlen(prefix);
	ml = strlen(mnt);
	rell = strlen(rel);
	/* the PATH_MAX bounds of a path the kernel can open */
	if (pl + ml >= PATH_MAX || rell >= PATH_MAX)
		return false;
	buf = malloc(pl + ml + 1 + rell + 1);
	if (!buf)
		return false;
	memcpy(buf, prefix, pl);
	memcpy(buf + pl, mnt, ml + 1);
	memcpy(buf + pl + ml + 1, rel, rell + 1);
	free(loc->mnt);
	loc->mnt = buf;
	loc->rel = buf + pl + ml + 1;
	loc->root = strcmp(cgpath, "/") == 0;
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
		_cleanup_free_ char *l = NULL;
		char *f[64], *save = NULL, *tok, *fstype, *superopts;
		int n = 0, dash = -1;

		/* only a cgroup or cgroup2 mount can match (its fstype
		 * says so): the other lines are neither copied nor split */
		if (!memmem(line, len, "cgroup", 6)) {
			line = nl ? nl + 1 : NULL;
			continue;
		}
		l = strndup(line, len);
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
		if (!l) {
			lx_cgroup_layout_free(out);
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup");
		}
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
			    list_has(ctrls, lx_cg_ctrl_v1_name(c)) &&
			    find_mount(mountinfo_text, lx_cg_ctrl_v1_name(c),
				       path, prefix, &out->v1[c]))
				any = true;
	}
	if (!any)
		return lx_error_set(err, LX_ERR_NOTFOUND, ENOENT,
				    "cgroup: no cgroup v2 or v1 "
				    "directory of a known controller found");
	return 0;
}

void lx_cgroup_layout_free(struct lx_cgroup_layout *l)
{
	free(l->unified.mnt);
	for (int c = 0; c < LX_CG_NCTRL; c++)
		free(l->v1[c].mnt);
	memset(l, 0, sizeof(*l));
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
	/* the mount root itself: that fd is the one openat2 "." would give */
	if (!loc->rel[0])
		return TAKE_FD(mfd);
	fd = (int)syscall(SYS_openat2, mfd, loc->rel, &how, sizeof(how));
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
	free(cg->proc);
	lx_kvs_free(&cg->spawn);
	free(cg);
}

static void cg_freep(struct lx_cgroup **cg)
{
	lx_cgroup_free(*cg);
}

/* Take the controllers listed in dirfd's cgroup.controllers as v2. */
static int adopt_v2(struct lx_cgroup *cg, int dirfd, const char *path,
		    bool root)
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
			has = strcmp(tok, lx_cg_ctrl_name(c)) == 0;
		if (!has || cg->fd[c] >= 0)
			continue;
		cg->fd[c] = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
		if (cg->fd[c] < 0)
			return -errno;
		cg->v2[c] = true;
		cg->root[c] = root;
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
		r = adopt_v2(cg, fd, p ? p : "?", l->unified.root);
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
		cg->root[c] = l->v1[c].root;
		cg->path[c] = loc_path(&l->v1[c]);
		if (!cg->path[c])
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup");
		any = true;
	}
	if (!any)
		return lx_error_set(err, LX_ERR_NOTFOUND, ENOENT,
				    "cgroup: no known controller is "
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
	struct lx_cgroup_layout l;
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
	r = lx_cgroup_resolve(cgt, mit, prefix, &l, err);
	if (r < 0) {
		lx_error_wrap(err, "pid %d", (int)pid);
		return r;
	}
	r = lx_cgroup_open_layout(&l, out, err);
	lx_cgroup_layout_free(&l);
	if (r < 0)
		return r;
	(*out)->pid = pid;
	(*out)->proc = strdup(proc);
	if (!(*out)->proc) {
		lx_cgroup_free(*out);
		*out = NULL;
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	}
	return 0;
}

/* A cgroup2 directory without cgroup.type (CFTYPE_NOT_ON_ROOT) is the
 * root; on another filesystem (a test tree) it is not a cgroup at all. */
static bool v2_dir_is_root(int dirfd)
{
	struct statfs sf;
	_cleanup_close_ int fd = -1;

	if (fstatfs(dirfd, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return false;
	fd = cg_openat(dirfd, "cgroup.type", O_PATH);
	return fd == -ENOENT;
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
	r = adopt_v2(cg, fd, path, v2_dir_is_root(fd));
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

static int ctrl_fd(struct lx_cgroup *cg, const struct lx_cg_row *row,
		   const char *key, struct lx_error *err)
{
	if (cg->fd[row->ctrl] < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, EOPNOTSUPP,
				    "cgroup %s: %s controller not available",
				    key, lx_cg_ctrl_name(row->ctrl));
	return cg->fd[row->ctrl];
}

/* The v1 files of key read into bufs (texts[i] NULL when absent). */
static int read_v1(int fd, const struct lx_cg_row *row, const char *key,
		   const char *hint, char *out, size_t len)
{
	char files[4][64], bufs[5][CG_FILE_MAX];
	const char *texts[4] = {NULL};
	size_t n = lx_cg_v1_files(key, files);
	int r;

	if (n == 0)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < n; i++) {
		r = read_at(fd, files[i], bufs[i], sizeof(bufs[i]));
		if (r < 0)
			return r;
		texts[i] = bufs[i];
	}
	if (row->v1_read) {
		r = read_at(fd, row->v1_read, bufs[4], sizeof(bufs[4]));
		if (r < 0)
			return r;
	}
	return lx_cg_from_v1(key, texts, row->v1_read ? bufs[4] : NULL, hint,
			     out, len);
}

int lx_cgroup_read(struct lx_cgroup *cg, const char *key, const char *hint,
		   char **value, struct lx_error *err)
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	char buf[CG_FILE_MAX], out[CG_FILE_MAX];
	int fd, r;

	*value = NULL;
	if (!row)
		return lx_error_set(err, LX_ERR_INVALID, EINVAL,
				    "cgroup %s: unknown setting", key);
	fd = ctrl_fd(cg, row, key, err);
	if (fd < 0)
		return fd;
	if (cg->v2[row->ctrl]) {
		r = read_at(fd, key, buf, sizeof(buf));
		if (r == 0)
			r = lx_cg_from_v2(key, buf, hint, out, sizeof(out));
	} else {
		r = read_v1(fd, row, key, hint, out, sizeof(out));
	}
	if (r == 0 && !(*value = strdup(out)))
		r = -ENOMEM;
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "cgroup %s (%s)",
				    key, cg->path[row->ctrl]);
	return 0;
}

static struct lx_op *plan_find(struct lx_plan *plan, const char *key)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->ops[i].obj == LX_OBJ_CGROUP &&
		    strcmp(plan->ops[i].u.kv.key, key) == 0)
			return &plan->ops[i];
	return NULL;
}

static int read_limit_v1(struct lx_cgroup *cg, char *buf, size_t len)
{
	char t[64];
	const char *texts[4] = {t};
	int r = read_at(cg->fd[LX_CG_MEMORY], "memory.limit_in_bytes", t,
			sizeof(t));

	return r < 0 ? r
		     : lx_cg_from_v1("memory.max", texts, NULL, NULL, buf, len);
}

/* The memory limit memory.swap.max will sit next to (v1), v2 form. */
static int v1_limit_for_swap(struct lx_cgroup *cg, struct lx_plan *plan,
			     char *buf, size_t len)
{
	struct lx_op *m = plan_find(plan, "memory.max");

	if (m && m->u.kv.value && m->state != LX_OPS_FAILED && !m->held) {
		snprintf(buf, len, "%s", m->u.kv.value);
		return 0;
	}
	return read_limit_v1(cg, buf, len);
}

static bool is_v1(const struct lx_cgroup *cg, enum lx_cg_ctrl c)
{
	return cg->fd[c] >= 0 && !cg->v2[c];
}

/* Fill op->u.kv.file with the v1 file(s) written, for the report. */
static void set_file(struct lx_cgroup *cg, struct lx_op *op)
{
	const struct lx_cg_row *row = lx_cg_row_find(op->u.kv.key);
	struct lx_cg_write w[4];
	char f[300] = "";
	int n;

	if (!row || op->u.kv.file || !op->u.kv.value || !is_v1(cg, row->ctrl))
		return;
	n = lx_cg_to_v1(op->u.kv.key, op->u.kv.value, "max", w);
	for (int i = 0; i < n; i++)
		snprintf(f + strlen(f), sizeof(f) - strlen(f), "%s%.63s",
			 i ? ", " : "", w[i].file);
	if (n > 0)
		op->u.kv.file = strdup(f);
}

static int write_fail(struct lx_error *err, int r, const struct lx_op *op,
		      const char *dir, const struct lx_cg_write *w)
{
	return lx_error_set(err, LX_ERR_SYSTEM, -r, "cgroup %s=%s (%s/%s=%s)",
			    op->u.kv.key, op->u.kv.value, dir, w->file,
			    w->value);
}

static int write_op(struct lx_cgroup *cg, struct lx_plan *plan,
		    struct lx_op *op, struct lx_error *err)
{
	const struct lx_cg_row *row = lx_cg_row_find(op->u.kv.key);
	const char *key = op->u.kv.key;
	struct lx_cg_write w[4];
	char limit[64] = "";
	int fd, n, r;

	if (!row)
		return lx_error_set(err, LX_ERR_INVALID, EINVAL,
				    "cgroup %s: unknown setting", key);
	fd = ctrl_fd(cg, row, key, err);
	if (fd < 0)
		return fd;
	if (cg->v2[row->ctrl]) {
		r = write_at(fd, key, op->u.kv.value);
		if (r < 0)
			return lx_error_set(
			    err, LX_ERR_SYSTEM, -r, "cgroup %s=%s (%s)", key,
			    op->u.kv.value, cg->path[row->ctrl]);
		return 0;
	}
	if (row->conv == LX_CGC_SWAP) {
		r = v1_limit_for_swap(cg, plan, limit, sizeof(limit));
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "cgroup %s: memory.limit_in_bytes",
					    key);
	}
	n = lx_cg_to_v1(key, op->u.kv.value, limit, w);
	if (n <= 0)
		return lx_error_set(err, LX_ERR_INVALID, EINVAL,
				    "cgroup %s=%s: no v1 translation", key,
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
		return r < 0
			   ? write_fail(err, r, op, cg->path[row->ctrl], &w[1])
			   : 0;
	}
	for (int i = 1; r == 0 && i < n; i++) {
		r = write_at(fd, w[i].file, w[i].value);
		if (r < 0)
			return write_fail(err, r, op, cg->path[row->ctrl],
					  &w[i]);
	}
	return r < 0 ? write_fail(err, r, op, cg->path[row->ctrl], &w[0]) : 0;
}

/*
 * v1 needs memsw >= limit at every moment. When both move, memsw goes
 * first if the new limit is unlimited or above the current memsw (raise),
 * else the limit goes first (lower). true when the swap op must be
 * applied before the memory.max op.
 */
static bool v1_swap_first(struct lx_cgroup *cg, const struct lx_op *mem)
{
	char t[64], cur[64];
	const char *texts[4] = {t};
	int r = read_at(cg->fd[LX_CG_MEMORY], "memory.memsw.limit_in_bytes", t,
			sizeof(t));

	if (r < 0 || lx_cg_from_v1("memory.max", texts, NULL, NULL, cur,
				   sizeof(cur)) < 0)
		return false;
	if (strcmp(mem->u.kv.value, "max") == 0)
		return true;
	return strcmp(cur, "max") != 0 &&
	       strtoull(mem->u.kv.value, NULL, 10) > strtoull(cur, NULL, 10);
}

/* ------------------------------------------------------ engine hooks */

static int hook_validate(void *ctx, const char *key, struct lx_error *err)
{
	char q[300];

	(void)ctx;
	if (lx_cg_row_find(key))
		return 0;
	return lx_error_add(err, LX_ERR_INVALID, 0,
			    "cgroup \"%s\": unknown setting",
			    lx_quote(key, q, sizeof(q)));
}

static int hook_read(void *ctx, const char *key, const char *hint, char **value,
		     struct lx_error *err)
{
	return lx_cgroup_read(ctx, key, hint, value, err);
}

static int hook_write(void *ctx, struct lx_plan *plan, struct lx_op *op,
		      struct lx_error *err)
{
	return write_op(ctx, plan, op, err);
}

/*
 * On v1, memsw holds memory.max + swap: when memory.max moves while
 * memory.swap.max stays desired, memsw must move with it or the swap
 * allowance silently changes. Add that update; name the v1 files.
 */
static int hook_plan(void *ctx, const struct lx_kvs *desired,
		     const struct lx_kvs *observed, struct lx_plan *plan,
		     struct lx_error *err)
{
	struct lx_cgroup *cg = ctx;
	const struct lx_kv *swp =
	    desired ? lx_kvs_find(desired, "memory.swap.max") : NULL;
	struct lx_op *mem = plan_find(plan, "memory.max");
	const char *obs = lx_kvs_get(observed, "memory.swap.max");
	struct lx_op op = {.verb = LX_OP_UPDATE, .obj = LX_OBJ_CGROUP};

	if (swp && mem && mem->u.kv.value && is_v1(cg, LX_CG_MEMORY) &&
	    !plan_find(plan, "memory.swap.max")) {
		op.u.kv.key = strdup(swp->key);
		op.u.kv.value = strdup(swp->value);
		op.u.kv.observed = obs ? strdup(obs) : NULL;
		if (!op.u.kv.key || !op.u.kv.value ||
		    (obs && !op.u.kv.observed)) {
			lx_op_free(&op);
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup diff");
		}
		if (lx_plan_add(plan, &op) < 0) /* the plan freed the op */
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "cgroup diff");
	}
	for (size_t i = 0; i < plan->n; i++)
		set_file(cg, &plan->ops[i]);
	return 0;
}

static void hook_order(void *ctx, const struct lx_plan *plan, size_t *order)
{
	struct lx_cgroup *cg = ctx;
	const struct lx_op *mem = NULL, *swp = NULL;
	size_t im, is;

	for (size_t i = 0; i < plan->n; i++) {
		const struct lx_op *op = &plan->ops[i];

		if (op->obj != LX_OBJ_CGROUP || !op->u.kv.value)
			continue;
		if (strcmp(op->u.kv.key, "memory.max") == 0)
			mem = op;
		else if (strcmp(op->u.kv.key, "memory.swap.max") == 0)
			swp = op;
	}
	if (!mem || !swp || !is_v1(cg, LX_CG_MEMORY))
		return;
	im = (size_t)(mem - plan->ops);
	is = (size_t)(swp - plan->ops);
	if ((is > im) == v1_swap_first(cg, mem)) {
		order[im] = is;
		order[is] = im;
	}
}

static const struct lx_kv_hooks cgroup_hooks = {
    .obj = LX_OBJ_CGROUP,
    .validate = hook_validate,
    .read = hook_read,
    .write = hook_write,
    .eq = lx_cg_equal,
    .plan = hook_plan,
    .order = hook_order,
};

static struct lx_kv_source source(struct lx_cgroup *cg)
{
	return (struct lx_kv_source){.hooks = &cgroup_hooks,
				     .ctx = cg,
				     .intent = cg->intent,
				     .intent_data = cg->intent_data};
}

int lx_cgroup_observe(struct lx_cgroup *cg, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err)
{
	struct lx_kv_source src = source(cg);

	return lx_kv_observe(&src, desired, owned, observed, err);
}

int lx_cgroup_diff(struct lx_cgroup *cg, const struct lx_kvs *desired,
		   const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err)
{
	struct lx_kv_source src = source(cg);

	return lx_kv_diff(&src, desired, observed, owned, revert_on_release,
			  plan, err);
}

int lx_cgroup_reconcile(struct lx_cgroup *cg, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert,
			struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_kv_source src = source(cg);

	return lx_kv_reconcile(&src, desired, owned, revert, rep, err);
}

int lx_cgroup_release(struct lx_cgroup *cg, struct lx_owned_kvs *owned,
		      bool revert, struct lx_subreport *rep,
		      struct lx_error *err)
{
	struct lx_kv_source src = source(cg);

	return lx_kv_release(&src, owned, revert, rep, err);
}

/* ------------------------------------------------------------- checks */

/* Can this host apply key? 0, or < 0 with one INVALID line naming the
 * reason. */
static int check_available(struct lx_cgroup *cg, const char *key,
			   struct lx_error *err)
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	char files[4][64], q[300];
	size_t n;

	if (!row)
		return 0; /* the document parser names unknown keys */
	lx_quote(key, q, sizeof(q));
	if (cg->fd[row->ctrl] < 0)
		return lx_error_add(
		    err, LX_ERR_INVALID, 0,
		    "cgroup \"%s\" (io.linx.cgroup): the %s "
		    "controller is not available for this cgroup "
		    "(not in cgroup.controllers, not mounted as v1)",
		    q, lx_cg_ctrl_name(row->ctrl));
	if (cg->v2[row->ctrl]) {
		_cleanup_close_ int fd =
		    cg_openat(cg->fd[row->ctrl], key, O_PATH);

		if (fd < 0)
			return lx_error_add(err, LX_ERR_INVALID, -fd,
					    "cgroup \"%s\" (io.linx.cgroup): "
					    "no file %s in %s",
					    q, q, cg->path[row->ctrl]);
		return 0;
	}
	n = lx_cg_v1_files(key, files);
	if (n == 0)
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "cgroup \"%s\" (io.linx.cgroup): not "
				    "possible on this cgroup v1 host: %s",
				    q, row->no_v1);
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int fd =
		    cg_openat(cg->fd[row->ctrl], files[i], O_PATH);

		if (fd >= 0)
			continue;
		return lx_error_add(
		    err, LX_ERR_INVALID, 0,
		    "cgroup \"%s\" (io.linx.cgroup): its cgroup v1 file %s "
		    "is absent in %s%s",
		    q, files[i], cg->path[row->ctrl],
		    row->conv == LX_CGC_BFQ
			? " (only the BFQ I/O scheduler provides it)"
			: "");
	}
	return 0;
}

/* st_dev/st_ino of PROC/PID/ns/pid. */
static int pidns_of(const char *proc, pid_t pid, struct stat *st)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%d/ns/pid", proc, (int)pid);
	return stat(p, st) < 0 ? -errno : 0;
}

/*
 * A limit on a cgroup shared with processes outside the container would
 * bind them too (pids.max=2 on a cgroup holding host daemons). Refuse a
 * hierarchy's root and a cgroup holding a process of another pid
 * namespace than the init's: 0, or < 0 with one POLICY line.
 */
static int check_shared(struct lx_cgroup *cg, enum lx_cg_ctrl c,
			struct stat *init_ns, struct lx_error *err)
{
	const char *proc = cg->proc ? cg->proc : "/proc";
	_cleanup_free_ char *procs = NULL;
	_cleanup_close_ int fd = -1;
	char path[64];

	if (cg->root[c])
		return lx_error_add(
		    err, LX_ERR_POLICY, 0,
		    "cgroup (io.linx.cgroup): refused: the target's %s cgroup "
		    "%s is a hierarchy's root (limits there would bind every "
		    "process of the host)",
		    lx_cg_ctrl_name(c), cg->path[c]);
	if (cg->pid <= 0 || init_ns->st_ino == 0)
		return 0;
	fd = cg_openat(cg->fd[c], "cgroup.procs", O_RDONLY);
	if (fd < 0)
		return 0; /* no process list (a test tree): nothing shared */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (read_text(path, &procs) < 0)
		return 0;
	for (char *l = procs, *nl; l && *l; l = nl) {
		struct stat st;
		long pid;

		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		pid = strtol(l, NULL, 10);
		/* A process that exited meanwhile shares nothing; one the
		 * resident's reduced capabilities cannot inspect was there
		 * when the first check (with all of them) passed. */
		if (pid <= 0 || pidns_of(proc, (pid_t)pid, &st) < 0)
			continue;
		if (st.st_dev == init_ns->st_dev &&
		    st.st_ino == init_ns->st_ino)
			continue;
		return lx_error_add(
		    err, LX_ERR_POLICY, 0,
		    "cgroup (io.linx.cgroup): refused: the target's "
		    "%s cgroup %s is shared: it holds pid %ld, whose "
		    "pid namespace is not the container init's (limits "
		    "would bind it too)",
		    lx_cg_ctrl_name(c), cg->path[c], pid);
	}
	return 0;
}

/*
 * The key's spawn value: recorded the first time it is asked for. io.max
 * is one value per device: its baselines are kept per device.
 */
static int spawn_value(struct lx_cgroup *cg, const struct lx_kv *d,
		       const char **spawn, struct lx_error *err)
{
	const struct lx_cg_row *row = lx_cg_row_find(d->key);
	_cleanup_free_ char *cur = NULL;
	char id[96];
	struct lx_error re;
	int r;

	if (row && row->conv == LX_CGC_IO_MAX)
		snprintf(id, sizeof(id), "%s %.*s", d->key,
			 (int)strcspn(d->value, " "), d->value);
	else
		snprintf(id, sizeof(id), "%s", d->key);
	*spawn = lx_kvs_get(&cg->spawn, id);
	if (*spawn)
		return 0;
	lx_error_clear(&re);
	r = lx_cgroup_read(cg, d->key, d->value, &cur, &re);
	if (r < 0)
		return lx_error_add(err, re.kind, 0, "%s", re.msg);
	if (lx_kvs_add(&cg->spawn, id, cur) < 0)
		return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	*spawn = lx_kvs_get(&cg->spawn, id);
	return 0;
}

int lx_cgroup_check(struct lx_cgroup *cg, const struct lx_kvs *desired,
		    bool allow_raise, struct lx_error *err)
{
	const char *proc = cg->proc ? cg->proc : "/proc";
	bool used[LX_CG_NCTRL] = {false};
	struct stat init_ns = {0};
	int r, bad = 0;

	if (!desired || desired->n == 0)
		return 0;
	/* Read once, at the first check: the resident later runs with
	 * CAP_NET_ADMIN alone, which may not inspect a root-owned init. */
	if (cg->pid > 0 && !cg->init_ns_known) {
		r = pidns_of(proc, cg->pid, &init_ns);
		if (r < 0)
			return lx_error_add(err, LX_ERR_NOTFOUND, -r,
					    "cgroup: the pid namespace of pid "
					    "%d",
					    (int)cg->pid);
		cg->init_ns_dev = init_ns.st_dev;
		cg->init_ns_ino = init_ns.st_ino;
		cg->init_ns_known = true;
	}
	init_ns.st_dev = cg->init_ns_dev;
	init_ns.st_ino = cg->init_ns_ino;
	for (size_t i = 0; i < desired->n; i++) {
		const struct lx_cg_row *row = lx_cg_row_find(desired->v[i].key);

		if (row && cg->fd[row->ctrl] >= 0)
			used[row->ctrl] = true;
	}
	/* Shared first: a root has none of the files a key needs. */
	for (int c = 0; c < LX_CG_NCTRL; c++)
		if (used[c] && check_shared(cg, c, &init_ns, err) < 0)
			bad = -EPERM;
	if (bad)
		return bad;
	for (size_t i = 0; i < desired->n; i++)
		if (check_available(cg, desired->v[i].key, err) < 0)
			bad = -EINVAL;
	if (bad)
		return bad;
	for (size_t i = 0; i < desired->n; i++) {
		const struct lx_kv *d = &desired->v[i];
		const char *spawn = NULL;
		char q[300];

		if (spawn_value(cg, d, &spawn, err) < 0) {
			/* The first problem decides the return, as its
			 * kind decides the exit code. */
			bad = bad ? bad : -EINVAL;
			continue;
		}
		if (allow_raise || !lx_cg_is_raise(d->key, d->value, spawn))
			continue;
		lx_error_add(err, LX_ERR_POLICY, 0,
			     "cgroup \"%s\" (io.linx.cgroup): refused: %s is "
			     "above the spawn value %s (limits may only "
			     "tighten; --cgroup-allow-raise)",
			     lx_quote(d->key, q, sizeof(q)), d->value, spawn);
		bad = bad ? bad : -EPERM;
	}
	return bad;
}

void lx_cgroup_identity(const struct lx_cgroup *cg, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int c = 0; c < LX_CG_NCTRL && o < len; c++) {
		struct stat st;
		int w;

		if (cg->fd[c] < 0 || fstat(cg->fd[c], &st) < 0)
			continue;
		w = snprintf(buf + o, len - o, "%s%s=%llu:%llu", o ? "," : "",
			     lx_cg_ctrl_name(c), (unsigned long long)st.st_dev,
			     (unsigned long long)st.st_ino);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* ------------------------------------------------ the source contract */

/* The instance: NULL when the target has no known cgroup (env->cg is the
 * engine's), then there is nothing to observe or apply. */
static int cgroup_open_op(void **inst, const struct lx_source_env *env,
			  struct lx_error *err)
{
	struct lx_kv_inst *k;

	*inst = NULL;
	if (!env->cg)
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
	*k = (struct lx_kv_inst){
	    .src = {.hooks = &cgroup_hooks, .ctx = env->cg},
	    .env = env,
	    .desired_off = offsetof(struct lx_desired, cgroup),
	    .owned_off = offsetof(struct lx_owned, cgroup),
	};
	*inst = k;
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
	(void)owned;
	/* Reading the cgroup tells nothing more once a check refused. */
	if (lx_error_is_set(err))
		return 0;
	if (d->cgroup.n && !env->cg)
		return lx_error_set(err, LX_ERR_NOTFOUND, 0,
				    "cgroup (io.linx.cgroup): the target has "
				    "no known cgroup (use --pid or --cgroup)");
	if (!env->cg)
		return 0;
	return lx_cgroup_check(env->cg, &d->cgroup,
			       env->policy->cgroup_allow_raise, err);
}

const struct lx_subsys lx_cgroup_subsys = {
    .name = "cgroup",
    .open = cgroup_open_op,
    .close = cgroup_close_op,
    .check = cgroup_check_op,
    .observe = lx_kv_src_observe,
    .observed_free = lx_kv_src_observed_free,
    .diff = lx_kv_src_diff,
    .apply = lx_kv_src_apply,
    .release = lx_kv_src_release,
};
