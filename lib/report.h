/* SPDX-License-Identifier: MIT */
/*
 * The report of one pass (SPEC.md "Report"). Each subsystem fills one
 * lx_subreport: its plan, whose ops carry applied/failed/pending states.
 */
#ifndef LX_REPORT_H
#define LX_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "op.h"

/* Most subsystems a report holds (lib/subsys.c lists them). */
#define LX_SUB_MAX 8

struct lx_subreport {
	const char *name; /* the subsystem's (static); NULL prints "?" */
	bool converged;
	struct lx_plan plan;
	char *error; /* owned: a failure outside any op (observe failed...) */
	json_t *state; /* owned, NULL = none: the subsystem's report verb */
	json_t *backoff; /* owned, NULL = none: ops the loop backs off
			    (loop.h), an array printed as "backoff" */
};

struct lx_report {
	char id[129];
	uint64_t pass;
	const char
	    *trigger; /* static string: initial|timer|monitor|put|manual */
	bool converged;
	uint64_t duration_us;
	size_t n_sub; /* sub[0..n_sub) are used, in lx_subsystems[] order */
	struct lx_subreport sub[LX_SUB_MAX];
};

void lx_report_free(struct lx_report *r);
void lx_subreport_reset(struct lx_subreport *s);
void lx_subreport_fail(struct lx_subreport *s, const char *msg);

/* converged = every subreport converged. */
void lx_report_finish(struct lx_report *r);

/* Report as JSON (new reference); last_applied may be NULL. */
json_t *lx_report_to_json(const struct lx_report *r,
			  const struct lx_owned *last_applied);

/* The same from loose parts: n subreports (each names its subsystem).
 * Used by the resident sidecar, whose loops each keep their last report. */
json_t *lx_report_parts_to_json(const char *id, uint64_t pass,
				const char *trigger, uint64_t duration_us,
				const struct lx_subreport *const *subs, size_t n,
				const struct lx_owned *last_applied);

/* Write the same JSON text (compact, no newline) to f as it is produced,
 * without building the tree: for reports of thousands of ops. 0 or -errno. */
int lx_report_dumpf(FILE *f, const struct lx_report *r,
		    const struct lx_owned *last_applied);
int lx_report_parts_dumpf(FILE *f, const char *id, uint64_t pass,
			  const char *trigger, uint64_t duration_us,
			  const struct lx_subreport *const *subs, size_t n,
			  const struct lx_owned *last_applied);

/* last_applied as JSON:
 * {"addresses":[...],"links":[...],"sysctl":{},"cgroup":{}} */
json_t *lx_owned_to_json(const struct lx_owned *o);
/* Parse back what lx_owned_to_json wrote. */
int lx_owned_from_json(const json_t *j, struct lx_owned *o,
		       struct lx_error *err) LX_WUR;

#endif
