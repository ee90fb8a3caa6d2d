/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "evloop.h"
#include "nl.h"
#include "idle.h"

/*
 * An idle resident's proportional set is mostly its own binary: the hook's
 * first pass and the resident's passes run nearly all of its text, the
 * kernel maps 64 KiB around every page fault (fault-around), and with one
 * resident on the node every one of those pages is counted to it. They are
 * clean file pages: MADV_DONTNEED on a private file mapping only drops the
 * process's page-table entries, the page cache keeps the pages (shared
 * with the next hook's exec), and the next pass faults back what it runs,
 * minor faults that read no disk. Only segments without PF_W are dropped:
 * a writable one (data, the GOT, RELRO) holds private copies.
 */

#if UINTPTR_MAX > 0xffffffffu
typedef Elf64_Phdr phdr_t;
typedef Elf64_Dyn dyn_t;
#else
typedef Elf32_Phdr phdr_t;
typedef Elf32_Dyn dyn_t;
#endif

/* DT_TEXTREL or DF_TEXTREL: the loader wrote into read-only segments. */
LX_IDLE_PATH static bool has_textrel(const phdr_t *ph, size_t n, uintptr_t bias)
{
	for (size_t i = 0; i < n; i++) {
		const dyn_t *d;

		if (ph[i].p_type != PT_DYNAMIC)
			continue;
		for (d = (const dyn_t *)(bias + ph[i].p_vaddr); d->d_tag != DT_NULL;
		     d++)
			if (d->d_tag == DT_TEXTREL ||
			    (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)))
				return true;
	}
	return false;
}

/* The idle path's bounds (the linker's, for a section named like this). */
extern const char __start_lx_idle[], __stop_lx_idle[];

/* [a, b) and the pages [pa, pb) share one. */
LX_IDLE_PATH static bool overlaps(uintptr_t a, uintptr_t b, uintptr_t pa,
				  uintptr_t pb)
{
	return a < pb && b > pa;
}

LX_IDLE_PATH static size_t drop(uintptr_t a, uintptr_t b)
{
	return b > a && madvise((void *)a, b - a, MADV_DONTNEED) == 0 ? b - a
								       : 0;
}

LX_IDLE_PATH size_t lx_idle_drop_text(void)
{
	/* The program's own headers, from the kernel (the auxiliary vector):
	 * the load bias is where PT_PHDR ended up minus where it was linked. */
	const phdr_t *ph = (const phdr_t *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM), bytes = 0;
	uintptr_t page = getauxval(AT_PAGESZ), bias = 0;
	bool found = false;
	struct {
		uintptr_t a, b;
	} r[8];
	size_t nr = 0;
	uintptr_t keep_a, keep_b;

	if (!ph || !n)
		return 0;
	if (!page)
		page = 4096;
	keep_a = (uintptr_t)__start_lx_idle & ~(page - 1);
	keep_b = ((uintptr_t)__stop_lx_idle + page - 1) & ~(page - 1);
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR) {
			bias = (uintptr_t)ph - ph[i].p_vaddr;
			found = true;
		}
	if (!found || has_textrel(ph, n, bias))
		return 0;
	/* The ranges first: the headers are in the first segment, reading
	 * them after it is dropped would fault it back. */
	for (size_t i = 0; i < n && nr < sizeof(r) / sizeof(r[0]); i++) {
		if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & PF_W))
			continue;
		uintptr_t start = bias + ph[i].p_vaddr,
			  end = start + ph[i].p_memsz;

		/* Its pages; when an end page is shared with a writable
		 * segment (which may hold private data), only the pages
		 * wholly inside it. */
		r[nr].a = start & ~(page - 1);
		r[nr].b = (end + page - 1) & ~(page - 1);
		for (size_t j = 0; j < n; j++)
			if (ph[j].p_type == PT_LOAD && (ph[j].p_flags & PF_W) &&
			    overlaps(bias + ph[j].p_vaddr,
				     bias + ph[j].p_vaddr + ph[j].p_memsz,
				     r[nr].a, r[nr].b)) {
				r[nr].a = (start + page - 1) & ~(page - 1);
				r[nr].b = end & ~(page - 1);
			}
		nr++;
	}
	for (size_t i = 0; i < nr; i++) {
		/* Around the idle path's pages, which run on after this. */
		uintptr_t a = r[i].a, b = r[i].b;

		if (keep_a < b && keep_b > a) {
			bytes += drop(a, keep_a);
			a = keep_b;
		}
		bytes += drop(a, b);
	}
	return bytes;
}

/*
 * The passes' deepest frames (netlink and formatting buffers) leave ~64 KiB
 * of the stack dirty for good, a fifth of an idle resident's private
 * memory. Called from the event loop, nothing lives below this frame:
 * drop the pages under it (they come back zeroed if a pass goes that deep
 * again). One page of margin covers madvise's own frame; the range may
 * reach below the stack's mapping, which madvise reports (ENOMEM) after
 * dropping what is mapped.
 */
LX_IDLE_PATH static __attribute__((noinline)) void trim_stack(void)
{
	const uintptr_t page = 4096, depth = 256 << 10;
	volatile char here = 0;
	uintptr_t top = ((uintptr_t)&here & ~(page - 1)) - page;

	(void)here;
	(void)madvise((void *)(top - depth), depth, MADV_DONTNEED);
}

void lx_idle_trim(void)
{
	malloc_trim(0);
	lx_nl_trim_buffers();
	trim_stack();
	/* Last: from here on only the idle path's pages run. */
	(void)lx_idle_drop_text();
}
