// SPDX-License-Identifier: MIT
/*
 * test_nic_null.c - the NIC layer's spec parsing (nic.c) and the null NIC
 * (null.c): bad specs are refused cleanly, xmit stops at a full completion
 * ring (the caller keeps the rest), fragment chains go whole or not at all,
 * completion hands frames back in order with their links cleared, and the
 * counters add up; the optional ops' wrappers (set_addr, info) answer
 * -EOPNOTSUPP for a NIC without them and pass a backend's answers through.
 * Every test leaves the pool full.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/pool.h"
#include "nic/nic.h"

struct fx {
	struct pp_pool *pool;
	struct pp_pool_cache *c;
	struct pp_nic *nic;
};

static int setup(void **state)
{
	static struct fx fx;
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 256,
		.nfreers = 1, /* cache 1: a reaper thread's */
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pp_pool_create(&o, &fx.pool), 0);
	fx.c = pp_pool_cache(fx.pool, 0);
	assert_non_null(fx.c);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	pp__nic_close(fx->nic);
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	pp_pool_destroy(fx->pool);
	return 0;
}

/* An skb of @len bytes whose first byte is @tag. */
static struct pp_skb *mk(struct fx *fx, uint16_t len, uint8_t tag)
{
	struct pp_skb *skb = pp_skb_alloc(fx->c);
	uint8_t *p;

	assert_non_null(skb);
	p = pp_skb_put(skb, len);
	assert_non_null(p);
	memset(p, tag, len);
	return skb;
}

/* A chain of @nfrags frames, each @len bytes, tagged tag, tag+1, ... */
static struct pp_skb *mk_chain(struct fx *fx, unsigned int nfrags, uint16_t len, uint8_t tag)
{
	struct pp_skb *head = mk(fx, len, tag), *prev = head;

	for (unsigned int i = 1; i < nfrags; i++) {
		prev->frag = mk(fx, len, (uint8_t)(tag + i));
		prev = prev->frag;
	}
	return head;
}

/* Reap everything from @q, check it is @expect frames, free them. */
static void drain(struct fx *fx, uint16_t q, unsigned int expect)
{
	struct pp_skb *out[64];
	unsigned int total = 0;
	uint16_t got;

	while ((got = fx->nic->ops->tx_complete(fx->nic, q, out, 64)) > 0) {
		pp_skb_free_burst(fx->c, out, got);
		total += got;
	}
	assert_int_equal(total, expect);
}

static void open_ok(struct fx *fx, const char *spec, uint16_t ntxq)
{
	assert_int_equal(pp__nic_open(spec, fx->pool, ntxq, 1, 1500, &fx->nic), 0);
	assert_non_null(fx->nic);
}

/* ---- negative cases ------------------------------------------------------ */

static void test_bad_specs(void **state)
{
	struct fx *fx = *state;
	static const struct {
		const char *spec;
		int err;
	} bad[] = {
		{"", -EINVAL},
		{":", -EINVAL},
		{":txring=4", -EINVAL},
		{"nope", -ENOENT},
		{"nope:txring=4", -ENOENT},
		{"nul", -ENOENT},
		{"nulll", -ENOENT},
		{"NULL", -ENOENT},
		{"null:txring=3", -EINVAL},
		{"null:txring=0", -EINVAL},
		{"null:txring=", -EINVAL},
		{"null:txring=-4", -EINVAL},
		{"null:txring= 4", -EINVAL},
		{"null:txring=4x", -EINVAL},
		{"null:txring=4294967296", -EINVAL},
		{"null:txring=2097152", -EINVAL}, /* above the 2^20 limit */
		{"null:txring", -EINVAL},
		{"null:txring=4,", -EINVAL},
		{"null:,txring=4", -EINVAL},
		{"null:bogus=1", -EINVAL},
		{"null:txring=4,bogus=1", -EINVAL},
		{"null:txrings=4", -EINVAL},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pp_nic *nic = (struct pp_nic *)0x1;

		print_message("spec \"%s\"\n", bad[i].spec);
		assert_int_equal(pp__nic_open(bad[i].spec, fx->pool, 1, 1, 1500, &nic), bad[i].err);
		assert_ptr_equal(nic, (struct pp_nic *)0x1); /* untouched on error */
	}
}

/*
 * The optional ops (set_addr, info) through their wrappers: NULL arguments
 * first, then a NIC without the ops (null), then a backend with them, so that
 * a wrapper that swallowed or invented an answer fails here. The stack relies
 * on exactly this: -EOPNOTSUPP from set_addr is "no filter", not an error,
 * and info leaves "" behind when the backend has nothing to say.
 */
static void test_optional_ops_bad_args(void **state)
{
	struct fx *fx = *state;
	char buf[8];

	assert_int_equal(pp__nic_set_addr(NULL, 0x0100000a), -EINVAL);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pp__nic_info(NULL, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, ""); /* a string even on error */
	open_ok(fx, "null", 1);
	assert_int_equal(pp__nic_info(fx->nic, NULL, sizeof(buf)), -EINVAL);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pp__nic_info(fx->nic, buf, 0), -EINVAL);
	assert_int_equal(buf[0], 'x'); /* len 0: not a byte written */
}

static void test_optional_ops_absent(void **state)
{
	struct fx *fx = *state;
	char buf[32];

	open_ok(fx, "null", 1);
	assert_null(fx->nic->ops->set_addr);
	assert_null(fx->nic->ops->info);
	assert_int_equal(pp__nic_set_addr(fx->nic, 0x0100000a), -EOPNOTSUPP);
	assert_int_equal(pp__nic_set_addr(fx->nic, 0), -EOPNOTSUPP);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pp__nic_info(fx->nic, buf, sizeof(buf)), -EOPNOTSUPP);
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pp__nic_info(fx->nic, buf, 1), -EOPNOTSUPP);
	assert_int_equal(buf[0], '\0');
}

/* A backend with both ops: the wrappers hand its answers through unchanged. */
static uint32_t fake_addr;
static int fake_addr_err;

static int fake_set_addr(struct pp_nic *nic, uint32_t ipv4)
{
	(void)nic;
	if (fake_addr_err)
		return fake_addr_err;
	fake_addr = ipv4;
	return 0;
}

static int fake_info(struct pp_nic *nic, char *buf, size_t len)
{
	(void)nic;
	return snprintf(buf, len, "mode=fake ring=%u", 64u);
}

static void test_optional_ops_present(void **state)
{
	static const struct pp_nic_ops fake_ops = {
		.name = "fake",
		.set_addr = fake_set_addr,
		.info = fake_info,
	};
	static struct pp_nic nic = {.ops = &fake_ops};
	char buf[32], small[5];

	(void)state;
	fake_addr = 0;
	fake_addr_err = 0;
	assert_int_equal(pp__nic_set_addr(&nic, 0x0100000a), 0);
	assert_int_equal(fake_addr, 0x0100000a);
	fake_addr_err = -EPERM;
	assert_int_equal(pp__nic_set_addr(&nic, 0x0200000a), -EPERM);
	assert_int_equal(fake_addr, 0x0100000a);
	assert_int_equal(pp__nic_info(&nic, buf, sizeof(buf)), 17);
	assert_string_equal(buf, "mode=fake ring=64");
	/* cut short as snprintf() does: the whole length, a terminated prefix */
	assert_int_equal(pp__nic_info(&nic, small, sizeof(small)), 17);
	assert_string_equal(small, "mode");
}

static void test_bad_args(void **state)
{
	struct fx *fx = *state;
	struct pp_nic *nic = NULL;
	char longspec[200];

	assert_int_equal(pp__nic_open(NULL, fx->pool, 1, 1, 1500, &nic), -EINVAL);
	assert_int_equal(pp__nic_open("null", NULL, 1, 1, 1500, &nic), -EINVAL);
	assert_int_equal(pp__nic_open("null", fx->pool, 1, 1, 1500, NULL), -EINVAL);
	assert_int_equal(pp__nic_open("null", fx->pool, 0, 1, 1500, &nic), -EINVAL);
	assert_int_equal(pp__nic_open("null", fx->pool, 257, 1, 1500, &nic), -EINVAL);
	assert_int_equal(pp__nic_open("null", fx->pool, 1, 257, 1500, &nic), -EINVAL);
	assert_int_equal(pp__nic_open("null", fx->pool, 1, 1, 67, &nic), -EINVAL);
	/* 2 KiB frames: 64 B of metadata + 14 B of Ethernet leave 1970 */
	assert_int_equal(pp__nic_open("null", fx->pool, 1, 1, 1971, &nic), -EINVAL);
	/* spec longer than nic->spec can keep */
	memset(longspec, 'a', sizeof(longspec) - 1);
	memcpy(longspec, "null:", 5);
	longspec[sizeof(longspec) - 1] = '\0';
	assert_int_equal(pp__nic_open(longspec, fx->pool, 1, 1, 1500, &nic), -EINVAL);
	assert_null(nic);

	/* NULL-safe control calls */
	pp__nic_close(NULL);
	pp__nic_stats(NULL, NULL);
	struct pp_nic_stats st;

	memset(&st, 0xff, sizeof(st));
	pp__nic_stats(NULL, &st);
	assert_int_equal(st.tx_packets, 0);
}

static void test_bad_queue(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skb, *out[4];

	open_ok(fx, "null:txring=4", 2);
	skb = mk(fx, 60, 1);
	/* queue out of range: nothing taken, nothing returned, no room */
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 2, &skb, 1), 0);
	assert_int_equal(fx->nic->ops->tx_complete(fx->nic, 2, out, 4), 0);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 2), 0);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, NULL, 1), 0);
	assert_int_equal(fx->nic->ops->tx_complete(fx->nic, 0, NULL, 4), 0);
	/* a NULL entry ends the burst: the caller keeps it and what follows */
	struct pp_skb *two[2] = {skb, NULL};

	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, two, 2), 1);
	drain(fx, 0, 1);
	/* no RX on the null NIC: no rx_burst at all (nic.h) */
	assert_null(fx->nic->ops->rx_burst);
}

/* ---- boundaries ---------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(pp__nic_open("null", fx->pool, 3, 0, 0, &fx->nic), 0);
	assert_string_equal(fx->nic->ops->name, "null");
	assert_string_equal(fx->nic->spec, "null");
	assert_int_equal(fx->nic->ntxq, 3);
	assert_int_equal(fx->nic->nrxq, 0);
	assert_int_equal(fx->nic->mtu, 1500); /* 0 takes the default */
	assert_int_equal(((uintptr_t)pp__nic_priv(fx->nic)) % PP_CACHE_LINE, 0);
	for (uint16_t q = 0; q < 3; q++)
		assert_int_equal(fx->nic->ops->tx_room(fx->nic, q), 1024);
	/* "null:" (empty args) is the same as "null" */
	pp__nic_close(fx->nic);
	fx->nic = NULL;
	assert_int_equal(pp__nic_open("null:", fx->pool, 1, 0, 1970, &fx->nic), 0);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 1024);
	pp__nic_close(fx->nic);
	fx->nic = NULL;
	/* smallest ring, largest queue count */
	assert_int_equal(pp__nic_open("null:txring=1", fx->pool, 256, 256, 68, &fx->nic), 0);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 255), 1);
}

/* Exactly full: the ring takes txring frames, a short count, the caller keeps
 * the rest and retries after completion. */
static void test_ring_full(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skbs[10], *out[16];
	struct pp_nic_stats st;

	open_ok(fx, "null:txring=8", 1);
	for (int i = 0; i < 10; i++)
		skbs[i] = mk(fx, (uint16_t)(60 + i), (uint8_t)i);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, skbs, 10), 8);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 0);
	/* exactly full: nothing more, not even one */
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &skbs[8], 2), 0);
	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, 8);
	assert_int_equal(st.tx_ring_full, 2);
	assert_int_equal(st.tx_completed, 0);

	/* completion in transmit order, bounded by the budget */
	assert_int_equal(fx->nic->ops->tx_complete(fx->nic, 0, out, 3), 3);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(out[i], skbs[i]);
	pp_skb_free_burst(fx->c, out, 3);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 3);

	/* the two the caller kept now go */
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &skbs[8], 2), 2);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 1);
	assert_int_equal(fx->nic->ops->tx_complete(fx->nic, 0, out, 16), 7);
	for (int i = 0; i < 7; i++)
		assert_ptr_equal(out[i], skbs[3 + i]);
	/* exactly empty */
	assert_int_equal(fx->nic->ops->tx_complete(fx->nic, 0, &out[7], 9), 0);
	pp_skb_free_burst(fx->c, out, 7);

	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, 10);
	assert_int_equal(st.tx_completed, 10);
	assert_int_equal(st.tx_bytes, 10 * 60 + 45);
	assert_int_equal(st.tx_ring_full, 2);
	assert_int_equal(st.rx_packets, 0);
}

/* Index wrap: many rounds through a small ring keep order and counts. */
static void test_many_rounds(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skbs[3], *out[4];
	struct pp_nic_stats st;

	open_ok(fx, "null:txring=4", 1);
	for (unsigned int round = 0; round < 1000; round++) {
		for (int i = 0; i < 3; i++)
			skbs[i] = mk(fx, 100, (uint8_t)(round + i));
		assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, skbs, 3), 3);
		assert_int_equal(fx->nic->ops->tx_complete(fx->nic, 0, out, 4), 3);
		for (int i = 0; i < 3; i++) {
			assert_ptr_equal(out[i], skbs[i]);
			assert_int_equal(pp_skb_data(out[i])[0], (uint8_t)(round + i));
		}
		pp_skb_free_burst(fx->c, out, 3);
	}
	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, 3000);
	assert_int_equal(st.tx_completed, 3000);
	assert_int_equal(st.tx_bytes, 300000);
	assert_int_equal(st.tx_ring_full, 0);
}

/* A chain is one descriptor per fragment, accepted whole or not at all. */
static void test_frag_chain_all_or_nothing(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *single, *c4, *c3, *c5, *out[8], *burst[3];
	struct pp_nic_stats st;

	open_ok(fx, "null:txring=4", 1);
	single = mk(fx, 60, 0x10);
	c4 = mk_chain(fx, 4, 200, 0x20);
	c3 = mk_chain(fx, 3, 300, 0x30);
	burst[0] = single;
	burst[1] = c4;
	burst[2] = c3;
	/* 1 frame fits, the 4-frame chain does not (3 slots left): stop there,
	 * even though the 3-frame chain behind it would fit */
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, burst, 3), 1);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 3);
	assert_ptr_equal(c4->frag->frag->frag->frag, NULL); /* chain untouched */
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &burst[2], 1), 1);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 0);

	/* frames come back one by one, fragments in order, links cleared */
	single->next = c4; /* a stale queue link must not survive completion */
	assert_int_equal(fx->nic->ops->tx_complete(fx->nic, 0, out, 8), 4);
	assert_ptr_equal(out[0], single);
	for (int i = 0; i < 4; i++) {
		assert_null(out[i]->frag);
		assert_null(out[i]->next);
	}
	assert_int_equal(pp_skb_data(out[1])[0], 0x30);
	assert_int_equal(pp_skb_data(out[2])[0], 0x31);
	assert_int_equal(pp_skb_data(out[3])[0], 0x32);
	pp_skb_free_burst(fx->c, out, 4);

	/* now the 4-frame chain fits exactly */
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &c4, 1), 1);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 0);
	drain(fx, 0, 4);

	/* a chain longer than the ring never goes */
	c5 = mk_chain(fx, 5, 100, 0x50);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &c5, 1), 0);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 4);
	pp_skb_free(fx->c, c5); /* the caller kept it: frees the whole chain */

	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, 1 + 3 + 4);
	assert_int_equal(st.tx_bytes, 60 + 3 * 300 + 4 * 200);
	assert_int_equal(st.tx_completed, 8);
	assert_int_equal(st.tx_ring_full, 2);
}

/* ---- normal case --------------------------------------------------------- */

static void test_queues_and_counters(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skbs[PP_BURST];
	struct pp_nic_stats st;
	uint64_t bytes = 0;

	open_ok(fx, "null:txring=64", 2);
	for (uint16_t q = 0; q < 2; q++) {
		for (int i = 0; i < PP_BURST; i++) {
			skbs[i] = mk(fx, (uint16_t)(60 + 37 * i + q), (uint8_t)i);
			bytes += skbs[i]->len;
		}
		assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, q, skbs, PP_BURST), PP_BURST);
	}
	/* queues are independent */
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 64 - PP_BURST);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 1), 64 - PP_BURST);
	drain(fx, 1, PP_BURST);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 64 - PP_BURST);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 1), 64);

	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, 2 * PP_BURST);
	assert_int_equal(st.tx_bytes, bytes);
	assert_int_equal(st.tx_completed, PP_BURST);
	assert_int_equal(st.tx_ring_full, 0);
	assert_int_equal(st.tx_kicks, 0);
	drain(fx, 0, PP_BURST);
	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_completed, 2 * PP_BURST);
}

/* One xmit thread and one reaper on the same queue (the SPSC pair the ring
 * is built for): every frame comes back once, in order. Also run under TSan. */
#define THR_FRAMES 200000u

struct reaper_arg {
	struct fx *fx;
	uint32_t got;
	uint32_t out_of_order;
};

static void *reaper(void *p)
{
	struct reaper_arg *a = p;
	struct pp_pool_cache *c = pp_pool_cache(a->fx->pool, 1);
	struct pp_skb *out[PP_BURST];

	while (a->got < THR_FRAMES) {
		uint16_t n = a->fx->nic->ops->tx_complete(a->fx->nic, 0, out, PP_BURST);

		for (uint16_t i = 0; i < n; i++) {
			uint32_t seq;

			memcpy(&seq, pp_skb_data(out[i]), sizeof(seq));
			if (seq != a->got)
				a->out_of_order++;
			a->got++;
		}
		if (n)
			pp_skb_free_burst(c, out, n);
		else
			sched_yield();
	}
	return NULL;
}

static void test_xmit_and_reaper_threads(void **state)
{
	struct fx *fx = *state;
	struct reaper_arg a = {.fx = fx};
	struct pp_skb *skbs[PP_BURST];
	struct pp_nic_stats st;
	uint32_t seq = 0, have = 0, done = 0;
	pthread_t t;

	open_ok(fx, "null:txring=64", 1);
	assert_int_equal(pthread_create(&t, NULL, reaper, &a), 0);
	while (done < THR_FRAMES) {
		/* top the burst up with fresh frames, then send what fits */
		uint32_t want = PP_BURST - have;

		if (want > THR_FRAMES - seq)
			want = THR_FRAMES - seq;
		uint32_t got = pp_skb_alloc_burst(fx->c, &skbs[have], want);

		for (uint32_t i = 0; i < got; i++) {
			uint32_t v = seq++;

			memcpy(pp_skb_put(skbs[have + i], 60), &v, sizeof(v));
		}
		have += got;
		uint16_t sent = fx->nic->ops->xmit_burst(fx->nic, 0, skbs, (uint16_t)have);

		memmove(skbs, &skbs[sent], (have - sent) * sizeof(skbs[0]));
		have -= sent;
		done += sent;
		if (!sent)
			sched_yield();
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(a.got, THR_FRAMES);
	assert_int_equal(a.out_of_order, 0);
	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, THR_FRAMES);
	assert_int_equal(st.tx_completed, THR_FRAMES);
	assert_int_equal(st.tx_bytes, 60ull * THR_FRAMES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optional_ops_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optional_ops_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optional_ops_present, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frag_chain_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queues_and_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xmit_and_reaper_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
