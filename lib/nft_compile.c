/* SPDX-License-Identifier: MIT */
/*
 * nft text -> compiled nf_tables messages (see nft.h for why it is done
 * this way). The child is the only process that ever loads libnftables.
 */
#include <dlfcn.h>
#include <linux/capability.h>
#include <netinet/in.h>

#include "caps.h"
#include "nft.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ----------------------------------------------------- the child */

enum { RES_OK = 0, RES_INVALID = 1, RES_SYSTEM = 2 };

#define BODY_FILE "body.nft"

static const char *const public_files[] = {"/etc/services", "/etc/protocols"};

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_put(struct buf *b, const void *data, size_t len)
{
	if (b->n + len > LX_NFT_PROG_MAX)
		return -E2BIG;
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *p;

		while (cap < b->n + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p, b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	return 0;
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(RES_SYSTEM);
		c += w, n -= (size_t)w;
	}
}

static __attribute__((noreturn)) void reply(int fd, uint32_t kind,
					    const void *p, size_t n)
{
	write_all(fd, &kind, sizeof(kind));
	write_all(fd, p, n);
	_exit(0);
}

static __attribute__((noreturn)) void reply_sys(int fd, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "nft compile: %s: %s", what,
		 strerror(errno));
	reply(fd, RES_SYSTEM, msg, strlen(msg));
}

/* Attributes (by type) not carried into the replay: the table (apply names
 * ours), handles, use counts, counters, positions and transaction ids. */
static bool stripped(uint8_t msg, uint16_t t)
{
	static const struct {
		uint8_t msg;
		uint16_t max;
	} known[] = {
	    {NFT_MSG_NEWCHAIN, NFTA_CHAIN_MAX},
	    {NFT_MSG_NEWRULE, NFTA_RULE_MAX},
	    {NFT_MSG_NEWSET, NFTA_SET_MAX},
	    {NFT_MSG_NEWSETELEM, NFTA_SET_ELEM_LIST_MAX},
	    {NFT_MSG_NEWOBJ, NFTA_OBJ_MAX},
	    {NFT_MSG_NEWFLOWTABLE, NFTA_FLOWTABLE_MAX},
	};

	t &= NLA_TYPE_MASK;
	if (t == 1)
		return true;
	/* Newer kernels add report-only attributes to dumps (a set's
	 * backend and element count, 6.14) that a NEW request refuses: keep
	 * what this header knows a request may carry. */
	for (size_t i = 0; i < LX_ARRAY_SIZE(known); i++)
		if (known[i].msg == msg && t > known[i].max)
			return true;
	switch (msg) {
	case NFT_MSG_NEWCHAIN:
		return t == NFTA_CHAIN_HANDLE || t == NFTA_CHAIN_USE ||
		       t == NFTA_CHAIN_COUNTERS || t == NFTA_CHAIN_PAD ||
		       t == NFTA_CHAIN_ID;
	case NFT_MSG_NEWRULE:
		return t == NFTA_RULE_HANDLE || t == NFTA_RULE_POSITION ||
		       t == NFTA_RULE_PAD || t == NFTA_RULE_ID ||
		       t == NFTA_RULE_POSITION_ID || t == 10 /* CHAIN_ID */;
	case NFT_MSG_NEWSET:
		return t == NFTA_SET_HANDLE || t == NFTA_SET_ID ||
		       t == NFTA_SET_PAD;
	case NFT_MSG_NEWSETELEM:
		return t == NFTA_SET_ELEM_LIST_SET_ID;
	case NFT_MSG_NEWOBJ:
		return t == NFTA_OBJ_USE || t == NFTA_OBJ_HANDLE ||
		       t == NFTA_OBJ_PAD;
	case NFT_MSG_NEWFLOWTABLE:
		return t == NFTA_FLOWTABLE_USE || t == NFTA_FLOWTABLE_HANDLE ||
		       t == NFTA_FLOWTABLE_PAD;
	}
	return false;
}

struct dump {
	struct buf *out;
	uint8_t msg; /* NFT_MSG_NEW* expected */
	int tables;
	bool foreign;
	/* sets seen, for their elements */
	char (*sets)[NFT_SET_MAXNAMELEN];
	size_t n_sets;
	uint32_t seq;
	uint32_t set_id;
	bool binding;
};

static bool is_ours(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nfg->nfgen_family != NFPROTO_INET)
		return false;
	mnl_attr_for_each(
	    a, nlh, sizeof(*nfg)) if (mnl_attr_get_type(a) ==
				      1) return strcmp(mnl_attr_get_str(a),
						       LX_NFT_TABLE) == 0;
	return false;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	uint8_t msg = nlh->nlmsg_type & 0xff;
	const struct nlattr *a;
	size_t start = d->out->n;
	struct nlmsghdr hdr = {.nlmsg_type = nlh->nlmsg_type};
	struct nfgenmsg g = {.nfgen_family = nfg->nfgen_family};
	static const char pad[4];

	if (msg == NFT_MSG_NEWTABLE) {
		d->tables++;
		if (!is_ours(nlh))
			d->foreign = true;
		return MNL_CB_OK;
	}
	if (!is_ours(nlh)) {
		d->foreign = true;
		return MNL_CB_OK;
	}
	if (msg == NFT_MSG_NEWSET) {
		mnl_attr_for_each(a, nlh, sizeof(*nfg))
		{
			if (mnl_attr_get_type(a) != NFTA_SET_NAME)
				continue;
			char(*s)[NFT_SET_MAXNAMELEN] =
			    realloc(d->sets, (d->n_sets + 1) * sizeof(*s));
			if (!s)
				return MNL_CB_ERROR;
			d->sets = s;
			snprintf(s[d->n_sets++], NFT_SET_MAXNAMELEN, "%s",
				 mnl_attr_get_str(a));
		}
	}
	if (msg == NFT_MSG_NEWCHAIN) {
		mnl_attr_for_each(a, nlh, sizeof(*nfg))
		{
			/* Anonymous chains (jump { ... }) are bound to their
			 * rule by transaction ids that a replay would have to
			 * rebuild: not supported, said so. */
			if (mnl_attr_get_type(a) == NFTA_CHAIN_FLAGS &&
			    (ntohl(mnl_attr_get_u32(a)) & NFT_CHAIN_BINDING))
				d->binding = true;
		}
	}
	if (buf_put(d->out, &hdr, sizeof(hdr)) < 0 ||
	    buf_put(d->out, &g, sizeof(g)) < 0)
		return MNL_CB_ERROR;
	if (msg == NFT_MSG_NEWSET) {
		/* A NEWSET must carry a transaction id (dumps have none). */
		char id[MNL_ATTR_HDRLEN + 4];
		struct nlattr *ida = (struct nlattr *)id;
		uint32_t v = htonl(++d->set_id);

		ida->nla_type = NFTA_SET_ID;
		ida->nla_len = sizeof(id);
		memcpy(id + MNL_ATTR_HDRLEN, &v, 4);
		if (buf_put(d->out, id, sizeof(id)) < 0)
			return MNL_CB_ERROR;
	}
	mnl_attr_for_each(a, nlh, sizeof(*nfg))
	{
		if (stripped(msg, mnl_attr_get_type(a)))
			continue;
		if (buf_put(d->out, a, a->nla_len) < 0 ||
		    buf_put(d->out, pad, MNL_ALIGN(a->nla_len) - a->nla_len) <
			0)
			return MNL_CB_ERROR;
	}
	((struct nlmsghdr *)(d->out->p + start))->nlmsg_len =
	    (uint32_t)(d->out->n - start);
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *nl, uint8_t msg, uint8_t family,
		const char *set, struct dump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	ssize_t n;
	int r;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++d->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	if (set) {
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, LX_NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, d->seq,
			       mnl_socket_get_portid(nl), dump_cb, d);
	} while (r == MNL_CB_OK);
	return r < 0 ? -errno : 0;
}

/*
 * nft's error buffer reads
 *   /body.nft:3:5-9: Error: syntax error, unexpected foo
 *   <the line of text>
 *   <carets>
 * Keep the Error lines alone, the position moved back by the wrapper's
 * first line ("table inet linx {"): never a line of any input.
 */
static void filter_error(const char *in, char *out, size_t len)
{
	size_t o = 0, pl = strlen("/" BODY_FILE ":");
	int kept = 0;

	out[0] = '\0';
	for (const char *l = in; l && *l && kept < 3;) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) : strlen(l);
		const char *e = memmem(l, ll, "Error: ", 7);
		unsigned line = 0, c1 = 0, c2 = 0;
		char pos[64] = "";
		int w;

		if (e) {
			if (ll > pl && memcmp(l, "/" BODY_FILE ":", pl) == 0 &&
			    sscanf(l + pl, "%u:%u-%u", &line, &c1, &c2) == 3)
				snprintf(pos, sizeof(pos), "line %u:%u-%u: ",
					 line > 1 ? line - 1 : 1, c1, c2);
			w = snprintf(out + o, len - o, "%s%s%.*s",
				     kept ? "; " : "", pos,
				     (int)(ll - (size_t)(e - l)), e);
			if (w < 0 || (size_t)w >= len - o)
				break;
			o += (size_t)w;
			kept++;
		}
		l = nl ? nl + 1 : NULL;
	}
	if (!kept)
		snprintf(out, len, "nft failed without a message");
}

typedef struct nft_ctx *(*ctx_new_fn)(uint32_t);
typedef int (*ctx_int_fn)(struct nft_ctx *);
typedef int (*run_fn)(struct nft_ctx *, const char *);

typedef const char *(*get_fn)(struct nft_ctx *);

static __attribute__((noreturn)) void child(int fd, const char *text)
{
	struct buf out = {0};
	struct dump d = {.out = &out};
	struct mnl_socket *nl;
	struct rlimit cpu = {10, 10};
	void *h;
	ctx_new_fn ctx_new;
	ctx_int_fn buffer_output, buffer_error;
	run_fn run;
	get_fn get_error;
	struct nft_ctx *ctx;
	char *wrapped;
	int dn;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setrlimit(RLIMIT_CPU, &cpu);
	dn = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (dn < 0 || dup2(fd, 3) < 0)
		_exit(RES_SYSTEM);
	fd = 3;
	for (int i = 0; i < 3; i++)
		dup2(dn, i);
	close_range(4, ~0u, 0);

	/* Load the library while the host's file system is still there. */
	h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *m =
		    "nft compile: libnftables.so.1 cannot be loaded "
		    "(install libnftables1)";
		reply(fd, RES_SYSTEM, m, strlen(m));
	}
	ctx_new = (ctx_new_fn)dlsym(h, "nft_ctx_new");
	buffer_output = (ctx_int_fn)dlsym(h, "nft_ctx_buffer_output");
	buffer_error = (ctx_int_fn)dlsym(h, "nft_ctx_buffer_error");
	run = (run_fn)dlsym(h, "nft_run_cmd_from_filename");
	get_error = (get_fn)dlsym(h, "nft_ctx_get_error_buffer");
	if (!ctx_new || !buffer_output || !buffer_error || !run || !get_error)
		reply_sys(fd, "libnftables symbols");

	/* A network namespace of its own (empty: the commit below can only
	 * ever reach it) and a mount namespace for the root below. No user
	 * namespace: libnftables needs SO_SNDBUFFORCE for large batches, which
	 * only CAP_NET_ADMIN over the initial user namespace grants; the
	 * child keeps that one capability, as uid 65534, chrooted, with
	 * nothing to reach but its own namespace (no /proc, no fds). */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		reply_sys(fd, "unshare");
	/* A root that holds the wrapped text alone, read-only: `include`
	 * (refused earlier anyway) and anything else that opens a file finds
	 * nothing of the host. The text goes through a file because nft
	 * gives positions (file:line:column) only for files. */
	if (asprintf(&wrapped, "table inet %s {\n%s\n}\n", LX_NFT_TABLE, text) <
	    0)
		reply_sys(fd, "asprintf");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("linx-nft", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=1m,mode=0755") < 0)
		reply_sys(fd, "private root");
	{
		int tf = open("/tmp/" BODY_FILE, O_WRONLY | O_CREAT | O_CLOEXEC,
			      0444);

		if (tf < 0)
			reply_sys(fd, "body file");
		write_all(tf, wrapped, strlen(wrapped));
		close(tf);
	}
	free(wrapped);
	/* Port and protocol names (tcp dport ssh) are looked up in these
	 * public tables, bound read-only; nothing else of /etc is there. */
	if (mkdir("/tmp/etc", 0755) < 0)
		reply_sys(fd, "private root");
	for (size_t i = 0; i < LX_ARRAY_SIZE(public_files); i++) {
		char dst[64];
		int tf;

		snprintf(dst, sizeof(dst), "/tmp%s", public_files[i]);
		tf = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
		if (tf >= 0)
			close(tf);
		if (tf < 0 ||
		    (mount(public_files[i], dst, NULL, MS_BIND, NULL) == 0 &&
		     mount(NULL, dst, NULL,
			   MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
			       MS_NODEV | MS_NOEXEC,
			   NULL) < 0))
			reply_sys(fd, "private root");
	}
	if (mount(NULL, "/tmp", NULL,
		  MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0 ||
	    chroot("/tmp") < 0 || chdir("/") < 0)
		reply_sys(fd, "private root");
	if (lx_caps_limit_as(65534, 65534, 1ULL << CAP_NET_ADMIN) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		reply_sys(fd, "capabilities");

	ctx = ctx_new(0);
	if (!ctx)
		reply_sys(fd, "nft_ctx_new");
	buffer_output(ctx);
	buffer_error(ctx);
	if (run(ctx, "/" BODY_FILE) != 0) {
		char msg[1024];

		filter_error(get_error(ctx), msg, sizeof(msg));
		reply(fd, RES_INVALID, msg, strlen(msg));
	}

	/* What the kernel built: chains before the rules, maps and objects
	 * that jump to or name them; sets and their elements before the
	 * rules that look them up. */
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		reply_sys(fd, "netlink");
	if (dump(nl, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NULL, &d) < 0)
		reply_sys(fd, "list tables");
	if (d.tables != 1 || d.foreign) {
		const char *m = "refused: the text created objects outside "
				"the table body";
		reply(fd, RES_INVALID, m, strlen(m));
	}
	if (dump(nl, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NULL, &d) < 0 ||
	    dump(nl, NFT_MSG_GETOBJ, NFPROTO_UNSPEC, NULL, &d) < 0 ||
	    dump(nl, NFT_MSG_GETSET, NFPROTO_UNSPEC, NULL, &d) < 0)
		reply_sys(fd, "list objects");
	for (size_t i = 0; i < d.n_sets; i++)
		if (dump(nl, NFT_MSG_GETSETELEM, NFPROTO_INET, d.sets[i], &d) <
		    0)
			reply_sys(fd, "list set elements");
	if (dump(nl, NFT_MSG_GETFLOWTABLE, NFPROTO_UNSPEC, NULL, &d) < 0 ||
	    dump(nl, NFT_MSG_GETRULE, NFPROTO_UNSPEC, NULL, &d) < 0)
		reply_sys(fd, "list rules");
	if (d.foreign) {
		const char *m = "refused: the text created objects outside "
				"the table body";
		reply(fd, RES_INVALID, m, strlen(m));
	}
	if (d.binding) {
		const char *m = "anonymous chains (jump { ... }) are not "
				"supported: name the chain and jump to it";
		reply(fd, RES_INVALID, m, strlen(m));
	}
	reply(fd, RES_OK, out.p, out.n);
}

/* ----------------------------------------------------- the parent */

int lx_nft_compile(const char *text, const char *what, struct lx_nft_body *body,
		   struct lx_error *err)
{
	struct buf in = {0};
	int p[2], status = 0;
	pid_t pid;
	uint32_t kind;
	int r;

	memset(body, 0, sizeof(*body));
	r = lx_nft_text_check(text, what, err);
	if (r < 0)
		return r;
	if (pipe2(p, O_CLOEXEC) < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "%s: pipe",
				    what);
	pid = fork();
	if (pid < 0) {
		close(p[0]), close(p[1]);
		return lx_error_set(err, LX_ERR_SYSTEM, errno, "%s: fork",
				    what);
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], text);
	}
	close(p[1]);
	for (;;) {
		char chunk[65536];
		ssize_t n = read(p[0], chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_put(&in, chunk, (size_t)n) < 0) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (in.n < sizeof(kind)) {
		free(in.p);
		if (WIFSIGNALED(status))
			return lx_error_set(err, LX_ERR_INVALID, 0,
					    "%s: nft compile died (signal "
					    "%d%s)",
					    what, WTERMSIG(status),
					    WTERMSIG(status) == SIGXCPU
						? ": over its CPU limit"
						: "");
		return lx_error_set(err, LX_ERR_SYSTEM, 0,
				    "%s: nft compile gave no result", what);
	}
	memcpy(&kind, in.p, sizeof(kind));
	if (kind != RES_OK) {
		r = lx_error_set(
		    err, kind == RES_INVALID ? LX_ERR_INVALID : LX_ERR_SYSTEM,
		    0, "%s: %.*s", what,
		    (int)(in.n - sizeof(kind) > 1024 ? 1024
						     : in.n - sizeof(kind)),
		    in.p + sizeof(kind));
		free(in.p);
		return r;
	}
	memmove(in.p, in.p + sizeof(kind), in.n - sizeof(kind));
	in.n -= sizeof(kind);
	r = lx_nft_msgs_check(in.p, in.n, what, &body->n_rules, err);
	if (r < 0) {
		free(in.p);
		return r;
	}
	body->text = strdup(text);
	if (!body->text) {
		free(in.p);
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "%s", what);
	}
	body->msgs = (uint8_t *)(in.p ? in.p : strdup(""));
	body->len = in.n;
	body->hash = lx_nft_hash(body->msgs, body->len);
	return 0;
}
