/* SPDX-License-Identifier: MIT */
/*
 * nftables instance: observe, diff, apply, release, subscribe (nft.h).
 *
 * What "ours" means here: a table is ours by name (inet linx, inet
 * linx-policy) and, while we live, by the kernel's owner flag: no other
 * socket can change it. So a table owned by our socket holds exactly what
 * we last sent, and the marker we put in its userdata (the hash of the
 * compiled body) names that content; a table not owned by our socket
 * (orphaned by a predecessor that died, or found at start) may have been
 * changed by anyone in the meantime and is replaced as a whole. The diff
 * therefore compares markers and ownership, plus the chains and the rule
 * count when the tables were listed.
 */
#include <netinet/in.h>

#include "nft.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "nl.h"

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4 /* 6.9+; not in Debian 12's uapi headers */
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* NFTNL_UDATA_TABLE_COMMENT: nft lists our marker as the table's comment. */
#define UDATA_COMMENT 0
#define MARKER_PREFIX "linx-sidecar "

#define SNDBUF	 (64 * 1024 * 1024)
#define RCVBUF	 (8 * 1024 * 1024)
#define RBUF_LEN (64 * 1024)

static const char *const table_names[LX_NFT_N_TABLES] = {LX_NFT_TABLE,
							 LX_NFT_POLICY_TABLE};

struct lx_nft {
	struct lx_nft_config cfg;
	struct mnl_socket *nl; /* the owner of our tables; NULL until used */
	uint32_t portid;
	uint32_t seq;
	char *rbuf;   /* RBUF_LEN bytes for replies */
	bool persist; /* NFT_TABLE_F_PERSIST on create */
	/* After a successful apply: the genid then and what was applied. */
	bool have_last;
	uint32_t last_genid;
	bool last_present[LX_NFT_N_TABLES];
	uint64_t last_hash[LX_NFT_N_TABLES];
	bool ever_wanted; /* some pass wanted a table: subscribe, release */
};

static bool body_wanted(const struct lx_nft_body *b)
{
	return b && b->msgs;
}

void lx_nft_observed_free(struct lx_nft_observed *o)
{
	if (!o)
		return;
	for (int i = 0; i < LX_NFT_N_TABLES; i++) {
		for (size_t k = 0; k < o->t[i].n_chains; k++)
			free(o->t[i].chains[k]);
		free(o->t[i].chains);
	}
	memset(o, 0, sizeof(*o));
}

int lx_nft_open(struct lx_nft **out, const struct lx_nft_config *cfg,
		struct lx_error *err)
{
	struct lx_nft *n = calloc(1, sizeof(*n));

	if (!n)
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "nftables");
	if (cfg)
		n->cfg = *cfg;
	n->persist = !n->cfg.no_persist;
	*out = n;
	return 0;
}

void lx_nft_close(struct lx_nft *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n->rbuf);
	free(n);
}

bool lx_nft_socket_open(const struct lx_nft *n)
{
	return n && n->nl;
}

bool lx_nft_persist(const struct lx_nft *n)
{
	return n && n->persist;
}

static int sock_open(struct lx_nft *n, struct lx_error *err)
{
	int one = 1, v;

	if (n->nl)
		return 0;
	if (!n->rbuf && !(n->rbuf = malloc(RBUF_LEN)))
		return lx_error_set(err, LX_ERR_SYSTEM, ENOMEM, "nftables");
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->nl)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "nftables: netlink socket");
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(n->nl);
		n->nl = NULL;
		return lx_error_set(err, LX_ERR_SYSTEM, e, "nftables: bind");
	}
	n->portid = mnl_socket_get_portid(n->nl);
	/* One transaction is one sendmsg: the whole batch must fit the send
	 * buffer. */
	v = SNDBUF;
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_SNDBUFFORCE, &v,
		       sizeof(v)) < 0)
		(void)setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET,
				 SO_SNDBUF, &v, sizeof(v));
	v = RCVBUF;
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUFFORCE, &v,
		       sizeof(v)) < 0)
		(void)setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET,
				 SO_RCVBUF, &v, sizeof(v));
	(void)mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

static struct nlmsghdr *put_hdr(char *buf, uint16_t type, uint16_t flags,
				uint8_t family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id =
	    htons(type == NFNL_MSG_BATCH_BEGIN || type == NFNL_MSG_BATCH_END
		      ? NFNL_SUBSYS_NFTABLES
		      : 0);
	return nlh;
}

#define NFT_TYPE(m) ((NFNL_SUBSYS_NFTABLES << 8) | (m))

/* One request, its replies to cb, until the ack or NLMSG_DONE. */
static int talk(struct lx_nft *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char *buf = n->rbuf;
	ssize_t got;
	int r;

	nlh->nlmsg_seq = ++n->seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		got = mnl_socket_recvfrom(n->nl, buf, RBUF_LEN);
		if (got < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)got, n->seq, n->portid, cb, data);
	} while (r == MNL_CB_OK);
	return r < 0 ? -errno : 0;
}

/* ------------------------------------------------------------ observe */

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(
	    a, nlh,
	    sizeof(struct nfgenmsg)) if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
					 mnl_attr_get_payload_len(a) >= 4) *
	    (uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

static int read_genid(struct lx_nft *n, uint32_t *genid)
{
	char buf[256];

	return talk(n, put_hdr(buf, NFT_TYPE(NFT_MSG_GETGEN), 0, AF_UNSPEC, 0),
		    gen_cb, genid);
}

static void parse_marker(struct lx_nft_table_obs *t, const struct nlattr *a)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a), pl = strlen(MARKER_PREFIX);

	while (len >= 2 && (size_t)p[1] + 2 <= len) {
		if (p[0] == UDATA_COMMENT && p[1] > pl &&
		    memcmp(p + 2, MARKER_PREFIX, pl) == 0) {
			char hex[17] = "";
			size_t hl = p[1] - pl;

			if (hl > 16)
				hl = 16;
			memcpy(hex, p + 2 + pl, hl);
			t->hash = strtoull(hex, NULL, 16);
			t->marked = true;
		}
		len -= (size_t)p[1] + 2;
		p += (size_t)p[1] + 2;
	}
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lx_nft_table_obs *t = data;
	const struct nlattr *a;

	t->present = true;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		switch (mnl_attr_get_type(a)) {
		case NFTA_TABLE_FLAGS:
			t->flags = ntohl(mnl_attr_get_u32(a));
			break;
		case NFTA_TABLE_OWNER:
			t->has_owner = true;
			t->owner = ntohl(mnl_attr_get_u32(a));
			break;
		case NFTA_TABLE_USERDATA:
			parse_marker(t, a);
			break;
		}
	}
	return MNL_CB_OK;
}

static const char *attr_str(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(
	    a, nlh,
	    sizeof(struct nfgenmsg)) if (mnl_attr_get_type(a) == type &&
					 mnl_attr_validate(
					     a, MNL_TYPE_NUL_STRING) ==
					     0) return mnl_attr_get_str(a);
	return NULL;
}

struct list_ctx {
	const char *table;
	struct lx_nft_table_obs *t;
	int error;
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *c = data;
	const char *table = attr_str(nlh, NFTA_CHAIN_TABLE);
	const char *name = attr_str(nlh, NFTA_CHAIN_NAME);
	char **v, *s;

	if (!table || !name || strcmp(table, c->table) != 0)
		return MNL_CB_OK;
	v = realloc(c->t->chains, (c->t->n_chains + 1) * sizeof(*v));
	if (!v || !(s = strdup(name))) {
		if (v)
			c->t->chains = v;
		c->error = -ENOMEM;
		return MNL_CB_OK;
	}
	c->t->chains = v;
	v[c->t->n_chains++] = s;
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *c = data;
	const char *table = attr_str(nlh, NFTA_RULE_TABLE);

	if (table && strcmp(table, c->table) == 0)
		c->t->n_rules++;
	return MNL_CB_OK;
}

static int observe_table(struct lx_nft *n, int i, bool list,
			 struct lx_nft_table_obs *t, struct lx_error *err)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct list_ctx c = {.table = table_names[i], .t = t};
	int r;

	nlh = put_hdr(buf, NFT_TYPE(NFT_MSG_GETTABLE), 0, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table_names[i]);
	r = talk(n, nlh, table_cb, t);
	if (r == -ENOENT) {
		memset(t, 0, sizeof(*t));
		return 0;
	}
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r,
				    "nftables: get table inet %s",
				    table_names[i]);
	if (!list)
		return 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		for (size_t k = 0; k < t->n_chains; k++)
			free(t->chains[k]);
		free(t->chains);
		t->chains = NULL;
		t->n_chains = 0;
		t->n_rules = 0;
		nlh = put_hdr(buf, NFT_TYPE(NFT_MSG_GETCHAIN), NLM_F_DUMP,
			      NFPROTO_INET, 0);
		r = talk(n, nlh, chain_cb, &c);
		if (r == 0) {
			nlh = put_hdr(buf, NFT_TYPE(NFT_MSG_GETRULE),
				      NLM_F_DUMP, NFPROTO_INET, 0);
			mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table_names[i]);
			r = talk(n, nlh, rule_cb, &c);
		}
		if (r != -EINTR)
			break;
	}
	if (r == 0)
		r = c.error;
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r,
				    "nftables: list table inet %s",
				    table_names[i]);
	t->listed = true;
	return 0;
}

int lx_nft_observe(struct lx_nft *n, const struct lx_nft_want *want, bool full,
		   struct lx_nft_observed *obs, struct lx_error *err)
{
	bool any = false, same = n->have_last;
	int r;

	memset(obs, 0, sizeof(*obs));
	for (int i = 0; i < LX_NFT_N_TABLES; i++) {
		const struct lx_nft_body *b = want->bodies[i];

		any |= body_wanted(b);
		if (body_wanted(b) != n->last_present[i] ||
		    (body_wanted(b) && b->hash != n->last_hash[i]))
			same = false;
	}
	if (any)
		n->ever_wanted = true;
	/* Nothing wanted and nothing ever applied by us: no socket. */
	if (!any && !n->nl)
		return 0;
	r = sock_open(n, err);
	if (r < 0)
		return r;
	obs->portid = n->portid;
	r = read_genid(n, &obs->genid);
	if (r < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, -r,
				    "nftables: read the ruleset generation");
	if (!full && same && obs->genid == n->last_genid) {
		obs->unchanged = true;
		return 0;
	}
	for (int i = 0; i < LX_NFT_N_TABLES; i++) {
		r = observe_table(n, i, true, &obs->t[i], err);
		if (r < 0) {
			lx_nft_observed_free(obs);
			return r;
		}
	}
	return 0;
}

/* --------------------------------------------------------------- diff */

static int add_op(struct lx_plan *plan, enum lx_op_verb verb, enum lx_obj obj,
		  const char *item, int table, const char *error)
{
	struct lx_op op = {.verb = verb, .obj = obj};

	op.u.kv.key = strdup(item);
	op.u.kv.value = strdup(table_names[table]);
	if (error)
		lx_op_fail(&op, error);
	if (!op.u.kv.key || !op.u.kv.value || (error && !op.error)) {
		lx_op_free(&op);
		return -ENOMEM;
	}
	return lx_plan_add(plan, &op);
}

/* Chain names of a compiled body (NEWCHAIN messages), in order. */
static int body_chains(const struct lx_nft_body *b, const char ***names,
		       size_t *n)
{
	size_t off = 0;

	*names = NULL;
	*n = 0;
	while (b && off + sizeof(struct nlmsghdr) <= b->len) {
		const struct nlmsghdr *nlh = (const void *)(b->msgs + off);

		if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWCHAIN) {
			const char *name = attr_str(nlh, NFTA_CHAIN_NAME);
			const char **v;

			if (name) {
				v = realloc(*names, (*n + 1) * sizeof(*v));
				if (!v)
					return -ENOMEM;
				*names = v;
				v[(*n)++] = name;
			}
		}
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
	return 0;
}

static bool has_name(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static int chain_ops(struct lx_plan *plan, const struct lx_nft_body *b,
		     const struct lx_nft_table_obs *t, int i)
{
	const char **names = NULL;
	size_t n = 0;
	int r = body_chains(b, &names, &n);

	for (size_t k = 0; r == 0 && k < n; k++)
		if (!t || !has_name(t->chains, t->n_chains, names[k]))
			r = add_op(plan, LX_OP_CREATE, LX_OBJ_NFT_CHAIN,
				   names[k], i, NULL);
	for (size_t k = 0; r == 0 && t && k < t->n_chains; k++)
		if (!has_name((char *const *)names, n, t->chains[k]))
			r = add_op(plan, LX_OP_DELETE, LX_OBJ_NFT_CHAIN,
				   t->chains[k], i, NULL);
	free(names);
	return r;
}

int lx_nft_diff(const struct lx_nft_want *want,
		const struct lx_nft_observed *obs, struct lx_plan *plan,
		struct lx_error *err)
{
	if (obs->unchanged)
		return 0;
	for (int i = 0; i < LX_NFT_N_TABLES; i++) {
		const struct lx_nft_body *b = want->bodies[i];
		const struct lx_nft_table_obs *t = &obs->t[i];
		bool wanted = body_wanted(b);
		char item[128];
		int r = 0;

		if (wanted)
			snprintf(item, sizeof(item), "inet %s (%u rule%s)",
				 table_names[i], b->n_rules,
				 b->n_rules == 1 ? "" : "s");
		else
			snprintf(item, sizeof(item), "inet %s", table_names[i]);
		if (!t->present) {
			if (wanted) {
				r = add_op(plan, LX_OP_CREATE, LX_OBJ_NFT_TABLE,
					   item, i, NULL);
				if (r == 0)
					r = chain_ops(plan, b, NULL, i);
			}
		} else if (t->has_owner && t->owner != obs->portid) {
			char msg[160];

			snprintf(msg, sizeof(msg),
				 "hijacked: table inet %s is owned by another "
				 "process (netlink port %u); retrying",
				 table_names[i], t->owner);
			r = add_op(plan, wanted ? LX_OP_REPLACE : LX_OP_DELETE,
				   LX_OBJ_NFT_TABLE, item, i, msg);
		} else if (!wanted) {
			r = add_op(plan, LX_OP_DELETE, LX_OBJ_NFT_TABLE, item,
				   i, NULL);
		} else if (!t->has_owner || !t->marked || t->hash != b->hash ||
			   (t->listed && t->n_rules != b->n_rules)) {
			r = add_op(plan, LX_OP_REPLACE, LX_OBJ_NFT_TABLE,
				   item, i, NULL);
			if (r == 0)
				r = chain_ops(plan, b, t->listed ? t : NULL, i);
		}
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "nftables diff");
	}
	return 0;
}

/* -------------------------------------------------------------- apply */

struct batch {
	char *p;
	size_t n, cap;
};

static void *batch_room(struct batch *b, size_t len)
{
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->n + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return NULL;
		b->p = p, b->cap = cap;
	}
	return b->p + b->n;
}

/* Room for one message of our own making. */
static struct nlmsghdr *batch_msg(struct batch *b, uint16_t type,
				  uint16_t flags, uint8_t family, uint32_t seq)
{
	char *p = batch_room(b, 1024);

	if (!p)
		return NULL;
	memset(p, 0, 1024);
	return put_hdr(p, type, flags, family, seq);
}

static void batch_commit(struct batch *b, struct nlmsghdr *nlh)
{
	b->n += MNL_ALIGN(nlh->nlmsg_len);
}

/* The compiled body's messages with our table name put in front of their
 * attributes. */
static int batch_body(struct batch *b, const struct lx_nft_body *body,
		      const char *table, uint32_t *seq)
{
	size_t off = 0, tl = MNL_ATTR_HDRLEN + MNL_ALIGN(strlen(table) + 1);
	size_t hl = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

	while (off + hl <= body->len) {
		const struct nlmsghdr *src = (const void *)(body->msgs + off);
		size_t len = src->nlmsg_len;
		struct nlmsghdr *nlh = batch_room(b, MNL_ALIGN(len) + tl);
		struct nlattr *a;
		uint16_t flags = NLM_F_CREATE;

		if (!nlh)
			return -ENOMEM;
		memcpy(nlh, src, hl);
		if ((src->nlmsg_type & 0xff) == NFT_MSG_NEWRULE)
			flags |= NLM_F_APPEND;
		nlh->nlmsg_flags = NLM_F_REQUEST | flags;
		nlh->nlmsg_seq = ++*seq;
		nlh->nlmsg_pid = 0;
		nlh->nlmsg_len = (uint32_t)hl;
		a = (struct nlattr *)((char *)nlh + hl);
		memset(a, 0, tl);
		a->nla_type = 1; /* NFTA_*_TABLE in every allowed message */
		a->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + strlen(table) + 1);
		memcpy((char *)a + MNL_ATTR_HDRLEN, table, strlen(table) + 1);
		memcpy((char *)a + tl, (const char *)src + hl, len - hl);
		nlh->nlmsg_len = (uint32_t)(hl + tl + (len - hl));
		b->n += MNL_ALIGN(nlh->nlmsg_len);
		off += MNL_ALIGN(len);
	}
	return 0;
}

struct txn_table {
	bool del;
	const struct lx_nft_body *create; /* NULL = not created */
};

/* Build and send one transaction; returns 0, or the first error with its
 * ext-ack text in msg, or -ERESTART for a genid that moved. */
static int transaction(struct lx_nft *n, uint32_t genid, bool use_genid,
		       const struct txn_table tt[LX_NFT_N_TABLES], char *msg,
		       size_t msglen)
{
	struct batch b = {0};
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq, first, last;
	char *rbuf = n->rbuf;
	int result = 0, done = 0;

	msg[0] = '\0';
	first = ++seq;
	nlh = batch_msg(&b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, first);
	if (!nlh)
		goto nomem;
	if (use_genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	batch_commit(&b, nlh);
	for (int i = 0; i < LX_NFT_N_TABLES; i++) {
		if (tt[i].del) {
			nlh = batch_msg(&b, NFT_TYPE(NFT_MSG_DELTABLE), 0,
					NFPROTO_INET, ++seq);
			if (!nlh)
				goto nomem;
			mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table_names[i]);
			batch_commit(&b, nlh);
		}
		if (tt[i].create) {
			char ud[64];
			int ml;
			uint32_t flags = NFT_TABLE_F_OWNER;

			if (n->persist)
				flags |= NFT_TABLE_F_PERSIST;
			nlh = batch_msg(&b, NFT_TYPE(NFT_MSG_NEWTABLE),
					NLM_F_CREATE | NLM_F_EXCL, NFPROTO_INET,
					++seq);
			if (!nlh)
				goto nomem;
			mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table_names[i]);
			mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(flags));
			ml = snprintf(ud + 2, sizeof(ud) - 2, "%s%016llx",
				      MARKER_PREFIX,
				      (unsigned long long)tt[i].create->hash);
			ud[0] = UDATA_COMMENT;
			ud[1] = (char)(ml + 1);
			mnl_attr_put(nlh, NFTA_TABLE_USERDATA, (size_t)ml + 3,
				     ud);
			batch_commit(&b, nlh);
			if (batch_body(&b, tt[i].create, table_names[i], &seq) <
			    0)
				goto nomem;
		}
	}
	/* The last change carries the ack we wait for; errors come for any
	 * message without asking. */
	last = seq;
	{
		size_t off = 0, lastoff = 0;

		while (off < b.n) {
			lastoff = off;
			off += MNL_ALIGN(
			    ((struct nlmsghdr *)(b.p + off))->nlmsg_len);
		}
		((struct nlmsghdr *)(b.p + lastoff))->nlmsg_flags |= NLM_F_ACK;
	}
	nlh = batch_msg(&b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, ++seq);
	if (!nlh)
		goto nomem;
	batch_commit(&b, nlh);
	n->seq = seq;

	if (mnl_socket_sendto(n->nl, b.p, b.n) < 0) {
		result = -errno;
		snprintf(msg, msglen, "send");
		free(b.p);
		return result;
	}
	free(b.p);
	/* nfnetlink runs the batch inside sendmsg: every reply is queued by
	 * now. Read until the ack of the last change (it follows any error)
	 * or an error of the BEGIN (genid, commit), after which no ack
	 * comes. */
	while (!done) {
		struct pollfd pfd = {.fd = mnl_socket_get_fd(n->nl),
				     .events = POLLIN};
		const char *p = rbuf;
		ssize_t got;
		size_t left;

		if (poll(&pfd, 1, 5000) <= 0) {
			if (!result) {
				result = -ETIMEDOUT;
				snprintf(msg, msglen, "no answer");
			}
			break;
		}
		got = recv(pfd.fd, rbuf, RBUF_LEN, MSG_DONTWAIT);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (!result)
				result = -errno;
			break;
		}
		left = (size_t)got;
		while (left >= sizeof(struct nlmsghdr)) {
			const struct nlmsghdr *h = (const void *)p;
			char ext[LX_NL_EXTACK_MAX];
			size_t step;
			int e;

			if (!lx_nl_msg_ok(h, (int)left))
				break;
			if (h->nlmsg_type == NLMSG_ERROR &&
			    h->nlmsg_seq >= first && h->nlmsg_seq <= seq) {
				e = lx_nl_parse_error(h, ext, sizeof(ext));
				if (e < 0 && !result) {
					result = e;
					snprintf(msg, msglen, "%s", ext);
				}
				if (h->nlmsg_seq == last ||
				    (e < 0 && h->nlmsg_seq == first))
					done = 1;
			}
			step = MNL_ALIGN(h->nlmsg_len);
			if (step >= left)
				break;
			p += step;
			left -= step;
		}
	}
	return result;
nomem:
	free(b.p);
	snprintf(msg, msglen, "out of memory");
	return -ENOMEM;
}

static int table_index(const struct lx_op *op)
{
	return op->u.kv.value && strcmp(op->u.kv.value, LX_NFT_TABLE) == 0
		   ? LX_NFT_T_TENANT
		   : LX_NFT_T_POLICY;
}

static bool is_nft_op(const struct lx_op *op)
{
	return op->obj == LX_OBJ_NFT_TABLE || op->obj == LX_OBJ_NFT_CHAIN;
}

/* Every planned op of the tables in tt gets the transaction's outcome. */
static void settle(struct lx_plan *plan, const bool touched[LX_NFT_N_TABLES],
		   int r, const char *ext)
{
	char buf[LX_NL_EXTACK_MAX + 160];

	if (r == -ERESTART)
		snprintf(buf, sizeof(buf),
			 "the ruleset changed since it was read (genid; "
			 "ERESTART): the next pass reads it again");
	else if (r < 0)
		lx_nl_strerror(-r, ext, buf, sizeof(buf));
	for (size_t k = 0; k < plan->n; k++) {
		struct lx_op *op = &plan->ops[k];

		if (!is_nft_op(op) || op->state != LX_OPS_PLANNED ||
		    !touched[table_index(op)])
			continue;
		if (r < 0)
			lx_op_fail(op, buf);
		else
			op->state = LX_OPS_APPLIED;
	}
}

static bool no_failure(const struct lx_plan *plan)
{
	for (size_t k = 0; k < plan->n; k++)
		if (plan->ops[k].state == LX_OPS_FAILED ||
		    plan->ops[k].state == LX_OPS_PENDING)
			return false;
	return true;
}

int lx_nft_apply(struct lx_nft *n, const struct lx_nft_want *want,
		 const struct lx_nft_observed *obs, struct lx_subreport *rep,
		 struct lx_error *err)
{
	struct txn_table tt[LX_NFT_N_TABLES] = {{0}};
	bool touched[LX_NFT_N_TABLES] = {false};
	bool any = false;
	char ext[LX_NL_EXTACK_MAX];
	int r;

	(void)err;
	for (size_t k = 0; k < rep->plan.n; k++) {
		const struct lx_op *op = &rep->plan.ops[k];
		int i = table_index(op);

		if (op->obj != LX_OBJ_NFT_TABLE || op->state != LX_OPS_PLANNED)
			continue;
		touched[i] = any = true;
		if (op->verb != LX_OP_CREATE)
			tt[i].del = true;
		if (op->verb != LX_OP_DELETE)
			tt[i].create = want->bodies[i];
	}
	if (!any) {
		rep->converged = no_failure(&rep->plan);
		/* Listed and found as wanted at obs->genid: the next pass may
		 * skip the listing while the genid stays there. */
		if (rep->converged && !obs->unchanged && n->nl) {
			for (int i = 0; i < LX_NFT_N_TABLES; i++) {
				const struct lx_nft_body *b = want->bodies[i];

				n->last_present[i] = body_wanted(b);
				n->last_hash[i] = body_wanted(b) ? b->hash : 0;
			}
			n->last_genid = obs->genid;
			n->have_last = true;
		}
		return 0;
	}
	r = transaction(n, obs->genid, true, tt, ext, sizeof(ext));
	if (r == -EOPNOTSUPP && n->persist) {
		/* A kernel before 6.9 refuses NFT_TABLE_F_PERSIST: the tables
		 * are then owned but die with the socket (README). */
		n->persist = false;
		r = transaction(n, obs->genid, true, tt, ext, sizeof(ext));
	}
	settle(&rep->plan, touched, r, ext);
	n->have_last = false;
	if (r == 0) {
		bool hijacked = false;

		for (int i = 0; i < LX_NFT_N_TABLES; i++) {
			const struct lx_nft_body *b = want->bodies[i];

			n->last_present[i] = body_wanted(b);
			n->last_hash[i] = body_wanted(b) ? b->hash : 0;
			/* A table we did not touch (hijacked) is not what
			 * is wanted: no skipping the next pass. */
			if (!touched[i] && body_wanted(b) != obs->t[i].present)
				hijacked = true;
		}
		/* Our tables are owned by our socket from now on: a genid
		 * read later than the commit only adds others' changes,
		 * which cannot touch them. */
		if (!hijacked && no_failure(&rep->plan) &&
		    read_genid(n, &n->last_genid) == 0)
			n->have_last = true;
	}
	rep->converged = no_failure(&rep->plan);
	return 0;
}

int lx_nft_release(struct lx_nft *n, struct lx_subreport *rep,
		   struct lx_error *err)
{
	struct txn_table tt[LX_NFT_N_TABLES] = {{0}};
	bool touched[LX_NFT_N_TABLES] = {false};
	bool any = false;
	char ext[LX_NL_EXTACK_MAX];
	int r;

	n->have_last = false;
	if (!n->nl)
		return 0; /* never used: nothing of ours here */
	for (int i = 0; i < LX_NFT_N_TABLES; i++) {
		struct lx_nft_table_obs t = {0};
		char item[64];

		r = observe_table(n, i, false, &t, err);
		if (r < 0)
			return r;
		if (!t.present)
			continue;
		snprintf(item, sizeof(item), "inet %s", table_names[i]);
		if (t.has_owner && t.owner != n->portid) {
			r = add_op(&rep->plan, LX_OP_DELETE, LX_OBJ_NFT_TABLE,
				   item, i,
				   "hijacked: owned by another process; left "
				   "alone");
		} else {
			r = add_op(&rep->plan, LX_OP_DELETE, LX_OBJ_NFT_TABLE,
				   item, i, NULL);
			tt[i].del = touched[i] = any = true;
		}
		if (r < 0)
			return lx_error_set(err, LX_ERR_SYSTEM, -r,
					    "nftables release");
	}
	if (any) {
		r = transaction(n, 0, false, tt, ext, sizeof(ext));
		settle(&rep->plan, touched, r, ext);
	}
	rep->converged = no_failure(&rep->plan);
	return 0;
}

/* ------------------------------------------------------------ monitor */

int lx_nft_subscribe(struct lx_nft *n, struct lx_error *err)
{
	struct mnl_socket *m;
	int grp = NFNLGRP_NFTABLES, fd, v = RCVBUF;

	/* Nothing of ours to watch: no netfilter socket at all. */
	if (!n->ever_wanted && !n->nl)
		return -EOPNOTSUPP;
	m = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "nftables monitor");
	if (mnl_socket_bind(m, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(m, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		int e = errno;

		mnl_socket_close(m);
		return lx_error_set(err, LX_ERR_SYSTEM, e, "nftables monitor");
	}
	fd = mnl_socket_get_fd(m);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	/* The fd is what the loop holds; the mnl wrapper is only a struct
	 * around it, freed here without closing it. */
	fd = dup(fd);
	mnl_socket_close(m);
	if (fd < 0)
		return lx_error_set(err, LX_ERR_SYSTEM, errno,
				    "nftables monitor");
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

int lx_nft_drain(struct lx_nft *n, int fd)
{
	char buf[65536];
	int hints = 0;

	(void)n;
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return hints;
			return -errno;
		}
		if (got == 0)
			return -EPIPE;
		hints++;
	}
}

void lx_nft_unsubscribe(struct lx_nft *n, int fd)
{
	(void)n;
	if (fd >= 0)
		close(fd);
}
