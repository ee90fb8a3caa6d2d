/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "desired.h"
#include "oci_state.h"
#include "report.h"
#include "state.h"

static int mkdir_p(const char *path)
{
	char buf[4096];

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
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
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

int lx_state_open(struct lx_state *s, const char *dir, const char *id,
		  bool create, struct lx_error *err)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	s->evfd = -1;
	if (!lx_oci_id_valid(id))
		return lx_error_set(
		    err, LX_ERR_INVALID, 0,
		    "id \"%.64s\": invalid (letters, digits, _ . -)", id);
	snprintf(s->id, sizeof(s->id), "%s", id);
	if (snprintf(s->path, sizeof(s->path), "%s/%s", dir, id) >=
	    (int)sizeof(s->path))
		return lx_error_set(err, LX_ERR_INVALID, ENAMETOOLONG,
				    "state dir %s", dir);
	if (create) {
		r = mkdir_p(s->path);
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "state dir %s", s->path);
	}
	s->dirfd =
	    open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->dirfd < 0)
		return lx_error_set(
		    err, errno == ENOENT ? LX_ERR_NOTFOUND : LX_ERR_SYSTEM,
		    errno, "state dir %s", s->path);
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
}

#define STATE_MAX (64u << 20)

static json_t *load_json_fd(int fd, json_error_t *je)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fstat(fd, &st) < 0 || st.st_size < 0 ||
	    (size_t)st.st_size > STATE_MAX) {
		snprintf(je->text, sizeof(je->text),
			 "unreadable or larger than %u bytes", STATE_MAX);
		je->line = 0;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return json_loadb(buf, len, 0, je);
}

int lx_state_load(struct lx_state *s, struct lx_owned *owned, json_t **desired,
		  struct lx_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_json_ json_t *j = NULL;
	json_error_t je;
	json_t *la, *v;
	int r;

	memset(owned, 0, sizeof(*owned));
	if (desired)
		*desired = NULL;
	fd = openat(s->dirfd, "state.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "%s/state.json",
				    s->path);
	}
	/* One read of the whole file: json_loadfd reads a byte per syscall,
	 * which for a 10,000-route document costs more than the pass. */
	j = load_json_fd(fd, &je);
	if (!j)
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "%s/state.json: %s (line %d)", s->path,
				    je.text, je.line);
	v = json_object_get(j, "cgroup");
	if (s->cgroup[0] && json_is_string(v) &&
	    strcmp(json_string_value(v), s->cgroup) != 0) {
		if (!s->read_only) {
			renameat(s->dirfd, "state.json", s->dirfd,
				 "state.json.discarded");
			lx_state_event(s, "state.discarded",
				       json_pack("{s:s, s:s, s:s}", "reason",
						 "another cgroup", "recorded",
						 json_string_value(v), "live",
						 s->cgroup));
		}
		return 0;
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
	if (desired) {
		v = json_object_get(j, "desired");
		if (v)
			*desired = json_incref(v);
	}
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

int lx_state_write_with(struct lx_state *s, const char *name,
			int (*emit)(FILE *f, void *arg), void *arg)
{
	char tmp[64], buf[8192];
	FILE *f;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd =
	    openat(s->dirfd, tmp,
		   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlinkat(s->dirfd, tmp, 0);
		return r;
	}
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	r = emit(f, arg);
	if (fflush(f) == EOF && r == 0)
		r = errno ? -errno : -EIO;
	if (fclose(f) == EOF && r == 0)
		r = -errno;
	if (r == 0 && renameat(s->dirfd, tmp, s->dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(s->dirfd, tmp, 0);
	return r;
}

int lx_state_write_text(struct lx_state *s, const char *name, const char *text)
{
	struct emit_args a = {.text = text};

	return lx_state_write_with(s, name, emit_default, &a);
}

int lx_state_write_json(struct lx_state *s, const char *name, const json_t *j)
{
	struct emit_args a = {.j = j};

	return lx_state_write_with(s, name, emit_default, &a);
}

int lx_state_save_json(struct lx_state *s, json_t *desired, json_t *owned,
		       struct lx_error *err)
{
	_cleanup_json_ json_t *j = NULL;
	int r;

	j = json_pack("{s:s, s:s, s:I, s:O, s:O, s:s*}", "id", s->id,
		      "lineage", s->lineage, "serial",
		      (json_int_t)(s->serial + 1), "desired",
		      desired ? desired : json_null(), "last_applied", owned,
		      "cgroup", s->cgroup[0] ? s->cgroup : NULL);
	if (!j)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "state.json");
	r = lx_state_write_json(s, "state.json", j);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "%s/state.json",
				    s->path);
	s->serial++;
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
	 * rotated to events.log.1 once past its bound. */
	if (s->evfd >= 0 && fstat(s->evfd, &st) == 0 &&
	    st.st_size > LX_EVENTS_MAX_BYTES) {
		renameat(s->dirfd, "events.log", s->dirfd, "events.log.1");
		close(s->evfd);
		s->evfd = -1;
	}
	if (s->evfd < 0)
		s->evfd = openat(s->dirfd, "events.log",
				 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
				     O_NOFOLLOW,
				 0600);
	if (s->evfd < 0)
		return;
	/* One write per line: O_APPEND keeps lines whole. */
	n = strlen(line);
	nl = realloc(line, n + 1);
	if (!nl)
		return;
	line = nl;
	line[n] = '\n';
	if (write(s->evfd, line, n + 1) < 0) {
		/* best effort: the log is diagnostics only */
	}
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
