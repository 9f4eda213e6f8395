/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/log.h - where the library's messages go (cf. libbpf_set_print()).
 *
 * The library never writes to stderr behind the application's back: every
 * message goes through one function, which the application may replace to
 * send messages to its own log. The default prints PP_LOG_WARN and more
 * severe messages to stderr and drops the rest.
 *
 * Messages come only from control paths (opening a NIC, setting up XDP,
 * tearing down); the hot path never logs.
 */
#ifndef PKTPIPE_LOG_H
#define PKTPIPE_LOG_H

#include <stdarg.h>

#include <pktpipe/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** enum pp_log_level - severity, most severe first (as syslog's). */
enum pp_log_level {
	PP_LOG_ERR = 0,	/* an operation failed */
	PP_LOG_WARN,	/* it went on, but not as asked (a fallback, a leftover) */
	PP_LOG_INFO,	/* how something was set up */
	PP_LOG_DEBUG,	/* details for whoever is chasing a problem */
};

/**
 * typedef pp_log_fn - a log sink: @fmt and @ap as vfprintf() takes them.
 * Messages end with a newline. The return value is ignored (it is an int
 * so that a vfprintf-like function fits).
 * Context: called from whichever thread hit the message, possibly several
 * at once: it must be thread-safe. It must not call back into pktpipe.
 */
typedef int (*pp_log_fn)(enum pp_log_level level, const char *fmt, va_list ap);

/**
 * pp_log_set_fn() - send every later message to @fn; NULL restores the
 * default (PP_LOG_WARN and above to stderr).
 * Return: the function in use before (NULL if it was the default).
 * Context: any thread; messages already being printed may still reach the
 * previous function.
 */
PP_API pp_log_fn pp_log_set_fn(pp_log_fn fn);

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_LOG_H */
