/* SPDX-License-Identifier: MIT */
/*
 * The nftables member without a kernel: the document and the annotation
 * carry the text as is, the refusals that need no parser, and the check of
 * compiled messages (what the sidecar trusts of the compile child and of a
 * put).
 */
#include <criterion/criterion.h>
#include <string.h>

#include <netinet/in.h>

#include "annotations.h"
#include "desired.h"
#include "nft.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

static int doc(const char *text, struct lx_desired *d, struct lx_error *e)
{
	lx_error_clear(e);
	return lx_desired_from_string(text, strlen(text), d, e);
}

static int ann(const char *json, struct lx_desired *d, struct lx_error *e)
{
	json_error_t je;
	json_t *a = json_loads(json, 0, &je);
	bool present = false;
	int r;

	cr_assert_not_null(a, "%s", je.text);
	lx_error_clear(e);
	r = lx_annotations_to_desired(a, d, &present, e);
	json_decref(a);
	return r;
}

Test(nft_text, document_member_is_the_text_as_given)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(
	    doc("{\"nftables\":\"chain c { tcp dport 80 accept; }\"}", &d, &e),
	    0, "%s", e.msg);
	cr_assert_str_eq(d.nft.text, "chain c { tcp dport 80 accept; }");
	cr_assert_null(d.nft.msgs, "parsing never compiles");
	json_t *j = lx_desired_to_json(&d);
	cr_assert_str_eq(json_string_value(json_object_get(j, "nftables")),
			 d.nft.text);
	json_decref(j);
	lx_desired_free(&d);
}

Test(nft_text, annotation_is_verbatim_not_split_on_semicolons)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_eq(ann("{\"io.linx.nftables\":\"chain c { tcp dport 80 "
			 "accept; tcp dport 443 accept; }\"}",
			 &d, &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(
	    d.nft.text,
	    "chain c { tcp dport 80 accept; tcp dport 443 accept; }");
	lx_desired_free(&d);
}

Test(nft_text, annotation_refusals_name_the_annotation)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_lt(
	    ann("{\"io.linx.nftables\":\"include \\\"/etc/shadow\\\"\"}", &d,
		&e),
	    0);
	cr_assert_eq(e.kind, LX_ERR_INVALID);
	cr_assert(strstr(e.msg, "io.linx.nftables: refused: \"include\""), "%s",
		  e.msg);
	cr_assert_lt(ann("{\"io.linx.nftables\":\"} table ip x {\"}", &d, &e),
		     0);
	cr_assert(strstr(e.msg, "closes the table block"), "%s", e.msg);
}

Test(nft_text, document_refuses_non_string_and_nul)
{
	struct lx_desired d;
	struct lx_error e;

	cr_assert_lt(doc("{\"nftables\":[\"chain c {}\"]}", &d, &e), 0);
	cr_assert(strstr(e.msg, "nftables"), "%s", e.msg);
	cr_assert_lt(doc("{\"nftables\":\"chain c {}\\u0000include\"}", &d, &e),
		     0);
	cr_assert(strstr(e.msg, "NUL"), "%s", e.msg);
	cr_assert_lt(doc("{\"nftables\":\"flush ruleset\"}", &d, &e), 0);
	cr_assert(strstr(e.msg, "nftables: refused: \"ruleset\""), "%s", e.msg);
}

Test(nft_text, keywords_only_as_words)
{
	struct lx_error e;

	lx_error_clear(&e);
	cr_assert_eq(lx_nft_text_check("chain tables { } # table\nchain "
				       "x-include { comment \"}table\"; }",
				       "t", &e),
		     0, "%s", e.msg);
	cr_assert_lt(lx_nft_text_check("chain c { }\n  table", "t", &e), 0);
	cr_assert(strstr(e.msg, "line 2:3"), "%s", e.msg);
}

Test(nft_text, oversized_text_is_refused)
{
	struct lx_error e;
	char *t = malloc(LX_NFT_TEXT_MAX + 2);

	memset(t, ' ', LX_NFT_TEXT_MAX + 1);
	t[LX_NFT_TEXT_MAX + 1] = '\0';
	lx_error_clear(&e);
	cr_assert_lt(lx_nft_text_check(t, "t", &e), 0);
	cr_assert(strstr(e.msg, "longer than"), "%s", e.msg);
	free(t);
}

static size_t msg(char *buf, uint8_t type, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "c");
	return MNL_ALIGN(nlh->nlmsg_len);
}

Test(nft_text, compiled_messages_are_checked)
{
	char buf[4096];
	struct lx_error e;
	uint32_t n = 0;
	size_t len = 0;

	len += msg(buf + len, NFT_MSG_NEWCHAIN, NFPROTO_INET);
	len += msg(buf + len, NFT_MSG_NEWRULE, NFPROTO_INET);
	len += msg(buf + len, NFT_MSG_NEWRULE, NFPROTO_INET);
	lx_error_clear(&e);
	cr_assert_eq(lx_nft_msgs_check(buf, len, "t", &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 2);
	/* truncated */
	cr_assert_lt(lx_nft_msgs_check(buf, len - 4, "t", &n, &e), 0);
	/* another family */
	len = msg(buf, NFT_MSG_NEWRULE, NFPROTO_IPV4);
	cr_assert_lt(lx_nft_msgs_check(buf, len, "t", &n, &e), 0);
	cr_assert(strstr(e.msg, "not inet"), "%s", e.msg);
	/* a delete */
	len = msg(buf, NFT_MSG_DELRULE, NFPROTO_INET);
	cr_assert_lt(lx_nft_msgs_check(buf, len, "t", &n, &e), 0);
	/* an attribute running past its message */
	len = msg(buf, NFT_MSG_NEWRULE, NFPROTO_INET);
	((struct nlattr *)(buf + MNL_NLMSG_HDRLEN + 4))->nla_len = 200;
	cr_assert_lt(lx_nft_msgs_check(buf, len, "t", &n, &e), 0);
}

Test(nft_text, object_form_carries_the_compiled_body_round_trip)
{
	char buf[4096];
	struct lx_desired d = {0}, back;
	struct lx_error e;
	size_t len = 0;

	len += msg(buf + len, NFT_MSG_NEWCHAIN, NFPROTO_INET);
	len += msg(buf + len, NFT_MSG_NEWRULE, NFPROTO_INET);
	lx_options_init(&d.opts);
	d.nft.text = strdup("chain c { accept; }");
	d.nft.msgs = malloc(len);
	memcpy(d.nft.msgs, buf, len);
	d.nft.len = len;
	json_t *j = lx_desired_to_json(&d);
	char *s = json_dumps(j, 0);
	cr_assert_eq(doc(s, &back, &e), 0, "%s: %s", s, e.msg);
	cr_assert_str_eq(back.nft.text, d.nft.text);
	cr_assert_eq(back.nft.len, len);
	cr_assert_eq(memcmp(back.nft.msgs, buf, len), 0);
	cr_assert_eq(back.nft.n_rules, 1);
	cr_assert_eq(back.nft.hash, lx_nft_hash(buf, len));
	free(s);
	json_decref(j);
	lx_desired_free(&d);
	lx_desired_free(&back);
}

Test(nft_text, object_form_with_a_table_in_the_compiled_body_is_refused)
{
	char buf[512], *b64, doctext[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct lx_desired d;
	struct lx_error e;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "linx-policy");
	b64 = lx_nft_b64_encode(buf, nlh->nlmsg_len);
	snprintf(doctext, sizeof(doctext),
		 "{\"nftables\":{\"text\":\"chain c { }\",\"compiled\":\"%s\"}}",
		 b64);
	cr_assert_lt(doc(doctext, &d, &e), 0);
	cr_assert(strstr(e.msg, "names a table"), "%s", e.msg);
	cr_assert_lt(doc("{\"nftables\":{\"text\":\"chain c { }\","
			 "\"compiled\":\"!!\"}}",
			 &d, &e),
		     0);
	cr_assert(strstr(e.msg, "not base64"), "%s", e.msg);
	free(b64);
}
