/* SPDX-License-Identifier: MIT */
/*
 * log.h (internal) - pp__log(): the one way library code reports something
 * (pktpipe/log.h says where it goes). Never on the hot path.
 */
#ifndef PP_CORE_LOG_H
#define PP_CORE_LOG_H

#include <pktpipe/log.h>

/**
 * pp__log() - format a message (end it with "\n") and hand it to the
 * application's log function, or to the default (stderr, PP_LOG_WARN and
 * above). errno is kept: callers may log between a failure and its
 * strerror().
 * Context: any thread; control path only.
 */
void pp__log(enum pp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pp__log_err(...) pp__log(PP_LOG_ERR, __VA_ARGS__)
#define pp__log_warn(...) pp__log(PP_LOG_WARN, __VA_ARGS__)
#define pp__log_info(...) pp__log(PP_LOG_INFO, __VA_ARGS__)
#define pp__log_debug(...) pp__log(PP_LOG_DEBUG, __VA_ARGS__)

#endif /* PP_CORE_LOG_H */
