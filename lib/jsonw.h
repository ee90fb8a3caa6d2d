/* SPDX-License-Identifier: MIT */
/*
 * JSON text written and scanned without building trees (lib/jsonw.c): for
 * the files a pass writes (state.json, report.json), whose big parts (a
 * 10,000-route document, its 10,000 ops) are write-only, and for skipping
 * the member of state.json nobody needs to read back.
 *
 * struct lx_sb is a string builder: it grows (sink NULL), or hands its
 * contents to sink each time its fixed buffer fills (streaming). Its first
 * failure (-ENOMEM, or the sink's negative errno) is kept in err and every
 * later append is dropped: check err (or lx_sb_flush) once at the end.
 */
#ifndef LX_JSONW_H
#define LX_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct lx_sb {
	char *p;
	size_t len, cap;
	int err;
	/* Streaming: called with the buffered bytes when it fills and on
	 * lx_sb_flush; 0 or -errno. With a sink, p/cap are the caller's. */
	int (*sink)(void *arg, const char *p, size_t n);
	void *arg;
};

/* Free a growing builder's buffer (not a sink's): it is empty again. */
void lx_sb_free(struct lx_sb *b);

/* The slow paths of the two below: growing, flushing to the sink. */
char *lx_sb_grow(struct lx_sb *b, size_t n);
void lx_sb_mem_slow(struct lx_sb *b, const void *s, size_t n);

/* Room for n more bytes at b->p + b->len (not counted until the caller
 * adds to b->len), or NULL (err set). n at most cap for a sink's. Inline:
 * a 10,000-route report makes ~100,000 small appends. */
static inline char *lx_sb_reserve(struct lx_sb *b, size_t n)
{
	if (!b->err && b->cap - b->len >= n)
		return b->p + b->len;
	return lx_sb_grow(b, n);
}

static inline void lx_sb_mem(struct lx_sb *b, const void *s, size_t n)
{
	if (n && !b->err && b->cap - b->len >= n) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		return;
	}
	lx_sb_mem_slow(b, s, n);
}

void lx_sb_str(struct lx_sb *b, const char *s);
void lx_sb_u64(struct lx_sb *b, uint64_t v);

/* s as a JSON string, quoted: the bytes jansson writes for it (\" \\ \b
 * \f \n \r \t, \u00XX for other control characters, UTF-8 as it is). Text
 * that is not valid UTF-8 (a kernel-supplied name) has each byte from
 * 0x80 up written as the text \\xNN (an escaped backslash, then xNN), so
 * the output stays JSON. */
void lx_sb_json_str(struct lx_sb *b, const char *s);
/* Whether s[0..n) needs no escaping at all (ASCII from 0x20 up, no " or \). */
bool lx_json_plain(const char *s, size_t n);

/* v as compact JSON (json_dumpb, JSON_COMPACT | JSON_ENCODE_ANY). */
void lx_sb_json(struct lx_sb *b, const json_t *v);

/* With a sink: hand it what is buffered. The builder's err either way. */
int lx_sb_flush(struct lx_sb *b);

/*
 * Find the member key of the JSON object text[0..len) without parsing
 * its values: the value's span [*start, *end). 1 when the key occurs once,
 * 0 when it does not occur, -1 when the text is not an object this scan
 * can follow (unbalanced, nested too deep, a key spelled with escapes)
 * or the key occurs twice: the caller parses the whole text instead.
 * Only structure is checked (strings, brackets); values are not validated.
 */
int lx_json_member_span(const char *text, size_t len, const char *key,
			size_t *start, size_t *end);

/*
 * A 64-bit digest of p[0..n): eight bytes a step (a multiply and a shift
 * each), for telling whether a document changed. Not cryptographic: it
 * may only decide what is worth redoing, never what is trusted.
 */
uint64_t lx_text_digest(const void *p, size_t n);
/* Mix v into digest h (the same mixing). */
uint64_t lx_digest_mix(uint64_t h, uint64_t v);

#endif
