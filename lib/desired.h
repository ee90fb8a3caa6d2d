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

/* Read FILE ("-" = stdin, at most 16 MiB) and parse. A missing file is
 * LX_ERR_NOTFOUND naming the path; unreadable, too large or invalid JSON
 * (with line and column) is LX_ERR_INVALID. */
int lx_desired_from_file(const char *path, struct lx_desired *d,
			 struct lx_error *err) LX_WUR;

/* Canonical document: links as objects, addresses and routes as strings
 * (lx_addr_format / lx_route_format), every option spelled out; parses back
 * to an equal struct. New reference, NULL on allocation failure. */
json_t *lx_desired_to_json(const struct lx_desired *d);

/* "DEV ADDR/PREFIX [peer ADDR] [scope S] [nodad]" (prefix optional: /32 or
 * /128). field names the place for the error message. The string parsers
 * append one line per problem to err (lx_error_add) and return -EINVAL. */
int lx_addr_parse(const char *s, struct lx_addr *a, const char *field,
		  struct lx_error *err) LX_WUR;

/* `[TYPE] DST [via [inet6] GW] [dev DEV] [onlink] [metric N] [table ID]
 *  [src ADDR] [scope S] [pref P] [mtu [lock] N] [advmss N] [initcwnd N]
 *  [initrwnd N] [quickack 0|1] [congctl [lock] NAME]
 *  [nexthop via GW [dev DEV] [weight N] [onlink]]...` (SPEC.md). */
int lx_route_parse(const char *s, struct lx_route *r, const char *field,
		   struct lx_error *err) LX_WUR;

/* `[-6] [not] [from P|all] [to P] [iif IF] [oif IF] [fwmark N[/M]]
 *  [ipproto P] [sport N[-M]] [dport N[-M]] [tos N] [priority N]
 *  (table ID|lookup ID|blackhole|unreachable|prohibit)` */
int lx_rule_parse(const char *s, struct lx_rule *r, const char *field,
		  struct lx_error *err) LX_WUR;

/* `ADDR lladdr MAC dev DEV [nud permanent|noarp]` */
int lx_neigh_parse(const char *s, struct lx_neigh *n, const char *field,
		   struct lx_error *err) LX_WUR;

/* "10.0.0.0/8", "fd00::1" (bare = host prefix); family 0 = any. Returns 0,
 * -EINVAL (not an address), -ERANGE (bad prefix length) or -EAFNOSUPPORT
 * (not of the requested family). Host bits are not checked here. */
int lx_prefix_parse(const char *s, int family, union lx_inaddr *a, uint8_t *len,
		    uint8_t *fam_out);

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
/*
 * An observed route as ip(8) shows it: kernel defaults left out (scope
 * global, table main, IPv6 metric 1024 and pref medium), table and scope
 * by name, the protocol by name ("proto kernel"; for information, a
 * document may not use it). Rules and neighbours: the grammar's words;
 * with_proto adds " proto N".
 */
const char *lx_route_format_ip(const struct lx_route *r, char *buf,
			       size_t len);
const char *lx_rule_format(const struct lx_rule *r, bool with_proto,
			   char *buf, size_t len);
const char *lx_neigh_format(const struct lx_neigh *n, bool with_proto,
			    char *buf, size_t len);
/* "kernel", "boot", "static", ... or NULL. */
const char *lx_proto_name(uint8_t protocol);
/* "tcp", "udp", ... or NULL. */
const char *lx_ipproto_name(uint8_t p);
const char *lx_link_format(const struct lx_link *l, char *buf, size_t len);
/* Address alone: "10.0.0.2" / "fd00::2". */
const char *lx_inaddr_format(int family, const union lx_inaddr *a, char *buf,
			     size_t len);

/* Interface-name validation as the kernel's dev_valid_name (1..15 chars, no
 * '/', ':' or whitespace, not "." or ".."), plus no control characters. */
bool lx_ifname_valid(const char *s);

#endif
