/* SPDX-License-Identifier: MIT */
/*
 * The desired-state document: JSON → struct lx_desired, the string grammars
 * of addresses, routes and links, and the canonical JSON form. Strict by
 * design: the document is tenant input, so unknown members, wrong types and
 * out-of-range values are errors, and every problem is reported (one line
 * each, naming the field path and the offending value) so a user fixes them
 * all in one round.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desired.h"
#include "sysctl.h"

#define MAX_ITEMS    65536	 /* entries per array / object */
#define MAX_ITEM_LEN 1024	 /* one string-form item */
#define MAX_WORDS    32		 /* words in one string-form item */
#define MAX_FILE     (16u << 20) /* lx_desired_from_file */

/* ------------------------------------------------------------- helpers */

/* A printable, escaped, bounded rendering of a value for error messages:
 * tenant text must not be able to break the one-line-per-problem format. */
struct qbuf {
	char s[160];
};

static const char *quote(struct qbuf *q, const char *s)
{
	size_t o = 0, max = sizeof(q->s) - 8;

	q->s[o++] = '"';
	for (; *s && o < max; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			q->s[o++] = '\\';
			q->s[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(q->s + o, sizeof(q->s) - o,
					      "\\x%02x", c);
		} else {
			q->s[o++] = (char)c;
		}
	}
	if (*s) {
		memcpy(q->s + o, "...", 3);
		o += 3;
	}
	q->s[o++] = '"';
	q->s[o] = '\0';
	return q->s;
}

/* base + "." + key into f, control characters in the (tenant) key escaped. */
static const char *join(char *f, size_t n, const char *base, const char *key)
{
	size_t o = (size_t)snprintf(f, n, "%s.", base);

	for (; *key && o + 5 < n; key++) {
		unsigned char c = (unsigned char)*key;

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(f + o, n - o, "\\x%02x", c);
		else
			f[o++] = (char)c;
	}
	if (o < n)
		f[o] = '\0';
	return f;
}

static const char *jrepr(struct qbuf *q, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return quote(q, json_string_value(v));
	case JSON_INTEGER:
		snprintf(q->s, sizeof(q->s), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return q->s;
	case JSON_REAL:
		snprintf(q->s, sizeof(q->s), "%g", json_real_value(v));
		return q->s;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	}
	return "?";
}

LX_PRINTF(2, 3) static void bad(struct lx_error *err, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	lx_error_add(err, LX_ERR_INVALID, 0, "%s", line);
}

static void bad_type(struct lx_error *err, const char *field, const char *want,
		     const json_t *v)
{
	struct qbuf q;

	bad(err, "%s: expected %s, got %s", field, want, jrepr(&q, v));
}

/* Strict unsigned decimal: digits only, no sign, no spaces, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

bool lx_ifname_valid(const char *s)
{
	size_t n = strlen(s);

	/* The kernel's dev_valid_name(), plus no control characters. */
	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '/' || c == ':' || isspace(c) || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Split an item into whitespace-separated words (in w->buf). */
struct words {
	char buf[MAX_ITEM_LEN + 1];
	char *w[MAX_WORDS];
	size_t n;
};

static int split_words(const char *s, struct words *w, const char *field,
		       struct lx_error *err)
{
	struct qbuf q;
	char *p, *save = NULL;

	w->n = 0;
	if (strlen(s) > MAX_ITEM_LEN) {
		bad(err, "%s: item too long (%zu bytes, max %d): %s", field,
		    strlen(s), MAX_ITEM_LEN, quote(&q, s));
		return -EINVAL;
	}
	strcpy(w->buf, s);
	for (p = strtok_r(w->buf, " \t\r\n", &save); p;
	     p = strtok_r(NULL, " \t\r\n", &save)) {
		if (w->n == MAX_WORDS) {
			bad(err, "%s: too many words (max %d) in %s", field,
			    MAX_WORDS, quote(&q, s));
			return -EINVAL;
		}
		w->w[w->n++] = p;
	}
	return 0;
}

/* -------------------------------------------------------------- prefixes */

/*
 * Internal form of lx_prefix_parse: 0, -EINVAL (not an address), -ERANGE
 * (prefix length out of range or malformed), -EAFNOSUPPORT (wrong family).
 */
static int prefix_parse(const char *s, int family, union lx_inaddr *a,
			uint8_t *len, uint8_t *fam_out, bool *has_len)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);
	union lx_inaddr tmp;
	uint64_t l = 0;
	int fam;

	if (iplen == 0 || iplen >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	memset(&tmp, 0, sizeof(tmp));
	if (inet_pton(AF_INET, ip, &tmp.v4) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, &tmp.v6) == 1)
		fam = AF_INET6;
	else
		return -EINVAL;
	if (family && family != fam)
		return -EAFNOSUPPORT;
	if (slash) {
		if (strlen(slash + 1) > 3 || !parse_u64(slash + 1, &l) ||
		    l > (fam == AF_INET ? 32u : 128u))
			return -ERANGE;
	} else {
		l = fam == AF_INET ? 32 : 128;
	}
	*a = tmp;
	*len = (uint8_t)l;
	if (fam_out)
		*fam_out = (uint8_t)fam;
	if (has_len)
		*has_len = slash != NULL;
	return 0;
}

int lx_prefix_parse(const char *s, int family, union lx_inaddr *a, uint8_t *len,
		    uint8_t *fam_out)
{
	return prefix_parse(s, family, a, len, fam_out, NULL);
}

static int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Clear the host bits of a; returns true when some were set. */
static bool mask_host_bits(int family, union lx_inaddr *a, unsigned int len)
{
	bool set = false;

	for (int i = 0; i < addr_bits(family) / 8; i++) {
		unsigned int lo = (unsigned int)i * 8;
		uint8_t keep;

		if (len >= lo + 8)
			continue;
		keep = len <= lo ? 0 : (uint8_t)(0xff << (8 - (len - lo)));
		if (a->bytes[i] & ~keep)
			set = true;
		a->bytes[i] &= keep;
	}
	return set;
}

static const char *fam_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Parse a scope name or number. */
static bool parse_scope(const char *s, bool route, int *out)
{
	static const struct {
		const char *name;
		int v;
		bool route;
	} names[] = {
	    {"global", RT_SCOPE_UNIVERSE, true},
	    {"universe", RT_SCOPE_UNIVERSE, true},
	    {"link", RT_SCOPE_LINK, true},
	    {"host", RT_SCOPE_HOST, true},
	    {"site", RT_SCOPE_SITE, false},
	    {"nowhere", RT_SCOPE_NOWHERE, false},
	};
	uint64_t v;

	for (size_t i = 0; i < LX_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i].name) && (names[i].route || !route)) {
			*out = names[i].v;
			return true;
		}
	if (!route && parse_u64(s, &v) && v <= 255) {
		*out = (int)v;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------- addresses */

struct addr_in {
	const char *dev, *address, *peer, *scope;
	bool nodad;
};

static int addr_build(const struct addr_in *in, struct lx_addr *a,
		      const char *field, struct lx_error *err)
{
	unsigned int before = err ? err->lines : 0;
	struct qbuf q, q2;
	uint8_t plen;
	int r;

	memset(a, 0, sizeof(*a));
	a->scope = LX_UNSET;
	a->nodad = in->nodad;
	if (!in->dev)
		bad(err, "%s: missing device", field);
	else if (!lx_ifname_valid(in->dev))
		bad(err, "%s: invalid interface name %s", field,
		    quote(&q, in->dev));
	else
		strcpy(a->dev, in->dev);
	if (!in->address) {
		bad(err, "%s: missing address", field);
	} else {
		r = prefix_parse(in->address, 0, &a->addr, &a->prefixlen,
				 &a->family, NULL);
		if (r == -ERANGE)
			bad(err, "%s: invalid prefix length in %s", field,
			    quote(&q, in->address));
		else if (r < 0)
			bad(err, "%s: invalid address %s", field,
			    quote(&q, in->address));
	}
	if (in->peer) {
		bool has_len = false;

		r = prefix_parse(in->peer, a->family, &a->peer, &plen, NULL,
				 &has_len);
		if (r == -EAFNOSUPPORT)
			bad(err, "%s: peer %s is not %s like address %s", field,
			    quote(&q, in->peer), fam_name(a->family),
			    quote(&q2, in->address));
		else if (r < 0 || has_len)
			bad(err, "%s: invalid peer address %s", field,
			    quote(&q, in->peer));
		else
			a->has_peer = true;
	}
	if (in->scope && !parse_scope(in->scope, false, &a->scope))
		bad(err,
		    "%s: invalid scope %s "
		    "(global|site|link|host|nowhere|0..255)",
		    field, quote(&q, in->scope));
	if (err && err->lines != before)
		return -EINVAL;
	return 0;
}

/* Words after the first ones: KEY VALUE pairs or flags. */
struct kw {
	const char *name;
	const char **val; /* NULL for a flag */
	bool *flag;
};

static int parse_keywords(char **w, size_t n, struct kw *kws, size_t nkw,
			  const char *field, const char *item,
			  struct lx_error *err)
{
	struct qbuf q, q2;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		struct kw *k = NULL;

		for (size_t j = 0; j < nkw; j++)
			if (!strcmp(w[i], kws[j].name))
				k = &kws[j];
		if (!k) {
			/* Whether it would take a value is unknown, so the
			 * rest of the item cannot be read: one problem, one
			 * line. */
			bad(err, "%s: unknown word %s in %s", field,
			    quote(&q, w[i]), quote(&q2, item));
			return -EINVAL;
		}
		if (!k->val) {
			*k->flag = true;
			continue;
		}
		if (*k->val) {
			bad(err, "%s: \"%s\" given twice in %s", field, k->name,
			    quote(&q, item));
			ret = -EINVAL;
		}
		if (i + 1 == n) {
			bad(err, "%s: \"%s\" needs a value in %s", field,
			    k->name, quote(&q, item));
			return -EINVAL;
		}
		*k->val = w[++i];
	}
	return ret;
}

int lx_addr_parse(const char *s, struct lx_addr *a, const char *field,
		  struct lx_error *err)
{
	struct addr_in in = {0};
	struct words w;
	struct qbuf q;
	struct kw kws[] = {
	    {"peer", &in.peer, NULL},
	    {"scope", &in.scope, NULL},
	    {"nodad", NULL, &in.nodad},
	};
	int r;

	if (split_words(s, &w, field, err) < 0)
		return -EINVAL;
	if (w.n < 2) {
		bad(err, "%s: expected \"DEV ADDR/PREFIX\", got %s", field,
		    quote(&q, s));
		return -EINVAL;
	}
	in.dev = w.w[0];
	in.address = w.w[1];
	r = parse_keywords(w.w + 2, w.n - 2, kws, LX_ARRAY_SIZE(kws), field, s,
			   err);
	if (addr_build(&in, a, field, err) < 0 || r < 0)
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- routes */

struct route_in {
	const char *dst, *via, *dev, *metric, *table, *src, *scope, *mtu;
};

static int route_build(const struct route_in *in, struct lx_route *r,
		       const char *field, struct lx_error *err)
{
	unsigned int before = err ? err->lines : 0;
	bool dflt = false;
	uint8_t fam = 0, gwfam = 0, srcfam = 0, len;
	struct qbuf q, q2;
	uint64_t v;
	int rc;

	memset(r, 0, sizeof(*r));
	r->scope = LX_UNSET;
	r->type = RTN_UNICAST;

	if (!in->dst) {
		bad(err, "%s: missing destination", field);
	} else if (!strcmp(in->dst, "default")) {
		dflt = true;
	} else {
		bool has_len;

		rc = prefix_parse(in->dst, 0, &r->dst, &r->dst_len, &fam,
				  &has_len);
		if (rc == -ERANGE) {
			bad(err, "%s: invalid prefix length in %s", field,
			    quote(&q, in->dst));
		} else if (rc < 0) {
			bad(err, "%s: invalid destination %s", field,
			    quote(&q, in->dst));
		} else {
			union lx_inaddr net = r->dst;
			char ip[INET6_ADDRSTRLEN];

			if (mask_host_bits(fam, &net, r->dst_len))
				bad(err,
				    "%s: host bits set in %s (did you mean "
				    "%s/%u?)",
				    field, quote(&q, in->dst),
				    lx_inaddr_format(fam, &net, ip, sizeof(ip)),
				    r->dst_len);
		}
	}
	if (in->via) {
		rc = prefix_parse(in->via, 0, &r->gw, &len, &gwfam, NULL);
		if (rc < 0 || len != addr_bits(gwfam)) {
			bad(err, "%s: invalid gateway %s", field,
			    quote(&q, in->via));
			gwfam = 0;
		} else {
			r->has_gw = true;
		}
		if (rc == 0 && strchr(in->via, '/'))
			bad(err, "%s: gateway %s must be a bare address", field,
			    quote(&q, in->via));
	}
	if (in->src) {
		rc = prefix_parse(in->src, 0, &r->src, &len, &srcfam, NULL);
		if (rc < 0 || strchr(in->src, '/')) {
			bad(err, "%s: invalid source address %s", field,
			    quote(&q, in->src));
			srcfam = 0;
		} else {
			r->has_src = true;
		}
	}
	/* Family: from the destination, else the gateway, else the source,
	 * else IPv4 ("default" alone). */
	if (dflt)
		fam = gwfam ? gwfam : srcfam ? srcfam : AF_INET;
	if (fam) {
		r->family = fam;
		if (gwfam && gwfam != fam)
			bad(err,
			    "%s: gateway %s is %s but destination %s is %s",
			    field, quote(&q, in->via), fam_name(gwfam),
			    quote(&q2, in->dst), fam_name(fam));
		if (srcfam && srcfam != fam)
			bad(err, "%s: source %s is %s but %s %s is %s", field,
			    quote(&q, in->src), fam_name(srcfam),
			    dflt && gwfam ? "gateway" : "destination",
			    quote(&q2, dflt && gwfam ? in->via : in->dst),
			    fam_name(fam));
	}
	if (in->dev) {
		if (!lx_ifname_valid(in->dev))
			bad(err, "%s: invalid interface name %s", field,
			    quote(&q, in->dev));
		else
			strcpy(r->dev, in->dev);
	}
	if (in->metric) {
		if (!parse_u64(in->metric, &v) || v > UINT32_MAX)
			bad(err, "%s: invalid metric %s (0..4294967295)", field,
			    quote(&q, in->metric));
		else
			r->metric = (uint32_t)v;
	}
	if (in->table) {
		if (!strcmp(in->table, "main"))
			v = RT_TABLE_MAIN;
		else if (!parse_u64(in->table, &v) || v > UINT32_MAX)
			v = UINT64_MAX;
		/* 0 and 254 are both the main table: one canonical value,
		 * so identity and duplicates compare equal. */
		if (v == UINT64_MAX)
			bad(err, "%s: invalid table %s (main|0..4294967295)",
			    field, quote(&q, in->table));
		else
			r->table = v == RT_TABLE_MAIN ? 0 : (uint32_t)v;
	}
	if (in->scope && !parse_scope(in->scope, true, &r->scope))
		bad(err, "%s: invalid scope %s (link|host|global)", field,
		    quote(&q, in->scope));
	if (in->mtu) {
		if (!parse_u64(in->mtu, &v) || v < 68 || v > 65535)
			bad(err, "%s: invalid mtu %s (68..65535)", field,
			    quote(&q, in->mtu));
		else
			r->mtu = (uint32_t)v;
	}
	if (err && err->lines != before)
		return -EINVAL;
	return 0;
}

int lx_route_parse(const char *s, struct lx_route *r, const char *field,
		   struct lx_error *err)
{
	struct route_in in = {0};
	struct words w;
	struct qbuf q;
	struct kw kws[] = {
	    {"via", &in.via, NULL},	  {"dev", &in.dev, NULL},
	    {"metric", &in.metric, NULL}, {"table", &in.table, NULL},
	    {"src", &in.src, NULL},	  {"scope", &in.scope, NULL},
	    {"mtu", &in.mtu, NULL},
	};
	int rc;

	if (split_words(s, &w, field, err) < 0)
		return -EINVAL;
	if (w.n < 1) {
		bad(err, "%s: empty route %s", field, quote(&q, s));
		return -EINVAL;
	}
	in.dst = w.w[0];
	rc = parse_keywords(w.w + 1, w.n - 1, kws, LX_ARRAY_SIZE(kws), field, s,
			    err);
	if (route_build(&in, r, field, err) < 0 || rc < 0)
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- links */

static const char *const macvlan_modes[] = {"private",	"vepa",	  "bridge",
					    "passthru", "source", NULL};
static const char *const ipvlan_modes[] = {"l2", "l3", "l3s", NULL};

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(s, *l))
			return true;
	return false;
}

static const char *link_kind_name(enum lx_link_kind k)
{
	switch (k) {
	case LX_LINK_VETH:
		return "veth";
	case LX_LINK_MACVLAN:
		return "macvlan";
	case LX_LINK_IPVLAN:
		return "ipvlan";
	case LX_LINK_DUMMY:
		return "dummy";
	default:
		return NULL;
	}
}

static bool link_kind_parse(const char *s, enum lx_link_kind *k)
{
	for (int i = LX_LINK_VETH; i <= LX_LINK_DUMMY; i++)
		if (!strcmp(s, link_kind_name((enum lx_link_kind)i))) {
			*k = (enum lx_link_kind)i;
			return true;
		}
	return false;
}

/* Copy an interface name member; false (error added) when invalid. */
static bool ifname_member(const json_t *v, char *dst, const char *field,
			  struct lx_error *err)
{
	struct qbuf q;

	if (!json_is_string(v)) {
		bad_type(err, field, "an interface name (string)", v);
		return false;
	}
	if (!lx_ifname_valid(json_string_value(v))) {
		bad(err, "%s: invalid interface name %s", field,
		    quote(&q, json_string_value(v)));
		return false;
	}
	strcpy(dst, json_string_value(v));
	return true;
}

static bool bool_member(const json_t *v, int *dst, const char *field,
			struct lx_error *err)
{
	if (!json_is_boolean(v)) {
		bad_type(err, field, "true or false", v);
		return false;
	}
	*dst = json_is_true(v);
	return true;
}

static void peer_from_json(const json_t *p, struct lx_link *l,
			   const char *field, struct lx_error *err)
{
	char f[512];
	const char *key;
	json_t *v;

	if (json_is_string(p)) {
		ifname_member(p, l->peer, field, err);
		return;
	}
	if (!json_is_object(p)) {
		bad_type(err, field, "an object or an interface name", p);
		return;
	}
	if (!json_object_get(p, "name"))
		bad(err, "%s.name: missing", field);
	json_object_foreach((json_t *)p, key, v)
	{
		join(f, sizeof(f), field, key);
		if (!strcmp(key, "name"))
			ifname_member(v, l->peer, f, err);
		else if (!strcmp(key, "master"))
			ifname_member(v, l->master, f, err);
		else if (!strcmp(key, "up"))
			bool_member(v, &l->peer_up, f, err);
		else
			bad(err, "%s: unknown member", f);
	}
}

static json_t *link_compact_to_json(const char *s, const char *field,
				    struct lx_error *err);

static int link_from_json(const json_t *o, struct lx_link *l, const char *field,
			  struct lx_error *err)
{
	unsigned int before = err ? err->lines : 0;
	const json_t *peer = NULL, *mode = NULL;
	bool has_parent = false;
	struct qbuf q;
	const char *key;
	char f[512];
	json_t *v;

	memset(l, 0, sizeof(*l));
	l->up = LX_UNSET;
	l->peer_up = LX_UNSET;
	if (json_is_string(o)) {
		/* The compact form, as in io.linx.links. */
		_cleanup_json_ json_t *j =
		    link_compact_to_json(json_string_value(o), field, err);

		if (!j)
			return -EINVAL;
		return link_from_json(j, l, field, err);
	}
	if (!json_is_object(o)) {
		bad_type(err, field, "an object", o);
		return -EINVAL;
	}
	if (!json_object_get(o, "name"))
		bad(err, "%s.name: missing", field);
	json_object_foreach((json_t *)o, key, v)
	{
		join(f, sizeof(f), field, key);
		if (!strcmp(key, "name")) {
			ifname_member(v, l->name, f, err);
		} else if (!strcmp(key, "kind")) {
			if (!json_is_string(v))
				bad_type(err, f, "a string", v);
			else if (!link_kind_parse(json_string_value(v),
						  &l->kind))
				bad(err,
				    "%s: unknown kind %s "
				    "(veth|macvlan|ipvlan|dummy)",
				    f, jrepr(&q, v));
		} else if (!strcmp(key, "up")) {
			bool_member(v, &l->up, f, err);
		} else if (!strcmp(key, "mtu")) {
			if (!json_is_integer(v))
				bad_type(err, f, "an integer", v);
			else if (json_integer_value(v) < 68 ||
				 json_integer_value(v) > 65535)
				bad(err,
				    "%s: %" JSON_INTEGER_FORMAT
				    " out of range (68..65535)",
				    f, json_integer_value(v));
			else
				l->mtu = (uint32_t)json_integer_value(v);
		} else if (!strcmp(key, "peer")) {
			peer = v;
		} else if (!strcmp(key, "parent")) {
			has_parent = true;
			ifname_member(v, l->parent, f, err);
		} else if (!strcmp(key, "mode")) {
			mode = v;
		} else {
			bad(err, "%s: unknown member", f);
		}
	}
	if (peer) {
		snprintf(f, sizeof(f), "%s.peer", field);
		if (l->kind != LX_LINK_VETH)
			bad(err, "%s: only a veth has a peer", f);
		else
			peer_from_json(peer, l, f, err);
	} else if (l->kind == LX_LINK_VETH) {
		bad(err, "%s.peer: a veth needs a peer", field);
	}
	if (l->kind == LX_LINK_MACVLAN || l->kind == LX_LINK_IPVLAN) {
		if (!has_parent)
			bad(err, "%s.parent: a %s needs a parent", field,
			    link_kind_name(l->kind));
	} else if (has_parent) {
		bad(err, "%s.parent: only a macvlan or ipvlan has a parent",
		    field);
	}
	if (mode) {
		const char *const *modes =
		    l->kind == LX_LINK_MACVLAN	? macvlan_modes
		    : l->kind == LX_LINK_IPVLAN ? ipvlan_modes
						: NULL;

		snprintf(f, sizeof(f), "%s.mode", field);
		if (!modes)
			bad(err, "%s: only a macvlan or ipvlan has a mode", f);
		else if (!json_is_string(mode))
			bad_type(err, f, "a string", mode);
		else if (!in_list(json_string_value(mode), modes))
			bad(err, "%s: invalid %s mode %s (%s)", f,
			    link_kind_name(l->kind), jrepr(&q, mode),
			    l->kind == LX_LINK_MACVLAN
				? "private|vepa|bridge|passthru|source"
				: "l2|l3|l3s");
		else
			strcpy(l->mode, json_string_value(mode));
	}
	if (err && err->lines != before)
		return -EINVAL;
	return 0;
}

/*
 * `NAME [KIND] [up|down] [mtu N] [peer NAME] [master IF] [parent IF]
 * [mode M]` → the object form. Only the shape is checked here (known words,
 * values present); the values are validated by link_from_json.
 */
static json_t *link_compact_to_json(const char *s, const char *field,
				    struct lx_error *err)
{
	_cleanup_json_ json_t *o = json_object();
	_cleanup_json_ json_t *peer = NULL;
	const char *master = NULL;
	enum lx_link_kind k;
	struct words w;
	struct qbuf q, q2;
	bool ok = true;

	if (!o)
		return NULL;
	if (split_words(s, &w, field, err) < 0)
		return NULL;
	if (w.n == 0) {
		bad(err, "%s: empty link", field);
		return NULL;
	}
	json_object_set_new(o, "name", json_string(w.w[0]));
	for (size_t i = 1; i < w.n; i++) {
		const char *word = w.w[i];

		if (link_kind_parse(word, &k) && !json_object_get(o, "kind")) {
			json_object_set_new(o, "kind", json_string(word));
		} else if (!strcmp(word, "up") || !strcmp(word, "down")) {
			if (json_object_get(o, "up")) {
				bad(err, "%s: up/down given twice in %s", field,
				    quote(&q, s));
				ok = false;
			}
			json_object_set_new(o, "up",
					    json_boolean(!strcmp(word, "up")));
		} else if (!strcmp(word, "mtu") || !strcmp(word, "peer") ||
			   !strcmp(word, "master") || !strcmp(word, "parent") ||
			   !strcmp(word, "mode")) {
			const char *val;
			uint64_t n;

			if (i + 1 == w.n) {
				bad(err, "%s: \"%s\" needs a value in %s",
				    field, word, quote(&q, s));
				return NULL;
			}
			val = w.w[++i];
			if ((!strcmp(word, "master") && master) ||
			    (strcmp(word, "master") &&
			     json_object_get(o, word))) {
				bad(err, "%s: \"%s\" given twice in %s", field,
				    word, quote(&q, s));
				ok = false;
			}
			if (!strcmp(word, "mtu")) {
				if (!parse_u64(val, &n) || n > INT32_MAX) {
					bad(err,
					    "%s: invalid mtu %s (68..65535)",
					    field, quote(&q, val));
					ok = false;
				} else {
					json_object_set_new(
					    o, "mtu",
					    json_integer((json_int_t)n));
				}
			} else if (!strcmp(word, "master")) {
				master = val;
			} else {
				json_object_set_new(o, word, json_string(val));
			}
		} else {
			/* The rest of the item cannot be read (see
			 * parse_keywords). */
			bad(err, "%s: unknown word %s in %s", field,
			    quote(&q, word), quote(&q2, s));
			ok = false;
			break;
		}
	}
	if (master) {
		json_t *p = json_object_get(o, "peer");

		if (!p) {
			bad(err, "%s: \"master\" without \"peer\" in %s", field,
			    quote(&q, s));
			return NULL;
		}
		peer = json_pack("{s:O,s:s}", "name", p, "master", master);
		if (!peer)
			return NULL;
		json_object_set(o, "peer", peer);
	}
	return ok ? TAKE_PTR(o) : NULL;
}

/* ---------------------------------------------------- sysctl and cgroup */

/* Sysctl names are the same when they differ only in the separator: the
 * kernel reads net.ipv4.ip_forward and net/ipv4/ip_forward as one file. */
static bool sysctl_same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '.' || *a == '/') &&
				  (*b == '.' || *b == '/')))
			return false;
	return *a == *b;
}

static void sysctl_from_json(const json_t *o, struct lx_kvs *kvs,
			     struct lx_error *err)
{
	const char *key;
	struct qbuf q;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		bad_type(err, "sysctl", "an object", o);
		return;
	}
	if (json_object_size(o) > MAX_ITEMS) {
		bad(err, "sysctl: too many entries (%zu, max %d)",
		    json_object_size(o), MAX_ITEMS);
		return;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		char num[32];
		const char *val = NULL, *dup;

		join(f, sizeof(f), "sysctl", key);
		if (!*key) {
			bad(err, "sysctl: empty key");
			continue;
		}
		/* Two spellings of one file would fight over its value on
		 * every pass. */
		dup = NULL;
		for (size_t i = 0; i < kvs->n && !dup; i++)
			if (sysctl_same_name(kvs->v[i].key, key))
				dup = kvs->v[i].key;
		if (dup) {
			struct qbuf q2;

			bad(err, "%s: duplicate sysctl %s (same file as %s)", f,
			    quote(&q, key), quote(&q2, dup));
			continue;
		}
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			val = num;
		} else if (json_is_string(v)) {
			val = json_string_value(v);
			if (!*val) {
				bad(err, "%s: empty value", f);
				continue;
			}
			/* lx_sysctl_write would refuse it on every pass. */
			if (strlen(val) > LX_SYSCTL_VALUE_MAX) {
				bad(err, "%s: value too long (%zu bytes, max %d)",
				    f, strlen(val), LX_SYSCTL_VALUE_MAX);
				continue;
			}
			for (const char *c = val; *c; c++)
				if ((unsigned char)*c < 0x20 && *c != '\t') {
					bad(err,
					    "%s: control character in value %s",
					    f, jrepr(&q, v));
					val = NULL;
					break;
				}
			if (!val)
				continue;
		} else {
			bad_type(err, f, "an integer or a string", v);
			continue;
		}
		if (lx_kvs_add(kvs, key, val) < 0) {
			lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "sysctl");
			return;
		}
	}
}

/* A size: integer bytes, or digits with a binary K/M/G/T suffix. */
static bool parse_size(const char *s, uint64_t *out)
{
	char digits[24];
	size_t n = strspn(s, "0123456789");
	uint64_t v, mult = 1;
	const char *suf = s + n;

	if (n == 0 || n >= sizeof(digits))
		return false;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (!parse_u64(digits, &v))
		return false;
	if (*suf) {
		switch (*suf++) {
		case 'k':
		case 'K':
			mult = 1ull << 10;
			break;
		case 'm':
		case 'M':
			mult = 1ull << 20;
			break;
		case 'g':
		case 'G':
			mult = 1ull << 30;
			break;
		case 't':
		case 'T':
			mult = 1ull << 40;
			break;
		default:
			return false;
		}
		if (*suf == 'i')
			suf++;
		if (*suf == 'B')
			suf++;
		if (*suf)
			return false;
	}
	if (v > (uint64_t)INT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

/* Integer or string of digits; false when neither. */
static bool int_or_digits(const json_t *v, uint64_t *out, bool *overflow)
{
	*overflow = false;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return false;
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (*s && strspn(s, "0123456789") == strlen(s) &&
		    !parse_u64(s, out)) {
			*overflow = true;
			return false;
		}
		return parse_u64(s, out);
	}
	return false;
}

#define CPU_QUOTA_MAX ((1ull << 44) - 1) /* the kernel's max_cfs_runtime */

static int cgroup_value(const char *key, const json_t *v, char *out,
			size_t outlen, const char *f, struct lx_error *err)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	struct qbuf q;
	uint64_t n;
	bool ovf;

	if (!json_is_string(v) && !json_is_integer(v)) {
		bad_type(err, f, "an integer or a string", v);
		return -EINVAL;
	}
	if (!strncmp(key, "memory.", 7)) {
		if (s && !strcmp(s, "max")) {
			snprintf(out, outlen, "max");
			return 0;
		}
		if (json_is_integer(v) && json_integer_value(v) >= 0) {
			snprintf(out, outlen, "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			return 0;
		}
		if (s && parse_size(s, &n)) {
			snprintf(out, outlen, "%" PRIu64, n);
			return 0;
		}
		bad(err,
		    "%s: invalid size %s (bytes, with K/M/G/T, or \"max\")", f,
		    jrepr(&q, v));
		return -EINVAL;
	}
	if (!strcmp(key, "pids.max")) {
		if (s && !strcmp(s, "max")) {
			snprintf(out, outlen, "max");
			return 0;
		}
		if (int_or_digits(v, &n, &ovf) && n >= 1 &&
		    n <= (uint64_t)INT64_MAX) {
			snprintf(out, outlen, "%" PRIu64, n);
			return 0;
		}
		bad(err, "%s: invalid value %s (1.. or \"max\")", f,
		    jrepr(&q, v));
		return -EINVAL;
	}
	if (!strcmp(key, "cpu.weight")) {
		if (int_or_digits(v, &n, &ovf) && n >= 1 && n <= 10000) {
			snprintf(out, outlen, "%" PRIu64, n);
			return 0;
		}
		bad(err, "%s: %s out of range (1..10000)", f, jrepr(&q, v));
		return -EINVAL;
	}
	/* cpu.max: "QUOTA PERIOD" | "max PERIOD" | "QUOTA" | "max" */
	{
		char quota[32] = "", period[32] = "", extra[2] = "";
		uint64_t qv = 0, pv = 100000;
		int nf;

		if (json_is_integer(v)) {
			snprintf(quota, sizeof(quota), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			nf = 1;
		} else {
			nf = sscanf(s, "%31s %31s %1s", quota, period, extra);
		}
		if (nf < 1 || nf > 2) {
			bad(err,
			    "%s: invalid value %s (\"QUOTA PERIOD\", \"max "
			    "PERIOD\", \"QUOTA\" or \"max\")",
			    f, jrepr(&q, v));
			return -EINVAL;
		}
		if (nf == 2 &&
		    (!parse_u64(period, &pv) || pv < 1000 || pv > 1000000)) {
			bad(err,
			    "%s: period %s out of range (1000..1000000) in %s",
			    f, period, jrepr(&q, v));
			return -EINVAL;
		}
		if (!strcmp(quota, "max")) {
			snprintf(out, outlen, "max %" PRIu64, pv);
			return 0;
		}
		if (!parse_u64(quota, &qv) || qv < 1000 || qv > CPU_QUOTA_MAX) {
			bad(err,
			    "%s: quota out of range (1000..%llu or \"max\") in "
			    "%s",
			    f, CPU_QUOTA_MAX, jrepr(&q, v));
			return -EINVAL;
		}
		snprintf(out, outlen, "%" PRIu64 " %" PRIu64, qv, pv);
		return 0;
	}
}

static void cgroup_from_json(const json_t *o, struct lx_kvs *kvs,
			     struct lx_error *err)
{
	static const char *const keys[] = {
	    "memory.max", "memory.high", "memory.swap.max",
	    "pids.max",	  "cpu.max",	 "cpu.weight",
	    NULL};
	const char *key;
	struct qbuf q;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		bad_type(err, "cgroup", "an object", o);
		return;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		char val[64];

		join(f, sizeof(f), "cgroup", key);
		if (!in_list(key, keys)) {
			bad(err,
			    "cgroup: unknown key %s "
			    "(memory.max|memory.high|memory.swap.max|pids.max|"
			    "cpu.max|cpu.weight)",
			    quote(&q, key));
			continue;
		}
		if (cgroup_value(key, v, val, sizeof(val), f, err) < 0)
			continue;
		if (lx_kvs_add(kvs, key, val) < 0) {
			lx_error_add(err, LX_ERR_SYSTEM, ENOMEM, "cgroup");
			return;
		}
	}
}

/* --------------------------------------------------------------- options */

static void u32_option(const json_t *v, uint32_t *dst, json_int_t max,
		       const char *f, struct lx_error *err)
{
	if (!json_is_integer(v))
		bad_type(err, f, "an integer", v);
	else if (json_integer_value(v) < 0 || json_integer_value(v) > max)
		bad(err,
		    "%s: %" JSON_INTEGER_FORMAT
		    " out of range (0..%" JSON_INTEGER_FORMAT ")",
		    f, json_integer_value(v), max);
	else
		*dst = (uint32_t)json_integer_value(v);
}

static void bool_option(const json_t *v, bool *dst, const char *f,
			struct lx_error *err)
{
	int b;

	if (bool_member(v, &b, f, err))
		*dst = b;
}

static void options_from_json(const json_t *o, struct lx_options *opts,
			      struct lx_error *err)
{
	const char *key;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		bad_type(err, "options", "an object", o);
		return;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		join(f, sizeof(f), "options", key);
		if (!strcmp(key, "interval_ms")) {
			u32_option(v, &opts->interval_ms, 86400000, f, err);
		} else if (!strcmp(key, "debounce_ms")) {
			u32_option(v, &opts->debounce_ms, 60000, f, err);
		} else if (!strcmp(key, "protocol")) {
			json_int_t p = json_integer_value(v);

			if (!json_is_integer(v))
				bad_type(err, f, "an integer", v);
			else if (p >= 0 && p <= 4)
				bad(err,
				    "%s: %" JSON_INTEGER_FORMAT
				    " is reserved for the kernel (use 5..255)",
				    f, p);
			else if (p < 0 || p > 255)
				bad(err,
				    "%s: %" JSON_INTEGER_FORMAT
				    " out of range (5..255)",
				    f, p);
			else
				opts->protocol = (uint8_t)p;
		} else if (!strcmp(key, "monitor")) {
			bool_option(v, &opts->monitor, f, err);
		} else if (!strcmp(key, "revert_on_release")) {
			bool_option(v, &opts->revert_on_release, f, err);
		} else if (!strcmp(key, "require_converged")) {
			bool_option(v, &opts->require_converged, f, err);
		} else {
			bad(err, "%s: unknown member", f);
		}
	}
}

/* --------------------------------------------------------------- network */

/* Orders whose equality is "the same object" for the duplicate check. */
static int addr_order(const void *x, const void *y)
{
	const struct lx_addr *a = x, *b = y;
	int c = strcmp(a->dev, b->dev);

	if (c)
		return c;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static int route_order(const void *x, const void *y)
{
	const struct lx_route *a = x, *b = y;

#define ORDER(m)                                                               \
	if (a->m != b->m)                                                      \
		return a->m < b->m ? -1 : 1;
	ORDER(family)
	ORDER(table)
	ORDER(dst_len)
	ORDER(metric)
#undef ORDER
	return memcmp(&a->dst, &b->dst, sizeof(a->dst));
}

/* A duplicate: element `later` equals the earlier element `first`. */
struct dup {
	size_t first, later;
};

struct dup_sort {
	const char *base;
	size_t size;
	int (*order)(const void *, const void *);
};

static int dup_cmp(const void *x, const void *y, void *ctx)
{
	const struct dup_sort *ds = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = ds->order(ds->base + i * ds->size, ds->base + j * ds->size);

	if (c)
		return c;
	return i < j ? -1 : i > j;
}

static int dup_by_input(const void *x, const void *y, void *ctx)
{
	const size_t *src = ctx;
	size_t i = src[((const struct dup *)x)->later];
	size_t j = src[((const struct dup *)y)->later];

	return i < j ? -1 : i > j;
}

/*
 * Find the elements of base[0..n) equal under `order` to an earlier one,
 * in O(n log n); *out lists them ordered by the later element's position
 * in the input (`src` maps an element to that position). Returns how many.
 */
static size_t find_dups(const void *base, size_t size, size_t n,
			int (*order)(const void *, const void *),
			const size_t *src, struct dup **out)
{
	struct dup_sort ds = {base, size, order};
	_cleanup_free_ size_t *idx = NULL;
	struct dup *d;
	size_t nd = 0, first = 0;

	*out = NULL;
	if (n < 2)
		return 0;
	idx = calloc(n, sizeof(*idx));
	d = calloc(n, sizeof(*d));
	if (!idx || !d) {
		free(d);
		return 0;
	}
	for (size_t k = 0; k < n; k++)
		idx[k] = k;
	qsort_r(idx, n, sizeof(*idx), dup_cmp, &ds);
	for (size_t k = 0; k < n; k++) {
		if (k == 0 || order(ds.base + idx[k - 1] * size,
				    ds.base + idx[k] * size))
			first = idx[k];
		else
			d[nd++] = (struct dup){first, idx[k]};
	}
	qsort_r(d, nd, sizeof(*d), dup_by_input, (void *)src);
	*out = d;
	return nd;
}

static const json_t *array_member(const json_t *v, const char *f,
				  struct lx_error *err)
{
	if (!json_is_array(v)) {
		bad_type(err, f, "an array", v);
		return NULL;
	}
	if (json_array_size(v) > MAX_ITEMS) {
		bad(err, "%s: too many entries (%zu, max %d)", f,
		    json_array_size(v), MAX_ITEMS);
		return NULL;
	}
	return v;
}

static int links_from_json(const json_t *arr, struct lx_desired *d,
			   struct lx_error *err)
{
	size_t i;
	json_t *v;
	char f[64];

	d->links = calloc(json_array_size(arr) + 1, sizeof(*d->links));
	if (!d->links)
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		struct lx_link *l = &d->links[d->n_links];

		snprintf(f, sizeof(f), "network.links[%zu]", i);
		if (link_from_json(v, l, f, err) < 0)
			continue;
		for (size_t j = 0; j < d->n_links; j++) {
			if (!strcmp(d->links[j].name, l->name)) {
				bad(err, "%s.name: duplicate link \"%s\"", f,
				    l->name);
				goto next;
			}
			if (l->peer[0] && !strcmp(d->links[j].peer, l->peer)) {
				bad(err, "%s.peer: duplicate peer \"%s\"", f,
				    l->peer);
				goto next;
			}
		}
		d->n_links++;
	next:;
	}
	return 0;
}

static int addrs_from_json(const json_t *arr, struct lx_desired *d,
			   struct lx_error *err)
{
	size_t i, nd;
	json_t *v;
	char f[64], buf[128];
	_cleanup_free_ size_t *src = NULL;
	struct dup *dups = NULL;

	d->addrs = calloc(json_array_size(arr) + 1, sizeof(*d->addrs));
	src = calloc(json_array_size(arr) + 1, sizeof(*src));
	if (!d->addrs || !src)
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		struct lx_addr *a = &d->addrs[d->n_addrs];
		int r;

		snprintf(f, sizeof(f), "network.addresses[%zu]", i);
		if (json_is_string(v)) {
			r = lx_addr_parse(json_string_value(v), a, f, err);
		} else if (json_is_object(v)) {
			struct addr_in in = {0};
			const char *key;
			json_t *m;
			char mf[512];
			unsigned int before = err ? err->lines : 0;

			json_object_foreach(v, key, m)
			{
				const char **dst =
				    !strcmp(key, "dev")	      ? &in.dev
				    : !strcmp(key, "address") ? &in.address
				    : !strcmp(key, "peer")    ? &in.peer
				    : !strcmp(key, "scope")   ? &in.scope
							      : NULL;

				join(mf, sizeof(mf), f, key);
				if (!strcmp(key, "nodad")) {
					int b;

					if (bool_member(m, &b, mf, err))
						in.nodad = b;
				} else if (!dst) {
					bad(err, "%s: unknown member", mf);
				} else if (!json_is_string(m)) {
					bad_type(err, mf, "a string", m);
				} else {
					*dst = json_string_value(m);
				}
			}
			r = addr_build(&in, a, f, err);
			if (err && err->lines != before)
				r = -EINVAL;
		} else {
			bad_type(err, f, "a string or an object", v);
			continue;
		}
		if (r < 0)
			continue;
		src[d->n_addrs++] = i;
	}
	nd = find_dups(d->addrs, sizeof(*d->addrs), d->n_addrs, addr_order,
		       src, &dups);
	for (size_t k = 0; k < nd; k++)
		bad(err,
		    "network.addresses[%zu]: duplicate address \"%s\" (same "
		    "as network.addresses[%zu])",
		    src[dups[k].later],
		    lx_addr_format(&d->addrs[dups[k].later], buf, sizeof(buf)),
		    src[dups[k].first]);
	free(dups);
	return 0;
}

static int routes_from_json(const json_t *arr, struct lx_desired *d,
			    struct lx_error *err)
{
	size_t i, nd;
	json_t *v;
	char f[64], buf[256];
	_cleanup_free_ size_t *src = NULL;
	struct dup *dups = NULL;

	d->routes = calloc(json_array_size(arr) + 1, sizeof(*d->routes));
	src = calloc(json_array_size(arr) + 1, sizeof(*src));
	if (!d->routes || !src)
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		struct lx_route *r = &d->routes[d->n_routes];
		int rc;

		snprintf(f, sizeof(f), "network.routes[%zu]", i);
		if (json_is_string(v)) {
			rc = lx_route_parse(json_string_value(v), r, f, err);
		} else if (json_is_object(v)) {
			struct route_in in = {0};
			char nums[3][32];
			const char *key;
			json_t *m;
			char mf[512];
			unsigned int before = err ? err->lines : 0;

			json_object_foreach(v, key, m)
			{
				static const char *const strs[] = {
				    "dst", "via", "dev", "src", "scope"};
				static const char *const ints[] = {
				    "metric", "table", "mtu"};
				const char **sdst[] = {&in.dst, &in.via,
						       &in.dev, &in.src,
						       &in.scope};
				const char **idst[] = {&in.metric, &in.table,
						       &in.mtu};
				bool known = false;

				join(mf, sizeof(mf), f, key);
				for (size_t k = 0; k < 5; k++) {
					if (strcmp(key, strs[k]))
						continue;
					known = true;
					if (!json_is_string(m))
						bad_type(err, mf, "a string",
							 m);
					else
						*sdst[k] = json_string_value(m);
				}
				for (size_t k = 0; k < 3; k++) {
					if (strcmp(key, ints[k]))
						continue;
					known = true;
					if (!json_is_integer(m) &&
					    !(k == 1 && json_is_string(m) &&
					      !strcmp(json_string_value(m),
						      "main"))) {
						bad_type(err, mf, "an integer",
							 m);
						continue;
					}
					if (json_is_string(m))
						snprintf(nums[k],
							 sizeof(nums[k]),
							 "main");
					else
						snprintf(
						    nums[k], sizeof(nums[k]),
						    "%" JSON_INTEGER_FORMAT,
						    json_integer_value(m));
					*idst[k] = nums[k];
				}
				if (!known)
					bad(err, "%s: unknown member", mf);
			}
			rc = route_build(&in, r, f, err);
			if (err && err->lines != before)
				rc = -EINVAL;
		} else {
			bad_type(err, f, "a string or an object", v);
			continue;
		}
		if (rc < 0)
			continue;
		src[d->n_routes++] = i;
	}
	/* Duplicates by sorting, not pairwise: 10,000 routes are a normal
	 * document and n^2 compares would cost more than the pass. */
	nd = find_dups(d->routes, sizeof(*d->routes), d->n_routes, route_order,
		       src, &dups);
	for (size_t k = 0; k < nd; k++) {
		bad(err,
		    "network.routes[%zu]: duplicate route \"%s\" (same "
		    "destination, table and metric as network.routes[%zu])",
		    src[dups[k].later],
		    lx_route_format(&d->routes[dups[k].later], false, buf,
				    sizeof(buf)),
		    src[dups[k].first]);
	}
	free(dups);
	return 0;
}

static int network_from_json(const json_t *o, struct lx_desired *d,
			     struct lx_error *err)
{
	const char *key;
	char f[512];
	json_t *v;
	int r = 0;

	if (!json_is_object(o)) {
		bad_type(err, "network", "an object", o);
		return 0;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		join(f, sizeof(f), "network", key);
		if (!strcmp(key, "links")) {
			if (array_member(v, f, err))
				r = r ?: links_from_json(v, d, err);
		} else if (!strcmp(key, "addresses")) {
			if (array_member(v, f, err))
				r = r ?: addrs_from_json(v, d, err);
		} else if (!strcmp(key, "routes")) {
			if (array_member(v, f, err))
				r = r ?: routes_from_json(v, d, err);
		} else {
			bad(err, "%s: unknown member", f);
		}
	}
	return r;
}

int lx_desired_from_json(const json_t *doc, struct lx_desired *d,
			 struct lx_error *err)
{
	struct lx_error local;
	const char *key;
	json_t *v;
	int r = 0;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	/* Count problems in a private error so a caller's earlier lines do
	 * not make a valid document look invalid. */
	lx_error_clear(&local);
	if (!json_is_object(doc)) {
		bad_type(&local, "document", "an object", doc);
	} else {
		json_object_foreach((json_t *)doc, key, v)
		{
			if (!strcmp(key, "network"))
				r = r ?: network_from_json(v, d, &local);
			else if (!strcmp(key, "sysctl"))
				sysctl_from_json(v, &d->sysctl, &local);
			else if (!strcmp(key, "cgroup"))
				cgroup_from_json(v, &d->cgroup, &local);
			else if (!strcmp(key, "options"))
				options_from_json(v, &d->opts, &local);
			else {
				char f[512];

				bad(&local, "%s: unknown member",
				    join(f, sizeof(f), "", key) + 1);
			}
		}
	}
	if (r < 0) {
		lx_desired_free(d);
		return lx_error_add(err, LX_ERR_SYSTEM, -r, "desired state");
	}
	if (local.lines) {
		const char *line = local.msg;

		lx_desired_free(d);
		while (line && *line) {
			const char *nl = strchr(line, '\n');
			int n = nl ? (int)(nl - line) : (int)strlen(line);

			lx_error_add(err, local.kind, 0, "%.*s", n, line);
			line = nl ? nl + 1 : NULL;
		}
		return local.kind == LX_ERR_SYSTEM ? -ENOMEM : -EINVAL;
	}
	return 0;
}

int lx_desired_from_string(const char *text, size_t len, struct lx_desired *d,
			   struct lx_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	json_error_t je;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return lx_error_add(err, LX_ERR_INVALID, 0,
				    "invalid JSON at line %d column %d: %s",
				    je.line, je.column, je.text);
	return lx_desired_from_json(doc, d, err);
}

int lx_desired_from_file(const char *path, struct lx_desired *d,
			 struct lx_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	bool is_stdin = !strcmp(path, "-");
	struct lx_error local;
	int r;

	memset(d, 0, sizeof(*d));
	lx_options_init(&d->opts);
	if (!is_stdin) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return lx_error_add(err,
					    errno == ENOENT ? LX_ERR_NOTFOUND
							    : LX_ERR_INVALID,
					    errno, "desired state %s", path);
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			if (cap >= MAX_FILE)
				return lx_error_add(
				    err, LX_ERR_INVALID, 0,
				    "desired state %s: larger than %u bytes",
				    path, MAX_FILE);
			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap + 1);
			if (!p)
				return lx_error_add(err, LX_ERR_SYSTEM, ENOMEM,
						    "desired state %s", path);
			buf = p;
		}
		n = read(is_stdin ? STDIN_FILENO : fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lx_error_add(err, LX_ERR_INVALID, errno,
					    "desired state %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	lx_error_clear(&local);
	r = lx_desired_from_string(buf ? buf : "", len, d, &local);
	if (r < 0) {
		lx_error_wrap(&local, "%s", is_stdin ? "<stdin>" : path);
		const char *line = local.msg;

		while (line && *line) {
			const char *nl = strchr(line, '\n');
			int n = nl ? (int)(nl - line) : (int)strlen(line);

			lx_error_add(err, local.kind, 0, "%.*s", n, line);
			line = nl ? nl + 1 : NULL;
		}
	}
	return r;
}

/* ------------------------------------------------------------ to JSON */

static json_t *link_to_json(const struct lx_link *l)
{
	json_t *o = json_object();
	const char *k = link_kind_name(l->kind);

	if (!o)
		return NULL;
	json_object_set_new(o, "name", json_string(l->name));
	if (k)
		json_object_set_new(o, "kind", json_string(k));
	if (l->up != LX_UNSET)
		json_object_set_new(o, "up", json_boolean(l->up));
	if (l->mtu)
		json_object_set_new(o, "mtu", json_integer(l->mtu));
	if (l->peer[0]) {
		json_t *p = json_pack("{s:s}", "name", l->peer);

		if (p && l->master[0])
			json_object_set_new(p, "master",
					    json_string(l->master));
		if (p && l->peer_up != LX_UNSET)
			json_object_set_new(p, "up", json_boolean(l->peer_up));
		json_object_set_new(o, "peer", p);
	}
	if (l->parent[0])
		json_object_set_new(o, "parent", json_string(l->parent));
	if (l->mode[0])
		json_object_set_new(o, "mode", json_string(l->mode));
	return o;
}

json_t *lx_desired_to_json(const struct lx_desired *d)
{
	_cleanup_json_ json_t *doc = NULL;
	json_t *links, *addrs, *routes, *sysctl, *cgroup, *opts;
	char buf[512];

	doc = json_pack(
	    "{s:{s:[],s:[],s:[]},s:{},s:{},s:{s:I,s:I,s:b,s:I,s:b,s:b}}",
	    "network", "links", "addresses", "routes", "sysctl", "cgroup",
	    "options", "interval_ms", (json_int_t)d->opts.interval_ms,
	    "debounce_ms", (json_int_t)d->opts.debounce_ms, "monitor",
	    d->opts.monitor, "protocol", (json_int_t)d->opts.protocol,
	    "revert_on_release", d->opts.revert_on_release, "require_converged",
	    d->opts.require_converged);
	if (!doc)
		return NULL;
	links = json_object_get(json_object_get(doc, "network"), "links");
	addrs = json_object_get(json_object_get(doc, "network"), "addresses");
	routes = json_object_get(json_object_get(doc, "network"), "routes");
	sysctl = json_object_get(doc, "sysctl");
	cgroup = json_object_get(doc, "cgroup");
	opts = json_object_get(doc, "options");
	(void)opts;
	for (size_t i = 0; i < d->n_links; i++)
		if (json_array_append_new(links, link_to_json(&d->links[i])))
			return NULL;
	for (size_t i = 0; i < d->n_addrs; i++)
		if (json_array_append_new(
			addrs, json_string(lx_addr_format(&d->addrs[i], buf,
							  sizeof(buf)))))
			return NULL;
	for (size_t i = 0; i < d->n_routes; i++) {
		const struct lx_route *r = &d->routes[i];
		char *s = buf;

		lx_route_format(r, false, buf + 8, sizeof(buf) - 8);
		/* lx_route_format writes "default" for any /0, which the
		 * grammar reads as IPv4 unless a gateway or source says
		 * otherwise: spell an IPv6 one out. */
		if (r->family == AF_INET6 && r->dst_len == 0 && !r->has_gw &&
		    !r->has_src) {
			s = buf + 8 + strlen("default") - strlen("::/0");
			memcpy(s, "::/0", 4);
		} else {
			s = buf + 8;
		}
		if (json_array_append_new(routes, json_string(s)))
			return NULL;
	}
	for (size_t i = 0; i < d->sysctl.n; i++)
		if (json_object_set_new(sysctl, d->sysctl.v[i].key,
					json_string(d->sysctl.v[i].value)))
			return NULL;
	for (size_t i = 0; i < d->cgroup.n; i++)
		if (json_object_set_new(cgroup, d->cgroup.v[i].key,
					json_string(d->cgroup.v[i].value)))
			return NULL;
	return TAKE_PTR(doc);
}
