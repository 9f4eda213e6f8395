// SPDX-License-Identifier: MIT
/*
 * tcp_cc.c - congestion control ops, their registry and Reno (cf.
 * net/ipv4/tcp_cong.c: tcp_ca_find(), tcp_get_available_congestion_control(),
 * tcp_validate_congestion_control(), tcp_init_congestion_control(),
 * tcp_slow_start(), tcp_cong_avoid_ai(), tcp_reno_cong_avoid(),
 * tcp_reno_ssthresh(), tcp_reno_undo_cwnd(); tcp_input.c
 * tcp_undo_cwnd_reduction()).
 *
 * The registry is a constant table, not the kernel's RCU list with
 * tcp_register_congestion_control(): algorithms are compiled in, so a new
 * one is one more line in pp_tcp_cc_all[] and nothing needs a lock.
 */
#include <errno.h>
#include <string.h>

#include "proto/tcp_cc.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

uint32_t pp__tcp_slow_start(struct pp_tcp_cc *cc, uint32_t acked)
{
	uint64_t want = (uint64_t)cc->cwnd + acked;
	uint32_t cwnd = want < cc->ssthresh ? (uint32_t)want : cc->ssthresh;

	/* cwnd < ssthresh here, so cwnd - cc->cwnd <= acked */
	acked -= cwnd - cc->cwnd;
	cc->cwnd = min_u32(cwnd, cc->cwnd_clamp);
	return acked;
}

void pp__tcp_cong_avoid_ai(struct pp_tcp_cc *cc, uint32_t w, uint32_t acked)
{
	if (w == 0)
		w = 1;
	/* credit gathered at a larger w: apply it gently, one segment */
	if (cc->cwnd_cnt >= w) {
		cc->cwnd_cnt = 0;
		if (cc->cwnd < cc->cwnd_clamp)
			cc->cwnd++;
	}
	cc->cwnd_cnt += acked;
	if (cc->cwnd_cnt >= w) {
		uint32_t delta = cc->cwnd_cnt / w;
		uint64_t cwnd = (uint64_t)cc->cwnd + delta;

		cc->cwnd_cnt -= delta * w;
		cc->cwnd = cwnd < cc->cwnd_clamp ? (uint32_t)cwnd : cc->cwnd_clamp;
	}
	cc->cwnd = min_u32(cc->cwnd, cc->cwnd_clamp);
}

uint32_t pp__tcp_reno_ssthresh(struct pp_tcp_cc *cc)
{
	return max_u32(cc->cwnd >> 1, 2u);
}

void pp__tcp_reno_cong_avoid(struct pp_tcp_cc *cc, uint32_t ack, uint32_t acked)
{
	(void)ack;
	if (!pp__tcp_is_cwnd_limited(cc))
		return;
	/* below ssthresh: exponential ("safe" area) */
	if (pp__tcp_in_slow_start(cc)) {
		acked = pp__tcp_slow_start(cc, acked);
		if (!acked)
			return;
	}
	/* at or above it: one segment per window */
	pp__tcp_cong_avoid_ai(cc, cc->cwnd, acked);
}

uint32_t pp__tcp_reno_undo_cwnd(struct pp_tcp_cc *cc)
{
	return max_u32(cc->cwnd, cc->prior_cwnd);
}

/* "reno": as the kernel's tcp_reno, which has no init and no private state */
static const struct pp_tcp_cc_ops pp_tcp_reno = {
	.name = "reno",
	.ssthresh = pp__tcp_reno_ssthresh,
	.cong_avoid = pp__tcp_reno_cong_avoid,
	.undo_cwnd = pp__tcp_reno_undo_cwnd,
};

static const struct pp_tcp_cc_ops *const pp_tcp_cc_all[] = {
	&pp_tcp_reno,
};
#define PP_TCP_CC_N (sizeof(pp_tcp_cc_all) / sizeof(pp_tcp_cc_all[0]))

int pp__tcp_cc_validate(const struct pp_tcp_cc_ops *ops)
{
	size_t n;

	if (!ops || !ops->name)
		return -EINVAL;
	n = strnlen(ops->name, PP_TCP_CA_NAME_MAX);
	if (n == 0 || n >= PP_TCP_CA_NAME_MAX)
		return -EINVAL;
	if (!ops->ssthresh || !ops->cong_avoid || !ops->undo_cwnd)
		return -EINVAL;
	return 0;
}

int pp__tcp_cc_find(const char *name, const struct pp_tcp_cc_ops **out)
{
	if (!name || !out)
		return -EINVAL;
	for (size_t i = 0; i < PP_TCP_CC_N; i++) {
		if (strcmp(pp_tcp_cc_all[i]->name, name) == 0) {
			*out = pp_tcp_cc_all[i];
			return 0;
		}
	}
	return -ENOENT;
}

int pp__tcp_cc_list(char *buf, size_t len)
{
	size_t off = 0;

	if (!buf || len == 0)
		return -EINVAL;
	for (size_t i = 0; i < PP_TCP_CC_N; i++) {
		size_t n = strlen(pp_tcp_cc_all[i]->name);

		if (off + (i ? 1 : 0) + n + 1 > len) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		if (i)
			buf[off++] = ' ';
		memcpy(buf + off, pp_tcp_cc_all[i]->name, n);
		off += n;
	}
	buf[off] = '\0';
	return (int)off;
}

int pp__tcp_cc_init(struct pp_tcp_cc *cc, const struct pp_tcp_cc_ops *ops, uint32_t mss)
{
	if (!cc || mss == 0 || pp__tcp_cc_validate(ops) != 0)
		return -EINVAL;
	memset(cc, 0, sizeof(*cc));
	cc->cwnd = PP_TCP_INIT_CWND;
	cc->ssthresh = PP_TCP_INFINITE_SSTHRESH;
	cc->cwnd_clamp = UINT32_MAX;
	cc->mss = mss;
	cc->ca_state = PP_TCP_CA_OPEN;
	cc->ops = ops;
	if (ops->init)
		ops->init(cc);
	return 0;
}

void pp__tcp_cc_undo(struct pp_tcp_cc *cc)
{
	cc->cwnd = min_u32(cc->ops->undo_cwnd(cc), cc->cwnd_clamp);
	if (cc->prior_ssthresh > cc->ssthresh)
		cc->ssthresh = cc->prior_ssthresh;
}
