/* SPDX-License-Identifier: MIT */
/*
 * _cleanup_json_: a json_t * released with json_decref at the end of its
 * scope (initialise it where it is declared). Kept apart from cleanup.h so
 * that leaf headers need no third-party include.
 */
#ifndef LX_JSON_CLEANUP_H
#define LX_JSON_CLEANUP_H

#include <jansson.h>

#include "cleanup.h"

static inline void lx_json_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}

#define _cleanup_json_ _cleanup_(lx_json_decrefp)

#endif
