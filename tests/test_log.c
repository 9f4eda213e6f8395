// SPDX-License-Identifier: MIT
/*
 * test_log.c - the log callback (pktpipe/log.h, src/core/log.c), cf.
 * libbpf_set_print().
 *
 * Regression for "the library prints to stderr": an application had no way
 * to route or silence what the library said. A callback now receives every
 * message, from a real failing path (a pcap NIC on a path that cannot be
 * created); NULL restores the default, which prints WARN and above to
 * stderr and drops INFO and DEBUG.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/log.h>
#include <pktpipe/stack.h>

#include "core/log.h"

static struct {
	int calls;
	enum pp_log_level level;
	char last[512];
} got;

static int capture(enum pp_log_level level, const char *fmt, va_list ap)
{
	got.calls++;
	got.level = level;
	return vsnprintf(got.last, sizeof(got.last), fmt, ap);
}

static int reset(void **state)
{
	(void)state;
	memset(&got, 0, sizeof(got));
	pp_log_set_fn(NULL);
	return 0;
}

static int create_on(const char *nic)
{
	struct pp_stack_opts o;
	struct pp_stack *st = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = nic;
	o.ip = htonl(0xc6120001);
	o.prefix = 24;
	o.frames_per_lane = 256;
	o.flags = PP_STACK_F_NO_PIN;
	rc = pp_stack_create(&o, &st);
	if (!rc)
		pp_stack_destroy(st);
	else
		assert_null(st);
	return rc;
}

/* Run @fn with stderr going to a temporary file; return what it printed. */
static char *with_stderr(void (*fn)(void))
{
	char path[] = "/tmp/pp_test_log_XXXXXX";
	int fd = mkstemp(path), saved;
	static char buf[4096];
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* ---- negative cases ----------------------------------------------------- */

/* A pcap NIC whose file cannot be created: the stack fails with the errno,
 * and the callback hears why, at PP_LOG_ERR, naming the path. */
static void test_callback_gets_failing_path(void **state)
{
	(void)state;
	assert_null(pp_log_set_fn(capture)); /* the default was in use */
	assert_int_equal(create_on("pcap:/nonexistent-pp-dir/out.pcap"), -ENOENT);
	assert_true(got.calls >= 1);
	assert_int_equal(got.level, PP_LOG_ERR);
	assert_non_null(strstr(got.last, "/nonexistent-pp-dir/out.pcap"));
	assert_non_null(strstr(got.last, strerror(ENOENT)));
	assert_true(got.last[strlen(got.last) - 1] == '\n');
}

static void fail_create(void)
{
	assert_int_equal(create_on("pcap:/nonexistent-pp-dir/out.pcap"), -ENOENT);
}

static void log_each_level(void)
{
	pp__log(PP_LOG_ERR, "err %d\n", 1);
	pp__log(PP_LOG_WARN, "warn %s\n", "two");
	pp__log(PP_LOG_INFO, "info 3\n");
	pp__log(PP_LOG_DEBUG, "debug 4\n");
}

/* NULL restores the default: the same failure reaches stderr again, and
 * the callback no longer hears anything. */
static void test_null_restores_default(void **state)
{
	char *err;

	(void)state;
	pp_log_set_fn(capture);
	assert_ptr_equal(pp_log_set_fn(NULL), capture);
	err = with_stderr(fail_create);
	assert_int_equal(got.calls, 0);
	assert_non_null(strstr(err, "pcap: cannot create /nonexistent-pp-dir/out.pcap"));
}

/* ---- boundaries --------------------------------------------------------- */

/* The default prints WARN and above only; a callback gets every level. */
static void test_levels(void **state)
{
	char *err;

	(void)state;
	err = with_stderr(log_each_level);
	assert_string_equal(err, "err 1\nwarn two\n");

	pp_log_set_fn(capture);
	err = with_stderr(log_each_level);
	assert_string_equal(err, ""); /* nothing to stderr while a callback is set */
	assert_int_equal(got.calls, 4);
	assert_int_equal(got.level, PP_LOG_DEBUG);
	assert_string_equal(got.last, "debug 4\n");
}

/* pp__log() keeps errno (callers log between a failure and strerror()). */
static void test_errno_kept(void **state)
{
	(void)state;
	pp_log_set_fn(capture);
	errno = EXDEV;
	pp__log(PP_LOG_INFO, "x\n");
	assert_int_equal(errno, EXDEV);
}

/* ---- normal case -------------------------------------------------------- */

/* A stack that opens fine says nothing at WARN or above. */
static void test_quiet_when_fine(void **state)
{
	(void)state;
	pp_log_set_fn(capture);
	assert_int_equal(create_on("null"), 0);
	for (int i = 0; i < got.calls; i++)
		assert_true(got.level > PP_LOG_WARN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_callback_gets_failing_path, reset, reset),
		cmocka_unit_test_setup_teardown(test_null_restores_default, reset, reset),
		cmocka_unit_test_setup_teardown(test_levels, reset, reset),
		cmocka_unit_test_setup_teardown(test_errno_kept, reset, reset),
		cmocka_unit_test_setup_teardown(test_quiet_when_fine, reset, reset),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
