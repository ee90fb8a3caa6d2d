/* SPDX-License-Identifier: MIT */
/*
 * sysctl source: network-namespaced sysctls of the target namespace.
 *
 * Every read and write goes through openat2() beneath a /proc/sys directory
 * fd with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, on a
 * path built from a validated name (lx_sysctl_validate), never from a path a
 * tenant wrote.
 *
 * Which namespace: the kernel resolves /proc/sys/net/... against the network
 * namespace of the calling thread at lookup time (net_ctl_header_lookup uses
 * current->nsproxy->net_ns), so every call below acts on the namespace the
 * caller is in when it makes the call. Call lx_sysctl_open() and the rest
 * after setns() into the target namespace.
 *
 * The pass itself is the key/value engine's (kv.h); this file supplies
 * the hooks: validation, openat2 reads and writes, and the comparison in
 * the kernel's canonical form (lx_sysctl_equal).
 *
 * Not thread-safe per context; no global state.
 */
#ifndef LX_SYSCTL_H
#define LX_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "kv.h"
#include "model.h"

/* Longest sysctl name accepted (dotted form). */
#define LX_SYSCTL_NAME_MAX 256
/* Longest value read or written. */
#define LX_SYSCTL_VALUE_MAX LX_KV_VALUE_MAX

struct lx_sysctl_ctx {
	int procsys_fd; /* O_PATH|O_DIRECTORY fd of /proc/sys, -1 if closed */
	lx_kv_intent_fn intent; /* write-ahead of originals; NULL = none */
	void *intent_data;
};

/* Open /proc/sys (after entering the target netns). */
int lx_sysctl_open(struct lx_sysctl_ctx *ctx, struct lx_error *err) LX_WUR;
/* Close; NULL-safe and idempotent. */
void lx_sysctl_close(struct lx_sysctl_ctx *ctx);

/*
 * Name rules, without any policy prefix list:
 *   - Kubernetes sysctl grammar: segments [a-z0-9]([-_a-z0-9]*[a-z0-9])?
 *     separated by '.' or '/' ('/' is read as '.'), at most
 *     LX_SYSCTL_NAME_MAX characters. So "..", empty segments and absolute
 *     paths cannot be expressed.
 *   - under "net.", not one of the host-global keys (the net. sysctls
 *     that are not per network namespace) and not one of the keys with a
 *     global effect that a child namespace can still write (see
 *     sysctl.c for both lists and the kernel's reasons).
 * On success writes the canonical dotted form into canon (if canon != NULL;
 * canon_len >= LX_SYSCTL_NAME_MAX + 1) and returns 0. On refusal returns
 * -EPERM and writes the rule broken into why (e.g.
 * "net.core.rmem_max is host-global: not per network namespace").
 */
int lx_sysctl_check_name(const char *key, char *canon, size_t canon_len,
			 char *why, size_t why_len) LX_WUR;

/* Same, as an error: LX_ERR_POLICY, `sysctl "KEY": refused: RULE`. */
int lx_sysctl_validate(const char *key, struct lx_error *err) LX_WUR;

/* true when the dotted key is on the host-global list. */
bool lx_sysctl_is_host_global(const char *dotted);
/* The kernel-source reason when the dotted key has a global effect though
 * a child netns can write it; NULL otherwise. */
const char *lx_sysctl_global_effect(const char *dotted);

/*
 * The one key the dotted key is another name for (both name one variable
 * of the kernel, e.g. net.ipv4.ip_forward and net.ipv4.conf.all.forwarding),
 * or the key itself.
 */
const char *lx_sysctl_alias_of(const char *dotted);

/*
 * Checks against the target namespace, before anything is written (exit 5
 * on refusal, one line per key): a key that cannot be read back (a
 * write-only key such as net.ipv4.route.flush: we could never tell whether
 * it converged, nor record what release restores) and two keys of desired
 * that name one setting (they would overwrite each other every pass).
 */
int lx_sysctl_check(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
		    struct lx_error *err) LX_WUR;

/*
 * Values equal as the kernel stores them: whitespace folded, and each
 * word that is an integer compared as the number the kernel parses
 * (base 0 like proc_dointvec: "01" = "1", "0x10" = "16", "010" = "8").
 * NULL equals only NULL.
 */
bool lx_sysctl_equal(const char *a, const char *b);

/*
 * Read one sysctl of the caller's current netns. *value: new string, folded.
 * The key is validated first.
 */
int lx_sysctl_read(struct lx_sysctl_ctx *ctx, const char *key, char **value,
		   struct lx_error *err) LX_WUR;

/* Write one sysctl (validated first); one write(2) at offset 0. */
int lx_sysctl_write(struct lx_sysctl_ctx *ctx, const char *key,
		    const char *value, struct lx_error *err) LX_WUR;

/* The engine's pieces (kv.h) with the sysctl hooks. */
int lx_sysctl_observe(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err) LX_WUR;
/* Pure: lx_kvs_diff3 with lx_sysctl_equal. */
int lx_sysctl_diff(const struct lx_kvs *desired, const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err) LX_WUR;
/* One pass (lx_kv_reconcile): validation failures are LX_ERR_POLICY. */
int lx_sysctl_reconcile(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert_on_release,
			struct lx_subreport *rep, struct lx_error *err) LX_WUR;
/* Teardown (lx_kv_release). */
int lx_sysctl_release(struct lx_sysctl_ctx *ctx, struct lx_owned_kvs *owned,
		      bool revert_on_release, struct lx_subreport *rep,
		      struct lx_error *err) LX_WUR;

/* The source contract (source.h) over the functions above. */
extern const struct lx_subsys lx_sysctl_subsys;

#endif
