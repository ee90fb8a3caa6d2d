/* SPDX-License-Identifier: MIT */
/*
 * Policy routing rules: identity, codec to/from RTM_*RULE messages (pure
 * over caller buffers of LX_NL_MSG_MAX bytes) and the dump. Ours by
 * FRA_PROTOCOL, like routes by rtm_protocol.
 */
#ifndef LX_RULE_H
#define LX_RULE_H

#include <linux/netlink.h>

#include "error.h"
#include "model.h"
#include "nl.h"

/*
 * Identity without the priority: family, `not`, from, to, iif, oif,
 * fwmark/mask, ipproto, ports, tos, action and table.
 */
int lx_rule_key_cmp(const struct lx_rule *a, const struct lx_rule *b);
/* The key, then the priority (a rule without one first). */
int lx_rule_cmp(const struct lx_rule *a, const struct lx_rule *b);

/* One of the kernel's default rules (priority 0, 32766, 32767 of proto
 * kernel): never changed, never adopted. */
bool lx_rule_is_default(const struct lx_rule *r);

/* Decode RTM_NEWRULE (has_priority always set). 0, -EBADMSG, or
 * -EAFNOSUPPORT for families other than v4/v6 (ipmr rules). */
int lx_rule_from_msg(const struct nlmsghdr *nlh, struct lx_rule *r);

/* RTM_NEWRULE (verb CREATE) / RTM_DELRULE with FRA_PROTOCOL = protocol. */
struct nlmsghdr *lx_rule_msg(void *buf, enum lx_nl_verb verb,
			     const struct lx_rule *r, uint8_t protocol);

/* Dump the IPv4 and IPv6 rules. */
int lx_rule_dump(struct lx_nl *nl, struct lx_rule **rules, size_t *n,
		 struct lx_error *err) LX_WUR;

#endif
