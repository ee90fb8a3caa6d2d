/* SPDX-License-Identifier: MIT */
/*
 * The fast JSON reader (json_fast.h). Recursive descent over the buffer,
 * one pass, no token buffer: a string without escapes goes from the input
 * straight into json_stringn_nocheck. Any doubt is a refusal (NULL), and
 * lx_json_loadb then asks json_loadb, whose verdict and message stand.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"
#include "json_fast.h"

struct rd {
	const unsigned char *b, *p, *e; /* b: the buffer's start */
	char *tmp;			/* an escaped string, decoded */
	size_t tmp_cap;
	int depth;
	struct lx_json_items *items; /* NULL: every array a tree */
};

/* Where a value is, for lx_json_items: the top object, the object of its
 * member items->key1, anywhere else. */
enum where { W_TOP, W_KEY1, W_OTHER };

/* Bytes that stand for themselves in a string: printable ASCII but the
 * quote and the backslash. Control bytes are jansson's error, bytes of
 * 0x80 and up need its UTF-8 check: both are refused here. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Any byte of x zero (exact as a yes or no: a borrow starts at a zero). */
static uint64_t zero_byte(uint64_t x)
{
	return (x - ONES) & ~x & HIGHS;
}

/* Some byte of x is not plain (exact for the first such byte in memory
 * order; a yes may also flag bytes after it, never bytes before). */
static uint64_t not_plain(uint64_t x)
{
	return (x & HIGHS) | ((x - 0x20 * ONES) & ~x & HIGHS) |
	       zero_byte(x ^ ('"' * ONES)) | zero_byte(x ^ ('\\' * ONES));
}

/* The end of the run of plain bytes at p: eight bytes at a time, the
 * first byte not_plain flags being the end (little-endian: the lowest
 * set bit is the first byte in memory), the last few one at a time. */
static const unsigned char *plain_run(const unsigned char *p,
				      const unsigned char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; e - p >= 8; p += 8) {
		uint64_t x, m;

		memcpy(&x, p, 8);
		m = not_plain(x);
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
	}
#endif
	while (p < e && plain(*p))
		p++;
	return p;
}

static bool digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void ws(struct rd *r)
{
	while (r->p < r->e &&
	       (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
		r->p++;
}

static bool tmp_put(struct rd *r, size_t *n, const void *s, size_t len)
{
	if (!len)
		return true;
	if (*n + len > r->tmp_cap) {
		size_t cap = r->tmp_cap ? r->tmp_cap : 256;
		char *t;

		while (cap < *n + len)
			cap *= 2;
		t = realloc(r->tmp, cap);
		if (!t)
			return false;
		r->tmp = t;
		r->tmp_cap = cap;
	}
	memcpy(r->tmp + *n, s, len);
	*n += len;
	return true;
}

/* \uXXXX (the "\u" read) as UTF-8 into out; 0 when refused: NUL (an error
 * without JSON_ALLOW_NUL) and surrogates (pairs are left to jansson). */
static size_t uescape(struct rd *r, char out[3])
{
	unsigned int cp = 0;

	if (r->e - r->p < 4)
		return 0;
	for (int i = 0; i < 4; i++) {
		int h = lx_hex_digit(r->p[i]);

		if (h < 0)
			return 0;
		cp = cp << 4 | (unsigned int)h;
	}
	r->p += 4;
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* The rest of a string with escapes, from r->p (at a backslash), after
 * s[0..n) of plain bytes; decoded into r->tmp. */
static bool string_escaped(struct rd *r, const unsigned char *s, size_t n,
			   const char **out, size_t *len)
{
	size_t o = 0;

	if (!tmp_put(r, &o, s, n))
		return false;
	while (r->p < r->e && *r->p != '"') {
		const unsigned char *run = r->p;
		char c[3];
		size_t k = 1;

		if (plain(*r->p)) {
			r->p = plain_run(r->p, r->e);
			if (!tmp_put(r, &o, run, (size_t)(r->p - run)))
				return false;
			continue;
		}
		if (*r->p != '\\' || r->e - r->p < 2)
			return false;
		r->p += 2;
		switch (r->p[-1]) {
		case '"':
		case '\\':
		case '/':
			c[0] = (char)r->p[-1];
			break;
		case 'b':
			c[0] = '\b';
			break;
		case 'f':
			c[0] = '\f';
			break;
		case 'n':
			c[0] = '\n';
			break;
		case 'r':
			c[0] = '\r';
			break;
		case 't':
			c[0] = '\t';
			break;
		case 'u':
			k = uescape(r, c);
			if (!k)
				return false;
			break;
		default:
			return false;
		}
		if (!tmp_put(r, &o, c, k))
			return false;
	}
	if (r->p == r->e)
		return false;
	r->p++;
	*out = r->tmp;
	*len = o;
	return true;
}

/* A string at r->p (a quote): *out points into the input when it has no
 * escapes, else into r->tmp (valid until the next string). */
static bool string(struct rd *r, const char **out, size_t *len)
{
	const unsigned char *s = ++r->p;

	r->p = plain_run(r->p, r->e);
	if (r->p < r->e && *r->p == '"') {
		*out = (const char *)s;
		*len = (size_t)(r->p - s);
		r->p++;
		return true;
	}
	if (r->p < r->e && *r->p == '\\')
		return string_escaped(r, s, (size_t)(r->p - s), out, len);
	return false;
}

/* -?(0|[1-9][0-9]*), at most 18 digits (no overflow possible); fractions
 * and exponents are reals: jansson's strtod decides them. */
static json_t *number(struct rd *r)
{
	bool neg = *r->p == '-';
	json_int_t v = 0;
	int digits = 0;

	if (neg)
		r->p++;
	if (r->p == r->e || !digit(*r->p))
		return NULL;
	if (*r->p == '0') {
		r->p++;
	} else {
		while (r->p < r->e && digit(*r->p)) {
			if (++digits > 18)
				return NULL;
			v = v * 10 + (*r->p++ - '0');
		}
	}
	if (r->p < r->e && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
		return NULL;
	return json_integer(neg ? -v : v);
}

static json_t *word(struct rd *r, const char *w, size_t n, json_t *v)
{
	if ((size_t)(r->e - r->p) < n || memcmp(r->p, w, n))
		return NULL;
	r->p += n;
	return v;
}

static json_t *value(struct rd *r, enum where w);

static bool item_push(struct lx_json_items *it, uint32_t off, uint32_t len)
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 1024;
		struct lx_json_item *v = reallocarray(it->v, cap, sizeof(*v));

		if (!v)
			return false;
		it->v = v;
		it->cap = cap;
	}
	it->v[it->n++] = (struct lx_json_item){off, len};
	return true;
}

static bool node_push(struct lx_json_items *it, json_t *v)
{
	if (!v)
		return false;
	if (it->n_nodes == it->nodes_cap) {
		size_t cap = it->nodes_cap ? it->nodes_cap * 2 : 16;
		json_t **n = reallocarray(it->nodes, cap, sizeof(*n));

		if (!n) {
			json_decref(v);
			return false;
		}
		it->nodes = n;
		it->nodes_cap = cap;
	}
	it->nodes[it->n_nodes] = v;
	return item_push(it, (uint32_t)it->n_nodes++, LX_JSON_ITEM_NODE);
}

/* After an array's element: 1 past its closing ']', 0 past a ',' (and
 * the blanks after it), -1 on anything else. */
static int array_next(struct rd *r)
{
	ws(r);
	if (r->p == r->e)
		return -1;
	if (*r->p == ']') {
		r->p++;
		return 1;
	}
	if (*r->p++ != ',')
		return -1;
	ws(r);
	return 0;
}

/*
 * The array of lx_json_items (r->p at its '['), read as array() reads
 * one, into r->items instead of a tree: a string without escapes as its
 * place in the buffer, any other element as its node. The tree gets an
 * empty array in its place (items->array).
 */
static json_t *items_array(struct rd *r)
{
	struct lx_json_items *it = r->items;
	json_t *a = json_array();

	r->p++;
	ws(r);
	if (a && r->p < r->e && *r->p == ']') {
		r->p++;
		it->array = a;
		return a;
	}
	while (a && r->p < r->e) {
		bool ok;
		int end;

		if (*r->p == '"') {
			const unsigned char *q = r->p + 1;
			const char *s;
			size_t n;

			ok = string(r, &s, &n);
			if (ok && s == (const char *)q)
				ok = item_push(it, (uint32_t)(q - r->b),
					       (uint32_t)n);
			else if (ok)
				ok = node_push(it, json_stringn_nocheck(s, n));
		} else {
			ok = node_push(it, value(r, W_OTHER));
		}
		if (!ok || (end = array_next(r)) < 0)
			break;
		if (end) {
			it->array = a;
			return a;
		}
	}
	json_decref(a);
	return NULL;
}

static json_t *array(struct rd *r)
{
	json_t *a = json_array();

	r->p++;
	ws(r);
	if (a && r->p < r->e && *r->p == ']') {
		r->p++;
		return a;
	}
	while (a) {
		int end;

		if (json_array_append_new(a, value(r, W_OTHER)) ||
		    (end = array_next(r)) < 0)
			break;
		if (end)
			return a;
	}
	json_decref(a);
	return NULL;
}

static json_t *object(struct rd *r, enum where w)
{
	const struct lx_json_items *it = r->items;
	json_t *o = json_object();

	r->p++;
	ws(r);
	if (o && r->p < r->e && *r->p == '}') {
		r->p++;
		return o;
	}
	while (o && r->p < r->e && *r->p == '"') {
		const char *k;
		char *copy = NULL;
		size_t kl, n = json_object_size(o);
		int rc;

		if (!string(r, &k, &kl))
			break;
		/* The value's strings reuse r->tmp. */
		if (k == r->tmp) {
			copy = malloc(kl + 1);
			if (!copy)
				break;
			memcpy(copy, k, kl);
			k = copy;
		}
		ws(r);
		if (r->p == r->e || *r->p++ != ':') {
			free(copy);
			break;
		}
		ws(r);
		if (it && w == W_KEY1 && r->p < r->e && *r->p == '[' &&
		    kl == strlen(it->key2) && !memcmp(k, it->key2, kl) &&
		    !it->array && r->depth < LX_JSON_FAST_DEPTH) {
			r->depth++;
			rc = json_object_setn_new_nocheck(o, k, kl,
							  items_array(r));
			r->depth--;
		} else {
			rc = json_object_setn_new_nocheck(
			    o, k, kl,
			    value(r, it && w == W_TOP &&
					     kl == strlen(it->key1) &&
					     !memcmp(k, it->key1, kl)
					 ? W_KEY1
					 : W_OTHER));
		}
		free(copy);
		/* A duplicate replaced the first value: jansson's to judge
		 * (an error with JSON_REJECT_DUPLICATES). */
		if (rc || json_object_size(o) == n)
			break;
		ws(r);
		if (r->p == r->e)
			break;
		if (*r->p == '}') {
			r->p++;
			return o;
		}
		if (*r->p++ != ',')
			break;
		ws(r);
	}
	json_decref(o);
	return NULL;
}

static json_t *value(struct rd *r, enum where w)
{
	const char *s;
	json_t *v = NULL;
	size_t n;

	if (r->p == r->e)
		return NULL;
	switch (*r->p) {
	case '{':
	case '[':
		if (++r->depth > LX_JSON_FAST_DEPTH)
			return NULL;
		v = *r->p == '{' ? object(r, w) : array(r);
		r->depth--;
		return v;
	case '"':
		return string(r, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
	case 't':
		return word(r, "true", 4, json_true());
	case 'f':
		return word(r, "false", 5, json_false());
	case 'n':
		return word(r, "null", 4, json_null());
	default:
		return *r->p == '-' || digit(*r->p) ? number(r) : NULL;
	}
}

/* The fast reader, with r->items when wanted. */
static json_t *fast_loadb(const char *buf, size_t len, size_t flags,
			  struct lx_json_items *items)
{
	struct rd r = {.items = items};
	json_t *v = NULL;

	if (!buf || (flags & ~(size_t)JSON_REJECT_DUPLICATES))
		return NULL;
	r.b = r.p = (const unsigned char *)buf;
	r.e = r.p + len;
	ws(&r);
	/* Without JSON_DECODE_ANY only an object or an array. */
	if (r.p < r.e && (*r.p == '{' || *r.p == '['))
		v = value(&r, W_TOP);
	free(r.tmp);
	if (v) {
		ws(&r);
		if (r.p != r.e) {
			json_decref(v);
			v = NULL;
		}
	}
	return v;
}

json_t *lx_json_fast_loadb(const char *buf, size_t len, size_t flags)
{
	return fast_loadb(buf, len, flags, NULL);
}

/* What json_loadb leaves in its error on success. */
static void read_ok(json_error_t *error, size_t len)
{
	if (!error)
		return;
	memset(error, 0, sizeof(*error));
	error->line = -1;
	error->column = -1;
	error->position = (int)len;
	strcpy(error->source, "<buffer>");
}

json_t *lx_json_loadb(const char *buf, size_t len, size_t flags,
		      json_error_t *error)
{
	json_t *v = lx_json_fast_loadb(buf, len, flags);

	if (!v)
		return json_loadb(buf, len, flags, error);
	read_ok(error, len);
	return v;
}

/*
 * The arena. jansson allocates through one pair of functions for the whole
 * process (json_set_alloc_funcs); ours bump-allocate while the fast reader
 * builds an arena tree and call malloc otherwise; a free of a pointer in a
 * live block is nothing (the block goes whole), any other pointer is
 * free()d. So jansson's objects made before, after or beside an arena tree
 * are malloc's as they always were.
 */
struct lx_json_block {
	struct lx_json_block *next;
	size_t used, cap;
	max_align_t data[];
};

static struct lx_json_block *live;   /* every live block, for arena_free */
static struct lx_json_arena *filling; /* set while the reader builds */

static void *block_new(size_t need)
{
	size_t cap = need < 256 * 1024 ? 256 * 1024 : need;
	struct lx_json_block *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->next = live;
	b->used = 0;
	b->cap = cap;
	live = b;
	return b;
}

static void *arena_malloc(size_t n)
{
	struct lx_json_block *b = live;
	size_t an = (n + 15) & ~(size_t)15;
	void *p;

	if (!filling)
		return malloc(n);
	if (an < n)
		return NULL;
	if (!b || !filling->blocks || b->cap - b->used < an) {
		b = block_new(an);
		if (!b)
			return NULL;
		if (!filling->blocks)
			filling->blocks = b;
	}
	p = (char *)b->data + b->used;
	b->used += an;
	return p;
}

static bool in_block(const void *p)
{
	for (const struct lx_json_block *b = live; b; b = b->next)
		if ((const char *)p >= (const char *)b->data &&
		    (const char *)p < (const char *)b->data + b->cap)
			return true;
	return false;
}

static void arena_free(void *p)
{
	/* While the reader builds, jansson allocates only through
	 * arena_malloc and frees only what it made since (a declined read's
	 * partial tree): nothing to look up. Walking the blocks for each of
	 * those frees cost nodes x blocks, 112 s for a 16 MiB document
	 * declined at its end. */
	if (filling)
		return;
	if (p && live && in_block(p))
		return;
	free(p);
}

void lx_json_items_free(struct lx_json_items *it)
{
	free(it->v);
	free(it->nodes);
	it->v = NULL;
	it->nodes = NULL;
	it->n = it->cap = it->n_nodes = it->nodes_cap = 0;
	it->array = NULL;
}

json_t *lx_json_loadb_arena(const char *buf, size_t len, size_t flags,
			    json_error_t *error, struct lx_json_arena *a)
{
	return lx_json_loadb_arena_items(buf, len, flags, error, a, NULL);
}

json_t *lx_json_loadb_arena_items(const char *buf, size_t len, size_t flags,
				  json_error_t *error, struct lx_json_arena *a,
				  struct lx_json_items *items)
{
	static bool installed;

	memset(a, 0, sizeof(*a));
	if (items) {
		lx_json_items_free(items);
		/* Offsets and lengths are 32 bits. */
		if (len >= LX_JSON_ITEM_NODE)
			items = NULL;
	}
	if (!installed) {
		json_set_alloc_funcs(arena_malloc, arena_free);
		installed = true;
	}
	if (!filling && !live) {
		filling = a;
		a->tree = fast_loadb(buf, len, flags, items);
		filling = NULL;
		if (a->tree) {
			read_ok(error, len);
			return a->tree;
		}
		lx_json_arena_end(a); /* what a declined read left */
		if (items)
			lx_json_items_free(items);
	}
	a->tree = json_loadb(buf, len, flags, error);
	return a->tree;
}

void lx_json_arena_end(struct lx_json_arena *a)
{
	if (!a->blocks) {
		json_decref(a->tree);
	} else {
		/* The blocks of this arena are the newest in the live list,
		 * from its head down to a->blocks, which was the first. */
		struct lx_json_block *b = live, *stop = a->blocks->next;

		while (b != stop) {
			struct lx_json_block *n = b->next;

			free(b);
			b = n;
		}
		live = stop;
	}
	a->blocks = NULL;
	a->tree = NULL;
}
