/* SPDX-License-Identifier: MIT */
/*
 * Counters a resident sidecar keeps for operators (`list`, `status`,
 * `metrics`): passes by trigger, ops applied/failed by subsystem, when the
 * last pass ran and the last converged one, the backoff, the last error.
 * Filled from the daemon's pass callback; read through the control socket's
 * status reply (member "health"), so a pass costs a few additions and no
 * file write. Keyed by subsystem name, so a new subsystem needs no change
 * here. Not thread-safe (the daemon's loop thread only).
 */
#ifndef LX_STATS_H
#define LX_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LX_STATS_SUBS 8
/* initial, timer, monitor, put, manual (SPEC.md "Report"). */
#define LX_STATS_TRIGGERS 5

struct lx_stats_sub {
	const char *name; /* static (the subsystem's name); NULL = unused */
	uint64_t passes, applied, failed;
	bool converged;
	uint32_t backoff_ms;	 /* retry delay after its last pass; 0 = none */
	uint32_t backoff_cap_ms; /* the delay stops growing here */
	uint64_t end_mono_ms;	 /* when its last pass ended */
};

struct lx_stats {
	uint64_t passes;
	uint64_t by_trigger[LX_STATS_TRIGGERS];
	uint64_t last_pass_mono_ms, last_pass_real_ms;
	uint64_t last_converged_mono_ms; /* 0 = never */
	uint64_t last_duration_us;
	const char *last_trigger; /* static; NULL before the first pass */
	struct lx_stats_sub sub[LX_STATS_SUBS];
	char last_error[512]; /* "" = none since start */
	uint64_t last_error_real_ms;
};

/* The triggers in order, for the exposition. */
extern const char *const lx_stats_triggers[LX_STATS_TRIGGERS];

/*
 * One source's pass ended. sub and trigger are static strings; error is
 * the pass's error or a failed op's (copied; NULL = none); all_converged
 * is the sidecar's state after this pass. backoff_ms is the loop's retry
 * delay now, cap_ms where it stops growing.
 */
void lx_stats_pass(struct lx_stats *s, const char *sub, const char *trigger,
		   size_t applied, size_t failed, bool converged,
		   bool all_converged, uint32_t backoff_ms, uint32_t cap_ms,
		   uint64_t duration_us, const char *error);

/*
 * The status reply's "health" object (new reference, NULL on ENOMEM):
 * {"state": "ok"|"backing off"|"failing", "passes": N, "last_trigger":
 * "timer"|null, "passes_by_trigger": {...}, "last_pass_age_ms": N,
 * "last_pass_ts": "...", "last_converged_age_ms": N|null, "last_duration_us":
 * N, "backing_off": bool, "next_retry_ms": N|null, "subsystems": {NAME:
 * {"passes", "applied", "failed", "converged", "backoff_ms"}}, "last_error":
 * "..."|null, "last_error_ts": "..."|null} Ages are measured now (monotonic
 * clock); *_ts are RFC 3339 UTC.
 */
json_t *lx_stats_json(const struct lx_stats *s);

#endif
