/* SPDX-License-Identifier: MIT */
/*
 * The state directory of one sidecar (SPEC.md "State"): DIR/ID/ with pid,
 * control.sock, state.json (desired, last_applied, lineage, serial; written
 * atomically), report.json and events.log (JSON lines, bounded), and
 * resident.json: who the resident process is (pid, start time, boot id,
 * executable) and which target it serves, so that another process can prove
 * it alive before signalling it or deferring to it.
 *
 * Trust (like sshd's StrictModes): DIR and DIR/ID must be owned by root (or
 * by the caller) and not writable by group or others, or nothing in them is
 * read, written or obeyed (LX_ERR_POLICY).
 *
 * Binding: a state belongs to one target. Its identity record (a JSON object
 * of string members: "netns_cookie", and whatever else a subsystem binds,
 * e.g. the cgroup directory's identity) is written into state.json as
 * "target"; a state.json whose record differs from the live target's is
 * set aside (renamed state.json.discarded, event state.discarded), never
 * adopted.
 */
#ifndef LX_STATE_H
#define LX_STATE_H

#include <jansson.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>

#include "error.h"
#include "model.h"

#define LX_EVENTS_MAX_BYTES (256 * 1024)

/* The files of DIR/ID. Their names are spelled in state.c only: everyone
 * else reaches them through the helpers below. */
enum lx_state_file {
	LX_STATE_PID,	   /* the resident's pid, text */
	LX_STATE_RESIDENT, /* resident.json: its identity (lx_proc_ident) */
	LX_STATE_STATE,	   /* state.json */
	LX_STATE_REPORT,   /* report.json */
	LX_STATE_EVENTS,   /* events.log */
	LX_STATE_EVENTS_1, /* events.log.1: the rotated, older half */
	LX_STATE_META,	   /* meta.json (residents.h) */
	LX_STATE_CONTROL,  /* control.sock (control.h) */
};

/* The file's name inside DIR/ID, for messages ("report.json"). */
const char *lx_state_file_name(enum lx_state_file f);

/* DIR/ID into buf: 0, or -ENAMETOOLONG. */
int lx_state_path(char *buf, size_t len, const char *dir, const char *id);

/* Whether DIR/ID exists (any type, not followed). Nothing is trusted. */
bool lx_state_exists(const char *dir, const char *id);

/* Open DIR/ID (O_DIRECTORY, read only) for reading what a client may show;
 * the fd, or -errno. Not checked for trust: see lx_state_open for that. */
int lx_state_dir_open(const char *dir, const char *id);

/* Open DIR/ID's file f (dirfd: DIR/ID) read only, never through a symlink;
 * the fd, or -errno. */
int lx_state_openat(int dirfd, enum lx_state_file f);
/* fstatat of f, not followed: 0 or -errno. */
int lx_state_statat(int dirfd, enum lx_state_file f, struct stat *st);
/* Read f (at most len - 1 bytes, NUL-terminated): bytes or -errno. */
int lx_state_read(int dirfd, enum lx_state_file f, char *buf, size_t len);
/* Remove f: 0 or -errno. */
int lx_state_unlinkat(int dirfd, enum lx_state_file f);

/* The control socket's address for bind and connect (control.c): reached
 * through the directory's fd, so its length does not depend on DIR's. */
void lx_state_socket_path(int dirfd, char *buf, size_t len);

struct lx_state {
	char path[4096]; /* DIR/ID */
	char id[129];
	int dirfd;
	int evfd; /* events.log, opened on the first event (O_APPEND) */
	off_t ev_size; /* its size: fstat at the open, then what we wrote */
	char lineage[37];
	uint64_t serial;
	json_t *target; /* the live target's identity record (lx_state_bind) */
	/* state.json's "desired_digest" (lx_state_load), when it has one:
	 * the digest of the document text its desired member was made from */
	bool has_desired_digest;
	uint64_t desired_digest;
	bool created;   /* lx_state_open made DIR/ID */
	bool read_only; /* plan: a mismatched state is ignored, not moved */
};

/* Open (create = mkdir -p, mode 0700) DIR/ID. Without create, a missing
 * directory is LX_ERR_NOTFOUND. */
int lx_state_open(struct lx_state *s, const char *dir, const char *id,
		  bool create, struct lx_error *err) LX_WUR;
void lx_state_close(struct lx_state *s);

/* Check that the directory open as fd (named path, for the message) may be
 * trusted: owned by root or by us, not writable by group or others. */
int lx_state_check_trusted(int fd, const char *path,
			   struct lx_error *err) LX_WUR;

/*
 * Bind the state to its live target: record (copied) is the target's
 * identity, one object of string members. Call before lx_state_load (which
 * sets a state recorded for another target aside) and before the first save.
 */
int lx_state_bind(struct lx_state *s, const json_t *record) LX_WUR;

/* Identity of a process, from /proc: pid plus what a reused pid cannot
 * fake (its start time, the boot, the executable's inode). */
struct lx_proc_ident {
	pid_t pid;
	unsigned long long start_time; /* /proc/PID/stat field 22, ticks */
	char boot_id[40];
	unsigned long long exe_dev, exe_ino;
};
int lx_proc_ident_read(pid_t pid, struct lx_proc_ident *out);

/* Write resident.json (who, the bound target) and then the pid file. */
int lx_state_write_pid(struct lx_state *s, pid_t who) LX_WUR;
/* resident.json alone: what lx_state_check_owner (a second sidecar) and
 * poststop prove a live resident by. The hook writes its own before it
 * forks (no second sidecar may start on this target meanwhile) and the
 * pid file only once, with the resident's pid. */
int lx_state_write_resident(struct lx_state *s, pid_t who) LX_WUR;

/*
 * Prove that the resident recorded in the state dir open as dirfd is alive
 * and is the process that wrote it: returns a pidfd for it (the caller
 * closes it) and fills *who, or -ESRCH when nothing is proven (no record, a
 * dead or reused pid, a zombie), or another -errno.
 */
int lx_state_resident_pidfd(int dirfd, struct lx_proc_ident *who,
			    json_t **target);

/*
 * One namespace, one owner: refuse (LX_ERR_POLICY, naming it) when a live
 * sidecar other than this process holds id in DIR, or serves a target that
 * shares a member of the identity record with target.
 */
int lx_state_check_owner(const char *dir, const char *id,
			 const json_t *target, struct lx_error *err) LX_WUR;

/*
 * Read state.json: last_applied into owned (empty if no file). When
 * desired != NULL, the stored desired document's JSON text is appended to
 * it (nothing if there is none, "null" if it was null) without parsing it:
 * compare it with lx_desired_dump's text of the document in force.
 */
struct lx_sb;
int lx_state_load(struct lx_state *s, struct lx_owned *owned,
		  struct lx_sb *desired, struct lx_error *err) LX_WUR;

/* Write state.json atomically (tmp file, rename), serial++: desired is the
 * document's JSON text (lx_desired_dump; NULL writes null), spliced in as it
 * is, owned last_applied as JSON (lx_owned_to_json). digest (NULL: none) is
 * recorded as "desired_digest": what the caller derived from the text the
 * document was read from, to tell it unchanged next time. */
int lx_state_save(struct lx_state *s, const char *desired, size_t desired_len,
		  const uint64_t *digest, const json_t *owned,
		  struct lx_error *err) LX_WUR;

/* Write f atomically with the JSON value (report.json) or text (pid). */
int lx_state_write_json(struct lx_state *s, enum lx_state_file f,
			const json_t *j);
int lx_state_write_text(struct lx_state *s, enum lx_state_file f,
			const char *text);
/* The same with the text written by emit (0 or -errno) through a buffer. */
int lx_state_write_with(struct lx_state *s, enum lx_state_file f,
			int (*emit)(FILE *f, void *arg), void *arg);

/* Append one JSON line {"ts":..., "event":type, ...fields} to events.log;
 * when the log passes LX_EVENTS_MAX_BYTES it is rotated to events.log.1.
 * Steals the reference to fields (may be NULL). */
void lx_state_event(struct lx_state *s, const char *type, json_t *fields);

/* Remove the directory and everything in it. */
int lx_state_remove(struct lx_state *s);

#endif
