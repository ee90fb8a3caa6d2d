/* SPDX-License-Identifier: MIT */
/*
 * io.linx.* annotations → desired state (SPEC.md "Annotations"). One
 * annotation per member of the document; each value is either JSON in the
 * document's shape for that member (when it starts with '[' or '{') or the
 * compact form: items separated by ';', e.g.
 *   io.linx.routes = "default via 10.0.0.1; 10.1.0.0/16 via 10.0.0.254"
 * The annotations are assembled into one document and validated by
 * lx_desired_from_json, so the rules live in one place; errors name the
 * annotation (and, for the compact form, the item).
 */
#ifndef LX_ANNOTATIONS_H
#define LX_ANNOTATIONS_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "model.h"

#define LX_ANNOTATION_PREFIX "io.linx."

/*
 * annotations: a JSON object of strings (the OCI state's or config.json's
 * "annotations"); NULL is treated as empty.
 * No io.linx.* key: *present = false, d is left empty with default options,
 * returns 0. Otherwise *present = true and d is filled, or on error
 * returns -EINVAL with one LX_ERR_INVALID line per problem across all the
 * annotations (d left empty). Unknown io.linx.* keys are errors.
 */
int lx_annotations_to_desired(const json_t *annotations, struct lx_desired *d,
			      bool *present, struct lx_error *err) LX_WUR;

#endif
