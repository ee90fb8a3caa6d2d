/* SPDX-License-Identifier: MIT */
/*
 * The cgroup keys of the desired document, one row each: the cgroup v2
 * name, the controller, the v1 file(s) it is translated to (as runc and
 * crun do), the conversion between the two forms, and the "gives more"
 * compare of the tighten-only rule. Pure: no file is opened here (the I/O
 * is lib/cgroup.c), so the document parser and the unit tests use the
 * rows directly.
 *
 *   v2 key              v1 file(s)                         conversion
 *   memory.max          memory.limit_in_bytes              bytes, max = -1
 *   memory.high         -                                  (no v1 file)
 *   memory.low          memory.soft_limit_in_bytes         bytes, max = -1
 *   memory.min          -                                  (no v1 file)
 *   memory.swap.max     memory.memsw.limit_in_bytes        memory + swap
 *   memory.oom.group    -                                  (no v1 file)
 *   pids.max            pids.max                           as is
 *   cpu.max             cpu.cfs_period_us, cpu.cfs_quota_us  max = -1
 *   cpu.weight          cpu.shares                         runc's formula
 *   cpu.idle            cpu.idle                           as is
 *   cpuset.cpus/.mems   cpuset.cpus / cpuset.mems          as is
 *   io.weight           blkio.bfq.weight (BFQ only)        runc's formula
 *   io.max              blkio.throttle.{read,write}_{bps,iops}_device
 *   hugetlb.SIZE.max    hugetlb.SIZE.limit_in_bytes        bytes, max = -1
 *
 * Values are kept in the v2 form everywhere (desired, observed, owned);
 * a v1 file's text is converted on the way in and out.
 */
#ifndef LX_CGROUP_KEYS_H
#define LX_CGROUP_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

enum lx_cg_ctrl {
	LX_CG_MEMORY,
	LX_CG_PIDS,
	LX_CG_CPU,
	LX_CG_CPUSET,
	LX_CG_IO,
	LX_CG_HUGETLB,
	LX_CG_NCTRL
};

/* The v2 controller name ("io") and the v1 hierarchy's ("blkio"). */
const char *lx_cg_ctrl_name(enum lx_cg_ctrl c);
const char *lx_cg_ctrl_v1_name(enum lx_cg_ctrl c);

enum lx_cg_conv {
	LX_CGC_BYTES,	/* bytes or "max", compared in pages; v1 max = -1 */
	LX_CGC_SWAP,	/* bytes or "max"; v1 memsw = memory limit + swap */
	LX_CGC_COUNT,	/* 1.. or "max", v1 the same text */
	LX_CGC_CPU_MAX, /* "QUOTA PERIOD" / "max PERIOD" */
	LX_CGC_SHARES,	/* cpu.weight 1..10000; v1 cpu.shares 2..262144 */
	LX_CGC_FLAG,	/* 0 or 1; 1 is the tighter (idle, group kill) */
	LX_CGC_CPUSET,	/* a list of CPUs or memory nodes, "0-3,6" */
	LX_CGC_BFQ,	/* io.weight 1..10000; v1 blkio.bfq.weight 10..1000 */
	LX_CGC_IO_MAX,	/* "MAJ:MIN rbps=N wbps=N riops=N wiops=N" */
	LX_CGC_HUGETLB, /* bytes or "max", compared in huge pages */
};

struct lx_cg_row {
	const char *key; /* v2 name; "hugetlb.<size>.max" stands for all */
	enum lx_cg_ctrl ctrl;
	enum lx_cg_conv conv;
	/* v1 files written, in this order ("*" = the hugetlb size); none:
	 * v1[0] NULL, and no_v1 says why */
	const char *v1[4];
	const char *no_v1;
	/* v1 file only read, for the conversion (memsw needs the limit) */
	const char *v1_read;
};

/* The rows, in the order of the table above. */
extern const struct lx_cg_row lx_cg_rows[];
extern const size_t lx_cg_nrows;

/* The row of a key (hugetlb.2MB.max finds the hugetlb row); NULL if none. */
const struct lx_cg_row *lx_cg_row_find(const char *key);

/* The keys, '|'-separated, for messages. */
const char *lx_cg_key_list(void);

/*
 * The document's grammar: in (a decimal integer or the string a tenant
 * wrote) to the canonical v2 value in out. repr is how in is shown in a
 * message (quoted string or number). On error returns -EINVAL with the
 * reason in why, naming repr, e.g. `invalid size "12X" (bytes, with
 * K/M/G/T, or "max")`.
 */
int lx_cg_normalize(const char *key, const char *in, const char *repr,
		    char *out, size_t len, char *why, size_t wlen) LX_WUR;

/*
 * want/have equal as the kernel stores them (page and huge-page rounding,
 * v1's unlimited, sets of CPUs, the io.max fields want names). Either may
 * be NULL (equal only to NULL).
 */
bool lx_cg_equal(const char *key, const char *want, const char *have);

/* Tighten-only: does desired give more than spawn? "max" is the top, a
 * larger cpuset, a higher weight, 0 for a flag whose spawn value is 1 are
 * raises; values that do not parse count as raises. */
bool lx_cg_is_raise(const char *key, const char *desired, const char *spawn);

/* One write of a v1 file. */
struct lx_cg_write {
	char file[64];
	char value[80];
};

/*
 * The v1 file names of key (hugetlb's size filled in); returns how many
 * (0 when it has no v1 file).
 */
size_t lx_cg_v1_files(const char *key, char files[4][64]);

/*
 * v2 value -> the v1 writes, in order. limit is the memory limit (v2 form)
 * a memory.swap.max sits on (else unused). Returns the number of writes
 * (at most 4) or -EINVAL.
 */
int lx_cg_to_v1(const char *key, const char *value, const char *limit,
		struct lx_cg_write w[4]) LX_WUR;

/*
 * The v1 files' texts -> the v2 value. texts[i] is the content of file i
 * of lx_cg_v1_files (NULL: missing), extra the v1_read file's. hint is a
 * value of key (io.max: whose device). Returns 0 or -EPROTO.
 */
int lx_cg_from_v1(const char *key, const char *const texts[4],
		  const char *extra, const char *hint, char *out,
		  size_t len) LX_WUR;

/*
 * A v2 file's text -> the value: io.max the line of the hint's device
 * (no line: every limit "max"), io.weight its default; others as is.
 */
int lx_cg_from_v2(const char *key, const char *text, const char *hint,
		  char *out, size_t len) LX_WUR;

/* cpu.weight <-> cpu.shares and io.weight <-> blkio.bfq.weight (runc's
 * conversions and their inverses; a round trip gives the weight back). */
unsigned long long lx_cg_weight_to_shares(unsigned long long weight);
unsigned long long lx_cg_shares_to_weight(unsigned long long shares);
unsigned long long lx_cg_weight_to_bfq(unsigned long long weight);
unsigned long long lx_cg_bfq_to_weight(unsigned long long bfq);

#endif
