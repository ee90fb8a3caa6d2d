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
 * Ownership is three-way (SPEC.md): desired x observed x owned, where owned
 * records for each key the value we applied and the value seen before our
 * first write ("original"). Values are compared after folding whitespace
 * (the kernel prints "1024\t65000" for "1024 65000").
 *
 * Not thread-safe per context; no global state.
 */
#ifndef LX_SYSCTL_H
#define LX_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "model.h"
#include "op.h"
#include "report.h"
#include "source.h"

/* Longest sysctl name accepted (dotted form). */
#define LX_SYSCTL_NAME_MAX 256
/* Longest value read or written. */
#define LX_SYSCTL_VALUE_MAX 4096

/*
 * Write-ahead for key/value sources. A value seen before our first write is
 * what release restores; it must be on disk before that write, or a process
 * killed right after it leaves its successor no way to know the original.
 * Before applying a plan that writes a key not owned yet, the reconcilers
 * call this with owned as it will be once every planned write succeeded.
 */
typedef void (*lx_kv_intent_fn)(void *data, enum lx_obj obj,
				const struct lx_owned_kvs *ahead);

struct lx_sysctl_ctx {
	int procsys_fd; /* O_PATH|O_DIRECTORY fd of /proc/sys, -1 if closed */
	lx_kv_intent_fn intent; /* NULL = none */
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
 *   - under "net.", and not one of the host-global keys (the net. sysctls
 *     that are not per network namespace, see sysctl.c).
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

/*
 * Fold whitespace: trim both ends, collapse every run of blanks (space, tab,
 * newline) into one space. Returns a new string (NULL on ENOMEM).
 */
char *lx_sysctl_fold(const char *s);
/* Equal after folding (NULL equals only NULL). */
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

/*
 * Observe: read every key of desired and owned into observed (appended;
 * value NULL when unreadable, the error then goes into err as one more line
 * but the return is 0 so the pass can go on). Returns <0 only on ENOMEM.
 */
int lx_sysctl_observe(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err) LX_WUR;

/*
 * Three-way diff of key/value settings, shared by sysctl and cgroup.
 * Pure. For each desired key whose observed value differs (eq false, or not
 * observed): LX_OP_UPDATE with value = desired, observed = observed value.
 * For each owned key no longer desired: if revert_on_release and the
 * original is known and differs from the observed value, LX_OP_DELETE with
 * value = original (a restore); otherwise LX_OP_DELETE with value NULL
 * (forget: nothing written, ownership dropped). Ops are appended to plan.
 * eq(key, a, b) compares values of key (a or b may be NULL).
 */
typedef bool (*lx_kv_eq_fn)(const char *key, const char *a, const char *b);
int lx_kvs_diff3(enum lx_obj obj, const struct lx_kvs *desired,
		 const struct lx_kvs *observed,
		 const struct lx_owned_kvs *owned, bool revert_on_release,
		 lx_kv_eq_fn eq, struct lx_plan *plan,
		 struct lx_error *err) LX_WUR;

/*
 * Bookkeeping after a pass: every desired key whose observed value already
 * equals the desired one is recorded as owned (applied = desired; original
 * kept if already owned, else the observed value), so a later removal
 * knows what to restore. Returns 0 or -ENOMEM.
 */
int lx_kvs_adopt(const struct lx_kvs *desired, const struct lx_kvs *observed,
		 struct lx_owned_kvs *owned, lx_kv_eq_fn eq) LX_WUR;

/* The value of key in observed, NULL when absent or unreadable. */
const char *lx_kvs_get(const struct lx_kvs *k, const char *key);

/*
 * Record in owned the outcome of one applied kv op: UPDATE -> owned with
 * applied = op value, original kept from the first write (else the op's
 * observed value); DELETE -> dropped. Returns 0 or -ENOMEM.
 */
int lx_kv_owned_update(struct lx_owned_kvs *owned,
		       const struct lx_op *op) LX_WUR;

/* Call fn when plan writes a key owned lacks (see above). Best effort:
 * without memory for the copy nothing is announced. */
void lx_kv_announce(const struct lx_plan *plan, enum lx_obj obj,
		    const struct lx_owned_kvs *owned, lx_kv_intent_fn fn,
		    void *data);

/*
 * Quote a tenant-written string for a message: printable ASCII kept, other
 * bytes, '"' and '\\' as \xNN, cut after 64 characters ("..."). Returns buf.
 */
const char *lx_quote(const char *s, char *buf, size_t len);

/* sysctl diff: lx_kvs_diff3 with whitespace-folding equality. Pure. */
int lx_sysctl_diff(const struct lx_kvs *desired, const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err) LX_WUR;

/*
 * Apply a sysctl plan, best-effort: every op is attempted; each op ends
 * applied or failed (with the error text). owned is updated per op:
 * UPDATE applied -> owned (original kept from the first write); DELETE
 * applied -> dropped. Returns 0 when every op applied, else the negative
 * errno of the first failure with one line per failure in err
 * (LX_ERR_SYSTEM).
 */
int lx_sysctl_apply(struct lx_sysctl_ctx *ctx, struct lx_plan *plan,
		    struct lx_owned_kvs *owned, struct lx_error *err) LX_WUR;

/*
 * One pass: validate every desired key (a refusal aborts the pass before
 * anything is written: LX_ERR_POLICY), observe, diff, apply, adopt. rep is
 * filled (plan with op states, converged); rep must be empty on entry.
 * Returns 0 when the pass ran (rep->converged says if it converged), <0 when
 * it could not run.
 */
int lx_sysctl_reconcile(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert_on_release,
			struct lx_subreport *rep, struct lx_error *err) LX_WUR;

/*
 * Teardown: reconcile towards an empty desired state. With
 * revert_on_release every owned key is restored to its original (when known
 * and different) and dropped; without, ownership is simply forgotten.
 * Keys whose restore failed stay owned.
 */
int lx_sysctl_release(struct lx_sysctl_ctx *ctx, struct lx_owned_kvs *owned,
		      bool revert_on_release, struct lx_subreport *rep,
		      struct lx_error *err) LX_WUR;

/*
 * The source contract's kv glue, shared by sysctl and cgroup: forward a
 * lx_kv_intent_fn write-ahead to env->intent with the whole owned set
 * (owned as it is, the one section as it will be); free an observed
 * lx_kvs.
 */
struct lx_kv_forward {
	const struct lx_source_env *env;
	const struct lx_owned *owned; /* set before each announce */
};
void lx_kv_intent_forward(void *data, enum lx_obj obj,
			  const struct lx_owned_kvs *ahead);
void lx_kvs_observed_free(void *observed);

/* The source contract (source.h) over the functions above. */
extern const struct lx_subsys lx_sysctl_subsys;

#endif
