/* SPDX-License-Identifier: MIT */
/*
 * String grammars of the desired document: prefixes, `DEV ADDR/PREFIX`
 * addresses and `ip route`-like routes, and the message helpers shared by
 * the parsers of tenant input (lib/desired.c). See grammar.h.
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

#include "format.h"
#include "grammar.h"

/* ------------------------------------------------------------- helpers */

/* A printable, escaped, bounded rendering of a value for error messages:
 * tenant text must not be able to break the one-line-per-problem format. */

const char *lx_text_quote(struct lx_qbuf *q, const char *s)
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
const char *lx_field_join(char *f, size_t n, const char *base, const char *key)
{
	/* An annotation's compact item is named by its quoted text
	 * (`io.linx.links: item 2 "eth0 mtu 9000"`): its members follow
	 * after ": ", a document path's after ".". */
	size_t bl = strlen(base);
	size_t o = (size_t)snprintf(f, n, "%s%s", base,
				    bl && base[bl - 1] == '"' ? ": " : ".");

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

const char *lx_jrepr(struct lx_qbuf *q, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return lx_text_quote(q, json_string_value(v));
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

LX_PRINTF(2, 3) int lx_bad(struct lx_error *err, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return lx_error_add(err, LX_ERR_INVALID, 0, "%s", line);
}

int lx_bad_type(struct lx_error *err, const char *field, const char *want,
		const json_t *v)
{
	struct lx_qbuf q;

	return lx_bad(err, "%s: expected %s, got %s", field, want,
		      lx_jrepr(&q, v));
}

/* Strict unsigned decimal: digits only, no sign, no spaces, no overflow. */
bool lx_parse_u64(const char *s, uint64_t *out)
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

const char *lx_ifname_problem(const char *s)
{
	size_t n = strlen(s);

	/*
	 * The kernel's dev_valid_name(), so that a name is stored verbatim:
	 * its isspace() also counts 0xa0 (Latin-1 no-break space). A '%'
	 * is a template the kernel expands ("rq%d" becomes "rq0"): the
	 * name it stores is not the one asked for, so the next pass would
	 * not find it and create another.
	 */
	if (n == 0)
		return "empty";
	if (n >= IFNAMSIZ)
		return "longer than 15 bytes";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "\".\" and \"..\" are not names";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '%')
			return "'%' (the kernel would expand it)";
		if (c == '/' || c == ':')
			return "'/' and ':' are not allowed";
		if (isspace(c) || c == 0xa0)
			return "whitespace is not allowed";
		if (c < 0x20 || c == 0x7f)
			return "control characters are not allowed";
	}
	return NULL;
}

bool lx_ifname_valid(const char *s)
{
	return lx_ifname_problem(s) == NULL;
}

int lx_bad_ifname(struct lx_error *err, const char *field, const char *name)
{
	struct lx_qbuf q;

	return lx_bad(err, "%s: invalid interface name %s: %s", field,
		      lx_text_quote(&q, name), lx_ifname_problem(name));
}

static bool word_sep(char c)
{
	return (unsigned char)c <= ' ' &&
	       (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* The end of the word at p: the first separator or the NUL at e. Eight
 * bytes at a time while none is below 0x21 (exact as a yes or no: a
 * borrow starts only at such a byte), then one at a time. */
static char *word_end(char *p, const char *e)
{
	const uint64_t ones = 0x0101010101010101ull;

	while (e - p >= 8) {
		uint64_t x;

		memcpy(&x, p, 8);
		if ((x - 0x21 * ones) & ~x & (0x80 * ones))
			break;
		p += 8;
	}
	while (*p && !word_sep(*p))
		p++;
	return p;
}

/* strtok_r's split with one copy and no per-word library calls: words
 * are the runs of non-separators, each NUL-terminated in w->buf. */
int lx_split_words(const char *s, struct lx_words *w, const char *field,
		   struct lx_error *err)
{
	struct lx_qbuf q;
	size_t len = strlen(s);
	char *p;

	w->n = 0;
	if (len > LX_ITEM_MAX) {
		return lx_bad(err, "%s: item too long (%zu bytes, max %d): %s",
			      field, len, LX_ITEM_MAX, lx_text_quote(&q, s));
	}
	memcpy(w->buf, s, len + 1);
	for (p = w->buf;;) {
		while (word_sep(*p))
			p++;
		if (!*p)
			break;
		if (w->n == LX_ITEM_WORDS_MAX) {
			return lx_bad(err, "%s: too many words (max %d) in %s",
				      field, LX_ITEM_WORDS_MAX,
				      lx_text_quote(&q, s));
		}
		w->w[w->n++] = p;
		p = word_end(p, w->buf + len);
		if (!*p)
			break;
		*p++ = '\0';
	}
	return 0;
}

/* -------------------------------------------------------------- prefixes */

/*
 * "A.B.C.D" or "A.B.C.D/N" with N of 1..3 digits and at most 32, the
 * common case of prefix_parse in one pass over the text, with its result;
 * false sends anything else (or anything unsure) to the general path.
 */
static bool ipv4_prefix_fast(const char *s, struct in_addr *a, uint8_t *len,
			     bool *has_len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int l = 0, c;
	uint32_t addr = 0;

	/* Octets of 1..3 digits, no leading zero, at most 255. */
	for (int k = 0; k < 4; k++) {
		unsigned int v = (unsigned int)(*p++ - '0');

		if (v > 9)
			return false;
		if ((c = (unsigned int)(*p - '0')) <= 9) {
			if (v == 0)
				return false;
			v = v * 10 + c;
			if ((c = (unsigned int)(*++p - '0')) <= 9) {
				v = v * 10 + c;
				p++;
				if (v > 255)
					return false;
			}
		}
		addr = addr << 8 | v;
		if (k < 3 && *p++ != '.')
			return false;
	}
	if (*p == '/') {
		const unsigned char *d = ++p;

		for (; p - d < 3 && (c = (unsigned int)(*p - '0')) <= 9; p++)
			l = l * 10 + c;
		if (p == d || *p || l > 32)
			return false;
		*has_len = true;
	} else if (*p) {
		return false;
	} else {
		l = 32;
		*has_len = false;
	}
	a->s_addr = htonl(addr);
	*len = (uint8_t)l;
	return true;
}

/*
 * Internal form of lx_prefix_parse: 0, -EINVAL (not an address), -ERANGE
 * (prefix length out of range or malformed), -EAFNOSUPPORT (wrong family).
 */
static int prefix_parse(const char *s, int family, union lx_inaddr *a,
			uint8_t *len, uint8_t *fam_out, bool *has_len)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t iplen;
	union lx_inaddr tmp;
	uint64_t l = 0;
	uint8_t l8;
	bool hl;
	int fam;

	memset(&tmp, 0, sizeof(tmp));
	if (ipv4_prefix_fast(s, &tmp.v4, &l8, &hl)) {
		if (family && family != AF_INET)
			return -EAFNOSUPPORT;
		*a = tmp;
		*len = l8;
		if (fam_out)
			*fam_out = AF_INET;
		if (has_len)
			*has_len = hl;
		return 0;
	}
	slash = strchr(s, '/');
	iplen = slash ? (size_t)(slash - s) : strlen(s);
	if (iplen == 0 || iplen >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (inet_pton(AF_INET, ip, &tmp.v4) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, &tmp.v6) == 1)
		fam = AF_INET6;
	else
		return -EINVAL;
	if (family && family != fam)
		return -EAFNOSUPPORT;
	if (slash) {
		if (strlen(slash + 1) > 3 || !lx_parse_u64(slash + 1, &l) ||
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
	if (!route && lx_parse_u64(s, &v) && v <= 255) {
		*out = (int)v;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------- addresses */

/*
 * `broadcast ADDR|+|-` (ip(8)'s brd): IPv4 only; + sets the host bits of
 * the address, - clears them, and like ip(8) neither gives a broadcast to
 * a /31 or /32. An unparsed address (family 0) is left to its own error.
 */
static int brd_parse(const char *s, struct lx_addr *a)
{
	uint32_t host;

	if (a->family != AF_INET)
		return a->family ? -EAFNOSUPPORT : 0;
	if (strcmp(s, "+") && strcmp(s, "-")) {
		if (inet_pton(AF_INET, s, &a->brd) != 1)
			return -EINVAL;
		a->has_brd = true;
		return 0;
	}
	if (a->prefixlen > 30)
		return 0;
	host = a->prefixlen ? (1u << (32 - a->prefixlen)) - 1 : UINT32_MAX;
	a->brd.s_addr = s[0] == '+' ? a->addr.v4.s_addr | htonl(host)
				    : a->addr.v4.s_addr & ~htonl(host);
	a->has_brd = true;
	return 0;
}

int lx_addr_build(const struct lx_addr_in *in, struct lx_addr *a,
		  const char *field, struct lx_error *err)
{
	int invalid = 0;
	struct lx_qbuf q, q2;
	uint8_t plen;
	int r;

	memset(a, 0, sizeof(*a));
	a->scope = LX_UNSET;
	a->nodad = in->nodad;
	a->noprefixroute = in->noprefixroute;
	if (!in->dev)
		invalid = lx_bad(err, "%s: missing device", field);
	else if (!lx_ifname_valid(in->dev))
		invalid = lx_bad_ifname(err, field, in->dev);
	else
		strcpy(a->dev, in->dev);
	if (!in->address) {
		invalid = lx_bad(err, "%s: missing address", field);
	} else {
		r = prefix_parse(in->address, 0, &a->addr, &a->prefixlen,
				 &a->family, NULL);
		if (r == -ERANGE)
			invalid = lx_bad(err, "%s: invalid prefix length in %s",
					 field, lx_text_quote(&q, in->address));
		else if (r < 0)
			invalid = lx_bad(err, "%s: invalid address %s", field,
					 lx_text_quote(&q, in->address));
	}
	if (in->peer) {
		bool has_len = false;

		r = prefix_parse(in->peer, a->family, &a->peer, &plen, NULL,
				 &has_len);
		if (r == -EAFNOSUPPORT)
			invalid = lx_bad(
			    err, "%s: peer %s is not %s like address %s", field,
			    lx_text_quote(&q, in->peer), fam_name(a->family),
			    lx_text_quote(&q2, in->address));
		else if (r < 0 || has_len)
			invalid = lx_bad(err, "%s: invalid peer address %s",
					 field, lx_text_quote(&q, in->peer));
		else
			a->has_peer = true;
	}
	if (in->brd && brd_parse(in->brd, a) < 0)
		invalid = lx_bad(
		    err,
		    "%s: invalid broadcast %s (an IPv4 address, + or -, on "
		    "an IPv4 address)",
		    field, lx_text_quote(&q, in->brd));
	if (in->scope && !parse_scope(in->scope, false, &a->scope))
		invalid = lx_bad(err,
				 "%s: invalid scope %s "
				 "(global|site|link|host|nowhere|0..255)",
				 field, lx_text_quote(&q, in->scope));
	if (invalid)
		return -EINVAL;
	return 0;
}

int lx_parse_keywords(char **w, size_t n, struct lx_kw *kws, size_t nkw,
		      const char *field, const char *item, struct lx_error *err)
{
	struct lx_qbuf q, q2;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		struct lx_kw *k = NULL;

		for (size_t j = 0; j < nkw; j++)
			if (!strcmp(w[i], kws[j].name))
				k = &kws[j];
		if (!k) {
			/* Whether it would take a value is unknown, so the
			 * rest of the item cannot be read: one problem, one
			 * line. */
			return lx_bad(err, "%s: unknown word %s in %s", field,
				      lx_text_quote(&q, w[i]),
				      lx_text_quote(&q2, item));
		}
		if (!k->val) {
			*k->flag = true;
			continue;
		}
		if (*k->val) {
			ret = lx_bad(err, "%s: \"%s\" given twice in %s", field,
				     k->name, lx_text_quote(&q, item));
		}
		if (i + 1 == n) {
			return lx_bad(err, "%s: \"%s\" needs a value in %s",
				      field, k->name, lx_text_quote(&q, item));
		}
		*k->val = w[++i];
	}
	return ret;
}

int lx_addr_parse(const char *s, struct lx_addr *a, const char *field,
		  struct lx_error *err)
{
	struct lx_addr_in in = {0};
	struct lx_words w;
	struct lx_qbuf q;
	struct lx_kw kws[] = {
	    {"peer", &in.peer, NULL},
	    {"broadcast", &in.brd, NULL},
	    {"brd", &in.brd, NULL},
	    {"scope", &in.scope, NULL},
	    {"nodad", NULL, &in.nodad},
	    {"noprefixroute", NULL, &in.noprefixroute},
	};
	int r;

	if (lx_split_words(s, &w, field, err) < 0)
		return -EINVAL;
	if (w.n < 2) {
		return lx_bad(err, "%s: expected \"DEV ADDR/PREFIX\", got %s",
			      field, lx_text_quote(&q, s));
	}
	in.dev = w.w[0];
	in.address = w.w[1];
	r = lx_parse_keywords(w.w + 2, w.n - 2, kws, LX_ARRAY_SIZE(kws), field,
			      s, err);
	if (lx_addr_build(&in, a, field, err) < 0 || r < 0)
		return -EINVAL;
	return 0;
}
