/* SPDX-License-Identifier: MIT */
/*
 * nftables subsystem against the real kernel. Each test unshares a fresh
 * network namespace (criterion forks per test); bodies are compiled by the
 * real sandboxed child and libnftables.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nft.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif

#define POLICY                                                                 \
	"chain out { type filter hook output priority -10; ip daddr 10.9.0.1 " \
	"drop; }"
#define TENANT                                                                 \
	"chain egress { type filter hook output priority 0; policy accept; "   \
	"ip daddr 10.9.0.2 drop; tcp dport 9 drop; }"

static void sh(const char *fmt, ...) LX_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "command failed: %s", cmd);
}

static int sh_rc(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Fresh netns with lo up and the test addresses on it. */
static void fresh(void)
{
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %m");
	sh("ip link set lo up && ip addr add 10.9.0.1/32 dev lo && "
	   "ip addr add 10.9.0.2/32 dev lo && ip addr add 10.9.0.3/32 dev lo");
}

static void compile(const char *text, struct lx_nft_body *b)
{
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(lx_nft_compile(text, "nftables", b, &e), 0, "%s", e.msg);
}

static int compile_err(const char *text, struct lx_error *e)
{
	struct lx_nft_body b;
	int r;

	lx_error_clear(e);
	r = lx_nft_compile(text, "nftables (io.linx.nftables)", &b, e);
	if (r == 0)
		lx_nft_body_free(&b);
	return r;
}

/* One pass: observe, diff, apply. Returns converged; rep is reset. */
static bool pass(struct lx_nft *n, const struct lx_nft_want *w,
		 struct lx_subreport *rep, struct lx_nft_observed *obs_out)
{
	struct lx_nft_observed obs;
	struct lx_error e;

	lx_plan_free(&rep->plan);
	rep->converged = false;
	lx_error_clear(&e);
	cr_assert_eq(lx_nft_observe(n, w, false, &obs, &e), 0, "%s", e.msg);
	cr_assert_eq(lx_nft_diff(w, &obs, &rep->plan, &e), 0, "%s", e.msg);
	cr_assert_eq(lx_nft_apply(n, w, &obs, rep, &e), 0, "%s", e.msg);
	if (obs_out)
		*obs_out = obs;
	else
		lx_nft_observed_free(&obs);
	return rep->converged;
}

static struct lx_nft *open_nft(bool no_persist)
{
	struct lx_nft *n = NULL;
	struct lx_error e;
	struct lx_nft_config cfg = {.no_persist = no_persist};

	lx_error_clear(&e);
	cr_assert_eq(lx_nft_open(&n, &cfg, &e), 0, "%s", e.msg);
	return n;
}

/* TCP connect to ADDR:port within 300 ms (a listener is on every
 * address of lo): true when it connected, false when dropped. */
static bool reaches(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	int l = socket(AF_INET, SOCK_STREAM, 0), c, one = 1;
	struct sockaddr_in any = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port)};
	struct pollfd p;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	bool ok;

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(l, (void *)&any, sizeof(any)), 0, "bind: %m");
	cr_assert_eq(listen(l, 4), 0);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	(void)connect(c, (void *)&sa, sizeof(sa));
	p = (struct pollfd){.fd = c, .events = POLLOUT};
	ok = poll(&p, 1, 300) == 1 &&
	     getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
	     soerr == 0;
	close(c);
	close(l);
	return ok;
}

struct table_info {
	bool present, owner;
	uint32_t flags, portid;
};

static int tinfo_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_info *t = data;
	const struct nlattr *a;

	t->present = true;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_TABLE_FLAGS)
			t->flags = ntohl(mnl_attr_get_u32(a));
		if (mnl_attr_get_type(a) == NFTA_TABLE_OWNER) {
			t->owner = true;
			t->portid = ntohl(mnl_attr_get_u32(a));
		}
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *hdr(char *buf, uint16_t type, uint16_t flags,
			    uint8_t fam, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = fam;
	g->res_id = htons(type < 0x100 ? NFNL_SUBSYS_NFTABLES : 0);
	return nlh;
}

/* The table as the kernel reports it, read on a socket of our own. */
static struct table_info table(const char *name)
{
	struct table_info t = {0};
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[8192];
	struct nlmsghdr *nlh;
	ssize_t n;

	cr_assert_not_null(nl);
	cr_assert_eq(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	nlh = hdr(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
		  NLM_F_ACK, NFPROTO_INET, 1);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	cr_assert_geq(mnl_socket_sendto(nl, nlh, nlh->nlmsg_len), 0);
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	} while (n > 0 &&
		 mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(nl),
			    tinfo_cb, &t) > 0);
	mnl_socket_close(nl);
	return t;
}

/*
 * A hijacker: claims an orphaned table with the owner flag on its own
 * socket (what a tenant with CAP_NET_ADMIN could do in the window) and
 * keeps the socket open. Returns the socket, or NULL if the claim failed.
 */
static struct mnl_socket *hijack(const char *name)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[8192];
	struct nlmsghdr *nlh;
	size_t off = 0;
	ssize_t n;
	int r;

	cr_assert_eq(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	nlh = hdr(buf, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, 1);
	off += MNL_ALIGN(nlh->nlmsg_len);
	nlh = hdr(buf + off, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE,
		  NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET, 2);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS,
			 htonl(NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST));
	off += MNL_ALIGN(nlh->nlmsg_len);
	nlh = hdr(buf + off, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, 3);
	off += MNL_ALIGN(nlh->nlmsg_len);
	cr_assert_geq(mnl_socket_sendto(nl, buf, off), 0);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	r = n > 0 ? mnl_cb_run(buf, (size_t)n, 2, mnl_socket_get_portid(nl),
			       NULL, NULL)
		  : -1;
	if (r < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

static size_t count_state(const struct lx_plan *p, enum lx_op_state s)
{
	return lx_plan_count(p, s);
}

static const struct lx_op *find_op(const struct lx_plan *p, enum lx_obj obj,
				   const char *prefix)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].obj == obj &&
		    strncmp(p->ops[i].u.kv.key, prefix, strlen(prefix)) == 0)
			return &p->ops[i];
	return NULL;
}

/* ---------------------------------------------------------------- tests */

Test(nft, rules_are_enforced_and_other_traffic_passes)
{
	struct lx_nft_body t, p;
	struct lx_subreport rep = {0};
	struct lx_nft *n;

	compile(TENANT, &t);
	compile(POLICY, &p);
	fresh();
	cr_assert(reaches("10.9.0.1", 7001));
	n = open_nft(false);
	struct lx_nft_want w = {{&t, &p}};
	cr_assert(pass(n, &w, &rep, NULL), "first pass converges");
	cr_assert_not_null(
	    find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx (2 rules)"));
	cr_assert_not_null(find_op(&rep.plan, LX_OBJ_NFT_CHAIN, "egress"));
	cr_assert_not_null(
	    find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx-policy (1 rule)"));
	cr_assert_not(reaches("10.9.0.1", 7002), "policy drops 10.9.0.1");
	cr_assert_not(reaches("10.9.0.2", 7003), "tenant drops 10.9.0.2");
	cr_assert_not(reaches("10.9.0.3", 9), "tenant drops port 9");
	cr_assert(reaches("10.9.0.3", 7004), "other traffic passes");
	struct table_info ti = table(LX_NFT_POLICY_TABLE);
	cr_assert(ti.present && ti.owner, "policy table owned");
	cr_assert(ti.flags & NFT_TABLE_F_PERSIST, "persist set (6.9+)");
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
	lx_nft_body_free(&p);
}

Test(nft, tenant_cannot_delete_or_flush_and_nothing_changes)
{
	struct lx_nft_body t, p;
	struct lx_subreport rep = {0};
	struct lx_nft *n;

	compile(TENANT, &t);
	compile(POLICY, &p);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{&t, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	cr_assert_neq(sh_rc("nft delete table inet linx 2>/dev/null"), 0);
	cr_assert_neq(sh_rc("nft flush table inet linx-policy 2>/dev/null"), 0);
	cr_assert_neq(sh_rc("nft delete chain inet linx-policy out "
			    "2>/dev/null"),
		      0);
	cr_assert_neq(sh_rc("nft add rule inet linx-policy out accept "
			    "2>/dev/null"),
		      0);
	cr_assert_not(reaches("10.9.0.1", 7005), "policy still drops");
	cr_assert_not(reaches("10.9.0.2", 7006), "tenant rule still drops");
	/* Nothing moved: the next pass takes the genid path. */
	struct lx_nft_observed obs;
	cr_assert(pass(n, &w, &rep, &obs));
	cr_assert(obs.unchanged, "genid unchanged: no listing");
	cr_assert_eq(rep.plan.n, 0);
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
	lx_nft_body_free(&p);
}

Test(nft, new_body_replaces_in_one_transaction)
{
	struct lx_nft_body t, t2, p;
	struct lx_subreport rep = {0};
	struct lx_nft_observed obs;
	struct lx_nft *n;

	compile(TENANT, &t);
	compile("chain egress { type filter hook output priority 0; ip daddr "
		"10.9.0.3 drop; }\nchain other { }",
		&t2);
	compile(POLICY, &p);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{&t, &p}}, w2 = {{&t2, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	cr_assert(reaches("10.9.0.3", 7007));
	cr_assert(pass(n, &w2, &rep, &obs));
	uint32_t before = obs.genid;
	lx_nft_observed_free(&obs);
	const struct lx_op *op =
	    find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx (1 rule)");
	cr_assert_not_null(op);
	cr_assert_eq(op->verb, LX_OP_REPLACE);
	cr_assert_eq(op->state, LX_OPS_APPLIED);
	cr_assert_not_null(find_op(&rep.plan, LX_OBJ_NFT_CHAIN, "other"));
	cr_assert_null(find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx-policy"),
		       "the policy table is untouched");
	cr_assert(reaches("10.9.0.2", 7008), "old rule gone");
	cr_assert_not(reaches("10.9.0.3", 7009), "new rule in place");
	cr_assert(pass(n, &w2, &rep, &obs));
	cr_assert(obs.unchanged);
	cr_assert_eq(obs.genid, before + 1, "one transaction: genid +1");
	lx_nft_observed_free(&obs);
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
	lx_nft_body_free(&t2);
	lx_nft_body_free(&p);
}

Test(nft, concurrent_change_fails_the_apply_and_next_pass_heals)
{
	struct lx_nft_body t;
	struct lx_subreport rep = {0};
	struct lx_nft_observed obs;
	struct lx_error e;
	struct lx_nft *n;

	compile(TENANT, &t);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{&t, NULL}};
	lx_error_clear(&e);
	cr_assert_eq(lx_nft_observe(n, &w, false, &obs, &e), 0);
	cr_assert_eq(lx_nft_diff(&w, &obs, &rep.plan, &e), 0);
	sh("nft add table ip other");
	cr_assert_eq(lx_nft_apply(n, &w, &obs, &rep, &e), 0);
	cr_assert_not(rep.converged);
	cr_assert(strstr(rep.plan.ops[0].error, "ERESTART"), "%s",
		  rep.plan.ops[0].error);
	cr_assert_not(table(LX_NFT_TABLE).present, "nothing applied");
	lx_nft_observed_free(&obs);
	cr_assert(pass(n, &w, &rep, NULL), "next pass re-reads and applies");
	cr_assert(table(LX_NFT_TABLE).present);
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
}

Test(nft, dead_owner_leaves_rules_and_successor_claims)
{
	struct lx_nft_body t, p;
	struct lx_subreport rep = {0};
	struct lx_nft *n;

	compile(TENANT, &t);
	compile(POLICY, &p);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{&t, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	uint32_t old = table(LX_NFT_POLICY_TABLE).portid;
	lx_nft_close(n); /* the socket goes, as with kill -9 */
	struct table_info ti = table(LX_NFT_POLICY_TABLE);
	cr_assert(ti.present, "persist: the table outlives its owner");
	cr_assert_not(ti.owner, "orphaned");
	cr_assert_not(reaches("10.9.0.1", 7010), "still enforced");
	n = open_nft(false);
	cr_assert(pass(n, &w, &rep, NULL), "successor converges");
	const struct lx_op *op =
	    find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx-policy");
	cr_assert_not_null(op);
	cr_assert_eq(op->verb, LX_OP_REPLACE, "claimed by replacing");
	ti = table(LX_NFT_POLICY_TABLE);
	cr_assert(ti.owner, "owned by the successor");
	(void)old;
	cr_assert_neq(sh_rc("nft delete table inet linx-policy 2>/dev/null"),
		      0);
	cr_assert_not(reaches("10.9.0.1", 7011));
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
	lx_nft_body_free(&p);
}

Test(nft, table_claimed_in_the_orphan_window_is_hijacked_and_retried)
{
	struct lx_nft_body t, p;
	struct lx_subreport rep = {0};
	struct mnl_socket *thief;
	struct lx_nft *n;

	compile(TENANT, &t);
	compile(POLICY, &p);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{&t, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	lx_nft_close(n);
	/* The race: someone claims the orphan before the successor. */
	thief = hijack(LX_NFT_POLICY_TABLE);
	cr_assert_not_null(thief, "an orphaned table can be claimed");
	n = open_nft(false);
	cr_assert_not(pass(n, &w, &rep, NULL), "not converged while hijacked");
	const struct lx_op *op =
	    find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx-policy");
	cr_assert_not_null(op);
	cr_assert_eq(op->state, LX_OPS_FAILED);
	cr_assert(strstr(op->error, "hijacked"), "%s", op->error);
	op = find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx ");
	cr_assert_not_null(op);
	cr_assert_eq(op->state, LX_OPS_APPLIED, "the other table is claimed");
	/* Still hijacked: retried, still failing, never skipped. */
	cr_assert_not(pass(n, &w, &rep, NULL));
	mnl_socket_close(thief);
	cr_assert(pass(n, &w, &rep, NULL), "claimed once the thief let go");
	cr_assert(table(LX_NFT_POLICY_TABLE).owner);
	cr_assert_not(reaches("10.9.0.1", 7012));
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
	lx_nft_body_free(&p);
}

/* The fallback for kernels before 6.9, forced: tables without persist are
 * owned while the sidecar lives and die with its socket. */
Test(nft, forced_no_persist_fallback_tables_die_with_the_owner)
{
	struct lx_nft_body p;
	struct lx_subreport rep = {0};
	struct lx_nft *n;

	compile(POLICY, &p);
	fresh();
	n = open_nft(true);
	struct lx_nft_want w = {{NULL, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	struct table_info ti = table(LX_NFT_POLICY_TABLE);
	cr_assert(ti.owner);
	cr_assert_not(ti.flags & NFT_TABLE_F_PERSIST);
	cr_assert_neq(sh_rc("nft delete table inet linx-policy 2>/dev/null"),
		      0);
	lx_nft_close(n);
	cr_assert_not(table(LX_NFT_POLICY_TABLE).present);
	lx_plan_free(&rep.plan);
	lx_nft_body_free(&p);
}

Test(nft, release_deletes_both_tables)
{
	struct lx_nft_body t, p;
	struct lx_subreport rep = {0};
	struct lx_error e;
	struct lx_nft *n;

	compile(TENANT, &t);
	compile(POLICY, &p);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{&t, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	lx_plan_free(&rep.plan);
	lx_error_clear(&e);
	cr_assert_eq(lx_nft_release(n, &rep, &e), 0, "%s", e.msg);
	cr_assert(rep.converged);
	cr_assert_eq(count_state(&rep.plan, LX_OPS_APPLIED), 2);
	cr_assert_not(table(LX_NFT_TABLE).present);
	cr_assert_not(table(LX_NFT_POLICY_TABLE).present);
	cr_assert(reaches("10.9.0.1", 7013));
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
	lx_nft_body_free(&p);
}

Test(nft, removed_body_deletes_its_table)
{
	struct lx_nft_body t, p;
	struct lx_subreport rep = {0};
	struct lx_nft *n;

	compile(TENANT, &t);
	compile(POLICY, &p);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{&t, &p}}, w2 = {{NULL, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	cr_assert(pass(n, &w2, &rep, NULL));
	const struct lx_op *op =
	    find_op(&rep.plan, LX_OBJ_NFT_TABLE, "inet linx");
	cr_assert_not_null(op);
	cr_assert_eq(op->verb, LX_OP_DELETE);
	cr_assert_not(table(LX_NFT_TABLE).present);
	cr_assert(table(LX_NFT_POLICY_TABLE).present);
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&t);
	lx_nft_body_free(&p);
}

Test(nft, nothing_wanted_opens_no_socket)
{
	struct lx_nft_observed obs;
	struct lx_subreport rep = {0};
	struct lx_error e;
	struct lx_nft *n;

	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{NULL, NULL}};
	lx_error_clear(&e);
	cr_assert_eq(lx_nft_observe(n, &w, false, &obs, &e), 0);
	cr_assert_eq(lx_nft_diff(&w, &obs, &rep.plan, &e), 0);
	cr_assert_eq(rep.plan.n, 0);
	cr_assert_not(lx_nft_socket_open(n));
	cr_assert_eq(lx_nft_subscribe(n, &e), -EOPNOTSUPP);
	cr_assert_eq(lx_nft_release(n, &rep, &e), 0);
	cr_assert_not(lx_nft_socket_open(n));
	lx_nft_close(n);
}

Test(nft, monitor_hints_on_a_ruleset_change)
{
	struct lx_nft_body p;
	struct lx_subreport rep = {0};
	struct lx_error e;
	struct lx_nft *n;
	int fd;

	compile(POLICY, &p);
	fresh();
	n = open_nft(false);
	struct lx_nft_want w = {{NULL, &p}};
	cr_assert(pass(n, &w, &rep, NULL));
	lx_error_clear(&e);
	fd = lx_nft_subscribe(n, &e);
	cr_assert_geq(fd, 0, "%s", e.msg);
	cr_assert_eq(lx_nft_drain(n, fd), 0);
	sh("nft add table ip other");
	cr_assert_gt(lx_nft_drain(n, fd), 0);
	/* A change elsewhere moves the genid: the pass lists, finds our
	 * tables as they were and plans nothing. */
	struct lx_nft_observed obs;
	cr_assert(pass(n, &w, &rep, &obs));
	cr_assert_not(obs.unchanged);
	cr_assert_eq(rep.plan.n, 0);
	lx_nft_observed_free(&obs);
	lx_nft_unsubscribe(n, fd);
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&p);
}

/* ------------------------------------------------------------ refusals */

Test(nft_compile, hostile_bodies_are_refused_naming_the_construct)
{
	static const struct {
		const char *text, *expect;
	} cases[] = {
	    {"include \"/etc/shadow\"", "\"include\""},
	    {"chain c { }\ninclude \"/etc/*\"", "\"include\" at line 2"},
	    {"chain c { include \"/etc/passwd\" }", "\"include\""},
	    {"table ip filter { chain c { } }", "\"table\""},
	    {"} table ip6 x { chain c { }", "closes the table block"},
	    {"}\nflush ruleset\ntable inet linx {", "closes the table block"},
	    {"flush ruleset", "\"ruleset\""},
	    {"chain c { } } add chain inet linx-policy c {",
	     "closes the table"},
	    {"chain c { ip daddr 3.3.3.3 jump { accept; }; }",
	     "anonymous chains"},
	};

	for (size_t i = 0; i < LX_ARRAY_SIZE(cases); i++) {
		struct lx_error e;

		cr_assert_lt(compile_err(cases[i].text, &e), 0, "%s",
			     cases[i].text);
		cr_assert_eq(e.kind, LX_ERR_INVALID, "%s", cases[i].text);
		cr_assert(strstr(e.msg, cases[i].expect), "%s -> %s",
			  cases[i].text, e.msg);
		cr_assert(strstr(e.msg, "nftables (io.linx.nftables)"));
		cr_assert_null(strstr(e.msg, "root:"), "no file contents");
	}
}

Test(nft_compile, words_inside_strings_and_comments_are_not_refused)
{
	struct lx_nft_body b;

	compile("chain c { comment \"include table ruleset }\"; } # include }",
		&b);
	cr_assert_eq(b.n_rules, 0);
	lx_nft_body_free(&b);
}

Test(nft_compile, parse_error_is_nfts_message_with_position_only)
{
	struct lx_error e;

	cr_assert_lt(compile_err("chain c {\n  secretword drop\n}", &e), 0);
	cr_assert_eq(e.kind, LX_ERR_INVALID);
	cr_assert(strstr(e.msg, "line 2:"), "%s", e.msg);
	cr_assert(strstr(e.msg, "Error: syntax error"), "%s", e.msg);
	cr_assert_null(strchr(e.msg, '\n'), "one line");
	cr_assert_null(strstr(e.msg, "^^"), "no caret line: %s", e.msg);
}

Test(nft_compile, more_than_4096_rules_are_refused)
{
	size_t cap = 4200 * 32 + 64, o = 0;
	char *t = malloc(cap);
	struct lx_error e;

	o += (size_t)snprintf(t + o, cap - o, "chain c {\n");
	for (int i = 0; i < 4097; i++)
		o += (size_t)snprintf(t + o, cap - o, "tcp dport %d drop\n",
				      i + 1);
	snprintf(t + o, cap - o, "}");
	cr_assert_lt(compile_err(t, &e), 0);
	cr_assert(strstr(e.msg, "more than 4096 rules"), "%s", e.msg);
	free(t);
}

Test(nft_compile, port_names_sets_maps_and_objects_compile)
{
	struct lx_nft_body b;

	compile("set bad { type ipv4_addr; flags interval; elements = { "
		"10.0.0.0/8, 192.168.0.0/16 } }\n"
		"counter cnt { }\n"
		"chain j { ip saddr 1.1.1.1 accept; }\n"
		"map m { type ipv4_addr : verdict; elements = { 9.9.9.9 : "
		"jump j } }\n"
		"chain x { type filter hook input priority 0; ip saddr vmap "
		"@m; ip daddr @bad drop; ip daddr { 1.2.3.4, 5.6.7.8 } "
		"counter name cnt drop; tcp dport ssh accept; }",
		&b);
	cr_assert_eq(b.n_rules, 5);
	fresh();
	struct lx_nft *n = open_nft(false);
	struct lx_subreport rep = {0};
	struct lx_nft_want w = {{&b, NULL}};
	cr_assert(pass(n, &w, &rep, NULL));
	cr_assert_eq(sh_rc("nft list table inet linx | grep -q 'tcp dport 22 "
			   "accept'"),
		     0);
	cr_assert_eq(sh_rc("nft list table inet linx | grep -q "
			   "'192.168.0.0/16'"),
		     0);
	lx_plan_free(&rep.plan);
	lx_nft_close(n);
	lx_nft_body_free(&b);
}

Test(nft_compile, compiled_form_naming_a_table_is_refused)
{
	/* What the parent trusts of the child: a NEWRULE carrying a table
	 * attribute (another table) is refused. */
	char buf[256];
	struct nlmsghdr *nlh =
	    hdr(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE, 0,
		NFPROTO_INET, 0);
	struct lx_error e;

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "linx-policy");
	lx_error_clear(&e);
	cr_assert_lt(lx_nft_msgs_check(buf, nlh->nlmsg_len, "x", NULL, &e), 0);
	cr_assert(strstr(e.msg, "names a table"), "%s", e.msg);
	nlh = hdr(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, 0,
		  NFPROTO_INET, 0);
	cr_assert_lt(lx_nft_msgs_check(buf, nlh->nlmsg_len, "x", NULL, &e), 0);
	cr_assert(strstr(e.msg, "not allowed"), "%s", e.msg);
}
