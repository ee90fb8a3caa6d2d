/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* openat2, O_PATH, asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sysctl.h"
#include "policy.h"

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

/*
 * net. keys that a child network namespace can still write although the
 * write acts on the whole host: refused like the host-global ones. Each
 * with the kernel-source reason. tests/netns/test_sysctl_namespacing.c
 * writes every other writable net.* key of a fresh namespace and fails
 * when one shows through in a second namespace, so a kernel that adds
 * such a key fails the suite until it is classified here.
 *
 * Considered and allowed: net.ipv4.tcp_congestion_control may make the
 * kernel load a tcp_<name> congestion module (tcp_ca_find_autoload, as
 * the sidecar is root on the host), which every namespace can then use;
 * the setting itself stays per namespace and refusing it would refuse the
 * common bbr case.
 */
static const struct {
	const char *key;
	const char *why;
} global_effect[] = {
    {"net.netfilter.nf_hooks_lwtunnel",
     "registered in every namespace's conntrack table, but its handler "
     "(net/netfilter/nf_hooks_lwtunnel.c, nf_hooks_lwtunnel_sysctl_handler) "
     "enables the global static key nf_hooks_lwtunnel_enabled for every "
     "namespace, and writing 0 afterwards fails with EBUSY: it cannot be "
     "turned off again"},
};

const char *lx_sysctl_global_effect(const char *dotted)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(global_effect); i++)
		if (strcmp(dotted, global_effect[i].key) == 0)
			return global_effect[i].why;
	return NULL;
}

/*
 * Two names of one kernel variable: net/ipv4/sysctl_net_ipv4.c points
 * ip_forward's .data at devconf_all->data[IPV4_DEVCONF_FORWARDING - 1],
 * the variable behind conf.all.forwarding. Two values for them would
 * overwrite each other on every pass.
 */
static const char *const aliases[][2] = {
    {"net.ipv4.conf.all.forwarding", "net.ipv4.ip_forward"},
};

const char *lx_sysctl_alias_of(const char *dotted)
{
	for (size_t i = 0; i < LX_ARRAY_SIZE(aliases); i++)
		if (strcmp(dotted, aliases[i][0]) == 0)
			return aliases[i][1];
	return dotted;
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
	if (lx_sysctl_global_effect(buf))
		REFUSE("%s has a global effect although a child namespace can "
		       "write it: %s",
		       buf, lx_sysctl_global_effect(buf));
#undef REFUSE
	if (canon) {
		if (canon_len <= len)
			return -ENAMETOOLONG;
		memcpy(canon, buf, len + 1);
	}
	return 0;
}

int lx_sysctl_validate(const char *key, struct lx_error *err)
{
	char why[512], q[300];
	int r;

	r = lx_sysctl_check_name(key, NULL, 0, why, sizeof(why));
	if (r < 0) {
		return lx_error_set_code(
		    err, LX_ERR_POLICY, EPERM, "sysctl \"%s\": refused: %s",
		    lx_quote(key ? key : "", q, sizeof(q)), why);
	}
	return 0;
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
	*value = lx_kv_fold(buf);
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

/* ------------------------------------------------------- comparison */

/*
 * One word as the integer proc_dointvec & co. would parse it: an optional
 * '-', then strtoul with base 0 (the kernel's _parse_integer_fixup_radix:
 * "0x" hex, a leading 0 octal). false when the word is not a whole number.
 */
static bool word_int(const char *w, size_t n, bool *neg, unsigned long long *v)
{
	char buf[32], *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, w, n);
	buf[n] = '\0';
	*neg = buf[0] == '-';
	if (!(buf[*neg] >= '0' && buf[*neg] <= '9'))
		return false;
	errno = 0;
	*v = strtoull(buf + *neg, &end, 0);
	return errno == 0 && *end == '\0';
}

static const char *next_word(const char *s, size_t *n)
{
	s += strspn(s, " \t\n\r\v\f");
	*n = strcspn(s, " \t\n\r\v\f");
	return s;
}

bool lx_sysctl_equal(const char *a, const char *b)
{
	size_t na, nb;

	if (!a || !b)
		return a == b;
	/* Word by word: blanks between words fold, as the kernel prints
	 * tabs where it was given spaces. */
	for (a = next_word(a, &na), b = next_word(b, &nb); na && nb;
	     a = next_word(a + na, &na), b = next_word(b + nb, &nb)) {
		unsigned long long va, vb;
		bool ma, mb;

		if (word_int(a, na, &ma, &va) && word_int(b, nb, &mb, &vb)) {
			if (va != vb || (ma != mb && va != 0))
				return false;
		} else if (na != nb || memcmp(a, b, na) != 0) {
			return false;
		}
	}
	return na == nb;
}

/* ------------------------------------------------ checks at the target */

int lx_sysctl_check(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
		    struct lx_error *err)
{
	int r = 0;

	for (size_t i = 0; desired && i < desired->n; i++) {
		const char *key = desired->v[i].key;
		char canon[LX_SYSCTL_NAME_MAX + 1],
		    other[LX_SYSCTL_NAME_MAX + 1];
		char q[300];
		_cleanup_free_ char *v = NULL;
		struct lx_error e;

		if (lx_sysctl_check_name(key, canon, sizeof(canon), NULL, 0) <
		    0)
			continue; /* the policy check names it */
		for (size_t j = 0; j < i; j++) {
			if (lx_sysctl_check_name(desired->v[j].key, other,
						 sizeof(other), NULL, 0) < 0 ||
			    strcmp(lx_sysctl_alias_of(canon),
				   lx_sysctl_alias_of(other)) != 0)
				continue;
			r = lx_error_add(err, LX_ERR_POLICY, 0,
					 "sysctl \"%s\" (io.linx.sysctl): "
					 "refused: the same kernel setting as "
					 "%s (two values would overwrite each "
					 "other on every pass)",
					 lx_quote(key, q, sizeof(q)), other);
		}
		/* Unreadable: never known to converge, no original to
		 * restore. A missing key stays for apply to fail (a module
		 * may come later). */
		lx_error_clear(&e);
		if (lx_sysctl_read(ctx, key, &v, &e) < 0 &&
		    (e.err == EACCES || e.err == EPERM))
			r = lx_error_add(err, LX_ERR_POLICY, 0,
					 "sysctl \"%s\" (io.linx.sysctl): "
					 "refused: it cannot be read back (a "
					 "write-only key): its state could "
					 "never be compared or restored",
					 lx_quote(key, q, sizeof(q)));
	}
	return r < 0 ? -EPERM : 0;
}

/* ------------------------------------------------------ engine hooks */

static int hook_validate(void *ctx, const char *key, struct lx_error *err)
{
	struct lx_error one;
	int r;

	(void)ctx;
	lx_error_clear(&one);
	r = lx_sysctl_validate(key, &one);
	if (r < 0)
		lx_error_add(err, LX_ERR_POLICY, 0, "%s", one.msg);
	return r;
}

static int hook_read(void *ctx, const char *key, const char *hint, char **value,
		     struct lx_error *err)
{
	(void)hint;
	return lx_sysctl_read(ctx, key, value, err);
}

static int hook_write(void *ctx, struct lx_plan *plan, struct lx_op *op,
		      struct lx_error *err)
{
	(void)plan;
	return lx_sysctl_write(ctx, op->u.kv.key, op->u.kv.value, err);
}

static bool hook_eq(const char *key, const char *want, const char *have)
{
	(void)key;
	return lx_sysctl_equal(want, have);
}

static const struct lx_kv_hooks sysctl_hooks = {
    .obj = LX_OBJ_SYSCTL,
    .validate = hook_validate,
    .read = hook_read,
    .write = hook_write,
    .eq = hook_eq,
};

static struct lx_kv_source source(struct lx_sysctl_ctx *ctx)
{
	return (struct lx_kv_source){.hooks = &sysctl_hooks,
				     .ctx = ctx,
				     .intent = ctx ? ctx->intent : NULL,
				     .intent_data =
					 ctx ? ctx->intent_data : NULL};
}

int lx_sysctl_observe(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
		      const struct lx_owned_kvs *owned, struct lx_kvs *observed,
		      struct lx_error *err)
{
	struct lx_kv_source src = source(ctx);

	return lx_kv_observe(&src, desired, owned, observed, err);
}

int lx_sysctl_diff(const struct lx_kvs *desired, const struct lx_kvs *observed,
		   const struct lx_owned_kvs *owned, bool revert_on_release,
		   struct lx_plan *plan, struct lx_error *err)
{
	struct lx_kv_source src = source(NULL);

	return lx_kv_diff(&src, desired, observed, owned, revert_on_release,
			  plan, err);
}

int lx_sysctl_reconcile(struct lx_sysctl_ctx *ctx, const struct lx_kvs *desired,
			struct lx_owned_kvs *owned, bool revert_on_release,
			struct lx_subreport *rep, struct lx_error *err)
{
	struct lx_kv_source src = source(ctx);

	return lx_kv_reconcile(&src, desired, owned, revert_on_release, rep,
			       err);
}

int lx_sysctl_release(struct lx_sysctl_ctx *ctx, struct lx_owned_kvs *owned,
		      bool revert_on_release, struct lx_subreport *rep,
		      struct lx_error *err)
{
	struct lx_kv_source src = source(ctx);

	return lx_kv_release(&src, owned, revert_on_release, rep, err);
}

/* ------------------------------------------------ the source contract */

struct sysctl_src {
	struct lx_kv_inst kv; /* first: the kv verbs take the instance */
	struct lx_sysctl_ctx ctx;
};

static int sysctl_open_op(void **inst, const struct lx_source_env *env,
			  struct lx_error *err)
{
	struct sysctl_src *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "sysctl");
	s->ctx.procsys_fd = -1;
	r = lx_sysctl_open(&s->ctx, err);
	if (r < 0) {
		free(s);
		return r;
	}
	s->kv = (struct lx_kv_inst){
	    .src = {.hooks = &sysctl_hooks, .ctx = &s->ctx},
	    .env = env,
	    .desired_off = offsetof(struct lx_desired, sysctl),
	    .owned_off = offsetof(struct lx_owned, sysctl),
	};
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
	struct sysctl_src *s = inst;

	(void)owned;
	if (!d->sysctl.n)
		return 0;
	if (env->host_netns && !env->policy->allow_host_netns)
		return lx_error_add(err, LX_ERR_POLICY, 0,
				    "sysctl (io.linx.sysctl): refused: the "
				    "target is the sidecar's own network "
				    "namespace (--allow-host-netns not given)");
	/* Reading the keys tells nothing more once a check refused. */
	if (!s || lx_error_is_set(err))
		return 0;
	/* Keys that cannot be read back, two names of one setting. */
	return lx_sysctl_check(&s->ctx, &d->sysctl, err);
}

const struct lx_subsys lx_sysctl_subsys = {
    .name = "sysctl",
    .open = sysctl_open_op,
    .close = sysctl_close_op,
    .check = sysctl_check_op,
    .observe = lx_kv_src_observe,
    .observed_free = lx_kv_src_observed_free,
    .diff = lx_kv_src_diff,
    .apply = lx_kv_src_apply,
    .release = lx_kv_src_release,
};
