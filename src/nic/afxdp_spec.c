// SPDX-License-Identifier: MIT
/*
 * afxdp_spec.c - the afxdp NIC's spec, "IFACE[,key=value]*" (keys in
 * afxdp.h), parsed strictly before anything is opened: no empty token, no
 * unknown key, no value out of range, so that a typo is -EINVAL and never a
 * default silently kept (as the kernel refuses an unknown netlink attribute
 * under strict validation, cf. nla_parse() with NL_VALIDATE_STRICT). Checks
 * across keys (fill <= ring, budget 32..ring) are afxdp_open()'s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nic/afxdp_priv.h"

static int parse_u32(const char *s, size_t len, uint32_t min, uint32_t max, uint32_t *out)
{
	char buf[16];
	char *end;
	unsigned long v;

	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool tok_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && !memcmp(k, name, klen);
}

static int parse_kv(struct afxdp *a, const char *k, size_t klen, const char *v, size_t vlen)
{
	uint32_t u;

	if (tok_is(k, klen, "mode")) {
		if (tok_is(v, vlen, "auto"))
			a->mode = MODE_AUTO;
		else if (tok_is(v, vlen, "native"))
			a->mode = MODE_NATIVE;
		else if (tok_is(v, vlen, "skb"))
			a->mode = MODE_SKB;
		else
			return -EINVAL;
		return 0;
	}
	if (tok_is(k, klen, "bind")) {
		if (tok_is(v, vlen, "auto"))
			a->bind = BIND_AUTO;
		else if (tok_is(v, vlen, "copy"))
			a->bind = BIND_COPY;
		else if (tok_is(v, vlen, "zc"))
			a->bind = BIND_ZC;
		else
			return -EINVAL;
		return 0;
	}
	if (tok_is(k, klen, "queues")) {
		if (parse_u32(v, vlen, 1, 256, &u))
			return -EINVAL;
		a->queues = (uint16_t)u;
		return 0;
	}
	if (tok_is(k, klen, "ring")) {
		if (parse_u32(v, vlen, AFXDP_RING_MIN, AFXDP_RING_MAX, &u) || (u & (u - 1)))
			return -EINVAL;
		a->ring = u;
		return 0;
	}
	if (tok_is(k, klen, "fill"))
		return parse_u32(v, vlen, PP_BURST, AFXDP_RING_MAX, &a->fill);
	if (tok_is(k, klen, "budget"))
		return parse_u32(v, vlen, 0, AFXDP_RING_MAX, &a->budget);
	if (tok_is(k, klen, "csum")) {
		if (vlen == 4 && !memcmp(v, "auto", 4))
			a->csum = CSUM_AUTO;
		else if (vlen == 7 && !memcmp(v, "partial", 7))
			a->csum = CSUM_PARTIAL;
		else if (vlen == 6 && !memcmp(v, "strict", 6))
			a->csum = CSUM_STRICT;
		else
			return -EINVAL;
		return 0;
	}
	if (tok_is(k, klen, "busy_poll")) {
		if (parse_u32(v, vlen, 0, 1, &u))
			return -EINVAL;
		a->busy_poll = u;
		return 0;
	}
	if (tok_is(k, klen, "ip")) {
		char buf[INET_ADDRSTRLEN];
		struct in_addr in;

		if (vlen == 0 || vlen >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, v, vlen);
		buf[vlen] = '\0';
		if (inet_pton(AF_INET, buf, &in) != 1)
			return -EINVAL;
		a->info.ipv4 = in.s_addr;
		return 0;
	}
	return -EINVAL;
}

/* "IFACE[,key=value]*": no empty token, no unknown key, no repeated comma. */
int pp__afxdp_spec_parse(struct afxdp *a, const char *args)
{
	const char *p = args, *comma = strchr(args, ',');
	size_t iflen = comma ? (size_t)(comma - args) : strlen(args);
	int err;

	if (iflen == 0 || iflen >= sizeof(a->info.ifname))
		return -EINVAL;
	memcpy(a->info.ifname, args, iflen);
	a->info.ifname[iflen] = '\0';
	a->ring = AFXDP_RING_DEFAULT;
	if (!comma)
		return 0;
	p = comma + 1;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t tok = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', tok);

		if (!eq || eq == p)
			return -EINVAL;
		err = parse_kv(a, p, (size_t)(eq - p), eq + 1, tok - (size_t)(eq - p) - 1);
		if (err)
			return err;
		if (!end)
			return 0;
		p = end + 1;
	}
}
