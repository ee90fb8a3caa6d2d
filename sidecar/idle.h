/* SPDX-License-Identifier: MIT */
#ifndef LX_IDLE_H
#define LX_IDLE_H

#include <stddef.h>

/*
 * What a quiet resident gives back (sidecar/daemon.c calls it once the
 * passes have quieted down, from its event loop).
 */

/*
 * All of it, in this order: free heap pages (malloc_trim), the netlink
 * sockets' receive buffers, the stack below the caller's frame (call it
 * from the event loop: nothing below may be live), then the text.
 */
void lx_idle_trim(void);

/* Unmap this program's read-only pages (text, rodata, headers: never
 * written, so nothing is lost) from the process; the page cache keeps
 * them and the next pass faults back what it runs. Returns the bytes
 * advised away, 0 when the program has text relocations (its read-only
 * pages may have been written) or nothing was mapped read-only. */
size_t lx_idle_drop_text(void);

#endif
