/* SPDX-License-Identifier: MIT */
/*
 * metrics [--output FILE]: the Prometheus text exposition (format 0.0.4)
 * for every resident sidecar of the state dir, in the form node_exporter's
 * textfile collector reads (no timestamps; each family once, HELP and TYPE
 * first). --output writes FILE.tmp.PID beside FILE and renames it over
 * FILE, so the collector never reads half a file (it only reads *.prom).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "commands.h"
#include "residents.h"
#include "stats.h"

static int fail(struct lx_error *err)
{
	lx_print_error(err);
	return lx_exit_code(err);
}

/* A label value, escaped as the exposition format says (\\, \", \n). */
static void label(FILE *f, const char *name, const char *v)
{
	fprintf(f, "%s=\"", name);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *sid(const json_t *o)
{
	return json_string_value(json_object_get(o, "id"));
}

static json_t *health(const json_t *o)
{
	return json_object_get(o, "health");
}

/* One sample per answering sidecar: NAME{id="..."} value. */
static void per_sidecar(FILE *f, const json_t *arr, const char *name,
			const char *type, const char *help,
			int (*value)(const json_t *o, double *v))
{
	size_t i;
	json_t *o;

	family(f, name, type, help);
	json_array_foreach(arr, i, o)
	{
		double v;

		if (!health(o) || value(o, &v) < 0)
			continue;
		fprintf(f, "%s{", name);
		label(f, "id", sid(o));
		fprintf(f, "} %.9g\n", v);
	}
}

static int v_converged(const json_t *o, double *v)
{
	*v = json_is_true(json_object_get(o, "converged"));
	return 0;
}

static int v_backing_off(const json_t *o, double *v)
{
	*v = json_is_true(json_object_get(health(o), "backing_off"));
	return 0;
}

static int v_duration(const json_t *o, double *v)
{
	*v = (double)json_integer_value(
		 json_object_get(health(o), "last_duration_us")) /
	     1e6;
	return 0;
}

static int v_since_converged(const json_t *o, double *v)
{
	json_t *a = json_object_get(health(o), "last_converged_age_ms");

	if (!json_is_integer(a))
		return -1; /* never converged: no sample */
	*v = (double)json_integer_value(a) / 1e3;
	return 0;
}

/* NAME{id, LABEL=key} value for each member of health.MEMBER (objects of
 * integers) or of each health.subsystems.X.FIELD. */
static void per_key(FILE *f, const json_t *arr, const char *name,
		    const char *help, const char *lbl, const char *member,
		    const char *field)
{
	size_t i;
	json_t *o;

	family(f, name, "counter", help);
	json_array_foreach(arr, i, o)
	{
		json_t *m = json_object_get(health(o), member), *x;
		const char *k;

		json_object_foreach(m, k, x)
		{
			json_t *n = field ? json_object_get(x, field) : x;

			if (!json_is_integer(n))
				continue;
			fprintf(f, "%s{", name);
			label(f, "id", sid(o));
			fputc(',', f);
			label(f, lbl, k);
			fprintf(f, "} %lld\n", json_integer_value(n));
		}
	}
}

static void expose(FILE *f, const json_t *arr)
{
	size_t i;
	json_t *o;

	family(f, "linx_sidecar_sidecars", "gauge",
	       "Resident sidecars in the state directory.");
	fprintf(f, "linx_sidecar_sidecars %zu\n", json_array_size(arr));
	family(f, "linx_sidecar_up", "gauge",
	       "1 when the sidecar answered on its control socket.");
	json_array_foreach(arr, i, o)
	{
		fputs("linx_sidecar_up{", f);
		label(f, "id", sid(o));
		fprintf(f, "} %d\n", health(o) ? 1 : 0);
	}
	family(f, "linx_sidecar_info", "gauge",
	       "The sidecar's container: Kubernetes names when known.");
	json_array_foreach(arr, i, o)
	{
		json_t *m = json_object_get(o, "meta");

		fputs("linx_sidecar_info{", f);
		label(f, "id", sid(o));
		fputc(',', f);
		label(f, "pod_namespace",
		      json_string_value(json_object_get(m, "pod_namespace")));
		fputc(',', f);
		label(f, "pod_name",
		      json_string_value(json_object_get(m, "pod_name")));
		fputc(',', f);
		label(f, "container",
		      json_string_value(json_object_get(m, "container_name")));
		fputs("} 1\n", f);
	}
	per_sidecar(f, arr, "linx_sidecar_converged", "gauge",
		    "1 when every subsystem's last pass converged.",
		    v_converged);
	per_sidecar(f, arr, "linx_sidecar_backing_off", "gauge",
		    "1 when a failed pass is being retried on a backoff.",
		    v_backing_off);
	per_sidecar(f, arr, "linx_sidecar_last_pass_duration_seconds", "gauge",
		    "Duration of the last pass of every subsystem.",
		    v_duration);
	per_sidecar(
	    f, arr, "linx_sidecar_seconds_since_last_converged", "gauge",
	    "Seconds since a pass left the sidecar converged (absent: never).",
	    v_since_converged);
	per_key(f, arr, "linx_sidecar_passes_total",
		"Subsystem passes since the sidecar started, by trigger.",
		"trigger", "passes_by_trigger", NULL);
	per_key(f, arr, "linx_sidecar_ops_applied_total",
		"Operations applied since the sidecar started, by subsystem.",
		"subsystem", "subsystems", "applied");
	per_key(
	    f, arr, "linx_sidecar_ops_failed_total",
	    "Operations that failed since the sidecar started, by subsystem.",
	    "subsystem", "subsystems", "failed");
}

/* Write to FILE.tmp.PID, then rename over FILE. */
static int write_atomic(const char *path, const json_t *arr,
			struct lx_error *err)
{
	char tmp[4096];
	FILE *f;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return lx_error_set(err, LX_ERR_USAGE, ENAMETOOLONG,
				    "--output %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "--output %s",
				    tmp);
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "%s", tmp);
	}
	expose(f, arr);
	if (fflush(f) != 0 || ferror(f))
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return lx_error_set(err, LX_ERR_SYSTEM, -r ? -r : EIO,
				    "--output %s", path);
	}
	return 0;
}

int cmd_metrics(struct lx_cli *cli)
{
	_cleanup_json_ json_t *arr = NULL;
	struct lx_error err;

	lx_error_clear(&err);
	if (cli->n_args) {
		lx_error_set(&err, LX_ERR_USAGE, 0,
			     "metrics: no arguments expected, got \"%s\"",
			     cli->args[0]);
		return fail(&err);
	}
	if (cli->output && !cli->output[0]) {
		lx_error_set(&err, LX_ERR_USAGE, 0, "--output: empty path");
		return fail(&err);
	}
	if (lx_residents_query_all(cli->state_dir, &arr, &err) < 0)
		return fail(&err);
	if (cli->output) {
		if (write_atomic(cli->output, arr, &err) < 0)
			return fail(&err);
		return LX_EXIT_OK;
	}
	expose(stdout, arr);
	return fflush(stdout) == 0 ? LX_EXIT_OK : LX_EXIT_NOT_CONVERGED;
}
