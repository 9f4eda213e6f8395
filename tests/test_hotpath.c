// SPDX-License-Identifier: MIT
/*
 * test_hotpath.c - the transmit journey's steady state makes no malloc, takes
 * no lock that sleeps and makes no syscall per packet.
 *
 * A child process builds a stack on the null NIC, warms up, then counts
 * malloc-family calls (interposed below) and installs a seccomp filter that
 * kills it on any syscall but write/exit; it then sends 10^5 datagrams
 * through the whole journey (udp -> ip -> neigh -> qsel -> qdisc -> driver
 * -> completion -> frames home). Any syscall there (a futex, a sleep, a
 * clock_gettime that left the vDSO) kills the child with SIGSYS and fails
 * the test; so does a malloc. The same for the copying pp_sendto() path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/pktpipe.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

/* ---- malloc counting (only in this executable) --------------------------- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile int counting;
static volatile unsigned long mallocs;

#ifndef UNDER_SANITIZER
void *malloc(size_t n)
{
	if (counting)
		mallocs++;
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (counting)
		mallocs++;
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (counting)
		mallocs++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

/* Kill the process on any syscall but write and exit. */
static int forbid_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

enum { API_BURST, API_SENDTO };

/* The child: returns the exit code (0 ok, 1 setup failed, 2 malloc seen). */
static int child(int api)
{
	static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 0x02};
	struct pp_stack_opts o = {
		.sz = sizeof(o), .nic = "null", .ip = inet_addr("198.18.0.1"), .prefix = 24,
		.flags = PP_STACK_F_NO_PIN,
	};
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = inet_addr("198.18.0.2")};
	struct pp_stack *st;
	struct pp_sock *sk;
	struct pp_skb *skbs[PP_BURST];
	uint8_t payload[18] = {0};

	if (pp_stack_create(&o, &st) || pp_neigh_add(st, dst.sin_addr.s_addr, peer) ||
	    pp_lane_attach(st, 0) || pp_socket(st, PP_SOCK_DGRAM, 0, &sk) ||
	    pp_connect(sk, (struct sockaddr *)&dst, sizeof(dst)))
		return 1;
	for (int round = 0; round < 2; round++) {
		if (round == 1) {
			counting = 1;
			if (forbid_syscalls())
				return 1;
		}
		for (int i = 0; i < 100000 / PP_BURST; i++) {
			if (api == API_SENDTO) {
				for (int k = 0; k < PP_BURST; k++)
					if (pp_send(sk, payload, sizeof(payload),
						    k + 1 < PP_BURST ? PP_MSG_MORE : 0) != sizeof(payload))
						return 1;
				continue;
			}
			int n = pp_udp_alloc_burst(sk, skbs, PP_BURST);

			if (n <= 0)
				return 1;
			for (int k = 0; k < n; k++)
				memcpy(pp_skb_put(skbs[k], sizeof(payload)), payload, sizeof(payload));
			if (pp_udp_send_burst(sk, skbs, (unsigned int)n, NULL, 0, 0) != n)
				return 1;
		}
	}
	counting = 0;
	return mallocs ? 2 : 0;
}

static void run_child(int api)
{
	pid_t pid;
	int status;

	if (getenv("PP_NO_SECCOMP"))
		PP_SKIP("PP_NO_SECCOMP set: no seccomp filter");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(api));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the hot path made a syscall (killed by signal %d)", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		fail_msg("the hot path called malloc");
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The filter must really kill on a syscall, or the test proves nothing. */
static void test_filter_kills(void **state)
{
	(void)state;
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (forbid_syscalls())
			_exit(3);
		getppid(); /* forbidden */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
}

static void test_burst_api(void **state)
{
	(void)state;
	run_child(API_BURST);
}

static void test_sendto_api(void **state)
{
	(void)state;
	run_child(API_SENDTO);
}

int main(void)
{
#if defined(UNDER_SANITIZER) || !defined(__x86_64__)
	/* the sanitizers' runtimes make syscalls and allocate on their own;
	 * the filter checks the x86-64 syscall ABI only */
	print_message("skipped: sanitizer build or not x86-64\n");
	return 0;
#endif
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_kills),
		cmocka_unit_test(test_burst_api),
		cmocka_unit_test(test_sendto_api),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
