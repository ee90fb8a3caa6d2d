/* SPDX-License-Identifier: MIT */
/*
 * lx_nl_batch against the real kernel: only the last message of a chunk
 * asks for an ack, so the fate of every other one is read from the error
 * replies before it. Each message must still be reported once, in order,
 * with the kernel's error where it failed: wherever the failure sits
 * (first, middle, the acked last of a chunk, the message carried over).
 */
#include "test_rtnl_helpers.h"

#define N 3000

struct heard {
	size_t n;
	size_t tag[N];
	int error[N];
};

static void heard_cb(void *data, size_t tag, int error, const char *ext)
{
	struct heard *h = data;

	(void)ext;
	cr_assert_lt(h->n, N, "more reports than messages");
	h->tag[h->n] = tag;
	h->error[h->n] = error;
	h->n++;
}

/* Route i: 10.1.A.B/32, via 10.0.0.1 (reachable) unless bad. */
static struct lx_route route_n(size_t i, bool bad)
{
	struct lx_route r = {.family = AF_INET,
			     .dst_len = 32,
			     .has_gw = true,
			     .scope = LX_UNSET};

	r.dst.bytes[0] = 10;
	r.dst.bytes[1] = 1;
	r.dst.bytes[2] = (uint8_t)(i / 256);
	r.dst.bytes[3] = (uint8_t)(i % 256);
	inet_pton(AF_INET, bad ? "192.168.99.1" : "10.0.0.1", &r.gw);
	return r;
}

Test(nl_batch, every_message_reported_once_in_order_failures_anywhere)
{
	static struct heard h;
	static bool bad[N];
	struct lx_nl *nl;
	struct lx_error err = {0};
	struct lx_nl_batch b;
	struct lx_route *got = NULL;
	size_t n_got = 0, chunk = 0, ours = 0, failed = 0;
	int ret = 0;

	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	sh("ip link set lo up && ip link add v0 type veth peer name v1");
	sh("ip link set v0 up && ip link set v1 up");
	sh("ip addr add 10.0.0.2/24 dev v0");
	cr_assert_eq(lx_nl_open(&nl, 0, &err), 0, "%s", err.msg);
	/* Messages of one size (44 bytes): ~1,490 fit the 64 KiB chunk. */
	{
		static char one[LX_NL_MSG_MAX];
		struct lx_route r = route_n(0, false);

		chunk = LX_NL_BATCH_LIMIT /
			lx_route_msg_new(one, LX_NL_CREATE, &r, 76, 0, NULL)
			    ->nlmsg_len;
	}
	bad[0] = bad[700] = bad[701] = bad[N - 1] = true;
	/* The last sent of the first chunk (it carries the ack), the one
	 * carried over to the next chunk, and the one after it. */
	bad[chunk - 1] = bad[chunk] = bad[chunk + 1] = true;
	cr_assert_eq(lx_nl_batch_init(&b, nl, heard_cb, &h), 0);
	for (size_t i = 0; i < N; i++) {
		struct lx_route r = route_n(i, bad[i]);

		lx_route_msg_new(lx_nl_batch_slot(&b), LX_NL_CREATE, &r, 76, 0,
				 NULL);
		ret = lx_nl_batch_add(&b, i);
		cr_assert_geq(ret, 0, "socket: %d", ret);
	}
	ret = lx_nl_batch_flush(&b);
	cr_assert_geq(ret, 0, "socket: %d", ret);
	lx_nl_batch_fini(&b);

	cr_assert_eq(h.n, N, "one report per message: %zu", h.n);
	for (size_t i = 0; i < N; i++) {
		cr_assert_eq(h.tag[i], i, "in order: report %zu is tag %zu", i,
			     h.tag[i]);
		if (bad[i])
			cr_assert_eq(h.error[i], -ENETUNREACH,
				     "route %zu: error %d", i, h.error[i]);
		else
			cr_assert_eq(h.error[i], 0, "route %zu: error %d", i,
				     h.error[i]);
		failed += bad[i];
	}
	/* What the kernel holds agrees with what was reported. */
	cr_assert_eq(lx_route_dump(nl, &got, &n_got, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < n_got; i++)
		ours += got[i].protocol == 76;
	cr_assert_eq(ours, N - failed, "%zu routes of ours", ours);
	/* Sized from the start, smaller or larger than the table: the same
	 * routes in the same order. */
	for (size_t expect = 1; expect < 4 * n_got; expect = expect * 3 + 1) {
		struct lx_route *again = NULL;
		size_t n_again = 0;

		cr_assert_eq(lx_route_dump_sized(nl, expect, &again, &n_again,
						 &err),
			     0, "%s", err.msg);
		cr_assert_eq(n_again, n_got, "expect %zu", expect);
		for (size_t i = 0; i < n_got; i++)
			cr_assert(lx_route_same(&again[i], &got[i]),
				  "expect %zu: route %zu", expect, i);
		lx_routes_free(again, n_again);
	}
	lx_routes_free(got, n_got);
	lx_nl_close(nl);
}

/* A chunk whose every message fails: as many replies as messages, read
 * many per receive call, each mapped to its own message. */
Test(nl_batch, a_chunk_of_failures_is_reported_message_by_message)
{
	static struct heard h;
	struct lx_nl *nl;
	struct lx_error err = {0};
	struct lx_nl_batch b;
	int ret;

	cr_assert_eq(unshare(CLONE_NEWNET), 0);
	sh("ip link set lo up");
	cr_assert_eq(lx_nl_open(&nl, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(lx_nl_batch_init(&b, nl, heard_cb, &h), 0);
	for (size_t i = 0; i < 1000; i++) {
		struct lx_route r = route_n(i, true);

		lx_route_msg_new(lx_nl_batch_slot(&b), LX_NL_CREATE, &r, 76, 0,
				 NULL);
		cr_assert_eq(lx_nl_batch_add(&b, i), 0);
	}
	ret = lx_nl_batch_flush(&b);
	lx_nl_batch_fini(&b);
	cr_assert_eq(ret, 1000, "refused: %d", ret);
	cr_assert_eq(h.n, 1000);
	for (size_t i = 0; i < 1000; i++) {
		cr_assert_eq(h.tag[i], i);
		cr_assert_eq(h.error[i], -ENETUNREACH);
	}
	lx_nl_close(nl);
}
