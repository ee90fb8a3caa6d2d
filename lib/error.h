/* SPDX-License-Identifier: MIT */
/*
 * Error out-parameter. Fallible liblinx functions return a negative errno and
 * fill a struct lx_error passed last. The message carries context
 * ("route 10.1.0.0/16 via 10.0.0.254: Network is unreachable (ENETUNREACH)").
 * Several problems may be collected: each lx_error_add() appends one line.
 * The kind tells main() which exit code applies; the library never exits.
 */
#ifndef LX_ERROR_H
#define LX_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

enum lx_error_kind {
	LX_ERR_NONE = 0,
	LX_ERR_SYSTEM,   /* an operation failed: exit 1 */
	LX_ERR_USAGE,    /* bad command line: exit 2 */
	LX_ERR_INVALID,  /* invalid desired state / OCI state / annotation: exit 3 */
	LX_ERR_NOTFOUND, /* pid, netns or cgroup not found: exit 4 */
	LX_ERR_POLICY,   /* refused by admin policy: exit 5 */
};

#define LX_ERROR_MAX 8192

struct lx_error {
	enum lx_error_kind kind;
	int err;      /* positive errno of the first problem, 0 if none */
	unsigned int lines; /* number of problems collected */
	char msg[LX_ERROR_MAX];
};

/* Reset to "no error". */
void lx_error_clear(struct lx_error *e);

/*
 * Replace the message with one formatted line. When errnum != 0,
 * ": <strerror> (<ENAME>)" is appended. Returns -errnum, or -EINVAL when
 * errnum is 0, so callers can write `return lx_error_set(...)`.
 * e may be NULL (the message is dropped).
 */
int lx_error_set(struct lx_error *e, enum lx_error_kind kind, int errnum,
		 const char *fmt, ...) LX_PRINTF(4, 5);

/*
 * lx_error_set for a message that already says why (a kernel's or a
 * policy's reason): errnum (sign ignored; 0 = EINVAL) is recorded in e->err
 * and returned negated, but not appended to the text.
 */
int lx_error_set_code(struct lx_error *e, enum lx_error_kind kind, int errnum,
		      const char *fmt, ...) LX_PRINTF(4, 5);

/* Append one more line (a further problem); same return as lx_error_set. */
int lx_error_add(struct lx_error *e, enum lx_error_kind kind, int errnum,
		 const char *fmt, ...) LX_PRINTF(4, 5);

/* Prefix every line with "<context>: ". Returns -e->err (or -EINVAL). */
int lx_error_wrap(struct lx_error *e, const char *fmt, ...) LX_PRINTF(2, 3);

/* "ENETUNREACH" for ENETUNREACH; "E<number>" for unknown values. */
const char *lx_errno_name(int errnum);

/* "<strerror> (<ENAME>)" into buf; returns buf. */
const char *lx_strerror(int errnum, char *buf, size_t len);

static inline bool lx_error_is_set(const struct lx_error *e)
{
	return e && e->kind != LX_ERR_NONE;
}

#endif
