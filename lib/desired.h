/* SPDX-License-Identifier: MIT */
/*
 * The desired-state document (SPEC.md "Desired-state document"): parsing from
 * JSON, the string grammars of addresses and routes, and the canonical JSON
 * form written back into state.json. Every error names the field and the
 * value; unknown members are errors. Parsing never touches the system.
 */
#ifndef LX_DESIRED_H
#define LX_DESIRED_H

#include <jansson.h>

#include "error.h"
#include "model.h"

/*
 * Parse a whole document. On error, returns -EINVAL with err->kind =
 * LX_ERR_INVALID and one line per problem (all problems found, not just the
 * first), e.g.
 *   network.addresses[1]: invalid address "10.0.0.300/24"
 * d is left empty on error.
 */
int lx_desired_from_json(const json_t *doc, struct lx_desired *d,
			 struct lx_error *err) LX_WUR;

/* Same, from text (a file's contents or stdin). */
int lx_desired_from_string(const char *text, size_t len, struct lx_desired *d,
			   struct lx_error *err) LX_WUR;

/* Read FILE ("-" = stdin, at most 16 MiB) and parse. Missing file:
 * LX_ERR_NOTFOUND? no: LX_ERR_INVALID naming the path. */
int lx_desired_from_file(const char *path, struct lx_desired *d,
			 struct lx_error *err) LX_WUR;

/* Canonical document (objects for links/addresses/routes). New reference. */
json_t *lx_desired_to_json(const struct lx_desired *d);

/* "DEV ADDR/PREFIX" (prefix optional: /32 or /128). field names the place
 * for the error message. */
int lx_addr_parse(const char *s, struct lx_addr *a, const char *field,
		  struct lx_error *err) LX_WUR;

/* `DST [via GW] [dev DEV] [metric N] [table N] [src ADDR]
 *  [scope link|host|global] [mtu N]` */
int lx_route_parse(const char *s, struct lx_route *r, const char *field,
		   struct lx_error *err) LX_WUR;

/* "10.0.0.0/8", "fd00::1" (bare = host prefix); family 0 = any. */
int lx_prefix_parse(const char *s, int family, union lx_inaddr *a,
		    uint8_t *len, uint8_t *fam_out);

/*
 * Formatting, the inverse of the grammars above (round-trips through parse):
 *   addr:  "eth0 10.0.0.2/24" (+ " peer P" " scope S" " nodad")
 *   route: "10.1.0.0/16 via 10.0.0.254 dev eth0 metric 100" ("default" for
 *          /0; table/src/scope/mtu only when set; " proto N" when with_proto)
 *   link:  "eth0 veth peer lxh-web42 master lxbr0 mtu 1500 up" (compact form)
 * Return buf.
 */
const char *lx_addr_format(const struct lx_addr *a, char *buf, size_t len);
const char *lx_route_format(const struct lx_route *r, bool with_proto,
			    char *buf, size_t len);
const char *lx_link_format(const struct lx_link *l, char *buf, size_t len);
/* Address alone: "10.0.0.2" / "fd00::2". */
const char *lx_inaddr_format(int family, const union lx_inaddr *a, char *buf,
			     size_t len);

/* Interface-name validation (1..15 chars, no '/', no whitespace, not "." or ".."). */
bool lx_ifname_valid(const char *s);

#endif
