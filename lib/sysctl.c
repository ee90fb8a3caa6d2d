/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* openat2, O_PATH, asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"
#include "sysctl.h"

/*
 * The net. sysctls that are NOT per network namespace.
 *
 * How this list was found (Linux 6.18, Debian 12 host, modules loaded as on
 * the CI machine): `cd /proc/sys && find net -type f -printf '%m %p\n'` in
 * the initial namespace and the same inside `unshare -n`, then
 *   - keys present on the host but absent in the fresh namespace, minus the
 *     per-device conf/<dev>/ and neigh/<dev>/ entries of host-only devices:
 *     the kernel registers these for init_net only (global state);
 *   - keys present in both but mode 0444 in the fresh namespace (net.core
 *     {r,w}mem_{default,max}, tcp_allowed_congestion_control, the conntrack
 *     sizes): a child namespace sees the host value and cannot change it.
 * An entry ending in '.' is a whole subtree. Writing goes through the
 * target namespace's /proc/sys, where the kernel hides the absent ones
 * anyway; this list makes the refusal explicit and early (exit 5 with the
 * rule) instead of an ENOENT/EACCES at apply time.
 */
static const char *const host_global[] = {
    "net.core.bpf_jit_enable",
    "net.core.bpf_jit_harden",
    "net.core.bpf_jit_kallsyms",
    "net.core.bpf_jit_limit",
    "net.core.busy_poll",
    "net.core.busy_read",
    "net.core.default_qdisc",
    "net.core.dev_weight",
    "net.core.dev_weight_rx_bias",
    "net.core.dev_weight_tx_bias",
    "net.core.devconf_inherit_init_net",
    "net.core.fb_tunnels_only_for_init_net",
    "net.core.flow_limit_cpu_bitmap",
    "net.core.flow_limit_table_len",
    "net.core.gro_normal_batch",
    "net.core.high_order_alloc_disable",
    "net.core.max_skb_frags",
    "net.core.mem_pcpu_rsv",
    "net.core.message_burst",
    "net.core.message_cost",
    "net.core.netdev_budget",
    "net.core.netdev_budget_usecs",
    "net.core.netdev_max_backlog",
    "net.core.netdev_rss_key",
    "net.core.netdev_tstamp_prequeue",
    "net.core.netdev_unregister_timeout_secs",
    "net.core.rmem_default", /* read-only mirror in a child netns */
    "net.core.rmem_max",     /* read-only mirror in a child netns */
    "net.core.rps_sock_flow_entries",
    "net.core.skb_defer_max",
    "net.core.warnings",
    "net.core.wmem_default", /* read-only mirror in a child netns */
    "net.core.wmem_max",     /* read-only mirror in a child netns */
    "net.ipv4.cipso_cache_bucket_size",
    "net.ipv4.cipso_cache_enable",
    "net.ipv4.cipso_rbm_optfmt",
    "net.ipv4.cipso_rbm_strictvalid",
    "net.ipv4.fib_sync_mem",
    "net.ipv4.inet_peer_maxttl",
    "net.ipv4.inet_peer_minttl",
    "net.ipv4.inet_peer_threshold",
    "net.ipv4.ipfrag_secret_interval",
    "net.ipv4.neigh.default.", /* the ARP table's parameters are global */
    "net.ipv4.route.error_burst",
    "net.ipv4.route.error_cost",
    "net.ipv4.route.gc_elasticity",
    "net.ipv4.route.gc_interval",
    "net.ipv4.route.gc_min_interval",
    "net.ipv4.route.gc_min_interval_ms",
    "net.ipv4.route.gc_thresh",
    "net.ipv4.route.gc_timeout",
    "net.ipv4.route.max_size",
    "net.ipv4.route.redirect_load",
    "net.ipv4.route.redirect_number",
    "net.ipv4.route.redirect_silence",
    "net.ipv4.tcp_allowed_congestion_control", /* read-only in a child */
    "net.ipv4.tcp_available_ulp",
    "net.ipv4.tcp_low_latency",
    "net.ipv4.tcp_max_orphans",
    "net.ipv4.tcp_mem",
    "net.ipv4.udp_mem",
    "net.ipv6.calipso_cache_bucket_size",
    "net.ipv6.calipso_cache_enable",
    "net.ipv6.ip6frag_secret_interval",
    "net.ipv6.mld_max_msf",
    "net.ipv6.mld_qrv",
    "net.ipv6.neigh.default.", /* the NDISC table's parameters are global */
    "net.netfilter.nf_conntrack_buckets",    /* read-only in a child */
    "net.netfilter.nf_conntrack_expect_max", /* read-only in a child */
    "net.netfilter.nf_conntrack_max",	     /* read-only in a child */
    "net.netfilter.nf_log_all_netns",
    "net.nf_conntrack_max",
};

bool lx_sysctl_is_host_global(const char *dotted)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(host_global); i++) {
		const char *g = host_global[i];
		size_t n = strlen(g);

		if (g[n - 1] == '.' ? strncmp(dotted, g, n) == 0
				    : strcmp(dotted, g) == 0)
			return true;
	}
	return false;
}

static bool seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

static bool seg_edge(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int lx_sysctl_check_name(const char *key, char *canon, size_t canon_len,
			 char *why, size_t why_len)
{
	char buf[LX_SYSCTL_NAME_MAX + 1];
	size_t len, seg = 0;

#define REFUSE(...)                                                            \
	do {                                                                   \
		if (why && why_len)                                            \
			snprintf(why, why_len, __VA_ARGS__);                   \
		return -EPERM;                                                 \
	} while (0)

	if (!key || !*key)
		REFUSE("empty name");
	len = strnlen(key, LX_SYSCTL_NAME_MAX + 1);
	if (len > LX_SYSCTL_NAME_MAX)
		REFUSE("name longer than %d characters", LX_SYSCTL_NAME_MAX);
	if (key[0] == '/')
		REFUSE("an absolute path is not a sysctl name");
	for (size_t i = 0; i <= len; i++) {
		char c = key[i];

		if (c == '.' || c == '/' || c == '\0') {
			if (seg == 0)
				REFUSE("empty name segment ('..', '//' or a "
				       "leading or trailing separator)");
			if (!seg_edge(key[i - 1]))
				REFUSE("a name segment must end with "
				       "[a-z0-9]");
			buf[i] = c ? '.' : '\0';
			seg = 0;
			continue;
		}
		if (!seg_char(c))
			REFUSE("invalid character in name (segments are "
			       "[a-z0-9]([-_a-z0-9]*[a-z0-9])? separated by "
			       "'.' or '/')");
		if (seg == 0 && !seg_edge(c))
			REFUSE("a name segment must start with [a-z0-9]");
		buf[i] = c;
		seg++;
	}
	if (strncmp(buf, "net.", 4) != 0)
		REFUSE("only net.* sysctls may be set");
	if (lx_sysctl_is_host_global(buf))
		REFUSE("%s is host-global: not per network namespace", buf);
#undef REFUSE
	if (canon) {
		if (canon_len <= len)
			return -ENAMETOOLONG;
		memcpy(canon, buf, len + 1);
	}
	return 0;
}

/* Quote a tenant string for a message: printable ASCII only, bounded. */
const char *lx_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;

	for (i = 0; s[i] && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 64) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

int lx_sysctl_validate(const char *key, struct lx_error *err)
{
	char why[256], q[300];
	int r;

	r = lx_sysctl_check_name(key, NULL, 0, why, sizeof(why));
	if (r < 0) {
		lx_error_set(err, LX_ERR_POLICY, 0,
			     "sysctl \"%s\": refused: %s",
			     lx_quote(key ? key : "", q, sizeof(q)), why);
		if (err)
			err->err = EPERM;
		return -EPERM;
	}
	return 0;
}

char *lx_sysctl_fold(const char *s)
{
	size_t n = strlen(s), o = 0;
	bool blank = false;
	char *r = malloc(n + 1);

	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\v' || c == '\f') {
			blank = o > 0;
			continue;
		}
		if (blank)
			r[o++] = ' ';
		blank = false;
		r[o++] = c;
	}
	r[o] = '\0';
	return r;
}

bool lx_sysctl_equal(const char *a, const char *b)
{
	_cleanup_free_ char *fa = NULL;
	_cleanup_free_ char *fb = NULL;

	if (!a || !b)
		return a == b;
	fa = lx_sysctl_fold(a);
	fb = lx_sysctl_fold(b);
	if (!fa || !fb)
		return false;
	return strcmp(fa, fb) == 0;
}

static bool sysctl_eq(const char *key, const char *a, const char *b)
{
	(void)key;
	return lx_sysctl_equal(a, b);
}

int lx_sysctl_open(struct lx_sysctl_ctx *ctx, struct lx_error *err)
{
	ctx->procsys_fd = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->procsys_fd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "open /proc/sys");
	return 0;
}

void lx_sysctl_close(struct lx_sysctl_ctx *ctx)
{
	if (ctx && ctx->procsys_fd >= 0) {
		close(ctx->procsys_fd);
		ctx->procsys_fd = -1;
	}
}

/* Validate key and open its file beneath /proc/sys. */
static int sysctl_openat(struct lx_sysctl_ctx *ctx, const char *key, int flags,
			 struct lx_error *err)
{
	char path[LX_SYSCTL_NAME_MAX + 1];
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
	    .resolve =
		RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int r, fd;

	r = lx_sysctl_validate(key, err);
	if (r < 0)
		return r;
	r = lx_sysctl_check_name(key, path, sizeof(path), NULL, 0);
	if (r < 0)
		return r;
	for (char *p = path; *p; p++)
		if (*p == '.')
			*p = '/';
	if (ctx->procsys_fd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, EBADF, "sysctl %s",
				    key);
	fd =
	    (int)syscall(SYS_openat2, ctx->procsys_fd, path, &how, sizeof(how));
	if (fd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "sysctl %s",
				    key);
	return fd;
}

int lx_sysctl_read(struct lx_sysctl_ctx *ctx, const char *key, char **value,
		   struct lx_error *err)
{
	_cleanup_close_ int fd = -1;
	char buf[LX_SYSCTL_VALUE_MAX + 1];
	size_t n = 0;

	*value = NULL;
	fd = sysctl_openat(ctx, key, O_RDONLY, err);
	if (fd < 0)
		return fd;
	while (n < LX_SYSCTL_VALUE_MAX) {
		ssize_t r = read(fd, buf + n, LX_SYSCTL_VALUE_MAX - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, errno,
					    "sysctl %s: read", key);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*value = lx_sysctl_fold(buf);
	if (!*value)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "sysctl %s",
				    key);
	return 0;
}

int lx_sysctl_write(struct lx_sysctl_ctx *ctx, const char *key,
		    const char *value, struct lx_error *err)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t r;

	if (len > LX_SYSCTL_VALUE_MAX)
		return lx_error_set(err, LX_ERR_INVALID, E2BIG,
				    "sysctl %s: value too long", key);
	fd = sysctl_openat(ctx, key, O_WRONLY, err);
	if (fd < 0)
		return fd;
	/* procfs sysctls take the whole value in one write at offset 0. */
	do
		r = write(fd, value, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "sysctl %s=%s",
				    key, value);
	if ((size_t)r != len)
		return lx_error_set(err, LX_ERR_SYSTEM, EIO,
				    "sysctl %s=%s: short write", key, value);
	return 0;
}

const char *lx_kvs_get(const struct lx_kvs *k, const char *key)
{
	const struct lx_kv *kv = k ? lx_kvs_find(k, key) : NULL;

	return kv ? kv->value : NULL;
}

int lx_sysctl_observe(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err)
{
	size_t nd = desired ? desired->n : 0, no = owned ? owned->n : 0;

	for (size_t i = 0; i < nd + no; i++) {
		const char *key =
		    i < nd ? desired->v[i].key : owned->v[i - nd].key;
		_cleanup_free_ char *v = NULL;
		struct lx_error e;

		if (lx_kvs_find(observed, key))
			continue;
		lx_error_clear(&e);
		if (lx_sysctl_read(ctx, key, &v, &e) < 0 && err)
			lx_error_add(err, e.kind, 0, "%s", e.msg);
		if (lx_kvs_add(observed, key, v) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "sysctl observe");
	}
	return 0;
}

static int plan_kv(struct lx_plan *plan, enum lx_obj obj, enum lx_op_verb verb,
		   const char *key, const char *value, const char *observed)
{
	struct lx_op op = {.verb = verb, .obj = obj};

	op.u.kv.key = strdup(key);
	op.u.kv.value = value ? strdup(value) : NULL;
	op.u.kv.observed = observed ? strdup(observed) : NULL;
	if (!op.u.kv.key || (value && !op.u.kv.value) ||
	    (observed && !op.u.kv.observed)) {
		lx_op_free(&op);
		return -ENOMEM;
	}
	return lx_plan_add(plan, &op); /* frees the op on failure */
}

int lx_kvs_diff3(enum lx_obj obj, const struct lx_kvs *desired,
		 const struct lx_kvs *observed,
		 const struct lx_owned_kvs *owned, bool revert_on_release,
		 lx_kv_eq_fn eq, struct lx_plan *plan, struct lx_error *err)
{
	size_t nd = desired ? desired->n : 0, no = owned ? owned->n : 0;

	for (size_t i = 0; i < nd; i++) {
		const struct lx_kv *d = &desired->v[i];
		const char *o = lx_kvs_get(observed, d->key);

		if (o && eq(d->key, d->value, o))
			continue;
		if (plan_kv(plan, obj, LX_OP_UPDATE, d->key, d->value, o) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "%s diff", lx_obj_name(obj));
	}
	for (size_t i = 0; i < no; i++) {
		const struct lx_owned_kv *w = &owned->v[i];
		const char *o = lx_kvs_get(observed, w->key);
		const char *restore = NULL;

		if (desired && lx_kvs_find(desired, w->key))
			continue;
		if (revert_on_release && w->original &&
		    !(o && eq(w->key, w->original, o)))
			restore = w->original;
		if (plan_kv(plan, obj, LX_OP_DELETE, w->key, restore, o) < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM,
					    "%s diff", lx_obj_name(obj));
	}
	return 0;
}

int lx_kvs_adopt(const struct lx_kvs *desired, const struct lx_kvs *observed,
		 struct lx_owned_kvs *owned, lx_kv_eq_fn eq)
{
	for (size_t i = 0; desired && i < desired->n; i++) {
		const struct lx_kv *d = &desired->v[i];
		const char *o = lx_kvs_get(observed, d->key);
		struct lx_owned_kv *w;
		_cleanup_free_ char *orig = NULL;

		if (!o || !eq(d->key, d->value, o))
			continue;
		w = lx_owned_kvs_find(owned, d->key);
		if (w && w->applied && strcmp(w->applied, d->value) == 0)
			continue;
		if (w && w->original) {
			orig = strdup(w->original);
			if (!orig)
				return -ENOMEM;
		}
		if (lx_owned_kvs_set(owned, d->key, d->value, w ? orig : o) < 0)
			return -ENOMEM;
	}
	return 0;
}

int lx_sysctl_diff(const struct lx_kvs *desired, const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err)
{
	return lx_kvs_diff3(LX_OBJ_SYSCTL, desired, observed, owned,
			    revert_on_release, sysctl_eq, plan, err);
}

int lx_kv_owned_update(struct lx_owned_kvs *owned, const struct lx_op *op)
{
	struct lx_owned_kv *w = lx_owned_kvs_find(owned, op->u.kv.key);
	_cleanup_free_ char *orig = NULL;

	if (op->verb == LX_OP_DELETE) {
		lx_owned_kvs_del(owned, op->u.kv.key);
		return 0;
	}
	/* The original is the value seen before our FIRST write. */
	if (w) {
		if (w->original && !(orig = strdup(w->original)))
			return -ENOMEM;
	} else if (op->u.kv.observed && !(orig = strdup(op->u.kv.observed))) {
		return -ENOMEM;
	}
	return lx_owned_kvs_set(owned, op->u.kv.key, op->u.kv.value, orig);
}

/* A planned write of obj (an update, or a restore on release). */
static bool kv_writes(const struct lx_op *op, enum lx_obj obj)
{
	return op->obj == obj && op->state == LX_OPS_PLANNED &&
	       op->verb != LX_OP_DELETE && op->u.kv.value;
}

void lx_kv_announce(const struct lx_plan *plan, enum lx_obj obj,
		    const struct lx_owned_kvs *owned, lx_kv_intent_fn fn,
		    void *data)
{
	struct lx_owned_kvs ahead;
	bool first_write = false;
	int r = 0;

	for (size_t i = 0; i < plan->n && !first_write; i++)
		first_write = kv_writes(&plan->ops[i], obj) &&
			      !lx_owned_kvs_find(owned, plan->ops[i].u.kv.key);
	if (!fn || !first_write || lx_owned_kvs_copy(&ahead, owned) < 0)
		return;
	for (size_t i = 0; i < plan->n && r == 0; i++)
		if (kv_writes(&plan->ops[i], obj))
			r = lx_kv_owned_update(&ahead, &plan->ops[i]);
	if (r == 0)
		fn(data, obj, &ahead);
	lx_owned_kvs_free(&ahead);
}

int lx_sysctl_apply(struct lx_sysctl_ctx *ctx, struct lx_plan *plan,
		    struct lx_owned_kvs *owned, struct lx_error *err)
{
	int first = 0;

	for (size_t i = 0; i < plan->n; i++) {
		struct lx_op *op = &plan->ops[i];
		struct lx_error e;
		int r = 0;

		if (op->obj != LX_OBJ_SYSCTL || op->state != LX_OPS_PLANNED)
			continue;
		lx_error_clear(&e);
		if (op->u.kv.value)
			r = lx_sysctl_write(ctx, op->u.kv.key, op->u.kv.value,
					    &e);
		if (r == 0 && lx_kv_owned_update(owned, op) < 0)
			r = lx_error_set(&e, LX_ERR_SYSTEM, ENOMEM, "sysctl %s",
					 op->u.kv.key);
		if (r < 0) {
			lx_op_fail(op, e.msg);
			lx_error_add(err, LX_ERR_SYSTEM, 0, "%s", e.msg);
			if (!first)
				first = r;
			continue;
		}
		op->state = LX_OPS_APPLIED;
	}
	return first;
}

static void subreport_error(struct lx_subreport *rep, const char *msg)
{
	free(rep->error);
	rep->error = strdup(msg);
	rep->converged = false;
}

int lx_sysctl_reconcile(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert_on_release,
			struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_kvs observed = {0};
	struct lx_error e;
	int r;

	rep->converged = false;
	/* Defence in depth: the policy check ran before; refuse again. */
	lx_error_clear(&e);
	for (size_t i = 0; desired && i < desired->n; i++) {
		struct lx_error one;

		lx_error_clear(&one);
		if (lx_sysctl_validate(desired->v[i].key, &one) < 0)
			lx_error_add(&e, LX_ERR_POLICY, 0, "%s", one.msg);
	}
	if (lx_error_is_set(&e)) {
		subreport_error(rep, e.msg);
		if (err)
			*err = e;
		return -EPERM;
	}
	lx_error_clear(&e);
	r = lx_sysctl_observe(ctx, desired, owned, &observed, &e);
	if (r < 0)
		goto fail;
	/* Unreadable keys are not fatal: their ops carry the failure. */
	lx_error_clear(&e);
	r = lx_sysctl_diff(desired, &observed, owned, revert_on_release,
			   &rep->plan, &e);
	if (r < 0)
		goto fail;
	if (ctx->intent && owned)
		lx_kv_announce(&rep->plan, LX_OBJ_SYSCTL, owned, ctx->intent,
			       ctx->intent_data);
	lx_error_clear(&e);
	if (lx_sysctl_apply(ctx, &rep->plan, owned, &e) < 0) {
		/* best-effort: the failures are recorded on their ops */
	}
	if (lx_kvs_adopt(desired, &observed, owned, sysctl_eq) < 0) {
		r = lx_error_set(&e, LX_ERR_SYSTEM, ENOMEM, "sysctl");
		goto fail;
	}
	lx_kvs_free(&observed);
	rep->converged = lx_plan_count(&rep->plan, LX_OPS_FAILED) == 0 &&
			 lx_plan_count(&rep->plan, LX_OPS_PENDING) == 0;
	return 0;
fail:
	lx_kvs_free(&observed);
	subreport_error(rep, e.msg);
	if (err)
		*err = e;
	return r;
}

int lx_sysctl_release(struct lx_sysctl_ctx *ctx, struct lx_owned_kvs *owned,
		      bool revert_on_release, struct lx_subreport *rep,
		      struct lx_error *err)
{
	return lx_sysctl_reconcile(ctx, NULL, owned, revert_on_release, rep,
				   err);
}

/* ------------------------------------------------ the source contract */

void lx_kv_intent_forward(void *data, enum lx_obj obj,
			  const struct lx_owned_kvs *ahead)
{
	struct lx_kv_forward *f = data;
	struct lx_owned o = *f->owned; /* shallow: only read */

	if (obj == LX_OBJ_SYSCTL)
		o.sysctl = *ahead;
	else
		o.cgroup = *ahead;
	f->env->intent(f->env->intent_data, &o);
}

struct sysctl_src {
	struct lx_sysctl_ctx ctx;
	struct lx_kv_forward fwd;
};

static int sysctl_open_op(void **inst, const struct lx_source_env *env,
			  struct lx_error *err)
{
	struct sysctl_src *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "sysctl");
	s->ctx.procsys_fd = -1;
	s->fwd.env = env;
	r = lx_sysctl_open(&s->ctx, err);
	if (r < 0) {
		free(s);
		return r;
	}
	*inst = s;
	return 0;
}

static void sysctl_close_op(void *inst)
{
	struct sysctl_src *s = inst;

	if (!s)
		return;
	lx_sysctl_close(&s->ctx);
	free(s);
}

static int sysctl_check_op(void *inst, const struct lx_source_env *env,
			   const struct lx_desired *d,
			   const struct lx_owned *owned, struct lx_error *err)
{
	(void)inst;
	(void)owned;
	if (!d->sysctl.n || !env->host_netns || env->policy->allow_host_netns)
		return 0;
	return lx_error_add(err, LX_ERR_POLICY, 0,
			    "sysctl (io.linx.sysctl): refused: the target is "
			    "the sidecar's own network namespace "
			    "(--allow-host-netns not given)");
}

static int sysctl_observe_op(void *inst, const struct lx_desired *d,
			     const struct lx_owned *owned, void **observed,
			     struct lx_error *err)
{
	struct sysctl_src *s = inst;
	struct lx_kvs *obs;
	struct lx_error unreadable;
	int r = 0;

	/* Defence in depth: the policy check ran before; refuse again. */
	for (size_t i = 0; i < d->sysctl.n; i++) {
		struct lx_error one;

		lx_error_clear(&one);
		if (lx_sysctl_validate(d->sysctl.v[i].key, &one) < 0)
			r = lx_error_add(err, LX_ERR_POLICY, 0, "%s", one.msg);
	}
	if (r < 0)
		return -EPERM;
	obs = calloc(1, sizeof(*obs));
	if (!obs)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "sysctl");
	/* Unreadable keys are not fatal: the diff plans a write, whose op
	 * then carries the failure. */
	lx_error_clear(&unreadable);
	r = lx_sysctl_observe(&s->ctx, &d->sysctl, &owned->sysctl, obs,
			      &unreadable);
	if (r < 0) {
		lx_kvs_free(obs);
		free(obs);
		return lx_error_set(err, LX_ERR_SYSTEM, -r, "sysctl: observe");
	}
	*observed = obs;
	return 0;
}

void lx_kvs_observed_free(void *observed)
{
	lx_kvs_free(observed);
	free(observed);
}

static int sysctl_diff_op(const void *inst, const struct lx_desired *d,
			  const void *observed, const struct lx_owned *owned,
			  struct lx_plan *plan, struct lx_error *err)
{
	(void)inst;
	return lx_sysctl_diff(&d->sysctl, observed, &owned->sysctl,
			      d->opts.revert_on_release, plan, err);
}

/* Best-effort: every op is tried; failures are recorded on their ops. */
static int sysctl_apply_op(void *inst, const struct lx_desired *d,
			   const void *observed, struct lx_owned *owned,
			   struct lx_subreport *rep, struct lx_error *err)
{
	struct sysctl_src *s = inst;
	struct lx_error failures;

	if (s->fwd.env->intent) {
		s->fwd.owned = owned;
		lx_kv_announce(&rep->plan, LX_OBJ_SYSCTL, &owned->sysctl,
			       lx_kv_intent_forward, &s->fwd);
	}
	lx_error_clear(&failures);
	if (lx_sysctl_apply(&s->ctx, &rep->plan, &owned->sysctl, &failures) <
	    0) {
		/* recorded on the failed ops */
	}
	if (lx_kvs_adopt(&d->sysctl, observed, &owned->sysctl, sysctl_eq) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "sysctl");
	rep->converged = lx_plan_count(&rep->plan, LX_OPS_FAILED) == 0 &&
			 lx_plan_count(&rep->plan, LX_OPS_PENDING) == 0;
	return 0;
}

static int sysctl_release_op(void *inst, struct lx_owned *owned, bool remove,
			     bool revert, struct lx_subreport *rep,
			     struct lx_error *err)
{
	struct sysctl_src *s = inst;

	(void)remove;
	if (!revert)
		return 0;
	return lx_sysctl_release(&s->ctx, &owned->sysctl, true, rep, err);
}

const struct lx_subsys lx_sysctl_subsys = {
    .name = "sysctl",
    .open = sysctl_open_op,
    .close = sysctl_close_op,
    .check = sysctl_check_op,
    .observe = sysctl_observe_op,
    .observed_free = lx_kvs_observed_free,
    .diff = sysctl_diff_op,
    .apply = sysctl_apply_op,
    .release = sysctl_release_op,
};
