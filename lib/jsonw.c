/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

void lx_sb_free(struct lx_sb *b)
{
	if (!b->sink)
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

int lx_sb_flush(struct lx_sb *b)
{
	if (b->sink && b->len && !b->err)
		b->err = b->sink(b->arg, b->p, b->len);
	if (b->sink)
		b->len = 0;
	return b->err;
}

char *lx_sb_grow(struct lx_sb *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->err)
		return NULL;
	if (b->cap - b->len >= n)
		return b->p + b->len;
	if (b->sink) {
		if (lx_sb_flush(b) < 0)
			return NULL;
		if (n > b->cap) {
			b->err = -EMSGSIZE;
			return NULL;
		}
		return b->p;
	}
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = -ENOMEM;
		return NULL;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return NULL;
	}
	b->p = p;
	b->cap = cap;
	return p + b->len;
}

void lx_sb_mem_slow(struct lx_sb *b, const void *s, size_t n)
{
	char *to;

	/* Through a sink, a piece larger than its buffer goes straight on. */
	if (b->sink && n > b->cap - b->len) {
		if (lx_sb_flush(b) < 0)
			return;
		if (n > b->cap) {
			b->err = b->sink(b->arg, s, n);
			return;
		}
	}
	to = lx_sb_reserve(b, n);
	if (!to)
		return;
	memcpy(to, s, n);
	b->len += n;
}

void lx_sb_str(struct lx_sb *b, const char *s)
{
	lx_sb_mem(b, s, strlen(s));
}

void lx_sb_u64(struct lx_sb *b, uint64_t v)
{
	char d[20], *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	lx_sb_mem(b, p, (size_t)(d + sizeof(d) - p));
}

/* Bytes of w that are zero: their high bits set (and no false positive
 * on a zero byte's neighbours: exact for the "any" test used here). */
#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline uint64_t zero_bytes(uint64_t w)
{
	return (w - ONES) & ~w & HIGHS;
}

bool lx_json_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	/* Eight bytes at a time: a byte from 0x80 up, below 0x20, '"' or
	 * '\\' anywhere in the word. (w - 0x20 per byte borrows across bytes
	 * only from a byte below 0x20, which is caught in its own place.) The
	 * last word overlaps the one before it. */
	if (n < 8) {
		for (; i < n; i++)
			if (p[i] < 0x20 || p[i] >= 0x80 || p[i] == '"' ||
			    p[i] == '\\')
				return false;
		return true;
	}
	for (;; i += 8) {
		uint64_t w;

		if (i + 8 > n)
			i = n - 8;
		memcpy(&w, p + i, 8);
		if ((w & HIGHS) || ((w - 0x20 * ONES) & ~w & HIGHS) ||
		    zero_bytes(w ^ (0x22 * ONES)) ||
		    zero_bytes(w ^ (0x5c * ONES)))
			return false;
		if (i + 8 == n)
			return true;
	}
}

/* The length of the UTF-8 sequence at p (at most n bytes), or 0 when it is
 * not one jansson accepts (overlong, a surrogate, past U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	c = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

static bool utf8_valid(const unsigned char *p, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_seq(p + i, n - i);
		if (!k)
			return false;
	}
	return true;
}

void lx_sb_json_str(struct lx_sb *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	bool bytes;
	char *to;

	if (lx_json_plain(s, n)) {
		to = lx_sb_reserve(b, n + 2);
		if (!to)
			return;
		to[0] = '"';
		memcpy(to + 1, s, n);
		to[n + 1] = '"';
		b->len += n + 2;
		return;
	}
	bytes = !utf8_valid(p, n);
	lx_sb_mem(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		char e[8];
		size_t k = 0;

		/* The longest escape is 7 bytes; runs go out one at a time,
		 * which is fine for text this rare. */
		if (c == '"' || c == '\\') {
			e[k++] = '\\';
			e[k++] = (char)c;
		} else if (c >= 0x20 && c < 0x80) {
			e[k++] = (char)c;
		} else if (c >= 0x80 && !bytes) {
			e[k++] = (char)c;
		} else if (c >= 0x80) {
			/* "\xNN" as text: its backslash escaped */
			e[k++] = '\\';
			e[k++] = '\\';
			e[k++] = 'x';
			e[k++] = "0123456789abcdef"[c >> 4];
			e[k++] = "0123456789abcdef"[c & 15];
		} else {
			const char *named = c == '\b'	? "b"
					    : c == '\f' ? "f"
					    : c == '\n' ? "n"
					    : c == '\r' ? "r"
					    : c == '\t' ? "t"
							: NULL;

			e[k++] = '\\';
			if (named) {
				e[k++] = named[0];
			} else {
				memcpy(e + k, "u00", 3);
				k += 3;
				e[k++] = hex[c >> 4];
				e[k++] = hex[c & 15];
			}
		}
		lx_sb_mem(b, e, k);
	}
	lx_sb_mem(b, "\"", 1);
}

void lx_sb_json(struct lx_sb *b, const json_t *v)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	size_t room = 1024, n;
	char *to;

	for (int i = 0; i < 2; i++) {
		if (b->sink && room > b->cap)
			break;
		to = lx_sb_reserve(b, room);
		if (!to)
			return;
		n = json_dumpb(v, to, room, flags);
		if (n == 0) {
			b->err = b->err ? b->err : -EINVAL;
			return;
		}
		if (n <= room) {
			b->len += n;
			return;
		}
		room = n;
	}
	/* Larger than a sink's buffer: through a temporary. */
	{
		char *t = json_dumps(v, flags);

		if (!t) {
			b->err = b->err ? b->err : -ENOMEM;
			return;
		}
		lx_sb_str(b, t);
		free(t);
	}
}

/* ---------------------------------------------------------- digest */

#define MUL1 0x9e3779b97f4a7c15ull
#define MUL2 0xbf58476d1ce4e5b9ull

uint64_t lx_digest_mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * MUL1;
	return h ^ (h >> 31);
}

uint64_t lx_text_digest(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = (uint64_t)n * MUL2, w = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = lx_digest_mix(h, w);
	}
	w = 0;
	memcpy(&w, b + i, n - i);
	h = lx_digest_mix(h, w);
	h ^= h >> 33;
	h *= MUL2;
	return h ^ (h >> 29);
}

/* ------------------------------------------------------------ scan */

#define SCAN_DEPTH 2048 /* jansson's own nesting limit */

static size_t skip_ws(const char *t, size_t len, size_t i)
{
	while (i < len &&
	       (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/* t[i] is '"': the index past the closing quote, or 0. *escaped: whether
 * the string holds a backslash. The quote is found with memchr: strings
 * are most of state.json's bytes. */
static size_t skip_string(const char *t, size_t len, size_t i, bool *escaped)
{
	for (i++; i < len;) {
		const char *q = memchr(t + i, '"', len - i);
		const char *bs;

		if (!q)
			return 0;
		bs = memchr(t + i, '\\', (size_t)(q - t) - i);
		if (!bs)
			return (size_t)(q - t) + 1;
		*escaped = true;
		i = (size_t)(bs - t) + 2; /* past the escaped character */
	}
	return 0;
}

/* One value from t[i] (not whitespace): the index past it, or 0. */
static size_t skip_value(const char *t, size_t len, size_t i)
{
	uint64_t closer[SCAN_DEPTH / 64] = {0}; /* bit set: '}' */
	size_t depth = 0;
	bool esc;

	if (i >= len)
		return 0;
	if (t[i] != '{' && t[i] != '[' && t[i] != '"') {
		while (i < len && t[i] != ',' && t[i] != '}' && t[i] != ']' &&
		       t[i] != ' ' && t[i] != '\t' && t[i] != '\n' &&
		       t[i] != '\r' && t[i] != '"' && t[i] != '{' &&
		       t[i] != '[' && t[i] != ':')
			i++;
		return i;
	}
	while (i < len) {
		char c = t[i];

		if (c == '"') {
			i = skip_string(t, len, i, &esc);
			if (!i)
				return 0;
		} else if (c == '{' || c == '[') {
			if (depth == SCAN_DEPTH)
				return 0;
			if (c == '{')
				closer[depth / 64] |= 1ull << (depth % 64);
			else
				closer[depth / 64] &= ~(1ull << (depth % 64));
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			if (!depth)
				return 0;
			depth--;
			if (!!(closer[depth / 64] & (1ull << (depth % 64))) !=
			    (c == '}'))
				return 0;
			i++;
		} else {
			i++;
		}
		if (!depth)
			return i;
	}
	return 0;
}

int lx_json_member_span(const char *t, size_t len, const char *key,
			size_t *start, size_t *end)
{
	size_t klen = strlen(key), i = skip_ws(t, len, 0);
	int found = 0;

	if (i >= len || t[i] != '{')
		return -1;
	i = skip_ws(t, len, i + 1);
	if (i < len && t[i] == '}')
		return 0;
	while (i < len) {
		bool esc = false;
		size_t k0 = i, k1, v0, v1;

		if (t[i] != '"')
			return -1;
		k1 = skip_string(t, len, i, &esc);
		if (!k1 || esc)
			return -1;
		i = skip_ws(t, len, k1);
		if (i >= len || t[i] != ':')
			return -1;
		v0 = skip_ws(t, len, i + 1);
		v1 = skip_value(t, len, v0);
		if (!v1 || v1 == v0)
			return -1;
		if (k1 - k0 - 2 == klen && !memcmp(t + k0 + 1, key, klen)) {
			if (found)
				return -1;
			found = 1;
			*start = v0;
			*end = v1;
		}
		i = skip_ws(t, len, v1);
		if (i < len && t[i] == '}')
			return skip_ws(t, len, i + 1) == len ? found : -1;
		if (i >= len || t[i] != ',')
			return -1;
		i = skip_ws(t, len, i + 1);
	}
	return -1;
}
