/* SPDX-License-Identifier: MIT */
/*
 * nftables subsystem (SPEC.md "Netfilter"): two tables in the target's
 * network namespace, `inet linx` (the tenant's body: io.linx.nftables, the
 * document's `nftables`) and `inet linx-policy` (the admin's --nft-policy
 * FILE), both created with NFT_TABLE_F_OWNER on our own netfilter socket
 * and, where the kernel has it, NFT_TABLE_F_PERSIST.
 *
 * Two halves:
 *
 *  - compile (nft_compile.c): the text is checked for what may never be in
 *    a table body (lx_nft_text_check), then compiled by libnftables in a
 *    forked child that has nothing left to misuse (a private user, network
 *    and mount namespace, chrooted into an empty read-only tmpfs, so an
 *    `include` finds no file), which dumps the objects the kernel built
 *    there and writes them back as nf_tables NEW* messages with the table
 *    left out. The parent never loads libnftables: the child dlopen()s it.
 *    The result is an lx_nft_body (model.h): text, messages, hash, counts.
 *
 *  - the instance (nft.c): observe, a pure diff, apply and subscribe over
 *    one NETLINK_NETFILTER socket, opened on first use (a document without
 *    nftables never opens one). Apply replays the compiled messages on that
 *    socket, with our table name and flags added, in one nf_tables
 *    transaction per pass whose BATCH_BEGIN carries the genid the diff saw
 *    (compare-and-swap): both tables' new content, or nothing.
 *
 * Why a compile child and not libnftables on our socket: libnftables opens
 * its own socket (ownership belongs to the socket that sends the table),
 * cannot write `persist` in 1.0.6, processes `include` while parsing with no
 * way to switch it off (as host root that reads host files), and hands back
 * no compiled objects. The kernel hands them back instead: what the child's
 * private namespace holds after the commit is exactly what the text means,
 * normalised by the kernel, and only ever one table's worth.
 */
#ifndef LX_NFT_H
#define LX_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "op.h"
#include "report.h"

#define LX_NFT_TABLE	    "linx"
#define LX_NFT_POLICY_TABLE "linx-policy"
#define LX_NFT_MAX_RULES    4096
#define LX_NFT_TEXT_MAX	    (256 * 1024)
/* Compiled messages of one body; 4,096 rules fit many times over. */
#define LX_NFT_PROG_MAX (16 * 1024 * 1024)

/* ------------------------------------------------------------ compile */

/*
 * Refusals that need no parser (pure): NUL bytes, size, and the words and
 * braces that would leave the table body: `include` (nft reads files while
 * parsing), `table` (another table, another family), `ruleset` (`flush
 * ruleset`, `list ruleset`), a `}` that closes the table block. Quoted
 * strings and # comments are skipped as nft's scanner skips them. This is
 * a filter for clear messages, not the boundary: the compiled result is
 * also checked to hold our table alone. what names the input in messages
 * ("nftables (io.linx.nftables)"). LX_ERR_INVALID on refusal.
 */
int lx_nft_text_check(const char *text, const char *what,
		      struct lx_error *err) LX_WUR;

/*
 * Check text, compile it in the sandboxed child, and fill body (text copied,
 * msgs, hash, n_rules). On a parse error the message is nft's own first
 * error line with its position (line:column in text), never the text or a
 * file. LX_ERR_INVALID for the text, LX_ERR_SYSTEM when the child could not
 * run. body is left empty on failure.
 */
int lx_nft_compile(const char *text, const char *what, struct lx_nft_body *body,
		   struct lx_error *err) LX_WUR;

/*
 * Structural check of compiled messages (pure; what the parent trusts of
 * the child, and of a body that arrives over the control socket): only
 * NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM, NEWOBJ and NEWFLOWTABLE, family
 * inet, well-formed attributes, no table attribute (apply adds ours), at
 * most LX_NFT_MAX_RULES rules. Counts rules into *n_rules.
 */
int lx_nft_msgs_check(const void *msgs, size_t len, const char *what,
		      uint32_t *n_rules, struct lx_error *err) LX_WUR;

/* Base64 of compiled messages (the document's object form, for put):
 * encode returns a new string or NULL; decode 0, -EINVAL or -ENOMEM. */
char *lx_nft_b64_encode(const void *data, size_t len);
int lx_nft_b64_decode(const char *s, uint8_t **out, size_t *len) LX_WUR;

/* FNV-1a over the messages: the marker stored in our tables' userdata. */
uint64_t lx_nft_hash(const void *msgs, size_t len);

/* ----------------------------------------------------------- instance */

enum { LX_NFT_T_TENANT = 0, LX_NFT_T_POLICY = 1, LX_NFT_N_TABLES = 2 };

struct lx_nft_config {
	/* Create tables without NFT_TABLE_F_PERSIST even where the kernel
	 * has it (what kernels before 6.9 do; for tests of that fallback). */
	bool no_persist;
};

struct lx_nft;

/* What a pass wants: bodies[i] NULL or without msgs = table i absent. */
struct lx_nft_want {
	const struct lx_nft_body *bodies[LX_NFT_N_TABLES];
};

struct lx_nft_table_obs {
	bool present;
	uint32_t flags; /* NFTA_TABLE_FLAGS */
	bool has_owner; /* NFTA_TABLE_OWNER was reported */
	uint32_t owner; /* its portid */
	bool marked;	/* our marker was found in the userdata */
	uint64_t hash;	/* the marker's hash */
	bool listed;	/* the rules and chains below were listed */
	uint32_t n_rules;
	char **chains; /* names, owned */
	size_t n_chains;
};

struct lx_nft_observed {
	uint32_t genid;
	/* The genid has not moved since our last successful apply of this
	 * very want: nothing was listed, the diff has nothing to do. */
	bool unchanged;
	uint32_t portid; /* our socket's: owner == portid means ours */
	struct lx_nft_table_obs t[LX_NFT_N_TABLES];
};

void lx_nft_observed_free(struct lx_nft_observed *o);

/* No socket yet: it is opened by the first verb that needs one. */
int lx_nft_open(struct lx_nft **out, const struct lx_nft_config *cfg,
		struct lx_error *err) LX_WUR;
/* Closing the socket orphans our tables (persist) or deletes them (no
 * persist): the kernel's owner semantics. NULL-safe. */
void lx_nft_close(struct lx_nft *n);

/* Whether the netfilter socket is open (tests: cost only where used). */
bool lx_nft_socket_open(const struct lx_nft *n);
/* Whether tables are created with NFT_TABLE_F_PERSIST (after the first
 * create: false when the kernel refused the flag). */
bool lx_nft_persist(const struct lx_nft *n);

/*
 * Read the genid; unless it is unchanged since our last apply of want (and
 * !full), look up both tables (flags, owner, marker) and list their chains
 * and rule counts. A want with no table and nothing of ours to remove
 * opens no socket and observes nothing.
 */
int lx_nft_observe(struct lx_nft *n, const struct lx_nft_want *want, bool full,
		   struct lx_nft_observed *obs, struct lx_error *err) LX_WUR;

/*
 * PURE. Per table: absent and wanted -> create table (+ create chain per
 * chain); present and ours but not what is wanted (other marker, other rule
 * count, not owned by our socket: orphaned after a crash) -> update table,
 * i.e. replace its content in the transaction (+ create/delete chain for
 * chains that come and go); present and not wanted -> delete table; owned
 * by another socket -> a failed op "hijacked". Ops are LX_OBJ_NFT_TABLE /
 * LX_OBJ_NFT_CHAIN with u.kv.key the item ("inet linx (12 rules)",
 * "egress") and u.kv.value the table's name.
 */
int lx_nft_diff(const struct lx_nft_want *want,
		const struct lx_nft_observed *obs, struct lx_plan *plan,
		struct lx_error *err) LX_WUR;

/*
 * Run the planned table ops as ONE transaction carrying obs->genid: every
 * planned op is applied, or every one fails with the kernel's reason (a
 * genid that moved: "ruleset changed since it was read (ERESTART)"; the
 * next pass re-reads). Failed ops from the diff (hijacked) stay failed.
 * rep->converged = nothing failed.
 */
int lx_nft_apply(struct lx_nft *n, const struct lx_nft_want *want,
		 const struct lx_nft_observed *obs, struct lx_subreport *rep,
		 struct lx_error *err) LX_WUR;

/* Teardown: delete both tables if present and not another's (one
 * transaction). Ops go into rep->plan. */
int lx_nft_release(struct lx_nft *n, struct lx_subreport *rep,
		   struct lx_error *err) LX_WUR;

/* The subsystem on the contract (lib/source.h), lib/nft_source.c. */
extern const struct lx_subsys lx_nft_subsys;

/* Monitor: NFNLGRP_NFTABLES on its own socket; events are hints. */
int lx_nft_subscribe(struct lx_nft *n, struct lx_error *err) LX_WUR;
int lx_nft_drain(struct lx_nft *n, int fd);
void lx_nft_unsubscribe(struct lx_nft *n, int fd);

#endif
