/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "oci_state.h"
#include "residents.h"

static const struct {
	const char *annotation, *member;
	size_t off;
} meta_keys[] = {
    {"io.kubernetes.pod.namespace", "pod_namespace",
     offsetof(struct lx_resident, pod_namespace)},
    {"io.kubernetes.pod.name", "pod_name",
     offsetof(struct lx_resident, pod_name)},
    {"io.kubernetes.container.name", "container_name",
     offsetof(struct lx_resident, container_name)},
};

static bool process_alive(pid_t pid)
{
	char path[64], buf[4096];
	int fd;
	ssize_t n;
	const char *st;

	if (pid <= 0)
		return false;
	/* kill(0) succeeds on zombies: read the State line. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	st = strstr(buf, "\nState:");
	if (!st)
		return false;
	st += strlen("\nState:");
	st += strspn(st, " \t");
	return *st != 'Z' && *st != 'X';
}

static void read_meta(int dirfd, struct lx_resident *r)
{
	char buf[4096];
	_cleanup_json_ json_t *j = NULL;

	if (lx_state_read(dirfd, LX_STATE_META, buf, sizeof(buf)) <= 0)
		return;
	j = json_loads(buf, 0, NULL);
	for (size_t i = 0; j && i < LX_ARRAY_SIZE(meta_keys); i++) {
		const char *v =
		    json_string_value(json_object_get(j, meta_keys[i].member));

		if (v)
			snprintf((char *)r + meta_keys[i].off, LX_META_MAX,
				 "%s", v);
	}
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct lx_resident *)a)->id,
		      ((const struct lx_resident *)b)->id);
}

int lx_residents_scan(const char *state_dir, struct lx_resident **out,
		      size_t *n, struct lx_error *err)
{
	DIR *dir = opendir(state_dir);
	struct lx_resident *v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (!dir) {
		if (errno == ENOENT)
			return 0;
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "%s", state_dir);
	}
	/* What an untrusted dir says about residents is not to be believed
	 * (nor its sockets talked to): state.h "Trust". */
	if (lx_state_check_trusted(dirfd(dir), state_dir, err) < 0) {
		closedir(dir);
		return -EPERM;
	}
	while ((e = readdir(dir))) {
		struct lx_resident r = {0};
		char buf[32];
		int fd;

		if (!lx_oci_id_valid(e->d_name))
			continue;
		fd = openat(dirfd(dir), e->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (lx_state_read(fd, LX_STATE_PID, buf, sizeof(buf)) < 0) {
			close(fd); /* no pid file: not a resident */
			continue;
		}
		memcpy(r.id, e->d_name,
		       strlen(e->d_name) + 1); /* valid: <= 128 */
		r.pid = (pid_t)strtol(buf, NULL, 10);
		r.alive = process_alive(r.pid);
		read_meta(fd, &r);
		close(fd);
		if (len == cap) {
			struct lx_resident *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
						    "residents");
			}
			v = nv;
		}
		v[len++] = r;
	}
	closedir(dir);
	if (len)
		qsort(v, len, sizeof(*v), by_id);
	*out = v;
	*n = len;
	return 0;
}

int lx_resident_resolve(const char *state_dir, const char *prefix, char *id,
			struct lx_error *err)
{
	_cleanup_free_ struct lx_resident *v = NULL;
	size_t n = 0, plen = strlen(prefix), hits = 0, first = 0;
	int r;

	if (!lx_oci_id_valid(prefix))
		return lx_error_set(
		    err, LX_ERR_USAGE, 0,
		    "id \"%.64s\": invalid (letters, digits, _ . -)", prefix);
	r = lx_residents_scan(state_dir, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].id, prefix) == 0) {
			snprintf(id, 129, "%s", v[i].id);
			return 0;
		}
		if (strncmp(v[i].id, prefix, plen) == 0 && hits++ == 0)
			first = i;
	}
	if (hits == 0)
		return lx_error_set(err, LX_ERR_NOTFOUND, 0,
				    "no resident sidecar matches \"%s\" in %s",
				    prefix, state_dir);
	if (hits == 1) {
		snprintf(id, 129, "%s", v[first].id);
		return 0;
	}
	lx_error_set(err, LX_ERR_USAGE, 0,
		     "id \"%s\" is ambiguous: %zu resident sidecars match",
		     prefix, hits);
	for (size_t i = first; i < n; i++)
		if (strncmp(v[i].id, prefix, plen) == 0)
			lx_error_add(err, LX_ERR_USAGE, 0, "  %s", v[i].id);
	return -EINVAL;
}

int lx_meta_write(struct lx_state *s, const json_t *annotations)
{
	_cleanup_json_ json_t *j = json_object();
	bool any = false;

	if (!j)
		return -ENOMEM;
	for (size_t i = 0; i < LX_ARRAY_SIZE(meta_keys); i++) {
		const char *v = json_string_value(
		    json_object_get(annotations, meta_keys[i].annotation));

		/* Longer than any Kubernetes name: not one; not recorded. */
		if (!v || !*v || strlen(v) >= LX_META_MAX)
			continue;
		json_object_set_new(j, meta_keys[i].member, json_string(v));
		any = true;
	}
	if (!any)
		return 0;
	return lx_state_write_json(s, LX_STATE_META, j);
}

json_t *lx_resident_meta_json(const struct lx_resident *r)
{
	json_t *j = json_object();

	for (size_t i = 0; j && i < LX_ARRAY_SIZE(meta_keys); i++) {
		const char *v = (const char *)r + meta_keys[i].off;

		if (*v)
			json_object_set_new(j, meta_keys[i].member,
					    json_string(v));
	}
	return j;
}

json_t *lx_meta_read(const char *state_dir, const char *id)
{
	struct lx_resident r = {0};
	int fd = lx_state_dir_open(state_dir, id);

	if (fd >= 0) {
		read_meta(fd, &r);
		close(fd);
	}
	return lx_resident_meta_json(&r);
}

void lx_safe_text(const char *text, char *buf, size_t len)
{
	snprintf(buf, len, "%s", text);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void lx_meta_name(const json_t *meta, char *buf, size_t len)
{
	const char *ns =
	    json_string_value(json_object_get(meta, "pod_namespace"));
	const char *pod = json_string_value(json_object_get(meta, "pod_name"));
	const char *ctr =
	    json_string_value(json_object_get(meta, "container_name"));
	char tmp[3 * LX_META_MAX + 4];
	int off = 0;

	tmp[0] = '\0';
	if (pod)
		off = snprintf(tmp, sizeof(tmp), "%s%s%s", ns ? ns : "",
			       ns ? "/" : "", pod);
	if (ctr)
		snprintf(tmp + off, sizeof(tmp) - (size_t)off, "%s%s",
			 off ? "/" : "", ctr);
	lx_safe_text(tmp, buf, len);
}

void lx_age_text(long long ms, char *buf, size_t len)
{
	long long s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 60000)
		snprintf(buf, len, "%lld.%llds", s, (ms % 1000) / 100);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400,
			 (s % 86400) / 3600);
}

void lx_health_text(const json_t *health, char *buf, size_t len)
{
	const char *state = json_string_value(json_object_get(health, "state"));
	const json_t *next = json_object_get(health, "next_retry_ms");
	char age[32];

	if (!state)
		state = "unknown";
	if (!json_is_integer(next)) {
		snprintf(buf, len, "%s", state);
		return;
	}
	lx_age_text(json_integer_value(next), age, sizeof(age));
	snprintf(buf, len, "%s (retry in %s)", state, age);
}

void lx_last_pass_text(const json_t *health, char *buf, size_t len)
{
	const json_t *a = json_object_get(health, "last_pass_age_ms");
	const char *trigger =
	    json_string_value(json_object_get(health, "last_trigger"));
	char age[32] = "-";

	if (json_is_integer(a))
		lx_age_text(json_integer_value(a), age, sizeof(age));
	snprintf(
	    buf, len, "%lld (%s), %s ago, %lldus",
	    json_integer_value(json_object_get(health, "passes")),
	    trigger ? trigger : "-", age,
	    json_integer_value(json_object_get(health, "last_duration_us")));
}
