/* SPDX-License-Identifier: MIT */
/*
 * The model's objects as the document's string forms (lib/format.c): what
 * reports, state and `observe` print. Pure, over caller buffers.
 */
#ifndef LX_FORMAT_H
#define LX_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/*
 * Formatting, the inverse of the grammars above (round-trips through parse):
 *   addr:  "eth0 10.0.0.2/24" (+ " peer P" " scope S" " nodad" " noprefixroute")
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
 * with_proto adds " proto N" (by name when it has one).
 */
const char *lx_route_format_ip(const struct lx_route *r, char *buf, size_t len);
/* Whether the text of r (either form) is a JSON string as it is: all of it
 * is ours but the device and congctl names, which are checked. */
bool lx_route_text_plain(const struct lx_route *r);
const char *lx_rule_format(const struct lx_rule *r, bool with_proto, char *buf,
			   size_t len);
const char *lx_neigh_format(const struct lx_neigh *n, bool with_proto,
			    char *buf, size_t len);
/* "kernel", "boot", "static", ... or NULL. */
const char *lx_proto_name(uint8_t protocol);
/* "tcp", "udp", ... or NULL (lib/grammar_route.c). */
const char *lx_ipproto_name(uint8_t p);
const char *lx_link_format(const struct lx_link *l, char *buf, size_t len);
/* Address alone: "10.0.0.2" / "fd00::2". */
const char *lx_inaddr_format(int family, const union lx_inaddr *a, char *buf,
			     size_t len);

#endif
