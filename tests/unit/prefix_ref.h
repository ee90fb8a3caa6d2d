/* SPDX-License-Identifier: MIT */
/*
 * What lx_prefix_parse answered before its IPv4 fast path: inet_pton on
 * the text before the slash, then 1..3 digits of at most the family's
 * bits (family 0: either). The reference of tests/unit/test_grammar_fast.c
 * and tests/fuzz/fuzz_grammar.c.
 */
#ifndef LX_TEST_PREFIX_REF_H
#define LX_TEST_PREFIX_REF_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static inline int reference_prefix(const char *s, int family,
				   union lx_inaddr *a, uint8_t *len,
				   uint8_t *fam)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s), k;
	unsigned long l;
	int f;

	memset(a, 0, sizeof(*a));
	if (n == 0 || n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, &a->v4) == 1)
		f = AF_INET;
	else if (inet_pton(AF_INET6, ip, &a->v6) == 1)
		f = AF_INET6;
	else
		return -EINVAL;
	if (family && family != f)
		return -EAFNOSUPPORT;
	l = f == AF_INET ? 32 : 128;
	if (slash) {
		k = strlen(slash + 1);
		if (!k || k > 3 || strspn(slash + 1, "0123456789") != k)
			return -ERANGE;
		l = strtoul(slash + 1, NULL, 10);
		if (l > (f == AF_INET ? 32u : 128u))
			return -ERANGE;
	}
	*len = (uint8_t)l;
	*fam = (uint8_t)f;
	return 0;
}

#endif
