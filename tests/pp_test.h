/* SPDX-License-Identifier: MIT */
/*
 * pp_test.h - honest skips for the cmocka tests: a test that cannot run here
 * (no root, no tshark, no AF_XDP, ...) calls PP_SKIP() with the reason, and
 * main() returns pp_test_exit(): a failure is a failure, otherwise a binary
 * that skipped anything exits 77, which meson reports as SKIP instead of OK.
 */
#ifndef PP_TESTS_PP_TEST_H
#define PP_TESTS_PP_TEST_H

#if defined(__SANITIZE_THREAD__)
#define PP_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PP_TEST_TSAN 1
#endif
#endif

#ifdef PP_TEST_TSAN
/* liburcu-cds is not built with TSan: the socket port table's resize
 * workqueue synchronises through futexes TSan cannot see. Silence only what
 * that library's own calls report. */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "called_from_lib:liburcu-cds.so\n";
}
#endif

static unsigned int pp_test_skipped;

#define PP_SKIP(...)                                                            \
	do {                                                                    \
		print_message("[  SKIP    ] " __VA_ARGS__);                     \
		print_message("\n");                                            \
		pp_test_skipped++;                                              \
		skip();                                                         \
	} while (0)

/* pp_test_exit() - what main() returns after cmocka_run_group_tests(). */
static inline int pp_test_exit(int failed)
{
	if (failed)
		return 1;
	return pp_test_skipped ? 77 : 0;
}

#endif
