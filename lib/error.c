/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define E(x) [x] = #x
static const char *const errno_names[] = {
	E(EPERM),     E(ENOENT),	E(ESRCH),	 E(EINTR),
	E(EIO),	      E(ENXIO),		E(E2BIG),	 E(ENOEXEC),
	E(EBADF),     E(ECHILD),	E(EAGAIN),	 E(ENOMEM),
	E(EACCES),    E(EFAULT),	E(EBUSY),	 E(EEXIST),
	E(EXDEV),     E(ENODEV),	E(ENOTDIR),	 E(EISDIR),
	E(EINVAL),    E(ENFILE),	E(EMFILE),	 E(ENOTTY),
	E(EFBIG),     E(ENOSPC),	E(ESPIPE),	 E(EROFS),
	E(EMLINK),    E(EPIPE),		E(EDOM),	 E(ERANGE),
	E(EDEADLK),   E(ENAMETOOLONG),	E(ENOLCK),	 E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP),		E(ENOMSG),	 E(ENODATA),
	E(ETIME),     E(EPROTO),	E(EBADMSG),	 E(EOVERFLOW),
	E(EILSEQ),    E(ENOTSOCK),	E(EDESTADDRREQ), E(EMSGSIZE),
	E(EPROTOTYPE), E(ENOPROTOOPT),	E(EPROTONOSUPPORT), E(EOPNOTSUPP),
	E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN),
	E(ENETUNREACH), E(ENETRESET),	E(ECONNABORTED), E(ECONNRESET),
	E(ENOBUFS),   E(EISCONN),	E(ENOTCONN),	 E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTDOWN),	E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(ESTALE),	E(ECANCELED),	 E(EOWNERDEAD),
	E(ENOTRECOVERABLE), E(ERFKILL), E(ENOTUNIQ),	 E(ENOMEDIUM),
};
#undef E

const char *lx_errno_name(int errnum)
{
	static __thread char buf[16];

	if (errnum < 0)
		errnum = -errnum;
	if ((size_t)errnum < LX_ARRAY_SIZE(errno_names) && errno_names[errnum])
		return errno_names[errnum];
	snprintf(buf, sizeof(buf), "E%d", errnum);
	return buf;
}

const char *lx_strerror(int errnum, char *buf, size_t len)
{
	if (errnum < 0)
		errnum = -errnum;
	snprintf(buf, len, "%s (%s)", strerror(errnum), lx_errno_name(errnum));
	return buf;
}

void lx_error_clear(struct lx_error *e)
{
	if (!e)
		return;
	e->kind = LX_ERR_NONE;
	e->err = 0;
	e->lines = 0;
	e->msg[0] = '\0';
}

/* say: append ": <strerror>" for errnum (not when the text has it). */
static int vappend(struct lx_error *e, enum lx_error_kind kind, int errnum,
		   bool say, const char *fmt, va_list ap)
{
	size_t len;
	int ret;

	if (errnum < 0)
		errnum = -errnum;
	ret = errnum ? -errnum : -EINVAL;
	if (!e)
		return ret;
	if (e->kind == LX_ERR_NONE || e->lines == 0) {
		e->kind = kind;
		e->err = errnum ? errnum : EINVAL;
	}
	len = strlen(e->msg);
	if (e->lines && len + 1 < sizeof(e->msg))
		e->msg[len++] = '\n', e->msg[len] = '\0';
	if (len < sizeof(e->msg))
		vsnprintf(e->msg + len, sizeof(e->msg) - len, fmt, ap);
	if (errnum && say) {
		char sbuf[128];

		len = strlen(e->msg);
		if (len < sizeof(e->msg))
			snprintf(e->msg + len, sizeof(e->msg) - len, ": %s",
				 lx_strerror(errnum, sbuf, sizeof(sbuf)));
	}
	e->lines++;
	return ret;
}

/* vappend over the variadic arguments of the calling function (after fmt),
 * clearing e first when set. */
#define APPEND_ARGS(set, say)                                                  \
	({                                                                     \
		va_list ap_;                                                   \
		int r_;                                                        \
		if (set)                                                       \
			lx_error_clear(e);                                     \
		va_start(ap_, fmt);                                            \
		r_ = vappend(e, kind, errnum, say, fmt, ap_);                  \
		va_end(ap_);                                                   \
		r_;                                                            \
	})

int lx_error_set(struct lx_error *e, enum lx_error_kind kind, int errnum,
		 const char *fmt, ...)
{
	return APPEND_ARGS(true, true);
}

int lx_error_set_code(struct lx_error *e, enum lx_error_kind kind, int errnum,
		      const char *fmt, ...)
{
	return APPEND_ARGS(true, false);
}

int lx_error_add(struct lx_error *e, enum lx_error_kind kind, int errnum,
		 const char *fmt, ...)
{
	return APPEND_ARGS(false, true);
}

int lx_error_wrap(struct lx_error *e, const char *fmt, ...)
{
	char prefix[512], out[LX_ERROR_MAX];
	size_t o = 0;
	const char *line;
	va_list ap;

	if (!e)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	line = e->msg;
	do {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		int w = snprintf(out + o, sizeof(out) - o, "%s%s: %.*s",
				 o ? "\n" : "", prefix, (int)n, line);
		if (w < 0 || (size_t)w >= sizeof(out) - o) {
			o = sizeof(out) - 1;
			break;
		}
		o += (size_t)w;
		line = nl ? nl + 1 : NULL;
	} while (line);
	out[o] = '\0';
	memcpy(e->msg, out, o + 1);
	return e->err ? -e->err : -EINVAL;
}
