/* SPDX-License-Identifier: MIT */
/*
 * The `ip route`, `ip rule` and `ip neigh` string grammars of the desired
 * document (SPEC.md), and the route object form. Words are iproute2's, so a
 * line that works after `ip route add` works here; what the kernel would
 * refuse or silently ignore is refused here with the field and the value.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/icmpv6.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "desired.h"
#include "grammar.h"

static const char *fam_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* strcmp() == 0, the first byte compared inline: most words of a route
 * differ from most keywords there. */
static inline bool eq(const char *a, const char *b)
{
	return a[0] == b[0] && !strcmp(a, b);
}

static unsigned int bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Are host bits set in a past len? */
static bool host_bits(int family, const union lx_inaddr *a, unsigned int len,
		      union lx_inaddr *net)
{
	bool set = false;

	*net = *a;
	for (unsigned int i = 0; i < bits(family) / 8; i++) {
		unsigned int lo = i * 8;
		uint8_t keep;

		if (len >= lo + 8)
			continue;
		keep = len <= lo ? 0 : (uint8_t)(0xff << (8 - (len - lo)));
		if (net->bytes[i] & ~keep)
			set = true;
		net->bytes[i] &= keep;
	}
	return set;
}

/* A prefix with the host bits clear; "what" names it in the message. */
static int parse_prefix(const char *s, int family, union lx_inaddr *a,
			uint8_t *len, uint8_t *fam, const char *field,
			const char *what, struct lx_error *err)
{
	struct lx_qbuf q;
	union lx_inaddr net;
	char ip[INET6_ADDRSTRLEN];
	int rc = lx_prefix_parse(s, family, a, len, fam);

	if (rc == -ERANGE) {
		return lx_bad(err, "%s: invalid prefix length in %s %s", field,
			      what, lx_text_quote(&q, s));
	}
	if (rc < 0) {
		return lx_bad(err, "%s: invalid %s %s", field, what,
			      lx_text_quote(&q, s));
	}
	if (host_bits(*fam, a, *len, &net)) {
		return lx_bad(
		    err, "%s: host bits set in %s (did you mean %s/%u?)", field,
		    lx_text_quote(&q, s),
		    lx_inaddr_format(*fam, &net, ip, sizeof(ip)), *len);
	}
	return 0;
}

/* A bare address (no /len). */
static int parse_host(const char *s, union lx_inaddr *a, uint8_t *fam,
		      const char *field, const char *what, struct lx_error *err)
{
	struct lx_qbuf q;
	uint8_t len;

	if (lx_prefix_parse(s, 0, a, &len, fam) < 0) {
		return lx_bad(err, "%s: invalid %s %s", field, what,
			      lx_text_quote(&q, s));
	}
	if (strchr(s, '/')) {
		return lx_bad(err, "%s: %s %s must be a bare address", field,
			      what, lx_text_quote(&q, s));
	}
	return 0;
}

/* Decimal, or hexadecimal with 0x (ip(8) takes both for marks). */
static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
		s += 2;
		if (!*s || strlen(s) > 16)
			return false;
		for (; *s; s++) {
			if (!isxdigit((unsigned char)*s))
				return false;
			v = v * 16 + (uint64_t)(isdigit((unsigned char)*s)
						    ? *s - '0'
						    : (tolower(*s) - 'a' + 10));
		}
	} else if (!lx_parse_u64(s, &v)) {
		return false;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool num_in(const char *s, uint64_t lo, uint64_t hi, uint32_t *out)
{
	uint64_t v;

	if (!lx_parse_u64(s, &v) || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* main|local|default|N, canonical: main is 0. */
static bool parse_table(const char *s, bool zero_ok, uint32_t *out)
{
	uint64_t v;

	if (!strcmp(s, "main"))
		v = RT_TABLE_MAIN;
	else if (!strcmp(s, "local"))
		v = RT_TABLE_LOCAL;
	else if (!strcmp(s, "default"))
		v = RT_TABLE_DEFAULT;
	else if (!lx_parse_u64(s, &v) || v > UINT32_MAX || (!v && !zero_ok))
		return false;
	*out = v == RT_TABLE_MAIN ? 0 : (uint32_t)v;
	return true;
}

/* ---------------------------------------------------------------- routes */

struct nh_in {
	const char *via, *via_fam, *dev, *weight;
	bool onlink;
};

struct route_in {
	const char *type, *dst, *via, *via_fam, *dev, *metric, *metric_word,
	    *table, *src, *scope, *pref, *mtu, *advmss, *initcwnd, *initrwnd,
	    *quickack, *congctl;
	bool onlink, mtu_lock, congctl_lock;
	size_t n_nh;
	struct nh_in nh[LX_NEXTHOPS_MAX + 1];
};

static const struct {
	const char *name;
	uint8_t type;
} route_types[] = {
    {"unicast", RTN_UNICAST},
    {"blackhole", RTN_BLACKHOLE},
    {"unreachable", RTN_UNREACHABLE},
    {"prohibit", RTN_PROHIBIT},
    {"throw", RTN_THROW},
    {"local", RTN_LOCAL},
};

static bool route_type(const char *s, uint8_t *t)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(route_types); i++)
		if (eq(s, route_types[i].name)) {
			*t = route_types[i].type;
			return true;
		}
	return false;
}

static bool route_scope(const char *s, int *out)
{
	static const struct {
		const char *name;
		int v;
	} names[] = {
	    {"global", RT_SCOPE_UNIVERSE},
	    {"universe", RT_SCOPE_UNIVERSE},
	    {"link", RT_SCOPE_LINK},
	    {"host", RT_SCOPE_HOST},
	};
	uint32_t v;

	for (size_t i = 0; i < LX_ARRAY_SIZE(names); i++)
		if (eq(s, names[i].name)) {
			*out = names[i].v;
			return true;
		}
	if (num_in(s, 0, 255, &v)) {
		*out = (int)v;
		return true;
	}
	return false;
}

static bool congctl_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 16)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* A gateway: "inet6" (or "inet") optionally first, then the address. */
static int parse_gw(const char *fam_word, const char *s, uint8_t *fam,
		    union lx_inaddr *gw, const char *field, const char *item,
		    struct lx_error *err)
{
	struct lx_qbuf q, q2;
	uint8_t want = 0;

	if (fam_word) {
		if (eq(fam_word, "inet6"))
			want = AF_INET6;
		else if (eq(fam_word, "inet"))
			want = AF_INET;
	}
	if (parse_host(s, gw, fam, field, "gateway", err) < 0)
		return -EINVAL;
	if (want && want != *fam) {
		return lx_bad(err,
			      "%s: gateway %s is not %s (\"via %s\") in %s",
			      field, lx_text_quote(&q, s), fam_name(want),
			      fam_word, lx_text_quote(&q2, item));
	}
	return 0;
}

static int dev_into(const char *s, char *dst, const char *field,
		    struct lx_error *err)
{
	if (!lx_ifname_valid(s))
		return lx_bad_ifname(err, field, s);
	memcpy(dst, s, strlen(s) + 1); /* valid: shorter than IFNAMSIZ */
	return 0;
}

static int route_build(const struct route_in *in, struct lx_route *r,
		       const char *field, const char *item,
		       struct lx_error *err)
{
	int invalid = 0;
	uint8_t fam = 0, gwfam = 0, srcfam = 0, t;
	bool dflt = false, reject;
	struct lx_qbuf q, q2;
	uint32_t v;
	/* r's nexthops, allocated once the route is known good */
	struct lx_nexthop nhv[LX_NEXTHOPS_MAX];

	memset(r, 0, sizeof(*r));
	r->scope = LX_UNSET;
	r->type = RTN_UNICAST;
	if (in->type) {
		if (route_type(in->type, &t))
			r->type = t;
		else
			invalid = lx_bad(
			    err,
			    "%s: unknown route type %s (unicast|blackhole|"
			    "unreachable|prohibit|throw|local)",
			    field, lx_text_quote(&q, in->type));
	}
	reject = r->type != RTN_UNICAST && r->type != RTN_LOCAL;

	if (!in->dst)
		invalid = lx_bad(err, "%s: missing destination", field);
	else if (eq(in->dst, "default"))
		dflt = true;
	else
		invalid |= parse_prefix(in->dst, 0, &r->dst, &r->dst_len, &fam,
					field, "destination", err);
	if (in->via && parse_gw(in->via_fam, in->via, &gwfam, &r->gw, field,
				item, err) == 0) {
		r->has_gw = true;
		r->gw_family = gwfam;
	} else if (in->via) {
		invalid = -EINVAL;
	}
	if (in->src && parse_host(in->src, &r->src, &srcfam, field,
				  "source address", err) == 0)
		r->has_src = true;
	else if (in->src)
		invalid = -EINVAL;
	/* Nexthops before the family: "default nexthop via fd00::1 ..." */
	if (in->n_nh > LX_NEXTHOPS_MAX)
		invalid =
		    lx_bad(err, "%s: %zu nexthops (at most %d) in %s", field,
			   in->n_nh, LX_NEXTHOPS_MAX, lx_text_quote(&q, item));
	for (size_t i = 0; i < in->n_nh && i < LX_NEXTHOPS_MAX; i++) {
		const struct nh_in *n = &in->nh[i];
		struct lx_nexthop *nh = &nhv[i];

		memset(nh, 0, sizeof(*nh));
		if (!n->via) {
			invalid =
			    lx_bad(err, "%s: nexthop %zu has no \"via\" in %s",
				   field, i + 1, lx_text_quote(&q, item));
			continue;
		}
		if (parse_gw(n->via_fam, n->via, &nh->gw_family, &nh->gw, field,
			     item, err) < 0) {
			invalid = -EINVAL;
			continue;
		}
		if (!gwfam)
			gwfam = nh->gw_family;
		if (n->dev)
			invalid |= dev_into(n->dev, nh->dev, field, err);
		if (n->weight) {
			if (num_in(n->weight, 1, 256, &v))
				nh->weight = (uint16_t)v;
			else
				invalid = lx_bad(
				    err,
				    "%s: invalid nexthop weight %s (1..256)",
				    field, lx_text_quote(&q, n->weight));
		}
		nh->onlink = n->onlink;
		if (n->onlink && !n->dev)
			invalid = lx_bad(
			    err,
			    "%s: nexthop %zu: \"onlink\" needs \"dev\" in %s",
			    field, i + 1, lx_text_quote(&q, item));
	}
	r->n_nexthops =
	    (uint8_t)(in->n_nh < LX_NEXTHOPS_MAX ? in->n_nh : LX_NEXTHOPS_MAX);
	/* Family: from the destination, else the (first) gateway, else the
	 * source, else IPv4 ("default" alone), as ip(8) decides it. An IPv4
	 * route may have an IPv6 gateway ("0.0.0.0/0 via inet6 fe80::1"),
	 * never the other way round. */
	if (dflt)
		fam = gwfam ? gwfam : srcfam ? srcfam : AF_INET;
	if (fam) {
		r->family = fam;
		for (size_t i = 0; i <= r->n_nexthops; i++) {
			uint8_t gf = i < r->n_nexthops ? nhv[i].gw_family
				     : r->has_gw       ? r->gw_family
						       : 0;
			const char *fw =
			    i < r->n_nexthops ? in->nh[i].via_fam : in->via_fam;
			const char *gs =
			    i < r->n_nexthops ? in->nh[i].via : in->via;

			if (!gf || gf == fam)
				continue;
			if (fam == AF_INET && gf == AF_INET6 && fw &&
			    eq(fw, "inet6"))
				continue;
			invalid = lx_bad(
			    err, "%s: gateway %s is %s but %s%s is %s%s", field,
			    lx_text_quote(&q, gs), fam_name(gf),
			    dflt ? "the route" : "destination ",
			    dflt ? "" : lx_text_quote(&q2, in->dst),
			    fam_name(fam),
			    fam == AF_INET && gf == AF_INET6
				? " (an IPv6 gateway of an IPv4 route is "
				  "\"via inet6 ADDR\")"
				: "");
		}
		if (srcfam && srcfam != fam)
			invalid = lx_bad(
			    err, "%s: source %s is %s but %s%s is %s", field,
			    lx_text_quote(&q, in->src), fam_name(srcfam),
			    dflt ? "the route" : "destination ",
			    dflt ? "" : lx_text_quote(&q2, in->dst),
			    fam_name(fam));
	}
	/* The gateway family is the route's unless it differs. */
	if (r->has_gw && r->gw_family == r->family)
		r->gw_family = 0;
	for (size_t i = 0; i < r->n_nexthops; i++)
		if (nhv[i].gw_family == r->family)
			nhv[i].gw_family = 0;
	if (in->dev)
		invalid |= dev_into(in->dev, r->dev, field, err);
	r->onlink = in->onlink;
	if (in->onlink && !in->via)
		invalid =
		    lx_bad(err,
			   "%s: \"onlink\" is for a gateway (\"via GW dev DEV "
			   "onlink\"), not a destination, in %s",
			   field, lx_text_quote(&q, item));
	else if (in->onlink && !in->dev)
		invalid = lx_bad(err, "%s: \"onlink\" needs \"dev\" in %s",
				 field, lx_text_quote(&q, item));
	if (in->n_nh && (in->via || in->dev))
		invalid = lx_bad(
		    err,
		    "%s: \"via\" and \"dev\" go inside each \"nexthop\" of "
		    "a multipath route in %s",
		    field, lx_text_quote(&q, item));
	if (reject && (in->via || in->dev || in->n_nh || in->onlink))
		invalid = lx_bad(
		    err,
		    "%s: a %s route has no gateway, device or nexthop in %s",
		    field, in->type, lx_text_quote(&q, item));
	if (r->type == RTN_LOCAL && (in->via || in->n_nh))
		invalid = lx_bad(err, "%s: a local route has no gateway in %s",
				 field, lx_text_quote(&q, item));
	if (in->metric) {
		if (num_in(in->metric, 0, UINT32_MAX, &v))
			r->metric = v;
		else
			invalid = lx_bad(
			    err, "%s: invalid %s %s (0..4294967295)", field,
			    in->metric_word ? in->metric_word : "metric",
			    lx_text_quote(&q, in->metric));
	}
	if (in->table) {
		if (!parse_table(in->table, true, &r->table))
			invalid = lx_bad(err,
					 "%s: invalid table %s "
					 "(main|local|default|0..4294967295)",
					 field, lx_text_quote(&q, in->table));
	} else if (r->type == RTN_LOCAL) {
		/* As ip(8) does: a local route lives in table local. */
		r->table = RT_TABLE_LOCAL;
	}
	if (in->scope && !route_scope(in->scope, &r->scope))
		invalid = lx_bad(
		    err, "%s: invalid scope %s (host|link|global|0..255)",
		    field, lx_text_quote(&q, in->scope));
	if (in->pref) {
		if (eq(in->pref, "low"))
			r->pref = ICMPV6_ROUTER_PREF_LOW;
		else if (eq(in->pref, "medium"))
			r->pref = ICMPV6_ROUTER_PREF_MEDIUM;
		else if (eq(in->pref, "high"))
			r->pref = ICMPV6_ROUTER_PREF_HIGH;
		else
			invalid =
			    lx_bad(err, "%s: invalid pref %s (low|medium|high)",
				   field, lx_text_quote(&q, in->pref));
		if (r->family == AF_INET)
			invalid = lx_bad(
			    err,
			    "%s: \"pref\" is for IPv6 routes (the kernel "
			    "ignores it on IPv4) in %s",
			    field, lx_text_quote(&q, item));
	}
	if (in->mtu) {
		if (num_in(in->mtu, 68, 65535, &v))
			r->mtu = v;
		else
			invalid = lx_bad(err, "%s: invalid mtu %s (68..65535)",
					 field, lx_text_quote(&q, in->mtu));
	} else if (in->mtu_lock) {
		invalid = lx_bad(err, "%s: \"mtu lock\" needs a value in %s",
				 field, lx_text_quote(&q, item));
	}
	if (in->mtu_lock)
		r->locks |= 1u << RTAX_MTU;
	if (in->advmss) {
		if (num_in(in->advmss, 1, 65535, &v))
			r->advmss = v;
		else
			invalid =
			    lx_bad(err, "%s: invalid advmss %s (1..65535)",
				   field, lx_text_quote(&q, in->advmss));
	}
	if (in->initcwnd) {
		if (num_in(in->initcwnd, 1, 65535, &v))
			r->initcwnd = v;
		else
			invalid =
			    lx_bad(err, "%s: invalid initcwnd %s (1..65535)",
				   field, lx_text_quote(&q, in->initcwnd));
	}
	if (in->initrwnd) {
		if (num_in(in->initrwnd, 1, 65535, &v))
			r->initrwnd = v;
		else
			invalid =
			    lx_bad(err, "%s: invalid initrwnd %s (1..65535)",
				   field, lx_text_quote(&q, in->initrwnd));
	}
	if (in->quickack) {
		/* 0 is the kernel's default and reads back as unset. */
		if (num_in(in->quickack, 0, 1, &v))
			r->quickack = v;
		else
			invalid =
			    lx_bad(err, "%s: invalid quickack %s (0|1)", field,
				   lx_text_quote(&q, in->quickack));
	}
	if (in->congctl) {
		if (congctl_valid(in->congctl))
			snprintf(r->congctl, sizeof(r->congctl), "%s",
				 in->congctl);
		else
			invalid = lx_bad(
			    err,
			    "%s: invalid congctl %s (an algorithm name, at "
			    "most 15 characters)",
			    field, lx_text_quote(&q, in->congctl));
		if (in->congctl_lock)
			r->locks |= 1u << RTAX_CC_ALGO;
	}
	/* One nexthop is the plain form: the kernel stores and reports it
	 * as such (its weight is meaningless and dropped). */
	if (r->n_nexthops == 1) {
		struct lx_nexthop nh = nhv[0];

		r->has_gw = true;
		r->gw = nh.gw;
		r->gw_family = nh.gw_family;
		memcpy(r->dev, nh.dev, sizeof(r->dev));
		r->onlink = nh.onlink;
		r->n_nexthops = 0;
	}
	if (invalid) {
		r->n_nexthops = 0;
		return -EINVAL;
	}
	if (r->n_nexthops) {
		r->nh = malloc(r->n_nexthops * sizeof(*r->nh));
		if (!r->nh) {
			r->n_nexthops = 0;
			return lx_error_add(err, LX_ERR_INVALID, ENOMEM, "%s",
					    field);
		}
		memcpy(r->nh, nhv, r->n_nexthops * sizeof(*r->nh));
	}
	return 0;
}

/*
 * The common route in one pass over its text: `DST [via GW] [dev DEV]
 * [metric N] [table T] [onlink]`, each word at most once, DST a prefix or
 * "default", GW of DST's family, words separated by spaces. What it takes
 * it builds as lx_route_parse would; anything else, and anything that
 * would be an error, it declines (false, r undefined) and the general
 * path decides, so every message stays that path's. A document of
 * 10,000 routes is mostly this: IPv4 is read as it is scanned.
 */

struct fast {
	const unsigned char *p, *e;
};

/* At a word's end: the end of the text or a space. */
static bool fast_end(const struct fast *f)
{
	return f->p == f->e || *f->p == ' ';
}

static void fast_spaces(struct fast *f)
{
	while (f->p < f->e && *f->p == ' ')
		f->p++;
}

/* The word at f->p is exactly k (kn bytes); consumed if so. */
static bool fast_kw(struct fast *f, const char *k, size_t kn)
{
	if ((size_t)(f->e - f->p) < kn || memcmp(f->p, k, kn))
		return false;
	if (f->p + kn < f->e && f->p[kn] != ' ')
		return false;
	f->p += kn;
	return true;
}

/* ipv4_prefix_fast's grammar (grammar.c), the word ending after it:
 * octets of 1..3 digits without a leading zero, at most 255, then (when
 * want_len) "/N" of 1..3 digits, at most 32. Host order. */
static bool fast_v4(struct fast *f, bool want_len, uint32_t *addr,
		    uint8_t *len)
{
	const unsigned char *p = f->p, *e = f->e;
	uint32_t a = 0;
	unsigned int l = 32, v, c;

	for (int k = 0; k < 4; k++) {
		if (p == e || (v = (unsigned int)(*p - '0')) > 9)
			return false;
		p++;
		if (p < e && (c = (unsigned int)(*p - '0')) <= 9) {
			if (!v)
				return false; /* leading zero */
			v = v * 10 + c;
			p++;
			if (p < e && (c = (unsigned int)(*p - '0')) <= 9) {
				v = v * 10 + c;
				p++;
				if (v > 255)
					return false;
			}
		}
		a = a << 8 | v;
		if (k < 3 && (p == e || *p++ != '.'))
			return false;
	}
	if (want_len && p < e && *p == '/') {
		const unsigned char *d = ++p;

		for (l = 0; p < e && p - d < 3 &&
			    (c = (unsigned int)(*p - '0')) <= 9;
		     p++)
			l = l * 10 + c;
		if (p == d || l > 32)
			return false;
	}
	f->p = p;
	if (!fast_end(f))
		return false;
	*addr = a;
	*len = (uint8_t)l;
	return true;
}

/* A prefix (want_len) or a bare address of either family: IPv4 as above,
 * anything else one word through lx_prefix_parse. */
static bool fast_addr(struct fast *f, bool want_len, union lx_inaddr *a,
		      uint8_t *len, uint8_t *fam)
{
	const unsigned char *w = f->p;
	char buf[INET6_ADDRSTRLEN + 8];
	uint32_t v4;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (fast_v4(f, want_len, &v4, len)) {
		a->v4.s_addr = htonl(v4);
		*fam = AF_INET;
		return true;
	}
	f->p = w;
	while (f->p < f->e && *f->p > ' ' && *f->p < 0x7f && *f->p != '.' &&
	       (want_len || *f->p != '/'))
		f->p++;
	n = (size_t)(f->p - w);
	if (!n || n >= sizeof(buf) || !fast_end(f))
		return false;
	memcpy(buf, w, n);
	buf[n] = '\0';
	return lx_prefix_parse(buf, AF_INET6, a, len, fam) == 0;
}

/* Digits (at most 10) to a value of at most max, the word ending there. */
static bool fast_u32(struct fast *f, uint64_t max, uint32_t *out)
{
	const unsigned char *d = f->p;
	uint64_t v = 0;

	for (; f->p < f->e && f->p - d < 10 && *f->p >= '0' && *f->p <= '9';
	     f->p++)
		v = v * 10 + (uint64_t)(*f->p - '0');
	if (f->p == d || v > max || !fast_end(f))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* An interface name: 1..15 bytes lx_ifname_valid takes. */
static bool fast_dev(struct fast *f, char dev[IFNAMSIZ])
{
	const unsigned char *w = f->p;
	size_t n;

	while (f->p < f->e && *f->p > ' ' && *f->p < 0x7f && *f->p != '%' &&
	       *f->p != '/' && *f->p != ':')
		f->p++;
	n = (size_t)(f->p - w);
	if (!n || n >= IFNAMSIZ || !fast_end(f) ||
	    (w[0] == '.' && (n == 1 || (n == 2 && w[1] == '.'))))
		return false;
	memcpy(dev, w, n);
	return true;
}

bool lx_route_parse_fast(const char *s, size_t len, struct lx_route *r)
{
	struct fast f = {(const unsigned char *)s,
			 (const unsigned char *)s + len};
	bool via = false, dev = false, metric = false, table = false,
	     onlink = false, dflt = false;
	uint8_t fam = 0, gwfam = 0, l8;
	union lx_inaddr net;

	if (len > LX_ITEM_MAX)
		return false;
	memset(r, 0, sizeof(*r));
	r->scope = LX_UNSET;
	r->type = RTN_UNICAST;
	fast_spaces(&f);
	if (fast_kw(&f, "default", 7))
		dflt = true;
	else if (!fast_addr(&f, true, &r->dst, &r->dst_len, &fam))
		return false;
	else if (fam == AF_INET ? (r->dst_len < 32 &&
				   ntohl(r->dst.v4.s_addr) &
				       (UINT32_MAX >> r->dst_len))
				: host_bits(fam, &r->dst, r->dst_len, &net))
		return false;
	for (;;) {
		bool *seen;

		fast_spaces(&f);
		if (f.p == f.e)
			break;
		if (fast_kw(&f, "onlink", 6)) {
			if (onlink)
				return false;
			onlink = true;
			continue;
		}
		seen = fast_kw(&f, "via", 3)	  ? &via
		       : fast_kw(&f, "dev", 3)	  ? &dev
		       : fast_kw(&f, "metric", 6) ? &metric
		       : fast_kw(&f, "table", 5)  ? &table
						  : NULL;
		if (!seen || *seen)
			return false;
		*seen = true;
		fast_spaces(&f);
		if (seen == &via) {
			if (!fast_addr(&f, false, &r->gw, &l8, &gwfam))
				return false;
			r->has_gw = true;
		} else if (seen == &dev) {
			if (!fast_dev(&f, r->dev))
				return false;
		} else if (seen == &metric) {
			if (!fast_u32(&f, UINT32_MAX, &r->metric))
				return false;
		} else if (!fast_kw(&f, "main", 4)) {
			if (!fast_u32(&f, UINT32_MAX, &r->table))
				return false;
			if (r->table == RT_TABLE_MAIN)
				r->table = 0;
		}
	}
	if (dflt)
		fam = gwfam ? gwfam : AF_INET;
	if ((via && gwfam != fam) || (onlink && (!via || !dev)))
		return false;
	r->family = fam;
	r->onlink = onlink;
	return true;
}

int lx_route_parse(const char *s, struct lx_route *r, const char *field,
		   struct lx_error *err)
{
	if (lx_route_parse_fast(s, strlen(s), r))
		return 0;
	return lx_route_parse_words(s, r, field, err);
}

int lx_route_parse_words(const char *s, struct lx_route *r, const char *field,
			 struct lx_error *err)
{
	/* Zeroed but for the nexthops, each zeroed when its word comes
	 * (route_build reads only those): most routes have none. */
	struct route_in in;
	struct nh_in *nh = NULL;
	struct lx_words w;
	struct lx_qbuf q, q2;
	size_t i = 0;
	uint8_t t;

	memset(&in, 0, offsetof(struct route_in, nh));
	memset(r, 0, sizeof(*r));
	if (lx_split_words(s, &w, field, err) < 0)
		return -EINVAL;
	if (w.n < 1) {
		return lx_bad(err, "%s: empty route %s", field,
			      lx_text_quote(&q, s));
	}
	if (route_type(w.w[0], &t))
		in.type = w.w[i++];
	if (i < w.n && !eq(w.w[i], "nexthop") &&
	    !eq(w.w[i], "via") && !eq(w.w[i], "dev"))
		in.dst = w.w[i++];
	for (; i < w.n; i++) {
		const char *k = w.w[i];
		const char **val = NULL;
		bool has_next = i + 1 < w.n;

		if (eq(k, "nexthop")) {
			if (in.n_nh <= LX_NEXTHOPS_MAX) {
				nh = &in.nh[in.n_nh];
				memset(nh, 0, sizeof(*nh));
			}
			in.n_nh++;
			continue;
		}
		if (eq(k, "proto") || eq(k, "protocol")) {
			return lx_bad(
			    err,
			    "%s: \"%s\" is not a route word: the protocol "
			    "is ours, set by options.protocol, in %s",
			    field, k, lx_text_quote(&q, s));
		}
		if (nh) {
			/* After "nexthop" only nexthop words, as ip(8). */
			if (eq(k, "onlink")) {
				nh->onlink = true;
				continue;
			}
			if (eq(k, "via"))
				val = &nh->via;
			else if (eq(k, "dev"))
				val = &nh->dev;
			else if (eq(k, "weight"))
				val = &nh->weight;
			if (val && has_next && eq(k, "via") &&
			    (eq(w.w[i + 1], "inet6") ||
			     eq(w.w[i + 1], "inet")))
				nh->via_fam = w.w[++i];
			has_next = i + 1 < w.n;
		} else if (eq(k, "onlink")) {
			in.onlink = true;
			continue;
		} else if (eq(k, "via")) {
			val = &in.via;
			if (has_next && (eq(w.w[i + 1], "inet6") ||
					 eq(w.w[i + 1], "inet")))
				in.via_fam = w.w[++i];
			has_next = i + 1 < w.n;
		} else if (eq(k, "metric") || eq(k, "priority") ||
			   eq(k, "preference")) {
			if (in.metric_word) {
				return lx_bad(
				    err,
				    "%s: \"%s\" and \"%s\" are the same "
				    "(the metric) in %s",
				    field, in.metric_word, k,
				    lx_text_quote(&q, s));
			}
			in.metric_word = k;
			val = &in.metric;
		} else if (eq(k, "mtu") || eq(k, "congctl")) {
			bool *lock =
			    k[0] == 'm' ? &in.mtu_lock : &in.congctl_lock;

			val = k[0] == 'm' ? &in.mtu : &in.congctl;
			if (has_next && eq(w.w[i + 1], "lock")) {
				*lock = true;
				i++;
			}
			has_next = i + 1 < w.n;
		} else {
			static const char *const names[] = {
			    "dev",	"table",    "src",
			    "scope",	"pref",	    "advmss",
			    "initcwnd", "initrwnd", "quickack",
			};
			const char **dsts[] = {
			    &in.dev,	  &in.table,	&in.src,
			    &in.scope,	  &in.pref,	&in.advmss,
			    &in.initcwnd, &in.initrwnd, &in.quickack,
			};

			for (size_t j = 0; j < LX_ARRAY_SIZE(names); j++)
				if (eq(k, names[j]))
					val = dsts[j];
		}
		if (!val) {
			return lx_bad(
			    err, "%s: unknown word %s%s in %s", field,
			    lx_text_quote(&q, k),
			    nh ? " in a nexthop (via, dev, weight, onlink)"
			       : "",
			    lx_text_quote(&q2, s));
		}
		if (*val) {
			return lx_bad(err, "%s: \"%s\" given twice in %s",
				      field, k, lx_text_quote(&q, s));
		}
		if (!has_next) {
			return lx_bad(err, "%s: \"%s\" needs a value in %s",
				      field, k, lx_text_quote(&q, s));
		}
		*val = w.w[++i];
	}
	return route_build(&in, r, field, s, err);
}

/* Object form: the string words as members (SPEC.md). */
int lx_route_from_json(const json_t *v, struct lx_route *r, const char *field,
		       struct lx_error *err)
{
	static const char *const strs[] = {"type", "dst",   "via",  "dev",
					   "src",  "scope", "pref", "congctl"};
	static const char *const ints[] = {"metric",  "table",	  "mtu",
					   "advmss",  "initcwnd", "initrwnd",
					   "quickack"};
	int invalid = 0;
	struct route_in in = {0};
	char nums[LX_ARRAY_SIZE(ints)][32], nhw[LX_NEXTHOPS_MAX][32];
	char via[LX_NEXTHOPS_MAX + 1][64];
	char mf[512], nf[600];
	const char *key;
	json_t *m;
	int rc;

	memset(r, 0, sizeof(*r));
	const char **sdst[] = {&in.type, &in.dst,   &in.via,  &in.dev,
			       &in.src,	 &in.scope, &in.pref, &in.congctl};
	const char **idst[] = {&in.metric,  &in.table,	  &in.mtu,
			       &in.advmss,  &in.initcwnd, &in.initrwnd,
			       &in.quickack};
	json_object_foreach((json_t *)v, key, m)
	{
		bool known = false;

		lx_field_join(mf, sizeof(mf), field, key);
		for (size_t k = 0; k < LX_ARRAY_SIZE(strs); k++) {
			if (strcmp(key, strs[k]))
				continue;
			known = true;
			if (!json_is_string(m))
				invalid = lx_bad_type(err, mf, "a string", m);
			else
				*sdst[k] = json_string_value(m);
		}
		for (size_t k = 0; k < LX_ARRAY_SIZE(ints); k++) {
			if (strcmp(key, ints[k]))
				continue;
			known = true;
			/* Negative values go on as text: the range message
			 * names them like the string form's. */
			if (json_is_integer(m))
				snprintf(nums[k], sizeof(nums[k]),
					 "%" JSON_INTEGER_FORMAT,
					 json_integer_value(m));
			else if (k == 1 && json_is_string(m) &&
				 strlen(json_string_value(m)) < 32)
				snprintf(nums[k], sizeof(nums[k]), "%s",
					 json_string_value(m));
			else {
				invalid = lx_bad_type(
				    err, mf,
				    k == 1 ? "an integer or a table name"
					   : "an integer",
				    m);
				continue;
			}
			*idst[k] = nums[k];
		}
		if (!strcmp(key, "onlink") || !strcmp(key, "mtu_lock") ||
		    !strcmp(key, "congctl_lock")) {
			known = true;
			if (!json_is_boolean(m))
				invalid =
				    lx_bad_type(err, mf, "true or false", m);
			else if (key[0] == 'o')
				in.onlink = json_is_true(m);
			else if (key[0] == 'm')
				in.mtu_lock = json_is_true(m);
			else
				in.congctl_lock = json_is_true(m);
		}
		if (!strcmp(key, "nexthops")) {
			size_t i;
			json_t *h;

			known = true;
			if (!json_is_array(m) || !json_array_size(m)) {
				invalid = lx_bad_type(err, mf,
						      "a non-empty array", m);
				continue;
			}
			in.n_nh = json_array_size(m);
			json_array_foreach(m, i, h)
			{
				struct nh_in *n;
				const char *hk;
				json_t *hv;

				snprintf(nf, sizeof(nf), "%s[%zu]", mf, i);
				if (i >= LX_NEXTHOPS_MAX)
					break;
				n = &in.nh[i];
				if (!json_is_object(h)) {
					invalid = lx_bad_type(err, nf,
							      "an object", h);
					continue;
				}
				json_object_foreach(h, hk, hv)
				{
					char hf[700];

					lx_field_join(hf, sizeof(hf), nf, hk);
					if (!strcmp(hk, "via") ||
					    !strcmp(hk, "dev")) {
						if (!json_is_string(hv))
							invalid = lx_bad_type(
							    err, hf, "a string",
							    hv);
						else if (hk[0] == 'v')
							n->via =
							    json_string_value(
								hv);
						else
							n->dev =
							    json_string_value(
								hv);
					} else if (!strcmp(hk, "weight")) {
						if (!json_is_integer(hv))
							invalid = lx_bad_type(
							    err, hf,
							    "an integer", hv);
						else {
							snprintf(
							    nhw[i],
							    sizeof(nhw[i]),
							    "%" JSON_INTEGER_FORMAT,
							    json_integer_value(
								hv));
							n->weight = nhw[i];
						}
					} else if (!strcmp(hk, "onlink")) {
						if (!json_is_boolean(hv))
							invalid = lx_bad_type(
							    err, hf,
							    "true or false",
							    hv);
						else
							n->onlink =
							    json_is_true(hv);
					} else {
						invalid = lx_bad(
						    err, "%s: unknown member",
						    hf);
					}
				}
			}
		}
		if (!known)
			invalid = lx_bad(err, "%s: unknown member", mf);
	}
	/* "via": "inet6 fe80::1", as the string form writes it. */
	for (size_t i = 0; i <= in.n_nh && i <= LX_NEXTHOPS_MAX; i++) {
		const char **vp = i == 0 ? &in.via : &in.nh[i - 1].via;
		const char **fp = i == 0 ? &in.via_fam : &in.nh[i - 1].via_fam;
		const char *sp;

		if (i > 0 && i > in.n_nh)
			break;
		if (!*vp || !(sp = strchr(*vp, ' ')) || strlen(*vp) >= 64)
			continue;
		snprintf(via[i], sizeof(via[i]), "%s", *vp);
		via[i][sp - *vp] = '\0';
		*fp = via[i];
		*vp = via[i] + (sp - *vp) + 1;
		while (**vp == ' ')
			(*vp)++;
	}
	if (invalid) {
		memset(r, 0, sizeof(*r));
		return -EINVAL;
	}
	rc = route_build(&in, r, field,
			 json_is_string(json_object_get(v, "dst"))
			     ? json_string_value(json_object_get(v, "dst"))
			     : "(route)",
			 err);
	return rc;
}

/* ----------------------------------------------------------------- rules */

static const struct {
	const char *name;
	uint8_t v;
} ipprotos[] = {
    {"icmp", 1},       {"tcp", 6},    {"udp", 17},
    {"gre", 47},       {"esp", 50},   {"ah", 51},
    {"ipv6-icmp", 58}, {"sctp", 132}, {"udplite", 136},
};

const char *lx_ipproto_name(uint8_t p)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(ipprotos); i++)
		if (ipprotos[i].v == p)
			return ipprotos[i].name;
	return NULL;
}

static bool parse_ipproto(const char *s, uint8_t *out)
{
	uint32_t v;

	for (size_t i = 0; i < LX_ARRAY_SIZE(ipprotos); i++)
		if (!strcmp(s, ipprotos[i].name)) {
			*out = ipprotos[i].v;
			return true;
		}
	if (!num_in(s, 1, 255, &v))
		return false;
	*out = (uint8_t)v;
	return true;
}

static bool parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char a[8], *dash = strchr(s, '-');
	uint32_t x, y;

	if (strlen(s) > 11)
		return false;
	if (!dash) {
		if (!num_in(s, 1, 65535, &x))
			return false;
		*lo = *hi = (uint16_t)x;
		return true;
	}
	if ((size_t)(dash - s) >= sizeof(a))
		return false;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (!num_in(a, 1, 65535, &x) || !num_in(dash + 1, 1, 65535, &y) ||
	    x > y)
		return false;
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
	return true;
}

static int rule_prefix(const char *s, struct lx_rule *r, bool src, uint8_t *fam,
		       const char *field, struct lx_error *err)
{
	union lx_inaddr *a = src ? &r->src : &r->dst;
	uint8_t *len = src ? &r->src_len : &r->dst_len;

	if (!strcmp(s, "all"))
		return 0;
	return parse_prefix(s, 0, a, len, fam, field,
			    src ? "\"from\" prefix" : "\"to\" prefix", err);
}

int lx_rule_parse(const char *s, struct lx_rule *r, const char *field,
		  struct lx_error *err)
{
	int invalid = 0;
	const char *from = NULL, *to = NULL, *iif = NULL, *oif = NULL,
		   *fwmark = NULL, *ipproto = NULL, *sport = NULL,
		   *dport = NULL, *tos = NULL, *prio = NULL, *table = NULL,
		   *action = NULL;
	uint8_t want = 0, ffam = 0, tfam = 0;
	struct lx_words w;
	struct lx_qbuf q, q2;
	size_t i = 0;
	uint64_t v;
	uint32_t u;

	memset(r, 0, sizeof(*r));
	if (lx_split_words(s, &w, field, err) < 0)
		return -EINVAL;
	if (i < w.n && (!strcmp(w.w[i], "-6") || !strcmp(w.w[i], "-4")))
		want = w.w[i++][1] == '6' ? AF_INET6 : AF_INET;
	for (; i < w.n; i++) {
		static const char *const names[] = {
		    "from",   "to",	 "iif",	     "oif",
		    "fwmark", "ipproto", "sport",    "dport",
		    "tos",    "dsfield", "priority", "preference",
		    "pref",   "order",	 "table",    "lookup",
		};
		const char **dsts[] = {
		    &from,  &to,    &iif,   &oif,   &fwmark, &ipproto,
		    &sport, &dport, &tos,   &tos,   &prio,   &prio,
		    &prio,  &prio,  &table, &table,
		};
		const char *k = w.w[i];
		const char **val = NULL;

		if (!strcmp(k, "not")) {
			r->invert = true;
			continue;
		}
		if (!strcmp(k, "blackhole") || !strcmp(k, "unreachable") ||
		    !strcmp(k, "prohibit")) {
			if (action || table) {
				invalid = lx_bad(
				    err, "%s: two actions (%s and %s) in %s",
				    field, action ? action : "table", k,
				    lx_text_quote(&q, s));
				return -EINVAL;
			}
			action = k;
			continue;
		}
		if (!strcmp(k, "proto") || !strcmp(k, "protocol")) {
			invalid = lx_bad(
			    err,
			    "%s: \"%s\" is not a rule word: the protocol "
			    "is ours, set by options.protocol, in %s",
			    field, k, lx_text_quote(&q, s));
			return -EINVAL;
		}
		for (size_t j = 0; j < LX_ARRAY_SIZE(names); j++)
			if (!strcmp(k, names[j]))
				val = dsts[j];
		if (!val) {
			invalid =
			    lx_bad(err, "%s: unknown word %s in %s", field,
				   lx_text_quote(&q, k), lx_text_quote(&q2, s));
			return -EINVAL;
		}
		if (val == &table && action) {
			invalid =
			    lx_bad(err, "%s: two actions (%s and table) in %s",
				   field, action, lx_text_quote(&q, s));
			return -EINVAL;
		}
		if (*val) {
			invalid = lx_bad(err, "%s: \"%s\" given twice in %s",
					 field, k, lx_text_quote(&q, s));
			return -EINVAL;
		}
		if (i + 1 == w.n) {
			invalid = lx_bad(err, "%s: \"%s\" needs a value in %s",
					 field, k, lx_text_quote(&q, s));
			return -EINVAL;
		}
		*val = w.w[++i];
	}
	if (from)
		invalid |= rule_prefix(from, r, true, &ffam, field, err);
	if (to)
		invalid |= rule_prefix(to, r, false, &tfam, field, err);
	r->family = want ? want : ffam ? ffam : tfam ? tfam : AF_INET;
	if ((ffam && ffam != r->family) || (tfam && tfam != r->family))
		invalid = lx_bad(err, "%s: mixed IPv4 and IPv6 in %s", field,
				 lx_text_quote(&q, s));
	if (iif)
		invalid |= dev_into(iif, r->iif, field, err);
	if (oif)
		invalid |= dev_into(oif, r->oif, field, err);
	if (fwmark) {
		char m[24];
		const char *slash = strchr(fwmark, '/');
		size_t n = slash ? (size_t)(slash - fwmark) : strlen(fwmark);

		r->has_fwmark = true;
		r->fwmask = UINT32_MAX;
		if (n >= sizeof(m) || !memcpy(m, fwmark, n) ||
		    (m[n] = '\0', !parse_num(m, UINT32_MAX, &v))) {
			invalid =
			    lx_bad(err, "%s: invalid fwmark %s (N or N/MASK)",
				   field, lx_text_quote(&q, fwmark));
		} else {
			r->fwmark = (uint32_t)v;
			if (slash && !parse_num(slash + 1, UINT32_MAX, &v))
				invalid =
				    lx_bad(err, "%s: invalid fwmark mask in %s",
					   field, lx_text_quote(&q, fwmark));
			else if (slash)
				r->fwmask = (uint32_t)v;
		}
	}
	if (ipproto && !parse_ipproto(ipproto, &r->ipproto))
		invalid =
		    lx_bad(err,
			   "%s: invalid ipproto %s (tcp, udp, icmp, ipv6-icmp, "
			   "sctp, ... or 1..255)",
			   field, lx_text_quote(&q, ipproto));
	if (sport && !parse_range(sport, &r->sport_lo, &r->sport_hi))
		invalid =
		    lx_bad(err, "%s: invalid sport %s (N or N-M, 1..65535)",
			   field, lx_text_quote(&q, sport));
	if (dport && !parse_range(dport, &r->dport_lo, &r->dport_hi))
		invalid =
		    lx_bad(err, "%s: invalid dport %s (N or N-M, 1..65535)",
			   field, lx_text_quote(&q, dport));
	if (tos) {
		if (parse_num(tos, 255, &v))
			r->tos = (uint8_t)v;
		else
			invalid = lx_bad(err, "%s: invalid tos %s (0..255)",
					 field, lx_text_quote(&q, tos));
	}
	if (prio) {
		if (num_in(prio, 0, UINT32_MAX, &u)) {
			r->has_priority = true;
			r->priority = u;
		} else {
			invalid = lx_bad(
			    err, "%s: invalid priority %s (0..4294967295)",
			    field, lx_text_quote(&q, prio));
		}
	}
	if (table) {
		r->action = FR_ACT_TO_TBL;
		if (!parse_table(table, false, &r->table))
			invalid = lx_bad(err,
					 "%s: invalid table %s "
					 "(main|local|default|1..4294967295)",
					 field, lx_text_quote(&q, table));
		else if (!r->table)
			r->table = RT_TABLE_MAIN;
	} else if (action) {
		r->action = action[0] == 'b'   ? FR_ACT_BLACKHOLE
			    : action[0] == 'u' ? FR_ACT_UNREACHABLE
					       : FR_ACT_PROHIBIT;
	} else {
		invalid =
		    lx_bad(err,
			   "%s: a rule needs an action (table ID, blackhole, "
			   "unreachable or prohibit) in %s",
			   field, lx_text_quote(&q, s));
	}
	if (invalid)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------ neighbours */

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int n = 0;

	while (*s) {
		unsigned int v = 0, d = 0;

		if (n == 6)
			return false;
		for (; isxdigit((unsigned char)*s) && d < 2; s++, d++)
			v = v * 16 + (unsigned)(isdigit((unsigned char)*s)
						    ? *s - '0'
						    : tolower(*s) - 'a' + 10);
		if (!d)
			return false;
		mac[n++] = (uint8_t)v;
		if (*s == ':' && s[1])
			s++;
		else if (*s)
			return false;
	}
	return n == 6;
}

int lx_neigh_parse(const char *s, struct lx_neigh *n, const char *field,
		   struct lx_error *err)
{
	int invalid = 0;
	const char *lladdr = NULL, *dev = NULL, *nud = NULL;
	struct lx_kw kws[] = {
	    {"lladdr", &lladdr, NULL},
	    {"dev", &dev, NULL},
	    {"nud", &nud, NULL},
	};
	struct lx_words w;
	struct lx_qbuf q;

	memset(n, 0, sizeof(*n));
	n->state = NUD_PERMANENT;
	if (lx_split_words(s, &w, field, err) < 0)
		return -EINVAL;
	if (w.n < 1) {
		invalid = lx_bad(err, "%s: empty neighbour %s", field,
				 lx_text_quote(&q, s));
		return -EINVAL;
	}
	for (size_t i = 1; i < w.n; i++)
		if (!strcmp(w.w[i], "proto") || !strcmp(w.w[i], "protocol")) {
			invalid = lx_bad(
			    err,
			    "%s: \"%s\" is not a neighbour word: the "
			    "protocol is ours, set by options.protocol, in "
			    "%s",
			    field, w.w[i], lx_text_quote(&q, s));
			return -EINVAL;
		}
	if (lx_parse_keywords(w.w + 1, w.n - 1, kws, LX_ARRAY_SIZE(kws), field,
			      s, err) < 0)
		return -EINVAL;
	invalid |= parse_host(w.w[0], &n->addr, &n->family, field,
			      "neighbour address", err);
	if (!lladdr)
		invalid = lx_bad(err, "%s: missing \"lladdr MAC\" in %s", field,
				 lx_text_quote(&q, s));
	else if (!parse_mac(lladdr, n->lladdr))
		invalid = lx_bad(err,
				 "%s: invalid lladdr %s (6 octets, as "
				 "02:00:0a:00:00:01)",
				 field, lx_text_quote(&q, lladdr));
	n->lladdr_len = 6;
	if (!dev)
		invalid = lx_bad(err, "%s: missing \"dev DEV\" in %s", field,
				 lx_text_quote(&q, s));
	else
		invalid |= dev_into(dev, n->dev, field, err);
	if (nud) {
		if (!strcmp(nud, "permanent"))
			n->state = NUD_PERMANENT;
		else if (!strcmp(nud, "noarp"))
			n->state = NUD_NOARP;
		else
			invalid =
			    lx_bad(err, "%s: invalid nud %s (permanent|noarp)",
				   field, lx_text_quote(&q, nud));
	}
	if (invalid)
		return -EINVAL;
	return 0;
}
