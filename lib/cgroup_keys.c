/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_keys.h"

#define CPU_PERIOD_DEFAULT 100000
#define CPU_QUOTA_MAX	   ((1ull << 44) - 1) /* the kernel's max_cfs_runtime */
#define CPUSET_BITS	   8192		      /* CPUs or nodes in a list */

static const char *const v2_names[LX_CG_NCTRL] = {
    [LX_CG_MEMORY] = "memory", [LX_CG_PIDS] = "pids",
    [LX_CG_CPU] = "cpu",       [LX_CG_CPUSET] = "cpuset",
    [LX_CG_IO] = "io",	       [LX_CG_HUGETLB] = "hugetlb",
};

static const char *const v1_names[LX_CG_NCTRL] = {
    [LX_CG_MEMORY] = "memory", [LX_CG_PIDS] = "pids",
    [LX_CG_CPU] = "cpu",       [LX_CG_CPUSET] = "cpuset",
    [LX_CG_IO] = "blkio",      [LX_CG_HUGETLB] = "hugetlb",
};

const char *lx_cg_ctrl_name(enum lx_cg_ctrl c)
{
	return c < LX_CG_NCTRL ? v2_names[c] : "?";
}

const char *lx_cg_ctrl_v1_name(enum lx_cg_ctrl c)
{
	return c < LX_CG_NCTRL ? v1_names[c] : "?";
}

#define ROW(k, c, cv, ...)                                                     \
	{                                                                      \
		.key = k, .ctrl = c, .conv = cv, .v1 = { __VA_ARGS__ }         \
	}
#define ROW_NO_V1(k, c, cv, why)                                               \
	{                                                                      \
		.key = k, .ctrl = c, .conv = cv, .no_v1 = why                  \
	}

const struct lx_cg_row lx_cg_rows[] = {
    ROW("memory.max", LX_CG_MEMORY, LX_CGC_BYTES, "memory.limit_in_bytes"),
    ROW_NO_V1("memory.high", LX_CG_MEMORY, LX_CGC_BYTES,
	      "cgroup v1 has no memory.high (runc maps the v1 soft limit, "
	      "memory.soft_limit_in_bytes, to memory.low)"),
    ROW("memory.low", LX_CG_MEMORY, LX_CGC_BYTES, "memory.soft_limit_in_bytes"),
    ROW_NO_V1("memory.min", LX_CG_MEMORY, LX_CGC_BYTES,
	      "cgroup v1 has no hard memory protection (memory.min)"),
    {.key = "memory.swap.max",
     .ctrl = LX_CG_MEMORY,
     .conv = LX_CGC_SWAP,
     .v1 = {"memory.memsw.limit_in_bytes"},
     .v1_read = "memory.limit_in_bytes"},
    ROW_NO_V1("memory.oom.group", LX_CG_MEMORY, LX_CGC_FLAG,
	      "cgroup v1 cannot OOM-kill a cgroup as a whole "
	      "(memory.oom.group)"),
    ROW("pids.max", LX_CG_PIDS, LX_CGC_COUNT, "pids.max"),
    ROW("cpu.max", LX_CG_CPU, LX_CGC_CPU_MAX, "cpu.cfs_period_us",
	"cpu.cfs_quota_us"),
    ROW("cpu.weight", LX_CG_CPU, LX_CGC_SHARES, "cpu.shares"),
    ROW("cpu.idle", LX_CG_CPU, LX_CGC_FLAG, "cpu.idle"),
    ROW("cpuset.cpus", LX_CG_CPUSET, LX_CGC_CPUSET, "cpuset.cpus"),
    ROW("cpuset.mems", LX_CG_CPUSET, LX_CGC_CPUSET, "cpuset.mems"),
    ROW("io.weight", LX_CG_IO, LX_CGC_BFQ, "blkio.bfq.weight"),
    ROW("io.max", LX_CG_IO, LX_CGC_IO_MAX, "blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device"),
    ROW("hugetlb.<size>.max", LX_CG_HUGETLB, LX_CGC_HUGETLB,
	"hugetlb.*.limit_in_bytes"),
};

const size_t lx_cg_nrows = LX_ARRAY_SIZE(lx_cg_rows);

/* "hugetlb.2MB.max" -> 2 MiB; 0 when key is not of that shape. */
static uint64_t huge_size(const char *key)
{
	const char *p = key + 8, *end;
	uint64_t n = 0;
	size_t d;

	if (strncmp(key, "hugetlb.", 8) != 0)
		return 0;
	d = strspn(p, "0123456789");
	if (d == 0 || d > 7 || *p == '0')
		return 0;
	for (size_t i = 0; i < d; i++)
		n = n * 10 + (uint64_t)(p[i] - '0');
	end = p + d;
	if (strcmp(end, "KB.max") == 0)
		return n << 10;
	if (strcmp(end, "MB.max") == 0)
		return n << 20;
	if (strcmp(end, "GB.max") == 0)
		return n << 30;
	return 0;
}

const struct lx_cg_row *lx_cg_row_find(const char *key)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < lx_cg_nrows; i++) {
		const struct lx_cg_row *r = &lx_cg_rows[i];

		if (r->conv == LX_CGC_HUGETLB ? huge_size(key) != 0
					      : strcmp(r->key, key) == 0)
			return r;
	}
	return NULL;
}

const char *lx_cg_key_list(void)
{
	return "memory.max|memory.high|memory.low|memory.min|memory.swap.max|"
	       "memory.oom.group|pids.max|cpu.max|cpu.weight|cpu.idle|"
	       "cpuset.cpus|cpuset.mems|io.weight|io.max|hugetlb.<size>.max";
}

/* ------------------------------------------------------------ numbers */

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

/*
 * A v1 memory or hugetlb limit of "unlimited" reads back as
 * PAGE_COUNTER_MAX pages, LONG_MAX rounded down to the page size
 * (9223372036854771712 with 4K pages). Anything at or above is "max".
 */
static bool is_unlimited(uint64_t v)
{
	return v > (uint64_t)INT64_MAX - page_size();
}

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return s;
}

/* "max" (-> *max), v1's "-1" (-> *max) or an unsigned decimal. */
static int parse_limit(const char *s, uint64_t *v, bool *max)
{
	char *end;

	*max = false;
	*v = 0;
	if (!s)
		return -EINVAL;
	s = skip_blank(s);
	if (strncmp(s, "max", 3) == 0) {
		s += 3;
		*max = true;
	} else if (*s == '-') {
		if (strtoll(s, &end, 10) != -1)
			return -EINVAL;
		s = end;
		*max = true;
	} else {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		*v = strtoull(s, &end, 10);
		if (errno)
			return -EINVAL;
		s = end;
	}
	return *skip_blank(s) ? -EINVAL : 0;
}

/* Strict decimal: digits only, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* A size: bytes, or digits with a binary K/M/G/T suffix (KiB, KB...). */
static bool parse_size(const char *s, uint64_t *out)
{
	char digits[24];
	size_t n = strspn(s, "0123456789");
	uint64_t v, mult = 1;
	const char *suf = s + n;

	if (n == 0 || n >= sizeof(digits))
		return false;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (!parse_u64(digits, &v))
		return false;
	if (*suf) {
		const char *units = "KMGT", *u = strchr(units, *suf & ~0x20);

		if (!u || !*u)
			return false;
		mult = 1ull << (10 * (u - units + 1));
		suf++;
		if (*suf == 'i')
			suf++;
		if (*suf == 'B')
			suf++;
		if (*suf)
			return false;
	}
	if (v > (uint64_t)INT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

/* "QUOTA PERIOD" / "max PERIOD" / "QUOTA" / "max". */
static int parse_cpu_max(const char *s, uint64_t *quota, bool *max,
			 uint64_t *period)
{
	char q[32] = "", p[32] = "", extra[2] = "";
	int n;
	bool pmax;

	if (!s)
		return -EINVAL;
	n = sscanf(s, "%31s %31s %1s", q, p, extra);
	if (n < 1 || n > 2)
		return -EINVAL;
	*period = CPU_PERIOD_DEFAULT;
	if (n == 2 &&
	    (parse_limit(p, period, &pmax) < 0 || pmax || *period == 0))
		return -EINVAL;
	return parse_limit(q, quota, max);
}

static void fmt_u64(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
}

static void fmt_limit(char *buf, size_t len, uint64_t v, bool max)
{
	if (max)
		snprintf(buf, len, "max");
	else
		fmt_u64(buf, len, v);
}

/* ------------------------------------------------------------- cpusets */

struct cpuset {
	uint64_t bits[CPUSET_BITS / 64];
};

/* "0-3,6" (the kernel's list format; blanks folded); "" is the empty set. */
static int parse_cpuset(const char *s, struct cpuset *set)
{
	memset(set, 0, sizeof(*set));
	s = skip_blank(s);
	while (*s) {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -EINVAL;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= CPUSET_BITS)
			return -EINVAL;
		for (unsigned long i = a; i <= b; i++)
			set->bits[i / 64] |= 1ull << (i % 64);
		s = skip_blank(end);
		if (*s == ',') {
			s = skip_blank(s + 1);
			if (!*s)
				return -EINVAL;
		} else if (*s) {
			return -EINVAL;
		}
	}
	return 0;
}

static bool cpuset_has(const struct cpuset *c, size_t i)
{
	return c->bits[i / 64] >> (i % 64) & 1;
}

static bool cpuset_empty(const struct cpuset *c)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(c->bits); i++)
		if (c->bits[i])
			return false;
	return true;
}

/* The kernel's form: ascending ranges, "0-3,6". false when it does not
 * fit len. */
static bool fmt_cpuset(const struct cpuset *c, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < CPUSET_BITS; i++) {
		size_t j = i;
		int w;

		if (!cpuset_has(c, i))
			continue;
		while (j + 1 < CPUSET_BITS && cpuset_has(c, j + 1))
			j++;
		w = j > i
			? snprintf(out + o, len - o, "%s%zu-%zu", o ? "," : "",
				   i, j)
			: snprintf(out + o, len - o, "%s%zu", o ? "," : "", i);
		if (w < 0 || (size_t)w >= len - o)
			return false;
		o += (size_t)w;
		i = j;
	}
	return true;
}

/* -------------------------------------------------------------- io.max */

enum { IO_RBPS, IO_WBPS, IO_RIOPS, IO_WIOPS, IO_NFIELDS };
static const char *const io_fields[IO_NFIELDS] = {"rbps", "wbps", "riops",
						  "wiops"};

struct io_max {
	unsigned maj, min;
	bool has[IO_NFIELDS]; /* named (desired) or read */
	bool max[IO_NFIELDS];
	uint64_t v[IO_NFIELDS];
};

/* "MAJ:MIN" at s; returns the characters used or 0. */
static size_t parse_dev(const char *s, unsigned *maj, unsigned *min)
{
	char *end;
	unsigned long a, b;

	if (*s < '0' || *s > '9')
		return 0;
	a = strtoul(s, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9' || a > 4095)
		return 0;
	b = strtoul(end + 1, &end, 10);
	if (b > 0xfffff ||
	    (*end && *end != ' ' && *end != '\t' && *end != '\n'))
		return 0;
	*maj = (unsigned)a;
	*min = (unsigned)b;
	return (size_t)(end - s);
}

/* "MAJ:MIN [rbps=N|max] [wbps=...] [riops=...] [wiops=...]", one device,
 * at least one field unless empty_ok, none twice. */
static int parse_io_max(const char *s, struct io_max *io, bool empty_ok)
{
	size_t n;
	int fields = 0;

	memset(io, 0, sizeof(*io));
	s = skip_blank(s);
	n = parse_dev(s, &io->maj, &io->min);
	if (!n)
		return -EINVAL;
	for (s = skip_blank(s + n); *s; s = skip_blank(s)) {
		size_t wl = strcspn(s, " \t\n");
		const char *eq = memchr(s, '=', wl);
		char val[32];
		int f;

		if (!eq || (size_t)(s + wl - eq - 1) >= sizeof(val))
			return -EINVAL;
		for (f = 0; f < IO_NFIELDS; f++)
			if (strlen(io_fields[f]) == (size_t)(eq - s) &&
			    strncmp(s, io_fields[f], (size_t)(eq - s)) == 0)
				break;
		if (f == IO_NFIELDS || io->has[f])
			return -EINVAL;
		memcpy(val, eq + 1, (size_t)(s + wl - eq - 1));
		val[s + wl - eq - 1] = '\0';
		if (strcmp(val, "max") == 0)
			io->max[f] = true;
		else if (!parse_u64(val, &io->v[f]))
			return -EINVAL;
		io->has[f] = true;
		fields++;
		s += wl;
	}
	return fields || empty_ok ? 0 : -EINVAL;
}

static void fmt_io_max(const struct io_max *io, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "%u:%u", io->maj, io->min);

	for (int f = 0; f < IO_NFIELDS && o < len; f++) {
		char v[24];

		if (!io->has[f])
			continue;
		fmt_limit(v, sizeof(v), io->v[f], io->max[f]);
		o += (size_t)snprintf(out + o, len - o, " %s=%s", io_fields[f],
				      v);
	}
}

/* Fields a read does not show are unlimited. */
static void io_fill_max(struct io_max *io)
{
	for (int f = 0; f < IO_NFIELDS; f++)
		if (!io->has[f]) {
			io->has[f] = true;
			io->max[f] = true;
		}
}

/* --------------------------------------------------------- the grammar */

int lx_cg_normalize(const char *key, const char *in, const char *repr,
		    char *out, size_t len, char *why, size_t wlen)
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	uint64_t n = 0, q, p;
	bool max;

	if (!row) {
		snprintf(why, wlen, "unknown key (%s)", lx_cg_key_list());
		return -EINVAL;
	}
	switch (row->conv) {
	case LX_CGC_BYTES:
	case LX_CGC_SWAP:
	case LX_CGC_HUGETLB:
		if (strcmp(in, "max") == 0 || parse_size(in, &n)) {
			fmt_limit(out, len, n, strcmp(in, "max") == 0);
			return 0;
		}
		snprintf(why, wlen,
			 "invalid size %s (bytes, with K/M/G/T, or \"max\")",
			 repr);
		return -EINVAL;
	case LX_CGC_COUNT:
		if (strcmp(in, "max") == 0 ||
		    (parse_u64(in, &n) && n >= 1 && n <= (uint64_t)INT64_MAX)) {
			snprintf(out, len, "%s", in);
			return 0;
		}
		snprintf(why, wlen, "invalid value %s (1.. or \"max\")", repr);
		return -EINVAL;
	case LX_CGC_SHARES:
	case LX_CGC_BFQ:
		if (parse_u64(in, &n) && n >= 1 && n <= 10000) {
			fmt_u64(out, len, n);
			return 0;
		}
		snprintf(why, wlen, "%s out of range (1..10000)", repr);
		return -EINVAL;
	case LX_CGC_FLAG:
		if (strcmp(in, "0") == 0 || strcmp(in, "1") == 0) {
			snprintf(out, len, "%s", in);
			return 0;
		}
		snprintf(why, wlen, "invalid value %s (0 or 1)", repr);
		return -EINVAL;
	case LX_CGC_CPUSET: {
		struct cpuset set;

		if (parse_cpuset(in, &set) == 0 && !cpuset_empty(&set) &&
		    fmt_cpuset(&set, out, len))
			return 0;
		snprintf(why, wlen,
			 "invalid list %s (numbers below %d and ranges, such "
			 "as \"0-3,6\")",
			 repr, CPUSET_BITS);
		return -EINVAL;
	}
	case LX_CGC_IO_MAX: {
		struct io_max io;

		if (parse_io_max(in, &io, false) == 0) {
			fmt_io_max(&io, out, len);
			return 0;
		}
		snprintf(why, wlen,
			 "invalid value %s (\"MAJ:MIN\" and one or more of "
			 "rbps=, wbps=, riops=, wiops= with a number or "
			 "\"max\")",
			 repr);
		return -EINVAL;
	}
	case LX_CGC_CPU_MAX: {
		char qs[32] = "", ps[32] = "", extra[2] = "";
		int nf = sscanf(in, "%31s %31s %1s", qs, ps, extra);

		if (nf < 1 || nf > 2) {
			snprintf(why, wlen,
				 "invalid value %s (\"QUOTA PERIOD\", \"max "
				 "PERIOD\", \"QUOTA\" or \"max\")",
				 repr);
			return -EINVAL;
		}
		p = CPU_PERIOD_DEFAULT;
		if (nf == 2 &&
		    (!parse_u64(ps, &p) || p < 1000 || p > 1000000)) {
			snprintf(why, wlen,
				 "period %s out of range (1000..1000000) in %s",
				 ps, repr);
			return -EINVAL;
		}
		max = strcmp(qs, "max") == 0;
		if (!max &&
		    (!parse_u64(qs, &q) || q < 1000 || q > CPU_QUOTA_MAX)) {
			snprintf(why, wlen,
				 "quota out of range (1000..%llu or \"max\") "
				 "in %s",
				 CPU_QUOTA_MAX, repr);
			return -EINVAL;
		}
		if (max)
			snprintf(out, len, "max %" PRIu64, p);
		else
			snprintf(out, len, "%" PRIu64 " %" PRIu64, q, p);
		return 0;
	}
	}
	return -EINVAL;
}

/* --------------------------------------------------------- comparison */

static bool fold_equal(const char *a, const char *b)
{
	a = skip_blank(a);
	b = skip_blank(b);
	while (*a && *b) {
		bool ga = *a == ' ' || *a == '\t' || *a == '\n';
		bool gb = *b == ' ' || *b == '\t' || *b == '\n';

		if (ga != gb)
			return false;
		if (ga) {
			a = skip_blank(a);
			b = skip_blank(b);
			continue;
		}
		if (*a++ != *b++)
			return false;
	}
	return !*skip_blank(a) && !*skip_blank(b);
}

/* Bytes as the kernel keeps them: in units of unit, anything past the
 * page counter "max". */
static int bytes_of(const char *s, uint64_t unit, uint64_t *v, bool *max)
{
	if (parse_limit(s, v, max) < 0)
		return -EINVAL;
	*max = *max || is_unlimited(*v);
	*v /= unit;
	return 0;
}

static uint64_t unit_of(const struct lx_cg_row *row, const char *key)
{
	return row->conv == LX_CGC_HUGETLB ? huge_size(key) : page_size();
}

bool lx_cg_equal(const char *key, const char *want, const char *have)
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	uint64_t a, b, pa, pb;
	bool ma, mb;

	if (!want || !have)
		return want == have;
	switch (row ? (int)row->conv : -1) {
	case LX_CGC_BYTES:
	case LX_CGC_SWAP:
	case LX_CGC_HUGETLB:
		if (bytes_of(want, unit_of(row, key), &a, &ma) < 0 ||
		    bytes_of(have, unit_of(row, key), &b, &mb) < 0)
			break;
		return ma || mb ? ma == mb : a == b;
	case LX_CGC_COUNT:
	case LX_CGC_SHARES:
	case LX_CGC_BFQ:
	case LX_CGC_FLAG:
		if (parse_limit(want, &a, &ma) < 0 ||
		    parse_limit(have, &b, &mb) < 0)
			break;
		return ma == mb && (ma || a == b);
	case LX_CGC_CPU_MAX:
		if (parse_cpu_max(want, &a, &ma, &pa) < 0 ||
		    parse_cpu_max(have, &b, &mb, &pb) < 0)
			break;
		return ma == mb && (ma || a == b) && pa == pb;
	case LX_CGC_CPUSET: {
		struct cpuset sa, sb;

		if (parse_cpuset(want, &sa) < 0 || parse_cpuset(have, &sb) < 0)
			break;
		return memcmp(&sa, &sb, sizeof(sa)) == 0;
	}
	case LX_CGC_IO_MAX: {
		struct io_max ia, ib;

		if (parse_io_max(want, &ia, true) < 0 ||
		    parse_io_max(have, &ib, true) < 0)
			break;
		io_fill_max(&ib);
		if (ia.maj != ib.maj || ia.min != ib.min)
			return false;
		for (int f = 0; f < IO_NFIELDS; f++)
			if (ia.has[f] && (ia.max[f] != ib.max[f] ||
					  (!ia.max[f] && ia.v[f] != ib.v[f])))
				return false;
		return true;
	}
	}
	return fold_equal(want, have);
}

/* "max" is the top: is d above s? */
static bool above(uint64_t d, bool dmax, uint64_t s, bool smax)
{
	if (smax)
		return false;
	return dmax || d > s;
}

bool lx_cg_is_raise(const char *key, const char *desired, const char *spawn)
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	uint64_t d, s, dp, sp;
	bool dm, sm;

	if (!row || !desired || !spawn)
		return false;
	switch (row->conv) {
	case LX_CGC_BYTES:
	case LX_CGC_SWAP:
	case LX_CGC_HUGETLB:
		if (bytes_of(desired, unit_of(row, key), &d, &dm) < 0 ||
		    bytes_of(spawn, unit_of(row, key), &s, &sm) < 0)
			return true;
		return above(d, dm, s, sm);
	case LX_CGC_COUNT:
	case LX_CGC_SHARES:
	case LX_CGC_BFQ:
		if (parse_limit(desired, &d, &dm) < 0 ||
		    parse_limit(spawn, &s, &sm) < 0)
			return true;
		return above(d, dm, s, sm);
	case LX_CGC_FLAG:
		/* cpu.idle 1 takes the lowest CPU priority, oom.group 1
		 * kills the whole cgroup: leaving 1 for 0 gives more. */
		if (parse_limit(desired, &d, &dm) < 0 ||
		    parse_limit(spawn, &s, &sm) < 0)
			return true;
		return s == 1 && d == 0;
	case LX_CGC_CPU_MAX:
		if (parse_cpu_max(desired, &d, &dm, &dp) < 0 ||
		    parse_cpu_max(spawn, &s, &sm, &sp) < 0)
			return true;
		if (sm)
			return false;
		if (dm)
			return true;
		return (unsigned __int128)d * sp > (unsigned __int128)s * dp;
	case LX_CGC_CPUSET: {
		struct cpuset ds, ss;

		if (parse_cpuset(desired, &ds) < 0 ||
		    parse_cpuset(spawn, &ss) < 0)
			return true;
		/* An empty cpuset (v2) is "the parent's": no restriction. */
		if (cpuset_empty(&ss))
			return false;
		for (size_t i = 0; i < LX_ARRAY_SIZE(ds.bits); i++)
			if (ds.bits[i] & ~ss.bits[i])
				return true;
		return false;
	}
	case LX_CGC_IO_MAX: {
		struct io_max di, si;

		if (parse_io_max(desired, &di, true) < 0 ||
		    parse_io_max(spawn, &si, true) < 0)
			return true;
		io_fill_max(&si);
		if (di.maj != si.maj || di.min != si.min)
			return true;
		for (int f = 0; f < IO_NFIELDS; f++)
			if (di.has[f] &&
			    above(di.v[f], di.max[f], si.v[f], si.max[f]))
				return true;
		return false;
	}
	}
	return true;
}

/* ------------------------------------------------------ v1 translation */

/* x in [lo, hi] mapped linearly onto [to_lo, to_hi], as runc does. */
static unsigned long long scale(unsigned long long x, unsigned long long lo,
				unsigned long long hi, unsigned long long to_lo,
				unsigned long long to_hi)
{
	x = x < lo ? lo : x > hi ? hi : x;
	return to_lo + ((x - lo) * (to_hi - to_lo)) / (hi - lo);
}

/*
 * The weight 1..10000 for v1 value b: runc's formula (b's range mapped
 * onto 1..10000), or the smallest weight near it that maps back to b
 * exactly, so that what we wrote reads back as itself.
 */
static unsigned long long unscale(unsigned long long b, unsigned long long lo,
				  unsigned long long hi,
				  unsigned long long (*fwd)(unsigned long long))
{
	unsigned long long w = scale(b, lo, hi, 1, 10000);

	for (unsigned long long c = w > 12 ? w - 12 : 1; c <= w + 12; c++)
		if (c <= 10000 && fwd(c) == b)
			return c;
	return w;
}

unsigned long long lx_cg_weight_to_shares(unsigned long long weight)
{
	return scale(weight, 1, 10000, 2, 262144);
}

unsigned long long lx_cg_shares_to_weight(unsigned long long shares)
{
	/* runc's ConvertCPUSharesToCgroupV2Value */
	return unscale(shares, 2, 262144, lx_cg_weight_to_shares);
}

unsigned long long lx_cg_weight_to_bfq(unsigned long long weight)
{
	return scale(weight, 1, 10000, 10, 1000);
}

unsigned long long lx_cg_bfq_to_weight(unsigned long long bfq)
{
	/* runc's ConvertBlkIOToIOWeightValue; ~10 weights share a value */
	return unscale(bfq, 10, 1000, lx_cg_weight_to_bfq);
}

size_t lx_cg_v1_files(const char *key, char files[4][64])
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	size_t n = 0;

	for (; row && n < 4 && row->v1[n]; n++) {
		const char *star = strchr(row->v1[n], '*');

		if (star) /* hugetlb.<size>.limit_in_bytes */
			snprintf(files[n], 64, "hugetlb.%.*s.limit_in_bytes",
				 (int)(strlen(key) - 12), key + 8);
		else
			snprintf(files[n], 64, "%s", row->v1[n]);
	}
	return n;
}

int lx_cg_to_v1(const char *key, const char *value, const char *limit,
		struct lx_cg_write w[4])
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	char files[4][64];
	size_t nf = lx_cg_v1_files(key, files);
	uint64_t v, q, p, l;
	bool max, lmax;

	if (!row || !value || nf == 0)
		return -EINVAL;
	memset(w, 0, 4 * sizeof(*w));
	for (size_t i = 0; i < nf; i++)
		snprintf(w[i].file, sizeof(w[i].file), "%.63s", files[i]);
	switch (row->conv) {
	case LX_CGC_CPU_MAX:
		if (parse_cpu_max(value, &q, &max, &p) < 0)
			return -EINVAL;
		/* period first: the quota is validated against it */
		fmt_u64(w[0].value, sizeof(w[0].value), p);
		if (max)
			snprintf(w[1].value, sizeof(w[1].value), "-1");
		else
			fmt_u64(w[1].value, sizeof(w[1].value), q);
		return 2;
	case LX_CGC_IO_MAX: {
		struct io_max io;
		int n = 0;

		if (parse_io_max(value, &io, false) < 0)
			return -EINVAL;
		for (int f = 0; f < IO_NFIELDS; f++) {
			if (!io.has[f])
				continue;
			/* v1 has no "max": 0 removes the device's rule */
			snprintf(w[n].file, sizeof(w[n].file), "%.63s",
				 files[f]);
			snprintf(w[n].value, sizeof(w[n].value),
				 "%u:%u %" PRIu64, io.maj, io.min,
				 io.max[f] ? 0 : io.v[f]);
			n++;
		}
		return n;
	}
	case LX_CGC_CPUSET:
	case LX_CGC_FLAG:
		snprintf(w[0].value, sizeof(w[0].value), "%s", value);
		return 1;
	default:
		break;
	}
	if (parse_limit(value, &v, &max) < 0)
		return -EINVAL;
	switch (row->conv) {
	case LX_CGC_SHARES:
	case LX_CGC_BFQ:
		if (max)
			return -EINVAL;
		fmt_u64(w[0].value, sizeof(w[0].value),
			row->conv == LX_CGC_SHARES ? lx_cg_weight_to_shares(v)
						   : lx_cg_weight_to_bfq(v));
		return 1;
	case LX_CGC_COUNT:
		fmt_limit(w[0].value, sizeof(w[0].value), v, max);
		return 1;
	case LX_CGC_SWAP:
		/* v1 memsw limits memory + swap together */
		if (!max) {
			if (parse_limit(limit, &l, &lmax) < 0)
				return -EINVAL;
			max = lmax || is_unlimited(l) || l + v < l ||
			      l + v > (uint64_t)INT64_MAX;
			v += l;
		}
		break;
	default:
		break;
	}
	if (max)
		snprintf(w[0].value, sizeof(w[0].value), "-1");
	else
		fmt_u64(w[0].value, sizeof(w[0].value), v);
	return 1;
}

/* text without the blanks at either end. */
static void copy_trimmed(const char *text, char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "%s", skip_blank(text));
	for (n = strlen(out); n && (out[n - 1] == '\n' || out[n - 1] == ' ' ||
				    out[n - 1] == '\t');)
		out[--n] = '\0';
}

/* A v1 byte limit's text in v2 form. */
static int v1_bytes(const char *text, uint64_t *v, bool *max)
{
	if (parse_limit(text, v, max) < 0)
		return -EPROTO;
	*max = *max || is_unlimited(*v);
	return 0;
}

/* The number after "MAJ:MIN " on dev's line of a v1 throttle file; absent
 * (no rule) -> *max. */
static int v1_dev_value(const char *text, unsigned maj, unsigned min,
			uint64_t *v, bool *max)
{
	*max = true;
	for (const char *l = text; l && *l;) {
		unsigned a, b;
		size_t n = parse_dev(l, &a, &b);
		char *end;

		if (n && a == maj && b == min) {
			*v = strtoull(l + n, &end, 10);
			*max = *v == 0;
			return 0;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return 0;
}

int lx_cg_from_v1(const char *key, const char *const texts[4],
		  const char *extra, const char *hint, char *out, size_t len)
{
	const struct lx_cg_row *row = lx_cg_row_find(key);
	uint64_t v, l;
	bool max, lmax;

	if (!row || !texts[0])
		return -EPROTO;
	switch (row->conv) {
	case LX_CGC_BYTES:
	case LX_CGC_HUGETLB:
		if (v1_bytes(texts[0], &v, &max) < 0)
			return -EPROTO;
		fmt_limit(out, len, v, max);
		return 0;
	case LX_CGC_SWAP:
		if (!extra || v1_bytes(texts[0], &v, &max) < 0 ||
		    v1_bytes(extra, &l, &lmax) < 0)
			return -EPROTO;
		/* swap = memsw - limit; with no memory limit but a finite
		 * memsw, memsw alone bounds the swap. */
		fmt_limit(out, len, lmax ? v : v > l ? v - l : 0, max);
		return 0;
	case LX_CGC_CPU_MAX: {
		uint64_t p, q;
		bool pm, qm;

		if (!texts[1] || parse_limit(texts[0], &p, &pm) < 0 || pm ||
		    parse_limit(texts[1], &q, &qm) < 0)
			return -EPROTO;
		if (qm)
			snprintf(out, len, "max %" PRIu64, p);
		else
			snprintf(out, len, "%" PRIu64 " %" PRIu64, q, p);
		return 0;
	}
	case LX_CGC_SHARES:
		if (parse_limit(texts[0], &v, &max) < 0 || max)
			return -EPROTO;
		fmt_u64(out, len, lx_cg_shares_to_weight(v));
		return 0;
	case LX_CGC_BFQ: {
		const char *t = skip_blank(texts[0]);
		uint64_t h;

		/* BFQ prints "default N" in some versions, "N" in others */
		if (strncmp(t, "default", 7) == 0)
			t += 7;
		if (parse_limit(t, &v, &max) < 0 || max)
			return -EPROTO;
		/* ~10 weights share one BFQ weight: the one asked for, when
		 * it is among them, reads back as itself. */
		if (hint && parse_limit(hint, &h, &max) == 0 && !max &&
		    lx_cg_weight_to_bfq(h) == v)
			v = h;
		else
			v = lx_cg_bfq_to_weight(v);
		fmt_u64(out, len, v);
		return 0;
	}
	case LX_CGC_IO_MAX: {
		struct io_max io;

		if (!hint || parse_io_max(hint, &io, true) < 0)
			return -EPROTO;
		for (int f = 0; f < IO_NFIELDS; f++) {
			if (!texts[f])
				return -EPROTO;
			v1_dev_value(texts[f], io.maj, io.min, &io.v[f],
				     &io.max[f]);
			io.has[f] = true;
		}
		fmt_io_max(&io, out, len);
		return 0;
	}
	case LX_CGC_COUNT:
	case LX_CGC_FLAG:
	case LX_CGC_CPUSET:
		break;
	}
	copy_trimmed(texts[0], out, len);
	return 0;
}

int lx_cg_from_v2(const char *key, const char *text, const char *hint,
		  char *out, size_t len)
{
	const struct lx_cg_row *row = lx_cg_row_find(key);

	if (row && row->conv == LX_CGC_IO_MAX) {
		struct io_max want, io;

		if (!hint || parse_io_max(hint, &want, true) < 0)
			return -EPROTO;
		memset(&io, 0, sizeof(io));
		io.maj = want.maj;
		io.min = want.min;
		for (const char *l = text; l && *l;) {
			const char *nl = strchr(l, '\n');
			char line[256];
			struct io_max got;

			snprintf(line, sizeof(line), "%.*s",
				 (int)(nl ? (size_t)(nl - l) : strlen(l)), l);
			if (parse_io_max(line, &got, true) == 0 &&
			    got.maj == want.maj && got.min == want.min)
				io = got;
			l = nl ? nl + 1 : NULL;
		}
		io_fill_max(&io);
		fmt_io_max(&io, out, len);
		return 0;
	}
	if (row && row->conv == LX_CGC_BFQ) {
		/* "default N" then "MAJ:MIN N" lines; a bare "N" too */
		for (const char *l = text; l && *l;) {
			uint64_t v;
			bool max;
			char line[64];
			const char *nl = strchr(l, '\n'), *t;

			snprintf(line, sizeof(line), "%.*s",
				 (int)(nl ? (size_t)(nl - l) : strlen(l)), l);
			t = skip_blank(line);
			if (strncmp(t, "default", 7) == 0)
				t += 7;
			if (!strchr(t, ':') && parse_limit(t, &v, &max) == 0 &&
			    !max) {
				fmt_u64(out, len, v);
				return 0;
			}
			l = nl ? nl + 1 : NULL;
		}
		return -EPROTO;
	}
	copy_trimmed(text, out, len);
	return 0;
}
