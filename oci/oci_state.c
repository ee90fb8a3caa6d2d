/* SPDX-License-Identifier: MIT */
/*
 * OCI runtime state parsing. The state comes from the runtime on the hook's
 * stdin and names the bundle whose config.json may hold the annotations;
 * it is validated as strictly as the runtimes allow (runc, crun and podman
 * differ in status, "root" and whether "pid" is present).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_cleanup.h"
#include "oci_state.h"

static const char *quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s && o + 8 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

bool lx_oci_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > LX_OCI_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

void lx_oci_state_free(struct lx_oci_state *st)
{
	if (!st)
		return;
	free(st->oci_version);
	free(st->id);
	free(st->status);
	free(st->bundle);
	free(st->root);
	if (st->annotations)
		json_decref(st->annotations);
	memset(st, 0, sizeof(*st));
}

/* A string member: NULL when absent or wrong-typed (error added then). */
/* The string member key into *out (NULL when absent): 0, or -EINVAL with
 * one line in err (missing while required, or not a string). */
static int str_member(const json_t *o, const char *key, bool required,
		      const char **out, struct lx_error *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v)
		return required ? lx_error_add(err, LX_ERR_INVALID, 0,
					       "OCI state: %s: missing", key)
				: 0;
	if (!json_is_string(v))
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "OCI state: %s: expected a string, got %s",
				    key, type_name(v));
	*out = json_string_value(v);
	return 0;
}

/* Check that an annotations object holds only strings. */
static int check_annotations(const json_t *a, const char *where,
			     struct lx_error *err)
{
	const char *key;
	json_t *v;
	char q[256];
	int r = 0;

	if (!json_is_object(a))
		return lx_error_add(
		    err, LX_ERR_INVALID, 0,
		    "%s: annotations: expected an object, got %s", where,
		    type_name(a));
	json_object_foreach((json_t *)a, key, v) if (!json_is_string(v)) r =
	    lx_error_add(err, LX_ERR_INVALID, 0,
			 "%s: annotations.%s: expected a string, got %s", where,
			 quote(q, sizeof(q), key), type_name(v));
	return r;
}

static int dup_into(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

int lx_oci_state_parse(const char *buf, size_t len, struct lx_oci_state *st,
		       struct lx_error *err)
{
	static const char *const statuses[] = {"creating", "created", "running",
					       "stopped"};
	_cleanup_json_ json_t *j = NULL;
	const char *version, *id, *status, *bundle, *root;
	struct lx_error local;
	int invalid = 0;
	json_error_t je;
	json_t *v;
	char q[256];
	bool ok;

	memset(st, 0, sizeof(*st));
	if (len > LX_OCI_STATE_MAX)
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "OCI state: larger than %u bytes",
				    LX_OCI_STATE_MAX);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return lx_error_add(
		    err, LX_ERR_INVALID, 0,
		    "OCI state: invalid JSON at line %d column %d: %s", je.line,
		    je.column, je.text);
	if (!json_is_object(j))
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "OCI state: expected an object, got %s",
				    type_name(j));

	lx_error_clear(&local);
	invalid |= str_member(j, "ociVersion", false, &version, &local);
	invalid |= str_member(j, "id", true, &id, &local);
	invalid |= str_member(j, "status", true, &status, &local);
	invalid |= str_member(j, "bundle", true, &bundle, &local);
	invalid |= str_member(j, "root", false, &root, &local);
	if (id && !lx_oci_id_valid(id))
		invalid = lx_error_add(&local, LX_ERR_INVALID, 0,
				       "OCI state: id: invalid container id %s "
				       "([A-Za-z0-9][A-Za-z0-9_.-]{0,127})",
				       quote(q, sizeof(q), id));
	if (status) {
		ok = false;
		for (size_t i = 0; i < LX_ARRAY_SIZE(statuses); i++)
			ok |= !strcmp(status, statuses[i]);
		if (!ok)
			invalid =
			    lx_error_add(&local, LX_ERR_INVALID, 0,
					 "OCI state: status: unknown status %s "
					 "(creating|created|running|stopped)",
					 quote(q, sizeof(q), status));
	}
	if (bundle && (bundle[0] != '/' || strlen(bundle) >= PATH_MAX))
		invalid =
		    lx_error_add(&local, LX_ERR_INVALID, 0,
				 "OCI state: bundle: not an absolute path: %s",
				 quote(q, sizeof(q), bundle));
	v = json_object_get(j, "pid");
	if (v && !json_is_integer(v))
		invalid =
		    lx_error_add(&local, LX_ERR_INVALID, 0,
				 "OCI state: pid: expected an integer, got %s",
				 type_name(v));
	else if (v && (json_integer_value(v) <= 0 ||
		       json_integer_value(v) > INT_MAX))
		invalid = lx_error_add(&local, LX_ERR_INVALID, 0,
				       "OCI state: pid: %" JSON_INTEGER_FORMAT
				       " is not a valid pid",
				       json_integer_value(v));
	else if (v)
		st->pid = (pid_t)json_integer_value(v);
	v = json_object_get(j, "annotations");
	if (v)
		invalid |= check_annotations(v, "OCI state", &local);

	if (invalid) {
		const char *line = local.msg;

		while (line && *line) {
			const char *nl = strchr(line, '\n');
			int n = nl ? (int)(nl - line) : (int)strlen(line);

			lx_error_add(err, LX_ERR_INVALID, 0, "%.*s", n, line);
			line = nl ? nl + 1 : NULL;
		}
		memset(st, 0, sizeof(*st));
		return -EINVAL;
	}
	st->annotations = v ? json_incref(v) : json_object();
	if (!st->annotations || dup_into(&st->oci_version, version) < 0 ||
	    dup_into(&st->id, id) < 0 || dup_into(&st->status, status) < 0 ||
	    dup_into(&st->bundle, bundle) < 0 ||
	    dup_into(&st->root, root) < 0) {
		lx_oci_state_free(st);
		return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "OCI state");
	}
	return 0;
}

/* Read a regular file under dirfd without following a final symlink. */
static int read_bounded(int dirfd, const char *name, size_t max, char **out,
			size_t *outlen)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat sb;
	size_t len = 0;

	fd = openat(dirfd, name,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EBADF;
	if ((uint64_t)sb.st_size > max)
		return -EFBIG;
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		return -ENOMEM;
	/* Read to EOF but never past the bound, even if the file grows. */
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)sb.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)sb.st_size)
			return -EFBIG;
	}
	*out = TAKE_PTR(buf);
	*outlen = len;
	return 0;
}

int lx_oci_bundle_annotations(const struct lx_oci_state *st, json_t **out,
			      struct lx_error *err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *cfg = NULL;
	json_error_t je;
	json_t *a;
	size_t len = 0;
	int r;

	*out = NULL;
	if (st->annotations && json_object_size(st->annotations) > 0) {
		*out = json_incref(st->annotations);
		return 0;
	}
	if (!st->bundle)
		goto empty;
	dirfd = open(st->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 && (errno == ENOENT || errno == ENOTDIR))
		goto empty;
	if (dirfd < 0)
		return lx_error_add(err, LX_ERR_SYSTEM, errno, "bundle %s",
				    st->bundle);
	r = read_bounded(dirfd, "config.json", LX_OCI_CONFIG_MAX, &buf, &len);
	if (r == -ENOENT)
		goto empty;
	if (r == -ELOOP || r == -EFBIG || r == -EBADF)
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "%s/config.json: %s", st->bundle,
				    r == -ELOOP	  ? "is a symbolic link"
				    : r == -EFBIG ? "too large"
						  : "not a regular file");
	if (r < 0)
		return lx_error_add(err, LX_ERR_SYSTEM, r, "%s/config.json",
				    st->bundle);
	cfg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!cfg)
		return lx_error_add(
		    err, LX_ERR_INVALID, 0,
		    "%s/config.json: invalid JSON at line %d column %d: %s",
		    st->bundle, je.line, je.column, je.text);
	a = json_is_object(cfg) ? json_object_get(cfg, "annotations") : NULL;
	if (a) {
		char where[PATH_MAX + 16];

		snprintf(where, sizeof(where), "%s/config.json", st->bundle);
		if (check_annotations(a, where, err) < 0)
			return -EINVAL;
		*out = json_incref(a);
		return 0;
	}
empty:
	*out = json_object();
	if (!*out)
		return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "annotations");
	return 0;
}
