/* SPDX-License-Identifier: MIT */
/*
 * Scope-bound cleanup. Every variable declared with one of these attributes
 * must be initialised where it is declared (NULL / -1), so the cleanup is
 * always safe to run. TAKE_PTR / TAKE_FD hand ownership out of the scope.
 * A leaf header: libc only (the jansson helper is in json_cleanup.h).
 */
#ifndef LX_CLEANUP_H
#define LX_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void lx_freep(void *p)
{
	free(*(void **)p);
}

static inline void lx_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_	_cleanup_(lx_freep)
#define _cleanup_close_ _cleanup_(lx_closep)

#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _p_ = (p);                                       \
		(p) = NULL;                                                    \
		_p_;                                                           \
	})

#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _fd_ = (fd);                                               \
		(fd) = -1;                                                     \
		_fd_;                                                          \
	})

#define LX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define LX_WUR		__attribute__((warn_unused_result))
#define LX_PRINTF(a, b) __attribute__((format(printf, a, b)))

#endif
