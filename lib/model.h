/* SPDX-License-Identifier: MIT */
/*
 * Plain data model of liblinx: what is desired, what was observed, what we
 * own. No pointers into kernel buffers, no file descriptors: values that can
 * be copied, sorted and compared. Each object has one compare function that
 * defines its identity (see link.h, addr.h, route.h).
 */
#ifndef LX_MODEL_H
#define LX_MODEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

#define LX_DEFAULT_PROTOCOL    76
#define LX_DEFAULT_INTERVAL_MS 5000
#define LX_DEFAULT_DEBOUNCE_MS 100

union lx_inaddr {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t bytes[16];
};

/* ---------------------------------------------------------------- links */

enum lx_link_kind {
	LX_LINK_EXISTING = 0, /* no "kind": a link that exists, state managed */
	LX_LINK_VETH,
	LX_LINK_MACVLAN,
	LX_LINK_IPVLAN,
	LX_LINK_DUMMY,
	LX_LINK_BRIDGE, /* local, in the target namespace */
	LX_LINK_OTHER,	/* observed only: some kind we do not create */
};

/* The kind's word ("veth", also its IFLA_INFO_KIND); NULL for EXISTING
 * and OTHER. */
const char *lx_link_kind_name(enum lx_link_kind k);
/* The kind named by len bytes at s (need not be NUL-terminated). */
bool lx_link_kind_parse(const char *s, size_t len, enum lx_link_kind *k);
/* "veth|macvlan|..." into buf, for messages; returns buf. */
const char *lx_link_kind_names(char *buf, size_t len);

/* Tri-state for optional booleans. */
enum { LX_UNSET = -1 };

struct lx_link {
	char name[IFNAMSIZ];
	enum lx_link_kind kind;
	int up;	      /* LX_UNSET, 0 or 1 */
	uint32_t mtu; /* 0 = not managed */
	/* veth: the peer lives in the host namespace */
	char peer[IFNAMSIZ];
	char
	    master[IFNAMSIZ]; /* peer's master bridge on the host ("" = none) */
	int peer_up;	      /* LX_UNSET (= up when we create it), 0 or 1 */
	uint32_t peer_mtu;    /* 0 = the container end's mtu */
	/* IFLA_ADDRESS (MAC) and IFLA_TXQLEN, managed when has_* */
	bool has_mac, has_txqlen;
	uint8_t mac[6];
	uint32_t txqlen;
	/* macvlan / ipvlan: host parent and mode ("" = kernel default) */
	char parent[IFNAMSIZ];
	char mode[16];
	/* observed only */
	int ifindex;
	bool oper_up; /* IFF_UP as observed */
	/* IFLA_LINK (a veth's peer, a macvlan's parent), in the namespace
	 * IFLA_LINK_NETNSID names when has_link_netnsid, else this one;
	 * IFLA_MASTER. 0 = none. */
	int link_ifindex, master_ifindex;
	bool has_link_netnsid;
	int32_t link_netnsid;
};

/* ------------------------------------------------------------ addresses */

struct lx_addr {
	char dev[IFNAMSIZ];
	uint8_t family; /* AF_INET / AF_INET6 */
	uint8_t prefixlen;
	union lx_inaddr addr;
	bool has_peer;
	union lx_inaddr peer;
	bool has_brd; /* IPv4 IFA_BROADCAST (ip: brd); set when created */
	struct in_addr brd;
	int scope; /* LX_UNSET = kernel default (RT_SCOPE_UNIVERSE) */
	bool nodad;
	bool noprefixroute; /* IFA_F_NOPREFIXROUTE: no kernel prefix route */
	/* observed only */
	int ifindex;
	uint32_t flags;
};

/* --------------------------------------------------------------- routes */

/* Nexthops of one multipath route (RTA_MULTIPATH); ip(8) has no limit, a
 * container's ECMP rarely passes 4. */
#define LX_NEXTHOPS_MAX 8

struct lx_nexthop {
	uint8_t gw_family; /* AF_INET6 on an IPv4 route: `via inet6` */
	union lx_inaddr gw;
	char dev[IFNAMSIZ]; /* "" = the kernel picks from the gateway */
	uint16_t weight;    /* 1..256; 0 = unset (1) */
	bool onlink;
	int oif; /* observed */
};

struct lx_route {
	/* The byte-sized members first, then the 4-byte aligned ones, the
	 * pointer last: no padding between them (160 bytes, not 176: two
	 * arrays of 10,000 are a no-op pass's largest memory). */
	uint8_t family;
	uint8_t type; /* RTN_*: unicast, blackhole, unreachable, prohibit,
			 throw, local */
	uint8_t dst_len;
	/* Identity parts no document sets (observed): IPv4 tos, IPv6
	 * source prefix (RTA_SRC, `from`). */
	uint8_t tos;
	uint8_t from_len;
	bool has_gw;
	uint8_t gw_family; /* 0 = the route's; AF_INET6 for `via inet6` */
	bool onlink;
	bool has_src;
	/* set by the codec on observe, by the rtnl source on apply */
	uint8_t protocol;
	/* multipath: two or more; a single nexthop is the plain form. Out
	 * of line, n_nexthops elements at nh (NULL when none), so that a
	 * route stays a fifth of the size it was with 8 inline: a document
	 * holds thousands, copied, sorted and compared. Owned by whoever
	 * holds the route (a document, an observed state, an op):
	 * lx_route_copy() duplicates it, lx_route_fini() frees it; a plain
	 * struct copy shares it. */
	uint8_t n_nexthops;
	union lx_inaddr dst;
	union lx_inaddr from;
	union lx_inaddr gw;
	union lx_inaddr src;
	char dev[IFNAMSIZ]; /* "" = let the kernel pick from the gateway */
	char congctl[16];
	uint32_t metric;
	uint32_t table; /* 0 = main (RT_TABLE_MAIN) */
	int scope; /* LX_UNSET = derived: link without gw, universe with */
	int pref;  /* IPv6 RTA_PREF: 0 medium (the default), 1 high, 3 low */
	/* RTA_METRICS; 0 = unset (the kernel does not report a 0 metric) */
	uint32_t mtu;
	uint32_t advmss;
	uint32_t initcwnd;
	uint32_t initrwnd;
	uint32_t quickack;
	uint32_t locks; /* RTAX_LOCK: 1 << RTAX_MTU, 1 << RTAX_CC_ALGO */
	int oif; /* as protocol: set on observe, by the rtnl source on apply */
	struct lx_nexthop *nh;
};

/* ---------------------------------------------------------------- rules */

/* Policy routing rule (FRA_*); every member is part of its identity. */
struct lx_rule {
	uint8_t family;
	bool invert; /* `not`: FIB_RULE_INVERT */
	uint8_t src_len, dst_len;
	union lx_inaddr src, dst;
	char iif[IFNAMSIZ], oif[IFNAMSIZ];
	bool has_fwmark;
	uint32_t fwmark, fwmask;
	uint8_t ipproto;				 /* 0 = any */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi; /* 0 = any */
	uint8_t tos;
	bool has_priority; /* without it the kernel picks one: any matches */
	uint32_t priority;
	uint8_t action;	  /* FR_ACT_TO_TBL, FR_ACT_BLACKHOLE, ... */
	uint32_t table;	  /* FR_ACT_TO_TBL */
	uint8_t protocol; /* observed */
};

/* ----------------------------------------------------------- neighbours */

struct lx_neigh {
	uint8_t family;
	union lx_inaddr addr;
	char dev[IFNAMSIZ];
	uint8_t lladdr[6];
	uint16_t state; /* NUD_PERMANENT (default) or NUD_NOARP */
	/* observed */
	uint8_t lladdr_len;
	uint8_t protocol;
	uint8_t flags;
	int ifindex;
};

/* ------------------------------------------- sysctl and cgroup settings */

/* Longest sysctl / cgroup value read or written (bytes). */
#define LX_KV_VALUE_MAX 4096

/* A key/value pair; both strings owned by the containing array. */
struct lx_kv {
	char *key;
	char *value;
};

struct lx_kvs {
	struct lx_kv *v;
	size_t n;
};

/* ------------------------------------------------------------ nftables */

/*
 * The body of one of our nftables tables (lib/nft.h): the nft text and,
 * once compiled, the kernel's own objects as nf_tables messages.
 */
struct lx_nft_body {
	char *text;    /* NULL = no table */
	uint8_t *msgs; /* compiled; NULL until lx_nft_compile() */
	size_t len;
	uint64_t hash; /* lx_nft_hash(msgs, len) */
	uint32_t n_rules;
};

/* ------------------------------------------------------------- options */

struct lx_options {
	uint32_t interval_ms; /* resync period; 0 = never */
	uint32_t debounce_ms;
	bool monitor;
	uint8_t protocol;
	bool revert_on_release;
	bool require_converged;
	/* Replace another protocol's route/rule/neighbour of the same
	 * identity with ours instead of failing. */
	bool adopt;
};

/* ------------------------------------------------------ desired document */

struct lx_desired {
	struct lx_link *links;
	size_t n_links;
	struct lx_addr *addrs;
	size_t n_addrs;
	struct lx_route *routes;
	size_t n_routes;
	struct lx_rule *rules;
	size_t n_rules;
	struct lx_neigh *neighs;
	size_t n_neighs;
	struct lx_kvs sysctl;
	struct lx_kvs cgroup;
	struct lx_nft_body nft; /* "nftables": the body of inet linx */
	struct lx_options opts;
};

/* ------------------------------------------------------- ownership */

/*
 * One owned setting (sysctl or cgroup knob): the value we wrote and the value
 * found before our first write (for revert_on_release / tighten-only).
 */
struct lx_owned_kv {
	char *key;
	char *applied;
	char *original; /* NULL if it could not be read */
};

struct lx_owned_kvs {
	struct lx_owned_kv *v;
	size_t n;
};

/*
 * last_applied: what we installed and still own. Routes are not here: they
 * are owned by their rtm_protocol tag.
 */
struct lx_owned {
	struct lx_addr *addrs;
	size_t n_addrs;
	struct lx_link *links; /* links we created (kind != EXISTING) */
	size_t n_links;
	struct lx_owned_kvs sysctl;
	struct lx_owned_kvs cgroup;
};

/* Default options (SPEC.md). */
void lx_options_init(struct lx_options *o);

/* Free the contents (not the struct itself); leaves it zeroed. NULL-safe. */
void lx_desired_free(struct lx_desired *d);
void lx_owned_free(struct lx_owned *o);
void lx_kvs_free(struct lx_kvs *k);
void lx_nft_body_free(struct lx_nft_body *b);
/* Deep copy; 0 or -ENOMEM (dst left empty). */
int lx_nft_body_copy(struct lx_nft_body *dst, const struct lx_nft_body *src);
void lx_owned_kvs_free(struct lx_owned_kvs *k);

/* Find by key; NULL if absent. */
const struct lx_kv *lx_kvs_find(const struct lx_kvs *k, const char *key);
struct lx_owned_kv *lx_owned_kvs_find(const struct lx_owned_kvs *k,
				      const char *key);

/* Append a copy of key/value (strdup). Returns 0 or -ENOMEM. */
int lx_kvs_add(struct lx_kvs *k, const char *key, const char *value);
int lx_owned_kvs_set(struct lx_owned_kvs *k, const char *key,
		     const char *applied, const char *original);
/* Remove key if present. */
void lx_owned_kvs_del(struct lx_owned_kvs *k, const char *key);

/* Deep copies. Return 0 or -ENOMEM (dst left empty on failure). */
int lx_owned_copy(struct lx_owned *dst, const struct lx_owned *src);
int lx_owned_kvs_copy(struct lx_owned_kvs *dst, const struct lx_owned_kvs *src);
int lx_desired_copy(struct lx_desired *dst, const struct lx_desired *src);

/* *dst = *src with nexthops of its own. 0 or -ENOMEM (dst without
 * nexthops then: nothing to free). */
int lx_route_copy(struct lx_route *dst, const struct lx_route *src) LX_WUR;
/* Free r's nexthops (n_nexthops = 0); the rest of r stays. */
void lx_route_fini(struct lx_route *r);
/* lx_route_fini() on each of n routes, then free(v). */
void lx_routes_free(struct lx_route *v, size_t n);

/* Grow helper: ensure room for element n (appending) in *arr, whose
 * capacity is implicit (8, doubled at each power of two). */
int lx_grow(void **arr, size_t n, size_t sz);

#endif
