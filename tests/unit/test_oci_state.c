/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_state.h"

static int parse(const char *s, struct lx_oci_state *st, struct lx_error *e)
{
	lx_error_clear(e);
	return lx_oci_state_parse(s, strlen(s), st, e);
}

static void expect_invalid(const char *s, const char *want)
{
	struct lx_oci_state st;
	struct lx_error e;

	cr_assert_eq(parse(s, &st, &e), -EINVAL, "accepted: %s", s);
	cr_assert_eq(e.kind, LX_ERR_INVALID);
	cr_assert_null(st.id);
	cr_assert(strstr(e.msg, want), "%s\n  message: %s\n  lacks: %s", s,
		  e.msg, want);
}

Test(oci_state, runc_creating_state)
{
	struct lx_oci_state st;
	struct lx_error e;

	cr_assert_eq(parse("{\"ociVersion\":\"1.0.2-dev\",\"id\":\"web-42\","
			   "\"status\":\"creating\",\"pid\":4242,"
			   "\"bundle\":\"/run/containers/web-42\","
			   "\"annotations\":{\"io.linx.routes\":\"default via "
			   "10.0.0.1\"}}",
			   &st, &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(st.id, "web-42");
	cr_assert_str_eq(st.status, "creating");
	cr_assert_eq(st.pid, 4242);
	cr_assert_str_eq(st.bundle, "/run/containers/web-42");
	cr_assert_str_eq(st.oci_version, "1.0.2-dev");
	cr_assert_null(st.root);
	cr_assert_str_eq(json_string_value(
			     json_object_get(st.annotations, "io.linx.routes")),
			 "default via 10.0.0.1");
	lx_oci_state_free(&st);
	cr_assert_null(st.id);
}

Test(oci_state, crun_created_state_with_root)
{
	struct lx_oci_state st;
	struct lx_error e;

	cr_assert_eq(
	    parse("{\"ociVersion\":\"1.0.0\",\"id\":\"c1\",\"pid\":7,"
		  "\"root\":\"/run/crun\",\"bundle\":\"/b\","
		  "\"status\":\"created\",\"created\":\"2024-01-01T00:00:00Z\","
		  "\"owner\":\"\"}",
		  &st, &e),
	    0, "%s", e.msg);
	cr_assert_str_eq(st.status, "created");
	cr_assert_str_eq(st.root, "/run/crun");
	cr_assert_eq(json_object_size(st.annotations), 0,
		     "absent annotations are an empty object");
	lx_oci_state_free(&st);
}

Test(oci_state, podman_poststop_state_without_pid)
{
	struct lx_oci_state st;
	struct lx_error e;

	cr_assert_eq(parse("{\"ociVersion\":\"1.0.0\",\"id\":\"abc123\","
			   "\"status\":\"stopped\",\"bundle\":\"/var/lib/b\","
			   "\"annotations\":{}}",
			   &st, &e),
		     0, "%s", e.msg);
	cr_assert_eq(st.pid, 0);
	cr_assert_str_eq(st.status, "stopped");
	lx_oci_state_free(&st);
}

Test(oci_state, truncated_state_is_invalid_json)
{
	expect_invalid("{\"ociVersion\":\"1.0.0\",\"id\":\"c1\",\"st",
		       "OCI state: invalid JSON");
}

Test(oci_state, huge_state_is_refused)
{
	size_t n = LX_OCI_STATE_MAX + 1;
	char *big = malloc(n);
	struct lx_oci_state st;
	struct lx_error e;

	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	lx_error_clear(&e);
	cr_assert_eq(lx_oci_state_parse(big, n, &st, &e), -EINVAL);
	cr_assert(strstr(e.msg, "larger than 1048576 bytes"), "%s", e.msg);
	/* The same document at the limit is fine apart from its content. */
	lx_error_clear(&e);
	cr_assert_eq(lx_oci_state_parse(big, n - 1, &st, &e), -EINVAL);
	cr_assert(strstr(e.msg, "invalid JSON"), "%s", e.msg);
	free(big);
}

Test(oci_state, pid_of_wrong_type)
{
	expect_invalid("{\"id\":\"c\",\"status\":\"created\",\"bundle\":\"/b\","
		       "\"pid\":\"42\"}",
		       "OCI state: pid: expected an integer, got a string");
}

Test(oci_state, pid_zero_or_negative)
{
	expect_invalid("{\"id\":\"c\",\"status\":\"created\",\"bundle\":\"/b\","
		       "\"pid\":0}",
		       "OCI state: pid: 0 is not a valid pid");
	expect_invalid("{\"id\":\"c\",\"status\":\"created\",\"bundle\":\"/b\","
		       "\"pid\":-5}",
		       "OCI state: pid: -5 is not a valid pid");
	expect_invalid("{\"id\":\"c\",\"status\":\"created\",\"bundle\":\"/b\","
		       "\"pid\":4294967297}",
		       "is not a valid pid");
}

Test(oci_state, id_is_validated)
{
	expect_invalid(
	    "{\"id\":\"../etc\",\"status\":\"created\",\"bundle\":\"/b\"}",
	    "OCI state: id: invalid container id \"../etc\"");
	expect_invalid("{\"id\":\"\",\"status\":\"created\",\"bundle\":\"/b\"}",
		       "invalid container id \"\"");
	expect_invalid("{\"status\":\"created\",\"bundle\":\"/b\"}",
		       "OCI state: id: missing");
	cr_assert(lx_oci_id_valid("a"));
	cr_assert(lx_oci_id_valid("A0_.-x"));
	cr_assert(!lx_oci_id_valid("-a"));
	cr_assert(!lx_oci_id_valid("a/b"));
	char id[130];
	memset(id, 'a', 129);
	id[128] = '\0';
	cr_assert(lx_oci_id_valid(id));
	id[128] = 'a';
	id[129] = '\0';
	cr_assert(!lx_oci_id_valid(id));
}

Test(oci_state, unknown_status)
{
	expect_invalid("{\"id\":\"c\",\"status\":\"paused\",\"bundle\":\"/b\"}",
		       "OCI state: status: unknown status \"paused\"");
}

Test(oci_state, relative_bundle)
{
	expect_invalid("{\"id\":\"c\",\"status\":\"created\",\"bundle\":\"b\"}",
		       "OCI state: bundle: not an absolute path: \"b\"");
}

Test(oci_state, annotations_must_be_strings)
{
	expect_invalid(
	    "{\"id\":\"c\",\"status\":\"created\",\"bundle\":\"/b\","
	    "\"annotations\":{\"io.linx.options\":{\"monitor\":false}}}",
	    "OCI state: annotations.\"io.linx.options\": expected a string, "
	    "got an object");
	expect_invalid(
	    "{\"id\":\"c\",\"status\":\"created\",\"bundle\":\"/b\","
	    "\"annotations\":[]}",
	    "OCI state: annotations: expected an object, got an array");
}

Test(oci_state, state_must_be_an_object)
{
	expect_invalid("[]", "OCI state: expected an object, got an array");
	expect_invalid("", "OCI state: invalid JSON");
}

Test(oci_state, all_problems_reported)
{
	struct lx_oci_state st;
	struct lx_error e;

	cr_assert_eq(parse("{\"id\":5,\"status\":\"x\",\"bundle\":\"rel\","
			   "\"pid\":-1}",
			   &st, &e),
		     -EINVAL);
	cr_assert_eq(e.lines, 4, "%s", e.msg);
}

/* ------------------------------------------------ bundle config.json */

static char *make_bundle(const char *config)
{
	char *dir = strdup("/tmp/lx-bundle-XXXXXX");
	char path[256];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	if (config) {
		snprintf(path, sizeof(path), "%s/config.json", dir);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(config, f);
		fclose(f);
	}
	return dir;
}

static void rm_bundle(char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/config.json", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
}

Test(oci_bundle, state_annotations_win)
{
	struct lx_oci_state st = {0};
	struct lx_error e;
	json_t *a = NULL;

	st.bundle = "/nonexistent";
	st.annotations = json_pack("{s:s}", "io.linx.routes", "default");
	lx_error_clear(&e);
	cr_assert_eq(lx_oci_bundle_annotations(&st, &a, &e), 0);
	cr_assert_eq(a, st.annotations);
	json_decref(a);
	json_decref(st.annotations);
}

Test(oci_bundle, annotations_read_from_config_json)
{
	char *dir =
	    make_bundle("{\"ociVersion\":\"1.0.0\",\"annotations\":"
			"{\"io.linx.addresses\":\"eth0 10.0.0.2/24\"}}");
	struct lx_oci_state st = {0};
	struct lx_error e;
	json_t *a = NULL;

	st.bundle = dir;
	st.annotations = json_object();
	lx_error_clear(&e);
	cr_assert_eq(lx_oci_bundle_annotations(&st, &a, &e), 0, "%s", e.msg);
	cr_assert_str_eq(
	    json_string_value(json_object_get(a, "io.linx.addresses")),
	    "eth0 10.0.0.2/24");
	json_decref(a);
	json_decref(st.annotations);
	rm_bundle(dir);
}

Test(oci_bundle, missing_config_json_means_no_annotations)
{
	char *dir = make_bundle(NULL);
	struct lx_oci_state st = {0};
	struct lx_error e;
	json_t *a = NULL;

	st.bundle = dir;
	lx_error_clear(&e);
	cr_assert_eq(lx_oci_bundle_annotations(&st, &a, &e), 0, "%s", e.msg);
	cr_assert_eq(json_object_size(a), 0);
	json_decref(a);
	rm_bundle(dir);
}

Test(oci_bundle, symlinked_config_json_is_refused)
{
	char *dir = make_bundle(NULL);
	char target[] = "/tmp/lx-target-XXXXXX", link[256];
	int fd = mkstemp(target);
	struct lx_oci_state st = {0};
	struct lx_error e;
	json_t *a = NULL;

	cr_assert_geq(fd, 0);
	cr_assert_eq(
	    write(fd, "{\"annotations\":{\"io.linx.routes\":\"x\"}}", 38), 38);
	close(fd);
	snprintf(link, sizeof(link), "%s/config.json", dir);
	cr_assert_eq(symlink(target, link), 0);
	st.bundle = dir;
	lx_error_clear(&e);
	cr_assert_eq(lx_oci_bundle_annotations(&st, &a, &e), -EINVAL);
	cr_assert_null(a);
	cr_assert(strstr(e.msg, "symbolic link"), "%s", e.msg);
	unlink(target);
	rm_bundle(dir);
}

Test(oci_bundle, non_string_config_annotation_is_invalid)
{
	char *dir = make_bundle("{\"annotations\":{\"io.linx.links\":[1]}}");
	struct lx_oci_state st = {0};
	struct lx_error e;
	json_t *a = NULL;

	st.bundle = dir;
	lx_error_clear(&e);
	cr_assert_eq(lx_oci_bundle_annotations(&st, &a, &e), -EINVAL);
	cr_assert(strstr(e.msg, "config.json: annotations.\"io.linx.links\""),
		  "%s", e.msg);
	rm_bundle(dir);
}
