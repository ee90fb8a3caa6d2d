/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "desired.h"
#include "jsonw.h"
#include "oci_state.h"
#include "report.h"
#include "state.h"

/* clang-format off */
static const char *const file_names[] = {
    [LX_STATE_PID] = "pid",
    [LX_STATE_RESIDENT] = "resident.json",
    [LX_STATE_STATE] = "state.json",
    [LX_STATE_REPORT] = "report.json",
    [LX_STATE_EVENTS] = "events.log",
    [LX_STATE_EVENTS_1] = "events.log.1",
    [LX_STATE_META] = "meta.json",
    [LX_STATE_CONTROL] = "control.sock",
};
/* clang-format on */

const char *lx_state_file_name(enum lx_state_file f)
{
	return file_names[f];
}

int lx_state_path(char *buf, size_t len, const char *dir, const char *id)
{
	int n = snprintf(buf, len, "%s/%s", dir, id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool lx_state_exists(const char *dir, const char *id)
{
	char path[4096];
	struct stat st;

	return lx_state_path(path, sizeof(path), dir, id) == 0 &&
	       lstat(path, &st) == 0;
}

int lx_state_dir_open(const char *dir, const char *id)
{
	char path[4096];
	int r = lx_state_path(path, sizeof(path), dir, id), fd;

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int lx_state_openat(int dirfd, enum lx_state_file f)
{
	int fd =
	    openat(dirfd, file_names[f], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	return fd < 0 ? -errno : fd;
}

int lx_state_statat(int dirfd, enum lx_state_file f, struct stat *st)
{
	return fstatat(dirfd, file_names[f], st, AT_SYMLINK_NOFOLLOW) < 0
		   ? -errno
		   : 0;
}

int lx_state_unlinkat(int dirfd, enum lx_state_file f)
{
	return unlinkat(dirfd, file_names[f], 0) < 0 ? -errno : 0;
}

void lx_state_socket_path(int dirfd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd,
		 file_names[LX_STATE_CONTROL]);
}

static int mkdir_p(const char *path)
{
	char buf[4096];

	/* Its parent is there (the usual case, /run): one mkdir. */
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void new_lineage(char *out)
{
	uint8_t b[16] = {0};

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0x5a, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%"
		 "02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

int lx_state_check_trusted(int fd, const char *path, struct lx_error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "state dir %s",
				    path);
	/* Whoever else may write here could plant a control socket that
	 * captures root's put and stop, or a state.json that makes us delete
	 * what is not ours. */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return lx_error_set(err, LX_ERR_POLICY, 0,
				    "state dir %s: owner uid %u, mode %04o: "
				    "refused: it must be owned by root and "
				    "not writable by group or others",
				    path, (unsigned)st.st_uid,
				    (unsigned)(st.st_mode & 07777));
	return 0;
}

int lx_state_open(struct lx_state *s, const char *dir, const char *id,
		  bool create, struct lx_error *err)
{
	_cleanup_close_ int top = -1;
	int r;

	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	s->evfd = -1;
	if (!lx_oci_id_valid(id))
		return lx_error_set(
		    err, LX_ERR_INVALID, 0,
		    "id \"%.64s\": invalid (letters, digits, _ . -)", id);
	snprintf(s->id, sizeof(s->id), "%s", id);
	if (lx_state_path(s->path, sizeof(s->path), dir, id) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, ENAMETOOLONG,
				    "state dir %s", dir);
	if (create) {
		r = mkdir_p(dir);
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "state dir %s", dir);
	}
	top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return lx_error_set(err,
				    errno == ENOENT ? LX_ERR_NOTFOUND
						    : LX_ERR_SYSTEM,
				    errno, "state dir %s", dir);
	r = lx_state_check_trusted(top, dir, err);
	if (r < 0)
		return r;
	if (create) {
		if (mkdirat(top, id, 0700) == 0)
			s->created = true;
		else if (errno != EEXIST)
			return lx_error_set(err, LX_ERR_SYSTEM, errno,
					    "state dir %s", s->path);
	}
	s->dirfd = openat(top, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					   O_NOFOLLOW);
	if (s->dirfd < 0)
		return lx_error_set(err,
				    errno == ENOENT ? LX_ERR_NOTFOUND
						    : LX_ERR_SYSTEM,
				    errno, "state dir %s", s->path);
	r = lx_state_check_trusted(s->dirfd, s->path, err);
	if (r < 0) {
		close(s->dirfd);
		s->dirfd = -1;
		return r;
	}
	new_lineage(s->lineage);
	return 0;
}

void lx_state_close(struct lx_state *s)
{
	if (s->evfd >= 0)
		close(s->evfd);
	s->evfd = -1;
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
	json_decref(s->target);
	s->target = NULL;
}

int lx_state_bind(struct lx_state *s, const json_t *record)
{
	json_t *c = json_deep_copy(record);

	if (!c)
		return -ENOMEM;
	json_decref(s->target);
	s->target = c;
	return 0;
}

#define STATE_MAX (64u << 20)

/* The whole file into *out (NUL-terminated): its length, or -1 with je
 * saying why. */
static ssize_t read_fd_all(int fd, char **out, json_error_t *je)
{
	struct stat st;
	size_t len = 0;
	char *buf;

	*out = NULL;
	if (fstat(fd, &st) < 0 || st.st_size < 0 ||
	    (size_t)st.st_size > STATE_MAX) {
		snprintf(je->text, sizeof(je->text),
			 "unreadable or larger than %u bytes", STATE_MAX);
		je->line = 0;
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(je->text, sizeof(je->text), "out of memory");
		je->line = 0;
		return -1;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

/*
 * A state.json recorded for another target (a deleted netns whose inode came
 * back, a restarted container under the same id): what it says we own is
 * another target's, and its "original" values are not this target's
 * baseline. Set it aside, never adopt it.
 */
static int discard(struct lx_state *s, const json_t *recorded)
{
	if (s->read_only)
		return 0;
	if (renameat(s->dirfd, "state.json", s->dirfd, "state.json.discarded") <
	    0)
		unlinkat(s->dirfd, "state.json", 0);
	lx_state_event(s, "state.discarded",
		       json_pack("{s:s, s:O?, s:O}", "reason",
				 recorded ? "recorded for another target"
					  : "no target recorded",
				 "recorded", (json_t *)recorded, "live",
				 s->target));
	return 0;
}

/*
 * state.json's "desired" member is by far its largest (a 10,000-route
 * document) and nothing reads it back but the comparison that decides
 * whether to rewrite the file: it is cut out of the text before the rest
 * is parsed (the parser sees "desired": null), and handed over as text
 * when wanted. A file the scan cannot follow (written by hand, a key
 * spelled with escapes) is parsed whole, as before.
 */
static json_t *parse_state(char *buf, size_t len, struct lx_sb *desired,
			   bool *cut, json_error_t *je)
{
	size_t d0, d1;

	*cut = lx_json_member_span(buf, len, "desired", &d0, &d1) == 1 &&
	       d1 - d0 >= 4;
	if (!*cut)
		return json_loadb(buf, len, 0, je);
	/* one allocation of the member's size, not doublings up to it */
	if (desired && lx_sb_reserve(desired, d1 - d0))
		lx_sb_mem(desired, buf + d0, d1 - d0);
	memcpy(buf + d0, "null", 4);
	memmove(buf + d0 + 4, buf + d1, len - d1);
	return json_loadb(buf, d0 + 4 + (len - d1), 0, je);
}

int lx_state_load(struct lx_state *s, struct lx_owned *owned,
		  struct lx_sb *desired, struct lx_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *buf = NULL;
	json_error_t je;
	json_t *la, *v;
	ssize_t len;
	bool cut = false;
	int r;

	memset(owned, 0, sizeof(*owned));
	fd = openat(s->dirfd, "state.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "%s/state.json",
				    s->path);
	}
	/* One read of the whole file: json_loadfd reads a byte per syscall,
	 * which for a 10,000-route document costs more than the pass. */
	len = read_fd_all(fd, &buf, &je);
	if (len >= 0)
		j = parse_state(buf, (size_t)len, desired, &cut, &je);
	if (!j)
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "%s/state.json: %s (line %d)", s->path,
				    je.text, je.line);
	if (s->target &&
	    !json_equal(json_object_get(j, "target"), s->target)) {
		if (desired)
			desired->len = 0; /* another target's */
		return discard(s, json_object_get(j, "target"));
	}
	la = json_object_get(j, "last_applied");
	if (la) {
		r = lx_owned_from_json(la, owned, err);
		if (r < 0)
			return lx_error_wrap(err, "%s/state.json", s->path);
	}
	v = json_object_get(j, "lineage");
	if (json_is_string(v) && strlen(json_string_value(v)) == 36)
		snprintf(s->lineage, sizeof(s->lineage), "%s",
			 json_string_value(v));
	v = json_object_get(j, "serial");
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		s->serial = (uint64_t)json_integer_value(v);
	v = json_object_get(j, "desired_digest");
	if (json_is_string(v) && strlen(json_string_value(v)) == 16 &&
	    strspn(json_string_value(v), "0123456789abcdef") == 16) {
		s->desired_digest = strtoull(json_string_value(v), NULL, 16);
		s->has_desired_digest = true;
	}
	if (desired && !cut) {
		v = json_object_get(j, "desired");
		if (v)
			lx_sb_json(desired, v);
	}
	if (desired && desired->err)
		return lx_error_set(err, LX_ERR_SYSTEM, -desired->err,
				    "%s/state.json", s->path);
	return 0;
}

/*
 * Write NAME in the state dir atomically: a temporary file, then rename.
 * The text goes through a stdio buffer (jansson's own fd writer makes a
 * write(2) per token; a 10,000-route report is megabytes of tokens).
 *
 * No fsync: rename makes the write atomic for every reader and against a
 * crash or kill -9 of this process, which is what state.json is for. An
 * fsync would only add durability across a machine crash, after which
 * everything state.json describes (a network namespace, a cgroup, net.*
 * sysctls) is gone too. It cost ~1 ms a write on a disk-backed /run, four
 * times in a hook.
 */
struct emit_args {
	const json_t *j;
	const char *text;
};

static int emit_default(FILE *f, void *arg)
{
	const struct emit_args *a = arg;

	if (a->j) {
		/* A trailing newline makes the files friendlier to cat. */
		if (json_dumpf(a->j, f, JSON_COMPACT) < 0 ||
		    fputc('\n', f) == EOF)
			return -EIO;
		return 0;
	}
	return fputs(a->text, f) == EOF ? -EIO : 0;
}

/* An atomic write of a state file: its ".NAME.tmp" opened here (tmp
 * holds that name, the fd is returned or -errno), renamed over NAME by
 * tmp_finish when the write went well (r == 0), removed otherwise. */
static int tmp_open(struct lx_state *s, enum lx_state_file which,
		    char tmp[64])
{
	int fd;

	snprintf(tmp, 64, ".%s.tmp", file_names[which]);
	fd = openat(s->dirfd, tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

static int tmp_finish(struct lx_state *s, enum lx_state_file which,
		      const char *tmp, int r)
{
	if (r == 0 && renameat(s->dirfd, tmp, s->dirfd, file_names[which]) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(s->dirfd, tmp, 0);
	return r;
}

int lx_state_write_with(struct lx_state *s, enum lx_state_file which,
			int (*emit)(FILE *f, void *arg), void *arg)
{
	char tmp[64], buf[8192];
	FILE *f;
	int fd, r = 0;

	fd = tmp_open(s, which, tmp);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		return tmp_finish(s, which, tmp, r);
	}
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	r = emit(f, arg);
	if (fflush(f) == EOF && r == 0)
		r = errno ? -errno : -EIO;
	if (fclose(f) == EOF && r == 0)
		r = -errno;
	return tmp_finish(s, which, tmp, r);
}

int lx_state_write_text(struct lx_state *s, enum lx_state_file f,
			const char *text)
{
	struct emit_args a = {.text = text};

	return lx_state_write_with(s, f, emit_default, &a);
}

int lx_state_write_json(struct lx_state *s, enum lx_state_file f,
			const json_t *j)
{
	struct emit_args a = {.j = j};

	return lx_state_write_with(s, f, emit_default, &a);
}

/* Write NAME from iov atomically (tmp file, rename), as
 * lx_state_write_with, without stdio. */
static int write_iov(struct lx_state *s, enum lx_state_file which,
		     struct iovec *iov, int n)
{
	char tmp[64];
	int fd, r = 0;

	fd = tmp_open(s, which, tmp);
	if (fd < 0)
		return fd;
	while (n > 0 && r == 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			break;
		}
		/* past what was written */
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return tmp_finish(s, which, tmp, r);
}

int lx_state_save(struct lx_state *s, const char *desired, size_t desired_len,
		  const uint64_t *digest, const json_t *owned,
		  struct lx_error *err)
{
	struct lx_sb head = {0}, tail = {0};
	struct iovec iov[3];
	int r;

	/* The members in the order they always had (id, target, lineage,
	 * serial, desired, last_applied), compact, a newline at the end. */
	lx_sb_str(&head, "{\"id\":");
	lx_sb_json_str(&head, s->id);
	lx_sb_str(&head, ",\"target\":");
	if (s->target)
		lx_sb_json(&head, s->target);
	else
		lx_sb_str(&head, "null");
	lx_sb_str(&head, ",\"lineage\":");
	lx_sb_json_str(&head, s->lineage);
	lx_sb_str(&head, ",\"serial\":");
	lx_sb_u64(&head, s->serial + 1);
	if (digest) {
		char hex[24];

		snprintf(hex, sizeof(hex), "%016llx",
			 (unsigned long long)*digest);
		lx_sb_str(&head, ",\"desired_digest\":\"");
		lx_sb_str(&head, hex);
		lx_sb_mem(&head, "\"", 1);
	}
	lx_sb_str(&head, ",\"desired\":");
	lx_sb_str(&tail, ",\"last_applied\":");
	lx_sb_json(&tail, owned);
	lx_sb_str(&tail, "}\n");
	r = head.err ? head.err : tail.err;
	if (r == 0) {
		iov[0] = (struct iovec){head.p, head.len};
		iov[1] = desired ? (struct iovec){(void *)desired, desired_len}
				 : (struct iovec){(void *)"null", 4};
		iov[2] = (struct iovec){tail.p, tail.len};
		r = write_iov(s, LX_STATE_STATE, iov, 3);
	}
	lx_sb_free(&head);
	lx_sb_free(&tail);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "%s/state.json",
				    s->path);
	s->serial++;
	s->has_desired_digest = digest != NULL;
	s->desired_digest = digest ? *digest : 0;
	return 0;
}

void lx_state_event(struct lx_state *s, const char *type, json_t *fields)
{
	struct timespec ts;
	_cleanup_free_ char *line = NULL;
	json_t *o = fields && json_is_object(fields) ? fields : json_object();
	struct stat st;
	char *nl;
	size_t n;
	ssize_t w;

	if (fields && o != fields)
		json_decref(fields);
	if (s->dirfd < 0) {
		json_decref(o);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(o, "ts",
			    json_real((double)ts.tv_sec + ts.tv_nsec / 1e9));
	json_object_set_new(o, "event", json_string(type));
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!line)
		return;
	/* The log stays open between events (a pass logs several); it is
	 * rotated to events.log.1 once past its bound. Its size is read
	 * when it is opened and then counted: we are its one writer (one
	 * sidecar per id), so a stat per line would tell nothing more. */
	if (s->evfd >= 0 && s->ev_size > LX_EVENTS_MAX_BYTES) {
		renameat(s->dirfd, "events.log", s->dirfd, "events.log.1");
		close(s->evfd);
		s->evfd = -1;
	}
	if (s->evfd < 0) {
		s->evfd = openat(s->dirfd, "events.log",
				 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
				     O_NOFOLLOW,
				 0600);
		if (s->evfd < 0)
			return;
		s->ev_size = fstat(s->evfd, &st) == 0 ? st.st_size : 0;
	}
	/* One write per line: O_APPEND keeps lines whole. */
	n = strlen(line);
	nl = realloc(line, n + 1);
	if (!nl)
		return;
	line = nl;
	line[n] = '\n';
	w = write(s->evfd, line, n + 1);
	if (w > 0) /* else best effort: the log is diagnostics only */
		s->ev_size += w;
}

int lx_state_remove(struct lx_state *s)
{
	DIR *d;
	struct dirent *e;
	int fd;

	if (s->dirfd < 0)
		return 0;
	fd = dup(s->dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(s->dirfd, e->d_name, 0);
	closedir(d);
	lx_state_close(s);
	if (rmdir(s->path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* ------------------------------------------------ resident identity */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int read_small(int dirfd, const char *name, char *buf, size_t len)
{
	_cleanup_close_ int fd =
		openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

int lx_state_read(int dirfd, enum lx_state_file f, char *buf, size_t len)
{
	return read_small(dirfd, file_names[f], buf, len);
}

/* This boot's id: read once (it cannot change while we run). */
static int boot_id(char *out, size_t len)
{
	static char cache[64];
	int n;

	if (!cache[0]) {
		n = read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id",
			       cache, sizeof(cache));
		if (n < 0) {
			cache[0] = '\0';
			return n;
		}
		cache[strcspn(cache, "\n")] = '\0';
	}
	snprintf(out, len, "%s", cache);
	return 0;
}

int lx_proc_ident_read(pid_t pid, struct lx_proc_ident *out)
{
	char path[64], buf[1024], *p;
	struct stat st;
	int n, r;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	/* comm may hold spaces and parentheses: fields follow the last ')'.
	 * After it: state (3), then fields 4..21, then starttime (22). */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return -ESRCH;
	p += 3;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EPROTO;
		p++;
	}
	out->start_time = strtoull(p, NULL, 10);
	r = boot_id(out->boot_id, sizeof(out->boot_id));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) < 0)
		return -errno;
	out->exe_dev = (unsigned long long)st.st_dev;
	out->exe_ino = (unsigned long long)st.st_ino;
	return 0;
}

static bool ident_equal(const struct lx_proc_ident *a,
			const struct lx_proc_ident *b)
{
	return a->pid == b->pid && a->start_time == b->start_time &&
	       strcmp(a->boot_id, b->boot_id) == 0 &&
	       a->exe_dev == b->exe_dev && a->exe_ino == b->exe_ino;
}

int lx_state_write_resident(struct lx_state *s, pid_t who)
{
	_cleanup_json_ json_t *j = NULL;
	struct lx_proc_ident id;
	char exe[64], start[32];
	int r;

	r = lx_proc_ident_read(who, &id);
	if (r < 0)
		return r;
	snprintf(exe, sizeof(exe), "%llu:%llu", id.exe_dev, id.exe_ino);
	snprintf(start, sizeof(start), "%llu", id.start_time);
	j = json_pack("{s:i, s:s, s:s, s:s, s:O?}", "pid", (int)who,
		      "start_time", start, "boot_id", id.boot_id, "exe", exe,
		      "target", s->target);
	if (!j)
		return -ENOMEM;
	return lx_state_write_json(s, LX_STATE_RESIDENT, j);
}

int lx_state_write_pid(struct lx_state *s, pid_t who)
{
	char pid[32];
	/* resident.json first: a pid file always has its proof next to it. */
	int r = lx_state_write_resident(s, who);

	if (r < 0)
		return r;
	snprintf(pid, sizeof(pid), "%d\n", (int)who);
	return lx_state_write_text(s, LX_STATE_PID, pid);
}

static bool pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

int lx_state_resident_pidfd(int dirfd, struct lx_proc_ident *who,
			    json_t **target)
{
	_cleanup_json_ json_t *j = NULL;
	struct lx_proc_ident rec = { 0 }, live;
	char buf[4096];
	const char *s;
	json_t *v;
	int pidfd, r;

	if (target)
		*target = NULL;
	r = lx_state_read(dirfd, LX_STATE_RESIDENT, buf, sizeof(buf));
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	j = json_loads(buf, 0, NULL);
	v = json_object_get(j, "pid");
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > INT32_MAX)
		return -ESRCH;
	rec.pid = (pid_t)json_integer_value(v);
	s = json_string_value(json_object_get(j, "start_time"));
	rec.start_time = s ? strtoull(s, NULL, 10) : 0;
	s = json_string_value(json_object_get(j, "boot_id"));
	snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", s ? s : "");
	s = json_string_value(json_object_get(j, "exe"));
	if (!s || sscanf(s, "%llu:%llu", &rec.exe_dev, &rec.exe_ino) != 2)
		return -ESRCH;
	/* Pin first, then read /proc, then check the pin still lives: the
	 * identity read is then the pinned process's, not a successor's. */
	pidfd = (int)syscall(SYS_pidfd_open, rec.pid, 0);
	if (pidfd < 0)
		return -ESRCH;
	if (lx_proc_ident_read(rec.pid, &live) < 0 || pidfd_exited(pidfd) ||
	    !ident_equal(&rec, &live)) {
		close(pidfd);
		return -ESRCH;
	}
	if (who)
		*who = live;
	if (target) {
		v = json_object_get(j, "target");
		*target = json_is_object(v) ? json_incref(v) : NULL;
	}
	return pidfd;
}

/*
 * Whether two identity records name the same network namespace: the member's
 * name, or NULL. Only the namespace counts (SPEC: one namespace, one owner):
 * the record's other members bind a state to its target, but two containers
 * may share a cgroup (cgroup limits on a shared cgroup are refused by the
 * cgroup check instead).
 */
static const char *shared_member(const json_t *a, const json_t *b)
{
	static const char *const owned_alone[] = {"netns_cookie"};

	if (!json_is_object(a) || !json_is_object(b))
		return NULL;
	for (size_t i = 0; i < LX_ARRAY_SIZE(owned_alone); i++) {
		const json_t *v = json_object_get(a, owned_alone[i]);

		if (v && json_equal(v, json_object_get(b, owned_alone[i])))
			return owned_alone[i];
	}
	return NULL;
}

int lx_state_check_owner(const char *dir, const char *id,
			 const json_t *target, struct lx_error *err)
{
	_cleanup_close_ int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (top < 0)
		return 0; /* no state dir: nobody serves anything */
	d = fdopendir(dup(top));
	if (!d)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "state dir %s",
				    dir);
	while (r == 0 && (e = readdir(d))) {
		_cleanup_close_ int fd = -1;
		_cleanup_json_ json_t *theirs = NULL;
		struct lx_proc_ident who;
		const char *shared;
		int pidfd;
		bool same_id;

		if (e->d_name[0] == '.' || !lx_oci_id_valid(e->d_name))
			continue;
		fd = openat(top, e->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		pidfd = lx_state_resident_pidfd(fd, &who, &theirs);
		if (pidfd < 0)
			continue; /* nobody alive there */
		close(pidfd);
		if (who.pid == getpid())
			continue;
		same_id = strcmp(e->d_name, id) == 0;
		shared = same_id ? NULL : shared_member(target, theirs);
		if (same_id)
			r = lx_error_set(err, LX_ERR_POLICY, 0,
					 "id %s: refused: sidecar %s is already "
					 "running (pid %d); stop it first",
					 id, e->d_name, (int)who.pid);
		else if (shared)
			r = lx_error_set(err, LX_ERR_POLICY, 0,
					 "target: refused: its %s is served by "
					 "sidecar %s (pid %d): one namespace, one "
					 "owner (use `linx-sidecar reconcile %s`)",
					 strcmp(shared, "netns_cookie") == 0
						 ? "network namespace"
						 : shared,
					 e->d_name, (int)who.pid, e->d_name);
	}
	closedir(d);
	return r;
}
