/* SPDX-License-Identifier: MIT */
/*
 * opts.h (internal) - options structs that can grow (cf. libbpf's
 * OPTS_VALID() / libbpf_validate_opts()).
 *
 * Every public options struct starts with `size_t sz`, set by the caller to
 * sizeof() of the struct it was compiled with. Fields are only ever added at
 * the end, so:
 *  - a smaller sz comes from a program built against an older header: the
 *    fields it lacks read as zero, which every options struct documents as
 *    "default";
 *  - a larger sz comes from a program built against a newer header: fine as
 *    long as every byte past what we know is zero (the caller did not ask
 *    for anything we cannot do), else -EINVAL, as libbpf does;
 *  - an sz that cannot even hold sz itself is a caller's bug: -EINVAL.
 * The library then works on a zeroed copy of its own size, so no code past
 * the check ever reads the caller's struct beyond what it gave.
 */
#ifndef PP_CORE_OPTS_H
#define PP_CORE_OPTS_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Largest sz believed: past this it is garbage, not a newer header, and
 * scanning its "tail" would read far past the caller's object. */
#define PP_OPTS_SZ_MAX 4096

/**
 * pp__opts_valid() - may an options struct of @sz bytes at @opts be used by
 * code that knows its first @known_sz bytes?
 * Return: 0, or -EINVAL (NULL, @sz smaller than a size_t or over
 * PP_OPTS_SZ_MAX, or a non-zero byte in [@known_sz, @sz)).
 * Context: control path.
 */
static inline int pp__opts_valid(const void *opts, size_t sz, size_t known_sz)
{
	const unsigned char *p = opts;

	if (!opts || sz < sizeof(size_t) || sz > PP_OPTS_SZ_MAX)
		return -EINVAL;
	for (size_t i = known_sz; i < sz; i++)
		if (p[i])
			return -EINVAL;
	return 0;
}

/**
 * pp__opts_copy() - check @opts (whose first member is its size_t sz) and
 * copy min(sz, @dst_sz) bytes of it into @dst, zeroing the rest and setting
 * @dst's sz to @dst_sz.
 * Return: 0, or -EINVAL as pp__opts_valid() (@dst is then all zero).
 * Context: control path.
 */
static inline int pp__opts_copy(void *dst, size_t dst_sz, const void *opts)
{
	size_t sz;
	int err;

	memset(dst, 0, dst_sz);
	if (!opts)
		return -EINVAL;
	memcpy(&sz, opts, sizeof(sz));
	err = pp__opts_valid(opts, sz, dst_sz);
	if (err)
		return err;
	memcpy(dst, opts, sz < dst_sz ? sz : dst_sz);
	memcpy(dst, &dst_sz, sizeof(dst_sz));
	return 0;
}

#endif /* PP_CORE_OPTS_H */
