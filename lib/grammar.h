/* SPDX-License-Identifier: MIT */
/*
 * The string grammars of the desired document (SPEC.md): `DEV ADDR/PREFIX`
 * addresses, `ip route`-like routes, prefixes, and the error-message helpers
 * every parser of tenant input shares. Used by lib/desired.c; the public
 * entry points (lx_addr_parse, lx_route_parse, lx_prefix_parse,
 * lx_ifname_valid) are at the end.
 * Every problem is one line in err naming the field and the value.
 */
#ifndef LX_GRAMMAR_H
#define LX_GRAMMAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

#define LX_ITEM_MAX	  1024 /* bytes in one string-form item */
#define LX_ITEM_WORDS_MAX 32   /* words in one string-form item */

/* A printable, escaped, bounded rendering of tenant text for messages. */
struct lx_qbuf {
	char s[160];
};

/* Quote s into q (escaped, truncated with "..."); returns q->s. */
const char *lx_text_quote(struct lx_qbuf *q, const char *s);
/* A JSON value as a message fragment ("\"x\"", 12, true, an object). */
const char *lx_jrepr(struct lx_qbuf *q, const json_t *v);
/* f = base.key (bounded; base ": " key when base names a compact
 * annotation item, i.e. ends with its quoted text); returns f. */
const char *lx_field_join(char *f, size_t n, const char *base, const char *key);
/* Append one LX_ERR_INVALID line to err; returns -EINVAL. Parsers decide
 * validity from these returns, never from err: hence LX_WUR. */
LX_PRINTF(2, 3) LX_WUR int lx_bad(struct lx_error *err, const char *fmt, ...);
/* "FIELD: expected WANT, got VALUE"; returns -EINVAL. */
int lx_bad_type(struct lx_error *err, const char *field, const char *want,
		const json_t *v) LX_WUR;
/* "FIELD: invalid interface name NAME: REASON" (lx_ifname_problem);
 * returns -EINVAL. */
int lx_bad_ifname(struct lx_error *err, const char *field,
		  const char *name) LX_WUR;
/* Strict unsigned decimal: digits only, no sign, no spaces, no overflow. */
bool lx_parse_u64(const char *s, uint64_t *out);

/* Split an item into whitespace-separated words (in w->buf). */
struct lx_words {
	char buf[LX_ITEM_MAX + 1];
	char *w[LX_ITEM_WORDS_MAX];
	size_t n;
};

int lx_split_words(const char *s, struct lx_words *w, const char *field,
		   struct lx_error *err);

/* The members of an address or route, as strings, from either form. */
struct lx_addr_in {
	const char *dev, *address, *peer, *scope, *brd;
	bool nodad, noprefixroute;
};

int lx_addr_build(const struct lx_addr_in *in, struct lx_addr *a,
		  const char *field, struct lx_error *err);
/* A route in the object form (lib/grammar_route.c); nexthops allocated
 * as lx_route_parse's. */
int lx_route_from_json(const json_t *v, struct lx_route *r, const char *field,
		       struct lx_error *err);

/* Links (lib/link_grammar.c): the object or compact form (a string) of one
 * network.links entry into *l; the canonical object back. */
int lx_link_from_json(const json_t *o, struct lx_link *l, const char *field,
		      struct lx_error *err);
json_t *lx_link_to_json(const struct lx_link *l);
/* "02:42:0a:00:00:02": exactly six hex octets. */
bool lx_mac_parse(const char *s, uint8_t mac[6]);
const char *lx_mac_format(const uint8_t mac[6], char buf[18]);

/* Words after the first ones: KEY VALUE pairs or flags. */
struct lx_kw {
	const char *name;
	const char **val; /* NULL for a flag */
	bool *flag;
};

/* Match w[0..n) against kws: values into *val, flags into *flag; the first
 * unknown or repeated word is one error line naming it. */
int lx_parse_keywords(char **w, size_t n, struct lx_kw *kws, size_t nkw,
		      const char *field, const char *item,
		      struct lx_error *err);

/* ------------------------------------------- public entry points */

/* "DEV ADDR/PREFIX [peer ADDR] [broadcast|brd ADDR|+|-] [scope S] [nodad]
 * [noprefixroute]" (prefix optional: /32 or
 * /128). field names the place for the error message. The string parsers
 * append one line per problem to err (lx_error_add) and return -EINVAL. */
int lx_addr_parse(const char *s, struct lx_addr *a, const char *field,
		  struct lx_error *err) LX_WUR;

/* `[TYPE] DST [via [inet6] GW] [dev DEV] [onlink] [metric N] [table ID]
 *  [src ADDR] [scope S] [pref P] [mtu [lock] N] [advmss N] [initcwnd N]
 *  [initrwnd N] [quickack 0|1] [congctl [lock] NAME]
 *  [nexthop via GW [dev DEV] [weight N] [onlink]]...` (SPEC.md;
 *  lib/grammar_route.c, as the two below). On success a multipath
 *  route's nexthops are allocated (lx_route_fini); on failure nothing
 *  is. */
int lx_route_parse(const char *s, struct lx_route *r, const char *field,
		   struct lx_error *err) LX_WUR;

/* The common routes alone (`DST [via GW] [dev DEV] [metric N] [table T]
 * [onlink]`), from len bytes at s (need not be NUL-terminated): true
 * with *r as lx_route_parse would make it; false when it declines (any
 * other form, any error: lx_route_parse decides), *r undefined. */
bool lx_route_parse_fast(const char *s, size_t len, struct lx_route *r);
/* lx_route_parse without that fast path: every route word by word (for
 * the tests and the differential fuzzer). */
int lx_route_parse_words(const char *s, struct lx_route *r, const char *field,
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

/* Interface-name validation: what the kernel stores verbatim (SPEC.md
 * "Policy"): 1..15 bytes, no '%' (a template the kernel expands), '/', ':',
 * whitespace or control characters, not "." or "..". lx_ifname_problem
 * returns the reason a name is refused (a static string), NULL if valid. */
bool lx_ifname_valid(const char *s);
const char *lx_ifname_problem(const char *s);

/* The value of one hex digit, either case; -1 for any other byte. */
static inline int lx_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
