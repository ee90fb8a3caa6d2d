/* SPDX-License-Identifier: MIT */
/*
 * The pure half of nftables input handling (nft.h): the refusals that need
 * no parser and the check of compiled messages. No I/O; fuzzed
 * (tests/fuzz/fuzz_nft.c).
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

/* ------------------------------------------------------ lexical check */

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * nft's scanner: "..." is a string (no escapes, may span lines), # starts a
 * comment up to the end of the line, keywords are case-sensitive bare
 * words. `include`, `table` and `ruleset` are keywords wherever they stand,
 * so a bare one is either what we refuse or a syntax error anyway.
 */
int lx_nft_text_check(const char *text, const char *what, struct lx_error *err)
{
	static const struct {
		const char *word;
		const char *why;
	} refused[] = {
	    {"include", "nft would read files of the host while parsing"},
	    {"table", "the text is the body of table inet linx: it may not "
		      "name or open another table (or another family)"},
	    {"ruleset", "the text may not act on the whole ruleset (flush "
			"ruleset, list ruleset)"},
	};
	size_t len = strlen(text), line = 1, col = 1;
	long depth = 0;

	if (len > LX_NFT_TEXT_MAX)
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "%s: %zu bytes: longer than %d", what, len,
				    LX_NFT_TEXT_MAX);
	for (size_t i = 0; i < len;) {
		char c = text[i];

		if (c == '\n') {
			line++, col = 1, i++;
			continue;
		}
		if (c == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (c == '"') {
			for (i++, col++; i < len && text[i] != '"'; i++, col++)
				if (text[i] == '\n')
					line++, col = 0;
			i++, col++;
			continue;
		}
		if (c == '{')
			depth++;
		if (c == '}' && --depth < 0)
			return lx_error_set(
			    err, LX_ERR_INVALID, 0,
			    "%s: refused: '}' at line %zu:%zu closes the "
			    "table block (the text is the body of table inet "
			    "%s and may not leave it)",
			    what, line, col, LX_NFT_TABLE);
		if (word_char(c) && (i == 0 || !word_char(text[i - 1]))) {
			size_t j = i;

			while (j < len && word_char(text[j]))
				j++;
			for (size_t k = 0; k < LX_ARRAY_SIZE(refused); k++)
				if (strlen(refused[k].word) == j - i &&
				    memcmp(text + i, refused[k].word, j - i) ==
					0)
					return lx_error_set(
					    err, LX_ERR_INVALID, 0,
					    "%s: refused: \"%s\" at line "
					    "%zu:%zu: %s",
					    what, refused[k].word, line, col,
					    refused[k].why);
			col += j - i;
			i = j;
			continue;
		}
		i++, col++;
	}
	return 0;
}

/* ------------------------------------------------- compiled messages */

uint64_t lx_nft_hash(const void *msgs, size_t len)
{
	const uint8_t *p = msgs;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool allowed_type(uint16_t t)
{
	if ((t >> 8) != NFNL_SUBSYS_NFTABLES)
		return false;
	switch (t & 0xff) {
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_NEWRULE:
	case NFT_MSG_NEWSET:
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_NEWOBJ:
	case NFT_MSG_NEWFLOWTABLE:
		return true;
	}
	return false;
}

/* Every attribute, nested ones included, lies within its parent. */
static bool attrs_ok(const void *p, size_t len, int depth)
{
	const struct nlattr *a = p;

	if (depth > 16)
		return false;
	while (len >= sizeof(*a)) {
		if (a->nla_len < sizeof(*a) || a->nla_len > len)
			return false;
		if ((a->nla_type & NLA_F_NESTED) &&
		    !attrs_ok((const char *)a + MNL_ATTR_HDRLEN,
			      a->nla_len - MNL_ATTR_HDRLEN, depth + 1))
			return false;
		size_t step = MNL_ALIGN(a->nla_len);
		if (step >= len)
			return true;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return len == 0;
}

int lx_nft_msgs_check(const void *msgs, size_t len, const char *what,
		      uint32_t *n_rules, struct lx_error *err)
{
	const char *p = msgs;
	uint32_t rules = 0;
	size_t off = 0;

	if (len > LX_NFT_PROG_MAX)
		return lx_error_set(err, LX_ERR_INVALID, 0,
				    "%s: compiled form of %zu bytes is too "
				    "large",
				    what, len);
	while (off < len) {
		const struct nlmsghdr *nlh = (const void *)(p + off);
		const struct nfgenmsg *nfg;
		size_t hl = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg));

		if (len - off < sizeof(*nlh) || nlh->nlmsg_len < hl ||
		    nlh->nlmsg_len > len - off ||
		    MNL_ALIGN(nlh->nlmsg_len) > len - off + 3)
			return lx_error_set(err, LX_ERR_INVALID, 0,
					    "%s: compiled form: malformed "
					    "message at %zu",
					    what, off);
		if (!allowed_type(nlh->nlmsg_type))
			return lx_error_set(err, LX_ERR_INVALID, 0,
					    "%s: compiled form: message type "
					    "%#x not allowed",
					    what, nlh->nlmsg_type);
		nfg = mnl_nlmsg_get_payload(nlh);
		if (nfg->nfgen_family != NFPROTO_INET)
			return lx_error_set(err, LX_ERR_INVALID, 0,
					    "%s: refused: family %u is not "
					    "inet",
					    what, nfg->nfgen_family);
		if (!attrs_ok(p + off + hl, nlh->nlmsg_len - hl, 0))
			return lx_error_set(err, LX_ERR_INVALID, 0,
					    "%s: compiled form: malformed "
					    "attributes at %zu",
					    what, off);
		for (const struct nlattr *a = (const void *)(p + off + hl);
		     mnl_attr_ok(a, (int)((p + off + nlh->nlmsg_len) -
					  (const char *)a));
		     a = mnl_attr_next(a))
			/* Type 1 is the table in every message allowed
			 * above: apply names ours, nothing else may. */
			if (mnl_attr_get_type(a) == 1)
				return lx_error_set(
				    err, LX_ERR_INVALID, 0,
				    "%s: refused: the compiled form names a "
				    "table",
				    what);
		if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWRULE &&
		    ++rules > LX_NFT_MAX_RULES)
			return lx_error_set(err, LX_ERR_INVALID, 0,
					    "%s: refused: more than %d rules",
					    what, LX_NFT_MAX_RULES);
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
	if (n_rules)
		*n_rules = rules;
	return 0;
}

/* ------------------------------------------------------------ base64 */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *lx_nft_b64_encode(const void *data, size_t len)
{
	const uint8_t *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int lx_nft_b64_decode(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s), o = 0;
	uint8_t *buf;

	if (n % 4 || n / 4 * 3 > LX_NFT_PROG_MAX)
		return -EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++)
			v[k] = s[i + k] == '=' && i + 4 == n && k >= 2
				   ? 0
				   : b64_val(s[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 ||
		    (s[i + 2] == '=' && s[i + 3] != '=')) {
			free(buf);
			return -EINVAL;
		}
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		buf[o++] = (uint8_t)(x >> 16);
		if (s[i + 2] != '=')
			buf[o++] = (uint8_t)(x >> 8);
		if (s[i + 3] != '=')
			buf[o++] = (uint8_t)x;
	}
	*out = buf;
	*len = o;
	return 0;
}
