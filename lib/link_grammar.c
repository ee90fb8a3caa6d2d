/* SPDX-License-Identifier: MIT */
/*
 * Links in the desired document (SPEC.md "Desired-state document",
 * "Annotations"): the object form, the compact form of io.linx.links and
 * the canonical JSON written back. Tenant input: every problem is one line
 * naming the field and the value. See grammar.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "desired.h"
#include "grammar.h"
#include "json_cleanup.h"

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

/* ------------------------------------------------------------------ MAC */

bool lx_mac_parse(const char *s, uint8_t mac[6])
{
	/* Exactly six octets of two hex digits, ':'-separated. */
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = lx_hex_digit((unsigned char)s[0]),
		    lo = hi < 0 ? -1 : lx_hex_digit((unsigned char)s[1]);

		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

const char *lx_mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/* ------------------------------------------------------------- members */

/* The member helpers return 0, or -EINVAL with one line in err. */
static int ifname_member(const json_t *v, char *dst, const char *field,
			 struct lx_error *err)
{
	if (!json_is_string(v))
		return lx_bad_type(err, field, "an interface name (string)", v);
	if (!lx_ifname_valid(json_string_value(v)))
		return lx_bad_ifname(err, field, json_string_value(v));
	strcpy(dst, json_string_value(v));
	return 0;
}

static int bool_member(const json_t *v, int *dst, const char *field,
		       struct lx_error *err)
{
	if (!json_is_boolean(v))
		return lx_bad_type(err, field, "true or false", v);
	*dst = json_is_true(v);
	return 0;
}

static int uint_member(const json_t *v, uint32_t *dst, json_int_t lo,
		       json_int_t hi, const char *field, struct lx_error *err)
{
	if (!json_is_integer(v))
		return lx_bad_type(err, field, "an integer", v);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return lx_bad(err,
			      "%s: %" JSON_INTEGER_FORMAT
			      " out of range (%" JSON_INTEGER_FORMAT
			      "..%" JSON_INTEGER_FORMAT ")",
			      field, json_integer_value(v), lo, hi);
	*dst = (uint32_t)json_integer_value(v);
	return 0;
}

static int mac_member(const json_t *v, struct lx_link *l, const char *field,
		      struct lx_error *err)
{
	struct lx_qbuf q;

	if (!json_is_string(v))
		return lx_bad_type(err, field, "a MAC address (string)", v);
	if (!lx_mac_parse(json_string_value(v), l->mac))
		return lx_bad(err,
			      "%s: invalid MAC address %s (six hex octets, "
			      "02:42:0a:00:00:02)",
			      field, lx_jrepr(&q, v));
	/* The kernel refuses these (is_valid_ether_addr): say so now. */
	if (l->mac[0] & 1)
		return lx_bad(err, "%s: %s is a multicast address", field,
			      lx_jrepr(&q, v));
	if (!(l->mac[0] | l->mac[1] | l->mac[2] | l->mac[3] | l->mac[4] |
	      l->mac[5]))
		return lx_bad(err, "%s: %s is the zero address", field,
			      lx_jrepr(&q, v));
	l->has_mac = true;
	return 0;
}

static int peer_from_json(const json_t *p, struct lx_link *l, const char *field,
			  struct lx_error *err)
{
	char f[512];
	const char *key;
	json_t *v;
	int invalid = 0;

	if (json_is_string(p))
		return ifname_member(p, l->peer, field, err);
	if (!json_is_object(p))
		return lx_bad_type(err, field, "an object or an interface name",
				   p);
	/* Without a name the sidecar names it (lx_link_peer_name). */
	json_object_foreach((json_t *)p, key, v)
	{
		lx_field_join(f, sizeof(f), field, key);
		if (!strcmp(key, "name"))
			invalid |= ifname_member(v, l->peer, f, err);
		else if (!strcmp(key, "master"))
			invalid |= ifname_member(v, l->master, f, err);
		else if (!strcmp(key, "up"))
			invalid |= bool_member(v, &l->peer_up, f, err);
		else if (!strcmp(key, "mtu"))
			invalid |=
			    uint_member(v, &l->peer_mtu, 68, 65535, f, err);
		else
			invalid = lx_bad(err, "%s: unknown member", f);
	}
	return invalid ? -EINVAL : 0;
}

static json_t *link_compact_to_json(const char *s, const char *field,
				    struct lx_error *err);

int lx_link_from_json(const json_t *o, struct lx_link *l, const char *field,
		      struct lx_error *err)
{
	int invalid = 0;
	const json_t *peer = NULL, *mode = NULL;
	bool has_parent = false;
	char kinds[128];
	struct lx_qbuf q;
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
		return lx_link_from_json(j, l, field, err);
	}
	if (!json_is_object(o)) {
		invalid = lx_bad_type(err, field, "an object", o);
		return -EINVAL;
	}
	if (!json_object_get(o, "name"))
		invalid = lx_bad(err, "%s.name: missing", field);
	json_object_foreach((json_t *)o, key, v)
	{
		lx_field_join(f, sizeof(f), field, key);
		if (!strcmp(key, "name")) {
			invalid |= ifname_member(v, l->name, f, err);
		} else if (!strcmp(key, "kind")) {
			if (!json_is_string(v))
				invalid = lx_bad_type(err, f, "a string", v);
			else if (!lx_link_kind_parse(
				     json_string_value(v),
				     strlen(json_string_value(v)), &l->kind))
				invalid = lx_bad(
				    err, "%s: unknown kind %s (%s)", f,
				    lx_jrepr(&q, v),
				    lx_link_kind_names(kinds, sizeof(kinds)));
		} else if (!strcmp(key, "up")) {
			invalid |= bool_member(v, &l->up, f, err);
		} else if (!strcmp(key, "mtu")) {
			invalid |= uint_member(v, &l->mtu, 68, 65535, f, err);
		} else if (!strcmp(key, "address")) {
			invalid |= mac_member(v, l, f, err);
		} else if (!strcmp(key, "txqlen")) {
			int r =
			    uint_member(v, &l->txqlen, 0, UINT32_MAX, f, err);

			l->has_txqlen = r == 0;
			invalid |= r;
		} else if (!strcmp(key, "peer")) {
			peer = v;
		} else if (!strcmp(key, "parent")) {
			has_parent = true;
			invalid |= ifname_member(v, l->parent, f, err);
		} else if (!strcmp(key, "mode")) {
			mode = v;
		} else {
			invalid = lx_bad(err, "%s: unknown member", f);
		}
	}
	if (peer) {
		lx_field_join(f, sizeof(f), field, "peer");
		if (l->kind != LX_LINK_VETH)
			invalid = lx_bad(err, "%s: only a veth has a peer", f);
		else
			invalid |= peer_from_json(peer, l, f, err);
	}
	if (l->kind == LX_LINK_MACVLAN || l->kind == LX_LINK_IPVLAN) {
		if (!has_parent)
			invalid = lx_bad(err, "%s.parent: a %s needs a parent",
					 field, lx_link_kind_name(l->kind));
	} else if (has_parent) {
		invalid = lx_bad(
		    err, "%s.parent: only a macvlan or ipvlan has a parent",
		    field);
	}
	if (mode) {
		const char *const *modes =
		    l->kind == LX_LINK_MACVLAN	? macvlan_modes
		    : l->kind == LX_LINK_IPVLAN ? ipvlan_modes
						: NULL;

		lx_field_join(f, sizeof(f), field, "mode");
		if (!modes)
			invalid = lx_bad(
			    err, "%s: only a macvlan or ipvlan has a mode", f);
		else if (!json_is_string(mode))
			invalid = lx_bad_type(err, f, "a string", mode);
		else if (!in_list(json_string_value(mode), modes))
			invalid = lx_bad(
			    err, "%s: invalid %s mode %s (%s)", f,
			    lx_link_kind_name(l->kind), lx_jrepr(&q, mode),
			    l->kind == LX_LINK_MACVLAN
				? "private|vepa|bridge|passthru|source"
				: "l2|l3|l3s");
		else
			strcpy(l->mode, json_string_value(mode));
	}
	if (invalid)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------- compact form */

/* Words that take a value, and where the value goes: the link object or
 * its peer object ("master", "peer-mtu"). */
static const struct {
	const char *word, *member;
	bool peer, number;
} valued[] = {
    {"mtu", "mtu", false, true},       {"peer", "name", true, false},
    {"master", "master", true, false}, {"parent", "parent", false, false},
    {"mode", "mode", false, false},    {"address", "address", false, false},
    {"txqlen", "txqlen", false, true}, {"peer-mtu", "mtu", true, true},
};

/*
 * `NAME [KIND] [up|down] [mtu N] [peer NAME] [master IF] [parent IF]
 * [mode M] [address MAC] [txqlen N] [peer-down] [peer-mtu N]` → the object
 * form. Only the shape is checked here (known words, values present,
 * numbers); the values are validated by lx_link_from_json.
 */
static json_t *link_compact_to_json(const char *s, const char *field,
				    struct lx_error *err)
{
	_cleanup_json_ json_t *o = json_object();
	_cleanup_json_ json_t *peer = json_object();
	enum lx_link_kind k;
	struct lx_words w;
	struct lx_qbuf q, q2;
	int invalid = 0;

	if (!o || !peer)
		return NULL;
	if (lx_split_words(s, &w, field, err) < 0)
		return NULL;
	if (w.n == 0) {
		invalid = lx_bad(err, "%s: empty link", field);
		return NULL;
	}
	json_object_set_new(o, "name", json_string(w.w[0]));
	for (size_t i = 1; i < w.n; i++) {
		const char *word = w.w[i];
		size_t v = LX_ARRAY_SIZE(valued);

		for (size_t j = 0; j < LX_ARRAY_SIZE(valued); j++)
			if (!strcmp(word, valued[j].word))
				v = j;
		if (lx_link_kind_parse(word, strlen(word), &k) &&
		    !json_object_get(o, "kind")) {
			json_object_set_new(o, "kind", json_string(word));
		} else if (!strcmp(word, "up") || !strcmp(word, "down")) {
			if (json_object_get(o, "up")) {
				invalid =
				    lx_bad(err, "%s: up/down given twice in %s",
					   field, lx_text_quote(&q, s));
			}
			json_object_set_new(o, "up",
					    json_boolean(!strcmp(word, "up")));
		} else if (!strcmp(word, "peer-down")) {
			if (json_object_get(peer, "up")) {
				invalid = lx_bad(
				    err, "%s: \"peer-down\" given twice in %s",
				    field, lx_text_quote(&q, s));
			}
			json_object_set_new(peer, "up", json_false());
		} else if (v < LX_ARRAY_SIZE(valued)) {
			json_t *dst = valued[v].peer ? peer : o;
			const char *val;
			uint64_t n;

			if (i + 1 == w.n) {
				invalid = lx_bad(
				    err, "%s: \"%s\" needs a value in %s",
				    field, word, lx_text_quote(&q, s));
				return NULL;
			}
			val = w.w[++i];
			if (json_object_get(dst, valued[v].member)) {
				invalid =
				    lx_bad(err, "%s: \"%s\" given twice in %s",
					   field, word, lx_text_quote(&q, s));
			}
			if (!valued[v].number) {
				json_object_set_new(dst, valued[v].member,
						    json_string(val));
			} else if (!lx_parse_u64(val, &n) || n > UINT32_MAX) {
				invalid =
				    lx_bad(err, "%s: invalid %s %s", field,
					   word, lx_text_quote(&q, val));
			} else {
				json_object_set_new(
				    dst, valued[v].member,
				    json_integer((json_int_t)n));
			}
		} else {
			/* The rest of the item cannot be read (see
			 * lx_parse_keywords). */
			invalid = lx_bad(err, "%s: unknown word %s in %s",
					 field, lx_text_quote(&q, word),
					 lx_text_quote(&q2, s));
			break;
		}
	}
	if (json_object_size(peer))
		json_object_set(o, "peer", peer);
	return invalid ? NULL : TAKE_PTR(o);
}

/* ------------------------------------------------------- canonical form */

json_t *lx_link_to_json(const struct lx_link *l)
{
	json_t *o = json_object();
	const char *k = lx_link_kind_name(l->kind);
	char mac[18];

	if (!o)
		return NULL;
	json_object_set_new(o, "name", json_string(l->name));
	if (k)
		json_object_set_new(o, "kind", json_string(k));
	if (l->up != LX_UNSET)
		json_object_set_new(o, "up", json_boolean(l->up));
	if (l->mtu)
		json_object_set_new(o, "mtu", json_integer(l->mtu));
	if (l->has_mac)
		json_object_set_new(o, "address",
				    json_string(lx_mac_format(l->mac, mac)));
	if (l->has_txqlen)
		json_object_set_new(o, "txqlen", json_integer(l->txqlen));
	if (l->peer[0] || l->master[0] || l->peer_up != LX_UNSET ||
	    l->peer_mtu) {
		json_t *p = json_object();

		if (p && l->peer[0])
			json_object_set_new(p, "name", json_string(l->peer));
		if (p && l->master[0])
			json_object_set_new(p, "master",
					    json_string(l->master));
		if (p && l->peer_up != LX_UNSET)
			json_object_set_new(p, "up", json_boolean(l->peer_up));
		if (p && l->peer_mtu)
			json_object_set_new(p, "mtu",
					    json_integer(l->peer_mtu));
		json_object_set_new(o, "peer", p);
	}
	if (l->parent[0])
		json_object_set_new(o, "parent", json_string(l->parent));
	if (l->mode[0])
		json_object_set_new(o, "mode", json_string(l->mode));
	return o;
}
