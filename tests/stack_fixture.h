// SPDX-License-Identifier: MIT
/*
 * stack_fixture.h - the cmocka fixture shared by test_sock.c and
 * test_stack.c: a whole stack (pktpipe/stack.h) on the null or pcap NIC,
 * driven from the cmocka thread, in a scratch directory of its own.
 *
 * It offers: struct fx and its setup (stack_fx_setup(), given the mkdtemp
 * prefix) and teardown(); the address plan (OUR_IP, PEER_IP, peer_mac);
 * ip4(), sin_of() and SA(); opts_default() and pcap_spec() to build a stack,
 * stack_up() to create it, stats() and drops_total() to read it, and
 * stack_finish() to tear it down and check that every frame came home
 * (allocated == freed); sock_new(); struct frame and read_frames() to read
 * a pcap file back, and have_tshark(). Under TSan it also supplies the
 * liburcu-cds suppressions.
 *
 * The including file defines STACK_FX_FRAME_ROOM (the largest frame it
 * reads back, e.g. PP_FRAME_2K) before including this header. Everything
 * here is static and used by both tests: with -Werror an unused helper
 * would break the build, so a helper only one test needs stays in it.
 */
#ifndef PP_TESTS_STACK_FIXTURE_H
#define PP_TESTS_STACK_FIXTURE_H

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "proto/stack_priv.h"

#ifndef STACK_FX_FRAME_ROOM
#error "define STACK_FX_FRAME_ROOM (bytes per struct frame) before including stack_fixture.h"
#endif


#define OUR_IP "198.18.0.1"
#define PEER_IP "198.18.0.2"

static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

struct fx {
	struct pp_stack *st;
	struct pp_stack_stats *ss;	/* pp__stack_stats_snapshot() wants it aligned */
	bool torn;			/* pp__stack_teardown done and checked */
	char dir[96];
	char pcap[128];
	char spec[160];
};

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = ip4(ip);
	return sin;
}

#define SA(p) ((const struct sockaddr *)(p))

static struct pp_stack_opts opts_default(void)
{
	struct pp_stack_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = "null";
	o.ip = ip4(OUR_IP);
	o.prefix = 24;
	/* the cmocka thread is every lane's thread: leave it unbound */
	o.flags = PP_STACK_F_NO_PIN;
	return o;
}

/* "pcap:<dir>/out.pcap<extra>" for the fixture's file. */
static const char *pcap_spec(struct fx *fx, const char *extra)
{
	int n = snprintf(fx->spec, sizeof(fx->spec), "pcap:%s%s", fx->pcap, extra);

	assert_true(n > 0 && n < 128); /* a NIC spec holds 127 characters */
	return fx->spec;
}

static void stack_up(struct fx *fx, const struct pp_stack_opts *o)
{
	assert_null(fx->st);
	assert_int_equal(pp_stack_create(o, &fx->st), 0);
	fx->torn = false;
}

static struct pp_stack_stats *stats(struct fx *fx)
{
	assert_int_equal(pp__stack_stats_snapshot(fx->st, fx->ss), 0);
	return fx->ss;
}

static uint64_t drops_total(const struct pp_stack_stats *s)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < PP_STAGE_MAX; i++)
		n += pp_stage_stats_drops(&s->stage[i]);
	return n;
}

/*
 * Tear the stack down short of freeing the pool (the NIC is closed, so a
 * pcap file is complete after it) and check that every frame came home.
 */
static void stack_finish(struct fx *fx)
{
	struct pp_stack_stats *s;

	if (!fx->st || fx->torn)
		return;
	fx->torn = true;
	for (unsigned int k = 0; k < PP_LANES_MAX; k++)
		pp_lane_detach(fx->st, k); /* -EINVAL where we are not attached */
	pp__stack_teardown(fx->st);
	s = stats(fx);
	assert_int_equal(s->pool_bad_free, 0);
	assert_int_equal(s->pool_in_use, 0);
	assert_int_equal(s->pool_allocs, s->pool_frees);
}

/* cmocka setup: a fixture whose scratch directory is $TMPDIR/<prefix>_XXXXXX. */
static int stack_fx_setup(void **state, const char *prefix)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(fx);
	fx->ss = aligned_alloc(PP_CACHE_LINE, sizeof(*fx->ss));
	assert_non_null(fx->ss);
	if (!tmp || !*tmp || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(fx->dir, sizeof(fx->dir), "%s/%s_XXXXXX", tmp, prefix);
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->pcap, sizeof(fx->pcap), "%s/out.pcap", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->st) {
		stack_finish(fx);
		pp_stack_destroy(fx->st);
	}
	unlink(fx->pcap);
	rmdir(fx->dir);
	free(fx->ss);
	free(fx);
	return 0;
}

static struct pp_sock *sock_new(struct fx *fx, unsigned int lane)
{
	struct pp_sock *sk = NULL;

	assert_int_equal(pp_socket(fx->st, PP_SOCK_DGRAM, lane, &sk), 0);
	assert_non_null(sk);
	return sk;
}

/* ---- reading what went out ---------------------------------------------- */

struct frame {
	uint32_t len;
	uint8_t b[STACK_FX_FRAME_ROOM];
};

/* Read every frame of the (closed) pcap file into @out[0..max). */
static unsigned int read_frames(const char *file, struct frame *out, unsigned int max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int n = 0;
	pcap_t *pd = pcap_open_offline(file, err);

	if (!pd)
		fail_msg("pcap_open_offline(%s): %s", file, err);
	while (pcap_next_ex(pd, &h, &data) == 1) {
		assert_true(n < max);
		assert_int_equal(h->caplen, h->len);
		assert_true(h->len <= sizeof(out[n].b));
		out[n].len = h->len;
		memcpy(out[n].b, data, h->len);
		n++;
	}
	pcap_close(pd);
	return n;
}

static bool have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

#endif /* PP_TESTS_STACK_FIXTURE_H */
