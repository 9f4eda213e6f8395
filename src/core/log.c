// SPDX-License-Identifier: MIT
/*
 * log.c - the library's log sink (pktpipe/log.h), cf. libbpf_set_print() and
 * libbpf_print(): one replaceable function, WARN and above to stderr by
 * default, so that programs that never set one see what they saw when the
 * library printed to stderr itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "core/log.h"

/* NULL: the default. Atomic: set from a control thread while a worker may
 * be logging. */
static _Atomic(pp_log_fn) log_fn;

static int log_default(enum pp_log_level level, const char *fmt, va_list ap)
{
	if (level > PP_LOG_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

pp_log_fn pp_log_set_fn(pp_log_fn fn)
{
	return atomic_exchange_explicit(&log_fn, fn, memory_order_acq_rel);
}

void pp__log(enum pp_log_level level, const char *fmt, ...)
{
	pp_log_fn fn = atomic_load_explicit(&log_fn, memory_order_acquire);
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	(fn ? fn : log_default)(level, fmt, ap);
	va_end(ap);
	errno = saved;
}
