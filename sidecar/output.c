/* SPDX-License-Identifier: MIT */
/* Human and JSON output of reports. */
#include <stdio.h>

#include "commands.h"

void lx_print_json(FILE *f, json_t *j)
{
	if (!j)
		return;
	json_dumpf(j, f, JSON_INDENT(2));
	fputc('\n', f);
	json_decref(j);
}

int lx_report_exit_code(const struct lx_report *r)
{
	return r->converged ? LX_EXIT_OK : LX_EXIT_NOT_CONVERGED;
}

static char verb_sign(enum lx_op_verb v)
{
	return v == LX_OP_CREATE ? '+' : v == LX_OP_DELETE ? '-' : '~';
}

const char *lx_format_backoff(const json_t *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s %s: %s #%lld, next try in %lld ms",
		 json_string_value(json_object_get(e, "op")),
		 json_string_value(json_object_get(e, "kind")),
		 json_string_value(json_object_get(e, "item")),
		 json_string_value(json_object_get(e, "reason")),
		 (long long)json_integer_value(json_object_get(e, "count")),
		 (long long)json_integer_value(
		     json_object_get(e, "retry_in_ms")));
	return buf;
}

/* The loop's backoff (loop.h): why an op is held or retried later. */
static void print_backoff(FILE *f, const json_t *backoff)
{
	char buf[1024];
	size_t i;
	const json_t *e;

	json_array_foreach(backoff, i, e)
	{
		const char *err =
		    json_string_value(json_object_get(e, "error"));

		fprintf(f, "    backoff: %s%s%s\n",
			lx_format_backoff(e, buf, sizeof(buf)),
			err ? ": " : "", err ? err : "");
	}
}

void lx_print_report(FILE *f, const struct lx_report *r, bool plan_only)
{
	char buf[512];
	size_t total = 0;

	for (size_t i = 0; i < r->n_sub; i++)
		total += r->sub[i].plan.n;
	if (plan_only)
		fprintf(f, "%s: %zu change%s planned\n", r->id, total,
			total == 1 ? "" : "s");
	else
		fprintf(f, "%s: %s (pass %llu, %s, %llu us)\n", r->id,
			r->converged ? "converged" : "NOT converged",
			(unsigned long long)r->pass,
			r->trigger ? r->trigger : "manual",
			(unsigned long long)r->duration_us);
	for (size_t i = 0; i < r->n_sub; i++) {
		const struct lx_subreport *s = &r->sub[i];
		size_t shown = 0;

		if (!plan_only)
			fprintf(f, "  %-7s %zu applied, %zu failed, %zu pending\n",
				s->name ? s->name : "?",
				lx_plan_count(&s->plan, LX_OPS_APPLIED),
				lx_plan_count(&s->plan, LX_OPS_FAILED),
				lx_plan_count(&s->plan, LX_OPS_PENDING));
		if (s->error)
			fprintf(f, "    error: %s\n", s->error);
		for (size_t k = 0; k < s->plan.n; k++) {
			const struct lx_op *op = &s->plan.ops[k];

			/* Big passes (10,000 routes): show the head only. */
			if (shown++ == 20 && s->plan.n > 25) {
				fprintf(f, "    ... %zu more\n", s->plan.n - 20);
				break;
			}
			fprintf(f, "    %c %s %s %s%s%s%s\n", verb_sign(op->verb),
				lx_op_verb_name(op->verb), lx_obj_name(op->obj),
				lx_op_describe(op, buf, sizeof(buf)),
				op->state == LX_OPS_FAILED ? "  FAILED: " : "",
				op->state == LX_OPS_FAILED && op->error
					? op->error
					: "",
				op->state == LX_OPS_PENDING ? "  (pending)"
							     : "");
		}
		print_backoff(f, s->backoff);
	}
}
