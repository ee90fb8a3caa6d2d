/* SPDX-License-Identifier: MIT */
/*
 * sysctl source against the real kernel. Each test unshares a fresh network
 * namespace (criterion forks per test) after noting the host's values and
 * keeping an fd on the host namespace; host values are re-read from the
 * host namespace at the end and must be unchanged.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "sysctl.h"

static const char *const watched[] = {
    "net/ipv4/ip_forward", "net/ipv4/ip_local_port_range",
    "net/core/rmem_max",   "net/core/netdev_max_backlog",
    "kernel/core_pattern", "kernel/hostname",
};
#define NW (sizeof(watched) / sizeof(watched[0]))

static char host_before[NW][512];
static int host_ns = -1;

static void slurp(const char *rel, char *buf, size_t len)
{
	char p[256];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "/proc/sys/%s", rel);
	f = fopen(p, "r");
	cr_assert_not_null(f, "%s", p);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void enter_fresh_netns(void)
{
	for (size_t i = 0; i < NW; i++)
		slurp(watched[i], host_before[i], sizeof(host_before[i]));
	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(host_ns, 0);
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %m");
}

/* Back to the host namespace: every watched value is as it was. */
static void host_unchanged(void)
{
	char now[512];

	cr_assert_eq(setns(host_ns, CLONE_NEWNET), 0, "setns: %m");
	for (size_t i = 0; i < NW; i++) {
		slurp(watched[i], now, sizeof(now));
		cr_assert_str_eq(now, host_before[i], "host %s changed",
				 watched[i]);
	}
}

static struct lx_sysctl_ctx open_ctx(void)
{
	struct lx_sysctl_ctx c = {.procsys_fd = -1};
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_open(&c, &e), 0, "%s", e.msg);
	return c;
}

static char *rd(struct lx_sysctl_ctx *c, const char *key)
{
	char *v = NULL;
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_read(c, key, &v, &e), 0, "%s", e.msg);
	return v;
}

/* ip_forward of a fresh netns is inherited from the host: flip it. */
static const char *flipped_forward(struct lx_sysctl_ctx *c)
{
	char *v = rd(c, "net.ipv4.ip_forward");
	const char *r = strcmp(v, "1") == 0 ? "0" : "1";

	free(v);
	return r;
}

TestSuite(sysctl_netns, .init = enter_fresh_netns);

Test(sysctl_netns, sets_in_the_namespace_and_leaves_the_host_alone)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *v;

	/* pick values that differ from the fresh namespace's defaults */
	const char *fwd = flipped_forward(&c);

	v = rd(&c, "net.ipv4.ip_local_port_range");
	cr_assert_str_neq(v, "1024 65000");
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", fwd), 0);
	cr_assert_eq(
	    lx_kvs_add(&d, "net.ipv4.ip_local_port_range", "1024 65000"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, false, &rep, &e), 0, "%s",
		     e.msg);
	cr_assert(rep.converged, "%s", rep.plan.n ? rep.plan.ops[0].error : "");
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_APPLIED), 2);
	cr_assert_eq(w.n, 2);
	cr_assert_str_eq(
	    lx_owned_kvs_find(&w, "net.ipv4.ip_local_port_range")->original, v);
	free(v);
	v = rd(&c, "net.ipv4.ip_forward");
	cr_assert_str_eq(v, fwd);
	free(v);
	/* the kernel prints a tab; folded it is what we asked for */
	v = rd(&c, "net.ipv4.ip_local_port_range");
	cr_assert_str_eq(v, "1024 65000");
	free(v);
	lx_plan_free(&rep.plan);

	/* second pass: nothing to do */
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, false, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_eq(rep.plan.n, 0);

	host_unchanged();
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_sysctl_close(&c);
}

Test(sysctl_netns, revert_on_release_restores_the_original)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *before = rd(&c, "net.ipv4.ip_local_port_range"), *v;
	const char *fwd = flipped_forward(&c);
	const char *fwd0 = strcmp(fwd, "1") == 0 ? "0" : "1";

	cr_assert_eq(
	    lx_kvs_add(&d, "net.ipv4.ip_local_port_range", "2000 3000"), 0);
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", fwd), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	lx_plan_free(&rep.plan);

	/* a smaller desired state restores only what left it */
	lx_kvs_free(&d);
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", fwd), 0);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, true, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 1);
	cr_assert_eq(rep.plan.ops[0].verb, LX_OP_DELETE);
	v = rd(&c, "net.ipv4.ip_local_port_range");
	cr_assert_str_eq(v, before);
	free(v);
	cr_assert_eq(w.n, 1);
	lx_plan_free(&rep.plan);

	cr_assert_eq(lx_sysctl_release(&c, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	v = rd(&c, "net.ipv4.ip_forward");
	cr_assert_str_eq(v, fwd0);
	free(v);
	cr_assert_eq(w.n, 0);
	lx_plan_free(&rep.plan);
	free(before);
	host_unchanged();
	lx_kvs_free(&d);
	lx_sysctl_close(&c);
	lx_owned_kvs_free(&w);
}

Test(sysctl_netns, release_without_revert_leaves_values_and_forgets)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *v;

	const char *fwd = flipped_forward(&c);

	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", fwd), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, false, &rep, &e), 0);
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_APPLIED), 1);
	lx_plan_free(&rep.plan);
	cr_assert_eq(lx_sysctl_release(&c, &w, false, &rep, &e), 0);
	cr_assert_eq(w.n, 0);
	v = rd(&c, "net.ipv4.ip_forward");
	cr_assert_str_eq(v, fwd);
	free(v);
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_sysctl_close(&c);
	lx_owned_kvs_free(&w);
}

Test(sysctl_netns, tenant_escapes_are_refused_before_any_write)
{
	static const char *const escapes[] = {
	    "kernel.core_pattern",
	    "net.ipv4/../../kernel/core_pattern",
	    "net/../kernel/hostname",
	    "net.core.rmem_max",
	    "net.core.netdev_max_backlog",
	    "/proc/sys/kernel/x",
	    "net..ipv4",
	};
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *big = malloc(10001);
	const char *fwd = flipped_forward(&c);

	memset(big, 'a', 10000);
	memcpy(big, "net.", 4);
	big[10000] = '\0';
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++)
		cr_assert_eq(lx_kvs_add(&d.sysctl, escapes[i], "|/tmp/pwn"), 0);
	cr_assert_eq(lx_kvs_add(&d.sysctl, big, "1"), 0);
	cr_assert_eq(lx_kvs_add(&d.sysctl, "net.ipv4.ip_forward", fwd), 0);

	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert_eq(e.lines, 8, "%s", e.msg);

	/* even if the caller skipped the policy, the source refuses it all */
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d.sysctl, &w, false, &rep, &e),
		     -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert_eq(rep.plan.n, 0);
	cr_assert(!rep.converged);
	cr_assert_eq(w.n, 0);
	{
		char *v = rd(&c, "net.ipv4.ip_forward");

		cr_assert_str_neq(v, fwd,
				  "nothing was written, not even the "
				  "valid key");
		free(v);
	}
	free(rep.error);
	free(big);
	host_unchanged();
	lx_desired_free(&d);
	lx_sysctl_close(&c);
	lx_owned_kvs_free(&w);
}

Test(sysctl_netns, reads_and_writes_act_on_the_callers_namespace)
{
	/*
	 * The kernel resolves /proc/sys/net per calling task: a /proc/sys
	 * fd opened in the host namespace and used from the container's
	 * writes the container's value. (So the fd does not pin a namespace:
	 * the caller's setns does.)
	 */
	int mine = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct lx_sysctl_ctx c;
	struct lx_error e;
	char *v;

	const char *fwd;

	cr_assert_geq(mine, 0);
	cr_assert_eq(setns(host_ns, CLONE_NEWNET), 0);
	c = open_ctx();
	cr_assert_eq(setns(mine, CLONE_NEWNET), 0);
	fwd = flipped_forward(&c);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_write(&c, "net.ipv4.ip_forward", fwd, &e), 0,
		     "%s", e.msg);
	v = rd(&c, "net.ipv4.ip_forward");
	cr_assert_str_eq(v, fwd);
	free(v);
	host_unchanged();
	lx_sysctl_close(&c);
	close(mine);
}

Test(sysctl_netns, a_failed_write_is_collected_and_the_rest_applied)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.conf.nosuchdev.forwarding", "1"),
		     0);
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", flipped_forward(&c)),
		     0);
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_local_port_range", "x y"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, false, &rep, &e), 0);
	cr_assert(!rep.converged);
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_FAILED), 2);
	cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_APPLIED), 1);
	cr_assert(strstr(rep.plan.ops[0].error, "(ENOENT)"), "%s",
		  rep.plan.ops[0].error);
	cr_assert(strstr(rep.plan.ops[2].error, "(EINVAL)"), "%s",
		  rep.plan.ops[2].error);
	cr_assert_eq(w.n, 1);
	lx_plan_free(&rep.plan);
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_sysctl_close(&c);
}

/* What the write-ahead callback saw: the live value at call time and the
 * announced record of the key. */
struct seen {
	int calls;
	struct lx_sysctl_ctx *c;
	char *live, *original, *applied;
};

static void record_intent(void *data, enum lx_obj obj,
			  const struct lx_owned_kvs *ahead)
{
	struct seen *s = data;
	const struct lx_owned_kv *w =
	    lx_owned_kvs_find(ahead, "net.ipv4.ip_local_port_range");

	cr_assert_eq(obj, LX_OBJ_SYSCTL);
	s->calls++;
	cr_assert_not_null(w, "the key to be written is announced");
	free(s->live);
	free(s->original);
	free(s->applied);
	s->live = rd(s->c, "net.ipv4.ip_local_port_range");
	s->original = w->original ? strdup(w->original) : NULL;
	s->applied = w->applied ? strdup(w->applied) : NULL;
}

Test(sysctl_netns, the_original_is_announced_before_the_first_write)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct seen s = {.c = &c};
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *before = rd(&c, "net.ipv4.ip_local_port_range");

	c.intent = record_intent;
	c.intent_data = &s;
	cr_assert_eq(
	    lx_kvs_add(&d, "net.ipv4.ip_local_port_range", "2000 3000"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, true, &rep, &e), 0);
	cr_assert(rep.converged);
	cr_assert_eq(s.calls, 1);
	/* at the call, nothing was written yet, and the record already held
	 * the value to restore */
	cr_assert_str_eq(s.live, before);
	cr_assert_not_null(s.original);
	cr_assert_str_eq(s.original, before);
	cr_assert_str_eq(s.applied, "2000 3000");
	lx_plan_free(&rep.plan);

	/* owned already: a further pass (even one that rewrites the value
	 * after drift) announces nothing, the original is on record */
	lx_kvs_free(&d);
	cr_assert_eq(
	    lx_kvs_add(&d, "net.ipv4.ip_local_port_range", "2001 3001"), 0);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, true, &rep, &e), 0);
	cr_assert_eq(rep.plan.n, 1);
	cr_assert_eq(s.calls, 1);
	lx_plan_free(&rep.plan);

	cr_assert_eq(lx_sysctl_release(&c, &w, true, &rep, &e), 0);
	lx_plan_free(&rep.plan);
	{
		char *v = rd(&c, "net.ipv4.ip_local_port_range");

		cr_assert_str_eq(v, before);
		free(v);
	}
	free(before);
	free(s.live);
	free(s.original);
	free(s.applied);
	host_unchanged();
	lx_kvs_free(&d);
	lx_sysctl_close(&c);
	lx_owned_kvs_free(&w);
}

/* "01", "0x1", "010": the kernel stores 1, 1, 8. Compared in its
 * canonical form, the second pass has nothing to do (it rewrote them,
 * reported "converged", on every pass). */
Test(sysctl_netns, non_canonical_integers_converge_once)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;
	char *v;

	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", "0x1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.tcp_keepalive_probes", "010"), 0);
	cr_assert_eq(
	    lx_kvs_add(&d, "net.ipv4.ip_local_port_range", "0x400 0xfde8"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, false, &rep, &e), 0, "%s",
		     e.msg);
	cr_assert(rep.converged, "%s", rep.plan.n ? rep.plan.ops[0].error : "");
	v = rd(&c, "net.ipv4.tcp_keepalive_probes");
	cr_assert_str_eq(v, "8", "010 is octal to the kernel");
	free(v);
	v = rd(&c, "net.ipv4.ip_local_port_range");
	cr_assert_str_eq(v, "1024 65000");
	free(v);
	lx_plan_free(&rep.plan);
	for (int pass = 0; pass < 2; pass++) {
		rep = (struct lx_subreport){0};
		cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, false, &rep, &e),
			     0);
		cr_assert(rep.converged);
		cr_assert_eq(rep.plan.n, 0, "pass %d rewrote %s", pass + 2,
			     rep.plan.n ? rep.plan.ops[0].u.kv.key : "");
	}
	cr_assert(lx_sysctl_equal("01", "1"));
	cr_assert(!lx_sysctl_equal("010", "10"));
	cr_assert(lx_sysctl_equal("-0", "0"));
	cr_assert(!lx_sysctl_equal("-1", "1"));
	cr_assert(!lx_sysctl_equal("1 2", "1"));
	host_unchanged();
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_sysctl_close(&c);
}

/* Two names of one kernel variable: the later write changes the earlier
 * key back. The pass says so (a failed op) instead of "converged". */
Test(sysctl_netns, two_names_of_one_setting_fail_the_pass_and_are_refused)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_kvs d = {0};
	struct lx_owned_kvs w = {0};
	struct lx_subreport rep = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", "1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.conf.all.forwarding", "0"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_check(&c, &d, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert(strstr(e.msg, "sysctl \"net.ipv4.conf.all.forwarding\" "
				"(io.linx.sysctl): refused: the same kernel "
				"setting as net.ipv4.ip_forward"),
		  "%s", e.msg);
	/* without the check, the pass itself does not report convergence */
	for (int pass = 0; pass < 2; pass++) {
		rep = (struct lx_subreport){0};
		lx_error_clear(&e);
		cr_assert_eq(lx_sysctl_reconcile(&c, &d, &w, false, &rep, &e),
			     0);
		cr_assert(!rep.converged, "pass %d", pass);
		cr_assert_eq(lx_plan_count(&rep.plan, LX_OPS_FAILED), 1);
		lx_plan_free(&rep.plan);
	}
	host_unchanged();
	lx_kvs_free(&d);
	lx_owned_kvs_free(&w);
	lx_sysctl_close(&c);
}

Test(sysctl_netns, a_write_only_key_is_refused_at_check_time)
{
	struct lx_sysctl_ctx c = open_ctx();
	struct lx_kvs d = {0};
	struct lx_error e;

	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.route.flush", "1"), 0);
	cr_assert_eq(lx_kvs_add(&d, "net.ipv4.ip_forward", "1"), 0);
	lx_error_clear(&e);
	cr_assert_eq(lx_sysctl_check(&c, &d, &e), -EPERM);
	cr_assert_eq(e.lines, 1, "%s", e.msg);
	cr_assert(strstr(e.msg, "sysctl \"net.ipv4.route.flush\" "
				"(io.linx.sysctl): refused: it cannot be read "
				"back"),
		  "%s", e.msg);
	lx_kvs_free(&d);
	lx_sysctl_close(&c);
}

Test(sysctl_netns, a_global_effect_key_is_refused_though_writable_here)
{
	char why[1024];

	cr_assert_eq(
	    access("/proc/sys/net/netfilter/nf_hooks_lwtunnel", W_OK) == 0 ||
		access("/proc/sys/net/netfilter", F_OK) != 0,
	    1);
	cr_assert_eq(lx_sysctl_check_name("net.netfilter.nf_hooks_lwtunnel",
					  NULL, 0, why, sizeof(why)),
		     -EPERM);
	cr_assert(strstr(why, "global effect") && strstr(why, "static key"),
		  "%s", why);
}
