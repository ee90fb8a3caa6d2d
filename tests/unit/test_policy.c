/* SPDX-License-Identifier: MIT */
/* Admin policy over tenant-written desired state. */
#include <criterion/criterion.h>
#include <string.h>

#include "policy.h"

static unsigned count_lines(const char *s)
{
	unsigned n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void add_sysctl(struct lx_desired *d, const char *k)
{
	cr_assert_eq(lx_kvs_add(&d->sysctl, k, "1"), 0);
}

Test(policy, every_escape_is_refused_and_all_refusals_are_collected)
{
	static const char *const escapes[] = {
	    "kernel.core_pattern",    "net.ipv4/../../kernel/core_pattern",
	    "net/../kernel/hostname", "net.core.rmem_max",
	    "/proc/sys/kernel/x",     "net..ipv4",
	};
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_error e;

	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++)
		add_sysctl(&d, escapes[i]);
	add_sysctl(&d, "net.ipv4.ip_forward"); /* fine */
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert_eq(count_lines(e.msg), 6, "%s", e.msg);
	cr_assert(strstr(e.msg, "sysctl \"kernel.core_pattern\" "
				"(io.linx.sysctl): refused: only net.* "
				"sysctls may be set"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "sysctl \"net.core.rmem_max\" "
				"(io.linx.sysctl): refused: net.core.rmem_max "
				"is host-global: not per network namespace"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "\"net/../kernel/hostname\""), "%s", e.msg);
	cr_assert_null(strstr(e.msg, "ip_forward"), "%s", e.msg);
	lx_desired_free(&d);
}

Test(policy, long_key_is_refused_with_a_bounded_message)
{
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_error e;
	char *k = malloc(10001);

	memset(k, 'x', 10000);
	memcpy(k, "net.", 4);
	k[10000] = '\0';
	add_sysctl(&d, k);
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), -EPERM);
	cr_assert(strstr(e.msg, "longer than 256"), "%s", e.msg);
	cr_assert_lt(strlen(e.msg), 400);
	free(k);
	lx_desired_free(&d);
}

Test(policy, control_characters_in_keys_are_escaped_in_messages)
{
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_error e;

	add_sysctl(&d, "net.ipv4\n.x\x1b[31m");
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), -EPERM);
	cr_assert_eq(count_lines(e.msg), 1, "%s", e.msg);
	cr_assert_null(strchr(e.msg, '\x1b'));
	cr_assert(strstr(e.msg, "\\x0a"), "%s", e.msg);
	lx_desired_free(&d);
}

Test(policy, allow_sysctl_prefixes_match_whole_segments)
{
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_error e;

	cr_assert_eq(
	    lx_policy_add(&p.allow_sysctl, &p.n_allow_sysctl, "net.ipv4.conf"),
	    0);
	cr_assert_eq(
	    lx_policy_add(&p.allow_sysctl, &p.n_allow_sysctl, "net/ipv6/*"), 0);
	add_sysctl(&d, "net.ipv4.conf.all.rp_filter");
	add_sysctl(&d, "net/ipv6/conf/all/forwarding");
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), 0, "%s", e.msg);
	add_sysctl(&d, "net.ipv4.configx");
	add_sysctl(&d, "net.ipv4.ip_forward");
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), -EPERM);
	cr_assert_eq(count_lines(e.msg), 2, "%s", e.msg);
	cr_assert(strstr(e.msg, "sysctl \"net.ipv4.ip_forward\" "
				"(io.linx.sysctl): refused: not under an "
				"allowed prefix (--allow-sysctl "
				"net.ipv4.conf, net/ipv6/*)"),
		  "%s", e.msg);
	lx_desired_free(&d);
	lx_policy_free(&p);
}

Test(policy, prefixes_do_not_open_host_global_keys)
{
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_error e;

	cr_assert_eq(lx_policy_add(&p.allow_sysctl, &p.n_allow_sysctl, "*"), 0);
	cr_assert_eq(
	    lx_policy_add(&p.allow_sysctl, &p.n_allow_sysctl, "kernel"), 0);
	add_sysctl(&d, "net.core.somaxconn");
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), 0, "%s", e.msg);
	add_sysctl(&d, "net.core.wmem_max");
	add_sysctl(&d, "kernel.hostname");
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), -EPERM);
	cr_assert_eq(count_lines(e.msg), 2, "%s", e.msg);
	lx_desired_free(&d);
	lx_policy_free(&p);
}

Test(policy, master_and_parent_only_when_named)
{
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_link l[2] = {0};
	struct lx_error e;

	strcpy(l[0].name, "eth0");
	l[0].kind = LX_LINK_VETH;
	strcpy(l[0].peer, "lxh-web42");
	strcpy(l[0].master, "lxbr0");
	strcpy(l[1].name, "ipv0");
	l[1].kind = LX_LINK_IPVLAN;
	strcpy(l[1].parent, "eno1");
	d.links = l;
	d.n_links = 2;
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), -EPERM);
	cr_assert_eq(e.kind, LX_ERR_POLICY);
	cr_assert_eq(count_lines(e.msg), 2, "%s", e.msg);
	cr_assert(strstr(e.msg, "link \"eth0\" (io.linx.links): refused: "
				"master \"lxbr0\" is not named by "
				"--allow-master"),
		  "%s", e.msg);
	cr_assert(strstr(e.msg, "link \"ipv0\" (io.linx.links): refused: "
				"parent \"eno1\" is not named by "
				"--allow-parent"),
		  "%s", e.msg);
	cr_assert_eq(lx_policy_add(&p.allow_master, &p.n_allow_master, "lxbr0"),
		     0);
	cr_assert_eq(lx_policy_add(&p.allow_parent, &p.n_allow_parent, "eno1"),
		     0);
	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), 0, "%s", e.msg);
	lx_policy_free(&p);
	cr_assert_eq(p.n_allow_master, 0);
}

Test(policy, empty_document_passes)
{
	struct lx_policy p = {0};
	struct lx_desired d = {0};
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(lx_policy_check(&p, &d, &e), 0);
	cr_assert(!lx_error_is_set(&e));
}
