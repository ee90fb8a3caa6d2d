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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desired.h"
#include "grammar.h"
#include "neigh.h"
#include "route.h"
#include "rule.h"
#include "sysctl.h"

#define MAX_ITEMS 65536	      /* entries per array / object */
#define MAX_FILE  (16u << 20) /* lx_desired_from_file */

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
	struct lx_qbuf q;

	if (!json_is_string(v)) {
		lx_bad_type(err, field, "an interface name (string)", v);
		return false;
	}
	if (!lx_ifname_valid(json_string_value(v))) {
		lx_bad(err, "%s: invalid interface name %s", field,
		       lx_text_quote(&q, json_string_value(v)));
		return false;
	}
	strcpy(dst, json_string_value(v));
	return true;
}

static bool bool_member(const json_t *v, int *dst, const char *field,
			struct lx_error *err)
{
	if (!json_is_boolean(v)) {
		lx_bad_type(err, field, "true or false", v);
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
		lx_bad_type(err, field, "an object or an interface name", p);
		return;
	}
	if (!json_object_get(p, "name"))
		lx_bad(err, "%s.name: missing", field);
	json_object_foreach((json_t *)p, key, v)
	{
		lx_field_join(f, sizeof(f), field, key);
		if (!strcmp(key, "name"))
			ifname_member(v, l->peer, f, err);
		else if (!strcmp(key, "master"))
			ifname_member(v, l->master, f, err);
		else if (!strcmp(key, "up"))
			bool_member(v, &l->peer_up, f, err);
		else
			lx_bad(err, "%s: unknown member", f);
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
		return link_from_json(j, l, field, err);
	}
	if (!json_is_object(o)) {
		lx_bad_type(err, field, "an object", o);
		return -EINVAL;
	}
	if (!json_object_get(o, "name"))
		lx_bad(err, "%s.name: missing", field);
	json_object_foreach((json_t *)o, key, v)
	{
		lx_field_join(f, sizeof(f), field, key);
		if (!strcmp(key, "name")) {
			ifname_member(v, l->name, f, err);
		} else if (!strcmp(key, "kind")) {
			if (!json_is_string(v))
				lx_bad_type(err, f, "a string", v);
			else if (!link_kind_parse(json_string_value(v),
						  &l->kind))
				lx_bad(err,
				       "%s: unknown kind %s "
				       "(veth|macvlan|ipvlan|dummy)",
				       f, lx_jrepr(&q, v));
		} else if (!strcmp(key, "up")) {
			bool_member(v, &l->up, f, err);
		} else if (!strcmp(key, "mtu")) {
			if (!json_is_integer(v))
				lx_bad_type(err, f, "an integer", v);
			else if (json_integer_value(v) < 68 ||
				 json_integer_value(v) > 65535)
				lx_bad(err,
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
			lx_bad(err, "%s: unknown member", f);
		}
	}
	if (peer) {
		snprintf(f, sizeof(f), "%s.peer", field);
		if (l->kind != LX_LINK_VETH)
			lx_bad(err, "%s: only a veth has a peer", f);
		else
			peer_from_json(peer, l, f, err);
	} else if (l->kind == LX_LINK_VETH) {
		lx_bad(err, "%s.peer: a veth needs a peer", field);
	}
	if (l->kind == LX_LINK_MACVLAN || l->kind == LX_LINK_IPVLAN) {
		if (!has_parent)
			lx_bad(err, "%s.parent: a %s needs a parent", field,
			       link_kind_name(l->kind));
	} else if (has_parent) {
		lx_bad(err, "%s.parent: only a macvlan or ipvlan has a parent",
		       field);
	}
	if (mode) {
		const char *const *modes =
		    l->kind == LX_LINK_MACVLAN	? macvlan_modes
		    : l->kind == LX_LINK_IPVLAN ? ipvlan_modes
						: NULL;

		snprintf(f, sizeof(f), "%s.mode", field);
		if (!modes)
			lx_bad(err, "%s: only a macvlan or ipvlan has a mode",
			       f);
		else if (!json_is_string(mode))
			lx_bad_type(err, f, "a string", mode);
		else if (!in_list(json_string_value(mode), modes))
			lx_bad(err, "%s: invalid %s mode %s (%s)", f,
			       link_kind_name(l->kind), lx_jrepr(&q, mode),
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
	struct lx_words w;
	struct lx_qbuf q, q2;
	bool ok = true;

	if (!o)
		return NULL;
	if (lx_split_words(s, &w, field, err) < 0)
		return NULL;
	if (w.n == 0) {
		lx_bad(err, "%s: empty link", field);
		return NULL;
	}
	json_object_set_new(o, "name", json_string(w.w[0]));
	for (size_t i = 1; i < w.n; i++) {
		const char *word = w.w[i];

		if (link_kind_parse(word, &k) && !json_object_get(o, "kind")) {
			json_object_set_new(o, "kind", json_string(word));
		} else if (!strcmp(word, "up") || !strcmp(word, "down")) {
			if (json_object_get(o, "up")) {
				lx_bad(err, "%s: up/down given twice in %s",
				       field, lx_text_quote(&q, s));
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
				lx_bad(err, "%s: \"%s\" needs a value in %s",
				       field, word, lx_text_quote(&q, s));
				return NULL;
			}
			val = w.w[++i];
			if ((!strcmp(word, "master") && master) ||
			    (strcmp(word, "master") &&
			     json_object_get(o, word))) {
				lx_bad(err, "%s: \"%s\" given twice in %s",
				       field, word, lx_text_quote(&q, s));
				ok = false;
			}
			if (!strcmp(word, "mtu")) {
				if (!lx_parse_u64(val, &n) || n > INT32_MAX) {
					lx_bad(err,
					       "%s: invalid mtu %s (68..65535)",
					       field, lx_text_quote(&q, val));
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
			lx_bad(err, "%s: unknown word %s in %s", field,
			       lx_text_quote(&q, word), lx_text_quote(&q2, s));
			ok = false;
			break;
		}
	}
	if (master) {
		json_t *p = json_object_get(o, "peer");

		if (!p) {
			lx_bad(err, "%s: \"master\" without \"peer\" in %s",
			       field, lx_text_quote(&q, s));
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
		if (*a != *b &&
		    !((*a == '.' || *a == '/') && (*b == '.' || *b == '/')))
			return false;
	return *a == *b;
}

static void sysctl_from_json(const json_t *o, struct lx_kvs *kvs,
			     struct lx_error *err)
{
	const char *key;
	struct lx_qbuf q;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		lx_bad_type(err, "sysctl", "an object", o);
		return;
	}
	if (json_object_size(o) > MAX_ITEMS) {
		lx_bad(err, "sysctl: too many entries (%zu, max %d)",
		       json_object_size(o), MAX_ITEMS);
		return;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		char num[32];
		const char *val = NULL, *dup;

		lx_field_join(f, sizeof(f), "sysctl", key);
		if (!*key) {
			lx_bad(err, "sysctl: empty key");
			continue;
		}
		/* Two spellings of one file would fight over its value on
		 * every pass. */
		dup = NULL;
		for (size_t i = 0; i < kvs->n && !dup; i++)
			if (sysctl_same_name(kvs->v[i].key, key))
				dup = kvs->v[i].key;
		if (dup) {
			struct lx_qbuf q2;

			lx_bad(err, "%s: duplicate sysctl %s (same file as %s)",
			       f, lx_text_quote(&q, key),
			       lx_text_quote(&q2, dup));
			continue;
		}
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			val = num;
		} else if (json_is_string(v)) {
			val = json_string_value(v);
			if (!*val) {
				lx_bad(err, "%s: empty value", f);
				continue;
			}
			/* lx_sysctl_write would refuse it on every pass. */
			if (strlen(val) > LX_SYSCTL_VALUE_MAX) {
				lx_bad(err,
				       "%s: value too long (%zu bytes, max %d)",
				       f, strlen(val), LX_SYSCTL_VALUE_MAX);
				continue;
			}
			for (const char *c = val; *c; c++)
				if ((unsigned char)*c < 0x20 && *c != '\t') {
					lx_bad(
					    err,
					    "%s: control character in value %s",
					    f, lx_jrepr(&q, v));
					val = NULL;
					break;
				}
			if (!val)
				continue;
		} else {
			lx_bad_type(err, f, "an integer or a string", v);
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
	if (!lx_parse_u64(digits, &v))
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
		    !lx_parse_u64(s, out)) {
			*overflow = true;
			return false;
		}
		return lx_parse_u64(s, out);
	}
	return false;
}

#define CPU_QUOTA_MAX ((1ull << 44) - 1) /* the kernel's max_cfs_runtime */

static int cgroup_value(const char *key, const json_t *v, char *out,
			size_t outlen, const char *f, struct lx_error *err)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	struct lx_qbuf q;
	uint64_t n;
	bool ovf;

	if (!json_is_string(v) && !json_is_integer(v)) {
		lx_bad_type(err, f, "an integer or a string", v);
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
		lx_bad(err,
		       "%s: invalid size %s (bytes, with K/M/G/T, or \"max\")",
		       f, lx_jrepr(&q, v));
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
		lx_bad(err, "%s: invalid value %s (1.. or \"max\")", f,
		       lx_jrepr(&q, v));
		return -EINVAL;
	}
	if (!strcmp(key, "cpu.weight")) {
		if (int_or_digits(v, &n, &ovf) && n >= 1 && n <= 10000) {
			snprintf(out, outlen, "%" PRIu64, n);
			return 0;
		}
		lx_bad(err, "%s: %s out of range (1..10000)", f,
		       lx_jrepr(&q, v));
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
			lx_bad(err,
			       "%s: invalid value %s (\"QUOTA PERIOD\", \"max "
			       "PERIOD\", \"QUOTA\" or \"max\")",
			       f, lx_jrepr(&q, v));
			return -EINVAL;
		}
		if (nf == 2 &&
		    (!lx_parse_u64(period, &pv) || pv < 1000 || pv > 1000000)) {
			lx_bad(
			    err,
			    "%s: period %s out of range (1000..1000000) in %s",
			    f, period, lx_jrepr(&q, v));
			return -EINVAL;
		}
		if (!strcmp(quota, "max")) {
			snprintf(out, outlen, "max %" PRIu64, pv);
			return 0;
		}
		if (!lx_parse_u64(quota, &qv) || qv < 1000 ||
		    qv > CPU_QUOTA_MAX) {
			lx_bad(
			    err,
			    "%s: quota out of range (1000..%llu or \"max\") in "
			    "%s",
			    f, CPU_QUOTA_MAX, lx_jrepr(&q, v));
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
	struct lx_qbuf q;
	char f[512];
	json_t *v;

	if (!json_is_object(o)) {
		lx_bad_type(err, "cgroup", "an object", o);
		return;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		char val[64];

		lx_field_join(f, sizeof(f), "cgroup", key);
		if (!in_list(key, keys)) {
			lx_bad(
			    err,
			    "cgroup: unknown key %s "
			    "(memory.max|memory.high|memory.swap.max|pids.max|"
			    "cpu.max|cpu.weight)",
			    lx_text_quote(&q, key));
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
		lx_bad_type(err, f, "an integer", v);
	else if (json_integer_value(v) < 0 || json_integer_value(v) > max)
		lx_bad(err,
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
		lx_bad_type(err, "options", "an object", o);
		return;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		lx_field_join(f, sizeof(f), "options", key);
		if (!strcmp(key, "interval_ms")) {
			u32_option(v, &opts->interval_ms, 86400000, f, err);
		} else if (!strcmp(key, "debounce_ms")) {
			u32_option(v, &opts->debounce_ms, 60000, f, err);
		} else if (!strcmp(key, "protocol")) {
			json_int_t p = json_integer_value(v);

			if (!json_is_integer(v))
				lx_bad_type(err, f, "an integer", v);
			else if (p >= 0 && p <= 4)
				lx_bad(
				    err,
				    "%s: %" JSON_INTEGER_FORMAT
				    " is reserved for the kernel (use 5..255)",
				    f, p);
			else if (p < 0 || p > 255)
				lx_bad(err,
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
		} else if (!strcmp(key, "adopt")) {
			bool_option(v, &opts->adopt, f, err);
		} else {
			lx_bad(err, "%s: unknown member", f);
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
	return lx_route_cmp(x, y);
}

static int rule_order(const void *x, const void *y)
{
	return lx_rule_cmp(x, y);
}

static int neigh_order(const void *x, const void *y)
{
	return lx_neigh_cmp(x, y);
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
		if (k == 0 ||
		    order(ds.base + idx[k - 1] * size, ds.base + idx[k] * size))
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
		lx_bad_type(err, f, "an array", v);
		return NULL;
	}
	if (json_array_size(v) > MAX_ITEMS) {
		lx_bad(err, "%s: too many entries (%zu, max %d)", f,
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
				lx_bad(err, "%s.name: duplicate link \"%s\"", f,
				       l->name);
				goto next;
			}
			if (l->peer[0] && !strcmp(d->links[j].peer, l->peer)) {
				lx_bad(err, "%s.peer: duplicate peer \"%s\"", f,
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
			struct lx_addr_in in = {0};
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

				lx_field_join(mf, sizeof(mf), f, key);
				if (!strcmp(key, "nodad")) {
					int b;

					if (bool_member(m, &b, mf, err))
						in.nodad = b;
				} else if (!dst) {
					lx_bad(err, "%s: unknown member", mf);
				} else if (!json_is_string(m)) {
					lx_bad_type(err, mf, "a string", m);
				} else {
					*dst = json_string_value(m);
				}
			}
			r = lx_addr_build(&in, a, f, err);
			if (err && err->lines != before)
				r = -EINVAL;
		} else {
			lx_bad_type(err, f, "a string or an object", v);
			continue;
		}
		if (r < 0)
			continue;
		src[d->n_addrs++] = i;
	}
	nd = find_dups(d->addrs, sizeof(*d->addrs), d->n_addrs, addr_order, src,
		       &dups);
	for (size_t k = 0; k < nd; k++)
		lx_bad(
		    err,
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
			rc = lx_route_from_json(v, r, f, err);
		} else {
			lx_bad_type(err, f, "a string or an object", v);
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
		lx_bad(err,
		       "network.routes[%zu]: duplicate route \"%s\" (same "
		       "destination, table and metric as network.routes[%zu]: "
		       "the kernel holds one)",
		       src[dups[k].later],
		       lx_route_format(&d->routes[dups[k].later], false, buf,
				       sizeof(buf)),
		       src[dups[k].first]);
	}
	free(dups);
	return 0;
}

/* Rules and neighbours: string items, duplicates by their identity. */
static int strings_from_json(const json_t *arr, const char *member, void **out,
			     size_t *n, size_t sz,
			     int (*parse)(const char *, void *, const char *,
					  struct lx_error *),
			     int (*order)(const void *, const void *),
			     const char *(*fmt)(const void *, char *, size_t),
			     struct lx_error *err)
{
	_cleanup_free_ size_t *src = NULL;
	struct dup *dups = NULL;
	char f[64], buf[512];
	size_t i, nd;
	json_t *v;

	*out = calloc(json_array_size(arr) + 1, sz);
	src = calloc(json_array_size(arr) + 1, sizeof(*src));
	if (!*out || !src)
		return -ENOMEM;
	json_array_foreach(arr, i, v)
	{
		snprintf(f, sizeof(f), "network.%s[%zu]", member, i);
		if (!json_is_string(v)) {
			lx_bad_type(err, f, "a string", v);
			continue;
		}
		if (parse(json_string_value(v), (char *)*out + *n * sz, f,
			  err) < 0)
			continue;
		src[(*n)++] = i;
	}
	nd = find_dups(*out, sz, *n, order, src, &dups);
	for (size_t k = 0; k < nd; k++)
		lx_bad(err,
		       "network.%s[%zu]: duplicate \"%s\" (the same as "
		       "network.%s[%zu])",
		       member, src[dups[k].later],
		       fmt((char *)*out + dups[k].later * sz, buf, sizeof(buf)),
		       member, src[dups[k].first]);
	free(dups);
	return 0;
}

static int rule_parse_cb(const char *s, void *r, const char *f,
			 struct lx_error *err)
{
	return lx_rule_parse(s, r, f, err);
}

static int neigh_parse_cb(const char *s, void *n, const char *f,
			  struct lx_error *err)
{
	return lx_neigh_parse(s, n, f, err);
}

static const char *rule_fmt_cb(const void *r, char *buf, size_t len)
{
	return lx_rule_format(r, false, buf, len);
}

static const char *neigh_fmt_cb(const void *n, char *buf, size_t len)
{
	return lx_neigh_format(n, false, buf, len);
}

static int network_from_json(const json_t *o, struct lx_desired *d,
			     struct lx_error *err)
{
	const char *key;
	char f[512];
	json_t *v;
	int r = 0;

	if (!json_is_object(o)) {
		lx_bad_type(err, "network", "an object", o);
		return 0;
	}
	json_object_foreach((json_t *)o, key, v)
	{
		lx_field_join(f, sizeof(f), "network", key);
		if (!strcmp(key, "links")) {
			if (array_member(v, f, err))
				r = r ?: links_from_json(v, d, err);
		} else if (!strcmp(key, "addresses")) {
			if (array_member(v, f, err))
				r = r ?: addrs_from_json(v, d, err);
		} else if (!strcmp(key, "routes")) {
			if (array_member(v, f, err))
				r = r ?: routes_from_json(v, d, err);
		} else if (!strcmp(key, "rules")) {
			if (array_member(v, f, err))
				r = r ?: strings_from_json(
					      v, "rules", (void **)&d->rules,
					      &d->n_rules, sizeof(*d->rules),
					      rule_parse_cb, rule_order,
					      rule_fmt_cb, err);
		} else if (!strcmp(key, "neighbours")) {
			if (array_member(v, f, err))
				r = r ?: strings_from_json(
					      v, "neighbours",
					      (void **)&d->neighs, &d->n_neighs,
					      sizeof(*d->neighs), neigh_parse_cb,
					      neigh_order, neigh_fmt_cb, err);
		} else {
			lx_bad(err, "%s: unknown member", f);
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
		lx_bad_type(&local, "document", "an object", doc);
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

				lx_bad(&local, "%s: unknown member",
				       lx_field_join(f, sizeof(f), "", key) +
					   1);
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
	for (size_t i = 0; i < d->n_links; i++)
		if (json_array_append_new(links, link_to_json(&d->links[i])))
			return NULL;
	for (size_t i = 0; i < d->n_addrs; i++)
		if (json_array_append_new(
			addrs, json_string(lx_addr_format(&d->addrs[i], buf,
							  sizeof(buf)))))
			return NULL;
	for (size_t i = 0; i < d->n_routes; i++)
		if (json_array_append_new(
			routes, json_string(lx_route_format(
				    &d->routes[i], false, buf, sizeof(buf)))))
			return NULL;
	/* Rules, neighbours and adopt only when used: older readers of
	 * state.json and documents that never name them stay as they were. */
	if (d->n_rules || d->n_neighs) {
		json_t *net = json_object_get(doc, "network");
		json_t *rules = json_array(), *neighs = json_array();

		if (json_object_set_new(net, "rules", rules) ||
		    json_object_set_new(net, "neighbours", neighs))
			return NULL;
		for (size_t i = 0; i < d->n_rules; i++)
			if (json_array_append_new(
				rules, json_string(lx_rule_format(
					   &d->rules[i], false, buf,
					   sizeof(buf)))))
				return NULL;
		for (size_t i = 0; i < d->n_neighs; i++)
			if (json_array_append_new(
				neighs, json_string(lx_neigh_format(
					    &d->neighs[i], false, buf,
					    sizeof(buf)))))
				return NULL;
	}
	if (d->opts.adopt &&
	    json_object_set_new(opts, "adopt", json_true()))
		return NULL;
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
