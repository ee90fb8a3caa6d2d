/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stats.h"

const char *const lx_stats_triggers[LX_STATS_TRIGGERS] = {
    "initial", "timer", "monitor", "put", "manual",
};

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct lx_stats_sub *sub_slot(struct lx_stats *s, const char *name)
{
	for (int i = 0; i < LX_STATS_SUBS; i++) {
		if (!s->sub[i].name) {
			s->sub[i].name = name;
			return &s->sub[i];
		}
		if (strcmp(s->sub[i].name, name) == 0)
			return &s->sub[i];
	}
	return NULL; /* more subsystems than slots: not counted */
}

void lx_stats_pass(struct lx_stats *s, const char *sub, const char *trigger,
		   size_t applied, size_t failed, bool converged,
		   bool all_converged, uint32_t backoff_ms, uint32_t cap_ms,
		   uint64_t duration_us, const char *error)
{
	struct lx_stats_sub *ss = sub_slot(s, sub);
	uint64_t now = clock_ms(CLOCK_MONOTONIC);
	int t = LX_STATS_TRIGGERS - 1; /* unknown triggers count as manual */

	for (int i = 0; i < LX_STATS_TRIGGERS; i++)
		if (strcmp(trigger, lx_stats_triggers[i]) == 0)
			t = i;
	s->passes++;
	s->by_trigger[t]++;
	s->last_trigger = lx_stats_triggers[t];
	s->last_pass_mono_ms = now;
	s->last_pass_real_ms = clock_ms(CLOCK_REALTIME);
	s->last_duration_us = duration_us;
	if (all_converged)
		s->last_converged_mono_ms = now;
	if (ss) {
		ss->passes++;
		ss->applied += applied;
		ss->failed += failed;
		ss->converged = converged;
		ss->backoff_ms = backoff_ms;
		ss->backoff_cap_ms = cap_ms;
		ss->end_mono_ms = now;
	}
	if (error && *error) {
		size_t n = strlen(sub);
		bool named = strncmp(error, sub, n) == 0 && error[n] == ':';

		snprintf(s->last_error, sizeof(s->last_error), "%s%s%s",
			 named ? "" : sub, named ? "" : ": ", error);
		s->last_error_real_ms = s->last_pass_real_ms;
	}
}

static json_t *rfc3339(uint64_t real_ms)
{
	time_t t = (time_t)(real_ms / 1000u);
	struct tm tm;
	char buf[64];

	if (!real_ms || !gmtime_r(&t, &tm))
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned)(real_ms % 1000u));
	return json_string(buf);
}

static json_t *age(uint64_t now, uint64_t then)
{
	return then ? json_integer((json_int_t)(now - then)) : json_null();
}

json_t *lx_stats_json(const struct lx_stats *s)
{
	uint64_t now = clock_ms(CLOCK_MONOTONIC);
	json_t *subs = json_object(), *trig = json_object(), *j;
	bool converged = true, backing = false, capped = false;
	int64_t next = -1;

	for (int i = 0; i < LX_STATS_TRIGGERS; i++)
		json_object_set_new(trig, lx_stats_triggers[i],
				    json_integer((json_int_t)s->by_trigger[i]));
	for (int i = 0; i < LX_STATS_SUBS && s->sub[i].name; i++) {
		const struct lx_stats_sub *ss = &s->sub[i];

		converged = converged && ss->converged;
		if (ss->backoff_ms) {
			int64_t due =
			    (int64_t)(ss->end_mono_ms + ss->backoff_ms) -
			    (int64_t)now;

			backing = true;
			capped = capped || ss->backoff_ms >= ss->backoff_cap_ms;
			if (due < 0)
				due = 0;
			if (next < 0 || due < next)
				next = due;
		}
		json_object_set_new(
		    subs, ss->name,
		    json_pack("{s:I, s:I, s:I, s:b, s:I}", "passes",
			      (json_int_t)ss->passes, "applied",
			      (json_int_t)ss->applied, "failed",
			      (json_int_t)ss->failed, "converged",
			      ss->converged, "backoff_ms",
			      (json_int_t)ss->backoff_ms));
	}
	/* Backing off while the delay still grows; failing once it has hit
	 * its cap (each retry failed, it now retries only at the resync
	 * interval), or when not converged with no retry due at all. */
	j = json_pack(
	    "{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:b, s:o, s:o, s:o, s:o}",
	    "state",
	    converged && !backing ? "ok"
	    : backing && !capped  ? "backing off"
				  : "failing",
	    "passes", (json_int_t)s->passes, "last_trigger",
	    s->last_trigger ? json_string(s->last_trigger) : json_null(),
	    "passes_by_trigger", trig, "last_pass_age_ms",
	    age(now, s->last_pass_mono_ms), "last_pass_ts",
	    rfc3339(s->last_pass_real_ms), "last_converged_age_ms",
	    age(now, s->last_converged_mono_ms), "last_duration_us",
	    (json_int_t)s->last_duration_us, "backing_off", backing,
	    "next_retry_ms",
	    next >= 0 ? json_integer((json_int_t)next) : json_null(),
	    "subsystems", subs, "last_error",
	    s->last_error[0] ? json_string(s->last_error) : json_null(),
	    "last_error_ts", rfc3339(s->last_error_real_ms));
	return j;
}
