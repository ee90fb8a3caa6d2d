/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: the address, route, rule, neighbour and link (compact)
 * string grammars and prefixes. The first byte picks the parser. Accepted input
 * must format and re-parse to the same value; what the route fast path
 * takes, the word-by-word route parser builds the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "format.h"
#include "grammar.h"
#include "../unit/prefix_ref.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lx_error err;
	char *s, buf[1024];

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	lx_error_clear(&err);
	switch (data[0] % 6) {
	case 0: {
		struct lx_addr a, b;

		if (lx_addr_parse(s, &a, "a", &err) == 0) {
			lx_addr_format(&a, buf, sizeof(buf));
			if (lx_addr_parse(buf, &b, "a", &err) != 0 ||
			    memcmp(&a, &b, sizeof(a)))
				abort();
		} else if (!err.lines) {
			abort();
		}
		break;
	}
	case 1: {
		struct lx_route r, b;
		/* Differential: what the fast path takes (from the bytes
		 * after the selector, NULs and all), the words build alike. */
		bool fast = lx_route_parse_fast((const char *)data + 1,
						size - 1, &r);

		if (fast && (lx_route_parse_words(s, &b, "r", &err) != 0 ||
			     !lx_route_same(&r, &b) || r.n_nexthops))
			abort();
		if (fast)
			lx_route_fini(&b);
		if (lx_route_parse(s, &r, "r", &err) == 0) {
			lx_route_format(&r, false, buf, sizeof(buf));
			if (lx_route_parse(buf, &b, "r", &err) != 0 ||
			    !lx_route_same(&r, &b))
				abort();
			lx_route_fini(&r);
			lx_route_fini(&b);
		} else if (!err.lines) {
			abort();
		}
		break;
	}
	case 3: {
		struct lx_rule r, b;

		if (lx_rule_parse(s, &r, "u", &err) == 0) {
			lx_rule_format(&r, false, buf, sizeof(buf));
			if (lx_rule_parse(buf, &b, "u", &err) != 0 ||
			    memcmp(&r, &b, sizeof(r)))
				abort();
		} else if (!err.lines) {
			abort();
		}
		break;
	}
	case 4: {
		struct lx_neigh n, b;

		if (lx_neigh_parse(s, &n, "n", &err) == 0) {
			lx_neigh_format(&n, false, buf, sizeof(buf));
			if (lx_neigh_parse(buf, &b, "n", &err) != 0 ||
			    memcmp(&n, &b, sizeof(n)))
				abort();
		} else if (!err.lines) {
			abort();
		}
		break;
	}
	case 2: {
		union lx_inaddr a, b;
		uint8_t len = 0, fam = 0, lb = 0, fb = 0;
		int r = lx_prefix_parse(s, 0, &a, &len, &fam);

		if (r == 0 &&
		    ((fam == AF_INET && len > 32) || len > 128 ||
		     (fam != AF_INET && fam != AF_INET6)))
			abort();
		/* The IPv4 fast path answers as inet_pton would. */
		if (r != reference_prefix(s, 0, &b, &lb, &fb) ||
		    (r == 0 && (memcmp(&a, &b, sizeof(a)) || len != lb ||
				fam != fb)))
			abort();
		break;
	}
	case 5: {
		/* What observe prints reads back as the same link. */
		struct lx_link l, b;
		json_t *j = json_string(s), *k;

		if (j && lx_link_from_json(j, &l, "l", &err) == 0) {
			lx_link_format(&l, buf, sizeof(buf));
			k = json_string(buf);
			if (!k || lx_link_from_json(k, &b, "l", &err) != 0 ||
			    memcmp(&l, &b, sizeof(l)))
				abort();
			json_decref(k);
		} else if (j && !err.lines) {
			abort();
		}
		json_decref(j);
		break;
	}
	}
	free(s);
	return 0;
}
