/* SPDX-License-Identifier: MIT */
/* Text forms of links, addresses and routes: the inverse of the grammars in
 * desired.c, used in reports, plans and last_applied. */
#include <arpa/inet.h>
#include <linux/icmpv6.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "format.h"
#include "jsonw.h"
#include "route.h"

struct sbuf {
	char *p;
	size_t len, off;
};

LX_PRINTF(2, 3) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->off >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n;
}

/*
 * The pieces every route and address is made of, without stdio: a
 * 10,000-route pass formats each route for its report and for state.json,
 * and vsnprintf plus inet_ntop (itself an sprintf per octet) were most of
 * that. Like sb_add, they truncate at the buffer's end and keep it
 * terminated; the common case (room to spare) is one bounds check and a
 * memcpy per piece.
 */
static inline __attribute__((always_inline)) void
sb_mem(struct sbuf *b, const char *s, size_t n)
{
	if (b->off >= b->len)
		return;
	if (n >= b->len - b->off)
		n = b->len - b->off - 1;
	memcpy(b->p + b->off, s, n);
	b->off += n;
	b->p[b->off] = '\0';
}

static inline __attribute__((always_inline)) void sb_str(struct sbuf *b,
							 const char *s)
{
	sb_mem(b, s, strlen(s));
}

/* v in decimal, ending at end (exclusive): the first digit's address. */
static char *put_u32(char *end, uint32_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10));
	return end;
}

static void sb_u32(struct sbuf *b, uint32_t v)
{
	char d[10], *p = put_u32(d + sizeof(d), v);

	sb_mem(b, p, (size_t)(d + sizeof(d) - p));
}

static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Every octet's decimal text in 3 bytes, NUL-padded, then its length: one
 * 4-byte copy (the length byte lands past the text, where the next piece
 * goes). */
static const char octet_text[256][4] = {
    "0\0\0\1", "1\0\0\1", "2\0\0\1", "3\0\0\1", "4\0\0\1", "5\0\0\1", "6\0\0\1", "7\0\0\1",
    "8\0\0\1", "9\0\0\1", "10\0\2", "11\0\2", "12\0\2", "13\0\2", "14\0\2", "15\0\2",
    "16\0\2", "17\0\2", "18\0\2", "19\0\2", "20\0\2", "21\0\2", "22\0\2", "23\0\2",
    "24\0\2", "25\0\2", "26\0\2", "27\0\2", "28\0\2", "29\0\2", "30\0\2", "31\0\2",
    "32\0\2", "33\0\2", "34\0\2", "35\0\2", "36\0\2", "37\0\2", "38\0\2", "39\0\2",
    "40\0\2", "41\0\2", "42\0\2", "43\0\2", "44\0\2", "45\0\2", "46\0\2", "47\0\2",
    "48\0\2", "49\0\2", "50\0\2", "51\0\2", "52\0\2", "53\0\2", "54\0\2", "55\0\2",
    "56\0\2", "57\0\2", "58\0\2", "59\0\2", "60\0\2", "61\0\2", "62\0\2", "63\0\2",
    "64\0\2", "65\0\2", "66\0\2", "67\0\2", "68\0\2", "69\0\2", "70\0\2", "71\0\2",
    "72\0\2", "73\0\2", "74\0\2", "75\0\2", "76\0\2", "77\0\2", "78\0\2", "79\0\2",
    "80\0\2", "81\0\2", "82\0\2", "83\0\2", "84\0\2", "85\0\2", "86\0\2", "87\0\2",
    "88\0\2", "89\0\2", "90\0\2", "91\0\2", "92\0\2", "93\0\2", "94\0\2", "95\0\2",
    "96\0\2", "97\0\2", "98\0\2", "99\0\2", "100\3", "101\3", "102\3", "103\3",
    "104\3", "105\3", "106\3", "107\3", "108\3", "109\3", "110\3", "111\3",
    "112\3", "113\3", "114\3", "115\3", "116\3", "117\3", "118\3", "119\3",
    "120\3", "121\3", "122\3", "123\3", "124\3", "125\3", "126\3", "127\3",
    "128\3", "129\3", "130\3", "131\3", "132\3", "133\3", "134\3", "135\3",
    "136\3", "137\3", "138\3", "139\3", "140\3", "141\3", "142\3", "143\3",
    "144\3", "145\3", "146\3", "147\3", "148\3", "149\3", "150\3", "151\3",
    "152\3", "153\3", "154\3", "155\3", "156\3", "157\3", "158\3", "159\3",
    "160\3", "161\3", "162\3", "163\3", "164\3", "165\3", "166\3", "167\3",
    "168\3", "169\3", "170\3", "171\3", "172\3", "173\3", "174\3", "175\3",
    "176\3", "177\3", "178\3", "179\3", "180\3", "181\3", "182\3", "183\3",
    "184\3", "185\3", "186\3", "187\3", "188\3", "189\3", "190\3", "191\3",
    "192\3", "193\3", "194\3", "195\3", "196\3", "197\3", "198\3", "199\3",
    "200\3", "201\3", "202\3", "203\3", "204\3", "205\3", "206\3", "207\3",
    "208\3", "209\3", "210\3", "211\3", "212\3", "213\3", "214\3", "215\3",
    "216\3", "217\3", "218\3", "219\3", "220\3", "221\3", "222\3", "223\3",
    "224\3", "225\3", "226\3", "227\3", "228\3", "229\3", "230\3", "231\3",
    "232\3", "233\3", "234\3", "235\3", "236\3", "237\3", "238\3", "239\3",
    "240\3", "241\3", "242\3", "243\3", "244\3", "245\3", "246\3", "247\3",
    "248\3", "249\3", "250\3", "251\3", "252\3", "253\3", "254\3", "255\3"};

/* One octet in decimal at p (4 bytes written): the end of its text. */
static inline char *put_octet(char *p, unsigned v)
{
	memcpy(p, octet_text[v], 4);
	return p + octet_text[v][3];
}

/* Dotted quad into out (at least 16 bytes: the last octet writes 4): its
 * length. */
static size_t ipv4_text(const uint8_t *o, char *out)
{
	char *p = put_octet(out, o[0]);

	*p++ = '.';
	p = put_octet(p, o[1]);
	*p++ = '.';
	p = put_octet(p, o[2]);
	*p++ = '.';
	p = put_octet(p, o[3]);
	return (size_t)(p - out);
}

/*
 * IPv6 as inet_ntop writes it (RFC 5952): lower-case hex groups without
 * leading zeros, the first longest run of two or more zero groups as "::".
 * Addresses inet_ntop writes with a dotted IPv4 tail (::a.b.c.d,
 * ::ffff:a.b.c.d) are left to it: 0, and out is untouched.
 */
static size_t ipv6_text(const uint8_t *a, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	char *p = out;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	if (best == 0 && (best_len == 6 || (best_len == 7 && w[7] != 1) ||
			  (best_len == 5 && w[5] == 0xffff)))
		return 0;
	for (int i = 0; i < 8; i++) {
		unsigned v = w[i];

		if (i == best) {
			*p++ = ':';
			if (i + best_len == 8)
				*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i)
			*p++ = ':';
		if (v >> 12)
			*p++ = hex[v >> 12];
		if (v >> 8)
			*p++ = hex[(v >> 8) & 15];
		if (v >> 4)
			*p++ = hex[(v >> 4) & 15];
		*p++ = hex[v & 15];
	}
	return (size_t)(p - out);
}

const char *lx_inaddr_format(int family, const union lx_inaddr *a, char *buf,
			     size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Written in place when the buffer has room for the longest form. */
static void sb_inaddr(struct sbuf *b, int family, const union lx_inaddr *a)
{
	char ip[INET6_ADDRSTRLEN];
	bool room = b->off < b->len && b->len - b->off > sizeof(ip);
	char *to = room ? b->p + b->off : ip;
	size_t n = 0;

	if (family == AF_INET)
		n = ipv4_text((const uint8_t *)a, to);
	else if (family == AF_INET6)
		n = ipv6_text((const uint8_t *)a, to);
	if (n && room) {
		b->off += n;
		b->p[b->off] = '\0';
	} else if (n) {
		sb_mem(b, ip, n);
	} else {
		sb_str(b, lx_inaddr_format(family, a, ip, sizeof(ip)));
	}
}

static const char *scope_name(int scope)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_NOWHERE:
		return "nowhere";
	}
	return NULL;
}

static void sb_scope(struct sbuf *b, int scope)
{
	const char *n = scope_name(scope);

	if (n) {
		sb_str(b, " scope ");
		sb_str(b, n);
	} else {
		sb_add(b, " scope %d", scope);
	}
}

const char *lx_addr_format(const struct lx_addr *a, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};

	buf[0] = '\0';
	sb_str(&b, a->dev);
	sb_str(&b, " ");
	sb_inaddr(&b, a->family, &a->addr);
	sb_str(&b, "/");
	sb_u32(&b, a->prefixlen);
	if (a->has_peer) {
		sb_str(&b, " peer ");
		sb_inaddr(&b, a->family, &a->peer);
	}
	if (a->has_brd) {
		union lx_inaddr brd = {.v4 = a->brd};

		sb_str(&b, " broadcast ");
		sb_inaddr(&b, AF_INET, &brd);
	}
	if (a->scope != LX_UNSET)
		sb_scope(&b, a->scope);
	if (a->nodad)
		sb_str(&b, " nodad");
	if (a->noprefixroute)
		sb_str(&b, " noprefixroute");
	return buf;
}

const char *lx_proto_name(uint8_t protocol)
{
	switch (protocol) {
	case RTPROT_UNSPEC:
		return "unspec";
	case RTPROT_REDIRECT:
		return "redirect";
	case RTPROT_KERNEL:
		return "kernel";
	case RTPROT_BOOT:
		return "boot";
	case RTPROT_STATIC:
		return "static";
	case RTPROT_RA:
		return "ra";
	case RTPROT_DHCP:
		return "dhcp";
	case RTPROT_BGP:
		return "bgp";
	case RTPROT_OSPF:
		return "ospf";
	case RTPROT_BIRD:
		return "bird";
	}
	return NULL;
}

/*
 * Routes are formatted at a cursor without bounds checks: a 10,000-route
 * pass formats every route twice (state.json, report.json), and a check
 * and a call per piece were most of the cost. The cursor writes into the
 * caller's buffer when it holds the longest text the route can make
 * (ROUTE_TEXT_MAX), else into a local one whose head is then copied out,
 * truncated as snprintf would.
 */
/* Everything but the nexthops, the NUL included: type 12, prefix 49, via
 * 56, dev 20, onlink 7, metric 18, table 17, proto 15, src 50, scope 17,
 * pref 12, mtu 20, advmss 18, initcwnd, initrwnd and quickack 20 each,
 * congctl 30: 402. */
#define ROUTE_TEXT_BASE 416
/* " nexthop" 8, via 56, dev 20, weight 13, onlink 7: 104 */
#define ROUTE_TEXT_NH 112
#define ROUTE_TEXT_MAX (ROUTE_TEXT_BASE + ROUTE_TEXT_NH * LX_NEXTHOPS_MAX)

static inline __attribute__((always_inline)) char *
put_mem(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define put_lit(p, s) put_mem(p, s, sizeof(s) - 1)

static inline char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_dec(char *p, uint32_t v)
{
	char *end = p + 1;

	if (v < 100) /* prefix lengths, protocols */
		return v < 10 ? (*p = (char)('0' + v), p + 1)
			      : (memcpy(p, digit_pairs + 2 * v, 2), p + 2);
	for (uint32_t t = v; t >= 10; t /= 10)
		end++;
	p = end;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	return end;
}

static char *put_inaddr(char *p, int family, const union lx_inaddr *a)
{
	size_t n = family == AF_INET    ? ipv4_text((const uint8_t *)a, p)
		   : family == AF_INET6 ? ipv6_text((const uint8_t *)a, p)
					: 0;

	if (n)
		return p + n;
	lx_inaddr_format(family, a, p, INET6_ADDRSTRLEN);
	return p + strlen(p);
}

static char *put_gw(char *p, const struct lx_route *r, uint8_t fam,
		    const union lx_inaddr *gw)
{
	if (fam && fam != r->family) {
		p = put_lit(p, " via inet6 ");
		return put_inaddr(p, fam, gw);
	}
	p = put_lit(p, " via ");
	return put_inaddr(p, r->family, gw);
}

static char *put_dev(char *p, const char *dev)
{
	p = put_lit(p, " dev ");
	return put_mem(p, dev, strnlen(dev, IFNAMSIZ));
}

static const char *pref_name(int pref)
{
	switch (pref) {
	case ICMPV6_ROUTER_PREF_LOW:
		return "low";
	case ICMPV6_ROUTER_PREF_MEDIUM:
		return "medium";
	case ICMPV6_ROUTER_PREF_HIGH:
		return "high";
	}
	return NULL;
}

static char *put_scope(char *p, int scope)
{
	const char *n = scope_name(scope);

	p = put_lit(p, " scope ");
	return n ? put_str(p, n) : put_dec(p, (uint32_t)scope);
}

/* The metrics and nexthops: the rarely set tail of a route. */
static char *put_route_tail(char *p, const struct lx_route *r)
{
	if (r->mtu) {
		p = r->locks & (1u << RTAX_MTU) ? put_lit(p, " mtu lock ")
						: put_lit(p, " mtu ");
		p = put_dec(p, r->mtu);
	}
	if (r->advmss)
		p = put_dec(put_lit(p, " advmss "), r->advmss);
	if (r->initcwnd)
		p = put_dec(put_lit(p, " initcwnd "), r->initcwnd);
	if (r->initrwnd)
		p = put_dec(put_lit(p, " initrwnd "), r->initrwnd);
	if (r->quickack)
		p = put_dec(put_lit(p, " quickack "), r->quickack);
	if (r->congctl[0]) {
		p = r->locks & (1u << RTAX_CC_ALGO) ? put_lit(p, " congctl lock ")
						    : put_lit(p, " congctl ");
		p = put_mem(p, r->congctl, strnlen(r->congctl, sizeof(r->congctl)));
	}
	for (size_t i = 0; i < r->n_nexthops && i < LX_NEXTHOPS_MAX; i++) {
		const struct lx_nexthop *nh = &r->nh[i];

		p = put_lit(p, " nexthop");
		p = put_gw(p, r, nh->gw_family, &nh->gw);
		if (nh->dev[0])
			p = put_dev(p, nh->dev);
		if (nh->weight)
			p = put_dec(put_lit(p, " weight "), nh->weight);
		if (nh->onlink)
			p = put_lit(p, " onlink");
	}
	return p;
}

/* ip_style: kernel defaults left out, names for tables and protocols.
 * Writes at most ROUTE_TEXT_BASE + ROUTE_TEXT_NH * n_nexthops bytes and the
 * NUL; returns the end. */
static char *put_route(char *p, const struct lx_route *r, bool with_proto,
		       bool ip_style)
{
	uint8_t inferred;

	if (r->type && r->type != RTN_UNICAST) {
		const char *t = lx_route_type_name(r->type);

		p = t ? put_str(p, t) : put_dec(put_lit(p, "type-"), r->type);
		*p++ = ' ';
	}
	/* "default" is read back as the family of the first gateway, else
	 * the source, else IPv4: spell the prefix out when that is wrong. */
	inferred = r->has_gw ? (r->gw_family ? r->gw_family : r->family)
		   : r->n_nexthops
		       ? (r->nh[0].gw_family ? r->nh[0].gw_family : r->family)
		   : r->has_src ? r->family
				: AF_INET;
	if (r->dst_len == 0 && (ip_style || inferred == r->family)) {
		p = put_lit(p, "default");
	} else if (r->dst_len == 0) {
		p = r->family == AF_INET6 ? put_lit(p, "::/0")
					  : put_lit(p, "0.0.0.0/0");
	} else {
		p = put_inaddr(p, r->family, &r->dst);
		*p++ = '/';
		p = put_dec(p, r->dst_len);
	}
	if (r->has_gw)
		p = put_gw(p, r, r->gw_family, &r->gw);
	if (r->dev[0])
		p = put_dev(p, r->dev);
	if (r->onlink)
		p = put_lit(p, " onlink");
	if (r->metric)
		p = put_dec(put_lit(p, " metric "), r->metric);
	/* Names for ip(8)'s eyes; the document's canonical form keeps the
	 * numbers (both parse). */
	if (r->table && r->table != RT_TABLE_MAIN) {
		const char *n = ip_style ? lx_route_table_name(r->table) : NULL;

		p = put_lit(p, " table ");
		p = n ? put_str(p, n) : put_dec(p, r->table);
	} else if (r->type == RTN_LOCAL && !ip_style) {
		p = put_lit(p, " table main");
	}
	if (ip_style) {
		const char *n = lx_proto_name(r->protocol);

		p = put_lit(p, " proto ");
		p = n ? put_str(p, n) : put_dec(p, r->protocol);
	}
	if (r->has_src)
		p = put_inaddr(put_lit(p, " src "), r->family, &r->src);
	if (r->scope != LX_UNSET &&
	    !(ip_style &&
	      (r->scope == RT_SCOPE_UNIVERSE || r->family == AF_INET6))) {
		/* The route grammar names host, link and global only. */
		if (r->scope == RT_SCOPE_UNIVERSE ||
		    r->scope == RT_SCOPE_LINK || r->scope == RT_SCOPE_HOST)
			p = put_scope(p, r->scope);
		else
			p = put_dec(put_lit(p, " scope "), (uint32_t)r->scope);
	}
	if (r->family == AF_INET6 && r->pref != ICMPV6_ROUTER_PREF_MEDIUM &&
	    pref_name(r->pref))
		p = put_str(put_lit(p, " pref "), pref_name(r->pref));
	p = put_route_tail(p, r);
	if (with_proto && !ip_style)
		p = put_dec(put_lit(p, " proto "), r->protocol);
	*p = '\0';
	return p;
}

static const char *route_format(const struct lx_route *r, bool with_proto,
				bool ip_style, char *buf, size_t len)
{
	size_t n = r->n_nexthops < LX_NEXTHOPS_MAX ? r->n_nexthops
						   : LX_NEXTHOPS_MAX;
	char tmp[ROUTE_TEXT_MAX + 1];
	size_t used;

	if (len > ROUTE_TEXT_BASE + ROUTE_TEXT_NH * n) {
		put_route(buf, r, with_proto, ip_style);
		return buf;
	}
	if (len == 0)
		return buf;
	used = (size_t)(put_route(tmp, r, with_proto, ip_style) - tmp);
	if (used >= len)
		used = len - 1;
	memcpy(buf, tmp, used);
	buf[used] = '\0';
	return buf;
}

/* Names are short (IFNAMSIZ) and mostly unset: a byte loop. */
static bool name_plain(const char *s, size_t size)
{
	for (size_t i = 0; i < size && s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x80 ||
		    s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

bool lx_route_text_plain(const struct lx_route *r)
{
	if (!name_plain(r->dev, sizeof(r->dev)) ||
	    !name_plain(r->congctl, sizeof(r->congctl)))
		return false;
	for (size_t i = 0; i < r->n_nexthops && i < LX_NEXTHOPS_MAX; i++)
		if (!name_plain(r->nh[i].dev, sizeof(r->nh[i].dev)))
			return false;
	return true;
}

const char *lx_route_format(const struct lx_route *r, bool with_proto,
			    char *buf, size_t len)
{
	return route_format(r, with_proto, false, buf, len);
}

const char *lx_route_format_ip(const struct lx_route *r, char *buf, size_t len)
{
	return route_format(r, false, true, buf, len);
}

const char *lx_link_format(const struct lx_link *l, char *buf, size_t len)
{
	struct sbuf b = {buf, len, 0};
	const char *k = lx_link_kind_name(l->kind);

	buf[0] = '\0';
	sb_add(&b, "%s", l->name);
	if (k)
		sb_add(&b, " %s", k);
	if (l->peer[0])
		sb_add(&b, " peer %s", l->peer);
	if (l->master[0])
		sb_add(&b, " master %s", l->master);
	if (l->parent[0])
		sb_add(&b, " parent %s", l->parent);
	if (l->mode[0])
		sb_add(&b, " mode %s", l->mode);
	if (l->mtu)
		sb_add(&b, " mtu %u", l->mtu);
	if (l->has_mac)
		sb_add(&b, " address %02x:%02x:%02x:%02x:%02x:%02x", l->mac[0],
		       l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
	if (l->has_txqlen)
		sb_add(&b, " txqlen %u", l->txqlen);
	if (l->up != LX_UNSET)
		sb_add(&b, " %s", l->up ? "up" : "down");
	if (l->peer_up == 0)
		sb_add(&b, " peer-down");
	if (l->peer_mtu)
		sb_add(&b, " peer-mtu %u", l->peer_mtu);
	return buf;
}
